"""The reward-point scheme (考核及奖励) of the school plan, clause by clause.

Source: 001 篇6 and 篇8 (docs/sources.md), set out clause by clause in
docs/domain.md section 6. Part one pays helpers (牵手扶助志愿者 and other helpers) and head
teachers for their pupils' class ranks; part two pays pupils awards.

Part one, per pupil and school year (the person assessed gets):

1. baseline: class rank by total score at the end of semester 1 of
   school year 1 (初一第一学期期末); from school year 2 on, at the end of
   semester 2 of the previous year (a full year's comparison: kept as
   written, and said in the audit);
2. ``points_per_place`` (10) per place risen by the end of semester 2;
3. ``top_points`` (10) for staying in the class top 5;
4. ``conduct_points`` (20) for no serious violation of discipline or law;
5. ``three_good_points`` (10) for a three-good-student title;
6. a helper's score is the SUM over the pupils they are responsible for; a
   head teacher's is the MEAN over the relevant (paired) pupils of the class;
   one point is paid as ``yuan_per_point`` (1) yuan.

Part two, per pupil and school year, at the semester-2 final: rank 1 wins
100 yuan, ranks 2-5 win 30 (excellence); rising 5 places or more from the
semester-1 final wins 15 (progress). The awards add up.

Every choice the text leaves open is a field of :class:`RewardRules`; the
defaults follow the text and the school custom, and every output records
the rules used. All functions are pure and vectorised.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UserError
from .ranks import class_rank


@dataclass(frozen=True)
class RewardRules:
    """The scheme's parameters. Defaults follow 001 篇6/篇8."""

    #: Points per class place risen (每上升1个名次加10分).
    points_per_place: float = 10
    #: A fall in rank: "zero" (the text only rewards rises) or "negative"
    #: (minus points_per_place per place fallen).
    fall_in_rank: str = "zero"
    #: Bonus for the class top 5 (保持在班级前5名的加10分) and its size.
    top_points: float = 10
    top_n: int = 5
    #: "both": in the top 5 at baseline and end ("stays"); "end": at the end only.
    top_rule: str = "both"
    #: True: the top-5 bonus adds to the rise points (the text adds them);
    #: False: a pupil earning the bonus gets no rise points.
    top_adds_to_rise: bool = True
    #: No serious violation (无严重违纪违法行为): +20. Three-good title: +10.
    conduct_points: float = 20
    three_good_points: float = 10
    #: A missing conduct record: "withhold" the conduct and three-good
    #: points and flag it, or "assume_no_violation" (+20, no title, flagged).
    missing_conduct: str = "withhold"
    #: Ties (并列): "min" competition ranking 1-2-2-4 (school custom), "dense", "average".
    tie_method: str = "min"
    #: Who is ranked: "sat_exam" (pupils who sat that exam) or "class_list"
    #: (everyone on the class list; absent pupils share the last place).
    ranked_population: str = "sat_exam"
    #: Part-two awards for "paired" pupils only, or "all" pupils in the class.
    award_population: str = "paired"
    #: Progress award compares the two semesters of the "same_year" (as
    #: written), or the part-one "baseline".
    progress_compare: str = "same_year"
    award_first_yuan: float = 100
    award_top_yuan: float = 30
    award_top_n: int = 5
    award_progress_yuan: float = 15
    award_progress_places: int = 5
    yuan_per_point: float = 1

    _CHOICES = {"fall_in_rank": ("zero", "negative"), "top_rule": ("both", "end"),
                "missing_conduct": ("withhold", "assume_no_violation"), "tie_method": ("min", "dense", "average"),
                "ranked_population": ("sat_exam", "class_list"), "award_population": ("paired", "all"),
                "progress_compare": ("same_year", "baseline")}

    def __post_init__(self):
        for name, allowed in self._CHOICES.items():
            if getattr(self, name) not in allowed:
                raise UserError(f"rules: {name} = {getattr(self, name)!r} is not allowed; use one of "
                                f"{', '.join(allowed)}.")

    @classmethod
    def from_toml(cls, path: Path) -> "RewardRules":
        """Rules from a TOML file of ``name = value`` lines (unknown names are an error)."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise UserError(f"{path}: the rules file cannot be read ({err}); write it as name = value lines.") \
                from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"{path}: unknown rule(s) {', '.join(unknown)}; the rules are {', '.join(sorted(known))}.")
        return cls(**data)

    def table(self) -> pd.DataFrame:
        """The rules used, one row per rule, for the outputs."""
        return pd.DataFrame({"rule": list(asdict(self)), "value": [str(v) for v in asdict(self).values()]})


# --- ranks ----------------------------------------------------------------------------

def exam_ranks(scores: pd.DataFrame, rules: RewardRules) -> pd.DataFrame:
    """Class rank of every pupil at every exam (school year, semester).

    ``scores``: pupil_id, class_id, school_year, semester, total_score
    (missing = absent). With ``ranked_population="class_list"`` an absent
    pupil shares the place after the last pupil who sat the exam.
    """
    s = scores.reset_index(drop=True)  # the caller's index may repeat labels
    s["total_score"] = pd.to_numeric(s.total_score, errors="coerce")
    s["rank"] = class_rank(s, "total_score", ["class_id", "school_year", "semester"], rules.tie_method)["rank"]
    if rules.ranked_population == "class_list":
        sat = s.total_score.notna().groupby([s.class_id, s.school_year, s.semester]).transform("sum")
        s["rank"] = s["rank"].where(s.total_score.notna(), sat + 1)
    return s


def _exam(ranks: pd.DataFrame, year, semester) -> pd.DataFrame:
    e = ranks[(ranks.school_year == year) & (ranks.semester == semester)]
    return e.set_index("pupil_id")[["class_id", "rank", "total_score"]]


# --- part one -------------------------------------------------------------------------

def pupil_points(scores: pd.DataFrame, pairings: pd.DataFrame, conduct: pd.DataFrame,
                 rules: RewardRules = RewardRules()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Part-one points of every paired pupil and school year, and the audit.

    Returns ``(points, audit)``: points has pupil_id, school_year, class_id,
    base_rank, end_rank, places_risen, points_rise, points_top5,
    points_conduct, points_three_good, points_total, flags; the audit has one
    row per clause applied with its points and the reason in plain words.
    """
    ranks = exam_ranks(scores, rules)
    rows = []
    for year in sorted(pairings.school_year.unique()):  # one pass per school year, not per pupil
        pupils = pd.Index(pairings.loc[pairings.school_year == year, "pupil_id"].unique(), name="pupil_id")
        base_exam = (year, 1) if year == 1 else (year - 1, 2)
        base = _exam(ranks, *base_exam).reindex(pupils)
        end = _exam(ranks, year, 2).reindex(pupils)
        d = pd.DataFrame(index=pupils)
        d["school_year"] = year
        d["class_id"] = end.class_id.fillna(base.class_id)
        d["base_rank"] = base["rank"]
        d["end_rank"] = end["rank"]
        d["base_class"] = base.class_id
        d["base_exam"] = f"school year {base_exam[0]} semester {base_exam[1]}"
        rows.append(d.reset_index())
    d = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["pupil_id", "school_year", "class_id", "base_rank", "end_rank", "base_class", "base_exam"])
    missed_base, missed_end = d.base_rank.isna(), d.end_rank.isna()
    d["places_risen"] = d.base_rank - d.end_rank
    risen = d.places_risen.fillna(0)
    rise = rules.points_per_place * risen.clip(lower=0)
    if rules.fall_in_rank == "negative":
        rise = rise + rules.points_per_place * risen.clip(upper=0)
    in_top_end = d.end_rank <= rules.top_n
    in_top = in_top_end & (d.base_rank <= rules.top_n) if rules.top_rule == "both" else in_top_end
    top = np.where(in_top.fillna(False), rules.top_points, 0.0)
    if not rules.top_adds_to_rise:
        rise = rise.where(top == 0, 0.0)
    ranked = ~(missed_base | missed_end)
    d["points_rise"] = rise.where(ranked, 0.0)
    d["points_top5"] = pd.Series(top, index=d.index).where(ranked, 0.0)
    c = conduct.drop_duplicates(["pupil_id", "school_year"]).set_index(["pupil_id", "school_year"])
    key = pd.MultiIndex.from_frame(d[["pupil_id", "school_year"]])
    violation = c.serious_violation.reindex(key).to_numpy()
    three_good = c.three_good.reindex(key).to_numpy()
    no_record = pd.isna(violation)
    assume = rules.missing_conduct == "assume_no_violation"
    d["points_conduct"] = np.where(no_record, rules.conduct_points if assume else 0.0,
                                   np.where(violation == 1, 0.0, rules.conduct_points))
    d["points_three_good"] = np.where(~pd.isna(three_good) & (three_good == 1), rules.three_good_points, 0.0)
    d["points_total"] = d[["points_rise", "points_top5", "points_conduct", "points_three_good"]].sum(axis=1)
    flags = pd.DataFrame({
        "missed_base_exam": missed_base, "missed_end_exam": missed_end,
        "conduct_missing_withheld": no_record & (not assume), "conduct_missing_assumed": no_record & assume,
        "class_changed": d.base_class.notna() & d.class_id.notna() & (d.base_class != d.class_id),
    })
    d["flags"] = _join_flags(flags)
    audit = _part_one_audit(d, flags, rules)
    out = d[["pupil_id", "school_year", "class_id", "base_rank", "end_rank", "places_risen", "points_rise",
             "points_top5", "points_conduct", "points_three_good", "points_total", "flags"]]
    return out.sort_values(["school_year", "pupil_id"], kind="stable").reset_index(drop=True), audit


