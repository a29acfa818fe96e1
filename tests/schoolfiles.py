"""Write files the way a rural school's office makes them, for tests.

By hand, not with the generator: an .xlsx with a merged title row and a
填报单位 line above the header (openpyxl), a legacy .xls (xlwt), an HTML
table or tab-separated GBK text saved under an .xls name (what many school
systems export), a GBK CSV, and the litter a shared folder collects.
All names and numbers are made up.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook


def with_check_digit(first17: str) -> str:
    """GB 11643-1999 check character."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


def xlsx(path: Path, header: list, rows: list[list], titles: list[str] = (), sheet: str = "Sheet1",
         more_sheets: dict[str, tuple[list, list[list], list[str]]] | None = None) -> Path:
    """A workbook whose title lines are merged across the header's width."""
    wb = Workbook()
    ws = wb.active
    _fill(ws, sheet, header, rows, titles)
    for name, (h, r, t) in (more_sheets or {}).items():
        _fill(wb.create_sheet(), name, h, r, t)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _fill(ws, name, header, rows, titles):
    ws.title = name
    for i, title in enumerate(titles, start=1):
        ws.append([title])
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)


def xls(path: Path, header: list, rows: list[list], titles: list[str] = (), sheet: str = "Sheet1") -> Path:
    """A legacy .xls workbook written by xlwt."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    r = 0
    for title in titles:
        ws.write_merge(r, r, 0, len(header) - 1, title)
        r += 1
    for row in [header] + rows:
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v)
        r += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def html_as_xls(path: Path, header: list, rows: list[list], titles: list[str] = (), charset: str = "gbk") -> Path:
    """An HTML table saved with an .xls extension, as school systems export."""
    width = len(header)
    parts = [f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head><body>'
             "<table border=1>"]
    for title in titles:
        parts.append(f"<tr><td colspan={width}><b>{title}</b></td></tr>")
    parts.append("<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{'' if v is None else v}</td>" for v in row) + "</tr>")
    parts.append("</table></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\n".join(parts).encode(charset))
    return path


def text_as_xls(path: Path, header: list, rows: list[list], encoding: str = "gbk") -> Path:
    """Tab-separated text saved with an .xls extension."""
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows([header] + rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def csv_file(path: Path, header: list, rows: list[list], encoding: str = "gbk", titles: list[str] = ()) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([[t] for t in titles] + [header] + rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def litter(folder: Path) -> list[str]:
    """What a shared school folder collects besides the tables."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"Thumbs.db": b"\x00\x01", "desktop.ini": b"[.ShellClassInfo]\r\n", "~$学生花名册.xlsx": b"\x00" * 165,
             ".DS_Store": b"\x00\x00\x00\x01Bud1", "工作总结.docx": b"PK\x03\x04not really", "合影.jpg": b"\xff\xd8\xff",
             "通知.pdf": b"%PDF-1.4\n"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return sorted(files)
