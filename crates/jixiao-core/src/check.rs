//! Loading and checking a scheme, an organisation and data together: what `jixiao check` runs
//! and what every other command runs before it scores anything.

use crate::data::{DataSet, duplicate_rows, in_row_order, read_csv, read_csv_deferring_duplicates};
use crate::doc::SourceText;
use crate::engine::band_index;
use crate::issue::{Issue, Issues, Location};
use crate::model::{MethodModel, Model};
use crate::values::Values;

/// A data file's name and bytes.
pub struct DataFile<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// Everything needed to score.
pub struct Loaded {
    pub model: Model,
    pub data: DataSet,
    pub values: Values,
    /// Warnings (there are no errors in a loaded set).
    pub warnings: Issues,
}

/// Checks scheme and organisation, and data if given. Returns every problem found.
pub fn check(scheme: &SourceText<'_>, org: &SourceText<'_>, data: Option<DataFile<'_>>) -> Issues {
    match (Model::from_sources(scheme, org), data) {
        (Err(issues), Some(d)) => {
            // The data can still be read for its own format problems.
            let mut all = issues;
            if let Err(e) = read_csv(d.name, d.bytes) {
                all.extend(e);
            }
            all
        }
        (Err(issues), None) => issues,
        (Ok((model, mut issues)), Some(d)) => {
            match load_data(&model, d) {
                Ok((_, _, w)) => issues.extend(w),
                Err(e) => issues.extend(e),
            }
            issues
        }
        (Ok((_, issues)), None) => issues,
    }
}

/// Loads everything, or returns every problem.
pub fn load(
    scheme: &SourceText<'_>,
    org: &SourceText<'_>,
    data: DataFile<'_>,
) -> Result<Loaded, Issues> {
    let (model, warnings) = Model::from_sources(scheme, org)?;
    let read = read_csv_deferring_duplicates(data.name, data.bytes)?;
    assemble(model, warnings, read)
}

/// [`load`] for a data file the caller hands over: its bytes are freed as soon as its rows are
/// read, before the value table is built (a file of millions of rows is hundreds of megabytes).
pub fn load_owned(
    scheme: &SourceText<'_>,
    org: &SourceText<'_>,
    data_name: &str,
    data_bytes: Vec<u8>,
) -> Result<Loaded, Issues> {
    let (model, warnings) = Model::from_sources(scheme, org)?;
    let read = read_csv_deferring_duplicates(data_name, &data_bytes)?;
    drop(data_bytes);
    assemble(model, warnings, read)
}

fn assemble(model: Model, mut warnings: Issues, read: (DataSet, Issues)) -> Result<Loaded, Issues> {
    let (data, values, w) = check_data(&model, read)?;
    warnings.extend(w);
    Ok(Loaded {
        model,
        data,
        values,
        warnings,
    })
}

fn load_data(model: &Model, d: DataFile<'_>) -> Result<(DataSet, Values, Issues), Issues> {
    check_data(model, read_csv_deferring_duplicates(d.name, d.bytes)?)
}

/// The rows are read without the reader's map of every row's key (the largest cost of a big
/// file): the value table shows a repeated row as a cell written twice, and only then — or when
/// anything else is wrong — is the file searched for repeats, so the problems reported are
/// exactly those [`read_csv`] reports, in its order, before any check against the scheme.
fn check_data(
    model: &Model,
    (data, read_issues): (DataSet, Issues),
) -> Result<(DataSet, Values, Issues), Issues> {
    let with_repeats = |mut issues: Issues, repeats: Issues| {
        issues.extend(repeats);
        in_row_order(&mut issues);
        issues
    };
    if read_issues.has_errors() {
        return Err(with_repeats(read_issues, duplicate_rows(&data)));
    }
    let built = match Values::build_noting_repeats(model, &data) {
        (Ok(built), false) => Ok(built),
        (built, _) => {
            let repeats = duplicate_rows(&data);
            if repeats.has_errors() {
                return Err(with_repeats(read_issues, repeats));
            }
            built
        }
    };
    // The reader reports nothing but errors, so there is nothing of it to keep here.
    let (values, mut issues) = built?;
    let mut more = qualitative_conflicts(model, &data, &values);
    more.extend(element_checks(model, &data, &values));
    let has_errors = more.has_errors();
    issues.extend(more);
    if has_errors {
        return Err(issues);
    }
    Ok((data, values, issues))
}

