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
    return "—" if pd.isna(x) else f"{100 * x:.{digits}f}%"


def _num(x: float, digits: int = 1) -> str:
    return "—" if pd.isna(x) else f"{x:,.{digits}f}"


def _say(lang: str, zh: str, en: str) -> str:
    """The sentence in the page's language (Chinese unless ``lang`` is "en")."""
    return en if lang == "en" else zh


def _join(lang: str, sentences: list[str]) -> str:
    return (" " if lang == "en" else "").join(sentences)


def opening(title: str, answers: str, ctx: dict, definition: str | None = None) -> str:
    """The notebook's first lines: what it answers, for which term and definition (``ctx["lang"]``: the
    page's language)."""
    lang = ctx.get("lang", "zh")
    synthetic = _say(lang, "（模拟数据，不涉及真实儿童）", " (synthetic: no real children)") if ctx["synthetic"] else ""
    lines = [f"# {title}", "", answers, "",
             _say(lang, f"- **数据集：** `{ctx['dataset']}`{synthetic}",
                  f"- **Dataset:** `{ctx['dataset']}`{synthetic}"),
             _say(lang, f"- **学期：** {ctx['term']}", f"- **Term:** {ctx['term']}")]
    if definition:
        from liushou_analysis.report.labels import display_values

        words = display_values(pd.Series([definition]), "definition", lang).iloc[0]
        lines.append(_say(lang, f"- **留守儿童定义：** {words}（`{definition}`；其他定义在需要处并列）",
                          f"- **Left-behind definition:** `{definition}` (the others are shown side by side where "
                          "it matters)"))
    lines.append(_say(lang, f"- **小格隐去：** 表中少于{ctx['min_cell']}人的格显示为 —，并同时隐去可推算出它的其他格"
                            "（本报告各表之间一并核对）。",
                      f"- **Small cells:** tables hide counts under {ctx['min_cell']} pupils (shown as —), with "
                      "complementary cells so the hidden ones cannot be worked out from totals, checked across all "
                      "the tables of the report."))
    return "\n".join(lines)


def data_quality(kept: pd.DataFrame, reasons: pd.DataFrame, unknown: pd.DataFrame, missing: pd.DataFrame,
                 changes: pd.DataFrame, previous_term: str | None = None, lang: str = "zh") -> str:
    """Page 00's closing text: rows read, kept and quarantined, unknown columns, the most incomplete field, and the
    change since the previous term."""
    read, quarantined = kept.rows_read.sum(), kept.rows_quarantined.sum()
    files = int(kept.files.sum()) if len(kept) else 0
    share = _pct(quarantined / read if read else np.nan, 2)
    out = [_say(lang, f"本学期清洗共读入{read:,}行（成绩按每科一格计），来自{files}个表格文件，"
                      f"保留{kept.rows_kept.sum():,}行；"
                      f"{quarantined:,}行（{share}）进入隔离区。",
                f"This term the cleaning read {read:,} rows (exam cells count one per subject) from {files} table "
                f"files and kept {kept.rows_kept.sum():,}; {quarantined:,} ({share}) went to quarantine.")]
    if len(reasons):
        top = reasons.sort_values("rows", ascending=False).iloc[0]
        out.append(_say(lang, f"最常见的原因是`{top.table}`表中的`{top.reason}`（{top.rows:,}行）；"
                              f"每一条被隔离的行都保留了"
                              "文件、工作表和行号，学校可以据此更正。",
                        f"The commonest reason was `{top.reason}` in `{top.table}` ({top.rows:,} rows); every "
                        "quarantined row keeps its file, sheet and row number so a school can correct it."))
    if unknown.empty:
        out.append(_say(lang, "没有文件含有码本不认识的列。", "No file had columns the codebook does not know."))
    else:
        out.append(_say(lang, f"{unknown.file.nunique()}个文件中有{len(unknown)}列码本不认识，未被读取；如有需要，"
                              f"请在数据集的"
                              "liushou.toml的[headers]下补充（见docs/forms.md）。",
                        f"{unknown.file.nunique()} file(s) had {len(unknown)} column(s) the codebook does not know; "
                        "they were not read. If they matter, add them under [headers] in the dataset's liushou.toml "
                        "(see docs/forms.md)."))
    fields = missing.drop(columns="school")
    if fields.size:
        worst = fields.stack().idxmax()
        school, pct = missing.school.iloc[worst[0]], _num(fields.stack().max())
        out.append(_say(lang, f"缺失最多的字段是{school}的{worst[1]}（缺失{pct}%）；缺失的回答保持缺失、不作猜测，"
                              "所以各占比都以作答者为分母。",
                        f"The most incomplete field is {worst[1]} at {school} ({pct}% missing); answers missing "
                        "there are left missing, not guessed, so shares are over those who answered."))
    if previous_term:
        enrolled = changes.set_index("measure").loc["pupils enrolled"]
        out.append(_say(lang, f"与{previous_term}相比，"
                              f"在籍学生由{enrolled.previous:,.0f}人变为{enrolled.this_term:,.0f}人。",
                        f"Compared with {previous_term}, enrolment moved from {enrolled.previous:,.0f} to "
                        f"{enrolled.this_term:,.0f} pupils."))
    else:
        out.append(_say(lang, "这是本数据集的第一个学期，没有可比较的上学期。",
                        "This is the dataset's first term, so there is nothing to compare with."))
    return _join(lang, out)


