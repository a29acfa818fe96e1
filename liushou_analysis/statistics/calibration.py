"""Calibration of survey weights to known population totals.

A calibration finds g-weights ``g_i`` close to 1 such that the calibrated
weights ``g_i w_i`` reproduce known totals ``T`` of auxiliary variables
``x_i`` (enrolment by school, grade and sex, say): ``sum_i g_i w_i x_i = T``
(Deville and Särndal 1992).

* ``linear`` (GREG): ``g = 1 + x'l``. With the cells of one table as the
  auxiliary variables this is post-stratification.
* ``raking``: ``g = exp(x'l)``, found by Newton's method; with the margins of
  several tables as auxiliary variables it is raking (iterative
  proportional fitting) to each margin, and the weights stay positive.

Totals are written per margin: ``{"sex": {"男": 5200, "女": 4800}}`` (a
categorical margin: every level seen in the data needs its count),
``{("school", "grade"): {("石门镇中学", 7): 310, ...}}`` (a joint margin) or
``{"enrolled": 10000}`` (a number column's total). Several margins may share
information (each categorical margin adds up to the population size); the
solution uses a least-squares inverse, so that is allowed as long as the
margins agree.

The variance of a calibrated estimator is the variance of the residuals of
its influence values on ``x`` (weighted by the weights before calibration),
times the calibrated weights: R's ``calibrate`` and ``svyrecvar``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou_analysis.core.errors import UserError

METHODS = ("linear", "raking")


def calibration_matrix(data: pd.DataFrame, totals: dict) -> tuple[np.ndarray, np.ndarray]:
    """The auxiliary variables (one column per level of each categorical
    margin, one per number column) and their population totals."""
    columns, target = [], []
    for key, value in totals.items():
        names = list(key) if isinstance(key, tuple) else [key]
        missing = [c for c in names if c not in data.columns]
        if missing:
            raise UserError(f"calibration: the data have no column {', '.join(missing)}; name columns of the data.")
        if isinstance(value, dict):
            cells = data[names].apply(tuple, axis=1) if len(names) > 1 else data[names[0]]
            blank = int(data[names].isna().any(axis=1).sum())
            if blank:
                raise UserError(f"calibration: {'+'.join(names)} is blank in {blank} rows; a calibration variable "
                                "must be known for every respondent.")
            known = {(tuple(k) if isinstance(k, list) else k): float(v) for k, v in value.items()}
            seen = set(pd.unique(cells))
            unknown = [c for c in pd.unique(cells) if c not in known]
            if unknown:
                raise UserError(f"calibration: {'+'.join(names)} = {unknown[0]!r} is in the data but has no population "
                                "count; give a count for every level.")
            empty = [k for k, v in known.items() if v > 0 and k not in seen]
            if empty:
                raise UserError(f"calibration: no respondent has {'+'.join(names)} = {empty[0]!r}, whose population "
                                "count is above 0; merge that level with a neighbour before calibrating.")
            for level, count in known.items():
                if level in seen:
                    columns.append((cells == level).to_numpy(dtype=float))
                    target.append(count)
        else:
            values = pd.to_numeric(data[names[0]], errors="coerce")
            if values.isna().any():
                raise UserError(f"calibration: {names[0]} is blank or not a number in {int(values.isna().sum())} rows.")
            columns.append(values.to_numpy(dtype=float))
            target.append(float(value))
    if not columns:
        raise UserError("calibration: no totals were given.")
    return np.column_stack(columns), np.asarray(target)


def g_weights(model: np.ndarray, w: np.ndarray, target: np.ndarray, method: str = "linear",
              tol: float = 1e-10, max_iter: int = 100) -> np.ndarray:
    """The g-weights that make ``sum(g w x) = target``."""
    if method not in METHODS:
        raise UserError(f"calibration method {method!r}: use one of {', '.join(METHODS)}.")
    lam = np.zeros(model.shape[1])
    for _ in range(max_iter):
        eta = model @ lam
        g = 1 + eta if method == "linear" else np.exp(eta)
        gap = target - model.T @ (w * g)
        if np.max(np.abs(gap) / np.maximum(np.abs(target), 1)) < tol:
            return g
        slope = 1.0 if method == "linear" else g
        jacobian = model.T @ (model * (w * slope)[:, None])
        lam = lam + np.linalg.lstsq(jacobian, gap, rcond=None)[0]
    raise UserError("calibration: the weights cannot be calibrated to these totals (no solution after "
                    f"{max_iter} steps); check the totals agree with each other and with the data.")


def calibration_residuals(z: np.ndarray, model: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Influence values ``z`` (rows x statistics) made into calibrated ones:
    ``after * (u - x b)`` with ``u = z / after`` and ``b`` the regression of
    ``u`` on ``x`` weighted by ``before``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(after[:, None] != 0, z / after[:, None], 0.0)
    root = np.sqrt(before)[:, None]
    coef = np.linalg.lstsq(model * root, u * root, rcond=None)[0]
    return after[:, None] * (u - model @ coef)
