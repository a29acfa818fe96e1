"""Value normalisers: one function per kind of cell, on whole columns.

Each parser takes a Series of raw cells (strings, numbers, dates or empty)
and returns parsed values plus, where a cell cannot be parsed, a reason, so
the caller can send that row to quarantine. Nothing is guessed: a cell that
does not parse is never turned into 0 or a default.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np
import pandas as pd

from .. import codebook

#: Excel's day zero for the 1900 date system (serial 1 = 1900-01-01, with
#: Excel's phantom 1900-02-29 absorbed by starting on 30 December).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Serial numbers accepted as dates: 1950-01-01 .. 2100-01-01.
SERIAL_RANGE = (18264, 73051)


def text(cells: pd.Series) -> pd.Series:
    """Cells as clean text: NFKC (full-width to half-width), trimmed; empty -> NA.

    >>> text(pd.Series(["　七年级２班 ", None, 12])).tolist()
    ['七年级2班', nan, '12']
    """
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return np.nan
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = unicodedata.normalize("NFKC", str(v)).strip()
        return s if s else np.nan
    return cells.map(one).astype(object)


def student_ids(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """School numbers as strings: apostrophes removed, digits only.

    Returns the ids and a boolean Series: True where the cell was a number
    (its leading zeros may have been lost; see :func:`restore_leading_zeros`).
    """
    was_number = cells.map(lambda v: isinstance(v, int | float | np.integer | np.floating) and not pd.isna(v))
    ids = text(cells).str.lstrip("'‘’`").str.strip()
    ids = ids.where(ids.notna(), np.nan)
    return ids, was_number.astype(bool)


def restore_leading_zeros(ids: pd.Series, was_number: pd.Series, groups: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Left-pad numeric IDs shorter than their group's usual length.

    A spreadsheet stores 0120230001 typed as a number as 120230001. The rule:
    within a group (a school), the usual length is the most common length
    among IDs that were stored as text; an all-digit ID that was stored as a
    number and is shorter is padded with zeros to it. Returns the ids and a
    mask of the cells changed.
    """
    if ids.empty:
        return ids, pd.Series(False, index=ids.index)
    lengths = ids.str.len()
    text_lengths = lengths.where(~was_number)
    usual = text_lengths.groupby(groups).transform(lambda s: s.mode().iloc[0] if s.notna().any() else np.nan)
    usual = usual.fillna(lengths.groupby(groups).transform("max"))
    pad = was_number & ids.str.fullmatch(r"\d+").fillna(False).astype(bool) & (lengths < usual)
    padded = ids.copy()
    if pad.any():
        width = usual[pad].astype(int)
        padded[pad] = [s.zfill(w) for s, w in zip(ids[pad], width, strict=True)]
    return padded, pad


def absence_codes() -> dict[str, str]:
    """Absence marker (normalised) -> reason code, from the codebook."""
    cb = codebook.load_codebook()
    rows = cb[cb.domain == "absence"]
    return {unicodedata.normalize("NFKC", label).strip(): code for label, code in zip(rows.label, rows.code,
                                                                                      strict=True)}


