"""Effect estimators for pairing on rank and score.

``estimate_effect`` is OLS / ANCOVA with absorbed fixed effects and
cluster-robust standard errors (statsmodels). Fixed effects are absorbed by
demeaning every variable within their groups (alternating projections for
several sets: Guimaraes and Portugal 2010), which gives the same
coefficient as OLS with the dummies (Frisch-Waugh-Lovell). The fitted
statsmodels results are the :class:`Estimate`'s ``model`` (its ``summary()``).

Standard errors: cluster-robust (CR1, small-sample factor
``G/(G-1) * (N-1)/(N-K)``) when ``cluster`` is given, else HC1
(``N/(N-K)``). ``K`` counts the regressors and the absorbed fixed effects,
except a set of fixed effects nested within the clusters (each of its
groups inside one cluster), which counts as one. This is R fixest's and
pyfixest's default (``ssc(k_fixef="nonnested")``), and Stata's ``areg``
for effects not nested in the clusters. The reason: a school-grade group
holds several classes, so with class clusters its effect is a parameter
the residuals pay a degree of freedom for; class effects with class (or
school) clusters are already inside the cluster sums, as in ``xtreg, fe
vce(cluster)``, and counting them would inflate the SE for nothing. The
page's ANCOVA (school-grade effects, class clusters) therefore counts the
school-grade groups: its SE is about 0.6% larger than statsmodels' factor,
which counts regressors only. Checked against pyfixest in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from liushou_analysis.statistics.estimate import Estimate, tidy


def absorb(frame: pd.DataFrame, columns: list[str], groups: Sequence[str], tol: float = 1e-10,
           max_iter: int = 1000, weights: pd.Series | None = None) -> pd.DataFrame:
    """Demean ``columns`` within each set of ``groups`` (alternating projections); with ``weights``, around
    each group's weighted mean, which is what weighted least squares with the dummies projects out."""
    out = frame[columns].astype(float).copy()
    if not groups:
        return out
    keys = [frame[g].to_numpy() for g in groups]
    w = None if weights is None else pd.Series(np.asarray(weights, dtype=float), index=out.index)
    for _ in range(max_iter if len(groups) > 1 else 1):
        before = out.to_numpy().copy()
        for key in keys:
            if w is None:
                out = out - out.groupby(key).transform("mean")
            else:
                total = w.groupby(key).transform("sum")
                out = out - out.mul(w, axis=0).groupby(key).transform("sum").div(total, axis=0)
        if np.max(np.abs(out.to_numpy() - before)) < tol:
            break
    return out


def absorbed_parameters(data: pd.DataFrame, fixed_effects: list[str], cluster: str | None) -> int:
    """How many parameters the absorbed ``fixed_effects`` add to ``K`` in the small-sample factor: the groups
    of every set, less one for each set after the first (the constant is in only once), with a set nested
    within the ``cluster`` column (every group inside one cluster) counting one instead of its groups."""
    if not fixed_effects:
        return 0
    k = 1 - len(fixed_effects)
    for column in fixed_effects:
        nested = cluster is not None and bool((data.groupby(column)[cluster].nunique() == 1).all())
        k += 1 if nested else data[column].nunique()
    return k


