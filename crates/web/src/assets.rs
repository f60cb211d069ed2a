//! Static files, embedded in the binary, and the health check.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::AppState;
use crate::routes::Routes;

const CSS: &str = include_str!("../static/app.css");
/// Keeps a monthly report's typed figures on the device until it is sent.
const REPORT_DRAFT: &str = include_str!("../static/report-draft.js");

pub fn router() -> Routes {
    Routes::new().get("/static/app.css", css).get("/static/report-draft.js", report_draft).get("/healthz", healthz)
}

async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
}

async fn report_draft() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        REPORT_DRAFT,
    )
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(json!({ "status": "ok", "database": state.db.backend() }))),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "unavailable", "database": state.db.backend() })),
            )
        }
    }
}
