"""Read a questionnaire: a 问卷星 or 腾讯问卷 export, or a research dataset (.dta, .sav).

A questionnaire is a form like the others, with one row per respondent and
one column per question (or per sub-item of a matrix question, or per
option of a split multi-choice question). What this module does is the raw
layer's part:

* finds the header row (the platforms put it first; a title row above it
  is skipped) and tells the platform from its own columns (问卷星: 序号,
  提交答卷时间, 所用时间, 来源, 来源详情, 来自IP; 腾讯问卷: 编号, 开始答题时间,
  结束答题时间, 答题时长, 地理位置 ...);
* parses numbered question headers: ``1、你的性别``, ``1.你的性别``,
  ``Q1 你的性别``, ``第1题 …``, a sub-item as ``8(我常常感到孤独)`` (问卷星's
  matrix rows and split options) or ``8.以下说法:我常常感到孤独`` (腾讯问卷),
  and the type marks ``（多选）`` / ``[多选题]`` / ``（矩阵量表题）``;
* drops personal columns at once (IP, 姓名, 电话/手机, 身份证, 微信, QQ, 邮箱,
  地址, 地理位置, 来源详情): they never leave this module, except the ones
  linkage needs (学号, 学籍号, 姓名 with 班级), which are handed over in
  memory as :attr:`RawSurvey.identifiers` and dropped by the cleaning step;
* reads Stata .dta and SPSS .sav files with their variable and value labels
  (pyreadstat, the ``export`` extra).

Answers are returned as found (text or numbers); coding them is
:mod:`liushou_analysis.cleaning.questionnaire`'s job.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.core.errors import UserError
from liushou_analysis.readers.forms import recognise
from liushou_analysis.readers.rawread import csv_rows, html_tables, normalise_label, sniff_format, workbook_rows

#: Columns each platform adds before the questions (header labels, normalised).
PLATFORM_COLUMNS = {
    "问卷星": {"序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "来自ip", "总分"},
    "腾讯问卷": {"编号", "开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区", "地理位置省",
             "地理位置市", "自定义字段", "用户ID", "回答者ID", "提交时间", "答题时间"},
}
#: Header words that mark a personal column, dropped when the file is read ("IP" as a word of its own, so
#: that "script" or "description" is not taken for an IP address).
PERSONAL = re.compile(r"(?:(?<![A-Za-z])(?:ip|IP|Ip)(?:v[46])?(?:[ _-]?(?:[Aa]ddress|[Aa]ddr|地址))?(?![A-Za-z])|"
                      r"姓名|名字|电话|手机|身份证|证件号|微信|QQ|qq|邮箱|e-?mail|Email|住址|地址|地理位置|"
                      r"来源详情|openid|OpenID|昵称|用户名)")
#: A numbered question that asks for personal data ("你的手机号", "请填写家庭住址"), not one that mentions it
#: ("你每周用几个小时手机？").
ASKS_PERSONAL = re.compile(r"^(?:请(?:填写|输入|写下|留下)?)?(?:你的|您的|学生的?|家长的?|父亲的?|母亲的?|监护人的?)?"
                           r"(?:姓名|名字|手机号?码?|电话号?码?|联系电话|联系方式|身份证号?码?|证件号码?|微信号?|QQ号?|邮箱|"
                           r"家庭住址|住址|地址)[?？:：。]?$")
#: Columns linkage to school records may use (header -> field), kept in memory only.
IDENTIFIERS = {"学号": "student_no", "学生学号": "student_no", "学籍号": "registry_no", "全国学籍号": "registry_no",
               "学籍号码": "registry_no", "姓名": "name", "学生姓名": "name", "名字": "name", "班级": "class",
               "所在班级": "class", "班别": "class", "学校": "school", "所在学校": "school", "学校名称": "school",
               "年级": "grade", "所在年级": "grade"}
_NUMBERED = re.compile(r"^\s*(?:[Qq]|第)?(\d{1,3})(?:题)?\s*(?:[、.．:：)）]|\s)\s*(.*)$", re.S)
_SUB_PAREN = re.compile(r"^\s*(?:[Qq])?(\d{1,3})\s*[(（](.+)[)）]\s*$", re.S)
_TYPE_MARK = re.compile(r"[\[【(（]\s*(可?多选题?|单选题?|矩阵(?:单选|多选|量表|文本|滑动条)?题?|量表题?|"
                        r"填空题?|排序题?|多项填空题?|简答题?|多选题，最多选\d+项)\s*[\]】)）]")
_SUB_SEP = re.compile(r"\s*(?:[:：|_]|[—–]{1,2})\s*")
HEADER_SEARCH_ROWS = 5


@dataclass
class Column:
    """One column of a questionnaire export, as its header says."""

    source: str  # the header as written
    number: int | None = None  # question number
    text: str = ""  # question text, without the number and type mark
    sub: str | None = None  # sub-item (a matrix row) or option (a split multi-choice)
    mark: str = ""  # the type mark, such as 多选
    identifies: str = ""  # the linkage field a question asks for (class, school, grade), kept as an answer too


@dataclass
class RawSurvey:
    """A questionnaire as read: answers, what each column is, and what was dropped."""

    file: str
    platform: str  # 问卷星, 腾讯问卷, Stata, SPSS or 表格 (a plain table of numbered questions)
    answers: pd.DataFrame  # one row per respondent, columns as in ``columns`` (their ``source``)
    columns: list[Column]
    meta: list[str] = field(default_factory=list)  # platform columns kept (submission time, duration, source)
    dropped: list[str] = field(default_factory=list)  # personal columns dropped on reading
    identifiers: pd.DataFrame | None = None  # linkage fields, in memory only
    encoding: str = ""
    value_labels: dict[str, dict] = field(default_factory=dict)  # .dta/.sav: column -> {value: label}
    variable_labels: dict[str, str] = field(default_factory=dict)
    source_rows: np.ndarray | None = None  # row (or line) number of each respondent in the file

    @property
    def unknown(self) -> list[str]:
        """Columns read but not used: neither a numbered question, a platform's column nor a linkage field
        (a 备注 someone added). The data-quality page lists them, as it lists a school form's."""
        platform = set().union(*PLATFORM_COLUMNS.values())
        return [c for c in self.meta if normalise_label(c) not in platform]


