//! Grants (phân quyền) and what they allow. A user holds roles on units (covering everything
//! under them) or, as a team leader, on a team; [`access_of`] turns their grants into the scopes
//! every query and every write check uses.

use domain::UserRole;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Db, Scope, StoreError, now};

/// One grant, with its unit or team named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Grant {
    pub grant_id: i64,
    pub user_id: i64,
    pub login: String,
    pub role: String,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    #[serde(skip)]
    pub unit_path: Option<String>,
    pub team_id: Option<i64>,
    pub team: Option<String>,
    #[serde(skip)]
    pub team_commune_path: Option<String>,
    /// `active`, or `pending` when a reorganisation passed it on and an administrator has not
    /// confirmed it yet (a pending grant allows nothing).
    pub status: String,
    /// The ended unit it was passed from (`502 Huyện Nông Sơn`).
    pub passed_from: Option<String>,
    pub created_at: String,
}

impl Grant {
    #[must_use]
    pub fn role(&self) -> Option<UserRole> {
        UserRole::from_code(&self.role)
    }

    /// What the grant covers, for people to read.
    #[must_use]
    pub fn target(&self) -> String {
        match (&self.unit_code, &self.unit_name, &self.team) {
            (Some(code), Some(name), _) => format!("{code} {name}"),
            (_, _, Some(team)) => team.clone(),
            _ => "Toàn quốc".to_owned(),
        }
    }

    /// The unit path the grant covers; `None` for the whole country.
    #[must_use]
    pub fn path(&self) -> Option<&str> {
        self.unit_path.as_deref().or(self.team_commune_path.as_deref())
    }
}

const GRANT_SELECT: &str = "select g.user_grant_id as grant_id, g.user_id, a.login, g.role, u.code as unit_code, \
    u.name as unit_name, u.path as unit_path, g.team_id, t.name as team, c.path as team_commune_path, g.status, \
    g.passed_from, g.created_at \
    from user_grant g join app_user a on a.user_id = g.user_id \
    left join unit u on u.unit_id = g.unit_id \
    left join team t on t.team_id = g.team_id \
    left join village v on v.village_id = t.village_id \
    left join unit c on c.unit_id = v.commune_id";

/// What a grant is on, as a caller names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The whole country (operators and the first administrator).
    Everything,
    /// A current unit by code, with everything under it.
    Unit(String),
    /// A team, by id (team leaders).
    Team(i64),
}

/// A grant checked against the registry, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    pub role: UserRole,
    pub unit_id: Option<i64>,
    pub team_id: Option<i64>,
    /// The unit path it covers (for the audit trail and for checking an administrator's reach).
    pub path: Option<String>,
    /// For messages: `Cán bộ xã — 20335 Xã Tam Dân`.
    pub label: String,
}

impl NewGrant {
    /// A role over the whole country (not for commune officers or team leaders, who need a
    /// commune or a team: see [`resolve`]).
    #[must_use]
    pub fn everywhere(role: UserRole) -> Self {
        Self { role, unit_id: None, team_id: None, path: None, label: format!("{} — toàn quốc", role.label()) }
    }
}

