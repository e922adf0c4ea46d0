//! Roll-up between levels (区-街-村): a sub-district's indicator computed from its villages'
//! results, kept up to date when a village's value changes, explained child by child; the
//! checks that refuse a roll-up that cannot work.

use super::*;
use jixiao_core::model::Model;

/// Streets S1 (villages V1, V2) and S2 (V3, V4). A village scores its value `v` out of 100
/// (ratio to 100). A street's one indicator is the mean of its villages' totals against a target
/// of 100, and a second the share of its villages graded 良好 or better against 100%.
fn scheme_text(extra: &str) -> String {
    scheme(&format!(
        r#"[rules]
quota = false
[elements.v]
name = {{ zh = "完成值" }}
frequency = "year"
[elements.village_mean]
name = {{ zh = "所辖村平均得分" }}
source = "children"
children = {{ class = "village", measure = "mean_total" }}
[elements.village_good]
name = {{ zh = "所辖村良好及以上比例" }}
unit = "%"
source = "children"
children = {{ class = "village", measure = "share_graded", grade_at_least = "good" }}
{extra}
[classes.street]
name = {{ zh = "街道" }}
[[classes.street.modules]]
code = "villages"
name = {{ zh = "村级工作" }}
points = 100
[[classes.street.modules.indicators]]
code = "mean"
name = {{ zh = "所辖村平均得分" }}
points = 60
element = "village_mean"
target = 100
method = {{ type = "ratio" }}
[[classes.street.modules.indicators]]
code = "good"
name = {{ zh = "良好及以上村占比" }}
points = 40
element = "village_good"
target = 100
method = {{ type = "ratio" }}
[classes.village]
name = {{ zh = "村（社区）" }}
[[classes.village.modules]]
code = "work"
name = {{ zh = "工作" }}
points = 100
[[classes.village.modules.indicators]]
code = "x"
name = {{ zh = "完成率" }}
points = 100
element = "v"
target = 100
method = {{ type = "ratio" }}
"#
    ))
}

fn org_text() -> String {
    let mut s = String::from("[district]\ncode = \"dist\"\nname = { zh = \"测试区\" }\n");
    for st in ["S1", "S2"] {
        s.push_str(&format!(
            "[[units]]\ncode = \"{st}\"\nname = {{ zh = \"街道{st}\" }}\nlevel = \"subdistrict\"\nclass = \"street\"\n"
        ));
    }
    for (v, p) in [("V1", "S1"), ("V2", "S1"), ("V3", "S2"), ("V4", "S2")] {
        s.push_str(&format!(
            "[[units]]\ncode = \"{v}\"\nname = {{ zh = \"村{v}\" }}\nlevel = \"village\"\nparent = \"{p}\"\nclass = \"village\"\n"
        ));
    }
    s
}

const DATA: &[&str] = &[
    "V1,v,2025,90",
    "V2,v,2025,70",
    "V3,v,2025,85",
    "V4,v,2025,95",
];

#[test]
fn a_street_answers_for_its_villages() {
    let r = run(&scheme_text(""), &org_text(), &csv(DATA), "2025");
    // S1: villages 90 and 70 → mean 80 → 60 × 80% = 48; 良好 (≥ 80) or better: V1 only → 50%
    // → 40 × 50% = 20. Total 68.
    assert_eq!(r.score("S1", "mean"), d("48"));
    assert_eq!(r.score("S1", "good"), d("20"));
    assert_eq!(r.total("S1"), Some(d("68")));
    // S2: 85 and 95 → mean 90 → 54; both 良好 or better → 40. Total 94.
    assert_eq!(r.total("S2"), Some(d("94")));
    // Explained child by child.
    let text = r.explain("S1", "mean");
    assert!(
        text.contains("由所辖 2 个村（社区）的考核结果汇总：总分平均值"),
        "{text}"
    );
    assert!(
        text.contains("村V1 [V1] 90 优秀") && text.contains("村V2 [V2] 70 合格"),
        "{text}"
    );
}

#[test]
fn a_village_value_moves_its_street_at_once() {
    let mut r = run(&scheme_text(""), &org_text(), &csv(DATA), "2025");
    let m: &Model = &r.loaded.model;
    let v2 = m.unit("V2").expect("V2");
    let v = m.element("v").expect("v");
    let s1 = m.unit("S1").expect("S1");
    let s2 = m.unit("S2").expect("S2");
    let p = Period::parse("2025").expect("period");
    // V2 from 70 to 86: S1's mean 88 → 52.8, both 良好 or better → 40; total 92.8.
    let change = r
        .scoring
        .set_value(m, &mut r.loaded.values, v2, v, p, Some(d("86")));
    assert!(
        change.totals.contains(&v2) && change.totals.contains(&s1),
        "{change:?}"
    );
    assert!(!change.totals.contains(&s2));
    let s1_total = r.scoring.unit(m, s1).and_then(|u| u.total);
    assert_eq!(s1_total, Some(d("92.8")));
    // The same as scoring everything afresh.
    let fresh = jixiao_core::engine::Scoring::compute(m, &r.loaded.values, p);
    assert_eq!(fresh.unit(m, s1).and_then(|u| u.total), s1_total);
    assert_eq!(
        fresh.unit(m, s1).and_then(|u| u.rank),
        r.scoring.unit(m, s1).and_then(|u| u.rank)
    );
}

