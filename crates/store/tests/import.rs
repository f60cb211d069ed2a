//! Importing lists of members, villages and teams (issue F, points 3 and 4): every refusal with
//! its Vietnamese reason and nothing written, dry runs, re-imports that change nothing, the three
//! matching rules, a change of leader, the write scope, and communes named as they were before
//! the 2025 reorganisations; on SQLite and PostgreSQL.

use domain::input::{MembershipDraft, PersonDraft, TeamDraft};
use store::import::{Action, ImportReport, ImportRow, ImportSheet, MatchRule, import_members};
use store::{Db, Scope, both_databases, demo, people, teams, units, villages};

async fn load(db: &Db) {
    let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
    units::load_state(db, &rows, demo::DEMO_UNITS_FROM).await.expect("load units");
}

/// A village of a commune with a team founded on 01/09/2023.
async fn team(db: &Db, commune: &str, village: &str) -> i64 {
    let u = units::by_code(db, commune).await.expect("unit");
    let v = villages::create(db, &u, village).await.expect("village");
    let input = TeamDraft { name: String::new(), established_on: "01/09/2023".into(), zalo_url: String::new() }
        .parse(store::today())
        .expect("team");
    teams::create(db, &Scope::All, v, &input).await.expect("team")
}

async fn member(db: &Db, team: i64, name: &str, phone: &str, cccd: &str, birth: &str) -> i64 {
    let gender = if name.contains(" Thị ") { "Nữ" } else { "Nam" };
    let p = PersonDraft {
        full_name: name.into(),
        gender: gender.into(),
        birth: birth.into(),
        phone: phone.into(),
        cccd: cccd.into(),
        email: String::new(),
    }
    .parse(store::today())
    .expect("person");
    let m = MembershipDraft { role: "member".into(), position: "other".into(), joined_on: "01/10/2023".into() }
        .parse(store::today())
        .expect("membership");
    people::create_member(db, &Scope::All, team, &p, &m).await.expect("member")
}

/// The columns of the sheets in these tests, as a header would map them.
const COLUMNS: [(&str, &str); 10] = [
    ("full_name", "B"),
    ("gender", "C"),
    ("birth_date", "D"),
    ("cccd", "E"),
    ("phone", "F"),
    ("position", "G"),
    ("role", "H"),
    ("village", "I"),
    ("commune", "J"),
    ("district", "K"),
];

fn row(n: usize, values: &[(&str, &str)]) -> ImportRow {
    ImportRow { row: n, values: values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect() }
}

fn sheet(rows: Vec<ImportRow>) -> Vec<ImportSheet> {
    vec![ImportSheet {
        name: "Danh sách".into(),
        columns: COLUMNS.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())).collect(),
        rows,
    }]
}

async fn import(db: &Db, sheets: &[ImportSheet], dry_run: bool) -> ImportReport {
    import_members(db, sheets, dry_run, &|_| true, &|_, _| {}).await.expect("import")
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    let (n,): (i64,) = match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await.expect("count"),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await.expect("count"),
    };
    n
}

/// The error on a row, as `(column, message)`.
fn error_on(report: &ImportReport, row: usize) -> (Option<&str>, &str) {
    let e = report.errors.iter().find(|e| e.row == row).unwrap_or_else(|| panic!("no error on row {row}: {report:#?}"));
    (e.column.as_deref(), e.message.as_str())
}

fn two_people() -> Vec<ImportSheet> {
    sheet(vec![
        row(
            5,
            &[
                ("full_name", "Nguyễn Văn An"),
                ("gender", "Nam"),
                ("birth_date", "15/03/1985"),
                ("cccd", "049085000001"),
                ("phone", "0912 000 001"),
                ("position", "Trưởng thôn"),
                ("role", "Tổ trưởng"),
                ("village", "Thôn Một"),
                ("commune", "Phường Tân Thạnh"),
            ],
        ),
        // No gender column filled: the CCCD says she is a woman.
        row(
            6,
            &[
                ("full_name", "Lê Thị Bình"),
                ("cccd", "049190000002"),
                ("phone", "0912000002"),
                ("village", "một"),
                ("commune", "tân thạnh"),
            ],
        ),
    ])
}

