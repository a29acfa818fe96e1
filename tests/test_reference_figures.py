"""The figures the source documents quote (liushou_analysis/data/reference_figures.csv)
and their comparison (prevalence.compare_with_reference, care.reference_arithmetic).

References: the documents' own numbers, worked by hand in the comments
(122 / 743 = 16.42%; 120 / 238 = 50.42%, not the 51% the text states; the
national care shares 79.7 + 13 + 7.3 = 100 while 57.2% of the same children
have one parent at home), and a hand-made frame whose shares are counted by
hand.
"""

from __future__ import annotations

import pandas as pd

from liushou_analysis.indicators import care
from liushou_analysis.statistics import prevalence


def figures():
    return care.reference_figures().set_index("figure")


def test_every_figure_has_its_quote_source_and_stated_definition():
    f = figures()
    assert f.quote.notna().all() and f.source.notna().all()
    assert set(f.definition) <= {"not_stated", *care.DEFINITIONS}
    # 001 篇3 and 篇7 count left-behind pupils without saying how: not the 54321 plan's definition
    assert f.loc["school_743", "definition"] == "not_stated" and f.loc["school_193", "definition"] == "not_stated"
    # 涌泉's 80% grandparents / 20% teachers and relatives leaves no room for a parent at home
    assert set(f.loc[["yongquan_grandparents", "yongquan_teacher_relatives"], "population"]) == {"both_away"}


def test_the_figures_once_missing_are_there_with_their_counts():
    f = figures()
    assert f.loc["guanling_county", "count"] == 6577 and "6到16岁" in f.loc["guanling_county", "quote"]
    assert f.loc["fangzhao_township", "count"] == 585 and f.loc["fangzhao_central", "count"] == 106
    assert f.loc["yongquan_archives", "count"] == 193
    assert (f.loc["yongquan_proxy_mothers", "count"], f.loc["yongquan_proxy_mothers", "of"]) == (11, 193)
    assert f.loc["town_pairs", "count"] == 71 and "七十一对" in f.loc["town_pairs", "quote"]
    # 王西小学: 32% + 60% stated; the shares of the other two types are lost: 100 - 32 - 60 = 8
    assert f.loc["wangxi_remainder", "reference_pct"] == 8.0
    # shares the text lost are taken from its counts: 113 / 574 = 19.69% -> 19.7; 11 / 193 = 5.70% -> 5.7
    assert f.loc["wangxi_left_behind", "reference_pct"] == 19.7
    assert f.loc["yongquan_proxy_mothers", "reference_pct"] == 5.7


def test_the_documents_own_arithmetic():
    a = care.reference_arithmetic()
    by = {(r.check, r.figures): r.consistent for r in a.itertuples()}
    assert by[("share against counts", "school_743")]  # 122 / 743 = 16.42%, stated 16.4%
    assert not by[("share against counts", "kindergarten_238")]  # 120 / 238 = 50.42%, stated 51% (to +-0.5)
    splits = a[a.check == "a breakdown adds up to 100%"]
    assert splits.consistent.all() and len(splits) == 4
    # 79.7 + 13 + 7.3 = 100% of all left-behind children, yet 57.2% have one parent at home
    care_by_parent = a[a.check == "care by a parent at home"]
    assert len(care_by_parent) == 1 and not care_by_parent.consistent.iloc[0]
    assert "national_grandparents" in care_by_parent.figures.iloc[0]


def _frame():
    """Ten pupils in two schools: six left behind under either_parent, four of them with no parent at home;
    three of those four with grandparents, one with a teacher. Under strict_both_3m the four only."""
    n = 10
    either = [True] * 6 + [False] * 4
    all_away = [True] * 4 + [False] * 6
    return pd.DataFrame({
        "pupil_key": [f"p{i}" for i in range(n)], "school": ["s1"] * 5 + ["s2"] * 5,
        "class_id": ["c1", "c1", "c2", "c2", "c3", "c4", "c4", "c5", "c5", "c6"],
        "either_parent": pd.array(either, dtype="boolean"),
        "strict_both_3m": pd.array(all_away, dtype="boolean"),
        "official_2016": pd.array(all_away, dtype="boolean"),
        "all_parents_away": pd.array(all_away, dtype="boolean"),
        "care_arrangement": ["grandparents", "grandparents", "grandparents", "teacher_school", "one_parent",
                             "one_parent", "parents", "parents", "parents", "parents"],
        "paired_caring_mother": pd.array([True, False, False, False, False, False, False, False, False, False],
                                         dtype="boolean"),
    })


def test_comparisons_follow_the_stated_definition_and_population():
    c = prevalence.compare_with_reference(_frame())
    # not stated: one comparison under each definition
    assert sorted(c[c.figure == "school_743"].compared_under) == sorted(care.DEFINITIONS)
    # stated (001 篇10, either_parent): one comparison
    assert c[c.figure == "national_both_away"].compared_under.tolist() == ["either_parent"]
    # 涌泉 grandparents among pupils with no parent at home: 3 of 4 = 75%, not 3 of 6
    y = c[(c.figure == "yongquan_grandparents") & (c.compared_under == "either_parent")].iloc[0]
    assert y.n == 4 and y.estimate_pct == 75.0
    # 涌泉 teachers and relatives together: 1 of 4
    t = c[(c.figure == "yongquan_teacher_relatives") & (c.compared_under == "either_parent")].iloc[0]
    assert t.estimate_pct == 25.0
    # share left behind among pupils: 6 of 10 under either_parent, 4 of 10 under strict_both_3m
    s = c[c.figure == "school_743"].set_index("compared_under").estimate_pct
    assert (s["either_parent"], s["strict_both_3m"]) == (60.0, 40.0)
    # proxy mothers: 1 of the 6 left-behind pupils under either_parent
    m = c[(c.figure == "yongquan_proxy_mothers") & (c.compared_under == "either_parent")].iloc[0]
    assert round(m.estimate_pct, 4) == round(100 / 6, 4)
    # counts for other places are listed without an estimate, and "inside" is missing, not False
    county = c[c.figure == "guanling_county"].iloc[0]
    assert pd.isna(county.estimate_pct) and pd.isna(county.reference_inside_ci)
