"""The bundled sample county: ``python -m liushou_analysis.synth.sample [OUT]``.

Regenerates ``data_raw/sample`` (or OUT) with the parameters fixed in
:mod:`liushou_analysis.core.config`; a test checks the committed copy is identical.
"""

from __future__ import annotations

import sys
from pathlib import Path

from liushou_analysis.core import config
from liushou_analysis.synth.generate import synthesize


def make_sample(out: Path | None = None, progress=None) -> dict:
    """Write the sample county to ``out`` (default ``data_raw/sample``)."""
    out = Path(out) if out else config.raw_dir(config.SAMPLE_DATASET)
    return synthesize(out, config.SAMPLE_SEED, config.SAMPLE_SCHOOLS, config.SAMPLE_YEARS,
                      start_year=config.SAMPLE_START_YEAR, progress=progress)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    print(make_sample(target, progress=lambda m: print(" ", m, file=sys.stderr)))
