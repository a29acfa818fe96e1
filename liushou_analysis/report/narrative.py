"""Plain-language openings and "what this means" paragraphs for the term
notebooks, written from the numbers each notebook computed.

Every sentence is built from a table passed in, so when the data change the
text changes with them; nothing here is a typed-in result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou_analysis.core.flags import is_true


def _pct(x: float, digits: int = 1) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.{digits}f}%"


def _num(x: float, digits: int = 1) -> str:
    return "n/a" if pd.isna(x) else f"{x:,.{digits}f}"


def opening(title: str, answers: str, ctx: dict, definition: str | None = None) -> str:
    """The notebook's first lines: what it answers, for which term and definition."""
    lines = [f"# {title}", "", answers, "",
             f"- **Dataset:** `{ctx['dataset']}`{' (synthetic: no real children)' if ctx['synthetic'] else ''}",
             f"- **Term:** {ctx['term']}"]
    if definition:
        lines.append(f"- **Left-behind definition:** `{definition}` (the others are shown side by side where it "
                     "matters)")
    lines.append(f"- **Small cells:** published tables hide counts under {ctx['min_cell']} pupils (shown as —), "
                 "with complementary cells so the hidden ones cannot be worked out from totals.")
    return "\n".join(lines)


def data_quality(kept: pd.DataFrame, reasons: pd.DataFrame, unknown: pd.DataFrame, missing: pd.DataFrame,
                 changes: pd.DataFrame, previous_term: str | None = None) -> str:
    """Page 00's closing text: rows read, kept and quarantined, unknown columns, the most incomplete field, and the
    change since the previous term."""
    read, quarantined = kept.rows_read.sum(), kept.rows_quarantined.sum()
    out = [f"This term the cleaning read {read:,} rows (exam cells count one per subject) from "
           f"{int(kept.files.sum()) if len(kept) else 0} table files and kept {kept.rows_kept.sum():,}; "
           f"{quarantined:,} ({_pct(quarantined / read if read else np.nan, 2)}) went to quarantine."]
    if len(reasons):
        top = reasons.sort_values("rows", ascending=False).iloc[0]
        out.append(f"The commonest reason was `{top.reason}` in `{top.table}` ({top.rows:,} rows); every "
                   "quarantined row keeps its file, sheet and row number so a school can correct it.")
    out.append("No file had columns the codebook does not know." if unknown.empty else
               f"{unknown.file.nunique()} file(s) had {len(unknown)} column(s) the codebook does not know; they "
               "were not read. If they matter, add them under [headers] in the dataset's liushou.toml "
               "(see docs/forms.md).")
    fields = missing.drop(columns="school")
    if fields.size:
        worst = fields.stack().idxmax()
        out.append(f"The most incomplete field is {worst[1]} at {missing.school.iloc[worst[0]]} "
                   f"({_num(fields.stack().max())}% missing); answers missing there are left missing, not "
                   "guessed, so shares are over those who answered.")
    prev = previous_term
    if prev:
        enrolled = changes.set_index("measure").loc["pupils enrolled"]
        out.append(f"Compared with {prev}, enrolment moved from {enrolled.previous:,.0f} to {enrolled.this_term:,.0f} "
                   "pupils.")
    else:
        out.append("This is the dataset's first term, so there is nothing to compare with.")
    return " ".join(out)


def care(definitions: pd.DataFrame, shares: pd.DataFrame, reference: pd.DataFrame, definition: str,
         arithmetic: pd.DataFrame | None = None) -> str:
    """Page 01's closing text: how the definition moves the headcount, the commonest care arrangement, and how the
    reference figures compare."""
    d = definitions.set_index("definition")
    low, high = d.estimate.idxmin(), d.estimate.idxmax()
    out = [f"Who counts as left behind moves the headcount: {_pct(d.estimate[low])} of pupils under `{low}` and "
           f"{_pct(d.estimate[high])} under `{high}`, from the same survey answers. Any figure quoted without its "
           "definition cannot be compared."]
    overall = shares[shares.estimate.notna()].sort_values("estimate", ascending=False)
    if len(overall):
        top = overall.iloc[0]
        out.append(f"Under `{definition}`, the commonest care arrangement is {top.care_label}: "
                   f"{_pct(top.estimate)} (95% CI {_pct(top.ci_low)} to {_pct(top.ci_high)}).")
    ref = reference.dropna(subset=["estimate_pct"])
    if len(ref):
        inside = int(is_true(ref.reference_inside_ci).sum())
        out.append(f"{ref.figure.nunique()} reference figures from the source documents are compared, each under "
                   f"the definition its source states or, where it states none, under every definition: {inside} of "
                   f"the {len(ref)} comparisons lie inside this term's 95% interval. The figures describe other "
                   "places and years, so a difference is a fact about the county, not an error.")
    if arithmetic is not None and (~arithmetic.consistent).any():
        bad = arithmetic[~arithmetic.consistent]
        out.append(f"The documents contradict their own figures in {len(bad)} place(s) "
                   f"({'; '.join(bad.figures + ' (' + bad.source + ')')}): see the arithmetic table.")
    return " ".join(out)


