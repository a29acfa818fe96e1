"""Value parsers (liushou_analysis/cleaning/values.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
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