def _join_flags(flags: pd.DataFrame) -> pd.Series:
    """Flag names joined with ';' per row ('' when none)."""
    joined = pd.Series("", index=flags.index, dtype=object)
    for c in flags.columns:  # one pass per flag, not per pupil
        joined = joined + np.where(flags[c].fillna(False).to_numpy(dtype=bool), c + ";", "")
    return joined.str.rstrip(";")


def _rank_text(rank: pd.Series) -> pd.Series:
    """Ranks as text for the audit ("absent" where missing); text even when empty."""
    return _text(rank, "absent")


def _text(values: pd.Series, missing: str) -> pd.Series:
    return pd.Series([missing if pd.isna(v) else f"{v:g}" for v in values], index=values.index, dtype=object)


def _part_one_audit(d: pd.DataFrame, flags: pd.DataFrame, rules: RewardRules) -> pd.DataFrame:
    base, end = _rank_text(d.base_rank), _rank_text(d.end_rank)
    missed = flags.missed_base_exam | flags.missed_end_exam
    rank_reason = ("class rank " + base + " at the baseline (" + d.base_exam.astype(str) + "), " + end
                   + " at the end of school year " + d.school_year.astype(str) + " semester 2")
    rise_reason = np.where(missed, "no rank points: the pupil missed the baseline or end exam (" + rank_reason + ")",
                           rank_reason + ": " + _text(d.places_risen, "nan")
                           + f" places x {rules.points_per_place:g} points"
                           + (" (falls count 0)" if rules.fall_in_rank == "zero" else " (falls count negative)"))
    top_reason = np.where(d.points_top5 > 0, f"in the class top {rules.top_n} "
                          + ("at baseline and end" if rules.top_rule == "both" else "at the end"),
                          f"not in the class top {rules.top_n} "
                          + ("at both baseline and end" if rules.top_rule == "both" else "at the end"))
    conduct_reason = np.where(flags.conduct_missing_withheld, "no conduct record: conduct points withheld",
                              np.where(flags.conduct_missing_assumed, "no conduct record: no violation assumed",
                                       np.where(d.points_conduct > 0, "no serious violation",
                                                "a serious violation this school year")))
    good_reason = np.where(d.points_three_good > 0, "three-good student title",
                           np.where(flags.conduct_missing_withheld | flags.conduct_missing_assumed,
                                    "no conduct record: no title", "no three-good title"))
    parts = []
    for clause, col, reason in (("rank_rise", "points_rise", rise_reason), ("top5", "points_top5", top_reason),
                                ("conduct", "points_conduct", conduct_reason),
                                ("three_good", "points_three_good", good_reason)):
        parts.append(pd.DataFrame({"pupil_id": d.pupil_id, "school_year": d.school_year, "part": "helpers",
                                   "clause": clause, "points": d[col], "yuan": d[col] * rules.yuan_per_point,
                                   "reason": reason}))
    return pd.concat(parts, ignore_index=True)