def care(definitions: pd.DataFrame, shares: pd.DataFrame, reference: pd.DataFrame, definition: str,
         arithmetic: pd.DataFrame | None = None, lang: str = "zh") -> str:
    """Page 01's closing text: how the definition moves the headcount, the commonest care arrangement, and how the
    reference figures compare."""
    d = definitions.set_index("definition")
    if d.estimate.notna().any():
        low, high = d.estimate.idxmin(), d.estimate.idxmax()
        out = [_say(lang, f"谁算留守儿童，决定了人数：同一份调查回答，按`{low}`定义占学生的{_pct(d.estimate[low])}，"
                          f"按`{high}`定义占{_pct(d.estimate[high])}。不说明定义的数字无法相互比较。",
                    f"Who counts as left behind moves the headcount: {_pct(d.estimate[low])} of pupils under "
                    f"`{low}` and {_pct(d.estimate[high])} under `{high}`, from the same survey answers. Any figure "
                    "quoted without its definition cannot be compared.")]
    else:
        out = [_say(lang, "本学期没有能判定留守与否的调查回答，因此无法估计留守儿童占比。",
                    "No survey answer this term decides who is left behind, so no share is estimated.")]
    overall = shares[shares.estimate.notna()].sort_values("estimate", ascending=False)
    if len(overall):
        top = overall.iloc[0]
        name = top.care_label.split(" (")[0] if lang != "en" else top.care_label
        interval = pd.notna(top.ci_low) and pd.notna(top.ci_high)
        out.append(_say(lang, f"按`{definition}`定义，最常见的监护类型是{name}：{_pct(top.estimate)}"
                              + (f"（95%置信区间{_pct(top.ci_low)}至{_pct(top.ci_high)}）。" if interval else
                                 "（调查的群太少、大小悬殊，置信区间不可信，未给出）。"),
                        f"Under `{definition}`, the commonest care arrangement is {name}: {_pct(top.estimate)} "
                        + (f"(95% CI {_pct(top.ci_low)} to {_pct(top.ci_high)})." if interval else
                           "(too few clusters of too unequal sizes for a trustworthy interval).")))
    ref = reference.dropna(subset=["estimate_pct"])
    if len(ref):
        inside = int(is_true(ref.reference_inside_ci).sum())
        out.append(_say(lang, f"共比较了文献中的{ref.figure.nunique()}个数字，各按其来源所述定义比较，"
                              f"来源未说明定义的则在每种定义下"
                              f"比较：{len(ref)}次比较中有{inside}次落在本学期估计的95%置信区间内。这些数字描述的是别的地方、"
                              "别的年份，存在差异说明的是本县的情况，而不是错误。",
                        f"{ref.figure.nunique()} reference figures from the source documents are compared, each under "
                        f"the definition its source states or, where it states none, under every definition: {inside} "
                        f"of the {len(ref)} comparisons lie inside this term's 95% interval. The figures describe "
                        "other places and years, so a difference is a fact about the county, not an error."))
    if arithmetic is not None and (~arithmetic.consistent).any():
        bad = arithmetic[~arithmetic.consistent]
        places = "；".join(bad.figures + "（" + bad.source + "）") if lang != "en" else \
            "; ".join(bad.figures + " (" + bad.source + ")")
        out.append(_say(lang, f"文献自身的数字有{len(bad)}处前后矛盾（{places}），见算术核对表。",
                        f"The documents contradict their own figures in {len(bad)} place(s) ({places}): see the "
                        "arithmetic table."))
    return _join(lang, out)


