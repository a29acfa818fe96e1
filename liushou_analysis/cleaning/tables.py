"""Clean one raw sheet of each kind into canonical rows.

Every cleaner takes a :class:`SheetJob` and returns the rows it could clean
and a :class:`RowChecks` holding, for every row it could not, the column,
the reason and the offending value (masked where it is personal data).
Nothing is repaired by guessing. A row goes to quarantine only when what
makes it a row is unusable: its class (rosters, exams), a contact log's
month, a pairing's helper, a duplicate. A value of any other field that
does not parse, a label the codebook does not know, a number out of range
or a date after the term's end makes that *field* unknown, with the reason
logged in the field issues; the row stays. Identifiers stay raw here
(``student_no``, ``helper_source``, names for linkage); the pipeline links
rows to pupils, turns identifiers into pseudonymous keys and drops them.

Exams are cleaned to long form (one row per pupil, term and subject): a bad
score quarantines that pupil-subject row only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from liushou_analysis.cleaning import values as V
from liushou_analysis.core.codebook import PUPIL_HELPER_ROLES
from liushou_analysis.core.flags import is_true
from liushou_analysis.core.terms import Term, calendar_days, school_years, start_years
from liushou_analysis.readers.forms import Form
from liushou_analysis.readers.rawread import RawSheet

#: Highest plausible score per subject (full marks vary by province: 100,
#: 120 or 150) and for the total.
SCORE_MAX = {"chinese": 150, "math": 150, "english": 150, "physics": 120, "chemistry": 120, "science": 200,
             "total": 1500}
#: Full marks assumed for any other subject.
DEFAULT_SCORE_MAX = 150
#: Fields holding personal data: masked in quarantine, never written clean.
PERSONAL_FIELDS = {"name", "id_number", "address", "phone", "father_name", "mother_name", "father_phone",
                   "mother_phone", "guardian_name", "guardian_phone", "helper_name", "helper_phone",
                   "head_teacher", "remark", "parent_contacts", "guardian_contacts", "student_no",
                   "helper_staff_no", "helper_student_no", "head_teacher_staff_no", "exam_no", "registry_no"}


#: Fields holding people's names (masked wherever else they turn up, see ..privacy).
NAME_FIELDS = ("name", "father_name", "mother_name", "guardian_name", "helper_name", "head_teacher")


def mask(field_name: str | None, value) -> str:
    """A quarantined value as it may be shown: personal data masked."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    if not text.strip():
        return ""
    if field_name in NAME_FIELDS:
        return text[:1] + "*" * max(1, len(text) - 1)
    if field_name in PERSONAL_FIELDS:
        return f"<{field_name} masked>"
    return text


#: Provenance columns of a job's cells.
PROVENANCE = ["_file", "_sheet", "_row", "_school", "_term", "_grade_hint", "_class_hint"]


