"""The plan as written: each pupil's own 初一 baseline, real class moves,
who is paid and which pupils count (liushou_analysis/scoring.py).

Reference: hand-worked from the plan text (001 篇6; docs/domain.md section
6). 「以初一第一学期期末学习成绩总分名次为考核基数」 sets year 1's baseline at the
pupil's own grade-7 semester-1 final; 「第二学年的考核就以第一学年第二学期期末学生
考试成绩名次为依据」 sets year n's at the end of year n-1; 「一块为牵手扶助志愿者、
班主任」 names whom part one pays and 「包保留守、单亲儿童」 which pupils count.
Every number below is worked out in the comments.

The records: two school years of one school, the data beginning at the
school-year-1 semester-1 exam.

- Year 1, grade 7, class A: a1..a6 score 600..550 at semester 1 (ranks
  1..6); at semester 2 a6 scores 610 and comes first, a1..a5 rank 2..6.
- Year 1, grade 8, class B: b1..b6 the same way (b6 rises 6 -> 1); their
  初一 was the year before the data.
- Year 2, grade 7, class C (a new cohort): c1..c6 600..550 at semester 1;
  at semester 2 c5 scores 605 and comes first, c1..c4 rank 2..5.
- Year 2, grade 8: class A moved up as A2 (a1..a5) with t1, who joined the
  school in grade 8; a6 moved to class D2 with d1..d3.
"""

from __future__ import annotations

import pandas as pd
import pytest

from liushou_analysis.scoring.engine import RewardRules, plan_exams, pupil_points, score_scheme


def exam(year, semester, cls, grade, totals: dict) -> pd.DataFrame:
    return pd.DataFrame({"pupil_id": list(totals), "class_id": cls, "school_year": year, "semester": semester,
                         "grade": grade, "total_score": list(totals.values())})


def seq(prefix, n=6, top=600):
    return {f"{prefix}{i}": top - 10 * (i - 1) for i in range(1, n + 1)}


SCORES = pd.concat([
    exam(1, 1, "A", 7, seq("a")), exam(1, 2, "A", 7, {**seq("a"), "a6": 610}),
    exam(1, 1, "B", 8, seq("b")), exam(1, 2, "B", 8, {**seq("b"), "b6": 610}),
    exam(2, 1, "C", 7, seq("c")), exam(2, 2, "C", 7, {**seq("c"), "c5": 605}),
    exam(2, 1, "A2", 8, {**seq("a", 5), "t1": 590}), exam(2, 2, "A2", 8, {**seq("a", 5), "t1": 605}),
    exam(2, 1, "D2", 8, {"a6": 500, "d1": 520, "d2": 510, "d3": 490}),
    exam(2, 2, "D2", 8, {"a6": 500, "d1": 520, "d2": 510, "d3": 490}),
], ignore_index=True)
PAIRINGS = pd.DataFrame({
    "helper_id": ["v1", "v1", "s1", "v1", "v2", "v2"],
    "helper_role": ["volunteer", "volunteer", "peer", "volunteer", "volunteer", "volunteer"],
    "pupil_id": ["a6", "b6", "c5", "a6", "a1", "t1"],
    "school_year": [1, 1, 2, 2, 2, 2]})
CONDUCT = pd.DataFrame({"pupil_id": ["a6", "b6", "c5", "a6", "a1", "t1"], "school_year": [1, 1, 2, 2, 2, 2],
                        "serious_violation": 0, "three_good": 0})
CLASSES = pd.DataFrame({"class_id": ["A", "B", "C", "A2", "D2"], "school_year": [1, 1, 2, 2, 2],
                        "head_teacher_id": ["h1", "h2", "h3", "h4", "h5"]})
# a6 and c5 are left behind; b6 is from a single-parent family; a1 is neither; t1 has no record.
PUPILS = pd.DataFrame({"pupil_id": ["a6", "b6", "c5", "a1"], "school_year": 1,
                       "left_behind_either_parent": [True, False, True, False],
                       "left_behind_strict_both_3m": [True, False, False, False],
                       "left_behind_official_2016": [True, False, False, False],
                       "single_parent": [False, True, False, False]}).astype(
    {c: "boolean" for c in ["left_behind_either_parent", "left_behind_strict_both_3m", "left_behind_official_2016",
                            "single_parent"]})


def run(**rules):
    return score_scheme(SCORES, PAIRINGS, CONDUCT, CLASSES, RewardRules(**rules), pupils=PUPILS)


def points(out):
    return out["pupil_points"].set_index(["pupil_id", "school_year"])


