"""Fault injection: the tool on a school's real folder, used carelessly or
attacked (liushou_analysis/outputs.py, cleaning/pseudonym.py, readers).

Each test reproduces a case that used to delete, overwrite or corrupt
something, or to switch on the demo key, and checks that it now stops with
one sentence and leaves every file as it was.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from liushou_analysis.cleaning import pseudonym
from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.core import outputs
from liushou_analysis.core.errors import UserError

from . import schoolfiles as sf
from .cli_runner import liushou

KEY = "safety-test-key-0123456789abcdef"


def run(*args, env_key: str | None = KEY):
    return liushou(*args, env={"LIUSHOU_KEY": env_key, "LIUSHOU_KEY_FILE": "/nonexistent/key"})


def school_folder(root: Path) -> Path:
    """A school's real-looking raw dataset: one term, a roster and an exam table."""
    term = root / "2024-2025-1" / "东山中学"
    pupils = [(f"2024{i:03d}", f"学生{i}") for i in range(1, 13)]
    sf.xlsx(term / "学生花名册.xlsx", ["学号", "姓名", "性别", "班级"], [[n, m, "男", "七年级1班"] for n, m in pupils])
    sf.xlsx(term / "七年级期末成绩.xlsx", ["学号", "姓名", "班级", "语文", "数学", "总分"],
            [[n, m, "七年级1班", 80, 70 + i, 150 + i] for i, (n, m) in enumerate(pupils)])
    return root


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its checksum: what must not change."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("LIUSHOU_KEY", KEY)


# --- 1. nothing the tool did not write is deleted or overwritten ---------------------------------------

def test_report_out_a_checkout_or_project_folder_is_refused_and_nothing_deleted(tmp_path, sample_dir):
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / "notebooks").mkdir()
    (project / "notebooks" / "analysis.ipynb").write_text("{}")
    (project / "index.html").write_text("<p>my thesis site</p>")
    (project / "thesis.docx").write_bytes(b"years of work")
    before = digest(project)
    r = run("report", "--data", sample_dir, "--clean", tmp_path / "clean", "--out", project)
    assert r.returncode == 2 and "liushou did not write" in r.stderr and "Traceback" not in r.stderr
    assert digest(project) == before


def test_synth_out_real_exports_with_a_planted_truth_file_is_refused(tmp_path):
    raw = school_folder(tmp_path / "exports")
    (raw / "_truth").mkdir()
    (raw / "_truth" / "truth.json").write_text("")
    before = digest(raw)
    r = run("synth", "--out", raw, "--schools", "1", "--years", "1")
    assert r.returncode == 2 and "liushou did not write" in r.stderr
    assert digest(raw) == before


def test_inventory_out_a_raw_file_is_refused(tmp_path):
    raw = school_folder(tmp_path / "raw")
    target = raw / "2024-2025-1" / "东山中学" / "学生花名册.xlsx"
    before = digest(raw)
    r = run("inventory", raw, "--out", target)
    assert r.returncode == 2 and "choose a folder outside the raw data" in r.stderr
    other = tmp_path / "notes.csv"
    other.write_text("my,own\nnotes,here\n")
    r = run("inventory", raw, "--out", other)
    assert r.returncode == 2 and "liushou did not write" in r.stderr
    assert digest(raw) == before and other.read_text() == "my,own\nnotes,here\n"


@pytest.mark.parametrize("command", ["clean", "score"])
def test_outputs_inside_a_raw_term_folder_are_refused(tmp_path, command, key):
    raw = school_folder(tmp_path / "raw")
    inside = raw / "2024-2025-1" / "东山中学" / "output"
    before = digest(raw)
    if command == "clean":
        r = run("clean", raw, "--out", inside)
    else:
        clean_dataset(raw, tmp_path / "clean")
        r = run("score", "--data", tmp_path / "clean", "--out", inside)
    assert r.returncode == 2 and "choose a folder outside the raw data" in r.stderr.lower(), r.stderr
    assert digest(raw) == before and not inside.exists()


