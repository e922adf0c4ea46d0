//! Follow-up pages (预警 → 通知 → 响应 → 整改 → 销号): the inbox with the person's channel
//! choices, warnings (the unit's to answer, the lead department's items, the office's all by
//! age and level) with answer and close, rectification tasks with their actions, evidence and
//! the 整改台账 workbook, and the admin's outgoing channels with the delivery log. Everything
//! is [`crate::ops::warnings`]'s, [`crate::ops::rectifications`]'s and
//! [`crate::ops::notices`]'s.

use super::{CsrfQuery, Ctx, Page, render, see_other, urlencode};
use crate::error::Result;
use crate::i18n::{L, Lang};
use crate::ops::notices::{self, Inbox, NewChannel};
use crate::ops::rectifications::{self as rect, Move, NewTask, Rate};
use crate::ops::warnings::{self, Ages, Answer};
use crate::state::AppState;
use crate::xlsx::Cell;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use jixiao_core::Decimal;
use jixiao_store::notices::Prefs;

// ───────────────────────────── inbox ─────────────────────────────

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    ctx: &'a Ctx,
    inbox: Inbox,
    prefs: Prefs,
    /// Every kind: (code, name, by e-mail, muted).
    kinds: Vec<(String, String, bool, bool)>,
    message: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
    pub format: Option<String>,
}

pub async fn inbox(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let inbox = notices::inbox(&state, &page.caller).await?;
        let prefs = notices::prefs(&state, &page.caller).await?;
        let kinds = notices::KINDS
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    l.html(&notices::kind_name(k)),
                    prefs.email_kinds.iter().any(|x| x == k),
                    prefs.muted_kinds.iter().any(|x| x == k),
                )
            })
            .collect();
        let message = match q.done.as_deref() {
            Some("read") => Some(l.t("inbox-marked")),
            Some("prefs") => Some(l.t("inbox-prefs-saved")),
            _ => None,
        };
        render(&InboxPage {
            ctx: &page.ctx,
            inbox,
            prefs,
            kinds,
            message,
        })
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct ReadForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    /// One notice (then its link is opened); none: all.
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub link: Option<String>,
}

/// Marks one notice read and opens what it links to, or marks all read.
pub async fn read(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<ReadForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        notices::mark_read(&state, &page.caller, f.id).await?;
        Ok(match (f.id, f.link) {
            (Some(_), Some(link)) => see_other(&super::local_path(Some(&link))),
            _ => see_other("/inbox?done=read"),
        })
    }
    .await;
    page.finish(r)
}

/// The preferences form: checkboxes arrive as repeated fields.
pub async fn save_prefs(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        page.check_csrf(&get("_csrf").unwrap_or_default())?;
        let all = |k: &str| -> Vec<String> {
            f.iter()
                .filter(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let p = Prefs {
            email: get("email").unwrap_or_default(),
            email_kinds: all("email_kind"),
            muted_kinds: all("muted_kind"),
        };
        notices::set_prefs(&state, &page.caller, p).await?;
        Ok(see_other("/inbox?done=prefs"))
    }
    .await;
    page.finish(r)
}

// ───────────────────────────── warnings ─────────────────────────────

/// A warning as a row of the list.
pub struct WarningView {
    pub id: i64,
    pub class: String,
    pub level: String,
    pub unit: String,
    pub rule: String,
    pub period: String,
    pub value: String,
    pub line: String,
    pub state: String,
    pub age: i64,
    pub overdue: bool,
    pub to_answer: bool,
}

fn state_name(l: L, s: &str) -> String {
    l.t(&format!("warning-state-{s}"))
}

fn warning_view(l: L, i: &warnings::Item) -> WarningView {
    let w = &i.warning;
    WarningView {
        id: w.id,
        class: w.level.clone(),
        level: l.html(&i.level_name),
        unit: l.html(&i.unit_name),
        rule: l.html(&i.rule_name),
        period: w.period.clone(),
        value: format!(
            "{} {}",
            w.value
                .parse::<Decimal>()
                .map_or_else(|_| w.value.clone(), |d| l.num(&d, 2)),
            l.unit(&i.measure)
        ),
        line: w.line.clone(),
        state: state_name(l, &w.state),
        age: i.age_days,
        overdue: w.overdue,
        to_answer: i.can_answer,
    }
}

#[derive(Template)]
#[template(path = "warnings.html")]
struct WarningsPage<'a> {
    ctx: &'a Ctx,
    intro: String,
    rows: Vec<WarningView>,
    /// (level class, level name, counts in the age bands).
    ages: Vec<(String, String, [usize; 3])>,
    overdue: usize,
    f: warnings::Filter,
}