def estimate_effect(data: pd.DataFrame, outcome: str, treatment: str, covariates: Sequence[str] = (),
                    fixed_effects: Sequence[str] = (), cluster: str | None = None,
                    weights: str | None = None, level: float = 0.95, treated_clusters_df: bool = False) -> Estimate:
    """Effect of ``treatment`` on ``outcome``: one tidy row.

    Parameters
    ----------
    data : DataFrame
    outcome, treatment : str
        Columns; the treatment is usually 0/1 (paired or not).
    covariates : columns adjusted for (ANCOVA: e.g. the baseline rank or score).
    fixed_effects : columns whose effects are absorbed (e.g. class, school).
    cluster : column of clusters for robust standard errors (e.g. school).
    weights : column of weights (WLS).
    treated_clusters_df : with ``cluster``, the t interval's degrees of freedom are the clusters that hold a
        treated row, less one, when fewer than all clusters do: a small subgroup (a helper type with a dozen
        pupils in five classes) has its standard error estimated from those few clusters, and a t on all
        clusters' degrees of freedom covers too little (the simulation study's subgroups).

    Returns
    -------
    :class:`Estimate` with one row (``quantity`` is the treatment; ``df``
    the degrees of freedom of the t interval, infinite for the normal one)
    and the statsmodels results as ``model``. The row's SE has the
    small-sample factor of the module's text; the model's own summary keeps
    statsmodels' factor, which leaves the absorbed effects out of ``K``.

    Examples
    --------
    >>> d = pd.DataFrame({"y": [1.0, 2, 3, 5, 6, 8], "t": [0, 0, 0, 1, 1, 1]})
    >>> round(float(estimate_effect(d, "y", "t").row().estimate), 3)  # difference in means: 19/3 - 2
    4.333
    """
    cols = [outcome, treatment, *covariates]
    needed = cols + list(fixed_effects) + ([cluster] if cluster else []) + ([weights] if weights else [])
    d = data.dropna(subset=needed)
    demeaned = absorb(d, cols, list(fixed_effects), weights=d[weights] if weights else None)
    y = demeaned[outcome]
    X = demeaned[[treatment, *covariates]]
    if not fixed_effects:
        X = sm.add_constant(X, has_constant="add")
    model = sm.WLS(y, X, weights=d[weights]) if weights else sm.OLS(y, X)
    # statsmodels' factor counts the regressors only; put the fixed effects in K (see the module's text)
    n_obs, k_fit = len(d), X.shape[1]
    k = k_fit + absorbed_parameters(d, list(fixed_effects), cluster)
    scale = (n_obs - k_fit) / (n_obs - k)
    if cluster:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d[cluster])[0]})
        method = (f"OLS, {len(fixed_effects)} absorbed fixed effect(s), cluster-robust SE "
                  f"({d[cluster].nunique()} clusters)")
        dof = d[cluster].nunique() - 1
        if treated_clusters_df:
            dof = max(1, min(dof, d.loc[d[treatment] == 1, cluster].nunique() - 1))
    else:
        fit = model.fit(cov_type="HC1")
        method = f"OLS, {len(fixed_effects)} absorbed fixed effect(s), HC1 SE"
        dof = None
    est, se = fit.params[treatment], fit.bse[treatment] * np.sqrt(scale)
    q = stats.t.ppf(0.5 + level / 2, dof) if dof else stats.norm.ppf(0.5 + level / 2)
    p = 2 * (stats.t.sf(abs(est / se), dof) if dof else stats.norm.sf(abs(est / se)))
    out = tidy([{"quantity": treatment, "estimate": est, "se": se, "ci_low": est - q * se, "ci_high": est + q * se,
                 "p_value": p, "df": dof or np.inf, "n": len(d), "method": method}])
    return Estimate(out, model=fit)


def expected_percentile_under_no_effect(base_percentile, slope: float, residual_variance: float | None = None,
                                        intercept: float = 0.0):
    """Expected end percentile of a pupil at ``base_percentile`` when nothing
    but measurement noise moves scores (regression to the mean).

    On the normal-score scale, ``X2 | X1 ~ N(a + b X1, s^2)`` gives
    ``E[Phi(X2) | X1] = Phi((a + b X1) / sqrt(1 + s^2))``. For standardised
    scores with re-test correlation ``r``: ``a = 0``, ``b = r`` and
    ``s^2 = 1 - r^2`` (the default), i.e. ``100 Phi(r z1 / sqrt(2 - r^2))``.

    >>> round(float(expected_percentile_under_no_effect(10, 0.8)), 1)  # from the 10th percentile
    19.0
    """
    p = np.clip(np.asarray(base_percentile, dtype=float) / 100, 1e-6, 1 - 1e-6)
    s2 = 1 - slope ** 2 if residual_variance is None else residual_variance
    return 100 * stats.norm.cdf((intercept + slope * stats.norm.ppf(p)) / np.sqrt(1 + s2))


