//! Schemes: upload and validate (the same checks as `jixiao check`, shown as problems a
//! person can act on), publish. A published version is frozen; a change is a new version with a
//! recorded reason.

use crate::error::{Error, Result};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::doc::SourceText;
use jixiao_core::issue::Issues;
use jixiao_core::model::Model;
use jixiao_core::scheme::{Scheme, SchemeKind};
use jixiao_core::text::Text;
use jixiao_store::schemes::{NewScheme, SchemeRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SchemeBody {
    /// The scheme file's text.
    pub content: String,
    /// `toml` (default) or `json`.
    pub format: Option<String>,
    /// Why this version (required when the scheme already has a published version).
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Validation {
    pub valid: bool,
    #[schema(value_type = Vec<Object>)]
    pub issues: Issues,
}

fn format_of(b: &SchemeBody) -> Result<&str> {
    match b.format.as_deref().unwrap_or("toml") {
        f @ ("toml" | "json") => Ok(f),
        f => Err(Error::bad_request(
            "bad_format",
            Text::new(
                format!("格式“{f}”不支持，请用 toml 或 json"),
                format!("format `{f}` is not supported; use toml or json"),
            ),
        )),
    }
}

/// Parses and checks a scheme against the current organisation.
async fn check(state: &AppState, b: &SchemeBody) -> Result<(Option<Scheme>, Issues)> {
    let format = format_of(b)?;
    let name = format!("scheme.{format}");
    let src = SourceText::new(&name, &b.content);
    let scheme: Scheme = match src.parse() {
        Ok(s) => s,
        Err(i) => return Ok((None, i)),
    };
    let Some(org) = jixiao_store::org::current(&state.store).await? else {
        return Err(Error::conflict(
            "no_organisation",
            Text::new("请先导入组织文件", "import the organisation first"),
        ));
    };
    match Model::build(
        scheme.clone(),
        org,
        &src,
        &SourceText::detached("organisation"),
    ) {
        Ok((_, warnings)) => Ok((Some(scheme), warnings)),
        Err(issues) => Ok((None, issues)),
    }
}

/// Checks a scheme without storing it.
pub async fn validate(state: &AppState, caller: &Caller, b: &SchemeBody) -> Result<Validation> {
    allow(state, caller, Action::CheckSchemes).await?;
    let (scheme, issues) = check(state, b).await?;
    Ok(Validation {
        valid: scheme.is_some(),
        issues,
    })
}

/// Uploads a new version as a draft. Invalid schemes are refused with every problem.
pub async fn upload(state: &AppState, caller: &Caller, b: SchemeBody) -> Result<SchemeRow> {
    // Refuse the wrong roles before reading what they sent.
    allow(state, caller, Action::CheckSchemes).await?;
    let (scheme, issues) = check(state, &b).await?;
    let Some(scheme) = scheme else {
        return Err(Error::invalid(&issues));
    };
    let code = scheme.id.to_string();
    // Finance manages budget-performance schemes; the office all of them.
    allow(
        state,
        caller,
        Action::ManageSchemes {
            scheme: &code,
            budget: scheme.kind == SchemeKind::Budget,
        },
    )
    .await?;
    let existing = jixiao_store::schemes::list(&state.store).await?;
    if existing
        .iter()
        .any(|s| s.code == code && s.status != "draft")
    {
        require_reason(&b.reason)?;
    }
    let kind = if scheme.kind == SchemeKind::Budget {
        "budget"
    } else {
        "unit"
    };
    let mut tx = state.store.write().await?;
    let row = jixiao_store::schemes::upload(
        &mut tx,
        &caller.actor,
        NewScheme {
            code: &code,
            year: i64::from(scheme.year),
            kind,
            title_zh: &scheme.title.zh,
            title_en: &scheme.title.en,
            format: format_of(&b)?,
            content: &b.content,
            reason: &b.reason,
        },
    )
    .await?;
    commit(tx).await?;
    Ok(row)
}

/// Every version of every scheme.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<SchemeRow>> {
    caller.require_signed_in()?;
    Ok(jixiao_store::schemes::list(&state.store).await?)
}

#[derive(Serialize, ToSchema)]
pub struct SchemeVersion {
    #[serde(flatten)]
    pub row: SchemeRow,
    pub content: String,
}

/// One version, with its text.
pub async fn get(
    state: &AppState,
    caller: &Caller,
    code: &str,
    version: i64,
) -> Result<SchemeVersion> {
    caller.require_signed_in()?;
    let row = jixiao_store::schemes::get(&state.store, code, version)
        .await?
        .ok_or_else(|| Error::not_found("方案版本", "scheme version"))?;
    let content = row.content.clone();
    Ok(SchemeVersion { row, content })
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReasonBody {
    #[serde(default)]
    pub reason: String,
}

/// Publishes a draft version: it is frozen and scores from now on; the previous version is
/// superseded.
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    code: &str,
    version: i64,
    b: ReasonBody,
) -> Result<SchemeRow> {
    caller.require_signed_in()?;
    let row = jixiao_store::schemes::get(&state.store, code, version)
        .await?
        .ok_or_else(|| Error::not_found("方案版本", "scheme version"))?;
    allow(
        state,
        caller,
        Action::ManageSchemes {
            scheme: code,
            budget: row.kind == "budget",
        },
    )
    .await?;
    if row.status != "draft" {
        return Err(Error::conflict(
            "not_draft",
            Text::new(
                format!("版本{version}已发布或已被替代，不能再发布"),
                format!("version {version} is already published or superseded"),
            ),
        )
        .with(serde_json::json!({ "current": row })));
    }
    // It must still compile against today's organisation.
    let org = jixiao_store::org::current(&state.store)
        .await?
        .ok_or_else(|| {
            Error::conflict(
                "no_organisation",
                Text::new("请先导入组织文件", "import the organisation first"),
            )
        })?;
    crate::live::compile(&row, &org).map_err(|i| Error::invalid(&i))?;
    let mut tx = state.store.write().await?;
    if !jixiao_store::schemes::publish(&mut tx, &caller.actor, code, version, &b.reason).await? {
        return Err(Error::conflict(
            "not_draft",
            Text::new(
                "该版本刚被他人发布",
                "someone published this version just now",
            ),
        ));
    }
    let row = jixiao_store::schemes::get_in(&mut tx, code, version)
        .await?
        .ok_or_else(|| Error::not_found("方案", "scheme"))?;
    commit(tx).await?;
    state.reload_after_commit().await;
    Ok(row)
}

/// A published scheme as the scheme pages show it: its version history, its text compiled
/// against the organisation, the other published schemes, and the period a what-if starts on
/// (for those who may run one).
pub struct Published {
    pub code: String,
    pub versions: Vec<SchemeRow>,
    pub scheme: Scheme,
    /// Code and title of every other published scheme.
    pub others: Vec<(String, jixiao_core::text::Text)>,
    pub whatif_period: Option<String>,
    /// The name of every unit as it stands today, for lead departments named by code.
    pub unit_names: std::collections::HashMap<String, jixiao_core::text::Text>,
}

/// A published scheme, for anyone signed in.
pub async fn published(state: &AppState, caller: &Caller, code: &str) -> Result<Published> {
    let all = list(state, caller).await?;
    let live = state.live.read().await;
    let s = live
        .scheme(code)
        .ok_or_else(|| Error::not_found("已发布的方案", "published scheme"))?;
    let others = live
        .schemes
        .values()
        .filter(|o| o.row.code != code)
        .map(|o| (o.row.code.clone(), o.model.scheme.title.clone()))
        .collect();
    let whatif_period = jixiao_core::access::can(&caller.principal, Action::WhatIf, &*live)
        .then(|| {
            crate::ops::results::current(&live)
                .filter(|(c, _)| c == code)
                .map(|(_, p)| p)
                .or_else(|| s.periods.keys().last().map(|p| p.to_string()))
        })
        .flatten();
    let unit_names = live.unit_names();
    Ok(Published {
        unit_names,
        code: code.to_owned(),
        versions: all.into_iter().filter(|v| v.code == code).collect(),
        scheme: s.model.scheme.clone(),
        others,
        whatif_period,
    })
}
