//! Teams (Tổ công nghệ số cộng đồng): at most one active team per village.

use domain::input::TeamInput;
use domain::{HealthIssue, TeamHealth, text};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Db, Page, PageRequest, Scope, StoreError, iso, now, villages};

/// Tổ CNSCĐ — a team with its village, its commune and the counts that judge its health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub established_on: String,
    pub dissolved_on: Option<String>,
    pub zalo_url: Option<String>,
    pub village_id: i64,
    pub village: String,
    pub commune_code: String,
    pub commune: String,
    #[serde(skip)]
    pub commune_path: String,
    /// Active members.
    pub members: i64,
    pub commune_officials: i64,
    pub leaders: i64,
}

impl Team {
    #[must_use]
    pub fn health(&self) -> TeamHealth {
        TeamHealth { active_members: self.members, commune_officials: self.commune_officials, leaders: self.leaders }
    }

    /// The team as JSON, with its health issues by code (`under_5_members`, `no_commune_official`,
    /// `no_leader`).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["health"] = self.issues().iter().map(|i| i.code()).collect();
        v
    }

    /// Health issues; a dissolved team has none (it is not expected to work).
    #[must_use]
    pub fn issues(&self) -> Vec<HealthIssue> {
        if self.status == "active" { self.health().issues() } else { Vec::new() }
    }
}

pub(crate) const TEAM_STATS: &str = "select team_id, count(*) as members, \
    cast(sum(case when position = 'commune_official' then 1 else 0 end) as bigint) as officials, \
    cast(sum(case when role = 'leader' then 1 else 0 end) as bigint) as leaders \
    from membership where left_on is null group by team_id";

/// The teams with their counts of members; `stats_filter` narrows the counting (one team's
/// page counts that team's members, not every membership in the country).
fn select(stats_filter: &str) -> String {
    let stats = TEAM_STATS.replace("where left_on is null", &format!("where left_on is null {stats_filter}"));
    format!(
        "select t.team_id as id, t.name, t.status, t.established_on, t.dissolved_on, t.zalo_url, \
         v.village_id, v.name as village, c.code as commune_code, c.name as commune, c.path as commune_path, \
         coalesce(s.members, 0) as members, coalesce(s.officials, 0) as commune_officials, \
         coalesce(s.leaders, 0) as leaders \
         from team t join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
         left join ({stats}) s on s.team_id = t.team_id"
    )
}

/// Which teams to list.
#[derive(Debug, Clone, Default)]
pub struct TeamFilter {
    pub search: Option<String>,
    pub include_dissolved: bool,
    /// Only active teams with this health issue.
    pub issue: Option<HealthIssue>,
}

/// Teams in scope, by commune and then in Vietnamese order of their village's name.
///
/// # Errors
/// Database errors.
pub async fn list(db: &Db, scope: &Scope, filter: &TeamFilter, page: PageRequest) -> Result<Page<Team>, StoreError> {
    let (cond, values) = scope.condition("c.path", 3);
    let search = filter
        .search
        .as_deref()
        .map(text::fold)
        .filter(|s| !s.is_empty())
        .map(|s| crate::contains_pattern(&s))
        .unwrap_or_default();
    let status = if filter.include_dissolved { "" } else { "active" };
    let issue = match filter.issue {
        None => String::new(),
        Some(HealthIssue::UnderFiveMembers) => {
            format!(" and coalesce(s.members, 0) < {}", domain::team::MIN_TEAM_MEMBERS)
        }
        Some(HealthIssue::NoCommuneOfficial) => " and coalesce(s.officials, 0) = 0".to_owned(),
        Some(HealthIssue::NoLeader) => " and coalesce(s.leaders, 0) = 0".to_owned(),
    };
    let issue = if issue.is_empty() { issue } else { format!("{issue} and t.status = 'active'") };
    let where_ = format!(
        "where {cond} and ($1 = '' or t.search_text like $1 escape '\\' or v.search_text like $1 escape '\\' or c.search_text like $1 escape '\\') \
         and ($2 = '' or t.status = $2){issue}"
    );
    let base = select("");
    let count_sql = format!("select count(*) from ({base} {where_}) x");
    let sql = format!(
        "{base} {where_} order by c.path, v.sort_key, t.team_id limit {} offset {}",
        page.per_page,
        page.offset()
    );
    let (total, items) = on_db!(db, |pool| {
        let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count_sql.as_str())).bind(&search).bind(status);
        for v in &values {
            q = q.bind(v);
        }
        let (total,) = q.fetch_one(pool).await?;
        let mut q = sqlx::query_as::<_, Team>(AssertSqlSafe(sql.as_str())).bind(&search).bind(status);
        for v in &values {
            q = q.bind(v);
        }
        Ok::<_, sqlx::Error>((total, q.fetch_all(pool).await?))
    })?;
    Ok(Page { items, total, page: page.page, per_page: page.per_page })
}

/// One team, if it is in scope.
///
/// # Errors
/// `NotFound` when it does not exist or is out of scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Team, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!("{} where t.team_id = $1 and {cond}", select("and team_id = $1"));
    let t: Option<Team> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(pool).await
    })?;
    t.ok_or_else(|| StoreError::not_found("Không tìm thấy tổ công nghệ số cộng đồng"))
}

/// The default name of a village's team.
#[must_use]
pub fn default_name(village: &str) -> String {
    format!("Tổ công nghệ số cộng đồng {village}")
}

fn second_team(village: &str, team: &str) -> StoreError {
    StoreError::conflict("village_id", format!("{village} đã có {team} đang hoạt động; mỗi thôn chỉ có một tổ"))
}

