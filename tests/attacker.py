"""The attacker of the report-wide disclosure control (tests/test_disclosure_attack.py says what it tries).

Shared by tests/test_disclosure_attack.py (a one-school county of small
classes) and tests/test_report.py (the bundled sample, whose default report
that file already makes).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis.indicators.routines import FIVE_COMPONENTS, THREE_COMPONENTS
from liushou_analysis.report.labels import for_display
from liushou_analysis.report.runner import run_report

K = 10
TOTAL = "合计 total"


def report_twice(raw: Path, clean: Path, out: Path, first: Path | None = None) -> tuple[Path, Path]:
    """The county reported with the default threshold (or ``first``, a report already made so) and with every
    cell shown (``--min-cell 1``, the truth the attacker is after)."""
    for k in (K, 1):
        if k == K and first is not None:
            continue
        run_report(raw, clean_dir=clean, out_dir=out / f"k{k}", min_cell=k, progress=lambda m: None,
                   allow_incomplete=True)
    return first or out / f"k{K}", out / "k1"


# --- what the attacker reads ---------------------------------------------------------------------------------------

def csv_tables(report: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, encoding="utf-8-sig") for p in sorted((report / "tables").glob("*.csv"))}


def _number(text):
    """A page's cell as a number: '1,502' -> 1502, '37.0%' -> 0.37, '—' -> NaN; other text unchanged."""
    if not isinstance(text, str):
        return text
    t = text.replace(",", "").strip()
    if t in ("—", ""):
        return np.nan
    try:
        return float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        return text


