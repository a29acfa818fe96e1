"""The term report (report/runner.py, notebooks/, `liushou report`).

Every notebook is executed on the bundled sample's latest term and on a
second, differently seeded small synthetic county (2 schools, 1 school
year, starting 2025). The checks: the run finishes with every page,
figure, table and the payout workbook; no cell errors; no figure drew a
character its font lacks; no personal data of the children (names, ID
numbers, phone numbers, from the synthetic truth) appears in any output;
published counts of pupils are never 1 to 9; the pages open in headless
Chromium with every image loaded and every Chinese heading drawn with the
bundled font.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from liushou_analysis.cli import main
from liushou_analysis.core import config
from liushou_analysis.core.codebook import load_codebook
from liushou_analysis.core.errors import UserError
from liushou_analysis.report import plotting
from liushou_analysis.report.runner import NotebookFailed, run_report, stale_reason
from liushou_analysis.synth.generate import synthesize

from . import schoolfiles as sf

PAGES = ["00_data_quality", "01_care_arrangements", "02_pairing_and_rank", "03_reward_points"]


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory, sample_dir, sample_clean):
    clean, manifest = sample_clean
    out = tmp_path_factory.mktemp("report") / "sample"
    run_report(sample_dir, clean_dir=clean, out_dir=out, progress=lambda m: None)
    return out, sample_dir


#: Names an attacker (or an unlucky typist) puts in a school's files: a school, a column header and a file name
#: that run script in a browser if a page does not escape them, and start like a spreadsheet formula.
HOSTILE_SCHOOL = '=HYPERLINK("http://evil.example","点击")<img src=x onerror=alert(1)>中学'
HOSTILE_COLUMN = "<script>alert(2)</script>备注"
HOSTILE_FILE = "<img src=x onerror=alert(3)>.xlsx"


def _make_hostile(raw: Path) -> None:
    """One school renamed to HOSTILE_SCHOOL through liushou.toml, a hostile unknown column in one school
    workbook and in the questionnaire, and an unusable file with a hostile name."""
    import openpyxl

    terms = sorted(p for p in raw.iterdir() if p.name[:4].isdigit())
    school = sorted(terms[0].glob("*_*.xlsx"))[0].name.split("_")[0]  # a school named by its files' prefix
    term = terms[-1]  # the report's term: its data-quality page lists unknown columns and unusable files
    books = sorted(term.rglob("*.xlsx"))
    form = next(b for b in books if "问卷" not in b.name)
    survey = next(b for b in books if "问卷" in b.name)
    (raw / "liushou.toml").write_text(f"[school_aliases]\n'{HOSTILE_SCHOOL}' = ['{school}']\n", encoding="utf-8")
    for book in (form, survey):
        wb = openpyxl.load_workbook(book)
        ws = wb.worksheets[0]
        header = next(r for r in range(1, 6) if sum(c.value is not None for c in ws[r]) >= 3)
        ws.cell(header, ws.max_column + 1, HOSTILE_COLUMN)
        wb.save(book)
    (term / HOSTILE_FILE).write_bytes(b"PK\x03\x04 not really a workbook")


@pytest.fixture(scope="session")
def small_county_report(tmp_path_factory):
    """A small synthetic county made hostile (see _make_hostile); the changed files void the generator's
    signature, so it is cleaned with a key of its own, as real data is."""
    base = tmp_path_factory.mktemp("county")
    raw = base / "raw" / "county7"
    synthesize(raw, seed=7, n_schools=2, n_years=1, start_year=2025)
    _make_hostile(raw)
    out = base / "report"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_KEY", "hostile-county-test-key-0123456789")
        run_report(raw, clean_dir=base / "clean", out_dir=out, progress=lambda m: None, allow_incomplete=True)
    return out, raw


@pytest.fixture(scope="session", params=["sample", "small_county"])
def report(request):
    return request.getfixturevalue(f"{request.param}_report")


def test_every_page_figure_table_and_the_workbook(report):
    out, raw = report
    # a county whose last term holds a questionnaire (the synthetic ones, with questionnaire.toml) has its page too
    pages = PAGES + (["04_questionnaire"] if (raw / "questionnaire.toml").exists() else [])
    for page in pages:
        assert (out / f"{page}.html").stat().st_size > 10_000
        assert (out / "notebooks" / f"{page}.ipynb").exists()
    assert (out / "index.html").exists() and (out / "payouts.xlsx").exists()
    figures = {p.stem.split("-")[0] for p in (out / "figures").glob("*.png")}
    assert figures == set(pages), "every notebook publishes at least one figure"
    assert len(list((out / "tables").glob("*.csv"))) >= 20
    payouts = pd.ExcelFile(out / "payouts.xlsx", engine="openpyxl").sheet_names
    assert {"帮扶人奖励", "班主任奖励", "学生积分", "审计记录"} <= set(payouts)  # the school's workbook speaks Chinese


def test_no_cell_errors_and_no_missing_glyphs(report):
    out, _ = report
    for page in PAGES:
        nb = nbformat.read(out / "notebooks" / f"{page}.ipynb", as_version=4)
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                assert o.output_type != "error", f"{page}: {o.get('ename')}: {o.get('evalue')}"
                assert plotting.MISSING_GLYPH not in o.get("text", ""), f"{page}: {o.get('text')}"
                assert o.get("name") != "stderr", f"{page} printed a warning: {o.get('text', '')[:300]}"
        html = (out / f"{page}.html").read_text(encoding="utf-8")
        assert plotting.MISSING_GLYPH not in html
        assert "def " not in html and "import " not in html, "pages carry no code"


def test_each_page_opens_with_its_term_and_ends_with_generated_text(report):
    out, raw = report
    term = sorted(p.name for p in raw.iterdir() if p.is_dir() and not p.name.startswith("_"))[-1]
    for page in PAGES:
        nb = nbformat.read(out / "notebooks" / f"{page}.ipynb", as_version=4)
        texts = ["".join(o.get("data", {}).get("text/markdown", "") for o in c.outputs)
                 for c in nb.cells if c.cell_type == "code"]
        texts = [t for t in texts if t]
        assert f"**学期：** {term}" in texts[0], page  # Chinese first (--lang en: **Term:**)
        last = texts[-1]
        width = sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in last)  # a Chinese character says about two letters' worth
        assert width > 150 and any(ch.isdigit() for ch in last), f"{page}: {last!r}"


def test_no_personal_data_in_any_output(report):
    """Names of three or more characters, ID numbers and phone numbers of
    the synthetic children and guardians (two-character names also occur
    inside ordinary words, so they are not searched)."""
    out, raw = report
    truth = raw / "_truth"
    pupils = pd.read_parquet(truth / "pupils.parquet")
    households = pd.read_parquet(truth / "households.parquet")
    names = {n for n in pupils.name.astype(str) if len(n) >= 3}
    names |= {n for n in households.get("guardian_name", pd.Series(dtype=str)).dropna().astype(str) if len(n) >= 3}
    numbers = set(pupils.id_number.astype(str)) | set(pupils.family_phone.astype(str))
    numbers |= {str(v) for c in ("guardian_phone", "father_phone", "mother_phone") if c in households
                for v in households[c].dropna() if str(v)}
    for path in out.rglob("*"):
        if path.suffix not in (".html", ".csv", ".ipynb"):
            continue
        text = path.read_text(encoding="utf-8-sig")
        runs = re.findall(r"[\u4e00-\u9fff]{3,}", text)
        grams = {run[i:i + n] for run in runs for n in (3, 4) for i in range(len(run) - n + 1)}
        tokens = set(re.findall(r"[0-9Xx]{7,}", text))
        hits = sorted(grams & names) + sorted(tokens & numbers)
        assert not hits, f"{path.name} contains personal data such as {hits[0]!r}"


def test_published_counts_are_never_small(report):
    """Every column a notebook declares as a count of pupils (tables/<notebook>.counts.json, written by
    Publisher.table, which refuses a table without a declaration) shows no count from 1 to 9."""
    out, _ = report
    declared = {f"{path.name.split('.')[0]}-{name}": cols for path in (out / "tables").glob("*.counts.json")
                for name, cols in json.loads(path.read_text(encoding="utf-8")).items()}
    tables = {path.stem: path for path in (out / "tables").glob("*.csv")}
    assert set(tables) == set(declared), "every published table declares its count columns"
    checked = 0
    for stem, path in tables.items():
        t = pd.read_csv(path)
        for col in declared[stem]:
            values = pd.to_numeric(t[col], errors="coerce")
            small = values[(values > 0) & (values < 10)]
            assert small.empty, f"{path.name} column {col} shows {small.tolist()}"
            checked += 1
    assert checked >= 20


def test_the_cjk_font_covers_every_label():
    """Negative control first: DejaVu alone warns, so the check can fail."""
    import matplotlib
    import matplotlib.pyplot as plt

    from liushou_analysis.report.labels import REPORT_COLUMNS, REPORT_VALUES

    report = Path(plotting.__file__).parent  # the Chinese the pages write: notebooks, narrative, index
    sources = [*config.NOTEBOOKS.glob("*.py"), *report.glob("*.py")]
    assert len(sources) > 4
    written = "".join(p.read_text(encoding="utf-8") for p in sources)
    text = ("".join(load_codebook().astype(str).stack()) + "".join(REPORT_COLUMNS.values())
            + "".join(v for words in REPORT_VALUES.values() for v in words.values()) + written
            + "土高镇中学塘土镇安大镇新鞍镇柳双镇青马镇 合计 —")
    with matplotlib.rc_context({"font.family": "DejaVu Sans"}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("留守儿童")
        fig.canvas.draw()
        plt.close(fig)
    assert any(plotting.MISSING_GLYPH in str(w.message) for w in caught)
    with matplotlib.rc_context():
        plotting.setup()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig, ax = plt.subplots()
            cjk = "".join(ch for ch in text if ord(ch) > 0x2E80)
            for i in range(0, len(cjk), 40):
                ax.text(0, i, cjk[i:i + 40])
            fig.canvas.draw()
            plt.close(fig)
    assert not [w for w in caught if plotting.MISSING_GLYPH in str(w.message)]


def test_failing_notebook_names_the_cell_and_error(tmp_path, sample_dir, sample_clean):
    clean, _ = sample_clean
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    (nbdir / "00_broken.py").write_text(
        "# %% tags=[\"parameters\"]\ndataset = None\nterm = None\nraw_dir = None\nclean_dir = None\n"
        "report_dir = None\nmin_cell = 10\n\n# %%\nx = 1\n\n# %%\nraise ValueError('planted failure')\n",
        encoding="utf-8")
    named = r"00_broken failed in cell \[\d+\] \(.raise ValueError.*with ValueError: planted failure"
    with pytest.raises(NotebookFailed, match=named):
        run_report(sample_dir, clean_dir=clean, out_dir=tmp_path / "out", notebooks=nbdir, progress=lambda m: None)


def test_cli_report_reports_user_mistakes_in_one_sentence(capsys, tmp_path):
    assert main(["report", "--data", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "is not a folder" in err and "Traceback" not in err
    assert main(["report", "--data", str(config.raw_dir("sample")), "--term", "2024-25-1"]) == 2
    assert "is not a term id" in capsys.readouterr().err


def test_stale_clean_tables_are_detected(tmp_path, sample_dir, sample_clean):
    clean, _ = sample_clean
    assert stale_reason(sample_dir, clean) is None
    raw = tmp_path / "raw"
    shutil.copytree(sample_dir, raw, ignore=shutil.ignore_patterns("_truth"))
    copy = tmp_path / "clean"
    shutil.copytree(clean, copy)
    assert stale_reason(raw, copy) is None
    victim = sorted(raw.glob("2024-2025-2/*.csv"))[0]
    victim.write_bytes(victim.read_bytes() + b"\n")
    assert "changed" in stale_reason(raw, copy)
    victim.unlink()
    assert "added or removed" in stale_reason(raw, copy)
    assert "no clean tables" in stale_reason(raw, tmp_path / "empty")
    # folder litter does not make the tables stale; the dataset's settings do
    shutil.copy(sample_dir / victim.relative_to(raw), victim)
    (raw / "2024-2025-2" / "Thumbs.db").write_bytes(b"\0")
    (raw / "2024-2025-2" / "~$学生名册.xlsx").write_bytes(b"\0")
    assert stale_reason(raw, copy) is None
    (raw / "liushou.toml").write_text('[labels.relation]\n"干妈" = "friend_neighbour"\n', encoding="utf-8")
    assert stale_reason(raw, copy) is not None


def _browser():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium; elsewhere "
                    "run: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    return path, sync_playwright


def _count_columns(out: Path) -> dict[str, set[str]]:
    """Per table id on the pages, the headers of its columns that count pupils, as the page names them."""
    from liushou_analysis.report.labels import for_display

    found = {}
    for path in (out / "tables").glob("*.counts.json"):
        notebook = path.name.split(".")[0]
        for name, cols in json.loads(path.read_text(encoding="utf-8")).items():
            if name == "late":
                continue
            table = pd.read_csv(out / "tables" / f"{notebook}-{name}.csv", nrows=0)
            shown = dict(zip(table.columns, for_display(table).columns))
            found[f"{notebook}-{name}"] = {shown[c] for c in cols} | {for_display(table[[c]]).columns[0] for c in cols}
    return found


def test_every_page_renders_in_a_browser_in_chinese_with_counts_as_integers(sample_report, tmp_path):
    """Chromium opens the index and every page: a screenshot of each is drawn (not blank); every image loads;
    the headings, paragraphs and table headers are Chinese, each CJK character drawn with the bundled font
    (the font in use per node, from Chromium's DevTools protocol), never as a missing glyph; and no cell of a
    column that counts pupils is printed as a float (54.000, 90.0)."""
    from PIL import Image

    out, _ = sample_report
    counts = _count_columns(out)
    path, sync_playwright = _browser()
    whole = re.compile(r"^(—|-?\d{1,3}(,\d{3})*)$")
    assert whole.match("1,502") and whole.match("—") and not whole.match("54.000") and not whole.match("90.0")
    seen = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        for name in ["index.html", *(f"{p}.html" for p in PAGES)]:
            page.goto((out / name).as_uri(), wait_until="load")
            shot = tmp_path / f"{name}.png"
            page.screenshot(path=str(shot))  # the first screen: the title, the opening and the first table
            pixels = Image.open(shot).convert("L")
            assert pixels.getextrema()[0] < 100 and shot.stat().st_size > 20_000, f"{name}: a blank screenshot"
            images = page.evaluate("Array.from(document.images).map(i => [i.src.slice(0, 80), "
                                   "i.complete && i.naturalWidth > 0])")
            assert len(images) >= (4 if name in ("index.html", "02_pairing_and_rank.html") else 1), name
            broken = [src for src, ok in images if not ok]
            assert not broken, f"{name}: images that did not load: {broken}"
            cdp = page.context.new_cdp_session(page)
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
            checked = {"h1": 0, "h2": 0, "p": 0, "th": 0}
            for selector in checked:
                for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"][:15]:
                    text = re.sub(r"<[^>]+>", "", cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"])
                    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
                    if not cjk:
                        continue
                    fonts = {f["familyName"]: f["glyphCount"] for f in
                             cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
                    assert fonts.get("Liushou Sans SC", 0) >= cjk, f"{name}: {text[:80]} drawn with {fonts}"
                    checked[selector] += 1
            assert checked["h1"] + checked["h2"] >= 2 and checked["p"] >= 1, f"{name}: {checked}"
            tables = page.evaluate("""Array.from(document.querySelectorAll('table[id^="T_"]')).map(t => [
                t.id.slice(2), Array.from(t.querySelectorAll('thead th')).map(h => h.innerText.trim()),
                Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.querySelectorAll('td'))
                    .map(d => d.innerText.trim()))])""")
            for table_id, headers, rows in tables:
                for j, header in enumerate(headers):
                    if header not in counts.get(table_id, ()):
                        continue
                    bad = [row[j] for row in rows if j < len(row) and not whole.match(row[j])]
                    assert not bad, f"{name} {table_id} {header}: {bad[:5]}"
                    seen += len(rows)
        browser.close()
    assert seen >= 100, f"only {seen} count cells were found on the pages"


def test_same_inputs_same_report_byte_for_byte(small_county_report, tmp_path):
    out, raw = small_county_report
    again = tmp_path / "first"
    shutil.copytree(out, again)  # the first run; the second goes to the same folder (its path is a parameter)
    run_report(raw, clean_dir=out.parent / "clean", out_dir=out, progress=lambda m: None)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    differ = [str(f) for f in files if (out / f).read_bytes() != (again / f).read_bytes()]
    assert not differ, differ


def test_payout_summary_adds_up_to_the_audit_trail(sample_clean):
    """Hand check: the year's totals are the sums of the scheme's own tables,
    and the audit trail (one row per pupil and clause) adds up to the
    pupils' awards and to the rank and conduct points per pupil."""
    from liushou_analysis.scoring import contract as scoring_io
    from liushou_analysis.scoring import engine as scoring

    inputs = scoring_io.from_clean(sample_clean[0])
    out = scoring.score_scheme(inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"],
                               pupils=inputs["pupils"])
    s = scoring.payout_summary(out, 2)
    helpers = out["helper_points"][out["helper_points"].school_year == 2]
    assert s["totals"].helpers_yuan == helpers.yuan.sum() and s["totals"].helpers == helpers.paid.sum()
    assert s["totals"].helpers + s["totals"].helpers_not_paid == len(helpers)
    assert s["by_role"].yuan.sum() == helpers.yuan.sum()
    part = s["by_clause"].groupby("part").yuan.sum()
    assert part["pupils"] == s["totals"].awards_yuan
    # each clause's yuan reach every paid helper of the pupil: the helpers' rows add up to their pay
    assert part["helpers"] == helpers.yuan.sum()
    assert s["totals"].total_yuan == pytest.approx(helpers.yuan.sum() + s["totals"].head_teachers_yuan
                                                   + s["totals"].awards_yuan)


