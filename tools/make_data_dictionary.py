"""Write docs/data-dictionary.md from the clean-table schemas and the codebook.

Run ``python tools/make_data_dictionary.py`` after changing a schema or the codebook.
"""

from pathlib import Path

from liushou_analysis.cleaning.schemas import data_dictionary

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"

if __name__ == "__main__":
    DOC.write_text(data_dictionary(), encoding="utf-8")
    print(f"wrote {DOC}")
