//! Loads the demo province: Quảng Nam's real units and generated villages, teams and members.

use std::collections::HashMap;

use domain::demo::{DemoPlan, plan};
use domain::text;
use domain::units::{QUANG_NAM_2023, parse_state_csv};

use crate::Scope;
use crate::{Db, StoreError, iso, now, units};

/// The day the demo's unit state took effect (Resolution 727/NQ-UBTVQH15).
pub const DEMO_UNITS_FROM: time::Date = time::macros::date!(2023 - 04 - 10);

/// Rows per multi-row insert: well under both databases' limits on bound values.
const BATCH: usize = 400;

/// What the demo loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DemoCounts {
    pub units: usize,
    pub villages: usize,
    pub teams: usize,
    pub members: usize,
}

/// Loads the demo into an empty database, in one transaction for the registry. Reports each
/// stage to `progress` (stage name, rows done, rows in all).
///
/// # Errors
/// `Conflict` when the database already holds units; database errors.
pub async fn load(db: &Db, progress: &(dyn Fn(&str, usize, usize) + Sync)) -> Result<DemoCounts, StoreError> {
    let counts = load_registry(db, progress).await?;
    load_policies(db).await?;
    // The demo lives today: Quảng Nam's two reorganisations of 2025 are applied to it, so that it
    // opens on Đà Nẵng and keeps the August 2024 figures as of that day.
    for (i, (day, source, changes, state)) in crate::reorg::SHIPPED.iter().enumerate() {
        let day =
            crate::parse_iso(day).ok_or_else(|| StoreError::invalid("effective", "ngày hiệu lực không hợp lệ"))?;
        crate::reorg::apply_files(db, changes, state, day, source, false).await?;
        progress("reorganisations", i + 1, crate::reorg::SHIPPED.len());
    }
    load_payments(db).await?;
    crate::reports::load_demo_indicators(db).await?;
    load_training(db).await?;
    Ok(counts)
}

/// The source report's training: on 28/08/2024 the Department and the National Digital
/// Transformation Agency trained the members of Tam Kỳ's 85 teams. The roll call is generated:
/// every twelfth member absent, every thirtieth excused.
///
/// # Errors
/// Database errors.
pub async fn load_training(db: &Db) -> Result<(), StoreError> {
    let course = crate::training::add_course(
        db,
        "Phổ cập kỹ năng số cộng đồng",
        "Sở TT&TT Quảng Nam, Cục Chuyển đổi số quốc gia (Bộ TT&TT)",
        "Tổng quan về Tổ công nghệ số cộng đồng; câu chuyện triển khai thực tế; sử dụng dịch vụ công trực tuyến; \
         ki-ốt dịch vụ công (VNPT Quảng Nam hướng dẫn)",
    )
    .await?;
    let day = time::macros::date!(2024 - 08 - 28);
    let session = crate::training::add_session(
        db,
        course,
        day,
        "Thành phố Tam Kỳ",
        "Ông Mai Thanh Hải (Cục Chuyển đổi số quốc gia); VNPT Quảng Nam",
    )
    .await?;
    let tam_ky = units::by_code_at(db, "502", day).await?;
    let teams: Vec<i64> = crate::coverage::villages_at(db, &Scope::All, &tam_ky, day, day)
        .await?
        .into_iter()
        .filter_map(|v| v.team_id)
        .collect();
    crate::training::invite(db, &Scope::All, session, &teams).await?;
    let marks: Vec<(i64, String)> = crate::training::roll_call(db, &Scope::All, session)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let status = if i % 30 == 29 {
                "excused"
            } else if i % 12 == 11 {
                "absent"
            } else {
                "present"
            };
            (r.person_id, status.to_owned())
        })
        .collect();
    crate::training::record(db, &Scope::All, session, &marks).await?;
    load_other_training(db).await
}

