//! Data entry (填报): one form per unit and period with every indicator the unit reports —
//! its definition, unit of measure, target and worked example beside the fields; rates
//! computed from their numerator and denominator as they are typed; evidence; save or submit.
//! A number that serves several indicators or schemes is asked for once (最多报一次).

use super::i18n::L;
use super::{CsrfQuery, Ctx, Page, render, see_other, state_label, urlencode};
use crate::api::extract::{Json, Path as ApiPath};
use crate::api::values::{SaveBody, TransitionBody, ValueView};
use crate::error::{ApiError, ApiResult};
use crate::live::Live;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use jixiao_core::Decimal;
use jixiao_core::access::{Action, Principal, can};
use jixiao_core::formula::Shift;
use jixiao_core::model::{ElemId, Model, leaf_slots};
use jixiao_core::period::Period;
use jixiao_core::scheme::{Source, ValueKind};
use jixiao_core::text::Text;
use std::collections::{BTreeMap, HashSet};

/// An indicator on the form, with the numbers the unit reports for it.
pub struct GroupSpec {
    pub code: String,
    pub name: Text,
    pub definition: Option<Text>,
    pub example: Option<Text>,
    pub unit: String,
    pub target: Option<Decimal>,
    pub points: Decimal,
    pub method: Text,
    pub elements: Vec<ElementSpec>,
    /// The indicator's actual value when a formula computes it from the fields (a rate).
    pub computed: Option<ElementSpec>,
}

pub struct ElementSpec {
    pub code: String,
    pub name: Text,
    pub unit: String,
    pub definition: Option<Text>,
    pub percent: bool,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    /// Counts of events reported only when they happen: no record means none, so an empty
    /// field is not missing.
    pub optional: bool,
}

fn spec(m: &Model, e: ElemId) -> ElementSpec {
    let e = &m.elements[e as usize];
    ElementSpec {
        code: e.code.to_string(),
        name: e.def.name.clone(),
        unit: e.def.unit.clone(),
        definition: e.def.definition.clone(),
        percent: e.def.kind == ValueKind::Percent,
        min: e.def.min,
        max: e.def.max,
        optional: e.def.absent_is_zero,
    }
}

