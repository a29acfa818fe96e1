"""Sensitivity and power (statistics/sensitivity.py).

References: VanderWeele and Ding's (2017) worked example (a risk ratio of 3.9 has an E-value of 7.26); planted
intra-class correlations; and a simulation of clustered classes in which a true effect equal to the minimum
detectable effect is found about 80% of the time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.statistics import sensitivity as S


def test_e_value_of_the_papers_example_and_of_an_interval():
    # VanderWeele and Ding (2017): RR 3.9 -> 3.9 + sqrt(3.9 x 2.9) = 7.26
    assert S._e(3.9) == pytest.approx(7.26, abs=0.005)
    assert S._e(1 / 3.9) == pytest.approx(7.26, abs=0.005)  # a protective effect the same
    # 5 percentile points with SD 28.9 (a uniform percentile): d = 0.173, RR = exp(0.91 d) = 1.171
    got = S.e_value(5.0, 1.0, 28.9)
    assert got["risk_ratio"] == pytest.approx(np.exp(0.91 * 5 / 28.9))
    assert got["e_value"] == pytest.approx(1.171 + np.sqrt(1.171 * 0.171), abs=0.002)
    # the lower limit 5 - 1.96 = 3.04 gives a smaller E-value; an interval across zero gives 1
    assert 1 < got["e_value_ci"] < got["e_value"]
    assert S.e_value(-1.0, 1.0, 28.9)["e_value_ci"] == 1.0


def test_class_icc_recovers_a_planted_correlation():
    rng = np.random.default_rng(3)
    classes = np.repeat(np.arange(300), rng.integers(20, 40, 300))
    for icc in (0.0, 0.1, 0.3):
        y = rng.normal(0, np.sqrt(icc), 300)[classes] + rng.normal(0, np.sqrt(1 - icc), len(classes))
        got = S.class_icc(pd.Series(y), pd.Series(classes))
        assert got["icc"] == pytest.approx(icc, abs=0.03) and got["classes"] == 300


@pytest.mark.parametrize("icc_treated", [1.0, 0.3])
def test_an_effect_the_size_of_the_mde_is_found_four_times_in_five(icc_treated):
    """Simulation: 60 classes of 30, outcome ICC 0.15, pairing clustered in classes with ICC icc_treated
    (whole classes paired, or a class-level propensity), true effect = the MDE computed from the design;
    class-clustered tests at 5% reject in 80% +- 5 points of 600 replications."""
    rng = np.random.default_rng(11)
    k, m, icc = 60, 30, 0.15
    classes = np.repeat(np.arange(k), m)
    hits = []
    for _ in range(600):
        if icc_treated == 1.0:
            treated = (rng.random(k) < 0.5)[classes]
        else:  # a class-level share of paired pupils: icc of a 0/1 variable = var(share) / (p (1 - p))
            share = np.clip(0.5 + rng.normal(0, np.sqrt(icc_treated * 0.25), k), 0, 1)
            treated = rng.random(k * m) < share[classes]
        n1, n0 = int(treated.sum()), int((~treated).sum())
        x_icc = S.class_icc(pd.Series(treated.astype(float)), pd.Series(classes))["icc"] if icc_treated < 1 else 1
        mde = S.minimum_detectable_effect(1.0, n1, n0, m, icc, x_icc)
        y = rng.normal(0, np.sqrt(icc), k)[classes] + rng.normal(0, np.sqrt(1 - icc), k * m) + mde * treated
        mu1, mu0 = y[treated].mean(), y[~treated].mean()
        influence = np.where(treated, (y - mu1) / n1, -(y - mu0) / n0)
        sums = np.bincount(classes, weights=influence)
        se = np.sqrt((sums ** 2).sum() * k / (k - 1))
        hits.append(abs(mu1 - mu0) / se > 1.96)
    assert np.mean(hits) == pytest.approx(0.8, abs=0.05)
