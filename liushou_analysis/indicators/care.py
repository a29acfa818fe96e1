"""Care arrangements of one term, ready for the term notebook (01).

Households are surveyed once a school year (semester 1), so a term uses
the latest survey at or before it (:func:`survey_term`). Every pupil
enrolled in the term is a row of :func:`term_frame`, surveyed or not.

Confidence intervals are design-based (:class:`~liushou_analysis.statistics.survey.SurveyDesign`):
strata are schools and clusters are classes. The survey is a census of
the classes, so the interval describes how far the share could move with
another draw of pupils from the same classes, not sampling from the county.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.indicators import routines
from liushou_analysis.indicators import status as lb_status
from liushou_analysis.core.codebook import preferred_label
from liushou_analysis.report.disclosure import MIN_CELL, suppress_small_groups, suppression_mask
from liushou_analysis.core.errors import UserError
from liushou_analysis.scoring.contract import read_clean
from liushou_analysis.statistics.survey import SurveyDesign

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
    out["paired_caring_mother"] = _paired_with(clean_dir, term, out.pupil_key, "caring_mother")
    out["surveyed"] = out.pupil_key.isin(hh.pupil_key)
    out["survey_term"] = used
    out.attrs["survey_term"] = used
    return out.reset_index(drop=True)


def _paired_with(clean_dir: Path, term: str, pupils: pd.Series, role: str) -> pd.Series:
    """Whether each pupil has a helper of ``role`` this school year, by
    ``term`` (missing when the dataset has no pairings table)."""
    if not (Path(clean_dir) / "pairings.parquet").exists():
        return pd.Series(pd.NA, index=pupils.index, dtype="boolean")
    pr = read_clean(clean_dir, ["pairings"])["pairings"]
    this_year = pr[(pr.term.str[:9] == term[:9]) & (pr.term <= term) & (pr.helper_role == role)]
    return pupils.isin(this_year.pupil_key).astype("boolean")


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
    fewer than ``k`` pupils (:mod:`~liushou_analysis.report.disclosure`)."""
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
    """The figures the source documents quote (docs/domain.md section 2),
    one row per figure: the quote, the definition the source states (or
    ``not_stated``), whom the share is of, the indicator, the stated share and
    counts, and the breakdown (``split``) it belongs to. ``reference_pct`` is
    the share the comparison uses: the stated one, else counts' share."""
    f = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "reference_figures.csv", comment="#",
                    dtype={"reference_pct": str})
    f["stated_pct"] = pd.to_numeric(f.reference_pct)
    f["stated_decimals"] = f.reference_pct.str.partition(".")[2].str.len().fillna(0).astype(int)
    f["counts_pct"] = 100 * f["count"] / f["of"]
    f["reference_pct"] = f.stated_pct.fillna(f.counts_pct.round(1))
    return f


def reference_arithmetic(figures: pd.DataFrame | None = None) -> pd.DataFrame:
    """The documents' own arithmetic, checked: each stated share against the
    counts it comes with (to the precision it is stated in), each breakdown's
    shares against 100%, and a care breakdown that adds up to 100% with no
    care by a parent at home although the same source has children with one
    parent at home. One row per check; ``consistent`` False shows a figure
    the documents contradict."""
    f = reference_figures() if figures is None else figures
    rows = []
    both = f[f.stated_pct.notna() & f.counts_pct.notna()]
    for r in both.itertuples(index=False):
        tolerance = 0.5 * 10.0 ** -r.stated_decimals + 1e-9
        rows.append({"check": "share against counts", "figures": r.figure, "source": r.source,
                     "stated": f"{r.reference_pct}%" if pd.isna(r.stated_pct) else f"{r.stated_pct:g}%",
                     "computed": f"{r.count:g} / {r.of:g} = {r.counts_pct:.1f}%",
                     "consistent": bool(abs(r.counts_pct - r.stated_pct) <= tolerance)})
    for split, g in f.dropna(subset=["split"]).groupby("split", sort=False):
        total = g.stated_pct.sum()
        rows.append({"check": "a breakdown adds up to 100%", "figures": ", ".join(g.figure), "source": g.source.iloc[0],
                     "stated": " + ".join(f"{v:g}%" for v in g.stated_pct), "computed": f"{total:g}%",
                     "consistent": bool(abs(total - 100) < 0.05)})
        away = f[(f.source == g.source.iloc[0]) & (f.indicator == "all_parents_away") & f.stated_pct.notna()]
        if (g.population == "both_away").all() and len(away) and abs(total - 100) < 0.05:
            one = 100 - away.stated_pct.iloc[0]
            rows.append({"check": "care by a parent at home", "figures": ", ".join(g.figure),
                         "source": g.source.iloc[0], "stated": f"{total:g}% of all left-behind children, none cared "
                         "for by a parent", "computed": f"{one:g}% have one parent at home",
                         "consistent": False})
    return pd.DataFrame(rows, columns=["check", "figures", "source", "stated", "computed", "consistent"])


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
                         "estimate_pct": np.nan, "ci_low_pct": np.nan, "ci_high_pct": np.nan})
            continue
        for d in defs:
            flag = frame[d].astype("boolean")
            if r.population == "pupils":
                base = frame[flag.notna()]
            else:
                keep = flag.fillna(False).astype(bool)
                if r.population == "both_away":
                    keep &= frame.all_parents_away.astype("boolean").fillna(False).astype(bool)
                base = frame[keep]
            if r.indicator == "left_behind":
                y = base[d].astype("Float64")
            elif r.indicator in frame.columns:
                y = base[r.indicator].astype("Float64")
            else:
                y = base.care_arrangement.isin(r.indicator.split("+")).astype("Float64").where(
                    base.care_arrangement.notna())
            base = base.assign(_y=y.astype(float)).dropna(subset=["_y"])
            est = _design(base).mean("_y").iloc[0] if len(base) else None
            rows.append({**r._asdict(), "compared_under": d, "n": len(base),
                         **{f"{c}_pct": (100 * est[c] if est is not None else np.nan)
                            for c in ("estimate", "ci_low", "ci_high")}})
    out = pd.DataFrame(rows)
    inside = (out.reference_pct >= out.ci_low_pct) & (out.reference_pct <= out.ci_high_pct)
    out["reference_inside_ci"] = inside.astype("boolean").where(out.estimate_pct.notna() & out.ci_low_pct.notna())
    return out.drop(columns=["stated_decimals"])


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
    from liushou_analysis.statistics.pairing import from_clean as pairing_panel, term_index

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
