"""``liushou clean``: every term of a raw dataset into validated tidy tables.

Steps: find the data files of each term (in the term folder or a school
folder below it; folder litter such as Thumbs.db, ``~$`` lock files and
Word or PDF documents is skipped with one line each), read each file
(:mod:`..rawread`, which tells HTML and text saved as .xls by content),
map its header to fields (:mod:`.fields`, with the dataset's
``liushou.toml``, :mod:`.settings`), recognise its form (:mod:`.forms`),
resolve its school (:mod:`.identity`), clean each table (:mod:`.tables`),
link every pupil row to a pupil (:mod:`.identity`), turn identifiers into
pseudonymous keys (:mod:`.pseudonym`), resolve duplicates, validate every
table (:mod:`.schemas`) and write it as Parquet, with
``quarantine.parquet``, ``quarantine.xlsx`` (for school staff, reasons in
Chinese), ``field_issues.parquet`` and ``manifest.json`` beside them.

A file that cannot be read, whose form is not recognised or whose school
cannot be resolved does not stop the dataset: it is listed under
``files_not_used`` with the reason (``strict=True`` stops at the first).

Accounting: for every file and table, rows read = rows kept + rows
quarantined (exams count pupil-subject cells). The pipeline checks this
before writing anything.

Duplicate rule (each decision is a quarantine row with reason
``duplicate_pupil`` naming the row kept): when one pupil appears twice in a
table for the same term (and subject, month or helper), the row with the
most filled-in fields is kept, ties going to the first by file, sheet and
row; an exact copy of a row in the same sheet is ``duplicate_row``.

Completeness (``manifest["incomplete"]``): a table that read rows but kept
none, or lost its school, class or left-behind status for at least half of
its rows, is named there; ``liushou clean`` then exits with code 3 unless
``--allow-incomplete``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis._version import __version__
from liushou_analysis.cleaning import schemas
from liushou_analysis.cleaning import values as V
from liushou_analysis.cleaning.fields import field_of
from liushou_analysis.cleaning.identity import evidence_of, link_pupils, resolve_schools
from liushou_analysis.cleaning.pseudonym import is_synthetic, load_key, pseudonyms
from liushou_analysis.cleaning.readcache import ReadCache
from liushou_analysis.cleaning.settings import load_settings
from liushou_analysis.cleaning.surveys import dataset_codebook, link_rows, read_questionnaire, survey_tables
from liushou_analysis.cleaning.tables import CLEANERS, NAME_FIELDS, SheetInput, SheetJob, clean_scores
from liushou_analysis.core import codebook, config
from liushou_analysis.core.errors import UserError
from liushou_analysis.core.outputs import check_target, publish_dir
from liushou_analysis.core.privacy import mask_text
from liushou_analysis.core.terms import term_folders
from liushou_analysis.readers.forms import recognise
from liushou_analysis.readers.rawread import file_sha256, litter_reason, normalise_label, read_raw_file
from liushou_analysis.store import CleanStore

TABLES = ["pupils", "enrolment", "classes", "exams", "households", "archive", "pairings", "contacts", "conduct"]
#: What identifies one row of each clean table (beyond the term).
ROW_KEY = {"enrolment": ["pupil_key"], "households": ["pupil_key"], "exams": ["pupil_key", "subject"],
           "archive": ["pupil_key"], "pairings": ["pupil_key", "helper_key"], "contacts": ["pupil_key", "month"],
           "conduct": ["pupil_key"], "classes": ["school", "grade", "class_no"]}
PROVENANCE = ["_file", "_sheet", "_row"]
#: Exit code of ``liushou clean`` when the dataset is incomplete (see the module docstring).
EXIT_INCOMPLETE = 3
#: Quarantine and field-issue reasons in Chinese, for quarantine.xlsx.
REASONS_ZH = {
    "duplicate_row": "与同一工作表中的另一行完全相同",
    "duplicate_pupil": "同一学生在本学期重复出现，保留了信息更全的一行",
    "missing_school": "无法确定学校",
    "malformed_student_no": "学号含有数字和字母以外的字符",
    "unknown_class": "无法识别班级（需要年级和班号）",
    "unmapped_label": "取值不在代码表中（可在 liushou.toml 中补充）",
    "not_a_number": "不是数字",
    "excel_error": "Excel 错误值（如 #N/A、#DIV/0!），公式没有算出结果",
    "out_of_range": "数值超出合理范围",
    "not_a_whole_number": "应为整数",
    "unparseable_date": "无法识别的日期",
    "future_date": "日期晚于学期结束",
    "implausible_birth_date": "出生日期与在校学生年龄不符（如1900年、1950年）",
    "date_outside_school_year": "日期不在该学期所属学年内（9月至次年8月）",
    "missing_helper": "缺少帮扶人",
    "ambiguous_pupil": "无学号，且按姓名等信息可对应多名学生，未作猜测",
    "unmatched_pupil": "无学号，且按学籍号、身份证号、姓名和班级、姓名和出生年月都找不到对应学生",
}


def data_files(term_dir: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files of a term folder (and its school folders) that may hold
    tables, and the litter skipped with its reason."""
    files, litter = [], []
    for path in sorted(p for p in Path(term_dir).rglob("*") if p.is_file()):
        hidden_dir = any(part.startswith((".", "_")) for part in path.relative_to(term_dir).parts[:-1])
        reason = "in a hidden folder" if hidden_dir else litter_reason(path)
        (litter.append((path, reason)) if reason else files.append(path))
    return files, litter


