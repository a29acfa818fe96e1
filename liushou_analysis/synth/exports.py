"""Render the true county as the files its schools would export.

Each function here builds the sheets of one export file (one school, one
term) from the truth tables, and adds the defects real exports have, each at
the seeded rate set in :class:`~.calibration.Messiness`. Every defect put
into a cell or row is logged (file, sheet, row, column, kind, detail) so
that validation code can check that cleaning found it.

Files per term and school (``<term>/<school>_<table>.xlsx|csv``; a school
that keeps its files the office way writes ``<term>/<school>/<name as the
office names it>.xlsx|xls``, see :data:`OFFICE_NAMES`):

============ =================== ===========================================
table        Chinese name        when
============ =================== ===========================================
roster       学生名册            every semester
classes      班级信息            every semester
scores       期末成绩 (per grade) every semester (the semester's final exam)
pairings     结对帮扶名单        every semester (pairings active in it)
contacts     留守儿童联系记录    every semester (left-behind pupils, monthly)
household    家庭情况调查表      semester 1 (the year's family survey)
archive      留守儿童档案        semester 1 (left-behind pupils)
conduct      评优及违纪          semester 2 (the school year's record)
register     留守儿童信息统计表  semester 1, office-kept schools: the
                                 left-behind pupils (the others are in the
                                 family survey)
============ =================== ===========================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from liushou_analysis.core import codebook
from liushou_analysis.synth.calibration import Messiness
from liushou_analysis.synth.model import GRADE_ZH, SUBJECTS_BY_GRADE, County
from liushou_analysis.synth.writers import Sheet

TABLE_ZH = {
    "roster": "学生名册", "classes": "班级信息", "scores": "期末成绩", "pairings": "结对帮扶名单",
    "contacts": "留守儿童联系记录", "household": "家庭情况调查表", "archive": "留守儿童档案",
    "conduct": "评优及违纪",
}
SEMESTER_ZH = {1: "第一学期", 2: "第二学期"}
#: File names of a school that keeps its files the office way (the scores' name is per grade and term).
OFFICE_NAMES = {
    "roster": "学生花名册", "classes": "班级及班主任一览表", "pairings": "结对帮扶名单",
    "contacts": "留守儿童亲情联系记录", "household": "家庭情况调查表", "archive": "留守儿童档案",
    "conduct": "三好学生及违纪情况汇总", "register": "留守儿童信息统计表",
}
#: The post a pairing list gives for each helper type (职务).
HELPER_POSTS = {"teacher": ("班主任", "任课教师"), "caring_mother": ("爱心妈妈",), "volunteer": ("志愿者",),
                "peer": ("小老师",), "group_3211": ("3+2+1+1小组",)}
GRADE_JUNIOR = {7: "初一", 8: "初二", 9: "初三"}
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ABSENCE_MARKERS = ["缺考", "缺", "Q", "-"]
NOT_RANKED = "缺考，不计排名"
STATUS_WORDS = ["（转入）", "(借读)", "（休学）", "(转出)"]
DATE_TEXT_FORMATS = ["excel_serial_text", "chinese", "dotted", "compact", "iso", "slashed"]


def to_fullwidth(text: str) -> str:
    """Replace ASCII digits by full-width ones (１２ for 12)."""
    return text.translate(_FULLWIDTH)


def excel_serial(dates: pd.Series) -> pd.Series:
    """Excel 1900-system serial day numbers of dates."""
    return (pd.to_datetime(dates) - pd.Timestamp("1899-12-30")).dt.days


@dataclass
class FileMess:
    """The defects of one export file: a random stream, the rates, the log."""

    rng: np.random.Generator
    rates: Messiness
    events: list = field(default_factory=list)
    _headers: dict = field(default_factory=dict)

    def pick(self, n: int, rate: float) -> np.ndarray:
        """Which of ``n`` rows a mess of probability ``rate`` hits."""
        return self.rng.random(n) < rate

    def log(self, rows, column: str, kind: str, detail=None) -> None:
        """Record a mess made in ``rows`` of ``column`` (the truth folder lists every one)."""
        rows = np.asarray(rows)
        if len(rows):
            det = detail if detail is not None else ""
            self.events.append(pd.DataFrame({"_row": rows, "column": column, "kind": kind,
                                             "detail": np.asarray(det, dtype=object) if not isinstance(det, str)
                                             else det}))

    def header(self, code: str) -> str:
        """The header label this file uses for a field (a variant at the set rate)."""
        if code not in self._headers:
            options = codebook.labels("header", code, written=True)
            if code == "student_no":  # schools head the pupil's number 学号, 考号 or 学籍号
                options = (options + codebook.labels("header", "exam_no")[:1]
                           + codebook.labels("header", "registry_no")[:1])
            use_variant = len(options) > 1 and self.rng.random() < self.rates.header_variant_share
            self._headers[code] = options[1 + self.rng.integers(len(options) - 1)] if use_variant else options[0]
        return self._headers[code]

    def labels(self, domain: str, codes: np.ndarray, rows: np.ndarray, column: str, rate: float,
               kind: str = "label_variant") -> np.ndarray:
        """Codebook labels for codes, a non-preferred spelling at ``rate``.
        An empty code stays an empty cell."""
        codes = np.asarray(codes, dtype=object)
        out = np.full(len(codes), "", dtype=object)
        changed = np.zeros(len(codes), dtype=bool)
        variant = self.pick(len(codes), rate)
        for code in pd.unique(codes):
            if code == "":
                continue
            m = codes == code
            opts = np.array(codebook.labels(domain, code, written=True), dtype=object)
            out[m] = opts[0]
            if len(opts) > 1:
                swap = m & variant
                out[swap] = opts[self.rng.integers(1, len(opts), size=swap.sum())]
                changed |= swap
        self.log(rows[changed], column, kind, out[changed])
        return out

    # --- cell renderers -----------------------------------------------------------
    def student_ids(self, ids: pd.Series, rows: np.ndarray, column: str, numeric: bool) -> np.ndarray:
        """School numbers: as numbers (losing leading zeros) or text, some
        with a leading apostrophe."""
        ids = ids.astype(str).to_numpy()
        if numeric:
            lost = np.char.startswith(ids.astype(str), "0")
            self.log(rows[lost], column, "id_lost_leading_zeros", ids[lost])
            return pd.Series(ids).astype("int64").to_numpy().astype(object)
        apos = self.pick(len(ids), self.rates.id_apostrophe_share)
        self.log(rows[apos], column, "id_leading_apostrophe")
        return np.where(apos, "'" + pd.Series(ids, dtype=object), pd.Series(ids, dtype=object)).astype(object)

    def dates(self, dates: pd.Series, rows: np.ndarray, column: str, as_csv: bool) -> np.ndarray:
        """Dates: a real date cell, or text in one of the formats schools type."""
        d = pd.to_datetime(pd.Series(dates).reset_index(drop=True))
        text = self.pick(len(d), self.rates.date_text_share) | as_csv
        fmt = np.array(DATE_TEXT_FORMATS, dtype=object)[self.rng.integers(0, len(DATE_TEXT_FORMATS), len(d))]
        fmt = np.where(as_csv & ~self.pick(len(d), self.rates.date_text_share), "iso", fmt)
        y, m, dd = d.dt.year.astype("Int64").astype(str), d.dt.month.astype("Int64").astype(str), \
            d.dt.day.astype("Int64").astype(str)
        rendered = {
            "excel_serial_text": excel_serial(d).astype("Int64").astype(str),
            "chinese": y + "年" + m + "月" + dd + "日",
            "dotted": y + "." + m + "." + dd,
            "compact": d.dt.strftime("%Y%m%d"),
            "iso": d.dt.strftime("%Y-%m-%d"),
            "slashed": y + "/" + m + "/" + dd,
        }
        out = np.empty(len(d), dtype=object)
        out[:] = list(d)
        for f, values in rendered.items():
            m_ = text & (fmt == f) & d.notna().to_numpy()
            out[m_] = values.to_numpy()[m_]
        out[d.isna().to_numpy()] = None
        logged = text & d.notna().to_numpy() & (fmt != "iso")
        self.log(rows[logged], column, "date_as_text", fmt[logged])
        return out

    def fullwidth(self, values: np.ndarray, rows: np.ndarray, column: str) -> np.ndarray:
        """Some cells typed with full-width digits (七年级２班)."""
        values = np.asarray(values, dtype=object)
        has_digit = pd.Series(values, dtype=object).astype(str).str.contains(r"\d", regex=True).to_numpy()
        fw = self.pick(len(values), self.rates.fullwidth_share) & has_digit
        out = values.copy()
        out[fw] = [to_fullwidth(str(v)) for v in values[fw]]
        self.log(rows[fw], column, "fullwidth_digits", out[fw])
        return out

    def names(self, names: pd.Series, rows: np.ndarray, column: str, transferred_now: np.ndarray) -> np.ndarray:
        """Pupils' names, with a status word typed into the name cell for
        some pupils (a transfer noted as '（转入）')."""
        names = names.astype(object).to_numpy()
        add = self.pick(len(names), self.rates.status_in_name_share) | (
            transferred_now & self.pick(len(names), 0.3))
        words = np.array(STATUS_WORDS, dtype=object)[self.rng.integers(0, len(STATUS_WORDS), len(names))]
        words = np.where(transferred_now, "（转入）", words)
        out = names.copy()
        out[add] = names[add] + words[add]
        self.log(rows[add], column, "status_word_in_name", words[add])
        return out


def _yes_no(mess: FileMess, flags: np.ndarray, applies: np.ndarray, rows, column) -> np.ndarray:
    """是/否 with variants (有/无/√, blank for no); blank where not applicable."""
    codes = np.where(flags, "yes", "no").astype(object)
    out = mess.labels("yes_no", codes, rows, column, 0.3, kind="yes_no_variant")
    blank_no = (~flags) & mess.pick(len(flags), 0.1)
    out[blank_no] = ""
    mess.log(rows[blank_no & applies], column, "blank_for_no")
    out[~applies] = ""
    return out


def layout(mess: FileMess, frame: pd.DataFrame, name: str, title: str | None, groups=None,
           shuffle_rows: bool | None = None) -> Sheet:
    """Finish a sheet: row order, blank and duplicated rows, stray wide cells."""
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if shuffle_rows is None:
        shuffle_rows = bool(mess.pick(1, mess.rates.shuffled_rows_share)[0])
    if shuffle_rows:
        frame = frame.iloc[mess.rng.permutation(n)].reset_index(drop=True)
    rows = frame["_row"].to_numpy()
    blank = rows[mess.pick(n, mess.rates.blank_row_share)]
    dup = rows[mess.pick(n, mess.rates.duplicate_row_share)]
    mess.log(blank, "", "blank_row_after")
    mess.log(dup, "", "duplicated_row")
    wide = bool(mess.pick(1, mess.rates.wide_empty_columns_share)[0])
    if title and not mess.pick(1, mess.rates.title_row_share)[0]:
        title = None
    return Sheet(name=name, frame=frame, title=title, groups=groups or [], blank_after=blank,
                 duplicated=dup, wide_empty=wide)


def _base(d: pd.DataFrame) -> pd.DataFrame:
    """Bookkeeping columns every export frame carries (dropped on writing)."""
    return pd.DataFrame({"_row": np.arange(len(d)), "_pupil_uid": d.pupil_uid.to_numpy()
                         if "pupil_uid" in d else 0})


@dataclass
class Context:
    """What the builders need about one school and term."""

    county: County
    school: pd.Series
    term: pd.Series
    as_csv: bool
    ids_numeric: bool
    #: This school's rows of each table for this term (see :func:`slice_term`).
    data: dict[str, pd.DataFrame]
    #: School number of every pupil (peer helpers are pupils).
    student_no_of: pd.Series
    #: The school keeps its files the office way (see :data:`OFFICE_NAMES`).
    kept: bool = False

    @property
    def title_prefix(self) -> str:
        """The school and term words a title row starts with."""
        return f"{self.school.school_name}{self.term_words}"

    @property
    def term_words(self) -> str:
        """The term as schools write it, ``2024-2025学年第一学期``."""
        t = self.term
        y = self.county.start_year + int(t.year_index)
        return f"{y}-{y + 1}学年{SEMESTER_ZH[int(t.semester)]}"


def slice_term(county: County, pupils: pd.DataFrame, term: pd.Series) -> dict[int, dict[str, pd.DataFrame]]:
    """Each school's rows of every table for one term, cut once per term.

    ``present`` is the pupils enrolled that term with their identity columns
    (``pupils`` carries the ID number as recorded).
    """
    t, y = int(term.term_index), int(term.year_index)
    c = county
    present = (c.enrolment[c.enrolment.term_index == t].merge(pupils, on=["pupil_uid", "school_id"])
               .sort_values(["school_id", "grade", "class_no", "student_no"]))
    school_of = present[["pupil_uid", "school_id"]]
    tables = {
        "present": present,
        "classes": c.classes[c.classes.term_index == t],
        "exams": c.exams[c.exams.term_index == t].merge(school_of, on="pupil_uid"),
        "households": c.households[c.households.year_index == y].merge(school_of, on="pupil_uid"),
        "archive": c.archive[c.archive.year_index == y],
        "pairings": c.pairings[(c.pairings.start_term <= t) & (c.pairings.end_term >= t)],
        "contacts": c.contacts[c.contacts.term_index == t],
        "conduct": c.conduct[(c.conduct.year_index == y) & ~c.conduct.record_missing],
    }
    out: dict[int, dict[str, pd.DataFrame]] = {int(s): {} for s in c.schools.school_id}
    for name, frame in tables.items():
        groups = dict(tuple(frame.groupby("school_id", sort=False)))
        for school in out:
            out[school][name] = groups.get(school, frame.iloc[:0])
    return out


def _present(ctx: Context) -> pd.DataFrame:
    return ctx.data["present"]


def _class_labels(mess: FileMess, d: pd.DataFrame, rows, alone: bool = False) -> np.ndarray:
    """Class names as typed: 七年级2班, 七(2)班, 初一2班 ..., some full-width;
    ``alone``: the class without its grade (2班, (2)班, 02), as an office
    writes it beside a 年级 column."""
    style = mess.rng.integers(0, 3)
    grade, k = d.grade.reset_index(drop=True), d.class_no.astype(str).reset_index(drop=True)
    if alone:
        names = [k + "班", "(" + k + ")班", k.str.zfill(2)][style]
    else:
        names = [grade.map(GRADE_ZH) + "年级" + k + "班", grade.map(GRADE_ZH) + "(" + k + ")班",
                 grade.map(GRADE_JUNIOR) + k + "班"][style]
    return mess.fullwidth(names.to_numpy(dtype=object), rows, mess.header("class"))


def _identity(ctx: Context, mess: FileMess, d: pd.DataFrame, class_column: bool = True,
              status_in_name: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """A sheet's bookkeeping columns and the pupil's school number, name and class."""
    f = _base(d)
    rows = f._row.to_numpy()
    h = mess.header
    f[h("student_no")] = mess.student_ids(d.student_no, rows, h("student_no"), ctx.ids_numeric)
    f[h("name")] = (mess.names(d.name, rows, h("name"), np.zeros(len(d), bool)) if status_in_name
                    else d.name.to_numpy())
    if class_column and ctx.kept:  # an office writes the grade in its own column and the class alone
        f[h("grade")] = [f"{GRADE_ZH[g]}年级" for g in d.grade]
        f[h("class")] = _class_labels(mess, d, rows, alone=True)
    elif class_column:
        f[h("class")] = _class_labels(mess, d, rows)
    return f, rows


def build_roster(ctx: Context, mess: FileMess) -> list[Sheet]:
    """The pupil roster sheet(s) of a school and term."""
    d = _present(ctx)
    f = _base(d)
    rows = f._row.to_numpy()
    h = mess.header
    now_in = (d.transferred_in & (d.first_term == ctx.term.term_index)).to_numpy()
    f[h("student_no")] = mess.student_ids(d.student_no, rows, h("student_no"), ctx.ids_numeric)
    f[h("name")] = mess.names(d.name, rows, h("name"), now_in)
    f[h("gender")] = mess.labels("gender", d.gender.to_numpy(), rows, h("gender"), 0)
    f[h("birth_date")] = mess.dates(d.birth_date, rows, h("birth_date"), ctx.as_csv)
    f[h("id_number")] = d.id_number_recorded.to_numpy()
    bad = d.id_defect.to_numpy() != ""
    mess.log(rows[bad], h("id_number"), "id_number_invalid", d.id_defect.to_numpy()[bad])
    f[h("grade")] = [f"{GRADE_ZH[g]}年级" for g in d.grade]
    f[h("class")] = _class_labels(mess, d, rows)
    f[h("address")] = mess.fullwidth(d.address.to_numpy(), rows, h("address"))
    f[h("phone")] = d.family_phone.to_numpy()
    status = np.where(now_in, "transferred_in", "enrolled").astype(object)
    f[h("enrolment_status")] = mess.labels("enrolment_status", status, rows, h("enrolment_status"), 0)
    return [layout(mess, f, "学生名册", None if ctx.as_csv else f"{ctx.title_prefix}学生名册")]


def build_classes(ctx: Context, mess: FileMess) -> list[Sheet]:
    """The class list with head teachers."""
    c = ctx.county
    d = ctx.data["classes"]
    d = d.merge(c.staff[["staff_no", "name"]], left_on="head_teacher_staff_no", right_on="staff_no")
    d = d.sort_values(["grade", "class_no"])
    f = pd.DataFrame({"_row": np.arange(len(d)), "_pupil_uid": 0})
    rows = f._row.to_numpy()
    h = mess.header
    f[h("grade")] = [f"{GRADE_ZH[g]}年级" for g in d.grade]
    f[h("class")] = _class_labels(mess, d, rows)
    f[h("head_teacher")] = d.name.to_numpy()
    f[h("head_teacher_staff_no")] = d.head_teacher_staff_no.to_numpy()
    f[h("class_size")] = d.class_size.to_numpy()
    return [layout(mess, f, "班级信息", None if ctx.as_csv else f"{ctx.title_prefix}班级及班主任一览表")]


def _score_cells(mess: FileMess, scores: pd.Series, rows, column) -> np.ndarray:
    """Scores: numbers, some stored as text with trailing spaces, absences marked."""
    v = scores.to_numpy(dtype=float)
    whole = np.nan_to_num(v) % 1 == 0
    out = v.astype(object)
    out[whole] = np.nan_to_num(v[whole]).astype(np.int64).astype(object)  # 88 rather than 88.0
    text = mess.pick(len(v), mess.rates.number_as_text_share) & ~np.isnan(v)
    if text.any():
        spaces = pd.Series(" ", index=range(text.sum())).str.repeat(mess.rng.integers(1, 4, text.sum()))
        out[text] = (pd.Series(v[text]).map("{:.2f}".format) + spaces).to_numpy()
    mess.log(rows[text], column, "number_as_text", out[text])
    absent = np.isnan(v)
    markers = np.array(ABSENCE_MARKERS, dtype=object)[mess.rng.integers(0, len(ABSENCE_MARKERS), len(v))]
    out[absent] = markers[absent]
    mess.log(rows[absent], column, "absence_marker", markers[absent])
    return out


def _rank_cells(mess: FileMess, ranks: pd.Series, scored: np.ndarray, rows, column) -> np.ndarray:
    r = ranks.to_numpy(dtype=float)
    unranked = np.isnan(r)
    out = np.nan_to_num(r).astype(np.int64).astype(object)
    out[unranked] = None
    out[unranked & scored] = NOT_RANKED
    out[unranked & ~scored] = "-"
    mess.log(rows[unranked], column, "absence_marker", out[unranked])
    return out


def build_scores(ctx: Context, mess: FileMess, grade: int) -> list[Sheet]:
    """A grade's final-exam results: per-class sheets or one sheet."""
    d = _present(ctx)
    d = d[d.grade == grade]
    ex = ctx.data["exams"][ctx.data["exams"].pupil_uid.isin(d.pupil_uid)]
    wide = ex.pivot(index="pupil_uid", columns="subject", values=["score", "class_rank", "school_rank"])
    d = d.set_index("pupil_uid").join(wide.set_axis([f"{b}:{a}" for a, b in wide.columns], axis=1)).reset_index()
    d = d.sort_values(["class_no", "total:class_rank", "student_no"], na_position="last")
    subjects = SUBJECTS_BY_GRADE[grade] + ["total"]
    per_class = (not ctx.as_csv) and bool(mess.pick(1, mess.rates.per_class_sheets_share)[0])
    grouped = (not ctx.as_csv) and bool(mess.pick(1, 0.7)[0])
    f, rows = _identity(ctx, mess, d, class_column=not per_class)
    h = mess.header
    groups = []
    score_leaf, class_leaf, school_leaf = h("score"), h("class_rank"), h("school_rank")
    for s in subjects:
        zh = codebook.preferred_label("subject", s)
        scored = d[f"{s}:score"].notna().to_numpy()
        if grouped:
            cols = [(zh + score_leaf, score_leaf), (zh + class_leaf, class_leaf), (zh + school_leaf, school_leaf)]
            if s == "total":
                zh = h("total_score") if h("total_score") != "总分分数" else "总分"
                cols = [(zh + leaf, leaf) for _, leaf in cols]
            f[cols[0][0]] = _score_cells(mess, d[f"{s}:score"], rows, cols[0][0])
            f[cols[1][0]] = _rank_cells(mess, d[f"{s}:class_rank"], scored, rows, cols[1][0])
            f[cols[2][0]] = _rank_cells(mess, d[f"{s}:school_rank"], scored, rows, cols[2][0])
            groups.append((zh, cols))
        else:
            col = h("total_score") if s == "total" else zh
            f[col] = _score_cells(mess, d[f"{s}:score"], rows, col)
    if not grouped:
        scored = d["total:score"].notna().to_numpy()
        f[class_leaf] = _rank_cells(mess, d["total:class_rank"], scored, rows, class_leaf)
        f[school_leaf] = _rank_cells(mess, d["total:school_rank"], scored, rows, school_leaf)
    title = f"{ctx.title_prefix}期末考试{GRADE_ZH[grade]}年级成绩表"
    if ctx.kept:  # an office's title names the term and grade, not the school
        title = f"{ctx.term_words}{GRADE_ZH[grade]}年级期末考试成绩表"
    if not per_class:
        return [layout(mess, f, f"{GRADE_ZH[grade]}年级", None if ctx.as_csv else title, groups)]
    sheets = []
    style = mess.rng.integers(0, 3)
    for k in sorted(d.class_no.unique()):
        part = f[(d.class_no == k).to_numpy()]
        name = [f"{GRADE_ZH[grade]}({k})班", f"{grade}.{k}", f"{GRADE_ZH[grade]}年级{k}班"][style]
        if ctx.kept:  # the grade is in the file's name and title
            name = f"{k}班"
        if mess.pick(1, mess.rates.sheet_trailing_space_share)[0]:
            name += " " * int(mess.rng.integers(1, 3))
        sheets.append(layout(mess, part, name, f"{title}（{k}班）", groups))
    return sheets


