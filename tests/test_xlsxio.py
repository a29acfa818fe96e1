"""Byte-stable workbooks (core/xlsxio.py), whatever optional XML library openpyxl finds."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl

from liushou_analysis.core.xlsxio import FIXED_TIME, normalise_zip, save_workbook

STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")


def _zip_with_core(core: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("docProps/core.xml", core)
    return out.getvalue()


def test_the_save_time_is_fixed_in_both_ways_openpyxl_writes_it():
    """Hand-made: core.xml as openpyxl writes it without lxml (namespaces on the root) and with lxml
    (namespaces declared on the element itself)."""
    plain = ('<cp:coreProperties><dcterms:modified xsi:type="dcterms:W3CDTF">2026-11-26T03:43:15Z'
             "</dcterms:modified></cp:coreProperties>")
    inline = ('<cp:coreProperties><dcterms:modified xmlns:dcterms="http://purl.org/dc/terms/" '
              'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="dcterms:W3CDTF">'
              "2026-11-26T03:43:15Z</dcterms:modified></cp:coreProperties>")
    for core in (plain, inline):
        body = zipfile.ZipFile(io.BytesIO(normalise_zip(_zip_with_core(core)))).read("docProps/core.xml").decode()
        assert "2026-11-26" not in body and STAMP in body


def test_two_saves_seconds_apart_are_the_same_bytes(tmp_path):
    """Runs with lxml installed (a dev dependency), the case that used to differ."""
    import lxml  # noqa: F401  (present, so openpyxl writes the inline form)

    paths = []
    for i in range(2):
        wb = openpyxl.Workbook()
        wb.active.append(["学校", "人数"])
        save_workbook(wb, tmp_path / f"{i}.xlsx")
        paths.append(tmp_path / f"{i}.xlsx")
        if i == 0:
            time.sleep(1.1)  # openpyxl stamps the save time to the second
    assert paths[0].read_bytes() == paths[1].read_bytes()
