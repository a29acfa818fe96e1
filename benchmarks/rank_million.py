"""Benchmark: class ranks and percentile ranks for 1,000,000 pupils x 4 exams.

Target (issue 4): ranks in seconds, with no Python loop over pupils.
Records the figures in benchmarks/results.csv.

    python benchmarks/rank_million.py
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd
from record import record

from liushou_analysis.indicators.ranks import class_rank, percentile_rank, rank_change

TARGET_SECONDS = 30


def main() -> int:
    rng = np.random.default_rng(1)
    pupils, exams = 1_000_000, 4
    cls = rng.integers(0, pupils // 45, pupils)
    d = pd.DataFrame({"pupil": np.tile(np.arange(pupils), exams), "exam": np.repeat(np.arange(exams), pupils),
                      "cls": np.tile(cls, exams), "score": np.round(rng.normal(300, 50, pupils * exams) * 2) / 2})
    d.loc[rng.random(len(d)) < 0.01, "score"] = np.nan
    timings = {}
    start = time.perf_counter()
    d[["rank", "rank_of"]] = class_rank(d, "score", ["cls", "exam"])
    timings["class_rank"] = time.perf_counter() - start
    start = time.perf_counter()
    d["percentile"] = percentile_rank(d, "score", by=["cls", "exam"])
    timings["percentile_rank"] = time.perf_counter() - start
    d["ref"] = d.pupil % 2 == 0
    start = time.perf_counter()
    percentile_rank(d, "score", by=["cls", "exam"], reference="ref")
    timings["percentile_rank_vs_subset"] = time.perf_counter() - start
    start = time.perf_counter()
    rank_change(d, "pupil", "exam", 0, 1, percentile="percentile")
    timings["rank_change"] = time.perf_counter() - start
    total = sum(timings.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f"; total {total:.1f} s, peak {peak:.2f} GiB")
    ok = total < TARGET_SECONDS
    record("rank_million", total, peak, ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
