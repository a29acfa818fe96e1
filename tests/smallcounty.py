"""A one-school, two-term county made by hand, the way a small rural middle school keeps its files.

青石镇中学, school year 2024-2025: grades 7 and 8, two classes each, 148 pupils; a roster with a title row
(openpyxl), the official 留守儿童信息统计表 with a 填报单位 line and no 学号 (pupils linked by name and class), exam
tables per grade, a 结对帮扶名单 of 30 pairings whose 职务 column says what schools write (语文教师, 数学老师, 班长 ...),
a contact log in the second term, and a class list naming each class's head teacher. The second term's exam
tables hold the score words schools write (92分, 免考, 作弊, —, /). Every value comes from a fixed rule or a seeded generator, not from the synthetic-county model, so what
the tests expect is worked out from the lists below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import schoolfiles as sf

SCHOOL = "青石镇中学"
TERMS = ("2024-2025-1", "2024-2025-2")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "明华芳伟静磊洋帆丽杰敏悦婷浩宇欣然涛佳琪子轩梓萱雨桐一诺思远博文俊熙嘉怡晨阳"
#: (grade, class) -> pupils: 148 in all
CLASSES = {(7, 1): 38, (7, 2): 36, (8, 1): 37, (8, 2): 37}
CARE = ["父母双方外出", "父亲外出", "母亲外出"]
HEAD_TEACHERS = {(7, 1): "班主任甲", (7, 2): "班主任乙", (8, 1): "赵八一", (8, 2): "钱八二"}
GUARDIAN = [("奶奶", "张奶奶"), ("爷爷", "李爷爷"), ("外婆", "王外婆"), ("母亲", "某母"), ("父亲", "某父"), ("姑姑", "刘姑姑")]
#: The 30 pairings' helpers: (name, post) -- 12 subject teachers by subject, and the posts schools write.
HELPERS = ([(f"{s}老师{i}", p) for i, (s, p) in enumerate([("语", "语文教师"), ("数", "数学老师"), ("英", "英语教师"),
                                                          ("物", "物理老师")] * 3)]
           + [("班主任甲", "班主任"), ("班主任乙", "班主任"), ("科任丙", "科任教师"), ("校长丁", "校长"),
              ("副校长戊", "副校长"), ("主任己", "教导主任"), ("主任庚", "德育主任"), ("辅导员辛", "大队辅导员"),
              ("生活老师壬", "生活老师"), ("宿管癸", "宿管"), ("村干部子", "村干部"), ("退休丑", "退休教师"),
              ("家长寅", "家长志愿者"), ("妈妈卯", "爱心妈妈"),
              ("班长辰", "班长"), ("干部巳", "学生干部"), ("组长午", "小组长"), ("门卫未", "门卫")])
#: The role each post is read as (门卫, a gatekeeper, is none the plan names: unknown).
ROLE_OF_POST = {"语文教师": "teacher", "数学老师": "teacher", "英语教师": "teacher", "物理老师": "teacher",
                "班主任": "teacher", "科任教师": "teacher", "校长": "teacher", "副校长": "teacher",
                "教导主任": "teacher", "德育主任": "teacher", "大队辅导员": "teacher", "生活老师": "teacher",
                "宿管": "teacher", "村干部": "community_cadre", "退休教师": "retired_teacher",
                "家长志愿者": "other_parent", "爱心妈妈": "caring_mother", "班长": "peer", "学生干部": "peer",
                "小组长": "peer", "门卫": None}
#: Second-term score words: (class (7, 1) pupil index, subject, cell) -> the number, or the absence code.
SCORE_WORDS = {(0, "语文"): ("92分", 92.0), (1, "数学"): ("88.5分", 88.5), (2, "英语"): ("免考", "exempt"),
               (3, "语文"): ("缓考", "deferred"), (4, "数学"): ("作弊", "void"), (5, "英语"): ("违纪", "void"),
               (6, "语文"): ("病假", "leave"), (7, "数学"): ("事假", "leave"),
               (8, "英语"): ("—", "no_score"), (9, "语文"): ("－", "no_score"), (10, "数学"): ("/", "no_score"),
               (11, "英语"): ("无", "no_score")}


def pupils() -> list[dict]:
    """The 148 pupils: number, name, gender, birth, grade, class, left-behind type (None when not left behind)."""
    rng = np.random.default_rng(20240901)
    out, i = [], 0
    for (grade, klass), n in CLASSES.items():
        for j in range(n):
            name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i // 20) % len(GIVEN)]
            left = CARE[int(rng.integers(0, 3))] if rng.random() < 0.45 else None
            out.append({"no": f"2024{grade}{klass}{j + 1:02d}", "name": name, "gender": "男女"[i % 2],
                        "birth": f"{2019 - grade}.{1 + i % 12:02d}", "grade": grade, "klass": klass, "left": left,
                        "ability": float(rng.normal(0, 1))})
            i += 1
    assert len({(p["name"], p["grade"], p["klass"]) for p in out}) == len(out) == 148
    return out


def build(root: Path) -> Path:
    """Write the county under ``root`` (term folders, no school folder: the files name their school)."""
    people = pupils()
    rng = np.random.default_rng(7)
    grade_word = {7: "七年级", 8: "八年级"}
    left = [p for p in people if p["left"]]
    for t, term in enumerate(TERMS):
        folder = root / term
        sf.xlsx(folder / "学生花名册.xlsx", ["序号", "学号", "姓名", "性别", "出生年月", "年级", "班级", "家庭住址", "联系电话"],
                [[k + 1, p["no"], p["name"], p["gender"], p["birth"], grade_word[p["grade"]], f"{p['klass']}班",
                  "青石镇某村", "13900000000"] for k, p in enumerate(people)],
                titles=[f"{SCHOOL}2024-2025学年第{'一二'[t]}学期学生花名册"])
        register = []
        for k, p in enumerate(left):
            relation, guardian = GUARDIAN[k % len(GUARDIAN)]
            register.append([k + 1, p["name"], p["gender"], p["birth"], f"{grade_word[p['grade']]}{p['klass']}班",
                             "某父", "广东东莞" if p["left"] != "母亲外出" else "", "某母",
                             "浙江宁波" if p["left"] != "父亲外出" else "", "2023年3月", guardian, relation,
                             "13700000000", "青石镇某村", p["left"], "是" if k % 3 == 0 else "否"])
        sf.xlsx(folder / "留守儿童信息统计表.xlsx",
                ["序号", "姓名", "性别", "出生年月", "年级班级", "父亲姓名", "父亲务工地点", "母亲姓名", "母亲务工地点",
                 "外出时间", "监护人姓名", "与监护人关系", "监护人联系电话", "家庭住址", "留守类型", "是否寄宿"], register,
                titles=[f"{SCHOOL}农村留守儿童信息统计表", f"填报单位（盖章）：{SCHOOL}　　填报日期：2024年{9 + 3 * t}月"])
        for grade in (7, 8):
            rows = []
            for k, p in enumerate(q for q in people if q["grade"] == grade):
                marks = [int(np.clip(75 + 12 * p["ability"] + rng.normal(0, 6), 20, 120)) for _ in range(3)]
                cells: list = list(marks)
                total: float | None = sum(marks)
                for s, subject in enumerate(("语文", "数学", "英语")):
                    word, meaning = SCORE_WORDS.get((k, subject), (None, None)) if t == 1 and grade == 7 else (None, 0)
                    if word:  # a score written with 分 counts in the total; an absence leaves the total blank
                        cells[s] = word
                        total = total - marks[s] + meaning if isinstance(meaning, float) and total else None
                rows.append([p["no"], p["name"], f"{p['klass']}班", *cells, total])
            sf.xlsx(folder / f"{grade_word[grade]}期末成绩.xlsx", ["学号", "姓名", "班级", "语文", "数学", "英语", "总分"],
                    rows, titles=[f"2024-2025学年第{'一二'[t]}学期{grade_word[grade]}期末考试成绩表"])
    for t, term in enumerate(TERMS):  # the class list names each class's head teacher (班主任)
        sf.xlsx(root / term / "班级信息.xlsx", ["年级", "班级", "班主任", "人数"],
                [[grade_word[g], f"{c}班", HEAD_TEACHERS[(g, c)], n] for (g, c), n in CLASSES.items()],
                titles=[f"{SCHOOL}2024-2025学年第{'一二'[t]}学期班级及班主任一览表"])
    paired = left[:len(HELPERS)]
    sf.xlsx(root / TERMS[0] / "结对帮扶名单.xlsx", ["序号", "帮扶人", "职务", "联系电话", "帮扶对象", "班级", "结对时间"],
            [[k + 1, h, post, f"1380000{k:04d}", p["name"], f"{grade_word[p['grade']]}{p['klass']}班", "2024.09"]
             for k, ((h, post), p) in enumerate(zip(HELPERS, paired, strict=True))],
            titles=[f"{SCHOOL}留守儿童结对帮扶名单"])
    contacts = [[p["no"], p["name"], f"{grade_word[p['grade']]}{p['klass']}班", f"2025年{m}月", (k + m) % 4, 0,
                 int(m == 2), (k + m) % 3, k % 2, int(k % 5 == 0), int(k % 4 == 0), 0]
                for k, p in enumerate(left) for m in (3, 4, 5)]
    sf.xlsx(root / TERMS[1] / "留守儿童联系记录.xlsx",
            ["学号", "儿童姓名", "班级", "月份", "亲情电话次数", "给父母写信次数", "父母回家次数", "班主任谈心次数",
             "科任教师谈心次数", "帮扶人家访次数", "帮扶人与家长通话次数", "帮扶人给家长写信次数"], contacts,
            titles=[f"{SCHOOL}2024-2025学年第二学期留守儿童亲情联系记录"])
    return root
