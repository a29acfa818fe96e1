"""The true synthetic county: tidy tables of what really happened.

:func:`build_county` draws schools, pupils, families, guardians, exams,
pairings, conduct and contacts from the targets in :mod:`.calibration`. The
result is the *truth*: clean values before any export mess is added. The
export writers (:mod:`.exports`) turn it into school files; the truth is
saved apart, under ``_truth/``, for validation code only.

Model in brief
--------------
* Each school admits one grade-7 cohort a year; grades 7-9 are present each
  school year, so the cohort entering in the first year is followed from
  grade 7 for every year simulated. Pupils transfer in and out each
  semester; some schools re-shuffle classes each school year.
* A family's migration status is drawn per school year (and kept from the
  year before with probability ``1 - migration_change_rate``).
* Ability: ``theta[i, t] = a[i] + drift[i, t] - penalty * both_away[i, t]
  + gain[i, t]`` where ``a ~ N(0, 1)``, ``drift`` is a random walk and
  ``gain`` adds the helper type's planted effect once per semester spent
  paired. Observed subject scores add noise so that the total score has
  reliability ``test_reliability``.
* Pairing starts at the start of a semester, picked with a logistic model
  on left-behind status and the previous exam's score (selection on
  observables: weaker and left-behind pupils are paired more often).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from liushou_analysis.synth import people
from liushou_analysis.synth.calibration import PUPILS_PER_HELPER, Calibration, Messiness

GRADE_ZH = {7: "七", 8: "八", 9: "九"}

#: Subjects examined in each grade, with full marks and score step.
SUBJECTS = {
    "chinese": (120, 0.5),
    "math": (120, 1.0),
    "english": (120, 0.5),
    "physics": (100, 1.0),
    "chemistry": (100, 1.0),
}
SUBJECTS_BY_GRADE = {
    7: ["chinese", "math", "english"],
    8: ["chinese", "math", "english", "physics"],
    9: ["chinese", "math", "english", "physics", "chemistry"],
}

PROVINCES = np.array(["广东", "浙江", "江苏", "福建", "上海", "北京", "湖北", "湖南", "四川", "河南"])
_PROVINCE_P = np.array([0.30, 0.20, 0.14, 0.10, 0.07, 0.04, 0.05, 0.04, 0.03, 0.03])

#: Months whose contacts a semester's log covers (semester 2 includes the
#: Spring Festival month, when most parents come home).
TERM_MONTHS = {1: [9, 10, 11, 12, 1], 2: [2, 3, 4, 5, 6]}


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, so that changing one
    component's draws does not shift any other's."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def term_id(start_year: int, year_index: int, semester: int) -> str:
    """Term id of a semester, e.g. ``2023-2024-1``."""
    y = start_year + year_index
    return f"{y}-{y + 1}-{semester}"


@dataclass
class County:
    """The truth of one synthetic county (every table is tidy)."""

    seed: int
    start_year: int
    n_years: int
    calibration: Calibration
    terms: pd.DataFrame
    schools: pd.DataFrame
    staff: pd.DataFrame
    pupils: pd.DataFrame
    enrolment: pd.DataFrame
    classes: pd.DataFrame
    households: pd.DataFrame
    abilities: pd.DataFrame
    exams: pd.DataFrame
    pairings: pd.DataFrame
    helpers: pd.DataFrame
    conduct: pd.DataFrame
    contacts: pd.DataFrame
    archive: pd.DataFrame
    extra: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every truth table by name."""
        names = ["terms", "schools", "staff", "pupils", "enrolment", "classes", "households",
                 "abilities", "exams", "pairings", "helpers", "conduct", "contacts", "archive"]
        return {n: getattr(self, n) for n in names}


def _choice(rng: np.random.Generator, options: dict, n: int) -> np.ndarray:
    keys = np.array(list(options), dtype=object)
    p = np.array(list(options.values()), dtype=float)
    return rng.choice(keys, size=n, p=p / p.sum())


def _balanced_classes(rng: np.random.Generator, group: np.ndarray, n_classes: np.ndarray) -> np.ndarray:
    """Random balanced class numbers (1..n) within each group."""
    order = np.lexsort((rng.random(len(group)), group))
    rank = np.empty(len(group), dtype=np.int64)
    g_sorted = group[order]
    starts = np.r_[0, np.flatnonzero(g_sorted[1:] != g_sorted[:-1]) + 1]
    run = np.arange(len(group)) - np.repeat(starts, np.diff(np.r_[starts, len(group)]))
    rank[order] = run
    return rank % n_classes + 1


def competition_rank(values: pd.Series, groups: list[pd.Series]) -> pd.Series:
    """Rank high-to-low within groups, ties share the best place (1, 2, 2, 4)."""
    return values.groupby(groups).rank(method="min", ascending=False)


