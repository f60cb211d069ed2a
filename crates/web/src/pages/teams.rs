//! Teams: the list, a team's page with its members and health, founding, editing, dissolving,
//! and adding a new member.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::input::{MembershipDraft, PersonDraft, TeamDraft};
use domain::{Gender, HealthIssue, Position, Role};
use serde::Deserialize;
use store::PageRequest;
use store::people::{self, Membership};
use store::teams::{self, Team, TeamFilter};
use store::units::{self, Unit};

use super::villages::{VillageFormsArg, end_date, render_village};
use super::{Chrome, Errors, Id, ListQuery, Pager, done, vn_date};
use crate::auth::{Viewer, may_write, may_write_team};
use crate::routes::Routes;
use crate::{AppError, AppState, exports};

pub fn router() -> Routes {
    Routes::new()
        .get("/teams", list)
        .downloads("/teams", export)
        .post("/teams", create)
        .get("/teams/{id}", show)
        .post("/teams/{id}", update)
        .post("/teams/{id}/dissolve", dissolve)
        .get("/teams/{id}/members/new", new_member)
        .post("/teams/{id}/members", add_member)
}

#[derive(Template)]
#[template(path = "teams.html")]
struct ListPage {
    c: Chrome,
    q: String,
    unit: String,
    issue: String,
    all: bool,
    rows: Vec<Team>,
    pager: Pager,
    /// The query of the same list, for its Excel and CSV exports.
    export: String,
}

impl ListPage {
    fn issue_label(&self, i: &HealthIssue) -> &'static str {
        self.c.lang.t(i.label(), i.label_en())
    }
}

fn parse_issue(code: &str) -> Option<HealthIssue> {
    [HealthIssue::UnderFiveMembers, HealthIssue::NoCommuneOfficial, HealthIssue::NoLeader]
        .into_iter()
        .find(|i| i.code() == code)
}

async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    let scope = super::list_scope(&state, &v, &q.unit).await?;
    let all = q.all.is_some();
    let filter = TeamFilter { search: Some(q.q.clone()), include_dissolved: all, issue: parse_issue(&q.issue) };
    let page = teams::list(&state.db, &scope, &filter, PageRequest::new(q.page.unwrap_or(1), 50)).await?;
    let pager = Pager::new(
        &page,
        "/teams",
        &[("q", &q.q), ("unit", &q.unit), ("issue", &q.issue), ("all", if all { "1" } else { "" })],
    );
    let c = Chrome::new(&v, q.ok.as_deref());
    let export = serde_urlencoded::to_string([
        ("q", q.q.as_str()),
        ("unit", q.unit.as_str()),
        ("issue", q.issue.as_str()),
        ("all", if all { "1" } else { "" }),
    ])
    .unwrap_or_default();
    Ok(Html(ListPage { c, q: q.q, unit: q.unit, issue: q.issue, all, rows: page.items, pager, export }.render()?))
}

/// `GET /teams.xlsx` and `/teams.csv`: the list as filtered, every page of it, as an Excel
/// workbook or CSV; the export recorded in the audit trail (leaders' names leave the system
/// with it).
async fn export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ListQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    let scope = super::list_scope(&state, &v, &q.unit).await?;
    let all = q.all.is_some();
    let filter = TeamFilter { search: Some(q.q.clone()), include_dissolved: all, issue: parse_issue(&q.issue) };
    let rows = teams::list(&state.db, &scope, &filter, PageRequest::all()).await?.items;
    let place = exports::place(&state.db, &scope).await?;
    let table = exports::teams(&state.db, &scope, &rows, &place, store::today()).await?;
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    let event = store::audit::Event {
        entity: "export",
        action: exports::action(exports::List::Teams, format),
        unit_path: exports::unit_path(&scope),
        after: Some(serde_json::json!({
            "filter": { "q": store::access::loggable_search(&q.q), "unit": q.unit, "issue": q.issue, "all": all },
            "rows": ids,
            "count": ids.len(),
        })),
        ..store::audit::Event::default()
    };
    store::audit::record(&state.db, event).await?;
    exports::download(table, format, "to-cong-nghe-so").await
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    c: Chrome,
    team: Team,
    trail: Vec<Unit>,
    members: Vec<Membership>,
    form: TeamDraft,
    errors: Errors,
    end_errors: Errors,
    /// Whether the reader may edit the team and add members (its leader may).
    can_edit: bool,
    /// Whether the reader may dissolve it (registry writers only).
    can_dissolve: bool,
    /// Whether phones and CCCDs show masked.
    masked: bool,
    /// What the ledger says was paid to the team, all time.
    paid: domain::money::Vnd,
}

