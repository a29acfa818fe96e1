"""Pairing that starts in different terms: group-time effects, after Callaway and Sant'Anna (2021).

A two-period difference-in-differences with pupils paired at different times compares pupils already paired
with pupils newly paired, which is biased when the effect grows with time since pairing. Callaway and
Sant'Anna ("Difference-in-Differences with multiple time periods", Journal of Econometrics 225(2), 2021)
estimate one effect per cohort and period instead and then average them with weights chosen on purpose:

* **ATT(g, t)**, the effect in period ``t`` on the pupils first paired in period ``g``: the mean change of
  their outcome from the period before pairing (``g - 1``) to ``t``, less the mean change of the comparison
  pupils over the same periods. Comparison pupils are the never paired (``control="never"``) or those not
  yet paired by ``t`` (``control="notyet"``). Before pairing (``t < g``) the change is from ``t - 1`` to
  ``t``: these are placebo effects, near zero when trends were parallel.
* Aggregations (``details``): the **event study** (effects by periods since pairing, ``e = t - g``, the
  cohorts weighted by their size), the **effect by cohort** and the **overall** effect (the cohorts'
  average effects weighted by size), and the **simple** average of every post-pairing ATT(g, t).

Standard errors come from each estimate's influence function, summed within ``cluster`` (class or school)
when given; the aggregations' influence functions include the estimated weights. The event study's
simultaneous 95% band uses a multiplier bootstrap of the influence functions (Mammen weights drawn per
cluster, ``reps`` draws, fixed ``seed``): the band covers every period since pairing at once.

No covariates: parallel trends are assumed unconditionally within the data given (compare within a school
by passing one school's pupils, or difference out school trends first). The panel may be unbalanced: each
ATT(g, t) uses the pupils observed at both of its periods. Pupils paired in the first period of the data
have no period before pairing: they are left out and counted (``details["no_baseline"]``).

Checked against the diff-diff package's CallawaySantAnna (an independent implementation) and against group
means computed by hand (tests/test_staggered.py), and for bias and coverage on planted effects that grow with
time since pairing (``make validate``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from liushou_analysis.core.errors import UserError
from liushou_analysis.statistics.estimate import Estimate, tidy

CONTROLS = {"never": "never paired", "notyet": "never or not yet paired"}


def staggered_did(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str,
                  cluster: str | None = None, control: str = "never", alpha: float = 0.05, reps: int = 999,
                  seed: int = 0) -> Estimate:
    """Group-time average effects ATT(g, t) and their aggregations (see the module docstring).

    ``data``: one row per unit (pupil) and period; ``time`` holds consecutive integer periods (terms numbered
    1, 2, 3 ...); ``first_treated`` the first paired period, 0 or missing for a pupil never paired (a pupil
    first paired after the last period counts as never paired); ``cluster`` a column constant within a
    pupil (class or school) for clustered standard errors.

    Returns an :class:`Estimate` whose table has a row per ATT(g, t): ``group`` (the cohort g), ``time``,
    ``event_time`` (t - g), ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``n`` (pupils of the
    cohort in the comparison) and ``n_control``. ``details`` holds the aggregations as tables in the same
    columns: ``event_study`` (with ``band_low`` and ``band_high``, the simultaneous band), ``by_group``,
    ``overall`` and ``simple``; and ``no_baseline`` (cohorts paired in the first period, with their sizes),
    ``clusters``, ``critical_value`` (of the band) and ``control``.
    """
    if control not in CONTROLS:
        raise UserError(f"control must be one of {sorted(CONTROLS)}, not {control!r}")
    y, g_of, cluster_of, periods, units = _panel(data, outcome, unit, time, first_treated, cluster)
    n = len(units)
    first = periods[0]
    never = (g_of == 0) | (g_of > periods[-1])
    g_of = np.where(never, 0, g_of)
    cohorts = sorted(int(g) for g in np.unique(g_of[g_of > first]))
    early = sorted(int(g) for g in np.unique(g_of[(g_of > 0) & (g_of <= first)]))
    no_baseline = pd.DataFrame({"group": early, "n": [int((g_of == g).sum()) for g in early]})
    cells, columns = [], []
    for g in cohorts:
        for t in periods[1:]:
            base = g - 1 if t >= g else t - 1
            treated = g_of == g
            comparison = never if control == "never" else never | ((g_of > max(t, base)) & (g_of != g))
            change = y[:, t - first] - y[:, base - first]
            seen = ~np.isnan(change)
            tr, co = treated & seen, comparison & seen
            n1, n0 = int(tr.sum()), int(co.sum())
            row = {"group": g, "time": t, "event_time": t - g, "n": n1, "n_control": n0}
            if n1 == 0 or n0 == 0:
                cells.append({**row, "estimate": np.nan})
                columns.append(np.zeros(n))
                continue
            m1, m0 = change[tr].mean(), change[co].mean()
            influence = n * (np.where(tr, change - m1, 0.0) / n1 - np.where(co, change - m0, 0.0) / n0)
            cells.append({**row, "estimate": m1 - m0})
            columns.append(influence)
    if not cells:
        raise UserError(f"no cohort has a period before its pairing: every paired {unit} was first paired in the "
                        f"first period of the data ({first}) or none was paired, so no group-time effect can be "
                        "estimated.")
    att = pd.DataFrame(cells)
    psi = np.column_stack(columns)  # n units x cells
    share = np.array([(g_of == g).mean() for g in att.group])  # each cell's cohort share of all units
    aggregations = _aggregations(att, psi, share, g_of)
    sums = _cluster_sums(psi, cluster_of, [a[1] for a in aggregations.values()])
    z = stats.norm.ppf(1 - alpha / 2)
    clustered = cluster is not None
    table = _finish(att, sums[0], n, z, "ATT(g,t)", clustered)
    details = {"control": CONTROLS[control], "no_baseline": no_baseline,
               "clusters": int(len(np.unique(cluster_of)))}
    for (name, (frame, _)), s in zip(aggregations.items(), sums[1:], strict=True):
        details[name] = _finish(frame, s, n, z, name, clustered)
    study = details["event_study"]
    details["critical_value"] = crit = _sup_t(sums[1 + list(aggregations).index("event_study")],
                                              study.se.to_numpy() * n, alpha, reps, seed, clustered)
    study["band_low"] = study.estimate - crit * study.se
    study["band_high"] = study.estimate + crit * study.se
    return Estimate(tidy(table, groups=("group", "time")), details=details, groups=("group", "time"),
                    counts=("n", "n_control"))


def _panel(data, outcome, unit, time, first_treated, cluster):
    """The outcome as a units x periods matrix, each unit's cohort and cluster code, the periods, the units."""
    missing = [c for c in (outcome, unit, time, first_treated, cluster) if c and c not in data.columns]
    if missing:
        raise UserError(f"staggered_did: the data have no column {missing[0]!r}.")
    d = data[[c for c in dict.fromkeys((unit, time, outcome, first_treated, cluster)) if c]].copy()
    times = pd.to_numeric(d[time], errors="coerce")
    if times.isna().any() or (times != times.round()).any():
        raise UserError(f"staggered_did: {time!r} must hold whole-number periods (terms numbered 1, 2, 3 ...).")
    periods = np.arange(int(times.min()), int(times.max()) + 1)
    if not np.isin(periods, times.unique()).all():
        raise UserError(f"staggered_did: the periods in {time!r} must be consecutive; "
                        f"{sorted(set(periods) - set(times.astype(int)))} are missing.")
    d[time] = times.astype(int)
    if d.duplicated([unit, time]).any():
        raise UserError(f"staggered_did: a {unit} has two rows in one period; give one row per {unit} and period.")
    per_unit = d.groupby(unit, sort=True)
    g = pd.to_numeric(d[first_treated], errors="coerce").fillna(0)
    if (g.groupby(d[unit]).nunique() > 1).any():
        raise UserError(f"staggered_did: {first_treated!r} must be the same in every row of a {unit}.")
    y = d.pivot(index=unit, columns=time, values=outcome).reindex(columns=periods).astype(float)
    units = y.index
    g_of = g.groupby(d[unit]).first().reindex(units).to_numpy(dtype=float)
    if cluster:
        if (per_unit[cluster].nunique() > 1).any():
            raise UserError(f"staggered_did: the cluster {cluster!r} must be the same in every row of a {unit}.")
        cluster_of = pd.factorize(per_unit[cluster].first().reindex(units))[0]
    else:
        cluster_of = np.arange(len(units))
    return y.to_numpy(), g_of, cluster_of, periods, units


