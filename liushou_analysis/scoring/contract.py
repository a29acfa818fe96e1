"""Inputs and outputs of ``liushou score``: the evaluator's contract.

Inputs are CSV files or ``.xlsx`` sheets (``book.xlsx`` for the first
sheet, ``book.xlsx#Sheet`` for another) with these columns; the exact
English names or a Chinese header from the codebook (学号, 班级, 学年, 学期,
总分, 帮扶人编号, 帮扶人类型, 严重违纪, 三好学生, 班主任编号 ...) are accepted,
below title rows if there are any (the header is found as ``liushou clean``
finds it). A school year may be the scheme's year (1, 2, ...) or a calendar
school year (2024-2025, 2024学年, 2024), which is numbered from the
earliest in the inputs; a semester 1 or 2, or 第一学期 / 上学期 / 秋季学期
and 第二学期 / 下学期 / 春季学期:

- scores: pupil_id, class_id, school_year, semester, total_score
  (blank total or an absence marker = absent)
- pairings: helper_id, helper_role, pupil_id, school_year
- conduct: pupil_id, school_year, serious_violation, three_good (0/1, or 是/否)
- classes: class_id, school_year, head_teacher_id
- pupils (optional): pupil_id, and left_behind and/or single_parent (0/1
  or 是/否), optionally by school_year; or left_behind_either_parent,
  left_behind_strict_both_3m, left_behind_official_2016 when the records
  say which definition. Without it every paired pupil's status is unknown
  and ``status_unknown`` decides.

The scores may also have ``grade`` (年级: 7, 七年级, 初一 ...) and
``school``. With a grade, each pupil's scheme years start at their own
grade 7 (初一), as the plan says; without one, the school years are taken
as the scheme's years, and calendar school years are numbered from the
earliest, which is right only for a single grade-7 cohort (the command
says so).

Before scoring, the inputs are checked (a pupil in two classes in one
exam, a pairing for a pupil with no scores, duplicate rows, a semester
other than 1 or 2, a helper role not in the codebook, values that are not
numbers or 0/1). Each problem is one line naming the file and row; nothing
is scored unless every row is consistent, or the user asks to skip bad
rows, which are then listed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.cleaning import values as V
from liushou_analysis.core import codebook
from liushou_analysis.core.errors import UserError
from liushou_analysis.core.flags import is_true
from liushou_analysis.core.privacy import mask_one
from liushou_analysis.core.terms import SEMESTER_WORDS, Term, class_ids, school_years, semesters
from liushou_analysis.core.xlsxio import write_csv
from liushou_analysis.indicators.ranks import ranked_totals
from liushou_analysis.readers.rawread import csv_rows, header_row, normalise_label, workbook_rows
from liushou_analysis.scoring.engine import LEFT_BEHIND_DEFINITIONS
from liushou_analysis.store import CleanStore

CONTRACT = {
    "scores": ["pupil_id", "class_id", "school_year", "semester", "total_score"],
    "pairings": ["helper_id", "helper_role", "pupil_id", "school_year"],
    "conduct": ["pupil_id", "school_year", "serious_violation", "three_good"],
    "classes": ["class_id", "school_year", "head_teacher_id"],
    "pupils": ["pupil_id"],
}
#: Columns an input may have beyond the contract's.
OPTIONAL = {"scores": ["grade", "school"],
            "pupils": ["school_year", "left_behind", "single_parent",
                       "left_behind_either_parent", "left_behind_strict_both_3m", "left_behind_official_2016"]}
#: Codebook header codes whose labels also name a contract column.
_ALIASES = {"pupil_id": ["student_no", "exam_no", "registry_no"], "class_id": ["class"], "total_score": ["total_score"],
            "helper_id": ["helper_id", "helper_name"], "helper_role": ["helper_role", "helper_position"],
            "serious_violation": ["serious_violation"], "three_good": ["three_good"],
            "head_teacher_id": ["head_teacher_id", "head_teacher_staff_no", "head_teacher"],
            "school_year": ["school_year"], "semester": ["semester"], "grade": ["grade"], "school": ["school"],
            "left_behind": ["is_left_behind"], "single_parent": ["is_single_parent"]}


def _column_names() -> dict[str, str]:
    cb = codebook.load_codebook()
    names = {}
    for column, codes in _ALIASES.items():
        names[column] = column
        for label in cb.label[(cb.domain == "header") & cb.code.isin(codes)]:
            names.setdefault(normalise_label(label), column)
    return names


class Problems:
    """Row problems found while checking the inputs."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, frame: pd.DataFrame, mask: pd.Series, message: str | pd.Series) -> None:
        """Record ``message`` (one for all, or a Series: one per row) for every row of ``frame`` where ``mask``
        holds, by file and row."""
        rows = frame.loc[mask]
        messages = message.loc[rows.index] if isinstance(message, pd.Series) else [message] * len(rows)
        self.rows += [{"file": file, "row": int(line), "problem": text}
                      for line, file, text in zip(rows["_line"], rows["_file"], messages, strict=True)]

    def frame(self) -> pd.DataFrame:
        """The problems found, one row per file, row and problem."""
        return pd.DataFrame(self.rows, columns=["file", "row", "problem"]).drop_duplicates()


