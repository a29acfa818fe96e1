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

import pandas as pd

from liushou_analysis.core.codebook import codes
from liushou_analysis.core.flags import is_true
from liushou_analysis.indicators import care
from liushou_analysis.indicators.routines import FIVE_COMPONENTS, THREE_COMPONENTS
from liushou_analysis.indicators.status import AGE_LABELS
from liushou_analysis.report import narrative, plotting
from liushou_analysis.report.disclosure import (
    protect_margins,
    suppress_breakdown,
    suppress_counts,
    suppress_shares,
    suppress_small_groups,
    table_mask,
)
from liushou_analysis.report.labels import CODED, natural_order
from liushou_analysis.report.runner import Publisher, context
from liushou_analysis.statistics import pairing, prevalence

ctx = context(dataset, term, raw_dir, clean_dir, report_dir, min_cell, lang)
pub = Publisher(ctx["report_dir"], "01_care_arrangements", ctx["lang"], ctx["min_cell"])
plotting.setup(ctx["lang"])
store = ctx["store"]
SHARE_COLUMNS = ["estimate", "se", "ci_low", "ci_high"]  # shares of pupils, printed to 0.1%
frame = care.term_frame(store.table("enrolment"), store.table("households"), store.table("pupils"), ctx["term"],
                        store.table("pairings") if store.has("pairings") else None)
survey_term = frame.survey_term.dropna().iloc[0] if frame.survey_term.notna().any() else "—"
pub.markdown(narrative.opening(
    pub.say("01 监护情况", "01 Care arrangements"),
    pub.say("各定义下有多少学生是留守儿童，由谁照看（附按抽样设计计算的95%置信区间：以学校为层、班级为群），与文献所引数字"
            "相比如何，监护人是什么样的人，联系制度和档案是否落实，以及不同监护类型学生的考试百分位有何差别。家庭情况来自"
            f"{survey_term}的调查（家庭情况每学年调查一次）。",
            "How many pupils are left behind under each definition, who looks after them (with design-based 95% "
            "confidence intervals: strata are schools, clusters are classes), how that compares with the figures the "
            "source documents quote, what the guardians are like, whether the contact routines and archives are "
            "kept, and how exam percentiles differ by care arrangement. Household answers come from the survey of "
            f"{survey_term} (households are surveyed once a school year)."), ctx, definition))

# %% [markdown]
# ## 各定义下的留守儿童
# 同一份回答，三种定义。占比的分母是其回答足以判定该定义的学生。
# <!-- en -->
# ## Left-behind under each definition
# The same answers, three definitions. Shares are over the pupils whose answers decide the definition.

# %%
definitions = prevalence.definition_table(frame).table
# few answers: no share; few left behind (or few not left behind) among them: neither the count nor the share
definitions = suppress_small_groups(definitions, "answered", [*SHARE_COLUMNS, "left_behind", "n"], ctx["min_cell"])
definitions = suppress_shares(definitions, "answered", ["estimate"], ctx["min_cell"])
few = definitions.estimate.isna() & definitions.answered.notna()
definitions[["left_behind", *SHARE_COLUMNS]] = definitions[["left_behind", *SHARE_COLUMNS]].mask(few, axis=0)
definitions = pub.table(definitions, "definitions",
                        ["label", "pupils", "answered", "left_behind", "estimate", "ci_low", "ci_high"],
                        counts=["n", "pupils", "answered", "left_behind"], shares=SHARE_COLUMNS)

# %%
fig, ax = plotting.new_figure(7.5, 3.2)
d = definitions.assign(pct=100 * definitions.estimate, label=plotting.words(definitions.label, "label"))
ax.barh(d.label, d.pct, color=plotting.sns.color_palette()[0])
ax.errorbar(d.pct, d.label, xerr=[100 * (d.estimate - d.ci_low), 100 * (d.ci_high - d.estimate)], fmt="none", color="k")
ax.set_xlabel(plotting.label("留守儿童占比 %", "share left behind, %"))
ax.set_title(plotting.label("定义不同，人数不同", "the count moves with the definition"))
pub.figure(fig, "definitions");

