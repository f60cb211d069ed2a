//! What teams are owed (entitlements), work-day claims, payment lists (bảng kê chi trả) from
//! preparation to payment, and the append-only ledger with the balances derived from it.
//!
//! Entitlements follow the part-month rule of [`domain::funding`]: a month counts when, on its
//! 15th, the team exists (a member is in the team) and the policy is in force. Each team's village
//! is placed by the boundaries of that 15th, so that a policy of a unit that has since been
//! reorganised pays for the months it covered; the list it goes on is that of the commune the
//! village lies in when the entitlement is computed. One-off grants to a unit are paid outside
//! these lists.

use std::collections::HashMap;

use domain::funding::{PolicyKind, PolicyStatus, YearMonth};
use domain::money::Vnd;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::funding::Policy;
use crate::{Db, Scope, StoreError, iso, now, parse_iso};

fn overflow() -> StoreError {
    StoreError::invalid("amount", "Số tiền vượt quá giới hạn tính toán")
}

/// A team as it stood on a month's deciding day.
#[derive(Debug, Clone, sqlx::FromRow)]
struct TeamOnDay {
    team_id: i64,
    /// The commune path of that day (matched against policy scopes).
    then_path: String,
    /// The commune the village lies in now (whose list it goes on).
    commune_id: i64,
}

/// One membership active on a deciding day.
#[derive(Debug, Clone, sqlx::FromRow)]
struct MemberOnDay {
    person_id: i64,
    team_id: i64,
}

/// An approved work-day claim of a month.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ClaimRow {
    work_claim_id: i64,
    person_id: i64,
    team_id: i64,
    worked_on: String,
    then_path: String,
    commune_id: i64,
}

/// What a computation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ComputeReport {
    pub month: String,
    /// New entitlements recorded.
    pub created: i64,
    /// Entitlements that were there already (computed before): left as they were.
    pub existing: i64,
    /// The sum of the new ones.
    pub amount: Vnd,
}

/// Entitlements written a statement (nine values each, well under either database's limit).
const ENTITLEMENT_BATCH: usize = 500;

/// An entitlement about to be recorded: policy (id, key), team, member, claim, commune, amount.
type NewEntitlement = (i64, String, i64, Option<i64>, Option<i64>, i64, Vnd);

/// Policies in force (current versions) of a kind.
async fn in_force(db: &Db) -> Result<Vec<Policy>, StoreError> {
    Ok(crate::funding::list(db, &Scope::All)
        .await?
        .into_iter()
        .filter(|p| p.status() == Some(PolicyStatus::InForce))
        .collect())
}

