"""Benchmark (issue 26, target 5): the null-payout audit's replays against one plain scoring pass.

Both run in this process on the same pupils: the scoring inputs of a clean dataset (default: the bundled
sample, cleaned into a temporary folder), optionally copied K times with new pupil, class and helper keys so
that a county of K times the sample is scored. Printed beside the targets:

* 200 replays of the school year (statistics.audit.replay: the plan's points and the pay-for-percentile
  percentiles) / one plain scoring pass (scoring.pupil_points with its audit trail, every school year)
  (target: at most 10);
* the replays' peak traced memory with five times as many replays / with 200 (or with two chunks, where 200
  replays fit in one) (target: at most 1.1, memory that does not grow with the number of replays: they are made
  a chunk at a time, statistics.audit.CHUNK_VALUES values).

    python benchmarks/audit_replays.py                 # the sample
    python benchmarks/audit_replays.py --copies 20     # twenty samples side by side (about 40,000 pupils)
    python benchmarks/audit_replays.py --clean data_clean/other

Every run appends its figures to results.csv. Nothing here is a unit test: the machine is noisy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pandas as pd
from record import record, timed

from liushou_analysis.scoring import contract as scoring_io
from liushou_analysis.scoring import engine as scoring
from liushou_analysis.statistics import audit

TIME_TARGET = 10.0
MEMORY_TARGET = 1.1
ROOT = Path(__file__).resolve().parents[1]


def copies(inputs: dict[str, pd.DataFrame], k: int) -> dict[str, pd.DataFrame]:
    """The inputs K times, each copy's pupils, classes, helpers and grade groups under keys of their own."""
    if k <= 1:
        return inputs
    keys = ("pupil_id", "class_id", "helper_id", "grade_group", "school")
    out = {}
    for name, table in inputs.items():
        if table is None:
            out[name] = None
            continue
        parts = []
        for i in range(k):
            part = table.copy()
            for col in keys:
                if col in part:
                    part[col] = part[col].astype(str) + f"~{i}"
            parts.append(part)
        out[name] = pd.concat(parts, ignore_index=True)
    return out


def traced_peak(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", type=Path, help="a clean folder (default: the sample, cleaned here)")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--year", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clean = args.clean
        if clean is None:
            from liushou_analysis.cleaning.pipeline import clean_dataset

            clean = Path(tmp) / "clean"
            clean_dataset(ROOT / "data_raw" / "sample", clean)
        inputs = copies(scoring_io.from_clean(clean), args.copies)
    rules = scoring.RewardRules()
    frame = audit.year_frame(inputs, args.year, rules)
    _, plain = timed(lambda: scoring.pupil_points(inputs["scores"], inputs["pairings"], inputs["conduct"], rules,
                                                  pupils=inputs.get("pupils")))

    def replays(reps):
        audit._LAST_REPLAYS.clear()
        return audit.replay(frame, inputs, rules, reps, seed=0)

    _, replay_time = timed(lambda: replays(200))
    few = max(200, 2 * (audit.CHUNK_VALUES // max(len(frame), 1)))
    small, large = traced_peak(lambda: replays(few)), traced_peak(lambda: replays(5 * few))
    ratio, growth = replay_time / plain, large / small
    print(f"{len(frame):,} pupils in school year {args.year} ({frame.paired.sum():,} paired), "
          f"{len(inputs['scores']):,} score rows")
    print(f"one plain scoring pass {plain:.2f} s; 200 replays {replay_time:.2f} s = {ratio:.1f} x "
          f"(target at most {TIME_TARGET:g} x)")
    print(f"replays' peak traced memory: {few:,} replays {small / 2**20:.0f} MiB, {5 * few:,} replays "
          f"{large / 2**20:.0f} MiB "
          f"= {growth:.2f} x (target at most {MEMORY_TARGET:g} x)")
    ok = ratio <= TIME_TARGET and growth <= MEMORY_TARGET
    record(f"audit_replays x{args.copies}", replay_time, large / 2**30, ok, files=len(frame))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
