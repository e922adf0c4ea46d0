//! Bulk import: dry run, all or nothing, valid rows only, unchanged values left alone, the
//! office's wide workbook, GBK CSV, JSON; bad files rejected with their place and nothing
//! written.

use crate::{App, Client, Db, scenario};
use serde_json::Value;

async fn upload(c: &Client, query: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
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

/// Rows and audit entries: what an import that writes nothing must leave as it was.
async fn footprint(app: &App) -> (i64, i64) {
    let v: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM data_values")
        .fetch_one(&app.state.store.pool)
        .await
        .expect("count");
    let a: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&app.state.store.pool)
        .await
        .expect("count");
    (v.0, a.0)
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
