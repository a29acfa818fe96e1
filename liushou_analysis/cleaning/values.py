"""Value normalisers: one function per kind of cell, on whole columns.

Each parser takes a Series of raw cells (strings, numbers, dates or empty)
and returns parsed values plus, where a cell cannot be parsed, a reason, so
the caller can send that row to quarantine. Nothing is guessed: a cell that
does not parse is never turned into 0 or a default.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import numpy as np
import pandas as pd

from liushou_analysis.core import codebook
from liushou_analysis.core.flags import is_true
from liushou_analysis.readers.rawread import EXCEL_ERROR, length_of, type_of

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
    values = cells.to_numpy(dtype=object)
    codes, kinds = pd.factorize(_types(values))
    is_text = np.array([issubclass(k, str) for k in kinds], dtype=bool)[codes] if len(values) else \
        np.zeros(0, dtype=bool)
    if not is_text.any():
        return _per_distinct(cells, _one_text)
    # text cells, most of them distinct (numbers, names): one C-level call per cell for each step
    out = np.empty(len(values), dtype=object)
    stripped = _strip(_nfkc(values[is_text]))
    out[is_text] = np.where(length_of(stripped).astype(np.int64) > 0, stripped, np.nan)
    if not is_text.all():  # numbers, dates and missing cells: once per distinct value
        out[~is_text] = _per_distinct(cells[~is_text], _one_text).to_numpy(dtype=object)
    return pd.Series(out, index=cells.index, dtype=object)


def _one_text(v):
    """:func:`text` of one cell."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = unicodedata.normalize("NFKC", str(v)).strip()
    return s if s else np.nan


_nfkc = np.frompyfunc(functools.partial(unicodedata.normalize, "NFKC"), 1, 1)
_strip = np.frompyfunc(str.strip, 1, 1)


def _per_distinct(cells: pd.Series, one) -> pd.Series:
    """``cells.map(one)``, calling ``one`` once per distinct value (a column
    repeats its values: classes, labels, small counts)."""
    values = cells.to_numpy(dtype=object)
    if pd.isna(values).all():  # a field the sheet does not have
        out = np.empty(len(values), dtype=object)
        out[:] = [one(None)] * len(values) if len(values) else []
        return pd.Series(out, index=cells.index, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "floating"):
        # one kind of value (text, or floats) besides missing ones: no type to tell apart, so no per-cell check
        kinds = np.full(len(values), "one", dtype=object)
    else:
        kinds = _types(values)
    # factorize within each type, so 1, 1.0 and True (equal as Python values) stay apart
    out = np.empty(len(values), dtype=object)
    kind_codes, kind_list = pd.factorize(kinds)
    for k in range(len(kind_list)):
        where = np.flatnonzero(kind_codes == k)
        codes, uniques = pd.factorize(values[where], use_na_sentinel=True)
        mapped = np.empty(len(uniques) + 1, dtype=object)  # filled one by one: results may be tuples
        for i, u in enumerate(list(uniques) + [None]):
            mapped[i] = one(u)
        out[where] = mapped[codes]  # code -1 (missing) takes the last entry, one(None)
    return pd.Series(out, index=cells.index, dtype=object)


def _types(values: np.ndarray) -> np.ndarray:
    """The type of every value of an object array (one C-level call per cell; a generator costs several times
    more)."""
    return type_of(values) if len(values) else np.empty(0, dtype=object)


