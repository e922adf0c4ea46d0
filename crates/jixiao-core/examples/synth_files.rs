//! Writes the synthetic district (the one every benchmark measures) as the files `jixiao score`
//! reads: `scheme.json`, `org.json` and `data.csv` (UNITS × INDICATORS × the four quarters of
//! 2025) in DIR. `bench/score_compare.py` runs `jixiao score` and the pandas peer on them.
//!
//! cargo run --release -p jixiao-core --example synth_files -- DIR UNITS INDICATORS

use jixiao_core::synth::{Spec, dataset, scheme_and_org};
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .expect("usage: synth_files DIR UNITS INDICATORS"),
    );
    let mut n = || {
        args.next()
            .and_then(|a| a.parse::<usize>().ok())
            .expect("usage: synth_files DIR UNITS INDICATORS")
    };
    let spec = Spec {
        units: n(),
        indicators: n(),
        classes: 4,
        seed: 7,
        missing_per_mille: 0,
        coarse: false,
        variety: None,
    };
    std::fs::create_dir_all(&dir).expect("create the directory");
    let (scheme, org) = scheme_and_org(&spec);
    std::fs::write(dir.join("scheme.json"), json(&scheme)).expect("write scheme.json");
    std::fs::write(dir.join("org.json"), json(&org)).expect("write org.json");
    let data = dataset(&spec);
    let mut w = csv::Writer::from_path(dir.join("data.csv")).expect("create data.csv");
    w.write_record(["unit", "item", "period", "value"])
        .expect("write data.csv");
    for r in &data.records {
        w.write_record([
            r.unit.as_ref(),
            r.item.as_ref(),
            &r.period.to_string(),
            &r.value.to_string(),
        ])
        .expect("write data.csv");
    }
    w.flush().expect("write data.csv");
    println!(
        "{}: {} units × {} indicators × 4 quarters = {} values",
        dir.display(),
        spec.units,
        spec.indicators,
        data.records.len()
    );
}

/// Pretty JSON, as a scheme author would keep it.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("serializes")
}
