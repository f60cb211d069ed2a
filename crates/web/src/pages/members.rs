//! Members: search (diacritics ignored), a person's page, editing a person, changing a role or
//! position, and leaving a team.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::input::{MembershipDraft, PersonDraft};
use domain::{Gender, Position, Role};
use serde::Deserialize;
use store::people::{self, Member, MemberFilter, Membership};
use store::units;
use store::{PageRequest, Scope};

use super::teams::MemberForm;
use super::villages::end_date;
use super::{Chrome, Errors, Id, ListQuery, Pager, done, vn_date};
use crate::auth::Viewer;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(list))
        .route("/people/{id}", get(show).post(update))
        .route("/people/{id}/edit", get(edit))
        .route("/memberships/{id}", post(update_membership))
        .route("/memberships/{id}/leave", post(leave))
}

#[derive(Template)]
#[template(path = "members.html")]
struct ListPage {
    c: Chrome,
    q: String,
    unit: String,
    all: bool,
    rows: Vec<Member>,
    pager: Pager,
}

impl ListPage {
    fn role(&self, m: &Member) -> &'static str {
        m.role().map_or("", |r| self.c.lang.t(r.label(), r.label_en()))
    }

    fn position(&self, m: &Member) -> &'static str {
        m.position().map_or("", |p| self.c.lang.t(p.label(), p.label_en()))
    }

    fn phone(&self, p: &str) -> String {
        domain::PhoneVn::parse(p).map_or_else(|_| p.to_owned(), |p| p.display())
    }
}

async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    let scope = match q.unit.trim() {
        "" => Scope::All,
        code => Scope::All.narrow(&units::by_code(&state.db, code).await?.path),
    };
    let all = q.all.is_some();
    let filter = MemberFilter { search: Some(q.q.clone()), include_former: all };
    let page = people::list(&state.db, &scope, &filter, PageRequest::new(q.page.unwrap_or(1), 50)).await?;
    let pager = Pager::new(&page, "/members", &[("q", &q.q), ("unit", &q.unit), ("all", if all { "1" } else { "" })]);
    let c = Chrome::new(&v, q.ok.as_deref());
    Ok(Html(ListPage { c, q: q.q, unit: q.unit, all, rows: page.items, pager }.render()?))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    c: Chrome,
    person: Member,
    history: Vec<Membership>,
    errors: Errors,
}

impl PersonPage {
    /// Whether a stored code is the option's (for `selected` and `checked`).
    fn same(&self, stored: &str, code: &str) -> bool {
        stored == code
    }

    fn date(&self, d: &str) -> String {
        vn_date(d)
    }

    fn gender(&self) -> &'static str {
        match Gender::from_code(&self.person.gender) {
            Some(Gender::Male) => self.c.lang.t("Nam", "Male"),
            Some(Gender::Female) => self.c.lang.t("Nữ", "Female"),
            None => "",
        }
    }

    fn phone(&self) -> String {
        domain::PhoneVn::parse(&self.person.phone).map_or_else(|_| self.person.phone.clone(), |p| p.display())
    }

    fn birth(&self) -> String {
        match (&self.person.birth_date, self.person.birth_year) {
            (Some(d), _) => vn_date(d),
            (None, Some(y)) => y.to_string(),
            _ => String::new(),
        }
    }

    fn role(&self, m: &Membership) -> &'static str {
        m.role().map_or("", |r| self.c.lang.t(r.label(), r.label_en()))
    }

    fn position(&self, m: &Membership) -> &'static str {
        m.position().map_or("", |p| self.c.lang.t(p.label(), p.label_en()))
    }

    fn roles(&self) -> Vec<(&'static str, &'static str)> {
        Role::ALL.iter().map(|r| (r.code(), self.c.lang.t(r.label(), r.label_en()))).collect()
    }

    fn positions(&self) -> Vec<(&'static str, &'static str)> {
        Position::ALL.iter().map(|p| (p.code(), self.c.lang.t(p.label(), p.label_en()))).collect()
    }
}

async fn render_person(
    state: &AppState,
    v: &Viewer,
    id: i64,
    ok: Option<&str>,
    errors: Errors,
) -> Result<Response, AppError> {
    let person = people::get(&state.db, &Scope::All, id).await?;
    let history = people::history(&state.db, &Scope::All, id).await?;
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = PersonPage { c: Chrome::new(v, ok), person, history, errors };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    render_person(&state, &v, id, q.ok.as_deref(), Errors::default()).await
}

fn draft_of(p: &Member) -> PersonDraft {
    PersonDraft {
        full_name: p.full_name.clone(),
        gender: p.gender.clone(),
        birth: match (&p.birth_date, p.birth_year) {
            (Some(d), _) => vn_date(d),
            (None, Some(y)) => y.to_string(),
            _ => String::new(),
        },
        phone: p.phone.clone(),
        cccd: p.cccd.clone().unwrap_or_default(),
        email: p.email.clone().unwrap_or_default(),
    }
}

fn edit_form(v: &Viewer, id: i64, person: PersonDraft, errors: Errors) -> MemberForm {
    let c = Chrome::new(v, None);
    let title = format!("{} — {}", c.lang.t("Sửa thông tin", "Edit"), person.full_name);
    MemberForm {
        c,
        action: format!("/people/{id}"),
        title,
        team: None,
        person,
        membership: MembershipDraft::default(),
        errors,
    }
}

async fn edit(State(state): State<AppState>, v: Viewer, Id(id): Id) -> Result<Html<String>, AppError> {
    let p = people::get(&state.db, &Scope::All, id).await?;
    Ok(Html(edit_form(&v, id, draft_of(&p), Errors::default()).render()?))
}

#[derive(Deserialize)]
struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    person: PersonDraft,
}

async fn update(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<PersonForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let result = match f.person.parse(store::today()) {
        Ok(p) => people::update_person(&state.db, &Scope::All, id, &p).await.map_err(AppError::from),
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(()) => Ok(done(&format!("/people/{id}"), "saved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let form = edit_form(&v, id, f.person, Errors(e.field_errors()));
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(form.render()?)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person_id: i64,
    #[serde(default)]
    role: String,
    #[serde(default)]
    position: String,
}

async fn update_membership(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<RoleForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let draft = MembershipDraft { role: f.role, position: f.position, joined_on: String::new() };
    let result = match draft.parse(store::today()) {
        Ok(m) => {
            people::update_membership(&state.db, &Scope::All, id, m.role, m.position).await.map_err(AppError::from)
        }
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(()) => Ok(done(&format!("/people/{}", f.person_id), "saved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_person(&state, &v, f.person_id, None, Errors(e.field_errors())).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct LeaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person_id: i64,
    #[serde(default)]
    left_on: String,
    #[serde(default)]
    confirm: Option<String>,
}

async fn leave(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<LeaveForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let result = match end_date(&f.left_on, f.confirm.as_deref(), "left_on") {
        Ok(day) => people::leave(&state.db, &Scope::All, id, day).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(&format!("/people/{}", f.person_id), "left")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_person(&state, &v, f.person_id, None, Errors(e.field_errors())).await
        }
        Err(e) => Err(e),
    }
}
