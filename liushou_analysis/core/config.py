"""Every path the project uses, in one place.

Data flows one way: ``data_raw/`` (immutable exports) -> ``data_clean/``
(validated tidy tables) -> ``reports/``. The project root is the folder that
holds ``pyproject.toml``; set ``LIUSHOU_HOME`` to work from another folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The project folder: ``$LIUSHOU_HOME``, else the checkout this package is in, else the cwd."""
    if os.environ.get("LIUSHOU_HOME"):
        return Path(os.environ["LIUSHOU_HOME"]).resolve()
    here = Path(__file__).resolve().parents[2]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


ROOT = project_root()
DATA_RAW = ROOT / "data_raw"
DATA_CLEAN = ROOT / "data_clean"
REPORTS = ROOT / "reports"
#: The term notebooks: ``notebooks/`` at the top of a clone of the repository (where their sources live), or
#: ``liushou_analysis/notebooks`` in an installed wheel (pyproject.toml ships them there), so an installed package
#: can render a report from any folder.
_PACKAGE = Path(__file__).resolve().parents[1]
NOTEBOOKS = _PACKAGE / "notebooks" if (_PACKAGE / "notebooks").is_dir() else _PACKAGE.parent / "notebooks"

#: The bundled sample county: how `make sample` regenerates it.
SAMPLE_DATASET = "sample"
SAMPLE_SEED = 2024
SAMPLE_SCHOOLS = 6
SAMPLE_YEARS = 2
SAMPLE_START_YEAR = 2023


def raw_dir(dataset: str) -> Path:
    """``data_raw/<dataset>``."""
    return DATA_RAW / dataset


def clean_dir(dataset: str) -> Path:
    """``data_clean/<dataset>``."""
    return DATA_CLEAN / dataset


def report_dir(dataset: str, term: str | None = None) -> Path:
    """``reports/<dataset>``, or its term folder."""
    return REPORTS / dataset / term if term else REPORTS / dataset
