//! Printing results: aligned tables (Chinese-aware widths), CSV and XLSX. Numbers are rounded
//! half-up to the scheme's display decimals here and only here.

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use jixiao_core::Decimal;
use jixiao_core::engine::{GradeRule, Scoring};
use jixiao_core::explain::display;
use jixiao_core::model::Model;
use jixiao_core::report::{ClassReport, Report, UnitRow};
use jixiao_core::text::Lang;
use jixiao_core::whatif::WhatIf;

/// A table with light borders whose columns keep their width (CJK-aware) however wide.
fn new_table() -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t
}

fn h(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn opt(d: Option<Decimal>, dd: u32) -> String {
    d.map_or_else(|| "—".to_owned(), |v| display(v, dd))
}

/// Why a unit has the grade it has, in a few words.
pub fn rule_note(row: &UnitRow, lang: Lang) -> String {
    let note = grade_note(row, lang);
    // A year result: the total is not the modules' sum; say how it was made.
    match row
        .year
        .as_ref()
        .filter(|y| y.applied && y.periodic.is_some())
    {
        Some(y) => {
            let (a, b) = (y.shares.0.normalize(), y.shares.1.normalize());
            let made = match lang {
                Lang::Zh => format!("年度综合：平时×{a}%＋年终×{b}%"),
                Lang::En => format!("year result: periodic×{a}% + year-end×{b}%"),
            };
            if note.is_empty() {
                made
            } else {
                format!("{made}；{note}")
            }
        }
        None => note,
    }
}

fn grade_note(row: &UnitRow, lang: Lang) -> String {
    let v = row
        .veto
        .as_ref()
        .map(|v| v.name.get(lang).to_owned())
        .unwrap_or_default();
    match (row.grade_rule, lang) {
        (GradeRule::Band, _) => String::new(),
        (GradeRule::QuotaDemoted { allowed }, Lang::Zh) => format!("优秀名额已满（{allowed}个）"),
        (GradeRule::QuotaDemoted { allowed }, Lang::En) => format!("quota of {allowed} full"),
        (GradeRule::QuotaTie { allowed }, Lang::Zh) => format!("名额线并列（名额{allowed}个）"),
        (GradeRule::QuotaTie { allowed }, Lang::En) => format!("tied at the quota cut ({allowed})"),
        (GradeRule::Veto, Lang::Zh) => format!("一票否决：{v}"),
        (GradeRule::Veto, Lang::En) => format!("veto: {v}"),
        (GradeRule::VetoCapped, Lang::Zh) => format!("否决封顶：{v}"),
        (GradeRule::VetoCapped, Lang::En) => format!("veto cap: {v}"),
        (GradeRule::Blocked, _) => {
            let list = row
                .blocked_by
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            match lang {
                Lang::Zh if list.is_empty() => "缺数据，暂不能公布".to_owned(),
                Lang::Zh => format!("缺数据：{list}"),
                Lang::En if list.is_empty() => "missing data".to_owned(),
                Lang::En => format!("missing: {list}"),
            }
        }
    }
}

fn class_title(c: &ClassReport, lang: Lang) -> String {
    let quota = c.quota.as_ref().map(|q| match lang {
        Lang::Zh => format!("；{}名额 {} 个", q.grade.name.zh, q.allowed),
        Lang::En => format!("; at most {} {}", q.allowed, q.grade.name.get(lang)),
    });
    match lang {
        Lang::Zh => format!(
            "【{}】{} 个单位{}",
            c.name.zh,
            c.units,
            quota.unwrap_or_default()
        ),
        Lang::En => format!(
            "[{}] {} units{}",
            c.name.get(lang),
            c.units,
            quota.unwrap_or_default()
        ),
    }
}

/// Ranked tables, one per class.
pub fn table(model: &Model, r: &Report, lang: Lang) -> String {
    let dd = model.display_decimals();
    let mut out = match lang {
        Lang::Zh => format!(
            "{}（第{}版）· {}\n",
            r.scheme.title.zh,
            r.scheme.version,
            r.period.label(lang)
        ),
        Lang::En => format!(
            "{} (version {}) · {}\n",
            r.scheme.title.get(lang),
            r.scheme.version,
            r.period
        ),
    };
    for c in &r.classes {
        out.push('\n');
        out.push_str(&class_title(c, lang));
        out.push('\n');
        let mut t = new_table();
        let mut head = vec![h(lang, "名次", "Rank"), h(lang, "单位", "Unit")];
        for m in &c.modules {
            head.push(format!("{}({})", m.name.get(lang), m.points.normalize()));
        }
        head.extend([
            h(lang, "加分", "Bonus"),
            h(lang, "扣分", "Deduct"),
            h(lang, "总分", "Total"),
            h(lang, "等次", "Grade"),
            h(lang, "说明", "Note"),
        ]);
        head.extend(applied_heads(model, c, r.period, lang));
        t.set_header(head);
        for row in &c.rows {
            let mut cells = vec![
                row.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
                row.name.get(lang).to_owned(),
            ];
            for m in &row.modules {
                cells.push(opt(*m, dd));
            }
            cells.extend([
                display(row.bonus, dd),
                display(row.deduction, dd),
                opt(row.total, dd),
                row.grade
                    .as_ref()
                    .map_or_else(|| "—".to_owned(), |g| g.name.get(lang).to_owned()),
                rule_note(row, lang),
            ]);
            cells.extend(applied_cells(row, lang));
            t.add_row(cells);
        }
        let n = c.modules.len();
        for i in std::iter::once(0).chain(2..2 + n + 3) {
            if let Some(col) = t.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out
}

/// The headers of a class's results applied (结果运用), after the fixed columns.
fn applied_heads(
    model: &Model,
    c: &jixiao_core::report::ClassReport,
    period: jixiao_core::period::Period,
    lang: Lang,
) -> Vec<String> {
    model
        .scheme
        .applications
        .iter()
        .filter(|a| a.classes.is_empty() || a.classes.contains(&c.code))
        .filter(|a| a.periods.is_none_or(|g| g == period.granularity()))
        .map(|a| a.name.get(lang).to_owned())
        .collect()
}

/// A row's outcomes, in the order of [`applied_heads`] (— when not decided).
fn applied_cells(row: &jixiao_core::report::UnitRow, lang: Lang) -> Vec<String> {
    row.outcomes
        .iter()
        .map(|o| {
            o.value
                .as_ref()
                .map_or_else(|| "—".to_owned(), |v| v.show().get(lang).to_owned())
        })
        .collect()
}

/// One line per unit, every class in one table with fixed columns (UTF-8 with BOM so that
/// Excel opens it correctly).
pub fn csv(model: &Model, r: &Report, lang: Lang) -> Vec<u8> {
    let dd = model.display_decimals();
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let head = match lang {
        Lang::Zh => [
            "类别代码",
            "类别",
            "名次",
            "单位代码",
            "单位",
            "指标得分",
            "加分",
            "扣分",
            "总分",
            "等次",
            "说明",
        ],
        Lang::En => [
            "class_code",
            "class",
            "rank",
            "unit_code",
            "unit",
            "indicators",
            "bonus",
            "deduction",
            "total",
            "grade",
            "note",
        ],
    };
    // Results applied: one column per application of the scheme (empty where a class has no
    // such application).
    let applied: Vec<&jixiao_core::applications::Application> = model
        .scheme
        .applications
        .iter()
        .filter(|a| a.periods.is_none_or(|g| g == r.period.granularity()))
        .collect();
    let mut head: Vec<String> = head.iter().map(|s| (*s).to_owned()).collect();
    head.extend(applied.iter().map(|a| a.name.get(lang).to_owned()));
    let _ = w.write_record(&head);
    for c in &r.classes {
        for row in &c.rows {
            let mut record = vec![
                c.code.to_string(),
                c.name.get(lang).to_owned(),
                row.rank.map(|r| r.to_string()).unwrap_or_default(),
                row.unit.to_string(),
                row.name.get(lang).to_owned(),
                row.subtotal.map(|v| display(v, dd)).unwrap_or_default(),
                display(row.bonus, dd),
                display(row.deduction, dd),
                row.total.map(|v| display(v, dd)).unwrap_or_default(),
                row.grade
                    .as_ref()
                    .map(|g| g.name.get(lang).to_owned())
                    .unwrap_or_default(),
                rule_note(row, lang),
            ];
            record.extend(applied.iter().map(|a| {
                row.outcomes
                    .iter()
                    .find(|o| o.code == a.code)
                    .and_then(|o| o.value.as_ref())
                    .map(|v| v.show().get(lang).to_owned())
                    .unwrap_or_default()
            }));
            let _ = w.write_record(&record);
        }
    }
    w.into_inner().unwrap_or_default()
}

/// A workbook: one ranked sheet per class and one sheet of every indicator score, numbers
/// rounded to the scheme's display decimals (written by the server's one workbook writer).
pub fn xlsx(model: &Model, r: &Report, lang: Lang) -> Result<Vec<u8>, String> {
    use jixiao_server::xlsx::{Cell, Sheet, workbook};
    let dd = model.display_decimals();
    let num = |v: Option<Decimal>| v.map_or_else(|| Cell::from("—"), Cell::Num);
    let mut sheets: Vec<Sheet> = r
        .classes
        .iter()
        .map(|c| {
            let mut cols = vec![
                h(lang, "名次", "Rank"),
                h(lang, "单位代码", "Code"),
                h(lang, "单位", "Unit"),
            ];
            cols.extend(
                c.modules
                    .iter()
                    .map(|m| format!("{}({})", m.name.get(lang), m.points.normalize())),
            );
            cols.extend([
                h(lang, "指标得分", "Indicators"),
                h(lang, "加分", "Bonus"),
                h(lang, "扣分", "Deduction"),
                h(lang, "总分", "Total"),
                h(lang, "等次", "Grade"),
                h(lang, "说明", "Note"),
            ]);
            let rows = c
                .rows
                .iter()
                .map(|row| {
                    let mut cells = vec![
                        row.rank
                            .map_or_else(|| Cell::from("—"), |rk| Cell::Int(i64::from(rk))),
                        row.unit.as_str().into(),
                        row.name.get(lang).into(),
                    ];
                    cells.extend(row.modules.iter().map(|v| num(*v)));
                    cells.extend([
                        num(row.subtotal),
                        num(Some(row.bonus)),
                        num(Some(row.deduction)),
                        num(row.total),
                        row.grade
                            .as_ref()
                            .map(|g| g.name.get(lang))
                            .unwrap_or("—")
                            .into(),
                        rule_note(row, lang).into(),
                    ]);
                    cells
                })
                .collect();
            Sheet {
                decimals: Some(dd),
                ..Sheet::new(c.name.get(lang), cols, rows)
            }
        })
        .collect();
    let cols = vec![
        h(lang, "类别", "Class"),
        h(lang, "单位代码", "Code"),
        h(lang, "单位", "Unit"),
        h(lang, "指标代码", "Indicator code"),
        h(lang, "指标", "Indicator"),
        h(lang, "分值", "Points"),
        h(lang, "得分", "Score"),
        h(lang, "状态", "State"),
    ];
    let mut rows = Vec::new();
    for c in &r.classes {
        for row in &c.rows {
            for ind in row.indicators.iter().flatten() {
                rows.push(vec![
                    c.name.get(lang).into(),
                    row.unit.as_str().into(),
                    row.name.get(lang).into(),
                    ind.code.as_str().into(),
                    ind.name.get(lang).into(),
                    Cell::Num(ind.points),
                    Cell::Num(ind.score),
                    state_name(ind.state, lang).into(),
                ]);
            }
        }
    }
    sheets.push(Sheet {
        decimals: Some(dd),
        ..Sheet::new(h(lang, "指标得分", "Indicator scores"), cols, rows)
    });
    workbook(&sheets).map_err(|e| e.message.get(lang).to_owned())
}

fn state_name(s: jixiao_core::engine::LeafState, lang: Lang) -> &'static str {
    use jixiao_core::engine::LeafState::*;
    match (s, lang) {
        (Scored, Lang::Zh) => "已计分",
        (Scored, Lang::En) => "scored",
        (MissingZero, Lang::Zh) => "缺数据计0分",
        (MissingZero, Lang::En) => "missing, 0",
        (Excluded, Lang::Zh) => "缺数据不计入",
        (Excluded, Lang::En) => "missing, left out",
        (Blocked, Lang::Zh) => "缺数据待补",
        (Blocked, Lang::En) => "missing, blocks",
    }
}

/// Every indicator of a unit with its score, after a unit explanation.
pub fn indicator_list(model: &Model, scoring: &Scoring, unit: u32, lang: Lang) -> String {
    let dd = model.display_decimals();
    let Some((cid, pos)) = model.class_of(unit) else {
        return String::new();
    };
    let class = &model.classes[cid as usize];
    let cs = scoring.class(cid);
    let mut t = new_table();
    t.set_header([
        h(lang, "指标代码", "Code"),
        h(lang, "指标", "Indicator"),
        h(lang, "分值", "Points"),
        h(lang, "得分", "Score"),
        h(lang, "状态", "State"),
    ]);
    for (i, l) in class.leaves.iter().enumerate() {
        let o = cs.leaf(pos, i as u32);
        t.add_row([
            l.code.to_string(),
            l.name.get(lang).to_owned(),
            display(l.points, dd),
            display(o.score, dd),
            state_name(o.state, lang).to_owned(),
        ]);
    }
    for i in [2, 3] {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let title = match lang {
        Lang::Zh => "各项指标得分（用 --indicator 代码 查看某项的计算过程）：",
        Lang::En => "indicator scores (use --indicator CODE for one indicator's computation):",
    };
    format!("{title}\n{t}\n")
}

/// Whose rank or grade a what-if moves.
pub fn whatif_table(model: &Model, w: &WhatIf, lang: Lang) -> String {
    let dd = model.display_decimals();
    let mut out = String::new();
    out.push_str(&match lang {
        Lang::Zh => format!("模拟调整（{}）：\n", w.period.label(lang)),
        Lang::En => format!("what-if ({}):\n", w.period),
    });
    for c in &w.changes {
        out.push_str(&format!("  - {}\n", c.get(lang)));
    }
    let section = |title: String, rows: &[jixiao_core::whatif::Moved], out: &mut String| {
        out.push_str(&title);
        out.push('\n');
        if rows.is_empty() {
            out.push_str(&h(lang, "  （无）\n", "  (none)\n"));
            return;
        }
        let mut t = new_table();
        t.set_header([
            h(lang, "类别", "Class"),
            h(lang, "单位", "Unit"),
            h(lang, "总分", "Total"),
            h(lang, "名次", "Rank"),
            h(lang, "等次", "Grade"),
        ]);
        for m in rows {
            let g = |x: &Option<jixiao_core::report::Named>| {
                x.as_ref()
                    .map_or_else(|| "—".to_owned(), |g| g.name.get(lang).to_owned())
            };
            let r = |x: Option<u32>| x.map_or_else(|| "—".to_owned(), |v| v.to_string());
            t.add_row([
                m.class.to_string(),
                m.name.get(lang).to_owned(),
                format!("{} → {}", opt(m.total_before, dd), opt(m.total_after, dd)),
                format!("{} → {}", r(m.rank_before), r(m.rank_after)),
                format!("{} → {}", g(&m.grade_before), g(&m.grade_after)),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    };
    section(
        h(
            lang,
            "名次或等次变化的单位：",
            "units whose rank or grade changes:",
        ),
        &w.moved,
        &mut out,
    );
    section(
        h(
            lang,
            "仅总分变化的单位：",
            "units whose total changes but not rank or grade:",
        ),
        &w.totals_only,
        &mut out,
    );
    if !w.outcomes.is_empty() {
        out.push_str(&h(
            lang,
            "结果运用变化：\n",
            "results applied that change:\n",
        ));
        let mut t = new_table();
        t.set_header([
            h(lang, "单位", "Unit"),
            h(lang, "运用事项", "Outcome"),
            h(lang, "调整前 → 调整后", "Before → after"),
        ]);
        let v = |x: &Option<jixiao_core::applications::OutcomeValue>| {
            x.as_ref()
                .map_or_else(|| "—".to_owned(), |v| v.show().get(lang).to_owned())
        };
        for o in &w.outcomes {
            t.add_row([
                o.name.get(lang).to_owned(),
                o.application_name.get(lang).to_owned(),
                format!("{} → {}", v(&o.before), v(&o.after)),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out
}
