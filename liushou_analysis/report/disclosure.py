"""Small-cell suppression for published tables of pupil counts.

A published count of fewer than ``k`` pupils (default :data:`MIN_CELL`, 10)
can identify children, so it is suppressed (primary suppression). A
suppressed cell must also not be recoverable from the totals printed beside
it, so further cells are suppressed (complementary suppression) until

1. every row and column of the table has either no suppressed cell or at
   least two among its own cells, its total left aside: the same pupils'
   total may be printed elsewhere in the report (a grade's left-behind
   pupils on the care page, its paired pupils on the payout page), so a
   line is protected as if its total were known, and
2. no suppressed cell is pinned by the published numbers: solving the
   linear programmes "smallest and largest value this cell can take, given
   every published cell and total and that counts are not negative" gives a
   range at least one pupil wide (:func:`feasible_ranges`).

Complementary cells are the smallest positive published cells of the line
that needs one, so as little as possible is hidden. Zero cells are
published (a zero reveals no pupil) unless a zero is the only other cell of
a line with a hidden count: then the zero is hidden too, or the line's
total would give the count back.
"""

from __future__ import annotations

import os
from itertools import combinations

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
            out[k, col] = _bound(res, sign, values[cells[k]])
    return out


def _bound(res, sign: float, value: float) -> float:
    """A cell's smallest (``sign`` 1) or largest (-1) value from its linear programme: unbounded when nothing
    printed limits it (every cell of its lines hidden), else the cell's own value if the programme failed."""
    if res.status == 3:
        return -sign * np.inf
    return sign * res.fun if res.success else value


class _Cells:
    """The published cells of a cube of counts: every cell of every margin
    (a margin is a tuple of the cube's dimensions; ``()`` is the grand total),
    each the sum of the cube cells it covers, and the lines (a row of a
    margin with the total it adds up to) that an intruder can difference."""

    def __init__(self, cube: pd.Series, margins: list[tuple[str, ...]]):
        dims = list(cube.index.names)
        full = pd.MultiIndex.from_product([cube.index.unique(d) for d in dims], names=dims)
        self.cube = cube.groupby(level=dims).sum().reindex(full, fill_value=0)
        closure = sorted({tuple(d for d in dims if d in sub) for m in margins
                          for r in range(len(m) + 1) for sub in combinations(m, r)}, key=lambda m: (-len(m), m))
        self.margins, self.keys, rows, values, self.cell = [], [], [], [], {}
        for margin in closure:
            codes = self._codes(margin)
            for key, members in pd.Series(np.arange(len(self.cube))).groupby(codes, sort=True):
                key = key if isinstance(key, tuple) else (key,) if margin else ()
                self.cell[(margin, key)] = len(self.keys)
                self.margins.append(margin)
                self.keys.append(key)
                row = np.zeros(len(self.cube))
                row[members.to_numpy()] = 1.0
                rows.append(row)
                values.append(self.cube.to_numpy()[members.to_numpy()].sum())
        self.matrix, self.values = np.array(rows), np.array(values, dtype=float)
        self.lines = []
        for margin in closure:
            for d in margin:
                parent = tuple(x for x in margin if x != d)
                groups: dict[tuple, list[int]] = {}
                for (m, key), i in self.cell.items():
                    if m == margin:
                        groups.setdefault(tuple(v for x, v in zip(margin, key) if x != d), []).append(i)
                for pkey, members in sorted(groups.items()):
                    self.lines.append([*members, self.cell[(parent, pkey)]])

    def _codes(self, margin):
        if not margin:
            return np.zeros(len(self.cube), dtype=int)
        return [self.cube.index.get_level_values(d) for d in margin]

    def ranges(self, hidden: np.ndarray):
        """For each hidden cell in turn, (cell, smallest, largest): the values it can take given every shown
        cell and that counts are not negative (the intruder's linear programmes). A generator, so a caller
        looking for a pinned cell stops at the first."""
        shown = ~hidden
        # cube cells inside a shown zero are zero: fixing them leaves smaller programmes with the same answers
        zero = self.matrix[shown & (self.values == 0)].any(axis=0)
        a_eq, b_eq = self.matrix[shown][:, ~zero], self.values[shown]
        keep = a_eq.any(axis=1)
        a_eq, b_eq = a_eq[keep], b_eq[keep]
        for i in np.flatnonzero(hidden):
            bounds = []
            for sign in (1.0, -1.0):
                res = linprog(sign * self.matrix[i][~zero], A_eq=a_eq if len(a_eq) else None,
                              b_eq=b_eq if len(b_eq) else None, bounds=(0, None), method="highs")
                bounds.append(_bound(res, sign, self.values[i]))
            yield i, bounds[0], bounds[1]


