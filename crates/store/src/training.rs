//! Training (tập huấn): courses, sessions, the teams invited, the roll call and who has not been
//! trained.

use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Db, Page, PageRequest, Scope, StoreError, iso, now};

/// A session with its course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Session {
    pub id: i64,
    pub course_id: i64,
    pub title: String,
    pub organiser: String,
    pub topics: String,
    pub held_on: String,
    pub venue: String,
    pub trainers: String,
    /// Teams invited.
    pub teams: i64,
    /// Members marked present.
    pub present: i64,
}

const SESSION_SELECT: &str = "select s.training_session_id as id, s.course_id, c.title, c.organiser, c.topics, \
    s.held_on, s.venue, s.trainers, \
    (select count(*) from session_invite i where i.training_session_id = s.training_session_id) as teams, \
    (select count(*) from attendance a where a.training_session_id = s.training_session_id and a.status = 'present') \
    as present from training_session s join course c on c.course_id = s.course_id";

/// Records a course.
///
/// # Errors
/// `Invalid` for an empty title or organiser.
pub async fn add_course(db: &Db, title: &str, organiser: &str, topics: &str) -> Result<i64, StoreError> {
    let (title, organiser, topics) =
        (domain::text::clean(title), domain::text::clean(organiser), domain::text::clean(topics));
    if title.is_empty() {
        return Err(StoreError::invalid("title", "Chưa nhập tên khóa tập huấn"));
    }
    if organiser.is_empty() {
        return Err(StoreError::invalid("organiser", "Chưa nhập đơn vị tổ chức"));
    }
    let stamp = now();
    in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into course (title, organiser, topics, created_at) values ($1, $2, $3, $4) returning course_id",
        )
        .bind(&title)
        .bind(&organiser)
        .bind(&topics)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(
            tx,
            crate::audit::Event::new("course", id, "create")
                .after(serde_json::json!({ "title": title, "organiser": organiser, "topics": topics }))
        );
        Ok::<i64, StoreError>(id)
    })
}

/// Records a session of a course on a day, at a venue.
///
/// # Errors
/// `NotFound` for an unknown course; `Invalid` for an empty venue.
pub async fn add_session(
    db: &Db,
    course_id: i64,
    held_on: time::Date,
    venue: &str,
    trainers: &str,
) -> Result<i64, StoreError> {
    let venue = domain::text::clean(venue);
    if venue.is_empty() {
        return Err(StoreError::invalid("venue", "Chưa nhập địa điểm"));
    }
    let known: Option<(i64,)> = on_db!(db, |pool| sqlx::query_as("select course_id from course where course_id = $1")
        .bind(course_id)
        .fetch_optional(pool)
        .await)?;
    if known.is_none() {
        return Err(StoreError::not_found("Không tìm thấy khóa tập huấn này"));
    }
    let trainers = domain::text::clean(trainers);
    let stamp = now();
    in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into training_session (course_id, held_on, venue, trainers, created_at) values ($1, $2, $3, $4, $5) \
             returning training_session_id",
        )
        .bind(course_id)
        .bind(iso(held_on))
        .bind(&venue)
        .bind(&trainers)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(tx, crate::audit::Event::new("training_session", id, "create").after(serde_json::json!({ "course_id": course_id, "held_on": iso(held_on), "venue": venue, "trainers": trainers })));
        Ok::<i64, StoreError>(id)
    })
}

/// One session.
///
/// # Errors
/// `NotFound`.
pub async fn session(db: &Db, id: i64) -> Result<Session, StoreError> {
    let sql = format!("{SESSION_SELECT} where s.training_session_id = $1");
    let s: Option<Session> =
        on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(pool).await)?;
    s.ok_or_else(|| StoreError::not_found("Không tìm thấy buổi tập huấn này"))
}

/// Sessions, newest first.
///
/// # Errors
/// Database errors.
pub async fn sessions(db: &Db) -> Result<Vec<Session>, StoreError> {
    let sql = format!("{SESSION_SELECT} order by s.held_on desc, s.training_session_id desc");
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).fetch_all(pool).await)?)
}

/// A course (khóa tập huấn): what is taught, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Course {
    pub id: i64,
    pub title: String,
    pub organiser: String,
    pub topics: String,
    /// Sessions held or planned.
    pub sessions: i64,
}

/// Every course, newest first.
///
/// # Errors
/// Database errors.
pub async fn courses(db: &Db) -> Result<Vec<Course>, StoreError> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select c.course_id as id, c.title, c.organiser, c.topics, \
         (select count(*) from training_session s where s.course_id = c.course_id) as sessions \
         from course c order by c.course_id desc"
    )
    .fetch_all(pool)
    .await)?)
}

