"""Code a questionnaire's answers: variables, labels, missing reasons, scales.

:func:`code_survey` turns a :class:`~liushou_analysis.readers.questionnaire.RawSurvey`
into a :class:`CleanSurvey`, guided by a questionnaire codebook when one is
given (:func:`load_codebook`; the format is in docs/questionnaires.md):

* a single-choice or labelled answer becomes a category (its label); the
  platforms' three answer encodings all map to it: the option text (男),
  the option number (1) or the option's score;
* an ordinal item (a row of a matrix or scale question) becomes an ordered
  category and keeps its score for scales; reverse-coded items are turned
  (``min + max - score``) before scoring;
* a multi-choice question becomes one 0/1 column per option, whether the
  platform joined the answers with ┋ or split them into columns;
* "(跳过)" (skipped by the questionnaire's logic) and "(空)" or a blank
  (not answered) are missing, each with its reason; so are 问卷星's option
  numbers -3 (跳过) and -2 (空) in a column of option numbers;
* "其他〖…〗": the choice is 其他 and the words typed go to their own text
  column, masked like every free text (:func:`~liushou_analysis.core.privacy.mask_text`);
* a scale's score is the mean (or the sum, prorated to all items) of its
  items for respondents who answered at least ``min_items`` of them.

Without a codebook, questions are named q1, q2 … (matrix rows q8_1, q8_2 …,
options q7_1 …) with their text as labels, and :attr:`CleanSurvey.notes` says so.
Respondents keep a pseudonymous key (``respondent_key``); names, phones and IDs
never reach the clean survey.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.cleaning import values as V
from liushou_analysis.core.errors import UserError
from liushou_analysis.core.privacy import mask_text
from liushou_analysis.readers.questionnaire import Column, RawSurvey

TYPES = ("single", "multi", "ordinal", "number", "text")
#: Missing answers and their reasons.
MISSING_WORDS = {"(跳过)": "skipped", "跳过": "skipped", "(空)": "blank", "空": "blank", "": "blank",
                 "-3": "skipped", "-2": "blank"}
REASON_LABELS = {"skipped": "跳过（逻辑跳题）", "blank": "未作答", "unknown_answer": "不在编码本中的答案"}
MULTI_SEP = re.compile(r"[┋|]")
_OTHER = re.compile(r"^(.*?)[〖【\[](.*)[〗】\]]\s*$", re.S)
#: Ordered answer words of common scales, lowest first: text answers made of one of them are ordinal.
ORDINAL_SCALES = (
    ("从不", "很少", "有时", "经常", "总是"), ("从不", "偶尔", "有时", "经常", "总是"),
    ("完全不符合", "比较不符合", "不确定", "比较符合", "完全符合"),
    ("完全不符合", "不太符合", "一般", "比较符合", "完全符合"),
    ("非常不同意", "不同意", "不确定", "同意", "非常同意"), ("非常不同意", "不同意", "一般", "同意", "非常同意"),
    ("非常不满意", "不满意", "一般", "满意", "非常满意"), ("很差", "较差", "一般", "较好", "很好"),
    ("没有", "很少", "有时", "经常"), ("从来没有", "很少", "有时", "经常"),
    ("不符合", "有点符合", "比较符合", "完全符合"),
    ("每天", "每周", "每月", "每学期", "每年", "几乎不"),
)


@dataclass
class VariableSpec:
    """What the codebook says of one question (or one column of a .dta/.sav file)."""

    key: str  # question number as text, or a column name
    name: str
    type: str = ""
    labels: dict[float, str] = field(default_factory=dict)  # option number or score -> label, lowest first
    items: list[str] = field(default_factory=list)  # names of a matrix question's rows, in order
    reverse: set[str] = field(default_factory=set)
    label: str = ""


@dataclass
class ScaleSpec:
    """A scale: its items, how they are scored, and how many must be answered."""

    name: str
    items: list[str]
    score: str = "mean"
    min_items: int = 1
    label: str = ""


@dataclass
class QuestionnaireCodebook:
    """A questionnaire codebook (docs/questionnaires.md)."""

    variables: dict[str, VariableSpec] = field(default_factory=dict)
    scales: list[ScaleSpec] = field(default_factory=list)
    source: str = ""


@dataclass
class CleanSurvey:
    """A coded questionnaire."""

    data: pd.DataFrame  # one row per respondent: ``respondent_key`` then the variables
    variables: pd.DataFrame  # name, label, type, question, levels, ordered, scale items
    missing: pd.DataFrame  # respondent_key, variable, reason: why an answer is missing
    scales: list[ScaleSpec]
    notes: list[str]
    file: str
    platform: str
    quarantine: pd.DataFrame  # respondents with no answer at all, with the reason

    def labels(self) -> dict[str, str]:
        """Each variable's label."""
        return dict(zip(self.variables.name, self.variables.label, strict=True))

    def levels(self, name: str) -> list[str]:
        """A categorical variable's labels, in order."""
        return list(self.data[name].cat.categories)