def _numeric(values: np.ndarray, exclude: type | None = None) -> np.ndarray:
    """True where a value is a number (int, float, bool or numpy's; not of type ``exclude``), not a missing one."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    codes, kinds = pd.factorize(_types(values))
    number = np.array([issubclass(t, int | float | np.integer | np.floating) and t is not exclude for t in kinds],
                      dtype=bool)
    return number[codes] & ~pd.isna(values)


def student_ids(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """School numbers as strings: apostrophes removed, digits only.

    Returns the ids and a boolean Series: True where the cell was a number
    (its leading zeros may have been lost; see :func:`restore_leading_zeros`).
    """
    was_number = pd.Series(_numeric(cells.to_numpy(dtype=object)), index=cells.index)
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
    # each group's most common length among the text ids (the shortest of equally common ones, as Series.mode)
    seen = pd.DataFrame({"group": groups, "length": text_lengths}).dropna()
    tally = seen.groupby(["group", "length"], sort=False).size().rename("n").reset_index()
    mode = tally.sort_values(["group", "n", "length"], ascending=[True, False, True], kind="stable") \
        .drop_duplicates("group").set_index("group").length
    usual = pd.Series(groups.map(mode).to_numpy(dtype=float), index=ids.index)
    usual = usual.fillna(lengths.groupby(groups).transform("max"))
    pad = was_number & is_true(ids.str.fullmatch(r"\d+")) & (lengths < usual)
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


def numbers(cells: pd.Series, markers: dict[str, str] | None = None,
            unit: str | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Numbers, also when stored as text ('88.50 '), and followed by ``unit`` when given ('92分', '92.5 分').

    Returns ``(values, absence_reason, problem)``: absence markers (缺考, 免考,
    作弊, '-', '/', ...) become missing with their reason code; an empty cell
    is missing with reason ``blank``; an Excel error (#N/A, #DIV/0! ...) is
    missing with ``problem`` set to ``excel_error``; any other text with
    ``not_a_number``.

    >>> values, reason, _ = numbers(pd.Series(["92分", "92.5 分", "免考", "作弊", "/", "九十"]), unit="分")
    >>> values.tolist()[:2], reason.tolist()[2:5]
    ([92.0, 92.5], ['exempt', 'void', 'no_score'])
    """
    markers = absence_codes() if markers is None else markers
    values = cells.to_numpy(dtype=object)
    numeric = _numeric(values, exclude=bool)  # True is text ('True'), not 1
    if numeric.any() and not any(_is_number_text(m) for m in markers):
        # cells that already hold numbers are numbers: only the others are read as text
        parsed, reason, problem = _text_numbers(cells[~numeric], markers, unit)
        out = pd.Series(np.nan, index=cells.index, dtype=float)
        out[numeric] = values[numeric].astype(float)
        out[~numeric] = parsed.to_numpy()
        return (out, reason.reindex(cells.index),
                problem.reindex(cells.index).astype(object).where(~pd.Series(numeric, index=cells.index), None))
    return _text_numbers(cells, markers, unit)


def _is_number_text(label: str) -> bool:
    """An absence marker that reads as a number (a dataset may define one): numbers must then be read as text."""
    return bool(re.fullmatch(r"[+-]?\d+(?:\.\d+)?", unicodedata.normalize("NFKC", str(label)).strip()))


def _text_numbers(cells: pd.Series, markers: dict[str, str], unit: str | None) -> tuple[pd.Series, pd.Series,
                                                                                         pd.Series]:
    """:func:`numbers` of cells read as text."""
    t = text(cells)
    reason = t.map(markers)
    number_text = t.where(reason.isna())
    if unit:
        number_text = number_text.str.replace(rf"^([+-]?\d+(?:\.\d+)?)\s*{re.escape(unit)}$", r"\1", regex=True)
    parsed = pd.to_numeric(number_text, errors="coerce")
    problem = pd.Series(np.where(t.notna() & reason.isna() & parsed.isna(),
                                 np.where(is_true(t.str.match(EXCEL_ERROR)), "excel_error",
                                          "not_a_number"), None), index=cells.index, dtype=object)
    reason = reason.where(t.notna(), "blank").where(parsed.isna())
    return parsed.astype(float), reason, problem


_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"), "ymd"),
    (re.compile(r"^(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{4})年(\d{1,2})月$"), "ym"),
    (re.compile(r"^(\d{4})[.\-/](\d{1,2})$"), "ym"),
    (re.compile(r"^(\d{4})(\d{2})$"), "ym"),  # 201203
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
            # else 201203 or 20120305 typed as a number
            if not (serial.is_integer() and len(str(int(serial))) in (6, 8)):
                return failed
            s = str(int(serial))
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
    parsed = _per_distinct(cells, one)
    codes, kinds = pd.factorize(_types(parsed.to_numpy(dtype=object)))
    bad = pd.Series(np.array([t is str for t in kinds], dtype=bool)[codes] if len(codes) else np.zeros(0, bool),
                    index=parsed.index)
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