# %% [markdown]
# ## 监护类型
# 所选定义下留守儿童中各监护类型的占比：全部、分学校、分年级。显示为 — 的格是被隐去的小格，或为保护小格而一并隐去的格。
# <!-- en -->
# ## Care arrangements
# Shares among the left-behind under the chosen definition, overall, by school and by grade.
# A blank (—) is a suppressed small cell, or one hidden to protect it.

# %%
# The three tables print one population (the left-behind with a known arrangement) by school, by grade and in
# all, sharing their totals, so they are protected together: a cell hidden in one is hidden in all, and no
# hidden cell can be worked out from the cells of the three tables together.
cared = frame[is_true(frame[definition]) & frame.care_arrangement.notna()]
care_cube = cared.groupby([cared.school.astype(str).rename("school"), cared.grade.astype(str).rename("grade"),
                           cared.care_arrangement.rename("care")]).size()
care_masks = protect_margins(care_cube, [("school", "care"), ("grade", "care")], ctx["min_cell"]) \
    if len(care_cube) else {}
#: care arrangements hidden in the total: every other table of the term hides them too
hidden_care = [] if not care_masks else care_masks[("care",)][care_masks[("care",)]].index.tolist()


def protected_shares(by=None):
    """Care shares (overall or by ``by``) with the cells the three linked tables hide set missing."""
    table = prevalence.care_shares(frame, definition, by).table
    if not care_masks:
        return suppress_breakdown(table, "domain", "care", "pupils", SHARE_COLUMNS, ctx["min_cell"])
    hidden = care_masks[(by, "care")] if by else pd.concat({"全部 all": care_masks[("care",)]}, names=["domain"])
    return suppress_breakdown(table, "domain", "care", "pupils", SHARE_COLUMNS, hidden=hidden)


SHOWN = ["domain", "care", "pupils", "estimate", "ci_low", "ci_high", "n"]  # the page; the CSV has every column
overall = pub.table(protected_shares(), "care_overall", SHOWN, counts=["pupils", "n"], shares=SHARE_COLUMNS)
by_school = pub.table(protected_shares("school"), "care_by_school", SHOWN, counts=["pupils", "n"],
                      shares=SHARE_COLUMNS)
by_grade = pub.table(protected_shares("grade"), "care_by_grade", SHOWN, counts=["pupils", "n"], shares=SHARE_COLUMNS)

# %%
fig, ax = plotting.new_figure(8, 0.35 * len(by_school) + 1.5)
shown = by_school.dropna(subset=["estimate"])
shown = shown.assign(row=shown.domain + " · " + pd.Series(plotting.words(shown.care, "care"), index=shown.index))
ax.errorbar(100 * shown.estimate, shown.row, xerr=[100 * (shown.estimate - shown.ci_low.fillna(shown.estimate)),
                                                    100 * (shown.ci_high.fillna(shown.estimate) - shown.estimate)],
            fmt="o", capsize=3)
ax.invert_yaxis()
ax.set_xlabel(plotting.label("占留守儿童 %，95%置信区间", "% of left-behind pupils, 95% CI"))
ax.set_title(plotting.label("各校监护类型", "care arrangements by school"))
pub.figure(fig, "care_by_school", empty=None if len(shown) else
           pub.say(f"各校的监护类型人数都少于{ctx['min_cell']}人或为保护小格而隐去",
                   "every school's cells are suppressed"));

# %% [markdown]
# ## 与文献数字比较
# 文献所引的每个数字（附原文；文献全名见[索引页的“来源”](index.html#sources)）与本学期在该文献所述定义下的估计并列；
# 未说明定义的，在每种定义下都作比较。涌泉镇的分法（80%隔代看护、20%寄托老师和亲戚）没有给父母一方在家照看留出余地，
# 因此只在父母都不在家的留守儿童中比较。其他地方的人数只列出，不作比较。
# <!-- en -->
# ## Comparison with the reference figures
# Each figure the source documents quote (with the quote; the documents' full titles are in the
# [index's sources](index.html#sources)), beside this term's estimate under the definition the source states; a
# source that states none is compared under every definition. The 涌泉镇 split (80% grandparents, 20% teachers and
# relatives) leaves no room for care by a parent at home, so it is compared among left-behind pupils with no
# parent at home. Counts for other places are listed, not compared.

