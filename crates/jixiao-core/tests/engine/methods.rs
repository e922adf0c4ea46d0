//! Each scoring method of DOMAIN.md §2 with worked numbers.

use super::*;

/// One class worth `w` with a single indicator `x` of `w` points reading element `a`.
fn single(w: &str, method: &str, extra: &str) -> String {
    scheme(&format!(
        "[rules]\ntie_break = []\nquota = {{ share = 0.3 }}\n[elements.v]\nname = {{ zh = \"实际\" }}\nkind = \"number\"\nfrequency = \"year\"\n[elements.b]\nname = {{ zh = \"档次\" }}\nfrequency = \"year\"\n[elements.n2]\nname = {{ zh = \"省级\" }}\nkind = \"count\"\nfrequency = \"year\"\n[elements.n3]\nname = {{ zh = \"市级\" }}\nkind = \"count\"\nfrequency = \"year\"\n[classes.c]\nname = {{ zh = \"类\" }}\npoints = {w}\n[[classes.c.modules]]\ncode = \"m\"\nname = {{ zh = \"模块\" }}\npoints = {w}\n[[classes.c.modules.indicators]]\ncode = \"x\"\nname = {{ zh = \"指标\" }}\npoints = {w}\nelement = \"v\"\nmethod = {method}\n{extra}\n"
    ))
}

fn score_of(scheme_text: &str, a: &str) -> Decimal {
    let r = run(
        scheme_text,
        &org(1, &[]),
        &csv(&[&format!("U1,v,2025,{a}")]),
        "2025",
    );
    r.score("U1", "x")
}

#[test]
fn higher_is_better_ratio_is_capped_at_the_points() {
    let s = single("10", "{ type = \"ratio\" }", "target = 90");
    assert_eq!(score_of(&s, "72"), d("8"));
    // 10 × 96 / 90 = 10.67 → capped at 10, and the explanation shows both.
    assert_eq!(score_of(&s, "96"), d("10"));
    let text = run(&s, &org(1, &[]), &csv(&["U1,v,2025,96"]), "2025").explain("U1", "x");
    assert!(
        text.contains("10 × 96 ÷ 90 ≈ 10.6667") && text.contains("min(10, 10.6667) = 10"),
        "{text}"
    );
    assert_eq!(score_of(&s, "0"), d("0"));
    assert_eq!(score_of(&s, "-5"), d("0"));
    // Exact decimals: 10 × 1 / 3 is 3.333…, not a binary float.
    let s3 = single("10", "{ type = \"ratio\" }", "target = 3");
    assert_eq!(score_of(&s3, "1").round_dp(10), d("3.3333333333"));
    // Over-achievement allowed up to 1.2 × w when the scheme says so: 10 × 99 / 90 = 11.
    let over = single("10", "{ type = \"ratio\", max_ratio = 1.2 }", "target = 90");
    assert_eq!(score_of(&over, "99"), d("11"));
    assert_eq!(score_of(&over, "200"), d("12"));
}

#[test]
fn lower_is_better_ratio_with_zero_actual() {
    let s = single(
        "10",
        "{ type = \"ratio\" }",
        "target = 5\ndirection = \"lower\"",
    );
    // 10 × 5 / 8 = 6.25
    assert_eq!(score_of(&s, "8"), d("6.25"));
    assert_eq!(score_of(&s, "4"), d("10"));
    assert_eq!(score_of(&s, "5"), d("10"));
    // a = 0 scores w by default …
    assert_eq!(score_of(&s, "0"), d("10"));
    // … or 0 when the scheme says so.
    let z = single(
        "10",
        "{ type = \"ratio\", zero_actual = \"zero\" }",
        "target = 5\ndirection = \"lower\"",
    );
    assert_eq!(score_of(&z, "0"), d("0"));
}

#[test]
fn threshold_gives_all_or_nothing() {
    let s = single("10", "{ type = \"threshold\" }", "target = 100");
    assert_eq!(score_of(&s, "100"), d("10"));
    assert_eq!(score_of(&s, "99.99"), d("0"));
    let lower = single(
        "10",
        "{ type = \"threshold\" }",
        "target = 0\ndirection = \"lower\"",
    );
    assert_eq!(score_of(&lower, "0"), d("10"));
    assert_eq!(score_of(&lower, "1"), d("0"));
    let eq = single("10", "{ type = \"threshold\", op = \"=\" }", "target = 100");
    assert_eq!(score_of(&eq, "101"), d("0"));
}

