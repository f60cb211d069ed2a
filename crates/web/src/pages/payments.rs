//! Paying the teams: what is owed each month, work-day claims, payment lists from preparation to
//! payment (with the signed Excel layout), the ledger with reversals and adjustments, and the
//! report of planned vs owed vs paid.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use domain::funding::YearMonth;
use domain::money::Vnd;
use serde::Deserialize;
use store::Scope;
use store::payments::{
    self, Claim, ClaimDraft, LedgerEntry, LedgerFilter, ListStatus, MonthFigures, PaymentLine, PaymentList,
};

use super::{Chrome, Errors, Id, done, vn_date};
use crate::auth::{Viewer, not_allowed};
use crate::routes::Routes;
use crate::{AppError, AppState, exports};

pub fn router() -> Routes {
    Routes::new()
        .get("/payments", index)
        .downloads("/payments", index_export)
        .post("/payments/compute", compute)
        .post("/payments/prepare", prepare)
        .get("/payments/report", report)
        .downloads("/payments/report", report_export)
        .get("/payments/{id}", show)
        .get("/payments/{id}/bang-ke.xlsx", export)
        .get("/payments/{id}/bang-ke.csv", export_csv)
        .post("/payments/{id}/submit", submit)
        .post("/payments/{id}/approve", approve)
        .post("/payments/{id}/pay", pay)
        .get("/claims", claims)
        .downloads("/claims", claims_export)
        .post("/claims", add_claim)
        .post("/claims/{id}/approve", approve_claim)
        .post("/claims/{id}/reject", reject_claim)
        .get("/ledger", ledger)
        .downloads("/ledger", ledger_export)
        .post("/ledger/adjust", adjust)
        .post("/ledger/{id}/reverse", reverse)
}

fn money(v: i64) -> String {
    Vnd::new(v).display()
}

/// The month asked for, or the current one.
fn month_of(s: &str) -> Result<YearMonth, AppError> {
    match s.trim() {
        "" => Ok(YearMonth::of(store::today())),
        m => YearMonth::parse(m).map_err(AppError::BadRequest),
    }
}