def _labels_map(raw: dict | str | None, where: str) -> dict[float, str]:
    if raw is None:
        return {}
    if isinstance(raw, str):  # "1=男;2=女"
        pairs = [p.split("=", 1) for p in re.split(r"[;；\n]", raw) if "=" in p]
        raw = {k.strip(): v.strip() for k, v in pairs}
    try:
        return dict(sorted((float(k), str(v)) for k, v in raw.items()))
    except ValueError:
        raise UserError(f"{where}: value labels need numbers as keys (1 = \"男\"); got {list(raw)[:3]}.") from None


def load_codebook(path: Path | str) -> QuestionnaireCodebook:
    """Read a questionnaire codebook, TOML or CSV (docs/questionnaires.md)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: the codebook cannot be read ({err}); save it as UTF-8 text.") from None
    book = QuestionnaireCodebook(source=path.name)
    if path.suffix.lower() == ".toml":
        try:
            spec = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise UserError(f"{path}: not valid TOML ({err}).") from None
        for key, q in spec.get("questions", {}).items():
            where = f"{path.name}, [questions.{key}]"
            if "name" not in q:
                raise UserError(f"{where}: give the variable a name (name = \"gender\").")
            book.variables[str(key)] = _spec(str(key), q, where)
        for name, s in spec.get("scales", {}).items():
            items = list(s.get("items", []))
            if not items:
                raise UserError(f"{path.name}, [scales.{name}]: list the scale's items (items = [\"lonely1\", …]).")
            book.scales.append(ScaleSpec(name, items, s.get("score", "mean"), int(s.get("min_items", len(items))),
                                         s.get("label", name)))
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
        if not rows or "question" not in rows[0] or "name" not in rows[0]:
            raise UserError(f"{path}: a CSV codebook needs the columns question and name (and optionally type, "
                            "labels, reverse, scale, score, min_items); see docs/questionnaires.md.")
        scales: dict[str, ScaleSpec] = {}
        for i, row in enumerate(rows, start=2):
            where = f"{path.name}, line {i}"
            key = row["question"].strip()
            spec = book.variables.get(key) or _spec(key, {"name": row["name"].split("/")[0].strip()}, where)
            spec.type = (row.get("type") or spec.type or "").strip()
            spec.labels = _labels_map(row.get("labels") or None, where) or spec.labels
            name = row["name"].strip()
            if "/" in name or spec.type == "ordinal" and key in book.variables:
                spec.items.append(name.split("/")[-1])
            if (row.get("reverse") or "").strip() in ("1", "是", "yes", "true", "TRUE"):
                spec.reverse.add(name.split("/")[-1])
            book.variables[key] = spec
            if (row.get("scale") or "").strip():
                s = scales.setdefault(row["scale"].strip(), ScaleSpec(row["scale"].strip(), []))
                s.items.append(name.split("/")[-1])
                s.score = (row.get("score") or s.score).strip() or "mean"
                if (row.get("min_items") or "").strip():
                    s.min_items = int(row["min_items"])
        book.scales = list(scales.values())
    for spec in book.variables.values():
        if spec.type and spec.type not in TYPES:
            raise UserError(f"{path.name}: question {spec.key} has type {spec.type!r}; use one of {', '.join(TYPES)}.")
    for s in book.scales:
        if s.score not in ("mean", "sum"):
            raise UserError(f"{path.name}: scale {s.name} is scored {s.score!r}; use mean or sum.")
    return book


def _spec(key: str, q: dict, where: str) -> VariableSpec:
    return VariableSpec(key, str(q["name"]), str(q.get("type", "")), _labels_map(q.get("labels"), where),
                        list(q.get("items", [])), set(q.get("reverse", [])), str(q.get("label", "")))


def _text(values: pd.Series) -> pd.Series:
    """Answers as normalised text (NFKC, trimmed; 3.0 read as 3), blank as "": the cleaning layer's
    :func:`~liushou_analysis.cleaning.values.text`, once per distinct answer."""
    return V.text(values.reset_index(drop=True)).fillna("").astype(object)


def _reasons(text: pd.Series, option_numbers: bool) -> pd.Series:
    """Why each answer is missing (None where it is an answer)."""
    words = {k: v for k, v in MISSING_WORDS.items() if option_numbers or not k.startswith("-")}
    return text.map(words)


def _ordinal_order(values: set[str]) -> tuple[str, ...] | None:
    for scale in ORDINAL_SCALES:
        if values and values <= set(scale):
            return scale
    return None


def _plain(v: float) -> str:
    """A number as an answer label: 2, not 2.0."""
    return str(int(v)) if float(v).is_integer() else str(v)


#: Units pupils and platforms write after a number ("92分", "3小时", "12岁").
_UNIT = re.compile(r"\s*(?:分钟|分|个?小时|岁|次|元|人|天|周|个|本|公里|km|h)$")


def _numbers(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.replace(_UNIT, "", regex=True), errors="coerce")


@dataclass
class _Out:
    columns: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)  # variable dictionary rows
    missing: list = field(default_factory=list)  # (variable, reasons series)
    problems: list = field(default_factory=list)


def code_survey(raw: RawSurvey, codebook: QuestionnaireCodebook | None = None,
                key: bytes | None = None) -> CleanSurvey:
    """Code the answers of ``raw`` (see the module docstring)."""
    book = codebook or QuestionnaireCodebook()
    notes = []
    if codebook is None and raw.platform in ("Stata", "SPSS"):
        notes.append("没有给出问卷编码本：变量名、变量标签和值标签取自文件本身。")
    elif codebook is None:
        notes.append("没有给出问卷编码本：变量按题号命名为 q1、q2 …，题目文字作为变量标签，选项按答案文字归类。")
    out = _Out()
    n = len(raw.answers)
    if raw.platform in ("Stata", "SPSS"):
        for col in raw.columns:
            _code_labelled(raw, col, book.variables.get(col.source), out)
    else:
        groups: dict[int, list[Column]] = {}
        for col in raw.columns:
            groups.setdefault(col.number, []).append(col)
        for number, cols in groups.items():
            spec = book.variables.get(str(number))
            _code_question(raw, number, cols, spec, out)
    present = {str(c.number) for c in raw.columns} | {c.source for c in raw.columns}
    unused = [k for k in book.variables if k not in present]
    if unused:
        notes.append(f"编码本中的题目 {', '.join(unused[:10])} 在数据中没有找到。")
    data = pd.DataFrame(out.columns, index=range(n))
    answered = data.notna().any(axis=1) if len(data.columns) else pd.Series(False, index=data.index)
    rows = raw.source_rows if raw.source_rows is not None else np.arange(1, n + 1)
    quarantine = pd.DataFrame({"source_row": rows[~answered.to_numpy()], "reason": "no_answer"})
    respondent = _respondent_keys(raw, key)
    data.insert(0, "respondent_key", respondent)
    missing = [pd.DataFrame({"respondent_key": respondent[r.notna().to_numpy()], "variable": name,
                             "reason": r[r.notna()].to_numpy()}) for name, r in out.missing]
    missing = (pd.concat(missing, ignore_index=True) if missing else
               pd.DataFrame(columns=["respondent_key", "variable", "reason"]))
    for problem in out.problems:
        notes.append(problem)
    variables = pd.DataFrame(out.rows, columns=["name", "label", "type", "question", "levels", "ordered", "source"])
    reverse = set().union(*(v.reverse for v in book.variables.values()))
    variables["reverse"] = variables.name.isin(reverse)
    variables["min_items"] = pd.NA
    clean = CleanSurvey(data[answered.to_numpy()].reset_index(drop=True), variables,
                        missing[missing.respondent_key.isin(set(data.respondent_key[answered.to_numpy()]))]
                        .reset_index(drop=True), [], notes, raw.file, raw.platform, quarantine)
    for scale in book.scales:
        _score(clean, scale, book)
    return clean


def _respondent_keys(raw: RawSurvey, key: bytes | None) -> np.ndarray:
    """Pseudonymous respondent keys: the platform's 序号/编号 through the dataset key when there is
    one, else the row order."""
    from liushou_analysis.cleaning.pseudonym import pseudonyms

    n = len(raw.answers)
    ident = next((c for c in raw.meta if c in ("序号", "编号", "答卷编号")), None)
    base = raw.answers[ident].astype(str) if ident else pd.Series([f"{raw.file}#{i}" for i in range(1, n + 1)])
    if key is None:
        return np.array([f"R{i:05d}" for i in range(1, n + 1)])
    return pseudonyms(raw.file + "#" + base.reset_index(drop=True), key, "R").to_numpy()


def _add(out: _Out, name, values, label, kind, question, levels=None, ordered=False, source=""):
    if name in out.columns:
        raise UserError(f"two questions are both named {name!r}; give them different names in the codebook.")
    out.columns[name] = values
    out.rows.append({"name": name, "label": label, "type": kind, "question": question,
                     "levels": "；".join(levels or []), "ordered": bool(ordered), "source": source})


def _with_subs(cols: list[Column]) -> list[Column]:
    """Several columns of one question with no sub-item marked ("5.放学后做什么？(看电视)", "5.放学后做什么？(写作业)"):
    each column's sub-item is what follows the text all of them share."""
    if len(cols) < 2 or any(c.sub for c in cols):
        return cols
    texts = [c.text for c in cols]
    shared = 0
    while shared < min(map(len, texts)) and len({t[shared] for t in texts}) == 1:
        shared += 1
    subs = [re.sub(r"^[\s:：(（\[【_\-—|]+|[\s)）\]】]+$", "", t[shared:]) for t in texts]
    if not all(subs):
        return cols
    stem = re.sub(r"[\s:：(（\[【_\-—|]+$", "", texts[0][:shared])
    return [Column(c.source, c.number, stem, sub, c.mark, c.identifies) for c, sub in zip(cols, subs, strict=True)]


