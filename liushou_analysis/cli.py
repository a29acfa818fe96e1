"""The ``liushou`` command.

Each subcommand is a stage of the project's one-way data flow. A mistake in
the input or the command is reported as one sentence (exit code 2); add
``--verbose`` to see the full traceback of an unexpected error.

Exit codes: 0 the results are usable; 1 an unexpected error; 2 a mistake
in the input or the command; 3 the command finished but its results are not
usable: ``liushou clean`` (and ``report``) when a table read rows but kept
none, or lost its school, class or left-behind status for at least half of
its rows (see ``--allow-incomplete``); ``liushou score`` when nothing was
scored.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from liushou_analysis._version import __version__
from liushou_analysis.core import config
from liushou_analysis.core.errors import Incomplete, UserError

#: Exit code of a clean whose data are incomplete (see the module docstring).
EXIT_INCOMPLETE = 3

DESCRIPTION = """\
Tools for survey research on rural left-behind children (留守儿童).

Data flows one way: data_raw/<dataset>/<term>/ holds what schools exported
(never edited by hand); cleaning turns it into tidy tables in data_clean/;
reports go to reports/. A term id looks like 2023-2024-1 (school year,
semester 1 or 2).
"""

EPILOG = """\
examples:
  liushou synth --out data_raw/mycounty --seed 7 --schools 6 --years 2
      make a synthetic county to practise on (no real personal data)
  liushou clean data_raw/sample
      clean the sample into data_clean/sample (tidy Parquet tables)
  liushou score --data data_clean/sample --out reports/sample/reward_points
      compute the reward-point scheme from the clean tables, with an audit trail
  liushou inventory data_raw/sample
      list a dataset's terms and files
  liushou report --data data_raw/sample --term 2024-2025-2
      the term's report: reports/sample/2024-2025-2/index.html
  liushou survey 问卷.xlsx --codebook codebook.toml --design design.toml --out results/survey
      a questionnaire (问卷星, 腾讯问卷, .dta, .sav): estimates.csv, the coded data and a Chinese page

