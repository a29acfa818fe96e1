"""Pairing coverage and helper load (issue 28, item 1), worked by hand from the plans' rules.

The plans: every left-behind pupil paired (不留缺口), a teacher takes 2-3 pupils, a volunteer 1-2, a
3+2+1+1 group holds two left-behind pupils (docs/domain.md, section 3)."""

from __future__ import annotations

import pandas as pd

from liushou_analysis.indicators import support

TERM = "2024-2025-2"


def _school() -> tuple[pd.DataFrame, pd.DataFrame]:
    """东山中学, class A: pupils a1-a6 left behind under every definition, a7 and a8 not; class B: b1 left
    behind, b2 not. 西岭中学: w1 left behind, w2 status unknown. Pairings of the school year:

    * teacher T1: a1, a2, a3, a4 (four: over the load of 3); teacher T2: a5, b1 (listed last term, still in force)
    * volunteer V1: a1, a6, b1 (three: over 2)
    * peer a7 (class A, not left behind) helps a2; peer a3 (left behind) helps a4; peer b2 (class B) helps a5
    * group G1 lists a1, a2, a7 (two left behind: as planned)
    * last school year's list names w1: not in force now

    So in class A every left-behind pupil has a helper (a1-a6); with a teacher a1-a5; with a classmate who is
    not left behind only a2 (a4's peer is left behind, a5's is in another class). b1 has a teacher and a
    volunteer. w1 has nobody.
    """
    flags = {"strict_both_3m": None, "either_parent": None, "official_2016": None}
    rows = [("东山中学", "A", p, True) for p in ("a1", "a2", "a3", "a4", "a5", "a6")] + \
        [("东山中学", "A", "a7", False), ("东山中学", "A", "a8", False), ("东山中学", "B", "b1", True),
         ("东山中学", "B", "b2", False), ("西岭中学", "W", "w1", True), ("西岭中学", "W", "w2", None)]
    frame = pd.DataFrame(rows, columns=["school", "class_id", "pupil_key", "lb"])
    for d in flags:
        frame[d] = frame.lb.astype("boolean")
    frame = frame.drop(columns="lb")
    p = [("T1", "teacher", k, TERM) for k in ("a1", "a2", "a3", "a4")] + \
        [("T2", "teacher", "a5", "2024-2025-1"), ("T2", "teacher", "b1", TERM)] + \
        [("V1", "volunteer", k, TERM) for k in ("a1", "a6", "b1")] + \
        [("a7", "peer", "a2", TERM), ("a3", "peer", "a4", TERM), ("b2", "peer", "a5", TERM)] + \
        [("G1", "group_3211", k, TERM) for k in ("a1", "a2", "a7")] + \
        [("T9", "teacher", "w1", "2023-2024-2")]
    pairings = pd.DataFrame(p, columns=["helper_key", "helper_role", "pupil_key", "term"])
    pairings["school"] = pairings.pupil_key.map(frame.set_index("pupil_key").school)
    return frame, pairings


def test_coverage_per_school_and_for_all_by_hand():
    frame, pairings = _school()
    cov = support.pairing_coverage(frame, pairings, TERM)
    one = cov[cov.definition == "either_parent"].set_index("school")
    assert one.loc["东山中学", ["left_behind", "with_any_helper", "with_teacher", "with_classmate",
                              "without_helper"]].tolist() == [7, 7, 6, 1, 0]
    assert one.loc["西岭中学", ["left_behind", "with_any_helper", "without_helper"]].tolist() == [1, 0, 1]
    assert one.loc[support.ALL, ["left_behind", "with_any_helper"]].tolist() == [8, 7]
    assert one.loc[support.ALL, "share_any_helper"] == 7 / 8
    assert one.loc["东山中学", "share_classmate"] == 1 / 7
    assert set(cov.definition) == {"strict_both_3m", "either_parent", "official_2016"}
    by_class = support.pairing_coverage(frame, pairings, TERM, by="class_id")
    b = by_class[(by_class.definition == "either_parent") & (by_class.class_id == "B")].iloc[0]
    assert (b.school, b.left_behind, b.with_teacher, b.with_classmate) == ("东山中学", 1, 1, 0)


def test_uncovered_pupils_list_the_gap_by_key_only():
    frame, pairings = _school()
    gap = support.uncovered_pupils(frame, pairings, TERM, "either_parent")
    assert gap.to_dict("records") == [{"school": "西岭中学", "class_id": "W", "pupil_key": "w1"}]


def test_helper_load_against_the_plans_loads_by_hand():
    frame, pairings = _school()
    each, summary = support.helper_load(pairings, TERM)
    loads = each.set_index("helper_key")
    assert loads.loc["T1", ["pupils", "over_load"]].tolist() == [4, True]  # four: a teacher takes 2-3
    assert loads.loc["T2", ["pupils", "over_load"]].tolist() == [2, False]
    assert loads.loc["V1", ["pupils", "over_load"]].tolist() == [3, True]  # three: a volunteer takes 1-2
    assert not loads.loc["a7", "over_load"] and pd.isna(loads.loc["a7", "load"])  # no load set for a peer
    assert "G1" not in loads.index and "T9" not in loads.index
    teachers = summary[(summary.school == support.ALL) & (summary.helper_role == "teacher")].iloc[0]
    assert (teachers.helpers, teachers.pupils, teachers.over_load, teachers.most_pupils) == (2, 6, 1, 4)
    assert teachers.pupils_per_helper == 3.0 and teachers.share_over_load == 0.5


def test_group_membership_counts_the_left_behind_of_each_group():
    frame, pairings = _school()
    groups = support.group_membership(frame, pairings, TERM, "either_parent")
    g = groups.iloc[0]
    assert (g.helper_key, g.pupils, g.left_behind, bool(g.as_planned)) == ("G1", 3, 2, True)
