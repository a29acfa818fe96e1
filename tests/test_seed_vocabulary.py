"""Every carer, helper, care-type and relation word the source documents use
maps to a code (liushou_analysis/data/codebook.csv).

Reference: the words as the documents print them, each with where it occurs
(docs/sources.md names the collections) and the code its context gives it.
A word that does not map makes a school's export lose rows, so each one is
checked through the codebook lookup and, end to end, through a hand-made
pairing list and register cleaned by ``liushou clean``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from liushou_analysis.cleaning import values as V
from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.core import codebook

from . import schoolfiles as sf

#: word -> (domain, code, where and how the documents use it)
SEED_WORDS = {
    # helpers (帮扶人)
    "代管家长": ("helper_role", "teacher", "000 篇5; 002: 由班主任、科任教师和生活指导教师组成的代管家长队伍"),
    "代理家长": ("helper_role", "teacher", "000 篇16: teachers as proxy parents"),
    "帮扶教师": ("helper_role", "teacher", "001 篇4, 002: 配备帮扶教师和其他学生家长"),
    "生活指导教师": ("helper_role", "teacher", "002: a member of the 代管家长 team"),
    "爱心妈妈": ("helper_role", "caring_mother", "000 篇13, 002"),
    "代理妈妈": ("helper_role", "caring_mother", "002: 为11名留守儿童找到了代理妈妈"),
    "代理爸爸": ("helper_role", "caring_mother", "the documents' proxy parents"),
    "爱心爸爸": ("helper_role", "caring_mother", "paired with 爱心妈妈 in the issue's list"),
    "爱心家长": ("helper_role", "caring_mother", "001 篇5: 1名爱心家长 in a 3+2+1+1 group"),
    "爱心同学": ("helper_role", "peer", "000 篇4: 学生中的“爱心同学”"),
    "小老师": ("helper_role", "peer", "000 篇13"),
    "一帮一": ("helper_role", "peer", "000 篇11, 篇13, 篇14; 002"),
    "手拉手": ("helper_role", "peer", "001 篇9, 篇10"),
    "牵手扶助志愿者": ("helper_role", "volunteer", "001 篇6: 一块为牵手扶助志愿者、班主任"),
    "志愿者": ("helper_role", "volunteer", "001 篇10"),
    "青年志愿者": ("helper_role", "volunteer", "001 篇10: 组织青年志愿者"),
    "爱心人士": ("helper_role", "volunteer", "000, 001 篇10: 社会爱心人士"),
    "党员": ("helper_role", "community_cadre", "001 篇6: 增强党员、干部服务妇女儿童; 000 篇15"),
    "村干部": ("helper_role", "community_cadre", "002, 004: 发动了村干部、乡政府人员、村委会成员"),
    "乡政府人员": ("helper_role", "community_cadre", "004"),
    "村委会成员": ("helper_role", "community_cadre", "000 篇16, 004"),
    "退休教师": ("helper_role", "retired_teacher", "the usual spelling of the documents' 退休老师"),
    "退休老师": ("helper_role", "retired_teacher", "000 篇16, 004: 以及退休老师一起加入到“关爱行动”"),
    "其他学生家长": ("helper_role", "other_parent", "001 篇4, 002: 配备帮扶教师和其他学生家长"),
    "邻居": ("helper_role", "neighbour", "002: 安排班队干部、优秀学生以及“留守学生”邻居与其“结对子”"),
    "3+2+1+1": ("helper_role", "group_3211", "001 篇5"),
    # care types (监护类型)
    "隔代监护": ("care_type", "grandparents", "001 篇10"),
    "隔代教育": ("care_type", "grandparents", "000 篇4, 篇9: 事实上的“单亲教育”、“隔代教育”、“寄养教育”; 001 篇10"),
    "寄养教育": ("care_type", "relatives", "000 篇4"),
    "寄养": ("care_type", "relatives", "001 篇10: 寄养监护多偏爱"),
    "单亲教育": ("care_type", "one_parent", "000 篇4: one parent away, the other raising the child"),
    "单亲或孤儿": ("care_type", "single_parent_orphan", "002: 四是单亲或孤儿约占"),
    "寄托老师": ("care_type", "teacher_school", "002: 20%寄托老师和亲戚看护"),
    "无人监护": ("care_type", "none_self", "001 篇10: 无人监护多失爱"),
    # relations (与学生关系)
    "亲戚": ("relation", "other_relative", "001 篇6: 由家中的老人或亲戚代养"),
    "邻居 ": ("relation", "friend_neighbour", "a neighbour as guardian"),
    "爷爷": ("relation", "grandfather", "many"),
    "外婆": ("relation", "grandmother", "many"),
}


@pytest.mark.parametrize("word", list(SEED_WORDS))
def test_every_word_of_the_documents_maps_to_its_code(word):
    domain, code, _where = SEED_WORDS[word]
    codes, unmapped = V.labels_to_codes(pd.Series([word.strip()]), domain)
    assert codes.iloc[0] == code, f"{word!r} ({domain}) maps to {codes.iloc[0]!r}, not {code!r}"


def test_the_new_codes_have_one_preferred_label():
    assert {"community_cadre", "retired_teacher", "other_parent", "neighbour"} <= set(codebook.codes("helper_role"))
    assert codebook.preferred_label("care_type", "single_parent_orphan") == "单亲或孤儿"
    assert codebook.preferred_label("relation", "other_relative") == "亲戚"


def test_a_pairing_list_and_register_in_the_documents_words_lose_no_row(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUSHOU_KEY", "seed-vocabulary-test-key-0123456789")
    term = tmp_path / "raw" / "2024-2025-1" / "东山中学"
    roles = ["代理妈妈", "村干部", "退休老师", "其他学生家长", "爱心同学", "生活指导教师", "代管家长", "党员", "邻居",
             "爱心爸爸"]
    pupils = [(f"2024{i:03d}", f"学生{i}") for i in range(1, len(roles) + 1)]
    sf.xlsx(term / "学生花名册.xlsx", ["学号", "姓名", "性别", "班级"],
            [[no, name, "男", "七年级1班"] for no, name in pupils])
    sf.xlsx(term / "结对帮扶名单.xlsx", ["学号", "帮扶对象", "班级", "帮扶人", "帮扶人身份", "联系电话"],
            [[no, name, "七年级1班", f"帮扶人{i}", role, f"1380000{i:04d}"]
             for i, ((no, name), role) in enumerate(zip(pupils, roles, strict=True))])
    care = ["隔代教育", "寄养教育", "单亲或孤儿", "单亲教育"]
    sf.csv_file(term / "留守儿童登记表.csv", ["学号", "姓名", "班级", "留守类型", "与学生关系", "监护类型"],
                [[no, name, "七年级1班", "父母双方外出", "亲戚", c] for (no, name), c in zip(pupils, care)])
    clean_dataset(tmp_path / "raw", tmp_path / "clean")
    pairs = pd.read_parquet(tmp_path / "clean" / "pairings.parquet")
    assert len(pairs) == len(roles)
    assert sorted(pairs.helper_role) == sorted(SEED_WORDS[r][1] for r in roles)
    h = pd.read_parquet(tmp_path / "clean" / "households.parquet")
    assert len(h) == len(care) and (h.guardian_relation == "other_relative").all()
    assert sorted(h.care_type) == sorted(SEED_WORDS[c][1] for c in care)
    issues = pd.read_parquet(tmp_path / "clean" / "field_issues.parquet")
    quarantine = pd.read_parquet(tmp_path / "clean" / "quarantine.parquet")
    assert issues.empty and quarantine.empty, (issues, quarantine)


def test_a_pupil_helper_is_never_taken_for_a_teacher_of_the_same_name(tmp_path, monkeypatch):
    """A classmate 王明 (爱心同学, no phone) and a teacher 王明 (帮扶教师, with a phone) on one school's
    lists are two helpers: the plan pays the teacher and not the pupil."""
    monkeypatch.setenv("LIUSHOU_KEY", "seed-vocabulary-test-key-0123456789")
    term = tmp_path / "raw" / "2024-2025-1" / "东山中学"
    sf.xlsx(term / "学生花名册.xlsx", ["学号", "姓名", "性别", "班级"],
            [["2024001", "甲", "男", "七年级1班"], ["2024002", "乙", "女", "七年级1班"]])
    sf.xlsx(term / "结对帮扶名单.xlsx", ["学号", "帮扶对象", "班级", "帮扶人", "帮扶人身份", "联系电话"],
            [["2024001", "甲", "七年级1班", "王明", "帮扶教师", "13800000001"],
             ["2024002", "乙", "七年级1班", "王明", "爱心同学", None]])
    clean_dataset(tmp_path / "raw", tmp_path / "clean")
    pairs = pd.read_parquet(tmp_path / "clean" / "pairings.parquet")
    assert pairs.helper_key.nunique() == 2
    assert sorted(pairs.helper_role) == ["peer", "teacher"]