#: A helper's post read by rule where the codebook has no row for it, first match wins (docs/forms.md): pupils'
#: posts first (a 学生干部 is a pupil, not a cadre), then retired staff and parents, then school posts (…教师,
#: …老师, 任课, 科任, 校长, 辅导员, 宿管 …: teacher), then community cadres (村…, 党员, 干部, 政府 …), then the
#: remaining …主任 (after the cadres, so 村主任 and 妇联主任 are cadres), then volunteers.
POST_RULES: tuple[tuple[str, re.Pattern], ...] = tuple((code, re.compile(pattern)) for code, pattern in (
    ("peer", r"班长|班干部|班委|^学生$|学生干部|学生会|课代表|团支书|[大中小]队长|[大中小]队委|^小?组长$|同桌|同学"
             r"|^(?:学习|纪律|劳动|体育|文娱|宣传|生活|卫生|安全)委员$"),
    ("retired_teacher", r"^退休.*(?:教师|老师|教工|职工)$"),
    ("caring_mother", r"^(?:爱心|代理)(?:妈妈|爸爸|母亲|父亲|家长)"),
    ("other_parent", r"家长(?:志愿者|代表)?$"),
    ("teacher", r"教师|老师|任课|科任|班主任|校长|辅导员|教练|宿管|舍管|生活指导|教职工|教工|校医|年级组|教研|备课组"),
    ("community_cadre", r"村|党员|干部|政府|妇联|妇女|团委|社区|网格员|书记|人大|政协|乡镇|关工委"),
    ("teacher", r"主任|教导|教务|政教|德育"),
    ("volunteer", r"志愿者|义工|爱心人士|社工"),
))


