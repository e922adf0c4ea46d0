//! DHIS2 dataValueSets in and out through the mapping table.

use crate::imports::{footprint, upload};
use crate::{App, Db, scenario};
use serde_json::{Value, json};

async fn dhis2_values_in_and_out(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;

    // The mapping table: every code must exist; a bad table changes nothing.
    let r = office
        .put(
            "/api/v1/dhis2/mappings",
            json!({ "mappings": [
                { "kind": "data_element", "dhis2": "fbfJHSPpUQD", "jixiao": "mediation_casez" },
                { "kind": "org_unit", "dhis2": "", "jixiao": "QLY" },
                { "kind": "orgunit", "dhis2": "x", "jixiao": "QLY" },
            ], "reason": "对照 mapping" }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    let paths: Vec<String> = r.json::<Value>()["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["path"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "mappings[0].jixiao",
            "mappings[1].dhis2",
            "mappings[2].kind"
        ]
    );
    assert_eq!(office.ok_get("/api/v1/dhis2/mappings").await, json!([]));
    office
        .ok_put(
            "/api/v1/dhis2/mappings",
            json!({ "mappings": [
                { "kind": "data_element", "dhis2": "fbfJHSPpUQD", "jixiao": "mediation_cases" },
                { "kind": "data_element", "dhis2": "cYeuwXTCPkU", "jixiao": "mediation_agreements" },
                { "kind": "org_unit", "dhis2": "DiszpKrYNg8", "jixiao": "QLY" },
            ], "reason": "与省平台对接 provincial DHIS2" }),
        )
        .await;

    // A dataValueSet (JSON) with DHIS2's identifiers and periods; set-level orgUnit.
    let set = json!({ "dataSet": "pBOMPrpg1QX", "orgUnit": "DiszpKrYNg8", "dataValues": [
        { "dataElement": "fbfJHSPpUQD", "period": "2025Q4", "categoryOptionCombo": "HllvX50cXC0", "value": "44", "comment": "省平台" },
        { "dataElement": "cYeuwXTCPkU", "period": "2025Q4", "value": 40 },
    ]});
    let (s, r) = upload(&office, "", "set.json", set.to_string().into_bytes()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["format"].as_str(),
            r["imported"].as_i64(),
            r["committed"].as_bool()
        ),
        (Some("dhis2"), Some(2), Some(true)),
        "{r}"
    );
    let v = office
        .ok_get("/api/v1/values/QLY/mediation_cases/2025Q4")
        .await;
    assert_eq!(
        (
            v["row"]["value"].as_str(),
            v["row"]["state"].as_str(),
            v["row"]["note"].as_str()
        ),
        (Some("44"), Some("submitted"), Some("省平台"))
    );

    // A disaggregated row (not the default category option combo) is refused, with its place;
    // so is an identifier nobody mapped. Nothing is written.
    let before = footprint(&app).await;
    let csv = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n\
               fbfJHSPpUQD,2025Q4,DiszpKrYNg8,Prlt0C1RF0s,HllvX50cXC0,45\n\
               qrur9Dvnyt5,2025Q4,DiszpKrYNg8,HllvX50cXC0,HllvX50cXC0,3\n";
    let (s, r) = upload(&office, "", "set.csv", csv.into()).await;
    assert_eq!(s, 422, "{r}");
    let r = &r["report"];
    assert_eq!(r["committed"], false, "{r}");
    let problems = r["problems"].as_array().expect("problems");
    assert_eq!(
        (problems[0]["row"].as_i64(), problems[0]["column"].as_str()),
        (Some(2), Some("categoryOptionCombo")),
        "{r}"
    );
    assert!(
        problems[0]["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("default combo"))
    );
    assert_eq!(problems[1]["row"], 3, "{r}");
    assert_eq!(footprint(&app).await, before);

    // Out, with the identifiers mapped back; and the CSV comes back in unchanged.
    let r = office.get("/api/v1/exports/dhis2?unit=QLY&period=2025Q4&element=mediation_cases,mediation_agreements").await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
    let out: Value = r.json();
    let mut got: Vec<(String, String, String, String)> = out["dataValues"]
        .as_array()
        .expect("dataValues")
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            (s("dataElement"), s("period"), s("orgUnit"), s("value"))
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "cYeuwXTCPkU".into(),
                "2025Q4".into(),
                "DiszpKrYNg8".into(),
                "40".into()
            ),
            (
                "fbfJHSPpUQD".into(),
                "2025Q4".into(),
                "DiszpKrYNg8".into(),
                "44".into()
            ),
        ]
    );
    let r = office
        .get("/api/v1/exports/dhis2?unit=QLY&period=2025&format=csv")
        .await;
    assert_eq!(r.status_code(), 200);
    let csv = r.text();
    assert!(
        csv.starts_with("dataelement,period,orgunit,categoryoptioncombo"),
        "{csv}"
    );
    let r = office
        .get("/api/v1/exports/dhis2?unit=QLY&period=2025Q4&format=csv")
        .await;
    let before = footprint(&app).await;
    let (s, r) = upload(&office, "", "back.csv", r.text().into_bytes()).await;
    assert_eq!(s, 200, "{r}");
    assert!(r["unchanged"].as_i64().is_some_and(|n| n >= 2), "{r}");
    assert_eq!(
        (
            r["imported"].as_i64(),
            r["updated"].as_i64(),
            r["rejected"].as_i64()
        ),
        (Some(0), Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(footprint(&app).await, before);
}
scenario!(dhis2_values_in_and_out);
