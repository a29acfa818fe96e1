"""The generator is deterministic, and the committed sample is what it makes."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.synth.calibration import Messiness
from liushou_analysis.synth.generate import record_id_numbers, synthesize
from liushou_analysis.synth.model import build_county
from liushou_analysis.synth.people import id_check_digit
from liushou_analysis.synth.sample import make_sample


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _content(path: Path):
    """What a file holds, independent of container details: a workbook's
    unzipped parts (zip compression can differ between zlib builds), a
    Parquet file's table, any other file's bytes."""
    if path.suffix == ".xlsx" and zipfile.is_zipfile(path):  # not an Excel lock file (~$...) left as litter
        with zipfile.ZipFile(path) as z:
            return {n: hashlib.sha256(z.read(n)).hexdigest() for n in sorted(z.namelist())}
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_byte_identical_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    synthesize(a, seed=5, n_schools=2, n_years=1)
    synthesize(b, seed=5, n_schools=2, n_years=1)
    synthesize(c, seed=6, n_schools=2, n_years=1)
    assert _files(a) == _files(b)
    for name in _files(a):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    differing = [n for n in _files(a) if n in _files(c) and (a / n).read_bytes() != (c / n).read_bytes()]
    assert differing


def test_committed_sample_is_regenerated_identically(tmp_path, sample_dir):
    fresh = tmp_path / "sample"
    make_sample(fresh)
    assert _files(fresh) == _files(sample_dir)
    for name in _files(sample_dir):
        old, new = _content(sample_dir / name), _content(fresh / name)
        if isinstance(old, pd.DataFrame):
            pd.testing.assert_frame_equal(old, new, obj=name)
        else:
            assert old == new, f"{name} differs from a fresh `make sample`: regenerate and commit it"


def test_recorded_id_numbers_have_flagged_defects_only():
    county = build_county(8, 2, 1)
    p = record_id_numbers(county, Messiness(invalid_id_number_share=0.05, id_birth_mismatch_share=0.05))
    rec = p.id_number_recorded.to_numpy()
    ok_check = id_check_digit(np.array([s[:17] for s in rec])) == np.array([s[17] for s in rec])
    assert (~ok_check == (p.id_defect == "bad_check_digit")).all()
    birth = pd.to_datetime(p.birth_date).dt.strftime("%Y%m%d").to_numpy()
    mismatch = np.array([s[6:14] for s in rec]) != birth
    assert (mismatch == (p.id_defect == "birth_date_mismatch")).all()
    assert (p.id_defect == "").mean() > 0.85


@pytest.mark.parametrize("table", ["pupils", "households", "exams", "pairings", "messiness", "files"])
def test_truth_tables_are_present(truth, table):
    assert len(truth[table]) > 0


def test_only_the_generator_and_validation_code_mention_the_truth_folder():
    """The truth is for validation only: no analysis module may read it."""
    package = Path(__file__).resolve().parents[1] / "liushou_analysis"
    readers = sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py")
                     if "_truth" in p.read_text(encoding="utf-8") or "TRUTH_DIR" in p.read_text(encoding="utf-8"))
    # cli.py checks a folder is a county before replacing it; core/terms.py skips the folder;
    # cleaning/pseudonym.py checks the generator's signature (synthetic data may use the demo key);
    # report/runner.py passes a signed county's planted effects file to notebook 02 as a parameter
    allowed = {"cli.py", "core/terms.py", "cleaning/pseudonym.py", "report/runner.py"}
    assert all(r.startswith("synth/") or r in allowed for r in readers), readers
