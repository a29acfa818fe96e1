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
from liushou_analysis.report import export, narrative, plotting
from liushou_analysis.report.disclosure import TOTAL, suppress_column, suppress_counts, suppress_small_groups
from liushou_analysis.report.runner import Publisher, context
from liushou_analysis.scoring import contract as scoring_io
from liushou_analysis.scoring import engine as scoring
from liushou_analysis.statistics import audit

ctx = context(dataset, term, raw_dir, clean_dir, report_dir, min_cell, lang)
pub = Publisher(ctx["report_dir"], "03_reward_points", ctx["lang"], ctx["min_cell"])
plotting.setup(ctx["lang"])
rules = scoring.RewardRules()
inputs = scoring_io.from_clean(ctx["store"])
year, why = scoring_io.term_school_year(ctx["store"].table("exams", columns=["term"]).term, ctx["term"], ctx["lang"])
pub.markdown(narrative.opening(
    pub.say("03 考核及奖励", "03 Reward points"),
    pub.say("逐条计算学校方案中的考核及奖励积分（[文献001第6篇、第8篇](index.html#sources)）：每名学生以其本人的初一基数起算，"
            "为牵手扶助志愿者和班主任所帮扶的留守、单亲儿童计分。内容包括每位帮扶人、班主任和学生的积分与金额及其审计记录，"
            "学校的总支出，如果结对毫无作用这一公式会付多少，在相同预算下按百分位付酬的另一种做法，以及方案措辞中每个可选"
            f"规则对总额的影响。所示金额：{why}。",
            "The school plan's reward-point scheme (考核及奖励, "
            "[collection 001, articles 6 and 8](index.html#sources)) "
            "computed clause by clause, each pupil from their own 初一 baseline and paying the volunteer helpers and "
            "head teachers for the left-behind and single-parent pupils they take on: points and "
            "yuan per helper, head teacher and pupil with the audit trail, the cost to the school, what the formula "
            "would pay if pairing did nothing, the pay-for-percentile alternative on the same budget, and how the "
            f"cost moves with each open choice in the plan's wording. Payouts shown: {why}."), ctx))

# %% [markdown]
# ## 积分与金额
# 按部分汇总。每位帮扶人、班主任和学生的明细以及审计记录（每用到一条条款一行，附理由）在 `payouts.xlsx` 中，
# 供学校财务使用。其中的编号是化名：学校可用 `liushou payouts` 凭密钥从自己的原始记录中对应到具体的人。
# <!-- en -->
# ## Points and yuan
# Totals by part. Per-helper, per-head-teacher and per-pupil rows, and the audit trail (one row per clause
# applied, with the reason), are in `payouts.xlsx` for the school's administration. Keys are pseudonyms:
# the school maps them back to people from its own raw records with `liushou payouts` and its key.

# %%
if year is None:  # liushou report leaves this notebook out for such a term
    raise UserError(f"No payouts for {ctx['term']}: {why}.")
out = scoring.score_scheme(inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"], rules,
                           pupils=inputs["pupils"])
payouts = scoring.payout_summary(out, year)
if ctx["report_dir"]:
    export.payout_workbook(payouts["tables"], ctx["report_dir"] / "payouts.xlsx")
summary = payouts["totals"].copy()
if summary.pupils_awarded < ctx["min_cell"]:
    summary["pupils_awarded"] = float("nan")  # a small count of pupils is not published
pub.table(summary.to_frame("value").rename_axis("measure").reset_index(), "cost_summary", counts=[]);

# %%
# helpers and pupils by role add up to the totals printed below, so each is protected with its total
by_role = suppress_column(suppress_column(payouts["by_role"], "helpers", ["pupils", "yuan", "mean_yuan"],
                                          ctx["min_cell"]), "pupils", ["yuan", "mean_yuan"], ctx["min_cell"])
pub.table(by_role, "helpers_by_role", counts=["helpers", "pupils"])
pub.table(payouts["by_clause"], "audit_by_clause", counts=[]);

# %%
# drawn from the protected table above, so the chart shows no group the table hides (a histogram of each
# helper's pay would count the helpers of a small role one by one)
fig, ax = plotting.new_figure(7.5, 3.2)
paid = by_role.dropna(subset=["mean_yuan"])
ax.barh(plotting.words(paid.helper_role, "helper_role"), paid.mean_yuan, color=plotting.sns.color_palette()[0])
ax.invert_yaxis()
ax.set_xlabel(plotting.label("每位帮扶人平均金额（元）", "mean yuan per helper"))
ax.set_title(plotting.label("各类帮扶人的平均奖励", "helpers' mean pay by role"))
pub.figure(fig, "helper_pay", empty=None if len(paid) else pub.say(
    f"每类帮扶人都少于{ctx['min_cell']}人，已隐去", f"every helper role has fewer than {ctx['min_cell']} helpers"));

