//! Villages: the list, one village, creating, renaming and deactivating.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::input::{FieldErrors, parse_village_name};
use serde::Deserialize;
use store::units;
use store::villages::{self, Village, VillageFilter};
use store::{Page, StoreError};

use super::{
    ApiId, ApiJson, ApiQuery, collect, created, end_date, field_as, flag, log_change, page_request, scope_for, text,
};
use crate::auth::{ApiUser, may_write};
use crate::error::ApiError;
use crate::{AppError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    unit: String,
    q: String,
    without_team: String,
    include_inactive: String,
    page: String,
    per_page: String,
}

/// `GET /villages`: villages in Vietnamese name order within each commune.
pub(super) async fn list(
    user: ApiUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Village>>, ApiError> {
    let filter = VillageFilter {
        search: Some(q.q),
        include_inactive: flag("include_inactive", &q.include_inactive)?,
        without_team: flag("without_team", &q.without_team)?,
    };
    let page = page_request(&q.page, &q.per_page)?;
    let scope = scope_for(&state.db, &user, &q.unit).await?;
    Ok(Json(villages::list(&state.db, &scope, &filter, page).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NewVillage {
    #[serde(deserialize_with = "text")]
    commune_code: String,
    #[serde(deserialize_with = "text")]
    name: String,
}

/// `POST /villages`: a new village in a commune.
pub(super) async fn create(
    user: ApiUser,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewVillage>,
) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::default();
    let commune = match b.commune_code.trim() {
        "" => {
            errors.push("commune_code", "Chưa chọn xã / phường / thị trấn");
            None
        }
        code => match units::by_code(&state.db, code).await {
            // Outside the caller's scope, a code is as unknown as one that does not exist.
            Ok(u) if !user.access.read.covers(&u.path) => {
                errors.push("commune_code", format!("Không có đơn vị hành chính mã {code}"));
                None
            }
            Ok(u) if u.level == "commune" => Some(u),
            Ok(u) => {
                errors.push("commune_code", format!("{} không phải là đơn vị cấp xã hiện hành", u.name));
                None
            }
            Err(StoreError::NotFound(m)) => {
                errors.push("commune_code", m);
                None
            }
            Err(e) => return Err(e.into()),
        },
    };
    let name = collect(&mut errors, parse_village_name(&b.name));
    match (commune, name) {
        (Some(commune), Some(name)) if errors.is_empty() => {
            may_write(&user.access, &commune.path)?;
            let id = villages::create(&state.db, &commune, &name)
                .await
                .map_err(|e| field_as(AppError::from(e), "commune", "commune_code"))?;
            log_change(&user, "village created", id);
            Ok(created("/villages", id))
        }
        _ => Err(AppError::Invalid(errors).into()),
    }
}

/// `GET /villages/{id}`.
pub(super) async fn show(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
) -> Result<Json<Village>, ApiError> {
    Ok(Json(villages::get(&state.db, &user.access.read, id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Rename {
    #[serde(deserialize_with = "text")]
    name: String,
}

/// `PATCH /villages/{id}`: a new name.
pub(super) async fn rename(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<Rename>,
) -> Result<StatusCode, ApiError> {
    let name = parse_village_name(&b.name)?;
    writable(&state, &user, id).await?;
    villages::rename(&state.db, &user.access.write, id, &name).await?;
    log_change(&user, "village renamed", id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Deactivate {
    #[serde(deserialize_with = "text")]
    ended_on: String,
}

/// `POST /villages/{id}/deactivate`: the village stops existing from a day (today by default).
pub(super) async fn deactivate(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<Deactivate>,
) -> Result<StatusCode, ApiError> {
    let day = end_date(&b.ended_on, "ended_on")?;
    writable(&state, &user, id).await?;
    villages::deactivate(&state.db, &user.access.write, id, day).await?;
    log_change(&user, "village deactivated", id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Merge {
    into_village_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    merged_on: String,
}

/// `POST /villages/{id}/merge`: the village is merged into another of its commune on a day
/// (today by default); their teams merge (the other village's team survives).
pub(super) async fn merge(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<Merge>,
) -> Result<StatusCode, ApiError> {
    let day = end_date(&b.merged_on, "merged_on")?;
    let Some(into) = b.into_village_id else {
        return Err(AppError::Invalid(FieldErrors::single("into_village_id", "Chọn thôn để nhập vào")).into());
    };
    // The absorbing village is named in the body: unknown, it is a refused field.
    villages::get(&state.db, &user.access.read, into)
        .await
        .map_err(|e| AppError::Invalid(FieldErrors::single("into_village_id", e.to_string())))?;
    writable(&state, &user, id).await?;
    villages::merge(&state.db, &user.access.write, id, into, day).await?;
    log_change(&user, "village merged", id);
    Ok(StatusCode::NO_CONTENT)
}

/// A village the caller may read (404 otherwise) and change (403 otherwise).
async fn writable(state: &AppState, user: &ApiUser, id: i64) -> Result<Village, ApiError> {
    let village = villages::get(&state.db, &user.access.read, id).await?;
    may_write(&user.access, &village.commune_path)?;
    Ok(village)
}
