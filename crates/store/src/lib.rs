//! The database of congdongso: embedded SQLite by default, PostgreSQL when asked, one query
//! text for both. Every read that can return people takes a [`Scope`].
#![forbid(unsafe_code)]

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// Runs `$body` once per backend with `$pool` bound to the concrete pool. The body is written
/// once and type-checked twice, so every SQL string serves both databases.
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` (an expression giving `Result<T, StoreError>`) inside one transaction: committed
/// when it gives `Ok`, rolled back when it gives `Err` (including through `?` inside it). The
/// whole macro gives the body's result.
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite(pool) => {
                let mut $tx = pool.begin().await?;
                let out = async { $body }.await;
                match out {
                    Ok(v) => $tx.commit().await.map(|()| v).map_err($crate::StoreError::from),
                    Err(e) => Err(e),
                }
            }
            $crate::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = async { $body }.await;
                match out {
                    Ok(v) => $tx.commit().await.map(|()| v).map_err($crate::StoreError::from),
                    Err(e) => Err(e),
                }
            }
        }
    };
}

/// Records one audit event inside the transaction `$tx`, for the actor of the current task
/// (see [`audit`]). `$event` is an [`audit::Event`].
macro_rules! audit {
    ($tx:expr, $event:expr) => {{
        let event: $crate::audit::Event = $event;
        let actor = $crate::audit::current();
        sqlx::query(
            "insert into audit_event (occurred_at, actor, channel, address, entity, entity_id, action, unit_path, \
             before_json, after_json) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind($crate::now())
        .bind(&actor.login)
        .bind(actor.channel)
        .bind(&actor.address)
        .bind(event.entity)
        .bind(event.entity_id)
        .bind(event.action)
        .bind(&event.unit_path)
        .bind(event.before.map(|v| v.to_string()))
        .bind(event.after.map(|v| v.to_string()))
        .execute(&mut *$tx)
        .await?;
    }};
}

#[macro_use]
pub mod access;
pub mod audit;
pub mod coverage;
pub mod dashboard;
pub mod demo;
mod error;
pub mod funding;
pub mod import;
pub mod payments;
pub mod people;
pub mod reorg;
pub mod reports;
mod scope;
pub mod teams;
#[cfg(feature = "testing")]
pub mod testing;
pub mod training;
pub mod units;
pub mod uploads;
pub mod users;
pub mod villages;

pub use error::StoreError;
pub use scope::Scope;

/// A page of a long list: which rows, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    #[must_use]
    pub fn pages(&self) -> i64 {
        if self.per_page <= 0 { 1 } else { ((self.total + self.per_page - 1) / self.per_page).max(1) }
    }
}

/// Which rows of a long list to read. `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    pub const MAX_PER_PAGE: i64 = 500;

    #[must_use]
    pub fn new(page: i64, per_page: i64) -> Self {
        Self { page: page.max(1), per_page: per_page.clamp(1, Self::MAX_PER_PAGE) }
    }

    /// Every row, for exports and the CLI.
    #[must_use]
    pub fn all() -> Self {
        Self { page: 1, per_page: i64::MAX / 2 }
    }

    #[must_use]
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(1, 50)
    }
}

/// The database: one pool of one backend.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Opens a database named by `target`: `postgres://…` (or `postgresql://…`), `sqlite:PATH`,
    /// or a plain file path (SQLite, created when missing).
    ///
    /// # Errors
    /// When the target cannot be parsed or the database cannot be opened.
    pub async fn connect(target: &str) -> Result<Self, StoreError> {
        let target = target.trim();
        if target.is_empty() {
            return Err(StoreError::Open("chưa chỉ ra cơ sở dữ liệu (--db)".into()));
        }
        if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(target)
                .map_err(|e| StoreError::Open(format!("địa chỉ PostgreSQL không hợp lệ: {e}")))?;
            return Self::connect_postgres(opts).await;
        }
        let path = target.strip_prefix("sqlite://").or_else(|| target.strip_prefix("sqlite:")).unwrap_or(target);
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Open(format!("không mở được tệp SQLite `{path}`: {}", short(&e))))?;
        Ok(Db::Sqlite(pool))
    }

    /// Opens PostgreSQL with explicit options (tests use this to pick a schema).
    ///
    /// # Errors
    /// When the server cannot be reached.
    pub async fn connect_postgres(opts: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Open(format!("không kết nối được PostgreSQL: {}", short(&e))))?;
        Ok(Db::Postgres(pool))
    }

    /// The backend's name, for logs and the health check.
    #[must_use]
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Brings the schema up to date.
    ///
    /// # Errors
    /// When a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => migrator(MIGRATIONS.iter().map(|m| (m.0, m.1, m.2))).run(pool).await?,
            Db::Postgres(pool) => migrator(MIGRATIONS.iter().map(|m| (m.0, m.1, m.3))).run(pool).await?,
        }
        Ok(())
    }

    /// Answers when the database does.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(self, |pool| sqlx::query("select 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection (SQLite checkpoints its log).
    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await);
    }

    /// Reads one setting.
    ///
    /// # Errors
    /// Database errors.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = "select value from setting where key = $1";
        let v: Option<(String,)> = on_db!(self, |pool| sqlx::query_as(sql).bind(key).fetch_optional(pool).await)?;
        Ok(v.map(|(v,)| v))
    }

    /// Writes one setting.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let sql = "insert into setting (key, value) values ($1, $2) \
                   on conflict (key) do update set value = excluded.value";
        on_db!(self, |pool| sqlx::query(sql).bind(key).bind(value).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// True when the registry holds no unit at all (a new database).
    ///
    /// # Errors
    /// Database errors.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let sql = "select count(*) from unit";
        let (n,): (i64,) = on_db!(self, |pool| sqlx::query_as(sql).fetch_one(pool).await)?;
        Ok(n == 0)
    }
}

