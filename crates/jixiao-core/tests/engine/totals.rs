//! Composite scores (DOMAIN.md §3): subtotals, bonus and deductions with caps, vetoes, grades
//! on unrounded totals, the quota with ties at the cut, elastic coefficients, missing data.

use super::*;

/// One class: `functional` (60 = indicator f, ratio on element fa, target 100) and `common`
/// (40 = indicator g, ratio on element ga, target 100); bonus, deduction and veto items.
fn two_modules(rules: &str, extra: &str) -> String {
    scheme(&format!(
        "[rules]\n{rules}\n[elements.fa]\nname = {{ zh = \"职能\" }}\nfrequency = \"year\"\n[elements.ga]\nname = {{ zh = \"共性\" }}\nfrequency = \"year\"\n[elements.award]\nname = {{ zh = \"表彰\" }}\nkind = \"count\"\nfrequency = \"year\"\n[elements.summons]\nname = {{ zh = \"约谈\" }}\nkind = \"count\"\nfrequency = \"year\"\n[elements.accident]\nname = {{ zh = \"较大事故\" }}\nkind = \"count\"\nfrequency = \"year\"\n[[bonus]]\ncode = \"award\"\nname = {{ zh = \"国家级表彰\" }}\nelement = \"award\"\nper = 2\n[[deductions]]\ncode = \"summons\"\nname = {{ zh = \"被约谈\" }}\nelement = \"summons\"\nper = 1.5\n[[vetoes]]\ncode = \"accident\"\nname = {{ zh = \"较大事故\" }}\nelement = \"accident\"\n[classes.c]\nname = {{ zh = \"类\" }}\n[[classes.c.modules]]\ncode = \"functional\"\nname = {{ zh = \"职能目标\" }}\npoints = 60\n[[classes.c.modules.indicators]]\ncode = \"f\"\nname = {{ zh = \"职能指标\" }}\npoints = 60\nelement = \"fa\"\ntarget = 100\nmethod = {{ type = \"ratio\" }}\n{extra}\n[[classes.c.modules]]\ncode = \"common\"\nname = {{ zh = \"共性目标\" }}\npoints = 40\n[[classes.c.modules.indicators]]\ncode = \"g\"\nname = {{ zh = \"共性指标\" }}\npoints = 40\nelement = \"ga\"\ntarget = 100\nmethod = {{ type = \"ratio\" }}\n"
    ))
}

#[test]
fn total_is_modules_plus_capped_bonus_minus_deductions() {
    let s = two_modules("", "");
    // 60 × 90/100 + 40 × 80/100 = 54 + 32 = 86; bonus 4 × 2 = 8 capped at 5; deduction 1.5.
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&[
            "U1,fa,2025,90",
            "U1,ga,2025,80",
            "U1,award,2025,4",
            "U1,summons,2025,1",
        ]),
        "2025",
    );
    let u = r.unit("U1");
    assert_eq!(u.subtotal, Some(d("86")));
    assert_eq!(u.bonus, d("5"));
    assert_eq!(u.deduction, d("1.5"));
    assert_eq!(u.total, Some(d("89.5")));
    // The module subtotals are the sums of their indicators.
    let (c, pos) = r
        .loaded
        .model
        .class_of(r.loaded.model.unit("U1").expect("u"))
        .expect("c");
    let cs = r.scoring.class(c);
    assert_eq!(cs.node(pos, 1), Some(d("54")));
    assert_eq!(cs.node(pos, 2), Some(d("32")));
    // A deduction cap limits deductions.
    let capped = two_modules("deduction_cap = 2", "");
    let r = run(
        &capped,
        &org(1, &[]),
        &csv(&["U1,fa,2025,90", "U1,ga,2025,80", "U1,summons,2025,3"]),
        "2025",
    );
    assert_eq!(r.unit("U1").deduction, d("2"));
    assert_eq!(r.total("U1"), Some(d("84")));
}

