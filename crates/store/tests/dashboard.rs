//! Dashboards read from the kept totals and counts: indicator totals compared across child units,
//! coverage and the trained share, and the reports behind each completeness figure, on SQLite and
//! PostgreSQL (issue E, points 5-6).

use domain::funding::YearMonth;
use domain::input::{MembershipDraft, PersonDraft, TeamDraft};
use store::dashboard::{self, Which};
use store::reports;
use store::{Db, PageRequest, Scope, StoreError, both_databases, demo, people, teams, training, units, villages};

const TAN_THANH: &str = "20335";
const AN_MY: &str = "20341";
const FAR: &str = "20380";

async fn load(db: &Db) {
    let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
    units::load_state(db, &rows, demo::DEMO_UNITS_FROM).await.expect("load units");
    reports::load_demo_indicators(db).await.expect("indicators");
}

async fn village(db: &Db, commune: &str, name: &str) -> i64 {
    let u = units::by_code(db, commune).await.expect("unit");
    villages::create(db, &u, name).await.expect("village")
}

async fn team(db: &Db, commune: &str, name: &str) -> i64 {
    let v = village(db, commune, name).await;
    let input = TeamDraft { name: String::new(), established_on: "01/09/2024".into(), zalo_url: String::new() }
        .parse(store::today())
        .expect("team");
    teams::create(db, &Scope::All, v, &input).await.expect("team")
}

async fn member(db: &Db, team: i64, name: &str, phone: &str) -> i64 {
    let p = PersonDraft {
        full_name: name.into(),
        gender: "female".into(),
        birth: "1990".into(),
        phone: phone.into(),
        ..PersonDraft::default()
    }
    .parse(store::today())
    .expect("person");
    let m = MembershipDraft { role: "member".into(), position: "other".into(), joined_on: "01/10/2024".into() }
        .parse(store::today())
        .expect("membership");
    people::create_member(db, &Scope::All, team, &p, &m).await.expect("member")
}

fn month(s: &str) -> YearMonth {
    YearMonth::parse(s).expect("month")
}

async fn values(db: &Db, pairs: &[(&str, i64)]) -> Vec<(i64, i64)> {
    let typed: Vec<(String, String)> = pairs.iter().map(|(c, v)| ((*c).to_owned(), v.to_string())).collect();
    reports::check_values(db, &typed).await.expect("values")
}

fn column(c: &dashboard::Comparison, code: &str) -> usize {
    c.indicators.iter().position(|i| i.code == code).expect("indicator")
}

