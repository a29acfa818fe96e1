"""The sample county's realised shares match the calibration targets.

Reference: the targets in liushou_analysis/synth/calibration.py, which come
from docs/domain.md (001 篇10 national figures; 001 篇3 and 004 school
censuses). A realised share passes when it is within 3.29 binomial standard
errors of its target (a two-sided 99.9% band), so a correct generator fails
a given check about once in a thousand seeds, and this seed is fixed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.synth.calibration import PAIRING_EFFECT_SD, Calibration
from liushou_analysis.synth.model import build_county

Z = 3.29
CAL = Calibration()


def within_sampling_error(successes: int, n: int, target: float) -> bool:
    se = np.sqrt(target * (1 - target) / n)
    return abs(successes / n - target) <= Z * se


@pytest.fixture(scope="module")
def hh(truth):
    h = truth["households"].merge(truth["pupils"][["pupil_uid", "school_id"]], on="pupil_uid")
    h["either"] = h.father_away | h.mother_away
    two = h.family_type == "two_parent"
    h["all_away"] = (two & h.father_away & h.mother_away) | ((h.family_type == "single_parent") & h.either)
    return h


def test_sample_size_and_shape(truth):
    meta = truth["meta"]
    assert meta["schools"] == 6 and meta["school_years"] == 2
    assert 3000 <= len(truth["pupils"]) <= 4000
    enr = truth["enrolment"]
    assert set(enr.grade) == {7, 8, 9}
    assert sorted(enr.term.unique()) == ["2023-2024-1", "2023-2024-2", "2024-2025-1", "2024-2025-2"]
    sizes = truth["classes"].class_size
    assert sizes.between(30, 60).all()


def test_grade7_entrants_are_followed_for_two_school_years(truth):
    enr = truth["enrolment"]
    first = enr[(enr.term == "2023-2024-1") & (enr.grade == 7)].pupil_uid
    later = enr[(enr.term == "2024-2025-2") & enr.pupil_uid.isin(first)]
    assert (later.grade == 8).all()
    assert len(later) / len(first) > 0.9  # all but those who transferred out


def test_transfers_and_class_reshuffles_occur(truth):
    p = truth["pupils"]
    assert 0 < p.transferred_in.mean() < 0.1 and 0 < p.transferred_out.mean() < 0.1
    enr = truth["enrolment"]
    y1 = enr[enr.term == "2023-2024-2"].set_index("pupil_uid").class_no
    y2 = enr[enr.term == "2024-2025-1"].set_index("pupil_uid").class_no
    both = y1.index.intersection(y2.index)
    moved = (y1.loc[both] != y2.loc[both]).mean()
    assert 0.1 < moved < 0.9  # some schools re-shuffle, others keep classes


def test_both_parents_away_share_among_left_behind(hh):
    lb = hh[hh.either & (hh.family_type == "two_parent")]
    both = int((lb.father_away & lb.mother_away).sum())
    assert within_sampling_error(both, len(lb), CAL.both_away_share)


@pytest.mark.parametrize("care", list(CAL.care_when_all_away))
def test_care_when_all_parents_are_away(hh, care):
    away = hh[hh.all_away]
    assert within_sampling_error(int((away.care_type == care).sum()), len(away), CAL.care_when_all_away[care])


def test_left_behind_share_differs_by_school_from_16_to_60_percent(hh, truth):
    first_year = hh[hh.year_index == 0]
    target = truth["schools"].set_index("school_id").left_behind_target
    lo, hi = CAL.left_behind_share_range
    assert target.min() == pytest.approx(lo) and target.max() == pytest.approx(hi)
    for school in target.index:
        # single-parent and orphan families dilute the target a little; use the realised
        # share among two-parent families, where the target applies exactly
        two = first_year[(first_year.school_id == school) & (first_year.family_type == "two_parent")]
        assert within_sampling_error(int(two.either.sum()), len(two), target.loc[school]), school


def test_single_parent_orphan_and_unable_to_guard_cases_exist(hh, truth):
    fam = truth["pupils"].family_type.value_counts(normalize=True)
    assert 0.03 < fam["single_parent"] < 0.09 and 0 < fam["orphan"] < 0.02
    one_away = hh[(hh.family_type == "two_parent") & (hh.father_away ^ hh.mother_away)]
    assert within_sampling_error(int(one_away.parent_unable_to_guard.sum()), len(one_away),
                                 CAL.unable_to_guard_share)
    away_months = pd.concat([hh.father_months_away[hh.father_away], hh.mother_months_away[hh.mother_away]])
    assert within_sampling_error(int((away_months < 3).sum()), len(away_months), CAL.short_absence_share)


def test_teachers_and_boarding_care_for_some(hh):
    assert (hh.care_type == "teacher_school").sum() > 5
    assert set(hh.guardian_relation[hh.care_type == "teacher_school"]) == {"teacher"}


def test_test_reliability_is_about_0_8(truth):
    tot = truth["exams"][(truth["exams"].subject == "total") & truth["exams"].ranked]
    d = tot.merge(truth["abilities"], on=["pupil_uid", "term_index"]).merge(
        truth["enrolment"][["pupil_uid", "term_index", "grade"]], on=["pupil_uid", "term_index"])
    r2 = d.groupby(["term_index", "grade"]).apply(lambda g: np.corrcoef(g.ability, g.score)[0, 1] ** 2,
                                                  include_groups=False)
    assert r2.mean() == pytest.approx(CAL.test_reliability, abs=0.03)


def test_both_parents_away_lowers_ability_by_the_planted_penalty(truth, hh):
    """Before any pairing (first term), migration is independent of base
    ability, so the mean difference estimates the planted penalty."""
    ab = truth["abilities"][truth["abilities"].term_index == 0]
    d = ab.merge(hh[hh.year_index == 0][["pupil_uid", "all_away"]], on="pupil_uid")
    diff = d.ability[d.all_away].mean() - d.ability[~d.all_away].mean()
    se = np.sqrt(d.ability[d.all_away].var() / d.all_away.sum() + d.ability[~d.all_away].var() / (~d.all_away).sum())
    assert abs(diff + CAL.both_away_penalty_sd) < Z * se


def test_pairing_selects_weaker_and_left_behind_pupils(truth, hh):
    p = truth["pairings"]
    first = p.groupby("pupil_uid").start_term.min()
    tot = truth["exams"][truth["exams"].subject == "total"]
    enr = truth["enrolment"]
    prev = tot.merge(enr[["pupil_uid", "term_index", "school_id", "grade"]], on=["pupil_uid", "term_index"])
    prev["z"] = prev.groupby(["term_index", "school_id", "grade"]).score.transform(lambda s: (s - s.mean()) / s.std())
    at_launch = prev[prev.term_index == 0].set_index("pupil_uid")
    paired_then = first[first == 1].index.intersection(at_launch.index)
    assert at_launch.z.loc[paired_then].mean() < -0.3
    lb = hh[hh.year_index == 0].set_index("pupil_uid").either
    assert lb.loc[paired_then].mean() > lb.mean() + 0.2


def test_helpers_have_the_stated_shapes(truth):
    p, helpers = truth["pairings"], truth["helpers"]
    assert set(helpers.helper_type) == set(PAIRING_EFFECT_SD)
    per_teacher = p[p.helper_type == "teacher"].groupby("helper_id").size()
    assert per_teacher.between(2, 3).all()
    assert (p.start_term == 3).sum() > 0 and (p.start_term == 1).sum() > 0  # later pairings exist too


def test_truth_holds_the_planted_effects(truth):
    effects = truth["meta"]["planted_effects"]["pairing_effect_sd_per_semester"]
    assert effects == PAIRING_EFFECT_SD
    assert sorted(v for v in effects.values() if v == 0) == [0.0]  # exactly one type with no effect
    assert all(v > 0 for k, v in effects.items() if k != "volunteer")


def test_pairing_gain_in_ability_equals_the_planted_effects(truth):
    """Recompute each pupil's accumulated gain from the pairings table."""
    p = truth["pairings"]
    ab = truth["abilities"]
    d = ab.merge(p[["pupil_uid", "start_term", "effect_sd"]], on="pupil_uid", how="left")
    semesters = (d.term_index - d.start_term + 1).clip(lower=0).fillna(0)
    expected = (semesters * d.effect_sd.fillna(0)).groupby([d.pupil_uid, d.term_index]).sum()
    got = ab.set_index(["pupil_uid", "term_index"]).pairing_gain
    assert np.allclose(got.loc[expected.index], expected, atol=1e-9)


def test_conduct_rates(truth):
    c = truth["conduct"]
    assert within_sampling_error(int(c.serious_violation.sum()), len(c), CAL.serious_violation_rate)
    assert c.three_good.mean() == pytest.approx(CAL.three_good_share, abs=0.02)
    assert 0 < c.record_missing.mean() < 0.05


def test_build_county_is_deterministic_and_seed_sensitive():
    a = build_county(3, 2, 2)
    b = build_county(3, 2, 2)
    c = build_county(4, 2, 2)
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], obj=name)
    assert not a.pupils.ability_base.equals(c.pupils.ability_base)
