//! Dashboards: indicator totals of a unit over a period with a chart per indicator, coverage and
//! the trained share, the comparison across child units, the reports behind each completeness
//! figure, and every table as .xlsx and CSV. Everything is read from the kept totals and counts,
//! so a submitted report shows at once.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::funding::YearMonth;
use serde::Deserialize;
use store::dashboard::{self, Comparison, Reach, ReportLine, Which};
use store::reports::{self, Completeness, IndicatorTotal};
use store::units::Unit;
use store::{PageRequest, StoreError};

use super::{Chrome, Pager, vn_number};
use crate::auth::Viewer;
use crate::export::{Cell, Table};
use crate::routes::Routes;
use crate::{AppError, AppState};

pub fn router() -> Routes {
    Routes::new()
        .get("/indicators", indicators)
        .get("/indicators.xlsx", indicators_xlsx)
        .get("/indicators.csv", indicators_csv)
        .get("/reports.xlsx", completeness_xlsx)
        .get("/reports.csv", completeness_csv)
        .get("/reports/list", list)
        .get("/reports/list.xlsx", list_xlsx)
        .get("/reports/list.csv", list_csv)
}

/// The unit a dashboard shows: the one named (404 when unknown or outside the reader's scope),
/// else the reader's first visible root; `None` when the reader sees no unit at all.
pub(crate) async fn unit_for(state: &AppState, v: &Viewer, code: &str) -> Result<Option<Unit>, AppError> {
    if code.trim().is_empty() {
        return super::first_visible_root(state, &v.access.read).await;
    }
    Ok(Some(visible_unit(state, &v.access.read, code).await?))
}

/// A current unit the scope may see; 404 otherwise, as for one that does not exist.
pub(crate) async fn visible_unit(state: &AppState, scope: &store::Scope, code: &str) -> Result<Unit, AppError> {
    let u = store::units::by_code(&state.db, code).await?;
    if store::units::visible(&state.db, scope, &u).await? {
        Ok(u)
    } else {
        Err(AppError::NotFound(format!("Không có đơn vị hành chính mã {}", code.trim())))
    }
}

/// A month parameter: empty gives `default`; anything else must be a month (400 otherwise).
pub(crate) fn month_param(name: &str, value: &str, default: YearMonth) -> Result<YearMonth, AppError> {
    match value.trim() {
        "" => Ok(default),
        m => YearMonth::parse(m).map_err(|e| AppError::BadRequest(format!("Tham số {name}: {e}"))),
    }
}

