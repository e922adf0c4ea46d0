//! The DHIS2 mapping table for the office: see it, download it as a workbook, and replace it by
//! uploading one (CSV or Excel, columns kind / DHIS2 identifier / jixiao code) with a reason.
//! The table and its checks are [`crate::ops::dhis2`]'s: a table with any problem changes
//! nothing and each problem is shown with its row.

use super::{CsrfQuery, Ctx, Page, render};
use crate::error::Result;
use crate::ops::dhis2::Replaced;
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet};
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::Response;
use jixiao_core::text::Text;
use jixiao_store::dhis2::MapRow;

#[derive(Template)]
#[template(path = "dhis2.html")]
struct Dhis2Page<'a> {
    ctx: &'a Ctx,
    rows: Vec<MapRow>,
    /// After an upload: what happened.
    done: Option<usize>,
    problems: Vec<(String, Text)>,
}

#[derive(serde::Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "data_element" => "dhis2-kind-element",
        "org_unit" => "dhis2-kind-unit",
        _ => "dhis2-kind-period",
    }
}

async fn page_of(
    page: &Page,
    state: &AppState,
    done: Option<usize>,
    problems: Vec<(String, Text)>,
) -> Result<Response> {
    let rows = crate::ops::dhis2::mappings(state, &page.caller).await?;
    render(&Dhis2Page {
        ctx: &page.ctx,
        rows,
        done,
        problems,
    })
}

pub async fn form(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<FormatQuery>,
) -> Response {
    let r = async {
        if super::wanted_xlsx(&q.format) {
            let rows = crate::ops::dhis2::mappings(&state, &page.caller).await?;
            return crate::http::download::xlsx(
                "dhis2-mappings",
                &[Sheet::new(
                    "DHIS2",
                    vec!["kind".into(), "dhis2".into(), "jixiao".into()],
                    rows.into_iter()
                        .map(|m| vec![Cell::from(m.kind), m.dhis2.into(), m.jixiao.into()])
                        .collect(),
                )],
            );
        }
        page_of(&page, &state, None, Vec::new()).await
    }
    .await;
    page.finish(r)
}

pub async fn upload(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let (name, bytes, picked) = super::imports::fields(form).await?;
        let reason = super::field(&picked, "reason");
        match crate::ops::dhis2::replace_from_file(&state, &page.caller, &name, &bytes, reason)
            .await?
        {
            Replaced::Done(n) => page_of(&page, &state, Some(n), Vec::new()).await,
            Replaced::Refused(problems) => page_of(&page, &state, None, problems).await,
        }
    }
    .await;
    page.finish(r)
}

/// The label of a mapping kind (templates).
pub fn kind_label(ctx: &Ctx, kind: &str) -> String {
    ctx.l.t(kind_key(kind))
}
