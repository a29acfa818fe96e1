"""What the cleaning did in one term, for the data-quality notebook (00).

Everything here takes the clean store's manifest, ``quarantine`` and the
clean tables that ``liushou clean`` wrote (as DataFrames); nothing reads the
raw layer, so no personal data can reach a report through it.
"""

from __future__ import annotations

import pandas as pd

from liushou_analysis.indicators.care import survey_term

#: Fields whose missingness the notebook shows per school: (table, column, what it is).
KEY_FIELDS = [
    ("households", "father_away", "父亲是否外出 father away"),
    ("households", "mother_away", "母亲是否外出 mother away"),
    ("households", "guardian_relation", "监护人 guardian"),
    ("households", "guardian_age", "监护人年龄 guardian age"),
    ("exams", "score", "成绩 exam score"),
    ("enrolment", "class_id", "班级 class"),
]
#: The clean tables :func:`missingness_by_school` reads.
KEY_TABLES = sorted({table for table, _, _ in KEY_FIELDS})


def _term_files(manifest: dict, term: str) -> list[dict]:
    return [f for f in manifest["files"] if file_term(f) == term]


def file_term(entry: dict) -> str:
    """The term of a manifest file entry (its term folder may be named 2024秋 and the like)."""
    return entry.get("term") or entry["file"].split("/", 1)[0]


def kept_and_quarantined(manifest: dict, term: str) -> pd.DataFrame:
    """Rows read, kept and quarantined per table in ``term`` (exams count
    pupil-subject cells); ``read == kept + quarantined`` holds on every row."""
    rows = [{"table": table, **counts} for f in _term_files(manifest, term) for table, counts in f["tables"].items()]
    if not rows:
        return pd.DataFrame(columns=["table", "rows_read", "rows_kept", "rows_quarantined", "files"])
    d = pd.DataFrame(rows)
    out = d.groupby("table").agg(rows_read=("rows_read", "sum"), rows_kept=("rows_kept", "sum"),
                                 rows_quarantined=("rows_quarantined", "sum"), files=("table", "size"))
    return out.reset_index()


def quarantine_reasons(q: pd.DataFrame, manifest: dict, term: str) -> pd.DataFrame:
    """Quarantined rows (``q``, the store's quarantine table) of ``term`` by
    table and reason (no values: they may be personal)."""
    terms = {f["file"]: file_term(f) for f in manifest["files"]}
    q = q[q.file.map(terms).fillna(q.file.str.split("/", n=1).str[0]) == term]
    return q.groupby(["table", "reason"]).size().rename("rows").reset_index()


def field_issues(issues: pd.DataFrame | None, manifest: dict, term: str) -> pd.DataFrame:
    """Fields set to unknown in rows that were kept, per table, column and
    reason (an unknown label, a number out of range ...): the row stays and
    the field counts as missing in :func:`missingness_by_school`."""
    cols = ["table", "column", "reason", "fields"]
    if issues is None:
        return pd.DataFrame(columns=cols)
    terms = {f["file"]: file_term(f) for f in manifest["files"]}
    issues = issues[issues.file.map(terms) == term]
    return issues.groupby(["table", "column", "reason"]).size().rename("fields").reset_index()[cols]


def files_not_used(manifest: dict, term: str) -> pd.DataFrame:
    """Files of ``term`` that were not used, and files skipped as folder litter, with the reason."""
    rows = [{"file": f["file"], "reason": f["reason"]} for f in manifest.get("files_not_used", [])
            + manifest.get("files_skipped", []) if file_term(f) == term]
    return pd.DataFrame(rows, columns=["file", "reason"])


def schools_of_files(manifest: dict, term: str) -> pd.DataFrame:
    """How each file's school was found this term: files per school and source."""
    rows = [{"school": f.get("school") or "(学校列 school column)", "resolved_from": f.get("school_from", "")}
            for f in _term_files(manifest, term)]
    frame = pd.DataFrame(rows, columns=["school", "resolved_from"])
    return frame.groupby(["school", "resolved_from"]).size().rename("files").reset_index()


def unknown_columns(manifest: dict, term: str) -> pd.DataFrame:
    """Columns the codebook does not know, per file of ``term`` (they were not read)."""
    rows = [{"file": f["file"], "column": c} for f in _term_files(manifest, term) for c in f["unknown_columns"]]
    return pd.DataFrame(rows, columns=["file", "column"])


def missingness_by_school(tables: dict[str, pd.DataFrame], term: str) -> pd.DataFrame:
    """Percent of rows with each key field missing, per school (households
    from the latest survey at or before the term, :func:`care.survey_term`).
    ``tables``: the clean tables :data:`KEY_TABLES` names."""
    surveyed = survey_term(term, tables["households"].term)
    rows = []
    for table, column, what in KEY_FIELDS:
        d = tables[table]
        d = d[d.term == (surveyed if table == "households" else term)]
        if table == "exams":
            d = d[d.absence_reason.isna()]  # an absent pupil's blank score is not missing data
        pct = d[column].isna().groupby(d.school).mean() * 100
        rows.append(pct.rename(what))
    return pd.concat(rows, axis=1).rename_axis("school").reset_index()


def previous_term(manifest: dict, term: str) -> str | None:
    """The term before ``term`` in the dataset (None for its first)."""
    earlier = [t for t in manifest["terms"] if t < term]
    return earlier[-1] if earlier else None


def changes_since(enrolment: pd.DataFrame, pairings: pd.DataFrame, manifest: dict, term: str) -> pd.DataFrame:
    """Counts this term beside the previous term's, per measure: files,
    rows kept and quarantined, pupils enrolled (per school), pairings."""
    prev = previous_term(manifest, term)
    t = {"enrolment": enrolment, "pairings": pairings}

    def measures(term_id: str | None) -> pd.Series:
        if term_id is None:
            return pd.Series(dtype=float)
        k = kept_and_quarantined(manifest, term_id)
        enrolled = t["enrolment"][t["enrolment"].term == term_id]
        out = {"files": len(_term_files(manifest, term_id)), "rows kept": k.rows_kept.sum(),
               "rows quarantined": k.rows_quarantined.sum(), "pupils enrolled": enrolled.pupil_key.nunique(),
               "pupils paired": t["pairings"][t["pairings"].term == term_id].pupil_key.nunique()}
        out.update({f"pupils enrolled: {s}": n for s, n in enrolled.groupby("school").pupil_key.nunique().items()})
        return pd.Series(out, dtype=float)

    now, before = measures(term), measures(prev)
    out = pd.DataFrame({"measure": now.index, "previous": before.reindex(now.index).to_numpy(),
                        "this_term": now.to_numpy()})
    out["change"] = out.this_term - out.previous
    return out
