"""Left-behind status under each definition, care arrangements, guardians.

Pure functions on the clean ``households`` table (one row per pupil and
survey term; see ``liushou clean``). Every function returns values aligned
to the rows it is given. Booleans use pandas' nullable ``boolean`` type with
Kleene logic: where an input needed for the answer is missing, the answer
is missing, never guessed as False.

Which parents count: a parent listed on the form (``father_listed``) is at
home or away as the form says; a parent not in the household (a
single-parent family, an orphan) is neither at home nor away. So a pupil
whose only parent works away has all parents away, and an orphan has none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou_analysis.core.flags import is_true
from liushou_analysis.core.terms import calendar_days

DEFINITIONS = ("strict_both_3m", "either_parent", "official_2016")


def _away(h: pd.DataFrame, who: str, min_months: int | None = None) -> pd.Series:
    """The parent is listed and away (for at least ``min_months`` if given)."""
    away = h[f"{who}_away"].astype("boolean")
    if min_months is not None:
        long_enough = (h[f"{who}_months_away"].astype("Float64") >= min_months).astype("boolean")
        away = away & long_enough
    return h[f"{who}_listed"].astype("boolean") & away


def _absent_or(h: pd.DataFrame, who: str, condition: pd.Series) -> pd.Series:
    """True for a parent not in the household, else ``condition``."""
    return ~h[f"{who}_listed"].astype("boolean") | condition


def either_parent(households: pd.DataFrame) -> pd.Series:
    """Left behind: one or both parents work away.

    Rule (000 篇14, 篇16; 003 篇三; 004): 父母双方或一方外出务工而被留守在家乡.
    True if a listed parent is away; False if every listed parent is at
    home; missing if a listed parent's answer is missing and no other
    listed parent is away.

    >>> h = pd.DataFrame({"father_listed": [True, True, True], "father_away": [True, False, None],
    ...                   "mother_listed": [True, True, True], "mother_away": [False, False, False]})
    >>> either_parent(h).tolist()
    [True, False, <NA>]
    """
    return (_away(households, "father") | _away(households, "mother")).rename("either_parent")


def strict_both_3m(households: pd.DataFrame, min_months: int = 3) -> pd.Series:
    """Left behind: both parents away continuously for ``min_months`` or more.

    Rule (001 篇1, the "54321" plan): 父母双方在外连续打工3个月以上. A parent
    not in the household counts as away (the child has no parent at home),
    but at least one parent must be away: an orphan is not left behind by
    migration. Missing when a listed parent's away answer or months are missing.

    >>> h = pd.DataFrame({"father_listed": [True, True, False], "father_away": [True, True, None],
    ...                   "father_months_away": [12, 2, None],
    ...                   "mother_listed": [True, True, True], "mother_away": [True, True, True],
    ...                   "mother_months_away": [10, 12, 6]})
    >>> strict_both_3m(h).tolist()  # both 10+ months; father only 2; single mother away 6
    [True, False, True]
    """
    father = _absent_or(households, "father", _away(households, "father", min_months))
    mother = _absent_or(households, "mother", _away(households, "mother", min_months))
    return (father & mother & either_parent(households)).rename("strict_both_3m")


def age_at(birth_month: pd.Series, reference: pd.Series | pd.Timestamp) -> pd.Series:
    """Whole years of age at a reference date, from a birth year-month
    ('2011-03'). The clean tables keep no birth day, so a pupil born in
    the reference month counts as having had the birthday."""
    born = pd.to_datetime(birth_month, format="%Y-%m", errors="coerce")
    ref = pd.to_datetime(reference)
    ref = ref if isinstance(ref, pd.Series) else pd.Series(ref, index=born.index)
    years = ref.dt.year - born.dt.year - (ref.dt.month < born.dt.month).astype(int)
    return years.where(born.notna() & ref.notna()).astype("Int64")


def official_2016(households: pd.DataFrame, birth_month: pd.Series, reference_date,
                  max_age: int = 16) -> pd.Series:
    """Left behind under the State Council's 2016 definition: all parents
    away, or one away and the other unable to guard; and under ``max_age``
    (16) at ``reference_date``.

    Parameters
    ----------
    households : DataFrame
    birth_month : Series
        The pupil's birth year-month ('2011-03'), aligned to ``households``.
    reference_date : date or Series of dates
        When age is counted, e.g. the start of the survey's term.
    """
    h = households
    father, mother = _away(h, "father"), _away(h, "mother")
    all_away = _absent_or(h, "father", father) & _absent_or(h, "mother", mother) & (father | mother)
    both_listed = h.father_listed.astype("boolean") & h.mother_listed.astype("boolean")
    one_away = both_listed & (father ^ mother)
    other_unable = h.parent_unable_to_guard.astype("boolean")
    young = (age_at(birth_month, reference_date) < max_age).astype("boolean")
    return ((all_away | (one_away & other_unable)) & young).rename("official_2016")


def left_behind_status(households: pd.DataFrame, pupils: pd.DataFrame, reference_date=None) -> pd.DataFrame:
    """Every definition side by side, one row per household record.

    ``reference_date`` (for the age limit of ``official_2016``) defaults to
    the start of each record's term.
    """
    birth = households[["pupil_key"]].merge(pupils[["pupil_key", "birth_month"]], on="pupil_key",
                                            how="left").birth_month.set_axis(households.index)
    ref = calendar_days(households.term, "start") if reference_date is None else reference_date
    return pd.DataFrame({
        "pupil_key": households.pupil_key, "term": households.term, "school": households.school,
        "strict_both_3m": strict_both_3m(households),
        "either_parent": either_parent(households),
        "official_2016": official_2016(households, birth, ref),
    }, index=households.index)


def definition_counts(status: pd.DataFrame, by: str | list[str] | None = "term") -> pd.DataFrame:
    """How many pupils are left behind under each definition (and how many
    answers are missing), so a user sees the count move with the definition."""
    long = status.melt(id_vars=[c for c in status.columns if c not in DEFINITIONS], value_vars=list(DEFINITIONS),
                       var_name="definition", value_name="left_behind")
    keys = ([by] if isinstance(by, str) else list(by or [])) + ["definition"]
    lb = long.left_behind.astype("boolean")
    out = long.assign(yes=lb.fillna(False).astype(int), missing=lb.isna().astype(int), n=1).groupby(keys).agg(
        left_behind=("yes", "sum"), missing=("missing", "sum"), pupils=("n", "sum")).reset_index()
    out["share"] = out.left_behind / (out.pupils - out.missing)
    return out


#: Care arrangement from the guardian named, by precedence (see care_arrangement).
_CARER_GROUP = {"father": "parent", "mother": "parent", "grandmother": "grandparents", "grandfather": "grandparents",
                "grandparents": "grandparents", "aunt_uncle": "relatives", "sibling": "relatives",
                "other_relative": "relatives",
                "friend_neighbour": "relatives", "teacher": "teacher_school", "self": "none_self"}
_PRECEDENCE = ["parent", "grandparents", "relatives", "teacher_school", "none_self"]


def care_arrangement(households: pd.DataFrame) -> pd.DataFrame:
    """Care arrangement per record, from the guardianship record.

    Rule: the guardians named (``guardian_relation``, e.g.
    ``grandmother;aunt_uncle`` for 奶奶、姑姑) are grouped (parent,
    grandparents, relatives or friends, teacher or boarding, nobody) and the
    closest carer wins by the precedence parent > grandparents > relatives >
    teacher/boarding > nobody: 奶奶、姑姑 is grandparent care. A parent as
    guardian is ``one_parent`` care when the other listed parent is away,
    else ``parents`` (not left behind). With no guardian named, the care type
    the school reported is used; with neither, missing. Flags
    ``single_parent`` and ``orphan`` come from the family type
    (docs/domain.md section 2).
    """
    h = households
    rel = h.guardian_relation.astype(object)
    parts = rel.str.split(";").explode()
    rank = parts.map(_CARER_GROUP).map({g: i for i, g in enumerate(_PRECEDENCE)})
    best = rank.groupby(level=0).min().reindex(h.index)
    group = best.map(dict(enumerate(_PRECEDENCE)))
    other_away = is_true(_away(h, "father")) | is_true(_away(h, "mother"))
    care = group.where(group != "parent", np.where(other_away, "one_parent", "parents"))
    care = care.fillna(h.care_type)
    return pd.DataFrame({
        "care_arrangement": care.astype(object),
        "care_reported": h.care_type,
        "single_parent": (h.family_type == "single_parent").astype("boolean").where(h.family_type.notna()),
        "orphan": (h.family_type == "orphan").astype("boolean").where(h.family_type.notna()),
    }, index=h.index)


AGE_BANDS = [0, 30, 40, 50, 60, 70, 200]
AGE_LABELS = ["<30", "30-39", "40-49", "50-59", "60-69", "70+"]


def guardian_characteristics(households: pd.DataFrame) -> pd.DataFrame:
    """Guardian's age band, health, education and main relation (the first
    named), as tidy columns aligned to the records."""
    h = households
    band = pd.cut(h.guardian_age.astype("Float64"), AGE_BANDS, right=False, labels=AGE_LABELS)
    return pd.DataFrame({
        "guardian_age_band": band.astype(object).where(band.notna()),
        "guardian_health": h.guardian_health,
        "guardian_education": h.guardian_education,
        "guardian_relation": h.guardian_relation.astype(object).str.split(";").str[0],
    }, index=h.index)
