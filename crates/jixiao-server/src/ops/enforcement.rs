//! Legality checks of enforcement cases (行政执法案件合法性审查): departments record their cases
//! (import of a workbook or CSV, the entry form, or a case-management system posting them with
//! its API key — the machine feed); the rules of the legal office's file
//! ([`jixiao_core::enforcement`]) flag procedural violations, each with its rule, basis, fields
//! and computation; the legal office (司法局, named in the rule file) confirms or dismisses each
//! flag with a reason and may open a rectification task on a confirmed one; the counts per
//! department and period fill the data elements with `source = "enforcement"` so the rule-of-law
//! indicators (法制审核率 …) are scored with no typing.
//!
//! A flag is the case, the rule and a fingerprint of the fields and values it read: when a case
//! or the rule file changes, every case is checked again and a flag raised again with the same
//! values is the same flag — a dismissed one stays dismissed; other values are a new flag. A flag
//! no longer raised is kept (with its decision) and counts no more.

use crate::error::{Error, Result};
use crate::ops::{Caller, allow_in, commit, require_reason};
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet, column_letter};
use jixiao_core::Decimal;
use jixiao_core::access::{Action, can};
use jixiao_core::doc::SourceText;
use jixiao_core::enforcement::{
    Band, Case, Day, Flag, Officer, Party, Procedure, RuleId, RuleSet, check,
};
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::text::Text;
use jixiao_store::audit::Actor;
use jixiao_store::enforcement::{CaseRow, FlagRow, NewCase, Raised, Written};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::ToSchema;

pub use crate::ops::project_imports::Places;

/// The columns of the case file (Chinese header or English field name).
pub const CASE_COLUMNS: [(&str, &str); 24] = [
    ("案件编号", "number"),
    ("执法部门代码", "dept"),
    ("当事人类型（个人/单位）", "party"),
    ("程序（简易/普通）", "procedure"),
    ("立案日期", "filed"),
    ("调查终结日期", "investigated"),
    ("告知日期", "notified"),
    ("听证告知日期", "hearing_notified"),
    ("听证日期", "hearing_held"),
    ("法制审核日期", "reviewed"),
    ("审核人", "reviewer"),
    ("决定日期", "decided"),
    ("送达日期", "served"),
    ("缴款日期", "paid"),
    ("结案日期", "closed"),
    ("法律依据", "basis"),
    ("罚款金额（元）", "fine"),
    ("法定罚款下限（元）", "range_min"),
    ("法定罚款上限（元）", "range_max"),
    ("裁量档次（从轻/一般/从重）", "band"),
    ("重大执法决定（是/否）", "major"),
    ("批准延长天数", "extension_days"),
    ("加处罚款（元）", "surcharge"),
    ("执法人员（证号:起:止;…）", "officers"),
];

/// The most cases one request or file may carry.
pub const MAX_CASES: usize = 200_000;

/// The flag states.
pub const STATES: [&str; 3] = ["open", "confirmed", "dismissed"];

pub fn state_name(s: &str) -> Text {
    match s {
        "open" => Text::new("待审查", "open"),
        "confirmed" => Text::new("已确认", "confirmed"),
        "dismissed" => Text::new("已排除", "dismissed"),
        other => Text::new(other, other),
    }
}

fn not_found() -> Error {
    Error::not_found("执法案件", "enforcement case")
}

/// The rule file in force, parsed (`None`: none loaded, nothing is checked).
pub async fn rule_set(state: &AppState) -> Result<Option<RuleSet>> {
    let Some(row) = jixiao_store::enforcement::rules(&state.store).await? else {
        return Ok(None);
    };
    // A stored file was checked when it was stored; one that no longer reads is an error here.
    SourceText::new("rules.toml", &row.toml)
        .parse::<RuleSet>()
        .map(Some)
        .map_err(|i| Error::invalid(&i))
}

fn office_of(rules: Option<&RuleSet>) -> Option<&str> {
    rules.and_then(|r| r.legal_office.as_deref())
}

