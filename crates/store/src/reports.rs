//! Indicators (chỉ tiêu) as data, monthly team reports from draft to approval, and the totals and
//! counts kept beside them in the same transaction as every submission and return, so that
//! completeness and indicator dashboards read a few rows per commune instead of every value.
//!
//! A report is expected from every team active on the 15th of its month (the rule of
//! [`domain::funding`]); it is on time when submitted on or before the deadline day of the
//! following month (setting `report_deadline_day`, 5 by default, in Vietnam's time).

use domain::funding::YearMonth;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Db, Scope, StoreError, iso, now};

/// Replaces a report's values, inside a transaction of either database.
macro_rules! write_values {
    ($tx:ident, $id:expr, $values:expr) => {{
        sqlx::query("delete from report_value where team_report_id = $1").bind($id).execute(&mut *$tx).await?;
        for (indicator, value) in $values {
            sqlx::query("insert into report_value (team_report_id, indicator_id, value) values ($1, $2, $3)")
                .bind($id)
                .bind(*indicator)
                .bind(*value)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Adds (`sign` 1) or takes away (`sign` -1) a report's values from the kept totals (its
/// commune's and those of every unit above it) and counts, inside a transaction of either
/// database.
macro_rules! move_totals {
    ($tx:ident, $id:expr, $sign:expr) => {{
        sqlx::query(
            "insert into report_total (commune_id, month, indicator_id, total) \
             select r.commune_id, r.month, rv.indicator_id, rv.value * $2 from team_report r \
             join report_value rv on rv.team_report_id = r.team_report_id where r.team_report_id = $1 \
             on conflict (commune_id, month, indicator_id) do update set total = report_total.total + excluded.total",
        )
        .bind($id)
        .bind($sign)
        .execute(&mut *$tx)
        .await?;
        // The same values in every unit above the commune (district, province), for their
        // dashboards: one row per indicator and month in each.
        let (path,): (String,) = sqlx::query_as(
            "select c.path from team_report r join unit c on c.unit_id = r.commune_id where r.team_report_id = $1",
        )
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        for above in $crate::reports::units_above(&path) {
            sqlx::query(
                "insert into report_rollup (unit_id, month, indicator_id, total) \
                 select a.unit_id, r.month, rv.indicator_id, rv.value * $2 from team_report r \
                 join report_value rv on rv.team_report_id = r.team_report_id join unit a on a.path = $3 and a.valid_to is null \
                 where r.team_report_id = $1 \
                 on conflict (unit_id, month, indicator_id) do update set total = report_rollup.total + excluded.total",
            )
            .bind($id)
            .bind($sign)
            .bind(above)
            .execute(&mut *$tx)
            .await?;
        }
        sqlx::query(
            "insert into report_count (commune_id, month, received, on_time) \
             select commune_id, month, $2, case when late = 0 then $2 else 0 end from team_report \
             where team_report_id = $1 \
             on conflict (commune_id, month) do update set received = report_count.received + excluded.received, \
             on_time = report_count.on_time + excluded.on_time",
        )
        .bind($id)
        .bind($sign)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// The paths of the units above a unit, from the top: `49/502/20335/` gives `49/` and `49/502/`.
pub(crate) fn units_above(path: &str) -> Vec<&str> {
    path.match_indices('/').map(|(i, _)| &path[..=i]).filter(|p| p.len() < path.len()).collect()
}

/// The deadline day when the province has set none.
pub const DEFAULT_DEADLINE_DAY: u8 = 5;

/// The demo's catalogue: what the teams of the source report do for residents.
pub const DEMO_INDICATORS: [(&str, &str, &str); 9] = [
    ("dvc_huong_dan", "Số người dân được hướng dẫn nộp hồ sơ dịch vụ công trực tuyến", "người"),
    ("dvc_ho_so", "Số hồ sơ dịch vụ công trực tuyến đã nộp", "hồ sơ"),
    ("vneid_muc_2", "Số tài khoản định danh điện tử VNeID mức 2 được hỗ trợ kích hoạt", "tài khoản"),
    ("ttktm_tai_khoan", "Số tài khoản thanh toán không dùng tiền mặt được mở", "tài khoản"),
    ("tmdt_ho_tro", "Số người dân được hỗ trợ mua, bán hàng trực tuyến", "người"),
    ("kiosk_ho_tro", "Số người dân được hỗ trợ tại ki-ốt dịch vụ công", "người"),
    ("ho_5_ky_nang", "Số hộ có thành viên thành thạo 5 kỹ năng số cơ bản", "hộ"),
    ("buoi_ho_tro", "Số buổi hỗ trợ, tuyên truyền đã tổ chức", "buổi"),
    ("nguoi_tiep_can", "Số lượt người dân được tiếp cận", "lượt"),
];

/// One indicator of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Indicator {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit_of_measure: String,
    pub sort_order: i64,
}

/// The active indicators, in their order.
///
/// # Errors
/// Database errors.
pub async fn indicators(db: &Db) -> Result<Vec<Indicator>, StoreError> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select indicator_id as id, code, name, unit_of_measure, sort_order from indicator where active = 1 \
         order by sort_order, indicator_id"
    )
    .fetch_all(pool)
    .await)?)
}

/// Adds an indicator to the catalogue (no code change needed).
///
/// # Errors
/// `Invalid` for an empty code or name, a code other than lower-case letters, digits and `_`;
/// `Conflict` for a code in use.
pub async fn add_indicator(db: &Db, code: &str, name: &str, unit: &str, order: i64) -> Result<i64, StoreError> {
    let code = code.trim().to_owned();
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(StoreError::invalid("code", "Mã chỉ tiêu gồm chữ thường không dấu, chữ số và dấu gạch dưới"));
    }
    let name = domain::text::clean(name);
    if name.is_empty() {
        return Err(StoreError::invalid("name", "Chưa nhập tên chỉ tiêu"));
    }
    let unit = domain::text::clean(unit);
    let stamp = now();
    let r: Result<i64, StoreError> = in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into indicator (code, name, unit_of_measure, sort_order, active, created_at) \
             values ($1, $2, $3, $4, 1, $5) returning indicator_id",
        )
        .bind(&code)
        .bind(&name)
        .bind(&unit)
        .bind(order)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(
            tx,
            crate::audit::Event::new("indicator", id, "create")
                .after(serde_json::json!({ "code": code, "name": name, "unit": unit }))
        );
        Ok::<i64, StoreError>(id)
    });
    r.map_err(|e| {
        if e.is_unique_violation() {
            StoreError::conflict("code", format!("Mã chỉ tiêu “{code}” đã có"))
        } else {
            e
        }
    })
}

