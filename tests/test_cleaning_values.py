"""Value parsers (liushou_analysis/cleaning/values.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_analysis.cleaning import values as V
from liushou_analysis.synth.calibration import Messiness
from liushou_analysis.synth.exports import FileMess


def test_text_normalises_full_width_and_spaces():
    got = V.text(pd.Series(["　七年级２班 ", None, 12.0, "", "８８.５ "]))
    assert got[0] == "七年级2班"
    assert pd.isna(got[1]) and got[2] == "12" and pd.isna(got[3]) and got[4] == "88.5"


def test_student_ids_keep_text_and_strip_apostrophes():
    ids, was_number = V.student_ids(pd.Series(["'0120230001", 120230002.0, " 0120230003 ", None]))
    assert ids.tolist()[:3] == ["0120230001", "120230002", "0120230003"] and pd.isna(ids[3])
    assert was_number.tolist() == [False, True, False, False]
    padded, changed = V.restore_leading_zeros(ids.iloc[:3], was_number.iloc[:3], pd.Series(["a"] * 3))
    assert padded.tolist() == ["0120230001", "0120230002", "0120230003"] and changed.tolist() == [False, True, False]


def test_numbers_markers_are_missing_with_reason_never_zero():
    value, reason, problem = V.numbers(pd.Series(["88.50 ", 90, "缺考", "Q", "-", "未扫", "缺考，不计排名", "", "八十"]))
    assert value[:2].tolist() == [88.5, 90.0]
    assert value[2:].isna().all()
    assert reason.tolist()[2:8] == ["absent", "absent", "no_score", "not_scanned", "not_ranked", "blank"]
    assert problem[8] == "not_a_number" and problem[:8].isna().all()


def test_dates_in_every_typed_form():
    cells = pd.Series([dt.datetime(2013, 5, 6), dt.date(2013, 5, 6), 41400, "41400", "2013年5月6日", "2013.5.6",
                       "2013-05-06", "2013/5/6", "20130506", None, "去年", "2013.13.1"])
    got, problem = V.dates(cells)
    assert (got[:9] == pd.Timestamp("2013-05-06")).all()
    assert pd.isna(got[9]) and problem[9] is None
    assert problem[10] == "unparseable_date" and problem[11] == "unparseable_date"


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)), st.integers(0, 2**32 - 1))
def test_dates_the_generator_writes_parse_back_to_the_same_day(day, seed):
    """Property: every text form the export renderer writes round-trips."""
    mess = FileMess(np.random.default_rng(seed), Messiness(date_text_share=1.0))
    rendered = mess.dates(pd.Series([pd.Timestamp(day)]), np.array([0]), "出生日期", as_csv=False)
    parsed, problem = V.dates(pd.Series(rendered, dtype=object))
    assert parsed[0] == pd.Timestamp(day) and problem[0] is None


def test_labels_and_relations_map_through_the_codebook():
    codes, unmapped = V.labels_to_codes(pd.Series(["隔代监护", "寄养", "干爹监护", None]), "care_type")
    assert codes.tolist()[:2] == ["grandparents", "relatives"] and pd.isna(codes[2]) and unmapped[2] == "干爹监护"
    rel, bad = V.relation_codes(pd.Series(["外婆、姑姑", "姥姥", "奶奶和干爹", None]))
    assert rel[0] == "grandmother;aunt_uncle" and rel[1] == "grandmother"
    assert pd.isna(rel[2]) and bad[2] == "奶奶和干爹" and pd.isna(rel[3]) and pd.isna(bad[3])


def test_class_labels():
    grade, k = V.class_labels(pd.Series(["七年级2班", "七(2)班", "初一2班", "7.2", "七年级２班", "八（3）班", "实验班"]))
    assert grade.tolist()[:6] == [7, 7, 7, 7, 7, 8] and k.tolist()[:6] == [2, 2, 2, 2, 2, 3]
    assert pd.isna(grade[6]) and pd.isna(k[6])


def test_id_number_checks():
    ok = "11010519491231002X"  # GB 11643-1999 worked example: born 1949-12-31, female (2 is even)
    ids = pd.Series([ok, ok[:17] + "1", ok, ok, "1101051949", None])
    born = pd.Series(pd.to_datetime(["1949-12-31", "1949-12-31", "1950-01-01", "1949-12-31", None, None]))
    gender = pd.Series(["female", "female", "female", "male", None, None])
    assert V.check_id_numbers(ids, born, gender).tolist() == [
        "valid", "bad_check_digit", "birth_date_mismatch", "gender_mismatch", "malformed", "missing"]


def test_status_words_are_split_from_names():
    names, status = V.split_status_from_names(pd.Series(["张三（转入）", "李四(休学)", "王五"]))
    assert names.tolist() == ["张三", "李四", "王五"]
    assert status.tolist()[:2] == ["transferred_in", "suspended"] and pd.isna(status[2])


def test_dates_typed_as_numbers_and_year_months():
    """201203 and 20120305 typed into Excel as numbers, and 201203 as text, are dates; 123 is not."""
    parsed, problem = V.dates(pd.Series([201203, 20120305.0, "201203", 123, "2012.3"]))
    assert parsed.dt.strftime("%Y-%m-%d").tolist()[:3] == ["2012-03-01", "2012-03-05", "2012-03-01"]
    assert pd.isna(parsed[3]) and problem[3] == "unparseable_date" and parsed[4] == pd.Timestamp("2012-03-01")


def test_gender_and_crosses_in_their_school_spellings():
    codes, unmapped = V.labels_to_codes(pd.Series(["男生", "女生", "男"]), "gender")
    assert codes.tolist() == ["male", "female", "male"] and unmapped.isna().all()
    codes, _ = V.labels_to_codes(pd.Series(["×", "√"]), "yes_no")
    assert codes.tolist() == ["no", "yes"]


#: Posts as pairing lists write them, and the role docs/forms.md says each is read as (None: no rule reads it).
POSTS = {"语文教师": "teacher", "数学老师": "teacher", "英语教师": "teacher", "物理老师": "teacher", "支教老师": "teacher",
         "乡村教师": "teacher", "党员教师": "teacher", "副校长": "teacher", "教导主任": "teacher", "德育主任": "teacher",
         "总务主任": "teacher", "政教处主任": "teacher", "大队辅导员": "teacher", "生活老师": "teacher", "宿管": "teacher",
         "年级组长": "teacher", "教研组长": "teacher", "村干部": "community_cadre", "村支书": "community_cadre",
         "村主任": "community_cadre", "妇联主任": "community_cadre", "村民小组长": "community_cadre",
         "驻村第一书记": "community_cadre", "妇女主任": "community_cadre", "退休教师": "retired_teacher", "退休老师": "retired_teacher",
         "家长志愿者": "other_parent", "学生家长": "other_parent", "爱心妈妈": "caring_mother",
         "代理爸爸": "caring_mother", "青年志愿者": "volunteer", "义工": "volunteer", "班长": "peer", "副班长": "peer",
         "学生干部": "peer", "班干部": "peer", "小组长": "peer", "组长": "peer", "学习委员": "peer",
         "生活委员": "peer", "语文课代表": "peer", "中队长": "peer", "门卫": None, "食堂师傅": None}


def test_posts_are_read_by_rule_not_one_codebook_row_per_subject():
    codes, unmapped = V.helper_roles(pd.Series(list(POSTS) + [None, "　科任教师 "]))
    assert dict(zip(POSTS, codes[:len(POSTS)].where(codes.notna(), None), strict=True)) == POSTS
    assert pd.isna(codes.iloc[-2]) and pd.isna(unmapped.iloc[-2]) and codes.iloc[-1] == "teacher"
    assert sorted(unmapped.dropna()) == ["门卫", "食堂师傅"]


def test_a_role_that_is_missing_or_unknown_is_never_paid():
    from liushou_analysis.scoring.engine import RewardRules, paid_role

    roles = pd.Series(["teacher", "peer", None, "unknown", "volunteer"])
    assert paid_role(roles, RewardRules()).tolist() == [True, False, False, False, True]
    assert paid_role(roles, RewardRules(paid_helpers="all")).tolist() == [True, True, False, False, True]


@pytest.mark.parametrize("cell, value, reason", [
    ("92分", 92.0, None), ("92.5分", 92.5, None), (" 88 分", 88.0, None), ("免考", None, "exempt"),
    ("缓考", None, "deferred"), ("作弊", None, "void"), ("违纪", None, "void"), ("病假", None, "leave"),
    ("事假", None, "leave"), ("—", None, "no_score"), ("－", None, "no_score"), ("/", None, "no_score"),
    ("／", None, "no_score"), ("无", None, "no_score"), ("舞弊", None, "void"), ("缺席", None, "absent"),
    ("未参考", None, "absent")])
def test_score_words_schools_write(cell, value, reason):
    values, why, problem = V.numbers(pd.Series([cell]), unit="分")
    assert (pd.isna(values[0]) if value is None else values[0] == value) and problem[0] is None
    assert (pd.isna(why[0]) if reason is None else why[0] == reason)


def test_other_text_in_a_score_cell_is_still_not_a_number():
    values, _, problem = V.numbers(pd.Series(["九十", "92.5.1", "92分分", "92"]), unit="分")
    assert problem.tolist() == ["not_a_number"] * 3 + [None] and values[3] == 92
    assert V.numbers(pd.Series(["92分"]))[2][0] == "not_a_number"  # a unit is read only where it is asked for


def test_numbers_read_numeric_cells_directly_as_the_text_path_would():
    """Cells that already hold numbers skip the text path (issue 26): the same values, reasons and problems as
    reading every cell as text (the second implementation, values._text_numbers), on a column mixing numbers,
    numbers as text, units, markers, blanks, a True, an Excel error and numpy scalars."""
    cells = pd.Series([92.0, "88.5 ", None, "缺考", np.nan, True, "#N/A", "abc", 7, "92分", np.int64(5), 1e20, "-"],
                      dtype=object)
    fast = V.numbers(cells, unit="分")
    slow = V._text_numbers(cells, V.absence_codes(), "分")
    for a, b in zip(fast, slow, strict=True):
        pd.testing.assert_series_equal(a, b, check_dtype=False)
    # a dataset whose absence marker reads as a number ("0" for absent) keeps every cell on the text path
    assert V.numbers(pd.Series([0, 5.0], dtype=object), {"0": "absent"})[1].tolist() == ["absent", np.nan]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.text("0123456789", min_size=1, max_size=6), st.booleans()),
                min_size=1, max_size=40))
def test_restore_leading_zeros_takes_each_groups_mode_as_series_mode_does(rows):
    """Second implementation of the usual length (issue 26 made it one grouped count): each group's
    Series.mode() of the text ids' lengths (the shortest of equally common ones), else the group's longest."""
    groups = pd.Series([g for g, _, _ in rows])
    ids = pd.Series([i for _, i, _ in rows], dtype=object)
    was_number = pd.Series([n for _, _, n in rows])
    got, _ = V.restore_leading_zeros(ids, was_number, groups)
    lengths = ids.str.len()
    usual = lengths.where(~was_number).groupby(groups).transform(
        lambda s: s.mode().iloc[0] if s.notna().any() else np.nan).fillna(lengths.groupby(groups).transform("max"))
    expected = [i.zfill(int(u)) if n and len(i) < u else i for i, n, u in zip(ids, was_number, usual, strict=True)]
    assert got.tolist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from([None, 1, 1.0, "1", "a", "b", " a"]), min_size=4, max_size=4),
                min_size=1, max_size=30))
def test_duplicate_rows_are_those_of_the_whole_rows_as_text(rows):
    """Second implementation of tables._duplicate_rows (issue 26 narrows it to candidate rows first): every
    row turned into text, duplicated after its first occurrence."""
    from liushou_analysis.cleaning.tables import _duplicate_rows

    cells = pd.DataFrame(rows, columns=["_file", "x", "y", "z"], dtype=object)
    assert _duplicate_rows(cells).tolist() == cells.astype(str).duplicated(keep="first").tolist()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 10**12), st.floats(allow_nan=True),
                          st.booleans(), st.sampled_from(["　七年级２班 ", "ＡＢＣ", " \x1c", "\u00a0x"])),
                max_size=30))
def test_text_of_every_cell_is_the_per_cell_rule(cells):
    """Second implementation of values.text (issue 26 runs the text cells through one C-level call per step):
    the per-cell rule (NFKC, trimmed, empty to missing; whole floats as integers) once per distinct value."""
    column = pd.Series(cells, dtype=object)
    got, expected = V.text(column), V._per_distinct(column, V._one_text)
    assert [repr(v) for v in got] == [repr(v) for v in expected]
