//! The import page: upload a CSV, Excel or JSON file of values, check it (dry run) or import
//! it, all or nothing or the valid rows only, and read the report — or download it as a
//! workbook with each problem's value highlighted.

use super::xlsx::{Cell, Sheet};
use super::{CsrfQuery, Ctx, Page, render};
use crate::error::ApiError;
use crate::import::{Mode, Report};
use crate::state::AppState;
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
}

/// What templates can be asked for: schemes, their classes, their periods.
#[derive(Default)]
pub struct Choices {
    pub schemes: Vec<(String, String)>,
    /// (class code, label "scheme · class")
    pub classes: Vec<(String, String)>,
    pub periods: Vec<String>,
}

async fn choices(state: &AppState, l: super::i18n::L) -> Choices {
    let live = state.live.read().await;
    let mut c = Choices::default();
    for s in live.schemes.values() {
        c.schemes.push((
            s.row.code.clone(),
            l.plain(&s.model.scheme.title).to_owned(),
        ));
        for cl in &s.model.classes {
            c.classes.push((
                cl.code.to_string(),
                format!("{} · {}", s.row.code, l.plain(&cl.name)),
            ));
        }
        for p in s.periods.keys() {
            let p = p.to_string();
            if !c.periods.contains(&p) {
                c.periods.push(p);
            }
        }
    }
    c.periods.sort();
    c
}

impl ImportPage<'_> {
    fn message(&self, zh: &str, en: &str) -> String {
        if self.ctx.l.is_en() { en } else { zh }.to_owned()
    }
}

pub async fn form(page: Page, State(state): State<AppState>) -> Response {
    let r = async {
        page.require_signed_in()?;
        render(&ImportPage {
            ctx: &page.ctx,
            report: None,
            choices: choices(&state, page.ctx.l).await,
        })
    }
    .await;
    page.finish(r)
}

/// Reads the form: the file, and the choices that travel with it.
pub async fn fields(
    mut form: Multipart,
) -> Result<(String, Vec<u8>, Vec<(String, String)>), ApiError> {
    let bad = |e: String| {
        ApiError::bad_request(
            "bad_upload",
            Text::new(format!("上传失败：{e}"), format!("upload failed: {e}")),
        )
    };
    let mut file = None;
    let mut rest = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.to_string()))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let fname = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(|e| bad(e.to_string()))?;
            file = Some((fname, bytes.to_vec()));
        } else {
            let v = field.text().await.map_err(|e| bad(e.to_string()))?;
            rest.push((name, v));
        }
    }
    let (n, b) = file.ok_or_else(|| {
        ApiError::bad_request(
            "bad_upload",
            Text::new("请选择要导入的文件", "choose a file to import"),
        )
    })?;
    Ok((n, b, rest))
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
        let report =
            crate::import::import(&state, &page.caller, &name, &bytes, mode, dry_run, period)
                .await?;
        if as_xlsx {
            return report_workbook(&page, &report);
        }
        render(&ImportPage {
            ctx: &page.ctx,
            report: Some(report),
            choices: choices(&state, page.ctx.l).await,
        })
    }
    .await;
    page.finish(r)
}

/// The report as a workbook: a summary, then every problem with its value highlighted.
fn report_workbook(page: &Page, r: &Report) -> Result<Response, ApiError> {
    let l = page.ctx.l;
    let summary = Sheet {
        name: l.t("import-summary"),
        headers: [
            "import-file",
            "import-rows",
            "import-imported",
            "import-updated",
            "import-unchanged",
            "import-rejected",
        ]
        .map(|k| l.t(k))
        .to_vec(),
        rows: vec![vec![
            Cell::from(r.file.as_str()),
            Cell::Num(r.rows.into()),
            Cell::Num(r.imported.into()),
            Cell::Num(r.updated.into()),
            Cell::Num(r.unchanged.into()),
            Cell::Num(r.rejected.into()),
        ]],
    };
    let problems = Sheet {
        name: l.t("import-problems"),
        headers: [
            "import-file",
            "import-row",
            "import-column",
            "col-value",
            "import-reason",
            "import-reason-en",
        ]
        .map(|k| l.t(k))
        .to_vec(),
        rows: r
            .problems
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
    };
    super::xlsx::download(
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
/// The header and the unit columns are protected; each value column accepts numbers only, in
/// the element's range; each heading carries a note with the code, unit and definition.
pub async fn template(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<TemplateQuery>,
) -> Response {
    let r = async {
        page.require_signed_in()?;
        let l = page.ctx.l;
        let period = jixiao_core::period::Period::parse(&q.period)
            .map_err(|_| ApiError::not_found("期间", "period"))?;
        let live = state.live.read().await;
        let s = live
            .scheme(&q.scheme)
            .ok_or_else(|| ApiError::not_found("已发布的方案", "published scheme"))?;
        let cid = s
            .model
            .class_ix
            .get(q.class.as_str())
            .copied()
            .ok_or_else(|| ApiError::not_found("类别", "class"))?;
        let class = &s.model.classes[cid as usize];
        let mut units = Vec::new();
        let mut columns: Vec<super::entry::ElementSpec> = Vec::new();
        for &u in &class.members {
            let unit = &s.model.units[u as usize];
            let groups =
                super::entry::layout(&live, &page.caller.principal, unit.code.as_str(), period);
            if groups.is_empty() {
                continue;
            }
            for e in groups.into_iter().flat_map(|g| g.elements) {
                if !columns.iter().any(|c| c.code == e.code) {
                    columns.push(e);
                }
            }
            units.push((unit.code.to_string(), l.plain(&unit.name).to_owned()));
        }
        if units.is_empty() {
            return Err(ApiError::forbidden());
        }
        let values: Vec<Vec<Option<String>>> = units
            .iter()
            .map(|(u, _)| {
                columns
                    .iter()
                    .map(|c| {
                        live.values
                            .get(&(u.clone(), c.code.clone(), q.period.clone()))
                            .map(|r| r.value.clone())
                    })
                    .collect()
            })
            .collect();
        let class_name = l.plain(&class.name).to_owned();
        drop(live);
        let bytes = class_template(l, &q.period, &units, &columns, &values)
            .map_err(|e| ApiError::internal(&e))?;
        let file = format!("{}-{}-{}", q.scheme, class_name, q.period);
        Ok(axum::response::IntoResponse::into_response((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"template.xlsx\"; filename*=UTF-8''{}.xlsx",
                        super::urlencode(&file)
                    ),
                ),
            ],
            bytes,
        )))
    }
    .await;
    page.finish(r)
}

