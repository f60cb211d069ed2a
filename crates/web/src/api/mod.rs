//! The JSON API under `/api/v1`: the same reads and writes as the pages, with the same
//! validation, answering JSON, and RFC 9457 problem details (`application/problem+json`) when
//! something is refused. `GET /api/v1/openapi.json` describes it.
//!
//! Conventions, the same on every route:
//! - every route but `openapi.json` needs a caller ([`ApiUser`]): 401 without one, 403 when a
//!   session's state-changing request lacks its `X-CSRF-Token`;
//! - a creation answers 201 with `{ "id": N }` and a `Location` header;
//! - an update or an action (deactivate, dissolve, leave) answers 204 with no body;
//! - a body sent as something other than JSON answers 415, one larger than the server takes 413;
//! - a body that is not JSON, or whose values have the wrong type, answers 400; a body whose
//!   values are refused answers 422 with every refused field in `errors`; a body checked
//!   successfully that contradicts what is stored answers 409; the body is checked before the
//!   ids in the path, so an unknown id answers 404 once the body is valid;
//! - an unknown id in the path answers 404; an id named in a body (`village_id`,
//!   `commune_code`) that does not exist is a refused field (422);
//! - dates are read as `dd/mm/yyyy` or `yyyy-mm-dd` and written `yyyy-mm-dd`.

mod funding;
mod members;
mod reports;
mod teams;
mod units;
mod villages;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use domain::input::FieldErrors;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use store::{Db, PageRequest, Scope};

use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::{AppError, AppState};

/// The OpenAPI 3.1 description of this API, written by hand beside the handlers.
const OPENAPI: &str = include_str!("openapi.json");

/// Where the API is mounted; `Location` headers start with it.
const BASE: &str = "/api/v1";

/// One route: its method and its path (written as `openapi.json` writes them) and its handler.
struct Route {
    method: Method,
    path: &'static str,
    handler: MethodRouter<AppState>,
}

fn route<H, T>(method: Method, path: &'static str, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a standard HTTP method");
    Route { method, path, handler: on(filter, handler) }
}

/// Every route of the API, in the order the document lists them. The router is built from this
/// table, and a test holds it against `openapi.json`.
fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/openapi.json", openapi),
        route(Method::GET, "/units", units::list),
        route(Method::GET, "/units/{code}", units::show),
        route(Method::GET, "/units/{code}/coverage", units::coverage),
        route(Method::GET, "/villages", villages::list),
        route(Method::POST, "/villages", villages::create),
        route(Method::GET, "/villages/{id}", villages::show),
        route(Method::PATCH, "/villages/{id}", villages::rename),
        route(Method::POST, "/villages/{id}/deactivate", villages::deactivate),
        route(Method::POST, "/villages/{id}/merge", villages::merge),
        route(Method::GET, "/teams", teams::list),
        route(Method::POST, "/teams", teams::create),
        route(Method::GET, "/teams/{id}", teams::show),
        route(Method::PUT, "/teams/{id}", teams::update),
        route(Method::POST, "/teams/{id}/dissolve", teams::dissolve),
        route(Method::GET, "/teams/{id}/members", teams::members),
        route(Method::POST, "/teams/{id}/members", teams::add_member),
        route(Method::GET, "/members", members::list),
        route(Method::GET, "/members/{id}", members::show),
        route(Method::POST, "/members/{id}/reveal", members::reveal),
        route(Method::PUT, "/members/{id}", members::update),
        route(Method::PUT, "/memberships/{id}", members::update_membership),
        route(Method::POST, "/memberships/{id}/leave", members::leave),
        route(Method::GET, "/policies", funding::list),
        route(Method::POST, "/policies", funding::create),
        route(Method::GET, "/policies/{id}", funding::show),
        route(Method::POST, "/policies/{id}/versions", funding::revise),
        route(Method::GET, "/budget", funding::budget),
        route(Method::GET, "/reports/completeness", reports::completeness),
        route(Method::GET, "/reports/indicators", reports::indicators),
        route(Method::GET, "/teams/{id}/reports/{month}", reports::team_report),
    ]
}

/// Every route of the API as `(method, path)`.
pub(crate) fn table() -> Vec<(Method, &'static str)> {
    routes().into_iter().map(|r| (r.method, r.path)).collect()
}

pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |r, rt| r.route(rt.path, rt.handler))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
}

