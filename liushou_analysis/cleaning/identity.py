"""Who a row is about: its school, and its pupil.

**School.** A file's school is resolved, in this order, from

1. a 学校 / 学校名称 / 单位 column (row by row);
2. its title rows or a 填报单位 line ("红岩镇中学农村留守儿童信息统计表",
   "填报单位（盖章）：红岩镇中学");
3. a school folder level: ``<dataset>/<term>/<school>/<file>``;
4. its file name, when the name holds a school's name ending in a school
   word (``石门镇中学七年级学生名册.xlsx``, ``红岩镇中学_成绩.xlsx``); a name
   that is only a form's name (``学生花名册.xlsx``) names no school;
5. ``school = "..."`` in the dataset's ``liushou.toml``;
6. the text before the first ``_`` of the file name when it is a short name
   (``一中_成绩.xlsx``), only when it names a school that another source in
   the dataset confirms, or when no file of the dataset names a school any
   other way and the text reads as a school's name;
7. the term folder: when the files of a term name one school only, files
   without evidence of their own belong to it.

A file whose name names one school while its content (a 学校 column, its
title), its folder or ``liushou.toml`` names another is not used, with
one sentence naming both: neither is guessed to be right. Otherwise a file
without a school is not used, with one sentence asking for a school folder
level or ``liushou.toml``. Names are compared after NFKC and the aliases of
``liushou.toml`` (红岩中学 = 红岩镇中学). Lines of an instruction block above
the header (填表说明, 注, numbered items) are not read as titles.

**Pupil.** A row is linked to a pupil by its number (学号, else 考号, else
学籍号). A row without one is linked, in this order, by its 学籍号 or
身份证号 to a row that has a number, by name and class (unique within the
school and term), or by name and birth month (unique within the school).
A key that points at two pupils is ambiguous, and a row with no match is
unmatched: both go to quarantine, never guessed. A row whose only
identifier is a 学籍号 or 身份证号 that no numbered row carries is its own
pupil (a register with no roster beside it). Names and ID numbers are used
in memory only; the ID number reaches the clean tables only as part of a
keyed hash.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from liushou_analysis.cleaning.settings import DatasetSettings

_SCHOOL_SUFFIX = ("九年一贯制学校|中心小学|中心学校|初级中学|完全小学|实验学校|学校|中学|小学|初中|完小|中心校|教学点")
_SCHOOL = re.compile(rf"[\u4e00-\u9fff]{{2,20}}?(?:{_SCHOOL_SUFFIX})")
_NOT_A_SCHOOL = re.compile(r"年级|学期|学年|留守|统计|成绩|名单|名册|考试|登记|信息"
                           r"|本校|我校|全校|各校|教育|中小学|全县|全镇|全乡|全市|全区"
                           r"|填写|填报|填表|说明|学号|姓名|汇总|本表|乡镇|农村")
#: A title line that instructs rather than names: 填表说明, 说明, 注, 备注, or a numbered item (1. 2、 (3)).
_INSTRUCTION = re.compile(r"^\s*(?:填表说明|填报说明|填写说明|说明|注意|注|备注|要求|\(?\d{1,2}[).、](?!\d))")
#: What a file-name prefix must end with to be read as a school's name.
_PREFIX_SCHOOL = re.compile(r"(?:学校|中学|小学|初中|完小|中心校|校|中|小)$")
_FIELD_LINE = re.compile(r"(?:填报单位|单位名称|学校名称|学校|单位)(?:\(盖章\)|（盖章）)?[:：]\s*([^\s:：]+)")


def school_in_text(text: str) -> str | None:
    """The first school named in a title or a 填报单位 line, or None.

    >>> school_in_text("红岩镇中学农村留守儿童信息统计表")
    '红岩镇中学'
    >>> school_in_text("填报单位（盖章）：红岩镇中学    填报日期：2024年9月")
    '红岩镇中学'
    >>> school_in_text("2024-2025学年第一学期七年级期末考试成绩表") is None
    True
    """
    if not text:
        return None
    text = "\n".join(line for line in unicodedata.normalize("NFKC", str(text)).splitlines()
                     if not _INSTRUCTION.match(line))
    m = _FIELD_LINE.search(text)
    if m:
        named = _first_school(m.group(1))
        if named:
            return named
    return _first_school(text)


def _first_school(text: str) -> str | None:
    for segment in re.split(r"[^\u4e00-\u9fff]+", text):
        for m in _SCHOOL.finditer(segment):
            name = m.group(0)
            for lead in ("填报单位", "单位名称", "学校名称"):
                name = name.removeprefix(lead)
            if len(name) >= 3 and not _NOT_A_SCHOOL.search(name):
                return name
    return None


@dataclass
class FileEvidence:
    """What a file says about its school."""

    file: str
    term: str
    #: distinct school names in a school column, canonical
    column: list[str] = field(default_factory=list)
    title: str | None = None
    folder: str | None = None
    #: a school's full name in the file name (石门镇中学七年级学生名册.xlsx)
    named: str | None = None
    #: the text before the first ``_`` of the file name, which may be a short name (一中_成绩.xlsx)
    prefix: str | None = None


@dataclass
class SchoolDecision:
    """Which school a file belongs to, how that was found (file name, title, 填报单位 line, a school column), and the
    problem when it could not be."""
    school: str | None
    how: str
    problem: str | None = None


def evidence_of(file: str, term: str, titles: list[str], column_values: list[str],
                settings: DatasetSettings) -> FileEvidence:
    """Collect a file's school evidence (``file`` is relative to the dataset)."""
    parts = PurePosixPath(file).parts
    folder = settings.canonical_school(parts[1]) if len(parts) > 2 else None
    stem = PurePosixPath(file).stem
    prefix = settings.canonical_school(stem.split("_", 1)[0]) if "_" in stem else None
    title = next((s for s in (school_in_text(t) for t in titles) if s), None)
    column = sorted({c for c in (settings.canonical_school(v) for v in column_values) if c})
    named = settings.canonical_school(school_in_text(stem))
    return FileEvidence(file, term, column, settings.canonical_school(title), folder, named, prefix)


