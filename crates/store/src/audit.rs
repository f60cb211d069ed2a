//! The audit trail (nhật ký thao tác). Every store write records, in its own transaction, who
//! made it (the actor of the current task), from which channel and address, on which entity, and
//! the values before and after. The actor is set once per request or command
//! ([`acting_as`]) and completed by authentication ([`identify`]); writes outside any actor are
//! recorded as the system's.

use std::cell::RefCell;

use serde::Serialize;
use serde_json::Value;
use sqlx::AssertSqlSafe;

use crate::{Db, Page, PageRequest, StoreError};

/// Who is writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The user's login, `cli` for the command line, `system` otherwise.
    pub login: String,
    /// `web`, `api`, `cli` or `system`.
    pub channel: &'static str,
    /// The client's address, for web and API requests.
    pub address: Option<String>,
}

impl Actor {
    #[must_use]
    pub fn system() -> Self {
        Self { login: "system".into(), channel: "system", address: None }
    }

    /// The command line: an operator with full access, recorded as the CLI.
    #[must_use]
    pub fn cli() -> Self {
        Self { login: "cli".into(), channel: "cli", address: None }
    }

    /// A request from an address, before its user is known.
    #[must_use]
    pub fn request(address: Option<String>) -> Self {
        Self { login: "anonymous".into(), channel: "web", address }
    }
}

tokio::task_local! {
    static ACTOR: RefCell<Actor>;
}

/// Runs `f` with `actor` as the author of every write it makes.
pub async fn acting_as<F: Future>(actor: Actor, f: F) -> F::Output {
    ACTOR.scope(RefCell::new(actor), f).await
}

/// Names the user of the current request once authenticated (`web` or `api`).
pub fn identify(login: &str, channel: &'static str) {
    let _ = ACTOR.try_with(|a| {
        let mut a = a.borrow_mut();
        a.login = login.to_owned();
        a.channel = channel;
    });
}

/// The actor of the current task.
#[must_use]
pub fn current() -> Actor {
    ACTOR.try_with(|a| a.borrow().clone()).unwrap_or_else(|_| Actor::system())
}

/// One write, as the trail records it.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub entity: &'static str,
    pub entity_id: Option<i64>,
    pub action: &'static str,
    /// The unit path the entity belongs to (for filtering the trail by unit).
    pub unit_path: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Event {
    #[must_use]
    pub fn new(entity: &'static str, entity_id: i64, action: &'static str) -> Self {
        Self { entity, entity_id: Some(entity_id), action, ..Self::default() }
    }

    #[must_use]
    pub fn unit(mut self, path: &str) -> Self {
        self.unit_path = Some(path.to_owned());
        self
    }

    #[must_use]
    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    #[must_use]
    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
}

/// Records an event that changes nothing else: a reveal of personal data, an export.
///
/// # Errors
/// Database errors.
pub async fn record(db: &Db, event: Event) -> Result<(), StoreError> {
    in_tx!(db, |tx| {
        audit!(tx, event);
        Ok::<(), StoreError>(())
    })
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Recorded {
    pub audit_event_id: i64,
    pub occurred_at: String,
    pub actor: String,
    pub channel: String,
    pub address: Option<String>,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub action: String,
    pub unit_path: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub entity: Option<String>,
    /// A unit path prefix (`49/502/`).
    pub unit_path: Option<String>,
    /// Inclusive bounds on the day, `yyyy-mm-dd`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The reader's reach: events on units inside it (and, for a reader of everything, events on
    /// no unit: users, grants, change sets).
    pub scope: crate::Scope,
}

/// Events, newest first.
///
/// # Errors
/// Database errors.
pub async fn list(db: &Db, filter: &Filter, page: PageRequest) -> Result<Page<Recorded>, StoreError> {
    let opt = |o: &Option<String>| o.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let (actor, entity, unit, from, to) =
        (opt(&filter.actor), opt(&filter.entity), opt(&filter.unit_path), opt(&filter.from), opt(&filter.to));
    let unit = crate::contains_pattern(&unit).strip_prefix('%').map(str::to_owned).unwrap_or_default();
    let to_end = if to.is_empty() { String::new() } else { format!("{to}T23:59:59Z") };
    let (cond, values) = filter.scope.condition("unit_path", 6);
    let where_ = format!(
        "where ($1 = '' or actor = $1) and ($2 = '' or entity = $2) and ($3 = '' or unit_path like $3 escape '\\') \
         and ($4 = '' or occurred_at >= $4) and ($5 = '' or occurred_at <= $5) and {cond}"
    );
    let count_sql = format!("select count(*) from audit_event {where_}");
    let sql = format!(
        "select audit_event_id, occurred_at, actor, channel, address, entity, entity_id, action, unit_path, before_json, \
         after_json from audit_event {where_} order by audit_event_id desc limit {} offset {}",
        page.per_page,
        page.offset()
    );
    let (total, items) = on_db!(db, |pool| {
        let q = sqlx::query_as(AssertSqlSafe(count_sql.as_str()))
            .bind(&actor)
            .bind(&entity)
            .bind(&unit)
            .bind(&from)
            .bind(&to_end);
        let (total,): (i64,) = values.iter().fold(q, |q, v| q.bind(v)).fetch_one(pool).await?;
        let q = sqlx::query_as(AssertSqlSafe(sql.as_str()))
            .bind(&actor)
            .bind(&entity)
            .bind(&unit)
            .bind(&from)
            .bind(&to_end);
        let items = values.iter().fold(q, |q, v| q.bind(v)).fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(Page { items, total, page: page.page, per_page: page.per_page })
}
