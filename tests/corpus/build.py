"""Build the corpus of malformed raw inputs: ``python tests/corpus/build.py``.

Each case is a small dataset folder under ``tests/corpus/cases/<case>/``
(term folders holding one or two files). They are hand-made, not from the
generator: real exports break in ways ours might not. The expected
behaviour of each case is in ``tests/test_cleaning_corpus.py``. The files
are committed; this script is how they were made.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).parent / "cases"
TERM = "2023-2024-1"
ROSTER = ["学号", "姓名", "性别", "出生日期", "身份证号", "班级"]
SCORES = ["学号", "姓名", "班级", "语文", "数学", "英语", "总分"]
HOUSEHOLD = ["学号", "姓名", "班级", "父亲是否外出务工", "父亲外出时长(月)", "母亲是否外出务工", "母亲外出时长(月)",
             "与学生关系", "监护类型"]


def with_check_digit(first17: str) -> str:
    """GB 11643-1999: weights 2^(17-i) mod 11, check character from '10X98765432'."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


# Fictional ID numbers (area 439901): born 2011-03-05 male; the same with a wrong
# check digit; valid but born 2012-03-05.
ID_OK = with_check_digit("43990120110305001")
ID_BAD = ID_OK[:17] + ("0" if ID_OK[17] != "0" else "1")
ID_OTHER_BIRTH = with_check_digit("43990120120305001")


def roster_rows(n=3):
    return [[f"012023000{i}", f"测试{i}", "男", "2011-03-05", ID_OK, "七年级1班"] for i in range(1, n + 1)]


def score_rows(n=3):
    return [[f"012023000{i}", f"测试{i}", "七年级1班", 80 + i, 90, 70, 240 + i] for i in range(1, n + 1)]


def xlsx(path: Path, rows: list[list], merges: list[str] = (), sheets: dict[str, list[list]] | None = None):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in rows:
        ws.append(row)
    for m in merges:
        ws.merge_cells(m)
    for name, extra in (sheets or {}).items():
        other = wb.create_sheet(name)
        for row in extra:
            other.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def csv_file(path: Path, rows: list[list], encoding="utf-8-sig"):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))


def case(name: str) -> Path:
    return HERE / name / TERM


