//! `congdongso import … --map`: correcting how the columns of a member list are read, the
//! mapping shown before the report, and the refusals of a correction that names nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_congdongso"));
    c.env_remove("CONGDONGSO_DB").env("RUST_LOG", "warn");
    c
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("congdongso-import-{}-{name}", std::process::id()));
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", p.display()));
    }
    p
}

fn run(db: &Path, args: &[&str]) -> Output {
    bin().arg("--db").arg(db).args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn with_store<T>(db: &Path, f: impl AsyncFnOnce(&store::Db) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let d = store::Db::connect(&db.to_string_lossy()).await.expect("open");
        let out = f(&d).await;
        d.close().await;
        out
    })
}

/// A migrated database with the units of 2023 and one team, in Thôn Một of Phường Tân Thạnh.
fn import_db(name: &str) -> PathBuf {
    let db = temp(&format!("{name}.db"));
    assert!(run(&db, &["migrate"]).status.success());
    with_store(&db, async |d| {
        let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
        store::units::load_state(d, &rows, store::demo::DEMO_UNITS_FROM).await.expect("units");
        let commune = store::units::by_code(d, "20335").await.expect("Tân Thạnh");
        let village = store::villages::create(d, &commune, "Thôn Một").await.expect("village");
        let team = domain::input::TeamDraft { established_on: "01/09/2023".into(), ..Default::default() }
            .parse(store::today())
            .expect("team");
        store::teams::create(d, &store::Scope::All, village, &team).await.expect("team");
    });
    db
}

fn people(db: &Path) -> i64 {
    with_store(db, async |d| {
        let all = store::people::MemberFilter { include_former: true, ..Default::default() };
        store::people::list(d, &store::Scope::All, &all, store::PageRequest::all()).await.expect("people").total
    })
}

fn report(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", stdout(o), stderr(o)))
}

/// Asserts a refusal before anything is read or written: exit 1 and one `lỗi:` line holding `msg`.
fn assert_refused(o: &Output, msg: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("lỗi: ") && err.contains(msg), "expected “{msg}”: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(stdout(o).is_empty(), "nothing on stdout: {}", stdout(o));
}

/// A member list whose phone column has a header no one recognises ("Liên hệ").
const LIST: &str = "Họ và tên,Giới tính,Liên hệ,Thôn,Xã,Ghi chú\n\
                    Nguyễn Văn An,Nam,0912000001,Thôn Một,Tân Thạnh,mới\n\
                    Lê Thị Bình,Nữ,0912000002,Thôn Một,Tân Thạnh,\n";