def pairing(estimates: pd.DataFrame, selection: pd.DataFrame, truth: float | None, lang: str = "zh") -> str:
    """Page 02's closing text: who is picked for pairing, what the adjusted estimators say, and whether the pre-trend
    allows a difference in differences."""
    e = estimates.set_index("quantity")
    if "ancova" not in e.index or pd.isna(e.estimate.get("ancova")):
        return _say(lang, "本学期具备估计所需数据（两组学生都有、且有基数考试）的学生太少，因此不估计结对效应。"
                          "这一点如实报告，不作猜测。",
                    "This term has too few pupils with the data the estimators need (both groups, a baseline exam), "
                    "so no effect is estimated. That is reported, not guessed.")
    gap = selection.set_index("group").base_percentile
    paired, unpaired = gap.get("paired", np.nan), gap.get("unpaired", np.nan)
    if paired < unpaired - 5:
        picked = _say(lang, "学校挑选的是成绩弱的学生，他们即使没有帮扶也会回升",
                      "schools pair weak pupils, so they would rise anyway")
    elif paired > unpaired + 5:
        picked = _say(lang, "学校挑选的是成绩好的学生，他们即使没有帮扶也会回落",
                      "schools pair strong pupils, so they would fall back anyway")
    else:
        picked = _say(lang, "两组起点大致相同", "the two groups started at about the same place")
    out = [_say(lang, f"结对学生的起点在年级百分位{_num(paired)}，其他学生为{_num(unpaired)}：{picked}。",
                f"Paired pupils started at percentile {_num(paired)} against {_num(unpaired)} for the others: "
                f"{picked}.")]
    out.append(_say(lang, f"简单比较名次变化，结对似乎提高{_num(e.estimate['naive'])}个百分位点；调整后的估计"
                          f"（协方差分析{_num(e.estimate['ancova'])}，95%置信区间{_num(e.ci_low['ancova'])}至"
                          f"{_num(e.ci_high['ancova'])}；"
                          f"逆概率加权{_num(e.estimate.get('ipw', np.nan))}）比较的是起点相同的学生。",
                    f"The naive rank-change comparison says pairing adds {_num(e.estimate['naive'])} percentile "
                    f"points; the adjusted estimates (ANCOVA {_num(e.estimate['ancova'])}, 95% CI "
                    f"{_num(e.ci_low['ancova'])} to {_num(e.ci_high['ancova'])}; IPW "
                    f"{_num(e.estimate.get('ipw', np.nan))}) compare pupils who started at the same place."))
    if "placebo" in e.index and pd.notna(e.estimate.get("placebo")):
        p = e.loc["placebo"]
        if p.ci_high < 0:
            reading = _say(lang, "结对前成绩先下滑：学生是在一次考差后被选中的，简单比较中的部分提高是回归均值，"
                                 "双重差分估计偏高",
                           "a dip: pupils were picked after a bad exam, so part of the naive gain is regression to "
                           "the mean and DiD is biased upward")
        else:
            reading = _say(lang, "接近零，因此这里的双重差分估计可信",
                           "near zero, so a difference in differences is credible here")
        out.append(_say(lang, f"安慰剂检验（结对之前的变化）为{_num(p.estimate)}（{reading}）。",
                        f"The placebo (change before pairing) is {_num(p.estimate)} ({reading})."))
    if truth is not None and not pd.isna(truth):
        out.append(_say(lang, f"这是模拟数据，植入的真实效应为{_num(truth)}个百分位点，可与上面的估计对照。",
                        f"On this synthetic county the planted truth is {_num(truth)} points; compare it with the "
                        "estimates above."))
    return _join(lang, out)