def _surveyed(ctx: Context) -> pd.DataFrame:
    return _present(ctx).merge(ctx.data["households"].drop(columns="school_id"), on=["pupil_uid", "year_index"])


def build_household(ctx: Context, mess: FileMess) -> list[Sheet]:
    """The family survey (the left-behind are in the register instead where a school keeps one)."""
    d = _surveyed(ctx)
    if ctx.kept:  # the left-behind pupils are in the register instead
        d = d[~(d.father_away | d.mother_away)]
    f, rows = _identity(ctx, mess, d)
    h = mess.header
    f[h("family_type")] = mess.labels("family_type", d.family_type.to_numpy(), rows, h("family_type"), 0.3)
    groups = []
    for who, zh in (("father", "父亲"), ("mother", "母亲")):
        present = (d[f"{who}_name"] != "").to_numpy()
        away = d[f"{who}_away"].to_numpy()
        months = np.where(away, d[f"{who}_months_away"].astype(str), "").astype(object)
        items = [(f"{zh}姓名", "姓名"), (f"{zh}是否外出务工", "是否外出务工"),
                 (f"{zh}外出时长(月)", "外出时长(月)"), (f"{zh}务工地", "务工地"), (f"{zh}电话", "电话")]
        f[items[0][0]] = d[f"{who}_name"].to_numpy()
        f[items[1][0]] = _yes_no(mess, away, present, rows, items[1][0])
        f[items[2][0]] = mess.fullwidth(months, rows, items[2][0])
        f[items[3][0]] = d[f"{who}_work_province"].to_numpy()
        f[items[4][0]] = d[f"{who}_phone"].to_numpy()
        groups.append((zh, items))
    unable_applies = ((d.family_type == "two_parent") & (d.father_away ^ d.mother_away)).to_numpy()
    f[h("parent_unable_to_guard")] = _yes_no(mess, d.parent_unable_to_guard.to_numpy(), unable_applies, rows,
                                             h("parent_unable_to_guard"))
    rel_codes = d.guardian_relation.to_numpy()
    simple = pd.Series(rel_codes).str.split(";").str[0].to_numpy(dtype=object)
    relation = mess.labels("relation", simple, rows, "监护人关系", mess.rates.relation_variant_share,
                           kind="relation_spelling")
    combo = pd.Series(rel_codes).str.contains(";", regex=False).to_numpy()
    relation[combo] = relation[combo] + mess.rng.choice(["、", ",", "和"], combo.sum()).astype(object) + "姑姑"
    mess.log(rows[combo], "监护人关系", "relation_combination", relation[combo])
    items = [("监护人姓名", "姓名"), ("监护人关系", "关系"), ("监护人年龄", "年龄"), ("监护人健康状况", "健康状况"),
             ("监护人文化程度", "文化程度"), ("监护人电话", "电话")]
    f["监护人姓名"] = d.guardian_name.to_numpy()
    f["监护人关系"] = relation
    f["监护人年龄"] = [None if np.isnan(a) else int(a) for a in d.guardian_age]
    f["监护人健康状况"] = mess.labels("health", d.guardian_health.to_numpy(), rows, "监护人健康状况", 0.2)
    f["监护人文化程度"] = mess.labels("education", d.guardian_education.to_numpy(), rows, "监护人文化程度", 0.2)
    f["监护人电话"] = d.guardian_phone.to_numpy()
    groups.append(("监护人", items))
    f[h("care_type")] = mess.labels("care_type", d.care_type.to_numpy(), rows, h("care_type"), 0.4)
    two_row = (not ctx.as_csv) and bool(mess.pick(1, 0.7)[0])
    title = None if ctx.as_csv else f"{ctx.title_prefix}学生家庭情况调查表"
    return [layout(mess, f, "家庭情况", title, groups if two_row else None)]


