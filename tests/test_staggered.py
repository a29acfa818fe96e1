"""Staggered pairing: group-time effects ATT(g, t) and their aggregations (statistics/staggered.py).

References: the diff-diff package's CallawaySantAnna (an independent implementation, a test dependency) on
point estimates and analytic standard errors; group means worked by hand on a six-pupil panel; planted effects
that grow with time since pairing, for bias and coverage (a quick version here, 200 replications under
`make validate`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from liushou_analysis import staggered_did
from liushou_analysis.core.errors import UserError


def panel(seed: int, pupils: int = 600, periods: int = 6, classes: int = 40, class_shock: float = 0.0,
          slope: float = 0.5) -> tuple[pd.DataFrame, dict]:
    """Pupils first paired in periods 2 to 5 or never, in classes with their own shocks each period; the effect
    is ``slope`` x (periods since pairing + 1). Returns the long panel and the true aggregations."""
    rng = np.random.default_rng(seed)
    first = rng.choice([0, 2, 3, 4, 5], pupils, p=[0.4, 0.15, 0.15, 0.15, 0.15])
    klass = rng.integers(0, classes, pupils)
    pupil_level = rng.normal(0, 1, pupils)
    shocks = rng.normal(0, class_shock, (periods + 1, classes))
    rows = []
    for t in range(1, periods + 1):
        effect = np.where((first > 0) & (t >= first), slope * (t - first + 1), 0.0)
        y = pupil_level + 0.3 * t + shocks[t, klass] + effect + rng.normal(0, 1, pupils)
        rows.append(pd.DataFrame({"pupil": np.arange(pupils), "term": t, "pct": y, "first": first, "cls": klass}))
    truth = {"event": {e: slope * (e + 1) for e in range(0, periods - 1)}}
    return pd.concat(rows, ignore_index=True), truth


def _theirs(d: pd.DataFrame, control: str):
    import diff_diff

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return diff_diff.CallawaySantAnna(control_group={"never": "never_treated", "notyet": "not_yet_treated"}[
            control], estimation_method="reg").fit(d, "pct", "pupil", "term", "first")


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_att_gt_and_aggregations_equal_diff_diff(control):
    """Every ATT(g, t), the event study, the effect by cohort and the simple average: point estimates to 1e-9
    and analytic standard errors to 1e-6 (relative) of diff-diff's CallawaySantAnna."""
    d, _ = panel(1)
    ours = staggered_did(d, "pct", "pupil", "term", "first", control=control)
    r = _theirs(d, control)
    theirs = pd.DataFrame([{"group": int(g), "time": int(t), "their_est": v["effect"], "their_se": v["se"]}
                           for (g, t), v in r.group_time_effects.items()])
    m = ours.table.merge(theirs, on=["group", "time"], validate="one_to_one")
    assert len(m) == len(ours.table) == len(theirs) == 20
    np.testing.assert_allclose(m.estimate, m.their_est, atol=1e-9)
    np.testing.assert_allclose(m.se, m.their_se, rtol=1e-6)
    es = r.aggregate("event_study").to_dataframe()
    es = ours.details["event_study"].merge(es, on="event_time", suffixes=("", "_theirs"))
    assert len(es) == 8  # event times -3 (cohort 5 in term 2) .. 4 (cohort 2 in term 6)
    np.testing.assert_allclose(es.estimate, es.att, atol=1e-9)
    np.testing.assert_allclose(es.se, es.se_theirs, rtol=1e-6)
    by = r.aggregate("group").to_dataframe()
    by = ours.details["by_group"].merge(by.assign(group=by.label.astype(int)), on="group", suffixes=("", "_theirs"))
    np.testing.assert_allclose(by.estimate, by.att, atol=1e-9)
    np.testing.assert_allclose(by.se, by.se_theirs, rtol=1e-6)
    simple = ours.details["simple"].iloc[0]
    assert simple.estimate == pytest.approx(r.overall_att, abs=1e-9)
    assert simple.se == pytest.approx(r.overall_se, rel=1e-6)


