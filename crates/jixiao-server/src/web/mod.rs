//! The web interface: server-rendered pages (askama templates under `templates/`, strings in
//! fluent files under `i18n/`), usable without JavaScript, Chinese by default. Each page is a
//! thin adapter: it reads the form, calls the operations ([`crate::ops`]) — so the permission
//! checks, the workflow and the audit are the same as the API's — and turns their answers (and
//! problems) into HTML or a workbook. Pages never call the API's handlers.

pub mod adjustment;
pub mod applied;
pub mod chain;
pub mod charts;
pub mod dhis2;
pub mod earlier;
pub mod enforcement;
pub mod entry;
pub mod feeds;
pub mod followup;
pub mod imports;
pub mod inspections;
pub mod office;
pub mod pages;
pub mod projects;
pub mod results;
pub mod review;
pub mod surveys;
pub mod units;

use crate::auth::{AuthSession, User};
use crate::error::{Error, Kind};
pub use crate::http::urlencode;
pub use crate::i18n::state_label;
use crate::i18n::{L, Lang};
use crate::ops::Caller;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jixiao_core::access::Role;

/// The pages. `limiter` is the login rate limit shared with the API's sign-in.
pub fn router(limiter: crate::http::Limiter) -> Router<AppState> {
    // Only attempts count against the limit, not showing the form.
    let mut attempt = post(pages::login);
    if let Some(config) = limiter {
        attempt = attempt.layer(tower_governor::GovernorLayer::new(config).error_handler(|_| {
            (
                StatusCode::TOO_MANY_REQUESTS,
                Html(
                    "<!doctype html><meta charset=utf-8><title>429</title><p>登录尝试过于频繁，请稍后再试。<p lang=en>Too many login attempts; try again later.",
                ),
            )
                .into_response()
        }));
    }
    Router::new()
        .route("/login", get(pages::login_form).merge(attempt))
        .route("/", get(pages::home))
        .route("/auth/logout", post(pages::logout))
        .route(
            "/auth/password",
            get(pages::password_form).post(pages::password),
        )
        .route("/lang/{code}", get(pages::switch_lang))
        .route("/entry", get(entry::index))
        .route("/entry/{unit}/{period}", get(entry::form).post(entry::save))
        .route(
            "/entry/{unit}/{period}/evidence/{element}",
            post(entry::evidence),
        )
        .route(
            "/entry/{unit}/{period}/xlsx",
            get(entry::template).post(entry::upload),
        )
        .route(
            "/entry/{unit}/{period}/compute/{element}",
            get(entry::preview),
        )
        .route("/entry/{unit}/{period}/checks", get(entry::checks))
        .route("/review", get(review::queue).post(review::act))
        .route("/dashboard", get(results::dashboard_default))
        .route("/dashboard/{scheme}/{period}", get(results::dashboard))
        .route("/report", get(results::report_default))
        .route(
            "/report/{scheme}/{period}/{unit}",
            get(results::report_card),
        )
        .route("/applied/{scheme}/{period}", get(applied::report))
        .route(
            "/inspections",
            get(inspections::list).post(inspections::create),
        )
        .route(
            "/inspections/{id}",
            get(inspections::show).post(inspections::act),
        )
        .route("/inspections/{id}/hazards", post(inspections::hazard))
        .route("/surveys", get(surveys::list).post(surveys::create))
        .route("/enforcement", get(enforcement::list))
        .route("/enforcement/import", post(enforcement::import))
        .route("/enforcement/template", get(enforcement::template))
        .route(
            "/enforcement/new",
            get(enforcement::new_form).post(enforcement::create),
        )
        .route("/enforcement/cases/{id}", get(enforcement::show))
        .route("/enforcement/flags/{id}", post(enforcement::decide))
        .route(
            "/enforcement/rules",
            get(enforcement::rules).post(enforcement::set_rules),
        )
        .route("/surveys/{id}", get(surveys::show).post(surveys::act))
        .route("/s/{id}/{unit}", get(surveys::public).post(surveys::answer))
        .route("/s/{id}/{unit}/qr.svg", get(surveys::qr))
        .route(
            "/inspections/{id}/hazards/{hazard}/photo",
            post(inspections::photo),
        )
        .route("/projects", get(projects::list).post(projects::create))
        .route(
            "/projects/import",
            axum::routing::post(projects::import_projects),
        )
        .route(
            "/projects/import/template",
            get(projects::projects_template),
        )
        .route(
            "/monitoring/import",
            axum::routing::post(projects::import_monitoring),
        )
        .route(
            "/monitoring/import/template",
            get(projects::monitoring_template),
        )
        .route("/projects/{code}", get(projects::show).post(projects::act))
        .route(
            "/budget-adjustment/{scheme}/{period}",
            get(adjustment::table).post(adjustment::publish),
        )
        .route("/monitoring", get(projects::monitoring))
        .route("/monitoring/{day}", get(projects::monitoring_on))
        .route(
            "/earlier/{scheme}",
            get(earlier::page).post(earlier::upload),
        )
        .route("/chain/{scheme}/{period}/{indicator}", get(chain::chain))
        .route(
            "/publish",
            get(results::publish_form).post(results::publish),
        )
        .route("/import", get(imports::form).post(imports::upload))
        .route("/import/template", get(imports::template))
        .route("/audit", get(office::audit))
        .route("/feeds", get(feeds::feeds).post(feeds::define))
        .route("/units", get(units::units))
        .route("/units/import", post(units::import))
        .route("/units/{code}/change", post(units::change))
        .route("/units/{code}/close", post(units::close))
        .route("/units/{code}/split", post(units::split))
        .route("/dhis2", get(dhis2::form).post(dhis2::upload))
        .route("/inbox", get(followup::inbox))
        .route("/inbox/read", post(followup::read))
        .route("/inbox/prefs", post(followup::save_prefs))
        .route("/warnings", get(followup::list))
        .route("/warnings/{id}", get(followup::show))
        .route("/warnings/{id}/answer", post(followup::answer))
        .route("/warnings/{id}/close", post(followup::close))
        .route(
            "/rectifications",
            get(followup::tasks).post(followup::create),
        )
        .route("/rectifications/{id}", get(followup::task))
        .route("/rectifications/{id}/act", post(followup::act))
        .route("/rectifications/{id}/evidence", post(followup::evidence))
        .route(
            "/channels",
            get(followup::channels).post(followup::add_channel),
        )
        .route("/channels/{id}/enabled", post(followup::enable_channel))
        .route(
            "/dashboard/{scheme}/{period}/remind",
            post(followup::remind),
        )
        .route("/appeals", get(office::appeals).post(office::file_appeal))
        .route("/appeals/{id}/resolve", post(office::resolve_appeal))
        .route("/appeals/{id}/evidence", post(office::appeal_evidence))
        .route("/schemes", get(office::schemes_default))
        .route("/schemes/{code}", get(office::scheme))
        .route(
            "/schemes/{code}/whatif",
            get(office::whatif_form).post(office::whatif),
        )
        .route("/public", get(results::public_index))
        .route("/public/{id}", get(results::public_one))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .fallback(not_found)
}