/// Computes and records what is owed for `month` within `scope` (teams whose village lies in the
/// scope today): per team, per member and per approved work-day claim, under every policy in
/// force, honouring caps in months and in money per calendar year against what was owed before.
/// Computing again records only what is new; the database refuses a second entitlement for the
/// same policy, team (member, claim) and month.
///
/// # Errors
/// Database errors; overflow.
pub async fn compute(db: &Db, scope: &Scope, month: YearMonth) -> Result<ComputeReport, StoreError> {
    let day = iso(month.deciding_day());
    let (first, next) = (iso(month.first_day()), iso(month.next().first_day()));
    let (cond, values) = scope.condition("cur.path", 2);
    let teams_sql = format!(
        "select t.team_id, c.path as then_path, v.commune_id \
         from team t join village v on v.village_id = t.village_id \
         join village_placement pb on pb.village_id = v.village_id and pb.valid_from <= $1 \
              and (pb.valid_to is null or pb.valid_to > $1) \
         join unit c on c.unit_id = pb.commune_id join unit cur on cur.unit_id = v.commune_id \
         where t.established_on <= $1 and (t.dissolved_on is null or t.dissolved_on > $1) and {cond} \
         order by t.team_id"
    );
    let teams: Vec<TeamOnDay> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(teams_sql.as_str())).bind(&day);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?;
    let policies = in_force(db).await?;
    let members: Vec<MemberOnDay> = if policies.iter().any(|p| p.kind() == Some(PolicyKind::MemberMonth)) {
        on_db!(db, |pool| sqlx::query_as(
            "select person_id, team_id from membership where joined_on <= $1 and (left_on is null or left_on > $1)"
        )
        .bind(&day)
        .fetch_all(pool)
        .await)?
    } else {
        Vec::new()
    };
    let (ccond, cvalues) = scope.condition("cur.path", 3);
    let claims_sql = format!(
        "select w.work_claim_id, w.person_id, w.team_id, w.worked_on, c.path as then_path, v.commune_id \
         from work_claim w join team t on t.team_id = w.team_id join village v on v.village_id = t.village_id \
         join village_placement pb on pb.village_id = v.village_id and pb.valid_from <= w.worked_on \
              and (pb.valid_to is null or pb.valid_to > w.worked_on) \
         join unit c on c.unit_id = pb.commune_id join unit cur on cur.unit_id = v.commune_id \
         where w.status = 'approved' and w.worked_on >= $1 and w.worked_on < $2 and {ccond} order by w.work_claim_id"
    );
    let claims: Vec<ClaimRow> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(claims_sql.as_str())).bind(&first).bind(&next);
        for v in &cvalues {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?;
    // What each policy already owes in other months, whatever order months are computed in:
    // months counted (against the cap in months) and this calendar year's sum (against the cap
    // per year).
    let year_start = format!("{}-01", month.year);
    let year_end = format!("{}-01", month.year + 1);
    let this = month.to_string();
    let prior: Vec<(String, i64, Option<i64>, i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "select policy_key, team_id, person_id, count(*) as months, \
         cast(coalesce(sum(case when month >= $1 and month < $2 then amount else 0 end), 0) as bigint) as this_year \
         from entitlement where work_claim_id is null and month <> $3 group by policy_key, team_id, person_id"
    )
    .bind(&year_start)
    .bind(&year_end)
    .bind(&this)
    .fetch_all(pool)
    .await)?;
    // A team's months are the team's; a member's follow the person from team to team.
    let mut by_key: HashMap<(String, i64, Option<i64>), (i64, i64)> = HashMap::new();
    for (k, t, p, n, y) in prior {
        let key = if p.is_some() { (k, 0, p) } else { (k, t, None) };
        let e = by_key.entry(key).or_insert((0, 0));
        e.0 += n;
        e.1 += y;
    }
    let prior = by_key;

    let mut rows: Vec<NewEntitlement> = Vec::new();
    for p in &policies {
        let Some(terms) = p.terms() else { continue };
        let owed = |team: i64, person: Option<i64>| -> Result<Vnd, StoreError> {
            let key =
                if person.is_some() { (p.policy_key.clone(), 0, person) } else { (p.policy_key.clone(), team, None) };
            let (already, year_sum) = prior.get(&key).copied().unwrap_or((0, 0));
            let already = u32::try_from(already).unwrap_or(u32::MAX);
            terms.owed(&[month], already, &|_| Vnd::new(year_sum)).map_err(|_| overflow())
        };
        match terms.kind {
            PolicyKind::TeamMonth if terms.counts(month) => {
                for t in teams.iter().filter(|t| t.then_path.starts_with(&p.scope_path)) {
                    let amount = owed(t.team_id, None)?;
                    if amount.value() > 0 {
                        rows.push((p.id, p.policy_key.clone(), t.team_id, None, None, t.commune_id, amount));
                    }
                }
            }
            PolicyKind::MemberMonth if terms.counts(month) => {
                let by_team: HashMap<i64, &TeamOnDay> = teams.iter().map(|t| (t.team_id, t)).collect();
                for m in &members {
                    let Some(t) = by_team.get(&m.team_id) else { continue };
                    if !t.then_path.starts_with(&p.scope_path) {
                        continue;
                    }
                    let amount = owed(t.team_id, Some(m.person_id))?;
                    if amount.value() > 0 {
                        rows.push((
                            p.id,
                            p.policy_key.clone(),
                            t.team_id,
                            Some(m.person_id),
                            None,
                            t.commune_id,
                            amount,
                        ));
                    }
                }
            }
            PolicyKind::WorkDay => {
                for c in claims.iter().filter(|c| c.then_path.starts_with(&p.scope_path)) {
                    let in_force = parse_iso(&c.worked_on).is_some_and(|d| terms.in_force_on(d));
                    if in_force {
                        rows.push((
                            p.id,
                            p.policy_key.clone(),
                            c.team_id,
                            Some(c.person_id),
                            Some(c.work_claim_id),
                            c.commune_id,
                            terms.amount,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    let stamp = now();
    let (created, amount) = in_tx!(db, |tx| {
        let mut created = 0i64;
        let mut amount = Vnd::ZERO;
        // Many rows a statement: one round trip per batch, not per entitlement.
        for batch in rows.chunks(ENTITLEMENT_BATCH) {
            let mut sql = String::from(
                "insert into entitlement (month, policy_key, funding_policy_id, team_id, person_id, work_claim_id, \
                 commune_id, amount, computed_at) values ",
            );
            for i in 0..batch.len() {
                let b = i * 9;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9
                ));
            }
            sql.push_str(" on conflict do nothing returning amount");
            let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql.as_str()));
            for (policy_id, key, team, person, claim, commune, a) in batch {
                q = q
                    .bind(&this)
                    .bind(key)
                    .bind(policy_id)
                    .bind(team)
                    .bind(person)
                    .bind(claim)
                    .bind(commune)
                    .bind(a.value())
                    .bind(&stamp);
            }
            for (a,) in q.fetch_all(&mut *tx).await? {
                created += 1;
                amount = amount.checked_add(Vnd::new(a)).ok_or_else(overflow)?;
            }
        }
        audit!(
            tx,
            crate::audit::Event {
                entity: "entitlement",
                entity_id: None,
                action: "compute",
                unit_path: match scope {
                    Scope::Paths(p) if p.len() == 1 => Some(p[0].clone()),
                    _ => None,
                },
                before: None,
                after: Some(serde_json::json!({ "month": this, "created": created, "amount": amount.value() })),
            }
        );
        Ok::<(i64, Vnd), StoreError>((created, amount))
    })?;
    let existing = i64::try_from(rows.len()).unwrap_or(i64::MAX) - created;
    Ok(ComputeReport { month: this, created, existing, amount })
}

/// One entitlement, as a list or a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Entitlement {
    pub id: i64,
    pub month: String,
    pub policy_id: i64,
    pub policy_name: String,
    pub team_id: i64,
    pub team: String,
    pub person_id: Option<i64>,
    pub work_claim_id: Option<i64>,
    pub commune_code: String,
    pub commune: String,
    pub amount: i64,
    pub payment_list_id: Option<i64>,
}

const ENTITLEMENT_SELECT: &str = "select e.entitlement_id as id, e.month, e.funding_policy_id as policy_id, \
    p.name as policy_name, e.team_id, t.name as team, e.person_id, e.work_claim_id, c.code as commune_code, c.name as commune, e.amount, \
    e.payment_list_id from entitlement e join funding_policy p on p.funding_policy_id = e.funding_policy_id \
    join team t on t.team_id = e.team_id join unit c on c.unit_id = e.commune_id";

/// Entitlements of a month within a scope (by the commune of their list).
///
/// # Errors
/// Database errors.
pub async fn entitlements(db: &Db, scope: &Scope, month: YearMonth) -> Result<Vec<Entitlement>, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql =
        format!("{ENTITLEMENT_SELECT} where e.month = $1 and {cond} order by c.path, t.sort_key, e.entitlement_id");
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(month.to_string());
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

// ------------------------------------------------------------------------------- work-day claims

/// A work-day claim as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ClaimDraft {
    pub person_id: String,
    pub team_id: String,
    pub worked_on: String,
    pub task: String,
    pub mobilised_by: String,
}