def test_clean_out_a_folder_with_a_users_manifest_is_refused(tmp_path, key):
    raw = school_folder(tmp_path / "raw")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "manifest.json").write_text('{"my": "shipping list"}')
    with pytest.raises(UserError, match="liushou did not write"):
        clean_dataset(raw, mine)
    assert (mine / "manifest.json").read_text() == '{"my": "shipping list"}'


def test_an_output_folder_with_a_stranger_inside_is_not_replaced(tmp_path, key):
    raw = school_folder(tmp_path / "raw")
    out = tmp_path / "clean"
    clean_dataset(raw, out)
    (out / "my_notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="my_notes.txt"):
        clean_dataset(raw, out)
    assert (out / "my_notes.txt").read_text() == "keep me"


# --- 2. atomic, consistent outputs ---------------------------------------------------------------------

def test_a_failed_clean_leaves_the_previous_tables_and_no_temporary_folder(tmp_path, key, monkeypatch):
    raw = school_folder(tmp_path / "raw")
    out = tmp_path / "clean"
    clean_dataset(raw, out)
    before = digest(out)
    import pyarrow.parquet as pq

    calls = {"n": 0}
    real = pq.ParquetWriter.write_table

    def dies_on_the_third(self, *a, **kw):  # the process dies half-way through writing the tables
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, *a, **kw)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        clean_dataset(raw, out)
    assert digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_truncated_table_is_caught_by_its_checksum(tmp_path, key):
    from liushou_analysis.report.runner import stale_reason
    from liushou_analysis.store import CleanStore

    raw = school_folder(tmp_path / "raw")
    out = tmp_path / "clean"
    manifest = clean_dataset(raw, out)
    assert set(manifest["checksums"]) >= {"exams.parquet", "quarantine.xlsx"}
    exams = out / "exams.parquet"
    exams.write_bytes(exams.read_bytes()[: exams.stat().st_size // 2])  # killed while writing
    assert "exams.parquet is not the file liushou clean wrote" in stale_reason(raw, out)
    with pytest.raises(UserError, match="run liushou clean again"):
        CleanStore(out).table("exams")
    r = run("score", "--data", out, "--out", tmp_path / "scores")
    assert r.returncode == 2 and "run liushou clean again" in r.stderr and "Traceback" not in r.stderr


def test_a_second_run_on_the_same_folder_stops_with_a_sentence(tmp_path, key):
    out = tmp_path / "clean"
    with outputs.lock(out):
        r = run("clean", school_folder(tmp_path / "raw"), "--out", out)
    assert r.returncode == 2 and "another liushou run is writing" in r.stderr
    # a lock left by a run that no longer exists is taken over
    lock = tmp_path / ".clean.lock"
    lock.write_text("999999999")
    clean_dataset(tmp_path / "raw", out)
    assert not lock.exists() and (out / "exams.parquet").exists()


def test_an_interrupted_report_leaves_the_previous_report(tmp_path, sample_dir, sample_clean):
    from liushou_analysis.report.runner import NotebookFailed, run_report

    clean, _ = sample_clean
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    good = ("# %% tags=[\"parameters\"]\ndataset = None\nterm = None\nraw_dir = None\nclean_dir = None\n"
            "report_dir = None\nmin_cell = 10\n\n# %%\nprint('fine')\n")
    (nbdir / "00_fine.py").write_text(good, encoding="utf-8")
    out = tmp_path / "report"
    run_report(sample_dir, clean_dir=clean, out_dir=out, notebooks=nbdir, progress=lambda m: None)
    before = digest(out)
    (nbdir / "01_broken.py").write_text(good + "\n# %%\nraise ValueError('planted failure')\n", encoding="utf-8")
    with pytest.raises(NotebookFailed, match="planted failure") as err:
        run_report(sample_dir, clean_dir=clean, out_dir=out, notebooks=nbdir, progress=lambda m: None)
    assert digest(out) == before
    kept = Path(str(err.value).rsplit("traceback is ", 1)[1].rstrip("."))
    assert kept.exists() and kept.parent == tmp_path  # the failed notebook is kept beside, for reading


# --- 4. the demo key and the key ------------------------------------------------------------------------

def test_an_empty_truth_file_beside_real_data_does_not_switch_on_the_demo_key(tmp_path):
    raw = school_folder(tmp_path / "raw")
    (raw / "_truth").mkdir()
    (raw / "_truth" / "truth.json").write_text("")
    r = run("clean", raw, "--out", tmp_path / "clean", env_key=None)
    assert r.returncode == 2 and "no pseudonymisation key" in r.stderr and "not a synthetic county" in r.stderr
    assert not (tmp_path / "clean").exists()


def test_a_changed_synthetic_county_loses_the_demo_key(tmp_path):
    from liushou_analysis.synth.generate import synthesize

    county = tmp_path / "county"
    synthesize(county, seed=5, n_schools=1, n_years=1)
    assert pseudonym.is_synthetic(county)
    assert pseudonym.load_key(county)[0] == pseudonym.DEMO_KEY or os.environ.get("LIUSHOU_KEY")
    term = next(p for p in county.iterdir() if p.name.startswith("2023"))
    sf.xlsx(term / "真实学生.xlsx", ["学号", "姓名"], [["1", "张三"]])  # real records dropped into it
    assert not pseudonym.is_synthetic(county)


@pytest.mark.parametrize("value", ["a", "short-key", "   ", "liushou-demo-key-for-synthetic-data-only"])
def test_weak_keys_are_refused_from_the_environment_and_the_key_file(tmp_path, monkeypatch, value):
    monkeypatch.setenv("LIUSHOU_KEY", value)
    with pytest.raises(UserError, match="key"):
        pseudonym.load_key(tmp_path)
    monkeypatch.delenv("LIUSHOU_KEY")
    keyfile = tmp_path / "key"
    keyfile.write_text(value + "\n")
    monkeypatch.setenv("LIUSHOU_KEY_FILE", str(keyfile))
    with pytest.raises(UserError, match="key"):
        pseudonym.load_key(tmp_path)


def test_whitespace_around_a_key_is_removed_the_same_way_everywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUSHOU_KEY", KEY + "\n")
    from_env = pseudonym.load_key(tmp_path)[0]
    monkeypatch.delenv("LIUSHOU_KEY")
    keyfile = tmp_path / "key"
    keyfile.write_text("  " + KEY + "\r\n")
    monkeypatch.setenv("LIUSHOU_KEY_FILE", str(keyfile))
    assert pseudonym.load_key(tmp_path)[0] == from_env == KEY.encode()


# --- 6. Excel error cells and implausible values ----------------------------------------------------------

def _error_book(path: Path, header, rows, errors: dict[str, str]) -> Path:
    """An .xlsx whose cells in ``errors`` (A1 address -> #N/A ...) are Excel error values, as a failed
    formula leaves them."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    for address, err in errors.items():
        ws[address] = err
        ws[address].data_type = "e"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def test_excel_error_cells_are_errors_not_absences(tmp_path, key):
    raw = tmp_path / "raw"
    term = raw / "2024-2025-1" / "东山中学"
    pupils = [(f"2024{i:03d}", f"学生{i}") for i in range(1, 7)]
    sf.xlsx(term / "学生花名册.xlsx", ["学号", "姓名", "性别", "班级"], [[n, m, "男", "七年级1班"] for n, m in pupils])
    _error_book(term / "七年级期末成绩.xlsx", ["学号", "姓名", "班级", "语文", "数学", "总分"],
                [[n, m, "七年级1班", 80, 70, 150] for n, m in pupils], {"D3": "#N/A", "F4": "#DIV/0!"})
    manifest = clean_dataset(raw, tmp_path / "clean")
    q = pd.read_parquet(tmp_path / "clean" / "quarantine.parquet")
    errors = q[q.reason == "excel_error"]
    assert sorted(errors.row.tolist()) == [3, 4] and set(errors.column) == {"语文", "总分"}
    exams = pd.read_parquet(tmp_path / "clean" / "exams.parquet")
    assert not exams.absence_reason.eq("blank").any()  # never read as an empty (absent) cell
    t = manifest["totals"]["exams"]
    assert t["rows_read"] == t["rows_kept"] + t["rows_quarantined"]


@pytest.mark.parametrize("bad, message", [("#N/A", "Excel error"), (99999, "above 1500")])
def test_score_refuses_error_and_implausible_totals(tmp_path, bad, message):
    scores = [[f"s{i}", "7-1", 1, sem, 500 - 10 * i] for sem in (1, 2) for i in range(1, 8)]
    errors = {}
    if isinstance(bad, str):
        errors = {"E9": bad}  # s1's semester-2 total is a failed formula
    else:
        scores[7][4] = bad
    book = _error_book(tmp_path / "scores.xlsx", ["pupil_id", "class_id", "school_year", "semester", "total_score"],
                       scores, errors)
    (tmp_path / "pairings.csv").write_text("helper_id,helper_role,pupil_id,school_year\nv1,volunteer,s2,1\n")
    (tmp_path / "conduct.csv").write_text("pupil_id,school_year,serious_violation,three_good\ns2,1,0,0\n")
    (tmp_path / "classes.csv").write_text("class_id,school_year,head_teacher_id\n7-1,1,h1\n")
    r = run("score", "--scores", book, "--pairings", tmp_path / "pairings.csv", "--conduct",
            tmp_path / "conduct.csv", "--classes", tmp_path / "classes.csv", "--out", tmp_path / "out")
    assert r.returncode == 2 and message in r.stderr and "row 9" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


# --- 5. personal data in the wrong columns ---------------------------------------------------------------

def test_personal_data_in_wrong_columns_never_leaves_the_raw_layer(tmp_path, key):
    """An ID number typed into 出生年月, a name into 性别, a phone into 父亲务工地, and a header cell holding a
    name and an ID number: none of them reaches the clean folder, as files or as text."""
    raw = tmp_path / "raw"
    term = raw / "2024-2025-1" / "东山中学"
    pid, phone, header_id = "430102201201011234", "13912345678", "430102198001015678"
    pupils = [(f"2024{i:03d}", n) for i, n in enumerate(["张小明", "李晓红", "王大伟", "赵丽丽", "孙志强", "周美玲"], 1)]
    roster = [[no, name, "男", "2012-01", "七年级1班"] for no, name in pupils]
    roster[1][3] = pid           # an ID number in 出生年月
    roster[2][2] = "李晓红"        # another pupil's name in 性别
    sf.xlsx(term / "学生花名册.xlsx", ["学号", "姓名", "性别", "出生年月", "班级"], roster)
    sf.xlsx(term / "留守儿童登记表.xlsx",
            ["学号", "姓名", "班级", "留守类型", "父亲务工地", f"备注 张小明{header_id}"],
            [[no, name, "七年级1班", "父母双方外出", f"广东东莞 {phone}", ""] for no, name in pupils])
    clean_dataset(raw, tmp_path / "clean")
    text = "".join(p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "clean").glob("*.json"))
    frames = [pd.read_parquet(p) for p in (tmp_path / "clean").glob("*.parquet")]
    text += "".join(f.astype(str).to_csv() for f in frames)
    for secret in (pid, phone, header_id, "李晓红", "备注张小明"):
        assert secret not in text, secret
    q = pd.read_parquet(tmp_path / "clean" / "quarantine.parquet")
    issues = pd.read_parquet(tmp_path / "clean" / "field_issues.parquet")
    assert "<证件号已隐去>" in set(issues.value) | set(q.value)


def test_score_never_echoes_a_data_row(tmp_path):
    data = tmp_path / "scores.csv"
    data.write_text("pupil_id,class_id,张小明,430102201201011234,13912345678\ns1,7-1,1,1,500\n", encoding="utf-8")
    for name in ("pairings", "conduct", "classes"):
        (tmp_path / f"{name}.csv").write_text("x\n")
    r = run("score", "--scores", data, "--pairings", tmp_path / "pairings.csv", "--conduct",
            tmp_path / "conduct.csv", "--classes", tmp_path / "classes.csv", "--out", tmp_path / "out")
    assert r.returncode == 2 and "430102201201011234" not in r.stderr and "13912345678" not in r.stderr, r.stderr


# --- 8. the small cases -----------------------------------------------------------------------------------

def test_term_folders_are_matched_after_trimming_spaces(tmp_path, key):
    raw = school_folder(tmp_path / "raw")
    (raw / "2024-2025-1").rename(raw / "2024-2025-1 ")  # a trailing space, as Windows users type it
    manifest = clean_dataset(raw, tmp_path / "clean")
    assert manifest["terms"] == ["2024-2025-1"] and len(manifest["files"]) == 2
    (raw / "2024-2025-1").mkdir()  # and a clash: the same term twice
    sf.xlsx(raw / "2024-2025-1" / "东山中学" / "成绩.xlsx", ["学号", "姓名", "总分"], [["2024001", "甲", 1]])
    with pytest.raises(UserError, match="are both term 2024-2025-1"):
        clean_dataset(raw, tmp_path / "clean2")


def test_an_encrypted_workbook_is_named_as_encrypted(tmp_path, key):
    raw = school_folder(tmp_path / "raw")
    # the first bytes of an OLE2 file and the directory name Office gives an encrypted package (a real one
    # needs msoffcrypto, which is not a dependency)
    fake = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512) + "EncryptedPackage".encode("utf-16-le") + bytes(512)
    (raw / "2024-2025-1" / "东山中学" / "加密名单.xlsx").write_bytes(fake)
    manifest = clean_dataset(raw, tmp_path / "clean")
    reasons = [f["reason"] for f in manifest["files_not_used"]]
    assert any("protected with a password" in r for r in reasons), reasons


def test_a_big5_file_gets_an_encoding_message(tmp_path, key):
    raw = school_folder(tmp_path / "raw")
    text = "學號,姓名,班級,語文,總分\n2024001,學生一,七年級1班,80,150\n"
    (raw / "2024-2025-1" / "東山中學成績.csv").write_bytes(text.encode("big5"))
    manifest = clean_dataset(raw, tmp_path / "clean")
    reasons = [f["reason"] for f in manifest["files_not_used"]]
    assert any("Big5" in r for r in reasons), reasons


def test_dates_outside_the_school_years_are_not_kept(tmp_path, key):
    raw = school_folder(tmp_path / "raw")
    term = raw / "2024-2025-1" / "东山中学"
    sf.xlsx(term / "学生信息.xlsx", ["学号", "姓名", "性别", "出生日期", "班级"],
            [["2024001", "学生1", "男", "1900-01-01", "七年级1班"], ["2024002", "学生2", "男", "1950-05-01", "七年级1班"],
             ["2024003", "学生3", "女", "2012-05-01", "七年级1班"]])
    sf.xlsx(term / "联系记录.xlsx", ["学号", "姓名", "班级", "月份", "给父母打电话次数"],
            [["2024001", "学生1", "七年级1班", "1999-10", 4], ["2024002", "学生2", "七年级1班", "2099-10", 4],
             ["2024003", "学生3", "七年级1班", "2024-10", 4]])
    manifest = clean_dataset(raw, tmp_path / "clean")
    contacts = pd.read_parquet(tmp_path / "clean" / "contacts.parquet")
    assert contacts.month.tolist() == ["2024-10"]
    q = pd.read_parquet(tmp_path / "clean" / "quarantine.parquet")
    issues = pd.read_parquet(tmp_path / "clean" / "field_issues.parquet")
    assert (q.reason == "date_outside_school_year").sum() + (q.reason == "future_date").sum() >= 2
    assert (issues.reason == "implausible_birth_date").sum() == 2
    pupils = pd.read_parquet(tmp_path / "clean" / "pupils.parquet")
    assert pupils.birth_month.dropna().str[:4].astype(int).min() >= 2000
    t = manifest["totals"]["contacts"]
    assert t["rows_read"] == t["rows_kept"] + t["rows_quarantined"]


# --- 7. long cells ---------------------------------------------------------------------------------------

def test_a_long_cell_is_cut_in_free_text_and_reported_in_a_coded_field(tmp_path, key):
    """Reference: rawread.MAX_CELL (2,000 characters). The memory bound itself is benchmarks/long_cell.py."""
    from liushou_analysis.readers.rawread import MAX_CELL, TRUNCATED

    raw = school_folder(tmp_path / "raw")
    term = raw / "2024-2025-1" / "东山中学"
    sf.xlsx(term / "留守儿童登记表.xlsx", ["学号", "姓名", "班级", "留守类型", "父亲务工地", "性别"],
            [["2024001", "学生1", "七年级1班", "父母双方外出", "广东" + "长" * 32000, "男" * 5000],
             ["2024002", "学生2", "七年级1班", "父母双方外出", "浙江", "女"]])
    clean_dataset(raw, tmp_path / "clean")
    h = pd.read_parquet(tmp_path / "clean" / "households.parquet").set_index("pupil_key")
    kept = h.father_work_province.dropna()
    assert kept.str.len().max() <= MAX_CELL + len(TRUNCATED)
    issues = pd.read_parquet(tmp_path / "clean" / "field_issues.parquet")
    q = pd.read_parquet(tmp_path / "clean" / "quarantine.parquet")
    assert max(issues.value.str.len().max() if len(issues) else 0,
               q.value.str.len().max() if len(q) else 0) <= MAX_CELL + len(TRUNCATED)


def test_outputs_made_before_the_marker_are_still_replaced(tmp_path, key):
    """Clean tables written by an earlier version (no marker file) are recognised by their manifest."""
    raw = school_folder(tmp_path / "raw")
    out = tmp_path / "clean"
    clean_dataset(raw, out)
    (out / outputs.MARKER).unlink()
    clean_dataset(raw, out)
    assert (out / outputs.MARKER).exists()


def test_folder_litter_does_not_make_the_clean_tables_stale(tmp_path, key):
    from liushou_analysis.report.runner import stale_reason

    raw = school_folder(tmp_path / "raw")
    clean_dataset(raw, tmp_path / "clean")
    school = raw / "2024-2025-1" / "东山中学"
    (school / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (school / "~$学生花名册.xlsx").write_bytes(b"lock")
    (school / "Thumbs.db").write_bytes(b"thumbs")
    assert stale_reason(raw, tmp_path / "clean") is None


def test_cell_flags_agree_with_pandas_strings():
    """Second implementation of rawread._cell_flags (issue 26 made it one C-level call per cell): every cell as
    a pandas string, blank where missing or empty after strip, long past MAX_CELL. Whitespace of every kind
    a school file holds (full-width space, no-break space, tabs, line breaks), numbers, dates, None and NaN."""
    import datetime as dt

    import numpy as np

    from liushou_analysis.readers import rawread

    cells = np.array([["", " ", "\u3000", "\u00a0", "\t\n", "a", " b ", None],
                      [float("nan"), 0, 1.5, True, dt.datetime(2024, 9, 1), "x" * (rawread.MAX_CELL + 1),
                       "\u3000七年级\u3000", "x" * rawread.MAX_CELL]], dtype=object)
    blank, long = rawread._cell_flags(cells)
    flat = pd.Series(cells.ravel(), dtype=object)
    text = flat.astype("string")
    expected_blank = (flat.isna() | text.str.strip().eq("").fillna(True)).to_numpy(dtype=bool)
    expected_long = (text.str.len() > rawread.MAX_CELL).fillna(False).to_numpy(dtype=bool)
    assert blank.ravel().tolist() == expected_blank.tolist()
    assert long.ravel().tolist() == expected_long.tolist()
