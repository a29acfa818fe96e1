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
planted_effects_file = None  # a synthetic county's planted effects (liushou report passes it), to show beside

# %%
import numpy as np
import pandas as pd

from liushou_analysis.report import narrative, plotting
from liushou_analysis.report.disclosure import suppress_column, suppress_shares, suppress_small_groups
from liushou_analysis.report.runner import Publisher, context
from liushou_analysis.statistics import pairing
from liushou_analysis.statistics.effects import regression_to_the_mean

ctx = context(dataset, term, raw_dir, clean_dir, report_dir, min_cell, lang)
pub = Publisher(ctx["report_dir"], "02_pairing_and_rank", ctx["lang"], ctx["min_cell"])
plotting.setup(ctx["lang"])
store = ctx["store"]
panel = pairing.from_store(store, ctx["term"])
cohort = pairing.term_cohort(panel, ctx["term"])
pub.markdown(narrative.opening(
    pub.say("02 结对帮扶与名次", "02 Pairing and rank"),
    pub.say("本学期与帮扶人结对，能否提高学生在年级中的位置？结果是学生期末在本校本年级的百分位，对照组是尚未结对的学生，"
            "基数是上学期的考试。学校挑的是成绩弱的学生，而弱的学生本来就会回升（回归均值），所以简单比较与按起点调整后"
            "的估计并列。留守状况以“父母一方外出”和“父母都外出”两个指标进入模型。",
            "Does being paired with a helper this term raise a pupil's place in the grade? The outcome is the "
            "pupil's percentile in their school and grade at the end of the term. The comparison group is the pupils "
            "not yet paired; the baseline is the previous term's exam. Schools pick weak pupils, and weak pupils "
            "rise anyway (regression to the mean), so the naive comparison is shown beside estimates that adjust for "
            "where pupils started. Left-behind status enters as either parent away or all parents away."), ctx))

# %% [markdown]
# ## 谁被结对
# 结对学生与未结对学生的起点百分位、结对前的变化，以及父母外出的比例。
# <!-- en -->
# ## Who gets paired (selection)

# %%
selection = suppress_small_groups(pairing.selection_table(cohort), "pupils",
                                  ["base_percentile", "pre_change", "either_parent_away", "all_parents_away"],
                                  ctx["min_cell"])
selection = suppress_shares(selection, "pupils", ["either_parent_away", "all_parents_away"], ctx["min_cell"])
pub.table(selection, "selection", counts=["pupils"], shares=["either_parent_away", "all_parents_away"]);

# %%
# Each group's pupils by baseline decile, as a share of the group: the counts behind the bars add up to the
# group sizes printed above, so each group's deciles are protected as a table with that total (a hidden decile
# is left out of the chart).
fig, ax = plotting.new_figure(7.5, 3.6)
deciles = pd.Series(dtype=float)
drawn = False
if len(cohort):
    bins = pd.cut(cohort.base_percentile, np.arange(0, 101, 10), include_lowest=True)
    deciles = cohort.groupby([cohort.treated.rename("treated"), bins.rename("decile")], observed=False).size()
    for treated, name in ((1, plotting.label("新结对", "newly paired")), (0, plotting.label("未结对", "not paired"))):
        if treated not in deciles.index.get_level_values(0):
            continue
        part = suppress_column(deciles.loc[treated].rename("pupils").reset_index(), "pupils", [], ctx["min_cell"])
        share = part.pupils.astype(float) / deciles.loc[treated].sum()
        ax.plot(np.arange(5, 100, 10), 100 * share, "o-", label=name)
        drawn |= bool((share > 0).any())
    ax.legend(title=plotting.label("组别", "group"), fontsize=8)
ax.set_xlabel(plotting.label("上学期年级百分位（十分位段）", "baseline grade percentile (deciles)"))
ax.set_ylabel(plotting.label("占本组学生 %", "% of the group"))
ax.set_title(plotting.label("被结对的学生起点更低", "paired pupils start lower"))
pub.figure(fig, "selection", empty=None if drawn else pub.say(
    f"各十分位段的人数都少于{ctx['min_cell']}人或为保护小格而隐去（或本学期没有可比较的学生）",
    "every decile is suppressed (or there are no pupils to compare this term)"));

