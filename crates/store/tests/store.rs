//! The store's rules, each on SQLite and on PostgreSQL: what the code refuses, what the database
//! itself refuses, Vietnamese order and search, the demo province, pagination.

use domain::input::{MembershipDraft, PersonDraft, TeamDraft};
use store::coverage;
use store::people::{self, Member, MemberFilter};
use store::teams::{self, TeamFilter};
use store::testing::{Backend, TestDb};
use store::units::{self, Unit};
use store::villages::{self, VillageFilter};
use store::{Db, PageRequest, Scope, StoreError, both_databases, demo};
use time::macros::date;

const TAN_THANH: &str = "20335";
const OTHER_COMMUNE: &str = "20341";

async fn load_units(db: &Db) {
    let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
    units::load_state(db, &rows, demo::DEMO_UNITS_FROM).await.expect("load units");
}

async fn unit(db: &Db, code: &str) -> Unit {
    units::by_code(db, code).await.expect("unit")
}

async fn village(db: &Db, commune: &str, name: &str) -> i64 {
    villages::create(db, &unit(db, commune).await, name).await.expect("village")
}

fn team_input() -> domain::input::TeamInput {
    TeamDraft { name: String::new(), established_on: "01/09/2023".into(), zalo_url: String::new() }
        .parse(store::today())
        .expect("team input")
}

/// A team founded on 01/09/2023 in a new village.
async fn team(db: &Db, commune: &str, village_name: &str) -> i64 {
    let v = village(db, commune, village_name).await;
    teams::create(db, &Scope::All, v, &team_input()).await.expect("team")
}

fn person(name: &str, phone: &str, cccd: &str) -> domain::input::PersonInput {
    let gender = if name.contains(" Thị ") { "female" } else { "male" };
    PersonDraft {
        full_name: name.into(),
        gender: gender.into(),
        birth: "1985".into(),
        phone: phone.into(),
        cccd: cccd.into(),
        email: String::new(),
    }
    .parse(store::today())
    .expect("person")
}

fn joining(role: &str, position: &str, on: &str) -> domain::input::MembershipInput {
    MembershipDraft { role: role.into(), position: position.into(), joined_on: on.into() }
        .parse(store::today())
        .expect("membership")
}

async fn add(db: &Db, team: i64, name: &str, phone: &str, role: &str, position: &str) -> i64 {
    people::create_member(db, &Scope::All, team, &person(name, phone, ""), &joining(role, position, "01/10/2023"))
        .await
        .unwrap_or_else(|e| panic!("add {name}: {e}"))
}

fn conflict(r: Result<impl std::fmt::Debug, StoreError>) -> (&'static str, String) {
    match r {
        Err(StoreError::Conflict { field, message }) => (field, message),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn is_unique_violation(r: &Result<u64, sqlx::Error>) -> bool {
    matches!(r, Err(sqlx::Error::Database(e)) if e.is_unique_violation())
}

/// Runs one statement with integer parameters straight on the pool, past every check of the code.
async fn raw(db: &Db, sql: &'static str, ints: &[i64]) -> Result<u64, sqlx::Error> {
    match db {
        Db::Sqlite(p) => {
            let mut q = sqlx::query(sql);
            for i in ints {
                q = q.bind(*i);
            }
            q.execute(p).await.map(|r| r.rows_affected())
        }
        Db::Postgres(p) => {
            let mut q = sqlx::query(sql);
            for i in ints {
                q = q.bind(*i);
            }
            q.execute(p).await.map(|r| r.rows_affected())
        }
    }
}

const RAW_TEAM: &str = "insert into team (village_id, name, search_text, sort_key, established_on, status, created_at, updated_at) \
     values ($1, 'Tổ thứ hai', 'to thu hai', 'x', '2023-09-01', 'active', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')";

const RAW_MEMBERSHIP: &str = "insert into membership (person_id, team_id, role, position, joined_on, created_at, updated_at) \
     values ($1, $2, 'member', 'other', '2023-10-01', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')";

fn all_people() -> MemberFilter {
    MemberFilter { search: None, include_former: true, numbers_for: None }
}

async fn names(db: &Db, filter: &MemberFilter) -> Vec<String> {
    people::list(db, &Scope::All, filter, PageRequest::new(1, 100))
        .await
        .expect("people")
        .items
        .into_iter()
        .map(|m| m.full_name)
        .collect()
}

both_databases!(one_active_team_per_village, |db: Db| async move {
    load_units(&db).await;
    let v = village(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let first = teams::create(&db, &Scope::All, v, &team_input()).await.expect("first team");

    // The code refuses a second team, naming the village and the team it has.
    let (field, message) = conflict(teams::create(&db, &Scope::All, v, &team_input()).await);
    assert_eq!(field, "village_id");
    assert!(
        message.contains("Thôn Phú Lâm") && message.contains("Tổ công nghệ số cộng đồng Thôn Phú Lâm"),
        "{message}"
    );

    // The database refuses it too, whatever the code checks.
    let r = raw(&db, RAW_TEAM, &[v]).await;
    assert!(is_unique_violation(&r), "a second active team was stored: {r:?}");
    let page = teams::list(
        &db,
        &Scope::All,
        &TeamFilter { include_dissolved: true, ..TeamFilter::default() },
        PageRequest::default(),
    )
    .await
    .expect("teams");
    assert_eq!(page.total, 1);

    // Once the first team is dissolved, the village can found a new one.
    teams::dissolve(&db, &Scope::All, first, date!(2024 - 05 - 01)).await.expect("dissolve");
    let second = teams::create(&db, &Scope::All, v, &team_input()).await.expect("a new team after dissolving");
    assert_ne!(second, first);
    assert_eq!(villages::get(&db, &Scope::All, v).await.expect("village").team_id, Some(second));
    // And the database still allows only that one active team.
    let r = raw(&db, RAW_TEAM, &[v]).await;
    assert!(is_unique_violation(&r), "{r:?}");
});

both_databases!(a_person_is_in_one_active_team, |db: Db| async move {
    load_units(&db).await;
    let phu_lam = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let an_ha = team(&db, OTHER_COMMUNE, "Thôn An Hà").await;
    let hung = person("Nguyễn Văn Hùng", "0912 345 678", "049085001234");
    let member = joining("member", "other", "01/10/2023");
    let id = people::create_member(&db, &Scope::All, phu_lam, &hung, &member).await.expect("first membership");

    // The same CCCD in another team: refused, in Vietnamese, naming the team the person is in.
    let (_, message) = conflict(people::create_member(&db, &Scope::All, an_ha, &hung, &member).await);
    assert!(
        message.contains("Nguyễn Văn Hùng đang là thành viên của Tổ công nghệ số cộng đồng Thôn Phú Lâm"),
        "{message}"
    );
    assert!(message.contains("Phường Tân Thạnh"), "{message}");
    // Joining another team: refused the same way.
    let (field, message) = conflict(people::join(&db, &Scope::All, id, an_ha, &member).await);
    assert_eq!(field, "team_id");
    assert!(message.contains("Tổ công nghệ số cộng đồng Thôn Phú Lâm"), "{message}");
    // Nothing was saved: one person, one membership.
    assert_eq!(names(&db, &all_people()).await, ["Nguyễn Văn Hùng"]);
    assert_eq!(people::history(&db, &Scope::All, id).await.expect("history").len(), 1);

    // The database refuses a second active membership by itself.
    let r = raw(&db, RAW_MEMBERSHIP, &[id, an_ha]).await;
    assert!(is_unique_violation(&r), "a second active membership was stored: {r:?}");

    // After leaving, the person can join the other team.
    let current = people::get(&db, &Scope::All, id).await.expect("person").membership_id.expect("a membership");
    people::leave(&db, &Scope::All, current, store::today()).await.expect("leave");
    assert_eq!(people::get(&db, &Scope::All, id).await.expect("person").team_id, None);
    people::join(&db, &Scope::All, id, an_ha, &joining("member", "other", "")).await.expect("join after leaving");
    let now = people::get(&db, &Scope::All, id).await.expect("person");
    assert_eq!(now.team_id, Some(an_ha));
    let history = people::history(&db, &Scope::All, id).await.expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history.iter().filter(|m| m.left_on.is_none()).count(), 1);
});

both_databases!(a_team_has_one_leader, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    add(&db, t, "Nguyễn Văn An", "0912000001", "leader", "village_head").await;
    let member = add(&db, t, "Trần Thị Bình", "0912000002", "member", "other").await;

    let second = person("Lê Văn Cường", "0912000003", "");
    let (field, message) =
        conflict(people::create_member(&db, &Scope::All, t, &second, &joining("leader", "other", "")).await);
    assert_eq!(field, "role");
    assert!(message.contains("đã có tổ trưởng"), "{message}");

    let m = people::get(&db, &Scope::All, member).await.expect("member").membership_id.expect("membership");
    let (field, _) =
        conflict(people::update_membership(&db, &Scope::All, m, domain::Role::Leader, domain::Position::Other).await);
    assert_eq!(field, "role");
    let team = teams::get(&db, &Scope::All, t).await.expect("team");
    assert_eq!((team.members, team.leaders), (2, 1));
});

both_databases!(dissolving_a_team_ends_its_memberships_that_day, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let other = team(&db, TAN_THANH, "Thôn Mỹ Thạch").await;
    for (i, name) in ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"].into_iter().enumerate() {
        add(&db, t, name, &format!("091200000{i}"), if i == 0 { "leader" } else { "member" }, "other").await;
    }
    add(&db, other, "Phạm Văn Dũng", "0912000009", "member", "other").await;

    teams::dissolve(&db, &Scope::All, t, date!(2024 - 05 - 01)).await.expect("dissolve");
    let team = teams::get(&db, &Scope::All, t).await.expect("team");
    assert_eq!(team.status, "dissolved");
    assert_eq!(team.dissolved_on.as_deref(), Some("2024-05-01"));
    assert_eq!(team.members, 0);
    let all = people::of_team(&db, &Scope::All, t, true).await.expect("members");
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|m| m.left_on.as_deref() == Some("2024-05-01")), "{all:?}");
    assert!(people::of_team(&db, &Scope::All, t, false).await.expect("members").is_empty());
    // The other team is untouched; the former members are in no team now.
    assert_eq!(names(&db, &MemberFilter::default()).await, ["Phạm Văn Dũng"]);
    assert_eq!(teams::get(&db, &Scope::All, other).await.expect("other").members, 1);
    // A dissolved team cannot be dissolved again.
    conflict(teams::dissolve(&db, &Scope::All, t, date!(2024 - 06 - 01)).await);
});

