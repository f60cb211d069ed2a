//! Files uploaded for importing, kept between the preview and the apply: what is applied is the
//! file that was previewed, with the column mapping the person corrected. Each upload belongs to
//! its user; anyone else asking for it is told it does not exist. Uploads older than a day are
//! deleted whenever a new one is stored.

use crate::{Db, StoreError, now};

/// A stored upload.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Upload {
    pub import_upload_id: i64,
    pub user_id: i64,
    pub file_name: String,
    /// What the file lists: `members`, `villages` or `teams`.
    pub kind: String,
    /// The one sheet to read, when the person named one.
    pub sheet: Option<String>,
    /// The corrected column mapping, one `COLUMN=FIELD` a line (the web layer's format).
    pub overrides: String,
    pub bytes: Vec<u8>,
    pub created_at: String,
}

/// How long an upload is kept.
const KEPT_FOR: time::Duration = time::Duration::days(1);

fn not_found() -> StoreError {
    StoreError::not_found("Không tìm thấy tệp đã tải lên (có thể đã quá một ngày); hãy tải tệp lên lại")
}

/// Stores an upload for `user_id` and answers its id, deleting every upload older than a day.
///
/// # Errors
/// Database errors.
pub async fn put(
    db: &Db,
    user_id: i64,
    file_name: &str,
    kind: &str,
    sheet: Option<&str>,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    let stamp = now();
    let t = time::OffsetDateTime::now_utc() - KEPT_FOR;
    let cutoff =
        t.replace_nanosecond(0).unwrap_or(t).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    in_tx!(db, |tx| {
        sqlx::query("delete from import_upload where created_at < $1").bind(&cutoff).execute(&mut *tx).await?;
        let (id,): (i64,) = sqlx::query_as(
            "insert into import_upload (user_id, file_name, kind, sheet, overrides, bytes, created_at) \
             values ($1, $2, $3, $4, '', $5, $6) returning import_upload_id",
        )
        .bind(user_id)
        .bind(file_name)
        .bind(kind)
        .bind(sheet)
        .bind(bytes)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        Ok::<i64, StoreError>(id)
    })
}

/// The upload `id` of `user_id`; another user's upload is not found, as one that does not exist.
///
/// # Errors
/// `NotFound`, database errors.
pub async fn get(db: &Db, user_id: i64, id: i64) -> Result<Upload, StoreError> {
    let sql = "select import_upload_id, user_id, file_name, kind, sheet, overrides, bytes, created_at \
               from import_upload where import_upload_id = $1 and user_id = $2";
    let found: Option<Upload> =
        on_db!(db, |pool| sqlx::query_as(sql).bind(id).bind(user_id).fetch_optional(pool).await)?;
    found.ok_or_else(not_found)
}

/// Keeps the corrected column mapping of an upload of `user_id`.
///
/// # Errors
/// `NotFound`, database errors.
pub async fn set_overrides(db: &Db, user_id: i64, id: i64, overrides: &str) -> Result<(), StoreError> {
    let sql = "update import_upload set overrides = $1 where import_upload_id = $2 and user_id = $3";
    let n = on_db!(db, |pool| {
        sqlx::query(sql).bind(overrides).bind(id).bind(user_id).execute(pool).await.map(|r| r.rows_affected())
    })?;
    if n == 0 { Err(not_found()) } else { Ok(()) }
}

/// Deletes an upload of `user_id` (nothing when it is already gone).
///
/// # Errors
/// Database errors.
pub async fn delete(db: &Db, user_id: i64, id: i64) -> Result<(), StoreError> {
    let sql = "delete from import_upload where import_upload_id = $1 and user_id = $2";
    on_db!(db, |pool| sqlx::query(sql).bind(id).bind(user_id).execute(pool).await.map(|_| ()))?;
    Ok(())
}
