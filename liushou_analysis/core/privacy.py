"""One masking function for personal data in the wrong place.

Names, phone numbers and ID numbers belong in their own columns, which
cleaning reads in memory and never writes. Typed into another column (an
ID number in 出生年月, a phone in 父亲务工地, a name and ID number in a header
cell), they would reach quarantine, the clean tables, the manifest, error
messages or a report. Everything that leaves the raw layer as text passes
through :func:`mask_text`, which recognises

- ID numbers (18 characters ending in a digit or X, or the old 15 digits)
  and 学籍号 (G + an ID number),
- mobile numbers (11 digits from 13 to 19) and landlines (0 + area code +
  7 or 8 digits),
- the names of this dataset's pupils, parents, guardians and helpers,
  wherever they appear in a run of Chinese characters,

and replaces each with a placeholder. It is vectorised: regular
expressions per column, and a set lookup of every 2- to 4-character piece
for names (a loop over positions in the text, never over rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

ID_NUMBER = r"(?<![0-9A-Za-z])G?(?:\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])"
PHONE = r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8})(?!\d)"
ID_MASK = "<证件号已隐去>"
PHONE_MASK = "<电话已隐去>"
NAME_MASK = "<姓名已隐去>"
_RUN = re.compile(r"[\u4e00-\u9fff·]{2,}")


def mask_text(values: pd.Series, names: Iterable[str] = ()) -> pd.Series:
    """``values`` as text with ID numbers, phone numbers and known names
    replaced by placeholders; missing stays missing.

    >>> mask_text(pd.Series(["430102200901011234", "电话13800001111", "张小明", "广东东莞"]), {"张小明"}).tolist()
    ['<证件号已隐去>', '电话<电话已隐去>', '<姓名已隐去>', '广东东莞']
    """
    if not values.notna().any():  # an empty free-text column: nothing to mask, and no name set to build
        return values.astype(object)
    distinct = values.dropna().unique()
    # a text column that repeats its texts: mask each text once (text only: 1 and 1.0 are one key, two texts)
    if len(distinct) < len(values) // 2 and pd.api.types.infer_dtype(distinct, skipna=True) == "string":
        masked = _mask_distinct(pd.Series(distinct, dtype=object), names)
        lookup = pd.Series(masked.to_numpy(dtype=object), index=pd.Index(distinct, dtype=object))
        out = pd.Series(lookup.reindex(values.astype(object)).to_numpy(dtype=object), index=values.index, dtype=object)
        return out.where(values.notna(), values)
    return _mask_distinct(values, names)


def _mask_distinct(values: pd.Series, names: Iterable[str]) -> pd.Series:
    """:func:`mask_text` on every value, one by one (the values not all missing)."""
    text = values.astype("string")
    out = text.str.replace(ID_NUMBER, ID_MASK, regex=True).str.replace(PHONE, PHONE_MASK, regex=True)
    known = {n.strip() for n in names if isinstance(n, str) and 2 <= len(n.strip()) <= 4}
    if known and out.notna().any():
        # every 2- to 4-character piece of each run of Chinese characters, looked up in the names
        runs = out.dropna().str.findall(_RUN).explode().dropna().str.slice(0, 60)
        longest = int(runs.str.len().max()) if len(runs) else 0
        parts = [runs.str.slice(o, o + k) for k in (2, 3, 4) for o in range(max(longest - k + 1, 0))]
        pieces = pd.concat(parts) if parts else pd.Series(dtype=object)
        hit = pieces[pieces.astype(object).isin(known)]  # an object isin hashes the names once, in C
        if len(hit):
            pattern = "|".join(re.escape(w) for w in sorted(set(hit), key=len, reverse=True))
            rows = hit.index.unique()
            out.loc[rows] = out.loc[rows].str.replace(pattern, NAME_MASK, regex=True)
    return out.astype(object).where(values.notna(), values)


def mask_one(value, names: Iterable[str] = ()) -> str:
    """:func:`mask_text` for a single piece of text (a header, a message)."""
    return str(mask_text(pd.Series([str(value)]), names).iloc[0])
