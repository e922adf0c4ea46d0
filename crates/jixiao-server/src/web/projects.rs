//! Budget projects for finance, departments and ex-ante experts: the list with the form that
//! declares a project, and one project's page with what the caller may do at its stage (assign
//! experts, score, conclude, declare targets, approve or return them). See
//! [`crate::ops::projects`].

use super::{Ctx, Page, render, see_other};
use crate::ops::projects::{
    Assign, Decide, Detail, Item, NewProject, Review, SYSTEM, Score, Targets, level_name,
};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use jixiao_store::projects::TargetRow;

#[derive(Template)]
#[template(path = "projects.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<Item>,
    may_declare: bool,
    /// (code, name) of the departments the caller may declare for.
    depts: Vec<(String, String)>,
    /// (code, name) of the evaluation classes a project may join.
    classes: Vec<(String, String)>,
    threshold: String,
    /// Whether the caller reads the monitoring reports (the district's readers).
    may_monitor: bool,
    /// (link, label) of each budget-adjustment table.
    adjustments: Vec<(String, String)>,
    /// What an import wrote, or why it was refused (each problem at its row and column).
    imported: Option<usize>,
    problems: Vec<String>,
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn list(page: Page, State(state): State<AppState>) -> Response {
    let r = list_page(&page, &state, None, Vec::new()).await;
    page.finish(r)
}

async fn list_page(
    page: &Page,
    state: &AppState,
    imported: Option<usize>,
    problems: Vec<String>,
) -> crate::error::Result<Response> {
    let rows = crate::ops::projects::list(state, &page.caller).await?;
    let l = page.ctx.l;
    let depts: Vec<(String, String)> = crate::ops::projects::declare_choices(state, &page.caller)
        .await
        .into_iter()
        .map(|(code, name)| (code, l.plain(&name).to_owned()))
        .collect();
    render(&ListPage {
        ctx: &page.ctx,
        rows,
        may_declare: !depts.is_empty(),
        depts,
        classes: crate::ops::projects::class_choices(state)
            .await
            .into_iter()
            .map(|(code, name)| (code, l.plain(&name).to_owned()))
            .collect(),
        threshold: state.config.budget.exante_threshold.normalize().to_string(),
        may_monitor: crate::ops::projects::reads_monitoring(state, &page.caller).await,
        imported,
        problems,
        adjustments: crate::ops::adjustment::choices(state, &page.caller)
            .await
            .into_iter()
            .map(|(scheme, title, period)| {
                (
                    format!("/budget-adjustment/{scheme}/{period}"),
                    format!("{} · {period}", l.plain(&title)),
                )
            })
            .collect(),
    })
}

#[derive(serde::Deserialize)]
pub struct NewForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub code: String,
    pub name_zh: String,
    pub dept: String,
    pub year: i64,
    pub amount: String,
    pub fund_source: String,
    pub kind: String,
    #[serde(default)]
    pub major: Option<String>,
    /// One evaluation class (the form offers each; the API takes several).
    #[serde(default)]
    pub classes: String,
    pub reason: String,
}

pub async fn create(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<NewForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let d = crate::ops::projects::create(
            &state,
            &page.caller,
            &NewProject {
                code: f.code,
                name_zh: f.name_zh,
                name_en: String::new(),
                dept: f.dept,
                year: f.year,
                amount: f.amount,
                fund_source: f.fund_source,
                kind: f.kind,
                major: f.major.is_some(),
                classes: f
                    .classes
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                funds: Vec::new(),
                reason: f.reason,
            },
        )
        .await?;
        Ok(see_other(&format!(
            "/projects/{}?done=create",
            d.item.project.code
        )))
    }
    .await;
    page.finish(r)
}

/// A target row of the form: (level-2 kind, name, direction, value, unit).
type Row = (String, String, String, String, String);

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage<'a> {
    ctx: &'a Ctx,
    d: Detail,
    done: Option<String>,
    /// (level 1 name, [(level 2 code, name)]) for the kind selects.
    kinds: Vec<(String, Vec<(String, String)>)>,
    /// The declared targets and empty rows to add more.
    rows: Vec<Row>,
    /// (name, points) of each dimension with the caller's own scores (as an expert).
    mine: Vec<(String, String, String)>,
    /// (expert, [score], comment) shown to finance.
    scores: Vec<(String, Vec<String>, String)>,
    /// Each monitoring report: (date, level, level name, [explanation], measures, note).
    reports: Vec<(String, String, String, Vec<String>, String, String)>,
    /// (label, id) of each monitored target's completion field.
    goal_fields: Vec<String>,
}