/// Anything else: a page saying so, or a problem document under the API's prefix.
async fn not_found(page: Page) -> Response {
    let e = Error::not_found("页面", "page");
    if page.ctx.path.starts_with("/api/") {
        return e.into_response();
    }
    page.finish(Err(e))
}

async fn css() -> Response {
    static_file(
        include_str!("../../static/app.css"),
        "text/css; charset=utf-8",
    )
}

async fn js() -> Response {
    static_file(
        include_str!("../../static/app.js"),
        "text/javascript; charset=utf-8",
    )
}

fn static_file(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// A link in the navigation bar.
pub struct Nav {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// What every page knows: the language, who is looking, the form token, where we are.
pub struct Ctx {
    pub l: L,
    pub user: Option<User>,
    pub csrf: String,
    pub path: String,
    pub nav: Vec<Nav>,
    /// The page of this site the person came from (the Referer, when it is ours), for the
    /// way back from a problem.
    pub came_from: Option<String>,
    /// Unread notices in the person's inbox (the count in the header).
    pub unread: i64,
}

impl Ctx {
    pub fn role(&self) -> Role {
        self.user.as_ref().map_or(Role::Public, |u| u.role)
    }

    pub fn role_name(&self) -> String {
        self.l.html(&self.role().name())
    }

    pub fn user_name(&self) -> String {
        self.user
            .as_ref()
            .map(|u| self.l.name(&u.display_name))
            .unwrap_or_default()
    }

    /// The greeting with the person's name and role (both escaped; the message is ours).
    pub fn hello(&self) -> String {
        self.l.ta(
            "home-hello",
            &[("name", &self.user_name()), ("role", &self.role_name())],
        )
    }

    /// The other language's switch link, back to this page.
    pub fn other_lang(&self) -> (&'static str, &'static str) {
        if self.l.is_en() {
            ("zh", "中文")
        } else {
            ("en", "English")
        }
    }

    pub fn back(&self) -> String {
        urlencode(&self.path)
    }
}

fn nav_for(l: L, role: Role, path: &str) -> Vec<Nav> {
    let mut items: Vec<(&'static str, &'static str)> = Vec::new();
    if role != Role::Public {
        items.push(("/", "nav-home"));
    }
    if matches!(role, Role::Reporter | Role::Evaluator | Role::Inspector) {
        items.push(("/entry", "nav-entry"));
    }
    if matches!(
        role,
        Role::Reporter | Role::Evaluator | Role::Inspector | Role::Office | Role::Admin
    ) {
        items.push(("/import", "nav-import"));
    }
    if matches!(
        role,
        Role::UnitLeader | Role::LeadReviewer | Role::Office | Role::Admin
    ) {
        items.push(("/review", "nav-review"));
    }
    if matches!(
        role,
        Role::Office | Role::Admin | Role::Finance | Role::Leader
    ) {
        items.push(("/dashboard", "nav-dashboard"));
    }
    if matches!(role, Role::Reporter | Role::UnitLeader) {
        items.push(("/report", "nav-report"));
    }
    if office::sees_schemes(role) {
        items.push(("/schemes", "nav-schemes"));
    }
    if matches!(
        role,
        Role::Finance | Role::Admin | Role::Evaluator | Role::Reporter | Role::UnitLeader
    ) {
        items.push(("/projects", "nav-projects"));
    }
    if matches!(role, Role::Office | Role::Admin | Role::Inspector) {
        items.push(("/inspections", "nav-inspections"));
    }
    if matches!(role, Role::Office | Role::Admin) {
        items.push(("/surveys", "nav-surveys"));
    }
    if matches!(
        role,
        Role::Office
            | Role::Admin
            | Role::Leader
            | Role::LeadReviewer
            | Role::Reporter
            | Role::UnitLeader
    ) {
        items.push(("/enforcement", "nav-enforcement"));
    }
    // Finance publishes the budget schemes' results.
    if matches!(role, Role::Office | Role::Admin | Role::Finance) {
        items.push(("/publish", "nav-publish"));
    }
    if matches!(
        role,
        Role::Office | Role::Admin | Role::Reporter | Role::UnitLeader | Role::Leader
    ) {
        items.push(("/appeals", "nav-appeals"));
    }
    if matches!(
        role,
        Role::Office
            | Role::Admin
            | Role::Finance
            | Role::Leader
            | Role::LeadReviewer
            | Role::Reporter
            | Role::UnitLeader
    ) {
        items.push(("/warnings", "nav-warnings"));
        items.push(("/rectifications", "nav-rectifications"));
    }
    if matches!(role, Role::Office | Role::Admin) {
        items.push(("/units", "nav-units"));
        items.push(("/feeds", "nav-feeds"));
        items.push(("/audit", "nav-audit"));
    }
    if role == Role::Admin {
        items.push(("/channels", "nav-channels"));
    }
    items.push(("/public", "nav-public"));
    items
        .into_iter()
        .map(|(href, key)| Nav {
            href,
            label: l.t(key),
            current: if href == "/" {
                path == "/"
            } else {
                path.starts_with(href)
            },
        })
        .collect()
}

/// A page request: its context, the caller (as the API sees them) and the session.
pub struct Page {
    pub ctx: Ctx,
    pub caller: Caller,
    pub session: AuthSession,
}

/// The page of this site a request came from: the Referer's path when its host is this
/// request's host, cleaned like any redirect target (for a page asked for again, none: it is
/// this page; a form posted to its own address came from that page).
fn came_from(parts: &Parts) -> Option<String> {
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let host = parts.headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let (h, path) = rest.split_once('/')?;
    let path = local_path(Some(&format!("/{path}")));
    let same = parts.method == axum::http::Method::GET
        && parts.uri.path_and_query().map(|p| p.as_str()) == Some(path.as_str());
    (h == host && !same).then_some(path)
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Page, Response> {
        let lang = Lang::of_cookies(
            parts
                .headers
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok()),
        );
        let l = L(lang);
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let session = AuthSession::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::internal(&"session layer missing").into_response())?;
        let caller = match Caller::from_request_parts(parts, state).await {
            Ok(c) => c,
            Err(e) if e.code == "password_change_required" => {
                return Err(Redirect::to("/auth/password").into_response());
            }
            Err(e) => {
                let ctx = Ctx {
                    l,
                    user: None,
                    csrf: String::new(),
                    nav: nav_for(l, Role::Public, parts.uri.path()),
                    came_from: came_from(parts),
                    path,
                    unread: 0,
                };
                return Err(error_page(&ctx, &e));
            }
        };
        let csrf = crate::http::session::csrf_token(&session.session)
            .await
            .unwrap_or_default();
        let user = caller.user.clone();
        let role = user.as_ref().map_or(Role::Public, |u| u.role);
        let unread = crate::ops::notices::unread(state, &caller).await;
        Ok(Page {
            ctx: Ctx {
                l,
                nav: nav_for(l, role, parts.uri.path()),
                user,
                csrf,
                came_from: came_from(parts),
                path,
                unread,
            },
            caller,
            session,
        })
    }
}

