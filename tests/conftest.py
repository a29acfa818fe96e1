"""Shared fixtures: the bundled sample county and its truth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from liushou_analysis.core import config

from .rawfiles import read_file

SAMPLE = config.raw_dir(config.SAMPLE_DATASET)


#: Test files that take longest (measured with --durations), started first so no core idles at the end while
#: one of them runs alone; `make test` keeps this order (--no-loadscope-reorder).
LONGEST_FIRST = ["test_pairing.py", "test_disclosure_attack.py", "test_report.py", "test_small_county.py",
                 "test_synth_generate.py", "test_cluster.py", "test_questionnaire.py",
                 "test_growth.py", "test_cleaning_pipeline.py", "test_status.py", "test_survey.py", "test_effects.py",
                 "test_ranks.py", "test_synth_exports.py", "test_safety.py", "test_scoring.py", "test_audit.py"]


def pytest_collection_modifyitems(items):
    """Run the longest test files first (the order within a file is kept)."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    assert (SAMPLE / "_truth" / "truth.json").exists(), "data_raw/sample is missing: run `make sample`"
    return SAMPLE


@pytest.fixture(scope="session")
def truth(sample_dir):
    """Truth tables of the sample, by name (validation code only)."""
    folder = sample_dir / "_truth"
    tables = {p.stem: pd.read_parquet(p) for p in folder.glob("*.parquet")}
    tables["meta"] = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return tables


@pytest.fixture(scope="session")
def sample_views(sample_dir):
    """Every sheet of every raw file in the sample, read from disk."""
    views, facts = [], {}
    for path in sorted(sample_dir.glob("20*/**/*")):  # office-kept schools' files are in school folders
        if path.suffix not in (".csv", ".xlsx") or path.name.startswith("~$"):
            continue
        v, f = read_file(path, sample_dir)
        views.extend(v)
        facts[path.relative_to(sample_dir).as_posix()] = f
    return views, facts


@pytest.fixture(scope="session")
def sample_clean(tmp_path_factory, sample_dir):
    """The sample cleaned once per test run, shared by the xdist workers (the first to need it cleans it while
    the others wait on a lock): (folder, manifest). Tests read it and never change it."""
    import fcntl

    from liushou_analysis.cleaning.pipeline import clean_dataset
    from liushou_analysis.store import CleanStore

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    out = shared / "shared-clean" / "sample"
    with open(shared / "shared-clean.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "manifest.json").exists():
            clean_dataset(sample_dir, out)
    return out, CleanStore(out).manifest
