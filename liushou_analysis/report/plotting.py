"""Figures labelled in Chinese (or English, for ``--lang en``), on any machine.

The package ships a subset of Noto Sans CJK SC (``fonts/``, SIL Open Font
License 1.1; see ``fonts/OFL.txt`` and ``tools/make_font_subset.py``).
:func:`use_cjk_font` registers it with matplotlib and makes it the first
sans-serif font, so Chinese labels render without any system font. Call it
once before drawing (the notebooks do, through :func:`setup`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib import font_manager

FONT_FILE = Path(__file__).with_name("fonts") / "LiushouSansSC-Regular.otf"
#: The text matplotlib warns with when a character has no glyph in the font.
MISSING_GLYPH = "missing from font"


def use_cjk_font() -> str:
    """Register the bundled CJK font and put it first; returns its family name."""
    font_manager.fontManager.addfont(str(FONT_FILE))
    family = font_manager.FontProperties(fname=str(FONT_FILE)).get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    return family


#: The language figure labels are written in ("zh" or "en"), set by :func:`setup`.
LANG = "zh"


def setup(lang: str = "zh") -> str:
    """Seaborn's plain theme with the CJK font, labels in ``lang``; returns the font's family name."""
    global LANG
    LANG = lang
    sns.set_theme(style="whitegrid", context="notebook")
    family = use_cjk_font()
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 110
    matplotlib.rcParams["savefig.bbox"] = "tight"
    return family


def label(zh: str, en: str) -> str:
    """A figure's words in the report's language: Chinese unless :func:`setup` was given "en".

    >>> label("留守儿童", "left-behind")
    '留守儿童'
    """
    return en if LANG == "en" else zh


def words(values, column: str):
    """Values for a chart's axis or legend in the report's language (codes and bilingual labels in Chinese)."""
    import pandas as pd

    from liushou_analysis.report.labels import column_label, display_values

    if column == "column":  # the values are column names (a melted table)
        return [column_label(str(v), LANG) for v in values]
    return display_values(pd.Series(values), column, LANG).tolist()


def legend_title(ax, zh: str, en: str) -> None:
    """Name a chart's legend in the report's language (seaborn titles it with the column's machine name)."""
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title(label(zh, en))


def new_figure(width: float = 7.5, height: float = 4.2, ncols: int = 1):
    """A figure with ``ncols`` axes side by side."""
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    return fig, axes[0] if ncols > 1 else axes[0, 0]
