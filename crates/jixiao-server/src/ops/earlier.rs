//! Earlier results (往期结果): each unit's grade in the periods before a scheme's year, per
//! series of yearly schemes (`wolong` for `wolong-2024`, `wolong-2025`). Rules on consecutive
//! results (不合格 two years running → 约谈) read them. Every publication records its official
//! grades here; for the years before jixiao the office records them from its own tables (an
//! Excel or CSV upload, or the API). A period a publication recorded cannot be overwritten by
//! hand: the publication is the record.
//!
//! Decision: earlier results are grades by scheme grade code, not scores re-computed from old
//! data — a district's earlier years were assessed under earlier schemes, and what the rules
//! read is the decided grade. Total and rank are kept beside it for the office to see.

use crate::error::{Error, Result};
use crate::live::{Live, LiveScheme};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_store::earlier::{EarlierRow, New};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The earlier results of a scheme's series.
#[derive(Debug, Serialize, ToSchema)]
pub struct Earlier {
    pub scheme: String,
    pub series: String,
    /// The scheme's grades, best first: what a recorded grade may be (code or name).
    pub grades: Vec<GradeChoice>,
    /// How many earlier periods the scheme's rules read (0: no rule reads them).
    pub depth: usize,
    /// Newest first.
    pub periods: Vec<EarlierPeriod>,
    /// The name of every unit the rows name (as it is or was last known).
    #[schema(value_type = Object)]
    pub names: std::collections::BTreeMap<String, Text>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GradeChoice {
    pub code: String,
    #[schema(value_type = Object)]
    pub name: Text,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EarlierPeriod {
    pub period: String,
    /// `publication` or `recorded`.
    pub source: String,
    pub publication_id: Option<i64>,
    pub recorded_by: String,
    pub recorded_at: String,
    pub rows: Vec<EarlierRow>,
}

/// One unit's earlier result to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRow {
    pub unit: String,
    /// The grade's code or name in the scheme (`fail`, `不合格`).
    pub grade: String,
    /// The total as recorded (optional, shown only).
    #[serde(default)]
    pub total: Option<String>,
    #[serde(default)]
    pub rank: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// A period before the scheme's year, e.g. `2024`.
    pub period: String,
    pub reason: String,
    pub rows: Vec<RecordRow>,
}

fn scheme_of<'a>(live: &'a Live, scheme: &str) -> Result<&'a LiveScheme> {
    live.scheme(scheme)
        .ok_or_else(|| Error::not_found("已发布的方案", "published scheme"))
}

/// The earlier results of a scheme's series (readers of results).
pub async fn list(state: &AppState, caller: &Caller, scheme: &str) -> Result<Earlier> {
    allow(state, caller, Action::ReadRankings).await?;
    let (series, grades, depth) = {
        let live = state.live.read().await;
        let s = scheme_of(&live, scheme)?;
        let sc = &s.model.scheme;
        (
            sc.series_code(),
            grade_choices(s),
            jixiao_core::applications::depth(sc),
        )
    };
    let rows = jixiao_store::earlier::of_series(&state.store, &series).await?;
    let names = {
        let live = state.live.read().await;
        let mut names = std::collections::BTreeMap::new();
        if let Some(h) = &live.history {
            for r in &rows {
                if !names.contains_key(&r.unit_code)
                    && let Some(n) = h.last_name(&r.unit_code)
                {
                    names.insert(r.unit_code.clone(), n);
                }
            }
        }
        names
    };
    let mut periods: Vec<EarlierPeriod> = Vec::new();
    for r in rows {
        match periods.last_mut() {
            Some(p) if p.period == r.period => p.rows.push(r),
            _ => periods.push(EarlierPeriod {
                period: r.period.clone(),
                source: r.source.clone(),
                publication_id: r.publication_id,
                recorded_by: r.recorded_by.clone(),
                recorded_at: r.recorded_at.clone(),
                rows: vec![r],
            }),
        }
    }
    // Newest first, by the period (text order is not period order for mixed lengths).
    periods.sort_by_key(|p| std::cmp::Reverse(Period::parse(&p.period).ok()));
    Ok(Earlier {
        scheme: scheme.to_owned(),
        series,
        grades,
        depth,
        periods,
        names,
    })
}

fn grade_choices(s: &LiveScheme) -> Vec<GradeChoice> {
    s.model
        .grades
        .iter()
        .map(|g| GradeChoice {
            code: g.code.to_string(),
            name: g.name.clone(),
        })
        .collect()
}

