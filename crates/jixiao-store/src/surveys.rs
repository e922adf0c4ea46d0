//! Citizen satisfaction surveys (群众满意度调查): the questionnaire per unit and period, its
//! one-time codes (salted hashes only), the anonymous answers, and the salted keys that keep the
//! open link to one answer per device. The survey's lifecycle and its codes are audited; an
//! answer is an anonymous, append-only row (auditing it would tie it to a moment and an order
//! the anonymity promise keeps out) — what it changes is audited when the aggregate is written
//! as the unit's value.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_str, now};
use serde::{Deserialize, Serialize};

/// A question: its code, its text and its scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub code: String,
    pub text: String,
    /// `three` (满意/基本满意/不满意) or `five` (1–5, 5 best).
    pub scale: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyRow {
    pub id: i64,
    pub title: String,
    pub period: String,
    pub element: String,
    /// The element the sample size fills (empty: none).
    pub sample_element: String,
    pub units: Vec<String>,
    pub questions: Vec<Question>,
    pub min_sample: i64,
    pub open_link: bool,
    pub per_address_daily: i64,
    /// `open` or `closed`.
    pub state: String,
    pub created_by: String,
    pub created_at: String,
    pub version: i64,
}

fn row(r: &sqlx::any::AnyRow) -> Result<(SurveyRow, String)> {
    Ok((
        SurveyRow {
            id: get_i64(r, "id")?,
            title: get_str(r, "title")?,
            period: get_str(r, "period")?,
            element: get_str(r, "element")?,
            sample_element: get_str(r, "sample_element")?,
            units: get_str(r, "units")?
                .split(',')
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect(),
            questions: serde_json::from_str(&get_str(r, "questions")?).unwrap_or_default(),
            min_sample: get_i64(r, "min_sample")?,
            open_link: get_i64(r, "open_link")? != 0,
            per_address_daily: get_i64(r, "per_address_daily")?,
            state: get_str(r, "state")?,
            created_by: get_str(r, "created_by")?,
            created_at: get_str(r, "created_at")?,
            version: get_i64(r, "version")?,
        },
        get_str(r, "salt")?,
    ))
}

fn json<T: Serialize>(t: &T) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

/// Creates a survey (open) with its salt.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    s: &SurveyRow,
    salt: &str,
    reason: &str,
) -> Result<SurveyRow> {
    let r = sqlx::query("INSERT INTO surveys (title, period, element, sample_element, units, questions, min_sample, open_link, per_address_daily, salt, state, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12) RETURNING *")
        .bind(&s.title)
        .bind(&s.period)
        .bind(&s.element)
        .bind(&s.sample_element)
        .bind(s.units.join(","))
        .bind(json(&s.questions))
        .bind(s.min_sample)
        .bind(i64::from(s.open_link))
        .bind(s.per_address_daily)
        .bind(salt)
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let (survey, _) = row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "survey.create",
            entity: "survey",
            entity_id: &survey.id.to_string(),
            before: None,
            after: Some(json(&survey)),
            reason,
        },
    )
    .await?;
    Ok(survey)
}

/// A survey and its salt.
pub async fn get(store: &Store, id: i64) -> Result<Option<(SurveyRow, String)>> {
    sqlx::query("SELECT * FROM surveys WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// Every survey, newest first.
pub async fn list(store: &Store) -> Result<Vec<SurveyRow>> {
    sqlx::query("SELECT * FROM surveys ORDER BY id DESC")
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| row(r).map(|(s, _)| s))
        .collect()
}

/// Closes a survey at `version` (false: changed first).
pub async fn close(tx: &mut Tx, actor: &Actor, s: &SurveyRow, reason: &str) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE surveys SET state = 'closed', version = version + 1 WHERE id = $1 AND version = $2",
    )
    .bind(s.id)
    .bind(s.version)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    append(
        tx,
        actor,
        Change {
            action: "survey.close",
            entity: "survey",
            entity_id: &s.id.to_string(),
            before: Some(json(&serde_json::json!({ "state": s.state }))),
            after: Some(json(&serde_json::json!({ "state": "closed" }))),
            reason,
        },
    )
    .await?;
    Ok(true)
}

