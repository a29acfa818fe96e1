"""A sampling design declared in TOML, for ``liushou survey`` and the questionnaire notebook.

The file names columns of the data (docs/questionnaires.md has a worked
example)::

    weight = "wt"                 # sampling weight
    strata = "county"             # first-stage strata
    psu = "school"                # primary sampling units
    ssu = "class"                 # optional: second-stage units
    fpc = ["n_schools"]           # optional: population count (or fraction) per stage
    domains = ["care", "gender"]  # estimates for each of these, besides the whole sample
    lonely_psu = "adjust"         # a stratum with one PSU: fail, certainty, remove or adjust

    [calibration]                 # optional: weights calibrated to known totals
    method = "raking"             # raking, linear or poststratify
    [calibration.totals.gender]   # one categorical margin: each level's population count
    "男" = 5200
    "女" = 4800
    [[calibration.joint]]         # a joint margin, from a CSV with the columns and a count column
    columns = ["school", "grade"]
    file = "enrolment.csv"        # relative to this file; its count column is named count

    [replicates]                  # optional: variances from replicate weights
    type = "jkn"                  # jk1, jkn or bootstrap (made from the design) ...
    replicates = 500              # bootstrap only
    seed = 1
    # ... or weights shipped with the data:
    # columns = ["rw1", "rw2", ...]; scale = 0.05; mse = false

Without a design file the data are taken as a simple random sample with
equal weights, and :attr:`DesignInfo.sentence` says so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from liushou_analysis.core.errors import UserError
from liushou_analysis.statistics.replicates import ReplicateDesign, replicate
from liushou_analysis.statistics.survey import LONELY_PSU, SurveyDesign

NO_DESIGN = "未给出抽样设计：按简单随机抽样计算，每位答卷者的权数相同，标准误未考虑整群抽样。"
KEYS = {"weight", "strata", "psu", "ssu", "fpc", "domains", "lonely_psu", "calibration", "replicates"}


@dataclass
class DesignInfo:
    """How a design was set up, for the page and the log."""

    sentence: str
    domains: list[str] = field(default_factory=list)
    declared: bool = False
    weighted: bool = False  # weights that add up to a population: totals are estimated too


def _list(value) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def load_design(path: Path | str | None, data: pd.DataFrame) -> tuple[SurveyDesign, DesignInfo]:
    """The design of ``data`` as ``path`` declares it (a simple random sample when ``path`` is None)."""
    if path is None:
        return SurveyDesign(data), DesignInfo(NO_DESIGN)
    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: the design file cannot be read ({err}).") from None
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{path}: not valid TOML ({err}); see docs/questionnaires.md for an example.") from None
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise UserError(f"{path.name}: unknown setting {unknown[0]!r}; use {', '.join(sorted(KEYS))}.")
    named = {"weight": _list(spec.get("weight")), "strata": _list(spec.get("strata")), "psu": _list(spec.get("psu")),
             "ssu": _list(spec.get("ssu")), "fpc": _list(spec.get("fpc")), "domains": _list(spec.get("domains"))}
    for key, columns in named.items():
        for column in columns:
            if column not in data.columns:
                raise UserError(f"{path.name}: {key} = {column!r} is not a column of the data; the columns are "
                                f"{', '.join(map(str, list(data.columns)[:12]))} ….")
    used = named["weight"] + named["strata"] + named["psu"] + named["ssu"] + named["fpc"]
    blank = data[used].isna().any(axis=1) if used else pd.Series(False, index=data.index)
    if blank.any():
        column = next(c for c in used if data[c].isna().any())
        raise UserError(f"{path.name}: {column} is blank for {int(data[column].isna().sum())} respondents; every "
                        "respondent needs a weight, stratum and sampling unit (drop or fill those rows first).")
    lonely = spec.get("lonely_psu", "fail")
    if lonely not in LONELY_PSU:
        raise UserError(f"{path.name}: lonely_psu = {lonely!r}; use one of {', '.join(LONELY_PSU)}.")
    clusters = named["psu"] + named["ssu"]
    try:
        design = SurveyDesign(data, weights=(named["weight"] or [None])[0], strata=named["strata"] or None,
                              cluster=clusters or None, fpc=named["fpc"] or None, lonely_psu=lonely)
    except ValueError as err:
        raise UserError(f"{path.name}: {err}.") from None
    parts = [f"权数 {named['weight'][0]}" if named["weight"] else "权数相同",
             f"分层 {'、'.join(named['strata'])}" if named["strata"] else "不分层",
             f"初级抽样单位 {named['psu'][0]}" if named["psu"] else "每位答卷者为一个抽样单位"]
    if named["ssu"]:
        parts.append(f"二级抽样单位 {named['ssu'][0]}")
    if named["fpc"]:
        parts.append("含有限总体校正")
    if "replicates" in spec:
        design, said = _replicates(design, spec["replicates"], path, data)
        parts.append(said)
    if "calibration" in spec:
        design, said = _calibration(design, spec["calibration"], path)
        parts.append(said)
    weighted = bool(named["weight"] or named["fpc"] or "calibration" in spec)
    sentence = "抽样设计（" + path.name + "）：" + "；".join(parts) + "。"
    return design, DesignInfo(sentence, named["domains"], True, weighted)


def _replicates(design: SurveyDesign, spec: dict, path: Path, data: pd.DataFrame):
    if "columns" in spec:
        columns = _list(spec["columns"])
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise UserError(f"{path.name}: replicate weight {missing[0]!r} is not a column of the data.")
        if "scale" not in spec:
            raise UserError(f"{path.name}: [replicates] with columns needs scale (for example 1/R for a bootstrap, "
                            "(R-1)/R for JK1).")
        rep = ReplicateDesign(design.data, design.w, columns, scale=float(spec["scale"]),
                              rscales=spec.get("rscales"), mse=bool(spec.get("mse", False)), kind="given",
                              df=design.degrees_of_freedom())
        return rep, f"方差由数据自带的 {len(columns)} 组重复权数估计"
    kind = spec.get("type", "jkn")
    rep = replicate(design, kind, int(spec.get("replicates", 200)), int(spec.get("seed", 0)),
                    bool(spec.get("mse", False)))
    names = {"jk1": "刀切法（JK1）", "jkn": "分层刀切法（JKn）", "bootstrap": "自助法（Rao-Wu）"}
    return rep, f"方差由{names[kind]}重复权数估计（{rep.replicate_weights.shape[1]} 组）"


def _calibration(design: SurveyDesign, spec: dict, path: Path):
    method = spec.get("method", "raking")
    totals = {}
    for column, levels in spec.get("totals", {}).items():
        totals[column] = levels if isinstance(levels, dict) else float(levels)
    for joint in spec.get("joint", []):
        columns = _list(joint.get("columns"))
        table = pd.read_csv(path.parent / joint["file"], encoding="utf-8-sig") if "file" in joint else \
            pd.DataFrame(joint.get("rows", []))
        if "count" not in table.columns:
            raise UserError(f"{path.name}: the joint margin {'+'.join(columns)} needs a count column.")
        cells = {}
        for row in table.itertuples(index=False):  # a population table: one line per cell, not per respondent
            key = tuple(_same_type(design.data[c], getattr(row, c)) for c in columns)
            cells[key] = float(row.count)
        totals[tuple(columns)] = cells
    if method == "poststratify":
        method = "linear"
    for column, levels in totals.items():  # levels as the data hold them (TOML keys are text)
        if isinstance(levels, dict) and isinstance(column, str):
            totals[column] = {_same_type(design.data[column], k): v for k, v in levels.items()}
    said = {"raking": "按已知总数迭代加权（raking）校准", "linear": "按已知总数线性校准（事后分层）"}[method]
    names = "、".join("+".join(c) if isinstance(c, tuple) else c for c in totals)
    return design.calibrate(totals, method=method), f"{said}：{names}"


def _same_type(column: pd.Series, value):
    """A level written in TOML or CSV as the data hold it (1 for a number column, "男" for text)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return str(value)
    if pd.api.types.is_numeric_dtype(column):
        try:
            return float(value) if not float(value).is_integer() else int(float(value))
        except (TypeError, ValueError):
            return value
    return str(value)