def test_report_never_replaces_a_folder_that_is_not_a_report(tmp_path, sample_dir, sample_clean):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.docx").write_text("years of work")
    with pytest.raises(UserError, match="liushou did not write as a report"):
        run_report(sample_dir, clean_dir=sample_clean[0], out_dir=precious, progress=lambda m: None)
    assert (precious / "chapter1.docx").exists()


def test_published_notebooks_and_pages_carry_no_local_paths(report):
    """The executed notebooks and pages of a report name no folder of the machine that made it."""
    from liushou_analysis.core.config import ROOT

    out, raw = report
    local = [str(ROOT), str(Path.home()), str(out.resolve().parent), str(Path(raw).resolve())]
    for path in [*out.glob("notebooks/*.ipynb"), *out.glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        found = [p for p in local if p in text]
        assert not found, f"{path.name} holds {found[0]}"


def test_hostile_names_show_as_text_and_never_run(small_county_report):
    """Every page of a report whose school, column and file names are script: opened in Chromium, no script
    runs (no dialog opens), and the names are shown as text. Reference: the pages themselves."""
    out, _ = small_county_report
    path, sync_playwright = _browser()
    dialogs = []
    shown = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append((page.url, d.message)), d.dismiss()))
        for html_page in sorted(out.glob("*.html")):
            page.goto(html_page.as_uri(), wait_until="load")
            page.wait_for_timeout(200)
            text = page.inner_text("body")
            text = re.sub(r"\s+", "", text)  # cleaning writes school names without spaces
            shown |= {n for n in (HOSTILE_SCHOOL, HOSTILE_COLUMN, HOSTILE_FILE) if re.sub(r"\s+", "", n) in text}
        browser.close()
    assert not dialogs, f"script ran: {dialogs[:3]}"
    assert shown == {HOSTILE_SCHOOL, HOSTILE_COLUMN, HOSTILE_FILE}, shown