both_databases!(a_clean_list_is_dry_run_applied_and_then_found_unchanged, |db: Db| async move {
    load(&db).await;
    team(&db, "20335", "Thôn Một").await;
    let rows = two_people();

    let dry = import(&db, &rows, true).await;
    assert!(dry.errors.is_empty(), "{:#?}", dry.errors);
    assert_eq!((dry.created, dry.updated, dry.unchanged, dry.applied), (2, 0, 0, false));
    assert_eq!(count(&db, "select count(*) from person").await, 0, "a dry run writes nothing");

    let audit_before = count(&db, "select count(*) from audit_event").await;
    let done = import(&db, &rows, false).await;
    assert!(done.applied && !done.dry_run);
    assert_eq!((done.created, done.updated, done.unchanged), (2, 0, 0));
    assert!(done.rows.iter().all(|r| r.action == Action::Created && r.matched_by.is_none()));
    let list = people::list(&db, &Scope::All, &people::MemberFilter::default(), store::PageRequest::all())
        .await
        .expect("members")
        .items;
    let an = list.iter().find(|m| m.full_name == "Nguyễn Văn An").expect("An");
    assert_eq!((an.role.as_deref(), an.position.as_deref()), (Some("leader"), Some("village_head")));
    assert_eq!((an.birth_date.as_deref(), an.phone.as_str()), (Some("1985-03-15"), "0912000001"));
    let binh = list.iter().find(|m| m.full_name == "Lê Thị Bình").expect("Bình");
    assert_eq!((binh.gender.as_str(), binh.role.as_deref()), ("female", Some("member")));
    assert_eq!(
        count(&db, "select count(*) from audit_event where action = 'import'").await,
        4,
        "a person and a membership each"
    );
    assert!(count(&db, "select count(*) from audit_event").await > audit_before);

    // The same file again: every row unchanged, matched by its CCCD, nothing written.
    let audit_after = count(&db, "select count(*) from audit_event").await;
    let again = import(&db, &rows, false).await;
    assert!(again.applied && again.errors.is_empty());
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    assert!(again.rows.iter().all(|r| r.matched_by == Some(MatchRule::Cccd)));
    assert_eq!(count(&db, "select count(*) from audit_event").await, audit_after);
    assert_eq!(count(&db, "select count(*) from person").await, 2);
    assert_eq!(count(&db, "select count(*) from membership").await, 2);
});

