//! The dashboard and the drill-down province › district › commune › village.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use store::coverage::{self, Coverage};
use store::reorg::UnitLink;
use store::units::{self, Unit};

use super::{Chrome, ListQuery, vn_number};
use crate::auth::Viewer;
use crate::routes::Routes;
use crate::svg::{CoverageBar, coverage_bars};
use crate::{AppError, AppState, exports};

pub fn router() -> Routes {
    Routes::new()
        .get("/", dashboard)
        .get("/units", list)
        .downloads("/units", list_export)
        .get("/units/{code}", unit_page)
        .downloads("/units/{code}/coverage", coverage_export)
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    c: Chrome,
    unit: Option<Unit>,
    trail: Vec<Unit>,
    cov: Coverage,
    chart: String,
    is_commune: bool,
    errors: super::Errors,
    village_name: String,
    when: When,
    /// Rows of this code over time, oldest first.
    versions: Vec<Unit>,
    predecessors: Vec<UnitLink>,
    successors: Vec<UnitLink>,
    /// Whether the reader may add villages here.
    can_write: bool,
    /// What the ledger says was paid within the unit (as the reader sees it), all time.
    paid: Option<domain::money::Vnd>,
}

/// The day a page reports on, and on whose boundaries.
#[derive(Debug, Clone, Default)]
pub(super) struct When {
    /// `None`: today.
    pub as_of: Option<time::Date>,
    pub today_boundaries: bool,
    /// Said above the figures (an ended unit shown as of its last day).
    pub note: Option<String>,
}

impl When {
    fn facts_on(&self) -> time::Date {
        self.as_of.unwrap_or_else(store::today)
    }

    fn boundaries_on(&self) -> time::Date {
        if self.today_boundaries { store::today() } else { self.facts_on() }
    }

    /// The query that keeps the same day on links.
    pub fn query(&self) -> String {
        match self.as_of {
            None => String::new(),
            Some(d) if self.today_boundaries => format!("?as_of={}&boundaries=today", store::iso(d)),
            Some(d) => format!("?as_of={}", store::iso(d)),
        }
    }

    pub fn input_value(&self) -> String {
        self.as_of.map(store::iso).unwrap_or_default()
    }

    pub fn label(&self) -> String {
        domain::input::format_date(self.facts_on())
    }
}

impl UnitPage {
    fn n(&self, n: impl std::borrow::Borrow<i64>) -> String {
        vn_number(*n.borrow())
    }

    /// Where a child row links: a unit page, or a village page for a commune's villages.
    fn child_link(&self, code: &str) -> String {
        match code.strip_prefix('v') {
            Some(id) => format!("/villages/{id}"),
            None => format!("/units/{code}{}", self.when.query()),
        }
    }

    fn level_label(&self, level: &str) -> &'static str {
        let l = self.c.lang;
        match level {
            "province" => l.t("Tỉnh / Thành phố", "Province"),
            "district" => l.t("Huyện / Quận / Thị xã / Thành phố", "District"),
            "commune" => l.t("Xã / Phường / Thị trấn", "Commune"),
            _ => l.t("Thôn / Tổ dân phố", "Village"),
        }
    }

    fn kind_label(&self, kind: &str) -> &'static str {
        let l = self.c.lang;
        match kind {
            "merge" => l.t("Sáp nhập", "Merged"),
            "rename" => l.t("Đổi tên", "Renamed"),
            "move" => l.t("Chuyển đơn vị cấp trên", "Moved"),
            "end_level" => l.t("Kết thúc cấp", "Level ended"),
            _ => l.t("Chia tách", "Split"),
        }
    }

    fn date(&self, d: &str) -> String {
        super::vn_date(d)
    }

    /// The day before a stored end date: the last day a row was valid.
    fn last_day(&self, end: &str) -> String {
        store::parse_iso(end)
            .and_then(time::Date::previous_day)
            .map_or_else(|| end.to_owned(), domain::input::format_date)
    }

    /// A link to a unit row as it stood (the day its row began).
    fn row_link(&self, code: &str, from: &str) -> String {
        format!("/units/{code}?as_of={from}")
    }
}

pub(super) async fn render_unit(
    state: &AppState,
    v: &Viewer,
    unit: Option<Unit>,
    ok: Option<&str>,
    errors: super::Errors,
    village_name: String,
    when: When,
) -> Result<String, AppError> {
    let c = Chrome::new(v, ok);
    let Some(unit) = unit else {
        return Ok(UnitPage {
            c,
            unit: None,
            trail: vec![],
            cov: Coverage::default(),
            chart: String::new(),
            is_commune: false,
            errors,
            village_name,
            when,
            versions: vec![],
            predecessors: vec![],
            successors: vec![],
            can_write: false,
            paid: None,
        }
        .render()?);
    };
    let trail = units::ancestors(&state.db, &unit).await?;
    let cov = coverage::at(&state.db, &v.access.read, &unit, when.boundaries_on(), when.facts_on()).await?;
    let can_write = v.access.writes(&unit.path);
    let paid = if unit.valid_to.is_none() {
        let scope = v.access.read.narrow(&unit.path);
        Some(store::payments::balance(&state.db, &scope, &store::payments::LedgerFilter::default()).await?)
    } else {
        None
    };
    let (predecessors, successors) = store::reorg::links_of(&state.db, unit.unit_id).await?;
    let versions = units::versions(&state.db, &unit.code).await?;
    let is_commune = unit.level == "commune";
    let chart = if is_commune {
        String::new()
    } else {
        let bars: Vec<CoverageBar> = cov
            .children
            .iter()
            .filter(|ch| ch.villages > 0)
            .map(|ch| CoverageBar {
                label: ch.unit.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
                villages: ch.villages,
                with_team: ch.villages_with_team,
            })
            .collect();
        coverage_bars(&bars, c.lang)
    };
    Ok(UnitPage {
        c,
        unit: Some(unit),
        trail,
        cov,
        chart,
        is_commune,
        errors,
        village_name,
        when,
        versions,
        predecessors,
        successors,
        can_write,
        paid,
    }
    .render()?)
}

