"""Pairing analysis (liushou_analysis/pairing.py) and its simulation study
(liushou_analysis/synth/study.py).

References: hand-worked percentiles, the planted truth of the generator's
counties (quick study here, the full one under ``make validate``), and an
exact identity for the IPW sandwich.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.statistics import pairing
from liushou_analysis.store import CleanStore
from liushou_analysis.synth import study


def test_percentile_among_others_is_the_hand_worked_value():
    # Group A scores 70, 80, 80, 90 (n = 4). The 90 pupil without a 15-point gain
    # scores 75: one other below (70), none equal -> 100 * (1 + 0.5) / 4 = 37.5.
    # The first 80 without 0: ties with the other 80 -> 100 * (1 + 0.5 + 0.5) / 4 = 50.
    # Group B (n = 2) is separate: 60 without 5 -> 55, nobody below among the others (100)
    # -> 100 * 0.5 / 2 = 25; 100 without 0: the other (60) is below -> 100 * 1.5 / 2 = 75.
    d = pd.DataFrame({"g": ["A"] * 4 + ["B"] * 2, "s": [70.0, 80, 80, 90, 60, 100]})
    shift = pd.Series([0.0, 0, 0, 15, 5, 0])
    got = study.percentile_among_others(d, "s", shift, ["g"])
    assert got.tolist() == [12.5, 50.0, 50.0, 37.5, 25.0, 75.0]


def _toy_panel():
    # Pupils 1-4 in one school and grade over terms 0-2; pupil 1 paired in term 1,
    # pupil 2 in term 2, pupils 3 and 4 never; pupil 4 missed the term-1 exam.
    rows = []
    scores = {1: [50, 60, 70], 2: [60, 50, 65], 3: [70, 70, 60], 4: [80, np.nan, 80]}
    for pupil, series in scores.items():
        for t, s in enumerate(series):
            rows.append({"pupil": pupil, "term_index": t, "school": "S", "grade": 7, "class_id": "c1", "score": s})
    pairings = pd.DataFrame({"pupil": [1, 2, 2], "term_index": [1, 2, 2], "helper_type": ["peer", "teacher", "peer"]})
    status = pd.DataFrame({"pupil": [1, 2, 3, 4] * 3, "term_index": np.repeat([0, 1, 2], 4),
                           "either": True, "all_away": False, "care": "grandparents"})
    return pairing.panel(pd.DataFrame(rows), pairings, status)


def test_panel_and_cohort_follow_the_pairing_history():
    p = _toy_panel()
    assert p.loc[(p.pupil == 2) & (p.term_index == 0), "helper_type"].item() == "peer+teacher"
    # term 0: 50, 60, 70, 80 -> 12.5, 37.5, 62.5, 87.5
    assert p[p.term_index == 0].sort_values("pupil").percentile.tolist() == [12.5, 37.5, 62.5, 87.5]
    c = pairing.cohort(p, 2)
    # pupil 1 was paired before term 2 (out), pupil 4 has no term-1 rank (out)
    assert sorted(c.pupil) == [2, 3]
    assert c.set_index("pupil").treated.to_dict() == {2: 1, 3: 0}
    row = c.set_index("pupil").loc[2]
    # term 1 among 60, 50, 70 -> 2's 50 is 100 * 0.5 / 3; term 2 among 70, 65, 60, 80 -> 65 is 37.5
    assert row.base_percentile == pytest.approx(100 / 6) and row.end_percentile == 37.5
    assert row.change == pytest.approx(37.5 - 100 / 6) and row.pre_percentile == 37.5
    assert row.helper_type == "peer+teacher"


def test_an_estimator_without_both_groups_says_so():
    c = pairing.cohort(_toy_panel(), 2).iloc[[0]]
    row = pairing.estimate(c, "naive").iloc[0]
    assert np.isnan(row.estimate) and row.method.startswith("not estimable")


def test_ipw_sandwich_without_covariates_is_the_two_sample_standard_error():
    # Exact identity: with an intercept-only propensity the ATT weights are constant, the
    # estimate is the difference in means, and the stacked sandwich reduces to the
    # unpooled two-sample variance s1^2/n1 + s0^2/n0 (with divisors n_g and a factor n/(n-1)).
    from liushou_analysis.statistics.effects import ipw_effect

    rng = np.random.default_rng(3)
    d = pd.DataFrame({"y": rng.normal(size=200), "t": (rng.random(200) < 0.3).astype(int), "one": 1.0})
    d.loc[d.t == 1, "y"] += 0.5
    est = ipw_effect(d, "y", "t", []).table
    y1, y0 = d.y[d.t == 1], d.y[d.t == 0]
    assert est.estimate.item() == pytest.approx(y1.mean() - y0.mean())
    var = (y1.var(ddof=0) / len(y1) + y0.var(ddof=0) / len(y0)) * len(d) / (len(d) - 1)
    assert est.se.item() == pytest.approx(np.sqrt(var), rel=1e-10)


def test_sample_shows_the_ashenfelter_dip(sample_clean):
    """The bundled sample was drawn with pairing chosen on the last exam: the
    placebo pre-trend of the term-2 cohort is clearly negative (pupils were
    picked after a fall), and the naive contrast exceeds the adjusted ones."""
    store = CleanStore(sample_clean[0])
    p = pairing.from_tables(store.table("exams"), store.table("pairings"), store.table("households"))
    # households are surveyed in semester 1; semester 2 carries the flags forward
    assert p.groupby("term_index").either.apply(lambda s: s.notna().mean()).min() > 0.85
    terms = sorted(p.term_index.unique())
    c = pairing.cohort(p, terms[2])
    r = pairing.compare(c).table.set_index("quantity")
    assert r.loc["placebo", "ci_high"] < 0
    assert r.loc["naive", "estimate"] > r.loc["ancova", "estimate"] > 0


def _check_study(summary: pd.DataFrame, coverage: tuple[float, float]) -> None:
    s = summary.set_index(["scenario", "estimator"])
    lo, hi = coverage
    # Selection on the last exam: ANCOVA and IPW unbiased and covering; naive and DiD biased
    # upward by regression to the mean, and the placebo shows the dip.
    for est in ("ancova", "ipw"):
        assert abs(s.loc[("last_exam", est), "bias_z"]) < 3, est
        assert lo <= s.loc[("last_exam", est), "coverage"] <= hi, est
    for est in ("naive", "did"):
        assert s.loc[("last_exam", est), "bias_z"] > 5, est
        assert s.loc[("last_exam", est), "bias"] > 2, est  # percentile points
    assert s.loc[("last_exam", "placebo"), "bias_z"] < -5
    # Selection on a stable trait: DiD unbiased and covering, placebo near zero, ANCOVA biased.
    assert abs(s.loc[("stable_trait", "did"), "bias_z"]) < 3
    assert lo <= s.loc[("stable_trait", "did"), "coverage"] <= hi
    assert abs(s.loc[("stable_trait", "placebo"), "bias_z"]) < 3
    assert s.loc[("stable_trait", "ancova"), "bias_z"] < -5
    # Heterogeneity (ANCOVA by helper type) recovers each type's planted effect, and the
    # volunteers' zero, where each county has enough paired pupils of the type.
    for est in ("helper_type=teacher", "helper_type=peer", "helper_type=volunteer"):
        assert abs(s.loc[("last_exam", est), "bias_z"]) < 3, est
    assert s.loc[("last_exam", "helper_type=volunteer"), "mean_truth"] == 0
    # Every subgroup's interval covers as the overall one does (issue 27, item 7): t on the classes that hold
    # the subgroup's paired pupils. Rows from at least 100 counties (fewer: Monte Carlo error above 2 points).
    groups = s.loc["last_exam"]
    groups = groups[groups.index.str.contains("=") & (groups.counties >= 100)]
    outside = groups[(groups.coverage < lo) | (groups.coverage > hi)]
    assert outside.empty, outside.coverage.to_dict()


def test_quick_simulation_study_on_the_generator():
    """Planted truth: 40 counties per scenario (seeds 1-40). The full study is
    the slow test below (``make validate``)."""
    summary = study.summarise(study.run(range(1, 41)))
    _check_study(summary, coverage=(0.85, 1.0))


@pytest.mark.slow
def test_full_simulation_study_on_the_generator():
    """Planted truth: 1,000 counties per scenario (seeds 1-1000); writes
    reports/validation/pairing_study.csv. Coverage must be 93-97% (Monte
    Carlo SE 0.7 points)."""
    from liushou_analysis.core.config import ROOT

    summary = study.summarise(study.run(range(1, 1001), workers=2))
    out = ROOT / "reports" / "validation" / "pairing_study.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out, index=False, float_format="%.4f")
    _check_study(summary, coverage=(0.93, 0.97))


def _first_term_panel(seed: int, n: int = 6000, classes: int = 60, early: float = 2.0, late: float = 6.0,
                      months: tuple[str, ...] = ("2023-10",)) -> pd.DataFrame:
    """Two terms (2023-2024-1 and -2) of pupils in one school-grade per 10 classes, paired at random within the
    first term (pairing month from ``months``) or never. The outcome is a stable pupil level (SD 10) plus noise
    (SD 10) plus ``early`` points for the paired at the first exam and ``late`` at the second."""
    rng = np.random.default_rng(seed)
    pupil = np.arange(n)
    klass = pupil % classes
    paired = rng.random(n) < 0.3
    level = rng.normal(50, 10, n)
    first, second = 4046, 4047
    rows = []
    for term_index, effect in ((first, early), (second, late)):
        rows.append(pd.DataFrame({
            "pupil": pupil, "term_index": term_index, "school": "东山中学", "grade": 7 + klass // 10 % 3,
            "class_id": klass, "percentile": level + rng.normal(0, 10, n) + effect * paired,
            "first_paired": np.where(paired, first, np.nan), "either": pupil % 2 == 0, "all_away": pupil % 5 == 0,
            "first_month": np.where(paired, rng.choice(list(months), n), None)}))
    return pd.concat(rows, ignore_index=True)


def test_earliest_term_as_covariate_recovers_the_conditional_effect_it_plants():
    """Simulation with a planted truth: pupils paired at random within the earliest term, a stable level with
    reliability b = 100 / (100 + 100) = 0.5, effects of 2 points at the first exam and 6 at the second. ANCOVA on
    the first percentile estimates 6 - b x 2 = 5 (the effect after the earliest exam, the rest inside the
    covariate): within 3 SEs. Second implementation: statsmodels OLS with school-grade dummies, same estimate."""
    import statsmodels.formula.api as smf

    data = _first_term_panel(1)
    row = pairing.earliest_term_covariate(data, "2023-2024-2").row()
    assert row.n_paired == int(data[data.term_index == 4047].first_paired.notna().sum()) and row.n_left_out == 0
    assert abs(row.estimate - 5.0) < 3 * row.se and row.method.startswith("conservative")
    end = data[data.term_index == 4047].assign(
        paired=lambda x: x.first_paired.notna().astype(int),
        first=data[data.term_index == 4046].percentile.to_numpy())
    ref = smf.ols("percentile ~ paired + first + either + all_away + C(grade)", data=end).fit()
    assert row.estimate == pytest.approx(ref.params["paired"], rel=1e-8)


def test_earliest_term_covariate_only_where_the_pairing_began_within_that_term():
    """Hand-worked selection: pupils whose lists date the pairing before the earliest term (2023-03, before
    September 2023) are left out and counted; with no month inside the term, or one term only, nothing is
    estimated and the method says why."""
    data = _first_term_panel(2, n=1200, months=("2023-10", "2023-03"))
    end = data[data.term_index == 4047]
    before = int((end.first_month == "2023-03").sum())
    row = pairing.earliest_term_covariate(data, "2023-2024-2").row()
    assert row.n_left_out == before > 0
    assert row.n_paired == int((end.first_month == "2023-10").sum())
    assert row.n == len(end) - before
    early = _first_term_panel(2, n=1200, months=("2023-03",))
    said = pairing.earliest_term_covariate(early, "2023-2024-2").row()
    assert np.isnan(said.estimate) and "no pairing list gives a month inside the earliest term" in said.method
    undated = data.assign(first_month=None)
    assert "no pairing list gives a month" in pairing.earliest_term_covariate(undated, "2023-2024-2").row().method
    one = pairing.earliest_term_covariate(data, "2023-2024-1").row()
    assert "one term only" in one.method


def test_the_panel_read_from_the_store_is_the_panel_of_the_whole_tables(sample_clean):
    """pairing.from_store reads only the columns it uses and the terms up to the report's (issue 26): second
    implementation, the panel of the whole tables, cut at that term, with pairings that start later unknown."""
    store = CleanStore(sample_clean[0])
    term = store.terms[-2]
    end = int(pairing.term_indices(pd.Series([term])).iloc[0])
    whole = pairing.from_tables(store.table("exams"), store.table("pairings"), store.table("households"))
    whole = whole[whole.term_index <= end].copy()
    later = whole.first_paired > end
    whole.loc[later, ["first_paired", "helper_type", "first_month"]] = np.nan
    read = pairing.from_store(store, term)
    key = ["pupil", "term_index"]
    pd.testing.assert_frame_equal(read.sort_values(key).reset_index(drop=True),
                                  whole.sort_values(key).reset_index(drop=True)[read.columns], check_dtype=False)
    now = pairing.from_store(store, term, history=False)
    assert now.term.unique().tolist() == [term]
    pd.testing.assert_series_equal(now.set_index("pupil").percentile.sort_index(),
                                   read[read.term == term].set_index("pupil").percentile.sort_index())


def test_cross_section_is_the_adjusted_ols_it_describes():
    """Second implementation: statsmodels OLS of the end percentile on being paired, the two left-behind flags,
    the care arrangement (unknown as its own category) and school-grade dummies, on the same pupils. The
    method says it is descriptive."""
    import statsmodels.formula.api as smf

    data = _first_term_panel(3, n=1500)
    rng = np.random.default_rng(3)
    data["care"] = rng.choice(["grandparents", "one_parent", "parents", None], len(data))
    data["care"] = data.groupby("pupil").care.transform("first")
    row = pairing.cross_section(data, "2023-2024-2").row()
    end = data[data.term_index == 4047].assign(paired=lambda x: x.first_paired.notna().astype(int),
                                               care=lambda x: x.care.fillna("unknown"),
                                               either=lambda x: x.either.astype(float),
                                               all_away=lambda x: x.all_away.astype(float))
    ref = smf.ols("percentile ~ paired + either + all_away + C(care) + C(grade)", data=end).fit()
    assert row.estimate == pytest.approx(ref.params["paired"], rel=1e-8)
    assert row.method.startswith("descriptive") and row.n_paired == int(end.paired.sum())