#[test]
fn a_column_the_header_does_not_name_is_mapped_with_map() {
    let db = import_db("map");
    let file = temp("lien-he.csv");
    std::fs::write(&file, LIST).expect("csv");
    let path = file.to_string_lossy().into_owned();

    // Without --map: no phone column; the mapping shows it, the rows are refused.
    let o = run(&db, &["import", "members", &path, "--dry-run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!(r["errors"][0]["message"], "Chưa nhập số điện thoại");
    let m = &r["mappings"][0];
    assert_eq!((m["header_row"].as_i64(), m["columns"][2]["letter"].as_str()), (Some(1), Some("C")));
    assert_eq!((m["columns"][2]["header"].as_str(), m["columns"][2]["field"].as_str()), (Some("Liên hệ"), None));
    assert_eq!(m["columns"][5]["field"], "Ghi chú");
    for k in ["created", "updated", "unchanged", "rejected", "warnings", "errors", "rows", "dry_run", "applied"] {
        assert!(r.get(k).is_some(), "the report keeps {k}: {r}");
    }
    let table = stdout(&run(&db, &["import", "members", &path, "--dry-run"]));
    assert!(table.contains("lien-he”, dòng tiêu đề 1:"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("C ") && l.contains("Liên hệ") && l.ends_with("(bỏ qua)")), "{table}");

    // With it, by letter and by header text: the rows are read and applied.
    let o = run(
        &db,
        &["import", "members", &path, "--map", "C=Số điện thoại", "--map", "Ghi chú=bỏ qua", "--format", "json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!((r["created"].as_i64(), r["applied"].as_bool()), (Some(2), Some(true)), "{r}");
    let columns = r["mappings"][0]["columns"].as_array().expect("columns");
    assert_eq!(columns[2]["field"], "Số điện thoại");
    assert_eq!(columns[5]["field"], serde_json::Value::Null, "ignored");
    assert_eq!(people(&db), 2);

    // The table shows the mapping before the report.
    let o = run(&db, &["import", "members", &path, "--map", "liên hệ=phone", "--map", "F=-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    let mapping = table.find("dòng tiêu đề 1:").expect("mapping shown");
    let summary = table.find("Đã nhập: thêm mới 0, cập nhật 0, không đổi 2").expect("report");
    assert!(mapping < summary, "{table}");
    assert!(table.lines().any(|l| l.starts_with("C ") && l.ends_with("Số điện thoại")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("F ") && l.ends_with("(bỏ qua)")), "{table}");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_map_naming_no_column_or_no_field_is_refused() {
    let db = import_db("map-bad");
    let file = temp("map-bad.csv");
    std::fs::write(&file, LIST).expect("csv");
    let path = file.to_string_lossy().into_owned();
    let o = run(&db, &["import", "members", &path, "--map", "C=Quê quán"]);
    assert_refused(&o, "--map “C=Quê quán”: Không hiểu “Quê quán” là thông tin gì");
    let o = run(&db, &["import", "members", &path, "--map", "Z=Số điện thoại"]);
    assert_refused(&o, "--map: Không có cột “Z” trong bảng");
    let o = run(&db, &["import", "members", &path, "--map", "Điện thoại bàn=Số điện thoại"]);
    assert_refused(&o, "Không có cột “Điện thoại bàn”");
    let o = run(&db, &["import", "members", &path, "--map", "C"]);
    assert_refused(&o, "--map “C”: hãy ghi CỘT=THÔNG TIN");
    let o = run(&db, &["import", "villages", &path, "--map", "C=Số điện thoại"]);
    assert_refused(&o, "Danh sách thôn, tổ không có thông tin “Số điện thoại”");
    assert_eq!(people(&db), 0, "nothing is written");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_list_of_teams_is_corrected_with_map_too() {
    let db = temp("map-teams.db");
    assert!(run(&db, &["migrate"]).status.success());
    with_store(&db, async |d| {
        let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
        store::units::load_state(d, &rows, store::demo::DEMO_UNITS_FROM).await.expect("units");
    });
    let villages = temp("map-thon.csv");
    std::fs::write(&villages, "Xã,Thôn\nTân Thạnh,Thôn Một\n").expect("csv");
    assert!(run(&db, &["import", "villages", &villages.to_string_lossy()]).status.success());
    // The founding day sits under a header the reader does not know.
    let teams = temp("map-to.csv");
    std::fs::write(&teams, "Xã,Thôn,Theo quyết định ngày,Ghi chú\nTân Thạnh,Thôn Một,01/09/2023,Zalo: chưa có\n")
        .expect("csv");
    let path = teams.to_string_lossy().into_owned();
    let without = report(&run(&db, &["import", "teams", &path, "--dry-run", "--format", "json"]));
    assert!(!without["errors"].as_array().expect("errors").is_empty(), "no founding day without --map: {without}");
    let with = report(&run(&db, &["import", "teams", &path, "--map", "C=Ngày thành lập", "--format", "json"]));
    assert_eq!((with["created"].as_i64(), with["applied"].as_bool()), (Some(1), Some(true)), "{with}");
    let mapping = &with["mappings"][0]["columns"];
    assert_eq!(mapping[2]["field"].as_str(), Some("Ngày thành lập"), "{mapping}");
    with_store(&db, async |d| {
        let all = store::teams::list(d, &store::Scope::All, &Default::default(), store::PageRequest::all())
            .await
            .expect("teams");
        assert_eq!(all.items.iter().map(|t| t.established_on.as_str()).collect::<Vec<_>>(), ["2023-09-01"]);
    });
}

#[test]
fn total_and_blank_rows_anywhere_in_a_list_are_not_imported() {
    let db = temp("totals.db");
    assert!(run(&db, &["migrate"]).status.success());
    with_store(&db, async |d| {
        let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
        store::units::load_state(d, &rows, store::demo::DEMO_UNITS_FROM).await.expect("units");
    });
    let file = |name: &str, text: &str| {
        let p = temp(name);
        std::fs::write(&p, text).expect("csv");
        p.to_string_lossy().into_owned()
    };
    let villages = file(
        "thon-tong.csv",
        "DANH SÁCH THÔN, TỔ DÂN PHỐ\nSTT,Huyện,Xã,Thôn\n(1),(2),(3),(4)\n1,Tam Kỳ,Tân Thạnh,Thôn Một\n,,,\n,,Cộng,1\n\
         2,Tam Kỳ,An Mỹ,Thôn Hai\n,,Tổng,\n,,,2\nTổng cộng,,,2\n3,Tam Kỳ,An Mỹ,Thôn Ba\n,Người lập biểu,,\n,Thôn Giả,,\n",
    );
    let r = report(&run(&db, &["import", "villages", &villages, "--format", "json"]));
    assert_eq!((r["created"].as_i64(), r["applied"].as_bool()), (Some(3), Some(true)), "{r}");
    let names: Vec<&str> = r["rows"].as_array().expect("rows").iter().filter_map(|x| x["name"].as_str()).collect();
    assert_eq!(names, ["Thôn Một", "Thôn Hai", "Thôn Ba"]);
    assert_eq!(
        r["rows"].as_array().expect("rows").iter().map(|x| x["row"].as_i64()).collect::<Vec<_>>(),
        [Some(4), Some(7), Some(11)]
    );

    let teams = file(
        "to-tong.csv",
        "Xã,Thôn,Ngày thành lập\nTân Thạnh,Thôn Một,01/09/2023\n,,\nCộng,,1\nAn Mỹ,Thôn Hai,02/09/2023\n\
         TỔNG CỘNG,,2\n,,2\n",
    );
    let r = report(&run(&db, &["import", "teams", &teams, "--format", "json"]));
    assert_eq!((r["created"].as_i64(), r["applied"].as_bool()), (Some(2), Some(true)), "{r}");
    assert_eq!(r["rows"].as_array().expect("rows").len(), 2);

    let members = file(
        "tv-tong.csv",
        "Họ và tên,Giới tính,SĐT,Thôn,Xã\nNguyễn Văn An,Nam,0912000001,Thôn Một,Tân Thạnh\n,,,,\nCộng,,,,1\n\
         Lê Thị Bình,Nữ,0912000002,Thôn Hai,An Mỹ\n,,,,2\nTổng cộng,,,,2\n",
    );
    let r = report(&run(&db, &["import", "members", &members, "--format", "json"]));
    assert_eq!((r["created"].as_i64(), r["errors"].as_array().map(Vec::len)), (Some(2), Some(0)), "{r}");
    with_store(&db, async |d| {
        let all = store::villages::list(d, &store::Scope::All, &Default::default(), store::PageRequest::all())
            .await
            .expect("villages");
        assert_eq!(all.total, 3, "no village named “Cộng” or “Tổng”");
    });
    for f in [villages, teams, members] {
        let _ = std::fs::remove_file(f);
    }
}
