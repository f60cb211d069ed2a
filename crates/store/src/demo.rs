//! Loads the demo province: Quảng Nam's real units and generated villages, teams and members.

use std::collections::HashMap;

use domain::demo::{DemoPlan, plan};
use domain::funding::YearMonth;
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
    let reports = load_reports(db, crate::today()).await?;
    progress("reports", reports, reports);
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

/// A deterministic 64-bit mix (SplitMix64's finaliser): the demo's dice, the same on every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A die of `sides` faces for a team, a month and a purpose.
fn roll(team: i64, month: usize, purpose: u64, sides: u64) -> u64 {
    let seed = (u64::try_from(team).unwrap_or_default() << 20) ^ ((month as u64) << 8) ^ purpose;
    mix(seed) % sides
}

/// One generated report of the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DemoReport {
    team_id: i64,
    commune_id: i64,
    month: String,
    status: &'static str,
    submitted_at: Option<String>,
    late: bool,
    decided_at: Option<String>,
    comment: &'static str,
    /// Value per indicator, in the catalogue's order.
    values: Vec<i64>,
}

/// What a team of `members` people reports for the `i`-th of the demo's months (0 the oldest):
/// work grows a little each month and dips at Tết (February). Values follow the catalogue's
/// order (`reports::DEMO_INDICATORS`); an indicator added later gets a small count.
fn demo_values(
    team: i64,
    i: usize,
    month: YearMonth,
    members: i64,
    indicators: &[crate::reports::Indicator],
) -> Vec<i64> {
    let growth = 100 + 3 * i64::try_from(i).unwrap_or_default();
    let season = if u8::from(month.first_day().month()) == 2 { 65 } else { 100 };
    let scale = |per_member: i64, spread: u64, purpose: u64| {
        let base = members * per_member * growth * season / 10_000;
        base + i64::try_from(roll(team, i, purpose, spread + 1)).unwrap_or_default()
    };
    // A kiosk is near only some villages.
    let kiosk = roll(team, 0, 77, 3) == 0;
    indicators
        .iter()
        .enumerate()
        .map(|(k, ind)| match ind.code.as_str() {
            "dvc_huong_dan" => scale(3, 12, 11),
            "dvc_ho_so" => scale(2, 10, 12),
            "vneid_muc_2" => scale(2, 8, 13),
            "ttktm_tai_khoan" => scale(1, 6, 14),
            "tmdt_ho_tro" => scale(1, 4, 15),
            "kiosk_ho_tro" if kiosk => scale(2, 6, 16),
            "kiosk_ho_tro" => 0,
            "ho_5_ky_nang" => scale(1, 5, 17),
            "buoi_ho_tro" => 2 + i64::try_from(roll(team, i, 18, 4)).unwrap_or_default(),
            "nguoi_tiep_can" => scale(12, 40, 19),
            _ => i64::try_from(roll(team, i, 20 + k as u64, 5)).unwrap_or_default(),
        })
        .collect()
}

/// A stored timestamp at a time of day in Vietnam, as UTC.
fn stamp_on(day: time::Date, hour: u8, minute: u8) -> String {
    let t = time::PrimitiveDateTime::new(day, time::Time::from_hms(hour, minute, 0).unwrap_or(time::Time::MIDNIGHT))
        .assume_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC))
        .to_offset(time::UtcOffset::UTC);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The demo's reports, pure: for every team active on a month's 15th, in each of `months`.
/// About one team in twenty reports only now and then; the others miss a month in twenty-five.
/// One report in ten comes after the deadline (one in three for the irregular teams). Months
/// before the last are mostly approved, a few still wait or were returned; the last month is
/// partly approved, mostly waiting for the commune.
fn plan_reports(
    teams: &[(i64, i64, String, Option<String>, i64)],
    months: &[(YearMonth, time::Date)],
    indicators: &[crate::reports::Indicator],
) -> Vec<DemoReport> {
    let mut out = Vec::new();
    let last = months.len().saturating_sub(1);
    for (team_id, commune_id, established, dissolved, members) in teams {
        let irregular = roll(*team_id, 0, 1, 20) == 0;
        for (i, (month, due)) in months.iter().enumerate() {
            let fifteenth = iso(month.deciding_day());
            if established.as_str() > fifteenth.as_str()
                || dissolved.as_deref().is_some_and(|d| d <= fifteenth.as_str())
            {
                continue;
            }
            let skip = if irregular { roll(*team_id, i, 2, 100) < 45 } else { roll(*team_id, i, 2, 100) < 4 };
            let values = demo_values(*team_id, i, *month, (*members).max(3), indicators);
            let mut report = DemoReport {
                team_id: *team_id,
                commune_id: *commune_id,
                month: month.to_string(),
                status: "draft",
                submitted_at: None,
                late: false,
                decided_at: None,
                comment: "",
                values,
            };
            if skip {
                // Some of the missing reports were begun and never sent.
                if roll(*team_id, i, 3, 3) == 0 {
                    out.push(report);
                }
                continue;
            }
            let late = roll(*team_id, i, 4, 100) < if irregular { 35 } else { 10 };
            let day = if late {
                *due + time::Duration::days(1 + i64::try_from(roll(*team_id, i, 5, 14)).unwrap_or_default())
            } else {
                let first = month.next().first_day();
                let span = i64::from(due.day() - first.day()) + 1;
                first + time::Duration::days(i64::try_from(roll(*team_id, i, 5, span as u64)).unwrap_or_default())
            };
            let hour = 7 + u8::try_from(roll(*team_id, i, 6, 13)).unwrap_or_default();
            let minute = u8::try_from(roll(*team_id, i, 7, 60)).unwrap_or_default();
            let fate = roll(*team_id, i, 8, 100);
            let (status, comment) = if i == last {
                match fate {
                    0..40 => ("approved", ""),
                    40..95 => ("submitted", ""),
                    _ => ("returned", "Số hồ sơ dịch vụ công chưa khớp sổ theo dõi của xã; đề nghị tổ kiểm tra lại"),
                }
            } else {
                match fate {
                    0..97 => ("approved", ""),
                    97..99 => ("submitted", ""),
                    _ => ("returned", "Thiếu số buổi hỗ trợ; đề nghị tổ bổ sung"),
                }
            };
            report.status = status;
            report.comment = comment;
            report.late = late;
            report.submitted_at = Some(stamp_on(day, hour, minute));
            if status != "submitted" {
                report.decided_at = Some(stamp_on(day + time::Duration::days(2), 9, 30));
            }
            out.push(report);
        }
    }
    out
}

