//! A bench command for reading a data file: the synthetic district's values (UNITS × INDICATORS
//! × 4 quarters) written as a CSV in memory, then read by `jixiao_core::data::read_csv` — decode,
//! parse every row, check it (empty cells, period, number, duplicates) — as `jixiao score` and
//! the imports read files. Peer in the same run: the `csv` crate alone reading the same bytes
//! into reused records (the floor for any reader built on it).
//!
//! cargo run --release -p jixiao-core --example bench_read_csv [UNITS INDICATORS]

use jixiao_core::synth::{Spec, dataset};
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let spec = Spec {
        units: *args.first().unwrap_or(&5_000),
        indicators: *args.get(1).unwrap_or(&200),
        classes: 4,
        seed: 7,
        missing_per_mille: 0,
        coarse: false,
        variety: None,
    };
    let data = dataset(&spec);
    let mut csv = String::with_capacity(data.records.len() * 32);
    csv.push_str("unit,item,period,value\n");
    for r in &data.records {
        csv.push_str(&format!("{},{},{},{}\n", r.unit, r.item, r.period, r.value));
    }
    let rows = data.records.len();
    drop(data);
    println!(
        "{rows} rows, {:.1} MB ({} units × {} indicators × 4 quarters)",
        csv.len() as f64 / 1e6,
        spec.units,
        spec.indicators
    );
    for round in 0..3 {
        let t = Instant::now();
        let mut rdr = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        let mut rec = csv::ByteRecord::new();
        let mut n = 0usize;
        while rdr.read_byte_record(&mut rec).expect("read") {
            n += rec.len();
        }
        let peer = t.elapsed().as_secs_f64();
        std::hint::black_box(n);
        let t = Instant::now();
        let read = jixiao_core::data::read_csv("data.csv", csv.as_bytes()).expect("reads");
        let ours = t.elapsed().as_secs_f64();
        assert_eq!(read.records.len(), rows);
        let t = Instant::now();
        drop(read);
        let freed = t.elapsed().as_secs_f64();
        println!(
            "round {round}: read_csv {ours:.2} s = {:.2} M rows/s (freeing the rows {freed:.2} s); peer csv::ByteRecord {peer:.2} s = {:.2} M rows/s; ÷ peer {:.1}",
            rows as f64 / ours / 1e6,
            rows as f64 / peer / 1e6,
            ours / peer
        );
    }
}
