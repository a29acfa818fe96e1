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

from liushou_analysis.indicators import quality
from liushou_analysis.report import narrative, plotting
from liushou_analysis.report.runner import Publisher, context

ctx = context(dataset, term, raw_dir, clean_dir, report_dir, min_cell, lang)
pub = Publisher(ctx["report_dir"], "00_data_quality", ctx["lang"], ctx["min_cell"])
plotting.setup(ctx["lang"])
pub.markdown(narrative.opening(
    pub.say("00 数据质量", "00 Data quality"),
    pub.say("本学期清洗保留了哪些行、哪些行进入隔离区及原因，有哪些没人预料到的列，哪些学校漏填了字段，以及与上学期相比有何变化。",
            "What the cleaning kept and put in quarantine this term and why, columns nobody expected, "
            "which schools left fields blank, and what changed since the previous term."), ctx))

# %% [markdown]
# ## 保留与隔离
# 每一条原始记录要么保留，要么连同原因进入隔离区：每一行都满足 读入 = 保留 + 隔离。
# <!-- en -->
# ## Kept and quarantined
# Every raw row is either kept or quarantined with its reason: read = kept + quarantined on every line.

# %%
store = ctx["store"]
manifest = store.manifest
kept = quality.kept_and_quarantined(manifest, ctx["term"])
pub.table(kept, "kept_and_quarantined", counts=[]);

# %%
reasons = quality.quarantine_reasons(store.table("quarantine"), manifest, ctx["term"])
pub.table(reasons, "quarantine_reasons", counts=[]);

# %% [markdown]
# ## 文件与学校
# 每个文件属于哪所学校，依次由学校列、表头标题或“填报单位”行、学校文件夹、liushou.toml，或经其他文件印证的文件名前缀
# 确定（见 docs/your_own_data.md）。无法使用的文件连同原因列出；文件夹里的杂物（临时文件等）直接跳过。
# <!-- en -->
# ## Files and their schools
# Each file's school comes from a school column, its title or 填报单位 line, a school folder, liushou.toml,
# or a file-name prefix that another file confirms (docs/your_own_data.md). Files that could not be used are
# listed with the reason; folder litter is skipped.

# %%
pub.table(quality.schools_of_files(manifest, ctx["term"]), "schools_of_files", counts=[]);
pub.table(quality.files_not_used(manifest, ctx["term"]), "files_not_used", counts=[]);

# %% [markdown]
# ## 置为未知的字段
# 码本不认识的取值（或超出范围的数字）会使该字段置为未知；该行仍保留，该字段在下文计为缺失。
# <!-- en -->
# ## Fields set to unknown
# A value the codebook does not know (or a number out of range) makes that field unknown; the row is kept and
# the field counts as missing below.

# %%
pub.table(quality.field_issues(store.table("field_issues") if store.has("field_issues") else None, manifest,
                              ctx["term"]), "field_issues", counts=[]);

# %% [markdown]
# ## 未知列
# 码本不认识的列只列出，不读取。
# <!-- en -->
# ## Unknown columns
# Columns the codebook does not know are listed, not read.

# %%
unknown = quality.unknown_columns(manifest, ctx["term"])
pub.table(unknown, "unknown_columns", counts=[]);

# %% [markdown]
# ## 各校缺失
# 该字段为空的记录所占百分比。家庭情况取本学期或之前最近一次调查的回答。
# <!-- en -->
# ## Missingness by school
# Percent of rows with the field blank. Household answers come from the latest survey at or before the term.

# %%
missing = quality.missingness_by_school(store.tables(quality.KEY_TABLES), ctx["term"])
pub.table(missing.round(1), "missing_by_school", counts=[]);

# %%
fig, ax = plotting.new_figure(8, 0.5 * len(missing) + 2.5)
heat = missing.set_index("school")
plotting.sns.heatmap(heat, annot=True, fmt=".1f", cmap="Reds", vmin=0, vmax=max(20, float(heat.max().max())),
                     cbar_kws={"label": plotting.label("缺失百分比", "% missing")}, ax=ax)
ax.set_xlabel("")
ax.set_ylabel(plotting.label("学校", "school"))
ax.set_title(plotting.label("各校关键字段缺失", "missing key fields by school"))
ax.tick_params(axis="x", rotation=30)
pub.figure(fig, "missing_by_school");

# %% [markdown]
# ## 与上学期相比
# <!-- en -->
# ## Changes since the previous term

# %%
changes = quality.changes_since(store.table("enrolment"), store.table("pairings"), manifest, ctx["term"])
pub.table(changes, "changes_since_previous_term", counts=[]);

# %% [markdown]
# ## 结论
# <!-- en -->
# ## What this means

# %%
previous = quality.previous_term(manifest, ctx["term"])
pub.markdown(narrative.data_quality(kept, reasons, unknown, missing, changes, previous, lang=ctx["lang"]))
