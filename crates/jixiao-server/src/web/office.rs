//! The office's pages: the scheme viewer (indicator tree, version history with reasons, what-if),
//! appeals (file with evidence, resolve with a reason, history) and the audit log viewer with
//! the chain's status.

use super::{CsrfQuery, Ctx, Page, render, see_other, urlencode};
use crate::error::{Error, Result};
use crate::i18n::{L, problem_text};
use crate::ops::appeals::{Correction, FileBody, ResolveBody};
use crate::ops::audit::AuditQuery;
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use jixiao_core::Decimal;
use jixiao_core::access::Role;
use jixiao_core::scheme::{Direction, Module};
use jixiao_core::text::Text;
use jixiao_store::appeals::AppealRow;
use jixiao_store::audit::Entry;
use std::collections::HashMap;

// ───────────────────────────── audit ─────────────────────────────

/// The audit page's filters, as its form sends them.
#[derive(serde::Deserialize, Default)]
pub struct AuditForm {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub contains: String,
    #[serde(default)]
    pub offset: i64,
    pub format: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    q: AuditForm,
    entries: Vec<Entry>,
    total: i64,
    next: Option<String>,
    prev: Option<String>,
    xlsx_href: String,
    intact: bool,
    checked: i64,
    broken_at: Option<i64>,
    problem: String,
    sealed_from: Option<i64>,
    /// `seq:hash` of the newest entry, to print or publish.
    anchor: String,
    names: crate::ops::audit::Names,
    choices: crate::ops::audit::Choices,
}

const AUDIT_PAGE: i64 = 100;

