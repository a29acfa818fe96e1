"""`liushou score` on hand-made inputs as an evaluator would write them
(liushou_analysis/scoring/contract.py and the CLI)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from .cli_runner import liushou

SCORES = """pupil_id,class_id,school_year,semester,total_score
s01,7-1,1,1,500
s02,7-1,1,1,490
s03,7-1,1,1,480
s04,7-1,1,1,470
s05,7-1,1,1,460
s06,7-1,1,1,450
s07,7-1,1,1,440
s08,7-1,1,1,430
s09,7-1,1,1,420
s10,7-1,1,1,410
s01,7-1,1,2,495
s02,7-1,1,2,480
s03,7-1,1,2,470
s04,7-1,1,2,460
s05,7-1,1,2,450
s06,7-1,1,2,440
s07,7-1,1,2,430
s08,7-1,1,2,420
s09,7-1,1,2,505
s10,7-1,1,2,
"""
PAIRINGS = """helper_id,helper_role,pupil_id,school_year
v1,volunteer,s09,1
v1,volunteer,s10,1
t1,教师,s05,1
"""
CONDUCT = """pupil_id,school_year,serious_violation,three_good
s09,1,0,1
s10,1,0,0
s05,1,1,0
"""
CLASSES = """class_id,school_year,head_teacher_id
7-1,1,h1
"""


def write(tmp: Path, **files) -> dict[str, Path]:
    paths = {}
    for name, text in files.items():
        paths[name] = tmp / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def run(*args):
    return liushou("score", *args)


def inputs(paths):
    return ["--scores", paths["scores"], "--pairings", paths["pairings"], "--conduct", paths["conduct"],
            "--classes", paths["classes"]]


def test_hand_made_csv_inputs(tmp_path):
    paths = write(tmp_path, scores=SCORES, pairings=PAIRINGS, conduct=CONDUCT, classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    helpers = pd.read_csv(tmp_path / "out" / "helper_points.csv").set_index("helper_id")
    # v1: s09 rose 9 -> 1 (80) + conduct 20 + three-good 10 = 110; s10 absent at the end: conduct 20 -> 130
    assert helpers.loc["v1", "points"] == 130 and helpers.loc["v1", "yuan"] == 130
    assert helpers.loc["t1", "helper_role"] == "teacher"  # 教师 mapped through the codebook
    awards = pd.read_csv(tmp_path / "out" / "pupil_awards.csv").set_index("pupil_id")
    assert awards.loc["s09", "award_total_yuan"] == 115
    book = openpyxl.load_workbook(tmp_path / "out" / "reward_points.xlsx")
    assert book.sheetnames == ["学生积分", "帮扶人奖励", "班主任奖励", "学生奖励", "审计记录", "计分规则"]  # the CSVs: machine names
    assert "Scored 3 pupil-years" in out.stdout


def test_scores_of_the_first_semester_only_have_nothing_to_score(tmp_path):
    """Hand-made, GBK as Excel saves CSV: only the semester-1 exam and no conduct records, so no clause has
    anything to pay on. The command says so, writes nothing and exits 3 (not usable), instead of a workbook
    of zeros. (With conduct records the conduct clauses pay: see the test above.)"""
    first = "\n".join(line for line in SCORES.splitlines() if ",1,2," not in line)
    paths = write(tmp_path, scores=first + "\n", pairings=PAIRINGS, conduct=CONDUCT.splitlines()[0] + "\n",
                  classes=CLASSES)
    paths["scores"].write_bytes(paths["scores"].read_text(encoding="utf-8").encode("gbk"))
    out = run(*inputs(paths), "--out", tmp_path / "out")
    assert out.returncode == 3 and "nothing to score" in out.stderr and "semester 1" in out.stderr
    assert not (tmp_path / "out").exists()


def test_xlsx_sheets_with_chinese_headers(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "成绩"
    sheet.append(["学号", "班级", "学年", "学期", "总分"])
    for line in SCORES.strip().splitlines()[1:]:
        pid, cls, year, sem, total = line.split(",")
        sheet.append([pid, cls, int(year), int(sem), float(total) if total else None])
    pairs = book.create_sheet("结对")
    pairs.append(["帮扶人编号", "帮扶人类型", "学号", "学年"])
    for line in PAIRINGS.strip().splitlines()[1:]:
        pairs.append(line.split(","))
    conduct = book.create_sheet("评优")
    conduct.append(["学号", "学年", "严重违纪", "三好学生"])
    conduct.append(["s09", 1, "否", "是"])
    conduct.append(["s10", 1, "无", "否"])
    conduct.append(["s05", 1, "有", "否"])
    classes = book.create_sheet("班级")
    classes.append(["班级", "学年", "班主任编号"])
    classes.append(["7-1", 1, "h1"])
    path = tmp_path / "inputs.xlsx"
    book.save(path)
    out = run("--scores", path, "--pairings", f"{path}#结对", "--conduct", f"{path}#评优", "--classes",
              f"{path}#班级", "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    helpers = pd.read_csv(tmp_path / "out" / "helper_points.csv").set_index("helper_id")
    assert helpers.loc["v1", "points"] == 130  # same answer as the CSV inputs


BAD = {
    "semester 3": (SCORES.replace("s01,7-1,1,2,495", "s01,7-1,1,3,495"), PAIRINGS,
                   "row 12: scores: semester must be 1 or 2"),
    "two classes in one exam": (SCORES + "s02,7-2,1,2,470\n", PAIRINGS,
                                "scores: the pupil is in two classes in one exam"),
    "duplicate row": (SCORES + "s03,7-1,1,2,470\n", PAIRINGS, "scores: duplicate row"),
    "pairing without scores": (SCORES, PAIRINGS + "v2,volunteer,s99,1\n", "row 5: pairings: the pupil has no scores"),
    "unknown helper role": (SCORES, PAIRINGS.replace("v1,volunteer,s10", "v1,干妈,s10"),
                            "pairings: helper_role is not in the codebook"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_inconsistent_inputs_are_refused_with_file_and_row(tmp_path, case):
    scores, pairings, message = BAD[case]
    paths = write(tmp_path, scores=scores, pairings=pairings, conduct=CONDUCT, classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert message in out.stderr and "nothing was scored" in out.stderr
    assert not (tmp_path / "out").exists()


def test_skip_bad_rows_scores_the_rest_and_lists_them(tmp_path):
    paths = write(tmp_path, scores=SCORES, pairings=PAIRINGS + "v2,volunteer,s99,1\n", conduct=CONDUCT,
                  classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out", "--skip-bad-rows")
    assert out.returncode == 0, out.stderr
    assert "Skipped 1 row" in out.stdout and "s99" not in out.stdout
    skipped = pd.read_csv(tmp_path / "out" / "skipped_rows.csv")
    assert skipped.row.tolist() == [5] and "no scores" in skipped.problem.item()
    assert "v2" not in set(pd.read_csv(tmp_path / "out" / "helper_points.csv").helper_id)


def test_missing_column_and_missing_file(tmp_path):
    paths = write(tmp_path, scores=SCORES.replace("total_score", "score"), pairings=PAIRINGS, conduct=CONDUCT,
                  classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out")
    assert out.returncode == 2 and "lacks the column(s) total_score" in out.stderr
    out = run("--scores", tmp_path / "nope.csv", "--pairings", paths["pairings"], "--conduct", paths["conduct"],
              "--classes", paths["classes"], "--out", tmp_path / "out")
    assert out.returncode == 2 and "does not exist" in out.stderr
    out = run("--scores", paths["scores"], "--out", tmp_path / "out")
    assert out.returncode == 2 and "missing input(s) --pairings, --conduct, --classes" in out.stderr


def test_rules_file_changes_the_result_and_is_recorded(tmp_path):
    paths = write(tmp_path, scores=SCORES, pairings=PAIRINGS, conduct=CONDUCT, classes=CLASSES)
    rules = tmp_path / "rules.toml"
    rules.write_text('yuan_per_point = 2\nfall_in_rank = "negative"\n', encoding="utf-8")
    out = run(*inputs(paths), "--out", tmp_path / "out", "--rules", rules)
    assert out.returncode == 0, out.stderr
    used = pd.read_csv(tmp_path / "out" / "rules.csv").set_index("rule").value
    assert used["yuan_per_point"] == "2" and used["fall_in_rank"] == "negative"
    helpers = pd.read_csv(tmp_path / "out" / "helper_points.csv").set_index("helper_id")
    assert helpers.loc["v1", "yuan"] == 260
    # t1's pupil s05 fell 5 -> 6: -10 points under negative falls; a violation and no title
    assert helpers.loc["t1", "points"] == -10


def test_score_runs_on_the_clean_sample(tmp_path, sample_clean):
    out = run("--data", sample_clean[0], "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    points = pd.read_csv(tmp_path / "out" / "pupil_points.csv")
    audit = pd.read_csv(tmp_path / "out" / "audit.csv")
    helper_audit = audit[audit.part == "helpers"].groupby(["pupil_id", "school_year"]).points.sum()
    assert (helper_audit.loc[list(zip(points.pupil_id, points.school_year, strict=True))].to_numpy()
            == points.points_total.to_numpy()).all()
    assert set(points.school_year) == {1, 2}
    # paid to the fen: each head teacher's mean points, rounded half-up; the audit's rounding rows hold the difference
    heads = pd.read_csv(tmp_path / "out" / "head_teacher_points.csv")
    assert (heads.yuan == np.floor(heads.points * 100 + 0.5) / 100).all() and (heads.yuan != heads.points).any()
    rounding = audit[(audit.part == "head_teachers") & (audit.clause == "rounding")]
    assert rounding.yuan.sum() == pytest.approx(heads.yuan.sum() - heads.points.sum())
    # Reference: the same command's outputs before the layer move (tests/reference/sample_report, commit 8a9ab09)
    import hashlib

    recorded = dict(line.split()[::-1] for line in
                    (Path(__file__).parent / "reference" / "sample_report" / "score_sha256.txt").read_text().splitlines())
    now = {name: hashlib.sha256((tmp_path / "out" / name).read_bytes()).hexdigest() for name in recorded}
    assert now == recorded


# --- what evaluators type (issue: the contract accepts Chinese forms) ------------------------------

def _chinese_book(path: Path, year_of, semester_of, title: str | None = "2024-2025学年帮扶考核成绩") -> Path:
    """The same inputs as SCORES etc. typed as an evaluator would: Chinese headers, a title row,
    calendar school years and semesters in words."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "成绩"
    if title:
        sheet.append([title])
        sheet.merge_cells("A1:E1")
    sheet.append(["学号", "班级", "学年", "学期", "总分"])
    for line in SCORES.strip().splitlines()[1:]:
        pid, cls, year, sem, total = line.split(",")
        sheet.append([pid, cls, year_of(int(year)), semester_of(int(sem)), float(total) if total else None])
    pairs = book.create_sheet("结对")
    pairs.append(["帮扶人编号", "帮扶人类型", "学号", "学年"])
    for line in PAIRINGS.strip().splitlines()[1:]:
        h, role, pid, year = line.split(",")
        pairs.append([h, role, pid, year_of(int(year))])
    conduct = book.create_sheet("评优")
    conduct.append(["学号", "学年", "严重违纪", "三好学生"])
    for pid, bad, good in (("s09", "否", "是"), ("s10", "无", "否"), ("s05", "有", "否")):
        conduct.append([pid, year_of(1), bad, good])
    classes = book.create_sheet("班级")
    classes.append(["班级", "学年", "班主任编号"])
    classes.append(["7-1", year_of(1), "h1"])
    book.save(path)
    return path


