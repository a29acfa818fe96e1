"""Generated personal data: names, phone numbers, ID numbers, addresses, dates.

Everything here is made up by a seeded random generator. It looks like the
personal data a school archive holds (docs/domain.md section 5) so that the
cleaning pipeline can be tested on realistic strings, but it belongs to
nobody. ID numbers use the fictional area code :data:`AREA_CODE`.

All functions are vectorised: they take a ``numpy.random.Generator`` and a
count, and return numpy arrays of strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Fictional six-digit area code for generated resident ID numbers.
AREA_CODE = "439901"

# Common surnames with rough frequency weights (the top of the national list).
_SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田"
                          "董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方"
                          "白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"))
_SURNAME_WEIGHTS = 1.0 / np.sqrt(np.arange(1, len(_SURNAMES) + 1))
_SURNAME_WEIGHTS /= _SURNAME_WEIGHTS.sum()

_GIVEN_CHARS = np.array(list(
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志成"
    "思雨欣怡梓涵子轩浩宇嘉文博俊晨阳一诺佳琪雅婷紫萱诗晴宏宁海燕春梅"
    "家豪天佑雪晓彤语梦瑶雯婧鑫鸿飞宸睿泽昊然铭瀚凯乐心悦"
))
#: Characters outside GBK but inside GB18030: a few real given names use them,
#: and a GBK export cannot hold them.
RARE_CHARS = np.array(list("䶮㛃䲜"))

_MOBILE_PREFIXES = np.array(
    ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
     "152", "155", "156", "157", "158", "159", "170", "177", "180", "181", "182",
     "183", "185", "186", "187", "188", "189", "191", "198", "199"]
)

_PLACE_SYLLABLES = np.array(list("青石柳溪桃源白沙龙泉枫林清河双峰黄土金竹马鞍高桥新田长岭杨梅平安大坪莲花塘湾岗"))
_VILLAGE_WORDS = np.array(list("东南西北上下中前后新老大小"))

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def _join(*parts: np.ndarray) -> np.ndarray:
    """Element-wise string concatenation of equally long arrays."""
    out = pd.Series(parts[0], dtype=object).astype(str)
    for part in parts[1:]:
        out = out + pd.Series(part, dtype=object).astype(str).to_numpy()
    return out.to_numpy(dtype=object)


def person_names(rng: np.random.Generator, n: int, surnames: np.ndarray | None = None,
                 rare_rate: float = 0.0) -> np.ndarray:
    """Chinese names: a surname and one or two given-name characters.

    ``surnames`` forces the family name (a child shares the father's);
    ``rare_rate`` is the share of names that use a character outside GBK.
    """
    if surnames is None:
        surnames = rng.choice(_SURNAMES, size=n, p=_SURNAME_WEIGHTS)
    first = rng.choice(_GIVEN_CHARS, size=n)
    second = np.where(rng.random(n) < 0.7, rng.choice(_GIVEN_CHARS, size=n), "")
    rare = rng.random(n) < rare_rate
    first = np.where(rare, rng.choice(RARE_CHARS, size=n), first)
    return _join(surnames, first, second)


def surnames_of(names: np.ndarray) -> np.ndarray:
    """The one-character surname of each generated name."""
    return pd.Series(names, dtype=object).str[0].to_numpy(dtype=object)


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Eleven-digit mobile numbers (1[3-9]x xxxx xxxx)."""
    prefix = rng.choice(_MOBILE_PREFIXES, size=n)
    rest = rng.integers(0, 10**8, size=n)
    return _join(prefix, np.char.zfill(rest.astype(str), 8))


def place_names(rng: np.random.Generator, n: int, suffix: str) -> np.ndarray:
    """Unique two-syllable place names with a suffix (镇, 乡, 村 ...)."""
    pairs = np.array([a + b for a in _PLACE_SYLLABLES for b in _PLACE_SYLLABLES if a != b])
    if n > len(pairs):
        raise ValueError(f"cannot make {n} distinct place names")
    return np.array([p + suffix for p in rng.choice(pairs, size=n, replace=False)], dtype=object)


def addresses(rng: np.random.Generator, towns: np.ndarray) -> np.ndarray:
    """Home addresses in a town: village, group (组) and house number."""
    n = len(towns)
    village = _join(rng.choice(_VILLAGE_WORDS, size=n), rng.choice(_PLACE_SYLLABLES, size=n))
    group = rng.integers(1, 13, size=n).astype(str)
    house = rng.integers(1, 80, size=n).astype(str)
    return _join(towns, village, np.full(n, "村"), group, np.full(n, "组"), house, np.full(n, "号"))


def id_check_digit(first17: np.ndarray) -> np.ndarray:
    """GB 11643-1999 check character for 17-digit strings (ISO 7064 MOD 11-2)."""
    digits = np.array([list(s) for s in first17], dtype=np.int64).reshape(len(first17), 17)
    return _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]


def id_numbers(rng: np.random.Generator, birth_dates: pd.Series, male: np.ndarray) -> np.ndarray:
    """Valid 18-digit resident ID numbers for the given birth dates and genders.

    The 17th digit is odd for males and even for females; the last character
    is the check character.
    """
    n = len(birth_dates)
    seq = rng.integers(0, 50, size=n) * 2 + np.where(male, 1, 0)  # 0..99, parity = gender
    seq3 = rng.integers(0, 10, size=n) * 100 + seq
    body = _join(np.full(n, AREA_CODE), pd.to_datetime(birth_dates).dt.strftime("%Y%m%d").to_numpy(),
                 np.char.zfill(seq3.astype(str), 3))
    return _join(body, id_check_digit(body))