/// The province's deadline: the day of the following month by which a month's report is due.
///
/// # Errors
/// Database errors.
pub async fn deadline_day(db: &Db) -> Result<u8, StoreError> {
    Ok(db
        .setting("report_deadline_day")
        .await?
        .and_then(|d| d.parse::<u8>().ok())
        .filter(|d| (1..=28).contains(d))
        .unwrap_or(DEFAULT_DEADLINE_DAY))
}

/// Sets the province's deadline day (1 to 28, so that every month has it), with its audit row.
/// Reports already submitted keep their lateness; the new day judges the submissions to come.
///
/// # Errors
/// `Invalid` for anything but a whole number from 1 to 28.
pub async fn set_deadline_day(db: &Db, typed: &str) -> Result<u8, StoreError> {
    let day = typed
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|d| (1..=28).contains(d))
        .ok_or_else(|| StoreError::invalid("deadline_day", "Hạn báo cáo là một ngày từ 1 đến 28 của tháng sau"))?;
    let before = deadline_day(db).await?;
    in_tx!(db, |tx| {
        sqlx::query(
            "insert into setting (key, value) values ('report_deadline_day', $1) \
             on conflict (key) do update set value = excluded.value",
        )
        .bind(day.to_string())
        .execute(&mut *tx)
        .await?;
        audit!(
            tx,
            crate::audit::Event {
                entity: "setting",
                entity_id: None,
                action: "report_deadline_day",
                unit_path: None,
                before: Some(serde_json::json!({ "day": before })),
                after: Some(serde_json::json!({ "day": day }))
            }
        );
        Ok::<(), StoreError>(())
    })?;
    Ok(day)
}

/// The day a month's reports are due: the deadline day of the following month.
///
/// # Errors
/// Database errors.
pub async fn due_day(db: &Db, month: YearMonth) -> Result<time::Date, StoreError> {
    let day = deadline_day(db).await?;
    Ok(month.next().first_day().replace_day(day).unwrap_or(month.next().first_day()))
}

/// A team's report of a month, with its values by indicator code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub id: i64,
    pub team_id: i64,
    pub team: String,
    pub month: String,
    pub status: String,
    pub late: bool,
    pub submitted_at: Option<String>,
    pub submitted_by: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub comment: String,
    #[serde(skip)]
    pub commune_path: String,
    /// `(indicator code, value)`, in catalogue order.
    pub values: Vec<(String, i64)>,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    team_id: i64,
    team: String,
    month: String,
    status: String,
    late: i64,
    submitted_at: Option<String>,
    submitted_by: Option<String>,
    decided_at: Option<String>,
    decided_by: Option<String>,
    comment: String,
    commune_path: String,
}

const REPORT_SELECT: &str = "select r.team_report_id as id, r.team_id, t.name as team, r.month, r.status, r.late, \
    r.submitted_at, r.submitted_by, r.decided_at, r.decided_by, r.comment, c.path as commune_path \
    from team_report r join team t on t.team_id = r.team_id join village v on v.village_id = t.village_id \
    join unit c on c.unit_id = v.commune_id";

async fn values_of(db: &Db, report_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select i.code, rv.value from report_value rv join indicator i on i.indicator_id = rv.indicator_id \
         where rv.team_report_id = $1 order by i.sort_order, i.indicator_id"
    )
    .bind(report_id)
    .fetch_all(pool)
    .await)?)
}

async fn finish(db: &Db, row: ReportRow) -> Result<Report, StoreError> {
    let values = values_of(db, row.id).await?;
    Ok(Report {
        id: row.id,
        team_id: row.team_id,
        team: row.team,
        month: row.month,
        status: row.status,
        late: row.late != 0,
        submitted_at: row.submitted_at,
        submitted_by: row.submitted_by,
        decided_at: row.decided_at,
        decided_by: row.decided_by,
        comment: row.comment,
        commune_path: row.commune_path,
        values,
    })
}