def _code_question(raw: RawSurvey, number: int, cols: list[Column], spec: VariableSpec | None, out: _Out) -> None:
    cols = _with_subs(cols)
    first = cols[0]
    base = spec.name if spec else f"q{number}"
    text = first.text or number
    if len(cols) == 1 and first.sub and first.text:
        text = f"{first.text}：{first.sub}"  # one column: the "sub-item" was part of the question
    kind = spec.type if spec and spec.type else ""
    if not kind and first.identifies in ("class", "school"):
        kind = "text"  # where a pupil studies identifies them: kept (masked), not tabulated
    columns = [_text(raw.answers[c.source]).reset_index(drop=True) for c in cols]
    if not kind:
        joined = any(s.str.contains("┋").any() for s in columns)
        flags = {"0", "1", "选中", "未选中", *MISSING_WORDS}
        zero_one = len(cols) > 1 and all(set(s[s != ""].unique()) <= flags for s in columns)
        # 腾讯问卷's split options: each column holds its own option's text where chosen, else nothing
        own_text = len(cols) > 1 and all(c.sub and set(s[s != ""].str.replace(r"[〖【].*$", "", regex=True)) <= {c.sub}
                                         for c, s in zip(cols, columns, strict=True))
        zero_one = zero_one or own_text
        kind = ("multi" if "多选" in first.mark or joined or zero_one else
                "ordinal" if len(cols) > 1 or "量表" in first.mark else "")
    if kind == "multi":
        _code_multi(raw, number, cols, columns, spec, base, str(text), out)
        return
    if len(cols) > 1 and all(re.fullmatch(r"填空\d*|第?\d+空", str(c.sub or "")) for c in cols):
        # a fill-in question with several blanks (问卷星: "9(填空1)", "9(填空2)"): each blank its own answer
        for i, (col, values) in enumerate(zip(cols, columns, strict=True), start=1):
            _code_single(values, f"{base}_{i}", f"{text}：{col.sub}", None, spec.type if spec and spec.type else "",
                         number, col.source, out)
        return
    if len(cols) > 1 or kind == "ordinal":
        names = (spec.items if spec and len(spec.items) == len(cols) else
                 [f"{base}_{i}" for i in range(1, len(cols) + 1)] if len(cols) > 1 else [base])
        for col, values, name in zip(cols, columns, names, strict=True):
            _code_single(values, name, f"{text}：{col.sub}" if col.sub and len(cols) > 1 else str(text),
                         spec, "ordinal", number, col.source, out)
        return
    _code_single(columns[0], base, str(text), spec, kind, number, first.source, out)


