"""The words a page shows for the report's column names and coded values, Chinese first.

One table for the report: clean columns and codes take their Chinese labels
from the codebook (:func:`codebook.column_label`, :func:`codebook.preferred_label`);
the columns the analyses make are named here. ``lang="en"`` shows the
column names and codes as they are in the CSV files. The CSV files keep the
machine names either way, so a table can be read back by code.
"""

from __future__ import annotations

import re

import pandas as pd

from liushou_analysis.core import codebook

LANGS = ("zh", "en")

#: Columns the analyses make, as a Chinese reader names them.
REPORT_COLUMNS = {
    "quantity": "估计量", "estimate": "估计值", "se": "标准误", "ci_low": "95%置信区间下限",
    "ci_high": "95%置信区间上限",
    "p_value": "p值", "df": "自由度", "n": "样本量", "method": "方法", "deff": "设计效应",
    "unstable": "区间不可信（群太少）", "denominator_cv": "分母变异系数",
    "pupils": "人数", "share": "占比", "domain": "范围", "care": "监护类型", "care_label": "监护类型",
    "definition": "定义", "label": "说明", "answered": "有效回答人数", "left_behind": "留守儿童人数",
    "table": "表", "column": "列", "reason": "原因", "rows": "行数", "fields": "字段数", "file": "文件",
    "files": "文件数", "rows_read": "读入行数", "rows_kept": "保留行数", "rows_quarantined": "隔离行数",
    "resolved_from": "学校判定依据", "measure": "指标", "previous": "上学期", "this_term": "本学期", "change": "变化",
    "value": "数值", "group": "组别", "helpers": "帮扶人数", "helper_role": "帮扶人类型", "paid": "获奖励",
    "yuan": "金额（元）", "mean_yuan": "人均金额（元）", "part": "部分", "clause": "条款", "points": "积分",
    "n_treated": "新结对人数", "planted_effect": "植入效应", "archive_rate": "建档率", "complete_rate": "档案完整率",
    "share_met": "达标比例", "base_band": "基数百分位段", "chance_share": "偶然所得占比", "scenario": "情景",
    "rule": "规则", "yuan_per_pupil": "生均金额（元）", "choice": "可选规则", "reference_pct": "文献数字（%）",
    "estimate_pct": "本期估计（%）", "ci_low_pct": "区间下限（%）", "ci_high_pct": "区间上限（%）",
    "reference_inside_ci": "文献数字在区间内", "source": "来源", "place": "地点", "quote": "原文", "note": "注",
    "population": "人群", "indicator": "指标", "compared_under": "比较所用定义", "check": "核对",
    "figures": "数字", "stated": "文中所述", "computed": "计算结果", "consistent": "一致",
    # the contact routines ("五个一", "三个一") and the archive
    "weekly_call": "每周与父母通话", "monthly_letter": "每月给父母写信", "monthly_head_teacher": "每月与班主任谈心",
    "monthly_subject_teacher": "每月与任课教师谈心", "yearly_parent_visit": "父母每年回家",
    "monthly_home_visit": "每月家访", "monthly_call_to_parents": "每月与家长通话",
    "letter_each_semester": "每学期给家长写信", "guardian_age_band": "监护人年龄段",
    # who gets paired, regression to the mean, estimators
    "base_percentile": "基数百分位", "pre_change": "结对前变化", "either_parent_away": "父母一方或双方外出占比",
    "all_parents_away": "父母都外出占比", "base_bin": "基数百分位段", "mean_change_all": "平均变化（全部）",
    "observed_change_untreated": "未结对学生平均变化", "predicted_change": "无效应时的预期变化",
    "retest_slope": "重测斜率", "treated_pupils": "新结对人数", "mean_change_treated": "新结对学生平均变化",
    # pairing that starts in different terms: event study, sensitivity, power
    "event_time": "结对后第几个学期", "band_low": "同时置信带下限", "band_high": "同时置信带上限",
    "e_value": "E值（解释掉估计所需的混杂强度）", "e_value_ci": "E值（使区间含零）", "outcome_sd": "百分位标准差",
    "mde": "最小可检测效应（百分位点）", "n_paired": "结对人数", "n_left_out": "未纳入的结对人数（结对不在最早学期内）",
    "icc": "班级内相关（成绩）",
    "icc_paired": "班级内相关（是否结对）",
    # the reward points and their audit
    "school_year": "学年", "paired_pupils": "结对学生数", "replays": "重演次数", "effect_sd": "效应（标准差）",
    "expected_rank_yuan": "无效应时预期名次奖励（元）", "actual_rank_yuan": "实际名次奖励（元）",
    "expected_yuan": "无效应时预期总额（元）", "actual_yuan": "实际总额（元）",
    "chance_share_of_rank_yuan": "名次奖励中偶然所得占比", "change_pct": "变化（%）", "total_yuan": "总额（元）",
    "helpers_yuan": "帮扶人奖励（元）", "head_teachers_yuan": "班主任奖励（元）", "awards_yuan": "学生奖励（元）",
    "change_yuan": "变化（元）",
    # liushou score's outputs (the payout workbooks)
    "pupil_id": "学生编号", "helper_id": "帮扶人编号", "head_teacher_id": "班主任编号", "class_id": "班级编号",
    "n_pupils": "帮扶学生数", "n_counted": "计入考核学生数", "scheme_year": "考核第几学年", "base_exam": "基数考试",
    "base_rank": "基数名次", "end_rank": "期末名次", "places_risen": "上升名次", "points_rise": "名次上升积分",
    "points_top5": "保持前五名积分", "points_conduct": "无严重违纪积分", "points_three_good": "三好学生积分",
    "points_total": "积分合计", "counted": "计入考核", "points_paid": "计奖积分", "flags": "标记",
    "award_excellence_yuan": "优秀奖（元）", "award_progress_yuan": "进步奖（元）",
    "award_total_yuan": "奖励合计（元）", "row": "行", "problem": "问题",
    # the questionnaire page
    "question": "题目", "option": "选项", "grouping": "分组", "subgroup": "组别", "statistic": "统计量",
    "items": "题目数", "scale": "量表", "alpha": "Cronbach α",
}