impl AuditPage<'_> {
    /// What an entry changed, field by field: (field, before, after) for each field whose
    /// value differs (one level deep: nested values shown as compact JSON). Empty when the
    /// before and after are not both JSON objects (then they are shown whole).
    fn changes(&self, e: &Entry) -> Vec<(String, String, String)> {
        let parse = |s: &Option<String>| {
            s.as_deref()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        };
        let show = |v: Option<&serde_json::Value>| match v {
            None | Some(serde_json::Value::Null) => "—".to_owned(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        let (before, after) = (parse(&e.before), parse(&e.after));
        let empty = serde_json::Map::new();
        let (b, a) = match (&before, &after) {
            (Some(serde_json::Value::Object(b)), Some(serde_json::Value::Object(a))) => (b, a),
            (None, Some(serde_json::Value::Object(a))) => (&empty, a),
            _ => return Vec::new(),
        };
        let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter(|k| b.get(*k) != a.get(*k))
            .map(|k| (k.clone(), show(b.get(k)), show(a.get(k))))
            .collect()
    }

    fn action_name(&self, action: &str) -> String {
        action_name(self.ctx.l, action)
    }

    fn entity_name(&self, entity: &str) -> String {
        entity_name(self.ctx.l, entity)
    }

    fn target(&self, e: &Entry) -> String {
        self.names
            .target(&e.entity, &e.entity_id, self.ctx.l.into())
    }

    fn person<'b>(&'b self, actor: &'b str) -> &'b str {
        self.names.person(actor, self.ctx.l.into())
    }

    /// A value in the field-by-field difference: a state by its name, Chinese text marked as
    /// such, anything else (codes, numbers, user names) as data.
    fn cell(&self, field: &str, v: &str) -> String {
        let l = self.ctx.l;
        if field == "state" && jixiao_core::workflow::ValueState::parse(v).is_some() {
            return crate::i18n::escape(&super::state_label(l, v));
        }
        if v.starts_with(['[', '{']) {
            // Nested JSON (a published table's lines): as code, its Chinese marked as such.
            format!("<code class=\"json\">{}</code>", l.name(v))
        } else if v == "—" || self.chinese(v) {
            l.name(v)
        } else {
            format!("<code>{}</code>", crate::i18n::escape(v))
        }
    }

    /// Text in Chinese (a person's name), marked as such for English readers' tools.
    fn chinese(&self, s: &str) -> bool {
        s.chars().any(crate::i18n::is_han)
    }
}

/// An audit action in words (`user.login` → 登录); the code itself when it has none.
fn action_name(l: L, action: &str) -> String {
    named(l, "act", action)
}

/// A kind of thing in the audit log in words (`value` → 数据).
fn entity_name(l: L, entity: &str) -> String {
    named(l, "ent", entity)
}

fn named(l: L, prefix: &str, code: &str) -> String {
    let t = l.t(&format!("{prefix}-{}", code.replace(['.', '_'], "-")));
    if t.starts_with('⟦') {
        code.to_owned()
    } else {
        t
    }
}

/// A search typed as a name (a unit's or an element's) looks for its code, which is what the
/// entries carry.
fn search_code(names: &crate::ops::audit::Names, typed: &str) -> String {
    let t = typed.trim();
    names
        .units
        .iter()
        .chain(&names.elements)
        .find(|(_, n)| n.zh == t || (!n.en.is_empty() && n.en.eq_ignore_ascii_case(t)))
        .map_or_else(|| t.to_owned(), |(code, _)| code.clone())
}

fn audit_href(q: &AuditForm, offset: i64, format: &str) -> String {
    format!(
        "/audit?actor={}&entity={}&action={}&contains={}&offset={offset}{format}",
        urlencode(&q.actor),
        urlencode(&q.entity),
        urlencode(&q.action),
        urlencode(&q.contains)
    )
}

pub async fn audit(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<AuditForm>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let want_xlsx = super::wanted_xlsx(&q.format);
        let names = crate::ops::audit::names(&state, &page.caller).await?;
        let filter = AuditQuery {
            actor: Some(q.actor.clone()).filter(|s| !s.is_empty()),
            action: Some(q.action.clone()).filter(|s| !s.is_empty()),
            entity: Some(q.entity.clone()).filter(|s| !s.is_empty()),
            entity_id: None,
            contains: Some(search_code(&names, &q.contains)).filter(|s| !s.is_empty()),
        };
        if want_xlsx {
            // The whole filtered log (not the page shown), up to the export's limit; a cut
            // extract says so in its last row.
            let (entries, total) = crate::ops::pages_up_to(crate::ops::exports::AUDIT_MAX, |p| {
                crate::ops::audit::list(&state, &page.caller, &filter, p)
            })
            .await?;
            let headers = [
                "audit-seq",
                "audit-at",
                "audit-actor",
                "audit-source",
                "audit-action",
                "audit-entity",
                "audit-reason",
                "audit-before",
                "audit-after",
                "audit-hash",
            ]
            .map(|k| l.t(k))
            .to_vec();
            let shown = entries.len() as i64;
            let mut rows: Vec<Vec<Cell>> = entries
                .iter()
                .map(|e| {
                    vec![
                        Cell::Num(Decimal::from(e.seq)),
                        Cell::Time(e.at.clone()),
                        names.person(&e.actor, l.into()).into(),
                        e.source.as_str().into(),
                        action_name(l, &e.action).into(),
                        format!(
                            "{}{}{}",
                            entity_name(l, &e.entity),
                            l.t("colon"),
                            names.target(&e.entity, &e.entity_id, l.into())
                        )
                        .into(),
                        e.reason.as_str().into(),
                        e.before.clone().unwrap_or_default().into(),
                        e.after.clone().unwrap_or_default().into(),
                        e.hash.as_str().into(),
                    ]
                })
                .collect();
            if total > shown {
                rows.push(vec![Cell::Bad(
                    l.ta("audit-export-cut", &[("shown", &shown), ("total", &total)]),
                )]);
            }
            return crate::http::download::xlsx_table(&l.t("audit-title"), headers, rows);
        }
        let list = crate::ops::audit::list(
            &state,
            &page.caller,
            &filter,
            crate::ops::page(Some(AUDIT_PAGE), Some(q.offset)),
        )
        .await?;
        let v = crate::ops::audit::verify(&state, &page.caller).await?;
        let choices = crate::ops::audit::choices(&state, &page.caller).await?;
        let off = q.offset.max(0);
        let next = (off + AUDIT_PAGE < list.total).then(|| audit_href(&q, off + AUDIT_PAGE, ""));
        let prev = (off > 0).then(|| audit_href(&q, (off - AUDIT_PAGE).max(0), ""));
        render(&AuditPage {
            ctx: &page.ctx,
            xlsx_href: audit_href(&q, off, "&format=xlsx"),
            entries: list.items,
            total: list.total,
            next,
            prev,
            intact: v.broken_at.is_none() && v.value_problem.is_none(),
            checked: v.entries,
            broken_at: v.broken_at,
            problem: v.problem.or(v.value_problem).unwrap_or_default(),
            sealed_from: v.sealed_from,
            anchor: format!("{}:{}", v.head_seq, v.head_hash),
            names,
            choices,
            q,
        })
    }
    .await;
    page.finish(r)
}