#[test]
fn a_village_without_a_result_leaves_its_street_waiting() {
    let s = scheme_text("").replace("quota = false", "quota = false\nmissing = \"block\"");
    let r = run(&s, &org_text(), &csv(&DATA[..3]), "2025");
    // V4 has no value: blocked; S2's roll-ups have no value, and under "block" S2 waits too.
    assert_eq!(r.total("V4"), None);
    assert_eq!(r.total("S2"), None);
    assert_eq!(r.total("S1"), Some(d("68")));
}

fn refused(scheme_text: &str, data: &str) -> Vec<(String, String)> {
    let issues = jixiao_core::check::load(
        &jixiao_core::doc::SourceText::new("scheme.toml", scheme_text),
        &jixiao_core::doc::SourceText::new("org.toml", &org_text()),
        jixiao_core::check::DataFile {
            name: "data.csv",
            bytes: data.as_bytes(),
        },
    )
    .err()
    .expect("refused");
    issues
        .iter()
        .map(|i| {
            (
                i.code.to_owned(),
                format!("{:?} {}", i.location, i.message.zh),
            )
        })
        .collect()
}

#[test]
fn roll_ups_that_cannot_work_are_refused_by_place() {
    let has = |found: &[(String, String)], code: &str, at: &str| {
        assert!(
            found.iter().any(|(c, l)| c == code && l.contains(at)),
            "{code} at {at}: {found:?}"
        );
    };
    // No spec; an unknown class; a graded measure without its grade.
    let found = refused(
        &scheme_text(
            r#"[elements.ea]
name = { zh = "甲" }
source = "children"
[elements.eb]
name = { zh = "乙" }
source = "children"
children = { class = "town", measure = "count" }
[elements.ec]
name = { zh = "丙" }
source = "children"
children = { class = "village", measure = "count_graded" }
[elements.ed]
name = { zh = "丁" }
source = "computed"
formula = "village_mean * 2"
"#,
        ),
        "unit,item,period,value\n",
    );
    has(&found, "missing_children", "elements.ea.children");
    has(&found, "unknown_class", "elements.eb.children.class");
    has(
        &found,
        "missing_grade",
        "elements.ec.children.grade_at_least",
    );
    has(&found, "rollup_in_formula", "elements.ed.formula");
    // A class rolling up itself.
    let own = scheme_text("").replace(
        "element = \"v\"\ntarget = 100",
        "element = \"village_mean\"\ntarget = 100",
    );
    has(
        &refused(&own, "unit,item,period,value\n"),
        "rollup_of_itself",
        "elements.village_mean.children.class",
    );
    // A data file may not carry a roll-up.
    let found = refused(&scheme_text(""), &csv(&["S1,village_mean,2025,80"]));
    has(&found, "rolled_up_item", "Cell");
}

/// 五链: cooperating departments and their shares; shares that do not add up to 100 are refused.
#[test]
fn shares_of_responsibility() {
    let org = org_text().replace(
        "[[units]]\ncode = \"S1\"",
        "[[units]]\ncode = \"SFJ\"\nname = { zh = \"司法局\" }\nlevel = \"department\"\n[[units]]\ncode = \"MZJ\"\nname = { zh = \"民政局\" }\nlevel = \"department\"\n[[units]]\ncode = \"GAJ\"\nname = { zh = \"公安局\" }\nlevel = \"department\"\n[[units]]\ncode = \"S1\"",
    );
    let with = |resp: &str| {
        scheme_text("").replace(
            "element = \"v\"\ntarget = 100",
            &format!("element = \"v\"\ntarget = 100\nlead = \"SFJ\"\ncooperating = [\"MZJ\", \"GAJ\"]\n{resp}"),
        )
    };
    let r = run(
        &with("responsibility = { lead = 60, cooperating = 40 }"),
        &org,
        &csv(DATA),
        "2025",
    );
    let m = &r.loaded.model;
    let c = m.class_ix[&jixiao_core::code::Ident::parse("village").expect("id")];
    let leaf = &m.classes[c as usize].leaves[0];
    assert_eq!(leaf.shares, (d("60"), d("20")), "40 split between two");
    assert_eq!(leaf.cooperating.len(), 2);
    // Default: 70 / 30.
    let r = run(&with(""), &org, &csv(DATA), "2025");
    let m = &r.loaded.model;
    assert_eq!(m.classes[c as usize].leaves[0].shares, (d("70"), d("15")));
    // Not adding up to 100: refused with both numbers.
    let issues = jixiao_core::check::load(
        &jixiao_core::doc::SourceText::new(
            "scheme.toml",
            &with("responsibility = { lead = 70, cooperating = 20 }"),
        ),
        &jixiao_core::doc::SourceText::new("org.toml", &org),
        jixiao_core::check::DataFile {
            name: "data.csv",
            bytes: b"unit,item,period,value\n",
        },
    )
    .err()
    .expect("refused");
    let bad = issues
        .iter()
        .find(|i| i.code == "bad_responsibility")
        .expect("bad_responsibility");
    assert!(
        bad.message.zh.contains("牵头 70 + 配合 20 = 90"),
        "{}",
        bad.message.zh
    );
}