/// The demo's other training, made up but plausible, so that "never trained" and "not in the last
/// N months" tell people apart: VNPT on cashless payment for Phú Ninh's teams (17/10/2024), the
/// Department on basic digital skills for Nông Sơn's (12/06/2024), and the National Digital
/// Transformation Agency's online course for the teams of Phường Tam Kỳ (18/09/2025, after the
/// reorganisation). Each roll call has some absent and some excused, by a fixed rule.
async fn load_other_training(db: &Db) -> Result<(), StoreError> {
    let vnpt = crate::training::add_course(
        db,
        "Thanh toán không dùng tiền mặt cho Tổ công nghệ số cộng đồng",
        "VNPT Quảng Nam",
        "Mở tài khoản và ví điện tử; thanh toán bằng mã QR; nộp thuế, phí, học phí trực tuyến; phòng tránh lừa đảo",
    )
    .await?;
    let day = time::macros::date!(2024 - 10 - 17);
    let s = crate::training::add_session(db, vnpt, day, "Hội trường UBND huyện Phú Ninh", "VNPT Quảng Nam").await?;
    invite_district_then(db, s, "518", day).await?;
    mark_roll_call(db, s, |i| match (i % 6, i % 10) {
        (5, _) => "absent",
        (_, 3) => "excused",
        _ => "present",
    })
    .await?;
    let skills = crate::training::add_course(
        db,
        "Kỹ năng số cơ bản cho Tổ công nghệ số cộng đồng",
        "Sở TT&TT Quảng Nam",
        "5 kỹ năng số cơ bản; tài khoản định danh điện tử mức 2 (VNeID); dịch vụ công trực tuyến",
    )
    .await?;
    let day = time::macros::date!(2024 - 06 - 12);
    let s = crate::training::add_session(db, skills, day, "UBND huyện Nông Sơn", "Sở TT&TT Quảng Nam").await?;
    invite_district_then(db, s, "519", day).await?;
    mark_roll_call(db, s, |i| if i % 4 == 3 { "absent" } else { "present" }).await?;
    let online = crate::training::add_course(
        db,
        "Bồi dưỡng kỹ năng chuyển đổi số cho Tổ công nghệ số cộng đồng (trực tuyến)",
        "Cục Chuyển đổi số quốc gia",
        "Nền tảng học trực tuyến mở đại trà; chính quyền số sau sắp xếp đơn vị hành chính; thương mại điện tử",
    )
    .await?;
    let day = time::macros::date!(2025 - 09 - 18);
    let s = crate::training::add_session(db, online, day, "Trực tuyến", "Cục Chuyển đổi số quốc gia").await?;
    let teams = crate::training::teams_of_unit(db, &Scope::All, "20341").await?;
    crate::training::invite(db, &Scope::All, s, &teams).await?;
    mark_roll_call(db, s, |i| match i % 5 {
        1 => "absent",
        3 => "excused",
        _ => "present",
    })
    .await
}

/// Invites the teams of a district's villages as they stood on a day.
async fn invite_district_then(db: &Db, session: i64, district: &str, day: time::Date) -> Result<u64, StoreError> {
    let unit = units::by_code_at(db, district, day).await?;
    let teams: Vec<i64> = crate::coverage::villages_at(db, &Scope::All, &unit, day, day)
        .await?
        .into_iter()
        .filter_map(|v| v.team_id)
        .collect();
    crate::training::invite(db, &Scope::All, session, &teams).await
}

/// Marks a session's whole roll call, the n-th member by `status(n)`.
async fn mark_roll_call(db: &Db, session: i64, status: impl Fn(usize) -> &'static str) -> Result<(), StoreError> {
    let marks: Vec<(i64, String)> = crate::training::roll_call(db, &Scope::All, session)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r.person_id, status(i).to_owned()))
        .collect();
    crate::training::record(db, &Scope::All, session, &marks).await
}

