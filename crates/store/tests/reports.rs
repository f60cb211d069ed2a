//! Monthly team reports, the kept totals and counts, completeness and indicator totals, on SQLite
//! and PostgreSQL (issue E, points 2-4 and 8).

use domain::funding::YearMonth;
use domain::input::TeamDraft;
use store::reports::{self, Submitted};
use store::{Db, Scope, StoreError, both_databases, demo, teams, units, villages};

const TAN_THANH: &str = "20335";
const AN_MY: &str = "20341";
const FAR: &str = "20380";

async fn load(db: &Db) {
    let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
    units::load_state(db, &rows, demo::DEMO_UNITS_FROM).await.expect("load units");
    reports::load_demo_indicators(db).await.expect("indicators");
}

async fn team(db: &Db, commune: &str, name: &str, founded: &str) -> i64 {
    let u = units::by_code(db, commune).await.expect("unit");
    let v = villages::create(db, &u, name).await.expect("village");
    let input = TeamDraft { name: String::new(), established_on: founded.into(), zalo_url: String::new() }
        .parse(store::today())
        .expect("team");
    teams::create(db, &Scope::All, v, &input).await.expect("team")
}

fn month(s: &str) -> YearMonth {
    YearMonth::parse(s).expect("month")
}

async fn values(db: &Db, pairs: &[(&str, &str)]) -> Vec<(i64, i64)> {
    let typed: Vec<(String, String)> = pairs.iter().map(|(c, v)| ((*c).to_owned(), (*v).to_owned())).collect();
    reports::check_values(db, &typed).await.expect("values")
}

async fn total(db: &Db, unit: &str, m: &str, code: &str) -> i64 {
    let t = reports::indicator_totals(db, &Scope::All, unit, month(m), month(m)).await.expect("totals");
    t.iter().find(|i| i.code == code).expect("indicator").total
}

async fn raw(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    }
}

