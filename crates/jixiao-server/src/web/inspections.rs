//! Cross-inspection rounds for the office and the inspection teams: the rounds with the form
//! that sets one up, and one round's teams and assignments with what the caller may do
//! (generate, score). See [`crate::ops::inspections`].

use super::{CsrfQuery, Ctx, Page, render, see_other};
use crate::error::Error;
use crate::http::upload::first;
use crate::ops::inspections::{Detail, Generate, ItemEntry, NewHazard, NewRound, Score};
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use jixiao_core::text::Text;
use jixiao_store::inspections::{ChecklistItem, RoundRow, TeamRow};

#[derive(Template)]
#[template(path = "inspections.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    rounds: Vec<RoundRow>,
    may_create: bool,
}

pub async fn list(page: Page, State(state): State<AppState>) -> Response {
    let r = async {
        let rounds = crate::ops::inspections::list(&state, &page.caller).await?;
        render(&ListPage {
            ctx: &page.ctx,
            rounds,
            may_create: crate::ops::inspections::may_manage(&state, &page.caller).await,
        })
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct NewForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub period: String,
    pub title: String,
    pub element: String,
    /// One team a line: code, name, home unit, members (separated by spaces).
    pub teams: String,
    /// One checklist item a line: code, name, points (optional).
    #[serde(default)]
    pub checklist: String,
    pub reason: String,
}

/// The lines of a text area split into their comma-separated cells (Chinese commas too).
fn lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split([',', '，']).map(|c| c.trim().to_owned()).collect())
        .collect()
}

pub async fn create(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<NewForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let cell = |cells: &[String], i: usize| cells.get(i).cloned().unwrap_or_default();
        let teams = lines(&f.teams)
            .iter()
            .map(|c| TeamRow {
                code: cell(c, 0),
                name: cell(c, 1),
                home: cell(c, 2),
                members: cell(c, 3).split_whitespace().map(str::to_owned).collect(),
            })
            .collect();
        let checklist = lines(&f.checklist)
            .iter()
            .map(|c| ChecklistItem {
                code: cell(c, 0),
                name: cell(c, 1),
                points: cell(c, 2),
            })
            .collect();
        let d = crate::ops::inspections::create(
            &state,
            &page.caller,
            &NewRound {
                period: f.period,
                title: f.title,
                element: f.element,
                units: Vec::new(),
                teams,
                checklist,
                rules: None,
                reason: f.reason,
            },
        )
        .await?;
        Ok(see_other(&format!("/inspections/{}", d.round.id)))
    }
    .await;
    page.finish(r)
}

#[derive(Template)]
#[template(path = "inspection.html")]
struct RoundPage<'a> {
    ctx: &'a Ctx,
    d: Detail,
    /// (unit, unit name, team, team name, home name, source, score, note, item scores)
    rows: Vec<([String; 8], Vec<String>)>,
    /// Each broken rule in words.
    problems: Vec<String>,
    /// The units the caller may score (code, name).
    to_score: Vec<(String, String)>,
    /// (id, unit name, location, category, severity, description, deadline, task state, task
    /// id, overdue, photos)
    hazards: Vec<HazardView>,
    categories: Vec<(String, String)>,
    /// The default deadline of a hazard (in 30 days).
    deadline: String,
    done: Option<String>,
    printed: String,
}

/// A hazard as shown.
struct HazardView {
    id: i64,
    unit: String,
    location: String,
    category: String,
    severity: String,
    major: bool,
    description: String,
    deadline: String,
    state: String,
    task: i64,
    overdue: bool,
    photos: Vec<(String, String)>,
    /// Whether the caller may add a photo.
    may_photo: bool,
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    pub done: Option<String>,
    /// `xlsx` or `pdf`: the round's report.
    pub format: Option<String>,
}