def staggered(study: pd.DataFrame | None, overall: pd.DataFrame | None, sens: pd.DataFrame | None,
              power: pd.DataFrame | None, no_baseline: int, lang: str = "zh",
              described: pd.DataFrame | None = None) -> str:
    """Page 02's text on pairing that starts in different terms: one sentence per result (the effect by terms
    since pairing, the check before pairing, the overall effect, the hidden confounder it would take, the
    smallest detectable effect) and what it means for a formula that pays for rank gains."""
    if study is None or overall is None or not len(study) or pd.isna(overall.estimate.iloc[0]):
        first = _say(lang, f"有{no_baseline}名学生在数据的第一个学期就已结对，没有结对前的成绩可比。",
                     f"{no_baseline} pupils were already paired in the first term of the data, with no exam before "
                     "pairing to compare.") if no_baseline else ""
        text = first + _say(lang, "没有哪一批结对学生有结对前的学期可作比较，因此不能按结对时间估计效应。",
                            "No cohort of paired pupils has a term before pairing to compare with, so effects by "
                            "time since pairing cannot be estimated.")
        rows = described.set_index("quantity") if described is not None and len(described) else pd.DataFrame()
        if "earliest_term_covariate" in rows.index and pd.notna(rows.estimate.get("earliest_term_covariate")):
            e = rows.loc["earliest_term_covariate"]
            text += _say(lang, f"结对始于数据最早学期之内的学生，以该学期的百分位为协变量，与从未结对的学生相比，本学期"
                               f"{'低' if e.estimate < 0 else '高'}{_num(abs(e.estimate))}个百分位点（95%置信区间"
                               f"{_num(e.ci_low)}至{_num(e.ci_high)}）。这是保守的估计：最早学期考试前帮扶已起的作用"
                               "算进了协变量，学校当初按更早的成绩挑选学生也只部分得到校正。",
                         f"Pupils whose pairing began within the earliest term of the data, with that term's "
                         f"percentile as a covariate, stand {_num(abs(e.estimate))} points "
                         f"{'below' if e.estimate < 0 else 'above'} never-paired pupils this term (95% CI "
                         f"{_num(e.ci_low)} to {_num(e.ci_high)}). This is conservative: what the help did before "
                         "the earliest exam is inside the covariate, and the schools' choice of pupils on earlier "
                         "results is only partly adjusted for.")
        if "cross_section" in rows.index and pd.notna(rows.estimate.get("cross_section")):
            d = rows.loc["cross_section"]
            text += _say(lang, "作为描述：本学期已结对学生的年级百分位比同校同年级、父母外出情况和监护类型相同的"
                               f"其他学生{'低' if d.estimate < 0 else '高'}{_num(abs(d.estimate))}个百分位点"
                               f"（95%置信区间{_num(d.ci_low)}至{_num(d.ci_high)}）。这只说明结对学生现在处在什么位置，不是帮扶的"
                               "效果：学校挑的本来就是成绩弱的学生。",
                         f"As a description: this term the paired pupils stand {_num(abs(d.estimate))} percentile "
                         f"points {'below' if d.estimate < 0 else 'above'} other pupils of the same school, grade, "
                         f"parents' absence and care arrangement (95% CI {_num(d.ci_low)} to {_num(d.ci_high)}). "
                         "That says where paired pupils are, not what the help did: schools pick weak pupils.")
        return text
    out = []
    post = study[study.event_time >= 0].dropna(subset=["estimate"])
    pre = study[study.event_time < 0].dropna(subset=["estimate"])
    if len(post) == 1:
        first = post.iloc[0]
        out.append(_say(lang, f"结对当学期的效应为{_num(first.estimate)}个百分位点（同时置信带{_num(first.band_low)}至"
                              f"{_num(first.band_high)}）；数据中还没有结对之后的学期。",
                        f"In the term of pairing the effect is {_num(first.estimate)} percentile points (band "
                        f"{_num(first.band_low)} to {_num(first.band_high)}); the data hold no later term yet."))
    elif len(post):
        first, last = post.iloc[0], post.iloc[-1]
        trend = (_say(lang, "随结对时间增大", "grows with time since pairing") if last.estimate > first.estimate + 2
                 else _say(lang, "随结对时间减小", "shrinks with time since pairing")
                 if last.estimate < first.estimate - 2 else _say(lang, "大致不变", "stays about the same"))
        out.append(_say(lang, f"结对当学期的效应为{_num(first.estimate)}个百分位点，"
                              f"结对后第{int(last.event_time)}个学期为{_num(last.estimate)}（同时置信带{_num(last.band_low)}至{_num(last.band_high)}）：效应{trend}。",
                        f"In the term of pairing the effect is {_num(first.estimate)} percentile points, "
                        f"{int(last.event_time)} terms later {_num(last.estimate)} (simultaneous band "
                        f"{_num(last.band_low)} to {_num(last.band_high)}): the effect {trend}."))
    if len(pre):
        off = pre[(pre.band_low > 0) | (pre.band_high < 0)]
        if len(off):
            worst = off.loc[off.estimate.abs().idxmax()]
            out.append(_say(lang, f"结对之前，这些学生与对照学生的变化已相差{_num(worst.estimate)}个百分位点（结对前"
                                  f"{-int(worst.event_time)}个学期），平行趋势不成立：学生是在成绩变化之后被挑选的，"
                                  "下面的总体效应不能当作帮扶的因果效应。",
                            f"Before pairing these pupils already changed {_num(worst.estimate)} points differently "
                            f"from the comparison pupils ({-int(worst.event_time)} terms before): trends were not "
                            "parallel, pupils were picked after their results moved, and the overall effect below "
                            "cannot be read as the effect of the help."))
        else:
            out.append(_say(lang, "结对之前两组的变化没有可辨别的差异，支持平行趋势的假定。",
                            "Before pairing the two groups changed alike, as parallel trends require."))
    o = overall.iloc[0]
    out.append(_say(lang, f"各批结对学生按人数加权的总体效应为{_num(o.estimate)}个百分位点"
                          f"（95%置信区间{_num(o.ci_low)}至{_num(o.ci_high)}）。",
                    f"Weighted by cohort size, the overall effect is {_num(o.estimate)} percentile points (95% CI "
                    f"{_num(o.ci_low)} to {_num(o.ci_high)})."))
    if sens is not None and len(sens):
        e = sens.iloc[0]
        out.append(_say(lang, f"要把它完全解释掉，一个没有测量的因素需要与结对和成绩都有至少{_num(e.e_value)}倍的关联"
                              f"（风险比；要让区间包含零，需{_num(e.e_value_ci)}倍）。",
                        f"To explain it away, an unmeasured factor would need a risk-ratio association of at least "
                        f"{_num(e.e_value)} with both pairing and results ({_num(e.e_value_ci)} to bring the "
                        "interval to zero)."))
    if power is not None and len(power) and pd.notna(power.mde.iloc[0]):
        w = power.iloc[0]
        out.append(_say(lang, f"以本学期{int(w.classes)}个班、{int(w.paired)}名结对学生计，"
                              f"以80%的把握能发现的最小效应约为{_num(w.mde)}个百分位点；比它小的效应，“没有发现效应”并不说明没有效应。",
                        f"With this term's {int(w.classes)} classes and {int(w.paired)} paired pupils, the smallest "
                        f"effect found four times in five is about {_num(w.mde)} percentile points; below that, "
                        "\"no effect found\" does not mean no effect."))
    out.append(_say(lang, "奖励方案按班级名次的上升付钱：结对前已有的差异和回归均值也会被计入，"
                          "付钱的依据应是上面经检验的效应，而不是名次变化本身。",
                    "The reward formula pays for rises in class rank: differences that were there before pairing "
                    "and regression to the mean are paid too, so payment should rest on a tested effect like the "
                    "one above, not on the rank change itself."))
    return _join(lang, out)