/// A work-day claim, with its person and team named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Claim {
    pub id: i64,
    pub person_id: i64,
    pub full_name: String,
    pub team_id: i64,
    pub team: String,
    #[serde(skip)]
    pub commune_path: String,
    pub worked_on: String,
    pub task: String,
    pub mobilised_by: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub created_by: String,
}

const CLAIM_SELECT: &str = "select w.work_claim_id as id, w.person_id, p.full_name, w.team_id, t.name as team, \
    c.path as commune_path, w.worked_on, w.task, w.mobilised_by, w.status, w.decided_by, w.created_by \
    from work_claim w join person p on p.person_id = w.person_id join team t on t.team_id = w.team_id \
    join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id";

/// A checked claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimInput {
    pub person_id: i64,
    pub team_id: i64,
    pub worked_on: time::Date,
    pub task: String,
    pub mobilised_by: String,
}

impl ClaimDraft {
    /// Checks every field at once; a day in the future is refused.
    ///
    /// # Errors
    /// The refused fields, in Vietnamese.
    pub fn parse(&self) -> Result<ClaimInput, domain::input::FieldErrors> {
        let mut e = domain::input::FieldErrors::default();
        let person = self.person_id.trim().parse::<i64>().map_err(|_| e.push("person_id", "Chọn người làm")).ok();
        let team = self.team_id.trim().parse::<i64>().map_err(|_| e.push("team_id", "Chọn tổ")).ok();
        let day = match self.worked_on.trim() {
            "" => {
                e.push("worked_on", "Chưa nhập ngày làm");
                None
            }
            d => domain::input::parse_end_date(d, crate::today()).map_err(|m| e.push("worked_on", m)).ok(),
        };
        let task = domain::text::clean(&self.task);
        if task.is_empty() {
            e.push("task", "Ghi rõ việc đã làm");
        }
        match (person, team, day) {
            (Some(person_id), Some(team_id), Some(worked_on)) if e.is_empty() => Ok(ClaimInput {
                person_id,
                team_id,
                worked_on,
                task,
                mobilised_by: domain::text::clean(&self.mobilised_by),
            }),
            _ => Err(e),
        }
    }
}

