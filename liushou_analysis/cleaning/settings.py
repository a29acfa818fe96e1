"""A dataset's own settings: ``liushou.toml`` in the raw dataset folder.

Everything in it is optional::

    # the school of a folder that holds one school's files
    school = "红岩镇中学"

    # other names the same school goes by in titles, columns and folders
    [school_aliases]
    "红岩镇中学" = ["红岩中学", "红岩镇初级中学"]

    # header labels the package does not know: label = field
    [headers]
    "家长务工地" = "father_work_province"

    # values the package does not know: label = code, per codebook domain
    [labels.relation]
    "干妈" = "friend_neighbour"

The fields and codes are the codebook's (``liushou_analysis/data/codebook.csv``,
and docs/forms.md). Cleaning adds these rows to the codebook while it runs,
so a dataset is extended without editing the package.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from liushou_analysis.core import codebook
from liushou_analysis.core.errors import UserError

SETTINGS_FILE = "liushou.toml"


def normalise_school(name) -> str:
    """A school name as compared: NFKC, no whitespace."""
    return "".join(unicodedata.normalize("NFKC", str(name)).split())


@dataclass
class DatasetSettings:
    """What ``liushou.toml`` says (all empty when there is none)."""

    path: Path | None = None
    school: str | None = None
    #: variant -> canonical school name (both normalised)
    school_aliases: dict[str, str] = field(default_factory=dict)
    #: codebook rows the dataset adds (domain, code, label)
    codebook_rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["domain", "code", "label"]))

    def canonical_school(self, name: str | None) -> str | None:
        """The school's one name: the name liushou.toml maps this one to, else the name itself, normalised (full-width
        and spaces folded)."""
        if name is None or (isinstance(name, float) and pd.isna(name)):
            return None
        text = normalise_school(name)
        if not text:
            return None
        return self.school_aliases.get(text, text)

    @property
    def where(self) -> str:
        """Where these settings come from, for messages."""
        return str(self.path) if self.path else f"{SETTINGS_FILE} in the dataset folder"


def load_settings(dataset_dir: Path) -> DatasetSettings:
    """Read ``liushou.toml`` from the dataset folder; check every entry."""
    path = Path(dataset_dir) / SETTINGS_FILE
    if not path.is_file():
        return DatasetSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not valid TOML ({err}); check the quotes and brackets on that line.") from None
    known = {"school", "school_aliases", "headers", "labels"}
    extra = sorted(set(data) - known)
    if extra:
        raise UserError(f"{path}: unknown setting(s) {', '.join(extra)}; the settings are "
                        f"{', '.join(sorted(known))}.")
    misplaced = [name for name in ("school_aliases", "headers") if "school" in data.get(name, {})]
    misplaced += [f"labels.{d}" for d, labels in data.get("labels", {}).items()
                  if isinstance(labels, dict) and "school" in labels]
    if misplaced and "school" not in data:
        raise UserError(f"{path}: school = ... is inside the [{misplaced[0]}] section; move the school line above the "
                        "first [section] of the file (TOML reads every line below a [section] as part of it).")
    settings = DatasetSettings(path=path)
    if "school" in data:
        if not isinstance(data["school"], str) or not data["school"].strip():
            raise UserError(f"{path}: school must be the school's name in quotes, e.g. school = \"红岩镇中学\".")
        settings.school = normalise_school(data["school"])
    for canonical, variants in data.get("school_aliases", {}).items():
        variants = [variants] if isinstance(variants, str) else variants
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise UserError(f"{path}: school_aliases \"{canonical}\" must list names in quotes, e.g. "
                            f"\"{canonical}\" = [\"...\"].")
        for v in variants:
            settings.school_aliases[normalise_school(v)] = normalise_school(canonical)
    if settings.school:
        settings.school = settings.school_aliases.get(settings.school, settings.school)
    cb = codebook.load_codebook()
    rows = []
    fields = set(cb.code[cb.domain == "header"]) | {f"score:{s}" for s in cb.code[cb.domain == "subject"]}
    for label, name in data.get("headers", {}).items():
        if name not in fields:
            raise UserError(f"{path}: [headers] \"{label}\" = \"{name}\": {name} is not a field; use one of the "
                            "fields listed in docs/forms.md (for example father_work_province, class, name).")
        if name.startswith("score:"):
            rows.append(("subject", name.split(":", 1)[1], label))
        else:
            rows.append(("header", name, label))
    for domain, labels in data.get("labels", {}).items():
        codes = set(cb.code[cb.domain == domain])
        if not codes or domain == "header":
            raise UserError(f"{path}: [labels.{domain}]: {domain} is not a codebook domain; the domains are "
                            f"{', '.join(sorted(set(cb.domain) - {'header', 'header_leaf'}))}.")
        for label, code in labels.items():
            if code not in codes:
                raise UserError(f"{path}: [labels.{domain}] \"{label}\" = \"{code}\": the codes of {domain} are "
                                f"{', '.join(sorted(codes))}.")
            rows.append((domain, code, label))
    settings.codebook_rows = pd.DataFrame(rows, columns=["domain", "code", "label"])
    return settings