def resolve_schools(files: list[FileEvidence], settings: DatasetSettings) -> dict[str, SchoolDecision]:
    """The school of every file (see the module's order of sources)."""
    named_anywhere = {s for f in files for s in f.column + [f.title, f.folder, f.named] if s}
    if settings.school:
        named_anywhere.add(settings.school)
    by_term: dict[str, set[str]] = {}
    for f in files:
        by_term.setdefault(f.term, set()).update(s for s in f.column + [f.title] if s)
    out = {}
    for f in files:
        conflict = _file_name_conflict(f, settings)
        if conflict:
            out[f.file] = SchoolDecision(None, "unresolved", conflict)
        elif len(f.column) == 1:
            out[f.file] = SchoolDecision(f.column[0], "school column")
        elif f.column:
            out[f.file] = SchoolDecision(None, "school column (several schools, row by row)")
        elif f.title:
            out[f.file] = SchoolDecision(f.title, "title or 填报单位 line")
        elif f.folder:
            out[f.file] = SchoolDecision(f.folder, "school folder")
        elif f.named:
            confirmed = f.named in {s for g in files if g is not f for s in g.column + [g.title, g.folder, g.named]}
            out[f.file] = SchoolDecision(f.named, "file name, confirmed by another file" if confirmed else "file name")
        elif settings.school:
            out[f.file] = SchoolDecision(settings.school, f"school in {settings.where}")
        elif f.prefix and f.prefix in named_anywhere:
            out[f.file] = SchoolDecision(f.prefix, "file name, confirmed by another file")
        elif f.prefix and not named_anywhere and _PREFIX_SCHOOL.search(f.prefix):
            out[f.file] = SchoolDecision(f.prefix, "file name (no other source names a school)")
        elif len(by_term.get(f.term, ())) == 1:
            (only,) = by_term[f.term]
            out[f.file] = SchoolDecision(only, "the only school named in its term folder")
        elif by_term.get(f.term):
            names = "、".join(sorted(by_term[f.term]))
            out[f.file] = SchoolDecision(None, "unresolved", (
                f"{f.file}: the files of term {f.term} name {len(by_term[f.term])} schools ({names}) and this file "
                "names none; put each school's files in a folder of its own "
                f"({PurePosixPath(f.file).parts[0]}/<school>/) or set school = \"...\" in {settings.where}."))
        else:
            out[f.file] = SchoolDecision(None, "unresolved", (
                f"{f.file}: no school is named in this file (a 学校 column, its title or a 填报单位 line), its "
                f"folder or liushou.toml; add school = \"...\" to {settings.where}, or put the files in a "
                f"folder named after the school ({PurePosixPath(f.file).parts[0]}/<school>/)."))
    return out


def _file_name_conflict(f: FileEvidence, settings: DatasetSettings) -> str | None:
    """One sentence when the school the file name names is not the one its
    content, its folder or liushou.toml names; None when they agree or the
    name names no school."""
    if not f.named:
        return None
    dataset_school = settings.canonical_school(settings.school)
    sources = [("its 学校 column", f.column), ("its title or 填报单位 line", [f.title] if f.title else []),
               ("its folder", [f.folder] if f.folder else []),
               (f"school = in {settings.where}", [dataset_school] if dataset_school else [])]
    for where, names in sources:
        if names and f.named not in names:
            return (f"{f.file}: the file name names {f.named} but {where} names {'、'.join(names)}; the file is "
                    "not used until they agree (rename the file, correct the content, or list one name as the "
                    f"other's alias under [school_aliases] in {settings.where}).")
    return None