# %% [markdown]
# ## 简单比较与调整后的估计
# 单位为百分位点；95%置信区间按班级聚类稳健计算。`naive`（简单比较）：结对与未结对学生百分位变化之差。
# `ancova`（协方差分析）：期末百分位，按基数（其正态分数的三次式）、留守指标和学校年级调整。`ipw`（逆概率加权）：
# 用同样的变量加权。`did`（双重差分）：以基数之前的学期为参照。`placebo`（安慰剂检验）：同样的方法用于结对*之前*的变化，
# 应当为0。图中另列分批双重差分（见下一节）的两个总体效应，以便各方法并排比较。
# <!-- en -->
# ## Naive versus adjusted estimates
# Percentile points; 95% CIs are cluster-robust by class. `naive`: change in percentile, paired minus not.
# `ancova`: end percentile adjusted for the baseline (cubic in its normal score), left-behind flags and
# school-grade. `ipw`: inverse-probability weighting on the same. `did`: difference in differences with
# the term before the baseline. `placebo`: the same on the change *before* pairing, which should be 0. The
# chart adds the two overall effects of the staggered difference in differences (next section), side by side.

# %%
estimates = (pairing.compare(cohort) if len(cohort) else pairing.compare(cohort.iloc[0:0])).table
if 0 < cohort.treated.sum() < ctx["min_cell"]:  # an effect on a handful of pupils describes those pupils
    estimates[["estimate", "se", "ci_low", "ci_high", "p_value"]] = float("nan")
    estimates["method"] = f"suppressed: fewer than {ctx['min_cell']} newly paired pupils"
planted = None
if planted_effects_file:
    planted = pd.read_csv(planted_effects_file)
    planted = planted[planted.exam_term == ctx["term"]].rename(columns={"level": "quantity"})
    planted = planted if len(planted) else None
overall_planted = float(planted.set_index("quantity").effect.get("overall", np.nan)) if planted is not None else None
if overall_planted is not None:
    estimates["planted_effect"] = np.where(estimates.quantity == "placebo", 0.0, overall_planted)
pub.table(estimates, "estimates", counts=["n"]);

# %%
# the staggered group-time estimators (section below) beside the others: each estimator's overall effect
staggered = pairing.staggered(panel, ctx["term"])
side = estimates
if staggered["overall"] is not None:
    side = pd.concat([estimates, staggered["overall"][staggered["overall"].n >= ctx["min_cell"]]], ignore_index=True)
fig, ax = plotting.new_figure(7.5, 3.8)
shown = side.dropna(subset=["estimate"]).assign(quantity=lambda x: plotting.words(x.quantity, "quantity"))
ax.errorbar(shown.estimate, shown.quantity, xerr=[shown.estimate - shown.ci_low, shown.ci_high - shown.estimate],
            fmt="o", capsize=3)
ax.axvline(0, color="grey", lw=1)
if overall_planted is not None:
    ax.axvline(overall_planted, color="tab:red", ls="--", label=plotting.label("植入的真实效应", "planted effect"))
    ax.legend(loc="lower left")
ax.invert_yaxis()
ax.set_xlabel(plotting.label("结对效应（百分位点），95%置信区间", "pairing effect, percentile points, 95% CI"))
ax.set_title(plotting.label("估计方法比较", "estimators side by side"))
pub.figure(fig, "estimates", empty=None if len(shown) else
           pub.say("本学期没有可估计的结对效应，原因见上表",
                   "no estimator could be computed this term; the table says why"));

# %% [markdown]
# ## 看得见的回归均值
# 按基数十分位段计算的百分位平均变化。未结对的学生中，起点低的会上升、起点高的会下降，完全没有帮扶也是如此。
# 直线是未结对学生的重测回归；结对学生的效果是其变化*高出这条线*的部分，而不是高出零的部分。
# <!-- en -->
# ## Regression to the mean, made visible
# Mean change in percentile by baseline decile. Unpaired pupils who started low rise and those who started
# high fall, with no help at all. The line is the re-test regression of the unpaired pupils; a paired pupil's
# effect is their change *above that line*, not above zero.

# %%
rtm = regression_to_the_mean(cohort, "base_percentile", "end_percentile", "treated") if len(cohort) else None
if rtm is not None:
    rtm["base_bin"] = rtm.base_bin.astype(str)
    # the bins add up to the cohort and the paired pupils printed above, so each count column is protected
    # as a table with that total; a bin whose unpaired pupils are few hides its paired count and their mean
    rtm = suppress_column(rtm, "pupils", ["mean_change_all", "observed_change_untreated", "treated_pupils",
                                          "mean_change_treated"], ctx["min_cell"])
    few_unpaired = (rtm.pupils - rtm.treated_pupils).between(1, ctx["min_cell"] - 1).fillna(False)
    rtm[["treated_pupils", "observed_change_untreated"]] = rtm[
        ["treated_pupils", "observed_change_untreated"]].mask(few_unpaired, axis=0)
    rtm = suppress_column(rtm, "treated_pupils", ["mean_change_treated"], ctx["min_cell"])
    pub.table(rtm, "regression_to_the_mean", counts=["pupils", "treated_pupils"]);
    fig, ax = plotting.new_figure(7.5, 4)
    x = np.arange(5, 100, 10)
    ax.plot(x, rtm.observed_change_untreated, "o", label=plotting.label("未结对（观测）", "not paired, observed"))
    ax.plot(x, rtm.predicted_change, "-", label=plotting.label("无效应时的预期", "expected with no effect"))
    ax.plot(x, rtm.mean_change_treated, "s", label=plotting.label("新结对", "newly paired"))
    ax.axhline(0, color="grey", lw=1)
    ax.set_xlabel(plotting.label("上学期年级百分位", "baseline grade percentile"))
    ax.set_ylabel(plotting.label("百分位变化", "change in percentile"))
    ax.set_title(plotting.label("回归均值", "regression to the mean"))
    ax.legend(fontsize=8)
    pub.figure(fig, "regression_to_the_mean");