def helper_points(points: pd.DataFrame, pairings: pd.DataFrame, rules: RewardRules = RewardRules()) -> pd.DataFrame:
    """A helper's score: the SUM of the points of the pupils they are
    responsible for in the school year (001 篇6); yuan = points x rate."""
    p = pairings.drop_duplicates(["helper_id", "pupil_id", "school_year"])
    m = p.merge(points[["pupil_id", "school_year", "points_total"]], on=["pupil_id", "school_year"], how="left")
    out = m.groupby(["helper_id", "school_year"], as_index=False).agg(
        helper_role=("helper_role", "first"), n_pupils=("pupil_id", "nunique"),
        points=("points_total", "sum"))
    out = out.astype({"n_pupils": "int64", "points": "float64"})
    out["yuan"] = out.points * rules.yuan_per_point
    return out[["helper_id", "helper_role", "school_year", "n_pupils", "points", "yuan"]].sort_values(
        ["school_year", "helper_id"], kind="stable").reset_index(drop=True)


def head_teacher_points(points: pd.DataFrame, classes: pd.DataFrame,
                        rules: RewardRules = RewardRules()) -> pd.DataFrame:
    """A head teacher's score: the MEAN points of the relevant (paired)
    pupils of the class (学校班主任按本班相关学生所得考核均分, 001 篇6)."""
    m = classes.drop_duplicates(["class_id", "school_year"]).merge(points, on=["class_id", "school_year"])
    out = m.groupby(["head_teacher_id", "class_id", "school_year"], as_index=False).agg(
        n_pupils=("pupil_id", "nunique"), points=("points_total", "mean"))
    out["yuan"] = out.points * rules.yuan_per_point
    return out.sort_values(["school_year", "class_id"], kind="stable").reset_index(drop=True)


