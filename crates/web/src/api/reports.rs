//! Monthly reports: completeness of a unit for a month, indicator totals over a period, and one
//! team's report of a month.

use axum::Json;
use axum::extract::{Path, State};
use domain::funding::YearMonth;
use serde::Deserialize;
use serde_json::{Value, json};
use store::reports::{self, Completeness};

use super::{ApiQuery, bad_request};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::pages::{month_param, period, visible_unit};
use crate::{AppError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CompletenessQuery {
    unit: String,
    month: String,
}

/// The unit named by a query: required, and within the caller's scope (404 otherwise).
async fn unit_of(state: &AppState, user: &ApiUser, code: &str) -> Result<store::units::Unit, ApiError> {
    if code.trim().is_empty() {
        return Err(bad_request("Thiếu tham số unit (mã đơn vị hành chính)".into()));
    }
    Ok(visible_unit(state, &user.access.read, code).await?)
}

/// `GET /reports/completeness?unit=&month=`: reports expected, received and on time, with
/// percentages, for the unit and each child (a commune's teams, coded `t` + team id).
pub(super) async fn completeness(
    user: ApiUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CompletenessQuery>,
) -> Result<Json<Value>, ApiError> {
    let month = month_param("month", &q.month, YearMonth::of(store::today()))?;
    let unit = unit_of(&state, &user, &q.unit).await?;
    let c: Completeness = reports::completeness(&state.db, &user.access.read, &unit.code, month).await?;
    let mut v = super::to_value(&c)?;
    v["month"] = json!(month.to_string());
    Ok(Json(v))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct IndicatorsQuery {
    unit: String,
    from: String,
    to: String,
}

/// `GET /reports/indicators?unit=&from=&to=`: each indicator's total over the period and its
/// value month by month (the last 12 months by default).
pub(super) async fn indicators(
    user: ApiUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<IndicatorsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (from, to) = period(&q.from, &q.to)?;
    let unit = unit_of(&state, &user, &q.unit).await?;
    let totals = reports::indicator_totals(&state.db, &user.access.read, &unit.code, from, to).await?;
    let indicators: Vec<Value> = totals
        .iter()
        .map(|t| {
            json!({
                "code": t.code,
                "name": t.name,
                "unit_of_measure": t.unit_of_measure,
                "total": t.total,
                "months": t.months.iter().map(|(m, v)| json!({ "month": m, "value": v })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "unit": { "code": unit.code, "name": unit.name, "level": unit.level },
        "from": from.to_string(),
        "to": to.to_string(),
        "indicators": indicators,
    })))
}

/// `GET /teams/{id}/reports/{month}`: the team's report of the month with its values by
/// indicator (every indicator of the catalogue, zero when not reported) and its status;
/// `not_reported` when the team has none.
pub(super) async fn team_report(
    user: ApiUser,
    State(state): State<AppState>,
    Path((id, month)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::from(AppError::NotFound("Không tìm thấy: mã số trong đường dẫn không hợp lệ".into())))?;
    let month = YearMonth::parse(&month).map_err(bad_request)?;
    let team = store::teams::get(&state.db, &user.access.read, id).await?;
    let report = reports::of_team(&state.db, &user.access.read, id, month).await?;
    let catalogue = reports::indicators(&state.db).await?;
    let values: Vec<Value> = catalogue
        .iter()
        .map(|i| {
            let value =
                report.as_ref().and_then(|r| r.values.iter().find(|(c, _)| *c == i.code)).map_or(0, |(_, v)| *v);
            json!({ "code": i.code, "name": i.name, "unit_of_measure": i.unit_of_measure, "value": value })
        })
        .collect();
    let due = reports::due_day(&state.db, month).await?;
    let body = match report {
        Some(r) => json!({
            "id": r.id,
            "team_id": team.id,
            "team": team.name,
            "month": month.to_string(),
            "status": r.status,
            "late": r.late,
            "due_on": store::iso(due),
            "submitted_at": r.submitted_at,
            "submitted_by": r.submitted_by,
            "decided_at": r.decided_at,
            "decided_by": r.decided_by,
            "comment": r.comment,
            "values": values,
        }),
        None => json!({
            "id": null,
            "team_id": team.id,
            "team": team.name,
            "month": month.to_string(),
            "status": "not_reported",
            "late": false,
            "due_on": store::iso(due),
            "submitted_at": null,
            "submitted_by": null,
            "decided_at": null,
            "decided_by": null,
            "comment": "",
            "values": values,
        }),
    };
    Ok(Json(body))
}
