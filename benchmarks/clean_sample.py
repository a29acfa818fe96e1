"""Benchmark: `liushou clean data_raw/sample` (issue 3: "runs in a few seconds").

Runs the real command on the bundled sample into a temporary folder, records
wall time and peak memory in benchmarks/results.csv. Target: under 10 s on
2 cores.

    python benchmarks/clean_sample.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from record import record, run_liushou

TARGET_SECONDS = 10
ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        proc, seconds, peak_gib = run_liushou("clean", str(ROOT / "data_raw" / "sample"), "--out", tmp)
    if proc.returncode != 0:
        print(proc.stderr)
        return proc.returncode
    ok = seconds < TARGET_SECONDS
    print(proc.stdout.strip())
    print(f"clean sample: {seconds:.1f} s (target < {TARGET_SECONDS} s), peak memory {peak_gib:.2f} GiB")
    record("clean_sample", seconds, peak_gib, ok, schools=6, years=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
