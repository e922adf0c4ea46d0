//! The commands. Each returns what to print; `run` turns failures into exit codes:
//! 1 for invalid input (with every problem on stderr, in Chinese and English), 2 for usage.

use crate::cli::{
    CheckArgs, CheckFormat, Command, ExplainArgs, Inputs, ScoreArgs, ScoreFormat, WhatifArgs,
};
use crate::output;
use jixiao_core::check::{DataFile, Loaded, check, load_owned};

use jixiao_core::doc::SourceText;
use jixiao_core::engine::Scoring;
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::model::Model;
use jixiao_core::period::Period;
use jixiao_core::report::{Detail, explain_leaf, explain_unit, render_leaf, render_unit, report};
use jixiao_core::text::{Lang, Text};
use jixiao_core::whatif::{Adjust, Lever, what_if};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub enum Failure {
    /// Input files are wrong: exit 1.
    Invalid(Issues),
    /// The command line is wrong: exit 2.
    Usage(Text),
}

type Outcome = Result<(), Failure>;

pub fn run(cmd: Command) -> ExitCode {
    let result = match cmd {
        Command::Check(a) => cmd_check(a),
        Command::Score(a) => cmd_score(a),
        Command::Explain(a) => cmd_explain(a),
        Command::Whatif(a) => cmd_whatif(a),
        Command::Serve(a) => crate::server::serve(a),
        Command::Demo(a) => crate::server::demo(a),
        Command::Audit(crate::cli::AuditCommand::Verify(a)) => crate::server::audit_verify(a),
        Command::Import(a) => crate::server::import(a),
        Command::Backup(a) => crate::server::backup(a),
        Command::Restore(a) => crate::server::restore(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid(issues)) => {
            let errors = issues.errors().count();
            eprint!(
                "{}",
                Issues(issues.0.into_iter().filter(Issue::is_error).collect())
            );
            eprintln!("共 {errors} 个错误，未做任何计算。/ {errors} error(s); nothing was scored.");
            ExitCode::from(1)
        }
        Err(Failure::Usage(t)) => {
            eprintln!("用法错误：{}\nusage error: {}", t.zh, t.en);
            ExitCode::from(2)
        }
    }
}

pub fn usage(zh: String, en: String) -> Failure {
    Failure::Usage(Text::new(zh, en))
}

struct Files {
    scheme: (String, String),
    org: (String, String),
    data: Option<(String, Vec<u8>)>,
}

fn pick(explicit: &Option<PathBuf>, dir: &Option<PathBuf>, default: &str) -> Option<PathBuf> {
    explicit.clone().or_else(|| {
        dir.as_ref().map(|d| {
            // `--dir .` names files plainly in messages: data.csv, not ./data.csv.
            if d.as_os_str() == "." {
                PathBuf::from(default)
            } else {
                d.join(default)
            }
        })
    })
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        let p = path.display().to_string();
        Failure::Invalid(Issues(vec![Issue::error(
            "io",
            &p,
            Location::File,
            Text::new(
                format!("无法读取文件：{e}"),
                format!("cannot read the file: {e}"),
            ),
        )]))
    })
}

fn read_text(path: &Path) -> Result<(String, String), Failure> {
    let bytes = read(path)?;
    let name = path.display().to_string();
    let (text, _) =
        jixiao_core::data::decode(&name, &bytes).map_err(|i| Failure::Invalid(Issues(vec![i])))?;
    Ok((name, text.into_owned()))
}

fn files(i: &Inputs, need_data: bool) -> Result<Files, Failure> {
    let scheme = pick(&i.scheme, &i.dir, "scheme.toml").ok_or_else(|| {
        usage(
            "请用 --scheme 或 --dir 指定考核方案".into(),
            "give the scheme with --scheme or --dir".into(),
        )
    })?;
    let org = pick(&i.org, &i.dir, "org.toml").ok_or_else(|| {
        usage(
            "请用 --org 或 --dir 指定组织文件".into(),
            "give the organisation file with --org or --dir".into(),
        )
    })?;
    let data = pick(&i.data, &i.dir, "data.csv");
    if need_data && data.is_none() {
        return Err(usage(
            "请用 --data 或 --dir 指定数据文件".into(),
            "give the data file with --data or --dir".into(),
        ));
    }
    let data = match data {
        Some(p) if need_data || p.exists() || i.data.is_some() => {
            let bytes = read(&p)?;
            Some((p.display().to_string(), bytes))
        }
        _ => None,
    };
    Ok(Files {
        scheme: read_text(&scheme)?,
        org: read_text(&org)?,
        data,
    })
}

