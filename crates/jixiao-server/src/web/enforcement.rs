//! Legality checks of enforcement cases: the flagged cases by rule and department (the legal
//! office sees all, a department its own), the case file's import, the entry form, a case with
//! its timeline and flags to confirm or dismiss, and the rule file. See
//! [`crate::ops::enforcement`].

use super::{Ctx, Page, render, see_other};
use crate::error::Error;
use crate::http::upload::first;
use crate::ops::enforcement::{
    CASE_COLUMNS, Decision, Detail, Filter, NewRules, Overview, Places, Recorded, RulesInfo,
};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::text::Text;

#[derive(Template)]
#[template(path = "enforcement.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    o: Overview,
    f: Filter,
    /// Rates shown (per department row).
    rates: Vec<String>,
    done: Option<Recorded>,
    problems: Vec<String>,
}

async fn list_page(
    page: &Page,
    state: &AppState,
    f: Filter,
    done: Option<Recorded>,
    problems: Vec<String>,
) -> Result<Response, Error> {
    let o = crate::ops::enforcement::overview(state, &page.caller, &f).await?;
    let l = page.ctx.l;
    let rates = o
        .by_dept
        .iter()
        .map(|d| {
            d.review_rate
                .map_or_else(|| "—".to_owned(), |r| format!("{}%", l.num(&r, 1)))
        })
        .collect();
    render(&ListPage {
        ctx: &page.ctx,
        o,
        f,
        rates,
        done,
        problems,
    })
}

pub async fn list(page: Page, State(state): State<AppState>, Query(f): Query<Filter>) -> Response {
    let r = list_page(&page, &state, f, None, Vec::new()).await;
    page.finish(r)
}

/// The case file from a workbook or CSV: recorded together or not at all.
pub async fn import(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<super::CsrfQuery>,
    form: axum::extract::Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        crate::ops::enforcement::may_record(&state, &page.caller).await?;
        let (name, bytes, picked) = super::imports::fields(form).await?;
        let reason = super::field(&picked, "reason");
        let outcome = match crate::ops::enforcement::read_cases(&name, &bytes) {
            Ok((cases, places)) => {
                crate::ops::enforcement::record(
                    &state,
                    &page.caller,
                    &cases,
                    &places,
                    "import",
                    reason,
                )
                .await?
            }
            Err(i) => Err(i),
        };
        let lang = page.lang();
        match outcome {
            Ok(done) => list_page(&page, &state, Filter::default(), Some(done), Vec::new()).await,
            Err(i) => {
                let shown = i.iter().map(|x| x.render(lang)).collect();
                list_page(&page, &state, Filter::default(), None, shown).await
            }
        }
    }
    .await;
    page.finish(r)
}

/// The case file's template.
pub async fn template(page: Page) -> Response {
    let r = async {
        page.caller.require_signed_in()?;
        Ok(crate::http::download::attachment(
            crate::ops::enforcement::template()?,
            crate::xlsx::MIME,
            "enforcement-cases.xlsx",
            "执法案件导入模板.xlsx",
        ))
    }
    .await;
    page.finish(r)
}

#[derive(Template)]
#[template(path = "enforcement_case.html")]
struct CasePage<'a> {
    ctx: &'a Ctx,
    d: Detail,
    /// The case's figures as shown: (label key, value).
    facts: Vec<(&'static str, String)>,
}

fn facts(d: &Detail) -> Vec<(&'static str, String)> {
    let c = &d.case;
    let m = |x: Option<jixiao_core::Decimal>| {
        x.map_or_else(|| "—".to_owned(), |v| v.normalize().to_string())
    };
    vec![
        (
            "enf-party",
            match c.party {
                jixiao_core::enforcement::Party::Individual => "enf-party-individual",
                jixiao_core::enforcement::Party::Organisation => "enf-party-organisation",
            }
            .to_owned(),
        ),
        (
            "enf-procedure",
            match c.procedure {
                jixiao_core::enforcement::Procedure::Simple => "enf-procedure-simple",
                jixiao_core::enforcement::Procedure::Ordinary => "enf-procedure-ordinary",
            }
            .to_owned(),
        ),
        ("enf-basis", c.basis.clone()),
        ("enf-fine", m(c.fine)),
        (
            "enf-range",
            c.range.map_or_else(
                || "—".to_owned(),
                |(a, b)| format!("{}–{}", a.normalize(), b.normalize()),
            ),
        ),
        (
            "enf-band",
            c.band
                .map_or_else(|| "—".to_owned(), |b| format!("enf-band-{}", b.name().en)),
        ),
        ("enf-major", if c.major { "yes" } else { "no" }.to_owned()),
        ("enf-extension", c.extension_days.to_string()),
        ("enf-surcharge", m(c.surcharge)),
        (
            "enf-reviewer",
            c.reviewer.clone().unwrap_or_else(|| "—".into()),
        ),
    ]
}