def _columns(sheet, rel: str, aliases: dict[str, str] | None = None) -> tuple[dict[str, int], list[str]]:
    """Field -> column position, and the labels the codebook does not know.
    ``aliases`` (a form's own header meanings) win over the codebook."""
    columns: dict[str, int] = {}
    unknown = []
    aliases = {normalise_label(k): v for k, v in (aliases or {}).items()}
    for pos, label in enumerate(sheet.labels):
        name = aliases.get(normalise_label(label)) or (field_of(label) if label else None)
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


def clean_dataset(raw_dir: Path, out_dir: Path, progress=None, strict: bool = False,
                  read_cache: Path | None = None, workers: int = 1, cluster=None) -> dict:
    """Clean a raw dataset folder into ``out_dir``; return the manifest.

    ``progress`` is told what is happening (a callable taking a message);
    when it also has a ``step(done, total, what)`` method (a
    :class:`~liushou_analysis.core.progress.Progress`), it is told each
    file as it is read. ``strict`` stops at the first file that cannot be
    used, instead of listing it under ``files_not_used``. ``read_cache`` names a
    folder that keeps what each file held (:mod:`.readcache`), so the next
    clean reads only the files that changed. ``workers`` processes read the
    files at once (the tables are the same bytes whatever the number), or the
    workers of a Dask ``cluster`` (a ``distributed.Client``, :mod:`..core.cluster`)
    do, each file a task; the rest of the clean runs here.
    """
    raw_dir = Path(raw_dir)
    check_target(Path(out_dir), "clean", raw_dirs=(raw_dir,))  # before the work, so a wrong --out fails at once
    if read_cache:
        _check_read_cache(Path(read_cache), raw_dir, Path(out_dir))
    settings = load_settings(raw_dir)
    with codebook.extended(settings.codebook_rows):
        return _clean(raw_dir, Path(out_dir), progress or (lambda msg: None), strict, settings, read_cache, workers,
                      cluster)


def _check_read_cache(folder: Path, raw_dir: Path, out_dir: Path) -> None:
    """The read cache holds raw cells (names included): not in the clean tables' folder or a report, and not
    inside the raw folders, which no command changes."""
    here = folder.resolve()
    for place, what in ((out_dir.resolve(), "the clean tables' folder"), (raw_dir.resolve(), "the raw dataset"),
                        (config.DATA_CLEAN.resolve(), "data_clean/"), (config.REPORTS.resolve(), "reports/")):
        if here == place or place in here.parents:
            raise UserError(f"--read-cache {folder}: it keeps the raw files' cells, names included, so it may not "
                            f"be inside {what}; name a folder kept with the raw data's own protection.")


def key_directory(raw_dir: Path, progress=None) -> pd.DataFrame:
    """Who each pseudonymous key is: ``key``, ``role`` (pupil, helper, head_teacher), ``name`` (the name, or
    the staff number where the files give only that), ``school``. Built from the raw files with the dataset's
    key exactly as ``liushou clean`` builds the keys, and never written by it: this is the one place names and
    keys meet, for ``liushou payouts``. A plain error without the key."""
    raw_dir = Path(raw_dir)
    settings = load_settings(raw_dir)
    say = progress or (lambda msg: None)
    with codebook.extended(settings.codebook_rows):
        key, _ = load_key(raw_dir)
        found = _read_forms(raw_dir, term_folders(raw_dir), settings, _Unused(False, say), say)
        inputs, counts, _, _ = _plan(found, settings, _Unused(False, say))
        parts, quarantine, _, _ = _clean_tables(inputs, counts, settings, say)
        tables = dict(parts)
        _link(tables, quarantine, counts)
        directory: list[pd.DataFrame] = []
        _key_identifiers(tables, key, directory)
    out = pd.concat(directory, ignore_index=True) if directory else pd.DataFrame(columns=DIRECTORY_COLUMNS)
    out = out.dropna(subset=["key", "name"]).drop_duplicates(["key", "role", "name", "school"])
    return out.sort_values(["role", "school", "key"], kind="stable").reset_index(drop=True)[DIRECTORY_COLUMNS]


#: The columns of :func:`key_directory`.
DIRECTORY_COLUMNS = ["key", "role", "name", "school"]


class _Unused:
    """Files not used (with the reason) and folder litter skipped; under
    ``strict`` the first file not used stops the clean instead."""

    def __init__(self, strict: bool, say):
        self.strict, self.say = strict, say
        self.not_used: list[dict] = []
        self.skipped: list[dict] = []

    def refuse(self, rel: str, sha: str | None, reason: str, term) -> None:
        if self.strict:
            raise UserError(reason)
        self.not_used.append({"file": rel, "term": str(term), "sha256": sha, "reason": reason})
        self.say(f"not used: {reason}")

    def skip(self, rel: str, reason: str, term) -> None:
        self.skipped.append({"file": rel, "term": str(term), "reason": reason})
        self.say(f"skipped {rel}: {reason}")