# --- part two -------------------------------------------------------------------------

def pupil_awards(scores: pd.DataFrame, pairings: pd.DataFrame,
                 rules: RewardRules = RewardRules()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Part-two awards per pupil and school year, and their audit rows.

    Excellence: rank 1 at the semester-2 final wins ``award_first_yuan``
    (100), ranks 2..5 ``award_top_yuan`` (30). Progress: ``award_progress_places``
    (5) or more places risen since the semester-1 final of the same year
    (or the part-one baseline) wins ``award_progress_yuan`` (15).
    """
    ranks = exam_ranks(scores, rules)
    rows = []
    for year in sorted(ranks.school_year.unique()):
        end = _exam(ranks, year, 2)
        if end.empty:
            continue
        base_exam = (year, 1) if rules.progress_compare == "same_year" else ((year, 1) if year == 1 else (year - 1, 2))
        base = _exam(ranks, *base_exam)
        eligible = end.index
        if rules.award_population == "paired":
            eligible = eligible.intersection(pairings.loc[pairings.school_year == year, "pupil_id"].unique())
        d = pd.DataFrame({"pupil_id": eligible, "school_year": year, "class_id": end.class_id.reindex(eligible).values,
                          "end_rank": end["rank"].reindex(eligible).values,
                          "base_rank": base["rank"].reindex(eligible).values,
                          "sat_end": end.total_score.reindex(eligible).notna().values})
        rows.append(d)
    d = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["pupil_id", "school_year", "class_id", "end_rank", "base_rank", "sat_end"])
    sat = d.sat_end.astype(bool)
    first = sat & (d.end_rank == 1)
    top = sat & (d.end_rank > 1) & (d.end_rank <= rules.award_top_n)
    rise = d.base_rank - d.end_rank
    progress = sat & d.base_rank.notna() & (rise >= rules.award_progress_places)
    d["award_excellence_yuan"] = np.where(first, rules.award_first_yuan, np.where(top, rules.award_top_yuan, 0.0))
    d["award_progress_yuan"] = np.where(progress, rules.award_progress_yuan, 0.0)
    d["award_total_yuan"] = d.award_excellence_yuan + d.award_progress_yuan
    exc_reason = np.where(first, "rank 1 in class at the semester-2 final",
                          np.where(top, "rank " + _rank_text(d.end_rank) + f" (2 to {rules.award_top_n}) at the "
                                   "semester-2 final", "rank " + _rank_text(d.end_rank) + " at the semester-2 final"))
    prog_reason = ("from rank " + _rank_text(d.base_rank) + " to " + _rank_text(d.end_rank) + ": "
                   + (_text(rise, "no comparison") + " places").str.replace("no comparison places", "no comparison")
                   + f" (award from {rules.award_progress_places})")
    audit = pd.concat([
        pd.DataFrame({"pupil_id": d.pupil_id, "school_year": d.school_year, "part": "pupils",
                      "clause": "award_excellence", "points": 0.0, "yuan": d.award_excellence_yuan,
                      "reason": exc_reason}),
        pd.DataFrame({"pupil_id": d.pupil_id, "school_year": d.school_year, "part": "pupils",
                      "clause": "award_progress", "points": 0.0, "yuan": d.award_progress_yuan,
                      "reason": prog_reason}),
    ], ignore_index=True)
    out = d[["pupil_id", "school_year", "class_id", "end_rank", "award_excellence_yuan", "award_progress_yuan",
             "award_total_yuan"]]
    return out.sort_values(["school_year", "pupil_id"], kind="stable").reset_index(drop=True), audit


def score_scheme(scores, pairings, conduct, classes, rules: RewardRules = RewardRules()) -> dict[str, pd.DataFrame]:
    """Both parts: every output table of ``liushou score`` by name."""
    points, audit1 = pupil_points(scores, pairings, conduct, rules)
    awards, audit2 = pupil_awards(scores, pairings, rules)
    audit = pd.concat([audit1, audit2], ignore_index=True).sort_values(
        ["school_year", "pupil_id", "part", "clause"], kind="stable").reset_index(drop=True)
    return {"pupil_points": points, "helper_points": helper_points(points, pairings, rules),
            "head_teacher_points": head_teacher_points(points, classes, rules), "pupil_awards": awards,
            "audit": audit, "rules": rules.table()}


def payout_summary(tables: dict[str, pd.DataFrame], school_year: int) -> dict[str, pd.DataFrame]:
    """One school year's payouts from :func:`score_scheme` output: ``tables``
    (every table cut to the year), ``totals`` (helpers, head teachers and
    pupils' awards: how many and how many yuan), ``by_role`` (helpers by
    role) and ``by_clause`` (the audit trail summed by part and clause)."""
    year = {name: (frame[frame.school_year == school_year] if "school_year" in frame else frame)
            for name, frame in tables.items()}
    helpers, heads, awards = year["helper_points"], year["head_teacher_points"], year["pupil_awards"]
    totals = pd.Series({"school_year": school_year, "helpers": len(helpers), "helpers_yuan": helpers.yuan.sum(),
                        "head_teachers": len(heads), "head_teachers_yuan": heads.yuan.sum(),
                        "pupils_awarded": int((awards.award_total_yuan > 0).sum()),
                        "awards_yuan": awards.award_total_yuan.sum()})
    totals["total_yuan"] = totals.helpers_yuan + totals.head_teachers_yuan + totals.awards_yuan
    by_role = helpers.groupby("helper_role").agg(helpers=("helper_id", "size"), pupils=("n_pupils", "sum"),
                                                 yuan=("yuan", "sum"), mean_yuan=("yuan", "mean")).reset_index()
    by_clause = (year["audit"].groupby(["part", "clause"])
                 .agg(rows=("pupil_id", "size"), points=("points", "sum"), yuan=("yuan", "sum")).reset_index())
    return {"tables": year, "totals": totals, "by_role": by_role, "by_clause": by_clause}
