"""Simulation study of the pairing-effect estimators on the generator.

Each replicate draws a county with :func:`build_county` (the truth tables;
no files are written, as the cleaning is tested separately), forms the
pairing cohort of one term (:func:`liushou_analysis.statistics.pairing.cohort`), runs
every estimator and compares it with the planted truth.

The truth is the effect on the treated (ATT) on the percentile scale: for
each newly paired pupil, their end-of-term percentile minus the percentile
their score would have had without this term's planted gain, among the
same classmates' actual scores. The planted gain is ``effect_sd`` of
ability per helper (``calibration.PAIRING_EFFECT_SD``); on subject ``s`` it
moves the score by ``0.11 * full_s * gain`` (the generator's score scale,
``model._exam``), so the total moves by ``0.11 * gain * sum(full_s)``;
clipping at full marks and rounding to the score step are ignored (they
are rare and even for paired pupils, who are mostly weak). Pupils compete
with each other for ranks, so this is the effect of being paired with the
rest of the county as it is.

Two selection scenarios bracket the estimators:

``last_exam`` (the generator's default)
    Schools pair pupils after a low exam (selection on the baseline).
    ANCOVA and IPW must be unbiased; the naive contrast and DiD are biased
    and the placebo pre-trend shows it.
``stable_trait``
    Schools pair pupils on a stable trait (their long-run ability, which
    the analyst does not see). DiD must be unbiased and its placebo near
    zero; ANCOVA on a noisy baseline is biased.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.indicators.ranks import percentile_rank
from liushou_analysis.statistics import pairing
from liushou_analysis.synth.calibration import Calibration
from liushou_analysis.synth.model import SUBJECTS, SUBJECTS_BY_GRADE, County, _left_behind_flags, build_county

SCENARIOS = ("last_exam", "stable_trait")
#: Score points per SD of ability in each grade's total (see the module docstring).
POINTS_PER_SD = {g: 0.11 * sum(SUBJECTS[s][0] for s in subjects) for g, subjects in SUBJECTS_BY_GRADE.items()}


def county_panel(county: County) -> pd.DataFrame:
    """The analysis panel of a county's truth tables, with ``truth_percentile``:
    the planted effect of the pupil's new pairing on their percentile."""
    ex = county.exams[county.exams.subject == "total"]
    enr = county.enrolment.set_index(["pupil_uid", "term_index"])
    ex = ex.join(enr[["school_id", "grade", "class_key"]], on=["pupil_uid", "term_index"])
    totals = pd.DataFrame({"pupil": ex.pupil_uid, "term_index": ex.term_index, "school": ex.school_id,
                           "grade": ex.grade, "class_id": ex.class_key, "score": ex.score.where(ex.ranked)})
    pr = county.pairings
    pairings = pd.DataFrame({"pupil": pr.pupil_uid, "term_index": pr.start_term, "helper_type": pr.helper_type})
    hh = county.households
    either, all_away = _left_behind_flags(hh)
    years = county.enrolment[["pupil_uid", "term_index", "year_index"]]
    status = years.merge(hh.assign(either=either, all_away=all_away)[
        ["pupil_uid", "year_index", "either", "all_away", "care_type"]], on=["pupil_uid", "year_index"])
    status = status.rename(columns={"pupil_uid": "pupil", "care_type": "care"}).drop(columns="year_index")
    out = pairing.panel(totals, pairings, status)
    gain = pr.groupby(["pupil_uid", "start_term"]).effect_sd.sum().rename("new_gain_sd")
    out = out.join(gain, on=["pupil", "term_index"])
    out["new_gain_sd"] = out.new_gain_sd.fillna(0.0)
    shift = out.new_gain_sd * out.grade.map(POINTS_PER_SD)
    without_gain = percentile_among_others(out, "score", shift, ["school", "grade", "term_index"])
    out["truth_percentile"] = out.percentile - without_gain
    return out