/// Who computes what is owed and prepares lists: registry writers and finance approvers.
fn preparers(v: &Viewer) -> Scope {
    v.access.write.union(&v.access.finance)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MonthQuery {
    month: String,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct IndexPage {
    c: Chrome,
    month: YearMonth,
    lists: Vec<PaymentList>,
    owed_total: i64,
    owed_count: usize,
    /// Communes with entitlements this month and no list yet: (code, name, count, sum).
    unlisted: Vec<(String, String, usize, i64)>,
    can_prepare: bool,
    errors: Errors,
    computed: Option<payments::ComputeReport>,
}

impl IndexPage {
    fn money(&self, v: &i64) -> String {
        money(*v)
    }

    fn status(&self, l: &PaymentList) -> &'static str {
        l.status().map_or("", ListStatus::label)
    }
}

async fn render_index(
    state: &AppState,
    v: &Viewer,
    month: YearMonth,
    ok: Option<&str>,
    errors: Errors,
    computed: Option<payments::ComputeReport>,
) -> Result<Response, AppError> {
    let lists = payments::lists(&state.db, &v.access.read, Some(month)).await?;
    let owed = payments::entitlements(&state.db, &v.access.read, month).await?;
    let mut unlisted: Vec<(String, String, usize, i64)> = Vec::new();
    for e in owed.iter().filter(|e| e.payment_list_id.is_none()) {
        match unlisted.iter_mut().find(|(code, ..)| *code == e.commune_code) {
            Some(row) => {
                row.2 += 1;
                row.3 += e.amount;
            }
            None => unlisted.push((e.commune_code.clone(), e.commune.clone(), 1, e.amount)),
        }
    }
    let page = IndexPage {
        c: Chrome::new(v, ok),
        month,
        owed_total: owed.iter().map(|e| e.amount).sum(),
        owed_count: owed.len(),
        lists,
        unlisted,
        can_prepare: preparers(v) != Scope::Paths(Vec::new()),
        errors,
        computed,
    };
    let status =
        if page.errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

async fn index(State(state): State<AppState>, v: Viewer, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    let month = month_of(&q.month)?;
    render_index(&state, &v, month, q.ok.as_deref(), Errors::default(), None).await
}

/// `GET /payments.xlsx?month=`: the month's payment lists the reader sees.
async fn index_export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<MonthQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    let month = month_of(&q.month)?;
    let lists = payments::lists(&state.db, &v.access.read, Some(month)).await?;
    let place = exports::place(&state.db, &v.access.read).await?;
    let table = exports::payment_lists(&lists, month, &place, store::today());
    exports::download(table, format, &exports::file_name(&["bang-ke-chi-tra", &month.to_string()])).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MonthForm {
    csrf: String,
    month: String,
    commune_code: String,
}

fn month_field(s: &str) -> Result<YearMonth, AppError> {
    YearMonth::parse(s).map_err(|m| AppError::Invalid(domain::input::FieldErrors::single("month", m)))
}

/// Computes what is owed for a month, within what the user prepares.
async fn compute(State(state): State<AppState>, v: Viewer, Form(f): Form<MonthForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let scope = preparers(&v);
    if scope == Scope::Paths(Vec::new()) {
        return Err(not_allowed());
    }
    match month_field(&f.month) {
        Ok(month) => {
            let report = payments::compute(&state.db, &scope, month).await?;
            render_index(&state, &v, month, None, Errors::default(), Some(report)).await
        }
        Err(e) => render_index(&state, &v, YearMonth::of(store::today()), None, Errors(e.field_errors()), None).await,
    }
}

/// Prepares a commune's list for a month.
async fn prepare(State(state): State<AppState>, v: Viewer, Form(f): Form<MonthForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let month = match month_field(&f.month) {
        Ok(m) => m,
        Err(e) => {
            return render_index(&state, &v, YearMonth::of(store::today()), None, Errors(e.field_errors()), None).await;
        }
    };
    let commune = store::units::by_code(&state.db, &f.commune_code).await?;
    if !v.access.read.covers(&commune.path) {
        return Err(AppError::NotFound(format!("Không có đơn vị hành chính mã {}", f.commune_code.trim())));
    }
    if !preparers(&v).covers(&commune.path) {
        return Err(not_allowed());
    }
    match payments::prepare(&state.db, &preparers(&v), &f.commune_code, month).await {
        Ok(id) => Ok(done(&format!("/payments/{id}"), "created")),
        Err(e @ (store::StoreError::Invalid { .. } | store::StoreError::Conflict { .. })) => {
            let e = AppError::from(e);
            render_index(&state, &v, month, None, Errors(e.field_errors()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "payment_list.html")]
struct ListPage {
    c: Chrome,
    l: PaymentList,
    lines: Vec<PaymentLine>,
    words: String,
    can_submit: bool,
    can_approve: bool,
    can_pay: bool,
    errors: Errors,
}

impl ListPage {
    fn money(&self, v: &i64) -> String {
        money(*v)
    }

    fn status(&self) -> &'static str {
        self.l.status().map_or("", ListStatus::label)
    }

    fn month(&self) -> String {
        YearMonth::parse(&self.l.month).map(YearMonth::label).unwrap_or_else(|_| self.l.month.clone())
    }

    fn stamp(&self, s: Option<&String>) -> String {
        s.map(|s| s.replace('T', " ").trim_end_matches('Z').to_owned()).unwrap_or_default()
    }

    fn date(&self, d: &str) -> String {
        vn_date(d)
    }
}

async fn render_list(
    state: &AppState,
    v: &Viewer,
    id: i64,
    ok: Option<&str>,
    errors: Errors,
) -> Result<Response, AppError> {
    let l = payments::list_by_id(&state.db, &v.access.read, id).await?;
    let lines = payments::lines(&state.db, id).await?;
    let status = l.status();
    let page = ListPage {
        c: Chrome::new(v, ok),
        words: Vnd::new(l.total).in_words(),
        can_submit: status == Some(ListStatus::Prepared) && preparers(v).covers(&l.commune_path),
        can_approve: status == Some(ListStatus::Submitted) && v.access.finance.covers(&l.commune_path),
        can_pay: status == Some(ListStatus::Approved) && v.access.finance.covers(&l.commune_path),
        l,
        lines,
        errors,
    };
    let code = if page.errors.any() { axum::http::StatusCode::CONFLICT } else { axum::http::StatusCode::OK };
    Ok((code, Html(page.render()?)).into_response())
}

async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    render_list(&state, &v, id, q.ok.as_deref(), Errors::default()).await
}

/// The list as the signed Excel layout. Names leave the system here: the export is logged.
async fn export(State(state): State<AppState>, v: Viewer, Id(id): Id) -> Result<Response, AppError> {
    let l = payments::list_by_id(&state.db, &v.access.read, id).await?;
    let lines = payments::lines(&state.db, id).await?;
    let bytes = crate::xlsx_payments::payment_list(&l, &lines, domain::money::WordsStyle::default())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let event = store::audit::Event {
        entity: "export",
        entity_id: Some(id),
        action: "payment_list_xlsx",
        unit_path: Some(l.commune_path.clone()),
        after: Some(serde_json::json!({ "payment_list_id": id, "lines": lines.len() })),
        ..store::audit::Event::default()
    };
    store::audit::record(&state.db, event).await?;
    let name = format!("attachment; filename=\"bang-ke-{}-{}.xlsx\"", l.commune_code, l.month);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /payments/{id}/bang-ke.csv`: the list's lines as CSV. Names leave the system here, as
/// with the workbook: the export is logged.
async fn export_csv(State(state): State<AppState>, v: Viewer, Id(id): Id) -> Result<Response, AppError> {
    let l = payments::list_by_id(&state.db, &v.access.read, id).await?;
    let lines = payments::lines(&state.db, id).await?;
    let event = store::audit::Event {
        entity: "export",
        entity_id: Some(id),
        action: "payment_list_csv",
        unit_path: Some(l.commune_path.clone()),
        after: Some(serde_json::json!({ "payment_list_id": id, "lines": lines.len() })),
        ..store::audit::Event::default()
    };
    store::audit::record(&state.db, event).await?;
    let table = exports::payment_lines(&l, &lines, store::today());
    Ok(exports::csv_download(&table, &exports::file_name(&["bang-ke", &l.commune_code, &l.month])))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StepForm {
    csrf: String,
    paid_on: String,
}

/// One step of a list: who may take it, then the store's own checks (order, who prepared).
async fn step(state: &AppState, v: &Viewer, id: i64, to: ListStatus, f: &StepForm) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let l = payments::list_by_id(&state.db, &v.access.read, id).await?;
    let allowed = match to {
        ListStatus::Submitted => preparers(v).covers(&l.commune_path),
        _ => v.access.finance.covers(&l.commune_path),
    };
    if !allowed {
        return Err(AppError::Forbidden(match to {
            ListStatus::Submitted => "Chỉ người lập bảng kê của xã được trình duyệt".into(),
            _ => "Chỉ người duyệt chi của đơn vị được duyệt và xác nhận chi trả".into(),
        }));
    }
    let paid_on = match f.paid_on.trim() {
        "" => None,
        d => match domain::input::parse_end_date(d, store::today()) {
            Ok(day) => Some(day),
            Err(m) => {
                return render_list(state, v, id, None, Errors(domain::input::FieldErrors::single("paid_on", m))).await;
            }
        },
    };
    match payments::advance(&state.db, &v.access.read, id, to, paid_on).await {
        Ok(()) => Ok(done(&format!("/payments/{id}"), "saved")),
        Err(e @ store::StoreError::Conflict { .. }) => {
            let e = AppError::from(e);
            render_list(state, v, id, None, Errors(e.field_errors())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn submit(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<StepForm>,
) -> Result<Response, AppError> {
    step(&state, &v, id, ListStatus::Submitted, &f).await
}

async fn approve(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<StepForm>,
) -> Result<Response, AppError> {
    step(&state, &v, id, ListStatus::Approved, &f).await
}

async fn pay(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<StepForm>,
) -> Result<Response, AppError> {
    step(&state, &v, id, ListStatus::Paid, &f).await
}

// --------------------------------------------------------------------------- work-day claims

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsPage {
    c: Chrome,
    month: YearMonth,
    rows: Vec<Claim>,
    form: ClaimDraft,
    errors: Errors,
}

impl ClaimsPage {
    fn date(&self, d: &str) -> String {
        vn_date(d)
    }

    fn status(&self, s: &str) -> &'static str {
        match s {
            "approved" => self.c.lang.t("Đã duyệt", "Approved"),
            "rejected" => self.c.lang.t("Không duyệt", "Rejected"),
            _ => self.c.lang.t("Chờ duyệt", "Waiting"),
        }
    }
}

async fn render_claims(
    state: &AppState,
    v: &Viewer,
    month: YearMonth,
    ok: Option<&str>,
    form: ClaimDraft,
    errors: Errors,
) -> Result<Response, AppError> {
    let rows = payments::claims(&state.db, &v.access.read, month).await?;
    let code = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((code, Html(ClaimsPage { c: Chrome::new(v, ok), month, rows, form, errors }.render()?)).into_response())
}

async fn claims(State(state): State<AppState>, v: Viewer, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    let month = month_of(&q.month)?;
    render_claims(&state, &v, month, q.ok.as_deref(), ClaimDraft::default(), Errors::default()).await
}

/// `GET /claims.xlsx?month=`: the month's work-day claims the reader sees.
async fn claims_export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<MonthQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    let month = month_of(&q.month)?;
    let rows = payments::claims(&state.db, &v.access.read, month).await?;
    // People's names leave the system here, as with a payment list: the export is logged.
    let ids: Vec<i64> = rows.iter().map(|w| w.id).collect();
    let action = if format == exports::Format::Xlsx { "claims_xlsx" } else { "claims_csv" };
    let after = serde_json::json!({ "filter": { "month": month.to_string() }, "rows": ids, "count": ids.len() });
    let event = store::audit::Event {
        entity: "export",
        action,
        unit_path: exports::unit_path(&v.access.read),
        after: Some(after),
        ..store::audit::Event::default()
    };
    store::audit::record(&state.db, event).await?;
    let place = exports::place(&state.db, &v.access.read).await?;
    let table = exports::claims(&rows, month, &place, store::today());
    exports::download(table, format, &exports::file_name(&["ngay-cong", &month.to_string()])).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ClaimForm {
    csrf: String,
    #[serde(flatten)]
    draft: ClaimDraft,
}

/// A claim for a team the user changes (its leader may, for their own team).
async fn add_claim(State(state): State<AppState>, v: Viewer, Form(f): Form<ClaimForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let month = YearMonth::of(store::today());
    let input = match f.draft.parse() {
        Ok(i) => i,
        Err(e) => return render_claims(&state, &v, month, None, f.draft, Errors(e)).await,
    };
    let team = store::teams::get(&state.db, &v.access.read, input.team_id)
        .await
        .map_err(|e| AppError::Invalid(domain::input::FieldErrors::single("team_id", e.to_string())));
    let team = match team {
        Ok(t) => t,
        Err(e) => return render_claims(&state, &v, month, None, f.draft, Errors(e.field_errors())).await,
    };
    crate::auth::may_write_team(&v.access, &team)?;
    match payments::add_claim(&state.db, &v.access.read, &input).await {
        Ok(_) => Ok(done(&format!("/claims?month={}", YearMonth::of(input.worked_on)), "created")),
        Err(e @ (store::StoreError::Invalid { .. } | store::StoreError::Conflict { .. })) => {
            let e = AppError::from(e);
            render_claims(&state, &v, month, None, f.draft, Errors(e.field_errors())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    csrf: String,
}

/// Claims are decided by who changes the registry of the team's commune.
async fn decide(state: &AppState, v: &Viewer, id: i64, approve: bool, csrf: &str) -> Result<Response, AppError> {
    v.check_csrf(csrf)?;
    let c = payments::claim(&state.db, &v.access.read, id).await?;
    if !v.access.writes(&c.commune_path) {
        return Err(not_allowed());
    }
    payments::decide_claim(&state.db, &v.access.read, id, approve).await?;
    Ok(done(&format!("/claims?month={}", &c.worked_on[..7]), "saved"))
}

async fn approve_claim(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    decide(&state, &v, id, true, &f.csrf).await
}

async fn reject_claim(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    decide(&state, &v, id, false, &f.csrf).await
}

// --------------------------------------------------------------------------- the ledger

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LedgerQuery {
    unit: String,
    team: String,
    from: String,
    to: String,
    page: Option<i64>,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    c: Chrome,
    q: LedgerQuery,
    rows: Vec<LedgerEntry>,
    balance: Vnd,
    can_correct: bool,
    errors: Errors,
    pager: super::Pager,
}

impl LedgerPage {
    fn money(&self, v: &i64) -> String {
        money(*v)
    }

    fn date(&self, d: &str) -> String {
        vn_date(d)
    }

    fn kind(&self, k: &str) -> &'static str {
        match k {
            "payment" => self.c.lang.t("Chi trả", "Payment"),
            "reversal" => self.c.lang.t("Đảo bút toán", "Reversal"),
            _ => self.c.lang.t("Điều chỉnh", "Adjustment"),
        }
    }
}

/// The ledger's scope and filter from its query: 404 for a unit the reader may not see, 400 for
/// a day or a team number that does not read.
async fn ledger_filter(state: &AppState, v: &Viewer, q: &LedgerQuery) -> Result<(Scope, LedgerFilter), AppError> {
    let scope = super::list_scope(state, v, &q.unit).await?;
    let day = |s: &str| -> Result<Option<time::Date>, AppError> {
        match s.trim() {
            "" => Ok(None),
            d => domain::input::parse_date(d).map(Some).map_err(AppError::BadRequest),
        }
    };
    let team_id = match q.team.trim() {
        "" => None,
        t => Some(t.parse::<i64>().map_err(|_| AppError::BadRequest("Số tổ không hợp lệ".into()))?),
    };
    Ok((scope, LedgerFilter { team_id, from: day(&q.from)?, to: day(&q.to)? }))
}

async fn render_ledger(state: &AppState, v: &Viewer, q: LedgerQuery, errors: Errors) -> Result<Response, AppError> {
    let (scope, f) = ledger_filter(state, v, &q).await?;
    let balance = payments::balance(&state.db, &scope, &f).await?;
    // A page at a time; the balance is the whole filter's.
    let all = payments::entries(&state.db, &scope, &f).await?;
    let request = store::PageRequest::new(q.page.unwrap_or(1), 50);
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let rows: Vec<LedgerEntry> = all
        .into_iter()
        .skip(usize::try_from(request.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(request.per_page).unwrap_or(50))
        .collect();
    let paged: store::Page<()> =
        store::Page { items: Vec::new(), total, page: request.page, per_page: request.per_page };
    let pager =
        super::Pager::new(&paged, "/ledger", &[("unit", &q.unit), ("team", &q.team), ("from", &q.from), ("to", &q.to)]);
    let can_correct = v.access.finance != Scope::Paths(Vec::new());
    let code = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let ok = q.ok.clone();
    let page = LedgerPage { c: Chrome::new(v, ok.as_deref()), q, rows, balance, can_correct, errors, pager };
    Ok((code, Html(page.render()?)).into_response())
}

async fn ledger(State(state): State<AppState>, v: Viewer, Query(q): Query<LedgerQuery>) -> Result<Response, AppError> {
    render_ledger(&state, &v, q, Errors::default()).await
}

/// `GET /ledger.xlsx` and `/ledger.csv`: the entries of the same filter, every page, with what
/// was paid.
async fn ledger_export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<LedgerQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    let (scope, f) = ledger_filter(&state, &v, &q).await?;
    let balance = payments::balance(&state.db, &scope, &f).await?;
    let rows = payments::entries(&state.db, &scope, &f).await?;
    // Payees' names leave the system here, as with a payment list: the export is logged.
    let ids: Vec<i64> = rows.iter().map(|g| g.id).collect();
    let action = if format == exports::Format::Xlsx { "ledger_xlsx" } else { "ledger_csv" };
    let filter =
        serde_json::json!({ "unit": q.unit.trim(), "team": q.team.trim(), "from": q.from.trim(), "to": q.to.trim() });
    let event = store::audit::Event {
        entity: "export",
        action,
        unit_path: exports::unit_path(&scope),
        after: Some(serde_json::json!({ "filter": filter, "rows": ids, "count": ids.len() })),
        ..store::audit::Event::default()
    };
    store::audit::record(&state.db, event).await?;
    let place = exports::place(&state.db, &scope).await?;
    let label = |d: Option<time::Date>| d.map(domain::input::format_date);
    let period = match (label(f.from), label(f.to)) {
        (Some(a), Some(b)) => format!("TỪ NGÀY {a} ĐẾN NGÀY {b}"),
        (Some(a), None) => format!("TỪ NGÀY {a}"),
        (None, Some(b)) => format!("ĐẾN NGÀY {b}"),
        (None, None) => String::new(),
    };
    let team = f.team_id.map(|t| format!("to-{t}")).unwrap_or_default();
    let iso = |d: Option<time::Date>| d.map(store::iso).unwrap_or_default();
    let file = exports::file_name(&["so-cai", q.unit.trim(), &team, &iso(f.from), &iso(f.to)]);
    let table = exports::ledger(&rows, balance.value(), &place, &period, store::today());
    exports::download(table, format, &file).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReverseForm {
    csrf: String,
    note: String,
}

async fn reverse(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<ReverseForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let entry = payments::entry(&state.db, &v.access.read, id).await?;
    if !v.access.finance.covers(&entry.commune_path) {
        return Err(not_allowed());
    }
    match payments::reverse(&state.db, &v.access.read, id, &f.note).await {
        Ok(_) => Ok(done(&format!("/ledger?team={}", entry.team_id), "saved")),
        Err(e @ (store::StoreError::Invalid { .. } | store::StoreError::Conflict { .. })) => {
            let e = AppError::from(e);
            let q = LedgerQuery { team: entry.team_id.to_string(), ..LedgerQuery::default() };
            render_ledger(&state, &v, q, Errors(e.field_errors())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AdjustForm {
    csrf: String,
    team_id: String,
    month: String,
    amount: String,
    payee: String,
    note: String,
}

async fn adjust(State(state): State<AppState>, v: Viewer, Form(f): Form<AdjustForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    let mut e = domain::input::FieldErrors::default();
    let team_id = f.team_id.trim().parse::<i64>().map_err(|_| e.push("team_id", "Chọn tổ")).ok();
    let month = YearMonth::parse(&f.month).map_err(|m| e.push("month", m)).ok();
    let amount = Vnd::parse_signed(&f.amount).map_err(|m| e.push("amount", m.to_string())).ok();
    let q = LedgerQuery { team: f.team_id.clone(), ..LedgerQuery::default() };
    let (Some(team_id), Some(month), Some(amount)) = (team_id, month, amount) else {
        return render_ledger(&state, &v, LedgerQuery::default(), Errors(e)).await;
    };
    let team = store::teams::get(&state.db, &v.access.read, team_id)
        .await
        .map_err(|err| AppError::Invalid(domain::input::FieldErrors::single("team_id", err.to_string())));
    let team = match team {
        Ok(t) => t,
        Err(err) => return render_ledger(&state, &v, LedgerQuery::default(), Errors(err.field_errors())).await,
    };
    if !v.access.finance.covers(&team.commune_path) {
        return Err(not_allowed());
    }
    match payments::adjust(&state.db, &v.access.read, team_id, month, amount, &f.payee, &f.note).await {
        Ok(_) => Ok(done(&format!("/ledger?team={team_id}"), "saved")),
        Err(err @ store::StoreError::Invalid { .. }) => {
            let err = AppError::from(err);
            render_ledger(&state, &v, q, Errors(err.field_errors())).await
        }
        Err(err) => Err(err.into()),
    }
}

// --------------------------------------------------------------------------- the report

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReportQuery {
    unit: String,
    from: String,
    months: String,
}

#[derive(Template)]
#[template(path = "payments_report.html")]
struct ReportPage {
    c: Chrome,
    unit: String,
    from: String,
    months: String,
    rows: Vec<MonthFigures>,
}

impl ReportPage {
    fn money(&self, v: &Vnd) -> String {
        v.display()
    }

    fn month(&self, m: &str) -> String {
        YearMonth::parse(m).map(YearMonth::label).unwrap_or_else(|_| m.to_owned())
    }
}

/// The report's figures for the unit, months and start asked: 400 for months or a start that
/// do not read, 404 for a unit the reader may not see.
async fn report_rows(
    state: &AppState,
    v: &Viewer,
    q: &ReportQuery,
) -> Result<(store::units::Unit, Vec<MonthFigures>), AppError> {
    let from = YearMonth::parse(&q.from).map_err(AppError::BadRequest)?;
    let months = q
        .months
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=60).contains(n))
        .ok_or_else(|| AppError::BadRequest("Số tháng phải từ 1 đến 60".into()))?;
    let unit = store::units::by_code(&state.db, &q.unit).await?;
    if !store::units::visible(&state.db, &v.access.read, &unit).await? {
        return Err(AppError::NotFound(format!("Không có đơn vị hành chính mã {}", q.unit.trim())));
    }
    let rows = payments::report(&state.db, &v.access.read, &q.unit, from, months).await?;
    Ok((unit, rows))
}

/// Planned (the simulator over the policies in force) vs owed vs paid, month by month.
async fn report(State(state): State<AppState>, v: Viewer, Query(q): Query<ReportQuery>) -> Result<Response, AppError> {
    let rows = if q.unit.trim().is_empty() { Vec::new() } else { report_rows(&state, &v, &q).await?.1 };
    let from = if q.from.is_empty() { YearMonth::of(store::today()).to_string() } else { q.from };
    let months = if q.months.is_empty() { "12".to_owned() } else { q.months };
    Ok(Html(ReportPage { c: Chrome::new(&v, None), unit: q.unit, from, months, rows }.render()?).into_response())
}

/// `GET /payments/report.xlsx?unit=&from=&months=`: the report as a workbook.
async fn report_export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ReportQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    if q.unit.trim().is_empty() {
        return Err(AppError::BadRequest("Chọn đơn vị (mã đơn vị hành chính)".into()));
    }
    let (unit, rows) = report_rows(&state, &v, &q).await?;
    let (first, last) = (rows.first().map(|r| r.month.as_str()), rows.last().map(|r| r.month.as_str()));
    let file = exports::file_name(&["ke-hoach-chi-tra", &unit.code, first.unwrap_or(""), last.unwrap_or("")]);
    let table = exports::payments_report(&rows, &unit.name, store::today());
    exports::download(table, format, &file).await
}
