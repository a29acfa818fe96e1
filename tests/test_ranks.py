"""Ranks, percentiles and rank changes (liushou_analysis/ranks.py).

Expected values are worked by hand in the comments; properties are checked
with hypothesis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_analysis.indicators.ranks import class_rank, group_ranks, percentile_rank, rank_change


def test_class_rank_methods_by_hand():
    # scores 90, 80, 80, 70, (absent) in one class:
    #   competition 1, 2, 2, 4 | dense 1, 2, 2, 3 | average 1, 2.5, 2.5, 4; the absent pupil unranked
    d = pd.DataFrame({"cls": ["A"] * 5 + ["B"] * 2, "s": [90, 80, 80, 70, None, 50, 60]})
    assert class_rank(d, "s", "cls")["rank"].tolist()[:4] == [1, 2, 2, 4]
    assert class_rank(d, "s", "cls", method="dense")["rank"].tolist()[:4] == [1, 2, 2, 3]
    assert class_rank(d, "s", "cls", method="average")["rank"].tolist()[:4] == [1, 2.5, 2.5, 4]
    r = class_rank(d, "s", "cls")
    assert pd.isna(r["rank"][4]) and pd.isna(r.rank_of[4])
    assert r.rank_of.tolist()[:4] == [4, 4, 4, 4]  # four pupils with a score in class A
    assert r["rank"].tolist()[5:] == [2, 1] and r.rank_of.tolist()[5:] == [2, 2]
    with pytest.raises(ValueError):
        class_rank(d, "s", "cls", method="ordinal")


def test_class_rank_groups_by_class_and_exam():
    d = pd.DataFrame({"cls": [1, 1, 1, 1], "exam": [1, 1, 2, 2], "s": [10, 20, 20, 10]})
    assert class_rank(d, "s", ["cls", "exam"])["rank"].tolist() == [2, 1, 1, 2]


def test_percentile_rank_by_hand():
    # group A reference [70, 80, 80, 90] (n = 4):
    #   70 -> 100*(0/4 + 0.5*1/4) = 12.5; 80 -> 100*(1/4 + 0.5*2/4) = 50; 90 -> 100*(3/4 + 0.5*1/4) = 87.5
    # group B [60, 100]: 60 -> 25, 100 -> 75; a missing score stays missing
    d = pd.DataFrame({"g": ["A"] * 4 + ["B"] * 3, "s": [70, 80, 80, 90, 60, 100, None]})
    got = percentile_rank(d, "s", by="g")
    assert got.tolist()[:6] == [12.5, 50, 50, 87.5, 25, 75] and pd.isna(got[6])


def test_percentile_rank_against_a_reference_subset():
    # reference = the unpaired pupils [60, 80]; 70 -> 100*(1/2 + 0) = 50; 80 -> 100*(1/2 + 0.5*1/2) = 75;
    # 90 -> 100*(2/2) = 100; 60 -> 100*(0 + 0.5*1/2) = 25
    d = pd.DataFrame({"s": [60, 70, 80, 90], "ref": [True, False, True, False]})
    assert percentile_rank(d, "s", reference="ref").tolist() == [25, 50, 75, 100]


def test_rank_change_by_hand_keeps_absent_pupils():
    # a: 9th -> 1st rises 8 places; b: 2nd -> 5th falls 3; c missed the end exam; d missed the base exam
    d = pd.DataFrame({"pupil": ["a", "a", "b", "b", "c", "c", "d"], "term": [1, 2, 1, 2, 1, 2, 2],
                      "rank": [9, 1, 2, 5, 4, None, 3], "percentile": [10, 95, 90, 60, 50, None, 70]})
    r = rank_change(d, "pupil", "term", 1, 2, percentile="percentile").set_index("pupil")
    assert r.places_risen["a"] == 8 and r.places_risen["b"] == -3
    assert r.percentile_change["a"] == 85 and r.percentile_change["b"] == -30
    assert r.missed_end["c"] and not r.missed_base["c"] and pd.isna(r.places_risen["c"])
    assert r.missed_base["d"] and pd.isna(r.places_risen["d"])
    assert len(r) == 4


scores = st.lists(st.one_of(st.none(), st.integers(0, 20).map(float)), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(scores)
def test_competition_ranks_respect_ties(values):
    d = pd.DataFrame({"c": 1, "s": values})
    r = class_rank(d, "s", "c")["rank"]
    s = d.s
    for i in range(len(s)):
        if pd.isna(s[i]):
            assert pd.isna(r[i])
        else:
            assert r[i] == 1 + (s > s[i]).sum()  # 1 + how many scored higher


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 20).map(float), min_size=1, max_size=40))
def test_average_ranks_are_a_permutation_in_sum(values):
    d = pd.DataFrame({"c": 1, "s": values})
    r = class_rank(d, "s", "c", method="average")["rank"]
    n = len(values)
    assert r.sum() == pytest.approx(n * (n + 1) / 2)
    assert sorted(class_rank(d.drop_duplicates("s"), "s", "c")["rank"]) == list(range(1, d.s.nunique() + 1))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10).map(float)), min_size=1, max_size=60))
def test_percentiles_lie_in_0_100_and_average_50_over_the_whole_group(rows):
    d = pd.DataFrame(rows, columns=["g", "s"])
    p = percentile_rank(d, "s", by="g")
    assert ((p > 0) & (p < 100)).all()
    assert np.allclose(p.groupby(d.g).mean(), 50)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10).map(float), st.integers(0, 10).map(float)), min_size=2, max_size=40))
def test_rank_changes_in_a_fixed_class_sum_to_zero(pairs):
    n = len(pairs)
    d = pd.DataFrame({"pupil": np.tile(np.arange(n), 2), "term": np.repeat([1, 2], n),
                      "s": [a for a, _ in pairs] + [b for _, b in pairs], "cls": 1})
    d["rank"] = class_rank(d, "s", ["cls", "term"], method="average")["rank"]
    assert rank_change(d, "pupil", "term", 1, 2).places_risen.sum() == pytest.approx(0)


def test_percentile_rank_matches_a_direct_count_on_random_data():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"g": rng.integers(0, 5, 300), "s": rng.integers(0, 30, 300).astype(float),
                      "ref": rng.random(300) < 0.6})
    got = percentile_rank(d, "s", by="g", reference="ref")
    for i in range(0, 300, 17):
        ref = d.s[(d.g == d.g[i]) & d.ref]
        expect = 100 * ((ref < d.s[i]).mean() + 0.5 * (ref == d.s[i]).mean())
        assert got[i] == pytest.approx(expect)


@pytest.mark.parametrize("block_rows", [None, 50])
def test_percentile_against_other_classes_matches_the_sorted_search_and_a_direct_count(block_rows, monkeypatch):
    """Two implementations of the league percentile (the audit's pay for percentile): the rank difference
    (no reference column) against the sorted search (a reference column of all True forces it), with ties,
    missing scores and a class alone in its league; and a direct count at every tenth row. Also in blocks of
    groups (BLOCK_ROWS made small), as a province's rows are ranked."""
    if block_rows:
        from liushou_analysis.indicators import ranks

        monkeypatch.setattr(ranks, "BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"g": rng.integers(0, 6, 400), "cls": rng.integers(0, 4, 400),
                      "s": rng.integers(0, 25, 400).astype(float), "all": True})
    d.loc[rng.random(400) < 0.05, "s"] = np.nan
    d.loc[d.g == 5, "cls"] = 0  # one class alone: no other class to compare with
    fast = percentile_rank(d, "s", by="g", others_than="cls")
    search = percentile_rank(d, "s", by="g", others_than="cls", reference="all")
    np.testing.assert_allclose(fast.to_numpy(), search.to_numpy(), equal_nan=True)
    assert fast[d.g == 5].isna().all() and fast[d.s.isna()].isna().all()
    for i in range(0, 400, 10):
        if np.isnan(d.s[i]) or d.g[i] == 5:
            continue
        ref = d.s[(d.g == d.g[i]) & (d.cls != d.cls[i])].dropna()
        assert fast[i] == pytest.approx(100 * ((ref < d.s[i]).mean() + 0.5 * (ref == d.s[i]).mean()))


