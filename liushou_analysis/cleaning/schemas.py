"""Schemas of the clean tables: columns, types and checks, validated with pandera.

Each table is written with exactly these columns in this order (strict:
nothing else, so no personal field can slip through), rows sorted by the
table's key so reruns give identical files.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from liushou_analysis.core import codebook
from liushou_analysis.core.terms import class_ids

_KEY = pa.Check.str_matches(r"^[PTHG][0-9a-f]{16}$")
_TERM = pa.Check.str_matches(r"^\d{4}-\d{4}-[12]$")
_COUNT = pa.Check.in_range(0, 100)
#: Text columns are pandas' text type (``str``, or ``object`` before pandas 3), never numbers.
_TEXT = pa.Check(lambda s: isinstance(s.dtype, pd.StringDtype) or pd.api.types.is_object_dtype(s.dtype)
                 and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"), name="text")


def _codes(domain: str, extra: tuple[str, ...] = ()) -> pa.Check:
    """The column holds codes of a codebook domain (the check remembers which, for the export's labels; a
    builtin check's own name must stay its builtin name, which older pandera dispatches on)."""
    check = pa.Check.isin(codebook.codes(domain) + list(extra))
    check.codebook_domain = domain
    return check


def _col(dtype, nullable=True, *checks):
    return (dtype, nullable, list(checks))


def _spec() -> dict[str, dict[str, tuple]]:
    counts = {c: _col("Int64", True, _COUNT) for c in
              ["calls_to_parents", "letters_to_parents", "parent_visits", "head_teacher_talks", "subject_teacher_talks",
               "helper_home_visits", "helper_calls_to_parents", "helper_letters_to_parents"]}
    parent = {}
    for who in ("father", "mother"):
        parent[f"{who}_listed"] = _col("boolean", False)
        parent[f"{who}_away"] = _col("boolean")
        parent[f"{who}_months_away"] = _col("Int64", True, pa.Check.in_range(0, 12))
        parent[f"{who}_work_province"] = _col("str")
    return {
        "pupils": {
            "pupil_key": _col("str", False, _KEY), "school": _col("str", False),
            "gender": _col("str", True, _codes("gender")), "birth_month": _col("str", True,
                                                                              pa.Check.str_matches(r"^\d{4}-\d{2}$")),
            "id_number_check": _col("str", True, pa.Check.isin(
                ["valid", "missing", "malformed", "bad_check_digit", "bad_birth_date", "birth_date_mismatch",
                 "gender_mismatch"])),
            "in_roster": _col("boolean", False), "first_term": _col("str", False, _TERM),
            "last_term": _col("str", False, _TERM)},
        "enrolment": {
            "pupil_key": _col("str", False, _KEY), "school": _col("str", False), "term": _col("str", False, _TERM),
            "grade": _col("Int64", False, pa.Check.in_range(1, 12)), "class_no": _col("Int64", False),
            "class_id": _col("str", False), "enrolment_status": _col("str", False, _codes("enrolment_status")),
            "status_in_name": _col("str", True, _codes("enrolment_status"))},
        "classes": {
            "class_id": _col("str", False), "school": _col("str", False), "term": _col("str", False, _TERM),
            "grade": _col("Int64", False), "class_no": _col("Int64", False),
            "head_teacher_key": _col("str", True, _KEY), "class_size": _col("Int64", True)},
        "exams": {
            "pupil_key": _col("str", False, _KEY), "school": _col("str", False), "term": _col("str", False, _TERM),
            "grade": _col("Int64", False), "class_no": _col("Int64", False), "class_id": _col("str", False),
            "subject": _col("str", False, _codes("subject")),
            "score": _col("float64", True, pa.Check.ge(0)),
            "absence_reason": _col("str", True, _codes("absence", ("blank",))),
            "class_rank_reported": _col("float64", True, pa.Check.ge(1)),
            "school_rank_reported": _col("float64", True, pa.Check.ge(1))},
        "households": {
            "pupil_key": _col("str", False, _KEY), "school": _col("str", False), "term": _col("str", False, _TERM),
            "family_type": _col("str", True, _codes("family_type")), **parent,
            "parent_unable_to_guard": _col("boolean"), "boarding": _col("boolean"), "guardian_relation": _col("str"),
            "guardian_age": _col("Int64", True, pa.Check.in_range(10, 110)),
            "guardian_health": _col("str", True, _codes("health")),
            "guardian_education": _col("str", True, _codes("education")),
            "care_type": _col("str", True, _codes("care_type"))},
        "archive": {
            "pupil_key": _col("str", False, _KEY), "school": _col("str", False), "term": _col("str", False, _TERM),
            **{c: _col("boolean", False) for c in ["has_basic_info", "has_personality", "has_interests",
                                                   "has_health", "has_contacts"]}},
        "pairings": {
            "pupil_key": _col("str", False, _KEY), "helper_key": _col("str", False, _KEY),
            "helper_role": _col("str", True, _codes("helper_role")), "helper_post": _col("str", True),
            "school": _col("str", False), "term": _col("str", False, _TERM), "pairing_month": _col("str", True)},
        "contacts": {
            "pupil_key": _col("str", False, _KEY), "school": _col("str", False), "term": _col("str", False, _TERM),
            "month": _col("str", False, pa.Check.str_matches(r"^\d{4}-\d{2}$")), **counts},
        "conduct": {
            "pupil_key": _col("str", False, _KEY), "school": _col("str", False), "term": _col("str", False, _TERM),
            "three_good": _col("boolean"), "serious_violation": _col("boolean")},
    }


SORT = {"pupils": ["pupil_key"], "enrolment": ["term", "pupil_key"], "classes": ["term", "class_id"],
        "exams": ["term", "pupil_key", "subject"], "households": ["term", "pupil_key"],
        "archive": ["term", "pupil_key"], "pairings": ["term", "pupil_key", "helper_key"],
        "contacts": ["term", "pupil_key", "month"], "conduct": ["term", "pupil_key"]}


def tables() -> list[str]:
    """Every clean table, in the order the store writes them."""
    return list(_spec())


def column_types(name: str) -> dict[str, str]:
    """Each column of a clean table and its pandas type (``str`` for text)."""
    return {c: dtype for c, (dtype, _, _) in _spec()[name].items()}


def coded_columns(name: str) -> dict[str, str]:
    """The columns of a clean table that hold codebook codes, and the codebook domain of each."""
    return {c: check.codebook_domain for c, (_, _, checks) in _spec()[name].items()
            for check in checks if getattr(check, "codebook_domain", None)}


def columns(name: str) -> list[str]:
    """The clean table's columns, in the order it is written."""
    return list(_spec()[name])


def finish(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """The table's columns in order with their types, rows sorted by its key."""
    spec = _spec()[name]
    if frame is None:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in spec})
    frame = frame.copy()
    if name in ("enrolment", "classes", "exams"):
        frame["class_id"] = class_ids(frame)
    if name == "pairings" and "pairing_date" in frame:
        frame["pairing_month"] = pd.to_datetime(frame.pairing_date).dt.strftime("%Y-%m")
    out = pd.DataFrame({c: frame[c].astype(dtype) if dtype != "str" else frame[c].astype("str")
                        for c, (dtype, _, _) in spec.items()})
    for c, (dtype, _, _) in spec.items():
        if dtype == "str":  # missing stays missing, not the text 'nan'
            out[c] = out[c].where(frame[c].notna().to_numpy())
    return out.sort_values(SORT[name], kind="stable").reset_index(drop=True)


