//! Server-rendered pages. Every task works without JavaScript.

mod account;
mod admin;
mod audit;
mod dashboards;

pub(crate) use dashboards::{month_param, period, visible_unit};
mod funding;
mod imports;

pub(crate) use funding::BudgetQuery;
mod members;
mod payments;
mod reports;
mod teams;
mod training;
mod units;
mod users;
mod villages;

use domain::input::FieldErrors;
use serde::Deserialize;

use crate::auth::Viewer;
use crate::{AppState, Lang};

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .merge(account::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(units::router())
        .merge(villages::router())
        .merge(teams::router())
        .merge(members::router())
        .merge(imports::router())
        .merge(users::router())
        .merge(funding::router())
        .merge(payments::router())
        .merge(reports::router())
        .merge(training::router())
        .merge(dashboards::router())
}

/// A numeric id in the path; anything else is a page that does not exist (404 in Vietnamese),
/// not a bare 400.
pub struct Id(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Id {
    type Rejection = crate::AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<i64>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(Id(id)),
            Err(_) => Err(crate::AppError::NotFound("Không tìm thấy trang này".into())),
        }
    }
}

/// The reader's scope, narrowed to one unit when a list asks (`?unit=CODE`).
pub(crate) async fn list_scope(state: &AppState, v: &Viewer, unit: &str) -> Result<store::Scope, crate::AppError> {
    scope_of(&state.db, &v.access.read, unit).await
}

/// A scope narrowed to the current unit with this code. A unit the reader may not see answers
/// 404 exactly as one that does not exist.
pub(crate) async fn scope_of(
    db: &store::Db,
    scope: &store::Scope,
    unit: &str,
) -> Result<store::Scope, crate::AppError> {
    match unit.trim() {
        "" => Ok(scope.clone()),
        code => {
            let u = store::units::by_code(db, code).await?;
            if !store::units::visible(db, scope, &u).await? {
                return Err(crate::AppError::NotFound(format!("Không có đơn vị hành chính mã {code}")));
            }
            Ok(scope.narrow(&u.path))
        }
    }
}

/// A CSV document for spreadsheets: UTF-8 with a byte-order mark, CRLF lines, quoted cells where
/// needed, and cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) prefixed with
/// an apostrophe.
pub(crate) fn csv_document(header: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| {
        let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
    };
    let mut out = String::from("\u{feff}");
    out.push_str(&header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub user: String,
    pub csrf: String,
    pub demo: bool,
    /// Whether the administration links show.
    pub admin: bool,
    /// Whether the user changes the registry somewhere (the import link shows).
    pub writes: bool,
    /// The current path, URL-encoded, for the language switch to come back to.
    pub back: String,
    pub notice: Option<String>,
}

impl Chrome {
    pub fn new(v: &Viewer, ok: Option<&str>) -> Self {
        let lang = v.lang;
        let notice = ok.and_then(|code| {
            let (vi, en) = match code {
                "created" => ("Đã thêm.", "Added."),
                "saved" => ("Đã lưu thay đổi.", "Changes saved."),
                "dissolved" => {
                    ("Đã giải thể tổ; các thành viên đã rời tổ.", "Team dissolved; its members have left it.")
                }
                "deactivated" => ("Đã ngừng hoạt động.", "Deactivated."),
                "left" => ("Thành viên đã rời tổ.", "The member has left the team."),
                "password" => {
                    ("Đã đổi mật khẩu; các phiên khác đã kết thúc.", "Password changed; other sessions ended.")
                }
                "revoked" => ("Đã thu hồi mã truy cập.", "Token revoked."),
                "revoked_grant" => ("Đã thu hồi quyền.", "Grant revoked."),
                "enabled" => ("Đã mở lại tài khoản.", "Account enabled."),
                "submitted" => ("Đã gửi báo cáo.", "Report submitted."),
                "invited" => ("Đã mời các tổ.", "Teams invited."),
                "roll_call" => ("Đã lưu điểm danh.", "Roll call saved."),
                "disabled" => (
                    "Đã khóa tài khoản; các phiên và mã truy cập API của người này không còn dùng được.",
                    "Account disabled; its sessions and API tokens no longer work.",
                ),
                "confirmed" => ("Đã xác nhận quyền.", "Grant confirmed."),
                "password_reset" => (
                    "Đã đặt lại mật khẩu; các phiên của người này đã kết thúc.",
                    "Password reset; the user's sessions have ended.",
                ),
                "applied" => ("Đã áp dụng đợt sắp xếp đơn vị hành chính.", "The change set was applied."),
                "unchanged" => ("Không có gì thay đổi: đợt này đã được áp dụng.", "Nothing changed: already applied."),
                "merged" => (
                    "Đã nhập thôn; thành viên của tổ thôn cũ đã chuyển sang tổ này.",
                    "Villages merged; the absorbed village's members joined this team.",
                ),
                _ => return None,
            };
            Some(lang.t(vi, en).to_owned())
        });
        let path = v.path.split('?').next().unwrap_or("/");
        let back =
            serde_urlencoded::to_string([("", path)]).map(|x| x.trim_start_matches('=').to_owned()).unwrap_or_default();
        let admin = v.access.is_admin();
        let writes = v.access.write != store::Scope::Paths(Vec::new());
        Self {
            lang,
            user: v.user_name().to_owned(),
            csrf: v.csrf().to_owned(),
            demo: v.demo,
            admin,
            writes,
            back,
            notice,
        }
    }
}

/// Links between the pages of a long list.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    /// The list's URL with its other query parameters, ending in `?` or `&`.
    pub base: String,
}