fn load_all(i: &Inputs) -> Result<Loaded, Failure> {
    let f = files(i, true)?;
    let (dn, db) = f.data.unwrap_or_default();
    let loaded = load_owned(
        &SourceText::new(&f.scheme.0, &f.scheme.1),
        &SourceText::new(&f.org.0, &f.org.1),
        &dn,
        db,
    )
    .map_err(Failure::Invalid)?;
    for w in loaded.warnings.warnings() {
        eprintln!("警告 warning: {}", w.render(Lang::Zh));
    }
    Ok(loaded)
}

fn period(s: &str) -> Result<Period, Failure> {
    Period::parse(s).map_err(|_| {
        usage(
            format!("期间“{s}”格式不对，应写成 2025、2025H1、2025Q2 或 2025-06"),
            format!("invalid period `{s}`; write 2025, 2025H1, 2025Q2 or 2025-06"),
        )
    })
}

fn scored_period(model: &Model, s: &str) -> Result<Period, Failure> {
    let p = period(s)?;
    if p.year_number() != model.scheme.year {
        let y = model.scheme.year;
        return Err(usage(
            format!("期间{p}不在方案年度{y}内"),
            format!("period {p} is not in the scheme's year {y}"),
        ));
    }
    Ok(p)
}

fn write_out(path: &Option<PathBuf>, bytes: &[u8]) -> Outcome {
    match path {
        Some(p) => std::fs::write(p, bytes).map_err(|e| {
            let name = p.display().to_string();
            Failure::Invalid(Issues(vec![Issue::error(
                "io",
                &name,
                Location::File,
                Text::new(
                    format!("无法写入文件：{e}"),
                    format!("cannot write the file: {e}"),
                ),
            )]))
        }),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = out.write_all(bytes);
            Ok(())
        }
    }
}

fn cmd_check(a: CheckArgs) -> Outcome {
    let f = files(&a.inputs, false)?;
    let issues = check(
        &SourceText::new(&f.scheme.0, &f.scheme.1),
        &SourceText::new(&f.org.0, &f.org.1),
        f.data.as_ref().map(|(n, b)| DataFile { name: n, bytes: b }),
    );
    match a.format {
        CheckFormat::Json => {
            print!("{}", json_text(&issues));
            if issues.has_errors() {
                return Err(Failure::Invalid(Issues(Vec::new())));
            }
        }
        CheckFormat::Text => {
            if issues.has_errors() {
                return Err(Failure::Invalid(issues));
            }
            for w in issues.warnings() {
                println!(
                    "警告 warning: {}\n  {}",
                    w.render(Lang::Zh),
                    w.render(Lang::En)
                );
            }
            for w in issues.notes() {
                println!(
                    "说明 note: {}\n  {}",
                    w.render(Lang::Zh),
                    w.render(Lang::En)
                );
            }
            let what = if f.data.is_some() {
                "方案、组织和数据"
            } else {
                "方案和组织"
            };
            let what_en = if f.data.is_some() {
                "scheme, organisation and data"
            } else {
                "scheme and organisation"
            };
            let w = issues.warnings().count();
            println!(
                "校验通过：{what}无错误（{w} 个警告）。\nOK: {what_en} have no errors ({w} warning(s))."
            );
        }
    }
    Ok(())
}

fn class_filter(model: &Model, c: &Option<String>) -> Result<Option<u32>, Failure> {
    match c {
        None => Ok(None),
        Some(c) => model
            .classes
            .iter()
            .position(|k| k.code.as_str() == c || k.name.zh == *c || k.name.en == *c)
            .map(|i| Some(i as u32))
            .ok_or_else(|| {
                let known = model
                    .classes
                    .iter()
                    .map(|k| format!("{}({})", k.code, k.name.zh))
                    .collect::<Vec<_>>()
                    .join(", ");
                usage(
                    format!("没有类别“{c}”；可用：{known}"),
                    format!("no class `{c}`; available: {known}"),
                )
            }),
    }
}