both_databases!(dissolving_before_a_member_joined_is_refused, |db: Db| async move {
    // Founded 01/09/2023, member joined 01/10/2023: a team dissolved on 15/09/2023 would leave
    // its member leaving before joining, which `people::leave` refuses for one member.
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let id = add(&db, t, "Nguyễn Văn An", "0912000001", "leader", "other").await;
    let m = people::get(&db, &Scope::All, id).await.expect("person").membership_id.expect("membership");
    assert!(matches!(
        people::leave(&db, &Scope::All, m, date!(2023 - 09 - 15)).await,
        Err(StoreError::Invalid { field: "left_on", .. })
    ));
    let r = teams::dissolve(&db, &Scope::All, t, date!(2023 - 09 - 15)).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "dissolving before a member joined: {r:?}");
    assert_eq!(teams::get(&db, &Scope::All, t).await.expect("team").status, "active");
});

both_databases!(a_founding_date_after_a_member_joined_is_refused, |db: Db| async move {
    // `teams::update` documents: `Invalid` when the founding date falls after a member joined.
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    add(&db, t, "Nguyễn Văn An", "0912000001", "leader", "other").await;
    let later = TeamDraft { name: String::new(), established_on: "01/12/2023".into(), zalo_url: String::new() }
        .parse(store::today())
        .expect("input");
    let r = teams::update(&db, &Scope::All, t, &later).await;
    assert!(
        matches!(r, Err(StoreError::Invalid { field: "established_on", .. })),
        "founding date moved after a member joined: {r:?}"
    );
    assert_eq!(teams::get(&db, &Scope::All, t).await.expect("team").established_on, "2023-09-01");
});

both_databases!(village_names_are_unique_per_commune_ignoring_marks_and_case, |db: Db| async move {
    load_units(&db).await;
    let tan_thanh = unit(&db, TAN_THANH).await;
    let first = villages::create(&db, &tan_thanh, "Thôn Phú Lâm").await.expect("village");
    for twin in ["thon phu lam", "  THÔN   PHÚ LÂM ", "Thôn Phu Lam"] {
        let (field, message) = conflict(villages::create(&db, &tan_thanh, twin).await);
        assert_eq!(field, "name");
        assert!(message.contains("Phường Tân Thạnh"), "{message}");
    }
    // Renaming another village to the same name is refused too.
    let other = villages::create(&db, &tan_thanh, "Thôn Mỹ Thạch").await.expect("village");
    let (field, _) = conflict(villages::rename(&db, &Scope::All, other, "thôn phú lâm").await);
    assert_eq!(field, "name");
    assert_eq!(villages::get(&db, &Scope::All, other).await.expect("village").name, "Thôn Mỹ Thạch");
    // Renaming a village to its own name with other marks is allowed.
    villages::rename(&db, &Scope::All, first, "Thôn  Phú Lâm").await.expect("same village");
    // The database itself allows twins since migration 0002: a merger of communes can bring
    // two villages of one name together, and they are flagged for a person to rename or merge.
    // Another commune may have a village of that name.
    villages::create(&db, &unit(&db, OTHER_COMMUNE).await, "Thôn Phú Lâm").await.expect("other commune");
    let total =
        villages::list(&db, &Scope::All, &VillageFilter::default(), PageRequest::default()).await.expect("list");
    assert_eq!(total.total, 3);
});

both_databases!(a_village_with_an_active_team_cannot_be_deactivated, |db: Db| async move {
    load_units(&db).await;
    let v = village(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let t = teams::create(&db, &Scope::All, v, &team_input()).await.expect("team");
    let (field, message) = conflict(villages::deactivate(&db, &Scope::All, v, store::today()).await);
    assert_eq!(field, "status");
    assert!(message.contains("giải thể tổ"), "{message}");
    assert_eq!(villages::get(&db, &Scope::All, v).await.expect("village").status, "active");

    teams::dissolve(&db, &Scope::All, t, date!(2024 - 05 - 01)).await.expect("dissolve");
    villages::deactivate(&db, &Scope::All, v, date!(2024 - 06 - 01)).await.expect("deactivate");
    let village = villages::get(&db, &Scope::All, v).await.expect("village");
    assert_eq!((village.status.as_str(), village.ended_on.as_deref()), ("inactive", Some("2024-06-01")));
    // An inactive village founds no team.
    conflict(teams::create(&db, &Scope::All, v, &team_input()).await);
});

both_databases!(people_are_listed_in_vietnamese_order, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    // Stored in an order that is neither the expected one nor its reverse.
    let stored = [
        "Đỗ Thị Ân",
        "Bùi Văn Bình",
        "Phạm Đức Đạt",
        "Trần Văn An",
        "Nguyễn Văn An",
        "Võ Văn Ăn",
        "Hồ Thị Dung",
        "Lê Văn Anh",
        "Trần Thị Ánh",
        "Đặng Thị An",
    ];
    for (i, name) in stored.into_iter().enumerate() {
        add(&db, t, name, &format!("09120001{i:02}"), "member", "other").await;
    }
    // By given name (a < ă < â, d < đ, a shorter word first, tones after letters), then by the
    // whole name (Đặng < Nguyễn < Trần).
    let expected = [
        "Đặng Thị An",
        "Nguyễn Văn An",
        "Trần Văn An",
        "Lê Văn Anh",
        "Trần Thị Ánh",
        "Võ Văn Ăn",
        "Đỗ Thị Ân",
        "Bùi Văn Bình",
        "Hồ Thị Dung",
        "Phạm Đức Đạt",
    ];
    assert_eq!(names(&db, &MemberFilter::default()).await, expected);
    // A team's members (all plain members here) follow the same order.
    let of_team: Vec<String> =
        people::of_team(&db, &Scope::All, t, false).await.expect("team").into_iter().map(|m| m.full_name).collect();
    assert_eq!(of_team, expected);
});

both_databases!(search_ignores_diacritics_and_case, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    add(&db, t, "Nguyễn Văn Hùng", "0912345678", "member", "other").await;
    add(&db, t, "Nguyễn Văn Hưng", "0987654321", "member", "other").await;
    add(&db, t, "Trần Thị Hồng", "0905111222", "member", "other").await;
    let search = |q: &str| MemberFilter { search: Some(q.into()), include_former: false, numbers_for: None };

    for q in ["nguyen van hung", "NGUYEN VAN HUNG", "Nguyễn Văn Hùng", "  nguyen   van hung "] {
        assert_eq!(names(&db, &search(q)).await, ["Nguyễn Văn Hùng", "Nguyễn Văn Hưng"], "search {q:?}");
    }
    for q in ["0912 345 678", "0912.345.678", "+84 912 345 678", "345678"] {
        assert_eq!(names(&db, &search(q)).await, ["Nguyễn Văn Hùng"], "search {q:?}");
    }
    assert!(names(&db, &search("le van")).await.is_empty());

    let found = units::list(&db, &Scope::All, None, Some("tam ky")).await.expect("units");
    assert!(found.iter().any(|u| u.code == "502" && u.name == "Thành phố Tam Kỳ"), "{found:?}");
    let found =
        units::list(&db, &Scope::All, Some(domain::units::Level::District), Some("TAM KY")).await.expect("units");
    assert_eq!(found.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), ["502"]);
    // Villages and teams too.
    let page = villages::list(
        &db,
        &Scope::All,
        &VillageFilter { search: Some("phu lam".into()), ..VillageFilter::default() },
        PageRequest::default(),
    )
    .await
    .expect("villages");
    assert_eq!(page.items.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["Thôn Phú Lâm"]);
    let page = teams::list(
        &db,
        &Scope::All,
        &TeamFilter { search: Some("PHU LAM".into()), ..TeamFilter::default() },
        PageRequest::default(),
    )
    .await
    .expect("teams");
    assert_eq!(page.total, 1);
});

both_databases!(pages_of_a_long_list, |db: Db| async move {
    load_units(&db).await;
    let tan_thanh = unit(&db, TAN_THANH).await;
    for i in (1..=25).rev() {
        villages::create(&db, &tan_thanh, &format!("Thôn {i:02}")).await.expect("village");
    }
    let page =
        villages::list(&db, &Scope::All, &VillageFilter::default(), PageRequest::new(2, 10)).await.expect("page");
    assert_eq!(page.total, 25);
    assert_eq!((page.page, page.per_page, page.pages()), (2, 10, 3));
    let expected: Vec<String> = (11..=20).map(|i| format!("Thôn {i:02}")).collect();
    assert_eq!(page.items.iter().map(|v| v.name.clone()).collect::<Vec<_>>(), expected);
    let last =
        villages::list(&db, &Scope::All, &VillageFilter::default(), PageRequest::new(3, 10)).await.expect("page");
    assert_eq!(last.items.len(), 5);
    assert_eq!(last.items[4].name, "Thôn 25");
    let beyond =
        villages::list(&db, &Scope::All, &VillageFilter::default(), PageRequest::new(4, 10)).await.expect("page");
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 25);
    // Out-of-range requests are brought back into range.
    assert_eq!(PageRequest::new(0, 0), PageRequest::new(1, 1));
    assert_eq!(PageRequest::new(1, 10_000).per_page, PageRequest::MAX_PER_PAGE);
});

both_databases!(the_demo_is_refused_on_a_database_that_holds_units, |db: Db| async move {
    load_units(&db).await;
    let (field, message) = conflict(demo::load(&db, &|_, _, _| {}).await);
    assert_eq!(field, "db");
    assert!(message.contains("trống"), "{message}");
    let page =
        villages::list(&db, &Scope::All, &VillageFilter::default(), PageRequest::default()).await.expect("villages");
    assert_eq!(page.total, 0);
    assert_eq!(db.setting("demo").await.expect("setting"), None);
});

