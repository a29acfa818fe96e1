"""Design-based estimates for complex surveys, after R's ``survey`` package (Lumley).

A :class:`SurveyDesign` knows the weights, strata, clusters (one per stage)
and finite population corrections of a sample. Its estimators linearise
(Taylor series) the statistic into per-row influence values ``z`` and
estimate the variance of their total from the design:

* one stage: ``V = sum_h (1 - f_h) n_h / (n_h - 1) sum_j (Z_hj - Zbar_h)^2``
  where ``Z_hj`` are the PSU totals of ``z`` in stratum ``h``, ``n_h`` the
  number of sampled PSUs and ``f_h = n_h / N_h`` the sampling fraction;
* several stages, each with an fpc: the first stage's variance plus, for
  each later stage, its one-stage variance within the units of the stage
  above, multiplied by the sampling fractions of the stages above (R's
  ``multistage``); with no fpc, only the first stage counts (the
  with-replacement, "ultimate cluster" variance).

Domains (``by=``) are estimated on the full design: rows outside a domain
keep their PSU, with zero influence, so a domain's variance counts the PSUs
that hold none of it. Rows with a missing ``y`` are left out of the
estimate as R does with ``na.rm=TRUE``.

Every confidence interval uses t on the design degrees of freedom (first-stage
PSUs minus strata): for proportions as ``svyciprop`` does, for means, totals
and ratios as R's ``confint(est, df = degf(design))`` does (R's own default
there is the normal quantile, which undercovers with few clusters).

A mean, share or ratio is a ratio of two estimated totals. When its
denominator varies much from sample to sample (too few clusters of too
unequal sizes), the linearised variance understates the spread and the
estimate leans one way. This is a property of the design, so it is judged
on the whole sample's denominator (the weighted count of the rows that
answered), also for a domain's rows: a small domain is the disclosure
control's and ``n``'s business, not this rule's. The sampling texts ask for a denominator CV under
0.1 for the ratio's bias to be negligible (Cochran 1977, section 6.4). A row
is marked ``unstable`` (the CV in ``denominator_cv``) when that CV is above
:data:`UNSTABLE_CV` (0.2), or above 0.1 with fewer than
:data:`FEW_DF` (30) design degrees of freedom; pages print a sentence
instead of its interval. Checked by simulation on apipop
(tests/test_survey.py): 15 of 757 districts give a CV of 0.19-0.57 and
intervals covering 81-85% (t on 14 df: 84%, a jackknife: 87-90%), and are
withheld; 60 of 747 districts plus a certainty stratum (CV 0.09-0.14, 68
df) cover 93% and are printed.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from scipy import stats

from liushou_analysis.statistics.calibration import calibration_matrix, calibration_residuals, g_weights
from liushou_analysis.statistics.estimate import Estimate, tidy

LONELY_PSU = ("fail", "certainty", "remove", "adjust")

#: Above this coefficient of variation of its denominator, a ratio estimate (a mean, a share) is ``unstable``:
#: its linearised interval cannot be trusted (see the module's text).
UNSTABLE_CV = 0.2
#: With fewer design degrees of freedom than this, a denominator CV above 0.1 already makes a ratio unstable.
FEW_DF = 30


def proportion_interval(p: float, var: float, df: int, n: int, method: str = "logit",
                        level: float = 0.95) -> tuple[float, float]:
    """The confidence interval of a share ``p`` with design variance ``var``
    (see :meth:`SurveyDesign.proportion` for the methods); ``df`` the design
    degrees of freedom, ``n`` the sample size."""
    alpha = 1 - level
    t = stats.t.ppf(1 - alpha / 2, df)
    if p in (0.0, 1.0) or var <= 0:
        return p, p
    se = np.sqrt(var)
    if method == "logit":
        logit, se_logit = np.log(p / (1 - p)), se / (p * (1 - p))
        return tuple(float(1 / (1 + np.exp(-(logit + s * t * se_logit)))) for s in (-1, 1))
    n_eff = p * (1 - p) / var
    if method == "wilson":
        centre = (p + t ** 2 / (2 * n_eff)) / (1 + t ** 2 / n_eff)
        half = t / (1 + t ** 2 / n_eff) * np.sqrt(p * (1 - p) / n_eff + t ** 2 / (4 * n_eff ** 2))
        return float(centre - half), float(centre + half)
    n_eff *= (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, df)) ** 2
    return (float(stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)),
            float(stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))))


def _indicators(values: pd.Series, inside: np.ndarray) -> tuple[list, np.ndarray]:
    """The categories of ``values`` answered in the rows ``inside`` (a categorical's own order, else sorted)
    and one 0/1 column per category."""
    present = set(values[inside].unique())
    categories = ([c for c in values.cat.categories if c in present]
                  if isinstance(values.dtype, pd.CategoricalDtype) else sorted(present))
    ind = (np.column_stack([(values == c).to_numpy(dtype=float) for c in categories]) if categories
           else np.zeros((len(values), 0)))
    return categories, ind


def _as_list(value) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class SurveyDesign:
    """A survey design, in the manner of ``survey::svydesign``.

    Parameters
    ----------
    data : DataFrame
    weights : str, optional
        Sampling weights column. Default: the inverse of the sampling
        fractions given by ``fpc``, else 1.
    strata : str or list of str, optional
        Stratum column for each stage (a single name: first stage only).
    cluster : str or list of str, optional
        Sampling unit column for each stage (e.g. ``["district", "school"]``).
        Default: each row is its own unit.
    fpc : str or list of str, optional
        For each stage, the population count of units in the stratum (a
        value above 1) or the sampling fraction (1 or below).
    lonely_psu : {"fail", "certainty", "remove", "adjust"}
        A stratum with a single PSU: an error; no contribution (a certainty
        unit, or removed); or centred at the mean of all PSU totals.

    Examples
    --------
    A simple random sample of 4 from 100:

    >>> d = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "N": 100})
    >>> SurveyDesign(d, fpc="N").mean("y").table[["estimate", "se"]].round(4).values.tolist()
    [[2.5, 0.6325]]
    """

    def __init__(self, data: pd.DataFrame, weights: str | None = None, strata=None, cluster=None, fpc=None,
                 lonely_psu: str = "fail"):
        if lonely_psu not in LONELY_PSU:
            raise ValueError(f"lonely_psu must be one of {LONELY_PSU}")
        self.data = data.reset_index(drop=True)
        self.lonely_psu = lonely_psu
        n = len(self.data)
        clusters = _as_list(cluster)
        fpcs = _as_list(fpc)
        stratas = _as_list(strata)
        stages = max(len(clusters), len(fpcs), len(stratas), 1)
        self.stages = []
        parent = np.zeros(n, dtype=np.int64)
        for k in range(stages):
            unit = (self.data[clusters[k]].to_numpy() if k < len(clusters)
                    else np.arange(n))  # id = ~1: every row its own unit
            stratum = self.data[stratas[k]].to_numpy() if k < len(stratas) else np.zeros(n, dtype=np.int64)
            # units and strata are nested in the unit above them
            stratum_code = pd.MultiIndex.from_arrays([parent, stratum]).factorize()[0]
            unit_code = pd.MultiIndex.from_arrays([stratum_code, unit]).factorize()[0]
            n_units = pd.Series(unit_code).groupby(stratum_code).nunique().to_numpy()[stratum_code]
            pop = None
            if k < len(fpcs):
                raw = self.data[fpcs[k]].to_numpy(dtype=float)
                pop = np.where(raw <= 1, n_units / raw, raw)
            self.stages.append({"stratum": stratum_code, "unit": unit_code, "n_units": n_units, "pop": pop})
            parent = unit_code
        if weights is not None:
            self.w = self.data[weights].to_numpy(dtype=float)
        else:
            self.w = np.ones(n)
            for s in self.stages:
                if s["pop"] is not None:
                    self.w = self.w * s["pop"] / s["n_units"]
        self.full_stages = all(s["pop"] is not None for s in self.stages)
        #: how variances are estimated (a replicate design says which replicates)
        self.method = "taylor"
        #: each calibration applied so far: (model matrix, the weights before it, after it)
        self.calibrations: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    # --- calibration --------------------------------------------------------------------
    def calibrate(self, totals: dict, method: str = "linear") -> SurveyDesign:
        """The design with its weights calibrated to known population ``totals``
        (see :func:`.calibration.calibration_matrix` for how totals are
        written): ``linear`` (GREG; one joint margin is post-stratification)
        or ``raking`` (g-weights ``exp(x'l)``; on several margins, raking to
        each). Variances of the calibrated design use the residuals of the
        influence values on the calibration variables (R's ``calibrate``)."""
        model, target = calibration_matrix(self.data, totals)
        new = copy.copy(self)
        new.w = new._reweighted(model, target, method)
        new.calibrations = [*self.calibrations, (model, self.w, new.w)]
        return new

    def poststratify(self, columns, totals: dict) -> SurveyDesign:
        """Post-stratification: weights scaled so each cell of ``columns``
        (one column, or a tuple of them) adds up to its population count."""
        key = columns if isinstance(columns, str) else tuple(columns)
        return self.calibrate({key: totals}, method="linear")

    def _reweighted(self, model: np.ndarray, target: np.ndarray, method: str) -> np.ndarray:
        return self.w * g_weights(model, self.w, target, method)

    # --- variance -----------------------------------------------------------------------
    def degrees_of_freedom(self) -> int:
        """First-stage PSUs minus strata (R's ``degf``)."""
        s = self.stages[0]
        return int(len(np.unique(s["unit"])) - len(np.unique(s["stratum"])))

    def _onestage(self, z: np.ndarray, stage: dict) -> np.ndarray:
        """One stage's covariance of the totals of the columns of ``z`` (n x k)."""
        totals = pd.DataFrame(z).groupby([stage["stratum"], stage["unit"]]).sum()
        strat = totals.index.get_level_values(0).to_numpy()
        t = totals.to_numpy()
        n_h = pd.Series(strat).groupby(strat).transform("size").to_numpy()
        centre = totals.groupby(level=0).transform("mean").to_numpy()
        if stage["pop"] is not None:
            pop = pd.Series(stage["pop"]).groupby(stage["stratum"]).first().reindex(strat).to_numpy()
            f = 1 - n_h / pop
        else:
            f = np.ones(len(strat))
        # a stratum whose every unit was sampled (f = 0) contributes nothing,
        # whatever its size: it is self-representing, not a lonely PSU
        lonely = (n_h == 1) & (f > 1e-7)
        dev = t - centre
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(f > 1e-7, f * n_h / (n_h - 1), 0.0)
        if lonely.any():
            if self.lonely_psu == "fail":
                raise ValueError("a stratum has a single PSU: choose lonely_psu='certainty', 'remove' or 'adjust'")
            if self.lonely_psu == "adjust":
                dev[lonely] = t[lonely] - t.mean(axis=0)
                scale[lonely] = f[lonely]
            else:
                scale[lonely] = 0.0
        weighted = dev * np.sqrt(scale)[:, None]
        return weighted.T @ weighted

    def covariance(self, z: np.ndarray) -> np.ndarray:
        """Covariance matrix of the totals of the columns of influence values ``z``."""
        z = np.asarray(z, dtype=float).reshape(len(self.data), -1)
        for model, before, after in self.calibrations:  # in the order applied, as R's svyrecvar
            z = calibration_residuals(z, model, before, after)
        v = self._onestage(z, self.stages[0])
        if self.full_stages and len(self.stages) > 1:
            scale = np.ones(len(z))
            for upper, stage in zip(self.stages[:-1], self.stages[1:], strict=True):
                scale = scale * upper["n_units"] / upper["pop"]
                # within each unit above, the stage's one-stage variance, times the fractions above
                v = v + self._onestage(z * np.sqrt(scale)[:, None], stage)
        return v

    def variance(self, z: np.ndarray) -> float:
        """Variance of the total of influence values ``z`` under the design."""
        return float(self.covariance(z)[0, 0])

    # --- estimators ---------------------------------------------------------------------
    def _domains(self, by) -> list[tuple[dict, np.ndarray]]:
        cols = _as_list(by)
        if not cols:
            return [({}, np.ones(len(self.data), dtype=bool))]
        out = []
        grouping = self.data.groupby(cols if len(cols) > 1 else cols[0], sort=True)
        for key, positions in grouping.indices.items():  # one pass per domain, not per row
            mask = np.zeros(len(self.data), dtype=bool)
            mask[positions] = True
            values = key if isinstance(key, tuple) else (key,)
            out.append((dict(zip(cols, values, strict=True)), mask))
        return out

    def _row(self, label, est, var, n, deff, method, extra, cv=np.nan) -> dict:
        """One estimate with its interval on t with the design degrees of freedom; ``cv`` the coefficient of
        variation of its denominator (missing for a total)."""
        se = float(np.sqrt(var))
        df = max(self.degrees_of_freedom(), 1)
        q = stats.t.ppf(0.975, df)
        return {**extra, "quantity": label, "estimate": est, "se": se, "ci_low": est - q * se,
                "ci_high": est + q * se, "df": df, "n": int(n), "method": method, "deff": deff,
                **_stability(cv, df)}

    def _denominator_cv(self, denominator: np.ndarray, inside: np.ndarray) -> float:
        """Coefficient of variation of the estimated total ``sum(w b)`` over the rows ``inside``."""
        total, cov = self._ratios(np.asarray(denominator, dtype=float), None, inside)
        return float(np.sqrt(max(cov[0, 0], 0.0)) / total[0]) if total[0] > 0 else np.nan

    def _srs_var_of_mean(self, y: np.ndarray, inside: np.ndarray) -> float:
        """Variance of the mean under simple random sampling without
        replacement of the same size (R's deff): svyvar / n * (N - n) / N."""
        w = self.w * inside
        n = inside.sum()
        big_n = w.sum()
        if n < 2 or big_n <= 0:  # one respondent (or none): no spread to compare with
            return np.nan
        mean = (w * np.nan_to_num(y)).sum() / big_n
        s2 = (w * (np.nan_to_num(y) - mean) ** 2).sum() / big_n * n / (n - 1)
        srs = s2 / n * (big_n - n) / big_n
        return srs if srs > 0 else np.nan  # a census has no sampling variance to compare with

    def _estimate(self, rows: list[dict], by) -> Estimate:
        """Rows as an :class:`Estimate` grouped by ``by``; a descriptive
        estimate tests no hypothesis, so its ``p_value`` is missing."""
        groups = tuple(_as_list(by))
        return Estimate(tidy(rows or [{g: None for g in groups}], groups).iloc[: len(rows)], groups=groups)

    def _ratios(self, numerators: np.ndarray, denominator: np.ndarray | None,
                inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The estimates ``sum(w a_k) / sum(w b)`` for the columns ``a_k`` of
        ``numerators`` (totals ``sum(w a_k)`` when ``denominator`` is None) over
        the rows ``inside``, and their covariance. Every descriptive estimator
        is one of these; a replicate design (:mod:`.replicates`) answers the
        same question by re-weighting instead of linearising."""
        a = np.nan_to_num(np.asarray(numerators, dtype=float).reshape(len(self.data), -1)) * inside[:, None]
        w = self.w
        if denominator is None:
            return w @ a, self.covariance(w[:, None] * a)
        b = np.nan_to_num(np.asarray(denominator, dtype=float)) * inside
        base = w @ b
        est = (w @ a) / base
        return est, self.covariance(w[:, None] * (a - est[None, :] * b[:, None]) / base)

    def mean(self, y: str, by=None) -> Estimate:
        """Weighted mean of ``y`` (per domain) with its design-based SE."""
        rows = []
        values = self.data[y].to_numpy(dtype=float)
        cv = self._denominator_cv(np.ones(len(values)), ~np.isnan(values))
        for extra, mask in self._domains(by):
            inside = mask & ~np.isnan(values)
            est, cov = self._ratios(values, np.ones(len(values)), inside)
            var = float(cov[0, 0])
            rows.append(self._row(y, float(est[0]), var, inside.sum(), var / self._srs_var_of_mean(values, inside),
                                  self.method, extra, cv))
        return self._estimate(rows, by)

    def total(self, y: str, by=None) -> Estimate:
        """Weighted total of ``y`` (per domain)."""
        rows = []
        values = self.data[y].to_numpy(dtype=float)
        for extra, mask in self._domains(by):
            inside = mask & ~np.isnan(values)
            est, cov = self._ratios(values, None, inside)
            var = float(cov[0, 0])
            big_n = (self.w * inside).sum()
            rows.append(self._row(y, float(est[0]), var, inside.sum(),
                                  var / (big_n ** 2 * self._srs_var_of_mean(values, inside)), self.method, extra))
        return self._estimate(rows, by)

    def ratio(self, numerator: str, denominator: str, by=None) -> Estimate:
        """Ratio of two weighted totals, ``sum(w y) / sum(w x)``."""
        rows = []
        y = self.data[numerator].to_numpy(dtype=float)
        x = self.data[denominator].to_numpy(dtype=float)
        cv = self._denominator_cv(x, ~np.isnan(y) & ~np.isnan(x))
        for extra, mask in self._domains(by):
            inside = mask & ~np.isnan(y) & ~np.isnan(x)
            est, cov = self._ratios(y, x, inside)
            rows.append(self._row(f"{numerator}/{denominator}", float(est[0]), float(cov[0, 0]), inside.sum(), np.nan,
                                  self.method, extra, cv))
        return self._estimate(rows, by)

    def proportion(self, y: str, by=None, method: str = "logit", level: float = 0.95) -> Estimate:
        """Share of each category of ``y`` (one row per category), with a
        confidence interval by ``method``:

        * ``logit``: Wald interval on the logit scale, back-transformed
          (svyciprop's default);
        * ``wilson``: Wilson's score interval with the effective sample size
          ``p(1-p)/var``;
        * ``beta``: Korn and Graubard's Clopper-Pearson interval with the
          effective sample size (svyciprop's ``beta``).

        Quantiles use the design degrees of freedom.
        """
        if method not in ("logit", "wilson", "beta"):
            raise ValueError("method must be 'logit', 'wilson' or 'beta'")
        values = self.data[y]
        df = max(self.degrees_of_freedom(), 1)
        cv = self._denominator_cv(np.ones(len(values)), values.notna().to_numpy())
        rows = []
        for extra, mask in self._domains(by):
            inside = mask & values.notna().to_numpy()
            categories, ind = _indicators(values, inside)
            if not categories:
                continue
            est, cov = self._ratios(ind, np.ones(len(values)), inside)  # every category in one pass
            for k, category in enumerate(categories):
                p, var = float(est[k]), float(cov[k, k])
                lo, hi = proportion_interval(p, var, df, inside.sum(), method, level)
                rows.append({**extra, "quantity": f"{y}={category}", "estimate": p, "se": np.sqrt(var),
                             "ci_low": lo, "ci_high": hi, "df": df, "n": int(inside.sum()), "method": method,
                             "deff": var / self._srs_var_of_mean(ind[:, k], inside), **_stability(cv, df)})
        return self._estimate(rows, by)

    def category_totals(self, y: str, by=None) -> Estimate:
        """The estimated population count of each category of ``y`` (the weighted number of respondents
        choosing it), with its design-based SE; per domain with ``by``."""
        values = self.data[y]
        rows = []
        for extra, mask in self._domains(by):
            inside = mask & values.notna().to_numpy()
            categories, ind = _indicators(values, inside)
            if not categories:
                continue
            est, cov = self._ratios(ind, None, inside)
            for k, category in enumerate(categories):
                rows.append(self._row(f"{y}={category}", float(est[k]), float(cov[k, k]), inside.sum(), np.nan,
                                      self.method, extra))
        return self._estimate(rows, by)

    def quantile(self, y: str, probs=(0.25, 0.5, 0.75), by=None, level: float = 0.95) -> Estimate:
        """Weighted quantiles of ``y`` with Woodruff's confidence intervals.

        The quantile is the smallest value whose weighted cumulative share
        reaches ``p`` (R's ``qrule="math"``). The interval inverts the
        design-based interval of the share below the quantile: with ``s`` the
        SE of that share and ``t`` the design-df quantile, it runs from the
        quantile at ``p - t s`` to the one at ``p + t s``; the SE reported is
        its width over ``2 t`` (Woodruff 1952; R's ``interval.type="mean"``).
        """
        values = self.data[y].to_numpy(dtype=float)
        df = max(self.degrees_of_freedom(), 1)
        t = stats.t.ppf(1 - (1 - level) / 2, df)
        rows = []
        for extra, mask in self._domains(by):
            inside = mask & ~np.isnan(values)
            if not inside.any():
                continue
            order = np.argsort(values[inside], kind="stable")
            sorted_y = values[inside][order]
            share = np.cumsum(self.w[inside][order]) / self.w[inside].sum()

            def at(p, sorted_y=sorted_y, share=share):
                k = np.searchsorted(share, np.clip(p, 0, 1) - 1e-12, side="left")
                return sorted_y[np.minimum(k, len(sorted_y) - 1)]

            qs = at(np.asarray(probs, dtype=float))
            below = np.column_stack([(values <= q).astype(float) for q in qs])
            _, cov = self._ratios(below, np.ones(len(values)), inside)
            for k, p in enumerate(probs):
                s = float(np.sqrt(cov[k, k]))
                lo, hi = at(p - t * s), at(p + t * s)
                rows.append({**extra, "quantity": f"{y}@{p:g}", "estimate": float(qs[k]), "se": (hi - lo) / (2 * t),
                             "ci_low": float(lo), "ci_high": float(hi), "df": df, "n": int(inside.sum()),
                             "method": "woodruff"})
        return self._estimate(rows, by)

    def glm(self, formula: str, family: str = "gaussian", level: float = 0.95) -> Estimate:
        """Survey-weighted regression (R's ``svyglm``): ``gaussian`` (linear)
        or ``binomial`` (logistic, the outcome 0/1), written as a formula
        (``"score ~ C(care) + grade"``).

        Coefficients solve the weighted estimating equations; their
        covariance is the sandwich ``A^-1 V A^-1`` with ``A`` the weighted
        information and ``V`` the design covariance of the weighted scores
        (a replicate design refits with each replicate's weights). Rows with
        a missing value stay in the design with no weight in the fit, as
        domains do. Intervals and p-values use t on the design degrees of
        freedom less the number of coefficients plus one.
        """
        import patsy

        if family not in ("gaussian", "binomial"):
            raise ValueError("family must be 'gaussian' or 'binomial'")
        y_frame, x_frame = patsy.dmatrices(formula, self.data, return_type="dataframe", NA_action="drop")
        used = np.zeros(len(self.data), dtype=bool)
        used[y_frame.index.to_numpy()] = True
        x = np.zeros((len(self.data), x_frame.shape[1]))
        x[used] = x_frame.to_numpy(dtype=float)
        if y_frame.shape[1] > 2:
            raise ValueError(f"the outcome of {formula!r} has {y_frame.shape[1]} answers; a regression needs a "
                             "number or an answer with two levels")
        y = np.zeros(len(self.data))
        # an answer with two levels (男/女): the second is modelled, as R's glm does with a factor
        y[used] = y_frame.to_numpy(dtype=float)[:, -1]
        if family == "binomial" and not np.isin(y[used], (0.0, 1.0)).all():
            raise ValueError("a logistic regression needs an outcome coded 0 and 1")

        def fit(w, start=None):
            w = w * used
            beta = np.zeros(x.shape[1]) if start is None else start.copy()
            for _ in range(50):
                eta = x @ beta
                mu = eta if family == "gaussian" else 1 / (1 + np.exp(-eta))
                v = np.ones(len(y)) if family == "gaussian" else mu * (1 - mu)
                step = np.linalg.solve(x.T @ (x * (w * v)[:, None]), x.T @ (w * (y - mu)))
                beta = beta + step
                if family == "gaussian" or np.max(np.abs(step)) < 1e-10:
                    break
            return beta

        beta = fit(self.w)
        eta = x @ beta
        mu = eta if family == "gaussian" else 1 / (1 + np.exp(-eta))
        v = np.ones(len(y)) if family == "gaussian" else mu * (1 - mu)
        w = self.w * used
        bread = np.linalg.inv(x.T @ (x * (w * v)[:, None]))
        influence = (w * (y - mu))[:, None] * x @ bread
        cov = self._model_covariance(lambda wr, start: fit(wr, start), beta, influence)
        se = np.sqrt(np.diag(cov))
        df = max(self.degrees_of_freedom() - x.shape[1] + 1, 1)
        t = stats.t.ppf(1 - (1 - level) / 2, df)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_value = 2 * stats.t.sf(np.abs(beta / se), df)
        table = tidy(pd.DataFrame({"quantity": list(x_frame.columns), "estimate": beta, "se": se,
                                   "ci_low": beta - t * se, "ci_high": beta + t * se, "p_value": p_value,
                                   "df": df, "n": int(used.sum()), "method": f"svyglm {family} ({self.method})"}))
        return Estimate(table, details={"covariance": pd.DataFrame(cov, index=x_frame.columns,
                                                                   columns=x_frame.columns)})

    def _model_covariance(self, fit, beta: np.ndarray, influence: np.ndarray) -> np.ndarray:
        """Covariance of a model's coefficients from their influence values (a replicate design refits)."""
        return self.covariance(influence)

    def crosstab(self, row: str, col: str) -> Estimate:
        """Weighted two-way table and Rao-Scott tests of independence.

        Returns an :class:`Estimate`: its ``table`` has one row per cell, the
        cell's share of the population as ``estimate`` with its ``se``, and
        the estimated population count as ``population``; ``n`` is the
        sample size. ``details["tests"]``: the Pearson X^2 of
        the table rescaled to the sample size (wrong under clustering), the
        first-order Rao-Scott chi-square ``X^2 / mean(delta)`` on
        ``(r-1)(c-1)`` df, and the second-order F ``X^2 / sum(delta)`` on
        ``d0`` and ``d0 * df`` degrees of freedom with
        ``d0 = sum(delta)^2 / sum(delta^2)``, where ``delta`` are the
        eigenvalues of the generalised design effect matrix (Rao and Scott
        1984; R's ``svychisq``).
        """
        data = self.data
        keep = data[row].notna().to_numpy() & data[col].notna().to_numpy()
        rows, cols = sorted(data.loc[keep, row].unique()), sorted(data.loc[keep, col].unique())
        nr, nc = len(rows), len(cols)
        w = self.w * keep
        cell = pd.MultiIndex.from_arrays([data[row], data[col]])
        cells = [(a, b) for a in rows for b in cols]
        ind = np.column_stack([(cell == c) & keep for c in cells]).astype(float)
        p, V = self._ratios(ind, np.ones(len(data)), keep)
        n = int(keep.sum())
        table = tidy(pd.DataFrame({row: [c[0] for c in cells], col: [c[1] for c in cells],
                                   "quantity": [f"{row}={a}, {col}={b}" for a, b in cells], "estimate": p,
                                   "se": np.sqrt(np.diag(V)), "n": n, "method": "cell share",
                                   "population": p * w.sum()}), (row, col))
        # Pearson X^2 on the table scaled to the sample size
        P = p.reshape(nr, nc)
        expected = np.outer(P.sum(axis=1), P.sum(axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            x2 = n * np.nansum((P - expected) ** 2 / expected)
        # contrasts for interaction, orthogonal to the main effects (R: qr.resid)
        grid_r, grid_c = np.repeat(np.arange(nr), nc), np.tile(np.arange(nc), nr)
        main = np.column_stack([np.ones(nr * nc)] + [(grid_r == i).astype(float) for i in range(1, nr)]
                               + [(grid_c == j).astype(float) for j in range(1, nc)])
        inter = np.column_stack([((grid_r == i) & (grid_c == j)).astype(float) for i in range(1, nr)
                                 for j in range(1, nc)])
        C = inter - main @ np.linalg.lstsq(main, inter, rcond=None)[0]
        inv_d = np.diag(np.where(p > 0, 1 / np.where(p > 0, p, 1), 0.0))
        denom = C.T @ (inv_d / n) @ C
        numer = C.T @ inv_d @ V @ inv_d @ C
        delta = np.linalg.solve(denom, numer)
        tr, tr2 = np.trace(delta), np.trace(delta @ delta)
        d0 = tr ** 2 / tr2
        df_design = max(self.degrees_of_freedom(), 1)
        k = (nr - 1) * (nc - 1)
        first = x2 / (tr / k)
        second = x2 / tr
        tests = pd.DataFrame([
            {"test": "pearson_unadjusted", "statistic": x2, "df1": k, "df2": np.nan,
             "p_value": stats.chi2.sf(x2, k)},
            {"test": "rao_scott_first_order", "statistic": first, "df1": k, "df2": np.nan,
             "p_value": stats.chi2.sf(first, k)},
            {"test": "rao_scott_second_order_F", "statistic": second, "df1": d0, "df2": d0 * df_design,
             "p_value": stats.f.sf(second, d0, d0 * df_design)},
        ])
        return Estimate(table, groups=(row, col), details={"tests": tests})


def _stability(cv: float, df: int) -> dict:
    """The ``denominator_cv`` and ``unstable`` columns of a row (see :data:`UNSTABLE_CV`)."""
    limit = UNSTABLE_CV if df >= FEW_DF else UNSTABLE_CV / 2
    return {"denominator_cv": cv, "unstable": bool(np.isfinite(cv) and cv > limit)}
