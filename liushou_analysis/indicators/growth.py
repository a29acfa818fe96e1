"""Student growth percentiles, after Betebenner (2009).

A pupil's growth percentile is the percentile of the current score among
pupils with the same prior score: the conditional distribution of current
given prior, estimated by linear quantile regression on a cubic B-spline
basis of the prior score, pooled over all pupils of a group (e.g. a grade
and exam across classes and schools).

Method
------
1. Basis: cubic B-splines of the prior score with interior knots at its
   20th, 40th, 60th and 80th percentiles, plus an intercept.
2. Fit the 99 quantiles tau = 0.01, ..., 0.99 with ``statsmodels``
   ``QuantReg``.
3. Non-crossing: each pupil's 99 fitted values are sorted (the
   rearrangement of Chernozhukov, Fernandez-Val and Galichon, 2010), so
   quantile curves never cross.
4. SGP = the number of fitted quantiles at or below the pupil's current
   score, bounded to 1..99 (Betebenner's convention). Under no relation
   beyond what the prior explains, SGPs 2..99 each occur for 1% of pupils
   and SGP 1 for 2% (scores below the 2nd conditional percentile).

Minimum group size: a group needs at least ``min_group`` (default 200)
pupils with both scores; the 1st and 99th percentiles otherwise rest on a
couple of pupils. Smaller groups get a missing SGP and ``sgp_status =
"group_too_small"``; pupils missing either score get ``"missing_score"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline
from statsmodels.regression.quantile_regression import QuantReg

from liushou_analysis.core.flags import is_true

TAUS = np.arange(1, 100) / 100
KNOT_QUANTILES = (0.2, 0.4, 0.6, 0.8)


def bspline_basis(x: np.ndarray, knots: np.ndarray, lo: float, hi: float, degree: int = 3) -> np.ndarray:
    """Cubic B-spline basis of x with the given interior knots (no intercept column)."""
    t = np.r_[[lo] * (degree + 1), knots, [hi] * (degree + 1)]
    basis = BSpline.design_matrix(np.clip(x, lo, hi), t, degree).toarray()
    return basis[:, 1:]  # drop one column: the intercept is added separately


def _fit_group(prior: np.ndarray, current: np.ndarray, new_prior: np.ndarray) -> np.ndarray:
    """Fit 99 quantiles on (prior, current); return each new pupil's 99
    non-crossing fitted conditional quantiles."""
    lo, hi = prior.min(), prior.max()
    knots = np.unique(np.quantile(prior, KNOT_QUANTILES))
    knots = knots[(knots > lo) & (knots < hi)]

    def design(x):
        return np.column_stack([np.ones(len(x)), bspline_basis(x, knots, lo, hi)])

    X, X_new = design(prior), design(new_prior)
    fitted = np.empty((len(new_prior), len(TAUS)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IterationLimitWarning on ties at extreme taus
        for j, tau in enumerate(TAUS):
            fitted[:, j] = X_new @ QuantReg(current, X).fit(q=tau, max_iter=2000).params
    return np.sort(fitted, axis=1)


def growth_percentiles(data: pd.DataFrame, current: str, prior: str, by: str | Sequence[str] | None = None,
                       reference: str | None = None, min_group: int = 200) -> pd.DataFrame:
    """Growth percentile of each pupil's current score given the prior score.

    Parameters
    ----------
    data : DataFrame
        One row per pupil, with the current and prior scores.
    current, prior : str
        Score columns (raw scores or percentile ranks).
    by : str or list of str, optional
        Groups fitted separately (e.g. grade and exam).
    reference : str, optional
        Boolean column: fit the conditional quantiles on these pupils only
        (e.g. unpaired pupils, or last year's cohort) and place every pupil
        of the group against them. Default: every pupil of the group.
    min_group : int
        Fewest reference pupils with both scores a group needs.

    Returns
    -------
    DataFrame aligned to ``data`` with ``sgp`` (1..99, nullable integer)
    and ``sgp_status`` (``ok``, ``missing_score``, ``group_too_small``).
    """
    both = (data[current].notna() & data[prior].notna()).to_numpy()
    ref = both & (is_true(data[reference]).to_numpy() if reference else True)
    sgp = pd.Series(pd.NA, index=data.index, dtype="Int64")
    status = pd.Series(np.where(both, "ok", "missing_score"), index=data.index, dtype=object)
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    group = data.groupby(cols, sort=True).ngroup().to_numpy() if cols else np.zeros(len(data), dtype=int)
    for g in np.unique(group[both]):  # one fit per group, not per pupil
        members = both & (group == g)
        fit_on = ref & (group == g)
        if fit_on.sum() < min_group:
            status[members] = "group_too_small"
            continue
        q = _fit_group(data[prior].to_numpy(dtype=float)[fit_on], data[current].to_numpy(dtype=float)[fit_on],
                       data[prior].to_numpy(dtype=float)[members])
        y = data[current].to_numpy(dtype=float)[members]
        sgp[members] = np.clip((q <= y[:, None]).sum(axis=1), 1, 99)
    return pd.DataFrame({"sgp": sgp, "sgp_status": status}, index=data.index)
