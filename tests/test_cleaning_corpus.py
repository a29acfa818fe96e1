"""The corpus of malformed inputs (tests/corpus/cases, made by build.py): each
case's exact expected behaviour when cleaned.

Errors are one sentence naming the file (or folder) and what to do. A file
that cannot be used does not stop the dataset: it is listed under
``files_not_used`` with that sentence (with ``strict=True`` it is raised as
UserError, which the CLI prints without a traceback). Everything else
cleans; rows that cannot be cleaned are in quarantine with the reason, the
column and the row number in the source, and a field that cannot be read
is set to unknown with its reason in the field issues, the row kept.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.cleaning.pseudonym import pseudonyms
from liushou_analysis.core.errors import UserError

CASES = Path(__file__).parent / "corpus" / "cases"
KEY = "corpus-test-key-0123456789"


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("LIUSHOU_KEY", KEY)


def run(case: str, tmp_path):
    manifest = clean_dataset(CASES / case, tmp_path / case)
    assert (tmp_path / case / "quarantine.xlsx").exists()
    tables = {p.stem: pd.read_parquet(p) for p in (tmp_path / case).glob("*.parquet")}
    for f in manifest["files"]:
        for table, c in f["tables"].items():
            assert c["rows_read"] == c["rows_kept"] + c["rows_quarantined"], (case, f["file"], table)
    return manifest, tables


#: Files that cannot be used: listed with this sentence, or raised with it under strict.
NOT_USED = {
    "truncated_xlsx": "一中_学生名册.xlsx: the workbook cannot be opened",
    "utf16_csv": "一中_学生名册.csv: the file is not valid UTF-8, GBK, GB18030 or Big5 text",
    "no_header": "一中_学生名册.csv: no recognisable header row",
    "duplicate_headers_conflict": "the columns '学号' and '学生学号' both mean student_no but hold different values",
    "unknown_table": "一中_名单.csv: cannot tell which table this is",
}
#: Datasets laid out so that nothing can be cleaned: always an error.
ERRORS = {
    "bad_term_folder": "新建文件夹 is not named as a term",
    "no_terms": "holds no term folders",
}


@pytest.mark.parametrize("case, message", sorted(ERRORS.items()))
def test_unusable_datasets_stop_with_one_sentence(case, message, tmp_path):
    with pytest.raises(UserError) as err:
        clean_dataset(CASES / case, tmp_path / case)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert not (tmp_path / case).exists()  # nothing half-written


@pytest.mark.parametrize("case, message", sorted(NOT_USED.items()))
def test_unusable_files_stop_a_strict_clean_with_one_sentence(case, message, tmp_path):
    with pytest.raises(UserError) as err:
        clean_dataset(CASES / case, tmp_path / case, strict=True)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert not (tmp_path / case).exists()  # nothing half-written


@pytest.mark.parametrize("case, message", sorted(NOT_USED.items()))
def test_unusable_files_are_listed_and_the_dataset_is_incomplete(case, message, tmp_path):
    manifest = clean_dataset(CASES / case, tmp_path / case)
    (entry,) = manifest["files_not_used"]
    assert message in entry["reason"] and "\n" not in entry["reason"]
    assert manifest["incomplete"] == ["no file of the dataset could be used (see files_not_used)."]


def test_a_pdf_in_a_term_folder_is_skipped_with_its_reason(tmp_path):
    manifest = clean_dataset(CASES / "unsupported_format", tmp_path / "o")
    assert manifest["files_skipped"] == [{"file": "2023-2024-1/一中_成绩.pdf", "term": "2023-2024-1",
                                          "reason": "a PDF document"}]
    assert manifest["incomplete"]


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        clean_dataset(CASES / "no_such_case", tmp_path / "x")


def test_real_data_without_a_key_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("LIUSHOU_KEY")
    monkeypatch.setenv("LIUSHOU_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(UserError, match="no pseudonymisation key"):
        clean_dataset(CASES / "gbk_csv", tmp_path / "x")


# case -> (table, file, row, column, reason, value shown)
QUARANTINED = {
    "score_999": ("exams", "一中_期末成绩.csv", 3, "数学", "out_of_range", "999"),
    "negative_score": ("exams", "一中_期末成绩.csv", 4, "语文", "out_of_range", "-5"),
    "score_not_a_number": ("exams", "一中_期末成绩.csv", 2, "英语", "not_a_number", "八十"),
    # every row shares one ID number, so the row without a 学号 could be any of them
    "missing_student_no": ("enrolment", "一中_学生名册.csv", 3, "", "ambiguous_pupil", ""),
    "unknown_class": ("enrolment", "一中_学生名册.csv", 3, "班级", "unknown_class", "实验班"),
    "duplicate_row": ("enrolment", "一中_学生名册.csv", 5, "", "duplicate_row", ""),
    "duplicate_pupil_two_files": ("enrolment", "一中_学生名册_补充.csv", 2, "", "duplicate_pupil",
                                  "kept 2023-2024-1/一中_学生名册.csv row 2"),
}


# case -> (table, file, row, column, reason, value shown): the field is set to unknown, the row kept
FIELD_ISSUES = {
    "future_birth_date": ("enrolment", "一中_学生名册.csv", 3, "出生日期", "future_date", "2031年5月6日"),
    "unparseable_date": ("enrolment", "一中_学生名册.csv", 2, "出生日期", "unparseable_date", "去年"),
    "unmapped_gender": ("enrolment", "一中_学生名册.csv", 4, "性别", "unmapped_label", "未知"),
}


@pytest.mark.parametrize("case", sorted(FIELD_ISSUES))
def test_a_bad_value_loses_the_field_not_the_row(case, tmp_path):
    table, file, row, column, reason, value = FIELD_ISSUES[case]
    manifest, tables = run(case, tmp_path)
    assert tables["quarantine"].empty
    issues = pd.read_parquet(tmp_path / case / "field_issues.parquet")
    assert len(issues) == 1, issues
    got = issues.iloc[0]
    assert (got.table, got.file, got.row, got.column, got.reason, got.value) == \
           (table, f"2023-2024-1/{file}", row, column, reason, value)
    assert manifest["totals"][table]["rows_quarantined"] == 0
    assert len(tables["enrolment"]) == manifest["totals"][table]["rows_read"]


@pytest.mark.parametrize("case", sorted(QUARANTINED))
def test_bad_rows_go_to_quarantine_with_reason_and_place(case, tmp_path):
    table, file, row, column, reason, value = QUARANTINED[case]
    manifest, tables = run(case, tmp_path)
    q = tables["quarantine"]
    assert len(q) == 1, q
    got = q.iloc[0]
    assert (got.table, got.file, got.row, got.column, got.reason, got.value) == \
           (table, f"2023-2024-1/{file}", row, column, reason, value)
    assert manifest["totals"][table]["rows_quarantined"] == 1


def test_household_unmapped_relation_and_months_out_of_range(tmp_path):
    """Only the field is lost: the relation 干爹 and the 15 months become unknown, the rows stay."""
    _, tables = run("household_problems", tmp_path)
    assert tables["quarantine"].empty
    q = pd.read_parquet(tmp_path / "household_problems" / "field_issues.parquet").set_index("row")
    assert q.loc[3, "reason"] == "unmapped_label" and q.loc[3, "value"] == "干爹"
    assert q.loc[4, "reason"] == "out_of_range" and q.loc[4, "column"] == "父亲外出时长(月)"
    h = tables["households"]
    assert len(h) == 3 and h.guardian_relation.isna().sum() == 1 and h.father_months_away.isna().sum() == 1
    assert (h.care_type == "grandparents").sum() >= 1


def test_score_problems_quarantine_only_the_bad_cell(tmp_path):
    _, tables = run("score_999", tmp_path)
    exams = tables["exams"]
    assert len(exams) == 11  # 3 pupils x 4 subject columns, less the one bad cell
    assert exams[exams.subject == "math"].score.max() == 90


def test_absence_markers_become_missing_with_reason_never_zero(tmp_path):
    _, tables = run("absence_markers", tmp_path)
    chinese = tables["exams"][tables["exams"].subject == "chinese"]
    assert chinese.score.isna().all()
    assert sorted(chinese.absence_reason) == sorted(["absent", "absent", "absent", "not_scanned", "no_score",
                                                     "not_ranked"])


@pytest.mark.parametrize("case, encoding", [("gbk_csv", "gbk"), ("gb18030_csv", "gb18030"),
                                            ("utf8_no_bom_csv", "utf-8"), ("duplicate_row", "utf-8-sig")])
def test_csv_encodings_are_detected_and_reported(case, encoding, tmp_path):
    manifest, tables = run(case, tmp_path)
    assert manifest["files"][0]["encoding"] == encoding
    assert len(tables["enrolment"]) == 3


def test_header_only_file_gives_empty_tables(tmp_path):
    manifest, tables = run("header_only", tmp_path)
    assert manifest["files"][0]["tables"]["enrolment"]["rows_read"] == 0
    assert len(tables["enrolment"]) == 0 and len(tables["pupils"]) == 0
    assert "care: there is no family survey" in " ".join(manifest["analyses_without_data"])


def test_merged_cells_everywhere(tmp_path):
    """Title merged over two rows, two-row header with group and vertical
    merges, and the 班级 cell merged down all three pupils."""
    _, tables = run("merged_everywhere", tmp_path)
    exams = tables["exams"]
    assert len(exams) == 9 and set(exams.subject) == {"chinese", "math", "total"}
    assert (exams.grade == 7).all() and (exams.class_no == 1).all()
    assert sorted(exams[exams.subject == "total"].class_rank_reported) == [1.0, 1.0, 3.0]


def test_blank_rows_and_a_sheet_claiming_16384_columns(tmp_path):
    manifest, tables = run("blank_rows_and_wide_columns", tmp_path)
    assert len(tables["enrolment"]) == 3
    assert manifest["files"][0]["empty_rows_dropped"] >= 2


def test_a_class_with_one_pupil_is_kept(tmp_path):
    _, tables = run("class_with_one_pupil", tmp_path)
    assert len(tables["enrolment"]) == 1


def test_identical_duplicate_headers_are_used_once(tmp_path):
    manifest, tables = run("duplicate_headers_same", tmp_path)
    assert len(tables["enrolment"]) == 3 and manifest["files"][0]["unknown_columns"] == []


def test_unknown_columns_are_reported_not_used(tmp_path):
    manifest, tables = run("unknown_column", tmp_path)
    assert manifest["files"][0]["unknown_columns"] == ["身高"]
    assert "身高" not in " ".join(tables["enrolment"].columns)


def test_a_notes_sheet_without_a_table_is_listed(tmp_path):
    manifest, tables = run("notes_sheet", tmp_path)
    assert manifest["files"][0]["sheets_without_a_table"] == ["说明"]
    assert len(tables["enrolment"]) == 3


def test_id_number_problems_are_flagged_not_fixed(tmp_path):
    _, tables = run("id_number_problems", tmp_path)
    checks = tables["pupils"].sort_values("pupil_key").id_number_check
    assert sorted(checks) == ["bad_check_digit", "birth_date_mismatch", "gender_mismatch"]


def test_leading_zeros_lost_by_numeric_cells_are_restored(tmp_path):
    _, tables = run("leading_zeros_lost", tmp_path)
    expected = pseudonyms(pd.Series(["一中|0120230001", "一中|0120230002", "一中|0120230003"]), KEY.encode(), "P")
    assert sorted(tables["pupils"].pupil_key) == sorted(expected)


def test_one_sheet_per_class_takes_the_class_from_the_sheet_name(tmp_path):
    _, tables = run("per_class_sheets", tmp_path)
    classes = tables["exams"].drop_duplicates("pupil_key").class_no.value_counts().sort_index()
    assert classes.to_dict() == {1: 3, 2: 1}


def test_full_width_digits_and_stray_spaces(tmp_path):
    _, tables = run("fullwidth_and_spaces", tmp_path)
    exams = tables["exams"].set_index("subject")
    assert exams.loc["chinese", "score"] == 88.5 and exams.loc["chinese", "class_no"] == 1
    assert tables["pupils"].pupil_key.item() == pseudonyms(pd.Series(["一中|0120230001"]), KEY.encode(), "P").item()


def test_the_school_comes_from_a_school_column_when_there_is_one(tmp_path):
    _, tables = run("school_column", tmp_path)
    assert tables["pupils"].school.tolist() == ["第一中学"]
    assert tables["pupils"].pupil_key.item() == pseudonyms(pd.Series(["第一中学|0120230001"]), KEY.encode(), "P").item()


def test_legacy_xls_workbook(tmp_path):
    manifest, tables = run("legacy_xls", tmp_path)
    assert manifest["files"][0]["format"] == "xls"
    assert len(tables["enrolment"]) == 3
    assert (tables["pupils"].birth_month == "2011-03").all()


def test_the_corpus_is_large_enough_and_every_case_is_tested():
    cases = {p.name for p in CASES.iterdir()}
    assert len(cases) >= 25
    tested = set(ERRORS) | set(NOT_USED) | {"unsupported_format"} | set(QUARANTINED) | set(FIELD_ISSUES) | {
        "household_problems", "absence_markers", "gbk_csv", "gb18030_csv", "utf8_no_bom_csv", "header_only",
        "merged_everywhere", "blank_rows_and_wide_columns", "class_with_one_pupil", "duplicate_headers_same",
        "unknown_column", "notes_sheet", "id_number_problems", "leading_zeros_lost", "per_class_sheets",
        "fullwidth_and_spaces", "legacy_xls", "school_column"}
    assert cases == tested


def test_cli_prints_one_sentence_without_traceback(tmp_path):
    liushou = Path(sys.executable).parent / "liushou"
    out = subprocess.run([str(liushou), "clean", str(CASES / "truncated_xlsx"), "--out", str(tmp_path / "o"),
                          "--strict"],
                         capture_output=True, text=True, env={"LIUSHOU_KEY": KEY, "PATH": "/usr/bin:/bin"})
    assert out.returncode == 2
    assert "cannot be opened" in out.stderr and "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("liushou")]
    assert len(errors) == 1 and errors[0] == out.stderr.strip().splitlines()[-1]