/// The period of a dashboard: `to` defaults to this month, `from` to eleven months before `to`;
/// a period that ends before it begins, or is too long, is a bad request.
pub(crate) fn period(from: &str, to: &str) -> Result<(YearMonth, YearMonth), AppError> {
    let to = month_param("to", to, YearMonth::of(store::today()))?;
    let back = to.year * 12 + i32::from(u8::from(to.month)) - 1 - 11;
    let default_from = time::Month::try_from(u8::try_from(back.rem_euclid(12) + 1).unwrap_or(1))
        .map(|m| YearMonth::new(back.div_euclid(12), m))
        .unwrap_or(to);
    let from = month_param("from", from, default_from)?;
    match dashboard::months_of(from, to) {
        Ok(_) => Ok((from, to)),
        Err(StoreError::Invalid { message, .. }) => Err(AppError::BadRequest(message)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PeriodQuery {
    unit: String,
    from: String,
    to: String,
    table: String,
}

/// What the indicator dashboard shows.
struct Dash {
    unit: Unit,
    from: YearMonth,
    to: YearMonth,
    totals: Vec<IndicatorTotal>,
    comparison: Comparison,
    reach: Reach,
}

async fn load(state: &AppState, v: &Viewer, unit: Unit, from: YearMonth, to: YearMonth) -> Result<Dash, AppError> {
    let scope = &v.access.read;
    let totals = reports::indicator_totals(&state.db, scope, &unit.code, from, to).await?;
    let comparison = dashboard::child_totals(&state.db, scope, &unit.code, from, to).await?;
    let reach = dashboard::reach(&state.db, scope, &unit.code).await?;
    Ok(Dash { unit, from, to, totals, comparison, reach })
}

impl Dash {
    fn period_label(&self) -> String {
        format!("{} {} — {} đến {}", self.unit.code, self.unit.name, self.from.label(), self.to.label())
    }

    fn totals_table(&self) -> Table {
        Table {
            sheet: "Tổng theo chỉ tiêu".into(),
            title: format!("Tổng các chỉ tiêu: {}", self.period_label()),
            header: vec!["Mã chỉ tiêu".into(), "Chỉ tiêu".into(), "Đơn vị tính".into(), "Tổng".into()],
            rows: self
                .totals
                .iter()
                .map(|t| {
                    vec![
                        t.code.as_str().into(),
                        t.name.as_str().into(),
                        t.unit_of_measure.as_str().into(),
                        t.total.into(),
                    ]
                })
                .collect(),
        }
    }

    fn months_table(&self) -> Table {
        let mut header = vec!["Tháng".to_owned()];
        header.extend(self.totals.iter().map(|t| t.name.clone()));
        let months: Vec<&String> =
            self.totals.first().map(|t| t.months.iter().map(|(m, _)| m).collect()).unwrap_or_default();
        let rows = months
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut row = vec![Cell::Text((*m).clone())];
                row.extend(self.totals.iter().map(|t| Cell::Int(t.months.get(i).map_or(0, |(_, v)| *v))));
                row
            })
            .collect();
        Table {
            sheet: "Theo tháng".into(),
            title: format!("Các chỉ tiêu theo tháng: {}", self.period_label()),
            header,
            rows,
        }
    }

    fn children_table(&self) -> Table {
        let mut header: Vec<String> = ["Mã", "Đơn vị", "Báo cáo đã nhận", "Độ phủ (%)", "Đã tập huấn (%)"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        header.extend(self.comparison.indicators.iter().map(|i| i.name.clone()));
        let rows = self
            .compare_rows()
            .into_iter()
            .map(|r| {
                let mut row = vec![
                    Cell::Text(r.code),
                    Cell::Text(r.name),
                    Cell::Int(r.received),
                    Cell::Percent(r.coverage),
                    Cell::Percent(r.trained),
                ];
                row.extend(r.totals.into_iter().map(Cell::Int));
                row
            })
            .collect();
        Table {
            sheet: "So sánh đơn vị".into(),
            title: format!("So sánh các đơn vị trực thuộc: {}", self.period_label()),
            header,
            rows,
        }
    }

    /// The comparison's rows, the unit's own last, with coverage and trained share beside.
    fn compare_rows(&self) -> Vec<CompareRow> {
        let reach_of = |code: &str| {
            if code == self.reach.code {
                Some(&self.reach)
            } else {
                self.reach.children.iter().find(|r| r.code == code)
            }
        };
        self.comparison
            .children
            .iter()
            .chain(std::iter::once(&self.comparison.unit))
            .map(|c| {
                let r = reach_of(&c.code);
                CompareRow {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    received: c.received,
                    coverage: r.map_or(0.0, Reach::coverage_percent),
                    trained: r.map_or(0.0, Reach::trained_percent),
                    totals: c.totals.clone(),
                    shown: c.totals.iter().map(|t| vn_number(*t)).collect(),
                }
            })
            .collect()
    }

    fn file(&self, what: &str) -> String {
        format!("{what}-{}-{}-{}", self.unit.code, self.from, self.to)
    }
}

struct CompareRow {
    code: String,
    name: String,
    received: i64,
    coverage: f64,
    trained: f64,
    totals: Vec<i64>,
    shown: Vec<String>,
}

/// One indicator's line on the page: its figures as read, and its chart.
struct IndicatorLine {
    name: String,
    unit_of_measure: String,
    total: String,
    chart: String,
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    c: Chrome,
    unit: Option<Unit>,
    from: YearMonth,
    to: YearMonth,
    lines: Vec<IndicatorLine>,
    /// `(month label, values as read)`.
    months: Vec<(String, Vec<String>)>,
    reach: Reach,
    compare: Vec<CompareRow>,
    headers: Vec<String>,
    /// The query of the exports: `unit=…&from=…&to=…`.
    query: String,
}

/// `GET /indicators?unit=&from=&to=`: the indicator dashboard of a unit for a period.
async fn indicators(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (from, to) = period(&q.from, &q.to)?;
    let unit = unit_for(&state, &v, &q.unit).await?;
    let c = Chrome::new(&v, None);
    let mut page = IndicatorsPage {
        c,
        unit: None,
        from,
        to,
        lines: Vec::new(),
        months: Vec::new(),
        reach: Reach::default(),
        compare: Vec::new(),
        headers: Vec::new(),
        query: String::new(),
    };
    if let Some(unit) = unit {
        let d = load(&state, &v, unit, from, to).await?;
        page.lines = d
            .totals
            .iter()
            .map(|t| IndicatorLine {
                name: t.name.clone(),
                unit_of_measure: t.unit_of_measure.clone(),
                total: vn_number(t.total),
                chart: crate::svg::month_bars(&t.name, &t.months),
            })
            .collect();
        let months = d.months_table();
        page.months = months
            .rows
            .iter()
            .map(|r| {
                let label = match r.first() {
                    Some(Cell::Text(m)) => YearMonth::parse(m).map(YearMonth::label).unwrap_or_else(|_| m.clone()),
                    _ => String::new(),
                };
                let values = r
                    .iter()
                    .skip(1)
                    .map(|c| match c {
                        Cell::Int(n) => vn_number(*n),
                        _ => String::new(),
                    })
                    .collect();
                (label, values)
            })
            .collect();
        page.headers = d.comparison.indicators.iter().map(|i| i.name.clone()).collect();
        page.compare = d.compare_rows();
        page.query = serde_urlencoded::to_string([
            ("unit", d.unit.code.as_str()),
            ("from", &from.to_string()),
            ("to", &to.to_string()),
        ])
        .unwrap_or_default();
        page.reach = d.reach;
        page.unit = Some(d.unit);
    }
    Ok(Html(page.render()?).into_response())
}

/// The dashboard named by an export's query: a unit is needed (404 when the reader sees none).
async fn dash_of(state: &AppState, v: &Viewer, q: &PeriodQuery) -> Result<Dash, AppError> {
    let (from, to) = period(&q.from, &q.to)?;
    let unit = unit_for(state, v, &q.unit)
        .await?
        .ok_or_else(|| AppError::NotFound("Không có đơn vị hành chính nào trong phạm vi được phân quyền".into()))?;
    load(state, v, unit, from, to).await
}

/// The table an export asks for (`table=totals|months|children`); `None` for every table.
fn table_of(d: &Dash, table: &str) -> Result<Option<Table>, AppError> {
    Ok(match table.trim() {
        "" => None,
        "totals" => Some(d.totals_table()),
        "months" => Some(d.months_table()),
        "children" => Some(d.children_table()),
        other => {
            return Err(AppError::BadRequest(format!(
                "Bảng “{other}” không có; chọn totals (tổng), months (theo tháng) hoặc children (so sánh đơn vị)"
            )));
        }
    })
}

/// `GET /indicators.xlsx`: one table (`table=`), or all three as sheets of one workbook.
async fn indicators_xlsx(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let d = dash_of(&state, &v, &q).await?;
    let tables = match table_of(&d, &q.table)? {
        Some(t) => vec![t],
        None => vec![d.totals_table(), d.months_table(), d.children_table()],
    };
    crate::export::xlsx_response(tables, &d.file("chi-tieu")).await
}

/// `GET /indicators.csv`: one table (`table=`, the totals by default).
async fn indicators_csv(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let d = dash_of(&state, &v, &q).await?;
    let t = table_of(&d, &q.table)?.unwrap_or_else(|| d.totals_table());
    let what = if q.table.trim().is_empty() { "totals" } else { q.table.trim() };
    Ok(crate::export::csv_response(&t, &d.file(&format!("chi-tieu-{what}"))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MonthQuery {
    unit: String,
    month: String,
    which: String,
    page: Option<i64>,
}

/// The unit and month of a completeness export or list; a unit is needed.
async fn unit_month(state: &AppState, v: &Viewer, q: &MonthQuery) -> Result<(Unit, YearMonth), AppError> {
    let month = month_param("month", &q.month, YearMonth::of(store::today()))?;
    let unit = unit_for(state, v, &q.unit)
        .await?
        .ok_or_else(|| AppError::NotFound("Không có đơn vị hành chính nào trong phạm vi được phân quyền".into()))?;
    Ok((unit, month))
}

fn completeness_table(f: &Completeness, month: YearMonth) -> Table {
    let row = |c: &Completeness| {
        vec![
            Cell::Text(c.code.clone()),
            Cell::Text(c.name.clone()),
            Cell::Int(c.expected),
            Cell::Int(c.received),
            Cell::Percent(c.received_percent),
            Cell::Int(c.on_time),
            Cell::Percent(c.on_time_percent),
        ]
    };
    Table {
        sheet: "Tỷ lệ báo cáo".into(),
        title: format!("Tỷ lệ báo cáo tháng {}: {} {}", month.label(), f.code, f.name),
        header: ["Mã", "Đơn vị / tổ", "Phải báo cáo", "Đã nhận", "Tỷ lệ đã nhận (%)", "Đúng hạn", "Tỷ lệ đúng hạn (%)"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        rows: std::iter::once(row(f)).chain(f.children.iter().map(row)).collect(),
    }
}

async fn completeness_of(state: &AppState, v: &Viewer, q: &MonthQuery) -> Result<(Table, String), AppError> {
    let (unit, month) = unit_month(state, v, q).await?;
    let f = reports::completeness(&state.db, &v.access.read, &unit.code, month).await?;
    Ok((completeness_table(&f, month), format!("ty-le-bao-cao-{}-{month}", unit.code)))
}

/// `GET /reports.xlsx?unit=&month=`: completeness of the unit and each child.
async fn completeness_xlsx(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let (t, file) = completeness_of(&state, &v, &q).await?;
    crate::export::xlsx_response(vec![t], &file).await
}

/// `GET /reports.csv?unit=&month=`: the same as CSV.
async fn completeness_csv(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let (t, file) = completeness_of(&state, &v, &q).await?;
    Ok(crate::export::csv_response(&t, &file))
}

fn which_param(value: &str) -> Result<Which, AppError> {
    match value.trim() {
        "" => Ok(Which::Received),
        w => Which::parse(w).map_err(AppError::BadRequest),
    }
}

/// A report's status as people read it.
fn status_label(l: &ReportLine) -> &'static str {
    match l.status.as_deref() {
        Some("submitted") => "Đã gửi",
        Some("approved") => "Đã duyệt",
        Some("draft") => "Bản nháp",
        Some("returned") => "Trả lại",
        _ => "Chưa có báo cáo",
    }
}

/// An RFC 3339 time as read in Vietnam, `dd/mm/yyyy hh:mm`.
fn vn_stamp(stamp: Option<&str>) -> String {
    let Some(s) = stamp else { return String::new() };
    let offset = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| {
            let t = t.to_offset(offset);
            format!("{} {:02}:{:02}", domain::input::format_date(t.date()), t.hour(), t.minute())
        })
        .unwrap_or_else(|_| s.to_owned())
}

fn list_table(lines: &[ReportLine], unit: &Unit, month: YearMonth, which: Which) -> Table {
    Table {
        sheet: which.label().into(),
        title: format!("{} tháng {}: {} {}", which.label(), month.label(), unit.code, unit.name),
        header: ["Mã số tổ", "Tổ", "Thôn", "Xã / Phường", "Trạng thái", "Hạn nộp", "Thời điểm gửi"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        rows: lines
            .iter()
            .map(|l| {
                vec![
                    Cell::Int(l.team_id),
                    Cell::Text(l.team.clone()),
                    Cell::Text(l.village.clone()),
                    Cell::Text(l.commune.clone()),
                    Cell::Text(status_label(l).to_owned()),
                    Cell::Text(deadline_label(l).to_owned()),
                    Cell::Text(vn_stamp(l.submitted_at.as_deref())),
                ]
            })
            .collect(),
    }
}

fn deadline_label(l: &ReportLine) -> &'static str {
    match (l.report_id.is_some() && matches!(l.status.as_deref(), Some("submitted" | "approved")), l.late) {
        (false, _) => "",
        (true, true) => "Trễ hạn",
        (true, false) => "Đúng hạn",
    }
}

/// One line of the list as the page shows it.
struct ListLine {
    team_id: i64,
    team: String,
    village: String,
    commune: String,
    status: &'static str,
    deadline: &'static str,
    submitted: String,
}

#[derive(Template)]
#[template(path = "reports_list.html")]
struct ListPage {
    c: Chrome,
    unit: Unit,
    month: YearMonth,
    which: Which,
    lines: Vec<ListLine>,
    pager: Pager,
    query: String,
}

impl ListPage {
    fn title(&self) -> &'static str {
        match self.which {
            Which::Received => self.c.lang.t("Báo cáo đã nhận", "Reports received"),
            Which::OnTime => self.c.lang.t("Báo cáo đúng hạn", "Reports on time"),
            Which::Late => self.c.lang.t("Báo cáo trễ hạn", "Reports late"),
            Which::NotReported => self.c.lang.t("Tổ chưa báo cáo", "Teams not reported"),
        }
    }

    fn tabs(&self) -> Vec<(&'static str, &'static str, bool)> {
        let l = self.c.lang;
        vec![
            ("received", l.t("Đã nhận", "Received"), self.which == Which::Received),
            ("on_time", l.t("Đúng hạn", "On time"), self.which == Which::OnTime),
            ("late", l.t("Trễ hạn", "Late"), self.which == Which::Late),
            ("not_reported", l.t("Chưa báo cáo", "Not reported"), self.which == Which::NotReported),
        ]
    }
}

/// `GET /reports/list?unit=&month=&which=received|on_time|late|not_reported&page=`: the reports
/// behind a completeness figure, 50 a page, each linking to the team's report of the month.
async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    let which = which_param(&q.which)?;
    let (unit, month) = unit_month(&state, &v, &q).await?;
    let page = PageRequest::new(q.page.unwrap_or(1), 50);
    let found = dashboard::reports_behind(&state.db, &v.access.read, &unit.code, month, which, page).await?;
    let m = month.to_string();
    let pager = Pager::new(&found, "/reports/list", &[("unit", &unit.code), ("month", &m), ("which", which.code())]);
    let lines = found
        .items
        .iter()
        .map(|l| ListLine {
            team_id: l.team_id,
            team: l.team.clone(),
            village: l.village.clone(),
            commune: l.commune.clone(),
            status: status_label(l),
            deadline: deadline_label(l),
            submitted: vn_stamp(l.submitted_at.as_deref()),
        })
        .collect();
    let query = serde_urlencoded::to_string([("unit", unit.code.as_str()), ("month", &m), ("which", which.code())])
        .unwrap_or_default();
    let page = ListPage { c: Chrome::new(&v, None), unit, month, which, lines, pager, query };
    Ok(Html(page.render()?).into_response())
}

async fn list_all(state: &AppState, v: &Viewer, q: &MonthQuery) -> Result<(Table, String), AppError> {
    let which = which_param(&q.which)?;
    let (unit, month) = unit_month(state, v, q).await?;
    let found =
        dashboard::reports_behind(&state.db, &v.access.read, &unit.code, month, which, PageRequest::all()).await?;
    let file = format!("bao-cao-{}-{}-{month}", which.code().replace('_', "-"), unit.code);
    Ok((list_table(&found.items, &unit, month, which), file))
}

/// `GET /reports/list.xlsx`: every line of the list.
async fn list_xlsx(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let (t, file) = list_all(&state, &v, &q).await?;
    crate::export::xlsx_response(vec![t], &file).await
}

/// `GET /reports/list.csv`: the same as CSV.
async fn list_csv(State(state): State<AppState>, v: Viewer, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    let (t, file) = list_all(&state, &v, &q).await?;
    Ok(crate::export::csv_response(&t, &file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_default_to_the_last_twelve_months_and_refuse_backwards() {
        let (from, to) = period("", "2025-03").expect("period");
        assert_eq!((from.to_string(), to.to_string()), ("2024-04".into(), "2025-03".into()));
        let (from, _) = period("", "2025-12").expect("period");
        assert_eq!(from.to_string(), "2025-01");
        assert!(matches!(period("2025-05", "2025-04"), Err(AppError::BadRequest(_))));
        assert!(matches!(period("2025-13", ""), Err(AppError::BadRequest(m)) if m.contains("from")));
        assert!(matches!(period("2015-01", "2025-01"), Err(AppError::BadRequest(_))), "too long");
    }

    #[test]
    fn stamps_are_read_in_vietnam() {
        assert_eq!(vn_stamp(Some("2025-01-31T18:30:00Z")), "01/02/2025 01:30");
        assert_eq!(vn_stamp(None), "");
    }
}
