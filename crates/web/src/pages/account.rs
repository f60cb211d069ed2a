//! The user's own account: change the password, log out everywhere, and API tokens (made,
//! listed, revoked; a new token's secret is shown once).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::input::FieldErrors;
use serde::Deserialize;
use store::users::{self, ApiToken};

use super::{Chrome, Errors, Id, ListQuery, done};
use crate::auth::{SESSION_COOKIE, Viewer, set_cookie};
use crate::routes::Routes;
use crate::{AppError, AppState};

pub fn router() -> Routes {
    Routes::new()
        .get("/account", page)
        .post("/account/password", password)
        .post("/account/logout-everywhere", logout_everywhere)
        .post("/account/tokens", create_token)
        .post("/account/tokens/{id}/revoke", revoke_token)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    login: String,
    tokens: Vec<ApiToken>,
    errors: Errors,
    /// A token just made: its secret, shown this once.
    new_token: Option<String>,
    /// What the user may do, one line per grant.
    grants: Vec<String>,
}

impl AccountPage {
    fn stamp(&self, s: &str) -> String {
        s.replace('T', " ").trim_end_matches('Z').to_owned()
    }
}

async fn render(
    state: &AppState,
    v: &Viewer,
    ok: Option<&str>,
    errors: Errors,
    new_token: Option<String>,
) -> Result<Response, AppError> {
    let tokens = users::tokens(&state.db, v.session.user.user_id).await?;
    let grants = store::access::of_user(&state.db, v.session.user.user_id)
        .await?
        .iter()
        .map(|g| {
            let role = g.role().map_or_else(|| g.role.clone(), |r| v.lang.t(r.label(), r.label_en()).to_owned());
            format!("{role} — {}", g.target())
        })
        .collect();
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page =
        AccountPage { c: Chrome::new(v, ok), login: v.session.user.login.clone(), tokens, errors, new_token, grants };
    Ok((status, Html(page.render()?)).into_response())
}

async fn page(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    render(&state, &v, q.ok.as_deref(), Errors::default(), None).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Changes the password: every session ends (on every device), and this browser gets a new one.
async fn password(State(state): State<AppState>, v: Viewer, Form(f): Form<PasswordForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let mut errors = FieldErrors::default();
    let (_, hash) = users::credentials(&state.db, &v.session.user.login)
        .await?
        .ok_or_else(|| AppError::NotFound("Không tìm thấy tài khoản".into()))?;
    let current = f.current.clone();
    if !tokio::task::spawn_blocking(move || users::verify_password(&hash, &current)).await? {
        errors.push("current", "Mật khẩu hiện tại không đúng");
    }
    if let Err(e) = users::check_password(&f.new) {
        errors.push("new", e.to_string());
    } else if f.new != f.confirm {
        errors.push("confirm", "Hai lần nhập mật khẩu mới không khớp");
    }
    if !errors.is_empty() {
        return render(&state, &v, None, Errors(errors), None).await;
    }
    let new = f.new.clone();
    let hash = tokio::task::spawn_blocking(move || users::hash_password(&new)).await??;
    users::set_password_hash(&state.db, &v.session.user.login, &hash).await?;
    let token = users::open_session(&state.db, v.session.user.user_id).await?;
    let mut resp = done("/account", "password");
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token, None, state.secure_cookies));
    Ok(resp)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout_everywhere(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    users::close_all_sessions(&state.db, v.session.user.user_id).await?;
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), state.secure_cookies));
    Ok(resp)
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    match users::create_token(&state.db, &v.session.user.login, &f.name).await {
        Ok((_, secret)) => render(&state, &v, None, Errors::default(), Some(secret)).await,
        Err(e) => {
            let e = AppError::from(e);
            match e {
                AppError::Invalid(_) => render(&state, &v, None, Errors(e.field_errors()), None).await,
                other => Err(other),
            }
        }
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    users::revoke_token(&state.db, v.session.user.user_id, id).await?;
    Ok(done("/account", "revoked"))
}