def test_page_02_shows_effects_by_time_since_pairing_on_the_sample(sample_report):
    """The sample's pupils are paired in three different terms: page 02 shows the event study (terms before and
    after pairing, with the simultaneous band), the staggered estimators side by side, the E-value and the
    minimum detectable effect, each with its sentence. Reference for the numbers: tests/test_staggered.py."""
    out, _ = sample_report
    study = pd.read_csv(out / "tables" / "02_pairing_and_rank-event_study.csv")
    assert study.event_time.min() < 0 <= study.event_time.max() and study.n.gt(0).all()
    assert (study.band_low <= study.ci_low).all() and (study.band_high >= study.ci_high).all()
    overall = pd.read_csv(out / "tables" / "02_pairing_and_rank-staggered_overall.csv")
    assert overall.quantity.tolist() == ["staggered_overall", "staggered_simple"]
    by_type = pd.read_csv(out / "tables" / "02_pairing_and_rank-staggered_by_helper_type.csv")
    assert len(by_type) >= 3 and by_type.estimate.notna().sum() >= 2  # the sample's helper types
    checks = pd.read_csv(out / "tables" / "02_pairing_and_rank-sensitivity_power.csv").iloc[0]
    assert checks.e_value > 1 and 0 < checks.mde < 20
    assert (out / "figures" / "02_pairing_and_rank-event_study.png").exists()
    text = re.sub(r"<[^>]+>", "", (out / "02_pairing_and_rank.html").read_text(encoding="utf-8"))
    for words in ("结对当学期的效应为", "平行趋势", "没有测量的因素", "最小效应约为",
                  "奖励方案按班级名次的上升付钱"):
        assert words in text, words


