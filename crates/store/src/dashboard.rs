//! Dashboards (bảng điều khiển): indicator totals compared across child units, coverage and the
//! trained share, and the reports behind each completeness figure.
//!
//! Every figure about reports is read from the totals and counts kept beside the reports
//! (`report_total`, `report_count`), which change in the same transaction as each submission
//! and return: a submitted report counts at once, and a dashboard reads a few rows per commune
//! and month, never the reports' values.

use domain::funding::YearMonth;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::reports::{self, Indicator};
use crate::units::{self, Unit};
use crate::{Db, Page, PageRequest, Scope, StoreError, iso};

/// The longest period a dashboard covers, in months.
pub const MAX_MONTHS: usize = 60;

/// The months of a period, `from` to `to` inclusive.
///
/// # Errors
/// `Invalid` for a period that ends before it begins or is longer than [`MAX_MONTHS`].
pub fn months_of(from: YearMonth, to: YearMonth) -> Result<Vec<YearMonth>, StoreError> {
    if to < from {
        return Err(StoreError::invalid("to", "Tháng cuối trước tháng đầu"));
    }
    let mut out = Vec::new();
    let mut m = from;
    while m <= to {
        out.push(m);
        if out.len() > MAX_MONTHS {
            return Err(StoreError::invalid("to", format!("Kỳ báo cáo dài quá {MAX_MONTHS} tháng")));
        }
        m = m.next();
    }
    Ok(out)
}

/// Whether a reader with `scope` has anything under `path`.
fn reaches(scope: &Scope, path: &str) -> bool {
    match scope.narrow(path) {
        Scope::All => true,
        Scope::Paths(p) => !p.is_empty(),
    }
}

/// One child unit's row of the comparison table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildTotals {
    pub code: String,
    pub name: String,
    pub level: String,
    /// One total per indicator, in the order of [`Comparison::indicators`].
    pub totals: Vec<i64>,
    /// Reports received over the period (submitted or approved).
    pub received: i64,
}

/// Indicator totals over a period, one row per child unit of a unit, and the unit's own row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub indicators: Vec<Indicator>,
    pub unit: ChildTotals,
    /// Empty for a commune: the kept totals go no lower than the commune.
    pub children: Vec<ChildTotals>,
}

/// Runs one grouped query whose first column is a commune path, binding `$1` = the unit's path
/// pattern, `$2`/`$3` = the period, and the scope's values from `$4` on.
macro_rules! grouped {
    ($db:expr, $sql:expr, $unit:expr, $from:expr, $to:expr, $values:expr) => {{
        on_db!($db, |pool| {
            let mut q = sqlx::query_as(AssertSqlSafe($sql.as_str()))
                .bind(format!("{}%", $unit.path))
                .bind($from.to_string())
                .bind($to.to_string());
            for v in $values {
                q = q.bind(v);
            }
            q.fetch_all(pool).await
        })?
    }};
}

/// Indicator totals of each child unit of a current unit within scope, from `from` to `to`
/// (inclusive), with the received reports of the period: two grouped queries on the kept totals
/// and counts, per commune, folded into the children by path.
///
/// # Errors
/// `NotFound` for a unit; `Invalid` for a period that ends before it begins or is too long.
pub async fn child_totals(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    from: YearMonth,
    to: YearMonth,
) -> Result<Comparison, StoreError> {
    months_of(from, to)?;
    let unit = units::by_code(db, unit_code).await?;
    let indicators = reports::indicators(db).await?;
    let (cond, values) = scope.condition("c.path", 4);
    let totals_sql = format!(
        "select c.path, k.indicator_id, cast(sum(k.total) as bigint) from report_total k \
         join unit c on c.unit_id = k.commune_id where c.path like $1 and k.month >= $2 and k.month <= $3 and {cond} \
         group by c.path, k.indicator_id"
    );
    let counts_sql = format!(
        "select c.path, cast(sum(k.received) as bigint) from report_count k \
         join unit c on c.unit_id = k.commune_id where c.path like $1 and k.month >= $2 and k.month <= $3 and {cond} \
         group by c.path"
    );
    let counts: Vec<(String, i64)> = grouped!(db, counts_sql, unit, from, to, &values);
    // A reader of the whole unit reads the kept totals of the unit and of each child (a few rows
    // per unit and month); a narrower scope adds up the communes it covers.
    let kept = if unit.level != "commune" && scope.covers(&unit.path) {
        Some(kept_totals_of_children(db, &unit, from, to).await?)
    } else {
        None
    };
    let totals: Vec<(String, i64, i64)> =
        if kept.is_some() { Vec::new() } else { grouped!(db, totals_sql, unit, from, to, &values) };
    let row = |u: &Unit| ChildTotals {
        code: u.code.clone(),
        name: u.name.clone(),
        level: u.level.clone(),
        totals: indicators
            .iter()
            .map(|i| match &kept {
                Some(k) => k.iter().filter(|(id, ind, _)| *id == u.unit_id && *ind == i.id).map(|(_, _, v)| v).sum(),
                None => {
                    totals.iter().filter(|(p, id, _)| *id == i.id && p.starts_with(&u.path)).map(|(_, _, v)| v).sum()
                }
            })
            .collect(),
        received: counts.iter().filter(|(p, _)| p.starts_with(&u.path)).map(|(_, n)| n).sum(),
    };
    let mut children = Vec::new();
    if unit.level != "commune" {
        for child in units::children(db, &unit).await? {
            let has_rows = totals.iter().any(|(p, _, _)| p.starts_with(&child.path))
                || kept.as_ref().is_some_and(|k| k.iter().any(|(id, _, _)| *id == child.unit_id))
                || counts.iter().any(|(p, _)| p.starts_with(&child.path));
            if has_rows || reaches(scope, &child.path) {
                children.push(row(&child));
            }
        }
    }
    Ok(Comparison { unit: row(&unit), indicators, children })
}