/// Founds a team in a village that has no active team.
///
/// # Errors
/// `NotFound` for a village out of scope; `Conflict` when the village is inactive or already has
/// an active team (the database refuses it too).
pub async fn create(db: &Db, scope: &Scope, village_id: i64, input: &TeamInput) -> Result<i64, StoreError> {
    let village = villages::get(db, scope, village_id).await?;
    if village.status != "active" {
        return Err(StoreError::conflict("village_id", format!("{} đã ngừng hoạt động", village.name)));
    }
    if let Some(team) = &village.team {
        return Err(second_team(&village.name, team));
    }
    let name = input.name.clone().unwrap_or_else(|| default_name(&village.name));
    let stamp = now();
    let result: Result<i64, StoreError> = in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into team (village_id, name, search_text, sort_key, established_on, zalo_url, status, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, 'active', $7, $7) returning team_id",
        )
        .bind(village_id)
        .bind(&name)
        .bind(text::fold(&name))
        .bind(text::sort_key(&name))
        .bind(iso(input.established_on))
        .bind(&input.zalo_url)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(tx, crate::audit::Event::new("team", id, "create").unit(&village.commune_path).after(serde_json::json!({ "name": name, "village_id": village_id, "established_on": iso(input.established_on), "zalo_url": input.zalo_url })));
        Ok::<i64, StoreError>(id)
    });
    result.map_err(|e| if e.is_unique_violation() { second_team(&village.name, "một tổ khác") } else { e })
}

/// Changes a team's name, founding date and Zalo link.
///
/// # Errors
/// `NotFound` out of scope; `Invalid` when the founding date falls after a member joined.
pub async fn update(db: &Db, scope: &Scope, id: i64, input: &TeamInput) -> Result<(), StoreError> {
    let team = get(db, scope, id).await?;
    let name = input.name.clone().unwrap_or_else(|| default_name(&team.village));
    let established = iso(input.established_on);
    if team.dissolved_on.as_deref().is_some_and(|d| d < established.as_str()) {
        return Err(StoreError::invalid("established_on", "Ngày thành lập sau ngày giải thể"));
    }
    let (first_joined,): (Option<String>,) =
        on_db!(db, |pool| sqlx::query_as("select min(joined_on) from membership where team_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await)?;
    if let Some(first) = first_joined.filter(|f| f.as_str() < established.as_str()) {
        return Err(StoreError::invalid(
            "established_on",
            format!("Ngày thành lập sau ngày có thành viên vào tổ ({})", crate::display_date(&first)),
        ));
    }
    let stamp = now();
    in_tx!(db, |tx| {
        sqlx::query(
            "update team set name = $2, search_text = $3, sort_key = $4, established_on = $5, zalo_url = $6, \
             updated_at = $7 where team_id = $1",
        )
        .bind(id)
        .bind(&name)
        .bind(text::fold(&name))
        .bind(text::sort_key(&name))
        .bind(&established)
        .bind(&input.zalo_url)
        .bind(&stamp)
        .execute(&mut *tx)
        .await?;
        audit!(tx, crate::audit::Event::new("team", id, "update").unit(&team.commune_path).before(serde_json::json!({ "name": team.name, "established_on": team.established_on, "zalo_url": team.zalo_url })).after(serde_json::json!({ "name": name, "established_on": established, "zalo_url": input.zalo_url })));
        Ok::<(), StoreError>(())
    })
}

/// Dissolves a team on a date; its members leave it that day. One transaction.
///
/// # Errors
/// `NotFound` out of scope; `Conflict` when already dissolved; `Invalid` for a date before the
/// team was founded.
pub async fn dissolve(db: &Db, scope: &Scope, id: i64, on: time::Date) -> Result<(), StoreError> {
    let team = get(db, scope, id).await?;
    if team.status != "active" {
        return Err(StoreError::conflict("status", format!("{} đã giải thể", team.name)));
    }
    let day = iso(on);
    if day < team.established_on {
        return Err(StoreError::invalid("dissolved_on", "Ngày giải thể trước ngày thành lập"));
    }
    let (last_joined,): (Option<String>,) = on_db!(db, |pool| sqlx::query_as(
        "select max(joined_on) from membership where team_id = $1 and left_on is null"
    )
    .bind(id)
    .fetch_one(pool)
    .await)?;
    if let Some(last) = last_joined.filter(|l| l.as_str() > day.as_str()) {
        return Err(StoreError::invalid(
            "dissolved_on",
            format!("Ngày giải thể trước ngày một thành viên vào tổ ({})", crate::display_date(&last)),
        ));
    }
    let stamp = now();
    in_tx!(db, |tx| {
        sqlx::query("update membership set left_on = $2, updated_at = $3 where team_id = $1 and left_on is null")
            .bind(id)
            .bind(&day)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update team set status = 'dissolved', dissolved_on = $2, updated_at = $3 where team_id = $1")
            .bind(id)
            .bind(&day)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        audit!(
            tx,
            crate::audit::Event::new("team", id, "dissolve")
                .unit(&team.commune_path)
                .before(serde_json::json!({ "status": "active" }))
                .after(serde_json::json!({ "status": "dissolved", "dissolved_on": day }))
        );
        // A dissolved team has no leader to act for it: its team-leader grants end with it.
        let ended: Vec<(i64, i64)> = sqlx::query_as("select user_grant_id, user_id from user_grant where team_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        for (grant_id, user_id) in ended {
            sqlx::query("delete from user_grant where user_grant_id = $1").bind(grant_id).execute(&mut *tx).await?;
            audit!(
                tx,
                crate::audit::Event::new("grant", grant_id, "end")
                    .unit(&team.commune_path)
                    .before(serde_json::json!({ "user_id": user_id, "role": "team_leader", "team_id": id }))
                    .after(serde_json::json!({ "reason": "team dissolved", "dissolved_on": day }))
            );
        }
        Ok::<(), StoreError>(())
    })
}
