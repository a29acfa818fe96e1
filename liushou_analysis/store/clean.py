"""The clean store (:class:`CleanStore`): the layout of a clean folder and its manifest."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from liushou_analysis.core.errors import UserError
from liushou_analysis.readers.rawread import file_sha256

#: The manifest's file name inside a clean folder.
MANIFEST = "manifest.json"
#: The most rows a row group of a clean table holds (a Dask partition).
ROW_GROUP_ROWS = 1_000_000


def _row_groups(frame: pd.DataFrame) -> list[tuple[int, int]]:
    """(start, stop) of each row group: where the term changes, when the rows come term by term, and every
    ROW_GROUP_ROWS rows; one group for a table without terms (or whose terms are mixed)."""
    n = len(frame)
    cuts = {0, n}
    if "term" in frame and n:
        term = frame["term"].astype(str).to_numpy()
        change = np.flatnonzero(term[1:] != term[:-1]) + 1
        if len(change) + 1 == len(set(term)):  # each term in one run
            cuts.update(change.tolist())
    bounds = sorted(cuts)
    groups = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        groups += [(a, min(a + ROW_GROUP_ROWS, stop)) for a in range(start, stop, ROW_GROUP_ROWS)]
    return groups or [(0, 0)]


class CleanStore:
    """One ``liushou clean`` output folder.

    ``store.table("exams", terms=["2024-2025-1"])`` reads a table (checked
    against the checksum the manifest records, filtered to the terms given);
    ``store.manifest`` is the parsed manifest, ``store.terms`` its terms in
    order. Every failure a user can cause (no clean folder, a missing table, a
    file changed since cleaning) is a :class:`UserError` that says what to run.
    """

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"CleanStore({str(self.folder)!r})"

    # --- the manifest ---------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        """The folder's ``manifest.json``."""
        return self.folder / MANIFEST

    def exists(self) -> bool:
        """Whether the folder holds a clean dataset (a manifest)."""
        return self.manifest_path.is_file()

    @cached_property
    def manifest(self) -> dict:
        """The parsed ``manifest.json``."""
        if not self.exists():
            raise UserError(f"{self.folder} has no clean tables (no {MANIFEST}): run 'liushou clean' on the raw "
                            "dataset first.")
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except ValueError:
            raise UserError(f"{self.manifest_path} is not readable JSON (cut short?): run 'liushou clean' "
                            "again.") from None

    @property
    def terms(self) -> list[str]:
        """The dataset's terms, earliest first (``2024-2025-1``)."""
        return list(self.manifest["terms"])

    @property
    def latest_term(self) -> str:
        """The dataset's last term."""
        return self.terms[-1]

    @property
    def synthetic(self) -> bool:
        """Whether cleaning found the generator's signature on the raw dataset."""
        return bool(self.manifest.get("synthetic"))

    # --- tables -----------------------------------------------------------------------

    def path(self, name: str) -> Path:
        """The Parquet file of a clean table."""
        return self.folder / f"{name}.parquet"

    def has(self, name: str) -> bool:
        """Whether the folder holds the table."""
        return self.path(name).is_file()

    def table(self, name: str, terms: str | Iterable[str] | None = None,
              columns: list[str] | None = None) -> pd.DataFrame:
        """A clean table, verified against its checksum; only the rows of
        ``terms`` (one term or several) when the table has a ``term`` column,
        read from those terms' row groups only (:meth:`write_tables`)."""
        if not self.has(name):
            raise UserError(f"{self.folder} has no {name} table: run liushou clean on the raw dataset first.")
        self.verify([self.path(name).name])
        filters = None
        if terms is not None and "term" in pq.read_schema(self.path(name)).names:
            filters = [("term", "in", [terms] if isinstance(terms, str) else list(terms))]
        return pd.read_parquet(self.path(name), columns=columns, filters=filters).reset_index(drop=True)

    def dask_table(self, name: str, columns: list[str] | None = None):
        """A clean table as a Dask DataFrame, one partition per row group (a term, or a part of a large term),
        for work spread over a cluster (docs/scale.md; needs the cluster extra). Verified like :meth:`table`."""
        from liushou_analysis.core.cluster import _needs_dask

        _needs_dask()
        import dask
        import dask.dataframe as dd

        if not self.has(name):
            raise UserError(f"{self.folder} has no {name} table: run liushou clean on the raw dataset first.")
        self.verify([self.path(name).name])
        with dask.config.set({"dataframe.convert-string": False}):  # the column types :meth:`table` gives
            return dd.read_parquet(str(self.path(name)), columns=columns, split_row_groups=True)

    def tables(self, names: Iterable[str]) -> dict[str, pd.DataFrame]:
        """Several tables at once; a plain error naming every missing one."""
        names = list(names)
        missing = [n for n in names if not self.has(n)]
        if missing:
            raise UserError(f"{self.folder} has no {', '.join(missing)} table(s): run liushou clean on the raw "
                            "dataset first.")
        return {n: self.table(n) for n in names}

    # --- integrity ----------------------------------------------------------------------

    def changed_files(self, files: list[str] | None = None) -> list[str]:
        """Files whose checksum differs from the manifest's (all recorded files,
        or ``files``); none when the manifest records no checksums."""
        try:
            recorded = json.loads(self.manifest_path.read_text(encoding="utf-8")).get("checksums", {})
        except (OSError, ValueError):
            return []
        names = [f for f in (files if files is not None else recorded) if f in recorded]
        return [f for f in names if not (self.folder / f).is_file() or file_sha256(self.folder / f) != recorded[f]]

    def verify(self, files: list[str] | None = None) -> None:
        """A plain error when a file changed or was cut short since ``liushou clean`` wrote it."""
        bad = self.changed_files(files)
        if bad:
            raise UserError(f"{self.folder / bad[0]} is not the file liushou clean wrote (changed or cut short, "
                            "e.g. by an interrupted run); run liushou clean again.")

    # --- writing (used by cleaning, inside a folder outputs.publish_dir is filling) -------------

    @staticmethod
    def write_tables(work: Path, frames: dict[str, pd.DataFrame]) -> None:
        """Write each frame as ``<name>.parquet`` into ``work``: a table whose rows come term by term gets a
        row group per term (at most ``ROW_GROUP_ROWS`` rows each), so a reader of one term reads only its
        row groups and Dask reads the table partition by partition; the rows keep their order."""
        for name, frame in frames.items():
            table = pa.Table.from_pandas(frame, preserve_index=False)
            with pq.ParquetWriter(Path(work) / f"{name}.parquet", table.schema) as writer:
                for start, stop in _row_groups(frame):
                    writer.write_table(table.slice(start, stop - start))

    @staticmethod
    def checksums(work: Path) -> dict[str, str]:
        """The SHA-256 of every table and workbook in ``work``, for the manifest."""
        return {p.name: file_sha256(p) for p in sorted(Path(work).iterdir()) if p.suffix in (".parquet", ".xlsx")}

    @staticmethod
    def write_manifest(work: Path, manifest: dict) -> None:
        """Write ``manifest.json`` (sorted keys, UTF-8, so the same run gives the same bytes)."""
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