/// A report by id, if its team is in scope.
///
/// # Errors
/// `NotFound`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Report, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!("{REPORT_SELECT} where r.team_report_id = $1 and {cond}");
    let row: Option<ReportRow> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(pool).await
    })?;
    finish(db, row.ok_or_else(|| StoreError::not_found("Không tìm thấy báo cáo này"))?).await
}

/// A team's report of a month, if any (the team must be in scope).
///
/// # Errors
/// `NotFound` for a team out of scope.
pub async fn of_team(db: &Db, scope: &Scope, team_id: i64, month: YearMonth) -> Result<Option<Report>, StoreError> {
    crate::teams::get(db, scope, team_id).await?;
    let sql = format!("{REPORT_SELECT} where r.team_id = $1 and r.month = $2");
    let row: Option<ReportRow> = on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(team_id)
        .bind(month.to_string())
        .fetch_optional(pool)
        .await)?;
    match row {
        Some(r) => Ok(Some(finish(db, r).await?)),
        None => Ok(None),
    }
}

/// Reads values typed by indicator code: every code must be in the catalogue, every value a
/// whole number, zero or more.
///
/// # Errors
/// `Invalid`, naming the indicator.
pub async fn check_values(db: &Db, typed: &[(String, String)]) -> Result<Vec<(i64, i64)>, StoreError> {
    let catalogue = indicators(db).await?;
    let mut out = Vec::new();
    for (code, raw) in typed {
        let Some(ind) = catalogue.iter().find(|i| i.code == code.trim()) else {
            return Err(StoreError::invalid("values", format!("Không có chỉ tiêu mã “{}”", code.trim())));
        };
        let raw = raw.trim().replace(['.', ' '], "");
        let value = if raw.is_empty() {
            0
        } else {
            raw.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0 && *v <= 10_000_000)
                .ok_or_else(|| StoreError::invalid("values", format!("{}: cần một số nguyên từ 0 trở lên", ind.name)))?
        };
        out.push((ind.id, value));
    }
    Ok(out)
}

/// Whether a month may be reported on a day: not before the month has begun.
fn reportable(month: YearMonth, today: time::Date) -> Result<(), StoreError> {
    if month.first_day() > today {
        return Err(StoreError::invalid("month", format!("Tháng {} chưa đến; chưa báo cáo được", month.label())));
    }
    Ok(())
}

/// Saves a draft (new, a draft again, or a returned report being corrected).
///
/// # Errors
/// `NotFound` for a team out of scope; `Invalid` values or month; `Conflict` when the report is
/// submitted or approved.
pub async fn save_draft(
    db: &Db,
    scope: &Scope,
    team_id: i64,
    month: YearMonth,
    values: &[(i64, i64)],
) -> Result<i64, StoreError> {
    reportable(month, crate::today())?;
    let team = crate::teams::get(db, scope, team_id).await?;
    let existing = of_team(db, scope, team_id, month).await?;
    if let Some(r) = &existing
        && (r.status == "submitted" || r.status == "approved")
    {
        return Err(StoreError::conflict("status", "Báo cáo đã gửi; không sửa bản nháp được"));
    }
    let commune = commune_id_of(db, team_id).await?;
    let stamp = now();
    let this = month.to_string();
    in_tx!(db, |tx| {
        let id = match &existing {
            Some(r) => {
                sqlx::query("update team_report set updated_at = $2 where team_report_id = $1")
                    .bind(r.id)
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
                r.id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "insert into team_report (team_id, month, status, commune_id, created_at, updated_at) \
                     values ($1, $2, 'draft', $3, $4, $4) returning team_report_id",
                )
                .bind(team_id)
                .bind(&this)
                .bind(commune)
                .bind(&stamp)
                .fetch_one(&mut *tx)
                .await?;
                id
            }
        };
        write_values!(tx, id, values);
        audit!(
            tx,
            crate::audit::Event::new("team_report", id, "draft")
                .unit(&team.commune_path)
                .after(serde_json::json!({ "month": this, "values": values }))
        );
        Ok::<i64, StoreError>(id)
    })
}

/// The commune a team's village lies in today.
pub(crate) async fn commune_id_of(db: &Db, team_id: i64) -> Result<i64, StoreError> {
    let (c,): (i64,) = on_db!(db, |pool| sqlx::query_as(
        "select v.commune_id from team t join village v on v.village_id = t.village_id where t.team_id = $1"
    )
    .bind(team_id)
    .fetch_one(pool)
    .await)?;
    Ok(c)
}

/// What a submission came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub id: i64,
    pub late: bool,
    /// False when the same submission (same key) had arrived already: nothing was done twice.
    pub created: bool,
}

