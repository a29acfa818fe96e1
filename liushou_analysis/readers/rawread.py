"""Read raw school exports (.xlsx, .xls, .csv) into header-labelled cell tables.

Reading finds the table inside whatever a school sent: it tells the format
from the content, not the extension (many school systems save an HTML
table or tab-separated text under an .xls name), detects a text file's
encoding, skips title rows above the header, joins a two-row header
(a group cell merged over its leaves, such as 语文 over 分数/班名/校名),
drops fully empty rows and columns however many there are, and keeps every
row's number in the source so problems can be reported where they are.

Values are returned as found (strings, numbers, dates); normalising them
is the cleaning step's job. Problems the user must fix (a file that cannot
be opened or decoded, a sheet with no recognisable header) raise
:class:`~liushou_analysis.core.errors.UserError` with one plain sentence.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.core import codebook
from liushou_analysis.core.errors import UserError

#: CSV encodings tried, in order, when a file has no byte-order mark.
CSV_ENCODINGS = ("utf-8", "gbk", "gb18030")
#: How far down a sheet the header row is looked for.
HEADER_SEARCH_ROWS = 15
SUPPORTED = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".csv": "csv", ".txt": "csv", ".tsv": "csv",
             ".htm": "html", ".html": "html"}
#: Files a school folder holds that are not data: skipped with one line each.
LITTER_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
NOT_TABLES = {".doc": "a Word document", ".docx": "a Word document", ".wps": "a WPS document",
              ".pdf": "a PDF document", ".jpg": "a picture", ".jpeg": "a picture", ".png": "a picture",
              ".gif": "a picture", ".bmp": "a picture", ".heic": "a picture", ".ppt": "a presentation",
              ".pptx": "a presentation", ".zip": "an archive", ".rar": "an archive", ".7z": "an archive",
              ".mp4": "a video", ".mp3": "a recording", ".lnk": "a shortcut"}


def file_sha256(path: Path) -> str | None:
    """A file's SHA-256 (None if it cannot be read): the manifest records it, staleness compares it."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def litter_reason(path: Path) -> str | None:
    """Why a file in a term folder is not a data table, or None if it may be one.

    >>> litter_reason(Path("~$学生花名册.xlsx")), litter_reason(Path("工作总结.docx"))
    ('an open-file lock left by Excel or WPS', 'a Word document')
    """
    name = path.name
    if name.lower() in LITTER_NAMES:
        return "a file the operating system keeps in folders"
    if name.startswith("~$"):
        return "an open-file lock left by Excel or WPS"
    if name.startswith("."):
        return "a hidden file"
    return NOT_TABLES.get(path.suffix.lower())


def sniff_format(data: bytes, suffix: str) -> str | None:
    """The format of a file from its first bytes: ``xlsx`` (a zip), ``xls``
    (an OLE2 compound file), ``html`` or ``csv`` (text); None if the
    extension promises no table and the bytes do not show one."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<?xml")) or b"<table" in head:
        return "html" if b"<table" in data[:200_000].lower() or b"<html" in head else None
    return "csv" if SUPPORTED.get(suffix.lower()) in ("csv", "xls", "html") else None


def normalise_label(value) -> str:
    """A header cell as text: NFKC (full-width to half-width), no whitespace."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split())


def _known_labels() -> tuple[frozenset[str], frozenset[str]]:
    """Header labels the codebook knows, and leaf labels of two-row headers."""
    return _known_labels_for(codebook.generation())


@lru_cache(maxsize=4)
def _known_labels_for(generation: int) -> tuple[frozenset[str], frozenset[str]]:
    cb = codebook.load_codebook()
    headers = frozenset(cb.loc[cb.domain.isin(["header", "subject"]), "label"].map(normalise_label))
    leaves = frozenset(cb.loc[cb.domain == "header_leaf", "label"].map(normalise_label))
    return headers, leaves


@dataclass
class RawSheet:
    """One table found in a file: its flat header labels and its data rows."""

    file: str
    sheet: str
    labels: list[str]
    #: Cell values, one column per label (positional), plus ``source_row``:
    #: the row number in the sheet (1-based) or the line number in the CSV.
    cells: pd.DataFrame
    empty_rows: int = 0
    title: str = ""
    #: signature lines below the table (制表人：…), dropped
    footer_rows: int = 0


@dataclass
class RawFile:
    """What was read from one file, for the manifest."""

    file: str
    format: str
    sha256: str
    encoding: str = ""
    sheets: list[RawSheet] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)


