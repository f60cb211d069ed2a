//! Fresh databases for tests: a temporary SQLite file, or a new schema in the PostgreSQL named
//! by `CONGDONGSO_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`). When PostgreSQL
//! cannot be reached, a test skips loudly on a developer's machine and fails in CI (`CI=true`).

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;

use crate::Db;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated, empty database that removes itself when dropped.
pub struct TestDb {
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Schema { url: String, schema: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("t{}_{n}_{nanos}", std::process::id())
}

/// The PostgreSQL server tests use.
#[must_use]
pub fn postgres_url() -> String {
    std::env::var("CONGDONGSO_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

impl TestDb {
    /// A fresh database on `backend`; `None` (after a loud message) when PostgreSQL is absent
    /// outside CI.
    ///
    /// # Panics
    /// When the database cannot be set up, or PostgreSQL is absent in CI.
    pub async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("congdongso-{}.db", unique_name()));
                let db = Db::connect(&path.to_string_lossy()).await.expect("open temporary SQLite");
                db.migrate().await.expect("migrate SQLite");
                Some(Self { db, cleanup: Cleanup::File(path) })
            }
            Backend::Postgres => {
                let url = postgres_url();
                let admin = match Db::connect(&url).await {
                    Ok(db) => db,
                    Err(e) => {
                        assert!(!in_ci(), "PostgreSQL is required in CI but could not be reached at {url}: {e}");
                        eprintln!(
                            "\n*** SKIPPED: PostgreSQL not reachable at {url} ({e}); set CONGDONGSO_TEST_PG to run the PostgreSQL half of the suite ***\n"
                        );
                        return None;
                    }
                };
                let schema = unique_name();
                if let Db::Postgres(pool) = &admin {
                    sqlx::query(sqlx::AssertSqlSafe(format!("create schema {schema}")))
                        .execute(pool)
                        .await
                        .expect("create test schema");
                }
                admin.close().await;
                let opts = PgConnectOptions::from_str(&url)
                    .expect("PostgreSQL URL")
                    .options([("search_path", schema.as_str())]);
                let db = Db::connect_postgres(opts).await.expect("connect to test schema");
                db.migrate().await.expect("migrate PostgreSQL");
                Some(Self { db, cleanup: Cleanup::Schema { url, schema } })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.to_string_lossy()));
                }
            }
            Cleanup::Schema { url, schema } => {
                let (url, schema) = (url.clone(), schema.clone());
                // Drop the schema from a thread of its own: Drop cannot await.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                    rt.block_on(async {
                        if let Ok(Db::Postgres(pool)) = Db::connect(&url).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("drop schema if exists {schema} cascade")))
                                .execute(&pool)
                                .await;
                            pool.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Writes one test body twice: `sqlite` and `postgres`, each on a fresh database.
///
/// ```text
/// both_databases!(a_village_is_created, |db| async move { … });
/// ```
#[macro_export]
macro_rules! both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(t) = $crate::testing::TestDb::new($crate::testing::Backend::Sqlite).await {
                    ($body)(t.db.clone()).await;
                    drop(t);
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(t) = $crate::testing::TestDb::new($crate::testing::Backend::Postgres).await {
                    ($body)(t.db.clone()).await;
                    drop(t);
                }
            }
        }
    };
}

/// Runs one statement with one integer bound to `$1`, for a test to set up what no public
/// function makes (a grant as a reorganisation leaves it).
///
/// # Panics
/// When the statement fails.
pub async fn execute(db: &Db, sql: &str, value: i64) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(p) => sqlx::query(sql).bind(value).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql).bind(value).execute(p).await.map(|_| ()),
    }
    .expect("the test's statement runs");
}