def _read_forms(raw_dir: Path, folders: dict, settings, unused: _Unused, say,
                surveys: list | None = None, cache: ReadCache | None = None, workers: int = 1,
                cluster=None) -> list[tuple]:
    """Read every data file of every term and recognise the form of each
    sheet: (raw file, term, [(sheet, columns, form)], unknown columns,
    sentences for sheets not recognised) per file that can be used. A file
    that is no school form but a questionnaire goes to ``surveys`` (raw
    survey, term, checksum) when a list is given (:mod:`.surveys`). With a
    ``cache`` (:mod:`.readcache`), a file read by the previous clean is not
    read again; with ``workers`` above 1, files are read by that many
    processes at once (files are independent), or by a Dask ``cluster``, and taken in their order."""
    found = []
    jobs = []
    for term, folder in folders.items():
        paths, litter = data_files(folder)
        for path, reason in litter:
            unused.skip(path.relative_to(raw_dir).as_posix(), reason, term)
        if getattr(say, "step", None) is None:
            say(f"reading {len(paths)} files of term {term}")
        jobs += [(term, path, path.relative_to(raw_dir).as_posix()) for path in paths]
    step = getattr(say, "step", None)
    outcomes = _read_all([(path, rel) for _, path, rel in jobs], raw_dir, settings, surveys is not None, cache, workers,
                         cluster)
    for done, ((term, path, rel), outcome) in enumerate(zip(jobs, outcomes), start=1):
        if step is not None:
            step(done, len(jobs), rel)
        if outcome[0] == "survey":
            surveys.append((outcome[1], term, outcome[2]))
        elif outcome[0] == "refused":
            unused.refuse(rel, outcome[1], outcome[2], term)
        else:
            _, raw, sheets, unknown, unrecognised = outcome
            if unrecognised and unused.strict:
                raise UserError(unrecognised[0])
            found.append((raw, term, sheets, unknown, unrecognised))
    if cache is not None and cache.hits:
        say(f"{cache.hits:,} files unchanged since the last clean were taken from its cache; {cache.misses:,} read")
    return found


