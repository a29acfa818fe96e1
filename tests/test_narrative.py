"""The "what this means" texts are written from the numbers passed in:
change the numbers and the text changes with them (hand-made tables).
Pages speak Chinese by default; ``lang="en"`` gives the English texts,
checked here phrase by phrase as before."""

import numpy as np
import pandas as pd

from liushou_analysis.report import narrative


def estimates(placebo_high: float) -> pd.DataFrame:
    return pd.DataFrame({"quantity": ["naive", "ancova", "ipw", "did", "placebo"],
                         "estimate": [8.7, 5.9, 6.5, 10.2, placebo_high - 4],
                         "ci_low": [5.1, 2.7, 3.1, 6.0, placebo_high - 8],
                         "ci_high": [12.3, 9.1, 9.9, 14.4, placebo_high]})


def selection(paired: float) -> pd.DataFrame:
    return pd.DataFrame({"group": ["paired", "unpaired"], "base_percentile": [paired, 53.4]})


def test_pairing_text_follows_the_numbers():
    dip = narrative.pairing(estimates(-2.0), selection(36.3), truth=2.7, lang="en")
    assert "36.3" in dip and "weak pupils" in dip and "a dip" in dip and "5.9" in dip and "2.7" in dip
    flat = narrative.pairing(estimates(3.0), selection(52.0), truth=None, lang="en")
    assert "about the same place" in flat and "near zero" in flat and "planted" not in flat
    dip = narrative.pairing(estimates(-2.0), selection(36.3), truth=2.7)
    assert "36.3" in dip and "成绩弱的学生" in dip and "先下滑" in dip and "5.9" in dip and "植入的真实效应为2.7" in dip
    flat = narrative.pairing(estimates(3.0), selection(52.0), truth=None)
    assert "大致相同" in flat and "接近零" in flat and "植入" not in flat


def test_pairing_text_when_nothing_is_estimable():
    e = estimates(1.0)
    e.loc[e.quantity == "ancova", "estimate"] = np.nan
    assert "no effect is estimated" in narrative.pairing(e, selection(40.0), None, lang="en")
    assert "不估计结对效应" in narrative.pairing(e, selection(40.0), None)


def test_reward_text_follows_the_numbers():
    summary = pd.Series({"school_year": 2, "helpers_yuan": 37270.0, "head_teachers_yuan": 2562.4,
                         "awards_yuan": 4935.0, "total_yuan": 44767.4})
    cost = pd.DataFrame({"choice": ["(rules as given)", "top5_scope"], "value": ["", "grade"],
                         "change_pct": [0.0, -12.5]})
    rules = pd.DataFrame({"scenario": "no effect", "rule": ["plan", "plan", "pay_for_percentile",
                                                            "pay_for_percentile"],
                          "yuan_per_pupil": [43.0, 13.0, 37.0, 38.0]})
    bands = pd.DataFrame({"base_band": ["0-20", "80-100"], "expected_rank_yuan": [42.9, 12.6]})
    for share, word, zh in ((0.76, "most", "大部分"), (0.3, "a large part", "很大一部分"), (0.1, "a small part", "一小部分")):
        null = pd.DataFrame({"chance_share_of_rank_yuan": [share]})
        text = narrative.reward(summary, cost, null, rules, bands, lang="en")
        assert f"{round(100 * share)}%" in text and f"{word} of what" in text
        chinese = narrative.reward(summary, cost, null, rules, bands)
        assert f"{round(100 * share)}%" in chinese and f"公式所奖励的{zh}来自偶然" in chinese
    assert "44,767" in text and "top5_scope" in text and "-12.5%" in text and "30 yuan" in text and "43 yuan" in text
    assert "合计44,767元" in chinese and "top5_scope" in chinese and "相差30元" in chinese and "42.9" not in chinese


def test_reward_text_when_the_no_effect_replay_is_suppressed():
    """A school year of few paired pupils has its replay hidden: the text says nothing of it, and prints no NaN."""
    summary = pd.Series({"school_year": 1, "helpers_yuan": 290.0, "head_teachers_yuan": 30.0,
                         "awards_yuan": 0.0, "total_yuan": 320.0})
    cost = pd.DataFrame({"choice": ["(rules as given)"], "value": [""], "change_pct": [0.0]})
    rules = pd.DataFrame(columns=["scenario", "rule", "yuan_per_pupil"])
    bands = pd.DataFrame(columns=["base_band", "expected_rank_yuan"])
    null = pd.DataFrame({"chance_share_of_rank_yuan": [np.nan]})
    for lang in ("zh", "en"):
        text = narrative.reward(summary, cost, null, rules, bands, lang=lang)
        assert "320" in text and "nan" not in text.lower() and "%" not in text


def test_the_opening_names_the_definition_in_words():
    ctx = {"dataset": "县", "synthetic": False, "term": "2024-2025-2", "min_cell": 10}
    zh = narrative.opening("01 监护情况", "……", {**ctx, "lang": "zh"}, "strict_both_3m")
    assert "**学期：** 2024-2025-2" in zh and "父母双方外出3个月以上（`strict_both_3m`" in zh and "少于10人" in zh
    en = narrative.opening("01 Care", "...", {**ctx, "lang": "en"}, "strict_both_3m")
    assert "**Term:** 2024-2025-2" in en and "`strict_both_3m`" in en and "under 10 pupils" in en
