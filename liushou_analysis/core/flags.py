"""The one boolean coercion: which values count as true.

Clean tables hold yes/no answers as pandas' nullable booleans, where a
missing answer is neither yes nor no. Where a selection needs a plain
True/False (the pupils left behind, the rows a pattern matches), a missing
value does not select: :func:`is_true`.
"""

from __future__ import annotations


def is_true(values):
    """True where the value is true; False where it is false or missing.

    >>> import pandas as pd
    >>> is_true(pd.Series([True, False, None], dtype="boolean")).tolist()
    [True, False, False]
    >>> is_true(pd.Series(["701", None, "x"]).str.fullmatch(r"\\d+")).tolist()
    [True, False, False]
    """
    return values.astype("boolean").fillna(False).astype(bool)
