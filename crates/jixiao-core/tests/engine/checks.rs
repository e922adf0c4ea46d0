//! Validation: each check names the place and the problem. (The CLI tests cover the cases the
//! issue lists on the demo district; these cover the rest on a small scheme.)

use super::*;
use jixiao_core::issue::{Issues, Location, Severity};

const SCHEME: &str = r#"id = "t"
title = { zh = "测试方案" }
year = 2025
version = 1
[rules]
tie_break = ["module:functional"]
[elements.a1]
name = { zh = "甲" }
frequency = "year"
[elements.b1]
name = { zh = "乙" }
frequency = "year"
[elements.n1]
name = { zh = "次数" }
kind = "count"
frequency = "year"
[[vetoes]]
code = "v1"
name = { zh = "否决" }
condition = "n1 > 0"
[classes.c]
name = { zh = "类" }
[[classes.c.modules]]
code = "functional"
name = { zh = "职能" }
points = 60
[[classes.c.modules.indicators]]
code = "x"
name = { zh = "指标x" }
points = 60
element = "a1"
target = 100
lead = "D1"
method = { type = "ratio" }
[[classes.c.modules]]
code = "common"
name = { zh = "共性" }
points = 40
[[classes.c.modules.indicators]]
code = "y"
name = { zh = "指标y" }
points = 40
element = "b1"
target = 100
method = { type = "linear", floor = 50 }
"#;

const ORG: &str = r#"[district]
code = "d"
name = { zh = "区" }
[[units]]
code = "D1"
name = { zh = "部门一" }
level = "department"
class = "c"
[[units]]
code = "S1"
name = { zh = "街道一" }
level = "subdistrict"
class = "c"
[[units]]
code = "V1"
name = { zh = "村一" }
level = "village"
parent = "S1"
"#;

fn issues(scheme: &str, org: &str) -> Issues {
    jixiao_core::check::check(
        &SourceText::new("s.toml", scheme),
        &SourceText::new("o.toml", org),
        None,
    )
}

#[test]
fn the_base_is_valid() {
    let i = issues(SCHEME, ORG);
    assert!(!i.has_errors(), "{i}");
}

/// (what, scheme edits, org edits, expected path, expected words)
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