both_databases!(every_bad_row_is_named_in_vietnamese_and_nothing_is_written, |db: Db| async move {
    load(&db).await;
    team(&db, "20335", "Thôn Một").await;
    let other = team(&db, "20341", "Thôn Hai").await;
    team(&db, "20341", "Thôn Ba").await;
    member(&db, other, "Trần Văn Cường", "0912000009", "049080000009", "1980").await;
    let persons = count(&db, "select count(*) from person").await;
    let audit = count(&db, "select count(*) from audit_event").await;
    let ok: &[(&str, &str)] = &[("village", "Thôn Một"), ("commune", "Phường Tân Thạnh")];
    let with = |n: usize, extra: &[(&str, &str)]| {
        let mut v: Vec<(&str, &str)> = ok.to_vec();
        for (k, x) in extra {
            v.retain(|(kk, _)| kk != k);
            v.push((k, x));
        }
        row(n, &v)
    };
    let rows = sheet(vec![
        with(
            5,
            &[("full_name", "Nguyễn Văn An"), ("gender", "Nam"), ("cccd", "049085000001"), ("phone", "0912000001")],
        ),
        with(6, &[("full_name", "Phạm Văn Bảo"), ("gender", "Nam"), ("phone", "12345")]),
        with(7, &[("full_name", "Võ Văn Chí"), ("gender", "Nam"), ("cccd", "049185000003"), ("phone", "0912000003")]),
        with(
            8,
            &[
                ("full_name", "Đỗ Văn Dũng"),
                ("gender", "Nam"),
                ("birth_date", "1990"),
                ("cccd", "049085000004"),
                ("phone", "0912000004"),
            ],
        ),
        with(9, &[("full_name", "Hồ Văn Em"), ("gender", "Nam"), ("phone", "0912000005"), ("commune", "Xã Không Có")]),
        with(10, &[("full_name", "Lý Văn Phú"), ("gender", "Nam"), ("phone", "0912000006"), ("village", "Thôn Hai")]),
        with(
            11,
            &[("full_name", "Mai Văn Giang"), ("gender", "Nam"), ("phone", "0912000007"), ("village", "Thôn Mười")],
        ),
        with(12, &[("gender", "Nam"), ("phone", "0912000008")]),
        with(
            13,
            &[("full_name", "Nguyễn Văn An"), ("gender", "Nam"), ("cccd", "049085000001"), ("phone", "0912000001")],
        ),
        with(
            14,
            &[("full_name", "Trần Văn Cường"), ("gender", "Nam"), ("cccd", "049080000009"), ("phone", "0912000009")],
        ),
        row(15, &[("full_name", "Đinh Văn Hải"), ("gender", "Nam"), ("phone", "0912000010"), ("commune", "Tân Thạnh")]),
    ]);
    for dry_run in [true, false] {
        let r = import(&db, &rows, dry_run).await;
        assert!(!r.applied);
        assert_eq!((r.created, r.rejected), (1, 10), "{:#?}", r.rows);
        assert_eq!(
            error_on(&r, 6),
            (
                Some("F"),
                "Số điện thoại có 5 chữ số: số di động Việt Nam có 10 chữ số, bắt đầu bằng 0 (ví dụ 0912 345 678)"
            )
        );
        assert_eq!(error_on(&r, 7), (Some("E"), "Số CCCD là của nữ, trái với giới tính đã khai (nam)"));
        assert_eq!(error_on(&r, 8), (Some("E"), "Số CCCD ghi năm sinh 1985, khác với năm sinh đã khai (1990)"));
        assert_eq!(
            error_on(&r, 9),
            (Some("J"), "Không có xã, phường nào tên “Xã Không Có”, kể cả trước các đợt sắp xếp đơn vị hành chính")
        );
        assert_eq!(error_on(&r, 10), (Some("I"), "Thôn Hai thuộc Phường An Mỹ, không thuộc Phường Tân Thạnh"));
        assert_eq!(error_on(&r, 11), (Some("I"), "Thôn “Thôn Mười” không có trong Phường Tân Thạnh"));
        assert_eq!(error_on(&r, 12), (Some("B"), "Chưa nhập họ và tên"));
        assert_eq!(error_on(&r, 13), (None, "Trùng với dòng 5 của trang “Danh sách” (cùng số CCCD)"));
        assert_eq!(
            error_on(&r, 14),
            (
                Some("I"),
                "Trần Văn Cường đang là thành viên của Tổ công nghệ số cộng đồng Thôn Hai (Thôn Hai, Phường An Mỹ); \
                 một người chỉ ở một tổ đang hoạt động — hãy cho rời tổ đó trước"
            )
        );
        assert_eq!(error_on(&r, 15), (Some("I"), "Chưa nhập thôn, tổ dân phố"));
        assert!(r.errors.iter().all(|e| e.sheet == "Danh sách"));
        assert_eq!(count(&db, "select count(*) from person").await, persons, "nothing is written");
        assert_eq!(count(&db, "select count(*) from audit_event").await, audit);
    }
});

