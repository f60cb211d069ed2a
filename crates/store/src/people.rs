//! People and their memberships: a person is in at most one active team at a time.

use domain::input::{MembershipInput, PersonInput};
use domain::{Position, Role, text};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Db, Page, PageRequest, Scope, StoreError, iso, now, teams};

/// A person with their current team (if any): one row of the member list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub full_name: String,
    pub gender: String,
    pub birth_date: Option<String>,
    pub birth_year: Option<i64>,
    pub phone: String,
    pub cccd: Option<String>,
    pub email: Option<String>,
    pub membership_id: Option<i64>,
    pub role: Option<String>,
    pub position: Option<String>,
    pub joined_on: Option<String>,
    pub team_id: Option<i64>,
    pub team: Option<String>,
    pub village_id: Option<i64>,
    pub village: Option<String>,
    pub commune_code: Option<String>,
    pub commune: Option<String>,
    #[serde(skip)]
    pub commune_path: Option<String>,
}

impl Member {
    /// Hides most of the phone number and CCCD (`0912 *** 678`).
    pub fn mask(&mut self) {
        self.phone = domain::access::mask_phone(&self.phone);
        self.cccd = self.cccd.as_deref().map(domain::access::mask_cccd);
    }

    #[must_use]
    pub fn role(&self) -> Option<Role> {
        self.role.as_deref().and_then(Role::from_code)
    }

    #[must_use]
    pub fn position(&self) -> Option<Position> {
        self.position.as_deref().and_then(Position::from_code)
    }
}

const SELECT: &str = "select p.person_id as id, p.full_name, p.gender, p.birth_date, p.birth_year, p.phone, p.cccd, p.email, \
    m.membership_id, m.role, m.position, m.joined_on, t.team_id, t.name as team, v.village_id, v.name as village, \
    c.code as commune_code, c.name as commune, c.path as commune_path \
    from person p \
    left join membership m on m.person_id = p.person_id and m.left_on is null \
    left join team t on t.team_id = m.team_id \
    left join village v on v.village_id = t.village_id \
    left join unit c on c.unit_id = v.commune_id";

/// Which people to list.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// Name (diacritics and case ignored), phone digits or CCCD.
    pub search: Option<String>,
    /// Include people who are in no active team now.
    pub include_former: bool,
    /// Whose phone numbers and CCCDs a search by digits may look in: everyone in scope when
    /// `None`; otherwise only people whose data this access sees whole (a masked number must not
    /// be found by typing it).
    pub numbers_for: Option<crate::access::Access>,
}

/// People in scope, in Vietnamese name order (given name, then full name). People in no
/// active team are only seen by a caller whose scope is everything.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &MemberFilter,
    page: PageRequest,
) -> Result<Page<Member>, StoreError> {
    let (cond, values) = scope.condition("c.path", 3);
    let raw = filter.search.as_deref().unwrap_or_default().trim();
    let folded = text::fold(raw);
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let search = crate::contains_pattern(&folded);
    // A search made of digits (and separators) looks in phones and CCCDs too.
    let number = if !digits.is_empty() && raw.chars().all(|c| c.is_ascii_digit() || " .-+".contains(c)) {
        let local =
            digits.strip_prefix("84").filter(|_| raw.starts_with('+')).map_or(digits.clone(), |d| format!("0{d}"));
        crate::contains_pattern(&local)
    } else {
        String::new()
    };
    let active = if filter.include_former { "" } else { "yes" };
    // The "active only" flag is bound after the scope's values.
    let active_at = 3 + values.len();
    let (personal, personal_values) = match &filter.numbers_for {
        None => ("1 = 1".to_owned(), Vec::new()),
        Some(access) => access.personal_condition("c.path", "t.team_id", active_at + 1),
    };
    let where_ = format!(
        "where {cond} and ($1 = '' or p.search_text like $1 escape '\\' or ($2 <> '' and {personal} and (p.phone like $2 escape '\\' or p.cccd like $2 escape '\\'))) \
         and (${active_at} = '' or m.membership_id is not null)"
    );
    let count_sql = format!(
        "select count(*) from person p left join membership m on m.person_id = p.person_id and m.left_on is null \
         left join team t on t.team_id = m.team_id left join village v on v.village_id = t.village_id \
         left join unit c on c.unit_id = v.commune_id {where_}"
    );
    let sql =
        format!("{SELECT} {where_} order by p.sort_key, p.person_id limit {} offset {}", page.per_page, page.offset());
    let (total, items) = on_db!(db, |pool| {
        let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count_sql.as_str())).bind(&search).bind(&number);
        for v in &values {
            q = q.bind(v);
        }
        q = q.bind(active);
        for v in &personal_values {
            q = q.bind(v);
        }
        let (total,) = q.fetch_one(pool).await?;
        let mut q = sqlx::query_as::<_, Member>(AssertSqlSafe(sql.as_str())).bind(&search).bind(&number);
        for v in &values {
            q = q.bind(v);
        }
        q = q.bind(active);
        for v in &personal_values {
            q = q.bind(v);
        }
        Ok::<_, sqlx::Error>((total, q.fetch_all(pool).await?))
    })?;
    Ok(Page { items, total, page: page.page, per_page: page.per_page })
}

