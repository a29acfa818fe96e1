"""Effect estimators for pairing on rank and score.

``estimate_effect`` is OLS / ANCOVA with absorbed fixed effects and
cluster-robust standard errors (statsmodels). Fixed effects are absorbed by
demeaning every variable within their groups (alternating projections for
several sets: Guimaraes and Portugal 2010), which gives the same
coefficient as OLS with the dummies (Frisch-Waugh-Lovell). The fitted
statsmodels results are kept in ``result.attrs["fit"]`` for ``summary()``.

Standard errors: cluster-robust (CR1, statsmodels' small-sample factor
``G/(G-1) * (N-1)/(N-K)``) when ``cluster`` is given, else HC1. ``K``
counts the regressors, not the absorbed effects, which is right when the
fixed effects are nested within the clusters (e.g. class effects with
school clusters), as in Stata's ``xtreg, fe vce(cluster)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

COLUMNS = ["term", "estimate", "se", "ci_low", "ci_high", "p_value", "n", "method"]


def absorb(frame: pd.DataFrame, columns: list[str], groups: Sequence[str], tol: float = 1e-10,
           max_iter: int = 1000) -> pd.DataFrame:
    """Demean ``columns`` within each set of ``groups`` (alternating projections)."""
    out = frame[columns].astype(float).copy()
    if not groups:
        return out
    keys = [frame[g].to_numpy() for g in groups]
    for _ in range(max_iter if len(groups) > 1 else 1):
        before = out.to_numpy().copy()
        for key in keys:
            out = out - out.groupby(key).transform("mean")
        if np.max(np.abs(out.to_numpy() - before)) < tol:
            break
    return out


def estimate_effect(data: pd.DataFrame, outcome: str, treatment: str, covariates: Sequence[str] = (),
                    fixed_effects: Sequence[str] = (), cluster: str | None = None,
                    weights: str | None = None, level: float = 0.95) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame with one row: term, estimate, se, ci_low, ci_high, p_value, n,
    method; the statsmodels results in ``.attrs["fit"]``.

    Examples
    --------
    >>> d = pd.DataFrame({"y": [1.0, 2, 3, 5, 6, 8], "t": [0, 0, 0, 1, 1, 1]})
    >>> round(estimate_effect(d, "y", "t").estimate.item(), 3)  # difference in means: 19/3 - 2
    4.333
    """
    cols = [outcome, treatment, *covariates]
    needed = cols + list(fixed_effects) + ([cluster] if cluster else []) + ([weights] if weights else [])
    d = data.dropna(subset=needed)
    demeaned = absorb(d, cols, list(fixed_effects))
    y = demeaned[outcome]
    X = demeaned[[treatment, *covariates]]
    if not fixed_effects:
        X = sm.add_constant(X, has_constant="add")
    model = sm.WLS(y, X, weights=d[weights]) if weights else sm.OLS(y, X)
    if cluster:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d[cluster])[0]})
        method = f"OLS, {len(fixed_effects)} absorbed fixed effect(s), cluster-robust SE ({d[cluster].nunique()} clusters)"
        dof = d[cluster].nunique() - 1
    else:
        fit = model.fit(cov_type="HC1")
        method = f"OLS, {len(fixed_effects)} absorbed fixed effect(s), HC1 SE"
        dof = None
    est, se = fit.params[treatment], fit.bse[treatment]
    q = stats.t.ppf(0.5 + level / 2, dof) if dof else stats.norm.ppf(0.5 + level / 2)
    p = 2 * (stats.t.sf(abs(est / se), dof) if dof else stats.norm.sf(abs(est / se)))
    out = pd.DataFrame([{"term": treatment, "estimate": est, "se": se, "ci_low": est - q * se,
                         "ci_high": est + q * se, "p_value": p, "n": len(d), "method": method}])[COLUMNS]
    out.attrs["fit"] = fit
    return out