both_databases!(people_are_matched_by_cccd_then_phone_then_name_year_and_village, |db: Db| async move {
    load(&db).await;
    let t = team(&db, "20335", "Thôn Một").await;
    member(&db, t, "Nguyễn Văn An", "0912000001", "049085000001", "1985").await;
    member(&db, t, "Lê Thị Bình", "0912000002", "", "1990").await;
    member(&db, t, "Trần Văn Cường", "0912000003", "", "1975").await;
    let place: [(&str, &str); 2] = [("village", "Thôn Một"), ("commune", "Phường Tân Thạnh")];
    let mut a =
        vec![("full_name", "Nguyễn Văn An"), ("gender", "Nam"), ("cccd", "049 085 000 001"), ("phone", "0935000001")];
    let mut b =
        vec![("full_name", "Lê Thị Bình"), ("gender", "Nữ"), ("phone", "0912000002"), ("birth_date", "02/09/1990")];
    let mut c =
        vec![("full_name", "Trần Văn Cường"), ("gender", "Nam"), ("birth_date", "1975"), ("phone", "0935000003")];
    let mut d =
        vec![("full_name", "Trần Văn Cường"), ("gender", "Nam"), ("birth_date", "1976"), ("phone", "0935000004")];
    for v in [&mut a, &mut b, &mut c, &mut d] {
        v.extend(place);
    }
    let rows = sheet(vec![row(2, &a), row(3, &b), row(4, &c), row(5, &d)]);
    let r = import(&db, &rows, false).await;
    assert!(r.applied, "{:#?}", r.errors);
    let by_row = |n: usize| r.rows.iter().find(|o| o.row == n).expect("row");
    assert_eq!((by_row(2).action, by_row(2).matched_by), (Action::Updated, Some(MatchRule::Cccd)));
    assert_eq!(by_row(2).changes, ["số điện thoại"]);
    assert_eq!((by_row(3).action, by_row(3).matched_by), (Action::Updated, Some(MatchRule::Phone)));
    assert_eq!(by_row(3).changes, ["ngày sinh"]);
    assert_eq!((by_row(4).action, by_row(4).matched_by), (Action::Updated, Some(MatchRule::NameBirthYearVillage)));
    assert_eq!(by_row(4).changes, ["số điện thoại"]);
    // Another birth year: someone else of the same name, added.
    assert_eq!((by_row(5).action, by_row(5).matched_by), (Action::Created, None));
    assert_eq!((r.created, r.updated, r.unchanged), (1, 3, 0));
    assert_eq!(count(&db, "select count(*) from person").await, 4);
    assert_eq!(count(&db, "select count(*) from person where phone = '0935000001' and cccd = '049085000001'").await, 1);
    assert_eq!(count(&db, "select count(*) from person where birth_date = '1990-09-02'").await, 1);
    // And again: nothing left to change.
    let again = import(&db, &rows, true).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 4), "{:#?}", again.rows);
});

both_databases!(a_commune_named_as_it_was_before_2025_maps_to_its_successor, |db: Db| async move {
    load(&db).await;
    team(&db, "20362", "Thôn Một").await;
    for (day, source, changes, state) in store::reorg::SHIPPED {
        let day = store::parse_iso(day).expect("day");
        store::reorg::apply_files(&db, changes, state, day, source, false).await.expect("apply");
    }
    let rows = sheet(vec![
        row(
            4,
            &[
                ("full_name", "Nguyễn Văn An"),
                ("gender", "Nam"),
                ("phone", "0912000001"),
                ("village", "Thôn Một"),
                ("commune", "Tam Thăng"),
                ("district", "Thành phố Tam Kỳ"),
            ],
        ),
        row(
            5,
            &[
                ("full_name", "Lê Văn Bảo"),
                ("gender", "Nam"),
                ("phone", "0912000002"),
                ("village", "Thôn Một"),
                ("commune", "Phường Bàn Thạch"),
            ],
        ),
        row(
            6,
            &[
                ("full_name", "Võ Văn Chí"),
                ("gender", "Nam"),
                ("phone", "0912000003"),
                ("village", "Thôn Một"),
                ("commune", "Xã Tam Thăng"),
                ("district", "Huyện Không Có"),
            ],
        ),
    ]);
    let r = import(&db, &rows, true).await;
    assert_eq!(r.warnings.len(), 1, "{:#?}", r.warnings);
    let w = &r.warnings[0];
    assert_eq!((w.row, w.column.as_deref()), (4, Some("J")));
    assert_eq!(w.message, "Xã Tam Thăng nay là Phường Bàn Thạch (sắp xếp 01/07/2025)");
    assert_eq!(r.rows.iter().filter(|o| o.action == Action::Created).count(), 2);
    assert_eq!(error_on(&r, 6), (Some("K"), "Không có huyện, quận, thị xã (hay tỉnh) nào tên “Huyện Không Có”"));
    assert!(!r.applied);

    // Without the bad row it applies, into the team of the village as it lies today.
    let good = sheet(rows[0].rows[..2].to_vec());
    let r = import(&db, &good, false).await;
    assert!(r.applied && r.created == 2, "{:#?}", r.errors);
    assert_eq!(
        count(
            &db,
            "select count(*) from membership m join team t on t.team_id = m.team_id join village v on v.village_id = t.village_id \
             join unit c on c.unit_id = v.commune_id where c.code = '20335' and c.valid_to is null"
        )
        .await,
        2
    );
});