def build_county(seed: int, n_schools: int, n_years: int, start_year: int = 2023,
                 calibration: Calibration | None = None, progress=None) -> County:
    """Draw a synthetic county.

    Parameters
    ----------
    seed : int
        Seed of every random stream.
    n_schools : int
        Number of junior middle schools.
    n_years : int
        Number of school years (two semesters each).
    start_year : int
        Calendar year the first school year starts in.
    calibration : Calibration, optional
        Targets and rates (default: :class:`Calibration`).
    progress : callable, optional
        Called with a short message at each stage.
    """
    cal = calibration or Calibration()
    say = progress or (lambda msg: None)
    n_terms = 2 * n_years
    terms = pd.DataFrame({
        "term_index": np.arange(n_terms),
        "year_index": np.arange(n_terms) // 2,
        "semester": np.arange(n_terms) % 2 + 1,
    })
    terms["term"] = [term_id(start_year, y, s) for y, s in zip(terms.year_index, terms.semester)]
    terms["school_year"] = terms.year_index + 1
    # Semester 1 starts on 1 September, semester 2 on 20 February.
    terms["semester_start"] = pd.to_datetime(
        [f"{start_year + y}-09-01" if s == 1 else f"{start_year + y + 1}-02-20"
         for y, s in zip(terms.year_index, terms.semester)])

    say(f"drawing {n_schools} schools")
    schools = _draw_schools(stream(seed, "schools"), n_schools, cal)
    say("drawing pupils, transfers and classes")
    pupils, cohorts = _draw_pupils(stream(seed, "pupils"), schools, n_years, start_year, cal)
    enrolment, classes, staff = _draw_enrolment(stream(seed, "classes"), pupils, cohorts, schools,
                                                n_years, start_year, cal)
    say(f"drawing families and guardians of {len(pupils):,} pupils")
    households = _draw_households(stream(seed, "households"), pupils, enrolment, schools, n_years, cal)
    say("drawing exams and pairings, semester by semester")
    abilities, exams, pairings, helpers = _draw_exams_and_pairings(
        seed, pupils, enrolment, households, staff, terms, cal)
    say("drawing conduct, contacts and archives")
    conduct = _draw_conduct(stream(seed, "conduct"), enrolment, abilities, households, cal)
    contacts = _draw_contacts(stream(seed, "contacts"), enrolment, households, pairings, terms)
    archive = _draw_archive(stream(seed, "archive"), enrolment, households, schools, pupils)
    enrolment = enrolment.merge(terms[["term_index", "term"]], on="term_index")
    return County(seed=seed, start_year=start_year, n_years=n_years, calibration=cal, terms=terms,
                  schools=schools, staff=staff, pupils=pupils, enrolment=enrolment, classes=classes,
                  households=households, abilities=abilities, exams=exams, pairings=pairings,
                  helpers=helpers, conduct=conduct, contacts=contacts, archive=archive)


def _draw_schools(rng, n_schools, cal):
    width = max(2, len(str(n_schools)))
    towns = people.place_names(rng, n_schools, "镇")
    lo, hi = cal.left_behind_share_range
    share = np.linspace(lo, hi, n_schools) if n_schools > 1 else np.array([(lo + hi) / 2])
    return pd.DataFrame({
        "school_id": np.arange(1, n_schools + 1),
        "school_code": [f"{i:0{width}d}" for i in range(1, n_schools + 1)],
        "town": towns,
        "school_name": [t + "中学" for t in towns],
        "left_behind_target": rng.permutation(share),
        "reshuffles_classes": rng.random(n_schools) < cal.reshuffle_school_share,
        # How complete a school keeps its left-behind archives (share of fields filled).
        "archive_fill_rate": rng.uniform(0.7, 1.0, n_schools),
        # How often a school's pupils keep up contact routines (multiplier).
        "contact_intensity": rng.uniform(0.7, 1.3, n_schools),
    })


def _draw_pupils(rng, schools, n_years, start_year, cal):
    """Pupils of every cohort present in the simulated years, with transfers."""
    k = len(schools)
    entry_years = np.arange(start_year - 2, start_year + n_years)
    lo, hi = cal.cohort_size_range
    cohorts = pd.DataFrame({
        "school_id": np.repeat(schools.school_id.to_numpy(), len(entry_years)),
        "entry_year": np.tile(entry_years, k),
    })
    cohorts["cohort_size"] = rng.integers(lo, hi + 1, size=len(cohorts))
    cohorts["n_classes"] = np.clip(np.rint(cohorts.cohort_size / cal.class_size_target), 1, None).astype(int)
    off = cohorts.entry_year - start_year
    cohorts["first_term"] = np.maximum(0, 2 * off)
    cohorts["end_term"] = np.minimum(2 * n_years, 2 * (off + 3))

    # Original members, then transfer-ins for each later term of each cohort.
    base = cohorts.loc[cohorts.index.repeat(cohorts.cohort_size)].reset_index(drop=True)
    base["first_term_pupil"] = base.first_term
    spans = cohorts.end_term - cohorts.first_term
    later = cohorts.loc[cohorts.index.repeat(np.maximum(spans - 1, 0))].copy()
    later["first_term_pupil"] = later.first_term + later.groupby(level=0).cumcount() + 1
    later = later.reset_index(drop=True)
    n_in = rng.poisson(cal.transfer_in_rate * later.cohort_size.to_numpy())
    ins = later.loc[later.index.repeat(n_in)].reset_index(drop=True)
    pupils = pd.concat([base.assign(transferred_in=False), ins.assign(transferred_in=True)],
                       ignore_index=True)
    pupils = pupils.sort_values(["school_id", "entry_year", "transferred_in", "first_term_pupil"],
                                kind="stable").reset_index(drop=True)
    n = len(pupils)
    pupils["pupil_uid"] = np.arange(1, n + 1)
    seq = pupils.groupby(["school_id", "entry_year"]).cumcount() + 1
    code = pupils.school_id.map(schools.set_index("school_id").school_code)
    pupils["student_no"] = code + pupils.entry_year.astype(str) + seq.astype(str).str.zfill(4)

    leave = pupils.first_term_pupil + rng.geometric(cal.transfer_out_rate, size=n)
    pupils["transferred_out"] = leave < pupils.end_term
    pupils["last_term"] = np.minimum(leave, pupils.end_term) - 1
    pupils["first_term"] = pupils.pop("first_term_pupil")

    male = rng.random(n) < 0.52
    pupils["gender"] = np.where(male, "male", "female")
    years_older = np.where(rng.random(n) < cal.older_by_one_share, 1, 0)
    years_older = np.where(rng.random(n) < cal.older_by_two_share, 2, years_older)
    born_from = pd.to_datetime((pupils.entry_year - 13 - years_older).astype(str) + "-09-01")
    pupils["birth_date"] = born_from + pd.to_timedelta(rng.integers(0, 365, size=n), unit="D")
    towns = pupils.school_id.map(schools.set_index("school_id").town).to_numpy()
    pupils["name"] = people.person_names(rng, n, rare_rate=Messiness().rare_name_share)
    pupils["id_number"] = people.id_numbers(rng, pupils.birth_date, male)
    pupils["address"] = people.addresses(rng, towns)
    pupils["family_phone"] = people.phone_numbers(rng, n)
    pupils["ability_base"] = rng.standard_normal(n)
    family = rng.random(n)
    pupils["family_type"] = np.select(
        [family < cal.orphan_share, family < cal.orphan_share + cal.single_parent_share],
        ["orphan", "single_parent"], "two_parent")
    pupils["single_parent_side"] = np.where(
        pupils.family_type == "single_parent", np.where(rng.random(n) < 0.6, "mother", "father"), "")
    keep = ["pupil_uid", "school_id", "student_no", "entry_year", "first_term", "last_term",
            "transferred_in", "transferred_out", "name", "gender", "birth_date", "id_number",
            "address", "family_phone", "family_type", "single_parent_side", "ability_base"]
    return pupils[keep], cohorts