fn cmd_score(a: ScoreArgs) -> Outcome {
    let mut l = load_all(&a.inputs)?;
    // The rows were needed for their checks; the value table holds what scoring reads. Freed
    // before scoring, so that the rows and the results are never in memory together. (Freeing
    // them on a thread of their own beside the scoring was measured: no faster at 4 M rows,
    // and 13 MiB more at the peak.)
    drop(std::mem::take(&mut l.data.records));
    let p = scored_period(&l.model, &a.period)?;
    let class = class_filter(&l.model, &a.class)?;
    if a.format == ScoreFormat::Xlsx && a.output.is_none() {
        return Err(usage(
            "xlsx 格式需要用 --output 指定文件".into(),
            "the xlsx format needs --output FILE".into(),
        ));
    }
    let scoring = Scoring::compute(&l.model, &l.values, p);
    let lang: Lang = a.lang.into();
    // JSON is the full structured result; the workbook has a sheet of indicator scores.
    let detail = Detail {
        indicators: matches!(a.format, ScoreFormat::Json | ScoreFormat::Xlsx),
        explanations: a.format == ScoreFormat::Json,
        rows: false,
        warnings: a.format == ScoreFormat::Json,
    };
    let mut r = report(&l.model, &l.values, &scoring, class, detail);
    let history = jixiao_core::applications::history_in_year(&l.model, &l.values, p, |_| None)
        .then(previous_grades(&a.previous)?);
    jixiao_core::applications::apply(&l.model, &mut r, &history);
    let bytes = match a.format {
        ScoreFormat::Table => output::table(&l.model, &r, lang).into_bytes(),
        ScoreFormat::Json => json_text(&r).into_bytes(),
        ScoreFormat::Csv => output::csv(&l.model, &r, lang),
        ScoreFormat::Xlsx => output::xlsx(&l.model, &r, lang).map_err(|e| {
            Failure::Invalid(Issues(vec![Issue::error(
                "xlsx",
                "xlsx",
                Location::File,
                Text::new(
                    format!("生成Excel失败：{e}"),
                    format!("cannot build the workbook: {e}"),
                ),
            )]))
        })?,
    };
    let out = write_out(&a.output, &bytes);
    // The process ends after this: freeing every value, score and row one by one would only
    // cost time (a second at millions of values), so they are left to the exit.
    std::mem::forget((l, scoring, r));
    out
}

/// The units' grades in earlier results (JSON outputs of `jixiao score`), newest first.
fn previous_grades(files: &[PathBuf]) -> Result<jixiao_core::applications::History, Failure> {
    let mut per_file: Vec<std::collections::HashMap<String, jixiao_core::code::Ident>> = Vec::new();
    let mut periods = Vec::new();
    let mut units = std::collections::BTreeSet::new();
    for f in files {
        let name = f.display();
        let text = std::fs::read_to_string(f).map_err(|e| {
            usage(
                format!("无法读取往期结果 {name}：{e}"),
                format!("cannot read the earlier results {name}: {e}"),
            )
        })?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            usage(
                format!(
                    "往期结果 {name} 不是 JSON（第 {} 行第 {} 列）：{e}",
                    e.line(),
                    e.column()
                ),
                format!(
                    "the earlier results {name} are not JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let Some(classes) = v["classes"].as_array() else {
            return Err(usage(
                format!("往期结果 {name} 不是 `jixiao score --format json` 的输出（缺少 classes）"),
                format!(
                    "the earlier results {name} are not an output of `jixiao score --format json` (no classes)"
                ),
            ));
        };
        // The period each file is of (its reasons name it), when it says.
        periods.push(
            v["period"]
                .as_str()
                .and_then(|p| jixiao_core::period::Period::parse(p).ok()),
        );
        let mut grades = std::collections::HashMap::new();
        for row in classes
            .iter()
            .filter_map(|c| c["rows"].as_array())
            .flatten()
        {
            let (Some(u), Some(g)) = (row["unit"].as_str(), row["grade"]["code"].as_str()) else {
                continue;
            };
            if let Ok(g) = jixiao_core::code::Ident::parse(g) {
                units.insert(u.to_owned());
                grades.insert(u.to_owned(), g);
            }
        }
        per_file.push(grades);
    }
    let mut h = jixiao_core::applications::History {
        periods,
        ..Default::default()
    };
    for u in units {
        let seq = per_file.iter().map(|g| g.get(&u).cloned()).collect();
        if let Ok(code) = jixiao_core::code::Code::parse(&u) {
            h.grades.insert(code, seq);
        }
    }
    Ok(h)
}

/// Pretty JSON with a final newline.
fn json_text<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn find_unit(model: &Model, s: &str) -> Result<u32, Failure> {
    if let Some(u) = model.unit(s) {
        return Ok(u);
    }
    let by_name: Vec<u32> = model
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.name.zh == s || u.name.en == s)
        .map(|(i, _)| i as u32)
        .collect();
    match by_name.as_slice() {
        [u] => Ok(*u),
        _ => {
            let hint = jixiao_core::model::suggest(s, model.units.iter().map(|u| u.code.as_str()))
                .map(|h| format!("（是否应为“{h}”？）"))
                .unwrap_or_default();
            Err(usage(
                format!("没有单位“{s}”{hint}"),
                format!("no unit `{s}`"),
            ))
        }
    }
}

