import pytest

from liushou_analysis.core import codebook


def test_codebook_has_every_domain_the_generator_writes():
    cb = codebook.load_codebook()
    for domain in ["header", "subject", "gender", "yes_no", "relation", "care_type", "family_type", "health",
                   "education", "helper_role", "absence", "enrolment_status"]:
        assert (cb.domain == domain).any(), domain
    assert codebook.codebook_version() != "unknown"


def test_labels_are_unique_within_a_domain_and_one_preferred_per_code():
    cb = codebook.load_codebook()
    assert not cb.duplicated(["domain", "label"]).any()
    preferred = cb.groupby(["domain", "code"]).preferred.sum()
    assert (preferred == 1).all(), preferred[preferred != 1]


def test_lookups():
    assert codebook.preferred_label("care_type", "grandparents") == "祖辈监护"
    assert "姥姥" in codebook.labels("relation", "grandmother")
    assert set(codebook.codes("helper_role")) == {"teacher", "caring_mother", "peer", "volunteer", "group_3211",
                                                  "community_cadre", "retired_teacher", "other_parent", "neighbour"}
    with pytest.raises(KeyError):
        codebook.labels("relation", "cousin")


def test_docs_forms_lists_every_header_label_and_subject():
    """docs/forms.md is what users read to name their columns: it must not fall behind the codebook."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "forms.md").read_text(encoding="utf-8")
    cb = codebook.load_codebook()
    missing = [lab for lab in cb.label[cb.domain.isin(["header", "subject"])] if lab not in text]
    assert not missing, f"docs/forms.md lacks {missing}: run python tools/make_forms_doc.py"
