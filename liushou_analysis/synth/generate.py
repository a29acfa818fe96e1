"""Write a synthetic county's raw exports, term by term, and its truth.

Layout written under ``out``::

    <term>/<school>_<table>[_<grade>].xlsx|csv   one term's exports
    <term>/<school>/<office name>.xlsx|xls       an office-kept school's exports
                                                 (and its folder litter)
    _truth/*.parquet                             clean values (validation only)
    _truth/messiness.parquet                     every defect put into a file
    _truth/files.parquet                         each file's format and layout
    _truth/truth.json                            parameters, targets, planted effects
    README.md                                    what the dataset is
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_analysis._version import __version__
from liushou_analysis.cleaning.pseudonym import sign_dataset
from liushou_analysis.core.outputs import publish_dir
from liushou_analysis.synth import exports, people
from liushou_analysis.synth.calibration import Calibration, Messiness
from liushou_analysis.synth.exports import Context, FileMess, build_scores, builder, slice_term, tables_for_semester
from liushou_analysis.synth.model import SUBJECTS_BY_GRADE, County, build_county, stream
from liushou_analysis.synth.questionnaire import CODEBOOK as QUESTIONNAIRE_CODEBOOK
from liushou_analysis.synth.questionnaire import FILE_NAME as QUESTIONNAIRE_FILE
from liushou_analysis.synth.questionnaire import LONELINESS_SHIFT, questionnaire
from liushou_analysis.synth.writers import write_csv, write_html_xls, write_rows_xlsx, write_xlsx

TRUTH_DIR = "_truth"


def record_id_numbers(county: County, mess: Messiness) -> pd.DataFrame:
    """Pupils with the ID number as the school recorded it: a few with a
    wrong check character, a few whose birth date differs from the stated
    one (typing errors that cleaning must flag, not fix)."""
    rng = stream(county.seed, "id_numbers")
    p = county.pupils.copy()
    n = len(p)
    rec = p.id_number.to_numpy().astype(object)
    bad_check = rng.random(n) < mess.invalid_id_number_share
    wrong_birth = (~bad_check) & (rng.random(n) < mess.id_birth_mismatch_share)
    check = pd.Series(rec).str[17].to_numpy()
    other = np.array(list("0123456789X"))
    shifted = other[(np.searchsorted(np.sort(other), check) + rng.integers(1, 11, n)) % 11]
    rec[bad_check] = [s[:17] + c for s, c in zip(rec[bad_check], shifted[bad_check])]
    if wrong_birth.any():
        moved = pd.to_datetime(p.birth_date[wrong_birth]) + pd.to_timedelta(
            rng.integers(1, 200, wrong_birth.sum()), unit="D")
        body = [s[:6] + d + s[14:17] for s, d in zip(rec[wrong_birth], moved.dt.strftime("%Y%m%d"))]
        rec[wrong_birth] = [b + c for b, c in zip(body, people.id_check_digit(np.array(body)))]
    p["id_number_recorded"] = rec
    p["id_defect"] = np.select([bad_check, wrong_birth], ["bad_check_digit", "birth_date_mismatch"], "")
    return p


def _file_plan(county: County, mess_rates: Messiness, term, school, table: str, grade: int | None):
    """Per-file choices: format, encoding, line ends, numeric IDs."""
    name = f"file:{term.term}:{school.school_id}:{table}:{grade}"
    rng = stream(county.seed, name)
    as_csv = bool(rng.random() < mess_rates.csv_file_share)
    encoding = mess_rates.csv_encodings[rng.integers(len(mess_rates.csv_encodings))]
    line_end = "\r\n" if rng.random() < mess_rates.crlf_share else "\n"
    ids_numeric = (not as_csv) and bool(rng.random() < mess_rates.id_numeric_share)
    return rng, as_csv, encoding, line_end, ids_numeric


#: What an office-kept school's folder also collects: file name -> bytes.
LITTER = {"Thumbs.db": b"\x00\x01", "~$学生花名册.xlsx": b"\x00" * 165, "工作安排.docx": b"PK\x03\x04 (not a table)"}


def kept_schools(county: County, rates: Messiness) -> set[int]:
    """The schools that keep their files the office way: a seeded share, at least one."""
    if rates.school_kept_share <= 0:
        return set()
    ids = county.schools.school_id.to_numpy()
    rng = stream(county.seed, "office_kept_schools")
    k = max(1, int(round(rates.school_kept_share * len(ids))))
    return {int(s) for s in rng.permutation(ids)[:k]}


def _office_path(ctx: Context, table: str, grade: int | None, fmt: str) -> str:
    """``<term>/<school>/<name>``: names as an office gives them, in a school folder."""
    name = (f"{ctx.term_words}{exports.GRADE_ZH[grade]}年级期末考试成绩表" if grade
            else exports.OFFICE_NAMES[table])
    return f"{ctx.term.term}/{ctx.school.school_name}/{name}.{'xlsx' if fmt == 'xlsx' else 'xls'}"


def write_county(county: County, out: Path, messiness: Messiness | None = None, progress=None) -> dict:
    """Write every term's exports and the truth under ``out``, replacing it
    only when it holds an earlier synthetic county (:mod:`..outputs`), and
    sign the files so that only this folder may use the demo key."""
    from liushou_analysis.synth.study import planted_effects

    with publish_dir(Path(out), "synth") as work:
        result = _write_county(county, work, messiness, progress)
        planted_effects(county).to_csv(work / TRUTH_DIR / "planted_effects.csv", index=False, float_format="%.6f",
                                       lineterminator="\n")
        sign_dataset(work)
    return result


def _write_county(county: County, out: Path, messiness: Messiness | None, progress) -> dict:
    rates = messiness or Messiness()
    say = progress or (lambda msg: None)
    pupils = record_id_numbers(county, rates)
    ctx_pupils = pupils[["pupil_uid", "school_id", "student_no", "name", "gender", "birth_date", "id_number_recorded",
                         "id_defect", "address", "family_phone", "transferred_in", "first_term"]]
    student_no_of = pupils.set_index("pupil_uid").student_no
    files, events = [], []
    n_schools = len(county.schools)
    kept = kept_schools(county, rates)
    for _, term in county.terms.iterrows():
        tdir = out / term.term
        tdir.mkdir()
        slices = slice_term(county, ctx_pupils, term)
        for i, (_, school) in enumerate(county.schools.iterrows(), start=1):
            if i == 1 or i % 20 == 0 or i == n_schools:
                say(f"writing term {term.term}: school {i}/{n_schools}")
            office = int(school.school_id) in kept
            for table in tables_for_semester(int(term.semester), office):
                grades = (7, 8, 9) if table == "scores" else (None,)
                for grade in grades:
                    rng, as_csv, enc, eol, numeric = _file_plan(county, rates, term, school, table, grade)
                    ctx = Context(county, school, term, as_csv, numeric, slices[int(school.school_id)],
                                  student_no_of, kept=office)
                    mess = FileMess(rng, rates)
                    sheets = build_scores(ctx, mess, grade) if grade else builder(table, office)(ctx, mess)
                    if sum(len(s.frame) for s in sheets) == 0:
                        continue
                    # an office-kept school's text exports are HTML or tab-separated text saved as .xls
                    fmt = ("html" if rng.random() < 0.5 else "tsv") if (office and as_csv) else \
                        ("csv" if as_csv else "xlsx")
                    if office:
                        rel = _office_path(ctx, table, grade, fmt)
                    else:
                        stem = f"{school.school_name}_{exports.TABLE_ZH[table]}"
                        if grade:
                            stem += f"_{exports.GRADE_ZH[grade]}年级"
                        rel = f"{term.term}/{stem}.{'csv' if as_csv else 'xlsx'}"
                    (out / rel).parent.mkdir(exist_ok=True)
                    if fmt == "html":
                        pos, used = write_html_xls(out / rel, sheets[0], enc)
                    elif as_csv:
                        pos, used = write_csv(out / rel, sheets[0], enc, eol, "\t" if fmt == "tsv" else ",")
                    else:
                        pos, used = write_xlsx(out / rel, sheets), ""
                    files.append(_file_record(rel, table, term, school, grade, as_csv, used, eol, numeric, sheets, pos,
                                              fmt))
                    ev = _locate(mess.events, pos, sheets, rel)
                    if len(ev):
                        events.append(ev)
            if office:
                for name, data in LITTER.items():
                    (tdir / school.school_name / name).write_bytes(data)
    say("writing the pupil questionnaire")
    survey_term, survey_rows, survey_truth = questionnaire(county, pupils)
    rel = f"{survey_term}/{QUESTIONNAIRE_FILE}"
    write_rows_xlsx(out / rel, survey_rows)
    (out / "questionnaire.toml").write_text(QUESTIONNAIRE_CODEBOOK, encoding="utf-8")
    files.append({"file": rel, "table": "questionnaire", "term": survey_term, "school_id": 0, "grade": 0,
                  "format": "xlsx", "encoding": "", "line_end": "", "sheets": "Sheet1",
                  "rows_written": len(survey_rows) - 1, "title_row": False, "two_row_header": False,
                  "per_class_sheets": False, "wide_empty_columns": False, "ids_numeric": False})
    say("writing the truth file")
    truth = out / TRUTH_DIR
    truth.mkdir()
    tables = county.tables()
    tables["pupils"] = pupils
    tables["questionnaire"] = survey_truth
    for name, frame in tables.items():
        _write_parquet(frame, truth / f"{name}.parquet")
    files_df = pd.DataFrame(files)
    mess_df = (pd.concat(events, ignore_index=True) if events else
               pd.DataFrame(columns=["file", "sheet", "row", "column", "kind", "detail", "pupil_uid"]))
    _write_parquet(files_df, truth / "files.parquet")
    _write_parquet(mess_df, truth / "messiness.parquet")
    meta = truth_metadata(county, rates)
    (truth / "truth.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    (out / "README.md").write_text(_dataset_readme(county, files_df), encoding="utf-8")
    return {"pupils": len(county.pupils), "files": len(files_df), "defects": len(mess_df)}


def _file_record(rel, table, term, school, grade, as_csv, encoding, eol, numeric, sheets, pos, fmt):
    return {
        "file": rel, "table": table, "term": term.term, "school_id": int(school.school_id),
        "grade": int(grade) if grade else 0, "format": fmt,
        "encoding": encoding, "line_end": ("crlf" if eol == "\r\n" else "lf") if as_csv else "",
        "sheets": "|".join(s.name for s in sheets) if not as_csv else "",
        "rows_written": int(len(pos)),
        "title_row": any(s.title for s in sheets) and not as_csv,
        "two_row_header": any(s.groups for s in sheets) and not as_csv,
        "per_class_sheets": len(sheets) > 1,
        "wide_empty_columns": any(s.wide_empty for s in sheets) and not as_csv,
        "ids_numeric": bool(numeric),
    }


def _locate(event_frames, pos, sheets, rel) -> pd.DataFrame:
    """Turn logged defects (by internal row) into file, sheet and row number."""
    if not event_frames:
        return pd.DataFrame()
    ev = pd.concat(event_frames, ignore_index=True)
    uid = pd.concat([s.frame[["_row", "_pupil_uid"]] for s in sheets], ignore_index=True)
    first = pos[pos.copy_no == 0][["_row", "sheet", "row"]]
    ev = ev.merge(first, on="_row", how="left").merge(uid, on="_row", how="left")
    ev["row"] = np.where(ev.kind == "duplicated_row", ev.row + 1, ev.row)
    ev["file"] = rel
    ev = ev.rename(columns={"_pupil_uid": "pupil_uid"})
    ev["detail"] = ev.detail.astype(str)
    return ev[["file", "sheet", "row", "column", "kind", "detail", "pupil_uid"]]


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].astype(str)
        elif pd.api.types.is_datetime64_any_dtype(frame[col]):  # pandas 2 defaults to ns, pandas 3 to us
            frame[col] = frame[col].astype("datetime64[us]")
    frame.to_parquet(path, index=False, engine="pyarrow")


def truth_metadata(county: County, rates: Messiness) -> dict:
    """Parameters, calibration targets and planted effects, for the truth file."""
    cal: Calibration = county.calibration
    return {
        "generator": f"liushou_analysis {__version__}",
        "seed": county.seed,
        "schools": int(len(county.schools)),
        "school_years": county.n_years,
        "start_year": county.start_year,
        "terms": county.terms.term.tolist(),
        "pupils": int(len(county.pupils)),
        "planted_effects": {
            "pairing_effect_sd_per_semester": cal.pairing_effect_sd,
            "meaning": ("each semester a pupil spends paired with a helper of this type adds this many "
                        "standard deviations of ability, permanently; it shows from that semester's final exam"),
            "both_parents_away_penalty_sd": cal.both_away_penalty_sd,
            "test_reliability": cal.test_reliability,
            "loneliness_shift_sd_by_care": LONELINESS_SHIFT,
            "loneliness_meaning": ("the pupil questionnaire's loneliness latent is this many standard deviations "
                                   "higher under each care arrangement; _truth/questionnaire.parquet holds every "
                                   "sampled pupil's scale score"),
        },
        "calibration": cal.as_dict(),
        "messiness_rates": rates.as_dict(),
        "subjects_by_grade": SUBJECTS_BY_GRADE,
    }


def _dataset_readme(county: County, files: pd.DataFrame) -> str:
    terms = ", ".join(county.terms.term)
    return (
        "# Synthetic county (generated, not real data)\n\n"
        f"Generated by `liushou synth --seed {county.seed} --schools {len(county.schools)} "
        f"--years {county.n_years}`. Every name, phone number, ID number and address here is made up.\n\n"
        f"Terms: {terms}. {len(county.pupils):,} pupils, {len(files):,} export files.\n\n"
        "Each term folder holds what the schools exported that semester (rosters, class lists, final-exam\n"
        "scores by grade, pairing lists, contact logs; family surveys and left-behind archives in semester 1;\n"
        "three-good and discipline lists in semester 2), with the defects real exports have.\n\n"
        "`_truth/` holds the clean values and a log of every defect. Only validation code may read it.\n"
    )


def synthesize(out: Path, seed: int, n_schools: int, n_years: int, start_year: int = 2023, progress=None) -> dict:
    """Draw a county and write it: the function behind ``liushou synth``."""
    county = build_county(seed, n_schools, n_years, start_year=start_year, progress=progress)
    return write_county(county, out, progress=progress)
