//! The JSON API under `/api/v1`, documented by an OpenAPI 3.1 document generated from the
//! handlers (`/api/v1/openapi.json`) with an interactive page served offline (`/api/v1/docs`).
//! Each handler is a thin adapter: it extracts the request, calls one operation
//! ([`crate::ops`]) and answers with its status and JSON; errors become problem documents in
//! [`crate::http::problem`].

pub mod adjustment;
pub mod appeals;
pub mod applied;
pub mod audit;
pub mod auth;
pub mod chain;
pub mod dhis2;
pub mod earlier;
pub mod enforcement;
pub mod exports;
pub mod extract;
pub mod feeds;
pub mod followup;
pub mod imports;
pub mod inspections;
pub mod keys;
pub mod periods;
pub mod projects;
pub mod publications;
pub mod results;
pub mod review;
pub mod schemes;
pub mod surveys;
pub mod units;
pub mod users;
pub mod values;

use crate::error::{Error, Kind};
use crate::http::session::CSRF_HEADER;
use crate::http::{Limiter, Problem};
use crate::state::AppState;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jixiao_core::text::Text;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "jixiao API", description = "绩效 jixiao: performance assessment for county-level governments. Errors are RFC 9457 problem+json with a stable `code` and the message in Chinese and English. Cookie-authenticated writes send the `X-CSRF-Token` header; machines use `Authorization: Bearer jx_…` API keys.", version = "1"),
    tags(
        (name = "auth", description = "登录与会话 · sign-in"),
        (name = "units", description = "组织 · organisation"),
        (name = "schemes", description = "考核方案 · schemes"),
        (name = "periods", description = "考核期间 · periods"),
        (name = "values", description = "填报与审核 · reporting and review"),
        (name = "results", description = "实时结果 · live results"),
        (name = "budget", description = "预算绩效：事前评估、绩效目标、运行监控、预算调整 · budget performance: ex-ante, targets, monitoring, adjustment"),
        (name = "inspections", description = "异地交叉检查 · cross-inspection rounds"),
        (name = "surveys", description = "群众满意度调查 · citizen satisfaction surveys"),
        (name = "enforcement", description = "行政执法案件合法性审查 · legality checks of enforcement cases"),
        (name = "publications", description = "公示 · publication"),
        (name = "appeals", description = "申诉复核 · appeals"),
        (name = "warnings", description = "预警跟踪 · warnings followed up"),
        (name = "rectifications", description = "整改 · rectification"),
        (name = "notices", description = "通知 · notices and channels"),
        (name = "audit", description = "审计 · audit log"),
        (name = "users", description = "用户 · accounts"),
        (name = "keys", description = "API 密钥 · API keys"),
        (name = "feeds", description = "数据接口 · machine feeds"),
        (name = "dhis2", description = "DHIS2 数据交换 · DHIS2 interoperability"),
        (name = "health", description = "运行状态 · health"),
    ),
    components(schemas(Problem, crate::live::Kind)),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// Errors as the API sends them: every problem answer is `application/problem+json`, and every
/// operation documents the answers any request may get — 400 (a malformed request), 401 (not
/// signed in or a bad key), 403 (not allowed, or a missing CSRF token), 415 (a body of another
/// type), 422 (invalid input), 503 (the database busy or down) — beside its own.
pub struct Problems;