/// Records a work-day claim for a person and the team they worked with: one claim per person per
/// day.
///
/// # Errors
/// `NotFound` for a team out of scope; `Invalid` for an unknown person; `Conflict` when the
/// person has claimed that day already.
pub async fn add_claim(db: &Db, scope: &Scope, input: &ClaimInput) -> Result<i64, StoreError> {
    let (person, team, day) = (input.person_id, input.team_id, input.worked_on);
    let task = input.task.clone();
    let t = crate::teams::get(db, scope, team).await?;
    let p: Option<(String,)> = on_db!(db, |pool| sqlx::query_as("select full_name from person where person_id = $1")
        .bind(person)
        .fetch_optional(pool)
        .await)?;
    let Some((name,)) = p else {
        return Err(StoreError::invalid("person_id", "Không có người này trong sổ đăng ký"));
    };
    let actor = crate::audit::current().login;
    let stamp = now();
    let worked_on = iso(day);
    let mobilised = input.mobilised_by.clone();
    let r: Result<i64, StoreError> = in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into work_claim (person_id, team_id, worked_on, task, mobilised_by, status, created_by, created_at) \
             values ($1, $2, $3, $4, $5, 'submitted', $6, $7) returning work_claim_id",
        )
        .bind(person)
        .bind(team)
        .bind(&worked_on)
        .bind(&task)
        .bind(&mobilised)
        .bind(&actor)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(
            tx,
            crate::audit::Event::new("work_claim", id, "create").unit(&t.commune_path).after(serde_json::json!({
                "person_id": person, "team_id": team, "worked_on": worked_on, "task": task, "mobilised_by": mobilised
            }))
        );
        Ok::<i64, StoreError>(id)
    });
    r.map_err(|e| {
        if e.is_unique_violation() {
            StoreError::conflict(
                "worked_on",
                format!("{name} đã khai ngày công ngày {}", domain::input::format_date(day)),
            )
        } else {
            e
        }
    })
}

/// One claim, if its team is in scope.
///
/// # Errors
/// `NotFound`.
pub async fn claim(db: &Db, scope: &Scope, id: i64) -> Result<Claim, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!("{CLAIM_SELECT} where w.work_claim_id = $1 and {cond}");
    let c: Option<Claim> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(pool).await
    })?;
    c.ok_or_else(|| StoreError::not_found("Không tìm thấy ngày công này"))
}

/// Claims of a month within scope, newest day first.
///
/// # Errors
/// Database errors.
pub async fn claims(db: &Db, scope: &Scope, month: YearMonth) -> Result<Vec<Claim>, StoreError> {
    let (cond, values) = scope.condition("c.path", 3);
    let sql = format!(
        "{CLAIM_SELECT} where w.worked_on >= $1 and w.worked_on < $2 and {cond} order by w.worked_on desc, w.work_claim_id"
    );
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()))
            .bind(iso(month.first_day()))
            .bind(iso(month.next().first_day()));
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// Approves or rejects a submitted claim.
///
/// # Errors
/// `NotFound`; `Conflict` when it was decided already.
pub async fn decide_claim(db: &Db, scope: &Scope, id: i64, approve: bool) -> Result<(), StoreError> {
    let c = claim(db, scope, id).await?;
    if c.status != "submitted" {
        return Err(StoreError::conflict("status", "Ngày công này đã được xét"));
    }
    let status = if approve { "approved" } else { "rejected" };
    let actor = crate::audit::current().login;
    let stamp = now();
    in_tx!(db, |tx| {
        sqlx::query("update work_claim set status = $2, decided_by = $3, decided_at = $4 where work_claim_id = $1 and status = 'submitted'")
            .bind(id)
            .bind(status)
            .bind(&actor)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        audit!(
            tx,
            crate::audit::Event::new("work_claim", id, if approve { "approve" } else { "reject" })
                .unit(&c.commune_path)
                .before(serde_json::json!({ "status": "submitted" }))
                .after(serde_json::json!({ "status": status }))
        );
        Ok::<(), StoreError>(())
    })
}

// ------------------------------------------------------------------------------- payment lists

/// A list's place in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    Prepared,
    Submitted,
    Approved,
    Paid,
}

impl ListStatus {
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "prepared" => Some(Self::Prepared),
            "submitted" => Some(Self::Submitted),
            "approved" => Some(Self::Approved),
            "paid" => Some(Self::Paid),
            _ => None,
        }
    }

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Prepared => "prepared",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Paid => "paid",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Prepared => "Đã lập",
            Self::Submitted => "Đã trình duyệt",
            Self::Approved => "Đã duyệt",
            Self::Paid => "Đã chi trả",
        }
    }
}

/// A payment list with its commune named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PaymentList {
    pub id: i64,
    pub commune_code: String,
    pub commune: String,
    #[serde(skip)]
    pub commune_path: String,
    pub month: String,
    pub status: String,
    pub total: i64,
    pub prepared_by: String,
    pub prepared_at: String,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub paid_by: Option<String>,
    pub paid_at: Option<String>,
    pub paid_on: Option<String>,
    /// 1 for the month's list; 2, 3… for supplementary ones.
    pub seq: i64,
}

impl PaymentList {
    #[must_use]
    pub fn status(&self) -> Option<ListStatus> {
        ListStatus::from_code(&self.status)
    }
}

/// One line of a list, as frozen when it was prepared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PaymentLine {
    pub id: i64,
    pub line_no: i64,
    pub payee: String,
    pub team_id: i64,
    pub team_name: String,
    pub policy_name: String,
    pub amount: i64,
}

const LIST_SELECT: &str = "select l.payment_list_id as id, c.code as commune_code, c.name as commune, \
    c.path as commune_path, l.month, l.status, l.total, l.prepared_by, l.prepared_at, l.submitted_by, l.submitted_at, \
    l.approved_by, l.approved_at, l.paid_by, l.paid_at, l.paid_on, l.seq \
    from payment_list l join unit c on c.unit_id = l.commune_id";

