//! Exports: values, rankings and audit extracts as XLSX and CSV, within the caller's scope.

use crate::{App, Db, scenario};
use calamine::{Reader, Xlsx};

async fn exports(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let rep = app.user("qly_reporter").await;

    // Values as CSV: a BOM for Excel, bilingual headers, every unit for the office.
    let r = office
        .get("/api/v1/exports/values?format=csv&period=2025Q1")
        .await;
    assert_eq!(r.status_code(), 200);
    let bytes = r.as_bytes().to_vec();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .expect("header")
            .starts_with("单位 unit,数据项 item,期间 period,数值 value")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter().any(|l| l.starts_with("MXI,")) && rows.iter().any(|l| l.starts_with("QLY,"))
    );
    assert!(
        rows.iter().all(|l| l.contains(",2025Q1,")),
        "the period filter applies"
    );
    // The reporter's export holds only its own unit and the villages below it.
    let r = rep
        .get("/api/v1/exports/values?format=csv&period=2025Q1")
        .await;
    let text = r.text();
    assert!(
        !text.contains("\nMXI,") && text.contains("\nQLY,"),
        "scope applies"
    );

    // Rankings as XLSX: a sheet per class, ranked rows, numbers as numbers.
    let r = office
        .get("/api/v1/exports/rankings/wolong-2025/2025Q4")
        .await;
    assert_eq!(r.status_code(), 200);
    let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.as_bytes().to_vec())).expect("xlsx");
    let names = x.sheet_names();
    assert!(names.iter().any(|n| n == "街道（乡镇）"), "{names:?}");
    let sheet = x.worksheet_range("街道（乡镇）").expect("sheet");
    assert_eq!(
        sheet.get_value((1, 0)).map(|v| v.to_string()),
        Some("1".into())
    );
    assert!(matches!(
        sheet.get_value((1, 3)),
        Some(calamine::Data::Float(_))
    ));
    // Number formats a person reads: never `0.####` (which shows 5 as "5."); printed on A4
    // with the heading row repeated.
    let xml = |name: &str| {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.as_bytes().to_vec())).expect("zip");
        let mut f = z.by_name(name).expect(name);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).expect("xml");
        s
    };
    let styles = xml("xl/styles.xml");
    assert!(!styles.contains("0.####"), "{styles}");
    let first = xml("xl/worksheets/sheet1.xml");
    assert!(first.contains("paperSize=\"9\""), "A4: {first}");
    let book = xml("xl/workbook.xml");
    assert!(book.contains("_xlnm.Print_Titles"), "{book}");
    assert_eq!(
        rep.get("/api/v1/exports/rankings/wolong-2025/2025Q4")
            .await
            .status_code(),
        403
    );

    // Audit extract for the office only.
    let r = office
        .get("/api/v1/exports/audit?format=csv&contains=QLY")
        .await;
    assert_eq!(r.status_code(), 200);
    assert!(r.text().contains("user.create"));
    // Times in Beijing time, still exact for programs.
    assert!(r.text().contains("+08:00"), "{}", r.text());
    // As a workbook, times are dates (numbers with a date format), not text.
    let r = office.get("/api/v1/exports/audit?contains=QLY").await;
    assert_eq!(r.status_code(), 200);
    let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.as_bytes().to_vec())).expect("xlsx");
    let first = x.sheet_names()[0].clone();
    let sheet = x.worksheet_range(&first).expect("sheet");
    let header: Vec<String> = (0..sheet.width())
        .map(|c| {
            sheet
                .get_value((0, c as u32))
                .map(|v| v.to_string())
                .unwrap_or_default()
        })
        .collect();
    let at = header
        .iter()
        .position(|h| h.contains("时间") || h.contains("at"))
        .expect("a time column");
    assert!(
        matches!(
            sheet.get_value((1, at as u32)),
            Some(calamine::Data::DateTime(_))
        ),
        "{:?}",
        sheet.get_value((1, at as u32))
    );
    assert_eq!(rep.get("/api/v1/exports/audit").await.status_code(), 403);
    assert_eq!(
        app.client()
            .get("/api/v1/exports/values")
            .await
            .status_code(),
        401
    );
    let r = office.get("/api/v1/exports/values?format=pdf").await;
    assert_eq!(r.status_code(), 400);
}

scenario!(exports);

/// A note or a reason that begins like a formula is exported as text: a spreadsheet opening
/// the CSV shows it and runs nothing.
async fn csv_exports_run_no_formulas(db: Db) {
    let app = App::spawn(db).await;
    let rep = app.user("qly_reporter").await;
    let office = app.user("office").await;
    let bad = "=HYPERLINK(\"http://evil.example\",\"点击\")";
    rep.ok_put(
        "/api/v1/values/QLY/mediation_cases/2025Q4",
        serde_json::json!({ "value": "40", "note": bad }),
    )
    .await;
    for path in [
        "/api/v1/exports/values?format=csv&unit=QLY&period=2025Q4",
        "/api/v1/exports/audit?format=csv&contains=QLY/mediation_cases/2025Q4",
    ] {
        let text = office.get(path).await.text();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let cells: Vec<String> = reader
            .records()
            .flat_map(|r| {
                r.expect("row")
                    .iter()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(
            cells.iter().any(|c| c.contains("HYPERLINK")),
            "{path}: the note is exported"
        );
        for c in &cells {
            assert!(
                !c.starts_with(['=', '+', '@']),
                "{path}: a cell a spreadsheet would run: {c}"
            );
        }
    }
}
scenario!(csv_exports_run_no_formulas);
