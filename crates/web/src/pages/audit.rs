//! The audit trail for administrators: filter by user, entity, unit and days; export as CSV.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;
use store::PageRequest;
use store::audit::{self, Filter, Recorded};

use super::{Chrome, Pager};
use crate::auth::{Viewer, may_administer};
use crate::routes::Routes;
use crate::{AppError, AppState, exports};

pub fn router() -> Routes {
    Routes::new().get("/admin/audit", page).downloads("/admin/audit", export)
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct AuditQuery {
    actor: String,
    entity: String,
    unit: String,
    from: String,
    to: String,
    page: Option<i64>,
}

impl AuditQuery {
    /// The filter, with a unit code turned into its path and days checked.
    async fn filter(&self, state: &AppState, v: &Viewer) -> Result<Filter, AppError> {
        may_administer(&v.access)?;
        let day = |s: &str| -> Result<Option<String>, AppError> {
            match s.trim() {
                "" => Ok(None),
                d => domain::input::parse_date(d).map(|d| Some(store::iso(d))).map_err(AppError::BadRequest),
            }
        };
        let unit_path = match self.unit.trim() {
            "" => None,
            code => Some(store::units::latest_by_code(&state.db, code).await?.path),
        };
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Filter {
            actor: text(&self.actor),
            entity: text(&self.entity),
            unit_path,
            from: day(&self.from)?,
            to: day(&self.to)?,
            scope: v.access.admin.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    q: AuditQuery,
    rows: Vec<Recorded>,
    pager: Pager,
    export: String,
}

impl AuditPage {
    fn same(&self, chosen: &str, option: &str) -> bool {
        chosen == option
    }

    fn stamp(&self, s: &str) -> String {
        s.replace('T', " ").trim_end_matches('Z').to_owned()
    }
}

fn params(q: &AuditQuery) -> Vec<(&'static str, String)> {
    vec![
        ("actor", q.actor.clone()),
        ("entity", q.entity.clone()),
        ("unit", q.unit.clone()),
        ("from", q.from.clone()),
        ("to", q.to.clone()),
    ]
}

async fn page(State(state): State<AppState>, v: Viewer, Query(q): Query<AuditQuery>) -> Result<Html<String>, AppError> {
    let filter = q.filter(&state, &v).await?;
    let page = audit::list(&state.db, &filter, PageRequest::new(q.page.unwrap_or(1), 50)).await?;
    let kept = params(&q);
    let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pager = Pager::new(&page, "/admin/audit", &refs);
    let export = serde_urlencoded::to_string(&refs).unwrap_or_default();
    Ok(Html(AuditPage { c: Chrome::new(&v, None), q, rows: page.items, pager, export }.render()?))
}

/// `GET /admin/audit.xlsx` and `/admin/audit.csv`: every matching event as a workbook or as CSV
/// (UTF-8 with a BOM, for Excel). The trail holds values before and after, personal data among
/// them: its export is logged too.
async fn export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<AuditQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    let filter = q.filter(&state, &v).await?;
    let rows = audit::list(&state.db, &filter, PageRequest::all()).await?.items;
    let ids: Vec<i64> = rows.iter().map(|r| r.audit_event_id).collect();
    let event = audit::Event {
        entity: "export",
        action: match format {
            exports::Format::Xlsx => "audit_xlsx",
            exports::Format::Csv => "audit_csv",
        },
        after: Some(
            serde_json::json!({ "filter": params(&q).into_iter().collect::<std::collections::BTreeMap<_, _>>(), "rows": ids, "count": ids.len() }),
        ),
        ..audit::Event::default()
    };
    audit::record(&state.db, event).await?;
    let label = |s: &Option<String>| s.as_deref().map(store::display_date);
    let period = match (label(&filter.from), label(&filter.to)) {
        (Some(a), Some(b)) => format!("TỪ NGÀY {a} ĐẾN NGÀY {b}"),
        (Some(a), None) => format!("TỪ NGÀY {a}"),
        (None, Some(b)) => format!("ĐẾN NGÀY {b}"),
        (None, None) => String::new(),
    };
    let table = exports::audit(&rows, &period, store::today());
    let file = exports::file_name(&[
        "nhat-ky-thao-tac",
        q.unit.trim(),
        filter.from.as_deref().unwrap_or(""),
        filter.to.as_deref().unwrap_or(""),
    ]);
    exports::download(table, format, &file).await
}