/// The elements a formula or a slot list reads in the current period (a computed element's
/// own inputs, recursively), in order, without repeats.
pub fn inputs(m: &Model, e: ElemId, out: &mut Vec<ElemId>) {
    match &m.elements[e as usize].formula {
        Some((_, expr)) => {
            let mut vars = Vec::new();
            expr.vars(&mut vars);
            for (v, shift) in vars {
                if shift == Shift::Current {
                    inputs(m, v, out);
                }
            }
        }
        None => {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
}

/// The form of `unit` for `period`: every indicator of every scheme assessing the unit in that
/// period, with the elements this caller may enter for it. Each element appears once, under
/// the first indicator that reads it.
pub fn layout(live: &Live, p: &Principal, unit: &str, period: Period) -> Vec<GroupSpec> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut groups = Vec::new();
    for s in live.schemes.values() {
        if !s.periods.contains_key(&period) {
            continue;
        }
        let m = &s.model;
        let Some((cid, _)) = m.unit(unit).and_then(|u| m.class_of(u)) else {
            continue;
        };
        let c = &m.classes[cid as usize];
        let reportable = |e: ElemId| {
            let el = &m.elements[e as usize];
            el.formula.is_none()
                && el.def.source != Source::Computed
                && el.def.frequency == period.granularity()
                && can(
                    p,
                    Action::EditValue {
                        unit,
                        element: el.code.as_str(),
                    },
                    live,
                )
        };
        let mut push = |code: String,
                        name: Text,
                        slots: Vec<u32>,
                        leaf: Option<&jixiao_core::model::LeafModel>,
                        groups: &mut Vec<GroupSpec>| {
            let mut elems = Vec::new();
            for sl in slots {
                let slot = &c.slots[sl as usize];
                if slot.shift == Shift::Current {
                    inputs(m, slot.elem, &mut elems);
                }
            }
            let fields: Vec<ElementSpec> = elems
                .into_iter()
                .filter(|e| reportable(*e))
                .filter(|e| seen.insert(m.elements[*e as usize].code.to_string()))
                .map(|e| spec(m, e))
                .collect();
            if fields.is_empty() {
                return;
            }
            let computed = leaf.and_then(|l| match &l.actual {
                jixiao_core::model::Actual::Slot(sl) => {
                    let e = c.slots[*sl as usize].elem;
                    m.elements[e as usize].formula.as_ref().map(|_| spec(m, e))
                }
                _ => None,
            });
            let def = leaf.and_then(|l| {
                m.scheme.classes.get(&c.code).and_then(|sc| {
                    sc.indicators()
                        .into_iter()
                        .find(|i| i.code.as_str() == l.code.as_str())
                })
            });
            groups.push(GroupSpec {
                code,
                name,
                definition: def.and_then(|d| d.definition.clone()),
                example: def.and_then(|d| d.example.clone()),
                unit: leaf.map(|l| l.unit.clone()).unwrap_or_default(),
                target: leaf.and_then(|l| l.target),
                points: leaf.map(|l| l.points).unwrap_or_default(),
                method: leaf.map(|l| l.kind.name()).unwrap_or_default(),
                elements: fields,
                computed,
            });
        };
        for leaf in &c.leaves {
            push(
                leaf.code.to_string(),
                leaf.name.clone(),
                leaf_slots(leaf),
                Some(leaf),
                &mut groups,
            );
        }
        for a in c.bonus.iter().chain(&c.deductions) {
            push(
                a.code.to_string(),
                a.name.clone(),
                vec![a.slot],
                None,
                &mut groups,
            );
        }
        for v in &c.vetoes {
            let mut slots = Vec::new();
            match &v.trigger {
                jixiao_core::model::VetoTrigger::Slot(s) => slots.push(*s),
                jixiao_core::model::VetoTrigger::Condition(_, e) => e.vars(&mut slots),
            }
            push(v.code.to_string(), v.name.clone(), slots, None, &mut groups);
        }
    }
    groups
}

/// A form the caller has to fill: how many of its numbers are still to be entered or
/// submitted, how many came back.
pub struct FormLink {
    pub unit: String,
    pub unit_name: Text,
    pub period: String,
    pub fields: usize,
    pub todo: usize,
    pub returned: usize,
    pub deadline: Option<String>,
    pub overdue: bool,
}

/// Every form in the caller's scope for the open periods.
pub fn forms_for(live: &Live, p: &Principal) -> Vec<FormLink> {
    let Some(root) = p.unit.as_deref() else {
        return Vec::new();
    };
    let now = jixiao_store::now();
    let mut out: BTreeMap<(String, String), FormLink> = BTreeMap::new();
    let Some(org) = &live.org else {
        return Vec::new();
    };
    for u in &org.units {
        let code = u.code.as_str();
        if !jixiao_core::access::Scope::within(live, code, root) {
            continue;
        }
        for pr in live.periods.iter().filter(|pr| pr.status == "open") {
            let Ok(period) = Period::parse(&pr.period) else {
                continue;
            };
            if out.contains_key(&(code.to_owned(), pr.period.clone())) {
                continue;
            }
            let groups = layout(live, p, code, period);
            let codes: Vec<&str> = groups
                .iter()
                .flat_map(|g| g.elements.iter())
                .filter(|e| !e.optional)
                .map(|e| e.code.as_str())
                .collect();
            if codes.is_empty() {
                continue;
            }
            let states: Vec<Option<&str>> = codes
                .iter()
                .map(|e| {
                    live.values
                        .get(&(code.to_owned(), (*e).to_owned(), pr.period.clone()))
                        .map(|r| r.state.as_str())
                })
                .collect();
            let todo = states
                .iter()
                .filter(|s| matches!(s, None | Some("draft") | Some("returned")))
                .count();
            let returned = states.iter().filter(|s| **s == Some("returned")).count();
            let deadline = pr.deadline.clone();
            out.insert(
                (code.to_owned(), pr.period.clone()),
                FormLink {
                    unit: code.to_owned(),
                    unit_name: u.name.clone(),
                    period: pr.period.clone(),
                    fields: codes.len(),
                    todo,
                    returned,
                    overdue: todo > 0 && deadline.as_deref().is_some_and(|d| d < now.as_str()),
                    deadline,
                },
            );
        }
    }
    let mut v: Vec<FormLink> = out.into_values().collect();
    // What needs doing first: returned, then unfinished, newest period first.
    v.sort_by(|a, b| {
        (b.returned > 0, b.todo > 0, &b.period, &a.unit).cmp(&(
            a.returned > 0,
            a.todo > 0,
            &a.period,
            &b.unit,
        ))
    });
    v
}

#[derive(Template)]
#[template(path = "entry_index.html")]
struct IndexPage<'a> {
    ctx: &'a Ctx,
    forms: Vec<FormLink>,
}

