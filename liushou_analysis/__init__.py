"""liushou_analysis: survey research on rural left-behind children (留守儿童).

Clean school exports into tidy tables, describe care arrangements under each
definition of "left-behind", estimate pairing effects on class rank, and
compute and audit the reward-point scheme of a school plan.

The public functions are importable from here; each module's docstring
gives the rules it implements and their sources.
"""

from __future__ import annotations

import importlib
import os

# openpyxl writes every XML part differently when lxml is installed; workbooks must be the same bytes on
# every machine, so openpyxl always uses its own writer (read by openpyxl when it is first imported).
os.environ["OPENPYXL_LXML"] = "False"

from liushou_analysis._version import __version__

#: Public names and the module each lives in. They are imported on first use,
#: so ``import liushou_analysis`` (and ``liushou --help``) loads no data,
#: statistics, Excel or notebook library.
_EXPORTS = {
    "clean_dataset": "cleaning.pipeline", "load_codebook": "core.codebook",
    "estimate_effect": "statistics.effects", "ipw_effect": "statistics.effects",
    "regression_to_the_mean": "statistics.effects", "SurveyDesign": "statistics.survey",
    "growth_percentiles": "indicators.growth", "class_rank": "indicators.ranks",
    "percentile_rank": "indicators.ranks", "rank_change": "indicators.ranks",
    "archive_completeness": "indicators.routines", "five_ones": "indicators.routines",
    "three_ones": "indicators.routines", "care_arrangement": "indicators.status",
    "definition_counts": "indicators.status", "either_parent": "indicators.status",
    "guardian_characteristics": "indicators.status", "left_behind_status": "indicators.status",
    "official_2016": "indicators.status", "strict_both_3m": "indicators.status",
    "staggered_did": "statistics.staggered",
}
_MODULES = {"audit": "statistics.audit", "pairing": "statistics.pairing"}

__all__ = ["__version__", *sorted(_EXPORTS), *sorted(_MODULES)]


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f".{_MODULES[name]}", __name__)
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