# %% [markdown]
# ## 考核基数与考核对象
# 基数是每名学生本人的：在其第一个考核学年用初一第一学期期末成绩，之后用上一学年期末成绩（“以初一第一学期期末学习成绩
# 总分名次为考核基数；第二学年的考核就以第一学年第二学期期末学生考试成绩名次为依据”）。基数早于数据起点的学生，在默认的
# `baseline_before_data = exclude` 下不得名次分。第一部分为牵手扶助志愿者和班主任所帮扶的留守、单亲儿童计分：帮扶同学的
# 学生列出但不奖励；既非留守也非单亲的结对学生不计入（`paid_helpers`、`assessed_pupils`）。
# 下表为本学年各年级学生人次及其基数来源（小格隐去）：
# <!-- en -->
# ## Each pupil's baseline, and whom the plan pays
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
pub.table(suppress_counts(table, ctx["min_cell"]).reset_index(), "baselines_by_grade",
          counts=[*table.columns, TOTAL])
helper_paid = payouts["tables"]["helper_points"].paid
who = pd.DataFrame({
    "measure": ["结对学生（人次） paired pupil-years", "计入考核（留守、单亲） counted", "本学年换班 moved class",
                "帮扶人（人次，获奖励） helpers paid",
                "不奖励的帮扶人（学生，或职务未能识别） helpers not paid (pupils, or a post not read)"],
    "value": [len(pts), int(pts.counted.sum()), int(flags.str.contains("class_changed").sum()),
              int(helper_paid.sum()), int((~helper_paid).sum())]})
who["value"] = who.value.astype("Int64").mask(who.value.between(1, ctx["min_cell"] - 1))
pub.table(who, "who_is_assessed", counts=["value"]);

# %% [markdown]
# ## 如果结对毫无作用
# 用未结对学生的重测回归（没有结对效应）把本学年的期末考试重演许多次，再按方案自己的公式排名计分。“预期”金额是仅凭偶然和
# 回归均值就会付出的钱，“实际”是公式实际付出的钱。
# <!-- en -->
# ## What the formula pays under no effect
# The year's end exam is replayed many times from the unpaired pupils' re-test regression (no pairing effect),
# then ranked and scored by the plan's own formula. The expected yuan is what chance and regression to the
# mean alone would pay; the actual is what the formula paid.

# %%
null = audit.null_payout(inputs, year, rules, reps=replays, seed=0)
# a school year of few paired pupils shows no figures (they are sums over those pupils); few helpers, no count
null_summary = suppress_small_groups(null["summary"], "paired_pupils",
                                     [c for c in null["summary"].columns if c not in ("school_year", "paired_pupils")],
                                     ctx["min_cell"])
null_summary["helpers"] = null_summary.helpers.mask(null_summary.helpers.between(1, ctx["min_cell"] - 1))
pub.table(null_summary, "null_summary", counts=["paired_pupils", "helpers"]);
by_band = suppress_column(null["by_baseline"], "pupils", ["expected_rank_yuan", "actual_rank_yuan", "chance_share"],
                          ctx["min_cell"])
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
plotting.legend_title(ax, "金额", "amount")
pub.figure(fig, "null_payout");

# %% [markdown]
# ## 按百分位付酬（预算相同）
# 每名结对学生与本校、同年级、基数在同一5分段、但在*其他*班级的学生相比，按百分位点付酬，
# 单价定为在没有效应时两种规则花费相同。没有效应时它付给每个起点段的钱一样多；有真实效应时处处多付。
# <!-- en -->
# ## Pay for percentile, on the same budget
# Each paired pupil is placed among pupils of the same school, grade and 5-point baseline band in *other*
# classes, and paid per percentile point, priced so both rules cost the same with no effect. With no effect
# it pays every band the same; with a real effect it pays more everywhere.

# %%
rules_cmp = audit.compare_rules(inputs, year, planted_effect_sd, rules, reps=replays, seed=0)
# the same pupils by baseline band as above, so the same bands are hidden in every scenario and rule
if len(rules_cmp):
    rules_cmp = pd.concat([suppress_column(part, "pupils", ["yuan_per_pupil"], ctx["min_cell"])
                           for _, part in rules_cmp.groupby(["scenario", "rule"], sort=False)])
pub.table(rules_cmp, "plan_vs_pay_for_percentile", counts=["pupils"]);

# %%
fig, axes = plotting.new_figure(10, 3.8, ncols=2)
for ax, (scenario, g) in zip(axes, rules_cmp.groupby("scenario", sort=False)):
    plotting.sns.barplot(data=g.assign(rule=plotting.words(g.rule, "rule")), x="base_band", y="yuan_per_pupil",
                         hue="rule", ax=ax)
    ax.set_title(plotting.words([scenario], "scenario")[0])
    plotting.legend_title(ax, "规则", "rule")
    ax.set_xlabel(plotting.label("起点百分位段", "baseline band"))
    ax.set_ylabel(plotting.label("每名学生（元）", "yuan per pupil"))
fig.suptitle(plotting.label("原方案与按百分位付酬", "the plan and pay for percentile"))
pub.figure(fig, "plan_vs_pay_for_percentile");

# %% [markdown]
# ## 可选规则的影响
# 方案的措辞留下了若干可选之处；逐一改变其中一项时，数据中各学年的总支出。
# <!-- en -->
# ## Sensitivity to the open choices
# The plan's wording leaves choices open; the total cost with each switched, one at a time, over every school year
# in the data.

# %%
cost = audit.cost_sensitivity(inputs, rules)
pub.table(cost, "cost_sensitivity", counts=[]);

# %% [markdown]
# ## 结论
# <!-- en -->
# ## What this means

# %%
pub.markdown(narrative.reward(summary, cost, null_summary, rules_cmp, by_band, lang=ctx["lang"]))
