"""Class ranks, mid-rank percentiles and rank changes: pure, vectorised.

All functions take a tidy DataFrame (one row per pupil and exam) and
return Series or DataFrames aligned to its rows. Missing scores stay
unranked (missing), never ranked last.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from liushou_analysis.core.flags import is_true

RANK_METHODS = {"min": "min", "competition": "min", "dense": "dense", "average": "average"}


#: Rows ranked at a time: a larger set is ranked in blocks of whole groups, two blocks at once (numpy's sorts
#: let go of the interpreter lock), so the working memory is that of two blocks, not of the whole set.
BLOCK_ROWS = 1_000_000


def group_ranks(values: np.ndarray, group: np.ndarray, method: str = "min", ascending: bool = True,
                order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each value within its group (integer codes), and how many values of the group are not missing
    (both missing where the value is).

    Two sorts: the values once, then the group codes stably (the values' order is kept within a group), so
    ranking a replay, a term or a province costs a sort, not a Python loop. Missing values (NaN) are unranked
    and not counted. ``method`` as :func:`class_rank`; ``ascending=False`` ranks the highest value first.
    ``order``: :func:`value_order` of the same values, when several groupings rank them (sets of at most
    ``BLOCK_ROWS`` rows; larger ones are ranked in blocks of groups).

    >>> group_ranks(np.array([90, 80, 80, 70, np.nan, 5.0]), np.array([0, 0, 0, 0, 0, 1]), "min", False)
    (array([ 1.,  2.,  2.,  4., nan,  1.]), array([ 4.,  4.,  4.,  4., nan,  1.]))
    """
    values = np.asarray(values, dtype=float)
    group = np.asarray(group)
    if order is not None:
        return _ranks(values, group, method, ascending, order)
    return _in_blocks(group, 2, lambda idx: _ranks(values[idx], group[idx], method, ascending))


def _in_blocks(group: np.ndarray, outputs: int, compute) -> tuple[np.ndarray, ...]:
    """``compute(rows)`` on blocks of whole groups of at most about ``BLOCK_ROWS`` rows, two blocks at once,
    its ``outputs`` float arrays put together in the rows' order (a set that small is one block)."""
    n = len(group)
    if n <= BLOCK_ROWS:
        return compute(slice(None))
    from concurrent.futures import ThreadPoolExecutor

    blocks = -(-n // BLOCK_ROWS)
    low = int(group.min())
    width = -(-(int(group.max()) - low + 1) // blocks)
    block = group - low
    block //= width
    block = block.astype(np.uint16)  # whole groups per block, in code order
    rows = np.argsort(block, kind="stable").astype(np.int32 if n < 2**31 else np.int64)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(block, minlength=blocks))])
    del block
    out = tuple(np.empty(n) for _ in range(outputs))

    def one(b: int) -> None:
        idx = rows[bounds[b]:bounds[b + 1]]
        if not len(idx):  # a range of codes no row has
            return
        for whole, part in zip(out, compute(idx), strict=True):
            whole[idx] = part

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, range(blocks)))
    return out


def _others(values: np.ndarray, group: np.ndarray, own: np.ndarray) -> tuple[np.ndarray]:
    """Mid-rank percentiles against the other classes of the group (``own``: the group and class)."""
    order = value_order(values)
    avg, n = _ranks(values, group, "average", True, order)
    own_avg, own_n = _ranks(values, own, "average", True, order)
    avg -= own_avg
    n -= own_n
    del own_avg, own_n
    with np.errstate(invalid="ignore", divide="ignore"):
        avg *= 100
        avg /= n
    avg[~(n > 0)] = np.nan
    return (avg,)