impl TeamPage {
    fn date(&self, d: &str) -> String {
        vn_date(d)
    }

    fn role(&self, m: &Membership) -> &'static str {
        m.role().map_or("", |r| self.c.lang.t(r.label(), r.label_en()))
    }

    fn position(&self, m: &Membership) -> &'static str {
        m.position().map_or("", |p| self.c.lang.t(p.label(), p.label_en()))
    }

    fn issue_label(&self, i: &HealthIssue) -> &'static str {
        self.c.lang.t(i.label(), i.label_en())
    }

    fn phone(&self, p: &str) -> String {
        domain::PhoneVn::parse(p).map_or_else(|_| p.to_owned(), |p| p.display())
    }
}

fn draft_of(team: &Team) -> TeamDraft {
    TeamDraft {
        name: team.name.clone(),
        established_on: vn_date(&team.established_on),
        zalo_url: team.zalo_url.clone().unwrap_or_default(),
    }
}

async fn render_team(
    state: &AppState,
    v: &Viewer,
    id: i64,
    ok: Option<&str>,
    form: Option<TeamDraft>,
    errors: Errors,
    end_errors: Errors,
) -> Result<Response, AppError> {
    let team = teams::get(&state.db, &v.access.read, id).await?;
    let mut members = people::of_team(&state.db, &v.access.read, id, true).await?;
    let masked = !v.access.sees_personal(Some(team.id), Some(&team.commune_path));
    if masked {
        members.iter_mut().for_each(Membership::mask);
    }
    let can_edit = v.access.writes_team(team.id, &team.commune_path);
    let can_dissolve = v.access.writes(&team.commune_path);
    let paid = store::payments::balance(
        &state.db,
        &v.access.read,
        &store::payments::LedgerFilter { team_id: Some(team.id), ..Default::default() },
    )
    .await?;
    let commune = units::by_code(&state.db, &team.commune_code).await?;
    let mut trail = units::ancestors(&state.db, &commune).await?;
    trail.push(commune);
    let status = if errors.any() || end_errors.any() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let form = form.unwrap_or_else(|| draft_of(&team));
    let page = TeamPage {
        c: Chrome::new(v, ok),
        team,
        trail,
        members,
        form,
        errors,
        end_errors,
        can_edit,
        can_dissolve,
        masked,
        paid,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    render_team(&state, &v, id, q.ok.as_deref(), None, Errors::default(), Errors::default()).await
}

#[derive(Deserialize)]
struct TeamForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    village_id: i64,
    #[serde(flatten)]
    draft: TeamDraft,
}

async fn create(State(state): State<AppState>, v: Viewer, Form(f): Form<TeamForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let result = match f.draft.parse(store::today()) {
        Ok(input) => {
            let village = store::villages::get(&state.db, &v.access.read, f.village_id).await?;
            may_write(&v.access, &village.commune_path)?;
            teams::create(&state.db, &v.access.write, f.village_id, &input).await.map_err(AppError::from)
        }
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(id) => Ok(done(&format!("/teams/{id}"), "created")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_village(&state, &v, f.village_id, None, VillageFormsArg::team(f.draft, Errors(e.field_errors())))
                .await
        }
        Err(e) => Err(e),
    }
}