def _add_complement(values: np.ndarray, hidden: np.ndarray, line: list[int]) -> bool:
    """Hide the smallest positive shown cell of ``line``, else a shown zero of it (its total only if nothing
    else is left)."""
    for candidates in ([c for c in line[:-1] if not hidden[c] and values[c] > 0],
                       [c for c in line[:-1] if not hidden[c]], [c for c in line if not hidden[c]]):
        if candidates:
            hidden[min(candidates, key=lambda c: values[c])] = True
            return True
    return False


def _exposed(hidden: np.ndarray, line: list[int]) -> bool:
    """A line that gives a hidden cell back by differencing: one hidden cell among the line and its total, or
    one hidden cell among its parts alone (the same pupils' total may be printed on another page, so a line is
    protected as if its total were known)."""
    parts = line[:-1]
    return hidden[line].sum() == 1 or (len(parts) > 1 and hidden[parts].sum() == 1)


def protect_margins(cube: pd.Series, margins: list[tuple[str, ...]], k: int = MIN_CELL,
                    hide: dict[tuple[str, ...], list] | None = None) -> dict[tuple[str, ...], pd.Series]:
    """Which cells to suppress when several tables of one population are published together.

    ``cube`` counts pupils by every dimension any of the tables uses (a Series
    with a MultiIndex, e.g. school x grade x care arrangement); each margin is
    the dimensions of one published table (``("school", "care")``). A table
    shows its totals too, so every sub-margin is published (down to the grand
    total). The rules of the module docstring then apply to all the tables at
    once: a cell hidden in one is hidden wherever it is printed, and the
    intruder's linear programmes use every shown cell of every table. ``hide``
    names cells to hide in any case (``{("care",): [("none_self",)]}``).

    Returns, for each margin of the closure, a boolean Series indexed by its
    cells (``()`` is the grand total) that is True where the cell is hidden.
    """
    cells = _Cells(cube, margins)
    values = cells.values
    hidden = (values > 0) & (values < k)
    for margin, keys in (hide or {}).items():
        for key in keys:
            hidden[cells.cell[(margin, tuple(key))]] = True
    for _ in range(len(values)):
        changed = False
        for line in cells.lines:
            if _exposed(hidden, line):
                changed |= _add_complement(values, hidden, line)
        if changed:
            continue
        pinned = next((i for i, lo, hi in cells.ranges(hidden) if hi - lo < 1), None)
        if pinned is None:
            break
        if not any(_add_complement(values, hidden, line) for line in cells.lines if pinned in line):
            break
    out = {}
    for margin in dict.fromkeys(cells.margins):
        idx = [i for i, m in enumerate(cells.margins) if m == margin]
        keys = [cells.keys[i] for i in idx]
        index = pd.MultiIndex.from_tuples(keys, names=list(margin)) if len(margin) > 1 else \
            pd.Index([key[0] for key in keys], name=margin[0]) if margin else pd.Index([TOTAL])
        out[margin] = pd.Series(hidden[idx], index=index)
    return out


def suppression_mask(counts: pd.DataFrame, k: int = MIN_CELL) -> pd.DataFrame:
    """Which cells of ``with_margins(counts)`` to suppress (True) so the table
    can be published (see the module docstring for the rules).

    >>> t = pd.DataFrame({"a": [12, 3, 20], "b": [15, 14, 30]}, index=["x", "y", "z"])
    >>> suppression_mask(t).astype(int).to_numpy().tolist()  # y's 3 and, to protect it, y's 14 and x's 12 and 15
    [[1, 1, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0]]
    """
    if counts.size == 0:
        table = with_margins(counts)
        return pd.DataFrame(False, index=table.index, columns=table.columns)
    cube = counts.rename_axis(index="row", columns="column").stack()
    return table_mask(protect_margins(cube, [("row", "column")], k), "row", "column", counts)


def table_mask(masks: dict[tuple[str, ...], pd.Series], row: str, column: str,
               counts: pd.DataFrame) -> pd.DataFrame:
    """The mask of one two-way table (``row`` by ``column``, laid out as ``counts``) with its margins, from
    :func:`protect_margins` over a cube that holds it."""
    table = with_margins(counts)
    out = pd.DataFrame(False, index=table.index, columns=table.columns)
    inner = masks[(row, column)].unstack(column) if (row, column) in masks else \
        masks[(column, row)].unstack(row).T
    out.loc[counts.index, counts.columns] = inner.loc[counts.index, counts.columns].to_numpy()
    out.loc[counts.index, TOTAL] = masks[(row,)].loc[counts.index].to_numpy()
    out.loc[TOTAL, counts.columns] = masks[(column,)].loc[counts.columns].to_numpy()
    out.loc[TOTAL, TOTAL] = bool(masks[()].iloc[0])
    return out.astype(bool)