def _draw_enrolment(rng, pupils, cohorts, schools, n_years, start_year, cal):
    """Pupil x term rows with class, and the class list with head teachers."""
    lengths = (pupils.last_term - pupils.first_term + 1).clip(lower=0).to_numpy()
    enr = pupils.loc[pupils.index.repeat(lengths), ["pupil_uid", "school_id", "entry_year", "first_term",
                                                     "transferred_in"]]
    enr["term_index"] = enr.first_term + enr.groupby(level=0).cumcount()
    enr = enr.reset_index(drop=True)
    enr["year_index"] = enr.term_index // 2
    enr["grade"] = start_year + enr.year_index - enr.entry_year + 7
    enr = enr.merge(cohorts[["school_id", "entry_year", "n_classes"]], on=["school_id", "entry_year"])

    # Base class: balanced among the original cohort, random for transfer-ins.
    per_pupil = enr.drop_duplicates("pupil_uid")[["pupil_uid", "school_id", "entry_year", "n_classes",
                                                   "transferred_in"]]
    group = (per_pupil.school_id * 10000 + per_pupil.entry_year).to_numpy()
    balanced = _balanced_classes(rng, group, per_pupil.n_classes.to_numpy())
    random_class = rng.integers(0, 1 << 30, size=len(per_pupil)) % per_pupil.n_classes.to_numpy() + 1
    base_class = np.where(per_pupil.transferred_in, random_class, balanced)
    enr["class_no"] = enr.pupil_uid.map(pd.Series(base_class, index=per_pupil.pupil_uid.to_numpy()))

    # Re-shuffle: a fresh balanced draw each school year after the cohort's first.
    reshuffle = enr.school_id.map(schools.set_index("school_id").reshuffles_classes)
    first_year = np.maximum(0, enr.entry_year - start_year)
    py = enr.drop_duplicates(["pupil_uid", "year_index"])
    py = py[reshuffle.loc[py.index] & (py.year_index > first_year.loc[py.index])]
    grp = (py.school_id * 10000 + py.entry_year) * 100 + py.year_index
    new = pd.Series(_balanced_classes(rng, grp.to_numpy(), py.n_classes.to_numpy()),
                    index=pd.MultiIndex.from_arrays([py.pupil_uid, py.year_index]))
    key = pd.MultiIndex.from_arrays([enr.pupil_uid, enr.year_index])
    reshuffled = new.reindex(key).to_numpy()
    enr["class_no"] = np.where(np.isnan(reshuffled), enr.class_no, reshuffled).astype(int)
    enr["class_name"] = enr.grade.map(GRADE_ZH) + "年级" + enr.class_no.astype(str) + "班"
    code = enr.school_id.map(schools.set_index("school_id").school_code)
    enr["class_key"] = (code + "-" + (start_year + enr.year_index).astype(str) + "-" + enr.grade.astype(str)
                        + "-" + enr.class_no.astype(str))

    # Staff: enough teachers per school; a head teacher follows a class track.
    classes = (enr.drop_duplicates(["class_key"])[["class_key", "school_id", "year_index", "entry_year",
                                                    "grade", "class_no", "class_name"]]
               .sort_values(["school_id", "year_index", "grade", "class_no"]).reset_index(drop=True))
    tracks = classes.drop_duplicates(["school_id", "entry_year", "class_no"]).copy()
    tracks["track"] = tracks.groupby("school_id").cumcount()
    n_staff = tracks.groupby("school_id").size() * 3 + 5
    staff = pd.DataFrame({"school_id": np.repeat(n_staff.index.to_numpy(), n_staff.to_numpy())})
    staff["staff_index"] = staff.groupby("school_id").cumcount()
    staff["staff_no"] = (staff.school_id.map(schools.set_index("school_id").school_code)
                         + "T" + (staff.staff_index + 1).astype(str).str.zfill(3))
    staff["name"] = people.person_names(rng, len(staff))
    staff["phone"] = people.phone_numbers(rng, len(staff))
    classes = classes.merge(tracks[["school_id", "entry_year", "class_no", "track"]],
                            on=["school_id", "entry_year", "class_no"])
    classes = classes.merge(staff[["school_id", "staff_index", "staff_no"]].rename(
        columns={"staff_index": "track", "staff_no": "head_teacher_staff_no"}), on=["school_id", "track"])
    sizes = enr.groupby(["class_key", "term_index"]).size().rename("class_size").reset_index()
    classes = classes.drop(columns="track")
    enr = enr[["pupil_uid", "school_id", "term_index", "year_index", "grade", "class_no", "class_name",
               "class_key"]]
    return enr, classes.merge(sizes, on="class_key"), staff