// ───────────────────────────── appeals ─────────────────────────────

/// An appeal as listed.
pub struct AppealView {
    pub row: AppealRow,
    /// Evidence files: link and name.
    pub evidence: Vec<(String, String)>,
    pub publication: String,
    pub unit_name: String,
    pub indicator_name: String,
}

#[derive(Template)]
#[template(path = "appeals.html")]
struct AppealsPage<'a> {
    ctx: &'a Ctx,
    appeals: Vec<AppealView>,
    /// `publication|indicator` and a label, for the unit's new appeal.
    can_file: Vec<(String, String)>,
    unit: Option<String>,
    resolve: bool,
    message: Option<String>,
}

impl AppealsPage<'_> {
    fn status(&self, s: &str) -> String {
        appeal_status(self.ctx.l, s)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct AppealsQuery {
    pub done: Option<String>,
    pub format: Option<String>,
}

pub async fn appeals(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<AppealsQuery>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let o = crate::ops::appeals::overview(&state, &page.caller).await?;
        let appeals: Vec<AppealView> = o
            .appeals
            .into_iter()
            .map(|a| AppealView {
                publication: a.publication.map_or_else(
                    || a.row.publication_id.to_string(),
                    |(scheme, period, revision)| {
                        format!(
                            "{scheme} · {period} · {}",
                            l.tn("publish-revision", "revision", revision)
                        )
                    },
                ),
                unit_name: a
                    .unit_name
                    .map_or_else(|| a.row.unit_code.clone(), |t| l.html(&t)),
                indicator_name: a
                    .indicator_name
                    .map_or_else(|| a.row.indicator.clone(), |t| l.html(&t)),
                evidence: a.evidence,
                row: a.row,
            })
            .collect();
        if super::wanted_xlsx(&q.format) {
            return appeals_workbook(l, &appeals);
        }
        let can_file = o
            .appealable
            .iter()
            .map(|a| {
                (
                    format!("{}|{}", a.publication_id, a.indicator),
                    format!("{} · {} · {}", a.period, l.plain(&a.name), a.score),
                )
            })
            .collect();
        let message = match q.done.as_deref() {
            Some("filed") => Some(l.t("appeal-filed")),
            Some("resolved") => Some(l.t("appeal-resolved")),
            Some("evidence") => Some(l.t("entry-evidence-added")),
            _ => None,
        };
        render(&AppealsPage {
            ctx: &page.ctx,
            appeals,
            can_file,
            unit: page.caller.principal.unit.clone(),
            resolve: o.may_resolve,
            message,
        })
    }
    .await;
    page.finish(r)
}

fn appeal_status(l: L, s: &str) -> String {
    match s {
        "open" => l.t("appeal-open"),
        "upheld" => l.t("appeal-upheld"),
        "rejected" => l.t("appeal-rejected"),
        other => other.to_owned(),
    }
}

fn appeals_workbook(l: L, appeals: &[AppealView]) -> Result<Response> {
    let headers = [
        "appeal-number",
        "appeal-publication",
        "col-code",
        "card-indicators",
        "appeal-reason",
        "col-state",
        "appeal-resolution",
        "appeal-filed-by",
        "appeal-filed-at",
        "appeal-resolved-by",
        "appeal-resolved-at",
    ]
    .map(|k| l.t(k))
    .to_vec();
    let rows = appeals
        .iter()
        .map(|a| {
            vec![
                Cell::Num(Decimal::from(a.row.id)),
                a.publication.as_str().into(),
                a.row.unit_code.as_str().into(),
                a.row.indicator.as_str().into(),
                a.row.reason.as_str().into(),
                appeal_status(l, &a.row.status).into(),
                a.row.resolution.as_str().into(),
                a.row.filed_by.as_str().into(),
                Cell::Time(a.row.filed_at.clone()),
                a.row.resolved_by.clone().unwrap_or_default().into(),
                a.row
                    .resolved_at
                    .clone()
                    .map_or_else(|| Cell::from(""), Cell::Time),
            ]
        })
        .collect();
    crate::http::download::xlsx_table(&l.t("appeals-title"), headers, rows)
}

