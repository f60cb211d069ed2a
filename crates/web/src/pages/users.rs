//! Users and grants, for administrators: the users they reach, a new user with a first grant,
//! grants added, revoked and (after a reorganisation passed them on) confirmed, and a password
//! reset. An administrator reaches only the users and grants inside the units they administer.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::UserRole;
use serde::Deserialize;
use store::access::{self, Grant, NewGrant, Target};
use store::users::{self, User};

use super::{Chrome, Errors, Id, ListQuery, done};
use crate::auth::{Viewer, may_administer};
use crate::routes::Routes;
use crate::{AppError, AppState};

pub fn router() -> Routes {
    Routes::new()
        .get("/admin/users", list)
        .post("/admin/users", create)
        .get("/admin/users/{id}", show)
        .post("/admin/users/{id}/grants", add_grant)
        .post("/admin/users/{id}/password", reset_password)
        .post("/admin/grants/{id}/revoke", revoke)
        .post("/admin/users/{id}/status", set_status)
        .post("/admin/grants/{id}/confirm", confirm)
        .post("/admin/grants/confirm-all", confirm_all)
}

/// One user with the grants the administrator sees.
struct Row {
    user: User,
    grants: Vec<Grant>,
}

/// The choices of a grant form, and what was typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GrantFields {
    role: String,
    unit: String,
    team: String,
}

impl GrantFields {
    /// The grant asked for, checked against the registry and the administrator's reach.
    async fn resolve(&self, state: &AppState, v: &Viewer) -> Result<NewGrant, AppError> {
        let invalid = |field: &'static str, m: &str| AppError::Invalid(domain::input::FieldErrors::single(field, m));
        let role = UserRole::from_code(self.role.trim()).ok_or_else(|| invalid("role", "Chọn vai trò"))?;
        let target = match (self.unit.trim(), self.team.trim()) {
            ("", "") => Target::Everything,
            ("", team) => Target::Team(team.parse().map_err(|_| invalid("team", "Số tổ phải là một số"))?),
            (unit, _) => Target::Unit(unit.to_owned()),
        };
        let g = match access::resolve(&state.db, role, &target).await {
            Ok(g) => g,
            Err(store::StoreError::NotFound(m)) => {
                let field = if matches!(target, Target::Team(_)) { "team" } else { "unit" };
                return Err(invalid(field, &m));
            }
            Err(e) => return Err(e.into()),
        };
        if !v.access.reaches(g.path.as_deref()) {
            let field = if g.team_id.is_some() { "team" } else { "unit" };
            return Err(invalid(field, "Chỉ phân quyền được trong phạm vi mình quản trị"));
        }
        Ok(g)
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pending: Vec<Grant>,
    form: NewUserForm,
    errors: Errors,
    /// A user just made and their password, shown this once.
    created: Option<(String, String)>,
}

impl ListPage {
    fn roles(&self) -> Vec<(&'static str, &'static str)> {
        roles(self.c.lang)
    }

