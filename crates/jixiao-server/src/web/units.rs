//! The organisation page: every unit with its level, parent, class and standing, its dated
//! history, and — for the office — the dated changes (change, merge, split, close) and an
//! organisation-file import. Each form says the day the change holds from; periods that ended
//! before it keep the organisation as it was. See [`crate::ops::units`].

use super::{Ctx, Page, render};
use crate::error::{Error, Kind, Result};
use crate::ops::units::{CloseBody, ImportBody, SplitBody, UnitView, UpdateBody};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use jixiao_core::access::Action;
use jixiao_core::org::{Classes, Unit};
use jixiao_core::text::Text;

/// A unit as the page lists it.
pub struct Row {
    pub code: String,
    pub name: Text,
    pub level: Text,
    pub parent: String,
    pub classes: String,
    /// The day it closes from, with what became of it.
    pub standing: Option<Text>,
    pub version: i64,
    pub history: Vec<HistoryRow>,
}

pub struct HistoryRow {
    pub from: String,
    pub change: Text,
    pub name: Text,
    pub parent: String,
    pub classes: String,
    pub successors: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage<'a> {
    ctx: &'a Ctx,
    units: Vec<Row>,
    /// Open units (code, name) for the parent and successor choices.
    standing: Vec<(String, Text)>,
    manage: bool,
    today: String,
    /// A change that was refused: (the unit or "import", the problem's lines).
    refused: Option<(String, Vec<Text>)>,
    /// A change that went through: (unit, message).
    done: Option<Text>,
}

fn unit_of(v: &serde_json::Value) -> Option<Unit> {
    serde_json::from_value(v.clone()).ok()
}

fn classes_text(c: &Classes) -> String {
    c.0.iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(v: &UnitView) -> Option<Row> {
    let u = unit_of(&v.unit)?;
    let last = v.versions.last();
    let standing = last.filter(|l| l.closed).map(|l| {
        let to = l.successors.join("、");
        match l.change.as_str() {
            "merge" => Text::new(
                format!("自 {} 起并入 {to}", l.from),
                format!("merged into {to} from {}", l.from),
            ),
            "split" => Text::new(
                format!("自 {} 起拆分为 {to}", l.from),
                format!("split into {to} from {}", l.from),
            ),
            _ => Text::new(
                format!("自 {} 起撤销", l.from),
                format!("closed from {}", l.from),
            ),
        }
    });
    let history = v
        .versions
        .iter()
        .rev()
        .filter_map(|x| {
            let d = unit_of(&x.unit)?;
            Some(HistoryRow {
                from: if x.from == jixiao_core::org::BEGINNING {
                    String::new()
                } else {
                    x.from.clone()
                },
                change: x.change_name.clone(),
                name: d.name,
                parent: d.parent.map(|p| p.to_string()).unwrap_or_default(),
                classes: classes_text(&d.class),
                successors: x.successors.join(", "),
                reason: x.reason.clone(),
            })
        })
        .collect();
    Some(Row {
        code: u.code.to_string(),
        level: u.level.name(),
        parent: u.parent.map(|p| p.to_string()).unwrap_or_default(),
        classes: classes_text(&u.class),
        name: u.name,
        standing,
        version: v.version,
        history,
    })
}

/// The problem's lines: its message, then each issue with its place.
fn lines(e: &Error) -> Vec<Text> {
    let mut out = vec![e.message.clone()];
    if let Some(serde_json::Value::Array(issues)) = e.extensions.get("issues") {
        for i in issues {
            if i["severity"] != "error" {
                continue;
            }
            let at = i["location"]["path"].as_str().unwrap_or("");
            out.push(Text::new(
                format!("{at}：{}", i["message"]["zh"].as_str().unwrap_or("")),
                format!("{at}: {}", i["message"]["en"].as_str().unwrap_or("")),
            ));
        }
    }
    out
}

async fn render_page(
    page: &Page,
    state: &AppState,
    refused: Option<(String, Vec<Text>)>,
    done: Option<Text>,
) -> Result<Response> {
    let views = crate::ops::units::list(state, &page.caller).await?;
    let manage = crate::ops::allow(state, &page.caller, Action::ManageUnits)
        .await
        .is_ok();
    let units: Vec<Row> = views.iter().filter_map(row).collect();
    let standing = units
        .iter()
        .filter(|r| r.standing.is_none())
        .map(|r| (r.code.clone(), r.name.clone()))
        .collect();
    render(&UnitsPage {
        ctx: &page.ctx,
        units,
        standing,
        manage,
        today: crate::ops::units::today(),
        refused,
        done,
    })
}

pub async fn units(page: Page, State(state): State<AppState>) -> Response {
    let r = async {
        page.require_signed_in()?;
        render_page(&page, &state, None, None).await
    }
    .await;
    page.finish(r)
}

/// Runs a change posted from the page: done → the page with a notice; a problem the office can
/// fix → the page again with it (nothing changed); anything else → the error page.
async fn after(page: &Page, state: &AppState, what: &str, r: Result<Text>) -> Result<Response> {
    match r {
        Ok(done) => render_page(page, state, None, Some(done)).await,
        Err(e)
            if matches!(
                e.kind,
                Kind::BadRequest | Kind::Conflict | Kind::Invalid | Kind::NotFound
            ) =>
        {
            render_page(page, state, Some((what.to_owned(), lines(&e))), None).await
        }
        Err(e) => Err(e),
    }
}

fn effective(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[derive(serde::Deserialize)]
pub struct ChangeForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub version: i64,
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub classes: String,
    #[serde(default)]
    pub effective: String,
    #[serde(default)]
    pub reason: String,
}

/// Rename, move or re-class a unit from a day on (its coefficients and targets stay).
pub async fn change(
    page: Page,
    State(state): State<AppState>,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<ChangeForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let current = crate::ops::units::get(&state, &page.caller, &code).await?;
        let mut unit = unit_of(&current.unit).ok_or_else(|| Error::not_found("单位", "unit"))?;
        let outcome = async {
            unit.name = Text::new(f.name_zh.trim(), f.name_en.trim());
            unit.parent = match f.parent.trim() {
                "" => None,
                p => Some(jixiao_core::code::Code::parse(p).map_err(|_| {
                    Error::bad_request(
                        "bad_code",
                        Text::new(
                            format!("上级单位“{p}”无效"),
                            format!("parent `{p}` is not valid"),
                        ),
                    )
                })?),
            };
            let classes: Vec<String> = f
                .classes
                .split([',', '，', ' '])
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            unit.class = serde_json::from_value(serde_json::json!(classes)).map_err(|e| {
                Error::bad_request(
                    "bad_class",
                    Text::new(format!("类别：{e}"), format!("class: {e}")),
                )
            })?;
            crate::ops::units::update(
                &state,
                &page.caller,
                &code,
                UpdateBody {
                    unit,
                    version: f.version,
                    reason: f.reason.clone(),
                    effective: effective(&f.effective),
                },
            )
            .await
            .map(|v| saved(&code, &v))
        }
        .await;
        after(&page, &state, &code, outcome).await
    }
    .await;
    page.finish(r)
}

