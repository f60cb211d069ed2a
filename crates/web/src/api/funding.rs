//! Funding policies (versioned) and the budget simulator.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use domain::funding::PolicyDraft;
use serde::Deserialize;
use serde_json::Value;
use store::funding::{self, Policy, Simulation};

use super::{ApiId, ApiJson, created, log_change, object_with, text, to_value};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::{AppError, AppState};

/// A policy as sent: every field text (numbers are taken as text too).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PolicyBody {
    #[serde(deserialize_with = "text")]
    name: String,
    #[serde(deserialize_with = "text")]
    legal_basis: String,
    #[serde(deserialize_with = "text")]
    kind: String,
    #[serde(deserialize_with = "text")]
    amount: String,
    #[serde(deserialize_with = "text")]
    effective_from: String,
    #[serde(deserialize_with = "text")]
    effective_to: String,
    #[serde(deserialize_with = "text")]
    scope: String,
    #[serde(deserialize_with = "text")]
    cap_months: String,
    #[serde(deserialize_with = "text")]
    cap_per_year: String,
    #[serde(deserialize_with = "text")]
    source: String,
    #[serde(deserialize_with = "text")]
    status: String,
    #[serde(deserialize_with = "text")]
    note: String,
}

impl PolicyBody {
    fn draft(self) -> PolicyDraft {
        PolicyDraft {
            name: self.name,
            legal_basis: self.legal_basis,
            kind: self.kind,
            amount: self.amount,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            scope: self.scope,
            cap_months: self.cap_months,
            cap_per_year: self.cap_per_year,
            source: self.source,
            status: self.status,
            note: self.note,
        }
    }
}

/// `GET /policies`: the current policies that concern the caller (on their units or above).
pub(super) async fn list(user: ApiUser, State(state): State<AppState>) -> Result<Json<Vec<Policy>>, ApiError> {
    Ok(Json(funding::list(&state.db, &user.access.read).await?))
}

/// A policy the caller is concerned by; any other answers 404.
async fn visible(state: &AppState, user: &ApiUser, id: i64) -> Result<Policy, ApiError> {
    let p = funding::get(&state.db, id).await?;
    if funding::concerns(&user.access.read, &p) {
        Ok(p)
    } else {
        Err(AppError::NotFound("Không tìm thấy chính sách này".into()).into())
    }
}

/// `GET /policies/{id}`: one version, with every version of the policy (`versions`, newest first).
pub(super) async fn show(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
) -> Result<Json<Value>, ApiError> {
    let p = visible(&state, &user, id).await?;
    let versions = funding::versions(&state.db, &p.policy_key).await?;
    Ok(Json(object_with(&p, &[("versions", to_value(&versions)?)])?))
}

/// Refuses unless the caller manages funding for the unit named in the body (403); a unit
/// outside their scope is refused as one that does not exist (422).
async fn may_manage(state: &AppState, user: &ApiUser, code: &str) -> Result<(), ApiError> {
    let Ok(unit) = store::units::by_code(&state.db, code).await else { return Ok(()) };
    if user.access.manages_funding(&unit.path) {
        Ok(())
    } else if user.access.read.covers(&unit.path) {
        Err(AppError::Forbidden("Chỉ quản trị viên và người duyệt chi của đơn vị được ghi chính sách hỗ trợ".into())
            .into())
    } else {
        Err(AppError::Invalid(domain::input::FieldErrors::single(
            "scope",
            format!("Không có đơn vị hành chính mã {}", code.trim()),
        ))
        .into())
    }
}

/// `POST /policies`: records a new policy.
pub(super) async fn create(
    user: ApiUser,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<PolicyBody>,
) -> Result<Response, ApiError> {
    let input = b.draft().parse().map_err(AppError::Invalid)?;
    may_manage(&state, &user, &input.scope).await?;
    let id = funding::create(&state.db, &input).await?;
    log_change(&user, "policy recorded", id);
    Ok(created("/policies", id))
}

/// `POST /policies/{id}/versions`: a change, as a new version of the current one (`id`); the old
/// version stays for what was computed under it.
pub(super) async fn revise(
    user: ApiUser,
    State(state): State<AppState>,
    ApiId(id): ApiId,
    ApiJson(b): ApiJson<PolicyBody>,
) -> Result<Response, ApiError> {
    let input = b.draft().parse().map_err(AppError::Invalid)?;
    let old = visible(&state, &user, id).await?;
    if !user.access.manages_funding(&old.scope_path) {
        return Err(AppError::Forbidden(
            "Chỉ quản trị viên và người duyệt chi của đơn vị được sửa chính sách này".into(),
        )
        .into());
    }
    may_manage(&state, &user, &input.scope).await?;
    let new = funding::revise(&state.db, id, &input).await?;
    log_change(&user, "policy revised", new);
    Ok(created("/policies", new))
}

/// `GET /budget?unit=&from=&months=&policy=ID…&work_days=`: the simulator, every amount an
/// integer in đồng. Bad parameters answer 400 naming each; a unit the caller cannot see, 404.
pub(super) async fn budget(
    user: ApiUser,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Simulation>, ApiError> {
    let q = crate::pages::BudgetQuery::from_query(raw.as_deref());
    match q.run(&state, &user.access).await {
        Ok(sim) => Ok(Json(sim)),
        Err(AppError::Invalid(e)) if e.0.iter().any(|f| f.field == "unit") => {
            let m = e.0.iter().find(|f| f.field == "unit").map(|f| f.message.clone()).unwrap_or_default();
            Err(AppError::NotFound(m).into())
        }
        Err(AppError::Invalid(e)) => {
            let all: Vec<String> = e.0.iter().map(|f| format!("Tham số {}: {}", f.field, f.message)).collect();
            Err(AppError::BadRequest(all.join("; ")).into())
        }
        Err(e) => Err(e.into()),
    }
}
