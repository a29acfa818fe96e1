"""Care arrangements of one term, ready for the term notebook (01).

Households are surveyed once a school year (semester 1), so a term uses
the latest survey at or before it (:func:`survey_term`). Every pupil
enrolled in the term is a row of :func:`term_frame`, surveyed or not.

Confidence intervals are design-based (:class:`~liushou_analysis.survey.SurveyDesign`):
strata are schools and clusters are classes. The survey is a census of
the classes, so the interval describes how far the share could move with
another draw of pupils from the same classes, not sampling from the county.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import routines
from . import status as lb_status
from .codebook import preferred_label
from .disclosure import MIN_CELL, suppress_small_groups, suppression_mask
from .errors import UserError
from .scoring_io import read_clean
from .survey import SurveyDesign

DEFINITIONS = lb_status.DEFINITIONS
DEFINITION_LABELS = {
    "strict_both_3m": "父母双方外出3个月以上 (both parents away 3+ months)",
    "either_parent": "父母一方或双方外出 (either parent away)",
    "official_2016": "2016年国务院定义 (State Council 2016)",
}
CARE_ORDER = ["grandparents", "one_parent", "relatives", "teacher_school", "none_self", "single_parent_orphan",
              "parents"]


def survey_term(term: str, survey_terms) -> str | None:
    """The latest household survey term at or before ``term`` (term ids sort in time order)."""
    earlier = sorted(t for t in set(survey_terms) if t <= term)
    return earlier[-1] if earlier else None


def term_frame(clean_dir: Path, term: str) -> pd.DataFrame:
    """One row per pupil enrolled in ``term``: school, grade, class, the
    household survey term used, left-behind status under each definition,
    care arrangement and guardian characteristics (missing where the pupil
    has no survey record)."""
    t = read_clean(clean_dir, ["enrolment", "households", "pupils"])
    enrolled = t["enrolment"][t["enrolment"].term == term]
    if enrolled.empty:
        raise UserError(f"{clean_dir}: no pupil is enrolled in term {term}; the clean tables hold "
                        f"{', '.join(sorted(t['enrolment'].term.unique()))}.")
    enrolled = enrolled.drop_duplicates("pupil_key")[["pupil_key", "school", "grade", "class_id"]]
    hh = t["households"]
    used = survey_term(term, hh.term)
    hh = hh[hh.term == used].drop_duplicates("pupil_key") if used else hh.iloc[0:0]
    status = lb_status.left_behind_status(hh, t["pupils"]).drop(columns=["school", "term"])
    status["all_parents_away"] = lb_status.strict_both_3m(hh, min_months=None)
    care = lb_status.care_arrangement(hh)
    guardian = lb_status.guardian_characteristics(hh)
    survey = pd.concat([status, care, guardian], axis=1)
    out = enrolled.merge(survey, on="pupil_key", how="left")
    out["surveyed"] = out.pupil_key.isin(hh.pupil_key)
    out["survey_term"] = used
    out.attrs["survey_term"] = used
    return out.reset_index(drop=True)


def _design(frame: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(frame, strata="school", cluster="class_id", lonely_psu="adjust")


def definition_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Left-behind counts and shares under each definition, side by side,
    with design-based 95% intervals (logit) of the share among pupils whose
    answers decide it."""
    rows = []
    for d in DEFINITIONS:
        flag = frame[d].astype("boolean")
        known = frame[flag.notna()].assign(_lb=flag[flag.notna()].astype(int))
        est = _design(known).proportion("_lb") if len(known) else pd.DataFrame()
        yes = est[est.term == "_lb=1"] if len(est) else est
        rows.append({"definition": d, "label": DEFINITION_LABELS[d], "pupils": len(frame),
                     "answered": len(known), "left_behind": int(known._lb.sum()) if len(known) else 0,
                     "share": yes.estimate.iloc[0] if len(yes) else 0.0,
                     "ci_low": yes.ci_low.iloc[0] if len(yes) else np.nan,
                     "ci_high": yes.ci_high.iloc[0] if len(yes) else np.nan})
    return pd.DataFrame(rows)


