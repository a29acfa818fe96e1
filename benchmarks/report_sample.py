"""Benchmark: `liushou report` on the bundled sample from nothing (issue 7:
"the whole sample report runs in under a minute on 2 cores").

Cleans the sample into a temporary folder (as on a fresh clone, where
data_clean/ is empty), runs the four notebooks and writes the report;
records wall time and peak memory in benchmarks/results.csv.

    python benchmarks/report_sample.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from record import record, run_liushou

TARGET_SECONDS = 60
ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        proc, seconds, peak_gib = run_liushou("report", "--data", str(ROOT / "data_raw" / "sample"),
                                              "--clean", f"{tmp}/clean", "--out", f"{tmp}/report")
    if proc.returncode != 0:
        print(proc.stderr)
        return proc.returncode
    ok = seconds < TARGET_SECONDS
    print(f"report sample (clean + the notebooks + HTML): {seconds:.1f} s (target < {TARGET_SECONDS} s), "
          f"peak memory {peak_gib:.2f} GiB")
    record("report_sample", seconds, peak_gib, ok, schools=6, years=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