fn place_sheet(rows: Vec<ImportRow>) -> Vec<ImportSheet> {
    let columns = [("district", "A"), ("commune", "B"), ("village", "C"), ("team", "D"), ("established_on", "E")];
    vec![ImportSheet {
        name: "Thôn".into(),
        columns: columns.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())).collect(),
        rows,
    }]
}

both_databases!(villages_then_teams_are_imported_whole_and_again_unchanged, |db: Db| async move {
    load(&db).await;
    let villages = place_sheet(vec![
        row(2, &[("commune", "Phường Tân Thạnh"), ("village", "Thôn Một")]),
        row(3, &[("commune", "An Mỹ"), ("district", "Tam Kỳ"), ("village", "Tổ dân phố Hai")]),
    ]);
    let noop = |_, _| {};
    let dry = store::import::import_villages(&db, &villages, true, &|_| true, &noop).await.expect("dry run");
    assert_eq!((dry.created, dry.applied), (2, false));
    assert_eq!(count(&db, "select count(*) from village").await, 0);
    let done = store::import::import_villages(&db, &villages, false, &|_| true, &noop).await.expect("villages");
    assert!(done.applied && done.created == 2, "{:#?}", done.errors);
    assert_eq!(count(&db, "select count(*) from village_placement").await, 2);
    let again = store::import::import_villages(&db, &villages, false, &|_| true, &noop).await.expect("again");
    assert_eq!((again.created, again.unchanged), (0, 2));

    let bad = place_sheet(vec![
        row(2, &[("commune", "Tân Thạnh"), ("village", "Thôn Ba")]),
        row(3, &[("commune", "Tân Thạnh"), ("village", "thôn ba")]),
        row(4, &[("commune", "Xã Mây"), ("village", "Thôn Tư")]),
    ]);
    let r = store::import::import_villages(&db, &bad, false, &|_| true, &noop).await.expect("bad villages");
    assert!(!r.applied);
    assert_eq!(error_on(&r, 3), (Some("C"), "Trùng với dòng 2 của trang “Thôn” (cùng thôn, cùng xã)"));
    assert_eq!(
        error_on(&r, 4),
        (Some("B"), "Không có xã, phường nào tên “Xã Mây”, kể cả trước các đợt sắp xếp đơn vị hành chính")
    );
    assert_eq!(count(&db, "select count(*) from village").await, 2, "nothing written");

    let teams = place_sheet(vec![
        row(2, &[("commune", "Tân Thạnh"), ("village", "Một"), ("established_on", "01/09/2023")]),
        row(
            3,
            &[
                ("commune", "Phường An Mỹ"),
                ("village", "Tổ dân phố Hai"),
                ("team", "Tổ CNSCĐ Tổ dân phố Hai"),
                ("established_on", "2023-10-15"),
            ],
        ),
    ]);
    let r = store::import::import_teams(&db, &teams, false, &|_| true, &noop).await.expect("teams");
    assert!(r.applied && r.created == 2, "{:#?}", r.errors);
    assert_eq!(
        count(&db, "select count(*) from team where name = 'Tổ công nghệ số cộng đồng Thôn Một' and established_on = '2023-09-01'").await,
        1
    );
    let again = store::import::import_teams(&db, &teams, false, &|_| true, &noop).await.expect("teams again");
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));

    let changed = place_sheet(vec![
        row(2, &[("commune", "Tân Thạnh"), ("village", "Một"), ("established_on", "05/09/2023")]),
        row(3, &[("commune", "Tân Thạnh"), ("village", "Thôn Chín"), ("established_on", "05/09/2023")]),
        row(4, &[("commune", "An Mỹ"), ("village", "Tổ dân phố Hai")]),
    ]);
    let r = store::import::import_teams(&db, &changed, true, &|_| true, &noop).await.expect("changed");
    assert_eq!(r.rows[0].changes, ["ngày thành lập"]);
    assert_eq!(r.updated, 1);
    assert_eq!(
        error_on(&r, 3),
        (Some("C"), "Thôn “Thôn Chín” không có trong Phường Tân Thạnh; hãy nhập danh sách thôn trước")
    );
    assert_eq!(error_on(&r, 4), (Some("E"), "Chưa nhập ngày thành lập"));
});