def test_each_pupil_starts_at_their_own_grade_7():
    keys = PAIRINGS[["pupil_id", "school_year"]].drop_duplicates()
    got = plan_exams(SCORES, keys, RewardRules()).set_index(["pupil_id", "school_year"])
    # a6 in year 1 is in grade 7: baseline is year 1 semester 1 (their 初一 semester-1 final)
    assert tuple(got.loc[("a6", 1), ["scheme_year", "base_year", "base_semester"]]) == (1, 1, 1)
    # c5 is in grade 7 in year 2: baseline is year 2 semester 1, not year 1 semester 2
    assert tuple(got.loc[("c5", 2), ["scheme_year", "base_year", "base_semester"]]) == (1, 2, 1)
    # a6 in year 2 (grade 8): the end of year 1
    assert tuple(got.loc[("a6", 2), ["scheme_year", "base_year", "base_semester"]]) == (2, 1, 2)
    # b6 in year 1 is in grade 8: baseline is grade 7 semester 2, before the data
    assert got.loc[("b6", 1), "baseline_before_data"] and got.loc[("b6", 1), "baseline_from"] == "none"
    assert not got.loc[("t1", 2), "baseline_before_data"]


def test_a_grade_7_pupil_in_the_second_year_of_data_has_a_baseline():
    p = points(run()).loc[("c5", 2)]
    # c5: rank 5 at the grade-7 semester-1 final of year 2, rank 1 at semester 2: 4 places x 10 = 40;
    # top 5 at both ends: +10; no violation: +20; no title -> 70
    assert (p.base_rank, p.end_rank, p.points_rise, p.points_top5, p.points_total) == (5, 1, 40, 10, 70)
    assert "baseline_before_data" not in p["flags"]


def test_a_pupil_whose_grade_7_lies_before_the_data():
    # b6 is in grade 8 in the first year of data. exclude (default): no rank points, conduct +20 -> 20
    p = points(run()).loc[("b6", 1)]
    assert pd.isna(p.base_rank) and p.points_rise == 0 and p.points_total == 20
    assert "baseline_before_data" in p["flags"] and "missed_base_exam" not in p["flags"]
    # earliest_exam: the year-1 semester-1 exam stands in: rank 6 -> 1 = 50, + 20 -> 70
    q = points(run(baseline_before_data="earliest_exam")).loc[("b6", 1)]
    assert (q.base_rank, q.end_rank, q.points_total) == (6, 1, 70)
    assert q.base_exam.startswith("grade 8 semester 1")


def test_a_pupil_who_joins_in_grade_8_missed_the_baseline():
    # t1 joined in year 2, grade 8: the baseline (year 1 semester 2) is in the data, but t1 is not in it:
    # no rank points (missed), conduct +20 -> 20; this is not a baseline before the data
    p = points(run()).loc[("t1", 2)]
    assert p.points_total == 20 and "missed_base_exam" in p["flags"] and "baseline_before_data" not in p["flags"]


def test_class_changed_means_a_real_move():
    pts = points(run())
    # Class A became A2 (a1..a5 went there); a6 went to D2: a real move.
    a6 = pts.loc[("a6", 2)]
    assert "class_changed" in a6["flags"]
    # a6: rank 1 at the end of year 1, rank 3 in D2 (520, 510, 500): fell 2 -> 0; top 5 both ends +10; +20 -> 30
    assert (a6.base_rank, a6.end_rank, a6.points_total) == (1, 3, 30)
    # a1 moved up with the class (A -> A2) although the identifier changed: no flag
    assert "class_changed" not in pts.loc[("a1", 2), "flags"]
    assert "class_changed" not in pts.loc[("c5", 2), "flags"]


def test_pupils_helping_classmates_are_not_paid_by_default():
    out = run()
    h = out["helper_points"].set_index(["helper_id", "school_year"])
    # peer s1 looks after c5 (70 points): listed with the points, paid 0 yuan, with an audit row
    assert h.loc[("s1", 2), "points"] == 70 and not h.loc[("s1", 2), "paid"] and h.loc[("s1", 2), "yuan"] == 0
    why = out["audit"][(out["audit"].helper_id == "s1") & (out["audit"].clause == "helper_paid")]
    assert len(why) == 1 and "牵手扶助志愿者" in why.reason.iloc[0]
    # paid_helpers = "all": s1 is paid 70 yuan
    h_all = run(paid_helpers="all")["helper_points"].set_index(["helper_id", "school_year"])
    assert h_all.loc[("s1", 2), "yuan"] == 70


