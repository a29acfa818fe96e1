"""The term report: clean if needed, run the notebooks, publish the results.

``liushou report --data data_raw/<dataset> --term <term>`` calls
:func:`run_report`. It

1. cleans the raw dataset when its clean tables are missing or stale (the
   raw files' checksums, the package version or the codebook changed);
2. turns each ``notebooks/NN_*.py`` (jupytext percent format) into a
   notebook and executes it with papermill, with the term's parameters;
3. writes ``reports/<dataset>/<term>/``: one HTML page per notebook without
   code cells, ``figures/*.png``, ``tables/*.csv``, ``payouts.xlsx``, the
   executed notebooks in ``notebooks/``, and ``index.html`` linking them.

Inside a notebook, :class:`Publisher` writes the figures and tables, so
every number a report shows is also a file an analyst can take away.
"""

from __future__ import annotations

import contextlib
import html
import json
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis._version import __version__
from liushou_analysis.core import config
from liushou_analysis.core.codebook import codebook_version
from liushou_analysis.core.errors import Incomplete, UserError
from liushou_analysis.core.outputs import check_target, publish_dir
from liushou_analysis.core.terms import term_folders
from liushou_analysis.core.xlsxio import write_csv
from liushou_analysis.report.disclosure import MIN_CELL, withhold_unstable
from liushou_analysis.report.labels import LANGS, for_display, is_money
from liushou_analysis.report.plotting import FONT_FILE, MISSING_GLYPH
from liushou_analysis.statistics.estimate import Estimate
from liushou_analysis.store import CleanStore

#: Each page's title, in Chinese and in English (``--lang en``).
NOTEBOOK_TITLES = {
    "00_data_quality": ("数据质量", "Data quality"),
    "01_care_arrangements": ("监护情况", "Care arrangements"),
    "02_pairing_and_rank": ("结对帮扶与名次", "Pairing and rank"),
    "03_reward_points": ("考核及奖励", "Reward points"),
    "04_questionnaire": ("问卷调查", "Questionnaire"),
}


def page_title(stem: str, lang: str = "zh") -> str:
    """A page's title in ``lang`` (its file name when it has none)."""
    zh, en = NOTEBOOK_TITLES.get(stem, (stem, stem))
    return en if lang == "en" else zh


#: What file a school keeps that feeds each clean table, to say what would make a page possible (zh, en).
FEEDS = {"enrolment": ("学生花名册", "学生花名册 (a roster)"),
         "households": ("留守儿童登记表或家庭情况调查表",
                        "留守儿童登记表 or 家庭情况调查表 (a register or family survey)"),
         "exams": ("期末成绩", "期末成绩 (exam scores)"), "pairings": ("结对帮扶名单", "结对帮扶名单 (a pairing list)"),
         "conduct": ("评优及违纪名单", "评优及违纪名单 (an award and conduct list)"),
         "classes": ("班级名单（含班主任）", "班级名单 (a class list with head teachers)")}


def _rows(store: CleanStore, table: str, terms=None) -> int:
    return len(store.table(table, terms=terms, columns=["term"])) if store.has(table) else 0


def _needs(store: CleanStore, wanted: dict[str, object], lang: str) -> tuple[bool, str]:
    """Whether each table has rows (in the terms given); else the files that would make the page possible."""
    missing = [FEEDS[table][lang == "en"] for table, terms in wanted.items() if not _rows(store, table, terms)]
    if not missing:
        return True, ""
    return False, ("its data are missing: it needs " + " and ".join(missing) if lang == "en" else
                   "缺少所需数据：需要" + "和".join(missing))


def _care_applies(store: CleanStore, term: str, lang: str = "en") -> tuple[bool, str]:
    return _needs(store, {"enrolment": term, "households": None}, lang)


def _pairing_applies(store: CleanStore, term: str, lang: str = "en") -> tuple[bool, str]:
    from liushou_analysis.core.terms import Term

    this = Term.parse(term)
    before = str(Term(this.start_year, 1) if this.semester == 2 else Term(this.start_year - 1, 2))
    applies, why = _needs(store, {"exams": term, "pairings": None, "households": None}, lang)
    if applies and not _rows(store, "exams", before):
        return False, (f"there is no exam of {before}, the baseline a pairing in {term} is measured from"
                       if lang == "en" else f"没有{before}的考试成绩，而{term}的结对要以它为基数")
    return applies, why