both_databases!(a_report_counts_once_from_submission_and_stops_when_returned, |db: Db| async move {
    load(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let jan = month("2025-01");
    let v = values(&db, &[("dvc_huong_dan", "12"), ("vneid_muc_2", "1.234")]).await;
    // A draft counts for nothing.
    reports::save_draft(&db, &Scope::All, t, jan, &v).await.expect("draft");
    assert_eq!(total(&db, "49", "2025-01", "dvc_huong_dan").await, 0);
    let first = reports::submit(&db, &Scope::All, t, jan, &v, Some("phone-1")).await.expect("submit");
    assert!(first.created && first.late, "January is long past its deadline");
    assert_eq!(total(&db, "49", "2025-01", "dvc_huong_dan").await, 12);
    assert_eq!(total(&db, TAN_THANH, "2025-01", "vneid_muc_2").await, 1234);
    // The phone sends the same submission again: one report, counted once.
    let again = reports::submit(&db, &Scope::All, t, jan, &v, Some("phone-1")).await.expect("resend");
    assert_eq!(again, Submitted { id: first.id, late: true, created: false });
    assert_eq!(total(&db, "49", "2025-01", "dvc_huong_dan").await, 12);
    // Another submission of the same month is refused.
    let other = reports::submit(&db, &Scope::All, t, jan, &v, Some("phone-2")).await;
    assert!(matches!(other, Err(StoreError::Conflict { .. })), "{other:?}");
    // Returned (with a reason), it stops counting; corrected and sent again, it counts again.
    assert!(matches!(reports::send_back(&db, &Scope::All, first.id, " ").await, Err(StoreError::Invalid { .. })));
    reports::send_back(&db, &Scope::All, first.id, "Số hồ sơ chưa khớp").await.expect("return");
    assert_eq!(total(&db, "49", "2025-01", "dvc_huong_dan").await, 0);
    let r = reports::get(&db, &Scope::All, first.id).await.expect("report");
    assert_eq!((r.status.as_str(), r.comment.as_str()), ("returned", "Số hồ sơ chưa khớp"));
    let fixed = values(&db, &[("dvc_huong_dan", "10")]).await;
    let resent = reports::submit(&db, &Scope::All, t, jan, &fixed, Some("phone-3")).await.expect("resubmit");
    assert_eq!((resent.id, resent.created), (first.id, true));
    assert_eq!(total(&db, "49", "2025-01", "dvc_huong_dan").await, 10);
    assert_eq!(total(&db, "49", "2025-01", "vneid_muc_2").await, 0, "the corrected values replace the old");
    // Approved, it is locked.
    reports::approve(&db, &Scope::All, first.id).await.expect("approve");
    assert!(matches!(reports::save_draft(&db, &Scope::All, t, jan, &fixed).await, Err(StoreError::Conflict { .. })));
    assert!(matches!(reports::send_back(&db, &Scope::All, first.id, "x").await, Err(StoreError::Conflict { .. })));
    assert!(matches!(reports::approve(&db, &Scope::All, first.id).await, Err(StoreError::Conflict { .. })));
    assert_eq!(total(&db, "49", "2025-01", "dvc_huong_dan").await, 10);
    assert!(reports::verify(&db).await.expect("verify").is_empty());
});

both_databases!(values_and_months_are_checked, |db: Db| async move {
    load(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let typed = |c: &str, v: &str| vec![(c.to_owned(), v.to_owned())];
    for (code, value) in [("khong_co", "1"), ("dvc_ho_so", "-3"), ("dvc_ho_so", "ba"), ("dvc_ho_so", "1,5")] {
        let r = reports::check_values(&db, &typed(code, value)).await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{code}={value}: {r:?}");
    }
    assert_eq!(reports::check_values(&db, &typed("dvc_ho_so", "")).await.expect("empty is 0")[0].1, 0);
    let next = YearMonth::of(store::today()).next();
    let r = reports::submit(&db, &Scope::All, t, next, &[], None).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "a month to come: {r:?}");
    // A team out of scope is not there.
    let elsewhere = Scope::Paths(vec!["49/518/".into()]);
    let r = reports::submit(&db, &elsewhere, t, month("2025-01"), &[], None).await;
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
    // New indicators need no code change; a code is checked and unique.
    reports::add_indicator(&db, "zalo_nhom", "Số nhóm Zalo hỗ trợ người dân", "nhóm", 10).await.expect("new");
    assert!(reports::indicators(&db).await.expect("list").iter().any(|i| i.code == "zalo_nhom"));
    assert!(matches!(reports::add_indicator(&db, "zalo_nhom", "x", "y", 11).await, Err(StoreError::Conflict { .. })));
    assert!(matches!(reports::add_indicator(&db, "Mã Sai", "x", "y", 11).await, Err(StoreError::Invalid { .. })));
});

both_databases!(completeness_counts_expected_received_and_on_time, |db: Db| async move {
    load(&db).await;
    db.set_setting("report_deadline_day", "5").await.expect("deadline");
    let a = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let b = team(&db, TAN_THANH, "Thôn Hai", "01/09/2024").await;
    let c = team(&db, AN_MY, "Thôn Ba", "01/09/2024").await;
    team(&db, AN_MY, "Thôn Bốn", "16/11/2026").await; // founded after the 15th: not expected
    let far = team(&db, FAR, "Thôn Xa", "01/09/2024").await;
    let now = YearMonth::of(store::today());
    // This month's reports are on time; last year's are late.
    reports::submit(&db, &Scope::All, a, now, &[], Some("a")).await.expect("a");
    reports::submit(&db, &Scope::All, c, month("2025-01"), &[], Some("c")).await.expect("c");
    reports::submit(&db, &Scope::All, far, now, &[], Some("far")).await.expect("far");
    let tam_ky = reports::completeness(&db, &Scope::All, "502", now).await.expect("completeness");
    assert_eq!((tam_ky.expected, tam_ky.received, tam_ky.on_time), (3, 1, 1));
    let children: i64 = tam_ky.children.iter().map(|c| c.expected).sum();
    assert_eq!(children, tam_ky.expected, "children sum to the unit");
    let tan_thanh = tam_ky.children.iter().find(|c| c.code == TAN_THANH).expect("20335");
    assert_eq!((tan_thanh.expected, tan_thanh.received, tan_thanh.received_percent), (2, 1, 50.0));
    let missing = reports::not_reported(&db, &Scope::All, "502", now).await.expect("missing");
    let ids: Vec<i64> = missing.iter().map(|t| t.team_id).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&b) && ids.contains(&c) && !ids.contains(&a));
    let commune = reports::completeness(&db, &Scope::All, TAN_THANH, now).await.expect("commune");
    assert_eq!(commune.children.len(), 2, "one row per team");
    let jan = reports::completeness(&db, &Scope::All, "502", month("2025-01")).await.expect("january");
    assert_eq!((jan.expected, jan.received, jan.on_time), (3, 1, 0), "late");
    // Within a scope: only what it covers.
    let only = Scope::Paths(vec!["49/502/20335/".into()]);
    let scoped = reports::completeness(&db, &only, "49", now).await.expect("scoped");
    assert_eq!((scoped.expected, scoped.received), (2, 1));
    assert!(reports::verify(&db).await.expect("verify").is_empty());
});