def test_the_volunteer_sum_covers_the_pupils_who_count():
    h = run()["helper_points"].set_index(["helper_id", "school_year"])
    # year 1, v1: a6 (left behind, 70: rank 6 -> 1 = 50, + 20) + b6 (single-parent, 20) = 90 yuan
    assert h.loc[("v1", 1), "yuan"] == 90
    # year 2, v2: a1 is neither left behind nor single-parent (not counted); t1 has no record and is
    # counted (status_unknown = count): 20 yuan
    assert (h.loc[("v2", 2), "n_pupils"], h.loc[("v2", 2), "n_counted"], h.loc[("v2", 2), "yuan"]) == (2, 1, 20)
    assert run(status_unknown="exclude")["helper_points"].set_index(
        ["helper_id", "school_year"]).loc[("v2", 2), "yuan"] == 0
    # left-behind only: b6 drops out, v1 year 1 = 70; single-parent only: a6 drops out, v1 = 20
    assert run(assessed_pupils="left_behind")["helper_points"].set_index(
        ["helper_id", "school_year"]).loc[("v1", 1), "yuan"] == 70
    assert run(assessed_pupils="single_parent")["helper_points"].set_index(
        ["helper_id", "school_year"]).loc[("v1", 1), "yuan"] == 20
    # the definition moves the count: under strict_both_3m c5 is not left behind, so nobody is paid for c5
    strict = points(run(left_behind_definition="strict_both_3m"))
    assert not strict.loc[("c5", 2), "counted"] and strict.loc[("c5", 2), "points_paid"] == 0
    # the audit says why a pupil does not count
    audit = run()["audit"]
    row = audit[(audit.pupil_id == "a1") & (audit.clause == "pupil_counted")]
    assert len(row) == 1 and "留守、单亲儿童" in row.reason.iloc[0]


def test_head_teachers_get_the_mean_over_the_class_pupils_who_count():
    heads = run()["head_teacher_points"].set_index("head_teacher_id")
    # h1 (class A, year 1): a6 only, 70; h4 (A2, year 2): t1 (20; a1 does not count); h5 (D2): a6, 30
    assert heads.loc["h1", "points"] == 70 and heads.loc["h4", "points"] == 20 and heads.loc["h5", "points"] == 30
    assert heads.loc["h4", "n_pupils"] == 1


def test_without_a_grade_the_school_years_are_the_scheme_years():
    # the evaluator's contract without a grade column: year 1 semester 1 is everyone's baseline in year 1
    got = pupil_points(SCORES.drop(columns="grade"), PAIRINGS, CONDUCT)[0].set_index(["pupil_id", "school_year"])
    assert got.loc[("b6", 1), "base_rank"] == 6
    assert pd.isna(got.loc[("c5", 2), "base_rank"])  # year 2's baseline is year 1 semester 2, where c5 was not


@pytest.mark.parametrize("choice, value", [("baseline_before_data", "earliest_exam"), ("paid_helpers", "all"),
                                           ("assessed_pupils", "all_paired"), ("status_unknown", "exclude")])
def test_every_new_choice_moves_the_cost(choice, value):
    def total(out):
        return (out["helper_points"].yuan.sum() + out["head_teacher_points"].yuan.sum()
                + out["pupil_awards"].award_total_yuan.sum())
    assert total(run(**{choice: value})) != total(run())


def test_the_audit_adds_up_to_what_helpers_are_paid():
    """Each clause's yuan reach every paid helper of the pupil, so the audit's helper rows sum to the helpers'
    pay, under each paid-roles choice."""
    for value in ("adults", "all"):
        out = run(paid_helpers=value)
        audit = out["audit"]
        assert audit[audit.part == "helpers"].yuan.sum() == out["helper_points"].yuan.sum()


def test_the_progress_award_against_the_baseline_uses_each_pupils_own_baseline():
    """progress_compare = "baseline": c5, in grade 7 in year 2, is compared with their own grade-7
    semester-1 rank (5), not with year 1's end, where they were not: 5 -> 1 is 4 places, under the 5 the
    award needs; a6 in year 2 with the end of year 1 (1 -> 3)."""
    out = run(progress_compare="baseline")
    audit = out["audit"]
    reason = audit[(audit.pupil_id == "c5") & (audit.clause == "award_progress")].reason.iloc[0]
    assert reason.startswith("from rank 5 to 1")
    a6 = audit[(audit.pupil_id == "a6") & (audit.school_year == 2) & (audit.clause == "award_progress")].reason.iloc[0]
    assert a6.startswith("from rank 1 to 3")