def _payable(store: CleanStore, term: str, lang: str = "en") -> tuple[bool, str]:
    from liushou_analysis.scoring.contract import term_school_year

    applies, why = _needs(store, {"exams": None, "pairings": None}, lang)
    if not applies:
        return applies, why
    year, why = term_school_year(store.table("exams", columns=["term"]).term, term, lang)
    return year is not None, why


#: Notebooks that only apply to some data: a check returning (applies, why). Page 00 always applies.
def _surveyed(store: CleanStore, term: str, lang: str = "en") -> tuple[bool, str]:
    """A questionnaire page needs a questionnaire of the term (liushou clean reads one from the term folder) and
    the pupils enrolled in it."""
    if _rows(store, "survey", term) and _rows(store, "enrolment", term):
        return True, ""
    return False, ("no questionnaire (问卷星 or 腾讯问卷 export) in the term folder" if lang == "en" else
                   "本学期文件夹中没有问卷（问卷星或腾讯问卷导出的答卷）")


APPLIES = {"01_care_arrangements": _care_applies, "02_pairing_and_rank": _pairing_applies,
           "03_reward_points": _payable, "04_questionnaire": _surveyed}


#: The bundled font for the pages' Chinese text. Listed first with a CJK-only
#: unicode-range, so Latin text keeps the reader's fonts and every Chinese
#: character is drawn with it (a font only later in the list is not reliably
#: used for missing characters).
CJK_FONT_CSS = ("@font-face { font-family: 'Liushou Sans SC'; src: url('fonts/" + FONT_FILE.name + "') "
                "format('opentype'); font-weight: 100 900; "
                "unicode-range: U+2E80-9FFF, U+F900-FAFF, U+FE30-FE4F, U+FF00-FFEF; }")


class NotebookFailed(UserError):
    """A notebook stopped with an error; the message names the cell and the error."""


