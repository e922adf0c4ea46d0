//! The import page: upload a CSV, Excel or JSON file of values, check it (dry run) or import
//! it, all or nothing or the valid rows only, and read the report — or download it as a
//! workbook with each problem's value highlighted; download the office's fill-in template of a
//! class. The import is [`crate::ops::imports`]'s.

use super::{CsrfQuery, Ctx, Page, render};
use crate::error::{Error, Result};
use crate::i18n::L;
use crate::ops::imports::{Mode, Report};
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet};
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::Response;
use jixiao_core::text::Text;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    ctx: &'a Ctx,
    report: Option<Report>,
    choices: Choices,
    /// The office may count the file at once (with a reason).
    may_count: bool,
}

async fn may_count(state: &AppState, page: &Page) -> bool {
    crate::ops::allow(state, &page.caller, jixiao_core::access::Action::CountValue)
        .await
        .is_ok()
}

/// What templates can be asked for: schemes, their classes, their periods.
#[derive(Default)]
pub struct Choices {
    pub schemes: Vec<(String, String)>,
    /// (class code, label "scheme · class")
    pub classes: Vec<(String, String)>,
    pub periods: Vec<String>,
}

async fn choices(state: &AppState, page: &Page) -> Result<Choices> {
    let l = page.ctx.l;
    let c = crate::ops::imports::choices(state, &page.caller).await?;
    Ok(Choices {
        schemes: c
            .schemes
            .iter()
            .map(|(code, t)| (code.clone(), l.plain(t).to_owned()))
            .collect(),
        classes: c
            .classes
            .iter()
            .map(|(code, scheme, name)| {
                // The class under its scheme's title (the code only when the scheme is gone).
                let title = c
                    .schemes
                    .iter()
                    .find(|(s, _)| s == scheme)
                    .map_or(scheme.as_str(), |(_, t)| l.plain(t));
                (code.clone(), format!("{title} · {}", l.plain(name)))
            })
            .collect(),
        periods: c.periods,
    })
}

impl ImportPage<'_> {
    fn message(&self, zh: &str, en: &str) -> String {
        if self.ctx.l.is_en() { en } else { zh }.to_owned()
    }
}

pub async fn form(page: Page, State(state): State<AppState>) -> Response {
    let r = async {
        render(&ImportPage {
            ctx: &page.ctx,
            report: None,
            choices: choices(&state, &page).await?,
            may_count: may_count(&state, &page).await,
        })
    }
    .await;
    page.finish(r)
}

/// Reads the form: the file, and the choices that travel with it.
pub async fn fields(form: Multipart) -> Result<(String, Vec<u8>, Vec<(String, String)>)> {
    let upload = crate::http::upload::read(form, || {
        Error::new(
            crate::error::Kind::TooLarge,
            "too_large",
            crate::ops::imports::too_large(),
        )
    })
    .await?;
    let file = upload.file.ok_or_else(|| {
        Error::bad_request(
            "bad_upload",
            Text::new("请选择要导入的文件", "choose a file to import"),
        )
    })?;
    Ok((
        file.name.unwrap_or_else(|| "upload".to_owned()),
        file.bytes.to_vec(),
        upload.fields,
    ))
}

pub async fn upload(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let (name, bytes, picked) = fields(form).await?;
        let get = |k: &str| super::field(&picked, k);
        let mode = if get("mode") == "valid_rows" {
            Mode::ValidRows
        } else {
            Mode::AllOrNothing
        };
        let as_xlsx = get("action") == "report";
        let dry_run = as_xlsx || get("dry_run") == "on";
        let period = Some(get("period").trim()).filter(|p| !p.is_empty());
        // The office's choice to count the file at once, with its reason.
        let counted = (get("counted") == "on").then(|| get("counted_reason"));
        let report = crate::ops::imports::import(
            &state,
            &page.caller,
            &name,
            &bytes,
            mode,
            dry_run,
            period,
            counted,
        )
        .await?;
        if as_xlsx {
            return report_workbook(page.ctx.l, &report);
        }
        render(&ImportPage {
            ctx: &page.ctx,
            report: Some(report),
            choices: choices(&state, &page).await?,
            may_count: may_count(&state, &page).await,
        })
    }
    .await;
    page.finish(r)
}

/// The report as a workbook: a summary, then every problem with its value highlighted.
fn report_workbook(l: L, r: &Report) -> Result<Response> {
    let summary = Sheet::new(
        l.t("import-summary"),
        [
            "import-file",
            "import-rows",
            "import-imported",
            "import-updated",
            "import-unchanged",
            "import-rejected",
        ]
        .map(|k| l.t(k))
        .to_vec(),
        vec![vec![
            Cell::from(r.file.as_str()),
            Cell::Num(r.rows.into()),
            Cell::Num(r.imported.into()),
            Cell::Num(r.updated.into()),
            Cell::Num(r.unchanged.into()),
            Cell::Num(r.rejected.into()),
        ]],
    );
    let problems = Sheet::new(
        l.t("import-problems"),
        [
            "import-file",
            "import-row",
            "import-column",
            "col-value",
            "import-reason",
            "import-reason-en",
        ]
        .map(|k| l.t(k))
        .to_vec(),
        r.problems
            .iter()
            .map(|p| {
                vec![
                    Cell::from(p.file.as_str()),
                    Cell::Num(p.row.into()),
                    Cell::from(p.column.clone().unwrap_or_default()),
                    Cell::Bad(p.value.clone()),
                    Cell::from(p.message.zh.as_str()),
                    Cell::from(p.message.en.as_str()),
                ]
            })
            .collect(),
    );
    crate::http::download::xlsx(
        &format!("{}-{}", r.file, l.t("import-report")),
        &[summary, problems],
    )
}

/// What a template is for.
#[derive(serde::Deserialize)]
pub struct TemplateQuery {
    pub scheme: String,
    pub class: String,
    pub period: String,
}

/// The office's layout as a template: one row per unit of a class (in the caller's scope), one
/// column per data element those units report in the period, the current values filled in.
pub async fn template(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<TemplateQuery>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let t = crate::ops::imports::class_template(
            &state,
            &page.caller,
            &q.scheme,
            &q.class,
            &q.period,
        )
        .await?;
        let units: Vec<(String, String)> = t
            .units
            .iter()
            .map(|(c, n)| (c.clone(), l.plain(n).to_owned()))
            .collect();
        let columns: Vec<crate::xlsx::TemplateColumn> = t
            .columns
            .iter()
            .map(|c| crate::xlsx::TemplateColumn {
                code: c.code.clone(),
                name: c.name.clone(),
                unit: c.unit.clone(),
                definition: c.definition.clone(),
                min: c.min,
                max: c.max,
            })
            .collect();
        let bytes = crate::xlsx::class_template(&crate::xlsx::ClassTemplate {
            lang: l.into(),
            period: &q.period,
            fixed_headings: [
                l.t("template-unit-code"),
                l.t("template-unit-name"),
                l.t("col-period"),
            ],
            error_title: l.t("template-error-title"),
            error_message: l.t("template-error"),
            units: &units,
            columns: &columns,
            values: &t.values,
        })?;
        let file = format!("{}-{}-{}", q.scheme, l.plain(&t.class_name), q.period);
        Ok(crate::http::download::attachment(
            bytes,
            crate::xlsx::MIME,
            "template.xlsx",
            &format!("{file}.xlsx"),
        ))
    }
    .await;
    page.finish(r)
}
