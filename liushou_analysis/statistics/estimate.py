"""The one vocabulary every estimator answers in.

An estimator returns an :class:`Estimate`: a tidy table with one row per
quantity (and per group), in the columns of :data:`COLUMNS`, plus the fitted
model where there is one and any diagnostics. ``n`` and the other columns
named in ``counts`` are counts of pupils, which the report's disclosure guard
checks; no result travels in ``DataFrame.attrs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The columns of every estimate table, after its grouping columns and ``quantity`` (what is estimated).
COLUMNS = ["estimate", "se", "ci_low", "ci_high", "p_value", "df", "n", "method"]


def tidy(rows: list[dict] | pd.DataFrame, groups: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows as an estimate table: grouping columns, ``quantity``, :data:`COLUMNS`,
    then any other columns; a column an estimator has no value for (a p-value
    of a share, say) is missing."""
    frame = pd.DataFrame(rows)
    for col in ["quantity", *COLUMNS]:
        if col not in frame.columns:
            frame[col] = np.nan
    first = [*groups, "quantity", *COLUMNS]
    return frame[first + [c for c in frame.columns if c not in first]]


@dataclass
class Estimate:
    """An estimator's result: ``table`` (see :func:`tidy`), the fitted
    ``model`` (statsmodels results, where there is one), ``details`` (tests,
    diagnostics, named scalars) and ``counts``, the table's count columns."""

    table: pd.DataFrame
    model: object | None = None
    details: dict = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    counts: tuple[str, ...] = ("n",)

    def __post_init__(self):
        missing = [c for c in ["quantity", *COLUMNS] if c not in self.table.columns]
        if missing:
            raise ValueError(f"an estimate table needs the columns {missing}")

    def row(self, quantity: str | None = None) -> pd.Series:
        """The row of ``quantity`` (the only row when not given)."""
        t = self.table if quantity is None else self.table[self.table.quantity == quantity]
        if len(t) != 1:
            raise KeyError(f"{len(t)} rows match {quantity!r}")
        return t.iloc[0]

    def summary(self) -> str:
        """A plain-text table of the estimates (and the model's own summary, where there is a model)."""
        shown = self.table[[*self.groups, "quantity", "estimate", "se", "ci_low", "ci_high", "p_value", "n",
                            "method"]]
        text = shown.to_string(index=False, float_format=lambda v: f"{v:.4g}")
        if self.model is not None and hasattr(self.model, "summary"):
            text += "\n\n" + str(self.model.summary())
        return text