#[test]
fn grade_bands_use_the_unrounded_total() {
    // One unit per total; the class has no bonus, so total = 60 × fa/100 + 40 × ga/100.
    let cases = [
        ("90", "90", "优秀"),         // 90.00
        ("89.99", "89.99", "良好"),   // 89.99
        ("89.995", "89.995", "良好"), // displays 90.00 but is below 90
        ("80", "80", "良好"),
        ("79.99", "79.99", "合格"),
        ("60", "60", "合格"),
        ("59.99", "59.99", "不合格"),
    ];
    let s = two_modules("quota = { share = 1 }", "");
    for (fa, ga, grade) in cases {
        let r = run(
            &s,
            &org(1, &[]),
            &csv(&[&format!("U1,fa,2025,{fa}"), &format!("U1,ga,2025,{ga}")]),
            "2025",
        );
        assert_eq!(r.total("U1"), Some(d(fa)), "total for {fa}");
        assert_eq!(r.grade("U1").as_deref(), Some(grade), "grade for {fa}");
    }
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&["U1,fa,2025,89.995", "U1,ga,2025,89.995"]),
        "2025",
    );
    assert_eq!(
        jixiao_core::explain::display(r.total("U1").expect("total"), 2),
        "90.00"
    );
}

#[test]
fn veto_zeroes_the_total_or_caps_the_grade() {
    let s = two_modules("quota = { share = 1 }", "");
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&["U1,fa,2025,100", "U1,ga,2025,100", "U1,accident,2025,1"]),
        "2025",
    );
    assert_eq!(r.total("U1"), Some(d("0")));
    assert_eq!(r.grade("U1").as_deref(), Some("不合格"));
    // The trace never shows the sum before the veto as the total: it is named for what it is
    // and carries no value; the only total in it is the veto's 0.
    let m = &r.loaded.model;
    let e = jixiao_core::report::explain_unit(m, &r.scoring, m.unit("U1").expect("u"))
        .expect("explained");
    let totals: Vec<_> = e
        .steps
        .iter()
        .filter(|st| st.value.is_some() && st.text.zh.contains("总分"))
        .map(|st| st.value)
        .collect();
    assert_eq!(totals, [Some(d("0"))], "{:?}", e.steps);
    let before = e
        .steps
        .iter()
        .find(|st| st.text.zh.contains("否决前合计"))
        .expect("the sum before the veto, named");
    assert_eq!(before.value, None);
    assert!(before.text.zh.contains("= 100"), "{}", before.text.zh);
    let cap = two_modules(
        "quota = { share = 1 }\nveto_effect = \"cap_grade\"\nveto_grade = \"pass\"",
        "",
    );
    let r = run(
        &cap,
        &org(1, &[]),
        &csv(&["U1,fa,2025,100", "U1,ga,2025,100", "U1,accident,2025,1"]),
        "2025",
    );
    assert_eq!(r.total("U1"), Some(d("100")));
    assert_eq!(r.grade("U1").as_deref(), Some("合格"));
    // No accident record: no veto, and the explanation does not pretend otherwise.
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&["U1,fa,2025,100", "U1,ga,2025,100"]),
        "2025",
    );
    assert_eq!(r.grade("U1").as_deref(), Some("优秀"));
}

