"""Benchmark: `liushou clean data_raw/sample` (issue 3: "runs in a few seconds").

Runs the real command on the bundled sample into a temporary folder, records
wall time and peak memory in benchmarks/results.csv. Target: under 10 s on
2 cores.

    python benchmarks/clean_sample.py
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10
ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    liushou = Path(sys.executable).parent / "liushou"
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run([str(liushou), "clean", str(ROOT / "data_raw" / "sample"), "--out", tmp],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stderr)
        return proc.returncode
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    ok = seconds < TARGET_SECONDS
    print(proc.stdout.strip())
    print(f"clean sample: {seconds:.1f} s (target < {TARGET_SECONDS} s), peak memory {peak_gib:.2f} GiB")
    row = {"date": dt.date.today().isoformat(), "benchmark": "clean_sample", "schools": 6, "years": 2,
           "seconds": round(seconds, 1), "peak_gib": round(peak_gib, 2), "files": "", "megabytes": "",
           "machine": f"{platform.machine()} {os.cpu_count()} cores", "target_met": ok}
    results = Path(__file__).with_name("results.csv")
    new = not results.exists()
    with results.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
