//! Funding policies, versioned, and the budget simulator over the registry as it stood on the
//! first day of a period.

use domain::funding::{
    Assumptions, FundingSource, PolicyInput, PolicyKind, PolicyStatus, ProjectedVillage, Scenario, SimPolicy, Terms,
    YearMonth,
};
use domain::money::Vnd;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::units::{self, Unit};
use crate::{Db, Scope, StoreError, iso, now, parse_iso};

/// One version of a policy, with the unit it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Policy {
    pub id: i64,
    pub policy_key: String,
    pub version: i64,
    pub name: String,
    pub legal_basis: String,
    pub kind: String,
    pub amount: i64,
    pub effective_from: String,
    pub effective_to: Option<String>,
    pub scope_code: String,
    pub scope_name: String,
    #[serde(skip)]
    pub scope_path: String,
    pub cap_months: Option<i64>,
    pub cap_per_year: Option<i64>,
    pub source: String,
    pub status: String,
    pub note: String,
    pub created_at: String,
    /// When a newer version replaced this one; `None` for the current version.
    pub superseded_at: Option<String>,
}

impl Policy {
    #[must_use]
    pub fn kind(&self) -> Option<PolicyKind> {
        PolicyKind::from_code(&self.kind)
    }

    #[must_use]
    pub fn status(&self) -> Option<PolicyStatus> {
        PolicyStatus::from_code(&self.status)
    }

    #[must_use]
    pub fn source(&self) -> Option<FundingSource> {
        FundingSource::from_code(&self.source)
    }

    /// The terms the arithmetic needs.
    #[must_use]
    pub fn terms(&self) -> Option<Terms> {
        Some(Terms {
            kind: self.kind()?,
            amount: Vnd::new(self.amount),
            effective_from: parse_iso(&self.effective_from)?,
            effective_to: self.effective_to.as_deref().and_then(parse_iso),
            cap_months: self.cap_months.and_then(|c| u32::try_from(c).ok()),
            cap_per_year: self.cap_per_year.map(Vnd::new),
        })
    }
}

const SELECT: &str = "select p.funding_policy_id as id, p.policy_key, p.version, p.name, p.legal_basis, p.kind, \
    p.amount, p.effective_from, p.effective_to, u.code as scope_code, u.name as scope_name, u.path as scope_path, \
    p.cap_months, p.cap_per_year, p.source, p.status, p.note, p.created_at, p.superseded_at \
    from funding_policy p join unit u on u.unit_id = p.scope_unit_id";

/// A key from a name: its folded words joined by dashes (`phuong-an-a`).
fn key_of(name: &str) -> String {
    let folded = domain::text::fold(name);
    let words: Vec<String> =
        folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
    if words.is_empty() { "chinh-sach".to_owned() } else { words.join("-") }
}

/// The unit a policy covers: a current unit by code, or failing that the last row of an ended
/// one (a policy recorded for a unit that has since been reorganised).
async fn scope_unit(db: &Db, code: &str) -> Result<Unit, StoreError> {
    match units::by_code(db, code).await {
        Ok(u) => Ok(u),
        Err(StoreError::NotFound(_)) => units::latest_by_code(db, code)
            .await
            .map_err(|_| StoreError::invalid("scope", format!("Không có đơn vị hành chính mã {}", code.trim()))),
        Err(e) => Err(e),
    }
}

fn name_taken(name: &str) -> StoreError {
    StoreError::conflict("name", format!("Đã có chính sách tên “{name}”; hãy đặt tên khác hoặc sửa chính sách đó"))
}

/// Records a new policy (its first version).
///
/// # Errors
/// `Invalid` for an unknown unit; `Conflict` when a current policy has the name.
pub async fn create(db: &Db, input: &PolicyInput) -> Result<i64, StoreError> {
    let unit = scope_unit(db, &input.scope).await?;
    let base = key_of(&input.name);
    // A key unique across every version ever recorded.
    let (taken,): (i64,) = on_db!(db, |pool| sqlx::query_as(
        "select count(*) from funding_policy where policy_key = $1 or policy_key like $2"
    )
    .bind(&base)
    .bind(format!("{base}-%"))
    .fetch_one(pool)
    .await)?;
    let key = if taken == 0 { base } else { format!("{base}-{}", taken + 1) };
    insert_version(db, &key, 1, None, input, &unit).await
}