fn quota_run(rules: &str, rows: &[(&str, &str, &str)]) -> Run {
    let s = two_modules(rules, "");
    let mut lines = Vec::new();
    for (u, fa, ga) in rows {
        lines.push(format!("{u},fa,2025,{fa}"));
        lines.push(format!("{u},ga,2025,{ga}"));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    run(&s, &org(rows.len(), &[]), &csv(&refs), "2025")
}

#[test]
fn quota_limits_excellent_and_breaks_ties_by_the_functional_module() {
    // 10 units → 30% = 3 may be 优秀. U3 and U4 both total 93; U3 has more functional points.
    let rows = [
        ("U1", "100", "100"), // 100
        ("U2", "100", "90"),  // 96
        ("U3", "95", "90"),   // 57 + 36 = 93
        ("U4", "90", "97.5"), // 54 + 39 = 93
        ("U5", "92", "92"),   // 92
        ("U6", "85", "85"),
        ("U7", "80", "80"),
        ("U8", "70", "70"),
        ("U9", "60", "60"),
        ("U10", "50", "50"),
    ];
    let r = quota_run("", &rows);
    assert_eq!(r.total("U3"), r.total("U4"));
    assert_eq!(r.unit("U3").rank, Some(3));
    assert_eq!(r.unit("U4").rank, Some(4));
    assert_eq!(r.grade("U3").as_deref(), Some("优秀"));
    // Above 90 but beyond the quota: 良好, and the rule says so.
    assert_eq!(r.grade("U4").as_deref(), Some("良好"));
    assert!(matches!(
        r.unit("U4").grade_rule,
        jixiao_core::engine::GradeRule::QuotaDemoted { allowed: 3 }
    ));
    assert_eq!(r.grade("U5").as_deref(), Some("良好"));
    assert_eq!(r.grade("U10").as_deref(), Some("不合格"));
}

#[test]
fn quota_ties_that_no_rule_breaks_follow_the_schemes_choice() {
    // U3 and U4 identical on total and functional score: the cut falls between them.
    let rows = [
        ("U1", "100", "100"),
        ("U2", "100", "90"),
        ("U3", "95", "90"),
        ("U4", "95", "90"),
        ("U5", "50", "50"),
        ("U6", "50", "50"),
        ("U7", "50", "50"),
        ("U8", "50", "50"),
        ("U9", "50", "50"),
        ("U10", "50", "50"),
    ];
    let r = quota_run("", &rows);
    assert_eq!(r.unit("U3").rank, Some(3));
    assert_eq!(r.unit("U4").rank, Some(3));
    // Default: the quota stays an upper bound, so neither tied unit is 优秀.
    assert_eq!(r.grade("U3").as_deref(), Some("良好"));
    assert_eq!(r.grade("U4").as_deref(), Some("良好"));
    assert_eq!(r.grade("U2").as_deref(), Some("优秀"));
    let r = quota_run("quota = { unresolved_tie = \"include_all\" }", &rows);
    assert_eq!(r.grade("U3").as_deref(), Some("优秀"));
    assert_eq!(r.grade("U4").as_deref(), Some("优秀"));
}

#[test]
fn elastic_coefficient_on_the_target_or_on_the_score() {
    let s = two_modules("quota = { share = 1 }", "elastic = true");
    // Target mode: 100 × 0.9 = 90; 60 × 81 / 90 = 54.
    let o = org(1, &[("U1", "coefficients = { f = 0.9 }")]);
    let r = run(&s, &o, &csv(&["U1,fa,2025,81", "U1,ga,2025,100"]), "2025");
    assert_eq!(r.score("U1", "f"), d("54"));
    assert!(r.explain("U1", "f").contains("100 × 0.9 = 90"));
    // Score mode: 60 × 81/100 = 48.6, × 1.1 = 53.46; at 95: 57 × 1.1 = 62.7 → capped at 60.
    let s = two_modules(
        "quota = { share = 1 }\ncoefficient_mode = \"score\"",
        "elastic = true",
    );
    let o = org(1, &[("U1", "coefficients = { f = 1.1 }")]);
    let r = run(&s, &o, &csv(&["U1,fa,2025,81", "U1,ga,2025,100"]), "2025");
    assert_eq!(r.score("U1", "f"), d("53.46"));
    let r = run(&s, &o, &csv(&["U1,fa,2025,95", "U1,ga,2025,100"]), "2025");
    assert_eq!(r.score("U1", "f"), d("60"));
    // A module's coefficient reaches its elastic indicators.
    let s = two_modules("quota = { share = 1 }", "elastic = true");
    let o = org(1, &[("U1", "coefficients = { functional = 1.2 }")]);
    let r = run(&s, &o, &csv(&["U1,fa,2025,96", "U1,ga,2025,100"]), "2025");
    assert_eq!(r.score("U1", "f"), d("48"));
}

#[test]
fn unit_targets_replace_the_schemes() {
    let s = two_modules("quota = { share = 1 }", "");
    let o = org(1, &[("U1", "targets = { f = 80 }")]);
    let r = run(&s, &o, &csv(&["U1,fa,2025,60", "U1,ga,2025,100"]), "2025");
    assert_eq!(r.score("U1", "f"), d("45"));
}

#[test]
fn each_missing_data_policy() {
    // Zero: the indicator scores 0, said explicitly.
    let s = two_modules("quota = { share = 1 }\nmissing = \"zero\"", "");
    let r = run(&s, &org(1, &[]), &csv(&["U1,ga,2025,100"]), "2025");
    assert_eq!(r.leaf("U1", "f"), (d("0"), LeafState::MissingZero));
    assert_eq!(r.total("U1"), Some(d("40")));
    assert!(
        r.explain("U1", "f")
            .contains("按缺失数据规则“缺报计0分”计0分")
    );
    // Exclude: left out, the rest scaled to 100: 40 × 100/40.
    let s = two_modules("quota = { share = 1 }\nmissing = \"exclude\"", "");
    let r = run(&s, &org(1, &[]), &csv(&["U1,ga,2025,80"]), "2025");
    assert_eq!(r.leaf("U1", "f").1, LeafState::Excluded);
    assert_eq!(r.total("U1"), Some(d("80")));
    // Block: no total, no rank, no grade.
    let s = two_modules("quota = { share = 1 }\nmissing = \"block\"", "");
    let r = run(
        &s,
        &org(2, &[]),
        &csv(&["U1,ga,2025,80", "U2,fa,2025,100", "U2,ga,2025,100"]),
        "2025",
    );
    assert_eq!(r.leaf("U1", "f").1, LeafState::Blocked);
    assert_eq!(r.total("U1"), None);
    assert_eq!(r.unit("U1").rank, None);
    assert_eq!(r.grade("U1"), None);
    assert_eq!(r.unit("U2").rank, Some(1));
}

#[test]
fn excluded_sibling_renormalises_within_its_module() {
    let s = scheme(
        "[rules]\ntie_break = []\nmissing = \"exclude\"\n[elements.ea]\nname = { zh = \"甲\" }\nfrequency = \"year\"\n[elements.b]\nname = { zh = \"乙\" }\nfrequency = \"year\"\n[elements.c2]\nname = { zh = \"丙\" }\nfrequency = \"year\"\n[classes.c]\nname = { zh = \"类\" }\n[[classes.c.modules]]\ncode = \"m1\"\nname = { zh = \"一\" }\npoints = 20\n[[classes.c.modules.indicators]]\ncode = \"x\"\nname = { zh = \"x\" }\npoints = 10\nelement = \"ea\"\ntarget = 100\nmethod = { type = \"ratio\" }\n[[classes.c.modules.indicators]]\ncode = \"y\"\nname = { zh = \"y\" }\npoints = 10\nelement = \"b\"\ntarget = 100\nmethod = { type = \"ratio\" }\n[[classes.c.modules]]\ncode = \"m2\"\nname = { zh = \"二\" }\npoints = 80\n[[classes.c.modules.indicators]]\ncode = \"z\"\nname = { zh = \"z\" }\npoints = 80\nelement = \"c2\"\ntarget = 100\nmethod = { type = \"ratio\" }\n",
    );
    // y missing: m1 = 8 × 20/10 = 16; total 16 + 80 = 96.
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&["U1,ea,2025,80", "U1,c2,2025,100"]),
        "2025",
    );
    assert_eq!(r.total("U1"), Some(d("96")));
}