/// Records (replaces) a series' earlier results of one period, all rows or none: how many
/// rows, or every problem named with its place (`file` row and column for an upload,
/// `rows[i].field` for the API) and nothing changed.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    b: &RecordBody,
    file: Option<&Upload>,
) -> Result<std::result::Result<usize, Issues>> {
    allow(state, caller, Action::Publish { scheme }).await?;
    require_reason(&b.reason)?;
    let (series, rows) = {
        let live = state.live.read().await;
        let s = scheme_of(&live, scheme)?;
        match check(&live, s, b, file) {
            Ok(rows) => (s.model.scheme.series_code(), rows),
            Err(issues) => return Ok(Err(issues)),
        }
    };
    // Stored as the period prints (`2024Q4`, whatever the spacing or case typed), so the rules
    // find it: `check` has parsed it.
    let period = Period::parse(b.period.trim())
        .map(|p| p.to_string())
        .map_err(|e| Error::internal(&e))?;
    let mut tx = state.store.write().await?;
    let published = jixiao_store::earlier::published_periods(&mut tx, &series).await?;
    if published.contains(&period) {
        return Err(Error::conflict(
            "published_period",
            Text::new(
                format!("{period} 期间已有公示结果记入往期结果，以公示为准，不能手工覆盖"),
                format!(
                    "period {period} was recorded by a publication; the publication is the record and cannot be replaced by hand"
                ),
            ),
        ));
    }
    jixiao_store::earlier::replace(
        &mut tx,
        &caller.actor,
        &series,
        &period,
        &rows,
        None,
        &b.reason,
    )
    .await?;
    commit(tx).await?;
    state.reload_earlier().await?;
    Ok(Ok(rows.len()))
}

/// Every row checked against the scheme (grades) and the organisation (units).
fn check(
    live: &Live,
    s: &LiveScheme,
    b: &RecordBody,
    file: Option<&Upload>,
) -> std::result::Result<Vec<New>, Issues> {
    let sc = &s.model.scheme;
    let name = file.map_or("body", |f| f.file.as_str());
    // Row `i` (0-based) as an upload names it (the header is row 1, the column by its letter
    // in the file) or as the API does.
    let place = |i: usize, field: &str, column: usize| match file {
        Some(f) => Location::Cell {
            row: f.rows.get(i).copied().unwrap_or(i + 2),
            column: f.columns[column].clone(),
        },
        None => Location::Path {
            path: format!("rows[{i}].{field}"),
        },
    };
    let mut issues = Issues::new();
    match Period::parse(b.period.trim()) {
        Ok(p) if p.year_number() < sc.year => {}
        Ok(_) => issues.push(Issue::error(
            "not_earlier",
            name,
            Location::Path {
                path: "period".into(),
            },
            Text::new(
                format!(
                    "期间 {} 不在方案年度 {} 之前：往期结果只记录此前的期间，本年度的结果由公示产生",
                    b.period, sc.year
                ),
                format!(
                    "period {} is not before the scheme's year {}: earlier results are for earlier periods; this year's come from publication",
                    b.period, sc.year
                ),
            ),
        )),
        Err(_) => issues.push(Issue::error(
            "bad_period",
            name,
            Location::Path {
                path: "period".into(),
            },
            Text::new(
                format!("期间“{}”无法识别（如 2024、2024Q4）", b.period),
                format!(
                    "period `{}` is not a period (e.g. 2024, 2024Q4)",
                    b.period
                ),
            ),
        )),
    }
    if b.rows.is_empty() {
        issues.push(Issue::error(
            "no_rows",
            name,
            Location::File,
            Text::new("没有任何单位的结果", "no unit's result is given"),
        ));
    }
    let allowed: Vec<String> = s
        .model
        .grades
        .iter()
        .map(|g| format!("{}（{}）", g.name.zh, g.code))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, r) in b.rows.iter().enumerate() {
        let unit = r.unit.trim();
        if !live.units.contains(unit) {
            issues.push(Issue::error(
                "unknown_unit",
                name,
                place(i, "unit", 0),
                Text::new(
                    format!("单位代码“{unit}”不在本区的组织机构中"),
                    format!("unit `{unit}` is not in the district's organisation"),
                ),
            ));
        } else if !seen.insert(unit.to_owned()) {
            issues.push(Issue::error(
                "duplicate_unit",
                name,
                place(i, "unit", 0),
                Text::new(
                    format!("单位“{unit}”出现了两次"),
                    format!("unit `{unit}` appears twice"),
                ),
            ));
        }
        let g = r.grade.trim();
        let grade = s.model.grades.iter().find(|x| {
            x.code.as_str() == g || x.name.zh == g || x.name.get(jixiao_core::text::Lang::En) == g
        });
        if grade.is_none() {
            issues.push(Issue::error(
                "unknown_grade",
                name,
                place(i, "grade", 1),
                Text::new(
                    format!("等次“{g}”不是本方案的等次（{}）", allowed.join("、")),
                    format!(
                        "grade `{g}` is not one of the scheme's grades ({})",
                        allowed.join(", ")
                    ),
                ),
            ));
        }
        let total = r.total.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = total
            && jixiao_core::data::parse_number(t).is_none()
        {
            issues.push(Issue::error(
                "bad_total",
                name,
                place(i, "total", 2),
                Text::new(
                    format!("总分“{t}”不是数字"),
                    format!("total `{t}` is not a number"),
                ),
            ));
        }
        if let Some(k) = r.rank.filter(|k| *k < 1) {
            issues.push(Issue::error(
                "bad_rank",
                name,
                place(i, "rank", 3),
                Text::new(
                    format!("名次 {k} 应为正整数"),
                    format!("rank {k} should be a positive whole number"),
                ),
            ));
        }
        out.push(New {
            unit: unit.to_owned(),
            grade: grade.map(|g| g.code.to_string()),
            total: total
                .and_then(jixiao_core::data::parse_number)
                .map(|d| d.normalize().to_string()),
            rank: r.rank,
        });
    }
    if issues.errors().next().is_some() {
        return Err(issues);
    }
    Ok(out)
}