/// Submits a team's report of a month with its values. Sending the same submission again (the
/// same `submission_key`, as a phone resends after a dropped connection) returns the report
/// already made and changes nothing. The report counts at once in the kept totals.
///
/// # Errors
/// `NotFound` for a team out of scope; `Invalid` values or month; `Conflict` when the month's
/// report was already submitted or approved.
pub async fn submit(
    db: &Db,
    scope: &Scope,
    team_id: i64,
    month: YearMonth,
    values: &[(i64, i64)],
    submission_key: Option<&str>,
) -> Result<Submitted, StoreError> {
    let key = submission_key.map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned);
    if let Some(k) = &key {
        let seen: Option<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(
            "select team_report_id, late from team_report where submission_key = $1"
        )
        .bind(k)
        .fetch_optional(pool)
        .await)?;
        if let Some((id, late)) = seen {
            return Ok(Submitted { id, late: late != 0, created: false });
        }
    }
    reportable(month, crate::today())?;
    let team = crate::teams::get(db, scope, team_id).await?;
    let existing = of_team(db, scope, team_id, month).await?;
    if let Some(r) = &existing
        && (r.status == "submitted" || r.status == "approved")
    {
        return Err(StoreError::conflict("status", format!("Tổ đã gửi báo cáo tháng {}", month.label())));
    }
    let late = crate::today() > due_day(db, month).await?;
    let commune = commune_id_of(db, team_id).await?;
    let actor = crate::audit::current().login;
    let stamp = now();
    let this = month.to_string();
    let r: Result<i64, StoreError> = in_tx!(db, |tx| {
        let id = match &existing {
            Some(r) => {
                sqlx::query(
                    "update team_report set status = 'submitted', commune_id = $2, submission_key = $3, submitted_at = $4, \
                     submitted_by = $5, late = $6, updated_at = $4 where team_report_id = $1 and status in ('draft', 'returned')",
                )
                .bind(r.id)
                .bind(commune)
                .bind(&key)
                .bind(&stamp)
                .bind(&actor)
                .bind(i64::from(late))
                .execute(&mut *tx)
                .await?;
                r.id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "insert into team_report (team_id, month, status, commune_id, submission_key, submitted_at, submitted_by, \
                     late, created_at, updated_at) values ($1, $2, 'submitted', $3, $4, $5, $6, $7, $5, $5) \
                     returning team_report_id",
                )
                .bind(team_id)
                .bind(&this)
                .bind(commune)
                .bind(&key)
                .bind(&stamp)
                .bind(&actor)
                .bind(i64::from(late))
                .fetch_one(&mut *tx)
                .await?;
                id
            }
        };
        write_values!(tx, id, values);
        move_totals!(tx, id, 1_i64);
        audit!(
            tx,
            crate::audit::Event::new("team_report", id, "submit")
                .unit(&team.commune_path)
                .after(serde_json::json!({ "month": this, "late": late, "values": values }))
        );
        Ok::<i64, StoreError>(id)
    });
    match r {
        Ok(id) => Ok(Submitted { id, late, created: true }),
        // Two sends of one submission raced: the other one made it.
        Err(e) if e.is_unique_violation() => {
            let seen: Option<(i64, i64)> = on_db!(db, |pool| {
                sqlx::query_as(
                "select team_report_id, late from team_report where submission_key = $1 or (team_id = $2 and month = $3)"
            )
            .bind(key.clone().unwrap_or_default())
            .bind(team_id)
            .bind(&this)
            .fetch_optional(pool)
            .await
            })?;
            match seen {
                Some((id, late)) if key.is_some() => Ok(Submitted { id, late: late != 0, created: false }),
                _ => Err(StoreError::conflict("status", format!("Tổ đã gửi báo cáo tháng {}", month.label()))),
            }
        }
        Err(e) => Err(e),
    }
}

/// Approves a submitted report: it is locked from then on.
///
/// # Errors
/// `NotFound` out of scope; `Conflict` unless submitted.
pub async fn approve(db: &Db, scope: &Scope, id: i64) -> Result<(), StoreError> {
    decide(db, scope, id, true, "").await
}

/// Returns a submitted report to its team with a comment; it stops counting until resubmitted.
///
/// # Errors
/// `NotFound` out of scope; `Invalid` without a comment; `Conflict` unless submitted.
pub async fn send_back(db: &Db, scope: &Scope, id: i64, comment: &str) -> Result<(), StoreError> {
    let comment = domain::text::clean(comment);
    if comment.is_empty() {
        return Err(StoreError::invalid("comment", "Ghi rõ lý do trả lại để tổ sửa"));
    }
    decide(db, scope, id, false, &comment).await
}

async fn decide(db: &Db, scope: &Scope, id: i64, approve: bool, comment: &str) -> Result<(), StoreError> {
    let r = get(db, scope, id).await?;
    if r.status != "submitted" {
        let message = match r.status.as_str() {
            "approved" => "Báo cáo đã duyệt và đã khóa",
            _ => "Báo cáo chưa gửi",
        };
        return Err(StoreError::conflict("status", message));
    }
    let actor = crate::audit::current().login;
    let stamp = now();
    let status = if approve { "approved" } else { "returned" };
    in_tx!(db, |tx| {
        let done = sqlx::query(
            "update team_report set status = $2, decided_at = $3, decided_by = $4, comment = $5, submission_key = null, \
             updated_at = $3 where team_report_id = $1 and status = 'submitted'",
        )
        .bind(id)
        .bind(status)
        .bind(&stamp)
        .bind(&actor)
        .bind(comment)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::conflict("status", "Báo cáo vừa được người khác xét; hãy tải lại"));
        }
        if !approve {
            move_totals!(tx, id, -1_i64);
        }
        audit!(
            tx,
            crate::audit::Event::new("team_report", id, if approve { "approve" } else { "return" })
                .unit(&r.commune_path)
                .before(serde_json::json!({ "status": "submitted" }))
                .after(serde_json::json!({ "status": status, "comment": comment }))
        );
        Ok::<(), StoreError>(())
    })
}