def test_page_02_with_every_pairing_in_the_first_term_says_so_and_draws_no_empty_chart(tmp_path):
    """The no-baseline case (issue 27): a county whose pairing lists are there from its first term, so no pupil
    has an exam before pairing. Page 02 alone is run: its staggered section says why there is no effect by time
    since pairing, in a sentence where the chart would be, publishes no chart and no event-study table, and
    gives the cross-sectional comparison adjusted for school, grade, parents' absence and care, labelled descriptive;
    where the copied lists date a pairing inside the first term, the earliest term as a covariate too."""
    import shutil

    from liushou_analysis.core import config

    raw = tmp_path / "raw" / "county8"
    synthesize(raw, seed=8, n_schools=1, n_years=1, start_year=2025)
    first, second = sorted(p for p in raw.iterdir() if p.name[:4].isdigit())
    lists = [f for f in second.rglob("*") if "结对" in f.name]
    assert lists
    for f in lists:  # the same pairing lists kept from the first term on
        (first / f.relative_to(second)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, first / f.relative_to(second))
    import openpyxl

    for f in [first / f.relative_to(second) for f in lists]:  # half the rows dated inside the first term
        book = openpyxl.load_workbook(f)
        sheet = book.active
        column = [c.value for c in sheet[1]].index("结对时间") + 1
        for row in range(2, sheet.max_row + 1, 2):
            sheet.cell(row, column).value = "2025.10"
        book.save(f)
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(config.NOTEBOOKS / "02_pairing_and_rank.py", pages)
    out = tmp_path / "report"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_KEY", "no-baseline-test-key-0123456789")
        run_report(raw, clean_dir=tmp_path / "clean", out_dir=out, notebooks=pages, progress=lambda m: None,
                   allow_incomplete=True)
    text = re.sub(r"<[^>]+>", "", (out / "02_pairing_and_rank.html").read_text(encoding="utf-8"))
    assert "没有哪一批结对学生有结对前的学期可作比较" in text  # the sentence instead of the chart
    assert "在数据的第一个学期就已结对" in text  # the closing text counts them
    assert not (out / "figures" / "02_pairing_and_rank-event_study.png").exists()
    assert not (out / "tables" / "02_pairing_and_rank-event_study.csv").exists()
    # never a page without an estimate: the earliest term as a covariate for the pupils whose lists date the
    # pairing inside it (the others, dated after it, left out and counted), and the descriptive comparison
    table = pd.read_csv(out / "tables" / "02_pairing_and_rank-descriptive_comparison.csv").set_index("quantity")
    assert table.index.tolist() == ["earliest_term_covariate", "cross_section"]
    covariate, described = table.loc["earliest_term_covariate"], table.loc["cross_section"]
    assert covariate.method.startswith("conservative") and pd.notna(covariate.estimate) and covariate.n_left_out > 0
    assert "这是保守的估计" in text
    assert described.method.startswith("descriptive")
    assert pd.notna(described.estimate) and "这只说明结对学生现在处在什么位置，不是帮扶的效果" in text