def _weights_influence(keep: np.ndarray, share: np.ndarray, g_of: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Influence function of the weights share_k / sum(share) over the kept cells (units x kept cells): the
    weights are estimated cohort shares, and their noise belongs in the aggregate's standard error."""
    p = share[keep]
    indicator = (g_of[:, None] == groups[keep][None, :]).astype(float) - p[None, :]
    return indicator / p.sum() - indicator.sum(axis=1, keepdims=True) * (p / p.sum() ** 2)[None, :]


def _aggregate(att: np.ndarray, psi: np.ndarray, keep: np.ndarray, share: np.ndarray, g_of: np.ndarray,
               groups: np.ndarray, with_weights: bool = True) -> tuple[float, np.ndarray]:
    """The share-weighted average of the kept ATT(g, t) and its influence function."""
    w = share[keep] / share[keep].sum()
    influence = psi[:, keep] @ w
    if with_weights:
        influence = influence + _weights_influence(keep, share, g_of, groups) @ att[keep]
    return float(att[keep] @ w), influence


def _aggregations(att: pd.DataFrame, psi: np.ndarray, share: np.ndarray, g_of: np.ndarray) -> dict:
    """Event study, effect by cohort, overall and simple: (table rows, influence functions) for each."""
    ok = att.estimate.notna().to_numpy()
    est = att.estimate.fillna(0).to_numpy()
    groups = att.group.to_numpy()
    post = (att.event_time >= 0).to_numpy() & ok
    out = {}
    rows, infl = [], []
    for e in sorted(att.event_time[ok].unique()):
        keep = (att.event_time == e).to_numpy() & ok
        value, f = _aggregate(est, psi, keep, share, g_of, groups)
        rows.append({"event_time": int(e), "estimate": value, "n": int(att.n[keep].sum())})
        infl.append(f)
    out["event_study"] = (pd.DataFrame(rows), np.column_stack(infl))
    rows, infl, cohort_values, cohort_influence = [], [], [], []
    for g in sorted(set(groups[post])):
        keep = post & (groups == g)
        value, f = _aggregate(est, psi, keep, share, g_of, groups, with_weights=False)
        rows.append({"group": int(g), "estimate": value, "n": int(att.n[keep].max())})
        infl.append(f)
        cohort_values.append(value)
        cohort_influence.append(f)
    out["by_group"] = (pd.DataFrame(rows), np.column_stack(infl) if infl else np.zeros((len(g_of), 0)))
    cohorts = np.array(sorted(set(groups[post])))
    if len(cohorts):
        cohort_share = np.array([(g_of == g).mean() for g in cohorts])
        value, f = _aggregate(np.array(cohort_values), np.column_stack(cohort_influence),
                              np.ones(len(cohorts), dtype=bool), cohort_share, g_of, cohorts)
        out["overall"] = (pd.DataFrame([{"estimate": value, "n": int(sum(r["n"] for r in rows))}]), f[:, None])
        value, f = _aggregate(est, psi, post, share, g_of, groups)
        out["simple"] = (pd.DataFrame([{"estimate": value, "n": int(sum(r["n"] for r in rows))}]), f[:, None])
    else:
        empty = (pd.DataFrame([{"estimate": np.nan, "n": 0}]), np.zeros((len(g_of), 1)))
        out["overall"] = out["simple"] = empty
    return out


def _cluster_sums(psi: np.ndarray, cluster_of: np.ndarray, more: list[np.ndarray]) -> list[np.ndarray]:
    """Each influence-function matrix summed within clusters (clusters x columns)."""
    k = cluster_of.max() + 1
    out = []
    for m in [psi, *more]:
        s = np.zeros((k, m.shape[1]))
        np.add.at(s, cluster_of, m)
        out.append(s)
    return out


def _correction(clusters: int, clustered: bool) -> float:
    """The small-sample factor G / (G - 1) of clustered standard errors (1 when each pupil is their own
    cluster, as in Callaway and Sant'Anna's analytic standard errors)."""
    return clusters / (clusters - 1) if clustered and clusters > 1 else 1.0


def _finish(frame: pd.DataFrame, sums: np.ndarray, n: int, z: float, quantity: str,
            clustered: bool) -> pd.DataFrame:
    """Standard errors (clustered influence functions), normal intervals and p-values."""
    frame = frame.copy()
    correction = _correction(len(sums), clustered)
    se = np.sqrt((sums ** 2).sum(axis=0) * correction) / n
    se = np.where(frame.estimate.notna().to_numpy(), se, np.nan)
    frame["quantity"] = quantity
    frame["se"] = se
    # clustered: Student t with G - 1 degrees of freedom (few classes or schools); else normal
    df = len(sums) - 1 if clustered and len(sums) > 1 else np.inf
    crit = stats.t.ppf(1 - (1 - stats.norm.cdf(z)), df) if np.isfinite(df) else z
    frame["ci_low"] = frame.estimate - crit * frame.se
    frame["ci_high"] = frame.estimate + crit * frame.se
    frame["df"] = df if np.isfinite(df) else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["p_value"] = 2 * (stats.t.sf(np.abs(frame.estimate / frame.se), df) if np.isfinite(df)
                                else stats.norm.sf(np.abs(frame.estimate / frame.se)))
    frame["method"] = "Callaway-Sant'Anna group-time DiD"
    return frame


def _sup_t(sums: np.ndarray, scale: np.ndarray, alpha: float, reps: int, seed: int, clustered: bool) -> float:
    """The multiplier bootstrap's critical value for a band over every column at once (sup-t): Mammen
    weights per cluster, ``reps`` draws."""
    ok = scale > 0
    if not ok.any() or reps < 1:
        return float(stats.norm.ppf(1 - alpha / 2))
    rng = np.random.default_rng(seed)
    root5 = np.sqrt(5)
    low = (1 - root5) / 2
    draws = np.where(rng.random((reps, len(sums))) < (root5 + 1) / (2 * root5), low, (1 + root5) / 2)
    correction = np.sqrt(_correction(len(sums), clustered))
    t = np.abs(draws @ sums[:, ok]) * correction / scale[ok]
    return float(np.quantile(t.max(axis=1), 1 - alpha))