class Publisher:
    """Where a notebook writes what it publishes: ``figures/<notebook>-<name>.png``
    and ``tables/<notebook>-<name>.csv`` under the report folder."""

    def __init__(self, report_dir: Path | str | None, notebook: str, lang: str = "zh", min_cell: int = MIN_CELL):
        self.notebook = notebook
        self.lang = lang
        self.min_cell = min_cell
        self.late: dict[str, int] = {}
        self.counts: dict[str, list[str]] = {}
        self.dir = Path(report_dir) if report_dir else None
        if self.dir:
            (self.dir / "figures").mkdir(parents=True, exist_ok=True)
            (self.dir / "tables").mkdir(parents=True, exist_ok=True)

    def say(self, zh: str, en: str) -> str:
        """The words in the page's language: Chinese, or English under ``--lang en``."""
        return en if self.lang == "en" else zh

    def figure(self, fig, name: str, empty: str | None = None):
        """Save ``fig`` as PNG (when publishing) and return it for display; with ``empty`` (why there is
        nothing to draw), no chart is shown or saved, only that sentence."""
        if empty:
            import matplotlib.pyplot as plt

            plt.close(fig)
            self.markdown(self.say(f"（此处无图：{empty}）", f"(No chart: {empty})"))
            return None
        if self.dir:
            fig.savefig(self.dir / "figures" / f"{self.notebook}-{name}.png", metadata={"Software": None})
        return fig

    def markdown(self, text: str) -> None:
        """Display a narrative as Markdown with any HTML in it escaped: it
        quotes names from the raw data, which must show as text, never run."""
        from IPython.display import Markdown, display

        display(Markdown(html.escape(text, quote=False)))

    def table(self, frame, name: str, columns: list[str] | None = None,
              counts: list[str] | None = None, shares: list[str] | None = None) -> pd.DataFrame:
        """Save ``frame`` (a DataFrame or an :class:`Estimate`) as CSV (UTF-8
        with BOM, so Excel reads the Chinese), display it (``columns`` only,
        if given; missing or suppressed as —) and return the table.

        ``counts`` declares the columns that count pupils (an Estimate
        declares its own); they are recorded in ``tables/<notebook>.counts.json``
        for the disclosure check. A DataFrame without a declaration is
        refused. ``shares`` declares the columns holding shares of pupils
        (0 to 1): they are printed to one decimal of a percent, in the CSV
        (0.370) and on the page (37.0%), and so are ``*_pct`` columns, so a
        share cannot be divided back into its denominator.

        The last line of defence: a declared count of 1 to ``min_cell - 1``
        pupils that reaches this point is hidden with the shares of its row,
        and the table is listed under ``late`` in the counts file (the
        notebook should have protected it; a test checks none is left).
        """
        from IPython.display import display

        if isinstance(frame, Estimate):
            declared, frame = [*frame.counts, *(counts or [])], frame.table
        elif counts is None:
            raise ValueError(f"table {name}: declare the columns that count pupils with counts=[...] ([] for none)")
        else:
            declared = list(counts)
        unknown = [c for c in [*declared, *(shares or [])] if c not in frame.columns]
        if unknown:
            raise ValueError(f"table {name}: declared count or share columns {unknown} are not in the table")
        frame = self._protect(frame, name, declared, list(shares or []))
        frame, withheld = withhold_unstable(frame)
        self.counts[name] = declared
        if self.dir:
            record = {**self.counts, **({"late": self.late} if self.late else {})}
            (self.dir / "tables" / f"{self.notebook}.counts.json").write_text(
                json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            write_csv(money_as_text(frame), self.dir / "tables" / f"{self.notebook}-{name}.csv", float_format="%.6g")
        selected = frame[columns] if columns else frame
        shown = for_display(selected, self.lang)  # the same columns in the same order, named for the reader
        position = {c: i for i, c in enumerate(selected.columns)}
        formats = {shown.columns[position[c]]: f for c, f in cell_formats(selected, shares).items()}
        # every cell and header is escaped: school, class, file and column names come from the raw data
        styled = shown.style.hide(axis="index").format(formats, precision=3, na_rep="—",
                                                       escape="html").format_index(escape="html", axis=1)
        amounts = money_rows(selected)
        if amounts.any():  # a measure-value table: its amounts in yuan with two decimals, its counts whole
            numeric = [shown.columns[position[c]] for c in selected.columns
                       if pd.api.types.is_numeric_dtype(selected[c])]
            styled = styled.format("{:,.2f}", subset=pd.IndexSlice[shown.index[amounts], numeric], na_rep="—")
        styled = styled.set_uuid(f"{self.notebook}-{name}")  # a fixed id, so the page is the same bytes each run
        prose = [c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c])
                 and shown[c].astype(str).str.len().max() > 24]
        if prose:  # cells keep to one line (the table scrolls sideways); quotes and notes wrap in a column of their own
            styled = styled.set_properties(subset=prose, **{"white-space": "normal", "min-width": "16em"})
        display({"text/html": f'<div class="wide">{styled.to_html()}</div>',
                 "text/plain": shown.to_string(index=False)}, raw=True)
        if withheld:
            self.markdown(self.say(
                f"上表有{withheld}个估计没有给出置信区间（显示为—）：它们的分母在不同抽样之间变化太大（调查的群太少、"
                "大小相差太悬殊），这样算出的区间会偏窄、偏向一边，不可信。估计值本身只作参考。",
                f"{withheld} estimate(s) above have no confidence interval (shown as —): their denominator varies "
                "too much from sample to sample (too few clusters of too unequal sizes), so an interval would be "
                "too narrow and lean one way. Read the estimate itself as a rough guide only."))
        return frame

    def _protect(self, frame: pd.DataFrame, name: str, counts: list[str], shares: list[str]) -> pd.DataFrame:
        """Shares and percents to one decimal of a percent; any small count left unprotected hidden."""
        frame = frame.copy()
        for column in shares:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).round(3)
        for column in [c for c in frame.columns if str(c).endswith("_pct")]:
            if pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].astype(float).round(1)
        if not counts or self.min_cell <= 1:
            return frame
        values = frame[counts].apply(pd.to_numeric, errors="coerce")
        small = ((values > 0) & (values < self.min_cell)).fillna(False)
        rows = small.any(axis=1)
        if rows.any():
            self.late[name] = int(small.to_numpy().sum())
            for column in counts:
                frame[column] = frame[column].mask(small[column])
            for column in shares:
                frame[column] = frame[column].mask(rows)
        return frame