def test_att_gt_from_group_means_by_hand():
    """Six pupils, three terms. Cohort 2 (pupils a, b) changes from term 1 to 2 by (3 + 5) / 2 = 4 and to term
    3 by (4 + 6) / 2 = 5; the never paired (c, d) by (1 + 1) / 2 = 1 and (2 + 0) / 2 = 1: ATT(2, 2) = 3 and
    ATT(2, 3) = 4. Cohort 3 (e, f) from term 2 to 3: (2 + 4) / 2 = 3, less the never paired's change from term
    2 to 3, ((2 - 1) + (0 - 1)) / 2 = 0: ATT(3, 3) = 3; its placebo ATT(3, 2) is its change from term 1 to 2,
    (1 + 1) / 2 = 1, less theirs, 1: 0. With the not yet paired as comparison, ATT(2, 2) also compares with
    e and f (changes 1 and 1): (8/2) - (1 + 1 + 1 + 1) / 4 = 3."""
    y = {"a": [0, 3, 4], "b": [0, 5, 6], "c": [0, 1, 2], "d": [0, 1, 0], "e": [0, 1, 3], "f": [0, 1, 5]}
    first = {"a": 2, "b": 2, "c": 0, "d": None, "e": 3, "f": 3}
    d = pd.DataFrame([{"pupil": p, "term": t + 1, "pct": v[t], "first": first[p]} for p, v in y.items()
                      for t in range(3)])
    got = staggered_did(d, "pct", "pupil", "term", "first").table.set_index(["group", "time"]).estimate
    assert got.to_dict() == {(2, 2): 3.0, (2, 3): 4.0, (3, 2): 0.0, (3, 3): 3.0}
    notyet = staggered_did(d, "pct", "pupil", "term", "first", control="notyet").table.set_index(
        ["group", "time"]).estimate
    assert notyet[(2, 2)] == 3.0
    study = staggered_did(d, "pct", "pupil", "term", "first").details["event_study"].set_index("event_time")
    # event time 0: cohorts 2 and 3 weighted by size (2 and 2): (3 + 3) / 2 = 3; event time 1: cohort 2 only
    assert study.estimate.to_dict() == {-1: 0.0, 0: 3.0, 1: 4.0}


def test_planted_effects_that_grow_are_recovered_with_clustered_intervals():
    """Quick version of the simulation study: 30 panels with class shocks, effects growing with time since
    pairing. The event study's mean error is under 0.1 of its standard error at every period since pairing,
    and the clustered 95% intervals cover the truth in 80% of panels or more (the full study, 200 panels,
    asks 93-97%: tests/test_staggered.py::test_coverage_study, `make validate`)."""
    errors, covered, band = [], [], []
    for seed in range(30):
        d, truth = panel(100 + seed, class_shock=0.4)
        study = staggered_did(d, "pct", "pupil", "term", "first", cluster="cls", reps=299,
                              seed=seed).details["event_study"]
        post = study[study.event_time >= 0].set_index("event_time")
        true = pd.Series(truth["event"])
        errors.append((post.estimate - true) / post.se)
        covered.append(((post.ci_low <= true) & (true <= post.ci_high)).to_numpy())
        band.append(bool(((post.band_low <= true) & (true <= post.band_high)).all()))
    assert (pd.concat(errors, axis=1).mean(axis=1).abs() < 0.35).all()  # 30 panels: the mean's own noise ~0.18
    assert np.mean(covered) >= 0.8 and np.mean(band) >= 0.8