def pairing(estimates: pd.DataFrame, selection: pd.DataFrame, truth: float | None) -> str:
    """Page 02's closing text: who is picked for pairing, what the adjusted estimators say, and whether the pre-trend
    allows a difference in differences."""
    e = estimates.set_index("quantity")
    if "ancova" not in e.index or pd.isna(e.estimate.get("ancova")):
        return ("This term has too few pupils with the data the estimators need (both groups, a baseline exam), "
                "so no effect is estimated. That is reported, not guessed.")
    gap = selection.set_index("group").base_percentile
    paired, unpaired = gap.get("paired", np.nan), gap.get("unpaired", np.nan)
    picked = ("schools pair weak pupils, so they would rise anyway" if paired < unpaired - 5 else
              "schools pair strong pupils, so they would fall back anyway" if paired > unpaired + 5 else
              "the two groups started at about the same place")
    out = [f"Paired pupils started at percentile {_num(paired)} against {_num(unpaired)} for the others: {picked}."]
    out.append(f"The naive rank-change comparison says pairing adds {_num(e.estimate['naive'])} percentile points; "
               f"the adjusted estimates (ANCOVA {_num(e.estimate['ancova'])}, 95% CI {_num(e.ci_low['ancova'])} to "
               f"{_num(e.ci_high['ancova'])}; IPW {_num(e.estimate.get('ipw', np.nan))}) compare pupils who started "
               "at the same place.")
    if "placebo" in e.index and pd.notna(e.estimate.get("placebo")):
        p = e.loc["placebo"]
        dip = p.ci_high < 0
        reading = ("a dip: pupils were picked after a bad exam, so part of the naive gain is regression to the mean "
                   "and DiD is biased upward" if dip else "near zero, so a difference in differences is credible here")
        out.append(f"The placebo (change before pairing) is {_num(p.estimate)} ({reading}).")
    if truth is not None and not pd.isna(truth):
        out.append(f"On this synthetic county the planted truth is {_num(truth)} points; compare it with the "
                   "estimates above.")
    return " ".join(out)


def reward(summary: pd.Series, cost: pd.DataFrame, null: pd.DataFrame, rules_cmp: pd.DataFrame,
           by_baseline: pd.DataFrame) -> str:
    """Page 03's closing text: what the plan pays, how much of the rank money chance would pay, and the cost of each
    open choice."""
    out = [f"For school year {int(summary.school_year)} the plan pays helpers {_num(summary.helpers_yuan, 0)} yuan, "
           f"head teachers {_num(summary.head_teachers_yuan, 0)} yuan and pupils' awards "
           f"{_num(summary.awards_yuan, 0)} yuan: {_num(summary.total_yuan, 0)} yuan in all."]
    s = null.iloc[0]
    share = s.chance_share_of_rank_yuan
    much = "most" if share > 0.5 else "a large part" if share > 0.25 else "a small part"
    out.append(f"If pairing did nothing at all, replaying the year's exams would still pay "
               f"{_pct(share, 0)} of the rank-clause money actually paid: {much} of what the formula pays for "
               "is chance and regression to the mean.")
    bands = by_baseline.dropna(subset=["expected_rank_yuan"])
    if len(bands) >= 2:
        low, high = bands.iloc[0], bands.iloc[-1]
        out.append(f"With no effect, a pupil who started in the {low.base_band} band would still earn their "
                   f"helper {_num(low.expected_rank_yuan, 0)} yuan of rank pay, against "
                   f"{_num(high.expected_rank_yuan, 0)} in the {high.base_band} band.")
    plan = rules_cmp[(rules_cmp.scenario == "no effect") & (rules_cmp.rule == "plan")].yuan_per_pupil
    p4p = rules_cmp[(rules_cmp.scenario == "no effect") & (rules_cmp.rule == "pay_for_percentile")].yuan_per_pupil
    if plan.notna().any() and p4p.notna().any():
        out.append(f"Under no effect the plan's pay per pupil ranges {_num(plan.max() - plan.min(), 0)} yuan across "
                   f"baseline bands; pay for percentile, on the same budget, ranges {_num(p4p.max() - p4p.min(), 0)}.")
    big = cost[cost.choice != "(rules as given)"].sort_values("change_pct", key=np.abs, ascending=False)
    if len(big):
        b = big.iloc[0]
        out.append(f"The open choice that moves the cost most is `{b.choice}` = `{b.value}` "
                   f"({b.change_pct:+.1f}%).")
    return " ".join(out)
