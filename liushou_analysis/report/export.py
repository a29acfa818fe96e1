"""``liushou export``: the clean tables as files other programs open, with Chinese labels.

* ``clean_tables.xlsx``: one sheet per table; the header row gives each
  column's Chinese label (the codebook's header label) with its code name,
  coded values (care arrangement, helper role, ...) are written as their
  Chinese labels and yes/no answers as 是/否; a sheet ``变量说明`` lists every
  column with its label and type.
* ``<table>.dta`` (Stata 118, UTF-8) and ``<table>.sav`` (SPSS, through
  pyreadstat, the ``export`` extra): codes and yes/no answers stored as
  integers with value labels, each column with its variable label.

The tables hold pseudonymous keys only (no names, phones or ID numbers), as
in the clean store. Nothing is suppressed: these are analysts' files, not a
publication.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from liushou_analysis.cleaning import schemas
from liushou_analysis.core import codebook
from liushou_analysis.core.xlsxio import append_frame, save_workbook
from liushou_analysis.store import CleanStore

FORMATS = ("xlsx", "dta", "sav")
#: The sheets of a payout workbook (liushou score's reward_points.xlsx, a report's payouts.xlsx), in Chinese.
PAYOUT_SHEETS = {"pupil_points": "学生积分", "helper_points": "帮扶人奖励", "head_teacher_points": "班主任奖励",
                 "pupil_awards": "学生奖励", "audit": "审计记录", "rules": "计分规则", "skipped_rows": "未计分的行"}
YES_NO = {1: "是", 0: "否"}


def column_labels(table: str) -> dict[str, str]:
    """Each column's Chinese label (:func:`codebook.column_label`)."""
    return {c: codebook.column_label(c) for c in schemas.columns(table)}


def value_labels(table: str) -> dict[str, dict[str, str]]:
    """For each coded column, its codes and their Chinese labels (the codebook's preferred label)."""
    out = {}
    for column, domain in schemas.coded_columns(table).items():
        out[column] = {code: _preferred(domain, code) for code in codebook.codes(domain)}
    return out


def _preferred(domain: str, code: str) -> str:
    try:
        return codebook.preferred_label(domain, code)
    except (KeyError, ValueError):
        return code


def labelled(frame: pd.DataFrame, table: str) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """The table with coded and yes/no columns as integers (codes numbered in codebook order, yes 1, no 0),
    and the label of each integer per column: what Stata and SPSS store."""
    out = frame.copy()
    labels: dict[str, dict[int, str]] = {}
    for column, codes in value_labels(table).items():
        number = {code: i + 1 for i, code in enumerate(codes)}
        out[column] = frame[column].map(number).astype("Int64")
        labels[column] = {number[code]: label for code, label in codes.items()}
    for column, dtype in schemas.column_types(table).items():
        if dtype == "boolean":
            out[column] = frame[column].astype("Int64")
            labels[column] = dict(YES_NO)
    return out, labels