/// 五链 in a department's own assessment: its share-weighted district-wide score rate of the
/// indicators it leads or cooperates on, kept up to date value by value.
#[test]
fn a_department_answers_for_the_indicators_it_leads() {
    let s = scheme_text(
        r#"[elements.led_rate]
name = { zh = "牵头和配合指标全区得分率" }
unit = "%"
source = "responsibility"
[classes.dept]
name = { zh = "部门" }
[[classes.dept.modules]]
code = "chain"
name = { zh = "责任链" }
points = 100
[[classes.dept.modules.indicators]]
code = "led"
name = { zh = "牵头和配合指标完成情况" }
points = 100
element = "led_rate"
target = 100
method = { type = "ratio" }
"#,
    )
    .replace(
        "element = \"village_good\"\ntarget = 100",
        "element = \"village_good\"\ntarget = 100\nlead = \"SFJ\"",
    )
    .replace(
        "element = \"v\"\ntarget = 100",
        "element = \"v\"\ntarget = 100\nlead = \"MZJ\"\ncooperating = [\"SFJ\"]",
    );
    let org = org_text()
        + "[[units]]\ncode = \"SFJ\"\nname = { zh = \"司法局\" }\nlevel = \"department\"\nclass = \"dept\"\n[[units]]\ncode = \"MZJ\"\nname = { zh = \"民政局\" }\nlevel = \"department\"\nclass = \"dept\"\n";
    let mut r = run(&s, &org, &csv(DATA), "2025");
    // good (SFJ leads, 100%): S1 20 of 40, S2 40 of 40 → 75%. x (MZJ 70%, SFJ 30%): 340 of 400
    // → 85%. SFJ: (100 × 75 + 30 × 85) ÷ 130; MZJ: 85.
    let sfj = (d("100") * d("75") + d("30") * d("85")) / d("130");
    assert_eq!(r.total("SFJ"), Some(sfj));
    assert_eq!(r.total("MZJ"), Some(d("85")));
    let text = r.explain("SFJ", "led");
    assert!(
        text.contains("所牵头和配合的 2 项指标全区得分率按责任份额加权"),
        "{text}"
    );
    assert!(
        text.contains("良好及以上村占比 [good]（街道）牵头 100% × 75%"),
        "{text}"
    );
    assert!(
        text.contains("完成率 [x]（村（社区））配合 30% × 85%"),
        "{text}"
    );
    // V2 70 → 86: x 356 of 400 → 89%; both of S1's villages now 良好 → good 100%.
    let m: &Model = &r.loaded.model;
    let (v2, v) = (m.unit("V2").expect("V2"), m.element("v").expect("v"));
    let change = r.scoring.set_value(
        m,
        &mut r.loaded.values,
        v2,
        v,
        Period::parse("2025").expect("p"),
        Some(d("86")),
    );
    let (sfj_id, mzj_id) = (m.unit("SFJ").expect("SFJ"), m.unit("MZJ").expect("MZJ"));
    assert!(
        change.totals.contains(&sfj_id) && change.totals.contains(&mzj_id),
        "{change:?}"
    );
    let total = |u| r.scoring.unit(m, u).and_then(|x| x.total);
    assert_eq!(total(mzj_id), Some(d("89")));
    let expected = (d("100") * d("100") + d("30") * d("89")) / d("130");
    assert_eq!(total(sfj_id), Some(expected));
    let fresh = jixiao_core::engine::Scoring::compute(
        m,
        &r.loaded.values,
        Period::parse("2025").expect("p"),
    );
    assert_eq!(fresh.unit(m, sfj_id).and_then(|x| x.total), Some(expected));
}
