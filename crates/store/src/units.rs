//! Administrative units (đơn vị hành chính): province, district, commune, each dated.

use std::collections::HashMap;

use domain::text;
use domain::units::{Level, UnitRow};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Db, Scope, StoreError, iso, now};

/// Đơn vị hành chính — one administrative unit as it stood from `valid_from` to `valid_to`
/// (empty = still current).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Unit {
    #[serde(skip)]
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(skip)]
    pub parent_id: Option<i64>,
    #[serde(skip)]
    pub path: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

impl Unit {
    #[must_use]
    pub fn level(&self) -> Option<Level> {
        Level::from_code(&self.level)
    }

    /// Codes of the unit's ancestors and itself, from the province down.
    #[must_use]
    pub fn path_codes(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }
}

/// Inserts one unit row: code, name, level, parent id, path, valid from, search text, sort key,
/// time stamp; returns its id.
pub(crate) const INSERT_UNIT: &str = "insert into unit (code, name, level, parent_id, path, valid_from, valid_to, \
    search_text, sort_key, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, null, $7, $8, $9, $9) returning unit_id";

const COLUMNS: &str = "unit_id, code, name, level, parent_id, path, valid_from, valid_to";

/// Loads a state file's units as current from `valid_from`. Units already current with the same
/// code are kept as they are, so loading the same file twice adds nothing. One transaction.
///
/// # Errors
/// A row whose parent is neither in the file nor current in the database; database errors.
pub async fn load_state(db: &Db, rows: &[UnitRow], valid_from: time::Date) -> Result<usize, StoreError> {
    let from = iso(valid_from);
    let stamp = now();
    in_tx!(db, |tx| {
        let existing: Vec<(i64, String, String)> =
            sqlx::query_as("select unit_id, code, path from unit where valid_to is null").fetch_all(&mut *tx).await?;
        let mut known: HashMap<String, (i64, String)> =
            existing.into_iter().map(|(id, code, path)| (code, (id, path))).collect();
        let mut added = 0usize;
        for row in rows {
            if known.contains_key(&row.code) {
                continue;
            }
            let (parent_id, parent_path) = match &row.parent_code {
                None => (None, String::new()),
                Some(pc) => {
                    let (id, path) = known.get(pc).ok_or_else(|| {
                        StoreError::invalid(
                            "parent_code",
                            format!("Đơn vị cấp trên {pc} của {} không tồn tại", row.code),
                        )
                    })?;
                    (Some(*id), path.clone())
                }
            };
            let path = format!("{parent_path}{}/", row.code);
            let (id,): (i64,) = sqlx::query_as(INSERT_UNIT)
                .bind(&row.code)
                .bind(&row.name)
                .bind(row.level.code())
                .bind(parent_id)
                .bind(&path)
                .bind(&from)
                .bind(text::fold(&row.name))
                .bind(text::sort_key(&row.name))
                .bind(&stamp)
                .fetch_one(&mut *tx)
                .await?;
            known.insert(row.code.clone(), (id, path));
            added += 1;
        }
        audit!(
            tx,
            crate::audit::Event {
                entity: "unit",
                entity_id: None,
                action: "load_state",
                unit_path: None,
                before: None,
                after: Some(serde_json::json!({ "added": added, "valid_from": from }))
            }
        );
        Ok::<usize, StoreError>(added)
    })
}

/// The current unit with this code.
///
/// # Errors
/// `NotFound` with a Vietnamese message when no current unit has the code.
pub async fn by_code(db: &Db, code: &str) -> Result<Unit, StoreError> {
    let sql = format!("select {COLUMNS} from unit where code = $1 and valid_to is null");
    let unit: Option<Unit> =
        on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(code.trim()).fetch_optional(pool).await)?;
    unit.ok_or_else(|| StoreError::not_found(format!("Không có đơn vị hành chính mã {}", code.trim())))
}

/// The current unit with this id.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn by_id(db: &Db, unit_id: i64) -> Result<Unit, StoreError> {
    let sql = format!("select {COLUMNS} from unit where unit_id = $1");
    let unit: Option<Unit> =
        on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(unit_id).fetch_optional(pool).await)?;
    unit.ok_or_else(|| StoreError::not_found("Không tìm thấy đơn vị hành chính"))
}

/// The current units directly under `parent`, in official code order.
///
/// # Errors
/// Database errors.
pub async fn children(db: &Db, parent: &Unit) -> Result<Vec<Unit>, StoreError> {
    let sql = format!("select {COLUMNS} from unit where parent_id = $1 and valid_to is null order by code");
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(parent.unit_id).fetch_all(pool).await)?)
}

