//! The office's view of the machine feeds: what each feed sends, which data elements it
//! fills, and its health (events accepted, replayed and turned away, the last event, recent
//! problems with their field paths); and defining a feed. See [`crate::ops::feeds`].

use super::{Ctx, Page, render};
use crate::error::{Error, Result};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use jixiao_core::feed::{FeedDef, FieldType};
use jixiao_core::text::Text;
use jixiao_store::feeds::{Health, Rejection};

/// A field as shown: code, name, type, required, limits.
pub struct FieldView {
    pub code: String,
    pub name: Option<Text>,
    pub kind: &'static str,
    pub required: bool,
    pub limits: String,
}

pub struct FeedView {
    pub code: String,
    pub name: Text,
    pub description: Option<Text>,
    pub elements: Vec<String>,
    pub health: Health,
    pub error_rate: Option<String>,
    pub problems: Vec<Text>,
    pub fields: Vec<FieldView>,
    pub rejections: Vec<(Rejection, Text)>,
    pub endpoint: String,
    /// District-local times of the newest event and the last post.
    pub last_event: Option<String>,
    pub last_post: Option<String>,
    /// The definition as TOML, for the edit form.
    pub toml: String,
}

/// A stored time in district time, to the minute (templates).
pub fn local(t: &str) -> String {
    jixiao_core::feed::local_minute(t)
}

#[derive(Template)]
#[template(path = "feeds.html")]
struct FeedsPage<'a> {
    ctx: &'a Ctx,
    feeds: Vec<FeedView>,
    /// Whether the caller may define feeds.
    manage: bool,
    /// A definition that was refused: (code, text as sent, the problem).
    refused: Option<(String, String, Text)>,
}

/// A feed's definition as posted from the page: TOML, as in `feeds.toml`.
#[derive(serde::Deserialize)]
pub struct DefineForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub code: String,
    pub definition: String,
    #[serde(default)]
    pub reason: String,
}

/// Creates or changes a feed from its TOML text; a text that does not read, or a definition
/// that does not hold, is shown again with the problem (line and column when TOML says so),
/// and nothing changes.
pub async fn define(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<DefineForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let code = f.code.trim().to_owned();
        match crate::ops::feeds::define_toml(&state, &page.caller, &code, &f.definition, &f.reason)
            .await
        {
            Ok(_) => Ok(super::see_other(&format!(
                "/feeds#feed-{}",
                super::urlencode(&code)
            ))),
            Err(e) if matches!(e.code, "invalid_feed" | "bad_code" | "reason_required") => {
                render_page(&page, &state, Some((code, f.definition.clone(), e.message))).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    page.finish(r)
}

fn kind_key(k: FieldType) -> &'static str {
    match k {
        FieldType::String => "feeds-type-string",
        FieldType::Number => "feeds-type-number",
        FieldType::Integer => "feeds-type-integer",
        FieldType::Boolean => "feeds-type-boolean",
        FieldType::Datetime => "feeds-type-datetime",
        FieldType::Date => "feeds-type-date",
    }
}

pub async fn feeds(page: Page, State(state): State<AppState>) -> Response {
    let r = render_page(&page, &state, None).await;
    page.finish(r)
}

async fn render_page(
    page: &Page,
    state: &AppState,
    refused: Option<(String, String, Text)>,
) -> Result<Response> {
    let (list, manage) = crate::ops::feeds::overview(state, &page.caller, 20).await?;
    let mut feeds = Vec::new();
    for detail in list {
        let info = detail.info;
        let def: FeedDef =
            serde_json::from_value(info.definition.clone()).map_err(|e| Error::internal(&e))?;
        let fields = def
            .fields
            .iter()
            .map(|(code, f)| {
                let mut limits = Vec::new();
                if let Some(m) = f.min {
                    limits.push(format!("≥ {m}"));
                }
                if let Some(m) = f.max {
                    limits.push(format!("≤ {m}"));
                }
                if !f.values.is_empty() {
                    limits.push(f.values.join(" / "));
                }
                FieldView {
                    code: code.to_string(),
                    name: f.name.clone(),
                    kind: kind_key(f.kind),
                    required: f.required,
                    limits: limits.join(" "),
                }
            })
            .collect();
        let rejections = detail
            .rejections
            .into_iter()
            .map(|r| {
                let t = Text::new(r.message_zh.clone(), r.message_en.clone());
                (r, t)
            })
            .collect();
        feeds.push(FeedView {
            endpoint: format!("/api/v1/feeds/{}/events", info.code),
            toml: def.to_toml(),
            last_event: info.health.last_event_at.as_deref().map(local),
            last_post: info.health.last_received_at.as_deref().map(local),
            code: info.code,
            name: def.name.clone(),
            description: def.description.clone(),
            elements: info.elements,
            health: info.health,
            error_rate: info.error_rate,
            problems: info
                .problems
                .into_iter()
                .map(|p| Text::new(p.zh, p.en))
                .collect(),
            fields,
            rejections,
        });
    }
    render(&FeedsPage {
        ctx: &page.ctx,
        feeds,
        manage,
        refused,
    })
}
