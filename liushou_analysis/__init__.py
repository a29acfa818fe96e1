"""liushou_analysis: survey research on rural left-behind children (留守儿童).

Clean school exports into tidy tables, describe care arrangements under each
definition of "left-behind", estimate pairing effects on class rank, and
compute and audit the reward-point scheme of a school plan.

The public functions are importable from here; each module's docstring
gives the rules it implements and their sources.
"""

from ._version import __version__  # noqa: E402

from . import audit, pairing  # noqa: E402
from .cleaning.pipeline import clean_dataset  # noqa: E402
from .codebook import load_codebook  # noqa: E402
from .effects import estimate_effect, ipw_effect, regression_to_the_mean  # noqa: E402
from .growth import growth_percentiles  # noqa: E402
from .ranks import class_rank, percentile_rank, rank_change  # noqa: E402
from .routines import archive_completeness, five_ones, three_ones  # noqa: E402
from .survey import SurveyDesign  # noqa: E402
from .status import (  # noqa: E402
    care_arrangement,
    definition_counts,
    either_parent,
    guardian_characteristics,
    left_behind_status,
    official_2016,
    strict_both_3m,
)

__all__ = [
    "__version__",
    "archive_completeness",
    "audit",
    "care_arrangement",
    "class_rank",
    "clean_dataset",
    "definition_counts",
    "either_parent",
    "estimate_effect",
    "five_ones",
    "growth_percentiles",
    "ipw_effect",
    "guardian_characteristics",
    "left_behind_status",
    "load_codebook",
    "official_2016",
    "pairing",
    "percentile_rank",
    "rank_change",
    "regression_to_the_mean",
    "strict_both_3m",
    "SurveyDesign",
    "three_ones",
]
