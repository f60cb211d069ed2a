//! The web interface and JSON API of congdongso: `app(state)` builds the whole router.
#![forbid(unsafe_code)]

mod api;
mod assets;
mod auth;
mod error;
mod export;
pub mod exports;
mod i18n;
pub mod import_book;
pub mod import_file;
mod pages;
pub mod routes;
mod svg;
pub mod xlsx;
pub mod xlsx_payments;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use store::Db;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::AppError;
pub use i18n::Lang;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Mark cookies `Secure` (when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
    /// Login attempts per client address.
    pub login_limiter: std::sync::Arc<auth::RateLimiter>,
}

impl AppState {
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self { db, secure_cookies: false, login_limiter: std::sync::Arc::new(auth::RateLimiter::for_logins()) }
    }
}

/// The largest request body accepted (forms and JSON).
const BODY_LIMIT: usize = 256 * 1024;

/// The whole application: pages, API, assets, and the layers every response passes through.
pub fn app(state: AppState) -> Router {
    routes::web()
        .into_router()
        .nest("/api/v1", api::router())
        .layer(axum::middleware::from_fn(with_actor))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(within_deadline))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    // The path only: query strings may hold searched names or phone numbers.
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// How long a request may take before it is answered 408 and its work dropped (an unfinished
/// transaction rolls back).
const DEADLINE: Duration = Duration::from_secs(30);
/// The same for an upload being checked or applied and for a list exported whole: a province's
/// file of a hundred thousand rows takes longer than a page.
const LONG_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// The deadline of a request, by its path.
fn deadline_of(path: &str) -> Duration {
    let long = matches!(path, "/import/preview" | "/import/apply") || path.ends_with(".xlsx") || path.ends_with(".csv");
    if long { LONG_DEADLINE } else { DEADLINE }
}

async fn within_deadline(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let deadline = deadline_of(req.uri().path());
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => (
            axum::http::StatusCode::REQUEST_TIMEOUT,
            [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
            "Yêu cầu chạy quá lâu nên đã dừng; không có gì được ghi. Hãy thử lại với phạm vi nhỏ hơn.",
        )
            .into_response(),
    }
}

/// Runs each request as an actor of the audit trail: its address now, its user once
/// authenticated (the `Viewer` and `ApiUser` extractors name it).
async fn with_actor(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let address =
        req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string());
    store::audit::acting_as(store::audit::Actor::request(address), next.run(req)).await
}

/// Serves the application on a bound listener until Ctrl-C.
///
/// # Errors
/// When the server fails.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_and_whole_lists_get_the_long_deadline_and_pages_the_short_one() {
        for long in ["/import/preview", "/import/apply", "/members.xlsx", "/reports/indicators.csv"] {
            assert_eq!(deadline_of(long), LONG_DEADLINE, "{long}");
        }
        for short in ["/import", "/members", "/import/template", "/api/v1/members", "/login"] {
            assert_eq!(deadline_of(short), DEADLINE, "{short}");
        }
        assert!(LONG_DEADLINE > DEADLINE);
    }
}