/// The columns of the upload and the template: unit code, unit name (not read), grade, total,
/// rank — in Chinese or English.
const COLUMNS: [(&str, &str); 5] = [
    ("单位代码", "unit"),
    ("单位名称", "name"),
    ("等次", "grade"),
    ("总分", "total"),
    ("名次", "rank"),
];

/// Where the rows of an upload came from: the file, each row's number in it and the column
/// letters of unit, grade, total and rank.
pub struct Upload {
    pub file: String,
    pub rows: Vec<usize>,
    pub columns: [Option<String>; 4],
}

/// The rows of an uploaded table (XLSX or CSV, UTF-8) by the template's header.
pub fn read_upload(
    file: &str,
    bytes: &[u8],
) -> std::result::Result<(Vec<RecordRow>, Upload), Issues> {
    let whole =
        |code: &'static str, t: Text| Issues(vec![Issue::error(code, file, Location::File, t)]);
    let table = crate::xlsx::read_grid(file, bytes)?;
    let mut rows = table.into_iter();
    let header = rows.next().unwrap_or_default();
    let col = |i: usize| {
        header
            .iter()
            .position(|h| h.trim() == COLUMNS[i].0 || h.trim().eq_ignore_ascii_case(COLUMNS[i].1))
    };
    let (Some(unit), Some(grade)) = (col(0), col(2)) else {
        return Err(whole(
            "bad_header",
            Text::new(
                "第1行：表头应包含“单位代码”和“等次”两列（可下载模板）",
                "row 1: the header needs the columns `unit` and `grade` (download the template)",
            ),
        ));
    };
    let (total, rank) = (col(3), col(4));
    let letter = |c: Option<usize>| c.map(crate::xlsx::column_letter);
    let mut upload = Upload {
        file: file.to_owned(),
        rows: Vec::new(),
        columns: [
            letter(Some(unit)),
            letter(Some(grade)),
            letter(total),
            letter(rank),
        ],
    };
    let mut out = Vec::new();
    let mut issues = Issues::new();
    for (i, r) in rows.enumerate() {
        let cell = |c: Option<usize>| {
            c.and_then(|c| r.get(c))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let rank_text = cell(rank);
        let rank_no = if rank_text.is_empty() {
            None
        } else if let Ok(k) = rank_text.parse::<i64>() {
            Some(k)
        } else {
            issues.push(Issue::error(
                "bad_rank",
                file,
                Location::Cell {
                    row: i + 2,
                    column: rank.map(crate::xlsx::column_letter),
                },
                Text::new(
                    format!("名次“{rank_text}”不是整数"),
                    format!("rank `{rank_text}` is not a whole number"),
                ),
            ));
            None
        };
        upload.rows.push(i + 2);
        out.push(RecordRow {
            unit: cell(Some(unit)),
            grade: cell(Some(grade)),
            total: Some(cell(total)).filter(|t| !t.is_empty()),
            rank: rank_no,
        });
    }
    if issues.errors().next().is_some() {
        return Err(issues);
    }
    Ok((out, upload))
}

/// The upload template: the units the scheme assesses now, with their codes and names.
pub async fn template(state: &AppState, caller: &Caller, scheme: &str) -> Result<Vec<u8>> {
    allow(state, caller, Action::Publish { scheme }).await?;
    let rows: Vec<Vec<crate::xlsx::Cell>> = {
        let live = state.live.read().await;
        let s = scheme_of(&live, scheme)?;
        s.model
            .units
            .iter()
            .filter(|u| u.class.is_some())
            .map(|u| {
                vec![
                    crate::xlsx::Cell::Text(u.code.to_string()),
                    crate::xlsx::Cell::Text(u.name.zh.clone()),
                    crate::xlsx::Cell::Text(String::new()),
                    crate::xlsx::Cell::Text(String::new()),
                    crate::xlsx::Cell::Text(String::new()),
                ]
            })
            .collect()
    };
    crate::xlsx::workbook(&[crate::xlsx::Sheet::new(
        "往期结果",
        COLUMNS.iter().map(|(zh, _)| (*zh).to_owned()).collect(),
        rows,
    )])
}
