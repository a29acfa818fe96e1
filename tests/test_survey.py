"""Design-based estimates (liushou_analysis/survey.py).

References: the results R's `survey` package publishes and prints for its
api data (the data are in tests/reference/api, see tests/reference/README.md),
checks derived from them, and coverage of the population value (apipop) by
simulation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.statistics.survey import SurveyDesign

REF = Path(__file__).resolve().parent / "reference" / "api"


@pytest.fixture(scope="module")
def api():
    ref = REF
    return {name: pd.read_csv(ref / f"{name}.csv") for name in ("apiclus1", "api_strat", "apiclus2", "apipop")}


def test_one_stage_cluster_mean_matches_r(api):
    # README: svymean(~api00, dclus1) = 644.17, SE 23.542
    d = SurveyDesign(api["apiclus1"], weights="pw", cluster="dnum", fpc="fpc")
    row = d.mean("api00").row()
    assert round(row.estimate, 2) == 644.17 and round(row.se, 3) == 23.542


def test_stratified_mean_matches_r(api):
    # README: svymean(~api00, dstrat) = 662.29, SE 9.4089
    d = SurveyDesign(api["api_strat"], weights="pw", strata="stype", fpc="fpc")
    row = d.mean("api00").row()
    assert round(row.estimate, 2) == 662.29 and round(row.se, 4) == 9.4089


def test_matches_r_survey_run(api):
    # Independent reference: R 4.2.2 with survey 4.1.1 (Debian's r-cran-survey), run on the
    # same files by tests/reference/api_survey.R; figures as R printed them with digits=10.
    clus1 = SurveyDesign(api["apiclus1"], weights="pw", cluster="dnum", fpc="fpc")
    tests = clus1.crosstab("sch.wide", "stype").details["tests"]
    f = tests.set_index("test").loc["rao_scott_second_order_F"]
    assert (round(f.statistic, 8), round(f.df1, 8), round(f.df2, 8), round(f.p_value, 10)) == \
        (5.19336954, 1.49463978, 20.92495689, 0.0217474624)
    first = tests.set_index("test").loc["rao_scott_first_order"]
    assert round(first.p_value, 12) == 0.005553263303
    assert tests.set_index("test").loc["pearson_unadjusted", "statistic"] == pytest.approx(11.940892080745, abs=1e-9)
    logit = clus1.proportion("sch.wide", method="logit").table.set_index("quantity").loc["sch.wide=Yes"]
    assert round(logit.estimate, 10) == 0.8743169399
    assert (round(logit.ci_low, 10), round(logit.ci_high, 4)) == (0.8237988924, 0.9119)
    beta = clus1.proportion("sch.wide", method="beta").table.set_index("quantity").loc["sch.wide=Yes"]
    assert (round(beta.ci_low, 10), round(beta.ci_high, 4)) == (0.8237022108, 0.9147)
    ratio = clus1.ratio("api.stu", "enroll").row()
    assert (round(ratio.estimate, 7), round(ratio.se, 9)) == (0.8497087, 0.008386297)
    by = clus1.mean("api00", by="stype").table.set_index("stype")
    assert by.estimate.round(7).tolist() == [648.8680556, 618.5714286, 631.44]
    assert by.se.round(8).tolist() == [22.36240889, 38.02024936, 31.60946523]
    strat = SurveyDesign(api["api_strat"], weights="pw", strata="stype", fpc="fpc")
    total = strat.total("enroll").row()
    assert (round(total.estimate), round(total.se)) == (3687178, 114642)
    f2 = strat.crosstab("sch.wide", "comp.imp").details["tests"].set_index("test").loc["rao_scott_second_order_F"]
    assert (round(f2.statistic, 6), f2.df1, f2.df2) == (47.317733, 1.0, 197.0)
    assert f2.p_value == pytest.approx(7.822040649e-11, rel=1e-9)
    clus2 = SurveyDesign(api["apiclus2"], cluster=["dnum", "snum"], fpc=["fpc1", "fpc2"]).total("enroll").row()
    assert (round(clus2.estimate), round(clus2.se)) == (2639273, 799638)


def test_stratified_total_is_population_size_times_mean(api):
    # Derived: with known stratum sizes the weights sum to N = 6,194 in every sample,
    # so the total and its SE are exactly N times the mean's.
    d = SurveyDesign(api["api_strat"], weights="pw", strata="stype", fpc="fpc")
    mean, total = d.mean("api00").row(), d.total("api00").row()
    assert d.w.sum() == pytest.approx(6194, abs=0.5)
    assert total.estimate == pytest.approx(6194 * mean.estimate, rel=1e-4)
    assert total.se == pytest.approx(6194 * mean.se, rel=1e-4)


def test_two_stage_design_uses_both_stages(api):
    # R 4.2.2 with survey 4.1.1 prints 670.81 and SE 30.099 for svymean(~api00, dclus2) with
    # fpc=~fpc1+fpc2 (not among the README's figures). With the weights alone (no fpc) only
    # the first stage counts: the with-replacement variance, which is larger here.
    full = SurveyDesign(api["apiclus2"], cluster=["dnum", "snum"], fpc=["fpc1", "fpc2"]).mean("api00").row()
    assert round(full.estimate, 2) == 670.81 and round(full.se, 3) == 30.099
    ultimate = SurveyDesign(api["apiclus2"], weights="pw", cluster="dnum").mean("api00").row()
    assert ultimate.estimate == pytest.approx(full.estimate, rel=1e-3) and ultimate.se > full.se


def test_proportion_is_the_mean_of_an_indicator(api):
    data = api["apiclus1"].assign(yes=lambda d: (d["sch.wide"] == "Yes").astype(float))
    d = SurveyDesign(data, weights="pw", cluster="dnum", fpc="fpc")
    mean = d.mean("yes").row()
    for method in ("logit", "wilson", "beta"):
        p = d.proportion("sch.wide", method=method).table.set_index("quantity").loc["sch.wide=Yes"]
        assert p.estimate == pytest.approx(mean.estimate) and p.se == pytest.approx(mean.se)
        assert 0 < p.ci_low < p.estimate < p.ci_high < 1
    shares = d.proportion("stype").table
    assert shares.estimate.sum() == pytest.approx(1)


def test_domains_are_estimated_on_the_full_design(api):
    d = SurveyDesign(api["apiclus1"], weights="pw", cluster="dnum", fpc="fpc")
    by = d.mean("api00", by="stype").table.set_index("stype")
    # a domain mean is the ratio of the domain's weighted total to its weighted count
    data = api["apiclus1"].assign(e_api=lambda x: np.where(x.stype == "E", x.api00, 0.0),
                                  e=lambda x: (x.stype == "E").astype(float))
    ratio = SurveyDesign(data, weights="pw", cluster="dnum", fpc="fpc").ratio("e_api", "e").row()
    assert by.loc["E", "estimate"] == pytest.approx(ratio.estimate)
    assert by.loc["E", "se"] == pytest.approx(ratio.se)


def test_design_effect_of_a_simple_random_sample_is_one():
    rng = np.random.default_rng(4)
    data = pd.DataFrame({"y": rng.normal(size=200), "N": 5000})
    row = SurveyDesign(data, fpc="N").mean("y").row()
    assert row.deff == pytest.approx(1.0)
    # and the SE is the textbook sqrt((1 - n/N) s^2 / n)
    assert row.se == pytest.approx(np.sqrt((1 - 200 / 5000) * data.y.var() / 200))


def test_lonely_psu_options():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "h": [1, 1, 1, 2], "psu": [1, 2, 3, 4]})
    with pytest.raises(ValueError, match="single PSU"):
        SurveyDesign(data, strata="h", cluster="psu").mean("y")
    certain = SurveyDesign(data, strata="h", cluster="psu", lonely_psu="certainty").mean("y").row()
    adjusted = SurveyDesign(data, strata="h", cluster="psu", lonely_psu="adjust").mean("y").row()
    assert adjusted.se > certain.se > 0


def _coverage(pop: pd.DataFrame, reps: int, seed: int) -> dict[str, tuple[float, float]]:
    """For each design: the share of samples whose mean of api00 is marked ``unstable`` (its interval withheld),
    and the share of the other samples' 95% intervals covering the population mean (apipop). Designs:

    * ``stratified``: 100 elementary, 50 middle, 50 high schools (as api_strat);
    * ``cluster_certainty``: the 10 districts with over 50 schools taken in
      full (a certainty stratum), 60 of the other 747 districts sampled;
    * ``cluster_15``: 15 of all 757 districts (as apiclus1). District sizes
      run from 1 to 500 schools, so the mean's denominator (the schools
      drawn) varies with a CV of 0.2-0.6: normal intervals cover about 81%,
      t on 14 df 84%, a jackknife 87-90%. Such samples are marked unstable.
    """
    rng = np.random.default_rng(seed)
    truth = pop.api00.mean()
    size = pop.groupby("dnum").size()
    big = size[size > 50].index
    rest = size.index.difference(big).to_numpy()
    pop = pop.assign(stratum=np.where(pop.dnum.isin(big), "certainty", "sampled"))
    counts = pop.stype.value_counts()
    sizes = {"E": 100, "H": 50, "M": 50}
    rows: dict[str, list] = {"stratified": [], "cluster_certainty": [], "cluster_15": []}
    for _ in range(reps):
        parts = [g.iloc[rng.choice(len(g), sizes[k], replace=False)] for k, g in pop.groupby("stype")]
        s = pd.concat(parts).assign(fpc=lambda x: x.stype.map(counts))
        rows["stratified"].append(SurveyDesign(s, strata="stype", fpc="fpc").mean("api00").row())
        chosen = rng.choice(rest, 60, replace=False)
        s = pop[pop.dnum.isin(chosen) | pop.dnum.isin(big)].copy()
        s["fpc"] = np.where(s.stratum == "certainty", len(big), len(rest))
        rows["cluster_certainty"].append(
            SurveyDesign(s, strata="stratum", cluster="dnum", fpc="fpc").mean("api00").row())
        chosen = rng.choice(size.index.to_numpy(), 15, replace=False)
        s = pop[pop.dnum.isin(chosen)].assign(fpc=len(size))
        rows["cluster_15"].append(SurveyDesign(s, cluster="dnum", fpc="fpc").mean("api00").row())
    out = {}
    for design, found in rows.items():
        r = pd.DataFrame(found)
        printed = r[~r.unstable.astype(bool)]
        covered = (printed.ci_low <= truth) & (truth <= printed.ci_high)
        out[design] = (float(r.unstable.mean()), float(covered.mean()) if len(printed) else np.nan)
    return out


def test_confidence_intervals_cover_the_population_mean_quick(api):
    """Quick version (300 samples of each design), a simulation with the population known: intervals within 3
    simulation SEs of 95%, none withheld where clusters are many; with 15 clusters nearly all withheld."""
    cov = _coverage(api["apipop"].dropna(subset=["api00"]), reps=300, seed=11)
    se = np.sqrt(0.95 * 0.05 / 300)
    for design in ("stratified", "cluster_certainty"):
        withheld, covered = cov[design]
        assert withheld == 0 and abs(covered - 0.95) < 3 * se, (design, cov[design])
    assert cov["cluster_15"][0] > 0.9


@pytest.mark.slow
def test_confidence_intervals_cover_the_population_mean_full(api):
    """Full version (2,000 samples each), writing reports/validation/survey_coverage.csv."""
    from liushou_analysis.core import config

    reps = 2000
    cov = _coverage(api["apipop"].dropna(subset=["api00"]), reps=reps, seed=12)
    out = config.REPORTS / "validation"
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"design": list(cov), "coverage": [c for _, c in cov.values()],
                  "withheld_unstable": [w for w, _ in cov.values()], "samples": reps, "nominal": 0.95}).to_csv(
        out / "survey_coverage.csv", index=False)
    # Observed (seed 12): stratified 0.9345, cluster_certainty 0.929 (t on 68 df; 0.926 with the normal
    # quantile), the 15-district design withheld in all 2,000 samples. Printed intervals must cover 93-97%
    # up to two Monte Carlo SEs (0.57 points at 2,000 samples).
    slack = 2 * np.sqrt(0.95 * 0.05 / reps)
    for design in ("stratified", "cluster_certainty"):
        withheld, covered = cov[design]
        assert withheld == 0 and 0.93 - slack <= covered <= 0.97 + slack, (design, cov[design])
    assert cov["cluster_15"][0] > 0.9


def test_rao_scott_equals_pearson_under_simple_random_sampling():
    # Derived: with one row per PSU, equal weights and no fpc, the design covariance of the
    # cell shares is (D - pp') / (n - 1), n/(n-1) times the multinomial one, so the design
    # effect matrix is n/(n-1) times the identity: the first-order statistic is X^2 (n-1)/n,
    # the F is X^2 (n-1) / (n k) and d0 = k = (r-1)(c-1).
    rng = np.random.default_rng(8)
    n = 400
    data = pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.integers(0, 2, n)})
    result = SurveyDesign(data).crosstab("a", "b")
    table, tests = result.table, result.details["tests"]
    t = tests.set_index("test")
    x2 = t.loc["pearson_unadjusted", "statistic"]
    assert t.loc["rao_scott_first_order", "statistic"] == pytest.approx(x2 * (n - 1) / n)
    assert t.loc["rao_scott_second_order_F", "df1"] == pytest.approx(2)
    assert t.loc["rao_scott_second_order_F", "statistic"] == pytest.approx(x2 * (n - 1) / (n * 2))
    assert table.estimate.sum() == pytest.approx(1) and len(table) == 6


def test_rao_scott_keeps_its_size_under_clustering_where_pearson_does_not():
    """Planted truth: row and column variables independent, each shared
    strongly within clusters. Sampling 30 of 300 clusters, the unadjusted
    Pearson test rejects far too often; Rao-Scott holds near 5%."""
    rng = np.random.default_rng(21)
    clusters, size = 300, 20
    cluster = np.repeat(np.arange(clusters), size)
    # each variable: its cluster's value with probability 0.7, else random
    a = np.where(rng.random(clusters * size) < 0.7, np.repeat(rng.integers(0, 2, clusters), size),
                 rng.integers(0, 2, clusters * size))
    b = np.where(rng.random(clusters * size) < 0.7, np.repeat(rng.integers(0, 3, clusters), size),
                 rng.integers(0, 3, clusters * size))
    pop = pd.DataFrame({"cluster": cluster, "a": a, "b": b, "N": clusters})
    reject = {"pearson_unadjusted": 0, "rao_scott_first_order": 0, "rao_scott_second_order_F": 0}
    reps = 200
    for _ in range(reps):
        chosen = rng.choice(clusters, 30, replace=False)
        sample = pop[pop.cluster.isin(chosen)]
        tests = SurveyDesign(sample, cluster="cluster", fpc="N").crosstab("a", "b").details["tests"]
        for name, p in zip(tests.test, tests.p_value, strict=True):
            reject[name] += p < 0.05
    rates = {k: v / reps for k, v in reject.items()}
    assert rates["pearson_unadjusted"] > 0.4
    assert rates["rao_scott_first_order"] < 0.11 and rates["rao_scott_second_order_F"] < 0.09


def test_intervals_use_the_design_degrees_of_freedom_and_few_unequal_clusters_are_unstable(api):
    """R: svymean(~api00, dclus1) = 644.17, SE 23.542, degf 14; confint(..., df = degf(dclus1)) is the estimate
    -/+ qt(0.975, 14) x SE. The denominator's CV is worked here from the cluster totals of the weights (a second
    implementation of the one-stage variance in the module docstring): 15 districts of 1 to 100+ schools give a
    CV far above 0.1 with 14 df, so the mean is unstable; api_strat (200 schools, no clusters) is not."""
    from scipy import stats

    d = SurveyDesign(api["apiclus1"], weights="pw", cluster="dnum", fpc="fpc")
    row = d.mean("api00").row()
    half = stats.t.ppf(0.975, 14) * 23.542
    assert row.df == 14 and abs(row.ci_low - (644.17 - half)) < 0.01 and abs(row.ci_high - (644.17 + half)) < 0.01
    data = api["apiclus1"]
    totals = data.groupby("dnum").pw.sum().to_numpy()
    n, f = len(totals), 1 - len(totals) / data.fpc.iloc[0]
    cv = np.sqrt(f * n / (n - 1) * ((totals - totals.mean()) ** 2).sum()) / totals.sum()
    assert abs(row.denominator_cv - cv) < 1e-12 and cv > 0.1 and bool(row.unstable)
    assert d.proportion("stype").table.unstable.all()  # the design's property, on every estimate of it
    strat = SurveyDesign(api["api_strat"], weights="pw", strata="stype", fpc="fpc").mean("api00").row()
    assert strat.denominator_cv < 1e-12 and not strat.unstable
    assert np.isnan(d.total("api00").row().denominator_cv)  # a total has no denominator


def test_a_page_withholds_an_unstable_interval_and_says_why(tmp_path, monkeypatch):
    """Publisher.table prints no interval for an unstable row (CSV and page), and one sentence under the table."""
    from IPython.utils.capture import capture_output

    from liushou_analysis.report.runner import Publisher

    said: list[str] = []
    monkeypatch.setattr(Publisher, "markdown", lambda self, text: said.append(text))
    frame = pd.DataFrame({"quantity": ["a", "b"], "estimate": [0.4, 0.6], "ci_low": [0.3, 0.5],
                          "ci_high": [0.5, 0.7], "unstable": [True, False], "n": [40, 50]})
    with capture_output():
        out = Publisher(tmp_path, "09_test").table(frame, "t", counts=["n"], shares=["estimate", "ci_low", "ci_high"])
    assert out.ci_low.isna().tolist() == [True, False] and out.ci_high.isna().tolist() == [True, False]
    csv = pd.read_csv(tmp_path / "tables" / "09_test-t.csv")
    assert csv.ci_low.isna().tolist() == [True, False] and csv.estimate.tolist() == [0.4, 0.6]
    assert len(said) == 1 and said[0].startswith("上表有1个估计没有给出置信区间")
