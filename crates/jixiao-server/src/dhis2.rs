//! DHIS2 interoperability: dataValueSets in JSON (`{"dataValues": [{"dataElement", "period",
//! "orgUnit", "value", "comment"}…]}`) and CSV (`dataelement,period,orgunit,
//! categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup`), in
//! and out. Identifiers go through the mapping table ([`jixiao_store::dhis2`]); an identifier
//! with no row is taken as the jixiao code itself. Periods in DHIS2's standard forms convert
//! without a row: `2025`, `2025Q1`, `202501` (→ `2025-01`), `2025S1` (→ `2025H1`).
//!
//! jixiao keeps one number per element, unit and period, so a row with a category option
//! combination other than DHIS2's default (`HllvX50cXC0`) is refused rather than silently
//! added to or overwritten by its siblings.
//!
//! An import becomes the same table of rows as any other file and goes through the same
//! checks, transaction and report ([`crate::ops::imports`]).

use jixiao_core::data::{DataSet, read_table};
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::period::{Granularity, Period};
use jixiao_core::text::Text;
use jixiao_store::dhis2::MapRow;
use jixiao_store::values::ValueRow;
use std::collections::HashMap;

/// DHIS2's default category option combination.
pub const DEFAULT_COC: &str = "HllvX50cXC0";
pub const KINDS: [&str; 3] = ["data_element", "org_unit", "period"];

/// The mapping table both ways.
#[derive(Debug, Default, Clone)]
pub struct Map {
    into: HashMap<(String, String), String>,
    out: HashMap<(String, String), String>,
}

impl Map {
    pub fn new(rows: &[MapRow]) -> Map {
        let mut m = Map::default();
        for r in rows {
            m.into
                .insert((r.kind.clone(), r.dhis2.clone()), r.jixiao.clone());
            m.out
                .entry((r.kind.clone(), r.jixiao.clone()))
                .or_insert_with(|| r.dhis2.clone());
        }
        m
    }

    fn to_jixiao(&self, kind: &str, id: &str) -> String {
        self.into
            .get(&(kind.to_owned(), id.to_owned()))
            .cloned()
            .unwrap_or_else(|| match kind {
                "period" => period_in(id).unwrap_or_else(|| id.to_owned()),
                _ => id.to_owned(),
            })
    }

    fn to_dhis2(&self, kind: &str, code: &str) -> String {
        self.out
            .get(&(kind.to_owned(), code.to_owned()))
            .cloned()
            .unwrap_or_else(|| match kind {
                "period" => Period::parse(code).map_or_else(|_| code.to_owned(), period_out),
                _ => code.to_owned(),
            })
    }
}

/// A DHIS2 period in a standard form as a jixiao period.
pub fn period_in(p: &str) -> Option<String> {
    let p = p.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (year, rest) = (p.get(..4)?, p.get(4..)?);
    if !digits(year) {
        return None;
    }
    let out = match rest {
        "" => year.to_owned(),
        "Q1" | "Q2" | "Q3" | "Q4" => p.to_owned(),
        "S1" => format!("{year}H1"),
        "S2" => format!("{year}H2"),
        m if m.len() == 2 && digits(m) && ("01"..="12").contains(&m) => format!("{year}-{m}"),
        _ => return None,
    };
    Some(out)
}

/// A jixiao period in DHIS2's standard form.
pub fn period_out(p: Period) -> String {
    let y = p.year_number();
    match p.granularity() {
        Granularity::Year => format!("{y}"),
        Granularity::Half => format!("{y}S{}", if p.first_month() == 1 { 1 } else { 2 }),
        Granularity::Quarter => format!("{y}Q{}", (p.first_month() - 1) / 3 + 1),
        Granularity::Month => format!("{y}{:02}", p.first_month()),
    }
}

/// Whether a file is a DHIS2 dataValueSet (JSON with `dataValues`, or CSV with DHIS2's header).
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') {
        return t.contains("\"dataValues\"");
    }
    let first = t.lines().next().unwrap_or("").to_lowercase();
    first.contains("dataelement") && first.contains("orgunit")
}

fn issue(file: &str, row: usize, column: &str, zh: String, en: String) -> Issue {
    Issue::error(
        "dhis2",
        file,
        Location::Cell {
            row,
            column: Some(column.to_owned()),
        },
        Text::new(zh, en),
    )
}

fn coc_problem(file: &str, row: usize, coc: &str) -> Issue {
    issue(
        file,
        row,
        "categoryOptionCombo",
        format!(
            "分类选项组合“{coc}”：绩效系统每个数据项只有一个数，只接受默认组合（{DEFAULT_COC}）；请在 DHIS2 中按合计导出"
        ),
        format!(
            "category option combo `{coc}`: jixiao keeps one number per element, so only the default combo ({DEFAULT_COC}) is accepted; export totals from DHIS2"
        ),
    )
}

