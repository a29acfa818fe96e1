"""What the reward formula pays for: an audit of the plan's part one.

Three questions an evaluator asks of 考核及奖励 (scoring.py):

1. **How much of the money pays for chance?** :func:`null_payout` replays
   the school year many times with pairing doing nothing at all: every
   pupil's end-of-year position is drawn from the re-test regression of the
   pupils who were not paired (end normal score on baseline normal score,
   within school and grade, :func:`effects.retest_regression`), the plan's
   clauses are applied to the paired pupils exactly as
   :func:`scoring.pupil_points` does, and the yuan are averaged. Weak pupils
   rise by regression to the mean and big classes have more places to rise,
   so chance pays most to helpers of weak pupils in big classes.
2. **What does each open choice cost?** :func:`cost_sensitivity` reruns
   the scheme on the actual records with each open choice switched.
3. **What would a fairer rule pay?** :func:`pay_for_percentile`, after
   Barlevy and Neal (2012, "Pay for Percentile", AER 102(5)): each paired
   pupil's end score is ranked among pupils of the same school and grade
   with a similar baseline (same baseline decile) in *other* classes, and
   the helper is paid per percentile point. With no effect the expected
   percentile is 50 at every baseline, so chance pays everyone alike; an
   effect raises it.

Inputs are the scoring inputs (``scoring_io.from_clean`` or the CSV files
of ``liushou score``) for one school year; ``scores`` needs a
``grade_group`` column (school and grade of the exam) so that pupils are
compared within their grade, not only their class.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
from scipy import stats

from liushou_analysis.core.errors import UserError
from liushou_analysis.indicators.ranks import percentile_rank
from liushou_analysis.scoring import engine as scoring
from liushou_analysis.scoring.engine import RewardRules
from liushou_analysis.statistics.effects import retest_regression

#: Baseline bands of the paired pupils (percentile within school and grade).
BASE_BANDS = [0, 20, 40, 60, 80, 100]
BASE_LABELS = ["0-20", "20-40", "40-60", "60-80", "80-100"]
#: Class-size bands (pupils ranked at the end exam).
SIZE_BANDS = [0, 40, 50, 60, 1000]
SIZE_LABELS = ["<40", "40-49", "50-59", "60+"]


def year_frame(inputs: dict[str, pd.DataFrame], school_year: int, rules: RewardRules = RewardRules()) -> pd.DataFrame:
    """One row per pupil ranked at both the plan's baseline and end exam of
    ``school_year`` (the baseline each pupil's own, as
    :func:`scoring.plan_exams` finds it): class at the end, grade group,
    baseline and end scores, their percentiles within the grade group, class
    size, paired flag."""
    s = inputs["scores"]
    end = s[(s.school_year == school_year) & (s.semester == 2)].drop_duplicates("pupil_id")
    if end.empty:
        years = sorted(s.school_year.dropna().unique().tolist())
        raise UserError(f"school year {school_year} has no pupil ranked at both its baseline and its end exam "
                        f"(the scores hold school years {years}); choose a year that has ended.")
    exams = scoring.plan_exams(s, end[["pupil_id", "school_year"]], rules)
    exams = exams[exams.baseline_from != "none"]
    base = s.drop_duplicates(["pupil_id", "school_year", "semester"]).rename(
        columns={"school_year": "base_year", "semester": "base_semester"})
    base = exams.merge(base, on=["pupil_id", "base_year", "base_semester"])
    d = end.merge(base[["pupil_id", "class_id", "grade_group", "total_score"]], on="pupil_id", suffixes=("", "_base"))
    d = d.dropna(subset=["total_score", "total_score_base"])[
        ["pupil_id", "class_id", "grade_group", "total_score", "class_id_base", "grade_group_base", "total_score_base"]
    ].rename(columns={"total_score": "end_score", "total_score_base": "base_score"}).reset_index(drop=True)
    d["base_percentile"] = percentile_rank(d, "base_score", by="grade_group_base").to_numpy()
    d["end_percentile"] = percentile_rank(d, "end_score", by="grade_group").to_numpy()
    if d.empty:
        raise UserError(f"school year {school_year} has no pupil ranked at both their baseline (their own grade-7 "
                        "semester-1 final, or the end of the year before) and the year's end exam; choose a later "
                        "school year.")
    d["class_size"] = d.groupby("class_id").pupil_id.transform("size")
    pr = inputs["pairings"]
    d["paired"] = d.pupil_id.isin(pr.loc[pr.school_year == school_year, "pupil_id"])
    d["school_year"] = school_year
    return d


#: Replays are made this many pupil-replay values at a time, so memory holds one chunk whatever the number of
#: replays (some 40 MB of working columns at this size).
CHUNK_VALUES = 500_000


def _end_chunks(frame: pd.DataFrame, reps: int, seed: int, effect=0.0, chunk: int | None = None):
    """End normal scores of every pupil in ``reps`` replays with no effect (plus ``effect`` SD for paired
    pupils): ``a + b z + s e`` from the re-test regression of the unpaired pupils, yielded as arrays of shape
    (replays in the chunk, pupils). The draws are made replay after replay from one generator, so the values
    do not depend on the chunk size."""
    unpaired = frame[~frame.paired]
    fit = retest_regression(unpaired.base_percentile, unpaired.end_percentile)
    (a, b), s2 = fit.table.estimate, fit.details["residual_variance"]
    z = stats.norm.ppf(frame.base_percentile.to_numpy() / 100)
    lift = np.where(frame.paired.to_numpy(), np.broadcast_to(np.asarray(effect, dtype=float), len(frame)), 0.0)
    mean = a + b * z + lift
    rng = np.random.default_rng(seed)
    step = chunk or max(1, CHUNK_VALUES // max(len(frame), 1))
    for first in range(0, reps, step):
        yield mean + np.sqrt(s2) * rng.standard_normal((min(step, reps - first), len(frame)))


def simulate_end(frame: pd.DataFrame, reps: int, seed: int, effect=0.0) -> np.ndarray:
    """All replays of :func:`_end_chunks` at once, shape (pupils, reps): for small studies and tests."""
    return np.vstack(list(_end_chunks(frame, reps, seed, effect))).T


@dataclass
class Replays:
    """Means over the replays, one value per pupil of the year frame (in its row order). Points are the plan's
    part one as :func:`scoring.pupil_points` gives them; the pupils who are not paired have no points (0)."""

    reps: int
    rank_points: np.ndarray  # rise + top-5 points, whether the pupil counts or not
    paid_points: np.ndarray  # every clause where the pupil counts (points_paid), else 0
    counted: np.ndarray  # whether the pupil counts (the same in every replay)
    percentile: np.ndarray  # pay for percentile: the league percentile of the end score (pay_for_percentile)


#: The replays last made, keyed by their content: null_payout and compare_rules replay the same no-effect exams
#: (same pupils, rules, replays and seed), so the second asks and does not replay again. One entry, so memory
#: does not grow.
_LAST_REPLAYS: dict = {}


def replay(frame: pd.DataFrame, inputs, rules: RewardRules, reps: int, seed: int, effect=0.0,
           chunk: int | None = None) -> Replays:
    """The plan's points and the pay-for-percentile percentile of every pupil, averaged over ``reps`` replays
    of the end exam (:func:`_end_chunks`), a chunk of replays at a time, made once for the same inputs.

    What does not change between replays is computed once by the plan's own engine: each paired pupil's
    baseline rank, conduct and three-good points and whether they count (:func:`scoring.pupil_points` on the
    year with its actual end scores). Each replay then ranks the end scores within the end classes
    (:func:`scoring.exam_ranks`, the plan's tie rule) and applies the two rank clauses
    (:func:`scoring.rank_clauses`). The test checks this against the whole engine run on every replay."""
    digest = hashlib.sha256(repr((rules, reps, seed, np.asarray(effect, dtype=float).tolist())).encode())
    for table in [frame, *(inputs[k] for k in sorted(inputs) if inputs[k] is not None)]:
        digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
        digest.update(repr(list(table.columns)).encode())
    key = digest.hexdigest()
    if key not in _LAST_REPLAYS:
        _LAST_REPLAYS.clear()
        _LAST_REPLAYS[key] = _replay(frame, inputs, rules, _end_chunks(frame, reps, seed, effect, chunk))
    return _LAST_REPLAYS[key]


def _fixed_points(frame: pd.DataFrame, inputs, rules: RewardRules) -> pd.DataFrame:
    """The paired pupils' part one with their actual end scores, ranked among the frame's pupils (as in every
    replay), in the frame's row order: baseline rank, conduct and three-good points, counted."""
    n = len(frame)
    ids = np.arange(n)
    scores = pd.DataFrame({"pupil_id": np.concatenate([ids, ids]), "school_year": 1,
                           "semester": np.repeat([1, 2], n),
                           "class_id": np.concatenate([pd.factorize(frame.class_id_base)[0],
                                                       pd.factorize(frame.class_id)[0]]),
                           "total_score": np.concatenate([frame.base_score, frame.end_score])})
    pairings = pd.DataFrame({"pupil_id": ids[frame.paired.to_numpy()], "school_year": 1})
    co = inputs["conduct"]
    co = co[co.school_year == frame.school_year.iloc[0]].drop_duplicates("pupil_id").set_index("pupil_id")
    conduct = pd.DataFrame({"pupil_id": ids, "school_year": 1,
                            "serious_violation": co.serious_violation.reindex(frame.pupil_id).to_numpy(),
                            "three_good": co.three_good.reindex(frame.pupil_id).to_numpy()})
    status = inputs.get("pupils")
    if status is not None:
        counted = scoring.counted_pupils(frame[["pupil_id", "school_year"]], status, rules).counted.to_numpy()
        status = pd.DataFrame({"pupil_id": ids, "school_year": 1,
                               **{c: pd.array(counted, dtype="boolean") for c in scoring.STATUS_COLUMNS}})
    points, _ = scoring.pupil_points(scores, pairings, conduct, rules, pupils=status, audit=False)
    return points.set_index("pupil_id").reindex(ids)


def _replay(frame: pd.DataFrame, inputs, rules: RewardRules, chunks) -> Replays:
    """:func:`replay` on the end scores ``chunks`` yields (arrays of replays by pupils)."""
    n, reps = len(frame), 0
    fixed = _fixed_points(frame, inputs, rules)
    paired = frame.paired.to_numpy()
    base_rank = fixed.base_rank.to_numpy(float)
    counted = fixed.counted.fillna(False).to_numpy(bool)
    other = (fixed.points_conduct + fixed.points_three_good).fillna(0).to_numpy(float)
    klass, n_classes = pd.factorize(frame.class_id)
    n_classes = max(len(n_classes), 1)
    rank_sum, paid_sum, pct_sum = np.zeros(n), np.zeros(n), np.zeros(n)
    leagues = _leagues(frame)
    for end in chunks:
        c = end.shape[0]
        reps += c
        rep = np.repeat(np.arange(c), n)
        ranked = scoring.exam_ranks(pd.DataFrame({
            "pupil_id": np.tile(np.arange(n), c), "class_id": rep * n_classes + np.tile(klass, c),
            "school_year": 1, "semester": 2, "total_score": end.ravel()}), rules)
        end_rank = ranked["rank"].to_numpy(float).reshape(c, n)
        rise, top = scoring.rank_clauses(base_rank, end_rank, rules)
        points = np.where(paired, rise + top, 0.0)
        rank_sum += points.sum(axis=0)
        paid_sum += np.where(counted, points + other, 0.0).sum(axis=0)
        pct_sum += _league_percentiles(leagues, end).sum(axis=0)
    reps = max(reps, 1)
    return Replays(reps, rank_sum / reps, np.where(paired, paid_sum / reps, 0.0), counted & paired,
                   pct_sum / reps)


def null_payout(inputs: dict[str, pd.DataFrame], school_year: int, rules: RewardRules = RewardRules(),
                reps: int = 200, seed: int = 0, effect=0.0) -> dict[str, pd.DataFrame]:
    """Expected part-one yuan when pairing has no effect (or ``effect`` SD).

    Returns tables:

    ``pupils``: per paired pupil, the expected rank-clause yuan (rise and
    top-5) under the replays, their actual rank-clause yuan, baseline
    percentile, band and class size;
    ``by_baseline`` and ``by_class_size``: expected and actual rank-clause
    yuan per paired pupil by band, with the chance share;
    ``helpers``: per helper, expected and actual yuan (all clauses) and the
    mean baseline percentile of their pupils;
    ``summary``: totals, and the share of the rank-clause money that chance
    alone would pay (expected under the null / actual).
    """
    frame = year_frame(inputs, school_year, rules)
    r = replay(frame, inputs, rules, reps, seed, effect)
    expected = pd.DataFrame({"rank_yuan": np.where(r.counted, r.rank_points, 0.0) * rules.yuan_per_point,
                             "yuan": r.paid_points * rules.yuan_per_point}, index=frame.pupil_id.to_numpy())
    actual, _ = scoring.pupil_points(inputs["scores"], inputs["pairings"], inputs["conduct"], rules,
                                     pupils=inputs.get("pupils"))
    actual = actual[actual.school_year == school_year].set_index("pupil_id")
    paired = frame[frame.paired].set_index("pupil_id")
    pupils = pd.DataFrame({
        "base_percentile": paired.base_percentile, "class_size": paired.class_size,
        "base_band": pd.cut(paired.base_percentile, BASE_BANDS, labels=BASE_LABELS, include_lowest=True),
        "size_band": pd.cut(paired.class_size, SIZE_BANDS, labels=SIZE_LABELS, right=False),
        "expected_rank_yuan": expected.rank_yuan.reindex(paired.index),
        "expected_yuan": expected.yuan.reindex(paired.index),
        "actual_rank_yuan": ((actual.points_rise + actual.points_top5).where(actual.counted, 0.0)
                             * rules.yuan_per_point).reindex(paired.index),
        "actual_yuan": (actual.points_paid * rules.yuan_per_point).reindex(paired.index),
    }).reset_index()

    def by(col):
        g = pupils.groupby(col, observed=False)
        out = g.agg(pupils=("pupil_id", "size"), expected_rank_yuan=("expected_rank_yuan", "mean"),
                    actual_rank_yuan=("actual_rank_yuan", "mean")).reset_index()
        out["chance_share"] = out.expected_rank_yuan / out.actual_rank_yuan
        return out

    pr = inputs["pairings"]
    pr = pr[(pr.school_year == school_year)].drop_duplicates(["helper_id", "pupil_id"])
    h = pr.merge(pupils, on="pupil_id")
    helpers = h.groupby("helper_id").agg(helper_role=("helper_role", "first"), n_pupils=("pupil_id", "size"),
                                         mean_base_percentile=("base_percentile", "mean"),
                                         expected_yuan=("expected_yuan", "sum"),
                                         actual_yuan=("actual_yuan", "sum")).reset_index()
    paid = scoring.paid_role(helpers.helper_role, rules)
    helpers["paid"] = paid.to_numpy()
    helpers[["expected_yuan", "actual_yuan"]] = helpers[["expected_yuan", "actual_yuan"]].where(paid, 0.0)
    summary = pd.DataFrame([{
        "school_year": school_year, "paired_pupils": len(pupils), "helpers": len(helpers), "replays": reps,
        "effect_sd": float(np.mean(effect)),
        "retest_slope": retest_regression(frame.loc[~frame.paired, "base_percentile"],
                                          frame.loc[~frame.paired, "end_percentile"]).row("slope").estimate,
        "expected_rank_yuan": pupils.expected_rank_yuan.sum(), "actual_rank_yuan": pupils.actual_rank_yuan.sum(),
        "expected_yuan": pupils.expected_yuan.sum(), "actual_yuan": pupils.actual_yuan.sum(),
    }])
    summary["chance_share_of_rank_yuan"] = summary.expected_rank_yuan / summary.actual_rank_yuan
    return {"pupils": pupils, "by_baseline": by("base_band"), "by_class_size": by("size_band"),
            "helpers": helpers, "summary": summary}


def pay_for_percentile(frame: pd.DataFrame, end: np.ndarray, price_per_point: float,
                       bands: int = 20) -> np.ndarray:
    """Yuan per pupil and replay under pay for percentile: the percentile of
    each pupil's end score among pupils of the same grade group and baseline
    band (``bands`` equal bands of the baseline percentile) in other classes,
    times ``price_per_point``. Shape (pupils, reps). Bands much wider than 5
    points let a pupil's place within the band leak into the pay: the
    weakest pupils of the bottom decile then earn less under no effect."""
    return price_per_point * _league_percentiles(_leagues(frame, bands), end.T).T


def _leagues(frame: pd.DataFrame, bands: int = 20) -> tuple[np.ndarray, int, np.ndarray]:
    """Each pupil's league (grade group and baseline band) and class, as integer codes, and the leagues."""
    base_band = np.minimum((frame.base_percentile.to_numpy() // (100 / bands)).astype(int), bands - 1)
    league, leagues = pd.factorize(pd.MultiIndex.from_arrays([frame.grade_group, base_band]))
    return league, max(len(leagues), 1), pd.factorize(frame.class_id)[0]


def _league_percentiles(leagues: tuple[np.ndarray, int, np.ndarray], end: np.ndarray) -> np.ndarray:
    """The league percentiles of end scores of shape (replays, pupils), against the other classes of the league
    in the same replay; integer codes, so no text is copied per replay."""
    league, n_leagues, klass = leagues
    c, n = end.shape
    long = pd.DataFrame({"league": np.repeat(np.arange(c), n) * n_leagues + np.tile(league, c),
                         "class_id": np.tile(klass, c), "end": end.ravel()})
    return percentile_rank(long, "end", by="league", others_than="class_id").to_numpy().reshape(c, n)


def compare_rules(inputs: dict[str, pd.DataFrame], school_year: int, effect: float, rules: RewardRules = RewardRules(),
                  reps: int = 200, seed: int = 0) -> pd.DataFrame:
    """The plan's rank clauses and pay for percentile side by side, with no
    effect and with ``effect`` SD, per paired pupil by baseline band.

    The price per percentile point makes the two rules cost the same under
    no effect (the plan's expected rank-clause yuan per paired pupil / 50),
    so the comparison is of who gets the money, not how much.
    """
    frame = year_frame(inputs, school_year, rules)
    band = pd.cut(frame.base_percentile, BASE_BANDS, labels=BASE_LABELS, include_lowest=True)
    rows = []
    price = None
    paired = frame.paired.to_numpy()
    for scenario, eff in (("no effect", 0.0), (f"effect {effect:g} SD", effect)):
        r = replay(frame, inputs, rules, reps, seed, eff)
        plan = r.rank_points[paired] * rules.yuan_per_point
        if price is None:
            price = plan.mean() / 50
        d = pd.DataFrame({"band": band[paired].to_numpy(), "plan": plan,
                          "pay_for_percentile": price * r.percentile[paired]})
        for rule in ("plan", "pay_for_percentile"):
            g = d.groupby("band", observed=False)[rule].agg(["mean", "size"])
            rows.append(pd.DataFrame({"scenario": scenario, "rule": rule, "base_band": g.index.astype(str),
                                      "pupils": g["size"].to_numpy(), "yuan_per_pupil": g["mean"].to_numpy()}))
    out = pd.concat(rows, ignore_index=True)
    return out


def cost_sensitivity(inputs: dict[str, pd.DataFrame], rules: RewardRules = RewardRules()) -> pd.DataFrame:
    """Total cost of the scheme (helpers' yuan, head teachers' yuan, pupils'
    awards) on the actual records under ``rules`` and with each open choice
    switched to each of its other values, one at a time."""
    def cost(r: RewardRules) -> dict:
        return scoring.payout_totals(inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"], r,
                                     pupils=inputs.get("pupils"))

    base = cost(rules)
    rows = [{"choice": "(rules as given)", "value": "", **base}]
    choices = RewardRules._CHOICES
    for f in fields(RewardRules):
        if f.name in choices:
            for value in choices[f.name]:
                if value != getattr(rules, f.name):
                    rows.append({"choice": f.name, "value": value, **cost(replace(rules, **{f.name: value}))})
        elif f.type in ("bool",) or isinstance(getattr(rules, f.name), bool):
            rows.append({"choice": f.name, "value": str(not getattr(rules, f.name)),
                         **cost(replace(rules, **{f.name: not getattr(rules, f.name)}))})
    out = pd.DataFrame(rows)
    out["change_yuan"] = (out.total_yuan - base["total_yuan"]).round(2)
    out["change_pct"] = 100 * out.change_yuan / base["total_yuan"]
    return out
