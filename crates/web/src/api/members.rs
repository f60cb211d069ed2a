//! Members: search (diacritics ignored), one person with their history, correcting a person,
//! changing a role or position, and leaving a team.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::input::{MembershipDraft, PersonDraft};
use serde::Deserialize;
use serde_json::Value;
use store::people::{self, Member, MemberFilter};
use store::{Page, Scope};

use super::{
    ApiId, ApiJson, ApiQuery, end_date, flag, log_change, object_with, page_request, scope_for, text, to_value,
};
use crate::AppState;
use crate::auth::ApiUser;
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
    _: ApiUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Member>>, ApiError> {
    let filter = MemberFilter { search: Some(q.q), include_former: flag("include_former", &q.include_former)? };
    let page = page_request(&q.page, &q.per_page)?;
    let scope = scope_for(&state.db, &q.unit).await?;
    Ok(Json(people::list(&state.db, &scope, &filter, page).await?))
}

/// `GET /members/{id}`: a person (by person id), their current team, and every membership they
/// have had (`history`, newest first).
pub(super) async fn show(_: ApiUser, State(state): State<AppState>, ApiId(id): ApiId) -> Result<Json<Value>, ApiError> {
    let person = people::get(&state.db, &Scope::All, id).await?;
    let history = people::history(&state.db, &Scope::All, id).await?;
    Ok(Json(object_with(&person, &[("history", to_value(&history)?)])?))
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
    people::update_person(&state.db, &Scope::All, id, &person).await?;
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
    people::update_membership(&state.db, &Scope::All, id, m.role, m.position).await?;
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
    people::leave(&state.db, &Scope::All, id, day).await?;
    log_change(&user, "member left", id);
    Ok(StatusCode::NO_CONTENT)
}