/// Stores one-time codes (their hashes) for a unit; audited with their number, not the codes.
pub async fn add_codes(
    tx: &mut Tx,
    actor: &Actor,
    survey: i64,
    unit: &str,
    hashes: &[String],
    reason: &str,
) -> Result<()> {
    for h in hashes {
        sqlx::query("INSERT INTO survey_codes (survey_id, code_hash, unit) VALUES ($1, $2, $3)")
            .bind(survey)
            .bind(h)
            .bind(unit)
            .execute(&mut **tx)
            .await?;
    }
    append(
        tx,
        actor,
        Change {
            action: "survey.codes",
            entity: "survey",
            entity_id: &format!("{survey}/{unit}"),
            before: None,
            after: Some(json(
                &serde_json::json!({ "unit": unit, "codes": hashes.len() }),
            )),
            reason,
        },
    )
    .await?;
    Ok(())
}

/// Marks an unused code of the unit used; false when there is none such (wrong, used, another
/// unit's).
pub async fn use_code(tx: &mut Tx, survey: i64, unit: &str, hash: &str) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE survey_codes SET used = 1 WHERE survey_id = $1 AND code_hash = $2 AND unit = $3 AND used = 0",
    )
    .bind(survey)
    .bind(hash)
    .bind(unit)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Records a de-duplication key once (false: it was there: the device answered before).
pub async fn key_once(tx: &mut Tx, survey: i64, kind: &str, hash: &str) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO survey_keys (survey_id, kind, hash, day, count) VALUES ($1, $2, $3, '', 1) ON CONFLICT DO NOTHING",
    )
    .bind(survey)
    .bind(kind)
    .bind(hash)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Counts one more use of a key on a day; the count after.
pub async fn key_count(tx: &mut Tx, survey: i64, kind: &str, hash: &str, day: &str) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO survey_keys (survey_id, kind, hash, day, count) VALUES ($1, $2, $3, $4, 1) \
         ON CONFLICT (survey_id, kind, hash, day) DO UPDATE SET count = survey_keys.count + 1 RETURNING count",
    )
    .bind(survey)
    .bind(kind)
    .bind(hash)
    .bind(day)
    .fetch_one(&mut **tx)
    .await?;
    get_i64(&r, "count")
}

/// An anonymous answer.
pub struct NewAnswer<'a> {
    pub survey: i64,
    pub unit: &'a str,
    pub channel: &'a str,
    pub choices: &'a [i64],
    pub points: i64,
    pub answered: i64,
    pub comment: &'a str,
    pub day: &'a str,
}

pub async fn add_answer(tx: &mut Tx, a: &NewAnswer<'_>) -> Result<()> {
    sqlx::query("INSERT INTO survey_answers (survey_id, unit, channel, choices, points, answered, comment, day) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(a.survey)
        .bind(a.unit)
        .bind(a.channel)
        .bind(json(&a.choices))
        .bind(a.points)
        .bind(a.answered)
        .bind(a.comment)
        .bind(a.day)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An answer as aggregated: unit, channel, points, questions answered, comment.
#[derive(Debug, Clone)]
pub struct AnswerRow {
    pub unit: String,
    pub channel: String,
    pub points: i64,
    pub answered: i64,
    pub comment: String,
}

/// Every answer of a survey.
pub async fn answers(store: &Store, survey: i64) -> Result<Vec<AnswerRow>> {
    sqlx::query("SELECT unit, channel, points, answered, comment FROM survey_answers WHERE survey_id = $1 ORDER BY id")
        .bind(survey)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(AnswerRow {
                unit: get_str(r, "unit")?,
                channel: get_str(r, "channel")?,
                points: get_i64(r, "points")?,
                answered: get_i64(r, "answered")?,
                comment: get_str(r, "comment")?,
            })
        })
        .collect()
}

/// Codes issued and used per unit.
pub async fn code_counts(store: &Store, survey: i64) -> Result<Vec<(String, i64, i64)>> {
    sqlx::query("SELECT unit, COUNT(*) AS issued, CAST(SUM(used) AS BIGINT) AS used FROM survey_codes WHERE survey_id = $1 GROUP BY unit ORDER BY unit")
        .bind(survey)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| Ok((get_str(r, "unit")?, get_i64(r, "issued")?, get_i64(r, "used")?)))
        .collect()
}
