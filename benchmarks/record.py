"""Append one benchmark result to benchmarks/results.csv."""

from __future__ import annotations

import csv
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

FIELDS = ["date", "benchmark", "schools", "years", "seconds", "peak_gib", "files", "megabytes", "machine",
          "target_met"]
RESULTS = Path(__file__).with_name("results.csv")


def record(benchmark: str, seconds: float, peak_gib: float, target_met: bool, **extra) -> None:
    row = {"date": dt.date.today().isoformat(), "benchmark": benchmark, "seconds": round(seconds, 1),
           "peak_gib": round(peak_gib, 2), "machine": f"{platform.machine()} {os.cpu_count()} cores",
           "target_met": target_met, **extra}
    new = not RESULTS.exists()
    with RESULTS.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, restval="")
        if new:
            writer.writeheader()
        writer.writerow(row)


def run_liushou(*args: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run the ``liushou`` command of this environment: (process, wall seconds, peak GiB of children)."""
    liushou = Path(sys.executable).parent / "liushou"
    start = time.perf_counter()
    proc = subprocess.run([str(liushou), *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return proc, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2


def timed(fn):
    """``fn()``'s result and the wall seconds it took."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def county(raw: Path | None, tmp: str, schools: int, years: int) -> Path:
    """``raw`` when given, else a synthetic county of ``schools`` x ``years`` written under ``tmp`` (seed 11; not
    timed)."""
    if raw is not None:
        return raw
    from liushou_analysis.synth.generate import synthesize

    out = Path(tmp) / "county"
    print(f"synthesising {schools} schools x {years} years (not timed) ...", file=sys.stderr)
    synthesize(out, seed=11, n_schools=schools, n_years=years)
    return out
