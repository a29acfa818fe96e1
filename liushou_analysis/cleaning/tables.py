"""Clean one raw sheet of each kind into canonical rows.

Every cleaner takes a :class:`SheetJob` and returns the rows it could clean
and a :class:`RowChecks` holding, for every row it could not, the column,
the reason and the offending value (masked where it is personal data).
Rows are never repaired by guessing: a value that does not parse, a label
the codebook does not know, a score out of range or a date after the
term's end sends the row to quarantine. Identifiers stay raw here
(``student_no``, ``helper_source``); the pipeline turns them into
pseudonymous keys and drops them.

Exams are cleaned to long form (one row per pupil, term and subject): a bad
score quarantines that pupil-subject row only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..rawread import RawSheet
from ..terms import Term
from . import values as V

#: Highest plausible score per subject (full marks vary by province: 100,
#: 120 or 150) and for the total.
SCORE_MAX = {"chinese": 150, "math": 150, "english": 150, "physics": 120, "chemistry": 120, "total": 1000}
#: Fields holding personal data: masked in quarantine, never written clean.
PERSONAL_FIELDS = {"name", "id_number", "address", "phone", "father_name", "mother_name", "father_phone",
                   "mother_phone", "guardian_name", "guardian_phone", "helper_name", "helper_phone",
                   "head_teacher", "remark", "parent_contacts", "guardian_contacts", "student_no",
                   "helper_staff_no", "helper_student_no", "head_teacher_staff_no"}


def term_end(term: Term) -> pd.Timestamp:
    """Last day of a semester: 31 January (semester 1) or 31 August (semester 2)."""
    return pd.Timestamp(f"{term.start_year + 1}-01-31" if term.semester == 1 else f"{term.start_year + 1}-08-31")


def mask(field_name: str | None, value) -> str:
    """A quarantined value as it may be shown: personal data masked."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    if not text.strip():
        return ""
    if field_name in ("name", "father_name", "mother_name", "guardian_name", "helper_name", "head_teacher"):
        return text[:1] + "*" * max(1, len(text) - 1)
    if field_name in PERSONAL_FIELDS:
        return f"<{field_name} masked>"
    return text


#: Provenance columns of a job's cells.
PROVENANCE = ["_file", "_sheet", "_row", "_school", "_term"]


@dataclass
class SheetJob:
    """Every sheet of one kind, stacked: one column per field, plus where each
    row came from (file, sheet, row number, school, term). Cleaning a kind in
    one pass keeps the work per table, not per sheet."""

    cells: pd.DataFrame
    table: str
    #: (file, sheet) -> field -> the header label that sheet used
    labels: dict[tuple[str, str], dict[str, str]]

    @classmethod
    def stack(cls, table: str, sheets: list[tuple[RawSheet, dict[str, int], str, Term]]) -> "SheetJob":
        frames, labels = [], {}
        for raw, columns, school, term in sheets:
            f = pd.DataFrame({name: raw.cells[pos] for name, pos in columns.items()}, index=raw.cells.index)
            f["_file"], f["_sheet"], f["_row"] = raw.file, raw.sheet, raw.cells.source_row
            f["_school"], f["_term"] = school, str(term)
            frames.append(f)
            labels[(raw.file, raw.sheet)] = {name: raw.labels[pos] for name, pos in columns.items()}
        cells = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PROVENANCE)
        return cls(cells.astype({c: object for c in cells.columns if c not in PROVENANCE}), table, labels)

    @property
    def fields(self) -> list[str]:
        return [c for c in self.cells.columns if c not in PROVENANCE]

    def has(self, name: str) -> bool:
        return name in self.cells.columns

    def cell(self, name: str) -> pd.Series:
        """The raw cells of a field (empty where a sheet lacks it)."""
        if name not in self.cells.columns:
            return pd.Series(None, index=self.cells.index, dtype=object)
        return self.cells[name]

    def present(self, name: str) -> pd.Series:
        """True for rows whose sheet has the field as a column."""
        have = {key for key, cols in self.labels.items() if name in cols}
        return pd.Series([k in have for k in zip(self.cells._file, self.cells._sheet, strict=True)],
                         index=self.cells.index, dtype=bool)

    def label(self, name: str | None, index: pd.Index) -> list[str]:
        """The header label each row's sheet used for a field."""
        if not name:
            return [""] * len(index)
        rows = self.cells.loc[index]
        return [self.labels[(f, sh)].get(name, "") for f, sh in zip(rows._file, rows._sheet, strict=True)]