/// The day asked for in the query: `as_of` (yyyy-mm-dd or dd/mm/yyyy) and `boundaries=today`.
fn when_of(q: &ListQuery) -> Result<When, AppError> {
    let as_of = match q.as_of.trim() {
        "" => None,
        d => Some(domain::input::parse_date(d).map_err(AppError::BadRequest)?),
    };
    Ok(When { as_of, today_boundaries: as_of.is_some() && q.boundaries == "today", note: None })
}

async fn dashboard(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let when = when_of(&q)?;
    let mut root = None;
    for unit in units::roots_at(&state.db, when.boundaries_on()).await? {
        if units::visible(&state.db, &v.access.read, &unit).await? {
            root = Some(unit);
            break;
        }
    }
    Ok(Html(render_unit(&state, &v, root, q.ok.as_deref(), super::Errors::default(), String::new(), when).await?))
}

async fn unit_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let (unit, when) = unit_of(&state, &v, &code, &q).await?;
    Ok(Html(render_unit(&state, &v, Some(unit), q.ok.as_deref(), super::Errors::default(), String::new(), when).await?))
}

/// The unit a page or export asks for, on the day asked (an ended code as of its last day); 404
/// for a unit the reader may not see.
async fn unit_of(state: &AppState, v: &Viewer, code: &str, q: &ListQuery) -> Result<(Unit, When), AppError> {
    let mut when = when_of(q)?;
    let unit = if when.as_of.is_some() {
        units::by_code_at(&state.db, code, when.boundaries_on()).await?
    } else {
        match units::by_code(&state.db, code).await {
            Ok(u) => u,
            Err(_) => {
                // An ended code: as of its last day, and the page says so.
                let last = units::latest_by_code(&state.db, code).await?;
                let end = last.valid_to.as_deref().and_then(store::parse_iso);
                if let Some(end) = end {
                    when.as_of = end.previous_day();
                    when.note = Some(format!(
                        "{} không còn từ ngày {}; số liệu dưới đây là của ngày cuối cùng, {}.",
                        last.name,
                        domain::input::format_date(end),
                        when.label()
                    ));
                }
                last
            }
        }
    };
    if !units::visible(&state.db, &v.access.read, &unit).await? {
        return Err(AppError::NotFound(format!("Không có đơn vị hành chính mã {code}")));
    }
    Ok((unit, when))
}

/// `GET /units/{code}/coverage.xlsx` and `.csv`: the unit's table of coverage by the units
/// below, on the day the page shows.
async fn coverage_export(
    State(state): State<AppState>,
    v: Viewer,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
    format: exports::Format,
) -> Result<axum::response::Response, AppError> {
    let (unit, when) = unit_of(&state, &v, &code, &q).await?;
    let cov = coverage::at(&state.db, &v.access.read, &unit, when.boundaries_on(), when.facts_on()).await?;
    let table = exports::coverage(&unit, &cov, when.facts_on());
    let file = exports::file_name(&["do-phu", &unit.code, &store::iso(when.facts_on())]);
    exports::download(table, format, &file).await
}

#[derive(Template)]
#[template(path = "units.html")]
struct ListPage {
    c: Chrome,
    q: String,
    rows: Vec<Unit>,
    pager: super::Pager,
    /// The query of the same list, for its Excel and CSV exports.
    export: String,
}

impl ListPage {
    fn level_label(&self, level: &str) -> &'static str {
        let l = self.c.lang;
        match level {
            "province" => l.t("Tỉnh / Thành phố", "Province"),
            "district" => l.t("Huyện / Quận / Thị xã / Thành phố", "District"),
            _ => l.t("Xã / Phường / Thị trấn", "Commune"),
        }
    }
}

/// `GET /units.xlsx` and `/units.csv`: the units found, every page of them.
async fn list_export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ListQuery>,
    format: exports::Format,
) -> Result<axum::response::Response, AppError> {
    let rows = units::list(&state.db, &v.access.read, None, Some(q.q.as_str())).await?;
    let place = exports::place(&state.db, &v.access.read).await?;
    let table = exports::units(&rows, &place, store::today());
    exports::download(table, format, "don-vi-hanh-chinh").await
}

/// Units found by name, diacritics ignored ("tam ky" finds "Thành phố Tam Kỳ"), a page at a time.
async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    let all = units::list(&state.db, &v.access.read, None, Some(q.q.as_str())).await?;
    let request = store::PageRequest::new(q.page.unwrap_or(1), 50);
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let rows: Vec<Unit> = all
        .into_iter()
        .skip(usize::try_from(request.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(request.per_page).unwrap_or(50))
        .collect();
    let page: store::Page<()> =
        store::Page { items: Vec::new(), total, page: request.page, per_page: request.per_page };
    let pager = super::Pager::new(&page, "/units", &[("q", &q.q)]);
    let export = serde_urlencoded::to_string([("q", q.q.as_str())]).unwrap_or_default();
    Ok(Html(ListPage { c: Chrome::new(&v, q.ok.as_deref()), q: q.q, rows, pager, export }.render()?))
}