def retest_regression(base_percentile, end_percentile) -> Estimate:
    """The regression of the end normal score on the baseline normal score
    (percentiles 0-100 in, ``Phi^-1(p / 100)``): rows ``intercept`` and
    ``slope`` (least squares point estimates), ``details["residual_variance"]``.

    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=20_000); y = 0.8 * x + rng.normal(0, 0.6, 20_000)
    >>> p = lambda v: 100 * stats.norm.cdf(v)
    >>> fit = retest_regression(p(x), p(y))
    >>> [round(v, 2) + 0.0 for v in (*fit.table.estimate, fit.details["residual_variance"])]
    [0.0, 0.8, 0.36]
    """
    z = stats.norm.ppf(np.clip(np.column_stack([base_percentile, end_percentile]).astype(float) / 100, 1e-6, 1 - 1e-6))
    slope, intercept = np.polyfit(z[:, 0], z[:, 1], 1)
    residual_variance = float(np.var(z[:, 1] - (intercept + slope * z[:, 0]), ddof=2))
    table = tidy([{"quantity": q, "estimate": float(v), "n": len(z), "method": "least squares on normal scores"}
                  for q, v in (("intercept", intercept), ("slope", slope))])
    return Estimate(table, details={"residual_variance": residual_variance})


def regression_to_the_mean(data: pd.DataFrame, base: str, end: str, treatment: str | None = None,
                           bins: int = 10) -> pd.DataFrame:
    """The percentile change expected at each baseline position with no effect.

    Two estimates per baseline bin (deciles of the base percentile):
    ``observed_change_untreated`` (mean change among pupils not treated: the
    empirical no-effect benchmark), and ``predicted_change`` from the
    regression of the end on the baseline normal score among the untreated
    (see :func:`expected_percentile_under_no_effect`); a regression on the
    baseline stays right when pupils were picked on the baseline, where a
    correlation would not. ``retest_slope`` is that slope (the re-test
    correlation when nobody is left out). With ``treatment``, also
    ``treated_pupils`` and ``mean_change_treated`` per bin. A naive comparison of paired
    pupils (who start low) against this curve shows how much of their
    "progress" is regression to the mean.

    ``base`` and ``end`` are percentile ranks (0-100) of the same pupils.
    """
    d = data.dropna(subset=[base, end])
    untreated = d if treatment is None else d[d[treatment].fillna(0).astype(float) == 0]
    fit = retest_regression(untreated[base], untreated[end])
    intercept, slope = fit.table.estimate
    residual_variance = fit.details["residual_variance"]
    edges = np.linspace(0, 100, bins + 1)
    binned = pd.cut(d[base], edges, include_lowest=True)
    change = d[end] - d[base]
    out = pd.DataFrame({
        "pupils": change.groupby(binned, observed=False).size(),
        "mean_change_all": change.groupby(binned, observed=False).mean(),
    })
    ub = pd.cut(untreated[base], edges, include_lowest=True)
    out["observed_change_untreated"] = (untreated[end] - untreated[base]).groupby(ub, observed=False).mean()
    mid = untreated[base].groupby(ub, observed=False).mean()
    out["predicted_change"] = expected_percentile_under_no_effect(mid, slope, residual_variance, intercept) - mid
    out["retest_slope"] = slope
    if treatment is not None:
        treated = d[d[treatment].fillna(0).astype(float) == 1]
        tb = pd.cut(treated[base], edges, include_lowest=True)
        out["treated_pupils"] = (treated[end] - treated[base]).groupby(tb, observed=False).size()
        out["mean_change_treated"] = (treated[end] - treated[base]).groupby(tb, observed=False).mean()
    return out.reset_index().rename(columns={base: "base_bin"})