@dataclass
class RowChecks:
    """Why rows of a sheet cannot be cleaned."""

    job: SheetJob
    records: list = field(default_factory=list)
    bad: pd.Series | None = None

    def __post_init__(self):
        self.bad = pd.Series(False, index=self.job.cells.index)

    def fail(self, mask_: pd.Series, field_name: str | None, reason: str, shown: pd.Series | None = None) -> None:
        """Send rows where ``mask_`` holds to quarantine for ``reason``."""
        mask_ = mask_.fillna(False).astype(bool)
        if not mask_.any():
            return
        self.bad |= mask_
        shown = self.job.cell(field_name) if shown is None and field_name else shown
        vals = shown[mask_] if shown is not None else pd.Series("", index=mask_[mask_].index)
        self.records.append(pd.DataFrame({
            "_index": mask_[mask_].index,
            "column": self.job.label(field_name, mask_[mask_].index),
            "reason": reason,
            "value": [mask(field_name, v) for v in vals],
        }))

    def frame(self) -> pd.DataFrame:
        """Quarantine rows: file, sheet, row, column, reason, value."""
        if not self.records:
            return pd.DataFrame(columns=["table", "file", "sheet", "row", "column", "reason", "value", "_index"])
        q = pd.concat(self.records, ignore_index=True)
        where = self.job.cells.loc[q["_index"]]
        q.insert(0, "row", where._row.to_numpy())
        q.insert(0, "sheet", where._sheet.to_numpy())
        q.insert(0, "file", where._file.to_numpy())
        q.insert(0, "table", self.job.table)
        return q

    def per_file(self) -> pd.Series:
        """Rows quarantined per source file."""
        return self.job.cells._file[self.bad].value_counts()


# --- shared column cleaners ---------------------------------------------------------

def _base(job: SheetJob, checks: RowChecks) -> pd.DataFrame:
    """Provenance, the school and term, and the pupil's school number."""
    cells = job.cells
    # The school: a 学校 column where the file has one, else the file name's school.
    school = V.text(job.cell("school")).fillna(cells._school)
    out = pd.DataFrame({"_file": cells._file, "_sheet": cells._sheet, "_row": cells._row,
                        "school": school, "term": cells._term}, index=cells.index)
    duplicate = cells.drop(columns=["_row", "_school", "_term"]).astype(str).duplicated(keep="first")
    checks.fail(duplicate, None, "duplicate_row")
    return out


def _start(job: SheetJob, pupils: bool = True) -> tuple[pd.DataFrame, RowChecks]:
    """Every cleaner's first step: provenance and duplicate rows, then
    (for tables about pupils) the school number."""
    checks = RowChecks(job)
    out = _base(job, checks)
    if pupils:
        _student_no(job, checks, out)
    return out, checks


def _student_no(job: SheetJob, checks: RowChecks, out: pd.DataFrame, name: str = "student_no") -> None:
    ids, was_number = V.student_ids(job.cell(name))
    checks.fail(ids.isna(), name, "missing_student_no")
    checks.fail(ids.notna() & ~ids.str.fullmatch(r"[0-9A-Za-z]+").fillna(False).astype(bool), name,
                "malformed_student_no")
    out[name] = ids
    out[f"{name}_was_number"] = was_number


def _class(job: SheetJob, checks: RowChecks, out: pd.DataFrame) -> None:
    """Grade and class number from the class column, else the sheet name."""
    in_sheet = job.present("class")
    source = job.cell("class").where(in_sheet, job.cells._sheet)
    grade, class_no = V.class_labels(source)
    if job.has("grade"):
        g2, _ = V.class_labels(V.text(job.cell("grade")).str.replace("年级", "", regex=False) + "1班")
        grade = grade.fillna(g2)
    unknown = grade.isna() | class_no.isna()
    checks.fail(unknown & in_sheet, "class", "unknown_class")
    checks.fail(unknown & ~in_sheet, None, "unknown_class", source)
    out["grade"] = grade
    out["class_no"] = class_no


def _label(job, checks, out, name, domain, column=None) -> None:
    codes, unmapped = V.labels_to_codes(job.cell(name), domain)
    checks.fail(unmapped.notna(), name, "unmapped_label")
    out[column or name] = codes