/// A page of sessions, newest first.
///
/// # Errors
/// Database errors.
pub async fn sessions_page(db: &Db, page: PageRequest) -> Result<Page<Session>, StoreError> {
    let sql = format!(
        "{SESSION_SELECT} order by s.held_on desc, s.training_session_id desc limit {} offset {}",
        page.per_page,
        page.offset()
    );
    let (total, items) = on_db!(db, |pool| {
        let (total,): (i64,) = sqlx::query_as("select count(*) from training_session").fetch_one(pool).await?;
        let items = sqlx::query_as(AssertSqlSafe(sql.as_str())).fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(Page { items, total, page: page.page, per_page: page.per_page })
}

/// An invited team within the reader's scope, with its roll call counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitedTeam {
    pub team_id: i64,
    pub team: String,
    pub commune: String,
    #[serde(skip)]
    pub commune_path: String,
    /// Members on the roll call (active on the session's day).
    pub members: i64,
    pub present: i64,
    pub absent: i64,
    pub excused: i64,
}

/// The teams invited to a session that lie within scope, by commune and name, with how many of
/// their members were marked present, absent and excused.
///
/// # Errors
/// `NotFound` for a session.
pub async fn invited(db: &Db, scope: &Scope, session_id: i64) -> Result<Vec<InvitedTeam>, StoreError> {
    let roll = roll_call(db, scope, session_id).await?;
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!(
        "select t.team_id, t.name, c.name, c.path from session_invite i join team t on t.team_id = i.team_id \
         join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
         where i.training_session_id = $1 and {cond} order by c.path, t.sort_key"
    );
    let rows: Vec<(i64, String, String, String)> = on_db!(db, |pool| {
        let q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(session_id);
        values.iter().fold(q, |q, v| q.bind(v)).fetch_all(pool).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(team_id, team, commune, commune_path)| {
            let of_team: Vec<&RollCall> = roll.iter().filter(|r| r.team_id == team_id).collect();
            let count = |s: &str| {
                i64::try_from(of_team.iter().filter(|r| r.status.as_deref() == Some(s)).count()).unwrap_or(i64::MAX)
            };
            InvitedTeam {
                team_id,
                team,
                commune,
                commune_path,
                members: i64::try_from(of_team.len()).unwrap_or(i64::MAX),
                present: count("present"),
                absent: count("absent"),
                excused: count("excused"),
            }
        })
        .collect())
}

/// Invites teams to a session (those invited already stay invited); answers how many are new.
///
/// # Errors
/// `NotFound` for a session or a team out of scope.
pub async fn invite(db: &Db, scope: &Scope, session_id: i64, teams: &[i64]) -> Result<u64, StoreError> {
    session(db, session_id).await?;
    for t in teams {
        crate::teams::get(db, scope, *t).await?;
    }
    in_tx!(db, |tx| {
        let mut added = 0;
        for t in teams {
            added += sqlx::query(
                "insert into session_invite (training_session_id, team_id) values ($1, $2) on conflict do nothing",
            )
            .bind(session_id)
            .bind(t)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        audit!(
            tx,
            crate::audit::Event::new("training_session", session_id, "invite")
                .after(serde_json::json!({ "teams": teams, "added": added }))
        );
        Ok::<u64, StoreError>(added)
    })
}

/// Every active team of a current unit within scope, for inviting a whole unit.
///
/// # Errors
/// `NotFound` for a unit.
pub async fn teams_of_unit(db: &Db, scope: &Scope, unit_code: &str) -> Result<Vec<i64>, StoreError> {
    let unit = crate::units::by_code(db, unit_code).await?;
    let filter = crate::teams::TeamFilter::default();
    Ok(crate::teams::list(db, &scope.narrow(&unit.path), &filter, crate::PageRequest::all())
        .await?
        .items
        .into_iter()
        .map(|t| t.id)
        .collect())
}

/// One line of a roll call: a member of an invited team, with what was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RollCall {
    pub person_id: i64,
    pub full_name: String,
    pub team_id: i64,
    pub team: String,
    /// `present`, `absent`, `excused`, or `None` before the roll call.
    pub status: Option<String>,
}

/// The roll call of a session: the active members of the invited teams within scope, by team.
///
/// # Errors
/// `NotFound` for a session.
pub async fn roll_call(db: &Db, scope: &Scope, session_id: i64) -> Result<Vec<RollCall>, StoreError> {
    let s = session(db, session_id).await?;
    let (cond, values) = scope.condition("c.path", 3);
    let sql = format!(
        "select p.person_id, p.full_name, t.team_id, t.name as team, a.status \
         from session_invite i join team t on t.team_id = i.team_id \
         join membership m on m.team_id = t.team_id and m.joined_on <= $2 and (m.left_on is null or m.left_on > $2) \
         join person p on p.person_id = m.person_id \
         join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
         left join attendance a on a.training_session_id = i.training_session_id and a.person_id = p.person_id \
         where i.training_session_id = $1 and {cond} order by c.path, t.sort_key, p.sort_key"
    );
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(session_id).bind(&s.held_on);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// Records the roll call (present, absent or excused per person), in one transaction; only people
/// on the session's roll call within scope.
///
/// # Errors
/// `NotFound` for a session; `Invalid` for a status or a person not on the roll call.
pub async fn record(db: &Db, scope: &Scope, session_id: i64, marks: &[(i64, String)]) -> Result<(), StoreError> {
    let roll = roll_call(db, scope, session_id).await?;
    for (person, status) in marks {
        if !["present", "absent", "excused"].contains(&status.as_str()) {
            return Err(StoreError::invalid("status", "Điểm danh là có mặt, vắng hoặc vắng có phép"));
        }
        if !roll.iter().any(|r| r.person_id == *person) {
            return Err(StoreError::invalid("person_id", "Người này không có trong danh sách điểm danh của buổi"));
        }
    }
    let actor = crate::audit::current().login;
    let stamp = now();
    in_tx!(db, |tx| {
        for (person, status) in marks {
            sqlx::query(
                "insert into attendance (training_session_id, person_id, status, recorded_by, recorded_at) \
                 values ($1, $2, $3, $4, $5) on conflict (training_session_id, person_id) \
                 do update set status = excluded.status, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            )
            .bind(session_id)
            .bind(person)
            .bind(status)
            .bind(&actor)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        }
        audit!(
            tx,
            crate::audit::Event::new("training_session", session_id, "roll_call")
                .after(serde_json::json!({ "marks": marks.len() }))
        );
        Ok::<(), StoreError>(())
    })
}

/// A member who was never present at a session, or not since the day asked, with the last day
/// they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Untrained {
    #[serde(flatten)]
    pub member: crate::people::Member,
    /// The day of the last session they were present at (`yyyy-mm-dd`), if any.
    pub last_present: Option<String>,
}

/// The day `months` months before `day` (the last day of that month when it is shorter): "not
/// trained in the last N months" means not present at a session on or after it.
#[must_use]
pub fn months_before(day: time::Date, months: u32) -> time::Date {
    let index = day.year() * 12 + i32::from(u8::from(day.month())) - 1 - i32::try_from(months).unwrap_or(i32::MAX / 2);
    let year = index.div_euclid(12);
    let month = u8::try_from(index.rem_euclid(12) + 1).ok().and_then(|m| time::Month::try_from(m).ok());
    let Some(month) = month else { return day };
    let last = month.length(year);
    time::Date::from_calendar_date(year, month, day.day().min(last)).unwrap_or(day)
}

/// Active members of a unit within scope who were never present at a session, or not since a
/// day, in the member list's order, one page of them.
///
/// # Errors
/// `NotFound` for a unit.
pub async fn untrained_page(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    since: Option<time::Date>,
    page: PageRequest,
) -> Result<Page<Untrained>, StoreError> {
    let unit = crate::units::by_code(db, unit_code).await?;
    let filter = crate::people::MemberFilter::default();
    let members = crate::people::list(db, &scope.narrow(&unit.path), &filter, PageRequest::all()).await?.items;
    let last: Vec<(i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "select a.person_id, max(s.held_on) from attendance a join training_session s \
         on s.training_session_id = a.training_session_id where a.status = 'present' group by a.person_id"
    )
    .fetch_all(pool)
    .await)?;
    let last: std::collections::HashMap<i64, String> = last.into_iter().collect();
    let since = since.map(iso);
    let all: Vec<Untrained> = members
        .into_iter()
        .filter_map(|m| {
            let last_present = last.get(&m.id).cloned();
            let trained = match (&last_present, &since) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(day), Some(since)) => day >= since,
            };
            (!trained).then_some(Untrained { member: m, last_present })
        })
        .collect();
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let items = all
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page).unwrap_or(usize::MAX))
        .collect();
    Ok(Page { items, total, page: page.page, per_page: page.per_page })
}

/// Active members of a unit within scope who were never present at a session, or not since a
/// day.
///
/// # Errors
/// `NotFound` for a unit.
pub async fn untrained(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    since: Option<time::Date>,
) -> Result<Vec<crate::people::Member>, StoreError> {
    Ok(untrained_page(db, scope, unit_code, since, PageRequest::all())
        .await?
        .items
        .into_iter()
        .map(|u| u.member)
        .collect())
}