/// One person with their current team, if in scope.
///
/// # Errors
/// `NotFound` when the person does not exist or is out of scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Member, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!("{SELECT} where p.person_id = $1 and {cond}");
    let m: Option<Member> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(pool).await
    })?;
    m.ok_or_else(|| StoreError::not_found("Không tìm thấy người này"))
}

/// One membership, past or present, as a team's member list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Membership {
    pub membership_id: i64,
    pub person_id: i64,
    pub full_name: String,
    pub gender: String,
    pub birth_year: Option<i64>,
    pub phone: String,
    pub cccd: Option<String>,
    pub role: String,
    pub position: String,
    pub joined_on: String,
    pub left_on: Option<String>,
    pub team_id: i64,
    pub team: String,
}

impl Membership {
    /// Hides most of the phone number and CCCD (`0912 *** 678`).
    pub fn mask(&mut self) {
        self.phone = domain::access::mask_phone(&self.phone);
        self.cccd = self.cccd.as_deref().map(domain::access::mask_cccd);
    }

    #[must_use]
    pub fn role(&self) -> Option<Role> {
        Role::from_code(&self.role)
    }

    #[must_use]
    pub fn position(&self) -> Option<Position> {
        Position::from_code(&self.position)
    }
}

const MEMBERSHIP_SELECT: &str = "select m.membership_id, p.person_id, p.full_name, p.gender, p.birth_year, p.phone, p.cccd, \
    m.role, m.position, m.joined_on, m.left_on, t.team_id, t.name as team \
    from membership m join person p on p.person_id = m.person_id join team t on t.team_id = m.team_id";

/// A team's members: leader, deputies, then members in Vietnamese name order; former members
/// after them when asked.
///
/// # Errors
/// `NotFound` for a team out of scope.
pub async fn of_team(
    db: &Db,
    scope: &Scope,
    team_id: i64,
    include_former: bool,
) -> Result<Vec<Membership>, StoreError> {
    teams::get(db, scope, team_id).await?;
    let active = if include_former { "" } else { "yes" };
    let sql = format!(
        "{MEMBERSHIP_SELECT} where m.team_id = $1 and ($2 = '' or m.left_on is null) \
         order by case when m.left_on is null then 0 else 1 end, \
         case m.role when 'leader' then 0 when 'deputy' then 1 else 2 end, p.sort_key, m.membership_id"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(team_id).bind(active).fetch_all(pool).await)?)
}

/// Every membership of a person, newest first.
///
/// # Errors
/// `NotFound` for a person out of scope.
pub async fn history(db: &Db, scope: &Scope, person_id: i64) -> Result<Vec<Membership>, StoreError> {
    get(db, scope, person_id).await?;
    let sql = format!("{MEMBERSHIP_SELECT} where m.person_id = $1 order by m.joined_on desc, m.membership_id desc");
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(person_id).fetch_all(pool).await)?)
}

/// The memberships of one person that are active now, with their team's place.
#[derive(sqlx::FromRow)]
struct ActiveIn {
    full_name: String,
    team: String,
    village: String,
    commune: String,
}