impl ProjectPage<'_> {
    fn may(&self, what: &str) -> bool {
        self.d.allowed.iter().any(|a| a == what)
    }

    /// The page title: the name, or in English without an English name, the code (a title
    /// cannot mark a part as Chinese).
    fn title(&self) -> String {
        let n = &self.d.item.name;
        if self.ctx.l.is_en() && n.en.is_empty() {
            self.d.item.project.code.clone()
        } else {
            self.ctx.l.plain(n).to_owned()
        }
    }

    fn kind_name(&self, code: &str) -> String {
        self.ctx.l.plain(&level_name(code)).to_owned()
    }
}

pub async fn show(
    page: Page,
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let r = async {
        let d = crate::ops::projects::get(&state, &page.caller, &code).await?;
        let l = page.ctx.l;
        let kinds = SYSTEM
            .iter()
            .map(|(l1, l2s)| {
                (
                    l.plain(&level_name(l1)).to_owned(),
                    l2s.iter()
                        .map(|k| ((*k).to_owned(), l.plain(&level_name(k)).to_owned()))
                        .collect(),
                )
            })
            .collect();
        let mut rows: Vec<Row> = d
            .targets
            .iter()
            .map(|t| {
                (
                    t.level2.clone(),
                    t.name.clone(),
                    t.direction.clone(),
                    t.value.clone(),
                    t.unit.clone(),
                )
            })
            .collect();
        let blank = if rows.is_empty() { 4 } else { 2 };
        rows.extend((0..blank).map(|_| Default::default()));
        let me = page.caller.user.as_ref().map(|u| u.username.clone());
        let own = d
            .experts
            .iter()
            .find(|e| Some(&e.expert) == me.as_ref())
            .and_then(|e| e.scores.clone())
            .unwrap_or_default();
        let mine = d
            .dimensions
            .iter()
            .enumerate()
            .map(|(i, dm)| {
                (
                    l.plain(&dm.name).to_owned(),
                    dm.points.normalize().to_string(),
                    own.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect();
        let scores = d
            .experts
            .iter()
            .filter_map(|e| {
                e.scores
                    .clone()
                    .map(|s| (e.expert.clone(), s, e.comment.clone()))
            })
            .collect();
        let reports = d
            .monitoring
            .iter()
            .map(|m| {
                let lines = m.result.as_ref().map_or_else(Vec::new, |r| {
                    std::iter::once(l.plain(&r.time_explanation).to_owned())
                        .chain(std::iter::once(&r.spending).chain(&r.goals).map(|g| {
                            format!(
                                "【{}】{}",
                                l.plain(&g.level.name()),
                                l.plain(&g.explanation)
                            )
                        }))
                        .chain(r.mismatches.iter().map(|(_, _, t)| l.plain(t).to_owned()))
                        .collect()
                });
                (
                    m.row.day.clone(),
                    m.row.level.clone(),
                    l.t(&format!("proj-level-{}", m.row.level)),
                    lines,
                    m.row.measures.clone(),
                    m.row.note.clone(),
                )
            })
            .collect();
        let goal_fields = d
            .goals
            .iter()
            .map(|g| format!("{}（{} {}）", g.name, g.value, g.unit))
            .collect();
        render(&ProjectPage {
            ctx: &page.ctx,
            d,
            done: q.done,
            kinds,
            rows,
            mine,
            scores,
            reports,
            goal_fields,
        })
    }
    .await;
    page.finish(r)
}

/// Every form of the project page: `action` says which.
pub async fn act(
    page: Page,
    State(state): State<AppState>,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let field = |name: &str| super::field(&f, name).to_owned();
        page.check_csrf(&field("_csrf"))?;
        let version: i64 = field("version").parse().unwrap_or(-1);
        let reason = field("reason");
        let action = field("action");
        let (s, c) = (&state, &page.caller);
        match action.as_str() {
            "assign" => {
                let experts = field("experts")
                    .split([',', '，', '、', ' '])
                    .filter(|e| !e.is_empty())
                    .map(str::to_owned)
                    .collect();
                crate::ops::projects::assign(
                    s,
                    c,
                    &code,
                    &Assign {
                        experts,
                        version,
                        reason,
                    },
                )
                .await?;
            }
            "score" => {
                let scores = f
                    .iter()
                    .filter(|(k, _)| k == "score")
                    .map(|(_, v)| v.clone())
                    .collect();
                let comment = field("comment");
                crate::ops::projects::score(s, c, &code, &Score { scores, comment }).await?;
            }
            "conclude" => {
                crate::ops::projects::conclude(s, c, &code, &Decide { version, reason }).await?;
            }
            "targets" => {
                let all = |name: &str| -> Vec<String> {
                    f.iter()
                        .filter(|(k, _)| k == name)
                        .map(|(_, v)| v.trim().to_owned())
                        .collect()
                };
                let (kinds, names, dirs, values, units) = (
                    all("kind"),
                    all("name"),
                    all("direction"),
                    all("value"),
                    all("unit"),
                );
                let targets = (0..kinds.len())
                    .filter(|i| !names.get(*i).is_none_or(String::is_empty))
                    .map(|i| {
                        let kind = kinds[i].clone();
                        let level1 = SYSTEM
                            .iter()
                            .find(|(_, l2)| l2.contains(&kind.as_str()))
                            .map_or("", |(l1, _)| l1)
                            .to_owned();
                        TargetRow {
                            level1,
                            level2: kind,
                            name: names.get(i).cloned().unwrap_or_default(),
                            direction: dirs.get(i).cloned().unwrap_or_default(),
                            value: values.get(i).cloned().unwrap_or_default(),
                            unit: units.get(i).cloned().unwrap_or_default(),
                        }
                    })
                    .collect();
                crate::ops::projects::declare_targets(
                    s,
                    c,
                    &code,
                    &Targets {
                        targets,
                        version,
                        reason,
                    },
                )
                .await?;
            }
            "monitor" => {
                let completed = f
                    .iter()
                    .filter(|(k, _)| k == "completed")
                    .map(|(_, v)| v.trim().to_owned())
                    .collect();
                crate::ops::projects::monitor(
                    s,
                    c,
                    &code,
                    &crate::ops::projects::Progress {
                        date: field("date"),
                        spent: field("spent"),
                        completed,
                        note: field("note"),
                        measures: field("measures"),
                    },
                )
                .await?;
            }
            "approve" | "return" => {
                crate::ops::projects::review_targets(
                    s,
                    c,
                    &code,
                    &Review {
                        decision: action.clone(),
                        version,
                        reason,
                    },
                )
                .await?;
            }
            _ => {
                return Err(crate::error::Error::bad_request(
                    "bad_action",
                    jixiao_core::text::Text::new("未知的操作", "unknown action"),
                ));
            }
        }
        Ok(see_other(&format!("/projects/{code}?done={action}")))
    }
    .await;
    page.finish(r)
}

#[derive(Template)]
#[template(path = "monitoring.html")]
struct MonitoringPage<'a> {
    ctx: &'a Ctx,
    days: Vec<String>,
    day: Option<String>,
    /// (code, name, department, amount, level, level name, time progress, spending, goals,
    /// measures).
    lines: Vec<MonitorShown>,
    print_head: String,
}

pub struct MonitorShown {
    pub code: String,
    pub name: String,
    pub dept: String,
    pub amount: String,
    pub level: String,
    pub level_name: String,
    pub time: String,
    pub spending: String,
    pub goals: Vec<String>,
    pub measures: String,
}

#[derive(serde::Deserialize)]
pub struct MonitoringQuery {
    pub format: Option<String>,
}

async fn monitoring_page(
    page: &Page,
    state: &AppState,
    day: Option<String>,
    format: Option<String>,
) -> crate::error::Result<Response> {
    let days = crate::ops::projects::monitoring_days(state, &page.caller).await?;
    let l = page.ctx.l;
    let mut lines = Vec::new();
    if let Some(d) = &day {
        for m in crate::ops::projects::monitoring_report(state, &page.caller, d).await? {
            let pct = |x: &jixiao_core::Decimal| format!("{}%", l.score(x, 1));
            let (time, spending, goals) = match &m.result {
                Some(r) => (
                    pct(&r.time_progress),
                    format!(
                        "{}（{} {}）",
                        pct(&r.spending.rate),
                        l.plain(&r.spending.level.name()),
                        if r.spending.expected_to_miss {
                            l.t("proj-expected-miss")
                        } else {
                            String::new()
                        }
                    ),
                    r.goals
                        .iter()
                        .map(|g| {
                            format!(
                                "{} {}（{}）",
                                l.plain(&g.name),
                                pct(&g.rate),
                                l.plain(&g.level.name())
                            )
                        })
                        .collect(),
                ),
                None => ("—".into(), "—".into(), Vec::new()),
            };
            lines.push(MonitorShown {
                code: m.code.clone(),
                name: l.plain(&m.name).to_owned(),
                dept: l.plain(&m.dept_name).to_owned(),
                amount: m.amount.clone(),
                level_name: l.t(&format!("proj-level-{}", m.level)),
                level: m.level.clone(),
                time,
                spending,
                goals,
                measures: m.measures.clone(),
            });
        }
    }
    if let (Some(d), true) = (&day, super::wanted_xlsx(&format)) {
        use crate::xlsx::{Cell, Sheet};
        let head = [
            "col-code",
            "proj-name",
            "proj-dept",
            "proj-amount",
            "proj-level",
            "proj-time-progress",
            "proj-spending",
            "proj-goals",
            "proj-measures",
        ]
        .iter()
        .map(|k| l.t(k))
        .collect();
        let rows = lines
            .iter()
            .map(|m| {
                vec![
                    Cell::from(m.code.clone()),
                    m.name.clone().into(),
                    m.dept.clone().into(),
                    m.amount.clone().into(),
                    m.level_name.clone().into(),
                    m.time.clone().into(),
                    m.spending.clone().into(),
                    m.goals.join("；").into(),
                    m.measures.clone().into(),
                ]
            })
            .collect();
        return crate::http::download::xlsx(
            &format!("monitoring-{d}"),
            &[Sheet::new(d.clone(), head, rows)],
        );
    }
    let printed = l.now();
    let view = MonitoringPage {
        ctx: &page.ctx,
        print_head: super::print_header(
            &format!(
                "{} · {}",
                l.t("proj-monitoring-title"),
                day.clone().unwrap_or_default()
            ),
            &l.ta("print-stamp", &[("date", &printed)]),
        ),
        days,
        day: day.clone(),
        lines,
    };
    if let (Some(d), Some("pdf")) = (&day, format.as_deref()) {
        let html = view
            .render()
            .map_err(|e| crate::error::Error::internal(&e))?;
        let bytes = crate::pdf::print(&state.config.chromium, &html).await?;
        return Ok(crate::http::download::pdf(
            bytes,
            "monitoring.pdf",
            &format!("monitoring-{d}"),
        ));
    }
    render(&view)
}

pub async fn monitoring(page: Page, State(state): State<AppState>) -> Response {
    let r = monitoring_page(&page, &state, None, None).await;
    page.finish(r)
}

pub async fn monitoring_on(
    page: Page,
    State(state): State<AppState>,
    Path(day): Path<String>,
    Query(q): Query<MonitoringQuery>,
) -> Response {
    let r = monitoring_page(&page, &state, Some(day), q.format).await;
    page.finish(r)
}

/// The list page after an import: how many were written, or every problem at its place.
async fn after_import(
    page: &Page,
    state: &AppState,
    outcome: std::result::Result<usize, jixiao_core::issue::Issues>,
) -> crate::error::Result<Response> {
    match outcome {
        Ok(n) => list_page(page, state, Some(n), Vec::new()).await,
        Err(i) => {
            let lang = page.lang();
            let shown = i.iter().map(|x| x.render(lang)).collect();
            list_page(page, state, None, shown).await
        }
    }
}

/// A project list from a workbook or CSV: declared together or not at all.
pub async fn import_projects(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<super::CsrfQuery>,
    form: axum::extract::Multipart,
) -> Response {
    use crate::ops::project_imports::{declare_many, read_projects};
    let r = async {
        page.check_csrf(&q.csrf)?;
        let (name, bytes, picked) = super::imports::fields(form).await?;
        let reason = super::field(&picked, "reason");
        let outcome = match read_projects(&name, &bytes, reason) {
            Ok((list, places)) => declare_many(&state, &page.caller, &list, &places).await?,
            Err(i) => Err(i),
        };
        after_import(&page, &state, outcome).await
    }
    .await;
    page.finish(r)
}

/// A date's monitoring figures from a workbook or CSV: stored together or not at all.
pub async fn import_monitoring(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<super::CsrfQuery>,
    form: axum::extract::Multipart,
) -> Response {
    use crate::ops::project_imports::{read_monitoring, report_many};
    let r = async {
        page.check_csrf(&q.csrf)?;
        let (name, bytes, _) = super::imports::fields(form).await?;
        let outcome = match read_monitoring(&state, &name, &bytes).await? {
            Ok((list, places)) => report_many(&state, &page.caller, &list, &places).await?,
            Err(i) => Err(i),
        };
        after_import(&page, &state, outcome).await
    }
    .await;
    page.finish(r)
}

/// The project list's template.
pub async fn projects_template(page: Page) -> Response {
    let r = async {
        page.caller.require_signed_in()?;
        let bytes = crate::ops::project_imports::projects_template()?;
        Ok(crate::http::download::workbook(bytes, "项目清单模板"))
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct DateQuery {
    #[serde(default)]
    pub date: String,
}

/// A date's monitoring template: a row per monitored target of the caller's projects.
pub async fn monitoring_template(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<DateQuery>,
) -> Response {
    let r = async {
        let bytes =
            crate::ops::project_imports::monitoring_template(&state, &page.caller, &q.date).await?;
        Ok(crate::http::download::workbook(
            bytes,
            &format!("运行监控模板-{}", q.date),
        ))
    }
    .await;
    page.finish(r)
}
