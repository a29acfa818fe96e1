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
from dataclasses import fields, replace

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


def simulate_end(frame: pd.DataFrame, reps: int, seed: int, effect=0.0) -> np.ndarray:
    """End normal scores of every pupil in ``reps`` replays with no effect
    (plus ``effect`` SD for paired pupils): ``a + b z + s e`` from the
    re-test regression of the unpaired pupils. Shape (pupils, reps)."""
    unpaired = frame[~frame.paired]
    fit = retest_regression(unpaired.base_percentile, unpaired.end_percentile)
    (a, b), s2 = fit.table.estimate, fit.details["residual_variance"]
    z = stats.norm.ppf(frame.base_percentile.to_numpy() / 100)
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((len(frame), reps))
    lift = np.where(frame.paired.to_numpy(), np.broadcast_to(np.asarray(effect, dtype=float), len(frame)), 0.0)
    return (a + b * z + lift)[:, None] + np.sqrt(s2) * e


#: The replays last made, keyed by their content: null_payout and compare_rules replay the same no-effect exams
#: (same pupils, rules, replays and seed), so the second asks and does not replay again. One entry, so memory
#: does not grow.
_LAST_REPLAYS: dict = {}


def _replays(frame: pd.DataFrame, inputs, rules: RewardRules, reps: int, seed: int, effect) -> tuple:
    """The replayed end scores (:func:`simulate_end`) and the plan's points in every replay
    (:func:`_replayed_points`), made once for the same inputs; the points are a copy the caller may change."""
    digest = hashlib.sha256(repr((rules, reps, seed, np.asarray(effect, dtype=float).tolist())).encode())
    for table in [frame, *(inputs[k] for k in sorted(inputs) if inputs[k] is not None)]:
        digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
        digest.update(repr(list(table.columns)).encode())
    key = digest.hexdigest()
    if key not in _LAST_REPLAYS:
        end = simulate_end(frame, reps, seed, effect)
        _LAST_REPLAYS.clear()
        _LAST_REPLAYS[key] = (end, _replayed_points(frame, end, inputs, rules))
    end, pts = _LAST_REPLAYS[key]
    return end, pts.copy()


def _replayed_points(frame: pd.DataFrame, end: np.ndarray, inputs, rules: RewardRules) -> pd.DataFrame:
    """The plan's part-one points of the paired pupils in every replay (one
    call of scoring.pupil_points on all replays stacked)."""
    reps, n = end.shape[1], len(frame)
    rep = np.repeat(np.arange(reps), n)

    def per_replay(column: str) -> np.ndarray:  # integer codes offset per replay, so replays never meet
        codes, uniques = pd.factorize(frame[column])
        return rep * max(len(uniques), 1) + np.tile(codes, reps)

    pupil = np.tile(frame.pupil_id.to_numpy(), reps)
    ids = rep * n + np.tile(np.arange(n), reps)
    klass, base_class = per_replay("class_id"), per_replay("class_id_base")
    scores = pd.concat([
        pd.DataFrame({"pupil_id": ids, "class_id": base_class, "school_year": 1, "semester": 1,
                      "total_score": np.tile(frame.base_score.to_numpy(), reps)}),
        pd.DataFrame({"pupil_id": ids, "class_id": klass, "school_year": 1, "semester": 2,
                      "total_score": end.T.ravel()}),
    ], ignore_index=True)
    paired = frame.paired.to_numpy()
    pairings = pd.DataFrame({"pupil_id": ids[np.tile(paired, reps)], "school_year": 1})
    year = frame.school_year.iloc[0]
    co = inputs["conduct"]
    co = co[co.school_year == year].drop_duplicates("pupil_id").set_index("pupil_id")
    conduct = pd.DataFrame({"pupil_id": ids, "school_year": 1,
                            "serious_violation": co.serious_violation.reindex(pupil).to_numpy(),
                            "three_good": co.three_good.reindex(pupil).to_numpy()})
    status = inputs.get("pupils")
    if status is not None:
        status = scoring.counted_pupils(frame[["pupil_id", "school_year"]], status, rules)
        status = pd.DataFrame({"pupil_id": ids, "school_year": 1,
                               **{c: pd.array(np.tile(status.counted.to_numpy(), reps), dtype="boolean")
                                  for c in scoring.STATUS_COLUMNS}})
    points, _ = scoring.pupil_points(scores, pairings, conduct, rules, pupils=status, audit=False)
    index = points.pupil_id.to_numpy(dtype=np.int64)
    points["rep"] = index // n
    points["pupil_id"] = frame.pupil_id.to_numpy()[index % n]
    return points


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
    end, pts = _replays(frame, inputs, rules, reps, seed, effect)
    pts["rank_yuan"] = (pts.points_rise + pts.points_top5).where(pts.counted, 0.0) * rules.yuan_per_point
    pts["yuan"] = pts.points_paid * rules.yuan_per_point
    expected = pts.groupby("pupil_id")[["rank_yuan", "yuan"]].mean()
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
    base_band = np.minimum((frame.base_percentile.to_numpy() // (100 / bands)).astype(int), bands - 1)
    reps = end.shape[1]
    long = pd.DataFrame({"rep": np.repeat(np.arange(reps), len(frame)),
                         "grade_group": np.tile(frame.grade_group.to_numpy(), reps),
                         "band": np.tile(base_band, reps), "class_id": np.tile(frame.class_id.to_numpy(), reps),
                         "end": end.T.ravel()})
    pct = percentile_rank(long, "end", by=["rep", "grade_group", "band"], others_than="class_id")
    return (price_per_point * pct.to_numpy()).reshape(reps, len(frame)).T


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
    for scenario, eff in (("no effect", 0.0), (f"effect {effect:g} SD", effect)):
        end, pts = _replays(frame, inputs, rules, reps, seed, eff)
        plan = ((pts.points_rise + pts.points_top5) * rules.yuan_per_point).groupby(pts.pupil_id).mean()
        if price is None:
            price = plan.mean() / 50
        p4p = pd.Series(pd.DataFrame(pay_for_percentile(frame, end, price)).mean(axis=1).to_numpy(),
                        index=frame.pupil_id)
        paired = frame.paired.to_numpy()
        d = pd.DataFrame({"band": band[paired].to_numpy(), "plan": plan.reindex(frame.pupil_id[paired]).to_numpy(),
                          "pay_for_percentile": p4p[paired].to_numpy()})
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
