//! Legality checks of enforcement cases: every rule at its boundary and on either side, with
//! worked numbers; the date convention; a changed parameter re-evaluates.

use jixiao_core::doc::SourceText;
use jixiao_core::enforcement::{
    Band, Case, Day, Officer, Party, Procedure, RuleId, RuleSet, check,
};
use rust_decimal::Decimal;

const RULES: &str = include_str!("../../../../examples/wolong/enforcement/rules.toml");

fn rules() -> RuleSet {
    SourceText::new("rules.toml", RULES)
        .parse()
        .expect("the demo rules read")
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn day(s: &str) -> Option<Day> {
    Some(Day::parse(s).expect("date"))
}

fn officer(until: &str) -> Officer {
    Officer {
        certificate: format!("豫执-{until}"),
        valid_from: day("2020-01-01"),
        valid_until: day(until),
    }
}

/// A case that breaks no rule: ordinary procedure, two certified officers, a fine in the
/// normal band, every date in order.
fn clean() -> Case {
    Case {
        number: "卧市监罚〔2024〕1号".into(),
        dept: "SCJ".into(),
        officers: vec![officer("2027-12-31"), officer("2027-12-31")],
        party: Party::Organisation,
        procedure: Procedure::Ordinary,
        filed: day("2024-03-01"),
        investigated: day("2024-03-10"),
        notified: day("2024-04-01"),
        hearing_notified: day("2024-04-01"),
        hearing_held: None,
        reviewed: day("2024-04-20"),
        reviewer: Some("法制审核员".into()),
        decided: day("2024-05-01"),
        served: day("2024-05-05"),
        paid: day("2024-05-20"),
        closed: day("2024-05-30"),
        basis: "食品安全法第一百二十四条".into(),
        fine: Some(d("50000")),
        range: Some((d("10000"), d("100000"))),
        band: Some(Band::Normal),
        major: true,
        extension_days: 0,
        surcharge: None,
    }
}

fn rules_of(c: &Case) -> Vec<RuleId> {
    check(&rules(), c).into_iter().map(|f| f.rule).collect()
}

#[test]
fn a_clean_case_raises_nothing() {
    assert_eq!(rules_of(&clean()), []);
}

#[test]
fn days_count_from_the_day_after_filing() {
    assert_eq!(
        Day::parse("2024-06-05").map(|d| d.0 - Day::parse("2024-03-01").expect("d").0),
        Some(96)
    );
    assert_eq!(Day::parse("2024-02-30"), None, "not a date");
    assert_eq!(
        day("2024-02-29").expect("leap day").to_string(),
        "2024-02-29"
    );
}

#[test]
fn the_time_limit_at_its_boundary() {
    let mut c = clean();
    // Filed 2024-03-01: day 90 is 2024-05-30 (in time), day 91 is 2024-05-31 (late).
    c.decided = day("2024-05-30");
    c.served = day("2024-06-01");
    c.paid = None;
    c.closed = None;
    assert_eq!(rules_of(&c), []);
    c.decided = day("2024-05-31");
    let f = check(&rules(), &c);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, RuleId::TimeLimit);
    assert_eq!(
        f[0].why.zh,
        "立案 2024-03-01，决定 2024-05-31，相隔 91 天，超过 90 天"
    );
    // The example: 96 days.
    c.decided = day("2024-06-05");
    c.served = day("2024-06-06");
    assert_eq!(
        check(&rules(), &c)[0].why.zh,
        "立案 2024-03-01，决定 2024-06-05，相隔 96 天，超过 90 天"
    );
    // An approved extension of 30 days: 96 ≤ 120.
    c.extension_days = 30;
    assert_eq!(rules_of(&c), []);
    // A changed parameter re-evaluates: a 60-day limit flags again (96 > 60 + 30).
    let mut r = rules();
    r.time_limit.as_mut().expect("rule").days = 60;
    assert_eq!(check(&r, &c)[0].rule, RuleId::TimeLimit);
    // A rule left out of the file is not applied.
    r.time_limit = None;
    assert!(check(&r, &c).is_empty());
}

#[test]
fn the_discretion_bands_at_their_edges() {
    // Range 10,000–100,000: lenient up to 37,000, severe from 73,000, normal between.
    let mut c = clean();
    for (band, fine, flagged) in [
        (Band::Lenient, "37000", false),
        (Band::Lenient, "37000.01", true),
        (Band::Lenient, "9999", true),
        (Band::Severe, "73000", false),
        (Band::Severe, "72999.99", true),
        (Band::Normal, "37000", false),
        (Band::Normal, "73000", false),
        (Band::Normal, "36999", true),
        (Band::Normal, "73001", true),
    ] {
        c.band = Some(band);
        c.fine = Some(d(fine));
        assert_eq!(
            rules_of(&c).contains(&RuleId::Discretion),
            flagged,
            "{band:?} {fine}"
        );
    }
    c.band = Some(Band::Lenient);
    c.fine = Some(d("50000"));
    let f = check(&rules(), &c);
    let f = f
        .iter()
        .find(|f| f.rule == RuleId::Discretion)
        .expect("flag");
    assert_eq!(
        f.why.zh,
        "法定幅度 10000–100000 元，选择“从轻”档，应在 10000–37000 元之间，实际罚款 50000 元"
    );
}