def test_unknown_columns_of_forms_and_questionnaires_are_listed_escaped(small_county_report):
    """The hostile column added to a school workbook and to the questionnaire is listed for both files in the
    manifest, and the data-quality page carries it escaped (the browser test above sees it as text where
    Chromium is installed). Reference: the files as _make_hostile wrote them."""
    import html
    import json

    out, _ = small_county_report
    manifest = json.loads((out.parent / "clean" / "manifest.json").read_text(encoding="utf-8"))
    listed = [f for f in manifest["files"] if HOSTILE_COLUMN in f["unknown_columns"]]
    assert {f["format"] == "questionnaire" for f in listed} == {True, False}, [f["file"] for f in listed]
    page = (out / "00_data_quality.html").read_text(encoding="utf-8")
    assert HOSTILE_COLUMN not in page and html.escape(HOSTILE_COLUMN) in page


def test_no_output_cell_is_a_formula(small_county_report):
    """CSV tables and the payouts workbook of the hostile county: text starting with = + - @ is prefixed
    with an apostrophe, and no workbook cell is a formula."""
    import openpyxl

    out, _ = small_county_report
    risky = re.compile(r"^[=+@\t\r]|^-(?!\d)")
    hostile_seen = False
    for csv in out.glob("tables/*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for col in frame.columns:
            assert not risky.match(col), f"{csv.name}: column {col!r}"
            bad = frame[col][frame[col].str.match(risky)]
            assert bad.empty, f"{csv.name}: {bad.iloc[0]!r}"
            hostile_seen |= frame[col].str.contains("HYPERLINK", regex=False).any()
    assert hostile_seen  # the hostile school reached the tables, as text
    for book in out.glob("*.xlsx"):
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{book.name}!{cell.coordinate} is a formula"


#: Column names changed on purpose since the reference tables were taken ("pct" means only a percent, "term"
#: only a school term; every estimate is named ``estimate`` and its sample ``n``), per table ("*" for all).
RENAMED = {"*": {"mean_pct": "mean_percentile", "base_pct": "base_percentile", "term": "quantity"},
           "01_care_arrangements-definitions.csv": {"share": "estimate"},
           "01_care_arrangements-care_overall.csv": {"share": "estimate"},
           "01_care_arrangements-care_by_school.csv": {"share": "estimate"},
           "01_care_arrangements-care_by_grade.csv": {"share": "estimate"},
           "01_care_arrangements-percentile_by_care.csv": {"mean_pct": "estimate", "pupils": "n"}}
#: Columns an estimate table gained: the rest of the estimate vocabulary.
ADDED = {"quantity", "se", "p_value", "df", "n", "method", "deff", "denominator_cv", "unstable"}
BEFORE = Path(__file__).parent / "reference" / "sample_report"


def _same_or_protected(old: str, new: str) -> bool:
    """A cell of the report before the report-wide disclosure control: the same, newly hidden (a complementary
    cell across linked tables), or a share printed to one decimal of a percent (0.370034 -> 0.37, 46.2898 -> 46.3)."""
    if new == old or new == "":
        return True
    try:
        return any(float(new) == round(float(old), d) for d in (1, 3))
    except ValueError:
        return False


def _t_interval(old: pd.Series, new: pd.Series, column: str) -> bool:
    """A mean's interval now on t with the design degrees of freedom (statistics.survey, issue 27), where it
    was on the normal quantile: the new limit is the old estimate -/+ qt(0.975, df) times the old SE."""
    from scipy import stats

    pct = "_pct" if column.endswith("_pct") else ""
    est = float(old[f"estimate{pct}"])
    # not every old table kept the SE: recover it from the old (normal) interval
    se = (float(old[f"ci_high{pct}"]) - float(old[f"ci_low{pct}"])) / (2 * stats.norm.ppf(0.975))
    if "df" not in new:
        return False
    df = float(new["df"])
    sign = -1 if "low" in column else 1
    expected = est + sign * stats.t.ppf(0.975, df) * se
    printed = 0.05 if pct else 0.0  # a percent is printed to one decimal
    return abs(float(new[column]) - expected) <= printed + 1e-3 * max(1.0, abs(expected))


def test_sample_report_tables_are_those_before_the_move(sample_report):
    """Reference: the sample report's tables from before the layer move
    (tests/reference/sample_report, commit 8a9ab09). Every table is there,
    with the same rows and values; only the renamed and the added columns differ, and the cells the report-wide
    disclosure control now hides or rounds."""
    out, _ = sample_report
    before = sorted(p.name for p in BEFORE.glob("*.csv"))
    # the questionnaire page (issue 25) and page 02's staggered section (issue 27) came after: their tables are
    # the only new ones
    staggered = ["02_pairing_and_rank-event_study.csv", "02_pairing_and_rank-sensitivity_power.csv",
                 "02_pairing_and_rank-staggered_by_helper_type.csv", "02_pairing_and_rank-staggered_overall.csv"]
    new_page = sorted(p.name for p in (out / "tables").glob("04_questionnaire-*.csv")) + staggered
    assert new_page == ["04_questionnaire-means.csv", "04_questionnaire-reliability.csv", "04_questionnaire-shares.csv",
                        *staggered]
    assert sorted(p.name for p in (out / "tables").glob("*.csv") if p.name not in new_page) == before
    changed = 0
    for name in before:
        old = pd.read_csv(BEFORE / name, dtype=str, keep_default_na=False)
        old = old.rename(columns={**RENAMED["*"], **RENAMED.get(name, {})})
        new = pd.read_csv(out / "tables" / name, dtype=str, keep_default_na=False)
        assert set(new.columns) - set(old.columns) <= ADDED, name
        assert len(new) == len(old), name
        # the same rows, matched on the columns that did not change; their order may now be the natural one
        key = [c for c in old.columns if sorted(old[c]) == sorted(new[c])]
        old, every = (t.sort_values(key, ignore_index=True) for t in (old, new))
        new = every[list(old.columns)]
        for column in old.columns:
            ok = [_same_or_protected(a, b) for a, b in zip(old[column], new[column])]
            if column in ("ci_low", "ci_high", "ci_low_pct", "ci_high_pct") and not all(ok):
                ok = [k or _t_interval(o, n, column) for k, (_, o), (_, n) in
                      zip(ok, old.iterrows(), every.iterrows(), strict=True)]
            assert all(ok), f"{name} {column}: {old[column][~pd.Series(ok)].tolist()[:3]} became " \
                            f"{new[column][~pd.Series(ok)].tolist()[:3]}"
            changed += int((old[column] != new[column]).sum())
    assert changed, "the disclosure control changed some cells"


def test_no_hidden_cell_is_recovered_from_the_sample_report(sample_report, sample_clean, tmp_path_factory):
    """The attacker test (tests/test_disclosure_attack.py) on the bundled sample: its default report against the
    same report with every cell shown, from the CSV files and from the pages; and, as a control, the attacker
    recovers cells from tables that hide only the small ones."""
    from .attacker import attack, check_reports, csv_tables, report_twice, table_by_table

    out, raw = sample_report
    printed, truth = report_twice(raw, sample_clean[0], tmp_path_factory.mktemp("attack_sample"), first=out)
    check_reports(printed, truth)
    assert attack(table_by_table(truth), csv_tables(truth))


def test_a_table_must_declare_its_counts(tmp_path):
    """Publisher.table refuses a DataFrame without declared count columns, and one that declares a column it does
    not have; an Estimate declares its own (n and any others) and the declaration is recorded for the check."""
    from liushou_analysis.report.runner import Publisher
    from liushou_analysis.statistics.estimate import Estimate, tidy

    pub = Publisher(tmp_path, "09_test")
    frame = pd.DataFrame({"school": ["东山中学"], "pupils": [12]})
    with pytest.raises(ValueError, match="declare the columns"):
        pub.table(frame, "undeclared")
    with pytest.raises(ValueError, match="not in the table"):
        pub.table(frame, "wrong", counts=["helpers"])
    pub.table(frame, "schools", counts=["pupils"])
    pub.table(Estimate(tidy([{"quantity": "mean", "estimate": 1.0, "n": 12, "helpers": 11}]),
                       counts=("n", "helpers")), "estimate")
    recorded = json.loads((tmp_path / "tables" / "09_test.counts.json").read_text(encoding="utf-8"))
    assert recorded == {"schools": ["pupils"], "estimate": ["n", "helpers"]}


def test_report_tables_open_in_excel_with_their_chinese(report):
    """Every published CSV carries the UTF-8 byte-order mark Excel needs to show Chinese when double-clicked."""
    out, _ = report
    tables = sorted((out / "tables").glob("*.csv"))
    assert tables and all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in tables)


