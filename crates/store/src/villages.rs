//! Villages (thôn / tổ dân phố / khối phố): not in any official list, created by users.

use domain::text;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::units::Unit;
use crate::{Db, Page, PageRequest, Scope, StoreError, iso, now};

/// Thôn / Tổ dân phố — a village inside a commune, with its team if it has an active one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Village {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub ended_on: Option<String>,
    pub commune_code: String,
    pub commune: String,
    #[serde(skip)]
    pub commune_path: String,
    pub team_id: Option<i64>,
    pub team: Option<String>,
    /// Why a person should look at this village (a name shared with another village of its
    /// commune after a reorganisation).
    pub review_note: Option<String>,
    /// The village this one was merged into.
    pub merged_into_id: Option<i64>,
}

const SELECT: &str = "select v.village_id as id, v.name, v.status, v.ended_on, c.code as commune_code, \
    c.name as commune, c.path as commune_path, t.team_id, t.name as team, v.review_note, v.merged_into_id \
    from village v join unit c on c.unit_id = v.commune_id \
    left join team t on t.village_id = v.village_id and t.status = 'active'";

/// Which villages to list.
#[derive(Debug, Clone, Default)]
pub struct VillageFilter {
    pub search: Option<String>,
    /// Include villages that have been deactivated.
    pub include_inactive: bool,
    /// Only villages with no active team.
    pub without_team: bool,
}

/// Villages in scope, in Vietnamese name order within each commune.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &VillageFilter,
    page: PageRequest,
) -> Result<Page<Village>, StoreError> {
    let (cond, values) = scope.condition("c.path", 4);
    let search = filter
        .search
        .as_deref()
        .map(text::fold)
        .filter(|s| !s.is_empty())
        .map(|s| crate::contains_pattern(&s))
        .unwrap_or_default();
    let status = if filter.include_inactive { "" } else { "active" };
    let no_team = if filter.without_team { "yes" } else { "" };
    let where_ = format!(
        "where {cond} and ($1 = '' or v.search_text like $1 escape '\\' or c.search_text like $1 escape '\\') and ($2 = '' or v.status = $2) \
         and ($3 = '' or t.team_id is null)"
    );
    let count_sql = format!(
        "select count(*) from village v join unit c on c.unit_id = v.commune_id \
         left join team t on t.village_id = v.village_id and t.status = 'active' {where_}"
    );
    let sql = format!(
        "{SELECT} {where_} order by c.path, v.sort_key, v.village_id limit {} offset {}",
        page.per_page,
        page.offset()
    );
    let (total, items) = on_db!(db, |pool| {
        let mut q =
            sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count_sql.as_str())).bind(&search).bind(status).bind(no_team);
        for v in &values {
            q = q.bind(v);
        }
        let (total,) = q.fetch_one(pool).await?;
        let mut q = sqlx::query_as::<_, Village>(AssertSqlSafe(sql.as_str())).bind(&search).bind(status).bind(no_team);
        for v in &values {
            q = q.bind(v);
        }
        Ok::<_, sqlx::Error>((total, q.fetch_all(pool).await?))
    })?;
    Ok(Page { items, total, page: page.page, per_page: page.per_page })
}

/// One village, if it is in scope.
///
/// # Errors
/// `NotFound` when it does not exist or is out of scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Village, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!("{SELECT} where v.village_id = $1 and {cond}");
    let v: Option<Village> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(pool).await
    })?;
    v.ok_or_else(|| StoreError::not_found("Không tìm thấy thôn / tổ dân phố"))
}

fn check_commune(commune: &Unit) -> Result<(), StoreError> {
    if commune.level != "commune" || commune.valid_to.is_some() {
        return Err(StoreError::invalid("commune", format!("{} không phải là đơn vị cấp xã hiện hành", commune.name)));
    }
    Ok(())
}

fn duplicate_name(existing: &str, commune: &str) -> StoreError {
    StoreError::conflict("name", format!("{commune} đã có thôn / tổ dân phố tên “{existing}”"))
}

