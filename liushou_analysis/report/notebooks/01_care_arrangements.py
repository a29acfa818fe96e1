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
definition = "either_parent"

# %%

from liushou_analysis.core.codebook import codes
from liushou_analysis.core.flags import is_true
from liushou_analysis.indicators import care
from liushou_analysis.indicators.routines import FIVE_COMPONENTS, THREE_COMPONENTS
from liushou_analysis.indicators.status import AGE_LABELS
from liushou_analysis.report import narrative, plotting
from liushou_analysis.report.disclosure import suppress_breakdown, suppress_counts, suppress_small_groups
from liushou_analysis.report.labels import CODED, natural_order
from liushou_analysis.report.runner import Publisher, context
from liushou_analysis.statistics import pairing, prevalence

ctx = context(dataset, term, raw_dir, clean_dir, report_dir, min_cell, lang)
pub = Publisher(ctx["report_dir"], "01_care_arrangements", ctx["lang"])
plotting.setup()
store = ctx["store"]
frame = care.term_frame(store.table("enrolment"), store.table("households"), store.table("pupils"), ctx["term"],
                        store.table("pairings") if store.has("pairings") else None)
survey_term = frame.survey_term.dropna().iloc[0] if frame.survey_term.notna().any() else "—"
pub.markdown(narrative.opening(
    "01 监护情况 Care arrangements",
    "How many pupils are left behind under each definition, who looks after them (with design-based 95% "
    "confidence intervals: strata are schools, clusters are classes), how that compares with the figures the "
    "source documents quote, what the guardians are like, whether the contact routines and archives are "
    "kept, and how exam percentiles differ by care arrangement. Household answers come from the survey of "
    f"{survey_term} (households are surveyed once a school year).", ctx, definition))

# %% [markdown]
# ## 各定义下的留守儿童 Left-behind under each definition
# The same answers, three definitions. Shares are over the pupils whose answers decide the definition.

# %%
definitions = pub.table(prevalence.definition_table(frame), "definitions")

# %%
fig, ax = plotting.new_figure(7.5, 3.2)
d = definitions.assign(pct=100 * definitions.estimate)
ax.barh(d.label, d.pct, color=plotting.sns.color_palette()[0])
ax.errorbar(d.pct, d.label, xerr=[100 * (d.estimate - d.ci_low), 100 * (d.ci_high - d.estimate)], fmt="none", color="k")
ax.set_xlabel(plotting.label("留守儿童占比 %", "share left behind, %"))
ax.set_title(plotting.label("定义不同，人数不同", "the count moves with the definition"))
pub.figure(fig, "definitions");

# %% [markdown]
# ## 监护类型 Care arrangements
# Shares among the left-behind under the chosen definition, overall, by school and by grade.
# A blank (—) is a suppressed small cell.

# %%
def protected_shares(by=None):
    """Care shares (overall or by ``by``) with small cells and their complements suppressed."""
    table = prevalence.care_shares(frame, definition, by).table
    return suppress_breakdown(table, "domain", "care", "pupils", ["estimate", "se", "ci_low", "ci_high"],
                              ctx["min_cell"])


overall = pub.table(protected_shares(), "care_overall", counts=["pupils", "n"])
by_school = pub.table(protected_shares("school"), "care_by_school", counts=["pupils", "n"])
by_grade = pub.table(protected_shares("grade"), "care_by_grade", counts=["pupils", "n"])

# %%
fig, ax = plotting.new_figure(8, 0.35 * len(by_school) + 1.5)
shown = by_school.dropna(subset=["estimate"]).assign(row=lambda x: x.domain + " · " + x.care_label)
ax.errorbar(100 * shown.estimate, shown.row, xerr=[100 * (shown.estimate - shown.ci_low.fillna(shown.estimate)),
                                                    100 * (shown.ci_high.fillna(shown.estimate) - shown.estimate)],
            fmt="o", capsize=3)
ax.invert_yaxis()
ax.set_xlabel(plotting.label("占留守儿童 %", "% of left-behind pupils") + ", 95% CI")
ax.set_title(plotting.label("各校监护类型", "care arrangements by school"))
pub.figure(fig, "care_by_school", empty=None if len(shown) else
           f"每个学校的监护类型都少于{ctx['min_cell']}人，已隐去 (every school's cells are suppressed)");

# %% [markdown]
# ## 与文献数字比较 Comparison with the reference figures
# Each figure the source documents quote (docs/domain.md section 2, with the quote), beside this term's estimate
# under the definition the source states; a source that states none is compared under every definition. The
# 涌泉镇 split (80% grandparents, 20% teachers and relatives) leaves no room for care by a parent at home, so it
# is compared among left-behind pupils with no parent at home. Counts for other places are listed, not compared.

# %%
reference = pub.table(prevalence.compare_with_reference(frame), "reference_comparison",
                      ["source", "place", "quote", "definition", "compared_under", "population", "indicator",
                       "reference_pct", "estimate_pct", "ci_low_pct", "ci_high_pct", "reference_inside_ci", "note"],
                      counts=["n"])