/// The scheme's checks between elements (`[[checks]]`) on the file's numbers, as the server
/// runs them on submission: each unit and period of the file, a failed check at its level
/// (an error stops scoring, a warning is reported), at the row of the first number it reads.
fn element_checks(model: &Model, data: &DataSet, values: &Values) -> Issues {
    let mut issues = Issues::new();
    if model.checks.is_empty() {
        return issues;
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &data.records {
        let Some(u) = model.unit(&r.unit) else {
            continue;
        };
        if !seen.insert((u, r.period)) {
            continue;
        }
        let value = |e, p| values.get(u, e, p);
        for i in crate::quality::failed_checks(model, r.period, None, &value) {
            let rule = &model.scheme.checks[i];
            let reads = &model.checks[i].elements;
            let row = data
                .records
                .iter()
                .filter(|x| x.unit == r.unit && x.period == r.period)
                .find(|x| model.element(&x.item).is_some_and(|e| reads.contains(&e)))
                .map_or(r.row, |x| x.row);
            let (unit, period, code, text) = (&r.unit, r.period, &rule.code, &rule.rule);
            let name = &rule.name;
            let message = crate::text::Text::new(
                format!(
                    "{unit} {period}：数据校验“{}”未通过（{code}：{text}）",
                    name.zh
                ),
                format!(
                    "{unit} {period}: check `{}` fails ({code}: {text})",
                    if name.en.is_empty() {
                        &name.zh
                    } else {
                        &name.en
                    }
                ),
            );
            let location = Location::Cell { row, column: None };
            issues.push(match rule.level {
                crate::scheme::CheckLevel::Error => {
                    Issue::error("check_failed", &data.file, location, message)
                }
                crate::scheme::CheckLevel::Warning => {
                    Issue::warning("check_failed", &data.file, location, message)
                }
            });
        }
    }
    issues
}

/// A qualitative rating must lie inside the band the evaluator chose. The problem is named on
/// the rating's row (the number to correct), with the band's row in the message.
fn qualitative_conflicts(model: &Model, data: &DataSet, values: &Values) -> Issues {
    let mut issues = Issues::new();
    // The elements that hold a chosen band: only their rows are looked at (most schemes
    // have none, and then no row is).
    let mut is_band = vec![false; model.elements.len()];
    for class in &model.classes {
        for leaf in &class.leaves {
            if let MethodModel::Qualitative {
                band_slot: Some(bs),
                ..
            } = &leaf.method
            {
                is_band[class.slots[*bs as usize].elem as usize] = true;
            }
        }
    }
    if !is_band.contains(&true) {
        return issues;
    }
    for r in &data.records {
        let Some(eid) = model.element(&r.item).filter(|e| is_band[*e as usize]) else {
            continue;
        };
        let Some(uid) = model.unit(&r.unit) else {
            continue;
        };
        let Some((cid, _)) = model.class_of(uid) else {
            continue;
        };
        let class = &model.classes[cid as usize];
        for leaf in &class.leaves {
            let MethodModel::Qualitative {
                band_slot: Some(bs),
                bands,
                in_points,
            } = &leaf.method
            else {
                continue;
            };
            let crate::model::Actual::Slot(rs) = leaf.actual else {
                continue;
            };
            let (band_elem, rating_elem) = (
                class.slots[*bs as usize].elem,
                class.slots[rs as usize].elem,
            );
            if eid != band_elem {
                continue;
            }
            let col = Location::cell(r.row, &data.columns[3]);
            let Some(i) = band_index(r.value, bands.len()) else {
                let (v, max) = (r.value, bands.len());
                issues.push(Issue::error(
                    "bad_band",
                    &data.file,
                    col,
                    crate::t!(
                        "档次编号{v}无效，应为1到{max}的整数",
                        "band number {v} is not valid; use a whole number from 1 to {max}"
                    ),
                ));
                continue;
            };
            let Some(rating) = values.get(uid, rating_elem, r.period) else {
                continue;
            };
            let w = leaf.points;
            let percent = if *in_points && !w.is_zero() {
                rating / w * rust_decimal::Decimal::ONE_HUNDRED
            } else {
                rating
            };
            let b = &bands[i];
            if percent < b.min || percent > b.max {
                let (code, name, lo, hi) =
                    (&leaf.code, &b.name.zh, b.min.normalize(), b.max.normalize());
                let shown = if *in_points {
                    format!(
                        "{}分（{}%）",
                        rating.normalize(),
                        crate::explain::round_half_up(percent, 2).normalize()
                    )
                } else {
                    format!("{}%", rating.normalize())
                };
                let shown_en = if *in_points {
                    format!(
                        "{} points ({}%)",
                        rating.normalize(),
                        crate::explain::round_half_up(percent, 2).normalize()
                    )
                } else {
                    format!("{}%", rating.normalize())
                };
                let rating_item = model.elements[rating_elem as usize].code.as_str();
                let at = data
                    .records
                    .iter()
                    .find(|x| {
                        x.unit == r.unit && x.item.as_str() == rating_item && x.period == r.period
                    })
                    .map_or(col.clone(), |x| Location::cell(x.row, &data.columns[3]));
                let band_row = r.row;
                issues.push(Issue::error(
                    "rating_outside_band",
                    &data.file,
                    at,
                    crate::t!(
                        "指标“{code}”评分{shown}不在所选档次“{name}”（第{band_row}行）的范围{lo}%–{hi}%内",
                        "indicator `{code}`: rating {shown_en} is outside the chosen band `{name}` (row {band_row}), {lo}%–{hi}%"
                    ),
                ));
            }
        }
    }
    issues
}
