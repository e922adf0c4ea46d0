//! The demo district through every output format, explain, what-if and the exit codes.

use super::*;

#[test]
fn the_demo_district_scores_ranks_and_grades() {
    let out = run_in(&demo(), &["score", "--dir", ".", "--period", "2025"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.is_empty(),
        "the demo should load without warnings: {}",
        out.stderr
    );
    for class in [
        "【经济发展类】",
        "【执法监管类】",
        "【综合服务类】",
        "【街道（乡镇）】",
        "【村（社区）】",
    ] {
        assert!(out.stdout.contains(class), "missing {class}");
    }
    // 蒲山镇's serious accident vetoes it; the village without its survey is not published.
    let pushan = out
        .stdout
        .lines()
        .find(|l| l.contains("蒲山镇"))
        .expect("蒲山镇 row");
    assert!(
        pushan.contains("不合格") && pushan.contains("一票否决"),
        "{pushan}"
    );
    let blocked = out
        .stdout
        .lines()
        .find(|l| l.contains("十里庙社区"))
        .expect("十里庙社区 row");
    assert!(blocked.contains("缺数据：survey"), "{blocked}");
}

#[test]
fn json_holds_every_indicator_and_its_explanation() {
    let out = run_in(
        &demo(),
        &[
            "score", "--dir", ".", "--period", "2025", "--format", "json", "--class", "street",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let class = &v["classes"][0];
    assert_eq!(class["code"], "street");
    let rows = class["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 8);
    // The warnings raised in the period are in the results, for this class's units only.
    let warnings = v["warnings"].as_array().expect("warnings");
    assert!(!warnings.is_empty());
    for w in warnings {
        assert!(rows.iter().any(|r| r["unit"] == w["unit"]), "{w}");
        assert!(w["level"] == "red" || w["level"] == "yellow", "{w}");
    }
    let qly = rows.iter().find(|r| r["unit"] == "QLY").expect("QLY");
    let inds = qly["indicators"].as_array().expect("indicators");
    // 17 of its own and the villages' roll-up.
    assert_eq!(inds.len(), 18);
    // Totals are exact decimals (strings), and the indicator scores add up to the subtotal.
    let sum: f64 = inds
        .iter()
        .map(|i| {
            i["score"]
                .as_str()
                .expect("decimal string")
                .parse::<f64>()
                .expect("number")
        })
        .sum();
    let subtotal: f64 = qly["subtotal"]
        .as_str()
        .expect("subtotal")
        .parse()
        .expect("number");
    assert!((sum - subtotal).abs() < 1e-9, "{sum} vs {subtotal}");
    let cert = inds
        .iter()
        .find(|i| i["code"] == "cert_rate")
        .expect("cert_rate");
    let steps = cert["explanation"]["steps"].as_array().expect("steps");
    assert!(steps.iter().any(|s| s["rule"] == "threshold"));
    assert_eq!(qly["explanation"]["standing"][0]["rule"], "rank_order");
}

#[test]
fn csv_and_xlsx_carry_the_same_rounded_results() {
    let ws = Workspace::copy_demo();
    let out = ws.run(&["score", "--dir", ".", "--period", "2025", "--format", "csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.bytes.starts_with(b"\xEF\xBB\xBF"),
        "CSV starts with a BOM so Excel reads it as UTF-8"
    );
    let qly = out
        .stdout
        .lines()
        .find(|l| l.contains(",QLY,"))
        .expect("QLY")
        .to_owned();
    let total_csv: f64 = qly
        .split(',')
        .nth(8)
        .expect("total")
        .parse()
        .expect("number");
    let out = ws.run(&[
        "score", "--dir", ".", "--period", "2025", "--format", "xlsx", "--output", "r.xlsx",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(ws.path("r.xlsx")).expect("xlsx");
    let names = wb.sheet_names();
    assert_eq!(
        names,
        [
            "经济发展类",
            "执法监管类",
            "综合服务类",
            "街道（乡镇）",
            "村（社区）",
            "指标得分"
        ]
    );
    let sheet = wb.worksheet_range("街道（乡镇）").expect("sheet");
    let header: Vec<String> = sheet
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = header
        .iter()
        .position(|h| h == "总分")
        .expect("总分 column");
    let row = sheet
        .rows()
        .find(|r| r.get(1) == Some(&Data::String("QLY".into())))
        .expect("QLY row");
    let total_xlsx = match &row[col] {
        Data::Float(f) => *f,
        other => panic!("total is {other:?}"),
    };
    assert_eq!(total_csv, total_xlsx);
    // xlsx needs a file.
    let out = ws.run(&[
        "score", "--dir", ".", "--period", "2025", "--format", "xlsx",
    ]);
    assert_eq!(out.code, 2);
}

#[test]
fn english_output() {
    let out = run_in(
        &demo(),
        &[
            "score", "--dir", ".", "--period", "2025", "--lang", "en", "--class", "village",
        ],
    );
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains("[Villages and communities] 40 units; at most 12 Excellent"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Shilimiao Community") && out.stdout.contains("missing: survey"));
}

#[test]
fn explain_gives_a_trace_a_clerk_can_follow() {
    let out = run_in(
        &demo(),
        &[
            "explain",
            "--dir",
            ".",
            "--period",
            "2025",
            "--unit",
            "七里园街道",
            "--indicator",
            "investment",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for line in [
        "招商引资到位资金 [investment_attracted] 2025 = 31847 万元；由各分期数据求和得出",
        "来自 data.csv 第",
        "弹性系数 k = 1.1（设于“招商引资到位资金”），调整后目标 = 30000 × 1.1 = 33000",
        "正向比率：w × a ÷ t = 5 × 31847 ÷ 33000 ≈ 4.8253",
        "得分：4.83",
    ] {
        assert!(
            out.stdout.contains(line),
            "missing {line:?} in\n{}",
            out.stdout
        );
    }
    let en = run_in(
        &demo(),
        &[
            "explain",
            "--dir",
            ".",
            "--period",
            "2025",
            "--unit",
            "QLY",
            "--indicator",
            "investment",
            "--lang",
            "en",
        ],
    );
    assert!(
        en.stdout
            .contains("higher-is-better ratio: w × a ÷ t = 5 × 31847 ÷ 33000 ≈ 4.8253"),
        "{}",
        en.stdout
    );
    // The whole unit: modules, adjustments, rank, grade and neighbours.
    let unit = run_in(
        &demo(),
        &[
            "explain",
            "--dir",
            ".",
            "--period",
            "2025",
            "--unit",
            "区财政局",
        ],
    );
    assert!(unit.stdout.contains("“优秀”名额为 1 个"), "{}", unit.stdout);
    assert!(unit.stdout.contains("最终等次：良好"));
    assert!(unit.stdout.contains("相邻：第1名 区行政审批服务局"));
}

#[test]
fn whatif_reports_whose_rank_and_grade_move() {
    // 梅溪街道 with a lower investment coefficient: its investment target drops, so its score rises.
    let out = run_in(
        &demo(),
        &[
            "whatif",
            "--dir",
            ".",
            "--period",
            "2025",
            "--coef",
            "MXI/investment=0.8",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let all: Vec<&serde_json::Value> = v["moved"]
        .as_array()
        .expect("moved")
        .iter()
        .chain(v["totals_only"].as_array().expect("totals"))
        .collect();
    let mxi = all
        .iter()
        .find(|m| m["unit"] == "MXI")
        .expect("MXI changes");
    let before: f64 = mxi["total_before"]
        .as_str()
        .expect("before")
        .parse()
        .expect("n");
    let after: f64 = mxi["total_after"]
        .as_str()
        .expect("after")
        .parse()
        .expect("n");
    assert!(after > before, "{before} → {after}");
    // Nobody else in another class moves.
    assert!(all.iter().all(|m| m["class"] == "street"));
    // A change that keeps every number gives an empty report.
    let same = run_in(
        &demo(),
        &[
            "whatif",
            "--dir",
            ".",
            "--period",
            "2025",
            "--target",
            "street/investment=30000",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&same.stdout).expect("json");
    assert_eq!(v["moved"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["totals_only"].as_array().map(Vec::len), Some(0));
    // Points that no longer add up are refused like any broken scheme.
    let bad = run_in(
        &demo(),
        &[
            "whatif",
            "--dir",
            ".",
            "--period",
            "2025",
            "--points",
            "econ/key_tasks=30",
        ],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("add up to 70, expected 60"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr.contains("what-if"),
        "the message says the change came from the what-if: {}",
        bad.stderr
    );
    // Moving points between indicators is fine and reports rank changes in a table.
    let table = run_in(
        &demo(),
        &[
            "whatif",
            "--dir",
            ".",
            "--period",
            "2025",
            "--points",
            "econ/key_tasks=10",
            "--points",
            "econ/investment=25",
        ],
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("名次或等次变化的单位："));
}

#[test]
fn budget_frameworks_self_evaluation_and_third_party() {
    let wolong = demo();
    let own = run_in(
        &wolong,
        &[
            "score", "--dir", "budget", "--org", "org.toml", "--period", "2025", "--format", "json",
        ],
    );
    assert_eq!(own.code, 0, "{}", own.stderr);
    let v: serde_json::Value = serde_json::from_str(&own.stdout).expect("json");
    let heads: Vec<&str> = v["classes"][0]["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| m["points"].as_str().expect("points"))
        .collect();
    assert_eq!(heads, ["10", "50", "30", "10"]);
    assert_eq!(v["classes"][0]["rows"].as_array().map(Vec::len), Some(5));
    // Two of the five projects are also evaluated by a third party, under 20/20/30/30.
    let third = run_in(
        &wolong,
        &[
            "score",
            "--dir",
            "budget-eval",
            "--org",
            "org.toml",
            "--period",
            "2025",
            "--format",
            "json",
        ],
    );
    assert_eq!(third.code, 0, "{}", third.stderr);
    let v: serde_json::Value = serde_json::from_str(&third.stdout).expect("json");
    let rows = v["classes"][0]["rows"].as_array().expect("rows");
    let units: Vec<&str> = rows
        .iter()
        .map(|r| r["unit"].as_str().expect("unit"))
        .collect();
    assert_eq!(units, ["P2025-01", "P2025-04"]);
    let grades: Vec<&str> = rows
        .iter()
        .map(|r| r["grade"]["name"]["zh"].as_str().expect("grade"))
        .collect();
    assert_eq!(grades, ["优", "中"]);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["score", "--dir", ".", "--period", "2025Q9"],
        vec!["score", "--dir", "."],
        vec!["score", "--dir", ".", "--period", "2024"],
        vec!["score", "--dir", ".", "--period", "2025", "--class", "nope"],
        vec![
            "explain",
            "--dir",
            ".",
            "--period",
            "2025",
            "--unit",
            "不存在的单位",
        ],
        vec!["whatif", "--dir", ".", "--period", "2025"],
        vec![
            "whatif",
            "--dir",
            ".",
            "--period",
            "2025",
            "--coef",
            "investment=1.1",
        ],
        vec!["frobnicate"],
    ] {
        let out = run_in(&demo(), &args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.is_empty());
    }
    let missing = run_in(
        &demo(),
        &["check", "--scheme", "nope.toml", "--org", "org.toml"],
    );
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("nope.toml: 无法读取文件"),
        "{}",
        missing.stderr
    );
}

#[test]
fn quarterly_and_half_year_periods_score_too() {
    for p in ["2025Q1", "2025Q4", "2025H1"] {
        let out = run_in(
            &demo(),
            &["score", "--dir", ".", "--period", p, "--format", "csv"],
        );
        assert_eq!(out.code, 0, "{p}: {}", out.stderr);
        assert!(out.stdout.lines().count() > 60, "{p}");
    }
}

/// Results applied: a column per application in the CSV; `--previous` gives the earlier
/// grades a consecutive rule reads, and a file that is not an earlier result is refused by name.
#[test]
fn consecutive_results_read_earlier_outputs() {
    let w = crate::Workspace::copy_demo();
    // For this test the talk follows two 合格 running (石桥镇 SQI is 合格 in 2025).
    w.replace(
        "scheme.toml",
        r#"{ consecutive = { grades = ["fail"], periods = 2 }, value = true },"#,
        r#"{ consecutive = { grades = ["pass"], periods = 2 }, value = true },"#,
    );
    let args = [
        "score",
        "--scheme",
        "scheme.toml",
        "--org",
        "org.toml",
        "--data",
        "data.csv",
        "--period",
        "2025",
        "--format",
        "csv",
    ];
    let sqi = |out: &str| -> Vec<String> {
        let line = out
            .lines()
            .find(|l| l.contains(",SQI,"))
            .expect("SQI row")
            .to_owned();
        line.split(',').map(str::to_owned).collect()
    };
    let head: Vec<String> = {
        let out = w.run(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let first = out
            .stdout
            .lines()
            .next()
            .expect("header")
            .trim_start_matches('\u{feff}');
        assert!(
            first.ends_with(
                "绩效奖金系数,评优评先资格,约谈主要负责人,集体记功（连续三年优秀）,领导班子考核参考"
            ),
            "{first}"
        );
        assert_eq!(sqi(&out.stdout)[13], "否", "no earlier result: no talk");
        first.split(',').map(str::to_owned).collect()
    };
    assert_eq!(head[13], "约谈主要负责人");
    // Last year's result: SQI 合格 as well.
    std::fs::write(
        w.path("2024.json"),
        r#"{ "period": "2024", "classes": [ { "rows": [ { "unit": "SQI", "grade": { "code": "pass" } } ] } ] }"#,
    )
    .expect("write");
    let mut with = args.to_vec();
    with.extend(["--previous", "2024.json"]);
    let out = w.run(&with);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(sqi(&out.stdout)[13], "是");
    let mut json = with.clone();
    json[10] = "json";
    let out = w.run(&json);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let row = v["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .flat_map(|c| c["rows"].as_array().expect("rows"))
        .find(|r| r["unit"] == "SQI")
        .expect("SQI");
    let talk = row["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["code"] == "talk")
        .expect("talk");
    assert_eq!(talk["value"], true);
    assert_eq!(talk["rule"], 2);
    assert!(
        talk["reason"]["zh"]
            .as_str()
            .expect("reason")
            .contains("近 2 期等次（由近及远）合格（本期）、合格（2024年度），连续为{合格}"),
        "{talk}"
    );
    // Not an earlier result: refused, naming the file.
    std::fs::write(w.path("bad.json"), "{ \"rows\": [] }").expect("write");
    let mut bad = args.to_vec();
    bad.extend(["--previous", "bad.json"]);
    let out = w.run(&bad);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("bad.json"), "{}", out.stderr);
}
