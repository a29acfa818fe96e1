"""The attacker test: can a reader work out a hidden cell from what a report prints?

Three counties are reported twice, with the default threshold (10) and with
``--min-cell 1`` (every cell shown, the truth the attacker is after): one
school of small classes (about 12 pupils a class, so most cells are small),
here; the bundled sample, in tests/test_report.py (which makes the sample's
default report already); and the hand-made county of tests/smallcounty.py,
in tests/test_small_county.py. The attacker is tests/attacker.py. The attacker reads only what the default report
prints, once from the CSV tables and once from the tables on the HTML
pages, and tries

- differencing of totals: every row and column of a table with its total,
  and the totals tables share (the care shares overall, by school and by
  grade; the three guardian tables; the bins, types, bands and roles that
  add up to a total printed on another table), solved one unknown at a
  time, each solved cell used in the next step;
- share-to-count division: a printed share times its printed base, or a
  count divided by its share, wherever the rounding of the share leaves
  a single whole number;
- cross-table subtraction: a care arrangement hidden in one table is not
  printed as a count of pupils in any other table of the term;
- a line's total anywhere in the report: for every line a reader could add
  up (a row of a cross table, a count column whole or within each group of
  a text column), when its true total is printed as a count anywhere in the
  report, in any table of any page, the attacker is taken to know that it is
  the line's total (the worst case: the same pupils counted on another page)
  and differences it.

Every relation the attacker uses is first checked on the truth (a relation
that does not hold there cannot recover anything, so it is dropped). The
test fails on a hidden cell the attacker recovers exactly. Run on the
sample's report from before the report-wide suppression, it failed: the
shares of the contact routines gave back counts of 3 to 9 pupils of a
school (five_ones, three_ones), and the arrangement hidden in the care
table (none_self) was printed in the percentile table and in the
comparisons with the source documents. As a control, it recovers cells
from tables that hide only the small cells.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from .attacker import attack, check_reports, csv_tables, report_twice, table_by_table


@pytest.fixture(scope="module")
def one_school_reports(tmp_path_factory):
    """One school of small classes, one school year (so the second term has a baseline)."""
    from liushou_analysis.synth.calibration import Calibration
    from liushou_analysis.synth.generate import write_county
    from liushou_analysis.synth.model import build_county

    base = tmp_path_factory.mktemp("attack_one_school")
    raw = base / "raw" / "one_school"
    county = build_county(11, 1, 1, start_year=2025,
                          calibration=replace(Calibration(), cohort_size_range=(24, 36), class_size_target=12))
    write_county(county, raw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_KEY", "one-school-attack-test-key-0123456789")
        return report_twice(raw, base / "clean", base)


def test_no_hidden_cell_is_recovered_in_a_school_of_small_classes(one_school_reports):
    check_reports(*one_school_reports)


def test_the_attacker_finds_what_table_by_table_suppression_leaves(one_school_reports):
    """Negative control: the same attacker recovers cells when only the small cells are blanked."""
    _, truth_dir = one_school_reports
    assert attack(table_by_table(truth_dir), csv_tables(truth_dir))


def test_the_attacker_finds_a_line_total_printed_on_another_page():
    """Control, by hand: a line with one hidden cell whose total is printed only in another table. Looking in
    the line's own table finds nothing; looking anywhere in the report finds the cell."""
    from .attacker import attack

    truth = {"p-a": pd.DataFrame({"grade": [7, 8], "x": [0, 5], "y": [25, 0], "合计 total": [25, 5]}),
             "q-b": pd.DataFrame({"grade": [7], "n": [25]})}
    printed = {"p-a": truth["p-a"].assign(y=[np.nan, 0], **{"合计 total": [np.nan, np.nan]},
                                          x=[0, np.nan]),
               "q-b": truth["q-b"]}
    declared = {"p-a": ["x", "y", "合计 total"], "q-b": ["n"]}
    assert attack(printed, truth) == []
    found = attack(printed, truth, declared)
    assert "p-a row 0 y = 25 (difference of totals (q-b))" in found
