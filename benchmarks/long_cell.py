"""Benchmark: memory of `liushou clean` is bounded by the data, not by the longest cell (issue 15).

Two one-school datasets of 1,016 pupils, identical except that one has a single 32,767-character cell (the
most an Excel cell holds) in its roster and a 130,000-character cell in a CSV. Both are cleaned by the real
command in the same run; the target is the ratio of their peak memory: at most 1.5 (it was 11 before cells
were cut at 2,000 characters and blank cells found column by column).

    python benchmarks/long_cell.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from record import record

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import schoolfiles as sf  # noqa: E402  (hand-made school files)

TARGET_RATIO = 1.5
_ONE_RUN = ("import sys; from record import run_liushou; "
            "p, s, peak = run_liushou('clean', sys.argv[1], '--out', sys.argv[2], '--allow-incomplete'); "
            "sys.stderr.write(p.stderr); print(s, peak); sys.exit(p.returncode)")


def dataset(root: Path, long_cell: bool) -> Path:
    term = root / "2024-2025-1"
    rows = [[f"2024{i:04d}", f"学生{i}", "男", "七年级1班", "广东"] for i in range(1, 1017)]
    lines = ["学号,姓名,性别,班级,家庭住址"] + [f"2025{i:04d},学生{i},男,八年级1班,广东" for i in range(1, 1017)]
    if long_cell:
        rows[4][4] = "长" * 32767
        lines[5] = lines[5].replace("广东", "长" * 130000)
    sf.xlsx(term / "东山中学" / "学生花名册.xlsx", ["学号", "姓名", "性别", "班级", "家庭住址"], rows)
    (term / "东山中学" / "八年级名册.csv").write_text("\n".join(lines), encoding="utf-8")
    return root


def main() -> int:
    os.environ.setdefault("LIUSHOU_KEY", "benchmark-long-cell-key-0123456789")
    peaks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for long_cell in (False, True):
            raw = dataset(Path(tmp) / f"raw{int(long_cell)}", long_cell)
            # each clean in its own parent process, so each peak is its own (the children's peak is a maximum)
            proc = subprocess.run([sys.executable, "-c", _ONE_RUN, str(raw), str(Path(tmp) / f"clean{long_cell:d}")],
                                  capture_output=True, text=True, cwd=Path(__file__).parent)
            if proc.returncode != 0:
                print(proc.stderr)
                return proc.returncode
            seconds, peaks[long_cell] = map(float, proc.stdout.split()[-2:])
    ratio = peaks[True] / peaks[False]
    ok = ratio <= TARGET_RATIO
    print(f"long cell: peak memory {peaks[True]:.2f} GiB against {peaks[False]:.2f} GiB without it: ratio "
          f"{ratio:.2f} (target <= {TARGET_RATIO})")
    record("long_cell", seconds, peaks[True], ok, schools=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