#[derive(serde::Deserialize, Default)]
pub struct IndexQuery {
    pub format: Option<String>,
}

pub async fn index(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> Response {
    let r = async {
        page.require_signed_in()?;
        let l = page.ctx.l;
        let live = state.live.read().await;
        let forms = forms_for(&live, &page.caller.principal);
        drop(live);
        if super::xlsx::wanted(&q.format) {
            use super::xlsx::Cell;
            let headers = [
                "col-code",
                "col-unit",
                "col-period",
                "entry-fields",
                "entry-todo",
                "entry-returned",
                "col-deadline",
            ]
            .map(|k| l.t(k))
            .to_vec();
            let rows = forms
                .iter()
                .map(|f| {
                    vec![
                        Cell::from(f.unit.as_str()),
                        l.plain(&f.unit_name).into(),
                        f.period.as_str().into(),
                        Cell::Num(Decimal::from(f.fields as u64)),
                        Cell::Num(Decimal::from(f.todo as u64)),
                        Cell::Num(Decimal::from(f.returned as u64)),
                        f.deadline.clone().unwrap_or_default().into(),
                    ]
                })
                .collect();
            let name = l.t("entry-index-title");
            return super::xlsx::one_sheet(&name, headers, rows);
        }
        render(&IndexPage {
            ctx: &page.ctx,
            forms,
        })
    }
    .await;
    page.finish(r)
}

/// A field as shown: its spec, the value, what may be done, what the person typed (kept when
/// a save fails) and the problem beside it.
pub struct FieldView {
    pub spec: ElementSpec,
    pub view: ValueView,
    pub input: String,
    pub note: String,
    pub error: Option<String>,
}

impl FieldView {
    pub fn state(&self, l: &L) -> String {
        state_label(*l, self.view.row.as_ref().map_or("", |r| r.state.as_str()))
    }

    pub fn state_code(&self) -> &str {
        self.view.row.as_ref().map_or("empty", |r| r.state.as_str())
    }

    pub fn editable(&self) -> bool {
        self.view.allowed.iter().any(|a| a == "save")
    }

    pub fn version(&self) -> String {
        self.view
            .row
            .as_ref()
            .map(|r| r.version.to_string())
            .unwrap_or_default()
    }

    pub fn return_reason(&self) -> &str {
        self.view
            .row
            .as_ref()
            .filter(|r| r.state == "returned")
            .map_or("", |r| r.return_reason.as_str())
    }

    pub fn range(&self, l: &L) -> String {
        match (&self.spec.min, &self.spec.max) {
            (Some(a), Some(b)) => l.ta(
                "entry-range",
                &[("min", &l.num(a, 4)), ("max", &l.num(b, 4))],
            ),
            (Some(a), None) => l.ta("entry-min", &[("min", &l.num(a, 4))]),
            (None, Some(b)) => l.ta("entry-max", &[("max", &l.num(b, 4))]),
            (None, None) => String::new(),
        }
    }
}

pub struct GroupView {
    pub spec: GroupSpec,
    pub fields: Vec<FieldView>,
    /// The computed actual from the values shown (a rate), if every input has a value.
    pub computed: Option<Decimal>,
}

#[derive(Template)]
#[template(path = "entry.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    unit: String,
    unit_name: Text,
    period: String,
    groups: Vec<GroupView>,
    message: Option<String>,
    can_submit: bool,
    locked: bool,
}

