"""Effect estimators (liushou_analysis/effects.py).

References: OLS with explicit dummies (statsmodels formula), by the
Frisch-Waugh-Lovell theorem; and a simulation with a planted effect and
clustered errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from liushou_analysis.statistics.effects import estimate_effect, ipw_effect


def simulate(seed, schools=40, classes=3, pupils=30, effect=0.5):
    rng = np.random.default_rng(seed)
    n = schools * classes * pupils
    school = np.repeat(np.arange(schools), classes * pupils)
    klass = np.repeat(np.arange(schools * classes), pupils)
    baseline = rng.normal(size=n)
    school_shock = rng.normal(0, 0.5, schools)[school]  # errors correlated within schools
    class_effect = rng.normal(0, 0.3, schools * classes)[klass]
    # selection on the baseline: weaker pupils are paired more often
    treated = (rng.random(n) < 1 / (1 + np.exp(1 + 1.5 * baseline))).astype(int)
    y = effect * treated + 0.7 * baseline + class_effect + school_shock + rng.normal(0, 1, n)
    return pd.DataFrame({"y": y, "t": treated, "x": baseline, "school": school, "klass": klass})


def test_absorbed_fixed_effects_match_explicit_dummies():
    d = simulate(1)
    got = estimate_effect(d, "y", "t", covariates=["x"], fixed_effects=["klass"], cluster="school")
    ref = smf.ols("y ~ t + x + C(klass)", data=d).fit()
    assert got.row().estimate == pytest.approx(ref.params["t"], rel=1e-8)
    assert got.model.params.index.tolist() == ["t", "x"] and "OLS Regression Results" in got.summary()
    two = estimate_effect(d, "y", "t", covariates=["x"], fixed_effects=["klass", "school"])
    assert two.row().estimate == pytest.approx(ref.params["t"], rel=1e-6)  # class nests in school


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning")
def test_fixed_effects_and_clustered_se_match_pyfixest():
    """Second implementation: pyfixest's feols with its default small-sample correction (ssc(k_fixef=
    "nonnested"): absorbed effects count in K unless nested in the clusters), CRV1 with clusters, HC1 without,
    weighted too. Coefficients to 1e-8, SEs to 1e-6 (relative). The page's model is the first case: school-grade
    effects (several classes each) with class clusters, where K counts the school-grade groups."""
    pf = pytest.importorskip("pyfixest")
    d = simulate(4, schools=12, classes=4, pupils=25)
    d["grade"] = d.klass % 2  # two grades per school: a school-grade group holds two classes
    d["group"] = d.school * 10 + d.grade
    d["w"] = np.random.default_rng(4).uniform(0.5, 2.0, len(d))
    cases = [(["group"], "klass", None), (["klass"], "klass", None), (["klass"], "school", None),
             (["group", "klass"], "klass", None), (["school", "grade"], "klass", None), ([], "klass", None),
             (["group"], None, None), (["group"], "klass", "w")]
    for fixed, cluster, weights in cases:
        ours = estimate_effect(d, "y", "t", covariates=["x"], fixed_effects=fixed, cluster=cluster,
                               weights=weights).row()
        formula = "y ~ t + x" + (" | " + " + ".join(fixed) if fixed else "")
        ref = pf.feols(formula, data=d, vcov={"CRV1": cluster} if cluster else "hetero", weights=weights)
        assert ours.estimate == pytest.approx(ref.coef()["t"], rel=1e-8), (fixed, cluster, weights)
        assert ours.se == pytest.approx(ref.se()["t"], rel=1e-6), (fixed, cluster, weights)


def test_planted_effect_is_recovered_with_nominal_coverage():
    """1,000 simulated counties, effect 0.5: the ANCOVA with class effects
    and school-clustered SEs is unbiased and covers near 95%; leaving out
    the baseline (selection on it) biases the estimate downwards. (With the
    first 200 seeds alone the mean ran 3.5 simulation SEs low; seeds 200-799
    gave 0.4988 +/- 0.0017, so the test uses all 1,000.)"""
    reps = 1000
    hits, estimates, naive = 0, [], []
    for seed in range(reps):
        d = simulate(seed)
        r = estimate_effect(d, "y", "t", covariates=["x"], fixed_effects=["klass"], cluster="school").row()
        estimates.append(r.estimate)
        hits += r.ci_low <= 0.5 <= r.ci_high
        naive.append(estimate_effect(d, "y", "t").row().estimate)
    estimates = np.array(estimates)
    assert abs(estimates.mean() - 0.5) < 3 * estimates.std() / np.sqrt(reps)
    assert 0.93 <= hits / reps <= 0.97
    assert np.mean(naive) < 0.2  # weaker pupils are picked: the naive difference is biased down


def test_regression_to_the_mean_matches_its_formula_and_the_untreated_pupils():
    """Simulated scores with reliability 0.8 and no effect at all: the
    formula's predicted change agrees with the observed change in every
    baseline decile (within a point and a half), weak pupils rise and strong
    pupils fall, and the curve is what paired pupils must beat."""
    from liushou_analysis.indicators.ranks import percentile_rank
    from liushou_analysis.statistics.effects import regression_to_the_mean

    rng = np.random.default_rng(5)
    n = 40_000
    ability = rng.normal(0, np.sqrt(0.8), n)
    d = pd.DataFrame({"s1": ability + rng.normal(0, np.sqrt(0.2), n), "s2": ability + rng.normal(0, np.sqrt(0.2), n)})
    d["p1"], d["p2"] = percentile_rank(d, "s1"), percentile_rank(d, "s2")
    d["paired"] = (d.p1 < 30) & (rng.random(n) < 0.5)  # weak pupils picked, no effect
    r = regression_to_the_mean(d, "p1", "p2", treatment="paired")
    assert r.retest_slope.iloc[0] == pytest.approx(0.8, abs=0.01)  # unharmed by picking on the baseline
    assert (np.abs(r.observed_change_untreated - r.predicted_change) < 1.5).all()
    assert r.predicted_change.iloc[0] > 5 and r.predicted_change.iloc[-1] < -5
    # the paired pupils' naive gain is regression to the mean, not an effect
    paired_gain = (d.p2 - d.p1)[d.paired].mean()
    unpaired_low = (d.p2 - d.p1)[~d.paired & (d.p1 < 30)].mean()
    assert paired_gain > 5 and abs(paired_gain - unpaired_low) < 1


def test_ipw_recovers_the_effect_on_the_treated_and_balances_covariates():
    """Selection on the baseline and left-behind status, planted effect 0.5
    for everyone: over 300 simulated counties the IPW estimate is unbiased
    within simulation error, the naive difference is not, and weighting
    brings the standardised differences under 0.1."""
    from liushou_analysis.statistics.effects import ipw_effect

    estimates, naive, hits = [], [], 0
    for seed in range(300):
        rng = np.random.default_rng(10_000 + seed)
        n = 3000
        baseline = rng.normal(size=n)
        left_behind = (rng.random(n) < 0.4).astype(float)
        treated = (rng.random(n) < 1 / (1 + np.exp(1.2 + 1.2 * baseline - 1.0 * left_behind))).astype(int)
        school = rng.integers(0, 30, n)
        y = 0.5 * treated + 0.8 * baseline - 0.2 * left_behind + rng.normal(0, 0.3, 30)[school] + rng.normal(0, 1, n)
        d = pd.DataFrame({"y": y, "t": treated, "x": baseline, "lb": left_behind, "school": school})
        result = ipw_effect(d, "y", "t", ["x", "lb"], cluster="school")
        est, diag = result.row(), result.details["balance"]
        estimates.append(est.estimate)
        hits += est.ci_low <= 0.5 <= est.ci_high
        naive.append(d.y[d.t == 1].mean() - d.y[d.t == 0].mean())
        if seed == 0:
            assert (diag.smd_before.abs() > 0.3).any() and (diag.smd_after.abs() < 0.1).all()
            assert 0 <= result.details["propensity"]["untreated_outside_treated_range"] < 0.05
    estimates = np.array(estimates)
    assert abs(estimates.mean() - 0.5) < 3 * estimates.std() / np.sqrt(len(estimates))
    assert np.mean(naive) < 0.0  # weaker pupils are picked: the naive difference hides the effect
    assert 0.90 <= hits / len(estimates) <= 0.99


def test_ipw_matches_statsmodels_treatment_effect_with_its_trimming_rule():
    """Second implementation: statsmodels' TreatmentEffect.ipw (effect on the treated, GMM with the propensity
    equations) clips propensities to [0.01, 0.99]. ipw_effect with trim=(0.01, 0.99) gives its estimate to
    1e-5 (statsmodels solves by numerical GMM) and its standard error to 0.1% (ours carries n / (n - 1)).
    ipw_effect does not trim by default: where propensities fall below 0.01 the untrimmed estimate differs, so
    the rule is a choice, stated in the docstring and on the page (trimming changes the estimand)."""
    import warnings

    import statsmodels.api as sm
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    rng = np.random.default_rng(0)
    n = 3000
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    t = rng.binomial(1, 1 / (1 + np.exp(-(-1.5 + 1.2 * x1 + 0.5 * x2))))
    d = pd.DataFrame({"y": 2 + x1 + 0.5 * x2 + 3 * t + rng.normal(size=n), "t": t, "x1": x1, "x2": x2})
    X = sm.add_constant(d[["x1", "x2"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        select = sm.Logit(d.t, X).fit(disp=0)
        theirs = TreatmentEffect(sm.OLS(d.y, np.ones((n, 1))), d.t.to_numpy(), results_select=select).ipw(
            return_results=True, effect_group=1)
    assert (select.predict(X) < 0.01).any()  # the rule matters here
    trimmed = ipw_effect(d, "y", "t", ["x1", "x2"], trim=(0.01, 0.99)).row()
    assert trimmed.estimate == pytest.approx(theirs.effect[0], abs=1e-5)
    assert trimmed.se == pytest.approx(theirs.sd[0], rel=1e-3)
    untrimmed = ipw_effect(d, "y", "t", ["x1", "x2"]).row()
    assert abs(untrimmed.estimate - theirs.effect[0]) > 1e-5
