"""Generated personal data has the real formats."""

import numpy as np
import pandas as pd

from liushou_analysis.synth import people


def test_id_check_digit_matches_the_standard_example():
    # GB 11643-1999 gives 11010519491231002X as a worked example.
    assert people.id_check_digit(np.array(["11010519491231002"]))[0] == "X"


def test_id_numbers_encode_birth_date_and_gender():
    rng = np.random.default_rng(1)
    births = pd.Series(pd.to_datetime(["2011-03-05", "2010-12-31"]))
    ids = people.id_numbers(rng, births, np.array([True, False]))
    assert [s[6:14] for s in ids] == ["20110305", "20101231"]
    assert int(ids[0][16]) % 2 == 1 and int(ids[1][16]) % 2 == 0
    assert all(people.id_check_digit(np.array([s[:17]]))[0] == s[17] for s in ids)
    assert all(s.startswith(people.AREA_CODE) for s in ids)


def test_phones_names_and_places():
    rng = np.random.default_rng(2)
    phones = people.phone_numbers(rng, 500)
    assert all(len(p) == 11 and p[0] == "1" and p[1] in "3456789" for p in phones)
    names = people.person_names(rng, 500, rare_rate=0.5)
    assert all(2 <= len(n) <= 3 for n in names)
    assert any(any(ch in people.RARE_CHARS for ch in n) for n in names)
    towns = people.place_names(rng, 200, "镇")
    assert len(set(towns)) == 200