def percentile_among_others(data: pd.DataFrame, score: str, shift: pd.Series, by: list[str]) -> pd.Series:
    """Mid-rank percentile of ``score - shift`` among the other rows' scores
    of its group, on the scale of :func:`ranks.percentile_rank` (group size
    ``n``; the row itself counts half, as it would tie with itself).

    :func:`ranks.percentile_rank` places ``score - shift`` against the group's
    actual scores, the row's own included; the row's own score is at or above
    its shifted one, so it counted as above (0) unless the shift is 0 (a tie,
    already a half). Counting it as a tie adds ``50 / n`` where the shift moved it.
    """
    s = data[score].to_numpy(dtype=float)
    cf = s - shift.to_numpy(dtype=float)
    placed = percentile_rank(data, score, by=by, at=cf).to_numpy()
    n = data[score].notna().groupby([data[c] for c in by]).transform("sum").to_numpy()
    return pd.Series(placed + 50 * (cf != s) / n, index=data.index)


def replicate(seed: int, scenario: str = "last_exam", n_schools: int = 6, term_index: int = 2) -> pd.DataFrame:
    """Every estimator on one simulated county, with the truth beside it.

    One row per estimator (``pairing.ESTIMATORS``) and per level of the
    heterogeneity analyses (helper type, care arrangement): ``estimate``,
    ``se``, ``ci_low``, ``ci_high``, ``truth`` (the ATT of the paired
    pupils concerned; 0 for the placebo), ``n_treated``.
    """
    cal = replace(Calibration(), pairing_selection=scenario)
    county = build_county(seed, n_schools, n_years=2, calibration=cal)
    data = county_panel(county)
    c = pairing.cohort(data, term_index)
    c["truth_percentile"] = c.pupil.map(data[data.term_index == term_index].set_index("pupil").truth_percentile)
    paired = c[c.treated == 1]
    rows = pairing.compare(c).table.assign(n_treated=len(paired))
    rows["truth"] = np.where(rows.quantity == "placebo", 0.0, paired.truth_percentile.mean())
    het = []
    for by in ("helper_type", "care"):
        h = pairing.effect_by(c, by).table
        h["truth"] = h.quantity.map(paired.groupby(by).truth_percentile.mean().rename(lambda lv: f"{by}={lv}"))
        het.append(h)
    out = pd.concat([rows, *het], ignore_index=True)
    return out.assign(seed=seed, scenario=scenario)


def run(seeds, scenarios=SCENARIOS, n_schools: int = 6, workers: int = 1, progress=None) -> pd.DataFrame:
    """Replicates for every seed and scenario, stacked in seed order.

    Each replicate seeds its own county, so ``workers`` processes give the
    same table as one.
    """
    jobs = [(int(seed), scenario, n_schools) for scenario in scenarios for seed in seeds]
    return _map_counties(_replicate_job, jobs, workers, progress)


def _map_counties(job, jobs: list[tuple], workers: int, progress=None) -> pd.DataFrame:
    """``job`` on every county's arguments, by ``workers`` processes when more than one, stacked in the jobs'
    order (each county seeds its own draws, so the table is the same whatever the workers)."""
    say = progress or (lambda msg: None)
    if workers <= 1:
        return pd.concat([job(j) for j in jobs], ignore_index=True)
    out = []
    with ProcessPoolExecutor(workers) as pool:
        for i, frame in enumerate(pool.map(job, jobs, chunksize=4)):
            out.append(frame)
            if (i + 1) % 100 == 0:
                say(f"{i + 1} of {len(jobs)} counties")
    return pd.concat(out, ignore_index=True)


def _replicate_job(job: tuple) -> pd.DataFrame:
    return replicate(*job)