fn unit_name(live: &Live, unit: &str) -> Option<Text> {
    live.org
        .as_ref()?
        .units
        .iter()
        .find(|u| u.code.as_str() == unit)
        .map(|u| u.name.clone())
}

/// Evaluates a computed element for `unit` and `period` on the numbers typed into the form;
/// what the formula reads from other periods (last year's figure) comes from the stored values.
pub fn compute(
    live: &Live,
    unit: &str,
    period: Period,
    element: &str,
    inputs: &BTreeMap<String, Decimal>,
) -> Option<Decimal> {
    let (s, e) = live.element(element)?;
    let (_, expr) = e.formula.as_ref()?;
    let m = &s.model;
    expr.num(&|(id, shift): (ElemId, Shift)| {
        let code = m.elements[id as usize].code.as_str();
        let at = match shift {
            Shift::Current => {
                return inputs.get(code).copied().or_else(|| {
                    m.elements[id as usize]
                        .formula
                        .as_ref()
                        .and_then(|_| compute(live, unit, period, code, inputs))
                });
            }
            Shift::Previous => period.previous(),
            Shift::YearEarlier => period.year_earlier(),
        };
        live.values
            .get(&(unit.to_owned(), code.to_owned(), at.to_string()))
            .and_then(|r| r.value.parse().ok())
    })
    .ok()
}

async fn build(
    page: &Page,
    state: &AppState,
    unit: &str,
    period: &str,
    typed: &BTreeMap<String, (String, String)>,
    errors: &BTreeMap<String, String>,
) -> ApiResult<(Vec<GroupView>, Text)> {
    let p = Period::parse(period).map_err(|_| ApiError::not_found("期间", "period"))?;
    let (specs, name) = {
        let live = state.live.read().await;
        if !can(&page.caller.principal, Action::ReadUnit { unit }, &*live) {
            return Err(ApiError::forbidden());
        }
        let name = unit_name(&live, unit).ok_or_else(|| ApiError::not_found("单位", "unit"))?;
        (layout(&live, &page.caller.principal, unit, p), name)
    };
    if specs.is_empty() {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "nothing_to_report",
            Text::new(
                "您在该单位、该期间没有需要填报的数据",
                "you have nothing to report for this unit and period",
            ),
        ));
    }
    let mut groups = Vec::new();
    for g in specs {
        let mut fields = Vec::new();
        for e in std::mem::take(&mut { g.elements }) {
            let Json(view) = crate::api::values::get(
                State(state.clone()),
                page.caller.clone(),
                ApiPath((unit.to_owned(), e.code.clone(), period.to_owned())),
            )
            .await?;
            let (input, note) = match typed.get(&e.code) {
                Some((v, n)) => (v.clone(), n.clone()),
                None => view
                    .row
                    .as_ref()
                    .map(|r| (r.value.clone(), r.note.clone()))
                    .unwrap_or_default(),
            };
            fields.push(FieldView {
                error: errors.get(&e.code).cloned(),
                spec: e,
                view,
                input,
                note,
            });
        }
        let computed = match &g.computed {
            Some(c) => {
                let inputs: BTreeMap<String, Decimal> = fields
                    .iter()
                    .filter_map(|f| {
                        jixiao_core::data::parse_number(f.input.trim_end_matches('%'))
                            .map(|v| (f.spec.code.clone(), v))
                    })
                    .collect();
                let live = state.live.read().await;
                compute(&live, unit, p, &c.code, &inputs)
            }
            None => None,
        };
        groups.push(GroupView {
            spec: GroupSpec {
                elements: Vec::new(),
                ..g
            },
            fields,
            computed,
        });
    }
    Ok((groups, name))
}