def build_archive(ctx: Context, mess: FileMess) -> list[Sheet]:
    """The archive checklist of each pupil (建档: the five things known)."""
    d = _present(ctx).merge(ctx.data["archive"].drop(columns=["school_id", "term_index"]),
                            on=["pupil_uid", "year_index"])
    f, rows = _identity(ctx, mess, d)
    h = mess.header
    basic = d.basic_info.to_numpy()
    f[h("birth_date")] = np.where(basic, mess.dates(d.birth_date, rows, h("birth_date"), ctx.as_csv), None)
    f[h("address")] = np.where(basic, d.address.to_numpy(), "")
    f[h("personality")] = d.personality.to_numpy()
    f[h("interests")] = d.interests.to_numpy()
    f[h("health")] = mess.labels("health", d.health.to_numpy(), rows, h("health"), 0.2)
    f[h("parent_contacts")] = d.parent_contacts.to_numpy()
    f[h("guardian_contacts")] = d.guardian_contacts.to_numpy()
    opened = ctx.county.terms.semester_start.iloc[int(ctx.term.term_index)] + pd.to_timedelta(
        mess.rng.integers(0, 40, len(d)), unit="D")
    f[h("archive_date")] = mess.dates(pd.Series(opened), rows, h("archive_date"), ctx.as_csv)
    return [layout(mess, f, "留守儿童档案", None if ctx.as_csv else f"{ctx.title_prefix}留守儿童档案登记表")]