def helper_roles(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A helper's role from a 帮扶人类型 or 职务 cell: the codebook's label, else :data:`POST_RULES`.

    Returns ``(codes, unmapped)`` as :func:`labels_to_codes`: ``unmapped`` holds the post no rule reads.

    >>> helper_roles(pd.Series(["语文教师", "数学老师", "班长", "家长志愿者", "门卫", None]))[0].tolist()
    ['teacher', 'teacher', 'peer', 'other_parent', nan, nan]
    """
    codes, unmapped = labels_to_codes(cells, "helper_role")
    posts = unmapped.dropna()
    if len(posts):
        distinct = pd.Series(posts.unique())
        ruled = pd.Series(np.nan, index=distinct.index, dtype=object)
        for code, pattern in POST_RULES:  # one vectorised pass per rule over the distinct posts
            ruled = ruled.where(ruled.notna() | ~distinct.str.contains(pattern), code)
        found = posts.map(dict(zip(distinct, ruled, strict=True)))
        codes = codes.where(codes.notna(), found.reindex(codes.index))
        unmapped = unmapped.where(codes.isna())
    return codes.astype(object), unmapped.astype(object)


def relation_codes(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Guardian relations, several guardians in one cell allowed (奶奶、姑姑).

    Each part maps through the codebook; the result joins codes with ';' in
    the order written (``grandmother;aunt_uncle``). One unmapped part sends
    the whole cell to ``unmapped``.
    """
    t = text(cells)

    def one(cell):  # each distinct cell once (see _per_distinct)
        if not isinstance(cell, str):
            return (np.nan, False)
        parts = pd.Series(re.split(r"\s*[、,，和/及]\s*", cell))
        codes, unmapped = labels_to_codes(parts, "relation")
        return (";".join(codes) if codes.notna().all() else np.nan, bool(unmapped.notna().any()))

    pairs = _per_distinct(t, one)
    joined = pairs.map(lambda p: p[0])
    bad = pairs.map(lambda p: p[1]).astype(bool)
    return joined.where(t.notna()).astype(object), t.where(bad).astype(object)


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
    shaped = is_true(t.str.fullmatch(r"\d{17}[\dX]"))
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


_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _number_word(word: str) -> int | None:
    """1-99 written in digits or Chinese numerals (三, 十二, 二十一)."""
    if word.isdigit():
        return int(word)
    if word in _CN_DIGITS:
        return _CN_DIGITS[word]
    m = re.fullmatch(r"([二三四五六七八九]?)十([一二三四五六七八九]?)", word)
    if m:
        return (_CN_DIGITS.get(m.group(1), 1)) * 10 + _CN_DIGITS.get(m.group(2), 0)
    return None


_NUM = r"\d{1,2}|[一二三四五六七八九十]{1,3}"
_GRADE = r"初[一二三123]|高[一二三123]|(?:[一二三四五六七八九]|[1-9])年级|[七八九]"
_CLASS_FORMS = [
    # 701, 0701, 1203: the grade, then the class in two digits
    re.compile(r"^0?(?P<g>\d{1,2})(?P<c>\d{2})班?$"),
    # 七年级2班, 七年级(1)班, 初一(1)班, 七(1), 高一3班, 7年级2班
    re.compile(rf"^(?P<g>{_GRADE})[\-.·_]?\(?(?P<c>{_NUM})\)?班?$"),
    # 7.2, 7-2 (a digit grade needs a separator)
    re.compile(r"^(?P<g>[1-9])[\-.·_](?P<c>\d{1,2})班?$"),
    # 三(2)班: a primary grade in words before a bracketed class
    re.compile(r"^(?P<g>[一二三四五六])\((?P<c>\d{1,2})\)班?$"),
    # 1班, (1)班, 01, 1, 一班: the class alone
    re.compile(rf"^\(?(?P<c>{_NUM})\)?班?$"),
]


def grade_word(word: str | None) -> int | None:
    """The grade (1-12) a grade word names: 七年级 7, 初一 7, 高一 10, 七 7, 7 7.

    >>> grade_word("初二"), grade_word("九年级"), grade_word("高三"), grade_word("3年级")
    (8, 9, 12, 3)
    """
    if not word:
        return None
    if word[0] == "初":
        n = _number_word(word[1:])
        return n + 6 if n and n <= 3 else None
    if word[0] == "高":
        n = _number_word(word[1:])
        return n + 9 if n and n <= 3 else None
    n = _number_word(word.removesuffix("年级"))
    return n if n and 1 <= n <= 12 else None


def parse_class(label) -> tuple[int | None, int | None]:
    """Grade and class number of one class label; the grade is None when
    the label gives the class alone ("1班", "(1)班", "01").

    >>> [parse_class(x) for x in ["七年级（1）班", "初一(2)班", "0701", "702", "高一3班", "七（1）", "1班", "01"]]
    [(7, 1), (7, 2), (7, 1), (7, 2), (10, 3), (7, 1), (None, 1), (None, 1)]
    """
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return None, None
    if isinstance(label, float) and label.is_integer():
        label = int(label)
    s = "".join(unicodedata.normalize("NFKC", str(label)).split())
    for pattern in _CLASS_FORMS:
        m = pattern.match(s)
        if not m:
            continue
        c = _number_word(m.group("c"))
        g = grade_word(m.group("g")) if "g" in m.groupdict() else None
        if not c or ("g" in m.groupdict() and g is None):
            continue
        return g, c
    return None, None


def class_labels(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Grade and class number from class names (see :func:`parse_class`);
    each distinct label is parsed once. Unparseable names give missing values.

    >>> g, c = class_labels(pd.Series(["七年级2班", "7.2", "初一2班", "1班", "实验班"]))
    >>> g.tolist(), c.tolist()
    ([7, 7, 7, <NA>, <NA>], [2, 2, 2, 1, <NA>])
    """
    def part(i):
        return lambda v: None if v is None else parse_class(str(v))[i]
    return _per_distinct(cells, part(0)).astype("Int64"), _per_distinct(cells, part(1)).astype("Int64")


_COHORT = re.compile(r"^(?P<stage>初|高|小)?中?(?P<y>(?:19|20)\d{2})级[\-.·_]?\(?(?P<c>\d{1,2})\)?班?$")
#: First grade of each stage, and how many grades it has.
_STAGES = {"初": (7, 3), "高": (10, 3), "小": (1, 6)}


def cohort_classes(cells: pd.Series, start_years: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Classes named by the year their pupils entered: 2024级1班, 初2024级(1)班,
    高2023级3班. The grade is the stage's first grade plus the school years
    since (a junior middle school unless 高 or 小 says otherwise); missing
    outside the stage's grades.

    >>> g, c = cohort_classes(pd.Series(["2024级1班", "初2023级(2)班", "高2024级3班", "2015级1班"]),
    ...                       pd.Series([2024, 2024, 2025, 2024]))
    >>> g.tolist(), c.tolist()
    ([7, 8, 11, <NA>], [1, 2, 3, <NA>])
    """
    t = text(cells)
    distinct = pd.Series(t.dropna().unique(), dtype=object)
    found = distinct.str.extract(_COHORT).set_axis(distinct.to_numpy())
    m = found.reindex(t.to_numpy()).set_axis(t.index) if len(found) else pd.DataFrame(
        {"stage": np.nan, "y": np.nan, "c": np.nan}, index=t.index)
    stage = m.stage.where(m.stage.notna(), "初")  # a junior middle school unless the label says otherwise
    first = stage.map({k: v[0] for k, v in _STAGES.items() if k})
    size = stage.map({k: v[1] for k, v in _STAGES.items() if k})
    grade = first + (start_years - pd.to_numeric(m.y, errors="coerce"))
    valid = (grade >= first) & (grade < first + size)
    return grade.where(valid).astype("Int64"), pd.to_numeric(m.c, errors="coerce").where(valid).astype("Int64")


_CLASS_IN_TEXT = re.compile(r"(?:\(|（)?(\d{1,2})(?:\)|）)?班")


def class_in_text(text: str | None) -> int | None:
    """The one class number a title or file name names ("七年级1班期末成绩",
    "...成绩表（2班）"), or None (none, or several).

    >>> class_in_text("七年级（2）班期末成绩表"), class_in_text("七年级成绩表（3班）"), class_in_text("1班、2班")
    (2, 3, None)
    >>> class_in_text("七年级1-6班期末成绩") is None
    True
    """
    if not text:
        return None
    text = unicodedata.normalize("NFKC", str(text))
    if re.search(r"\d\s*[-~—至、,]\s*\(?\d{1,2}\)?\s*班", text):  # 1-6班: a range of classes, not one
        return None
    found = {int(n) for n in _CLASS_IN_TEXT.findall(text)}
    found.discard(0)
    return found.pop() if len(found) == 1 else None


_GRADE_IN_TEXT = re.compile(r"初[一二三]|高[一二三]|(?:[一二三四五六七八九]|[1-9])年级")


def grade_in_text(text: str | None) -> int | None:
    """The one grade a title, sheet or file name names, or None (none, or several).

    >>> grade_in_text("2024-2025学年第一学期七年级期末考试成绩表"), grade_in_text("七年级、八年级")
    (7, None)
    """
    if not text:
        return None
    found = {grade_word(m) for m in _GRADE_IN_TEXT.findall(unicodedata.normalize("NFKC", str(text)))}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def grades(cells: pd.Series) -> pd.Series:
    """A 年级 column: 七年级, 初一, 高一, 7, 七 -> the grade (1-12), else missing."""
    t = text(cells)
    parsed = {k: grade_word(k) for k in t.dropna().unique()}
    return t.map(parsed).astype("Int64")


_DURATION = re.compile(r"^(?:约|已)?(?P<n>\d{1,2}(?:\.\d+)?|[一二两三四五六七八九十半]+)"
                       r"\s*(?:个)?(?P<unit>月|年)(?:多|以上|左右)?$")


def months_away(cells: pd.Series, term_end: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Continuous months away by the end of the term (capped at 12), from
    when a parent left (a date: 2019年3月, 2023.9) or for how long (3个月,
    半年, 2年, 多年). Returns ``(months, problem)``; ``problem`` is
    ``unparseable_date`` where a filled cell is neither.

    >>> months_away(pd.Series(["2024年9月", "3个月", "半年", "多年", "不详", "2024年", "2019.3"]),
    ...             pd.Series([pd.Timestamp("2025-01-31")] * 7))[0].tolist()
    [4.0, 3.0, 6.0, 12.0, nan, 12.0, 12.0]
    """
    t = text(cells)
    m = t.str.extract(_DURATION)
    number = pd.to_numeric(m.n, errors="coerce")
    words = m.n.map(lambda w: 0.5 if w == "半" else _number_word(w) if isinstance(w, str) else None)
    n = number.fillna(pd.to_numeric(words, errors="coerce"))
    duration = np.where(m.unit == "年", n * 12, n)
    duration = pd.Series(duration, index=cells.index, dtype=float)
    duration[t.isin(["多年", "常年", "长期", "多年以上"])] = 12
    year_only = t.str.extract(r"^((?:19|20)\d{2})年?$", expand=False)  # 2020年: counted from January
    as_date, _ = dates(t.where(year_only.isna(), year_only + "年1月").where(duration.isna()))
    ends = pd.to_datetime(term_end)
    since = (ends.dt.year - as_date.dt.year) * 12 + (ends.dt.month - as_date.dt.month)
    since = since.where(since >= 0)
    months = duration.fillna(since).clip(upper=12)
    problem = pd.Series(np.where(t.notna() & months.isna(), "unparseable_date", None), index=cells.index,
                        dtype=object)
    return months.astype(float), problem


_STATUS_IN_NAME = re.compile(r"[(（]\s*(转入|转出|休学|借读)\s*[)）]\s*$")


def split_status_from_names(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A status word typed into a name cell ('张三（转入）'): the name without
    it, and the status code (transferred_in, transferred_out, suspended, visiting)."""
    t = text(names)
    word = t.str.extract(_STATUS_IN_NAME, expand=False)
    codes, _ = labels_to_codes(word, "enrolment_status")
    return t.str.replace(_STATUS_IN_NAME, "", regex=True).str.strip(), codes