fn form_page(
    page: &Page,
    unit: String,
    period: String,
    groups: Vec<GroupView>,
    name: Text,
    message: Option<String>,
) -> ApiResult<Response> {
    let can_submit = groups
        .iter()
        .flat_map(|g| &g.fields)
        .any(|f| f.editable() || f.view.allowed.iter().any(|a| a == "submit"));
    let locked = groups.iter().flat_map(|g| &g.fields).any(|f| f.view.locked);
    render(&FormPage {
        ctx: &page.ctx,
        unit,
        unit_name: name,
        period,
        groups,
        message,
        can_submit,
        locked,
    })
}

#[derive(serde::Deserialize)]
pub struct FormQuery {
    pub saved: Option<String>,
}

pub async fn form(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
    Query(q): Query<FormQuery>,
) -> Response {
    let r = async {
        page.require_signed_in()?;
        let (groups, name) = build(
            &page,
            &state,
            &unit,
            &period,
            &BTreeMap::new(),
            &BTreeMap::new(),
        )
        .await?;
        let message = match q.saved.as_deref() {
            Some("submit") => Some(page.ctx.l.t("entry-submitted")),
            Some("save") => Some(page.ctx.l.t("entry-saved")),
            Some("evidence") => Some(page.ctx.l.t("entry-evidence-added")),
            _ => None,
        };
        form_page(&page, unit, period, groups, name, message)
    }
    .await;
    page.finish(r)
}

/// Saves every changed number as a draft and, for "submit", submits everything that can be.
/// All numbers are checked before anything is written; a number with a problem is shown with
/// the problem beside it and nothing is saved.
pub async fn save(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let get = |k: &str| super::field(&pairs, k);
        page.check_csrf(get("_csrf"))?;
        let submit = get("action") == "submit";
        let mut typed: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (k, v) in &pairs {
            if let Some(e) = k.strip_prefix("v:") {
                typed.entry(e.to_owned()).or_default().0 = v.trim().to_owned();
            } else if let Some(e) = k.strip_prefix("n:") {
                typed.entry(e.to_owned()).or_default().1 = v.trim().to_owned();
            }
        }
        apply_form(&page, &state, unit, period, typed, submit).await
    }
    .await;
    page.finish(r)
}

/// Checks every typed number, then saves the changed ones as drafts and, for a submit,
/// submits everything that can be. Nothing is saved when any number has a problem: the form
/// comes back with each problem beside its field.
async fn apply_form(
    page: &Page,
    state: &AppState,
    unit: String,
    period: String,
    typed: BTreeMap<String, (String, String)>,
    submit: bool,
) -> ApiResult<Response> {
    let (groups, name) = build(page, state, &unit, &period, &typed, &BTreeMap::new()).await?;
    let l = page.ctx.l;
    // First pass: what changes, and is each number valid?
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let mut changes: Vec<(String, String, String, Option<i64>)> = Vec::new();
    for f in groups.iter().flat_map(|g| &g.fields) {
        if !f.editable() {
            continue;
        }
        let row = f.view.row.as_ref();
        let same = row.is_some_and(|r| {
            jixiao_core::data::parse_number(&f.input) == jixiao_core::data::parse_number(&r.value)
                && f.note == r.note
        });
        if f.input.is_empty() || same {
            continue;
        }
        if let Err(e) = crate::api::values::parse_value(state, &f.spec.code, &f.input).await {
            errors.insert(f.spec.code.clone(), problem_text(l, &e));
            continue;
        }
        changes.push((
            f.spec.code.clone(),
            f.input.clone(),
            f.note.clone(),
            row.map(|r| r.version),
        ));
    }
    if !errors.is_empty() {
        let (groups, name) = build(page, state, &unit, &period, &typed, &errors).await?;
        let msg = l.ta("entry-not-saved", &[("count", &errors.len())]);
        let mut resp = form_page(page, unit, period, groups, name, Some(msg))?;
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    }
    drop((groups, name));
    for (element, value, note, version) in changes {
        crate::api::values::save(
            State(state.clone()),
            page.caller.clone(),
            ApiPath((unit.clone(), element, period.clone())),
            Json(SaveBody {
                value,
                note,
                version,
            }),
        )
        .await?;
    }
    if submit {
        let (groups, _) = build(
            page,
            state,
            &unit,
            &period,
            &BTreeMap::new(),
            &BTreeMap::new(),
        )
        .await?;
        for f in groups.iter().flat_map(|g| &g.fields) {
            let Some(row) = &f.view.row else { continue };
            if f.view.allowed.iter().any(|a| a == "submit") {
                crate::api::values::transition(
                    State(state.clone()),
                    page.caller.clone(),
                    ApiPath((
                        unit.clone(),
                        f.spec.code.clone(),
                        period.clone(),
                        "submit".to_owned(),
                    )),
                    Json(TransitionBody {
                        version: row.version,
                        reason: String::new(),
                    }),
                )
                .await?;
            }
        }
    }
    let to = format!(
        "/entry/{}/{}?saved={}",
        urlencode(&unit),
        urlencode(&period),
        if submit { "submit" } else { "save" }
    );
    Ok(see_other(&to))
}

