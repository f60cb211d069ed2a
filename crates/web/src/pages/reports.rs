//! Monthly team reports: the form a team leader fills on a phone (a draft, then a submission that
//! counts once however often it is sent), the commune's approval or return, and completeness.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::funding::YearMonth;
use serde::Deserialize;
use store::dashboard::{ReportLine, Which};
use store::reports::{self, Completeness, Indicator, Report};

use super::{Chrome, Errors, Id, done};
use crate::auth::{Viewer, may_write_team, not_allowed};
use crate::routes::Routes;
use crate::{AppError, AppState};

pub fn router() -> Routes {
    Routes::new()
        .get("/reports", completeness)
        .get("/teams/{id}/reports/{month}", form)
        .post("/teams/{id}/reports/{month}", save)
        .post("/reports/{id}/approve", approve)
        .post("/reports/{id}/return", send_back)
        .get("/admin/reports", settings)
        .post("/admin/reports/deadline", set_deadline)
        .post("/admin/reports/indicators", add_indicator)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CompletenessQuery {
    unit: String,
    month: String,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct CompletenessPage {
    c: Chrome,
    month: YearMonth,
    figures: Option<Completeness>,
    /// The first teams not reported (at most [`MISSING_SHOWN`]); the figure links to them all.
    missing: Vec<ReportLine>,
    unit: String,
}

/// How many teams not reported the completeness page lists under its figures.
const MISSING_SHOWN: i64 = 50;

impl CompletenessPage {
    /// How many teams have not reported beyond those listed.
    fn more_missing(&self) -> i64 {
        self.figures.as_ref().map_or(0, |f| f.expected - f.received - i64::try_from(self.missing.len()).unwrap_or(0))
    }
}

/// Completeness and timeliness of a unit's reports for a month, with the teams not reported.
async fn completeness(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<CompletenessQuery>,
) -> Result<Response, AppError> {
    let month = match q.month.trim() {
        "" => YearMonth::of(store::today()),
        m => YearMonth::parse(m).map_err(AppError::BadRequest)?,
    };
    let unit = if q.unit.trim().is_empty() {
        super::first_visible_root(&state, &v.access.read).await?.map(|u| u.code).unwrap_or_default()
    } else {
        q.unit.trim().to_owned()
    };
    let (figures, missing) = if unit.is_empty() {
        (None, Vec::new())
    } else {
        let u = store::units::by_code(&state.db, &unit).await?;
        if !store::units::visible(&state.db, &v.access.read, &u).await? {
            return Err(AppError::NotFound(format!("Không có đơn vị hành chính mã {unit}")));
        }
        (
            Some(reports::completeness(&state.db, &v.access.read, &unit, month).await?),
            store::dashboard::first_behind(&state.db, &v.access.read, &unit, month, Which::NotReported, MISSING_SHOWN)
                .await?,
        )
    };
    let page = CompletenessPage { c: Chrome::new(&v, q.ok.as_deref()), month, figures, missing, unit };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "team_report.html")]
struct FormPage {
    c: Chrome,
    team: store::teams::Team,
    month: YearMonth,
    indicators: Vec<Indicator>,
    report: Option<Report>,
    /// What the form shows: the typed values, else the report's.
    typed: Vec<(String, String)>,
    /// A key for this submission: sending the form twice makes one report.
    key: String,
    errors: Errors,
    can_fill: bool,
    can_decide: bool,
}

impl FormPage {
    fn value(&self, code: &str) -> String {
        self.typed.iter().find(|(c, _)| c == code).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    fn status(&self) -> &'static str {
        match self.report.as_ref().map(|r| r.status.as_str()) {
            Some("draft") => self.c.lang.t("Bản nháp", "Draft"),
            Some("submitted") => self.c.lang.t("Đã gửi, chờ duyệt", "Submitted"),
            Some("approved") => self.c.lang.t("Đã duyệt (đã khóa)", "Approved (locked)"),
            Some("returned") => self.c.lang.t("Bị trả lại", "Returned"),
            _ => self.c.lang.t("Chưa báo cáo", "Not reported"),
        }
    }

    fn editable(&self) -> bool {
        self.can_fill && self.report.as_ref().is_none_or(|r| r.status == "draft" || r.status == "returned")
    }
}

fn month_in_path(m: &str) -> Result<YearMonth, AppError> {
    YearMonth::parse(m).map_err(|_| AppError::NotFound("Không tìm thấy trang này".into()))
}

async fn render_form(
    state: &AppState,
    v: &Viewer,
    team_id: i64,
    month: YearMonth,
    ok: Option<&str>,
    typed: Option<Vec<(String, String)>>,
    errors: Errors,
) -> Result<Response, AppError> {
    let team = store::teams::get(&state.db, &v.access.read, team_id).await?;
    let report = reports::of_team(&state.db, &v.access.read, team_id, month).await?;
    let typed = typed.unwrap_or_else(|| {
        report.as_ref().map(|r| r.values.iter().map(|(c, n)| (c.clone(), n.to_string())).collect()).unwrap_or_default()
    });
    let page = FormPage {
        c: Chrome::new(v, ok),
        can_fill: v.access.writes_team(team.id, &team.commune_path),
        can_decide: v.access.writes(&team.commune_path),
        team,
        month,
        indicators: reports::indicators(&state.db).await?,
        report,
        typed,
        key: store::users::random_token(),
        errors,
    };
    let code =
        if page.errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((code, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MonthQuery {
    ok: Option<String>,
}

async fn form(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, month)): Path<(String, String)>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound("Không tìm thấy trang này".into()))?;
    render_form(&state, &v, id, month_in_path(&month)?, q.ok.as_deref(), None, Errors::default()).await
}

/// The form's fields: `csrf`, `action` (`draft` or `submit`), `key`, and one `v_<code>` per
/// indicator.
async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, month)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound("Không tìm thấy trang này".into()))?;
    let month = month_in_path(&month)?;
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone()).unwrap_or_default();
    v.check_csrf(&get("csrf"))?;
    let team = store::teams::get(&state.db, &v.access.read, id).await?;
    may_write_team(&v.access, &team)?;
    let typed: Vec<(String, String)> =
        fields.iter().filter_map(|(k, val)| k.strip_prefix("v_").map(|code| (code.to_owned(), val.clone()))).collect();
    let result = async {
        let values = reports::check_values(&state.db, &typed).await?;
        if get("action") == "submit" {
            let key = get("key");
            reports::submit(&state.db, &v.access.read, id, month, &values, Some(&key)).await?;
            Ok::<_, store::StoreError>("submitted")
        } else {
            reports::save_draft(&state.db, &v.access.read, id, month, &values).await?;
            Ok("saved")
        }
    }
    .await;
    match result {
        Ok(notice) => Ok(done(&format!("/teams/{id}/reports/{month}"), notice)),
        Err(e @ (store::StoreError::Invalid { .. } | store::StoreError::Conflict { .. })) => {
            let e = AppError::from(e);
            render_form(&state, &v, id, month, None, Some(typed), Errors(e.field_errors())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DecideForm {
    csrf: String,
    comment: String,
}

/// A report the reader may read (404 otherwise) and decide on: who changes the registry of the
/// team's commune (403 otherwise).
async fn decidable(state: &AppState, v: &Viewer, id: i64, csrf: &str) -> Result<Report, AppError> {
    v.check_csrf(csrf)?;
    let r = reports::get(&state.db, &v.access.read, id).await?;
    if !v.access.writes(&r.commune_path) {
        return Err(not_allowed());
    }
    Ok(r)
}

async fn approve(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<DecideForm>,
) -> Result<Response, AppError> {
    let r = decidable(&state, &v, id, &f.csrf).await?;
    reports::approve(&state.db, &v.access.read, id).await?;
    Ok(done(&format!("/teams/{}/reports/{}", r.team_id, r.month), "saved"))
}

async fn send_back(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<DecideForm>,
) -> Result<Response, AppError> {
    let r = decidable(&state, &v, id, &f.csrf).await?;
    let month = month_in_path(&r.month)?;
    match reports::send_back(&state.db, &v.access.read, id, &f.comment).await {
        Ok(()) => Ok(done(&format!("/teams/{}/reports/{}", r.team_id, r.month), "saved")),
        Err(e @ store::StoreError::Invalid { .. }) => {
            let e = AppError::from(e);
            render_form(&state, &v, r.team_id, month, None, None, Errors(e.field_errors())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// What the province reports and by when: the indicator catalogue and the deadline day.
#[derive(Template)]
#[template(path = "admin_reports.html")]
struct SettingsPage {
    c: Chrome,
    indicators: Vec<Indicator>,
    deadline: u8,
    errors: Errors,
    /// What the add form showed when it was refused.
    typed: IndicatorForm,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IndicatorForm {
    csrf: String,
    code: String,
    name: String,
    unit_of_measure: String,
    sort_order: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeadlineForm {
    csrf: String,
    day: String,
}

const CATALOGUE: &str = "đổi danh mục chỉ tiêu và hạn báo cáo";

async fn render_settings(
    state: &AppState,
    v: &Viewer,
    ok: Option<&str>,
    errors: Errors,
    typed: IndicatorForm,
) -> Result<Response, AppError> {
    let page = SettingsPage {
        c: Chrome::new(v, ok),
        indicators: reports::indicators(&state.db).await?,
        deadline: reports::deadline_day(&state.db).await?,
        errors,
        typed,
    };
    let code =
        if page.errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((code, Html(page.render()?)).into_response())
}

async fn settings(State(state): State<AppState>, v: Viewer, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    super::admin::national(&v, CATALOGUE)?;
    render_settings(&state, &v, q.ok.as_deref(), Errors::default(), IndicatorForm::default()).await
}

async fn set_deadline(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<DeadlineForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    super::admin::national(&v, CATALOGUE)?;
    match reports::set_deadline_day(&state.db, &f.day).await {
        Ok(_) => Ok(done("/admin/reports", "saved")),
        Err(e @ store::StoreError::Invalid { .. }) => {
            let e = AppError::from(e);
            render_settings(&state, &v, None, Errors(e.field_errors()), IndicatorForm::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds an indicator: every team's form asks for it from then on, with no code change.
async fn add_indicator(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<IndicatorForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    super::admin::national(&v, CATALOGUE)?;
    let order = if f.sort_order.trim().is_empty() {
        Ok(reports::indicators(&state.db).await?.iter().map(|i| i.sort_order).max().unwrap_or(0) + 1)
    } else {
        f.sort_order
            .trim()
            .parse::<i64>()
            .map_err(|_| store::StoreError::invalid("sort_order", "Thứ tự là một số nguyên"))
    };
    let added = match order {
        Ok(order) => reports::add_indicator(&state.db, &f.code, &f.name, &f.unit_of_measure, order).await,
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => Ok(done("/admin/reports", "saved")),
        Err(e @ (store::StoreError::Invalid { .. } | store::StoreError::Conflict { .. })) => {
            let e = AppError::from(e);
            render_settings(&state, &v, None, Errors(e.field_errors()), f).await
        }
        Err(e) => Err(e.into()),
    }
}
