//! Entitlements, work-day claims, payment lists and the ledger, on SQLite and PostgreSQL
//! (issue D, points 3-6).

use domain::funding::{PolicyDraft, YearMonth};
use domain::input::{MembershipDraft, PersonDraft, TeamDraft};
use domain::money::Vnd;
use store::audit::{Actor, acting_as};
use store::payments::{self, ClaimDraft, LedgerFilter, ListStatus};
use store::{Db, Scope, StoreError, both_databases, demo, funding, people, teams, units, villages};

const TAN_THANH: &str = "20335";
const FAR: &str = "20380";

async fn load_units(db: &Db) {
    let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
    units::load_state(db, &rows, demo::DEMO_UNITS_FROM).await.expect("load units");
}

/// A team founded on a day in a new village of a commune.
async fn team(db: &Db, commune: &str, name: &str, founded: &str) -> i64 {
    let u = units::by_code(db, commune).await.expect("unit");
    let v = villages::create(db, &u, name).await.expect("village");
    let input = TeamDraft { name: String::new(), established_on: founded.into(), zalo_url: String::new() }
        .parse(store::today())
        .expect("team");
    teams::create(db, &Scope::All, v, &input).await.expect("team")
}

async fn member(db: &Db, team: i64, name: &str, phone: &str, role: &str, joined: &str) -> i64 {
    let p = PersonDraft {
        full_name: name.into(),
        gender: "male".into(),
        birth: "1980".into(),
        phone: phone.into(),
        ..PersonDraft::default()
    }
    .parse(store::today())
    .expect("person");
    let m = MembershipDraft { role: role.into(), position: "other".into(), joined_on: joined.into() }
        .parse(store::today())
        .expect("membership");
    people::create_member(db, &Scope::All, team, &p, &m).await.expect("member")
}

async fn policy(db: &Db, name: &str, kind: &str, amount: &str, scope: &str, cap_months: &str, cap_year: &str) -> i64 {
    let d = PolicyDraft {
        name: name.into(),
        kind: kind.into(),
        amount: amount.into(),
        effective_from: "01/01/2025".into(),
        scope: scope.into(),
        cap_months: cap_months.into(),
        cap_per_year: cap_year.into(),
        source: "province".into(),
        status: "in_force".into(),
        ..PolicyDraft::default()
    };
    funding::create(db, &d.parse().expect("policy")).await.expect("policy")
}

fn month(s: &str) -> YearMonth {
    YearMonth::parse(s).expect("month")
}

fn web(login: &str) -> Actor {
    Actor { login: login.into(), channel: "web", address: None }
}

/// Runs one statement straight on the pool, past every check of the code.
async fn raw(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    }
}

fn amounts(list: &[payments::Entitlement]) -> Vec<i64> {
    list.iter().map(|e| e.amount).collect()
}

both_databases!(entitlements_follow_the_fifteenth_the_caps_and_are_never_owed_twice, |db: Db| async move {
    load_units(&db).await;
    let a = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let late = team(&db, TAN_THANH, "Thôn Hai", "16/01/2025").await;
    team(&db, FAR, "Thôn Xa", "01/09/2024").await;
    // Tam Kỳ's policy: 500,000 a team a month, at most two months.
    policy(&db, "Tam Kỳ hai tháng", "team_month", "500.000", "502", "2", "").await;
    let jan = payments::compute(&db, &Scope::All, month("2025-01")).await.expect("january");
    assert_eq!((jan.created, jan.amount.value()), (1, 500_000), "founded on the 16th: not January; not outside Tam Kỳ");
    let again = payments::compute(&db, &Scope::All, month("2025-01")).await.expect("again");
    assert_eq!((again.created, again.existing), (0, 1), "computing again owes nothing twice");
    payments::compute(&db, &Scope::All, month("2025-02")).await.expect("february");
    payments::compute(&db, &Scope::All, month("2025-03")).await.expect("march");
    payments::compute(&db, &Scope::All, month("2025-04")).await.expect("april");
    let owed = |m: &'static str| {
        let db = db.clone();
        async move { payments::entitlements(&db, &Scope::All, month(m)).await.expect("owed") }
    };
    assert_eq!(amounts(&owed("2025-02").await), vec![500_000, 500_000]);
    let march = owed("2025-03").await;
    assert_eq!(march.len(), 1, "two months at most: the first team is done, the late one has a month left");
    assert_eq!(march[0].team_id, late);
    assert!(owed("2025-04").await.is_empty());
    assert!(owed("2025-01").await.iter().all(|e| e.team_id == a));
    // The database itself refuses a second entitlement for the same policy, team and month.
    let copy = "insert into entitlement (month, policy_key, funding_policy_id, team_id, commune_id, amount, computed_at) \
                select month, policy_key, funding_policy_id, team_id, commune_id, amount, computed_at from entitlement \
                where month = '2025-01'";
    let r = raw(&db, copy).await;
    assert!(matches!(&r, Err(sqlx::Error::Database(e)) if e.is_unique_violation()), "{r:?}");
});

