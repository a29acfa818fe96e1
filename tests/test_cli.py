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


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere():
    import io

    from liushou_analysis.core.progress import Progress

    log = io.StringIO()
    p = Progress(log, tty=False)
    for i in range(1, 4):
        p.step(i, 3, f"file{i}.xlsx")
    p("done")
    assert log.getvalue().splitlines() == ["  [1/3] file1.xlsx", "  [2/3] file2.xlsx", "  [3/3] file3.xlsx", "  done"]
    screen = io.StringIO()
    bar = Progress(screen, tty=True)
    bar.step(1, 2_000_000, "a.xlsx")
    bar("a message closes the bar first")
    text = screen.getvalue()
    assert text.startswith("\r  [") and "1/2,000,000  a.xlsx" in text
    assert text.endswith("\n  a message closes the bar first\n")


def test_clean_summary_lines_up_counts_of_a_province():
    from liushou_analysis.cli import clean_summary

    totals = {"exams": {"rows_read": 21_034_567, "rows_kept": 20_998_001, "rows_quarantined": 36_566},
              "survey_variables": {"rows_read": 1_234, "rows_kept": 1_234, "rows_quarantined": 0}}
    manifest = {"terms": ["2024-2025-1"], "files": [], "pseudonym_key": "a key", "totals": totals,
                "linkage": {"exams": {"link_rate_pct": 99.9}}, "quarantine": {"rows": 0}, "field_issues": {"fields": 0},
                "files_skipped": [], "files_not_used": [], "incomplete": [], "analyses_without_data": []}
    lines = clean_summary(manifest, Path("raw"), Path("clean"), 1.0).splitlines()
    header, exams, small = lines[1], lines[2], lines[3]
    assert "21,034,567" in exams and "20,998,001" in exams
    for word, number in (("read", "21,034,567"), ("kept", "20,998,001"), ("quarantined", "36,566")):
        assert header.index(word) + len(word) == exams.index(number) + len(number)  # right-aligned under its header
    assert small.startswith("survey_variables") and exams.index("21,034,567") > len("survey_variables")


def test_clean_and_report_take_workers_and_a_read_cache():
    from liushou_analysis.cli import build_parser

    parser = build_parser()
    for command in (["clean", "raw"], ["report", "--data", "raw"]):
        args = parser.parse_args([*command, "--workers", "2", "--read-cache", "/secure/cache"])
        assert args.workers == 2 and str(args.read_cache) == "/secure/cache"
        assert parser.parse_args(command).workers == 1 and parser.parse_args(command).read_cache is None