#[derive(serde::Deserialize)]
pub struct FileForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub target: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn file_appeal(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<FileForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let (id, indicator) = f
            .target
            .split_once('|')
            .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.to_owned())))
            .ok_or_else(|| Error::not_found("公示中的指标", "indicator in a publication"))?;
        let unit = page
            .caller
            .principal
            .unit
            .clone()
            .ok_or_else(Error::forbidden)?;
        let body = FileBody {
            publication_id: id,
            unit,
            indicator,
            reason: f.reason,
        };
        crate::ops::appeals::file(&state, &page.caller, body).await?;
        Ok(see_other("/appeals?done=filed"))
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct ResolveForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub decision: String,
    #[serde(default)]
    pub reason: String,
    pub version: i64,
    #[serde(default)]
    pub element: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub value: String,
}

pub async fn resolve_appeal(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ResolveForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let corrections = if f.element.trim().is_empty() {
            Vec::new()
        } else {
            vec![Correction {
                element: f.element.trim().to_owned(),
                period: f.period.trim().to_owned(),
                value: f.value.trim().to_owned(),
            }]
        };
        let body = ResolveBody {
            decision: f.decision,
            reason: f.reason,
            version: f.version,
            corrections,
        };
        crate::ops::appeals::resolve(&state, &page.caller, id, body).await?;
        Ok(see_other("/appeals?done=resolved"))
    }
    .await;
    page.finish(r)
}

pub async fn appeal_evidence(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let upload = crate::http::upload::evidence(&state, form).await?;
        crate::ops::evidence::attach_to_appeal(&state, &page.caller, id, upload.incoming()).await?;
        Ok(see_other("/appeals?done=evidence"))
    }
    .await;
    page.finish(r)
}

// ───────────────────────────── schemes ─────────────────────────────

/// A line of the indicator tree.
pub struct TreeRow {
    /// Name, method and target as text, for the workbook.
    /// Name, method, target and lead department as plain text (for the workbook).
    pub plain: [String; 4],
    pub depth: usize,
    pub module: bool,
    pub code: String,
    pub name: String,
    pub points: String,
    pub weight: String,
    pub method: String,
    pub target: String,
    pub direction: String,
    pub elastic: bool,
    pub lead: String,
}

pub struct ClassTree {
    pub plain_name: String,
    pub name: String,
    pub points: String,
    pub rows: Vec<TreeRow>,
}

#[derive(Template)]
#[template(path = "schemes.html")]
struct SchemesPage<'a> {
    ctx: &'a Ctx,
    scheme_code: String,
    title: String,
    versions: Vec<jixiao_store::schemes::SchemeRow>,
    classes: Vec<ClassTree>,
    others: Vec<(String, String)>,
    whatif_period: Option<String>,
}

impl SchemesPage<'_> {
    /// Who made a version: the server's own work in words, an account as data.
    fn by(&self, who: &str) -> String {
        if who == "system" {
            self.ctx.l.t("actor-system")
        } else {
            format!("<code>{}</code>", crate::i18n::escape(who))
        }
    }

    fn short(&self, hash: &str) -> String {
        hash.chars().take(12).collect()
    }

    fn status(&self, s: &str) -> String {
        match s {
            "draft" => self.ctx.l.t("scheme-draft"),
            "published" => self.ctx.l.t("scheme-published"),
            "superseded" => self.ctx.l.t("scheme-superseded"),
            other => other.to_owned(),
        }
    }
}

