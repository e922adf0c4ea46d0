//! Signing in and out, choosing one's password, the language switch, and the home page that
//! tells each person what they must do now.

use super::entry::{FormLink, forms_for};
use super::i18n::Lang;
use super::review::queue_of;
use super::{Ctx, Page, current, lang_cookie, local_path, render, see_other, urlencode};
use crate::api::auth::{LoginBody, PasswordBody};
use crate::api::extract::Json;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jixiao_core::access::{Action, Role, can};
use jixiao_core::text::Text;

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
}

pub async fn login_form(page: Page, Query(q): Query<NextQuery>) -> Response {
    let r = render(&LoginPage {
        ctx: &page.ctx,
        next: local_path(q.next.as_deref()),
        username: String::new(),
        error: None,
    });
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

/// Signs in through the API's own sign-in (same lockout, same audit); a wrong password or a
/// locked account is shown on the form.
pub async fn login(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<LoginForm>,
) -> Response {
    let Page {
        ctx,
        caller,
        session,
    } = page;
    let r = crate::api::auth::login(
        State(state),
        session,
        caller,
        Json(LoginBody {
            username: f.username.clone(),
            password: f.password,
        }),
    )
    .await;
    match r {
        Ok(Json(me)) => {
            let to = if me.must_change_password {
                "/auth/password".to_owned()
            } else {
                local_path(Some(&f.next))
            };
            see_other(&to)
        }
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let page = LoginPage {
                ctx: &ctx,
                next: local_path(Some(&f.next)),
                username: f.username,
                error: Some(ctx.l.plain(&e.message).to_owned()),
            };
            match render(&page) {
                Ok(mut resp) => {
                    *resp.status_mut() = status;
                    resp
                }
                Err(e) => e.into_response(),
            }
        }
        Err(e) => super::error_page(&ctx, &e),
    }
}

pub async fn logout(page: Page, axum::Form(f): axum::Form<CsrfForm>) -> Response {
    let Page {
        ctx,
        caller,
        session,
    } = page;
    let check = Page {
        ctx,
        caller,
        session,
    };
    if let Err(e) = check.check_csrf(&f.csrf) {
        return check.finish(Err(e));
    }
    match crate::api::auth::logout(check.session).await {
        Ok(_) => see_other("/login"),
        Err(e) => super::error_page(&check.ctx, &e),
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
        session,
    } = page;
    let problem = if f.new_password != f.repeat {
        Some(ctx.l.t("password-mismatch"))
    } else {
        match crate::api::auth::change_password(
            State(state),
            session,
            caller,
            Json(PasswordBody {
                old_password: f.old_password,
                new_password: f.new_password,
            }),
        )
        .await
        {
            Ok(_) => return see_other("/?password=changed"),
            Err(e) if e.status.is_client_error() => Some(ctx.l.plain(&e.message).to_owned()),
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

/// A value sent back, with why.
pub struct Returned {
    pub unit: String,
    pub period: String,
    pub element: Text,
    pub reason: String,
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
        let p = &page.caller.principal;
        let live = state.live.read().await;
        // What needs doing now; the data-entry page lists every form.
        let forms: Vec<FormLink> =
            if matches!(p.role, Role::Reporter | Role::Evaluator | Role::Inspector) {
                forms_for(&live, p)
                    .into_iter()
                    .filter(|f| f.todo > 0 || f.returned > 0)
                    .collect()
            } else {
                Vec::new()
            };
        let overdue = forms.iter().filter(|f| f.overdue).count();
        let review = matches!(
            p.role,
            Role::UnitLeader | Role::LeadReviewer | Role::Office | Role::Admin
        )
        .then(|| QueueCount {
            count: queue_of(&live, p).len(),
        });
        let returned: Vec<Returned> = live
            .values
            .values()
            .filter(|r| r.state == "returned")
            .filter(|r| {
                can(
                    p,
                    Action::EditValue {
                        unit: &r.unit_code,
                        element: &r.element,
                    },
                    &*live,
                ) && p.unit.is_some()
            })
            .map(|r| Returned {
                unit: r.unit_code.clone(),
                period: r.period.clone(),
                element: live.element(&r.element).map_or_else(
                    || Text::new(r.element.clone(), ""),
                    |(_, e)| e.def.name.clone(),
                ),
                reason: r.return_reason.clone(),
            })
            .collect();
        let deadlines: Vec<(String, String, String)> = live
            .periods
            .iter()
            .filter(|pr| pr.status == "open")
            .filter_map(|pr| {
                pr.deadline
                    .clone()
                    .map(|d| (pr.scheme_code.clone(), pr.period.clone(), d))
            })
            .collect();
        let cur = current(&live);
        // For those who follow the whole district: units still reporting in the current period.
        let incomplete = match &cur {
            Some((scheme, period))
                if matches!(
                    p.role,
                    Role::Office | Role::Admin | Role::Leader | Role::Finance
                ) =>
            {
                let per = jixiao_core::period::Period::parse(period).ok();
                let s = live.scheme(scheme);
                match (s, per) {
                    (Some(s), Some(per)) => Some(
                        s.model
                            .units
                            .iter()
                            .filter(|u| u.class.is_some())
                            .filter(|u| {
                                let (done, all) =
                                    super::results::completeness(&live, u.code.as_str(), per);
                                done < all
                            })
                            .count(),
                    ),
                    _ => None,
                }
            }
            _ => None,
        };
        let warnings = match (&cur, incomplete) {
            (Some((scheme, period)), Some(_)) => {
                match (
                    live.scheme(scheme),
                    jixiao_core::period::Period::parse(period).ok(),
                ) {
                    (Some(s), Some(per)) => {
                        Some(jixiao_core::warnings::evaluate(&s.model, &s.provisional, per).len())
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        drop(live);
        let appeals = jixiao_store::appeals::list(&state.store).await?;
        let appeals_open = appeals
            .iter()
            .filter(|a| a.status == "open")
            .filter(|a| match p.role {
                Role::Office | Role::Admin | Role::Leader | Role::Finance => true,
                Role::Reporter | Role::UnitLeader => p.unit.as_deref() == Some(&a.unit_code),
                _ => false,
            })
            .count();
        render(&HomePage {
            ctx: &page.ctx,
            forms,
            overdue,
            review,
            returned,
            appeals_open,
            current: cur,
            own_unit: p.unit.clone(),
            deadlines,
            password_changed: q.password.is_some(),
            incomplete,
            warnings,
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
