"""Is every left-behind pupil looked after, and is any helper carrying too many (issue 28, item 1)?

The plans ask schools to leave no gap (不留缺口: every left-behind pupil paired with someone) and set loads:
a teacher takes 2-3 pupils (each class proposes 4-5 and the staff share them), a volunteer 1-2, and a
3+2+1+1 group holds two left-behind pupils beside three other pupils, one caring parent and one teacher
(docs/domain.md, section 3). These are the indicators for those rules, per school (and class) and per
definition of left-behind:

* :func:`pairing_coverage`: left-behind pupils, those with any helper, with a teacher, with a classmate who is
  not left behind himself (a peer helper who is a pupil of the same class), and the shares;
* :func:`helper_load`: pupils per helper, against the plan's load for the helper's role;
* :func:`group_membership`: the left-behind pupils each 3+2+1+1 group holds, against the two it should;
* :func:`uncovered_pupils`: the pseudonymous list of left-behind pupils without a helper, for the school's
  internal workbook only, never for a published page.

A pupil counts as paired in a term when a pairing list of the school year up to that term names him
(:func:`current_pairings`): lists are drawn up once a year and kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou_analysis.core.flags import is_true
from liushou_analysis.core.terms import Term, school_years
from liushou_analysis.indicators.status import DEFINITIONS

#: The plans' loads: at most this many pupils per helper of a role (teacher 2-3, volunteer 1-2).
HELPER_LOADS = {"teacher": 3, "volunteer": 2}
#: Left-behind pupils a 3+2+1+1 group holds (three other pupils, one parent and one teacher beside them).
GROUP_LEFT_BEHIND = 2
#: The row for all schools together.
ALL = "全部"
#: Roles a pupil holds as a helper.
PUPIL_ROLES = ("peer",)


def current_pairings(pairings: pd.DataFrame, term: str) -> pd.DataFrame:
    """The pairings in force in ``term``: those listed in its school year up to and including the term."""
    year = Term.parse(term).school_year
    return pairings[(school_years(pairings.term) == year) & (pairings.term <= term)]


def _helped(frame: pd.DataFrame, pairings: pd.DataFrame, term: str) -> pd.DataFrame:
    """One row per pupil of ``frame`` (a term frame: pupil_key, school, class_id and the definition flags)
    with ``any_helper``, ``teacher`` and ``classmate`` (a peer helper who is a pupil of the same class and not
    left behind under the definition in question: one column per definition, ``classmate:<definition>``)."""
    now = current_pairings(pairings, term)
    out = frame[["pupil_key", "school", "class_id", *DEFINITIONS]].copy()
    out["any_helper"] = out.pupil_key.isin(now.pupil_key)
    out["teacher"] = out.pupil_key.isin(now.pupil_key[now.helper_role == "teacher"])
    peers = now[now.helper_role.isin(PUPIL_ROLES)][["pupil_key", "helper_key"]]
    # a peer's helper key is the helper's own pupil key when the list gives the helper's student number
    peers = peers.merge(frame[["pupil_key", "class_id", *DEFINITIONS]].rename(
        columns={"pupil_key": "helper_key", "class_id": "helper_class",
                 **{d: f"helper_{d}" for d in DEFINITIONS}}), on="helper_key")
    peers = peers.merge(frame[["pupil_key", "class_id"]], on="pupil_key")
    same_class = peers[peers.helper_class == peers.class_id]
    for d in DEFINITIONS:
        not_left_behind = same_class[same_class[f"helper_{d}"].astype("boolean").eq(False).fillna(False)]
        out[f"classmate:{d}"] = out.pupil_key.isin(not_left_behind.pupil_key)
    return out


def pairing_coverage(frame: pd.DataFrame, pairings: pd.DataFrame, term: str, by: str = "school") -> pd.DataFrame:
    """Per ``by`` (``school`` or ``class_id``) and definition, with a row for all schools (``school`` = 全部)
    when by school: ``left_behind``, ``with_any_helper``, ``with_teacher``, ``with_classmate`` (a classmate
    not left behind) and their shares of the left-behind (``share_*``, missing where none is left behind),
    and ``without_helper``. Pupils whose status is unknown under a definition are not counted under it."""
    helped = _helped(frame, pairings, term)
    rows = []
    for d in DEFINITIONS:
        lb = helped[is_true(helped[d])]
        parts = lb.assign(classmate=lb[f"classmate:{d}"])
        counts = parts.groupby(by, sort=True).agg(left_behind=("pupil_key", "size"),
                                                   with_any_helper=("any_helper", "sum"),
                                                   with_teacher=("teacher", "sum"),
                                                   with_classmate=("classmate", "sum"))
        every = helped[[by]].drop_duplicates().set_index(by).sort_index()
        counts = every.join(counts).fillna(0).astype(int)
        if by == "school":
            counts.loc[ALL] = counts.sum()
        rows.append(counts.reset_index().assign(definition=d))
    out = pd.concat(rows, ignore_index=True)
    for c in ("any_helper", "teacher", "classmate"):
        out[f"share_{c}"] = (out[f"with_{c}"] / out.left_behind.where(out.left_behind > 0)).astype(float)
    out["without_helper"] = out.left_behind - out.with_any_helper
    first = ["school"]
    if by != "school":  # a class row names its school too
        out = out.merge(frame[[by, "school"]].drop_duplicates(by), on=by, how="left")
        first = ["school", by]
    return out[[*first, "definition", "left_behind", "with_any_helper", "share_any_helper", "with_teacher",
                "share_teacher", "with_classmate", "share_classmate", "without_helper"]]


def uncovered_pupils(frame: pd.DataFrame, pairings: pd.DataFrame, term: str, definition: str) -> pd.DataFrame:
    """The left-behind pupils (under ``definition``) without any helper this term: pseudonymous key, school,
    class. For the school's internal workbook only; never published."""
    helped = _helped(frame, pairings, term)
    gap = helped[is_true(helped[definition]) & ~helped.any_helper]
    return gap[["school", "class_id", "pupil_key"]].sort_values(["school", "class_id", "pupil_key"]) \
        .reset_index(drop=True)


