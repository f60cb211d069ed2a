//! Members: search (diacritics ignored), a person's page, editing a person, changing a role or
//! position, and leaving a team.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::input::{MembershipDraft, PersonDraft};
use domain::{Gender, Position, Role};
use serde::Deserialize;
use store::PageRequest;
use store::access::Access;
use store::people::{self, Member, MemberFilter, Membership};

use super::teams::MemberForm;
use super::villages::end_date;
use super::{Chrome, Errors, Id, ListQuery, Pager, done, vn_date};
use crate::auth::{Viewer, mask_members};
use crate::routes::Routes;
use crate::{AppError, AppState, exports};

pub fn router() -> Routes {
    Routes::new()
        .get("/members", list)
        .downloads("/members", export)
        .get("/people/{id}", show)
        .post("/people/{id}", update)
        .post("/people/{id}/reveal", reveal)
        .get("/people/{id}/edit", edit)
        .post("/memberships/{id}", update_membership)
        .post("/memberships/{id}/leave", leave)
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
    /// The query of the same list, for its CSV and Excel exports.
    export: String,
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
    let scope = super::list_scope(&state, &v, &q.unit).await?;
    let all = q.all.is_some();
    let filter = MemberFilter { search: Some(q.q.clone()), include_former: all, numbers_for: Some(v.access.clone()) };
    let mut page = people::list(&state.db, &scope, &filter, PageRequest::new(q.page.unwrap_or(1), 50)).await?;
    mask_members(&v.access, &mut page.items);
    let pager = Pager::new(&page, "/members", &[("q", &q.q), ("unit", &q.unit), ("all", if all { "1" } else { "" })]);
    let c = Chrome::new(&v, q.ok.as_deref());
    let export = serde_urlencoded::to_string([
        ("q", q.q.as_str()),
        ("unit", q.unit.as_str()),
        ("all", if all { "1" } else { "" }),
    ])
    .unwrap_or_default();
    Ok(Html(ListPage { c, q: q.q, unit: q.unit, all, rows: page.items, pager, export }.render()?))
}

/// `GET /members.xlsx` and `/members.csv`: the list as filtered, every page of it, masked as on
/// screen, as an Excel workbook (a title and the day of the data over the header) or CSV in the
/// same columns (so that it imports back). Personal data leaves the system here, so the export is
/// logged with its rows.
async fn export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ListQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    let scope = super::list_scope(&state, &v, &q.unit).await?;
    let all = q.all.is_some();
    let filter = MemberFilter { search: Some(q.q.clone()), include_former: all, numbers_for: Some(v.access.clone()) };
    let mut rows = people::list(&state.db, &scope, &filter, PageRequest::all()).await?.items;
    let whole = rows.iter().filter(|m| v.access.sees_personal(m.team_id, m.commune_path.as_deref())).count();
    mask_members(&v.access, &mut rows);
    let place = exports::place(&state.db, &scope).await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let event = store::audit::Event {
        entity: "export",
        entity_id: None,
        action: exports::action(exports::List::Members, format),
        unit_path: exports::unit_path(&scope),
        before: None,
        after: Some(serde_json::json!({
            "filter": { "q": store::access::loggable_search(&q.q), "unit": q.unit, "all": all },
            "rows": ids,
            "count": ids.len(),
            "whole": whole,
        })),
    };
    store::audit::record(&state.db, event).await?;
    exports::members_download(&state.db, rows, &place, store::today(), format, "thanh-vien").await
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    c: Chrome,
    person: Member,
    history: Vec<Membership>,
    errors: Errors,
    /// Whether the phone and CCCD show masked (a reveal button then shows).
    masked: bool,
    /// Whether the reader may edit the person and their membership.
    can_edit: bool,
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
    revealed: bool,
) -> Result<Response, AppError> {
    let mut person = people::get(&state.db, &v.access.read, id).await?;
    let mut history = people::history(&state.db, &v.access.read, id).await?;
    let masked = !revealed && !v.access.sees_personal(person.team_id, person.commune_path.as_deref());
    if masked {
        person.mask();
        history.iter_mut().for_each(Membership::mask);
    }
    let can_edit = person_writable(&v.access, &person);
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = PersonPage { c: Chrome::new(v, ok), person, history, errors, masked, can_edit };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    render_person(&state, &v, id, q.ok.as_deref(), Errors::default(), false).await
}

fn person_writable(access: &Access, p: &Member) -> bool {
    access.writes_person(p.team_id, p.commune_path.as_deref())
}

/// A person the reader may read (404 otherwise) and change (403 otherwise).
async fn writable(state: &AppState, v: &Viewer, id: i64) -> Result<Member, AppError> {
    let p = people::get(&state.db, &v.access.read, id).await?;
    if person_writable(&v.access, &p) { Ok(p) } else { Err(crate::auth::not_allowed()) }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /people/{id}/reveal`: shows the phone and CCCD whole, once, and logs who saw them.
async fn reveal(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let person = people::get(&state.db, &v.access.read, id).await?;
    let mut event = store::audit::Event::new("person", id, "reveal")
        .after(serde_json::json!({ "fields": ["phone", "cccd"], "full_name": person.full_name }));
    event.unit_path = person.commune_path.clone();
    store::audit::record(&state.db, event).await?;
    render_person(&state, &v, id, None, Errors::default(), true).await
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
    let p = writable(&state, &v, id).await?;
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
    writable(&state, &v, id).await?;
    let result = match f.person.parse(store::today()) {
        Ok(p) => people::update_person(&state.db, &v.access.read, id, &p).await.map_err(AppError::from),
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
    membership_writable(&state, &v, id).await?;
    let draft = MembershipDraft { role: f.role, position: f.position, joined_on: String::new() };
    let result = match draft.parse(store::today()) {
        Ok(m) => {
            people::update_membership(&state.db, &v.access.read, id, m.role, m.position).await.map_err(AppError::from)
        }
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(()) => Ok(done(&format!("/people/{}", f.person_id), "saved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_person(&state, &v, f.person_id, None, Errors(e.field_errors()), false).await
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
    membership_writable(&state, &v, id).await?;
    let result = match end_date(&f.left_on, f.confirm.as_deref(), "left_on") {
        Ok(day) => people::leave(&state.db, &v.access.read, id, day).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(&format!("/people/{}", f.person_id), "left")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_person(&state, &v, f.person_id, None, Errors(e.field_errors()), false).await
        }
        Err(e) => Err(e),
    }
}

/// A membership whose team the reader may read (404 otherwise) and change (403 otherwise).
async fn membership_writable(state: &AppState, v: &Viewer, id: i64) -> Result<(), AppError> {
    let m = people::membership(&state.db, &v.access.read, id).await?;
    crate::auth::may_write_team(&v.access, &store::teams::get(&state.db, &v.access.read, m.team_id).await?)
}
