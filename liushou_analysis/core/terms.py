"""Term ids: ``2023-2024-1`` is semester 1 of the school year 2023-2024.

A dataset folder holds one sub-folder per term. Besides the term id, a
folder may be named as schools name terms: 2023-2024学年第一学期,
2023-2024学年度第二学期, 2023-2024上学期, 2023年秋季学期 or 2023秋 (the
autumn semester, semester 1 of 2023-2024), 2024年春季学期 or 2024春
(semester 2 of 2023-2024). An analysis of a term uses that term and every
earlier one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from liushou_analysis.core.errors import UserError

_TERM = re.compile(r"^(\d{4})-(\d{4})-([12])$")
_YEAR_SEMESTER = re.compile(r"^(\d{4})\s*[-—~至]\s*(\d{4})\s*(?:学年度?)?\s*(?:第\s*)?(?P<s>[一二12上下])\s*学?期?$")
#: How schools write a semester: 1 and 2, 第一学期, 上学期, 秋季学期 (the autumn
#: semester is semester 1), 第二学期, 下学期, 春季学期.
SEMESTER_WORDS = {"1": 1, "一": 1, "第一学期": 1, "第1学期": 1, "上学期": 1, "上": 1, "秋季学期": 1, "秋季": 1,
                  "秋": 1, "2": 2, "二": 2, "第二学期": 2, "第2学期": 2, "下学期": 2, "下": 2, "春季学期": 2,
                  "春季": 2, "春": 2}
_SEASON = re.compile(r"^(\d{4})\s*年?\s*(?P<s>秋|春)(?:季)?(?:学期)?$")


@dataclass(frozen=True, order=True)
class Term:
    """A school semester. Orders chronologically.

    Examples
    --------
    >>> Term.parse("2023-2024-2")
    Term(start_year=2023, semester=2)
    >>> str(Term(2024, 1))
    '2024-2025-1'
    """

    start_year: int
    semester: int

    @classmethod
    def parse(cls, text: str) -> "Term":
        """The term of an id ``YYYY-YYYY-S``; a plain error for anything else."""
        m = _TERM.match(text.strip())
        if not m or int(m.group(2)) != int(m.group(1)) + 1:
            raise UserError(
                f"'{text}' is not a term id: write the school year and semester as "
                "YYYY-YYYY-S, for example 2023-2024-1 (semester 1 or 2).")
        return cls(int(m.group(1)), int(m.group(3)))

    def __str__(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}-{self.semester}"

    @property
    def school_year(self) -> str:
        """The school year, ``2023-2024``."""
        return f"{self.start_year}-{self.start_year + 1}"

    @property
    def index(self) -> int:
        """Consecutive semester number: 2023-2024-1 -> 4047, 2023-2024-2 -> 4048."""
        return self.start_year * 2 + self.semester - 1

    def previous_year(self) -> "Term":
        """The same semester one school year earlier."""
        return Term(self.start_year - 1, self.semester)

    @property
    def start(self):
        """First day of the semester in the school calendar (:data:`CALENDAR`)."""
        return _calendar_day(self.start_year, self.semester, "start")

    @property
    def end(self):
        """Last day of the semester in the school calendar (:data:`CALENDAR`)."""
        return _calendar_day(self.start_year, self.semester, "end")

    @classmethod
    def from_folder_name(cls, name: str) -> "Term | None":
        """The term a folder name gives, in any of the ways schools write it; None if none.

        >>> names = ["2023-2024-1", "2023-2024学年第二学期", "2023秋", "2024年春季学期"]
        >>> [str(Term.from_folder_name(n)) for n in names]
        ['2023-2024-1', '2023-2024-2', '2023-2024-1', '2023-2024-2']
        """
        import unicodedata

        text = unicodedata.normalize("NFKC", name).strip()
        m = _TERM.match(text)
        if m and int(m.group(2)) == int(m.group(1)) + 1:
            return cls(int(m.group(1)), int(m.group(3)))
        m = _YEAR_SEMESTER.match(text)
        if m and int(m.group(2)) == int(m.group(1)) + 1:
            return cls(int(m.group(1)), SEMESTER_WORDS[m.group("s")])
        m = _SEASON.match(text)
        if m:
            year = int(m.group(1))
            return cls(year, 1) if m.group("s") == "秋" else cls(year - 1, 2)
        return None


def term_folders(dataset_dir: Path) -> dict[Term, Path]:
    """The term folders of a dataset, in term order. Folders starting with
    ``_`` (such as a synthetic county's ``_truth``) or ``.`` are not terms."""
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise UserError(f"the dataset folder {dataset_dir} does not exist: give the folder that holds "
                        "one sub-folder per term, such as data_raw/sample.")
    folders: dict[Term, Path] = {}
    for child in sorted(dataset_dir.iterdir()):
        if not child.is_dir() or child.name.startswith(("_", ".")):
            continue
        term = Term.from_folder_name(child.name)
        if term is None:
            raise UserError(f"the folder {child} is not named as a term: rename it like 2023-2024-1 or "
                            "2023-2024学年第一学期 (school year and semester), or move it out of the dataset.")
        if term in folders:
            raise UserError(f"the folders {folders[term].name} and {child.name} in {dataset_dir} are both term "
                            f"{term}: put that term's files in one folder.")
        folders[term] = child
    if not folders:
        raise UserError(f"{dataset_dir} holds no term folders: expected sub-folders like 2023-2024-1.")
    return dict(sorted(folders.items()))


def dataset_terms(dataset_dir: Path) -> list[Term]:
    """The terms of a dataset, in order (see :func:`term_folders`)."""
    return list(term_folders(dataset_dir))


def terms_up_to(terms: list[Term], term: Term) -> list[Term]:
    """The terms an analysis of ``term`` uses: it and every earlier one."""
    return [t for t in sorted(terms) if t <= term]


#: The school calendar: each semester's first and last day as (years after the
#: school year's start year, month, day). Semester 1 runs from 1 September to
#: 31 January, semester 2 from 20 February to 31 August.
CALENDAR = {(1, "start"): (0, 9, 1), (1, "end"): (1, 1, 31), (2, "start"): (1, 2, 20), (2, "end"): (1, 8, 31)}


def _calendar_day(start_year: int, semester: int, which: str):
    import pandas as pd

    years, month, day = CALENDAR[(semester, which)]
    return pd.Timestamp(year=start_year + years, month=month, day=day)


# --- the same arithmetic on a column of term ids (clean tables hold them as text) ---------------

def start_years(terms):
    """The school year's start year of each term id in a Series."""
    return terms.str[:4].astype(int)


def semesters(terms):
    """The semester (1 or 2) of each term id in a Series."""
    return terms.str[-1].astype(int)


def school_years(terms):
    """The school year (``2023-2024``) of each term id in a Series."""
    return terms.str[:9]


def term_indices(terms):
    """:attr:`Term.index` of each term id in a Series."""
    return start_years(terms) * 2 + semesters(terms) - 1


def calendar_days(terms, which: str = "start"):
    """:attr:`Term.start` (or ``which="end"``) of each term id in a Series."""
    import pandas as pd

    days = {t: _calendar_day(Term.parse(t).start_year, Term.parse(t).semester, which) for t in terms.unique()}
    return pd.to_datetime(terms.map(days))


def latest_at_or_before(term: str, terms) -> str | None:
    """The latest of ``terms`` at or before ``term`` (term ids sort in time order); None if none."""
    earlier = sorted(t for t in set(terms) if t <= term)
    return earlier[-1] if earlier else None


def class_ids(frame, per: str = "term"):
    """The class identifier of each row of ``frame`` (columns school, term, grade, class_no): one school's grade
    and class number in a term (``per="term"``, the clean tables' ``class_id``: 东山中学-2024-2025-1-7-2) or in
    a school year (``per="school_year"``, the reward scheme's class, which keeps its head teacher for the
    year: 东山中学-2024-2025-7-2)."""
    period = frame.term if per == "term" else school_years(frame.term)
    return frame.school + "-" + period + "-" + frame.grade.astype(str) + "-" + frame.class_no.astype(str)