/// Creates a village in a commune. The name must be new in that commune.
///
/// # Errors
/// `Conflict` for a name already used in the commune; `Invalid` when `commune` is not a
/// current commune.
pub async fn create(db: &Db, commune: &Unit, name: &str) -> Result<i64, StoreError> {
    check_commune(commune)?;
    let name = text::clean(name);
    let folded = text::fold(&name);
    let stamp = now();
    let result: Result<i64, StoreError> = in_tx!(db, |tx| {
        let clash: Option<(String,)> =
            sqlx::query_as("select name from village where commune_id = $1 and search_text = $2 and status = 'active'")
                .bind(commune.unit_id)
                .bind(&folded)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((existing,)) = clash {
            return Err(duplicate_name(&existing, &commune.name));
        }
        let (id,): (i64,) = sqlx::query_as(
            "insert into village (commune_id, name, search_text, sort_key, status, created_at, updated_at) \
             values ($1, $2, $3, $4, 'active', $5, $5) returning village_id",
        )
        .bind(commune.unit_id)
        .bind(&name)
        .bind(&folded)
        .bind(text::sort_key(&name))
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        // A village has no founding date of its own: it is deemed to have lain in its commune
        // for as long as the commune's row has existed.
        sqlx::query("insert into village_placement (village_id, commune_id, valid_from) values ($1, $2, $3)")
            .bind(id)
            .bind(commune.unit_id)
            .bind(&commune.valid_from)
            .execute(&mut *tx)
            .await?;
        audit!(
            tx,
            crate::audit::Event::new("village", id, "create")
                .unit(&commune.path)
                .after(serde_json::json!({ "name": name, "commune_code": commune.code }))
        );
        Ok::<i64, StoreError>(id)
    });
    result.map_err(|e| if e.is_unique_violation() { duplicate_name(&name, &commune.name) } else { e })
}

/// Renames a village.
///
/// # Errors
/// `NotFound` out of scope; `Conflict` for a name already used in its commune.
pub async fn rename(db: &Db, scope: &Scope, id: i64, name: &str) -> Result<(), StoreError> {
    let village = get(db, scope, id).await?;
    let name = text::clean(name);
    let folded = text::fold(&name);
    let stamp = now();
    let result: Result<(), StoreError> = in_tx!(db, |tx| {
        let clash: Option<(String,)> = sqlx::query_as(
            "select name from village where commune_id = (select commune_id from village where village_id = $1) \
             and search_text = $2 and status = 'active' and village_id <> $1",
        )
        .bind(id)
        .bind(&folded)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((existing,)) = clash {
            return Err(duplicate_name(&existing, &village.commune));
        }
        sqlx::query(
            "update village set name = $2, search_text = $3, sort_key = $4, review_note = null, updated_at = $5 \
             where village_id = $1",
        )
        .bind(id)
        .bind(&name)
        .bind(&folded)
        .bind(text::sort_key(&name))
        .bind(&stamp)
        .execute(&mut *tx)
        .await?;
        let (commune,): (i64,) =
            sqlx::query_as("select commune_id from village where village_id = $1").bind(id).fetch_one(&mut *tx).await?;
        sqlx::query(CLEAR_RESOLVED_NOTES).bind(commune).execute(&mut *tx).await?;
        audit!(
            tx,
            crate::audit::Event::new("village", id, "rename")
                .unit(&village.commune_path)
                .before(serde_json::json!({ "name": village.name }))
                .after(serde_json::json!({ "name": name }))
        );
        Ok::<(), StoreError>(())
    });
    result.map_err(|e| if e.is_unique_violation() { duplicate_name(&name, &village.commune) } else { e })
}

/// Deactivates a village from a date. A village whose team is still active is refused: the
/// team must be dissolved first, so that no team is left without a village.
///
/// # Errors
/// `NotFound` out of scope; `Conflict` when the village is inactive already or has an active team.
pub async fn deactivate(db: &Db, scope: &Scope, id: i64, on: time::Date) -> Result<(), StoreError> {
    let village = get(db, scope, id).await?;
    if village.status != "active" {
        return Err(StoreError::conflict("status", format!("{} đã ngừng hoạt động", village.name)));
    }
    if let Some(team) = &village.team {
        return Err(StoreError::conflict(
            "status",
            format!("{} còn {team} đang hoạt động; hãy giải thể tổ trước", village.name),
        ));
    }
    let stamp = now();
    in_tx!(db, |tx| {
        sqlx::query("update village set status = 'inactive', ended_on = $2, updated_at = $3 where village_id = $1 and status = 'active'")
            .bind(id)
            .bind(iso(on))
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update village_placement set valid_to = $2 where village_id = $1 and valid_to is null")
            .bind(id)
            .bind(iso(on))
            .execute(&mut *tx)
            .await?;
        audit!(
            tx,
            crate::audit::Event::new("village", id, "deactivate")
                .unit(&village.commune_path)
                .before(serde_json::json!({ "status": "active" }))
                .after(serde_json::json!({ "status": "inactive", "ended_on": iso(on) }))
        );
        Ok::<(), StoreError>(())
    })
}

/// Clears the review notes of a commune's villages whose name no longer clashes.
const CLEAR_RESOLVED_NOTES: &str = "update village set review_note = null where commune_id = $1 and review_note is not null \
    and not exists (select 1 from village o where o.commune_id = village.commune_id and o.status = 'active' \
                    and o.search_text = village.search_text and o.village_id <> village.village_id)";