def _read_all(files: list[tuple[Path, str]], raw_dir: Path, settings, surveys: bool, cache: ReadCache | None,
              workers: int, cluster=None):
    """What each file holds (:func:`_read_file`), in the files' order: from the cache where it has the file,
    else read, by ``workers`` forked processes when more than one (each inherits the dataset's settings), or
    by the workers of a Dask ``cluster`` (each is given the settings with the file)."""
    import multiprocessing
    from functools import partial

    keys = [cache.lookup(path, rel) if cache is not None else (None, None) for path, rel in files]
    missing = [path for (path, _), (_, hit) in zip(files, keys, strict=True) if hit is None]
    read = partial(_read_file, raw_dir=raw_dir, settings=settings, surveys=surveys)
    pool = None
    if cluster is not None:
        from liushou_analysis.core.cluster import map_in_order

        fresh = map_in_order(cluster, partial(_read_with_settings, raw_dir=raw_dir, settings=settings,
                                              surveys=surveys), missing)
    elif workers > 1 and len(missing) > 1 and "fork" in multiprocessing.get_all_start_methods():
        pool = multiprocessing.get_context("fork").Pool(min(workers, len(missing)))
        fresh = pool.imap(read, missing, chunksize=max(1, len(missing) // (8 * workers)))
    else:
        fresh = map(read, missing)
    try:
        for key, hit in keys:
            if hit is not None:
                yield hit
                continue
            outcome = next(fresh)
            if cache is not None:
                cache.store(key, outcome)
            yield outcome
    finally:
        if pool is not None:
            pool.terminate()


def _read_with_settings(path: Path, raw_dir: Path, settings, surveys: bool) -> tuple:
    """:func:`_read_file` in a process that did not load the dataset's settings (a cluster's worker): the
    codebook rows of liushou.toml are put in place around the read."""
    with codebook.extended(settings.codebook_rows):
        return _read_file(path, raw_dir, settings, surveys)


def _read_file(path: Path, raw_dir: Path, settings, surveys: bool) -> tuple:
    """What one file holds: ``("form", raw file, [(sheet, columns, form)], unknown columns, sentences for
    sheets not recognised)``, ``("survey", questionnaire, checksum)`` (only when ``surveys``) or
    ``("refused", checksum, why)``. It depends on the file, the settings and the code only, so it can be cached."""
    try:
        raw = read_raw_file(path, raw_dir)
    except UserError as err:
        survey = read_questionnaire(path, raw_dir) if surveys else None
        return ("survey", survey, file_sha256(path)) if survey else ("refused", file_sha256(path), str(err))
    sheets, unknown, unrecognised = [], [], []
    try:
        for sheet in raw.sheets:
            columns, unknown_here = _columns(sheet, raw.file)
            form = recognise(set(columns))
            if form is None:
                where = f", sheet '{sheet.sheet}'" if sheet.sheet else ""
                unrecognised.append(
                    f"{raw.file}{where}: cannot tell which table this is from its columns "
                    f"({', '.join(sheet.labels[:8])}); check the header, or add its labels under [headers] "
                    f"in {settings.where}.")
                continue
            if form.aliases:
                columns, unknown_here = _columns(sheet, raw.file, form.aliases)
            unknown += [u for u in unknown_here if u not in unknown]
            sheets.append((sheet, columns, form))
    except UserError as err:
        return ("refused", raw.sha256, str(err))
    if not sheets:
        survey = read_questionnaire(path, raw_dir) if surveys else None
        return ("survey", survey, raw.sha256) if survey else ("refused", raw.sha256, unrecognised[0])
    return ("form", raw, sheets, unknown, unrecognised)


def _plan(found: list[tuple], settings, unused: _Unused):
    """Resolve each file's school and plan the tables: the sheets each clean
    table stacks, the accounting entry of every (file, table), the manifest
    entry of every file used, and the rows lost with files whose school is
    unresolved (per table)."""
    evidence = []
    for raw, term, sheets, _, _ in found:
        column_values = [v for sheet, columns, _ in sheets if "school" in columns
                         for v in V.text(sheet.cells[columns["school"]]).dropna().unique()]
        evidence.append(evidence_of(raw.file, str(term), [s.title for s, _, _ in sheets], column_values, settings))
    decisions = resolve_schools(evidence, settings)
    inputs: dict[str, list[SheetInput]] = defaultdict(list)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (file, table) -> read, quarantined
    manifest_files = []
    unresolved_rows: dict[str, int] = defaultdict(int)
    for raw, term, sheets, unknown, unrecognised in found:
        decision = decisions[raw.file]
        if decision.problem:
            for sheet, columns, form in sheets:  # exams count pupil-subject cells
                cells = sum(f.startswith("score:") for f in columns) if form.tables[0] == "exams" else 1
                unresolved_rows[form.tables[0]] += len(sheet.cells) * cells
            unused.refuse(raw.file, raw.sha256, decision.problem, term)
            continue
        manifest_files.append({
            "file": raw.file, "term": str(term), "sha256": raw.sha256, "format": raw.format,
            "encoding": raw.encoding, "sheets": [s.sheet for s, _, _ in sheets],
            "sheets_without_a_table": raw.skipped_sheets, "sheets_not_recognised": unrecognised,
            "forms": sorted({f.name for _, _, f in sheets}), "school": decision.school, "school_from": decision.how,
            "empty_rows_dropped": sum(s.empty_rows for s, _, _ in sheets),
            "footer_rows_dropped": sum(s.footer_rows for s, _, _ in sheets), "unknown_columns": unknown})
        stem = Path(raw.file).stem
        for sheet, columns, form in sheets:
            hint = V.grade_in_text(sheet.title) or V.grade_in_text(sheet.sheet) or V.grade_in_text(stem)
            class_hint = V.class_in_text(sheet.title) or V.class_in_text(stem)
            for table in form.tables:
                inputs[table].append(SheetInput(sheet, columns, form, decision.school, term, hint, class_hint))
                counts[(raw.file, table)]  # a file with no data rows still has its table entry
    return inputs, counts, manifest_files, unresolved_rows


def _clean_tables(inputs: dict, counts, settings, say, workers: int = 1):
    """Run each table's cleaner on its stacked sheets: the rows kept, the
    quarantine and field-issue frames; ``counts`` gains rows read and
    quarantined per file. With ``workers`` above 1, the tables are cleaned
    by that many forked processes at once (tables are independent), and
    taken back in their order: the same results as one process."""
    import multiprocessing

    global _TABLE_INPUTS
    parts: dict[str, pd.DataFrame] = {}
    quarantine: list[pd.DataFrame] = []
    issues: list[pd.DataFrame] = []
    names: set[str] = set()
    tables = sorted(inputs)
    pool = None
    if workers > 1 and len(tables) > 1 and "fork" in multiprocessing.get_all_start_methods():
        _TABLE_INPUTS = (inputs, settings)  # the children inherit the sheets; only the results travel back
        pool = multiprocessing.get_context("fork").Pool(min(workers, len(tables)))
        # the longest first, so the other tables fill the other process meanwhile
        order = sorted(tables, key=lambda t: -sum(len(s.sheet.cells) * len(s.columns) for s in inputs[t]))
        pending = {t: pool.apply_async(_clean_inherited, (t,)) for t in order}
        say(f"cleaning {len(tables)} tables with {min(workers, len(tables))} processes")
        results = (pending[t].get() for t in tables)
    else:
        results = _clean_each(tables, inputs, settings, say)
    try:
        for table, (rows, q, found, read, quarantined, seen) in zip(tables, results, strict=True):
            names |= seen
            parts[table] = rows
            quarantine.append(q)
            issues.append(found)
            for file, n in read.items():
                counts[(file, table)][0] += int(n)
            for file, n in quarantined.items():
                counts[(file, table)][1] += int(n)
    finally:
        if pool is not None:
            pool.terminate()
            _TABLE_INPUTS = None
    return parts, quarantine, issues, names


#: The inputs of the tables being cleaned by forked processes (set just before the fork, see :func:`_clean_tables`).
_TABLE_INPUTS = None


def _clean_each(tables: list[str], inputs: dict, settings, say):
    """:func:`_clean_table` on each table in turn, saying which."""
    for table in tables:
        say(f"cleaning {table}")
        yield _clean_table(table, inputs[table], settings)


def _clean_inherited(table: str):
    inputs, settings = _TABLE_INPUTS
    return _clean_table(table, inputs[table], settings)


def _clean_table(table: str, sheets: list, settings):
    """One table's cleaner on its sheets: (rows kept, quarantine, field issues, rows read per file, rows
    quarantined per file, the names its cells hold)."""
    job = SheetJob.stack(table, sheets, school_of=settings.canonical_school)
    names: set[str] = set()
    for field in NAME_FIELDS:  # the dataset's names, so that a name typed elsewhere can be masked
        if job.has(field):
            names |= set(V.text(job.cell(field)).dropna().unique())
    if table == "exams":
        rows, checks, read, quarantined = clean_scores(job)
    else:
        rows, checks = CLEANERS[table](job)
        read, quarantined = job.cells._file.value_counts(), checks.per_file()
    return rows, checks.frame(), checks.issue_frame(), read, quarantined, names


def _clean(raw_dir: Path, out_dir: Path, say, strict: bool, settings, read_cache: Path | None = None,
           workers: int = 1, cluster=None) -> dict:
    folders = term_folders(raw_dir)
    terms = list(folders)
    key, key_source = load_key(raw_dir)
    unused = _Unused(strict, say)
    surveys: list[tuple] = []
    cache = ReadCache(read_cache, raw_dir, extra=f"strict={strict}") if read_cache else None
    if cache is not None and not cache.writable:
        say(f"{read_cache} cannot be written to, so every file is read again next time (no read cache).")
    found = _read_forms(raw_dir, folders, settings, unused, say, surveys, cache, workers, cluster)
    say("resolving schools")
    inputs, counts, manifest_files, unresolved_rows = _plan(found, settings, unused)
    say("cleaning")
    parts, quarantine, issues, names = _clean_tables(inputs, counts, settings, say, workers)

    say("linking rows to pupils")
    tables = dict(parts)
    respondents, survey_schools = _survey_link_rows(surveys, settings)
    if respondents is not None:
        tables["survey_links"] = respondents
    linkage = _link(tables, quarantine, counts)
    say("pseudonymising identifiers")
    _key_identifiers(tables, key)
    survey_entries = _survey_entries(surveys, respondents, tables.pop("survey_links", None), quarantine, counts,
                                     survey_schools)
    say("resolving duplicates")
    for name, frame in list(tables.items()):
        kept, dups = _resolve_duplicates(frame, name)
        tables[name] = kept
        if len(dups):
            quarantine.append(dups)
            for file, n in dups.groupby("file").size().items():
                counts[(file, name)][1] += int(n)
    tables["pupils"] = _pupils(tables)
    surveyed = {}
    if survey_entries:
        say(f"coding {len(survey_entries)} questionnaires")
        surveyed, survey_q, survey_counts = survey_tables(survey_entries, dataset_codebook(raw_dir), key, names)
        for entry in survey_entries:
            for note in entry["notes"]:
                say(f"{entry['raw'].file}: {note}")
        kept = surveyed["survey"]
        linked = kept.pupil_key.notna()
        linkage["survey"] = {"rows": int(len(kept)), "linked": int(linked.sum()),
                             "link_rate_pct": round(100 * float(linked.mean()), 1) if len(kept) else None}
        quarantine.append(survey_q)
        counts.update(survey_counts)
        tables["survey"] = surveyed["survey"]
        for entry in survey_entries:
            raw = entry["raw"]
            manifest_files.append({
                "file": raw.file, "term": str(entry["term"]), "sha256": entry["sha256"], "format": "questionnaire",
                "encoding": raw.encoding, "platform": raw.platform, "forms": ["questionnaire"],
                "school": entry["school"], "school_from": entry["school_from"], "respondents": int(len(raw.answers)),
                "linked_to_pupils": int(pd.notna(entry["pupil_key"]).sum()),
                "personal_columns_dropped": list(raw.dropped), "notes": entry["notes"], "sheets": [],
                "sheets_without_a_table": [],
                "sheets_not_recognised": [], "empty_rows_dropped": 0, "footer_rows_dropped": 0,
                "unknown_columns": raw.unknown})
    q = _finish_quarantine(pd.concat([x for x in quarantine if len(x)] or [pd.DataFrame()], ignore_index=True),
                           names)
    field_issues = _finish_quarantine(pd.concat([x for x in issues if len(x)] or [pd.DataFrame()],
                                                ignore_index=True), names)
    accounting = _account(tables, counts)
    _mask_manifest_texts(manifest_files, unused, names)
    for entry in manifest_files:
        entry["tables"] = {t: v for (f, t), v in accounting.items() if f == entry["file"]}
    say("validating and writing tables")
    finished = {}
    for name in TABLES:
        frame = schemas.finish(name, tables.get(name))
        for col in [c for c in frame.columns if c.endswith("_work_province") or c == "helper_post"]:  # free text
            frame[col] = mask_text(frame[col], names)
        schemas.validate(name, frame)
        finished[name] = frame
    totals = _totals(accounting)
    incomplete, without = _completeness(finished, totals, q, unresolved_rows, manifest_files)
    with publish_dir(out_dir, "clean", raw_dirs=(raw_dir,)) as work:
        if surveyed:
            surveyed["survey"] = surveyed["survey"].drop(columns=["_file"])
        CleanStore.write_tables(work, {**finished, **surveyed, "quarantine": q, "field_issues": field_issues})
        write_quarantine_xlsx(q, field_issues, work / "quarantine.xlsx")
        manifest = _manifest(raw_dir, settings, key_source, terms, finished, q, field_issues, linkage, totals,
                             manifest_files, unused, incomplete, without, CleanStore.checksums(work))
        CleanStore.write_manifest(work, manifest)
    if cache is not None:
        cache.prune()
    return manifest


def _manifest(raw_dir, settings, key_source, terms, finished, q, field_issues, linkage, totals, manifest_files,
              unused, incomplete, without, checksums) -> dict:
    """The clean dataset's manifest: versions, provenance, counts, and the
    checksum of every file written (readers verify them)."""
    return {
        "package_version": __version__,
        "codebook_version": codebook.codebook_version(),
        "settings": str(settings.path.relative_to(raw_dir)) if settings.path else None,
        "settings_sha256": file_sha256(settings.path) if settings.path else None,
        "dataset": raw_dir.name,
        "synthetic": is_synthetic(raw_dir),
        "pseudonym_key": key_source,
        "terms": [str(t) for t in terms],
        "tables": {name: {"rows": len(finished[name])} for name in TABLES},
        "quarantine": {"rows": int(len(q)), "by_reason": q.reason.value_counts().sort_index().to_dict()
                       if len(q) else {}},
        "field_issues": {"fields": int(len(field_issues)),
                         "by_reason": field_issues.reason.value_counts().sort_index().to_dict()
                         if len(field_issues) else {}},
        "linkage": linkage,
        "totals": totals,
        "files": manifest_files,
        "files_not_used": sorted(unused.not_used, key=lambda f: f["file"]),
        "files_skipped": unused.skipped,
        "incomplete": incomplete,
        "analyses_without_data": without,
        "checksums": checksums,
    }


def _link(tables: dict[str, pd.DataFrame], quarantine: list, counts) -> dict:
    """Link every pupil row to a pupil (:func:`.identity.link_pupils`);
    rows that cannot be linked go to quarantine. Returns the link rate of
    every table, by how rows were linked."""
    pupil_tables = [n for n, f in tables.items() if "student_no" in f]
    if not pupil_tables:
        return {}
    stacked = pd.concat([tables[n][["school", "term", "grade", "class_no", "student_no", "student_no_was_number",
                                    "number_source", "registry_no", "_id_number", "_name", "_birth"]]
                         .astype({"grade": "Int64", "class_no": "Int64"}) for n in pupil_tables],
                        keys=pupil_tables, names=["_table", "_i"])
    restored, _ = V.restore_leading_zeros(stacked.student_no, stacked.student_no_was_number, stacked.school)
    stacked["student_no"] = restored
    # link each distinct set of identifiers once (an exam row repeats its pupil for every subject)
    link_cols = ["school", "term", "grade", "class_no", "student_no", "number_source", "registry_no", "_id_number",
                 "_name", "_birth"]
    group = stacked.groupby(link_cols, dropna=False, sort=False).ngroup().to_numpy()
    first = stacked[~pd.Series(group).duplicated().to_numpy()]
    linked = link_pupils(first)
    order = np.argsort(group[~pd.Series(group).duplicated().to_numpy()])
    identity, how, reason = (pd.Series(s.to_numpy()[order][group], index=stacked.index) for s in linked)
    linkage = {}
    for name in pupil_tables:
        frame = tables[name]
        ident, by, why = (s[s.index.get_level_values(0) == name].droplevel(0).reindex(frame.index)
                          for s in (identity, how, reason))
        bad = why.notna()
        if bad.any():
            lost = frame[bad]
            rows = lost.drop_duplicates(PROVENANCE)
            quarantine.append(pd.DataFrame({
                "table": name, "file": rows._file.to_numpy(), "sheet": rows._sheet.to_numpy(),
                "row": rows._row.to_numpy(), "column": "", "reason": why[rows.index].to_numpy(), "value": ""}))
            for file, n in lost.groupby("_file").size().items():
                counts[(file, name)][1] += int(n)
        tables[name] = frame[~bad].assign(_identity=ident[~bad])
        shares = by.fillna(why).value_counts()
        linkage[name] = {"rows": int(len(frame)), "linked": int((~bad).sum()),
                         "link_rate_pct": round(100 * float((~bad).mean()), 1) if len(frame) else None,
                         "by": {str(k): int(v) for k, v in shares.sort_index().items()}}
    return linkage


def _key_identifiers(tables: dict[str, pd.DataFrame], key: bytes, directory: list | None = None) -> None:
    """Replace school numbers and helper identities by pseudonymous keys.

    Leading zeros lost by numeric cells are restored first, per school, from
    the usual length of the numbers stored as text (see
    :func:`..values.restore_leading_zeros`) before rows are linked; here a
    pupil's identity (``school|number``, or a registry or ID number) becomes
    its keyed hash and every identifier column is dropped. With ``directory``
    (a list), each key's name is appended to it (:func:`key_directory`).
    """
    from liushou_analysis.cleaning.identity import LINK_COLUMNS

    for name, frame in tables.items():
        if "_identity" in frame:
            frame = frame.assign(pupil_key=pseudonyms(frame._identity, key, "P"))
            if directory is not None and "_name" in frame:
                directory.append(pd.DataFrame({"key": frame.pupil_key, "role": "pupil", "name": frame["_name"],
                                               "school": frame.school}))
            tables[name] = frame.drop(columns=["_identity", "student_no_was_number"]
                                      + [c for c in LINK_COLUMNS if c != "_birth"])
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
        if directory is not None:
            directory.append(pd.DataFrame({"key": keyed, "role": "helper", "name": _who(kind, ident),
                                           "school": p.school}))
        tables["pairings"] = p.drop(columns="helper_source")
    if "classes" in tables:
        c = tables["classes"]
        kind = c.head_teacher_source.str.split(":", n=1).str[0]
        source = c.school + "|" + c.head_teacher_source.str.split(":", n=1).str[1]
        c["head_teacher_key"] = np.where(kind == "staff", pseudonyms(source.where(kind == "staff"), key, "T"),
                                         pseudonyms(source.where(kind == "person"), key, "H"))
        c.loc[c.head_teacher_source == "", "head_teacher_key"] = pd.NA
        if directory is not None:
            directory.append(pd.DataFrame({"key": c.head_teacher_key, "role": "head_teacher",
                                           "name": _who(kind, c.head_teacher_source.str.split(":", n=1).str[1]),
                                           "school": c.school}))
        tables["classes"] = c.drop(columns="head_teacher_source")


def _who(kind: pd.Series, ident: pd.Series) -> pd.Series:
    """What a payer can find a person by: the name (a person's identity is ``name|phone``), or the staff
    number (工号) where the files give only that."""
    name = ident.str.split("|", n=1).str[0]
    return name.where(kind != "staff", "工号 " + ident)


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
    """One row per pupil: attributes from the latest roster, terms seen
    anywhere; the birth month from another form (a register's 出生年月)
    where the pupil has no roster row with one."""
    frames = [t[["pupil_key", "school", "term"]] for n, t in tables.items() if "pupil_key" in t]
    if not frames:
        return None
    seen = pd.concat(frames, ignore_index=True)
    span = seen.groupby("pupil_key").agg(school=("school", "last"), first_term=("term", "min"),
                                         last_term=("term", "max"))
    roster = tables.get("enrolment")
    if roster is not None and len(roster):
        latest = roster.sort_values(["term", "_file", "_row"]).groupby("pupil_key").last()
        span = span.join(latest[["gender", "birth_date", "id_number_check"]])
        span["in_roster"] = span.index.isin(roster.pupil_key)
    else:
        span["gender"], span["birth_date"], span["id_number_check"], span["in_roster"] = pd.NA, pd.NaT, pd.NA, False
    others = [t[["pupil_key", "term", "_birth"]] for n, t in tables.items() if "_birth" in t and n != "enrolment"]
    births = pd.concat(others, ignore_index=True) if others else pd.DataFrame(columns=["pupil_key", "term", "_birth"])
    other = births.dropna(subset=["_birth"]).sort_values(["pupil_key", "term"]).groupby("pupil_key")["_birth"].last()
    span["birth_date"] = pd.to_datetime(span.birth_date).fillna(pd.to_datetime(other.reindex(span.index)))
    span["birth_month"] = pd.to_datetime(span.birth_date).dt.strftime("%Y-%m")
    return span.drop(columns="birth_date").reset_index()


def _completeness(tables: dict[str, pd.DataFrame], totals: dict, q: pd.DataFrame, unresolved_rows: dict,
                  files: list[dict]) -> tuple[list[str], list[str]]:
    """Sentences naming what makes the dataset incomplete (exit code 3),
    and the analyses that will have nothing to work on."""
    incomplete = []
    if not files:
        incomplete.append("no file of the dataset could be used (see files_not_used).")
    lost = q.groupby(["table", "reason"]).size() if len(q) else pd.Series(dtype=int)
    for table, t in totals.items():
        read = t["rows_read"] + unresolved_rows.get(table, 0)
        if t["rows_read"] and not t["rows_kept"]:
            reasons = q[q.table == table].reason.value_counts().head(3)
            why = ", ".join(f"{r} {n:,}" for r, n in reasons.items())
            incomplete.append(f"{table}: {t['rows_read']:,} rows read but none kept ({why}).")
            continue
        for what, reasons, extra in (("school", ["missing_school"], unresolved_rows.get(table, 0)),
                                     ("class", ["unknown_class"], 0),
                                     ("pupil", ["unmatched_pupil", "ambiguous_pupil"], 0)):
            missing = sum(int(lost.get((table, r), 0)) for r in reasons) + extra
            if read and missing * 2 >= read:
                incomplete.append(f"{table}: the {what} is missing for {missing:,} of {read:,} rows.")
    h = tables["households"]
    if len(h):
        unknown = int((h.father_away.isna() & h.mother_away.isna()).sum())
        if unknown * 2 >= len(h):
            incomplete.append(f"households: the left-behind status (which parents work away) is missing for "
                              f"{unknown:,} of {len(h):,} rows.")
    without = []
    if not len(h):
        without.append("care: there is no family survey or register (留守儿童信息统计表) with kept rows.")
    exams, pairings = tables["exams"], tables["pairings"]
    if not len(pairings):
        without.append("pairing and points: there is no pairing list (结对帮扶名单) with kept rows.")
    if not len(exams):
        without.append("pairing and points: there are no exam tables with kept rows.")
    elif exams.term.nunique() < 2:
        without.append("pairing: exams of one term only; rank changes need two terms.")
    return incomplete, without


def write_quarantine_xlsx(q: pd.DataFrame, issues: pd.DataFrame, path: Path) -> None:
    """The quarantine (and the fields set to unknown) as a workbook school
    staff can open: file, sheet, row, column, value (personal data masked)
    and the reason in Chinese."""
    from openpyxl import Workbook

    from liushou_analysis.core.xlsxio import safe_text, save_workbook

    wb = Workbook()
    for ws, frame, title in ((wb.active, q, "未采用的行"), (None, issues, "置为未知的字段")):
        ws = ws or wb.create_sheet()
        ws.title = title
        ws.append(["文件", "工作表", "行", "列", "值", "原因", "原因代码", "表"])
        for r in frame.itertuples(index=False):
            row = [r.file, r.sheet, int(r.row), r.column, r.value, REASONS_ZH.get(r.reason, r.reason), r.reason,
                   r.table]
            ws.append([safe_text(v) for v in row])
        for col, width in zip("ABCDEFGH", (40, 14, 6, 16, 16, 48, 20, 12), strict=True):
            ws.column_dimensions[col].width = width
    save_workbook(wb, path)


def _mask_manifest_texts(manifest_files: list[dict], unused: _Unused, names: set[str]) -> None:
    """Header labels and reasons quote cells of the raw files: mask them
    before they reach manifest.json and the pages."""
    for entry in manifest_files:
        if entry.get("unknown_columns"):
            entry["unknown_columns"] = mask_text(pd.Series(entry["unknown_columns"], dtype=object), names).tolist()
    for entry in unused.not_used:
        entry["reason"] = str(mask_text(pd.Series([entry["reason"]]), names).iloc[0])


def _finish_quarantine(q: pd.DataFrame, names: set[str]) -> pd.DataFrame:
    """Quarantine (or field-issue) rows in order, every value and column label
    masked (:func:`..privacy.mask_text`): a value that failed its field's
    parser may be personal data typed into the wrong column."""
    cols = ["table", "file", "sheet", "row", "column", "reason", "value"]
    if q.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else object) for c in cols})
    q = q[cols].copy()
    q["row"] = q.row.astype("int64")
    q["value"] = mask_text(q.value, names).fillna("")
    q["column"] = mask_text(q.column, names).fillna("")
    return q.sort_values(["file", "sheet", "row", "table", "column", "reason"], kind="stable").reset_index(drop=True)