/// One list, if its commune is in scope.
///
/// # Errors
/// `NotFound`.
pub async fn list_by_id(db: &Db, scope: &Scope, id: i64) -> Result<PaymentList, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!("{LIST_SELECT} where l.payment_list_id = $1 and {cond}");
    let l: Option<PaymentList> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(pool).await
    })?;
    l.ok_or_else(|| StoreError::not_found("Không tìm thấy bảng kê này"))
}

/// The lines of a list, in order.
///
/// # Errors
/// Database errors.
pub async fn lines(db: &Db, list_id: i64) -> Result<Vec<PaymentLine>, StoreError> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select payment_line_id as id, line_no, payee, team_id, team_name, policy_name, amount \
         from payment_line where payment_list_id = $1 order by line_no"
    )
    .bind(list_id)
    .fetch_all(pool)
    .await)?)
}

/// Lists within scope, newest month first (optionally of one month).
///
/// # Errors
/// Database errors.
pub async fn lists(db: &Db, scope: &Scope, month: Option<YearMonth>) -> Result<Vec<PaymentList>, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!("{LIST_SELECT} where ($1 = '' or l.month = $1) and {cond} order by l.month desc, c.path");
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(month.map(|m| m.to_string()).unwrap_or_default());
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// The payee of an entitlement line: the member or the person who worked; for a team, its leader
/// on the month's deciding day (who receives for the team), else the team itself.
#[derive(sqlx::FromRow)]
struct Owed {
    entitlement_id: i64,
    team_id: i64,
    team_name: String,
    team_sort: String,
    policy_name: String,
    amount: i64,
    person_name: Option<String>,
    person_sort: Option<String>,
    leader_name: Option<String>,
}

