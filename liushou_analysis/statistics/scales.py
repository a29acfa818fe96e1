"""Reliability of a questionnaire scale: Cronbach's alpha and item-rest correlations.

Alpha is ``k / (k - 1) * (1 - sum(var item) / var(total))`` over the
respondents who answered every item (sample variances). Its confidence
interval is Feldt's (1965): ``(1 - alpha) * (n - 1) / ... `` follows an F
distribution on ``n - 1`` and ``(n - 1)(k - 1)`` degrees of freedom, so
the interval is ``1 - (1 - alpha) F_{1 - a/2}`` to ``1 - (1 - alpha) F_{a/2}``.
The item-rest correlation of an item is its correlation with the sum of the
other items: a low or negative one points to an item that measures
something else, or that should have been reverse-coded.

Reliability describes the respondents at hand, unweighted: it is a property
of the instrument in this sample, not a population estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from liushou_analysis.statistics.estimate import Estimate, tidy


def cronbach_alpha(items: pd.DataFrame, level: float = 0.95, name: str = "alpha") -> Estimate:
    """Cronbach's alpha of the columns of ``items`` with Feldt's interval; ``details["items"]`` holds
    each item's item-rest correlation and the alpha without it."""
    complete = items.dropna().to_numpy(dtype=float)
    n, k = complete.shape
    if k < 2 or n < 3:
        table = tidy([{"quantity": name, "estimate": np.nan, "n": n, "method": "cronbach"}])
        return Estimate(table, details={"items": pd.DataFrame(columns=["item", "item_rest", "alpha_if_dropped"])})
    alpha = _alpha(complete)
    a = 1 - level
    low = 1 - (1 - alpha) * stats.f.ppf(1 - a / 2, n - 1, (n - 1) * (k - 1))
    high = 1 - (1 - alpha) * stats.f.ppf(a / 2, n - 1, (n - 1) * (k - 1))
    total = complete.sum(axis=1)
    rest = total[:, None] - complete
    item_rest = [np.corrcoef(complete[:, j], rest[:, j])[0, 1] for j in range(k)]
    dropped = [_alpha(np.delete(complete, j, axis=1)) if k > 2 else np.nan for j in range(k)]
    table = tidy([{"quantity": name, "estimate": alpha, "ci_low": low, "ci_high": high, "n": n,
                   "df": n - 1, "method": "cronbach (Feldt interval)", "items": k}])
    return Estimate(table, details={"items": pd.DataFrame({"item": list(items.columns), "item_rest": item_rest,
                                                           "alpha_if_dropped": dropped})})


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)))