# %%
reference = prevalence.compare_with_reference(frame)
# a share of a care arrangement hidden above (or of a group holding one) would give it back: hidden here too;
# so is a share of a small group, or one that times its base gives a small count
PCT = ["estimate_pct", "ci_low_pct", "ci_high_pct"]
reference = suppress_small_groups(reference, "n", PCT, ctx["min_cell"])
as_share = suppress_shares(reference.assign(share=reference.estimate_pct / 100), "n", ["share"], ctx["min_cell"])
reference[PCT] = reference[PCT].mask(as_share.share.isna(), axis=0)
holds_hidden = reference.indicator.fillna("").str.split("+").map(lambda parts: bool(set(parts) & set(hidden_care)))
holds_hidden |= reference.estimate_pct.isna()
reference[PCT] = reference[PCT].mask(holds_hidden, axis=0)
reference["reference_inside_ci"] = reference.reference_inside_ci.mask(holds_hidden)
reference = pub.table(reference, "reference_comparison",
                      ["source", "place", "quote", "definition", "compared_under", "population", "indicator",
                       "reference_pct", "estimate_pct", "ci_low_pct", "ci_high_pct", "reference_inside_ci",
                       *(["note"] if ctx["lang"] == "en" else [])],  # the notes are in English (the CSV has them)
                      counts=["n"])

# %% [markdown]
# ### 文献自身的算术
# 核对文中每个占比与它所附的人数是否相符、每组分项是否合计100%。“一致”为“否”的行是文献自相矛盾的数字：列在这里，
# 而不是悄悄使用。
# <!-- en -->
# ### The documents' own arithmetic
# Each stated share checked against the counts it comes with, and each breakdown against 100%. A row marked
# 否 (no) is a figure the document contradicts: it is shown here rather than used silently.

# %%
arithmetic = pub.table(care.reference_arithmetic(), "reference_arithmetic", counts=[])

# %% [markdown]
# ## 监护人特征
# 按监护人年龄段、健康状况、文化程度与监护类型统计的留守儿童人数（小格隐去；三张表共用合计，一并保护）。
# <!-- en -->
# ## Guardian characteristics
# Left-behind pupils by the guardian's age band, health and education and the care arrangement (small cells
# suppressed; the three tables share their totals and are protected together).

# %%
# The three tables count one population (left-behind pupils with a guardian on record) and share its totals by
# care arrangement, so they are protected together. A guardian field left blank is its own row, 未填.
GUARDIAN = {"guardian_age_band": AGE_LABELS, "guardian_health": codes(CODED["guardian_health"]),
            "guardian_education": codes(CODED["guardian_education"])}
lb = frame[is_true(frame[definition]) & frame.care_arrangement.notna()]
guarded = lb[lb[list(GUARDIAN)].notna().any(axis=1)]
guarded = guarded.assign(**{c: guarded[c].astype(object).where(guarded[c].notna(), "未填") for c in GUARDIAN})
guardian_cube = guarded.groupby([*GUARDIAN, guarded.care_arrangement.rename("care")]).size()
guardian_masks = protect_margins(guardian_cube, [(c, "care") for c in GUARDIAN], ctx["min_cell"]) \
    if len(guardian_cube) else {}
if not len(guardian_cube):
    pub.markdown(pub.say("本学期没有留守儿童的监护人记录（年龄、健康状况、文化程度），以下三张表为空；登记表或家庭情况调查表"
                         "中填写了监护人信息即可生成。",
                         "No left-behind pupil has a guardian on record this term (age, health, education), so the "
                         "three tables below are empty; a register or family survey with the guardian's details "
                         "fills them."))
for col, order in GUARDIAN.items():
    counts = guardian_cube.groupby(level=[col, "care"]).sum().unstack("care", fill_value=0) \
        if len(guardian_cube) else pd.DataFrame(index=pd.Index([], name=col))
    counts = natural_order(counts, order)  # youngest first, the codebook's order; 未填 last
    mask = table_mask(guardian_masks, col, "care", counts) if guardian_masks else None
    table = suppress_counts(counts, ctx["min_cell"], mask).reset_index().rename_axis(columns=None)
    name = "guardian_age_by_care" if col == "guardian_age_band" else f"{col}_by_care"
    pub.table(table, name, counts=list(counts.columns) + ["合计 total"]);

