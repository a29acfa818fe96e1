"""Benchmark (issue 26, target 5): `liushou report` on a synthetic county of many schools, on 2 cores.

Synthesises the county (default 200 schools x 2 years, as `liushou synth --schools 200`; not timed), then times
`liushou clean` and `liushou report` on the clean tables it wrote, each in a child process with its peak memory.
The issue asks the report on the 200-school set within 3 minutes.

    python benchmarks/report_county.py [--schools 200] [--years 2] [--raw DIR]

Every run appends its figures to results.csv. Nothing here is a unit test: the machine is noisy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from record import county, record, run_liushou

TARGET_SECONDS = 180


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--raw", type=Path, help="a county already synthesised (skips the synthesis)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = county(args.raw, tmp, args.schools, args.years)
        clean, seconds_clean, peak_clean = run_liushou("clean", str(raw), "--out", f"{tmp}/clean", "--allow-incomplete")
        if clean.returncode != 0:
            print(clean.stderr[-3000:])
            return clean.returncode
        report, seconds, peak = run_liushou("report", "--data", str(raw), "--clean", f"{tmp}/clean",
                                            "--out", f"{tmp}/report", "--allow-incomplete")
        if report.returncode != 0:
            print(report.stderr[-3000:])
            return report.returncode
    ok = seconds <= TARGET_SECONDS
    print(f"liushou clean: {seconds_clean:.1f} s, peak {peak_clean:.2f} GiB")
    print(f"liushou report on the clean tables (the notebooks + HTML): {seconds:.1f} s (target at most "
          f"{TARGET_SECONDS} s), peak {peak:.2f} GiB")
    record("report_county", seconds, peak, ok, schools=args.schools if args.raw is None else "",
           years=args.years if args.raw is None else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