def care_shares(frame: pd.DataFrame, definition: str, by: str | None = None, k: int = MIN_CELL) -> pd.DataFrame:
    """Care arrangement shares among the left-behind under ``definition``
    (overall, or per ``by``: "school" or "grade"), with design-based 95%
    intervals. Published: the pupils per cell (``pupils``) and the share are
    suppressed (missing) where the cell, or a cell needed to protect it, has
    fewer than ``k`` pupils (:mod:`~liushou_analysis.disclosure`)."""
    lb = frame[frame[definition].astype("boolean").fillna(False).astype(bool) & frame.care_arrangement.notna()]
    if lb.empty:
        return pd.DataFrame(columns=["domain", "care", "care_label", "pupils", "share", "ci_low", "ci_high"])
    est = _design(lb).proportion("care_arrangement", by=by)
    est["care"] = est.term.str.split("=", n=1).str[1]
    est["domain"] = est[by].astype(str) if by else "全部 all"
    counts = lb.assign(domain=lb[by].astype(str) if by else "全部 all").pivot_table(
        index="domain", columns="care_arrangement", values="pupil_key", aggfunc="count", fill_value=0)
    hidden = suppression_mask(counts, k).drop(index="合计 total", columns="合计 total")
    long = counts.stack().rename("pupils").reset_index().rename(columns={"care_arrangement": "care"})
    long["suppressed"] = hidden.stack().to_numpy()
    out = long.merge(est[["domain", "care", "estimate", "ci_low", "ci_high"]], on=["domain", "care"], how="left")
    out = out.rename(columns={"estimate": "share"}).fillna({"share": 0.0})
    out["pupils"] = out.pupils.astype("Int64").mask(out.suppressed)
    for col in ("share", "ci_low", "ci_high"):
        out[col] = out[col].astype(float).mask(out.suppressed)
    out["care_label"] = out.care.map(_care_label)
    order = {c: i for i, c in enumerate(CARE_ORDER)}
    out = out.sort_values(["domain", "care"], key=lambda s: s.map(order) if s.name == "care" else s)
    return out[["domain", "care", "care_label", "pupils", "share", "ci_low", "ci_high", "suppressed"]].reset_index(
        drop=True)


def _care_label(code: str) -> str:
    try:
        return f"{preferred_label('care_type', code)} ({code})"
    except (KeyError, ValueError):
        return code


def reference_figures() -> pd.DataFrame:
    """The reference figures quoted in the seeds (docs/domain.md section 2), each
    with the definition it is compared under and what it measures."""
    return pd.read_csv(Path(__file__).with_name("data") / "reference_figures.csv")


def compare_with_reference(frame: pd.DataFrame) -> pd.DataFrame:
    """Each reference figure beside this term's estimate under the matching
    definition: the share of ``indicator`` (a status column of
    :func:`term_frame` or a care arrangement code) among ``population``
    (all pupils whose answers decide it, or the left-behind), with its
    design-based 95% interval and whether the reference lies inside it."""
    rows = []
    for r in reference_figures().itertuples(index=False):
        flag = frame[r.definition].astype("boolean")
        base = frame[flag.notna()] if r.population == "pupils" else frame[flag.fillna(False).astype(bool)]
        if r.indicator in frame.columns:
            y = base[r.indicator].astype("Float64")
        else:
            y = (base.care_arrangement == r.indicator).astype("Float64").where(base.care_arrangement.notna())
        base = base.assign(_y=y.astype(float)).dropna(subset=["_y"])
        est = _design(base).mean("_y").iloc[0] if len(base) else None
        rows.append({**r._asdict(), "n": len(base),
                     **{f"{c}_pct": (100 * est[c] if est is not None else np.nan)
                        for c in ("estimate", "ci_low", "ci_high")}})
    out = pd.DataFrame(rows)
    out["reference_inside_ci"] = (out.reference_pct >= out.ci_low_pct) & (out.reference_pct <= out.ci_high_pct)
    return out