def build() -> None:
    if HERE.exists():
        shutil.rmtree(HERE)
    # Files that cannot be read at all.
    xlsx(case("truncated_xlsx") / "一中_学生名册.xlsx", [ROSTER] + roster_rows())
    whole = (case("truncated_xlsx") / "一中_学生名册.xlsx").read_bytes()
    (case("truncated_xlsx") / "一中_学生名册.xlsx").write_bytes(whole[: len(whole) // 2])
    csv_file(case("utf16_csv") / "一中_学生名册.csv", [ROSTER] + roster_rows(), encoding="utf-16")
    case("unsupported_format").mkdir(parents=True)
    (case("unsupported_format") / "一中_成绩.pdf").write_bytes(b"%PDF-1.4\n")
    csv_file(case("no_header") / "一中_学生名册.csv", roster_rows())
    csv_file(case("duplicate_headers_conflict") / "一中_学生名册.csv",
             [ROSTER + ["学生学号"]] + [r + [f"99{i}"] for i, r in enumerate(roster_rows())])
    csv_file(case("unknown_table") / "一中_名单.csv", [["学号", "姓名"], ["0120230001", "测试1"]])
    # Datasets laid out wrongly.
    (HERE / "bad_term_folder" / "新建文件夹").mkdir(parents=True)
    csv_file(HERE / "bad_term_folder" / "新建文件夹" / "一中_学生名册.csv", [ROSTER] + roster_rows())
    (HERE / "no_terms").mkdir(parents=True)
    (HERE / "no_terms" / "readme.txt").write_text("a dataset folder with no term folders\n", encoding="utf-8")
    # Files that read, with rows or cells to quarantine or flag.
    csv_file(case("header_only") / "一中_学生名册.csv", [ROSTER])
    xlsx(case("merged_everywhere") / "一中_期末成绩.xlsx",
         [["一中2023-2024学年第一学期期末成绩表"] + [None] * 8, [None] * 9,
          ["学号", "姓名", "班级", "语文", None, "数学", None, "总分", None],
          [None, None, None, "分数", "班名", "分数", "班名", "分数", "班名"],
          ["0120230001", "测试1", "七年级1班", 90, 1, 80, 2, 170, 1],
          ["0120230002", "测试2", None, 85, 2, 85, 1, 170, 1],
          ["0120230003", "测试3", None, 60, 3, 70, 3, 130, 3]],
         merges=["A1:I2", "A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:G3", "H3:I3", "C5:C7"])
    csv_file(case("duplicate_headers_same") / "一中_学生名册.csv",
             [ROSTER + ["学籍号"]] + [r + [r[0]] for r in roster_rows()])
    rows = score_rows()
    rows[1][4] = 999
    csv_file(case("score_999") / "一中_期末成绩.csv", [SCORES] + rows)
    rows = score_rows()
    rows[2][3] = -5
    csv_file(case("negative_score") / "一中_期末成绩.csv", [SCORES] + rows)
    rows = score_rows()
    rows[0][5] = "八十"
    csv_file(case("score_not_a_number") / "一中_期末成绩.csv", [SCORES] + rows)
    rows = score_rows(6)
    for r, marker in zip(rows, ["缺考", "缺", "Q", "未扫", "-", "缺考，不计排名"], strict=True):
        r[3] = marker
    csv_file(case("absence_markers") / "一中_期末成绩.csv", [SCORES] + rows)
    rows = roster_rows()
    rows[1][3] = "2031年5月6日"
    csv_file(case("future_birth_date") / "一中_学生名册.csv", [ROSTER] + rows)
    rows = roster_rows()
    rows[0][3] = "去年"
    csv_file(case("unparseable_date") / "一中_学生名册.csv", [ROSTER] + rows)
    csv_file(case("class_with_one_pupil") / "一中_学生名册.csv", [ROSTER] + roster_rows(1))
    rows = roster_rows()
    rows[2][2] = "未知"
    csv_file(case("unmapped_gender") / "一中_学生名册.csv", [ROSTER] + rows)
    hh = [["0120230001", "测试1", "七年级1班", "是", "12", "是", "10", "奶奶", "隔代监护"],
          ["0120230002", "测试2", "七年级1班", "是", "12", "否", "", "干爹", "亲朋监护"],
          ["0120230003", "测试3", "七年级1班", "是", "15", "否", "", "母亲", "父母单方监护"]]
    csv_file(case("household_problems") / "一中_家庭情况调查表.csv", [HOUSEHOLD] + hh)
    csv_file(case("unknown_column") / "一中_学生名册.csv", [ROSTER + ["身高"]] + [r + ["150"] for r in roster_rows()])
    csv_file(case("gbk_csv") / "一中_学生名册.csv", [ROSTER] + roster_rows(), encoding="gbk")
    rows = roster_rows()
    rows[0][1] = "刘䶮"  # 䶮 is outside GBK
    csv_file(case("gb18030_csv") / "一中_学生名册.csv", [ROSTER] + rows, encoding="gb18030")
    csv_file(case("utf8_no_bom_csv") / "一中_学生名册.csv", [ROSTER] + roster_rows(), encoding="utf-8")
    rows = roster_rows()
    rows[1][0] = ""
    csv_file(case("missing_student_no") / "一中_学生名册.csv", [ROSTER] + rows)
    csv_file(case("duplicate_pupil_two_files") / "一中_学生名册.csv", [ROSTER] + roster_rows())
    rows = roster_rows()[:1]
    rows[0][2] = ""  # less complete than the first file's row
    csv_file(case("duplicate_pupil_two_files") / "一中_学生名册_补充.csv", [ROSTER] + rows)
    rows = roster_rows()
    csv_file(case("duplicate_row") / "一中_学生名册.csv", [ROSTER] + rows + [rows[0]])
    wide = [[None] * 3 + ["一中学生名册"], ROSTER] + [r for row in roster_rows() for r in (row, [None] * 6)]
    xlsx(case("blank_rows_and_wide_columns") / "一中_学生名册.xlsx", wide)
    from openpyxl import load_workbook
    wb = load_workbook(case("blank_rows_and_wide_columns") / "一中_学生名册.xlsx")
    wb.active.cell(2, 16384).number_format = "0.00"  # a formatted empty cell in the last column
    wb.active.cell(2, 16384).font = Font(bold=True)
    wb.save(case("blank_rows_and_wide_columns") / "一中_学生名册.xlsx")
    xlsx(case("notes_sheet") / "一中_学生名册.xlsx", [ROSTER] + roster_rows(),
         sheets={"说明": [["本表由教务处导出"], ["请勿修改"]]})
    rows = roster_rows()
    rows[0][4] = ID_BAD
    rows[1][4] = ID_OTHER_BIRTH  # valid, but the birth date differs from the stated 2011-03-05
    rows[2][2] = "女"  # the ID's gender digit says male
    csv_file(case("id_number_problems") / "一中_学生名册.csv", [ROSTER] + rows)
    rows = roster_rows()
    rows[1][5] = "实验班"
    csv_file(case("unknown_class") / "一中_学生名册.csv", [ROSTER] + rows)
    xlsx(case("leading_zeros_lost") / "一中_学生名册.xlsx",
         [ROSTER, [120230001, "测试1", "男", "2011-03-05", ID_OK, "七年级1班"],
          ["0120230002", "测试2", "男", "2011-03-05", ID_OK, "七年级1班"],
          ["'0120230003", "测试3", "男", "2011-03-05", ID_OK, "七(1)班"]])
    xlsx(case("per_class_sheets") / "一中_期末成绩.xlsx", [SCORES[:2] + SCORES[3:]] + [r[:2] + r[3:] for r in score_rows()],
         sheets={"七(2)班 ": [SCORES[:2] + SCORES[3:], ["0120230009", "测试9", 50, 60, 70, 180]]})
    wb = load_workbook(case("per_class_sheets") / "一中_期末成绩.xlsx")
    wb["Sheet1"].title = "7.1"
    wb.save(case("per_class_sheets") / "一中_期末成绩.xlsx")
    csv_file(case("school_column") / "export_2023.csv",
             [["学校"] + ROSTER, ["第一中学"] + roster_rows(1)[0]])
    csv_file(case("fullwidth_and_spaces") / "一中_期末成绩.csv",
             [SCORES, ["０１２０２３０００１", " 测试1 ", "七年级１班", "８８.５ ", "90", "70", "248.5"]])


def build_xls() -> None:
    """A legacy .xls roster with a real date cell and a title row. Needs xlwt
    (pip install xlwt), which the project does not depend on: the file is
    committed, so only rebuilding it needs xlwt."""
    import datetime as dt

    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("学生名册")
    sheet.write_merge(0, 0, 0, 5, "一中2023-2024学年第一学期学生名册")
    for j, label in enumerate(ROSTER):
        sheet.write(1, j, label)
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for i, row in enumerate(roster_rows(), start=2):
        for j, value in enumerate(row):
            if j == 3:
                sheet.write(i, j, dt.datetime(2011, 3, 5), date_style)
            else:
                sheet.write(i, j, value)
    path = case("legacy_xls") / "一中_学生名册.xls"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))


if __name__ == "__main__":
    build()
    try:
        build_xls()
    except ImportError:
        print("xlwt is not installed: the legacy .xls case was not rebuilt")
    print(f"wrote {sum(1 for _ in HERE.iterdir())} cases to {HERE}")