impl utoipa::Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::HttpMethod;
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build()
        };
        let generic = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", problem())
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for method in [
                HttpMethod::Get,
                HttpMethod::Put,
                HttpMethod::Post,
                HttpMethod::Delete,
                HttpMethod::Patch,
            ] {
                let op = match method {
                    HttpMethod::Get => item.get.as_mut(),
                    HttpMethod::Put => item.put.as_mut(),
                    HttpMethod::Post => item.post.as_mut(),
                    HttpMethod::Delete => item.delete.as_mut(),
                    HttpMethod::Patch => item.patch.as_mut(),
                    _ => None,
                };
                let Some(op) = op else { continue };
                let has_body = op.request_body.is_some();
                let responses = &mut op.responses.responses;
                // A problem documented as JSON is problem+json.
                for r in responses.values_mut() {
                    if let RefOr::T(resp) = r
                        && let Some(RefOr::T(c)) = resp.content.get("application/json")
                        && matches!(&c.schema, Some(RefOr::Ref(x)) if x.ref_location.ends_with("/Problem"))
                    {
                        let c = resp.content.shift_remove("application/json");
                        if let Some(c) = c {
                            resp.content.insert("application/problem+json".into(), c);
                        }
                    }
                }
                let mut add = |code: &str, description: &str| {
                    responses
                        .entry(code.to_owned())
                        .or_insert_with(|| RefOr::T(generic(description)));
                };
                add(
                    "400",
                    "a malformed request (path, query or body) · 请求格式错误",
                );
                add("401", "not signed in, or a bad API key · 未登录或密钥无效");
                add(
                    "403",
                    "not allowed, or the CSRF token is missing · 无权操作或缺少 CSRF 令牌",
                );
                add(
                    "503",
                    "the database is busy or down: nothing was changed, try again · 数据库正忙或不可用，未做任何更改，请稍后再试",
                );
                if has_body {
                    add(
                        "415",
                        "the body is not of the type the operation reads · 请求内容类型不对",
                    );
                    add(
                        "422",
                        "invalid input: nothing was changed · 输入有误，未做任何更改",
                    );
                }
            }
        }
    }
}

/// How callers authenticate, so the docs page can send the CSRF token or an API key: a person
/// signs in (cookie) and pastes the `csrf_token` of the sign-in answer under "Authorize"; a
/// machine sends its key. Reads need neither header.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                CSRF_HEADER,
                "登录返回的 csrf_token（会话写操作必需）· the csrf_token from the sign-in answer, required on cookie-authenticated writes",
            ))),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("jx_<prefix>_<secret>")
                    .description(Some(
                        "机器客户端的 API 密钥 · an API key for machine clients",
                    ))
                    .build(),
            ),
        );
        openapi.security = Some(vec![
            SecurityRequirement::default(),
            SecurityRequirement::new("csrf", Vec::<String>::new()),
            SecurityRequirement::new("api_key", Vec::<String>::new()),
        ]);
    }
}

/// The API's routes and its OpenAPI document, complete (see [`Problems`]).
pub fn routes(limiter: Limiter) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut openapi) = router(limiter).split_for_parts();
    utoipa::Modify::modify(&Problems, &mut openapi);
    (api, openapi)
}

