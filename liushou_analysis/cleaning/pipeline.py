"""``liushou clean``: every term of a raw dataset into validated tidy tables.

Steps: read each file (:mod:`..rawread`), map its header to fields
(:mod:`.fields`), clean each sheet (:mod:`.tables`), turn school numbers and
helper identities into pseudonymous keys (:mod:`.pseudonym`), resolve
duplicates, validate every table (:mod:`.schemas`) and write it as Parquet,
with ``quarantine.parquet`` and ``manifest.json`` beside them.

Accounting: for every file and table, rows read = rows kept + rows
quarantined (exams count pupil-subject cells). The pipeline checks this
before writing anything.

Duplicate rule (each decision is a quarantine row with reason
``duplicate_pupil`` naming the row kept): when one pupil appears twice in a
table for the same term (and subject, month or helper), the row with the
most filled-in fields is kept, ties going to the first by file, sheet and
row; an exact copy of a row in the same sheet is ``duplicate_row``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__, codebook
from ..errors import UserError
from ..rawread import read_raw_file
from ..terms import dataset_terms
from . import schemas, values as V
from .fields import field_of, table_of
from .pseudonym import is_synthetic, load_key, pseudonyms
from .tables import CLEANERS, SheetJob, clean_scores

TABLES = ["pupils", "enrolment", "classes", "exams", "households", "archive", "pairings", "contacts", "conduct"]
#: Raw table kind -> clean table name.
CLEAN_NAME = {"roster": "enrolment", "household": "households", "scores": "exams", "archive": "archive",
              "pairings": "pairings", "contacts": "contacts", "conduct": "conduct", "classes": "classes"}
#: What identifies one row of each clean table (beyond the term).
ROW_KEY = {"enrolment": ["pupil_key"], "households": ["pupil_key"], "exams": ["pupil_key", "subject"],
           "archive": ["pupil_key"], "pairings": ["pupil_key", "helper_key"], "contacts": ["pupil_key", "month"],
           "conduct": ["pupil_key"], "classes": ["school", "grade", "class_no"]}
PROVENANCE = ["_file", "_sheet", "_row"]


def _school_name(file: str, job_cells: pd.DataFrame | None = None) -> str:
    """A file's school: the part of its name before the first '_'."""
    stem = Path(file).stem
    return stem.split("_", 1)[0] if "_" in stem else stem


def _columns(sheet, rel: str) -> tuple[dict[str, int], list[str]]:
    """Field -> column position, and the labels the codebook does not know."""
    columns: dict[str, int] = {}
    unknown = []
    for pos, label in enumerate(sheet.labels):
        name = field_of(label) if label else None
        if name is None:
            if label:
                unknown.append(label)
            continue
        if name in columns:
            first = sheet.labels[columns[name]]
            same = V.text(sheet.cells[columns[name]]).equals(V.text(sheet.cells[pos]))
            if not same:
                where = f", sheet '{sheet.sheet}'" if sheet.sheet else ""
                raise UserError(f"{rel}{where}: the columns '{first}' and '{label}' both mean {name} but hold "
                                "different values; delete or rename one of them.")
            continue
        columns[name] = pos
    return columns, unknown