async fn update(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<TeamForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    may_write_team(&v.access, &teams::get(&state.db, &v.access.read, id).await?)?;
    let result = match f.draft.parse(store::today()) {
        Ok(input) => teams::update(&state.db, &v.access.read, id, &input).await.map_err(AppError::from),
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(()) => Ok(done(&format!("/teams/{id}"), "saved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_team(&state, &v, id, None, Some(f.draft), Errors(e.field_errors()), Errors::default()).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct DissolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    dissolved_on: String,
    #[serde(default)]
    confirm: Option<String>,
}

async fn dissolve(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<DissolveForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    may_write(&v.access, &teams::get(&state.db, &v.access.read, id).await?.commune_path)?;
    let result = match end_date(&f.dissolved_on, f.confirm.as_deref(), "dissolved_on") {
        Ok(day) => teams::dissolve(&state.db, &v.access.write, id, day).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(&format!("/teams/{id}"), "dissolved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render_team(&state, &v, id, None, None, Errors::default(), Errors(e.field_errors())).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "member_new.html")]
pub(super) struct MemberForm {
    pub c: Chrome,
    pub action: String,
    pub title: String,
    pub team: Option<Team>,
    pub person: PersonDraft,
    pub membership: MembershipDraft,
    pub errors: Errors,
}

impl MemberForm {
    /// Whether a stored code is the option's (for `selected` and `checked`).
    fn same(&self, stored: &str, code: &str) -> bool {
        stored == code
    }

    fn genders(&self) -> Vec<(&'static str, &'static str)> {
        Gender::ALL
            .iter()
            .map(|g| (g.code(), self.c.lang.t(g.label(), if *g == Gender::Male { "Male" } else { "Female" })))
            .collect()
    }

    fn roles(&self) -> Vec<(&'static str, &'static str)> {
        Role::ALL.iter().map(|r| (r.code(), self.c.lang.t(r.label(), r.label_en()))).collect()
    }

    fn positions(&self) -> Vec<(&'static str, &'static str)> {
        Position::ALL.iter().map(|p| (p.code(), self.c.lang.t(p.label(), p.label_en()))).collect()
    }

    fn shown(&self) -> Vec<String> {
        self.errors.others(&["full_name", "gender", "birth", "phone", "cccd", "email", "role", "position", "joined_on"])
    }
}

async fn new_member(State(state): State<AppState>, v: Viewer, Id(id): Id) -> Result<Html<String>, AppError> {
    let team = teams::get(&state.db, &v.access.read, id).await?;
    may_write_team(&v.access, &team)?;
    let c = Chrome::new(&v, None);
    let title = format!("{} — {}", c.lang.t("Thêm thành viên", "Add a member"), team.name);
    let form = MemberForm {
        c,
        action: format!("/teams/{id}/members"),
        title,
        team: Some(team),
        person: PersonDraft::default(),
        membership: MembershipDraft { role: Role::Member.code().into(), ..MembershipDraft::default() },
        errors: Errors::default(),
    };
    Ok(Html(form.render()?))
}

#[derive(Deserialize)]
struct AddMemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    person: PersonDraft,
    #[serde(default)]
    role: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    joined_on: String,
}

async fn add_member(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<AddMemberForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    may_write_team(&v.access, &teams::get(&state.db, &v.access.read, id).await?)?;
    let today = store::today();
    let membership = MembershipDraft { role: f.role, position: f.position, joined_on: f.joined_on };
    let result = match (f.person.parse(today), membership.parse(today)) {
        (Ok(p), Ok(m)) => people::create_member(&state.db, &v.access.read, id, &p, &m).await.map_err(AppError::from),
        (p, m) => {
            let mut errors = p.err().unwrap_or_default();
            errors.0.extend(m.err().unwrap_or_default().0);
            Err(AppError::Invalid(errors))
        }
    };
    match result {
        Ok(_) => Ok(done(&format!("/teams/{id}"), "created")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let team = teams::get(&state.db, &v.access.read, id).await?;
            let c = Chrome::new(&v, None);
            let title = format!("{} — {}", c.lang.t("Thêm thành viên", "Add a member"), team.name);
            let form = MemberForm {
                c,
                action: format!("/teams/{id}/members"),
                title,
                team: Some(team),
                person: f.person,
                membership,
                errors: Errors(e.field_errors()),
            };
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(form.render()?)).into_response())
        }
        Err(e) => Err(e),
    }
}
