"""What a raw dataset holds: its terms and files, with sizes and checksums.

This is the first stage of the report: it reads nothing inside the files,
so it works on any dataset, and it never copies personal data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from liushou_analysis.core.terms import term_folders
from liushou_analysis.readers.rawread import SUPPORTED, litter_reason


def raw_inventory(dataset_dir: Path) -> pd.DataFrame:
    """One row per file in the dataset's term folders.

    Columns: ``term, file, format, bytes, sha256``. Files in formats the
    project cannot read have format ``unsupported``, and folder litter
    (Thumbs.db, ``~$`` lock files, documents, pictures) ``skipped``; the
    cleaning step tells HTML and text saved as .xls by their content.
    """
    dataset_dir = Path(dataset_dir)
    rows = []
    for term, folder in term_folders(dataset_dir).items():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                rows.append({
                    "term": str(term),
                    "file": path.relative_to(dataset_dir).as_posix(),
                    "format": "skipped" if litter_reason(path) else SUPPORTED.get(path.suffix.lower(), "unsupported"),
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                })
    return pd.DataFrame(rows, columns=["term", "file", "format", "bytes", "sha256"])


def summarise_inventory(inventory: pd.DataFrame) -> pd.DataFrame:
    """Files and megabytes per term and format."""
    return (inventory.groupby(["term", "format"], as_index=False)
            .agg(files=("file", "size"), megabytes=("bytes", lambda b: round(b.sum() / 1e6, 2))))
