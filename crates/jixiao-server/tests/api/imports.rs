//! Bulk import: dry run, all or nothing, valid rows only, unchanged values left alone, the
//! office's wide workbook, GBK CSV, JSON; bad files rejected with their place and nothing
//! written.

use crate::{App, Client, Db, scenario};
use serde_json::{Value, json};

pub async fn upload(c: &Client, query: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form = axum_test::multipart::MultipartForm::new().add_part(
        "file",
        axum_test::multipart::Part::bytes(bytes).file_name(name),
    );
    let r = c
        .server
        .post(&format!("/api/v1/imports{query}"))
        .add_header("x-csrf-token", c.csrf.clone().unwrap_or_default().as_str())
        .multipart(form)
        .await;
    (r.status_code().as_u16(), r.json())
}

/// What an import that writes nothing must leave as it was: a checksum over every stored value
/// (key, number, note, state, version, who, when), the evidence rows and the audit log's length.
pub async fn footprint(app: &App) -> (String, i64) {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT unit_code || '|' || element || '|' || period || '|' || value || '|' || note || '|' || state || '|' || CAST(version AS TEXT) || '|' || updated_by || '|' || updated_at FROM data_values ORDER BY id",
    )
    .fetch_all(&app.state.store.pool)
    .await
    .expect("values");
    let evidence: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM evidence ORDER BY id")
        .fetch_all(&app.state.store.pool)
        .await
        .expect("evidence");
    let a: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&app.state.store.pool)
        .await
        .expect("count");
    let sum = jixiao_store::sha256_hex(
        format!("{}\n--\n{}", rows.join("\n"), evidence.join("\n")).as_bytes(),
    );
    (sum, a.0)
}

const GOOD: &str = "unit,item,period,value,note\nQLY,mediation_cases,2025Q4,40,台账\nQLY,mediation_agreements,2025Q4,36,\n";