def test_notebooks_run_without_kernel_warnings(tmp_path, capfd):
    """The kernel talks over local socket files (IPC), so ipykernel prints no unencrypted-TCP warning, and it is
    shut down after its notebook, so it never warns that its parent exited."""
    from liushou_analysis.report.runner import execute_notebook

    source = tmp_path / "09_tiny.py"
    source.write_text("# %% tags=[\"parameters\"]\nx = 1\n\n# %%\nprint(x + 1)\n", encoding="utf-8")
    nb = execute_notebook(source, {"x": 41}, tmp_path / "out")
    assert "42" in nb.cells[-1].outputs[0]["text"]
    err = capfd.readouterr().err
    assert "WARNING" not in err and "without encryption" not in err, err


def test_the_index_names_every_source_by_its_full_title(report):
    """Pages cite "001 篇6"; the index gives each collection's full title (data/sources.csv), the same titles as
    docs/sources.md, so a reader without the repository knows what is cited."""
    from liushou_analysis.report.runner import sources

    out, _ = report
    index = (out / "index.html").read_text(encoding="utf-8")
    doc = (Path(__file__).resolve().parents[1] / "docs" / "sources.md").read_text(encoding="utf-8")
    listed = sources()
    assert list(listed.code) == ["000", "001", "002", "003", "004"]
    for s in listed.itertuples(index=False):
        assert f"{s.code}：{s.title}" in index and f"| {s.code} | {s.title} |" in doc


def test_the_index_states_the_threshold_the_report_used(tmp_path):
    """--min-cell 1 (internal use) must not be announced as the default 10."""
    from liushou_analysis.report.runner import write_index

    index = write_index(tmp_path, "县", "2024-2025-1", [], min_cell=1, lang="en").read_text(encoding="utf-8")
    assert "fewer than 1 pupils" in index and "fewer than 10 pupils" not in index
    index = write_index(tmp_path, "县", "2024-2025-1", [], min_cell=1).read_text(encoding="utf-8")
    assert "少于1名学生" in index and "少于10名" not in index