pub async fn list(
    page: Page,
    State(state): State<AppState>,
    Query(mut f): Query<warnings::Filter>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        // Empty fields of the filter form mean "any".
        for o in [
            &mut f.level,
            &mut f.state,
            &mut f.unit,
            &mut f.period,
            &mut f.item,
            &mut f.scheme,
        ] {
            if o.as_deref() == Some("") {
                *o = None;
            }
        }
        if f.state.is_none() {
            f.state = Some("active".into());
        }
        let rows: Vec<WarningView> = warnings::list(&state, &page.caller, &f)
            .await?
            .iter()
            .map(|i| warning_view(l, i))
            .collect();
        let Ages { levels, overdue } = warnings::ages(&state, &page.caller).await?;
        let ages = levels
            .into_iter()
            .map(|(code, bands)| (code.clone(), l.t(&format!("warning-{code}")), bands))
            .collect();
        let intro = l.t(match page.caller.principal.role {
            jixiao_core::access::Role::Reporter | jixiao_core::access::Role::UnitLeader => {
                "warnings-intro-unit"
            }
            jixiao_core::access::Role::LeadReviewer => "warnings-intro-lead",
            _ => "warnings-intro-office",
        });
        render(&WarningsPage {
            ctx: &page.ctx,
            intro,
            rows,
            ages,
            overdue,
            f,
        })
    }
    .await;
    page.finish(r)
}

#[derive(Template)]
#[template(path = "warning.html")]
struct WarningPage<'a> {
    ctx: &'a Ctx,
    v: WarningView,
    d: warnings::Detail,
    /// (time, who, what, note)
    events: Vec<(String, String, String, String)>,
    tasks: Vec<(i64, String, String, String)>,
    lead: String,
    message: Option<String>,
    today_plus_30: String,
}

pub async fn show(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let d = warnings::get(&state, &page.caller, id).await?;
        let v = warning_view(l, &d.item);
        let events = d
            .events
            .iter()
            .map(|e| {
                (
                    l.time(&e.at),
                    e.actor.clone(),
                    l.t(&format!("warning-event-{}", e.kind)),
                    l.name(&e.note),
                )
            })
            .collect();
        let tasks = d
            .tasks
            .iter()
            .map(|t| {
                (
                    t.id,
                    t.problem.clone(),
                    t.deadline.clone(),
                    l.html(&rect::state_name(&t.state)),
                )
            })
            .collect();
        let lead = d.item.warning.lead_code.clone().unwrap_or_default();
        let message = match q.done.as_deref() {
            Some("answered") => Some(l.t("warning-answered")),
            Some("closed") => Some(l.t("warning-closed")),
            _ => None,
        };
        render(&WarningPage {
            ctx: &page.ctx,
            v,
            d,
            events,
            tasks,
            lead,
            message,
            today_plus_30: warnings::day_after(time::OffsetDateTime::now_utc(), 30),
        })
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct AnswerForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub version: i64,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default)]
    pub deadline: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
}

pub async fn answer(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<AnswerForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        warnings::answer(
            &state,
            &page.caller,
            id,
            Answer {
                version: f.version,
                cause: f.cause,
                measures: f.measures,
                deadline: f.deadline,
                person: f.person,
            },
        )
        .await?;
        Ok(see_other(&format!("/warnings/{id}?done=answered")))
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct CloseForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub version: i64,
    #[serde(default)]
    pub reason: String,
}

pub async fn close(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CloseForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        warnings::close(&state, &page.caller, id, f.version, &f.reason).await?;
        Ok(see_other(&format!("/warnings/{id}?done=closed")))
    }
    .await;
    page.finish(r)
}

// ───────────────────────────── rectification ─────────────────────────────

/// A task as a row.
pub struct TaskView {
    pub id: i64,
    pub unit: String,
    pub unit_code: String,
    pub source: String,
    pub source_link: String,
    pub period: String,
    pub problem: String,
    pub measures: String,
    pub person: String,
    pub deadline: String,
    pub verifier: String,
    pub state_code: String,
    pub state: String,
    pub overdue: bool,
    pub completion: String,
    pub return_reason: String,
    pub submitted_at: String,
    pub verified_at: String,
    pub verified_by: String,
    pub version: i64,
    pub allowed: Vec<String>,
}

