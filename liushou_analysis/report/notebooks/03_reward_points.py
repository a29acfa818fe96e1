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
replays = 200
planted_effect_sd = 0.2

# %%
import numpy as np
import pandas as pd

from liushou_analysis.core.errors import UserError
from liushou_analysis.report import narrative, plotting
from liushou_analysis.report.disclosure import suppress_counts, suppress_small_groups
from liushou_analysis.report.runner import Publisher, context
from liushou_analysis.scoring import contract as scoring_io
from liushou_analysis.scoring import engine as scoring
from liushou_analysis.statistics import audit

ctx = context(dataset, term, raw_dir, clean_dir, report_dir, min_cell, lang)
pub = Publisher(ctx["report_dir"], "03_reward_points", ctx["lang"])
plotting.setup()
rules = scoring.RewardRules()
inputs = scoring_io.from_clean(ctx["store"])
year, why = scoring_io.term_school_year(ctx["store"].table("exams", columns=["term"]).term, ctx["term"])
pub.markdown(narrative.opening(
    "03 考核及奖励 Reward points",
    "The school plan's reward-point scheme (考核及奖励, 001 篇6/篇8, docs/domain.md section 6) computed clause by "
    "clause, each pupil from their own 初一 baseline and paying the volunteer helpers and head teachers for the "
    "left-behind and single-parent pupils they take on: points and "
    "yuan per helper, head teacher and pupil with the audit trail, the cost to the school, what the formula "
    "would pay if pairing did nothing, the pay-for-percentile alternative on the same budget, and how the cost "
    f"moves with each open choice in the plan's wording. Payouts shown: {why}.", ctx))

# %% [markdown]
# ## 积分与金额 Points and yuan
# Totals by part. Per-helper, per-head-teacher and per-pupil rows, and the audit trail (one row per clause
# applied, with the reason), are in `payouts.xlsx` for the school's administration. Keys are pseudonyms:
# the school maps them back to people from its own raw records.

# %%
if year is None:  # liushou report leaves this notebook out for such a term
    raise UserError(f"No payouts for {ctx['term']}: {why}.")
out = scoring.score_scheme(inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"], rules,
                           pupils=inputs["pupils"])
payouts = scoring.payout_summary(out, year)
if ctx["report_dir"]:
    scoring_io.write_outputs(payouts["tables"], ctx["report_dir"], book="payouts.xlsx", csv=False)
summary = payouts["totals"].copy()
if summary.pupils_awarded < ctx["min_cell"]:
    summary["pupils_awarded"] = float("nan")  # a small count of pupils is not published
pub.table(summary.to_frame("value").rename_axis("measure").reset_index(), "cost_summary", counts=[]);

# %%
by_role = suppress_small_groups(suppress_small_groups(payouts["by_role"], "pupils", ["yuan", "mean_yuan"],
                                                      ctx["min_cell"]),
                                "helpers", ["pupils", "yuan", "mean_yuan"], ctx["min_cell"])
pub.table(by_role, "helpers_by_role", counts=["helpers", "pupils"])
pub.table(payouts["by_clause"], "audit_by_clause", counts=[]);

# %%
fig, ax = plotting.new_figure(7.5, 3.6)
plotting.sns.histplot(data=payouts["tables"]["helper_points"], x="yuan", hue="helper_role", multiple="stack",
                      bins=25, ax=ax)
ax.set_xlabel(plotting.label("每位帮扶人金额（元）", "yuan per helper"))
ax.set_ylabel(plotting.label("人数", "helpers"))
ax.set_title(plotting.label("帮扶人奖励分布", "helpers' pay"))
pub.figure(fig, "helper_pay");

# %% [markdown]
# ## 考核基数与考核对象 Each pupil's baseline, and whom the plan pays
# The baseline is each pupil's own: the grade-7 (初一) semester-1 final in their first assessed year, the end of the
# previous school year after that (以初一第一学期期末学习成绩总分名次为考核基数;
# 第二学年的考核就以第一学年第二学期期末学生考试成绩名次为依据). A pupil whose baseline lies before the data begin
# earns no rank points under the default `baseline_before_data = exclude`. Part one pays 牵手扶助志愿者 and 班主任 for
# the 留守、单亲儿童 they take on: pupils who help a classmate are listed but not paid, and a paired pupil who is
# neither left behind nor from a single-parent family does not count (`paid_helpers`, `assessed_pupils`). Pupil-years
# of this school year by grade and where their baseline came from (small cells suppressed):