/// Checks a role and a target: team leaders are granted a team, commune officers a commune,
/// everyone else a unit or the whole country.
///
/// # Errors
/// `Invalid` for a mismatched role and target or a dissolved team; `NotFound` for a unit that is
/// not current or a team that does not exist.
pub async fn resolve(db: &Db, role: UserRole, target: &Target) -> Result<NewGrant, StoreError> {
    match (role, target) {
        (UserRole::TeamLeader, Target::Team(id)) => {
            let team = crate::teams::get(db, &Scope::All, *id).await?;
            if team.status != "active" {
                return Err(StoreError::invalid("team", format!("{} đã giải thể", team.name)));
            }
            Ok(NewGrant {
                role,
                unit_id: None,
                team_id: Some(team.id),
                path: Some(team.commune_path.clone()),
                label: format!("{} — {}", role.label(), team.name),
            })
        }
        (UserRole::TeamLeader, _) => {
            Err(StoreError::invalid("team", "Tổ trưởng được phân quyền trên một tổ (--team SỐ)"))
        }
        (_, Target::Team(_)) => {
            Err(StoreError::invalid("team", "Chỉ vai trò tổ trưởng được phân quyền trên một tổ; hãy chọn đơn vị"))
        }
        (UserRole::CommuneOfficer, Target::Everything) => {
            Err(StoreError::invalid("unit", "Cán bộ xã được phân quyền trên một xã (--unit MÃ)"))
        }
        (_, Target::Everything) => Ok(NewGrant::everywhere(role)),
        (_, Target::Unit(code)) => {
            let unit = crate::units::by_code(db, code).await?;
            if role == UserRole::CommuneOfficer && unit.level != "commune" {
                return Err(StoreError::invalid(
                    "unit",
                    format!("Cán bộ xã được phân quyền trên một xã; {} {} không phải cấp xã", unit.code, unit.name),
                ));
            }
            Ok(NewGrant {
                role,
                unit_id: Some(unit.unit_id),
                team_id: None,
                path: Some(unit.path.clone()),
                label: format!("{} — {} {}", role.label(), unit.code, unit.name),
            })
        }
    }
}

/// Stores an active grant for a user and records it in the audit trail, inside the transaction
/// `$tx`; evaluates to the grant's id.
macro_rules! insert_grant {
    ($tx:ident, $user_id:expr, $login:expr, $g:expr, $stamp:expr) => {{
        let g: &$crate::access::NewGrant = $g;
        let (id,): (i64,) = sqlx::query_as(
            "insert into user_grant (user_id, role, unit_id, team_id, status, passed_from, created_at) \
             values ($1, $2, $3, $4, 'active', null, $5) returning user_grant_id",
        )
        .bind($user_id)
        .bind(g.role.code())
        .bind(g.unit_id)
        .bind(g.team_id)
        .bind($stamp)
        .fetch_one(&mut *$tx)
        .await?;
        let mut event = $crate::audit::Event::new("grant", id, "create")
            .after(serde_json::json!({ "login": $login, "grant": g.label }));
        event.unit_path = g.path.clone();
        audit!($tx, event);
        id
    }};
}

fn duplicate(e: StoreError) -> StoreError {
    if e.is_unique_violation() { StoreError::conflict("role", "Người dùng đã có quyền này") } else { e }
}

/// Grants a user a role.
///
/// # Errors
/// `NotFound` for an unknown login; `Conflict` when the user holds that grant already.
pub async fn grant(db: &Db, login: &str, g: &NewGrant) -> Result<i64, StoreError> {
    let user = crate::users::by_login(db, login).await?;
    let stamp = now();
    let r: Result<i64, StoreError> = in_tx!(db, |tx| {
        let id = insert_grant!(tx, user.user_id, &user.login, g, &stamp);
        Ok::<i64, StoreError>(id)
    });
    r.map_err(duplicate)
}

/// One grant by id.
///
/// # Errors
/// `NotFound`.
pub async fn get(db: &Db, grant_id: i64) -> Result<Grant, StoreError> {
    let sql = format!("{GRANT_SELECT} where g.user_grant_id = $1");
    let g: Option<Grant> =
        on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(grant_id).fetch_optional(pool).await)?;
    g.ok_or_else(|| StoreError::not_found("Không tìm thấy quyền này"))
}

/// Takes a grant away.
///
/// # Errors
/// `NotFound`.
pub async fn revoke(db: &Db, grant_id: i64) -> Result<(), StoreError> {
    let g = get(db, grant_id).await?;
    in_tx!(db, |tx| {
        sqlx::query("delete from user_grant where user_grant_id = $1").bind(grant_id).execute(&mut *tx).await?;
        let mut event = crate::audit::Event::new("grant", grant_id, "revoke")
            .before(serde_json::json!({ "login": g.login, "role": g.role, "target": g.target(), "status": g.status }));
        event.unit_path = g.path().map(str::to_owned);
        audit!(tx, event);
        Ok::<(), StoreError>(())
    })
}

