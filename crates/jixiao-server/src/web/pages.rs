//! Signing in and out, choosing one's password, the language switch, and the home page that
//! tells each person what they must do now.

use super::{Ctx, Page, lang_cookie, local_path, render, see_other, urlencode};
use crate::http::caller::ClientAddress;
use crate::i18n::Lang;
use crate::ops::auth::{LoginBody, PasswordBody};
use crate::ops::entry::FormLink;
use crate::ops::home::Returned;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    next: String,
    username: String,
    error: Option<String>,
    /// The sign-in form's own token (there is no session yet to hold one): it must come back
    /// with the form and match the cookie set with it, so another site cannot sign a browser in
    /// to an account of its choosing.
    token: String,
}

/// The cookie that carries the sign-in form's token.
const LOGIN_COOKIE: &str = "jixiao_login";

/// The sign-in page with a fresh form token (and its cookie), `status` and maybe an error.
fn login_page(
    state: &AppState,
    ctx: &Ctx,
    next: String,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let token = crate::auth::random_hex(16);
    let page = LoginPage {
        ctx,
        next,
        username,
        error,
        token: token.clone(),
    };
    match render(&page) {
        Ok(mut resp) => {
            *resp.status_mut() = status;
            let cookie = format!(
                "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict{}",
                if state.config.secure() {
                    "; Secure"
                } else {
                    ""
                }
            );
            if let Ok(v) = header::HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => e.into_response(),
    }
}

pub async fn login_form(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<NextQuery>,
) -> Response {
    login_page(
        &state,
        &page.ctx,
        local_path(q.next.as_deref()),
        String::new(),
        None,
        StatusCode::OK,
    )
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
    #[serde(rename = "_login", default)]
    pub token: String,
}

/// The sign-in form's token in the request's cookie.
fn login_cookie(headers: &header::HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_COOKIE)
        .map(|(_, v)| v)
}

/// Signs in through the same operation as the API (same lockout, same audit); a wrong
/// password or a locked account is shown on the form.
pub async fn login(
    page: Page,
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: header::HeaderMap,
    axum::Form(f): axum::Form<LoginForm>,
) -> Response {
    let Page {
        ctx,
        caller,
        mut session,
    } = page;
    let sent = login_cookie(&headers).unwrap_or("");
    if sent.is_empty() || !crate::auth::constant_time_eq(sent.as_bytes(), f.token.as_bytes()) {
        return login_page(
            &state,
            &ctx,
            local_path(Some(&f.next)),
            f.username,
            Some(ctx.l.t("login-expired")),
            StatusCode::FORBIDDEN,
        );
    }
    let body = LoginBody {
        username: f.username.clone(),
        password: f.password,
    };
    let r = async {
        let user =
            crate::ops::auth::login(&state, &caller.actor.request_id, &address, &body).await?;
        crate::http::session::start(&mut session, &user).await?;
        Ok::<_, crate::error::Error>(user)
    }
    .await;
    match r {
        Ok(user) => {
            let to = if user.must_change_password {
                "/auth/password".to_owned()
            } else {
                local_path(Some(&f.next))
            };
            see_other(&to)
        }
        Err(e) if e.kind.is_client() => login_page(
            &state,
            &ctx,
            local_path(Some(&f.next)),
            f.username,
            Some(ctx.l.plain(&e.message).to_owned()),
            crate::http::status_of(e.kind),
        ),
        Err(e) => super::error_page(&ctx, &e),
    }
}