fn task_view(l: L, i: &rect::Item) -> TaskView {
    let t = &i.task;
    TaskView {
        id: t.id,
        unit: l.html(&i.unit_name),
        unit_code: t.unit_code.clone(),
        source: l.html(&i.source_name),
        source_link: match (t.source_kind.as_str(), t.source_id.split_once('/')) {
            ("warning", _) if !t.source_id.is_empty() => {
                format!("/warnings/{}", urlencode(&t.source_id))
            }
            // An inspection hazard's task: `round/unit`.
            ("inspection", Some((round, _))) if round.parse::<i64>().is_ok() => {
                format!("/inspections/{round}")
            }
            _ => String::new(),
        },
        period: t.period.clone(),
        problem: t.problem.clone(),
        measures: t.measures.clone(),
        person: t.person.clone(),
        deadline: t.deadline.clone(),
        verifier: l.html(&i.verifier_name),
        state_code: t.state.clone(),
        state: l.html(&i.state_name),
        overdue: i.overdue,
        completion: t.completion.clone(),
        return_reason: t.return_reason.clone(),
        submitted_at: l.time_opt(&t.submitted_at),
        verified_at: l.time_opt(&t.verified_at),
        verified_by: t.verified_by.clone().unwrap_or_default(),
        version: t.version,
        allowed: i.allowed.clone(),
    }
}

fn pct(l: L, d: &Option<Decimal>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| format!("{}%", l.num(&d, 1)))
}

/// A unit's rectification rate as shown.
pub struct RateView {
    pub unit: String,
    pub period: String,
    pub total: i64,
    pub on_time: i64,
    pub late: i64,
    pub open: i64,
    pub rate: String,
    pub on_time_rate: String,
}

#[derive(Template)]
#[template(path = "rectifications.html")]
struct TasksPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<TaskView>,
    rates: Vec<RateView>,
    f: rect::Filter,
    overdue_only: bool,
    /// Whether the caller may add tasks by hand (the office or a lead department).
    can_add: bool,
    units: Vec<(String, String)>,
    message: Option<String>,
    query: String,
}

#[derive(serde::Deserialize, Default)]
pub struct TasksQuery {
    pub unit: Option<String>,
    pub period: Option<String>,
    pub state: Option<String>,
    pub source: Option<String>,
    pub overdue: Option<String>,
    pub format: Option<String>,
    pub done: Option<String>,
}

pub async fn tasks(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<TasksQuery>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.is_empty());
        let overdue_only = q.overdue.as_deref() == Some("1");
        let f = rect::Filter {
            unit: nonempty(&q.unit),
            period: nonempty(&q.period),
            state: nonempty(&q.state),
            source: nonempty(&q.source),
            overdue: overdue_only.then_some(true),
        };
        let items = rect::list(&state, &page.caller, &f).await?;
        let rows: Vec<TaskView> = items.iter().map(|i| task_view(l, i)).collect();
        if super::wanted_xlsx(&q.format) {
            return ledger(&rows, &items);
        }
        let names: std::collections::HashMap<String, String> = items
            .iter()
            .map(|i| (i.task.unit_code.clone(), l.html(&i.unit_name)))
            .collect();
        let rates = rect::rates(&items.iter().map(|i| i.task.clone()).collect::<Vec<_>>())
            .into_iter()
            .map(|r: Rate| RateView {
                unit: names
                    .get(&r.unit)
                    .cloned()
                    .unwrap_or_else(|| r.unit.clone()),
                period: r.period.clone(),
                total: r.total,
                on_time: r.on_time,
                late: r.late,
                open: r.open,
                rate: pct(l, &r.rate),
                on_time_rate: pct(l, &r.on_time_rate),
            })
            .collect();
        let p = &page.caller.principal;
        let can_add = matches!(
            p.role,
            jixiao_core::access::Role::Admin
                | jixiao_core::access::Role::Office
                | jixiao_core::access::Role::LeadReviewer
        );
        let units = if can_add {
            rect::unit_choices(&state)
                .await
                .into_iter()
                .map(|(c, n)| (c, l.plain(&n).to_owned()))
                .collect()
        } else {
            Vec::new()
        };
        let message = match q.done.as_deref() {
            Some("added") => Some(l.t("rect-added")),
            _ => None,
        };
        let query = [
            ("unit", &f.unit),
            ("period", &f.period),
            ("state", &f.state),
            ("source", &f.source),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", urlencode(v))))
        .chain(overdue_only.then(|| "overdue=1".to_owned()))
        .collect::<Vec<_>>()
        .join("&");
        render(&TasksPage {
            ctx: &page.ctx,
            rows,
            rates,
            f,
            overdue_only,
            can_add,
            units,
            message,
            query,
        })
    }
    .await;
    page.finish(r)
}

