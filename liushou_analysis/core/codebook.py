"""The codebook: Chinese labels, their variants, canonical codes, English glosses.

The codebook is data (``liushou_analysis/data/codebook.csv``), one row per
Chinese label. Cleaning maps labels to codes through it, the generator draws
label variants from it, and notebooks and plots take their labels from it.
A maintainer who meets a new spelling in a school's export adds a row; a
user adds rows for one dataset without editing the package, in the
dataset's ``liushou.toml`` (see :mod:`.cleaning.settings`), which cleaning
applies with :func:`extended`.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from importlib import resources

import pandas as pd

CODEBOOK_FILE = "codebook.csv"
#: Helper roles held by pupils, or possibly by pupils: a classmate (peer) and
#: a neighbour, whom the documents list beside class cadres and strong
#: pupils. The reward scheme does not pay them by default, and cleaning never
#: takes one of them for an adult helper of the same name.
PUPIL_HELPER_ROLES = ("peer", "neighbour")
#: A helper's role where no codebook row or post rule reads the post: listed, never paid.
UNKNOWN_ROLE = "unknown"


@lru_cache(maxsize=1)
def _read() -> tuple[pd.DataFrame, str]:
    text = resources.files("liushou_analysis").joinpath("data", CODEBOOK_FILE).read_text(encoding="utf-8")
    version = "unknown"
    for line in text.splitlines():
        if line.startswith("# codebook_version:"):
            version = line.split(":", 1)[1].strip()
            break
    from io import StringIO
    frame = pd.read_csv(StringIO(text), comment="#", dtype=str, keep_default_na=False)
    frame["read_only"] = frame.preferred == "r"  # a spelling read, never written by the generator (see labels)
    frame["preferred"] = frame.preferred == "1"
    return frame, version


#: Rows a dataset adds for the duration of :func:`extended`, and a counter that
#: changes whenever they do (caches of derived lookups key on it).
_extra = pd.DataFrame(columns=["domain", "code", "label", "preferred", "gloss_en"])
_generation = 0


def generation() -> int:
    """A number that changes whenever the dataset's extra rows change."""
    return _generation


@contextmanager
def extended(rows: pd.DataFrame):
    """Add a dataset's rows (``domain, code, label``) to the codebook while
    the block runs; a label the package already knows keeps its meaning
    unless the dataset gives it another code in the same domain."""
    global _extra, _generation
    before = _extra
    rows = rows.assign(preferred=False, gloss_en=rows.get("gloss_en", "added by the dataset's liushou.toml"))
    _extra = pd.concat([before, rows[list(before.columns)]], ignore_index=True)
    _generation += 1
    try:
        yield
    finally:
        _extra = before
        _generation += 1


def load_codebook() -> pd.DataFrame:
    """The whole codebook: columns ``domain, code, label, preferred, gloss_en``.

    Examples
    --------
    >>> cb = load_codebook()
    >>> cb[(cb.domain == "relation") & (cb.label == "外婆")].code.item()
    'grandmother'
    """
    base = _read()[0].drop(columns="read_only")
    if _extra.empty:
        return base.copy()
    # a dataset's row replaces the package's row for the same label in the same domain
    extra = _extra.astype({"preferred": bool})
    keep = ~base.set_index(["domain", "label"]).index.isin(extra.set_index(["domain", "label"]).index)
    return pd.concat([base[keep], extra], ignore_index=True)


def codebook_version() -> str:
    """Version string from the codebook's first line."""
    return _read()[1]


@lru_cache(maxsize=2)
def _labels_by_code(written: bool = False) -> dict[tuple[str, str], tuple[str, ...]]:
    cb = _read()[0].sort_values("preferred", ascending=False, kind="stable")
    if written:
        cb = cb[~cb.read_only]
    return {key: tuple(group.label) for key, group in cb.groupby(["domain", "code"], sort=False)}


def labels(domain: str, code: str, written: bool = False) -> list[str]:
    """Every label of a code, the preferred one first. ``written``: only the spellings the synthetic-county
    generator writes, leaving out those marked ``r`` in the codebook's preferred column (spellings met in real
    files after the bundled sample was made; read like any other, but adding them must not change the sample)."""
    try:
        return list(_labels_by_code(written)[(domain, code)])
    except KeyError:
        raise KeyError(f"the codebook has no {domain!r} code {code!r}") from None


def preferred_label(domain: str, code: str) -> str:
    """The label the project writes for a code."""
    return labels(domain, code)[0]


def column_label(column: str) -> str:
    """The Chinese label of a clean column: the preferred header label schools use for it, else the label the
    codebook gives a column the project makes (domain ``clean_column``), else the column's own name."""
    by_code = _labels_by_code()
    found = by_code.get(("header", column)) or by_code.get(("clean_column", column))
    return found[0] if found else column


def codes(domain: str) -> list[str]:
    """The canonical codes of a domain, in codebook order."""
    cb = _read()[0]
    return list(dict.fromkeys(cb.loc[cb.domain == domain, "code"]))
