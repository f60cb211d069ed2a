//! Administration of units: the change sets applied, and previewing then applying a new one
//! uploaded as its two files (the mapping and the new state).

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use store::reorg::{self, ApplyReport, ChangeSet};

use super::{Chrome, Errors, ListQuery, done};
use crate::auth::Viewer;
use crate::routes::Routes;
use crate::{AppError, AppState};

pub fn router() -> Routes {
    Routes::new().get("/admin/units", page).post("/admin/units/preview", preview).post("/admin/units/apply", apply)
}

#[derive(Template)]
#[template(path = "admin_units.html")]
struct AdminPage {
    c: Chrome,
    sets: Vec<ChangeSet>,
    errors: Errors,
    /// A dry run to confirm, with the files it read.
    preview: Option<Preview>,
}

struct Preview {
    report: ApplyReport,
    changes: String,
    state: String,
    villages: String,
    effective: String,
}

impl AdminPage {
    fn date(&self, d: &str) -> String {
        super::vn_date(d)
    }
}

async fn render(
    state: &AppState,
    v: &Viewer,
    ok: Option<&str>,
    errors: Errors,
    preview: Option<Preview>,
) -> Result<Response, AppError> {
    let sets = reorg::change_sets(&state.db).await?;
    let status = if errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = AdminPage { c: Chrome::new(v, ok), sets, errors, preview };
    Ok((status, Html(page.render()?)).into_response())
}

/// Settings that reach across units (unit changes, the report catalogue and deadline): only an
/// administrator of everything makes them; `what` says what was refused.
pub(super) fn national(v: &Viewer, what: &str) -> Result<(), AppError> {
    if v.access.admin == store::Scope::All {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("Chỉ quản trị viên toàn hệ thống được {what}")))
    }
}

const REORGANISE: &str = "sắp xếp đơn vị hành chính";

async fn page(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Response, AppError> {
    national(&v, REORGANISE)?;
    render(&state, &v, q.ok.as_deref(), Errors::default(), None).await
}

/// The fields of the upload form, read from `multipart/form-data`.
#[derive(Default)]
struct Upload {
    csrf: String,
    changes: String,
    state: String,
    villages: String,
    effective: String,
}

async fn read_upload(mut form: Multipart) -> Result<Upload, AppError> {
    let mut u = Upload::default();
    while let Some(field) =
        form.next_field().await.map_err(|e| AppError::BadRequest(format!("Không đọc được biểu mẫu: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await.map_err(|_| AppError::BadRequest("Tệp không phải văn bản UTF-8".into()))?;
        match name.as_str() {
            "csrf" => u.csrf = text,
            "changes" => u.changes = text,
            "state" => u.state = text,
            "villages" => u.villages = text,
            "effective" => u.effective = text,
            _ => {}
        }
    }
    Ok(u)
}

/// Checks the effective day and runs the change set, dry or not.
async fn run(
    state: &AppState,
    changes: &str,
    units: &str,
    villages: &str,
    effective: &str,
    dry_run: bool,
) -> Result<ApplyReport, AppError> {
    let mut errors = domain::input::FieldErrors::default();
    if changes.trim().is_empty() {
        errors.push("changes", "Chưa chọn tệp chuyển đổi (old_code,old_name,new_code,new_name)");
    }
    if units.trim().is_empty() {
        errors.push("state", "Chưa chọn tệp trạng thái mới (code,name,level,parent_code)");
    }
    let day = match domain::input::parse_date(effective) {
        Ok(d) => Some(d),
        Err(m) => {
            errors.push("effective", m);
            None
        }
    };
    let Some(day) = day.filter(|_| errors.is_empty()) else { return Err(AppError::Invalid(errors)) };
    let villages = Some(villages).filter(|v| !v.trim().is_empty());
    Ok(reorg::apply_with_villages(&state.db, changes, units, villages, day, "tải lên qua trang quản trị", dry_run)
        .await?)
}

async fn preview(State(state): State<AppState>, v: Viewer, form: Multipart) -> Result<Response, AppError> {
    national(&v, REORGANISE)?;
    let u = read_upload(form).await?;
    v.check_csrf(&u.csrf)?;
    match run(&state, &u.changes, &u.state, &u.villages, &u.effective, true).await {
        Ok(report) => {
            let effective = report.effective_on.clone();
            let p = Preview { report, changes: u.changes, state: u.state, villages: u.villages, effective };
            render(&state, &v, None, Errors::default(), Some(p)).await
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render(&state, &v, None, Errors(e.field_errors()), None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ApplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    changes: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    villages: String,
    #[serde(default)]
    effective: String,
    #[serde(default)]
    confirm: Option<String>,
}

async fn apply(State(state): State<AppState>, v: Viewer, Form(f): Form<ApplyForm>) -> Result<Response, AppError> {
    national(&v, REORGANISE)?;
    v.check_csrf(&f.csrf)?;
    if f.confirm.is_none() {
        let errors = Errors(domain::input::FieldErrors::single("confirm", "Hãy đánh dấu ô xác nhận trước khi áp dụng"));
        let report = run(&state, &f.changes, &f.state, &f.villages, &f.effective, true).await?;
        let effective = report.effective_on.clone();
        let p = Preview { report, changes: f.changes, state: f.state, villages: f.villages, effective };
        let page = AdminPage {
            c: Chrome::new(&v, None),
            sets: reorg::change_sets(&state.db).await?,
            errors,
            preview: Some(p),
        };
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    match run(&state, &f.changes, &f.state, &f.villages, &f.effective, false).await {
        Ok(r) if r.already_applied => Ok(done("/admin/units", "unchanged")),
        Ok(_) => Ok(done("/admin/units", "applied")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            render(&state, &v, None, Errors(e.field_errors()), None).await
        }
        Err(e) => Err(e),
    }
}