def shown(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The table as a reader sees it: coded values as their Chinese labels, yes/no as 是/否."""
    out = frame.copy()
    for column, codes in value_labels(table).items():
        out[column] = frame[column].map(codes).where(frame[column].notna())
    for column, dtype in schemas.column_types(table).items():
        if dtype == "boolean":
            out[column] = frame[column].astype("Int64").map(YES_NO)
    return out


def export(store: CleanStore, out: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write the store's tables into ``out`` in ``formats``; returns the files written. A store that holds
    questionnaires (``survey``) gets them too, as ``survey.*`` with their labels (:func:`write_survey`)."""
    out = Path(out)
    written = []
    if store.has("survey"):
        written += write_survey(store.table("survey"), store.table("survey_variables"), out,
                                tuple(f for f in formats if f in ("dta", "sav")) + ("csv",))
    tables = {t: store.table(t) for t in schemas.tables() if store.has(t)}
    if "xlsx" in formats:
        written.append(_write_xlsx(tables, out / "clean_tables.xlsx"))
    for table, frame in tables.items():
        numbers, labels = labelled(frame, table)
        names = column_labels(table)
        if "dta" in formats:
            written.append(_write_dta(numbers, labels, names, out / f"{table}.dta"))
        if "sav" in formats:
            written.append(_write_sav(numbers, labels, names, out / f"{table}.sav"))
    return written


def _write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    about = wb.active
    about.title = "变量说明"
    about.append(["表 table", "变量 column", "中文标签 label", "类型 type"])
    for table, frame in tables.items():
        names = column_labels(table)
        types = schemas.column_types(table)
        ws = wb.create_sheet(table)
        append_frame(ws, shown(frame, table), header=[f"{names[c]} ({c})" if names[c] != c else c
                                                       for c in frame.columns])
        for c in frame.columns:
            about.append([table, c, names[c], types[c]])
    save_workbook(wb, path)
    return path


def _stata_name(column: str) -> str:
    return column[:32]  # Stata variable names are at most 32 characters


def _write_dta(frame: pd.DataFrame, labels: dict[str, dict[int, str]], names: dict[str, str], path: Path) -> Path:
    data = frame.rename(columns=_stata_name)
    for column in data.columns:
        if str(data[column].dtype) in ("Int64", "boolean"):
            data[column] = data[column].astype("float64")  # Stata's missing value for a number column
        elif data[column].dtype != "float64":
            data[column] = data[column].astype(object).where(data[column].notna(), "")
    data.to_stata(path, write_index=False, version=118,
                  variable_labels={_stata_name(c): names[c][:80] for c in frame.columns},
                  value_labels={_stata_name(c): v for c, v in labels.items()})
    return path


def _write_sav(frame: pd.DataFrame, labels: dict[str, dict[int, str]], names: dict[str, str], path: Path) -> Path:
    import pyreadstat

    data = frame.copy()
    for column in data.columns:
        if str(data[column].dtype) in ("Int64", "boolean"):
            data[column] = data[column].astype("float64")
        elif data[column].dtype != "float64":
            data[column] = data[column].astype(object).where(data[column].notna(), None)
    pyreadstat.write_sav(data, str(path), column_labels=[names[c] for c in frame.columns],
                         variable_value_labels={c: {float(k): v for k, v in m.items()} for c, m in labels.items()})
    return path


def labelled_survey(data: pd.DataFrame, variables: pd.DataFrame
                    ) -> tuple[pd.DataFrame, dict[str, dict[int, str]], dict[str, str]]:
    """A questionnaire's answers with each category as its number (1 = its first label, in the answer
    scale's order) and the labels of those numbers, as Stata and SPSS store them; and each variable's label
    (the question's text)."""
    out = data.copy()
    labels: dict[str, dict[int, str]] = {}
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = pd.Series(values.cat.codes + 1, index=values.index).where(values.notna()).astype("Int64")
            labels[column] = {i + 1: str(c) for i, c in enumerate(values.cat.categories)}
    described = dict(zip(variables.name, variables.label.astype(str), strict=True))
    names = {"respondent_key": "答卷者编号（化名）", "pupil_key": "学生编号（化名）", "term": "学期", "school": "学校",
             "file": "问卷文件", **described}
    return out, labels, {c: names.get(c, c) for c in out.columns}


def write_survey(data: pd.DataFrame, variables: pd.DataFrame, folder: Path,
                 formats: tuple[str, ...] = ("parquet", "csv", "dta", "sav")) -> list[Path]:
    """A questionnaire's coded answers as ``survey.parquet``, ``survey.csv`` (UTF-8 with BOM, labels as
    text), ``survey.dta`` and ``survey.sav`` (numbers with value labels, each variable with its label)."""
    from liushou_analysis.core.xlsxio import write_csv

    folder = Path(folder)
    written = []
    if "parquet" in formats:
        data.to_parquet(folder / "survey.parquet", index=False)
        written.append(folder / "survey.parquet")
    if "csv" in formats:
        write_csv(data, folder / "survey.csv")
        written.append(folder / "survey.csv")
    numbers, labels, names = labelled_survey(data, variables)
    if "dta" in formats:
        written.append(_write_dta(numbers, labels, names, folder / "survey.dta"))
    if "sav" in formats:
        written.append(_write_sav(numbers, labels, names, folder / "survey.sav"))
    return written


def payout_workbook(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """The scoring outputs as one workbook for the school: a sheet per table named in Chinese
    (:data:`PAYOUT_SHEETS`), Chinese column headers and coded values (the pages' label table,
    :func:`..labels.for_display`), yes/no as 是/否 and every amount in yuan to the fen. The CSV files beside it
    keep the machine names. Keys stay pseudonyms (``liushou payouts`` puts names beside them)."""
    import openpyxl

    from liushou_analysis.report.labels import for_display, is_money

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, frame in tables.items():
        shown = frame.copy()
        for column in shown.columns:
            values = shown[column]
            if pd.api.types.is_bool_dtype(values) or str(values.dtype) == "boolean":
                shown[column] = values.map({True: "是", False: "否"}).astype(object)
            elif is_money(column) and pd.api.types.is_numeric_dtype(values):
                shown[column] = values.astype(float).round(2)
        ws = wb.create_sheet(PAYOUT_SHEETS.get(name, name))
        append_frame(ws, for_display(shown))
        for j in [j for j, c in enumerate(frame.columns, start=1) if is_money(c)]:  # Excel shows 40.00, not 40
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = "#,##0.00"
    save_workbook(wb, path)
    return path