/// The first `n` members in list order: id, name, phone, team.
async fn first_members(db: &Db, n: i64) -> Vec<(i64, String, String, Option<String>)> {
    let page = people::list(db, &Scope::All, &MemberFilter::default(), PageRequest::new(1, n)).await.expect("members");
    assert_eq!(page.items.len(), usize::try_from(n).expect("n"));
    page.items.into_iter().map(|m: Member| (m.id, m.full_name, m.phone, m.team)).collect()
}

both_databases!(the_demo_province, |db: Db| async move {
    let counts = demo::load(&db, &|_, _, _| {}).await.expect("demo");
    assert_eq!((counts.units, counts.villages, counts.teams), (260, 1_240, 1_218));
    assert!(counts.members > 7_000, "{counts:?}");
    // Today the demo lies in Đà Nẵng (48): 94 communes, no district.
    assert_eq!(units::list(&db, &Scope::All, None, None).await.expect("units").len(), 95);

    // As of the report's day (28/08/2024), on that day's units: Quảng Nam's 18 districts.
    let report_day = date!(2024 - 08 - 28);
    let province = units::by_code_at(&db, "49", report_day).await.expect("49 in 2024");
    let cov = coverage::at(&db, &Scope::All, &province, report_day, report_day).await.expect("coverage");
    assert_eq!(cov.children.len(), 18);
    assert_eq!((cov.villages, cov.villages_with_team, cov.teams), (1_240, 1_218, 1_218));
    assert_eq!(cov.members, i64::try_from(counts.members).expect("members"));
    assert_eq!(
        (cov.teams_under_5_members, cov.teams_without_commune_official, cov.teams_without_leader),
        (0, 0, 0),
        "every demo team is healthy"
    );
    let sum = |f: fn(&coverage::Coverage) -> i64| cov.children.iter().map(f).sum::<i64>();
    assert_eq!(sum(|c| c.villages), cov.villages);
    assert_eq!(sum(|c| c.villages_with_team), cov.villages_with_team);
    assert_eq!(sum(|c| c.teams), cov.teams);
    assert_eq!(sum(|c| c.members), cov.members);
    let tam_ky = cov.children.iter().find(|c| c.unit.as_ref().is_some_and(|u| u.code == "502")).expect("Tam Kỳ");
    assert_eq!(tam_ky.teams, 85);
    // Today, the same figures under Đà Nẵng.
    let today = coverage::of_unit(&db, &Scope::All, &unit(&db, "48").await).await.expect("today");
    assert_eq!((today.villages, today.teams, today.members), (cov.villages, cov.teams, cov.members));

    let all = teams::list(&db, &Scope::All, &TeamFilter::default(), PageRequest::all()).await.expect("teams");
    assert_eq!(all.total, 1_218);
    for t in &all.items {
        assert!((5..=8).contains(&t.members), "{} has {} members", t.name, t.members);
        assert_eq!(t.leaders, 1, "{} leaders in {}", t.leaders, t.name);
        assert!(t.commune_officials >= 1, "{} has no commune official", t.name);
    }
    let members = people::list(&db, &Scope::All, &MemberFilter::default(), PageRequest::new(1, 1)).await.expect("m");
    assert_eq!(members.total, cov.members);

    // A second load is refused and adds nothing.
    let (field, _) = conflict(demo::load(&db, &|_, _, _| {}).await);
    assert_eq!(field, "db");
    assert_eq!(units::list(&db, &Scope::All, None, None).await.expect("units").len(), 95);

    // Pages of the member list are slices of one order.
    let first = first_members(&db, 20).await;
    let second_page =
        people::list(&db, &Scope::All, &MemberFilter::default(), PageRequest::new(2, 10)).await.expect("page 2");
    assert_eq!(
        second_page.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        first[10..].iter().map(|m| m.0).collect::<Vec<_>>()
    );

    // Deterministic: a second fresh database of the same backend holds the same people.
    let backend = match &db {
        Db::Sqlite(_) => Backend::Sqlite,
        Db::Postgres(_) => Backend::Postgres,
    };
    let again = TestDb::new(backend).await.expect("a second database of the same backend");
    demo::load(&again.db, &|_, _, _| {}).await.expect("demo again");
    assert_eq!(first_members(&again.db, 20).await, first);
});

/// The demo gives the same people, in the same order, on SQLite and on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_the_same_on_both_databases() {
    let Some(pg) = TestDb::new(Backend::Postgres).await else {
        eprintln!("\n*** SKIPPED: the_demo_is_the_same_on_both_databases needs PostgreSQL ***\n");
        return;
    };
    let lite = TestDb::new(Backend::Sqlite).await.expect("SQLite");
    demo::load(&lite.db, &|_, _, _| {}).await.expect("demo on SQLite");
    demo::load(&pg.db, &|_, _, _| {}).await.expect("demo on PostgreSQL");
    let strip = |v: Vec<(i64, String, String, Option<String>)>| {
        v.into_iter().map(|(_, name, phone, team)| (name, phone, team)).collect::<Vec<_>>()
    };
    let on_sqlite = strip(first_members(&lite.db, 50).await);
    let on_postgres = strip(first_members(&pg.db, 50).await);
    assert_eq!(on_sqlite, on_postgres);
    // The demo's year of reports is the same too: the same teams missed the same months.
    let last = domain::funding::YearMonth::of(store::today().replace_day(1).expect("first") - time::Duration::days(1));
    let first = domain::funding::YearMonth::of(last.first_day() - time::Duration::days(300));
    for db in [&lite.db, &pg.db] {
        assert!(store::reports::verify(db).await.expect("verify").is_empty());
    }
    let figures = |db: &Db| {
        let db = db.clone();
        async move {
            let c = store::reports::completeness(&db, &Scope::All, "48", last).await.expect("completeness");
            let t = store::reports::indicator_totals(&db, &Scope::All, "48", first, last).await.expect("totals");
            let missing = store::reports::not_reported(&db, &Scope::All, "48", last).await.expect("missing");
            (c, t, missing.into_iter().map(|t| (t.team, t.village, t.commune)).collect::<Vec<_>>())
        }
    };
    let (on_sqlite, on_postgres) = (figures(&lite.db).await, figures(&pg.db).await);
    assert!(on_sqlite.0.received > 0 && !on_sqlite.2.is_empty());
    assert_eq!(on_sqlite, on_postgres);
}

// --- Reorganisations (issue B) ---

async fn apply_shipped(db: &Db, index: usize) -> store::reorg::ApplyReport {
    let (day, source, changes, state) = store::reorg::SHIPPED[index];
    let day = store::parse_iso(day).expect("day");
    store::reorg::apply_files(db, changes, state, day, source, false).await.expect("apply")
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    let (n,): (i64,) = match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await.expect("count"),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await.expect("count"),
    };
    n
}

async fn coverage_on(db: &Db, code: &str, day: time::Date) -> coverage::Coverage {
    let unit = units::by_code_at(db, code, day).await.expect("unit on that day");
    coverage::at(db, &Scope::All, &unit, day, day).await.expect("coverage")
}

both_databases!(the_2025_reorganisations_keep_every_village_and_team, |db: Db| async move {
    demo::load_registry(&db, &|_, _, _| {}).await.expect("demo as of 2024");
    // A village of Phước Hòa (20338), merged into An Xuân (20347) on 01/01/2025.
    let phuoc_hoa = unit(&db, "20338").await;
    let moved = villages::list(&db, &Scope::All.narrow(&phuoc_hoa.path), &VillageFilter::default(), PageRequest::all())
        .await
        .expect("villages")
        .items;
    assert!(!moved.is_empty(), "the demo gives every commune villages");

    // A dry run lists the changes and writes nothing.
    let (day, source, changes, state) = store::reorg::SHIPPED[0];
    let dry = store::reorg::apply_files(&db, changes, state, store::parse_iso(day).expect("day"), source, true)
        .await
        .expect("dry run");
    assert!(dry.dry_run && !dry.already_applied);
    assert!(dry.changes.iter().any(|l| l == "Sáp nhập: 519 Huyện Nông Sơn → 509 Huyện Quế Sơn"), "{:?}", dry.changes);
    assert_eq!(count(&db, "select count(*) from unit_change_set").await, 0);
    assert_eq!(count(&db, "select count(*) from unit").await, 260);

    let jan = apply_shipped(&db, 0).await;
    assert!(!jan.already_applied);
    assert_eq!(count(&db, "select count(*) from unit where valid_to is null").await, 251, "1 + 17 + 233");
    // Applying the same files again changes nothing.
    let units_after_jan = count(&db, "select count(*) from unit").await;
    let again = apply_shipped(&db, 0).await;
    assert!(again.already_applied);
    assert_eq!(count(&db, "select count(*) from unit").await, units_after_jan);

    let jul = apply_shipped(&db, 1).await;
    assert!(!jul.already_applied);
    assert_eq!(jul.villages_moved, 1240);
    assert_eq!(count(&db, "select count(*) from unit where valid_to is null").await, 95, "Đà Nẵng and its 94 communes");
    let once_more = apply_shipped(&db, 1).await;
    assert!(once_more.already_applied);

    // As of the report's day, on its boundaries: the seed's figures.
    let aug = coverage_on(&db, "49", date!(2024 - 08 - 28)).await;
    assert_eq!((aug.children.len(), aug.villages, aug.teams), (18, 1240, 1218));
    let dec = coverage_on(&db, "49", date!(2024 - 12 - 31)).await;
    assert_eq!(dec.children.len(), 18);
    // Both sides of each change day.
    assert_eq!(coverage_on(&db, "49", date!(2025 - 01 - 01)).await.children.len(), 17, "Nông Sơn ends on 01/01/2025");
    assert_eq!(coverage_on(&db, "48", date!(2025 - 07 - 01)).await.teams, 1218, "Đà Nẵng holds them from 01/07/2025");
    let mar = coverage_on(&db, "49", date!(2025 - 03 - 01)).await;
    assert_eq!((mar.children.len(), mar.villages, mar.teams), (17, 1240, 1218));
    let jun = coverage_on(&db, "49", date!(2025 - 06 - 30)).await;
    assert_eq!(jun.children.len(), 17);
    assert!(units::by_code_at(&db, "49", date!(2025 - 07 - 01)).await.is_err(), "Quảng Nam ends on 01/07/2025");
    let today = coverage_on(&db, "48", store::today()).await;
    assert_eq!((today.villages, today.villages_with_team, today.teams), (1240, 1218, 1218));
    assert_eq!(today.members, aug.members, "members are counted the same before and after");
    assert_eq!(today.children.len(), 94);
    assert_eq!(
        today.children.iter().filter(|c| c.villages > 0).count(),
        78,
        "the 78 communes that came from Quảng Nam"
    );
    // The report's day counted on today's units.
    let whole = units::by_code(&db, "48").await.expect("48");
    let then_on_today =
        coverage::at(&db, &Scope::All, &whole, store::today(), date!(2024 - 08 - 28)).await.expect("cov");
    assert_eq!((then_on_today.villages, then_on_today.teams), (1240, 1218));

    // Links: who succeeded whom, of each kind.
    let kinds = |pred: &'static str, succ: &'static str| {
        let db = db.clone();
        async move {
            let sql = "select l.kind from unit_link l join unit p on p.unit_id = l.predecessor_id \
                       join unit s on s.unit_id = l.successor_id where p.code = $1 and s.code = $2";
            let rows: Vec<(String,)> = match &db {
                Db::Sqlite(p) => sqlx::query_as(sql).bind(pred).bind(succ).fetch_all(p).await.expect("links"),
                Db::Postgres(p) => sqlx::query_as(sql).bind(pred).bind(succ).fetch_all(p).await.expect("links"),
            };
            rows.into_iter().map(|(k,)| k).collect::<Vec<_>>()
        }
    };
    assert_eq!(kinds("519", "509").await, vec!["merge"]);
    assert_eq!(kinds("20338", "20347").await, vec!["merge"]);
    // Trung Phước moves to Quế Sơn in January (and is renamed with a new parent in July).
    assert!(kinds("20656", "20656").await.contains(&"move".to_owned()));
    assert!(kinds("20758", "20758").await.contains(&"rename".to_owned()), "Hiệp Hòa becomes Quế Tân");
    assert_eq!(kinds("502", "48").await, vec!["end_level"]);
    assert_eq!(kinds("49", "48").await, vec!["merge"]);
    // Created: Đà Nẵng's own communes, new to this registry, begin on 01/07/2025 from nothing.
    let hai_van = unit(&db, "20194").await;
    assert_eq!((hai_van.name.as_str(), hai_van.valid_from.as_str()), ("Phường Hải Vân", "2025-07-01"));
    let (preds, _) = store::reorg::links_of(&db, hai_van.unit_id).await.expect("links");
    assert!(preds.is_empty());

    // Villages followed their commune, and their teams followed them.
    let successors = store::reorg::current_successors(&db, phuoc_hoa.unit_id).await.expect("successors");
    assert_eq!(successors.len(), 1);
    let target = &successors[0];
    assert_eq!(target.level, "commune");
    assert!(target.path.starts_with("48/"));
    for v in &moved {
        let now = villages::get(&db, &Scope::All, v.id).await.expect("village");
        assert_eq!(now.commune_code, target.code, "{} followed its commune", v.name);
        if let Some(team_id) = v.team_id {
            let t = teams::get(&db, &Scope::All, team_id).await.expect("team");
            assert_eq!(t.commune_code, target.code);
        }
    }
    // An old code's history: Phước Hòa is found on its own day, not today.
    assert_eq!(units::by_code_at(&db, "20338", date!(2024 - 08 - 28)).await.expect("then").name, "Phường Phước Hòa");
    assert!(units::by_code(&db, "20338").await.is_err());
    let (preds, succs) = store::reorg::links_of(&db, target.unit_id).await.expect("links");
    assert!(succs.is_empty() && !preds.is_empty());
});

