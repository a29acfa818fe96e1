"""Small-cell suppression (report/disclosure.py).

Validated two ways: a hand-worked table, and random tables checked by an
independent attack, the linear programmes an intruder would solve
(``feasible_ranges``), plus brute force on tiny tables: every table of
non-negative integers that agrees with what is published is enumerated and
each suppressed cell must take at least two values.
"""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_analysis.report.disclosure import TOTAL, feasible_ranges, suppress_counts, suppression_mask, with_margins


def test_hand_worked_table():
    # Pupils by school and care arrangement; school y has 3 pupils with grandparents.
    t = pd.DataFrame({"grandparents": [12, 3, 20], "one_parent": [15, 14, 30]}, index=["x", "y", "z"])
    out = suppress_counts(t, k=10)
    # y's 3 is primary; y's 14 protects it in its row; x's 12 and 15 protect the columns.
    assert out.isna().to_numpy().astype(int).tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 0], [0, 0, 0]]
    assert out.loc["z", TOTAL] == 50 and out.loc[TOTAL, TOTAL] == 94
    assert out.loc[TOTAL, "grandparents"] == 35


def test_nothing_to_suppress_and_zeros_published():
    t = pd.DataFrame({"a": [10, 0], "b": [25, 40]})
    assert not suppress_counts(t).isna().any().any()


def test_one_column_table():
    t = pd.DataFrame({"n": [40, 4, 30]}, index=["s1", "s2", "s3"])
    mask = suppression_mask(t)
    assert mask.loc["s2", "n"] and mask.loc["s3", "n"] and not mask.loc["s1", "n"]


def consistent_values(published: np.ndarray, suppressed: np.ndarray, limit: int) -> np.ndarray:
    """Every filling of the suppressed cells with integers 0..limit that agrees
    with the published cells and totals: shape (tables, suppressed cells)."""
    cells = [tuple(c) for c in np.argwhere(suppressed)]
    grid = np.stack(np.meshgrid(*[np.arange(limit + 1, dtype=np.int32)] * len(cells), indexing="ij"), -1)
    grid = grid.reshape(-1, len(cells))
    t = np.broadcast_to(published, (len(grid), *published.shape)).astype(np.int32).copy()
    for k, c in enumerate(cells):
        t[:, c[0], c[1]] = grid[:, k]
    inner = t[:, :-1, :-1]
    ok = ((inner.sum(axis=2) == t[:, :-1, -1]).all(axis=1) & (inner.sum(axis=1) == t[:, -1, :-1]).all(axis=1)
          & (inner.sum(axis=(1, 2)) == t[:, -1, -1]))
    return grid[ok]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4), st.integers(1, 4), st.data())
def test_no_suppressed_cell_can_be_recovered(n, m, data):
    counts = np.array(data.draw(st.lists(st.integers(0, 40), min_size=n * m, max_size=n * m))).reshape(n, m)
    table = pd.DataFrame(counts)
    mask = suppression_mask(table, k=10).to_numpy()
    values = with_margins(table).to_numpy(dtype=float)
    inner = values[:-1, :-1]
    assert mask[:-1, :-1][(inner > 0) & (inner < 10)].all(), "every small cell is suppressed"
    for line in [mask[i, :] for i in range(n + 1)] + [mask[:, j] for j in range(m + 1)]:
        assert line.sum() != 1
    ranges = feasible_ranges(values, mask)
    assert (ranges[:, 1] - ranges[:, 0] >= 1 - 1e-9).all(), "the intruder's LP pins no cell"


def test_brute_force_intruder_on_small_tables():
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(80):
        counts = rng.choice([0, 2, 5, 8, 11, 14], size=(2, 3))
        mask = suppression_mask(pd.DataFrame(counts), k=10).to_numpy()
        if not mask.any() or mask.sum() > 4:
            continue
        published = with_margins(pd.DataFrame(counts)).to_numpy()
        fillings = consistent_values(published, mask, 20)  # true cells are at most 14
        assert len(fillings), "the true table is among them"
        assert all(len(np.unique(fillings[:, k])) >= 2 for k in range(fillings.shape[1]))
        checked += 1
    assert checked >= 10