def _draw_households(rng, pupils, enrolment, schools, n_years, cal):
    """Pupil x school-year migration status, care arrangement and guardian."""
    n = len(pupils)
    target = pupils.school_id.map(schools.set_index("school_id").left_behind_target).to_numpy()
    ftype = pupils.family_type.to_numpy()
    side = pupils.single_parent_side.to_numpy()
    two = ftype == "two_parent"
    single = ftype == "single_parent"
    father_name = people.person_names(rng, n, surnames=people.surnames_of(pupils.name.to_numpy()))
    mother_name = people.person_names(rng, n)
    father_phone = people.phone_numbers(rng, n)
    mother_phone = people.phone_numbers(rng, n)
    rows, prev = [], None
    for y in range(n_years):
        d = {}
        any_away = rng.random(n) < target
        both = any_away & (rng.random(n) < cal.both_away_share)
        father_one = rng.random(n) < cal.father_is_the_one_away
        father_in = two | (single & (side == "father"))
        mother_in = two | (single & (side == "mother"))
        father_away = father_in & any_away & (both | father_one | single)
        mother_away = mother_in & any_away & (both | ~father_one | single)
        d["father_away"], d["mother_away"] = father_away, mother_away
        for who, away in (("father", father_away), ("mother", mother_away)):
            short = rng.random(n) < cal.short_absence_share
            months = np.where(rng.random(n) < 0.6, 12, rng.integers(3, 12, size=n))
            months = np.where(short, rng.integers(1, 3, size=n), months)
            d[f"{who}_months_away"] = np.where(away, months, 0)
            d[f"{who}_work_province"] = np.where(away, rng.choice(PROVINCES, size=n, p=_PROVINCE_P), "")
        one_away = two & (father_away ^ mother_away)
        all_away = (two & father_away & mother_away) | (single & (father_away | mother_away))
        unable = one_away & (rng.random(n) < cal.unable_to_guard_share)
        d["parent_unable_to_guard"] = unable
        care = np.full(n, "parents", dtype=object)
        care[one_away] = "one_parent"
        care[unable] = np.where(rng.random(unable.sum()) < 0.8, "grandparents", "relatives")
        care[all_away] = _choice(rng, cal.care_when_all_away, int(all_away.sum()))
        orphan = ftype == "orphan"
        care[orphan] = np.where(rng.random(orphan.sum()) < 0.7, "grandparents", "relatives")
        d["care_type"] = care
        d.update(_draw_guardians(rng, care, father_away, mother_away))
        frame = pd.DataFrame(d)
        if prev is not None:
            keep = rng.random(n) >= cal.migration_change_rate
            frame.loc[keep] = prev.loc[keep].to_numpy()
            frame.loc[keep, "guardian_age"] = prev.loc[keep, "guardian_age"] + 1
        prev = frame
        frame = frame.assign(pupil_uid=pupils.pupil_uid.to_numpy(), year_index=y)
        rows.append(frame)
    hh = pd.concat(rows, ignore_index=True)
    present = enrolment.drop_duplicates(["pupil_uid", "year_index"])[["pupil_uid", "year_index"]]
    hh = present.merge(hh, on=["pupil_uid", "year_index"], how="left")
    static = pd.DataFrame({"pupil_uid": pupils.pupil_uid, "family_type": ftype,
                           "father_name": np.where(ftype == "orphan", "", father_name),
                           "mother_name": np.where(ftype == "orphan", "", mother_name),
                           "father_phone": father_phone, "mother_phone": mother_phone})
    static.loc[side == "mother", ["father_name", "father_phone"]] = ""
    static.loc[side == "father", ["mother_name", "mother_phone"]] = ""
    static.loc[ftype == "orphan", ["father_phone", "mother_phone"]] = ""
    hh = hh.merge(static, on="pupil_uid")
    guardian_is_parent = hh.guardian_relation.isin(["father", "mother"])
    hh["guardian_name"] = np.where(hh.guardian_relation == "father", hh.father_name,
                                   np.where(hh.guardian_relation == "mother", hh.mother_name,
                                            people.person_names(rng, len(hh))))
    hh["guardian_phone"] = np.where(hh.guardian_relation == "father", hh.father_phone,
                                    np.where(hh.guardian_relation == "mother", hh.mother_phone,
                                             people.phone_numbers(rng, len(hh))))
    hh.loc[hh.guardian_relation == "self", ["guardian_name", "guardian_phone"]] = ""
    hh.loc[guardian_is_parent & (hh.guardian_name == ""), "guardian_name"] = "（空）"
    bool_cols = ["father_away", "mother_away", "parent_unable_to_guard"]
    hh[bool_cols] = hh[bool_cols].astype(bool)
    int_cols = ["father_months_away", "mother_months_away"]
    hh[int_cols] = hh[int_cols].astype(int)
    hh["guardian_age"] = hh.guardian_age.astype(float)
    return hh.sort_values(["year_index", "pupil_uid"]).reset_index(drop=True)


