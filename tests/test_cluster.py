"""A province's work spread out (issue 26): the clean store read partition by partition, the pupils scored in
parts of whole schools, and the clean and the scoring run on a Dask cluster.

Reference: the same work done at once in this process. A LocalCluster of two worker processes stands in for a
real cluster (the same code: a distributed.Client).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.core.errors import UserError
from liushou_analysis.scoring import contract as scoring_io
from liushou_analysis.scoring import engine, partitions
from liushou_analysis.store import CleanStore

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def inputs(sample_clean):
    return scoring_io.from_clean(sample_clean[0])


@pytest.fixture(scope="module")
def cluster():
    from liushou_analysis.core.cluster import connect

    with connect("local:2") as client:
        yield client


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def test_school_parts_keep_schools_linked_by_a_pupil_together():
    # four schools; pupil 1 sat exams in A and B (moved), so A and B are one part; pupil 9 has no exam and goes
    # with the earliest exam (school C's, school year 1 semester 1)
    scores = pd.DataFrame({"pupil_id": [1, 1, 2, 3, 4, 5], "school": ["A", "B", "B", "C", "D", "D"],
                           "school_year": [2, 2, 2, 1, 2, 2], "semester": [1, 2, 1, 1, 2, 2]})
    part = partitions.school_parts(scores, pd.Series([1, 2, 3, 4, 5, 9]), parts=3)
    assert part.iloc[0] == part.iloc[1]  # pupils of A and B
    assert part.iloc[3] == part.iloc[4]  # both pupils of D
    assert part.iloc[5] == part.iloc[2]  # the pupil without exams with school C, which holds the earliest exam
    assert part.nunique() == 3


def test_scoring_in_parts_gives_the_same_tables(inputs):
    """Scored in five parts of whole schools, one after another, with one pupil moved to another school for his
    second school year: every output table is the same as scoring all at once."""
    scores = inputs["scores"].copy()
    moved = scores.pupil_id[scores.school_year == 2].iloc[0]
    schools = scores.school.unique()
    at = (scores.pupil_id == moved) & (scores.school_year == 2)
    scores.loc[at, "school"] = next(s for s in schools if s != scores.loc[at, "school"].iloc[0])
    args = (scores, inputs["pairings"], inputs["conduct"], inputs["classes"])
    whole = engine.score_scheme(*args, pupils=inputs["pupils"])
    assert len(partitions.split(scores, inputs["pairings"], inputs["conduct"], inputs["pupils"], 5)) >= 3
    _same(whole, partitions.score_scheme(*args, pupils=inputs["pupils"], parts=5))


def test_clean_and_score_on_a_cluster_are_the_same_bytes(sample_dir, sample_clean, inputs, cluster, tmp_path):
    """The sample cleaned with its files read on the cluster's two workers: every clean table and workbook the
    same bytes as the plain clean (the manifest's checksums), and the same manifest apart from nothing; the
    scheme scored on the cluster: the same tables."""
    from liushou_analysis.cleaning.pipeline import clean_dataset

    manifest = clean_dataset(sample_dir, tmp_path / "clean", cluster=cluster)
    plain = sample_clean[1]
    assert manifest["checksums"] == plain["checksums"]
    assert json.dumps(manifest, sort_keys=True, default=str) == json.dumps(plain, sort_keys=True, default=str)
    args = (inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"])
    _same(engine.score_scheme(*args, pupils=inputs["pupils"]),
          partitions.score_scheme(*args, pupils=inputs["pupils"], cluster=cluster))


def test_the_store_is_read_term_by_term_and_by_dask(sample_clean, cluster):
    """A clean table has a row group per term: one term's rows come from its row groups alone, and Dask reads
    the table a partition per term, on the cluster, to the same rows."""
    import pyarrow.parquet as pq

    store = CleanStore(sample_clean[0])
    exams = store.table("exams")
    assert pq.ParquetFile(store.path("exams")).num_row_groups == exams.term.nunique()
    term = store.latest_term
    pd.testing.assert_frame_equal(store.table("exams", terms=term),
                                  exams[exams.term == term].reset_index(drop=True))
    frame = store.dask_table("exams", columns=["pupil_key", "term", "score"])
    assert frame.npartitions == exams.term.nunique()
    got = cluster.compute(frame).result().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, exams[["pupil_key", "term", "score"]])
    # a sum per term on the cluster, partition by partition, against pandas on the whole table
    per_term = cluster.compute(frame.groupby("term").score.sum()).result().sort_index()
    assert np.allclose(per_term.to_numpy(), exams.groupby("term").score.sum().sort_index().to_numpy())


def test_an_address_without_a_scheduler_is_a_plain_error(monkeypatch):
    from liushou_analysis.core import cluster as clusters

    monkeypatch.setattr(clusters, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(UserError, match="no Dask scheduler answered"), clusters.connect("tcp://127.0.0.1:9"):
        pass
    with pytest.raises(UserError, match="local:N"), clusters.connect("local:two"):
        pass


def test_table_bytes_do_not_depend_on_the_row_groups(tmp_path):
    """A table written term by term and the same rows read back: the values and types are those written (a
    term of more than ROW_GROUP_ROWS rows is cut, the order kept)."""
    from liushou_analysis.store import clean as store_clean

    frame = pd.DataFrame({"term": ["2024-2025-1"] * 5 + ["2024-2025-2"] * 3, "x": np.arange(8.0),
                          "k": pd.array([1, None, 3, 4, 5, 6, 7, 8], dtype="Int64")})
    old = store_clean.ROW_GROUP_ROWS
    store_clean.ROW_GROUP_ROWS = 2
    try:
        CleanStore.write_tables(tmp_path, {"t": frame})
    finally:
        store_clean.ROW_GROUP_ROWS = old
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "t.parquet").num_row_groups == 5  # 2+2+1 and 2+1
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)
    digest = hashlib.sha256((tmp_path / "t.parquet").read_bytes()).hexdigest()
    CleanStore.write_tables(tmp_path, {"t": frame.iloc[::-1].iloc[::-1]})
    assert hashlib.sha256((tmp_path / "t.parquet").read_bytes()).hexdigest() != digest  # other row groups


def test_the_cluster_option_on_the_command_line(sample_clean, tmp_path, monkeypatch):
    """`liushou score --data DIR --cluster ADDRESS`: an address with no scheduler is one plain sentence and exit
    code 2, nothing written; `liushou clean --cluster local:two` names the form to write."""
    from liushou_analysis.core import cluster as clusters

    from .cli_runner import liushou

    monkeypatch.setattr(clusters, "CONNECT_TIMEOUT", "1s")
    out = tmp_path / "points"
    r = liushou("score", "--data", sample_clean[0], "--out", out, "--cluster", "tcp://127.0.0.1:9")
    assert r.returncode == 2 and "no Dask scheduler answered" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
    r = liushou("clean", sample_clean[0].parent, "--out", tmp_path / "c", "--cluster", "local:two")
    assert r.returncode == 2 and "local:N" in r.stderr