fn cmd_explain(a: ExplainArgs) -> Outcome {
    let l = load_all(&a.inputs)?;
    let p = scored_period(&l.model, &a.period)?;
    let m = &l.model;
    let unit = find_unit(m, &a.unit)?;
    let Some((cid, _)) = m.class_of(unit) else {
        return Err(usage(
            format!("单位“{}”不参加本方案考核", a.unit),
            format!("unit `{}` is not assessed by this scheme", a.unit),
        ));
    };
    let scoring = Scoring::compute(m, &l.values, p);
    let lang: Lang = a.lang.into();
    let class = &m.classes[cid as usize];
    let mut out = String::new();
    match &a.indicator {
        Some(ind) => {
            let leaf = class
                .leaves
                .iter()
                .position(|x| x.code.as_str() == ind || x.name.zh == *ind || x.name.en == *ind)
                .ok_or_else(|| {
                    let known = class
                        .leaves
                        .iter()
                        .map(|x| x.code.to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    usage(
                        format!("类别“{}”中没有指标“{ind}”；可用：{known}", class.name.zh),
                        format!(
                            "class `{}` has no indicator `{ind}`; available: {known}",
                            class.code
                        ),
                    )
                })?;
            let e = explain_leaf(m, &l.values, &scoring, unit, leaf as u32, true)
                .ok_or_else(|| usage("无法解释".into(), "nothing to explain".into()))?;
            if a.json {
                out = json_text(&e);
            } else {
                for line in render_leaf(&e, lang, m.display_decimals()) {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        }
        None => {
            let e = explain_unit(m, &scoring, unit)
                .ok_or_else(|| usage("无法解释".into(), "nothing to explain".into()))?;
            if a.json {
                out = json_text(&e);
            } else {
                for line in render_unit(m, unit, &e, lang) {
                    out.push_str(&line);
                    out.push('\n');
                }
                out.push_str(&output::indicator_list(m, &scoring, unit, lang));
            }
        }
    }
    write_out(&None, out.as_bytes())
}

/// `[class/]code=value`
fn cmd_whatif(a: WhatifArgs) -> Outcome {
    let l = load_all(&a.inputs)?;
    let p = scored_period(&l.model, &a.period)?;
    let mut adj = Vec::new();
    for (list, lever) in [
        (&a.points, Lever::Points),
        (&a.weight, Lever::Weight),
        (&a.target, Lever::Target),
        (&a.coef, Lever::Coefficient),
        (&a.outcome, Lever::Outcome),
    ] {
        for s in list {
            let change = Adjust::parse(lever, s).map_err(|e| Failure::Usage(e.text().clone()))?;
            adj.push(change);
        }
    }
    if adj.is_empty() {
        return Err(usage(
            "请至少给出一项调整（--points、--weight、--target、--coef 或 --outcome）".into(),
            "give at least one change (--points, --weight, --target, --coef or --outcome)".into(),
        ));
    }
    let (w, warnings) = what_if(
        &l.model,
        &l.data,
        p,
        &adj,
        &jixiao_core::applications::History::default(),
    )
    .map_err(Failure::Invalid)?;
    for i in warnings.iter() {
        eprintln!("警告 warning: {}", i.render(Lang::Zh));
    }
    let out = if a.json {
        json_text(&w)
    } else {
        output::whatif_table(&l.model, &w, a.lang.into())
    };
    write_out(&None, out.as_bytes())
}