@pytest.mark.parametrize("method", ["min", "dense", "average"])
@pytest.mark.parametrize("ascending", [True, False])
def test_group_ranks_equal_pandas_ranks(method, ascending, monkeypatch):
    """Reference: pandas' own grouped rank (a second implementation) on ties, missing values, groups of one,
    more than 2**16 groups (two radix passes), and a set ranked in blocks of groups (BLOCK_ROWS made small)."""
    from liushou_analysis.indicators import ranks

    rng = np.random.default_rng(7)
    for groups in (40, 70_000, "blocks"):
        if groups == "blocks":
            monkeypatch.setattr(ranks, "BLOCK_ROWS", 5_000)
            groups = 9_000
        n = 3 * groups
        values = rng.integers(0, 12, n).astype(float)
        values[rng.random(n) < 0.1] = np.nan
        group = rng.integers(0, groups, n)
        got, counted = group_ranks(values, group, method, ascending)
        s = pd.Series(values)
        want = s.groupby(group).rank(method=method, ascending=ascending)
        np.testing.assert_array_equal(got, want.to_numpy())
        np.testing.assert_array_equal(counted, s.notna().groupby(group).transform("sum").where(s.notna()).to_numpy())


def test_class_rank_reproduces_the_ranks_schools_reported(tmp_path, sample_dir):
    """Reference: the 班名 column of the sample's score sheets. Schools rank
    the total among pupils who sat every subject (others are 缺考，不计排名)."""
    from liushou_analysis.cleaning.pipeline import clean_dataset

    clean_dataset(sample_dir, tmp_path)
    exams = pd.read_parquet(tmp_path / "exams.parquet")
    missed_any = exams[exams.score.isna()][["pupil_key", "term"]].drop_duplicates().assign(missed=True)
    total = exams[exams.subject == "total"].merge(missed_any, on=["pupil_key", "term"], how="left")
    total["score_ranked"] = total.score.where(total.missed.isna())
    ours = class_rank(total, "score_ranked", ["class_id", "term"])["rank"]
    reported = total.class_rank_reported
    assert ours.notna().sum() > 9000
    assert (ours.isna() == reported.isna()).all()
    assert (ours[ours.notna()] == reported[ours.notna()]).all()
