"""Left-behind definitions, care arrangements, guardians (liushou_analysis/status.py).

Hand-worked cases, then agreement with the sample's truth (the generator's
clean family records) after `liushou clean`.
"""

from __future__ import annotations

import pandas as pd
import pytest

from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.cleaning.pseudonym import DEMO_KEY, pseudonyms
from liushou_analysis.indicators.status import (
    age_at,
    care_arrangement,
    definition_counts,
    either_parent,
    guardian_characteristics,
    left_behind_status,
    official_2016,
    strict_both_3m,
)

NA = pd.NA


def values(series: pd.Series) -> list:
    """A Series as a list with None for missing (NA cannot be compared with ==)."""
    return [None if pd.isna(v) else v for v in series]


def household(**cols):
    base = {"pupil_key": "P0000000000000000", "term": "2023-2024-1", "school": "s", "family_type": "two_parent",
            "father_listed": True, "mother_listed": True, "father_away": False, "mother_away": False,
            "father_months_away": 0, "mother_months_away": 0, "parent_unable_to_guard": NA,
            "guardian_relation": "mother", "guardian_age": 40, "guardian_health": "good",
            "guardian_education": "junior", "care_type": "parents"}
    n = max(len(v) for v in cols.values())
    frame = pd.DataFrame({k: [v] * n for k, v in base.items()})
    for k, v in cols.items():
        frame[k] = pd.Series(v, dtype=object)
    for c in ("father_listed", "mother_listed", "father_away", "mother_away", "parent_unable_to_guard"):
        frame[c] = frame[c].astype("boolean")
    for c in ("father_months_away", "mother_months_away"):
        frame[c] = frame[c].astype("Int64")
    return frame


def test_definitions_by_hand():
    # row: father away 12 | both away 12/10 | both away, mother only 2 months | one away, the other unable
    #      | single mother (no father listed) away 6 | orphan | father answer missing, mother at home
    h = household(father_away=[True, True, True, True, NA, NA, NA],
                  mother_away=[False, True, True, False, True, NA, False],
                  father_months_away=[12, 12, 12, 12, NA, NA, NA], mother_months_away=[0, 10, 2, 0, 6, NA, 0],
                  father_listed=[True, True, True, True, False, False, True],
                  mother_listed=[True, True, True, True, True, False, True],
                  parent_unable_to_guard=[False, NA, NA, True, NA, NA, NA])
    assert values(either_parent(h)) == [True, True, True, True, True, False, None]
    # last row: the mother is at home, so "both away" is False whatever the father's missing answer
    assert values(strict_both_3m(h)) == [False, True, False, False, True, False, False]
    young = pd.Series(["2011-03"] * 7)
    # the 2016 definition has no months threshold, so row 3 (mother away 2 months) counts
    assert values(official_2016(h, young, pd.Timestamp("2023-09-01"))) == [False, True, True, True, True, False,
                                                                           None]
    old = pd.Series(["2007-08"] * 7)  # 16 on 2023-09-01: never left behind under this definition
    assert values(official_2016(h, old, pd.Timestamp("2023-09-01"))) == [False] * 7


def test_age_at_counts_the_birth_month_as_birthday():
    ages = age_at(pd.Series(["2007-09", "2007-10", None]), pd.Timestamp("2023-09-01"))
    assert ages.tolist()[:2] == [16, 15] and pd.isna(ages[2])


def test_care_arrangement_rule_by_hand():
    h = household(guardian_relation=["grandmother;aunt_uncle", "mother", "mother", "aunt_uncle;teacher", "self", NA],
                  father_away=[True, True, False, True, True, True],
                  mother_away=[True, False, False, True, True, True],
                  care_type=["grandparents", "one_parent", "parents", "relatives", "none_self", "teacher_school"],
                  family_type=["two_parent", "two_parent", "single_parent", "two_parent", "orphan", "two_parent"])
    got = care_arrangement(h)
    # 奶奶、姑姑 -> grandparents (precedence); mother with father away -> one_parent; mother, nobody away
    # -> parents; relatives beat teacher; self -> nobody; no guardian named -> the reported type
    assert got.care_arrangement.tolist() == ["grandparents", "one_parent", "parents", "relatives", "none_self",
                                             "teacher_school"]
    assert got.single_parent.tolist() == [False, False, True, False, False, False]
    assert got.orphan.tolist() == [False, False, False, False, True, False]