/// `(unit id, indicator id, total)` over a period for a unit above the communes and each of its
/// children, from the kept totals: `report_rollup` for units above the communes, `report_total`
/// for communes.
async fn kept_totals_of_children(
    db: &Db,
    unit: &Unit,
    from: YearMonth,
    to: YearMonth,
) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    let above = "select k.unit_id, k.indicator_id, cast(sum(k.total) as bigint) from report_rollup k \
        join unit u on u.unit_id = k.unit_id where (u.unit_id = $1 or u.parent_id = $1) \
        and k.month >= $2 and k.month <= $3 group by k.unit_id, k.indicator_id";
    let communes = "select k.commune_id, k.indicator_id, cast(sum(k.total) as bigint) from report_total k \
        join unit u on u.unit_id = k.commune_id where u.parent_id = $1 and u.valid_to is null \
        and k.month >= $2 and k.month <= $3 group by k.commune_id, k.indicator_id";
    let mut out: Vec<(i64, i64, i64)> = Vec::new();
    for sql in [above, communes] {
        let rows: Vec<(i64, i64, i64)> = on_db!(db, |pool| sqlx::query_as(sql)
            .bind(unit.unit_id)
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await)?;
        out.extend(rows);
    }
    Ok(out)
}

/// Coverage and the trained share of one unit: villages with an active team among active
/// villages, active members present at a training session at least once among active members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub code: String,
    pub name: String,
    pub villages: i64,
    pub villages_with_team: i64,
    pub members: i64,
    pub members_trained: i64,
    /// The same per child unit (none for a commune).
    pub children: Vec<Reach>,
}

/// A share per hundred, to one decimal (for display only; the counts are the figures).
#[must_use]
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let p = part as f64 * 100.0 / whole as f64;
    (p * 10.0).round() / 10.0
}

impl Reach {
    #[must_use]
    pub fn coverage_percent(&self) -> f64 {
        percent(self.villages_with_team, self.villages)
    }

    #[must_use]
    pub fn trained_percent(&self) -> f64 {
        percent(self.members_trained, self.members)
    }
}

/// One commune's row of `reach_kept`, as read (zeros and nothing counted when it has none yet).
#[derive(sqlx::FromRow)]
struct KeptReach {
    commune_id: i64,
    path: String,
    generation: i64,
    counted_generation: Option<i64>,
    counted_on: Option<String>,
    counted_until: Option<String>,
    villages: i64,
    villages_with_team: i64,
    members: i64,
    members_trained: i64,
}

impl KeptReach {
    fn counts(&self) -> [i64; 4] {
        [self.villages, self.villages_with_team, self.members, self.members_trained]
    }

    /// Whether the counts hold on `today` (ISO): made at the present generation, for a day from
    /// which no team or membership of the commune began or ended up to today.
    fn holds_on(&self, today: &str) -> bool {
        self.counted_generation == Some(self.generation)
            && self.counted_on.as_deref().is_some_and(|d| d <= today)
            && self.counted_until.as_deref().is_none_or(|u| today < u)
    }
}