def parse_header(label: str) -> Column:
    """What a questionnaire column header says.

    >>> c = parse_header("7、你平时放学后主要做什么？（多选）")
    >>> (c.number, c.text, c.mark)
    (7, '你平时放学后主要做什么?', '多选')
    >>> c = parse_header("8(我常常感到孤独)")
    >>> (c.number, c.sub)
    (8, '我常常感到孤独')
    >>> parse_header("来自IP").number is None
    True
    """
    text = unicodedata.normalize("NFKC", str(label)).strip()
    if isinstance(label, int | float):
        return Column(str(label))
    sub_match = _SUB_PAREN.match(text)
    if sub_match and not _TYPE_MARK.fullmatch(f"({sub_match.group(2)})"):
        return Column(str(label), int(sub_match.group(1)), "", sub_match.group(2).strip())
    match = _NUMBERED.match(text)
    if not match or not re.search(r"[^\W\d_]", match.group(2)):  # "1.0" is a number, not question 1
        return Column(str(label))
    rest = match.group(2).strip()
    mark = ""
    found = _TYPE_MARK.search(rest)
    if found:
        mark = found.group(1)
        rest = (rest[:found.start()] + rest[found.end():]).strip()
    sub = None
    # 腾讯问卷 writes a matrix row or an option after the question: "8.以下说法:我常常感到孤独"; a question
    # that turns out to have one column gets its whole text back when the answers are coded
    parts = _SUB_SEP.split(rest, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        rest, sub = parts[0], parts[1]
    return Column(str(label), int(match.group(1)), rest, sub, mark)


def _grid(path: Path, data: bytes, rel: str) -> tuple[str, list[tuple[int, list]], str]:
    fmt = sniff_format(data, path.suffix)
    if fmt == "csv":
        encoding, grid = csv_rows(data, rel)
        return fmt, grid, encoding
    if fmt == "html":
        encoding, tables = html_tables(data, rel)
        return fmt, (tables[0][1] if tables else []), encoding
    if fmt in ("xlsx", "xls"):
        sheets = workbook_rows(data, rel)
        best = max(sheets, key=lambda s: _header_score(s[1])[1], default=("", []))
        return fmt, best[1], ""
    raise UserError(f"{rel}: the file is neither a workbook, a text table nor a Stata or SPSS file; export the "
                    "questionnaire again from 问卷星 or 腾讯问卷 as .xlsx or .csv.")


def _header_score(grid: list[tuple[int, list]]) -> tuple[int, int]:
    """The row (index into ``grid``) most like a questionnaire header, and how many question columns it has."""
    best = (0, -1)
    for i, (_, row) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        labels = [normalise_label(v) for v in row]
        score = sum(parse_header(v).number is not None for v in row if v is not None)
        score += sum(any(lab in cols for cols in PLATFORM_COLUMNS.values()) for lab in labels)
        if score > best[1]:
            best = (i, score)
    return best


def read_survey(path: Path | str, root: Path | str | None = None) -> RawSurvey:
    """Read one questionnaire file (see the module docstring)."""
    path = Path(path)
    rel = path.relative_to(root).as_posix() if root else path.name
    suffix = path.suffix.lower()
    if suffix in (".dta", ".sav", ".zsav"):
        return _read_labelled(path, rel, suffix)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UserError(f"{rel}: the file cannot be read ({err.strerror}); check it exists and is readable.") from None
    fmt, grid, encoding = _grid(path, data, rel)
    at, _ = _header_score(grid)
    if not grid:
        raise UserError(f"{rel}: the file is empty; export the questionnaire's answers again.")
    header = ["" if v is None else str(v).strip() for v in grid[at][1]]
    columns = [parse_header(h) for h in header]
    labels = [normalise_label(h) for h in header]
    platform = next((name for name, cols in PLATFORM_COLUMNS.items() if sum(lab in cols for lab in labels) >= 2),
                    "表格")
    questions = sum(c.number is not None for c in columns)
    if questions == 0:
        form = recognise(set(_school_fields(labels)))
        looked = (f"it looks like a school form ({form.label}): clean it with `liushou clean` instead" if form else
                  f"the first {HEADER_SEARCH_ROWS} rows have no numbered question columns (such as '1、你的性别' "
                  "or 'Q1.你的性别') and no 问卷星 or 腾讯问卷 columns (序号, 提交答卷时间, 来自IP …)")
        raise UserError(f"{rel}: not read as a questionnaire: {looked}. Export the answers from the platform with "
                        "question numbers in the headers, or give a codebook naming the columns "
                        "(docs/questionnaires.md).")
    width = len(header)
    body = [(n, (row + [None] * width)[:width]) for n, row in grid[at + 1:]
            if any(v not in (None, "") and str(v).strip() for v in row)]
    frame = pd.DataFrame([r for _, r in body], columns=range(width), dtype=object)
    keep, meta, dropped, ids = [], [], [], {}
    for j, (col, lab) in enumerate(zip(columns, labels, strict=True)):
        if not lab:
            continue
        ident = IDENTIFIERS.get(lab) if col.number is None else IDENTIFIERS.get(_asked(col.text))
        if ident:
            ids[ident] = frame[j]
            col.identifies = ident
            if ident in ("name", "student_no", "registry_no") or PERSONAL.search(col.text or lab):
                dropped.append(col.source)
                continue
        if col.number is None and PERSONAL.search(lab) or col.number is not None and ASKS_PERSONAL.search(col.text):
            dropped.append(col.source)
            continue
        if col.number is None:
            if ident is None:
                meta.append(j)
            else:
                keep.append(j)
            continue
        keep.append(j)
    answers = frame[keep + meta].copy()
    answers.columns = [header[j] for j in keep + meta]
    out_columns = [columns[j] for j in keep]
    return RawSurvey(rel, platform, answers, out_columns, meta=[header[j] for j in meta], dropped=dropped,
                     identifiers=pd.DataFrame(ids).reset_index(drop=True) if ids else None, encoding=encoding,
                     source_rows=np.array([n for n, _ in body]))


def _asked(text: str) -> str:
    """What a numbered question asks for, without "你的" or "请填写" around it: "你的学号：" -> 学号."""
    text = normalise_label(text)
    text = re.sub(r"^(?:请(?:填写|输入|写下|选择)?)?(?:你|您|学生)?(?:的|所在的?)?", "", text)
    return re.sub(r"[?？:：。（(].*$", "", text)


def _school_fields(labels: list[str]) -> list[str]:
    """The fields of a school form these header labels name (the codebook's header labels)."""
    from liushou_analysis.core import codebook

    cb = codebook.load_codebook()
    header = cb[cb.domain == "header"]
    known = dict(zip(header.label.map(normalise_label), header.code, strict=True))
    return [known[lab] for lab in labels if lab in known]


def _read_labelled(path: Path, rel: str, suffix: str) -> RawSurvey:
    try:
        import pyreadstat
    except ImportError:
        raise UserError(f"{rel}: reading Stata and SPSS files needs pyreadstat: pip install "
                        "'liushou_analysis[export]'.") from None
    reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
    try:
        try:
            frame, meta = reader(str(path), apply_value_formats=False, user_missing=False)
        except Exception as err:  # an old file whose text is GBK, not the UTF-8 it does not declare
            if "encod" not in str(err).lower() and "decod" not in str(err).lower():
                raise
            frame, meta = reader(str(path), apply_value_formats=False, user_missing=False, encoding="GB18030")
    except Exception as err:  # pyreadstat raises its own error types for damaged or mislabelled files
        kind = "Stata" if suffix == ".dta" else "SPSS"
        raise UserError(f"{rel}: not read as a {kind} file ({err}); check it was saved by {kind} (or exported as "
                        f"{suffix}) and is complete.") from None
    variable_labels = {c: (lab or "") for c, lab in zip(meta.column_names, meta.column_labels, strict=True)}
    dropped = [c for c in frame.columns if PERSONAL.search(f"{c} {variable_labels.get(c, '')}")
               and not re.search(r"学号|学籍", variable_labels.get(c, ""))]
    ids = {}
    for c in frame.columns:
        key = IDENTIFIERS.get(normalise_label(variable_labels.get(c, ""))) or IDENTIFIERS.get(normalise_label(c))
        if key:
            ids[key] = frame[c]
    answers = frame.drop(columns=dropped)
    columns = [Column(c, None, variable_labels.get(c) or c) for c in answers.columns]
    return RawSurvey(rel, "Stata" if suffix == ".dta" else "SPSS", answers.reset_index(drop=True), columns,
                     dropped=dropped, identifiers=pd.DataFrame(ids) if ids else None,
                     value_labels=dict(meta.variable_value_labels), variable_labels=variable_labels,
                     source_rows=np.arange(1, len(frame) + 1))