both_databases!(a_change_set_that_does_not_fit_is_refused_whole, |db: Db| async move {
    load_units(&db).await;
    let (_, _, changes, state) = store::reorg::SHIPPED[1];
    // The July files do not fit the 2023 state (8 communes merged on 01/01/2025 are missing).
    let e = store::reorg::apply_files(&db, changes, state, date!(2025 - 07 - 01), "test", false).await;
    match e {
        Err(StoreError::Invalid { message, .. }) => {
            assert!(message.contains("không có trong tệp chuyển đổi"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(count(&db, "select count(*) from unit_change_set").await, 0);
    assert_eq!(count(&db, "select count(*) from unit where valid_to is not null").await, 0, "nothing ended");
    // A later change applied first: an earlier one is refused.
    let (_, _, c0, s0) = store::reorg::SHIPPED[0];
    store::reorg::apply_files(&db, c0, s0, date!(2025 - 01 - 01), "test", false).await.expect("january");
    store::reorg::apply_files(&db, changes, state, date!(2025 - 07 - 01), "test", false).await.expect("july");
    let early = store::reorg::apply_files(&db, c0, s0, date!(2024 - 06 - 01), "test", false).await;
    assert!(matches!(early, Err(StoreError::Conflict { .. })), "{early:?}");
});

both_databases!(villages_of_one_name_meeting_in_a_commune_are_flagged, |db: Db| async move {
    load_units(&db).await;
    // Phước Hòa (20338) merges into An Xuân (20347) on 01/01/2025: give both a "Khối phố 1".
    village(&db, "20338", "Khối phố 1").await;
    village(&db, "20347", "Khối phố 1").await;
    village(&db, "20347", "Khối phố 2").await;
    let r = apply_shipped(&db, 0).await;
    assert_eq!(r.villages_flagged, 2);
    let an_xuan = unit(&db, "20347").await;
    let list = villages::list(&db, &Scope::All.narrow(&an_xuan.path), &VillageFilter::default(), PageRequest::all())
        .await
        .expect("list")
        .items;
    assert_eq!(list.len(), 3, "both villages kept");
    let notes = count(&db, "select count(*) from village where review_note is not null").await;
    assert_eq!(notes, 2);
});

both_databases!(merging_villages_merges_their_teams_and_keeps_both_histories, |db: Db| async move {
    load_units(&db).await;
    let a_team = team(&db, TAN_THANH, "Khối phố 3").await;
    let b_team = team(&db, TAN_THANH, "Khối phố 4").await;
    let a = teams::get(&db, &Scope::All, a_team).await.expect("a").village_id;
    let b = teams::get(&db, &Scope::All, b_team).await.expect("b").village_id;
    people::create_member(
        &db,
        &Scope::All,
        a_team,
        &person("Nguyễn Văn An", "0912000001", ""),
        &joining("leader", "commune_official", "01/10/2023"),
    )
    .await
    .expect("a leader");
    people::create_member(
        &db,
        &Scope::All,
        a_team,
        &person("Trần Thị Bình", "0912000002", ""),
        &joining("member", "women_union", "01/10/2023"),
    )
    .await
    .expect("a member");
    people::create_member(
        &db,
        &Scope::All,
        b_team,
        &person("Lê Văn Cường", "0912000003", ""),
        &joining("leader", "party_secretary", "01/10/2023"),
    )
    .await
    .expect("b leader");
    // Refusals first: itself, another commune, a day before a member joined.
    assert!(matches!(
        villages::merge(&db, &Scope::All, a, a, date!(2024 - 06 - 01)).await,
        Err(StoreError::Invalid { .. })
    ));
    let elsewhere = village(&db, OTHER_COMMUNE, "Thôn Khác").await;
    assert!(matches!(
        villages::merge(&db, &Scope::All, a, elsewhere, date!(2024 - 06 - 01)).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        villages::merge(&db, &Scope::All, a, b, date!(2023 - 09 - 15)).await,
        Err(StoreError::Invalid { .. })
    ));

    let r = villages::merge(&db, &Scope::All, a, b, date!(2024 - 06 - 01)).await.expect("merge");
    assert_eq!((r.members_moved, r.surviving_team, r.dissolved_team), (2, Some(b_team), Some(a_team)));
    let gone = villages::get(&db, &Scope::All, a).await.expect("absorbed village stays readable");
    assert_eq!((gone.status.as_str(), gone.merged_into_id), ("inactive", Some(b)));
    let old = teams::get(&db, &Scope::All, a_team).await.expect("old team");
    assert_eq!((old.status.as_str(), old.dissolved_on.as_deref()), ("dissolved", Some("2024-06-01")));
    let survivor = people::of_team(&db, &Scope::All, b_team, false).await.expect("members");
    assert_eq!(survivor.len(), 3, "members combined");
    assert_eq!(
        survivor.iter().filter(|m| m.role == "leader").count(),
        1,
        "one leader: the absorbed leader joins as a member"
    );
    let history = people::of_team(&db, &Scope::All, a_team, true).await.expect("old members");
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|m| m.left_on.as_deref() == Some("2024-06-01")), "the old team's history is kept");
    // As of before the merge, two villages and two teams; after, one and one.
    let commune = unit(&db, TAN_THANH).await;
    let before =
        coverage::at(&db, &Scope::All, &commune, date!(2024 - 05 - 31), date!(2024 - 05 - 31)).await.expect("before");
    let after =
        coverage::at(&db, &Scope::All, &commune, date!(2024 - 06 - 01), date!(2024 - 06 - 01)).await.expect("after");
    assert_eq!((before.villages, before.teams, before.members), (2, 2, 3));
    assert_eq!((after.villages, after.teams, after.members), (1, 1, 3));
});

both_databases!(renaming_a_flagged_village_clears_the_flag_of_both, |db: Db| async move {
    load_units(&db).await;
    village(&db, "20338", "Khối phố 1").await;
    let kept = village(&db, "20347", "Khối phố 1").await;
    apply_shipped(&db, 0).await;
    assert_eq!(count(&db, "select count(*) from village where review_note is not null").await, 2);
    villages::rename(&db, &Scope::All, kept, "Khối phố 1A").await.expect("rename");
    assert_eq!(count(&db, "select count(*) from village where review_note is not null").await, 0);
});

both_databases!(splitting_a_commune_sends_each_village_where_the_file_says, |db: Db| async move {
    load_units(&db).await;
    let north_team = team(&db, TAN_THANH, "Khối phố Bắc").await;
    village(&db, TAN_THANH, "Khối phố Nam").await;
    // The 2023 state with Tân Thạnh split in two.
    let state: String = domain::units::QUANG_NAM_2023
        .lines()
        .filter(|l| !l.starts_with("20335,"))
        .chain(["99001,Phường Tân Thạnh Bắc,commune,502", "99002,Phường Tân Thạnh Nam,commune,502"])
        .collect::<Vec<_>>()
        .join("\n");
    let changes = "old_code,old_name,new_code,new_name\n20335,Phường Tân Thạnh,99001,Phường Tân Thạnh Bắc\n\
                   20335,Phường Tân Thạnh,99002,Phường Tân Thạnh Nam\n";
    let day = date!(2025 - 01 - 01);
    let apply = |villages: Option<&'static str>| {
        let (db, state) = (db.clone(), state.clone());
        async move { store::reorg::apply_with_villages(&db, changes, &state, villages, day, "test", false).await }
    };
    // Without a villages file, or with a village left out: refused, nothing written.
    assert!(matches!(apply(None).await, Err(StoreError::Invalid { field: "villages", .. })));
    let half = apply(Some("old_code,village,new_code\n20335,Khối phố Bắc,99001\n")).await;
    match half {
        Err(StoreError::Invalid { message, .. }) => assert!(message.contains("Khối phố Nam"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(count(&db, "select count(*) from unit_change_set").await, 0);
    let files = "old_code,village,new_code\n20335,khoi pho bac,99001\n20335,Khối phố Nam,99002\n";
    let r = apply(Some(files)).await.expect("split");
    assert_eq!(r.villages_moved, 2);
    let north = unit(&db, "99001").await;
    let t = teams::get(&db, &Scope::All, north_team).await.expect("team");
    assert_eq!(t.commune_code, "99001", "the team followed its village to the northern part");
    let kinds = {
        let sql = "select l.kind from unit_link l join unit s on s.unit_id = l.successor_id where s.code in ('99001', '99002')";
        let rows: Vec<(String,)> = match &db {
            Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.expect("links"),
            Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.expect("links"),
        };
        rows
    };
    assert_eq!(kinds.len(), 2);
    assert!(kinds.iter().all(|(k,)| k == "split"));
    let before = coverage_on(&db, TAN_THANH, date!(2024 - 12 - 31)).await;
    assert_eq!((before.villages, before.teams), (2, 1));
    let after = coverage::at(&db, &Scope::All, &north, day, day).await.expect("after");
    assert_eq!((after.villages, after.teams), (1, 1));
    assert!(apply(Some(files)).await.expect("again").already_applied);
});

both_databases!(a_former_member_rejoins_by_cccd_and_keeps_one_history, |db: Db| async move {
    load_units(&db).await;
    let first = team(&db, TAN_THANH, "Khối phố 11").await;
    let second = team(&db, OTHER_COMMUNE, "Khối phố 12").await;
    let hung = person("Nguyễn Văn Hùng", "0912000301", "049085000123");
    let id = people::create_member(&db, &Scope::All, first, &hung, &joining("member", "other", "01/10/2023"))
        .await
        .expect("first");
    let m = people::of_team(&db, &Scope::All, first, false).await.expect("members")[0].membership_id;
    people::leave(&db, &Scope::All, m, date!(2024 - 01 - 31)).await.expect("leave");
    // The same CCCD and name in another team: the same person joins again.
    let again = people::create_member(&db, &Scope::All, second, &hung, &joining("member", "other", "01/02/2024"))
        .await
        .expect("rejoin");
    assert_eq!(again, id);
    assert_eq!(people::history(&db, &Scope::All, id).await.expect("history").len(), 2);
    // While he is in a team, his CCCD in a third team is refused, naming that team.
    let third = team(&db, TAN_THANH, "Khối phố 14").await;
    let (field, message) = conflict(
        people::create_member(&db, &Scope::All, third, &hung, &joining("member", "other", "01/03/2024")).await,
    );
    assert_eq!(field, "team_id");
    assert!(message.contains("Khối phố 12"), "{message}");
    // Out of any team, the same CCCD under another name is refused.
    let m = people::of_team(&db, &Scope::All, second, false).await.expect("members")[0].membership_id;
    people::leave(&db, &Scope::All, m, date!(2024 - 03 - 31)).await.expect("leave");
    let other = person("Trần Văn Khác", "0912000302", "049085000123");
    let third = team(&db, TAN_THANH, "Khối phố 13").await;
    let (field, _) = conflict(
        people::create_member(&db, &Scope::All, third, &other, &joining("member", "other", "01/02/2024")).await,
    );
    assert_eq!(field, "cccd");
});

// --- The audit trail (issue C, point 7) ---

async fn audit_rows(db: &Db) -> Vec<store::audit::Recorded> {
    store::audit::list(
        db,
        &store::audit::Filter { scope: Scope::All, ..store::audit::Filter::default() },
        PageRequest::all(),
    )
    .await
    .expect("audit")
    .items
}

both_databases!(every_write_is_in_the_audit_trail_in_its_own_transaction, |db: Db| async move {
    load_units(&db).await;
    let before = audit_rows(&db).await.len();
    assert_eq!(before, 1, "loading units is one event");
    let actor = store::audit::Actor { login: "canbo".into(), channel: "web", address: Some("10.1.2.3".into()) };
    let v = store::audit::acting_as(actor, village(&db, TAN_THANH, "Thôn Mới")).await;
    let rows = audit_rows(&db).await;
    let e = &rows[0];
    assert_eq!((e.actor.as_str(), e.channel.as_str(), e.address.as_deref()), ("canbo", "web", Some("10.1.2.3")));
    assert_eq!((e.entity.as_str(), e.entity_id, e.action.as_str()), ("village", Some(v), "create"));
    assert!(e.after_json.as_deref().is_some_and(|a| a.contains("Thôn Mới")));
    assert!(e.unit_path.as_deref().is_some_and(|p| p.ends_with("20335/")));
    // A rename keeps the value before and after.
    villages::rename(&db, &Scope::All, v, "Thôn Mới Hơn").await.expect("rename");
    let e = &audit_rows(&db).await[0];
    assert_eq!(e.actor, "system", "a write outside any actor is the system's");
    assert!(e.before_json.as_deref().is_some_and(|b| b.contains("Thôn Mới\"")));
    assert!(e.after_json.as_deref().is_some_and(|a| a.contains("Thôn Mới Hơn")));
    // A refused write leaves no trace.
    let n = audit_rows(&db).await.len();
    assert!(villages::create(&db, &unit(&db, TAN_THANH).await, "thon moi hon").await.is_err());
    assert_eq!(audit_rows(&db).await.len(), n);
    // The trail is append-only: the database itself refuses to change or delete it.
    for sql in ["update audit_event set actor = 'ai do'", "delete from audit_event"] {
        let r = match &db {
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        };
        assert!(r.is_err(), "{sql} was allowed");
    }
    assert_eq!(audit_rows(&db).await.len(), n);
    // Filters: by actor, entity and unit.
    let f = store::audit::Filter { actor: Some("canbo".into()), scope: Scope::All, ..Default::default() };
    assert_eq!(store::audit::list(&db, &f, PageRequest::all()).await.expect("f").total, 1);
    let f = store::audit::Filter {
        unit_path: Some("49/502/".into()),
        entity: Some("village".into()),
        scope: Scope::All,
        ..Default::default()
    };
    assert_eq!(store::audit::list(&db, &f, PageRequest::all()).await.expect("f").total, 2);
    let f = store::audit::Filter { unit_path: Some("49/503/".into()), scope: Scope::All, ..Default::default() };
    assert_eq!(store::audit::list(&db, &f, PageRequest::all()).await.expect("f").total, 0);
});

both_databases!(sessions_expire_when_idle_and_can_all_be_ended, |db: Db| async move {
    let hash = store::users::hash_password("mot-mat-khau-dai-hon").expect("hash");
    let id = store::users::add(&db, "nguoi.dung", "Người dùng", &hash, &[]).await.expect("user");
    let a = store::users::open_session(&db, id).await.expect("session a");
    let b = store::users::open_session(&db, id).await.expect("session b");
    assert!(store::users::session(&db, &a).await.expect("a").is_some());
    // Idle past its expiry: gone.
    let sql = "update user_session set expires_at = '2000-01-01T00:00:00Z' where user_id = $1";
    match &db {
        Db::Sqlite(p) => sqlx::query(sql).bind(id).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql).bind(id).execute(p).await.map(|_| ()),
    }
    .expect("age the sessions");
    assert!(store::users::session(&db, &a).await.expect("a").is_none());
    assert!(store::users::session(&db, &b).await.expect("b").is_none());
    // Log out everywhere ends every live session.
    let c = store::users::open_session(&db, id).await.expect("session c");
    let d = store::users::open_session(&db, id).await.expect("session d");
    assert!(store::users::close_all_sessions(&db, id).await.expect("close") >= 2);
    assert!(store::users::session(&db, &c).await.expect("c").is_none());
    assert!(store::users::session(&db, &d).await.expect("d").is_none());
    // Common and one-character passwords are refused whatever their length.
    assert!(store::users::check_password("Password123").is_err());
    assert!(store::users::check_password("aaaaaaaaaaaa").is_err());
    assert!(store::users::check_password("mot cau dai de nho").is_ok());
});

// --- Grants and access (issue C, points 1-3) ---

use domain::UserRole;
use store::access::{self, Access, Target};

/// Users in these tests never log in: any text stands for their password hash.
const NO_PASSWORD: &str = "$argon2id$không-dùng-để-đăng-nhập";

fn on(code: &str) -> Target {
    Target::Unit(code.into())
}

async fn grant_of(db: &Db, role: UserRole, target: &Target) -> access::NewGrant {
    access::resolve(db, role, target).await.unwrap_or_else(|e| panic!("{role:?} on {target:?}: {e}"))
}

/// A user holding these grants, added in one go; returns their id.
async fn user_with(db: &Db, login: &str, grants: &[(UserRole, Target)]) -> i64 {
    let mut resolved = Vec::new();
    for (role, target) in grants {
        resolved.push(grant_of(db, *role, target).await);
    }
    store::users::add(db, login, login, NO_PASSWORD, &resolved).await.unwrap_or_else(|e| panic!("add {login}: {e}"))
}

async fn access_for(db: &Db, user_id: i64) -> Access {
    access::access_of(db, user_id).await.expect("access")
}

async fn grants_of(db: &Db, user_id: i64) -> Vec<access::Grant> {
    access::of_user(db, user_id).await.expect("grants")
}

/// The grant trail, newest first.
async fn grant_events(db: &Db) -> Vec<store::audit::Recorded> {
    let f = store::audit::Filter { entity: Some("grant".into()), scope: Scope::All, ..Default::default() };
    store::audit::list(db, &f, PageRequest::all()).await.expect("audit").items
}

fn only_scope(path: &str) -> Scope {
    Scope::Paths(vec![path.to_owned()])
}

both_databases!(a_grant_fits_its_role, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let tan_thanh = unit(&db, TAN_THANH).await;

    // A team leader is granted a team, and covers its commune; nothing else.
    let leader = grant_of(&db, UserRole::TeamLeader, &Target::Team(t)).await;
    assert_eq!((leader.unit_id, leader.team_id), (None, Some(t)));
    assert_eq!(leader.path.as_deref(), Some(tan_thanh.path.as_str()));
    assert!(leader.label.contains("Thôn Phú Lâm"), "{}", leader.label);
    for target in [on(TAN_THANH), Target::Everything] {
        let r = access::resolve(&db, UserRole::TeamLeader, &target).await;
        assert!(matches!(r, Err(StoreError::Invalid { field: "team", .. })), "team leader on {target:?}: {r:?}");
    }

    // A commune officer: a commune, not a district nor the whole country.
    let officer = grant_of(&db, UserRole::CommuneOfficer, &on(TAN_THANH)).await;
    assert_eq!((officer.unit_id, officer.team_id), (Some(tan_thanh.unit_id), None));
    assert_eq!(officer.path.as_deref(), Some("49/502/20335/"));
    match access::resolve(&db, UserRole::CommuneOfficer, &on("502")).await {
        Err(StoreError::Invalid { field: "unit", message }) => assert!(message.contains("502"), "{message}"),
        other => panic!("a commune officer on a district: {other:?}"),
    }
    let r = access::resolve(&db, UserRole::CommuneOfficer, &on("49")).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "a commune officer on a province: {r:?}");
    let r = access::resolve(&db, UserRole::CommuneOfficer, &Target::Everything).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "a commune officer on the country: {r:?}");

    // Everyone else: a unit of any level, or the whole country; never a team.
    for role in [UserRole::ProvinceAdmin, UserRole::ProvinceOfficer, UserRole::FinanceApprover, UserRole::Viewer] {
        for code in ["49", "502", TAN_THANH] {
            let g = grant_of(&db, role, &on(code)).await;
            let u = unit(&db, code).await;
            assert_eq!((g.unit_id, g.team_id, g.path.as_deref()), (Some(u.unit_id), None, Some(u.path.as_str())));
        }
        let g = grant_of(&db, role, &Target::Everything).await;
        assert_eq!((g.unit_id, g.team_id, g.path), (None, None, None));
        let r = access::resolve(&db, role, &Target::Team(t)).await;
        assert!(matches!(r, Err(StoreError::Invalid { field: "team", .. })), "{role:?} on a team: {r:?}");
    }

    // What does not exist: an unknown unit code, an unknown team.
    for role in UserRole::ALL.into_iter().filter(|r| *r != UserRole::TeamLeader) {
        let r = access::resolve(&db, role, &on("99999")).await;
        assert!(matches!(r, Err(StoreError::NotFound(_))), "{role:?} on an unknown unit: {r:?}");
    }
    let r = access::resolve(&db, UserRole::TeamLeader, &Target::Team(999_999)).await;
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");

    // A dissolved team leads nobody.
    teams::dissolve(&db, &Scope::All, t, date!(2024 - 05 - 01)).await.expect("dissolve");
    let r = access::resolve(&db, UserRole::TeamLeader, &Target::Team(t)).await;
    assert!(matches!(r, Err(StoreError::Invalid { .. } | StoreError::NotFound(_))), "a dissolved team: {r:?}");

    // A unit that has ended is no longer granted; its successor is.
    apply_shipped(&db, 0).await;
    let r = access::resolve(&db, UserRole::Viewer, &on("20338")).await;
    assert!(matches!(r, Err(StoreError::NotFound(_))), "Phước Hòa ended on 01/01/2025: {r:?}");
    grant_of(&db, UserRole::CommuneOfficer, &on("20347")).await;
});