const CASES: &[Case] = &[
    (
        "points and weights mixed",
        &[(
            "points = 40\n[[classes.c.modules.indicators]]",
            "weight = 40\n[[classes.c.modules.indicators]]",
        )],
        &[],
        "classes.c",
        "混用了 points（分值）和 weight（权重）",
    ),
    (
        "points and weight both",
        &[("points = 60\nelement", "points = 60\nweight = 100\nelement")],
        &[],
        "classes.c.modules[0].indicators[0]",
        "不能同时给出 points 和 weight",
    ),
    (
        "no points",
        &[("points = 40\nelement", "element")],
        &[],
        "classes.c.modules[1].indicators[0]",
        "缺少分值",
    ),
    (
        "weights not 100",
        &[
            (
                "points = 60\n[[classes.c.modules.indicators]]",
                "weight = 50\n[[classes.c.modules.indicators]]",
            ),
            (
                "points = 40\n[[classes.c.modules.indicators]]",
                "weight = 40\n[[classes.c.modules.indicators]]",
            ),
        ],
        &[],
        "classes.c",
        "权重合计90，应为100",
    ),
    (
        "ratio without target",
        &[("target = 100\nlead", "lead")],
        &[],
        "classes.c.modules[0].indicators[0].target",
        "比率法需要目标值",
    ),
    (
        "ratio target zero",
        &[("target = 100\nlead", "target = 0\nlead")],
        &[],
        "classes.c.modules[0].indicators[0].target",
        "目标值必须大于0",
    ),
    (
        "linear floor above target",
        &[("floor = 50", "floor = 120")],
        &[],
        "classes.c.modules[1].indicators[0].method.floor",
        "零分线120应低于目标100",
    ),
    (
        "element and formula",
        &[(
            "element = \"a1\"",
            "element = \"a1\"\nformula = \"a1 * 2\"\nsource = \"computed\"",
        )],
        &[],
        "classes.c.modules[0].indicators[0]",
        "不能同时给出 element 和 formula",
    ),
    (
        "formula without computed source",
        &[("element = \"a1\"", "formula = \"a1 * 2\"")],
        &[],
        "classes.c.modules[0].indicators[0].source",
        "来源应为 computed",
    ),
    (
        "unknown element",
        &[("element = \"a1\"", "element = \"a2\"")],
        &[],
        "classes.c.modules[0].indicators[0].element",
        "数据项“a2”未在 elements 中定义",
    ),
    (
        "unknown lead department",
        &[("lead = \"D1\"", "lead = \"D9\"")],
        &[],
        "classes.c.modules[0].indicators[0].lead",
        "牵头单位“D9”不在组织文件中",
    ),
    (
        "lead that is not a department",
        &[("lead = \"D1\"", "lead = \"S1\"")],
        &[],
        "classes.c.modules[0].indicators[0].lead",
        "不是区直部门",
    ),
    (
        "none_recorded on a ratio",
        &[(
            "lead = \"D1\"",
            "lead = \"D1\"\nmissing = \"none_recorded\"",
        )],
        &[],
        "classes.c.modules[0].indicators[0].missing",
        "只适用于按次数扣分或加分的指标",
    ),
    (
        "tie-break on an unknown module",
        &[(
            "tie_break = [\"module:functional\"]",
            "tie_break = [\"module:nope\"]",
        )],
        &[],
        "rules.tie_break[0]",
        "没有同分排序规则“module:nope”所指的模块或指标",
    ),
    (
        "tie-break badly written",
        &[(
            "tie_break = [\"module:functional\"]",
            "tie_break = [\"functional\"]",
        )],
        &[],
        "rules.tie_break[0]",
        "应写成 module:代码 或 indicator:代码",
    ),
    (
        "grades out of order",
        &[(
            "[rules]\n",
            "[rules]\ngrades = [{ code = \"ga\", name = { zh = \"甲\" }, min = 60 }, { code = \"gb\", name = { zh = \"乙\" }, min = 80 }, { code = \"gc\", name = { zh = \"丙\" }, min = 0 }]\nquota = false\n",
        )],
        &[],
        "rules.grades[1].min",
        "须按分数线从高到低排列",
    ),
    (
        "grades that leave totals ungraded",
        &[(
            "[rules]\n",
            "[rules]\ngrades = [{ code = \"ga\", name = { zh = \"甲\" }, min = 60 }]\nquota = false\n",
        )],
        &[],
        "rules.grades[0].min",
        "部分总分将没有等次",
    ),
    (
        "quota on an unknown grade",
        &[("[rules]\n", "[rules]\nquota = { grade = \"best\" }\n")],
        &[],
        "rules.quota.grade",
        "未知等次“best”",
    ),
    (
        "quota share above 1",
        &[("[rules]\n", "[rules]\nquota = { share = 1.5 }\n")],
        &[],
        "rules.quota.share",
        "名额比例1.5应在0到1之间",
    ),
    (
        "coefficient range reversed",
        &[("[rules]\n", "[rules]\ncoefficient_range = [1.2, 0.8]\n")],
        &[],
        "rules.coefficient_range",
        "下限应大于0且不大于上限",
    ),
    (
        "veto condition that is a number",
        &[("condition = \"n1 > 0\"", "condition = \"n1 + 1\"")],
        &[],
        "vetoes[0].condition",
        "公式结果应为条件",
    ),
    (
        "veto with neither element nor condition",
        &[("condition = \"n1 > 0\"", "")],
        &[],
        "vetoes[0]",
        "否决项需要 element（发生次数）或 condition（条件）二者之一",
    ),
    (
        "redistribute to a non-sibling",
        &[(
            "points = 40\n[[classes.c.modules.indicators]]",
            "points = 40\nredistribute_to = \"nowhere\"\n[[classes.c.modules.indicators]]",
        )],
        &[],
        "classes.c.modules[1].redistribute_to",
        "只能转给同级的其他模块",
    ),
    (
        "computed element with an aggregate",
        &[(
            "[elements.b1]",
            "[elements.r1]\nname = { zh = \"率\" }\nsource = \"computed\"\nformula = \"a1 / b1\"\naggregate = \"sum\"\n[elements.b1]",
        )],
        &[],
        "elements.r1.aggregate",
        "计算数据项不需要汇总方式",
    ),
    (
        "absent_is_zero on a rate",
        &[(
            "[elements.a1]\nname = { zh = \"甲\" }",
            "[elements.a1]\nname = { zh = \"甲\" }\nabsent_is_zero = true",
        )],
        &[],
        "elements.a1.absent_is_zero",
        "只适用于计数或是否类数据项",
    ),
    (
        "budget module without a dimension",
        &[("version = 1\n", "version = 1\nkind = \"budget\"\n")],
        &[],
        "classes.c.modules[0].dimension",
        "需要注明 dimension",
    ),
    (
        "unknown parent unit",
        &[],
        &[("parent = \"S1\"", "parent = \"S2\"")],
        "units[2].parent",
        "上级单位“S2”不存在",
    ),
    (
        "village directly under the district",
        &[],
        &[("parent = \"S1\"\n", "")],
        "units[2].parent",
        "村不能直接隶属于区",
    ),
    (
        "duplicate unit code",
        &[],
        &[("code = \"S1\"", "code = \"D1\"")],
        "units[1].code",
        "单位代码“D1”重复",
    ),
    (
        "a unit in two classes of one scheme",
        &[(
            "[classes.c]",
            "[classes.c2]\nname = { zh = \"类二\" }\n[[classes.c2.modules]]\ncode = \"functional\"\nname = { zh = \"职能\" }\npoints = 100\n[[classes.c2.modules.indicators]]\ncode = \"z\"\nname = { zh = \"z\" }\npoints = 100\nelement = \"a1\"\ntarget = 1\nmethod = { type = \"ratio\" }\n[classes.c]",
        )],
        &[(
            "level = \"department\"\nclass = \"c\"",
            "level = \"department\"\nclass = [\"c\", \"c2\"]",
        )],
        "units[0].class[1]",
        "在本方案中属于多个类别（c, c2）",
    ),
    (
        "a project element without what it reads",
        &[(
            "[elements.b1]\nname = { zh = \"乙\" }",
            "[elements.b1]\nname = { zh = \"乙\" }\nsource = \"project\"",
        )],
        &[],
        "elements.b1.project",
        "须写明读取项目的什么",
    ),
    (
        "a project element reading a target of no category",
        &[(
            "[elements.b1]\nname = { zh = \"乙\" }",
            "[elements.b1]\nname = { zh = \"乙\" }\nsource = \"project\"\nproject = { read = \"target\", category = \"output.speed\" }",
        )],
        &[],
        "elements.b1.project.category",
        "读取绩效目标须写明指标类别",
    ),
    (
        "a category on the amount",
        &[(
            "[elements.b1]\nname = { zh = \"乙\" }",
            "[elements.b1]\nname = { zh = \"乙\" }\nsource = \"project\"\nproject = { read = \"amount\", category = \"output.cost\" }",
        )],
        &[],
        "elements.b1.project.category",
        "只有读取绩效目标",
    ),
    (
        "a project element of a quarter",
        &[(
            "[elements.b1]\nname = { zh = \"乙\" }\nfrequency = \"year\"",
            "[elements.b1]\nname = { zh = \"乙\" }\nfrequency = \"quarter\"\nsource = \"project\"\nproject = { read = \"spent\" }",
        )],
        &[],
        "elements.b1.frequency",
        "按年度填报",
    ),
    (
        "what a project element reads on an element of another source",
        &[(
            "[elements.b1]\nname = { zh = \"乙\" }",
            "[elements.b1]\nname = { zh = \"乙\" }\nproject = { read = \"amount\" }",
        )],
        &[],
        "elements.b1.source",
        "来源应为 project",
    ),
];

