"""Setup files agree: pyproject.toml is the one list of dependencies."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_environment_yml_installs_the_project_from_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert sorted(re.split(r"[=<>]", d)[0] for d in conda) == ["pip", "python"], \
        "environment.yml must list no packages of its own: add them to pyproject.toml"
    assert pip == ["-e .[dev,notebooks]"]
    extras = set(_pyproject()["project"]["optional-dependencies"])
    assert {"dev", "notebooks"} <= extras
    python = next(d for d in conda if d.startswith("python"))
    version = python.split("=")[1]
    low = _pyproject()["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, version.split("."))) >= tuple(map(int, low.split(".")))


def test_notebooks_extra_has_jupyterlab_and_core_has_the_stack():
    project = _pyproject()["project"]
    names = lambda reqs: {re.split(r"[<>=!\[ ]", r)[0].lower() for r in reqs}  # noqa: E731
    assert "jupyterlab" in names(project["optional-dependencies"]["notebooks"])
    assert {"pandas", "numpy", "scipy", "statsmodels", "seaborn"} <= names(project["dependencies"])
    assert project["scripts"]["liushou"] == "liushou_analysis.cli:main"


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:8]
    assert any(line.startswith("make report") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_make_help_lists_the_targets():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("test", "report", "validate", "sample", "bench"):
        assert f"make {target}" in out


def test_ci_runs_make_test_and_fails_on_failure():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in script and "set -euo pipefail" in script


def test_layout_exists():
    for name in ["liushou_analysis", "notebooks", "data_raw", "data_clean", "reports", "tests", "benchmarks",
                 "environment.yml", "pyproject.toml", "Makefile", "README.md", ".ci/run"]:
        assert (ROOT / name).exists(), name


def test_package_data_ships_every_data_file_the_package_reads():
    """An installed (non-editable) copy needs the codebook, the font and the HTML template."""
    globs = _pyproject()["tool"]["setuptools"]["package-data"]["liushou_analysis"]
    package = ROOT / "liushou_analysis"
    files = [p.relative_to(package) for p in package.rglob("*") if p.is_file()
             and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert {f.parts[0] for f in files} >= {"data", "fonts", "templates"}
    missing = [str(f) for f in files if not any(f.match(g) for g in globs)]
    assert not missing, f"add to [tool.setuptools.package-data]: {missing}"