@pytest.mark.slow
def test_coverage_study():
    """The simulation study (issue 27): 1,000 panels (at least 200 asked; with 200 the Monte Carlo error of a
    coverage rate is 1.5 points, as wide as the 93-97% window); bias under 0.1 SE and 95% intervals covering
    between 93% and 97% at each period since pairing, clustered by class (40 classes: t with 39 df)."""
    errors, covered = [], []
    for seed in range(1000):
        d, truth = panel(1000 + seed, class_shock=0.4)
        study = staggered_did(d, "pct", "pupil", "term", "first", cluster="cls", reps=0).details["event_study"]
        post = study[study.event_time >= 0].set_index("event_time")
        true = pd.Series(truth["event"])
        errors.append((post.estimate - true) / post.se)
        covered.append(((post.ci_low <= true) & (true <= post.ci_high)).to_numpy())
    assert (pd.concat(errors, axis=1).mean(axis=1).abs() < 0.1).all()
    rate = np.mean(covered, axis=0)
    assert ((rate >= 0.93) & (rate <= 0.97)).all(), rate


def test_plain_errors_and_the_first_period_cohort():
    d, _ = panel(2, pupils=60)
    with pytest.raises(UserError, match="consecutive"):
        staggered_did(d[d.term != 3], "pct", "pupil", "term", "first")
    bad = d.copy()
    bad.loc[0, "first"] = 4
    with pytest.raises(UserError, match="same in every row"):
        staggered_did(bad, "pct", "pupil", "term", "first")
    with pytest.raises(UserError, match="no column 'score'"):
        staggered_did(d, "score", "pupil", "term", "first")
    # pupils paired in term 1 have no term before pairing: counted apart, the others still estimated
    early = d.assign(first=np.where(d.pupil < 10, 1, d["first"]))
    result = staggered_did(early, "pct", "pupil", "term", "first")
    assert result.details["no_baseline"].to_dict("records") == [{"group": 1, "n": 10}]
    assert 1 not in set(result.table.group)
    everyone_first = d.assign(first=1)
    with pytest.raises(UserError, match="first period of the data"):
        staggered_did(everyone_first, "pct", "pupil", "term", "first")


def _check_staggered_study(summary: pd.DataFrame, coverage: tuple[float, float], slack: float = 0.0) -> None:
    """Bias of every quantity within 3 Monte Carlo SEs of zero and under 0.1 of its mean SE; coverage inside
    ``coverage`` widened by ``slack`` Monte Carlo SEs."""
    for row in summary.itertuples(index=False):
        assert abs(row.bias) < 3 * row.bias_mcse and abs(row.bias_in_se) < 0.1, row
        lo, hi = coverage
        assert lo - slack * row.coverage_mcse <= row.coverage <= hi + slack * row.coverage_mcse, row


def test_quick_staggered_study_on_the_generator():
    """Planted truth from the synthetic county (synth.study.staggered_replicate): 8 counties of 6 schools over
    two school years, pairings starting in every term after the first, effects that grow with every semester
    paired (the generator adds a helper's effect once per semester), pupils paired on left-behind status alone.
    The full study (400 counties) is the slow test below."""
    from liushou_analysis.synth import study

    summary = study.summarise_staggered(study.run_staggered(range(1, 9)))
    assert set(summary.quantity) == {"ATT(g,t)", "overall", "simple"}
    cells = summary.set_index("quantity").loc["ATT(g,t)"]
    assert cells.results >= 40 and cells.mean_truth > 3  # the effects grow: later cells carry more
    _check_staggered_study(summary[summary.quantity == "ATT(g,t)"], coverage=(0.85, 1.0))
    for row in summary[summary.quantity != "ATT(g,t)"].itertuples(index=False):
        assert abs(row.bias) < 3 * row.bias_mcse, row


@pytest.mark.slow
def test_full_staggered_study_on_the_generator():
    """Planted truth: 400 counties (seeds 1-400), writing reports/validation/staggered_study.csv. Bias under 0.1
    SE and coverage 93-97% up to two Monte Carlo SEs (1.1 points for the overall effect)."""
    from liushou_analysis.core.config import ROOT
    from liushou_analysis.synth import study

    summary = study.summarise_staggered(study.run_staggered(range(1, 401), workers=2))
    out = ROOT / "reports" / "validation" / "staggered_study.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out, index=False, float_format="%.4f")
    _check_staggered_study(summary, coverage=(0.93, 0.97), slack=2.0)