# --- pupils --------------------------------------------------------------------------

#: Columns a cleaned pupil row brings to linkage (dropped before writing).
LINK_COLUMNS = ["student_no", "number_source", "registry_no", "_id_number", "_name", "_birth"]


def normalise_name(names: pd.Series) -> pd.Series:
    """Names as compared: NFKC, no spaces, no status word in brackets."""
    from liushou_analysis.cleaning.values import split_status_from_names

    cleaned, _ = split_status_from_names(names)
    return cleaned.str.replace(r"\s+", "", regex=True).where(lambda s: s.str.len() > 0)


def _unique_map(keys: pd.Series, ids: pd.Series) -> tuple[pd.Series, set]:
    """key -> the one id it points at; and the keys that point at several."""
    pairs = pd.DataFrame({"key": keys, "id": ids}).dropna().drop_duplicates()
    counts = pairs.groupby("key").id.nunique()
    ambiguous = set(counts.index[counts > 1])
    unique = pairs[~pairs.key.isin(ambiguous)].drop_duplicates("key").set_index("key").id
    return unique, ambiguous


def link_pupils(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Link every pupil row to a pupil identity.

    ``rows`` holds, for rows of every pupil table stacked: ``school``,
    ``term``, ``grade``, ``class_no``, ``student_no`` (the row's number, or
    missing), ``number_source`` (学号 / 考号 / 学籍号), ``registry_no`` (a
    学籍号 beside a 学号), ``_id_number``, ``_name`` and ``_birth`` (a
    timestamp). Returns the identity (``school|number``, ``R|学籍号`` or
    ``I|身份证号``; hashed by the caller), how each row was linked, and a
    quarantine reason (``ambiguous_pupil`` / ``unmatched_pupil``) where it
    could not be.
    """
    idx = rows.index
    number = rows.student_no.where(rows.student_no.notna())
    own = (rows.school + "|" + number).where(number.notna())
    how = pd.Series(np.where(own.notna(), "number", None), index=idx, dtype=object)
    # A 学籍号 used as the row's number: the same pupil as the numbered row
    # that carries it beside its 学号, unless the school also uses it as a 学号.
    numbered = own.notna() & (rows.number_source != "学籍号")
    school_numbers = set(own[numbered])
    reg_map, _ = _unique_map(rows.registry_no.where(numbered), own.where(numbered))
    by_registry_no = (rows.number_source == "学籍号") & own.notna() & ~own.isin(school_numbers)
    remapped = rows.student_no.where(by_registry_no).map(reg_map)
    # A 学籍号 that is neither a number of the school nor beside a 学号 anywhere links like a row without a number.
    unconfirmed = by_registry_no & remapped.isna()
    registry_no = rows.registry_no.where(~unconfirmed, rows.student_no)
    identity = own.where(~remapped.notna(), remapped).where(~unconfirmed)
    how = how.where(~remapped.notna(), "学籍号").where(~unconfirmed)

    name = normalise_name(rows["_name"])
    birth = pd.to_datetime(rows["_birth"]).dt.strftime("%Y-%m")
    anchors = identity.notna()
    keys = {
        "身份证号": rows["_id_number"],
        "学籍号": registry_no,
        "name and class": rows.school + "|" + rows.term + "|" + rows.grade.astype("string") + "|"
                          + rows.class_no.astype("string") + "|" + name,
        "name and birth month": rows.school + "|" + name + "|" + birth,
    }
    reason = pd.Series(None, index=idx, dtype=object)
    todo = identity.isna()
    for label, key in keys.items():
        key = key.astype(object).where(key.notna())
        mapping, ambiguous = _unique_map(key.where(anchors), identity.where(anchors))
        hit = todo & key.map(mapping).notna()
        identity = identity.where(~hit, key.map(mapping))
        how = how.where(~hit, label)
        amb = todo & ~hit & key.isin(ambiguous)
        reason = reason.where(~amb, "ambiguous_pupil")
        todo = todo & ~hit & ~amb
    # Rows known only by a registry or ID number that no numbered row carries are their own pupil
    # (a 学籍号 that was the row's number keeps its school, as a number does).
    kept_number = todo & unconfirmed
    identity = identity.where(~kept_number, own)
    how = how.where(~kept_number, "学籍号 (own)")
    todo = todo & ~kept_number
    for label, key, prefix in (("学籍号 (own)", registry_no, "R|"), ("身份证号 (own)", rows["_id_number"], "I|")):
        own_key = todo & key.notna()
        identity = identity.where(~own_key, prefix + key.astype(str))
        how = how.where(~own_key, label)
        todo = todo & ~own_key
    reason = reason.where(~todo, "unmatched_pupil")
    return identity, how, reason