def reward(summary: pd.Series, cost: pd.DataFrame, null: pd.DataFrame, rules_cmp: pd.DataFrame,
           by_baseline: pd.DataFrame, lang: str = "zh") -> str:
    """Page 03's closing text: what the plan pays, how much of the rank money chance would pay, and the cost of each
    open choice."""
    year = int(summary.school_year)
    helpers, heads, awards, total = (_num(summary[c], 0) for c in
                                     ("helpers_yuan", "head_teachers_yuan", "awards_yuan", "total_yuan"))
    out = [_say(lang, f"第{year}学年，方案付给帮扶人{helpers}元、班主任{heads}元、学生奖励{awards}元，合计{total}元。",
                f"For school year {year} the plan pays helpers {helpers} yuan, head teachers {heads} yuan and "
                f"pupils' awards {awards} yuan: {total} yuan in all.")]
    share = null.iloc[0].chance_share_of_rank_yuan if len(null) else np.nan
    if pd.notna(share):
        much = (_say(lang, "大部分", "most") if share > 0.5 else _say(lang, "很大一部分", "a large part")
                if share > 0.25 else _say(lang, "一小部分", "a small part"))
        out.append(_say(lang, f"即使结对毫无作用，按本学年的考试重演，名次条款仍会付出实际金额的{_pct(share, 0)}："
                              f"公式所奖励的{much}来自偶然和回归均值。",
                        f"If pairing did nothing at all, replaying the year's exams would still pay {_pct(share, 0)} "
                        f"of the rank-clause money actually paid: {much} of what the formula pays for is chance and "
                        "regression to the mean."))
    bands = by_baseline.dropna(subset=["expected_rank_yuan"])
    if len(bands) >= 2:
        low, high = bands.iloc[0], bands.iloc[-1]
        out.append(_say(lang, f"在没有效应时，"
                              f"起点在{low.base_band}段的学生仍会为帮扶人挣得{_num(low.expected_rank_yuan, 0)}元"
                              f"名次奖励，而{high.base_band}段只有{_num(high.expected_rank_yuan, 0)}元。",
                        f"With no effect, a pupil who started in the {low.base_band} band would still earn their "
                        f"helper {_num(low.expected_rank_yuan, 0)} yuan of rank pay, against "
                        f"{_num(high.expected_rank_yuan, 0)} in the {high.base_band} band."))
    plan = rules_cmp[(rules_cmp.scenario == "no effect") & (rules_cmp.rule == "plan")].yuan_per_pupil
    p4p = rules_cmp[(rules_cmp.scenario == "no effect") & (rules_cmp.rule == "pay_for_percentile")].yuan_per_pupil
    if plan.notna().any() and p4p.notna().any():
        a, b = _num(plan.max() - plan.min(), 0), _num(p4p.max() - p4p.min(), 0)
        out.append(_say(lang, f"没有效应时，原方案的生均金额在各起点段之间相差{a}元；"
                              f"按百分位付酬（预算相同）只相差{b}元。",
                        f"Under no effect the plan's pay per pupil ranges {a} yuan across baseline bands; pay for "
                        f"percentile, on the same budget, ranges {b}."))
    big = cost[cost.choice != "(rules as given)"].sort_values("change_pct", key=np.abs, ascending=False)
    if len(big):
        b = big.iloc[0]
        out.append(_say(lang, f"对总额影响最大的可选规则是`{b.choice}` = `{b.value}`（{b.change_pct:+.1f}%）。",
                        f"The open choice that moves the cost most is `{b.choice}` = `{b.value}` "
                        f"({b.change_pct:+.1f}%)."))
    return _join(lang, out)