both_databases!(children_are_compared_on_the_kept_totals_and_a_new_report_counts_at_once, |db: Db| async move {
    load(&db).await;
    let a = team(&db, TAN_THANH, "Thôn Một").await;
    let b = team(&db, AN_MY, "Thôn Hai").await;
    let far = team(&db, FAR, "Thôn Xa").await;
    let (jan, feb) = (month("2025-01"), month("2025-02"));
    reports::submit(&db, &Scope::All, a, jan, &values(&db, &[("dvc_ho_so", 7)]).await, Some("a1")).await.expect("a1");
    reports::submit(&db, &Scope::All, b, feb, &values(&db, &[("dvc_ho_so", 5)]).await, Some("b2")).await.expect("b2");
    reports::submit(&db, &Scope::All, far, jan, &values(&db, &[("dvc_ho_so", 100)]).await, Some("f")).await.expect("f");
    // Tam Kỳ (502): one row per commune, the unit's row their sum; the far commune is not in it.
    let tam_ky = dashboard::child_totals(&db, &Scope::All, "502", jan, feb).await.expect("502");
    let col = column(&tam_ky, "dvc_ho_so");
    assert_eq!(tam_ky.unit.totals[col], 12);
    assert_eq!(tam_ky.unit.received, 2);
    let row = |code: &str| tam_ky.children.iter().find(|c| c.code == code).expect("child").clone();
    assert_eq!((row(TAN_THANH).totals[col], row(AN_MY).totals[col]), (7, 5));
    assert_eq!(tam_ky.children.iter().map(|c| c.totals[col]).sum::<i64>(), tam_ky.unit.totals[col]);
    // The province: districts, and the totals agree with the indicator totals of reports.rs.
    let province = dashboard::child_totals(&db, &Scope::All, "49", jan, feb).await.expect("49");
    let recount = reports::indicator_totals(&db, &Scope::All, "49", jan, feb).await.expect("totals");
    for (i, ind) in province.indicators.iter().enumerate() {
        let t = recount.iter().find(|t| t.code == ind.code).expect("same catalogue");
        assert_eq!(province.unit.totals[i], t.total, "{}", ind.code);
        assert_eq!(province.children.iter().map(|c| c.totals[i]).sum::<i64>(), t.total, "{}", ind.code);
    }
    assert_eq!(province.unit.totals[col], 112);
    // A new submission counts at once; a return takes it away at once.
    let c = team(&db, TAN_THANH, "Thôn Ba").await;
    let late = reports::submit(&db, &Scope::All, c, feb, &values(&db, &[("dvc_ho_so", 30)]).await, Some("c2"))
        .await
        .expect("c2");
    let now = dashboard::child_totals(&db, &Scope::All, "502", jan, feb).await.expect("502 again");
    assert_eq!(now.unit.totals[col], 42);
    assert_eq!(now.children.iter().find(|r| r.code == TAN_THANH).expect("20335").totals[col], 37);
    reports::send_back(&db, &Scope::All, late.id, "Sai số").await.expect("return");
    let back = dashboard::child_totals(&db, &Scope::All, "502", jan, feb).await.expect("502 after return");
    assert_eq!((back.unit.totals[col], back.unit.received), (12, 2));
    // A commune has no child rows: the kept totals go no lower.
    let commune = dashboard::child_totals(&db, &Scope::All, TAN_THANH, jan, feb).await.expect("commune");
    assert!(commune.children.is_empty());
    assert_eq!(commune.unit.totals[col], 7);
    // Only the months asked: January alone.
    let only_jan = dashboard::child_totals(&db, &Scope::All, "502", jan, jan).await.expect("january");
    assert_eq!(only_jan.unit.totals[col], 7);
    // A reader of one commune sees its row only, and the province counts only that commune.
    let one = Scope::Paths(vec!["49/502/20335/".into()]);
    let scoped = dashboard::child_totals(&db, &one, "502", jan, feb).await.expect("scoped");
    assert_eq!(scoped.children.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), vec![TAN_THANH]);
    assert_eq!(scoped.unit.totals[col], 7);
    let scoped = dashboard::child_totals(&db, &one, "49", jan, feb).await.expect("scoped province");
    assert_eq!(scoped.children.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), vec!["502"]);
    // Bad periods and units are refused.
    let r = dashboard::child_totals(&db, &Scope::All, "502", feb, jan).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
    let r = dashboard::child_totals(&db, &Scope::All, "502", month("2020-01"), month("2025-12")).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "too long: {r:?}");
    let r = dashboard::child_totals(&db, &Scope::All, "99999", jan, feb).await;
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
    assert!(reports::verify(&db).await.expect("verify").is_empty());
});