def test_guardian_characteristics():
    h = household(guardian_age=[29, 30, 65, 80, NA], guardian_relation=["mother", "father", "grandparents",
                                                                         "grandmother;aunt_uncle", "self"])
    g = guardian_characteristics(h)
    assert g.guardian_age_band.tolist()[:4] == ["<30", "30-39", "60-69", "70+"] and pd.isna(g.guardian_age_band[4])
    assert g.guardian_relation.tolist() == ["mother", "father", "grandparents", "grandmother", "self"]


def test_definition_counts_report_missing_answers():
    status = pd.DataFrame({"term": ["t"] * 3, "strict_both_3m": pd.array([True, False, NA], dtype="boolean"),
                           "either_parent": pd.array([True, True, False], dtype="boolean"),
                           "official_2016": pd.array([NA, NA, True], dtype="boolean")})
    c = definition_counts(status).set_index("definition")
    assert c.loc["strict_both_3m", ["left_behind", "missing", "pupils"]].tolist() == [1, 1, 3]
    assert c.loc["strict_both_3m", "share"] == 0.5 and c.loc["either_parent", "share"] == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory, sample_dir, truth):
    out = tmp_path_factory.mktemp("clean")
    clean_dataset(sample_dir, out)
    h = pd.read_parquet(out / "households.parquet")
    p = pd.read_parquet(out / "pupils.parquet")
    tp = truth["pupils"].merge(truth["schools"][["school_id", "school_name"]], on="school_id")
    key = pd.Series(pseudonyms(tp.school_name + "|" + tp.student_no, DEMO_KEY, "P").to_numpy(), index=tp.pupil_uid)
    sem1 = truth["terms"][truth["terms"].semester == 1].set_index("year_index").term
    th = truth["households"].assign(pupil_key=lambda d: d.pupil_uid.map(key), term=lambda d: d.year_index.map(sem1))
    th = th.merge(tp[["pupil_uid", "birth_date"]], on="pupil_uid")
    m = h.merge(th, on=["term", "pupil_key"], suffixes=("", "_true"))
    return h, p, m


def test_definitions_agree_with_truth_where_answers_are_known(cleaned):
    h, p, m = cleaned
    status = left_behind_status(m[h.columns], p)
    fam = m.family_type_true
    fa, ma = m.father_away_true, m.mother_away_true
    f_in, m_in = m.father_name != "", m.mother_name != ""
    truth_either = (f_in & fa) | (m_in & ma)
    f3 = fa & (m.father_months_away_true >= 3)
    m3 = ma & (m.mother_months_away_true >= 3)
    truth_strict = (~f_in | f3) & (~m_in | m3) & truth_either
    for name, expected in (("either_parent", truth_either), ("strict_both_3m", truth_strict)):
        got = status[name]
        known = got.notna()
        assert (got[known] == expected[known]).all(), name
        assert known.mean() > 0.8
    surveyed = m.family_type.notna()  # the register (office-kept schools) has no family type
    assert (fam[surveyed] == m.family_type[surveyed]).all() and surveyed.mean() > 0.8


def test_official_2016_agrees_with_truth_away_from_the_birthday_month(cleaned):
    h, p, m = cleaned
    status = left_behind_status(m[h.columns], p)
    start = pd.to_datetime(m.term.str[:4] + "-09-01")
    born = pd.to_datetime(m.birth_date)
    age = start.dt.year - born.dt.year - ((start.dt.month < born.dt.month) |
                                          ((start.dt.month == born.dt.month) & (start.dt.day < born.dt.day)))
    f_in, m_in = m.father_name != "", m.mother_name != ""
    fa, ma = f_in & m.father_away_true, m_in & m.mother_away_true
    all_away = (~f_in | fa) & (~m_in | ma) & (fa | ma)
    one_unable = f_in & m_in & (fa ^ ma) & m.parent_unable_to_guard_true
    expected = (all_away | one_unable) & (age < 16)
    got = status.official_2016
    comparable = got.notna() & (born.dt.month != start.dt.month)
    assert (got[comparable] == expected[comparable]).all()
    assert (age >= 16).any()  # the age limit matters in this sample


def test_care_arrangement_agrees_with_truth(cleaned):
    h, _, m = cleaned
    care = care_arrangement(m[h.columns])
    assert (care.care_arrangement == m.care_type_true).all()