/// Above this many communes to count again, one grouped query over the whole unit is cheaper
/// than lists of ids.
const RECOUNT_BY_IDS: usize = 300;

/// Coverage and the trained share of a current unit within scope today, with the same for each
/// child unit. Read from the counts kept per commune (`reach_kept`); a commune whose counts were
/// made before a change to its villages, teams, memberships or attendance (each bumps its
/// generation in the same transaction), or for a day before one of its teams or memberships
/// began or ended, is counted again first and its row rewritten, so the figures are always
/// today's.
///
/// # Errors
/// `NotFound` for a unit.
pub async fn reach(db: &Db, scope: &Scope, unit_code: &str) -> Result<Reach, StoreError> {
    let unit = units::by_code(db, unit_code).await?;
    let today = iso(crate::today());
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!(
        "select c.unit_id as commune_id, c.path, coalesce(k.generation, 0) as generation, k.counted_generation, \
              k.counted_on, k.counted_until, coalesce(k.villages, 0) as villages, \
              coalesce(k.villages_with_team, 0) as villages_with_team, coalesce(k.members, 0) as members, \
              coalesce(k.members_trained, 0) as members_trained \
         from unit c left join reach_kept k on k.commune_id = c.unit_id \
         where c.level = 'commune' and c.path like $1 and {cond}"
    );
    let pattern = format!("{}%", unit.path);
    let mut communes: Vec<KeptReach> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(&pattern);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?;
    let stale: Vec<usize> = (0..communes.len()).filter(|&i| !communes[i].holds_on(&today)).collect();
    if !stale.is_empty() {
        let ids: Vec<i64> = stale.iter().map(|&i| communes[i].commune_id).collect();
        let counted = recount_reach(db, &ids, &pattern, &today).await?;
        let mut rows = Vec::with_capacity(stale.len());
        for &i in &stale {
            let k = &mut communes[i];
            let c = counted.get(&k.commune_id).cloned().unwrap_or_default();
            [k.villages, k.villages_with_team, k.members, k.members_trained] = c.counts;
            rows.push((k.commune_id, k.generation, c));
        }
        keep_reach(db, &rows, &today).await?;
    }
    let of = |u: &Unit| {
        let mut r = Reach { code: u.code.clone(), name: u.name.clone(), ..Reach::default() };
        for k in communes.iter().filter(|k| k.path.starts_with(&u.path)) {
            let c = k.counts();
            r.villages += c[0];
            r.villages_with_team += c[1];
            r.members += c[2];
            r.members_trained += c[3];
        }
        r
    };
    let mut whole = of(&unit);
    if unit.level != "commune" {
        for child in units::children(db, &unit).await? {
            let has_villages = communes.iter().any(|k| k.path.starts_with(&child.path) && k.villages > 0);
            if has_villages || reaches(scope, &child.path) {
                whole.children.push(of(&child));
            }
        }
    }
    Ok(whole)
}

/// A commune's counts on a day: villages, villages with an active team, active members and those
/// of them present at a training session at least once; and the first later day on which one of
/// its teams or memberships begins or ends (none: `None`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Recount {
    pub counts: [i64; 4],
    pub until: Option<String>,
}