impl Page {
    /// The page's answer: the response, or the problem as a page (sign-in first when the
    /// caller is not signed in).
    pub fn finish(&self, r: Result<Response, Error>) -> Response {
        match r {
            Ok(r) => r,
            Err(e) => error_page(&self.ctx, &e),
        }
    }

    /// Form posts carry the session's token (a hidden field), like the API's header.
    pub fn check_csrf(&self, token: &str) -> Result<(), Error> {
        self.caller.require_signed_in()?;
        let expected = self.ctx.csrf.as_bytes();
        if !expected.is_empty() && crate::auth::constant_time_eq(expected, token.as_bytes()) {
            Ok(())
        } else {
            Err(Error::new(
                Kind::Forbidden,
                "csrf",
                jixiao_core::text::Text::new(
                    "表单已过期，请返回刷新页面后重试",
                    "the form has expired; go back, reload the page and try again",
                ),
            ))
        }
    }

    pub fn require_signed_in(&self) -> Result<(), Error> {
        self.caller.require_signed_in()
    }

    /// The page's language for messages made by the operations.
    pub fn lang(&self) -> jixiao_core::text::Lang {
        self.ctx.l.into()
    }
}

/// A printed page's running header, on every page of the paper or PDF: what the document is
/// on the left (district, scheme, period, unit), the print date on the right. A `<style>` of
/// `@page` margin boxes; the texts become CSS strings (quotes, backslashes and `<` escaped, so
/// nothing ends the string or the element).
pub fn print_header(left: &str, right: &str) -> String {
    fn css(s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\22 "),
                '\\' => out.push_str("\\5C "),
                '<' => out.push_str("\\3C "),
                '>' => out.push_str("\\3E "),
                '&' => out.push_str("\\26 "),
                c if c.is_control() => out.push(' '),
                c => out.push(c),
            }
        }
        out
    }
    format!(
        "<style>@page {{ @top-left {{ content: \"{}\"; font-size: 9pt; color: #444; }} @top-right {{ content: \"{}\"; font-size: 9pt; color: #444; }} }}</style>",
        css(left),
        css(right)
    )
}