def _run_book(path, out):
    return run("--scores", path, "--pairings", f"{path}#结对", "--conduct", f"{path}#评优", "--classes",
               f"{path}#班级", "--out", out)


@pytest.mark.parametrize("year_of, semester_of", [
    (lambda y: f"{2023 + y}-{2024 + y}", lambda s: ["第一学期", "第二学期"][s - 1]),
    (lambda y: f"{2023 + y}学年", lambda s: ["上学期", "下学期"][s - 1]),
    (lambda y: 2023 + y, lambda s: ["秋季学期", "春季学期"][s - 1]),
])
def test_school_years_semesters_and_a_title_row_as_evaluators_type_them(tmp_path, year_of, semester_of):
    """Reference: test_hand_made_csv_inputs, worked by hand (v1 is paid 130 points)."""
    path = _chinese_book(tmp_path / "inputs.xlsx", year_of, semester_of)
    out = _run_book(path, tmp_path / "out")
    assert out.returncode == 0, out.stderr
    helpers = pd.read_csv(tmp_path / "out" / "helper_points.csv").set_index("helper_id")
    assert helpers.loc["v1", "points"] == 130 and set(helpers.school_year) == {1}


def test_a_column_in_the_wrong_format_is_one_line(tmp_path):
    path = _chinese_book(tmp_path / "inputs.xlsx", lambda y: "去年", lambda s: s)
    out = _run_book(path, tmp_path / "out")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if "school_year must be" in line and "成绩" not in line]
    score_lines = [line for line in out.stderr.splitlines() if "scores: school_year must be" in line]
    assert len(score_lines) == 1 and "rows 3-22" in score_lines[0], out.stderr
    assert len(lines) <= 4  # one line per input at most