both_databases!(two_villages_of_one_name_after_a_merger_are_told_apart_by_the_old_commune, |db: Db| async move {
    load(&db).await;
    let tam_thang = team(&db, "20362", "Thôn Một").await;
    team(&db, "20335", "Thôn Một").await;
    for (day, source, changes, state) in store::reorg::SHIPPED {
        let day = store::parse_iso(day).expect("day");
        store::reorg::apply_files(&db, changes, state, day, source, false).await.expect("apply");
    }
    let person = |n: usize, phone: &str, commune: &str| {
        row(
            n,
            &[
                ("full_name", "Nguyễn Văn An"),
                ("gender", "Nam"),
                ("phone", phone),
                ("village", "Thôn Một"),
                ("commune", commune),
            ],
        )
    };
    let r = import(&db, &sheet(vec![person(2, "0912000001", "Phường Bàn Thạch")]), true).await;
    assert_eq!(
        error_on(&r, 2),
        (
            Some("I"),
            "Phường Bàn Thạch có 2 thôn tên “Thôn Một” (trùng tên sau sắp xếp, chưa đổi tên): hãy ghi tên xã, phường cũ \
             trước sắp xếp để phân biệt"
        )
    );
    let r = import(&db, &sheet(vec![person(2, "0912000001", "Xã Tam Thăng")]), false).await;
    assert!(r.applied, "{:#?}", r.errors);
    let members = people::of_team(&db, &Scope::All, tam_thang, false).await.expect("members");
    assert_eq!(members.len(), 1, "the member joins the team of Tam Thăng's Thôn Một");
    // Named with the commune of today (as an export writes it), a person already in one of the
    // two villages is found in theirs: the list reads back unchanged. Someone new is still refused.
    let r = import(&db, &sheet(vec![person(2, "0912000001", "Phường Bàn Thạch")]), true).await;
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    assert_eq!((r.unchanged, r.rows[0].matched_by), (1, Some(store::import::MatchRule::Phone)));
    let r = import(&db, &sheet(vec![person(2, "0912000009", "Phường Bàn Thạch")]), true).await;
    assert_eq!(error_on(&r, 2).0, Some("I"), "a new person's village stays ambiguous");
});

/// A person of Thôn Một, Phường Tân Thạnh, with a role in the team.
fn in_mot(n: usize, name: &str, phone: &str, role: &str) -> ImportRow {
    let gender = if name.contains(" Thị ") { "Nữ" } else { "Nam" };
    row(
        n,
        &[
            ("full_name", name),
            ("gender", gender),
            ("phone", phone),
            ("role", role),
            ("village", "Thôn Một"),
            ("commune", "Phường Tân Thạnh"),
        ],
    )
}

async fn role_of(db: &Db, phone: &str) -> String {
    let sql = format!(
        "select m.role from membership m join person p on p.person_id = m.person_id \
         where p.phone = '{phone}' and m.left_on is null"
    );
    let (role,): (String,) = match db {
        Db::Sqlite(p) => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(p).await.expect("role"),
        Db::Postgres(p) => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(p).await.expect("role"),
    };
    role
}