/// The schema's history: version, description, SQLite text, PostgreSQL text. Never edit a
/// shipped entry; add a new one.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "registry",
        include_str!("../migrations/sqlite/0001_registry.sql"),
        include_str!("../migrations/postgres/0001_registry.sql"),
    ),
    (
        2,
        "unit history",
        include_str!("../migrations/sqlite/0002_unit_history.sql"),
        include_str!("../migrations/postgres/0002_unit_history.sql"),
    ),
    (
        3,
        "accounts",
        include_str!("../migrations/sqlite/0003_accounts.sql"),
        include_str!("../migrations/postgres/0003_accounts.sql"),
    ),
    (
        4,
        "audit trail",
        include_str!("../migrations/sqlite/0004_audit.sql"),
        include_str!("../migrations/postgres/0004_audit.sql"),
    ),
    (
        5,
        "grants",
        include_str!("../migrations/sqlite/0005_grants.sql"),
        include_str!("../migrations/postgres/0005_grants.sql"),
    ),
    (
        6,
        "funding policies",
        include_str!("../migrations/sqlite/0006_funding.sql"),
        include_str!("../migrations/postgres/0006_funding.sql"),
    ),
    (
        7,
        "entitlements, payment lists and the ledger",
        include_str!("../migrations/sqlite/0007_payments.sql"),
        include_str!("../migrations/postgres/0007_payments.sql"),
    ),
    (
        8,
        "indicators and monthly team reports",
        include_str!("../migrations/sqlite/0008_reports.sql"),
        include_str!("../migrations/postgres/0008_reports.sql"),
    ),
    (
        9,
        "training",
        include_str!("../migrations/sqlite/0009_training.sql"),
        include_str!("../migrations/postgres/0009_training.sql"),
    ),
    (
        10,
        "indicator totals of the units above the communes",
        include_str!("../migrations/sqlite/0010_report_speed.sql"),
        include_str!("../migrations/postgres/0010_report_speed.sql"),
    ),
    (
        11,
        "coverage and the trained share kept per commune",
        include_str!("../migrations/sqlite/0011_reach_kept.sql"),
        include_str!("../migrations/postgres/0011_reach_kept.sql"),
    ),
    (
        12,
        "uploaded files kept between an import's preview and its apply",
        include_str!("../migrations/sqlite/0012_import_upload.sql"),
        include_str!("../migrations/postgres/0012_import_upload.sql"),
    ),
];

fn migrator<'a>(list: impl Iterator<Item = (i64, &'a str, &'static str)>) -> Migrator {
    Migrator::with_migrations(
        list.map(|(version, description, sql)| {
            Migration::new(version, description.to_owned().into(), MigrationType::Simple, sql.into_sql_str(), false)
        })
        .collect(),
    )
}

/// A `LIKE` pattern that finds `text` anywhere, with `%`, `_` and `\` in it taken literally
/// (queries say `escape '\'`). Empty text gives an empty pattern, which queries read as "no
/// filter".
pub(crate) fn contains_pattern(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The first line of a database error, without the driver's internals.
fn short(e: &sqlx::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_owned()
}

/// Now, as RFC 3339 UTC text.
pub(crate) fn now() -> String {
    let t = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Today in Vietnam (UTC+7), the day on which "current" is judged.
#[must_use]
pub fn today() -> time::Date {
    let offset = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(offset).date()
}

/// A date as stored: `yyyy-mm-dd`.
#[must_use]
pub fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A stored `yyyy-mm-dd` as a person reads it, `dd/mm/yyyy`.
#[must_use]
pub fn display_date(stored: &str) -> String {
    parse_iso(stored).map_or_else(|| stored.to_owned(), domain::input::format_date)
}

/// Parses a stored `yyyy-mm-dd`.
#[must_use]
pub fn parse_iso(s: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern(""), "");
        assert_eq!(contains_pattern("an"), "%an%");
        assert_eq!(contains_pattern("50%_x\\"), "%50\\%\\_x\\\\%");
    }

    #[test]
    fn dates_are_stored_iso_and_shown_vietnamese() {
        let d = time::macros::date!(2024 - 08 - 28);
        assert_eq!(iso(d), "2024-08-28");
        assert_eq!(parse_iso("2024-08-28"), Some(d));
        assert_eq!(display_date("2024-08-28"), "28/08/2024");
        assert_eq!(display_date("?"), "?");
    }
}
