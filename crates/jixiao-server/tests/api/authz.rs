//! The authorization matrix: every endpoint × every role × the caller's own unit or another,
//! from one table. The table must name every operation of the OpenAPI document, so a new
//! endpoint cannot be left out of it.

use crate::{App, Client, Db, scenario};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The demo accounts, by the role they hold; `public` is nobody signed in.
pub const WHO: [&str; 10] = [
    "admin",
    "office",
    "finance",
    "sfj_reviewer",
    "qly_reporter",
    "qly_leader",
    "evaluator",
    "inspector",
    "leader",
    "public",
];

/// Who may: a list of accounts, or these shorthands.
pub const ALL: &[&str] = &WHO;
pub const SIGNED_IN: &[&str] = &[
    "admin",
    "office",
    "finance",
    "sfj_reviewer",
    "qly_reporter",
    "qly_leader",
    "evaluator",
    "inspector",
    "leader",
];
pub const OFFICE: &[&str] = &["admin", "office"];
pub const READERS: &[&str] = &["admin", "office", "finance", "leader"];
/// Who reads the chain of an indicator SFJ leads.
pub const CHAIN_READERS: &[&str] = &["admin", "office", "finance", "leader", "sfj_reviewer"];
/// Who reads what concerns QLY as lead department SFJ sees it.
pub const QLY_READERS: &[&str] = &[
    "admin",
    "office",
    "finance",
    "leader",
    "sfj_reviewer",
    "qly_reporter",
    "qly_leader",
];

struct Case {
    method: &'static str,
    /// The OpenAPI path this exercises.
    template: &'static str,
    /// The concrete path (`{pub}`, `{appeal}`, `{sha}` are filled in after setup).
    path: &'static str,
    body: fn() -> Value,
    allowed: &'static [&'static str],
}

fn none() -> Value {
    json!({})
}

const fn case(
    method: &'static str,
    template: &'static str,
    path: &'static str,
    body: fn() -> Value,
    allowed: &'static [&'static str],
) -> Case {
    Case {
        method,
        template,
        path,
        body,
        allowed,
    }
}