def build_pairings(ctx: Context, mess: FileMess) -> list[Sheet]:
    """The pairing list (结对帮扶名单) with each helper and pupil."""
    c = ctx.county
    p = ctx.data["pairings"]
    d = p.merge(c.helpers.drop(columns=["helper_type", "school_id"]), on="helper_id")
    d = d.merge(_present(ctx), on=["pupil_uid", "school_id"])
    helper_no = ctx.student_no_of
    d = d.sort_values(["helper_type", "helper_id", "class_no", "student_no"])
    f = _base(d)
    rows = f._row.to_numpy()
    h = mess.header
    f[h("helper_name")] = d.helper_name.to_numpy()
    f[h("helper_role")] = mess.labels("helper_role", d.helper_type.to_numpy(), rows, h("helper_role"), 0.4)
    f[h("helper_staff_no")] = d.helper_staff_no.to_numpy()
    f[h("helper_student_no")] = d.helper_pupil_uid.map(helper_no).fillna("").to_numpy()
    f[h("helper_phone")] = np.where(d.helper_type == "peer", "", d.helper_phone)
    f[h("group_name")] = d.group_name.to_numpy()
    f["学生姓名"] = d.name.to_numpy()
    f[h("student_no")] = mess.student_ids(d.student_no, rows, h("student_no"), ctx.ids_numeric)
    f[h("class")] = _class_labels(mess, d, rows)
    f[h("pairing_date")] = mess.dates(d.pairing_date, rows, h("pairing_date"), ctx.as_csv)
    return [layout(mess, f, "结对名单", None if ctx.as_csv else f"{ctx.title_prefix}留守儿童结对帮扶名单")]