def test_mixing_scheme_and_calendar_years_is_a_consistency_problem(tmp_path):
    paths = write(tmp_path, scores=SCORES, pairings=PAIRINGS.replace(",1\n", ",2024-2025\n"), conduct=CONDUCT,
                  classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out")
    assert out.returncode == 2 and "mixes the scheme's numbering" in out.stderr


def test_a_pupil_whose_score_rows_were_all_skipped_is_never_paid(tmp_path):
    scores = SCORES.replace("s09,7-1,1,1,420", "s09,7-1,1,1,四百二").replace("s09,7-1,1,2,505", "s09,7-1,1,2,五百")
    paths = write(tmp_path, scores=scores, pairings=PAIRINGS, conduct=CONDUCT, classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out", "--skip-bad-rows")
    assert out.returncode == 0, out.stderr
    skipped = pd.read_csv(tmp_path / "out" / "skipped_rows.csv")
    assert "no valid score for the pupil" in " ".join(skipped.problem)
    points = pd.read_csv(tmp_path / "out" / "pupil_points.csv")
    assert "s09" not in set(points.pupil_id)
    # v1 keeps only s10 (absent at the end: conduct 20); s09's 110 points are not paid
    helpers = pd.read_csv(tmp_path / "out" / "helper_points.csv").set_index("helper_id")
    assert helpers.loc["v1", "points"] == 20


def test_no_year_end_score_or_a_year_without_scores_never_crashes(tmp_path):
    scores = "\n".join(line for line in SCORES.splitlines() if not line.startswith("s05,7-1,1,2")) + "\n"
    paths = write(tmp_path, scores=scores, pairings=PAIRINGS, conduct=CONDUCT, classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    points = pd.read_csv(tmp_path / "out" / "pupil_points.csv").set_index("pupil_id")
    assert points.loc["s05", "points_rise"] == 0 and "missed_end_exam" in points.loc["s05", "flags"]
    paths = write(tmp_path, scores=SCORES, pairings=PAIRINGS + "v3,volunteer,s01,2\n", conduct=CONDUCT,
                  classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out2")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "row 5: pairings: no scores in that school year" in out.stderr
    # only pupils without a year-end score, under the default award rule: no crash either
    only = "\n".join(line for line in SCORES.splitlines() if ",1,2," not in line) + "\n"
    paths = write(tmp_path, scores=only, pairings=PAIRINGS, conduct=CONDUCT, classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out3")
    assert out.returncode == 0, out.stderr


def test_nothing_to_score_is_not_a_success(tmp_path):
    paths = write(tmp_path, scores=SCORES, pairings="helper_id,helper_role,pupil_id,school_year\n", conduct=CONDUCT,
                  classes=CLASSES)
    out = run(*inputs(paths), "--out", tmp_path / "out")
    assert out.returncode == 3 and "nothing to score" in out.stderr and "Traceback" not in out.stderr


def _two_year_book(path: Path, with_grade: bool = True) -> Path:
    """An evaluator's workbook over two calendar school years with 年级 as
    schools type it: grade 7 (初一) in 2024-2025 and a new 七年级 in 2025-2026.
    Pupil n01 is in 初一 in the second year, as is every pupil of 7-1 there."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成绩"
    ws.append(["学号", "班级", "学年", "学期", "总分"] + (["年级"] if with_grade else []))
    for year, cls, grade, prefix in (("2024-2025", "初一(1)班", "初一", "o"), ("2025-2026", "七年级1班", "七年级", "n")):
        for semester, bump in (("第一学期", None), ("第二学期", f"{prefix}05")):
            for i in range(1, 7):
                pupil = f"{prefix}0{i}"
                total = 600 - 10 * i + (100 if pupil == bump else 0)
                ws.append([pupil, cls, year, semester, total] + ([grade] if with_grade else []))
    pr = wb.create_sheet("帮扶")
    pr.append(["帮扶人编号", "帮扶人类型", "学号", "学年"])
    pr.append(["v1", "志愿者", "n05", "2025-2026"])
    pr.append(["k1", "爱心同学", "o05", "2024-2025"])
    co = wb.create_sheet("操行")
    co.append(["学号", "学年", "严重违纪", "三好学生"])
    co.append(["n05", "2025-2026", "否", "否"])
    co.append(["o05", "2024-2025", "否", "否"])
    cl = wb.create_sheet("班级")
    cl.append(["班级", "学年", "班主任编号"])
    cl.append(["初一(1)班", "2024-2025", "h1"])
    cl.append(["七年级1班", "2025-2026", "h2"])
    wb.save(path)
    return path


def _book_args(book):
    return ["--scores", f"{book}#成绩", "--pairings", f"{book}#帮扶", "--conduct", f"{book}#操行",
            "--classes", f"{book}#班级"]


def test_a_grade_column_gives_each_pupil_their_own_grade_7_baseline(tmp_path):
    """Hand-worked from 以初一第一学期期末学习成绩总分名次为考核基数: n05 is in 七年级 in
    2025-2026, so the baseline is that year's semester-1 final (rank 5), not the
    2024-2025 end; rising to rank 1 earns 4 x 10 + top-5 10 + conduct 20 = 70.
    The classmate helper k1 (爱心同学) is listed but not paid."""
    book = _two_year_book(tmp_path / "考核.xlsx")
    status = tmp_path / "学生.csv"
    status.write_bytes("学号,是否留守儿童,是否单亲\nn05,是,否\no05,是,否\n".encode("gbk"))
    r = run(*_book_args(book), "--pupils", status, "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert "no grade column" not in r.stdout
    pts = pd.read_csv(tmp_path / "out" / "pupil_points.csv", encoding="utf-8-sig").set_index("pupil_id")
    assert (pts.loc["n05", "base_rank"], pts.loc["n05", "end_rank"], pts.loc["n05", "points_total"]) == (5, 1, 70)
    assert pts.loc["n05", "scheme_year"] == 1 and bool(pts.loc["n05", "counted"])
    helpers = pd.read_csv(tmp_path / "out" / "helper_points.csv", encoding="utf-8-sig").set_index("helper_id")
    assert helpers.loc["v1", "yuan"] == 70
    assert helpers.loc["k1", "helper_role"] == "peer" and helpers.loc["k1", "yuan"] == 0


def test_without_a_grade_column_the_command_says_how_years_were_numbered(tmp_path):
    book = _two_year_book(tmp_path / "考核.xlsx", with_grade=False)
    r = run(*_book_args(book), "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert "no grade column" in r.stdout and "年级" in r.stdout
    pts = pd.read_csv(tmp_path / "out" / "pupil_points.csv", encoding="utf-8-sig").set_index("pupil_id")
    assert pd.isna(pts.loc["n05", "base_rank"])  # numbered from 2024-2025, year 2's baseline is year 1's end


def test_a_pupils_file_without_status_columns_is_refused(tmp_path):
    book = _two_year_book(tmp_path / "考核.xlsx")
    status = tmp_path / "学生.csv"
    status.write_text("学号,姓名\nn05,张三\n", encoding="utf-8")
    r = run(*_book_args(book), "--pupils", status, "--out", tmp_path / "out")
    assert r.returncode == 2 and "left_behind, single_parent" in r.stderr and "Traceback" not in r.stderr
    status.write_text("学号,学年,姓名\nn05,2025-2026,张三\n", encoding="utf-8")
    r = run(*_book_args(book), "--pupils", status, "--out", tmp_path / "out")
    assert r.returncode == 2 and "no status column" in r.stderr and "Traceback" not in r.stderr


def test_the_score_workbook_speaks_chinese_and_the_csvs_keep_machine_names(tmp_path, sample_clean):
    """reward_points.xlsx, for the school: sheet names, column headers and coded values in Chinese (the pages'
    label table), amounts to the fen; the CSV files beside it keep the machine names and codes."""
    import openpyxl

    out = run("--data", sample_clean[0], "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    assert "rounded half-up to the fen" in out.stdout
    book = openpyxl.load_workbook(tmp_path / "out" / "reward_points.xlsx")
    assert book.sheetnames == ["学生积分", "帮扶人奖励", "班主任奖励", "学生奖励", "审计记录", "计分规则"]
    heads = book["班主任奖励"]
    header = [c.value for c in heads[1]]
    assert header == ["班主任编号", "班级编号", "学年", "帮扶学生数", "积分", "金额（元）"]
    amounts = [row[5] for row in heads.iter_rows(min_row=2)]
    assert all(c.number_format == "#,##0.00" and round(c.value, 2) == c.value for c in amounts)
    helpers = book["帮扶人奖励"]
    roles = {row[1].value for row in helpers.iter_rows(min_row=2)}
    paid = {row[6].value for row in helpers.iter_rows(min_row=2)}
    assert {"教师", "爱心妈妈"} <= roles and not roles & {"teacher", "caring_mother", "peer"} and paid == {"是", "否"}
    audit = book["审计记录"]
    assert {row[4].value for row in audit.iter_rows(min_row=2)} >= {"名次上升", "无严重违纪", "金额取整差额"}
    rules = {row[0].value: row[1].value for row in book["计分规则"].iter_rows(min_row=2)}
    assert rules["金额取整"] == "四舍五入到分" and rules["名次下降是否扣分"] == "记0分"
    csv = pd.read_csv(tmp_path / "out" / "helper_points.csv")
    assert list(csv.columns[:3]) == ["helper_id", "helper_role", "school_year"] and "teacher" in set(csv.helper_role)