/// Renders a template (a template that fails to render is a bug: 500).
pub fn render<T: Template>(t: &T) -> Result<Response, Error> {
    let html = t.render().map_err(|e| Error::internal(&e))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a Ctx,
    status: u16,
    title: String,
    message: String,
    details: Vec<String>,
    /// What to do next: links (address, words), the way back first.
    next: Vec<(String, String)>,
}

/// Where a person goes from a problem: back to the page they came from (a form keeps what the
/// browser kept), and for problems with a known remedy, to the remedy.
fn next_steps(ctx: &Ctx, e: &Error) -> Vec<(String, String)> {
    let l = ctx.l;
    let mut next = Vec::new();
    if let Some(back) = &ctx.came_from {
        next.push((back.clone(), l.t("error-back")));
    }
    match e.code {
        "blocked" | "not_ready" => next.push(("/publish".to_owned(), l.t("error-see-readiness"))),
        "disputed" => next.push(("/appeals".to_owned(), l.t("error-see-appeals"))),
        // Someone else acted first: the page they came from, fresh, is the way on.
        "version_conflict" | "illegal_transition" | "csrf" => {
            if let Some(first) = next.first_mut() {
                first.1 = l.t("error-reload");
            }
        }
        _ => {}
    }
    next.push(("/".to_owned(), l.t("nav-home")));
    next
}