async fn imports(db: Db) {
    let app = App::spawn(db).await;
    let rep = app.user("qly_reporter").await;

    // The scheme's check (agreements ≤ cases) judges a file's numbers together.
    let (s, r) = upload(
        &rep,
        "?dry_run=true",
        "checks.csv",
        "unit,item,period,value\nQLY,mediation_cases,2025Q4,10\nQLY,mediation_agreements,2025Q4,20\n".into(),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let codes: Vec<&str> = r["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["check_failed", "check_failed"], "{r}");
    assert!(
        r.to_string().contains("达成调解协议件数不能多于受理件数"),
        "{r}"
    );

    // A dry run reports and writes nothing.
    let before = footprint(&app).await;
    let (s, r) = upload(&rep, "?dry_run=true", "good.csv", GOOD.into()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["imported"].as_u64(), r["committed"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(footprint(&app).await, before);

    // All or nothing: one bad row and nothing is written; every problem has its place.
    let bad = format!(
        "{GOOD}QLY,mediation_cases,2025Q3,四十,\nQLY,no_such_item,2025Q4,1,\nLHE,mediation_cases,2025Q4,5,\n"
    );
    let (s, r) = upload(&rep, "", "bad.csv", bad.clone().into()).await;
    assert_eq!(s, 422, "{r}");
    assert_eq!(r["code"], "import_rejected");
    let report = &r["report"];
    assert_eq!(report["committed"], false);
    let rows: Vec<u64> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["row"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(rows, vec![4, 5, 6], "{report}");
    let text = report.to_string();
    assert!(
        text.contains("不是数字") && text.contains("not a number"),
        "{text}"
    );
    assert_eq!(footprint(&app).await, before, "nothing written");

    // Valid rows only: the good ones land, submitted for review.
    let (s, r) = upload(&rep, "?mode=valid_rows", "bad.csv", bad.into()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["imported"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(3))
    );
    let row = rep
        .ok_get("/api/v1/values/QLY/mediation_cases/2025Q4")
        .await["row"]
        .clone();
    assert_eq!(
        (row["value"].as_str(), row["state"].as_str()),
        (Some("40"), Some("submitted"))
    );
    assert_eq!(row["source"], "import");
    assert_eq!(row["note"], "台账");

    // The same file again changes nothing and audits nothing.
    let before = footprint(&app).await;
    let (s, r) = upload(&rep, "", "good.csv", GOOD.into()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["unchanged"].as_u64(), r["imported"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(footprint(&app).await, before);

    // A submitted value with a different number must be returned first.
    let (s, r) = upload(
        &rep,
        "",
        "change.csv",
        "unit,item,period,value\nQLY,mediation_cases,2025Q4,41\n".into(),
    )
    .await;
    assert_eq!(s, 422, "{r}");
    assert_eq!(r["report"]["problems"][0]["code"], "already_reviewed");

    // The office's own workbook: one row per unit, one column per element (code or name).
    let office = app.user("office").await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in ["单位", "期间", "行政调解受理件数", "mediation_agreements"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, i as u16, *h).expect("cell");
    }
    // QLY as the reporter sent it (so unchanged); MXI's figures are counted, so they conflict.
    ws.write_string(1, 0, "QLY").expect("cell");
    ws.write_string(1, 1, "2025Q4").expect("cell");
    ws.write_number(1, 2, 40.0).expect("cell");
    ws.write_number(1, 3, 36.0).expect("cell");
    ws.write_string(2, 0, "MXI").expect("cell");
    ws.write_string(2, 1, "2025Q4").expect("cell");
    ws.write_number(2, 2, 30.0).expect("cell");
    let bytes = wb.save_to_buffer().expect("xlsx");
    let (s, r) = upload(&office, "?mode=valid_rows", "offices.xlsx", bytes).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["format"], "xlsx");
    assert_eq!(
        (r["unchanged"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{r}"
    );
    let p = &r["problems"][0];
    assert_eq!(
        (p["row"].as_u64(), p["column"].as_str(), p["value"].as_str()),
        (Some(3), Some("C"), Some("30")),
        "the sheet's own row and column: {r}"
    );
    assert!(
        p["file"].as_str().unwrap_or("").contains("Sheet1"),
        "the sheet is named: {p}"
    );

    // GBK CSV with Chinese headers, and JSON.
    let (gbk, _, _) =
        encoding_rs::GBK.encode("单位,数据项,期间,数值\nQLY,disputes_received,2025Q4,70\n");
    let (s, r) = upload(&rep, "?dry_run=true", "gbk.csv", gbk.into_owned()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["problems"].as_array().map(Vec::len), Some(0), "{r}");
    let json = r#"[{"unit":"QLY","item":"disputes_received","period":"2025Q4","value":70}]"#;
    let (s, r) = upload(&rep, "?dry_run=true", "rows.json", json.into()).await;
    assert_eq!((s, r["format"].as_str()), (200, Some("json")), "{r}");

    // Files that are not what they claim: refused whole, nothing written.
    let before = footprint(&app).await;
    for (name, bytes) in [
        ("fake.xlsx", b"PK\x03\x04 not really a workbook".to_vec()),
        ("empty.csv", Vec::new()),
        (
            "latin1.csv",
            b"unit,item,period,value\nQLY,mediation_cases,2025Q4,\xff\xfe\xfd\n".to_vec(),
        ),
        ("header.csv", b"who,what,when\nQLY,x,2025\n".to_vec()),
    ] {
        let (s, r) = upload(&rep, "", name, bytes).await;
        assert_eq!(s, 422, "{name}: {r}");
        assert!(
            !r["report"]["problems"]
                .as_array()
                .expect("problems")
                .is_empty(),
            "{name}"
        );
    }
    assert_eq!(footprint(&app).await, before);

    // Someone who may not enter values is told so.
    let leader = app.user("leader").await;
    let (s, _) = upload(&leader, "?dry_run=true", "good.csv", GOOD.into()).await;
    assert_eq!(s, 403);
}

scenario!(imports);

/// A workbook in the office's long layout with QLY's two mediation figures, after `edit` has
/// had its way with the sheet.
fn workbook(edit: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in ["unit", "item", "period", "value"].iter().enumerate() {
        ws.write_string(0, i as u16, *h).expect("cell");
    }
    for (r, (item, v)) in [("mediation_cases", 50.0), ("mediation_agreements", 45.0)]
        .iter()
        .enumerate()
    {
        let r = r as u32 + 1;
        ws.write_string(r, 0, "QLY").expect("cell");
        ws.write_string(r, 1, *item).expect("cell");
        ws.write_string(r, 2, "2025Q4").expect("cell");
        ws.write_number(r, 3, *v).expect("cell");
    }
    edit(ws);
    wb.save_to_buffer().expect("xlsx")
}

/// Sets the size every central-directory entry of a zip declares it unpacks to.
fn declare_unpacked(mut bytes: Vec<u8>, size: u32) -> Vec<u8> {
    let sig = [0x50, 0x4b, 0x01, 0x02];
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == sig {
            bytes[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
            i += 46;
        } else {
            i += 1;
        }
    }
    bytes
}

/// Workbooks a clerk might really send, and worse: each refused with the place and the reason,
/// and the data tables exactly as they were (checksum of every value row and the audit log).
async fn malformed_workbooks_change_nothing(db: Db) {
    let app = App::spawn(db).await;
    let rep = app.user("office").await;
    let before = footprint(&app).await;
    // The clean workbook passes a dry run: the cases below fail for their own reason only.
    let (s, r) = upload(&rep, "?dry_run=true", "clean.xlsx", workbook(|_| {})).await;
    assert_eq!(
        (s, r["problems"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{r}"
    );

    let merged = workbook(|ws| {
        ws.merge_range(1, 0, 2, 0, "QLY", &rust_xlsxwriter::Format::new())
            .expect("merge");
    });
    let formula = workbook(|ws| {
        ws.write_formula(2, 3, "=D2-5").expect("formula");
    });
    let text = workbook(|ws| {
        ws.write_string(2, 3, "四十五").expect("cell");
    });
    let duplicate = workbook(|ws| {
        for (c, v) in ["QLY", "mediation_cases", "2025Q4"].iter().enumerate() {
            ws.write_string(3, c as u16, *v).expect("cell");
        }
        ws.write_number(3, 3, 51.0).expect("cell");
    });
    let unknown = workbook(|ws| {
        ws.write_string(1, 0, "NOWHERE").expect("cell");
        ws.write_string(2, 1, "no_such_item").expect("cell");
    });
    let empty = {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet();
        wb.save_to_buffer().expect("xlsx")
    };
    // Two cells far apart: a few hundred bytes that would unpack into a grid of 17 billion.
    let far = workbook(|ws| {
        ws.write_number(1_048_575, 16_383, 1.0).expect("cell");
    });
    // A zip bomb disguised as a workbook: its directory says it unpacks to 4 GB.
    let bomb = declare_unpacked(workbook(|_| {}), 0xFFFF_FFF0);
    /// File, content, the first problem's code, and its row and column when it has a place.
    type Case<'a> = (&'a str, Vec<u8>, &'a str, Option<(u64, Option<&'a str>)>);
    let cases: [Case; 8] = [
        ("merged.xlsx", merged, "merged_cells", Some((2, Some("A")))),
        ("formula.xlsx", formula, "formula", Some((3, Some("D")))),
        ("text.xlsx", text, "not_a_number", Some((3, Some("value")))),
        (
            "duplicate.xlsx",
            duplicate,
            "duplicate_row",
            Some((4, None)),
        ),
        (
            "unknown.xlsx",
            unknown,
            "unknown_unit",
            Some((2, Some("unit"))),
        ),
        ("empty.xlsx", empty, "empty_file", None),
        ("far.xlsx", far, "too_large", None),
        ("bomb.xlsx", bomb, "too_large", None),
    ];
    for (name, bytes, code, place) in cases {
        let (s, r) = upload(&rep, "", name, bytes).await;
        assert_eq!(s, 422, "{name}: {r}");
        let p = &r["report"]["problems"][0];
        assert_eq!(p["code"], code, "{name}: {r}");
        if let Some((row, col)) = place {
            assert_eq!(
                (p["row"].as_u64(), p["column"].as_str()),
                (Some(row), col),
                "{name}: {r}"
            );
        }
        assert!(
            p["message"]["zh"].as_str().is_some_and(|m| !m.is_empty())
                && p["message"]["en"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: both languages: {p}"
        );
        assert_eq!(footprint(&app).await, before, "{name} changed nothing");
        if name == "unknown.xlsx" {
            let q = &r["report"]["problems"][1];
            assert_eq!(
                (
                    q["code"].as_str(),
                    q["row"].as_u64(),
                    q["column"].as_str(),
                    q["value"].as_str()
                ),
                (
                    Some("unknown_item"),
                    Some(3),
                    Some("item"),
                    Some("no_such_item")
                ),
                "{r}"
            );
            assert_eq!(p["value"], "NOWHERE");
        }
    }

    // A 100 MB file is refused before it is read, with a message that says so.
    let mut big = b"unit,item,period,value\n".to_vec();
    while big.len() < 100 * 1024 * 1024 {
        big.extend_from_slice(b"QLY,mediation_cases,2025Q4,40\n");
    }
    let (s, r) = upload(&rep, "", "big.csv", big).await;
    assert_eq!(s, 413, "{r}");
    assert_eq!(r["code"], "too_large", "{r}");
    assert!(
        r["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("50 MB")),
        "{r}"
    );
    assert_eq!(footprint(&app).await, before);
}
scenario!(malformed_workbooks_change_nothing);

/// A bulk import writes its new values in multi-row statements and scores each tracked period
/// once, in full: the results and the audit chain are exactly what one value at a time (or a
/// restart) gives.
async fn a_bulk_import_scores_like_one_value_at_a_time(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    // Last year's fourth quarter: the demo's 2025Q4 figures, a year earlier (the few already
    // stored are left out: valid rows), and 七里园街道's two missing mediation figures of this
    // quarter, which move the results.
    let data = include_str!("../../../../examples/wolong/data.csv");
    let mut csv = String::from("unit,item,period,value\n");
    let mut n = 0;
    for line in data.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() >= 4 && f[2] == "2025Q4" {
            csv.push_str(&format!("{},{},2024Q4,{}\n", f[0], f[1], f[3]));
            n += 1;
        }
    }
    assert!(n > 500, "{n} rows");
    csv.push_str("QLY,mediation_cases,2025Q4,40\nQLY,mediation_agreements,2025Q4,36\n");
    let before = office.ok_get("/api/v1/audit/verify").await["entries"]
        .as_i64()
        .expect("entries");
    let changes = "/api/v1/audit?entity=value&limit=1";
    let changes_before = office.ok_get(changes).await["total"]
        .as_i64()
        .expect("total");
    let results = "/api/v1/results/wolong-2025/2025Q4?kind=provisional";
    let untouched = office.ok_get(results).await;
    let (s, r) = upload(
        &office,
        "?mode=valid_rows",
        "last-year.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let imported = r["imported"].as_i64().expect("imported");
    assert!(imported > 500, "{r}");
    let v = office.ok_get("/api/v1/audit/verify").await;
    assert_eq!(v["broken_at"], Value::Null, "{v}");
    // The new values are audited by batch (one chained entry for fewer than 5,000 of them,
    // each value's change kept under it); a value changed is audited on its own.
    let updated = r["updated"].as_i64().expect("updated");
    assert_eq!(v["entries"].as_i64(), Some(before + 1 + updated), "{v}");
    assert_eq!(
        office.ok_get(changes).await["total"].as_i64(),
        Some(changes_before + imported + updated)
    );
    let live = office.ok_get(results).await;
    assert!(
        live != untouched,
        "QLY's mediation figures move the results"
    );
    app.state.reload().await.expect("reload");
    let rebuilt = office.ok_get(results).await;
    assert_eq!(live, rebuilt);
}
scenario!(a_bulk_import_scores_like_one_value_at_a_time);

/// Completeness and timeliness of reporting: a number first reported after the period's
/// deadline is late; the rest are on time; what is not reported is missing.
async fn timeliness_of_reporting(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let rep = app.user("qly_reporter").await;
    let url = "/api/v1/results/wolong-2025/2025Q4/reporting";
    let row = |r: &Value, unit: &str| {
        r["units"]
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["unit"] == unit)
            .cloned()
            .expect("unit")
    };
    let r = office.ok_get(url).await;
    assert_eq!(r["deadline"], Value::Null);
    let qly = row(&r, "QLY");
    let expected = qly["expected"].as_i64().expect("expected");
    assert_eq!(
        (
            qly["reported"].as_i64(),
            qly["missing"].as_i64(),
            qly["late"].as_i64()
        ),
        (Some(expected - 4), Some(4), Some(0)),
        "{qly}"
    );

    // The deadline falls between the demo's reports and QLY's last four numbers.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let deadline = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("time");
    let periods = office.ok_get("/api/v1/periods").await;
    let q4 = periods
        .as_array()
        .expect("periods")
        .iter()
        .find(|p| p["scheme_code"] == "wolong-2025" && p["period"] == "2025Q4")
        .expect("2025Q4")
        .clone();
    office
        .ok_put(
            "/api/v1/periods/wolong-2025/2025Q4",
            json!({ "status": "open", "deadline": deadline, "version": q4["version"], "reason": "报送期限 deadline" }),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (s, r) = upload(
        &rep,
        "",
        "late.csv",
        "unit,item,period,value\nQLY,mediation_cases,2025Q4,40\nQLY,mediation_agreements,2025Q4,36\nQLY,lit_concluded,2025Q4,12\nQLY,lit_lost,2025Q4,1\n".into(),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let r = office.ok_get(url).await;
    assert_eq!(r["deadline"], deadline.as_str());
    let qly = row(&r, "QLY");
    assert_eq!(
        (
            qly["reported"].as_i64(),
            qly["on_time"].as_i64(),
            qly["late"].as_i64(),
            qly["missing"].as_i64()
        ),
        (Some(expected), Some(expected - 4), Some(4), Some(0)),
        "{qly}"
    );
    let mxi = row(&r, "MXI");
    assert_eq!(
        (mxi["late"].as_i64(), mxi["missing"].as_i64()),
        (Some(0), Some(0)),
        "{mxi}"
    );
    // A value returned and submitted again keeps its first (late) time.
    let v = office
        .ok_get("/api/v1/values/QLY/mediation_cases/2025Q4")
        .await;
    let first = v["row"]["reported_at"].clone();
    assert!(first.is_string(), "{v}");
    let back = office
        .ok_post(
            "/api/v1/values/QLY/mediation_cases/2025Q4/return",
            json!({ "version": v["row"]["version"], "reason": "核对 check" }),
            200,
        )
        .await;
    assert_eq!(back["value"]["row"]["reported_at"], first);
    // The dashboard shows it too.
    let page = office.get("/dashboard/wolong-2025/2025Q4").await.text();
    assert!(
        page.contains(&format!("{}/{expected}", expected - 4)),
        "on-time column"
    );
}
scenario!(timeliness_of_reporting);

/// Reported once (最多报一次): a number two schemes read is one stored value, asked for once,
/// and a change to it reaches both schemes' results.
async fn a_number_is_reported_once(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let key = "P2025-01/qty_done/2025";
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT value FROM data_values WHERE unit_code = 'P2025-01' AND element = 'qty_done' AND period = '2025'",
    )
    .fetch_all(&app.state.store.pool)
    .await
    .expect("rows");
    assert_eq!(rows, ["48"]);
    // The entry form asks for it once, though both schemes read it.
    let form = office.get("/entry/P2025-01/2025").await.text();
    assert_eq!(form.matches("id=\"v-qty_done\"").count(), 1, "asked once");
    // Changed once, seen by both.
    let v = office.ok_get(&format!("/api/v1/values/{key}")).await;
    let r = office
        .ok_post(
            &format!("/api/v1/values/{key}/return"),
            json!({ "version": v["row"]["version"], "reason": "更正 correction" }),
            200,
        )
        .await;
    let r = office
        .ok_put(
            &format!("/api/v1/values/{key}"),
            json!({ "value": "52", "version": r["value"]["row"]["version"] }),
        )
        .await;
    office
        .ok_post(
            &format!("/api/v1/values/{key}/submit"),
            json!({ "version": r["value"]["row"]["version"] }),
            200,
        )
        .await;
    for scheme in ["wolong-budget-self-2025", "wolong-budget-eval-2025"] {
        let card = office
            .ok_get(&format!(
                "/api/v1/results/{scheme}/2025/units/P2025-01?kind=provisional"
            ))
            .await
            .to_string();
        assert!(
            card.contains("\"52\""),
            "{scheme} reads the new number: {card}"
        );
        assert!(
            !card.contains("\"48\""),
            "{scheme} no longer reads the old one"
        );
    }
}
scenario!(a_number_is_reported_once);

/// A file of many bad rows answers with a bounded report: the first problems one by one, all
/// of them counted by kind; and imports beyond the allowed number at once are asked to wait.
async fn big_reports_are_bounded_and_imports_take_turns(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let mut csv = String::from("unit,item,period,value\n");
    for i in 0..1500 {
        csv.push_str(&format!("QLY,mediation_cases,2025Q4,not-{i}\n"));
    }
    let (status, body) = upload(&office, "?dry_run=true", "bad.csv", csv.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["problems"].as_array().map(Vec::len), Some(1000));
    assert_eq!(body["problems_total"], 1500);
    let counted: u64 = body["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["count"].as_u64())
        .sum();
    assert_eq!(counted, 1500, "every problem counted by kind");
    assert_eq!(body["rejected"], 1500);
    // Every import slot taken: the next import is asked to try again, and changes nothing.
    let held: Vec<_> = (0..app.state.config.max_concurrent_imports)
        .map(|_| app.state.imports.try_acquire().expect("a free slot"))
        .collect();
    let (status, body) = upload(
        &office,
        "",
        "good.csv",
        b"unit,item,period,value\nQLY,mediation_cases,2025Q4,40\n".to_vec(),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "busy");
    drop(held);
    let (status, body) = upload(
        &office,
        "",
        "good.csv",
        b"unit,item,period,value\nQLY,mediation_cases,2025Q4,40\n".to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
scenario!(big_reports_are_bounded_and_imports_take_turns);

/// A quote left open in a CSV, or a NUL in a note, is refused where it is — never stored as a
/// note that swallowed the next rows, or cut short.
async fn an_unclosed_quote_or_a_nul_is_refused(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let csv = "unit,item,period,value,note\nQLY,mediation_cases,2025Q4,40,\"opened\nQLY,mediation_agreements,2025Q4,30,next\n";
    let (status, body) = upload(&office, "", "q.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 422, "{body}");
    let problems = body["report"]["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["code"] == "unclosed_quote" && p["row"] == 2 && p["column"] == "note"),
        "{problems:?}"
    );
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"]).await,
        None
    );
    let r = office
        .put(
            "/api/v1/values/QLY/mediation_cases/2025Q4",
            json!({ "value": "40", "note": "cut\u{0}here" }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"]).await,
        None
    );
}
scenario!(an_unclosed_quote_or_a_nul_is_refused);

/// A number in a JSON file keeps every digit it was written with.
async fn json_numbers_keep_their_digits(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let json = r#"[{"unit": "WLG-C04", "item": "satisfaction", "period": "2025Q3", "value": 91.5678901234567891}]"#;
    let (status, body) = upload(&office, "", "v.json", json.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.stored(&["WLG-C04", "satisfaction", "2025Q3"])
            .await
            .map(|(v, _)| v),
        Some("91.5678901234567891".to_owned())
    );
}
scenario!(json_numbers_keep_their_digits);

/// A date typed into a number column of a workbook is refused as the date it shows, with the
/// cell named — never stored as the day number behind it (45658); a CSV's blank lines do not
/// shift the rows a problem is reported at.
async fn a_date_in_a_number_cell_is_refused(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let xlsx = workbook(|ws| {
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 1, 1).expect("date");
        let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        ws.write_datetime_with_format(1, 3, &date, &format)
            .expect("cell");
    });
    let (status, body) = upload(&office, "", "d.xlsx", xlsx).await;
    assert_eq!(status, 422, "{body}");
    let problems = body["report"]["problems"].as_array().expect("problems");
    assert!(
        problems.iter().any(|p| p["code"] == "not_a_number"
            && p["row"] == 2
            && p["value"]
                .as_str()
                .is_some_and(|v| v.contains("2025-01-01"))),
        "{problems:?}"
    );
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"]).await,
        None
    );
    let csv = "unit,item,period,value\n\nQLY,mediation_cases,2025Q4,40\n\n\nQLY,mediation_agreements,2025Q4,三十\n";
    let (status, body) = upload(&office, "", "b.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 422, "{body}");
    let problems = body["report"]["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["code"] == "not_a_number" && p["row"] == 6 && p["value"] == "三十"),
        "the line it is on, and what was in the cell: {problems:?}"
    );
}
scenario!(a_date_in_a_number_cell_is_refused);

/// The office imports values counted at once, with a reason: they count (in the live results at
/// once), each change audited with the reason; without a reason, or for anyone who may not
/// count, nothing is written.
async fn the_office_counts_an_import_with_a_reason(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let street = app.user("qly_reporter").await;
    let csv =
        "unit,item,period,value\nQLY,mediation_cases,2025Q4,58\nMXI,mediation_cases,2025Q4,47\n";
    let before = footprint(&app).await;
    let (status, body) = upload(
        &office,
        "?counted_reason=",
        "m.csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = upload(
        &street,
        "?counted_reason=%E6%A0%B8%E5%AE%9A",
        "m.csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(footprint(&app).await, before, "nothing written");
    let (status, body) = upload(
        &office,
        "?counted_reason=%E5%8C%BA%E5%8F%B8%E6%B3%95%E5%B1%80%E6%A0%B8%E5%AE%9A%E6%95%B0",
        "m.csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["committed"], true, "{body}");
    for (unit, value) in [("QLY", "58"), ("MXI", "47")] {
        let v = office
            .ok_get(&format!("/api/v1/values/{unit}/mediation_cases/2025Q4"))
            .await;
        assert_eq!(v["row"]["state"], "counted", "{v}");
        assert_eq!(v["row"]["value"], value, "{v}");
        assert_eq!(
            app.live_row(&[unit, "mediation_cases", "2025Q4"])
                .await
                .map(|(v, _)| v),
            Some(value.to_owned())
        );
    }
    let n: i64 = sqlx::Row::try_get(
        // Each value's change, whether audited on its own or within a batch entry.
        &sqlx::query("SELECT COUNT(*) AS n FROM audit_changes WHERE entity = 'value' AND action = 'value.import.count' AND reason = '区司法局核定数'")
            .fetch_one(&app.state.store.pool)
            .await
            .expect("count"),
        "n",
    )
    .expect("n");
    assert_eq!(n, 2);
}
scenario!(the_office_counts_an_import_with_a_reason);