def _survey_link_rows(surveys: list[tuple], settings) -> tuple[pd.DataFrame | None, dict]:
    """The respondents of every questionnaire as pupil rows for the linkage, with their school (a 学校
    question, else the file name or folder, as for a school form); and each file's school and how it was
    found."""
    if not surveys:
        return None, {}
    evidence = [evidence_of(raw.file, str(term), [], [], settings) for raw, term, _ in surveys]
    decisions = resolve_schools(evidence, settings)
    rows = [link_rows(raw, term, decisions[raw.file].school, settings) for raw, term, _ in surveys]
    schools = {}
    for (raw, _, _), frame in zip(surveys, rows, strict=True):
        named = frame.school.dropna()
        one = named.nunique() == 1
        schools[raw.file] = ((named.iloc[0] if one else None, "学校 question") if len(named) and named.ne(
            decisions[raw.file].school).any() else (decisions[raw.file].school, decisions[raw.file].how))
    return pd.concat(rows, ignore_index=True), schools


def _survey_entries(surveys: list[tuple], respondents: pd.DataFrame | None, linked: pd.DataFrame | None,
                    quarantine: list, counts, schools: dict) -> list[dict]:
    """Each questionnaire with its term, its school (the file's) and each respondent's school and pupil key
    (missing where the respondent could not be linked: kept, not quarantined, since the answers still count)."""
    for i in range(len(quarantine)):  # unlinked respondents were set aside by the linkage: take them back
        if len(quarantine[i]) and "table" in quarantine[i] and (quarantine[i].table == "survey_links").any():
            quarantine[i] = quarantine[i][quarantine[i].table != "survey_links"]
    for entry in [k for k in counts if k[1] == "survey_links"]:
        del counts[entry]
    entries = []
    for raw, term, sha in surveys:
        keys = pd.Series([None] * len(raw.answers), dtype=object)
        if linked is not None and len(linked):
            mine = linked[linked._file == raw.file]
            keys[mine._respondent.to_numpy()] = mine.pupil_key.to_numpy()
        school, how = schools[raw.file]
        own = respondents[respondents._file == raw.file].sort_values("_respondent").school.to_numpy()
        entries.append({"raw": raw, "term": term, "sha256": sha, "pupil_key": keys.to_numpy(), "school": school,
                        "school_from": how, "schools": own})
    return entries


def _account(tables: dict[str, pd.DataFrame], counts) -> dict[tuple[str, str], dict[str, int]]:
    """Rows read, kept and quarantined per file and table; checks the identity."""
    kept = defaultdict(int)
    for name, frame in tables.items():
        if frame is not None and "_file" in frame:
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
