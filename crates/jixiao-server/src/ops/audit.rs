//! The audit log: filtered reading and the chain check.

use crate::error::Result;
use crate::ops::{Caller, List, allow};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::text::{Lang, Text};
use jixiao_store::audit::{Entry, Filter, Verification};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Who (a username, `apikey:<name>`).
    pub actor: Option<String>,
    /// What (`value.submit`, `scheme.publish`, …).
    pub action: Option<String>,
    /// On what kind of thing (`value`, `unit`, `scheme`, …).
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Entities whose id contains this text (ignoring case, on both databases): a unit code, an
    /// element, a period.
    pub contains: Option<String>,
}

/// A page of the entries that match.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    q: &AuditQuery,
    page: jixiao_store::Page,
) -> Result<List<Entry>> {
    allow(state, caller, Action::ReadAudit).await?;
    let f = Filter {
        actor: q.actor.clone().unwrap_or_default(),
        action: q.action.clone().unwrap_or_default(),
        entity: q.entity.clone().unwrap_or_default(),
        entity_id: q.entity_id.clone().unwrap_or_default(),
        contains: q.contains.clone().unwrap_or_default(),
    };
    let (total, items) = jixiao_store::audit::list(&state.store, &f, page).await?;
    Ok(List::new(total, page, items))
}

/// Recomputes the hash chain and names the first altered, removed or reordered entry.
pub async fn verify(state: &AppState, caller: &Caller) -> Result<Verification> {
    allow(state, caller, Action::ReadAudit).await?;
    Ok(jixiao_store::audit::verify(&state.store).await?)
}

/// What the viewer's filters offer: every actor, action and kind of thing in the log.
pub struct Choices {
    pub actors: Vec<String>,
    pub actions: Vec<String>,
    pub entities: Vec<String>,
}

pub async fn choices(state: &AppState, caller: &Caller) -> Result<Choices> {
    allow(state, caller, Action::ReadAudit).await?;
    use jixiao_store::audit::{Column, distinct};
    Ok(Choices {
        actors: distinct(&state.store, Column::Actor).await?,
        actions: distinct(&state.store, Column::Action).await?,
        entities: distinct(&state.store, Column::Entity).await?,
    })
}

/// The names behind the codes an audit entry carries: units, elements, schemes and people.
#[derive(Default)]
pub struct Names {
    pub units: HashMap<String, Text>,
    pub elements: HashMap<String, Text>,
    pub schemes: HashMap<String, Text>,
    /// User name → the person's name.
    pub people: HashMap<String, String>,
}

pub async fn names(state: &AppState, caller: &Caller) -> Result<Names> {
    allow(state, caller, Action::ReadAudit).await?;
    let people = jixiao_store::users::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| !u.display_name.is_empty())
        .map(|u| (u.username, u.display_name))
        .collect();
    let live = state.live.read().await;
    let units = live.unit_names();
    let mut elements = HashMap::new();
    let mut schemes = HashMap::new();
    for s in live.schemes.values() {
        schemes.insert(s.row.code.clone(), s.model.scheme.title.clone());
        for e in &s.model.elements {
            elements
                .entry(e.code.to_string())
                .or_insert_with(|| e.def.name.clone());
        }
    }
    Ok(Names {
        units,
        elements,
        schemes,
        people,
    })
}

impl Names {
    fn of<'a>(map: &'a HashMap<String, Text>, code: &'a str, lang: Lang) -> &'a str {
        map.get(code).map_or(code, |t| t.get(lang))
    }

    /// A person by name (the user name when unknown; API keys as they are; the server's own
    /// work as 系统).
    pub fn person<'a>(&'a self, actor: &'a str, lang: Lang) -> &'a str {
        match self.people.get(actor) {
            Some(n) => n,
            None if actor == "system" && lang == Lang::Zh => "系统",
            None => actor,
        }
    }

    /// What an entry is about, in words: `QLY/mediation_cases/2025Q4` → "七里园街道 ·
    /// 行政调解受理件数 · 2025Q4"; `wolong-2025@3` → "…考核方案 · 第3版". Ids of other
    /// shapes as they are.
    pub fn target(&self, entity: &str, id: &str, lang: Lang) -> String {
        let en = lang == Lang::En;
        match entity {
            "value" => {
                let parts: Vec<&str> = id.splitn(3, '/').collect();
                match parts.as_slice() {
                    [u, e, p] => format!(
                        "{} · {} · {p}",
                        Self::of(&self.units, u, lang),
                        Self::of(&self.elements, e, lang)
                    ),
                    _ => id.to_owned(),
                }
            }
            "unit" | "district" => Self::of(&self.units, id, lang).to_owned(),
            "user" => self.person(id, lang).to_owned(),
            "period" | "adjustment" => match id.split_once('/') {
                Some((s, p)) => format!("{} · {p}", Self::of(&self.schemes, s, lang)),
                None => id.to_owned(),
            },
            "scheme" => match id.split_once('@') {
                Some((s, v)) if en => format!("{} · version {v}", Self::of(&self.schemes, s, lang)),
                Some((s, v)) => format!("{} · 第{v}版", Self::of(&self.schemes, s, lang)),
                None => Self::of(&self.schemes, id, lang).to_owned(),
            },
            "publication" => match id
                .split_once('/')
                .and_then(|(s, r)| r.split_once('#').map(|(p, n)| (s, p, n)))
            {
                Some((s, p, n)) if en => {
                    format!("{} · {p} · revision {n}", Self::of(&self.schemes, s, lang))
                }
                Some((s, p, n)) => {
                    format!("{} · {p} · 第{n}次公示", Self::of(&self.schemes, s, lang))
                }
                None => id.to_owned(),
            },
            // `series/period`: the period in words (the id, with the series, is shown beside it).
            "earlier" => match id.rsplit_once('/') {
                Some((_, p)) => p.to_owned(),
                None => id.to_owned(),
            },
            "appeal" if en => format!("appeal no. {id}"),
            "appeal" => format!("第{id}号申诉"),
            // `n` or `n/unit`: the round or survey, and the unit by its name.
            "inspection" | "survey" => {
                let (n, unit) = id.split_once('/').map_or((id, None), |(n, u)| (n, Some(u)));
                let what = match (entity, en) {
                    ("inspection", true) => format!("round {n}"),
                    ("inspection", false) => format!("第{n}轮检查"),
                    (_, true) => format!("survey {n}"),
                    _ => format!("第{n}次调查"),
                };
                match unit {
                    Some(u) => format!("{what} · {}", Self::of(&self.units, u, lang)),
                    None => what,
                }
            }
            _ => id.to_owned(),
        }
    }
}