def _yes_no(job, checks, out, name) -> None:
    codes, unmapped = V.labels_to_codes(job.cell(name), "yes_no")
    checks.fail(unmapped.notna(), name, "unmapped_label")
    out[name] = codes.map({"yes": True, "no": False}).astype("boolean")


def _number(job, checks, out, name, lo, hi, integer=False, column=None) -> None:
    value, _, problem = V.numbers(job.cell(name), markers={})
    checks.fail(problem.notna(), name, "not_a_number")
    checks.fail(value.notna() & ((value < lo) | (value > hi)), name, "out_of_range")
    if integer:
        checks.fail(value.notna() & (value % 1 != 0), name, "not_a_whole_number")
    out[column or name] = value.astype("Int64") if integer and value.dropna().mod(1).eq(0).all() else value


def _date(job, checks, out, name, column=None) -> None:
    parsed, problem = V.dates(job.cell(name))
    checks.fail(problem.notna(), name, "unparseable_date")
    ends = job.cells._term.map({t: term_end(Term.parse(t)) for t in job.cells._term.unique()})
    checks.fail(parsed > pd.to_datetime(ends), name, "future_date")
    out[column or name] = parsed


# --- one cleaner per table ------------------------------------------------------------

def clean_roster(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    out, checks = _start(job)
    _class(job, checks, out)
    _label(job, checks, out, "gender", "gender")
    _date(job, checks, out, "birth_date")
    out["id_number_check"] = V.check_id_numbers(job.cell("id_number"), out.birth_date, out.gender)
    _, status_from_name = V.split_status_from_names(job.cell("name"))
    status, unmapped = V.labels_to_codes(job.cell("enrolment_status"), "enrolment_status")
    checks.fail(unmapped.notna(), "enrolment_status", "unmapped_label")
    out["enrolment_status"] = status.fillna(status_from_name).fillna("enrolled")
    out["status_in_name"] = status_from_name
    return out[~checks.bad], checks


def clean_household(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    out, checks = _start(job)
    _label(job, checks, out, "family_type", "family_type")
    for who in ("father", "mother"):
        out[f"{who}_listed"] = V.text(job.cell(f"{who}_name")).notna() | V.text(job.cell(f"{who}_phone")).notna()
        _yes_no(job, checks, out, f"{who}_away")
        _number(job, checks, out, f"{who}_months_away", 0, 12, integer=True)
        out[f"{who}_work_province"] = V.text(job.cell(f"{who}_work_province"))
    _yes_no(job, checks, out, "parent_unable_to_guard")
    relation, unmapped = V.relation_codes(job.cell("guardian_relation"))
    checks.fail(unmapped.notna(), "guardian_relation", "unmapped_label")
    out["guardian_relation"] = relation
    _number(job, checks, out, "guardian_age", 10, 110, integer=True)
    _label(job, checks, out, "guardian_health", "health")
    _label(job, checks, out, "guardian_education", "education")
    _label(job, checks, out, "care_type", "care_type")
    return out[~checks.bad], checks


def clean_archive(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    """Which of the 'five things known' (001 篇1) each archive holds."""
    out, checks = _start(job)
    filled = {name: V.text(job.cell(name)).notna() for name in
              ("birth_date", "address", "personality", "interests", "health", "parent_contacts", "guardian_contacts")}
    out["has_basic_info"] = filled["birth_date"] | filled["address"]
    out["has_personality"] = filled["personality"]
    out["has_interests"] = filled["interests"]
    out["has_health"] = filled["health"]
    out["has_contacts"] = filled["parent_contacts"] | filled["guardian_contacts"]
    return out[~checks.bad], checks


def clean_scores(job: SheetJob) -> tuple[pd.DataFrame, RowChecks, pd.Series, pd.Series]:
    """Long form: one row per pupil and subject.

    Returns the rows, the checks, and per source file the numbers of
    pupil-subject cells read and quarantined (a cell exists where the
    pupil's sheet has that subject). A row-level failure (no school number,
    unknown class) quarantines each of the row's cells; a bad score only its own.
    """
    out, checks = _start(job)
    _class(job, checks, out)
    subjects = [f.split(":", 1)[1] for f in job.fields if f.startswith("score:")]
    markers = V.absence_codes()
    # Parse every subject's cells in one call per kind (score, class rank, school rank).
    stacked = {kind: pd.concat([job.cell(f"{kind}:{s}") for s in subjects], keys=subjects)
               for kind in ("score", "class_rank", "school_rank")}
    has = pd.concat([job.present(f"score:{s}") for s in subjects], keys=subjects).to_numpy()
    score, reason, problem = V.numbers(stacked["score"], markers)
    ranks = {kind: V.numbers(stacked[kind], markers)[0] for kind in ("class_rank", "school_rank")}
    rows = score.index.get_level_values(1)
    long = out.loc[rows].set_axis(score.index)
    long["subject"] = score.index.get_level_values(0)
    long["score"] = score
    long["absence_reason"] = reason
    for kind, r in ranks.items():
        long[f"{kind}_reported"] = r.where(r.notna() & (r >= 1) & (r % 1 == 0))
    limit = long.subject.map(SCORE_MAX).fillna(1000)
    good_row = has & ~checks.bad.loc[rows].to_numpy()
    not_number = problem.notna() & good_row
    out_of_range = score.notna() & ((score < 0) | (score > limit)) & good_row
    for subject in subjects:
        cell_checks = RowChecks(job)
        cell_checks.fail(not_number.loc[subject], f"score:{subject}", "not_a_number")
        cell_checks.fail(out_of_range.loc[subject], f"score:{subject}", "out_of_range")
        checks.records += cell_checks.records
    keep = good_row & ~(not_number | out_of_range).to_numpy()
    file_of_cell = job.cells._file.loc[rows].to_numpy()
    read = pd.Series(file_of_cell[has]).value_counts()
    quarantined = pd.Series(file_of_cell[has & ~keep]).value_counts()
    return long[keep].reset_index(drop=True), checks, read, quarantined


def clean_pairings(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    out, checks = _start(job)
    _label(job, checks, out, "helper_role", "helper_role")
    staff = V.text(job.cell("helper_staff_no"))
    peer_ids, _ = V.student_ids(job.cell("helper_student_no"))
    name = V.text(job.cell("helper_name"))
    phone = V.text(job.cell("helper_phone"))
    group = V.text(job.cell("group_name"))
    source = pd.Series(np.select(
        [(out.helper_role == "group_3211") & group.notna(), staff.notna(), peer_ids.notna(), name.notna()],
        ["group:" + group.fillna(""), "staff:" + staff.fillna(""), "pupil:" + peer_ids.fillna(""),
         "person:" + name.fillna("") + "|" + phone.fillna("")], ""), index=out.index)
    checks.fail(source == "", "helper_name", "missing_helper")
    out["helper_source"] = source
    _date(job, checks, out, "pairing_date")
    return out[~checks.bad], checks


def clean_contacts(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    out, checks = _start(job)
    month, problem = V.dates(job.cell("month"))
    checks.fail(problem.notna() | month.isna(), "month", "unparseable_date")
    out["month"] = month.dt.strftime("%Y-%m")
    for name in ("calls_to_parents", "letters_to_parents", "parent_visits", "head_teacher_talks",
                 "subject_teacher_talks", "helper_home_visits", "helper_calls_to_parents",
                 "helper_letters_to_parents"):
        if job.has(name):
            _number(job, checks, out, name, 0, 100, integer=True)
        else:
            out[name] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out[~checks.bad], checks


def clean_conduct(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    out, checks = _start(job)
    _yes_no(job, checks, out, "three_good")
    _yes_no(job, checks, out, "serious_violation")
    return out[~checks.bad], checks


def clean_classes(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    out, checks = _start(job, pupils=False)
    _class(job, checks, out)
    staff = V.text(job.cell("head_teacher_staff_no"))
    name = V.text(job.cell("head_teacher"))
    out["head_teacher_source"] = np.where(staff.notna(), "staff:" + staff.fillna(""),
                                          np.where(name.notna(), "person:" + name.fillna(""), ""))
    _number(job, checks, out, "class_size", 1, 150, integer=True)
    return out[~checks.bad], checks


CLEANERS = {"roster": clean_roster, "household": clean_household, "archive": clean_archive,
            "pairings": clean_pairings, "contacts": clean_contacts, "conduct": clean_conduct,
            "classes": clean_classes}