#: Values of report columns that no codebook domain holds, as a Chinese reader names them.
REPORT_VALUES = {
    "statistic": {"mean": "均值", "median": "中位数", "proportion": "占比"},
    "grouping": {"全部": "全部", "left_behind": "是否留守", "care_group": "监护类型", "rank_band": "本学期成绩"},
    "group": {"paired": "结对", "unpaired": "未结对"},
    "quantity": {"naive": "简单比较", "ancova": "协方差分析", "ipw": "逆概率加权", "did": "双重差分",
                 "placebo": "安慰剂检验", "left_behind": "留守儿童", "percentile": "百分位",
                 "event_study": "按结对时间", "staggered_overall": "分批双重差分（按批次加权）",
                 "staggered_simple": "分批双重差分（简单平均）", "cross_section": "描述性比较（本学期横截面）",
                 "earliest_term_covariate": "以最早学期为协变量（保守估计）"},
    "scenario": {"no effect": "无效应"},
    "population": {"both_away": "父母都不在家的留守儿童", "left_behind": "留守儿童", "pupils": "全体学生"},
    "table": {"pupils": "学生", "enrolment": "在籍学生（花名册）", "classes": "班级", "exams": "考试成绩",
              "households": "家庭情况", "archive": "留守儿童档案", "pairings": "结对帮扶", "contacts": "联系记录",
              "conduct": "评优及违纪", "survey": "问卷答卷"},
    "resolved_from": {"school column": "学校列",
                      "school column (several schools, row by row)": "学校列（逐行，多所学校）",
                      "title or 填报单位 line": "表头标题或“填报单位”行", "school folder": "学校文件夹",
                      "file name": "文件名", "file name, confirmed by another file": "文件名（经其他文件印证）",
                      "file name (no other source names a school)": "文件名（没有其他来源指明学校）",
                      "the only school named in its term folder": "学期文件夹中唯一的学校", "unresolved": "无法确定",
                      "学校 question": "问卷中的学校题（逐份答卷）"},
    "part": {"helpers": "帮扶人", "pupils": "学生", "head_teachers": "班主任"},
    "check": {"share against counts": "占比与所附人数是否相符", "a breakdown adds up to 100%": "分项合计是否为100%",
              "care by a parent at home": "是否留有父母一方在家照看"},
    "clause": {"rank_rise": "名次上升", "top5": "保持前五名", "conduct": "无严重违纪", "three_good": "三好学生",
               "helper_paid": "获奖励的帮扶人", "pupil_counted": "计入考核的学生", "award_excellence": "优秀奖",
               "award_progress": "进步奖", "rounding": "金额取整差额"},
    "choice": {"(rules as given)": "（按方案原文）", "fall_in_rank": "名次下降是否扣分", "top_rule": "前五名的认定",
               "top_adds_to_rise": "前五名奖励与上升分叠加", "missing_conduct": "缺少操行记录时",
               "tie_method": "并列名次的排法", "ranked_population": "参加排名的学生",
               "baseline_before_data": "基数早于数据时", "paid_helpers": "奖励哪些帮扶人",
               "assessed_pupils": "计入考核的学生", "left_behind_definition": "留守儿童定义",
               "status_unknown": "留守状况不明时", "award_population": "第二部分奖励对象",
               "progress_compare": "进步奖的比较对象", "points_per_place": "每上升一个名次的积分",
               "top_points": "保持前五名的积分", "top_n": "前几名", "conduct_points": "无严重违纪的积分",
               "three_good_points": "三好学生的积分", "award_first_yuan": "第一名奖励（元）",
               "award_top_yuan": "优秀奖（元）", "award_top_n": "优秀奖名次", "award_progress_yuan": "进步奖（元）",
               "award_progress_places": "进步奖需上升的名次", "yuan_per_point": "每分金额（元）",
               "pay_rounding": "金额取整"},
    "place": {"a school": "一所学校", "a school of 18 classes": "一所有18个教学班的学校",
              "a town's schools": "一个镇的学校"},
    "rule": {"plan": "原方案", "pay_for_percentile": "按百分位付酬"},
    "measure": {"helpers": "获奖励帮扶人（人次）", "helpers_not_paid": "不奖励的帮扶人（人次）",
                "helpers_yuan": "帮扶人奖励（元）", "head_teachers": "班主任（人）",
                "head_teachers_yuan": "班主任奖励（元）",
                "pupils_awarded": "获奖学生（人）", "awards_yuan": "学生奖励（元）", "total_yuan": "合计（元）",
                "school_year": "学年"},
}