/// Completeness and timeliness of one unit (or village) for a month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Completeness {
    pub code: String,
    pub name: String,
    /// Teams active on the 15th of the month.
    pub expected: i64,
    /// Reports submitted or approved.
    pub received: i64,
    /// Of those, submitted by the deadline.
    pub on_time: i64,
    /// Per hundred expected, to one decimal (display only; the counts are the figures).
    pub received_percent: f64,
    pub on_time_percent: f64,
    pub children: Vec<Completeness>,
}

fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let p = part as f64 * 100.0 / whole as f64;
    (p * 10.0).round() / 10.0
}

impl Completeness {
    fn finish(mut self) -> Self {
        self.received_percent = percent(self.received, self.expected);
        self.on_time_percent = percent(self.on_time, self.expected);
        self
    }
}

/// Expected (active teams) per current commune path within scope, for a month's 15th, from the
/// kept tally of teams (migration 0010): a few rows per commune instead of every team.
async fn expected_by_commune(
    db: &Db,
    scope: &Scope,
    under: &str,
    month: YearMonth,
) -> Result<Vec<(String, i64)>, StoreError> {
    let (cond, values) = scope.condition("c.path", 3);
    let sql = format!(
        "select c.path, cast(sum(k.teams) as bigint) from team_tally k join unit c on c.unit_id = k.commune_id \
         where c.path like $1 and k.from_month <= $2 and k.to_month > $2 and {cond} group by c.path \
         having sum(k.teams) > 0"
    );
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(format!("{under}%")).bind(month.to_string());
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// The first month whose 15th (the deciding day) is on or after `day`: the first month a team
/// founded that day is expected to report, or the first it no longer is after dissolving.
fn first_month_on_or_after(day: time::Date) -> YearMonth {
    let month = YearMonth::of(day);
    if day <= month.deciding_day() { month } else { month.next() }
}

/// Received and on-time counts per commune path within scope (the kept counts).
async fn counts_by_commune(
    db: &Db,
    scope: &Scope,
    under: &str,
    month: YearMonth,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let (cond, values) = scope.condition("c.path", 3);
    let sql = format!(
        "select c.path, k.received, k.on_time from report_count k join unit c on c.unit_id = k.commune_id \
         where c.path like $1 and k.month = $2 and {cond}"
    );
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(format!("{under}%")).bind(month.to_string());
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// Completeness of a current unit for a month within scope, with one row per child unit (a
/// commune's villages with a team).
///
/// # Errors
/// `NotFound` for a unit; database errors.
pub async fn completeness(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    month: YearMonth,
) -> Result<Completeness, StoreError> {
    let unit = crate::units::by_code(db, unit_code).await?;
    let expected = expected_by_commune(db, scope, &unit.path, month).await?;
    let counts = counts_by_commune(db, scope, &unit.path, month).await?;
    let mut whole = Completeness { code: unit.code.clone(), name: unit.name.clone(), ..Completeness::default() };
    whole.expected = expected.iter().map(|(_, n)| n).sum();
    whole.received = counts.iter().map(|(_, r, _)| r).sum();
    whole.on_time = counts.iter().map(|(_, _, o)| o).sum();
    if unit.level == "commune" {
        for m in missing(db, scope, &unit.path, month)
            .await?
            .into_iter()
            .chain(reported(db, scope, &unit.path, month).await?)
        {
            whole.children.push(m.finish());
        }
        whole.children.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        for child in crate::units::children(db, &unit).await? {
            let mut c = Completeness { code: child.code.clone(), name: child.name.clone(), ..Completeness::default() };
            c.expected = expected.iter().filter(|(p, _)| p.starts_with(&child.path)).map(|(_, n)| n).sum();
            c.received = counts.iter().filter(|(p, _, _)| p.starts_with(&child.path)).map(|(_, r, _)| r).sum();
            c.on_time = counts.iter().filter(|(p, _, _)| p.starts_with(&child.path)).map(|(_, _, o)| o).sum();
            if c.expected > 0 || c.received > 0 || scope.covers(&child.path) {
                whole.children.push(c.finish());
            }
        }
    }
    Ok(whole.finish())
}

/// A team as the completeness list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TeamDue {
    pub team_id: i64,
    pub team: String,
    pub village: String,
    pub commune: String,
}

/// The teams expected to report for a month within a unit that have not (no report, a draft, or
/// a returned one).
///
/// # Errors
/// Database errors.
pub async fn not_reported(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    month: YearMonth,
) -> Result<Vec<TeamDue>, StoreError> {
    let unit = crate::units::by_code(db, unit_code).await?;
    let (cond, values) = scope.condition("c.path", 4);
    let sql = format!(
        "select t.team_id, t.name as team, v.name as village, c.name as commune from team t \
         join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
         where c.path like $1 and t.established_on <= $2 and (t.dissolved_on is null or t.dissolved_on > $2) and {cond} \
         and not exists (select 1 from team_report r where r.team_id = t.team_id and r.month = $3 \
                         and r.status in ('submitted', 'approved')) \
         order by c.path, v.sort_key, t.team_id"
    );
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()))
            .bind(format!("{}%", unit.path))
            .bind(iso(month.deciding_day()))
            .bind(month.to_string());
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