both_databases!(a_cap_per_year_holds_across_months_and_members_are_paid_by_the_fifteenth, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    member(&db, t, "Nguyễn Văn An", "0912000001", "leader", "01/10/2024").await;
    member(&db, t, "Lê Văn Bình", "0912000002", "member", "15/02/2025").await;
    member(&db, t, "Trần Văn Cường", "0912000003", "member", "16/02/2025").await;
    policy(&db, "Theo năm", "team_month", "500000", "49", "", "1.200.000").await;
    policy(&db, "Theo thành viên", "member_month", "50000", "49", "", "").await;
    let mut by_month = Vec::new();
    for m in ["2025-01", "2025-02", "2025-03", "2025-04"] {
        payments::compute(&db, &Scope::All, month(m)).await.expect("compute");
        let list = payments::entitlements(&db, &Scope::All, month(m)).await.expect("owed");
        let team_part: i64 = list.iter().filter(|e| e.person_id.is_none()).map(|e| e.amount).sum();
        let members = list.iter().filter(|e| e.person_id.is_some()).count();
        by_month.push((team_part, members));
    }
    // 500,000 + 500,000 + 200,000 reach the cap of 1,200,000; April owes the team nothing.
    // Members: one in January; joined on the 15th counts in February, on the 16th from March.
    assert_eq!(by_month, vec![(500_000, 1), (500_000, 2), (200_000, 3), (0, 3)]);
    // A new year starts the cap again.
    payments::compute(&db, &Scope::All, month("2026-01")).await.expect("next year");
    let jan = payments::entitlements(&db, &Scope::All, month("2026-01")).await.expect("owed");
    assert_eq!(jan.iter().filter(|e| e.person_id.is_none()).map(|e| e.amount).sum::<i64>(), 500_000);
});

both_databases!(work_days_are_claimed_once_approved_and_paid_at_the_rate, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let p = member(&db, t, "Nguyễn Văn An", "0912000001", "leader", "01/10/2024").await;
    policy(&db, "Ngày công", "work_day", "150.000", "49", "", "").await;
    let draft = |day: &str| ClaimDraft {
        person_id: p.to_string(),
        team_id: t.to_string(),
        worked_on: day.into(),
        task: "Hướng dẫn cài VNeID".into(),
        mobilised_by: "Chủ tịch UBND phường".into(),
    };
    let c1 = payments::add_claim(&db, &Scope::All, &draft("10/03/2025").parse().expect("claim")).await.expect("claim");
    let c2 = payments::add_claim(&db, &Scope::All, &draft("11/03/2025").parse().expect("claim")).await.expect("claim");
    // The same person, the same day: refused, naming the day.
    let twice = payments::add_claim(&db, &Scope::All, &draft("10/03/2025").parse().expect("claim")).await;
    assert!(matches!(&twice, Err(StoreError::Conflict { message, .. }) if message.contains("10/03/2025")), "{twice:?}");
    // A day to come, or no task: refused beside the field.
    let bad = ClaimDraft { task: String::new(), ..draft("01/01/2999") }.parse().expect_err("refused");
    let fields: Vec<&str> = bad.0.iter().map(|f| f.field).collect();
    assert_eq!(fields, vec!["worked_on", "task"]);
    // Only approved claims are owed.
    payments::decide_claim(&db, &Scope::All, c1, true).await.expect("approve");
    payments::decide_claim(&db, &Scope::All, c2, false).await.expect("reject");
    assert!(matches!(payments::decide_claim(&db, &Scope::All, c1, false).await, Err(StoreError::Conflict { .. })));
    payments::compute(&db, &Scope::All, month("2025-03")).await.expect("compute");
    let owed = payments::entitlements(&db, &Scope::All, month("2025-03")).await.expect("owed");
    assert_eq!(owed.len(), 1);
    assert_eq!((owed[0].work_claim_id, owed[0].amount), (Some(c1), 150_000));
    payments::compute(&db, &Scope::All, month("2025-03")).await.expect("again");
    assert_eq!(payments::entitlements(&db, &Scope::All, month("2025-03")).await.expect("owed").len(), 1);
});

