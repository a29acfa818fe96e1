"""The reward-point scheme (liushou_analysis/scoring.py): hand-worked examples
from the plan text (001 篇6, 篇8; docs/domain.md section 6) with the arithmetic
in the comments, each open choice in both settings, and hypothesis invariants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_analysis.core.errors import UserError
from liushou_analysis.scoring.engine import RewardRules, helper_points, pupil_awards, pupil_points, score_scheme


def class_scores(year, semester, totals, cls="7-1"):
    """One exam of one class: pupils p1..pn with these totals (None = absent)."""
    return pd.DataFrame({"pupil_id": [f"p{i}" for i in range(1, len(totals) + 1)], "class_id": cls,
                         "school_year": year, "semester": semester, "total_score": totals})


# Ten pupils. Semester 1 totals give ranks p1..p10 = 1..10. In semester 2, p9 comes first,
# p1 falls to 2nd, and the others keep their order behind them.
SEM1 = [500, 490, 480, 470, 460, 450, 440, 430, 420, 410]
SEM2 = [495, 480, 470, 460, 450, 440, 430, 420, 505, 400]


@pytest.fixture
def year_one():
    scores = pd.concat([class_scores(1, 1, SEM1), class_scores(1, 2, SEM2)], ignore_index=True)
    pairings = pd.DataFrame({"helper_id": ["v1", "v1", "t1"], "helper_role": ["volunteer", "volunteer", "teacher"],
                             "pupil_id": ["p9", "p1", "p5"], "school_year": 1})
    conduct = pd.DataFrame({"pupil_id": ["p9", "p1", "p5"], "school_year": 1, "serious_violation": [0, 0, 1],
                            "three_good": [1, 0, 0]})
    classes = pd.DataFrame({"class_id": ["7-1"], "school_year": [1], "head_teacher_id": ["h1"]})
    return scores, pairings, conduct, classes


def test_rise_from_9th_to_1st_earns_both_awards(year_one):
    scores, pairings, conduct, classes = year_one
    out = score_scheme(scores, pairings, conduct, classes)
    p9 = out["pupil_points"].set_index("pupil_id").loc["p9"]
    # rose 9 -> 1: 8 places x 10 = 80; top 5 at the end only (not at baseline): 0 under "both";
    # no violation +20; three-good +10 -> 110
    assert (p9.base_rank, p9.end_rank, p9.places_risen) == (9, 1, 8)
    assert (p9.points_rise, p9.points_top5, p9.points_conduct, p9.points_three_good) == (80, 0, 20, 10)
    assert p9.points_total == 110
    a9 = out["pupil_awards"].set_index("pupil_id").loc["p9"]
    # rank 1 at the semester-2 final: 100 yuan; rose 8 >= 5 places: progress 15 -> 115
    assert (a9.award_excellence_yuan, a9.award_progress_yuan, a9.award_total_yuan) == (100, 15, 115)


def test_a_falling_top_pupil_and_a_violation(year_one):
    scores, pairings, conduct, classes = year_one
    pts = pupil_points(scores, pairings, conduct)[0].set_index("pupil_id")
    # p1 fell 1 -> 2: rise points 0 (falls count 0); in the top 5 at both: +10; conduct +20 -> 30
    assert (pts.loc["p1", "places_risen"], pts.loc["p1", "points_rise"], pts.loc["p1", "points_top5"]) == (-1, 0, 10)
    assert pts.loc["p1", "points_total"] == 30
    # p5 fell 5 -> 6: 0; not in the top 5 at the end; serious violation: 0; no title -> 0
    assert pts.loc["p5", "points_total"] == 0
    # negative falls: p1 loses 1 x 10 -> -10 + 10 + 20 = 20; p5 loses 10 -> -10
    neg = pupil_points(scores, pairings, conduct, RewardRules(fall_in_rank="negative"))[0].set_index("pupil_id")
    assert neg.loc["p1", "points_total"] == 20 and neg.loc["p5", "points_total"] == -10


def test_volunteer_sum_and_head_teacher_mean(year_one):
    scores, pairings, conduct, classes = year_one
    out = score_scheme(scores, pairings, conduct, classes)
    helpers = out["helper_points"].set_index("helper_id")
    # volunteer v1 is responsible for p9 (110) and p1 (30): sum 140 points = 140 yuan
    assert (helpers.loc["v1", "n_pupils"], helpers.loc["v1", "points"], helpers.loc["v1", "yuan"]) == (2, 140, 140)
    assert helpers.loc["t1", "points"] == 0
    head = out["head_teacher_points"].iloc[0]
    # head teacher h1: mean over the paired pupils of the class: (110 + 30 + 0) / 3
    assert head.head_teacher_id == "h1" and head.n_pupils == 3
    assert head.points == pytest.approx(140 / 3)
    # two yuan per point doubles every payout
    doubled = score_scheme(scores, pairings, conduct, classes, RewardRules(yuan_per_point=2))
    assert doubled["helper_points"].set_index("helper_id").loc["v1", "yuan"] == 280


def test_ties_use_competition_ranking_by_default():
    # totals 500, 480, 480, 470: competition ranks 1, 2, 2, 4; dense 1, 2, 2, 3; average 1, 2.5, 2.5, 4
    scores = pd.concat([class_scores(1, 1, [500, 480, 480, 470]), class_scores(1, 2, [500, 480, 480, 470])])
    pairings = pd.DataFrame({"helper_id": "v", "helper_role": "volunteer", "pupil_id": ["p4"], "school_year": 1})
    conduct = pd.DataFrame(columns=["pupil_id", "school_year", "serious_violation", "three_good"])
    for method, rank in (("min", 4), ("dense", 3), ("average", 4)):
        pts = pupil_points(scores, pairings, conduct, RewardRules(tie_method=method))[0]
        assert pts.end_rank.item() == rank


def test_an_absent_pupil_earns_no_rank_points_but_keeps_conduct_points():
    # p2 missed the semester-2 final: no rise or top-5 points, flagged; conduct +20 still applies
    scores = pd.concat([class_scores(1, 1, [500, 400, 300]), class_scores(1, 2, [500, None, 450])])
    pairings = pd.DataFrame({"helper_id": "v", "helper_role": "volunteer", "pupil_id": ["p2", "p3"], "school_year": 1})
    conduct = pd.DataFrame({"pupil_id": ["p2", "p3"], "school_year": 1, "serious_violation": 0, "three_good": 0})
    pts = pupil_points(scores, pairings, conduct)[0].set_index("pupil_id")
    assert pts.loc["p2", "points_rise"] == 0 and pts.loc["p2", "points_conduct"] == 20
    assert "missed_end_exam" in pts.loc["p2", "flags"]
    # ranked among those who sat: p3 is 2nd of 2 (rose 3 -> 2: +10, top 5 both: +10, conduct +20 = 40)
    assert pts.loc["p3", "end_rank"] == 2 and pts.loc["p3", "points_total"] == 40
    # ranking the whole class list puts the absent p2 last (3rd) and does not change p3
    listed = pupil_points(scores, pairings, conduct, RewardRules(ranked_population="class_list"))[0]
    listed = listed.set_index("pupil_id")
    assert listed.loc["p2", "end_rank"] == 3 and listed.loc["p2", "points_rise"] == 0


def test_second_school_year_uses_the_end_of_year_one_as_baseline():
    # year 1 semester 2 ranks: p1..p3 = 3, 2, 1; year 2 semester 1: p1 first (ignored for part one);
    # year 2 semester 2: p1 first -> rose 3 -> 1 over the full year: 20 points
    scores = pd.concat([class_scores(1, 1, [100, 200, 300]), class_scores(1, 2, [100, 200, 300]),
                        class_scores(2, 1, [400, 200, 300]), class_scores(2, 2, [400, 200, 300])])
    pairings = pd.DataFrame({"helper_id": "v", "helper_role": "volunteer", "pupil_id": ["p1"], "school_year": [2]})
    conduct = pd.DataFrame({"pupil_id": ["p1"], "school_year": [2], "serious_violation": [0], "three_good": [0]})
    pts, audit = pupil_points(scores, pairings, conduct)
    assert (pts.base_rank.item(), pts.end_rank.item(), pts.points_rise.item()) == (3, 1, 20)
    assert "school year 1 semester 2" in audit[audit.clause == "rank_rise"].reason.item()
    # the progress award compares the same year's semesters by default: 1 -> 1, no award;
    # against the part-one baseline it is 3 -> 1, still under 5 places
    awards = pupil_awards(scores, pairings)[0]
    assert awards.award_progress_yuan.item() == 0 and awards.award_excellence_yuan.item() == 100


def test_top5_rule_both_or_end_and_adding_or_not():
    # p6 rises 6 -> 5: +10 rise; in the top 5 at the end only
    scores = pd.concat([class_scores(1, 1, [600, 500, 400, 300, 200, 100]),
                        class_scores(1, 2, [600, 500, 400, 300, 100, 200])])
    pairings = pd.DataFrame({"helper_id": "v", "helper_role": "volunteer", "pupil_id": ["p6"], "school_year": 1})
    conduct = pd.DataFrame({"pupil_id": ["p6"], "school_year": 1, "serious_violation": 1, "three_good": 0})
    both = pupil_points(scores, pairings, conduct)[0].iloc[0]
    assert (both.points_rise, both.points_top5) == (10, 0)
    end = pupil_points(scores, pairings, conduct, RewardRules(top_rule="end"))[0].iloc[0]
    assert (end.points_rise, end.points_top5) == (10, 10)
    instead = pupil_points(scores, pairings, conduct, RewardRules(top_rule="end", top_adds_to_rise=False))[0].iloc[0]
    assert (instead.points_rise, instead.points_top5) == (0, 10)


def test_missing_conduct_record_withheld_or_assumed():
    scores = pd.concat([class_scores(1, 1, [500, 400]), class_scores(1, 2, [500, 400])])
    pairings = pd.DataFrame({"helper_id": "v", "helper_role": "volunteer", "pupil_id": ["p2"], "school_year": 1})
    conduct = pd.DataFrame(columns=["pupil_id", "school_year", "serious_violation", "three_good"])
    # p2 stays 2nd: rise 0, top 5 both +10; no record: conduct withheld (0), flagged
    withheld = pupil_points(scores, pairings, conduct)[0].iloc[0]
    assert withheld.points_total == 10 and "conduct_missing_withheld" in withheld["flags"]
    assumed = pupil_points(scores, pairings, conduct, RewardRules(missing_conduct="assume_no_violation"))[0].iloc[0]
    assert assumed.points_total == 30 and "conduct_missing_assumed" in assumed["flags"]


def test_awards_for_paired_pupils_only_or_everyone(year_one):
    scores, pairings, _, _ = year_one
    paired = pupil_awards(scores, pairings)[0]
    assert set(paired.pupil_id) == {"p1", "p5", "p9"}
    everyone = pupil_awards(scores, pairings, RewardRules(award_population="all"))[0].set_index("pupil_id")
    # p2 went 2nd -> 3rd: excellence 30; p10 stayed 10th: nothing
    assert len(everyone) == 10 and everyone.loc["p2", "award_excellence_yuan"] == 30
    assert everyone.loc["p10", "award_total_yuan"] == 0


def test_audit_traces_every_total(year_one):
    scores, pairings, conduct, classes = year_one
    out = score_scheme(scores, pairings, conduct, classes)
    audit = out["audit"]
    by_pupil = audit[audit.part == "helpers"].groupby(["pupil_id", "school_year"]).points.sum()
    pts = out["pupil_points"].set_index(["pupil_id", "school_year"]).points_total
    assert (by_pupil.loc[pts.index] == pts).all()
    yuan = audit[audit.part == "pupils"].groupby(["pupil_id", "school_year"]).yuan.sum()
    awards = out["pupil_awards"].set_index(["pupil_id", "school_year"]).award_total_yuan
    assert (yuan.loc[awards.index] == awards).all()
    assert audit.reason.str.len().min() > 5 and set(out["rules"].rule) >= {"tie_method", "fall_in_rank"}


def test_rules_reject_unknown_choices(tmp_path):
    with pytest.raises(UserError, match="fall_in_rank"):
        RewardRules(fall_in_rank="sometimes")
    toml = tmp_path / "rules.toml"
    toml.write_text('tie_method = "dense"\nyuan_per_point = 2\n', encoding="utf-8")
    assert RewardRules.from_toml(toml) == RewardRules(tie_method="dense", yuan_per_point=2)
    toml.write_text('bonus = 5\n', encoding="utf-8")
    with pytest.raises(UserError, match="unknown rule"):
        RewardRules.from_toml(toml)


@st.composite
def county(draw):
    n = draw(st.integers(3, 15))
    s1 = draw(st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=n, max_size=n))
    s2 = draw(st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=n, max_size=n))
    helpers = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    paired = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    scores = pd.concat([class_scores(1, 1, s1), class_scores(1, 2, s2)], ignore_index=True)
    pupils = [f"p{i}" for i in range(1, n + 1)]
    pairings = pd.DataFrame({"helper_id": helpers, "helper_role": "volunteer", "pupil_id": pupils,
                             "school_year": 1})[paired]
    conduct = pd.DataFrame({"pupil_id": pupils, "school_year": 1,
                            "serious_violation": draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
                            "three_good": draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))})
    return scores, pairings, conduct


@settings(max_examples=100, deadline=None)
@given(county(), st.sampled_from([1, 2, 0.5]))
def test_helper_totals_are_sums_and_yuan_is_points_times_rate(data, rate):
    scores, pairings, conduct = data
    rules = RewardRules(yuan_per_point=rate)
    pts, _ = pupil_points(scores, pairings, conduct, rules)
    helpers = helper_points(pts, pairings, rules).set_index("helper_id")
    expected = pairings.merge(pts, on=["pupil_id", "school_year"]).groupby("helper_id").points_total.sum()
    assert sorted(helpers.index) == sorted(expected.index)
    assert np.allclose(helpers.points.reindex(expected.index).astype(float), expected.astype(float))
    assert np.allclose(helpers.yuan, helpers.points * rate)


@settings(max_examples=100, deadline=None)
@given(county())
def test_no_rise_points_when_every_rank_is_unchanged(data):
    scores, pairings, conduct = data
    same = scores.copy()
    s1 = same[same.semester == 1].total_score.to_numpy()
    same.loc[same.semester == 2, "total_score"] = s1
    pts, _ = pupil_points(same, pairings, conduct)
    assert (pts.points_rise == 0).all()


def test_progress_award_same_year_or_against_the_baseline():
    # p1: 8th at the end of year 1, 2nd in year 2 semester 1, 1st at the end of year 2.
    # same year (default): 2 -> 1 is 1 place, no progress award;
    # against the part-one baseline (end of year 1): 8 -> 1 is 7 places >= 5: 15 yuan
    year1 = [100, 800, 700, 600, 500, 400, 300, 200]
    year2_s1 = [790, 800, 700, 600, 500, 400, 300, 200]
    year2_s2 = [900, 800, 700, 600, 500, 400, 300, 200]
    scores = pd.concat([class_scores(1, 1, year1), class_scores(1, 2, year1), class_scores(2, 1, year2_s1),
                        class_scores(2, 2, year2_s2)], ignore_index=True)
    pairings = pd.DataFrame({"helper_id": "v", "helper_role": "volunteer", "pupil_id": ["p1"], "school_year": [2]})
    same = pupil_awards(scores, pairings)[0].iloc[0]
    assert (same.award_excellence_yuan, same.award_progress_yuan) == (100, 0)
    base = pupil_awards(scores, pairings, RewardRules(progress_compare="baseline"))[0].iloc[0]
    assert (base.award_excellence_yuan, base.award_progress_yuan) == (100, 15)


def test_point_values_are_parameters(year_one):
    scores, pairings, conduct, _ = year_one
    # p9 with 5 points per place and 50 for conduct: 8 x 5 + 50 + 10 = 100
    rules = RewardRules(points_per_place=5, conduct_points=50)
    p9 = pupil_points(scores, pairings, conduct, rules)[0].set_index("pupil_id").loc["p9"]
    assert p9.points_total == 100


def test_every_amount_paid_is_a_whole_fen_rounded_half_up_per_person(year_one):
    """Hand-worked from the year-one class: the head teacher's mean is (110 + 30 + 0) / 3 = 46.666... points, so
    46.67 yuan at 1 yuan a point (half-up to the fen), 47 yuan under pay_rounding = "yuan"; 0.5 yuan a point gives
    23.333... -> 23.33 and 23. The total paid is the sum of the rounded amounts; the audit's rounding row holds
    the difference from the unrounded total, 46.67 - 46.666... = 0.00333..."""
    scores, pairings, conduct, classes = year_one
    out = score_scheme(scores, pairings, conduct, classes)
    head = out["head_teacher_points"].iloc[0]
    assert head.yuan == 46.67 and head.points == pytest.approx(140 / 3)
    rounding = out["audit"][out["audit"].clause == "rounding"]
    assert rounding.part.tolist() == ["head_teachers"] and rounding.yuan.item() == pytest.approx(46.67 - 140 / 3)
    assert "1 of 1 amounts changed; unrounded total 46.6667 yuan, paid total 46.67 yuan" in rounding.reason.item()
    assert score_scheme(scores, pairings, conduct, classes, RewardRules(pay_rounding="yuan")
                        )["head_teacher_points"].yuan.item() == 47
    half = score_scheme(scores, pairings, conduct, classes, RewardRules(yuan_per_point=0.5))
    assert half["head_teacher_points"].yuan.item() == 23.33
    assert half["helper_points"].set_index("helper_id").loc["v1", "yuan"] == 70  # 140 x 0.5: nothing to round
    with pytest.raises(UserError, match="pay_rounding"):
        RewardRules(pay_rounding="jiao")


def test_payout_totals_are_sums_of_the_rounded_amounts():
    from liushou_analysis.scoring.engine import payout_summary

    # seven classes whose head teachers' means are k / 7 points: every amount needs rounding
    heads = pd.DataFrame({"head_teacher_id": [f"h{k}" for k in range(7)], "class_id": [f"c{k}" for k in range(7)],
                          "school_year": 1, "n_pupils": 7, "points": [(550 + k) / 7 for k in range(7)]})
    rules = RewardRules()
    from liushou_analysis.scoring.engine import round_pay
    heads["yuan"] = round_pay(heads.points, rules)
    # 550/7 = 78.5714 -> 78.57; 551/7 = 78.7143 -> 78.71; 552/7 = 78.857 -> 78.86; 553/7 = 79; 554/7 = 79.1429 -> 79.14;
    # 555/7 = 79.2857 -> 79.29; 556/7 = 79.4286 -> 79.43: sum 553.00 (the unrounded sum is 3871/7 = 553.0 as well)
    assert heads.yuan.tolist() == [78.57, 78.71, 78.86, 79.0, 79.14, 79.29, 79.43]
    empty = pd.DataFrame(columns=["helper_id", "helper_role", "school_year", "n_pupils", "n_counted", "points", "paid",
                                  "yuan"]).astype({"paid": bool, "yuan": float, "school_year": int})
    awards = pd.DataFrame({"pupil_id": ["p1"], "school_year": [1], "award_total_yuan": [115.0]})
    totals = payout_summary({"helper_points": empty, "head_teacher_points": heads, "pupil_awards": awards,
                             "audit": pd.DataFrame(columns=["pupil_id", "part", "clause", "points", "yuan",
                                                            "school_year"])}, 1)["totals"]
    assert totals.head_teachers_yuan == 553.0 and totals.total_yuan == 668.0
    assert f"{totals.head_teachers_yuan:.10f}" == "553.0000000000"  # no float noise in a total
