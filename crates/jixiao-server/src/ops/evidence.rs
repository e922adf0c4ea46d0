//! Evidence (佐证材料): files attached to a value or an appeal, kept once by their content hash
//! under the data directory, checked for size and for their real type (by their first bytes,
//! not only their name), and given only to those who may see what they are attached to.

use crate::error::{Error, Kind, Result};
use crate::ops::values::ValueKey;
use crate::ops::{Caller, allow, commit};
use crate::state::AppState;
use jixiao_core::access::{Action, can};
use jixiao_core::text::Text;
use jixiao_store::evidence::EvidenceRow;

/// A file as it arrived: the name the client gave, the type it declared, the bytes.
pub struct Incoming<'a> {
    pub name: Option<&'a str>,
    pub declared: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// What an evidence file larger than the limit is told.
pub fn too_large(state: &AppState) -> Error {
    let mib = state.config.max_evidence_mib;
    Error::new(
        Kind::TooLarge,
        "too_large",
        Text::new(
            format!("文件超过{mib} MB的上限"),
            format!("the file exceeds the {mib} MiB limit"),
        ),
    )
}

/// What a form without a file is told.
pub fn no_file() -> Error {
    Error::bad_request(
        "no_file",
        Text::new(
            "请在 file 字段中上传文件",
            "send the file in the `file` field",
        ),
    )
}

/// The file's name (without paths or control characters), its real type, checked against the
/// accepted types and the size limit.
fn checked(state: &AppState, f: &Incoming<'_>) -> Result<(String, String)> {
    let name = f
        .name
        .unwrap_or("file")
        .chars()
        .filter(|c| !c.is_control() && !"/\\".contains(*c))
        .take(200)
        .collect::<String>();
    if f.bytes.len() as u64 > state.config.max_evidence_mib * 1024 * 1024 {
        return Err(too_large(state));
    }
    let sniffed = sniff(f.bytes, f.declared.unwrap_or("application/octet-stream"));
    if !state.config.evidence_types.iter().any(|t| t == &sniffed) {
        return Err(Error::new(
            Kind::UnsupportedType,
            "unsupported_type",
            Text::new(
                format!("不支持的文件类型（{sniffed}）；可上传 PDF、图片、Excel、Word 或文本"),
                format!(
                    "file type {sniffed} is not accepted; upload PDF, images, Excel, Word or text"
                ),
            ),
        ));
    }
    Ok((name, sniffed))
}

/// The type a file really is, from its first bytes; text files keep their declared type.
fn sniff(b: &[u8], declared: &str) -> String {
    let office = b.starts_with(b"PK\x03\x04")
        && (declared.contains("spreadsheet") || declared.contains("wordprocessing"));
    let text =
        std::str::from_utf8(b).is_ok() && (declared == "text/plain" || declared == "text/csv");
    if b.starts_with(b"%PDF-") {
        "application/pdf".into()
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png".into()
    } else if b.starts_with(b"\xFF\xD8\xFF") {
        "image/jpeg".into()
    } else if office || text {
        declared.to_owned()
    } else {
        "application/octet-stream".into()
    }
}

/// Keeps a file by its content hash under the data directory; returns the hash.
async fn store_file(state: &AppState, bytes: &[u8]) -> Result<String> {
    let sha = jixiao_store::sha256_hex(bytes);
    let dir = state.config.data_dir.join("evidence").join(&sha[..2]);
    let path = dir.join(&sha);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::internal(&e))?;
        let tmp = dir.join(format!("{sha}.tmp"));
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| Error::internal(&e))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| Error::internal(&e))?;
    }
    Ok(sha)
}

/// Checks a file, keeps it and attaches it (audited) to its owner: (kind, id, label).
async fn keep(
    state: &AppState,
    caller: &Caller,
    (kind, id, label): (&str, i64, &str),
    file: Option<Incoming<'_>>,
) -> Result<EvidenceRow> {
    let file = file.ok_or_else(no_file)?;
    let (name, mime) = checked(state, &file)?;
    let sha = store_file(state, file.bytes).await?;
    let mut tx = state.store.write().await?;
    let ev = jixiao_store::evidence::attach(
        &mut tx,
        &caller.actor,
        kind,
        id,
        label,
        &sha,
        file.bytes.len() as i64,
        &mime,
        &name,
    )
    .await?;
    commit(tx).await?;
    Ok(ev)
}

/// Attaches a file to a value the caller may edit (the value must be saved first).
pub async fn attach_to_value(
    state: &AppState,
    caller: &Caller,
    key: &ValueKey,
    file: Option<Incoming<'_>>,
) -> Result<EvidenceRow> {
    allow(
        state,
        caller,
        Action::EditValue {
            unit: &key.unit,
            element: &key.element,
        },
    )
    .await?;
    let mut conn = crate::ops::conn(state).await?;
    let row = jixiao_store::values::get(&mut conn, &key.unit, &key.element, &key.period)
        .await?
        .ok_or_else(|| {
            Error::not_found("数值（请先保存数值再上传佐证）", "value (save it first)")
        })?;
    drop(conn);
    let label = format!("{}/{}/{}", key.unit, key.element, key.period);
    keep(state, caller, ("value", row.id, &label), file).await
}

/// Attaches a file to an appeal: by the unit that may file it, or the office.
pub async fn attach_to_appeal(
    state: &AppState,
    caller: &Caller,
    appeal: i64,
    file: Option<Incoming<'_>>,
) -> Result<EvidenceRow> {
    let mut conn = crate::ops::conn(state).await?;
    let a = jixiao_store::appeals::get(&mut conn, appeal)
        .await?
        .ok_or_else(|| Error::not_found("申诉", "appeal"))?;
    drop(conn);
    allow(
        state,
        caller,
        Action::AddAppealEvidence { unit: &a.unit_code },
    )
    .await?;
    keep(state, caller, ("appeal", a.id, &a.id.to_string()), file).await
}