both_databases!(a_payment_list_goes_from_prepared_to_paid_and_the_ledger_holds_it, |db: Db| async move {
    load_units(&db).await;
    let t1 = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let t2 = team(&db, TAN_THANH, "Thôn Hai", "01/09/2024").await;
    member(&db, t1, "Nguyễn Văn An", "0912000001", "leader", "01/10/2024").await;
    policy(&db, "Hỗ trợ tổ", "team_month", "500.000", "49", "24", "").await;
    let jan = month("2025-01");
    // Nothing computed yet: nothing to list.
    let r = acting_as(web("canbo.xa"), payments::prepare(&db, &Scope::All, TAN_THANH, jan)).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
    payments::compute(&db, &Scope::All, jan).await.expect("compute");
    let id = acting_as(web("canbo.xa"), payments::prepare(&db, &Scope::All, TAN_THANH, jan)).await.expect("prepare");
    let lines = payments::lines(&db, id).await.expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines.iter().map(|l| l.line_no).collect::<Vec<_>>(), vec![1, 2]);
    assert!(lines.iter().any(|l| l.team_id == t1 && l.payee == "Nguyễn Văn An"), "the leader receives for the team");
    assert!(lines.iter().any(|l| l.team_id == t2 && l.payee.contains("Thôn Hai")), "no leader: the team itself");
    let list = payments::list_by_id(&db, &Scope::All, id).await.expect("list");
    assert_eq!((list.total, list.status.as_str(), list.prepared_by.as_str()), (1_000_000, "prepared", "canbo.xa"));
    // Out of order: refused.
    let r = payments::advance(&db, &Scope::All, id, ListStatus::Approved, None).await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    acting_as(web("canbo.xa"), payments::advance(&db, &Scope::All, id, ListStatus::Submitted, None))
        .await
        .expect("submit");
    // Who prepared it does not approve it.
    let r = acting_as(web("canbo.xa"), payments::advance(&db, &Scope::All, id, ListStatus::Approved, None)).await;
    assert!(matches!(&r, Err(StoreError::Conflict { message, .. }) if message.contains("không tự duyệt")), "{r:?}");
    acting_as(web("ke.toan"), payments::advance(&db, &Scope::All, id, ListStatus::Approved, None))
        .await
        .expect("approve");
    // Approved, it is frozen: not prepared again, its lines not changed, even past the code.
    let r = payments::prepare(&db, &Scope::All, TAN_THANH, jan).await;
    assert!(matches!(&r, Err(StoreError::Invalid { message, .. }) if message.contains("đã có trong bảng kê")), "{r:?}");
    assert!(raw(&db, &format!("update payment_line set amount = 1 where payment_list_id = {id}")).await.is_err());
    assert!(raw(&db, &format!("delete from payment_line where payment_list_id = {id}")).await.is_err());
    assert!(
        raw(&db, &format!("update payment_list set status = 'prepared' where payment_list_id = {id}")).await.is_err()
    );
    let paid_on = time::macros::date!(2025 - 02 - 05);
    acting_as(web("ke.toan"), payments::advance(&db, &Scope::All, id, ListStatus::Paid, Some(paid_on)))
        .await
        .expect("pay");
    let list = payments::list_by_id(&db, &Scope::All, id).await.expect("list");
    assert_eq!((list.status.as_str(), list.paid_on.as_deref()), ("paid", Some("2025-02-05")));
    // Each line is a ledger entry; balances derive from the ledger.
    let entries = payments::entries(&db, &Scope::All, &LedgerFilter::default()).await.expect("ledger");
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.kind == "payment" && e.paid_on == "2025-02-05" && e.month == "2025-01"));
    let team1 = LedgerFilter { team_id: Some(t1), ..LedgerFilter::default() };
    assert_eq!(payments::balance(&db, &Scope::All, &team1).await.expect("balance"), Vnd::new(500_000));
    let commune = Scope::Paths(vec![units::by_code(&db, TAN_THANH).await.expect("u").path]);
    assert_eq!(payments::balance(&db, &commune, &LedgerFilter::default()).await.expect("b"), Vnd::new(1_000_000));
    let elsewhere = Scope::Paths(vec![units::by_code(&db, FAR).await.expect("u").path]);
    assert_eq!(payments::balance(&db, &elsewhere, &LedgerFilter::default()).await.expect("b"), Vnd::ZERO);
    // The ledger is append-only, past the code too.
    assert!(raw(&db, "update ledger_entry set amount = 1").await.is_err());
    assert!(raw(&db, "delete from ledger_entry").await.is_err());
    // A mistake found after payment: a reversal and a correcting entry, never an edit.
    let wrong = entries.iter().find(|e| e.team_id == t2).expect("entry").id;
    let r = payments::reverse(&db, &Scope::All, wrong, "").await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "a reason is needed");
    payments::reverse(&db, &Scope::All, wrong, "Tổ chưa hoạt động tháng 1").await.expect("reverse");
    let again = payments::reverse(&db, &Scope::All, wrong, "lần hai").await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    let team2 = LedgerFilter { team_id: Some(t2), ..LedgerFilter::default() };
    assert_eq!(payments::balance(&db, &Scope::All, &team2).await.expect("b"), Vnd::ZERO);
    payments::adjust(&db, &Scope::All, t2, jan, Vnd::new(250_000), "", "Chi nửa tháng theo biên bản")
        .await
        .expect("adjust");
    assert_eq!(payments::balance(&db, &Scope::All, &team2).await.expect("b"), Vnd::new(250_000));
    assert_eq!(payments::balance(&db, &commune, &LedgerFilter::default()).await.expect("b"), Vnd::new(750_000));
    // Planned, owed and paid for the month.
    let report = payments::report(&db, &Scope::All, TAN_THANH, jan, 1).await.expect("report");
    assert_eq!(report[0].owed, Vnd::new(1_000_000));
    assert_eq!(report[0].paid, Vnd::new(750_000));
    assert_eq!(report[0].planned, Vnd::new(1_000_000), "two teams at 500,000");
});