def routine_summary(clean_dir: Path, term: str, frame: pd.DataFrame, definition: str,
                    k: int = MIN_CELL) -> dict[str, pd.DataFrame]:
    """Delivery of the contact routines and the archive, per school, for the
    pupils left behind under ``definition`` this term.

    ``five_ones``: share of left-behind pupils meeting each "五个一"
    component (001 篇5) and the mean share met; ``three_ones``: the same for
    paired pupils' proxy parents' "三个一" (002); ``archive``: archive rate
    and the share whose archive holds all "five things known" (from the
    archive of the household survey term). Groups under ``k`` pupils are
    suppressed.
    """
    t = read_clean(clean_dir, ["contacts", "pairings", "archive"])
    lb = frame[frame[definition].astype("boolean").fillna(False).astype(bool)][["pupil_key", "school"]]
    contacts = t["contacts"][t["contacts"].term <= term]
    contacts = contacts[contacts.term.str[:9] == term[:9]]  # the school year so far (parents' yearly visit)
    five = routines.five_ones(contacts)
    five = lb.merge(five[five.term == term], on="pupil_key", how="left")
    cols = routines.FIVE_COMPONENTS + ["share_met"]
    five_by = five.groupby("school").agg(pupils=("pupil_key", "size"),
                                         **{c: (c, lambda s: s.astype("Float64").mean()) for c in cols}).reset_index()
    pairings = t["pairings"][t["pairings"].term == term]
    three = routines.three_ones(t["contacts"][t["contacts"].term == term], pairings)
    three = three.merge(frame[["pupil_key", "school"]], on="pupil_key")
    tcols = routines.THREE_COMPONENTS + ["share_met"]
    three_by = three.groupby("school").agg(pupils=("pupil_key", "size"),
                                           **{c: (c, lambda s: s.astype("Float64").mean()) for c in tcols}).reset_index()
    status = frame[["pupil_key", "school", *DEFINITIONS]].assign(term=frame.survey_term)
    archive = routines.archive_completeness(t["archive"], status, definition=definition)
    archive = archive.drop(columns=["term", "archived", "complete"])  # rates only: no small counts printed
    return {"five_ones": suppress_small_groups(five_by, "pupils", cols, k),
            "three_ones": suppress_small_groups(three_by, "pupils", tcols, k),
            "archive": suppress_small_groups(archive, "left_behind", ["archive_rate", "complete_rate"], k)}


def scores_by_care(clean_dir: Path, term: str, frame: pd.DataFrame, k: int = MIN_CELL) -> pd.DataFrame:
    """Mean grade percentile this term by care arrangement (all pupils, so
    children living with their parents are the comparison), with
    design-based 95% intervals. Descriptive only: care arrangements differ
    in family income, age and much else, so a gap is not an effect of care."""
    from .pairing import from_clean as pairing_panel, term_index

    panel = pairing_panel(clean_dir)
    ti = int(term_index(pd.Series([term])).iloc[0])
    pct = panel[panel.term_index == ti][["pupil", "pct"]].rename(columns={"pupil": "pupil_key"})
    d = frame.merge(pct, on="pupil_key").dropna(subset=["pct", "care_arrangement"])
    if d.empty:
        return pd.DataFrame(columns=["care", "care_label", "pupils", "mean_pct", "ci_low", "ci_high"])
    est = _design(d).mean("pct", by="care_arrangement")
    out = pd.DataFrame({"care": est.care_arrangement, "care_label": est.care_arrangement.map(_care_label),
                        "pupils": est.n, "mean_pct": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high})
    return suppress_small_groups(out, "pupils", ["mean_pct", "ci_low", "ci_high"], k)