# %%
pts = payouts["tables"]["pupil_points"]
flags = pts["flags"].fillna("")
baseline = np.select([flags.str.contains("baseline_before_data") & pts.base_rank.isna(),
                      flags.str.contains("missed_base_exam")],
                     ["基数早于数据 baseline before the data", "缺考基数考试 missed the baseline exam"],
                     "有本人基数 own baseline")
table = pd.crosstab(pts.grade.astype("Int64").rename("grade"), pd.Series(baseline, index=pts.index, name="baseline"))
pub.table(suppress_counts(table, ctx["min_cell"]).reset_index(), "baselines_by_grade", counts=list(table.columns))
helper_paid = payouts["tables"]["helper_points"].paid
who = pd.DataFrame({
    "measure": ["结对学生（人次） paired pupil-years", "计入考核（留守、单亲） counted", "本学年换班 moved class",
                "帮扶人（人次，获奖励） helpers paid", "学生帮扶人（不奖励） pupil helpers, not paid"],
    "value": [len(pts), int(pts.counted.sum()), int(flags.str.contains("class_changed").sum()),
              int(helper_paid.sum()), int((~helper_paid).sum())]})
who["value"] = who.value.astype("Int64").mask(who.value < ctx["min_cell"])
pub.table(who, "who_is_assessed", counts=["value"]);

# %% [markdown]
# ## 如果结对毫无作用 What the formula pays under no effect
# The year's end exam is replayed many times from the unpaired pupils' re-test regression (no pairing effect),
# then ranked and scored by the plan's own formula. The expected yuan is what chance and regression to the
# mean alone would pay; the actual is what the formula paid.

# %%
null = audit.null_payout(inputs, year, rules, reps=replays, seed=0)
pub.table(null["summary"], "null_summary", counts=["paired_pupils", "helpers"]);
by_band = suppress_small_groups(null["by_baseline"], "pupils",
                                ["expected_rank_yuan", "actual_rank_yuan", "chance_share"], ctx["min_cell"])
pub.table(by_band, "null_by_baseline", counts=["pupils"]);

# %%
fig, ax = plotting.new_figure(7.5, 3.6)
b = by_band.melt(id_vars="base_band", value_vars=["expected_rank_yuan", "actual_rank_yuan"],
                             var_name="what", value_name="yuan")
b["what"] = b.what.map({"expected_rank_yuan": plotting.label("无效应时预期", "expected with no effect"),
                        "actual_rank_yuan": plotting.label("实际", "actual")})
plotting.sns.barplot(data=b, x="base_band", y="yuan", hue="what", ax=ax)
ax.set_xlabel(plotting.label("起点百分位段", "baseline percentile band"))
ax.set_ylabel(plotting.label("每名结对学生的名次奖励（元）", "rank-clause yuan per paired pupil"))
ax.set_title(plotting.label("名次奖励有多少来自偶然", "how much rank pay chance alone earns"))
pub.figure(fig, "null_payout");

# %% [markdown]
# ## 按百分位付酬 Pay for percentile, on the same budget
# Each paired pupil is placed among pupils of the same school, grade and 5-point baseline band in *other*
# classes, and paid per percentile point, priced so both rules cost the same with no effect. With no effect
# it pays every band the same; with a real effect it pays more everywhere.

# %%
rules_cmp = audit.compare_rules(inputs, year, planted_effect_sd, rules, reps=replays, seed=0)
rules_cmp = suppress_small_groups(rules_cmp, "pupils", ["yuan_per_pupil"], ctx["min_cell"])
pub.table(rules_cmp, "plan_vs_pay_for_percentile", counts=["pupils"]);

# %%
fig, axes = plotting.new_figure(10, 3.8, ncols=2)
for ax, (scenario, g) in zip(axes, rules_cmp.groupby("scenario", sort=False)):
    plotting.sns.barplot(data=g, x="base_band", y="yuan_per_pupil", hue="rule", ax=ax)
    ax.set_title(scenario)
    ax.set_xlabel(plotting.label("起点百分位段", "baseline band"))
    ax.set_ylabel(plotting.label("每名学生（元）", "yuan per pupil"))
fig.suptitle(plotting.label("原方案与按百分位付酬", "the plan and pay for percentile"))
pub.figure(fig, "plan_vs_pay_for_percentile");

# %% [markdown]
# ## 开放选择的影响 Sensitivity to the open choices
# The plan's wording leaves choices open (docs/domain.md section 6); the total cost with each switched, one at a time,
# over every school year in the data.

# %%
cost = audit.cost_sensitivity(inputs, rules)
pub.table(cost, "cost_sensitivity", counts=[]);

# %% [markdown]
# ## 结论 What this means

# %%
pub.markdown(narrative.reward(summary, cost, null["summary"], rules_cmp, by_band))