/// The caller may read something of the cases (a department its own, the legal office all).
fn may_read_any(live: &crate::live::Live, caller: &Caller, office: Option<&str>) -> Result<()> {
    allow_in(
        live,
        caller,
        Action::ReadEnforcement {
            unit: caller.principal.unit.as_deref().unwrap_or(""),
            legal_office: office,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Flags

/// The caller may record cases for some department (its own, or any as the legal office).
fn may_record_in(live: &crate::live::Live, caller: &Caller, office: Option<&str>) -> Result<()> {
    caller.require_signed_in()?;
    allow_in(
        live,
        caller,
        Action::RecordEnforcement {
            unit: caller.principal.unit.as_deref().unwrap_or(""),
            legal_office: office,
        },
    )
}

/// [`may_record_in`], before a file is read.
pub async fn may_record(state: &AppState, caller: &Caller) -> Result<()> {
    let rules = rule_set(state).await?;
    may_record_in(&*state.live.read().await, caller, office_of(rules.as_ref()))
}

/// A flag as stored: its detail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlagDetail {
    #[schema(value_type = Object)]
    pub name: Text,
    #[schema(value_type = Object)]
    pub basis: Text,
    /// The fields read and their values, as recorded.
    pub fields: Vec<(String, String)>,
    /// The computation in words.
    #[schema(value_type = Object)]
    pub why: Text,
}

fn raised(f: &Flag) -> Raised {
    let fields = serde_json::to_string(&f.fields).unwrap_or_default();
    let fingerprint = jixiao_store::sha256_hex(format!("{}\n{fields}", f.rule.code()).as_bytes())
        [..16]
        .to_owned();
    let detail = FlagDetail {
        name: f.name.clone(),
        basis: f.basis.clone(),
        fields: f.fields.clone(),
        why: f.why.clone(),
    };
    Raised {
        rule: f.rule.code().to_owned(),
        fingerprint,
        detail: serde_json::to_string(&detail).unwrap_or_default(),
    }
}

fn parse_case(row: &CaseRow) -> Result<Case> {
    serde_json::from_str(&row.record).map_err(|e| Error::internal(&e))
}

/// What a case's flags were before it is checked again.
enum Before<'a> {
    /// Just created: none.
    Fresh,
    /// Read them (one query).
    Read,
    /// Already read.
    These(&'a [FlagRow]),
}

/// Checks cases again and brings their flags up to date, in `tx`: (new, cleared).
async fn evaluate(
    tx: &mut jixiao_store::Tx,
    rules: Option<&RuleSet>,
    rows: &[(i64, &Case, Before<'_>)],
    reason: &str,
) -> Result<(usize, usize)> {
    let (mut new, mut cleared) = (0, 0);
    let mut audit = Vec::new();
    for (id, c, before) in rows {
        let wanted: Vec<Raised> = rules
            .map(|r| check(r, c).iter().map(raised).collect())
            .unwrap_or_default();
        let read;
        let old: &[FlagRow] = match before {
            Before::Fresh if wanted.is_empty() => continue,
            Before::Fresh => &[],
            Before::Read => {
                read = jixiao_store::enforcement::flags_in(tx, *id).await?;
                &read
            }
            Before::These(f) => f,
        };
        if old.is_empty() && wanted.is_empty() {
            continue;
        }
        let s = jixiao_store::enforcement::sync_flags(tx, *id, &wanted, old, &mut audit).await?;
        new += s.new + s.again;
        cleared += s.cleared;
    }
    jixiao_store::enforcement::audit_flags(tx, &Actor::system("enforcement"), &audit, reason)
        .await?;
    Ok((new, cleared))
}

// ---------------------------------------------------------------------------------------------
// Recording cases

/// Cases to record (the form, the API and a case-management system's feed).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = EnforcementCases)]
pub struct CaseList {
    /// Each case as the rules read it: `number`, `dept`, `officers` (`certificate`,
    /// `valid_from`, `valid_until`), `party` (`individual`|`organisation`), `procedure`
    /// (`simple`|`ordinary`), the dates `filed` … `closed` (YYYY-MM-DD), `basis`, `fine`,
    /// `range` ([min, max]), `band` (`lenient`|`normal`|`severe`), `major`, `extension_days`,
    /// `surcharge`. No party names.
    #[schema(value_type = Vec<Object>)]
    pub cases: Vec<serde_json::Value>,
    #[serde(default)]
    pub reason: String,
}

/// What recording did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = CasesRecorded)]
pub struct Recorded {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Flags raised by the cases written.
    pub flags_raised: usize,
    /// Flags the changes cleared.
    pub flags_cleared: usize,
    /// The id of each case, in the order given.
    pub ids: Vec<i64>,
}

/// Cases from JSON: each read into a case (problems at `cases[i]…`).
pub fn from_json(list: &CaseList) -> std::result::Result<Vec<Case>, Issues> {
    let mut out = Vec::new();
    let mut issues = Issues::new();
    for (i, v) in list.cases.iter().enumerate() {
        match serde_json::from_value::<Case>(v.clone()) {
            Ok(c) => out.push(c),
            Err(e) => issues.push(Issue::error(
                "invalid",
                "request",
                Location::Path {
                    path: format!("cases[{i}]"),
                },
                Text::new(format!("案件格式不对：{e}"), format!("not a case: {e}")),
            )),
        }
    }
    if issues.errors().next().is_some() {
        Err(issues)
    } else {
        Ok(out)
    }
}

/// Checks the cases (department known and the caller's, number given and once, figures sane)
/// and writes them all or none; changed cases are checked against the rules and the elements
/// brought up to date. `Err(issues)`: nothing written.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    cases: &[Case],
    places: &Places,
    source: &str,
    reason: &str,
) -> Result<std::result::Result<Recorded, Issues>> {
    let rules = rule_set(state).await?;
    let office = office_of(rules.as_ref());
    may_record_in(&*state.live.read().await, caller, office)?;
    let mut issues = Issues::new();
    if cases.len() > MAX_CASES {
        return Err(Error::bad_request(
            "too_many",
            Text::new(
                format!("一次最多 {MAX_CASES} 件案件"),
                format!("at most {MAX_CASES} cases at once"),
            ),
        ));
    }
    {
        let live = state.live.read().await;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, c) in cases.iter().enumerate() {
            let mut bad = |field: &str, zh: String, en: String| {
                issues.push(places.issue(i, field, Text::new(zh, en)));
            };
            let number = c.number.trim();
            if number.is_empty() || number.chars().count() > 80 {
                bad(
                    "number",
                    "案件编号必填，不超过80字".into(),
                    "the case number is required, at most 80 characters".into(),
                );
            } else if let Some(j) = seen.insert(number, i) {
                bad(
                    "number",
                    format!("案件编号“{number}”重复（与第 {} 件）", j + 1),
                    format!("case number `{number}` twice (also item {})", j + 1),
                );
            }
            if !live.units.contains(&c.dept) {
                bad(
                    "dept",
                    format!("没有编码为“{}”的单位", c.dept),
                    format!("no unit `{}`", c.dept),
                );
            } else if !can(
                &caller.principal,
                Action::RecordEnforcement {
                    unit: &c.dept,
                    legal_office: office,
                },
                &*live,
            ) {
                bad(
                    "dept",
                    format!("无权录入“{}”的执法案件", c.dept),
                    format!("you may not record cases of `{}`", c.dept),
                );
            }
            if c.officers.is_empty() {
                bad(
                    "officers",
                    "请填写执法人员的证号".into(),
                    "the officers' certificates are required".into(),
                );
            }
            if c.officers.iter().any(|o| o.certificate.trim().is_empty()) {
                bad(
                    "officers",
                    "执法人员证号不能为空".into(),
                    "an officer's certificate number is empty".into(),
                );
            }
            for (f, v) in [("fine", c.fine), ("surcharge", c.surcharge)] {
                if v.is_some_and(|v| v < Decimal::ZERO) {
                    bad(
                        f,
                        "金额不能为负".into(),
                        "an amount cannot be negative".into(),
                    );
                }
            }
            if let Some((lo, hi)) = c.range
                && (lo < Decimal::ZERO || hi < lo)
            {
                bad(
                    "range_min",
                    format!("法定幅度 {lo}–{hi} 不成立"),
                    format!("the statutory range {lo}–{hi} is not a range"),
                );
            }
            if c.fine.is_some() && c.range.is_some() && c.band.is_none() {
                bad(
                    "band",
                    "有罚款和法定幅度时请填写裁量档次（从轻/一般/从重）".into(),
                    "give the discretion band (lenient/normal/severe) with a fine and a range"
                        .into(),
                );
            }
        }
    }
    if cases.is_empty() {
        issues.push(Issue::error(
            "empty",
            places.file(),
            Location::File,
            Text::new("没有要录入的案件", "no cases to record"),
        ));
    }
    if issues.errors().next().is_some() {
        return Ok(Err(issues));
    }
    let records: Vec<(String, String)> = cases
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.number = c.number.trim().to_owned();
            let day = c.day().map(|d| d.to_string()).unwrap_or_default();
            (serde_json::to_string(&c).unwrap_or_default(), day)
        })
        .collect();
    let news: Vec<NewCase<'_>> = cases
        .iter()
        .zip(&records)
        .map(|(c, (record, day))| NewCase {
            number: c.number.trim(),
            dept: &c.dept,
            day,
            major: c.major,
            record,
            source,
        })
        .collect();
    let mut tx = state.store.write().await?;
    let written =
        jixiao_store::enforcement::write_cases(&mut tx, &caller.actor, &news, reason).await?;
    let mut out = Recorded::default();
    let mut changed: Vec<(i64, &Case, Before<'_>)> = Vec::new();
    for ((row, w), c) in written.iter().zip(cases) {
        out.ids.push(row.id);
        match w {
            Written::Created => out.created += 1,
            Written::Updated => out.updated += 1,
            Written::Unchanged => out.unchanged += 1,
        }
        if *w != Written::Unchanged {
            let before = if *w == Written::Created {
                Before::Fresh
            } else {
                Before::Read
            };
            changed.push((row.id, c, before));
        }
    }
    let (new, cleared) = evaluate(&mut tx, rules.as_ref(), &changed, reason).await?;
    out.flags_raised = new;
    out.flags_cleared = cleared;
    commit(tx).await?;
    if !changed.is_empty() {
        publish_after_change(state).await;
    }
    Ok(Ok(out))
}

// ---------------------------------------------------------------------------------------------
// The file

fn yes(s: &str) -> bool {
    matches!(s, "是" | "1" | "yes" | "Yes" | "true" | "Y" | "y")
}

/// Cases from an uploaded workbook or CSV (the template's columns): every cell that does not
/// read is a problem at its row and column, and then nothing is recorded.
pub fn read_cases(file: &str, bytes: &[u8]) -> std::result::Result<(Vec<Case>, Places), Issues> {
    let grid = crate::xlsx::read_grid(file, bytes)?;
    let mut rows = grid.into_iter();
    let header = rows.next().unwrap_or_default();
    let at = crate::ops::project_imports::header_columns(
        file,
        &header,
        &CASE_COLUMNS,
        &["number", "dept", "party", "procedure", "officers"],
    )?;
    let mut cases = Vec::new();
    let mut cells = Vec::new();
    let mut issues = Issues::new();
    for (i, r) in rows.enumerate() {
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if cases.len() >= MAX_CASES {
            issues.push(Issue::error(
                "too_many",
                file,
                Location::File,
                Text::new(
                    format!("一个文件最多 {MAX_CASES} 件案件"),
                    format!("at most {MAX_CASES} cases in a file"),
                ),
            ));
            break;
        }
        let line = i + 2;
        let cell = |f: &str| {
            at.get(f)
                .and_then(|c| r.get(*c))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let mut bad = |f: &str, zh: String, en: String| {
            issues.push(Issue::error(
                "invalid",
                file,
                Location::Cell {
                    row: line,
                    column: at.get(f).map(|c| column_letter(*c)),
                },
                Text::new(zh, en),
            ));
        };
        let Some(case) = parse_row(&cell, &mut bad) else {
            continue;
        };
        let place: BTreeMap<String, (usize, String)> = at
            .iter()
            .map(|(f, c)| ((*f).to_owned(), (line, column_letter(*c))))
            .collect();
        cases.push(case);
        cells.push(place);
    }
    if issues.errors().next().is_some() {
        return Err(issues);
    }
    Ok((
        cases,
        Places::File {
            file: file.to_owned(),
            cells,
        },
    ))
}

/// One case from its cells (`cell(field)`, trimmed); every cell that does not read is reported
/// through `bad(field, zh, en)`. `None`: the party or the procedure did not read.
pub fn parse_row(
    cell: &dyn Fn(&str) -> String,
    bad: &mut dyn FnMut(&str, String, String),
) -> Option<Case> {
    let mut date = |f: &str| -> Option<Day> {
        let s = cell(f);
        if s.is_empty() {
            return None;
        }
        let d = Day::parse(&s);
        if d.is_none() {
            bad(
                f,
                format!("“{s}”不是日期（如 2025-03-01）"),
                format!("`{s}` is not a date (e.g. 2025-03-01)"),
            );
        }
        d
    };
    let filed = date("filed");
    let investigated = date("investigated");
    let notified = date("notified");
    let hearing_notified = date("hearing_notified");
    let hearing_held = date("hearing_held");
    let reviewed = date("reviewed");
    let decided = date("decided");
    let served = date("served");
    let paid = date("paid");
    let closed = date("closed");
    let mut money = |f: &str| -> Option<Decimal> {
        let s = cell(f).replace([',', '，'], "");
        if s.is_empty() {
            return None;
        }
        let v = s.parse::<Decimal>().ok();
        if v.is_none() {
            bad(
                f,
                format!("“{s}”不是金额"),
                format!("`{s}` is not an amount"),
            );
        }
        v
    };
    let fine = money("fine");
    let lo = money("range_min");
    let hi = money("range_max");
    let surcharge = money("surcharge");
    let party = match cell("party").as_str() {
        "个人" | "公民" | "individual" => Some(Party::Individual),
        "单位" | "法人" | "法人或其他组织" | "organisation" => Some(Party::Organisation),
        s => {
            bad(
                "party",
                format!("当事人类型“{s}”应为 个人 或 单位"),
                format!("party `{s}` should be individual or organisation"),
            );
            None
        }
    };
    let procedure = match cell("procedure").as_str() {
        "简易" | "简易程序" | "simple" => Some(Procedure::Simple),
        "普通" | "普通程序" | "ordinary" => Some(Procedure::Ordinary),
        s => {
            bad(
                "procedure",
                format!("程序“{s}”应为 简易 或 普通"),
                format!("procedure `{s}` should be simple or ordinary"),
            );
            None
        }
    };
    let band = match cell("band").as_str() {
        "" => None,
        "从轻" | "lenient" => Some(Band::Lenient),
        "一般" | "normal" => Some(Band::Normal),
        "从重" | "severe" => Some(Band::Severe),
        s => {
            bad(
                "band",
                format!("裁量档次“{s}”应为 从轻、一般 或 从重"),
                format!("band `{s}` should be lenient, normal or severe"),
            );
            None
        }
    };
    let ext_cell = cell("extension_days");
    let ext = ext_cell.trim_end_matches(".0");
    let extension_days = if ext.is_empty() {
        0
    } else {
        ext.parse::<u32>().unwrap_or_else(|_| {
            bad(
                "extension_days",
                format!("延长天数“{ext}”不是天数"),
                format!("`{ext}` is not a number of days"),
            );
            0
        })
    };
    let mut officers = Vec::new();
    let officer_cell = cell("officers");
    for part in officer_cell
        .split([';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let bits: Vec<&str> = part.split([':', '：']).map(str::trim).collect();
        let d = |k: usize| bits.get(k).filter(|s| !s.is_empty()).map(|s| Day::parse(s));
        match (bits.first(), d(1), d(2)) {
            (Some(c), from, until)
                if !c.is_empty()
                    && bits.len() <= 3
                    && from.is_none_or(|x| x.is_some())
                    && until.is_none_or(|x| x.is_some()) =>
            {
                officers.push(Officer {
                    certificate: (*c).to_owned(),
                    valid_from: from.flatten(),
                    valid_until: until.flatten(),
                });
            }
            _ => bad(
                "officers",
                format!("执法人员“{part}”应写作 证号:有效期起:有效期止"),
                format!("officer `{part}` should read certificate:valid_from:valid_until"),
            ),
        }
    }
    let range = match (lo, hi) {
        (Some(a), Some(b)) => Some((a, b)),
        (None, None) => None,
        _ => {
            bad(
                "range_max",
                "法定幅度须同时填写下限和上限".into(),
                "give both ends of the statutory range".into(),
            );
            None
        }
    };
    let (Some(party), Some(procedure)) = (party, procedure) else {
        return None;
    };
    Some(Case {
        number: cell("number"),
        dept: cell("dept"),
        officers,
        party,
        procedure,
        filed,
        investigated,
        notified,
        hearing_notified,
        hearing_held,
        reviewed,
        reviewer: Some(cell("reviewer")).filter(|s| !s.is_empty()),
        decided,
        served,
        paid,
        closed,
        basis: cell("basis"),
        fine,
        range,
        band,
        major: yes(&cell("major")),
        extension_days,
        surcharge,
    })
}

/// A case as a row of the file.
pub fn file_row(c: &Case) -> Vec<String> {
    let d = |x: Option<Day>| x.map(|d| d.to_string()).unwrap_or_default();
    let m = |x: Option<Decimal>| x.map(|v| v.normalize().to_string()).unwrap_or_default();
    vec![
        c.number.clone(),
        c.dept.clone(),
        match c.party {
            Party::Individual => "个人",
            Party::Organisation => "单位",
        }
        .into(),
        match c.procedure {
            Procedure::Simple => "简易",
            Procedure::Ordinary => "普通",
        }
        .into(),
        d(c.filed),
        d(c.investigated),
        d(c.notified),
        d(c.hearing_notified),
        d(c.hearing_held),
        d(c.reviewed),
        c.reviewer.clone().unwrap_or_default(),
        d(c.decided),
        d(c.served),
        d(c.paid),
        d(c.closed),
        c.basis.clone(),
        m(c.fine),
        m(c.range.map(|r| r.0)),
        m(c.range.map(|r| r.1)),
        c.band.map(|b| b.name().zh).unwrap_or_default(),
        if c.major { "是" } else { "否" }.into(),
        if c.extension_days > 0 {
            c.extension_days.to_string()
        } else {
            String::new()
        },
        m(c.surcharge),
        c.officers
            .iter()
            .map(|o| format!("{}:{}:{}", o.certificate, d(o.valid_from), d(o.valid_until)))
            .collect::<Vec<_>>()
            .join(";"),
    ]
}

/// The case file's template: the header and one lawful example.
pub fn template() -> Result<Vec<u8>> {
    let example = Case {
        number: "（示例）卧市监罚〔2026〕001号".into(),
        dept: "SCJ".into(),
        officers: vec![
            Officer {
                certificate: "411301001".into(),
                valid_from: Day::parse("2021-01-01"),
                valid_until: Day::parse("2027-12-31"),
            },
            Officer {
                certificate: "411301002".into(),
                valid_from: Day::parse("2021-01-01"),
                valid_until: Day::parse("2027-12-31"),
            },
        ],
        party: Party::Organisation,
        procedure: Procedure::Ordinary,
        filed: Day::parse("2026-01-05"),
        investigated: Day::parse("2026-01-20"),
        notified: Day::parse("2026-02-02"),
        hearing_notified: None,
        hearing_held: None,
        reviewed: None,
        reviewer: None,
        decided: Day::parse("2026-02-10"),
        served: Day::parse("2026-02-11"),
        paid: Day::parse("2026-02-20"),
        closed: Day::parse("2026-02-22"),
        basis: "《价格法》第四十二条".into(),
        fine: Some(Decimal::from(20000)),
        range: Some((Decimal::from(5000), Decimal::from(50000))),
        band: Some(Band::Normal),
        major: false,
        extension_days: 0,
        surcharge: None,
    };
    crate::xlsx::workbook(&[Sheet {
        name: "执法案件".into(),
        headers: CASE_COLUMNS
            .iter()
            .map(|(zh, _)| (*zh).to_owned())
            .collect(),
        rows: vec![file_row(&example).into_iter().map(Cell::Text).collect()],
        decimals: None,
    }])
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A flag as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlagItem {
    pub id: i64,
    pub case_id: i64,
    pub rule: String,
    #[serde(flatten)]
    pub detail: FlagDetail,
    pub raised: bool,
    pub state: String,
    #[schema(value_type = Object)]
    pub state_name: Text,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: String,
    pub task_id: Option<i64>,
    pub version: i64,
}

fn flag_item(f: &FlagRow) -> FlagItem {
    let detail: FlagDetail = serde_json::from_str(&f.detail).unwrap_or(FlagDetail {
        name: Text::new(f.rule.clone(), f.rule.clone()),
        basis: Text::default(),
        fields: Vec::new(),
        why: Text::default(),
    });
    FlagItem {
        id: f.id,
        case_id: f.case_id,
        rule: f.rule.clone(),
        detail,
        raised: f.raised,
        state: f.state.clone(),
        state_name: state_name(&f.state),
        reason: f.reason.clone(),
        decided_by: f.decided_by.clone(),
        decided_at: f.decided_at.clone(),
        task_id: f.task_id,
        version: f.version,
    }
}

/// A case in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseItem {
    pub id: i64,
    pub number: String,
    pub dept: String,
    #[schema(value_type = Object)]
    pub dept_name: Text,
    /// Decision day, else filing day.
    pub day: String,
    pub major: bool,
    pub source: String,
    /// The raised flags: (rule, state).
    pub flags: Vec<(String, String)>,
}

/// Counts of one rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleCount {
    pub rule: String,
    #[schema(value_type = Object)]
    pub name: Text,
    pub open: usize,
    pub confirmed: usize,
    pub dismissed: usize,
}

/// Counts of one department.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeptCount {
    pub dept: String,
    #[schema(value_type = Object)]
    pub name: Text,
    pub cases: usize,
    /// Cases with an open or confirmed flag.
    pub flagged: usize,
    pub open: usize,
    pub confirmed: usize,
    pub major: usize,
    /// Major decisions without a confirmed legal-review violation.
    pub major_reviewed: usize,
    /// 法制审核率, percent (exact), when there are major decisions.
    #[schema(value_type = Option<String>)]
    pub review_rate: Option<Decimal>,
}

/// The cases the caller may read, filtered, with the counts by rule and by department.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = EnforcementOverview)]
pub struct Overview {
    pub cases: Vec<CaseItem>,
    /// Cases matching before the limit.
    pub total: usize,
    pub by_rule: Vec<RuleCount>,
    pub by_dept: Vec<DeptCount>,
    /// The legal office named in the rule file.
    pub legal_office: Option<String>,
    /// `record`, `review` (confirm/dismiss and the rule file).
    pub allowed: Vec<String>,
}

/// What to list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[schema(as = EnforcementFilter)]
pub struct Filter {
    /// A department's code.
    pub dept: Option<String>,
    /// Only cases with a raised flag of this rule.
    pub rule: Option<String>,
    /// Only cases with a raised flag in this state (`open`, `confirmed`, `dismissed`);
    /// `flagged`: any raised flag.
    pub state: Option<String>,
    /// Part of the case number.
    pub q: Option<String>,
    /// At most this many cases (default 200).
    pub limit: Option<usize>,
}

fn allowed(live: &crate::live::Live, caller: &Caller, office: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let unit = caller.principal.unit.as_deref().unwrap_or("");
    if can(
        &caller.principal,
        Action::RecordEnforcement {
            unit,
            legal_office: office,
        },
        live,
    ) {
        out.push("record".into());
    }
    if can(
        &caller.principal,
        Action::ReviewEnforcement {
            legal_office: office,
        },
        live,
    ) {
        out.push("review".into());
    }
    out
}

pub async fn overview(state: &AppState, caller: &Caller, f: &Filter) -> Result<Overview> {
    let rules = rule_set(state).await?;
    let office = office_of(rules.as_ref());
    {
        let live = state.live.read().await;
        may_read_any(&live, caller, office)?;
    }
    let rows = jixiao_store::enforcement::cases(&state.store, f.dept.as_deref()).await?;
    let flags = jixiao_store::enforcement::flags(&state.store).await?;
    let mut by_case: HashMap<i64, Vec<&FlagRow>> = HashMap::new();
    for fl in flags.iter().filter(|f| f.raised) {
        by_case.entry(fl.case_id).or_default().push(fl);
    }
    let live = state.live.read().await;
    let names = live.unit_names();
    let readable: Vec<&CaseRow> = rows
        .iter()
        .filter(|r| {
            can(
                &caller.principal,
                Action::ReadEnforcement {
                    unit: &r.dept,
                    legal_office: office,
                },
                &*live,
            )
        })
        .collect();
    let mut rule_counts: BTreeMap<String, RuleCount> = BTreeMap::new();
    for id in RuleId::ALL {
        if let Some(name) = rules.as_ref().and_then(|r| r.name_of(id)) {
            rule_counts.insert(
                id.code().to_owned(),
                RuleCount {
                    rule: id.code().to_owned(),
                    name: name.clone(),
                    open: 0,
                    confirmed: 0,
                    dismissed: 0,
                },
            );
        }
    }
    let mut depts: BTreeMap<String, DeptCount> = BTreeMap::new();
    for r in &readable {
        let fl = by_case.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let d = depts.entry(r.dept.clone()).or_insert_with(|| DeptCount {
            dept: r.dept.clone(),
            name: names.get(&r.dept).cloned().unwrap_or_default(),
            cases: 0,
            flagged: 0,
            open: 0,
            confirmed: 0,
            major: 0,
            major_reviewed: 0,
            review_rate: None,
        });
        d.cases += 1;
        if fl.iter().any(|f| f.state != "dismissed") {
            d.flagged += 1;
        }
        d.open += fl.iter().filter(|f| f.state == "open").count();
        d.confirmed += fl.iter().filter(|f| f.state == "confirmed").count();
        if r.major {
            d.major += 1;
            if !fl
                .iter()
                .any(|f| f.rule == "legal_review" && f.state == "confirmed")
            {
                d.major_reviewed += 1;
            }
        }
        for f in fl {
            if let Some(c) = rule_counts.get_mut(&f.rule) {
                match f.state.as_str() {
                    "open" => c.open += 1,
                    "confirmed" => c.confirmed += 1,
                    _ => c.dismissed += 1,
                }
            }
        }
    }
    for d in depts.values_mut() {
        if d.major > 0 {
            d.review_rate =
                Some(Decimal::from(d.major_reviewed) * Decimal::from(100) / Decimal::from(d.major));
        }
    }
    let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let matching: Vec<CaseItem> = readable
        .iter()
        .filter(|r| q.is_none_or(|q| r.number.contains(q)))
        .filter_map(|r| {
            let fl = by_case.get(&r.id).map(Vec::as_slice).unwrap_or_default();
            let keep = fl.iter().any(|x| {
                f.rule.as_deref().is_none_or(|rule| x.rule == rule)
                    && f.state
                        .as_deref()
                        .is_none_or(|s| s == "flagged" || x.state == s)
            }) || (f.rule.is_none() && f.state.is_none());
            keep.then(|| CaseItem {
                id: r.id,
                number: r.number.clone(),
                dept: r.dept.clone(),
                dept_name: names.get(&r.dept).cloned().unwrap_or_default(),
                day: r.day.clone(),
                major: r.major,
                source: r.source.clone(),
                flags: fl
                    .iter()
                    .map(|x| (x.rule.clone(), x.state.clone()))
                    .collect(),
            })
        })
        .collect();
    let total = matching.len();
    let limit = f.limit.unwrap_or(200).min(5000);
    Ok(Overview {
        cases: matching.into_iter().take(limit).collect(),
        total,
        by_rule: rule_counts.into_values().collect(),
        by_dept: depts.into_values().collect(),
        legal_office: office.map(str::to_owned),
        allowed: allowed(&live, caller, office),
    })
}

/// A step of a case's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CaseStep)]
pub struct Step {
    pub field: String,
    #[schema(value_type = Object)]
    pub name: Text,
    pub day: String,
}

/// A case with its timeline and flags.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = EnforcementCase)]
pub struct Detail {
    pub id: i64,
    #[schema(value_type = Object)]
    pub case: Case,
    #[schema(value_type = Object)]
    pub dept_name: Text,
    pub source: String,
    pub updated_by: String,
    pub updated_at: String,
    /// The dated steps in the order they happened.
    pub timeline: Vec<Step>,
    /// Every flag, raised ones first.
    pub flags: Vec<FlagItem>,
    /// `review`: the caller may confirm or dismiss; `record`: change the case.
    pub allowed: Vec<String>,
}

pub fn timeline(c: &Case) -> Vec<Step> {
    let steps: [(&str, &str, &str, Option<Day>); 10] = [
        ("filed", "立案", "filed", c.filed),
        ("investigated", "调查终结", "investigated", c.investigated),
        ("notified", "告知", "notice", c.notified),
        (
            "hearing_notified",
            "听证告知",
            "hearing notice",
            c.hearing_notified,
        ),
        ("hearing_held", "听证", "hearing", c.hearing_held),
        ("reviewed", "法制审核", "legal review", c.reviewed),
        ("decided", "决定", "decided", c.decided),
        ("served", "送达", "served", c.served),
        ("paid", "缴款", "paid", c.paid),
        ("closed", "结案", "closed", c.closed),
    ];
    let mut out: Vec<(Day, usize, Step)> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, (f, zh, en, d))| {
            d.map(|d| {
                (
                    d,
                    i,
                    Step {
                        field: (*f).to_owned(),
                        name: Text::new(*zh, *en),
                        day: d.to_string(),
                    },
                )
            })
        })
        .collect();
    out.sort_by_key(|(d, i, _)| (*d, *i));
    out.into_iter().map(|(_, _, s)| s).collect()
}

pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<Detail> {
    let rules = rule_set(state).await?;
    let office = office_of(rules.as_ref());
    let row = jixiao_store::enforcement::case(&state.store, id)
        .await?
        .ok_or_else(not_found)?;
    let allowed = {
        let live = state.live.read().await;
        may_read_any(&live, caller, office)?;
        if !can(
            &caller.principal,
            Action::ReadEnforcement {
                unit: &row.dept,
                legal_office: office,
            },
            &*live,
        ) {
            return Err(not_found());
        }
        let mut a = Vec::new();
        if can(
            &caller.principal,
            Action::ReviewEnforcement {
                legal_office: office,
            },
            &*live,
        ) {
            a.push("review".to_owned());
        }
        if can(
            &caller.principal,
            Action::RecordEnforcement {
                unit: &row.dept,
                legal_office: office,
            },
            &*live,
        ) {
            a.push("record".to_owned());
        }
        a
    };
    let case = parse_case(&row)?;
    let mut flags: Vec<FlagItem> = jixiao_store::enforcement::flags_of(&state.store, id)
        .await?
        .iter()
        .map(flag_item)
        .collect();
    flags.sort_by_key(|f| (!f.raised, f.id));
    let dept_name = state
        .live
        .read()
        .await
        .unit_name(&row.dept)
        .cloned()
        .unwrap_or_default();
    Ok(Detail {
        id,
        timeline: timeline(&case),
        case,
        dept_name,
        source: row.source,
        updated_by: row.updated_by,
        updated_at: row.updated_at,
        flags,
        allowed,
    })
}