/// The units directly under `parent` that were valid on `day`, in official code order.
///
/// # Errors
/// Database errors.
pub async fn children_at(db: &Db, parent: &Unit, day: time::Date) -> Result<Vec<Unit>, StoreError> {
    let sql = format!(
        "select {COLUMNS} from unit where parent_id = $1 and valid_from <= $2 and (valid_to is null or valid_to > $2) \
         order by code"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(parent.unit_id)
        .bind(iso(day))
        .fetch_all(pool)
        .await)?)
}

/// The row of the unit with this code that was valid on `day`.
///
/// # Errors
/// `NotFound` when no unit had that code on that day.
pub async fn by_code_at(db: &Db, code: &str, day: time::Date) -> Result<Unit, StoreError> {
    let sql = format!(
        "select {COLUMNS} from unit where code = $1 and valid_from <= $2 and (valid_to is null or valid_to > $2)"
    );
    let unit: Option<Unit> = on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(code.trim())
        .bind(iso(day))
        .fetch_optional(pool)
        .await)?;
    unit.ok_or_else(|| {
        StoreError::not_found(format!(
            "Không có đơn vị hành chính mã {} vào ngày {}",
            code.trim(),
            domain::input::format_date(day)
        ))
    })
}

/// The last row of the unit with this code, current or ended (to report an ended unit as of its
/// last day).
///
/// # Errors
/// `NotFound` when the code never existed.
pub async fn latest_by_code(db: &Db, code: &str) -> Result<Unit, StoreError> {
    let sql = format!("select {COLUMNS} from unit where code = $1 order by valid_from desc limit 1");
    let unit: Option<Unit> =
        on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(code.trim()).fetch_optional(pool).await)?;
    unit.ok_or_else(|| StoreError::not_found(format!("Không có đơn vị hành chính mã {}", code.trim())))
}

/// The unit's ancestors from the top down, itself excluded (for breadcrumbs).
///
/// # Errors
/// Database errors.
pub async fn ancestors(db: &Db, unit: &Unit) -> Result<Vec<Unit>, StoreError> {
    let mut out = Vec::new();
    let mut next = unit.parent_id;
    while let Some(id) = next {
        let u = by_id(db, id).await?;
        next = u.parent_id;
        out.push(u);
    }
    out.reverse();
    Ok(out)
}

/// Whether a reader with `scope` may open this unit (current or ended): it lies inside the
/// scope, or some village that ever lay in it is in the scope today.
///
/// # Errors
/// Database errors.
pub async fn visible(db: &Db, scope: &Scope, unit: &Unit) -> Result<bool, StoreError> {
    if scope.covers(&unit.path) {
        return Ok(true);
    }
    let (cond, values) = scope.condition("cur.path", 2);
    let sql = format!(
        "select count(*) from (select 1 from village_placement p join unit u on u.unit_id = p.commune_id \
         join village v on v.village_id = p.village_id join unit cur on cur.unit_id = v.commune_id \
         where u.path like $1 and {cond} limit 1) x"
    );
    let (n,): (i64,) = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(format!("{}%", unit.path));
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_one(pool).await
    })?;
    Ok(n > 0)
}

/// Current units inside the scope, optionally of one level and matching a search (diacritics
/// and case ignored), in official code order.
///
/// # Errors
/// Database errors.
pub async fn list(db: &Db, scope: &Scope, level: Option<Level>, search: Option<&str>) -> Result<Vec<Unit>, StoreError> {
    let (cond, values) = scope.condition("path", 3);
    let sql = format!(
        "select {COLUMNS} from unit where valid_to is null and {cond} \
         and ($1 = '' or level = $1) and ($2 = '' or search_text like $2 escape '\\') order by path"
    );
    let level = level.map(Level::code).unwrap_or_default();
    let search =
        search.map(text::fold).filter(|s| !s.is_empty()).map(|s| crate::contains_pattern(&s)).unwrap_or_default();
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(level).bind(&search);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// Every row of a code, oldest first: a unit's history.
///
/// # Errors
/// Database errors.
pub async fn versions(db: &Db, code: &str) -> Result<Vec<Unit>, StoreError> {
    let sql = format!("select {COLUMNS} from unit where code = $1 order by valid_from");
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(code).fetch_all(pool).await)?)
}

/// The root units (provinces) valid on a day.
///
/// # Errors
/// Database errors.
pub async fn roots_at(db: &Db, day: time::Date) -> Result<Vec<Unit>, StoreError> {
    let sql = format!(
        "select {COLUMNS} from unit where parent_id is null and valid_from <= $1 and (valid_to is null or valid_to > $1) \
         order by code"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(iso(day)).fetch_all(pool).await)?)
}

/// The root units (provinces) currently in the registry.
///
/// # Errors
/// Database errors.
pub async fn roots(db: &Db) -> Result<Vec<Unit>, StoreError> {
    let sql = format!("select {COLUMNS} from unit where parent_id is null and valid_to is null order by code");
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).fetch_all(pool).await)?)
}