both_databases!(no_order_of_operations_pays_anything_twice, |db: Db| async move {
    load_units(&db).await;
    let mut teams_made = Vec::new();
    for name in ["Thôn Một", "Thôn Hai", "Thôn Ba"] {
        teams_made.push(team(&db, TAN_THANH, name, "01/09/2024").await);
    }
    policy(&db, "Hỗ trợ tổ", "team_month", "500.000", "49", "3", "").await;
    // A fixed but scrambled order of computations, preparations and payments over five months.
    let months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"];
    let mut state = 0x2545_f491_u64;
    let mut step = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..40 {
        let m = month(months[usize::try_from(step() % 5).unwrap_or(0)]);
        match step() % 4 {
            0 | 1 => {
                payments::compute(&db, &Scope::All, m).await.expect("compute");
            }
            2 => {
                let _ = acting_as(web("lap"), payments::prepare(&db, &Scope::All, TAN_THANH, m)).await;
            }
            _ => {
                for l in payments::lists(&db, &Scope::All, Some(m)).await.expect("lists") {
                    let next = match l.status() {
                        Some(ListStatus::Prepared) => ListStatus::Submitted,
                        Some(ListStatus::Submitted) => ListStatus::Approved,
                        Some(ListStatus::Approved) => ListStatus::Paid,
                        _ => continue,
                    };
                    acting_as(web("duyet"), payments::advance(&db, &Scope::All, l.id, next, None)).await.expect("step");
                }
            }
        }
    }
    // Whatever the order: each team is owed at most three months, once each, and paid at most
    // what it is owed.
    for t in teams_made {
        let mut owed_months = Vec::new();
        for m in months {
            for e in payments::entitlements(&db, &Scope::All, month(m)).await.expect("owed") {
                if e.team_id == t {
                    owed_months.push(e.month.clone());
                }
            }
        }
        let mut unique = owed_months.clone();
        unique.dedup();
        assert_eq!(owed_months, unique, "never owed twice for a month");
        assert!(owed_months.len() <= 3, "the cap in months holds: {owed_months:?}");
        let paid = payments::balance(&db, &Scope::All, &LedgerFilter { team_id: Some(t), ..LedgerFilter::default() })
            .await
            .expect("paid");
        assert!(paid.value() <= i64::try_from(owed_months.len()).expect("n") * 500_000, "paid no more than owed");
    }
});