// ---------------------------------------------------------------------------------------------
// Deciding flags

/// The legal office's decision on a flag.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = FlagDecision)]
pub struct Decision {
    /// `confirmed`, `dismissed`, or `open` (taken back).
    pub state: String,
    pub reason: String,
    /// The flag's version as read (a change in between is refused).
    pub version: i64,
    /// With `confirmed`: open a rectification task for the department, due on this day
    /// (YYYY-MM-DD).
    #[serde(default)]
    pub rectify_by: Option<String>,
}

pub async fn decide(
    state: &AppState,
    caller: &Caller,
    flag_id: i64,
    d: Decision,
) -> Result<Detail> {
    let rules = rule_set(state).await?;
    let office = office_of(rules.as_ref()).map(str::to_owned);
    let f = jixiao_store::enforcement::flag(&state.store, flag_id)
        .await?
        .ok_or_else(|| Error::not_found("审查标记", "flag"))?;
    let row = jixiao_store::enforcement::case(&state.store, f.case_id)
        .await?
        .ok_or_else(not_found)?;
    {
        let live = state.live.read().await;
        if !can(
            &caller.principal,
            Action::ReadEnforcement {
                unit: &row.dept,
                legal_office: office.as_deref(),
            },
            &*live,
        ) {
            caller.require_signed_in()?;
            return Err(Error::not_found("审查标记", "flag"));
        }
        allow_in(
            &live,
            caller,
            Action::ReviewEnforcement {
                legal_office: office.as_deref(),
            },
        )?;
    }
    if !STATES.contains(&d.state.as_str()) {
        return Err(Error::bad_request(
            "bad_state",
            Text::new(
                format!(
                    "state：应为 confirmed、dismissed 或 open，而不是“{}”",
                    d.state
                ),
                format!("state: confirmed, dismissed or open, not `{}`", d.state),
            ),
        ));
    }
    require_reason(&d.reason)?;
    if d.version != f.version {
        return Err(stale());
    }
    if !f.raised && d.state != "open" {
        return Err(Error::conflict(
            "not_raised",
            Text::new(
                "案件已更正，该标记不再成立，无需确认或排除",
                "the case was corrected and the flag is no longer raised",
            ),
        ));
    }
    let deadline = match d
        .rectify_by
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) if d.state == "confirmed" => Some(Day::parse(s).ok_or_else(|| {
            Error::bad_request(
                "bad_date",
                Text::new(
                    format!("rectify_by：“{s}”不是日期（如 2026-03-31）"),
                    format!("rectify_by: `{s}` is not a date (e.g. 2026-03-31)"),
                ),
            )
        })?),
        Some(_) => {
            return Err(Error::bad_request(
                "bad_rectify",
                Text::new(
                    "只有确认的违法问题才能发起整改",
                    "only a confirmed violation opens a rectification task",
                ),
            ));
        }
        None => None,
    };
    let mut tx = state.store.write().await?;
    let mut task = None;
    if let Some(deadline) = deadline {
        let detail = flag_item(&f).detail;
        let case = parse_case(&row)?;
        let period = case
            .day()
            .and_then(quarter_of)
            .unwrap_or_else(|| jixiao_store::today()[..4].to_owned());
        let t = jixiao_store::rectifications::open(
            &mut tx,
            &caller.actor,
            &jixiao_store::rectifications::New {
                source_kind: "enforcement",
                source_id: &f.id.to_string(),
                severity: "",
                unit: &row.dept,
                person: "",
                period: &period,
                problem: &format!("{}：{}（{}）", row.number, detail.why.zh, detail.name.zh),
                measures: &format!("依据{}整改，并说明原因", detail.basis.zh),
                deadline: &deadline.to_string(),
                verifier: office.as_deref().unwrap_or("office"),
            },
        )
        .await?;
        crate::ops::rectifications::tell_opened(&mut tx, state, &t).await?;
        task = Some(t.id);
    }
    if !jixiao_store::enforcement::decide(
        &mut tx,
        &caller.actor,
        &f,
        &d.state,
        d.reason.trim(),
        task,
    )
    .await?
    {
        return Err(stale());
    }
    commit(tx).await?;
    if task.is_some() {
        crate::ops::rectifications::publish_after_change(state).await;
    }
    publish_after_change(state).await;
    get(state, caller, f.case_id).await
}

