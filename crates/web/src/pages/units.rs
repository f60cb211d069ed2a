//! The dashboard and the drill-down province › district › commune › village.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use store::Scope;
use store::coverage::{self, Coverage};
use store::units::{self, Unit};

use super::{Chrome, ListQuery, vn_number};
use crate::auth::Viewer;
use crate::svg::{CoverageBar, coverage_bars};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(dashboard)).route("/units", get(list)).route("/units/{code}", get(unit_page))
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
}

impl UnitPage {
    fn n(&self, n: impl std::borrow::Borrow<i64>) -> String {
        vn_number(*n.borrow())
    }

    /// Where a child row links: a unit page, or a village page for a commune's villages.
    fn child_link(&self, code: &str) -> String {
        match code.strip_prefix('v') {
            Some(id) => format!("/villages/{id}"),
            None => format!("/units/{code}"),
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
}

pub(super) async fn render_unit(
    state: &AppState,
    v: &Viewer,
    unit: Option<Unit>,
    ok: Option<&str>,
    errors: super::Errors,
    village_name: String,
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
        }
        .render()?);
    };
    let trail = units::ancestors(&state.db, &unit).await?;
    let cov = coverage::of_unit(&state.db, &Scope::All, &unit).await?;
    let is_commune = unit.level == "commune";
    let chart = if is_commune {
        String::new()
    } else {
        let bars: Vec<CoverageBar> = cov
            .children
            .iter()
            .map(|ch| CoverageBar {
                label: ch.unit.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
                villages: ch.villages,
                with_team: ch.villages_with_team,
            })
            .collect();
        coverage_bars(&bars, c.lang)
    };
    Ok(UnitPage { c, unit: Some(unit), trail, cov, chart, is_commune, errors, village_name }.render()?)
}

async fn dashboard(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let root = units::roots(&state.db).await?.into_iter().next();
    Ok(Html(render_unit(&state, &v, root, q.ok.as_deref(), super::Errors::default(), String::new()).await?))
}

async fn unit_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let unit = units::by_code(&state.db, &code).await?;
    Ok(Html(render_unit(&state, &v, Some(unit), q.ok.as_deref(), super::Errors::default(), String::new()).await?))
}

#[derive(Template)]
#[template(path = "units.html")]
struct ListPage {
    c: Chrome,
    q: String,
    rows: Vec<Unit>,
    pager: super::Pager,
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

/// Units found by name, diacritics ignored ("tam ky" finds "Thành phố Tam Kỳ"), a page at a time.
async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    let all = units::list(&state.db, &Scope::All, None, Some(q.q.as_str())).await?;
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
    Ok(Html(ListPage { c: Chrome::new(&v, q.ok.as_deref()), q: q.q, rows, pager }.render()?))
}