/// A lead department by name, its code after it (the code alone when no unit has it): as
/// HTML (the name marked as Chinese in the English pages when it has no English) and plain.
fn lead_name(l: L, names: &HashMap<String, Text>, code: &str) -> (String, String) {
    match names.get(code) {
        Some(n) if l.is_en() => (
            format!("{} <small class=\"code\">{code}</small>", l.html(n)),
            format!("{} ({code})", l.plain(n)),
        ),
        Some(n) => (
            format!("{} <small class=\"code\">{code}</small>", l.html(n)),
            format!("{}（{code}）", l.plain(n)),
        ),
        None => (code.to_owned(), code.to_owned()),
    }
}

fn tree(l: L, names: &HashMap<String, Text>, m: &Module, depth: usize, out: &mut Vec<TreeRow>) {
    let num = |d: &Option<Decimal>| d.as_ref().map_or(String::new(), |d| l.num(d, 4));
    out.push(TreeRow {
        plain: [
            l.plain(&m.name).to_owned(),
            String::new(),
            String::new(),
            String::new(),
        ],
        depth,
        module: true,
        code: m.code.to_string(),
        name: l.html(&m.name),
        points: num(&m.points),
        weight: num(&m.weight),
        method: String::new(),
        target: String::new(),
        direction: String::new(),
        elastic: false,
        lead: String::new(),
    });
    for i in &m.indicators {
        let (mut lead, mut lead_plain) = i
            .lead
            .as_ref()
            .map(|c| lead_name(l, names, c.as_str()))
            .unwrap_or_default();
        // 五链: the cooperating departments wherever the lead is shown.
        if !i.cooperating.is_empty() {
            let (html, plain): (Vec<String>, Vec<String>) = i
                .cooperating
                .iter()
                .map(|c| lead_name(l, names, c.as_str()))
                .unzip();
            let label = l.t("schemes-cooperating");
            let colon = l.t("colon");
            let sep = l.t("list-sep");
            lead = format!("{lead}<br><small>{label}{colon}{}</small>", html.join(&sep));
            lead_plain = format!("{lead_plain}；{label}{colon}{}", plain.join(&sep));
        }
        let lang = if l.is_en() {
            jixiao_core::text::Lang::En
        } else {
            jixiao_core::text::Lang::Zh
        };
        out.push(TreeRow {
            plain: [
                l.plain(&i.name).to_owned(),
                l.plain(&i.method.kind().name()).to_owned(),
                i.target.as_ref().map_or(String::new(), |t| {
                    format!(
                        "{} {}",
                        l.num(t, 4),
                        jixiao_core::text::measure(&i.unit, lang)
                    )
                }),
                lead_plain,
            ],
            depth: depth + 1,
            module: false,
            code: i.code.to_string(),
            name: l.html(&i.name),
            points: num(&i.points),
            weight: num(&i.weight),
            method: l.html(&i.method.kind().name()),
            target: i.target.as_ref().map_or(String::new(), |t| {
                format!("{} {}", l.num(t, 4), l.unit(&i.unit))
            }),
            direction: match i.direction {
                Direction::Higher => l.t("scheme-higher"),
                Direction::Lower => l.t("scheme-lower"),
            },
            elastic: i.elastic,
            lead,
        });
    }
    for sub in &m.modules {
        tree(l, names, sub, depth + 1, out);
    }
}