/// Takes away the grant of `role` on `target` a user holds.
///
/// # Errors
/// `NotFound` when the user holds no such grant.
pub async fn revoke_matching(db: &Db, login: &str, g: &NewGrant) -> Result<(), StoreError> {
    let user = crate::users::by_login(db, login).await?;
    let found = of_user(db, user.user_id).await?.into_iter().find(|x| {
        x.role == g.role.code()
            && x.team_id == g.team_id
            && (x.unit_path.as_deref() == g.path.as_deref() || (g.team_id.is_some() && x.unit_path.is_none()))
    });
    match found {
        Some(x) => revoke(db, x.grant_id).await,
        None => Err(StoreError::not_found(format!("{login} không có quyền {}", g.label))),
    }
}

/// Confirms a grant a reorganisation passed on.
///
/// # Errors
/// `NotFound`; `Conflict` when it is not pending.
pub async fn confirm(db: &Db, grant_id: i64) -> Result<(), StoreError> {
    let g = get(db, grant_id).await?;
    if g.status != "pending" {
        return Err(StoreError::conflict("status", format!("Quyền số {grant_id} đã có hiệu lực; không cần xác nhận")));
    }
    in_tx!(db, |tx| {
        sqlx::query("update user_grant set status = 'active' where user_grant_id = $1")
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
        let mut event = crate::audit::Event::new("grant", grant_id, "confirm")
            .before(serde_json::json!({ "status": g.status }))
            .after(serde_json::json!({ "status": "active", "login": g.login, "target": g.target() }));
        event.unit_path = g.path().map(str::to_owned);
        audit!(tx, event);
        Ok::<(), StoreError>(())
    })
}

/// Confirms every pending grant inside `scope`, in one transaction; answers how many.
///
/// # Errors
/// Database errors.
pub async fn confirm_all(db: &Db, scope: &Scope) -> Result<usize, StoreError> {
    let pending: Vec<Grant> = within(db, scope).await?.into_iter().filter(|g| g.status == "pending").collect();
    in_tx!(db, |tx| {
        for g in &pending {
            sqlx::query("update user_grant set status = 'active' where user_grant_id = $1 and status = 'pending'")
                .bind(g.grant_id)
                .execute(&mut *tx)
                .await?;
            let mut event = crate::audit::Event::new("grant", g.grant_id, "confirm")
                .before(serde_json::json!({ "status": "pending" }))
                .after(serde_json::json!({ "status": "active", "login": g.login, "target": g.target() }));
            event.unit_path = g.path().map(str::to_owned);
            audit!(tx, event);
        }
        Ok::<(), StoreError>(())
    })?;
    Ok(pending.len())
}

/// A user's grants, by role then unit.
///
/// # Errors
/// Database errors.
pub async fn of_user(db: &Db, user_id: i64) -> Result<Vec<Grant>, StoreError> {
    let sql = format!("{GRANT_SELECT} where g.user_id = $1 order by g.role, u.path, g.team_id");
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(user_id).fetch_all(pool).await)?)
}

/// What an export's log keeps of the search that chose its rows: the words, but not a number
/// typed to find someone (a phone or CCCD would otherwise sit in the trail in full).
#[must_use]
pub fn loggable_search(search: &str) -> String {
    if search.chars().any(|c| c.is_ascii_digit()) {
        "(tìm theo số, không ghi lại)".to_owned()
    } else {
        search.trim().to_owned()
    }
}