#[test]
fn points_of_an_empty_block_move_to_the_named_block() {
    // A budget self-evaluation: execution 10, output 50, benefit 30, satisfaction 10.
    let s = scheme(
        "kind = \"budget\"\n[rules]\ntie_break = []\nmissing = \"exclude\"\nquota = { share = 1 }\n[elements.spent]\nname = { zh = \"支出\" }\nfrequency = \"year\"\n[elements.budget]\nname = { zh = \"预算\" }\nfrequency = \"year\"\n[elements.o]\nname = { zh = \"产出\" }\nfrequency = \"year\"\n[elements.b]\nname = { zh = \"效益\" }\nfrequency = \"year\"\n[elements.sat]\nname = { zh = \"满意度\" }\nfrequency = \"year\"\n[classes.c]\nname = { zh = \"项目\" }\nkind = \"project\"\n[[classes.c.modules]]\ncode = \"exec\"\nname = { zh = \"预算执行\" }\ndimension = \"execution\"\npoints = 10\n[[classes.c.modules.indicators]]\ncode = \"rate\"\nname = { zh = \"预算执行率\" }\npoints = 10\nsource = \"computed\"\nformula = \"spent / budget * 100\"\ntarget = 100\nmethod = { type = \"ratio\" }\n[[classes.c.modules]]\ncode = \"output\"\nname = { zh = \"产出\" }\ndimension = \"output\"\npoints = 50\n[[classes.c.modules.indicators]]\ncode = \"oq\"\nname = { zh = \"数量\" }\npoints = 50\nelement = \"o\"\ntarget = 100\nmethod = { type = \"ratio\" }\n[[classes.c.modules]]\ncode = \"benefit\"\nname = { zh = \"效益\" }\ndimension = \"benefit\"\npoints = 30\n[[classes.c.modules.indicators]]\ncode = \"bs\"\nname = { zh = \"社会效益\" }\npoints = 30\nelement = \"b\"\ntarget = 100\nmethod = { type = \"ratio\" }\n[[classes.c.modules]]\ncode = \"satisfaction\"\nname = { zh = \"满意度\" }\ndimension = \"satisfaction\"\nredistribute_to = \"benefit\"\npoints = 10\n[[classes.c.modules.indicators]]\ncode = \"s\"\nname = { zh = \"服务对象满意度\" }\npoints = 10\nelement = \"sat\"\ntarget = 90\nmethod = { type = \"ratio\" }\n",
    );
    let o = "[district]\ncode = \"d\"\nname = { zh = \"区\" }\n[[units]]\ncode = \"D1\"\nname = { zh = \"部门\" }\nlevel = \"department\"\n[[units]]\ncode = \"P1\"\nname = { zh = \"项目一\" }\nlevel = \"project\"\nparent = \"D1\"\nclass = \"c\"\n";
    // Spent 90 of 100 → 9; output 100% → 50; benefit 80% → 24 → with satisfaction's 10 points: 24 × 40/30 = 32.
    let r = run(
        &s,
        o,
        &csv(&[
            "P1,spent,2025,90",
            "P1,budget,2025,100",
            "P1,o,2025,100",
            "P1,b,2025,80",
        ]),
        "2025",
    );
    assert_eq!(r.score("P1", "rate"), d("9"));
    assert_eq!(r.total("P1"), Some(d("91")));
}