both_databases!(a_change_of_leader_in_one_file_is_accepted_two_new_leaders_are_not, |db: Db| async move {
    load(&db).await;
    team(&db, "20335", "Thôn Một").await;
    let first = sheet(vec![
        in_mot(2, "Trần Văn Bảo", "0912000002", "Tổ trưởng"),
        in_mot(3, "Lê Thị Hoa", "0912000003", "Thành viên"),
    ]);
    let r = import(&db, &first, false).await;
    assert!(r.applied, "{:#?}", r.errors);
    assert_eq!(role_of(&db, "0912000002").await, "leader");

    // A new leader without a new role for Bảo: refused, saying how to make the change.
    let alone = sheet(vec![in_mot(2, "Nguyễn Văn An", "0912000001", "Tổ trưởng")]);
    let r = import(&db, &alone, false).await;
    assert!(!r.applied);
    assert_eq!(
        error_on(&r, 2),
        (
            Some("H"),
            "Tổ công nghệ số cộng đồng Thôn Một đã có tổ trưởng (Trần Văn Bảo); hãy ghi vai trò mới của Trần Văn Bảo \
             (Tổ phó hoặc Thành viên) trong cùng tệp, hoặc đổi vai trò người cũ trước"
        )
    );
    assert_eq!((r.created, r.rejected), (0, 1), "{:#?}", r.rows);

    // Two rows that each make themselves leader: refused, whatever Bảo becomes.
    let two = sheet(vec![
        in_mot(2, "Nguyễn Văn An", "0912000001", "Tổ trưởng"),
        in_mot(3, "Lê Thị Hoa", "0912000003", "Tổ trưởng"),
        in_mot(4, "Trần Văn Bảo", "0912000002", "Thành viên"),
    ]);
    let r = import(&db, &two, false).await;
    assert!(!r.applied);
    assert_eq!(
        error_on(&r, 3),
        (Some("H"), "Tổ công nghệ số cộng đồng Thôn Một có hai tổ trưởng trong tệp (dòng 2 và dòng 3)")
    );
    assert_eq!(count(&db, "select count(*) from person").await, 2, "nothing written");

    // The new leader's row first, the old leader's new role after it: a change of leader.
    let swap = sheet(vec![
        in_mot(2, "Nguyễn Văn An", "0912000001", "Tổ trưởng"),
        in_mot(3, "Lê Thị Hoa", "0912000003", "Tổ phó"),
        in_mot(4, "Trần Văn Bảo", "0912000002", "Thành viên"),
    ]);
    let dry = import(&db, &swap, true).await;
    assert!(dry.errors.is_empty(), "{:#?}", dry.errors);
    assert_eq!((dry.created, dry.updated), (1, 2));
    let r = import(&db, &swap, false).await;
    assert!(r.applied, "{:#?}", r.errors);
    assert_eq!(r.rows.iter().find(|o| o.row == 4).expect("Bảo").changes, ["vai trò"]);
    assert_eq!(role_of(&db, "0912000001").await, "leader");
    assert_eq!(role_of(&db, "0912000002").await, "member");
    assert_eq!(role_of(&db, "0912000003").await, "deputy");
    assert_eq!(
        count(&db, "select count(*) from membership where role = 'leader' and left_on is null").await,
        1,
        "one leader"
    );

    // And back, the old leader's row first.
    let back = sheet(vec![
        in_mot(2, "Nguyễn Văn An", "0912000001", "Thành viên"),
        in_mot(3, "Trần Văn Bảo", "0912000002", "Tổ trưởng"),
    ]);
    let r = import(&db, &back, false).await;
    assert!(r.applied, "{:#?}", r.errors);
    assert_eq!(role_of(&db, "0912000002").await, "leader");
    assert_eq!(role_of(&db, "0912000001").await, "member");
});

both_databases!(a_row_of_a_commune_outside_the_write_scope_is_refused_and_nothing_written, |db: Db| async move {
    load(&db).await;
    team(&db, "20335", "Thôn Một").await;
    team(&db, "20341", "Thôn Hai").await;
    let tan_thanh = units::by_code(&db, "20335").await.expect("Tân Thạnh").path;
    let rows = sheet(vec![
        in_mot(2, "Nguyễn Văn An", "0912000001", "Thành viên"),
        row(
            3,
            &[
                ("full_name", "Lê Văn Bảo"),
                ("gender", "Nam"),
                ("phone", "0912000002"),
                ("village", "Thôn Hai"),
                ("commune", "Phường An Mỹ"),
            ],
        ),
    ]);
    let may_write = |path: &str| path.starts_with(tan_thanh.as_str());
    let audit = count(&db, "select count(*) from audit_event").await;
    for dry_run in [true, false] {
        let r = import_members(&db, &rows, dry_run, &may_write, &|_, _| {}).await.expect("import");
        assert!(!r.applied);
        assert_eq!(error_on(&r, 3), (Some("J"), "Bạn không có quyền nhập danh sách cho Phường An Mỹ"));
        assert_eq!(r.errors.len(), 1, "{:#?}", r.errors);
        assert_eq!((r.created, r.rejected), (1, 1));
        assert_eq!(count(&db, "select count(*) from person").await, 0, "nothing is written");
        assert_eq!(count(&db, "select count(*) from audit_event").await, audit);
    }
    // Villages and teams take the same scope.
    let villages = place_sheet(vec![row(2, &[("commune", "Phường An Mỹ"), ("village", "Thôn Tư")])]);
    let r = store::import::import_villages(&db, &villages, false, &may_write, &|_, _| {}).await.expect("villages");
    assert!(!r.applied);
    assert_eq!(error_on(&r, 2), (Some("B"), "Bạn không có quyền nhập danh sách cho Phường An Mỹ"));
    let teams =
        place_sheet(vec![row(2, &[("commune", "An Mỹ"), ("village", "Thôn Hai"), ("established_on", "01/09/2023")])]);
    let r = store::import::import_teams(&db, &teams, false, &may_write, &|_, _| {}).await.expect("teams");
    assert_eq!(error_on(&r, 2), (Some("B"), "Bạn không có quyền nhập danh sách cho Phường An Mỹ"));
    assert_eq!(count(&db, "select count(*) from village").await, 2, "nothing is written");
});