/// Counts, on `today`, each of the communes `ids` (under the unit whose path pattern is
/// `pattern`): by lists of ids when they are few, else over the whole unit.
pub(crate) async fn recount_reach(
    db: &Db,
    ids: &[i64],
    pattern: &str,
    today: &str,
) -> Result<std::collections::HashMap<i64, Recount>, StoreError> {
    let villages = |filter: &str| {
        format!(
            "select v.commune_id, count(*), count(t.team_id) from village v join unit c on c.unit_id = v.commune_id \
             left join team t on t.village_id = v.village_id and t.established_on <= $1 \
                  and (t.dissolved_on is null or t.dissolved_on > $1) \
             where v.status = 'active' and {filter} group by v.commune_id"
        )
    };
    let members = |filter: &str| {
        format!(
            "select v.commune_id, count(*), cast(sum(case when exists (select 1 from attendance a \
                  where a.person_id = m.person_id and a.status = 'present') then 1 else 0 end) as bigint) \
             from membership m join team t on t.team_id = m.team_id join village v on v.village_id = t.village_id \
             join unit c on c.unit_id = v.commune_id \
             where m.joined_on <= $1 and (m.left_on is null or m.left_on > $1) and t.established_on <= $1 \
                  and (t.dissolved_on is null or t.dissolved_on > $1) and {filter} group by v.commune_id"
        )
    };
    // The next day on which a team or a membership of the commune begins or ends.
    let next_day = |filter: &str| {
        format!(
            "select v.commune_id, min(case when t.established_on > $1 then t.established_on end), \
                  min(case when t.dissolved_on > $1 then t.dissolved_on end), \
                  min(case when m.joined_on > $1 then m.joined_on end), min(case when m.left_on > $1 then m.left_on end) \
             from village v join unit c on c.unit_id = v.commune_id join team t on t.village_id = v.village_id \
             left join membership m on m.team_id = t.team_id \
             where (t.dissolved_on is null or t.dissolved_on > $1) and {filter} group by v.commune_id"
        )
    };
    let mut out: std::collections::HashMap<i64, Recount> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let (filter, binds) = if ids.len() > RECOUNT_BY_IDS {
        ("c.path like $2".to_owned(), vec![pattern.to_owned()])
    } else {
        let list = ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        (format!("v.commune_id in ({list})"), Vec::new())
    };
    for (sql, at) in [(villages(&filter), 0), (members(&filter), 2)] {
        let rows: Vec<(i64, i64, i64)> = on_db!(db, |pool| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(today);
            for b in &binds {
                q = q.bind(b);
            }
            q.fetch_all(pool).await
        })?;
        for (id, a, b) in rows {
            let e = out.entry(id).or_default();
            (e.counts[at], e.counts[at + 1]) = (a, b);
        }
    }
    let sql = next_day(&filter);
    type Days = (i64, Option<String>, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Days> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(today);
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_all(pool).await
    })?;
    for (id, a, b, c, d) in rows {
        out.entry(id).or_default().until = [a, b, c, d].into_iter().flatten().min();
    }
    if ids.len() > RECOUNT_BY_IDS {
        let wanted: std::collections::HashSet<i64> = ids.iter().copied().collect();
        out.retain(|id, _| wanted.contains(id));
    }
    Ok(out)
}

/// Writes the counts of communes made at a generation for a day. The generation itself is left
/// as the triggers set it: a change after it was read leaves the row stale, to be counted again.
async fn keep_reach(db: &Db, rows: &[(i64, i64, Recount)], today: &str) -> Result<(), StoreError> {
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "insert into reach_kept (commune_id, generation, counted_generation, counted_on, counted_until, villages, \
             villages_with_team, members, members_trained) values ",
        );
        let mut binds: Vec<Option<String>> = vec![Some(today.to_owned())];
        for (i, (id, generation, r)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            binds.push(r.until.clone());
            let c = r.counts;
            sql.push_str(&format!(
                "({id}, {generation}, {generation}, $1, ${}, {}, {}, {}, {})",
                binds.len(),
                c[0],
                c[1],
                c[2],
                c[3]
            ));
        }
        sql.push_str(
            " on conflict (commune_id) do update set counted_generation = excluded.counted_generation, \
             counted_on = excluded.counted_on, counted_until = excluded.counted_until, villages = excluded.villages, \
             villages_with_team = excluded.villages_with_team, members = excluded.members, \
             members_trained = excluded.members_trained",
        );
        on_db!(db, |pool| {
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
            for b in &binds {
                q = q.bind(b);
            }
            q.execute(pool).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Which reports a completeness figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    /// Submitted or approved (đã nhận).
    Received,
    /// Of those, submitted by the deadline (đúng hạn).
    OnTime,
    /// Of those, submitted after it (trễ hạn).
    Late,
    /// Teams expected that have not reported (chưa báo cáo).
    NotReported,
}

impl Which {
    pub const ALL: [Which; 4] = [Which::Received, Which::OnTime, Which::Late, Which::NotReported];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Which::Received => "received",
            Which::OnTime => "on_time",
            Which::Late => "late",
            Which::NotReported => "not_reported",
        }
    }

    /// Reads a code.
    ///
    /// # Errors
    /// A Vietnamese message naming the codes.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|w| w.code() == s.trim()).ok_or_else(|| {
            format!("Loại danh sách “{}” không hợp lệ; cần received, on_time, late hoặc not_reported", s.trim())
        })
    }

    /// As a list's title says it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Which::Received => "Báo cáo đã nhận",
            Which::OnTime => "Báo cáo đúng hạn",
            Which::Late => "Báo cáo trễ hạn",
            Which::NotReported => "Tổ chưa báo cáo",
        }
    }
}

