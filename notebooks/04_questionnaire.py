# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---


# %% tags=["parameters"]
# Parameters (liushou report sets them; by hand, the defaults are the sample's latest term).
dataset = "sample"
term = None
raw_dir = None
clean_dir = None
report_dir = None
min_cell = 10
lang = "zh"

# %%

import pandas as pd

from liushou_analysis.indicators import care
from liushou_analysis.report import plotting
from liushou_analysis.report.labels import value_label
from liushou_analysis.report.questionnaire import ALL, protect, reliability, share_bars, survey_estimates
from liushou_analysis.report.runner import Publisher, context
from liushou_analysis.statistics import pairing
from liushou_analysis.statistics.survey import SurveyDesign

ctx = context(dataset, term, raw_dir, clean_dir, report_dir, min_cell, lang)
pub = Publisher(ctx["report_dir"], "04_questionnaire", ctx["lang"], ctx["min_cell"])
plotting.setup(ctx["lang"])
store = ctx["store"]
k = ctx["min_cell"]
survey = store.table("survey", terms=ctx["term"])
variables = store.table("survey_variables")
variables = variables[variables.file.isin(survey.file.unique())].drop_duplicates("name").reset_index(drop=True)

# %% [markdown]
# ## 问卷调查
# 本学期学生问卷的结果：每道选择题各选项的占比、量表和数值题的均值与中位数，按是否留守、由谁监护和本学期成绩
# （年级内百分位的三等分）分组。答卷通过学号、学籍号或姓名与班级与学籍记录对应；对应不上或没有相应记录的答卷归入
# “未能对应或未知”组。标准误按抽样设计计算：以学校为层、班级为群。
# <!-- en -->
# ## Questionnaire
# This term's pupil questionnaire: each option's share and each scale's and number's mean and median, by
# left-behind status, care arrangement and this term's exam standing (thirds of the within-grade percentile).
# Answers are linked to pupils by 学号, 学籍号 or name and class; answers that cannot be linked, or whose pupil has
# no such record, form the group "not linked or unknown". Standard errors follow the design: schools as strata,
# classes as clusters.

# %%
frame = care.term_frame(store.table("enrolment"), store.table("households"), store.table("pupils"), ctx["term"])
LEFT = pub.say("留守", "left behind"), pub.say("非留守", "not left behind")
pupils = frame[["pupil_key", "class_id", "either_parent", "care_arrangement"]].assign(
    left_behind=lambda f: f.either_parent.map({True: LEFT[0], False: LEFT[1]}),
    care_group=lambda f: f.care_arrangement.map(lambda c: value_label("care", c, ctx["lang"]), na_action="ignore"))
data = survey.merge(pupils[["pupil_key", "class_id", "left_behind", "care_group"]], on="pupil_key", how="left")
# the pupil's exam standing this term: the mean percentile within the grade, in thirds
BANDS = [pub.say("后三分之一", "bottom third"), pub.say("中间三分之一", "middle third"),
         pub.say("前三分之一", "top third")]
if store.has("exams") and store.has("pairings"):
    panel = pairing.from_store(store, ctx["term"], history=False)
    standing = panel.loc[panel.term == ctx["term"], ["pupil", "percentile"]].rename(columns={"pupil": "pupil_key"})
    standing = standing.groupby("pupil_key").percentile.mean()
    data["rank_band"] = pd.cut(data.pupil_key.map(standing), [-0.01, 100 / 3, 200 / 3, 100.01], labels=BANDS)
else:
    data["rank_band"] = pd.NA
# every respondent is in every grouping, so each table's groups add up to its 全部 row (the disclosure rule needs it)
UNKNOWN = pub.say("未能对应或未知", "not linked or unknown")
data["rank_band"] = data.rank_band.astype(object)
data[["left_behind", "care_group", "rank_band"]] = data[["left_behind", "care_group", "rank_band"]].fillna(UNKNOWN)
data["psu"] = data.class_id.astype(object).where(data.class_id.notna(), data.respondent_key)
files = survey.file.nunique()
linked = int(survey.pupil_key.notna().sum())
pub.markdown(pub.say(
    f"本学期有 {files} 份问卷，共 {len(survey)} 份有效答卷，其中 {linked} 份与学籍记录对应上"
    f"（{100 * linked / max(len(survey), 1):.1f}%）。",
    f"This term has {files} questionnaire file(s) with {len(survey)} answered forms; {linked} are linked to pupils "
    f"({100 * linked / max(len(survey), 1):.1f}%)."))
domains = ["left_behind", "care_group"] + (["rank_band"] if (data.rank_band != UNKNOWN).any() else [])
design = SurveyDesign(data, strata="school", cluster="psu", lonely_psu="adjust")
estimates = protect(survey_estimates(variables, design, domains), data, variables, domains, k)

# %% [markdown]
# ## 各选项占比
# 占比为学生中选择该项的比例（95%置信区间）；人数不足的格子及能由其推算出的格子以“—”代替。
# <!-- en -->
# ## Shares of each option
# The share of pupils choosing each option (95% CI); small cells, and those that would reveal them, show as —.

# %%
SHARE = ["estimate", "ci_low", "ci_high"]
shares = estimates[estimates.statistic == "proportion"]
NAMES = {"label": "question", "level": "option", "domain": "grouping", "domain_level": "subgroup"}
shown = shares[["label", "level", "domain", "domain_level", *SHARE, "n"]].rename(columns=NAMES)
pub.table(shown, "shares", counts=["n"], shares=SHARE);

# %%
whole = shares[shares.domain == ALL].dropna(subset=["estimate"])
first = whole.variable.iloc[0] if len(whole) else None
fig, ax = plotting.new_figure(7.5, 0.4 * max(len(whole[whole.variable == first]), 1) + 1.4)
if first is not None:
    rows = whole[whole.variable == first]
    share_bars(ax, rows, pub.say("占比（%）", "share (%)"))
    ax.set_title(str(rows.label.iloc[0]))
pub.figure(fig, "first_question", empty=None if first is not None else pub.say(
    "每个选项的人数都太少，不作图", "every option has too few pupils to draw"))

# %% [markdown]
# ## 量表与数值题
# 均值和中位数（95%置信区间），按是否留守和监护类型分组；量表的信度为 Cronbach α（Feldt 置信区间）。
# <!-- en -->
# ## Scales and numbers
# Means and medians (95% CI), by left-behind status and care arrangement; each scale's reliability is Cronbach's
# alpha (Feldt interval).

# %%
means = estimates[estimates.statistic != "proportion"]
pub.table(means[["label", "statistic", "domain", "domain_level", "estimate", "ci_low", "ci_high", "n"]]
          .rename(columns=NAMES), "means", counts=["n"]);

# %%
alpha, items = reliability(data, variables)
if len(alpha):
    alpha = alpha.assign(n=lambda t: t.n.where(t.n >= k))
    pub.table(alpha[["label", "items", "estimate", "ci_low", "ci_high", "n"]].rename(
        columns={"label": "scale", "estimate": "alpha"}), "reliability", counts=["n"]);
else:
    pub.markdown(pub.say("问卷编码本没有定义量表，因此没有信度。", "The questionnaire codebook defines no scale."))