fn in_two_teams(who: &ActiveIn) -> StoreError {
    StoreError::conflict(
        "team_id",
        format!(
            "{} đang là thành viên của {} ({}, {}); một người chỉ ở một tổ đang hoạt động — hãy cho rời tổ đó trước",
            who.full_name, who.team, who.village, who.commune
        ),
    )
}

const ACTIVE_IN: &str = "select p.full_name, t.name as team, v.name as village, c.name as commune \
    from membership m join person p on p.person_id = m.person_id join team t on t.team_id = m.team_id \
    join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
    where m.person_id = $1 and m.left_on is null";

/// Checks the rules a new membership must keep: the team is active and founded by the joining
/// day, the person is in no other active team, and a team has one leader.
async fn check_joining(
    db: &Db,
    scope: &Scope,
    team_id: i64,
    person_id: Option<i64>,
    m: &MembershipInput,
) -> Result<teams::Team, StoreError> {
    let team = teams::get(db, scope, team_id).await?;
    if team.status != "active" {
        return Err(StoreError::conflict("team_id", format!("{} đã giải thể", team.name)));
    }
    if iso(m.joined_on) < team.established_on {
        return Err(StoreError::invalid("joined_on", "Ngày vào tổ trước ngày thành lập tổ"));
    }
    if let Some(pid) = person_id {
        let active: Option<ActiveIn> =
            on_db!(db, |pool| sqlx::query_as(ACTIVE_IN).bind(pid).fetch_optional(pool).await)?;
        if let Some(a) = active {
            return Err(in_two_teams(&a));
        }
    }
    if m.role == Role::Leader && team.leaders > 0 {
        return Err(StoreError::conflict(
            "role",
            format!("{} đã có tổ trưởng; hãy đổi vai trò người cũ trước", team.name),
        ));
    }
    Ok(team)
}

/// Who already holds a CCCD, if anyone (other than `except`).
async fn cccd_holder(db: &Db, cccd: &str, except: Option<i64>) -> Result<Option<(i64, String)>, StoreError> {
    let sql = "select person_id, full_name from person where cccd = $1 and person_id <> $2";
    Ok(on_db!(db, |pool| sqlx::query_as(sql).bind(cccd).bind(except.unwrap_or(-1)).fetch_optional(pool).await)?)
}

async fn cccd_clash(db: &Db, person: &PersonInput, except: Option<i64>) -> Result<(), StoreError> {
    if let Some(c) = &person.cccd
        && let Some((pid, name)) = cccd_holder(db, c.as_str(), except).await?
    {
        if except.is_some() {
            // Editing someone: the number is simply someone else's.
            return Err(StoreError::conflict("cccd", format!("Số CCCD này đã được khai cho {name}")));
        }
        let active: Option<ActiveIn> =
            on_db!(db, |pool| sqlx::query_as(ACTIVE_IN).bind(pid).fetch_optional(pool).await)?;
        return Err(match active {
            Some(a) => in_two_teams(&a),
            None => StoreError::conflict("cccd", format!("Số CCCD này đã được khai cho {name}")),
        });
    }
    Ok(())
}

fn map_unique(e: StoreError) -> StoreError {
    if e.is_unique_violation() {
        StoreError::conflict("cccd", "Người này đã có trong danh sách (trùng số CCCD hoặc đang ở một tổ khác)")
    } else {
        e
    }
}

