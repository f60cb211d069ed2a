//! Coverage (độ phủ): villages with a team, team sizes and health, for a unit and its children.

use domain::TeamHealth;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::units::{self, Unit};
use crate::{Db, Scope, StoreError, iso};

/// A unit as a report names it. Villages, which have no official code, are coded `v` followed by
/// their id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    pub level: String,
}

impl From<&Unit> for UnitRef {
    fn from(u: &Unit) -> Self {
        Self { code: u.code.clone(), name: u.name.clone(), level: u.level.clone() }
    }
}

/// Độ phủ — the coverage figures of one unit, with the same figures for each child unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Coverage {
    pub unit: Option<UnitRef>,
    pub villages: i64,
    pub villages_with_team: i64,
    pub teams: i64,
    pub members: i64,
    pub teams_under_5_members: i64,
    pub teams_without_commune_official: i64,
    pub teams_without_leader: i64,
    pub children: Vec<Coverage>,
}

impl Coverage {
    /// Villages with a team per hundred villages, to one decimal (for display only).
    #[must_use]
    pub fn percent(&self) -> f64 {
        if self.villages == 0 {
            0.0
        } else {
            #[allow(clippy::cast_precision_loss)]
            let p = self.villages_with_team as f64 * 100.0 / self.villages as f64;
            (p * 10.0).round() / 10.0
        }
    }

    #[must_use]
    pub fn villages_without_team(&self) -> i64 {
        self.villages - self.villages_with_team
    }

    fn add(&mut self, v: &VillageRow) {
        self.villages += 1;
        if v.team_id.is_some() {
            self.villages_with_team += 1;
            self.teams += 1;
            self.members += v.members;
            let issues =
                TeamHealth { active_members: v.members, commune_officials: v.officials, leaders: v.leaders }.issues();
            for i in issues {
                match i {
                    domain::HealthIssue::UnderFiveMembers => self.teams_under_5_members += 1,
                    domain::HealthIssue::NoCommuneOfficial => self.teams_without_commune_official += 1,
                    domain::HealthIssue::NoLeader => self.teams_without_leader += 1,
                }
            }
        }
    }
}

/// One village as the registry stood on a day, under the commune it lay in on a day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VillageRow {
    pub village_id: i64,
    pub name: String,
    pub commune_path: String,
    pub team_id: Option<i64>,
    pub members: i64,
    pub officials: i64,
    pub leaders: i64,
}

/// The coverage of `unit` within `scope` today, with one level of children: child units for a
/// province or district, villages for a commune.
///
/// # Errors
/// Database errors.
pub async fn of_unit(db: &Db, scope: &Scope, unit: &Unit) -> Result<Coverage, StoreError> {
    let today = crate::today();
    at(db, scope, unit, today, today).await
}

/// The coverage of `unit` as the registry stood on `facts_on` (villages that existed, teams
/// founded and not yet dissolved, members who had joined and not left), counted on the
/// boundaries of `boundaries_on`: each village under the commune it lay in on that day. `unit`
/// must be a row valid on `boundaries_on`. With both days equal, this is the report "as of"
/// that day; with `boundaries_on` today, the same facts on today's units.
///
/// # Errors
/// Database errors.
pub async fn at(
    db: &Db,
    scope: &Scope,
    unit: &Unit,
    boundaries_on: time::Date,
    facts_on: time::Date,
) -> Result<Coverage, StoreError> {
    let rows = villages_at(db, scope, unit, boundaries_on, facts_on).await?;
    let mut total = Coverage { unit: Some(UnitRef::from(unit)), ..Coverage::default() };
    for r in &rows {
        total.add(r);
    }
    if unit.level == "commune" {
        total.children = rows
            .iter()
            .map(|r| {
                let mut c = Coverage {
                    unit: Some(UnitRef {
                        code: format!("v{}", r.village_id),
                        name: r.name.clone(),
                        level: "village".into(),
                    }),
                    ..Coverage::default()
                };
                c.add(r);
                c
            })
            .collect();
    } else {
        for child in units::children_at(db, unit, boundaries_on).await? {
            let mut c = Coverage { unit: Some(UnitRef::from(&child)), ..Coverage::default() };
            let under: Vec<&VillageRow> = rows.iter().filter(|r| r.commune_path.starts_with(&child.path)).collect();
            // A reader who sees part of the unit is shown the children they have something in.
            if under.is_empty() && !scope.covers(&child.path) {
                continue;
            }
            for r in under {
                c.add(r);
            }
            total.children.push(c);
        }
    }
    Ok(total)
}

/// The villages of `unit` within `scope` as the registry stood on `facts_on`, each under the
/// commune it lay in on `boundaries_on`, with its team's counts on `facts_on`; in commune path
/// order, then Vietnamese name order.
///
/// # Errors
/// Database errors.
pub async fn villages_at(
    db: &Db,
    scope: &Scope,
    unit: &Unit,
    boundaries_on: time::Date,
    facts_on: time::Date,
) -> Result<Vec<VillageRow>, StoreError> {
    // The unit is matched on the day's boundaries; the reader's scope on today's, since a
    // village's records belong to whoever governs it now.
    let (cond, values) = scope.condition("cur.path", 4);
    let sql = format!(
        "select v.village_id, v.name, c.path as commune_path, t.team_id, \
         coalesce(s.members, 0) as members, coalesce(s.officials, 0) as officials, coalesce(s.leaders, 0) as leaders \
         from village v \
         join village_placement pb on pb.village_id = v.village_id and pb.valid_from <= $1 \
              and (pb.valid_to is null or pb.valid_to > $1) \
         join unit c on c.unit_id = pb.commune_id \
         join unit cur on cur.unit_id = v.commune_id \
         left join team t on t.village_id = v.village_id and t.established_on <= $2 \
              and (t.dissolved_on is null or t.dissolved_on > $2) \
         left join (select team_id, count(*) as members, \
              cast(sum(case when position = 'commune_official' then 1 else 0 end) as bigint) as officials, \
              cast(sum(case when role = 'leader' then 1 else 0 end) as bigint) as leaders \
              from membership where joined_on <= $2 and (left_on is null or left_on > $2) group by team_id) s \
              on s.team_id = t.team_id \
         where c.path like $3 and {cond} and exists (select 1 from village_placement pf where pf.village_id = v.village_id \
              and pf.valid_from <= $2 and (pf.valid_to is null or pf.valid_to > $2)) \
         order by c.path, v.sort_key, v.village_id"
    );
    let (b, f) = (iso(boundaries_on), iso(facts_on));
    let rows: Vec<VillageRow> = on_db!(db, |pool| {
        let mut q = sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(&b).bind(&f).bind(format!("{}%", unit.path));
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_all(pool).await
    })?;
    Ok(rows)
}