/// The demo's money: what Phú Ninh's teams were owed from September to December 2024 under the
/// district's policy, September's lists paid (prepared and approved by two different officials),
/// October's approved, November's prepared, December's only computed.
///
/// # Errors
/// Database errors.
pub async fn load_payments(db: &Db) -> Result<(), StoreError> {
    use crate::audit::{Actor, acting_as};
    use crate::payments::{self, ListStatus};
    let preparer = || Actor { login: "demo.canbo".into(), channel: "system", address: None };
    let approver = || Actor { login: "demo.ketoan".into(), channel: "system", address: None };
    let months = ["2024-09", "2024-10", "2024-11", "2024-12"];
    for (i, m) in months.iter().enumerate() {
        let month = domain::funding::YearMonth::parse(m).map_err(|e| StoreError::invalid("month", e))?;
        payments::compute(db, &Scope::All, month).await?;
        if i == 3 {
            continue;
        }
        let mut communes: Vec<String> =
            payments::entitlements(db, &Scope::All, month).await?.into_iter().map(|e| e.commune_code).collect();
        communes.dedup();
        for code in communes {
            let id = acting_as(preparer(), payments::prepare(db, &Scope::All, &code, month)).await?;
            let steps: &[ListStatus] = match i {
                0 => &[ListStatus::Submitted, ListStatus::Approved, ListStatus::Paid],
                1 => &[ListStatus::Submitted, ListStatus::Approved],
                _ => &[],
            };
            for step in steps {
                let who = if *step == ListStatus::Submitted { preparer() } else { approver() };
                let paid_on = month.next().first_day().replace_day(5).ok();
                acting_as(who, payments::advance(db, &Scope::All, id, *step, paid_on)).await?;
            }
        }
    }
    Ok(())
}

/// The funding policies of the source report (Quảng Nam, August 2024): the two options the
/// Department proposed for 2025–2026, the work-day allowance, and what two districts already pay.
/// The report gives no dates for the districts' support: the demo assumes 2024.
pub const DEMO_POLICIES: [[&str; 11]; 5] = [
    // name, legal basis, kind, amount, from, scope, cap months, cap per year, source, status, note
    [
        "Phương án A: hỗ trợ tổ hằng tháng",
        "Tờ trình của Sở TT&TT Quảng Nam đề nghị xây dựng Nghị quyết, giai đoạn 2025–2026",
        "team_month",
        "500000",
        "2025-01-01",
        "49",
        "24",
        "",
        "province",
        "proposed",
        "Phương án được đề xuất: 500.000 đồng/tổ/tháng, tối đa 24 tháng",
    ],
    [
        "Phương án B: khoán chi phí hoạt động theo thành viên",
        "Tờ trình của Sở TT&TT Quảng Nam đề nghị xây dựng Nghị quyết, giai đoạn 2025–2026",
        "member_month",
        "50000",
        "2025-01-01",
        "49",
        "",
        "",
        "province",
        "proposed",
        "Khoán chi xăng, thông tin liên lạc, văn phòng phẩm: 50.000 đồng/người/tháng",
    ],
    [
        "Hỗ trợ ngày công",
        "Tờ trình của Sở TT&TT Quảng Nam đề nghị xây dựng Nghị quyết, giai đoạn 2025–2026",
        "work_day",
        "150000",
        "2025-01-01",
        "49",
        "",
        "",
        "province",
        "proposed",
        "Cho thành viên và người được Chủ tịch UBND các cấp huy động: 150.000 đồng/người/ngày",
    ],
    [
        "Phú Ninh: hỗ trợ tổ 6 triệu đồng mỗi năm",
        "Huyện Phú Ninh (dữ liệu mẫu: ngày bắt đầu giả định)",
        "team_month",
        "500000",
        "2024-01-01",
        "518",
        "",
        "6000000",
        "district",
        "in_force",
        "6.000.000 đồng/tổ/năm, chi theo tháng",
    ],
    [
        "Nông Sơn: tập huấn kỹ năng số",
        "Huyện Nông Sơn (dữ liệu mẫu: ngày chi giả định)",
        "one_off",
        "23000000",
        "2024-06-01",
        "519",
        "",
        "",
        "district",
        "in_force",
        "Hỗ trợ một lần 23.000.000 đồng để tập huấn cho các tổ",
    ],
];