    fn role_label(&self, g: &Grant) -> String {
        role_label(self.c.lang, g)
    }

    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

fn roles(lang: crate::Lang) -> Vec<(&'static str, &'static str)> {
    UserRole::ALL.iter().map(|r| (r.code(), lang.t(r.label(), r.label_en()))).collect()
}

fn role_label(lang: crate::Lang, g: &Grant) -> String {
    g.role().map_or_else(|| g.role.clone(), |r| lang.t(r.label(), r.label_en()).to_owned())
}

/// A new random password and its Argon2id hash (made off the async runtime: it is slow on
/// purpose).
async fn new_password() -> Result<(String, String), AppError> {
    let pw = users::generate_password();
    let hash = tokio::task::spawn_blocking({
        let pw = pw.clone();
        move || users::hash_password(&pw)
    })
    .await??;
    Ok((pw, hash))
}

/// The users an administrator reaches: all of them for an administrator of everything, otherwise
/// those whose every grant lies inside the units they administer. A user who also holds a grant
/// elsewhere is beyond reach: resetting their password would hand over the wider grant.
async fn reachable(state: &AppState, v: &Viewer) -> Result<Vec<Row>, AppError> {
    let everyone = v.access.admin == store::Scope::All;
    let mut rows = Vec::new();
    for user in users::list(&state.db).await? {
        let grants = access::of_user(&state.db, user.user_id).await?;
        if everyone || within_reach(v, &grants) {
            rows.push(Row { user, grants });
        }
    }
    Ok(rows)
}

/// Whether an administrator reaches every one of a user's grants (and the user holds some).
fn within_reach(v: &Viewer, grants: &[Grant]) -> bool {
    !grants.is_empty() && grants.iter().all(|g| v.access.reaches(g.path()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewUserForm {
    csrf: String,
    login: String,
    name: String,
    #[serde(flatten)]
    grant: GrantFields,
}

async fn render_list(
    state: &AppState,
    v: &Viewer,
    ok: Option<&str>,
    form: NewUserForm,
    errors: Errors,
    created: Option<(String, String)>,
) -> Result<Response, AppError> {
    let rows = reachable(state, v).await?;
    let pending: Vec<Grant> =
        rows.iter().flat_map(|r| r.grants.iter()).filter(|g| g.status == "pending").cloned().collect();
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = ListPage { c: Chrome::new(v, ok), rows, pending, form, errors, created };
    Ok((status, Html(page.render()?)).into_response())
}

async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    render_list(&state, &v, q.ok.as_deref(), NewUserForm::default(), Errors::default(), None).await
}

/// A new user with a first grant and a generated password, shown once on the page that answers.
async fn create(State(state): State<AppState>, v: Viewer, Form(f): Form<NewUserForm>) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    v.check_csrf(&f.csrf)?;
    let result = async {
        let grant = f.grant.resolve(&state, &v).await?;
        let (pw, hash) = new_password().await?;
        users::add(&state.db, &f.login, &f.name, &hash, std::slice::from_ref(&grant)).await?;
        Ok::<_, AppError>(pw)
    }
    .await;
    match result {
        Ok(pw) => {
            let login = f.login.trim().to_lowercase();
            render_list(&state, &v, Some("created"), NewUserForm::default(), Errors::default(), Some((login, pw))).await
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let errors = Errors(e.field_errors());
            render_list(&state, &v, None, f, errors, None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    c: Chrome,
    user: User,
    grants: Vec<Grant>,
    form: GrantFields,
    errors: Errors,
    /// A password just set, shown this once.
    password: Option<String>,
}

impl UserPage {
    fn roles(&self) -> Vec<(&'static str, &'static str)> {
        roles(self.c.lang)
    }

    fn role_label(&self, g: &Grant) -> String {
        role_label(self.c.lang, g)
    }

    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

/// A user the administrator reaches (every grant of theirs inside the administrator's units); any
/// other answers 404, as one that does not exist.
async fn reachable_user(state: &AppState, v: &Viewer, id: i64) -> Result<Row, AppError> {
    let missing = || AppError::NotFound("Không tìm thấy người dùng".into());
    let user = users::get(&state.db, id).await.map_err(|_| missing())?;
    let grants = access::of_user(&state.db, id).await?;
    let everyone = v.access.admin == store::Scope::All;
    if everyone || within_reach(v, &grants) { Ok(Row { user, grants }) } else { Err(missing()) }
}

async fn render_user(
    state: &AppState,
    v: &Viewer,
    id: i64,
    ok: Option<&str>,
    form: GrantFields,
    errors: Errors,
    password: Option<String>,
) -> Result<Response, AppError> {
    let row = reachable_user(state, v, id).await?;
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = UserPage { c: Chrome::new(v, ok), user: row.user, grants: row.grants, form, errors, password };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    render_user(&state, &v, id, q.ok.as_deref(), GrantFields::default(), Errors::default(), None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GrantForm {
    csrf: String,
    #[serde(flatten)]
    grant: GrantFields,
}

async fn add_grant(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<GrantForm>,
) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    v.check_csrf(&f.csrf)?;
    let row = reachable_user(&state, &v, id).await?;
    let result = async {
        let grant = f.grant.resolve(&state, &v).await?;
        access::grant(&state.db, &row.user.login, &grant).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(done(&format!("/admin/users/{id}"), "saved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let errors = Errors(e.field_errors());
            render_user(&state, &v, id, None, f.grant, errors, None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConfirmForm {
    csrf: String,
    confirm: Option<String>,
}

/// Sets a new generated password, shown once; the user's sessions end and a lockout lifts.
async fn reset_password(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    v.check_csrf(&f.csrf)?;
    let row = reachable_user(&state, &v, id).await?;
    if f.confirm.is_none() {
        let errors = Errors(domain::input::FieldErrors::single("confirm", "Hãy đánh dấu ô xác nhận trước khi đặt lại"));
        return render_user(&state, &v, id, None, GrantFields::default(), errors, None).await;
    }
    let (pw, hash) = new_password().await?;
    users::set_password_hash(&state.db, &row.user.login, &hash).await?;
    render_user(&state, &v, id, Some("password_reset"), GrantFields::default(), Errors::default(), Some(pw)).await
}

/// A grant the administrator reaches; any other answers 404.
async fn reachable_grant(state: &AppState, v: &Viewer, id: i64) -> Result<Grant, AppError> {
    let g = access::get(&state.db, id).await?;
    if v.access.reaches(g.path()) { Ok(g) } else { Err(AppError::NotFound("Không tìm thấy quyền này".into())) }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BackForm {
    csrf: String,
    /// Where to come back to: the user's page or the list.
    back: String,
}

impl BackForm {
    fn back(&self, user_id: i64) -> String {
        if self.back == "list" { "/admin/users".to_owned() } else { format!("/admin/users/{user_id}") }
    }
}

async fn revoke(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<BackForm>,
) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    v.check_csrf(&f.csrf)?;
    let g = reachable_grant(&state, &v, id).await?;
    access::revoke(&state.db, id).await?;
    Ok(done(&f.back(g.user_id), "revoked_grant"))
}

async fn confirm(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<BackForm>,
) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    v.check_csrf(&f.csrf)?;
    let g = reachable_grant(&state, &v, id).await?;
    access::confirm(&state.db, id).await?;
    Ok(done(&f.back(g.user_id), "confirmed"))
}

/// Every pending grant the administrator reaches, confirmed at once.
async fn confirm_all(State(state): State<AppState>, v: Viewer, Form(f): Form<BackForm>) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    v.check_csrf(&f.csrf)?;
    access::confirm_all(&state.db, &v.access.admin).await?;
    Ok(done("/admin/users", "confirmed"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatusForm {
    csrf: String,
    /// `active` or `disabled`.
    status: String,
    confirm: Option<String>,
}

/// Disables an account (no login, sessions end, API tokens stop) or enables it again.
async fn set_status(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<StatusForm>,
) -> Result<Response, AppError> {
    may_administer(&v.access)?;
    v.check_csrf(&f.csrf)?;
    let row = reachable_user(&state, &v, id).await?;
    let active = f.status == "active";
    if !active && f.confirm.is_none() {
        let errors =
            Errors(domain::input::FieldErrors::single("confirm", "Hãy đánh dấu ô xác nhận trước khi khóa tài khoản"));
        return render_user(&state, &v, id, None, GrantFields::default(), errors, None).await;
    }
    if !active && row.user.user_id == v.session.user.user_id {
        let errors = Errors(domain::input::FieldErrors::single("confirm", "Không tự khóa tài khoản của chính mình"));
        return render_user(&state, &v, id, None, GrantFields::default(), errors, None).await;
    }
    users::set_active(&state.db, &row.user.login, active).await?;
    Ok(done(&format!("/admin/users/{id}"), if active { "enabled" } else { "disabled" }))
}