@dataclass
class SheetJob:
    """Every sheet of one kind, stacked: one column per field, plus where each
    row came from (file, sheet, row number, school, term). Cleaning a kind in
    one pass keeps the work per table, not per sheet."""

    cells: pd.DataFrame
    table: str
    #: (file, sheet) -> field -> the header label that sheet used
    labels: dict[tuple[str, str], dict[str, str]]
    #: (file, sheet) -> the form the sheet is
    forms: dict[tuple[str, str], Form]
    #: school name as written -> canonical (the dataset's aliases applied)
    school_of: object = None

    @classmethod
    def stack(cls, table: str, sheets: list["SheetInput"], school_of=None) -> "SheetJob":
        """One job over every sheet of a table: their cells stacked, with each sheet's labels and form kept for
        messages."""
        frames, labels, forms, where = [], {}, {}, []
        order: list[str] = []  # the columns in the order the sheets bring them, provenance after the first
        for s in sheets:
            raw, columns = s.sheet, s.columns
            # Built in one go with the cells as objects (letting pandas infer string columns and turning them
            # back costs more than the data); the provenance is added once for all sheets below.
            f = pd.DataFrame(raw.cells[list(columns.values())].to_numpy(dtype=object), columns=list(columns),
                             dtype=object)
            rows = raw.cells.source_row.to_numpy()
            when = s.form.feeds_when.get(table)
            if when:  # e.g. a register row feeds pairings only where it names a helper
                chosen = V.text(f[when]).notna().to_numpy() if when in f else np.zeros(len(f), dtype=bool)
                f, rows = f[chosen], rows[chosen]
            frames.append(f)
            where.append((len(f), raw.file, raw.sheet, rows, s.school, str(s.term),
                          np.nan if s.grade_hint is None else s.grade_hint,
                          np.nan if s.class_hint is None else s.class_hint))
            order += [c for c in [*columns, *([] if order else PROVENANCE)] if c not in order]
            labels[(raw.file, raw.sheet)] = {name: raw.labels[pos] for name, pos in columns.items()}
            forms[(raw.file, raw.sheet)] = s.form
        if not frames:
            cells = pd.DataFrame(columns=PROVENANCE)
        else:
            cells = pd.concat(frames, ignore_index=True)
            sizes = [w[0] for w in where]
            for i, name in ((1, "_file"), (2, "_sheet"), (4, "_school"), (5, "_term")):
                values = np.repeat(np.array([w[i] for w in where], dtype=object), sizes)
                cells[name] = pd.Series(values, dtype=object if name == "_school" else "str")
            cells["_row"] = np.concatenate([w[3] for w in where])
            for i, name in ((6, "_grade_hint"), (7, "_class_hint")):
                cells[name] = np.repeat(np.array([w[i] for w in where], dtype=float), sizes)
            cells = cells[order]
        for hint in ("_grade_hint", "_class_hint"):
            cells[hint] = cells[hint].astype("Int64") if len(cells) else pd.Series(dtype="Int64")
        return cls(cells.astype({c: object for c in cells.columns if c not in PROVENANCE}), table, labels, forms,
                   school_of)

    @property
    def fields(self) -> list[str]:
        """The fields the sheets hold (provenance columns left out)."""
        return [c for c in self.cells.columns if c not in PROVENANCE]

    def has(self, name: str) -> bool:
        """Whether any sheet holds the field."""
        return name in self.cells.columns

    def cell(self, name: str) -> pd.Series:
        """The raw cells of a field (empty where a sheet lacks it)."""
        if name not in self.cells.columns:
            return pd.Series(None, index=self.cells.index, dtype=object)
        return self.cells[name]

    def sheets_where(self, holds) -> pd.Series:
        """True for rows whose (file, sheet) satisfies ``holds(key)``; one test per sheet."""
        keys = pd.MultiIndex.from_arrays([self.cells._file, self.cells._sheet])
        chosen = [key for key in self.labels if holds(key)]
        return pd.Series(keys.isin(chosen) if chosen else np.zeros(len(keys), dtype=bool), index=self.cells.index,
                         dtype=bool)

    def present(self, name: str) -> pd.Series:
        """True for rows whose sheet has the field as a column."""
        return self.sheets_where(lambda key: name in self.labels[key])

    def label(self, name: str | None, index: pd.Index) -> list[str]:
        """The header label each row's sheet used for a field."""
        if not name:
            return [""] * len(index)
        rows = self.cells.loc[index]
        return [self.labels[(f, sh)].get(name, "") for f, sh in zip(rows._file, rows._sheet, strict=True)]


@dataclass
class SheetInput:
    """One recognised sheet, ready to stack: its form, field columns,
    resolved school (None where a school column decides row by row),
    term and grade hint (from its title, sheet name or file name)."""

    sheet: RawSheet
    columns: dict[str, int]
    form: Form
    school: str | None
    term: Term
    grade_hint: int | None = None
    #: the one class the sheet's title or the file name names (for sheets without a class column)
    class_hint: int | None = None