def read_table(spec: str, kind: str) -> pd.DataFrame:
    """Read one input (CSV, or an .xlsx sheet) and name its columns by the contract."""
    path_text, _, sheet = spec.partition("#")
    path = Path(path_text)
    if not path.is_file():
        raise UserError(f"{path}: the {kind} file does not exist; give the path of a .csv or .xlsx file.")
    data = path.read_bytes()
    if path.suffix.lower() == ".csv":
        _, grid = csv_rows(data, str(path))
    elif path.suffix.lower() in (".xlsx", ".xls"):
        grids = dict(workbook_rows(data, str(path)))
        if sheet and sheet not in grids:
            raise UserError(f"{path}: there is no sheet '{sheet}'; the sheets are {', '.join(grids)}.")
        grid = grids[sheet] if sheet else next(iter(grids.values()))
    else:
        raise UserError(f"{path}: the {kind} input must be a .csv or .xlsx file.")
    grid = [(n, row) for n, row in grid if any(str(v).strip() for v in row if v is not None)]
    if not grid:
        raise UserError(f"{path}: the {kind} file is empty; it needs a header row with "
                        f"{', '.join(CONTRACT[kind])}.")
    names = _column_names()
    at = header_row(grid, {n for n, c in names.items() if c in CONTRACT[kind] + OPTIONAL.get(kind, [])})
    if at is None:
        wanted = ", ".join(CONTRACT[kind] + OPTIONAL.get(kind, [])[1:3] if kind == "pupils" else CONTRACT[kind])
        raise UserError(f"{path}: no header row with the {kind} columns ({wanted}) in its first "
                        "rows; put the column names in one row above the data.")
    header = [names.get(normalise_label(v), normalise_label(v)) for v in grid[at][1]]
    missing = [c for c in CONTRACT[kind] if c not in header]
    if missing:
        has = mask_one(", ".join(str(v) for v in grid[at][1] if v is not None))  # a data row may stand there
        raise UserError(f"{path}: the {kind} file lacks the column(s) {', '.join(missing)} (it has {has[:200]}); "
                        "name them as in the contract.")
    rows = [list(r) + [None] * (len(header) - len(r)) for _, r in grid[at + 1:]]
    frame = pd.DataFrame([r[: len(header)] for r in rows], columns=header, dtype=object)
    if kind == "pupils" and not {"left_behind", "single_parent", *OPTIONAL["pupils"][3:]} & set(header):
        raise UserError(f"{path}: the pupils file has no status column; give left_behind (是否留守儿童) and/or "
                        "single_parent (是否单亲) as 0/1 or 是/否.")
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame = frame[CONTRACT[kind] + [c for c in OPTIONAL.get(kind, []) if c in frame]]
    frame["_file"] = str(path)
    frame["_line"] = [n for n, _ in grid[at + 1:]]
    return frame


_CALENDAR_YEAR = (r"^(?P<y>(?:19|20)\d{2})(?:\s*[-—~至/]\s*(?:19|20)?\d{2,4})?(?:学年|年|学年度)?"
                  r"(?:第?[一二12上下]学期)?$")