def ipw_effect(data: pd.DataFrame, outcome: str, treatment: str, covariates: Sequence[str],
               cluster: str | None = None, trim: tuple[float, float] | None = None,
               level: float = 0.95) -> Estimate:
    """Effect on the treated by inverse-probability weighting, with overlap diagnostics.

    The propensity of treatment is a logistic regression on ``covariates``
    (for pairing: baseline rank or score and left-behind status). Treated
    pupils weigh 1 and untreated ``e / (1 - e)`` (the ATT weights); the
    effect is the treated mean minus the weighted untreated mean.

    The standard error comes from stacking the propensity score equations
    with the two means (M-estimation; Lunceford and Davidian 2004,
    section 3.2, for the ATT weights), so it allows for the propensity being
    estimated; treating the weights as known overstates it (about 1.4 times
    in the pairing study, which then covers 99%). Sums of the estimating
    functions are taken by ``cluster`` when given, with the factor
    ``G / (G - 1)`` and a t interval on ``G - 1`` degrees of freedom.
    ``trim`` (e.g. ``(0.01, 0.99)``) clips the propensities first; it
    changes the estimand and is off by default.

    Returns an :class:`Estimate`: the tidy row, the propensity model, and
    ``details["balance"]``, per covariate the standardised mean difference
    before and after weighting, and ``details["propensity"]``, the propensity
    range of each group and the share of untreated pupils whose propensity
    lies outside the treated pupils' range (lack of overlap).
    """
    cols = [outcome, treatment, *covariates] + ([cluster] if cluster else [])
    d = data.dropna(subset=cols)
    X = sm.add_constant(d[list(covariates)].astype(float), has_constant="add").to_numpy()
    t = d[treatment].to_numpy(dtype=float)
    y = d[outcome].to_numpy(dtype=float)
    propensity_fit = sm.Logit(t, X).fit(disp=0)
    beta = propensity_fit.params
    e = 1 / (1 + np.exp(-X @ np.asarray(beta)))
    if trim is not None:
        e = np.clip(e, *trim)
    odds = e / (1 - e)
    w = np.where(t == 1, 1.0, odds)
    mu1 = np.sum(t * y) / t.sum()
    mu0 = np.sum((1 - t) * odds * y) / np.sum((1 - t) * odds)
    # Estimating functions: propensity score, treated mean, weighted untreated mean.
    psi = np.column_stack([(t - e)[:, None] * X, t * (y - mu1), (1 - t) * odds * (y - mu0)])
    k = X.shape[1]
    A = np.zeros((k + 2, k + 2))  # minus the mean derivative of psi
    A[:k, :k] = (X * (e * (1 - e))[:, None]).T @ X
    A[k, k] = t.sum()
    A[k + 1, :k] = -((1 - t) * odds * (y - mu0)) @ X  # d odds / d beta = odds * x (untrimmed)
    A[k + 1, k + 1] = np.sum((1 - t) * odds)
    if cluster:
        groups = pd.factorize(d[cluster])[0]
        sums = np.zeros((groups.max() + 1, k + 2))
        np.add.at(sums, groups, psi)
        n_groups = len(sums)
        B = sums.T @ sums * n_groups / (n_groups - 1)
        dof = n_groups - 1
        how = f"cluster-robust sandwich ({n_groups} clusters)"
    else:
        B = psi.T @ psi * len(y) / (len(y) - 1)
        dof = None
        how = "sandwich"
    A_inv = np.linalg.inv(A)
    V = A_inv @ B @ A_inv.T
    est = mu1 - mu0
    se = float(np.sqrt(V[k, k] + V[k + 1, k + 1] - 2 * V[k, k + 1]))
    q = stats.t.ppf(0.5 + level / 2, dof) if dof else stats.norm.ppf(0.5 + level / 2)
    p = 2 * (stats.t.sf(abs(est / se), dof) if dof else stats.norm.sf(abs(est / se)))
    result = tidy([{"quantity": treatment, "estimate": est, "se": se, "ci_low": est - q * se,
                    "ci_high": est + q * se, "p_value": p, "df": dof or np.inf, "n": len(d),
                    "method": f"IPW (ATT weights, logistic propensity), {how} SE"}])
    rows = []
    for c in covariates:
        x = d[c].to_numpy(dtype=float)
        sd = np.sqrt((x[t == 1].var(ddof=1) + x[t == 0].var(ddof=1)) / 2)
        before = (x[t == 1].mean() - x[t == 0].mean()) / sd
        after = (x[t == 1].mean() - np.average(x[t == 0], weights=w[t == 0])) / sd
        rows.append({"covariate": c, "smd_before": before, "smd_after": after})
    treated_range = (e[t == 1].min(), e[t == 1].max())
    propensity = {
        "treated_min": float(treated_range[0]), "treated_max": float(treated_range[1]),
        "untreated_min": float(e[t == 0].min()), "untreated_max": float(e[t == 0].max()),
        "untreated_outside_treated_range": float(((e[t == 0] < treated_range[0])
                                                  | (e[t == 0] > treated_range[1])).mean()),
        "max_weight_share": float(w[t == 0].max() / w[t == 0].sum()),
    }
    return Estimate(result, model=propensity_fit, details={"balance": pd.DataFrame(rows), "propensity": propensity})