both_databases!(grants_are_given_taken_away_and_confirmed_on_the_audit_trail, |db: Db| async move {
    load_units(&db).await;
    let viewer = grant_of(&db, UserRole::Viewer, &on("502")).await;
    let officer = grant_of(&db, UserRole::CommuneOfficer, &on(TAN_THANH)).await;
    let trail = audit_rows(&db).await.len();

    // A user and their first grants, in one go.
    let id = store::users::add(&db, "canbo.xa", "Cán bộ xã", NO_PASSWORD, &[viewer.clone(), officer.clone()])
        .await
        .expect("user");
    let grants = grants_of(&db, id).await;
    assert_eq!(
        grants.iter().map(|g| (g.role.as_str(), g.unit_code.as_deref())).collect::<Vec<_>>(),
        [("commune_officer", Some(TAN_THANH)), ("viewer", Some("502"))]
    );
    assert!(grants.iter().all(|g| g.status == "active" && g.passed_from.is_none() && g.login == "canbo.xa"));
    let (officer_id, viewer_id) = (grants[0].grant_id, grants[1].grant_id);
    let rows = audit_rows(&db).await;
    assert_eq!(rows.len(), trail + 3, "the user and each grant");
    let created: Vec<(&str, Option<i64>, &str, Option<&str>)> =
        rows[..3].iter().map(|e| (e.entity.as_str(), e.entity_id, e.action.as_str(), e.unit_path.as_deref())).collect();
    assert!(created.contains(&("user", Some(id), "create", None)), "{created:?}");
    assert!(created.contains(&("grant", Some(officer_id), "create", Some("49/502/20335/"))), "{created:?}");
    assert!(created.contains(&("grant", Some(viewer_id), "create", Some("49/502/"))), "{created:?}");

    // The same grant twice is stored once.
    let twice =
        store::users::add(&db, "hai.lan", "", NO_PASSWORD, &[viewer.clone(), viewer.clone()]).await.expect("add");
    assert_eq!(access::of_user(&db, twice).await.expect("grants").len(), 1);
    let trail = audit_rows(&db).await.len();
    // A list of grants that cannot all be stored (a unit that is not there) stores no user either.
    let nowhere = access::NewGrant { unit_id: Some(987_654), ..viewer.clone() };
    let r = store::users::add(&db, "ba.lan", "", NO_PASSWORD, &[viewer.clone(), nowhere]).await;
    assert!(r.is_err(), "a grant on no unit: {r:?}");
    assert!(matches!(store::users::by_login(&db, "ba.lan").await, Err(StoreError::NotFound(_))));
    assert_eq!(audit_rows(&db).await.len(), trail);

    // A grant held already is a conflict; an unknown login is not found.
    let (field, _) = conflict(access::grant(&db, "canbo.xa", &viewer).await);
    assert_eq!(field, "role");
    assert!(matches!(access::grant(&db, "khong.co.ai", &viewer).await, Err(StoreError::NotFound(_))));
    assert_eq!(grants_of(&db, id).await.len(), 2);
    assert_eq!(grant_events(&db).await.len(), 3, "two users, three grants; refusals leave no trace");

    // Given, then taken away by id.
    let finance = grant_of(&db, UserRole::FinanceApprover, &on("49")).await;
    let gid = access::grant(&db, "canbo.xa", &finance).await.expect("grant");
    let e = &grant_events(&db).await[0];
    assert_eq!((e.entity_id, e.action.as_str(), e.unit_path.as_deref()), (Some(gid), "create", Some("49/")));
    assert!(access_for(&db, id).await.finance.covers("49/503/"));
    access::revoke(&db, gid).await.expect("revoke");
    let e = &grant_events(&db).await[0];
    assert_eq!((e.entity_id, e.action.as_str(), e.unit_path.as_deref()), (Some(gid), "revoke", Some("49/")));
    assert!(e.before_json.as_deref().is_some_and(|b| b.contains("finance_approver")), "{e:?}");
    assert_eq!(access_for(&db, id).await.finance, Scope::Paths(vec![]));
    assert!(matches!(access::revoke(&db, gid).await, Err(StoreError::NotFound(_))));

    // Taken away by what it is on.
    access::revoke_matching(&db, "canbo.xa", &viewer).await.expect("revoke matching");
    let e = &grant_events(&db).await[0];
    assert_eq!((e.entity_id, e.action.as_str()), (Some(viewer_id), "revoke"));
    assert_eq!(grants_of(&db, id).await.iter().map(|g| g.grant_id).collect::<Vec<_>>(), [officer_id]);
    assert!(matches!(access::revoke_matching(&db, "canbo.xa", &viewer).await, Err(StoreError::NotFound(_))));
    // A team leader's grant, by its team.
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let leads = grant_of(&db, UserRole::TeamLeader, &Target::Team(t)).await;
    let leader = user_with(&db, "to.truong", &[(UserRole::TeamLeader, Target::Team(t))]).await;
    access::revoke_matching(&db, "to.truong", &leads).await.expect("revoke the team");
    assert!(grants_of(&db, leader).await.is_empty());

    // A pending grant (as a reorganisation leaves one) is confirmed.
    raw(
        &db,
        "update user_grant set status = 'pending', passed_from = '20338 Phường Phước Hòa' where user_grant_id = $1",
        &[officer_id],
    )
    .await
    .expect("make it pending");
    assert_eq!(access::get(&db, officer_id).await.expect("grant").status, "pending");
    access::confirm(&db, officer_id).await.expect("confirm");
    assert_eq!(access::get(&db, officer_id).await.expect("grant").status, "active");
    let e = &grant_events(&db).await[0];
    assert_eq!(
        (e.entity_id, e.action.as_str(), e.unit_path.as_deref()),
        (Some(officer_id), "confirm", Some("49/502/20335/"))
    );
    assert!(e.before_json.as_deref().is_some_and(|b| b.contains("pending")), "{e:?}");
    assert!(e.after_json.as_deref().is_some_and(|a| a.contains("active")), "{e:?}");
    assert!(matches!(access::confirm(&db, 999_999).await, Err(StoreError::NotFound(_))));
    let actions: Vec<String> = grant_events(&db).await.into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["confirm", "revoke", "create", "revoke", "revoke", "create", "create", "create", "create"]);
});