pub async fn schemes_default(page: Page, State(state): State<AppState>) -> Response {
    if let Err(e) = page.require_signed_in() {
        return page.finish(Err(e));
    }
    match crate::ops::results::current_period(&state).await {
        Some((s, _)) => see_other(&format!("/schemes/{}", urlencode(&s))),
        None => see_other("/"),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct FormatQuery {
    pub format: Option<String>,
}

pub async fn scheme(
    page: Page,
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(fq): Query<FormatQuery>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let p = crate::ops::schemes::published(&state, &page.caller, &code).await?;
        let classes: Vec<ClassTree> = p
            .scheme
            .classes
            .values()
            .map(|c| {
                let mut rows = Vec::new();
                for m in &c.modules {
                    tree(l, &p.unit_names, m, 0, &mut rows);
                }
                ClassTree {
                    plain_name: l.plain(&c.name).to_owned(),
                    name: l.html(&c.name),
                    points: l.num(&c.points, 2),
                    rows,
                }
            })
            .collect();
        if super::wanted_xlsx(&fq.format) {
            return tree_workbook(l, &code, &classes);
        }
        render(&SchemesPage {
            ctx: &page.ctx,
            title: l.html(&p.scheme.title),
            scheme_code: p.code,
            versions: p.versions,
            classes,
            others: p
                .others
                .iter()
                .map(|(c, t)| (c.clone(), l.html(t)))
                .collect(),
            whatif_period: p.whatif_period,
        })
    }
    .await;
    page.finish(r)
}

fn tree_workbook(l: L, code: &str, classes: &[ClassTree]) -> Result<Response> {
    let headers = [
        "schemes-indicator",
        "col-code",
        "entry-points",
        "schemes-weight",
        "schemes-method",
        "entry-target",
        "schemes-direction",
        "schemes-lead",
    ]
    .map(|k| l.t(k))
    .to_vec();
    let parse = |s: &str| {
        s.parse::<Decimal>()
            .map_or_else(|_| Cell::from(s), Cell::Num)
    };
    let sheets: Vec<Sheet> = classes
        .iter()
        .map(|c| {
            Sheet::new(
                c.plain_name.clone(),
                headers.clone(),
                c.rows
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::from(format!("{}{}", "　".repeat(r.depth), r.plain[0])),
                            r.code.as_str().into(),
                            parse(&r.points),
                            parse(&r.weight),
                            r.plain[1].as_str().into(),
                            r.plain[2].as_str().into(),
                            r.direction.as_str().into(),
                            r.plain[3].as_str().into(),
                        ]
                    })
                    .collect(),
            )
        })
        .collect();
    crate::http::download::xlsx(code, &sheets)
}

/// A unit whose rank or grade would change.
pub struct MovedRow {
    pub unit: String,
    pub class: String,
    pub total: String,
    pub rank: String,
    pub grade: String,
}

#[derive(Template)]
#[template(path = "whatif.html")]
struct WhatIfPage<'a> {
    ctx: &'a Ctx,
    scheme_code: String,
    period: String,
    periods: Vec<String>,
    lines: Vec<(String, String, String)>,
    changes: Vec<String>,
    moved: Vec<MovedRow>,
    totals_only: Vec<MovedRow>,
    /// Results applied that change: unit, outcome, before → after.
    outcomes: Vec<(String, String, String)>,
    ran: bool,
    error: Option<String>,
    /// What can be changed, by name: (code as the what-if reads it, words).
    choices: Vec<(String, String)>,
}

/// Every module and indicator of a scheme as the what-if names them (`class/code`), with
/// their names, for the list to pick from instead of typing codes.
fn whatif_choices(l: L, scheme: &jixiao_core::scheme::Scheme) -> Vec<(String, String)> {
    fn walk(l: L, class: &str, class_name: &str, m: &Module, out: &mut Vec<(String, String)>) {
        out.push((
            format!("{class}/{}", m.code),
            format!("{class_name} · {}", l.plain(&m.name)),
        ));
        for i in &m.indicators {
            out.push((
                format!("{class}/{}", i.code),
                format!("{class_name} · {}", l.plain(&i.name)),
            ));
        }
        for sub in &m.modules {
            walk(l, class, class_name, sub, out);
        }
    }
    let mut out = Vec::new();
    for (code, c) in &scheme.classes {
        for m in &c.modules {
            walk(l, code.as_str(), l.plain(&c.name), m, &mut out);
        }
    }
    out
}

#[derive(serde::Deserialize, Default)]
pub struct WhatIfQuery {
    pub period: Option<String>,
}

pub async fn whatif_form(
    page: Page,
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<WhatIfQuery>,
) -> Response {
    let r = whatif_page(&page, &state, code, q.period, Vec::new()).await;
    page.finish(r)
}