async fn missing(db: &Db, scope: &Scope, path: &str, month: YearMonth) -> Result<Vec<Completeness>, StoreError> {
    let code = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    Ok(not_reported(db, scope, code, month)
        .await?
        .into_iter()
        .map(|t| Completeness {
            code: format!("t{}", t.team_id),
            name: t.village,
            expected: 1,
            ..Completeness::default()
        })
        .collect())
}

async fn reported(db: &Db, scope: &Scope, path: &str, month: YearMonth) -> Result<Vec<Completeness>, StoreError> {
    let (cond, values) = scope.condition("c.path", 3);
    let sql = format!(
        "select t.team_id, v.name, r.late from team_report r join team t on t.team_id = r.team_id \
         join village v on v.village_id = t.village_id join unit c on c.unit_id = r.commune_id \
         where c.path like $1 and r.month = $2 and r.status in ('submitted', 'approved') and {cond}"
    );
    let rows: Vec<(i64, String, i64)> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(format!("{path}%")).bind(month.to_string());
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(t, name, late)| Completeness {
            code: format!("t{t}"),
            name,
            expected: 1,
            received: 1,
            on_time: i64::from(late == 0),
            ..Completeness::default()
        })
        .collect())
}

/// One indicator's total over a period, and month by month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorTotal {
    pub code: String,
    pub name: String,
    pub unit_of_measure: String,
    pub total: i64,
    /// `(month, value)` for every month of the period, zero included.
    pub months: Vec<(String, i64)>,
}

/// Indicator totals of a current unit within scope, from month `from` to `to` (inclusive), read
/// from the kept totals.
///
/// # Errors
/// `NotFound` for a unit; `Invalid` for a period that ends before it begins.
pub async fn indicator_totals(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    from: YearMonth,
    to: YearMonth,
) -> Result<Vec<IndicatorTotal>, StoreError> {
    if to < from {
        return Err(StoreError::invalid("to", "Tháng cuối trước tháng đầu"));
    }
    let unit = crate::units::by_code(db, unit_code).await?;
    let rows: Vec<(i64, String, i64)> = if unit.level != "commune" && scope.covers(&unit.path) {
        // The whole unit is in scope: its own kept totals, nine rows a month.
        on_db!(db, |pool| sqlx::query_as(
            "select indicator_id, month, total from report_rollup where unit_id = $1 and month >= $2 and month <= $3"
        )
        .bind(unit.unit_id)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(pool)
        .await)?
    } else {
        let (cond, values) = scope.condition("c.path", 4);
        let sql = format!(
            "select k.indicator_id, k.month, cast(sum(k.total) as bigint) from report_total k \
             join unit c on c.unit_id = k.commune_id where c.path like $1 and k.month >= $2 and k.month <= $3 and {cond} \
             group by k.indicator_id, k.month"
        );
        on_db!(db, |pool| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()))
                .bind(format!("{}%", unit.path))
                .bind(from.to_string())
                .bind(to.to_string());
            for v in &values {
                q = q.bind(v);
            }
            q.fetch_all(pool).await
        })?
    };
    let mut months = Vec::new();
    let mut m = from;
    while m <= to {
        months.push(m.to_string());
        m = m.next();
    }
    Ok(indicators(db)
        .await?
        .into_iter()
        .map(|i| {
            let by_month: Vec<(String, i64)> = months
                .iter()
                .map(|mm| {
                    let v = rows.iter().filter(|(id, rm, _)| *id == i.id && rm == mm).map(|(_, _, v)| v).sum();
                    (mm.clone(), v)
                })
                .collect();
            IndicatorTotal {
                total: by_month.iter().map(|(_, v)| v).sum(),
                code: i.code,
                name: i.name,
                unit_of_measure: i.unit_of_measure,
                months: by_month,
            }
        })
        .collect())
}

/// Recounts the kept totals and counts from every report, inside a transaction (after a
/// reorganisation moved villages, every report follows its team's village first).
pub(crate) const REKEY_REPORTS: &str = "update team_report set commune_id = (select v.commune_id from team t \
    join village v on v.village_id = t.village_id where t.team_id = team_report.team_id)";
pub(crate) const CLEAR_TOTALS: &str = "delete from report_total";
pub(crate) const RECOUNT_TOTALS: &str = "insert into report_total (commune_id, month, indicator_id, total) \
    select r.commune_id, r.month, rv.indicator_id, sum(rv.value) from team_report r \
    join report_value rv on rv.team_report_id = r.team_report_id where r.status in ('submitted', 'approved') \
    group by r.commune_id, r.month, rv.indicator_id";
pub(crate) const CLEAR_ROLLUP: &str = "delete from report_rollup";
/// The totals of every current unit above a commune, from the commune totals (after
/// `RECOUNT_TOTALS`).
pub(crate) const RECOUNT_ROLLUP: &str = "with above (unit_id, commune_id) as materialized (\
    select a.unit_id, c.unit_id from unit a join unit c on a.valid_to is null and a.level <> 'commune' \
    and c.unit_id <> a.unit_id and substr(c.path, 1, length(a.path)) = a.path) \
    insert into report_rollup (unit_id, month, indicator_id, total) \
    select x.unit_id, k.month, k.indicator_id, cast(sum(k.total) as bigint) from above x \
    join report_total k on k.commune_id = x.commune_id group by x.unit_id, k.month, k.indicator_id";
