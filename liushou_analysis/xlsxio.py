"""Save openpyxl workbooks byte-identically for identical content.

openpyxl stamps the save time into the workbook's properties and the zip
entries; both are pinned here so reruns give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

FIXED_TIME = dt.datetime(2024, 1, 1, 8, 0, 0)
_ZIP_TIME = (2024, 1, 1, 8, 0, 0)
_MODIFIED = re.compile(rb"(?<=<dcterms:modified xsi:type=\"dcterms:W3CDTF\">)[^<]+")


def save_workbook(wb, path: Path, creator: str = "liushou_analysis") -> None:
    """Write ``wb`` to ``path`` with fixed timestamps."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = creator
    buf = io.BytesIO()
    wb.save(buf)
    Path(path).write_bytes(normalise_zip(buf.getvalue()))


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
                body = _MODIFIED.sub(FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), body)
            dst.writestr(clean, body, compresslevel=6)
    return out.getvalue()