@dataclass
class RowChecks:
    """Why rows of a sheet cannot be cleaned, and which fields of kept rows
    were set to unknown (``issues``)."""

    job: SheetJob
    records: list = field(default_factory=list)
    bad: pd.Series | None = None
    issues: list = field(default_factory=list)

    def __post_init__(self):
        self.bad = pd.Series(False, index=self.job.cells.index)

    def lose(self, mask_: pd.Series, field_name: str, reason: str, out: pd.DataFrame, column: str | None = None,
             shown: pd.Series | None = None) -> None:
        """Make a field unknown where ``mask_`` holds, logging the reason; the rows stay."""
        mask_ = is_true(mask_)
        if not mask_.any():
            return
        column = column or field_name
        out.loc[mask_, column] = pd.NA
        shown = self.job.cell(field_name) if shown is None else shown
        rows = mask_[mask_].index
        self.issues.append(pd.DataFrame({
            "_index": rows, "column": self.job.label(field_name, rows), "reason": reason,
            "value": [mask(field_name, v) for v in shown[mask_]],
        }))

    def issue_frame(self) -> pd.DataFrame:
        """Field issues: file, sheet, row, column, reason, value (of rows kept)."""
        return self._placed([r for r in self.issues], keep_only=~self.bad)

    def fail(self, mask_: pd.Series, field_name: str | None, reason: str, shown: pd.Series | None = None) -> None:
        """Send rows where ``mask_`` holds to quarantine for ``reason``."""
        mask_ = is_true(mask_)
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
        return self._placed(self.records)

    def _placed(self, records: list, keep_only: pd.Series | None = None) -> pd.DataFrame:
        if not records:
            return pd.DataFrame(columns=["table", "file", "sheet", "row", "column", "reason", "value", "_index"])
        q = pd.concat(records, ignore_index=True)
        if keep_only is not None:
            q = q[keep_only.loc[q["_index"]].to_numpy()]
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
    """Provenance, the school and term."""
    cells = job.cells
    # The school: a 学校 column where the file has one, else the school resolved for the file.
    written = V.text(job.cell("school"))
    if job.school_of is not None:
        written = written.map(job.school_of, na_action="ignore")
    school = written.astype(object).fillna(cells._school.astype(object))
    out = pd.DataFrame({"_file": cells._file, "_sheet": cells._sheet, "_row": cells._row,
                        "school": school, "term": cells._term}, index=cells.index)
    checks.fail(school.isna(), "school", "missing_school")
    checks.fail(_duplicate_rows(cells.drop(columns=["_row", "_school", "_term", "_grade_hint", "_class_hint"])),
                None, "duplicate_row")
    return out


def _duplicate_rows(cells: pd.DataFrame) -> pd.Series:
    """Rows whose every cell reads as the same text as an earlier row's (file and sheet included). Only rows
    that already agree on their file, sheet and first field can be such a copy, so the whole rows are turned
    into text for those candidates alone."""
    probe = cells.columns[: min(3, len(cells.columns))]
    candidates = cells[probe].astype(str).duplicated(keep=False)
    duplicate = pd.Series(False, index=cells.index)
    if candidates.any():
        duplicate[candidates] = cells[candidates].astype(str).duplicated(keep="first").to_numpy()
    return duplicate


def _start(job: SheetJob, pupils: bool = True) -> tuple[pd.DataFrame, RowChecks]:
    """Every cleaner's first step: provenance and duplicate rows, then
    (for tables about pupils) what identifies the pupil."""
    checks = RowChecks(job)
    out = _base(job, checks)
    if pupils:
        _pupil_identifiers(job, checks, out)
    return out, checks


#: The row's pupil number, in order of preference (see :mod:`.identity`).
NUMBER_FIELDS = (("student_no", "学号"), ("exam_no", "考号"), ("registry_no", "学籍号"))


