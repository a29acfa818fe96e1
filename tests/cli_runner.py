"""Run ``liushou`` in this process, as a test's user would from a shell.

``main(argv)`` is the console script's whole body, so calling it with
stdout and stderr captured gives the same exit code and messages as a
subprocess, without paying the interpreter's start and imports for every
call. ``tests/test_cli.py`` keeps real subprocess runs of the installed
command.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess

from liushou_analysis.cli import main


def liushou(*args, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """Exit code, stdout and stderr of ``liushou ARGS``; ``env`` sets (or, with None, unsets) variables for the
    run only."""
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    try:
        for k, v in (env or {}).items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse's usage errors
                code = stop.code if isinstance(stop.code, int) else 2
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(["liushou", *argv], code, out.getvalue(), err.getvalue())