def test_a_county_with_only_exam_scores_gets_the_pages_it_can(tmp_path, monkeypatch):
    """Hand-made: two GBK exam CSVs and nothing else. The data-quality page is made; each other page is left out
    with the files that would make it possible, named as schools call them, and the run is usable (exit 0)."""
    from . import schoolfiles as sf
    from .cli_runner import liushou

    pupils = [(f"2024{i:03d}", f"学生{i}") for i in range(1, 25)]
    for term, bump in (("2024年秋季学期", 0), ("2025年春季学期", 1)):
        sf.csv_file(tmp_path / "raw" / term / "红岩中学" / "期末成绩.csv", ["学号", "姓名", "年级", "班级", "总分"],
                    [[no, name, "初一", f"{1 + i % 2}班", 300 + (i * 7 + bump * 13) % 50]
                     for i, (no, name) in enumerate(pupils)], encoding="gbk")
    r = liushou("report", "--data", tmp_path / "raw", "--clean", tmp_path / "clean", "--out", tmp_path / "rep",
                env={"LIUSHOU_KEY": "only-exams-test-key-0123456789"})
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "rep").glob("*.html")) == ["00_data_quality.html", "index.html"]
    index = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "学生花名册" in index and "结对帮扶名单" in index and index.count("本学期未生成") == 4
    assert "问卷调查：本学期未生成（本学期文件夹中没有问卷" in index


REGISTER_PUPILS = [(f"2024{i:03d}", f"学生{i}") for i in range(1, 31)]


def _register(folder: Path) -> None:
    """A school's 留守儿童登记表 as an HTML table saved as .xls (GBK), the way many school systems export it: 30
    left-behind pupils, 3 of them with an aunt (a small cell)."""
    sf.html_as_xls(folder / "留守儿童登记表.xls", ["学号", "姓名", "班级", "父亲是否外出", "母亲是否外出", "与监护人关系",
                                               "监护人年龄", "监护人健康状况"],
                   [[no, name, f"七年级{1 + i % 2}班", "是", "是" if i % 3 or i % 10 == 0 else "否",
                     "姑妈" if i % 10 == 0 else "祖母" if i % 3 else "母亲", 62 if i % 3 else 38,
                     "健康" if i % 4 else "一般"] for i, (no, name) in enumerate(REGISTER_PUPILS)],
                   titles=["红岩中学留守儿童登记表"])


def test_a_county_with_only_a_register_gets_the_pages_it_can(tmp_path):
    """Hand-made: one school's register and nothing else. A register lists only the left-behind, so shares among
    all pupils cannot come from it: the care page is left out naming the roster (学生花名册) that would make it
    possible, and the run is usable (exit 0)."""
    from .cli_runner import liushou

    _register(tmp_path / "raw" / "2024年秋季学期" / "红岩中学")
    r = liushou("report", "--data", tmp_path / "raw", "--clean", tmp_path / "clean", "--out", tmp_path / "rep",
                env={"LIUSHOU_KEY": "only-register-test-key-0123456789"})
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "rep").glob("*.html")) == ["00_data_quality.html", "index.html"]
    index = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "监护情况：本学期未生成（缺少所需数据：需要学生花名册）" in index
    assert "01_care_arrangements left out: its data are missing: it needs 学生花名册 (a roster)" in r.stderr