#[test]
fn linear_band_between_floor_and_target() {
    let s = single("10", "{ type = \"linear\", floor = 60 }", "target = 100");
    assert_eq!(score_of(&s, "80"), d("5"));
    assert_eq!(score_of(&s, "60"), d("0"));
    assert_eq!(score_of(&s, "50"), d("0"));
    assert_eq!(score_of(&s, "100"), d("10"));
    assert_eq!(score_of(&s, "120"), d("10"));
    // Lower is better: full at 5 or less, zero at 10 or more; 7.5 is halfway.
    let l = single(
        "10",
        "{ type = \"linear\", floor = 10 }",
        "target = 5\ndirection = \"lower\"",
    );
    assert_eq!(score_of(&l, "7.5"), d("5"));
    assert_eq!(score_of(&l, "4"), d("10"));
    assert_eq!(score_of(&l, "11"), d("0"));
}

#[test]
fn qualitative_rating_lies_in_the_chosen_band() {
    let s = single("10", "{ type = \"qualitative\", band_element = \"b\" }", "");
    // Achieved band (80–100%), rating 85% of 10 points.
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&["U1,v,2025,85", "U1,b,2025,1"]),
        "2025",
    );
    assert_eq!(r.score("U1", "x"), d("8.5"));
    // A rating outside the chosen band is refused at the door, with its row.
    let bad = jixiao_core::check::check(
        &SourceText::new("s.toml", &s),
        &SourceText::new("o.toml", &org(1, &[])),
        Some(DataFile {
            name: "d.csv",
            bytes: csv(&["U1,v,2025,85", "U1,b,2025,2"]).as_bytes(),
        }),
    );
    let e = bad.errors().next().expect("rating outside band");
    assert_eq!(e.code, "rating_outside_band");
    // Named on the rating's row (the number to correct), the band's row in the message.
    assert_eq!(e.location, jixiao_core::issue::Location::cell(2, "value"));
    assert!(e.message.zh.contains("第3行"), "{}", e.message.zh);
    // Without a band, the rating alone counts.
    let nb = single("10", "{ type = \"qualitative\" }", "");
    assert_eq!(score_of(&nb, "59"), d("5.9"));
}

/// A rating entered in points (`entry = "points"`): 10.5 of 15 is 70%, scores exactly 10.5,
/// is checked against the band as 70%, and the explanation shows the conversion.
#[test]
fn qualitative_rating_entered_in_points() {
    let s = single(
        "15",
        "{ type = \"qualitative\", band_element = \"b\", entry = \"points\" }",
        "",
    );
    // Band 2 (basically achieved, 60–80%): 10.5 of 15 = 70%.
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&["U1,v,2025,10.5", "U1,b,2025,2"]),
        "2025",
    );
    assert_eq!(r.score("U1", "x"), d("10.5"));
    let ex = r.explain("U1", "x");
    assert!(ex.contains("10.5 分（满分 15 分），即 70%"), "{ex}");
    // 13.5 of 15 = 90%: outside band 2, refused on the rating's row, in points and percent.
    let bad = jixiao_core::check::check(
        &SourceText::new("s.toml", &s),
        &SourceText::new("o.toml", &org(1, &[])),
        Some(DataFile {
            name: "d.csv",
            bytes: csv(&["U1,b,2025,2", "U1,v,2025,13.5"]).as_bytes(),
        }),
    );
    let e = bad.errors().next().expect("rating outside band");
    assert_eq!(e.code, "rating_outside_band");
    assert_eq!(e.location, jixiao_core::issue::Location::cell(3, "value"));
    assert!(e.message.zh.contains("13.5分（90%）"), "{}", e.message.zh);
    // Above the points: capped at full marks.
    let nb = single("15", "{ type = \"qualitative\", entry = \"points\" }", "");
    assert_eq!(score_of(&nb, "16"), d("15"));
    assert_eq!(score_of(&nb, "7.5"), d("7.5"));
}