/// What merging one village into another did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    /// Members who moved into the surviving village's team.
    pub members_moved: i64,
    /// The team that survives, if either village had one.
    pub surviving_team: Option<i64>,
    /// The absorbed village's team, dissolved on the merge day, if both villages had a team.
    pub dissolved_team: Option<i64>,
}

/// Merges village `from` into village `into` of the same commune on a day (sáp nhập thôn). The
/// absorbed village ends that day. Its team survives when `into` has none (it then belongs to
/// `into`); when both have a team, `into`'s survives, the other is dissolved that day and its
/// active members join the survivor that day with their positions (a second leader joins as a
/// member). Every membership's history stays readable. One transaction.
///
/// # Errors
/// `NotFound` out of scope; `Invalid` when the villages are the same, in different communes,
/// or not active, or the day is before a member of the absorbed team joined.
pub async fn merge(db: &Db, scope: &Scope, from: i64, into: i64, on: time::Date) -> Result<MergeReport, StoreError> {
    let a = get(db, scope, from).await?;
    let b = get(db, scope, into).await?;
    if from == into {
        return Err(StoreError::invalid("into_village_id", "Chọn một thôn khác để nhập vào"));
    }
    if a.commune_code != b.commune_code {
        return Err(StoreError::invalid("into_village_id", format!("{} và {} không cùng một xã", a.name, b.name)));
    }
    if a.status != "active" || b.status != "active" {
        return Err(StoreError::invalid("into_village_id", "Chỉ nhập được hai thôn đang hoạt động"));
    }
    let day = iso(on);
    let stamp = now();
    in_tx!(db, |tx| {
        let mut report =
            MergeReport { members_moved: 0, surviving_team: b.team_id.or(a.team_id), dissolved_team: None };
        match (a.team_id, b.team_id) {
            (Some(old), Some(new)) => {
                let members: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
                    "select membership_id, person_id, role, position, joined_on from membership \
                     where team_id = $1 and left_on is null",
                )
                .bind(old)
                .fetch_all(&mut *tx)
                .await?;
                if members.iter().any(|m| m.4 > day) {
                    return Err(StoreError::invalid("merged_on", "Ngày nhập thôn trước ngày một thành viên vào tổ"));
                }
                let (leaders,): (i64,) = sqlx::query_as(
                    "select count(*) from membership where team_id = $1 and left_on is null and role = 'leader'",
                )
                .bind(new)
                .fetch_one(&mut *tx)
                .await?;
                for (membership_id, person_id, role, position, _) in &members {
                    sqlx::query("update membership set left_on = $2, updated_at = $3 where membership_id = $1")
                        .bind(membership_id)
                        .bind(&day)
                        .bind(&stamp)
                        .execute(&mut *tx)
                        .await?;
                    let role = if role == "leader" && leaders > 0 { "member" } else { role.as_str() };
                    sqlx::query(
                        "insert into membership (person_id, team_id, role, position, joined_on, created_at, updated_at) \
                         values ($1, $2, $3, $4, $5, $6, $6)",
                    )
                    .bind(person_id)
                    .bind(new)
                    .bind(role)
                    .bind(position)
                    .bind(&day)
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "update team set status = 'dissolved', dissolved_on = $2, updated_at = $3 where team_id = $1",
                )
                .bind(old)
                .bind(&day)
                .bind(&stamp)
                .execute(&mut *tx)
                .await?;
                report.members_moved = i64::try_from(members.len()).unwrap_or(i64::MAX);
                report.dissolved_team = Some(old);
            }
            (Some(old), None) => {
                sqlx::query("update team set village_id = $2, updated_at = $3 where team_id = $1")
                    .bind(old)
                    .bind(into)
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
            }
            _ => {}
        }
        sqlx::query(
            "update village set status = 'inactive', ended_on = $2, merged_into_id = $3, review_note = null, \
             updated_at = $4 where village_id = $1",
        )
        .bind(from)
        .bind(&day)
        .bind(into)
        .bind(&stamp)
        .execute(&mut *tx)
        .await?;
        sqlx::query("update village_placement set valid_to = $2 where village_id = $1 and valid_to is null")
            .bind(from)
            .bind(&day)
            .execute(&mut *tx)
            .await?;
        let (commune,): (i64,) = sqlx::query_as("select commune_id from village where village_id = $1")
            .bind(into)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(CLEAR_RESOLVED_NOTES).bind(commune).execute(&mut *tx).await?;
        audit!(tx, crate::audit::Event::new("village", from, "merge").unit(&a.commune_path).before(serde_json::json!({ "status": "active" })).after(serde_json::json!({ "status": "inactive", "merged_into": into, "merged_on": day, "members_moved": report.members_moved })));
        Ok::<MergeReport, StoreError>(report)
    })
}
