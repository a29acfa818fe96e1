"""Hand-made questionnaire files, written the way 问卷星, 腾讯问卷, Stata and SPSS write them.

No generator: each file is typed out row by row (openpyxl, csv in GBK,
pandas' Stata writer, pyreadstat) from the same twelve pupils' answers, so a
test can check the readers against answers it knows. The questions are the
project's own wording; no published instrument is copied.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

WJX_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
QUESTIONS = ["1、你的性别", "2、你的年级", "3、你的姓名", "4、现在主要是谁在照顾你？",
             "5、你平时放学后主要做什么？（多选）", "6(我常常觉得孤单)", "6(我有可以说心里话的朋友)",
             "6(我觉得没有人关心我)", "7、你和外出的父母多久联系一次？", "8、你每周大约有几个小时用手机？"]
#: (gender, grade, name, carer, after school, lonely, friend, nobody cares, contact, phone hours)
PUPILS = [
    ("男", "七年级", "王小明", "祖父母", "写作业┋看电视", "经常", "有时", "经常", "每周", "6"),
    ("女", "七年级", "李小红", "母亲", "写作业┋帮家里干活", "有时", "经常", "很少", "每天", "2"),
    ("男", "八年级", "张伟", "祖父母", "看电视┋玩手机", "总是", "从不", "总是", "每月", "15"),
    ("女", "八年级", "刘芳", "其他亲戚", "写作业", "很少", "总是", "从不", "每周", "3"),
    ("男", "七年级", "陈刚", "父亲", "玩手机┋其他〖放牛〗", "有时", "有时", "有时", "每周", "10"),
    ("女", "九年级", "杨丽", "祖父母", "写作业┋看电视┋帮家里干活", "经常", "很少", "经常", "每学期", "(跳过)"),
    ("男", "九年级", "赵强", "母亲", "写作业", "从不", "总是", "很少", "每天", "1"),
    ("女", "七年级", "黄静", "祖父母", "帮家里干活", "有时", "有时", "有时", "每月", "(空)"),
    ("男", "八年级", "周杰", "祖父母", "看电视", "经常", "很少", "总是", "每学期", "12"),
    ("女", "八年级", "吴敏", "父母都在家", "写作业┋看电视", "很少", "经常", "从不", "每天", "4"),
    ("男", "九年级", "郑浩", "自己照顾自己", "玩手机", "总是", "从不", "经常", "每年", "20"),
    ("女", "七年级", "孙悦", "母亲", "(跳过)", "有时", "经常", "很少", "每周", "5"),
]
OPTIONS = {1: ["男", "女"], 2: ["七年级", "八年级", "九年级"],
           4: ["父亲", "母亲", "祖父母", "其他亲戚", "自己照顾自己", "父母都在家"],
           5: ["写作业", "看电视", "玩手机", "帮家里干活", "其他"],
           6: ["从不", "很少", "有时", "经常", "总是"], 7: ["每天", "每周", "每月", "每学期", "每年"]}


def _meta(i: int) -> list:
    return [i, f"2026/11/0{1 + i % 5} 19:{10 + i}:05", f"{200 + 7 * i}秒", "微信", "N/A", f"36.{i}.12.{9 + i}(湖南-邵阳)"]


def wjx_text_rows() -> list[list]:
    """问卷星 "按选项文本" download: a header row, then one row per respondent."""
    return [WJX_META + QUESTIONS] + [_meta(i) + list(p) for i, p in enumerate(PUPILS, start=1)]


def _number(q: int, answer: str) -> str:
    if answer in ("(跳过)", "(空)"):
        return "-3" if answer == "(跳过)" else "-2"
    if q == 5:
        parts = []
        for item in answer.split("┋"):
            label = item.split("〖")[0]
            parts.append(str(OPTIONS[5].index(label) + 1) + (item[len(label):] if "〖" in item else ""))
        return "┋".join(parts)
    return str(OPTIONS[q].index(answer) + 1) if q in OPTIONS else answer


def wjx_number_rows() -> list[list]:
    """问卷星 "按选项序号" download: option numbers, -3 for skipped and -2 for blank."""
    rows = [WJX_META + QUESTIONS]
    qs = [1, 2, 3, 4, 5, 6, 6, 6, 7, 8]
    for i, p in enumerate(PUPILS, start=1):
        rows.append(_meta(i) + [_number(q, a) if q != 3 else a for q, a in zip(qs, p, strict=True)])
    return rows


def write_xlsx(rows: list[list], path: Path, title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    if title:
        ws.append([title])
    for row in rows:
        ws.append([int(v) if isinstance(v, str) and v.isdigit() and len(v) < 6 else v for v in row])
    wb.save(path)
    return path


def write_csv(rows: list[list], path: Path, encoding: str = "gbk") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


def tencent_rows() -> list[list]:
    """腾讯问卷: its own columns, multi-choice split into one column per option (the option text when chosen,
    blank otherwise), the matrix as "6.question:row"."""
    header = ["编号", "开始答题时间", "结束答题时间", "答题时长", "地理位置(国家和地区)", "地理位置(省)",
              "1.你的性别", "2.你的年级", "4.现在主要是谁在照顾你？"]
    header += [f"5.你平时放学后主要做什么？:{o}" for o in OPTIONS[5]]
    header += ["6.下面的说法符合你吗:我常常觉得孤单", "6.下面的说法符合你吗:我有可以说心里话的朋友",
               "6.下面的说法符合你吗:我觉得没有人关心我", "7.你和外出的父母多久联系一次？", "8.你每周大约有几个小时用手机？"]
    rows = [header]
    for i, p in enumerate(PUPILS, start=1):
        chosen = p[4].split("┋")
        picks = []
        for o in OPTIONS[5]:
            hit = next((c for c in chosen if c.split("〖")[0] == o), "")
            picks.append(hit.replace("〖", "〖").replace("〗", "〗") if hit else "")
        hours = "" if p[9] in ("(跳过)", "(空)") else p[9]
        rows.append([i, "2026-11-02 08:00:00", "2026-11-02 08:05:00", "300", "中国", "湖南", p[0], p[1], p[3]]
                    + (picks if p[4] != "(跳过)" else [""] * 5) + [p[5], p[6], p[7], p[8], hours])
    return rows


CODEBOOK_TOML = """\
# 问卷编码本：题号 -> 变量名、类型、选项、反向计分题和量表
[questions.1]
name = "gender"
type = "single"
labels = {1 = "男", 2 = "女"}