#: Report columns that hold codes of a codebook domain.
CODED = {"care": "care_type", "helper_role": "helper_role", "guardian_health": "health",
         "guardian_education": "education", "family_type": "family_type"}


#: Parts of a reference figure's indicator that are not care arrangements.
INDICATORS = {"all_parents_away": "父母都外出", "left_behind": "留守儿童", "paired_caring_mother": "与爱心妈妈结对",
              "single_parent_orphan": "单亲或孤儿"}


def _definition(code: str) -> str:
    from liushou_analysis.indicators.care import DEFINITION_LABELS

    return "未说明" if code == "not_stated" else chinese_part(DEFINITION_LABELS.get(code, code))


def _indicator(code: str) -> str:
    """A reference figure's indicator ("teacher_school+relatives") in words: 寄托老师、亲朋监护."""
    def word(part):
        if part in INDICATORS:
            return INDICATORS[part]
        try:
            return codebook.preferred_label("care_type", part)
        except KeyError:
            return part
    return "、".join(word(part) for part in code.split("+"))


def _source(code: str) -> str:
    """A source as the pages cite it: "001 篇3" -> 文献001第3篇 (the index lists each by its full title)."""
    number, _, article = code.partition(" 篇")
    return f"文献{number}" + (f"第{article}篇" if article else "")


def _quantity(code: str) -> str:
    """An estimate's quantity in words: "helper_type=peer+teacher" -> 学生帮扶、教师帮扶 (the codebook's labels)."""
    name, _, value = code.partition("=")
    domain = {"care_arrangement": "care_type", "helper_type": "helper_role"}.get(name)
    if not domain:
        return code
    try:
        return "、".join(codebook.preferred_label(domain, part) for part in value.split("+"))
    except KeyError:
        return code


#: Why a file in a term folder was not read (readers.rawread.litter_reason), in Chinese.
FILES_SKIPPED = {"an open-file lock left by Excel or WPS": "Excel 或 WPS 打开文件时留下的锁文件",
                 "a file the operating system keeps in folders": "操作系统在文件夹中自动生成的文件",
                 "a hidden file": "隐藏文件", "in a hidden folder": "位于隐藏文件夹中",
                 "a Word document": "Word 文档", "a WPS document": "WPS 文档", "a PDF document": "PDF 文档",
                 "a picture": "图片", "a presentation": "演示文稿", "a recording": "录音", "a video": "视频",
                 "a shortcut": "快捷方式", "an archive": "压缩包"}