def html_tables(report: Path, like: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables as the pages show them, with the CSV's column names put back (a page may show fewer)."""
    out = {}
    for page in sorted(report.glob("0*.html")):
        text = page.read_text(encoding="utf-8")
        for name in re.findall(r'<table id="T_([^"]+)"', text):
            start = text.index(f'<table id="T_{name}"')
            shown = pd.read_html(io.StringIO(text[start:text.index("</table>", start) + 8]))[0]
            machine = dict(zip(for_display(like[name].head(0)).columns, like[name].columns))
            for column in like[name].columns:  # a page showing some columns names each as it would alone
                machine.setdefault(for_display(like[name][[column]].head(0)).columns[0], column)
            shown = shown.rename(columns=machine)
            out[name] = shown.apply(lambda col: col.map(_number)) if len(shown) else shown
    return out


# --- the relations the attacker knows ------------------------------------------------------------------------------

Cell = tuple[str, int, str]


def _sums(tables: dict[str, pd.DataFrame]) -> list[tuple[list[Cell], Cell]]:
    """(parts, total): the parts add up to the total."""
    eqs: list[tuple[list[Cell], Cell]] = []
    for name, t in tables.items():
        if TOTAL in t.columns and len(t) and str(t.iloc[-1, 0]).startswith("合计"):  # a two-way table with its margins
            inner = [c for c in t.columns[1:] if c != TOTAL]
            for i in range(len(t)):
                eqs.append(([(name, i, c) for c in inner], (name, i, TOTAL)))
            for c in [*inner, TOTAL]:
                eqs.append(([(name, i, c) for i in range(len(t) - 1)], (name, len(t) - 1, c)))
    care = {n: t for n, t in tables.items() if n.startswith("01_care_arrangements-care_")}
    overall = care.get("01_care_arrangements-care_overall")
    for name, t in care.items():  # within a domain, the arrangements add up to the domain's pupils
        for _, rows in t.groupby("domain", sort=False):
            eqs.append(([(name, i, "pupils") for i in rows.index], (name, int(rows.index[0]), "n")))
        if overall is not None and name != "01_care_arrangements-care_overall":
            for j, care_code in overall.care.items():  # across domains, to the overall count
                eqs.append(([(name, i, "pupils") for i in t.index[t.care == care_code]],
                            ("01_care_arrangements-care_overall", int(j), "pupils")))
    guardian = [n for n in tables if n.startswith("01_care_arrangements-guardian_")]
    for a, b in zip(guardian, guardian[1:]):  # the guardian tables share their totals by care arrangement
        ta, tb = tables[a], tables[b]
        for c in set(ta.columns[1:]) & set(tb.columns[1:]):
            eqs.append(([(a, len(ta) - 1, c)], (b, len(tb) - 1, c)))

    def column(name, col, rows=None):
        t = tables.get(name)
        if t is None or col not in t.columns:
            return None
        return [(name, int(i), col) for i in (t.index if rows is None else t.index[rows(t)])]

    def cell(name, col, row):
        t = tables.get(name)
        if t is None or col not in t.columns:
            return None
        hits = t.index[row(t)]
        return (name, int(hits[0]), col) if len(hits) else None

    selection, who = "02_pairing_and_rank-selection", "03_reward_points-who_is_assessed"
    paired = cell(selection, "pupils", lambda t: t.group == "paired")
    links = [
        (column("02_pairing_and_rank-regression_to_the_mean", "treated_pupils"), paired),
        (column("02_pairing_and_rank-by_helper_type", "n_treated"), paired),
        (column("03_reward_points-null_by_baseline", "pupils"),
         cell("03_reward_points-null_summary", "paired_pupils", lambda t: t.index == 0)),
        (column("03_reward_points-helpers_by_role", "helpers", lambda t: t.paid.astype(str) == "True"),
         cell(who, "value", lambda t: t.measure.str.contains("helpers paid"))),
        (column("03_reward_points-helpers_by_role", "helpers", lambda t: t.paid.astype(str) == "False"),
         cell(who, "value", lambda t: t.measure.str.contains("not paid"))),
    ]
    rules = tables.get("03_reward_points-plan_vs_pay_for_percentile")
    if rules is not None:
        for _, part in rules.groupby(["scenario", "rule"], sort=False):
            links.append(([("03_reward_points-plan_vs_pay_for_percentile", int(i), "pupils") for i in part.index],
                          cell("03_reward_points-null_summary", "paired_pupils", lambda t: t.index == 0)))
    eqs += [(parts, total) for parts, total in links if parts and total]
    return eqs


#: (table, share columns, base column, count column or None, mean of the shares or None): count = share x base.
SHARES = [("01_care_arrangements-care_overall", ["estimate"], "n", "pupils", None),
          ("01_care_arrangements-care_by_school", ["estimate"], "n", "pupils", None),
          ("01_care_arrangements-care_by_grade", ["estimate"], "n", "pupils", None),
          ("01_care_arrangements-definitions", ["estimate"], "answered", "left_behind", None),
          ("01_care_arrangements-five_ones_by_school", FIVE_COMPONENTS, "pupils", None, "share_met"),
          ("01_care_arrangements-three_ones_by_school", THREE_COMPONENTS, "pupils", None, "share_met"),
          ("01_care_arrangements-archive_by_school", ["archive_rate", "complete_rate"], "left_behind", None, None),
          ("02_pairing_and_rank-selection", ["either_parent_away", "all_parents_away"], "pupils", None, None)]


def _known(tables, cell):
    name, i, col = cell
    t = tables.get(name)
    if t is None or col not in t.columns or i >= len(t):
        return np.nan
    return pd.to_numeric(pd.Series([t.iloc[i][col]]), errors="coerce").iloc[0]


def _holds(truth, parts, total) -> bool:
    values = [_known(truth, c) for c in parts]
    whole = _known(truth, total)
    return not np.isnan(whole) and not any(np.isnan(values)) and abs(sum(values) - whole) < 0.5


def _whole_numbers(lo: float, hi: float) -> np.ndarray:
    return np.arange(np.ceil(lo - 1e-9), np.floor(hi + 1e-9) + 1)


def declared_counts(report: Path) -> dict[str, list[str]]:
    """The columns each table of a report declares as counts of pupils (its ``*.counts.json``), by table name."""
    return {f"{p.name.split('.')[0]}-{name}": cols for p in (report / "tables").glob("*.counts.json")
            for name, cols in json.loads(p.read_text(encoding="utf-8")).items() if name != "late"}


def _lines(tables: dict[str, pd.DataFrame], declared: dict[str, list[str]]) -> list[list[Cell]]:
    """Every line of counts a reader could add up: a row of a cross table across its declared count columns (its
    total column left out), and a count column down the rows (its 合计 row left out), whole and within each group
    of every text column (the care arrangements of one school, the rows of one domain)."""
    lines: list[list[Cell]] = []
    for name, t in tables.items():
        cols = [c for c in declared.get(name, []) if c in t.columns and c != TOTAL]
        body = t[~t.iloc[:, 0].astype(str).str.startswith("合计")] if len(t) else t
        if TOTAL in t.columns and len(cols) >= 2:  # a cross table: its count columns are categories that add up
            lines += [[(name, int(i), c) for c in cols] for i in body.index]
        groupings = [None] + [c for c in t.columns if c not in cols and not pd.api.types.is_numeric_dtype(t[c])]
        for c in cols:
            for by in groupings:
                groups = [body.index] if by is None else [g.index for _, g in body.groupby(by, sort=False)]
                lines += [[(name, int(i), c) for i in rows] for rows in groups if len(rows) >= 2]
    return lines


def totals_anywhere(truth: dict[str, pd.DataFrame], printed: dict[str, pd.DataFrame],
                    declared: dict[str, list[str]]) -> list[tuple[list[Cell], Cell]]:
    """(line, printed cell): a line whose true total is printed anywhere in the report as a count of pupils, in
    any table of any page. The attacker is taken to know which printed count is the line's total (the worst case:
    the same pupils counted on another page), so a line with one hidden cell and this total gives the cell back."""
    where: dict[float, Cell] = {}
    for name, t in printed.items():
        for col in [c for c in declared.get(name, []) if c in t.columns]:
            for i, v in enumerate(pd.to_numeric(t[col], errors="coerce")):
                if not np.isnan(v) and v > 0:
                    where.setdefault(float(v), (name, i, col))
    out = []
    for line in _lines(truth, declared):
        values = [_known(truth, c) for c in line]
        if any(np.isnan(values)):
            continue
        total = float(sum(values))
        if total in where and where[total] not in line:
            out.append((line, where[total]))
    return out


def attack(printed: dict[str, pd.DataFrame], truth: dict[str, pd.DataFrame],
           declared: dict[str, list[str]] | None = None) -> list[str]:
    """Every hidden count the attacker pins down to its true value, as a sentence saying how. With ``declared``
    (the report's count columns), the attacker also looks for each line's total anywhere in the report."""
    known: dict[Cell, float] = {}
    for name, t in printed.items():
        for col in t.columns:
            for i, v in enumerate(pd.to_numeric(t[col], errors="coerce")):
                if not np.isnan(v):
                    known[(name, i, col)] = float(v)
    hidden = {c for c in _cells(truth) if c not in known and c[0] in printed and c[2] in printed[c[0]].columns}
    found: list[str] = []
    sums = [(p, t) for p, t in _sums(truth) if _holds(truth, p, t)]  # relations that are true of the data
    if declared:
        sums += totals_anywhere(truth, printed, declared)

    def learn(cell, value, how):
        if cell not in hidden or cell in known:
            return False
        known[cell] = value
        if abs(_known(truth, cell) - value) < 0.5:
            found.append(f"{cell[0]} row {cell[1]} {cell[2]} = {value:g} ({how})")
        return True

    def small_count(name, i, col, n, lo, hi, truth_share, how):
        """A printed share (or one worked out) that pins a count of pupils with or without the trait below K."""
        whole = _whole_numbers(lo * n, hi * n)
        if len(whole) != 1 or np.isnan(truth_share):
            return
        real = round(truth_share * n)
        for value, true_value, side in ((whole[0], real, "with"), (n - whole[0], n - real, "without")):
            if 0 < value < K and value == true_value:
                found.append(f"{name} row {i} {col}: {value:g} pupils {side} it ({how})")

    changed = True
    while changed:
        changed = False
        for parts, total in sums:
            unknown = [c for c in [*parts, total] if c not in known]
            if len(unknown) != 1:
                continue
            rest = sum(known[c] for c in parts if c in known)
            value = rest if unknown[0] == total else known[total] - rest
            changed |= learn(unknown[0], value, f"difference of totals ({total[0]})")
        for name, shares, base, count, means in SHARES:
            t = printed.get(name)
            if t is None or base not in t.columns:
                continue
            for i in range(len(t)):
                n = known.get((name, i, base))
                for col in [c for c in shares if c in t.columns]:
                    share = known.get((name, i, col))
                    if share is not None and n is not None:  # share x base: the counts the rounded share allows
                        whole = _whole_numbers((share - 0.0005) * n, (share + 0.0005) * n)
                        if count and len(whole) == 1:
                            changed |= learn((name, i, count), float(whole[0]), "share times base")
                        if not count:
                            small_count(name, i, col, n, share - 0.0005, share + 0.0005, _known(truth, (name, i, col)),
                                        "share times base")
                    elif share is not None and count and (name, i, count) in known and share > 0:
                        c = known[(name, i, count)]
                        whole = _whole_numbers(c / (share + 0.0005), c / max(share - 0.0005, 1e-9))
                        if len(whole) == 1:
                            changed |= learn((name, i, base), float(whole[0]), "count divided by share")
                if means and n is not None and (name, i, means) in known:  # the mean share met, times the routines
                    cols = [c for c in shares if c in t.columns]
                    missing = [c for c in cols if (name, i, c) not in known]
                    if len(missing) == 1:
                        v = len(cols) * known[(name, i, means)] - sum(known[(name, i, c)] for c in cols if c != missing[0])
                        err = 0.0005 * (len(cols) + 1)
                        small_count(name, i, missing[0], n, v - err, v + err, _known(truth, (name, i, missing[0])),
                                    "mean share met minus the others")
    return found


def _cells(tables):
    return {(name, i, col) for name, t in tables.items() for col in t.columns for i in range(len(t))
            if not np.isnan(pd.to_numeric(pd.Series([t.iloc[i][col]]), errors="coerce").iloc[0])}


def hidden_care_elsewhere(printed) -> list[str]:
    """Cross-table: a care arrangement hidden in the overall table printed as a count in another table."""
    overall = printed.get("01_care_arrangements-care_overall")
    if overall is None:
        return []
    hidden = set(overall.care[overall.pupils.isna() & overall.n.notna()])
    found = []
    scores = printed.get("01_care_arrangements-percentile_by_care")
    if scores is not None:
        found += [f"percentile_by_care n for {c}" for c in scores.care[scores.n.notna()] if c in hidden]
    ref = printed.get("01_care_arrangements-reference_comparison")
    if ref is not None and "estimate_pct" in ref.columns:
        parts = ref.indicator.fillna("").str.split("+")
        found += [f"reference_comparison {ind}" for ind, p, v in zip(ref.indicator, parts, ref.estimate_pct)
                  if set(p) & hidden and pd.notna(v)]
    return found




def check_reports(printed_dir: Path, truth_dir: Path) -> None:
    """Every check of the attacker test on one county's two reports (CSV and HTML)."""
    printed, truth = csv_tables(printed_dir), csv_tables(truth_dir)
    declared = declared_counts(truth_dir)
    assert set(printed) == set(truth)
    assert len(_cells(truth)) > len(_cells(printed)), "the threshold hides something in this county"
    assert not attack(printed, truth, declared)
    assert not hidden_care_elsewhere(printed)
    shown, real = html_tables(printed_dir, truth), html_tables(truth_dir, truth)
    assert len(shown) >= 20 and set(shown) == set(real)
    assert not attack(shown, real, declared)
    assert not hidden_care_elsewhere(shown)
    for path in printed_dir.glob("tables/*.counts.json"):  # no table needed Publisher.table's last line of defence
        assert "late" not in json.loads(path.read_text(encoding="utf-8")), path.name


def table_by_table(truth_dir: Path) -> dict[str, pd.DataFrame]:
    """Negative control: the truth with only the small declared counts blanked (what suppressing each cell on
    its own, and printing shares in full, would show)."""
    truth = csv_tables(truth_dir)
    declared = declared_counts(truth_dir)
    naive = {}
    for name, t in truth.items():
        t = t.copy()
        for col in declared.get(name, []):
            values = pd.to_numeric(t[col], errors="coerce")
            t[col] = values.mask((values > 0) & (values < K))
        naive[name] = t
    return naive
