"""Questionnaires in: 问卷星 and 腾讯问卷 exports, .dta and .sav, codebooks, scales, designs, `liushou survey`.

Every file is hand-made in tests/questionnaires.py (openpyxl, csv in GBK,
pandas' Stata writer, pyreadstat), from twelve pupils' answers the tests
know, or a small school-based research sample. Estimates from a declared
design are checked against an independent computation written here (the
weighted share and the stratified cluster variance formula by hand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liushou_analysis.cleaning.questionnaire import code_survey, load_codebook
from liushou_analysis.cli import main
from liushou_analysis.core.errors import UserError
from liushou_analysis.readers.questionnaire import read_survey
from liushou_analysis.statistics.scales import cronbach_alpha

from . import questionnaires as Q


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("questionnaires")
    (d / "codebook.toml").write_text(Q.CODEBOOK_TOML, encoding="utf-8")
    research = Q.research_frame()
    return {"wjx_xlsx": Q.write_xlsx(Q.wjx_text_rows(), d / "留守儿童问卷_按文本.xlsx", title="留守儿童生活情况调查"),
            "wjx_gbk": Q.write_csv(Q.wjx_text_rows(), d / "问卷_文本.csv", encoding="gbk"),
            "wjx_numbers": Q.write_csv(Q.wjx_number_rows(), d / "问卷_序号.csv", encoding="gbk"),
            "tencent": Q.write_xlsx(Q.tencent_rows(), d / "腾讯问卷.xlsx"),
            "codebook": load_codebook(d / "codebook.toml"), "dir": d, "research": research,
            "dta": Q.write_dta(research, d / "research.dta"), "sav": Q.write_sav(research, d / "research.sav")}


LONELY = {"经常": 4, "有时": 3, "总是": 5, "很少": 2, "从不": 1}


@pytest.mark.parametrize("name", ["wjx_xlsx", "wjx_gbk", "wjx_numbers", "tencent"])
def test_platform_exports_read_the_same_answers(files, name):
    raw = read_survey(files[name])
    assert raw.platform == ("腾讯问卷" if name == "tencent" else "问卷星")
    # personal columns never leave the reader: the IP, the name question, the location
    assert not any(("IP" in c or "姓名" in c or "地理位置" in c) for c in raw.answers.columns)
    assert "3、你的姓名" in raw.dropped or name == "tencent"
    # the linkage fields stay in memory: the name (问卷星 files ask it) and the grade
    assert {"grade"} | ({"name"} if name != "tencent" else set()) <= set(raw.identifiers.columns)
    clean = code_survey(raw, files["codebook"])
    d = clean.data
    assert len(d) == 12 and d.respondent_key.is_unique
    assert d.gender.tolist() == [p[0] for p in Q.PUPILS]
    assert d.carer.tolist() == [p[3] for p in Q.PUPILS]
    assert d.lonely1.cat.ordered and d.lonely1.tolist() == [p[5] for p in Q.PUPILS]
    # multi-choice: one 0/1 column per option, the skipped pupil missing (not 0)
    assert d.after_homework.tolist()[:4] == [1, 1, 0, 1] and np.isnan(d.after_tv.iloc[11])
    assert d.after_other_choice.iloc[4] == 1 and d.after_other.iloc[4] == "放牛"  # 其他〖放牛〗 kept apart
    reasons = clean.missing.set_index(["variable"]).reason
    assert (reasons.loc["after_tv"] == "skipped") if name != "tencent" else reasons.loc["after_tv"] == "blank"
    # the scale: mean of three items, lonely2 reverse-coded (1 + 5 - score)
    first = Q.PUPILS[0]
    expected = np.mean([LONELY[first[5]], 6 - LONELY[first[6]], LONELY[first[7]]])
    assert d.loneliness.iloc[0] == pytest.approx(expected)
    assert clean.notes == [] or all("编码本" in n or "题" in n for n in clean.notes)


def test_number_answers_and_skips(files):
    clean = code_survey(read_survey(files["wjx_xlsx"]), files["codebook"])
    hours = clean.data.phone_hours
    assert hours.iloc[0] == 6 and np.isnan(hours.iloc[5]) and np.isnan(hours.iloc[7])
    why = clean.missing[clean.missing.variable == "phone_hours"].reason.tolist()
    assert why == ["skipped", "blank"]  # "(跳过)" and "(空)", each with its reason


def test_without_a_codebook_questions_are_numbered_and_it_says_so(files):
    clean = code_survey(read_survey(files["wjx_gbk"]))
    assert {"q1", "q2", "q4", "q5_1", "q6_1", "q6_3", "q7", "q8"} <= set(clean.data.columns)
    labels = clean.labels()
    assert labels["q1"] == "你的性别" and labels["q6_1"].endswith("我常常觉得孤单")
    assert clean.variables.set_index("name").loc["q8", "type"] == "number"
    assert clean.variables.set_index("name").loc["q6_1", "type"] == "ordinal"
    assert any("没有给出问卷编码本" in n for n in clean.notes)


def test_a_school_form_or_a_text_is_refused_with_what_it_looked_like(tmp_path):
    roster = Q.write_xlsx([["学号", "姓名", "性别", "班级"], ["001", "王小明", "男", "七(1)班"]], tmp_path / "名册.xlsx")
    with pytest.raises(UserError, match="looks like a school form"):
        read_survey(roster)
    other = Q.write_csv([["日期", "金额"], ["2026-01-01", "5"]], tmp_path / "账.csv")
    with pytest.raises(UserError, match="no numbered question columns"):
        read_survey(other)
    (tmp_path / "x.dta").write_bytes(b"not stata")
    with pytest.raises(UserError, match="not read as a Stata file"):
        read_survey(tmp_path / "x.dta")


def test_labelled_datasets_keep_their_labels(files):
    for name in ("dta", "sav"):
        raw = read_survey(files[name])
        clean = code_survey(raw)
        d = clean.data
        assert list(d.care.cat.categories) == list(Q.CARE_LABELS.values())
        assert d.care.tolist() == files["research"].care.map(Q.CARE_LABELS).tolist()
        assert d.lon1.cat.ordered and list(d.lon1.cat.categories) == list(Q.LONELY_LABELS.values())
        assert not d.care.cat.ordered  # who cares for a child has no order
        assert clean.labels()["care"] == "主要照顾者"
        assert d.wt.dtype == float


def test_codebook_csv_and_mistakes(tmp_path, files):
    (tmp_path / "cb.csv").write_text(
        "question,name,type,labels,reverse,scale,score,min_items\n"
        "1,gender,single,1=男;2=女,,,,\n"
        "6,lonely/l1,ordinal,1=从不;2=很少;3=有时;4=经常;5=总是,,lonely,sum,3\n"
        "6,lonely/l2,ordinal,,1,lonely,sum,3\n"
        "6,lonely/l3,ordinal,,,lonely,sum,3\n", encoding="utf-8")
    book = load_codebook(tmp_path / "cb.csv")
    clean = code_survey(read_survey(files["wjx_numbers"]), book)
    assert clean.data.gender.tolist() == [p[0] for p in Q.PUPILS]  # option numbers 1, 2 read through the labels
    first = Q.PUPILS[0]
    assert clean.data.lonely.iloc[0] == LONELY[first[5]] + 6 - LONELY[first[6]] + LONELY[first[7]]
    (tmp_path / "bad.toml").write_text('[questions.1]\nname = "g"\ntype = "choice"\n', encoding="utf-8")
    with pytest.raises(UserError, match="type 'choice'"):
        load_codebook(tmp_path / "bad.toml")


def test_alpha_against_formula_and_planted_reliability():
    # Hand-worked: items (1,2,3), (2,2,4), (3,4,5), (4,4,4): item variances 1.667, 1.0, 0.667, total 12.917 ->
    # alpha = 3/2 * (1 - 3.333/12.917) = 1.113...
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [3, 4, 5, 4]}, dtype=float)
    var = items.var(ddof=1)
    expected = 3 / 2 * (1 - var.sum() / items.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(items).row().estimate == pytest.approx(expected)
    # Planted truth: 6 parallel items = true score (var 1) + error (var 2): alpha = 6 / (6 + 2) = 0.75
    rng = np.random.default_rng(4)
    t = rng.normal(size=3000)
    sim = pd.DataFrame({f"i{j}": t + rng.normal(scale=np.sqrt(2), size=3000) for j in range(6)})
    est = cronbach_alpha(sim)
    row = est.row()
    assert row.ci_low < 0.75 < row.ci_high and row.ci_high - row.ci_low < 0.03
    assert (est.details["items"].item_rest > 0.4).all()


def test_design_estimates_equal_an_independent_computation(files, tmp_path):
    # Independent computation, written here: the weighted share of care = 祖辈照顾 and its stratified
    # with-replacement cluster variance: V = sum_h n_h/(n_h-1) sum_i (z_hi - zbar_h)^2 with z the PSU
    # totals of w (y - p) / sum(w).
    (tmp_path / "design.toml").write_text('weight = "wt"\nstrata = "county"\npsu = "school"\ndomains = ["female"]\n',
                                          encoding="utf-8")
    out = tmp_path / "out"
    assert main(["survey", str(files["dta"]), "--design", str(tmp_path / "design.toml"), "--out", str(out)]) == 0
    est = pd.read_csv(out / "estimates.csv", encoding="utf-8-sig")
    row = est[(est.variable == "care") & (est.level == "祖辈照顾") & (est.domain == "全部")].iloc[0]
    f = files["research"]
    y = (f.care == 2).astype(float)
    p = (f.wt * y).sum() / f.wt.sum()
    z = (f.wt * (y - p) / f.wt.sum()).groupby([f.county, f.school]).sum()
    var = sum(len(g) / (len(g) - 1) * ((g - g.mean()) ** 2).sum() for _, g in z.groupby(level=0))
    assert row.estimate == pytest.approx(p) and row.se == pytest.approx(np.sqrt(var))
    assert row.n == 240 and 0 < row.ci_low < row.estimate < row.ci_high < 1
    assert set(est.domain) == {"全部", "female"}
    # exports keep the labels
    back = pd.read_stata(out / "survey.dta")
    assert list(back.care.cat.categories) == list(Q.CARE_LABELS.values())
    import pyreadstat

    sav, meta = pyreadstat.read_sav(str(out / "survey.sav"))
    assert meta.variable_value_labels["care"] == {1.0: "父母一方在家", 2.0: "祖辈照顾", 3.0: "其他人照顾"}
    assert (out / "survey.parquet").exists() and (out / "survey.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "问卷调查结果" in page and "抽样设计" in page and "主要照顾者" in page


def test_calibrated_and_replicate_designs_from_toml(files, tmp_path):
    f = files["research"]
    (tmp_path / "cal.toml").write_text(
        'weight = "wt"\nstrata = "county"\npsu = "school"\n[calibration]\nmethod = "raking"\n'
        '[calibration.totals.female]\n"男" = 5000\n"女" = 4800\n[replicates]\ntype = "jkn"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["survey", str(files["dta"]), "--design", str(tmp_path / "cal.toml"), "--out", str(out),
                 "--min-cell", "1"]) == 0
    est = pd.read_csv(out / "estimates.csv", encoding="utf-8-sig")
    female = est[(est.variable == "female") & (est.domain == "全部")].set_index(["statistic", "level"]).estimate
    assert female["proportion", "女"] == pytest.approx(4800 / 9800)  # calibrated exactly to the known totals
    assert female["total", "女"] == pytest.approx(4800)
    assert est[(est.variable == "female")].se.max() < 1e-6  # a calibrated margin has no sampling variance
    assert (f.female.mean() != pytest.approx(4800 / 9800))


def test_survey_command_refuses_plainly(files, tmp_path, capsys):
    (tmp_path / "d.toml").write_text('weight = "weight"\n', encoding="utf-8")
    assert main(["survey", str(files["dta"]), "--design", str(tmp_path / "d.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "weight = 'weight' is not a column of the data" in capsys.readouterr().err
    roster = Q.write_xlsx([["学号", "姓名", "性别", "班级"], ["001", "王小明", "男", "七(1)班"]], tmp_path / "名册.xlsx")
    assert main(["survey", str(roster), "--out", str(tmp_path / "o2")]) == 2


def test_small_questionnaire_is_suppressed_on_page_and_csv(files, tmp_path):
    out = tmp_path / "out"
    assert main(["survey", str(files["wjx_xlsx"]), "--codebook", str(files["dir"] / "codebook.toml"),
                 "--out", str(out)]) == 0
    est = pd.read_csv(out / "estimates.csv", encoding="utf-8-sig")
    shown = est[est.statistic == "proportion"].dropna(subset=["estimate"])
    # twelve pupils: no share is shown whose count is below 10 or can be recovered from one
    counts = shown.estimate * shown.n
    assert ((counts.round() >= 10) | (counts.round() == 0) | (shown.n - counts.round() >= 10)).all()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "王小明" not in page and "36.1" not in page  # no name, no IP
    survey = pd.read_csv(out / "survey.csv", encoding="utf-8-sig")
    assert not survey.astype(str).apply(lambda c: c.str.contains("王小明|36\\.1\\.12")).any().any()


# --- a questionnaire in a term folder (item 5: linked to school records) ---------------------------------------------

@pytest.fixture(scope="module")
def county_with_survey(tmp_path_factory):
    from liushou_analysis.cleaning.pipeline import clean_dataset

    from . import smallcounty as sc

    base = tmp_path_factory.mktemp("county_survey")
    raw = sc.build(base / "raw" / "qingshi")
    people = sc.pupils()
    Q.school_questionnaire(people, raw / sc.TERMS[1] / f"{sc.SCHOOL}学生生活问卷（问卷星导出）.xlsx")
    (raw / "questionnaire.toml").write_text(Q.CODEBOOK_TOML, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_KEY", "survey-county-test-key-0123456789")
        manifest = clean_dataset(raw, base / "clean")
    return raw, base / "clean", manifest, people


def test_clean_links_respondents_to_pupils(county_with_survey):
    from liushou_analysis.store import CleanStore

    from . import smallcounty as sc

    raw, clean, manifest, people = county_with_survey
    store = CleanStore(clean)
    survey = store.table("survey")
    enrolment = store.table("enrolment", terms=sc.TERMS[1])
    assert len(survey) == 31 and survey.term.eq(sc.TERMS[1]).all() and survey.school.eq(sc.SCHOOL).all()
    # 30 pupils of the roster: 23 by 学号, 7 without one by name and class; the newcomer no roster knows is kept
    assert survey.pupil_key.notna().sum() == 30 and survey.pupil_key.dropna().isin(enrolment.pupil_key).all()
    assert survey.pupil_key.dropna().is_unique
    # the same pupil as in the roster: the linked pupils' grades are those the hand-made list gives
    grades = enrolment.set_index("pupil_key").grade.reindex(survey.pupil_key.dropna())
    assert grades.tolist() == [p["grade"] for p in people[:30]]
    entry = next(f for f in manifest["files"] if f.get("format") == "questionnaire")
    assert entry["tables"]["survey"] == {"rows_read": 32, "rows_kept": 31, "rows_quarantined": 1}
    assert entry["linked_to_pupils"] == 30 and entry["school_from"] == "file name"
    assert "10、你的姓名" in entry["personal_columns_dropped"] and "9、你的学号" in entry["personal_columns_dropped"]
    # no name or number of a pupil anywhere in what clean wrote
    written = " ".join(store.table(t).astype(str).to_csv() for t in ("survey", "survey_variables", "survey_missing"))
    assert not any(p["name"] in written or p["no"] in written for p in people[:31])
    assert store.table("survey_variables").name.tolist()[:3] == ["gender", "grade", "carer"]
    assert "loneliness" in survey.columns and survey.loneliness.notna().sum() == 31


def test_export_writes_the_linked_survey_with_its_labels(county_with_survey, tmp_path):
    # item 6: liushou export's writers: the clean survey as .dta and .sav with value labels, beside the school tables
    import pyreadstat

    _, clean, _, _ = county_with_survey
    assert main(["export", "--data", str(clean), "--out", str(tmp_path / "exp"), "--format", "dta,sav"]) == 0
    dta = pd.read_stata(tmp_path / "exp" / "survey.dta")
    assert list(dta.lonely1.cat.categories) == ["从不", "很少", "有时", "经常", "总是"]
    _, meta = pyreadstat.read_sav(str(tmp_path / "exp" / "survey.sav"))
    assert meta.column_names_to_labels["gender"] == "你的性别"
    assert meta.variable_value_labels["carer"][3.0] == "祖父母"
    assert (tmp_path / "exp" / "survey.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_survey_writes_totals_rao_scott_tests_and_models(files, tmp_path):
    # Independent computations written here: a category's estimated total is sum(w * [lon1 = 1]); a model
    # of a 0/1 answer on care alone is saturated: a logistic one's intercept is the weighted log-odds among
    # care = 1 and each coefficient the difference of weighted log-odds. The Rao-Scott test is
    # SurveyDesign.crosstab's (checked against R in tests/test_survey.py).
    (tmp_path / "design.toml").write_text('weight = "wt"\nstrata = "county"\npsu = "school"\ndomains = ["care"]\n',
                                          encoding="utf-8")
    out = tmp_path / "out"
    assert main(["survey", str(files["dta"]), "--design", str(tmp_path / "design.toml"), "--out", str(out),
                 "--model", "lon4 ~ C(care)"]) == 2  # four answers: not an outcome a regression can take
    assert main(["survey", str(files["dta"]), "--design", str(tmp_path / "design.toml"), "--out", str(out),
                 "--model", "female ~ C(care)"]) == 0
    f = files["research"]
    est = pd.read_csv(out / "estimates.csv", encoding="utf-8-sig")
    total = est[(est.variable == "lon1") & (est.statistic == "total") & (est.domain == "全部")].set_index("level")
    assert total.loc["从不", "estimate"] == pytest.approx((f.wt * (f.lon1 == 1)).sum())
    models = pd.read_csv(out / "models.csv", encoding="utf-8-sig")
    linear = models[models.model == "female ~ C(care)"].set_index("quantity").estimate
    share = (f.wt * f.female).groupby(f.care).sum() / f.wt.groupby(f.care).sum()
    logit = np.log(share / (1 - share))  # 女 (labelled 1) against 男: a logistic model, saturated: log-odds per group
    assert linear["Intercept"] == pytest.approx(logit[1]) and linear["C(care)[T.祖辈照顾]"] == pytest.approx(logit[2] - logit[1])
    tests = pd.read_csv(out / "tests.csv", encoding="utf-8-sig").set_index("variable")
    assert tests.loc["lon1", "p_value"] < 0.05 < tests.loc["female", "p_value"]  # loneliness was planted by care
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Rao-Scott" in page and "回归模型" in page


def test_split_multi_choice_columns_in_either_platform_style(tmp_path):
    # 问卷星 "按选项序号" with multi-choice split per option ("5(写作业)" holding 1/0, the skipped pupil "(跳过)"), and
    # a question whose options follow its text in brackets ("6、平时谁照顾你？(可多选)(父母)"), as a UTF-8-with-BOM CSV
    rows = [Q.WJX_META + ["1、你的性别"] + [f"5({o})" for o in Q.OPTIONS[5][:4]]
            + ["6、平时谁照顾你？(可多选)(父母)", "6、平时谁照顾你？(可多选)(祖辈)"]]
    for i, p in enumerate(Q.PUPILS, 1):
        picks = ["(跳过)"] * 4 if p[4] == "(跳过)" else [str(int(o in p[4].split("┋"))) for o in Q.OPTIONS[5][:4]]
        rows.append(Q._meta(i) + [p[0]] + picks + [str(i % 2), str(1 - i % 2)])
    clean = code_survey(read_survey(Q.write_csv(rows, tmp_path / "split.csv", encoding="utf-8-sig")))
    kinds = clean.variables.set_index("name")
    assert kinds.loc[["q5_1", "q5_4", "q6_1", "q6_2"], "type"].eq("multi").all()
    assert kinds.loc["q6_2", "label"] == "平时谁照顾你?：祖辈" and kinds.loc["q5_1", "label"].endswith("写作业")
    assert clean.data.q5_1.tolist()[:3] == [1, 1, 0] and np.isnan(clean.data.q5_2.iloc[11])
    assert set(clean.missing[clean.missing.variable == "q5_3"].reason) == {"skipped"}


def test_every_category_has_its_row_in_every_group(files, tmp_path):
    (tmp_path / "design.toml").write_text('weight = "wt"\nstrata = "county"\npsu = "school"\ndomains = ["care"]\n',
                                          encoding="utf-8")
    out = tmp_path / "out"
    assert main(["survey", str(files["dta"]), "--design", str(tmp_path / "design.toml"), "--out", str(out),
                 "--min-cell", "1"]) == 0
    est = pd.read_csv(out / "estimates.csv", encoding="utf-8-sig")
    lon = est[(est.variable == "lon1") & (est.statistic == "proportion")]
    assert lon.groupby(["domain", "domain_level"], dropna=False)["level"].size().eq(4).all()
    assert lon[lon.domain == "全部"].level.tolist() == list(Q.LONELY_LABELS.values())  # in the scale's order
    zero = lon[lon.estimate == 0]
    assert len(zero) and (zero.ci_high == 0).all()  # a category nobody in a group chose: 0, not a missing row


def test_joint_calibration_margin_and_shipped_replicate_weights(files, tmp_path):
    # A joint margin (county x female) from a CSV of counts: each cell's weighted total is its count. Replicate
    # weights shipped with the data (the stratified jackknife's, written into the file) give the SEs the same
    # replicates give when liushou makes them (jkn): the same numbers by two routes.
    from liushou_analysis.statistics.replicates import replicate
    from liushou_analysis.statistics.survey import SurveyDesign

    f = files["research"].copy()
    d = SurveyDesign(f, weights="wt", strata="county", cluster="school")
    rep = replicate(d, "jkn")
    for r in range(rep.replicate_weights.shape[1]):
        f[f"rw{r + 1}"] = rep.replicate_weights[:, r]
    data = Q.write_dta(f, tmp_path / "with_replicates.dta")
    pd.DataFrame({"county": [1, 1, 2, 2], "female": ["男", "女", "男", "女"], "count": [1900, 2100, 2950, 3050]}) \
        .to_csv(tmp_path / "cells.csv", index=False, encoding="utf-8-sig")
    columns = ", ".join(f'"rw{r + 1}"' for r in range(rep.replicate_weights.shape[1]))
    rscales = ", ".join(repr(float(v)) for v in rep.rscales)
    (tmp_path / "given.toml").write_text(
        f'weight = "wt"\nstrata = "county"\npsu = "school"\n[replicates]\ncolumns = [{columns}]\nscale = 1.0\n'
        f'rscales = [{rscales}]\n', encoding="utf-8")
    (tmp_path / "made.toml").write_text('weight = "wt"\nstrata = "county"\npsu = "school"\n[replicates]\ntype = "jkn"\n',
                                        encoding="utf-8")
    (tmp_path / "joint.toml").write_text('weight = "wt"\nstrata = "county"\npsu = "school"\n[calibration]\n'
                                         'method = "linear"\n[[calibration.joint]]\ncolumns = ["county", "female"]\n'
                                         'file = "cells.csv"\n', encoding="utf-8")
    results = {}
    for name in ("given", "made", "joint"):
        assert main(["survey", str(data), "--design", str(tmp_path / f"{name}.toml"), "--out", str(tmp_path / name),
                     "--min-cell", "1"]) == 0
        results[name] = pd.read_csv(tmp_path / name / "estimates.csv", encoding="utf-8-sig")
    given, made = (results[n][results[n].variable == "lon1"].se.to_numpy() for n in ("given", "made"))
    np.testing.assert_allclose(given, made, rtol=1e-10)
    joint = results["joint"]
    female = joint[(joint.variable == "female") & (joint.statistic == "total") & (joint.domain == "全部")]
    assert female.set_index("level").estimate.to_dict() == pytest.approx({"男": 4850.0, "女": 5150.0})


def test_wilson_intervals_on_request(files, tmp_path):
    # Same shares, Wilson's interval (SurveyDesign.proportion, checked in tests/test_survey.py) instead of the logit
    out = {}
    for interval in ("logit", "wilson"):
        assert main(["survey", str(files["dta"]), "--out", str(tmp_path / interval), "--interval", interval,
                     "--min-cell", "1"]) == 0
        out[interval] = pd.read_csv(tmp_path / interval / "estimates.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(out["logit"].estimate, out["wilson"].estimate)
    shares = out["wilson"].statistic == "proportion"
    inner = (out["wilson"].estimate > 0) & (out["wilson"].estimate < 1) & shares
    assert (out["logit"].ci_low[inner] != out["wilson"].ci_low[inner]).all()


def test_fill_in_blanks_and_numbers_with_units(tmp_path):
    # 问卷星 writes a fill-in question with two blanks as "9(填空1)", "9(填空2)": two answers, not a matrix; pupils
    # write units after numbers ("11岁", "3小时")
    rows = [Q.WJX_META + ["1、你的性别", "9(填空1)", "9(填空2)", "10、你每天看电视大约多少小时？"]]
    for i, p in enumerate(Q.PUPILS, 1):
        rows.append(Q._meta(i) + [p[0], f"{i}岁" if i % 2 else "", "爷爷" if i % 3 else "奶奶", f"{i}小时"])
    clean = code_survey(read_survey(Q.write_xlsx(rows, tmp_path / "blanks.xlsx")))
    kinds = clean.variables.set_index("name").type
    assert kinds["q9_1"] == "number" and kinds["q10"] == "number" and kinds["q9_2"] != "ordinal"
    q9 = clean.data.q9_1
    assert q9.iloc[0] == 1 and np.isnan(q9.iloc[1]) and q9.iloc[2] == 3
    assert clean.data.q10.sum() == sum(range(1, 13))


def test_columns_not_used_are_named_and_ip_is_a_word_of_its_own(tmp_path):
    # a teacher adds 备注 and "Description" columns to an export: kept out of the answers but named (the manifest
    # lists them); "IP地址" and "ip_address" are dropped as personal, "script" or "Description" are not an IP
    rows = [Q.WJX_META + ["1、你的性别", "备注", "Description", "IP地址", "ip_address", "IPAddress", "IPv4"]]
    for i, p in enumerate(Q.PUPILS, 1):
        rows.append(Q._meta(i) + [p[0], "", "x", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"])
    raw = read_survey(Q.write_xlsx(rows, tmp_path / "extra.xlsx"))
    assert raw.unknown == ["备注", "Description"]
    assert {"IP地址", "ip_address", "IPAddress", "IPv4"} <= set(raw.dropped) and "Description" not in raw.dropped
    assert not any("IP" in c or "ip_" in c for c in raw.answers.columns)


def test_survey_and_export_run_again_into_their_own_folders(files, county_with_survey, tmp_path):
    # a researcher reruns a command into the folder it wrote before: replaced, not refused; a folder holding
    # anything else is never overwritten
    for _ in range(2):
        assert main(["survey", str(files["dta"]), "--out", str(tmp_path / "s")]) == 0
        assert main(["export", "--data", str(county_with_survey[1]), "--out", str(tmp_path / "e")]) == 0
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "论文.docx").write_bytes(b"draft")
    assert main(["survey", str(files["dta"]), "--out", str(tmp_path / "mine")]) == 2
    assert (tmp_path / "mine" / "论文.docx").read_bytes() == b"draft"


def test_html_saved_as_xls_in_gbk_with_grade_and_class_apart_links_by_name(tmp_path):
    # A school's own online-form system exported the answers as an HTML table saved as .xls (GBK), with 年级 and
    # 班级 as separate questions ("七年级", "1班") and no 学号: the pupils link by name and class to the roster.
    from liushou_analysis.cleaning.pipeline import clean_dataset
    from liushou_analysis.store import CleanStore

    from . import schoolfiles as sf
    from . import smallcounty as sc

    raw = sc.build(tmp_path / "raw" / "qingshi")
    people = [p for p in sc.pupils() if p["grade"] == 7][:12]
    grade_word = {7: "七年级", 8: "八年级"}
    header = ["序号", "提交答卷时间", "1、你的性别", "2、你的年级", "3、你的班级", "4、你的姓名", "5、现在主要是谁在照顾你？"]
    rows = [[i, "2025/5/6 10:00:00", p["gender"], grade_word[p["grade"]], f"{p['klass']}班", p["name"],
             Q.PUPILS[i - 1][3]] for i, p in enumerate(people, start=1)]
    sf.html_as_xls(raw / sc.TERMS[1] / f"{sc.SCHOOL}学生问卷.xls", header, rows, titles=["学生生活情况调查"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_KEY", "html-survey-test-key-0123456789")
        clean_dataset(raw, tmp_path / "clean")
    store = CleanStore(tmp_path / "clean")
    survey = store.table("survey")
    assert len(survey) == 12 and survey.pupil_key.notna().all()  # every sheet linked by name, grade and class
    grades = store.table("enrolment", terms=sc.TERMS[1]).set_index("pupil_key").grade.reindex(survey.pupil_key)
    assert grades.eq(7).all()
    assert not survey.astype(str).apply(lambda c: c.str.contains(people[0]["name"])).any().any()


def test_survey_with_no_answer_exits_non_zero(tmp_path, capsys):
    rows = [Q.WJX_META + ["1、你的性别", "2、你的年级"]] + [Q._meta(i) + ["(空)", "(空)"] for i in range(1, 4)]
    path = Q.write_csv(rows, tmp_path / "空问卷.csv", encoding="gbk")
    assert main(["survey", str(path), "--out", str(tmp_path / "out")]) == 3
    assert "no respondent answered any question" in capsys.readouterr().err