#[test]
fn the_simple_procedure_limits() {
    let mut c = clean();
    c.procedure = Procedure::Simple;
    c.major = false;
    c.range = None;
    c.band = None;
    c.notified = None;
    for (party, fine, flagged) in [
        (Party::Individual, "200", false),
        (Party::Individual, "200.01", true),
        (Party::Organisation, "3000", false),
        (Party::Organisation, "3001", true),
    ] {
        c.party = party;
        c.fine = Some(d(fine));
        assert_eq!(
            rules_of(&c).contains(&RuleId::SimpleProcedure),
            flagged,
            "{party:?} {fine}"
        );
    }
}

#[test]
fn a_major_decision_needs_its_review_first() {
    let mut c = clean();
    c.reviewed = day("2024-05-01");
    assert!(
        !rules_of(&c).contains(&RuleId::LegalReview),
        "the same day is before"
    );
    c.reviewed = day("2024-05-02");
    let f = check(&rules(), &c);
    assert_eq!(
        f.iter()
            .find(|f| f.rule == RuleId::LegalReview)
            .expect("flag")
            .why
            .zh,
        "法制审核 2024-05-02 晚于决定 2024-05-01"
    );
    c.reviewed = None;
    assert!(rules_of(&c).contains(&RuleId::LegalReview));
    c.major = false;
    assert!(!rules_of(&c).contains(&RuleId::LegalReview));
}

#[test]
fn officers_need_valid_certificates_on_the_day() {
    let mut c = clean();
    c.officers = vec![officer("2024-05-01"), officer("2027-12-31")];
    assert!(
        !rules_of(&c).contains(&RuleId::Certificates),
        "valid through the decision day"
    );
    c.officers = vec![officer("2024-04-30"), officer("2027-12-31")];
    let f = check(&rules(), &c);
    let f = f
        .iter()
        .find(|f| f.rule == RuleId::Certificates)
        .expect("flag");
    assert!(
        f.why
            .zh
            .contains("持有效证件的执法人员 1 名（应不少于 2 名）"),
        "{}",
        f.why.zh
    );
    assert!(
        f.why.zh.contains("豫执-2024-04-30（至 2024-04-30）"),
        "{}",
        f.why.zh
    );
    c.officers = vec![officer("2027-12-31")];
    assert!(rules_of(&c).contains(&RuleId::Certificates), "one officer");
}

#[test]
fn a_large_fine_needs_a_hearing_notice() {
    let mut c = clean();
    c.hearing_notified = None;
    for (party, fine, flagged) in [
        (Party::Organisation, "99999", false),
        (Party::Organisation, "100000", true),
        (Party::Individual, "9999", false),
        (Party::Individual, "10000", true),
    ] {
        c.party = party;
        c.fine = Some(d(fine));
        c.range = None;
        assert_eq!(
            rules_of(&c).contains(&RuleId::Hearing),
            flagged,
            "{party:?} {fine}"
        );
    }
}

#[test]
fn the_surcharge_may_not_exceed_the_fine() {
    let mut c = clean();
    c.surcharge = Some(d("50000"));
    assert!(!rules_of(&c).contains(&RuleId::Surcharge));
    c.surcharge = Some(d("50000.01"));
    let f = check(&rules(), &c);
    assert_eq!(
        f.iter()
            .find(|f| f.rule == RuleId::Surcharge)
            .expect("flag")
            .why
            .zh,
        "加处罚款 50000.01 元，超出罚款数额 50000 元"
    );
}

#[test]
fn dates_missing_or_out_of_order() {
    let mut c = clean();
    c.notified = None;
    let f = check(&rules(), &c);
    assert_eq!(
        f.iter()
            .find(|f| f.rule == RuleId::DateOrder)
            .expect("flag")
            .why
            .zh,
        "缺少告知日期"
    );
    let mut c = clean();
    c.served = day("2024-04-30");
    let f = check(&rules(), &c);
    assert_eq!(
        f.iter()
            .find(|f| f.rule == RuleId::DateOrder)
            .expect("flag")
            .why
            .zh,
        "送达（2024-04-30）早于决定（2024-05-01）"
    );
}

#[test]
fn a_bad_rule_file_is_named_at_its_place() {
    let e = SourceText::new("rules.toml", "[time_limit]\nname = { zh = \"x\", en = \"x\" }\nbasis = { zh = \"x\", en = \"x\" }\ndays = \"ninety\"\n")
        .parse::<RuleSet>()
        .expect_err("a word for a number");
    let text = format!("{e:?}");
    assert!(text.contains("days"), "{text}");
}
