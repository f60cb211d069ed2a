//! One error type for requests: a page for people, problem details (RFC 9457) for the API.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use domain::input::FieldErrors;
use serde_json::json;
use store::StoreError;

/// Everything a handler can answer instead of success. User-facing variants carry a Vietnamese
/// message; `Internal` is logged and answered with an opaque 500.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("Cần đăng nhập")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    #[error("lỗi hệ thống")]
    Internal(String),
}

impl AppError {
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a person is told: never the internals.
    #[must_use]
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "Đã có lỗi hệ thống; thao tác chưa được thực hiện. Vui lòng thử lại sau.".into(),
            AppError::Invalid(e) => e.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
            other => other.to_string(),
        }
    }

    /// Field-level messages, for forms and the API.
    #[must_use]
    pub fn field_errors(&self) -> FieldErrors {
        match self {
            AppError::Invalid(e) => e.clone(),
            AppError::Conflict { field, message } => FieldErrors::single(field, message.clone()),
            _ => FieldErrors::default(),
        }
    }

    fn log(&self) {
        if let AppError::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid { field, message } => AppError::Invalid(FieldErrors::single(field, message)),
            StoreError::NotFound(m) => AppError::NotFound(m),
            StoreError::Conflict { field, message } => AppError::Conflict { field, message },
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("task: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        if matches!(self, AppError::Unauthorized) {
            return axum::response::Redirect::to("/login").into_response();
        }
        let page = ErrorPage { status: status.as_u16(), message: self.public_message() };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.public_message()).into_response(),
        }
    }
}

/// The same errors, answered as JSON problem details.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let title = match &self.0 {
            AppError::NotFound(_) => "Không tìm thấy",
            AppError::Unauthorized => "Cần đăng nhập",
            AppError::Forbidden(_) => "Không có quyền",
            AppError::BadRequest(_) => "Yêu cầu không hợp lệ",
            AppError::Invalid(_) => "Dữ liệu không hợp lệ",
            AppError::Conflict { .. } => "Xung đột dữ liệu",
            AppError::Internal(_) => "Lỗi hệ thống",
        };
        let body = json!({
            "type": "about:blank",
            "title": title,
            "status": status.as_u16(),
            "detail": self.0.public_message(),
            "errors": self.0.field_errors().0,
        });
        let mut resp = (status, Json(body)).into_response();
        resp.headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/problem+json"));
        resp
    }
}