both_databases!(a_commune_officer_reads_and_writes_only_their_commune, |db: Db| async move {
    load_units(&db).await;
    // Tân Thạnh: two teams and a village without one; An Mỹ the same, with more people.
    let phu_lam = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let my_thach = team(&db, TAN_THANH, "Thôn Mỹ Thạch").await;
    village(&db, TAN_THANH, "Thôn Chưa Có Tổ").await;
    let an_ha = team(&db, OTHER_COMMUNE, "Thôn An Hà").await;
    let an_phu = team(&db, OTHER_COMMUNE, "Thôn An Phú").await;
    let no_team = village(&db, OTHER_COMMUNE, "Thôn Chưa Có Tổ").await;
    add(&db, phu_lam, "Nguyễn Văn An", "0912000001", "leader", "commune_official").await;
    add(&db, phu_lam, "Trần Thị Bình", "0912000002", "member", "other").await;
    add(&db, my_thach, "Lê Văn Cường", "0912000003", "leader", "other").await;
    let dung = add(&db, an_ha, "Phạm Văn Dũng", "0912000004", "leader", "other").await;
    add(&db, an_ha, "Hồ Thị Em", "0912000005", "member", "other").await;
    add(&db, an_phu, "Võ Văn Phúc", "0912000006", "leader", "other").await;
    add(&db, an_phu, "Đỗ Thị Giang", "0912000007", "member", "other").await;
    let (tan_thanh, an_my) = (unit(&db, TAN_THANH).await.path, unit(&db, OTHER_COMMUNE).await.path);

    let officer = user_with(&db, "canbo.tanthanh", &[(UserRole::CommuneOfficer, on(TAN_THANH))]).await;
    let a = access_for(&db, officer).await;
    assert_eq!(a.read, only_scope(&tan_thanh));
    assert_eq!((&a.write, &a.personal), (&a.read, &a.read));
    assert_eq!((&a.admin, &a.finance), (&Scope::Paths(vec![]), &Scope::Paths(vec![])));
    assert!(a.teams.is_empty() && !a.is_admin());
    assert!(!a.reaches(Some(&tan_thanh)) && !a.reaches(None), "an officer gives no grants");
    assert!(a.writes(&tan_thanh) && !a.writes(&an_my) && !a.writes("49/502/"));
    assert!(a.writes_team(phu_lam, &tan_thanh) && !a.writes_team(an_ha, &an_my));
    assert!(a.sees_personal(Some(phu_lam), Some(&tan_thanh)) && !a.sees_personal(Some(an_ha), Some(&an_my)));
    assert!(!a.sees_personal(None, None), "a person in no team shows whole only to who sees everything");

    // Every list counts that commune's rows only (the whole registry holds more).
    let all_teams = TeamFilter::default();
    let teams_read = teams::list(&db, &a.read, &all_teams, PageRequest::all()).await.expect("teams");
    assert_eq!(teams_read.total, 2);
    assert!(teams_read.items.iter().all(|t| t.commune_code == TAN_THANH));
    assert_eq!(teams::list(&db, &Scope::All, &all_teams, PageRequest::all()).await.expect("teams").total, 4);
    let villages_read =
        villages::list(&db, &a.read, &VillageFilter::default(), PageRequest::all()).await.expect("villages");
    assert_eq!(villages_read.total, 3);
    assert!(villages_read.items.iter().all(|v| v.commune_code == TAN_THANH));
    let people_read = people::list(&db, &a.read, &MemberFilter::default(), PageRequest::all()).await.expect("people");
    assert_eq!(people_read.total, 3);
    assert_eq!(people::list(&db, &Scope::All, &MemberFilter::default(), PageRequest::all()).await.expect("p").total, 7);
    // What lies in the other commune is not found, one by one either.
    assert!(matches!(teams::get(&db, &a.read, an_ha).await, Err(StoreError::NotFound(_))));
    assert!(matches!(villages::get(&db, &a.read, no_team).await, Err(StoreError::NotFound(_))));
    assert!(matches!(people::get(&db, &a.read, dung).await, Err(StoreError::NotFound(_))));
    assert_eq!(teams::get(&db, &a.read, phu_lam).await.expect("own team").members, 2);

    // The province's coverage through the officer's eyes: Tân Thạnh's figures, under Tam Kỳ alone.
    let province = unit(&db, "49").await;
    let today = store::today();
    let cov = coverage::at(&db, &a.read, &province, today, today).await.expect("coverage");
    assert_eq!((cov.villages, cov.villages_with_team, cov.teams, cov.members), (3, 2, 2, 3));
    let children: Vec<_> = cov.children.iter().map(|c| c.unit.as_ref().map(|u| u.code.as_str())).collect();
    assert_eq!(children, [Some("502")]);
    let whole = coverage::at(&db, &Scope::All, &province, today, today).await.expect("coverage");
    assert_eq!((whole.villages, whole.teams, whole.members), (6, 4, 7));
    // Units the officer may open: their commune and what holds it, not their neighbour's.
    for (code, open) in [(TAN_THANH, true), ("502", true), ("49", true), (OTHER_COMMUNE, false), ("503", false)] {
        let u = unit(&db, code).await;
        assert_eq!(units::visible(&db, &a.read, &u).await.expect("visible"), open, "{code}");
    }

    // A viewer on the district reads both communes and sees no number whole.
    let viewer = user_with(&db, "nguoi.xem", &[(UserRole::Viewer, on("502"))]).await;
    let v = access_for(&db, viewer).await;
    assert_eq!(v.read, only_scope("49/502/"));
    assert_eq!((&v.write, &v.personal), (&Scope::Paths(vec![]), &Scope::Paths(vec![])));
    assert!(!v.sees_personal(Some(phu_lam), Some(&tan_thanh)) && !v.sees_personal(None, None));
    assert!(!v.writes_team(phu_lam, &tan_thanh));
    assert_eq!(teams::list(&db, &v.read, &all_teams, PageRequest::all()).await.expect("teams").total, 4);

    // A team leader reads the team's commune and changes only their team.
    let leader = user_with(&db, "to.truong", &[(UserRole::TeamLeader, Target::Team(phu_lam))]).await;
    let l = access_for(&db, leader).await;
    assert_eq!((&l.read, l.teams.as_slice()), (&only_scope(&tan_thanh), [phu_lam].as_slice()));
    assert_eq!((&l.write, &l.personal), (&Scope::Paths(vec![]), &Scope::Paths(vec![])));
    assert!(l.writes_team(phu_lam, &tan_thanh) && !l.writes_team(my_thach, &tan_thanh));
    assert!(l.writes_person(Some(phu_lam), Some(&tan_thanh)) && !l.writes_person(Some(my_thach), Some(&tan_thanh)));
    assert!(!l.writes_person(None, None));
    assert!(l.sees_personal(Some(phu_lam), Some(&tan_thanh)) && !l.sees_personal(Some(my_thach), Some(&tan_thanh)));
    assert_eq!(teams::list(&db, &l.read, &all_teams, PageRequest::all()).await.expect("teams").total, 2);
});

