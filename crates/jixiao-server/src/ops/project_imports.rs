//! Budget projects and their monitoring figures from the tables finance and departments keep
//! today: a list of projects to declare, and a date's monitoring figures (one row per project
//! and monitored target). Each file is checked whole with every problem at its row and column,
//! and written in one transaction or not at all; each project and report is audited as if
//! entered by hand. The same checks serve the API's JSON lists (problems at `projects[i].field`).

use crate::error::{Error, Result};
use crate::ops::projects::{NewProject, Progress, check_new, goals_of, publish_after_change};
use crate::ops::{Caller, commit, require_reason};
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet, column_letter, read_grid};
use jixiao_core::access::{Action, can};
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::text::Text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The project list's columns: (Chinese header, English header).
pub const PROJECT_COLUMNS: [(&str, &str); 10] = [
    ("项目代码", "code"),
    ("项目名称", "name"),
    ("主管部门代码", "dept"),
    ("年度", "year"),
    ("金额（万元）", "amount"),
    ("资金来源", "fund_source"),
    ("类型（新增/延续）", "kind"),
    ("重大项目（是/否）", "major"),
    ("绩效评价类别", "classes"),
    ("申报理由", "reason"),
];

/// The monitoring figures' columns: one row per project, date and monitored target.
pub const MONITOR_COLUMNS: [(&str, &str); 7] = [
    ("项目代码", "code"),
    ("监控日期", "date"),
    ("累计支出（万元）", "spent"),
    ("监控目标", "goal"),
    ("累计完成", "completed"),
    ("说明", "note"),
    ("纠偏措施", "measures"),
];

/// Projects to declare together.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectList {
    /// Why (each project's own reason, when given, wins).
    pub reason: String,
    pub projects: Vec<NewProject>,
}

/// One project's report in a list of monitoring reports.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectProgress {
    pub code: String,
    pub date: String,
    pub spent: String,
    pub completed: Vec<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub measures: String,
}

/// Monitoring reports of many projects together.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressList {
    pub reports: Vec<ProjectProgress>,
}

/// How many were written.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Imported {
    pub written: usize,
}

/// Where an item's fields sit: in a file (row and column of each field) or in a JSON list.
pub enum Places {
    Json(&'static str),
    File {
        file: String,
        /// Per item: field → (row, column letter).
        cells: Vec<BTreeMap<String, (usize, String)>>,
    },
}

impl Places {
    pub fn issue(&self, i: usize, field: &str, t: Text) -> Issue {
        match self {
            Places::Json(list) => Issue::error(
                "invalid",
                "request",
                Location::Path {
                    path: format!("{list}[{i}].{field}"),
                },
                t,
            ),
            Places::File { file, cells } => {
                // `completed[2]` sits where its row says; a field without a cell of its own
                // (the list of completions) at the item's first row.
                let at = cells.get(i).and_then(|c| {
                    c.get(field)
                        .or_else(|| c.get(field.split('[').next().unwrap_or(field)))
                        .or_else(|| c.get("code"))
                });
                match at {
                    Some((row, col)) => Issue::error(
                        "invalid",
                        file,
                        Location::Cell {
                            row: *row,
                            column: Some(col.clone()),
                        },
                        t,
                    ),
                    None => Issue::error("invalid", file, Location::File, t),
                }
            }
        }
    }