def build_contacts(ctx: Context, mess: FileMess) -> list[Sheet]:
    """The contact log, one row per pupil and month."""
    c = ctx.county
    con = ctx.data["contacts"]
    d = con.merge(_present(ctx), on=["pupil_uid", "school_id", "term_index", "year_index"])
    d = d.sort_values(["class_no", "student_no", "calendar_year", "month"])
    f, rows = _identity(ctx, mess, d, status_in_name=False)
    h = mess.header
    year = (c.start_year + d.calendar_year).astype(str).reset_index(drop=True)
    month = d.month.astype(str).reset_index(drop=True)
    style = mess.rng.integers(0, 2)
    f[h("month")] = (year + "年" + month + "月" if style == 0 else year + "-" + month.str.zfill(2)).to_numpy()
    for col in ["calls_to_parents", "letters_to_parents", "parent_visits", "head_teacher_talks",
                "subject_teacher_talks", "helper_home_visits", "helper_calls_to_parents",
                "helper_letters_to_parents"]:
        f[h(col)] = d[col].to_numpy()
    return [layout(mess, f, "联系记录", None if ctx.as_csv else f"{ctx.title_prefix}留守儿童亲情联系记录")]


_VIOLATION_REMARKS = np.array(["打架斗殴，记过处分", "多次旷课，警告处分", "盗窃，留校察看", "夜不归宿，严重警告"])


