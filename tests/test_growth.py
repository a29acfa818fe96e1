"""Growth percentiles (liushou_analysis/growth.py), on simulated data with a
known conditional distribution: current = f(prior) + heteroscedastic noise,
nothing else. Reference: the null distribution of SGP implied by the
definition (module notes): 2% at 1, 1% at each of 2..99.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from liushou_analysis.indicators.growth import growth_percentiles


def simulate(n, seed, boost_from=None, boost=0.0):
    rng = np.random.default_rng(seed)
    prior = rng.normal(300, 50, n)
    noise_sd = 20 + 0.05 * np.clip(prior - 250, 0, None)
    current = 50 + 0.8 * prior + 0.0005 * (prior - 300) ** 2 + rng.normal(0, noise_sd)
    if boost_from is not None:
        current = current + boost * (np.arange(n) >= boost_from)
    return pd.DataFrame({"prior": prior, "current": current})


@pytest.fixture(scope="module")
def out_of_sample():
    """Norms fitted on 3,000 pupils; 1,500 fresh null pupils and 1,500 with
    a planted gain of 10 points (about 0.4 noise SD) are placed against them."""
    d = simulate(6000, seed=5, boost_from=4500, boost=10.0)
    d["ref"] = np.arange(len(d)) < 3000
    d["boosted"] = np.arange(len(d)) >= 4500
    return d.join(growth_percentiles(d, "current", "prior", reference="ref"))


def test_in_sample_sgps_follow_the_null_distribution():
    d = simulate(3000, seed=1)
    g = growth_percentiles(d, "current", "prior")
    counts = g.sgp.value_counts().reindex(range(1, 100), fill_value=0)
    expected = np.r_[0.02, np.full(98, 0.01)] * len(d)
    assert (g.sgp_status == "ok").all()
    assert g.sgp.between(1, 99).all()
    assert np.abs(counts - expected).max() <= 6  # a few pupils either way per percentile


def test_fresh_null_pupils_are_uniform_by_decile(out_of_sample):
    fresh = out_of_sample[~out_of_sample.ref & ~out_of_sample.boosted].sgp.astype(float)
    deciles = pd.cut(fresh, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99]).value_counts().sort_index()
    expected = np.array([11, 10, 10, 10, 10, 10, 10, 10, 10, 9]) / 100 * len(fresh)
    assert stats.chisquare(deciles, expected).pvalue > 0.01


def test_sgp_does_not_depend_on_the_prior_score(out_of_sample):
    fresh = out_of_sample[~out_of_sample.ref & ~out_of_sample.boosted]
    means = fresh.sgp.astype(float).groupby(pd.qcut(fresh.prior, 5), observed=True).mean()
    se = 28.6 / np.sqrt(len(fresh) / 5)  # SD of a uniform on 1..99 over a fifth of the pupils
    assert (np.abs(means - 50) < 4 * se).all()


def test_planted_growth_raises_sgp(out_of_sample):
    boosted = out_of_sample[out_of_sample.boosted].sgp.astype(float).mean()
    null = out_of_sample[~out_of_sample.ref & ~out_of_sample.boosted].sgp.astype(float).mean()
    assert boosted - null > 7


def test_small_groups_and_missing_scores_are_flagged():
    d = simulate(450, seed=2)
    d["grade"] = np.where(np.arange(450) < 300, 7, 8)  # grade 8 has only 150 pupils
    d.loc[0, "prior"] = np.nan
    g = growth_percentiles(d, "current", "prior", by="grade", min_group=200)
    assert g.sgp_status[0] == "missing_score" and pd.isna(g.sgp[0])
    assert (g.sgp_status[d.grade == 8] == "group_too_small").all() and g.sgp[d.grade == 8].isna().all()
    assert (g.sgp_status[(d.grade == 7) & d.prior.notna()] == "ok").all()