/// Who a search finds, reading with `access` and looking in numbers only where it sees them
/// whole (`masked`) or everywhere.
async fn found_as(db: &Db, access: &Access, masked: bool, q: &str) -> Vec<String> {
    let filter = MemberFilter {
        search: Some(q.into()),
        include_former: false,
        numbers_for: if masked { Some(access.clone()) } else { None },
    };
    let page = people::list(db, &access.read, &filter, PageRequest::all()).await.expect("search");
    assert_eq!(page.total, i64::try_from(page.items.len()).expect("len"), "the count agrees with the rows");
    page.items.into_iter().map(|m| m.full_name).collect()
}

both_databases!(a_masked_number_is_not_found_by_its_digits, |db: Db| async move {
    load_units(&db).await;
    let t = team(&db, TAN_THANH, "Thôn Phú Lâm").await;
    let other = team(&db, TAN_THANH, "Thôn Mỹ Thạch").await;
    let hung = people::create_member(
        &db,
        &Scope::All,
        t,
        &person("Nguyễn Văn Hùng", "0912 345 678", "049085001234"),
        &joining("leader", "other", "01/10/2023"),
    )
    .await
    .expect("Hùng");
    add(&db, other, "Trần Thị Lan", "0987654321", "leader", "other").await;
    let viewer = access_for(&db, user_with(&db, "nguoi.xem", &[(UserRole::Viewer, on("502"))]).await).await;
    let officer = access_for(&db, user_with(&db, "canbo.xa", &[(UserRole::CommuneOfficer, on(TAN_THANH))]).await).await;
    let own_leader =
        access_for(&db, user_with(&db, "to.truong", &[(UserRole::TeamLeader, Target::Team(t))]).await).await;
    let other_leader =
        access_for(&db, user_with(&db, "to.truong.khac", &[(UserRole::TeamLeader, Target::Team(other))]).await).await;
    let hung_only = ["Nguyễn Văn Hùng"];

    // A viewer sees the number masked, so typing its digits finds nobody; the name finds him.
    for q in ["0912345678", "0912 345 678", "+84 912 345 678", "345678", "049085001234"] {
        assert!(found_as(&db, &viewer, true, q).await.is_empty(), "a viewer found {q:?}");
    }
    for q in ["Nguyễn Văn Hùng", "nguyen van hung", "hung"] {
        assert_eq!(found_as(&db, &viewer, true, q).await, hung_only, "{q:?}");
    }
    // Without the mask (the command line, an export by an officer) the digits find him.
    assert_eq!(found_as(&db, &viewer, false, "0912345678").await, hung_only);
    // Those who see his number whole find him by it: his commune's officer, his own team leader.
    for (who, access) in [("officer", &officer), ("own leader", &own_leader)] {
        assert_eq!(found_as(&db, access, true, "0912345678").await, hung_only, "{who}");
        assert_eq!(found_as(&db, access, true, "049085001234").await, hung_only, "{who} by CCCD");
    }
    // Another team's leader in the same commune reads him, masked: found by name, not number.
    assert_eq!(found_as(&db, &other_leader, true, "nguyen van hung").await, hung_only);
    assert!(found_as(&db, &other_leader, true, "0912345678").await.is_empty());
    assert_eq!(found_as(&db, &other_leader, true, "0987654321").await, ["Trần Thị Lan"], "their own member");

    // The mask itself.
    let mut m = people::get(&db, &Scope::All, hung).await.expect("Hùng");
    assert_eq!((m.phone.as_str(), m.cccd.as_deref()), ("0912345678", Some("049085001234")));
    m.mask();
    assert_eq!((m.phone.as_str(), m.cccd.as_deref()), ("0912 *** 678", Some("049 ****** 234")));
});