# %% [markdown]
# ## 联系制度与建档
# 留守儿童的“五个一”（[文献001第5篇](index.html#sources)）、代理家长对结对学生的“三个一”
# （[文献002](index.html#sources)），以及建档率（目标100%）和档案中“五清楚”齐全的比例。
# <!-- en -->
# ## Contact routines and archives
# "五个一" ([collection 001, article 5](index.html#sources)) for left-behind pupils, proxy parents' "三个一"
# ([collection 002](index.html#sources)) for paired pupils, and the archive rate (建档率, target 100%) with the
# share of archives holding all "five things known".

# %%
routines = care.routine_tables(frame, store.table("contacts"), store.table("pairings"), store.table("archive"),
                              ctx["term"], definition)
# A share of a school's pupils is a count in disguise (share x pupils): one that would print fewer than the
# threshold, with or without the routine, is hidden, and so is the mean share met beside it.
for key, n, shares in (("five_ones", "pupils", FIVE_COMPONENTS), ("three_ones", "pupils", THREE_COMPONENTS),
                       ("archive", "left_behind", ["archive_rate", "complete_rate"])):
    means = ("share_met",) if key != "archive" else ()
    table = suppress_small_groups(routines[key], n, [*shares, *means], ctx["min_cell"])
    routines[key] = suppress_shares(table, n, shares, ctx["min_cell"], means)
    pub.table(routines[key], f"{key}_by_school", counts=[n], shares=[*shares, *means]);

# %%
fig, ax = plotting.new_figure(8, 3.8)
five = routines["five_ones"].melt(id_vars=["school", "pupils"], var_name="component", value_name="share")
five = five[five.component != "share_met"].assign(component=lambda x: plotting.words(x.component, "column"))
plotting.sns.barplot(data=five.assign(pct=100 * five.share), x="pct", y="component", hue="school", ax=ax)
ax.set_xlabel(plotting.label("达标学生 %", "% of left-behind pupils meeting it"))
ax.set_ylabel("")
ax.set_title(plotting.label("五个一落实情况", "'five ones' routine by school"))
ax.legend(fontsize=8, title=plotting.label("学校", "school"))
pub.figure(fig, "five_ones");

# %% [markdown]
# ## 成绩与监护类型
# **仅作描述。** 不同监护类型的家庭在许多方面都不同（收入、父母的工作、孩子的年龄），所以这里的差距不是监护类型的效果。
# <!-- en -->
# ## Exam percentile by care arrangement
# **Descriptive only.** Families with different care arrangements differ in many ways (income, parents' work,
# age of the child), so a gap here is not the effect of the care arrangement.

# %%
panel = pairing.from_store(store, ctx["term"], history=False)
percentiles = panel.loc[panel.term == ctx["term"], ["pupil", "percentile"]].rename(columns={"pupil": "pupil_key"})
scores = suppress_small_groups(prevalence.scores_by_care(frame, percentiles).table, "n",
                               ["estimate", "se", "ci_low", "ci_high"], ctx["min_cell"])
scores[["n", *SHARE_COLUMNS]] = scores[["n", *SHARE_COLUMNS]].mask(scores.care.isin(hidden_care), axis=0)
scores = pub.table(scores, "percentile_by_care", counts=["n"])

# %%
fig, ax = plotting.new_figure(7, 3.2)
s = scores.dropna(subset=["estimate"]).assign(care_label=lambda x: plotting.words(x.care, "care"))
ax.errorbar(s.estimate, s.care_label, xerr=[s.estimate - s.ci_low, s.ci_high - s.estimate], fmt="o", capsize=3)
ax.axvline(50, color="grey", lw=1, ls="--")
ax.set_xlabel(plotting.label("年级内百分位（均值），95%置信区间", "mean grade percentile, 95% CI"))
ax.set_title(plotting.label("成绩与监护类型（描述性）", "percentile by care arrangement (descriptive)"))
pub.figure(fig, "percentile_by_care", empty=None if len(s) else
           pub.say("本学期没有同时有成绩和监护类型的学生（或各组都因人数少而隐去）",
                   "no pupil has both a score and a care arrangement this term (or every group is suppressed)"));

# %% [markdown]
# ## 结论
# <!-- en -->
# ## What this means

# %%
pub.markdown(narrative.care(definitions, overall, reference, definition, arithmetic, lang=ctx["lang"]))