both_databases!(missing_fields_and_every_kind_of_duplicate_are_named, |db: Db| async move {
    load(&db).await;
    let t = team(&db, "20335", "Thôn Một").await;
    member(&db, t, "Trần Văn Cường", "0912000009", "", "1980").await;
    let persons = count(&db, "select count(*) from person").await;
    let place: [(&str, &str); 2] = [("village", "Thôn Một"), ("commune", "Phường Tân Thạnh")];
    let at = |n: usize, values: &[(&str, &str)]| {
        let mut v = values.to_vec();
        v.extend(place);
        row(n, &v)
    };
    let an = [("full_name", "Nguyễn Văn An"), ("gender", "Nam")];
    let rows = sheet(vec![
        at(2, &[an[0], an[1], ("birth_date", "15/03/1985"), ("cccd", "049085000001"), ("phone", "0912000001")]),
        at(3, &[("full_name", "Lê Thị Bình"), ("gender", "Nữ")]),
        at(4, &[("full_name", "Phạm Minh Châu"), ("phone", "0912000004")]),
        // The same person as row 2 by phone and name, then by name, birth year and village.
        at(5, &[an[0], an[1], ("phone", "0912 000 001")]),
        at(6, &[an[0], an[1], ("birth_date", "1985"), ("phone", "0912000006")]),
        row(7, &[("full_name", "Đỗ Văn Dũng"), ("gender", "Nam"), ("phone", "0912000007"), ("village", "Thôn Một")]),
        // One registered person, found by phone on one row and by name, year and village on another.
        at(8, &[("full_name", "Trần Văn Cường"), ("gender", "Nam"), ("phone", "0912000009")]),
        at(9, &[("full_name", "Trần Văn Cường"), ("gender", "Nam"), ("birth_date", "1980"), ("phone", "0935000009")]),
    ]);
    for dry_run in [true, false] {
        let r = import(&db, &rows, dry_run).await;
        assert!(!r.applied);
        assert_eq!(error_on(&r, 3), (Some("F"), "Chưa nhập số điện thoại"));
        assert_eq!(error_on(&r, 4), (Some("C"), "Chưa ghi giới tính (Nam / Nữ) và không có số CCCD để suy ra"));
        assert_eq!(error_on(&r, 5), (None, "Trùng với dòng 2 của trang “Danh sách” (cùng số điện thoại và họ tên)"));
        assert_eq!(error_on(&r, 6), (None, "Trùng với dòng 2 của trang “Danh sách” (cùng họ tên, năm sinh và thôn)"));
        assert_eq!(error_on(&r, 7), (Some("J"), "Chưa nhập xã, phường"));
        assert_eq!(
            error_on(&r, 9),
            (None, "Trùng với dòng 8 của trang “Danh sách” (cùng một người đã có trong danh sách)")
        );
        assert_eq!(r.errors.len(), 6, "{:#?}", r.errors);
        let by_row = |n: usize| r.rows.iter().find(|o| o.row == n).expect("row");
        assert_eq!((by_row(2).action, by_row(2).matched_by), (Action::Created, None));
        assert_eq!((by_row(8).action, by_row(8).matched_by), (Action::Unchanged, Some(MatchRule::Phone)));
        assert_eq!(
            (by_row(9).action, by_row(9).matched_by.map(MatchRule::label)),
            (Action::Rejected, Some("họ tên, năm sinh và thôn")),
            "the report says which rule found the person"
        );
        assert_eq!((r.created, r.unchanged, r.rejected), (1, 1, 6));
        assert_eq!(count(&db, "select count(*) from person").await, persons, "nothing is written");
    }
});