/// Records a change as a new version; the old one stays, superseded, for whatever was computed
/// under it.
///
/// # Errors
/// `NotFound` when the policy does not exist or `id` is not its current version; `Invalid` for an
/// unknown unit; `Conflict` when another current policy has the name.
pub async fn revise(db: &Db, id: i64, input: &PolicyInput) -> Result<i64, StoreError> {
    let old = get(db, id).await?;
    if old.superseded_at.is_some() {
        return Err(StoreError::conflict("version", "Đây là phiên bản cũ; hãy sửa phiên bản hiện hành"));
    }
    let unit = scope_unit(db, &input.scope).await?;
    insert_version(db, &old.policy_key, old.version + 1, Some(&old), input, &unit).await
}

async fn insert_version(
    db: &Db,
    key: &str,
    version: i64,
    previous: Option<&Policy>,
    input: &PolicyInput,
    unit: &Unit,
) -> Result<i64, StoreError> {
    let stamp = now();
    let t = &input.terms;
    let r: Result<i64, StoreError> = in_tx!(db, |tx| {
        if let Some(p) = previous {
            sqlx::query("update funding_policy set superseded_at = $2 where funding_policy_id = $1")
                .bind(p.id)
                .bind(&stamp)
                .execute(&mut *tx)
                .await?;
        }
        let (id,): (i64,) = sqlx::query_as(
            "insert into funding_policy (policy_key, version, name, name_key, legal_basis, kind, amount, effective_from, \
             effective_to, scope_unit_id, cap_months, cap_per_year, source, status, note, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) returning funding_policy_id",
        )
        .bind(key)
        .bind(version)
        .bind(&input.name)
        .bind(domain::text::fold(&input.name))
        .bind(&input.legal_basis)
        .bind(t.kind.code())
        .bind(t.amount.value())
        .bind(iso(t.effective_from))
        .bind(t.effective_to.map(iso))
        .bind(unit.unit_id)
        .bind(t.cap_months.map(i64::from))
        .bind(t.cap_per_year.map(Vnd::value))
        .bind(input.source.code())
        .bind(input.status.code())
        .bind(&input.note)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({
            "key": key, "version": version, "name": input.name, "legal_basis": input.legal_basis,
            "kind": t.kind.code(), "amount": t.amount.value(), "effective_from": iso(t.effective_from),
            "effective_to": t.effective_to.map(iso), "scope": unit.code, "cap_months": t.cap_months,
            "cap_per_year": t.cap_per_year.map(Vnd::value), "source": input.source.code(), "status": input.status.code(),
        });
        let mut event =
            crate::audit::Event::new("funding_policy", id, if previous.is_some() { "revise" } else { "create" })
                .unit(&unit.path)
                .after(after);
        if let Some(p) = previous {
            event = event.before(serde_json::to_value(p).unwrap_or_default());
        }
        audit!(tx, event);
        Ok::<i64, StoreError>(id)
    });
    r.map_err(|e| if e.is_unique_violation() { name_taken(&input.name) } else { e })
}

/// One version by id.
///
/// # Errors
/// `NotFound`.
pub async fn get(db: &Db, id: i64) -> Result<Policy, StoreError> {
    let sql = format!("{SELECT} where p.funding_policy_id = $1");
    let p: Option<Policy> =
        on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(pool).await)?;
    p.ok_or_else(|| StoreError::not_found("Không tìm thấy chính sách này"))
}