def _ranks(values: np.ndarray, group: np.ndarray, method: str, ascending: bool,
           order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`group_ranks` of one block: each intermediate is freed as soon as the next is made."""
    n = len(values)
    index = np.int32 if n < 2**31 else np.int64
    order = _stable_by(group, value_order(values, ascending) if order is None else order).astype(index, copy=False)
    g = group[order]
    new_group = np.ones(n, dtype=bool)
    np.not_equal(g[1:], g[:-1], out=new_group[1:])
    del g
    v = values[order]
    missing = np.isnan(v)
    new_run = new_group.copy()
    new_run[1:] |= v[1:] != v[:-1]  # ties share a run; each missing value is a run of its own (NaN != NaN)
    del v
    group_id = np.cumsum(new_group, dtype=index) - 1
    group_start = np.flatnonzero(new_group)
    counted = np.bincount(group_id, weights=~missing, minlength=len(group_start)).astype(float)
    run_id = np.cumsum(new_run, dtype=index) - 1
    if method == "dense":
        ranked = (run_id - run_id[group_start][group_id]) + 1.0
    else:
        run_start = np.flatnonzero(new_run)
        ranked = (run_start[run_id] - group_start[group_id]) + 1.0
        if method == "average":
            run_size = np.diff(np.append(run_start, n))
            ranked += (run_size[run_id] - 1) / 2
    ranked[missing] = np.nan
    out_rank = np.empty(n)
    out_rank[order] = ranked
    del ranked
    counted = counted[group_id]
    counted[missing] = np.nan
    out_n = np.empty(n)
    out_n[order] = counted
    return out_rank, out_n


def value_order(values: np.ndarray, ascending: bool = True) -> np.ndarray:
    """The rows in the order :func:`group_ranks` ranks them: by value, missing values last (ties in any order:
    they share their rank)."""
    values = np.asarray(values, dtype=float)
    return np.argsort(np.where(np.isnan(values), np.inf, values if ascending else -values))


def _floats(column: pd.Series) -> np.ndarray:
    """A column's values as floats, missing as NaN (no copy when they already are)."""
    if column.dtype == np.float64:
        return column.to_numpy()
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _stable_by(codes: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``order`` re-sorted stably by ``codes[order]``. Codes from 0 to 2**32 sort by radix, 16 bits a pass
    (numpy sorts 16-bit integers by radix: linear time), the low half first; others by merge sort."""
    g = codes[order]
    if not len(g) or g.min() < 0 or g.max() >= 2**32:
        return order[np.argsort(g, kind="stable")]
    if g.max() >= 2**16:
        low = np.argsort((g & 0xFFFF).astype(np.uint16), kind="stable")
        order, g = order[low], g[low]
        return order[np.argsort((g >> 16).astype(np.uint16), kind="stable")]
    return order[np.argsort(g.astype(np.uint16), kind="stable")]


def class_rank(data: pd.DataFrame, score: str, by: str | Sequence[str], method: str = "min") -> pd.DataFrame:
    """Rank within each group (e.g. class and exam), highest score first.

    Parameters
    ----------
    data : DataFrame
    score : str
        Column to rank; missing values stay unranked.
    by : str or list of str
        Group columns (for a class rank: class and exam).
    method : {"min", "dense", "average"}
        Ties: "min" is competition ranking (1, 2, 2, 4), the school custom
        (docs/domain.md section 6); "dense" gives 1, 2, 2, 3; "average" gives
        1, 2.5, 2.5, 4.

    Returns
    -------
    DataFrame with ``rank`` and ``rank_of`` (how many pupils in the group
    have a score: the class size the rank is out of).

    Examples
    --------
    >>> d = pd.DataFrame({"c": [1, 1, 1, 1, 1], "s": [90, 80, 80, 70, None]})
    >>> class_rank(d, "s", "c")["rank"].tolist()
    [1.0, 2.0, 2.0, 4.0, nan]
    """
    if method not in RANK_METHODS:
        raise ValueError(f"method must be one of {sorted(RANK_METHODS)}, not {method!r}")
    values = _floats(data[score])
    ranks, rank_of = group_ranks(values, _group_codes(data, by, dense=False), RANK_METHODS[method], ascending=False)
    return pd.DataFrame({"rank": ranks, "rank_of": rank_of}, index=data.index, copy=False)


def percentile_rank(data: pd.DataFrame, score: str, by: str | Sequence[str] | None = None,
                    reference: str | None = None, others_than: str | None = None,
                    at: pd.Series | None = None) -> pd.Series:
    """Mid-rank percentile of each score within its group:
    ``100 * [P(ref < s) + 0.5 * P(ref = s)]``. The project's one percentile.

    The reference distribution is the group's rows where the boolean column
    ``reference`` is True (default: every row of the group with a score);
    with ``others_than`` (a column such as the class), only the group's rows
    with a different value of it: a pupil against the other classes of the
    league. ``at`` places other values than the rows' own scores against the
    same reference (a counterfactual score, say). This is the outcome Krueger
    (1999) used for the Tennessee STAR experiment; it puts ranks from groups
    of different sizes on one scale. Rows without a score (or value), or in a
    group with no reference score, are missing.

    Examples
    --------
    Against [70, 80, 80, 90]: 70 -> 100*(0 + 0.5*1/4) = 12.5;
    80 -> 100*(1/4 + 0.5*2/4) = 50; 90 -> 100*(3/4 + 0.5*1/4) = 87.5.

    >>> d = pd.DataFrame({"s": [70, 80, 80, 90]})
    >>> percentile_rank(d, "s").tolist()
    [12.5, 50.0, 50.0, 87.5]

    Against the other classes: class a's 30 among b's 20, 40 and c's 30 is
    100 * (1 + 0.5) / 3 = 50.

    >>> d = pd.DataFrame({"cls": ["a", "a", "b", "b", "c"], "s": [10, 30, 20, 40, 30]})
    >>> percentile_rank(d, "s", others_than="cls").round(1).tolist()
    [0.0, 50.0, 33.3, 100.0, 62.5]
    """
    if reference is None and at is None:
        # Against the whole group, the mid-rank percentile is the average
        # ascending rank: 100 * (rank - 0.5) / n, since an average rank is
        # (number below) + (number equal + 1) / 2. Against the other classes
        # of the group, the own class's below and equal come off both:
        # 100 * (rank in group - rank in own class) / (n group - n own class).
        values = _floats(data[score])
        group = _group_codes(data, by, dense=False)
        if others_than is None:
            pct, n = group_ranks(values, group, "average")
            pct -= 0.5
            pct *= 100
            pct /= n
        else:  # blocks of whole groups hold whole classes of them
            own = _group_codes(data, ([by] if isinstance(by, str) else list(by or [])) + [others_than], dense=False)
            (pct,) = _in_blocks(group, 1, lambda idx: _others(values[idx], group[idx], own[idx]))
        return pd.Series(pct, index=data.index, name=f"{score}_percentile")
    values = data[score].to_numpy(dtype=float)
    query = values if at is None else np.asarray(at, dtype=float)
    ref = ~np.isnan(values)
    if reference is not None:
        ref &= is_true(data[reference]).to_numpy()
    # One integer code per score (its dense rank among every score and value placed) keeps the search exact.
    both = np.concatenate([values[ref], query[~np.isnan(query)]])
    levels = np.unique(both)
    codes = {name: np.where(np.isnan(v), -1, np.searchsorted(levels, np.nan_to_num(v))) for name, v in
             (("ref", values), ("query", query))}
    group = _group_codes(data, by)
    below, equal, n_ref = _counts(group, ref, codes["ref"], codes["query"], len(levels) + 1)
    if others_than is not None:
        cols = ([by] if isinstance(by, str) else list(by or [])) + [others_than]
        own = _counts(_group_codes(data, cols), ref, codes["ref"], codes["query"], len(levels) + 1)
        below, equal, n_ref = below - own[0], equal - own[1], n_ref - own[2]
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100 * (below + 0.5 * equal) / n_ref
    pct = np.where(~np.isnan(query) & (n_ref > 0), pct, np.nan)
    return pd.Series(pct, index=data.index, name=f"{score}_percentile")


def _counts(group: np.ndarray, ref: np.ndarray, ref_code: np.ndarray, query_code: np.ndarray,
            width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row: the reference scores of its group below and equal to its
    query value, and the group's reference size (one sorted search for all)."""
    ref_keys = np.sort(group[ref] * width + ref_code[ref])
    key = group * width + query_code
    order = np.argsort(key, kind="stable")  # sorted queries search much faster
    below, upto, start, end = (np.empty(len(key), dtype=np.int64) for _ in range(4))
    below[order] = np.searchsorted(ref_keys, key[order], side="left")
    upto[order] = np.searchsorted(ref_keys, key[order], side="right")
    start[order] = np.searchsorted(ref_keys, group[order] * width, side="left")
    end[order] = np.searchsorted(ref_keys, (group[order] + 1) * width, side="left")
    return below - start, upto - below, end - start


def _group_codes(data: pd.DataFrame, by, dense: bool = True) -> np.ndarray:
    """One integer per group of ``by``. With ``dense=False`` the codes may leave gaps (enough for sorting):
    integer columns are then combined by arithmetic, with no factorising."""
    if by is None:
        return np.zeros(len(data), dtype=np.int64)
    cols = [by] if isinstance(by, str) else list(by)
    arrays = [data[c].to_numpy() for c in cols]
    if not dense and len(data) and all(a.dtype.kind == "i" or a.dtype.kind == "u" and a.dtype.itemsize < 8
                                       for a in arrays):
        spans = [(int(a.min()), int(a.max()) - int(a.min()) + 1) for a in arrays]
        room = 1
        for _, span in spans:
            room *= span
        if room < 2**62:
            code = np.zeros(len(data), dtype=np.int32 if room < 2**31 else np.int64)
            for a, (low, span) in zip(arrays, spans, strict=True):
                code *= span  # in place: one array of codes, whatever the number of columns
                code += (a - low).astype(code.dtype, copy=False)
            return code
    return data.groupby(cols, dropna=False, sort=True).ngroup().to_numpy(dtype=np.int64)


def rank_change(data: pd.DataFrame, pupil: str, exam: str, base: object, end: object,
                rank: str = "rank", percentile: str | None = None) -> pd.DataFrame:
    """Change in rank (and percentile) between two exams, one row per pupil.

    ``places_risen = base_rank - end_rank``: positive when the pupil moved
    up (from 9th to 1st is +8). Pupils who missed either exam are kept, with
    the change missing and ``missed_base`` / ``missed_end`` set, so nobody
    silently drops out of a comparison.

    Parameters
    ----------
    data : DataFrame
        Long form: one row per pupil and exam, holding ``rank`` (and
        ``percentile`` if given), missing for a pupil who did not sit it.
    pupil, exam : str
        Column names of the pupil key and the exam id.
    base, end : exam ids to compare.

    Examples
    --------
    >>> d = pd.DataFrame({"p": ["a", "a", "b"], "t": [1, 2, 1], "rank": [9, 1, 3]})
    >>> rank_change(d, "p", "t", 1, 2)[["p", "places_risen", "missed_end"]].values.tolist()
    [['a', 8.0, False], ['b', nan, True]]
    """
    cols = [rank] + ([percentile] if percentile else [])
    pair = data[data[exam].isin([base, end])]
    wide = pair.pivot_table(index=pupil, columns=exam, values=cols, aggfunc="first", dropna=False)
    out = pd.DataFrame(index=pd.Index(pair[pupil].unique(), name=pupil))

    def col(name, which):
        return wide[(name, which)].reindex(out.index) if (name, which) in wide.columns else \
            pd.Series(np.nan, index=out.index)

    out["base_rank"] = col(rank, base)
    out["end_rank"] = col(rank, end)
    out["places_risen"] = out.base_rank - out.end_rank
    if percentile:
        out["base_percentile"] = col(percentile, base)
        out["end_percentile"] = col(percentile, end)
        out["percentile_change"] = out.end_percentile - out.base_percentile
    out["missed_base"] = out.base_rank.isna()
    out["missed_end"] = out.end_rank.isna()
    return out.reset_index().sort_values(pupil, kind="stable").reset_index(drop=True)


def ranked_totals(exams: pd.DataFrame) -> pd.DataFrame:
    """The clean exams' total-score rows, the score missing for a pupil who
    missed any subject of that exam (缺考，不计排名: not ranked)."""
    missed = exams[exams.score.isna()][["pupil_key", "term"]].drop_duplicates().assign(_missed=True)
    total = exams[exams.subject == "total"].merge(missed, on=["pupil_key", "term"], how="left")
    return total.assign(score=total.score.where(total._missed.isna())).drop(columns="_missed")