def _code_single(values: pd.Series, name: str, label: str, spec: VariableSpec | None, kind: str, question,
                 source: str, out: _Out) -> None:
    labels = spec.labels if spec else {}
    numeric = _numbers(values)
    option_numbers = bool(labels) or (numeric.notna() | (values == "")).all()
    reasons = _reasons(values, option_numbers)
    answered = reasons.isna()
    other = values.str.extract(_OTHER)
    has_other = other[1].notna() & answered
    chosen = values.where(~has_other, other[0].str.strip())
    if has_other.any():
        _add(out, f"{name}_other", mask_text(other[1].where(has_other)), f"{label}（其他，填写内容）", "text",
             question, source=source)
    free = not kind and not labels and chosen[answered].nunique() > 30 and numeric[answered].isna().any()
    if kind == "text" or free:
        _add(out, name, mask_text(chosen.where(answered)), label, "text", question, source=source)
        out.missing.append((name, reasons))
        return
    given = numeric[answered]
    if kind == "number" or (not kind and not labels and given.notna().all() and len(given) and (
            given.nunique() > 10 or given.max() > 10 or (given % 1 != 0).any())):
        bad = answered & numeric.isna()
        if bad.any():
            out.problems.append(f"第{question}题（{name}）有 {int(bad.sum())} 个答案不是数字"
                                f"（如「{chosen[bad].iloc[0]}」），按缺失处理。")
        _add(out, name, numeric.where(answered), label, "number", question, source=source)
        out.missing.append((name, reasons.where(~bad, "unknown_answer")))
        return
    if labels:
        by_text = {v: v for v in labels.values()}
        by_number = {(str(int(k)) if float(k).is_integer() else str(k)): v for k, v in labels.items()}
        coded = chosen.map(by_text).fillna(chosen.map(by_number))
        order = list(labels.values())
    else:
        coded = chosen.where(answered)
        seen = set(coded.dropna().unique())
        scale = _ordinal_order(seen)
        if scale:
            order = list(scale)
        elif numeric[answered].notna().all():
            order = [_plain(v) for v in sorted(numeric[answered].unique())]
            coded = numeric.where(answered).map(_plain, na_action="ignore")
        else:
            order = list(pd.unique(coded.dropna()))
    unknown = answered & coded.isna()
    if unknown.any():
        out.problems.append(f"第{question}题（{name}）有 {int(unknown.sum())} 个答案不在编码本的选项中"
                            f"（如「{mask_text(pd.Series([chosen[unknown].iloc[0]])).iloc[0]}」），按缺失处理。")
    ordered = kind == "ordinal" or (not kind and _ordinal_order(set(coded.dropna())) is not None)
    category = pd.Categorical(coded, categories=order, ordered=ordered)
    _add(out, name, category, label, "ordinal" if ordered else "single", question, levels=order, ordered=ordered,
         source=source)
    out.missing.append((name, reasons.where(~unknown, "unknown_answer")))


