"""Audit of the reward formula (liushou_analysis/audit.py).

References: hand-worked league percentiles; planted truths of the null
replays (no effect: pay for percentile is flat in the baseline; the
replays reproduce what the unpaired pupils actually earned); and the
rules' own definitions for the cost of each open choice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.indicators.ranks import percentile_rank
from liushou_analysis.scoring import contract as scoring_io
from liushou_analysis.scoring import engine as scoring
from liushou_analysis.statistics import audit


@pytest.fixture(scope="module")
def inputs(sample_clean):
    return scoring_io.from_clean(sample_clean[0])


def test_league_percentile_leaves_out_the_pupils_own_class():
    # League of five: a's 10 has nobody below among b and c (0); a's 30 beats b's 20 and
    # ties c's 30 among the three others: 100 * (1 + 0.5) / 3 = 50; b's 20 beats a's 10
    # only of a, a, c: 100 * 1 / 3; b's 40 beats all three: 100; c's 30 among 10, 30, 20,
    # 40: two below and one tie of four: 100 * 2.5 / 4 = 62.5.
    d = pd.DataFrame({"lg": 1, "cls": ["a", "a", "b", "b", "c"], "s": [10, 30, 20, 40, 30]})
    got = percentile_rank(d, "s", by=["lg"], others_than="cls")
    assert got.round(6).tolist() == [0.0, 50.0, 33.333333, 100.0, 62.5]


def test_null_replays_reproduce_what_unpaired_pupils_earned(inputs):
    """Planted truth: unpaired pupils had no effect, so treating them as
    paired, the replays' expected rank-clause yuan must match what the
    plan's formula actually gives them (within 5%)."""
    year = 1
    frame = audit.year_frame(inputs, year)
    unpaired = frame.loc[~frame.paired, "pupil_id"]
    as_paired = dict(inputs, pairings=pd.DataFrame({"helper_id": "X" + unpaired.astype(str), "helper_role": "test",
                                                    "pupil_id": unpaired, "school_year": year}))
    frame_u = frame.assign(paired=~frame.paired)  # replays for the unpaired, fitted on the paired
    # The re-test regression must come from pupils without an effect: keep it on the unpaired.
    r = audit._replay(frame_u, as_paired, scoring.RewardRules(), audit._end_chunks(frame, 200, seed=1))
    expected = r.rank_points.sum()
    actual, _ = scoring.pupil_points(inputs["scores"], as_paired["pairings"], inputs["conduct"])
    actual = actual[actual.pupil_id.isin(unpaired)]
    assert expected == pytest.approx((actual.points_rise + actual.points_top5).sum(), rel=0.05)


def _stacked_points(frame, end, inputs, rules):
    """Second implementation of the replays: every replay stacked as a school year of its own (class and pupil
    codes offset per replay) and run through the whole engine, scoring.pupil_points, at once. Memory grows
    with the replays, so it is kept here, as the reference, for a few replays."""
    reps, n = end.shape[1], len(frame)
    rep = np.repeat(np.arange(reps), n)

    def per_replay(column):
        codes, uniques = pd.factorize(frame[column])
        return rep * max(len(uniques), 1) + np.tile(codes, reps)

    ids = rep * n + np.tile(np.arange(n), reps)
    scores = pd.concat([
        pd.DataFrame({"pupil_id": ids, "class_id": per_replay("class_id_base"), "school_year": 1, "semester": 1,
                      "total_score": np.tile(frame.base_score.to_numpy(), reps)}),
        pd.DataFrame({"pupil_id": ids, "class_id": per_replay("class_id"), "school_year": 1, "semester": 2,
                      "total_score": end.T.ravel()})], ignore_index=True)
    pairings = pd.DataFrame({"pupil_id": ids[np.tile(frame.paired.to_numpy(), reps)], "school_year": 1})
    co = inputs["conduct"]
    co = co[co.school_year == frame.school_year.iloc[0]].drop_duplicates("pupil_id").set_index("pupil_id")
    pupil = np.tile(frame.pupil_id.to_numpy(), reps)
    conduct = pd.DataFrame({"pupil_id": ids, "school_year": 1,
                            "serious_violation": co.serious_violation.reindex(pupil).to_numpy(),
                            "three_good": co.three_good.reindex(pupil).to_numpy()})
    counted = scoring.counted_pupils(frame[["pupil_id", "school_year"]], inputs["pupils"], rules).counted
    status = pd.DataFrame({"pupil_id": ids, "school_year": 1,
                           **{c: pd.array(np.tile(counted.to_numpy(), reps), dtype="boolean")
                              for c in scoring.STATUS_COLUMNS}})
    points, _ = scoring.pupil_points(scores, pairings, conduct, rules, pupils=status, audit=False)
    points["pupil"] = points.pupil_id.to_numpy() % n
    return points.groupby("pupil")[["points_rise", "points_top5", "points_paid"]].mean().reindex(range(n))


@pytest.mark.parametrize("rules", [scoring.RewardRules(),
                                   scoring.RewardRules(fall_in_rank="negative", top_rule="end", tie_method="dense",
                                                       top_adds_to_rise=False, assessed_pupils="all_paired")])