#[test]
fn deduction_never_goes_below_zero() {
    let s = single(
        "10",
        "{ type = \"deduction\", per = 2 }",
        "missing = \"none_recorded\"",
    );
    assert_eq!(score_of(&s, "3"), d("4"));
    assert_eq!(score_of(&s, "5"), d("0"));
    // 扣完为止: 6 faults × 2 = 12 > 10 still gives 0, not −2.
    assert_eq!(score_of(&s, "6"), d("0"));
    // No record means no fault, said explicitly.
    let r = run(&s, &org(1, &[]), &csv(&["U1,b,2025,1"]), "2025");
    assert_eq!(r.score("U1", "x"), d("10"));
    assert!(r.explain("U1", "x").contains("无记录，视为未发生"));
}

#[test]
fn bonus_items_add_up_to_the_points_at_most() {
    let s = single(
        "5",
        "{ type = \"bonus\", items = [{ element = \"v\", per = 2 }, { element = \"n2\", per = 1 }, { element = \"n3\", per = 0.5 }] }",
        "missing = \"none_recorded\"",
    );
    // One national (2) + one provincial (1) + two city (0.5 each) = 4.
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&["U1,v,2025,1", "U1,n2,2025,1", "U1,n3,2025,2"]),
        "2025",
    );
    assert_eq!(r.score("U1", "x"), d("4"));
    // 2×2 + 1 + 3×0.5 = 6.5 → capped at 5.
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&["U1,v,2025,2", "U1,n2,2025,1", "U1,n3,2025,3"]),
        "2025",
    );
    assert_eq!(r.score("U1", "x"), d("5"));
}

#[test]
fn rank_among_peers_shares_ties() {
    let s = single("10", "{ type = \"rank\", step = 2 }", "");
    let r = run(
        &s,
        &org(5, &[]),
        &csv(&[
            "U1,v,2025,90",
            "U2,v,2025,80",
            "U3,v,2025,80",
            "U4,v,2025,70",
            "U5,v,2025,10",
        ]),
        "2025",
    );
    assert_eq!(r.score("U1", "x"), d("10"));
    assert_eq!(r.score("U2", "x"), d("8"));
    assert_eq!(r.score("U3", "x"), d("8"));
    // Fourth place (two share second): 10 − 3 × 2.
    assert_eq!(r.score("U4", "x"), d("4"));
    // Fifth: 10 − 4 × 2 = 2.
    assert_eq!(r.score("U5", "x"), d("2"));
    let low = single(
        "10",
        "{ type = \"rank\", step = 4, min = 3 }",
        "direction = \"lower\"",
    );
    let r = run(
        &low,
        &org(3, &[]),
        &csv(&["U1,v,2025,1", "U2,v,2025,2", "U3,v,2025,3"]),
        "2025",
    );
    assert_eq!(
        (r.score("U1", "x"), r.score("U2", "x"), r.score("U3", "x")),
        (d("10"), d("6"), d("3"))
    );
    assert!(r.explain("U2", "x").contains("排第 2 名"));
}

#[test]
fn formula_method_is_exact_and_clamped() {
    let s = single(
        "10",
        "{ type = \"formula\", score = \"w * min(a / t, 1.2) - 0.5\" }",
        "target = 80",
    );
    // 10 × 60/80 − 0.5 = 7
    assert_eq!(score_of(&s, "60"), d("7"));
    // 10 × 1.2 − 0.5 = 11.5 → clamped to 10.
    assert_eq!(score_of(&s, "100"), d("10"));
    let over = single(
        "10",
        "{ type = \"formula\", score = \"w * min(a / t, 1.2) - 0.5\", allow_over = true }",
        "target = 80",
    );
    assert_eq!(score_of(&over, "100"), d("11.5"));
    // A score-mode elastic coefficient keeps a formula allowed over the points over them:
    // 11.5 × 1.0 stays 11.5 (it used to drop to 10), 11.5 × 1.1 = 12.65.
    let elastic = single(
        "10",
        "{ type = \"formula\", score = \"w * min(a / t, 1.2) - 0.5\", allow_over = true }",
        "target = 80\nelastic = true",
    )
    .replace(
        "tie_break = []\n",
        "tie_break = []\ncoefficient_mode = \"score\"\n",
    );
    for (k, want) in [("1.0", "11.5"), ("1.1", "12.65")] {
        let r = run(
            &elastic,
            &org(1, &[("U1", &format!("coefficients = {{ x = {k} }}"))]),
            &csv(&["U1,v,2025,100"]),
            "2025",
        );
        assert_eq!(r.score("U1", "x"), d(want), "k = {k}");
    }
}