def test_a_roster_and_a_register_make_the_care_page_with_every_small_cell_protected(tmp_path):
    """Hand-made: a roster (xlsx with a title row) and a register (HTML saved as .xls) of 30 pupils in two classes,
    no exams. The care page is made, every count it prints is 0 or at least 10, no table needed the last line of
    defence, and the pages for exams and pairings name the files they need."""
    from .cli_runner import liushou

    school = tmp_path / "raw" / "2024年秋季学期" / "红岩中学"
    sf.xlsx(school / "学生花名册.xlsx", ["学号", "姓名", "性别", "年级", "班级"],
            [[no, name, "男" if i % 2 else "女", "七年级", f"{1 + i % 2}班"] for i, (no, name) in
             enumerate(REGISTER_PUPILS + [(f"2024{i:03d}", f"同学{i}") for i in range(31, 61)])],
            titles=["红岩中学2024-2025学年第一学期学生花名册"])
    _register(school)
    r = liushou("report", "--data", tmp_path / "raw", "--clean", tmp_path / "clean", "--out", tmp_path / "rep",
                env={"LIUSHOU_KEY": "roster-register-test-key-0123456789"})
    assert r.returncode == 0, r.stderr
    out = tmp_path / "rep"
    assert (out / "01_care_arrangements.html").exists() and not (out / "02_pairing_and_rank.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "结对帮扶与名次：本学期未生成（缺少所需数据：需要期末成绩和结对帮扶名单）" in index
    counts = json.loads((out / "tables" / "01_care_arrangements.counts.json").read_text(encoding="utf-8"))
    assert "late" not in counts
    for name, cols in counts.items():
        table = pd.read_csv(out / "tables" / f"01_care_arrangements-{name}.csv")
        for col in cols:
            values = pd.to_numeric(table[col], errors="coerce").dropna()
            assert not values.between(1, 9).any(), f"{name}.{col}: {values.tolist()}"
    overall = pd.read_csv(out / "tables" / "01_care_arrangements-care_overall.csv")
    assert overall.n.max() == 30 and overall.pupils.isna().any()  # the 30 left-behind; small arrangements hidden


def test_pages_show_counts_as_integers_percents_and_yuan_as_readers_expect():
    """Display only (the CSV keeps every digit): 54 and 1,502 not 54.000, 12.3%, 8.18 yuan, 是/否 and — ."""
    from liushou_analysis.report.runner import cell_formats

    frame = pd.DataFrame({"files": [54.0, 1502.0], "estimate_pct": [12.345, None], "yuan": [8.181818, 100.0],
                          "reference_inside_ci": pd.array([True, None], dtype="boolean"), "school_year": [2024, 2025]})
    html_text = frame.style.format(cell_formats(frame), na_rep="—").to_html()
    for shown in (">54<", ">1,502<", ">12.3%<", ">8.18<", ">100.00<", ">是<", ">—<", ">2024<"):
        assert shown in html_text, shown
    assert "54.000" not in html_text and "2,024" not in html_text and "False" not in html_text
    mixed = pd.DataFrame({"value": [246.0, 4947.333, 2.0]})  # a summary of counts and amounts in one column
    html_text = mixed.style.format(cell_formats(mixed), na_rep="—").to_html()
    assert ">246<" in html_text and ">4,947.333<" in html_text and ">2<" in html_text and "246.000" not in html_text


def test_tables_speak_chinese_by_default_and_english_on_request(report):
    """The label table (report/labels.py, fed by the codebook) names every column of the pages' tables and
    their coded values in Chinese; the CSV files keep the machine names."""
    from liushou_analysis.report.labels import for_display

    out, _ = report
    page = (out / "01_care_arrangements.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in page
    assert ">估计值<" in page and ">人数<" in page and ">监护类型 (care)<" in page and ">祖辈监护<" in page
    frame = pd.DataFrame({"care": ["grandparents", None], "helper_role": ["caring_mother", "peer"], "pupils": [12, 30]})
    zh = for_display(frame)
    assert list(zh.columns) == ["监护类型", "帮扶人类型", "人数"] and zh.iloc[0, 0] == "祖辈监护" and pd.isna(zh.iloc[1, 0])
    assert for_display(frame, "en").equals(frame)
    assert "care" in pd.read_csv(out / "tables" / "01_care_arrangements-care_overall.csv").columns


def test_nothing_to_draw_is_a_sentence_not_an_empty_chart(tmp_path):
    import matplotlib.pyplot as plt

    from liushou_analysis.report.runner import Publisher

    pub = Publisher(tmp_path, "09_test")
    fig, _ = plt.subplots()
    assert pub.figure(fig, "empty", empty="没有可画的点") is None
    assert not list((tmp_path / "figures").glob("*.png")) and not plt.get_fignums()
    fig, _ = plt.subplots()
    pub.figure(fig, "drawn")
    assert (tmp_path / "figures" / "09_test-drawn.png").is_file()
    plt.close("all")


def test_ordered_categories_keep_their_natural_order(report):
    """"<30" comes before "30-39", not last; health and education follow the codebook."""
    from liushou_analysis.report.labels import natural_order

    out, _ = report
    ages = pd.read_csv(out / "tables" / "01_care_arrangements-guardian_age_by_care.csv").iloc[:, 0].tolist()
    bands = [a for a in ages if a != "合计 total"]
    order = ["<30", "30-39", "40-49", "50-59", "60-69", "70+"]
    assert bands == [b for b in order if b in bands]
    frame = pd.DataFrame({"n": [1, 2, 3]}, index=["poor", "odd", "good"])
    assert natural_order(frame, ["good", "fair", "poor"]).index.tolist() == ["good", "poor", "odd"]


def test_each_notebook_reads_in_chinese_or_in_english():
    """Every Markdown cell of the notebooks is Chinese by default; under --lang en the same cell is English
    (report/runner.localize), and the page titles and index follow."""
    import jupytext

    from liushou_analysis.report.runner import EN_MARK, localize, notebook_sources, page_title

    for source in notebook_sources():
        for lang in ("zh", "en"):
            cells = [c.source for c in localize(jupytext.read(source), lang).cells if c.cell_type == "markdown"]
            assert cells and not any(EN_MARK in c for c in cells), source.name
            headings = [line for c in cells for line in c.splitlines() if line.startswith("#")]
            cjk = [h for h in headings if re.search(r"[\u4e00-\u9fff]", h)]
            assert len(cjk) == (len(headings) if lang == "zh" else 0), (source.name, lang, headings)
        assert re.search(r"[\u4e00-\u9fff]", page_title(source.stem)) and page_title(source.stem, "en").isascii()


def test_questionnaire_page_recovers_the_planted_loneliness(sample_report):
    """Planted truth (liushou_analysis/synth/questionnaire.py): in the sample's last term half its schools ran a
    pupil questionnaire, answered by nine in ten pupils, whose loneliness was planted to rise with the care
    arrangement. _truth/questionnaire.parquet holds every sampled pupil's score, answering or not, so the mean of
    each arrangement among those schools' pupils is known. The page's estimate of each arrangement it shows
    (from the answers, linked to the pupils' care records by the clean layer) lies within its 95% interval of that
    mean, or within 0.05 of it, and grandparent care comes out lonelier than parent care, as planted."""
    from liushou_analysis.report.labels import value_label

    out, raw = sample_report
    truth = pd.read_parquet(raw / "_truth" / "questionnaire.parquet")
    planted = truth.groupby(truth.care_type.map(lambda c: value_label("care", c))).loneliness.mean()
    means = pd.read_csv(out / "tables" / "04_questionnaire-means.csv", encoding="utf-8-sig")
    rows = means[(means.statistic == "mean") & (means.grouping == "care_group") & means.estimate.notna()
                 & means.subgroup.isin(planted.index)].set_index("subgroup")
    assert len(rows) >= 4  # the arrangements with enough pupils to show
    for group, row in rows.iterrows():
        assert row.ci_low - 0.05 <= planted[group] <= row.ci_high + 0.05, (group, row.estimate, planted[group])
    assert rows.loc["祖辈监护", "estimate"] > rows.loc["父母监护", "ci_high"]
    whole = means[(means.statistic == "mean") & (means.grouping == "全部")].iloc[0]
    assert whole.n == truth.responded.sum()  # every answer sheet counted once
    counts = json.loads((out / "tables" / "04_questionnaire.counts.json").read_text(encoding="utf-8"))
    assert "late" not in counts  # every small cell was protected by the page itself