pub async fn logout(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Response {
    if let Err(e) = page.check_csrf(&f.csrf) {
        return page.finish(Err(e));
    }
    let Page {
        ctx,
        mut session,
        caller,
        ..
    } = page;
    let ended = match crate::http::session::end(&mut session).await {
        Ok(()) => crate::ops::auth::signed_out(&state, &caller).await,
        Err(e) => Err(e),
    };
    match ended {
        Ok(()) => see_other("/login"),
        Err(e) => super::error_page(&ctx, &e),
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    ctx: &'a Ctx,
    forced: bool,
    error: Option<String>,
}

pub async fn password_form(page: Page) -> Response {
    let r = async {
        page.require_signed_in()?;
        render(&PasswordPage {
            ctx: &page.ctx,
            forced: page
                .ctx
                .user
                .as_ref()
                .is_some_and(|u| u.must_change_password),
            error: None,
        })
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub old_password: String,
    pub new_password: String,
    pub repeat: String,
}

pub async fn password(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<PasswordForm>,
) -> Response {
    if let Err(e) = page.check_csrf(&f.csrf) {
        return page.finish(Err(e));
    }
    let forced = page
        .ctx
        .user
        .as_ref()
        .is_some_and(|u| u.must_change_password);
    let Page {
        ctx,
        caller,
        mut session,
    } = page;
    let problem = if f.new_password != f.repeat {
        Some(ctx.l.t("password-mismatch"))
    } else {
        let body = PasswordBody {
            old_password: f.old_password,
            new_password: f.new_password,
        };
        let r = async {
            let user = crate::ops::auth::change_password(&state, &caller, &body).await?;
            // A new password ends the other sessions; this one continues with a fresh id.
            crate::http::session::start(&mut session, &user).await
        }
        .await;
        match r {
            Ok(_) => return see_other("/?password=changed"),
            Err(e) if e.kind.is_client() => Some(ctx.l.plain(&e.message).to_owned()),
            Err(e) => return super::error_page(&ctx, &e),
        }
    };
    match render(&PasswordPage {
        ctx: &ctx,
        forced,
        error: problem,
    }) {
        Ok(mut r) => {
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct BackQuery {
    pub back: Option<String>,
}

/// Switches the language (kept for a year in a cookie) and goes back to the page.
pub async fn switch_lang(Path(code): Path<String>, Query(q): Query<BackQuery>) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Zh);
    let mut r = see_other(&local_path(q.back.as_deref()));
    r.headers_mut()
        .insert(header::SET_COOKIE, lang_cookie(lang));
    r
}

/// A review queue's size, for the home page.
pub struct QueueCount {
    pub count: usize,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    forms: Vec<FormLink>,
    overdue: usize,
    review: Option<QueueCount>,
    returned: Vec<Returned>,
    appeals_open: usize,
    current: Option<(String, String)>,
    own_unit: Option<String>,
    deadlines: Vec<(String, String, String)>,
    password_changed: bool,
    incomplete: Option<usize>,
    warnings: Option<usize>,
}

#[derive(serde::Deserialize, Default)]
pub struct HomeQuery {
    pub password: Option<String>,
}

pub async fn home(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<HomeQuery>,
) -> Response {
    if page.caller.require_signed_in().is_err() {
        return see_other("/login");
    }
    let r = async {
        let h = crate::ops::home::home(&state, &page.caller).await?;
        render(&HomePage {
            ctx: &page.ctx,
            overdue: h.forms.iter().filter(|f| f.overdue).count(),
            forms: h.forms,
            review: h.review.map(|count| QueueCount { count }),
            returned: h.returned,
            appeals_open: h.appeals_open,
            current: h.current,
            own_unit: page.caller.principal.unit.clone(),
            deadlines: h.deadlines,
            password_changed: q.password.is_some(),
            incomplete: h.incomplete,
            warnings: h.warnings,
        })
    }
    .await;
    page.finish(r)
}

impl HomePage<'_> {
    fn form_href(&self, f: &FormLink) -> String {
        format!("/entry/{}/{}", urlencode(&f.unit), urlencode(&f.period))
    }

    fn report_href(&self) -> Option<String> {
        let (s, p) = self.current.as_ref()?;
        let u = self.own_unit.as_ref()?;
        Some(format!(
            "/report/{}/{}/{}",
            urlencode(s),
            urlencode(p),
            urlencode(u)
        ))
    }

    fn dashboard_href(&self) -> Option<String> {
        let (s, p) = self.current.as_ref()?;
        Some(format!("/dashboard/{}/{}", urlencode(s), urlencode(p)))
    }

    fn is(&self, role: &str) -> bool {
        self.ctx.role().code() == role
    }
}
