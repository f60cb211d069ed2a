//! Training: courses, sessions, invitations, the roll call and who has not been trained, on
//! SQLite and PostgreSQL (issue E, point 1).

use domain::input::{MembershipDraft, PersonDraft, TeamDraft};
use store::training;
use store::{Db, Scope, StoreError, both_databases, demo, people, teams, units, villages};
use time::macros::date;

async fn load(db: &Db) {
    let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
    units::load_state(db, &rows, demo::DEMO_UNITS_FROM).await.expect("load units");
}

async fn team(db: &Db, commune: &str, name: &str) -> i64 {
    let u = units::by_code(db, commune).await.expect("unit");
    let v = villages::create(db, &u, name).await.expect("village");
    let input = TeamDraft { name: String::new(), established_on: "01/09/2023".into(), zalo_url: String::new() }
        .parse(store::today())
        .expect("team");
    teams::create(db, &Scope::All, v, &input).await.expect("team")
}

async fn member(db: &Db, team: i64, name: &str, phone: &str) -> i64 {
    let p = PersonDraft {
        full_name: name.into(),
        gender: "male".into(),
        birth: "1980".into(),
        phone: phone.into(),
        ..PersonDraft::default()
    }
    .parse(store::today())
    .expect("person");
    let m = MembershipDraft { role: "member".into(), position: "other".into(), joined_on: "01/10/2023".into() }
        .parse(store::today())
        .expect("membership");
    people::create_member(db, &Scope::All, team, &p, &m).await.expect("member")
}