/// The demo's monthly reports: the twelve months before `today`'s month, for every team active
/// in each, deterministic (the same teams miss the same months on every load and on both
/// databases). Written straight into the tables in one transaction, then the kept totals and
/// counts are recounted from them, as `report verify` checks. Answers how many reports.
///
/// # Errors
/// Database errors.
pub async fn load_reports(db: &Db, today: time::Date) -> Result<usize, StoreError> {
    let indicators = crate::reports::indicators(db).await?;
    let mut months = Vec::new();
    let mut m = YearMonth::of(today);
    for _ in 0..12 {
        m = YearMonth::of(m.first_day() - time::Duration::days(1));
        months.push(m);
    }
    months.reverse();
    let mut with_due = Vec::new();
    for m in months {
        with_due.push((m, crate::reports::due_day(db, m).await?));
    }
    let teams: Vec<(i64, i64, String, Option<String>, i64)> = on_db!(db, |pool| sqlx::query_as(
        "select t.team_id, v.commune_id, t.established_on, t.dissolved_on, \
         (select count(*) from membership m where m.team_id = t.team_id and m.left_on is null) \
         from team t join village v on v.village_id = t.village_id order by t.team_id"
    )
    .fetch_all(pool)
    .await)?;
    let plan = plan_reports(&teams, &with_due, &indicators);
    let n = plan.len();
    in_tx!(db, |tx| {
        for chunk in plan.chunks(BATCH) {
            let mut qb = sqlx::QueryBuilder::new(
                "insert into team_report (team_id, month, status, commune_id, submitted_at, submitted_by, late, \
                 decided_at, decided_by, comment, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, r| {
                let made = r.submitted_at.clone().unwrap_or_else(|| stamp_on(today, 7, 0));
                b.push_bind(r.team_id)
                    .push_bind(r.month.clone())
                    .push_bind(r.status)
                    .push_bind(r.commune_id)
                    .push_bind(r.submitted_at.clone())
                    .push_bind(r.submitted_at.as_ref().map(|_| "demo.totruong"))
                    .push_bind(i64::from(r.late))
                    .push_bind(r.decided_at.clone())
                    .push_bind(r.decided_at.as_ref().map(|_| "demo.canbo"))
                    .push_bind(r.comment)
                    .push_bind(made.clone())
                    .push_bind(r.decided_at.clone().unwrap_or(made));
            });
            qb.push(" returning team_report_id, team_id, month");
            let ids: Vec<(i64, i64, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
            let id_of: HashMap<(i64, &str), i64> = ids.iter().map(|(id, t, m)| ((*t, m.as_str()), *id)).collect();
            let values: Vec<(i64, i64, i64)> = chunk
                .iter()
                .flat_map(|r| {
                    let id = id_of.get(&(r.team_id, r.month.as_str())).copied().unwrap_or_default();
                    r.values.iter().zip(&indicators).map(move |(v, ind)| (id, ind.id, *v))
                })
                .collect();
            for part in values.chunks(BATCH * 2) {
                let mut qb = sqlx::QueryBuilder::new("insert into report_value (team_report_id, indicator_id, value) ");
                qb.push_values(part, |mut b, (id, ind, v)| {
                    b.push_bind(*id).push_bind(*ind).push_bind(*v);
                });
                qb.build().execute(&mut *tx).await?;
            }
        }
        for sql in crate::reports::RECOUNT {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        audit!(
            tx,
            crate::audit::Event {
                entity: "demo",
                entity_id: None,
                action: "reports",
                unit_path: None,
                before: None,
                after: Some(serde_json::json!({ "reports": n }))
            }
        );
        Ok::<(), StoreError>(())
    })?;
    Ok(n)
}