/// The current version of the policy with this name (case and diacritics ignored).
///
/// # Errors
/// `NotFound`.
pub async fn by_name(db: &Db, name: &str) -> Result<Policy, StoreError> {
    let sql = format!("{SELECT} where p.name_key = $1 and p.superseded_at is null");
    let p: Option<Policy> = on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(domain::text::fold(name))
        .fetch_optional(pool)
        .await)?;
    p.ok_or_else(|| StoreError::not_found(format!("Không có chính sách tên “{}”", name.trim())))
}

/// Every version of a policy, newest first.
///
/// # Errors
/// Database errors.
pub async fn versions(db: &Db, key: &str) -> Result<Vec<Policy>, StoreError> {
    let sql = format!("{SELECT} where p.policy_key = $1 order by p.version desc");
    Ok(on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(key).fetch_all(pool).await)?)
}

/// The current policies a reader concerns: those covering a unit in their scope, or covering a
/// unit above it (a province's policy reaches a commune's officer). By unit, then name.
///
/// # Errors
/// Database errors.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<Policy>, StoreError> {
    let (cond, values) = match scope {
        Scope::All => ("1 = 1".to_owned(), Vec::new()),
        Scope::Paths(paths) if paths.is_empty() => ("1 = 0".to_owned(), Vec::new()),
        Scope::Paths(paths) => {
            let parts: Vec<String> = (0..paths.len())
                .map(|i| format!("(u.path like ${n} or ${m} like u.path || '%')", n = 2 * i + 1, m = 2 * i + 2))
                .collect();
            let values = paths.iter().flat_map(|p| [format!("{p}%"), p.clone()]).collect();
            (format!("({})", parts.join(" or ")), values)
        }
    };
    let sql = format!("{SELECT} where p.superseded_at is null and {cond} order by u.path, p.name_key");
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str()));
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?)
}

/// Whether a policy concerns a reader: it covers a unit inside their scope, or a unit above one.
#[must_use]
pub fn concerns(scope: &Scope, policy: &Policy) -> bool {
    match scope {
        Scope::All => true,
        Scope::Paths(paths) => {
            paths.iter().any(|p| policy.scope_path.starts_with(p.as_str()) || p.starts_with(&policy.scope_path))
        }
    }
}

/// A row of the simulator's breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowRef {
    pub code: String,
    pub name: String,
    pub villages: i64,
    pub teams: i64,
    pub members: i64,
}

/// One policy's cost in one scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioCost {
    pub scenario: Scenario,
    pub total: Vnd,
    /// One amount per breakdown row, in the order of [`Simulation::rows`].
    pub rows: Vec<Vnd>,
}

/// One policy's costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyCost {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub kind: PolicyKind,
    pub amount: Vnd,
    pub status: String,
    pub scenarios: Vec<ScenarioCost>,
}

/// The simulator's answer: every policy, both scenarios, by child unit, in whole đồng.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Simulation {
    pub unit: RowRef,
    pub level: String,
    /// The first month, `2024-09`.
    pub from: String,
    pub months: u32,
    /// The day whose registry is projected (the first day of the period).
    pub as_of: String,
    pub work_days_per_member_month: u32,
    pub rows: Vec<RowRef>,
    /// Side by side: alternatives are not added up.
    pub policies: Vec<PolicyCost>,
}