/// Adds a person to a team: a new person, or, when the CCCD and name are those of someone in no
/// active team (a former member), that person again. Returns the person's id. One transaction.
///
/// # Errors
/// `NotFound` for a team out of scope; `Conflict` when the CCCD belongs to someone else or to
/// someone in an active team (naming it), the team is dissolved or already has a leader.
pub async fn create_member(
    db: &Db,
    scope: &Scope,
    team_id: i64,
    person: &PersonInput,
    m: &MembershipInput,
) -> Result<i64, StoreError> {
    let team = check_joining(db, scope, team_id, None, m).await?;
    // Someone who left their team comes back by their CCCD: the same person joins again, so
    // that one person keeps one history.
    if let Some(c) = &person.cccd
        && let Some((pid, name)) = cccd_holder(db, c.as_str(), None).await?
        && text::fold(&name) == text::fold(&person.full_name)
    {
        let active: Option<ActiveIn> =
            on_db!(db, |pool| sqlx::query_as(ACTIVE_IN).bind(pid).fetch_optional(pool).await)?;
        if active.is_none() {
            join(db, scope, pid, team_id, m).await?;
            return Ok(pid);
        }
    }
    cccd_clash(db, person, None).await?;
    let stamp = now();
    let result: Result<i64, StoreError> = in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into person (full_name, search_text, sort_key, gender, birth_date, birth_year, phone, cccd, email, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) returning person_id",
        )
        .bind(&person.full_name)
        .bind(text::fold(&person.full_name))
        .bind(text::person_sort_key(&person.full_name))
        .bind(person.gender.code())
        .bind(person.birth_date.map(iso))
        .bind(person.birth_year.map(i64::from))
        .bind(person.phone.as_str())
        .bind(person.cccd.as_ref().map(|c| c.as_str().to_owned()))
        .bind(&person.email)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "insert into membership (person_id, team_id, role, position, joined_on, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id)
        .bind(team_id)
        .bind(m.role.code())
        .bind(m.position.code())
        .bind(iso(m.joined_on))
        .bind(&stamp)
        .execute(&mut *tx)
        .await?;
        audit!(tx, crate::audit::Event::new("person", id, "create").unit(&team.commune_path).after(serde_json::json!({ "full_name": person.full_name, "gender": person.gender.code(), "phone": person.phone.as_str(), "cccd": person.cccd.as_ref().map(|c| c.as_str().to_owned()), "email": person.email, "team_id": team_id, "role": m.role.code(), "position": m.position.code(), "joined_on": iso(m.joined_on) })));
        Ok::<i64, StoreError>(id)
    });
    result.map_err(map_unique)
}

/// Adds an existing person (in no active team) to a team.
///
/// # Errors
/// `Conflict` when the person is in another active team, naming it.
pub async fn join(
    db: &Db,
    scope: &Scope,
    person_id: i64,
    team_id: i64,
    m: &MembershipInput,
) -> Result<i64, StoreError> {
    get(db, scope, person_id).await?;
    let team = check_joining(db, scope, team_id, Some(person_id), m).await?;
    let stamp = now();
    let result: Result<i64, StoreError> = in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into membership (person_id, team_id, role, position, joined_on, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $6) returning membership_id",
        )
        .bind(person_id)
        .bind(team_id)
        .bind(m.role.code())
        .bind(m.position.code())
        .bind(iso(m.joined_on))
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(tx, crate::audit::Event::new("membership", id, "create").unit(&team.commune_path).after(serde_json::json!({ "person_id": person_id, "team_id": team_id, "role": m.role.code(), "position": m.position.code(), "joined_on": iso(m.joined_on) })));
        Ok::<i64, StoreError>(id)
    });
    result.map_err(map_unique)
}

/// Corrects a person's details.
///
/// # Errors
/// `NotFound` out of scope; `Conflict` when the CCCD belongs to someone else.
pub async fn update_person(db: &Db, scope: &Scope, person_id: i64, person: &PersonInput) -> Result<(), StoreError> {
    let before = get(db, scope, person_id).await?;
    cccd_clash(db, person, Some(person_id)).await?;
    let stamp = now();
    let result: Result<(), StoreError> = in_tx!(db, |tx| {
        sqlx::query(
            "update person set full_name = $2, search_text = $3, sort_key = $4, gender = $5, birth_date = $6, \
             birth_year = $7, phone = $8, cccd = $9, email = $10, updated_at = $11 where person_id = $1",
        )
        .bind(person_id)
        .bind(&person.full_name)
        .bind(text::fold(&person.full_name))
        .bind(text::person_sort_key(&person.full_name))
        .bind(person.gender.code())
        .bind(person.birth_date.map(iso))
        .bind(person.birth_year.map(i64::from))
        .bind(person.phone.as_str())
        .bind(person.cccd.as_ref().map(|c| c.as_str().to_owned()))
        .bind(&person.email)
        .bind(&stamp)
        .execute(&mut *tx)
        .await?;
        audit!(tx, crate::audit::Event { unit_path: before.commune_path.clone(), ..crate::audit::Event::new("person", person_id, "update") }.before(serde_json::to_value(&before).unwrap_or_default()).after(serde_json::json!({ "full_name": person.full_name, "gender": person.gender.code(), "phone": person.phone.as_str(), "cccd": person.cccd.as_ref().map(|c| c.as_str().to_owned()), "email": person.email })));
        Ok::<(), StoreError>(())
    });
    result.map_err(map_unique)
}

