//! Teams: the list, one team with its members, founding, editing, dissolving, and adding a new
//! member.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::HealthIssue;
use domain::input::{FieldErrors, MembershipDraft, TeamDraft};
use serde::Deserialize;
use serde_json::Value;
use store::Page;
use store::people::{self, Membership};
use store::teams::{self, TeamFilter};

use super::{
    ApiId, ApiJson, ApiQuery, bad_request, collect, created, end_date, flag, log_change, page_request, scope_for, text,
    to_value,
};
use crate::auth::{ApiUser, mask_memberships, may_write, may_write_team};
use crate::error::ApiError;
use crate::{AppError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    unit: String,
    q: String,
    issue: String,
    include_dissolved: String,
    page: String,
    per_page: String,
}

fn parse_issue(code: &str) -> Result<Option<HealthIssue>, ApiError> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    [HealthIssue::UnderFiveMembers, HealthIssue::NoCommuneOfficial, HealthIssue::NoLeader]
        .into_iter()
        .find(|i| i.code() == code)
        .map(Some)
        .ok_or_else(|| {
            bad_request(format!(
                "Tham số issue = “{code}” không hợp lệ; cần under_5_members, no_commune_official hoặc no_leader"
            ))
        })
}

/// `GET /teams`: teams by commune, then in Vietnamese order of their village's name; each with
/// its health issues.
pub(super) async fn list(
    user: ApiUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Value>>, ApiError> {
    let filter = TeamFilter {
        search: Some(q.q),
        include_dissolved: flag("include_dissolved", &q.include_dissolved)?,
        issue: parse_issue(&q.issue)?,
    };
    let page = page_request(&q.page, &q.per_page)?;
    let scope = scope_for(&state.db, &user, &q.unit).await?;
    let found = teams::list(&state.db, &scope, &filter, page).await?;
    let items = found.items.iter().map(teams::Team::to_json).collect();
    Ok(Json(Page { items, total: found.total, page: found.page, per_page: found.per_page }))
}

/// `GET /teams/{id}`: the team, its health, and its active members (`member_list`).
pub(super) async fn show(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
) -> Result<Json<Value>, ApiError> {
    let team = teams::get(&state.db, &user.access.read, id).await?;
    let mut members = people::of_team(&state.db, &user.access.read, id, false).await?;
    mask_memberships(&user.access, &team, &mut members);
    let mut v = team.to_json();
    v["member_list"] = to_value(&members)?;
    Ok(Json(v))
}

/// A team as sent: its name (empty or absent for the default name), founding day and Zalo link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TeamBody {
    village_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    name: String,
    #[serde(deserialize_with = "text")]
    established_on: String,
    #[serde(deserialize_with = "text")]
    zalo_url: String,
}

impl TeamBody {
    fn draft(&self) -> TeamDraft {
        TeamDraft {
            name: self.name.clone(),
            established_on: self.established_on.clone(),
            zalo_url: self.zalo_url.clone(),
        }
    }
}

/// `POST /teams`: founds a team in a village that has no active team.
pub(super) async fn create(
    user: ApiUser,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<TeamBody>,
) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::default();
    if b.village_id.is_none() {
        errors.push("village_id", "Chưa chọn thôn / tổ dân phố");
    }
    let input = collect(&mut errors, b.draft().parse(store::today()));
    let (Some(village_id), Some(input)) = (b.village_id, input) else {
        return Err(AppError::Invalid(errors).into());
    };
    let village = store::villages::get(&state.db, &user.access.read, village_id).await.map_err(|e| {
        match AppError::from(e) {
            // The village is named in the body, not in the path: a refused field.
            AppError::NotFound(m) => AppError::Invalid(FieldErrors::single("village_id", m)),
            other => other,
        }
    })?;
    may_write(&user.access, &village.commune_path)?;
    let id = teams::create(&state.db, &user.access.write, village_id, &input).await?;
    log_change(&user, "team founded", id);
    Ok(created("/teams", id))
}

/// `PUT /teams/{id}`: replaces the name, founding day and Zalo link (an absent name gives the
/// default name, an absent link removes it).
pub(super) async fn update(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<TeamBody>,
) -> Result<StatusCode, ApiError> {
    let input = b.draft().parse(store::today())?;
    may_write_team(&user.access, &teams::get(&state.db, &user.access.read, id).await?)?;
    teams::update(&state.db, &user.access.read, id, &input).await?;
    log_change(&user, "team edited", id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Dissolve {
    #[serde(deserialize_with = "text")]
    dissolved_on: String,
}

/// `POST /teams/{id}/dissolve`: the team is dissolved on a day (today by default) and its
/// members leave it that day.
pub(super) async fn dissolve(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<Dissolve>,
) -> Result<StatusCode, ApiError> {
    let day = end_date(&b.dissolved_on, "dissolved_on")?;
    may_write(&user.access, &teams::get(&state.db, &user.access.read, id).await?.commune_path)?;
    teams::dissolve(&state.db, &user.access.write, id, day).await?;
    log_change(&user, "team dissolved", id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct MembersQuery {
    include_former: String,
}

/// `GET /teams/{id}/members`: leader, deputies, then members in Vietnamese name order; former
/// members after them when asked.
pub(super) async fn members(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiQuery(q): ApiQuery<MembersQuery>,
) -> Result<Json<Vec<Membership>>, ApiError> {
    let include_former = flag("include_former", &q.include_former)?;
    let team = teams::get(&state.db, &user.access.read, id).await?;
    let mut members = people::of_team(&state.db, &user.access.read, id, include_former).await?;
    mask_memberships(&user.access, &team, &mut members);
    Ok(Json(members))
}

/// A new member as sent: the person, and their role and position in the team.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NewMember {
    #[serde(flatten)]
    person: super::members::PersonBody,
    #[serde(deserialize_with = "text")]
    role: String,
    #[serde(deserialize_with = "text")]
    position: String,
    #[serde(deserialize_with = "text")]
    joined_on: String,
}

/// `POST /teams/{id}/members`: a new person joins the team; answers the person's id.
pub(super) async fn add_member(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<NewMember>,
) -> Result<Response, ApiError> {
    let today = store::today();
    let person = b.person.into_draft();
    let membership = MembershipDraft { role: b.role, position: b.position, joined_on: b.joined_on };
    let mut errors = FieldErrors::default();
    let p = collect(&mut errors, person.parse(today));
    let m = collect(&mut errors, membership.parse(today));
    let (Some(p), Some(m)) = (p, m) else {
        return Err(AppError::Invalid(errors).into());
    };
    may_write_team(&user.access, &teams::get(&state.db, &user.access.read, id).await?)?;
    let person_id = people::create_member(&state.db, &user.access.read, id, &p, &m).await?;
    log_change(&user, "member added", person_id);
    Ok(created("/members", person_id))
}
