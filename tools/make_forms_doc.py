"""Rewrite the tables of docs/forms.md from the codebook: ``python tools/make_forms_doc.py``.

The prose above the first table is kept; everything from the header-label
table on is regenerated, so the page lists every label the codebook knows
(tests/test_codebook.py checks it does).
"""

from __future__ import annotations

from pathlib import Path

from liushou_analysis.core import codebook

DOC = Path(__file__).resolve().parents[1] / "docs" / "forms.md"
FIRST_TABLE = "| field | header labels | meaning |"
DOMAINS = ["left_behind_type", "helper_role", "yes_no", "care_type", "relation", "family_type", "health",
           "education", "gender", "enrolment_status", "absence"]


def tables() -> str:
    cb = codebook.load_codebook()
    out = [FIRST_TABLE, "|---|---|---|"]
    for code, g in cb[cb.domain == "header"].groupby("code", sort=False):
        labels = "、".join(g.sort_values("preferred", ascending=False, kind="stable").label)
        out.append(f"| `{code}` | {labels} | {g.gloss_en.iloc[0]} |")
    out += ["", "| subject | labels |", "|---|---|"]
    for code, g in cb[cb.domain == "subject"].groupby("code", sort=False):
        out.append(f"| `{code}` | {'、'.join(g.label)} |")
    out += ["", "Values read for the coded fields (the first label is the one the project writes):", ""]
    for domain in DOMAINS:
        d = cb[cb.domain == domain]
        out.append(f"- **{domain}**: " + "; ".join(f"`{c}` = {'、'.join(g.label)}"
                                                   for c, g in d.groupby("code", sort=False)))
    return "\n".join(out)


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    head = text[:text.index(FIRST_TABLE)]
    DOC.write_text(head + tables() + "\n\nThe generator of the synthetic county writes these labels too, so the\n"
                   "sample exercises them.\n", encoding="utf-8")
    print(f"rewrote the tables of {DOC}")