pub(crate) const CLEAR_COUNTS: &str = "delete from report_count";
pub(crate) const RECOUNT_COUNTS: &str = "insert into report_count (commune_id, month, received, on_time) \
    select commune_id, month, count(*), sum(case when late = 0 then 1 else 0 end) from team_report \
    where status in ('submitted', 'approved') group by commune_id, month";

/// Rebuilds the kept totals and counts from every report, and the tally of teams expected, in one
/// transaction: after figures were loaded around the application (a bulk import), or when
/// `verify` found a difference.
///
/// # Errors
/// Database errors.
pub async fn recount(db: &Db) -> Result<(), StoreError> {
    let tally = match db {
        Db::Sqlite(_) => RECOUNT_TALLY_SQLITE,
        Db::Postgres(_) => RECOUNT_TALLY_POSTGRES,
    };
    in_tx!(db, |tx| {
        for sql in RECOUNT.into_iter().chain(["delete from team_tally", tally]) {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        Ok::<(), StoreError>(())
    })
}

/// The tally of teams by commune and the months they are expected in (as migration 0010 fills
/// it), on each backend: SQLite has no `to_char`, PostgreSQL no `strftime`.
const RECOUNT_TALLY_SQLITE: &str = "insert into team_tally (commune_id, from_month, to_month, teams) \
    select v.commune_id, \
    case when cast(substr(t.established_on, 9, 2) as integer) <= 15 then substr(t.established_on, 1, 7) \
    else strftime('%Y-%m', t.established_on, 'start of month', '+1 month') end, \
    case when t.dissolved_on is null then '9999-12' \
    when cast(substr(t.dissolved_on, 9, 2) as integer) <= 15 then substr(t.dissolved_on, 1, 7) \
    else strftime('%Y-%m', t.dissolved_on, 'start of month', '+1 month') end, count(*) \
    from team t join village v on v.village_id = t.village_id where 1 = 1 group by 1, 2, 3";
const RECOUNT_TALLY_POSTGRES: &str = "insert into team_tally (commune_id, from_month, to_month, teams) \
    select v.commune_id, team_tally_month(t.established_on), team_tally_month(t.dissolved_on), count(*) \
    from team t join village v on v.village_id = t.village_id group by 1, 2, 3";

/// Every statement of a recount, in order.
pub(crate) const RECOUNT: [&str; 6] =
    [CLEAR_TOTALS, RECOUNT_TOTALS, CLEAR_ROLLUP, RECOUNT_ROLLUP, CLEAR_COUNTS, RECOUNT_COUNTS];

/// A kept figure that differs from a full recount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub what: String,
    /// The commune; for a unit total, the unit above the communes.
    pub commune_id: i64,
    /// The month; for coverage and the trained share (`reach …`), the day counted for.
    pub month: String,
    pub kept: i64,
    pub recounted: i64,
}

