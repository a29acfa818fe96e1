"""`liushou export` (report/export.py): clean tables for Excel, Stata and SPSS with Chinese labels, and the BOM on
every CSV the tool writes.

The inputs are made by hand as a school keeps them: a roster with grade and class in separate columns, a GBK CSV
of exam scores, a register saved as HTML with an .xls name, and a legacy .xls pairing list."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.core import codebook
from liushou_analysis.store import CleanStore

from . import schoolfiles as sf
from .cli_runner import liushou

PUPILS = [(f"2024{i:03d}", n) for i, n in enumerate(["张小明", "李晓红", "王大伟", "赵丽丽", "孙志强", "周美玲"], 1)]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("export")
    t = root / "raw" / "2024年秋季学期" / "红岩中学"
    sf.xlsx(t / "学生花名册.xlsx", ["学号", "姓名", "性别", "出生年月", "年级", "班级"],
            [[no, name, "男" if i % 2 else "女", "2012.03", "七年级", f"{1 + i % 2}班"] for i, (no, name) in
             enumerate(PUPILS)], titles=["红岩中学2024-2025学年第一学期学生花名册"])
    sf.csv_file(t / "期末成绩.csv", ["学号", "姓名", "年级", "班级", "语文", "数学", "总分"],
                [[no, name, "初一", f"{1 + i % 2}班", 80 + i, 70 + i, 150 + 2 * i] for i, (no, name) in
                 enumerate(PUPILS)], encoding="gbk")
    sf.html_as_xls(t / "留守儿童登记表.xls", ["学号", "姓名", "班级", "父亲是否外出", "母亲是否外出", "与监护人关系",
                                          "监护人健康状况"],
                   [[no, name, f"七年级{1 + i % 2}班", "是", "是" if i % 2 else "否", "祖母" if i % 2 else "母亲", "健康"]
                    for i, (no, name) in enumerate(PUPILS)], titles=["红岩中学留守儿童登记表"])
    sf.xls(t / "结对帮扶名单.xls", ["帮扶人", "职务", "联系电话", "学生姓名", "班级"],
           [["王老师", "班主任", "13800000001", name, "七年级1班"] for _, name in PUPILS[:3]])
    with pytest.MonkeyPatch.context() as mp:  # a school's own key, as real data needs
        mp.setenv("LIUSHOU_KEY", "export-test-key-0123456789abcdef")
        clean_dataset(root / "raw", root / "clean")
    return root / "clean"


def test_export_writes_every_table_in_three_formats_with_chinese_labels(clean, tmp_path):
    import pyreadstat

    out = tmp_path / "exports"
    r = liushou("export", "--data", clean, "--out", out)
    assert r.returncode == 0, r.stderr
    store = CleanStore(clean)
    tables = [t for t in ("pupils", "enrolment", "exams", "households", "pairings") if store.has(t)]
    assert {p.name for p in out.glob("*.dta")} >= {f"{t}.dta" for t in tables}
    households = store.table("households")
    # Stata: value labels give the Chinese words, variable labels the Chinese column names
    dta = pd.read_stata(out / "households.dta")
    assert len(dta) == len(households)
    health = households.guardian_health.map(lambda c: codebook.preferred_label("health", c))
    assert dta.guardian_health.astype(str).tolist() == health.tolist()
    assert set(dta.father_away.astype(str)) <= {"是", "否"}
    with pd.io.stata.StataReader(out / "households.dta") as reader:
        labels = reader.variable_labels()
    assert labels["father_away"] == "父亲是否外出务工" and labels["pupil_key"] == "学生编码（化名）"
    # SPSS: the same labels through pyreadstat
    sav, meta = pyreadstat.read_sav(out / "households.sav", apply_value_formats=True)
    assert sav.guardian_health.tolist() == health.tolist()
    assert meta.column_names_to_labels["term"] == "学期"
    # Excel: Chinese headers, codes shown as their labels, and a sheet describing every column
    book = openpyxl.load_workbook(out / "clean_tables.xlsx", read_only=True)
    assert book.sheetnames[0] == "变量说明" and "households" in book.sheetnames
    header = [c.value for c in next(book["households"].iter_rows(max_row=1))]
    assert "父亲是否外出务工 (father_away)" in header and "pupil_key" not in header
    # the keys are pseudonyms: no name of the hand-made files reaches an export
    text = b"".join(p.read_bytes() for p in out.glob("*.dta"))
    assert not any(name.encode("utf-8") in text for _, name in PUPILS)


def test_export_refuses_what_it_must_not_write(clean, tmp_path):
    r = liushou("export", "--data", clean, "--out", tmp_path / "x", "--format", "pdf")
    assert r.returncode == 2 and "--format" in r.stderr and "Traceback" not in r.stderr
    r = liushou("export", "--data", clean, "--out", clean / "exports")  # inside the clean dataset
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = liushou("export", "--data", tmp_path / "nowhere", "--out", tmp_path / "y")
    assert r.returncode == 2 and "liushou clean" in r.stderr
    own = tmp_path / "mine"
    own.mkdir()
    (own / "thesis.docx").write_bytes(b"mine")
    r = liushou("export", "--data", clean, "--out", own, "--format", "dta")
    assert r.returncode == 2 and (own / "thesis.docx").read_bytes() == b"mine"


def test_a_missing_extra_is_named_in_one_sentence():
    from liushou_analysis.cli import needs_extra
    from liushou_analysis.core.errors import UserError

    with pytest.raises(UserError, match=r"pip install 'liushou_analysis\[export\]'"):
        needs_extra("export", ("a_module_that_is_not_installed",))


def test_every_csv_the_tool_writes_starts_with_a_bom(clean, tmp_path):
    """Excel shows Chinese in a double-clicked CSV only with the UTF-8 byte-order mark: the inventory (Chinese file
    names) and the score outputs (report tables are checked in test_report)."""
    raw = clean.parent / "raw"
    assert liushou("inventory", raw, "--out", tmp_path / "inventory.csv").returncode == 0
    csvs = [tmp_path / "inventory.csv"]
    assert "红岩中学" in (tmp_path / "inventory.csv").read_text(encoding="utf-8-sig")
    from .test_scoring_io import CLASSES, CONDUCT, PAIRINGS, SCORES, inputs, write

    paths = write(tmp_path, scores=SCORES, pairings=PAIRINGS, conduct=CONDUCT, classes=CLASSES)
    assert liushou("score", *inputs(paths), "--out", tmp_path / "scores").returncode == 0
    csvs += sorted((tmp_path / "scores").glob("*.csv"))
    assert len(csvs) > 3 and all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in csvs)