def numbers(cells: pd.Series, markers: dict[str, str] | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Numbers, also when stored as text ('88.50 ').

    Returns ``(values, absence_reason, problem)``: absence markers (缺考, Q,
    '-', ...) become missing with their reason code; an empty cell is missing
    with reason ``blank``; any other text is missing with ``problem`` set to
    ``not_a_number``.
    """
    markers = absence_codes() if markers is None else markers
    t = text(cells)
    reason = t.map(markers)
    parsed = pd.to_numeric(t.where(reason.isna()), errors="coerce")
    problem = pd.Series(np.where(t.notna() & reason.isna() & parsed.isna(), "not_a_number", None), index=cells.index,
                        dtype=object)
    reason = reason.where(t.notna(), "blank").where(parsed.isna())
    return parsed.astype(float), reason, problem


_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"), "ymd"),
    (re.compile(r"^(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{4})年(\d{1,2})月$"), "ym"),
    (re.compile(r"^(\d{4})[.\-/](\d{1,2})$"), "ym"),
]


def dates(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates from date cells, Excel serials (numbers or text) and the ways
    people type them: 2013年5月6日, 2013.5.6, 2013-05-06, 2013/5/6, 20130506.

    Returns ``(dates, problem)``; ``problem`` is ``unparseable_date`` where a
    non-empty cell is not a date. A year-month alone gives the first day.
    """
    failed = "\0unparseable"  # a marker pandas cannot mistake for a missing value

    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return pd.NaT
        if isinstance(v, dt.datetime | dt.date | pd.Timestamp):
            return pd.Timestamp(v).normalize()
        s = unicodedata.normalize("NFKC", str(v)).strip()
        if not s:
            return pd.NaT
        if re.fullmatch(r"\d{5}(\.0+)?", s) or isinstance(v, int | float):
            serial = float(s)
            if SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
                return EXCEL_EPOCH + pd.Timedelta(days=int(serial))
            return failed
        for pattern, kind in _DATE_PATTERNS:
            m = pattern.match(s)
            if m:
                y, mo = int(m.group(1)), int(m.group(2))
                d = int(m.group(3)) if kind == "ymd" else 1
                try:
                    return pd.Timestamp(year=y, month=mo, day=d)
                except ValueError:
                    return failed
        return failed
    parsed = cells.map(one).astype(object)
    bad = parsed.map(lambda x: isinstance(x, str)).astype(bool)
    problem = pd.Series(np.where(bad, "unparseable_date", None), index=cells.index, dtype=object)
    return pd.to_datetime(parsed.where(~bad, pd.NaT)), problem


def labels_to_codes(cells: pd.Series, domain: str) -> tuple[pd.Series, pd.Series]:
    """Map labels to codebook codes. Returns ``(codes, unmapped)``:
    ``unmapped`` holds the label where a non-empty label is not in the
    codebook (so a maintainer can add it)."""
    cb = codebook.load_codebook()
    rows = cb[cb.domain == domain]
    lookup = {unicodedata.normalize("NFKC", label).strip(): code
              for label, code in zip(rows.label, rows.code, strict=True)}
    t = text(cells)
    codes = t.map(lookup)
    unmapped = t.where(t.notna() & codes.isna())
    return codes.astype(object), unmapped.astype(object)


def relation_codes(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Guardian relations, several guardians in one cell allowed (奶奶、姑姑).

    Each part maps through the codebook; the result joins codes with ';' in
    the order written (``grandmother;aunt_uncle``). One unmapped part sends
    the whole cell to ``unmapped``.
    """
    t = text(cells)
    parts = t.str.split(r"\s*[、,，和/及]\s*", regex=True)
    flat = parts.explode()
    codes, unmapped = labels_to_codes(flat, "relation")
    joined = codes.groupby(level=0).agg(lambda s: ";".join(s) if s.notna().all() else np.nan)
    bad = unmapped.notna().groupby(level=0).any()
    joined = joined.reindex(t.index)
    unmapped_cells = t.where(bad.reindex(t.index, fill_value=False))
    return joined.where(t.notna()).astype(object), unmapped_cells.astype(object)


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def check_id_numbers(ids: pd.Series, birth_dates: pd.Series, genders: pd.Series) -> pd.Series:
    """Check 18-digit resident ID numbers (GB 11643-1999).

    Returns one code per row: ``valid``, ``missing``, ``malformed`` (not 17
    digits and a check character), ``bad_check_digit``, ``bad_birth_date``
    (not a calendar date), ``birth_date_mismatch`` (differs from the stated
    birth date), ``gender_mismatch`` (17th digit odd = male, differs from the
    stated gender). The first failing check is reported; nothing is fixed.
    """
    t = text(ids).str.upper()
    result = pd.Series("valid", index=ids.index, dtype=object)
    result[t.isna()] = "missing"
    shaped = t.str.fullmatch(r"\d{17}[\dX]").fillna(False).astype(bool)
    result[t.notna() & ~shaped] = "malformed"
    ok = shaped.to_numpy()
    if ok.any():
        s = t[shaped]
        digits = np.array([list(x[:17]) for x in s], dtype=np.int64)
        check = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]
        bad_check = check != s.str[17].to_numpy()
        born = pd.to_datetime(s.str[6:14], format="%Y%m%d", errors="coerce")
        stated = pd.to_datetime(birth_dates[shaped])
        male_digit = s.str[16].astype(int) % 2 == 1
        stated_male = genders[shaped].map({"male": True, "female": False})
        status = np.select(
            [bad_check, born.isna().to_numpy(),
             (stated.notna() & born.notna() & (stated != born)).to_numpy(),
             (stated_male.notna() & (stated_male != male_digit)).to_numpy()],
            ["bad_check_digit", "bad_birth_date", "birth_date_mismatch", "gender_mismatch"], "valid")
        result[shaped] = status
    return result


_CLASS_PATTERN = re.compile(
    r"^(?:(?P<g>[七八九789])(?:年级)?|初(?P<j>[一二三123]))[\s.\-(（]*(?P<k>\d{1,2})[)）]?班?$")
_GRADE_WORDS = {"七": 7, "八": 8, "九": 9, "7": 7, "8": 8, "9": 9, "一": 7, "二": 8, "三": 9, "1": 7, "2": 8, "3": 9}


def class_labels(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Grade and class number from class names: 七年级2班, 七(2)班, 初一2班,
    7.2, 七年级２班 (after NFKC). Unparseable names give missing values."""
    t = text(cells)
    m = t.str.extract(_CLASS_PATTERN)
    grade = m.g.fillna(m.j).map(_GRADE_WORDS)
    return grade.astype("Int64"), pd.to_numeric(m.k, errors="coerce").astype("Int64")


_STATUS_IN_NAME = re.compile(r"[(（]\s*(转入|转出|休学|借读)\s*[)）]\s*$")


def split_status_from_names(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A status word typed into a name cell ('张三（转入）'): the name without
    it, and the status code (transferred_in, transferred_out, suspended, visiting)."""
    t = text(names)
    word = t.str.extract(_STATUS_IN_NAME, expand=False)
    codes, _ = labels_to_codes(word, "enrolment_status")
    return t.str.replace(_STATUS_IN_NAME, "", regex=True).str.strip(), codes
