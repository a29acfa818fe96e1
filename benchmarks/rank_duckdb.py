"""Benchmark (issue 26, target 4): within-class ranks, percentiles and rank changes on 20 M exam rows, against
DuckDB doing the same ranking side by side in this run.

The rows: 5,000,000 pupils x 4 exams in classes of about 45 (a province's term), scores in half points with
ties and 1% absent. Measured:

* class ranks (indicators.ranks.class_rank, the school custom 1-2-2-4) against DuckDB's
  ``rank() OVER (PARTITION BY class, exam ORDER BY score DESC)`` on the same DataFrame (the same ranks are
  checked); target: at most 1.5 x DuckDB;
* mid-rank percentiles within class (percentile_rank) against DuckDB's
  ``100 * (rank() + (count of ties - 1) / 2 - 0.5) / count``; target: at most 1.5 x DuckDB;
* the scoring's ranks (scoring.engine.exam_ranks) and the rank changes between two exams (rank_change), timed
  and printed beside them;
* memory allocated while ranking, results included (tracemalloc) / the rows' in-memory size (target: the
  rows and the ranking together at most 2 x the rows, so at most 1 x above them).

DuckDB runs on every core, the project's ranking on one: the ratio is of wall times on this machine.

    python benchmarks/rank_duckdb.py [--pupils 5000000]

Every run appends its figures to results.csv. Nothing here is a unit test: the machine is noisy.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc

import numpy as np
import pandas as pd
from record import record, timed

from liushou_analysis.indicators.ranks import class_rank, percentile_rank, rank_change
from liushou_analysis.scoring.engine import RewardRules, exam_ranks

TIME_TARGET = 1.5
MEMORY_TARGET = 2.0


def rows(pupils: int, exams: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    cls = rng.integers(0, pupils // 45, pupils)
    d = pd.DataFrame({"pupil": np.tile(np.arange(pupils), exams), "exam": np.repeat(np.arange(exams), pupils),
                      "cls": np.tile(cls, exams), "score": np.round(rng.normal(300, 50, pupils * exams) * 2) / 2})
    d.loc[rng.random(len(d)) < 0.01, "score"] = np.nan
    return d


def traced(fn) -> int:
    """Peak bytes allocated while ``fn`` runs (its result included), above what was allocated before."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> int:
    import duckdb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=5_000_000)
    args = parser.parse_args()
    d = rows(args.pupils)
    size = d.memory_usage(index=False).sum()
    ours, t_rank = timed(lambda: class_rank(d, "score", ["cls", "exam"])["rank"])
    pct, t_pct = timed(lambda: percentile_rank(d, "score", by=["cls", "exam"]))
    # memory: what numpy and pandas allocate during each call (tracemalloc sees their arrays), apart from timing
    peak = traced(lambda: class_rank(d, "score", ["cls", "exam"]))
    peak_pct = traced(lambda: percentile_rank(d, "score", by=["cls", "exam"]))
    exams = d.rename(columns={"pupil": "pupil_id", "cls": "class_id", "score": "total_score"}).assign(
        school_year=d.exam // 2 + 1, semester=d.exam % 2 + 1)
    _, t_exam = timed(lambda: exam_ranks(exams, RewardRules()))
    d["rank"] = ours.to_numpy()
    _, t_change = timed(lambda: rank_change(d, "pupil", "exam", 0, 1))
    con = duckdb.connect()
    con.register("d", d[["pupil", "exam", "cls", "score"]])
    sql_rank = ("SELECT rank() OVER (PARTITION BY cls, exam ORDER BY score DESC) AS r, score FROM d "
                "WHERE score IS NOT NULL")
    theirs, t_duck = timed(lambda: con.execute(f"SELECT sum(r), count(*) FROM ({sql_rank})").fetchall())
    sql_pct = ("SELECT sum(p) FROM (SELECT 100 * (rank() OVER w + (count(*) OVER t - 1) / 2.0 - 0.5) "
               "/ count(score) OVER c AS p FROM d WHERE score IS NOT NULL "
               "WINDOW w AS (PARTITION BY cls, exam ORDER BY score), t AS (PARTITION BY cls, exam, score), "
               "c AS (PARTITION BY cls, exam))")
    their_pct, t_duck_pct = timed(lambda: con.execute(sql_pct).fetchall())
    same = theirs[0] == (int(ours.sum()), int(ours.notna().sum()))
    same_pct = abs(their_pct[0][0] - pct.sum()) < 1e-6 * abs(pct.sum())
    extra = max(peak, peak_pct) / size
    print(f"{len(d):,} exam rows ({size / 2**20:,.0f} MiB in memory), {args.pupils // 45:,} classes")
    print(f"class ranks {t_rank:.2f} s; DuckDB {t_duck:.2f} s = {t_rank / t_duck:.2f} x (target at most "
          f"{TIME_TARGET:g} x); the same ranks: {same}")
    print(f"percentiles {t_pct:.2f} s; DuckDB {t_duck_pct:.2f} s = {t_pct / t_duck_pct:.2f} x (target at most "
          f"{TIME_TARGET:g} x); the same: {same_pct}")
    print(f"the scoring's exam ranks (class, school year, semester) {t_exam:.2f} s = {t_exam / t_duck:.2f} x DuckDB's "
          f"class ranks (target at most {TIME_TARGET:g} x); rank changes between two exams {t_change:.2f} s")
    print(f"memory above the rows while ranking: class ranks {peak / size:.2f} x, percentiles {peak_pct / size:.2f} x "
          f"their size (target: total at most "
          f"{MEMORY_TARGET:g} x, so at most {MEMORY_TARGET - 1:g} x above them)")
    ok = (same and same_pct and max(t_rank, t_exam) / t_duck <= TIME_TARGET and t_pct / t_duck_pct <= TIME_TARGET
          and extra <= MEMORY_TARGET - 1)
    record("rank_duckdb", t_rank + t_pct, (size + max(peak, peak_pct)) / 2**30, ok, files=len(d))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
