//! `jixiao check` on each broken input exits 1 and names the place and the problem, in Chinese
//! and English.

use super::*;

struct Case {
    name: &'static str,
    file: &'static str,
    old: &'static str,
    new: &'static str,
    /// Further replacements in the same file.
    more: &'static [(&'static str, &'static str)],
    /// What the errors must mention: place and words.
    expect: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "weights that do not add up",
        file: "scheme.toml",
        old: "points = 20\nelement = \"key_task_rate\"",
        new: "points = 25\nelement = \"key_task_rate\"",
        more: &[],
        expect: &[
            "scheme.toml: classes.econ.modules[0] (line",
            "“职能目标”（functional）下级的分值合计65，应为60",
            "the points under `functional` (Functional targets) add up to 65, expected 60",
        ],
    },
    Case {
        name: "unknown method",
        file: "scheme.toml",
        old: "method = { type = \"ratio\" }",
        new: "method = { type = \"ratoi\" }",
        more: &[],
        expect: &[
            "classes.econ.modules[0].indicators[0].method",
            "未知取值“ratoi”",
            "可用取值：ratio, threshold, linear",
        ],
    },
    Case {
        name: "unknown parameter",
        file: "scheme.toml",
        old: "method = { type = \"linear\", floor = 80 }",
        new: "method = { type = \"linear\", flor = 80 }",
        more: &[],
        expect: &[
            "classes.enforce.modules[0].indicators[2].method",
            "未知字段“flor”",
            "unknown field `flor`",
        ],
    },
    Case {
        name: "formula syntax error with position",
        file: "scheme.toml",
        old: "formula = \"key_tasks_done / key_tasks_planned * 100\"",
        new: "formula = \"key_tasks_done / (key_tasks_planned * 100\"",
        more: &[],
        expect: &[
            "elements.key_task_rate.formula (line",
            "第18个字符处",
            "at character 18: `(` is never closed",
        ],
    },
    Case {
        name: "formula referring to an unknown item",
        file: "scheme.toml",
        old: "formula = \"key_tasks_done / key_tasks_planned * 100\"",
        new: "formula = \"key_tasks_done / key_task_planed * 100\"",
        more: &[],
        expect: &[
            "elements.key_task_rate.formula",
            "第18个字符处：未知名称“key_task_planed”",
            "unknown name `key_task_planed`",
        ],
    },
    Case {
        name: "cycle between computed indicators",
        file: "scheme.toml",
        old: "formula = \"certified_officers / enforcement_officers * 100\"",
        new: "formula = \"legal_review_rate * certified_officers / enforcement_officers\"",
        more: &[(
            "formula = \"if(major_decisions == 0, 100, major_reviewed / major_decisions * 100)\"",
            "formula = \"major_reviewed / major_decisions * cert_rate\"",
        )],
        expect: &[
            "elements.cert_rate.formula (line",
            "计算数据项之间存在循环引用：cert_rate → legal_review_rate → cert_rate",
            "in a cycle: cert_rate → legal_review_rate → cert_rate",
        ],
    },
    Case {
        name: "duplicate codes",
        file: "scheme.toml",
        old: "code = \"new_enterprises\"",
        new: "code = \"investment\"",
        more: &[],
        expect: &[
            "classes.econ.modules[0].indicators[4].code",
            "代码“investment”在本类别中重复（另见 classes.econ.modules[0].indicators[1]）",
        ],
    },
    Case {
        name: "coefficient outside its range",
        file: "org.toml",
        old: "coefficients = { investment = 1.1 }",
        new: "coefficients = { investment = 1.5 }",
        more: &[],
        expect: &[
            "org.toml: units[19].coefficients.investment (line",
            "弹性系数1.5超出允许范围[0.8, 1.2]",
            "coefficient 1.5 is outside the allowed range [0.8, 1.2]",
        ],
    },
    Case {
        name: "coefficient on a core indicator",
        file: "org.toml",
        old: "coefficients = { investment = 1.1 }",
        new: "coefficients = { investment = 1.1, cert_rate = 0.9 }",
        more: &[],
        expect: &[
            "units[19].coefficients.cert_rate",
            "“cert_rate”是核心指标，不能设置弹性系数",
        ],
    },
    Case {
        name: "data row for an unknown unit",
        file: "data.csv",
        old: "FGW,key_tasks_planned,2025Q1,",
        new: "FWG,key_tasks_planned,2025Q1,",
        more: &[],
        expect: &[
            "data.csv: 第2行“unit”列: 组织文件中没有单位“FWG”",
            "是否应为“FGW”？",
            "row 2, column `unit`: unit `FWG` is not in the organisation file",
        ],
    },
    Case {
        name: "data row for an unknown item",
        file: "data.csv",
        old: "FGW,key_tasks_planned,2025Q1,",
        new: "FGW,key_task_planned,2025Q1,",
        more: &[],
        expect: &[
            "第2行“item”列: 方案中没有数据项“key_task_planned”",
            "是否应为“key_tasks_planned”？",
        ],
    },
    Case {
        name: "data row for an unknown period",
        file: "data.csv",
        old: "FGW,key_tasks_planned,2025Q1,",
        new: "FGW,key_tasks_planned,2025Q5,",
        more: &[],
        expect: &[
            "第2行“period”列: 期间“2025Q5”格式不对",
            "period `2025Q5` is not valid",
        ],
    },
    Case {
        name: "data row for a period outside the scheme year",
        file: "data.csv",
        old: "FGW,key_tasks_planned,2025Q1,",
        new: "FGW,key_tasks_planned,2023Q1,",
        more: &[],
        expect: &["第2行“period”列: 期间2023Q1不在方案年度2025"],
    },
    Case {
        name: "data row at the wrong frequency",
        file: "data.csv",
        old: "FGW,key_tasks_planned,2025Q1,",
        new: "FGW,key_tasks_planned,2025-01,",
        more: &[],
        expect: &["第2行“period”列: 数据项“key_tasks_planned”按季度填报，而期间2025-01是月度"],
    },
    Case {
        name: "non-numeric value",
        file: "data.csv",
        old: "FGW,key_tasks_planned,2025Q1,6,",
        new: "FGW,key_tasks_planned,2025Q1,六,",
        more: &[],
        expect: &["第2行“value”列: “六”不是数字", "`六` is not a number"],
    },
    Case {
        name: "out-of-range value",
        file: "data.csv",
        old: "FGW,key_tasks_planned,2025Q1,6,",
        new: "FGW,key_tasks_planned,2025Q1,-6,",
        more: &[],
        expect: &["第2行“value”列: -6小于允许的最小值0"],
    },
    Case {
        name: "count that is not a whole number",
        file: "data.csv",
        old: "FGW,key_tasks_planned,2025Q1,6,",
        new: "FGW,key_tasks_planned,2025Q1,6.5,",
        more: &[],
        expect: &["6.5不是整数"],
    },
    Case {
        name: "duplicate data row",
        file: "data.csv",
        old: "FGW,key_tasks_done,2025Q1,",
        new: "FGW,key_tasks_planned,2025Q1,",
        more: &[],
        expect: &["第3行: 与第2行重复"],
    },
];