def _reason(code: str) -> str:
    """A quarantine or field-issue reason as quarantine.xlsx gives it to school staff, or why a file was
    not read."""
    from liushou_analysis.cleaning.pipeline import REASONS_ZH

    return REASONS_ZH.get(code) or FILES_SKIPPED.get(code, code)


def _measure(text: str) -> str:
    """A data-quality measure in words ("pupils enrolled: 土高镇中学" -> 在籍学生：土高镇中学)."""
    words = {"files": "文件数", "rows kept": "保留行数", "rows quarantined": "隔离行数", "pupils enrolled": "在籍学生",
             "pupils paired": "结对学生"}
    name, sep, rest = text.partition(": ")
    return words.get(name, name) + ("：" + rest if sep else "")


#: An estimator's method, as the statistics layer writes it, in Chinese (pattern, replacement), applied in turn.
METHOD_WORDS = [
    (r"^descriptive: OLS, (\d+) absorbed fixed effect\(s\), cluster-robust SE \((\d+) clusters\)$",
     r"描述性比较（非因果）：最小二乘回归，吸收\1组固定效应，聚类稳健标准误（\2个聚类）"),
    (r"^OLS, (\d+) absorbed fixed effect\(s\), cluster-robust SE \((\d+) clusters\)$",
     r"最小二乘回归，吸收\1组固定效应，聚类稳健标准误（\2个聚类）"),
    (r"^IPW \(ATT weights, logistic propensity\), cluster-robust sandwich \((\d+) clusters\) SE$",
     r"逆概率加权（结对组平均效应权重，logistic倾向得分），聚类稳健标准误（\1个聚类）"),
    (r"^not estimated: fewer than (\d+) paired pupils$", r"未估计：新结对学生少于\1人"),
    (r"^suppressed: fewer than (\d+) newly paired pupils$", r"已隐去：新结对学生少于\1人"),
    (r"^Callaway-Sant'Anna group-time DiD$", "分组-时间双重差分（Callaway–Sant'Anna）"),
    (r"^logit$", "logit变换区间"), (r"^taylor$", "泰勒线性化"), (r"^no answers$", "无回答"),
]


def _method(text: str) -> str:
    for pattern, words in METHOD_WORDS:
        text = re.sub(pattern, words, text)
    return text


#: The open choices' values (the sensitivity table), in words.
CHOICE_VALUES = {"zero": "记0分", "negative": "扣分（负分）", "both": "基数和期末都在前五", "end": "仅期末在前五",
                 "withhold": "不给分并标记", "assume_no_violation": "视为无违纪", "min": "并列取小（1-2-2-4）",
                 "dense": "密集排名（1-2-2-3）", "average": "取平均名次", "sat_exam": "参加考试的学生",
                 "class_list": "班级名单上的全体学生", "paired": "结对学生", "all": "全部",
                 "same_year": "同学年两学期", "baseline": "考核基数", "exclude": "不计入",
                 "earliest_exam": "以最早的考试代替", "adults": "成人帮扶人",
                 "left_behind_or_single_parent": "留守或单亲", "left_behind": "留守", "single_parent": "单亲",
                 "all_paired": "全部结对学生", "count": "计入", "True": "是", "False": "否",
                 "fen": "四舍五入到分", "yuan": "四舍五入到元"}

# the rules table of liushou score names each rule in its rule column
REPORT_VALUES["rule"] = {**REPORT_VALUES["rule"], **REPORT_VALUES["choice"]}

#: The flags of a pupil's points (scoring.engine.pupil_points), joined by ";".
FLAGS = {"baseline_before_data": "基数早于数据", "missed_base_exam": "缺考基数考试", "missed_end_exam": "缺考期末考试",
         "conduct_missing_withheld": "无操行记录（不给分）", "conduct_missing_assumed": "无操行记录（视为无违纪）",
         "class_changed": "换班", "status_unknown": "留守状况不明", "not_counted": "不计入考核"}


def _exam(text: str) -> str:
    """An exam as scoring names it ("grade 7 semester 1 (school year 2)") in Chinese: 7年级第1学期（第2学年）."""
    text = re.sub(r"^grade (\d+) ", r"\1年级", text)
    text = re.sub(r"semester (\d)", r"第\1学期", text)
    text = re.sub(r"\(?school year (\d+)\)?", r"（第\1学年）", text)
    return text.replace("(before the data)", "（早于数据）").replace("before the data", "早于数据").replace(" ", "")