/// Records the demo's funding policies.
///
/// # Errors
/// Database errors.
pub async fn load_policies(db: &Db) -> Result<(), StoreError> {
    for [name, legal_basis, kind, amount, from, scope, cap_months, cap_per_year, source, status, note] in DEMO_POLICIES
    {
        let draft = domain::funding::PolicyDraft {
            name: name.into(),
            legal_basis: legal_basis.into(),
            kind: kind.into(),
            amount: amount.into(),
            effective_from: from.into(),
            effective_to: String::new(),
            scope: scope.into(),
            cap_months: cap_months.into(),
            cap_per_year: cap_per_year.into(),
            source: source.into(),
            status: status.into(),
            note: note.into(),
        };
        let input = draft.parse().map_err(|e| StoreError::invalid("policy", format!("{name}: {e:?}")))?;
        crate::funding::create(db, &input).await?;
    }
    Ok(())
}

/// Loads the demo as it stood in 2024 (Quảng Nam's units of 10/04/2023, with its villages, teams
/// and members) without applying the 2025 reorganisations.
///
/// # Errors
/// `Conflict` when the database already holds units; database errors.
pub async fn load_registry(db: &Db, progress: &(dyn Fn(&str, usize, usize) + Sync)) -> Result<DemoCounts, StoreError> {
    if !db.is_empty().await? {
        return Err(StoreError::conflict(
            "db",
            "Cơ sở dữ liệu đã có dữ liệu; chỉ nạp dữ liệu mẫu vào cơ sở dữ liệu trống",
        ));
    }
    let rows = parse_state_csv(QUANG_NAM_2023).map_err(|e| StoreError::invalid("units", e.to_string()))?;
    let n_units = units::load_state(db, &rows, DEMO_UNITS_FROM).await?;
    progress("units", n_units, n_units);
    let plan = plan(&rows);
    let counts = DemoCounts {
        units: n_units,
        villages: plan.villages.len(),
        teams: plan.teams.len(),
        members: plan.members.len(),
    };
    insert_plan(db, &plan, progress).await?;
    db.set_setting("demo", "generated").await?;
    Ok(counts)
}

