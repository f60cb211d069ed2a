//! Applying a reorganisation (sắp xếp đơn vị hành chính): a mapping file and the new state,
//! from an effective day, in one transaction. Nothing is deleted: rows end, new rows begin,
//! links record who succeeds whom, and villages move to their commune's successor.

use std::collections::HashMap;

use domain::reorg::{LinkKind, Plan, parse_changes_csv, plan};
use domain::text;
use domain::units::{Level, UnitRow, parse_state_csv};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use crate::{Db, StoreError, iso, now};

/// What applying (or a dry run of) a change set did or would do.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub effective_on: String,
    /// The same files were applied before: nothing was done.
    pub already_applied: bool,
    pub dry_run: bool,
    pub plan: Plan,
    /// One Vietnamese line per change.
    pub changes: Vec<String>,
    /// Villages that move to another commune row.
    pub villages_moved: i64,
    /// Villages whose name now clashes with another village of their commune, flagged for a
    /// person to rename or merge.
    pub villages_flagged: i64,
    /// Grants on ended units passed to their successors, pending an administrator's
    /// confirmation.
    pub grants_passed: i64,
    pub change_set_id: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct CurrentRow {
    unit_id: i64,
    code: String,
    name: String,
    level: String,
    parent_code: Option<String>,
    path: String,
}

