"""Benchmark (issue 26, targets 1 and 2): `liushou clean` against the read floor, measured in one run.

The read floor: opening and decoding every cell of every raw file of the dataset on one thread, with
python-calamine for workbooks and the project's own decoders for text and HTML saved as .xls (split into
cells), and nothing else. Then the real `liushou clean` runs on the same files in a child process, and a bare
interpreter that imports numpy, pandas and pyarrow gives the memory baseline. Printed beside the targets:

* clean time / read floor (target: at most 2 on one core, 1.2 with 2 worker processes);
* clean peak memory above the bare interpreter / the raw files' size (target: at most 3);
* a rerun on unchanged files with the read cache / the first clean (target: at most 0.15 after adding a term);
* clean with 2 worker processes / the read floor (target: at most 1.2).

    python benchmarks/clean_floor.py [RAW_DIR]       # default: a fresh synthetic county of 40 schools x 2 years
    python benchmarks/clean_floor.py --schools 200   # the province-scale set of the issue

Every run appends its figures to results.csv. Nothing here is a unit test: the machine is noisy.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record import county, record

TIME_TARGET = 2.0
MEMORY_TARGET = 3.0
BARE = "import numpy, pandas, pyarrow, resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
CHILD = ("import resource, sys; from pathlib import Path; from liushou_analysis.cleaning.pipeline import clean_dataset;"
         "clean_dataset(Path(sys.argv[1]), Path(sys.argv[2]), read_cache=Path(sys.argv[3]) if sys.argv[3] else None,"
         " workers=int(sys.argv[4])); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
PARALLEL_TARGET = 1.2
RERUN_TARGET = 0.15


def read_floor(raw: Path) -> tuple[float, int, int]:
    """Seconds to decode every cell of every data file (one thread), the files and the bytes read."""
    from python_calamine import CalamineWorkbook

    from liushou_analysis.cleaning.pipeline import data_files
    from liushou_analysis.core.terms import term_folders
    from liushou_analysis.readers.rawread import csv_rows, html_tables, sniff_format

    paths = [p for folder in term_folders(raw).values() for p in data_files(folder)[0]]
    start = time.perf_counter()
    cells = size = 0
    for path in paths:
        data = path.read_bytes()
        size += len(data)
        fmt = sniff_format(data, path.suffix)
        if fmt in ("xlsx", "xls"):
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            for name in book.sheet_names:
                cells += sum(len(r) for r in book.get_sheet_by_name(name).to_python())
        elif fmt == "html":
            cells += sum(len(r) for _, grid in html_tables(data, path.name)[1] for _, r in grid)
        elif fmt == "csv":
            cells += sum(len(r) for _, r in csv_rows(data, path.name)[1])
    return time.perf_counter() - start, len(paths), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="?", type=Path, help="a raw dataset (default: synthesise one)")
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--years", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = county(args.raw, tmp, args.schools, args.years)
        floor, files, size = read_floor(raw)
        bare_kib = int(subprocess.run([sys.executable, "-c", BARE], capture_output=True, text=True).stdout)
        env = {"LIUSHOU_KEY": "benchmark-key-0123456789abcdef", "PATH": "/usr/bin:/bin"}
        command = [sys.executable, "-c", CHILD, str(raw), str(Path(tmp) / "clean"), str(Path(tmp) / "read_cache"), "1"]
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        again = subprocess.run(command, capture_output=True, text=True, env=env)
        rerun = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([*command[:5], "", "2"], capture_output=True, text=True, env=env, check=True)
        parallel = time.perf_counter() - start
    if proc.returncode != 0 or again.returncode != 0:
        print((proc.stderr or again.stderr)[-3000:])
        return proc.returncode or again.returncode
    peak_kib = int(proc.stdout.strip().splitlines()[-1])
    above = (peak_kib - bare_kib) * 1024
    time_ratio, memory_ratio = seconds / floor, above / size
    print(f"read floor: {floor:.1f} s for {files:,} files ({size / 1e6:.1f} MB), one thread")
    print(f"liushou clean: {seconds:.1f} s = {time_ratio:.1f} x the floor (target at most {TIME_TARGET:g} x)")
    print(f"peak memory above a bare numpy+pandas+pyarrow interpreter: {above / 2**20:,.0f} MiB = "
          f"{memory_ratio:.1f} x the raw size (target at most {MEMORY_TARGET:g} x)")
    print(f"liushou clean --workers 2: {parallel:.1f} s = {parallel / floor:.1f} x the floor "
          f"(target at most {PARALLEL_TARGET:g} x)")
    print(f"rerun on unchanged files with the read cache: {rerun:.1f} s = {rerun / seconds:.2f} of the first clean "
          f"(target at most {RERUN_TARGET:g})")
    ok = time_ratio <= TIME_TARGET and memory_ratio <= MEMORY_TARGET and rerun / seconds <= RERUN_TARGET
    record("clean_floor", seconds, peak_kib / 2**20, ok, schools=args.schools if args.raw is None else "",
           years=args.years if args.raw is None else "", files=files, megabytes=round(size / 1e6, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
