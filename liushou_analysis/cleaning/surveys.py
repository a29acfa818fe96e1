"""Questionnaires inside a term folder: read, coded, linked to pupils, written as clean tables.

``liushou clean`` hands a file that is no school form to
:func:`read_questionnaire`; a 问卷星 or 腾讯问卷 export (or a table of at
least three numbered questions) is kept as a questionnaire of its term.
Its answers are coded with the dataset's questionnaire codebook
(``questionnaire.toml`` or ``questionnaire.csv`` in the dataset folder, see
docs/questionnaires.md) and its respondents are linked to pupils through
the same linkage as every school table (:func:`.identity.link_pupils`):
学号 (with the school), 学籍号, or name and class matched against the
roster. :func:`link_rows` builds the rows the linkage reads; the pipeline
links them with the other pupil tables, so a pupil answering a
questionnaire gets the same ``pupil_key`` as in the roster. Names are read
in memory only and dropped with the other identifiers.

Three clean tables come out (:func:`survey_tables`): ``survey`` (one row
per respondent: term, school, file, respondent_key, pupil_key where linked,
the coded answers), ``survey_variables`` (the dictionary) and
``survey_missing`` (why answers are missing). A respondent who answered
nothing goes to quarantine (``no_answer``); one who cannot be linked is
kept with no ``pupil_key``: the answers still count for the questionnaire.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.cleaning import values as V
from liushou_analysis.cleaning.questionnaire import CleanSurvey, QuestionnaireCodebook, code_survey, load_codebook
from liushou_analysis.core.errors import UserError
from liushou_analysis.core.privacy import mask_text
from liushou_analysis.readers.questionnaire import RawSurvey, read_survey

#: The questionnaire codebook a dataset folder may hold.
CODEBOOK_NAMES = ("questionnaire.toml", "questionnaire.csv")
TABLES = ("survey", "survey_variables", "survey_missing")


def read_questionnaire(path: Path, raw_dir: Path) -> RawSurvey | None:
    """The file as a questionnaire, or None when it is not one."""
    try:
        raw = read_survey(path, raw_dir)
    except UserError:
        return None
    numbered = sum(c.number is not None for c in raw.columns)
    return raw if raw.platform in ("问卷星", "腾讯问卷") or numbered >= 3 else None


def dataset_codebook(raw_dir: Path) -> QuestionnaireCodebook | None:
    """The dataset's questionnaire codebook, if its folder holds one."""
    for name in CODEBOOK_NAMES:
        if (Path(raw_dir) / name).is_file():
            return load_codebook(Path(raw_dir) / name)
    return None


def link_rows(raw: RawSurvey, term: str, school: str | None, settings) -> pd.DataFrame:
    """One row per respondent in the columns the pupil linkage reads (see :func:`.identity.link_pupils`)."""
    n = len(raw.answers)
    ids = raw.identifiers if raw.identifiers is not None else pd.DataFrame(index=range(n))
    ids = ids.reset_index(drop=True)

    def column(name):
        return ids[name] if name in ids else pd.Series([None] * n, dtype=object)

    schools = V.text(column("school")).map(settings.canonical_school).fillna(school)
    grade, class_no = V.class_labels(column("class"))
    grade = grade.fillna(V.grades(column("grade")))
    number, _ = V.student_ids(column("student_no"))
    # a pupil types the number (or an export stores it as one): a leading zero may be missing, as in a
    # number cell, so the school's usual length restores it (values.restore_leading_zeros)
    was_number = number.notna() & number.str.fullmatch(r"\d+").fillna(False).astype(bool)
    registry, _ = V.student_ids(column("registry_no"))
    return pd.DataFrame({
        "school": schools.astype(object), "term": str(term), "grade": grade.astype("Int64"),
        "class_no": class_no.astype("Int64"), "student_no": number, "student_no_was_number": was_number.astype(bool),
        "number_source": np.where(number.notna(), "学号", None), "registry_no": registry,
        "_id_number": pd.Series([None] * n, dtype=object), "_name": V.text(column("name")),
        "_birth": pd.Series([pd.NaT] * n), "_file": raw.file, "_sheet": "", "_row": raw.source_rows,
        "_respondent": np.arange(n)})


def survey_tables(entries: list[dict], codebook: QuestionnaireCodebook | None, key: bytes,
                  names: set[str]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]:
    """The clean survey tables of every questionnaire, its quarantine rows, and rows read/quarantined per file.

    Each entry holds ``raw`` (the :class:`RawSurvey`), ``term``, and per respondent in file order ``schools``
    (a 学校 answer, else the file's school) and ``pupil_key`` (missing where not linked)."""
    data, variables, missing, quarantine, counts = [], [], [], [], {}
    for entry in entries:
        raw = entry["raw"]
        clean: CleanSurvey = code_survey(raw, codebook, key)
        entry["notes"] = clean.notes  # answers the codebook does not know, questions it names that are missing
        answered = np.ones(len(raw.answers), dtype=bool)
        answered[np.searchsorted(raw.source_rows, clean.quarantine.source_row.to_numpy())] = False
        frame = clean.data.copy()
        for column in clean.variables.name[clean.variables.type == "text"]:
            frame[column] = mask_text(frame[column].astype(object), names)
        frame.insert(1, "pupil_key", pd.Series(entry["pupil_key"]).to_numpy()[answered])
        frame.insert(0, "file", raw.file)
        frame.insert(0, "school", pd.Series(entry["schools"], dtype=object).to_numpy()[answered])
        frame.insert(0, "term", str(entry["term"]))
        frame["_file"] = raw.file
        data.append(frame)
        variables.append(clean.variables.assign(file=raw.file))
        missing.append(clean.missing.assign(file=raw.file))
        quarantine.append(pd.DataFrame({"table": "survey", "file": raw.file, "sheet": "",
                                        "row": clean.quarantine.source_row.to_numpy(), "column": "",
                                        "reason": "no_answer", "value": ""}))
        counts[(raw.file, "survey")] = [len(raw.answers), len(clean.quarantine)]
    tables = {"survey": pd.concat(data, ignore_index=True),
              "survey_variables": pd.concat(variables, ignore_index=True).astype({"question": str}),
              "survey_missing": pd.concat(missing, ignore_index=True)}
    return tables, pd.concat(quarantine, ignore_index=True), counts