def clean_dataset(raw_dir: Path, out_dir: Path, progress=None) -> dict:
    """Clean a raw dataset folder into ``out_dir``; return the manifest."""
    say = progress or (lambda msg: None)
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    terms = dataset_terms(raw_dir)
    key, key_source = load_key(raw_dir)
    sheets_by_kind: dict[str, list] = defaultdict(list)
    quarantine: list[pd.DataFrame] = []
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (file, table) -> read, quarantined
    manifest_files = []
    for term in terms:
        paths = sorted(p for p in (raw_dir / str(term)).iterdir()
                       if p.is_file() and not p.name.startswith((".", "~$")))
        say(f"reading {len(paths)} files of term {term}")
        for path in paths:
            raw = read_raw_file(path, raw_dir)
            entry = {"file": raw.file, "sha256": raw.sha256, "format": raw.format, "encoding": raw.encoding,
                     "sheets": [s.sheet for s in raw.sheets], "sheets_without_a_table": raw.skipped_sheets,
                     "empty_rows_dropped": sum(s.empty_rows for s in raw.sheets), "unknown_columns": []}
            for sheet in raw.sheets:
                columns, unknown = _columns(sheet, raw.file)
                entry["unknown_columns"] += [u for u in unknown if u not in entry["unknown_columns"]]
                kind = table_of(set(columns))
                if kind is None:
                    where = f", sheet '{sheet.sheet}'" if sheet.sheet else ""
                    raise UserError(f"{raw.file}{where}: cannot tell which table this is from its columns "
                                    f"({', '.join(sheet.labels[:8])}); check the header or add its labels to the "
                                    "codebook.")
                sheets_by_kind[kind].append((sheet, columns, _school_name(raw.file), term))
                counts[(raw.file, CLEAN_NAME[kind])]  # a file with no data rows still has its table entry
            manifest_files.append(entry)

    say("cleaning")
    parts: dict[str, pd.DataFrame] = {}
    for kind in sorted(sheets_by_kind):
        table = CLEAN_NAME[kind]
        job = SheetJob.stack(table, sheets_by_kind[kind])
        if kind == "scores":
            rows, checks, read, quarantined = clean_scores(job)
        else:
            rows, checks = CLEANERS[kind](job)
            read, quarantined = job.cells._file.value_counts(), checks.per_file()
        parts[table] = rows
        quarantine.append(checks.frame())
        for file, n in read.items():
            counts[(file, table)][0] += int(n)
        for file, n in quarantined.items():
            counts[(file, table)][1] += int(n)

    say("pseudonymising identifiers")
    tables = dict(parts)
    _key_identifiers(tables, key)
    say("resolving duplicates")
    for name, frame in list(tables.items()):
        kept, dups = _resolve_duplicates(frame, name)
        tables[name] = kept
        if len(dups):
            quarantine.append(dups)
            for file, n in dups.groupby("file").size().items():
                counts[(file, name)][1] += int(n)
    tables["pupils"] = _pupils(tables)
    nonempty = [x for x in quarantine if len(x)]
    q = pd.concat(nonempty, ignore_index=True) if nonempty else pd.DataFrame()
    q = _finish_quarantine(q)
    accounting = _account(tables, counts)
    for entry in manifest_files:
        entry["tables"] = {t: v for (f, t), v in accounting.items() if f == entry["file"]}
    say("validating and writing tables")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in TABLES:
        frame = schemas.finish(name, tables.get(name))
        schemas.validate(name, frame)
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
        written[name] = len(frame)
    q.to_parquet(out_dir / "quarantine.parquet", index=False)
    manifest = {
        "package_version": __version__,
        "codebook_version": codebook.codebook_version(),
        "dataset": raw_dir.name,
        "synthetic": is_synthetic(raw_dir),
        "pseudonym_key": key_source,
        "terms": [str(t) for t in terms],
        "tables": {name: {"rows": written[name]} for name in TABLES},
        "quarantine": {"rows": int(len(q)), "by_reason": q.reason.value_counts().sort_index().to_dict()
                       if len(q) else {}},
        "totals": _totals(accounting),
        "files": manifest_files,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
    return manifest


def _key_identifiers(tables: dict[str, pd.DataFrame], key: bytes) -> None:
    """Replace school numbers and helper identities by pseudonymous keys.

    Leading zeros lost by numeric cells are restored first, per school, from
    the usual length of the numbers stored as text (see
    :func:`..values.restore_leading_zeros`).
    """
    frames = [(name, f) for name, f in tables.items() if "student_no" in f and len(f)]
    for name, f in tables.items():
        if "student_no" in f and f.empty:
            tables[name] = f.drop(columns=["student_no", "student_no_was_number"]).assign(pupil_key=pd.Series(
                dtype=object))
    if frames:
        stacked = pd.concat([f[["school", "student_no", "student_no_was_number"]].assign(_t=name)
                             for name, f in frames], ignore_index=False, keys=[n for n, _ in frames])
        restored, _ = V.restore_leading_zeros(stacked.student_no, stacked.student_no_was_number, stacked.school)
        for name, frame in frames:
            ids = restored.loc[name].reindex(frame.index)
            frame["pupil_key"] = pseudonyms(frame.school + "|" + ids, key, "P")
            tables[name] = frame.drop(columns=["student_no", "student_no_was_number"])
    if "pairings" in tables:
        p = tables["pairings"]
        kind = p.helper_source.str.split(":", n=1).str[0]
        ident = p.helper_source.str.split(":", n=1).str[1]
        source = p.school + "|" + ident
        keyed = pd.Series(pd.NA, index=p.index, dtype=object)
        for k, pre in (("staff", "T"), ("pupil", "P"), ("person", "H"), ("group", "G")):
            m = kind == k
            keyed[m] = pseudonyms(source[m], key, pre)
        p["helper_key"] = keyed
        tables["pairings"] = p.drop(columns="helper_source")
    if "classes" in tables:
        c = tables["classes"]
        kind = c.head_teacher_source.str.split(":", n=1).str[0]
        source = c.school + "|" + c.head_teacher_source.str.split(":", n=1).str[1]
        c["head_teacher_key"] = np.where(kind == "staff", pseudonyms(source.where(kind == "staff"), key, "T"),
                                         pseudonyms(source.where(kind == "person"), key, "H"))
        c.loc[c.head_teacher_source == "", "head_teacher_key"] = pd.NA
        tables["classes"] = c.drop(columns="head_teacher_source")


def _resolve_duplicates(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one row per pupil and term (see the module's duplicate rule)."""
    key = ["term"] + ROW_KEY[name]
    filled = frame.drop(columns=PROVENANCE).notna().sum(axis=1)
    order = frame.assign(_filled=-filled).sort_values(key + ["_filled"] + PROVENANCE, kind="stable")
    dup = order.duplicated(key, keep="first")
    kept = order[~dup].drop(columns="_filled").sort_index()
    if not dup.any():
        return kept, pd.DataFrame()
    first = order[~dup].set_index(key)
    losers = order[dup]
    winner = first.loc[pd.MultiIndex.from_frame(losers[key]) if len(key) > 1 else losers[key[0]]]
    q = pd.DataFrame({
        "table": name, "file": losers._file.to_numpy(), "sheet": losers._sheet.to_numpy(),
        "row": losers._row.to_numpy(), "column": "", "reason": "duplicate_pupil",
        "value": ("kept " + winner._file.astype(str) + " row " + winner._row.astype(str)).to_numpy(),
    })
    return kept, q


def _pupils(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per pupil: attributes from the latest roster, terms seen anywhere."""
    seen = pd.concat([t[["pupil_key", "school", "term"]] for n, t in tables.items() if "pupil_key" in t],
                     ignore_index=True)
    span = seen.groupby("pupil_key").agg(school=("school", "last"), first_term=("term", "min"),
                                         last_term=("term", "max"))
    roster = tables.get("enrolment")
    if roster is not None and len(roster):
        latest = roster.sort_values(["term", "_file", "_row"]).groupby("pupil_key").last()
        span = span.join(latest[["gender", "birth_date", "id_number_check"]])
        span["in_roster"] = span.index.isin(roster.pupil_key)
    else:
        span["gender"], span["birth_date"], span["id_number_check"], span["in_roster"] = pd.NA, pd.NaT, pd.NA, False
    span["birth_month"] = pd.to_datetime(span.birth_date).dt.strftime("%Y-%m")
    return span.drop(columns="birth_date").reset_index()


def _finish_quarantine(q: pd.DataFrame) -> pd.DataFrame:
    cols = ["table", "file", "sheet", "row", "column", "reason", "value"]
    if q.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else object) for c in cols})
    q = q[cols].copy()
    q["row"] = q.row.astype("int64")
    return q.sort_values(["file", "sheet", "row", "table", "column", "reason"], kind="stable").reset_index(drop=True)


def _account(tables: dict[str, pd.DataFrame], counts) -> dict[tuple[str, str], dict[str, int]]:
    """Rows read, kept and quarantined per file and table; checks the identity."""
    kept = defaultdict(int)
    for name, frame in tables.items():
        if "_file" in frame:
            for file, n in frame.groupby("_file").size().items():
                kept[(file, name)] = int(n)
    out = {}
    for (file, table), (read, quarantined) in counts.items():
        k = kept.get((file, table), 0)
        if read != k + quarantined:
            raise AssertionError(f"accounting broken for {file} ({table}): read {read}, kept {k}, "
                                 f"quarantined {quarantined}")
        out[(file, table)] = {"rows_read": read, "rows_kept": k, "rows_quarantined": quarantined}
    return out


def _totals(accounting) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for (_, table), v in accounting.items():
        t = totals.setdefault(table, {"rows_read": 0, "rows_kept": 0, "rows_quarantined": 0})
        for k in t:
            t[k] += v[k]
    return dict(sorted(totals.items()))
