//! Administrative units: the list, one unit with its parent and children, and its coverage.

use axum::Json;
use axum::extract::{Path, State};
use domain::units::Level;
use serde::Deserialize;
use serde_json::Value;
use store::coverage::{self, Coverage};
use store::units::{self, Unit};

use super::{ApiQuery, bad_request, object_with, scope_for};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::ApiError;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    level: String,
    search: String,
    unit: String,
}

/// `GET /units`: current units, in official order, optionally of one level, under one unit, or
/// matching a search (diacritics ignored).
pub(super) async fn list(
    user: ApiUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Unit>>, ApiError> {
    let level = match q.level.trim() {
        "" => None,
        code => Some(Level::from_code(code).ok_or_else(|| {
            bad_request(format!("Tham số level = “{code}” không hợp lệ; cần province, district hoặc commune"))
        })?),
    };
    let scope = scope_for(&state.db, &user, &q.unit).await?;
    Ok(Json(units::list(&state.db, &scope, level, Some(q.search.as_str())).await?))
}

/// `GET /units/{code}`: one current unit, its parent's code and its children.
pub(super) async fn show(
    user: ApiUser,
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let unit = units::by_code(&state.db, &code).await?;
    visible(&state, &user, &unit, &code).await?;
    let mut children = Vec::new();
    for child in units::children(&state.db, &unit).await? {
        if units::visible(&state.db, &user.access.read, &child).await? {
            children.push(child);
        }
    }
    let codes = unit.path_codes();
    let parent = codes.len().checked_sub(2).and_then(|i| codes.get(i)).map(|c| (*c).to_owned());
    Ok(Json(object_with(&unit, &[("parent", parent.into()), ("children", super::to_value(&children)?)])?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CoverageQuery {
    as_of: String,
    boundaries: String,
}

/// `GET /units/{code}/coverage?as_of=&boundaries=`: villages with a team, teams, members and
/// team health, for the unit and each of its children (villages, for a commune), as of a day
/// (default today) on that day's units (`then`, the default) or today's (`today`). An ended
/// code without `as_of` is reported as of its last day.
pub(super) async fn coverage(
    user: ApiUser,
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<CoverageQuery>,
) -> Result<Json<Coverage>, ApiError> {
    let today = store::today();
    let today_boundaries = match q.boundaries.trim() {
        "" | "then" => false,
        "today" => true,
        other => return Err(bad_request(format!("Tham số boundaries = “{other}” không hợp lệ; cần then hoặc today"))),
    };
    let as_of = match q.as_of.trim() {
        "" => None,
        d => Some(domain::input::parse_date(d).map_err(bad_request)?),
    };
    let (unit, facts_on, boundaries_on) = match as_of {
        Some(day) => {
            let on = if today_boundaries { today } else { day };
            (units::by_code_at(&state.db, &code, on).await?, day, on)
        }
        None => match units::by_code(&state.db, &code).await {
            Ok(u) => (u, today, today),
            Err(_) => {
                let last = units::latest_by_code(&state.db, &code).await?;
                let day = last
                    .valid_to
                    .as_deref()
                    .and_then(store::parse_iso)
                    .and_then(time::Date::previous_day)
                    .unwrap_or(today);
                (last, day, day)
            }
        },
    };
    visible(&state, &user, &unit, &code).await?;
    Ok(Json(coverage::at(&state.db, &user.access.read, &unit, boundaries_on, facts_on).await?))
}

/// A unit outside the caller's scope answers 404, as one that does not exist.
async fn visible(state: &AppState, user: &ApiUser, unit: &Unit, code: &str) -> Result<(), ApiError> {
    if units::visible(&state.db, &user.access.read, unit).await? {
        Ok(())
    } else {
        Err(crate::AppError::NotFound(format!("Không có đơn vị hành chính mã {}", code.trim())).into())
    }
}