pub async fn show(page: Page, State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    let r = async {
        let d = crate::ops::enforcement::get(&state, &page.caller, id).await?;
        let facts = facts(&d);
        render(&CasePage {
            ctx: &page.ctx,
            d,
            facts,
        })
    }
    .await;
    page.finish(r)
}

/// The legal office's decision on a flag, from the case page.
pub async fn decide(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        page.check_csrf(first(&f, "_csrf"))?;
        let version = first(&f, "version").trim().parse().unwrap_or(0);
        let d = crate::ops::enforcement::decide(
            &state,
            &page.caller,
            id,
            Decision {
                state: first(&f, "state").to_owned(),
                reason: first(&f, "reason").to_owned(),
                version,
                rectify_by: Some(first(&f, "rectify_by").to_owned()).filter(|s| !s.is_empty()),
            },
        )
        .await?;
        Ok(see_other(&format!("/enforcement/cases/{}", d.id)))
    }
    .await;
    page.finish(r)
}

#[derive(Template)]
#[template(path = "enforcement_new.html")]
struct NewPage<'a> {
    ctx: &'a Ctx,
    /// (field, label, value) of every column.
    fields: Vec<(&'static str, &'static str, String)>,
    depts: Vec<(String, Text)>,
    problems: Vec<String>,
    reason: String,
}

async fn new_page(
    page: &Page,
    state: &AppState,
    values: &[(String, String)],
    problems: Vec<String>,
) -> Result<Response, Error> {
    crate::ops::enforcement::may_record(state, &page.caller).await?;
    let depts = crate::ops::rectifications::unit_choices(state).await;
    let fields = CASE_COLUMNS
        .iter()
        .filter(|(_, f)| *f != "dept")
        .map(|(zh, f)| (*f, *zh, first(values, f).to_owned()))
        .collect();
    render(&NewPage {
        ctx: &page.ctx,
        fields,
        depts,
        problems,
        reason: first(values, "reason").to_owned(),
    })
}

pub async fn new_form(page: Page, State(state): State<AppState>) -> Response {
    let dept = page.caller.principal.unit.clone().unwrap_or_default();
    let r = new_page(&page, &state, &[("dept".to_owned(), dept)], Vec::new()).await;
    page.finish(r)
}

/// One case from the form: read like a row of the file (problems named by field), then
/// recorded like any other.
pub async fn create(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        page.check_csrf(first(&f, "_csrf"))?;
        let cell = |k: &str| first(&f, k).trim().replace(['\r', '\n'], ";");
        let mut issues = Issues::new();
        let mut bad = |field: &str, zh: String, en: String| {
            issues.push(Issue::error(
                "invalid",
                "form",
                Location::Path { path: field.into() },
                Text::new(zh, en),
            ));
        };
        let case = crate::ops::enforcement::parse_row(&cell, &mut bad);
        let lang = page.lang();
        let outcome = match case {
            Some(c) if issues.errors().next().is_none() => {
                crate::ops::enforcement::record(
                    &state,
                    &page.caller,
                    std::slice::from_ref(&c),
                    &Places::Json("form"),
                    "form",
                    first(&f, "reason"),
                )
                .await?
            }
            _ => Err(issues),
        };
        match outcome {
            Ok(done) => Ok(see_other(&format!(
                "/enforcement/cases/{}",
                done.ids.first().copied().unwrap_or(0)
            ))),
            Err(i) => {
                let shown = i.iter().map(|x| x.render(lang)).collect();
                new_page(&page, &state, &f, shown).await
            }
        }
    }
    .await;
    page.finish(r)
}

#[derive(Template)]
#[template(path = "enforcement_rules.html")]
struct RulesPage<'a> {
    ctx: &'a Ctx,
    r: RulesInfo,
    done: bool,
}

pub async fn rules(page: Page, State(state): State<AppState>) -> Response {
    let r = async {
        let r = crate::ops::enforcement::rules(&state, &page.caller).await?;
        render(&RulesPage {
            ctx: &page.ctx,
            r,
            done: false,
        })
    }
    .await;
    page.finish(r)
}

/// A new rule file from the legal office: every case is checked again.
pub async fn set_rules(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        page.check_csrf(first(&f, "_csrf"))?;
        let r = crate::ops::enforcement::set_rules(
            &state,
            &page.caller,
            NewRules {
                toml: first(&f, "toml").replace("\r\n", "\n"),
                reason: first(&f, "reason").to_owned(),
            },
        )
        .await?;
        render(&RulesPage {
            ctx: &page.ctx,
            r,
            done: true,
        })
    }
    .await;
    page.finish(r)
}