/// Every grant an administrator with `scope` may see (on units or teams inside it), pending
/// ones first.
///
/// # Errors
/// Database errors.
pub async fn within(db: &Db, scope: &Scope) -> Result<Vec<Grant>, StoreError> {
    let (cond, values) = scope.condition("coalesce(u.path, c.path, '')", 1);
    let sql = format!(
        "{GRANT_SELECT} where {cond} order by case when g.status = 'pending' then 0 else 1 end, a.login, g.role, u.path"
    );
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()));
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// What a user may read, change and see whole, from their grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Units whose registry the user reads.
    pub read: Scope,
    /// Units whose registry the user changes.
    pub write: Scope,
    /// Units where phone numbers and CCCDs show whole.
    pub personal: Scope,
    /// Teams the user leads: they change them and see their members whole.
    pub teams: Vec<i64>,
    /// Units the user administers (users, unit changes, audit trail).
    pub admin: Scope,
    /// Units whose payments the user approves.
    pub finance: Scope,
}

impl Access {
    /// Full access: the command line, which operators run on the server.
    #[must_use]
    pub fn everything() -> Self {
        Self {
            read: Scope::All,
            write: Scope::All,
            personal: Scope::All,
            teams: Vec::new(),
            admin: Scope::All,
            finance: Scope::All,
        }
    }

    /// No access at all (a user without grants).
    #[must_use]
    pub fn nothing() -> Self {
        let none = Scope::Paths(Vec::new());
        Self {
            read: none.clone(),
            write: none.clone(),
            personal: none.clone(),
            teams: Vec::new(),
            admin: none.clone(),
            finance: none,
        }
    }

    /// From a user's grants. A grant a reorganisation passed on works only once an administrator
    /// has confirmed it: the successor is usually wider than the ended unit (a merged commune, a
    /// merged province), and nobody's reach widens without a person deciding it. Grants on units
    /// that have ended cover nothing, since nothing current lies under their paths.
    #[must_use]
    pub fn from_grants(grants: &[Grant]) -> Self {
        let mut a = Self::nothing();
        for g in grants.iter().filter(|g| g.status != "pending") {
            let Some(role) = g.role() else { continue };
            let scope = match g.path() {
                Some(p) => Scope::Paths(vec![p.to_owned()]),
                None if g.team_id.is_some() => continue,
                None => Scope::All,
            };
            a.read = a.read.union(&scope);
            if role.writes_registry() {
                a.write = a.write.union(&scope);
            }
            if role.sees_personal_data() {
                a.personal = a.personal.union(&scope);
            }
            if role.administers() {
                a.admin = a.admin.union(&scope);
            }
            if role.approves_payments() {
                a.finance = a.finance.union(&scope);
            }
            if let Some(team) = g.team_id
                && !a.teams.contains(&team)
            {
                a.teams.push(team);
            }
        }
        a
    }

    /// Whether an administrator may give or take away a grant covering `path` (`None`: the whole
    /// country): only within what they administer.
    #[must_use]
    pub fn reaches(&self, path: Option<&str>) -> bool {
        match path {
            Some(p) => self.admin.covers(p),
            None => self.admin == Scope::All,
        }
    }

    /// Whether the user records and changes funding policies for the unit at `path`: its
    /// administrators and its finance approvers.
    #[must_use]
    pub fn manages_funding(&self, path: &str) -> bool {
        self.admin.covers(path) || self.finance.covers(path)
    }

