"""`liushou clean` on the bundled sample, checked against the generator's truth.

Reference: data_raw/sample/_truth (the clean values the generator drew
before rendering messy exports, and its log of every defect). Pupils are
matched by recomputing their pseudonymous key from the truth's school
number with the published demo key.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.cleaning.pseudonym import DEMO_KEY, pseudonyms
from liushou_analysis.core import config
from liushou_analysis.core.errors import UserError


@pytest.fixture(scope="module")
def clean(sample_clean):
    out, manifest = sample_clean
    tables = {p.stem: pd.read_parquet(p) for p in out.glob("*.parquet")}
    return out, manifest, tables


@pytest.fixture(scope="module")
def keys(truth):
    """truth pupil_uid -> pseudonymous key, and term_index -> term."""
    p = truth["pupils"].merge(truth["schools"][["school_id", "school_name"]], on="school_id")
    key = pseudonyms(p.school_name + "|" + p.student_no, DEMO_KEY, "P")
    return pd.Series(key.to_numpy(), index=p.pupil_uid.to_numpy()), truth["terms"].set_index("term_index").term


def test_every_table_is_written_with_manifest_and_quarantine(clean):
    out, manifest, tables = clean
    assert set(tables) == {"pupils", "enrolment", "classes", "exams", "households", "archive", "pairings",
                           "contacts", "conduct", "quarantine", "field_issues",
                           "survey", "survey_variables", "survey_missing"}  # the last term's pupil questionnaire
    assert (out / "quarantine.xlsx").exists()
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["codebook_version"] and on_disk["package_version"]
    assert len(on_disk["files"]) == 203 and len(on_disk["files_skipped"]) == 2 * 4 * 3  # litter: 2 office-kept schools, 4 terms
    encodings = {f["encoding"] for f in on_disk["files"] if f["format"] == "csv"}
    assert encodings == {"utf-8-sig", "utf-8", "gbk", "gb18030"}


def test_rows_read_equal_kept_plus_quarantined(clean, truth):
    _, manifest, tables = clean
    for f in manifest["files"]:
        for table, c in f["tables"].items():
            assert c["rows_read"] == c["rows_kept"] + c["rows_quarantined"], (f["file"], table)
    for table, c in manifest["totals"].items():
        assert c["rows_kept"] == len(tables[table]), table
    # Independent of the cleaner: the generator wrote this many data rows per file.
    written = truth["files"].set_index("file").rows_written
    for f in manifest["files"]:
        # a register also feeds pairings, from its 帮扶责任人 column, which the generator leaves blank
        (table, c), *others = sorted(f["tables"].items(), key=lambda kv: -kv[1]["rows_read"])
        assert all(o["rows_read"] == 0 for _, o in others), f["file"]
        units = 1
        if table == "exams":
            units = c["rows_read"] / written[f["file"]]
            assert units in (3, 4, 5, 6)  # subjects of the grade plus the total
        assert c["rows_read"] == written[f["file"]] * units, f["file"]


def test_scores_agree_with_truth(clean, truth, keys):
    _, _, tables = clean
    key, term = keys
    t = truth["exams"].assign(pupil_key=lambda d: d.pupil_uid.map(key), term=lambda d: d.term_index.map(term))
    merged = t.merge(tables["exams"], on=["term", "pupil_key", "subject"], how="left", suffixes=("_true", ""),
                     indicator=True)
    assert (merged._merge == "both").all()  # every true score cell is in the clean table
    both = merged.score_true.notna()
    assert np.allclose(merged.score[both], merged.score_true[both])
    assert merged.score[~both].isna().all() and merged.absence_reason[~both].notna().all()


def test_reported_ranks_agree_with_truth(clean, truth, keys):
    _, _, tables = clean
    key, term = keys
    t = truth["exams"][truth["exams"].subject == "total"]
    t = t.assign(pupil_key=t.pupil_uid.map(key), term=t.term_index.map(term))
    m = t.merge(tables["exams"], on=["term", "pupil_key", "subject"])
    ranked = m.class_rank.notna()
    assert (m.class_rank_reported[ranked] == m.class_rank[ranked]).all()


def test_care_and_left_behind_inputs_agree_with_truth(clean, truth, keys):
    _, _, tables = clean
    key, term = keys
    hh = truth["households"]
    sem1 = truth["terms"][truth["terms"].semester == 1].set_index("year_index").term
    t = hh.assign(pupil_key=hh.pupil_uid.map(key), term=hh.year_index.map(sem1))
    m = t.merge(tables["households"], on=["term", "pupil_key"], suffixes=("_true", ""))
    assert len(m) > 0.95 * len(t)  # pupils who joined in semester 2 are not in the semester-1 survey
    assert (m.care_type == m.care_type_true).all()
    # the register (office-kept schools' left-behind pupils) has no family type; the survey has it for all others
    register = m.family_type.isna() & m.guardian_age.isna()
    assert (m.family_type[~register] == m.family_type_true[~register]).all()
    assert register.sum() > 100 and (m.father_away_true | m.mother_away_true)[register].all()
    # the register names one guardian: the first of the truth's
    relation_true = m.guardian_relation_true.replace("", np.nan).where(~register,
                                                                       m.guardian_relation_true.str.split(";").str[0])
    assert (m.guardian_relation == relation_true).fillna(True).all()
    blank_no = truth["messiness"]
    blank_no = blank_no[blank_no.kind == "blank_for_no"]
    for who in ("father", "mother"):
        listed = m[f"{who}_listed"]
        known = m[f"{who}_away"].notna()
        assert (m[f"{who}_away"][known] == m[f"{who}_away_true"][known]).all()
        # a missing answer is only where the school left 'no' blank, never guessed as False
        assert not m[f"{who}_away_true"][listed & ~known].any()
        away = m[f"{who}_away_true"]
        # a register's one 外出时间 gives both away parents the shorter time away
        both = m.father_away_true & m.mother_away_true
        months = m[f"{who}_months_away_true"].where(~(register & both),
                                                   m[["father_months_away_true", "mother_months_away_true"]].min(axis=1))
        assert (m[f"{who}_months_away"][away] == months[away]).all()
    assert len(blank_no) > 0


def test_id_number_problems_are_flagged_not_fixed(clean, truth, keys):
    _, _, tables = clean
    key, _ = keys
    p = truth["pupils"].assign(pupil_key=lambda d: d.pupil_uid.map(key))
    m = p.merge(tables["pupils"], on="pupil_key")
    expected = m.id_defect.replace("", "valid")
    assert (m.id_number_check == expected).all()
    assert (m.id_number_check != "valid").sum() > 10


def test_birth_dates_typed_six_ways_agree_with_truth(clean, truth, keys):
    """Birth dates are written as date cells, Excel serials stored as text,
    2013年5月6日, 2013.5.6, 20130506 and 2013-05-06; the clean table keeps
    year and month only."""
    _, _, tables = clean
    key, _ = keys
    p = truth["pupils"].assign(pupil_key=lambda d: d.pupil_uid.map(key))
    m = p.merge(tables["pupils"], on="pupil_key")
    assert (m.birth_month == pd.to_datetime(m.birth_date).dt.strftime("%Y-%m")).all()
    assert truth["messiness"].query("kind == 'date_as_text'").detail.nunique() >= 5


def test_classes_and_enrolment_agree_with_truth(clean, truth, keys):
    _, _, tables = clean
    key, term = keys
    e = truth["enrolment"].assign(pupil_key=lambda d: d.pupil_uid.map(key))
    m = e.merge(tables["enrolment"], on=["term", "pupil_key"], suffixes=("_true", ""))
    assert len(m) == len(e)
    assert (m.grade == m.grade_true).all() and (m.class_no == m.class_no_true).all()
    transferred = m.enrolment_status == "transferred_in"
    assert transferred.any()


def test_pairings_and_conduct_agree_with_truth(clean, truth, keys):
    _, _, tables = clean
    key, term = keys
    p = truth["pairings"]
    active = [p[(p.start_term <= t) & (p.end_term >= t)].assign(term=term[t]) for t in term.index]
    active = pd.concat(active).assign(pupil_key=lambda d: d.pupil_uid.map(key))
    got = tables["pairings"]
    assert len(got) == len(active)
    m = active.merge(got, on=["term", "pupil_key"])
    roles = m.groupby(["term", "pupil_key"]).apply(lambda g: sorted(g.helper_type) == sorted(g.helper_role),
                                                   include_groups=False)
    assert roles.all()
    c = truth["conduct"][~truth["conduct"].record_missing]
    sem2 = truth["terms"][truth["terms"].semester == 2].set_index("year_index").term
    c = c.assign(pupil_key=c.pupil_uid.map(key), term=c.year_index.map(sem2))
    mc = c.merge(tables["conduct"], on=["term", "pupil_key"], suffixes=("_true", ""))
    assert len(mc) == len(c)
    known = mc.three_good.notna()
    assert (mc.three_good[known] == mc.three_good_true[known]).all()
    assert (mc.serious_violation.fillna(False) == mc.serious_violation_true).sum() > 0.95 * len(mc)


def test_quarantine_holds_exactly_the_rows_the_generator_duplicated(clean, truth):
    _, _, tables = clean
    q = tables["quarantine"]
    assert set(q.reason) <= {"duplicate_row", "duplicate_pupil"}
    got = set(q[["file", "sheet", "row"]].drop_duplicates().itertuples(index=False, name=None))
    log = truth["messiness"]
    dup = log[log.kind == "duplicated_row"]
    expected = set(dup[["file", "sheet", "row"]].itertuples(index=False, name=None))
    assert got == expected


NAME_SOURCES = ["name", "father_name", "mother_name", "guardian_name", "helper_name"]


def test_no_personal_data_reaches_data_clean(clean, truth):
    """Scans the fresh clean output, and the repository's data_clean/ if a
    `make report` has filled it."""
    out, _, _ = clean
    schools = truth["schools"].school_name.tolist()
    text = []
    paths = sorted(out.rglob("*")) + sorted(config.DATA_CLEAN.rglob("*"))
    for path in paths:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            text.append(frame.astype(str).to_csv(index=False))
        elif path.is_file() and path.suffix in (".json", ".csv", ".txt"):
            text.append(path.read_text(encoding="utf-8"))
    blob = "\n".join(text)
    for school in schools:  # school names are not personal data; drop them before scanning
        blob = blob.replace(school, "")
    # pseudonymous keys are hex digests: a run of digits inside one is not a phone number
    blob = re.sub(r"\b[PTHGR][0-9a-f]{16}\b", "<key>", blob)  # R: a questionnaire respondent
    blob = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", blob)  # the manifest's file checksums, likewise
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", blob), "a phone number reached data_clean"
    assert not re.search(r"(?<![0-9a-f])\d{17}[\dX](?![0-9a-f])", blob), "an ID number reached data_clean"
    names = set()
    for frame, cols in ((truth["pupils"], ["name"]), (truth["households"], NAME_SOURCES[1:4]),
                        (truth["helpers"], ["helper_name"]), (truth["staff"], ["name"])):
        for c in cols:
            names.update(n for n in frame[c].astype(str) if len(n) >= 2 and n not in ("（空）",))
    runs = re.findall(r"[\u3400-\u9fff\U00020000-\U0002ffff]+", blob)
    pieces = {run[i:i + n] for run in runs for n in (2, 3, 4) for i in range(len(run) - n + 1)}
    found = sorted(names & pieces)
    assert not found, f"names reached data_clean: {found[:5]}"


def test_rerun_gives_byte_identical_outputs(clean, tmp_path, sample_dir):
    out, _, _ = clean
    again = tmp_path / "again"
    clean_dataset(sample_dir, again)
    for path in sorted(out.iterdir()):
        assert path.read_bytes() == (again / path.name).read_bytes(), path.name


def test_cleaning_a_copy_elsewhere_gives_the_same_keys(clean, tmp_path, sample_dir):
    """Keys depend on the key and the identifier only, not on paths."""
    out, _, tables = clean
    copy = tmp_path / "county"
    shutil.copytree(sample_dir, copy)
    clean_dataset(copy, tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "pupils.parquet").pupil_key.equals(tables["pupils"].pupil_key)


def test_schemas_check_column_types():
    """A whole-number column stored as decimals, or a text column holding numbers, does not pass."""
    import pandera.errors

    from liushou_analysis.cleaning import schemas

    good = schemas.finish("classes", None)
    schemas.validate("classes", good)  # an empty table of the right types passes
    row = {c: None for c in good.columns}
    row.update({"school": "东山中学", "term": "2024-2025-1", "grade": 7, "class_no": 2})
    table = schemas.finish("classes", pd.DataFrame([row]))
    schemas.validate("classes", table)
    with pytest.raises(pandera.errors.SchemaErrors):
        schemas.validate("classes", table.astype({"grade": "float64"}))
    with pytest.raises(pandera.errors.SchemaErrors):
        schemas.validate("classes", table.assign(school=pd.Series([701], dtype=object)))


def test_a_rerun_reads_only_the_files_that_changed(tmp_path, monkeypatch):
    """Issue 26, item 3: after a term's files are added, clean reads only those and takes the others from the
    read cache (liushou_analysis/cleaning/readcache.py, in a folder the user names); the clean tables and
    manifest are the same bytes as a clean from scratch, new settings make every file be read again, and the
    cache may not be put where raw cells must never go."""
    import shutil

    from liushou_analysis.synth.generate import synthesize

    monkeypatch.setenv("LIUSHOU_KEY", "rerun-test-key-0123456789abcdef")
    full = tmp_path / "full"
    synthesize(full, seed=5, n_schools=2, n_years=1)
    terms = sorted(p.name for p in full.iterdir() if p.name[:4].isdigit())
    raw = tmp_path / "raw" / "county"
    raw.mkdir(parents=True)
    shutil.copytree(full / terms[0], raw / terms[0])
    said: list[str] = []
    cache = tmp_path / "read_cache"  # named by the user: it holds raw cells, so never in data_clean or a report
    clean_dataset(raw, tmp_path / "clean", progress=said.append, read_cache=cache)
    from liushou_analysis.cleaning.pipeline import data_files

    first_term = len(data_files(raw / terms[0])[0])
    shutil.copytree(full / terms[1], raw / terms[1])
    said.clear()
    clean_dataset(raw, tmp_path / "clean", progress=said.append, read_cache=cache)
    second_term = len(data_files(raw / terms[1])[0])
    assert f"{first_term:,} files unchanged since the last clean were taken from its cache; {second_term:,} read" in said
    assert len(list(cache.glob("*.pickle"))) == first_term + second_term
    assert not any(raw.rglob("*.pickle"))  # the raw folders are not changed
    clean_dataset(raw, tmp_path / "scratch")  # no cache: a clean from scratch
    clean_dataset(raw, tmp_path / "parallel", workers=2)  # read and cleaned by two processes: the same
    for name in ("manifest.json", "exams.parquet", "enrolment.parquet", "survey.parquet", "quarantine.parquet"):
        assert (tmp_path / "parallel" / name).read_bytes() == (tmp_path / "scratch" / name).read_bytes(), name
    written = sorted(p.relative_to(tmp_path / "scratch") for p in (tmp_path / "scratch").rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(tmp_path / "clean") for p in (tmp_path / "clean").rglob("*") if p.is_file())
    for rel in written:
        assert (tmp_path / "scratch" / rel).read_bytes() == (tmp_path / "clean" / rel).read_bytes(), rel
    # one file changed, and a new liushou.toml: read again
    book = sorted((raw / terms[1]).glob("*.xlsx"))[0]
    book.write_bytes(book.read_bytes())  # same bytes: still a hit
    (raw / "liushou.toml").write_text("[headers]\n'学生学号' = 'student_no'\n", encoding="utf-8")
    said.clear()
    clean_dataset(raw, tmp_path / "clean", progress=said.append, read_cache=cache)
    assert not any("taken from its cache" in s for s in said)  # new settings: every file read again
    assert len(list(cache.glob("*.pickle"))) == first_term + second_term  # the outdated entries were dropped
    for wrong in (tmp_path / "clean" / "cache", raw / "cache"):
        with pytest.raises(UserError, match="names included, so it may not be inside"):
            clean_dataset(raw, tmp_path / "clean", read_cache=wrong)
