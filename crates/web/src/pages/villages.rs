//! Villages: the list, a village's page, creating, renaming and deactivating.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::input::{TeamDraft, parse_village_name};
use serde::Deserialize;
use store::PageRequest;
use store::units::{self, Unit};
use store::villages::{self, Village, VillageFilter};

use super::{Chrome, Errors, Id, ListQuery, Pager, done, vn_date};
use crate::auth::{Viewer, may_write};
use crate::routes::Routes;
use crate::{AppError, AppState, exports};

pub fn router() -> Routes {
    Routes::new()
        .get("/villages", list)
        .downloads("/villages", export)
        .post("/villages", create)
        .get("/villages/{id}", show)
        .post("/villages/{id}", rename)
        .post("/villages/{id}/deactivate", deactivate)
        .post("/villages/{id}/merge", merge)
}

#[derive(Template)]
#[template(path = "villages.html")]
struct ListPage {
    c: Chrome,
    q: String,
    unit: String,
    without_team: bool,
    rows: Vec<Village>,
    pager: Pager,
    /// The query of the same list, for its Excel and CSV exports.
    export: String,
}

async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    let scope = super::list_scope(&state, &v, &q.unit).await?;
    let without_team = q.without_team.is_some();
    let filter = VillageFilter { search: Some(q.q.clone()), include_inactive: q.all.is_some(), without_team };
    let page = villages::list(&state.db, &scope, &filter, PageRequest::new(q.page.unwrap_or(1), 50)).await?;
    let wt = if without_team { "1" } else { "" };
    let pager = Pager::new(&page, "/villages", &[("q", &q.q), ("unit", &q.unit), ("without_team", wt)]);
    let c = Chrome::new(&v, q.ok.as_deref());
    let export = serde_urlencoded::to_string([
        ("q", q.q.as_str()),
        ("unit", q.unit.as_str()),
        ("without_team", wt),
        ("all", if q.all.is_some() { "1" } else { "" }),
    ])
    .unwrap_or_default();
    Ok(Html(ListPage { c, q: q.q, unit: q.unit, without_team, rows: page.items, pager, export }.render()?))
}

/// `GET /villages.xlsx` and `/villages.csv`: the list as filtered, every page of it, as an Excel
/// workbook or CSV; the export recorded in the audit trail.
async fn export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ListQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    let scope = super::list_scope(&state, &v, &q.unit).await?;
    let without_team = q.without_team.is_some();
    let all = q.all.is_some();
    let filter = VillageFilter { search: Some(q.q.clone()), include_inactive: all, without_team };
    let rows = villages::list(&state.db, &scope, &filter, PageRequest::all()).await?.items;
    let place = exports::place(&state.db, &scope).await?;
    let table = exports::villages(&rows, &place, store::today());
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let event = store::audit::Event {
        entity: "export",
        action: exports::action(exports::List::Villages, format),
        unit_path: exports::unit_path(&scope),
        after: Some(serde_json::json!({
            "filter": {
                "q": store::access::loggable_search(&q.q),
                "unit": q.unit,
                "without_team": without_team,
                "all": all,
            },
            "rows": ids,
            "count": ids.len(),
        })),
        ..store::audit::Event::default()
    };
    store::audit::record(&state.db, event).await?;
    exports::download(table, format, "thon").await
}

#[derive(Template)]
#[template(path = "village.html")]
struct VillagePage {
    c: Chrome,
    village: Village,
    trail: Vec<Unit>,
    name: String,
    errors: Errors,
    team: TeamDraft,
    team_errors: Errors,
    end_errors: Errors,
    /// The health issues of the village's active team.
    issues: Vec<domain::HealthIssue>,
    /// The other active villages of the commune (to merge into).
    siblings: Vec<Village>,
    merge_errors: Errors,
    merged_into: Option<Village>,
    /// Whether the reader may rename, deactivate, merge and found a team here.
    can_write: bool,
}

impl VillagePage {
    fn date(&self, d: &str) -> String {
        vn_date(d)
    }

    fn issue_label(&self, i: &domain::HealthIssue) -> &'static str {
        self.c.lang.t(i.label(), i.label_en())
    }
}

#[derive(Default)]
struct VillageForms {
    name: Option<String>,
    errors: Errors,
    team: TeamDraft,
    team_errors: Errors,
    end_errors: Errors,
    merge_errors: Errors,
}