/// `GET /openapi.json`: the description of the API (no login needed).
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn not_found() -> ApiError {
    AppError::NotFound("Không có đường dẫn này trong API; xem /api/v1/openapi.json".into()).into()
}

async fn method_not_allowed() -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "Phương thức không được hỗ trợ",
        "Đường dẫn này không nhận phương thức HTTP này; xem /api/v1/openapi.json",
    )
}

/// A problem-details answer for the statuses `AppError` has no variant for (405, 413, 415), in
/// the same shape as `ApiError`'s.
fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "errors": [],
    });
    let mut resp = (status, Json(body)).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    resp
}

fn bad_request(message: String) -> ApiError {
    AppError::BadRequest(message).into()
}

/// A JSON request body. An empty body reads as `{}`; a body that is not JSON, or whose values
/// have the wrong type, is refused with a 400 problem that says where.
pub struct ApiJson<T>(pub T);

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(ct) = content_type.and_then(|v| v.to_str().ok()) else { return false };
    let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers().get(header::CONTENT_TYPE));
        let bytes = match Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Nội dung quá lớn",
                    "Nội dung gửi lên vượt quá giới hạn cho phép",
                ));
            }
            Err(_) => return Err(bad_request("Không đọc được nội dung yêu cầu".into()).into_response()),
        };
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else if json {
            &bytes
        } else {
            return Err(problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Kiểu nội dung không được hỗ trợ",
                "Nội dung phải là JSON, gửi kèm tiêu đề Content-Type: application/json",
            ));
        };
        // Serde would read a struct from an array, by position: only objects are bodies here.
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(
                bad_request("Nội dung JSON không hợp lệ: cần một đối tượng JSON ({ … })".into()).into_response()
            );
        }
        match Json::<T>::from_bytes(body) {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                // The serde error with the path of the refused value (`village_id: invalid type…`).
                let cause = std::error::Error::source(&rejection).map_or_else(String::new, ToString::to_string);
                let what = match rejection {
                    axum::extract::rejection::JsonRejection::JsonDataError(_) => "sai kiểu dữ liệu",
                    _ => "sai cú pháp",
                };
                Err(bad_request(format!("Nội dung JSON không hợp lệ: {what} — {cause}")).into_response())
            }
        }
    }
}

/// A query string. Every parameter is read as text and checked by the handler, so that a bad
/// value is named in Vietnamese (400).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(ApiQuery)
            .map_err(|e| bad_request(format!("Tham số truy vấn không hợp lệ: {e}")))
    }
}

/// A numeric id in the path; anything else is a thing that does not exist (404).
pub struct ApiId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ApiId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(ApiId(id)),
            Err(_) => Err(AppError::NotFound("Không tìm thấy: mã số trong đường dẫn không hợp lệ".into()).into()),
        }
    }
}

/// Reads a text field leniently: a string, a number (a birth year, a code) or `null` (empty).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(_)) => Err(serde::de::Error::custom("invalid type: boolean, expected a string")),
        Some(Value::Array(_)) => Err(serde::de::Error::custom("invalid type: sequence, expected a string")),
        Some(Value::Object(_)) => Err(serde::de::Error::custom("invalid type: map, expected a string")),
    }
}

/// Parameters of a list: the page asked for, 1 by default, and its length, 50 by default (at
/// most [`PageRequest::MAX_PER_PAGE`]).
fn page_request(page: &str, per_page: &str) -> Result<PageRequest, ApiError> {
    let number = |name: &str, value: &str, default: i64, max: i64| -> Result<i64, ApiError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(default);
        }
        match value.parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad_request(format!("Tham số {name} = “{value}” không hợp lệ; cần một số nguyên từ 1 đến {max}"))),
        }
    };
    let page = number("page", page, 1, i64::from(u32::MAX))?;
    let per_page = number("per_page", per_page, 50, PageRequest::MAX_PER_PAGE)?;
    Ok(PageRequest::new(page, per_page))
}

/// A yes-or-no query parameter: `true`/`false` (also `1`/`0`); absent means no.
fn flag(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" => Ok(false),
        "true" | "1" | "yes" => Ok(true),
        other => Err(bad_request(format!("Tham số {name} = “{other}” không hợp lệ; cần true hoặc false"))),
    }
}