def read_raw_file(path: Path, root: Path) -> RawFile:
    """Read every table in a raw file. ``root`` is the dataset folder (for
    the relative file name used in messages and the manifest)."""
    path = Path(path)
    rel = path.relative_to(root).as_posix()
    if SUPPORTED.get(path.suffix.lower()) is None:
        raise UserError(f"{rel}: the format '{path.suffix}' is not supported; save the file as .xlsx, .xls "
                        "or .csv, or move it out of the term folder.")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UserError(f"{rel}: the file cannot be read ({err.strerror}); check it exists and is readable.") from None
    fmt = sniff_format(data, path.suffix)
    if fmt is None:
        raise UserError(f"{rel}: the file is neither a workbook nor a text or HTML table; export it again from "
                        "the school's system as .xlsx.")
    raw = RawFile(rel, fmt, hashlib.sha256(data).hexdigest())
    if fmt == "csv":
        raw.encoding, grid = csv_rows(data, rel)
        grids = [("", grid)]
    elif fmt == "html":
        raw.encoding, grids = html_tables(data, rel)
    else:
        grids = workbook_rows(data, rel)
    for sheet_name, grid in grids:
        sheet = _find_table(grid, rel, sheet_name)
        if sheet is None:
            raw.skipped_sheets.append(sheet_name)
        else:
            raw.sheets.append(sheet)
    if not raw.sheets:
        where = f" (sheets: {', '.join(repr(s) for s in raw.skipped_sheets)})" if fmt != "csv" else ""
        big5 = (" It was read as Big5 (Traditional Chinese) text: give it the Simplified headers of docs/forms.md, "
                "or add its own under [headers] in liushou.toml.") if getattr(raw, "encoding", "") == "big5" else ""
        raise UserError(f"{rel}{where}: no recognisable header row (such as 学号, 姓名, 班级) in the first "
                        f"{HEADER_SEARCH_ROWS} rows; check the file is a school export, or add its header labels under "
                        "[headers] in the dataset's liushou.toml (see docs/forms.md)." + big5)
    return raw


def _text_encoding(data: bytes, rel: str) -> str:
    """The encoding of a text table: a BOM, else the first of UTF-8, GBK and
    GB18030 that decodes it; Big5 (Traditional Chinese, from Taiwan or Hong
    Kong software) when it also decodes and shows more known header labels,
    since Big5 bytes often decode as GB gibberish."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    fits = []
    for encoding in (*CSV_ENCODINGS, "big5"):
        try:
            fits.append((encoding, data[:8192].decode(encoding, errors="strict" if len(data) <= 8192 else "ignore")))
            data.decode(encoding)
        except UnicodeDecodeError:
            fits = [f for f in fits if f[0] != encoding]
    if not fits:
        raise UserError(f"{rel}: the file is not valid UTF-8, GBK, GB18030 or Big5 text; open it in a spreadsheet "
                        "program and save it again as CSV UTF-8 or as .xlsx.")
    known = _known_labels()[0]

    def labels(text: str) -> int:
        cells = re.split(r"[,\t\r\n]", "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS]))
        return sum(normalise_label(c) in known for c in cells)

    best = fits[0]
    for candidate in fits[1:]:
        if candidate[0] == "big5" and labels(candidate[1]) > labels(best[1]):
            best = candidate
    return best[0]


def csv_rows(data: bytes, rel: str) -> tuple[str, list[tuple[int, list]]]:
    """Decode a CSV file (see :func:`_text_encoding`) into rows."""
    encoding = _text_encoding(data, rel)
    text = data.decode(encoding)
    first = text[:4096].splitlines()[:5]
    tabs = sum(line.count("\t") for line in first)
    delimiter = "\t" if tabs > sum(line.count(",") for line in first) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # line_num counts physical lines read, so it is the row's last line number
        grid = [(reader.line_num, row) for row in reader]
    except csv.Error as err:
        raise UserError(f"{rel}: the CSV text is malformed near line {reader.line_num} ({err}); "
                        "check quoting in that line.") from None
    return encoding, grid


class _TableGrid(HTMLParser):
    """Rows of every <table> in an HTML page, cells as text, with colspan
    and rowspan filled in the way merged cells are."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._pending: dict[int, tuple[int, str]] = {}  # column -> (rows left, text) from rowspans
        self._spans: list[tuple[int, int]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
            self._pending = {}
        elif tag == "tr" and self.tables:
            self._row, self._spans = [], []
        elif tag in ("td", "th") and self._row is not None:
            a = dict(attrs)
            self._cell = []
            self._span = (_int(a.get("colspan")), _int(a.get("rowspan")))
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._spans.append(self._span)
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._place(self._row, self._spans))
            self._row = None

    def _place(self, cells: list[str], spans: list[tuple[int, int]]) -> list[str]:
        out: list[str] = []
        queue = list(zip(cells, spans, strict=True))
        col = 0
        while queue or any(c >= col for c in self._pending):
            if col in self._pending:
                left, text = self._pending[col]
                out.append(text)
                if left > 1:
                    self._pending[col] = (left - 1, text)
                else:
                    del self._pending[col]
                col += 1
                continue
            if not queue:
                out.append("")
                col += 1
                continue
            text, (colspan, rowspan) = queue.pop(0)
            for _ in range(colspan):
                out.append(text)
                if rowspan > 1:
                    self._pending[col] = (rowspan - 1, text)
                col += 1
        return out