/// 整改台账: every task the caller sees, with Chinese headers (the ledger offices keep).
fn ledger(rows: &[TaskView], items: &[rect::Item]) -> Result<Response> {
    let zh = L(Lang::Zh);
    let headers = [
        "序号",
        "单位",
        "单位代码",
        "来源",
        "期间",
        "问题",
        "整改措施",
        "责任人",
        "整改时限",
        "验收部门",
        "状态",
        "是否逾期",
        "完成情况",
        "提交时间",
        "验收时间",
        "验收人",
        "退回原因",
    ]
    .map(str::to_owned)
    .to_vec();
    let data = rows
        .iter()
        .zip(items)
        .map(|(r, i)| {
            vec![
                Cell::Num(Decimal::from(r.id)),
                zh.plain(&i.unit_name).into(),
                r.unit_code.as_str().into(),
                zh.plain(&i.source_name).into(),
                r.period.as_str().into(),
                r.problem.as_str().into(),
                r.measures.as_str().into(),
                r.person.as_str().into(),
                r.deadline.as_str().into(),
                zh.plain(&i.verifier_name).into(),
                zh.plain(&i.state_name).into(),
                if r.overdue { "是" } else { "否" }.into(),
                r.completion.as_str().into(),
                i.task
                    .submitted_at
                    .clone()
                    .map_or_else(|| Cell::from(""), Cell::Time),
                i.task
                    .verified_at
                    .clone()
                    .map_or_else(|| Cell::from(""), Cell::Time),
                r.verified_by.as_str().into(),
                r.return_reason.as_str().into(),
            ]
        })
        .collect();
    crate::http::download::xlsx_table("整改台账", headers, data)
}

#[derive(serde::Deserialize)]
pub struct NewTaskForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    #[serde(default)]
    pub source: Option<String>,
    pub unit: String,
    pub period: String,
    #[serde(default)]
    pub problem: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub verifier: Option<String>,
    #[serde(default)]
    pub person: String,
}

pub async fn create(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<NewTaskForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let d = rect::create(
            &state,
            &page.caller,
            NewTask {
                source: f.source,
                source_id: None,
                unit: f.unit,
                period: f.period,
                problem: f.problem,
                measures: f.measures,
                deadline: f.deadline,
                verifier: f.verifier,
                person: f.person,
            },
        )
        .await?;
        Ok(see_other(&format!(
            "/rectifications/{}?done=added",
            d.item.task.id
        )))
    }
    .await;
    page.finish(r)
}

#[derive(Template)]
#[template(path = "rectification.html")]
struct TaskPage<'a> {
    ctx: &'a Ctx,
    t: TaskView,
    evidence: Vec<(String, String)>,
    may_upload: bool,
    message: Option<String>,
}

pub async fn task(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let d = rect::get(&state, &page.caller, id).await?;
        let t = task_view(l, &d.item);
        let message = q.done.as_deref().map(|k| l.t(&format!("rect-done-{k}")));
        let may_upload = d.item.may_attach;
        render(&TaskPage {
            ctx: &page.ctx,
            t,
            evidence: d.evidence,
            may_upload,
            message,
        })
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct ActForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub action: String,
    pub version: i64,
    #[serde(default)]
    pub text: String,
}

pub async fn act(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ActForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let action = f.action.clone();
        rect::act(
            &state,
            &page.caller,
            id,
            Move {
                action: f.action,
                version: f.version,
                text: f.text,
            },
        )
        .await?;
        Ok(see_other(&format!(
            "/rectifications/{id}?done={}",
            urlencode(&action)
        )))
    }
    .await;
    page.finish(r)
}

pub async fn evidence(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let upload = crate::http::upload::evidence(&state, form).await?;
        crate::ops::evidence::attach_to_rectification(&state, &page.caller, id, upload.incoming())
            .await?;
        Ok(see_other(&format!("/rectifications/{id}?done=evidence")))
    }
    .await;
    page.finish(r)
}

