"""`liushou clean` on a folder made the way a rural middle school keeps it.

Every file here is written by hand (tests/schoolfiles.py): a roster called
学生花名册.xlsx with a title row, exam tables titled "2024-2025学年第一学期
七年级期末考试成绩表" whose classes read "1班" or "(1)班" (an HTML table and
tab-separated GBK text saved as .xls, and a real .xls from xlwt), the
official 留守儿童信息统计表 with a 填报单位 line and no 学号, a 结对帮扶名单
of teachers by name, a marked award list, a school folder level, a school
called by two names, and the litter of a shared folder. The expected
values are worked out by hand from what the files say.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.cleaning.pseudonym import pseudonyms
from liushou_analysis.core.errors import UserError
from liushou_analysis.indicators.status import either_parent, strict_both_3m

from . import schoolfiles as sf

KEY = "school-records-test-key-0123456789"
SCHOOL = "红岩镇中学"
#: (学号, name, gender, birth, class) of the 12 pupils of grade 7 in 2024-2025; two are called 李华.
PUPILS = [("2024001", "张小明", "男", "2012-03-05", 1), ("2024002", "李华", "男", "2012-05-11", 1),
          ("2024003", "王芳", "女", "2012-01-20", 1), ("2024004", "赵磊", "男", "2011-11-02", 1),
          ("2024005", "陈静", "女", "2012-07-15", 1), ("2024006", "刘洋", "男", "2012-02-28", 1),
          ("2024007", "杨帆", "男", "2012-04-09", 2), ("2024008", "黄丽", "女", "2012-06-30", 2),
          ("2024009", "周杰", "男", "2011-12-12", 2), ("2024010", "吴敏", "女", "2012-08-08", 2),
          ("2024011", "李华", "女", "2012-09-19", 2), ("2024012", "孙悦", "女", "2012-10-01", 2)]


def id_number(birth: str, i: int, gender: str) -> str:
    seq = f"{i:02d}{1 if gender == '男' else 2}"
    return sf.with_check_digit("439901" + birth.replace("-", "") + seq)


def registry(birth: str, i: int, gender: str) -> str:
    return "G" + id_number(birth, i, gender)


def key_of(number: str) -> str:
    return pseudonyms(pd.Series([f"{SCHOOL}|{number}"]), KEY.encode(), "P").item()


#: Term folders named as the school names them: terms 2024-2025-1, 2024-2025-2 and 2025-2026-1.
T1, T2, T3 = "2024-2025学年第一学期", "2025年春季学期", "2025秋"


def build_school(root: Path) -> Path:
    """The dataset folder of one school over three terms."""
    t1, t2, t3 = root / T1, root / T2, root / T3
    roster = [[i + 1, no, name, g, birth.replace("-", ".")[:7], id_number(birth, i, g), registry(birth, i, g),
               "七年级", f"{c}班", "红岩镇某村", "13900000000"] for i, (no, name, g, birth, c) in enumerate(PUPILS)]
    sf.xlsx(t1 / "学生花名册.xlsx",
            ["序号", "学号", "姓名", "性别", "出生年月", "身份证号", "学籍号", "年级", "班级", "家庭住址", "联系电话"],
            roster, titles=[f"{SCHOOL}2024-2025学年第一学期学生花名册"])
    subjects = ["语文", "数学", "英语", "道德与法治", "历史", "地理", "生物"]
    exam = [[no, name, f"({c})班"] + [60 + i + j for j in range(7)] + [sum(60 + i + j for j in range(7)), None, None]
            for i, (no, name, _, _, c) in enumerate(PUPILS)]
    exam[4][3] = "缺考"  # 陈静 missed Chinese
    sf.html_as_xls(t1 / "七年级期末成绩.xls", ["考号", "姓名", "班级"] + subjects + ["总分", "班次", "级次"], exam,
                   titles=["2024-2025学年第一学期七年级期末考试成绩表"])
    register = [
        [1, "张小明", "男", "2012.03", registry("2012-03-05", 0, "男"), "七年级1班", "张父", "广东东莞", "张母", "广东东莞",
         "2023年3月", "张奶奶", "奶奶", "13700000001", "红岩镇某村", "父母双方外出", "是", "王老师"],
        [2, "王芳", "女", "2012.01", "", "701", "王父", "浙江宁波", "王母", "", "半年", "王母", "母亲",
         "13700000002", "红岩镇某村", "父亲外出", "否", ""],
        [3, "杨帆", "男", "2012.04", registry("2012-04-09", 6, "男"), "七年级（2）班", "杨父", "", "杨母", "福建厦门",
         "3个月", "杨父", "父亲", "13700000003", "红岩镇某村", "母亲外出", "否", ""],
        [4, "李华", "女", "2012.09", "", "七年级2班", "李父", "广东深圳", "李母", "广东深圳", "2020年", "李爷爷",
         "爷爷", "13700000004", "红岩镇某村", "父母外出", "是", "赵老师"],
    ]
    sf.xlsx(t1 / "留守儿童信息统计表.xlsx",
            ["序号", "姓名", "性别", "出生年月", "学籍号", "年级班级", "父亲姓名", "父亲务工地点", "母亲姓名", "母亲务工地点",
             "外出时间", "监护人姓名", "与监护人关系", "监护人联系电话", "家庭住址", "留守类型", "是否寄宿", "帮扶责任人"],
            register, titles=[f"{SCHOOL}农村留守儿童信息统计表", f"填报单位（盖章）：{SCHOOL}　　填报日期：2024年10月"])
    pairs = [[1, "王老师", "班主任", "13800000001", "张小明", "七年级1班", "2024.09"],
             [2, "李老师", "任课教师", "13800000002", "王芳", "七年级1班", "2024.09"],
             [3, "赵老师", "校长", "13800000003", "李华", "七年级2班", "2024.10"],
             [4, "陈红", "爱心妈妈", "13800000004", "陈静", "七年级1班", "2024.10"]]
    sf.xlsx(t1 / "结对帮扶名单.xlsx", ["序号", "帮扶教师", "职务", "联系电话", "帮扶对象", "班级", "结对时间"], pairs)
    awards = [[no, name, f"七年级{c}班", "√" if name in ("王芳", "周杰") else None, None]
              for no, name, _, _, c in PUPILS]
    sf.xlsx(t1 / "三好学生及违纪.xlsx", ["学号", "姓名", "班级", "三好学生", "严重违纪"], awards)
    sf.litter(t1)
    # Semester 2: one exam table in a school folder, tab-separated GBK text saved as .xls, no title.
    exam2 = [[no, name, f"{c}班", 70 + i, 70, 70, 210 + i] for i, (no, name, _, _, c) in enumerate(PUPILS)]
    sf.text_as_xls(t2 / SCHOOL / "七年级期末成绩.xls", ["学号", "姓名", "班级", "语文", "数学", "英语", "总分"], exam2)
    # Next school year: grade 8; a legacy .xls titled with the school's other name, and a GBK roster with a 学校 column.
    exam3 = [[no, name, f"{c}班", 80, 80, 80, 60 + i, 300 + i, i + 1] for i, (no, name, _, _, c) in enumerate(PUPILS)]
    sf.xls(t3 / "八年级期末成绩.xls", ["学号", "姓名", "班级", "语文", "数学", "英语", "物理", "总分", "年级排名"], exam3,
           titles=["红岩中学2025-2026学年第一学期八年级期末成绩"])
    sf.csv_file(t3 / "学生名册.csv", ["学校", "学号", "姓名", "性别", "班级"],
                [["红岩中学", no, name, g, f"八年级（{c}）班"] for no, name, g, _, c in PUPILS])
    (root / "liushou.toml").write_text(f'[school_aliases]\n"{SCHOOL}" = ["红岩中学"]\n', encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("LIUSHOU_KEY", KEY)


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    root = build_school(tmp_path_factory.mktemp("raw") / "hongyan")
    out = tmp_path_factory.mktemp("clean") / "hongyan"
    with pytest.MonkeyPatch.context() as mp:  # the key only for this clean: later tests use their own
        mp.setenv("LIUSHOU_KEY", KEY)
        manifest = clean_dataset(root, out)
    tables = {p.stem: pd.read_parquet(p) for p in out.glob("*.parquet")}
    return root, out, manifest, tables


def test_one_school_and_one_pupil_per_child_across_files_and_years(school):
    _, _, manifest, tables = school
    assert manifest["incomplete"] == [] and manifest["files_not_used"] == []
    assert set(tables["pupils"].school) == {SCHOOL}
    assert len(tables["pupils"]) == 12
    assert sorted(tables["pupils"].pupil_key) == sorted(key_of(p[0]) for p in PUPILS)
    how = {f["file"]: (f["school"], f["school_from"]) for f in manifest["files"]}
    assert how[f"{T1}/学生花名册.xlsx"] == (SCHOOL, "title or 填报单位 line")
    assert how[f"{T1}/结对帮扶名单.xlsx"] == (SCHOOL, "the only school named in its term folder")
    assert how[f"{T2}/{SCHOOL}/七年级期末成绩.xls"] == (SCHOOL, "school folder")
    assert how[f"{T3}/八年级期末成绩.xls"] == (SCHOOL, "title or 填报单位 line")  # 红岩中学 by the alias
    assert how[f"{T3}/学生名册.csv"] == (SCHOOL, "school column")
    assert manifest["terms"] == ["2024-2025-1", "2024-2025-2", "2025-2026-1"]


def test_a_pupil_moving_up_a_grade_keeps_one_identity(school):
    _, _, _, tables = school
    e = tables["enrolment"].set_index(["pupil_key", "term"])
    zhang = key_of("2024001")
    assert e.loc[(zhang, "2024-2025-1"), "grade"] == 7 and e.loc[(zhang, "2025-2026-1"), "grade"] == 8
    exams = tables["exams"]
    assert exams[exams.pupil_key == zhang].term.nunique() == 3


def test_classes_given_alone_take_the_grade_from_the_title_column_or_file_name(school):
    _, _, _, tables = school
    exams = tables["exams"]
    assert set(exams.term) == {"2024-2025-1", "2024-2025-2", "2025-2026-1"}
    for term, grade in (("2024-2025-1", 7), ("2024-2025-2", 7), ("2025-2026-1", 8)):
        d = exams[exams.term == term]
        assert (d.grade == grade).all() and sorted(d.class_no.unique()) == [1, 2], term
    assert len(exams[exams.term == "2024-2025-1"]) == 12 * 8  # seven subjects and the total
    subjects = set(exams[exams.term == "2024-2025-1"].subject)
    assert subjects == {"chinese", "math", "english", "morality_law", "history", "geography", "biology", "total"}
    chen = exams[(exams.pupil_key == key_of("2024005")) & (exams.subject == "chinese")
                 & (exams.term == "2024-2025-1")].iloc[0]
    assert pd.isna(chen.score) and chen.absence_reason == "absent"
    ranks = exams[(exams.term == "2025-2026-1") & (exams.subject == "total")]
    assert sorted(ranks.school_rank_reported) == list(range(1, 13))


def test_the_register_gives_status_under_every_definition_boarding_and_helpers(school):
    _, _, manifest, tables = school
    h = tables["households"].set_index("pupil_key")
    assert len(h) == 4 and manifest["linkage"]["households"]["link_rate_pct"] == 100.0
    zhang, wang, yang, li = key_of("2024001"), key_of("2024003"), key_of("2024007"), key_of("2024011")
    assert manifest["linkage"]["households"]["by"] == {"name and class": 2, "学籍号": 2}
    assert (h.loc[zhang, "father_away"], h.loc[zhang, "mother_away"]) == (True, True)
    assert (h.loc[wang, "father_away"], h.loc[wang, "mother_away"]) == (True, False)
    assert (h.loc[yang, "father_away"], h.loc[yang, "mother_away"]) == (False, True)
    # months away at the end of the term (31 Jan 2025), capped at 12: since March 2023; half a year; 3 months
    assert h.loc[zhang, "father_months_away"] == 12 and h.loc[wang, "father_months_away"] == 6
    assert h.loc[yang, "mother_months_away"] == 3 and pd.isna(h.loc[yang, "father_months_away"])
    assert h.loc[zhang, "boarding"] and not h.loc[wang, "boarding"]
    assert h.loc[zhang, "guardian_relation"] == "grandmother" and h.loc[li, "guardian_relation"] == "grandfather"
    hh = h.reset_index()
    assert either_parent(hh).tolist() == [True] * 4
    assert dict(zip(hh.pupil_key, strict_both_3m(hh), strict=True)) == {zhang: True, wang: False, yang: False,
                                                                      li: True}
    assert not {"guardian_phone", "address", "father_name"} & set(tables["households"].columns)


def test_pairing_lists_of_teachers_by_name_link_and_read_the_role_from_the_post(school):
    _, _, manifest, tables = school
    p = tables["pairings"]
    assert manifest["linkage"]["pairings"]["link_rate_pct"] == 100.0
    roles = p.groupby("pupil_key").helper_role.apply(lambda s: sorted(s.dropna())).to_dict()
    # 王老师 (班主任) on the list is the register's 帮扶责任人 王老师 (named there without a phone):
    # one pairing, the list's row kept as the fuller one; likewise 赵老师 (校长) of 李华 in class 2
    assert roles == {key_of("2024001"): ["teacher"], key_of("2024003"): ["teacher"],
                     key_of("2024011"): ["teacher"], key_of("2024005"): ["caring_mother"]}
    assert len(p) == 4
    q = pd.read_parquet(school[1] / "quarantine.parquet")
    assert sorted(q[q.table == "pairings"].reason) == ["duplicate_pupil", "duplicate_pupil"]
    assert set(q[q.table == "pairings"].file) == {f"{T1}/留守儿童信息统计表.xlsx"}


def test_a_marked_award_list_means_no_for_blank_cells(school):
    _, _, _, tables = school
    c = tables["conduct"].set_index("pupil_key")
    assert len(c) == 12
    assert c.three_good.sum() == 2 and c.three_good.notna().all()
    assert (c.serious_violation == False).all()  # noqa: E712 (nullable booleans)
    assert c.loc[key_of("2024003"), "three_good"]


def test_litter_is_skipped_with_one_line_each(school):
    _, _, manifest, _ = school
    skipped = {f["file"].split("/")[-1]: f["reason"] for f in manifest["files_skipped"]}
    assert set(skipped) == set(sf.litter(Path("/tmp/unused-litter-names")))
    assert skipped["~$学生花名册.xlsx"] == "an open-file lock left by Excel or WPS"
    assert skipped["工作总结.docx"] == "a Word document"


def test_no_name_or_id_number_reaches_the_clean_tables(school):
    _, out, _, _ = school
    text = b"".join(p.read_bytes() for p in out.glob("*.parquet")) + (out / "manifest.json").read_bytes()
    for _, name, g, birth, _ in PUPILS:
        assert name.encode() not in text
    for i, (_, _, g, birth, _) in enumerate(PUPILS):
        assert id_number(birth, i, g).encode() not in text
    for phone in (b"13800000001", b"13700000001", b"13900000000"):
        assert phone not in text


def test_the_cli_summary_names_schools_link_rates_and_skipped_files(school, tmp_path):
    root, _, _, _ = school
    liushou = Path(sys.executable).parent / "liushou"
    run = subprocess.run([str(liushou), "clean", str(root), "--out", str(tmp_path / "o")], capture_output=True,
                         text=True, env={"LIUSHOU_KEY": KEY, "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert f"{SCHOOL}: 3 file(s), resolved from: title or 填报单位 line" in run.stdout
    assert f"{SCHOOL}: 1 file(s), resolved from: school folder" in run.stdout
    assert f"Skipped {T1}/Thumbs.db" in run.stdout
    assert "households" in run.stdout and "100.0%" in run.stdout
    assert (tmp_path / "o" / "quarantine.xlsx").exists()


# --- what cannot be resolved is loud -------------------------------------------------------

def _exam(path: Path, rows, titles=(), klass="1班"):
    return sf.xlsx(path, ["学号", "姓名", "班级", "语文", "总分"],
                   [[no, name, klass, 80, 80] for no, name in rows], titles=list(titles))


def test_files_naming_no_school_beside_two_schools_ask_for_a_folder_or_settings(tmp_path):
    t = tmp_path / "county" / "2024-2025-1"
    _exam(t / "a.xlsx", [("1", "甲一")], titles=["东山中学2024-2025学年第一学期七年级期末成绩"])
    _exam(t / "b.xlsx", [("1", "乙一")], titles=["西山中学2024-2025学年第一学期七年级期末成绩"])
    _exam(t / "c.xlsx", [("2", "丙二")], titles=["2024-2025学年第一学期七年级期末成绩"])
    manifest = clean_dataset(tmp_path / "county", tmp_path / "o")
    (entry,) = manifest["files_not_used"]
    assert entry["file"] == "2024-2025-1/c.xlsx"
    assert "name 2 schools (东山中学、西山中学) and this file names none" in entry["reason"]
    assert "liushou.toml" in entry["reason"] and "2024-2025-1/<school>/" in entry["reason"]  # the folder as named
    assert manifest["tables"]["pupils"]["rows"] == 2
    with pytest.raises(UserError, match="this file names none"):
        clean_dataset(tmp_path / "county", tmp_path / "o2", strict=True)
    # the same files in school folders, or with the school in liushou.toml, are used
    (t / "东山中学").mkdir()
    (t / "c.xlsx").rename(t / "东山中学" / "c.xlsx")
    assert clean_dataset(tmp_path / "county", tmp_path / "o3")["files_not_used"] == []


def test_a_folder_naming_no_school_at_all_needs_liushou_toml(tmp_path):
    t = tmp_path / "one" / "2024-2025-1"
    _exam(t / "成绩.xlsx", [("1", "甲一"), ("2", "乙二")], titles=["2024-2025学年第一学期七年级期末成绩"])
    manifest = clean_dataset(tmp_path / "one", tmp_path / "o")
    assert "add school = \"...\"" in manifest["files_not_used"][0]["reason"]
    assert manifest["incomplete"]
    (tmp_path / "one" / "liushou.toml").write_text('school = "东山中学"\n', encoding="utf-8")
    manifest = clean_dataset(tmp_path / "one", tmp_path / "o")
    assert manifest["files"][0]["school"] == "东山中学" and not manifest["incomplete"]


def test_a_file_name_prefix_is_used_only_when_it_names_a_school(tmp_path):
    t = tmp_path / "d" / "2024-2025-1"
    _exam(t / "东山中学_七年级成绩.xlsx", [("1", "甲一")])
    _exam(t / "2024秋_七年级成绩.xlsx", [("2", "乙二")])
    manifest = clean_dataset(tmp_path / "d", tmp_path / "o")
    how = {f["file"]: f["school_from"] for f in manifest["files"]}
    assert how["2024-2025-1/东山中学_七年级成绩.xlsx"] == "file name"
    assert "2024-2025-1/2024秋_七年级成绩.xlsx" in {f["file"] for f in manifest["files_not_used"]}


def test_rows_without_a_number_are_never_guessed(tmp_path):
    t = tmp_path / "s" / "2024-2025-1"
    sf.xlsx(t / "花名册.xlsx", ["学号", "姓名", "性别", "班级"],
            [["1", "李华", "男", "七年级1班"], ["2", "李华", "女", "七年级1班"], ["3", "张三", "男", "七年级1班"]],
            titles=["东山中学学生花名册"])
    sf.xlsx(t / "结对帮扶名单.xlsx", ["帮扶教师", "职务", "帮扶对象", "班级"],
            [["王老师", "班主任", "李华", "七年级1班"], ["王老师", "班主任", "张三", "七年级1班"],
             ["王老师", "班主任", "不在册", "七年级1班"]])
    manifest = clean_dataset(tmp_path / "s", tmp_path / "o")
    q = pd.read_parquet(tmp_path / "o" / "quarantine.parquet").set_index("row")
    assert q.loc[2, "reason"] == "ambiguous_pupil" and q.loc[4, "reason"] == "unmatched_pupil"
    link = manifest["linkage"]["pairings"]
    assert link["by"] == {"ambiguous_pupil": 1, "name and class": 1, "unmatched_pupil": 1}
    assert link["link_rate_pct"] == 33.3
    assert manifest["totals"]["pairings"] == {"rows_read": 3, "rows_kept": 1, "rows_quarantined": 2}


def test_incomplete_data_exit_with_code_3_unless_allowed(tmp_path):
    t = tmp_path / "x" / "2024-2025-1"
    _exam(t / "成绩.xlsx", [("1", "甲一"), ("2", "乙二")], titles=["东山中学期末成绩"], klass="实验班")
    liushou = Path(sys.executable).parent / "liushou"
    env = {"LIUSHOU_KEY": KEY, "PATH": "/usr/bin:/bin"}
    run = subprocess.run([str(liushou), "clean", str(tmp_path / "x"), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 3, run.stderr
    assert "Incomplete: exams: 4 rows read but none kept (unknown_class 2)" in run.stdout
    assert "Nothing to work on for care" in run.stdout
    assert "--allow-incomplete" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run([str(liushou), "clean", str(tmp_path / "x"), "--out", str(tmp_path / "o"),
                          "--allow-incomplete"], capture_output=True, text=True, env=env)
    assert run.returncode == 0
    book = pd.read_excel(tmp_path / "o" / "quarantine.xlsx", sheet_name=None, engine="openpyxl")
    rows = book["未采用的行"]
    assert list(rows.columns[:6]) == ["文件", "工作表", "行", "列", "值", "原因"]
    assert (rows["原因"] == "无法识别班级（需要年级和班号）").all() and (rows["值"] == "实验班").all()


def test_an_unknown_optional_value_loses_the_field_and_liushou_toml_can_teach_it(tmp_path):
    t = tmp_path / "h" / "2024-2025-1"
    sf.xlsx(t / "家庭情况.xlsx", ["学号", "姓名", "父亲是否外出务工", "母亲是否外出务工", "监护人健康状况", "家长务工地"],
            [["1", "甲一", "是", "否", "患有高血压", "广东"], ["2", "乙二", "是", "是", "健康", "浙江"]],
            titles=["东山中学家庭情况调查表"])
    manifest = clean_dataset(tmp_path / "h", tmp_path / "o")
    h = pd.read_parquet(tmp_path / "o" / "households.parquet")
    assert len(h) == 2 and h.guardian_health.isna().sum() == 1
    assert manifest["field_issues"]["by_reason"] == {"unmapped_label": 1}
    assert manifest["files"][0]["unknown_columns"] == ["家长务工地"]
    (tmp_path / "h" / "liushou.toml").write_text(
        '[headers]\n"家长务工地" = "father_work_province"\n"品德" = "score:morality_law"\n\n'
        '[labels.health]\n"患有高血压" = "poor"\n', encoding="utf-8")
    manifest = clean_dataset(tmp_path / "h", tmp_path / "o")
    h = pd.read_parquet(tmp_path / "o" / "households.parquet").sort_values("pupil_key")
    assert sorted(h.guardian_health) == ["good", "poor"] and set(h.father_work_province) == {"广东", "浙江"}
    assert manifest["field_issues"]["fields"] == 0 and manifest["files"][0]["unknown_columns"] == []
    # a subject the package does not know, taught by the same file
    _exam(tmp_path / "h" / "2024-2025-1" / "成绩.xlsx", [("1", "甲一")], titles=["东山中学七年级期末成绩"])
    book = tmp_path / "h" / "2024-2025-1" / "品德成绩.xlsx"
    sf.xlsx(book, ["学号", "姓名", "班级", "品德"], [["1", "甲一", "七年级1班", 90]], titles=["东山中学期末成绩"])
    clean_dataset(tmp_path / "h", tmp_path / "o")
    exams = pd.read_parquet(tmp_path / "o" / "exams.parquet")
    assert set(exams.subject) == {"chinese", "total", "morality_law"}


@pytest.mark.parametrize("text, message", [
    ('[labels.health]\n"x" = "sick"\n', "the codes of health are"),
    ('[headers]\n"x" = "shoe_size"\n', "shoe_size is not a field"),
    ('colour = "red"\n', "unknown setting(s) colour"),
    ('school = \n', "not valid TOML"),
    ('[school_aliases]\n"东山中学" = ["东山初中"]\nschool = "东山中学"\n', "inside the [school_aliases] section"),
])
def test_mistakes_in_liushou_toml_are_one_sentence(tmp_path, text, message):
    t = tmp_path / "m" / "2024-2025-1"
    _exam(t / "成绩.xlsx", [("1", "甲一")], titles=["东山中学期末成绩"])
    (tmp_path / "m" / "liushou.toml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=re.escape(message)) as err:
        clean_dataset(tmp_path / "m", tmp_path / "o")
    assert "liushou.toml" in str(err.value)


def test_the_manifest_records_each_files_school_and_link_rates(school):
    _, out, _, _ = school
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(f["school"] == SCHOOL and f["school_from"] for f in m["files"])
    assert set(m["linkage"]) == {"enrolment", "exams", "households", "pairings", "conduct"}


def test_a_roster_with_left_behind_columns_and_signature_lines(tmp_path):
    """A 学生花名册 that also records 留守类型 feeds enrolment and households; the signature
    lines under it (制表人, 审核人) are not rows."""
    t = tmp_path / "r" / "2024秋"
    rows = [["1", "甲一", "男", "七年级1班", "父母双方外出", "2023年9月", "是"],
            ["2", "乙二", "女", "七年级1班", "非留守", "", "否"],
            ["3", "丙三", "女", "七年级1班", "", "", "否"],
            ["制表人：王五", None, None, None, "审核人：赵六", None, None],
            [None, None, None, None, None, "填表日期：2024年9月", None]]
    sf.xlsx(t / "学生花名册.xlsx", ["学号", "姓名", "性别", "班级", "留守类型", "外出时间", "是否寄宿"], rows,
            titles=["东山中学学生花名册"])
    manifest = clean_dataset(tmp_path / "r", tmp_path / "o")
    (entry,) = manifest["files"]
    assert entry["forms"] == ["roster_register"] and entry["footer_rows_dropped"] == 2
    assert manifest["totals"]["enrolment"] == {"rows_read": 3, "rows_kept": 3, "rows_quarantined": 0}
    h = pd.read_parquet(tmp_path / "o" / "households.parquet").sort_values("father_away")
    assert h.father_away.tolist() == [False, True] and h.mother_away.tolist() == [False, True]
    assert h.father_months_away.tolist()[1] == 12 and h.boarding.tolist() == [False, True]
    assert manifest["terms"] == ["2024-2025-1"]


def test_each_parents_own_time_away(tmp_path):
    t = tmp_path / "p" / "2024-2025-1"
    sf.xlsx(t / "留守儿童登记表.xlsx", ["学号", "姓名", "班级", "留守类型", "父亲外出时间", "母亲外出时间"],
            [["1", "甲一", "七年级1班", "父母双方外出", "2020年", "2个月"]], titles=["东山中学留守儿童登记表"])
    clean_dataset(tmp_path / "p", tmp_path / "o")
    h = pd.read_parquet(tmp_path / "o" / "households.parquet")
    assert (h.father_months_away.item(), h.mother_months_away.item()) == (12, 2)
    assert not strict_both_3m(h).item() and either_parent(h).item()


def test_a_register_answering_for_each_parent_without_their_names(tmp_path):
    """Hand-made, as a township office saves it: HTML saved as .xls in GBK, 父亲是否外出 and 母亲是否外出
    (short labels) and no parents' names. An answer about a parent is about a parent the household has,
    so status is known: away (是) or at home (否), never missing for want of a name column."""
    t = tmp_path / "p" / "2024年秋季学期" / "东山中学"
    sf.html_as_xls(t / "留守儿童登记表.xls", ["学号", "姓名", "班级", "父亲是否外出", "母亲是否外出", "与监护人关系"],
                   [["1", "甲一", "七年级1班", "是", "是", "祖母"], ["2", "乙二", "七年级1班", "是", "否", "母亲"],
                    ["3", "丙三", "七年级2班", "否", "否", "父亲"]], titles=["东山中学留守儿童登记表"])
    manifest = clean_dataset(tmp_path / "p", tmp_path / "o")
    assert manifest["files"][0]["unknown_columns"] == []
    h = pd.read_parquet(tmp_path / "o" / "households.parquet").sort_values(["father_away", "mother_away"], ascending=False)
    assert h.father_listed.all() and h.mother_listed.all()
    assert either_parent(h).tolist() == [True, True, False]
    assert strict_both_3m(h, min_months=None).tolist() == [True, False, False]


def test_classes_named_by_entry_year(tmp_path):
    """2024级1班 is the class that entered in 2024: grade 7 in 2024-2025, grade 8 a year later."""
    for term, label in (("2024秋", "2024级1班"), ("2025秋", "初2024级(1)班")):
        sf.xlsx(tmp_path / "c" / term / "花名册.xlsx", ["学号", "姓名", "性别", "班级"],
                [["1", "甲一", "男", label], ["2", "乙二", "女", label]], titles=["东山中学学生花名册"])
    manifest = clean_dataset(tmp_path / "c", tmp_path / "o")
    e = pd.read_parquet(tmp_path / "o" / "enrolment.parquet").groupby("term").grade.unique()
    assert {k: list(v) for k, v in e.items()} == {"2024-2025-1": [7], "2025-2026-1": [8]}
    assert manifest["totals"]["enrolment"]["rows_quarantined"] == 0


@pytest.mark.parametrize("title, school", [
    ("红岩镇中学农村留守儿童信息统计表", "红岩镇中学"),
    ("填报单位（盖章）：红岩镇中心小学　　填报人：　　日期：", "红岩镇中心小学"),
    ("李家湾教学点2024年秋季学期学生名册", "李家湾教学点"),
    ("全镇留守儿童名册（红岩镇中学）", "红岩镇中学"),
    ("2024-2025学年第一学期七年级期末考试成绩表", None),
    ("全县中小学留守儿童统计表", None),
    ("本校学生花名册", None),
])
def test_the_school_a_title_names(title, school):
    from liushou_analysis.cleaning.identity import school_in_text

    assert school_in_text(title) == school


def test_a_blank_student_number_is_not_filled_from_the_exam_number(tmp_path):
    """考号 are seat numbers: a row whose 学号 is blank must not become the pupil whose 学号 equals its 考号."""
    t = tmp_path / "k" / "2024-2025-1"
    sf.xlsx(t / "成绩.xlsx", ["学号", "考号", "姓名", "班级", "语文", "总分"],
            [["1", "3", "甲一", "七年级1班", 80, 80], ["2", "1", "乙二", "七年级1班", 70, 70],
             [None, "2", "丙三", "七年级1班", 60, 60]], titles=["东山中学七年级期末成绩"])
    sf.xlsx(t / "花名册.xlsx", ["学号", "姓名", "性别", "班级"],
            [["1", "甲一", "男", "七年级1班"], ["2", "乙二", "女", "七年级1班"], ["3", "丙三", "女", "七年级1班"]],
            titles=["东山中学学生花名册"])
    manifest = clean_dataset(tmp_path / "k", tmp_path / "o")
    assert manifest["linkage"]["exams"]["by"] == {"name and class": 2, "number": 4}
    exams = pd.read_parquet(tmp_path / "o" / "exams.parquet")
    key3 = pseudonyms(pd.Series(["东山中学|3"]), KEY.encode(), "P").item()
    assert exams[exams.pupil_key == key3].score.tolist() == [60.0, 60.0]


def test_report_stops_on_incomplete_clean_tables(tmp_path):
    t = tmp_path / "x" / "2024-2025-1"
    _exam(t / "成绩.xlsx", [("1", "甲一"), ("2", "乙二")], titles=["东山中学期末成绩"], klass="实验班")
    liushou = Path(sys.executable).parent / "liushou"
    run = subprocess.run([str(liushou), "report", "--data", str(tmp_path / "x"), "--clean", str(tmp_path / "c"),
                          "--out", str(tmp_path / "r")], capture_output=True, text=True,
                         env={"LIUSHOU_KEY": KEY, "PATH": "/usr/bin:/bin"})
    assert run.returncode == 3, run.stderr
    assert "Incomplete: exams: 4 rows read but none kept" in run.stderr and "--allow-incomplete" in run.stderr
    assert not (tmp_path / "r").exists() and "Traceback" not in run.stderr


def test_a_file_per_class_without_a_class_column(tmp_path):
    """Teachers keep one file per class: 七年级1班期末成绩.xlsx, or a title ending （2班）."""
    t = tmp_path / "f" / "2024-2025-1"
    sf.xlsx(t / "七年级1班期末成绩.xlsx", ["学号", "姓名", "语文", "总分"], [["1", "甲一", 80, 80]],
            titles=["东山中学期末成绩"])
    sf.xlsx(t / "成绩2.xlsx", ["学号", "姓名", "语文", "总分"], [["2", "乙二", 70, 70]],
            titles=["东山中学2024-2025学年第一学期七年级期末成绩表（2班）"])
    manifest = clean_dataset(tmp_path / "f", tmp_path / "o")
    exams = pd.read_parquet(tmp_path / "o" / "exams.parquet").drop_duplicates("pupil_key")
    assert sorted(zip(exams.grade, exams.class_no)) == [(7, 1), (7, 2)]
    assert manifest["quarantine"]["rows"] == 0


# --- a school named only by its file name (issue 24, item 1) -------------------------------------------------------

def _named_by_file_names(root: Path) -> Path:
    """Two schools' rosters and exam tables side by side in one term folder, named as most offices name them, with
    no 学校 column and no title; a roster whose header sits under a 填表说明 block; a file named only by its form."""
    t = root / "2024-2025-1"
    for school, base in (("石门镇中学", 1), ("白沙乡中学", 2)):
        pupils = [(f"{base}0{i:02d}", f"生{base}{i}", "男" if i % 2 else "女", f"{i % 2 + 1}班") for i in range(1, 9)]
        sf.xlsx(t / f"{school}七年级学生名册.xlsx", ["学号", "姓名", "性别", "年级", "班级"],
                [[no, n, g, "七年级", c] for no, n, g, c in pupils])
        sf.xlsx(t / f"{school}七年级期末成绩.xlsx", ["学号", "姓名", "班级", "语文", "数学", "总分"],
                [[no, n, "七年级" + c, 80, 70, 150] for no, n, _, c in pupils])
    sf.xlsx(t / "学生花名册.xlsx", ["学号", "姓名", "性别", "年级", "班级"], [["3001", "丙一", "男", "七年级", "1班"]])
    sf.xlsx(root / "2024-2025-2" / "石门镇中学学生花名册.xlsx", ["学号", "姓名", "性别", "年级", "班级"],
            [[f"10{i:02d}", f"生1{i}", "男", "七年级", "1班"] for i in range(1, 5)],
            titles=["填表说明：1.学号填写学校编定的学号；2.班级写“X班”。", "3.各班以学校为单位汇总，本表由班主任填写。", ""])
    return root


def test_a_school_named_only_by_its_file_name_is_read_from_it(tmp_path):
    from liushou_analysis.cli import clean_summary

    root = _named_by_file_names(tmp_path / "county")
    manifest = clean_dataset(root, tmp_path / "o")
    school = {f["file"]: (f["school"], f["school_from"]) for f in manifest["files"]}
    assert school["2024-2025-1/石门镇中学七年级学生名册.xlsx"] == ("石门镇中学", "file name, confirmed by another file")
    assert school["2024-2025-1/白沙乡中学七年级期末成绩.xlsx"] == ("白沙乡中学", "file name, confirmed by another file")
    # the instruction block above the header is not a title: "学号填写学校" and "各班以学校" name no school
    assert school["2024-2025-2/石门镇中学学生花名册.xlsx"] == ("石门镇中学", "file name, confirmed by another file")
    (only_form,) = manifest["files_not_used"]
    assert only_form["file"] == "2024-2025-1/学生花名册.xlsx"
    assert "no school is named in this file" in only_form["reason"]
    assert manifest["totals"]["enrolment"]["rows_kept"] == 8 + 8 + 4
    assert manifest["totals"]["exams"]["rows_kept"] == 2 * 8 * 3
    printed = clean_summary(manifest, root, tmp_path / "o", 0.0)
    assert "石门镇中学: 3 file(s), resolved from: file name" in printed
    # one school alone: its file name is not confirmed by another file
    solo = tmp_path / "solo" / "2024-2025-1"
    sf.xlsx(solo / "青山小学学生名册.xlsx", ["学号", "姓名", "性别", "年级", "班级"], [["1", "甲", "男", "三年级", "1班"]])
    manifest = clean_dataset(tmp_path / "solo", tmp_path / "o2")
    assert [(f["school"], f["school_from"]) for f in manifest["files"]] == [("青山小学", "file name")]


@pytest.mark.parametrize("where, place, expected", [
    ("title", lambda t: sf.xlsx(t / "石门镇中学七年级学生名册.xlsx", ["学号", "姓名", "性别", "班级"],
                                 [["1", "甲", "男", "七年级1班"]], titles=["白沙乡中学学生花名册"]), "its title or 填报单位 line names 白沙乡中学"),
    ("folder", lambda t: sf.xlsx(t / "白沙乡中学" / "石门镇中学七年级学生名册.xlsx", ["学号", "姓名", "性别", "班级"],
                                  [["1", "甲", "男", "七年级1班"]]), "its folder names 白沙乡中学"),
    ("column", lambda t: sf.csv_file(t / "石门镇中学七年级学生名册.csv", ["学校", "学号", "姓名", "性别", "班级"],
                                      [["白沙乡中学", "1", "甲", "男", "七年级1班"]]), "its 学校 column names 白沙乡中学"),
])
def test_a_file_name_disagreeing_with_the_content_or_folder_is_one_sentence_and_neither_is_used(tmp_path, where,
                                                                                              place, expected):
    t = tmp_path / where / "2024-2025-1"
    place(t)
    manifest = clean_dataset(tmp_path / where, tmp_path / "o")
    (entry,) = manifest["files_not_used"]
    assert entry["reason"].startswith(f"{entry['file']}: the file name names 石门镇中学 but {expected};")
    assert "\n" not in entry["reason"] and entry["reason"].endswith(").")
    assert manifest["files"] == []
    # an alias in liushou.toml makes them agree
    (tmp_path / where / "liushou.toml").write_text('[school_aliases]\n"白沙乡中学" = ["石门镇中学"]\n', encoding="utf-8")
    manifest = clean_dataset(tmp_path / where, tmp_path / "o")
    assert [f["school"] for f in manifest["files"]] == ["白沙乡中学"]


@pytest.mark.parametrize("stem, school", [
    ("石门镇中学七年级学生名册", "石门镇中学"), ("白沙乡中心小学三年级期末成绩", "白沙乡中心小学"),
    ("大坪村教学点学生花名册", "大坪村教学点"), ("红星完小2024年秋季成绩", "红星完小"),
    ("青山九年一贯制学校留守儿童信息统计表", "青山九年一贯制学校"), ("七年级一班名单（东岭中心校）", "东岭中心校"),
    ("学生花名册", None), ("2024-2025学年第一学期七年级期末考试成绩表", None), ("三好学生及违纪情况汇总", None),
    ("结对帮扶名单", None), ("全县中小学留守儿童统计", None), ("乡镇中学学生名册", None),
    ("农村小学留守儿童名单", None)])
def test_a_file_name_names_a_school_only_when_it_holds_one(stem, school):
    from liushou_analysis.cleaning.identity import school_in_text

    assert school_in_text(stem) == school