/// The rows of a DHIS2 file as jixiao's long table (unit, item, period, value, note).
/// `row` numbers are the CSV's lines, or for JSON the position in `dataValues` plus one (the
/// first value is row 2, as if the array were a sheet under a header).
pub fn read(file: &str, bytes: &[u8], map: &Map) -> Result<(DataSet, Issues), Issues> {
    let header = ["unit", "item", "period", "value", "note"]
        .map(str::to_owned)
        .to_vec();
    let mut table: Vec<Result<Vec<String>, Issue>> = vec![Ok(header)];
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let coc_ok = |c: &str| c.is_empty() || c == DEFAULT_COC;
    if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            Issues(vec![issue(
                file,
                e.line(),
                &e.column().to_string(),
                format!("JSON 格式错误：{e}"),
                format!("invalid JSON: {e}"),
            )])
        })?;
        let set_unit = v["orgUnit"].as_str().unwrap_or_default();
        let set_period = v["period"].as_str().unwrap_or_default();
        let values = v["dataValues"].as_array().cloned().unwrap_or_default();
        for (i, dv) in values.iter().enumerate() {
            let row = i + 2;
            let s = |k: &str| match &dv[k] {
                serde_json::Value::String(s) => s.trim().to_owned(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            let coc = s("categoryOptionCombo");
            if !coc_ok(&coc) {
                table.push(Err(coc_problem(file, row, &coc)));
                continue;
            }
            let unit = Some(s("orgUnit"))
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| set_unit.to_owned());
            let period = Some(s("period"))
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| set_period.to_owned());
            table.push(Ok(vec![
                map.to_jixiao("org_unit", &unit),
                map.to_jixiao("data_element", &s("dataElement")),
                map.to_jixiao("period", &period),
                s("value"),
                s("comment"),
            ]));
        }
        return read_table(file, "UTF-8", table);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let names: Vec<String> = rdr
        .headers()
        .map_err(|e| {
            Issues(vec![issue(
                file,
                1,
                "",
                format!("CSV 无法读取：{e}"),
                format!("cannot read the CSV: {e}"),
            )])
        })?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |alts: &[&str]| names.iter().position(|n| alts.contains(&n.as_str()));
    let (de, pe, ou, co, va, cm) = (
        col(&["dataelement"]),
        col(&["period"]),
        col(&["orgunit"]),
        col(&["categoryoptioncombo", "catoptcombo"]),
        col(&["value"]),
        col(&["comment"]),
    );
    let (Some(de), Some(pe), Some(ou), Some(va)) = (de, pe, ou, va) else {
        return Err(Issues(vec![issue(
            file,
            1,
            "",
            "DHIS2 CSV 的表头应含 dataelement、period、orgunit、value".into(),
            "a DHIS2 CSV header needs dataelement, period, orgunit and value".into(),
        )]));
    };
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                table.push(Err(issue(
                    file,
                    row,
                    "",
                    format!("CSV 无法读取：{e}"),
                    format!("cannot read the CSV: {e}"),
                )));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim().to_owned();
        let coc = get(co);
        if !coc_ok(&coc) {
            table.push(Err(coc_problem(file, row, &coc)));
            continue;
        }
        table.push(Ok(vec![
            map.to_jixiao("org_unit", &get(Some(ou))),
            map.to_jixiao("data_element", &get(Some(de))),
            map.to_jixiao("period", &get(Some(pe))),
            get(Some(va)),
            get(cm),
        ]));
    }
    read_table(file, "UTF-8", table)
}

/// Values as a DHIS2 dataValueSet (JSON).
pub fn write_json(values: &[ValueRow], map: &Map) -> Vec<u8> {
    let data: Vec<serde_json::Value> = values
        .iter()
        .map(|v| {
            serde_json::json!({
                "dataElement": map.to_dhis2("data_element", &v.element),
                "period": map.to_dhis2("period", &v.period),
                "orgUnit": map.to_dhis2("org_unit", &v.unit_code),
                "categoryOptionCombo": DEFAULT_COC,
                "attributeOptionCombo": DEFAULT_COC,
                "value": v.value,
                "storedBy": v.updated_by,
                "lastUpdated": v.updated_at,
                "comment": v.note,
                "followup": false,
            })
        })
        .collect();
    serde_json::to_vec_pretty(&serde_json::json!({ "dataValues": data })).unwrap_or_default()
}

/// Values as a DHIS2 CSV (its column order, which DHIS2 reads by position).
pub fn write_csv(values: &[ValueRow], map: &Map) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "dataelement",
        "period",
        "orgunit",
        "categoryoptioncombo",
        "attributeoptioncombo",
        "value",
        "storedby",
        "lastupdated",
        "comment",
        "followup",
    ])?;
    for v in values {
        w.write_record([
            map.to_dhis2("data_element", &v.element).as_str(),
            &map.to_dhis2("period", &v.period),
            &map.to_dhis2("org_unit", &v.unit_code),
            DEFAULT_COC,
            DEFAULT_COC,
            &v.value,
            &v.updated_by,
            &v.updated_at,
            &v.note,
            "false",
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_periods_convert_both_ways() {
        for (d, j) in [
            ("2025", "2025"),
            ("2025Q3", "2025Q3"),
            ("202507", "2025-07"),
            ("2025S2", "2025H2"),
        ] {
            assert_eq!(period_in(d).as_deref(), Some(j));
            assert_eq!(period_out(Period::parse(j).expect("period")), d);
        }
        assert_eq!(period_in("202513"), None);
        assert_eq!(period_in("2025W12"), None);
    }
}
