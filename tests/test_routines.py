"""Contact routines (liushou_analysis/routines.py), hand-worked."""

from __future__ import annotations

import pandas as pd
import pytest

from liushou_analysis.indicators.routines import FIVE_COMPONENTS, archive_completeness, five_ones, three_ones


def contacts(rows):
    cols = ["pupil_key", "term", "month", "calls_to_parents", "letters_to_parents", "head_teacher_talks",
            "subject_teacher_talks", "parent_visits", "helper_home_visits", "helper_calls_to_parents",
            "helper_letters_to_parents"]
    frame = pd.DataFrame(rows, columns=cols)
    for c in cols[3:]:
        frame[c] = frame[c].astype("Int64")
    return frame


def test_five_ones_by_hand():
    c = contacts([
        # pupil a, semester 1: calls 4 and 3 (one month short of weekly), letters every month,
        # head teacher every month, subject teacher missing one month, no visit yet
        ["a", "2023-2024-1", "2023-09", 4, 1, 1, 1, 0, 0, 0, 0],
        ["a", "2023-2024-1", "2023-10", 3, 1, 2, 0, 0, 0, 0, 0],
        # semester 2: calls weekly, no letters, visit at Spring Festival -> the year's visit is met
        ["a", "2023-2024-2", "2024-02", 5, 0, 1, 1, 1, 0, 0, 0],
        ["a", "2023-2024-2", "2024-03", 4, 0, 1, 1, 0, 0, 0, 0],
        # pupil b: a month with the call count missing -> weekly_call unknown, not False
        ["b", "2023-2024-1", "2023-09", 6, 0, 1, 1, 0, 0, 0, 0],
        ["b", "2023-2024-1", "2023-10", None, 0, 1, 1, 0, 0, 0, 0],
    ])
    f = five_ones(c).set_index(["pupil_key", "term"])
    a1, a2, b1 = f.loc[("a", "2023-2024-1")], f.loc[("a", "2023-2024-2")], f.loc[("b", "2023-2024-1")]
    assert [a1[k] for k in FIVE_COMPONENTS] == [False, True, True, False, False]
    assert a1.share_met == pytest.approx(2 / 5) and a1.components_met == 2
    assert [a2[k] for k in FIVE_COMPONENTS] == [True, False, True, True, True]
    assert pd.isna(b1.weekly_call) and b1.monthly_head_teacher
    assert b1.share_met == pytest.approx(2 / 4)  # of the four known components, two are met
    assert a1.months_logged == 2


def test_three_ones_only_for_paired_pupils():
    c = contacts([
        ["a", "2023-2024-2", "2024-03", 0, 0, 0, 0, 0, 1, 1, 0],
        ["a", "2023-2024-2", "2024-04", 0, 0, 0, 0, 0, 2, 0, 1],
        ["b", "2023-2024-2", "2024-03", 0, 0, 0, 0, 0, 0, 0, 0],
    ])
    pairings = pd.DataFrame({"pupil_key": ["a"], "term": ["2023-2024-2"], "helper_key": ["T0"]})
    t = three_ones(c, pairings)
    assert t.pupil_key.tolist() == ["a"]
    row = t.iloc[0]
    # home visits 1 and 2 (every month), calls 1 and 0 (a month missed), one letter in the semester
    assert (row.monthly_home_visit, row.monthly_call_to_parents, row.letter_each_semester) == (True, False, True)
    assert row.share_met == pytest.approx(2 / 3)


def test_archive_completeness_by_school():
    status = pd.DataFrame({"pupil_key": ["a", "b", "c", "d"], "term": "t", "school": ["s1", "s1", "s1", "s2"],
                           "either_parent": pd.array([True, True, True, False], dtype="boolean")})
    archive = pd.DataFrame({"pupil_key": ["a", "b", "d"], "term": "t",
                            **{k: [True, v, True] for k, v in [("has_basic_info", True), ("has_personality", False),
                                                                ("has_interests", True), ("has_health", True),
                                                                ("has_contacts", True)]}})
    r = archive_completeness(archive, status).set_index("school")
    # s1: three left-behind pupils, a complete, b lacks personality, c has no archive
    assert r.loc["s1", "left_behind"] == 3 and r.loc["s1", "archived"] == 2 and r.loc["s1", "complete"] == 1
    assert r.loc["s1", "complete_rate"] == pytest.approx(1 / 3)
    assert "s2" not in r.index  # d is not left behind