both_databases!(kept_totals_equal_a_recount_whatever_happens, |db: Db| async move {
    load(&db).await;
    let mut all = Vec::new();
    for (commune, name) in [(TAN_THANH, "Thôn Một"), (TAN_THANH, "Thôn Hai"), (AN_MY, "Thôn Ba"), (FAR, "Thôn Xa")]
    {
        all.push(team(&db, commune, name, "01/09/2024").await);
    }
    let catalogue = reports::indicators(&db).await.expect("catalogue");
    let months = ["2025-01", "2025-02", "2025-03"];
    let mut state = 0x9e37_79b9_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for step in 0..80 {
        let t = all[usize::try_from(next() % 4).unwrap_or(0)];
        let m = month(months[usize::try_from(next() % 3).unwrap_or(0)]);
        let values: Vec<(i64, i64)> =
            catalogue.iter().take(3).map(|i| (i.id, i64::try_from(next() % 50).unwrap_or(0))).collect();
        match next() % 5 {
            0 => {
                let _ = reports::save_draft(&db, &Scope::All, t, m, &values).await;
            }
            1 | 2 => {
                let key = format!("k{}", next() % 6);
                let _ = reports::submit(&db, &Scope::All, t, m, &values, Some(&key)).await;
            }
            3 => {
                if let Ok(Some(r)) = reports::of_team(&db, &Scope::All, t, m).await {
                    let _ = reports::send_back(&db, &Scope::All, r.id, &format!("lần {step}")).await;
                }
            }
            _ => {
                if let Ok(Some(r)) = reports::of_team(&db, &Scope::All, t, m).await {
                    let _ = reports::approve(&db, &Scope::All, r.id).await;
                }
            }
        }
        let wrong = reports::verify(&db).await.expect("verify");
        assert!(wrong.is_empty(), "after step {step}: {wrong:?}");
    }
    // The check catches a total that drifted.
    raw(&db, "update report_total set total = total + 1").await.expect("tamper");
    assert!(!reports::verify(&db).await.expect("verify").is_empty());
});

both_databases!(reports_follow_their_village_through_a_reorganisation, |db: Db| async move {
    load(&db).await;
    // Phường Phước Hòa (20338) merges into An Xuân (20347) on 01/01/2025.
    let t = team(&db, "20338", "Thôn Cũ", "01/09/2024").await;
    let v = values(&db, &[("nguoi_tiep_can", "40")]).await;
    reports::submit(&db, &Scope::All, t, month("2024-12"), &v, Some("dec")).await.expect("december");
    assert_eq!(total(&db, "20338", "2024-12", "nguoi_tiep_can").await, 40);
    let (day, source, changes, state) = store::reorg::SHIPPED[0];
    let day = store::parse_iso(day).expect("day");
    store::reorg::apply_files(&db, changes, state, day, source, false).await.expect("apply");
    assert_eq!(total(&db, "20347", "2024-12", "nguoi_tiep_can").await, 40, "counted under today's commune");
    assert_eq!(total(&db, "502", "2024-12", "nguoi_tiep_can").await, 40);
    assert!(reports::verify(&db).await.expect("verify").is_empty());
});

/// The twelve months before today's month, oldest first (the demo's reports).
fn demo_months() -> Vec<YearMonth> {
    let mut m = YearMonth::of(store::today());
    let mut out = Vec::new();
    for _ in 0..12 {
        m = YearMonth::of(m.first_day() - time::Duration::days(1));
        out.push(m);
    }
    out.reverse();
    out
}

async fn statuses(db: &Db) -> Vec<(String, i64)> {
    let sql = "select status, count(*) from team_report group by status order by status";
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.expect("statuses"),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.expect("statuses"),
    }
}

