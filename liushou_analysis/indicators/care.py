"""Care arrangements of one term: one row per enrolled pupil (notebook 01's input).

Households are surveyed once a school year (semester 1), so a term uses
the latest survey at or before it (:func:`survey_term`). Every pupil
enrolled in the term is a row of :func:`term_frame`, surveyed or not. The
reference figures the documents give (``data/reference_figures.csv``) and
their own arithmetic are here too; the estimates with confidence intervals
are in :mod:`liushou_analysis.statistics.prevalence`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from liushou_analysis.core.codebook import preferred_label
from liushou_analysis.core.errors import UserError
from liushou_analysis.core.flags import is_true
from liushou_analysis.core.terms import Term, latest_at_or_before, school_years
from liushou_analysis.indicators import routines
from liushou_analysis.indicators import status as lb_status
from liushou_analysis.indicators.support import current_pairings

DEFINITIONS = lb_status.DEFINITIONS
DEFINITION_LABELS = {
    "strict_both_3m": "父母双方外出3个月以上 (both parents away 3+ months)",
    "either_parent": "父母一方或双方外出 (either parent away)",
    "official_2016": "2016年国务院定义 (State Council 2016)",
}
CARE_ORDER = ["grandparents", "one_parent", "relatives", "teacher_school", "none_self", "single_parent_orphan",
              "parents"]


def survey_term(term: str, survey_terms) -> str | None:
    """The latest household survey term at or before ``term``."""
    return latest_at_or_before(term, survey_terms)


def term_frame(enrolment: pd.DataFrame, households: pd.DataFrame, pupils: pd.DataFrame, term: str,
               pairings: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per pupil enrolled in ``term``: school, grade, class, the
    household survey term used, left-behind status under each definition,
    care arrangement and guardian characteristics (missing where the pupil
    has no survey record), and whether a caring mother is paired with the
    pupil this school year (missing without a pairings table). The clean
    tables of the same names are the inputs."""
    enrolled = enrolment[enrolment.term == term]
    if enrolled.empty:
        raise UserError(f"no pupil is enrolled in term {term}; the clean tables hold "
                        f"{', '.join(sorted(enrolment.term.unique()))}.")
    enrolled = enrolled.drop_duplicates("pupil_key")[["pupil_key", "school", "grade", "class_id"]]
    used = survey_term(term, households.term)
    hh = households[households.term == used].drop_duplicates("pupil_key") if used else households.iloc[0:0]
    status = lb_status.left_behind_status(hh, pupils).drop(columns=["school", "term"])
    status["all_parents_away"] = lb_status.strict_both_3m(hh, min_months=None)
    care = lb_status.care_arrangement(hh)
    guardian = lb_status.guardian_characteristics(hh)
    survey = pd.concat([status, care, guardian], axis=1)
    out = enrolled.merge(survey, on="pupil_key", how="left")
    out["paired_caring_mother"] = paired_with(pairings, term, out.pupil_key, "caring_mother")
    out["surveyed"] = out.pupil_key.isin(hh.pupil_key)
    out["survey_term"] = used
    return out.reset_index(drop=True)


def paired_with(pairings: pd.DataFrame | None, term: str, pupils: pd.Series, role: str) -> pd.Series:
    """Whether each pupil has a helper of ``role`` this school year, by
    ``term`` (missing when there is no pairings table)."""
    if pairings is None:
        return pd.Series(pd.NA, index=pupils.index, dtype="boolean")
    now = current_pairings(pairings, term)
    return pupils.isin(now.pupil_key[now.helper_role == role]).astype("boolean")


def care_label(code: str) -> str:
    """A care arrangement's Chinese label with its code, ``祖辈监护 (grandparents)``."""
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


def routine_tables(frame: pd.DataFrame, contacts: pd.DataFrame, pairings: pd.DataFrame, archive: pd.DataFrame,
                   term: str, definition: str) -> dict[str, pd.DataFrame]:
    """Delivery of the contact routines and the archive, per school, for the
    pupils left behind under ``definition`` this term (``frame`` is
    :func:`term_frame`; the other tables are the clean ones).

    ``five_ones``: share of left-behind pupils meeting each "五个一"
    component and the mean share met; ``three_ones``: the same for paired
    pupils' proxy parents' "三个一"; ``archive``: archive rate and the share
    whose archive holds all "five things known" (from the archive of the
    household survey term). The count columns are ``pupils`` and
    ``left_behind``; small groups are for the report to suppress.
    """
    lb = frame[is_true(frame[definition])][["pupil_key", "school"]]
    # the school year so far (the parents' yearly visit counts once a year)
    so_far = contacts[(contacts.term <= term) & (school_years(contacts.term) == Term.parse(term).school_year)]
    five = routines.five_ones(so_far)
    five = lb.merge(five[five.term == term], on="pupil_key", how="left")
    cols = routines.FIVE_COMPONENTS + ["share_met"]
    five_by = five.groupby("school").agg(pupils=("pupil_key", "size"),
                                         **{c: (c, lambda s: s.astype("Float64").mean()) for c in cols}).reset_index()
    three = routines.three_ones(contacts[contacts.term == term], pairings[pairings.term == term])
    three = three.merge(frame[["pupil_key", "school"]], on="pupil_key")
    tcols = routines.THREE_COMPONENTS + ["share_met"]
    three_by = three.groupby("school").agg(
        pupils=("pupil_key", "size"), **{c: (c, lambda s: s.astype("Float64").mean()) for c in tcols}).reset_index()
    status = frame[["pupil_key", "school", *DEFINITIONS]].assign(term=frame.survey_term)
    archived = routines.archive_completeness(archive, status, definition=definition)
    archived = archived.drop(columns=["term", "archived", "complete"])  # rates only: no small counts printed
    return {"five_ones": five_by, "three_ones": three_by, "archive": archived}
