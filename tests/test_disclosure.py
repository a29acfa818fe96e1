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

from liushou_analysis.report.disclosure import (
    TOTAL,
    feasible_ranges,
    protect_margins,
    suppress_counts,
    suppression_mask,
    with_margins,
)


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


def intruder_ranges(cube: pd.Series, published: list[tuple[tuple[str, ...], object, float]],
                    target: tuple[tuple[str, ...], object]) -> tuple[float, float]:
    """The intruder, written apart from the module: the range of a cell of a margin given the printed
    cells of every margin (each the sum of the cube cells matching its key), by one LP per bound."""
    from scipy.optimize import linprog

    frame = cube.reset_index(drop=False)

    def row(margin, key):
        match = np.ones(len(frame), dtype=bool)
        for dim, value in zip(margin, key if isinstance(key, tuple) else (key,)):
            match &= frame[dim].to_numpy() == value
        return match.astype(float)

    if not published:  # nothing printed: the intruder knows only that counts are not negative
        return 0.0, np.inf
    a = np.array([row(m, key) for m, key, _ in published])
    b = np.array([v for _, _, v in published])
    c = row(*target)
    low = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs").fun
    high = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    return low, (np.inf if high.status == 3 else -high.fun)  # status 3: unbounded above


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 3), st.integers(2, 3), st.integers(2, 3), st.data())
def test_linked_tables_hide_no_recoverable_cell(n_school, n_grade, n_care, data):
    # Two tables of one population that share their care totals: school x care and grade x care (checked by an
    # intruder LP that uses every printed cell of both tables at once, planted small cells in random cubes).
    size = n_school * n_grade * n_care
    counts = data.draw(st.lists(st.sampled_from([0, 1, 3, 6, 9, 12, 20, 35]), min_size=size, max_size=size))
    index = pd.MultiIndex.from_product([range(n_school), range(n_grade), range(n_care)],
                                       names=["school", "grade", "care"])
    cube = pd.Series(counts, index=index)
    margins = [("school", "care"), ("grade", "care")]
    masks = protect_margins(cube, margins, k=10)
    published, hidden = [], []
    for margin, mask in masks.items():
        sums = cube.groupby(level=list(margin)).sum() if margin else pd.Series([cube.sum()], index=mask.index)
        for key, is_hidden in mask.items():
            value = float(sums.loc[key]) if margin else float(sums.iloc[0])
            if 0 < value < 10:
                assert is_hidden, f"small cell {margin}={key} is printed"
            (hidden if is_hidden else published).append((margin, key, value))
    for margin, key, value in hidden:
        low, high = intruder_ranges(cube, published, (margin, key if margin else ()))
        if value == 0:  # a zero is no small count (it is printed when not needed to hide another cell)
            continue
        assert high - low >= 1 - 1e-9, f"{margin}={key} ({value:g}) is pinned by the printed cells"
