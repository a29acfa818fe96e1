"""Append one benchmark result to benchmarks/results.csv."""

from __future__ import annotations

import csv
import datetime as dt
import os
import platform
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