def _code_multi(raw, number, cols, columns, spec, base, text, out: _Out) -> None:
    labels = list(spec.labels.values()) if spec and spec.labels else []
    if len(cols) == 1:  # answers joined with ┋
        values = columns[0]
        reasons = _reasons(values, True)
        answered = reasons.isna()
        by_number = {str(k).removesuffix(".0"): v for k, v in (spec.labels.items() if spec else [])}
        exploded = values.where(answered, "").str.split(MULTI_SEP).explode().str.strip()
        exploded = exploded[exploded.notna() & (exploded != "")]
        other = exploded.str.extract(_OTHER)
        other_text = other[1].groupby(level=0).first().reindex(values.index)
        exploded = exploded.where(other[0].isna(), other[0].str.strip()).replace(by_number)
        options = labels or list(dict.fromkeys(exploded))
        matrix = pd.crosstab(exploded.index, exploded).clip(upper=1).reindex(index=range(len(values)),
                                                                            columns=options, fill_value=0)
        option_items = [(opt, matrix[opt]) for opt in options]
    else:
        reasons_all = [_reasons(v, True) for v in columns]
        answered = pd.concat([r.isna() & (v != "") for r, v in zip(reasons_all, columns, strict=True)],
                             axis=1).any(axis=1)
        reasons = reasons_all[0].where(~answered)
        option_items = []
        other_text = pd.Series(None, index=columns[0].index, dtype=object)
        for col, values in zip(cols, columns, strict=True):
            m = _OTHER.match(values[values != ""].iloc[0]) if (values != "").any() else None
            opt = col.sub or col.source
            picked = values.isin(["1", "选中", opt]) | values.str.startswith(opt + "〖")
            if m or values.str.contains("〖").any():
                extracted = values.str.extract(_OTHER)[1]
                other_text = other_text.fillna(extracted)
            option_items.append((opt, picked.astype(int)))
    names = spec.items if spec and len(spec.items) == len(option_items) else \
        [f"{base}_{i}" for i in range(1, len(option_items) + 1)]
    for (opt, picked), name in zip(option_items, names, strict=True):
        _add(out, name, pd.Series(picked.to_numpy(), dtype=float).where(answered.to_numpy()), f"{text}：{opt}",
             "multi", number, source=opt)
        out.missing.append((name, reasons))
    if other_text.notna().any():
        _add(out, f"{base}_other", mask_text(other_text), f"{text}（其他，填写内容）", "text", number)