Run 'liushou <command> --help' for a command's options.
"""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small: give 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The `liushou` command line: one sub-command per job."""
    parser = argparse.ArgumentParser(prog="liushou", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"liushou_analysis {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show full tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="<command>")

    synth = sub.add_parser(
        "synth", help="generate a synthetic county's raw school exports",
        description=("Generate a realistic synthetic county: every term's school exports (rosters, scores, "
                     "family surveys, pairing lists, contact logs, conduct) with the defects real exports "
                     "have, plus a ground-truth folder _truth/ that only validation code may read. "
                     "All personal data in it is made up."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    synth.add_argument("--out", required=True, type=Path,
                       help="dataset folder to write, e.g. data_raw/mycounty (replaced if it holds a county)")
    synth.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same files")
    synth.add_argument("--schools", type=_positive, default=config.SAMPLE_SCHOOLS,
                       help="number of junior middle schools (about 520 pupils each)")
    synth.add_argument("--years", type=_positive, default=config.SAMPLE_YEARS,
                       help="number of school years, two semesters each")
    synth.add_argument("--start-year", type=int, default=config.SAMPLE_START_YEAR,
                       help="calendar year the first school year starts in")

    clean = sub.add_parser(
        "clean", help="clean a raw dataset into validated tidy tables",
        description=("Clean every term of a raw dataset into validated tidy tables (Parquet) in data_clean/. "
                     "Rows that cannot be cleaned go to quarantine.parquet with the reason; manifest.json says "
                     "what was read, kept and quarantined per file. Names, phone numbers, ID numbers and "
                     "addresses are never written; pupils and helpers get pseudonymous keys (HMAC-SHA256) from "
                     "the key in $LIUSHOU_KEY or ~/.config/liushou/key (synthetic data uses a demo key)."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    clean.add_argument("data", type=Path, help="raw dataset folder, e.g. data_raw/sample")
    clean.add_argument("--out", type=Path, help="output folder (default: data_clean/<dataset name>)")
    clean.add_argument("--strict", action="store_true",
                       help="stop at the first file that cannot be used, instead of listing it under 'files not used'")
    clean.add_argument("--workers", type=_positive, default=1, metavar="N",
                       help="read the files, then clean the tables, with N processes at once (the clean tables "
                            "are the same)")
    clean.add_argument("--cluster", metavar="ADDRESS",
                       help="read the files on a Dask cluster: a scheduler's address (tcp://host:8786), or local:N "
                            "for N worker processes here; workers must see the raw folder at the same path "
                            "(docs/scale.md; needs the cluster extra)")
    clean.add_argument("--read-cache", type=Path, metavar="DIR",
                       help="keep what each file held in DIR, so the next clean reads only the files that changed; "
                            "DIR holds the raw cells (names included): keep it with the raw data's protection, "
                            "outside data_clean/, reports/ and the raw folders")
    clean.add_argument("--allow-incomplete", action="store_true",
                       help=f"exit 0 even when a table kept no rows or lost its school, class or left-behind status "
                            f"for half of them (otherwise exit code {EXIT_INCOMPLETE})")

    score = sub.add_parser(
        "score", help="compute the reward-point scheme (考核及奖励) with an audit trail",
        description=("Compute the school plan's reward points (001 篇6/篇8): helpers' and head teachers' points "
                     "for their pupils' class ranks, conduct and titles, and the pupils' awards, with an audit "
                     "row for every clause applied. Inputs are CSV files or .xlsx sheets (book.xlsx#Sheet) with "
                     "the columns scores: pupil_id, class_id, school_year, semester, total_score; pairings: "
                     "helper_id, helper_role, pupil_id, school_year; conduct: pupil_id, school_year, "
                     "serious_violation, three_good; classes: class_id, school_year, head_teacher_id. Or give "
                     "--data with a folder made by liushou clean. Writes CSV files and reward_points.xlsx."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for name in ("scores", "pairings", "conduct", "classes"):
        score.add_argument(f"--{name}", help=f"the {name} input (.csv or .xlsx)")
    score.add_argument("--pupils", help="optional: pupil status (pupil_id, left_behind, single_parent), which decides "
                                        "which paired pupils count (the plan pays for 留守、单亲儿童)")
    score.add_argument("--data", type=Path, help="a clean dataset folder (data_clean/<dataset>) instead of the four")
    score.add_argument("--out", type=Path, required=True, help="folder for the outputs")
    score.add_argument("--rules", type=Path, help="a TOML file of rules (name = value) that differ from the plan's")
    score.add_argument("--max-total", type=float, default=None,
                       help="the highest plausible total score (default 1500, ten subjects' full marks); a higher "
                            "total is a problem row")
    score.add_argument("--cluster", metavar="ADDRESS",
                       help="score the pupils on a Dask cluster, in parts of whole schools: a scheduler's address "
                            "(tcp://host:8786), or local:N for N worker processes here (the same outputs; "
                            "docs/scale.md; needs the cluster extra)")
    score.add_argument("--skip-bad-rows", action="store_true",
                       help="score without the rows that fail the input checks, and list them")

    rep = sub.add_parser(
        "report", help="clean if needed, run the term notebooks and write the term's report",
        description=("The project's main job. Cleans the raw dataset when its clean tables are missing or stale, "
                     "executes the notebooks in notebooks/ with the term's parameters, and writes "
                     "reports/<dataset>/<term>/: one HTML page per notebook (no code), figures as PNG, tables as "
                     "CSV, payouts.xlsx and index.html. Published tables suppress cells of fewer than --min-cell "
                     "pupils."),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    rep.add_argument("--data", type=Path, required=True, help="raw dataset folder, e.g. data_raw/sample")
    rep.add_argument("--term", help="term id such as 2024-2025-2 (default: the dataset's latest term)")
    rep.add_argument("--out", type=Path, help="report folder (default: reports/<dataset>/<term>)")
    rep.add_argument("--clean", type=Path, help="clean tables folder (default: data_clean/<dataset>)")
    rep.add_argument("--allow-incomplete", action="store_true",
                     help=f"report even when the clean tables are incomplete (otherwise exit code {EXIT_INCOMPLETE})")
    rep.add_argument("--lang", choices=("zh", "en"), default="zh",
                     help="language of the tables' headers and categories on the pages (default zh, Chinese)")
    rep.add_argument("--min-cell", type=_positive, default=None,
                     help="smallest count of pupils a published cell may show (default 10, or $LIUSHOU_MIN_CELL)")
    rep.add_argument("--workers", type=_positive, default=1, metavar="N",
                     help="when it cleans: read the files and clean the tables with N processes at once")
    rep.add_argument("--read-cache", type=Path, metavar="DIR",
                     help="when it cleans: keep what each file held in DIR (see liushou clean --help)")

    inv = sub.add_parser(
        "inventory", help="list a raw dataset's terms and files",
        description="List the terms and files of a raw dataset with sizes and SHA-256 checksums.")
    inv.add_argument("data", type=Path, help="raw dataset folder, e.g. data_raw/sample")
    inv.add_argument("--out", type=Path, help="also write the list as CSV here")

    pay = sub.add_parser(
        "payouts", help="the reward-point payouts with names, for the accountant (内部资料)",
        description="Puts names beside the pseudonymous keys of a liushou score output (helpers, head teachers, "
                    "pupils' awards), read from the raw files with the dataset's key, and writes one workbook "
                    "marked 内部资料 to the path you name: never inside data_clean/, reports/, the raw data or the "
                    "score outputs, and never part of a report. Refused without the key the data were cleaned "
                    "with.")
    pay.add_argument("--data", type=Path, required=True, help="raw dataset folder, e.g. data_raw/<dataset>")
    pay.add_argument("--scores", type=Path, required=True, help="the folder liushou score wrote (its --out)")
    pay.add_argument("--out", type=Path, required=True, help="the workbook to write, e.g. ~/发放名单.xlsx")

    srv = sub.add_parser(
        "survey", help="estimates from a questionnaire (问卷星, 腾讯问卷) or a .dta/.sav dataset",
        description="Read a questionnaire export or a research dataset, code it with an optional codebook, and "
                    "write design-based estimates (estimates.csv), the coded data (.parquet, .csv, .dta, .sav) and "
                    "a Chinese page (index.html) with small cells suppressed. See docs/questionnaires.md.")
    srv.add_argument("file", type=Path, help="the questionnaire file (.xlsx, .csv, .dta, .sav)")
    srv.add_argument("--out", type=Path, required=True, help="folder to write")
    srv.add_argument("--design", type=Path, help="sampling design (TOML); without it, a simple random sample")
    srv.add_argument("--codebook", type=Path, help="questionnaire codebook (TOML or CSV)")
    srv.add_argument("--min-cell", type=_positive, default=10, help="smallest count shown (default 10)")
    srv.add_argument("--interval", choices=("logit", "wilson", "beta"), default="logit",
                     help="confidence interval of shares (default logit, as R's svyciprop)")
    srv.add_argument("--model", action="append", default=[], metavar="FORMULA",
                     help="a survey-weighted regression, e.g. 'loneliness ~ C(care) + female' (repeatable); "
                          "logistic when the outcome is 0/1")
    exp = sub.add_parser(
        "export", help="write the clean tables as .xlsx, .dta and .sav with Chinese labels",
        description="Writes a clean dataset's tables for Excel (clean_tables.xlsx: coded values as Chinese labels, "
                    "a sheet of variables), Stata (<table>.dta, version 118) and SPSS (<table>.sav), with each "
                    "column's Chinese label and value labels for coded and yes/no columns. The tables hold "
                    "pseudonymous keys only. .sav needs pyreadstat: pip install 'liushou_analysis[export]'.")
    exp.add_argument("--data", type=Path, required=True, help="a clean dataset folder, e.g. data_clean/sample")
    exp.add_argument("--out", type=Path, required=True, help="folder for the files (an earlier export is replaced)")
    exp.add_argument("--format", dest="formats", default="xlsx,dta,sav",
                     help="comma-separated: xlsx, dta, sav (default: all three)")
    return parser


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def run_synth(args) -> None:
    """`liushou synth`: write a synthetic county, refusing a folder that is not an earlier one."""
    from liushou_analysis.core.outputs import check_target
    from liushou_analysis.synth.generate import TRUTH_DIR, synthesize

    out: Path = args.out
    check_target(out, "synth")  # before the work; liushou synth replaces only a county it wrote itself
    start = time.perf_counter()
    print(f"Generating a county of {args.schools} schools over {args.years} school years "
          f"(seed {args.seed}) into {out}", file=sys.stderr)
    result = synthesize(out, args.seed, args.schools, args.years, start_year=args.start_year, progress=_progress)
    print(f"Wrote {result['files']:,} export files for {result['pupils']:,} pupils to {out} "
          f"({result['defects']:,} deliberate defects logged in {out / TRUTH_DIR}) "
          f"in {time.perf_counter() - start:.1f} s.")


def run_inventory(args) -> None:
    """`liushou inventory`: list the raw files and what each is, and write the list when asked."""
    from liushou_analysis.readers.inventory import raw_inventory, summarise_inventory

    inventory = raw_inventory(args.data)
    summary = summarise_inventory(inventory)
    print(f"Dataset {args.data}: {inventory.term.nunique()} terms, {len(inventory)} files.")
    print(summary.to_string(index=False))
    unsupported = inventory[inventory.format == "unsupported"]
    if len(unsupported):
        print(f"{len(unsupported)} files are in formats the project cannot read (.xlsx, .xls, .csv, .txt, .html): "
              + ", ".join(unsupported.file.head(5)))
    if args.out:
        from liushou_analysis.core.outputs import write_file_atomically

        header = ",".join(inventory.columns)

        def ours(path: Path) -> bool:  # an earlier inventory: its first line is this header
            with open(path, encoding="utf-8-sig", errors="replace") as f:
                return f.readline().strip() == header

        from liushou_analysis.core.xlsxio import write_csv

        write_file_atomically(args.out, lambda tmp: write_csv(inventory, tmp), ours, raw_dirs=(args.data,))
        print(f"Wrote the file list to {args.out}.")


def run_clean(args) -> None:
    """`liushou clean`: clean a raw dataset and say what was kept and quarantined; non-zero when incomplete."""
    from liushou_analysis.cleaning.pipeline import clean_dataset

    out = args.out or config.clean_dir(args.data.name)
    start = time.perf_counter()
    from liushou_analysis.core.cluster import connect
    from liushou_analysis.core.progress import Progress

    with connect(args.cluster) as cluster:
        manifest = clean_dataset(args.data, out, progress=Progress(), strict=args.strict,
                                 read_cache=args.read_cache, workers=args.workers, cluster=cluster)
    print(clean_summary(manifest, args.data, out, time.perf_counter() - start))
    if manifest["incomplete"] and not args.allow_incomplete:
        raise Incomplete(f"the clean tables in {out} are incomplete ({len(manifest['incomplete'])} problem(s) listed "
                         "above); fix the files, or rerun with --allow-incomplete to use them as they are.")


def clean_summary(manifest: dict, raw: Path, out: Path, seconds: float) -> str:
    """What ``liushou clean`` prints: tables, link rates, files and schools,
    files not used, and what is incomplete."""
    lines = [f"Cleaned {raw} ({len(manifest['terms'])} terms, {len(manifest['files'])} files used) into {out} "
             f"in {seconds:.1f} s. Pseudonymous keys made with {manifest['pseudonym_key']}."]
    link = manifest.get("linkage", {})
    wide = max([len("table"), *map(len, manifest["totals"])]) + 2  # counts of a province still line up
    lines.append(f"{'table':<{wide}}{'read':>13}{'kept':>13}{'quarantined':>13}{'linked to a pupil':>19}")
    for table, t in manifest["totals"].items():
        rate = link.get(table, {}).get("link_rate_pct")
        lines.append(f"{table:<{wide}}{t['rows_read']:>13,}{t['rows_kept']:>13,}{t['rows_quarantined']:>13,}"
                     f"{'' if rate is None else f'{rate:.1f}%':>19}")
    schools: dict[tuple[str, str], list[str]] = {}
    for f in manifest["files"]:
        schools.setdefault((f["school"] or "(school column)", f["school_from"]), []).append(f["file"])
    lines.append("Schools:")
    for (school, how), files in sorted(schools.items()):
        lines.append(f"  {school}: {len(files)} file(s), resolved from: {how}"
                     + (f" (e.g. {files[0]}; every file is listed in manifest.json)" if len(files) > 5 else ""))
        if len(files) <= 5:
            lines += [f"    {file}" for file in files]
    unknown = sorted({c for f in manifest["files"] for c in f["unknown_columns"]})
    lines.append(f"Unknown columns (not read): {', '.join(unknown) if unknown else 'none'}.")
    for f in [f for f in manifest["files"] if f.get("format") == "questionnaire"]:
        lines.append(f"Questionnaire {f['file']} ({f['platform']}): {f['respondents']:,} answer sheets, "
                     f"{f['linked_to_pupils']:,} linked to pupils; personal columns dropped: "
                     f"{', '.join(f['personal_columns_dropped']) or 'none'}.")
        lines += [f"  {note}" for note in f.get("notes", [])]
    if manifest["quarantine"]["rows"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in manifest["quarantine"]["by_reason"].items())
        lines.append(f"Quarantine reasons: {reasons} (see {out / 'quarantine.xlsx'}).")
    if manifest["field_issues"]["fields"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in manifest["field_issues"]["by_reason"].items())
        lines.append(f"Fields set to unknown, rows kept: {reasons} (see {out / 'quarantine.xlsx'}).")
    for f in manifest["files_skipped"]:
        lines.append(f"Skipped {f['file']}: {f['reason']}.")
    if manifest["files_not_used"]:
        lines.append(f"Files not used ({len(manifest['files_not_used'])}):")
        lines += [f"  {f['reason']}" for f in manifest["files_not_used"]]
    for problem in manifest["incomplete"]:
        lines.append(f"Incomplete: {problem}")
    for missing in manifest["analyses_without_data"]:
        lines.append(f"Nothing to work on for {missing}")
    return "\n".join(lines)


def run_score(args) -> None:
    """`liushou score`: the plan's reward points from the contract files or a clean dataset."""
    from liushou_analysis.core.outputs import check_target, publish_dir
    from liushou_analysis.report.export import payout_workbook
    from liushou_analysis.scoring.contract import (
        check_inputs,
        drop_problem_rows,
        from_clean,
        problem_lines,
        read_table,
        scheme_year_note,
        write_outputs,
    )
    from liushou_analysis.scoring.engine import RewardRules, score_scheme

    check_target(args.out, "score", raw_dirs=(args.data,) if args.data else ())

    names = ("scores", "pairings", "conduct", "classes")
    given = [n for n in names if getattr(args, n)]
    if args.data and (given or args.pupils):
        raise UserError("give either --data or the four inputs (--scores, --pairings, --conduct, --classes), "
                        "not both.")
    if args.data:
        tables = {n: f for n, f in from_clean(args.data).items() if f is not None}
        for name, frame in tables.items():
            frame["_file"] = str(args.data / f"{name} (from the clean tables)")
            frame["_line"] = range(2, len(frame) + 2)
    elif len(given) == 4:
        tables = {n: read_table(getattr(args, n), n) for n in names}
        if args.pupils:
            tables["pupils"] = read_table(args.pupils, "pupils")
        note = scheme_year_note(tables["scores"])
        if note:
            print(note)
    else:
        missing = ", ".join(f"--{n}" for n in names if n not in given)
        raise UserError(f"missing input(s) {missing}: give all four files, or --data with a clean dataset folder.")
    rules = RewardRules.from_toml(args.rules) if args.rules else RewardRules()
    checked, problems = check_inputs(*(tables[n] for n in names), pupils=tables.get("pupils"),
                                     max_total=args.max_total)
    if len(problems) and not args.skip_bad_rows:
        raise UserError(f"{len(problems)} row problem(s) in the inputs; nothing was scored. Fix them, or rerun with "
                        "--skip-bad-rows to score without those rows:\n" + "\n".join(problem_lines(problems)))
    if len(problems):
        checked, problems = drop_problem_rows(checked, problems)
        print(f"Skipped {len(problems)} row(s) with problems (listed in skipped_rows.csv):")
        for line in problem_lines(problems):
            print(f"  {line}")
    frames = {n: f.drop(columns=["_file", "_line"]) for n, f in checked.items()}
    if args.cluster:
        from liushou_analysis.core.cluster import connect
        from liushou_analysis.scoring.partitions import score_scheme as score_in_parts

        with connect(args.cluster) as cluster:
            out = score_in_parts(frames["scores"], frames["pairings"], frames["conduct"], frames["classes"], rules,
                                 pupils=frames.get("pupils"), cluster=cluster)
    else:
        out = score_scheme(frames["scores"], frames["pairings"], frames["conduct"], frames["classes"], rules,
                           pupils=frames.get("pupils"))
    if out["pupil_points"].empty and out["pupil_awards"].empty:
        raise Incomplete("nothing to score: no paired pupil has a school year with scores (the pairings input has "
                         f"{len(frames['pairings'])} usable rows); check the pairings and their school years.")
    points = out["pupil_points"]
    if points.end_rank.isna().all() and not points.points_total.fillna(0).any() and out["pupil_awards"].empty:
        exams = frames["scores"][["school_year", "semester"]].drop_duplicates().sort_values(["school_year", "semester"])
        held = ", ".join(f"school year {y} semester {s}" for y, s in exams.itertuples(index=False))
        raise Incomplete("nothing to score: no paired pupil has a rank in an end-of-year exam (the plan scores on "
                         f"the semester-2 final, 第二学期期末) or a conduct record; the scores hold only {held}. Add "
                         "the end-of-year exam.")
    if len(problems):
        out["skipped_rows"] = problems
    with publish_dir(args.out, "score", raw_dirs=(args.data,) if args.data else ()) as work:
        written = write_outputs(out, work) + [payout_workbook(out, work / "reward_points.xlsx")]
    helpers, heads, awards = out["helper_points"], out["head_teacher_points"], out["pupil_awards"]
    points = out["pupil_points"]
    unknown = points["flags"].str.contains("status_unknown") & points.counted.astype(bool)
    counted = (f"{int(points.counted.sum()) - int(unknown.sum())} counted as 留守、单亲儿童"
               + (f", {int(unknown.sum())} without a status record counted too (status_unknown = count)"
                  if unknown.any() else ""))
    print(f"Scored {len(points)} pupil-years ({counted}): "
          f"{int(helpers.paid.sum())} helper-years paid {helpers.yuan.sum():,.2f} yuan "
          f"({int((~helpers.paid).sum())} helper-years not paid: pupils, or a post not read), {len(heads)} "
          f"head-teacher-years {heads.yuan.sum():,.2f} yuan, pupils' awards {awards.award_total_yuan.sum():,.2f} "
          f"yuan; each amount rounded half-up to the {'fen' if rules.pay_rounding == 'fen' else 'whole yuan'}.")
    print(f"Wrote {len(written)} files to {args.out} (CSV tables and reward_points.xlsx).")


def needs_extra(extra: str, modules: tuple[str, ...]) -> None:
    """A plain error naming the extra to install when a module it provides is missing."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise UserError(f"this command needs {', '.join(missing)}, which this installation lacks: install them with "
                        f"pip install 'liushou_analysis[{extra}]'.")


#: What `liushou report` imports to run the notebooks (the `report` extra).
REPORT_TOOLS = ("papermill", "ipykernel", "nbconvert", "jupytext", "nbformat", "IPython")


def run_report(args) -> None:
    """`liushou report`: the term report of a raw dataset (needs the report extra)."""
    needs_extra("report", REPORT_TOOLS)
    from liushou_analysis.core.terms import Term
    from liushou_analysis.report.disclosure import MIN_CELL
    from liushou_analysis.report.runner import run_report as report

    if args.term:
        Term.parse(args.term)
    from liushou_analysis.core.progress import Progress

    index = report(args.data, term=args.term, clean_dir=args.clean, out_dir=args.out,
                   min_cell=args.min_cell or MIN_CELL, progress=Progress(), allow_incomplete=args.allow_incomplete,
                   lang=args.lang, read_cache=args.read_cache, workers=args.workers)
    print(f"Open {index} in a browser.")


def run_payouts(args) -> None:
    """`liushou payouts`: the score outputs with names, for paying people (内部资料)."""
    from liushou_analysis.cleaning.pipeline import key_directory
    from liushou_analysis.core.outputs import write_file_atomically
    from liushou_analysis.scoring import payouts

    payouts.refuse_public_places(args.out, args.data, args.scores)
    scores = payouts.read_scores(args.scores)
    if not args.data.is_dir():
        raise UserError(f"{args.data} is not a folder: give the raw dataset the scores were made from.")
    directory = key_directory(args.data)
    tables = payouts.named(scores, directory)
    rows = sum(len(t) for t in tables.values())
    missing = sum(int((t["姓名"] == "（未找到 not found）").sum()) for t in tables.values())
    if rows and missing == rows:
        raise UserError(f"none of the {rows} keys in {args.scores} is a person in {args.data} with this key: the "
                        "scores were made with another key or from another dataset.")
    write_file_atomically(args.out, lambda tmp: payouts.write_workbook(tables, tmp), payouts.is_payout_workbook,
                          raw_dirs=(args.data,))
    print(f"Wrote {rows} payout rows with names to {args.out} (内部资料: keep it private)"
          + (f"; {missing} key(s) not found in the raw files are marked （未找到）." if missing else "."))


def run_export(args) -> None:
    """`liushou export`: the clean tables as .xlsx, .dta and .sav with Chinese labels."""
    from liushou_analysis.core.outputs import check_target, publish_dir
    from liushou_analysis.report.export import FORMATS, export
    from liushou_analysis.store import CleanStore

    formats = tuple(f.strip().lower().lstrip(".") for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UserError(f"--format {args.formats!r}: give one or more of {', '.join(FORMATS)}, separated by commas.")
    if "sav" in formats:
        needs_extra("export", ("pyreadstat",))
    store = CleanStore(args.data)
    store.manifest  # a plain error when the folder is not a clean dataset
    check_target(args.out, "export", raw_dirs=(args.data,))
    with publish_dir(args.out, "export", raw_dirs=(args.data,)) as work:
        written = export(store, work, formats)
    if not written:
        raise Incomplete(f"{args.data} holds no clean table to export.")
    print(f"Exported {len(written)} files ({', '.join(formats)}) from {args.data} to {args.out}.")


def run_survey(args) -> None:
    """`liushou survey`: a questionnaire or research dataset to estimates, exports and a Chinese page."""
    from liushou_analysis.report.questionnaire import run_survey as survey

    needs_extra("export", ("pyreadstat",))  # reads .dta/.sav and writes the .sav export
    survey(Path(args.file), Path(args.out), args.design, args.codebook, args.min_cell, formulas=args.model,
           interval=args.interval)
    print(f"Wrote {args.out}/estimates.csv and {args.out}/index.html.")


COMMANDS = {"survey": run_survey, "synth": run_synth, "clean": run_clean, "score": run_score,
            "inventory": run_inventory,
            "report": run_report, "export": run_export, "payouts": run_payouts}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code: 0 usable results, 2 a user mistake (one sentence),
    3 results not usable as they are (incomplete), 1 an unexpected error, 130 interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        COMMANDS[args.command](args)
    except UserError as err:
        print(f"liushou {args.command}: {err}", file=sys.stderr)
        return 2
    except Incomplete as err:
        print(f"liushou {args.command}: {err}", file=sys.stderr)
        return EXIT_INCOMPLETE
    except KeyboardInterrupt:
        print("liushou: interrupted.", file=sys.stderr)
        return 130
    except Exception as err:  # an unexpected failure: say so plainly, traceback on request
        if args.verbose:
            raise
        print(f"liushou {args.command}: unexpected error ({type(err).__name__}: {err}). "
              "Run again with --verbose for details and report it.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
