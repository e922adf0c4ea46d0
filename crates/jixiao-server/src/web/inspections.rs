//! Cross-inspection rounds for the office and the inspection teams: the rounds with the form
//! that sets one up, and one round's teams and assignments with what the caller may do
//! (generate, score). See [`crate::ops::inspections`].

use super::{Ctx, Page, render, see_other};
use crate::ops::inspections::{Detail, Generate, NewRound, Score};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use jixiao_store::inspections::{RoundRow, TeamRow};

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
    pub reason: String,
}

pub async fn create(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<NewForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let teams = f
            .teams
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let cells: Vec<&str> = l.split([',', '，']).map(str::trim).collect();
                let cell = |i: usize| cells.get(i).copied().unwrap_or("").to_owned();
                TeamRow {
                    code: cell(0),
                    name: cell(1),
                    home: cell(2),
                    members: cell(3).split_whitespace().map(str::to_owned).collect(),
                }
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
    /// (unit, unit name, team, team name, home name, source, score, note)
    rows: Vec<[String; 8]>,
    /// Each broken rule in words.
    problems: Vec<String>,
    /// The units the caller may score (code, name).
    to_score: Vec<(String, String)>,
    done: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn show(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
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
        let rows = d
            .assignments
            .iter()
            .map(|a| {
                let t = team_of(&a.team);
                [
                    a.unit.clone(),
                    name(&a.unit),
                    a.team.clone(),
                    t.map(|t| t.name.clone()).unwrap_or_default(),
                    t.map(|t| name(&t.home)).unwrap_or_default(),
                    l.t(&format!("insp-source-{}", a.source)),
                    a.score.clone().unwrap_or_else(|| "—".into()),
                    a.note.clone(),
                ]
            })
            .collect();
        let me = &page.caller.actor.name;
        let office = d.allowed.iter().any(|x| x == "generate");
        let to_score = d
            .assignments
            .iter()
            .filter(|a| {
                d.allowed.iter().any(|x| x == "score")
                    && (office || team_of(&a.team).is_some_and(|t| t.members.contains(me)))
            })
            .map(|a| (a.unit.clone(), name(&a.unit)))
            .collect();
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
        render(&RoundPage {
            ctx: &page.ctx,
            rows,
            problems,
            to_score,
            done: q.done,
            d,
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
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub seed: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub score: String,
    #[serde(default)]
    pub note: String,
}

pub async fn act(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ActForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        match f.action.as_str() {
            "generate" => {
                let seed = match f.seed.trim() {
                    "" => None,
                    t => Some(t.parse::<i64>().map_err(|_| {
                        crate::error::Error::bad_request(
                            "bad_seed",
                            jixiao_core::text::Text::new(
                                format!("seed：“{t}”不是整数"),
                                format!("seed: `{t}` is not a whole number"),
                            ),
                        )
                    })?),
                };
                crate::ops::inspections::generate(
                    &state,
                    &page.caller,
                    id,
                    &Generate {
                        seed,
                        version: f.version,
                        reason: f.reason,
                    },
                )
                .await?;
            }
            "score" => {
                crate::ops::inspections::score(
                    &state,
                    &page.caller,
                    id,
                    &Score {
                        unit: f.unit,
                        score: f.score,
                        note: f.note,
                    },
                )
                .await?;
            }
            other => {
                return Err(crate::error::Error::bad_request(
                    "bad_action",
                    jixiao_core::text::Text::new(
                        format!(
                            "不支持的操作“{other}”：应为 generate（生成安排）或 score（录入得分）"
                        ),
                        format!("unsupported action `{other}`: generate or score"),
                    ),
                ));
            }
        }
        Ok(see_other(&format!("/inspections/{id}?done={}", f.action)))
    }
    .await;
    page.finish(r)
}