def helper_load(pairings: pd.DataFrame, term: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pupils per helper this term against the plans' loads (:data:`HELPER_LOADS`).

    Returns (per helper: school, helper_key, helper_role, pupils, load, over_load; per school and role, with
    a 全部 row per role: helpers, pupils, pupils_per_helper, most_pupils, over_load, share_over_load).
    Roles the plans set no load for have a missing ``load`` and are never over it; a 3+2+1+1 group is checked
    by :func:`group_membership` instead."""
    now = current_pairings(pairings, term).drop_duplicates(["helper_key", "pupil_key"])
    now = now[now.helper_role.ne("group_3211") | now.helper_role.isna()]
    each = (now.groupby(["school", "helper_key"], sort=True)
            .agg(helper_role=("helper_role", "first"), pupils=("pupil_key", "nunique")).reset_index())
    each["load"] = each.helper_role.map(HELPER_LOADS).astype("Int64")
    each["over_load"] = (each.pupils > each.load).fillna(False).astype(bool)
    role = each.helper_role.fillna("unknown")
    by_school = each.assign(helper_role=role).groupby(["school", "helper_role"], sort=True).agg(
        helpers=("helper_key", "size"), pupils=("pupils", "sum"), most_pupils=("pupils", "max"),
        over_load=("over_load", "sum")).reset_index()
    total = each.assign(helper_role=role).groupby("helper_role", sort=True).agg(
        helpers=("helper_key", "size"), pupils=("pupils", "sum"), most_pupils=("pupils", "max"),
        over_load=("over_load", "sum")).reset_index().assign(school=ALL)
    summary = pd.concat([by_school, total], ignore_index=True)
    summary["pupils_per_helper"] = summary.pupils / summary.helpers
    summary["share_over_load"] = (summary.over_load / summary.helpers).where(
        summary.helper_role.isin(list(HELPER_LOADS)))
    summary["load"] = summary.helper_role.map(HELPER_LOADS).astype("Int64")
    return each, summary[["school", "helper_role", "load", "helpers", "pupils", "pupils_per_helper", "most_pupils",
                          "over_load", "share_over_load"]]


def group_membership(frame: pd.DataFrame, pairings: pd.DataFrame, term: str, definition: str) -> pd.DataFrame:
    """Each 3+2+1+1 group named in the pairing lists this term: the pupils it lists, how many of them are
    left behind under ``definition``, and whether that is the plan's two (``as_planned``); missing where a
    listed pupil's status is unknown."""
    now = current_pairings(pairings, term)
    groups = now[now.helper_role == "group_3211"].drop_duplicates(["helper_key", "pupil_key"])
    status = frame.set_index("pupil_key")[definition].astype("boolean")
    lb = groups.pupil_key.map(status)
    out = groups.assign(_lb=lb).groupby(["school", "helper_key"], sort=True).agg(
        pupils=("pupil_key", "size"), left_behind=("_lb", lambda s: int(s.fillna(False).sum())),
        unknown=("_lb", lambda s: int(s.isna().sum()))).reset_index()
    out["as_planned"] = pd.array(np.where(out.unknown > 0, pd.NA, out.left_behind == GROUP_LEFT_BEHIND),
                                 dtype="boolean")
    return out.drop(columns="unknown")
