"""Write export sheets as a school's office software would: .xlsx or .csv.

A :class:`Sheet` holds the cell values of one table (columns named by their
leaf header label, hidden bookkeeping columns start with ``_``) and how it is
laid out: an optional merged title row, an optional two-row header whose
group cells are merged over their leaves, blank and duplicated rows, and a
stray formatted cell far to the right that makes the sheet report thousands
of empty columns.

Writers return where each row landed (sheet and 1-based row or line number)
so that every injected defect can be located in the truth file. Output is
byte-identical for identical input: workbook timestamps are fixed and the
zip container is rewritten with fixed entry dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from liushou_analysis.core.xlsxio import save_workbook

#: Column index of the stray formatted cell (XFD, Excel's last column).
WIDE_COLUMN = 16384


@dataclass
class Sheet:
    """One table as laid out on a sheet (or in a CSV file)."""

    name: str
    frame: pd.DataFrame
    title: str | None = None
    #: Two-row header: (group label, [(column, leaf label), ...]) in column
    #: order. Column names are the flat labels a one-row header would use.
    groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    #: Rows (by ``_row``) followed by a blank row, and rows written twice.
    blank_after: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    duplicated: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    wide_empty: bool = False

    @property
    def columns(self) -> list[str]:
        """The sheet's visible columns (helper columns start with _)."""
        return [c for c in self.frame.columns if not str(c).startswith("_")]

    def header_rows(self) -> list[list[str | None]]:
        """Header cells, one list per header row (a group label only above
        its first leaf, as merged cells hold it)."""
        if not self.groups:
            return [self.columns]
        leaf = {c: (g, label, i) for g, items in self.groups for i, (c, label) in enumerate(items)}
        top = [(leaf[c][0] if leaf[c][2] == 0 else None) if c in leaf else c for c in self.columns]
        bottom = [leaf[c][1] if c in leaf else None for c in self.columns]
        return [top, bottom]

    def physical_rows(self, first_data_row: int) -> tuple[pd.DataFrame, list[int]]:
        """Row numbers of every written copy of each row, and of blank rows."""
        rows = self.frame["_row"].to_numpy()
        dup = np.isin(rows, self.duplicated).astype(int)
        blank = np.isin(rows, self.blank_after).astype(int)
        step = 1 + dup + blank
        start = first_data_row + np.r_[0, np.cumsum(step)[:-1]]
        placed = pd.DataFrame({"_row": rows, "row": start, "copy_no": 0})
        copies = pd.DataFrame({"_row": rows[dup == 1], "row": start[dup == 1] + 1, "copy_no": 1})
        blanks = (start + dup + 1)[blank == 1].tolist()
        return pd.concat([placed, copies], ignore_index=True), blanks


