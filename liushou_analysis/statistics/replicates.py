"""Replicate-weight variance estimation (R's ``svrepdesign``).

A :class:`ReplicateDesign` carries, beside the full-sample weights, a set
of replicate weights: the sample re-weighted as if one PSU were left out
(jackknife) or the PSUs resampled (bootstrap). An estimate's variance is
the spread of the estimates recomputed with each replicate's weights:

``V = scale * sum_r rscale_r (theta_r - centre)^2``

with ``centre`` the mean of the replicates (R's default) or the full-sample
estimate (``mse=True``). It answers the same estimators as
:class:`~.survey.SurveyDesign` (they meet the design in ``_ratios`` and, for
models, ``_model_covariance``), so every table of a survey can come from
either. Replicates are built from a design (:func:`replicate`)
or read from the data, as research datasets ship them.

* ``jk1``: unstratified jackknife; replicate ``r`` drops PSU ``r`` and
  multiplies the others by ``n / (n - 1)``; ``scale = (n - 1) / n``,
  ``rscale = 1 - f`` (the sampling fraction, where the design has an fpc).
* ``jkn``: stratified jackknife; a PSU is dropped within its stratum ``h``,
  the stratum's others multiplied by ``n_h / (n_h - 1)``;
  ``rscale = (1 - f_h)(n_h - 1) / n_h``.
* ``bootstrap``: Rao and Wu's rescaled bootstrap; in each stratum ``n_h - 1``
  PSUs are drawn with replacement and weighted ``n_h / (n_h - 1)`` times
  their count; ``scale = 1 / (R - 1)``.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from liushou_analysis.core.errors import UserError
from liushou_analysis.statistics.calibration import g_weights
from liushou_analysis.statistics.survey import SurveyDesign

KINDS = ("jk1", "jkn", "bootstrap")


class ReplicateDesign(SurveyDesign):
    """A design whose variances come from replicate weights.

    Parameters
    ----------
    data : DataFrame
    weights : str or array
        The full-sample weights (a column name or the values).
    replicates : list of str or array (rows x replicates)
        The replicate weights.
    scale, rscales : the variance's overall and per-replicate factors.
    mse : centre on the full-sample estimate instead of the replicates' mean.
    kind : a name for the method (``jk1``, ``jkn``, ``bootstrap``, ``given``).
    df : the design degrees of freedom (default: replicates - 1).
    """

    def __init__(self, data: pd.DataFrame, weights, replicates, scale: float, rscales=None, mse: bool = False,
                 kind: str = "given", df: int | None = None):
        super().__init__(data)
        self.w = self._column(weights)
        reps = (np.column_stack([self._column(c) for c in replicates]) if isinstance(replicates, list | tuple)
                else np.asarray(replicates, dtype=float))
        self.replicate_weights = reps
        self.scale = float(scale)
        self.rscales = np.ones(reps.shape[1]) if rscales is None else np.asarray(rscales, dtype=float)
        self.mse = mse
        self.method = kind
        self._df = reps.shape[1] - 1 if df is None else df

    def _column(self, values) -> np.ndarray:
        if isinstance(values, str):
            return self.data[values].to_numpy(dtype=float)
        return np.asarray(values, dtype=float)

    def degrees_of_freedom(self) -> int:
        """The design degrees of freedom (PSUs minus strata of the design the replicates came from)."""
        return int(self._df)

    def replicate_covariance(self, full: np.ndarray, replicated: np.ndarray) -> np.ndarray:
        """Covariance of statistics from their full-sample values (k) and replicate values (R x k)."""
        centre = full[None, :] if self.mse else replicated.mean(axis=0, keepdims=True)
        dev = (replicated - centre) * np.sqrt(self.scale * self.rscales)[:, None]
        return dev.T @ dev

    def _ratios(self, numerators, denominator, inside):
        a = np.nan_to_num(np.asarray(numerators, dtype=float).reshape(len(self.data), -1)) * inside[:, None]
        reps = self.replicate_weights
        if denominator is None:
            full, replicated = self.w @ a, reps.T @ a
        else:
            b = np.nan_to_num(np.asarray(denominator, dtype=float)) * inside
            full = (self.w @ a) / (self.w @ b)
            with np.errstate(divide="ignore", invalid="ignore"):
                replicated = (reps.T @ a) / (reps.T @ b)[:, None]
        return full, self.replicate_covariance(full, replicated)

    def covariance(self, z):
        """Linearised covariance is not what a replicate design gives: use its estimators."""
        raise NotImplementedError("a replicate design estimates variances by re-weighting, not from influence values")

    def _model_covariance(self, fit, beta: np.ndarray, influence: np.ndarray) -> np.ndarray:
        reps = self.replicate_weights
        replicated = np.vstack([fit(reps[:, r], beta) for r in range(reps.shape[1])])  # one refit per replicate
        return self.replicate_covariance(beta, replicated)

    def _reweighted(self, model, target, method):
        # every replicate is calibrated to the same totals (R's calibrate on a svrep.design)
        new = self.w * g_weights(model, self.w, target, method)
        self.replicate_weights = np.column_stack([
            self.replicate_weights[:, r] * g_weights(model, self.replicate_weights[:, r], target, method)
            for r in range(self.replicate_weights.shape[1])])
        return new

    def calibrate(self, totals: dict, method: str = "linear") -> ReplicateDesign:
        """The design with its full-sample and replicate weights calibrated (see :meth:`SurveyDesign.calibrate`)."""
        new = copy.copy(self)
        new = SurveyDesign.calibrate(new, totals, method)
        new.calibrations = []  # replicates carry the calibration; no residuals needed
        return new


def replicate(design: SurveyDesign, kind: str = "jk1", replicates: int = 200, seed: int = 0,
              mse: bool = False) -> ReplicateDesign:
    """Replicate weights for ``design`` (see the module docstring for ``kind``)."""
    if kind not in KINDS:
        raise UserError(f"replicate weights {kind!r}: use one of {', '.join(KINDS)}.")
    first = design.stages[0]
    stratum, unit = first["stratum"], first["unit"]
    units = pd.DataFrame({"stratum": stratum, "unit": unit}).drop_duplicates("unit").sort_values("unit")
    n_h = units.groupby("stratum")["unit"].transform("size").to_numpy()
    h = units["stratum"].to_numpy()
    if (n_h < 2).any():
        raise UserError("replicate weights need at least two PSUs in every stratum.")
    if kind == "jk1" and len(np.unique(h)) > 1:
        raise UserError("jk1 replicates are for an unstratified design; use jkn for a stratified one.")
    n_units = len(units)
    if kind in ("jk1", "jkn"):
        same = h[:, None] == h[None, :]  # unit x replicate: is the unit in the dropped unit's stratum
        factor = np.where(same, (n_h / (n_h - 1))[None, :], 1.0)
        np.fill_diagonal(factor, 0.0)
        multiplier = factor
        fpc = np.ones(n_units)  # without replacement: each replicate's share times 1 - f (R's jk1weights, jknweights)
        if first["pop"] is not None:
            pop = pd.Series(first["pop"]).groupby(first["unit"]).first().sort_index().to_numpy()
            fpc = 1 - n_h / pop
        if kind == "jk1":
            scale, rscales = (n_units - 1) / n_units, fpc
        else:
            scale, rscales = 1.0, (n_h - 1) / n_h * fpc
    else:
        rng = np.random.default_rng(seed)
        multiplier = np.zeros((n_units, replicates))
        for stratum_code in np.unique(h):  # one draw per stratum, all replicates at once
            inside = np.flatnonzero(h == stratum_code)
            k = len(inside)
            counts = rng.multinomial(k - 1, np.full(k, 1 / k), size=replicates).T
            multiplier[inside] = counts * k / (k - 1)
        scale, rscales = 1 / (replicates - 1), np.ones(replicates)
    reps = design.w[:, None] * multiplier[unit]
    return ReplicateDesign(design.data, design.w, reps, scale=scale, rscales=rscales, mse=mse, kind=kind,
                           df=design.degrees_of_freedom())