def validate(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check a finished table against its schema (raises if it does not fit): every column's type (a
    whole-number column stored as decimals fails), whether it may be missing, and its checks."""
    spec = _spec()[name]
    schema = pa.DataFrameSchema(
        {c: pa.Column(None if dtype == "str" else dtype, checks=[*checks, _TEXT] if dtype == "str" else checks,
                      nullable=nullable) for c, (dtype, nullable, checks) in spec.items()},
        strict=True, ordered=True, unique=["term"] + [k for k in SORT[name] if k != "term"]
        if "term" in SORT[name] else SORT[name])
    return schema.validate(frame, lazy=True)


def data_dictionary() -> str:
    """docs/data-dictionary.md: every clean table and column with its type, whether it may be missing, its
    allowed values or check, and its Chinese label (:func:`codebook.column_label`) (``python
    tools/make_data_dictionary.py`` writes it; tests/test_packaging.py checks it is current)."""
    lines = ["# Data dictionary: the clean tables", "",
             "Generated from the schemas (`liushou_analysis/cleaning/schemas.py`) and the codebook "
             f"(version {codebook.codebook_version()}) by `python tools/make_data_dictionary.py`; do not edit by hand.",
             "Keys (`*_key`) are pseudonyms; no name, phone, ID number or address is a column of any table.", ""]
    for table, cols in _spec().items():
        lines += [f"## `{table}`", "", f"Sorted by {', '.join(f'`{c}`' for c in SORT.get(table, []))}.", "",
                  "| column | type | may be missing | allowed values or check | Chinese label |",
                  "|---|---|---|---|---|"]
        for col, (dtype, nullable, checks) in cols.items():
            rules = []
            for check in checks:
                stats = check.statistics or {}
                if "allowed_values" in stats:
                    rules.append(", ".join(f"`{v}`" for v in stats["allowed_values"]))
                else:
                    rules.append(f"{check.name} " + ", ".join(f"{k}={v}" for k, v in stats.items()))
            label = codebook.column_label(col)
            label = "" if label == col else label
            lines.append(f"| `{col}` | {dtype} | {'yes' if nullable else 'no'} | {'; '.join(rules)} | {label} |")
        lines.append("")
    return "\n".join(lines)
