//! Logging in and out, the session cookie, CSRF tokens, and who is asking.

use askama::Template;
use axum::Form;
use axum::extract::{FromRef, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use serde::Deserialize;
use store::access::Access;
use store::users::{self, Session};

use crate::{AppError, AppState, Lang};

pub const SESSION_COOKIE: &str = "cds_session";

/// Counts attempts per client address in a sliding window; refuses past the limit.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: std::time::Duration,
    seen: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (std::time::Instant, u32)>>,
}

impl RateLimiter {
    /// Twenty login attempts a minute from one address: enough for people sharing a commune
    /// office's connection, too few to guess passwords.
    #[must_use]
    pub fn for_logins() -> Self {
        Self { limit: 20, window: std::time::Duration::from_secs(60), seen: std::sync::Mutex::default() }
    }

    /// Counts an attempt from `ip`; false when it is over the limit.
    pub fn allow(&self, ip: std::net::IpAddr) -> bool {
        let now = std::time::Instant::now();
        let Ok(mut seen) = self.seen.lock() else { return true };
        if seen.len() > 10_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }
}

/// The client's address, when the server knows it (not in tests through the router alone).
fn client_ip(extensions: &axum::http::Extensions) -> std::net::IpAddr {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0.ip())
}

/// Reads one cookie from a request.
#[must_use]
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A logged-in person using the web pages, with what every page shows around its content.
/// Missing or expired session: the request is sent to the login page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub session: Session,
    pub lang: Lang,
    pub demo: bool,
    pub path: String,
    /// What the user's grants allow.
    pub access: Access,
}

/// The refusal of a change to something the user may read but not change.
pub fn not_allowed() -> AppError {
    AppError::Forbidden("Bạn không có quyền thay đổi mục này".into())
}

/// Refuses unless the user changes the registry at `path`.
///
/// # Errors
/// `Forbidden`.
pub fn may_write(access: &Access, path: &str) -> Result<(), AppError> {
    if access.writes(path) { Ok(()) } else { Err(not_allowed()) }
}

/// Refuses unless the user changes this team (in their write scope, or they lead it).
///
/// # Errors
/// `Forbidden`.
pub fn may_write_team(access: &Access, team: &store::teams::Team) -> Result<(), AppError> {
    if access.writes_team(team.id, &team.commune_path) { Ok(()) } else { Err(not_allowed()) }
}

/// Refuses unless the user administers something (users, unit changes, audit trail).
///
/// # Errors
/// `Forbidden`.
pub fn may_administer(access: &Access) -> Result<(), AppError> {
    if access.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Chỉ quản trị viên được dùng chức năng này".into()))
    }
}

/// Refuses unless the user changes this person (404 when they cannot even read them comes first,
/// from the read).
///
/// # Errors
/// `Forbidden`.
pub fn may_write_person(access: &Access, p: &store::people::Member) -> Result<(), AppError> {
    if access.writes_person(p.team_id, p.commune_path.as_deref()) { Ok(()) } else { Err(not_allowed()) }
}

/// Masks the phone and CCCD of every person whose data the user does not see whole.
pub fn mask_members(access: &Access, rows: &mut [store::people::Member]) {
    for m in rows.iter_mut() {
        if !access.sees_personal(m.team_id, m.commune_path.as_deref()) {
            m.mask();
        }
    }
}

/// Masks a team's member list unless the user sees that team's data whole.
pub fn mask_memberships(access: &Access, team: &store::teams::Team, rows: &mut [store::people::Membership]) {
    if !access.sees_personal(Some(team.id), Some(&team.commune_path)) {
        rows.iter_mut().for_each(store::people::Membership::mask);
    }
}

impl Viewer {
    /// Checks the CSRF token a form sent.
    ///
    /// # Errors
    /// `Forbidden` when it does not match the session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        if constant_eq(sent.as_bytes(), self.session.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Forbidden("Phiên làm việc đã thay đổi; hãy tải lại trang rồi thử lại".into()))
        }
    }

    #[must_use]
    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }

    #[must_use]
    pub fn user_name(&self) -> &str {
        &self.session.user.display_name
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where an unauthenticated page request goes.
pub struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        let next = urlencode(&self.0);
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|x| x.trim_start_matches('=').to_owned()).unwrap_or_default()
}

impl<S> FromRequestParts<S> for Viewer
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ToLogin(path).into_response());
        };
        let session = match users::session(&state.db, &token).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(ToLogin(path).into_response()),
            Err(e) => return Err(AppError::from(e).into_response()),
        };
        store::audit::identify(&session.user.login, "web");
        let lang = Lang::from_request_parts(parts, &state).await.unwrap_or_default();
        let demo = matches!(state.db.setting("demo").await, Ok(Some(_)));
        let access = match store::access::access_of(&state.db, session.user.user_id).await {
            Ok(a) => a,
            Err(e) => return Err(AppError::from(e).into_response()),
        };
        Ok(Viewer { session, lang, demo, path, access })
    }
}

/// A caller of the JSON API: a browser session (state-changing requests must echo the CSRF token
/// in `X-CSRF-Token`), or a script with HTTP Basic credentials.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user: users::User,
    /// What the user's grants allow.
    pub access: Access,
}

impl ApiUser {
    async fn of(state: &AppState, user: users::User) -> Result<Self, crate::error::ApiError> {
        let access = store::access::access_of(&state.db, user.user_id).await.map_err(AppError::from)?;
        Ok(ApiUser { user, access })
    }
}

