"""liushou_analysis: survey research on rural left-behind children (留守儿童).

Clean school exports into tidy tables, describe care arrangements under each
definition of "left-behind", estimate pairing effects on class rank, and
compute and audit the reward-point scheme of a school plan.

The public functions are importable from here; each module's docstring
gives the rules it implements and their sources.
"""

from __future__ import annotations

import importlib

from ._version import __version__

#: Public names and the module each lives in. They are imported on first use,
#: so ``import liushou_analysis`` (and ``liushou --help``) loads no data,
#: statistics, Excel or notebook library.
_EXPORTS = {
    "clean_dataset": "cleaning.pipeline", "load_codebook": "codebook",
    "estimate_effect": "effects", "ipw_effect": "effects", "regression_to_the_mean": "effects",
    "growth_percentiles": "growth", "class_rank": "ranks", "percentile_rank": "ranks", "rank_change": "ranks",
    "archive_completeness": "routines", "five_ones": "routines", "three_ones": "routines",
    "SurveyDesign": "survey", "care_arrangement": "status", "definition_counts": "status",
    "either_parent": "status", "guardian_characteristics": "status", "left_behind_status": "status",
    "official_2016": "status", "strict_both_3m": "status",
}
_MODULES = {"audit", "pairing"}

__all__ = ["__version__", *sorted(_EXPORTS), *sorted(_MODULES)]


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