#[test]
fn every_broken_input_exits_1_naming_place_and_problem() {
    let mut snapshot = String::new();
    for case in CASES {
        let ws = Workspace::copy_demo();
        ws.replace(case.file, case.old, case.new);
        for (old, new) in case.more {
            ws.replace(case.file, old, new);
        }
        let out = ws.run(&["check", "--dir", "."]);
        assert_eq!(
            out.code, 1,
            "{}: exit code; stderr:\n{}",
            case.name, out.stderr
        );
        for e in case.expect {
            assert!(
                out.stderr.contains(e),
                "{}: stderr lacks {e:?}:\n{}",
                case.name,
                out.stderr
            );
        }
        // Both languages, every time.
        assert!(
            out.stderr.contains("个错误") && out.stderr.contains("error(s)"),
            "{}",
            case.name
        );
        snapshot.push_str(&format!("## {}\n{}\n", case.name, out.stderr));
    }
    insta::assert_snapshot!("broken_inputs", snapshot);
}

#[test]
fn budget_framework_with_too_little_output_and_benefit_is_rejected() {
    let ws = Workspace::copy_demo();
    ws.replace(
        "budget/scheme.toml",
        "dimension = \"execution\"\npoints = 10",
        "dimension = \"execution\"\npoints = 40",
    );
    ws.replace(
        "budget/scheme.toml",
        "dimension = \"output\"\npoints = 50",
        "dimension = \"output\"\npoints = 20",
    );
    // The output indicators must then add up to 20 as well.
    ws.replace(
        "budget/scheme.toml",
        "code = \"quantity\"",
        "code = \"quantity\"\nweight = 30",
    );
    let out = ws.run(&["check", "--dir", "budget", "--org", "org.toml"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("budget/scheme.toml: classes.project_self.modules"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("产出和效益指标合计50分，占50%，低于财政部规定的60%"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "output and benefit indicators total 50 points (50%), below the required 60%"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn gbk_data_from_excel_is_read_and_scores_the_same() {
    let ws = Workspace::copy_demo();
    let utf8 = ws.run(&["score", "--dir", ".", "--period", "2025", "--format", "csv"]);
    assert_eq!(utf8.code, 0, "{}", utf8.stderr);
    // Re-encode the data file as GBK, as Excel on a Chinese Windows saves it.
    let text = std::fs::read_to_string(ws.path("data.csv")).expect("read");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    std::fs::write(ws.path("data.csv"), &gbk).expect("write");
    let out = ws.run(&["score", "--dir", ".", "--period", "2025", "--format", "csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, utf8.stdout);
    // Bytes that are neither UTF-8 nor GBK are refused with the line.
    std::fs::write(
        ws.path("data.csv"),
        b"unit,item,period,value\nFGW,key_tasks_planned,2025Q1,\xff\xfe\x80\n",
    )
    .expect("write");
    let out = ws.run(&["check", "--dir", "."]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("文件编码无法识别：既不是UTF-8也不是GBK（第2行"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("CSV UTF-8"), "{}", out.stderr);
}