#[test]
fn each_check_names_the_place_and_the_problem() {
    for (what, scheme_edits, org_edits, path, words) in CASES {
        let mut s = SCHEME.to_owned();
        for (old, new) in *scheme_edits {
            assert!(s.contains(old), "{what}: base scheme lacks {old:?}");
            s = s.replacen(old, new, 1);
        }
        let mut o = ORG.to_owned();
        for (old, new) in *org_edits {
            assert!(o.contains(old), "{what}: base org lacks {old:?}");
            o = o.replacen(old, new, 1);
        }
        let i = issues(&s, &o);
        let hit = i
            .iter()
            .find(|x| x.severity == Severity::Error && x.message.zh.contains(words));
        let Some(hit) = hit else {
            panic!("{what}: no error containing {words:?}; got:\n{i}")
        };
        let Location::Path { path: p } = &hit.location else {
            panic!("{what}: {:?}", hit.location)
        };
        assert!(
            p.starts_with(path),
            "{what}: path {p} should start with {path}"
        );
        assert!(!hit.message.en.is_empty(), "{what}: English message");
    }
}

#[test]
fn warnings_do_not_stop_scoring_but_are_reported() {
    let s = SCHEME.replacen(
        "[elements.n1]",
        "[elements.unused]\nname = { zh = \"未用\" }\nfrequency = \"year\"\n[elements.n1]",
        1,
    );
    let i = issues(&s, ORG);
    assert!(!i.has_errors(), "{i}");
    let w = i
        .warnings()
        .find(|w| w.code == "unused_element")
        .expect("unused element warning");
    assert!(w.message.zh.contains("“unused”没有被任何指标使用"));
}