def test_replays_in_chunks_equal_the_whole_engine_on_every_replay(inputs, rules):
    """Reference: a second implementation (_stacked_points: the whole engine on all replays stacked). The
    chunked replays give the same points per pupil under the plan's rules and under switched choices, the same
    whether made one replay at a time or all at once, and the same pay-for-percentile percentiles."""
    frame = audit.year_frame(inputs, 2, rules)
    reps = 6
    end = audit.simulate_end(frame, reps, seed=4, effect=0.1)
    ref = _stacked_points(frame, end, inputs, rules)
    paired = frame.paired.to_numpy()
    for chunk in (1, 4, None):
        r = audit._replay(frame, inputs, rules, audit._end_chunks(frame, reps, 4, 0.1, chunk))
        assert r.reps == reps
        np.testing.assert_allclose(r.rank_points[paired], (ref.points_rise + ref.points_top5)[paired], atol=1e-9)
        np.testing.assert_allclose(r.paid_points[paired], ref.points_paid[paired], atol=1e-9)
        assert (r.rank_points[~paired] == 0).all()
        np.testing.assert_allclose(r.percentile, audit.pay_for_percentile(frame, end, 1.0).mean(axis=1))
    assert ref.points_rise[paired].abs().sum() > 0 and ref.points_top5[paired].sum() > 0  # not a vacuous match


def test_chance_pays_the_weak_and_big_classes_but_not_pay_for_percentile(inputs):
    """Planted truth of the null replays: with no effect, the plan pays
    helpers of pupils in the bottom 40% more than of the top 40%, and pays
    more per pupil in classes of 50+ than under 40; pay for percentile pays
    the same at every baseline (within 2 yuan of its mean) and rises under a
    planted effect."""
    # school year 2: every grade has its own baseline in the data (in year 1 only grade 7 does)
    null = audit.null_payout(inputs, 2, reps=100, seed=2)
    b = null["by_baseline"].set_index("base_band").expected_rank_yuan
    assert b[["0-20", "20-40"]].mean() > 2 * b[["60-80", "80-100"]].mean()
    s = null["by_class_size"].set_index("size_band").expected_rank_yuan
    assert s["50-59"] > s["<40"]
    summary = null["summary"].iloc[0]
    assert 0 < summary.chance_share_of_rank_yuan <= 1.2 and summary.paired_pupils > 300
    side = audit.compare_rules(inputs, 2, effect=0.15, reps=100, seed=3)
    p4p = side[side.rule == "pay_for_percentile"].pivot(index="base_band", columns="scenario", values="yuan_per_pupil")
    flat = p4p["no effect"]
    assert (flat - flat.mean()).abs().max() < 2
    assert (p4p["effect 0.15 SD"] > flat).all()
    plan = side[side.rule == "plan"].pivot(index="base_band", columns="scenario", values="yuan_per_pupil")["no effect"]
    assert plan.max() - plan.min() > 20  # the plan's chance pay depends on the baseline


def test_cost_sensitivity_switches_each_choice_once(inputs):
    out = audit.cost_sensitivity(inputs).set_index(["choice", "value"])
    base = out.loc[("(rules as given)", ""), "total_yuan"]
    full = scoring.score_scheme(inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"],
                                pupils=inputs["pupils"])
    assert base == pytest.approx(full["helper_points"].yuan.sum() + full["head_teacher_points"].yuan.sum()
                                 + full["pupil_awards"].award_total_yuan.sum())
    # Counting falls as negative can only lower the helpers' pay; awarding all pupils only raise the awards.
    assert out.loc[("fall_in_rank", "negative"), "helpers_yuan"] < out.loc[("(rules as given)", ""), "helpers_yuan"]
    assert out.loc[("award_population", "all"), "awards_yuan"] > out.loc[("(rules as given)", ""), "awards_yuan"]
    n_alternatives = sum(len(v) - 1 for v in scoring.RewardRules._CHOICES.values()) + 1  # + top_adds_to_rise
    assert len(out) == 1 + n_alternatives
    assert np.isfinite(out.change_pct).all()


def test_a_year_without_both_exams_is_a_plain_error(sample_clean):
    from liushou_analysis.core.errors import UserError

    inputs = scoring_io.from_clean(sample_clean[0])
    with pytest.raises(UserError, match="school year 2024 has no pupil ranked"):
        audit.null_payout(inputs, 2024, reps=2)


def test_on_the_sample_the_audit_sums_to_the_pay_and_peers_get_nothing(inputs):
    """Invariants of the plan as written on the whole sample: the audit's helper rows add up to the helpers'
    pay; pupils helping classmates are paid nothing by default; every grade-7 pupil-year has its own
    baseline in the data; class_changed fires only where the pupil's classmates went elsewhere."""
    out = scoring.score_scheme(inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"],
                               pupils=inputs["pupils"])
    audit_ = out["audit"]
    assert audit_[audit_.part == "helpers"].yuan.sum() == out["helper_points"].yuan.sum()
    helpers = out["helper_points"]
    assert helpers.loc[helpers.helper_role == "peer", "yuan"].sum() == 0
    pts = out["pupil_points"]
    grade7 = pts[pts.grade == 7]
    assert len(grade7) and not grade7["flags"].str.contains("baseline_before_data").any()
    # a move is real: the pupil's end class differs from where most of their baseline classmates went
    moved = pts[pts["flags"].str.contains("class_changed")]
    s = inputs["scores"]
    base_cls = s[s.semester == 2].set_index(["pupil_id", "school_year"]).class_id
    for r in moved.head(20).itertuples():
        before = base_cls.get((r.pupil_id, r.school_year - 1))
        mates = base_cls[base_cls == before].index.get_level_values(0)
        now = s[(s.school_year == r.school_year) & (s.semester == 2) & s.pupil_id.isin(mates)].class_id
        assert now.value_counts().idxmax() != r.class_id