fn class_template(
    l: super::i18n::L,
    period: &str,
    units: &[(String, String)],
    columns: &[super::entry::ElementSpec],
    values: &[Vec<Option<String>>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_decimal::prelude::ToPrimitive;
    use rust_xlsxwriter::{
        Color, DataValidation, DataValidationRule, Format, FormatBorder, Note, Workbook,
    };
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(period)?;
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let fixed = Format::new()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xF2F2F2));
    let input = Format::new().set_border(FormatBorder::Thin).set_unlocked();
    let lang = if l.is_en() {
        jixiao_core::text::Lang::En
    } else {
        jixiao_core::text::Lang::Zh
    };
    let fixed_heads = [
        l.t("template-unit-code"),
        l.t("template-unit-name"),
        l.t("col-period"),
    ];
    for (i, h) in fixed_heads.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, h, &head)?;
    }
    ws.set_column_width(0, 12)?;
    ws.set_column_width(1, 22)?;
    ws.set_column_width(2, 10)?;
    for (j, c) in columns.iter().enumerate() {
        let col = (j + 3) as u16;
        // The heading is the element's Chinese name (what the import recognises in either
        // language); the note says what to enter.
        ws.write_string_with_format(0, col, &c.name.zh, &head)?;
        ws.set_column_width(col, 16)?;
        let mut note = format!("{} · {}", c.code, l.plain(&c.name));
        let measure = jixiao_core::text::measure(&c.unit, lang);
        if !measure.is_empty() {
            note.push_str(&format!(" · {measure}"));
        }
        if let Some(d) = &c.definition {
            note.push_str(&format!("\n{}", l.plain(d)));
        }
        ws.insert_note(0, col, &Note::new(note).set_author("jixiao"))?;
        let rule = match (
            c.min.and_then(|m| m.to_f64()),
            c.max.and_then(|m| m.to_f64()),
        ) {
            (Some(a), Some(b)) => DataValidationRule::Between(a, b),
            (Some(a), None) => DataValidationRule::GreaterThanOrEqualTo(a),
            (None, Some(b)) => DataValidationRule::LessThanOrEqualTo(b),
            (None, None) => DataValidationRule::Between(-1e15, 1e15),
        };
        let dv = DataValidation::new()
            .allow_decimal_number(rule)
            .set_error_title(l.t("template-error-title"))?
            .set_error_message(l.t("template-error"))?;
        if !units.is_empty() {
            ws.add_data_validation(1, col, units.len() as u32, col, &dv)?;
        }
    }
    for (i, (code, name)) in units.iter().enumerate() {
        let row = (i + 1) as u32;
        ws.write_string_with_format(row, 0, code, &fixed)?;
        ws.write_string_with_format(row, 1, name, &fixed)?;
        ws.write_string_with_format(row, 2, period, &fixed)?;
        for (j, v) in values[i].iter().enumerate() {
            let col = (j + 3) as u16;
            match v.as_deref().and_then(|s| s.parse::<f64>().ok()) {
                Some(n) => ws.write_number_with_format(row, col, n, &input)?,
                None => ws.write_blank(row, col, &input)?,
            };
        }
    }
    ws.set_freeze_panes(1, 3)?;
    ws.protect();
    wb.save_to_buffer()
}