/// Renders a village's page, with a form's input and messages when one was refused.
pub(super) async fn render_village(
    state: &AppState,
    v: &Viewer,
    id: i64,
    ok: Option<&str>,
    forms: VillageFormsArg,
) -> Result<Response, AppError> {
    let village = villages::get(&state.db, &v.access.read, id).await?;
    let can_write = v.access.writes(&village.commune_path);
    let commune = units::by_code(&state.db, &village.commune_code).await?;
    let mut trail = units::ancestors(&state.db, &commune).await?;
    trail.push(commune);
    let issues = match village.team_id {
        Some(team) => store::teams::get(&state.db, &v.access.read, team).await?.issues(),
        None => Vec::new(),
    };
    let commune_scope = v.access.read.narrow(&commune_path(&state.db, &village.commune_code).await?);
    let siblings: Vec<Village> =
        villages::list(&state.db, &commune_scope, &VillageFilter::default(), PageRequest::all())
            .await?
            .items
            .into_iter()
            .filter(|s| s.id != village.id)
            .collect();
    let merged_into = match village.merged_into_id {
        Some(m) => villages::get(&state.db, &v.access.read, m).await.ok(),
        None => None,
    };
    let f = forms.0;
    let status = if f.errors.any() || f.team_errors.any() || f.end_errors.any() || f.merge_errors.any() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = VillagePage {
        c: Chrome::new(v, ok),
        name: f.name.unwrap_or_else(|| village.name.clone()),
        village,
        trail,
        errors: f.errors,
        team: f.team,
        team_errors: f.team_errors,
        end_errors: f.end_errors,
        issues,
        siblings,
        merge_errors: f.merge_errors,
        merged_into,
        can_write,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The refused form, if any, to show again on a village's page.
#[derive(Default)]
pub(super) struct VillageFormsArg(VillageForms);

impl VillageFormsArg {
    pub(super) fn team(team: TeamDraft, errors: Errors) -> Self {
        Self(VillageForms { team, team_errors: errors, ..VillageForms::default() })
    }
}

async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    render_village(&state, &v, id, q.ok.as_deref(), VillageFormsArg::default()).await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    commune_code: String,
    #[serde(default)]
    name: String,
}

async fn create(State(state): State<AppState>, v: Viewer, Form(f): Form<CreateForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let commune = units::by_code(&state.db, &f.commune_code).await?;
    if !v.access.read.covers(&commune.path) {
        return Err(AppError::NotFound(format!("Không có đơn vị hành chính mã {}", f.commune_code.trim())));
    }
    may_write(&v.access, &commune.path)?;
    let result = match parse_village_name(&f.name) {
        Ok(name) => villages::create(&state.db, &commune, &name).await.map_err(AppError::from),
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(id) => Ok(done(&format!("/villages/{id}"), "created")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let html = super::units::render_unit(
                &state,
                &v,
                Some(commune),
                None,
                Errors(e.field_errors()),
                f.name,
                super::units::When::default(),
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct RenameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<RenameForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    writable(&state, &v, id).await?;
    let result = match parse_village_name(&f.name) {
        Ok(name) => villages::rename(&state.db, &v.access.write, id, &name).await.map_err(AppError::from),
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(()) => Ok(done(&format!("/villages/{id}"), "saved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let forms =
                VillageForms { name: Some(f.name), errors: Errors(e.field_errors()), ..VillageForms::default() };
            render_village(&state, &v, id, None, VillageFormsArg(forms)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ended_on: String,
    #[serde(default)]
    confirm: Option<String>,
}

/// Parses the date of an ending form, and insists on its confirmation box.
pub(super) fn end_date(date: &str, confirm: Option<&str>, field: &'static str) -> Result<time::Date, AppError> {
    let mut errors = domain::input::FieldErrors::default();
    let day = domain::input::parse_end_date(date, store::today()).map_err(|m| errors.push(field, m)).ok();
    if confirm.is_none() {
        errors.push("confirm", "Hãy đánh dấu ô xác nhận trước khi thực hiện");
    }
    match day {
        Some(d) if errors.is_empty() => Ok(d),
        _ => Err(AppError::Invalid(errors)),
    }
}

async fn deactivate(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<EndForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    writable(&state, &v, id).await?;
    let result = match end_date(&f.ended_on, f.confirm.as_deref(), "ended_on") {
        Ok(day) => villages::deactivate(&state.db, &v.access.write, id, day).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done(&format!("/villages/{id}"), "deactivated")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let forms = VillageForms { end_errors: Errors(e.field_errors()), ..VillageForms::default() };
            render_village(&state, &v, id, None, VillageFormsArg(forms)).await
        }
        Err(e) => Err(e),
    }
}

/// A village the reader may read (404 otherwise) and change (403 otherwise).
async fn writable(state: &AppState, v: &Viewer, id: i64) -> Result<Village, AppError> {
    let village = villages::get(&state.db, &v.access.read, id).await?;
    may_write(&v.access, &village.commune_path)?;
    Ok(village)
}

async fn commune_path(db: &store::Db, code: &str) -> Result<String, AppError> {
    Ok(units::by_code(db, code).await?.path)
}

#[derive(Deserialize)]
struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    into_village_id: String,
    #[serde(default)]
    merged_on: String,
    #[serde(default)]
    confirm: Option<String>,
}

async fn merge(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<MergeForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    writable(&state, &v, id).await?;
    let result =
        match (end_date(&f.merged_on, f.confirm.as_deref(), "merged_on"), f.into_village_id.trim().parse::<i64>()) {
            (Ok(day), Ok(into)) => {
                villages::merge(&state.db, &v.access.write, id, into, day).await.map(|_| into).map_err(AppError::from)
            }
            (Err(e), _) => Err(e),
            (_, Err(_)) => {
                Err(AppError::Invalid(domain::input::FieldErrors::single("into_village_id", "Chọn thôn để nhập vào")))
            }
        };
    match result {
        Ok(into) => Ok(done(&format!("/villages/{into}"), "merged")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let forms = VillageForms { merge_errors: Errors(e.field_errors()), ..VillageForms::default() };
            render_village(&state, &v, id, None, VillageFormsArg(forms)).await
        }
        Err(e) => Err(e),
    }
}