# %% [markdown]
# ### 文献自身的算术 The documents' own arithmetic
# Each stated share checked against the counts it comes with, and each breakdown against 100%. A row marked
# False is a figure the document contradicts: it is shown here rather than used silently.

# %%
arithmetic = pub.table(care.reference_arithmetic(), "reference_arithmetic", counts=[])

# %% [markdown]
# ## 监护人特征 Guardian characteristics
# Counts of left-behind pupils by the guardian's age band and care arrangement (small cells suppressed).

# %%
lb = frame[is_true(frame[definition])]
ages = lb.pivot_table(index="guardian_age_band", columns="care_arrangement", values="pupil_key",
                      aggfunc="count", fill_value=0)
ages = natural_order(ages, AGE_LABELS)  # youngest first: <30, 30-39 ...
pub.table(suppress_counts(ages, ctx["min_cell"]).reset_index(), "guardian_age_by_care", counts=list(ages.columns));

# %%
for col, zh in (("guardian_health", "健康"), ("guardian_education", "文化程度")):
    counts = lb.pivot_table(index=col, columns="care_arrangement", values="pupil_key", aggfunc="count",
                            fill_value=0)
    counts = natural_order(counts, codes(CODED[col]))  # the codebook's order: good, fair, poor ...
    pub.table(suppress_counts(counts, ctx["min_cell"]).reset_index(), f"{col}_by_care", counts=list(counts.columns));

# %% [markdown]
# ## 联系制度与建档 Contact routines and archives
# "五个一" (001 篇5) for left-behind pupils, proxy parents' "三个一" (002) for paired pupils, and the archive
# rate (建档率, target 100%) with the share of archives holding all "five things known".

# %%
routines = care.routine_tables(frame, store.table("contacts"), store.table("pairings"), store.table("archive"),
                              ctx["term"], definition)
routines = {"five_ones": suppress_small_groups(routines["five_ones"], "pupils",
                                               FIVE_COMPONENTS + ["share_met"], ctx["min_cell"]),
            "three_ones": suppress_small_groups(routines["three_ones"], "pupils",
                                                THREE_COMPONENTS + ["share_met"], ctx["min_cell"]),
            "archive": suppress_small_groups(routines["archive"], "left_behind", ["archive_rate", "complete_rate"],
                                             ctx["min_cell"])}
pub.table(routines["five_ones"], "five_ones_by_school", counts=["pupils"]);
pub.table(routines["three_ones"], "three_ones_by_school", counts=["pupils"]);
pub.table(routines["archive"], "archive_by_school", counts=["left_behind"]);

# %%
fig, ax = plotting.new_figure(8, 3.8)
five = routines["five_ones"].melt(id_vars=["school", "pupils"], var_name="component", value_name="share")
five = five[five.component != "share_met"]
plotting.sns.barplot(data=five.assign(pct=100 * five.share), x="pct", y="component", hue="school", ax=ax)
ax.set_xlabel(plotting.label("达标学生 %", "% of left-behind pupils meeting it"))
ax.set_ylabel("")
ax.set_title(plotting.label("五个一落实情况", "'five ones' routine by school"))
ax.legend(fontsize=8, title=plotting.label("学校", "school"))
pub.figure(fig, "five_ones");

# %% [markdown]
# ## 成绩与监护类型 Exam percentile by care arrangement
# **Descriptive only.** Families with different care arrangements differ in many ways (income, parents' work,
# age of the child), so a gap here is not the effect of the care arrangement.

# %%
panel = pairing.from_tables(store.table("exams"), store.table("pairings"), store.table("households"))
percentiles = panel.loc[panel.term == ctx["term"], ["pupil", "percentile"]].rename(columns={"pupil": "pupil_key"})
scores = suppress_small_groups(prevalence.scores_by_care(frame, percentiles).table, "n",
                               ["estimate", "se", "ci_low", "ci_high"], ctx["min_cell"])
scores = pub.table(scores, "percentile_by_care", counts=["n"])

# %%
fig, ax = plotting.new_figure(7, 3.2)
s = scores.dropna(subset=["estimate"])
ax.errorbar(s.estimate, s.care_label, xerr=[s.estimate - s.ci_low, s.ci_high - s.estimate], fmt="o", capsize=3)
ax.axvline(50, color="grey", lw=1, ls="--")
ax.set_xlabel(plotting.label("年级内百分位（均值）", "mean grade percentile") + ", 95% CI")
ax.set_title(plotting.label("成绩与监护类型（描述性）", "percentile by care arrangement (descriptive)"))
pub.figure(fig, "percentile_by_care", empty=None if len(s) else
           "本学期没有同时有成绩和监护类型的学生 (no pupil has both a score and a care arrangement this term)");

# %% [markdown]
# ## 结论 What this means

# %%
pub.markdown(narrative.care(definitions, overall, reference, definition, arithmetic))