#[test]
fn computed_indicators_and_yoy() {
    let s = scheme(
        "[rules]\ntie_break = []\n[elements.certified]\nname = { zh = \"持证人数\" }\nkind = \"count\"\nfrequency = \"year\"\n[elements.officers]\nname = { zh = \"执法人数\" }\nkind = \"count\"\nfrequency = \"year\"\n[elements.disputes]\nname = { zh = \"化解纠纷数\" }\nkind = \"count\"\nfrequency = \"year\"\n[elements.rate]\nname = { zh = \"持证率\" }\nunit = \"%\"\nsource = \"computed\"\nformula = \"certified / officers * 100\"\n[classes.c]\nname = { zh = \"类\" }\npoints = 20\n[[classes.c.modules]]\ncode = \"m\"\nname = { zh = \"模块\" }\npoints = 20\n[[classes.c.modules.indicators]]\ncode = \"cert\"\nname = { zh = \"执法人员持证上岗率\" }\npoints = 10\nelement = \"rate\"\nsource = \"computed\"\ntarget = 100\nmethod = { type = \"ratio\" }\n[[classes.c.modules.indicators]]\ncode = \"growth\"\nname = { zh = \"化解纠纷同比增长\" }\npoints = 10\nsource = \"computed\"\nformula = \"(disputes - yoy(disputes)) / yoy(disputes) * 100\"\ntarget = 40\nmethod = { type = \"ratio\" }\n",
    );
    let r = run(
        &s,
        &org(1, &[]),
        &csv(&[
            "U1,certified,2025,48",
            "U1,officers,2025,50",
            "U1,disputes,2024,100",
            "U1,disputes,2025,120",
        ]),
        "2025",
    );
    // 48 / 50 = 96% of target 100% → 9.6 points.
    assert_eq!(r.score("U1", "cert"), d("9.6"));
    // +20% against a +40% target → 5 points.
    assert_eq!(r.score("U1", "growth"), d("5"));
    let text = r.explain("U1", "growth");
    assert!(text.contains("(120 - 100) ÷ 100 × 100"), "{text}");
    let text = r.explain("U1", "cert");
    assert!(text.contains("certified / officers * 100"), "{text}");
    assert!(text.contains("第2行"), "{text}");
}

/// A divisor that is 0 in one unit's data: that unit's indicator is explained as not computable
/// (the formula divides by zero) and handled by the missing-data rule; the others score.
#[test]
fn a_zero_divisor_in_the_data_is_explained_for_that_unit() {
    let s = scheme(
        "[rules]\ntie_break = []\n[elements.certified]\nname = { zh = \"持证人数\" }\nkind = \"count\"\nfrequency = \"year\"\n[elements.officers]\nname = { zh = \"执法人数\" }\nkind = \"count\"\nfrequency = \"year\"\n[classes.c]\nname = { zh = \"类\" }\npoints = 10\n[[classes.c.modules]]\ncode = \"m\"\nname = { zh = \"模块\" }\npoints = 10\n[[classes.c.modules.indicators]]\ncode = \"cert\"\nname = { zh = \"执法人员持证上岗率\" }\npoints = 10\nsource = \"computed\"\nformula = \"certified / officers * 100\"\ntarget = 100\nmethod = { type = \"ratio\" }\n",
    );
    let r = run(
        &s,
        &org(2, &[]),
        &csv(&[
            "U1,certified,2025,48",
            "U1,officers,2025,50",
            "U2,certified,2025,0",
            "U2,officers,2025,0",
        ]),
        "2025",
    );
    assert_eq!(r.score("U1", "cert"), d("9.6"));
    assert_eq!(r.score("U2", "cert"), d("0"));
    let text = r.explain("U2", "cert");
    assert!(
        text.contains("divides by zero") || text.contains("除数为0"),
        "{text}"
    );
    let text = r.explain("U1", "cert");
    assert!(!text.contains("除数为0"), "{text}");
}

/// The default tie-break rule (`module:functional`) never makes a valid scheme invalid: a
/// class without a `functional` module is scored, ties ordered by the total alone; a rule
/// the scheme writes itself is still checked.
#[test]
fn the_default_tie_break_fits_any_class() {
    let s = single("10", "{ type = \"ratio\" }", "target = 90").replace("tie_break = []\n", "");
    assert!(!s.contains("tie_break"));
    assert_eq!(score_of(&s, "72"), d("8"));
}