/// The membership with this id, if its team is in scope.
///
/// # Errors
/// `NotFound` when it does not exist or its team is out of scope.
pub async fn membership(db: &Db, scope: &Scope, membership_id: i64) -> Result<Membership, StoreError> {
    let sql = format!("{MEMBERSHIP_SELECT} where m.membership_id = $1");
    let m: Option<Membership> =
        on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(membership_id).fetch_optional(pool).await)?;
    let m = m.ok_or_else(|| StoreError::not_found("Không tìm thấy thành viên này trong tổ"))?;
    teams::get(db, scope, m.team_id)
        .await
        .map_err(|_| StoreError::not_found("Không tìm thấy thành viên này trong tổ"))?;
    Ok(m)
}

/// Changes the role and position of an active membership.
///
/// # Errors
/// `NotFound` out of scope; `Conflict` when the membership has ended or the team would get a
/// second leader.
pub async fn update_membership(
    db: &Db,
    scope: &Scope,
    membership_id: i64,
    role: Role,
    position: Position,
) -> Result<(), StoreError> {
    let m = membership(db, scope, membership_id).await?;
    if m.left_on.is_some() {
        return Err(StoreError::conflict("role", format!("{} đã rời tổ", m.full_name)));
    }
    let team = teams::get(db, scope, m.team_id).await?;
    if role == Role::Leader && m.role != Role::Leader.code() && team.leaders > 0 {
        return Err(StoreError::conflict(
            "role",
            format!("{} đã có tổ trưởng; hãy đổi vai trò người cũ trước", team.name),
        ));
    }
    let stamp = now();
    in_tx!(db, |tx| {
        sqlx::query("update membership set role = $2, position = $3, updated_at = $4 where membership_id = $1")
            .bind(membership_id)
            .bind(role.code())
            .bind(position.code())
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        audit!(
            tx,
            crate::audit::Event::new("membership", membership_id, "update")
                .unit(&team.commune_path)
                .before(serde_json::json!({ "role": m.role, "position": m.position }))
                .after(serde_json::json!({ "role": role.code(), "position": position.code() }))
        );
        Ok::<(), StoreError>(())
    })
}

/// Ends a membership on a date (the person leaves the team; the history stays).
///
/// # Errors
/// `NotFound` out of scope; `Conflict` when it has ended already; `Invalid` for a date before
/// the person joined.
pub async fn leave(db: &Db, scope: &Scope, membership_id: i64, on: time::Date) -> Result<(), StoreError> {
    let m = membership(db, scope, membership_id).await?;
    let team = teams::get(db, scope, m.team_id).await?;
    if m.left_on.is_some() {
        return Err(StoreError::conflict("left_on", format!("{} đã rời tổ", m.full_name)));
    }
    let day = iso(on);
    if day < m.joined_on {
        return Err(StoreError::invalid("left_on", "Ngày rời tổ trước ngày vào tổ"));
    }
    let stamp = now();
    in_tx!(db, |tx| {
        sqlx::query("update membership set left_on = $2, updated_at = $3 where membership_id = $1 and left_on is null")
            .bind(membership_id)
            .bind(&day)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        audit!(
            tx,
            crate::audit::Event::new("membership", membership_id, "leave")
                .unit(&team.commune_path)
                .before(serde_json::json!({ "left_on": null }))
                .after(serde_json::json!({ "left_on": day }))
        );
        Ok::<(), StoreError>(())
    })
}