fn saved(code: &str, v: &UnitView) -> Text {
    let from = v
        .versions
        .last()
        .map(|x| x.from.clone())
        .unwrap_or_default();
    Text::new(
        format!("已保存“{code}”的调整，自 {from} 起生效"),
        format!("saved the change of `{code}`, holding from {from}"),
    )
}

#[derive(serde::Deserialize)]
pub struct CloseForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub version: i64,
    /// The successor; empty to close it without one.
    #[serde(default)]
    pub merged_into: String,
    #[serde(default)]
    pub effective: String,
    #[serde(default)]
    pub reason: String,
}

/// Merge a unit into another, or close it, from a day on.
pub async fn close(
    page: Page,
    State(state): State<AppState>,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<CloseForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let outcome = crate::ops::units::close(
            &state,
            &page.caller,
            &code,
            CloseBody {
                version: f.version,
                reason: f.reason.clone(),
                merged_into: effective(&f.merged_into),
                effective: effective(&f.effective),
            },
        )
        .await
        .map(|v| saved(&code, &v));
        after(&page, &state, &code, outcome).await
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct SplitForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub version: i64,
    #[serde(default)]
    pub code_1: String,
    #[serde(default)]
    pub name_1: String,
    #[serde(default)]
    pub code_2: String,
    #[serde(default)]
    pub name_2: String,
    #[serde(default)]
    pub code_3: String,
    #[serde(default)]
    pub name_3: String,
    #[serde(default)]
    pub effective: String,
    #[serde(default)]
    pub reason: String,
}

/// Split a unit into up to three new units from a day on; each new unit takes the old one's
/// level, parent, class and coefficients (change them afterwards if they differ).
pub async fn split(
    page: Page,
    State(state): State<AppState>,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<SplitForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let current = crate::ops::units::get(&state, &page.caller, &code).await?;
        let old = unit_of(&current.unit).ok_or_else(|| Error::not_found("单位", "unit"))?;
        let outcome = async {
            let mut into = Vec::new();
            for (i, (c, n)) in [
                (&f.code_1, &f.name_1),
                (&f.code_2, &f.name_2),
                (&f.code_3, &f.name_3),
            ]
            .into_iter()
            .enumerate()
            {
                let (c, n) = (c.trim(), n.trim());
                if c.is_empty() && n.is_empty() {
                    continue;
                }
                let code = jixiao_core::code::Code::parse(c).map_err(|_| {
                    Error::bad_request(
                        "bad_code",
                        Text::new(
                            format!("第{}个新单位：代码“{c}”无效", i + 1),
                            format!("new unit {}: code `{c}` is not valid", i + 1),
                        ),
                    )
                })?;
                let mut u = old.clone();
                u.code = code;
                u.name = Text::new(if n.is_empty() { c } else { n }, "");
                into.push(u);
            }
            crate::ops::units::split(
                &state,
                &page.caller,
                &code,
                SplitBody {
                    version: f.version,
                    reason: f.reason.clone(),
                    effective: effective(&f.effective),
                    into,
                },
            )
            .await
            .map(|v| saved(&code, &v))
        }
        .await;
        after(&page, &state, &code, outcome).await
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct ImportForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub content: String,
    #[serde(default)]
    pub effective: String,
    #[serde(default)]
    pub reason: String,
}

/// Import an organisation file (TOML) from the page.
pub async fn import(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<ImportForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let outcome = crate::ops::units::import(
            &state,
            &page.caller,
            ImportBody {
                content: f.content.clone(),
                format: None,
                reason: f.reason.clone(),
                effective: effective(&f.effective),
            },
        )
        .await
        .map(|r| {
            Text::new(
                format!(
                    "已导入：新增 {} 个、调整 {} 个、未变 {} 个单位（调整自 {} 起生效）",
                    r.added, r.updated, r.unchanged, r.effective
                ),
                format!(
                    "imported: {} added, {} changed, {} unchanged (changes hold from {})",
                    r.added, r.updated, r.unchanged, r.effective
                ),
            )
        });
        after(&page, &state, "import", outcome).await
    }
    .await;
    page.finish(r)
}
