//! Funding policies (list, record, change by versions) and the budget simulator with its Excel
//! export.

use askama::Template;
use axum::Form;
use axum::extract::{Query, RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use domain::funding::{Assumptions, FundingSource, PolicyDraft, PolicyKind, PolicyStatus, Scenario, YearMonth};
use domain::money::Vnd;
use store::funding::{self, Policy, Simulation};

use super::{Chrome, Errors, Id, ListQuery, done, vn_date};
use crate::auth::Viewer;
use crate::routes::Routes;
use crate::{AppError, AppState, exports};

pub fn router() -> Routes {
    Routes::new()
        .get("/policies", list)
        .downloads("/policies", list_export)
        .post("/policies", create)
        .get("/policies/{id}", show)
        .post("/policies/{id}", revise)
        .get("/budget", budget)
        .get("/budget.xlsx", budget_xlsx)
        .get("/budget.csv", budget_csv)
}

/// Choices shown in the policy form.
struct Choices;

impl Choices {
    fn kinds(lang: crate::Lang) -> Vec<(&'static str, &'static str)> {
        PolicyKind::ALL.iter().map(|k| (k.code(), lang.t(k.label(), k.label_en()))).collect()
    }

    fn sources() -> Vec<(&'static str, &'static str)> {
        FundingSource::ALL.iter().map(|s| (s.code(), s.label())).collect()
    }

    fn statuses() -> Vec<(&'static str, &'static str)> {
        PolicyStatus::ALL.iter().map(|s| (s.code(), s.label())).collect()
    }
}

fn money(v: i64) -> String {
    Vnd::new(v).display()
}

fn kind_label(lang: crate::Lang, p: &Policy) -> &'static str {
    p.kind().map_or("", |k| lang.t(k.label(), k.label_en()))
}

fn status_label(p: &Policy) -> &'static str {
    p.status().map_or("", PolicyStatus::label)
}

#[derive(Template)]
#[template(path = "policies.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Policy>,
    form: PolicyDraft,
    errors: Errors,
    /// Whether the reader records policies anywhere.
    can_add: bool,
}

impl ListPage {
    fn money(&self, v: &i64) -> String {
        money(*v)
    }

    fn kind(&self, p: &Policy) -> &'static str {
        kind_label(self.c.lang, p)
    }

    fn status(&self, p: &Policy) -> &'static str {
        status_label(p)
    }

    fn date(&self, d: &str) -> String {
        vn_date(d)
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        Choices::kinds(self.c.lang)
    }

    fn sources(&self) -> Vec<(&'static str, &'static str)> {
        Choices::sources()
    }

    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        Choices::statuses()
    }

    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

fn can_add(v: &Viewer) -> bool {
    v.access.admin != store::Scope::Paths(Vec::new()) || v.access.finance != store::Scope::Paths(Vec::new())
}

async fn render_list(
    state: &AppState,
    v: &Viewer,
    ok: Option<&str>,
    form: PolicyDraft,
    errors: Errors,
) -> Result<Response, AppError> {
    let rows = funding::list(&state.db, &v.access.read).await?;
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = ListPage { c: Chrome::new(v, ok), rows, form, errors, can_add: can_add(v) };
    Ok((status, Html(page.render()?)).into_response())
}

async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    render_list(
        &state,
        &v,
        q.ok.as_deref(),
        PolicyDraft { status: "proposed".into(), ..PolicyDraft::default() },
        Errors::default(),
    )
    .await
}

