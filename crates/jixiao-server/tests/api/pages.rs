//! The authorization matrix of the pages: every page route × every role × the caller's own
//! unit or another. A page a role may see answers 2xx; one it may not answers 403 (401 or a
//! redirect to the sign-in page for nobody signed in). Form posts: a role that may not gets
//! 403 and nothing changes; one that may reaches the operation (its answer, not a refusal).

use crate::{App, Db, scenario};
use serde_json::json;

use crate::authz::{ALL, CHAIN_READERS, OFFICE, QLY_READERS, READERS, SIGNED_IN, WHO};

/// Every demo account signed in (nobody for `public`), in the order of [`WHO`], with the year
/// published (so the public pages have something to show): the clients and the publication.
async fn everyone(app: &App) -> (Vec<crate::Client>, serde_json::Value) {
    let mut clients = Vec::new();
    for who in WHO {
        clients.push(if who == "public" {
            app.client()
        } else {
            app.user(who).await
        });
    }
    let office = &clients[1];
    crate::count_the_last_survey_score(office).await;
    let publication = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "matrix" }),
            201,
        )
        .await;
    (clients, publication)
}

/// Who may read QLY's results and values (ReadUnit): the district's readers, lead
/// departments, and QLY's own people (its subtree included).
const READ_QLY: &[&str] = &[
    "admin",
    "office",
    "finance",
    "sfj_reviewer",
    "leader",
    "qly_reporter",
    "qly_leader",
];
/// Another street's: the district's readers and lead departments only.
const READ_MXI: &[&str] = &["admin", "office", "finance", "sfj_reviewer", "leader"];

/// Every GET page: the path and who may see it (2xx); everyone else is refused.
fn pages() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("/login", ALL),
        ("/public", ALL),
        ("/public/{pub}", ALL),
        ("/static/app.css", ALL),
        ("/static/app.js", ALL),
        ("/", SIGNED_IN),
        ("/auth/password", SIGNED_IN),
        // The entry list, the review queue, appeals, the organisation and the schemes show
        // each signed-in person what concerns them (an empty list for some roles), as the API
        // lists them.
        ("/entry", SIGNED_IN),
        ("/review", SIGNED_IN),
        ("/appeals", SIGNED_IN),
        ("/units", SIGNED_IN),
        ("/schemes/wolong-2025", SIGNED_IN),
        // A unit's form: those who enter its numbers (own unit), never another unit's people.
        ("/entry/QLY/2025Q4", &["admin", "office", "qly_reporter"]),
        (
            "/entry/QLY-C01/2025Q4",
            &["admin", "office", "qly_reporter"],
        ),
        ("/entry/MXI/2025Q4", OFFICE),
        (
            "/entry/QLY/2025Q4/xlsx",
            &["admin", "office", "qly_reporter"],
        ),
        ("/entry/MXI/2025Q4/xlsx", OFFICE),
        (
            "/entry/QLY/2025Q4/compute/mediation_rate?v:mediation_cases=40&v:mediation_agreements=30",
            READ_QLY,
        ),
        (
            "/entry/QLY/2025Q4/checks?mediation_cases=40&mediation_agreements=30",
            &["admin", "office", "qly_reporter"],
        ),
        ("/entry/MXI/2025Q4/checks?mediation_cases=40", OFFICE),
        ("/dashboard/wolong-2025/2025Q4", READERS),
        ("/report/wolong-2025/2025Q4/QLY", READ_QLY),
        ("/report/wolong-2025/2025Q4/QLY-C01", READ_QLY),
        ("/report/wolong-2025/2025Q4/MXI", READ_MXI),
        ("/publish", &["admin", "office", "finance"]),
        (
            "/import",
            &["admin", "office", "qly_reporter", "evaluator", "inspector"],
        ),
        (
            "/import/template?scheme=wolong-2025&class=street&period=2025Q4",
            &["admin", "office", "qly_reporter", "inspector"],
        ),
        ("/audit", OFFICE),
        ("/feeds", OFFICE),
        ("/dhis2", OFFICE),
        ("/schemes/wolong-2025/whatif", READERS),
        // The 结果运用 report: live, as published, as a workbook.
        ("/applied/wolong-2025/2025", READERS),
        ("/chain/wolong-2025/2025Q4/mediation", CHAIN_READERS),
        ("/earlier/wolong-2025", READERS),
        // Budget projects: everyone signed in has a list (their own); a project to the
        // district's readers, and to the expert assigned to it.
        ("/projects", SIGNED_IN),
        ("/monitoring", READERS),
        ("/budget-adjustment/wolong-budget-self-2025/2025", READERS),
        (
            "/budget-adjustment/wolong-budget-self-2025/2025?format=xlsx",
            READERS,
        ),
        ("/monitoring/2026-06-30", READERS),
        ("/monitoring/2026-06-30?format=xlsx", READERS),
        (
            "/projects/XM2026-01",
            &["admin", "office", "finance", "leader", "evaluator"],
        ),
        ("/earlier/wolong-2025?format=xlsx", OFFICE),
        // Cross-inspection rounds: a list for everyone (their own); a round to the office, the
        // district's readers and its inspectors; the published adjustment table to a street's
        // people too (their own lines).
        ("/inspections", SIGNED_IN),
        (
            "/inspections/1",
            &["admin", "office", "finance", "leader", "inspector"],
        ),
        (
            "/inspections/1?format=xlsx",
            &["admin", "office", "finance", "leader", "inspector"],
        ),
        ("/surveys", READERS),
        ("/surveys/1", READERS),
        ("/s/1/QLY-C01", ALL),
        ("/s/1/QLY-C01/qr.svg", ALL),
        (
            "/budget-adjustment/wolong-budget-self-2025/2025?published=1",
            &[
                "admin",
                "office",
                "finance",
                "leader",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        ("/applied/wolong-2025/2025?publication={pub}", READERS),
        (
            "/applied/wolong-2025/2025?kind=provisional&format=xlsx",
            READERS,
        ),
        // Follow-up: everyone's inbox and lists (each sees what concerns them); a warning or a
        // task of QLY to those who may read it; the channels to the admin.
        ("/inbox", SIGNED_IN),
        ("/warnings", SIGNED_IN),
        ("/warnings?level=red&state=active&unit=QLY", SIGNED_IN),
        ("/warnings/{warning}", QLY_READERS),
        ("/rectifications", SIGNED_IN),
        ("/rectifications?format=xlsx", SIGNED_IN),
        ("/rectifications/{task}", QLY_READERS),
        ("/channels", &["admin"]),
        // Enforcement cases: QLY its own, the legal office and the district's readers all;
        // recording for those who may record some department's cases.
        ("/enforcement", ENF_READERS),
        ("/enforcement?rule=time_limit&state=open", ENF_READERS),
        ("/enforcement/cases/{ecase}", ENF_READERS),
        ("/enforcement/rules", ENF_READERS),
        ("/enforcement/new", ENF_RECORDERS),
        ("/enforcement/template", SIGNED_IN),
    ]
}

