"""Calibration targets of the synthetic county, with their sources.

Every number the generator draws from is here, next to where it comes from
(docs/domain.md and the source documents of docs/sources.md). Tests compare the
realised shares of the committed sample with these targets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Care arrangement of pupils whose parents (both, or the only one) are away.
#: National figures, 001 篇10: 79.7% grandparents, 13% relatives or friends,
#: 7.3% uncertain or no guardian. Teachers and boarding (寄托老师 / 寄宿, the
#: seeds' fourth type) are carved out of "relatives or friends".
CARE_WHEN_ALL_AWAY = {
    "grandparents": 0.797,
    "relatives": 0.110,
    "teacher_school": 0.020,
    "none_self": 0.073,
}

#: Planted effect of one semester of pairing on latent ability, in standard
#: deviations of ability, by helper type. The gain accumulates: each semester
#: spent paired adds it once. Volunteers have no effect at all.
PAIRING_EFFECT_SD = {
    "teacher": 0.15,
    "caring_mother": 0.10,
    "peer": 0.12,
    "volunteer": 0.00,
    "group_3211": 0.08,
}

#: Share of new pairings by helper type.
HELPER_TYPE_SHARE = {
    "teacher": 0.35,
    "caring_mother": 0.20,
    "peer": 0.20,
    "volunteer": 0.15,
    "group_3211": 0.10,
}

#: Pupils per helper, inclusive range. Teachers pair with 2-3 pupils
#: (000 篇16); a 3+2+1+1 group holds 2 left-behind pupils (001 篇5).
PUPILS_PER_HELPER = {
    "teacher": (2, 3),
    "caring_mother": (1, 2),
    "peer": (1, 1),
    "volunteer": (1, 3),
    "group_3211": (2, 2),
}


@dataclass(frozen=True)
class Calibration:
    """Targets and rates of the synthetic county (defaults are the calibration)."""

    # --- schools and pupils -------------------------------------------------
    #: Either-parent left-behind share by school spans this range: 743 pupils /
    #: 122 left-behind = 16.4% (001 篇3) up to about 60% (kindergarten 51%,
    #: 000 篇2; 960 of 1,500 = 64%, 004).
    left_behind_share_range: tuple[float, float] = (0.16, 0.60)
    #: Pupils entering grade 7 per school and year (uniform range). With 3
    #: grades and 2 years, 4 cohorts: about 520 pupils a school.
    cohort_size_range: tuple[int, int] = (70, 190)
    #: Target class size; classes stay within 30-60 pupils.
    class_size_target: int = 45
    #: Per-semester shares of pupils transferring out / in.
    transfer_out_rate: float = 0.015
    transfer_in_rate: float = 0.012
    #: Share of schools that re-shuffle classes at the start of a school year.
    reshuffle_school_share: float = 0.4
    #: Share of pupils a year (two years) older than their cohort.
    older_by_one_share: float = 0.08
    older_by_two_share: float = 0.02

    # --- parents' migration (001 篇10: 57.2% one parent away, 42.8% both) ---
    #: Among two-parent families with a parent away, share with both away.
    both_away_share: float = 0.428
    #: Among one-parent-away families, share where the father is the one away.
    father_is_the_one_away: float = 0.75
    single_parent_share: float = 0.06
    orphan_share: float = 0.005
    #: Among one-away families, the parent at home is unable to guard.
    unable_to_guard_share: float = 0.05
    #: Among parents away, share away for fewer than 3 continuous months.
    short_absence_share: float = 0.08
    #: Probability that a family's migration status is redrawn between years.
    migration_change_rate: float = 0.12
    care_when_all_away: dict = field(default_factory=lambda: dict(CARE_WHEN_ALL_AWAY))

    # --- exams --------------------------------------------------------------
    #: Test reliability of the total score: var(ability) / var(observed).
    test_reliability: float = 0.80
    #: Per-semester drift of ability (SD), so true ranks move a little.
    ability_drift_sd: float = 0.15
    #: Both parents away lowers ability by this many SD: 5 percentile points
    #: at the median is Phi^-1(0.55) = 0.126 SD.
    both_away_penalty_sd: float = 0.126
    #: Share of pupils absent from a whole exam, and from one subject only.
    absent_exam_rate: float = 0.010
    absent_subject_rate: float = 0.010

    # --- pairing ------------------------------------------------------------
    #: Logistic model for being newly paired at the start of a semester:
    #: intercept, + left-behind (either parent), + both away, per SD of the
    #: previous exam's total score (negative: weaker pupils are picked).
    pairing_logit: tuple[float, float, float, float] = (-3.6, 1.6, 0.5, -0.9)
    #: What the "per SD" term of the pairing model looks at: the previous
    #: exam ("last_exam": schools pair pupils after a poor result), or the
    #: pupil's stable long-run ability, standardised within school and grade
    #: ("stable_trait": a teacher's judgement no single exam shows), or
    #: nothing ("flags_only": left-behind status alone, so that paired and
    #: never-paired pupils share their trends, as difference-in-differences
    #: assumes). The simulation study (synth/study.py) uses the first two to
    #: bracket the estimators, and the third for the staggered estimator.
    pairing_selection: str = "last_exam"
    #: Multiplier of the pairing hazard in the programme's first paired
    #: semester (semester 2 of year 1) and afterwards.
    pairing_launch_boost: float = 2.5
    #: Share of teacher-paired pupils who also get a peer helper.
    second_helper_share: float = 0.10
    pairing_effect_sd: dict = field(default_factory=lambda: dict(PAIRING_EFFECT_SD))
    helper_type_share: dict = field(default_factory=lambda: dict(HELPER_TYPE_SHARE))

    # --- conduct --------------------------------------------------------------
    serious_violation_rate: float = 0.02
    three_good_share: float = 0.08
    #: Share of pupils a school's conduct list leaves out (missing record).
    conduct_missing_rate: float = 0.02

    def as_dict(self) -> dict:
        """Plain-dict view for the truth file."""
        return asdict(self)


@dataclass(frozen=True)
class Messiness:
    """Rates at which the generator reproduces real exports' defects.

    Each rate is the probability per eligible file, sheet, row or cell as its
    comment says. All defects are recorded in ``_truth/messiness.parquet``.
    """

    csv_file_share: float = 0.35          # per file: CSV instead of .xlsx
    csv_encodings: tuple[str, ...] = ("utf-8-sig", "utf-8", "gbk", "gb18030")
    crlf_share: float = 0.5               # per CSV file: CRLF line ends
    title_row_share: float = 0.8          # per xlsx sheet: merged title row
    per_class_sheets_share: float = 0.6   # per score workbook: one sheet per class
    sheet_trailing_space_share: float = 0.3  # per class sheet name
    header_variant_share: float = 0.5     # per file and field: a variant header
    wide_empty_columns_share: float = 0.05  # per xlsx sheet: thousands of empty columns
    number_as_text_share: float = 0.05    # per score cell: '88.50 '
    shuffled_rows_share: float = 0.2      # per sheet: rows in random order
    id_apostrophe_share: float = 0.03     # per ID cell: leading apostrophe
    id_numeric_share: float = 0.3         # per file: IDs stored as numbers
    invalid_id_number_share: float = 0.01  # per pupil: wrong check digit
    id_birth_mismatch_share: float = 0.005  # per pupil: ID number's birth date differs
    date_text_share: float = 0.4          # per date cell: a text format, not a date
    fullwidth_share: float = 0.05         # per class / number cell: full-width digits
    relation_variant_share: float = 0.5   # per relation cell: a non-preferred spelling
    status_in_name_share: float = 0.02    # per pupil row: '（转出）' in the name
    blank_row_share: float = 0.01         # per row: a blank row after it
    duplicate_row_share: float = 0.005    # per row: the row written twice
    rare_name_share: float = 0.002        # per name: a character outside GBK
    #: per school: keeps its files the way a school office does (a school
    #: folder of freely named files, HTML or tab-separated text saved as .xls,
    #: classes as 1班 beside a 年级 column, the official register without 学号
    #: for left-behind pupils, a pairing list of helpers by name and post, and
    #: folder litter); at least one school of a county does
    school_kept_share: float = 0.34

    def as_dict(self) -> dict:
        """The calibration as plain values (recorded in the truth folder)."""
        return asdict(self)
