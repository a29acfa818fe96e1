"""Does pairing help? Analysis frames and the estimators side by side.

The unit of analysis is a *pairing cohort*: the pupils at risk of being
paired at the start of term ``T`` (not paired before), of whom some are
newly paired in ``T`` (treated) and the rest are not (comparison). The
outcome is the percentile rank within the school and grade at the end of
``T``; the baseline is the same at the end of ``T-1``, the exam the school
saw when it chose whom to pair; the exam before that (``T-2``) gives the
pre-trend.

Estimators (all via :func:`effects.estimate_effect`):

``naive``
    Mean rank change of paired minus unpaired pupils: what a school report
    shows. Paired pupils were chosen after a low exam, so part of their
    rise is regression to the mean.
``ancova``
    End percentile on pairing, a cubic in the baseline normal score and the
    left-behind flags, school-grade fixed effects, class-clustered SEs.
    Unbiased when pairing depends on the baseline exam and the flags (what
    the school saw), whatever the pupils' stable traits.
``ipw``
    Effect on the paired by inverse-probability weights from a logistic
    propensity on the same baseline terms and flags.
``did``
    Difference in differences over terms with school-grade fixed effects:
    the change from ``T-1`` to ``T``. Unbiased when paired and unpaired
    pupils would have moved in parallel; ``placebo`` is the same contrast
    one term earlier (``T-2`` to ``T-1``, before anyone was paired), whose
    estimate should be zero when that holds. With selection on the last
    exam it is not zero (the Ashenfelter dip), and neither DiD nor the naive
    contrast can be trusted.

The two kinds of selection bracket each other (Angrist and Pischke 2009,
section 5.4): ANCOVA is right under selection on the last exam, DiD under
selection on a stable trait; the simulation study in
``liushou_analysis.synth.study`` checks both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from liushou_analysis.core.codebook import UNKNOWN_ROLE
from liushou_analysis.core.terms import term_indices
from liushou_analysis.indicators import status as lb_status
from liushou_analysis.indicators.ranks import percentile_rank, ranked_totals
from liushou_analysis.statistics.effects import estimate_effect, ipw_effect
from liushou_analysis.statistics.estimate import Estimate, tidy

#: Covariates of the adjusted estimators (built by :func:`cohort`).
BASELINE = ["base_z", "base_z2", "base_z3"]
FLAGS = ["either", "all_away"]
ESTIMATORS = ("naive", "ancova", "ipw", "did", "placebo")


def panel(totals: pd.DataFrame, pairings: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """One row per pupil and term with the grade percentile and pairing history.

    Parameters
    ----------
    totals : pupil, term_index, school, grade, class_id, score
        Total exam score per pupil and term; missing when the pupil is not
        ranked (absent from the exam or from a subject).
    pairings : pupil, term_index, helper_type, and optionally month
        One row per pupil, helper and term in which the pairing started or
        was listed; the first term a pupil appears is when they were paired.
        ``month`` (``YYYY-MM``, the list's 结对时间) says when a pairing began.
    status : pupil, term_index, either, all_away, care
        Left-behind flags (either parent away; every parent away) and care
        arrangement per pupil and term.

    Returns
    -------
    The totals with ``pct`` (mid-rank percentile within school, grade and
    term), ``z`` (its normal score), ``first_paired`` (term index, missing if
    never paired), ``helper_type`` (the types of the first pairing joined
    with ``+``), ``first_month`` (the earliest month the first term's lists
    give, missing where they give none) and the status columns.
    """
    out = totals.copy()
    out["percentile"] = percentile_rank(out, "score", by=["school", "grade", "term_index"]).to_numpy()
    out["z"] = normal_score(out.percentile)
    first = pairings.groupby("pupil").term_index.min().rename("first_paired")
    at_first = pairings.merge(first, left_on=["pupil", "term_index"], right_on=["pupil", "first_paired"])
    types = (at_first.drop_duplicates(["pupil", "helper_type"]).sort_values(["pupil", "helper_type"])
             .groupby("pupil").helper_type.agg("+".join))
    months = (at_first.month if "month" in at_first else pd.Series(np.nan, index=at_first.index, dtype=object))
    months = months.dropna().groupby(at_first.pupil).min().rename("first_month")
    out = out.merge(first, left_on="pupil", right_index=True, how="left")
    out = out.merge(types, left_on="pupil", right_index=True, how="left")
    out = out.merge(months, left_on="pupil", right_index=True, how="left")
    return out.merge(status, on=["pupil", "term_index"], how="left")


#: The clean columns :func:`from_tables` uses (households: all of them, for the left-behind definitions).
READS = {"exams": ["pupil_key", "school", "term", "grade", "class_id", "subject", "score"],
         "pairings": ["pupil_key", "term", "helper_role", "pairing_month"], "households": None}


def from_store(store, term: str, history: bool = True) -> pd.DataFrame:
    """:func:`from_tables` on a :class:`~liushou_analysis.store.CleanStore`, reading only the columns it uses
    (:data:`READS`) and the terms up to ``term`` (only ``term`` itself with ``history=False``, for a page that
    needs this term's percentiles alone). Later terms change nothing: every analysis of a term stops at it."""
    terms = [t for t in store.terms if t <= term] if history else [term]
    return from_tables(*(store.table(name, terms=terms, columns=READS[name])
                         for name in ("exams", "pairings", "households")))


def from_tables(exams: pd.DataFrame, pairings: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """The :func:`panel` of a dataset's clean exams, pairings and households tables.

    The total of a pupil who missed any subject is not ranked (缺考，不计排名);
    ``either`` is :func:`status.either_parent`, ``all_away`` every listed
    parent away (:func:`status.strict_both_3m` with no minimum months), and
    ``care`` :func:`status.care_arrangement`. ``term_index`` numbers
    semesters consecutively (:func:`~liushou_analysis.core.terms.term_indices`);
    ``term`` keeps the id.
    """
    t = {"pairings": pairings, "households": households}
    total = ranked_totals(exams)
    totals = pd.DataFrame({"pupil": total.pupil_key, "term": total.term, "term_index": term_indices(total.term),
                           "school": total.school, "grade": total.grade, "class_id": total.class_id,
                           "score": total.score})
    pr = t["pairings"]
    pairings = pd.DataFrame({"pupil": pr.pupil_key, "term_index": term_indices(pr.term),
                             "helper_type": pr.helper_role.fillna(UNKNOWN_ROLE),
                             "month": pr.pairing_month if "pairing_month" in pr else None})
    hh = t["households"]
    status = pd.DataFrame({"pupil": hh.pupil_key, "term_index": term_indices(hh.term),
                           "either": lb_status.either_parent(hh),
                           "all_away": lb_status.strict_both_3m(hh, min_months=None),
                           "care": lb_status.care_arrangement(hh).care_arrangement})
    # Households are surveyed once a school year: each term takes the pupil's latest record.
    keys = totals[["pupil", "term_index"]].drop_duplicates().sort_values("term_index")
    status = pd.merge_asof(keys, status.drop_duplicates(["pupil", "term_index"]).sort_values("term_index"),
                           on="term_index", by="pupil", direction="backward")
    return panel(totals, pairings, status)


def normal_score(pct) -> np.ndarray:
    """Normal score of a percentile rank (0-100): ``Phi^-1(pct / 100)``."""
    return stats.norm.ppf(np.asarray(pct, dtype=float) / 100)


def cohort(data: pd.DataFrame, term_index: int) -> pd.DataFrame:
    """The pupils at risk of pairing at ``term_index`` with their outcomes.

    Rows: pupils ranked at the end of the term and of the term before, not
    paired before it. ``treated`` is 1 for those first paired in it. Columns:
    ``end_percentile``, ``base_percentile``, ``pre_percentile`` (two terms before; missing when
    unknown), ``change`` (end - base), ``pre_change`` (base - pre), the
    baseline polynomial ``base_z``, ``base_z2``, ``base_z3``, flags, school,
    grade, ``group`` (school and grade) and class.
    """
    key = ["pupil"]
    end = data[data.term_index == term_index]
    base = data[data.term_index == term_index - 1][key + ["percentile", "z"]]
    pre = data[data.term_index == term_index - 2][key + ["percentile"]]
    d = (end.merge(base, on=key, suffixes=("", "_base"))
         .merge(pre.rename(columns={"percentile": "pre_percentile"}), on=key, how="left"))
    d = d[d.percentile.notna() & d.percentile_base.notna() & ~(d.first_paired < term_index)]
    z = d.z_base.to_numpy()
    out = pd.DataFrame({
        "pupil": d.pupil, "school": d.school, "grade": d.grade, "class_id": d.class_id,
        "group": d.school.astype(str) + "-" + d.grade.astype(str),
        "treated": (d.first_paired == term_index).astype(int),
        "helper_type": d.helper_type.where(d.first_paired == term_index),
        "end_percentile": d.percentile, "base_percentile": d.percentile_base, "pre_percentile": d.pre_percentile,
        "base_z": z, "base_z2": z ** 2, "base_z3": z ** 3,
        "either": d.either.astype("Float64").astype(float), "all_away": d.all_away.astype("Float64").astype(float),
        "care": d.care,
    })
    out["change"] = out.end_percentile - out.base_percentile
    out["pre_change"] = out.base_percentile - out.pre_percentile
    return out.reset_index(drop=True)


def estimate(cohort_frame: pd.DataFrame, method: str, treatment: str = "treated") -> pd.DataFrame:
    """One estimator's tidy row, ``quantity`` naming the estimator (see the
    module docstring for each method)."""
    c = cohort_frame
    needed = {"naive": ["change"], "ancova": ["end_percentile", *BASELINE, *FLAGS],
              "ipw": ["end_percentile", *BASELINE, *FLAGS], "did": ["change", "pre_percentile"],
              "placebo": ["pre_change"]}.get(method, [])
    usable = c.dropna(subset=needed)[treatment]
    if usable.nunique() < 2:
        return tidy([{"quantity": method, "n": len(usable), "method": "not estimable: the pupils with the "
                      "data it needs are all paired or all unpaired"}])
    if method == "naive":
        row = estimate_effect(c, "change", treatment, cluster="class_id")
    elif method == "ancova":
        row = estimate_effect(c, "end_percentile", treatment, covariates=BASELINE + FLAGS, fixed_effects=["group"],
                              cluster="class_id")
    elif method == "ipw":
        row = ipw_effect(c, "end_percentile", treatment, covariates=BASELINE[:2] + FLAGS, cluster="class_id")
    elif method == "did":
        row = estimate_effect(c.dropna(subset=["pre_percentile"]), "change", treatment, fixed_effects=["group"],
                              cluster="class_id")
    elif method == "placebo":
        row = estimate_effect(c.dropna(subset=["pre_percentile"]), "pre_change", treatment, fixed_effects=["group"],
                              cluster="class_id")
    else:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(ESTIMATORS)}")
    return row.table.assign(quantity=method)


def compare(cohort_frame: pd.DataFrame, methods: Sequence[str] = ESTIMATORS) -> Estimate:
    """Every estimator on one cohort: one tidy row each (percentile points).

    >>> rng = np.random.default_rng(0)
    >>> c = pd.DataFrame({"pupil": range(400), "school": "A", "grade": 7, "class_id": rng.integers(0, 8, 400)})
    >>> c["group"], c["care"], c["helper_type"] = "A-7", "parents", None
    >>> c["base_percentile"], c["pre_percentile"] = rng.uniform(0, 100, 400), rng.uniform(0, 100, 400)
    >>> c["treated"] = (rng.random(400) < 0.3).astype(int)
    >>> c["end_percentile"] = c.base_percentile + 5 * c.treated + rng.normal(0, 5, 400)
    >>> c["change"], c["pre_change"] = c.end_percentile - c.base_percentile, c.base_percentile - c.pre_percentile
    >>> c["base_z"] = normal_score(c.base_percentile); c["base_z2"], c["base_z3"] = c.base_z ** 2, c.base_z ** 3
    >>> c["either"], c["all_away"] = 0.0, 0.0
    >>> compare(c, ["naive", "did"]).table.estimate.round(0).tolist()
    [5.0, 5.0]
    """
    return Estimate(tidy(pd.concat([estimate(cohort_frame, m) for m in methods], ignore_index=True)))


def effect_by(cohort_frame: pd.DataFrame, by: str, covariates: Sequence[str] = BASELINE + FLAGS,
              min_treated: int = 5) -> Estimate:
    """Heterogeneity: the ANCOVA effect for each level of ``by`` among the paired.

    One regression with a separate pairing indicator per level (e.g. helper
    type, or the pupil's care arrangement), sharing the unpaired pupils as
    comparison, so each level's effect is adjusted the same way as the
    overall one. Levels with fewer than ``min_treated`` paired pupils are
    left out (their row says so in ``method``). ``n_treated``, the paired
    pupils of the level, is a count column beside ``n``.
    """
    c = cohort_frame.copy()
    level = c[by].where(c.treated == 1)
    counts = level.value_counts()
    rows = []
    keep = sorted(counts.index[counts >= min_treated])
    dummies = {f"_by_{i}": (level == lv).astype(int) for i, lv in enumerate(keep)}
    c = c.assign(**dummies)
    # Paired pupils of the levels left out (or with no level) are not in the comparison group.
    c = c[(c.treated == 0) | level.isin(keep)]
    for i, lv in enumerate(keep):
        others = [k for k in dummies if k != f"_by_{i}"]
        row = estimate_effect(c, "end_percentile", f"_by_{i}", covariates=[*others, *covariates],
                              fixed_effects=["group"], cluster="class_id", treated_clusters_df=True)
        rows.append(row.table.assign(quantity=f"{by}={lv}", n_treated=int(counts[lv])))
    for lv in sorted(counts.index[counts < min_treated]):
        rows.append(pd.DataFrame([{"quantity": f"{by}={lv}", "n": np.nan, "n_treated": int(counts[lv]),
                                   "method": f"not estimated: fewer than {min_treated} paired pupils"}]))
    table = tidy(pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["n_treated"]))
    return Estimate(table, counts=("n", "n_treated"))


def selection_table(cohort_frame: pd.DataFrame) -> pd.DataFrame:
    """Who gets paired: the newly paired and the unpaired of a cohort side
    by side (pupils, mean baseline percentile, mean change before the
    baseline, shares with either or all parents away)."""
    c = cohort_frame.assign(group=np.where(cohort_frame.treated == 1, "paired", "unpaired"))
    out = c.groupby("group").agg(pupils=("pupil", "size"), base_percentile=("base_percentile", "mean"),
                                 pre_change=("pre_change", "mean"), either_parent_away=("either", "mean"),
                                 all_parents_away=("all_away", "mean"))
    return out.reindex(["paired", "unpaired"]).rename_axis("group").reset_index()


def term_cohort(data: pd.DataFrame, term: str) -> pd.DataFrame:
    """:func:`cohort` for a term id such as ``2024-2025-2``."""
    return cohort(data, int(term_indices(pd.Series([term])).iloc[0]))


def staggered(data: pd.DataFrame, term: str, control: str = "notyet") -> dict:
    """Pairing effects over every term up to ``term`` with pupils paired in different terms
    (:func:`staggered.staggered_did`): the event study, the overall effect, how strong a hidden confounder
    would have to be (:func:`sensitivity.e_value`) and the smallest effect the data can detect
    (:func:`sensitivity.minimum_detectable_effect`).

    The outcome is the grade percentile; pupils are clustered by their class in the first term they appear
    (a pupil's class changes with the school year; the first one is theirs throughout). Returns a dict:
    ``result`` (the Estimate, or None when no cohort has a term before its pairing), ``study``, ``overall``
    (one row each estimator side by side: the staggered overall and simple averages), ``by_helper_type`` (the
    overall effect of each helper type's pupils against the same comparison pupils), ``sensitivity`` (one row)
    and ``power`` (one row), ``no_baseline`` (pupils paired in the first term of the data) and ``reason``
    (why nothing was estimated, or '')."""
    from liushou_analysis.core.errors import UserError
    from liushou_analysis.statistics import sensitivity
    from liushou_analysis.statistics.staggered import staggered_did

    end = int(term_indices(pd.Series([term])).iloc[0])
    d = data[data.term_index <= end].dropna(subset=["percentile"])
    d = d.drop_duplicates(["pupil", "term_index"])
    first_class = d.sort_values("term_index", kind="stable").groupby("pupil").class_id.first()
    d = d.assign(first_class=d.pupil.map(first_class),
                 first_paired=d.first_paired.where(d.first_paired <= end))
    out = {"result": None, "study": None, "overall": None, "sensitivity": None, "power": None,
           "by_helper_type": None, "no_baseline": 0, "reason": ""}
    first_term = d.term_index.min() if len(d) else None
    out["no_baseline"] = int(d.loc[d.first_paired <= first_term, "pupil"].nunique()) if len(d) else 0
    try:
        result = staggered_did(d, "percentile", "pupil", "term_index", "first_paired", cluster="first_class",
                               control=control)
    except UserError as err:
        out["reason"] = str(err)
        return out
    out["result"] = result
    out["study"] = result.details["event_study"]
    # by helper type: each type's paired pupils against the same comparison pupils (the other types left out)
    rows = []
    for kind in sorted(d.helper_type.dropna().unique()):
        part = d[d.first_paired.isna() | (d.helper_type == kind)]
        try:
            overall = staggered_did(part, "percentile", "pupil", "term_index", "first_paired",
                                    cluster="first_class", control=control, reps=0).details["overall"]
        except UserError:
            continue
        rows.append(overall.assign(quantity=f"helper_type={kind}").iloc[0])  # named as effect_by names them
    out["by_helper_type"] = pd.DataFrame(rows).reset_index(drop=True) if rows else None
    overall = pd.concat([result.details["overall"].assign(quantity="staggered_overall"),
                         result.details["simple"].assign(quantity="staggered_simple")], ignore_index=True)
    out["overall"] = overall
    never = d[d.first_paired.isna()]
    sd = float(never.percentile.std()) if len(never) > 1 else float(d.percentile.std())
    row = overall.iloc[0]
    out["sensitivity"] = pd.DataFrame([{"estimate": row.estimate, "se": row.se, "outcome_sd": sd,
                                        **sensitivity.e_value(row.estimate, row.se, sd)}])
    at_end = d[d.term_index == end]
    icc = sensitivity.class_icc(at_end.percentile, at_end.class_id)
    treated = at_end.first_paired.notna()
    icc_paired = sensitivity.class_icc(treated.astype(float), at_end.class_id)["icc"]
    n1, n0 = int(treated.sum()), int((~treated).sum())
    out["power"] = pd.DataFrame([{"paired": n1, "not_paired": n0, "classes": icc["classes"],
                                  "mean_class_size": icc["mean_size"], "icc": icc["icc"], "icc_paired": icc_paired,
                                  "outcome_sd": sd, "mde": sensitivity.minimum_detectable_effect(
                                      sd, n1, n0, icc["mean_size"], icc["icc"], icc_paired)}])
    return out


def earliest_term_covariate(data: pd.DataFrame, term: str) -> Estimate:
    """For when no cohort has a term before pairing: the effect of pairing after the data's earliest term, given
    where pupils stood in it, where that is defensible (``quantity`` "earliest_term_covariate").

    The earliest term's percentile is measured after pairing began, so it is a fair covariate only for pupils
    whose pairing began within that term: their pairing lists give a month (结对时间) inside the earliest term,
    so at most one term of pairing went before its exam. Those pupils are compared at the end of ``term`` with
    pupils never paired, adjusting for the earliest percentile and the left-behind flags, with school-grade
    fixed effects and class-clustered standard errors. Pupils paired before the earliest term, or whose lists
    give no month, are left out (``n_left_out``): their earliest exam came long after pairing began. What the
    pairing did before the earliest exam is inside the covariate, so a positive effect is understated, and
    schools picked these pupils on results before the data, which the earliest term does not fully capture: a
    conservative estimate of the later terms, not the whole effect. Not estimable (a ``method`` saying why)
    with one term only, no month inside the earliest term, or fewer than 5 pupils on either side."""
    from liushou_analysis.core.terms import calendar_days

    end = int(term_indices(pd.Series([term])).iloc[0])
    d = data[data.term_index <= end].dropna(subset=["percentile"]).drop_duplicates(["pupil", "term_index"])

    def not_estimable(why: str, n: int = 0) -> Estimate:
        return Estimate(tidy([{"quantity": "earliest_term_covariate", "n": n, "method": f"not estimable: {why}"}]))
    if d.empty or d.term_index.min() >= end:
        return not_estimable("the data hold one term only")
    first = int(d.term_index.min())
    first_id = pd.Series([f"{first // 2}-{first // 2 + 1}-{first % 2 + 1}"])  # the term id of a term_index
    start, stop = (calendar_days(first_id, which).dt.to_period("M").iloc[0] for which in ("start", "end"))
    month = pd.to_datetime(d.first_month, format="%Y-%m", errors="coerce").dt.to_period("M") \
        if "first_month" in d else pd.Series(pd.NaT, index=d.index)
    within = (d.first_paired == first) & month.notna() & (month >= start) & (month <= stop)
    base = d[d.term_index == first].set_index("pupil").percentile.rename("first_percentile")
    at_end = d[(d.term_index == end) & (d.first_paired.isna() | within)].join(base, on="pupil")
    at_end = at_end.assign(paired=at_end.first_paired.notna().astype(int),
                           group=at_end.school.astype(str) + "-" + at_end.grade.astype(str),
                           either=at_end.either.astype("Float64").astype(float),
                           all_away=at_end.all_away.astype("Float64").astype(float))
    usable = at_end.dropna(subset=["first_percentile", *FLAGS])
    left_out = int(d.loc[(d.term_index == end) & d.first_paired.notna() & ~within, "pupil"].nunique())
    if not within.any():
        return not_estimable("no pairing list gives a month inside the earliest term", len(usable))
    if usable.paired.sum() < 5 or (1 - usable.paired).sum() < 5:
        return not_estimable("fewer than 5 pupils paired within the earliest term, or never paired, ranked in both "
                             "terms", len(usable))
    flags = [c for c in FLAGS if usable[c].nunique() > 1]  # a flag the same for all says nothing
    row = estimate_effect(usable, "percentile", "paired", covariates=["first_percentile", *flags],
                          fixed_effects=["group"], cluster="class_id")
    table = row.table.assign(quantity="earliest_term_covariate",
                             method="conservative, earliest term as covariate: " + row.table.method.astype(str),
                             n_paired=int(usable.paired.sum()), n_left_out=left_out)
    return Estimate(table, model=row.model, counts=("n", "n_paired", "n_left_out"))


def cross_section(data: pd.DataFrame, term: str) -> Estimate:
    """A descriptive comparison for when no effect can be estimated (every pairing began before the data's
    first term): at the end of ``term``, the grade percentile of the pupils paired by then against the
    others, adjusted for the household (either parent away, all parents away, the care arrangement, an
    unknown one as its own category) and the school (school-grade fixed effects), with class-clustered
    standard errors. Schools pair pupils for their results, so this describes where paired pupils stand,
    not what pairing did (``quantity`` "cross_section")."""
    end = int(term_indices(pd.Series([term])).iloc[0])
    d = data[data.term_index == end].dropna(subset=["percentile"]).drop_duplicates("pupil")
    d = d.assign(paired=(d.first_paired <= end).astype(int), group=d.school.astype(str) + "-" + d.grade.astype(str),
                 either=d.either.astype("Float64").astype(float), all_away=d.all_away.astype("Float64").astype(float))
    usable = d.dropna(subset=FLAGS)
    if usable.paired.nunique() < 2:
        return Estimate(tidy([{"quantity": "cross_section", "n": len(usable), "method": "not estimable: the "
                               "pupils ranked this term are all paired or all unpaired"}]))
    care = usable.care if "care" in usable else pd.Series(np.nan, index=usable.index)
    dummies = pd.get_dummies(care.astype(object).fillna("unknown"), prefix="care", drop_first=True, dtype=float)
    usable = pd.concat([usable, dummies], axis=1)
    covariates = [c for c in [*FLAGS, *dummies.columns] if usable[c].nunique() > 1]
    row = estimate_effect(usable, "percentile", "paired", covariates=covariates, fixed_effects=["group"],
                          cluster="class_id")
    table = row.table.assign(quantity="cross_section",
                             method="descriptive: " + row.table.method.astype(str),
                             n_paired=int(usable.paired.sum()))
    return Estimate(table, model=row.model, counts=("n", "n_paired"))