both_databases!(coverage_and_the_trained_share_count_active_villages_and_members, |db: Db| async move {
    load(&db).await;
    let a = team(&db, TAN_THANH, "Thôn Một").await;
    let b = team(&db, TAN_THANH, "Thôn Hai").await;
    village(&db, TAN_THANH, "Thôn Chưa Có Tổ").await;
    let c = team(&db, AN_MY, "Thôn Ba").await;
    let far = team(&db, FAR, "Thôn Xa").await;
    let an = member(&db, a, "Nguyễn Thị An", "0912000001").await;
    let binh = member(&db, a, "Lê Thị Bình", "0912000002").await;
    member(&db, b, "Trần Thị Cúc", "0912000003").await;
    let dung = member(&db, c, "Phạm Thị Dung", "0912000004").await;
    let far_one = member(&db, far, "Võ Thị Em", "0912000005").await;
    let course = training::add_course(&db, "Kỹ năng số", "Sở TT&TT", "").await.expect("course");
    let s = training::add_session(&db, course, store::today(), "Tam Kỳ", "").await.expect("s");
    training::invite(&db, &Scope::All, s, &[a, c, far]).await.expect("invite");
    training::record(
        &db,
        &Scope::All,
        s,
        &[(an, "present".into()), (binh, "absent".into()), (dung, "excused".into()), (far_one, "present".into())],
    )
    .await
    .expect("roll call");
    let tam_ky = dashboard::reach(&db, &Scope::All, "502").await.expect("502");
    assert_eq!((tam_ky.villages, tam_ky.villages_with_team), (4, 3));
    assert_eq!((tam_ky.members, tam_ky.members_trained), (4, 1), "absent and excused are not trained");
    assert_eq!(tam_ky.coverage_percent(), 75.0);
    assert_eq!(tam_ky.trained_percent(), 25.0);
    let tan_thanh = tam_ky.children.iter().find(|r| r.code == TAN_THANH).expect("20335");
    assert_eq!((tan_thanh.villages, tan_thanh.villages_with_team, tan_thanh.members), (3, 2, 3));
    assert_eq!(tam_ky.children.iter().map(|r| r.villages).sum::<i64>(), tam_ky.villages);
    // A dissolved team no longer covers its village; its members are no longer active.
    teams::dissolve(&db, &Scope::All, b, store::today()).await.expect("dissolve");
    let after = dashboard::reach(&db, &Scope::All, TAN_THANH).await.expect("20335");
    assert_eq!((after.villages, after.villages_with_team, after.members, after.members_trained), (3, 1, 2, 1));
    assert!(after.children.is_empty());
    // The province, as a reader of Tam Kỳ sees it.
    let province = dashboard::reach(&db, &Scope::Paths(vec!["49/502/".into()]), "49").await.expect("49");
    assert_eq!((province.villages, province.members_trained), (4, 1));
    let all = dashboard::reach(&db, &Scope::All, "49").await.expect("49 all");
    assert_eq!((all.villages, all.villages_with_team, all.members, all.members_trained), (5, 3, 4, 2));
});