def build_conduct(ctx: Context, mess: FileMess) -> list[Sheet]:
    """The award and conduct list."""
    con = ctx.data["conduct"]
    d = _present(ctx).merge(con.drop(columns=["school_id", "class_key"]), on=["pupil_uid", "year_index"])
    f, rows = _identity(ctx, mess, d, status_in_name=False)
    h = mess.header
    everyone = np.ones(len(d), bool)
    f[h("three_good")] = _yes_no(mess, d.three_good.to_numpy(), everyone, rows, h("three_good"))
    f[h("serious_violation")] = _yes_no(mess, d.serious_violation.to_numpy(), everyone, rows, h("serious_violation"))
    remark = np.where(d.serious_violation, mess.rng.choice(_VIOLATION_REMARKS, len(d)), "")
    f[h("remark")] = remark
    return [layout(mess, f, "评优及违纪", None if ctx.as_csv else f"{ctx.title_prefix}三好学生及违纪情况汇总")]


_LEFT_BEHIND_TYPE = {(True, True): "父母双方外出", (True, False): "父亲外出", (False, True): "母亲外出"}


def build_register(ctx: Context, mess: FileMess) -> list[Sheet]:
    """The official 留守儿童信息统计表 of an office-kept school: its left-behind
    pupils, without 学号, with the ID number, one 外出时间 for the parents
    (the shorter time of the parents away, as when they left or how long
    ago) and 留守类型 instead of a yes/no column per parent."""
    d = _surveyed(ctx)
    d = d[d.father_away | d.mother_away]
    f = _base(d)
    rows = f._row.to_numpy()
    f["序号"] = np.arange(1, len(d) + 1)
    f["姓名"] = d.name.to_numpy()
    f["性别"] = mess.labels("gender", d.gender.to_numpy(), rows, "性别", 0)
    f["出生年月"] = pd.to_datetime(d.birth_date).dt.strftime("%Y.%m").to_numpy()
    f["身份证号"] = d.id_number_recorded.to_numpy()
    f["年级班级"] = _class_labels(mess, d, rows)
    for who, zh in (("father", "父亲"), ("mother", "母亲")):
        f[f"{zh}姓名"] = d[f"{who}_name"].to_numpy()
        f[f"{zh}务工地点"] = d[f"{who}_work_province"].to_numpy()
    months = np.fmin(np.where(d.father_away, d.father_months_away, np.nan),
                     np.where(d.mother_away, d.mother_months_away, np.nan)).astype(int)
    start = ctx.county.terms.semester_start.iloc[int(ctx.term.term_index)]
    month_index = (start.year + 1) * 12 + 0 - months  # months before January of the semester's end (31 January)
    left = pd.Series(month_index // 12).astype(str) + "年" + pd.Series(month_index % 12 + 1).astype(str) + "月"
    as_date = mess.pick(len(d), 0.5)
    since = np.where(as_date, left.to_numpy(dtype=object),
                     np.where(months >= 12, "1年", pd.Series(months).astype(str) + "个月")).astype(object)
    f["外出时间"] = since
    mess.log(rows, "外出时间", "away_since_for_both_parents", since)
    f["监护人姓名"] = d.guardian_name.to_numpy()
    simple = pd.Series(d.guardian_relation.to_numpy()).str.split(";").str[0].to_numpy(dtype=object)
    f["与监护人关系"] = mess.labels("relation", simple, rows, "与监护人关系", mess.rates.relation_variant_share,
                                kind="relation_spelling")
    f["监护人联系电话"] = d.guardian_phone.to_numpy()
    f["家庭住址"] = d.address.to_numpy()
    f["留守类型"] = [_LEFT_BEHIND_TYPE[(bool(a), bool(b))] for a, b in zip(d.father_away, d.mother_away)]
    f["监护方式"] = mess.labels("care_type", d.care_type.to_numpy(), rows, "监护方式", 0.4)
    f["是否寄宿"] = np.where(d.care_type == "teacher_school", "是", "否")
    f["帮扶责任人"] = ""
    title = f"{ctx.school.school_name}农村留守儿童信息统计表"
    return [layout(mess, f, "留守儿童", title, shuffle_rows=False)]


def build_office_pairings(ctx: Context, mess: FileMess) -> list[Sheet]:
    """A pairing list as an office keeps it: helpers by name and post (职务),
    the pupil by name and class, no school numbers."""
    c = ctx.county
    d = ctx.data["pairings"].merge(c.helpers.drop(columns=["helper_type", "school_id"]), on="helper_id")
    d = d.merge(_present(ctx), on=["pupil_uid", "school_id"])
    d = d.sort_values(["helper_type", "helper_id", "class_no", "student_no"])
    f = _base(d)
    rows = f._row.to_numpy()
    f["序号"] = np.arange(1, len(d) + 1)
    f["帮扶人"] = d.helper_name.to_numpy()
    posts = [HELPER_POSTS[t][int(mess.rng.integers(len(HELPER_POSTS[t])))] for t in d.helper_type]
    f["职务"] = posts
    f["联系电话"] = np.where(d.helper_type == "peer", "", d.helper_phone)
    f["小组名称"] = d.group_name.to_numpy()
    f["帮扶对象"] = d.name.to_numpy()
    f["班级"] = _class_labels(mess, d, rows)
    f["结对时间"] = pd.to_datetime(d.pairing_date).dt.strftime("%Y.%m").to_numpy()
    return [layout(mess, f, "结对名单", None, shuffle_rows=False)]


BUILDERS = {
    "roster": build_roster, "classes": build_classes, "pairings": build_pairings, "contacts": build_contacts,
    "household": build_household, "archive": build_archive, "conduct": build_conduct, "register": build_register,
}


def tables_for_semester(semester: int, kept: bool = False) -> list[str]:
    """Which tables a school exports in a semester (scores are per grade);
    an office-kept school also keeps the register in semester 1."""
    names = ["roster", "classes", "scores", "pairings", "contacts"]
    if semester == 1:
        names += ["household", "archive"] + (["register"] if kept else [])
    else:
        names += ["conduct"]
    return names


def builder(table: str, kept: bool):
    """The builder of a table's export (an office-kept school's pairing list has its own shape)."""
    return build_office_pairings if (kept and table == "pairings") else BUILDERS[table]