pub async fn show(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let r = async {
        let d = crate::ops::inspections::get(&state, &page.caller, id).await?;
        let l = page.ctx.l;
        let names = crate::ops::inspections::unit_names(&state).await;
        let name = |c: &str| {
            names
                .get(c)
                .map_or_else(|| c.to_owned(), |t| l.plain(t).to_owned())
        };
        let team_of = |code: &str| d.teams.iter().find(|t| t.code == code);
        let item_score = |unit: &str, item: &str| {
            d.item_scores
                .iter()
                .find(|s| s.unit == unit && s.item == item)
                .map_or_else(|| "—".to_owned(), |s| s.score.clone())
        };
        let rows: Vec<([String; 8], Vec<String>)> = d
            .assignments
            .iter()
            .map(|a| {
                let t = team_of(&a.team);
                (
                    [
                        a.unit.clone(),
                        name(&a.unit),
                        a.team.clone(),
                        t.map(|t| t.name.clone()).unwrap_or_default(),
                        t.map(|t| name(&t.home)).unwrap_or_default(),
                        l.t(&format!("insp-source-{}", a.source)),
                        a.score.clone().unwrap_or_else(|| "—".into()),
                        a.note.clone(),
                    ],
                    d.checklist
                        .iter()
                        .map(|c| item_score(&a.unit, &c.code))
                        .collect(),
                )
            })
            .collect();
        let me = &page.caller.actor.name;
        let office = crate::ops::inspections::may_manage(&state, &page.caller).await;
        let mine = |team: &str| office || team_of(team).is_some_and(|t| t.members.contains(me));
        let to_score = d
            .assignments
            .iter()
            .filter(|a| d.allowed.iter().any(|x| x == "score") && mine(&a.team))
            .map(|a| (a.unit.clone(), name(&a.unit)))
            .collect();
        let state_names = |s: &str| {
            l.plain(&crate::ops::rectifications::state_name(s))
                .to_owned()
        };
        let hazards: Vec<HazardView> = d
            .hazards
            .iter()
            .map(|h| HazardView {
                id: h.hazard.id,
                unit: name(&h.hazard.unit),
                location: h.hazard.location.clone(),
                category: l
                    .plain(&crate::ops::inspections::category_name(&h.hazard.category))
                    .to_owned(),
                severity: l
                    .plain(&crate::ops::inspections::severity_name(&h.hazard.severity))
                    .to_owned(),
                major: h.hazard.severity == "major",
                description: h.hazard.description.clone(),
                deadline: h.hazard.deadline.clone(),
                state: state_names(&h.task_state),
                task: h.hazard.task_id,
                overdue: h.overdue,
                photos: h.photos.clone(),
                may_photo: mine(&h.hazard.team),
            })
            .collect();
        match q.format.as_deref().unwrap_or("html") {
            "xlsx" => {
                let mut head: Vec<String> = ["insp-unit", "insp-team", "insp-home"]
                    .iter()
                    .map(|k| l.t(k))
                    .collect();
                head.extend(
                    d.checklist
                        .iter()
                        .map(|c| format!("{}（{}）", c.name, c.points)),
                );
                head.extend(["insp-score", "col-note"].iter().map(|k| l.t(k)));
                let num = |s: &str| {
                    s.parse::<jixiao_core::Decimal>()
                        .map_or_else(|_| Cell::Text(String::new()), Cell::Num)
                };
                let scores = rows
                    .iter()
                    .map(|(r, items)| {
                        let mut row = vec![
                            Cell::from(r[1].clone()),
                            Cell::from(r[3].clone()),
                            Cell::from(r[4].clone()),
                        ];
                        row.extend(items.iter().map(|s| num(s)));
                        row.push(num(&r[6]));
                        row.push(Cell::from(r[7].clone()));
                        row
                    })
                    .collect();
                let hazard_head = [
                    "insp-unit",
                    "insp-h-location",
                    "insp-h-category",
                    "insp-h-severity",
                    "insp-h-description",
                    "insp-h-deadline",
                    "insp-h-state",
                ]
                .iter()
                .map(|k| l.t(k))
                .collect();
                let hazard_rows = hazards
                    .iter()
                    .map(|h| {
                        vec![
                            Cell::from(h.unit.clone()),
                            h.location.clone().into(),
                            h.category.clone().into(),
                            h.severity.clone().into(),
                            h.description.clone().into(),
                            Cell::Time(h.deadline.clone()),
                            if h.overdue {
                                Cell::Bad(format!("{}（{}）", h.state, l.t("insp-h-overdue")))
                            } else {
                                Cell::from(h.state.clone())
                            },
                        ]
                    })
                    .collect();
                crate::http::download::xlsx(
                    &format!("inspection-{id}"),
                    &[
                        Sheet::new(l.t("insp-assignments"), head, scores),
                        Sheet::new(l.t("insp-hazards"), hazard_head, hazard_rows),
                    ],
                )
            }
            format @ ("pdf" | "html") => {
                let problems = d
                    .problems
                    .iter()
                    .map(|p| {
                        format!(
                            "{}{}{}",
                            l.plain(&p.rule.name()),
                            l.t("colon"),
                            l.plain(&p.message)
                        )
                    })
                    .collect();
                let view = RoundPage {
                    ctx: &page.ctx,
                    rows,
                    problems,
                    to_score,
                    hazards,
                    categories: crate::ops::inspections::HAZARD_CATEGORIES
                        .iter()
                        .map(|c| (c.0.to_owned(), l.plain(&Text::new(c.1, c.2)).to_owned()))
                        .collect(),
                    deadline: crate::ops::warnings::day_after(time::OffsetDateTime::now_utc(), 30),
                    done: q.done,
                    printed: l.now(),
                    d,
                };
                if format == "pdf" {
                    let html = view.render().map_err(|e| Error::internal(&e))?;
                    let bytes = crate::pdf::print(&state.config.chromium, &html).await?;
                    Ok(crate::http::download::pdf(
                        bytes,
                        &format!("inspection-{id}.pdf"),
                        &format!("inspection-{id}"),
                    ))
                } else {
                    render(&view)
                }
            }
            other => Err(Error::bad_request(
                "bad_format",
                Text::new(
                    format!("不支持的格式“{other}”：用 xlsx 或 pdf"),
                    format!("unsupported format `{other}`: use xlsx or pdf"),
                ),
            )),
        }
    }
    .await;
    page.finish(r)
}

