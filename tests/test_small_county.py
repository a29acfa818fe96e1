"""A one-school, two-term county made by hand (tests/smallcounty.py): the posts and score words schools write.

Expected values come from the lists in tests/smallcounty.py (the 30 posts of the pairing list and the role each is
read as; the twelve score words of the second term's grade-7 table and what each means), not from the code.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.store import CleanStore

from . import smallcounty as sc
from .cli_runner import liushou

KEY = "small-county-test-key-0123456789abcdef"
SUBJECT = {"语文": "chinese", "数学": "math", "英语": "english"}


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    base = tmp_path_factory.mktemp("small_county")
    raw = sc.build(base / "raw" / "qingshi")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_KEY", KEY)
        manifest = clean_dataset(raw, base / "clean")
    return raw, base / "clean", manifest


def test_the_county_is_cleaned_whole(county):
    _, clean, manifest = county
    store = CleanStore(clean)
    assert store.table("pupils").pupil_key.nunique() == 148
    assert manifest["quarantine"]["rows"] == 0  # score words are not quarantined rows
    assert {f["school"] for f in manifest["files"]} == {sc.SCHOOL}


# --- posts (issue 24, item 2) --------------------------------------------------------------------------------------

def test_every_post_the_pairing_list_writes_is_read_as_the_role_the_plan_names(county):
    _, clean, _ = county
    pairings = CleanStore(clean).table("pairings")
    assert len(pairings) == 30
    expected = Counter(sc.ROLE_OF_POST[post] or "unknown" for _, post in sc.HELPERS)
    assert Counter(pairings.helper_role.fillna("unknown")) == expected
    assert expected["teacher"] == 12 + 10 and expected["peer"] == 3  # the 12 subject teachers are teachers
    # the one post no rule reads is kept beside its unknown role, and only there
    assert pairings.helper_post.dropna().tolist() == ["门卫"]
    assert pairings.helper_role[pairings.helper_post.notna()].isna().all()


def test_a_helper_whose_post_is_not_read_is_a_problem_row_in_score_never_paid(county, tmp_path):
    _, clean, _ = county
    run = liushou("score", "--data", clean, "--out", tmp_path / "stop")
    assert run.returncode == 2, run.stdout + run.stderr
    helper = CleanStore(clean).table("pairings").query("helper_post == '门卫'").helper_key.item()
    assert f"helper {helper}'s post 「门卫」 is not a role the plan names, so the helper is neither paid" in run.stderr
    assert "nothing was scored" in run.stderr and "Traceback" not in run.stderr
    run = liushou("score", "--data", clean, "--out", tmp_path / "skip", "--skip-bad-rows")
    assert run.returncode == 0, run.stderr
    skipped = pd.read_csv(tmp_path / "skip" / "skipped_rows.csv", encoding="utf-8-sig")
    assert skipped.problem.str.contains(helper).sum() == 1
    helpers = pd.read_csv(tmp_path / "skip" / "helper_points.csv", encoding="utf-8-sig")
    assert helper not in set(helpers.helper_id)
    paid = helpers.groupby("helper_role").paid.agg(["all", "any"])
    assert not paid.loc["peer", "any"]  # 班长, 学生干部, 小组长: pupils, not paid
    assert paid.drop("peer")["all"].all()  # every adult role, the subject teachers among them, is paid


def test_the_report_lists_a_helper_of_unknown_role_with_nothing_paid(county):
    """The report scores from the clean tables without `liushou score`'s check: the engine itself never pays a
    role it does not know, and says why in the audit."""
    from liushou_analysis.scoring import contract
    from liushou_analysis.scoring.engine import score_scheme

    _, clean, _ = county
    inputs = contract.from_clean(clean)
    tables = score_scheme(inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"],
                          pupils=inputs["pupils"])
    helpers = tables["helper_points"]
    unknown = helpers[helpers.helper_role == "unknown"]
    assert len(unknown) == 1 and not unknown.paid.any() and (unknown.yuan == 0).all()
    why = tables["audit"].set_index("helper_id").loc[unknown.helper_id.item(), "reason"]
    assert "post could not be read as a role: not paid" in why


# --- score words (issue 24, item 3) --------------------------------------------------------------------------------

def test_score_words_are_numbers_or_absences_with_their_reason_never_zero(county):
    _, clean, _ = county
    store = CleanStore(clean)
    exams = store.table("exams", terms=[sc.TERMS[1]])
    roster = [p for p in sc.pupils() if p["grade"] == 7]
    by_pupil = exams.set_index(["pupil_key", "subject"])
    key_of = _keys(store)
    for (k, subject), (word, meaning) in sc.SCORE_WORDS.items():
        row = by_pupil.loc[(key_of[roster[k]["no"]], SUBJECT[subject])]
        if isinstance(meaning, float):
            assert row.score == meaning and pd.isna(row.absence_reason), word
        else:
            assert pd.isna(row.score) and row.absence_reason == meaning, word
    assert not (exams.score == 0).any()


def test_pupils_with_an_absence_word_are_not_ranked(county):
    from liushou_analysis.indicators.ranks import ranked_totals

    _, clean, _ = county
    store = CleanStore(clean)
    totals = ranked_totals(store.table("exams", terms=[sc.TERMS[1]])).set_index("pupil_key").score
    key_of = _keys(store)
    roster = [p for p in sc.pupils() if p["grade"] == 7]
    for (k, _), (word, meaning) in sc.SCORE_WORDS.items():
        total = totals[key_of[roster[k]["no"]]]
        assert pd.notna(total) if isinstance(meaning, float) else pd.isna(total), word
    assert totals.notna().sum() == 148 - 10


def _keys(store) -> dict[str, str]:
    """学号 -> pupil key, from the keyed hash the cleaning uses (the same key and school)."""
    from liushou_analysis.cleaning.pseudonym import pseudonyms

    numbers = [p["no"] for p in sc.pupils()]
    keys = pseudonyms(pd.Series([f"{sc.SCHOOL}|{n}" for n in numbers]), KEY.encode(), "P")
    assert set(keys) == set(store.table("pupils").pupil_key)
    return dict(zip(numbers, keys, strict=True))


# --- money (issue 24, item 6) --------------------------------------------------------------------------------------

def test_head_teachers_are_paid_to_the_fen_half_up_and_the_workbook_speaks_chinese(county, tmp_path):
    """A head teacher is paid the mean points of the class's pupils concerned, one yuan a point: here 530 / 16 =
    33.125 yuan, which pays 33.13 (half-up, where Python's round would give 33.12), and 150 / 9 = 16.666... pays
    16.67. The total is the sum of what each is paid; the audit's rounding row holds the difference."""
    import openpyxl

    _, clean, _ = county
    run = liushou("score", "--data", clean, "--out", tmp_path / "out", "--skip-bad-rows")
    assert run.returncode == 0, run.stderr
    heads = pd.read_csv(tmp_path / "out" / "head_teacher_points.csv", encoding="utf-8-sig").set_index("n_pupils")
    assert heads.loc[16, "points"] == 33.125 and heads.loc[16, "yuan"] == 33.13
    assert heads.loc[9, "points"] == pytest.approx(150 / 9) and heads.loc[9, "yuan"] == 16.67
    assert "head-teacher-years 49.80 yuan" in run.stdout
    audit = pd.read_csv(tmp_path / "out" / "audit.csv", encoding="utf-8-sig")
    rounding = audit[audit.clause == "rounding"].set_index("part")
    assert rounding.loc["head_teachers", "yuan"] == pytest.approx(49.80 - heads.points.sum(), abs=1e-9)
    assert "2 of 3 amounts changed" in rounding.loc["head_teachers", "reason"]
    book = openpyxl.load_workbook(tmp_path / "out" / "reward_points.xlsx")
    assert "班主任奖励" in book.sheetnames and "未计分的行" in book.sheetnames
    sheet = book["班主任奖励"]
    assert [c.value for c in sheet[1]][-1] == "金额（元）"
    assert sorted(row[-1].value for row in sheet.iter_rows(min_row=2)) == [0.0, 16.67, 33.13]
    assert {row[-1].number_format for row in sheet.iter_rows(min_row=2)} == {"#,##0.00"}
    roles = {row[1].value for row in book["帮扶人奖励"].iter_rows(min_row=2)}
    assert {"教师", "村干部", "退休教师", "小老师", "爱心妈妈"} <= roles  # the codebook's words, not the codes


def test_score_words_and_posts_read_the_same_from_html_as_xls_and_gbk_csv(tmp_path):
    """The same words in the other files schools send: an exam table saved as HTML under an .xls name (GBK) and
    a GBK CSV, with grade and class in separate columns, and a pairing list as GBK CSV."""
    from . import schoolfiles as sf

    t = tmp_path / "d" / "2024-2025-1"
    pupils = [(f"90{i:02d}", f"测{i}") for i in range(1, 7)]
    sf.xlsx(t / "东岭中学学生名册.xlsx", ["学号", "姓名", "性别", "年级", "班级"],
            [[no, n, "男", "七年级", "1班"] for no, n in pupils])
    sf.html_as_xls(t / "东岭中学七年级期末成绩.xls", ["学号", "姓名", "年级", "班级", "语文", "数学", "总分"],
                   [[no, n, "七年级", "1班", w, 80, None] for (no, n), w in zip(pupils[:3], ["92分", "免考", "作弊"])])
    sf.csv_file(t / "东岭中学七年级期末成绩（二班补录）.csv", ["学号", "姓名", "年级", "班级", "语文", "数学", "总分"],
                [[no, n, "七年级", "1班", w, 70, None] for (no, n), w in zip(pupils[3:], ["—", "病假", "88.5分"])])
    sf.csv_file(t / "东岭中学结对帮扶名单.csv", ["帮扶人", "职务", "帮扶对象", "班级"],
                [["甲老师", "语文教师", pupils[0][1], "七年级1班"], ["乙同学", "班长", pupils[1][1], "七年级1班"]])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_KEY", KEY)
        manifest = clean_dataset(tmp_path / "d", tmp_path / "o")
    assert manifest["quarantine"]["rows"] == 0 and not manifest["files_not_used"]
    store = CleanStore(tmp_path / "o")
    chinese = store.table("exams").query("subject == 'chinese'")
    assert sorted(chinese.score.dropna()) == [88.5, 92.0]
    assert sorted(chinese.absence_reason.dropna()) == ["exempt", "leave", "no_score", "void"]
    assert sorted(store.table("pairings").helper_role) == ["peer", "teacher"]


# --- disclosure (issue 24, item 4) ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def county_reports(county, tmp_path_factory):
    """The county reported twice (tests/test_disclosure_attack.py says how the attacker reads them), from the
    clean tables the module already made."""
    from .attacker import report_twice

    raw, clean, _ = county
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_KEY", KEY)
        return report_twice(raw, clean, tmp_path_factory.mktemp("attack_hand_made"))


def test_no_hidden_cell_is_recovered_in_the_hand_made_county(county_reports):
    """Before lines were protected as if their totals were known, the attacker looking for each line's total
    anywhere in the report recovered ten cells here: grade 7's 25 paired pupil-years with their own baseline
    (the row's other cell a printed 0) from the 25 left-behind pupils of grade 7 on the care page, and from it
    grade 8's 5 pupils whose baseline lies before the data."""
    from .attacker import check_reports

    check_reports(*county_reports)