both_databases!(the_demo_holds_a_year_of_reports_with_gaps_and_late_ones, |db: Db| async move {
    demo::load(&db, &|_, _, _| {}).await.expect("demo");
    let months = demo_months();
    assert!(reports::verify(&db).await.expect("verify").is_empty(), "the kept totals equal a recount");
    let mut received_in_all = 0;
    for m in &months {
        let c = reports::completeness(&db, &Scope::All, "48", *m).await.expect("completeness");
        assert!(c.expected > 1000, "{m}: the demo's teams are expected ({})", c.expected);
        assert!(c.received < c.expected, "{m}: some teams have not reported");
        assert!(c.received * 10 > c.expected * 8, "{m}: most teams have ({} of {})", c.received, c.expected);
        assert!(c.on_time < c.received, "{m}: some reports came late");
        received_in_all += c.received;
    }
    let totals = reports::indicator_totals(&db, &Scope::All, "48", months[0], months[11]).await.expect("totals");
    assert_eq!(totals.len(), 9);
    for t in &totals {
        assert_eq!(t.months.len(), 12);
        assert_eq!(t.total, t.months.iter().map(|(_, v)| v).sum::<i64>());
        if t.code != "kiosk_ho_tro" {
            assert!(t.months.iter().all(|(_, v)| *v > 0), "{}: every month has work", t.code);
        }
    }
    // Drafts never sent and returned reports are there too, and do not count.
    let by_status = statuses(&db).await;
    let n = |s: &str| by_status.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    assert!(n("draft") > 0 && n("returned") > 0 && n("submitted") > 0, "{by_status:?}");
    assert_eq!(n("approved") + n("submitted"), received_in_all);
    // The month before today's is not yet all approved: the commune has work waiting.
    let last = reports::completeness(&db, &Scope::All, "48", months[11]).await.expect("last month");
    assert!(last.received > 0);
    // Nothing for today's month yet.
    let now = reports::completeness(&db, &Scope::All, "48", YearMonth::of(store::today())).await.expect("now");
    assert_eq!(now.received, 0);
});

both_databases!(a_recount_rebuilds_the_kept_totals, |db: Db| async move {
    load(&db).await;
    let a = team(&db, TAN_THANH, "Thôn Một", "01/09/2024").await;
    let b = team(&db, AN_MY, "Thôn Ba", "01/09/2024").await;
    let v = values(&db, &[("dvc_huong_dan", "7"), ("nguoi_tiep_can", "30")]).await;
    reports::submit(&db, &Scope::All, a, month("2025-01"), &v, None).await.expect("a");
    reports::submit(&db, &Scope::All, b, month("2025-01"), &v, None).await.expect("b");
    let returned = reports::submit(&db, &Scope::All, b, month("2025-02"), &v, None).await.expect("b february");
    reports::send_back(&db, &Scope::All, returned.id, "thiếu số liệu").await.expect("return");
    // Figures loaded around the application: the kept totals are wrong until recounted.
    raw(&db, "update report_total set total = total + 5").await.expect("tamper totals");
    raw(&db, "delete from report_count").await.expect("lose counts");
    assert!(!reports::verify(&db).await.expect("verify").is_empty());
    reports::recount(&db).await.expect("recount");
    assert!(reports::verify(&db).await.expect("verify").is_empty());
    // A unit's kept total is checked against its communes' too.
    raw(&db, "update report_rollup set total = total + 1").await.expect("tamper unit totals");
    let wrong = reports::verify(&db).await.expect("verify");
    assert!(!wrong.is_empty() && wrong.iter().all(|w| w.what.starts_with("unit total")), "{wrong:?}");
    reports::recount(&db).await.expect("recount");
    assert!(reports::verify(&db).await.expect("verify").is_empty());
    assert_eq!(total(&db, "49", "2025-01", "dvc_huong_dan").await, 14);
    assert_eq!(total(&db, "502", "2025-01", "dvc_huong_dan").await, 14);
    // Read within a narrower scope, a province counts only what the scope covers.
    let only = Scope::Paths(vec!["49/502/20335/".into()]);
    let t = reports::indicator_totals(&db, &only, "49", month("2025-01"), month("2025-01")).await.expect("scoped");
    assert_eq!(t.iter().find(|i| i.code == "dvc_huong_dan").expect("indicator").total, 7);
    assert_eq!(total(&db, "49", "2025-02", "nguoi_tiep_can").await, 0, "a returned report counts for nothing");
    let c = reports::completeness(&db, &Scope::All, "502", month("2025-01")).await.expect("completeness");
    assert_eq!((c.received, c.on_time), (2, 0));
    // Teams expected are kept too: a team dissolved on 20/03/2025 is expected in March, not April.
    let day = store::parse_iso("2025-03-20").expect("day");
    teams::dissolve(&db, &Scope::All, b, day).await.expect("dissolve");
    let expected = |m: &'static str| {
        let db = db.clone();
        async move { reports::completeness(&db, &Scope::All, "502", month(m)).await.expect("completeness").expected }
    };
    assert_eq!((expected("2025-03").await, expected("2025-04").await), (2, 1));
    assert!(reports::verify(&db).await.expect("verify").is_empty());
    raw(&db, "delete from team_tally").await.expect("lose the tally");
    let wrong = reports::verify(&db).await.expect("verify");
    assert!(!wrong.is_empty() && wrong.iter().all(|w| w.what.starts_with("teams expected")), "{wrong:?}");
    reports::recount(&db).await.expect("recount");
    assert!(reports::verify(&db).await.expect("verify").is_empty());
    assert_eq!(expected("2025-03").await, 2);
});
