"""``liushou payouts``: the reward-point outputs with names, so the school's accountant can pay people.

``liushou score`` writes pseudonymous keys only. This command reads the raw
files again with the dataset's key (:func:`~liushou_analysis.cleaning.pipeline.key_directory`),
puts each helper's, head teacher's and pupil's name beside their key and
amount, and writes one workbook marked 内部资料 (internal: it holds names of
minors and staff) to a path the user names. It is never part of a report,
never written into ``data_clean/`` or ``reports/``, and refused without the
key.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from liushou_analysis.core import config
from liushou_analysis.core.errors import UserError
from liushou_analysis.core.outputs import MARKER
from liushou_analysis.core.xlsxio import append_frame, save_workbook
from liushou_analysis.store import MANIFEST

#: The title every sheet opens with and the workbook's title property (how a later run knows the file).
INTERNAL = ("内部资料 请勿外传：含学生和教师姓名，仅供发放奖励使用 "
            "(internal: names of minors and staff, for paying only)")
TITLE = "liushou payouts 内部资料"

#: Each sheet: the score output it comes from, its key column, the amount column, and the role of its keys.
SHEETS = {
    "帮扶人 helpers": ("helper_points.csv", "helper_id", "yuan", "helper"),
    "班主任 head teachers": ("head_teacher_points.csv", "head_teacher_id", "yuan", "head_teacher"),
    "学生奖励 pupils": ("pupil_awards.csv", "pupil_id", "award_total_yuan", "pupil"),
}


def read_scores(folder: Path) -> dict[str, pd.DataFrame]:
    """The three payout tables of a ``liushou score`` output folder; a plain error naming what is missing."""
    folder = Path(folder)
    out = {}
    for sheet, (file, key, amount, _) in SHEETS.items():
        path = folder / file
        if not path.is_file():
            raise UserError(f"{folder} has no {file}: give the folder liushou score wrote (its --out).")
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype={key: str})
        if key not in frame or amount not in frame:
            raise UserError(f"{path} has no {key} or {amount} column: it is not a liushou score output.")
        out[sheet] = frame
    return out


def named(scores: dict[str, pd.DataFrame], directory: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each payout table with 姓名 and 学校 in front (several spellings of one person joined by ／; a key the
    raw files do not give is marked （未找到 not found））, rows paying nothing left out."""
    who = (directory.groupby(["key", "role"], sort=False)
           .agg(name=("name", lambda s: "／".join(dict.fromkeys(s))), school=("school", "first")).reset_index())
    out = {}
    for sheet, (_, key, amount, role) in SHEETS.items():
        frame = scores[sheet]
        frame = frame[frame[amount].fillna(0) != 0]
        people = who[who.role == role].drop(columns="role").rename(columns={"key": key})
        merged = frame.merge(people, on=key, how="left")
        merged["name"] = merged["name"].fillna("（未找到 not found）")
        front = ["name", "school", key]
        out[sheet] = merged[front + [c for c in merged.columns if c not in front]].rename(
            columns={"name": "姓名", "school": "学校"})
    return out


def refuse_public_places(out: Path, raw_dir: Path, scores: Path) -> None:
    """The workbook holds names: never inside the raw or clean data, a report or the score outputs."""
    out = Path(out).resolve()
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"{out} must be an .xlsx file name, e.g. 发放名单.xlsx.")
    places = [(config.DATA_CLEAN, "the clean data"), (config.REPORTS, "the reports"), (Path(raw_dir), "the raw data"),
              (Path(scores), "the score outputs")]
    # and any folder liushou wrote (a clean dataset, a report, an export: they carry its marker or manifest)
    places += [(folder, "a folder liushou wrote") for folder in out.parents
               if (folder / MARKER).is_file() or (folder / MANIFEST).is_file()]
    for place, what in places:
        if out.is_relative_to(Path(place).resolve()):
            raise UserError(f"{out} is inside {what} ({place}), which others read or publish; the payout list "
                            "holds names: write it somewhere private, e.g. your own documents folder.")


def write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per payout table, each opening with the 内部资料 line."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    wb.properties.title = TITLE
    for sheet, frame in tables.items():
        ws = wb.create_sheet(sheet)
        ws.append([INTERNAL])
        append_frame(ws, frame)
    save_workbook(wb, path)


def is_payout_workbook(path: Path) -> bool:
    """Whether ``path`` is a workbook this command wrote (so a rerun may replace it)."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True).properties.title == TITLE
    except Exception:  # not a workbook at all: not ours
        return False