/// Every route of the API, with its OpenAPI description. Logins are rate limited per client.
pub fn router(limiter: Limiter) -> OpenApiRouter<AppState> {
    let mut login = OpenApiRouter::new().routes(routes!(auth::login));
    if let Some(config) = limiter {
        login = login.layer(
            tower_governor::GovernorLayer::new(config).error_handler(|_| {
                Error::new(
                    Kind::TooManyRequests,
                    "rate_limited",
                    Text::new(
                        "登录尝试过于频繁，请稍后再试",
                        "too many login attempts; try again later",
                    ),
                )
                .into_response()
            }),
        );
    }
    // Imports may be larger than evidence files.
    let imports = OpenApiRouter::new().routes(routes!(imports::create)).layer(
        axum::extract::DefaultBodyLimit::max(crate::ops::imports::MAX_BYTES + 1024 * 1024),
    );
    let v1 = OpenApiRouter::new()
        .merge(login)
        .merge(imports)
        .routes(routes!(auth::logout))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::me))
        .routes(routes!(units::list, units::import))
        .routes(routes!(units::get, units::update))
        .routes(routes!(units::close))
        .routes(routes!(units::split))
        .routes(routes!(schemes::list, schemes::upload))
        .routes(routes!(schemes::validate))
        .routes(routes!(schemes::get))
        .routes(routes!(schemes::publish))
        .routes(routes!(periods::list, periods::create))
        .routes(routes!(periods::update))
        .routes(routes!(values::list))
        .routes(routes!(values::get, values::save))
        .routes(routes!(values::transition))
        .routes(routes!(review::queue, review::act))
        .routes(routes!(values::upload_evidence))
        .routes(routes!(values::download_evidence))
        .routes(routes!(results::ranking))
        .routes(routes!(results::unit))
        .routes(routes!(results::reporting))
        .routes(routes!(results::whatif))
        .routes(routes!(applied::report))
        .routes(routes!(chain::chain))
        .routes(routes!(earlier::list, earlier::record))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get))
        .routes(routes!(projects::assign))
        .routes(routes!(projects::score))
        .routes(routes!(projects::conclude))
        .routes(routes!(projects::declare_targets))
        .routes(routes!(projects::review_targets))
        .routes(routes!(projects::monitor))
        .routes(routes!(projects::monitoring_days))
        .routes(routes!(projects::monitoring_report))
        .routes(routes!(projects::import))
        .routes(routes!(projects::import_monitoring))
        .routes(routes!(inspections::list, inspections::create))
        .routes(routes!(inspections::get))
        .routes(routes!(inspections::generate))
        .routes(routes!(inspections::assign))
        .routes(routes!(inspections::score))
        .routes(routes!(inspections::hazard))
        .routes(routes!(inspections::photo))
        .routes(routes!(surveys::list, surveys::create))
        .routes(routes!(surveys::get))
        .routes(routes!(surveys::codes))
        .routes(routes!(surveys::publish))
        .routes(routes!(surveys::close))
        .routes(routes!(surveys::public, surveys::answer))
        .routes(routes!(enforcement::list, enforcement::record))
        .routes(routes!(enforcement::import))
        .routes(routes!(enforcement::template))
        .routes(routes!(enforcement::get))
        .routes(routes!(enforcement::decide))
        .routes(routes!(enforcement::rules, enforcement::set_rules))
        .routes(routes!(adjustment::table))
        .routes(routes!(adjustment::publish))
        .routes(routes!(adjustment::published))
        .routes(routes!(publications::list, publications::publish))
        .routes(routes!(publications::readiness))
        .routes(routes!(publications::get))
        .routes(routes!(publications::rescore))
        .routes(routes!(appeals::list, appeals::file))
        .routes(routes!(appeals::resolve))
        .routes(routes!(appeals::upload_evidence))
        .routes(routes!(followup::list))
        .routes(routes!(followup::ages))
        .routes(routes!(followup::get))
        .routes(routes!(followup::answer))
        .routes(routes!(followup::close))
        .routes(routes!(followup::tasks, followup::create_task))
        .routes(routes!(followup::rates))
        .routes(routes!(followup::task))
        .routes(routes!(followup::act))
        .routes(routes!(followup::inbox))
        .routes(routes!(followup::mark_read))
        .routes(routes!(followup::prefs, followup::set_prefs))
        .routes(routes!(followup::channels, followup::add_channel))
        .routes(routes!(followup::enable_channel))
        .routes(routes!(followup::remind))
        .routes(routes!(followup::task_evidence))
        .routes(routes!(exports::export_values))
        .routes(routes!(exports::export_rankings))
        .routes(routes!(exports::export_audit))
        .routes(routes!(audit::list))
        .routes(routes!(audit::verify))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::disable))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(feeds::list))
        .routes(routes!(feeds::get, feeds::define))
        .routes(routes!(feeds::post_events))
        .routes(routes!(dhis2::mappings, dhis2::set_mappings))
        .routes(routes!(dhis2::export))
        .routes(routes!(health))
        .routes(routes!(ready));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1)
}

/// Paging query parameters.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// At most this many items (default 100, at most 1000).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

impl PageQuery {
    pub fn page(self) -> jixiao_store::Page {
        crate::ops::page(self.limit, self.offset)
    }
}

/// Cookie-authenticated writes must carry the session's CSRF token (double submit): another
/// site can make a browser send the cookie, but cannot read the token.
pub async fn csrf(
    session: axum_login::tower_sessions::Session,
    req: Request,
    next: Next,
) -> Result<Response, Error> {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let exempt = req.uri().path().ends_with("/auth/login")
        || req
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION);
    if unsafe_method
        && !exempt
        && let Some(expected) = crate::http::session::csrf_token(&session).await
    {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !crate::auth::constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return Err(Error::new(
                Kind::Forbidden,
                "csrf",
                Text::new("缺少或错误的 CSRF 令牌", "missing or wrong CSRF token"),
            ));
        }
    }
    Ok(next.run(req).await)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health() -> extract::Json<Health> {
    extract::Json(Health { status: "ok" })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/ready", tag = "health", responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<extract::Json<Health>, Error> {
    if crate::ops::ready(&state).await {
        Ok(extract::Json(Health { status: "ready" }))
    } else {
        Err(Error::new(
            Kind::Unavailable,
            "not_ready",
            Text::new("数据库不可用", "the database does not answer"),
        ))
    }
}
