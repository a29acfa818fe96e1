"""The raw forms schools keep, each declared once.

A form is one kind of sheet a school, a township or a researcher fills in:
the pupil roster (学生花名册), an exam table (期末考试成绩表), the official
register of left-behind children (留守儿童信息统计表 / 登记表), a pairing
list (结对帮扶名单), a contact log, an award and conduct list, a class list
and a family survey. A :class:`Form` says how a sheet of that form is
recognised (the fields its header must have, after labels are mapped by the
codebook), which header labels mean something else on this form only, which
yes/no columns are *marked lists*, and which clean tables it feeds.
Adding a form means adding one entry to :data:`FORMS` (and its cleaner in
:mod:`.tables` if it feeds a new table), plus its tests.

Marked lists: on an award or conduct list schools often tick (是, √, ✓)
only the pupils concerned and leave every other cell blank. On a form
that declares a field ``marked``, a column of that field holding only
"yes" marks and blanks means "no" for its blank cells; a column that also
holds an explicit 否 keeps blanks as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Form:
    """One raw form: recognition, its own header meanings, target tables."""

    #: Short English name, used in the manifest and messages.
    name: str
    #: What schools call it.
    label: str
    #: Clean tables it feeds, in order.
    tables: tuple[str, ...]
    #: Recognised when the header has every field of one of these sets.
    needs: tuple[frozenset[str], ...]
    #: Header label -> field, on this form only (a pairing list's 联系电话 is
    #: the helper's phone, not the pupil's).
    aliases: dict[str, str] = field(default_factory=dict)
    #: Yes/no fields whose blank cells mean "no" when the column is a marked list.
    marked: tuple[str, ...] = ()
    #: Fields that, when filled, put a row of this form into the table (a
    #: register row feeds ``pairings`` only where it names a helper).
    feeds_when: dict[str, str] = field(default_factory=dict)


def _needs(*sets: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(s) for s in sets)


#: Every form, in the order recognition tries them: the first whose needs
#: are met wins. Exam tables are recognised by any score column.
FORMS: tuple[Form, ...] = (
    Form("exam", "考试成绩表", ("exams",), _needs(("score:total",))),
    # a roster that also says who is left behind (是否留守 / 留守类型 columns): both tables
    Form("roster_register", "学生花名册（含留守情况）", ("enrolment", "households", "pairings"),
         _needs(("left_behind_type", "student_no", "gender"), ("left_behind_type", "student_no", "id_number")),
         feeds_when={"households": "left_behind_type", "pairings": "helper_name"}),
    Form("register", "留守儿童信息统计表", ("households", "pairings"), _needs(("left_behind_type",)),
         aliases={"联系电话": "guardian_phone", "电话": "guardian_phone"},
         feeds_when={"pairings": "helper_name"}),
    Form("pairing_list", "结对帮扶名单", ("pairings",),
         _needs(("helper_role",), ("helper_name",), ("helper_position",)),
         aliases={"联系电话": "helper_phone", "电话": "helper_phone", "手机": "helper_phone", "帮扶对象": "name",
                  "帮扶对象姓名": "name", "结对学生": "name", "受助学生": "name", "学生": "name"}),
    Form("family_survey", "家庭情况调查表", ("households",),
         _needs(("care_type",), ("guardian_relation",), ("father_away",))),
    Form("archive", "留守儿童档案", ("archive",), _needs(("personality",), ("interests",))),
    Form("contact_log", "联系记录", ("contacts",), _needs(("month",))),
    Form("conduct_list", "评优及违纪名单", ("conduct",), _needs(("three_good",), ("serious_violation",)),
         marked=("three_good", "serious_violation")),
    Form("class_list", "班级信息", ("classes",), _needs(("head_teacher",))),
    Form("roster", "学生花名册", ("enrolment",),
         _needs(("student_no", "gender"), ("student_no", "id_number"), ("registry_no", "gender"),
                ("exam_no", "gender"), ("name", "gender", "class"))),
)
BY_NAME = {f.name: f for f in FORMS}


def recognise(fields: set[str]) -> Form | None:
    """The form a sheet with these header fields is, or None.

    >>> recognise({"student_no", "name", "score:math"}).name
    'exam'
    >>> recognise({"name", "class", "left_behind_type", "helper_name"}).name
    'register'
    """
    if any(f.startswith("score:") for f in fields):
        return BY_NAME["exam"]
    for form in FORMS:
        if any(need <= fields for need in form.needs):
            return form
    return None
