"""The reward-point scheme (考核及奖励) of the school plan, clause by clause.

Source: 001 篇6 and 篇8 (docs/sources.md), set out clause by clause in
docs/domain.md section 6. Part one pays the helpers (牵手扶助志愿者) and head
teachers for the left-behind and single-parent pupils they take on; part
two pays pupils awards.

Part one, per pupil and school year (the person assessed gets):

1. baseline: each pupil's assessed years count from the pupil's own grade 7
   (初一): in year 1 the class rank by total score at the grade-7
   semester-1 final (初一第一学期期末), in year n the rank at the end of year
   n-1 (a full year's comparison: kept as written, and said in the audit);
   a baseline before the data begin is an open choice;
2. ``points_per_place`` (10) per place risen by the end of semester 2;
3. ``top_points`` (10) for staying in the class top 5;
4. ``conduct_points`` (20) for no serious violation of discipline or law;
5. ``three_good_points`` (10) for a three-good-student title;
6. a helper's score is the SUM over the pupils they are responsible for
   (包保) who count (left behind or single-parent); a head teacher's is the
   MEAN over the class's paired pupils who count; one point is paid as
   ``yuan_per_point`` (1) yuan. Pupils who help a classmate are not paid.

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

from liushou_analysis.core import codebook
from liushou_analysis.core.codebook import PUPIL_HELPER_ROLES, UNKNOWN_ROLE
from liushou_analysis.core.errors import UserError
from liushou_analysis.core.flags import is_true
from liushou_analysis.indicators.ranks import class_rank


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
    #: The plan's baseline lies before the data begin (a pupil already in
    #: grade 8 when the records start): "exclude" (no rank points, flagged
    #: ``baseline_before_data``) or "earliest_exam" (the first exam in the
    #: data stands in for it).
    baseline_before_data: str = "exclude"
    #: Whom part one pays (一块为牵手扶助志愿者、班主任): "adults" (every helper
    #: who is not a pupil, and head teachers) or "all" (pupils who help a
    #: classmate too). Helpers not paid are listed with their points and 0 yuan.
    paid_helpers: str = "adults"
    #: Which paired pupils count (包保留守、单亲儿童): "left_behind_or_single_parent",
    #: "left_behind", "single_parent" or "all_paired"; left behind under
    #: ``left_behind_definition``; a pupil with no status record is counted
    #: or excluded by ``status_unknown``.
    assessed_pupils: str = "left_behind_or_single_parent"
    left_behind_definition: str = "either_parent"
    status_unknown: str = "count"
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
    #: What every amount a person is paid is rounded to: "fen" (0.01 yuan) or "yuan", half-up (half away from
    #: zero) per person; totals are the sums of the rounded amounts, and the audit shows the difference from the
    #: unrounded total (a head teacher's pay is a mean of points: 550 / 7 = 78.571... yuan pays 78.57).
    pay_rounding: str = "fen"

    #: How amounts are paid out (not a reading of the plan, so not among the open choices the audit varies).
    _PAYMENT = {"pay_rounding": ("fen", "yuan")}
    _CHOICES = {"fall_in_rank": ("zero", "negative"), "top_rule": ("both", "end"),
                "missing_conduct": ("withhold", "assume_no_violation"), "tie_method": ("min", "dense", "average"),
                "ranked_population": ("sat_exam", "class_list"), "award_population": ("paired", "all"),
                "progress_compare": ("same_year", "baseline"),
                "baseline_before_data": ("exclude", "earliest_exam"), "paid_helpers": ("adults", "all"),
                "assessed_pupils": ("left_behind_or_single_parent", "left_behind", "single_parent", "all_paired"),
                "left_behind_definition": ("either_parent", "strict_both_3m", "official_2016"),
                "status_unknown": ("count", "exclude")}

    def __post_init__(self):
        for name, allowed in {**self._CHOICES, **self._PAYMENT}.items():
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


# --- who is assessed -----------------------------------------------------------------

#: Left-behind definitions a rule may name (see status.DEFINITIONS).
LEFT_BEHIND_DEFINITIONS = ("either_parent", "strict_both_3m", "official_2016")
#: Columns of the optional pupil-status input: left-behind under each
#: definition and single-parent (or orphaned), per pupil and school year.
STATUS_COLUMNS = tuple(f"left_behind_{d}" for d in LEFT_BEHIND_DEFINITIONS) + ("single_parent",)


def _status(pupils: pd.DataFrame | None, keys: pd.DataFrame) -> pd.DataFrame:
    """The status columns for each (pupil_id, school_year) of ``keys``
    (missing where unknown). A pupil without a record in that school year
    keeps the status of their latest earlier record."""
    out = keys[["pupil_id", "school_year"]].copy()
    if pupils is None or pupils.empty:
        for c in STATUS_COLUMNS:
            out[c] = pd.array([pd.NA] * len(out), dtype="boolean")
        return out
    p = pupils.copy()
    if "school_year" not in p:  # one status for every year
        p["school_year"] = 0
    for c in STATUS_COLUMNS:
        p[c] = p[c].astype("boolean") if c in p else pd.array([pd.NA] * len(p), dtype="boolean")
    p = p[["pupil_id", "school_year", *STATUS_COLUMNS]].astype({"school_year": "int64"})
    p = p.sort_values(["school_year", "pupil_id"], kind="stable")
    o = out.reset_index().astype({"school_year": "int64"}).sort_values(["school_year", "pupil_id"], kind="stable")
    got = pd.merge_asof(o, p, on="school_year", by="pupil_id", direction="backward")
    got = got.set_index("index").reindex(out.index)
    for c in STATUS_COLUMNS:
        out[c] = got[c].astype("boolean")
    return out


def counted_pupils(keys: pd.DataFrame, pupils: pd.DataFrame | None, rules: "RewardRules") -> pd.DataFrame:
    """Whether each paired pupil-year counts for part one (the plan pays for
    the 「留守、单亲儿童」 a helper takes on), and why not when not.

    Returns ``keys`` with ``counted`` (bool) and ``status_unknown`` (bool)
    and ``not_counted_reason`` ('' when counted).
    """
    s = _status(pupils, keys)
    lb = s[f"left_behind_{rules.left_behind_definition}"]
    single = s["single_parent"]
    which = rules.assessed_pupils
    if which == "all_paired":
        status = pd.array([True] * len(s), dtype="boolean")
    elif which == "left_behind":
        status = lb
    elif which == "single_parent":
        status = single
    else:
        status = lb | single
    status = pd.Series(status, index=s.index, dtype="boolean")
    unknown = status.isna()
    counted = status.fillna(rules.status_unknown == "count").astype(bool)
    neither = {"left_behind": f"not left behind ({rules.left_behind_definition})",
               "single_parent": "not single-parent",
               "left_behind_or_single_parent": f"neither left behind ({rules.left_behind_definition}) nor "
                                               "single-parent"}.get(which, "")
    reason = np.select([counted.to_numpy(), unknown.to_numpy()],
                       ["", "no left-behind or family record for the pupil (status_unknown = exclude)"],
                       f"{neither}: the plan pays for 留守、单亲儿童 (assessed_pupils = {which})")
    return keys.assign(counted=counted.to_numpy(), status_unknown=unknown.to_numpy(), not_counted_reason=reason)


#: Decimal places each ``pay_rounding`` keeps.
PAY_DECIMALS = {"fen": 2, "yuan": 0}


def round_pay(yuan, rules: "RewardRules"):
    """Amounts rounded half-up (half away from zero, 四舍五入) to the fen or the yuan of ``rules.pay_rounding``.

    Floating-point noise is taken off first, so 1.005 yuan, stored as 1.00499..., pays 1.01.

    >>> round_pay(np.array([78.571428, 1.005, 2.5, -0.125, 30.0]), RewardRules()).tolist()
    [78.57, 1.01, 2.5, -0.13, 30.0]
    >>> round_pay(np.array([78.571428, 2.5]), RewardRules(pay_rounding="yuan")).tolist()
    [79.0, 3.0]
    """
    scale = 10.0 ** PAY_DECIMALS[rules.pay_rounding]
    scaled = np.round(np.asarray(yuan, dtype=float) * scale, 6)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / scale
    return rounded + 0.0  # no negative zero


def rounding_audit(part: str, frame: pd.DataFrame, exact: str, paid: str, rules: "RewardRules") -> pd.DataFrame:
    """One audit row per school year where rounding changed an amount of ``part``: what the rounded amounts
    (column ``paid``) add up to against the unrounded total (column ``exact``), the difference as its yuan."""
    changed = frame[paid].ne(frame[exact].round(9))
    g = frame.assign(_changed=changed).groupby("school_year")
    out = g.agg(exact=(exact, "sum"), paid=(paid, "sum"), changed=("_changed", "sum"), n=(paid, "size")).reset_index()
    out = out[out.changed > 0]
    if out.empty:
        return pd.DataFrame(columns=["pupil_id", "helper_id", "school_year", "part", "clause", "points", "yuan",
                                     "reason"])
    unit = {"fen": "the fen", "yuan": "the whole yuan"}[rules.pay_rounding]
    reason = (f"amounts rounded half-up to {unit} per person (pay_rounding = {rules.pay_rounding}): "
              + out.changed.astype(int).astype(str) + " of " + out.n.astype(str) + " amounts changed; unrounded "
              "total " + out.exact.map("{:,.4f}".format) + " yuan, paid total " + out.paid.map("{:,.2f}".format)
              + " yuan")
    return pd.DataFrame({"pupil_id": None, "helper_id": None, "school_year": out.school_year, "part": part,
                         "clause": "rounding", "points": 0.0, "yuan": (out.paid - out.exact).round(9),
                         "reason": reason})


def paid_role(roles: pd.Series, rules: "RewardRules") -> pd.Series:
    """True where part one pays a helper of this role: the plan pays
    牵手扶助志愿者 and 班主任, so with ``paid_helpers = "adults"`` the
    codebook's PUPIL_HELPER_ROLES are listed with their points but paid
    nothing. A role that is missing or not the codebook's (``unknown``: a
    post nobody could read) is never paid: it might be a pupil."""
    known = roles.isin(codebook.codes("helper_role"))  # a helper whose role is unknown is never paid
    if rules.paid_helpers == "all":
        return known
    return known & ~roles.isin(PUPIL_HELPER_ROLES)


# --- the exams each assessment compares -------------------------------------------------

def _exam_index(year, semester):
    """Exams in time order: school year 1 semester 1 is 0, semester 2 is 1, ..."""
    return 2 * (year - 1) + (semester - 1)


def _grades(scores: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    """Each pupil's grade in each school year of ``keys``: from their exams
    that year (the later semester first), else from another year's grade
    moved by the years between; missing without a ``grade`` column."""
    if "grade" not in scores or scores.grade.isna().all():
        return pd.Series(np.nan, index=keys.index)
    s = scores.dropna(subset=["grade"]).astype({"grade": "float64"})
    per_year = (s.sort_values(["semester"], kind="stable")
                .drop_duplicates(["pupil_id", "school_year"], keep="last")
                .set_index(["pupil_id", "school_year"]).grade)
    key = pd.MultiIndex.from_frame(keys[["pupil_id", "school_year"]])
    grade = pd.Series(per_year.reindex(key).to_numpy(), index=keys.index)
    offset = (s.grade - s.school_year).groupby(s.pupil_id).last()
    guess = keys.pupil_id.map(offset).astype("float64") + keys.school_year.astype("float64")
    return grade.fillna(guess)


def plan_exams(scores: pd.DataFrame, keys: pd.DataFrame, rules: "RewardRules") -> pd.DataFrame:
    """The baseline and end exams the plan compares for each pupil-year.

    Each pupil's assessed years are numbered from their own grade 7 (初一):
    in year 1 the baseline is the grade-7 semester-1 final
    (以初一第一学期期末学习成绩总分名次为考核基数), in year n the end of year
    n-1 (第二学年的考核就以第一学年第二学期期末学生考试成绩名次为依据); the end
    is the semester-2 final. A primary pupil's year 1 is grade 1. Without a
    grade, the school years are the scheme's years as given.

    Where the baseline exam lies before the data begin (the first exam of
    the pupil's school, or of the scores when there is no school column),
    ``baseline_before_data`` is True and ``rules.baseline_before_data``
    decides: "exclude" keeps no baseline (no rank points), "earliest_exam"
    takes the first exam of the data instead.

    Returns ``keys`` (pupil_id, school_year) with grade, scheme_year,
    base_year, base_semester, baseline_before_data.
    """
    d = keys[["pupil_id", "school_year"]].copy()
    d["grade"] = _grades(scores, d).to_numpy()
    first_grade = np.where(d.grade >= 7, 7, 1)
    d["scheme_year"] = (d.grade - first_grade + 1).where(d.grade.notna(), d.school_year)
    first = d.scheme_year <= 1
    d["base_year"] = np.where(first, d.school_year, d.school_year - 1)
    d["base_semester"] = np.where(first, 1, 2)
    exam = _exam_index(scores.school_year, scores.semester)
    if "school" in scores:
        school = scores.drop_duplicates("pupil_id", keep="last").set_index("pupil_id").school
        start = d.pupil_id.map(school).map(exam.groupby(scores.school).min()).fillna(exam.min())
    else:
        start = pd.Series(exam.min(), index=d.index)
    base = _exam_index(d.base_year, d.base_semester)
    before = base < start
    d["baseline_before_data"] = before.to_numpy()
    use = before & (start < _exam_index(d.school_year, 2)) & (rules.baseline_before_data == "earliest_exam")
    d["base_year"] = np.where(use, start // 2 + 1, d.base_year)
    d["base_semester"] = np.where(use, start % 2 + 1, d.base_semester)
    #: where the baseline comes from: the plan's own exam, the earliest exam
    #: standing in for it, or none (before the data, nothing stands in)
    d["baseline_from"] = np.where(~before, "plan", np.where(use, "earliest_exam", "none"))
    return d


def _exam_name(grade: pd.Series, year: pd.Series, semester: pd.Series) -> pd.Series:
    """'grade 7 semester 1 (school year 2)'; 'school year 2 semester 1'
    without a grade; a year before the first reads 'before the data'."""
    sem = " semester " + semester.astype(int).astype(str)
    when = np.where(year >= 1, "school year " + year.astype(int).astype(str), "before the data")
    g = grade.astype("Float64")
    return pd.Series(np.where(g.notna().to_numpy(dtype=bool),
                              "grade " + g.fillna(0).astype(int).astype(str) + sem + " (" + when + ")",
                              when + sem), index=grade.index)


def _successor_class(at: pd.DataFrame, d: pd.DataFrame) -> pd.Series:
    """The class each pupil's baseline class became by the end exam: the end
    class of most of the baseline class's pupils (ties to the first by name).
    A pupil whose end class is another class really moved.

    ``at``: class_id by (pupil_id, school_year, semester) for every pupil.
    One pass per distinct pair of exams compared (a few per dataset)."""
    out = pd.Series(np.nan, index=d.index, dtype=object)
    cls = at.class_id
    for (by, bs, y), rows in d.groupby(["base_year", "base_semester", "school_year"]).groups.items():
        try:
            base = cls.xs((by, bs), level=(1, 2))
            end = cls.xs((y, 2), level=(1, 2))
        except KeyError:
            continue
        both = pd.DataFrame({"b": base, "e": end}).dropna()
        if both.empty:
            continue
        n = both.groupby(["b", "e"]).size().rename("n").reset_index()
        succ = n.sort_values(["n", "e"], ascending=[False, True], kind="stable").drop_duplicates("b").set_index("b").e
        out[rows] = d.loc[rows, "base_class"].map(succ).to_numpy()
    return out


# --- part one -------------------------------------------------------------------------

POINT_COLUMNS = ["pupil_id", "school_year", "grade", "scheme_year", "class_id", "base_exam", "base_rank", "end_rank",
                 "places_risen", "points_rise", "points_top5", "points_conduct", "points_three_good", "points_total",
                 "counted", "points_paid", "flags"]


def rank_clauses(base_rank: np.ndarray, end_rank: np.ndarray, rules: RewardRules) -> tuple[np.ndarray, np.ndarray]:
    """Points of the two rank clauses for class ranks at the baseline and at the end, arrays of any shape (one
    pupil each, or pupils by replays in the audit): 每上升1个名次加10分 (``points_per_place`` a place risen;
    a fall counts 0 or, with ``fall_in_rank = "negative"``, against) and 保持在班级前5名的加10分 (``top_points``
    when in the top ``top_n`` at both exams, or at the end only with ``top_rule = "end"``). A missing rank (NaN)
    gives 0 for both.

    >>> rank_clauses(np.array([10.0, 3, 2, np.nan]), np.array([4.0, 6, 1, 1]), RewardRules())
    (array([60.,  0., 10.,  0.]), array([ 0.,  0., 10.,  0.]))
    """
    risen = np.nan_to_num(base_rank - end_rank)
    rise = rules.points_per_place * np.clip(risen, 0, None)
    if rules.fall_in_rank == "negative":
        rise = rise + rules.points_per_place * np.clip(risen, None, 0)
    with np.errstate(invalid="ignore"):
        in_top = end_rank <= rules.top_n
        if rules.top_rule == "both":
            in_top &= base_rank <= rules.top_n
    top = np.where(in_top, float(rules.top_points), 0.0)
    if not rules.top_adds_to_rise:
        rise = np.where(top == 0, rise, 0.0)
    ranked = ~np.isnan(base_rank) & ~np.isnan(end_rank)
    return np.where(ranked, rise, 0.0) + 0.0, np.where(ranked, top, 0.0)


def pupil_points(scores: pd.DataFrame, pairings: pd.DataFrame, conduct: pd.DataFrame,
                 rules: RewardRules = RewardRules(), pupils: pd.DataFrame | None = None, audit: bool = True
                 ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Part-one points of every paired pupil and school year, and the audit.

    ``pupils`` (optional): pupil_id, school_year and the STATUS_COLUMNS, for
    deciding which pupils count (``assessed_pupils``).

    Returns ``(points, audit)``: points has pupil_id, school_year, grade,
    scheme_year, class_id, base_exam, base_rank, end_rank, places_risen,
    points_rise, points_top5, points_conduct, points_three_good,
    points_total (the clauses' sum), counted, points_paid (points_total
    when the pupil counts, else 0) and flags; the audit has one row per
    clause applied with its points and the reason in plain words (None with
    ``audit=False``, for the audit's replays, which need only the points:
    then ``base_exam`` and ``flags`` are left empty too).
    """
    ranks = exam_ranks(scores, rules)
    keys = pairings[["pupil_id", "school_year"]].drop_duplicates().reset_index(drop=True)
    if keys.empty:
        return (pd.DataFrame(columns=POINT_COLUMNS),
                pd.DataFrame(columns=["pupil_id", "helper_id", "school_year", "part", "clause", "points", "yuan",
                                      "reason"]))
    d = plan_exams(scores, keys, rules)
    at = ranks.drop_duplicates(["pupil_id", "school_year", "semester"]).set_index(
        ["pupil_id", "school_year", "semester"])[["class_id", "rank"]]
    base_key = pd.MultiIndex.from_arrays([d.pupil_id, d.base_year, d.base_semester])
    end_key = pd.MultiIndex.from_arrays([d.pupil_id, d.school_year, np.full(len(d), 2)])
    base, end = at.reindex(base_key), at.reindex(end_key)
    excluded = pd.Series(d.baseline_from == "none", index=d.index)
    d["base_rank"] = np.where(excluded, np.nan, base["rank"].to_numpy())
    d["base_class"] = base.class_id.to_numpy()
    d["end_rank"] = end["rank"].to_numpy()
    d["class_id"] = pd.Series(end.class_id.to_numpy(), index=d.index).fillna(d.base_class)
    # the exam's name and the class-change check only feed the flags and the audit: replays skip them
    d["base_exam"] = _exam_name(d.grade - (d.school_year - d.base_year), d.base_year, d.base_semester) \
        if audit else None
    successor = _successor_class(at, d) if audit else None
    missed_base = d.base_rank.isna() & ~excluded
    missed_end = d.end_rank.isna()
    d["places_risen"] = d.base_rank - d.end_rank
    d["points_rise"], d["points_top5"] = rank_clauses(d.base_rank.to_numpy(float), d.end_rank.to_numpy(float), rules)
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
    who = counted_pupils(d[["pupil_id", "school_year"]], pupils, rules)
    d["counted"] = who.counted.to_numpy()
    d["paid_helpers"] = _paid_helpers_per_pupil(pairings, d, rules)
    d["points_paid"] = d.points_total.where(d.counted, 0.0)
    if not audit:
        d["flags"] = None
        return d[POINT_COLUMNS].sort_values(["school_year", "pupil_id"], kind="stable").reset_index(drop=True), None
    flags = pd.DataFrame({
        "baseline_before_data": d.baseline_before_data,
        "missed_base_exam": missed_base, "missed_end_exam": missed_end,
        "conduct_missing_withheld": no_record & (not assume), "conduct_missing_assumed": no_record & assume,
        "class_changed": d.base_class.notna() & d.class_id.notna() & successor.notna() & (d.class_id != successor),
        "status_unknown": who.status_unknown.to_numpy(), "not_counted": ~d.counted,
    })
    d["flags"] = _join_flags(flags)
    trail = _part_one_audit(d, flags, who.not_counted_reason.to_numpy(), rules) if audit else None
    out = d[POINT_COLUMNS]
    return out.sort_values(["school_year", "pupil_id"], kind="stable").reset_index(drop=True), trail


def _paid_helpers_per_pupil(pairings: pd.DataFrame, d: pd.DataFrame, rules: RewardRules) -> np.ndarray:
    """How many paid helpers each pupil-year of ``d`` has (each is paid the
    pupil's points); 1 where the pairings name no helper."""
    if not {"helper_id", "helper_role"} <= set(pairings.columns):
        return np.ones(len(d))
    p = pairings.drop_duplicates(["helper_id", "pupil_id", "school_year"])
    n = paid_role(p.helper_role, rules).groupby([p.pupil_id, p.school_year]).sum()
    return n.reindex(pd.MultiIndex.from_frame(d[["pupil_id", "school_year"]])).fillna(0).to_numpy()


def _join_flags(flags: pd.DataFrame) -> pd.Series:
    """Flag names joined with ';' per row ('' when none)."""
    joined = pd.Series("", index=flags.index, dtype=object)
    for c in flags.columns:  # one pass per flag, not per pupil
        joined = joined + np.where(is_true(flags[c]).to_numpy(), c + ";", "")
    return joined.str.rstrip(";")


def _rank_text(rank: pd.Series) -> pd.Series:
    """Ranks as text for the audit ("absent" where missing); text even when empty."""
    return _text(rank, "absent")


def _text(values: pd.Series, missing: str) -> pd.Series:
    return pd.Series([missing if pd.isna(v) else f"{v:g}" for v in values], index=values.index, dtype=object)


def _part_one_audit(d: pd.DataFrame, flags: pd.DataFrame, not_counted: np.ndarray,
                    rules: RewardRules) -> pd.DataFrame:
    base, end = _rank_text(d.base_rank), _rank_text(d.end_rank)
    missed = flags.missed_base_exam | flags.missed_end_exam
    baseline = pd.Series(np.where(
        d.baseline_from == "earliest_exam", "the earliest exam in the data, " + d.base_exam.astype(str)
        + ", as the plan's baseline lies before the data begin (baseline_before_data = earliest_exam)",
        np.where(d.scheme_year <= 1, "the grade-7 semester-1 final, " + d.base_exam.astype(str),
                 "the end of the previous school year, " + d.base_exam.astype(str))), index=d.index)
    rank_reason = ("class rank " + base + " at the baseline (" + baseline + "), " + end
                   + " at the end of school year " + d.school_year.astype(str) + " semester 2")
    rise_reason = np.where(
        d.baseline_from == "none",
        "no rank points: the plan's baseline (" + d.base_exam.astype(str) + ") lies before the data begin "
        f"(baseline_before_data = {rules.baseline_before_data})",
        np.where(missed, "no rank points: the pupil missed the baseline or end exam (" + rank_reason + ")",
                 rank_reason + ": " + _text(d.places_risen, "nan") + f" places x {rules.points_per_place:g} points"
                 + (" (falls count 0)" if rules.fall_in_rank == "zero" else " (falls count negative)")))
    rise_reason = np.where(flags.class_changed, rise_reason + "; the pupil moved class since the baseline",
                           rise_reason)
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
    counted = d.counted.to_numpy()
    payers = np.where(counted, d.paid_helpers.to_numpy(), 0)  # the clause's yuan reach each paid helper
    parts = []
    for clause, col, reason in (("rank_rise", "points_rise", rise_reason), ("top5", "points_top5", top_reason),
                                ("conduct", "points_conduct", conduct_reason),
                                ("three_good", "points_three_good", good_reason)):
        parts.append(pd.DataFrame({"pupil_id": d.pupil_id, "helper_id": None, "school_year": d.school_year,
                                   "part": "helpers", "clause": clause, "points": d[col],
                                   "yuan": d[col] * payers * rules.yuan_per_point,
                                   "reason": np.where(counted, np.where(payers > 0, reason, reason + "; no paid "
                                                      "helper"), "(not counted) " + pd.Series(reason,
                                                      index=d.index).astype(str))}))
    out = d[~counted]
    parts.append(pd.DataFrame({"pupil_id": out.pupil_id, "helper_id": None, "school_year": out.school_year,
                               "part": "helpers", "clause": "pupil_counted", "points": 0.0, "yuan": 0.0,
                               "reason": not_counted[~counted]}))
    return pd.concat(parts, ignore_index=True)


HELPER_COLUMNS = ["helper_id", "helper_role", "school_year", "n_pupils", "n_counted", "points", "paid", "yuan"]


def helper_points(points: pd.DataFrame, pairings: pd.DataFrame, rules: RewardRules = RewardRules(),
                  exact: bool = False) -> pd.DataFrame:
    """A helper's score: the SUM of the points of the counted pupils they
    are responsible for in the school year (牵手扶助人员所得总分等于包保留守、
    单亲儿童各自所得考核分的总和, 001 篇6); yuan = points x rate when the
    helper's role is paid (``paid_helpers``), else 0, rounded by :func:`round_pay`
    (``exact``: with the unrounded amount beside it, ``yuan_exact``, for the audit)."""
    p = pairings.drop_duplicates(["helper_id", "pupil_id", "school_year"])
    p = p.assign(helper_role=p.helper_role.fillna(UNKNOWN_ROLE))
    m = p.merge(points[["pupil_id", "school_year", "points_paid", "counted"]], on=["pupil_id", "school_year"],
                how="left")
    m["counted_id"] = m.pupil_id.where(is_true(m.counted))
    m["paid"] = paid_role(m.helper_role, rules)  # per pairing: the role the helper has with this pupil
    m["paid_points"] = m.points_paid.where(m.paid, 0.0)
    out = m.groupby(["helper_id", "school_year"], as_index=False).agg(
        helper_role=("helper_role", "first"), n_pupils=("pupil_id", "nunique"),
        n_counted=("counted_id", "nunique"), points=("points_paid", "sum"), paid=("paid", "any"),
        paid_points=("paid_points", "sum"))
    out = out.astype({"n_pupils": "int64", "n_counted": "int64", "points": "float64", "paid": bool})
    out["yuan_exact"] = out.paid_points * rules.yuan_per_point
    out["yuan"] = round_pay(out.yuan_exact, rules)
    return out[HELPER_COLUMNS + (["yuan_exact"] if exact else [])].sort_values(
        ["school_year", "helper_id"], kind="stable").reset_index(drop=True)


def unpaid_helper_audit(helpers: pd.DataFrame, rules: RewardRules) -> pd.DataFrame:
    """One audit row per helper-year that part one does not pay, saying why."""
    h = helpers[~helpers.paid]
    unknown = h.helper_role == UNKNOWN_ROLE
    reason = np.where(unknown, "helper whose post could not be read as a role: not paid until the post is read "
                               "(it may be a pupil's post; see the problem rows of liushou score)",
                      h.helper_role + " helper: not paid; part one pays 牵手扶助志愿者 and 班主任, and a "
                      f"pupil helping a classmate is neither (paid_helpers = {rules.paid_helpers})")
    return pd.DataFrame({"pupil_id": None, "helper_id": h.helper_id, "school_year": h.school_year,
                         "part": "helpers", "clause": "helper_paid", "points": h.points, "yuan": 0.0,
                         "reason": reason})


def head_teacher_points(points: pd.DataFrame, classes: pd.DataFrame,
                        rules: RewardRules = RewardRules(), exact: bool = False) -> pd.DataFrame:
    """A head teacher's score: the MEAN points of the relevant pupils of the
    class, the paired pupils who count (学校班主任按本班相关学生所得考核均分, 001 篇6);
    yuan = points x rate rounded by :func:`round_pay` (``exact``: with ``yuan_exact`` beside it)."""
    counted = points[points.counted.astype(bool)] if "counted" in points else points
    m = classes.drop_duplicates(["class_id", "school_year"]).merge(counted, on=["class_id", "school_year"])
    out = m.groupby(["head_teacher_id", "class_id", "school_year"], as_index=False).agg(
        n_pupils=("pupil_id", "nunique"), points=("points_total", "mean"))
    out["yuan_exact"] = out.points * rules.yuan_per_point
    out["yuan"] = round_pay(out.yuan_exact, rules)
    out = out if exact else out.drop(columns="yuan_exact")
    return out.sort_values(["school_year", "class_id"], kind="stable").reset_index(drop=True)


# --- part two -------------------------------------------------------------------------

def pupil_awards(scores: pd.DataFrame, pairings: pd.DataFrame, rules: RewardRules = RewardRules(),
                 audit: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Part-two awards per pupil and school year, and their audit rows (None with ``audit=False``).

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
        eligible = end.index
        if rules.award_population == "paired":
            eligible = eligible.intersection(pairings.loc[pairings.school_year == year, "pupil_id"].unique())
        if rules.progress_compare == "same_year":
            base_rank = _exam(ranks, year, 1)["rank"].reindex(eligible).to_numpy()
        else:  # the part-one baseline, each pupil's own (plan_exams)
            exams = plan_exams(scores, pd.DataFrame({"pupil_id": eligible, "school_year": year}), rules)
            at = ranks.drop_duplicates(["pupil_id", "school_year", "semester"]).set_index(
                ["pupil_id", "school_year", "semester"])["rank"]
            base_rank = at.reindex(pd.MultiIndex.from_arrays([exams.pupil_id, exams.base_year, exams.base_semester])
                                   ).to_numpy()
            base_rank = np.where(exams.baseline_from.to_numpy() == "none", np.nan, base_rank)
        d = pd.DataFrame({"pupil_id": eligible, "school_year": year, "class_id": end.class_id.reindex(eligible).values,
                          "end_rank": end["rank"].reindex(eligible).values, "base_rank": base_rank,
                          "sat_end": end.total_score.reindex(eligible).notna().values})
        rows.append(d)
    d = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["pupil_id", "school_year", "class_id", "end_rank", "base_rank", "sat_end"])
    sat = d.sat_end.astype(bool)
    first = sat & (d.end_rank == 1)
    top = sat & (d.end_rank > 1) & (d.end_rank <= rules.award_top_n)
    rise = d.base_rank - d.end_rank
    progress = sat & d.base_rank.notna() & (rise >= rules.award_progress_places)
    d["award_excellence_yuan"] = round_pay(np.where(first, rules.award_first_yuan,
                                                    np.where(top, rules.award_top_yuan, 0.0)), rules)
    d["award_progress_yuan"] = round_pay(np.where(progress, rules.award_progress_yuan, 0.0), rules)
    d["award_total_yuan"] = d.award_excellence_yuan + d.award_progress_yuan
    out = d[["pupil_id", "school_year", "class_id", "end_rank", "award_excellence_yuan", "award_progress_yuan",
             "award_total_yuan"]].sort_values(["school_year", "pupil_id"], kind="stable").reset_index(drop=True)
    if not audit:
        return out, None
    exc_reason = np.where(first, "rank 1 in class at the semester-2 final",
                          np.where(top, "rank " + _rank_text(d.end_rank) + f" (2 to {rules.award_top_n}) at the "
                                   "semester-2 final", "rank " + _rank_text(d.end_rank) + " at the semester-2 final"))
    prog_reason = ("from rank " + _rank_text(d.base_rank) + " to " + _rank_text(d.end_rank) + ": "
                   + (_text(rise, "no comparison") + " places").str.replace("no comparison places", "no comparison")
                   + f" (award from {rules.award_progress_places})")
    trail = pd.concat([
        pd.DataFrame({"pupil_id": d.pupil_id, "helper_id": None, "school_year": d.school_year, "part": "pupils",
                      "clause": "award_excellence", "points": 0.0, "yuan": d.award_excellence_yuan,
                      "reason": exc_reason}),
        pd.DataFrame({"pupil_id": d.pupil_id, "helper_id": None, "school_year": d.school_year, "part": "pupils",
                      "clause": "award_progress", "points": 0.0, "yuan": d.award_progress_yuan,
                      "reason": prog_reason}),
    ], ignore_index=True)
    return out, trail


def score_scheme(scores, pairings, conduct, classes, rules: RewardRules = RewardRules(),
                 pupils: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Both parts: every output table of ``liushou score`` by name.
    ``pupils`` is the optional pupil status (see :func:`pupil_points`)."""
    points, audit1 = pupil_points(scores, pairings, conduct, rules, pupils=pupils)
    awards, audit2 = pupil_awards(scores, pairings, rules)
    return assemble(points, audit1, awards, audit2, pairings, classes, rules)


def assemble(points, audit1, awards, audit2, pairings, classes, rules: RewardRules) -> dict[str, pd.DataFrame]:
    """The scheme's tables from the pupils' part one and part two (:func:`pupil_points`, :func:`pupil_awards`,
    made at once or in parts, :mod:`.partitions`): the helpers' and head teachers' sums, the rounding, and the
    audit in one order."""
    helpers = helper_points(points, pairings, rules, exact=True)
    heads = head_teacher_points(points, classes, rules, exact=True)
    rounding = [rounding_audit("helpers", helpers, "yuan_exact", "yuan", rules),
                rounding_audit("head_teachers", heads, "yuan_exact", "yuan", rules)]
    audit = pd.concat([audit1] + [frame for frame in [unpaid_helper_audit(helpers, rules), audit2, *rounding]
                                  if len(frame)], ignore_index=True).sort_values(
        ["school_year", "pupil_id", "helper_id", "part", "clause"], kind="stable", na_position="last"
    ).reset_index(drop=True)
    return {"pupil_points": points, "helper_points": helpers.drop(columns="yuan_exact"),
            "head_teacher_points": heads.drop(columns="yuan_exact"), "pupil_awards": awards,
            "audit": audit, "rules": rules.table()}


def payout_totals(scores, pairings, conduct, classes, rules: RewardRules = RewardRules(),
                  pupils: pd.DataFrame | None = None) -> dict[str, float]:
    """What :func:`score_scheme` pays in all, without its audit trail (for replays that need only the
    totals): helpers' yuan, head teachers' yuan, pupils' awards and their sum, each a sum of rounded amounts."""
    points, _ = pupil_points(scores, pairings, conduct, rules, pupils=pupils, audit=False)
    helpers = round(helper_points(points, pairings, rules).yuan.sum(), 2)
    heads = round(head_teacher_points(points, classes, rules).yuan.sum(), 2)
    awards = round(pupil_awards(scores, pairings, rules, audit=False)[0].award_total_yuan.sum(), 2)
    return {"helpers_yuan": helpers, "head_teachers_yuan": heads, "awards_yuan": awards,
            "total_yuan": round(helpers + heads + awards, 2)}


def payout_summary(tables: dict[str, pd.DataFrame], school_year: int) -> dict[str, pd.DataFrame]:
    """One school year's payouts from :func:`score_scheme` output: ``tables``
    (every table cut to the year), ``totals`` (helpers, head teachers and
    pupils' awards: how many and how many yuan), ``by_role`` (helpers by
    role) and ``by_clause`` (the audit trail summed by part and clause)."""
    year = {name: (frame[frame.school_year == school_year] if "school_year" in frame else frame)
            for name, frame in tables.items()}
    helpers, heads, awards = year["helper_points"], year["head_teacher_points"], year["pupil_awards"]
    # totals are sums of the rounded amounts each person is paid (round(., 2) takes off the float noise of a sum)
    totals = pd.Series({"school_year": school_year, "helpers": int(helpers.paid.sum()),
                        "helpers_not_paid": int((~helpers.paid).sum()), "helpers_yuan": round(helpers.yuan.sum(), 2),
                        "head_teachers": len(heads), "head_teachers_yuan": round(heads.yuan.sum(), 2),
                        "pupils_awarded": int((awards.award_total_yuan > 0).sum()),
                        "awards_yuan": round(awards.award_total_yuan.sum(), 2)})
    totals["total_yuan"] = round(totals.helpers_yuan + totals.head_teachers_yuan + totals.awards_yuan, 2)
    by_role = helpers.groupby(["helper_role", "paid"]).agg(helpers=("helper_id", "size"), pupils=("n_pupils", "sum"),
                                                 yuan=("yuan", "sum"), mean_yuan=("yuan", "mean")).reset_index()
    by_clause = (year["audit"].groupby(["part", "clause"])
                 .agg(rows=("pupil_id", "size"), points=("points", "sum"), yuan=("yuan", "sum")).reset_index())
    return {"tables": year, "totals": totals, "by_role": by_role, "by_clause": by_clause}