#[test]
fn quarters_aggregate_into_the_year() {
    let s = scheme(
        "[rules]\ntie_break = []\n[elements.cases]\nname = { zh = \"案件数\" }\nkind = \"count\"\naggregate = \"sum\"\n[elements.closed]\nname = { zh = \"结案数\" }\nkind = \"count\"\naggregate = \"sum\"\n[elements.rate]\nname = { zh = \"结案率\" }\nsource = \"computed\"\nformula = \"closed / cases * 100\"\n[classes.c]\nname = { zh = \"类\" }\npoints = 10\n[[classes.c.modules]]\ncode = \"m\"\nname = { zh = \"模块\" }\npoints = 10\n[[classes.c.modules.indicators]]\ncode = \"x\"\nname = { zh = \"结案率\" }\npoints = 10\nelement = \"rate\"\nsource = \"computed\"\ntarget = 100\nmethod = { type = \"ratio\" }\n",
    );
    let data = csv(&[
        "U1,cases,2025Q1,10",
        "U1,cases,2025Q2,10",
        "U1,cases,2025Q3,10",
        "U1,cases,2025Q4,10",
        "U1,closed,2025Q1,10",
        "U1,closed,2025Q2,5",
        "U1,closed,2025Q3,10",
        "U1,closed,2025Q4,5",
    ]);
    // The year's rate is the ratio of sums (30/40), not the mean of quarterly rates.
    let r = run(&s, &org(1, &[]), &data, "2025");
    assert_eq!(r.score("U1", "x"), d("7.5"));
    let r = run(&s, &org(1, &[]), &data, "2025Q2");
    assert_eq!(r.score("U1", "x"), d("5"));
    let r = run(&s, &org(1, &[]), &data, "2025H1");
    assert_eq!(r.score("U1", "x"), d("7.5"));
}

