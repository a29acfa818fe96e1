"""Rebuild the CJK font subset the package ships (liushou_analysis/report/fonts/).

The figures are labelled in Chinese. So that they render on a machine with no
Chinese fonts installed, the package carries a subset of Noto Sans CJK SC
(SIL Open Font License 1.1): ASCII, Latin-1, general and CJK punctuation,
full-width forms, every hanzi of GB 2312 (6,763 characters, which covers
nearly all school and place names) and any other character in the codebook.

Usage (a maintainer's step, not part of the build; fontTools comes with
matplotlib):

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb x
    python tools/make_font_subset.py x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "liushou_analysis" / "report" / "fonts" / "LiushouSansSC-Regular.otf"
FAMILY = "Liushou Sans SC"


def gb2312_hanzi() -> set[int]:
    chars = set()
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return chars


def wanted() -> set[int]:
    ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2190, 0x21FF), (0x2200, 0x22FF),
              (0x3000, 0x303F), (0xFF00, 0xFFEF)]
    chars = {c for lo, hi in ranges for c in range(lo, hi + 1)} | gb2312_hanzi()
    extra = (ROOT / "liushou_analysis" / "data" / "codebook.csv").read_text(encoding="utf-8")
    return chars | {ord(c) for c in extra if ord(c) > 0x2E80}


def main(ttc: str) -> None:
    collection = TTCollection(ttc)
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    options = subset.Options()
    options.layout_features = []  # figures and pages need no OpenType layout (it also held digit-like byte runs)
    options.drop_tables += ["GSUB", "GPOS", "BASE", "VORG", "vhea", "vmtx"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted())
    subsetter.subset(font)
    for record in font["name"].names:  # a modified font gets its own name (OFL 1.1, condition 3 spirit)
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID == 4:
            record.string = f"{FAMILY} Regular"
        elif record.nameID == 6:
            record.string = "LiushouSansSC-Regular"
    font["CFF "].cff.fontNames = ["LiushouSansSC-Regular"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    print(f"Wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB, {len(font.getBestCmap())} characters).")


if __name__ == "__main__":
    main(sys.argv[1])