# %% [markdown]
# ## 不同帮扶类型
# 一个协方差分析模型，每类帮扶人一个指标（共用未结对学生作对照）。新结对学生少于5人的类型不作估计。每类的置信区间
# 按该类结对学生所在的班级数取t分布的自由度：人少、分布的班级少，区间就宽。模拟研究（`make validate`）中各类区间的
# 覆盖率为93%至95%。
# <!-- en -->
# ## By helper type
# One ANCOVA with an indicator per helper type (sharing the unpaired pupils as comparison). Types with
# fewer than 5 paired pupils are not estimated. Each type's interval takes its t degrees of freedom from the
# classes that hold the type's paired pupils: few pupils in few classes give a wide interval. In the
# simulation study (`make validate`) every type's interval covers 93-95%.

# %%
by_type = (pairing.effect_by(cohort, "helper_type") if len(cohort) else pairing.compare(cohort.iloc[0:0])).table
if planted is not None:
    by_type = by_type.merge(planted[["quantity", "effect"]].rename(columns={"effect": "planted_effect"}),
                            on="quantity", how="left")
# the types' paired pupils add up to the paired pupils printed above: protected as a table with that total
# (the degrees of freedom too: they count the classes holding the type's paired pupils, a bound on their number)
by_type = suppress_column(by_type.assign(n_treated=by_type.get("n_treated", np.nan)), "n_treated",
                          ["estimate", "se", "ci_low", "ci_high", "p_value", "df"], ctx["min_cell"])
pub.table(by_type, "by_helper_type", counts=["n", "n_treated"]);

# %%
fig, ax = plotting.new_figure(7.5, 3.6)
shown = by_type.dropna(subset=["estimate"]).assign(quantity=lambda x: plotting.words(x.quantity, "quantity"))
ax.errorbar(shown.estimate, shown.quantity, xerr=[shown.estimate - shown.ci_low, shown.ci_high - shown.estimate],
            fmt="o", capsize=3, label=plotting.label("估计", "estimate"))
if "planted_effect" in shown:
    ax.plot(shown.planted_effect, shown.quantity, "x", color="tab:red",
            label=plotting.label("植入的真实效应", "planted effect"))
ax.axvline(0, color="grey", lw=1)
ax.invert_yaxis()
ax.legend(fontsize=8)
ax.set_xlabel(plotting.label("结对效应（百分位点），95%置信区间", "effect, percentile points, 95% CI"))
ax.set_title(plotting.label("按帮扶类型", "by helper type"))
pub.figure(fig, "by_helper_type", empty=None if len(shown) else
           pub.say("没有哪类帮扶人有足够的新结对学生", "no helper type has enough newly paired pupils"));

# %% [markdown]
# ## 结对时间不同：按结对后学期看效应
# 学生在不同学期开始结对。把每一批（同一学期开始结对的学生）与从未结对或尚未结对的学生比较，看结对前后百分位的变化
# （Callaway 和 Sant'Anna 的分组-时间双重差分），再按“结对后第几个学期”汇总。结对前的学期是检验：应当接近零。
# 竖线是95%置信区间，阴影是同时置信带（所有学期一起覆盖真值的概率为95%）；按学生首个学期所在班级聚类。
# <!-- en -->
# ## Pairing that starts in different terms: effects by terms since pairing
# Pupils are paired in different terms. Each cohort (pupils first paired in one term) is compared with the
# pupils never or not yet paired, on the change in percentile from before pairing (Callaway and Sant'Anna's
# group-time difference in differences), then summarised by terms since pairing. Terms before pairing are a
# check and should be near zero. Bars are 95% CIs, the shading the simultaneous band (covering every term at
# once); clustered by each pupil's first class.