def _semester(frame, problems, kind):
    t = V.text(frame.semester).str.replace(r"\.0$", "", regex=True)
    value = t.map(SEMESTER_WORDS)
    problems.add(frame, value.isna(), f"{kind}: semester must be 1 or 2 (or 第一学期/上学期/秋季学期, "
                                      "第二学期/下学期/春季学期)")
    return value.astype("Int64")


def _school_year_text(frame, problems, kind) -> pd.Series:
    """A school year as the scheme's number (1, 2 ...) or a calendar start
    year (2024 from 2024-2025, 2024学年 or 2024); renumbered across the
    inputs by :func:`_number_school_years`."""
    t = V.text(frame.school_year).str.replace(r"\.0$", "", regex=True)
    calendar = pd.to_numeric(t.str.extract(_CALENDAR_YEAR, expand=True)["y"], errors="coerce")
    scheme = pd.to_numeric(t.where(is_true(t.str.fullmatch(r"\d{1,2}"))), errors="coerce")
    value = calendar.fillna(scheme)
    problems.add(frame, value.isna(), f"{kind}: school_year must be the scheme's year (1, 2 ...) or a school year "
                                      "such as 2024-2025")
    return value


def _number_school_years(frames: list[pd.DataFrame], problems) -> None:
    """Calendar school years become scheme years numbered from the earliest
    one in the inputs; inputs may not mix the two kinds."""
    values = pd.concat([f.school_year for f in frames])
    calendar = values >= 1900
    if calendar.any() and (values.notna() & ~calendar).any():
        for f in frames:
            problems.add(f, f.school_year.notna() & (f.school_year < 1900),
                         "school_year mixes the scheme's numbering (1, 2 ...) with calendar years (2024-2025); use "
                         "one kind in all four inputs")
    first = values[calendar].min() if calendar.any() else None
    for f in frames:
        y = f.school_year
        f["school_year"] = (y - first + 1).where(y >= 1900, y).astype("Int64") if first is not None else \
            y.astype("Int64")


def _ids(frame, column, problems, kind):
    ids = V.text(frame[column])
    problems.add(frame, ids.isna(), f"{kind}: {column} is empty")
    return ids


def _flag(frame, column, problems, kind):
    if pd.api.types.is_bool_dtype(frame[column]):  # already 0/1 (the clean tables' status)
        return frame[column].astype("Float64").astype(float)
    codes, unmapped = V.labels_to_codes(frame[column].map(lambda v: v if not isinstance(v, int | float) or pd.isna(v)
                                                          else str(int(v))), "yes_no")
    text = V.text(frame[column])
    value = pd.Series(np.where(text.isin(["1"]) | (codes == "yes"), 1.0,
                               np.where(text.isin(["0"]) | (codes == "no"), 0.0, np.nan)), index=frame.index)
    problems.add(frame, text.notna() & value.isna(), f"{kind}: {column} must be 0 or 1")
    return value