both_databases!(what_is_owed_after_a_list_went_ahead_goes_on_a_supplementary_list, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let p = member(&db, t, "Nguyễn Văn An", "0912000001", "leader", "01/10/2024").await;
    policy(&db, "Hỗ trợ tổ", "team_month", "500.000", "49", "", "").await;
    policy(&db, "Ngày công", "work_day", "150.000", "49", "", "").await;
    let jan = month("2025-01");
    payments::compute(&db, &Scope::All, jan).await.expect("compute");
    let first = acting_as(web("lap"), payments::prepare(&db, &Scope::All, TAN_THANH, jan)).await.expect("prepare");
    acting_as(web("lap"), payments::advance(&db, &Scope::All, first, ListStatus::Submitted, None))
        .await
        .expect("submit");
    // A claim for January approved after the list went ahead.
    let draft = ClaimDraft {
        person_id: p.to_string(),
        team_id: t.to_string(),
        worked_on: "20/01/2025".into(),
        task: "Hỗ trợ dịch vụ công trực tuyến".into(),
        mobilised_by: String::new(),
    };
    let c = payments::add_claim(&db, &Scope::All, &draft.parse().expect("claim")).await.expect("claim");
    payments::decide_claim(&db, &Scope::All, c, true).await.expect("approve");
    payments::compute(&db, &Scope::All, jan).await.expect("again");
    let second = acting_as(web("lap"), payments::prepare(&db, &Scope::All, TAN_THANH, jan)).await.expect("supplement");
    assert_ne!(first, second);
    let l = payments::list_by_id(&db, &Scope::All, second).await.expect("list");
    assert_eq!((l.seq, l.total), (2, 150_000));
    assert_eq!(payments::lines(&db, second).await.expect("lines").len(), 1);
    assert_eq!(payments::list_by_id(&db, &Scope::All, first).await.expect("first").total, 500_000, "the first stays");
    // Prepared again while only prepared: the same supplementary list, refreshed, not a third.
    let again = acting_as(web("lap"), payments::prepare(&db, &Scope::All, TAN_THANH, jan)).await.expect("refresh");
    assert_eq!(again, second);
    assert_eq!(payments::lists(&db, &Scope::All, Some(jan)).await.expect("lists").len(), 2);
});

both_databases!(a_member_s_cap_follows_the_person_from_team_to_team, |db: Db| async move {
    load_units(&db).await;
    let a = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let b = team(&db, TAN_THANH, "Thôn Hai", "01/09/2024").await;
    let person = member(&db, a, "Nguyễn Văn An", "0912000001", "member", "01/10/2024").await;
    policy(&db, "Theo thành viên", "member_month", "50.000", "49", "2", "").await;
    payments::compute(&db, &Scope::All, month("2025-01")).await.expect("january");
    payments::compute(&db, &Scope::All, month("2025-02")).await.expect("february");
    // The member moves to another team: the two months used stay used.
    let m = people::get(&db, &Scope::All, person).await.expect("p").membership_id.expect("active");
    people::leave(&db, &Scope::All, m, time::macros::date!(2025 - 02 - 28)).await.expect("leave");
    let joining = MembershipDraft { role: "member".into(), position: "other".into(), joined_on: "01/03/2025".into() }
        .parse(store::today())
        .expect("membership");
    people::join(&db, &Scope::All, person, b, &joining).await.expect("join");
    payments::compute(&db, &Scope::All, month("2025-03")).await.expect("march");
    let march = payments::entitlements(&db, &Scope::All, month("2025-03")).await.expect("owed");
    assert!(march.iter().all(|e| e.person_id != Some(person)), "{march:?}");
});