def suppress_counts(counts: pd.DataFrame, k: int = MIN_CELL, mask: pd.DataFrame | None = None) -> pd.DataFrame:
    """``counts`` with margins, ready to publish: suppressed cells are missing (``<NA>``). ``mask`` (from
    :func:`table_mask`, when the table is one of several linked ones) replaces the table's own."""
    table = with_margins(counts).astype("Int64")
    return table.mask(suppression_mask(counts, k) if mask is None else mask)


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
                       k: int = MIN_CELL, hidden: pd.Series | None = None) -> pd.DataFrame:
    """A long table of counts by ``domain`` and ``category`` (with their
    shares or other ``values``) with every cell :func:`suppression_mask`
    hides set missing, and a ``suppressed`` column: the small cells and the
    complementary ones that protect them through the domain and category
    totals. ``hidden`` (True where hidden, indexed by domain and category,
    e.g. from :func:`protect_margins` over several linked tables) replaces
    the table's own mask."""
    if table.empty:
        return table.assign(suppressed=pd.Series(dtype=bool))
    if hidden is None:
        counts = table.pivot_table(index=domain, columns=category, values=count, aggfunc="sum", fill_value=0)
        hidden = suppression_mask(counts, k).drop(index=TOTAL, columns=TOTAL).stack()
    hidden = hidden.rename("suppressed").rename_axis([domain, category]).reset_index()
    hidden[domain] = hidden[domain].astype(str)
    out = table.assign(**{domain: table[domain].astype(str)}).merge(hidden, on=[domain, category], how="left")
    out["suppressed"] = is_true(out.suppressed)
    out[count] = out[count].astype("Int64").mask(out.suppressed)
    for col in values:
        out[col] = out[col].astype(float).mask(out.suppressed)
    return out


def suppress_shares(frame: pd.DataFrame, n: str, shares: list[str], k: int = MIN_CELL,
                    means: tuple[str, ...] = ()) -> pd.DataFrame:
    """Shares of the ``n`` pupils of each row (0 to 1) that would print a
    small count: a share times ``n`` is the number of pupils with the trait,
    and ``n`` minus it those without, so a share is hidden when either is 1
    to ``k - 1`` pupils. ``means`` are averages of the shares (the share of
    routines met): hidden in a row where a share is, or they would give it
    back.

    >>> d = pd.DataFrame({"school": ["a", "b"], "pupils": [64, 40], "called": [0.078125, 0.5], "met": [0.3, 0.4]})
    >>> suppress_shares(d, "pupils", ["called"], means=("met",))[["called", "met"]].to_numpy().tolist()
    [[nan, nan], [0.5, 0.4]]
    """
    out = frame.copy()
    size = pd.to_numeric(out[n], errors="coerce").astype(float)
    hidden = pd.Series(False, index=out.index)
    for col in shares:
        share = pd.to_numeric(out[col], errors="coerce").astype(float)
        having = (share * size).round()
        small = ((having > 0) & (having < k)) | ((size - having > 0) & (size - having < k))
        out[col] = share.mask(small)
        hidden |= small.fillna(False)
    for col in means:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float).mask(hidden)
    return out


def suppress_column(frame: pd.DataFrame, count: str, values: list[str], k: int = MIN_CELL) -> pd.DataFrame:
    """Groups whose ``count`` column adds up to a total printed elsewhere
    (pupils by baseline band, paired pupils by helper type): a one-column
    table protected as any other, so a hidden group is never the only one
    missing from the total. Hidden groups lose their ``count`` and
    ``values``; a missing count (a group not estimated) stays missing.

    >>> d = pd.DataFrame({"band": ["low", "mid", "high"], "pupils": [40, 4, 30], "mean": [1.0, 2.0, 3.0]})
    >>> suppress_column(d, "pupils", ["mean"]).pupils.tolist()  # 4 is small; 30 goes too, or 74 - 40 gives it
    [40, <NA>, <NA>]
    """
    out = frame.copy()
    counts = pd.to_numeric(out[count], errors="coerce")
    if out.empty or counts.isna().all():
        return out
    hidden = suppression_mask(counts.fillna(0).to_frame(count).reset_index(drop=True), k)[count].iloc[:-1]
    hidden = hidden.to_numpy() | counts.isna().to_numpy()
    whole = counts.dropna().eq(counts.dropna().round()).all()
    out[count] = (counts.astype("Int64") if whole else counts).mask(hidden)
    for col in values:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float).mask(hidden)
    return out


#: The interval columns a page leaves empty for an unstable survey estimate.
INTERVAL_COLUMNS = ("ci_low", "ci_high", "ci_low_pct", "ci_high_pct")


def withhold_unstable(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The table with the intervals of rows marked ``unstable`` (see :mod:`..statistics.survey`) set missing, and
    how many rows that was: a page prints a sentence instead of an interval it cannot trust."""
    if "unstable" not in frame.columns:
        return frame, 0
    rows = frame["unstable"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    columns = [c for c in INTERVAL_COLUMNS if c in frame.columns]
    if not rows.any() or not columns:
        return frame, 0
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].mask(rows)
    return frame, int(rows.sum())