/// Simulates the cost of policies for a unit over `months` months from `from`, on the registry
/// as it stood on the period's first day (that day's units, villages, teams and members), broken
/// down by the unit's children of that day (a commune's villages). With no names, every current
/// policy that is not withdrawn and concerns the unit.
///
/// # Errors
/// `NotFound` for a unit that did not exist on that day or an unknown policy; `Invalid` for a
/// period of no months; overflow.
pub async fn simulate(
    db: &Db,
    scope: &Scope,
    unit_code: &str,
    from: YearMonth,
    months: u32,
    names: &[String],
    assume: Assumptions,
) -> Result<Simulation, StoreError> {
    if months == 0 || months > 600 {
        return Err(StoreError::invalid("months", "Số tháng phải từ 1 đến 600"));
    }
    let day = from.first_day();
    let unit = units::by_code_at(db, unit_code, day).await?;
    let villages = crate::coverage::villages_at(db, scope, &unit, day, day).await?;
    let is_commune = unit.level == "commune";
    let mut rows: Vec<RowRef> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    if is_commune {
        for v in &villages {
            rows.push(RowRef {
                code: format!("v{}", v.village_id),
                name: v.name.clone(),
                villages: 0,
                teams: 0,
                members: 0,
            });
        }
    } else {
        for child in units::children_at(db, &unit, day).await? {
            paths.push(child.path.clone());
            rows.push(RowRef { code: child.code, name: child.name, villages: 0, teams: 0, members: 0 });
        }
    }
    let mut projected = Vec::new();
    for (i, v) in villages.iter().enumerate() {
        let row = if is_commune { Some(i) } else { paths.iter().position(|p| v.commune_path.starts_with(p.as_str())) };
        let Some(row) = row else { continue };
        let r = &mut rows[row];
        r.villages += 1;
        if v.team_id.is_some() {
            r.teams += 1;
            r.members += v.members;
        }
        projected.push(ProjectedVillage {
            row,
            commune_path: v.commune_path.clone(),
            has_team: v.team_id.is_some(),
            members: v.members,
        });
    }
    let chosen = if names.is_empty() {
        list(db, &Scope::Paths(vec![unit.path.clone()]))
            .await?
            .into_iter()
            .filter(|p| p.status() != Some(PolicyStatus::Withdrawn))
            .collect()
    } else {
        let mut out = Vec::new();
        for n in names {
            out.push(by_name(db, n).await?);
        }
        out
    };
    // A one-off grant to the simulated unit itself gets a row of its own, so that rows still
    // sum to the total.
    let own_row = chosen.iter().any(|p| p.kind() == Some(PolicyKind::OneOff) && p.scope_path == unit.path);
    if own_row {
        rows.push(RowRef {
            code: unit.code.clone(),
            name: format!("{} (cấp cho chính đơn vị)", unit.name),
            villages: 0,
            teams: 0,
            members: 0,
        });
    }
    let period = from.span(months);
    let mut policies = Vec::new();
    for p in &chosen {
        let Some(terms) = p.terms() else { continue };
        let one_off_row = if p.scope_path == unit.path {
            own_row.then_some(rows.len() - 1)
        } else if is_commune {
            None
        } else {
            paths.iter().position(|c| p.scope_path.starts_with(c.as_str()))
        };
        let sim = SimPolicy { terms: terms.clone(), scope_path: p.scope_path.clone(), one_off_row };
        let mut scenarios = Vec::new();
        for s in Scenario::ALL {
            let by_row = domain::funding::simulate(&sim, s, &projected, rows.len(), &period, assume)
                .map_err(|e| StoreError::invalid("amount", e.to_string()))?;
            let sum = Vnd::sum(by_row.iter().copied()).ok_or_else(overflow)?;
            scenarios.push(ScenarioCost { scenario: s, total: sum, rows: by_row });
        }
        policies.push(PolicyCost {
            id: p.id,
            name: p.name.clone(),
            version: p.version,
            kind: terms.kind,
            amount: terms.amount,
            status: p.status.clone(),
            scenarios,
        });
    }
    let whole = RowRef {
        code: unit.code.clone(),
        name: unit.name.clone(),
        villages: rows.iter().map(|r| r.villages).sum(),
        teams: rows.iter().map(|r| r.teams).sum(),
        members: rows.iter().map(|r| r.members).sum(),
    };
    Ok(Simulation {
        unit: whole,
        level: unit.level.clone(),
        from: from.to_string(),
        months,
        as_of: iso(day),
        work_days_per_member_month: assume.work_days_per_member_month,
        rows,
        policies,
    })
}

fn overflow() -> StoreError {
    StoreError::invalid("amount", "Số tiền vượt quá giới hạn tính toán")
}