both_databases!(a_session_is_attended_by_its_invited_teams_and_the_untrained_are_listed, |db: Db| async move {
    load(&db).await;
    let a = team(&db, "20335", "Thôn Một").await;
    let b = team(&db, "20341", "Thôn Hai").await;
    let far = team(&db, "20380", "Thôn Xa").await;
    let an = member(&db, a, "Nguyễn Văn An", "0912000001").await;
    let binh = member(&db, a, "Lê Văn Bình", "0912000002").await;
    let cuong = member(&db, b, "Trần Văn Cường", "0912000003").await;
    member(&db, far, "Phạm Văn Dũng", "0912000004").await;
    // Refusals name the field.
    assert!(matches!(training::add_course(&db, " ", "Sở TT&TT", "").await, Err(StoreError::Invalid { .. })));
    let course =
        training::add_course(&db, "Phổ cập kỹ năng số", "Sở TT&TT Quảng Nam", "Dịch vụ công trực tuyến; ki-ốt")
            .await
            .expect("course");
    assert!(matches!(
        training::add_session(&db, 999, date!(2024 - 08 - 28), "Tam Kỳ", "").await,
        Err(StoreError::NotFound(_))
    ));
    let s = training::add_session(
        &db,
        course,
        date!(2024 - 08 - 28),
        "Hội trường UBND Tam Kỳ",
        "Cục Chuyển đổi số quốc gia",
    )
    .await
    .expect("session");
    // The whole of Tam Kỳ is invited: its two teams, not the one elsewhere; twice changes nothing.
    let tam_ky = training::teams_of_unit(&db, &Scope::All, "502").await.expect("teams");
    assert_eq!(tam_ky.len(), 2);
    assert_eq!(training::invite(&db, &Scope::All, s, &tam_ky).await.expect("invite"), 2);
    assert_eq!(training::invite(&db, &Scope::All, s, &tam_ky).await.expect("again"), 0);
    let roll = training::roll_call(&db, &Scope::All, s).await.expect("roll call");
    let names: Vec<&str> = roll.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(roll.len(), 3, "{names:?}");
    assert!(roll.iter().all(|r| r.status.is_none()));
    // Someone not invited, or a status that is not one, is refused and nothing is written.
    let outsider = roll.iter().map(|r| r.person_id).max().expect("p") + 100;
    let r = training::record(&db, &Scope::All, s, &[(an, "present".into()), (outsider, "present".into())]).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
    assert!(matches!(
        training::record(&db, &Scope::All, s, &[(an, "maybe".into())]).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(training::roll_call(&db, &Scope::All, s).await.expect("roll").iter().all(|r| r.status.is_none()));
    training::record(
        &db,
        &Scope::All,
        s,
        &[(an, "present".into()), (binh, "excused".into()), (cuong, "absent".into())],
    )
    .await
    .expect("record");
    // Corrected: Cường was there after all.
    training::record(&db, &Scope::All, s, &[(cuong, "present".into())]).await.expect("correct");
    let shown = training::session(&db, s).await.expect("session");
    assert_eq!((shown.teams, shown.present), (2, 2));
    // Who has never been trained: Bình (excused) in Tam Kỳ; and Dũng outside it.
    let untrained: Vec<i64> =
        training::untrained(&db, &Scope::All, "502", None).await.expect("untrained").iter().map(|m| m.id).collect();
    assert_eq!(untrained, vec![binh]);
    assert_eq!(training::untrained(&db, &Scope::All, "49", None).await.expect("all").len(), 2);
    // Not in the last months: everyone, counted from 2025.
    let since = training::untrained(&db, &Scope::All, "502", Some(date!(2025 - 01 - 01))).await.expect("since");
    assert_eq!(since.len(), 3);
    // A reader of one commune sees only its part of the roll call.
    let only = Scope::Paths(vec!["49/502/20341/".into()]);
    let part = training::roll_call(&db, &only, s).await.expect("part");
    assert_eq!(part.iter().map(|r| r.person_id).collect::<Vec<_>>(), vec![cuong]);
});

both_databases!(the_demo_holds_the_tam_ky_session_of_28_august_2024, |db: Db| async move {
    demo::load(&db, &|_, _, _| {}).await.expect("demo");
    let sessions = training::sessions(&db).await.expect("sessions");
    let s = sessions.iter().find(|s| s.held_on == "2024-08-28").expect("the Tam Kỳ session");
    assert_eq!(s.teams, 85, "the 85 teams of Tam Kỳ");
    assert!(s.topics.contains("dịch vụ công trực tuyến") && s.organiser.contains("Cục Chuyển đổi số quốc gia"));
    let roll = training::roll_call(&db, &Scope::All, s.id).await.expect("roll call");
    assert_eq!(roll.iter().filter(|r| r.status.as_deref() == Some("present")).count() as i64, s.present);
    assert!(roll.iter().all(|r| r.status.is_some()), "everyone is marked");
    assert!(s.present > 0 && (s.present as usize) < roll.len(), "some were absent");
});

both_databases!(courses_pages_of_sessions_invited_teams_and_who_is_due_again, |db: Db| async move {
    load(&db).await;
    let a = team(&db, "20335", "Thôn Một").await;
    let b = team(&db, "20341", "Thôn Hai").await;
    let an = member(&db, a, "Nguyễn Văn An", "0912000011").await;
    let binh = member(&db, a, "Lê Văn Bình", "0912000012").await;
    let cuong = member(&db, b, "Trần Văn Cường", "0912000013").await;
    let first = training::add_course(&db, "Dịch vụ công trực tuyến", "Sở TT&TT Quảng Nam", "").await.expect("course");
    let second =
        training::add_course(&db, "Thanh toán không dùng tiền mặt", "VNPT Quảng Nam", "Mã QR").await.expect("c");
    let old = training::add_session(&db, first, date!(2024 - 03 - 05), "Tam Kỳ", "").await.expect("old");
    let new = training::add_session(&db, second, date!(2025 - 06 - 10), "Tam Kỳ", "VNPT").await.expect("new");
    let mid = training::add_session(&db, first, date!(2024 - 11 - 20), "Phú Ninh", "").await.expect("mid");
    // Courses newest first, with their sessions counted.
    let courses = training::courses(&db).await.expect("courses");
    assert_eq!(courses.iter().map(|c| (c.id, c.sessions)).collect::<Vec<_>>(), vec![(second, 1), (first, 2)]);
    // Sessions newest first, two a page.
    let p1 = training::sessions_page(&db, store::PageRequest::new(1, 2)).await.expect("page 1");
    assert_eq!((p1.total, p1.pages()), (3, 2));
    assert_eq!(p1.items.iter().map(|s| s.id).collect::<Vec<_>>(), vec![new, mid]);
    let p2 = training::sessions_page(&db, store::PageRequest::new(2, 2)).await.expect("page 2");
    assert_eq!(p2.items.iter().map(|s| s.id).collect::<Vec<_>>(), vec![old]);
    // Both teams at the old session: An present, Bình absent, Cường excused.
    training::invite(&db, &Scope::All, old, &[a, b]).await.expect("invite");
    training::record(
        &db,
        &Scope::All,
        old,
        &[(an, "present".into()), (binh, "absent".into()), (cuong, "excused".into())],
    )
    .await
    .expect("record");
    let invited = training::invited(&db, &Scope::All, old).await.expect("invited");
    let counts: Vec<(i64, i64, i64, i64, i64)> =
        invited.iter().map(|t| (t.team_id, t.members, t.present, t.absent, t.excused)).collect();
    assert_eq!(counts, vec![(a, 2, 1, 1, 0), (b, 1, 0, 0, 1)]);
    // A reader of one commune sees its team only.
    let only = Scope::Paths(vec!["49/502/20341/".into()]);
    let part = training::invited(&db, &only, old).await.expect("part");
    assert_eq!(part.iter().map(|t| t.team_id).collect::<Vec<_>>(), vec![b]);
    assert!(matches!(training::invited(&db, &Scope::All, 999).await, Err(StoreError::NotFound(_))));
    // Never trained: Bình and Cường; An was, on 05/03/2024.
    let never = training::untrained_page(&db, &Scope::All, "502", None, store::PageRequest::all()).await.expect("n");
    assert_eq!(never.items.iter().map(|u| u.member.id).collect::<Vec<_>>(), vec![binh, cuong]);
    assert!(never.items.iter().all(|u| u.last_present.is_none()));
    // Not in the 12 months before 01/07/2025 (since 01/07/2024): An too, with the day he last was.
    let since = training::months_before(date!(2025 - 07 - 01), 12);
    assert_eq!(since, date!(2024 - 07 - 01));
    let due = training::untrained_page(&db, &Scope::All, "502", Some(since), store::PageRequest::new(1, 2))
        .await
        .expect("due");
    assert_eq!((due.total, due.items.len()), (3, 2));
    let an_row = due.items.iter().find(|u| u.member.id == an).expect("An is due again");
    assert_eq!(an_row.last_present.as_deref(), Some("2024-03-05"));
    let rest = training::untrained_page(&db, &Scope::All, "502", Some(since), store::PageRequest::new(2, 2))
        .await
        .expect("page 2");
    assert_eq!(rest.items.len(), 1);
    // Present at a later session: no longer due.
    training::invite(&db, &Scope::All, new, &[a]).await.expect("invite");
    training::record(&db, &Scope::All, new, &[(an, "present".into())]).await.expect("record");
    let due = training::untrained(&db, &Scope::All, "502", Some(since)).await.expect("due");
    assert_eq!(due.iter().map(|m| m.id).collect::<Vec<_>>(), vec![binh, cuong]);
    assert!(matches!(training::untrained(&db, &Scope::All, "99999", None).await, Err(StoreError::NotFound(_))));
});

#[test]
fn months_before_keeps_the_day_or_the_end_of_a_shorter_month() {
    assert_eq!(training::months_before(date!(2025 - 03 - 31), 1), date!(2025 - 02 - 28));
    assert_eq!(training::months_before(date!(2024 - 03 - 31), 1), date!(2024 - 02 - 29));
    assert_eq!(training::months_before(date!(2025 - 01 - 15), 13), date!(2023 - 12 - 15));
    assert_eq!(training::months_before(date!(2025 - 01 - 15), 0), date!(2025 - 01 - 15));
}

both_databases!(the_demo_holds_other_sessions_with_absences, |db: Db| async move {
    demo::load(&db, &|_, _, _| {}).await.expect("demo");
    let sessions = training::sessions(&db).await.expect("sessions");
    assert_eq!(sessions.len(), 4, "{sessions:?}");
    for day in ["2024-06-12", "2024-10-17", "2025-09-18"] {
        let s = sessions.iter().find(|s| s.held_on == day).expect("a session that day");
        assert!(s.teams > 0, "{day}: teams invited");
        let roll = training::roll_call(&db, &Scope::All, s.id).await.expect("roll call");
        assert!(roll.iter().all(|r| r.status.is_some()), "{day}: everyone marked");
        assert!(roll.iter().any(|r| r.status.as_deref() == Some("absent")), "{day}: some absent");
        assert!(s.present > 0 && (s.present as usize) < roll.len(), "{day}");
    }
    let vnpt = sessions.iter().find(|s| s.held_on == "2024-10-17").expect("VNPT");
    assert!(vnpt.organiser.contains("VNPT") && vnpt.title.contains("không dùng tiền mặt"));
    let roll = training::roll_call(&db, &Scope::All, vnpt.id).await.expect("roll call");
    assert!(roll.iter().any(|r| r.status.as_deref() == Some("excused")));
    // In Phường Tam Kỳ, trained in 2024 but not since 2025 differs from never trained.
    let never = training::untrained(&db, &Scope::All, "20341", None).await.expect("never");
    let lately = training::untrained(&db, &Scope::All, "20341", Some(date!(2025 - 01 - 01))).await.expect("lately");
    assert!(!never.is_empty() && lately.len() > never.len(), "{} {}", never.len(), lately.len());
});