/// The codes the July change set sends these old codes to.
fn july_targets(old: &[String]) -> std::collections::BTreeSet<String> {
    let (_, _, changes, _) = store::reorg::SHIPPED[1];
    changes
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            (cols.len() == 4 && old.iter().any(|o| o == cols[0])).then(|| cols[2].to_owned())
        })
        .collect()
}

fn codes(grants: &[access::Grant]) -> Vec<&str> {
    grants.iter().filter_map(|g| g.unit_code.as_deref()).collect()
}

both_databases!(grants_pass_to_the_successors_of_ended_units_pending_confirmation, |db: Db| async move {
    load_units(&db).await;
    // On 01/07/2025 Hòa Hương (20344) and An Sơn (20350) become Phường Hương Trà (20350).
    let hoa_huong = [village(&db, "20344", "Thôn Một").await, village(&db, "20344", "Thôn Hai").await];
    let an_son = village(&db, "20350", "Thôn Ba").await;
    village(&db, TAN_THANH, "Thôn Khác").await;
    let t = teams::create(&db, &Scope::All, hoa_huong[0], &team_input()).await.expect("team");
    add(&db, t, "Nguyễn Văn An", "0912000001", "leader", "commune_official").await;

    let officer = user_with(&db, "canbo.hoahuong", &[(UserRole::CommuneOfficer, on("20344"))]).await;
    let district = user_with(&db, "canbo.tamky", &[(UserRole::ProvinceOfficer, on("502"))]).await;
    let admin = user_with(&db, "quantri.quangnam", &[(UserRole::ProvinceAdmin, on("49"))]).await;
    // Phước Hòa (20338) merges into An Xuân (20347) in January, which merges into Tam Kỳ (20341) in July.
    let twice = user_with(&db, "canbo.phuochoa", &[(UserRole::CommuneOfficer, on("20338"))]).await;
    // Two communes that become one: one grant on it.
    let both = user_with(
        &db,
        "canbo.haixa",
        &[(UserRole::CommuneOfficer, on("20344")), (UserRole::CommuneOfficer, on("20350"))],
    )
    .await;
    let leader = user_with(&db, "to.truong", &[(UserRole::TeamLeader, Target::Team(t))]).await;

    let before = access_for(&db, officer).await;
    let read_before: std::collections::BTreeSet<i64> =
        villages::list(&db, &before.read, &VillageFilter::default(), PageRequest::all())
            .await
            .expect("villages")
            .items
            .iter()
            .map(|v| v.id)
            .collect();
    assert_eq!(read_before, hoa_huong.into_iter().collect());
    let old_grant = grants_of(&db, officer).await[0].grant_id;
    let quantri = access_for(&db, admin).await;
    assert!(quantri.reaches(Some("49/502/20344/")) && !quantri.reaches(None));

    let jan = apply_shipped(&db, 0).await;
    assert_eq!(jan.grants_passed, 1, "only Phước Hòa's grant: Tam Kỳ and Quảng Nam go on");
    let g = grants_of(&db, twice).await;
    assert_eq!(codes(&g), ["20347"]);
    assert_eq!((g[0].status.as_str(), g[0].passed_from.as_deref()), ("pending", Some("20338 Phường Phước Hòa")));
    assert_eq!(grants_of(&db, officer).await[0].grant_id, old_grant, "Hòa Hương goes on in January");

    // Tam Kỳ's communes as they stand before July, and where July sends them.
    let tam_ky = unit(&db, "502").await;
    let tam_ky_communes: Vec<String> =
        units::list(&db, &Scope::All.narrow(&tam_ky.path), Some(domain::units::Level::Commune), None)
            .await
            .expect("communes")
            .into_iter()
            .map(|u| u.code)
            .collect();
    let expected_district = july_targets(&tam_ky_communes);
    assert!(expected_district.len() > 1 && !expected_district.contains("48"), "{expected_district:?}");

    let jul = apply_shipped(&db, 1).await;
    assert_eq!(jul.grants_passed, 6, "Hòa Hương, Tam Kỳ, Quảng Nam, An Xuân, and both of the two communes");

    // The commune officer: a pending grant on Hương Trà, passed from Hòa Hương, instead of the old one.
    let huong_tra = unit(&db, "20350").await;
    assert!(huong_tra.path.starts_with("48/"), "{}", huong_tra.path);
    let g = grants_of(&db, officer).await;
    assert_eq!(codes(&g), ["20350"]);
    assert_eq!(
        (g[0].role.as_str(), g[0].status.as_str(), g[0].passed_from.as_deref(), g[0].unit_path.as_deref()),
        ("commune_officer", "pending", Some("20344 Phường Hòa Hương"), Some(huong_tra.path.as_str()))
    );
    assert!(matches!(access::get(&db, old_grant).await, Err(StoreError::NotFound(_))), "the old grant is gone");
    let events = grant_events(&db).await;
    assert!(
        events.iter().any(|e| e.entity_id == Some(g[0].grant_id)
            && e.action == "pass"
            && e.unit_path.as_deref() == Some(huong_tra.path.as_str())),
        "{events:?}"
    );
    assert!(events.iter().any(|e| e.entity_id == Some(old_grant) && e.action == "end"), "{events:?}");

    // The district officer: pending grants on the communes Tam Kỳ's communes became, not on Đà Nẵng.
    let g = grants_of(&db, district).await;
    let got: std::collections::BTreeSet<String> = codes(&g).into_iter().map(str::to_owned).collect();
    assert_eq!(got, expected_district);
    assert!(g.iter().all(|x| x.role == "province_officer"
        && x.status == "pending"
        && x.passed_from.as_deref() == Some("502 Thành phố Tam Kỳ")));
    assert!(!access_for(&db, district).await.read.covers("48/20194/"), "no wider than before: not Hải Vân");

    // The province administrator: a pending grant on Đà Nẵng.
    let g = grants_of(&db, admin).await;
    assert_eq!(codes(&g), ["48"]);
    assert_eq!((g[0].status.as_str(), g[0].passed_from.as_deref()), ("pending", Some("49 Tỉnh Quảng Nam")));
    let quantri = access_for(&db, admin).await;
    assert!(!quantri.reaches(Some(&huong_tra.path)) && !quantri.is_admin(), "a pending grant allows nothing yet");
    // Passed twice: still pending, from the unit it was last on.
    let g = grants_of(&db, twice).await;
    assert_eq!(codes(&g), ["20341"]);
    assert_eq!((g[0].status.as_str(), g[0].passed_from.as_deref()), ("pending", Some("20347 Phường An Xuân")));
    // Two grants that meet on one commune become one.
    let g = grants_of(&db, both).await;
    assert_eq!(codes(&g), ["20350"]);
    assert_eq!(g[0].status, "pending");
    // A team leader's grant is on the team, which followed its village: untouched, now in Đà Nẵng.
    let g = grants_of(&db, leader).await;
    assert_eq!(g.len(), 1);
    assert_eq!((g[0].team_id, g[0].status.as_str(), g[0].passed_from.as_deref()), (Some(t), "active", None));
    assert_eq!(g[0].path(), Some(huong_tra.path.as_str()));

    // Applying again changes nothing.
    let users = [officer, district, admin, twice, both, leader];
    let mut snapshot = Vec::new();
    for u in users {
        snapshot.push(grants_of(&db, u).await);
    }
    let n_events = grant_events(&db).await.len();
    let again = apply_shipped(&db, 1).await;
    assert!(again.already_applied);
    assert_eq!(again.grants_passed, 0);
    for (u, before) in users.into_iter().zip(&snapshot) {
        assert_eq!(&grants_of(&db, u).await, before);
    }
    assert_eq!(grant_events(&db).await.len(), n_events);

    // Pending, the grant allows nothing: Hương Trà is wider than Hòa Hương was, and a person
    // decides whether the officer reaches it.
    assert_eq!(access_for(&db, officer).await, access::Access::nothing());
    let pending = grants_of(&db, officer).await[0].grant_id;
    let listed = access::within(&db, &Scope::All).await.expect("grants");
    assert!(listed[0].status == "pending" && listed.iter().any(|g| g.grant_id == pending));
    access::confirm(&db, pending).await.expect("confirm");
    assert_eq!(access::get(&db, pending).await.expect("grant").status, "active");
    // Confirmed, the officer reads the villages now in Hương Trà, theirs among them, and nothing
    // else.
    let after = access_for(&db, officer).await;
    assert_eq!(after.read, only_scope(&huong_tra.path));
    assert!(after.writes(&huong_tra.path));
    let read_after: std::collections::BTreeSet<i64> =
        villages::list(&db, &after.read, &VillageFilter::default(), PageRequest::all())
            .await
            .expect("villages")
            .items
            .iter()
            .map(|v| v.id)
            .collect();
    assert!(read_before.is_subset(&read_after));
    assert_eq!(read_after.len(), read_before.len() + 1);
    assert!(read_after.contains(&an_son));
    assert_eq!(teams::list(&db, &after.read, &TeamFilter::default(), PageRequest::all()).await.expect("t").total, 1);
    assert_eq!(people::list(&db, &after.read, &MemberFilter::default(), PageRequest::all()).await.expect("p").total, 1);
    // A report as of 2024, on that day's units, reaches the villages they govern now.
    let quang_nam = units::by_code_at(&db, "49", date!(2024 - 08 - 28)).await.expect("49 in 2024");
    let old =
        coverage::at(&db, &after.read, &quang_nam, date!(2024 - 08 - 28), date!(2024 - 08 - 28)).await.expect("cov");
    assert_eq!((old.villages, old.teams, old.members), (3, 1, 1));

    let listed = access::within(&db, &Scope::All).await.expect("grants");
    let first_active = listed.iter().position(|g| g.status == "active").expect("an active grant");
    assert!(listed[first_active..].iter().all(|g| g.status == "active"), "pending ones first");
});
