"""Spreadsheet outputs: safe cells, and workbooks saved byte-identically.

Text from the raw data may start with = + - @ or a tab, which a
spreadsheet runs as a formula (formula injection). :func:`safe_text` and
:func:`safe_frame` prefix such text with an apostrophe, so Excel and WPS
show it as text; every CSV and workbook the tool writes passes through
them, so no output cell is a formula.

openpyxl stamps the save time into the workbook's properties and the zip
entries; both are pinned here so reruns give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd

#: Cell text a spreadsheet would read as a formula or command.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """Text that starts like a formula, prefixed with an apostrophe; other values unchanged.

    >>> safe_text("=1+2"), safe_text("红岩中学"), safe_text(-3)
    ("'=1+2", '红岩中学', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value)  # a number written as text (-3) is no formula
        except ValueError:
            return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell (and column name) made safe by :func:`safe_text`."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype(object)
            # a number (-3, or the text "-3") is no formula; other text starting like one is
            risky = (text.notna() & text.astype(str).str.startswith(FORMULA_START)
                     & pd.to_numeric(text, errors="coerce").isna())
            if risky.any():
                out[col] = text.where(~risky, "'" + text.astype(str))
    out.columns = [safe_text(c) for c in out.columns]
    return out


def append_frame(ws, frame: pd.DataFrame, header: list[str] | None = None) -> None:
    """Append ``frame`` to a worksheet: a header row (the column names, or ``header``), then one row per record,
    missing values as empty cells, numpy numbers as plain numbers and text NFC-normalised and made inert
    (:func:`safe_text`)."""
    ws.append([safe_text(c) for c in (header if header is not None else frame.columns)])
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        ws.append([_cell(v) for v in row])


def _cell(value):
    if isinstance(value, str):
        return safe_text(unicodedata.normalize("NFC", value))
    return value.item() if hasattr(value, "item") else value  # numpy numbers and booleans


def write_csv(frame: pd.DataFrame, path: Path, float_format: str | None = None) -> None:
    """Every CSV the tool writes: UTF-8 with a byte-order mark (so Excel shows the Chinese when the file is
    double-clicked), Unix line ends, no index, and text that Excel would run as a formula made inert
    (:func:`safe_frame`)."""
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", float_format=float_format)


FIXED_TIME = dt.datetime(2024, 1, 1, 8, 0, 0)
_ZIP_TIME = (2024, 1, 1, 8, 0, 0)
#: The save time openpyxl stamps, however the element declares its namespaces (with lxml installed it
#: declares them inline: ``<dcterms:modified xmlns:dcterms="..." xsi:type="dcterms:W3CDTF">``).
_MODIFIED = re.compile(rb"(<dcterms:modified\b[^>]*>)[^<]+")


def save_workbook(wb, path: Path, creator: str = "liushou_analysis") -> None:
    """Write ``wb`` to ``path`` with fixed timestamps."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = creator
    buf = io.BytesIO()
    wb.save(buf)
    Path(path).write_bytes(normalise_zip(buf.getvalue()))


_CREATOR = re.compile(rb"<dc:creator\b[^>]*>([^<]*)</dc:creator>")
_CORE = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
         'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>{creator}</dc:creator>'
         '<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
         '<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')


def _canonical_core(body: bytes) -> bytes:
    """docProps/core.xml in one fixed form (creator and the fixed times), whichever XML library openpyxl used."""
    creator = _CREATOR.search(body)
    if not creator or b"<dc:title" in body or b"<dc:subject" in body:  # properties we never set: keep, fix the time
        return _MODIFIED.sub(rb"\g<1>" + FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), body)
    return _CORE.format(creator=creator.group(1).decode("utf-8"),
                        stamp=FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")).encode("utf-8")


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps and modified time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            clean = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            clean.compress_type = zipfile.ZIP_DEFLATED
            clean.external_attr = 0o600 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = _canonical_core(body)
            dst.writestr(clean, body, compresslevel=6)
    return out.getvalue()