def money_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows of a measure-value table (a ``measure`` column naming each row) whose measure is an amount in yuan."""
    if "measure" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["measure"].map(is_money).to_numpy(dtype=bool)


def money_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as its CSV holds it: every amount in yuan written with two decimals (78.57, 840.00), in money
    columns and in the amount rows of a measure-value table; other numbers as they are."""
    rows = money_rows(frame)
    columns = [c for c in frame.columns if is_money(c) and pd.api.types.is_numeric_dtype(frame[c])]
    if not columns and not rows.any():
        return frame
    out = frame.copy()

    def text(values: pd.Series, form: str) -> pd.Series:
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        written = np.char.mod(form, numbers.fillna(0.0).to_numpy() + 0.0)  # + 0.0: no "-0.00"
        return pd.Series(written, index=values.index, dtype=object).where(numbers.notna(), "")
    for column in columns:
        out[column] = text(frame[column], "%.2f")
    if rows.any():  # the column mixes counts and amounts: counts as the other CSV numbers (%.6g), amounts to the fen
        for column in [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and c not in columns]:
            out[column] = text(frame[column], "%.6g").where(~rows, text(frame[column], "%.2f"))
    return out


def cell_formats(frame: pd.DataFrame, shares: list[str] | None = None) -> dict:
    """How a page shows each column (the CSV keeps every digit): whole numbers as integers with thousands
    separators (54, 1,502, never 54.000, also in a column that mixes them with fractions), shares (the
    ``shares`` columns) and percents (``*_pct``) with one decimal of a percent, yuan (``yuan``, ``*_yuan``)
    with two, and yes/no as 是/否; missing is — (set by the caller)."""
    formats = {}
    for column in frame.columns:
        values = frame[column]
        name = str(column)
        if column in (shares or []):
            formats[column] = "{:.1%}".format
        elif pd.api.types.is_bool_dtype(values) or str(values.dtype) == "boolean":
            formats[column] = lambda v: "是" if v else "否"
        elif not pd.api.types.is_numeric_dtype(values):
            continue
        elif name.endswith("_pct"):
            formats[column] = "{:,.1f}%".format
        elif is_money(column):
            formats[column] = "{:,.2f}".format
        elif values.dropna().mod(1).eq(0).all():  # a year is 2024, not 2,024
            formats[column] = "{:.0f}".format if "year" in name else "{:,.0f}".format
        elif pd.api.types.is_float_dtype(values):  # a column mixing counts and amounts: 246, not 246.000
            formats[column] = _whole_or_three
    return formats


def _whole_or_three(value) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}"


# --- cleaning when stale ------------------------------------------------------------------

def stale_reason(raw_dir: Path, clean_dir: Path) -> str | None:
    """Why ``clean_dir`` must be rebuilt from ``raw_dir`` (None when it is current)."""
    store = CleanStore(clean_dir)
    if not store.exists():
        return "there are no clean tables yet"
    manifest = store.manifest
    if manifest.get("package_version") != __version__:
        return f"they were made by liushou_analysis {manifest.get('package_version')}, this is {__version__}"
    if manifest.get("codebook_version") != codebook_version():
        return "the codebook changed since they were made"
    from liushou_analysis.cleaning.pipeline import data_files
    from liushou_analysis.cleaning.settings import SETTINGS_FILE
    from liushou_analysis.readers.rawread import file_sha256

    recorded = {f["file"]: f["sha256"] for f in manifest["files"] + manifest.get("files_not_used", [])}
    current = {p.relative_to(raw_dir).as_posix(): p for folder in term_folders(raw_dir).values()
               for p in data_files(folder)[0]}
    settings = raw_dir / SETTINGS_FILE
    if settings.is_file() or manifest.get("settings"):
        recorded[SETTINGS_FILE] = manifest.get("settings_sha256")
    if settings.is_file():
        current[SETTINGS_FILE] = settings
    if set(recorded) != set(current):
        return "raw files were added or removed since they were made"
    changed = [name for name, path in current.items() if file_sha256(path) != recorded[name]]
    if changed:
        return f"{len(changed)} raw file(s) changed since they were made (e.g. {changed[0]})"
    damaged = store.changed_files()
    if damaged or "checksums" not in manifest:
        return (f"{damaged[0]} is not the file liushou clean wrote (changed or cut short)" if damaged
                else "they were made before clean tables carried checksums")
    return None


