//! The OpenAPI document is the contract: every schema it names is defined (and means one
//! thing), every error answer is documented as `application/problem+json`, and the answers a
//! request can get (a problem of the request, of signing in, of permission) are on every
//! operation.

use crate::{App, Db, scenario};
use serde_json::Value;

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        out.push(s);
                    }
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

async fn the_document_matches_the_answers(db: Db) {
    let app = App::spawn(db).await;
    let doc = app.client().ok_get("/api/v1/openapi.json").await;
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in &all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            schemas.contains_key(name),
            "{r} is referenced but not defined"
        );
    }
    // Two things once shared the name `Health`: the service's status and a feed's counters.
    assert!(schemas["Health"]["properties"].get("status").is_some());
    assert!(
        schemas["FeedHealth"]["properties"]
            .get("accepted")
            .is_some()
    );
    let feed_health = &schemas["FeedInfo"]["properties"]["health"]["$ref"];
    assert_eq!(feed_health, "#/components/schemas/FeedHealth");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            operations += 1;
            for code in ["400", "401", "403"] {
                assert!(
                    responses.contains_key(code),
                    "{method} {path} does not document {code}"
                );
            }
            for (code, r) in responses {
                let content = r["content"].as_object();
                let problem = content.and_then(|c| c.get("application/problem+json"));
                if (code.starts_with('4') || code.starts_with('5'))
                    && let Some(c) = content
                {
                    assert!(
                        problem.is_some() && !c.contains_key("application/json"),
                        "{method} {path} {code}: errors are problem+json: {c:?}"
                    );
                }
            }
        }
    }
    assert!(operations > 50, "{operations}");
    // And an error is sent as documented.
    let r = app.client().get("/api/v1/units").await;
    assert_eq!(r.status_code(), 401);
    assert_eq!(r.header("content-type"), "application/problem+json");
}
scenario!(the_document_matches_the_answers);