    /// Whether the user administers anything.
    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.admin != Scope::Paths(Vec::new())
    }

    /// Whether the user changes the registry of the commune at `path`.
    #[must_use]
    pub fn writes(&self, path: &str) -> bool {
        self.write.covers(path)
    }

    /// Whether the user changes this team: it lies in their write scope or they lead it.
    #[must_use]
    pub fn writes_team(&self, team_id: i64, commune_path: &str) -> bool {
        self.writes(commune_path) || self.teams.contains(&team_id)
    }

    /// Whether the user changes a person: through their current team, or (a person in no team)
    /// only with the whole registry to write.
    #[must_use]
    pub fn writes_person(&self, team_id: Option<i64>, commune_path: Option<&str>) -> bool {
        match (team_id, commune_path) {
            (Some(t), Some(p)) => self.writes_team(t, p),
            _ => self.write == Scope::All,
        }
    }

    /// Whether a person's phone and CCCD show whole: a person in a team in the user's personal
    /// scope or a team they lead; a person in no team only to those who see everything whole.
    #[must_use]
    pub fn sees_personal(&self, team_id: Option<i64>, commune_path: Option<&str>) -> bool {
        match (team_id, commune_path) {
            (Some(t), Some(p)) => self.personal.covers(p) || self.teams.contains(&t),
            _ => self.personal == Scope::All,
        }
    }

    /// A SQL condition true on rows whose personal data the user sees whole, given the columns
    /// of the row's commune path and team id; placeholders from `$first` on.
    #[must_use]
    pub fn personal_condition(&self, path_column: &str, team_column: &str, first: usize) -> (String, Vec<String>) {
        let (cond, values) = self.personal.condition(path_column, first);
        if self.teams.is_empty() {
            return (cond, values);
        }
        let ids: Vec<String> = self.teams.iter().map(i64::to_string).collect();
        (format!("({cond} or {team_column} in ({}))", ids.join(", ")), values)
    }
}

/// What a user may do, from their grants.
///
/// # Errors
/// Database errors.
pub async fn access_of(db: &Db, user_id: i64) -> Result<Access, StoreError> {
    Ok(Access::from_grants(&of_user(db, user_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: UserRole, path: Option<&str>, team: Option<i64>) -> Grant {
        Grant {
            grant_id: 1,
            user_id: 1,
            login: "x".into(),
            role: role.code().into(),
            unit_code: None,
            unit_name: None,
            unit_path: if team.is_none() { path.map(str::to_owned) } else { None },
            team_id: team,
            team: None,
            team_commune_path: if team.is_some() { path.map(str::to_owned) } else { None },
            status: "active".into(),
            passed_from: None,
            created_at: String::new(),
        }
    }

    #[test]
    fn roles_add_up_to_scopes() {
        let a = Access::from_grants(&[
            grant(UserRole::Viewer, Some("48/"), None),
            grant(UserRole::CommuneOfficer, Some("48/20335/"), None),
        ]);
        assert_eq!(a.read, Scope::Paths(vec!["48/".into()]));
        assert_eq!(a.write, Scope::Paths(vec!["48/20335/".into()]));
        assert!(a.sees_personal(Some(1), Some("48/20335/")));
        assert!(!a.sees_personal(Some(1), Some("48/20336/")));
        assert!(!a.is_admin());
    }

    #[test]
    fn team_leaders_read_their_commune_and_change_their_team() {
        let a = Access::from_grants(&[grant(UserRole::TeamLeader, Some("48/20335/"), Some(7))]);
        assert_eq!(a.read, Scope::Paths(vec!["48/20335/".into()]));
        assert!(a.writes_team(7, "48/20335/"));
        assert!(!a.writes_team(8, "48/20335/"));
        assert!(!a.writes("48/20335/"));
        assert!(a.sees_personal(Some(7), Some("48/20335/")));
        assert!(!a.sees_personal(Some(8), Some("48/20335/")));
        let (sql, _) = a.personal_condition("c.path", "t.team_id", 1);
        assert_eq!(sql, "(1 = 0 or t.team_id in (7))");
    }

    #[test]
    fn no_grants_reach_nothing_and_the_country_reaches_all() {
        let none = Access::from_grants(&[]);
        assert_eq!(none, Access::nothing());
        assert!(!none.read.covers("48/"));
        let all = Access::from_grants(&[grant(UserRole::ProvinceAdmin, None, None)]);
        assert_eq!(
            (&all.read, &all.write, &all.personal, &all.admin),
            (&Scope::All, &Scope::All, &Scope::All, &Scope::All)
        );
        // Approving payments is a separate duty, not an administrator's.
        assert_eq!(all.finance, Scope::Paths(vec![]));
        assert!(all.sees_personal(None, None));
    }
}