def _pupil_identifiers(job: SheetJob, checks: RowChecks, out: pd.DataFrame) -> None:
    """The row's number from its sheet's number column (学号, else 考号, else
    学籍号: a blank 学号 is no number, not a cue to read the 考号), a 学籍号
    beside it, and the name, ID number and birth date used to link rows
    without one."""
    number = pd.Series(np.nan, index=out.index, dtype=object)
    source = pd.Series(None, index=out.index, dtype=object)
    was_number = pd.Series(False, index=out.index)
    decided = pd.Series(False, index=out.index)
    for name, label in NUMBER_FIELDS:
        ids, numeric = V.student_ids(job.cell(name))
        take = ~decided & job.present(name)
        number = number.where(~take, ids)
        source = source.where(~(take & ids.notna()), label)
        was_number = was_number.where(~take, numeric)
        decided |= take
    checks.fail(number.notna() & ~is_true(number.str.fullmatch(r"[0-9A-Za-z]+")),
                "student_no", "malformed_student_no", number)
    out["student_no"] = number
    out["student_no_was_number"] = was_number.astype(bool)
    out["number_source"] = source
    registry, _ = V.student_ids(job.cell("registry_no"))
    out["registry_no"] = registry.where(source != "学籍号")
    out["_id_number"] = V.text(job.cell("id_number")).str.upper()
    out["_name"] = V.text(job.cell("name"))
    out["_birth"], _ = V.dates(job.cell("birth_date"))


def _class(job: SheetJob, checks: RowChecks, out: pd.DataFrame, required: bool = True) -> None:
    """Grade and class number from the class column (else the sheet name,
    else the one class a sheet's title or file name names: 七年级1班成绩.xlsx),
    or from the entry year (2024级1班) and the term; a class given alone
    ("1班", "01") takes its grade from a 年级 column, else the sheet's
    title, sheet name or file name."""
    in_sheet = job.present("class")
    source = job.cell("class").where(in_sheet, job.cells._sheet)
    grade, class_no = V.class_labels(source)
    cohort_grade, cohort_class = V.cohort_classes(source, start_years(job.cells._term))
    grade, class_no = grade.fillna(cohort_grade), class_no.fillna(cohort_class)
    class_no = class_no.fillna(job.cells._class_hint.astype("Int64").where(~in_sheet))
    if job.has("grade"):
        grade = grade.fillna(V.grades(job.cell("grade")))
    grade = grade.fillna(job.cells._grade_hint.astype("Int64"))
    unknown = grade.isna() | class_no.isna()
    if required:
        checks.fail(unknown & in_sheet, "class", "unknown_class")
        checks.fail(unknown & ~in_sheet, None, "unknown_class", source)
    out["grade"] = grade.where(~unknown)
    out["class_no"] = class_no.where(~unknown)


def _label(job, checks, out, name, domain, column=None) -> None:
    codes, unmapped = V.labels_to_codes(job.cell(name), domain)
    out[column or name] = codes
    checks.lose(unmapped.notna(), name, "unmapped_label", out, column)


def _yes_no(job, checks, out, name) -> None:
    """A yes/no field. On a form that declares it a marked list, a column
    holding only "yes" marks and blanks means "no" where blank."""
    cells = job.cell(name)
    codes, unmapped = V.labels_to_codes(cells, "yes_no")
    value = codes.map({"yes": True, "no": False}).astype("boolean")
    marked = job.sheets_where(lambda key: name in job.forms[key].marked and name in job.labels[key])
    if marked.any():
        sheet = job.cells._file + "\0" + job.cells._sheet
        has_no = (codes == "no").groupby(sheet).transform("any") | unmapped.notna().groupby(sheet).transform("any")
        value = value.mask(marked & ~has_no & V.text(cells).isna(), False)
    out[name] = value
    checks.lose(unmapped.notna(), name, "unmapped_label", out)


def _number(job, checks, out, name, lo, hi, integer=False, column=None) -> None:
    value, _, problem = V.numbers(job.cell(name), markers={})
    column = column or name
    out[column] = value
    for why in ("not_a_number", "excel_error"):
        checks.lose(problem == why, name, why, out, column)
    checks.lose(value.notna() & ((value < lo) | (value > hi)), name, "out_of_range", out, column)
    if integer:
        checks.lose(value.notna() & (value % 1 != 0), name, "not_a_whole_number", out, column)
        out[column] = out[column].astype("Float64").round().astype("Int64")