# --- notebooks ----------------------------------------------------------------------------

def notebook_sources(folder: Path = config.NOTEBOOKS) -> list[Path]:
    """The term notebooks (``NN_name.py``) in order."""
    sources = sorted(folder.glob("[0-9][0-9]_*.py"))
    if not sources:
        raise UserError(f"no notebooks (NN_name.py) found in {folder}.")
    return sources


def _failure(name: str, path: Path, err) -> NotebookFailed:
    cell = getattr(err, "exec_count", None) or getattr(err, "cell_index", "?")
    source = (getattr(err, "source", "") or "").strip().splitlines()
    first = source[0][:80] if source else ""
    return NotebookFailed(f"notebook {name} failed in cell [{cell}] ({first!r}) with {getattr(err, 'ename', '')}: "
                          f"{getattr(err, 'evalue', err)}. The executed notebook with the full traceback is {path}.")


def _glyph_warnings(nb) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else json.dumps(out.get("data", {}))
            if MISSING_GLYPH in text:
                found.append(text.strip().splitlines()[0][:200])
    return found


def _without_run_details(nb):
    """Drop what differs between two runs on the same inputs (timings and
    random cell ids) so reports are byte for byte the same."""
    for key in ("start_time", "end_time", "duration"):
        nb.metadata.get("papermill", {}).pop(key, None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    return nb


def _local_paths(raw_dir: Path, clean_dir: Path, out_dir: Path) -> dict[str, str]:
    """Absolute local paths a notebook sees, and what a published notebook
    shows instead (it must not reveal the machine's folders)."""
    return {str(Path(out_dir).resolve()): "<report_dir>", str(Path(clean_dir).resolve()): "<clean_dir>",
            str(Path(raw_dir).resolve()): "<raw_dir>", str(config.ROOT): "<project>", str(Path.home()): "~"}


def _without_local_paths(nb, paths: dict[str, str]):
    """Replace absolute local paths in every cell's source and outputs."""
    import nbformat  # imported where used: it pulls in jsonschema, a second and a half at every notebook's start

    text = nbformat.writes(nb)
    for path, label in sorted(paths.items(), key=lambda kv: -len(kv[0])):  # longest first
        text = text.replace(json.dumps(path)[1:-1], label)
    return nbformat.reads(text, as_version=4)


@contextmanager
def _local_kernel():
    """A kernel manager whose kernel talks over local socket files in a private temporary folder (IPC), not TCP
    ports: nothing listens on the network, and ipykernel has no unencrypted-TCP warning to print."""
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory(prefix="liushou-kernel-") as folder:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(folder) / "kernel"))
        try:
            yield km
        finally:  # a kernel the caller started is the caller's to stop
            if km.has_kernel:
                km.shutdown_kernel(now=True)


#: In a notebook's Markdown cell, the line that starts its English text; the Chinese comes first.
EN_MARK = "<!-- en -->"