/// Every operation. Where a unit matters, QLY is the reporter's and leader's own unit and MXI
/// another one.
fn table() -> Vec<Case> {
    vec![
        case("GET", "/api/v1/health", "/api/v1/health", none, ALL),
        case("GET", "/api/v1/ready", "/api/v1/ready", none, ALL),
        case("GET", "/api/v1/me", "/api/v1/me", none, SIGNED_IN),
        case(
            "POST",
            "/api/v1/auth/password",
            "/api/v1/auth/password",
            || json!({ "old_password": "wrong", "new_password": "whatever-long-enough" }),
            SIGNED_IN,
        ),
        case("GET", "/api/v1/units", "/api/v1/units", none, SIGNED_IN),
        case(
            "POST",
            "/api/v1/units",
            "/api/v1/units",
            || json!({ "content": "not toml [", "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "GET",
            "/api/v1/units/{code}",
            "/api/v1/units/MXI",
            none,
            SIGNED_IN,
        ),
        case(
            "PUT",
            "/api/v1/units/{code}",
            "/api/v1/units/MXI",
            || json!({ "unit": { "code": "MXI", "name": { "zh": "梅溪街道" }, "level": "subdistrict", "class": "street" }, "version": 999, "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/units/{code}/close",
            "/api/v1/units/MXI/close",
            || json!({ "version": 999, "reason": "matrix", "merged_into": "NOPE" }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/units/{code}/split",
            "/api/v1/units/MXI/split",
            || json!({ "version": 999, "reason": "matrix", "into": [] }),
            OFFICE,
        ),
        case("GET", "/api/v1/schemes", "/api/v1/schemes", none, SIGNED_IN),
        case(
            "POST",
            "/api/v1/schemes",
            "/api/v1/schemes",
            || json!({ "content": "id = 1", "reason": "matrix" }),
            &["admin", "office", "finance"],
        ),
        case(
            "POST",
            "/api/v1/schemes/validate",
            "/api/v1/schemes/validate",
            || json!({ "content": "id = 1" }),
            &["admin", "office", "finance"],
        ),
        case(
            "GET",
            "/api/v1/schemes/{code}/{version}",
            "/api/v1/schemes/wolong-2025/1",
            none,
            SIGNED_IN,
        ),
        case(
            "POST",
            "/api/v1/schemes/{code}/{version}/publish",
            "/api/v1/schemes/wolong-2025/1/publish",
            || json!({ "reason": "matrix" }),
            OFFICE,
        ),
        case("GET", "/api/v1/periods", "/api/v1/periods", none, SIGNED_IN),
        case(
            "POST",
            "/api/v1/periods",
            "/api/v1/periods",
            || json!({ "scheme": "wolong-2025", "period": "2025Q1" }),
            OFFICE,
        ),
        case(
            "PUT",
            "/api/v1/periods/{scheme}/{period}",
            "/api/v1/periods/wolong-2025/2025Q1",
            || json!({ "status": "open", "version": 999, "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "GET",
            "/api/v1/values",
            "/api/v1/values?limit=1",
            none,
            SIGNED_IN,
        ),
        // Reading values: the district's readers, the lead department for what it leads, the unit itself.
        case(
            "GET",
            "/api/v1/values/{unit}/{element}/{period}",
            "/api/v1/values/QLY/mediation_agreements/2025Q1",
            none,
            &[
                "admin",
                "office",
                "finance",
                "leader",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "GET",
            "/api/v1/values/{unit}/{element}/{period}",
            "/api/v1/values/MXI/certified_officers/2025Q1",
            none,
            &["admin", "office", "finance", "leader", "sfj_reviewer"],
        ),
        case(
            "PUT",
            "/api/v1/values/{unit}/{element}/{period}",
            "/api/v1/values/QLY/mediation_cases/2025Q1",
            || json!({ "value": "1", "version": 0 }),
            &["admin", "office", "qly_reporter"],
        ),
        case(
            "PUT",
            "/api/v1/values/{unit}/{element}/{period}",
            "/api/v1/values/MXI/mediation_cases/2025Q1",
            || json!({ "value": "1", "version": 0 }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/{transition}",
            "/api/v1/values/QLY/mediation_cases/2025Q1/submit",
            || json!({ "version": 0 }),
            &["admin", "office", "qly_reporter"],
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/{transition}",
            "/api/v1/values/MXI/mediation_cases/2025Q1/submit",
            || json!({ "version": 0 }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/{transition}",
            "/api/v1/values/QLY/mediation_cases/2025Q1/approve",
            || json!({ "version": 0 }),
            &["admin", "office", "qly_leader"],
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/{transition}",
            "/api/v1/values/MXI/mediation_cases/2025Q1/approve",
            || json!({ "version": 0 }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/{transition}",
            "/api/v1/values/MXI/mediation_cases/2025Q1/verify",
            || json!({ "version": 0 }),
            &["admin", "office", "sfj_reviewer"],
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/{transition}",
            "/api/v1/values/MXI/hazards_found/2025Q1/verify",
            || json!({ "version": 0 }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/{transition}",
            "/api/v1/values/QLY/mediation_cases/2025Q1/count",
            || json!({ "version": 0 }),
            OFFICE,
        ),
        // A counted value can be returned only by the office.
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/{transition}",
            "/api/v1/values/QLY/mediation_cases/2025Q1/return",
            || json!({ "version": 0, "reason": "matrix" }),
            OFFICE,
        ),
        // Inspection data: the inspector of 潦河镇 enters them, and only there.
        case(
            "PUT",
            "/api/v1/values/{unit}/{element}/{period}",
            "/api/v1/values/LHE/safety_inspection/2025Q1",
            || json!({ "value": "90", "version": 0 }),
            &["admin", "office", "inspector"],
        ),
        case(
            "PUT",
            "/api/v1/values/{unit}/{element}/{period}",
            "/api/v1/values/PSH/safety_inspection/2025Q1",
            || json!({ "value": "90", "version": 0 }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/evidence",
            "/api/v1/values/QLY/mediation_cases/2025Q1/evidence",
            none,
            &["admin", "office", "qly_reporter"],
        ),
        case(
            "POST",
            "/api/v1/values/{unit}/{element}/{period}/evidence",
            "/api/v1/values/MXI/mediation_cases/2025Q1/evidence",
            none,
            OFFICE,
        ),
        case(
            "GET",
            "/api/v1/exports/values",
            "/api/v1/exports/values?period=2025Q1&format=csv",
            none,
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/exports/rankings/{scheme}/{period}",
            "/api/v1/exports/rankings/wolong-2025/2025?format=csv",
            none,
            READERS,
        ),
        case(
            "GET",
            "/api/v1/exports/audit",
            "/api/v1/exports/audit?format=csv&contains=QLY",
            none,
            OFFICE,
        ),
        // A dry run of one QLY value: who may enter it may import it.
        case(
            "POST",
            "/api/v1/imports",
            "/api/v1/imports?dry_run=true",
            none,
            &["admin", "office", "qly_reporter"],
        ),
        case(
            "GET",
            "/api/v1/evidence/{sha256}",
            "/api/v1/evidence/{sha}",
            none,
            &[
                "admin",
                "office",
                "finance",
                "leader",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "GET",
            "/api/v1/results/{scheme}/{period}",
            "/api/v1/results/wolong-2025/2025",
            none,
            READERS,
        ),
        case(
            "GET",
            "/api/v1/applied/{scheme}/{period}",
            "/api/v1/applied/wolong-2025/2025",
            none,
            READERS,
        ),
        // Budget projects: a list for everyone signed in (filtered); declared by finance or the
        // department; the gates run by finance; scored by the assigned expert.
        case(
            "GET",
            "/api/v1/projects",
            "/api/v1/projects",
            none,
            SIGNED_IN,
        ),
        case(
            "POST",
            "/api/v1/projects",
            "/api/v1/projects",
            || json!({ "code": "M-1", "name_zh": "矩阵", "dept": "JTJ", "year": 2026, "amount": "x", "fund_source": "一般公共预算", "kind": "new", "reason": "matrix" }),
            &["admin", "finance"],
        ),
        case(
            "GET",
            "/api/v1/projects/{code}",
            "/api/v1/projects/XM2026-01",
            none,
            &["admin", "office", "finance", "leader", "evaluator"],
        ),
        case(
            "POST",
            "/api/v1/projects/{code}/experts",
            "/api/v1/projects/XM2026-03/experts",
            || json!({ "experts": ["evaluator"], "version": 999, "reason": "matrix" }),
            &["admin", "finance"],
        ),
        case(
            "POST",
            "/api/v1/projects/{code}/scores",
            "/api/v1/projects/XM2026-03/scores",
            || json!({ "scores": ["x"] }),
            &["evaluator"],
        ),
        case(
            "POST",
            "/api/v1/projects/{code}/conclusion",
            "/api/v1/projects/XM2026-03/conclusion",
            || json!({ "version": 999, "reason": "matrix" }),
            &["admin", "finance"],
        ),
        case(
            "PUT",
            "/api/v1/projects/{code}/targets",
            "/api/v1/projects/XM2026-04/targets",
            || json!({ "targets": [], "version": 999, "reason": "matrix" }),
            &["admin", "finance"],
        ),
        case(
            "POST",
            "/api/v1/projects/{code}/targets/review",
            "/api/v1/projects/XM2026-04/targets/review",
            || json!({ "decision": "approve", "version": 999, "reason": "matrix" }),
            &["admin", "finance"],
        ),
        case(
            "POST",
            "/api/v1/projects/{code}/monitoring",
            "/api/v1/projects/XM2026-01/monitoring",
            || json!({ "date": "x", "spent": "x", "completed": [] }),
            &["admin", "finance"],
        ),
        case(
            "GET",
            "/api/v1/monitoring",
            "/api/v1/monitoring",
            none,
            READERS,
        ),
        case(
            "GET",
            "/api/v1/budget-adjustment/{scheme}/{period}",
            "/api/v1/budget-adjustment/wolong-budget-self-2025/2025",
            none,
            READERS,
        ),
        // Cross-inspection rounds: the office sets them up; the district's readers and the
        // round's inspectors read them; a team's members record scores.
        case(
            "GET",
            "/api/v1/inspections",
            "/api/v1/inspections",
            none,
            SIGNED_IN,
        ),
        case(
            "POST",
            "/api/v1/inspections",
            "/api/v1/inspections",
            || json!({ "period": "x", "title": "矩阵", "element": "safety_inspection", "teams": [], "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "GET",
            "/api/v1/inspections/{id}",
            "/api/v1/inspections/1",
            none,
            &["admin", "office", "finance", "leader", "inspector"],
        ),
        case(
            "POST",
            "/api/v1/inspections/{id}/generate",
            "/api/v1/inspections/1/generate",
            || json!({ "version": 999, "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "PUT",
            "/api/v1/inspections/{id}/assignments",
            "/api/v1/inspections/1/assignments",
            || json!({ "assignments": [], "version": 999, "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/inspections/{id}/scores",
            "/api/v1/inspections/1/scores",
            || json!({ "unit": "NOPE", "score": "x" }),
            &["admin", "office", "inspector"],
        ),
        case(
            "POST",
            "/api/v1/inspections/{id}/hazards",
            "/api/v1/inspections/1/hazards",
            || json!({ "unit": "NOPE", "location": "x", "category": "fire", "severity": "major", "description": "x", "deadline": "2099-01-01" }),
            &["admin", "office", "inspector"],
        ),
        // A hazard's photo: the office, or the team that recorded it (demo hazard 2, at 武侯街道,
        // is not the inspector's team's).
        case(
            "POST",
            "/api/v1/inspections/hazards/{hazard}/photos",
            "/api/v1/inspections/hazards/2/photos",
            none,
            OFFICE,
        ),
        // Satisfaction surveys: the office runs them, the district's readers read them; the
        // questionnaire and the answer are public (a bad answer here: nothing recorded).
        case("GET", "/api/v1/surveys", "/api/v1/surveys", none, READERS),
        case(
            "POST",
            "/api/v1/surveys",
            "/api/v1/surveys",
            || json!({ "title": "矩阵", "period": "x", "element": "satisfaction", "units": [], "questions": [], "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "GET",
            "/api/v1/surveys/{id}",
            "/api/v1/surveys/1",
            none,
            READERS,
        ),
        case(
            "POST",
            "/api/v1/surveys/{id}/codes",
            "/api/v1/surveys/1/codes",
            || json!({ "unit": "QLY-C01", "count": 0, "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/surveys/{id}/publish",
            "/api/v1/surveys/1/publish",
            none,
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/surveys/{id}/close",
            "/api/v1/surveys/1/close",
            || json!({ "version": 999, "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "GET",
            "/api/v1/public/surveys/{id}/{unit}",
            "/api/v1/public/surveys/1/QLY-C01",
            none,
            ALL,
        ),
        case(
            "POST",
            "/api/v1/public/surveys/{id}/{unit}",
            "/api/v1/public/surveys/1/QLY-C01",
            || json!({ "choices": {} }),
            ALL,
        ),
        // Enforcement cases: a department (QLY) its own, the legal office (SFJ) and the
        // district's readers all; the legal office decides the flags and keeps the rule file.
        case(
            "GET",
            "/api/v1/enforcement/cases",
            "/api/v1/enforcement/cases",
            none,
            &[
                "admin",
                "office",
                "leader",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "POST",
            "/api/v1/enforcement/cases",
            "/api/v1/enforcement/cases",
            || json!({ "cases": [], "reason": "matrix" }),
            &[
                "admin",
                "office",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "POST",
            "/api/v1/enforcement/import",
            "/api/v1/enforcement/import",
            none,
            &[
                "admin",
                "office",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "GET",
            "/api/v1/enforcement/template",
            "/api/v1/enforcement/template",
            none,
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/enforcement/cases/{id}",
            "/api/v1/enforcement/cases/{ecase}",
            none,
            &[
                "admin",
                "office",
                "leader",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "POST",
            "/api/v1/enforcement/flags/{id}",
            "/api/v1/enforcement/flags/{eflag}",
            || json!({ "state": "dismissed", "reason": "matrix", "version": 999 }),
            &["admin", "office", "sfj_reviewer"],
        ),
        case(
            "GET",
            "/api/v1/enforcement/rules",
            "/api/v1/enforcement/rules",
            none,
            &[
                "admin",
                "office",
                "leader",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "PUT",
            "/api/v1/enforcement/rules",
            "/api/v1/enforcement/rules",
            || json!({ "toml": "days = ", "reason": "matrix" }),
            &["admin", "office", "sfj_reviewer"],
        ),
        case(
            "POST",
            "/api/v1/projects/import",
            "/api/v1/projects/import",
            || json!({ "reason": "matrix", "projects": [{ "code": "M-2", "name_zh": "矩阵", "dept": "JTJ", "year": 2026, "amount": "x", "fund_source": "一般公共预算", "kind": "new" }] }),
            &["admin", "finance", "qly_reporter", "qly_leader"],
        ),
        case(
            "POST",
            "/api/v1/monitoring/import",
            "/api/v1/monitoring/import",
            || json!({ "reports": [{ "code": "XM2026-01", "date": "2026-10-31", "spent": "x", "completed": ["1"] }] }),
            &["admin", "finance", "qly_reporter", "qly_leader"],
        ),
        case(
            "POST",
            "/api/v1/budget-adjustment/{scheme}/{period}/publish",
            "/api/v1/budget-adjustment/wolong-budget-self-2025/2025/publish",
            || json!({ "reason": "", "kind": "provisional" }),
            &["admin", "finance"],
        ),
        case(
            "GET",
            "/api/v1/budget-adjustment/{scheme}/{period}/published",
            "/api/v1/budget-adjustment/wolong-budget-self-2025/2025/published",
            none,
            &[
                "admin",
                "office",
                "finance",
                "leader",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "GET",
            "/api/v1/monitoring/{date}",
            "/api/v1/monitoring/2026-06-30",
            none,
            READERS,
        ),
        // Earlier results (往期结果): read with the rankings, recorded by the office.
        case(
            "GET",
            "/api/v1/earlier/{scheme}",
            "/api/v1/earlier/wolong-2025",
            none,
            READERS,
        ),
        case(
            "PUT",
            "/api/v1/earlier/{scheme}",
            "/api/v1/earlier/wolong-2025",
            || json!({ "period": "2022", "reason": "matrix", "rows": [{ "unit": "QLY", "grade": "good" }] }),
            OFFICE,
        ),
        // 五链: the district's readers and the indicator's lead department (SFJ).
        case(
            "GET",
            "/api/v1/chain/{scheme}/{period}/{indicator}",
            "/api/v1/chain/wolong-2025/2025Q4/mediation",
            none,
            CHAIN_READERS,
        ),
        case(
            "GET",
            "/api/v1/results/{scheme}/{period}/units/{unit}",
            "/api/v1/results/wolong-2025/2025/units/QLY",
            none,
            &[
                "admin",
                "office",
                "finance",
                "leader",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        case(
            "GET",
            "/api/v1/results/{scheme}/{period}/units/{unit}",
            "/api/v1/results/wolong-2025/2025/units/MXI",
            none,
            &["admin", "office", "finance", "leader", "sfj_reviewer"],
        ),
        case(
            "POST",
            "/api/v1/results/{scheme}/{period}/whatif",
            "/api/v1/results/wolong-2025/2025/whatif",
            || json!({ "coef": ["MXI/investment=0.9"] }),
            READERS,
        ),
        case("GET", "/api/v1/review", "/api/v1/review", none, SIGNED_IN),
        case(
            "POST",
            "/api/v1/review",
            "/api/v1/review",
            || json!({ "action": "forward", "values": [] }),
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/publications",
            "/api/v1/publications",
            none,
            ALL,
        ),
        case(
            "GET",
            "/api/v1/publications/readiness",
            "/api/v1/publications/readiness?scheme=wolong-2025&period=2025Q4",
            none,
            &["admin", "office"],
        ),
        case(
            "GET",
            "/api/v1/publications/{id}",
            "/api/v1/publications/{pub}",
            none,
            ALL,
        ),
        case(
            "POST",
            "/api/v1/publications",
            "/api/v1/publications",
            || json!({ "scheme": "wolong-budget-self-2025", "period": "2025", "reason": "matrix" }),
            &["admin", "office", "finance"],
        ),
        case(
            "POST",
            "/api/v1/publications/{id}/rescore",
            "/api/v1/publications/{pub}/rescore",
            none,
            OFFICE,
        ),
        case("GET", "/api/v1/appeals", "/api/v1/appeals", none, SIGNED_IN),
        case(
            "POST",
            "/api/v1/appeals",
            "/api/v1/appeals",
            || json!({ "publication_id": 0, "unit": "QLY", "indicator": "mediation", "reason": "matrix" }),
            &["qly_reporter", "qly_leader"],
        ),
        case(
            "POST",
            "/api/v1/appeals",
            "/api/v1/appeals",
            || json!({ "publication_id": 0, "unit": "MXI", "indicator": "mediation", "reason": "matrix" }),
            &[],
        ),
        case(
            "POST",
            "/api/v1/appeals/{id}/resolve",
            "/api/v1/appeals/{appeal}/resolve",
            || json!({ "decision": "reject", "reason": "matrix", "version": 999 }),
            OFFICE,
        ),
        case(
            "POST",
            "/api/v1/appeals/{id}/evidence",
            "/api/v1/appeals/{appeal}/evidence",
            none,
            &["office", "qly_reporter", "qly_leader"],
        ),
        case(
            "GET",
            "/api/v1/audit",
            "/api/v1/audit?limit=1",
            none,
            OFFICE,
        ),
        case(
            "GET",
            "/api/v1/audit/verify",
            "/api/v1/audit/verify",
            none,
            OFFICE,
        ),
        case("GET", "/api/v1/users", "/api/v1/users", none, &["admin"]),
        case(
            "POST",
            "/api/v1/users",
            "/api/v1/users",
            || json!({ "username": "x", "display_name": "x", "password": "short", "role": "leader" }),
            &["admin"],
        ),
        case(
            "POST",
            "/api/v1/users/{username}/disable",
            "/api/v1/users/leader/disable",
            || json!({ "disabled": false, "reason": "matrix" }),
            &["admin"],
        ),
        case(
            "GET",
            "/api/v1/api-keys",
            "/api/v1/api-keys",
            none,
            &["admin"],
        ),
        case(
            "POST",
            "/api/v1/api-keys",
            "/api/v1/api-keys",
            || json!({ "name": "m", "role": "public" }),
            &["admin"],
        ),
        case(
            "POST",
            "/api/v1/api-keys/{prefix}/revoke",
            "/api/v1/api-keys/nope/revoke",
            || json!({ "reason": "matrix" }),
            &["admin"],
        ),
        case("GET", "/api/v1/feeds", "/api/v1/feeds", none, OFFICE),
        case(
            "GET",
            "/api/v1/feeds/{code}",
            "/api/v1/feeds/approval_kiosk",
            none,
            OFFICE,
        ),
        // An empty definition: allowed callers get 422 and nothing changes.
        case(
            "PUT",
            "/api/v1/feeds/{code}",
            "/api/v1/feeds/approval_kiosk",
            || json!({ "definition": { "name": { "zh": "x" }, "fields": {} }, "reason": "matrix" }),
            OFFICE,
        ),
        // Only machines (API keys with role `feed`) post events; no person does.
        case(
            "POST",
            "/api/v1/feeds/{code}/events",
            "/api/v1/feeds/approval_kiosk/events",
            || json!({ "id": "matrix", "unit": "SPJ", "at": "2025-05-01", "data": {} }),
            &[],
        ),
        case(
            "GET",
            "/api/v1/dhis2/mappings",
            "/api/v1/dhis2/mappings",
            none,
            OFFICE,
        ),
        // An invalid table: allowed callers get 422 and nothing changes.
        case(
            "PUT",
            "/api/v1/dhis2/mappings",
            "/api/v1/dhis2/mappings",
            || json!({ "mappings": [{ "kind": "nope", "dhis2": "x", "jixiao": "y" }], "reason": "matrix" }),
            OFFICE,
        ),
        case(
            "GET",
            "/api/v1/exports/dhis2",
            "/api/v1/exports/dhis2?unit=QLY&period=2025Q4",
            none,
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/results/{scheme}/{period}/reporting",
            "/api/v1/results/wolong-2025/2025Q4/reporting",
            none,
            READERS,
        ),
        // Warnings: the QLY litigation warning raised in the setup (lead department SFJ).
        case(
            "GET",
            "/api/v1/warnings",
            "/api/v1/warnings",
            none,
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/warnings/ages",
            "/api/v1/warnings/ages",
            none,
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/warnings/{id}",
            "/api/v1/warnings/{warning}",
            none,
            QLY_READERS,
        ),
        case(
            "POST",
            "/api/v1/warnings/{id}/answer",
            "/api/v1/warnings/{warning}/answer",
            || json!({ "version": 999, "cause": "matrix", "measures": "matrix" }),
            &["qly_reporter", "qly_leader"],
        ),
        case(
            "POST",
            "/api/v1/warnings/{id}/close",
            "/api/v1/warnings/{warning}/close",
            || json!({ "version": 999, "reason": "matrix" }),
            OFFICE,
        ),
        // Rectification: a task of QLY verified by SFJ.
        case(
            "GET",
            "/api/v1/rectifications",
            "/api/v1/rectifications",
            none,
            SIGNED_IN,
        ),
        case(
            "POST",
            "/api/v1/rectifications",
            "/api/v1/rectifications",
            || json!({ "unit": "QLY", "period": "2025Q4", "problem": "matrix", "deadline": "2026-12-31", "verifier": "SFJ" }),
            &["admin", "office", "sfj_reviewer"],
        ),
        case(
            "GET",
            "/api/v1/rectifications/rates",
            "/api/v1/rectifications/rates",
            none,
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/rectifications/{id}",
            "/api/v1/rectifications/{task}",
            none,
            QLY_READERS,
        ),
        case(
            "POST",
            "/api/v1/rectifications/{id}/act",
            "/api/v1/rectifications/{task}/act",
            || json!({ "action": "start", "version": 999 }),
            &["qly_reporter", "qly_leader"],
        ),
        case(
            "POST",
            "/api/v1/rectifications/{id}/evidence",
            "/api/v1/rectifications/{task}/evidence",
            none,
            &[
                "admin",
                "office",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        // Everyone has an inbox and chooses channels; only the admin configures outgoing ones.
        case("GET", "/api/v1/notices", "/api/v1/notices", none, SIGNED_IN),
        case(
            "POST",
            "/api/v1/notices/read",
            "/api/v1/notices/read",
            || json!({}),
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/notices/prefs",
            "/api/v1/notices/prefs",
            none,
            SIGNED_IN,
        ),
        case(
            "PUT",
            "/api/v1/notices/prefs",
            "/api/v1/notices/prefs",
            || json!({ "email_kinds": [] }),
            SIGNED_IN,
        ),
        case(
            "GET",
            "/api/v1/channels",
            "/api/v1/channels",
            none,
            &["admin"],
        ),
        case(
            "POST",
            "/api/v1/channels",
            "/api/v1/channels",
            || json!({ "name": "matrix", "kind": "webhook", "target": "http://127.0.0.1:9/hook" }),
            &["admin"],
        ),
        case(
            "POST",
            "/api/v1/channels/{id}/enabled",
            "/api/v1/channels/{channel}/enabled",
            || json!({ "enabled": false }),
            &["admin"],
        ),
        case(
            "POST",
            "/api/v1/periods/{scheme}/{period}/remind",
            "/api/v1/periods/wolong-2025/2025Q4/remind",
            none,
            OFFICE,
        ),
        // Signing in and out are for everyone; they come last because they change the session.
        case(
            "POST",
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            || json!({ "username": "nobody", "password": "wrong" }),
            ALL,
        ),
        case(
            "POST",
            "/api/v1/auth/logout",
            "/api/v1/auth/logout",
            none,
            ALL,
        ),
    ]
}

/// Denied means: not signed in (401 unauthorized), forbidden (403), or — where existence itself
/// is private — not found.
fn denied(status: u16, body: &Value, hides_existence: bool) -> bool {
    let code = body["code"].as_str().unwrap_or("");
    matches!((status, code), (401, "unauthorized") | (403, "forbidden"))
        || (hides_existence && status == 404)
}

async fn call(c: &Client, case: &Case, path: &str) -> (u16, Value) {
    let r = if path.starts_with("/api/v1/imports") {
        let form = axum_test::multipart::MultipartForm::new().add_part(
            "file",
            axum_test::multipart::Part::bytes(
                b"unit,item,period,value\nQLY,mediation_cases,2025Q4,40\n".to_vec(),
            )
            .file_name("m.csv"),
        );
        c.server
            .post(path)
            .add_header("x-csrf-token", c.csrf.clone().unwrap_or_default().as_str())
            .multipart(form)
            .await
    } else if (path.ends_with("/evidence") || path.ends_with("/photos")) && case.method == "POST" {
        let form = axum_test::multipart::MultipartForm::new().add_part(
            "file",
            axum_test::multipart::Part::bytes(b"%PDF-1.4 matrix".to_vec())
                .file_name("m.pdf")
                .mime_type("application/pdf"),
        );
        c.server
            .post(path)
            .add_header("x-csrf-token", c.csrf.clone().unwrap_or_default().as_str())
            .multipart(form)
            .await
    } else {
        match case.method {
            "GET" => c.get(path).await,
            "PUT" => c.put(path, (case.body)()).await,
            _ => c.post(path, (case.body)()).await,
        }
    };
    (
        r.status_code().as_u16(),
        serde_json::from_slice(r.as_bytes()).unwrap_or(Value::Null),
    )
}

async fn authorization_matrix(db: Db) {
    let app = App::spawn(db).await;
    // Each account signs in once (the first sign-in changes its password).
    let mut clients = Vec::new();
    for who in WHO {
        clients.push(if who == "public" {
            app.client()
        } else {
            app.user(who).await
        });
    }
    let by = |name: &str| &clients[WHO.iter().position(|w| *w == name).expect("account")];
    let office = by("office");
    // Something to point at: a file, a publication, an appeal.
    let sha = crate::attach_pdf(
        office,
        "/api/v1/values/QLY/mediation_cases/2025Q2/evidence",
        b"%PDF-1.4 setup",
        "s.pdf",
    )
    .await;
    // A red warning of QLY, a rectification task, a channel.
    let (warning_id, task_id, channel_id) =
        crate::followup::something_to_follow(office, by("qly_reporter"), by("admin")).await;
    crate::count_the_last_survey_score(office).await;
    let publication = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "setup" }),
            201,
        )
        .await;
    let pub_id = publication["id"].to_string();
    // A case of QLY, and a flag (of another department's case).
    let ecase = jixiao_store::enforcement::cases(&app.state.store, Some("QLY"))
        .await
        .expect("cases")[0]
        .id
        .to_string();
    let eflag = jixiao_store::enforcement::flags(&app.state.store)
        .await
        .expect("flags")
        .iter()
        .find(|f| f.raised && f.state == "open")
        .expect("an open flag")
        .id
        .to_string();
    let leader = by("qly_leader");
    let appeal = leader.ok_post("/api/v1/appeals", json!({ "publication_id": publication["id"], "unit": "QLY", "indicator": "litigation_loss", "reason": "setup" }), 201).await;
    let appeal_id = appeal["id"].to_string();

    // Every operation of the OpenAPI document is in the table.
    let openapi = app.client().ok_get("/api/v1/openapi.json").await;
    assert_eq!(openapi["openapi"], "3.1.0");
    // The docs page can send what writes need: the CSRF header, or an API key.
    let schemes = &openapi["components"]["securitySchemes"];
    assert_eq!(schemes["csrf"]["name"], "x-csrf-token");
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    let mut documented = BTreeSet::new();
    for (path, ops) in openapi["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let cases = table();
    let tested: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_owned(), c.template.to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&tested).collect();
    assert!(
        missing.is_empty(),
        "endpoints missing from the authorization table: {missing:?}"
    );
    let stale: Vec<_> = tested.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "table rows for endpoints that do not exist: {stale:?}"
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        let path = case
            .path
            .replace("{sha}", &sha)
            .replace("{pub}", &pub_id)
            .replace("{appeal}", &appeal_id)
            .replace("{warning}", &warning_id)
            .replace("{task}", &task_id)
            .replace("{channel}", &channel_id)
            .replace("{ecase}", &ecase)
            .replace("{eflag}", &eflag);
        for (who, client) in WHO.iter().zip(&clients) {
            let (status, body) = if case.template == "/api/v1/appeals" && case.method == "POST" {
                // Point the appeal at the real publication.
                let mut b = (case.body)();
                b["publication_id"] = publication["id"].clone();
                let r = client.post(&path, b).await;
                (
                    r.status_code().as_u16(),
                    serde_json::from_slice(r.as_bytes()).unwrap_or(Value::Null),
                )
            } else {
                call(client, case, &path).await
            };
            let expect_allowed = case.allowed.contains(who);
            // Evidence, warnings and tasks do not tell outsiders they exist.
            let hides = case.template == "/api/v1/evidence/{sha256}"
                || (case.method == "GET"
                    && ["/api/v1/warnings/{id}", "/api/v1/rectifications/{id}"]
                        .contains(&case.template))
                || case.template == "/api/v1/rectifications/{id}/act"
                || case.template.starts_with("/api/v1/projects/{code}")
                || case.template.starts_with("/api/v1/inspections/{id}")
                || case.template.starts_with("/api/v1/inspections/hazards/")
                || case.template == "/api/v1/rectifications/{id}/evidence"
                || case.template.starts_with("/api/v1/enforcement/cases/")
                || case.template.starts_with("/api/v1/enforcement/flags/");
            let was_denied = denied(status, &body, hides);
            checked += 1;
            // An allowed caller must reach the operation itself: a 404 would mean the row
            // points at nothing and proves nothing (except where the target is made up on purpose).
            let missed = expect_allowed && status == 404 && !case.path.contains("nope");
            if expect_allowed == was_denied || missed {
                failures.push(format!(
                    "{} {path} as {who}: expected {}, got {status} {}",
                    case.method,
                    if expect_allowed { "allowed" } else { "denied" },
                    body["code"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 500, "{checked}");
}
scenario!(authorization_matrix);