def _int(value) -> int:
    try:
        return max(1, min(int(value), 1000))
    except (TypeError, ValueError):
        return 1


_TABLE = re.compile(r"<table\b[^>]*>(.*?)</table\s*>", re.S | re.I)
_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr\s*>", re.S | re.I)
_CELL = re.compile(r"<t([dh])\b([^>]*)>(.*?)</t\1\s*>", re.S | re.I)
_SPAN = re.compile(r"(colspan|rowspan)\s*=\s*[\"']?(\d+)", re.I)
_TAG = re.compile(r"<[^>]+>")


def _simple_tables(text: str) -> list[list[list[str]]] | None:
    """The tables of a machine-written HTML page (every tag closed, no table
    inside a table), by regular expressions: many times faster than a full
    parse. None when the page is not that simple."""
    import html as html_lib

    if text.lower().count("<table") != len(_TABLE.findall(text)):
        return None
    out = []
    for body in _TABLE.findall(text):
        if "<table" in body.lower() or body.lower().count("<tr") != len(_ROW.findall(body)):
            return None
        grid = _TableGrid()
        rows = []
        for row in _ROW.findall(body):
            cells = _CELL.findall(row)
            if row.lower().count("<td") + row.lower().count("<th") != len(cells):
                return None
            texts, spans = [], []
            for _, attrs, inner in cells:
                span = {k.lower(): _int(v) for k, v in _SPAN.findall(attrs)}
                spans.append((span.get("colspan", 1), span.get("rowspan", 1)))
                texts.append(" ".join(html_lib.unescape(_TAG.sub(" ", inner)).split()))
            rows.append(grid._place(texts, spans))
        out.append(rows)
    return out


def html_tables(data: bytes, rel: str) -> tuple[str, list[tuple[str, list[tuple[int, list]]]]]:
    """The tables of an HTML page (what many school systems save as .xls).
    Each table is a sheet named 表1, 表2, ...; a row's number is its row
    in the table."""
    declared = re.search(rb"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", data[:4096])
    candidates = ([declared.group(1).decode("ascii").lower()] if declared else []) + list(CSV_ENCODINGS)
    for encoding in candidates:
        try:
            text = data.decode("gb18030" if encoding in ("gb2312", "gbk") else encoding)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        raise UserError(f"{rel}: the HTML table is not valid UTF-8, GBK or GB18030 text; open it in a spreadsheet "
                        "program and save it again as .xlsx.")
    tables = _simple_tables(text)
    if tables is None:  # tags left open, nested tables ...: the full parser
        parser = _TableGrid()
        parser.feed(text)
        parser.close()
        tables = parser.tables
    tables = [t for t in tables if t]
    if not tables:
        raise UserError(f"{rel}: the file is an HTML page without a table; export it again from the school's "
                        "system as .xlsx.")
    return encoding, [(f"表{i}" if len(tables) > 1 else "", list(enumerate(rows, start=1)))
                      for i, rows in enumerate(tables, start=1)]


def workbook_rows(data: bytes, rel: str) -> list[tuple[str, list[tuple[int, list]]]]:
    """Rows of every sheet of an .xlsx or .xls workbook, read with calamine.

    Calamine returns only cells that hold values, so a sheet that claims
    16,384 columns because of one formatted empty cell costs nothing, and
    keeps leading empty rows, so a row's position is its row number.
    """
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
            _fill_merged(rows, sheet.merged_cell_ranges or [])
            sheets.append((name, rows))
        errors = _xlsx_error_cells(data)
        for name, rows in sheets:
            for r, c, text in errors.get(name, ()):
                while len(rows) < r:
                    rows.append([])
                row = rows[r - 1]
                row.extend([None] * (c - len(row)))
                row[c - 1] = text
    except Exception as err:  # calamine raises its own error types for damaged files
        if is_encrypted(data):
            raise UserError(f"{rel}: the workbook is protected with a password (encrypted), so it cannot be read; "
                            "open it in Excel or WPS, remove the password (文件 → 信息 → 保护工作簿 → 用密码进行加密, "
                            "clear it) and save it again.") from None
        raise UserError(f"{rel}: the workbook cannot be opened ({type(err).__name__}); it may be truncated or "
                        "not really a spreadsheet: export it again from the school's system.") from None
    return [(name, list(enumerate(rows, start=1))) for name, rows in sheets]