def localize(nb, lang: str = "zh"):
    """The notebook with each Markdown cell in ``lang``: a cell holds its Chinese text, then a line
    :data:`EN_MARK`, then the English; a cell without the mark is the same in both."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and EN_MARK in cell.source:
            zh, en = cell.source.split(EN_MARK, 1)
            cell.source = (en if lang == "en" else zh).strip("\n")
    return nb


#: A first cell each notebook runs with when notebooks share a kernel: it empties the namespace, so a notebook
#: sees nothing of the one before it (modules stay imported, which is what sharing saves). Removed afterwards.
RESET_TAG = "liushou-reset"


def execute_notebook(source: Path, parameters: dict, out_dir: Path, local_paths: dict[str, str] | None = None,
                     km=None):
    """Execute one jupytext notebook with ``parameters``; returns the executed
    notebook, with ``local_paths`` replaced by their labels. ``km`` (from
    :func:`_local_kernel`) lets the notebooks of one report share a kernel;
    without it the notebook gets a kernel of its own."""
    import jupytext
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb_dir = out_dir / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    name = source.stem
    raw = nb_dir / f"{name}.source.ipynb"
    nb = localize(jupytext.read(source), parameters.get("lang", "zh"))
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f", metadata={"tags": [RESET_TAG]}))
    jupytext.write(nb, raw)
    done = nb_dir / f"{name}.ipynb"
    try:
        with (_local_kernel() if km is None else contextlib.nullcontext(km)) as kernel:
            nb = pm.execute_notebook(str(raw), str(done), parameters=parameters, progress_bar=False,
                                     kernel_name="python3", language="python", cwd=str(config.ROOT),
                                     log_output=False, km=kernel,
                                     # written once at the end (or on an error), not after every cell
                                     request_save_on_cell_execute=False)
    except PapermillExecutionError as err:
        # the report folder is a temporary one, removed on failure: keep the failed notebook beside it
        kept = out_dir.parent / f"{out_dir.name.split('.writing-')[0].lstrip('.')}.failed-{name}.ipynb"
        if done.exists():
            shutil.copy2(done, kept)
        raise _failure(name, kept, err) from None
    finally:
        raw.unlink(missing_ok=True)
    nb.cells = [c for c in nb.cells if RESET_TAG not in c.metadata.get("tags", [])]
    counts = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(counts, 1):  # numbered from 1, whatever ran in the kernel before
        cell.execution_count = i if cell.execution_count is not None else None
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = cell.execution_count
    nb = _without_run_details(nb)
    if local_paths:
        nb = _without_local_paths(nb, local_paths)
    nbformat.write(nb, done)
    glyphs = _glyph_warnings(nb)
    if glyphs:
        raise NotebookFailed(f"notebook {name} drew characters its font lacks ({glyphs[0]}); see {done}.")
    return nb


def to_html(nb, title: str, lang: str = "zh") -> str:
    """A notebook as a self-contained HTML page without code cells, in ``lang`` (the page's html lang, so a
    browser and a screen reader treat the Chinese as Chinese)."""
    from nbconvert import HTMLExporter

    template = Path(__file__).with_name("templates") / "offline.html.j2"
    exporter = HTMLExporter(template_name="lab", template_file=str(template), exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True, language_code=lang)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}, "cjk_font_css": CJK_FONT_CSS})
    return body


def sources() -> pd.DataFrame:
    """The source documents pages cite by number, with their full titles (``data/sources.csv``)."""
    return pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "sources.csv", comment="#", dtype=str)


def write_index(out_dir: Path, dataset: str, term: str, pages: list[tuple[str, str]],
                skipped: list[tuple[str, str]] = (), min_cell: int = MIN_CELL, lang: str = "zh") -> Path:
    """The report's ``index.html``: its pages, the pages left out and why, figures, tables and the full
    titles of the sources the pages cite (``#sources``, where the pages link), in ``lang``."""
    figures = sorted((out_dir / "figures").glob("*.png"))
    tables = sorted((out_dir / "tables").glob("*.csv"))
    e = html.escape

    def say(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    k = int(min_cell)
    parts = [f"<!DOCTYPE html><html lang='{'en' if lang == 'en' else 'zh'}'><head><meta charset='utf-8'>"
             f"<title>{e(dataset)} {e(term)}</title>",
             f"<style>{CJK_FONT_CSS}"
             "body{font-family:'Liushou Sans SC',system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
             "img{max-width:28em;border:1px solid #ccc;margin:.3em}figure{display:inline-block;margin:0}"
             "figcaption{font-size:.8em}</style></head><body>",
             say(f"<h1>留守儿童报告：{e(dataset)}，{e(term)}</h1>",
                 f"<h1>Left-behind children report: {e(dataset)}, {e(term)}</h1>"),
             say(f"<p>由 liushou_analysis {e(__version__)} 生成。表中少于{k}名学生的格已隐去，"
                 "可由其他格推算出它们的格也一并隐去（全报告统一核对）。</p>",
                 f"<p>Made by liushou_analysis {e(__version__)}. Tables suppress cells of fewer than {k} pupils, "
                 "and the cells from which they could be worked out, across the whole report.</p>"),
             say("<h2>报告</h2><ul>", "<h2>Reports</h2><ul>")]
    parts += [f"<li><a href='{e(href)}'>{e(title)}</a></li>" for href, title in pages]
    parts += [say(f"<li>{e(title)}：本学期未生成（{e(why)}）</li>",
                  f"<li>{e(title)}: not made for this term ({e(why)})</li>") for title, why in skipped]
    if (out_dir / "payouts.xlsx").exists():
        parts.append(say("</ul><h2>支付表</h2><ul><li><a href='payouts.xlsx'>payouts.xlsx</a>"
                         "（化名编号；供学校财务使用，不得公开）</li>",
                         "</ul><h2>Payouts</h2><ul><li><a href='payouts.xlsx'>payouts.xlsx</a> (pseudonymous "
                         "keys; for the school's administration, not for publication)</li>"))
    parts.append(say("</ul><h2>图</h2>", "</ul><h2>Figures</h2>"))
    parts += [f"<figure><a href='figures/{e(p.name)}'><img src='figures/{e(p.name)}' alt='{e(p.stem)}'></a>"
              f"<figcaption>{e(p.stem)}</figcaption></figure>" for p in figures]
    parts.append(say("<h2>表（CSV）</h2><ul>", "<h2>Tables (CSV)</h2><ul>"))
    parts += [f"<li><a href='tables/{e(p.name)}'>{e(p.name)}</a></li>" for p in tables]
    parts.append(say("</ul><h2 id='sources'>来源</h2><p>页面中“文献001第6篇”指下列文献集001中的第6篇。这些文献的内容、"
                     "定义和数字，本项目在其文档 docs/domain.md 与 docs/sources.md 中用自己的话作了说明。</p><ul>",
                     "</ul><h2 id='sources'>Sources</h2><p>“collection 001, article 6” on a page is article 6 (篇6) of "
                     "collection 001 below. What the project takes from them is written out in its docs/domain.md "
                     "and docs/sources.md.</p><ul>"))
    parts += [f"<li>{e(s.code)}：{e(s.title)}</li>" for s in sources().itertuples(index=False)]
    parts.append("</ul></body></html>\n")
    index = out_dir / "index.html"
    index.write_text("".join(parts), encoding="utf-8")
    return index


def run_report(raw_dir: Path, term: str | None = None, clean_dir: Path | None = None, out_dir: Path | None = None,
               notebooks: Path = config.NOTEBOOKS, min_cell: int = MIN_CELL, progress=None,
               allow_incomplete: bool = False, lang: str = "zh", read_cache: Path | None = None,
               workers: int = 1) -> Path:
    """Run the term report; returns the path of its ``index.html``. Stops
    (:class:`~.errors.Incomplete`) when the clean tables are incomplete,
    unless ``allow_incomplete``."""
    from liushou_analysis.cleaning.pipeline import clean_dataset

    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise UserError(f"{raw_dir} is not a folder: give a raw dataset such as data_raw/sample.")
    dataset = raw_dir.resolve().name
    clean_dir = Path(clean_dir) if clean_dir else config.clean_dir(dataset)
    start = time.perf_counter()
    if out_dir:  # a folder the report may not replace is refused before any work
        check_target(Path(out_dir), "report", raw_dirs=(raw_dir, clean_dir))
    reason = stale_reason(raw_dir, clean_dir)
    if reason:
        say(f"Cleaning {raw_dir} into {clean_dir} ({reason})...")
        # a Progress shows each file it reads (a bar on a terminal); any other callable gets the messages
        clean_dataset(raw_dir, clean_dir, progress=say if hasattr(say, "step") else (lambda m: say(f"  {m}")),
                      read_cache=read_cache, workers=workers)
    else:
        say(f"Clean tables in {clean_dir} are up to date.")
    store = CleanStore(clean_dir)
    manifest = store.manifest
    say(f"Pseudonymous keys made with {manifest.get('pseudonym_key', 'an unrecorded key')}.")
    for f in manifest.get("files_not_used", []):
        say(f"Not used: {f['reason']}")
    for problem in manifest.get("incomplete", []):
        say(f"Incomplete: {problem}")
    if manifest.get("incomplete") and not allow_incomplete:
        raise Incomplete(f"the clean tables in {clean_dir} are incomplete (see above); fix the raw files, or rerun "
                         "with --allow-incomplete to report on them as they are.")
    manifest_terms = manifest["terms"]
    term = term or store.latest_term
    if term not in manifest_terms:
        raise UserError(f"term {term} is not in {raw_dir}; its terms are {', '.join(manifest_terms)}.")
    target = Path(out_dir) if out_dir else config.report_dir(dataset, term)
    with publish_dir(target, "report", raw_dirs=(raw_dir, clean_dir)) as work:
        _write_report(work, raw_dir, clean_dir, dataset, term, notebooks, min_cell, say, lang)
    index = target / "index.html"
    say(f"Report for {dataset} {term} written to {target} in {time.perf_counter() - start:.1f} s.")
    return index


def _write_report(out_dir: Path, raw_dir: Path, clean_dir: Path, dataset: str, term: str, notebooks: Path,
                  min_cell: int, say, lang: str = "zh") -> None:
    """Every page, table and figure of the report, into ``out_dir`` (a new folder)."""
    (out_dir / "fonts").mkdir()
    shutil.copy2(FONT_FILE, out_dir / "fonts" / FONT_FILE.name)  # the pages' Chinese text uses it too
    shutil.copy2(FONT_FILE.with_name("OFL.txt"), out_dir / "fonts" / "OFL.txt")
    parameters = {"dataset": dataset, "term": term, "raw_dir": str(raw_dir.resolve()),
                  "clean_dir": str(clean_dir.resolve()), "report_dir": str(out_dir.resolve()), "min_cell": min_cell,
                  "lang": lang}
    planted = raw_dir / "_truth" / "planted_effects.csv"  # a synthetic county's planted effects, for notebook 02
    store = CleanStore(clean_dir)
    if planted.is_file() and store.synthetic:
        parameters["planted_effects_file"] = str(planted.resolve())
    sources = notebook_sources(notebooks)
    pages = []
    skipped = []
    with _local_kernel() as km:  # one kernel for the report's notebooks; each starts from an empty namespace
        for i, source in enumerate(sources, 1):
            t0 = time.perf_counter()
            check = APPLIES.get(source.stem, lambda *_: (True, ""))
            applies, why = check(store, term, "en")
            if not applies:
                say(f"[{i}/{len(sources)}] {source.stem} left out: {why}.")
                skipped.append((page_title(source.stem, lang), check(store, term, lang)[1]))
                continue
            say(f"[{i}/{len(sources)}] running {source.stem}...")
            wanted = {k: v for k, v in parameters.items()
                      if k != "planted_effects_file" or source.stem.startswith("02")}
            nb = execute_notebook(source, wanted, out_dir, _local_paths(raw_dir, clean_dir, out_dir), km)
            page = out_dir / f"{source.stem}.html"
            title = page_title(source.stem, lang)
            page.write_text(to_html(nb, f"{title}: {dataset} {term}", lang), encoding="utf-8")
            pages.append((page.name, title))
            say(f"[{i}/{len(sources)}] {source.stem} done in {time.perf_counter() - t0:.1f} s -> {page.name}")
    write_index(out_dir, dataset, term, pages, skipped, min_cell, lang)


def context(dataset: str = config.SAMPLE_DATASET, term: str | None = None, raw_dir: str | None = None,
            clean_dir: str | None = None, report_dir: str | None = None, min_cell: int = MIN_CELL,
            lang: str = "zh") -> dict:
    """A notebook's parameters with the defaults filled in from the package config:
    the dataset's raw and clean folders, its latest term, and no report folder
    (nothing is written when a researcher runs a notebook by hand)."""
    raw = Path(raw_dir) if raw_dir else config.raw_dir(dataset)
    clean = Path(clean_dir) if clean_dir else config.clean_dir(dataset)
    store = CleanStore(clean)
    if not store.exists():
        raise UserError(f"{clean} has no clean tables: run 'liushou report --data {raw}' (or 'liushou clean {raw}').")
    term = term or store.latest_term
    synthetic = store.synthetic  # cleaning recorded whether the raw dataset is a synthetic county
    return {"dataset": dataset, "term": term, "raw_dir": raw, "clean_dir": clean, "store": store,
            "report_dir": Path(report_dir) if report_dir else None, "min_cell": int(min_cell),
            "lang": lang if lang in LANGS else "zh",
            "synthetic": synthetic}
