"""Read raw export files the way a person inspecting them would, for tests.

Independent of the generator: encodings are detected from the bytes, and
workbooks are opened with openpyxl as they are on disk.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

MAX_COLUMNS = 80  # wide sheets report 16,384 columns; read only the used ones


def detect_encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for enc in ("utf-8", "gbk", "gb18030"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise ValueError("undecodable")


@dataclass
class SheetView:
    file: str
    name: str
    rows: list[list]
    merged: list[str] = field(default_factory=list)
    max_column: int = 0


def read_file(path: Path, root: Path) -> tuple[list[SheetView], dict]:
    """Sheets of an xlsx or csv file, and file facts (encoding, line ends)."""
    rel = path.relative_to(root).as_posix()
    if path.suffix == ".csv":
        data = path.read_bytes()
        enc = detect_encoding(data)
        text = data.decode(enc)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        facts = {"encoding": enc, "crlf": b"\r\n" in data, "bom": data.startswith(b"\xef\xbb\xbf")}
        return [SheetView(rel, "", rows)], facts
    wb = openpyxl.load_workbook(path)
    views = []
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(max_col=min(ws.max_column, MAX_COLUMNS), values_only=True)]
        views.append(SheetView(rel, ws.title, rows, [str(m) for m in ws.merged_cells.ranges], ws.max_column))
    return views, {"encoding": None}


def header_row_index(rows: list[list], marker_labels: set[str]) -> int:
    """Index of the first row that holds one of the marker labels."""
    for i, row in enumerate(rows[:5]):
        if any(isinstance(v, str) and v.strip() in marker_labels for v in row):
            return i
    return -1