#[test]
fn incremental_update_matches_a_full_recompute() {
    let rows = [
        ("U1", "100", "100"),
        ("U2", "100", "90"),
        ("U3", "95", "90"),
        ("U4", "90", "97.5"),
        ("U5", "92", "92"),
    ];
    let mut r = quota_run("", &rows);
    let m = r.loaded.model.clone();
    let u5 = m.unit("U5").expect("u5");
    let fa = m.element("fa").expect("fa");
    let p = jixiao_core::period::Period::parse("2025").expect("p");
    let change = r
        .scoring
        .set_value(&m, &mut r.loaded.values, u5, fa, p, Some(d("100")));
    assert_eq!(change.totals, vec![u5]);
    assert!(change.standings.contains(&u5));
    let full = Scoring::compute(&m, &r.loaded.values, p);
    for c in 0..m.classes.len() as u32 {
        assert_eq!(full.class(c).units, r.scoring.class(c).units);
        assert_eq!(full.class(c).order, r.scoring.class(c).order);
    }
    assert_eq!(r.total("U5"), Some(d("96.8")));
}

#[test]
fn annual_targets_are_prorated_for_shorter_periods_when_the_scheme_says_so() {
    let body = |prorate: bool| {
        scheme(&format!(
            "[rules]\ntie_break = []\n[elements.inv]\nname = {{ zh = \"招商引资\" }}\nkind = \"amount\"\naggregate = \"sum\"\n[classes.c]\nname = {{ zh = \"类\" }}\npoints = 10\n[[classes.c.modules]]\ncode = \"m\"\nname = {{ zh = \"模块\" }}\npoints = 10\n[[classes.c.modules.indicators]]\ncode = \"x\"\nname = {{ zh = \"招商引资到位资金\" }}\npoints = 10\nelement = \"inv\"\ntarget = 1200\nprorate = {prorate}\nmethod = {{ type = \"ratio\" }}\n"
        ))
    };
    let data = csv(&[
        "U1,inv,2025Q1,150",
        "U1,inv,2025Q2,300",
        "U1,inv,2025Q3,300",
        "U1,inv,2025Q4,300",
    ]);
    // Q1: 150 against 1200 × 3/12 = 300 → 5 points; without prorating, against 1200 → 1.25.
    assert_eq!(
        run(&body(true), &org(1, &[]), &data, "2025Q1").score("U1", "x"),
        d("5")
    );
    assert_eq!(
        run(&body(false), &org(1, &[]), &data, "2025Q1").score("U1", "x"),
        d("1.25")
    );
    // H1: 450 against 600 → 7.5; the year: 1050 against the full 1200 → 8.75 either way.
    assert_eq!(
        run(&body(true), &org(1, &[]), &data, "2025H1").score("U1", "x"),
        d("7.5")
    );
    assert_eq!(
        run(&body(true), &org(1, &[]), &data, "2025").score("U1", "x"),
        d("8.75")
    );
    assert!(
        run(&body(true), &org(1, &[]), &data, "2025Q1")
            .explain("U1", "x")
            .contains("按序时进度折算目标：1200 × 3 ÷ 12 = 300")
    );
}