    pub fn file(&self) -> &str {
        match self {
            Places::Json(_) => "request",
            Places::File { file, .. } => file,
        }
    }
}

/// Refuses whoever declares and reports for no unit at all (the rows are checked one by one).
async fn may_declare(state: &AppState, caller: &Caller) -> Result<()> {
    caller.require_signed_in()?;
    if crate::ops::projects::declare_choices(state, caller)
        .await
        .is_empty()
    {
        return Err(Error::forbidden());
    }
    Ok(())
}

/// Moves the problems of one item (by field) to their places.
fn placed(places: &Places, i: usize, issues: Issues, out: &mut Issues) {
    for x in issues.0 {
        let field = match &x.location {
            Location::Path { path } => path.clone(),
            _ => String::new(),
        };
        out.push(places.issue(i, &field, x.message.clone()));
    }
}

/// Declares many projects at once (finance, or a department for itself): all or none.
pub async fn declare_many(
    state: &AppState,
    caller: &Caller,
    list: &ProjectList,
    places: &Places,
) -> Result<std::result::Result<usize, Issues>> {
    may_declare(state, caller).await?;
    require_reason(&list.reason)?;
    let mut issues = Issues::new();
    {
        let live = state.live.read().await;
        let mut seen = std::collections::BTreeSet::new();
        for (i, b) in list.projects.iter().enumerate() {
            if !can(
                &caller.principal,
                Action::DeclareProject { unit: &b.dept },
                &*live,
            ) {
                issues.push(places.issue(
                    i,
                    "dept",
                    Text::new(
                        format!("无权为“{}”申报项目", b.dept),
                        format!("you may not declare projects for `{}`", b.dept),
                    ),
                ));
            }
            placed(places, i, check_new(&live, b), &mut issues);
            if !seen.insert(b.code.trim()) {
                issues.push(places.issue(
                    i,
                    "code",
                    Text::new(
                        format!("项目代码“{}”在本次导入中重复", b.code),
                        format!("project code `{}` comes twice", b.code),
                    ),
                ));
            }
        }
    }
    if list.projects.is_empty() {
        issues.push(Issue::error(
            "empty",
            places.file(),
            Location::File,
            Text::new("没有要申报的项目", "no projects to declare"),
        ));
    }
    if issues.errors().next().is_some() {
        return Ok(Err(issues));
    }
    let mut tx = state.store.write().await?;
    for (i, b) in list.projects.iter().enumerate() {
        let mut b = b.clone();
        if b.reason.trim().is_empty() {
            b.reason = list.reason.clone();
        }
        if !crate::ops::projects::insert(&mut tx, state, caller, &b).await? {
            issues.push(places.issue(
                i,
                "code",
                Text::new(
                    format!("项目代码“{}”已被使用", b.code),
                    format!("project code `{}` is taken", b.code),
                ),
            ));
        }
    }
    if issues.errors().next().is_some() {
        // Dropped without commit: nothing written.
        return Ok(Err(issues));
    }
    commit(tx).await?;
    Ok(Ok(list.projects.len()))
}

/// Stores many monitoring reports at once: every report checked as one entered by hand, then
/// all written (with their notices and red results' rectification tasks) or none.
pub async fn report_many(
    state: &AppState,
    caller: &Caller,
    list: &ProgressList,
    places: &Places,
) -> Result<std::result::Result<usize, Issues>> {
    may_declare(state, caller).await?;
    let mut issues = Issues::new();
    let mut ready = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in list.reports.iter().enumerate() {
        if !seen.insert((r.code.clone(), r.date.clone())) {
            issues.push(places.issue(
                i,
                "date",
                Text::new(
                    format!("项目“{}”{} 的监控在本次导入中重复", r.code, r.date),
                    format!("project `{}` is reported twice for {}", r.code, r.date),
                ),
            ));
            continue;
        }
        let p = match crate::ops::projects::load_for_department(state, caller, &r.code).await {
            Ok(p) => p,
            Err(e)
                if matches!(
                    e.kind,
                    crate::error::Kind::NotFound | crate::error::Kind::Forbidden
                ) =>
            {
                issues.push(places.issue(
                    i,
                    "code",
                    Text::new(
                        format!("没有你可报送的项目“{}”", r.code),
                        format!("no project `{}` you may report for", r.code),
                    ),
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        let goals = goals_of(&jixiao_store::projects::targets(&state.store, &p.code).await?);
        let b = Progress {
            date: r.date.clone(),
            spent: r.spent.clone(),
            completed: r.completed.clone(),
            note: r.note.clone(),
            measures: r.measures.clone(),
        };
        match crate::ops::projects::check_progress(&p, &goals, &b, caller) {
            Ok(Ok(c)) => ready.push((p, c)),
            Ok(Err(ps)) => {
                for (field, t) in ps {
                    issues.push(places.issue(i, &field, t));
                }
            }
            Err(e) => issues.push(places.issue(i, "code", e.message.clone())),
        }
    }
    if list.reports.is_empty() {
        issues.push(Issue::error(
            "empty",
            places.file(),
            Location::File,
            Text::new("没有要报送的监控数据", "no monitoring figures to report"),
        ));
    }
    if issues.errors().next().is_some() {
        return Ok(Err(issues));
    }
    let mut tx = state.store.write().await?;
    let mut red = false;
    for (p, c) in &ready {
        red |= crate::ops::projects::write_progress(&mut tx, state, caller, p, c).await?;
    }
    commit(tx).await?;
    if red {
        crate::ops::rectifications::publish_after_change(state).await;
    }
    publish_after_change(state).await;
    Ok(Ok(ready.len()))
}

/// The header's column of each field (Chinese or English header), or the problem naming the
/// missing ones.
pub(crate) fn header_columns(
    file: &str,
    header: &[String],
    columns: &'static [(&'static str, &'static str)],
    required: &[&str],
) -> std::result::Result<BTreeMap<&'static str, usize>, Issues> {
    let mut at = BTreeMap::new();
    for (zh, en) in columns {
        if let Some(i) = header
            .iter()
            .position(|h| h.trim() == *zh || h.trim().eq_ignore_ascii_case(en))
        {
            at.insert(*en, i);
        }
    }
    let missing: Vec<&(&str, &str)> = columns
        .iter()
        .filter(|(_, en)| required.contains(en) && !at.contains_key(en))
        .collect();
    if missing.is_empty() {
        return Ok(at);
    }
    let zh: Vec<&str> = missing.iter().map(|(z, _)| *z).collect();
    let en: Vec<&str> = missing.iter().map(|(_, e)| *e).collect();
    Err(Issues(vec![Issue::error(
        "bad_header",
        file,
        Location::Cell {
            row: 1,
            column: None,
        },
        Text::new(
            format!("第1行表头缺少：{}（可下载模板）", zh.join("、")),
            format!(
                "row 1: the header lacks {} (download the template)",
                en.join(", ")
            ),
        ),
    )]))
}

/// A project list from an uploaded table.
pub fn read_projects(
    file: &str,
    bytes: &[u8],
    reason: &str,
) -> std::result::Result<(ProjectList, Places), Issues> {
    let grid = read_grid(file, bytes)?;
    let mut rows = grid.into_iter();
    let header = rows.next().unwrap_or_default();
    let at = header_columns(
        file,
        &header,
        &PROJECT_COLUMNS,
        &[
            "code",
            "name",
            "dept",
            "year",
            "amount",
            "fund_source",
            "kind",
        ],
    )?;
    let mut projects = Vec::new();
    let mut cells = Vec::new();
    let mut issues = Issues::new();
    for (i, r) in rows.enumerate() {
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = i + 2;
        let cell = |f: &str| {
            at.get(f)
                .and_then(|c| r.get(*c))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let mut place: BTreeMap<String, (usize, String)> = at
            .iter()
            .map(|(f, c)| ((*f).to_owned(), (line, column_letter(*c))))
            .collect();
        // The form's fields that come from a differently named column.
        if let Some(p) = place.get("name").cloned() {
            place.insert("name_zh".into(), p);
        }
        let year_text = cell("year");
        let year = match year_text.trim_end_matches(".0").parse::<i64>() {
            Ok(y) => y,
            Err(_) => {
                issues.push(Issue::error(
                    "invalid",
                    file,
                    Location::Cell {
                        row: line,
                        column: at.get("year").map(|c| column_letter(*c)),
                    },
                    Text::new(
                        format!("年度“{year_text}”不是年份"),
                        format!("year `{year_text}` is not a year"),
                    ),
                ));
                0
            }
        };
        let kind = match cell("kind").as_str() {
            "新增" | "新增项目" => "new".to_owned(),
            "延续" | "延续项目" => "continuing".to_owned(),
            other => other.to_owned(),
        };
        let major = matches!(cell("major").as_str(), "是" | "1" | "yes" | "Yes" | "true");
        projects.push(NewProject {
            code: cell("code"),
            name_zh: cell("name"),
            name_en: String::new(),
            dept: cell("dept"),
            year,
            amount: cell("amount"),
            fund_source: cell("fund_source"),
            kind,
            major,
            classes: cell("classes")
                .split([',', '，', '、', ' '])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            funds: Vec::new(),
            reason: cell("reason"),
        });
        cells.push(place);
    }
    if issues.errors().next().is_some() {
        return Err(issues);
    }
    Ok((
        ProjectList {
            reason: reason.to_owned(),
            projects,
        },
        Places::File {
            file: file.to_owned(),
            cells,
        },
    ))
}

/// Monitoring reports from an uploaded table: the rows of a project and date are one report,
/// each row one monitored target (named as approved); the spending is the same on each row
/// (or given once).
pub async fn read_monitoring(
    state: &AppState,
    file: &str,
    bytes: &[u8],
) -> Result<std::result::Result<(ProgressList, Places), Issues>> {
    let grid = match read_grid(file, bytes) {
        Ok(g) => g,
        Err(i) => return Ok(Err(i)),
    };
    let mut rows = grid.into_iter();
    let header = rows.next().unwrap_or_default();
    let at = match header_columns(
        file,
        &header,
        &MONITOR_COLUMNS,
        &["code", "date", "spent", "goal", "completed"],
    ) {
        Ok(a) => a,
        Err(i) => return Ok(Err(i)),
    };
    let letter = |f: &str| at.get(f).map(|c| column_letter(*c)).unwrap_or_default();
    let mut issues = Issues::new();
    // (code, date) → (first row, spent, note, measures, [(row, goal, completed)])
    type Group = (usize, String, String, String, Vec<(usize, String, String)>);
    let mut groups: Vec<((String, String), Group)> = Vec::new();
    for (i, r) in rows.enumerate() {
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = i + 2;
        let cell = |f: &str| {
            at.get(f)
                .and_then(|c| r.get(*c))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let key = (cell("code"), cell("date"));
        let g = match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g,
            None => {
                groups.push((
                    key,
                    (
                        line,
                        String::new(),
                        String::new(),
                        String::new(),
                        Vec::new(),
                    ),
                ));
                &mut groups.last_mut().expect("just pushed").1
            }
        };
        let spent = cell("spent");
        if !spent.is_empty() {
            if g.1.is_empty() {
                g.1 = spent;
            } else if g.1 != spent {
                issues.push(Issue::error(
                    "invalid",
                    file,
                    Location::Cell {
                        row: line,
                        column: Some(letter("spent")),
                    },
                    Text::new(
                        format!("同一项目同一日期的累计支出应一致：第 {} 行为 {}，本行为 {spent}", g.0, g.1),
                        format!(
                            "one project and date has one spending: row {} says {}, this row {spent}",
                            g.0, g.1
                        ),
                    ),
                ));
            }
        }
        for (f, slot) in [("note", &mut g.2), ("measures", &mut g.3)] {
            let v = cell(f);
            if !v.is_empty() && slot.is_empty() {
                *slot = v;
            }
        }
        g.4.push((line, cell("goal"), cell("completed")));
    }
    let mut reports = Vec::new();
    let mut cells = Vec::new();
    for ((code, date), (first, spent, note, measures, lines)) in groups {
        let goals = match jixiao_store::projects::get(&state.store, &code).await? {
            Some(_) => goals_of(&jixiao_store::projects::targets(&state.store, &code).await?),
            None => Vec::new(),
        };
        let mut place: BTreeMap<String, (usize, String)> =
            ["code", "date", "spent", "note", "measures"]
                .iter()
                .map(|f| ((*f).to_owned(), (first, letter(f))))
                .collect();
        place.insert("completed".into(), (first, letter("goal")));
        let mut completed = Vec::new();
        for (gi, g) in goals.iter().enumerate() {
            match lines.iter().find(|(_, name, _)| *name == g.name) {
                Some((line, _, done)) => {
                    place.insert(format!("completed[{gi}]"), (*line, letter("completed")));
                    completed.push(done.clone());
                }
                None => issues.push(Issue::error(
                    "invalid",
                    file,
                    Location::Cell {
                        row: first,
                        column: Some(letter("goal")),
                    },
                    Text::new(
                        format!("项目“{code}”{date} 缺少监控目标“{}”的完成值", g.name),
                        format!(
                            "project `{code}` on {date}: no completion for target `{}`",
                            g.name
                        ),
                    ),
                )),
            }
        }
        if !goals.is_empty() {
            for (line, name, _) in &lines {
                if !goals.iter().any(|g| g.name == *name) {
                    let all: Vec<&str> = goals.iter().map(|g| g.name.as_str()).collect();
                    issues.push(Issue::error(
                        "invalid",
                        file,
                        Location::Cell {
                            row: *line,
                            column: Some(letter("goal")),
                        },
                        Text::new(
                            format!("“{name}”不是项目“{code}”的监控目标（{}）", all.join("、")),
                            format!(
                                "`{name}` is not a monitored target of project `{code}` ({})",
                                all.join(", ")
                            ),
                        ),
                    ));
                }
            }
        }
        reports.push(ProjectProgress {
            code,
            date,
            spent,
            completed,
            note,
            measures,
        });
        cells.push(place);
    }
    if issues.errors().next().is_some() {
        return Ok(Err(issues));
    }
    Ok(Ok((
        ProgressList { reports },
        Places::File {
            file: file.to_owned(),
            cells,
        },
    )))
}

/// The project list's template: the header and one example row.
pub fn projects_template() -> Result<Vec<u8>> {
    crate::xlsx::workbook(&[Sheet {
        name: "项目清单".into(),
        headers: PROJECT_COLUMNS
            .iter()
            .map(|(zh, _)| (*zh).to_owned())
            .collect(),
        rows: vec![
            [
                "XM2026-99",
                "（示例）农村人居环境整治提升项目",
                "NYJ",
                "2026",
                "150",
                "一般公共预算",
                "新增",
                "否",
                "project_self",
                "2026年预算项目申报",
            ]
            .iter()
            .map(|s| Cell::Text((*s).to_owned()))
            .collect(),
        ],
        decimals: None,
    }])
}

/// A date's monitoring template: a row per monitored target of every project with approved
/// targets in the date's year that the caller reports for.
pub async fn monitoring_template(state: &AppState, caller: &Caller, day: &str) -> Result<Vec<u8>> {
    caller.require_signed_in()?;
    let day = crate::ops::warnings::check_day(day, "date")?;
    let year: i64 = day[..4].parse().unwrap_or_default();
    let mut rows = Vec::new();
    for p in jixiao_store::projects::list(&state.store).await? {
        if p.year != year || p.stage != "targets_approved" {
            continue;
        }
        if crate::ops::projects::load_for_department(state, caller, &p.code)
            .await
            .is_err()
        {
            continue;
        }
        for g in goals_of(&jixiao_store::projects::targets(&state.store, &p.code).await?) {
            rows.push(vec![
                Cell::Text(p.code.clone()),
                Cell::Text(day.clone()),
                Cell::Text(String::new()),
                Cell::Text(g.name.clone()),
                Cell::Text(String::new()),
                Cell::Text(String::new()),
                Cell::Text(String::new()),
            ]);
        }
    }
    if rows.is_empty() {
        return Err(Error::not_found("可报送监控的项目", "projects to report"));
    }
    crate::xlsx::workbook(&[Sheet {
        name: "运行监控".into(),
        headers: MONITOR_COLUMNS
            .iter()
            .map(|(zh, _)| (*zh).to_owned())
            .collect(),
        rows,
        decimals: None,
    }])
}