/// The problem's message (and its first detail) in the page's language.
pub fn problem_text(l: L, e: &ApiError) -> String {
    let key = if l.is_en() { "en" } else { "zh" };
    let detail = e
        .extensions
        .get("issues")
        .and_then(|i| i.as_array())
        .and_then(|a| a.first())
        .and_then(|i| i.get("message"))
        .and_then(|m| m.get(key).or_else(|| m.get("zh")))
        .and_then(|s| s.as_str());
    match detail {
        Some(d) => d.to_owned(),
        None => l.plain(&e.message).to_owned(),
    }
}

/// Attaches an evidence file to one value (the form's file field). The token travels in the
/// query because the multipart body is streamed to the API's upload as it is.
pub async fn evidence(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period, element)): Path<(String, String, String)>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        crate::api::values::upload_evidence(
            State(state.clone()),
            page.caller.clone(),
            ApiPath((unit.clone(), element, period.clone())),
            form,
        )
        .await?;
        Ok(see_other(&format!(
            "/entry/{}/{}?saved=evidence",
            urlencode(&unit),
            urlencode(&period)
        )))
    }
    .await;
    page.finish(r)
}

/// A computed value (a rate) from numbers typed into the form, for the live preview.
pub async fn preview(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period, element)): Path<(String, String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if page.require_signed_in().is_err() {
        return axum::http::StatusCode::UNAUTHORIZED.into_response();
    }
    let inputs: BTreeMap<String, Decimal> = q
        .iter()
        .filter_map(|(k, v)| {
            jixiao_core::data::parse_number(v.trim().trim_end_matches('%')).map(|d| (k.clone(), d))
        })
        .collect();
    let Ok(period) = Period::parse(&period) else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    let live = state.live.read().await;
    if !can(
        &page.caller.principal,
        Action::ReadUnit { unit: &unit },
        &*live,
    ) {
        return axum::http::StatusCode::FORBIDDEN.into_response();
    }
    let decimals = live
        .element(&element)
        .map_or(2, |(s, _)| s.model.display_decimals());
    let v = compute(&live, &unit, period, &element, &inputs);
    axum::Json(serde_json::json!({
        "value": v.map(|d| page.ctx.l.num(&d, decimals)),
    }))
    .into_response()
}

/// The columns of the form's workbook; the upload reads the code, the value and the note.
const TEMPLATE_COLUMNS: [&str; 8] = [
    "col-code",
    "entry-xlsx-indicator",
    "col-item",
    "entry-xlsx-unit",
    "entry-definition",
    "value-state",
    "entry-xlsx-value",
    "entry-note",
];
const COL_CODE: usize = 0;
const COL_VALUE: usize = 6;
const COL_NOTE: usize = 7;

