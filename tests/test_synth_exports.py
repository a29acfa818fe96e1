"""Every kind of export defect the issue lists occurs in data_raw/sample.

These tests read the raw files from disk (tests/rawfiles.py) and look for
each defect directly, rather than trusting the generator's own log; a last
test checks that the log and the files agree on where defects are.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.synth.exports import to_fullwidth
from liushou_analysis.synth.people import id_check_digit

from .rawfiles import header_row_index

ID_HEADERS = {"学号", "学生学号", "考号", "学籍号"}


def _cells(views, predicate):
    return [(v.file, v.name, i, j, c) for v in views for i, row in enumerate(v.rows)
            for j, c in enumerate(row) if predicate(c)]


def _column(view, labels: set[str]):
    """Values below the header cell whose text is one of ``labels``."""
    h = header_row_index(view.rows, labels)
    if h < 0:
        return []
    j = next(j for j, c in enumerate(view.rows[h]) if isinstance(c, str) and c.strip() in labels)
    return [r[j] for r in view.rows[h + 1:] if j < len(r)]


@pytest.fixture(scope="module")
def views(sample_views):
    return sample_views[0]


@pytest.fixture(scope="module")
def facts(sample_views):
    return sample_views[1]


def test_workbooks_have_merged_title_rows(views):
    titled = [v for v in views if any(m.startswith("A1:") and m.endswith("1") for m in v.merged)
              and isinstance(v.rows[0][0], str) and "学年" in v.rows[0][0]]
    assert titled


def test_two_row_headers_have_merged_group_cells(views):
    found = False
    for v in views:
        for m in v.merged:
            a, b = m.split(":")
            ra, rb = int(re.sub(r"\D", "", a)), int(re.sub(r"\D", "", b))
            if ra == rb and ra <= 2 and a != b and ra < len(v.rows):  # horizontal merge in a header row
                below = v.rows[ra] if ra < len(v.rows) else []
                if any(c in ("分数", "成绩", "得分", "姓名") for c in below):
                    found = True
    assert found


def test_workbooks_with_one_sheet_per_class_and_trailing_space_names(views):
    by_file = pd.Series([v.file for v in views]).value_counts()
    assert (by_file > 1).any()
    assert any(v.name != v.name.rstrip() for v in views)


def test_csv_encodings_and_line_ends(facts):
    csv_facts = [f for f in facts.values() if f["encoding"]]
    encodings = {f["encoding"] for f in csv_facts}
    assert {"utf-8-sig", "utf-8", "gbk", "gb18030"} <= encodings
    assert any(f["crlf"] for f in csv_facts) and any(not f["crlf"] for f in csv_facts)


def test_gb18030_files_hold_characters_gbk_cannot(sample_dir, facts):
    gb = [name for name, f in facts.items() if f["encoding"] == "gb18030"]
    text = (sample_dir / gb[0]).read_bytes().decode("gb18030")
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")


@pytest.mark.parametrize("variants", [
    {"学号", "考号", "学籍号"},
    {"总分", "总分分数", "总成绩"},
    {"班名", "班级排名", "班排"},
])
def test_header_variants_for_the_same_field(views, variants):
    headers = {str(c).strip() for v in views for row in v.rows[:4] for c in row if c is not None}
    # in two-row headers the total's leaf joins its group: 总分 over 分数 reads 总分分数
    joined = {"总分" + str(c).strip() for v in views for c in (v.rows[2] if len(v.rows) > 2 else [])
              if c in ("分数", "成绩", "得分")} if "总分分数" in variants else set()
    assert variants <= headers | joined


def test_absence_markers_in_score_cells(views):
    values = {c for v in views for row in v.rows for c in row if isinstance(c, str)}
    assert {"缺考", "缺", "Q", "缺考，不计排名", "-"} <= values


def test_numbers_stored_as_text_with_trailing_spaces(views):
    assert _cells(views, lambda c: isinstance(c, str) and re.fullmatch(r"\d+\.\d\d +", c))


def test_tied_ranks_and_rows_out_of_order(views):
    ties = out_of_order = 0
    for v in views:
        ranks = [r for r in _column(v, {"班名", "班级排名", "班排", "班级名次"}) if isinstance(r, int | float)]
        if len(ranks) > 5:
            ties += len(ranks) != len(set(ranks))
            ids = [str(x).lstrip("'") for x in _column(v, ID_HEADERS) if x is not None]
            out_of_order += ranks != sorted(ranks) and ids != sorted(ids)
    assert ties > 0 and out_of_order > 0


def test_student_ids_with_apostrophe_or_lost_leading_zeros(views):
    ids = [x for v in views for x in _column(v, ID_HEADERS)]
    assert any(isinstance(x, str) and re.fullmatch(r"'\d+", x) for x in ids)
    lengths = {len(str(x)) for x in ids if isinstance(x, int)}
    assert 9 in lengths  # a 10-digit number that started with 0, stored as a number


def test_id_numbers_mostly_valid_a_few_invalid(views):
    numbers = [x for v in views for x in _column(v, {"身份证号", "身份证号码", "公民身份号码"})
               if isinstance(x, str) and len(x) == 18]
    body = np.array([x[:17] for x in numbers])
    valid = id_check_digit(body) == np.array([x[17] for x in numbers])
    assert 0.95 < valid.mean() < 1.0


def test_dates_typed_many_ways(views):
    dates = [x for v in views for x in _column(v, {"出生日期", "出生年月", "结对时间", "结对日期", "建档日期"})]
    text = [x for x in dates if isinstance(x, str)]
    patterns = {
        "excel serial as text": r"\d{5}",
        "2013年5月6日": r"\d{4}年\d{1,2}月\d{1,2}日",
        "2013.5.6": r"\d{4}\.\d{1,2}\.\d{1,2}",
        "20130506": r"\d{8}",
        "2013-05-06": r"\d{4}-\d{2}-\d{2}",
    }
    for label, pattern in patterns.items():
        assert any(re.fullmatch(pattern, x) for x in text), label
    assert any(not isinstance(x, str) and x is not None for x in dates)  # real date cells too


def test_full_width_digits(views):
    assert _cells(views, lambda c: isinstance(c, str) and re.search("[０-９]", c) and "班" in c)
    assert to_fullwidth("七年级2班") == "七年级２班"


def test_relation_labels_in_many_spellings(views):
    relations = {x for v in views for x in _column(v, {"关系", "与学生关系", "监护人关系"}) if isinstance(x, str)}
    assert {"奶奶", "祖母", "爷爷奶奶", "外婆", "姥姥", "爷爷", "祖父母"} <= relations
    assert any("、" in x or "和" in x for x in relations)  # several guardians named in one cell


def test_status_words_in_name_fields(views):
    names = [x for v in views for x in _column(v, {"姓名", "学生姓名"}) if isinstance(x, str)]
    assert any(re.search(r"[（(](转入|转出|休学|借读)[）)]", x) for x in names)


def test_blank_and_duplicated_rows(views):
    blank = dup = 0
    for v in views:
        body = v.rows[2:]
        for a, b in zip(body, body[1:]):
            dup += a == b and any(c not in (None, "") for c in a)
        inner = body[:-1]
        blank += sum(all(c in (None, "") for c in r) for r in inner)
    assert blank > 0 and dup > 0


def test_a_sheet_reports_thousands_of_empty_columns(views):
    assert max(v.max_column for v in views) >= 1000


def test_personal_data_looks_real(views):
    phones = _cells(views, lambda c: isinstance(c, str) and re.fullmatch(r"1[3-9]\d{9}", c))
    addresses = _cells(views, lambda c: isinstance(c, str) and re.fullmatch(r".+镇.+村\d+组\d+号", c))
    assert len(phones) > 1000 and len(addresses) > 1000


def test_defect_log_points_at_the_right_cells(sample_dir, truth, views):
    """The log's (file, sheet, row, column) locates the defect in the file."""
    log = truth["messiness"]
    by_key = {(v.file, v.name): v for v in views}
    checked = 0
    for kind, expect in [("number_as_text", lambda c, d: c == d), ("absence_marker", lambda c, d: c == d),
                         ("id_leading_apostrophe", lambda c, d: str(c).startswith("'"))]:
        rows = log[(log.kind == kind) & log.file.str.endswith((".csv", ".xlsx"))].head(30)  # not the .xls (HTML, text)
        for r in rows.itertuples():
            v = by_key[(r.file, r.sheet)]
            h = next(i for i in range(4) if any(isinstance(c, str) and c.strip() in ID_HEADERS for c in v.rows[i]))
            j = _flat_labels(v.rows, h).index(r.column)  # the log names columns by their flat label
            cell = v.rows[int(r.row) - 1][j]
            assert expect(cell, r.detail), (r.file, r.sheet, r.row, r.column, cell, r.detail)
            checked += 1
    assert checked > 50


def _flat_labels(rows, h):
    """Flat column labels of a sheet whose header starts at row index h."""
    top = rows[h]
    below = rows[h + 1] if h + 1 < len(rows) else []
    two_row = any(c in ("分数", "成绩", "得分", "是否外出务工") for c in below)
    if not two_row:
        return [str(c) for c in top]
    labels, group = [], ""
    for a, b in zip(top, below):
        if a is not None and b is not None:
            group = str(a)
        elif a is not None:
            group = ""
        labels.append(group + str(b) if b is not None else str(a))
    return labels