def summarise(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Bias, RMSE and CI coverage per scenario and estimator, with their
    Monte Carlo standard errors (``bias_mcse``, ``coverage_mcse``)."""
    r = results.dropna(subset=["estimate", "truth"]).assign(
        error=lambda d: d.estimate - d.truth,
        covered=lambda d: ((d.ci_low <= d.truth) & (d.truth <= d.ci_high)).astype(float))
    g = r.groupby(["scenario", "quantity"], sort=False)
    out = g.agg(counties=("error", "size"), mean_truth=("truth", "mean"), mean_estimate=("estimate", "mean"),
                bias=("error", "mean"), error_sd=("error", "std"), rmse=("error", lambda e: np.sqrt(np.mean(e ** 2))),
                mean_se=("se", "mean"), coverage=("covered", "mean"), mean_treated=("n_treated", "mean"))
    out["bias_mcse"] = out.error_sd / np.sqrt(out.counties)
    out["bias_z"] = out.bias / out.bias_mcse
    out["coverage_mcse"] = np.sqrt(level * (1 - level) / out.counties)
    return out.drop(columns="error_sd").reset_index().rename(columns={"quantity": "estimator"})


def main(argv=None) -> int:
    """`python -m liushou_analysis.synth.study`: the simulation study of the pairing estimators over many counties."""
    ap = argparse.ArgumentParser(description="Simulation study of the pairing-effect estimators.")
    ap.add_argument("--counties", type=int, default=1000)
    ap.add_argument("--schools", type=int, default=6)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--staggered", action="store_true",
                    help="study staggered_did instead (pairings starting in every term, effects growing)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.counties)
    if args.staggered:
        table = summarise_staggered(run_staggered(seeds, n_schools=args.schools, workers=args.workers))
        args.out = args.out or Path("reports/validation/staggered_study.csv")
    else:
        table = summarise(run(seeds, n_schools=args.schools, workers=args.workers, progress=print))
        args.out = args.out or Path("reports/validation/pairing_study.csv")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, float_format="%.4f")
    print(table.to_string(index=False))
    return 0


def cumulative_truth(county: County, data: pd.DataFrame) -> pd.Series:
    """Each panel row's planted effect of all the pairing so far on its percentile: the percentile minus where
    the score would rank, among the same classmates, without the pupil's accumulated gain (the generator adds
    a helper's effect once per semester paired, so it grows with time since pairing)."""
    gain = county.abilities.set_index(["pupil_uid", "term_index"]).pairing_gain
    shift = gain.reindex(pd.MultiIndex.from_arrays([data.pupil, data.term_index])).fillna(0.0).to_numpy() \
        * data.grade.map(POINTS_PER_SD).to_numpy()
    return data.percentile - percentile_among_others(data, "score", pd.Series(shift, index=data.index),
                                                     ["school", "grade", "term_index"])


def staggered_replicate(seed: int, scenario: str = "flags_only", n_schools: int = 6, n_years: int = 2,
                        control: str = "never") -> pd.DataFrame:
    """:func:`~liushou_analysis.statistics.staggered.staggered_did` on one simulated county whose pairings
    start in every term and whose effects grow with time since pairing, with the planted truth beside each
    result: every ATT(g, t) after pairing (the mean planted effect of its cohort's pupils in the comparison),
    the overall effect (cohort averages weighted by cohort size, as the estimator weights them) and the
    simple average. Clustered by each pupil's first class, as page 02 runs it.

    ``scenario`` "flags_only" (the default) pairs pupils on left-behind status alone, so that paired and
    never-paired pupils share their trends, which difference-in-differences needs. Under "last_exam" and
    "stable_trait" they do not (the dip before pairing; low-ability pupils drifting towards the middle of the
    percentiles), and the study shows the bias that leaves."""
    from liushou_analysis.core.errors import UserError
    from liushou_analysis.statistics.staggered import staggered_did

    cal = replace(Calibration(), pairing_selection=scenario)
    county = build_county(seed, n_schools, n_years=n_years, calibration=cal)
    data = county_panel(county).dropna(subset=["percentile"]).drop_duplicates(["pupil", "term_index"])
    data["truth"] = cumulative_truth(county, data)
    first_class = data.sort_values("term_index", kind="stable").groupby("pupil").class_id.first()
    data["first_class"] = data.pupil.map(first_class)
    try:
        result = staggered_did(data, "percentile", "pupil", "term_index", "first_paired", cluster="first_class",
                               control=control, reps=0)
    except UserError:
        return pd.DataFrame()
    truth = data.pivot(index="pupil", columns="term_index", values="truth")
    seen = data.pivot(index="pupil", columns="term_index", values="percentile").notna()
    cohort = data.groupby("pupil").first_paired.first().reindex(truth.index)
    cells = result.table[result.table.event_time >= 0].copy()
    cells["truth"] = [truth.loc[(cohort == g) & seen[t] & seen[g - 1], t].mean()
                      for g, t in zip(cells.group, cells.time, strict=True)]
    units = len(truth)
    share = cells.group.map(lambda g: (cohort == g).sum() / units)
    by_cohort = cells.groupby("group").truth.mean()
    weights = by_cohort.index.map(lambda g: (cohort == g).sum() / units)
    rows = [cells.assign(quantity="ATT(g,t)"),
            result.details["overall"].assign(quantity="overall", truth=float(np.average(by_cohort, weights=weights))),
            result.details["simple"].assign(quantity="simple", truth=float(np.average(cells.truth, weights=share)))]
    out = pd.concat(rows, ignore_index=True)
    return out.assign(seed=seed, scenario=scenario, control=control, n_treated=out.n)


def run_staggered(seeds, scenario: str = "flags_only", n_schools: int = 6, workers: int = 1) -> pd.DataFrame:
    """:func:`staggered_replicate` for every seed, stacked in seed order (``workers`` processes give the same
    table as one)."""
    return _map_counties(_staggered_job, [(int(seed), scenario, n_schools) for seed in seeds], workers)


def _staggered_job(job: tuple) -> pd.DataFrame:
    return staggered_replicate(*job)


def summarise_staggered(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Bias (also in units of the mean SE, ``bias_in_se``), RMSE and coverage of each staggered quantity
    (every ATT(g, t) pooled, the overall and the simple effect), with Monte Carlo SEs."""
    r = results.dropna(subset=["estimate", "truth"]).assign(
        error=lambda d: d.estimate - d.truth,
        covered=lambda d: ((d.ci_low <= d.truth) & (d.truth <= d.ci_high)).astype(float))
    g = r.groupby(["scenario", "control", "quantity"], sort=False)
    out = g.agg(results=("error", "size"), counties=("seed", "nunique"), mean_truth=("truth", "mean"),
                mean_estimate=("estimate", "mean"), bias=("error", "mean"), error_sd=("error", "std"),
                rmse=("error", lambda e: np.sqrt(np.mean(e ** 2))), mean_se=("se", "mean"),
                coverage=("covered", "mean"))
    out["bias_in_se"] = out.bias / out.mean_se
    out["bias_mcse"] = out.error_sd / np.sqrt(out.results)
    out["coverage_mcse"] = np.sqrt(level * (1 - level) / out.results)
    return out.drop(columns="error_sd").reset_index()


def planted_effects(county: County) -> pd.DataFrame:
    """The planted effect of the county's pairing in every term, on the
    percentile scale: the ATT averaged over the pupils first paired in that
    term, overall and by helper type. Columns ``exam_term``, ``level``
    (``overall`` or ``helper_type=...``), ``effect``, ``n_treated``. The
    generator writes it to ``_truth/planted_effects.csv``, which a report on
    a synthetic county passes to notebook 02 (the notebook imports nothing
    from the generator)."""
    data = county_panel(county)
    frames = []
    for term, ti in county.terms.set_index("term").term_index.items():
        c = pairing.cohort(data, int(ti))
        if c.empty or not (c.treated == 1).any():
            continue
        c["truth_percentile"] = c.pupil.map(data[data.term_index == ti].set_index("pupil").truth_percentile)
        paired = c[c.treated == 1]
        by = paired.groupby("helper_type").truth_percentile.agg(["mean", "size"])
        frames.append(pd.DataFrame({
            "exam_term": term, "level": ["overall", *[f"helper_type={lv}" for lv in by.index]],
            "effect": [paired.truth_percentile.mean(), *by["mean"]], "n_treated": [len(paired), *by["size"]]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["exam_term", "level", "effect", "n_treated"])


if __name__ == "__main__":
    raise SystemExit(main())