both_databases!(the_reports_behind_each_figure_agree_with_it, |db: Db| async move {
    load(&db).await;
    let now = YearMonth::of(store::today());
    let jan = month("2025-01");
    let mut tam_ky = Vec::new();
    for i in 0..7 {
        tam_ky.push(team(&db, if i % 2 == 0 { TAN_THANH } else { AN_MY }, &format!("Thôn Số {i}")).await);
    }
    team(&db, FAR, "Thôn Xa").await;
    // This month's reports are on time, January's late; one draft, one returned.
    for &t in &tam_ky[..3] {
        reports::submit(&db, &Scope::All, t, now, &[], Some(&format!("n{t}"))).await.expect("now");
    }
    for &t in &tam_ky[3..5] {
        reports::submit(&db, &Scope::All, t, jan, &[], Some(&format!("j{t}"))).await.expect("jan");
    }
    reports::save_draft(&db, &Scope::All, tam_ky[5], now, &[]).await.expect("draft");
    let back = reports::submit(&db, &Scope::All, tam_ky[6], now, &[], Some("r")).await.expect("r");
    reports::send_back(&db, &Scope::All, back.id, "Thiếu số liệu").await.expect("return");
    for m in [now, jan] {
        let figures = reports::completeness(&db, &Scope::All, "502", m).await.expect("completeness");
        let count = |w: Which| {
            let db = db.clone();
            async move { dashboard::reports_behind(&db, &Scope::All, "502", m, w, PageRequest::all()).await.expect("list") }
        };
        let received = count(Which::Received).await;
        let on_time = count(Which::OnTime).await;
        let late = count(Which::Late).await;
        let missing = count(Which::NotReported).await;
        assert_eq!(received.total, figures.received, "{m}");
        assert_eq!(i64::try_from(received.items.len()).expect("n"), received.total);
        assert_eq!(on_time.total, figures.on_time, "{m}");
        assert_eq!(late.total, figures.received - figures.on_time, "{m}");
        assert_eq!(missing.total, figures.expected - figures.received, "{m}");
        let unreported = reports::not_reported(&db, &Scope::All, "502", m).await.expect("not reported");
        let ids: Vec<i64> = missing.items.iter().map(|l| l.team_id).collect();
        assert_eq!(ids, unreported.iter().map(|t| t.team_id).collect::<Vec<_>>(), "{m}");
        assert!(received.items.iter().all(|l| l.report_id.is_some()));
        assert!(late.items.iter().all(|l| l.late) && on_time.items.iter().all(|l| !l.late));
    }
    let this = dashboard::reports_behind(&db, &Scope::All, "502", now, Which::NotReported, PageRequest::all())
        .await
        .expect("list");
    // Four not reported this month: two with nothing, the draft, the returned one.
    assert_eq!(this.total, 4);
    let statuses: Vec<Option<&str>> = this.items.iter().map(|l| l.status.as_deref()).collect();
    assert!(statuses.contains(&Some("draft")) && statuses.contains(&Some("returned")) && statuses.contains(&None));
    // Pages: 3 a page, every line once.
    let first = dashboard::reports_behind(&db, &Scope::All, "502", now, Which::NotReported, PageRequest::new(1, 3))
        .await
        .expect("page 1");
    let second = dashboard::reports_behind(&db, &Scope::All, "502", now, Which::NotReported, PageRequest::new(2, 3))
        .await
        .expect("page 2");
    assert_eq!((first.items.len(), second.items.len(), first.pages()), (3, 1, 2));
    let mut both: Vec<i64> = first.items.iter().chain(&second.items).map(|l| l.team_id).collect();
    both.sort_unstable();
    both.dedup();
    assert_eq!(both.len(), 4);
    // Within a scope: one commune's lines only.
    let one = Scope::Paths(vec!["49/502/20335/".into()]);
    let scoped =
        dashboard::reports_behind(&db, &one, "49", now, Which::Received, PageRequest::all()).await.expect("scoped");
    assert_eq!(scoped.total, 2);
    assert!(scoped.items.iter().all(|l| [tam_ky[0], tam_ky[2]].contains(&l.team_id)));
    // A submission shows at once.
    reports::submit(&db, &Scope::All, tam_ky[5], now, &[], Some("late-draft")).await.expect("submit the draft");
    let received = dashboard::reports_behind(&db, &Scope::All, "502", now, Which::Received, PageRequest::all())
        .await
        .expect("received");
    assert_eq!(received.total, 4);
    assert!(matches!(Which::parse("tre"), Err(m) if m.contains("không hợp lệ")));
    assert_eq!(Which::parse("on_time"), Ok(Which::OnTime));
});

/// The reach of a unit counted from nothing kept (every kept row dropped first).
async fn reach_from_scratch(db: &Db, code: &str) -> dashboard::Reach {
    store::testing::execute(db, "delete from reach_kept where commune_id <> $1", -1).await;
    dashboard::reach(db, &Scope::All, code).await.expect("reach")
}