[questions.2]
name = "grade"
type = "single"
labels = {1 = "七年级", 2 = "八年级", 3 = "九年级"}

[questions.4]
name = "carer"
type = "single"
labels = {1 = "父亲", 2 = "母亲", 3 = "祖父母", 4 = "其他亲戚", 5 = "自己照顾自己", 6 = "父母都在家"}

[questions.5]
name = "after"
type = "multi"
labels = {1 = "写作业", 2 = "看电视", 3 = "玩手机", 4 = "帮家里干活", 5 = "其他"}
items = ["after_homework", "after_tv", "after_phone", "after_chores", "after_other_choice"]

[questions.6]
name = "lonely"
type = "ordinal"
labels = {1 = "从不", 2 = "很少", 3 = "有时", 4 = "经常", 5 = "总是"}
items = ["lonely1", "lonely2", "lonely3"]
reverse = ["lonely2"]

[questions.7]
name = "contact"
type = "ordinal"
labels = {1 = "每天", 2 = "每周", 3 = "每月", 4 = "每学期", 5 = "每年"}

[questions.8]
name = "phone_hours"
type = "number"

[scales.loneliness]
label = "孤独感"
items = ["lonely1", "lonely2", "lonely3"]
score = "mean"
min_items = 2
"""


def research_frame(n_schools: int = 12, pupils: int = 20, seed: int = 5) -> pd.DataFrame:
    """A school-based research sample: 2 strata (county), schools as PSUs, pupils within; weights from
    known school and pupil counts; a labelled care variable and a 4-point loneliness item set."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_schools):
        county = 1 + s % 2
        for k in range(pupils):
            care = int(rng.choice([1, 2, 3], p=[0.3, 0.5, 0.2]))
            base = 1.6 + 0.5 * (care == 2) + 0.3 * (care == 3)
            items = np.clip(np.round(base + rng.normal(0, 0.7, 4)), 1, 4)
            rows.append({"county": county, "school": 100 * county + s, "pupil": k + 1,
                         "care": care, "female": int(rng.integers(0, 2)),
                         **{f"lon{j + 1}": float(v) for j, v in enumerate(items)},
                         "wt": (40 if county == 1 else 60) / 6 * 200 / pupils, "nschools": 40 if county == 1 else 60})
    return pd.DataFrame(rows)


CARE_LABELS = {1: "父母一方在家", 2: "祖辈照顾", 3: "其他人照顾"}
LONELY_LABELS = {1: "从不", 2: "有时", 3: "经常", 4: "总是"}


def write_dta(frame: pd.DataFrame, path: Path) -> Path:
    labels = {"care": CARE_LABELS, "female": {0: "男", 1: "女"}, **{f"lon{j}": LONELY_LABELS for j in range(1, 5)}}
    frame.to_stata(path, write_index=False, version=118,
                   variable_labels={"care": "主要照顾者", "female": "性别", "lon1": "我常常觉得孤单",
                                    "wt": "抽样权数", "county": "县（分层）", "school": "学校（初级抽样单位）"},
                   value_labels=labels)
    return path


def write_sav(frame: pd.DataFrame, path: Path) -> Path:
    import pyreadstat

    labels = {"care": CARE_LABELS, "female": {0: "男", 1: "女"}, **{f"lon{j}": LONELY_LABELS for j in range(1, 5)}}
    pyreadstat.write_sav(frame, str(path), column_labels={"care": "主要照顾者", "female": "性别"},
                         variable_value_labels={c: {float(k): v for k, v in m.items()} for c, m in labels.items()})
    return path


def school_questionnaire(people: list[dict], path: Path, n: int = 30) -> Path:
    """A 问卷星 export a school ran for its pupils (the small county's, tests/smallcounty.py): the twelve answer
    patterns above repeated, with 学号 (every fourth left blank: linked by name and class), 姓名 and 班级 at the end;
    then one pupil no roster knows and one who answered nothing."""
    rows = [WJX_META + QUESTIONS + ["9、你的学号", "10、你的姓名", "11、你的班级"]]
    grade_word = {7: "七年级", 8: "八年级"}
    for i, p in enumerate(people[:n], start=1):
        answers = list(PUPILS[(i - 1) % len(PUPILS)])
        answers[2] = p["name"]  # the name question (3、你的姓名) is answered too: dropped on reading
        rows.append(_meta(i) + answers + ["" if i % 4 == 0 else p["no"], p["name"], f"{grade_word[p['grade']]}{p['klass']}班"])
    rows.append(_meta(n + 1) + list(PUPILS[0]) + ["", "新来的", "七年级1班"])
    rows.append(_meta(n + 2) + ["(空)"] * len(QUESTIONS) + ["", "", ""])
    return write_xlsx(rows, path)