/// Compares the kept totals and counts with a full recount of every report; empty when they
/// agree. The kept figures and the recount are read as two lists and compared here, by key: a
/// join of the two in SQL rescans the recount for every kept row on SQLite.
///
/// # Errors
/// Database errors.
pub async fn verify(db: &Db) -> Result<Vec<Mismatch>, StoreError> {
    let kept_totals = "select commune_id, month, indicator_id, total from report_total";
    let recounted_totals = "select r.commune_id, r.month, rv.indicator_id, cast(sum(rv.value) as bigint) \
        from team_report r join report_value rv on rv.team_report_id = r.team_report_id \
        where r.status in ('submitted', 'approved') group by r.commune_id, r.month, rv.indicator_id";
    // The totals above the communes against the commune totals (checked against every value).
    let kept_rollup = "select unit_id, month, indicator_id, total from report_rollup";
    let recounted_rollup = "with above (unit_id, commune_id) as materialized (\
        select a.unit_id, c.unit_id from unit a join unit c on a.valid_to is null and a.level <> 'commune' \
        and c.unit_id <> a.unit_id and substr(c.path, 1, length(a.path)) = a.path) \
        select x.unit_id, k.month, k.indicator_id, cast(sum(k.total) as bigint) from above x \
        join report_total k on k.commune_id = x.commune_id group by x.unit_id, k.month, k.indicator_id";
    let kept_counts = "select commune_id, month, received, on_time from report_count";
    let recounted_counts = "select commune_id, month, count(*), \
        cast(sum(case when late = 0 then 1 else 0 end) as bigint) from team_report \
        where status in ('submitted', 'approved') group by commune_id, month";
    let mut out = Vec::new();
    for (kept, recounted, what) in
        [(kept_totals, recounted_totals, "indicator"), (kept_rollup, recounted_rollup, "unit total, indicator")]
    {
        let kept: Vec<(i64, String, i64, i64)> = on_db!(db, |pool| sqlx::query_as(kept).fetch_all(pool).await)?;
        let recounted: Vec<(i64, String, i64, i64)> =
            on_db!(db, |pool| sqlx::query_as(recounted).fetch_all(pool).await)?;
        let differences = compare(
            kept.into_iter().map(|(c, m, i, v)| ((c, m, i), v)),
            recounted.into_iter().map(|(c, m, i, v)| ((c, m, i), v)),
        );
        out.extend(differences.into_iter().map(|((c, m, i), k, x)| Mismatch {
            what: format!("{what} {i}"),
            commune_id: c,
            month: m,
            kept: k,
            recounted: x,
        }));
    }
    let kept: Vec<(i64, String, i64, i64)> = on_db!(db, |pool| sqlx::query_as(kept_counts).fetch_all(pool).await)?;
    let recounted: Vec<(i64, String, i64, i64)> =
        on_db!(db, |pool| sqlx::query_as(recounted_counts).fetch_all(pool).await)?;
    for (field, pick) in [("received", 2), ("on_time", 3)] {
        let value = |r: &(i64, String, i64, i64)| if pick == 2 { r.2 } else { r.3 };
        let differences = compare(
            kept.iter().map(|r| ((r.0, r.1.clone()), value(r))),
            recounted.iter().map(|r| ((r.0, r.1.clone()), value(r))),
        );
        out.extend(differences.into_iter().map(|((c, m), k, x)| Mismatch {
            what: field.into(),
            commune_id: c,
            month: m,
            kept: k,
            recounted: x,
        }));
    }
    // The tally of teams expected, against every team (the months worked out here).
    let kept: Vec<(i64, String, String, i64)> =
        on_db!(db, |pool| sqlx::query_as("select commune_id, from_month, to_month, teams from team_tally")
            .fetch_all(pool)
            .await)?;
    let teams: Vec<(i64, String, Option<String>)> = on_db!(db, |pool| {
        sqlx::query_as(
        "select v.commune_id, t.established_on, t.dissolved_on from team t join village v on v.village_id = t.village_id"
    )
    .fetch_all(pool)
    .await
    })?;
    let month_of = |day: Option<&str>| {
        day.and_then(crate::parse_iso).map_or_else(|| "9999-12".to_owned(), |d| first_month_on_or_after(d).to_string())
    };
    let differences = compare(
        kept.into_iter().map(|(c, from, to, n)| ((c, from, to), n)),
        teams.into_iter().map(|(c, from, to)| ((c, month_of(Some(&from)), month_of(to.as_deref())), 1)),
    );
    out.extend(differences.into_iter().map(|((c, from, to), k, x)| Mismatch {
        what: format!("teams expected until {to}"),
        commune_id: c,
        month: from,
        kept: k,
        recounted: x,
    }));
    // Coverage and the trained share kept per commune: every row that claims to hold today (at
    // its present generation, counted on a day up to today, with no team or membership beginning
    // or ending since), against a count from the registry.
    let today = iso(crate::today());
    let kept: Vec<(i64, i64, i64, i64, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
            "select commune_id, villages, villages_with_team, members, members_trained from reach_kept \
             where counted_generation = generation and counted_on <= $1 and (counted_until is null or counted_until > $1)",
        )
        .bind(&today)
        .fetch_all(pool)
        .await
    })?;
    let ids: Vec<i64> = kept.iter().map(|r| r.0).collect();
    let recounted = crate::dashboard::recount_reach(db, &ids, "%", &today).await?;
    for (i, field) in ["villages", "villages_with_team", "members", "members_trained"].into_iter().enumerate() {
        let value = |r: &(i64, i64, i64, i64, i64)| [r.1, r.2, r.3, r.4][i];
        let differences = compare(
            kept.iter().map(|r| (r.0, value(r))),
            kept.iter().map(|r| (r.0, recounted.get(&r.0).map_or(0, |c| c.counts[i]))),
        );
        out.extend(differences.into_iter().map(|(c, k, x)| Mismatch {
            what: format!("reach {field}"),
            commune_id: c,
            month: today.clone(),
            kept: k,
            recounted: x,
        }));
    }
    Ok(out)
}

/// The keys whose kept and recounted values differ (a missing row counts as zero; recounted rows
/// of one key add up), in key order.
fn compare<K: Ord>(
    kept: impl Iterator<Item = (K, i64)>,
    recounted: impl Iterator<Item = (K, i64)>,
) -> Vec<(K, i64, i64)> {
    let mut both: std::collections::BTreeMap<K, (i64, i64)> = kept.map(|(k, v)| (k, (v, 0))).collect();
    for (k, v) in recounted {
        both.entry(k).or_default().1 += v;
    }
    both.into_iter().filter(|(_, (k, x))| k != x).map(|(key, (k, x))| (key, k, x)).collect()
}

/// Loads the demo's catalogue.
///
/// # Errors
/// Database errors.
pub async fn load_demo_indicators(db: &Db) -> Result<(), StoreError> {
    for (i, (code, name, unit)) in DEMO_INDICATORS.iter().enumerate() {
        add_indicator(db, code, name, unit, i64::try_from(i + 1).unwrap_or(0)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_units_above_a_commune_are_its_path_prefixes() {
        assert_eq!(units_above("49/502/20335/"), vec!["49/", "49/502/"]);
        assert_eq!(units_above("48/20335/"), vec!["48/"]);
        assert!(units_above("49/").is_empty());
    }

    #[test]
    fn a_team_is_expected_from_the_first_15th_after_its_founding() {
        let day = |s: &str| crate::parse_iso(s).expect("day");
        assert_eq!(first_month_on_or_after(day("2025-06-15")).to_string(), "2025-06");
        assert_eq!(first_month_on_or_after(day("2025-06-16")).to_string(), "2025-07");
        assert_eq!(first_month_on_or_after(day("2025-12-31")).to_string(), "2026-01");
        assert_eq!(first_month_on_or_after(day("2025-01-01")).to_string(), "2025-01");
    }
}