def _cell(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def write_xlsx(path: Path, sheets: list[Sheet]) -> pd.DataFrame:
    """Write a workbook; return the physical position of each row."""
    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin")
    placed = []
    for sh in sheets:
        ws = wb.create_sheet(sh.name)
        ncol = len(sh.columns)
        r = 1
        if sh.title:
            ws.cell(1, 1, sh.title).font = Font(bold=True, size=14)
            ws.cell(1, 1).alignment = Alignment(horizontal="center")
            if ncol > 1:
                ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
            r = 2
        header = sh.header_rows()
        for i, cells in enumerate(header):
            for j, label in enumerate(cells, start=1):
                if label is not None:
                    ws.cell(r + i, j, label).font = Font(bold=True)
        if len(header) == 2:
            col = {c: j for j, c in enumerate(sh.columns, start=1)}
            for _, items in sh.groups:
                a, b = col[items[0][0]], col[items[-1][0]]
                if b > a:
                    ws.merge_cells(start_row=r, start_column=a, end_row=r, end_column=b)
            grouped = {c for _, items in sh.groups for c, _ in items}
            for c, j in col.items():
                if c not in grouped:
                    ws.merge_cells(start_row=r, start_column=j, end_row=r + 1, end_column=j)
        first = r + len(header)
        if sh.wide_empty:
            ws.cell(r, WIDE_COLUMN).border = Border(bottom=thin)
        pos, _ = sh.physical_rows(first)
        values = sh.frame[sh.columns].astype(object).to_numpy()
        row_of = dict(zip(pos.loc[pos.copy_no == 0, "_row"], pos.loc[pos.copy_no == 0, "row"]))
        dup_rows = set(pos.loc[pos.copy_no == 1, "_row"])
        date_cols = [j for j, c in enumerate(sh.columns) if sh.frame[c].map(type).eq(pd.Timestamp).any()]
        for key, vals in zip(sh.frame["_row"].to_numpy(), values):
            cells = [_cell(v) for v in vals]
            for copy in (0, 1) if key in dup_rows else (0,):
                rr = row_of[key] + copy
                for j, v in enumerate(cells, start=1):
                    if v is not None:
                        c = ws.cell(rr, j, v)
                        if j - 1 in date_cols and isinstance(v, dt.datetime):
                            c.number_format = "yyyy-mm-dd"
        placed.append(pos.assign(sheet=sh.name))
    save_workbook(wb, path, creator="liushou synth")
    return pd.concat(placed, ignore_index=True)


def csv_text(sheet: Sheet, line_end: str, delimiter: str = ",") -> tuple[str, pd.DataFrame]:
    """A sheet as CSV text (one flat header row), and each row's line number."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=line_end, delimiter=delimiter)
    w.writerow(sheet.columns)
    pos, _ = sheet.physical_rows(2)
    values = sheet.frame[sheet.columns].astype(object).to_numpy()
    dup_rows = set(pos.loc[pos.copy_no == 1, "_row"])
    blank_rows = set(sheet.blank_after.tolist())
    ncol = len(sheet.columns)
    for key, vals in zip(sheet.frame["_row"].to_numpy(), values):
        cells = ["" if _cell(v) is None else _csv_value(v) for v in vals]
        w.writerow(cells)
        if key in dup_rows:
            w.writerow(cells)
        if key in blank_rows:
            w.writerow([""] * ncol)
    return buf.getvalue(), pos.assign(sheet="")


def _csv_value(v) -> str:
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float | np.floating):
        return f"{v:g}"
    return str(v)


def write_csv(path: Path, sheet: Sheet, encoding: str, line_end: str, delimiter: str = ",") -> tuple[pd.DataFrame, str]:
    """Write CSV (or, with a tab ``delimiter``, the tab-separated text some
    school systems save as .xls); return row positions and the encoding
    actually used.

    A GBK export cannot hold characters outside GBK: such a file is written
    as GB18030 instead (as Excel on a Chinese system would offer).
    """
    text, pos = csv_text(sheet, line_end, delimiter)
    used = encoding
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        used = "gb18030"
        data = text.encode(used)
    path.write_bytes(data)
    return pos, used


def write_html_xls(path: Path, sheet: Sheet, encoding: str) -> tuple[pd.DataFrame, str]:
    """Write a sheet as the HTML table many school systems save as .xls:
    an optional title row spanning the table, one flat header row, then the
    rows (blank and duplicated ones as laid out). Returns row positions (the
    row within the table, 1-based) and the encoding used."""
    from html import escape

    ncol = len(sheet.columns)
    first = 3 if sheet.title else 2
    pos, _ = sheet.physical_rows(first)
    values = sheet.frame[sheet.columns].astype(object).to_numpy()
    dup_rows = set(pos.loc[pos.copy_no == 1, "_row"])
    blank_rows = set(sheet.blank_after.tolist())
    declared = "gbk" if encoding.lower() in ("gbk", "gb18030") else "utf-8"
    lines = [f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={declared}"></head>',
             "<body><table border=1>"]
    if sheet.title:
        lines.append(f"<tr><td colspan={ncol}><b>{escape(sheet.title)}</b></td></tr>")
    lines.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in sheet.columns) + "</tr>")
    for key, vals in zip(sheet.frame["_row"].to_numpy(), values):
        row = "<tr>" + "".join(f"<td>{'' if _cell(v) is None else escape(_csv_value(v))}</td>" for v in vals) + "</tr>"
        lines.append(row)
        if key in dup_rows:
            lines.append(row)
        if key in blank_rows:
            lines.append("<tr>" + "<td></td>" * ncol + "</tr>")
    lines.append("</table></body></html>")
    text = "\r\n".join(lines)
    used = "gb18030" if declared == "gbk" else "utf-8"
    path.write_bytes(text.encode(used))
    return pos.assign(sheet=""), used


def write_rows_xlsx(path: Path, rows: list[list]) -> None:
    """Write plain rows (a header, then data) into one sheet named Sheet1, as an online survey platform's
    download is: no title, no merged cells."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in rows:
        ws.append([_cell(v) for v in row])
    save_workbook(wb, path, creator="liushou synth")