async fn insert_plan(
    db: &Db,
    plan: &DemoPlan,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<(), StoreError> {
    let stamp = now();
    in_tx!(db, |tx| {
        let communes: Vec<(i64, String)> =
            sqlx::query_as("select unit_id, code from unit where level = 'commune' and valid_to is null")
                .fetch_all(&mut *tx)
                .await?;
        let commune_id: HashMap<String, i64> = communes.into_iter().map(|(id, code)| (code, id)).collect();

        // Villages, then their ids by (commune, folded name), which is unique.
        for (i, chunk) in plan.villages.chunks(BATCH).enumerate() {
            let mut qb = sqlx::QueryBuilder::new(
                "insert into village (commune_id, name, search_text, sort_key, status, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, v| {
                b.push_bind(commune_id.get(&v.commune_code).copied().unwrap_or_default())
                    .push_bind(v.name.clone())
                    .push_bind(text::fold(&v.name))
                    .push_bind(text::sort_key(&v.name))
                    .push_bind("active")
                    .push_bind(stamp.clone())
                    .push_bind(stamp.clone());
            });
            qb.build().execute(&mut *tx).await?;
            progress("villages", (i * BATCH + chunk.len()).min(plan.villages.len()), plan.villages.len());
        }
        sqlx::query(
            "insert into village_placement (village_id, commune_id, valid_from) \
             select v.village_id, v.commune_id, u.valid_from from village v join unit u on u.unit_id = v.commune_id",
        )
        .execute(&mut *tx)
        .await?;
        let rows: Vec<(i64, i64, String)> =
            sqlx::query_as("select village_id, commune_id, search_text from village").fetch_all(&mut *tx).await?;
        let by_key: HashMap<(i64, String), i64> = rows.into_iter().map(|(id, c, s)| ((c, s), id)).collect();
        let village_ids: Vec<i64> = plan
            .villages
            .iter()
            .map(|v| {
                let c = commune_id.get(&v.commune_code).copied().unwrap_or_default();
                by_key.get(&(c, text::fold(&v.name))).copied().unwrap_or_default()
            })
            .collect();

        for (i, chunk) in plan.teams.chunks(BATCH).enumerate() {
            let mut qb = sqlx::QueryBuilder::new(
                "insert into team (village_id, name, search_text, sort_key, established_on, zalo_url, status, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, t| {
                b.push_bind(village_ids[t.village])
                    .push_bind(t.name.clone())
                    .push_bind(text::fold(&t.name))
                    .push_bind(text::sort_key(&t.name))
                    .push_bind(iso(t.established_on))
                    .push_bind(t.zalo_url.clone())
                    .push_bind("active")
                    .push_bind(stamp.clone())
                    .push_bind(stamp.clone());
            });
            qb.build().execute(&mut *tx).await?;
            progress("teams", (i * BATCH + chunk.len()).min(plan.teams.len()), plan.teams.len());
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as("select team_id, village_id from team").fetch_all(&mut *tx).await?;
        let team_by_village: HashMap<i64, i64> = rows.into_iter().map(|(t, v)| (v, t)).collect();
        let team_ids: Vec<i64> = plan
            .teams
            .iter()
            .map(|t| team_by_village.get(&village_ids[t.village]).copied().unwrap_or_default())
            .collect();

        // People: the demo's phones are unique, so they find each person's id again.
        for (i, chunk) in plan.members.chunks(BATCH).enumerate() {
            let mut qb = sqlx::QueryBuilder::new(
                "insert into person (full_name, search_text, sort_key, gender, birth_date, birth_year, phone, cccd, email, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(m.full_name.clone())
                    .push_bind(text::fold(&m.full_name))
                    .push_bind(text::person_sort_key(&m.full_name))
                    .push_bind(m.gender.code())
                    .push_bind(m.birth_date.map(iso))
                    .push_bind(i64::from(m.birth_year))
                    .push_bind(m.phone.clone())
                    .push_bind(m.cccd.clone())
                    .push_bind(m.email.clone())
                    .push_bind(stamp.clone())
                    .push_bind(stamp.clone());
            });
            qb.build().execute(&mut *tx).await?;
            progress("people", (i * BATCH + chunk.len()).min(plan.members.len()), plan.members.len());
        }
        let rows: Vec<(i64, String)> =
            sqlx::query_as("select person_id, phone from person").fetch_all(&mut *tx).await?;
        let person_by_phone: HashMap<String, i64> = rows.into_iter().map(|(id, p)| (p, id)).collect();

        for (i, chunk) in plan.members.chunks(BATCH).enumerate() {
            let mut qb = sqlx::QueryBuilder::new(
                "insert into membership (person_id, team_id, role, position, joined_on, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(person_by_phone.get(&m.phone).copied().unwrap_or_default())
                    .push_bind(team_ids[m.team])
                    .push_bind(m.role.code())
                    .push_bind(m.position.code())
                    .push_bind(iso(m.joined_on))
                    .push_bind(stamp.clone())
                    .push_bind(stamp.clone());
            });
            qb.build().execute(&mut *tx).await?;
            progress("memberships", (i * BATCH + chunk.len()).min(plan.members.len()), plan.members.len());
        }
        audit!(
            tx,
            crate::audit::Event {
                entity: "demo",
                entity_id: None,
                action: "load",
                unit_path: None,
                before: None,
                after: Some(
                    serde_json::json!({ "villages": plan.villages.len(), "teams": plan.teams.len(), "members": plan.members.len() })
                )
            }
        );
        Ok::<(), StoreError>(())
    })
}