/// The form as an Excel workbook, one row per number, to fill in offline and upload.
pub async fn template(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
) -> Response {
    let r = async {
        page.require_signed_in()?;
        let l = page.ctx.l;
        let (groups, name) = build(
            &page,
            &state,
            &unit,
            &period,
            &BTreeMap::new(),
            &BTreeMap::new(),
        )
        .await?;
        let rows = groups
            .iter()
            .flat_map(|g| g.fields.iter().map(move |f| (g, f)))
            .map(|(g, f)| {
                vec![
                    super::xlsx::Cell::from(f.spec.code.as_str()),
                    l.plain(&g.spec.name).into(),
                    l.plain(&f.spec.name).into(),
                    jixiao_core::text::measure(
                        &f.spec.unit,
                        if l.is_en() {
                            jixiao_core::text::Lang::En
                        } else {
                            jixiao_core::text::Lang::Zh
                        },
                    )
                    .into(),
                    f.spec.definition.as_ref().map_or("", |d| l.plain(d)).into(),
                    f.state(&l).into(),
                    f.input.as_str().into(),
                    f.note.as_str().into(),
                ]
            })
            .collect();
        let title = format!("{unit}-{period}");
        super::xlsx::download(
            &format!("{title}-{}", l.plain(&name)),
            &[super::xlsx::Sheet {
                name: title,
                headers: TEMPLATE_COLUMNS.map(|k| l.t(k)).to_vec(),
                rows,
            }],
        )
    }
    .await;
    page.finish(r)
}

fn upload_problem(problems: Vec<Text>) -> ApiError {
    let mut issues = jixiao_core::issue::Issues::new();
    for p in problems {
        issues.push(jixiao_core::issue::Issue::error(
            "bad_upload",
            "xlsx",
            jixiao_core::issue::Location::path(""),
            p,
        ));
    }
    ApiError::invalid(&issues)
}

/// Column letters as Excel shows them.
fn column(i: usize) -> char {
    (b'A' + i as u8) as char
}

