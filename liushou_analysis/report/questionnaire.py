"""``liushou survey``: one questionnaire from file to estimates, exports and a Chinese page.

:func:`run_survey` reads the file (:mod:`..readers.questionnaire`), codes it
(:mod:`..cleaning.questionnaire`), sets up its design
(:mod:`..statistics.design_file`) and writes into ``out``:

* ``estimates.csv``: one row per category of every single-choice, ordinal
  and labelled variable (its share, 0 to 1), per option of a multi-choice
  question (the share choosing it), and the mean and median of every number
  and scale; for the whole sample and for each level of each domain; with
  design-based SE, CI, design effect and the unweighted ``n``. Small cells
  are suppressed as in the term reports: every table of one variable (the
  whole sample and each domain) is protected together
  (:func:`..disclosure.protect_margins`), so a hidden count cannot be
  recovered from the totals printed beside it; a mean of fewer than
  ``min_cell`` respondents is not shown;
* ``reliability.csv``: Cronbach's alpha (Feldt CI) of each scale, and
  ``items.csv``: the item-rest correlations;
* ``survey.parquet``, ``survey.csv`` (UTF-8 with BOM), ``survey.dta`` and
  ``survey.sav``: the coded answers with variable and value labels;
  ``variables.csv`` the dictionary, ``missing.csv`` why answers are missing;
* ``index.html``: the page, with a chart per question.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.cleaning.questionnaire import CleanSurvey, scale_items
from liushou_analysis.core.errors import UserError
from liushou_analysis.core.xlsxio import write_csv
from liushou_analysis.report.disclosure import MIN_CELL, protect_margins, withhold_unstable
from liushou_analysis.report.export import write_survey
from liushou_analysis.statistics.scales import cronbach_alpha
from liushou_analysis.statistics.survey import SurveyDesign

ALL = "全部"
COLUMNS = ["variable", "label", "level", "domain", "domain_level", "statistic", "estimate", "se", "ci_low", "ci_high",
           "n", "count", "deff", "unstable"]


def survey_estimates(variables: pd.DataFrame, design: SurveyDesign, domains: list[str],
                     totals: bool = False, interval: str = "logit") -> pd.DataFrame:
    """Every estimate of the survey whose dictionary is ``variables`` (before suppression), from the
    design's data; ``count`` is the respondents behind a share. With ``totals`` (a design whose weights
    add up to a population), each category's estimated number of pupils too (statistic ``total``). Shares'
    intervals by ``interval`` (:meth:`SurveyDesign.proportion`: logit, wilson or beta)."""
    frames = []
    data = design.data
    for var in variables.drop_duplicates("name").itertuples(index=False):
        if var.name in domains or var.type == "text":
            continue
        for domain in [None, *domains]:
            if var.type in ("single", "ordinal", "multi"):
                est = design.proportion(var.name, by=domain, method=interval).table
                if est.empty:  # nobody answered (a question the questionnaire's logic skipped for all)
                    continue
                values = data[var.name]
                est["level"] = est.quantity.str.split("=", n=1).str[1]
                if var.type == "multi":
                    est = est[est.level.isin(["1", "1.0"])].assign(level="选中")
                    chosen = (values == 1)
                    levels = ["选中"]
                else:
                    chosen = None
                    levels = ([str(c) for c in values.cat.categories] if isinstance(values.dtype, pd.CategoricalDtype)
                              else list(est.level.astype(str).unique()))
                est = _every_category(est, domain, levels)
                keys = [domain] if domain else []
                counts = (data.assign(_v=values.astype(str) if chosen is None else np.where(chosen, "选中", "未选"))
                          [values.notna()].groupby(keys + ["_v"], observed=True).size())
                idx = [tuple(r) for r in est[keys + ["level"]].astype(str).itertuples(index=False)] if keys else \
                    list(est.level.astype(str))
                counts.index = counts.index.map(lambda k: tuple(map(str, k)) if isinstance(k, tuple) else str(k))
                est["count"] = [counts.get(i, 0) for i in idx]
                est["statistic"] = "proportion"
                if totals and var.type != "multi":
                    total = design.category_totals(var.name, by=domain).table
                    total["level"] = total.quantity.str.split("=", n=1).str[1]
                    total = _every_category(total, domain, levels).drop(columns="count", errors="ignore")
                    total = total.merge(est[keys + ["level", "count"]].astype({"level": str}), on=keys + ["level"],
                                        how="left")
                    est = pd.concat([est, total.assign(statistic="total")], ignore_index=True)
            else:
                mean = design.mean(var.name, by=domain).table.assign(statistic="mean", level="")
                median = design.quantile(var.name, probs=(0.5,), by=domain).table.assign(statistic="median",
                                                                                        level="")
                est = pd.concat([mean, median], ignore_index=True).assign(count=np.nan)
            est["variable"], est["label"] = var.name, var.label
            est["domain"] = domain or ALL
            est["domain_level"] = est[domain].astype(str) if domain else ""
            frames.append(est.reindex(columns=COLUMNS))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return out


def _every_category(est: pd.DataFrame, domain: str | None, levels: list[str]) -> pd.DataFrame:
    """One row per category (in the answer scale's order) in every group: a category nobody in a group chose
    is a share of 0 with the group's n, not a missing row."""
    est = est.assign(level=est.level.astype(str))
    columns = ["n", "df", "method"]
    groups = est[[domain, *columns]].drop_duplicates(domain) if domain else est[columns].iloc[:1]
    grid = groups.merge(pd.DataFrame({"level": levels}), how="cross")
    keys = ([domain] if domain else []) + ["level"]
    full = grid.merge(est.drop(columns=["n", "df", "method"]), on=keys, how="left")
    zero = full.estimate.isna()
    full.loc[zero, ["estimate", "se", "ci_low", "ci_high"]] = 0.0
    if "unstable" in full.columns:  # a property of the group's denominator: the same for every category
        unstable = full.unstable.astype("boolean").fillna(False)
        full["unstable"] = unstable.groupby(full[domain].astype(str)).transform("max") if domain else unstable.any()
    full["quantity"] = full.quantity.fillna(est.quantity.iloc[0].split("=")[0] + "=" + full.level)
    return full


def protect(estimates: pd.DataFrame, data: pd.DataFrame, variables: pd.DataFrame, domains: list[str],
            k: int = MIN_CELL) -> pd.DataFrame:
    """The estimates with small cells hidden (see the module docstring); ``hidden`` says which. ``n`` (the
    respondents of a domain) is hidden with its domain when that is small."""
    out = estimates.copy()
    out["hidden"] = False
    n_hidden = np.zeros(len(out), dtype=bool)
    kinds = variables.drop_duplicates("name").set_index("name").type
    shown = ["estimate", "se", "ci_low", "ci_high", "deff", "count"]
    for name, rows in out.groupby("variable", sort=False):
        kind = kinds[name]
        if kind in ("number", "scale"):
            small = rows.n < k
            out.loc[rows.index[small.to_numpy()], "hidden"] = True
            continue
        values = data[name]
        level = values.astype(str) if kind != "multi" else pd.Series(np.where(values == 1, "选中", "未选"))
        frame = pd.DataFrame({d: data[d].astype(str) for d in domains}).assign(_level=level)[values.notna().to_numpy()]
        cube = frame.groupby([*domains, "_level"], observed=True).size()
        masks = protect_margins(cube, [("_level",), *[(d, "_level") for d in domains]], k=k)
        for idx, row in rows.iterrows():
            if row.domain == ALL:
                mask = masks[("_level",)]
                key = str(row.level)
            else:
                mask = masks[(row.domain, "_level")]
                key = (str(row.domain_level), str(row.level))
            total = masks[(row.domain,)] if row.domain != ALL else masks[()]
            small_domain = bool(total.get(str(row.domain_level), False)) if row.domain != ALL else bool(total.iloc[0])
            out.loc[idx, "hidden"] = bool(mask.get(key, False)) or small_domain
            n_hidden[out.index.get_loc(idx)] = small_domain
    hidden = out.hidden.to_numpy()
    for col in shown:
        out[col] = out[col].astype(float).mask(hidden)
    out, _ = withhold_unstable(out)  # an interval that cannot be trusted is not printed (statistics.survey)
    out["n"] = out["n"].astype("Int64").mask(n_hidden | (hidden & (out.statistic != "proportion").to_numpy()))
    return out


def crosstab_tests(variables: pd.DataFrame, design: SurveyDesign, domains: list[str]) -> pd.DataFrame:
    """For each categorical variable and domain, the Rao-Scott second-order test of independence (R's
    ``svychisq``): whether the answers differ between the domain's groups."""
    rows = []
    for var in variables.drop_duplicates("name").itertuples(index=False):
        if var.type not in ("single", "ordinal", "multi") or var.name in domains:
            continue
        for domain in domains:
            kept = design.data[[var.name, domain]].dropna()
            if kept[var.name].nunique() < 2 or kept[domain].nunique() < 2:
                continue
            test = design.crosstab(var.name, domain).details["tests"].set_index("test").loc["rao_scott_second_order_F"]
            rows.append({"variable": var.name, "label": var.label, "domain": domain, "statistic": test.statistic,
                         "df1": test.df1, "df2": test.df2, "p_value": test.p_value, "n": len(kept),
                         "method": "Rao-Scott second-order F"})
    return pd.DataFrame(rows, columns=["variable", "label", "domain", "statistic", "df1", "df2", "p_value", "n",
                                       "method"])


def models(formulas: list[str], design: SurveyDesign) -> pd.DataFrame:
    """Survey-weighted regressions (:meth:`SurveyDesign.glm`): logistic when the outcome is 0/1, else linear."""
    import patsy

    frames = []
    for formula in formulas:
        try:
            outcome = patsy.dmatrices(formula, design.data, return_type="dataframe", NA_action="drop")[0]
        except Exception as err:  # patsy names the term it cannot read
            raise UserError(f"--model {formula!r}: {err}. Name variables of the survey "
                            "(variables.csv lists them).") from None
        two = outcome.shape[1] == 2 or set(outcome.iloc[:, 0].unique()) <= {0.0, 1.0}
        modelled = outcome.columns[-1] if outcome.shape[1] == 2 else outcome.columns[0]
        try:
            fit = design.glm(formula, family="binomial" if two else "gaussian")
        except ValueError as err:
            raise UserError(f"--model {formula!r}: {err}.") from None
        frames.append(fit.table.assign(model=formula, outcome=modelled))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def reliability(data: pd.DataFrame, variables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each scale's alpha with its interval, and each item's item-rest correlation."""
    scales, items = [], []
    for scale in variables[variables.type == "scale"].drop_duplicates("name").itertuples(index=False):
        est = cronbach_alpha(scale_items(data, variables, scale.name), name=scale.name)
        scales.append(est.table.assign(label=scale.label))
        items.append(est.details["items"].assign(scale=scale.name))
    return (pd.concat(scales, ignore_index=True) if scales else pd.DataFrame(),
            pd.concat(items, ignore_index=True) if items else pd.DataFrame())


def write_exports(clean: CleanSurvey, folder: Path, formats=("parquet", "csv", "dta", "sav")) -> list[Path]:
    """The coded survey as Parquet, CSV (UTF-8 with BOM), .dta and .sav, with its dictionary and missing reasons."""
    written = write_survey(clean.data, clean.variables, folder, formats)
    write_csv(clean.variables, folder / "variables.csv")
    write_csv(clean.missing, folder / "missing.csv")
    return written


def _percent(v: float) -> str:
    return "—" if pd.isna(v) else f"{100 * v:.1f}%"


def _number(v: float) -> str:
    return "—" if pd.isna(v) else f"{v:,.2f}"


def page(clean: CleanSurvey, estimates: pd.DataFrame, alpha: pd.DataFrame, sentence: str, k: int,
         figures: dict[str, str], tests: pd.DataFrame | None = None, fitted: pd.DataFrame | None = None) -> str:
    """The Chinese page of one survey."""
    esc = html.escape
    parts = ["<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
             f"<title>问卷调查结果：{esc(clean.file)}</title>"
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}table{border-collapse:collapse;"
             "margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:right}th:first-child,"
             "td:first-child{text-align:left}.note{color:#555}</style></head><body>",
             f"<h1>问卷调查结果</h1><p>文件：{esc(clean.file)}（{esc(clean.platform)}）；有效答卷 {len(clean.data)} 份"
             + (f"，{len(clean.quarantine)} 份没有任何作答，未计入" if len(clean.quarantine) else "") + "。</p>",
             f"<p>{esc(sentence)}</p>",
             f"<p class='note'>比例为加权估计，括号内为95%置信区间；n 为作答人数（未加权）。涉及不足 {k} 人的格子"
             "及可由其推算出的格子以“—”代替。</p>"]
    parts += [f"<p class='note'>{esc(n)}</p>" for n in clean.notes]
    if "unstable" in estimates.columns and estimates.unstable.astype("boolean").fillna(False).any():
        parts.append("<p class='note'>置信区间为“—”的估计：调查的群太少、大小相差太悬殊，"
                     "估计的分母在不同抽样之间变化太大，这样算出的区间会偏窄、偏向一边，不可信，因此不给出；"
                     "估计值只作参考。</p>")
    if len(alpha):
        parts.append("<h2>量表信度</h2><table><tr><th>量表</th><th>题目数</th><th>Cronbach α</th><th>95%置信区间</th>"
                     "<th>n</th></tr>")
        for r in alpha.itertuples(index=False):
            parts.append(f"<tr><td>{esc(str(r.label))}</td><td>{int(r.items)}</td><td>{_number(r.estimate)}</td>"
                         f"<td>{_number(r.ci_low)} – {_number(r.ci_high)}</td><td>{int(r.n)}</td></tr>")
        parts.append("</table>")
    if fitted is not None and len(fitted):
        parts.append("<h2>回归模型（按抽样设计计算标准误）</h2><table><tr><th>模型</th><th>变量</th><th>系数</th>"
                     "<th>95%置信区间</th><th>p值</th><th>n</th></tr>")
        for r in fitted.itertuples(index=False):
            parts.append(f"<tr><td>{esc(r.model)}</td><td>{esc(str(r.quantity))}</td><td>{_number(r.estimate)}</td>"
                         f"<td>{_number(r.ci_low)} – {_number(r.ci_high)}</td><td>{r.p_value:.3g}</td>"
                         f"<td>{'—' if r.n < k else int(r.n)}</td></tr>")
        parts.append("</table>")
    tested = tests.set_index(["variable", "domain"]).p_value if tests is not None and len(tests) else {}
    for name, rows in estimates.groupby("variable", sort=False):
        label = rows.label.iloc[0]
        parts.append(f"<h2>{esc(str(label))}</h2>")
        said = [f"{d}：p = {tested[(name, d)]:.3g}" for d in rows.domain.unique() if (name, d) in tested]
        if said:
            parts.append(f"<p class='note'>各组之间是否不同（Rao-Scott 检验）：{esc('；'.join(said))}</p>")
        if name in figures:
            parts.append(f"<img src='{figures[name]}' alt='{esc(str(label))}' style='max-width:100%'>")
        elif rows.statistic.iloc[0] == "proportion":
            parts.append("<p class='note'>各选项人数都太少，不作图。</p>")
        parts.append("<table><tr><th>分组</th><th>选项/统计量</th><th>估计值</th><th>95%置信区间</th><th>n</th></tr>")
        for r in rows.itertuples(index=False):
            group = ALL if r.domain == ALL else f"{r.domain}={r.domain_level}"
            fmt = _percent if r.statistic == "proportion" else _number
            what = (r.level if r.statistic == "proportion" else f"{r.level}（估计人数）" if r.statistic == "total"
                    else {"mean": "均值", "median": "中位数"}[r.statistic])
            n = "—" if pd.isna(r.n) else f"{int(r.n)}"
            parts.append(f"<tr><td>{esc(group)}</td><td>{esc(str(what))}</td><td>{fmt(r.estimate)}</td>"
                         f"<td>{fmt(r.ci_low)} – {fmt(r.ci_high)}</td><td>{n}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def share_bars(ax, rows: pd.DataFrame, xlabel: str) -> None:
    """One question's shares (``level``, ``estimate``, ``ci_low``, ``ci_high``) as horizontal bars in percent
    with their 95% intervals, the first option on top: the command's page and the report page draw the same."""
    y = np.arange(len(rows))
    err = np.vstack([rows.estimate - rows.ci_low, rows.ci_high - rows.estimate]) * 100
    ax.barh(y, rows.estimate * 100, xerr=err, color="#4c78a8", capsize=3)
    ax.set_yticks(y, rows.level.astype(str))
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)


def charts(estimates: pd.DataFrame, folder: Path) -> dict[str, str]:
    """A bar chart (with CIs) of each categorical variable's shares in the whole sample, from the protected
    estimates; none where every share is hidden."""
    from liushou_analysis.report.plotting import new_figure, setup

    setup("zh")
    import matplotlib.pyplot as plt

    out = {}
    (folder / "figures").mkdir(exist_ok=True)
    whole = estimates[(estimates.domain == ALL) & (estimates.statistic == "proportion")]
    for name, rows in whole.groupby("variable", sort=False):
        rows = rows.dropna(subset=["estimate"])
        if rows.empty:
            continue
        fig, ax = new_figure(6.5, 0.45 * len(rows) + 1.2)
        share_bars(ax, rows, "占比（%）")
        fig.tight_layout()
        path = folder / "figures" / f"{name}.png"
        fig.savefig(path, dpi=100, metadata={"Software": None})
        plt.close(fig)
        out[name] = f"figures/{name}.png"
    return out


def run_survey(file: Path, out: Path, design_file: Path | None = None, codebook_file: Path | None = None,
               min_cell: int = MIN_CELL, say=print, formulas: list[str] | None = None,
               interval: str = "logit") -> dict:
    """Read, code, estimate and publish one questionnaire into ``out`` (see the module docstring)."""
    from liushou_analysis.cleaning.pseudonym import load_key
    from liushou_analysis.cleaning.questionnaire import code_survey, load_codebook
    from liushou_analysis.core.errors import Incomplete
    from liushou_analysis.core.outputs import check_target, publish_dir
    from liushou_analysis.readers.questionnaire import read_survey
    from liushou_analysis.statistics.design_file import load_design

    file = Path(file)
    book = load_codebook(codebook_file) if codebook_file else None
    raw = read_survey(file)
    try:
        key, _ = load_key(file.parent)
    except Exception:  # no key set up: respondents are numbered in file order, which is itself no personal data
        key = None
    clean = code_survey(raw, book, key)
    if clean.data.empty:
        raise Incomplete(f"{raw.file}: no respondent answered any question; nothing to estimate.")
    design, info = load_design(design_file, clean.data)
    unknown = [d for d in info.domains if d not in clean.data.columns]
    if unknown:
        raise Incomplete(f"{design_file}: domain {unknown[0]!r} is not a variable of the survey.")
    estimates = survey_estimates(clean.variables, design, info.domains, totals=info.weighted, interval=interval)
    published = protect(estimates, design.data, clean.variables, info.domains, min_cell)
    alpha, items = reliability(clean.data, clean.variables)
    tests = crosstab_tests(clean.variables, design, info.domains)
    fitted = models(formulas or [], design)
    if Path(out).resolve() in (file.resolve(), *file.resolve().parents[:1]) or file.resolve().is_relative_to(
            Path(out).resolve()):
        raise UserError(f"--out {out}: the output folder may not hold the questionnaire file; choose another folder.")
    check_target(out, "survey")
    with publish_dir(out, "survey") as work:
        write_csv(published.drop(columns=["count"]), work / "estimates.csv")
        if len(alpha):
            write_csv(alpha, work / "reliability.csv")
            write_csv(items, work / "items.csv")
        if len(tests):
            write_csv(tests, work / "tests.csv")
        if len(fitted):
            write_csv(fitted, work / "models.csv")
        write_exports(clean, work)
        figures = charts(published, work)
        (work / "index.html").write_text(page(clean, published, alpha, info.sentence, min_cell, figures, tests,
                                              fitted), encoding="utf-8")
    say(f"{raw.file}: {len(clean.data)} respondents, {len(clean.variables)} variables ({raw.platform}); "
        f"{int(published.hidden.sum())} of {len(published)} estimates hidden as small cells; "
        f"dropped personal columns: {', '.join(raw.dropped) or 'none'}.")
    for note in clean.notes:
        say(note)
    say(info.sentence)
    return {"clean": clean, "estimates": estimates, "published": published, "design": design}
