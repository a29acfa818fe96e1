"""Contact and care routines: "五个一", proxy parents' "三个一", archive completeness.

Pure functions on the clean ``contacts`` table (one row per pupil and month
of a term's contact log), ``pairings`` and ``archive``. A component is judged
over the months the log holds for that pupil and term; a month missing from
the log is not counted as met or unmet.
"""

from __future__ import annotations

import pandas as pd

from liushou_analysis.core.flags import is_true
from liushou_analysis.core.terms import school_years

FIVE_COMPONENTS = ["weekly_call", "monthly_letter", "monthly_head_teacher", "monthly_subject_teacher",
                   "yearly_parent_visit"]
THREE_COMPONENTS = ["monthly_home_visit", "monthly_call_to_parents", "letter_each_semester"]


def _every_month(contacts: pd.DataFrame, column: str, minimum: int, keys: list[str]) -> pd.Series:
    """Per pupil and term: False if any logged month falls short of
    ``minimum``; else missing if any month's count is missing; else True."""
    count = contacts[column].astype("Float64")
    groups = [contacts[k] for k in keys]
    short = is_true(count < minimum).astype(int).groupby(groups).sum()
    unknown = count.isna().astype(int).groupby(groups).sum()
    met = pd.Series(pd.NA, index=short.index, dtype="boolean")
    met[unknown == 0] = True
    met[short > 0] = False
    return met


def five_ones(contacts: pd.DataFrame, calls_per_week_month: int = 4) -> pd.DataFrame:
    """"五个一" compliance per pupil and term (001 篇5).

    Components:

    * ``weekly_call``: a call to the parents every week, read as at least
      ``calls_per_week_month`` (4) calls in every logged month;
    * ``monthly_letter``: a letter to the parents every month;
    * ``monthly_head_teacher``: a talk with the head teacher every month;
    * ``monthly_subject_teacher``: a talk with a subject teacher every month;
    * ``yearly_parent_visit``: the parents came home at least once in the
      school year so far (this term and, for semester 2, semester 1).

    ``share_met`` is the share of the five met (over the components known).

    Examples
    --------
    >>> c = pd.DataFrame({"pupil_key": "p", "term": "2023-2024-2", "month": ["2024-02", "2024-03"],
    ...                   "calls_to_parents": [4, 5], "letters_to_parents": [1, 0], "head_teacher_talks": [1, 2],
    ...                   "subject_teacher_talks": [1, 1], "parent_visits": [1, 0]})
    >>> row = five_ones(c).iloc[0]
    >>> [bool(row[k]) for k in FIVE_COMPONENTS], float(row.share_met)
    ([True, False, True, True, True], 0.8)
    """
    keys = ["pupil_key", "term"]
    out = pd.DataFrame({
        "weekly_call": _every_month(contacts, "calls_to_parents", calls_per_week_month, keys),
        "monthly_letter": _every_month(contacts, "letters_to_parents", 1, keys),
        "monthly_head_teacher": _every_month(contacts, "head_teacher_talks", 1, keys),
        "monthly_subject_teacher": _every_month(contacts, "subject_teacher_talks", 1, keys),
    })
    visits = contacts.assign(school_year=school_years(contacts.term))
    per_term = visits.groupby(["pupil_key", "school_year", "term"]).parent_visits.sum(min_count=1)
    so_far = per_term.groupby(level=["pupil_key", "school_year"]).cumsum()
    visited = (so_far >= 1).astype("boolean").where(so_far.notna())
    out["yearly_parent_visit"] = visited.droplevel("school_year").reindex(out.index)
    out["months_logged"] = contacts.groupby(keys).size()
    met = out[FIVE_COMPONENTS].astype("Float64")
    out["components_met"] = met.sum(axis=1, skipna=True).astype("Int64")
    out["share_met"] = met.mean(axis=1, skipna=True)
    return out.reset_index()


def three_ones(contacts: pd.DataFrame, pairings: pd.DataFrame) -> pd.DataFrame:
    """Proxy parents' "三个一" per paired pupil and term (002): a home visit
    every month, a call to the parents every month, and a letter to the
    parents in the semester. Only pupils paired that term are judged.
    """
    keys = ["pupil_key", "term"]
    paired = pairings[keys].drop_duplicates()
    c = contacts.merge(paired, on=keys)
    out = pd.DataFrame({
        "monthly_home_visit": _every_month(c, "helper_home_visits", 1, keys),
        "monthly_call_to_parents": _every_month(c, "helper_calls_to_parents", 1, keys),
    })
    letters = c.groupby(keys).helper_letters_to_parents.sum(min_count=1)
    out["letter_each_semester"] = (letters >= 1).astype("boolean").where(letters.notna())
    met = out[THREE_COMPONENTS].astype("Float64")
    out["share_met"] = met.mean(axis=1, skipna=True)
    return out.reset_index()


ARCHIVE_ITEMS = ["has_basic_info", "has_personality", "has_interests", "has_health", "has_contacts"]


def archive_completeness(archive: pd.DataFrame, left_behind: pd.DataFrame, by: str | list[str] = "school",
                         definition: str = "either_parent") -> pd.DataFrame:
    """Archive completeness (建档率) by school: the share of left-behind pupils
    whose archive holds the "five things known" (001 篇1: basic information,
    personality, interests, health, contacts).

    Parameters
    ----------
    archive : DataFrame
        The clean ``archive`` table.
    left_behind : DataFrame
        Output of :func:`liushou_analysis.indicators.status.left_behind_status` (pupil,
        term, school and one column per definition).
    definition : str
        Which definition picks the left-behind pupils. A left-behind pupil
        with no archive at all counts as incomplete.
    """
    keys = ["pupil_key", "term"]
    lb = left_behind[is_true(left_behind[definition])]
    a = lb[keys + ["school"]].merge(archive[keys + ARCHIVE_ITEMS], on=keys, how="left")
    a["has_archive"] = a[ARCHIVE_ITEMS[0]].notna()
    a["complete"] = is_true(a[ARCHIVE_ITEMS]).all(axis=1)
    group = [by] if isinstance(by, str) else list(by)
    out = a.groupby(group + ["term"]).agg(left_behind=("pupil_key", "size"), archived=("has_archive", "sum"),
                                          complete=("complete", "sum")).reset_index()
    out["archive_rate"] = out.archived / out.left_behind
    out["complete_rate"] = out.complete / out.left_behind
    return out