/// Prepares (or, while it is only prepared, prepares again) a commune's list for a month: every
/// entitlement of the commune and month not on another list, frozen into numbered lines. Once the
/// month's list has gone ahead, what was owed since (a late claim, a late computation) goes on a
/// supplementary list.
///
/// # Errors
/// `NotFound` for a commune out of scope; `Invalid` when nothing is left to list.
pub async fn prepare(db: &Db, scope: &Scope, commune_code: &str, month: YearMonth) -> Result<i64, StoreError> {
    let commune = crate::units::by_code(db, commune_code).await?;
    if commune.level != "commune" || !scope.covers(&commune.path) {
        return Err(StoreError::not_found(format!("Không có xã mã {}", commune_code.trim())));
    }
    let this = month.to_string();
    // The month's latest list: refreshed while only prepared; once it went ahead, what was owed
    // since goes on a supplementary list.
    let latest: Option<(i64, String, i64)> = on_db!(db, |pool| sqlx::query_as(
        "select payment_list_id, status, seq from payment_list where commune_id = $1 and month = $2 \
         order by seq desc limit 1"
    )
    .bind(commune.unit_id)
    .bind(&this)
    .fetch_optional(pool)
    .await)?;
    let (existing, seq) = match &latest {
        Some((id, status, seq)) if status == "prepared" => (Some((*id, status.clone())), *seq),
        Some((_, _, seq)) => (None, seq + 1),
        None => (None, 1),
    };
    let day = iso(month.deciding_day());
    let owed: Vec<Owed> = on_db!(db, |pool| {
        sqlx::query_as(
        "select e.entitlement_id, e.team_id, t.name as team_name, t.sort_key as team_sort, p.name as policy_name, e.amount, \
         pe.full_name as person_name, pe.sort_key as person_sort, \
         (select lp.full_name from membership lm join person lp on lp.person_id = lm.person_id \
           where lm.team_id = e.team_id and lm.role = 'leader' and lm.joined_on <= $3 \
             and (lm.left_on is null or lm.left_on > $3) order by lm.membership_id limit 1) as leader_name \
         from entitlement e join team t on t.team_id = e.team_id \
         join funding_policy p on p.funding_policy_id = e.funding_policy_id \
         left join person pe on pe.person_id = e.person_id \
         where e.commune_id = $1 and e.month = $2 and (e.payment_list_id is null or e.payment_list_id = $4)"
    )
    .bind(commune.unit_id)
    .bind(&this)
    .bind(&day)
    .bind(existing.as_ref().map_or(-1, |(id, _)| *id))
    .fetch_all(pool)
    .await
    })?;
    if owed.is_empty() {
        let message = if latest.is_some() {
            format!("Mọi khoản phải chi của {} tháng {} đã có trong bảng kê", commune.name, month.label())
        } else {
            format!(
                "Không có khoản nào phải chi cho {} tháng {}; hãy tính số phải chi trước",
                commune.name,
                month.label()
            )
        };
        return Err(StoreError::invalid("month", message));
    }
    let mut owed = owed;
    owed.sort_by(|a, b| {
        (&a.team_sort, a.team_id, &a.person_sort, a.entitlement_id).cmp(&(
            &b.team_sort,
            b.team_id,
            &b.person_sort,
            b.entitlement_id,
        ))
    });
    let total = Vnd::sum(owed.iter().map(|o| Vnd::new(o.amount))).ok_or_else(overflow)?;
    let actor = crate::audit::current().login;
    let stamp = now();
    in_tx!(db, |tx| {
        let id = match &existing {
            Some((id, _)) => {
                sqlx::query("delete from payment_line where payment_list_id = $1").bind(id).execute(&mut *tx).await?;
                sqlx::query("update entitlement set payment_list_id = null where payment_list_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "update payment_list set total = $2, prepared_by = $3, prepared_at = $4 where payment_list_id = $1",
                )
                .bind(id)
                .bind(total.value())
                .bind(&actor)
                .bind(&stamp)
                .execute(&mut *tx)
                .await?;
                *id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "insert into payment_list (commune_id, month, status, total, prepared_by, prepared_at, seq) \
                     values ($1, $2, 'prepared', $3, $4, $5, $6) returning payment_list_id",
                )
                .bind(commune.unit_id)
                .bind(&this)
                .bind(total.value())
                .bind(&actor)
                .bind(&stamp)
                .bind(seq)
                .fetch_one(&mut *tx)
                .await?;
                id
            }
        };
        for (n, o) in owed.iter().enumerate() {
            let payee = o.person_name.clone().or_else(|| o.leader_name.clone()).unwrap_or_else(|| o.team_name.clone());
            sqlx::query(
                "insert into payment_line (payment_list_id, entitlement_id, line_no, payee, team_id, team_name, policy_name, amount) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(o.entitlement_id)
            .bind(i64::try_from(n + 1).unwrap_or(i64::MAX))
            .bind(&payee)
            .bind(o.team_id)
            .bind(&o.team_name)
            .bind(&o.policy_name)
            .bind(o.amount)
            .execute(&mut *tx)
            .await?;
            sqlx::query("update entitlement set payment_list_id = $2 where entitlement_id = $1")
                .bind(o.entitlement_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        audit!(
            tx,
            crate::audit::Event::new("payment_list", id, "prepare").unit(&commune.path).after(serde_json::json!({
                "month": this, "lines": owed.len(), "total": total.value()
            }))
        );
        Ok::<i64, StoreError>(id)
    })
}

/// Moves a list one step: submitted for approval, approved (by someone other than who prepared
/// it, the command line excepted), or paid on a day (each line then becomes a ledger entry).
///
/// # Errors
/// `NotFound` out of scope; `Conflict` for a step out of order or an approver who prepared it.
pub async fn advance(
    db: &Db,
    scope: &Scope,
    id: i64,
    to: ListStatus,
    paid_on: Option<time::Date>,
) -> Result<(), StoreError> {
    let l = list_by_id(db, scope, id).await?;
    let from = l.status().ok_or_else(|| StoreError::conflict("status", "Trạng thái bảng kê không rõ"))?;
    let expected = match to {
        ListStatus::Submitted => ListStatus::Prepared,
        ListStatus::Approved => ListStatus::Submitted,
        ListStatus::Paid => ListStatus::Approved,
        ListStatus::Prepared => return Err(StoreError::conflict("status", "Bảng kê đã lập rồi")),
    };
    if from != expected {
        return Err(StoreError::conflict(
            "status",
            format!("Bảng kê đang ở bước “{}”; không chuyển sang “{}” được", from.label(), to.label()),
        ));
    }
    let actor = crate::audit::current();
    if to == ListStatus::Approved && actor.channel != "cli" && actor.login == l.prepared_by {
        return Err(StoreError::conflict("status", "Người lập bảng kê không tự duyệt bảng kê của mình"));
    }
    let paid_on = match (to, paid_on) {
        (ListStatus::Paid, Some(d)) => Some(iso(d)),
        (ListStatus::Paid, None) => Some(iso(crate::today())),
        _ => None,
    };
    let stamp = now();
    let lines = lines(db, id).await?;
    let commune_id: (i64,) =
        on_db!(db, |pool| sqlx::query_as("select commune_id from payment_list where payment_list_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await)?;
    in_tx!(db, |tx| {
        let (by, at) = match to {
            ListStatus::Submitted => ("submitted_by", "submitted_at"),
            ListStatus::Approved => ("approved_by", "approved_at"),
            _ => ("paid_by", "paid_at"),
        };
        let sql = format!(
            "update payment_list set status = $2, {by} = $3, {at} = $4, paid_on = coalesce($5, paid_on) \
             where payment_list_id = $1 and status = $6"
        );
        let done = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(id)
            .bind(to.code())
            .bind(&actor.login)
            .bind(&stamp)
            .bind(&paid_on)
            .bind(expected.code())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(StoreError::conflict("status", "Bảng kê vừa được người khác chuyển bước; hãy tải lại"));
        }
        if to == ListStatus::Paid {
            for line in &lines {
                sqlx::query(
                    "insert into ledger_entry (kind, paid_on, month, team_id, commune_id, payment_line_id, amount, payee, \
                     note, recorded_by, recorded_at) values ('payment', $1, $2, $3, $4, $5, $6, $7, '', $8, $9)",
                )
                .bind(&paid_on)
                .bind(&l.month)
                .bind(line.team_id)
                .bind(commune_id.0)
                .bind(line.id)
                .bind(line.amount)
                .bind(&line.payee)
                .bind(&actor.login)
                .bind(&stamp)
                .execute(&mut *tx)
                .await?;
            }
        }
        audit!(
            tx,
            crate::audit::Event::new("payment_list", id, to.code())
                .unit(&l.commune_path)
                .before(serde_json::json!({ "status": from.code() }))
                .after(serde_json::json!({ "status": to.code(), "paid_on": paid_on, "total": l.total }))
        );
        Ok::<(), StoreError>(())
    })
}

// ------------------------------------------------------------------------------- the ledger

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LedgerEntry {
    pub id: i64,
    pub kind: String,
    pub paid_on: String,
    pub month: String,
    pub team_id: i64,
    pub team: String,
    pub commune_code: String,
    #[serde(skip)]
    pub commune_id: i64,
    #[serde(skip)]
    pub commune_path: String,
    pub payment_line_id: Option<i64>,
    pub reverses_id: Option<i64>,
    pub amount: i64,
    pub payee: String,
    pub note: String,
    pub recorded_by: String,
}

const LEDGER_SELECT: &str = "select g.ledger_entry_id as id, g.kind, g.paid_on, g.month, g.team_id, t.name as team, \
    c.code as commune_code, g.commune_id, c.path as commune_path, g.payment_line_id, g.reverses_id, g.amount, g.payee, g.note, \
    g.recorded_by from ledger_entry g join team t on t.team_id = g.team_id join unit c on c.unit_id = g.commune_id";

/// Which entries to read: a scope, optionally one team, and paid days from / to (inclusive).
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub team_id: Option<i64>,
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
}

/// Entries within scope, oldest first.
///
/// # Errors
/// Database errors.
pub async fn entries(db: &Db, scope: &Scope, f: &LedgerFilter) -> Result<Vec<LedgerEntry>, StoreError> {
    let (cond, values) = scope.condition("c.path", 4);
    let sql = format!(
        "{LEDGER_SELECT} where ($1 = 0 or g.team_id = $1) and ($2 = '' or g.paid_on >= $2) and ($3 = '' or g.paid_on <= $3) \
         and {cond} order by g.paid_on, g.ledger_entry_id"
    );
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()))
            .bind(f.team_id.unwrap_or(0))
            .bind(f.from.map(iso).unwrap_or_default())
            .bind(f.to.map(iso).unwrap_or_default());
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// One entry, if its commune is in scope.
///
/// # Errors
/// `NotFound`.
pub async fn entry(db: &Db, scope: &Scope, id: i64) -> Result<LedgerEntry, StoreError> {
    let (cond, values) = scope.condition("c.path", 2);
    let sql = format!("{LEDGER_SELECT} where g.ledger_entry_id = $1 and {cond}");
    let e: Option<LedgerEntry> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(pool).await
    })?;
    e.ok_or_else(|| StoreError::not_found("Không tìm thấy bút toán này"))
}