fn fingerprint(changes: &str, state: &str, effective: &str) -> String {
    let mut h = Sha256::new();
    for part in [effective, "\n", changes, "\n", state] {
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Plans and, unless `dry_run`, applies a change set read from its two files.
///
/// # Errors
/// `Invalid` for files that cannot be read or a mapping that does not fit the units current on
/// the effective day (every problem listed); `Conflict` when a later change set has already
/// been applied; database errors.
pub async fn apply_files(
    db: &Db,
    changes_text: &str,
    state_text: &str,
    effective: time::Date,
    source: &str,
    dry_run: bool,
) -> Result<ApplyReport, StoreError> {
    apply_with_villages(db, changes_text, state_text, None, effective, source, dry_run).await
}

/// As [`apply_files`], with a villages file (`old_code,village,new_code`) saying where each
/// village of a split commune goes; a change set that splits a commune needs one.
///
/// # Errors
/// As [`apply_files`]; also every village of a split commune left unassigned or misassigned.
pub async fn apply_with_villages(
    db: &Db,
    changes_text: &str,
    state_text: &str,
    villages_text: Option<&str>,
    effective: time::Date,
    source: &str,
    dry_run: bool,
) -> Result<ApplyReport, StoreError> {
    // Line endings do not matter: a file sent through a browser form comes back with CRLF.
    let (changes_text, state_text) = (&changes_text.replace("\r\n", "\n"), &state_text.replace("\r\n", "\n"));
    let mapping =
        parse_changes_csv(changes_text).map_err(|e| StoreError::invalid("changes", format!("Tệp chuyển đổi: {e}")))?;
    let state =
        parse_state_csv(state_text).map_err(|e| StoreError::invalid("state", format!("Tệp trạng thái: {e}")))?;
    let day = iso(effective);
    let villages_text = villages_text.map(|v| v.replace("\r\n", "\n")).unwrap_or_default();
    let print = fingerprint(&format!("{changes_text}\n{villages_text}"), state_text, &day);

    let applied: Option<(i64,)> =
        on_db!(db, |pool| sqlx::query_as("select unit_change_set_id from unit_change_set where fingerprint = $1")
            .bind(&print)
            .fetch_optional(pool)
            .await)?;
    let (later,): (i64,) =
        on_db!(db, |pool| sqlx::query_as("select count(*) from unit_change_set where effective_on > $1")
            .bind(&day)
            .fetch_one(pool)
            .await)?;
    if let Some((id,)) = applied {
        return Ok(ApplyReport {
            effective_on: day,
            already_applied: true,
            dry_run,
            plan: Plan::default(),
            changes: Vec::new(),
            villages_moved: 0,
            villages_flagged: 0,
            grants_passed: 0,
            change_set_id: Some(id),
        });
    }
    if later > 0 {
        return Err(StoreError::conflict(
            "effective",
            "Đã áp dụng một thay đổi có hiệu lực sau ngày này; không áp dụng thay đổi cũ hơn sau thay đổi mới hơn",
        ));
    }

    // The provinces the change touches: those of the new state and those of the old communes.
    let mut provinces: Vec<String> =
        state.iter().filter(|u| u.level == Level::Province).map(|u| u.code.clone()).collect();
    let old_codes: Vec<&str> = mapping.iter().map(|m| m.old_code.as_str()).collect();
    let all_current = current_rows(db, &day).await?;
    for r in all_current.iter().filter(|r| old_codes.contains(&r.code.as_str())) {
        if let Some(p) = r.path.split('/').next()
            && !provinces.iter().any(|x| x == p)
        {
            provinces.push(p.to_owned());
        }
    }
    let current: Vec<&CurrentRow> =
        all_current.iter().filter(|r| provinces.iter().any(|p| r.path.starts_with(&format!("{p}/")))).collect();
    let rows: Vec<UnitRow> = current
        .iter()
        .filter_map(|r| {
            Some(UnitRow {
                code: r.code.clone(),
                name: r.name.clone(),
                level: Level::from_code(&r.level)?,
                parent_code: r.parent_code.clone(),
            })
        })
        .collect();
    let plan = plan(&rows, &state, &mapping).map_err(|e| StoreError::invalid("changes", e.to_string()))?;
    let changes = plan.describe();
    let by_code: HashMap<&str, &CurrentRow> = current.iter().map(|r| (r.code.as_str(), *r)).collect();
    let moving: Vec<i64> = plan
        .village_moves
        .keys()
        .chain(plan.splits.keys())
        .filter_map(|c| by_code.get(c.as_str()).map(|r| r.unit_id))
        .collect();
    let villages_moved = count_villages(db, &moving).await?;
    // A split commune's villages go where the villages file says, each of them.
    let mut assigned: std::collections::BTreeMap<i64, String> = std::collections::BTreeMap::new();
    if !plan.splits.is_empty() {
        if villages_text.trim().is_empty() {
            let codes: Vec<&str> = plan.splits.keys().map(String::as_str).collect();
            return Err(StoreError::invalid(
                "villages",
                format!(
                    "Đợt này chia tách xã {}: cần tệp thôn (old_code,village,new_code) ghi rõ từng thôn về đâu",
                    codes.join(", ")
                ),
            ));
        }
        let rows = domain::reorg::parse_villages_csv(&villages_text)
            .map_err(|e| StoreError::invalid("villages", format!("Tệp thôn: {e}")))?;
        let mut villages = std::collections::BTreeMap::new();
        for code in plan.splits.keys() {
            if let Some(r) = by_code.get(code.as_str()) {
                villages.insert(code.clone(), open_villages(db, r.unit_id).await?);
            }
        }
        assigned = domain::reorg::assign_villages(&plan.splits, &villages, &rows)
            .map_err(|e| StoreError::invalid("villages", e.to_string()))?;
    }

    let mut report = ApplyReport {
        effective_on: day.clone(),
        already_applied: plan.is_empty(),
        dry_run,
        plan,
        changes,
        villages_moved,
        villages_flagged: 0,
        grants_passed: 0,
        change_set_id: None,
    };
    if dry_run || report.already_applied {
        return Ok(report);
    }

    let stamp = now();
    let summary = format!(
        "{} đơn vị kết thúc, {} đơn vị mới, {} giữ nguyên, {} thôn chuyển xã",
        report.plan.ended.len(),
        report.plan.created.len(),
        report.plan.kept,
        villages_moved
    );
    let flag = format!(
        "Trùng tên với thôn khác cùng xã sau sắp xếp ngày {}: cần đổi tên hoặc nhập thôn",
        domain::input::format_date(effective)
    );
    let p = &report.plan;
    let passing = grant_successors(p, &current);
    let (set_id, flagged, passed) = in_tx!(db, |tx| {
        let (set_id,): (i64,) = sqlx::query_as(
            "insert into unit_change_set (effective_on, source, fingerprint, summary, applied_at) \
             values ($1, $2, $3, $4, $5) returning unit_change_set_id",
        )
        .bind(&day)
        .bind(source)
        .bind(&print)
        .bind(&summary)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        for u in &p.ended {
            if let Some(r) = by_code.get(u.code.as_str()) {
                sqlx::query("update unit set valid_to = $2, updated_at = $3 where unit_id = $1")
                    .bind(r.unit_id)
                    .bind(&day)
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // Rows current from the change on: kept ones, then new ones (parents first).
        let mut after: HashMap<String, (i64, String)> = current
            .iter()
            .filter(|r| !p.ended.iter().any(|e| e.code == r.code))
            .map(|r| (r.code.clone(), (r.unit_id, r.path.clone())))
            .collect();
        for u in &p.created {
            let (parent_id, parent_path) = match &u.parent_code {
                None => (None, String::new()),
                Some(pc) => {
                    let (id, path) = after.get(pc).ok_or_else(|| {
                        StoreError::invalid(
                            "state",
                            format!("Đơn vị cấp trên {pc} của {} không có trong trạng thái mới", u.code),
                        )
                    })?;
                    (Some(*id), path.clone())
                }
            };
            let path = format!("{parent_path}{}/", u.code);
            let (id,): (i64,) = sqlx::query_as(crate::units::INSERT_UNIT)
                .bind(&u.code)
                .bind(&u.name)
                .bind(u.level.code())
                .bind(parent_id)
                .bind(&path)
                .bind(&day)
                .bind(text::fold(&u.name))
                .bind(text::sort_key(&u.name))
                .bind(&stamp)
                .fetch_one(&mut *tx)
                .await?;
            after.insert(u.code.clone(), (id, path));
        }
        for l in &p.links {
            let (Some(from), Some((to, _))) = (by_code.get(l.from.as_str()), after.get(&l.to)) else { continue };
            sqlx::query(
                "insert into unit_link (predecessor_id, successor_id, kind, unit_change_set_id) values ($1, $2, $3, $4)",
            )
            .bind(from.unit_id)
            .bind(*to)
            .bind(l.kind.code())
            .bind(set_id)
            .execute(&mut *tx)
            .await?;
        }
        // Villages follow their commune; their teams follow them (teams point at villages).
        for (old, new) in &p.village_moves {
            let (Some(from), Some((to, _))) = (by_code.get(old.as_str()), after.get(new)) else { continue };
            sqlx::query(
                "insert into village_placement (village_id, commune_id, valid_from, unit_change_set_id) \
                 select village_id, $2, $3, $4 from village_placement where commune_id = $1 and valid_to is null",
            )
            .bind(from.unit_id)
            .bind(*to)
            .bind(&day)
            .bind(set_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("update village_placement set valid_to = $2 where commune_id = $1 and valid_to is null")
                .bind(from.unit_id)
                .bind(&day)
                .execute(&mut *tx)
                .await?;
            sqlx::query("update village set commune_id = $2, updated_at = $3 where commune_id = $1")
                .bind(from.unit_id)
                .bind(*to)
                .bind(&stamp)
                .execute(&mut *tx)
                .await?;
        }
        for (village, code) in &assigned {
            let Some((to, _)) = after.get(code) else { continue };
            sqlx::query("update village_placement set valid_to = $2 where village_id = $1 and valid_to is null")
                .bind(village)
                .bind(&day)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "insert into village_placement (village_id, commune_id, valid_from, unit_change_set_id) values ($1, $2, $3, $4)",
            )
            .bind(village)
            .bind(*to)
            .bind(&day)
            .bind(set_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("update village set commune_id = $2, updated_at = $3 where village_id = $1")
                .bind(village)
                .bind(*to)
                .bind(&stamp)
                .execute(&mut *tx)
                .await?;
        }
        let flagged = sqlx::query(
            "update village set review_note = $1 where status = 'active' and review_note is null \
             and exists (select 1 from village o where o.commune_id = village.commune_id and o.status = 'active' \
                         and o.search_text = village.search_text and o.village_id <> village.village_id)",
        )
        .bind(&flag)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Reports follow their team's village to its new commune; the kept totals are recounted.
        for sql in std::iter::once(crate::reports::REKEY_REPORTS).chain(crate::reports::RECOUNT) {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        // Grants on ended units pass to the successors, for an administrator to confirm.
        let mut passed = 0i64;
        for (old_id, from_label, targets) in passing.iter().filter(|(_, _, t)| !t.is_empty()) {
            let held: Vec<(i64, i64, String)> =
                sqlx::query_as("select user_grant_id, user_id, role from user_grant where unit_id = $1")
                    .bind(old_id)
                    .fetch_all(&mut *tx)
                    .await?;
            for (grant_id, user_id, role) in held {
                let mut to_codes = Vec::new();
                for code in targets {
                    let Some((to, path)) = after.get(code) else { continue };
                    let new_id: Option<(i64,)> = sqlx::query_as(
                        "insert into user_grant (user_id, role, unit_id, status, passed_from, created_at) \
                         values ($1, $2, $3, 'pending', $4, $5) on conflict do nothing returning user_grant_id",
                    )
                    .bind(user_id)
                    .bind(&role)
                    .bind(*to)
                    .bind(from_label)
                    .bind(&stamp)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((new_id,)) = new_id {
                        audit!(
                            tx,
                            crate::audit::Event::new("grant", new_id, "pass")
                                .unit(path)
                                .after(serde_json::json!({ "user_id": user_id, "role": role, "unit": code, "passed_from": from_label, "status": "pending" }))
                        );
                    }
                    to_codes.push(code.clone());
                }
                sqlx::query("delete from user_grant where user_grant_id = $1").bind(grant_id).execute(&mut *tx).await?;
                audit!(
                    tx,
                    crate::audit::Event::new("grant", grant_id, "end")
                        .before(serde_json::json!({ "user_id": user_id, "role": role, "unit": from_label }))
                        .after(serde_json::json!({ "passed_to": to_codes }))
                );
                passed += 1;
            }
        }
        audit!(
            tx,
            crate::audit::Event {
                entity: "unit_change_set",
                entity_id: Some(set_id),
                action: "apply",
                unit_path: None,
                before: None,
                after: Some(serde_json::json!({ "effective_on": day, "source": source, "summary": summary }))
            }
        );
        Ok::<(i64, u64, i64), StoreError>((set_id, flagged, passed))
    })?;
    report.grants_passed = passed;
    report.change_set_id = Some(set_id);
    report.villages_flagged = i64::try_from(flagged).unwrap_or(i64::MAX);
    Ok(report)
}

/// For each unit the plan ends: its id, its label, and the codes its grants pass to. A merged,
/// renamed or moved unit passes to what it became; a district ended with its level passes to the
/// communes its own communes became (never to the whole province, which would widen the grant).
fn grant_successors(p: &Plan, current: &[&CurrentRow]) -> Vec<(i64, String, Vec<String>)> {
    let targets_of = |code: &str| -> Vec<String> {
        p.links.iter().filter(|l| l.from == code && l.kind != LinkKind::EndLevel).map(|l| l.to.clone()).collect()
    };
    let mut out = Vec::new();
    for ended in &p.ended {
        let Some(row) = current.iter().find(|r| r.code == ended.code) else { continue };
        let mut targets = targets_of(&row.code);
        if targets.is_empty() {
            for below in current.iter().filter(|r| r.path.starts_with(&row.path) && r.code != row.code) {
                targets.extend(targets_of(&below.code));
            }
        }
        targets.sort();
        targets.dedup();
        out.push((row.unit_id, format!("{} {}", row.code, row.name), targets));
    }
    out
}

/// Every unit row valid on `day`, with its parent's code.
async fn current_rows(db: &Db, day: &str) -> Result<Vec<CurrentRow>, StoreError> {
    let sql = "select u.unit_id, u.code, u.name, u.level, p.code as parent_code, u.path \
               from unit u left join unit p on p.unit_id = u.parent_id \
               where u.valid_from <= $1 and (u.valid_to is null or u.valid_to > $1) order by u.path";
    Ok(on_db!(db, |pool| sqlx::query_as(sql).bind(day).fetch_all(pool).await)?)
}

/// The villages lying in a commune row now, as (id, name).
async fn open_villages(db: &Db, commune_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
    let sql = "select v.village_id, v.name from village v join village_placement p on p.village_id = v.village_id \
               where p.commune_id = $1 and p.valid_to is null order by v.village_id";
    Ok(on_db!(db, |pool| sqlx::query_as(sql).bind(commune_id).fetch_all(pool).await)?)
}

async fn count_villages(db: &Db, communes: &[i64]) -> Result<i64, StoreError> {
    if communes.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = communes.iter().map(i64::to_string).collect();
    let sql = format!(
        "select count(*) from village_placement where valid_to is null and commune_id in ({})",
        list.join(", ")
    );
    let (n,): (i64,) = on_db!(db, |pool| sqlx::query_as(AssertSqlSafe(sql.as_str())).fetch_one(pool).await)?;
    Ok(n)
}

/// A change set as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ChangeSet {
    pub unit_change_set_id: i64,
    pub effective_on: String,
    pub source: String,
    pub summary: String,
    pub applied_at: String,
}

/// Every change set applied, newest effective day first.
///
/// # Errors
/// Database errors.
pub async fn change_sets(db: &Db) -> Result<Vec<ChangeSet>, StoreError> {
    let sql = "select unit_change_set_id, effective_on, source, summary, applied_at from unit_change_set \
               order by effective_on desc, unit_change_set_id desc";
    Ok(on_db!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await)?)
}

/// A link between two unit rows, as a unit's history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UnitLink {
    pub kind: String,
    pub code: String,
    pub name: String,
    pub level: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub effective_on: String,
}

/// The rows that `unit_id` succeeded, and the rows that succeeded it: the one mechanism by which
/// anything scoped to an ended unit finds where it passes.
///
/// # Errors
/// Database errors.
pub async fn links_of(db: &Db, unit_id: i64) -> Result<(Vec<UnitLink>, Vec<UnitLink>), StoreError> {
    let pred = "select l.kind, u.code, u.name, u.level, u.valid_from, u.valid_to, s.effective_on \
                from unit_link l join unit u on u.unit_id = l.predecessor_id \
                join unit_change_set s on s.unit_change_set_id = l.unit_change_set_id \
                where l.successor_id = $1 order by u.code";
    let succ = "select l.kind, u.code, u.name, u.level, u.valid_from, u.valid_to, s.effective_on \
                from unit_link l join unit u on u.unit_id = l.successor_id \
                join unit_change_set s on s.unit_change_set_id = l.unit_change_set_id \
                where l.predecessor_id = $1 order by u.code";
    let p = on_db!(db, |pool| sqlx::query_as(pred).bind(unit_id).fetch_all(pool).await)?;
    let s = on_db!(db, |pool| sqlx::query_as(succ).bind(unit_id).fetch_all(pool).await)?;
    Ok((p, s))
}

/// The current units that a unit (ended or not) has passed to, following links through every
/// later change: itself when it is current.
///
/// # Errors
/// Database errors.
pub async fn current_successors(db: &Db, unit_id: i64) -> Result<Vec<crate::units::Unit>, StoreError> {
    let mut out = Vec::new();
    let mut todo = vec![unit_id];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let unit = crate::units::by_id(db, id).await?;
        if unit.valid_to.is_none() {
            if !out.iter().any(|u: &crate::units::Unit| u.unit_id == unit.unit_id) {
                out.push(unit);
            }
            continue;
        }
        let next: Vec<(i64,)> =
            on_db!(db, |pool| sqlx::query_as("select successor_id from unit_link where predecessor_id = $1")
                .bind(id)
                .fetch_all(pool)
                .await)?;
        todo.extend(next.into_iter().map(|(n,)| n));
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// Ships with the product: the two real reorganisations of Quảng Nam.
pub const SHIPPED: [(&str, &str, &str, &str); 2] = [
    (
        "2025-01-01",
        "changes-2025-01-01.csv + quang-nam-2025-01-01.csv (Nghị quyết 1241/NQ-UBTVQH15)",
        include_str!("../../../data/admin-units/changes-2025-01-01.csv"),
        include_str!("../../../data/admin-units/quang-nam-2025-01-01.csv"),
    ),
    (
        "2025-07-01",
        "changes-2025-07-01.csv + da-nang-2025-07-01.csv (sắp xếp đơn vị hành chính 2025)",
        include_str!("../../../data/admin-units/changes-2025-07-01.csv"),
        include_str!("../../../data/admin-units/da-nang-2025-07-01.csv"),
    ),
];
