import pytest

from liushou_analysis.core.errors import UserError
from liushou_analysis.core.terms import Term, dataset_terms, terms_up_to


def test_parse_and_order():
    terms = [Term.parse(t) for t in ["2024-2025-1", "2023-2024-2", "2023-2024-1"]]
    assert [str(t) for t in sorted(terms)] == ["2023-2024-1", "2023-2024-2", "2024-2025-1"]
    assert terms_up_to(terms, Term.parse("2023-2024-2")) == [Term(2023, 1), Term(2023, 2)]


@pytest.mark.parametrize("bad", ["2023-2024-3", "2023-2025-1", "2023-1", "23-24-1", "2023/2024/1"])
def test_bad_term_ids_are_one_sentence_errors(bad):
    with pytest.raises(UserError, match="not a term id"):
        Term.parse(bad)


def test_dataset_terms(tmp_path, sample_dir):
    assert [str(t) for t in dataset_terms(sample_dir)] == ["2023-2024-1", "2023-2024-2", "2024-2025-1", "2024-2025-2"]
    (tmp_path / "2023-2024-1").mkdir()
    (tmp_path / "_truth").mkdir()
    assert dataset_terms(tmp_path) == [Term(2023, 1)]
    (tmp_path / "2023秋季学期").mkdir()
    with pytest.raises(UserError, match="are both term 2023-2024-1"):
        dataset_terms(tmp_path)
    (tmp_path / "2023秋季学期").rmdir()
    (tmp_path / "2024年春季学期").mkdir()
    assert dataset_terms(tmp_path) == [Term(2023, 1), Term(2023, 2)]
    (tmp_path / "autumn").mkdir()
    with pytest.raises(UserError, match="autumn"):
        dataset_terms(tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        dataset_terms(tmp_path / "nope")