// ───────────────────────────── channels ─────────────────────────────

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage<'a> {
    ctx: &'a Ctx,
    c: notices::Channels,
    /// A new webhook's key, shown once.
    secret: Option<String>,
    kinds: Vec<(String, String)>,
    message: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct ChannelsQuery {
    pub key: Option<String>,
    pub state: Option<String>,
    pub done: Option<String>,
}

async fn channels_page(
    page: &Page,
    state: &AppState,
    q: ChannelsQuery,
    secret: Option<String>,
) -> Result<Response> {
    let l = page.ctx.l;
    let c = notices::channels(
        state,
        &page.caller,
        &notices::LogFilter {
            key: q.key,
            state: q.state,
        },
    )
    .await?;
    let kinds = notices::KINDS
        .iter()
        .map(|k| ((*k).to_owned(), l.html(&notices::kind_name(k))))
        .collect();
    let message = match q.done.as_deref() {
        Some("enabled") => Some(l.t("channel-saved")),
        _ => None,
    };
    render(&ChannelsPage {
        ctx: &page.ctx,
        c,
        secret,
        kinds,
        message,
    })
}

pub async fn channels(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<ChannelsQuery>,
) -> Response {
    let r = channels_page(&page, &state, q, None).await;
    page.finish(r)
}

/// Adds a channel and shows the page with the new webhook key (shown this once).
pub async fn add_channel(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        page.check_csrf(&get("_csrf").unwrap_or_default())?;
        let added = notices::add_channel(
            &state,
            &page.caller,
            NewChannel {
                name: get("name").unwrap_or_default(),
                kind: get("kind").unwrap_or_default(),
                template: get("template"),
                target: get("target").unwrap_or_default(),
                secret: None,
                kinds: f
                    .iter()
                    .filter(|(n, _)| n == "kind_of")
                    .map(|(_, v)| v.clone())
                    .collect(),
            },
        )
        .await?;
        let secret = (added.channel.kind == "webhook").then_some(added.secret);
        channels_page(&page, &state, ChannelsQuery::default(), secret).await
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct EnableForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub enabled: bool,
}

pub async fn enable_channel(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<EnableForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        notices::enable_channel(&state, &page.caller, id, f.enabled).await?;
        Ok(see_other("/channels?done=enabled"))
    }
    .await;
    page.finish(r)
}

// ───────────────────────────── the dashboard's 催报 ─────────────────────────────

#[derive(serde::Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
}

/// "Remind the units that have not reported" from the dashboard.
pub async fn remind(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period)): Path<(String, String)>,
    axum::Form(f): axum::Form<TokenForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let done = crate::ops::schedule::remind(&state, &page.caller, &scheme, &period).await?;
        Ok(see_other(&format!(
            "/dashboard/{}/{}?reminded={}",
            urlencode(&scheme),
            urlencode(&period),
            done.units.len()
        )))
    }
    .await;
    page.finish(r)
}

/// The dashboard's follow-up panel: open warnings by level and age, rectification per unit.
pub struct FollowUpPanel {
    pub ages: Vec<(String, String, [usize; 3])>,
    pub overdue: usize,
    /// (unit, total, on time, late, open, rate)
    pub rates: Vec<(String, i64, i64, i64, i64, String)>,
}

pub async fn panel(state: &AppState, page: &Page) -> Result<FollowUpPanel> {
    let l = page.ctx.l;
    let Ages { levels, overdue } = warnings::ages(state, &page.caller).await?;
    let ages = levels
        .into_iter()
        .map(|(code, bands)| (code.clone(), l.t(&format!("warning-{code}")), bands))
        .collect();
    let items = rect::list(state, &page.caller, &rect::Filter::default()).await?;
    let names: std::collections::HashMap<String, String> = items
        .iter()
        .map(|i| (i.task.unit_code.clone(), l.html(&i.unit_name)))
        .collect();
    // Per unit over every period: the dashboard's one line per unit.
    let mut all: Vec<jixiao_store::rectifications::TaskRow> =
        items.into_iter().map(|i| i.task).collect();
    for t in &mut all {
        t.period = String::new();
    }
    let rates = rect::rates(&all)
        .into_iter()
        .map(|r| {
            (
                names
                    .get(&r.unit)
                    .cloned()
                    .unwrap_or_else(|| r.unit.clone()),
                r.total,
                r.on_time,
                r.late,
                r.open,
                pct(l, &r.rate),
            )
        })
        .collect();
    Ok(FollowUpPanel {
        ages,
        overdue,
        rates,
    })
}