# %%
study, overall_staggered = staggered["study"], staggered["overall"]
sens, power = staggered["sensitivity"], staggered["power"]
if study is not None:
    # a term since pairing with few pupils describes those pupils: its estimate is hidden with its count
    study = suppress_column(study, "n", ["estimate", "se", "ci_low", "ci_high", "p_value", "band_low", "band_high"],
                            ctx["min_cell"])
    pub.table(study[["event_time", "quantity", "estimate", "se", "ci_low", "ci_high", "band_low", "band_high",
                     "p_value", "df", "n", "method"]], "event_study", counts=["n"])
    overall_staggered = suppress_column(overall_staggered, "n", ["estimate", "se", "ci_low", "ci_high", "p_value"],
                                        ctx["min_cell"])
    pub.table(overall_staggered[["quantity", "estimate", "se", "ci_low", "ci_high", "p_value", "df", "n", "method"]],
              "staggered_overall", counts=["n"])
    by_type_staggered = staggered["by_helper_type"]
    if by_type_staggered is not None:
        # each type's cohort pupils: a small type is hidden with its estimate
        by_type_staggered = suppress_column(by_type_staggered, "n", ["estimate", "se", "ci_low", "ci_high",
                                                                     "p_value", "df"], ctx["min_cell"])
        pub.table(by_type_staggered[["quantity", "estimate", "se", "ci_low", "ci_high", "p_value", "df", "n",
                                     "method"]], "staggered_by_helper_type", counts=["n"])
    hidden = overall_staggered.estimate.isna().iloc[0]
    checks = pd.concat([sens[["e_value", "e_value_ci", "outcome_sd"]], power[["mde", "icc", "icc_paired"]]], axis=1)
    if hidden:
        checks[["e_value", "e_value_ci"]] = float("nan")
    pub.table(checks, "sensitivity_power", counts=[]);

# %%
fig, ax = plotting.new_figure(7.5, 3.6)
drawn = study is not None and study.estimate.notna().any()
if drawn:
    s = study.dropna(subset=["estimate"])
    ax.fill_between(s.event_time, s.band_low, s.band_high, color="tab:blue", alpha=0.15,
                    label=plotting.label("同时置信带", "simultaneous band"))
    ax.errorbar(s.event_time, s.estimate, yerr=[s.estimate - s.ci_low, s.ci_high - s.estimate], fmt="o", capsize=3,
                label=plotting.label("估计与95%置信区间", "estimate, 95% CI"))
    ax.axhline(0, color="grey", lw=1)
    ax.axvline(-0.5, color="grey", ls=":", lw=1)
    ax.set_xticks(s.event_time)
    ax.legend(fontsize=8)
ax.set_xlabel(plotting.label("结对后第几个学期（负数为结对前）", "terms since pairing (negative: before)"))
ax.set_ylabel(plotting.label("效应（百分位点）", "effect, percentile points"))
ax.set_title(plotting.label("按结对时间的效应", "effect by time since pairing"))
pub.figure(fig, "event_study", empty=None if drawn else pub.say(
    "没有哪一批结对学生有结对前的学期可作比较（例如所有结对都始于数据的第一个学期），因此不画按结对时间的效应",
    "no cohort has a term before pairing to compare with (for instance every pairing began in the first term of "
    "the data), so there is no chart by time since pairing"));

# %%
described = None
if study is None:  # no effect by time since pairing: the earliest term as a covariate where defensible, and
    # where paired pupils stand, said to be a description only
    earliest = pairing.earliest_term_covariate(panel, ctx["term"]).table
    described = pd.concat([earliest[earliest.estimate.notna()], pairing.cross_section(panel, ctx["term"]).table],
                          ignore_index=True)
    described["n_left_out"] = described.get("n_left_out", pd.Series(dtype=float)).astype("Float64")
    described = suppress_column(described, "n_paired", ["estimate", "se", "ci_low", "ci_high", "p_value"],
                                ctx["min_cell"])
    # a few pupils left out would be the difference of the two rows' paired pupils: hide both then
    few_left = described.n_left_out.gt(0) & described.n_left_out.lt(ctx["min_cell"])
    described.loc[few_left.fillna(False).to_numpy(), ["n_left_out", "n_paired"]] = pd.NA
    pub.table(described, "descriptive_comparison", counts=["n", "n_paired", "n_left_out"])
pub.markdown(narrative.staggered(study, overall_staggered, sens, power, staggered["no_baseline"], lang=ctx["lang"],
                                 described=described))

# %% [markdown]
# ## 结论
# <!-- en -->
# ## What this means

# %%
pub.markdown(narrative.pairing(estimates, selection, overall_planted, lang=ctx["lang"]))