/// `GET /policies.xlsx` and `/policies.csv`: the policies the reader sees, as the list shows them.
async fn list_export(State(state): State<AppState>, v: Viewer, format: exports::Format) -> Result<Response, AppError> {
    let rows = funding::list(&state.db, &v.access.read).await?;
    let place = exports::place(&state.db, &v.access.read).await?;
    let table = exports::policies(&rows, &place, store::today());
    exports::download(table, format, "chinh-sach-ho-tro").await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PolicyForm {
    csrf: String,
    #[serde(flatten)]
    draft: PolicyDraft,
}

/// Refuses unless the reader manages funding for the unit with this code (403); a unit outside
/// their scope is a refused field, as one that does not exist.
async fn may_manage(state: &AppState, v: &Viewer, code: &str) -> Result<(), AppError> {
    let unit = match store::units::by_code(&state.db, code).await {
        Ok(u) => u,
        Err(_) => return Ok(()), // the store refuses an unknown unit beside its field
    };
    if v.access.manages_funding(&unit.path) {
        Ok(())
    } else if v.access.read.covers(&unit.path) {
        Err(AppError::Forbidden("Chỉ quản trị viên và người duyệt chi của đơn vị được ghi chính sách hỗ trợ".into()))
    } else {
        Err(AppError::Invalid(domain::input::FieldErrors::single(
            "scope",
            format!("Không có đơn vị hành chính mã {}", code.trim()),
        )))
    }
}

async fn create(State(state): State<AppState>, v: Viewer, Form(f): Form<PolicyForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let result = async {
        let input = f.draft.parse().map_err(AppError::Invalid)?;
        may_manage(&state, &v, &input.scope).await?;
        Ok::<_, AppError>(funding::create(&state.db, &input).await?)
    }
    .await;
    match result {
        Ok(id) => Ok(done(&format!("/policies/{id}"), "created")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let errors = Errors(e.field_errors());
            render_list(&state, &v, None, f.draft, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    c: Chrome,
    p: Policy,
    versions: Vec<Policy>,
    form: PolicyDraft,
    errors: Errors,
    can_revise: bool,
}

impl PolicyPage {
    fn money(&self, v: &i64) -> String {
        money(*v)
    }

    fn words(&self) -> String {
        Vnd::new(self.p.amount).in_words()
    }

    fn kind(&self, p: &Policy) -> &'static str {
        kind_label(self.c.lang, p)
    }

    fn status(&self, p: &Policy) -> &'static str {
        status_label(p)
    }

    fn source(&self) -> &'static str {
        self.p.source().map_or("", FundingSource::label)
    }

    fn date(&self, d: &str) -> String {
        vn_date(d)
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        Choices::kinds(self.c.lang)
    }

    fn sources(&self) -> Vec<(&'static str, &'static str)> {
        Choices::sources()
    }

    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        Choices::statuses()
    }

    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

fn draft_of(p: &Policy) -> PolicyDraft {
    PolicyDraft {
        name: p.name.clone(),
        legal_basis: p.legal_basis.clone(),
        kind: p.kind.clone(),
        amount: Vnd::new(p.amount).grouped(),
        effective_from: vn_date(&p.effective_from),
        effective_to: p.effective_to.as_deref().map(vn_date).unwrap_or_default(),
        scope: p.scope_code.clone(),
        cap_months: p.cap_months.map(|c| c.to_string()).unwrap_or_default(),
        cap_per_year: p.cap_per_year.map(|c| Vnd::new(c).grouped()).unwrap_or_default(),
        source: p.source.clone(),
        status: p.status.clone(),
        note: p.note.clone(),
    }
}

/// A policy the reader is concerned by; any other answers 404.
async fn visible(state: &AppState, v: &Viewer, id: i64) -> Result<Policy, AppError> {
    let p = funding::get(&state.db, id).await?;
    if funding::concerns(&v.access.read, &p) {
        Ok(p)
    } else {
        Err(AppError::NotFound("Không tìm thấy chính sách này".into()))
    }
}

async fn render_policy(
    state: &AppState,
    v: &Viewer,
    id: i64,
    ok: Option<&str>,
    form: Option<PolicyDraft>,
    errors: Errors,
) -> Result<Response, AppError> {
    let p = visible(state, v, id).await?;
    let versions = funding::versions(&state.db, &p.policy_key).await?;
    let can_revise = p.superseded_at.is_none() && v.access.manages_funding(&p.scope_path);
    let form = form.unwrap_or_else(|| draft_of(&p));
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = PolicyPage { c: Chrome::new(v, ok), p, versions, form, errors, can_revise };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    render_policy(&state, &v, id, q.ok.as_deref(), None, Errors::default()).await
}

async fn revise(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<PolicyForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let p = visible(&state, &v, id).await?;
    if !v.access.manages_funding(&p.scope_path) {
        return Err(AppError::Forbidden(
            "Chỉ quản trị viên và người duyệt chi của đơn vị được sửa chính sách này".into(),
        ));
    }
    let result = async {
        let input = f.draft.parse().map_err(AppError::Invalid)?;
        may_manage(&state, &v, &input.scope).await?;
        Ok::<_, AppError>(funding::revise(&state.db, id, &input).await?)
    }
    .await;
    match result {
        Ok(new) => Ok(done(&format!("/policies/{new}"), "saved")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let errors = Errors(e.field_errors());
            render_policy(&state, &v, id, None, Some(f.draft), errors).await
        }
        Err(e) => Err(e),
    }
}

/// The simulator's question, from the query string (`policy` may repeat).
#[derive(Debug, Default, Clone)]
pub(crate) struct BudgetQuery {
    pub unit: String,
    pub from: String,
    pub months: String,
    pub work_days: String,
    /// Policy ids.
    pub policies: Vec<i64>,
}

impl BudgetQuery {
    pub(crate) fn from_query(raw: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
        let mut q = BudgetQuery::default();
        for (k, v) in pairs {
            match k.as_str() {
                "unit" => q.unit = v,
                "from" => q.from = v,
                "months" => q.months = v,
                "work_days" => q.work_days = v,
                "policy" => {
                    if let Ok(id) = v.trim().parse() {
                        q.policies.push(id);
                    }
                }
                _ => {}
            }
        }
        q
    }

    fn asked(&self) -> bool {
        !self.unit.trim().is_empty()
    }

    /// Runs the simulation within the reader's scope; refusals beside their fields.
    pub(crate) async fn run(&self, state: &AppState, access: &store::access::Access) -> Result<Simulation, AppError> {
        let mut e = domain::input::FieldErrors::default();
        let from = YearMonth::parse(&self.from).map_err(|m| e.push("from", m)).ok();
        let months = match self.months.trim().parse::<u32>() {
            Ok(n) if (1..=600).contains(&n) => Some(n),
            _ => {
                e.push("months", "Số tháng phải là số nguyên từ 1 đến 600");
                None
            }
        };
        let work_days = match self.work_days.trim() {
            "" => 0,
            d => d.parse::<u32>().ok().filter(|n| *n <= 31).unwrap_or_else(|| {
                e.push("work_days", "Số ngày công mỗi tháng phải từ 0 đến 31");
                0
            }),
        };
        let (Some(from), Some(months)) = (from, months) else { return Err(AppError::Invalid(e)) };
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        let unit = store::units::by_code_at(&state.db, &self.unit, from.first_day())
            .await
            .map_err(|err| AppError::Invalid(domain::input::FieldErrors::single("unit", err.to_string())))?;
        if !store::units::visible(&state.db, &access.read, &unit).await? {
            return Err(AppError::Invalid(domain::input::FieldErrors::single(
                "unit",
                format!("Không có đơn vị hành chính mã {}", self.unit.trim()),
            )));
        }
        let mut names = Vec::new();
        for id in &self.policies {
            let p = funding::get(&state.db, *id).await?;
            if !funding::concerns(&access.read, &p) {
                return Err(AppError::Invalid(domain::input::FieldErrors::single(
                    "policy",
                    "Không tìm thấy chính sách này",
                )));
            }
            names.push(p.name);
        }
        let assume = Assumptions { work_days_per_member_month: work_days };
        Ok(funding::simulate(&state.db, &access.read, &self.unit, from, months, &names, assume).await?)
    }
}

#[derive(Template)]
#[template(path = "budget.html")]
struct BudgetPage {
    c: Chrome,
    q: BudgetQuery,
    policies: Vec<Policy>,
    sim: Option<Simulation>,
    errors: Errors,
    xlsx: String,
    /// The same query, for the CSV download.
    csv: String,
}

impl BudgetPage {
    fn chosen(&self, id: &i64) -> bool {
        self.q.policies.contains(id)
    }

    fn scenarios(&self) -> Vec<(usize, &'static str)> {
        Scenario::ALL.iter().enumerate().map(|(i, s)| (i, self.c.lang.t(s.label(), s.label_en()))).collect()
    }

    fn money(&self, d: &Vnd) -> String {
        d.display()
    }

    fn n(&self, v: &i64) -> String {
        super::vn_number(*v)
    }
}

async fn budget(State(state): State<AppState>, v: Viewer, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let q = BudgetQuery::from_query(raw.as_deref());
    let policies = funding::list(&state.db, &v.access.read).await?;
    let (sim, errors) = if q.asked() {
        match q.run(&state, &v.access).await {
            Ok(sim) => (Some(sim), Errors::default()),
            Err(e @ AppError::Invalid(_)) => (None, Errors(e.field_errors())),
            Err(e) => return Err(e),
        }
    } else {
        (None, Errors::default())
    };
    let q = if q.asked() { q } else { BudgetQuery { from: "2025-01".into(), months: "12".into(), ..q } };
    let xlsx = format!("/budget.xlsx?{}", raw.as_deref().unwrap_or_default());
    let csv = format!("/budget.csv?{}", raw.unwrap_or_default());
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = BudgetPage { c: Chrome::new(&v, None), q, policies, sim, errors, xlsx, csv };
    Ok((status, Html(page.render()?)).into_response())
}

/// The simulation a download asks for: a unit the reader cannot see is as missing as one that
/// does not exist (404); other refusals stay as they are.
async fn simulation_to_download(state: &AppState, v: &Viewer, q: &BudgetQuery) -> Result<Simulation, AppError> {
    match q.run(state, &v.access).await {
        Ok(sim) => Ok(sim),
        Err(AppError::Invalid(e)) if e.0.iter().any(|f| f.field == "unit") => {
            Err(AppError::NotFound(format!("Không có đơn vị hành chính mã {}", q.unit.trim())))
        }
        Err(e) => Err(e),
    }
}

/// `GET /budget.csv`: the simulator's answer as CSV, both scenarios one after the other.
async fn budget_csv(State(state): State<AppState>, v: Viewer, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let q = BudgetQuery::from_query(raw.as_deref());
    let sim = simulation_to_download(&state, &v, &q).await?;
    let table = exports::budget(&sim, store::today());
    Ok(exports::csv_download(&table, &exports::file_name(&["du-toan", &sim.unit.code, &sim.from])))
}

async fn budget_xlsx(State(state): State<AppState>, v: Viewer, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let q = BudgetQuery::from_query(raw.as_deref());
    let sim = simulation_to_download(&state, &v, &q).await?;
    let bytes = crate::xlsx::budget(&sim).map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("attachment; filename=\"du-toan-{}-{}.xlsx\"", sim.unit.code, sim.from);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}