/// The balance paid, derived from the ledger: the sum of entries within scope and filter.
///
/// # Errors
/// Database errors.
pub async fn balance(db: &Db, scope: &Scope, f: &LedgerFilter) -> Result<Vnd, StoreError> {
    let (cond, values) = scope.condition("c.path", 4);
    let sql = format!(
        "select cast(coalesce(sum(g.amount), 0) as bigint) from ledger_entry g join unit c on c.unit_id = g.commune_id \
         where ($1 = 0 or g.team_id = $1) and ($2 = '' or g.paid_on >= $2) and ($3 = '' or g.paid_on <= $3) and {cond}"
    );
    let (sum,): (i64,) = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()))
            .bind(f.team_id.unwrap_or(0))
            .bind(f.from.map(iso).unwrap_or_default())
            .bind(f.to.map(iso).unwrap_or_default());
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_one(pool).await
    })?;
    Ok(Vnd::new(sum))
}

/// Reverses an entry (a new entry of the opposite amount); an entry is reversed once.
///
/// # Errors
/// `NotFound` out of scope; `Conflict` for a reversal or an entry reversed already.
pub async fn reverse(db: &Db, scope: &Scope, entry_id: i64, note: &str) -> Result<i64, StoreError> {
    let e = entry(db, scope, entry_id).await?;
    if e.kind == "reversal" {
        return Err(StoreError::conflict("kind", "Không đảo một bút toán đảo"));
    }
    let note = domain::text::clean(note);
    if note.is_empty() {
        return Err(StoreError::invalid("note", "Ghi rõ lý do đảo bút toán"));
    }
    let actor = crate::audit::current().login;
    let stamp = now();
    let commune = (e.commune_id,);
    let r: Result<i64, StoreError> = in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into ledger_entry (kind, paid_on, month, team_id, commune_id, reverses_id, amount, payee, note, \
             recorded_by, recorded_at) values ('reversal', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning ledger_entry_id",
        )
        .bind(iso(crate::today()))
        .bind(&e.month)
        .bind(e.team_id)
        .bind(commune.0)
        .bind(entry_id)
        .bind(-e.amount)
        .bind(&e.payee)
        .bind(&note)
        .bind(&actor)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(
            tx,
            crate::audit::Event::new("ledger_entry", id, "reverse")
                .unit(&e.commune_path)
                .after(serde_json::json!({ "reverses": entry_id, "amount": -e.amount, "note": note }))
        );
        Ok::<i64, StoreError>(id)
    });
    r.map_err(|err| {
        if err.is_unique_violation() {
            StoreError::conflict("reverses_id", "Bút toán này đã được đảo")
        } else {
            err
        }
    })
}