#[test]
fn whatif_changes_read_as_people_write_them() {
    use jixiao_core::whatif::{Adjust, ChangeError, Lever};
    let a = Adjust::parse(Lever::Points, "street/investment = 12.5").expect("points");
    assert_eq!(
        a,
        Adjust::Points {
            class: Some(jixiao_core::code::Ident::parse("street").expect("id")),
            code: jixiao_core::code::Ident::parse("investment").expect("id"),
            points: "12.5".parse().expect("dec"),
        }
    );
    assert!(matches!(
        Adjust::parse(Lever::Target, "investment=95"),
        Ok(Adjust::Target { class: None, .. })
    ));
    assert!(matches!(
        Adjust::parse(Lever::Coefficient, "QLY/investment=1.1"),
        Ok(Adjust::Coefficient { .. })
    ));
    // A coefficient names its unit; a number is a number; a code is a code.
    assert!(matches!(
        Adjust::parse(Lever::Coefficient, "investment=1.1"),
        Err(ChangeError::Syntax(_))
    ));
    let e = Adjust::parse(Lever::Weight, "investment=lots").expect_err("not a number");
    assert!(e.text().zh.contains("weight") && e.text().en.contains("[class/]code=number"));
    assert!(matches!(
        Adjust::parse(Lever::Points, "in vest=3"),
        Err(ChangeError::Code(_))
    ));
}

/// A reserved word (or a number) as a unit's class is named with the reason, in both
/// languages, at the unit's place — not serde's "did not match any variant".
#[test]
fn a_bad_class_in_the_organisation_is_named() {
    for (class, says) in [
        ("\"min\"", "class code `min` is not valid"),
        ("42", "class must be a class code or a list"),
    ] {
        let o = ORG.replacen("class = \"c\"", &format!("class = {class}"), 1);
        let issues = issues(SCHEME, &o);
        let text = issues.to_string();
        assert!(issues.has_errors(), "{text}");
        assert!(text.contains(says), "{text}");
        assert!(!text.contains("untagged"), "{text}");
    }
}

/// A class that is not in this scheme means "not assessed by this scheme" (it may be another
/// scheme's class): a note, never an error — with "did you mean" when it looks like one of this
/// scheme's, in case it is a typo.
#[test]
fn a_class_of_another_scheme_is_a_note() {
    for org_text in [
        ORG.replacen("class = \"c\"", "class = \"cc\"", 1),
        ORG.replacen("class = \"c\"", "class = [\"c\", \"cc\"]", 1),
    ] {
        let i = issues(SCHEME, &org_text);
        assert!(!i.has_errors(), "{i}");
        let note = i
            .iter()
            .find(|x| x.code == "unknown_class")
            .unwrap_or_else(|| panic!("a note: {i}"));
        assert_eq!(note.severity, jixiao_core::issue::Severity::Note);
        assert!(note.message.zh.contains("类别“cc”不在方案中"), "{note:?}");
        assert!(
            note.hint
                .as_ref()
                .is_some_and(|h| h.en.contains("did you mean `c`")),
            "{note:?}"
        );
    }
}