def check_inputs(scores, pairings, conduct, classes, pupils=None, max_total: float | None = None
                 ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Parse and check the inputs (``pupils`` optional); return clean frames
    and the problems found. A total above ``max_total`` (default: the most
    the cleaning accepts for a total, ten subjects' full marks) is a problem,
    not a pupil who came first."""
    from liushou_analysis.cleaning.tables import SCORE_MAX

    max_total = SCORE_MAX["total"] if max_total is None else max_total
    problems = Problems()
    s = scores.copy()
    if "grade" in s:
        grade = V.grades(s.grade)
        problems.add(s, V.text(s.grade).notna() & grade.isna(), "scores: grade is not a grade (7, 七年级, 初一 ...)")
        s["grade"] = grade.astype("float64")
    if "school" in s:
        s["school"] = V.text(s.school)
    s["pupil_id"] = _ids(s, "pupil_id", problems, "scores")
    s["class_id"] = _ids(s, "class_id", problems, "scores")
    s["school_year"] = _school_year_text(s, problems, "scores")
    s["semester"] = _semester(s, problems, "scores")
    total, _, bad_total = V.numbers(s.total_score, unit="分")
    problems.add(s, bad_total == "not_a_number", "scores: total_score is not a number (leave it blank for an "
                                                 "absent pupil)")
    problems.add(s, bad_total == "excel_error", "scores: total_score is an Excel error (#N/A, #DIV/0! ...): the "
                                                "formula behind it failed; fix it in the workbook")
    problems.add(s, total < 0, "scores: total_score is negative")
    problems.add(s, total > max_total, f"scores: total_score is above {max_total:g}, more than any exam's full "
                                       "marks (a typing error?); fix it, or give --max-total")
    s["total_score"] = total
    exam = ["pupil_id", "school_year", "semester"]
    problems.add(s, s.duplicated(exam + ["class_id", "total_score"], keep=False), "scores: duplicate row")
    classes_per_exam = s.groupby(exam).class_id.transform("nunique")
    problems.add(s, classes_per_exam > 1, "scores: the pupil is in two classes in one exam")
    problems.add(s, s.duplicated(exam, keep=False) & (classes_per_exam == 1)
                 & ~s.duplicated(exam + ["class_id", "total_score"], keep=False),
                 "scores: the pupil has two different totals in one exam")

    p = pairings.copy()
    p["helper_id"] = _ids(p, "helper_id", problems, "pairings")
    p["pupil_id"] = _ids(p, "pupil_id", problems, "pairings")
    p["school_year"] = _school_year_text(p, problems, "pairings")
    role_text = V.text(p.helper_role)
    codes, _ = V.helper_roles(p.helper_role)
    known_codes = list(dict.fromkeys(codebook.codes("helper_role")))
    p["helper_role"] = codes.where(codes.notna(), role_text.where(role_text.isin(known_codes)))
    post = (V.text(p.helper_post) if "helper_post" in p else pd.Series(None, index=p.index, dtype=object)
            ).astype(object).fillna(role_text.astype(object))
    problems.add(p, p.helper_role.isna(),
                 f"pairings: helper_role is not in the codebook ({', '.join(known_codes)}, or their Chinese labels "
                 "in docs/forms.md): helper " + p.helper_id.astype("string").fillna("?") + "'s post 「"
                 + post.astype("string").fillna("") + "」 is not a role the plan names, so the helper is neither "
                 "paid nor counted; write the post as one of them, or add it under [labels.helper_role] in the "
                 "dataset's liushou.toml")
    problems.add(p, p.duplicated(["helper_id", "pupil_id", "school_year"], keep=False), "pairings: duplicate row")
    problems.add(p, p.pupil_id.notna() & ~p.pupil_id.isin(s.pupil_id), "pairings: the pupil has no scores")

    c = conduct.copy()
    c["pupil_id"] = _ids(c, "pupil_id", problems, "conduct")
    c["school_year"] = _school_year_text(c, problems, "conduct")
    c["serious_violation"] = _flag(c, "serious_violation", problems, "conduct")
    c["three_good"] = _flag(c, "three_good", problems, "conduct")
    problems.add(c, c.duplicated(["pupil_id", "school_year"], keep=False), "conduct: duplicate row")

    k = classes.copy()
    k["class_id"] = _ids(k, "class_id", problems, "classes")
    k["school_year"] = _school_year_text(k, problems, "classes")
    u = _check_pupils(pupils, problems)
    _number_school_years([s, p, c, k] + ([u] if u is not None and "school_year" in u else []), problems)
    problems.add(p, p.school_year.notna() & ~p.school_year.isin(s.school_year.dropna()),
                 "pairings: no scores in that school year")
    k["head_teacher_id"] = _ids(k, "head_teacher_id", problems, "classes")
    problems.add(k, k.duplicated(["class_id", "school_year"], keep=False), "classes: the class is listed twice")
    out = {"scores": s, "pairings": p, "conduct": c, "classes": k}
    if u is not None:
        out["pupils"] = u
    return out, problems.frame()


def _check_pupils(pupils, problems) -> pd.DataFrame | None:
    """The optional pupil-status input with the scoring's status columns
    (``left_behind`` fills every definition the file does not name)."""
    if pupils is None:
        return None
    u = pupils.copy()
    u["pupil_id"] = _ids(u, "pupil_id", problems, "pupils")
    if "school_year" in u:
        u["school_year"] = _school_year_text(u, problems, "pupils")
    for column in ["left_behind", "single_parent", *(f"left_behind_{d}" for d in LEFT_BEHIND_DEFINITIONS)]:
        if column in u:
            u[column] = _flag(u, column, problems, "pupils").astype("boolean")
    for d in LEFT_BEHIND_DEFINITIONS:
        if f"left_behind_{d}" not in u and "left_behind" in u:
            u[f"left_behind_{d}"] = u.left_behind
    problems.add(u, u.duplicated(["pupil_id"] + (["school_year"] if "school_year" in u else []), keep=False),
                 "pupils: duplicate row")
    return u


def scheme_year_note(raw_scores: pd.DataFrame) -> str | None:
    """A sentence when the scores have no grade, so the school years are the
    scheme's years as given (right only for one grade-7 cohort)."""
    if "grade" in raw_scores and V.text(raw_scores.grade).notna().any():
        return None
    calendar = V.text(raw_scores.school_year).str.contains(r"(?:19|20)\d{2}", regex=True)
    calendar = is_true(calendar).any()
    how = ("calendar school years are numbered from the earliest" if calendar
           else "school year 1 is taken as every pupil's grade 7")
    return (f"Note: the scores have no grade column, so {how}; add 年级 (grade) to base each pupil on their own "
            "初一 semester-1 final, as the plan says.")


def drop_problem_rows(tables: dict[str, pd.DataFrame], problems: pd.DataFrame
                      ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The inputs without the rows that have problems, and the problems.

    A paired pupil all of whose score rows were skipped has no valid score:
    their pairing rows are dropped too, with the problem "no valid score"
    (never paid as if the pupil had been absent).
    """
    bad = pd.MultiIndex.from_arrays([problems.file.astype(str), problems.row.astype(int)])
    out = {}
    for name, frame in tables.items():
        where = pd.MultiIndex.from_arrays([frame._file.astype(str), frame._line.astype(int)])
        out[name] = frame[~where.isin(bad)]
    had = set(tables["scores"].pupil_id.dropna())
    left = set(out["scores"].pupil_id.dropna())
    p = out["pairings"]
    lost = p.pupil_id.isin(had - left)
    if lost.any():
        extra = pd.DataFrame({"file": p._file[lost], "row": p._line[lost].astype(int),
                              "problem": "pairings: no valid score for the pupil (every score row was skipped); "
                                         "not paid"})
        problems = pd.concat([problems, extra], ignore_index=True)
        out["pairings"] = p[~lost]
    return out, problems


def problem_lines(problems: pd.DataFrame, limit: int = 20) -> list[str]:
    """One line per file and problem, with the rows it affects ("rows 2-40,
    45"), so a column in the wrong format is one line, not one per row."""
    lines = []
    for (file, problem), rows in problems.groupby(["file", "problem"], sort=False).row:
        lines.append(f"{file} {_row_ranges(sorted(set(int(r) for r in rows)))}: {problem}")
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])


def _row_ranges(rows: list[int]) -> str:
    """[2, 3, 4, 7] -> 'rows 2-4, 7'."""
    runs, start = [], rows[0]
    for a, b in zip(rows, rows[1:] + [None], strict=True):
        if b != a + 1:
            runs.append(f"{start}-{a}" if a != start else f"{a}")
            start = b
    shown = ", ".join(runs[:6]) + (f" and {len(runs) - 6} more" if len(runs) > 6 else "")
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}"


def term_school_year(exam_terms, term: str, lang: str = "en") -> tuple[int | None, str]:
    """The school year (numbered as in :func:`from_clean`) whose payouts a
    report for ``term`` shows, and why (in ``lang``, "en" or "zh"): the
    term's own year when the term is semester 2 (the plan pays on the
    end-of-year exam), else the year before; None when no school year has
    ended by then. ``exam_terms`` are the terms of the clean exams table."""
    years = sorted({Term.parse(t).school_year for t in exam_terms})
    this = Term.parse(term)
    year = this.school_year if this.semester == 2 else this.previous_year().school_year
    zh = lang == "zh"
    if year not in years:
        return None, (f"到{term}为止还没有学年结束，尚无可付的奖励" if zh else
                      f"no school year has ended by {term}, so there is nothing to pay yet")
    if this.semester == 2:
        why = "方案在学年末按第二学期期末考试付酬" if zh else \
            "the plan pays at the end of the school year, on the semester-2 exam"
    else:
        why = f"{term}是第一学期；方案在学年末付酬，所以这是最近一个完整学年" if zh else \
            f"{term} is semester 1; the plan pays at the end of the school year, so this is the last complete one"
    return years.index(year) + 1, (f"{year}学年（{why}）" if zh else f"school year {year} ({why})")


def from_clean(store: CleanStore | Path) -> dict[str, pd.DataFrame]:
    """The scoring inputs from ``liushou clean`` tables.

    School years are numbered from the dataset's first school year; each
    pupil's scheme years come from their grade (``scores.grade``), so the
    plan's baseline is the pupil's own 初一 (:func:`scoring.plan_exams`). A
    class is one school's grade and class number in a school year; the total
    of a pupil who missed any subject is treated as absent, as schools do
    (缺考，不计排名). ``scores`` also carries ``school`` and ``grade_group``
    (school, school year and grade), which the audit uses to compare pupils
    across classes. ``pupils`` holds each pupil's left-behind status under
    every definition and single-parent status per school year (from the
    households table; missing where the dataset has none).
    """
    store = store if isinstance(store, CleanStore) else CleanStore(store)
    t = store.tables(["exams", "pairings", "conduct", "classes"])
    years = sorted(school_years(t["exams"].term).unique())
    year_of = {y: i + 1 for i, y in enumerate(years)}

    def school_year(term):
        return school_years(term).map(year_of)

    total = ranked_totals(t["exams"])
    scores = pd.DataFrame({"pupil_id": total.pupil_key, "class_id": class_ids(total, per="school_year"),
                           "school_year": school_year(total.term), "semester": semesters(total.term),
                           "total_score": total.score, "grade": total.grade.astype("float64"), "school": total.school,
                           "grade_group": (total.school + "-" + school_years(total.term) + "-"
                                           + total.grade.astype(str))})
    pr = t["pairings"]
    pairings = pd.DataFrame({"helper_id": pr.helper_key, "helper_role": pr.helper_role, "pupil_id": pr.pupil_key,
                             "school_year": school_year(pr.term), "helper_post": pr.helper_post}).drop_duplicates()
    co = t["conduct"]
    conduct = pd.DataFrame({"pupil_id": co.pupil_key, "school_year": school_year(co.term),
                            "serious_violation": co.serious_violation.astype("Float64"),
                            "three_good": co.three_good.astype("Float64")})
    cl = t["classes"].sort_values("term")
    classes = pd.DataFrame({"class_id": class_ids(cl, per="school_year"), "school_year": school_year(cl.term),
                            "head_teacher_id": cl.head_teacher_key}).drop_duplicates(["class_id", "school_year"],
                                                                                     keep="last")
    return {"scores": scores, "pairings": pairings, "conduct": conduct.astype({"serious_violation": float,
                                                                              "three_good": float}),
            "classes": classes, "pupils": pupil_status(store, year_of)}


def pupil_status(store: CleanStore, year_of: dict[str, int]) -> pd.DataFrame | None:
    """Left behind under each definition and single-parent (or orphaned),
    per pupil and school year, from the clean households and pupils tables;
    a pupil counts as left behind in a school year when any record of that
    year says so. None when the dataset has no households table."""
    from liushou_analysis.indicators import status

    if not store.has("households"):
        return None
    t = store.tables(["households", "pupils"])
    h = t["households"]
    lb = status.left_behind_status(h, t["pupils"])
    care = status.care_arrangement(h)
    frame = pd.DataFrame({"pupil_id": h.pupil_key, "school_year": school_years(h.term).map(year_of)})
    for d in status.DEFINITIONS:
        frame[f"left_behind_{d}"] = lb[d].astype("boolean")
    frame["single_parent"] = (care.single_parent | care.orphan).astype("boolean")
    frame = frame.dropna(subset=["school_year"]).astype({"school_year": "int64"})
    # any record of the year saying True wins; all missing stays missing
    return frame.groupby(["pupil_id", "school_year"], as_index=False).max()


def write_outputs(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Each table as CSV (UTF-8 with BOM, so Excel shows Chinese), with the machine names and codes other programs
    read back; the workbook for the school, in Chinese, is :func:`..report.export.payout_workbook`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        write_csv(frame, path)
        written.append(path)
    return written
