"""A synthetic county's pupil questionnaire: a 问卷星 export from a sample of schools, with a planted truth.

In the county's last term, a simple random sample of half its schools (at
least one) asks every pupil to fill in a questionnaire online; nine in ten
do. The export is what 问卷星's "按选项文本" download looks like: 序号,
提交答卷时间, 所用时间, 来源, 来源详情, 来自IP, then numbered questions (a
multi-choice question joined with ┋, a matrix of four loneliness items,
"(跳过)" where the questionnaire's logic skipped a question), and the
pupil's school, 学号 (left blank by some), 姓名 and 班级 at the end, so the clean
layer can link the answers to the roster.

The planted truth: a pupil's loneliness is a latent ``L = delta[care] + e``
(``delta`` by care arrangement in :data:`LONELINESS_SHIFT`, ``e`` standard
normal); each item's answer is ``L`` plus item noise cut at fixed
thresholds into 从不 / 有时 / 经常 / 总是 (the second item is worded the other
way and reverse-coded). ``_truth/questionnaire.parquet`` holds every
sampled pupil's answers and scale score, responding or not, so the mean
score of each care arrangement among the sampled schools' pupils (the
finite-population value a report estimates) is known; truth.json records
``delta``. The question wording is the project's own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou_analysis.synth.model import County, stream

#: How much lonelier (in latent standard deviations) a pupil is under each care arrangement.
LONELINESS_SHIFT = {"parents": 0.0, "one_parent": 0.4, "grandparents": 0.8, "relatives": 1.0,
                    "teacher_school": 1.0, "none_self": 1.4}
ANSWERS = ("从不", "有时", "经常", "总是")
THRESHOLDS = (0.0, 1.0, 2.0)
ITEMS = ("我常常觉得孤单", "我有可以说心里话的朋友", "我觉得没有人关心我", "我晚上常常想念爸爸妈妈")
CARER = {"parents": "父母都在家", "one_parent": "父亲或母亲", "grandparents": "祖父母", "relatives": "其他亲戚",
         "teacher_school": "老师或住校", "none_self": "自己照顾自己"}
AFTER = ("写作业", "看电视", "玩手机", "帮家里干活")
CONTACT = ("每天", "每周", "每月", "每学期", "每年")
GRADE_WORD = {7: "七年级", 8: "八年级", 9: "九年级"}
META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
QUESTIONS = ["1、你的性别", "2、你的年级", "3、现在主要是谁在照顾你？", "4、你平时放学后主要做什么？（多选）",
             *[f"5({item})" for item in ITEMS], "6、你和外出的父母多久联系一次？", "7、你所在的学校", "8、你的学号",
             "9、你的姓名", "10、你的班级"]
FILE_NAME = "学生生活情况问卷_问卷星导出.xlsx"

#: The codebook the county ships in its folder (questionnaire.toml), so liushou clean names and scores the answers.
CODEBOOK = """\
# 学生生活情况问卷的编码本（合成数据）：题号 -> 变量名、类型、选项、反向计分题和量表
[questions.1]
name = "gender"
type = "single"
labels = {1 = "男", 2 = "女"}

[questions.2]
name = "grade_answer"
type = "single"
labels = {1 = "七年级", 2 = "八年级", 3 = "九年级"}

[questions.3]
name = "carer"
type = "single"
labels = {1 = "父母都在家", 2 = "父亲或母亲", 3 = "祖父母", 4 = "其他亲戚", 5 = "老师或住校", 6 = "自己照顾自己"}

[questions.4]
name = "after"
type = "multi"
labels = {1 = "写作业", 2 = "看电视", 3 = "玩手机", 4 = "帮家里干活"}
items = ["after_homework", "after_tv", "after_phone", "after_chores"]

[questions.5]
name = "lonely"
type = "ordinal"
labels = {1 = "从不", 2 = "有时", 3 = "经常", 4 = "总是"}
items = ["lonely1", "lonely2", "lonely3", "lonely4"]
reverse = ["lonely2"]

[questions.6]
name = "contact"
type = "ordinal"
labels = {1 = "每天", 2 = "每周", 3 = "每月", 4 = "每学期", 5 = "每年"}