_RELATION_BY_CARE = {
    "grandparents": {"grandmother": 0.35, "grandfather": 0.15, "grandparents": 0.45,
                     "grandmother;aunt_uncle": 0.05},
    "relatives": {"aunt_uncle": 0.7, "sibling": 0.1, "friend_neighbour": 0.2},
    "teacher_school": {"teacher": 1.0},
    "none_self": {"self": 1.0},
}
_AGE_BY_RELATION = {  # mean, sd, min, max
    "grandmother": (64, 6, 50, 85), "grandfather": (66, 6, 50, 85), "grandparents": (65, 6, 50, 85),
    "grandmother;aunt_uncle": (64, 6, 50, 85), "father": (40, 4, 30, 55), "mother": (38, 4, 28, 52),
    "aunt_uncle": (40, 6, 25, 60), "sibling": (21, 2, 18, 26), "friend_neighbour": (45, 8, 25, 70),
    "teacher": (38, 7, 24, 58), "self": (np.nan, 0, 0, 0),
}
_HEALTH = {"old": {"good": 0.5, "fair": 0.35, "poor": 0.12, "severe": 0.03},
           "young": {"good": 0.82, "fair": 0.14, "poor": 0.04, "severe": 0.0}}
_EDUCATION = {"old": {"none": 0.35, "primary": 0.45, "junior": 0.17, "senior": 0.03, "tertiary": 0.0},
              "young": {"none": 0.02, "primary": 0.2, "junior": 0.58, "senior": 0.15, "tertiary": 0.05},
              "teacher": {"none": 0.0, "primary": 0.0, "junior": 0.0, "senior": 0.1, "tertiary": 0.9}}


def _draw_guardians(rng, care, father_away, mother_away):
    n = len(care)
    relation = np.full(n, "", dtype=object)
    parents = (care == "parents") | (care == "one_parent")
    relation[parents] = np.where(~father_away[parents] & (mother_away[parents] | (rng.random(parents.sum()) < 0.5)),
                                 "father", "mother")
    for c, opts in _RELATION_BY_CARE.items():
        m = care == c
        relation[m] = _choice(rng, opts, int(m.sum()))
    age = np.full(n, np.nan)
    for rel, (mu, sd, lo, hi) in _AGE_BY_RELATION.items():
        m = relation == rel
        age[m] = np.clip(np.rint(rng.normal(mu, sd, m.sum())), lo, hi)
    old = pd.Series(relation).str.startswith("grand").to_numpy()
    health = np.where(old, _choice(rng, _HEALTH["old"], n), _choice(rng, _HEALTH["young"], n))
    edu = np.where(old, _choice(rng, _EDUCATION["old"], n), _choice(rng, _EDUCATION["young"], n))
    edu = np.where(relation == "teacher", _choice(rng, _EDUCATION["teacher"], n), edu)
    none = relation == "self"
    return {"guardian_relation": relation, "guardian_age": age,
            "guardian_health": np.where(none, "", health), "guardian_education": np.where(none, "", edu)}


def _left_behind_flags(hh):
    """Either-parent and all-parents-away flags from a household table."""
    either = hh.father_away | hh.mother_away
    fam = hh.family_type
    all_away = ((fam == "two_parent") & hh.father_away & hh.mother_away) | ((fam == "single_parent") & either)
    return either, all_away


def _draw_exams_and_pairings(seed, pupils, enrolment, households, staff, terms, cal):
    rng_ab = stream(seed, "ability")
    rng_ex = stream(seed, "exams")
    rng_pr = stream(seed, "pairing")
    n = len(pupils)
    idx = pd.Series(np.arange(n), index=pupils.pupil_uid.to_numpy())
    base = pupils.ability_base.to_numpy()
    drift = np.zeros(n)
    gain = np.zeros(n)
    active_effect = np.zeros(n)
    paired = np.zeros(n, dtype=bool)
    staff_used = np.zeros(len(staff), dtype=bool)  # a teacher takes one set of pupils
    either, all_away = _left_behind_flags(households)
    hh = households.assign(either=either, all_away=all_away)
    abil_rows, exam_rows, pair_rows = [], [], []
    prev_z = pd.Series(dtype=float)
    noise_var_total = (1 - cal.test_reliability) / cal.test_reliability
    subject_shift = {(t, g, s): rng_ex.normal(0, 0.03) for t in terms.term_index
                     for g in (7, 8, 9) for s in SUBJECTS}
    for t in terms.term_index:
        year = t // 2
        enr_t = enrolment[enrolment.term_index == t]
        rows = idx.loc[enr_t.pupil_uid].to_numpy()
        hh_t = hh[hh.year_index == year].set_index("pupil_uid").loc[enr_t.pupil_uid]
        drift += rng_ab.normal(0, cal.ability_drift_sd, n)

        # Pairing at the start of the semester, from the previous exam.
        if t >= 1:
            z = prev_z.reindex(enr_t.pupil_uid).fillna(0.0).to_numpy()
            if cal.pairing_selection == "flags_only":  # on left-behind status alone, not on results
                z = np.zeros(len(rows))
            elif cal.pairing_selection == "stable_trait":
                trait = pd.Series(base[rows])
                key = [enr_t.school_id.to_numpy(), enr_t.grade.to_numpy()]
                z = ((trait - trait.groupby(key).transform("mean")) / trait.groupby(key).transform("std")).to_numpy()
            b0, b_lb, b_both, b_z = cal.pairing_logit
            lin = b0 + b_lb * hh_t.either.to_numpy() + b_both * hh_t.all_away.to_numpy() + b_z * z
            boost = cal.pairing_launch_boost if t == 1 else 1.0
            p = np.clip(boost / (1 + np.exp(-lin)), 0, 1)
            new = (~paired[rows]) & (rng_pr.random(len(rows)) < p)
            if new.any():
                newp = enr_t.loc[new].assign(either=hh_t.either.to_numpy()[new], z=z[new])
                # Who a teacher would call strong: the last exam, or for pupils
                # with none (a new cohort), the teacher's judgement of ability.
                strength = pd.Series(np.where(np.isnan(prev_z.reindex(enr_t.pupil_uid).to_numpy()),
                                              base[rows], prev_z.reindex(enr_t.pupil_uid).to_numpy()),
                                     index=enr_t.pupil_uid.to_numpy())
                pr = _assign_helpers(rng_pr, newp, enr_t, strength, staff, staff_used, cal, t,
                                     terms.semester_start.iloc[t])
                pair_rows.append(pr)
                eff = pr.groupby("pupil_uid").effect_sd.sum()
                active_effect[idx.loc[eff.index].to_numpy()] += eff.to_numpy()
                paired[idx.loc[newp.pupil_uid].to_numpy()] = True
        gain += active_effect * np.isin(np.arange(n), rows)
        theta = (base[rows] + drift[rows] - cal.both_away_penalty_sd * hh_t.all_away.to_numpy()
                 + gain[rows])
        abil_rows.append(pd.DataFrame({"pupil_uid": enr_t.pupil_uid.to_numpy(), "term_index": t,
                                       "ability": theta, "pairing_gain": gain[rows]}))
        ex = _exam(rng_ex, enr_t, theta, noise_var_total, subject_shift, t, cal)
        exam_rows.append(ex)
        tot = ex[ex.subject == "total"].set_index("pupil_uid")
        ok = tot.ranked
        z = tot.score.where(ok)
        grp = enr_t.set_index("pupil_uid").loc[tot.index]
        key = [grp.school_id, grp.grade]
        prev_z = (z - z.groupby(key).transform("mean")) / z.groupby(key).transform("std")

    abilities = pd.concat(abil_rows, ignore_index=True)
    exams = pd.concat(exam_rows, ignore_index=True)
    pairings = pd.concat(pair_rows, ignore_index=True) if pair_rows else pd.DataFrame()
    last = pupils.set_index("pupil_uid").last_term
    pairings["end_term"] = pairings.pupil_uid.map(last)
    pairings.insert(0, "pairing_id", np.arange(1, len(pairings) + 1))
    helpers = (pairings.drop_duplicates("helper_id")[["helper_id", "helper_type", "school_id", "helper_name",
                                                      "helper_phone", "helper_staff_no",
                                                      "helper_pupil_uid", "group_name"]]
               .sort_values("helper_id").reset_index(drop=True))
    pairings = pairings[["pairing_id", "pupil_uid", "school_id", "helper_id", "helper_type", "start_term",
                         "end_term", "effect_sd", "pairing_date"]]
    return abilities, exams, pairings, helpers