/// A team's line in the list behind a completeness figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReportLine {
    pub team_id: i64,
    pub team: String,
    pub village: String,
    pub commune: String,
    /// `None` for a team that has not reported.
    pub report_id: Option<i64>,
    /// `submitted`, `approved`; for a team not reported `draft`, `returned` or `None`.
    pub status: Option<String>,
    pub late: bool,
    pub submitted_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    team_id: i64,
    team: String,
    village: String,
    commune: String,
    report_id: Option<i64>,
    status: Option<String>,
    late: Option<i64>,
    submitted_at: Option<String>,
}

/// The reports behind a completeness figure of a current unit and month within scope, a page at
/// a time, in commune and village order: those received (counted where the kept counts count
/// them: in the commune of the report), on time, late; or the teams expected (active on the 15th)
/// that have not reported. `total` agrees with the figure.
///
/// # Errors
/// `NotFound` for a unit.
pub async fn reports_behind(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    month: YearMonth,
    which: Which,
    page: PageRequest,
) -> Result<Page<ReportLine>, StoreError> {
    let q = Behind::new(db, scope, unit_code, month, which).await?;
    let count_sql = format!("select count(*) {}", q.from);
    let (total,): (i64,) = on_db!(db, |pool| {
        let mut query = sqlx::query_as(AssertSqlSafe(count_sql.as_str()));
        for b in &q.binds {
            query = query.bind(b);
        }
        query.fetch_one(pool).await
    })?;
    let items = q.lines(db, page.per_page, page.offset()).await?;
    Ok(Page { items, total, page: page.page, per_page: page.per_page })
}

/// The first `limit` lines behind a figure whose total the caller knows already (from the kept
/// counts): what a completeness page shows above its link to the whole list, without counting.
///
/// # Errors
/// `NotFound` for a unit.
pub async fn first_behind(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    month: YearMonth,
    which: Which,
    limit: i64,
) -> Result<Vec<ReportLine>, StoreError> {
    Behind::new(db, scope, unit_code, month, which).await?.lines(db, limit, 0).await
}

/// The query behind a figure: its `from … where …` and the values bound to it in order.
struct Behind {
    from: String,
    binds: Vec<String>,
}

impl Behind {
    async fn new(db: &Db, scope: &Scope, unit_code: &str, month: YearMonth, which: Which) -> Result<Self, StoreError> {
        let unit = units::by_code(db, unit_code).await?;
        // Teams not reported are found by the 15th of the month ($3); reports by their month only.
        let expected = which == Which::NotReported;
        let (cond, values) = scope.condition("c.path", if expected { 4 } else { 3 });
        let from = if expected {
            format!(
                "from team t join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
                 left join team_report r on r.team_id = t.team_id and r.month = $2 \
                 where c.path like $1 and t.established_on <= $3 and (t.dissolved_on is null or t.dissolved_on > $3) \
                 and (r.team_report_id is null or r.status not in ('submitted', 'approved')) and {cond}"
            )
        } else {
            let late = match which {
                Which::OnTime => "and r.late = 0",
                Which::Late => "and r.late = 1",
                _ => "",
            };
            format!(
                "from team_report r join team t on t.team_id = r.team_id join village v on v.village_id = t.village_id \
                 join unit c on c.unit_id = r.commune_id \
                 where c.path like $1 and r.month = $2 and r.status in ('submitted', 'approved') {late} and {cond}"
            )
        };
        let mut binds = vec![format!("{}%", unit.path), month.to_string()];
        if expected {
            binds.push(iso(month.deciding_day()));
        }
        binds.extend(values);
        Ok(Self { from, binds })
    }

    async fn lines(&self, db: &Db, limit: i64, offset: i64) -> Result<Vec<ReportLine>, StoreError> {
        let n = self.binds.len() + 1;
        let sql = format!(
            "select t.team_id, t.name as team, v.name as village, c.name as commune, r.team_report_id as report_id, \
             r.status, r.late, r.submitted_at {} order by c.path, v.sort_key, t.team_id limit ${n} offset ${}",
            self.from,
            n + 1
        );
        let rows: Vec<LineRow> = on_db!(db, |pool| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()));
            for b in &self.binds {
                q = q.bind(b);
            }
            q.bind(limit).bind(offset).fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| ReportLine {
                team_id: r.team_id,
                team: r.team,
                village: r.village,
                commune: r.commune,
                report_id: r.report_id,
                status: r.status,
                late: r.late.unwrap_or(0) != 0,
                submitted_at: r.submitted_at,
            })
            .collect())
    }
}