fn stale() -> Error {
    Error::conflict(
        "stale",
        Text::new(
            "该标记已被他人处理，请刷新后重试",
            "the flag was changed by someone else; reload and try again",
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// The rule file

/// The rule file in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesInfo {
    /// The file as the legal office wrote it (empty: none loaded, nothing is checked).
    pub toml: String,
    pub created_by: String,
    pub created_at: String,
    pub reason: String,
    /// The rules applied.
    pub rules: Vec<RuleName>,
    pub legal_office: Option<String>,
    pub allowed: Vec<String>,
    /// After a change: flags raised and cleared by checking every case again.
    pub flags_raised: usize,
    pub flags_cleared: usize,
}

/// A rule in force: its id and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleName {
    pub rule: String,
    #[schema(value_type = Object)]
    pub name: Text,
}

/// A new version of the rule file.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewRules {
    pub toml: String,
    pub reason: String,
}

pub async fn rules(state: &AppState, caller: &Caller) -> Result<RulesInfo> {
    let row = jixiao_store::enforcement::rules(&state.store).await?;
    let set = rule_set(state).await?;
    let office = office_of(set.as_ref());
    let live = state.live.read().await;
    may_read_any(&live, caller, office)?;
    Ok(RulesInfo {
        toml: row.as_ref().map(|r| r.toml.clone()).unwrap_or_default(),
        created_by: row
            .as_ref()
            .map(|r| r.created_by.clone())
            .unwrap_or_default(),
        created_at: row
            .as_ref()
            .map(|r| r.created_at.clone())
            .unwrap_or_default(),
        reason: row.as_ref().map(|r| r.reason.clone()).unwrap_or_default(),
        rules: RuleId::ALL
            .iter()
            .filter_map(|id| {
                set.as_ref().and_then(|s| s.name_of(*id)).map(|n| RuleName {
                    rule: id.code().to_owned(),
                    name: n.clone(),
                })
            })
            .collect(),
        legal_office: office.map(str::to_owned),
        allowed: allowed(&live, caller, office),
        flags_raised: 0,
        flags_cleared: 0,
    })
}