def _code_labelled(raw: RawSurvey, col: Column, spec: VariableSpec | None, out: _Out) -> None:
    values = raw.answers[col.source]
    name = spec.name if spec else col.source
    label = (spec.label if spec and spec.label else "") or raw.variable_labels.get(col.source) or col.source
    value_labels = raw.value_labels.get(col.source) or {}
    kind = spec.type if spec and spec.type else ""
    reasons = pd.Series(np.where(values.isna(), "blank", None), index=values.index).where(values.isna())
    if value_labels and kind not in ("number", "text"):
        labels = {float(k): str(v) for k, v in sorted(value_labels.items())}
        if spec and spec.labels:
            labels = spec.labels
        coded = pd.to_numeric(values, errors="coerce").map(labels)
        unknown = values.notna() & coded.isna()
        order = list(labels.values())
        ordered = kind == "ordinal" or (not kind and _ordinal_order(set(order)) is not None)
        if unknown.any():
            out.problems.append(f"{col.source} 有 {int(unknown.sum())} 个值没有值标签"
                                f"（如 {values[unknown].iloc[0]}），按缺失处理。")
        _add(out, name, pd.Categorical(coded, categories=list(dict.fromkeys(order)), ordered=ordered), label,
             "ordinal" if ordered else "single", col.source, levels=list(dict.fromkeys(order)), ordered=ordered,
             source=col.source)
        out.missing.append((name, reasons.where(~unknown, "unknown_answer")))
    elif pd.api.types.is_numeric_dtype(values) and kind != "text":
        _add(out, name, values.astype(float), label, "number", col.source, source=col.source)
        out.missing.append((name, reasons))
    else:
        text = _text(values)
        _add(out, name, mask_text(text.where(text != "")), label, "text", col.source, source=col.source)
        out.missing.append((name, reasons.where(text != "", "blank")))