impl<S> FromRequestParts<S> for ApiUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        if let Some(basic) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(basic.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let Some((login, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                return Err(AppError::Unauthorized.into());
            };
            return match check_credentials(&state, login, password).await? {
                Check::Ok(user) => {
                    store::audit::identify(&user.login, "api");
                    ApiUser::of(&state, user).await
                }
                Check::Wrong | Check::Locked => Err(AppError::Unauthorized.into()),
            };
        }
        if let Some(bearer) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            return match users::token_user(&state.db, bearer).await.map_err(AppError::from)? {
                Some(user) => {
                    store::audit::identify(&user.login, "api");
                    ApiUser::of(&state, user).await
                }
                None => Err(AppError::Unauthorized.into()),
            };
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(AppError::Unauthorized.into());
        };
        let Some(session) = users::session(&state.db, &token).await.map_err(AppError::from)? else {
            return Err(AppError::Unauthorized.into());
        };
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if !constant_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(AppError::Forbidden("Thiếu hoặc sai mã chống giả mạo (X-CSRF-Token)".into()).into());
            }
        }
        store::audit::identify(&session.user.login, "api");
        ApiUser::of(&state, session.user).await
    }
}

/// What a login attempt came to.
enum Check {
    Ok(users::User),
    Wrong,
    /// Too many wrong passwords in a row: the account is locked for a while, whatever is typed.
    Locked,
}

/// Checks a login and password off the async runtime (Argon2 is slow on purpose), counting wrong
/// passwords towards the account's lockout.
async fn check_credentials(state: &AppState, login: &str, password: &str) -> Result<Check, AppError> {
    let pw = password.to_owned();
    let Some(account) = users::login_state(&state.db, login).await? else {
        // Spend the same time as a real check, so that a missing login is not told apart.
        tokio::task::spawn_blocking(move || users::verify_password(dummy_hash(), &pw)).await?;
        return Ok(Check::Wrong);
    };
    if users::is_locked(account.locked_until.as_deref()) {
        return Ok(Check::Locked);
    }
    let hash = account.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || users::verify_password(&hash, &pw)).await?;
    if !ok {
        users::record_failure(&state.db, account.user.user_id).await?;
        tracing::warn!(login = %account.user.login, "wrong password");
        return Ok(Check::Wrong);
    }
    if account.user.status != "active" {
        return Ok(Check::Wrong);
    }
    users::record_success(&state.db, account.user.user_id).await?;
    Ok(Check::Ok(account.user))
}

/// An Argon2id hash of a random password nobody knows, made once.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| users::hash_password(&users::random_token()).unwrap_or_default())
}

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/login", login_page)
        .post("/login", login)
        .post("/logout", logout)
        .get("/lang/{code}", set_lang)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    next: String,
    login: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only local paths are followed after login, never another site.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next.to_owned() } else { "/".into() }
}

async fn login_page(lang: Lang, Query(q): Query<NextQuery>) -> Result<Html<String>, AppError> {
    Ok(Html(LoginPage { lang, next: safe_next(&q.next), login: String::new(), error: None }.render()?))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    lang: Lang,
    extensions: axum::http::Extensions,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(&f.next);
    if !state.login_limiter.allow(client_ip(&extensions)) {
        tracing::warn!("login rate limit reached");
        let message = lang.t(
            "Quá nhiều lần đăng nhập từ địa chỉ này; hãy chờ một phút rồi thử lại",
            "Too many login attempts from this address; wait a minute and try again",
        );
        let page = LoginPage { lang, next, login: f.login, error: Some(message.to_owned()) };
        return Ok((axum::http::StatusCode::TOO_MANY_REQUESTS, Html(page.render()?)).into_response());
    }
    let message = match check_credentials(&state, &f.login, &f.password).await? {
        Check::Ok(user) => {
            let token = users::open_session(&state.db, user.user_id).await?;
            tracing::info!(login = %user.login, "logged in");
            let mut resp = Redirect::to(&next).into_response();
            resp.headers_mut()
                .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token, None, state.secure_cookies));
            return Ok(resp);
        }
        Check::Wrong => lang.t("Sai tên đăng nhập hoặc mật khẩu", "Wrong login or password"),
        Check::Locked => lang.t(
            "Tài khoản đang tạm khóa 15 phút vì nhập sai mật khẩu nhiều lần; hãy thử lại sau hoặc nhờ quản trị viên đặt lại mật khẩu",
            "The account is locked for 15 minutes after too many wrong passwords; try later or ask an administrator",
        ),
    };
    let page = LoginPage { lang, next, login: f.login, error: Some(message.to_owned()) };
    Ok((axum::http::StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: Viewer,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    viewer.check_csrf(&f.csrf)?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        users::close_session(&state.db, &token).await?;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), state.secure_cookies));
    Ok(resp)
}

#[derive(Deserialize, Default)]
struct BackQuery {
    #[serde(default)]
    back: String,
}

async fn set_lang(axum::extract::Path(code): axum::extract::Path<String>, Query(q): Query<BackQuery>) -> Response {
    let code = if code == "en" { "en" } else { "vi" };
    let mut resp = Redirect::to(&safe_next(&q.back)).into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie("lang", code, Some(31_536_000), false));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_counts_per_address() {
        let l = RateLimiter { limit: 3, window: std::time::Duration::from_secs(60), seen: std::sync::Mutex::default() };
        let a = std::net::IpAddr::from([10, 0, 0, 1]);
        let b = std::net::IpAddr::from([10, 0, 0, 2]);
        assert!((0..3).all(|_| l.allow(a)));
        assert!(!l.allow(a), "the fourth in the window is refused");
        assert!(l.allow(b), "another address has its own count");
        let quick = RateLimiter { limit: 1, window: std::time::Duration::ZERO, seen: std::sync::Mutex::default() };
        assert!(quick.allow(a) && quick.allow(a), "a window that has passed starts again");
    }

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/teams/1"), "/teams/1");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
    }
}