/// Attaches evidence of completion to a rectification task: by the unit that works it (until it
/// is verified), or by its verifier.
pub async fn attach_to_rectification(
    state: &AppState,
    caller: &Caller,
    task: i64,
    file: Option<Incoming<'_>>,
) -> Result<EvidenceRow> {
    let mut conn = crate::ops::conn(state).await?;
    let t = jixiao_store::rectifications::get(&mut conn, task)
        .await?
        .ok_or_else(|| Error::not_found("整改任务", "rectification task"))?;
    drop(conn);
    {
        let live = state.live.read().await;
        if !crate::ops::rectifications::may_read(&live, caller, &t) {
            return Err(Error::not_found("整改任务", "rectification task"));
        }
        let (works, verifies) = crate::ops::rectifications::roles(&live, caller, &t);
        if !works && !verifies {
            return Err(Error::forbidden());
        }
    }
    if t.state == "verified" {
        return Err(Error::conflict(
            "verified",
            Text::new(
                "该整改任务已验收销号，不能再添加佐证",
                "the task is verified; no more evidence can be added",
            ),
        ));
    }
    keep(
        state,
        caller,
        ("rectification", t.id, &t.id.to_string()),
        file,
    )
    .await
}

/// Attaches a photo to an inspection hazard: by the office or the team that recorded it.
pub async fn attach_to_hazard(
    state: &AppState,
    caller: &Caller,
    hazard: i64,
    file: Option<Incoming<'_>>,
) -> Result<EvidenceRow> {
    let h = crate::ops::inspections::photo_allowed(state, caller, hazard).await?;
    keep(state, caller, ("hazard", h.id, &h.id.to_string()), file).await
}

/// A stored evidence file with the name and type it was attached with.
pub struct EvidenceFile {
    pub bytes: Vec<u8>,
    pub mime: String,
    pub filename: String,
}

/// An evidence file, if the caller may see a value or an appeal it belongs to. Not allowed
/// looks the same as not there.
pub async fn download(state: &AppState, caller: &Caller, sha: &str) -> Result<EvidenceFile> {
    caller.require_signed_in()?;
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::not_found("文件", "file"));
    }
    let uses = jixiao_store::evidence::by_hash(&state.store, sha).await?;
    let mut permitted = None;
    for e in &uses {
        let mut conn = crate::ops::conn(state).await?;
        let ok = match e.owner_kind.as_str() {
            "value" => match jixiao_store::values::by_id(&mut conn, e.owner_id).await? {
                Some(v) => can(
                    &caller.principal,
                    Action::ReadValue {
                        unit: &v.unit_code,
                        element: &v.element,
                    },
                    &*state.live.read().await,
                ),
                None => false,
            },
            "appeal" => match jixiao_store::appeals::get(&mut conn, e.owner_id).await? {
                Some(a) => can(
                    &caller.principal,
                    Action::ReadUnit { unit: &a.unit_code },
                    &*state.live.read().await,
                ),
                None => false,
            },
            "rectification" => {
                match jixiao_store::rectifications::get(&mut conn, e.owner_id).await? {
                    Some(t) => can(
                        &caller.principal,
                        Action::ReadRectification {
                            unit: &t.unit_code,
                            verifier: &t.verifier_code,
                        },
                        &*state.live.read().await,
                    ),
                    None => false,
                }
            }
            // A hazard's photo: whoever reads its rectification task (the unit, its verifier, the
            // district's readers) or its round (the office, the inspectors).
            "hazard" => match jixiao_store::inspections::hazard(&state.store, e.owner_id).await? {
                Some(h) => {
                    let task = jixiao_store::rectifications::get(&mut conn, h.task_id).await?;
                    let by_task = match task {
                        Some(t) => can(
                            &caller.principal,
                            Action::ReadRectification {
                                unit: &t.unit_code,
                                verifier: &t.verifier_code,
                            },
                            &*state.live.read().await,
                        ),
                        None => false,
                    };
                    by_task
                        || crate::ops::inspections::get(state, caller, h.round_id)
                            .await
                            .is_ok()
                }
                None => false,
            },
            _ => false,
        };
        if ok {
            permitted = Some(e);
            break;
        }
    }
    let e = permitted.ok_or_else(|| Error::not_found("文件", "file"))?;
    let path = state
        .config
        .data_dir
        .join("evidence")
        .join(&sha[..2])
        .join(sha);
    // The record says the file exists: a file that cannot be read is a fault of the storage,
    // said as such (not "no such file").
    let bytes = tokio::fs::read(&path).await.map_err(|err| {
        tracing::error!(path = %path.display(), error = %err, "an evidence file cannot be read");
        Error::new(
            crate::error::Kind::Unavailable,
            "evidence_unavailable",
            Text::new(
                format!("佐证文件“{}”在存储中缺失或无法读取（{err}）；请联系管理员", e.filename),
                format!(
                    "the evidence file `{}` is missing from storage or cannot be read ({err}); tell the administrator",
                    e.filename
                ),
            ),
        )
    })?;
    Ok(EvidenceFile {
        bytes,
        mime: e.mime.clone(),
        filename: e.filename.clone(),
    })
}

/// The evidence files of a value or an appeal: their download links and names.
pub async fn links(
    state: &AppState,
    owner_kind: &str,
    owner_id: i64,
) -> Result<Vec<(String, String)>> {
    Ok(
        jixiao_store::evidence::of(&state.store, owner_kind, owner_id)
            .await?
            .into_iter()
            .map(|f| (format!("/api/v1/evidence/{}", f.sha256), f.filename))
            .collect(),
    )
}
