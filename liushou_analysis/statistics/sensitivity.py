"""Could the pairing effect be something else? How strong a hidden confounder would have to be, and how small an
effect the county's numbers can detect at all.

**E-value** (VanderWeele and Ding 2017, "Sensitivity analysis in observational research: introducing the
E-value", Annals of Internal Medicine 167(4)): the minimum strength of association, on the risk-ratio scale,
that an unmeasured confounder would need with both the pairing and the outcome to explain the estimate away.
For a risk ratio RR > 1 it is ``RR + sqrt(RR (RR - 1))`` (for RR < 1, the same of 1 / RR). An effect in rank
percentile points is first put on the standardised scale, ``d = estimate / SD`` (the outcome's standard
deviation among the comparison pupils), and converted with ``RR = exp(0.91 d)`` (their approximation for
continuous outcomes). The E-value of the confidence limit nearer to no effect says how strong a confounder
would have to be to make the interval include zero (1 when it already does).

**Minimum detectable effect** (Bloom 1995, "Minimum detectable effects", Evaluation Review 19(5)): the
smallest true effect that a two-sided test at level ``alpha`` finds with probability ``power``:
``MDE = (z(1 - alpha/2) + z(power)) x SE``, where the standard error of a difference between ``treated`` and
``control`` pupils clustered in classes of average size ``m`` is ``SD x sqrt(1/treated + 1/control)`` times
the square root of the design effect ``1 + (m - 1) icc x icc_treated`` (Moulton 1990: ``icc`` the outcome's
intra-class correlation, ``icc_treated`` the pairing's; 1 when whole classes are paired or not, near 0 when
every class has paired and unpaired pupils alike). :func:`class_icc` estimates either from the data by one-way
analysis of variance (the ANOVA estimator, with the average class size corrected for unequal classes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def e_value(estimate: float, se: float, sd: float, alpha: float = 0.05) -> dict[str, float]:
    """E-values of an effect in outcome units (percentile points) and of its confidence limit nearer to zero.

    >>> round(e_value(0.5, 0.1, 1.0)["e_value"], 3)   # d = 0.5: RR = exp(0.455) = 1.576, 1.576 + sqrt(1.576 x 0.576)
    2.529
    >>> e_value(0.1, 0.1, 1.0)["e_value_ci"]          # the interval includes zero
    1.0
    """
    z = stats.norm.ppf(1 - alpha / 2)
    low, high = estimate - z * se, estimate + z * se
    nearer = 0.0 if low <= 0 <= high else (low if estimate > 0 else high)
    return {"d": estimate / sd, "risk_ratio": _rr(estimate / sd), "e_value": _e(_rr(estimate / sd)),
            "e_value_ci": _e(_rr(nearer / sd))}


def _rr(d: float) -> float:
    return float(np.exp(0.91 * d))


def _e(rr: float) -> float:
    rr = 1 / rr if rr < 1 else rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def class_icc(values: pd.Series, groups: pd.Series) -> dict[str, float]:
    """Intra-class correlation of ``values`` within ``groups`` (classes), the ANOVA estimator:
    ``(MSB - MSW) / (MSB + (m0 - 1) MSW)`` with ``m0`` the size-corrected average class size; at least 0."""
    d = pd.DataFrame({"y": pd.to_numeric(values, errors="coerce").to_numpy(), "g": np.asarray(groups)}).dropna()
    sizes = d.groupby("g").y.size()
    k, n = len(sizes), len(d)
    if k < 2 or n <= k:
        return {"icc": np.nan, "classes": k, "mean_size": np.nan}
    means = d.groupby("g").y.transform("mean")
    msb = float((sizes * (d.groupby("g").y.mean() - d.y.mean()) ** 2).sum() / (k - 1))
    msw = float(((d.y - means) ** 2).sum() / (n - k))
    m0 = (n - (sizes ** 2).sum() / n) / (k - 1)
    icc = (msb - msw) / (msb + (m0 - 1) * msw) if msb + (m0 - 1) * msw > 0 else np.nan
    return {"icc": max(0.0, float(icc)), "classes": k, "mean_size": float(n / k)}


def minimum_detectable_effect(sd: float, treated: int, control: int, mean_size: float = 1.0, icc: float = 0.0,
                              icc_treated: float = 1.0, alpha: float = 0.05, power: float = 0.8) -> float:
    """The minimum detectable effect in the outcome's units (see the module docstring).

    >>> round(minimum_detectable_effect(1.0, 100, 100), 3)   # 2.802 x sqrt(1/100 + 1/100)
    0.396
    """
    if treated < 1 or control < 1:
        return np.nan
    multiplier = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    design_effect = 1 + max(mean_size - 1, 0) * max(icc, 0) * min(max(icc_treated, 0), 1)
    return float(multiplier * sd * np.sqrt(1 / treated + 1 / control) * np.sqrt(design_effect))