[scales.loneliness]
label = "孤独感（1-4分）"
items = ["lonely1", "lonely2", "lonely3", "lonely4"]
score = "mean"
min_items = 3
"""


def questionnaire(county: County, pupils: pd.DataFrame) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """The last term's questionnaire: its term, the export's rows (header first) and the truth per sampled pupil."""
    rng = stream(county.seed, "questionnaire")
    last = county.terms.iloc[-1]
    schools = county.schools.school_id.to_numpy()
    chosen = rng.choice(schools, size=max(1, len(schools) // 2), replace=False)
    enrolled = county.enrolment[(county.enrolment.term == last.term) & county.enrolment.school_id.isin(chosen)]
    hh = county.households[county.households.year_index == last.year_index].drop_duplicates("pupil_uid")
    frame = (enrolled.merge(pupils[["pupil_uid", "student_no", "name", "gender"]], on="pupil_uid")
             .merge(county.schools[["school_id", "school_name"]], on="school_id")
             .merge(hh[["pupil_uid", "care_type", "father_away", "mother_away"]], on="pupil_uid", how="left")
             .sort_values(["school_id", "grade", "class_no", "pupil_uid"]).reset_index(drop=True))
    frame["care_type"] = frame.care_type.fillna("parents")
    n = len(frame)
    latent = frame.care_type.map(LONELINESS_SHIFT).to_numpy() + rng.normal(0, 1, n)
    answers = np.column_stack([np.searchsorted(THRESHOLDS, latent + rng.normal(0, 0.8, n)) for _ in ITEMS])
    answers[:, 1] = 3 - answers[:, 1]  # "I have a friend to talk to" is worded the other way
    scored = answers.astype(float) + 1
    scored[:, 1] = 5 - scored[:, 1]
    frame["loneliness"] = scored.mean(axis=1)
    frame["responded"] = rng.random(n) < 0.9
    away = frame.father_away.fillna(False).astype(bool) | frame.mother_away.fillna(False).astype(bool)
    after = rng.random((n, len(AFTER))) < np.array([0.7, 0.4, 0.35, 0.3])
    joined = ["┋".join(a for a, on in zip(AFTER, row, strict=True) if on) or "写作业" for row in after]
    contact = np.where(away, np.array(CONTACT)[np.minimum(rng.poisson(1.0, n), 4)], "(跳过)")
    number = np.where(rng.random(n) < 0.1, "", frame.student_no.astype(str))
    start = pd.Timestamp(last.semester_start) + pd.Timedelta(days=60)
    k = np.flatnonzero(frame.responded.to_numpy())  # the respondents, in the order they answered
    grade = frame.grade.astype(int).map(GRADE_WORD).to_numpy()
    export = pd.DataFrame({
        "序号": np.arange(1, len(k) + 1),
        "提交答卷时间": (start + pd.to_timedelta(7 * np.arange(1, len(k) + 1), unit="min"))
        .strftime("%Y/%m/%d %H:%M:%S"),
        "所用时间": [f"{150 + v % 300}秒" for v in k], "来源": "微信", "来源详情": "N/A",
        "来自IP": [f"10.{v % 250}.{v % 17}.{v % 200}(本省)" for v in k],
        QUESTIONS[0]: frame.gender.map({"male": "男", "female": "女"}).to_numpy()[k], QUESTIONS[1]: grade[k],
        QUESTIONS[2]: frame.care_type.map(CARER).to_numpy()[k], QUESTIONS[3]: np.asarray(joined)[k],
        **{QUESTIONS[4 + j]: np.array(ANSWERS)[answers[k, j]] for j in range(len(ITEMS))},
        QUESTIONS[8]: contact[k], QUESTIONS[9]: frame.school_name.to_numpy()[k], QUESTIONS[10]: number[k],
        QUESTIONS[11]: frame.name.to_numpy()[k],
        QUESTIONS[12]: [f"{g}{c}班" for g, c in zip(grade[k], frame.class_no.astype(int).to_numpy()[k], strict=True)]})
    rows = [list(export.columns)] + export.to_numpy().tolist()
    truth = frame[["pupil_uid", "school_id", "grade", "class_no", "care_type", "loneliness", "responded"]]
    return str(last.term), rows, truth
