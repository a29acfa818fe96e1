"""Map header labels to canonical fields, and tell which table a sheet holds.

Labels map through the codebook's ``header`` domain (学号 -> ``student_no``,
考号 -> ``exam_no``, 学籍号 -> ``registry_no``; a sheet's pupil number is the
first of the three it has). Score columns combine a subject and a leaf: 语文, 语文分数,
语文班名 give ``score:chinese`` and ``class_rank:chinese``; the total is
``score:total`` whether headed 总分, 总分分数 or 总成绩. A label the codebook
does not know maps to nothing and is reported as an unknown column.
"""

from __future__ import annotations

from functools import lru_cache

from liushou_analysis.core import codebook
from liushou_analysis.readers.rawread import normalise_label

#: Header codes that name the total's columns in one-row score headers.
_TOTAL_ALIASES = {"total_score": "score:total", "class_rank": "class_rank:total", "school_rank": "school_rank:total"}


def _lookups():
    return _lookups_for(codebook.generation())


@lru_cache(maxsize=4)
def _lookups_for(generation: int):
    cb = codebook.load_codebook()
    headers = {normalise_label(lab): code for lab, code in zip(cb.label[cb.domain == "header"],
                                                               cb.code[cb.domain == "header"], strict=True)}
    subjects = {normalise_label(lab): code for lab, code in zip(cb.label[cb.domain == "subject"],
                                                                cb.code[cb.domain == "subject"], strict=True)}
    for lab, code in headers.items():  # 总分, 总分分数, 总成绩 all head the total
        if code == "total_score":
            subjects[lab] = "total"
    leaves = {normalise_label(lab): code for lab, code in zip(cb.label[cb.domain == "header_leaf"],
                                                              cb.code[cb.domain == "header_leaf"], strict=True)
              if code in ("score", "class_rank", "school_rank")}
    return headers, subjects, leaves


def field_of(label: str) -> str | None:
    """The canonical field of a header label, or None when unknown.

    >>> field_of("考号"), field_of("数学班名"), field_of("总成绩"), field_of("班排")
    ('exam_no', 'class_rank:math', 'score:total', 'class_rank:total')
    """
    headers, subjects, leaves = _lookups()
    label = normalise_label(label)
    if label in subjects and label not in headers:
        return f"score:{subjects[label]}"
    if label in headers:
        code = headers[label]
        return _TOTAL_ALIASES.get(code, code)
    for subject_label in sorted(subjects, key=len, reverse=True):
        rest = label[len(subject_label):]
        if label.startswith(subject_label) and rest in leaves:
            return f"{leaves[rest]}:{subjects[subject_label]}"
    return None
