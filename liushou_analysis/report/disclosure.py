"""Small-cell suppression for published tables of pupil counts.

A published count of fewer than ``k`` pupils (default :data:`MIN_CELL`, 10)
can identify children, so it is suppressed (primary suppression). A
suppressed cell must also not be recoverable from the totals printed beside
it, so further cells are suppressed (complementary suppression) until

1. every row and column of the table, with its total, has either no
   suppressed cell or at least two, and
2. no suppressed cell is pinned by the published numbers: solving the
   linear programmes "smallest and largest value this cell can take, given
   every published cell and total and that counts are not negative" gives a
   range at least one pupil wide (:func:`feasible_ranges`).

Complementary cells are the smallest positive published cells of the line
that needs one, so as little as possible is hidden. Zero cells are
published: a zero reveals no pupil.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from liushou_analysis.core.flags import is_true

#: Smallest count of pupils a published cell may show; ``$LIUSHOU_MIN_CELL`` overrides it.
MIN_CELL = int(os.environ.get("LIUSHOU_MIN_CELL", "10"))
TOTAL = "合计 total"


def with_margins(counts: pd.DataFrame) -> pd.DataFrame:
    """The table with a total column and a total row (both named :data:`TOTAL`)."""
    t = counts.copy()
    t[TOTAL] = t.sum(axis=1)
    t.loc[TOTAL] = t.sum(axis=0)
    return t


def _lines(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    """Each row and column of a table with margins, as lists of (i, j), the total last."""
    n, m = shape
    rows = [[(i, j) for j in range(m)] for i in range(n)]
    cols = [[(i, j) for i in range(n)] for j in range(m)]
    return rows + cols


def feasible_ranges(values: np.ndarray, suppressed: np.ndarray) -> np.ndarray:
    """For a table with margins (last row and column are totals), the
    smallest and largest value each suppressed cell can take given the
    published cells: shape (cells, 2) in the order of ``np.argwhere``."""
    cells = [tuple(c) for c in np.argwhere(suppressed)]
    if not cells:
        return np.empty((0, 2))
    index = {c: k for k, c in enumerate(cells)}
    a_eq, b_eq = [], []
    for line in _lines(values.shape):
        *parts, total = line
        row = np.zeros(len(cells))
        rhs = 0.0
        for cell, sign in [(c, 1.0) for c in parts] + [(total, -1.0)]:
            if cell in index:
                row[index[cell]] += sign
            else:
                rhs -= sign * values[cell]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    out = np.empty((len(cells), 2))
    for k in range(len(cells)):
        c = np.zeros(len(cells))
        for col, sign in ((0, 1.0), (1, -1.0)):
            c[k] = sign
            res = linprog(c, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=(0, None), method="highs")
            out[k, col] = sign * res.fun if res.success else values[cells[k]]
    return out


def _add_complement(values: np.ndarray, suppressed: np.ndarray, line: list[tuple[int, int]]) -> bool:
    """Suppress the smallest positive published cell of ``line`` (a total only if nothing else is left)."""
    inner = [c for c in line[:-1] if not suppressed[c] and values[c] > 0]
    if not inner:
        inner = [c for c in line if not suppressed[c]]
    if not inner:
        return False
    pick = min(inner, key=lambda c: values[c])
    suppressed[pick] = True
    return True


def suppression_mask(counts: pd.DataFrame, k: int = MIN_CELL) -> pd.DataFrame:
    """Which cells of ``with_margins(counts)`` to suppress (True) so the table
    can be published (see the module docstring for the rules).

    >>> t = pd.DataFrame({"a": [12, 3, 20], "b": [15, 14, 30]}, index=["x", "y", "z"])
    >>> suppression_mask(t).astype(int).to_numpy().tolist()  # y's 3 and, to protect it, y's 14 and x's 12 and 15
    [[1, 1, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0]]
    """
    table = with_margins(counts)
    values = table.to_numpy(dtype=float)
    suppressed = (values > 0) & (values < k)
    lines = _lines(values.shape)
    for _ in range(values.size):
        changed = False
        for line in lines:
            if sum(suppressed[c] for c in line) == 1:
                changed |= _add_complement(values, suppressed, line)
        if changed:
            continue
        cells = [tuple(c) for c in np.argwhere(suppressed)]
        ranges = feasible_ranges(values, suppressed)
        pinned = [c for c, (lo, hi) in zip(cells, ranges) if hi - lo < 1]
        if not pinned:
            break
        i, j = pinned[0]
        if not (_add_complement(values, suppressed, lines[i]) or
                _add_complement(values, suppressed, lines[values.shape[0] + j])):
            break
    return pd.DataFrame(suppressed, index=table.index, columns=table.columns)


def suppress_counts(counts: pd.DataFrame, k: int = MIN_CELL) -> pd.DataFrame:
    """``counts`` with margins, ready to publish: suppressed cells are missing (``<NA>``)."""
    table = with_margins(counts).astype("Int64")
    return table.mask(suppression_mask(counts, k))


def suppress_small_groups(frame: pd.DataFrame, n: str, values: list[str], k: int = MIN_CELL) -> pd.DataFrame:
    """Rates and means of groups with fewer than ``k`` pupils (column ``n``)
    are suppressed, and so is that ``n``. A rate hides its numerator only when
    the group is large, so use this for averages, and :func:`suppress_counts`
    for tables of counts.

    >>> d = pd.DataFrame({"school": ["a", "b"], "pupils": [25, 6], "rate": [0.4, 0.5]})
    >>> suppress_small_groups(d, "pupils", ["rate"]).rate.tolist()
    [0.4, nan]
    """
    out = frame.copy()
    small = out[n] < k
    for col in values:
        out[col] = out[col].astype(float).mask(small)
    counts = out[n].astype(float)
    whole = counts.dropna().eq(counts.dropna().round()).all()
    out[n] = (counts.astype("Int64") if whole else counts).mask(small)  # counts stay whole numbers
    return out


def suppress_breakdown(table: pd.DataFrame, domain: str, category: str, count: str, values: list[str],
                       k: int = MIN_CELL) -> pd.DataFrame:
    """A long table of counts by ``domain`` and ``category`` (with their
    shares or other ``values``) with every cell :func:`suppression_mask`
    hides set missing, and a ``suppressed`` column: the small cells and the
    complementary ones that protect them through the domain and category
    totals."""
    if table.empty:
        return table.assign(suppressed=pd.Series(dtype=bool))
    counts = table.pivot_table(index=domain, columns=category, values=count, aggfunc="sum", fill_value=0)
    hidden = suppression_mask(counts, k).drop(index=TOTAL, columns=TOTAL).stack().rename("suppressed")
    out = table.merge(hidden.reset_index(), on=[domain, category], how="left")
    out["suppressed"] = is_true(out.suppressed)
    out[count] = out[count].astype("Int64").mask(out.suppressed)
    for col in values:
        out[col] = out[col].astype(float).mask(out.suppressed)
    return out
