"""The `liushou` command: help a newcomer understands, one-sentence errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LIUSHOU = Path(sys.executable).parent / "liushou"


def run(*args, cwd=None):
    return subprocess.run([str(LIUSHOU), *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_help_explains_the_tool_and_its_commands():
    out = run("--help")
    assert out.returncode == 0
    for words in ["left-behind", "data_raw", "term id", "synth", "inventory", "examples"]:
        assert words in out.stdout


def test_synth_help_describes_every_option():
    out = run("synth", "--help")
    assert out.returncode == 0
    for opt in ["--out", "--seed", "--schools", "--years", "_truth"]:
        assert opt in out.stdout


@pytest.mark.parametrize("args, words", [
    (["synth", "--out", "x", "--schools", "0"], "too small"),
    (["synth", "--out", "x", "--years", "two"], "not a whole number"),
    (["inventory", "no/such/folder"], "does not exist"),
])
def test_user_mistakes_get_one_sentence_and_no_traceback(tmp_path, args, words):
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert words in out.stderr and "Traceback" not in out.stderr


def test_synth_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "precious.xlsx").write_bytes(b"data")
    out = run("synth", "--out", tmp_path, "--schools", "1", "--years", "1")
    assert out.returncode == 2 and "liushou did not write" in out.stderr
    assert (tmp_path / "precious.xlsx").exists()


def test_synth_writes_terms_and_truth_and_reports_progress(tmp_path):
    out = run("synth", "--out", tmp_path / "county", "--seed", "3", "--schools", "1", "--years", "1")
    assert out.returncode == 0, out.stderr
    assert "writing term 2023-2024-1" in out.stderr
    assert sorted(p.name for p in (tmp_path / "county").iterdir()) == [".liushou-output", "2023-2024-1",
                                                                      "2023-2024-2", "README.md", "_truth",
                                                                      "questionnaire.toml"]  # the pupil questionnaire's codebook
    again = run("synth", "--out", tmp_path / "county", "--seed", "3", "--schools", "1", "--years", "1")
    assert again.returncode == 0  # replacing its own output is allowed


def test_inventory_writes_csv(tmp_path, sample_dir):
    out = run("inventory", sample_dir, "--out", tmp_path / "inv.csv")
    assert out.returncode == 0 and (tmp_path / "inv.csv").exists()
    assert "4 terms" in out.stdout