def scale_scores(items: pd.DataFrame, score: str = "mean", min_items: int = 1) -> pd.Series:
    """A scale's score per respondent: the mean of the items answered, or their sum prorated to all items
    (mean x number of items), where at least ``min_items`` were answered."""
    answered = items.notna().sum(axis=1)
    mean = items.mean(axis=1)
    value = mean if score == "mean" else mean * items.shape[1]
    return value.where(answered >= min_items)


def item_scores(data: pd.DataFrame, name: str, reverse: bool = False) -> pd.Series:
    """An item's numeric score: its number when the answers are numbers (scores exported as such), else the
    position of its label in order (1 = the lowest); a reverse-coded item turned (``min + max - score``)."""
    values = data[name]
    if isinstance(values.dtype, pd.CategoricalDtype):
        numeric = pd.to_numeric(pd.Series(values.cat.categories), errors="coerce")
        codes = values.cat.codes.astype(float).where(values.notna())
        if numeric.notna().all():
            score, low, high = codes.map(dict(enumerate(numeric))).astype(float), numeric.min(), numeric.max()
        else:
            score, low, high = codes + 1, 1, len(numeric)
    else:
        score = values.astype(float)
        low, high = score.min(), score.max()
    return low + high - score if reverse else score


def scale_items(data: pd.DataFrame, variables: pd.DataFrame, scale: str) -> pd.DataFrame:
    """The item scores of ``scale`` (reverse-coded items turned), one column per item, as the dictionary
    (``variables``: its ``levels`` list a scale's items, ``reverse`` marks reverse-coded items) says."""
    row = variables[variables.name == scale].iloc[0]
    items = [i for i in str(row.levels).split("；") if i]
    reverse = set(variables.name[variables.get("reverse", pd.Series(False, index=variables.index))
                                 .fillna(False).astype(bool)])
    return pd.DataFrame({i: item_scores(data, i, i in reverse) for i in items})


def _score(clean: CleanSurvey, scale: ScaleSpec, book: QuestionnaireCodebook) -> None:
    missing = [i for i in scale.items if i not in clean.data.columns]
    if missing:
        raise UserError(f"scale {scale.name}: the items {', '.join(missing)} are not variables of the survey; "
                        "name them as the codebook names the questions.")
    row = {"name": scale.name, "label": scale.label or scale.name, "type": "scale", "question": "",
           "levels": "；".join(scale.items), "ordered": False, "source": f"{scale.score} of {len(scale.items)} items",
           "reverse": False, "min_items": scale.min_items}
    clean.variables = pd.concat([clean.variables.astype(object), pd.DataFrame([row])], ignore_index=True)
    items = scale_items(clean.data, clean.variables, scale.name)
    clean.data[scale.name] = scale_scores(items, scale.score, scale.min_items)
    clean.scales.append(scale)
