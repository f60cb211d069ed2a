//! Members: search (diacritics ignored), one person with their history, correcting a person,
//! changing a role or position, and leaving a team.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::input::{MembershipDraft, PersonDraft};
use serde::Deserialize;
use serde_json::Value;
use store::Page;
use store::people::{self, Member, MemberFilter};

use super::{
    ApiId, ApiJson, ApiQuery, end_date, flag, log_change, object_with, page_request, scope_for, text, to_value,
};
use crate::AppState;
use crate::auth::{ApiUser, mask_members, may_write_person, may_write_team};
use crate::error::ApiError;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    unit: String,
    q: String,
    include_former: String,
    page: String,
    per_page: String,
}

/// `GET /members`: people in Vietnamese name order (given name first), searched by name
/// (diacritics ignored), phone or CCCD.
pub(super) async fn list(
    user: ApiUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Member>>, ApiError> {
    let filter = MemberFilter {
        search: Some(q.q),
        include_former: flag("include_former", &q.include_former)?,
        numbers_for: Some(user.access.clone()),
    };
    let page = page_request(&q.page, &q.per_page)?;
    let scope = scope_for(&state.db, &user, &q.unit).await?;
    let mut found = people::list(&state.db, &scope, &filter, page).await?;
    mask_members(&user.access, &mut found.items);
    Ok(Json(found))
}

/// `GET /members/{id}`: a person (by person id), their current team, and every membership they
/// have had (`history`, newest first).
pub(super) async fn show(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
) -> Result<Json<Value>, ApiError> {
    let mut person = people::get(&state.db, &user.access.read, id).await?;
    let mut history = people::history(&state.db, &user.access.read, id).await?;
    let masked = !user.access.sees_personal(person.team_id, person.commune_path.as_deref());
    if masked {
        person.mask();
        history.iter_mut().for_each(people::Membership::mask);
    }
    Ok(Json(object_with(&person, &[("history", to_value(&history)?), ("masked", Value::Bool(masked))])?))
}

/// `POST /members/{id}/reveal`: the person's whole phone number and CCCD, for a caller who sees
/// them masked; every reveal is written to the audit trail.
pub(super) async fn reveal(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
) -> Result<Json<Value>, ApiError> {
    let person = people::get(&state.db, &user.access.read, id).await?;
    let mut event = store::audit::Event::new("person", id, "reveal")
        .after(serde_json::json!({ "fields": ["phone", "cccd"], "full_name": person.full_name }));
    event.unit_path = person.commune_path.clone();
    store::audit::record(&state.db, event).await?;
    Ok(Json(serde_json::json!({ "id": person.id, "phone": person.phone, "cccd": person.cccd })))
}

/// A person as sent, every field text as in the forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PersonBody {
    #[serde(deserialize_with = "text")]
    full_name: String,
    #[serde(deserialize_with = "text")]
    gender: String,
    #[serde(deserialize_with = "text")]
    birth: String,
    #[serde(deserialize_with = "text")]
    phone: String,
    #[serde(deserialize_with = "text")]
    cccd: String,
    #[serde(deserialize_with = "text")]
    email: String,
}

impl PersonBody {
    pub(super) fn into_draft(self) -> PersonDraft {
        PersonDraft {
            full_name: self.full_name,
            gender: self.gender,
            birth: self.birth,
            phone: self.phone,
            cccd: self.cccd,
            email: self.email,
        }
    }
}

/// `PUT /members/{id}`: replaces a person's details (an absent CCCD or e-mail is removed).
pub(super) async fn update(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<PersonBody>,
) -> Result<StatusCode, ApiError> {
    let person = b.into_draft().parse(store::today())?;
    may_write_person(&user.access, &people::get(&state.db, &user.access.read, id).await?)?;
    people::update_person(&state.db, &user.access.read, id, &person).await?;
    log_change(&user, "person edited", id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RoleBody {
    #[serde(deserialize_with = "text")]
    role: String,
    #[serde(deserialize_with = "text")]
    position: String,
}

/// `PUT /memberships/{id}`: the role in the team and the position outside it.
pub(super) async fn update_membership(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<RoleBody>,
) -> Result<StatusCode, ApiError> {
    let m = MembershipDraft { role: b.role, position: b.position, joined_on: String::new() }.parse(store::today())?;
    membership_writable(&state, &user, id).await?;
    people::update_membership(&state.db, &user.access.read, id, m.role, m.position).await?;
    log_change(&user, "membership changed", id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Leave {
    #[serde(deserialize_with = "text")]
    left_on: String,
}

/// `POST /memberships/{id}/leave`: the member leaves the team on a day (today by default); the
/// history stays.
pub(super) async fn leave(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<Leave>,
) -> Result<StatusCode, ApiError> {
    let day = end_date(&b.left_on, "left_on")?;
    membership_writable(&state, &user, id).await?;
    people::leave(&state.db, &user.access.read, id, day).await?;
    log_change(&user, "member left", id);
    Ok(StatusCode::NO_CONTENT)
}

/// A membership whose team the caller may read (404 otherwise) and change (403 otherwise).
async fn membership_writable(state: &AppState, user: &ApiUser, id: i64) -> Result<(), ApiError> {
    let m = people::membership(&state.db, &user.access.read, id).await?;
    Ok(may_write_team(&user.access, &store::teams::get(&state.db, &user.access.read, m.team_id).await?)?)
}