impl Pager {
    pub fn new<T>(page: &store::Page<T>, path: &str, params: &[(&str, &str)]) -> Self {
        let kept: Vec<(&str, &str)> = params.iter().copied().filter(|(_, v)| !v.is_empty()).collect();
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        let base = if query.is_empty() { format!("{path}?") } else { format!("{path}?{query}&") };
        Self { page: page.page, pages: page.pages(), total: page.total, base }
    }

    pub fn link(&self, page: i64) -> String {
        format!("{}page={page}", self.base)
    }
}

/// The query of a list page: search text and page number.
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub ok: Option<String>,
    #[serde(default)]
    pub all: Option<String>,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub issue: String,
    #[serde(default)]
    pub without_team: Option<String>,
    /// A day to report on (`yyyy-mm-dd`), and `boundaries=today` to count on today's units.
    #[serde(default)]
    pub as_of: String,
    #[serde(default)]
    pub boundaries: String,
}

/// A form's field messages, looked up by name in templates.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub FieldErrors);

impl Errors {
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).unwrap_or("")
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.get(field).is_some()
    }

    /// Messages for fields the form does not show (a conflict on the whole record).
    pub fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0.0.iter().filter(|e| !shown.contains(&e.field)).map(|e| e.message.clone()).collect()
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

/// Formats `yyyy-mm-dd` as `dd/mm/yyyy`; anything else is shown as it is.
pub fn vn_date(iso: &str) -> String {
    store::parse_iso(iso).map_or_else(|| iso.to_owned(), domain::input::format_date)
}

/// Formats an integer with dots between thousands (`7.440`).
pub fn vn_number(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A redirect after a successful form, with the notice to show.
pub fn done(to: &str, ok: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let sep = if to.contains('?') { '&' } else { '?' };
    axum::response::Redirect::to(&format!("{to}{sep}ok={ok}")).into_response()
}

/// The first of today's root units (provinces) the scope may see: where a page asked for no unit
/// opens.
pub(crate) async fn first_visible_root(
    state: &crate::AppState,
    scope: &store::Scope,
) -> Result<Option<store::units::Unit>, crate::AppError> {
    for u in store::units::roots_at(&state.db, store::today()).await? {
        if store::units::visible(&state.db, scope, &u).await? {
            return Ok(Some(u));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        let rows = [vec!["=1+1".to_owned(), "x, \"y\"".to_owned()], vec!["-2".to_owned(), "ok".to_owned()]];
        let doc = csv_document(&["a", "b"], &rows);
        assert_eq!(doc, "\u{feff}a,b\r\n'=1+1,\"x, \"\"y\"\"\"\r\n'-2,ok\r\n");
    }

    #[test]
    fn numbers_and_dates_the_vietnamese_way() {
        assert_eq!(vn_number(7_440_000_000), "7.440.000.000");
        assert_eq!(vn_number(85), "85");
        assert_eq!(vn_number(1240), "1.240");
        assert_eq!(vn_date("2024-08-28"), "28/08/2024");
    }
}