/// Stores a new rule file (read and checked first; a bad one is refused with its place) and
/// checks every case again, in one transaction.
pub async fn set_rules(state: &AppState, caller: &Caller, b: NewRules) -> Result<RulesInfo> {
    let before = jixiao_store::enforcement::rules(&state.store).await?;
    let old = rule_set(state).await?;
    {
        let live = state.live.read().await;
        // Before any file, the assessment office (or an administrator) loads the first.
        allow_in(
            &live,
            caller,
            Action::ReviewEnforcement {
                legal_office: office_of(old.as_ref()),
            },
        )?;
    }
    require_reason(&b.reason)?;
    let set: RuleSet = SourceText::new("rules.toml", &b.toml)
        .parse()
        .map_err(|i| Error::invalid(&i))?;
    if let Some(o) = set.legal_office.as_deref()
        && !state.live.read().await.units.contains(o)
    {
        return Err(Error::bad_request(
            "unknown_unit",
            Text::new(
                format!("legal_office：没有编码为“{o}”的单位"),
                format!("legal_office: no unit `{o}`"),
            ),
        ));
    }
    let reason = b.reason.trim();
    let mut tx = state.store.write().await?;
    jixiao_store::enforcement::put_rules(
        &mut tx,
        &caller.actor,
        before.as_ref().map(|r| r.toml.as_str()),
        &b.toml,
        reason,
    )
    .await?;
    let all = all_cases(state).await?;
    let mut flags: HashMap<i64, Vec<FlagRow>> = HashMap::new();
    for f in jixiao_store::enforcement::flags(&state.store).await? {
        flags.entry(f.case_id).or_default().push(f);
    }
    let rows: Vec<(i64, &Case, Before<'_>)> = all
        .iter()
        .map(|(id, c)| {
            let old = flags.get(id).map(Vec::as_slice).unwrap_or_default();
            (*id, c, Before::These(old))
        })
        .collect();
    let (raised, cleared) = evaluate(&mut tx, Some(&set), &rows, reason).await?;
    commit(tx).await?;
    publish_after_change(state).await;
    let mut info = rules(state, caller).await?;
    info.flags_raised = raised;
    info.flags_cleared = cleared;
    Ok(info)
}

async fn all_cases(state: &AppState) -> Result<Vec<(i64, Case)>> {
    jixiao_store::enforcement::cases(&state.store, None)
        .await?
        .iter()
        .map(|r| Ok((r.id, parse_case(r)?)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Data elements

fn quarter_of(d: Day) -> Option<String> {
    let s = d.to_string();
    let month: u32 = s.get(5..7).and_then(|m| m.parse().ok())?;
    Some(format!("{}Q{}", &s[..4], (month - 1) / 3 + 1))
}

/// Counts over one department's cases of one period.
#[derive(Debug, Default)]
struct Tally {
    cases: i64,
    flagged: i64,
    confirmed: BTreeMap<String, i64>,
    major: i64,
    major_reviewed: i64,
    /// certificate → valid on every case so far.
    officers: BTreeMap<String, bool>,
}

/// Writes the data elements counted from the cases (`source = "enforcement"`) for every
/// department with cases and every period any case falls in (counts of none are 0), as counted
/// values (audited, by `system`), where they changed; then the live results and the warnings
/// follow. How many values changed.
pub async fn publish_elements(state: &AppState) -> Result<usize> {
    use jixiao_core::period::{Granularity, Period};
    use jixiao_core::scheme::{EnforcementMeasure, EnforcementSpec};
    let specs: Vec<(String, EnforcementSpec, Granularity)> = {
        let live = state.live.read().await;
        let mut seen = BTreeMap::new();
        for s in live.schemes.values() {
            for e in &s.model.elements {
                if let Some(spec) = &e.def.enforcement {
                    seen.entry(e.code.to_string())
                        .or_insert_with(|| (spec.clone(), e.def.frequency));
                }
            }
        }
        seen.into_iter().map(|(c, (s, f))| (c, s, f)).collect()
    };
    if specs.is_empty() {
        return Ok(0);
    }
    let rows = jixiao_store::enforcement::cases(&state.store, None).await?;
    let flags = jixiao_store::enforcement::flags(&state.store).await?;
    let mut by_case: HashMap<i64, Vec<&FlagRow>> = HashMap::new();
    for f in flags.iter().filter(|f| f.raised) {
        by_case.entry(f.case_id).or_default().push(f);
    }
    let cases: Vec<(&CaseRow, Case, Day)> = rows
        .iter()
        .filter_map(|r| {
            let c: Case = serde_json::from_str(&r.record).ok()?;
            let d = c.day()?;
            Some((r, c, d))
        })
        .collect();
    let depts: BTreeSet<&str> = cases.iter().map(|(r, _, _)| r.dept.as_str()).collect();
    let mut wanted = Vec::new();
    for (element, spec, freq) in &specs {
        let mut tallies: BTreeMap<(String, String), Tally> = BTreeMap::new();
        let mut periods = BTreeSet::new();
        for (r, c, d) in &cases {
            let Some(p) = quarter_of(*d)
                .and_then(|q| Period::parse(&q).ok())
                .and_then(|p| p.containing(*freq))
            else {
                continue;
            };
            let p = p.to_string();
            periods.insert(p.clone());
            let t = tallies.entry((r.dept.clone(), p)).or_default();
            let fl = by_case.get(&r.id).map(Vec::as_slice).unwrap_or_default();
            t.cases += 1;
            if fl.iter().any(|f| f.state != "dismissed") {
                t.flagged += 1;
            }
            for f in fl.iter().filter(|f| f.state == "confirmed") {
                *t.confirmed.entry(f.rule.clone()).or_default() += 1;
            }
            if c.major {
                t.major += 1;
                if !fl
                    .iter()
                    .any(|f| f.rule == "legal_review" && f.state == "confirmed")
                {
                    t.major_reviewed += 1;
                }
            }
            for o in &c.officers {
                let ok = o.valid_on(*d);
                let e = t.officers.entry(o.certificate.clone()).or_insert(true);
                *e &= ok;
            }
        }
        for dept in &depts {
            for p in &periods {
                let empty = Tally::default();
                let t = tallies
                    .get(&((*dept).to_owned(), p.clone()))
                    .unwrap_or(&empty);
                let v: i64 = match spec.measure {
                    EnforcementMeasure::Cases => t.cases,
                    EnforcementMeasure::Flagged => t.flagged,
                    EnforcementMeasure::Confirmed => match spec.rule {
                        Some(rule) => t.confirmed.get(rule.code()).copied().unwrap_or(0),
                        None => t.confirmed.values().sum(),
                    },
                    EnforcementMeasure::Major => t.major,
                    EnforcementMeasure::MajorReviewed => t.major_reviewed,
                    EnforcementMeasure::Officers => t.officers.len() as i64,
                    EnforcementMeasure::OfficersCertified => {
                        t.officers.values().filter(|v| **v).count() as i64
                    }
                };
                let confirmed: i64 = t.confirmed.values().sum();
                // Server-written notes are Chinese (a note is one string, shown on Chinese pages).
                let note = format!(
                    "执法案件 {} 件（重大 {} 件）：有审查标记 {} 件，确认违法 {} 项",
                    t.cases, t.major, t.flagged, confirmed
                );
                wanted.push((
                    element.clone(),
                    (*dept).to_owned(),
                    p.clone(),
                    Decimal::from(v),
                    note,
                ));
            }
        }
    }
    crate::ops::values::write_counted_now(
        state,
        &Actor::system("enforcement"),
        &wanted,
        "value.enforcement",
    )
    .await
}

/// [`publish_elements`] after a change: a failure is logged (the change stands; the next
/// change or the scheduled round writes the elements).
pub async fn publish_after_change(state: &AppState) {
    if let Err(e) = publish_elements(state).await {
        tracing::warn!(error = %e.detail(jixiao_core::text::Lang::En), "could not update the enforcement data elements");
    }
}