def _mend_last_helper(helper_no: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Keep the last helper of a run within its size range where possible:
    take a pupil from the one before, or merge the two."""
    counts = np.bincount(helper_no)
    if len(counts) < 2 or counts[-1] >= lo:
        return helper_no
    last, prev = len(counts) - 1, len(counts) - 2
    out = helper_no.copy()
    if counts[prev] > lo:
        out[np.flatnonzero(out == prev)[-1]] = last
    elif counts[prev] + counts[-1] <= hi:
        out[out == last] = prev
    return out


def _exam(rng, enr_t, theta, noise_var_total, subject_shift, t, cal):
    """Subject scores, totals and competition ranks of one semester's final."""
    out = []
    m = len(enr_t)
    absent_all = rng.random(m) < cal.absent_exam_rate
    miss_one = (~absent_all) & (rng.random(m) < cal.absent_subject_rate)
    grades = enr_t.grade.to_numpy()
    total = np.zeros(m)
    n_subj = np.array([len(SUBJECTS_BY_GRADE[g]) for g in (7, 8, 9)])[grades - 7]
    missing_idx = (rng.random(m) * n_subj).astype(int)
    for j, subj in enumerate(SUBJECTS):
        full, step = SUBJECTS[subj]
        takes = np.array([subj in SUBJECTS_BY_GRADE[g] for g in (7, 8, 9)])[grades - 7]
        shift = np.array([subject_shift[(t, g, subj)] for g in (7, 8, 9)])[grades - 7]
        z = theta + rng.normal(0, 1, m) * np.sqrt(n_subj * noise_var_total)
        score = np.clip(full * (0.62 + shift + 0.11 * z), 0, full)
        score = np.round(score / step) * step
        # Subjects of a grade are a prefix of SUBJECTS, so index j is the grade's j-th subject.
        missing = absent_all | (miss_one & (missing_idx == j))
        score = np.where(missing, np.nan, score)
        total += np.nan_to_num(score) * takes
        frame = pd.DataFrame({"pupil_uid": enr_t.pupil_uid.to_numpy(), "term_index": t, "subject": subj,
                              "score": score, "school_id": enr_t.school_id.to_numpy(), "grade": grades,
                              "class_key": enr_t.class_key.to_numpy()})
        out.append(frame[takes])
    sat_any = ~absent_all
    out.append(pd.DataFrame({"pupil_uid": enr_t.pupil_uid.to_numpy(), "term_index": t, "subject": "total",
                             "score": np.where(sat_any, total, np.nan), "school_id": enr_t.school_id.to_numpy(),
                             "grade": grades, "class_key": enr_t.class_key.to_numpy()}))
    ex = pd.concat(out, ignore_index=True)
    partial = pd.Series(miss_one, index=enr_t.pupil_uid.to_numpy())
    ex["ranked"] = ex.score.notna() & ~((ex.subject == "total") & ex.pupil_uid.map(partial))
    ranked_score = ex.score.where(ex.ranked)
    ex["class_rank"] = competition_rank(ranked_score, [ex.subject, ex.class_key])
    ex["school_rank"] = competition_rank(ranked_score, [ex.subject, ex.school_id, ex.grade])
    return ex.drop(columns=["school_id", "grade", "class_key"])


def _assign_helpers(rng, newp, enr_t, strength, staff, staff_used, cal, t, semester_start):
    """Helper type and helper for each newly paired pupil."""
    shares = dict(cal.helper_type_share)
    types = _choice(rng, shares, len(newp))
    not_lb = ~newp.either.to_numpy()
    alt = {k: v for k, v in shares.items() if k in ("teacher", "peer", "volunteer")}
    types[not_lb] = _choice(rng, alt, int(not_lb.sum()))  # groups and mothers serve left-behind pupils
    newp = newp.assign(helper_type=types)
    # Some teacher-paired pupils also get a classmate helper.
    second = newp[(newp.helper_type == "teacher") & (rng.random(len(newp)) < cal.second_helper_share)]
    pr = pd.concat([newp, second.assign(helper_type="peer")], ignore_index=True)
    pr = pr.sort_values(["school_id", "helper_type", "class_key", "pupil_uid"], kind="stable").reset_index(drop=True)
    # Cut each (school, type) run into helpers of the type's size.
    lo = pr.helper_type.map({k: v[0] for k, v in PUPILS_PER_HELPER.items()}).to_numpy()
    hi = pr.helper_type.map({k: v[1] for k, v in PUPILS_PER_HELPER.items()}).to_numpy()
    size = rng.integers(lo, hi + 1)
    pos = pr.groupby(["school_id", "helper_type"]).cumcount().to_numpy()
    # Helper number within a (school, type) run: the run's cumulative helper
    # sizes are the boundaries between helpers.
    group_id = np.cumsum(pos == 0) - 1
    helper_no = np.zeros(len(pr), dtype=int)
    for g in np.unique(group_id):  # one iteration per (school, helper type), not per pupil
        sel = np.flatnonzero(group_id == g)
        no = np.searchsorted(np.cumsum(size[sel]), np.arange(len(sel)), side="right")
        helper_no[sel] = _mend_last_helper(no, lo[sel[0]], hi[sel[0]])
    pr["helper_no"] = helper_no
    pr["helper_id"] = ("H" + str(t) + "-" + pr.school_id.astype(str) + "-" + pr.helper_type + "-"
                       + pr.helper_no.astype(str))
    pr["effect_sd"] = pr.helper_type.map(cal.pairing_effect_sd)
    pr["start_term"] = t
    hel = pr.drop_duplicates("helper_id")[["helper_id", "helper_type", "school_id", "class_key"]].copy()
    hel["helper_name"] = people.person_names(rng, len(hel))
    hel["helper_phone"] = people.phone_numbers(rng, len(hel))
    hel["helper_staff_no"] = ""
    hel["helper_pupil_uid"] = 0
    hel["group_name"] = ""
    # Teachers (and a group's teacher) are school staff.
    is_staff = hel.helper_type.isin(["teacher", "group_3211"]).to_numpy()
    for school, sel in hel[is_staff].groupby("school_id").groups.items():
        # Prefer teachers who have no pupils yet; reuse only when all have.
        pos = np.flatnonzero(staff.school_id.to_numpy() == school)
        free = rng.permutation(pos[~staff_used[pos]])
        extra = rng.choice(pos, size=max(0, len(sel) - len(free)))
        pick = np.r_[free, extra][: len(sel)]
        staff_used[pick] = True
        hel.loc[sel, "helper_name"] = staff.name.to_numpy()[pick]
        hel.loc[sel, "helper_phone"] = staff.phone.to_numpy()[pick]
        hel.loc[sel, "helper_staff_no"] = staff.staff_no.to_numpy()[pick]
    grp = hel.helper_type == "group_3211"
    hel.loc[grp, "group_name"] = "第" + (hel[grp].groupby("school_id").cumcount() + 1).astype(str) + "小组"
    # A peer helper is a strong classmate (top third of the previous exam).
    peer = hel.helper_type == "peer"
    if peer.any():
        cand = enr_t[["pupil_uid", "class_key"]].assign(z=strength.reindex(enr_t.pupil_uid).to_numpy())
        cand = cand[(cand.z > 0.43) & ~cand.pupil_uid.isin(newp.pupil_uid)].sample(frac=1.0, random_state=rng)
        cand["k"] = cand.groupby("class_key").cumcount()
        counts = cand.groupby("class_key").size()
        want = hel[peer].copy()
        want["k"] = want.groupby("class_key").cumcount()
        want["k"] = want.k % want.class_key.map(counts).fillna(1).astype(int)
        got = want.merge(cand, on=["class_key", "k"], how="left")
        hel.loc[peer, "helper_pupil_uid"] = got.pupil_uid.fillna(0).astype(int).to_numpy()
    # A helper is a person: teachers are keyed by staff number and peers by
    # pupil, so a teacher paired again in a later semester is the same helper.
    person = np.where(hel.helper_type == "teacher", "T" + hel.helper_staff_no,
                      np.where(hel.helper_type == "peer", "P" + hel.helper_pupil_uid.astype(str), hel.helper_id))
    hel = hel.rename(columns={"helper_id": "slot"}).assign(helper_id=person)
    pr = pr.rename(columns={"helper_id": "slot"}).merge(
        hel.drop(columns=["helper_type", "school_id", "class_key"]), on="slot").drop(columns="slot")
    pr["pairing_date"] = semester_start + pd.to_timedelta(rng.integers(0, 30, size=len(pr)), unit="D")
    return pr


def _draw_conduct(rng, enrolment, abilities, households, cal):
    """Per pupil and school year, at the second semester: serious violation
    (rare, likelier for weaker pupils and those with no guardian) and
    three-good titles (the class's best by ability plus judgement noise)."""
    sem2 = enrolment[enrolment.term_index % 2 == 1]
    d = sem2.merge(abilities[["pupil_uid", "term_index", "ability"]], on=["pupil_uid", "term_index"])
    care = households.set_index(["pupil_uid", "year_index"]).care_type
    none_self = care.reindex(pd.MultiIndex.from_arrays([d.pupil_uid, d.year_index])).to_numpy() == "none_self"
    shape = (-0.6 * d.ability + 0.8 * none_self).to_numpy()
    # The intercept that makes the expected rate equal the target rate.
    intercept = brentq(lambda b: (1 / (1 + np.exp(-(b + shape)))).mean() - cal.serious_violation_rate, -20, 20)
    d["serious_violation"] = rng.random(len(d)) < 1 / (1 + np.exp(-(intercept + shape)))
    merit = d.ability + rng.normal(0, 0.5, len(d))
    place = merit.groupby(d.class_key).rank(ascending=False, method="first")
    quota = np.maximum(1, np.rint(cal.three_good_share * d.groupby("class_key").pupil_uid.transform("size")))
    d["three_good"] = (place <= quota) & ~d.serious_violation
    d["record_missing"] = rng.random(len(d)) < cal.conduct_missing_rate
    return d[["pupil_uid", "year_index", "school_id", "class_key", "serious_violation", "three_good",
              "record_missing"]].reset_index(drop=True)


def _draw_contacts(rng, enrolment, households, pairings, terms):
    """Monthly contact log of left-behind (either-parent) pupils, and of
    their helpers when paired."""
    either, _ = _left_behind_flags(households)
    lb = households.loc[either, ["pupil_uid", "year_index"]]
    d = enrolment.merge(lb, on=["pupil_uid", "year_index"])
    d = d.merge(terms[["term_index", "semester"]], on="term_index")
    months = np.array([TERM_MONTHS[s] for s in d.semester])
    d = d.loc[d.index.repeat(months.shape[1])].reset_index(drop=True)
    d["month"] = months.reshape(-1)
    d["calendar_year"] = np.where(d.month >= 9, 0, 1) + d.year_index  # offset from start year
    n = len(d)
    # Pupil-level habits: some call every week, others rarely.
    habit = pd.Series(rng.gamma(4.0, 3.6 / 4.0, size=enrolment.pupil_uid.max() + 1))
    lam = habit.to_numpy()[d.pupil_uid.to_numpy()]
    d["calls_to_parents"] = rng.poisson(lam)
    d["letters_to_parents"] = rng.poisson(0.3, n)
    spring = d.month == 2
    d["parent_visits"] = (rng.random(n) < np.where(spring, 0.75, 0.03)).astype(int)
    d["head_teacher_talks"] = rng.poisson(1.2, n)
    d["subject_teacher_talks"] = rng.poisson(0.9, n)
    active = pairings[["pupil_uid", "start_term", "end_term"]].groupby("pupil_uid").start_term.min()
    start = d.pupil_uid.map(active)
    paired = start.notna() & (d.term_index >= start)
    d["helper_home_visits"] = np.where(paired, rng.poisson(0.9, n), 0)
    d["helper_calls_to_parents"] = np.where(paired, rng.poisson(1.1, n), 0)
    d["helper_letters_to_parents"] = np.where(paired, rng.poisson(0.25, n), 0)
    d["paired"] = paired
    cols = ["pupil_uid", "school_id", "term_index", "year_index", "month", "calendar_year", "calls_to_parents",
            "letters_to_parents", "parent_visits", "head_teacher_talks", "subject_teacher_talks", "paired",
            "helper_home_visits", "helper_calls_to_parents", "helper_letters_to_parents"]
    return d[cols]


_PERSONALITY = np.array(["开朗", "内向", "活泼", "文静", "孤僻", "倔强", "懂事", "胆小"])
_INTERESTS = np.array(["篮球", "画画", "唱歌", "阅读", "跳绳", "下棋", "跑步", "书法", "手工"])
_PUPIL_HEALTH = {"good": 0.85, "fair": 0.12, "poor": 0.03}


def _draw_archive(rng, enrolment, households, schools, pupils):
    """Left-behind archive per pupil and school year: the 'five things known'
    (001 篇1), each item filled at the school's archive rate."""
    either, _ = _left_behind_flags(households)
    lb = households.loc[either, ["pupil_uid", "year_index", "father_phone", "mother_phone", "guardian_phone"]]
    first = enrolment.drop_duplicates(["pupil_uid", "year_index"])[["pupil_uid", "year_index", "school_id",
                                                                     "term_index"]]
    d = first.merge(lb, on=["pupil_uid", "year_index"])
    n = len(d)
    fill = d.school_id.map(schools.set_index("school_id").archive_fill_rate).to_numpy()
    d["basic_info"] = rng.random(n) < np.minimum(1.0, fill + 0.15)
    d["personality"] = np.where(rng.random(n) < fill, rng.choice(_PERSONALITY, n), "")
    d["interests"] = np.where(rng.random(n) < fill, rng.choice(_INTERESTS, n), "")
    d["health"] = np.where(rng.random(n) < fill, _choice(rng, _PUPIL_HEALTH, n), "")
    has_contacts = rng.random(n) < fill
    parent_phone = np.where(d.father_phone != "", d.father_phone, d.mother_phone)
    d["parent_contacts"] = np.where(has_contacts, parent_phone, "")
    d["guardian_contacts"] = np.where(has_contacts, d.guardian_phone, "")
    d["archive_date"] = pd.NaT
    return d[["pupil_uid", "year_index", "school_id", "term_index", "basic_info", "personality", "interests",
              "health", "parent_contacts", "guardian_contacts"]]