const ENF_READERS: &[&str] = &[
    "admin",
    "office",
    "leader",
    "sfj_reviewer",
    "qly_reporter",
    "qly_leader",
];
const ENF_RECORDERS: &[&str] = &[
    "admin",
    "office",
    "sfj_reviewer",
    "qly_reporter",
    "qly_leader",
];

/// Pages whose target's existence is private: a 404 is a refusal too.
fn hides(path: &str) -> bool {
    [
        "/warnings/",
        "/rectifications/",
        "/projects/",
        "/inspections/",
        "/enforcement/cases/",
        "/enforcement/flags/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// Whether an answer refuses: 401/403, or (nobody signed in) a redirect to the sign-in page.
fn refused(status: u16, location: Option<&str>) -> bool {
    matches!(status, 401 | 403)
        || (matches!(status, 302 | 303 | 307) && location.is_some_and(|l| l.starts_with("/login")))
}

async fn pages_answer_by_role_and_unit(db: Db) {
    let app = App::spawn(db).await;
    let (clients, publication) = everyone(&app).await;
    let pub_id = publication["id"].to_string();
    let (warning, task, _) =
        crate::followup::something_to_follow(&clients[1], &clients[4], &clients[0]).await;
    let (ecase, _) = crate::enforcement::qly_case_and_flag(&app).await;
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for (path, allowed) in pages() {
        let path = path
            .replace("{pub}", &pub_id)
            .replace("{warning}", &warning)
            .replace("{task}", &task)
            .replace("{ecase}", &ecase);
        let mut row = vec![path.clone()];
        for (who, c) in WHO.iter().zip(&clients) {
            let r = c.get(&path).await;
            let status = r.status_code().as_u16();
            let location = r
                .maybe_header("location")
                .and_then(|h| h.to_str().ok().map(str::to_owned));
            row.push(format!("{who}:{status}"));
            let ok = (200..300).contains(&status);
            let expect = allowed.contains(who);
            if expect && !ok {
                failures.push(format!(
                    "GET {path} as {who}: expected 2xx, got {status} {location:?}"
                ));
            }
            let was_refused =
                refused(status, location.as_deref()) || (status == 404 && hides(&path));
            if !expect && !was_refused {
                failures.push(format!(
                    "GET {path} as {who}: expected a refusal, got {status} {location:?}"
                ));
            }
        }
        table.push(row.join(" "));
    }
    // Pages that lead elsewhere: the signed-in go on, nobody signed in is sent to sign in.
    for (path, to) in [
        ("/schemes", "/schemes/wolong-2025"),
        ("/dashboard", "/dashboard/"),
        ("/report", "/report/"),
    ] {
        for (who, c) in WHO.iter().zip(&clients) {
            let r = c.get(path).await;
            let status = r.status_code().as_u16();
            let location = r
                .maybe_header("location")
                .and_then(|h| h.to_str().ok().map(str::to_owned));
            table.push(format!("{path} {who}:{status} {location:?}"));
            let allowed = match path {
                "/dashboard" => READERS.contains(who),
                // People of a unit go to their unit's card; the district's readers to the
                // dashboard.
                "/report" => SIGNED_IN.contains(who),
                _ => SIGNED_IN.contains(who),
            };
            let to = if path == "/report" && READERS.contains(who) {
                "/dashboard"
            } else {
                to
            };
            let went_on = status == 303 && location.as_deref().is_some_and(|l| l.starts_with(to));
            if allowed != went_on || (!allowed && !refused(status, location.as_deref())) {
                failures.push(format!("GET {path} as {who}: {status} {location:?}"));
            }
            // Where it leads answers.
            if went_on && let Some(first) = &location {
                let mut at = first.clone();
                let mut next = 0;
                for _ in 0..3 {
                    let r = c.get(&at).await;
                    next = r.status_code().as_u16();
                    match r
                        .maybe_header("location")
                        .and_then(|h| h.to_str().ok().map(str::to_owned))
                    {
                        Some(l) if next == 303 => at = l,
                        _ => break,
                    }
                }
                if !(200..300).contains(&next) {
                    failures.push(format!(
                        "GET {path} as {who} leads to {at}, which answers {next}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} page checks failed:\n{}\n\nall answers:\n{}",
        failures.len(),
        failures.join("\n"),
        table.join("\n")
    );
}
scenario!(pages_answer_by_role_and_unit);

/// Every form post of the pages, with a payload the operation turns down on its merits (no
/// reason, a stale version, a file that does not read): a role that may not gets 403 (nobody
/// signed in: 401/403 or the sign-in page) and nothing is written; one that may reaches the
/// operation — its answer is anything but a refusal. Nothing is written either way.
fn posts() -> Vec<(&'static str, &'static str, &'static [&'static str])> {
    // (path, url-encoded body after the token — or "multipart" —, who may)
    vec![
        (
            "/entry/QLY/2025Q4",
            "v:mediation_cases=abc",
            &["admin", "office", "qly_reporter"],
        ),
        ("/entry/MXI/2025Q4", "v:mediation_cases=abc", OFFICE),
        (
            "/entry/QLY/2025Q4/xlsx",
            "multipart",
            &["admin", "office", "qly_reporter"],
        ),
        ("/entry/MXI/2025Q4/xlsx", "multipart", OFFICE),
        (
            "/entry/QLY/2025Q4/evidence/mediation_cases",
            "multipart",
            &["admin", "office", "qly_reporter"],
        ),
        (
            "/entry/MXI/2025Q4/evidence/mediation_cases",
            "multipart",
            OFFICE,
        ),
        (
            "/publish",
            "scheme=wolong-2025&period=2025Q1&reason=",
            &["admin", "office"],
        ),
        (
            "/import",
            "multipart",
            &["admin", "office", "qly_reporter", "evaluator", "inspector"],
        ),
        ("/feeds", "code=x&definition=%5B&reason=", OFFICE),
        ("/units/import", "content=%5B&reason=", OFFICE),
        ("/units/QLY/change", "version=999&name_zh=x&reason=", OFFICE),
        ("/units/QLY/close", "version=999&reason=", OFFICE),
        ("/units/QLY/split", "version=999&reason=", OFFICE),
        ("/dhis2", "multipart", OFFICE),
        (
            "/appeals",
            "target={pub}|mediation&reason=",
            &["qly_reporter", "qly_leader"],
        ),
        (
            "/appeals/{appeal}/resolve",
            "decision=x&version=999&reason=",
            OFFICE,
        ),
        (
            "/appeals/{appeal}/evidence",
            "multipart",
            &["office", "qly_reporter", "qly_leader"],
        ),
        (
            "/schemes/wolong-2025/whatif",
            "period=2025Q4&points=oops",
            READERS,
        ),
        (
            "/auth/password",
            "old_password=wrong&new_password=x&repeat=x",
            SIGNED_IN,
        ),
        ("/inbox/read", "id=999999", SIGNED_IN),
        ("/inbox/prefs", "email=not-an-address", SIGNED_IN),
        (
            "/warnings/{warning}/answer",
            "version=999&cause=&measures=",
            &["qly_reporter", "qly_leader"],
        ),
        ("/warnings/{warning}/close", "version=999&reason=", OFFICE),
        (
            "/rectifications",
            "unit=QLY&period=2025Q4&problem=&deadline=bad&verifier=SFJ",
            &["admin", "office", "sfj_reviewer"],
        ),
        (
            "/rectifications/{task}/act",
            "action=start&version=999",
            &["qly_reporter", "qly_leader"],
        ),
        (
            "/rectifications/{task}/evidence",
            "multipart",
            &[
                "admin",
                "office",
                "sfj_reviewer",
                "qly_reporter",
                "qly_leader",
            ],
        ),
        ("/channels", "name=&kind=webhook&target=", &["admin"]),
        ("/channels/999999/enabled", "enabled=true", &["admin"]),
        ("/dashboard/wolong-2025/2031Q1/remind", "x=1", OFFICE),
        ("/enforcement/import", "multipart", ENF_RECORDERS),
        ("/enforcement/new", "number=&reason=", ENF_RECORDERS),
        (
            "/enforcement/flags/{eflag}",
            "state=dismissed&reason=&version=999",
            &["admin", "office", "sfj_reviewer"],
        ),
        (
            "/enforcement/rules",
            "toml=days%20%3D&reason=matrix",
            &["admin", "office", "sfj_reviewer"],
        ),
    ]
}

async fn page_forms_answer_by_role_and_unit(db: Db) {
    let app = App::spawn(db).await;
    let (clients, publication) = everyone(&app).await;
    let (warning, task, _) =
        crate::followup::something_to_follow(&clients[1], &clients[4], &clients[0]).await;
    let appeal = clients[5]
        .ok_post("/api/v1/appeals", json!({ "publication_id": publication["id"], "unit": "QLY", "indicator": "litigation_loss", "reason": "matrix" }), 201)
        .await;
    let (pub_id, appeal_id) = (publication["id"].to_string(), appeal["id"].to_string());
    let (_, eflag) = crate::enforcement::qly_case_and_flag(&app).await;
    let last_seq = || async {
        jixiao_store::audit::last_seq(&app.state.store)
            .await
            .expect("audit")
    };
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for (path, body, allowed) in posts() {
        let path = path
            .replace("{pub}", &pub_id)
            .replace("{appeal}", &appeal_id)
            .replace("{warning}", &warning)
            .replace("{task}", &task)
            .replace("{eflag}", &eflag);
        let body = body.replace("{pub}", &pub_id);
        let mut row = vec![path.clone()];
        for (who, c) in WHO.iter().zip(&clients) {
            let token = c.csrf.clone().unwrap_or_default();
            let before = last_seq().await;
            let r = if body == "multipart" {
                let form = axum_test::multipart::MultipartForm::new()
                    .add_text("_csrf", token.clone())
                    .add_text("reason", "")
                    .add_part(
                        "file",
                        axum_test::multipart::Part::bytes(b"not a workbook".to_vec())
                            .file_name("x.xlsx"),
                    );
                c.server
                    .post(&format!("{path}?csrf={token}"))
                    .multipart(form)
                    .await
            } else {
                c.server
                    .post(&path)
                    .content_type("application/x-www-form-urlencoded")
                    .bytes(format!("_csrf={token}&{body}").into_bytes().into())
                    .await
            };
            let status = r.status_code().as_u16();
            let location = r
                .maybe_header("location")
                .and_then(|h| h.to_str().ok().map(str::to_owned));
            row.push(format!("{who}:{status}"));
            let expect = allowed.contains(who);
            let was_refused =
                refused(status, location.as_deref()) || (status == 404 && hides(&path));
            if expect == was_refused {
                failures.push(format!(
                    "POST {path} as {who}: expected {}, got {status} {location:?}",
                    if expect {
                        "to reach the operation"
                    } else {
                        "a refusal"
                    }
                ));
            }
            if status >= 500 {
                failures.push(format!("POST {path} as {who}: {status}"));
            }
            if last_seq().await != before {
                failures.push(format!("POST {path} as {who} wrote to the audit log"));
            }
        }
        table.push(row.join(" "));
    }
    assert!(
        failures.is_empty(),
        "{} form checks failed:\n{}\n\nall answers:\n{}",
        failures.len(),
        failures.join("\n"),
        table.join("\n")
    );
}
scenario!(page_forms_answer_by_role_and_unit);

/// A problem never ends on a bare status page: the page says what happened and links the way
/// on — back to the page the person came from, and where a remedy is known, to it.
async fn a_problem_page_shows_the_way_on(db: Db) {
    let app = App::spawn(db).await;
    let reporter = app.user("qly_reporter").await;
    // An expired form token: back to the form, fresh.
    let r = reporter
        .server
        .post("/entry/QLY/2025Q4")
        .add_header("host", "jixiao.test")
        .add_header("referer", "http://jixiao.test/entry/QLY/2025Q4")
        .form(&[("_csrf", "stale"), ("action", "save")])
        .await;
    assert_eq!(r.status_code(), 403);
    let page = r.text();
    let next = page
        .split("id=\"error-next\"")
        .nth(1)
        .expect("the way on")
        .split("</p>")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        next.contains("href=\"/entry/QLY/2025Q4\"") && next.contains("刷新页面"),
        "{next}"
    );
    // Another site's address is not offered as the way back.
    let r = reporter
        .server
        .get("/entry/MXI/2025Q4")
        .add_header("host", "jixiao.test")
        .add_header("referer", "http://evil.example/entry")
        .await;
    assert_eq!(r.status_code(), 403);
    let page = r.text();
    assert!(!page.contains("evil.example"), "{page}");
    assert!(page.contains("id=\"error-next\""));
}
scenario!(a_problem_page_shows_the_way_on);

/// Printed documents carry a running header on every page (district, scheme, period, unit;
/// the print date), as a `@page` style whose texts cannot end the style or the string.
async fn printed_pages_carry_a_running_header(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let page = office.get("/report/wolong-2025/2025Q4/QLY").await.text();
    let style = page
        .split("@top-left")
        .nth(1)
        .expect("a running header")
        .split("</style>")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        style.contains("七里园街道") && style.contains("2025"),
        "{style}"
    );
    assert!(
        style.contains("@top-right") && style.contains("打印日期"),
        "{style}"
    );
    assert_eq!(
        jixiao_server::web::print_header("a\"b</style><script>", "x"),
        "<style>@page { @top-left { content: \"a\\22 b\\3C /style\\3E \\3C script\\3E \"; font-size: 9pt; color: #444; } @top-right { content: \"x\"; font-size: 9pt; color: #444; } }</style>"
    );
}
scenario!(printed_pages_carry_a_running_header);

/// The audit page's workbook is the whole filtered log (every entry the filter finds, not
/// only the hundred shown), in words.
async fn the_audit_workbook_holds_every_entry_found(db: Db) {
    use calamine::Reader;
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let total = office.ok_get("/api/v1/audit?entity=value&limit=1").await["total"]
        .as_i64()
        .expect("total");
    assert!(total > 100, "more than a page: {total}");
    let r = office.get("/audit?entity=value&format=xlsx").await;
    assert_eq!(r.status_code(), 200);
    let mut x: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(r.as_bytes().to_vec())).expect("xlsx");
    let first = x.sheet_names()[0].clone();
    let sheet = x.worksheet_range(&first).expect("sheet");
    assert_eq!(
        sheet.height() as i64,
        total + 1,
        "a heading and every entry"
    );
    let action = sheet
        .get_value((1, 4))
        .map(|v| v.to_string())
        .unwrap_or_default();
    assert!(
        !action.contains('.') && !action.is_empty(),
        "the action in words: {action}"
    );
}
scenario!(the_audit_workbook_holds_every_entry_found);
