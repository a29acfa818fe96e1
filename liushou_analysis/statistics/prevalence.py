"""Prevalence: shares of pupils by left-behind definition and care arrangement, with design-based intervals.

Confidence intervals are design-based (:class:`~liushou_analysis.statistics.survey.SurveyDesign`):
strata are schools and clusters are classes. The survey is a census of
the classes, so the interval describes how far the share could move with
another draw of pupils from the same classes, not sampling from the county.
The input is :func:`liushou_analysis.indicators.care.term_frame`. Tables
carry their counts (``pupils``, ``left_behind``, ``n``) unsuppressed: the
report suppresses small cells across the whole page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou_analysis.core.flags import is_true
from liushou_analysis.indicators.care import CARE_ORDER, DEFINITION_LABELS, DEFINITIONS, care_label, reference_figures
from liushou_analysis.statistics.estimate import Estimate, tidy
from liushou_analysis.statistics.survey import SurveyDesign


def design(frame: pd.DataFrame) -> SurveyDesign:
    """The design of a term frame: schools are strata, classes are clusters."""
    return SurveyDesign(frame, strata="school", cluster="class_id", lonely_psu="adjust")


def definition_table(frame: pd.DataFrame) -> Estimate:
    """Left-behind counts and shares under each definition, side by side,
    with design-based 95% intervals (logit, design degrees of freedom) of the
    share among pupils whose answers decide it (``estimate``; ``n`` those
    pupils). Counts: ``pupils`` (enrolled), ``answered``, ``left_behind``."""
    rows = []
    for d in DEFINITIONS:
        flag = frame[d].astype("boolean")
        known = frame[flag.notna()].assign(_lb=flag[flag.notna()].astype(int))
        est = design(known).proportion("_lb").table if len(known) else pd.DataFrame()
        yes = est[est.quantity == "_lb=1"] if len(est) else est
        row = yes.iloc[0].to_dict() if len(yes) else {"estimate": 0.0, "n": len(known), "method": "no answers"}
        rows.append({**row, "definition": d, "label": DEFINITION_LABELS[d], "pupils": len(frame),
                     "answered": len(known), "left_behind": int(known._lb.sum()) if len(known) else 0,
                     "quantity": "left_behind"})
    return Estimate(tidy(rows, ("definition", "label")), groups=("definition", "label"),
                    counts=("n", "pupils", "answered", "left_behind"))


def care_shares(frame: pd.DataFrame, definition: str, by: str | None = None) -> Estimate:
    """Care arrangement shares among the left-behind under ``definition``
    (overall, or per ``by``: "school" or "grade"), with design-based 95%
    intervals (logit, design degrees of freedom). One row per domain and
    care arrangement, every arrangement listed in each domain (share 0 where
    none); ``pupils`` is the cell's count, for the report's suppression."""
    groups = ("domain", "care", "care_label")
    lb = frame[is_true(frame[definition]) & frame.care_arrangement.notna()]
    if lb.empty:
        return Estimate(tidy(pd.DataFrame(columns=[*groups, "pupils"]), groups), groups=groups,
                        counts=("n", "pupils"))
    est = design(lb).proportion("care_arrangement", by=by).table
    est["care"] = est.quantity.str.split("=", n=1).str[1]
    est["domain"] = est[by].astype(str) if by else "全部 all"
    counts = lb.assign(domain=lb[by].astype(str) if by else "全部 all").pivot_table(
        index="domain", columns="care_arrangement", values="pupil_key", aggfunc="count", fill_value=0)
    long = counts.stack().rename("pupils").reset_index().rename(columns={"care_arrangement": "care"})
    out = long.merge(est.drop(columns=[by] if by else []), on=["domain", "care"], how="left")
    out = out.fillna({"estimate": 0.0}).assign(quantity="care_arrangement=" + out.care)
    out["pupils"] = out.pupils.astype("Int64")
    out["care_label"] = out.care.map(care_label)
    order = {c: i for i, c in enumerate(CARE_ORDER)}
    out = out.sort_values(["domain", "care"], key=lambda s: s.map(order) if s.name == "care" else s)
    return Estimate(tidy(out.reset_index(drop=True), groups), groups=groups, counts=("n", "pupils"))


def compare_with_reference(frame: pd.DataFrame) -> pd.DataFrame:
    """Each reference figure beside this term's estimate: the share of the
    figure's ``indicator`` (a status column of :func:`term_frame`, or care
    arrangement codes joined by +) among its ``population`` (pupils whose
    answers decide it, the left-behind, or the left-behind with no parent at
    home), under the definition the source states, or under every definition
    when it states none; with the design-based 95% interval and whether the
    reference lies inside it (missing where nothing is estimated). A figure
    that is a count, not a share, is listed without an estimate."""
    rows = []
    for r in reference_figures().itertuples(index=False):
        defs = DEFINITIONS if r.definition == "not_stated" else (r.definition,)
        if pd.isna(r.indicator):
            rows.append({**r._asdict(), "compared_under": "", "n": 0,
                         "estimate_pct": np.nan, "ci_low_pct": np.nan, "ci_high_pct": np.nan, "df": np.nan,
                         "unstable": False})
            continue
        for d in defs:
            flag = frame[d].astype("boolean")
            if r.population == "pupils":
                base = frame[flag.notna()]
            else:
                keep = is_true(flag)
                if r.population == "both_away":
                    keep &= is_true(frame.all_parents_away)
                base = frame[keep]
            if r.indicator == "left_behind":
                y = base[d].astype("Float64")
            elif r.indicator in frame.columns:
                y = base[r.indicator].astype("Float64")
            else:
                y = base.care_arrangement.isin(r.indicator.split("+")).astype("Float64").where(
                    base.care_arrangement.notna())
            base = base.assign(_y=y.astype(float)).dropna(subset=["_y"])
            est = design(base).mean("_y").row() if len(base) else None
            rows.append({**r._asdict(), "compared_under": d, "n": len(base),
                         **{f"{c}_pct": (100 * est[c] if est is not None else np.nan)
                            for c in ("estimate", "ci_low", "ci_high")},
                         "df": est.df if est is not None else np.nan,
                         "unstable": bool(est.unstable) if est is not None else False})
    out = pd.DataFrame(rows)
    inside = (out.reference_pct >= out.ci_low_pct) & (out.reference_pct <= out.ci_high_pct)
    out["reference_inside_ci"] = inside.astype("boolean").where(out.estimate_pct.notna() & out.ci_low_pct.notna()
                                                                & ~out.unstable)
    return out.drop(columns=["stated_decimals"])


def scores_by_care(frame: pd.DataFrame, percentiles: pd.DataFrame) -> Estimate:
    """Mean grade percentile this term by care arrangement (all pupils, so
    children living with their parents are the comparison), with
    design-based 95% intervals. ``percentiles``: ``pupil_key`` and
    ``percentile`` of this term's exam. Descriptive only: care arrangements
    differ in family income, age and much else, so a gap is not an effect of
    care. ``n`` (pupils with both) is the count."""
    groups = ("care", "care_label")
    d = frame.merge(percentiles[["pupil_key", "percentile"]], on="pupil_key").dropna(
        subset=["percentile", "care_arrangement"])
    if d.empty:
        return Estimate(tidy(pd.DataFrame(columns=list(groups)), groups), groups=groups)
    est = design(d).mean("percentile", by="care_arrangement").table
    est = est.rename(columns={"care_arrangement": "care"}).assign(care_label=lambda x: x.care.map(care_label))
    return Estimate(tidy(est, groups), groups=groups)