def _term_ends(job: SheetJob) -> pd.Series:
    return calendar_days(job.cells._term, "end")


def _school_year_starts(job: SheetJob) -> pd.Series:
    """First day of each row's school year (the start of its semester 1 in the school calendar)."""
    return calendar_days(school_years(job.cells._term) + "-1", "start")


#: A pupil's age at the start of the school year: a birth date implying an
#: age outside this range (born 1900, or 1950) is a typing error, not a pupil.
PUPIL_AGE = (3, 22)


def _date(job, checks, out, name, column=None, birth: bool = False) -> None:
    parsed, problem = V.dates(job.cell(name))
    column = column or name
    out[column] = parsed
    checks.lose(problem.notna(), name, "unparseable_date", out, column)
    checks.lose(parsed > _term_ends(job), name, "future_date", out, column)
    if birth:
        start = _school_year_starts(job)
        age = (start - parsed).dt.days / 365.25
        checks.lose(parsed.notna() & (parsed <= _term_ends(job)) & ((age < PUPIL_AGE[0]) | (age > PUPIL_AGE[1])),
                    name, "implausible_birth_date", out, column)


# --- one cleaner per table ------------------------------------------------------------

def clean_roster(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    """The pupil roster (学生花名册): class, gender, birth date and the ID-number check; a row without a pupil number or
    class goes to quarantine."""
    out, checks = _start(job)
    _class(job, checks, out)
    _label(job, checks, out, "gender", "gender")
    _date(job, checks, out, "birth_date", birth=True)
    out["id_number_check"] = V.check_id_numbers(job.cell("id_number"), out.birth_date, out.gender)
    _, status_from_name = V.split_status_from_names(job.cell("name"))
    _label(job, checks, out, "enrolment_status", "enrolment_status")
    out["enrolment_status"] = out.enrolment_status.fillna(status_from_name).fillna("enrolled")
    out["status_in_name"] = status_from_name
    return out[~checks.bad], checks


def clean_household(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    """Family surveys and the official register (留守儿童信息统计表).

    A register says which parents work away in one 留守类型 cell (父亲外出,
    母亲外出, 父母双方外出): a parent it names is away, the other at home,
    and both are listed. Its 外出时间 (when they left, or for how long; or
    父亲外出时间 and 母亲外出时间 apart) gives the away parents' months,
    capped at 12.
    """
    out, checks = _start(job)
    _class(job, checks, out, required=False)
    _label(job, checks, out, "family_type", "family_type")
    _label(job, checks, out, "left_behind_type", "left_behind_type")
    lb = out.left_behind_type
    away_by_type = {"father": lb.isin(["father_away", "both_away"]), "mother": lb.isin(["mother_away", "both_away"])}
    ends = _term_ends(job)
    months, problem = V.months_away(job.cell("away_since"), ends)
    out["_months_since"] = months
    checks.lose(problem.notna(), "away_since", "unparseable_date", out, "_months_since")
    for who in ("father", "mother"):  # a parent's own 外出时间 column, where the form has one
        own, problem = V.months_away(job.cell(f"{who}_away_since"), ends)
        out[f"_{who}_months_since"] = own.where(job.present(f"{who}_away_since"), out._months_since)
        checks.lose(problem.notna(), f"{who}_away_since", "unparseable_date", out, f"_{who}_months_since")
    for who in ("father", "mother"):
        listed = V.text(job.cell(f"{who}_name")).notna() | V.text(job.cell(f"{who}_phone")).notna()
        _yes_no(job, checks, out, f"{who}_away")
        # a form without a column for this parent's name lists the parent by its 留守类型, or by an answer
        # about this parent (父亲是否外出: 是 or 否 is about a father the household has)
        no_name_column = ~(job.present(f"{who}_name") | job.present(f"{who}_phone"))
        out[f"{who}_listed"] = listed | ((lb.notna() | out[f"{who}_away"].notna()) & no_name_column)
        typed = lb.notna() & ~job.present(f"{who}_away")
        out[f"{who}_away"] = out[f"{who}_away"].mask(typed, away_by_type[who]).astype("boolean")
        _number(job, checks, out, f"{who}_months_away", 0, 12, integer=True)
        from_since = ~job.present(f"{who}_months_away") & is_true(out[f"{who}_away"])
        out[f"{who}_months_away"] = out[f"{who}_months_away"].astype("Float64").mask(
            from_since, out[f"_{who}_months_since"].round()).astype("Int64")
        out[f"{who}_work_province"] = V.text(job.cell(f"{who}_work_province"))
    _yes_no(job, checks, out, "parent_unable_to_guard")
    _yes_no(job, checks, out, "boarding")
    relation, unmapped = V.relation_codes(job.cell("guardian_relation"))
    out["guardian_relation"] = relation
    checks.lose(unmapped.notna(), "guardian_relation", "unmapped_label", out)
    _number(job, checks, out, "guardian_age", 10, 110, integer=True)
    _label(job, checks, out, "guardian_health", "health")
    _label(job, checks, out, "guardian_education", "education")
    _label(job, checks, out, "care_type", "care_type")
    return out[~checks.bad], checks


def clean_archive(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    """Which of the 'five things known' (001 篇1) each archive holds."""
    out, checks = _start(job)
    _class(job, checks, out, required=False)
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
    score, reason, problem = V.numbers(stacked["score"], markers, unit="分")
    ranks = {kind: V.numbers(stacked[kind], markers)[0] for kind in ("class_rank", "school_rank")}
    rows = score.index.get_level_values(1)
    long = out.loc[rows].set_axis(score.index)
    long["subject"] = score.index.get_level_values(0)
    long["score"] = score
    long["absence_reason"] = reason
    for kind, r in ranks.items():
        long[f"{kind}_reported"] = r.where(r.notna() & (r >= 1) & (r % 1 == 0))
    limit = long.subject.map(SCORE_MAX).fillna(DEFAULT_SCORE_MAX)
    good_row = has & ~checks.bad.loc[rows].to_numpy()
    not_number = problem.notna() & good_row
    out_of_range = score.notna() & ((score < 0) | (score > limit)) & good_row
    for subject in subjects:
        cell_checks = RowChecks(job)
        for why in ("not_a_number", "excel_error"):
            cell_checks.fail(not_number.loc[subject] & (problem.loc[subject] == why), f"score:{subject}", why)
        cell_checks.fail(out_of_range.loc[subject], f"score:{subject}", "out_of_range")
        checks.records += cell_checks.records
    keep = good_row & ~(not_number | out_of_range).to_numpy()
    file_of_cell = job.cells._file.loc[rows].to_numpy()
    read = pd.Series(file_of_cell[has]).value_counts()
    quarantined = pd.Series(file_of_cell[has & ~keep]).value_counts()
    return long[keep].reset_index(drop=True), checks, read, quarantined


#: Header labels of a pairing list's helper column that say the helper is a teacher.
TEACHER_HELPER_LABELS = {"帮扶教师", "帮扶老师", "结对教师"}


def clean_pairings(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    """Pairing lists, and the 帮扶责任人 of a register. The helper's role is
    the 帮扶人类型 column, else the 职务, each read by the codebook and then by
    rule (:data:`..values.POST_RULES`: any …教师 / …老师 / 任课 / 科任 post and
    the school's other posts are ``teacher``; 班长, 学生干部 are ``peer``;
    村干部 ``community_cadre`` ...), else ``teacher`` where the helper column
    is headed 帮扶教师; otherwise unknown, with the post kept in ``helper_post``."""
    out, checks = _start(job)
    _class(job, checks, out, required=False)
    posts = {}
    for name, column in (("helper_role", "helper_role"), ("helper_position", "_role_from_position")):
        out[column], posts[name] = V.helper_roles(job.cell(name))
        checks.lose(posts[name].notna(), name, "unmapped_label", out, column)
    headed_teacher = pd.Series([lab in TEACHER_HELPER_LABELS for lab in job.label("helper_name", out.index)],
                               index=out.index, dtype=bool)
    out["helper_role"] = out.helper_role.fillna(out._role_from_position).where(
        lambda r: r.notna() | ~headed_teacher, "teacher")
    # the post no rule reads stays beside an unknown role, so `liushou score` can name it
    out["helper_post"] = posts["helper_role"].fillna(posts["helper_position"]).where(out.helper_role.isna())
    staff = V.text(job.cell("helper_staff_no"))
    peer_ids, _ = V.student_ids(job.cell("helper_student_no"))
    name = V.text(job.cell("helper_name"))
    phone = _phone_where_named_without(out.school, name, V.text(job.cell("helper_phone")),
                                       out.helper_role.isin(PUPIL_HELPER_ROLES))
    group = V.text(job.cell("group_name"))
    source = pd.Series(np.select(
        [(out.helper_role == "group_3211") & group.notna(), staff.notna(), peer_ids.notna(), name.notna()],
        ["group:" + group.fillna(""), "staff:" + staff.fillna(""), "pupil:" + peer_ids.fillna(""),
         "person:" + name.fillna("") + "|" + phone.fillna("")], ""), index=out.index)
    checks.fail(source == "", "helper_name", "missing_helper")
    out["helper_source"] = source
    _date(job, checks, out, "pairing_date")
    return out[~checks.bad], checks


def _phone_where_named_without(school: pd.Series, name: pd.Series, phone: pd.Series,
                               pupil: pd.Series) -> pd.Series:
    """A helper named without a phone (a register's 帮扶责任人) is the helper
    of that name with a phone elsewhere in the school's lists, when exactly
    one such helper exists; otherwise the name alone identifies them. A
    pupil helper (``pupil``) is never taken for an adult of the same name."""
    known = pd.DataFrame({"school": school, "name": name, "phone": phone, "pupil": pupil}).dropna().drop_duplicates()
    counts = known.groupby(["school", "pupil", "name"]).phone.agg(["nunique", "first"])
    only = counts["first"].where(counts["nunique"] == 1)
    lookup = pd.MultiIndex.from_arrays([school, pupil, name])
    filled = pd.Series(only.reindex(lookup).to_numpy(), index=phone.index)
    return phone.fillna(filled)


def clean_contacts(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    """The contact log: one row per pupil and month with the counts of calls, letters, visits and talks (the 五个一 and
    三个一 routines)."""
    out, checks = _start(job)
    _class(job, checks, out, required=False)
    month, problem = V.dates(job.cell("month"))
    checks.fail(problem.notna() | month.isna(), "month", "unparseable_date")
    start = _school_year_starts(job)  # a contact belongs to its term's school year, September to August
    checks.fail(month.notna() & ((month < start) | (month >= start + pd.DateOffset(years=1))), "month",
                "date_outside_school_year")
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
    """The award and conduct list: 三好学生 and serious violations as yes/no (a ticked list counts blanks as no)."""
    out, checks = _start(job)
    _class(job, checks, out, required=False)
    _yes_no(job, checks, out, "three_good")
    _yes_no(job, checks, out, "serious_violation")
    return out[~checks.bad], checks


def clean_classes(job: SheetJob) -> tuple[pd.DataFrame, RowChecks]:
    """The class list: each class with its head teacher (by staff number, else name) and size."""
    out, checks = _start(job, pupils=False)
    _class(job, checks, out)
    staff = V.text(job.cell("head_teacher_staff_no"))
    name = V.text(job.cell("head_teacher"))
    out["head_teacher_source"] = np.where(staff.notna(), "staff:" + staff.fillna(""),
                                          np.where(name.notna(), "person:" + name.fillna(""), ""))
    _number(job, checks, out, "class_size", 1, 150, integer=True)
    return out[~checks.bad], checks


#: Clean table -> its cleaner (exams have their own, :func:`clean_scores`).
CLEANERS = {"enrolment": clean_roster, "households": clean_household, "archive": clean_archive,
            "pairings": clean_pairings, "contacts": clean_contacts, "conduct": clean_conduct,
            "classes": clean_classes}