both_databases!(kept_coverage_follows_every_change_and_verify_checks_it, |db: Db| async move {
    load(&db).await;
    let a = team(&db, TAN_THANH, "Thôn Một").await;
    let b = team(&db, AN_MY, "Thôn Hai").await;
    let empty = village(&db, AN_MY, "Thôn Trống").await;
    let an = member(&db, a, "Nguyễn Thị An", "0912000011").await;
    let binh = member(&db, b, "Lê Thị Bình", "0912000012").await;
    let course = training::add_course(&db, "Kỹ năng số", "Sở TT&TT", "").await.expect("course");
    let s = training::add_session(&db, course, store::today(), "Tam Kỳ", "").await.expect("s");
    training::invite(&db, &Scope::All, s, &[a, b]).await.expect("invite");
    // Each step changes the registry, then the kept figures (read warm, after the first read
    // kept them) must equal a count from nothing, and verify must find nothing.
    let mut step = 0;
    let mut check = async |what: &str| {
        step += 1;
        let warm = dashboard::reach(&db, &Scope::All, "49").await.expect("warm");
        let again = dashboard::reach(&db, &Scope::All, "49").await.expect("again");
        assert_eq!(warm, again, "step {step} ({what}): a second read changes nothing");
        assert!(reports::verify(&db).await.expect("verify").is_empty(), "step {step} ({what})");
        let scratch = reach_from_scratch(&db, "49").await;
        assert_eq!(warm, scratch, "step {step} ({what}): kept figures equal a fresh count");
        warm
    };
    let first = check("start").await;
    assert_eq!((first.villages, first.villages_with_team, first.members, first.members_trained), (3, 2, 2, 0));
    training::record(&db, &Scope::All, s, &[(an, "present".into()), (binh, "absent".into())]).await.expect("roll");
    let r = check("attendance recorded").await;
    assert_eq!(r.members_trained, 1);
    training::record(&db, &Scope::All, s, &[(binh, "present".into())]).await.expect("roll again");
    assert_eq!(check("attendance corrected").await.members_trained, 2);
    let membership = people::get(&db, &Scope::All, binh).await.expect("binh").membership_id.expect("membership");
    people::leave(&db, &Scope::All, membership, store::today()).await.expect("leave");
    let r = check("member left").await;
    assert_eq!((r.members, r.members_trained), (1, 1));
    villages::deactivate(&db, &Scope::All, empty, store::today()).await.expect("deactivate");
    assert_eq!(check("village deactivated").await.villages, 2);
    teams::dissolve(&db, &Scope::All, b, store::today()).await.expect("dissolve");
    assert_eq!(check("team dissolved").await.villages_with_team, 1);
    member(&db, a, "Trần Thị Cúc", "0912000013").await;
    assert_eq!(check("member added").await.members, 2);
    // A row counted on an earlier day holds as long as no team or membership of its commune began
    // or ended since (here it is made wrong, to see that it is trusted and that verify checks it).
    dashboard::reach(&db, &Scope::All, "49").await.expect("kept");
    store::testing::execute(
        &db,
        "update reach_kept set counted_on = '2000-01-01', counted_until = null, members = members + $1 where members > 0",
        50,
    )
    .await;
    assert_eq!(dashboard::reach(&db, &Scope::All, "49").await.expect("trusted").members, 52);
    let found = reports::verify(&db).await.expect("verify");
    assert!(found.iter().any(|m| m.what == "reach members" && m.kept == m.recounted + 50), "{found:?}");
    // Once one did (the first such day is today or before), the row is counted again.
    store::testing::execute(&db, "update reach_kept set counted_until = counted_on where members > $1", 0).await;
    assert!(reports::verify(&db).await.expect("verify").is_empty(), "rows past their span are not claimed");
    assert_eq!(dashboard::reach(&db, &Scope::All, "49").await.expect("recount").members, 2);
    // The span ends on the next day a membership ends.
    let cuc =
        people::list(&db, &Scope::All, &people::MemberFilter::default(), PageRequest::all()).await.expect("people");
    let cuc = cuc.items.iter().find(|p| p.full_name == "Trần Thị Cúc").and_then(|p| p.membership_id).expect("Cúc");
    store::testing::execute(&db, "update membership set left_on = '2999-01-01' where membership_id = $1", cuc).await;
    assert_eq!(dashboard::reach(&db, &Scope::All, "49").await.expect("after").members, 2, "still a member today");
    store::testing::execute(
        &db,
        "update reach_kept set counted_on = '2000-01-01', members = members + $1 where counted_until = '2999-01-01'",
        50,
    )
    .await;
    let found = reports::verify(&db).await.expect("verify");
    assert!(
        found.iter().any(|m| m.what == "reach members" && m.kept == m.recounted + 50),
        "held until 2999: {found:?}"
    );
    store::testing::execute(&db, "update reach_kept set members = members - $1 where counted_until = '2999-01-01'", 50)
        .await;
    // A kept row that claims today's counts but is wrong is what verify finds.
    store::testing::execute(&db, "update reach_kept set members = members + $1 where members > 0", 7).await;
    let found = reports::verify(&db).await.expect("verify");
    assert!(found.iter().any(|m| m.what == "reach members" && m.kept == m.recounted + 7), "{found:?}");
});
