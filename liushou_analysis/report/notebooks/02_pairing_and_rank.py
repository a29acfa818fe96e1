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
from liushou_analysis.report.disclosure import suppress_small_groups
from liushou_analysis.report.runner import Publisher, context
from liushou_analysis.statistics import pairing
from liushou_analysis.statistics.effects import regression_to_the_mean

ctx = context(dataset, term, raw_dir, clean_dir, report_dir, min_cell, lang)
pub = Publisher(ctx["report_dir"], "02_pairing_and_rank", ctx["lang"])
plotting.setup()
store = ctx["store"]
panel = pairing.from_tables(store.table("exams"), store.table("pairings"), store.table("households"))
cohort = pairing.term_cohort(panel, ctx["term"])
pub.markdown(narrative.opening(
    "02 结对帮扶与名次 Pairing and rank",
    "Does being paired with a helper this term raise a pupil's place in the grade? The outcome is the "
    "pupil's percentile in their school and grade at the end of the term. The comparison group is the pupils "
    "not yet paired; the baseline is the previous term's exam. Schools pick weak pupils, and weak pupils "
    "rise anyway (regression to the mean), so the naive comparison is shown beside estimates that adjust for "
    "where pupils started. Left-behind status enters as either parent away or all parents away.", ctx))

# %% [markdown]
# ## 谁被结对 Who gets paired (selection)

# %%
selection = suppress_small_groups(pairing.selection_table(cohort), "pupils",
                                  ["base_percentile", "pre_change", "either_parent_away", "all_parents_away"],
                                  ctx["min_cell"])
pub.table(selection, "selection", counts=["pupils"]);

# %%
fig, ax = plotting.new_figure(7.5, 3.6)
if len(cohort):
    groups = cohort.assign(group=np.where(cohort.treated == 1, plotting.label("新结对", "newly paired"),
                                          plotting.label("未结对", "not paired")))
    plotting.sns.histplot(data=groups, x="base_percentile", hue="group", stat="density", common_norm=False, bins=20,
                          element="step", ax=ax)
ax.set_xlabel(plotting.label("上学期年级百分位", "baseline grade percentile"))
ax.set_title(plotting.label("被结对的学生起点更低", "paired pupils start lower"))
pub.figure(fig, "selection");

# %% [markdown]
# ## 朴素与调整后的估计 Naive versus adjusted estimates
# Percentile points; 95% CIs are cluster-robust by class. `naive`: change in percentile, paired minus not.
# `ancova`: end percentile adjusted for the baseline (cubic in its normal score), left-behind flags and
# school-grade. `ipw`: inverse-probability weighting on the same. `did`: difference in differences with
# the term before the baseline. `placebo`: the same on the change *before* pairing, which should be 0.

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
fig, ax = plotting.new_figure(7.5, 3.4)
shown = estimates.dropna(subset=["estimate"])
ax.errorbar(shown.estimate, shown.quantity, xerr=[shown.estimate - shown.ci_low, shown.ci_high - shown.estimate],
            fmt="o", capsize=3)
ax.axvline(0, color="grey", lw=1)
if overall_planted is not None:
    ax.axvline(overall_planted, color="tab:red", ls="--", label=plotting.label("植入的真实效应", "planted effect"))
    ax.legend(loc="lower right")
ax.invert_yaxis()
ax.set_xlabel(plotting.label("结对效应（百分位点）", "pairing effect, percentile points") + ", 95% CI")
ax.set_title(plotting.label("估计方法比较", "estimators side by side"))
pub.figure(fig, "estimates", empty=None if len(shown) else
           "本学期没有可估计的结对效应 (no estimator could be computed this term; the table says why)");

# %% [markdown]
# ## 回归均值 Regression to the mean, made visible
# Mean change in percentile by baseline decile. Unpaired pupils who started low rise and those who started
# high fall, with no help at all. The line is the re-test regression of the unpaired pupils; a paired pupil's
# effect is their change *above that line*, not above zero.

# %%
rtm = regression_to_the_mean(cohort, "base_percentile", "end_percentile", "treated") if len(cohort) else None
if rtm is not None:
    rtm["base_bin"] = rtm.base_bin.astype(str)
    rtm = suppress_small_groups(suppress_small_groups(rtm, "pupils", ["mean_change_all", "observed_change_untreated"],
                                                      ctx["min_cell"]),
                                "treated_pupils", ["mean_change_treated"], ctx["min_cell"])
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
# ## 不同帮扶类型 By helper type
# One ANCOVA with an indicator per helper type (sharing the unpaired pupils as comparison). Types with
# fewer than 5 paired pupils are not estimated. The simulation study (`make validate`) found these
# per-type intervals cover less than 95% when a type has under about 20 paired pupils: read them as a guide.

# %%
by_type = (pairing.effect_by(cohort, "helper_type") if len(cohort) else pairing.compare(cohort.iloc[0:0])).table
if planted is not None:
    by_type = by_type.merge(planted[["quantity", "effect"]].rename(columns={"effect": "planted_effect"}),
                            on="quantity", how="left")
by_type = suppress_small_groups(by_type.assign(n_treated=by_type.get("n_treated", np.nan)), "n_treated",
                                ["estimate", "se", "ci_low", "ci_high", "p_value"], ctx["min_cell"])
pub.table(by_type, "by_helper_type", counts=["n", "n_treated"]);

# %%
fig, ax = plotting.new_figure(7.5, 3.6)
shown = by_type.dropna(subset=["estimate"])
ax.errorbar(shown.estimate, shown.quantity, xerr=[shown.estimate - shown.ci_low, shown.ci_high - shown.estimate],
            fmt="o", capsize=3, label=plotting.label("估计", "estimate"))
if "planted_effect" in shown:
    ax.plot(shown.planted_effect, shown.quantity, "x", color="tab:red",
            label=plotting.label("植入的真实效应", "planted effect"))
ax.axvline(0, color="grey", lw=1)
ax.invert_yaxis()
ax.legend(fontsize=8)
ax.set_xlabel(plotting.label("结对效应（百分位点）", "effect, percentile points") + ", 95% CI")
ax.set_title(plotting.label("按帮扶类型", "by helper type"))
pub.figure(fig, "by_helper_type", empty=None if len(shown) else
           "没有哪类帮扶人有足够的新结对学生 (no helper type has enough newly paired pupils)");

# %% [markdown]
# ## 结论 What this means

# %%
pub.markdown(narrative.pairing(estimates, selection, overall_planted))
