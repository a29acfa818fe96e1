"""`liushou payouts` (scoring/payouts.py, cleaning.pipeline.key_directory): the accountant's list with names.

Hand-made school files: a roster with grade and class apart, GBK exam CSVs for both semesters, a legacy .xls
pairing list of a teacher known by name and phone, and a class list naming the head teacher."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from liushou_analysis.scoring.payouts import INTERNAL, TITLE

from . import schoolfiles as sf
from .cli_runner import liushou

KEY = "payouts-test-key-0123456789abcdef"
PUPILS = [(f"2024{i:03d}", n) for i, n in enumerate(["张小明", "李晓红", "王大伟", "赵丽丽", "孙志强", "周美玲"], 1)]


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("payouts")
    for term, title, bump in (("2024年秋季学期", "第一学期", 0), ("2025年春季学期", "第二学期", 1)):
        t = root / "raw" / term / "红岩中学"
        sf.xlsx(t / "学生花名册.xlsx", ["学号", "姓名", "性别", "年级", "班级"],
                [[no, name, "男", "七年级", "1班"] for no, name in PUPILS], titles=[f"红岩中学2024-2025学年{title}学生花名册"])
        # the paired pupils (the first three) fall behind in semester 1 and rise in semester 2
        sf.csv_file(t / "期末成绩.csv", ["学号", "姓名", "年级", "班级", "总分"],
                    [[no, name, "初一", "1班", 300 + (40 - 10 * i if bump and i < 3 else 10 * i)]
                     for i, (no, name) in enumerate(PUPILS)], encoding="gbk")
        sf.xls(t / "结对帮扶名单.xls", ["帮扶人", "职务", "联系电话", "学生姓名", "班级"],
               [["王老师", "班主任", "13800000001", name, "七年级1班"] for _, name in PUPILS[:3]])
        sf.xlsx(t / "班级名单.xlsx", ["年级", "班级", "班主任", "班额"], [["七年级", "1班", "李老师", 6]])
        sf.html_as_xls(t / "留守儿童登记表.xls", ["学号", "姓名", "班级", "父亲是否外出", "母亲是否外出"],
                       [[no, name, "七年级1班", "是", "否"] for no, name in PUPILS], titles=["红岩中学留守儿童登记表"])
    env = {"LIUSHOU_KEY": KEY}
    assert liushou("clean", root / "raw", "--out", root / "clean", env=env).returncode in (0, 3)
    r = liushou("score", "--data", root / "clean", "--out", root / "scores", env=env)
    assert r.returncode == 0, r.stderr
    return root


def test_names_sit_beside_keys_and_amounts(county, tmp_path):
    out = tmp_path / "private" / "发放名单.xlsx"
    r = liushou("payouts", "--data", county / "raw", "--scores", county / "scores", "--out", out,
                env={"LIUSHOU_KEY": KEY})
    assert r.returncode == 0, r.stderr
    book = openpyxl.load_workbook(out)
    assert book.properties.title == TITLE
    helpers = pd.read_excel(out, sheet_name="帮扶人 helpers", header=1, engine="openpyxl")
    scored = pd.read_csv(county / "scores" / "helper_points.csv", encoding="utf-8-sig")
    assert helpers.set_index("helper_id").loc[scored.helper_id[scored.yuan > 0], "姓名"].eq("王老师").all()
    pupils = pd.read_excel(out, sheet_name="学生奖励 pupils", header=1, engine="openpyxl")
    awards = pd.read_csv(county / "scores" / "pupil_awards.csv", encoding="utf-8-sig")
    assert len(pupils) == int((awards.award_total_yuan != 0).sum()) and set(pupils["姓名"]) <= {n for _, n in PUPILS}
    for ws in book:  # every sheet opens with the 内部资料 line
        assert ws.cell(1, 1).value == INTERNAL
    heads = pd.read_excel(out, sheet_name="班主任 head teachers", header=1, engine="openpyxl")
    assert len(heads) and heads["姓名"].eq("李老师").all()
    # a rerun may replace its own workbook, never a file it did not write
    assert liushou("payouts", "--data", county / "raw", "--scores", county / "scores", "--out", out,
                   env={"LIUSHOU_KEY": KEY}).returncode == 0
    mine = tmp_path / "private" / "我的表.xlsx"
    mine.write_bytes(b"mine")
    r = liushou("payouts", "--data", county / "raw", "--scores", county / "scores", "--out", mine,
                env={"LIUSHOU_KEY": KEY})
    assert r.returncode == 2 and mine.read_bytes() == b"mine"


def test_refused_without_the_key_or_with_another(county, tmp_path):
    out = tmp_path / "发放名单.xlsx"
    r = liushou("payouts", "--data", county / "raw", "--scores", county / "scores", "--out", out,
                env={"LIUSHOU_KEY": None, "HOME": str(tmp_path)})
    assert r.returncode == 2 and "key" in r.stderr and not out.exists()
    r = liushou("payouts", "--data", county / "raw", "--scores", county / "scores", "--out", out,
                env={"LIUSHOU_KEY": "another-key-entirely-0123456789"})
    assert r.returncode == 2 and "another key" in r.stderr and not out.exists()


@pytest.mark.parametrize("where", ["clean", "scores", "raw", "report"])
def test_never_written_where_others_read_or_publish(county, tmp_path, where):
    report = tmp_path / "report"
    report.mkdir()
    (report / ".liushou-output").write_text('{"tool": "liushou", "kind": "report"}\n', encoding="utf-8")
    folder = report if where == "report" else county / where
    out = folder / "发放名单.xlsx"
    r = liushou("payouts", "--data", county / "raw", "--scores", county / "scores", "--out", out,
                env={"LIUSHOU_KEY": KEY})
    assert r.returncode == 2 and "private" in r.stderr and not out.exists()