/// A problem as a page: the message in the page's language, the details a person can act on.
pub fn error_page(ctx: &Ctx, e: &Error) -> Response {
    if e.kind == Kind::Unauthorized && e.code == "unauthorized" {
        let to = format!("/login?next={}", urlencode(&ctx.path));
        return Redirect::to(&to).into_response();
    }
    let l = ctx.l;
    let status = crate::http::status_of(e.kind);
    let title = match e.kind {
        Kind::Forbidden => l.t("error-403"),
        Kind::NotFound => l.t("error-404"),
        Kind::Conflict => l.t("error-409"),
        Kind::BadRequest | Kind::Invalid => l.t("error-422"),
        Kind::Locked => l.t("error-423"),
        Kind::Internal | Kind::Unavailable => l.t("error-500"),
        _ => l.t("error-other"),
    };
    let pick = |v: &serde_json::Value| -> Option<String> {
        let m = v.get("message")?;
        let key = if l.is_en() { "en" } else { "zh" };
        m.get(key)
            .or_else(|| m.get("zh"))
            .and_then(|s| s.as_str())
            .map(str::to_owned)
    };
    let mut details: Vec<String> = e
        .extensions
        .get("issues")
        .and_then(|i| i.as_array())
        .map(|a| a.iter().filter_map(pick).collect())
        .unwrap_or_default();
    if let Some(cur) = e.extensions.get("current").and_then(|c| c.get("state")) {
        details.push(format!(
            "{}: {}",
            l.t("value-state"),
            state_label(l, cur.as_str().unwrap_or(""))
        ));
    }
    let page = ErrorPage {
        ctx,
        status: status.as_u16(),
        title,
        message: l.plain(&e.message).to_owned(),
        details,
        next: next_steps(ctx, e),
    };
    let body = page.render().unwrap_or_else(|_| e.message.zh.clone());
    (status, Html(body)).into_response()
}

/// The form token in the query, for multipart forms whose body goes on to the API as it is.
#[derive(serde::Deserialize)]
pub struct CsrfQuery {
    #[serde(default)]
    pub csrf: String,
}

/// The first value of the form field `name` ("" when the form has none).
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    crate::http::upload::first(pairs, name)
}

/// Whether a page was asked for as a workbook (`?format=xlsx`).
pub fn wanted_xlsx(format: &Option<String>) -> bool {
    format.as_deref() == Some("xlsx")
}

/// A path of this site (never another site), for redirects after sign-in and the language
/// switch: it starts with one `/`, and neither it nor what it decodes to holds a backslash, a
/// control character or white space (browsers drop a tab or a newline, so `/%09/evil.example`
/// would lead to `//evil.example`, another site).
pub fn local_path(next: Option<&str>) -> String {
    fn clean(s: &str) -> bool {
        !s.chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    }
    fn decoded(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes[i],
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && clean(n) => {
            let d = decoded(n);
            if clean(&d) && !d.starts_with("//") {
                n.to_owned()
            } else {
                "/".to_owned()
            }
        }
        _ => "/".to_owned(),
    }
}

/// A redirect after a form post (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Sets the language cookie for a year.
pub fn lang_cookie(lang: Lang) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        crate::i18n::LANG_COOKIE,
        match lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("jixiao_lang=zh; Path=/"))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn redirects_stay_on_this_site() {
        for ok in [
            "/",
            "/entry/QLY/2025Q4",
            "/report?kind=official",
            "/audit?contains=%E4%B8%83",
        ] {
            assert_eq!(local_path(Some(ok)), ok, "{ok}");
        }
        for bad in [
            "//evil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil.example",
            "/ /evil.example",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }
}