/// A correcting entry for a team and month (after a reversal, the right amount).
///
/// # Errors
/// `NotFound` for a team out of scope; `Invalid` for a zero amount or no note.
pub async fn adjust(
    db: &Db,
    scope: &Scope,
    team_id: i64,
    month: YearMonth,
    amount: Vnd,
    payee: &str,
    note: &str,
) -> Result<i64, StoreError> {
    let team = crate::teams::get(db, scope, team_id).await?;
    if amount.value() == 0 {
        return Err(StoreError::invalid("amount", "Số tiền điều chỉnh phải khác 0"));
    }
    let note = domain::text::clean(note);
    if note.is_empty() {
        return Err(StoreError::invalid("note", "Ghi rõ lý do điều chỉnh"));
    }
    let payee = domain::text::clean(payee);
    let actor = crate::audit::current().login;
    let stamp = now();
    let commune = (crate::reports::commune_id_of(db, team_id).await?,);
    in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into ledger_entry (kind, paid_on, month, team_id, commune_id, amount, payee, note, recorded_by, recorded_at) \
             values ('adjustment', $1, $2, $3, $4, $5, $6, $7, $8, $9) returning ledger_entry_id",
        )
        .bind(iso(crate::today()))
        .bind(month.to_string())
        .bind(team_id)
        .bind(commune.0)
        .bind(amount.value())
        .bind(if payee.is_empty() { &team.name } else { &payee })
        .bind(&note)
        .bind(&actor)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(
            tx,
            crate::audit::Event::new("ledger_entry", id, "adjust")
                .unit(&team.commune_path)
                .after(serde_json::json!({ "team_id": team_id, "month": month.to_string(), "amount": amount.value(), "note": note }))
        );
        Ok::<i64, StoreError>(id)
    })
}

/// Planned (the simulator over the policies in force, on the registry of each month's first day,
/// for the villages in the unit today), owed (entitlements) and paid (the ledger) for a unit,
/// month by month: the three columns count the same villages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthFigures {
    pub month: String,
    pub planned: Vnd,
    pub owed: Vnd,
    pub paid: Vnd,
}

/// The report of planned vs owed vs paid for a unit over months, within scope.
///
/// # Errors
/// `NotFound` for a unit; database errors; overflow.
pub async fn report(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    from: YearMonth,
    months: u32,
) -> Result<Vec<MonthFigures>, StoreError> {
    let unit = crate::units::by_code(db, unit_code).await?;
    let narrowed = scope.narrow(&unit.path);
    let policies: Vec<String> = in_force(db).await?.into_iter().map(|p| p.name).collect();
    let mut out = Vec::new();
    for month in from.span(months) {
        // Planned over the same villages as owed and paid (those in the unit today), each on the
        // boundaries of the month's first day: every root of that day, narrowed to the unit.
        let mut planned = Vnd::ZERO;
        if !policies.is_empty() {
            for root in crate::units::roots_at(db, month.first_day()).await? {
                let sim = crate::funding::simulate(db, &narrowed, &root.code, month, 1, &policies, Default::default())
                    .await?;
                for p in sim.policies.iter().filter(|p| p.kind != PolicyKind::OneOff) {
                    planned = planned.checked_add(p.scenarios[0].total).ok_or_else(overflow)?;
                }
            }
        }
        let owed = Vnd::sum(entitlements(db, &narrowed, month).await?.iter().map(|e| Vnd::new(e.amount)))
            .ok_or_else(overflow)?;
        let (cond, values) = narrowed.condition("c.path", 2);
        let sql = format!(
            "select cast(coalesce(sum(g.amount), 0) as bigint) from ledger_entry g join unit c on c.unit_id = g.commune_id \
             where g.month = $1 and {cond}"
        );
        let (paid,): (i64,) = on_db!(db, |pool| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(month.to_string());
            for v in &values {
                q = q.bind(v);
            }
            q.fetch_one(pool).await
        })?;
        out.push(MonthFigures { month: month.to_string(), planned, owed, paid: Vnd::new(paid) });
    }
    Ok(out)
}