#: Excel's error values as a cell shows them: read as errors, never as blank cells.
EXCEL_ERROR = re.compile(r"^#(?:N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|BLOCKED!|FIELD!)$")
_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?t="e"[^>]*>(?:<f[^>]*>.*?</f>|<f[^>]*/>)?<v>([^<]*)</v>', re.S)


def is_encrypted(data: bytes) -> bool:
    """A password-protected workbook: Office wraps an encrypted .xlsx in an
    OLE2 file with an EncryptedPackage stream; an encrypted .xls carries a
    FILEPASS record (0x002F) right after its first BOF."""
    if not data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return False
    return "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data \
        or re.search(rb"\x09\x08[\x08\x10]\x00.{6,14}\x2f\x00", data[:65536], re.S) is not None


def _xlsx_error_cells(data: bytes) -> dict[str, list[tuple[int, int, str]]]:
    """Error cells (#N/A, #DIV/0! ...) of an .xlsx, by sheet name: (row,
    column, error text). Calamine reads them as empty, which would make a
    failed formula look like an absence."""
    if not data.startswith(b"PK"):
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
            if not any(b't="e"' in z.read(n) for n in sheets):
                return {}
            book = z.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            id_first = r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"'
            target_first = r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"'
            target = {m.group(1): m.group(2) for m in re.finditer(id_first, rels)}
            target |= {m.group(2): m.group(1) for m in re.finditer(target_first, rels)}
            out = {}
            for m in re.finditer(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', book):
                path = target.get(m.group(2), "")
                path = "xl/" + path.lstrip("/").removeprefix("xl/")
                if path not in names:
                    continue
                cells = [(int(r), _column_number(col.decode()), v.decode("utf-8", "replace"))
                         for col, r, v in _ERROR_CELL.findall(z.read(path))]
                if cells:
                    out[html.unescape(m.group(1))] = cells
            return out
    except (zipfile.BadZipFile, KeyError):
        return {}


def _column_number(letters: str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _fill_merged(rows: list[list], ranges) -> None:
    """Give every cell of a merged range the value of its top-left cell: a
    班级 cell merged down a class's rows means that class for each row."""
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _trim(values: list) -> list:
    """A row without its trailing empty cells (a formatted but empty cell far
    to the right makes a sheet claim thousands of columns)."""
    end = len(values)
    while end and _is_empty(values[end - 1]):
        end -= 1
    return list(values[:end])


def header_row(grid: list[tuple[int, list]], known: frozenset[str] | set[str], at_least: int = 2) -> int | None:
    """Position of the header in the first :data:`HEADER_SEARCH_ROWS` rows:
    the row with the most known labels (at least ``at_least``), so title
    rows, a 填报单位 line or blank rows above it are skipped; None if none."""
    best, best_score = None, at_least - 1
    for i, (_, row) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        score = sum(normalise_label(v) in known for v in row)
        if score > best_score:
            best, best_score = i, score
    return best


def _find_table(grid: list[tuple[int, list]], rel: str, sheet: str) -> RawSheet | None:
    """Locate the header (one or two rows) and return the data below it."""
    known, leaves = _known_labels()
    grid = [(number, _trim(values)) for number, values in grid]
    best = header_row(grid, known)
    if best is None:
        return None
    # In a two-row header the leaf row (分数 班名 校名 ...) can outscore the group row above it.
    if best > 0 and sum(normalise_label(v) in leaves for v in grid[best][1]) >= 2 \
            and sum(normalise_label(v) in known for v in grid[best - 1][1]) >= 2:
        best -= 1
    # One line per row above the header, so an instruction block (填表说明) stays apart from the title.
    title = "\n".join(line for line in (" ".join(str(v) for v in row if not _is_empty(v)) for _, row in grid[:best])
                      if line)
    top = [normalise_label(v) for v in grid[best][1]]
    below = [normalise_label(v) for v in grid[best + 1][1]] if best + 1 < len(grid) else []
    two_row = sum(v in leaves for v in below) >= 2
    if two_row:
        labels, group = [], ""
        width = max(len(top), len(below))
        top += [""] * (width - len(top))
        below += [""] * (width - len(below))
        for a, b in zip(top, below, strict=True):
            if a and b and a != b:
                group = a
            elif a:
                group = ""  # a label alone, or merged down over both rows (a == b)
            # a blank top cell under a merged group continues that group
            labels.append(group + b if (b and group) else (a or b))
        data = grid[best + 2:]
    else:
        labels, data = top, grid[best + 1:]
    width = max([len(labels)] + [len(values) for _, values in data])
    labels = labels + [""] * (width - len(labels))
    # the data as one array of cells: the flags and cuts below are array operations, and one DataFrame is
    # built at the end (a DataFrame per step cost more than the cells on a county's 1,700 sheets)
    block = np.empty((len(data), width), dtype=object)
    block[:] = [list(values[:width]) + [None] * (width - len(values)) for _, values in data] if data else block
    blank, long = _cell_flags(block)
    if long.any():
        block = _truncate_long_cells(block, long)
    empty_row = blank.all(axis=1)
    footer = _footer_rows(block, blank)
    rows = ~empty_row & ~footer
    block, blank = block[rows], blank[rows]
    keep = [j for j in range(width) if labels[j] or not blank[:, j].all()]
    cells = pd.DataFrame(block[:, keep], columns=range(len(keep)), dtype=object)
    cells["source_row"] = np.array([number for number, _ in data], dtype=np.int64)[rows]
    return RawSheet(file=rel, sheet=sheet, labels=[labels[j] for j in keep], cells=cells,
                    empty_rows=int(empty_row.sum()), title=title, footer_rows=int(footer.sum()))


#: A signature line below a table: 制表人：…, 审核人：…, 填表日期：…, 校长签字：…
_FOOTER = re.compile(r"^\s*(?:制表|填表|填报|审核|审批|校长|负责人|经办人|联系人|统计人|日期|时间|备注|说明|注)"
                     r"[^:：]{0,8}[:：]")


def _footer_rows(cells: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Rows at the bottom of a table (``cells``, rows by columns) whose filled cells are all signature
    lines (制表人：张三  审核人：李四  填表日期：2024年9月): not data rows."""
    n = len(cells)
    footer = np.zeros(n, dtype=bool)
    empty = blank.all(axis=1)
    # only a run at the end of the table: a signature line between data rows is a data problem
    for i in range(n - 1, max(-1, n - 12), -1):
        if empty[i]:
            continue
        signed = [isinstance(v, str) and bool(_FOOTER.match(v)) for v in cells[i]]
        if not any(signed) or not all(s or b for s, b in zip(signed, blank[i], strict=True)):
            break
        footer[i] = True
    return footer


def _cell_flags(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which cells (rows by columns) are empty or only whitespace, and which are longer than
    :data:`MAX_CELL` characters.

    One C-level call per cell (its type, then ``str.isspace`` and ``len`` on the text cells only), no
    conversion of the sheet: the cost follows the cells, and memory stays that of the cells."""
    n, width = cells.shape
    if n == 0 or width == 0:
        return np.ones((n, width), dtype=bool), np.zeros((n, width), dtype=bool)
    flat = cells.ravel()
    codes, kinds = pd.factorize(type_of(flat))
    text = np.array([issubclass(t, str) for t in kinds], dtype=bool)[codes]
    blank = pd.isna(flat)
    long = np.zeros(len(flat), dtype=bool)
    if text.any():
        strings = flat[text]
        size = length_of(strings).astype(np.int64)
        blank[text] = (size == 0) | _isspace(strings).astype(bool)
        long[text] = size > MAX_CELL
    return blank.reshape(n, width), long.reshape(n, width)


#: Each cell's type, its length and whether it is all whitespace, by one C-level call per cell.
type_of = np.frompyfunc(type, 1, 1)
length_of = np.frompyfunc(len, 1, 1)
_isspace = np.frompyfunc(str.isspace, 1, 1)


#: The longest cell kept in full. Longer text (a pasted essay, a corrupted
#: export) is cut to this length and marked, so memory and outputs stay
#: bounded; a coded field or number holding it fails its parser and is
#: reported, a free-text field keeps the first MAX_CELL characters.
MAX_CELL = 2000
TRUNCATED = "[已截断]"


def _truncate_long_cells(cells: np.ndarray, long: np.ndarray) -> np.ndarray:
    """Cells longer than :data:`MAX_CELL` characters (``long``), cut and marked."""
    cells = cells.copy()
    for i, j in zip(*np.nonzero(long), strict=True):  # only the rare cells that are that long
        cells[i, j] = str(cells[i, j])[:MAX_CELL] + TRUNCATED
    return cells
