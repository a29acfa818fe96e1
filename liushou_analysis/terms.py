"""Term ids: ``2023-2024-1`` is semester 1 of the school year 2023-2024.

A dataset folder holds one sub-folder per term. An analysis of a term uses
that term and every earlier one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

_TERM = re.compile(r"^(\d{4})-(\d{4})-([12])$")


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
        m = _TERM.match(text.strip())
        if not m or int(m.group(2)) != int(m.group(1)) + 1:
            raise UserError(
                f"'{text}' is not a term id: write the school year and semester as "
                "YYYY-YYYY-S, for example 2023-2024-1 (semester 1 or 2).")
        return cls(int(m.group(1)), int(m.group(3)))

    def __str__(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}-{self.semester}"


def dataset_terms(dataset_dir: Path) -> list[Term]:
    """The term folders of a dataset, in order. Folders starting with ``_``
    (such as a synthetic county's ``_truth``) are not terms."""
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise UserError(f"the dataset folder {dataset_dir} does not exist: give the folder that holds "
                        "one sub-folder per term, such as data_raw/sample.")
    terms = []
    for child in sorted(dataset_dir.iterdir()):
        if not child.is_dir() or child.name.startswith(("_", ".")):
            continue
        try:
            terms.append(Term.parse(child.name))
        except UserError:
            raise UserError(f"the folder {child} is not named as a term: rename it like 2023-2024-1 "
                            "(school year and semester), or move it out of the dataset.") from None
    if not terms:
        raise UserError(f"{dataset_dir} holds no term folders: expected sub-folders like 2023-2024-1.")
    return sorted(terms)


def terms_up_to(terms: list[Term], term: Term) -> list[Term]:
    """The terms an analysis of ``term`` uses: it and every earlier one."""
    return [t for t in sorted(terms) if t <= term]