pub async fn act(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        page.check_csrf(first(&f, "_csrf"))?;
        let action = first(&f, "action");
        let text = |k: &str| first(&f, k).to_owned();
        match action {
            "generate" => {
                let seed = match first(&f, "seed").trim() {
                    "" => None,
                    t => Some(t.parse::<i64>().map_err(|_| {
                        Error::bad_request(
                            "bad_seed",
                            Text::new(
                                format!("seed：“{t}”不是整数"),
                                format!("seed: `{t}` is not a whole number"),
                            ),
                        )
                    })?),
                };
                let version = first(&f, "version").trim().parse().unwrap_or_default();
                crate::ops::inspections::generate(
                    &state,
                    &page.caller,
                    id,
                    &Generate {
                        seed,
                        version,
                        reason: text("reason"),
                    },
                )
                .await?;
            }
            "score" => {
                let items = f
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix("item:").map(|item| ItemEntry {
                            item: item.to_owned(),
                            score: v.clone(),
                        })
                    })
                    .collect();
                crate::ops::inspections::score(
                    &state,
                    &page.caller,
                    id,
                    &Score {
                        unit: text("unit"),
                        score: text("score"),
                        items,
                        note: text("note"),
                    },
                )
                .await?;
            }
            other => {
                return Err(Error::bad_request(
                    "bad_action",
                    Text::new(
                        format!(
                            "不支持的操作“{other}”：应为 generate（生成安排）或 score（录入得分）"
                        ),
                        format!("unsupported action `{other}`: generate or score"),
                    ),
                ));
            }
        }
        Ok(see_other(&format!("/inspections/{id}?done={action}")))
    }
    .await;
    page.finish(r)
}

/// The hazard form (multipart: the fields and an optional photo in `file`). The token travels
/// in the query because the body is a multipart form. The hazard is recorded first; a photo
/// that is refused (type, size) is said after it, the hazard kept.
pub async fn hazard(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let upload = crate::http::upload::evidence(&state, form).await?;
        let text = |k: &str| upload.field(k).to_owned();
        let h = crate::ops::inspections::hazard(
            &state,
            &page.caller,
            id,
            &NewHazard {
                unit: text("unit"),
                location: text("location"),
                category: text("category"),
                severity: text("severity"),
                description: text("description"),
                measures: text("measures"),
                deadline: text("deadline"),
            },
        )
        .await?;
        if upload.file.as_ref().is_some_and(|f| !f.bytes.is_empty()) {
            crate::ops::evidence::attach_to_hazard(
                &state,
                &page.caller,
                h.hazard.id,
                upload.incoming(),
            )
            .await?;
        }
        Ok(see_other(&format!("/inspections/{id}?done=hazard")))
    }
    .await;
    page.finish(r)
}

/// Adds a photo to a hazard (multipart `file`).
pub async fn photo(
    page: Page,
    State(state): State<AppState>,
    Path((id, hazard)): Path<(i64, i64)>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let upload = crate::http::upload::evidence(&state, form).await?;
        crate::ops::evidence::attach_to_hazard(&state, &page.caller, hazard, upload.incoming())
            .await?;
        Ok(see_other(&format!("/inspections/{id}?done=photo")))
    }
    .await;
    page.finish(r)
}