#[test]
fn counts_that_are_not_available_follow_the_missing_data_rule() {
    let s = |missing: &str| {
        scheme(&format!(
            "[rules]\ntie_break = []\nmissing = \"zero\"\n[elements.n]\nname = {{ zh = \"表彰\" }}\nkind = \"count\"\nfrequency = \"year\"\nabsent_is_zero = true\n[elements.g]\nname = {{ zh = \"共性\" }}\n[classes.c]\nname = {{ zh = \"类\" }}\npoints = 10\n[[classes.c.modules]]\ncode = \"m\"\nname = {{ zh = \"模块\" }}\npoints = 10\n[[classes.c.modules.indicators]]\ncode = \"x\"\nname = {{ zh = \"工作创新\" }}\npoints = 4\nelement = \"n\"\nmethod = {{ type = \"bonus\", per = 2 }}\nmissing = \"{missing}\"\n[[classes.c.modules.indicators]]\ncode = \"y\"\nname = {{ zh = \"共性\" }}\npoints = 6\nelement = \"g\"\ntarget = 100\nmethod = {{ type = \"ratio\" }}\n"
        ))
    };
    let data = csv(&["U1,g,2025Q1,50"]);
    // In a quarter an annual count has no value at all: left out, the rest scaled to 10.
    let r = run(&s("exclude"), &org(1, &[]), &data, "2025Q1");
    assert_eq!(r.leaf("U1", "x").1, LeafState::Excluded);
    assert_eq!(r.total("U1"), Some(d("5")));
    // For the year, no record of a count that is absent-is-zero reads 0: scored, 0 points.
    let data = csv(&[
        "U1,g,2025Q1,50",
        "U1,g,2025Q2,50",
        "U1,g,2025Q3,50",
        "U1,g,2025Q4,50",
    ]);
    let r = run(&s("exclude"), &org(1, &[]), &data, "2025Q1");
    assert_eq!(r.leaf("U1", "x").1, LeafState::Excluded);
    let r = run(&s("none_recorded"), &org(1, &[]), &data, "2025Q1");
    assert_eq!(r.leaf("U1", "x"), (d("0"), LeafState::Scored));
}

/// Three indicators sharing a module's 100 points equally (`share = "equal"`): no 33.33…
/// to write, full marks add up to exactly 100, and a child that still gives points is an
/// error naming it.
#[test]
fn a_module_shared_equally_adds_up_exactly() {
    let body = |extra: &str| {
        let mut s = String::from(
            "[classes.c]\nname = { zh = \"类\" }\n[[classes.c.modules]]\ncode = \"m\"\nname = { zh = \"模块\" }\npoints = 100\nshare = \"equal\"\n",
        );
        for (i, e) in ["ea", "eb", "ec"].iter().enumerate() {
            s.push_str(&format!(
                "[elements.{e}]\nname = {{ zh = \"{e}\" }}\nfrequency = \"year\"\n"
            ));
            s.push_str(&format!("[[classes.c.modules.indicators]]\ncode = \"i{e}\"\nname = {{ zh = \"指标{e}\" }}\nelement = \"{e}\"\ntarget = 100\nmethod = {{ type = \"ratio\" }}\n"));
            if i == 0 {
                s.push_str(extra);
            }
        }
        scheme(&s)
    };
    let r = run(
        &body(""),
        &org(2, &[]),
        &csv(&[
            "U1,ea,2025,100",
            "U1,eb,2025,100",
            "U1,ec,2025,100",
            "U2,ea,2025,50",
            "U2,eb,2025,100",
            "U2,ec,2025,100",
        ]),
        "2025",
    );
    assert_eq!(r.total("U1"), Some(d("100")));
    let third = d("100") / d("3");
    assert_eq!(r.score("U1", "iea"), third);
    assert_eq!(r.score("U2", "iea"), third / d("2"));
    assert_eq!(
        r.score("U1", "iea") + r.score("U1", "ieb") + r.score("U1", "iec"),
        d("100")
    );
    let bad = body("points = 40\n");
    let e = load(
        &SourceText::new("scheme.toml", &bad),
        &SourceText::new("org.toml", &org(1, &[])),
        DataFile {
            name: "data.csv",
            bytes: b"unit,item,period,value\n",
        },
    )
    .err()
    .expect("refused");
    let text = e.to_string();
    assert!(
        text.contains("points_with_equal_share") || text.contains("平分"),
        "{text}"
    );
    assert!(text.contains("indicators[0]"), "{text}");
}
