"""Benchmark: `liushou synth --schools 200` (about 100,000 pupils).

Target (issue 2): writes the county without running out of memory on a
24 GiB machine, reporting progress as it goes. Runs the real command in a
child process and records its wall time and peak resident memory.

    python benchmarks/synth_scale.py [--schools 200] [--years 2]

Results are appended to benchmarks/results.csv.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import record

MEMORY_LIMIT_GIB = 24


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--years", type=int, default=2)
    args = parser.parse_args()
    liushou = Path(sys.executable).parent / "liushou"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "county"
        start = time.perf_counter()
        proc = subprocess.run([str(liushou), "synth", "--out", str(out), "--seed", "1",
                               "--schools", str(args.schools), "--years", str(args.years)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # ru_maxrss is KiB on Linux
        if proc.returncode != 0:
            print(proc.stderr)
            return proc.returncode
        files = sum(1 for p in out.rglob("*") if p.is_file())
        megabytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    progress_lines = proc.stderr.count("\n")
    print(proc.stdout.strip())
    print(f"{args.schools} schools, {args.years} years: {seconds:.0f} s, peak memory {peak_gib:.2f} GiB, "
          f"{files} files, {megabytes:.0f} MB, {progress_lines} progress lines")
    ok = peak_gib < MEMORY_LIMIT_GIB and progress_lines > 5
    record("synth_scale", seconds, peak_gib, ok, schools=args.schools, years=args.years, files=files,
           megabytes=round(megabytes))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
