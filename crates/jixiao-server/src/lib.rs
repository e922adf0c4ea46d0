//! jixiao's server: the operations of the closed loop on the live scoring engine ([`ops`]),
//! served as a JSON API under `/api/v1` ([`api`]) and as web pages ([`web`]), with
//! authentication, the reporting-and-review workflow, publication, appeals and the audit chain.
//! [`build_app`] is what both the binary and the tests serve. The map of the modules, and where
//! a new capability goes: `crates/jixiao-server/README.md`.

pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod dhis2;
pub mod error;
pub mod http;
pub mod i18n;
pub mod live;
pub mod ops;
pub mod pdf;
pub mod state;
pub mod stored;
pub mod web;
pub mod xlsx;

use crate::auth::{Backend, DbSessions};
use crate::config::Config;
use crate::state::AppState;
use axum::Router;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_login::AuthManagerLayerBuilder;
use axum_login::tower_sessions::cookie::SameSite;
use axum_login::tower_sessions::{Expiry, SessionManagerLayer};
use std::net::SocketAddr;
use tower_governor::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

/// The client address for rate limiting: the peer address, or the first `X-Forwarded-For`
/// entry when a trusted proxy sets it.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp {
    pub trust_forwarded_for: bool,
}

impl KeyExtractor for ClientIp {
    type Key = String;

    fn extract<T>(&self, req: &Request<T>) -> Result<String, GovernorError> {
        Ok(http::caller::address_of(
            req.headers(),
            req.extensions(),
            self.trust_forwarded_for,
        ))
    }
}

/// The whole application: API, docs, sessions, request ids, tracing.
pub fn build_app(state: AppState) -> Router {
    let limiter = GovernorConfigBuilder::default()
        .key_extractor(ClientIp {
            trust_forwarded_for: state.config.trust_forwarded_for,
        })
        .per_millisecond(60_000 / u64::from(state.config.login_per_minute.max(1)))
        .burst_size(state.config.login_per_minute.max(1))
        .finish()
        .map(std::sync::Arc::new);
    let (api, openapi) = api::routes(limiter.clone());
    let sessions = SessionManagerLayer::new(DbSessions {
        store: state.store.clone(),
        cache: state.sessions.clone(),
    })
    .with_name("jixiao_session")
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(state.config.secure())
    .with_expiry(Expiry::OnInactivity(time::Duration::hours(
        state.config.session_hours,
    )));
    let auth = AuthManagerLayerBuilder::new(
        Backend {
            store: state.store.clone(),
            cache: state.sessions.clone(),
        },
        sessions,
    )
    .build();
    Router::new()
        .merge(api.layer(axum::middleware::from_fn(api::csrf)))
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", openapi))
        .merge(web::router(limiter))
        .layer(auth)
        .layer(axum::extract::DefaultBodyLimit::max((state.config.max_evidence_mib as usize + 1) * 1024 * 1024))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let rid = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %rid)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(run_to_completion))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM; requests in flight finish first, so no accepted write is lost.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(&state.config.listen).await?;
    tracing::info!(address = %listener.local_addr()?, database = %config::redact(&state.config.database_url), "jixiao listening");
    state.follow_changes();
    state.listen_for_changes();
    ops::schedule::start(&state);
    let app = build_app(state.clone());
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await;
    state.advance_seal().await;
    served
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Connects to the configured database (creating and migrating it) and loads the live results.
/// The audit log is sealed with the key in [`Config::seal_path`] (made on first start).
pub async fn open(config: Config) -> Result<AppState, jixiao_store::StoreError> {
    let mut store = jixiao_store::Store::connect_with(&config.database_url, config.pool()).await?;
    if let Some(path) = config.seal_path() {
        let seal = jixiao_store::audit::Seal::open(&store, &path).await?;
        store = store.with_seal(seal);
    }
    AppState::new(store, config).await
}

/// Headers every answer carries: no sniffing of types, no framing by other sites, no referrer
/// to other sites, a content security policy for the pages (scripts and styles from this site
/// only; inline style attributes are allowed for the charts' and the tree's indentation), and
/// no storing of answers that do not say otherwise (signed-in pages hold personal data).
async fn security_headers(req: Request<axum::body::Body>, next: Next) -> Response {
    use axum::http::{HeaderValue, header};
    let docs = req.uri().path().starts_with("/api/v1/docs");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !docs {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Runs a request to its end on a task of its own: a client that goes away (or times out)
/// cancels nothing half-way — a transaction is committed or rolled back, and the work after a
/// commit (the live results, the session) is done, whether anyone is still listening or not.
async fn run_to_completion(req: Request<axum::body::Body>, next: Next) -> Response {
    match tokio::spawn(next.run(req)).await {
        Ok(r) => r,
        Err(e) => crate::error::Error::internal(&e).into_response(),
    }
}