async fn whatif_page(
    page: &Page,
    state: &AppState,
    code: String,
    period: Option<String>,
    lines: Vec<(String, String, String)>,
) -> Result<Response> {
    let l = page.ctx.l;
    let periods = crate::ops::results::whatif_periods(state, &page.caller, &code).await?;
    let period = period
        .filter(|p| periods.contains(p))
        .or_else(|| periods.last().cloned())
        .ok_or_else(|| Error::not_found("期间", "period"))?;
    let ran = lines.iter().any(|(_, c, _)| !c.trim().is_empty());
    let choices = whatif_choices(
        l,
        &crate::ops::schemes::published(state, &page.caller, &code)
            .await?
            .scheme,
    );
    let decimals = crate::ops::results::display_decimals(state, &code).await;
    let mut out = WhatIfPage {
        choices,
        ctx: &page.ctx,
        scheme_code: code.clone(),
        period: period.clone(),
        periods,
        lines: lines.clone(),
        changes: Vec::new(),
        moved: Vec::new(),
        totals_only: Vec::new(),
        outcomes: Vec::new(),
        ran,
        error: None,
    };
    while out.lines.len() < 4 {
        out.lines
            .push(("target".into(), String::new(), String::new()));
    }
    if ran {
        let mut body = crate::ops::results::WhatIfBody::default();
        for (kind, c, v) in lines.iter().filter(|(_, c, _)| !c.trim().is_empty()) {
            let s = format!("{}={}", c.trim(), v.trim());
            match kind.as_str() {
                "points" => body.points.push(s),
                "weight" => body.weight.push(s),
                "coef" => body.coef.push(s),
                "outcome" => body.outcome.push(s),
                _ => body.target.push(s),
            }
        }
        match crate::ops::results::whatif(state, &page.caller, &code, &period, &body).await {
            Ok(w) => {
                let rows = |list: &[jixiao_core::whatif::Moved]| -> Vec<MovedRow> {
                    list.iter()
                        .map(|m| MovedRow {
                            unit: l.html(&m.name),
                            class: m.class.to_string(),
                            total: format!(
                                "{} → {}",
                                l.opt_score(&m.total_before, decimals),
                                l.opt_score(&m.total_after, decimals)
                            ),
                            rank: format!(
                                "{} → {}",
                                m.rank_before.map_or("—".into(), |r| r.to_string()),
                                m.rank_after.map_or("—".into(), |r| r.to_string())
                            ),
                            grade: format!(
                                "{} → {}",
                                m.grade_before
                                    .as_ref()
                                    .map_or(String::new(), |g| l.html(&g.name)),
                                m.grade_after
                                    .as_ref()
                                    .map_or(String::new(), |g| l.html(&g.name))
                            ),
                        })
                        .collect()
                };
                out.outcomes = w
                    .outcomes
                    .iter()
                    .map(|o| {
                        let v = |x: &Option<jixiao_core::applications::OutcomeValue>| {
                            x.as_ref()
                                .map_or_else(|| "—".to_owned(), |v| l.plain(&v.show()).to_owned())
                        };
                        (
                            l.html(&o.name),
                            l.plain(&o.application_name).to_owned(),
                            format!("{} → {}", v(&o.before), v(&o.after)),
                        )
                    })
                    .collect();
                out.moved = rows(&w.moved);
                out.totals_only = rows(&w.totals_only);
                out.changes = w.changes.iter().map(|t| l.html(t)).collect();
            }
            Err(e) if e.kind.is_client() => out.error = Some(problem_text(l, &e)),
            Err(e) => return Err(e),
        }
    }
    render(&out)
}

pub async fn whatif(
    page: Page,
    State(state): State<AppState>,
    Path(code): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| super::field(&pairs, k).to_owned();
    if let Err(e) = page.check_csrf(&get("_csrf")) {
        return page.finish(Err(e));
    }
    let all = |k: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let (kinds, codes, values) = (all("kind"), all("code"), all("value"));
    let lines = kinds
        .into_iter()
        .zip(codes)
        .zip(values)
        .map(|((k, c), v)| (k, c, v))
        .collect();
    let r = whatif_page(&page, &state, code, Some(get("period")), lines).await;
    page.finish(r)
}

/// Whether the role sees the scheme pages in its navigation.
pub fn sees_schemes(role: Role) -> bool {
    matches!(
        role,
        Role::Office | Role::Admin | Role::Finance | Role::Leader | Role::LeadReviewer
    )
}