/// The units a list reads: the caller's scope, narrowed to the subtree of `unit` (its code)
/// when given; a unit outside the scope narrows to nothing.
async fn scope_for(db: &Db, user: &ApiUser, unit: &str) -> Result<Scope, ApiError> {
    Ok(crate::pages::scope_of(db, &user.access.read, unit).await?)
}

/// The day a thing ends (a village deactivated, a team dissolved, a member leaving): today when
/// not given, never in the future.
fn end_date(value: &str, field: &'static str) -> Result<time::Date, AppError> {
    domain::input::parse_end_date(value, store::today()).map_err(|m| AppError::Invalid(FieldErrors::single(field, m)))
}

/// 201 Created, with the new thing's id and where to read it.
fn created(collection: &str, id: i64) -> Response {
    let location = format!("{BASE}{collection}/{id}");
    let mut resp = (StatusCode::CREATED, Json(json!({ "id": id }))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// A serialisable value as a JSON object with more keys added.
fn object_with(value: &impl Serialize, extra: &[(&str, Value)]) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(value).map_err(|e| AppError::Internal(format!("json: {e}")))?;
    for (k, x) in extra {
        v[*k] = x.clone();
    }
    Ok(v)
}

fn to_value(value: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| AppError::Internal(format!("json: {e}")).into())
}

/// One line in the log for each change made through the API: who, what, which record.
fn log_change(user: &ApiUser, action: &'static str, id: i64) {
    tracing::info!(login = %user.user.login, action, id, "changed through the API");
}

/// Renames the field of a refusal, for the API's own field names (`commune_code`, not
/// `commune`).
fn field_as(e: AppError, from: &str, to: &'static str) -> AppError {
    match e {
        AppError::Invalid(mut errors) => {
            for f in &mut errors.0 {
                if f.field == from {
                    f.field = to;
                }
            }
            AppError::Invalid(errors)
        }
        AppError::Conflict { field, message } if field == from => AppError::Conflict { field: to, message },
        other => other,
    }
}

/// The value of a part of a body that was checked, or `None` with its refusals added to the
/// body's, so that every refused field is reported at once.
fn collect<T>(errors: &mut FieldErrors, result: Result<T, FieldErrors>) -> Option<T> {
    result.map_err(|e| errors.0.extend(e.0)).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn document() -> Value {
        serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
    }

    #[test]
    fn the_document_describes_exactly_the_routes() {
        let doc = document();
        assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
        let served: BTreeSet<(String, String)> =
            routes().iter().map(|r| (r.method.as_str().to_ascii_lowercase(), r.path.to_owned())).collect();
        assert_eq!(served.len(), routes().len(), "a route is listed twice");
        let mut described = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                    described.insert((method.clone(), path.clone()));
                }
            }
        }
        assert_eq!(served, described);
    }

    #[test]
    fn every_operation_names_its_path_parameters_and_answers() {
        let doc = document();
        let mut ids = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let wanted: BTreeSet<&str> =
                path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
            for (method, op) in item.as_object().expect("path item") {
                let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                assert!(op["summary"].is_string(), "{method} {path}: no summary");
                assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}: no responses");
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                let named: BTreeSet<String> = params
                    .iter()
                    .map(|p| resolve(&doc, p))
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                let named: BTreeSet<&str> = named.iter().map(String::as_str).collect();
                assert_eq!(named, wanted, "{method} {path}: path parameters");
            }
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let target = r.strip_prefix("#/").map(|p| p.split('/').fold(&doc, |v, k| &v[k]));
            assert!(target.is_some_and(|t| !t.is_null()), "{r} does not resolve");
        }
    }

    fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
        match v["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
            Some(p) => p.split('/').fold(doc, |v, k| &v[k]),
            None => v,
        }
    }

    fn collect_refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        out.extend(x.as_str().map(str::to_owned));
                    } else {
                        collect_refs(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn query_values_are_checked() {
        assert_eq!(page_request("", "").expect("defaults"), PageRequest::new(1, 50));
        assert_eq!(page_request("3", "500").expect("given"), PageRequest::new(3, 500));
        for (p, pp) in [("0", ""), ("x", ""), ("", "501"), ("", "0"), ("-1", "")] {
            assert!(page_request(p, pp).is_err(), "{p} {pp}");
        }
        assert!(flag("x", "true").expect("true") && flag("x", "1").expect("1"));
        assert!(!flag("x", "").expect("absent") && !flag("x", "false").expect("false"));
        assert!(flag("x", "maybe").is_err());
    }
}
