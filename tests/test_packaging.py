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
    assert pip == ["-e .[dev,lab]"]
    extras = set(_pyproject()["project"]["optional-dependencies"])
    assert {"dev", "lab", "report"} <= extras
    python = next(d for d in conda if d.startswith("python"))
    version = python.split("=")[1]
    low = _pyproject()["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, version.split("."))) >= tuple(map(int, low.split(".")))


def test_extras_are_split_by_use():
    project = _pyproject()["project"]
    names = lambda reqs: {re.split(r"[<>=!\[ ]", r)[0].lower() for r in reqs}  # noqa: E731
    extras = project["optional-dependencies"]
    assert "jupyterlab" in names(extras["lab"])
    assert {"pandas", "numpy", "scipy", "statsmodels", "seaborn"} <= names(project["dependencies"])
    # every notebook tool the code imports is in the report extra, and none is core
    report = {"ipykernel", "jupytext", "papermill", "nbconvert", "nbformat", "ipython"}
    assert report <= names(extras["report"]) and not report & names(project["dependencies"])
    floors = dict(re.match(r"([a-z0-9_-]+)>=([\d.]+)", r.lower()).groups() for r in project["dependencies"])
    assert floors["python-calamine"] == "0.4.0" and floors["pandas"] == "2.2.2" and floors["pyarrow"] == "16"
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
    assert "make wheel-check" in script  # the built wheel, installed elsewhere, renders a report


def test_layout_exists():
    for name in ["liushou_analysis", "notebooks", "notebooks/README.md", "data_raw", "data_clean", "reports", "tests", "benchmarks",
                 "environment.yml", "pyproject.toml", "Makefile", "README.md", ".ci/run"]:
        assert (ROOT / name).exists(), name


def test_package_data_ships_every_data_file_the_package_reads():
    """An installed (non-editable) copy needs the codebook, the font and the HTML template."""
    globs = _pyproject()["tool"]["setuptools"]["package-data"]["liushou_analysis"]
    package = ROOT / "liushou_analysis"
    files = [p.relative_to(package) for p in package.rglob("*") if p.is_file()
             and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert {"/".join(f.parts[:2]) for f in files} >= {"data/codebook.csv", "report/fonts", "report/templates"}
    missing = [str(f) for f in files if not any(f.match(g) for g in globs)]
    assert not missing, f"add to [tool.setuptools.package-data]: {missing}"


def test_the_notebooks_live_at_the_top_and_ship_inside_the_package():
    """notebooks/ sits beside liushou_analysis/ (where a researcher who clones the repository looks) and the wheel
    ships it as liushou_analysis/notebooks; every subpackage on disk is in the explicit packages list."""
    from liushou_analysis.core import config

    setuptools = _pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"liushou_analysis.notebooks": "notebooks"}
    assert setuptools["package-data"]["liushou_analysis.notebooks"] == ["*.py", "*.md"]
    on_disk = {"liushou_analysis"} | {"liushou_analysis." + p.parent.name
                                      for p in (ROOT / "liushou_analysis").glob("*/__init__.py")}
    assert set(setuptools["packages"]) == on_disk | {"liushou_analysis.notebooks"}
    assert not (ROOT / "liushou_analysis" / "notebooks").exists() and not (ROOT / "liushou_analysis" / "report" /
                                                                           "notebooks").exists()
    assert config.NOTEBOOKS == ROOT / "notebooks"
    assert sorted(p.name for p in config.NOTEBOOKS.glob("*.py")) == [
        "00_data_quality.py", "01_care_arrangements.py", "02_pairing_and_rank.py", "03_reward_points.py",
        "04_questionnaire.py"]


HEAVY = ("pandas", "numpy", "scipy", "statsmodels", "pandera", "openpyxl", "python_calamine", "matplotlib",
         "nbformat", "papermill", "nbconvert", "jupytext")


def _fresh(code: str) -> subprocess.CompletedProcess:
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_importing_the_package_and_asking_for_help_load_no_heavy_library():
    """`import liushou_analysis` and the parser behind `liushou --help` import no data, statistics, Excel or
    notebook library (they are imported where used, or lazily from __init__)."""
    code = ("import sys, liushou_analysis, liushou_analysis.cli as c; c.build_parser().format_help(); "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = _fresh(code)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr
    # the lazy names still resolve to the functions
    out = _fresh("from liushou_analysis import clean_dataset, SurveyDesign, pairing; print(clean_dataset.__module__, "
                 "SurveyDesign.__name__, pairing.__name__)")
    assert out.stdout.split() == ["liushou_analysis.cleaning.pipeline", "SurveyDesign", "liushou_analysis.statistics.pairing"]


def test_python_m_runs_the_command():
    import sys

    out = subprocess.run([sys.executable, "-m", "liushou_analysis", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "liushou_analysis" in out.stdout + out.stderr


def _module_imports(module_level: bool = True) -> dict[str, set[str]]:
    """Each package module and the package modules it imports: at module level only (imports inside functions
    are lazy and cannot form a cycle at import time), or anywhere with ``module_level=False``. Every import in
    the package is absolute (test_every_import_in_the_package_is_absolute)."""
    import ast

    pkg = ROOT / "liushou_analysis"
    names = {}
    for path in pkg.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set()
        for node in tree.body if module_level else ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in names else node.module
                          for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[name] = {m for m in found if m in names and m != name}
    return graph


def test_no_import_cycle():
    """Reference: a depth-first walk of the module-level imports; a back edge is a cycle."""
    graph = _module_imports()
    state: dict[str, int] = {}
    cycles = []

    def walk(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    assert not cycles, cycles[:3]


#: The layers, lowest first: a module may import its own layer and those before it (core.config and the
#: package root sit in core). synth is a data source apart, and cli is the edge that may import anything.
LAYERS = ["core", "readers", "store", "cleaning", "indicators", "scoring", "statistics", "report", "cli"]
SYNTH_MAY_IMPORT = {"core", "readers", "store", "cleaning", "indicators", "statistics", "synth"}


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("_version", "__main__"):
        return "core" if len(parts) == 1 or parts[1] == "_version" else "cli"
    return parts[1]


def test_imports_flow_one_way_through_the_layers():
    """Reference: the layer order in docs/architecture.md. Every import, including those inside functions,
    goes to the module's own layer or one below it; nothing but the CLI and tests imports synth."""
    against = []
    for module, imports in _module_imports(module_level=False).items():
        here = _layer(module)
        for target in imports:
            there = _layer(target)
            if here == "synth":
                ok = there in SYNTH_MAY_IMPORT
            elif there == "synth":
                ok = here == "cli"
            else:
                ok = here == "cli" or LAYERS.index(there) <= LAYERS.index(here)
            if not ok:
                against.append(f"{module} -> {target}")
    assert not against, against


def test_every_import_in_the_package_is_absolute():
    """Relative imports hide the layer an import crosses; the layer test reads absolute ones."""
    import ast

    relative = [str(p.relative_to(ROOT)) for p in (ROOT / "liushou_analysis").rglob("*.py")
                if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse(p.read_text("utf-8"))))]
    assert not relative, relative


def test_the_layer_test_sees_an_arrow_against_the_flow():
    """The check itself: an indicator importing the report layer is caught."""
    assert _layer("liushou_analysis.indicators.care") == "indicators"
    assert LAYERS.index(_layer("liushou_analysis.report.disclosure")) > LAYERS.index("indicators")
    assert _layer("liushou_analysis") == "core" and _layer("liushou_analysis.__main__") == "cli"


def test_data_dictionary_is_current():
    """docs/data-dictionary.md is generated from the schemas and the codebook (tools/make_data_dictionary.py)."""
    from liushou_analysis.cleaning.schemas import data_dictionary

    assert (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8") == data_dictionary(), \
        "run python tools/make_data_dictionary.py"


def test_no_module_or_test_reads_outside_the_repository():
    """The project stands alone: no path into ../shared or to an absolute location in code or tests."""
    offenders = []
    for path in [*(ROOT / "liushou_analysis").rglob("*.py"), *(ROOT / "notebooks").glob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"\.\./shared|/work/|DOMAIN\.md|CONVENTIONS\.md", text) and path.name != "test_packaging.py":
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