#: Report columns whose values are spelled out by a rule rather than a list.
VALUE_RULES = {"definition": _definition, "compared_under": _definition, "indicator": _indicator, "source": _source,
               "reason": _reason, "measure": _measure, "method": _method,
               "stated": lambda v: re.sub(r"^([\d.]+)% of all left-behind children, none cared for by a parent$",
                                          r"占全部留守儿童的\1%，无一由父母照看", v),
               "computed": lambda v: re.sub(r"^([\d.]+)% have one parent at home$", r"\1%有父母一方在家", v),
               "value": lambda v: CHOICE_VALUES.get(v) or _definition(v),
               "quantity": _quantity, "scenario": lambda v: re.sub(r"^effect ([\d.]+) SD$", r"效应\1个标准差", v),
               "flags": lambda v: "；".join(FLAGS.get(f, f) for f in v.split(";") if f), "base_exam": _exam}



def is_money(column) -> bool:
    """A column of amounts in yuan: ``yuan``, ``*_yuan``, ``yuan_*`` (not a share of yuan), shown to the fen."""
    name = str(column)
    return (name == "yuan" or name.endswith("_yuan") or name.startswith("yuan_")) and "share" not in name


def display_values(values: pd.Series, column: str, lang: str = "zh") -> pd.Series:
    """A column's values as a reader of ``lang`` reads them: codes as the codebook labels them, the report's own
    codes in words, bilingual labels in Chinese only; numbers and missing values unchanged."""
    if lang == "en":
        return values
    if column in CODED:
        words = {v: value_label(column, v, lang) for v in values.dropna().unique()}
        return values.map(words).where(values.notna(), values)
    words = REPORT_VALUES.get(column, {})
    rule = VALUE_RULES.get(column, lambda v: v)
    return values.map(lambda v: chinese_part(words.get(v, rule(v))) if isinstance(v, str) else v)


def column_label(column: str, lang: str = "zh") -> str:
    """What a page calls a column (a care arrangement, when a table has one per column)."""
    if lang == "en":
        return column
    if column in REPORT_COLUMNS:
        return REPORT_COLUMNS[column]
    try:
        return codebook.preferred_label("care_type", column)
    except KeyError:
        return codebook.column_label(column)


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def value_label(column: str, code, lang: str = "zh"):
    """What a page calls a coded value (a care arrangement, a helper role ...); anything else unchanged."""
    if lang == "en" or column not in CODED or not isinstance(code, str):
        return code
    if code == codebook.UNKNOWN_ROLE:
        return "未能识别"
    try:
        return codebook.preferred_label(CODED[column], code)
    except (KeyError, ValueError):
        return code


#: A label written "中文 (English)" or "中文 English": the Chinese part, then the English after a space.
BILINGUAL = re.compile(r"^(.*[\u4e00-\u9fff）)%])\s+\(?[A-Za-z][\x20-\x7e]*\)?$")


def chinese_part(text):
    """The Chinese of a bilingual label ("全部 all" -> "全部"); anything else unchanged.

    >>> chinese_part("父母双方外出3个月以上 (both parents away 3+ months)"), chinese_part("青马镇中学"), chinese_part(3)
    ('父母双方外出3个月以上', '青马镇中学', 3)
    """
    if not isinstance(text, str):
        return text
    match = BILINGUAL.match(text)
    return match.group(1) if match else text


def for_display(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The table with coded values and column names as a reader of ``lang`` reads them (bilingual labels
    shown in Chinese only); a name two columns would share keeps its column's own name beside it."""
    if lang == "en":
        return frame
    out = frame.copy()
    for column in [c for c in out.columns if c in CODED or _is_text(out[c])]:
        out[column] = display_values(out[column], column, lang)
    names = [chinese_part(column_label(str(c), lang)) for c in out.columns]
    out.columns = [f"{n} ({c})" if names.count(n) > 1 else n for n, c in zip(names, frame.columns, strict=True)]
    return out


def natural_order(frame: pd.DataFrame, order: list) -> pd.DataFrame:
    """Rows in their natural order (age bands youngest first, codes in the codebook's order), any value the
    order does not know kept at the end."""
    known = [v for v in order if v in frame.index]
    return frame.reindex(known + [v for v in frame.index if v not in known])
