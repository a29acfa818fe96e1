"""liushou_analysis: survey research on rural left-behind children (留守儿童).

Clean school exports into tidy tables, describe care arrangements under each
definition of "left-behind", estimate pairing effects on class rank, and
compute and audit the reward-point scheme of a school plan.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