/// The organisation serves every scheme: a coefficient naming an indicator this scheme does not
/// have (the annual scheme's, seen from a special assessment) is said, but does not stop it.
#[test]
fn a_coefficient_of_another_scheme_is_a_warning() {
    let o = ORG.replacen(
        "level = \"department\"\nclass = \"c\"",
        "level = \"department\"\nclass = \"c\"\ncoefficients = { zz = 1.1 }",
        1,
    );
    assert_ne!(o, ORG);
    let i = issues(SCHEME, &o);
    let hit = i
        .iter()
        .find(|x| x.message.zh.contains("没有指标或模块“zz”"))
        .unwrap_or_else(|| panic!("not reported:\n{i}"));
    assert_eq!(hit.severity, Severity::Warning);
    assert!(i.iter().all(|x| x.severity != Severity::Error), "{i}");
    // The same for a unit's own target.
    let o = ORG.replacen(
        "level = \"department\"\nclass = \"c\"",
        "level = \"department\"\nclass = \"c\"\ntargets = { z = 3 }",
        1,
    );
    let i = issues(SCHEME, &o);
    let hit = i
        .iter()
        .find(|x| x.message.zh.contains("没有指标“z”"))
        .unwrap_or_else(|| panic!("not reported:\n{i}"));
    assert_eq!(hit.severity, Severity::Warning);
}

/// Loading reads a file without the reader's own duplicate check (the value table finds
/// repeats); what it reports must still be exactly what the reader reports, in its order, and
/// the same whether the caller keeps the bytes (`load`) or hands them over (`load_owned`).
#[test]
fn repeated_rows_are_reported_as_the_reader_reports_them() {
    let head = "unit,item,period,value\n";
    let cases: &[(&str, &str)] = &[
        (
            "a repeat alone",
            "D1,a1,2025,90\nD1,b1,2025,80\nD1,a1,2025,91\n",
        ),
        (
            "a repeat beside a bad number and a bad period, in row order",
            "D1,a1,2025,90\nD1,b1,2025,x\nD1,a1,2025,91\nS1,a1,2025Q9,1\nS1,b1,2025,70\nS1,b1,2025,71\n",
        ),
        (
            "a repeat among rows the scheme refuses (an unknown unit, another year)",
            "ZZ,a1,2025,1\nZZ,a1,2025,2\nD1,a1,2023,5\nD1,a1,2025,90\n",
        ),
        (
            "a repeat of an element the class does not use",
            "D1,n1,2025,0\nD1,n1,2025,0\n",
        ),
    ];
    for (what, rows) in cases {
        let text = format!("{head}{rows}");
        let want = jixiao_core::data::read_csv("data.csv", text.as_bytes())
            .expect_err("the reader finds the repeat");
        let load_err = |loaded: Result<Loaded, Issues>| match loaded {
            Ok(_) => panic!("{what}: loaded although a row repeats"),
            Err(e) => e,
        };
        let (scheme, org) = (
            SourceText::new("s.toml", SCHEME),
            SourceText::new("o.toml", ORG),
        );
        let got = load_err(load(
            &scheme,
            &org,
            DataFile {
                name: "data.csv",
                bytes: text.as_bytes(),
            },
        ));
        assert_eq!(got, want, "{what}");
        let owned = load_err(jixiao_core::check::load_owned(
            &scheme,
            &org,
            "data.csv",
            text.clone().into_bytes(),
        ));
        assert_eq!(owned, want, "{what}: load_owned");
        assert!(
            got.iter().any(|i| i.code == "duplicate_row"),
            "{what}: {got}"
        );
    }
    // Without a repeat, the scheme's own checks speak (here: the unknown unit).
    let text = format!("{head}ZZ,a1,2025,1\nD1,a1,2025,90\n");
    let e = load(
        &SourceText::new("s.toml", SCHEME),
        &SourceText::new("o.toml", ORG),
        DataFile {
            name: "data.csv",
            bytes: text.as_bytes(),
        },
    )
    .err()
    .expect("an unknown unit is an error");
    assert_eq!(
        e.iter().map(|i| i.code).collect::<Vec<_>>(),
        vec!["unknown_unit"]
    );
}