/// Reads a filled-in workbook of the form and saves its numbers as drafts, exactly as the form
/// would: every number checked first, nothing saved when any has a problem. Problems name the
/// row and column.
pub async fn upload(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
    Query(q): Query<CsrfQuery>,
    mut form: Multipart,
) -> Response {
    let r = async {
        use calamine::{Data, Reader};
        page.check_csrf(&q.csrf)?;
        const MAX: usize = 5 * 1024 * 1024;
        let mut file: Option<(String, Vec<u8>)> = None;
        while let Some(field) = form.next_field().await.map_err(|e| {
            ApiError::bad_request("bad_upload", Text::new(format!("上传失败：{e}"), format!("upload failed: {e}")))
        })? {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("upload.xlsx").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    ApiError::bad_request("bad_upload", Text::new(format!("上传失败：{e}"), format!("upload failed: {e}")))
                })?;
                if bytes.len() > MAX {
                    return Err(upload_problem(vec![Text::new(
                        format!("{name}：文件超过 5 MB"),
                        format!("{name}: the file is larger than 5 MB"),
                    )]));
                }
                file = Some((name, bytes.to_vec()));
            }
        }
        let (name, bytes) = file.ok_or_else(|| {
            upload_problem(vec![Text::new("请选择要上传的 Excel 文件", "choose the Excel file to upload")])
        })?;
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
            upload_problem(vec![Text::new(
                format!("{name}：不是可读的 Excel 文件（{e}）"),
                format!("{name}: not a readable Excel workbook ({e})"),
            )])
        })?;
        let sheet = wb.sheet_names().first().cloned().ok_or_else(|| {
            upload_problem(vec![Text::new(format!("{name}：没有工作表"), format!("{name}: no worksheet"))])
        })?;
        let range = wb.worksheet_range(&sheet).map_err(|e| {
            upload_problem(vec![Text::new(format!("{name}：{e}"), format!("{name}: {e}"))])
        })?;
        let text = |c: Option<&Data>| -> String {
            match c {
                Some(Data::String(s)) => s.trim().to_owned(),
                Some(Data::Float(f)) => f.to_string(),
                Some(Data::Int(i)) => i.to_string(),
                Some(Data::Empty) | None => String::new(),
                Some(other) => other.to_string(),
            }
        };
        let mut rows = range.rows();
        let header: Vec<String> = rows.next().map(|r| r.iter().map(|c| text(Some(c))).collect()).unwrap_or_default();
        let expected_zh = super::i18n::L(super::i18n::Lang::Zh).t(TEMPLATE_COLUMNS[COL_CODE]);
        let expected_en = super::i18n::L(super::i18n::Lang::En).t(TEMPLATE_COLUMNS[COL_CODE]);
        let value_zh = super::i18n::L(super::i18n::Lang::Zh).t(TEMPLATE_COLUMNS[COL_VALUE]);
        let value_en = super::i18n::L(super::i18n::Lang::En).t(TEMPLATE_COLUMNS[COL_VALUE]);
        let ok_header = header.get(COL_CODE).is_some_and(|h| *h == expected_zh || *h == expected_en)
            && header.get(COL_VALUE).is_some_and(|h| *h == value_zh || *h == value_en);
        if !ok_header {
            return Err(upload_problem(vec![Text::new(
                format!("{name} 第1行：表头不是本表的模板（A列应为“{expected_zh}”，G列应为“{value_zh}”）；请先下载本表的 Excel 模板"),
                format!("{name} row 1: the header is not this form's template (column A should read `{expected_en}`, column G `{value_en}`); download this form's Excel template first"),
            )]));
        }
        let (groups, _) = build(&page, &state, &unit, &period, &BTreeMap::new(), &BTreeMap::new()).await?;
        let fields: BTreeMap<&str, &FieldView> = groups
            .iter()
            .flat_map(|g| &g.fields)
            .map(|f| (f.spec.code.as_str(), f))
            .collect();
        let mut typed: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut problems = Vec::new();
        for (i, row) in rows.enumerate() {
            let n = i + 2;
            let code = text(row.get(COL_CODE));
            if code.is_empty() {
                continue;
            }
            let value = text(row.get(COL_VALUE));
            let note = text(row.get(COL_NOTE));
            match fields.get(code.as_str()) {
                None => problems.push(Text::new(
                    format!("{name} 第{n}行{}列：数据项“{code}”不在本表中", column(COL_CODE)),
                    format!("{name} row {n}, column {}: `{code}` is not on this form", column(COL_CODE)),
                )),
                Some(_) if typed.contains_key(&code) => problems.push(Text::new(
                    format!("{name} 第{n}行：数据项“{code}”重复出现", ),
                    format!("{name} row {n}: `{code}` appears twice"),
                )),
                Some(f) if !f.editable() => {
                    let current = f.view.row.as_ref().map(|r| r.value.as_str()).unwrap_or("");
                    if !value.is_empty() && jixiao_core::data::parse_number(&value) != jixiao_core::data::parse_number(current) {
                        problems.push(Text::new(
                            format!("{name} 第{n}行{}列：“{code}”当前状态不能修改", column(COL_VALUE)),
                            format!("{name} row {n}, column {}: `{code}` cannot be changed in its current state", column(COL_VALUE)),
                        ));
                    }
                }
                Some(_) => {
                    if !value.is_empty()
                        && let Err(e) = crate::api::values::parse_value(&state, &code, &value).await
                    {
                        let (zh, en) = (problem_text(super::i18n::L(super::i18n::Lang::Zh), &e), problem_text(super::i18n::L(super::i18n::Lang::En), &e));
                        problems.push(Text::new(
                            format!("{name} 第{n}行{}列：{zh}", column(COL_VALUE)),
                            format!("{name} row {n}, column {}: {en}", column(COL_VALUE)),
                        ));
                    }
                    typed.insert(code, (value, note));
                }
            }
        }
        if !problems.is_empty() {
            return Err(upload_problem(problems));
        }
        apply_form(&page, &state, unit, period, typed, false).await
    }
    .await;
    page.finish(r)
}
