//! The `congdongso` binary as an operator uses it: exit codes, one-line errors, and the JSON
//! that provinces script against.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_congdongso"));
    c.env_remove("CONGDONGSO_DB").env("RUST_LOG", "warn");
    c
}

fn temp_db(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("congdongso-cli-{}-{name}.db", std::process::id()));
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", p.display()));
    }
    p
}

fn run(db: &PathBuf, args: &[&str]) -> Output {
    bin().arg("--db").arg(db).args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One demo database shared by the read-only tests of this file.
fn demo_db() -> &'static PathBuf {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let db = temp_db("demo");
        let o = run(&db, &["demo"]);
        assert!(o.status.success(), "demo failed: {}", stderr(&o));
        assert!(stdout(&o).contains("1240 thôn"), "{}", stdout(&o));
        db
    })
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "command failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

#[test]
fn coverage_json_reproduces_the_report() {
    let c = json(&run(demo_db(), &["report", "coverage", "--unit", "49", "--as-of", "2024-08-28", "--format", "json"]));
    assert_eq!(c["as_of"], "2024-08-28");
    assert_eq!(c["boundaries"], "then");
    assert_eq!(c["unit"]["code"], "49");
    assert_eq!(c["unit"]["name"], "Tỉnh Quảng Nam");
    assert_eq!(c["unit"]["level"], "province");
    assert_eq!(c["villages"], 1240);
    assert_eq!(c["villages_with_team"], 1218);
    assert_eq!(c["teams"], 1218);
    assert!(c["members"].as_i64().expect("members") > 7000);
    for k in ["teams_under_5_members", "teams_without_commune_official", "teams_without_leader"] {
        assert_eq!(c[k], 0, "{k}");
    }
    let children = c["children"].as_array().expect("children");
    assert_eq!(children.len(), 18, "18 districts");
    for k in ["villages", "villages_with_team", "teams", "members"] {
        let sum: i64 = children.iter().map(|ch| ch[k].as_i64().expect("number")).sum();
        assert_eq!(Some(sum), c[k].as_i64(), "children's {k} add up to the total");
    }
    let tam_ky = children.iter().find(|ch| ch["unit"]["code"] == "502").expect("Tam Kỳ");
    assert_eq!(tam_ky["teams"], 85);
    assert!(tam_ky["children"].as_array().is_some());
}

#[test]
fn coverage_across_the_2025_reorganisations() {
    // 01/01/2025: Nông Sơn merged into Quế Sơn; the same villages and teams.
    let mar =
        json(&run(demo_db(), &["report", "coverage", "--unit", "49", "--as-of", "2025-03-01", "--format", "json"]));
    assert_eq!(mar["children"].as_array().map(Vec::len), Some(17));
    assert_eq!((mar["villages"].as_i64(), mar["teams"].as_i64()), (Some(1240), Some(1218)));
    // Today: Đà Nẵng holds them under the 78 communes that came from Quảng Nam.
    let now = json(&run(demo_db(), &["report", "coverage", "--unit", "48", "--format", "json"]));
    assert_eq!(now["unit"]["name"], "Thành phố Đà Nẵng");
    assert_eq!((now["villages"].as_i64(), now["teams"].as_i64()), (Some(1240), Some(1218)));
    let with_villages =
        now["children"].as_array().expect("children").iter().filter(|c| c["villages"].as_i64() > Some(0)).count();
    assert_eq!(with_villages, 78);
    // A code that no longer exists, without a day: as of its last day, and it says so.
    let o = run(demo_db(), &["report", "coverage", "--unit", "49", "--format", "json"]);
    let gone = json(&o);
    assert_eq!(gone["as_of"], "2025-06-30");
    assert!(gone["note"].as_str().is_some_and(|n| n.contains("không còn từ ngày 01/07/2025")));
    assert!(stderr(&o).contains("30/06/2025"));
    // The report's day on today's boundaries.
    let then_today = json(&run(
        demo_db(),
        &["report", "coverage", "--unit", "48", "--as-of", "2024-08-28", "--boundaries", "today", "--format", "json"],
    ));
    assert_eq!((then_today["villages"].as_i64(), then_today["teams"].as_i64()), (Some(1240), Some(1218)));
    let o = run(demo_db(), &["report", "coverage", "--unit", "49", "--as-of", "2024-08-28", "--boundaries", "today"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--boundaries then"));
    // Lists are of today's units; an ended code says so and where to look.
    let o = run(demo_db(), &["teams", "list", "--unit", "502"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("không còn từ ngày 01/07/2025") && stderr(&o).contains("--as-of"), "{}", stderr(&o));
}

#[test]
fn applying_a_change_set_twice_changes_nothing() {
    let db = temp_db("apply");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/admin-units/");
    assert!(run(&db, &["demo"]).status.success());
    let args = |dry: bool| {
        let mut a = vec![
            "units".to_owned(),
            "apply".to_owned(),
            "--changes".to_owned(),
            format!("{data}changes-2025-07-01.csv"),
            "--state".to_owned(),
            format!("{data}da-nang-2025-07-01.csv"),
            "--effective".to_owned(),
            "2025-07-01".to_owned(),
        ];
        if dry {
            a.push("--dry-run".to_owned());
        }
        a
    };
    let o = bin().arg("--db").arg(&db).args(args(true)).output().expect("runs");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Không có gì thay đổi"), "the demo has it applied already: {}", stdout(&o));
    let o = bin()
        .arg("--db")
        .arg(&db)
        .args(["units", "apply", "--changes", "/no/such.csv", "--state", "/no/such.csv", "--effective", "2025-07-01"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("không đọc được tệp"));
}

#[test]
fn coverage_of_a_commune_lists_its_villages() {
    let c = json(&run(demo_db(), &["report", "coverage", "--unit", "20335", "--format", "json"]));
    assert_eq!(c["unit"]["level"], "commune");
    let villages = c["children"].as_array().expect("children");
    assert_eq!(villages.len() as i64, c["villages"].as_i64().expect("villages"));
    assert!(
        villages
            .iter()
            .all(|v| v["unit"]["level"] == "village" && v["unit"]["code"].as_str().is_some_and(|s| s.starts_with('v')))
    );
}

#[test]
fn members_list_in_vietnamese_name_order() {
    let list = json(&run(demo_db(), &["members", "list", "--unit", "48", "--format", "json"]));
    let list = list.as_array().expect("array");
    assert!(list.len() > 7000, "the demo's members, today in Đà Nẵng");
    for m in list {
        for k in ["id", "full_name", "phone", "team", "village", "commune"] {
            assert!(!m[k].is_null(), "{k} missing in {m}");
        }
    }
    // The database's order is the Vietnamese order of the domain's key (given name first),
    // whose own correctness the domain tests check letter by letter.
    let names: Vec<&str> = list.iter().map(|m| m["full_name"].as_str().unwrap_or_default()).collect();
    let mut expected = names.clone();
    expected.sort_by_cached_key(|n| domain::text::person_sort_key(n));
    assert_eq!(names, expected);
    assert!(
        names.first().is_some_and(|n| n.ends_with(" An") || n.rsplit(' ').next().is_some_and(|g| g.starts_with('A')))
    );
}

#[test]
fn member_search_ignores_diacritics() {
    let found = json(&run(demo_db(), &["members", "search", "nguyen van", "--format", "json"]));
    let found = found.as_array().expect("array");
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|m| domain::text::fold(m["full_name"].as_str().unwrap_or_default()).contains("nguyen van"))
    );
    let upper = json(&run(demo_db(), &["members", "search", "NGUYEN VAN", "--format", "json"]));
    assert_eq!(upper.as_array().map(Vec::len), Some(found.len()));
}

#[test]
fn teams_list_and_show_share_ids() {
    let teams = json(&run(demo_db(), &["teams", "list", "--unit", "48", "--format", "json"]));
    let teams = teams.as_array().expect("array");
    assert_eq!(teams.len(), 1218);
    let t = &teams[0];
    for k in ["id", "name", "village", "commune", "members"] {
        assert!(!t[k].is_null(), "{k} missing");
    }
    let id = t["id"].as_i64().expect("id").to_string();
    let shown = json(&run(demo_db(), &["teams", "show", &id, "--format", "json"]));
    assert_eq!(shown["name"], t["name"]);
    assert_eq!(
        shown["member_list"].as_array().map(Vec::len) as Option<usize>,
        t["members"].as_u64().map(|n| n as usize)
    );
}

#[test]
fn csv_and_table_formats() {
    let o = run(demo_db(), &["units", "list", "--level", "commune", "--unit", "48", "--format", "csv"]);
    let text = stdout(&o);
    assert!(text.starts_with("Mã,Tên,Cấp\r\n"), "{text}");
    assert_eq!(text.lines().count(), 95, "Đà Nẵng's 94 communes and the header");
    let o = run(demo_db(), &["units", "list", "--search", "tam ky"]);
    assert!(stdout(&o).contains("Phường Tam Kỳ"), "{}", stdout(&o));
}

#[test]
fn errors_are_one_line_and_non_zero() {
    let db = demo_db();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["demo"], "chỉ nạp dữ liệu mẫu vào cơ sở dữ liệu trống"),
        (vec!["teams", "show", "99999999"], "Không tìm thấy"),
        (vec!["report", "coverage", "--unit", "12345678"], "Không có đơn vị hành chính mã 12345678"),
    ];
    for (args, msg) in cases {
        let o = run(db, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(err.starts_with("lỗi: ") && err.contains(msg), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(!err.contains("panicked"));
    }
    let o = bin().args(["--db", "/nonexistent-dir/x/y.db", "units", "list"]).output().expect("runs");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("lỗi: không mở được tệp SQLite"), "{}", stderr(&o));
    let o = bin().args(["teams", "show", "not-a-number"]).output().expect("runs");
    assert_eq!(o.status.code(), Some(2), "bad arguments");
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "one line: {}", stderr(&o));
    assert!(stderr(&o).starts_with("lỗi: "));
    let o = bin().args(["teams", "list", "--format", "xml"]).output().expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "one line: {}", stderr(&o));
}

#[test]
fn users_get_generated_or_given_passwords() {
    let db = temp_db("users");
    let o = run(&db, &["user", "add", "canbo.xa", "--role", "viewer", "--name", "Cán bộ xã"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let pw = out.rsplit(": ").next().unwrap_or_default().trim();
    assert_eq!(pw.len(), 16, "{out}");
    let o = run(&db, &["user", "add", "canbo.xa", "--role", "viewer"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("đã có"));
    let mut child = bin()
        .arg("--db")
        .arg(&db)
        .args(["user", "passwd", "canbo.xa", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(b"ngan\n").expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("ít nhất 10 ký tự"));
    let list = json(&run(&db, &["user", "list", "--format", "json"]));
    assert_eq!(list[0]["login"], "canbo.xa");
    assert!(!stdout(&run(&db, &["user", "list", "--format", "json"])).contains("argon2"), "no hash printed");
}

/// A running `serve`, stopped when dropped (also when a test fails half-way).
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` on a free port; returns it, the address it printed, and all it printed
/// before.
fn start_serve(db: &PathBuf, demo: bool) -> (Server, String, String) {
    let mut cmd = bin();
    cmd.arg("--db").arg(db).args(["serve", "--addr", "127.0.0.1:0"]);
    if demo {
        cmd.arg("--demo");
    }
    let mut server = Server(cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn serve"));
    let out = server.0.stdout.take().expect("stdout");
    let mut printed = String::new();
    for line in BufReader::new(out).lines() {
        let line = line.expect("line");
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.split("http://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap_or_default().to_owned();
            return (server, addr, printed);
        }
    }
    panic!("serve ended without printing its address: {printed}");
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn serve_demo_prints_a_password_once_and_keeps_data() {
    let db = temp_db("serve");
    let (server, addr, printed) = start_serve(&db, true);
    assert!(printed.contains("Tên đăng nhập: admin"), "{printed}");
    let pw_line = printed.lines().find(|l| l.contains("Mật khẩu:")).expect("password line");
    assert!(pw_line.split_whitespace().last().is_some_and(|p| p.len() == 16));
    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200") && health.contains("\"status\":\"ok\""), "{health}");
    let login = http_get(&addr, "/");
    assert!(login.starts_with("HTTP/1.1 303"), "{login}");
    drop(server);
    // A change, then a second run: no new password, the change is kept, no second demo.
    let o = run(&db, &["user", "add", "thu.nghiem", "--role", "viewer"]);
    assert!(o.status.success());
    let (server, _addr, printed) = start_serve(&db, true);
    drop(server);
    assert!(!printed.contains("Mật khẩu:"), "{printed}");
    let users = json(&run(&db, &["user", "list", "--format", "json"]));
    assert_eq!(users.as_array().map(Vec::len), Some(2));
    let c = json(&run(&db, &["report", "coverage", "--format", "json"]));
    assert_eq!(c["teams"], 1218, "the demo was loaded once");
}

#[test]
fn api_tokens_from_the_command_line() {
    let db = temp_db("tokens");
    assert!(run(&db, &["user", "add", "may.chu", "--role", "viewer"]).status.success());
    let o = run(&db, &["user", "token", "may.chu", "--name", "Báo cáo đêm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let secret = stdout(&o).lines().last().unwrap_or_default().trim().to_owned();
    assert!(secret.starts_with("cds_") && secret.len() == 68, "{secret}");
    let list = json(&run(&db, &["user", "tokens", "may.chu", "--format", "json"]));
    assert_eq!(list[0]["name"], "Báo cáo đêm");
    assert!(list[0]["revoked_at"].is_null());
    assert!(!stdout(&run(&db, &["user", "tokens", "may.chu", "--format", "json"])).contains(&secret), "never listed");
    let id = list[0]["api_token_id"].as_i64().expect("id").to_string();
    assert!(run(&db, &["user", "token-revoke", "may.chu", &id]).status.success());
    let list = json(&run(&db, &["user", "tokens", "may.chu", "--format", "json"]));
    assert!(list[0]["revoked_at"].is_string());
    let again = run(&db, &["user", "token-revoke", "may.chu", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("đã bị thu hồi"));
    assert_eq!(run(&db, &["user", "token", "ai.do"]).status.code(), Some(1));
}

#[test]
fn the_command_line_writes_as_the_cli() {
    let db = temp_db("audit");
    assert!(run(&db, &["user", "add", "nguoi.ghi", "--role", "viewer"]).status.success());
    // The trail has no command of its own yet: read it with the store.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let rows = rt.block_on(async {
        let d = store::Db::connect(&db.to_string_lossy()).await.expect("open");
        let all = store::audit::Filter { scope: store::Scope::All, ..store::audit::Filter::default() };
        let rows = store::audit::list(&d, &all, store::PageRequest::all()).await.expect("audit").items;
        d.close().await;
        rows
    });
    // Newest first: the grant, then the user it was made with, both by the CLI.
    let e = &rows[1];
    assert_eq!(
        (e.actor.as_str(), e.channel.as_str(), e.entity.as_str(), e.action.as_str()),
        ("cli", "cli", "user", "create")
    );
    assert!(e.after_json.as_deref().is_some_and(|a| a.contains("nguoi.ghi")));
    let g = &rows[0];
    assert_eq!((g.actor.as_str(), g.entity.as_str(), g.action.as_str()), ("cli", "grant", "create"));
    assert!(g.after_json.as_deref().is_some_and(|a| a.contains("Người xem — toàn quốc")), "{:?}", g.after_json);
}

/// Runs `f` on the database file through the store: what the command line does not print
/// (the trail, an account's state, a token's use) is read there.
fn with_store<T>(db: &Path, f: impl AsyncFnOnce(&store::Db) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let d = store::Db::connect(&db.to_string_lossy()).await.expect("open");
        let out = f(&d).await;
        d.close().await;
        out
    })
}

/// The audit trail, newest first.
fn audit_trail(db: &Path) -> Vec<store::audit::Recorded> {
    with_store(db, async |d| {
        let all = store::audit::Filter { scope: store::Scope::All, ..store::audit::Filter::default() };
        store::audit::list(d, &all, store::PageRequest::all()).await.expect("audit").items
    })
}

/// A fresh database holding the demo, as it stands today (Đà Nẵng).
fn fresh_demo(name: &str) -> PathBuf {
    let db = temp_db(name);
    let o = run(&db, &["demo"]);
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
    db
}

/// Asserts a refusal: the exit code and one `lỗi:` line holding `msg`.
fn assert_refused(o: &Output, code: i32, msg: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(err.starts_with("lỗi: ") && err.contains(msg), "expected “{msg}”: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(stdout(o).is_empty(), "nothing on stdout: {}", stdout(o));
}

#[test]
fn a_commune_officer_is_added_on_a_current_commune() {
    let db = fresh_demo("officer");
    let communes = json(&run(&db, &["units", "list", "--unit", "48", "--level", "commune", "--format", "json"]));
    let commune = &communes.as_array().expect("array")[0];
    let (code, name) = (commune["code"].as_str().expect("code"), commune["name"].as_str().expect("name"));
    let label = format!("Cán bộ xã — {code} {name}");

    let o = run(&db, &["user", "add", "canbo.xa", "--role", "commune-officer", "--unit", code, "--name", "Cán bộ xã"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with(&format!("Đã tạo người dùng canbo.xa ({label}).")), "{}", stdout(&o));
    let grants = json(&run(&db, &["user", "grants", "canbo.xa", "--format", "json"]));
    let grants = grants.as_array().expect("array");
    assert_eq!(grants.len(), 1, "{grants:?}");
    let g = &grants[0];
    assert_eq!(
        (&g["login"], &g["role"], &g["status"]),
        (&"canbo.xa".into(), &"commune_officer".into(), &"active".into())
    );
    assert_eq!((&g["unit_code"], &g["unit_name"]), (&code.into(), &name.into()));
    assert!(g["team_id"].is_null() && g["passed_from"].is_null(), "{g}");

    // The list: the account as JSON (no secret), its grants in the table.
    let o = run(&db, &["user", "list", "--format", "json"]);
    let users = json(&o);
    assert_eq!(users.as_array().map(Vec::len), Some(1));
    assert_eq!((&users[0]["login"], &users[0]["display_name"]), (&"canbo.xa".into(), &"Cán bộ xã".into()));
    assert_eq!(users[0]["status"], "active");
    assert!(!stdout(&o).contains("argon2") && !stdout(&o).contains("password"), "{}", stdout(&o));
    let table = stdout(&run(&db, &["user", "list"]));
    assert!(table.contains(&label), "{table}");

    // A commune officer holds a commune: not the province, not the country.
    let o = run(&db, &["user", "add", "canbo.tinh", "--role", "commune-officer", "--unit", "48"]);
    assert_refused(&o, 1, "48 Thành phố Đà Nẵng không phải cấp xã");
    let o = run(&db, &["user", "add", "canbo.tinh", "--role", "commune-officer"]);
    assert_refused(&o, 1, "Cán bộ xã được phân quyền trên một xã (--unit MÃ)");
    // A district of before July 2025 is no current unit.
    let o = run(&db, &["user", "add", "canbo.tinh", "--role", "commune-officer", "--unit", "502"]);
    assert_refused(&o, 1, "Không có đơn vị hành chính mã 502");
    // A team leader holds a team; only a team leader holds one.
    let o = run(&db, &["user", "add", "to.truong", "--role", "team-leader"]);
    assert_refused(&o, 1, "--team SỐ");
    let o = run(&db, &["user", "add", "to.truong", "--role", "viewer", "--team", "1"]);
    assert_refused(&o, 1, "Chỉ vai trò tổ trưởng");
    // Arguments clap refuses.
    let o = run(&db, &["user", "add", "to.truong", "--role", "chu-tich"]);
    assert_refused(&o, 2, "chu-tich");
    let o = run(&db, &["user", "add", "to.truong", "--role", "viewer", "--unit", code, "--team", "1"]);
    assert_refused(&o, 2, "--team");
    // None of the refused accounts exists.
    let users = json(&run(&db, &["user", "list", "--format", "json"]));
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");
}

#[test]
fn grants_are_given_and_taken_back() {
    let db = fresh_demo("grant");
    assert!(run(&db, &["user", "add", "nguoi.xem", "--role", "viewer", "--unit", "48"]).status.success());
    let grants_of = |db: &PathBuf| json(&run(db, &["user", "grants", "nguoi.xem", "--format", "json"]));

    let o = run(&db, &["user", "grant", "nguoi.xem", "--role", "province-officer", "--unit", "48"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "Đã cấp cho nguoi.xem: Cán bộ tỉnh — 48 Thành phố Đà Nẵng.");
    let roles: Vec<String> = grants_of(&db)
        .as_array()
        .expect("array")
        .iter()
        .map(|g| g["role"].as_str().unwrap_or_default().into())
        .collect();
    assert_eq!(roles.len(), 2, "{roles:?}");
    assert!(roles.contains(&"province_officer".to_owned()) && roles.contains(&"viewer".to_owned()), "{roles:?}");
    let o = run(&db, &["user", "grant", "nguoi.xem", "--role", "province-officer", "--unit", "48"]);
    assert_refused(&o, 1, "đã có quyền này");
    assert_eq!(grants_of(&db).as_array().map(Vec::len), Some(2), "not stored twice");

    let o = run(&db, &["user", "revoke", "nguoi.xem", "--role", "province-officer", "--unit", "48"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "Đã thu hồi của nguoi.xem: Cán bộ tỉnh — 48 Thành phố Đà Nẵng.");
    let left = grants_of(&db);
    assert_eq!(left.as_array().map(Vec::len), Some(1), "{left}");
    assert_eq!(left[0]["role"], "viewer", "the other grant stays");
    let o = run(&db, &["user", "revoke", "nguoi.xem", "--role", "province-officer", "--unit", "48"]);
    assert_refused(&o, 1, "nguoi.xem không có quyền Cán bộ tỉnh — 48 Thành phố Đà Nẵng");
    // The same role on another unit is another grant: not taken by a revoke on the province.
    let o = run(&db, &["user", "revoke", "nguoi.xem", "--role", "viewer", "--unit", "20335"]);
    assert_refused(&o, 1, "không có quyền");
    assert_eq!(grants_of(&db).as_array().map(Vec::len), Some(1));

    // A team leader, by team, given and taken back the same way.
    let teams = json(&run(&db, &["teams", "list", "--unit", "48", "--format", "json"]));
    let team = &teams.as_array().expect("array")[0];
    let id = team["id"].as_i64().expect("id").to_string();
    let o = run(&db, &["user", "grant", "nguoi.xem", "--role", "team-leader", "--team", &id]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("Tổ trưởng — {}", team["name"].as_str().unwrap_or_default())),
        "{}",
        stdout(&o)
    );
    let led = grants_of(&db);
    let led = led.as_array().expect("array").iter().find(|g| g["role"] == "team_leader").cloned().expect("team grant");
    assert_eq!((led["team_id"].as_i64(), &led["status"]), (team["id"].as_i64(), &"active".into()));
    assert!(run(&db, &["user", "revoke", "nguoi.xem", "--role", "team-leader", "--team", &id]).status.success());
    assert!(grants_of(&db).as_array().expect("array").iter().all(|g| g["role"] != "team_leader"));

    // The trail holds each change, by the command line.
    let trail = audit_trail(&db);
    let actions: Vec<&str> = trail.iter().filter(|e| e.entity == "grant").map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["revoke", "create", "revoke", "create", "create"], "newest first");
    assert!(trail.iter().filter(|e| e.entity == "grant").all(|e| e.actor == "cli"));
}

#[test]
fn grants_a_reorganisation_passes_on_wait_for_confirmation() {
    let db = temp_db("pending");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/admin-units/");
    // Quảng Nam's units of 2023, none of 2025's changes applied yet.
    with_store(&db, async |d| {
        d.migrate().await.expect("migrate");
        let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
        store::units::load_state(d, &rows, store::demo::DEMO_UNITS_FROM).await.expect("load units");
    });
    // A district is no commune.
    let o = run(&db, &["user", "add", "canbo.tamky", "--role", "commune-officer", "--unit", "502"]);
    assert_refused(&o, 1, "502 Thành phố Tam Kỳ không phải cấp xã");
    let o = run(&db, &["user", "add", "canbo.phuochoa", "--role", "commune-officer", "--unit", "20338"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("(Cán bộ xã — 20338 Phường Phước Hòa)"), "{}", stdout(&o));

    let apply = |changes: &str, state: &str, day: &str| {
        let o = run(
            &db,
            &[
                "units",
                "apply",
                "--changes",
                &format!("{data}{changes}"),
                "--state",
                &format!("{data}{state}"),
                "--effective",
                day,
                "--format",
                "json",
            ],
        );
        json(&o)
    };
    // 01/01/2025: Phước Hòa (20338) merges into An Xuân (20347); the grant passes on, pending.
    let jan = apply("changes-2025-01-01.csv", "quang-nam-2025-01-01.csv", "2025-01-01");
    assert_eq!(jan["grants_passed"], 1, "{jan}");
    let grants = json(&run(&db, &["user", "grants", "canbo.phuochoa", "--format", "json"]));
    assert_eq!(grants.as_array().map(Vec::len), Some(1), "{grants}");
    let g = &grants[0];
    assert_eq!((&g["unit_code"], &g["status"]), (&"20347".into(), &"pending".into()), "{g}");
    assert_eq!(g["passed_from"], "20338 Phường Phước Hòa");
    let everyone = json(&run(&db, &["user", "grants", "--format", "json"]));
    assert_eq!(everyone[0]["grant_id"], g["grant_id"], "pending grants first: {everyone}");
    let table = stdout(&run(&db, &["user", "grants"]));
    assert!(table.contains("chờ xác nhận") && table.contains("20338 Phường Phước Hòa"), "{table}");
    // Pending, it allows nothing.
    let access = |db: &PathBuf| {
        with_store(db, async |d| {
            let user = store::users::by_login(d, "canbo.phuochoa").await.expect("user");
            store::access::access_of(d, user.user_id).await.expect("access")
        })
    };
    assert_eq!(access(&db), store::access::Access::nothing());

    let o = run(&db, &["user", "confirm", "--all"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "Đã xác nhận 1 quyền chờ xác nhận.");
    let confirmed = json(&run(&db, &["user", "grants", "canbo.phuochoa", "--format", "json"]));
    assert_eq!((&confirmed[0]["grant_id"], &confirmed[0]["status"]), (&g["grant_id"], &"active".into()));
    let a = access(&db);
    assert!(a.writes("49/502/20347/") && !a.writes("49/502/20341/"), "{a:?}");
    let o = run(&db, &["user", "confirm", "--all"]);
    assert_eq!(stdout(&o).trim_end(), "Đã xác nhận 0 quyền chờ xác nhận.");

    // 01/07/2025: An Xuân merges into Phường Tam Kỳ (20341) of Đà Nẵng; confirmed by its number.
    let jul = apply("changes-2025-07-01.csv", "da-nang-2025-07-01.csv", "2025-07-01");
    assert_eq!(jul["grants_passed"], 1, "{jul}");
    let grants = json(&run(&db, &["user", "grants", "canbo.phuochoa", "--format", "json"]));
    let g = &grants[0];
    assert_eq!((&g["unit_code"], &g["status"]), (&"20341".into(), &"pending".into()), "{g}");
    assert_eq!(g["passed_from"], "20347 Phường An Xuân");
    let id = g["grant_id"].as_i64().expect("id").to_string();
    let o = run(&db, &["user", "confirm", &id]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), format!("Đã xác nhận quyền số {id}."));
    assert_eq!(json(&run(&db, &["user", "grants", "canbo.phuochoa", "--format", "json"]))[0]["status"], "active");
    assert!(access(&db).writes("48/20341/"));

    let o = run(&db, &["user", "confirm", "999999"]);
    assert_refused(&o, 1, "Không tìm thấy quyền này");
    let o = run(&db, &["user", "confirm", &id, "--all"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_disabled_account_cannot_be_used_until_enabled() {
    let db = temp_db("disable");
    assert!(run(&db, &["user", "add", "may.chu", "--role", "viewer"]).status.success());
    let o = run(&db, &["user", "token", "may.chu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let secret = stdout(&o).lines().last().unwrap_or_default().trim().to_owned();
    // What a login, a request with the token and a browser session find.
    let state = |db: &PathBuf, secret: &str, session: &str| {
        with_store(db, async |d| {
            let status = store::users::login_state(d, "may.chu").await.expect("state").expect("account").user.status;
            let by_token = store::users::token_user(d, secret).await.expect("token").map(|u| u.login);
            let by_session = store::users::session(d, session).await.expect("session").map(|s| s.user.login);
            (status, by_token, by_session)
        })
    };
    let session = with_store(&db, async |d| {
        let user = store::users::by_login(d, "may.chu").await.expect("user");
        store::users::open_session(d, user.user_id).await.expect("session")
    });
    let user = Some("may.chu".to_owned());
    assert_eq!(state(&db, &secret, &session), ("active".into(), user.clone(), user.clone()));

    let o = run(&db, &["user", "disable", "may.chu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("Đã khóa tài khoản may.chu"), "{}", stdout(&o));
    assert_eq!(state(&db, &secret, &session), ("disabled".into(), None, None));
    let users = json(&run(&db, &["user", "list", "--format", "json"]));
    assert_eq!(users[0]["status"], "disabled");

    let o = run(&db, &["user", "enable", "may.chu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "Đã mở lại tài khoản may.chu.");
    // The token works again; the sessions were ended, not suspended.
    assert_eq!(state(&db, &secret, &session), ("active".into(), user, None));

    let trail = audit_trail(&db);
    let actions: Vec<&str> = trail.iter().filter(|e| e.entity == "user").map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["enable", "disable", "create"], "newest first");
    assert_refused(&run(&db, &["user", "disable", "ai.do"]), 1, "Không có người dùng “ai.do”");
}

/// The export event a command recorded: the newest of `action` whose `after` passes `which`.
fn export_event(db: &Path, action: &str, which: impl Fn(&serde_json::Value) -> bool) -> store::audit::Recorded {
    audit_trail(db)
        .into_iter()
        .find(|e| {
            e.entity == "export"
                && e.action == action
                && e.after_json.as_deref().and_then(|a| serde_json::from_str(a).ok()).is_some_and(|a| which(&a))
        })
        .unwrap_or_else(|| panic!("no {action} export recorded"))
}

fn after(e: &store::audit::Recorded) -> serde_json::Value {
    serde_json::from_str(e.after_json.as_deref().unwrap_or_default()).expect("after_json")
}

#[test]
fn member_lists_that_leave_the_system_are_recorded_with_their_rows() {
    let db = demo_db();
    // A search, as CSV: the ids printed are the rows recorded.
    let o = run(db, &["members", "search", "tran thi", "--unit", "20335", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("ID,Họ và tên,Số điện thoại,"), "{text}");
    let printed: Vec<i64> =
        text.lines().skip(1).map(|l| l.split(',').next().unwrap_or_default().parse().expect("id")).collect();
    assert!(!printed.is_empty(), "{text}");
    let e = export_event(db, "members_cli", |a| a["search"] == "tran thi" && a["unit"] == "20335");
    assert_eq!((e.actor.as_str(), e.channel.as_str()), ("cli", "cli"));
    let a = after(&e);
    assert_eq!(a["rows"], serde_json::json!(printed));
    assert_eq!(a["count"].as_u64(), Some(printed.len() as u64));

    // A list of a commune, as JSON.
    let listed = json(&run(db, &["members", "list", "--unit", "20341", "--format", "json"]));
    let listed: Vec<i64> = listed.as_array().expect("array").iter().map(|m| m["id"].as_i64().expect("id")).collect();
    assert!(listed.len() > 10, "{listed:?}");
    let a = after(&export_event(db, "members_cli", |a| a["unit"] == "20341" && a["search"].is_null()));
    assert_eq!(a["rows"], serde_json::json!(listed));

    // A search that finds nobody is recorded too, with no rows.
    let none = json(&run(db, &["members", "search", "khong ai co ten nay", "--format", "json"]));
    assert_eq!(none.as_array().map(Vec::len), Some(0));
    let a = after(&export_event(db, "members_cli", |a| a["search"] == "khong ai co ten nay"));
    assert_eq!((a["rows"].as_array().map(Vec::len), a["count"].as_u64()), (Some(0), Some(0)));

    // A team shown: its members, on the team's commune.
    let teams = json(&run(db, &["teams", "list", "--unit", "20341", "--format", "json"]));
    let team = &teams.as_array().expect("array")[1];
    let id = team["id"].as_i64().expect("id");
    let shown = json(&run(db, &["teams", "show", &id.to_string(), "--format", "json"]));
    let members: Vec<i64> = shown["member_list"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["person_id"].as_i64().expect("person_id"))
        .collect();
    assert!(!members.is_empty());
    let e = export_event(db, "team_cli", |a| a["team_id"] == id);
    assert_eq!(after(&e)["rows"], serde_json::json!(members));
    assert_eq!(e.unit_path.as_deref(), Some("48/20341/"));
}

/// The amounts of a JSON array of entitlements, lines or entries.
fn amounts(v: &serde_json::Value) -> Vec<i64> {
    v.as_array().expect("array").iter().map(|e| e["amount"].as_i64().expect("amount in đồng")).collect()
}

/// `ledger balance` with `args`, in đồng, from 2025 on unless `args` say otherwise (the demo paid
/// its own lists in 2024).
fn balance(db: &Path, args: &[&str]) -> i64 {
    let mut all = vec!["ledger", "balance", "--format", "json"];
    if !args.contains(&"--from") {
        all.extend_from_slice(&["--from", "2025-01-01"]);
    }
    all.extend_from_slice(args);
    let b = json(&bin().arg("--db").arg(db).args(&all).output().expect("runs"));
    b["balance"].as_i64().unwrap_or_else(|| panic!("balance in đồng: {b}"))
}

#[test]
fn a_payment_list_walks_from_what_is_owed_to_the_ledger() {
    let db = fresh_demo("payments");
    // Phú Ninh's policy (500.000 ₫ a team a month since 2024) owes for January 2025 (the demo paid
    // September to November 2024 already: the ledger is read from 2025 on).
    let c = json(&run(&db, &["payments", "compute", "--month", "2025-01", "--format", "json"]));
    let created = c["created"].as_i64().expect("created");
    assert!(created > 0, "{c}");
    assert_eq!((c["month"].as_str(), c["existing"].as_i64()), (Some("2025-01"), Some(0)), "{c}");
    assert_eq!(c["amount"].as_i64(), Some(created * 500_000), "{c}");
    let o = run(&db, &["payments", "compute", "--month", "2025-01"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim_end(),
        format!("Tháng 01/2025: đã ghi 0 khoản phải chi mới, tổng 0 ₫; {created} khoản đã tính trước đó giữ nguyên."),
        "computing again records nothing"
    );

    // Each entitlement goes on the list of the commune its village lies in today: Đà Nẵng's.
    let owed = json(&run(&db, &["payments", "entitlements", "--month", "2025-01", "--format", "json"]));
    assert_eq!(amounts(&owed).len() as i64, created);
    assert_eq!(amounts(&owed).iter().sum::<i64>(), created * 500_000);
    let communes = json(&run(&db, &["units", "list", "--unit", "48", "--level", "commune", "--format", "json"]));
    let current: Vec<&str> =
        communes.as_array().expect("array").iter().map(|u| u["code"].as_str().expect("code")).collect();
    let owed = owed.as_array().expect("array");
    assert!(owed.iter().all(|e| current.contains(&e["commune_code"].as_str().unwrap_or_default())), "{owed:?}");
    let code = owed[0]["commune_code"].as_str().expect("commune").to_owned();
    let ours: Vec<&serde_json::Value> = owed.iter().filter(|e| e["commune_code"] == code.as_str()).collect();
    let total: i64 = ours.iter().map(|e| e["amount"].as_i64().unwrap_or_default()).sum();
    assert!(ours.len() > 1 && (ours.len() as i64) < created, "one commune's share: {} of {created}", ours.len());

    // Prepared: one line per entitlement, frozen with the total.
    let o = run(&db, &["payments", "prepare", "--commune", &code, "--month", "2025-01"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lists = json(&run(&db, &["payments", "lists", "--month", "2025-01", "--format", "json"]));
    assert_eq!(lists.as_array().map(Vec::len), Some(1), "{lists}");
    let list = &lists[0];
    let id = list["id"].as_i64().expect("id");
    assert_eq!((list["commune_code"].as_str(), list["status"].as_str()), (Some(code.as_str()), Some("prepared")));
    assert_eq!(list["total"].as_i64(), Some(total));
    let printed = format!(
        "Đã lập bảng kê số {id}: {} tháng 01/2025, {} dòng, tổng ",
        list["commune"].as_str().expect("name"),
        ours.len()
    );
    assert!(stdout(&o).starts_with(&printed), "{}", stdout(&o));
    let id = id.to_string();
    let shown = json(&run(&db, &["payments", "show", &id, "--format", "json"]));
    assert_eq!(shown["total"].as_i64(), Some(total));
    assert_eq!(amounts(&shown["lines"]).len(), ours.len());
    assert_eq!(amounts(&shown["lines"]).iter().sum::<i64>(), total);
    let numbers: Vec<i64> =
        shown["lines"].as_array().expect("lines").iter().map(|l| l["line_no"].as_i64().expect("no")).collect();
    assert_eq!(numbers, (1..=ours.len() as i64).collect::<Vec<_>>());

    // Steps in order, and only in order.
    assert_refused(&run(&db, &["payments", "pay", &id]), 1, "Bảng kê đang ở bước “Đã lập”");
    assert_refused(&run(&db, &["payments", "approve", &id]), 1, "không chuyển sang “Đã duyệt”");
    let o = run(&db, &["payments", "submit", &id]);
    assert_eq!(
        (o.status.code(), stdout(&o).trim_end()),
        (Some(0), format!("Đã trình duyệt bảng kê số {id}.").as_str())
    );
    assert!(run(&db, &["payments", "approve", &id]).status.success());
    // Once submitted, the month's list is not prepared again; with nothing new owed, no
    // supplementary list either.
    let o = run(&db, &["payments", "prepare", "--commune", &code, "--month", "2025-01"]);
    assert_refused(&o, 1, "đã có trong bảng kê");
    assert_refused(&run(&db, &["payments", "pay", &id, "--on", "2099-01-01"]), 1, "ở tương lai");
    assert_eq!(balance(&db, &[]), 0, "nothing paid before the list is");
    let o = run(&db, &["payments", "pay", &id, "--on", "20/01/2025"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with(&format!("Đã ghi chi trả bảng kê số {id} ngày 20/01/2025: {} bút toán", ours.len()))
    );
    let paid = json(&run(&db, &["payments", "show", &id, "--format", "json"]));
    assert_eq!((paid["status"].as_str(), paid["paid_on"].as_str()), (Some("paid"), Some("2025-01-20")));

    // The workbook to sign, and its export in the trail.
    let file = std::env::temp_dir().join(format!("congdongso-cli-{}-bang-ke.xlsx", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let o = run(&db, &["payments", "export", &id, "--output", &file.to_string_lossy()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&file).expect("the file is written");
    assert!(bytes.starts_with(b"PK\x03\x04") && bytes.len() > 2000, "an xlsx (zip) file");
    let _ = std::fs::remove_file(&file);
    let e = export_event(&db, "payment_list_xlsx", |a| a["list_id"].as_i64() == id.parse().ok());
    assert_eq!((e.actor.as_str(), e.channel.as_str()), ("cli", "cli"));
    assert_eq!(after(&e)["lines"].as_u64(), Some(ours.len() as u64));
    assert_eq!(e.unit_path.as_deref(), Some(format!("48/{code}/").as_str()));

    // The ledger holds what was paid: one entry a line.
    assert_eq!(balance(&db, &[]), total);
    assert_eq!(balance(&db, &["--unit", &code]), total);
    assert_eq!(balance(&db, &["--from", "2025-01-21"]), 0, "paid on the 20th");
    let entries = json(&run(&db, &["ledger", "entries", "--unit", &code, "--from", "2025-01-01", "--format", "json"]));
    assert_eq!(amounts(&entries), amounts(&shown["lines"]));
    let first = &entries[0];
    let (entry, team, amount) = (
        first["id"].as_i64().expect("id").to_string(),
        first["team_id"].as_i64().expect("team").to_string(),
        first["amount"].as_i64().expect("amount"),
    );
    assert_eq!(balance(&db, &["--team", &team]), amount);

    // A reversal takes it back once; an adjustment puts the right amount in.
    let o = run(&db, &["ledger", "reverse", &entry, "--note", "Chi nhầm người nhận"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(balance(&db, &[]), total - amount);
    assert_eq!(balance(&db, &["--team", &team]), 0);
    assert_refused(&run(&db, &["ledger", "reverse", &entry, "--note", "Lần nữa"]), 1, "Bút toán này đã được đảo");
    assert_refused(&run(&db, &["ledger", "reverse", &entry, "--note", " "]), 1, "Ghi rõ lý do");
    let o = run(
        &db,
        &[
            "ledger",
            "adjust",
            "--team",
            &team,
            "--month",
            "2025-01",
            "--amount",
            "400.000",
            "--note",
            "Chi đúng người nhận",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(balance(&db, &["--team", &team]), 400_000);
    let o = run(
        &db,
        &[
            "ledger",
            "adjust",
            "--team",
            &team,
            "--month",
            "2025-01",
            "--amount",
            "-100.000",
            "--note",
            "Trừ khoản chi thừa",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("-100.000 ₫"), "{}", stdout(&o));
    assert_eq!(balance(&db, &["--team", &team]), 300_000);
    assert_eq!(balance(&db, &[]), total - amount + 300_000);
    assert_refused(
        &run(&db, &["ledger", "adjust", "--team", &team, "--month", "2025-01", "--amount", "0", "--note", "x"]),
        1,
        "khác 0",
    );
    let kinds: Vec<String> =
        json(&run(&db, &["ledger", "entries", "--team", &team, "--from", "2025-01-01", "--format", "json"]))
            .as_array()
            .expect("array")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect();
    assert_eq!(kinds, ["payment", "reversal", "adjustment", "adjustment"]);

    // Planned, owed and paid, month by month, in whole đồng.
    let r = json(&run(
        &db,
        &["report", "payments", "--unit", &code, "--from", "2025-01", "--months", "3", "--format", "json"],
    ));
    let months: Vec<&str> =
        r.as_array().expect("array").iter().map(|m| m["month"].as_str().unwrap_or_default()).collect();
    assert_eq!(months, ["2025-01", "2025-02", "2025-03"]);
    for m in r.as_array().expect("array") {
        for k in ["planned", "owed", "paid"] {
            assert!(m[k].is_i64(), "{k} is an integer: {m}");
        }
    }
    assert_eq!((r[0]["owed"].as_i64(), r[0]["paid"].as_i64()), (Some(total), Some(total - amount + 300_000)));
    assert_eq!((r[1]["owed"].as_i64(), r[1]["paid"].as_i64()), (Some(0), Some(0)), "February was not computed");
}

#[test]
fn work_day_claims_are_made_once_a_day_and_decided_once() {
    let db = fresh_demo("claims");
    let teams = json(&run(&db, &["teams", "list", "--unit", "48", "--format", "json"]));
    let team = teams[0]["id"].as_i64().expect("team").to_string();
    let shown = json(&run(&db, &["teams", "show", &team, "--format", "json"]));
    let person = shown["member_list"][0]["person_id"].as_i64().expect("person").to_string();
    let name = shown["member_list"][0]["full_name"].as_str().expect("name").to_owned();
    let claim = |day: &str| {
        run(
            &db,
            &["payments", "claim", "--person", &person, "--team", &team, "--day", day, "--task", "Hướng dẫn cài VNeID"],
        )
    };
    let o = claim("2025-03-10");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("Đã ghi ngày công số ") && stdout(&o).contains(&name), "{}", stdout(&o));
    // The same day, however written, is refused.
    assert_refused(&claim("10/03/2025"), 1, &format!("{name} đã khai ngày công ngày 10/03/2025"));
    assert_refused(&claim("2099-01-01"), 1, "--day: Ngày ở tương lai");
    let o = run(
        &db,
        &["payments", "claim", "--person", &person, "--team", "99999999", "--day", "2025-03-11", "--task", "x"],
    );
    assert_refused(&o, 1, "Không tìm thấy");

    let claims = json(&run(&db, &["payments", "claims", "--month", "2025-03", "--format", "json"]));
    assert_eq!(claims.as_array().map(Vec::len), Some(1), "{claims}");
    assert_eq!(
        (claims[0]["full_name"].as_str(), claims[0]["status"].as_str()),
        (Some(name.as_str()), Some("submitted"))
    );
    assert_eq!(claims[0]["worked_on"], "2025-03-10");
    let id = claims[0]["id"].as_i64().expect("id").to_string();
    assert_eq!(
        json(&run(&db, &["payments", "claims", "--month", "2025-04", "--format", "json"])).as_array().map(Vec::len),
        Some(0)
    );

    assert_eq!(run(&db, &["payments", "decide", &id]).status.code(), Some(2), "--approve or --reject");
    assert_eq!(run(&db, &["payments", "decide", &id, "--approve", "--reject"]).status.code(), Some(2));
    let o = run(&db, &["payments", "decide", &id, "--approve"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_refused(&run(&db, &["payments", "decide", &id, "--reject"]), 1, "Ngày công này đã được xét");
    let claims = json(&run(&db, &["payments", "claims", "--month", "2025-03", "--format", "json"]));
    assert_eq!((claims[0]["status"].as_str(), claims[0]["decided_by"].as_str()), (Some("approved"), Some("cli")));

    // Under a work-day policy in force, the approved day is owed once.
    let o = run(
        &db,
        &[
            "policy",
            "add",
            "--name",
            "Ngày công (thử)",
            "--kind",
            "work-day",
            "--amount",
            "150000",
            "--from",
            "2025-01-01",
            "--scope",
            "49",
            "--status",
            "in-force",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(run(&db, &["payments", "compute", "--month", "2025-03"]).status.success());
    let owed = json(&run(&db, &["payments", "entitlements", "--month", "2025-03", "--format", "json"]));
    let days: Vec<&serde_json::Value> =
        owed.as_array().expect("array").iter().filter(|e| !e["work_claim_id"].is_null()).collect();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!((days[0]["work_claim_id"].as_i64(), days[0]["amount"].as_i64()), (id.parse().ok(), Some(150_000)));
    assert_eq!(days[0]["person_id"].as_i64(), person.parse().ok());
}

#[test]
fn completeness_indicators_and_verify_from_the_command_line() {
    let db = temp_db("reports");
    assert!(run(&db, &["migrate"]).status.success());
    // Units, the catalogue, two teams, one report, through the store.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let a = rt.block_on(async {
        let d = store::Db::connect(&db.to_string_lossy()).await.expect("open");
        let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("units");
        store::units::load_state(&d, &rows, store::demo::DEMO_UNITS_FROM).await.expect("load");
        store::reports::load_demo_indicators(&d).await.expect("indicators");
        let mut ids = Vec::new();
        for name in ["Thôn Một", "Thôn Hai"] {
            let u = store::units::by_code(&d, "20335").await.expect("unit");
            let v = store::villages::create(&d, &u, name).await.expect("village");
            let input = domain::input::TeamDraft {
                name: String::new(),
                established_on: "01/09/2024".into(),
                zalo_url: String::new(),
            }
            .parse(store::today())
            .expect("team");
            ids.push(store::teams::create(&d, &store::Scope::All, v, &input).await.expect("team"));
        }
        let month = domain::funding::YearMonth::parse("2025-01").expect("m");
        let values = store::reports::check_values(&d, &[("dvc_ho_so".into(), "7".into())]).await.expect("values");
        store::reports::submit(&d, &store::Scope::All, ids[0], month, &values, Some("k")).await.expect("submit");
        d.close().await;
        ids[0]
    });
    let c = json(&run(&db, &["report", "completeness", "--unit", "502", "--month", "2025-01", "--format", "json"]));
    assert_eq!((c["expected"].as_i64(), c["received"].as_i64(), c["on_time"].as_i64()), (Some(2), Some(1), Some(0)));
    let children = c["children"].as_array().expect("children");
    let tan_thanh = children.iter().find(|x| x["code"] == "20335").expect("20335");
    assert_eq!((tan_thanh["expected"].as_i64(), tan_thanh["received"].as_i64()), (Some(2), Some(1)));
    let i = json(&run(
        &db,
        &["report", "indicators", "--unit", "49", "--from", "2024-12", "--to", "2025-02", "--format", "json"],
    ));
    let hs = i.as_array().expect("array").iter().find(|x| x["code"] == "dvc_ho_so").expect("indicator");
    assert_eq!(hs["total"].as_i64(), Some(7));
    assert_eq!(hs["months"], serde_json::json!([["2024-12", 0], ["2025-01", 7], ["2025-02", 0]]));
    let o = run(&db, &["report", "verify"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("khớp"));
    // A drifted total: verify says so and exits 1.
    rt.block_on(async {
        let d = store::Db::connect(&db.to_string_lossy()).await.expect("open");
        store::testing::execute(&d, "update report_total set total = total + $1", 1).await;
        d.close().await;
    });
    let o = run(&db, &["report", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("lỗi:"), "{}", stderr(&o));
    assert!(a > 0);
    assert_eq!(
        run(&db, &["report", "completeness", "--unit", "502", "--month", "2025-13"]).status.code(),
        Some(1),
        "a bad month"
    );
}

#[test]
fn the_deadline_and_the_catalogue_from_the_command_line() {
    let db = temp_db("catalogue");
    assert!(run(&db, &["migrate"]).status.success());
    let o = run(&db, &["report", "deadline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("ngày 5 "), "the default: {}", stdout(&o));
    for bad in ["0", "29", "mười"] {
        let o = run(&db, &["report", "deadline", "--day", bad]);
        assert_eq!(o.status.code(), Some(1), "day {bad}");
        assert!(stderr(&o).starts_with("lỗi:") && stderr(&o).contains("từ 1 đến 28"), "{}", stderr(&o));
    }
    assert!(run(&db, &["report", "deadline", "--day", "10"]).status.success());
    assert!(stdout(&run(&db, &["report", "deadline"])).contains("ngày 10 "));

    let empty = json(&run(&db, &["report", "catalogue", "--format", "json"]));
    assert_eq!(empty.as_array().map(Vec::len), Some(0));
    let add = |code: &str, name: &str| {
        run(&db, &["report", "indicator-add", "--code", code, "--name", name, "--unit-of-measure", "người"])
    };
    assert!(add("dvc_huong_dan", "Số người được hướng dẫn").status.success());
    assert!(add("vneid", "Số tài khoản VNeID").status.success());
    let o = add("vneid", "Trùng");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("đã có"), "{}", stderr(&o));
    let o = add("Có Dấu", "Sai mã");
    assert_eq!(o.status.code(), Some(1));
    let list = json(&run(&db, &["report", "catalogue", "--format", "json"]));
    let codes: Vec<(&str, i64)> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|i| (i["code"].as_str().unwrap_or_default(), i["sort_order"].as_i64().unwrap_or_default()))
        .collect();
    assert_eq!(codes, [("dvc_huong_dan", 1), ("vneid", 2)]);
}

/// A copy of the shared demo database, for a test that changes it.
fn demo_copy(name: &str) -> PathBuf {
    let from = demo_db();
    let to = temp_db(name);
    for s in ["", "-wal", "-shm"] {
        let src = format!("{}{s}", from.display());
        if Path::new(&src).exists() {
            std::fs::copy(&src, format!("{}{s}", to.display())).expect("copy the demo");
        }
    }
    to
}

fn ids_of(v: &serde_json::Value, key: &str) -> Vec<i64> {
    v.as_array().expect("a list").iter().filter_map(|r| r[key].as_i64()).collect()
}

#[test]
fn training_in_the_demo() {
    let sessions = json(&run(demo_db(), &["training", "sessions", "--format", "json"]));
    let list = sessions.as_array().expect("sessions");
    assert_eq!(list.len(), 4, "{sessions}");
    let tam_ky = list.iter().find(|s| s["held_on"] == "2024-08-28").expect("the Tam Kỳ session");
    assert_eq!(tam_ky["teams"], 85);
    let table = stdout(&run(demo_db(), &["training", "sessions"]));
    assert!(table.contains("28/08/2024") && table.contains("VNPT Quảng Nam"), "{table}");
    let courses = json(&run(demo_db(), &["training", "courses", "--format", "json"]));
    assert_eq!(courses.as_array().expect("courses").len(), 4);
    // Never trained, against not in the last 12 months: the second holds the first and more.
    let never = json(&run(demo_db(), &["training", "untrained", "--unit", "20341", "--format", "json"]));
    let lately =
        json(&run(demo_db(), &["training", "untrained", "--unit", "20341", "--months", "12", "--format", "json"]));
    let (never, lately) = (ids_of(&never, "id"), ids_of(&lately, "id"));
    assert!(!never.is_empty() && lately.len() > never.len());
    assert!(never.iter().all(|p| lately.contains(p)));
    let csv = stdout(&run(demo_db(), &["training", "roll-call", &tam_ky["id"].to_string(), "--format", "csv"]));
    assert!(csv.starts_with("Số người,Họ và tên,Số tổ,Tổ,Điểm danh") && csv.contains(",Vắng"), "{csv}");
}

#[test]
fn training_from_the_command_line() {
    let db = demo_copy("training");
    let one_line_error = |o: &Output, says: &str| {
        assert_eq!(o.status.code(), Some(1), "{}", stdout(o));
        let err = stderr(o);
        assert!(err.starts_with("lỗi: ") && err.trim_end().lines().count() == 1 && err.contains(says), "{err}");
    };
    one_line_error(&run(&db, &["training", "add-course", "--title", " ", "--organiser", "VNPT"]), "Chưa nhập tên khóa");
    let o = run(&db, &["training", "add-course", "--title", "An toàn thông tin", "--organiser", "Sở KH&CN Đà Nẵng"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let course: String = stdout(&o).chars().filter(char::is_ascii_digit).collect();
    let today = store::iso(store::today());
    one_line_error(
        &run(&db, &["training", "add-session", "--course", &course, "--date", "30/02/2026", "--venue", "Bàn Thạch"]),
        "không hợp lệ",
    );
    one_line_error(
        &run(&db, &["training", "add-session", "--course", "99999", "--date", &today, "--venue", "Bàn Thạch"]),
        "Không tìm thấy khóa tập huấn",
    );
    let o = run(&db, &["training", "add-session", "--course", &course, "--date", &today, "--venue", "UBND phường"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sessions = json(&run(&db, &["training", "sessions", "--format", "json"]));
    let session = sessions[0]["id"].as_i64().expect("the newest session").to_string();
    assert_eq!(sessions[0]["held_on"], today.as_str());
    one_line_error(&run(&db, &["training", "invite", &session, "--unit", "99999"]), "99999");
    one_line_error(&run(&db, &["training", "invite", &session, "--team", "9999999"]), "Không tìm thấy");
    let o = run(&db, &["training", "invite", &session, "--unit", "20335"]);
    assert!(o.status.success() && stdout(&o).contains("tổ mới"), "{}", stderr(&o));
    let roll = json(&run(&db, &["training", "roll-call", &session, "--format", "json"]));
    let people = ids_of(&roll, "person_id");
    assert!(people.len() >= 3, "{roll}");
    let (a, b, c) = (people[0].to_string(), people[1].to_string(), people[2].to_string());
    // Before: all three are due (nobody was trained in the last month).
    let due = |db: &PathBuf| {
        ids_of(
            &json(&run(db, &["training", "untrained", "--unit", "20335", "--months", "1", "--format", "json"])),
            "id",
        )
    };
    assert!(people[..3].iter().all(|p| due(&db).contains(p)));
    // Refusals write nothing.
    one_line_error(
        &run(&db, &["training", "record", &session, "--present", &format!("{a},9999999")]),
        "không có trong danh sách",
    );
    one_line_error(&run(&db, &["training", "record", &session]), "chưa điểm danh ai");
    let file = std::env::temp_dir().join(format!("congdongso-cli-{}-marks.csv", std::process::id()));
    std::fs::write(&file, format!("Số người,Điểm danh\n{c},có thể\n")).expect("file");
    one_line_error(&run(&db, &["training", "record", &session, "--file", &file.to_string_lossy()]), "có thể");
    let roll = json(&run(&db, &["training", "roll-call", &session, "--format", "json"]));
    assert!(roll.as_array().expect("roll").iter().all(|r| r["status"].is_null()));
    // Marks from flags and from a file.
    std::fs::write(&file, format!("Số người,Điểm danh\n{c},Vắng có phép\n")).expect("file");
    let o =
        run(&db, &["training", "record", &session, "--present", &a, "--absent", &b, "--file", &file.to_string_lossy()]);
    assert!(o.status.success() && stdout(&o).contains("Đã điểm danh 3 người"), "{}", stderr(&o));
    let _ = std::fs::remove_file(&file);
    let roll = json(&run(&db, &["training", "roll-call", &session, "--format", "json"]));
    let status_of =
        |p: i64| roll.as_array().expect("roll").iter().find(|r| r["person_id"] == p).expect("p")["status"].clone();
    assert_eq!(
        (status_of(people[0]), status_of(people[1]), status_of(people[2])),
        ("present".into(), "absent".into(), "excused".into())
    );
    // After: the one present is no longer due; the others are.
    let after = due(&db);
    assert!(!after.contains(&people[0]) && after.contains(&people[1]) && after.contains(&people[2]));
    one_line_error(&run(&db, &["training", "untrained", "--unit", "20335", "--months", "0"]), "số tháng");
    let table = stdout(&run(&db, &["training", "untrained", "--unit", "20335", "--months", "1"]));
    assert!(table.starts_with("Chưa có mặt ở buổi tập huấn nào từ ngày"), "{table}");
}

/// A file in the temporary directory for this run.
fn temp_file(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("congdongso-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn exports_lists_to_xlsx_and_csv_that_read_back() {
    let db = fresh_demo("export");
    let (members, teams, villages, sample) = with_store(&db, async |d| {
        let city = store::units::by_code(d, "48").await.expect("48");
        let scope = store::Scope::All.narrow(&city.path);
        let all = store::PageRequest::all();
        let m = store::people::list(d, &scope, &Default::default(), all).await.expect("members");
        let t = store::teams::list(d, &scope, &Default::default(), all).await.expect("teams");
        let v = store::villages::list(d, &scope, &Default::default(), all).await.expect("villages");
        let sample = m.items.iter().find(|p| p.cccd.as_deref().is_some_and(|c| c.starts_with('0'))).cloned();
        (m.total, t.total, v.total, sample.expect("a member whose CCCD starts with 0"))
    });
    assert!(sample.phone.starts_with('0'), "{}", sample.phone);
    let today = format!("Số liệu đến ngày {}", domain::input::format_date(store::today()));

    // Members as a workbook: the title, the day of the data, one row per member, and the
    // phone and CCCD as the text they are (a number cell would have lost the leading zero).
    let xlsx = temp_file("xuat-thanh-vien.xlsx");
    let o = run(&db, &["export", "members", "--unit", "48", "--out", &xlsx.to_string_lossy()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("{members} thành viên của 48 Thành phố Đà Nẵng")), "{}", stdout(&o));
    let bytes = std::fs::read(&xlsx).expect("written");
    let book = sheets::read_file("thanh-vien.xlsx", &bytes).expect("reads back");
    let sheet = &book.sheets[0];
    assert_eq!(sheet.cell(0, 0), "DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG — Thành phố Đà Nẵng");
    assert_eq!(sheet.cell(1, 0), today);
    let header = sheets::write::HEADER_ROW as usize;
    let col = |h: &str| sheet.rows[header].iter().position(|c| c == h).unwrap_or_else(|| panic!("no {h}"));
    let rows = &sheet.rows[header + 1..];
    assert_eq!(i64::try_from(rows.len()).expect("rows"), members);
    let (phone, cccd, name) = (col("Số điện thoại"), col("CCCD"), col("Họ và tên"));
    let row = rows.iter().find(|r| r[phone] == sample.phone).expect("the sample's phone, whole");
    assert_eq!((row[name].as_str(), Some(row[cccd].as_str())), (sample.full_name.as_str(), sample.cccd.as_deref()));
    // Imported back, the export changes nothing: every member is found as they are.
    let back = |file: &Path| {
        let o = run(&db, &["import", "members", &file.to_string_lossy(), "--dry-run", "--format", "json"]);
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
        assert!(o.status.success(), "{r}");
        assert_eq!(
            (r["created"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64()),
            (Some(0), Some(0), Some(members)),
            "errors: {}",
            r["errors"]
        );
    };
    back(&xlsx);
    let _ = std::fs::remove_file(&xlsx);

    // The same as CSV: a byte order mark, a header and one line per member, numbers whole.
    let csv = temp_file("xuat-thanh-vien.csv");
    let o = run(&db, &["export", "members", "--unit", "48", "--out", &csv.to_string_lossy()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&csv).expect("written");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let book = sheets::read_file("thanh-vien.csv", &bytes).expect("reads back");
    let sheet = &book.sheets[0];
    assert_eq!(i64::try_from(sheet.rows.len()).expect("rows") - 1, members);
    assert!(
        sheet
            .rows
            .iter()
            .any(|r| r.contains(&sample.phone) && r.iter().any(|c| Some(c.as_str()) == sample.cccd.as_deref()))
    );
    back(&csv);
    let _ = std::fs::remove_file(&csv);

    // Teams and villages, a row each.
    for (what, want, title) in [
        ("teams", teams, "DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG — Thành phố Đà Nẵng"),
        ("villages", villages, "DANH SÁCH THÔN, TỔ DÂN PHỐ VÀ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG — Thành phố Đà Nẵng"),
    ] {
        let file = temp_file(&format!("{what}.xlsx"));
        let o = run(&db, &["export", what, "--unit", "48", "--out", &file.to_string_lossy()]);
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        let book = sheets::read_file("x.xlsx", &std::fs::read(&file).expect("written")).expect("reads back");
        let sheet = &book.sheets[0];
        assert_eq!(sheet.cell(0, 0), title);
        assert_eq!(i64::try_from(sheet.rows.len() - header - 1).expect("rows"), want, "{what}");
        let _ = std::fs::remove_file(&file);
    }

    // Each export is in the audit trail, as the CLI's, with its rows.
    let trail = audit_trail(&db);
    for action in ["members_xlsx", "members_csv", "teams_xlsx", "villages_xlsx"] {
        let e = trail.iter().find(|e| e.action == action).unwrap_or_else(|| panic!("{action} recorded"));
        assert_eq!((e.actor.as_str(), e.entity.as_str()), ("cli", "export"));
        assert_eq!(e.unit_path.as_deref(), Some("48/"));
    }
    let m = trail.iter().find(|e| e.action == "members_xlsx").expect("members_xlsx");
    let after: serde_json::Value = serde_json::from_str(m.after_json.as_deref().expect("after")).expect("json");
    assert_eq!(after["count"].as_i64(), Some(members));

    // Refusals: another extension, an unknown unit; nothing written.
    let txt = temp_file("xuat-thanh-vien.txt");
    assert_refused(&run(&db, &["export", "members", "--unit", "48", "--out", &txt.to_string_lossy()]), 1, ".xlsx");
    assert!(!txt.exists());
    let file = temp_file("khong-co.xlsx");
    assert_refused(
        &run(&db, &["export", "teams", "--unit", "99999", "--out", &file.to_string_lossy()]),
        1,
        "Không có đơn vị hành chính mã 99999",
    );
    assert!(!file.exists());
}

/// A migrated database with the units of 2023 and one team, in Thôn Một of Phường Tân Thạnh.
fn import_db(name: &str) -> PathBuf {
    let db = temp_db(name);
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

fn people_count(db: &Path) -> i64 {
    with_store(db, async |d| {
        let all = store::people::MemberFilter { include_former: true, ..Default::default() };
        store::people::list(d, &store::Scope::All, &all, store::PageRequest::all()).await.expect("people").total
    })
}

/// The JSON report of an import, whatever its exit code.
fn report(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", stdout(o), stderr(o)))
}

#[test]
fn members_import_from_excel_dry_run_apply_and_again() {
    let db = import_db("import-xlsx");
    let file = std::env::temp_dir().join(format!("congdongso-cli-{}-thanh-vien.xlsx", std::process::id()));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Danh sách").expect("name");
    sheet.write(0, 0, "DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG").expect("cell");
    sheet.write(1, 0, "(Kèm theo Quyết định số 12/QĐ-UBND)").expect("cell");
    for (c, h) in ["STT", "Họ và tên", "Giới tính", "SĐT", "Thôn", "Xã"].into_iter().enumerate() {
        sheet.write(3, u16::try_from(c).expect("column"), h).expect("cell");
    }
    let people = [
        ["1", "Nguyễn Văn An", "Nam", "0912 000 001", "Thôn Một", "Tân Thạnh"],
        ["2", "Lê Thị Bình", "Nữ", "0912000002", "Một", "Phường Tân Thạnh"],
    ];
    for (r, row) in people.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write(u32::try_from(r + 4).expect("row"), u16::try_from(c).expect("column"), *v).expect("cell");
        }
    }
    book.add_worksheet().set_name("Hướng dẫn").expect("name").write(0, 0, "Điền mỗi người một dòng").expect("cell");
    book.save(&file).expect("save");
    let path = file.to_string_lossy().into_owned();

    // Every sheet is read: the instructions sheet has no header, so nothing can be applied.
    let o = run(&db, &["import", "members", &path, "--dry-run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!(r["errors"][0]["sheet"], "Hướng dẫn");
    assert!(r["errors"][0]["message"].as_str().expect("message").contains("tiêu đề"));

    let o = run(&db, &["import", "members", &path, "--sheet", "Danh sách", "--dry-run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!((r["created"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64()), (Some(2), Some(0), Some(0)));
    assert_eq!(r["errors"], serde_json::json!([]));
    assert_eq!((r["applied"].as_bool(), r["rows"][0]["row"].as_i64()), (Some(false), Some(5)));
    assert_eq!(people_count(&db), 0, "a dry run writes nothing");

    let o = run(&db, &["import", "members", &path, "--sheet", "Danh sách"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\nĐã nhập: thêm mới 2, cập nhật 0, không đổi 0"), "{}", stdout(&o));
    assert_eq!(people_count(&db), 2);
    let trail = audit_trail(&db);
    assert!(trail.iter().any(|e| e.action == "import" && e.channel == "cli"));

    let o = run(&db, &["import", "members", &path, "--sheet", "Danh sách", "--format", "json"]);
    let r = report(&o);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!((r["created"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64()), (Some(0), Some(0), Some(2)));
    assert!(r["rows"].as_array().expect("rows").iter().all(|x| x["matched_by"] == "phone"), "{r}");
    assert_eq!(audit_trail(&db).len(), trail.len(), "a re-import writes nothing");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn members_import_from_csv_refuses_a_bad_row_whole() {
    let db = import_db("import-csv");
    let file = std::env::temp_dir().join(format!("congdongso-cli-{}-to-mot.csv", std::process::id()));
    std::fs::write(
        &file,
        "Họ và tên,Giới tính,SĐT,Thôn,Xã\nNguyễn Văn An,Nam,0912000001,Thôn Một,Tân Thạnh\n\
         Trần Văn Cường,Nam,12345,Thôn Một,Tân Thạnh\n",
    )
    .expect("csv");
    let path = file.to_string_lossy().into_owned();
    for dry in [true, false] {
        let mut args = vec!["import", "members", path.as_str(), "--format", "json"];
        if dry {
            args.push("--dry-run");
        }
        let o = run(&db, &args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).starts_with("lỗi: có 1 lỗi"), "{}", stderr(&o));
        let r = report(&o);
        let e = &r["errors"][0];
        let stem = file.file_stem().expect("stem").to_string_lossy().into_owned();
        assert_eq!(
            (e["sheet"].as_str(), e["row"].as_i64(), e["column"].as_str()),
            (Some(stem.as_str()), Some(3), Some("C"))
        );
        assert!(e["message"].as_str().expect("message").contains("có 5 chữ số"), "{e}");
        assert_eq!((r["created"].as_i64(), r["applied"].as_bool()), (Some(1), Some(false)));
        assert_eq!(people_count(&db), 0, "nothing is written");
    }
    let table = stdout(&run(&db, &["import", "members", &path]));
    assert!(table.starts_with("Trang “") && table.contains("\nKhông nhập (không ghi gì): thêm mới 1"), "{table}");
    assert!(table.contains("Lỗi:") && table.contains("Bị từ chối"), "{table}");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn villages_then_teams_then_members_are_imported_from_csv() {
    let db = temp_db("import-places");
    assert!(run(&db, &["migrate"]).status.success());
    with_store(&db, async |d| {
        let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("unit file");
        store::units::load_state(d, &rows, store::demo::DEMO_UNITS_FROM).await.expect("units");
    });
    let dir = std::env::temp_dir();
    let file = |name: &str, text: &str| {
        let p = dir.join(format!("congdongso-cli-{}-{name}.csv", std::process::id()));
        std::fs::write(&p, text).expect("csv");
        p.to_string_lossy().into_owned()
    };
    let villages =
        file("thon", "DANH SÁCH THÔN, TỔ DÂN PHỐ\nHuyện,Xã,Thôn\nTam Kỳ,Tân Thạnh,Thôn Một\nTam Kỳ,An Mỹ,Thôn Hai\n");
    let r = report(&run(&db, &["import", "villages", &villages, "--format", "json"]));
    assert_eq!((r["created"].as_i64(), r["applied"].as_bool()), (Some(2), Some(true)), "{r}");
    let r = report(&run(&db, &["import", "villages", &villages, "--format", "json"]));
    assert_eq!((r["created"].as_i64(), r["unchanged"].as_i64()), (Some(0), Some(2)));

    let teams =
        file("to", "Xã,Thôn,Tên tổ,Ngày thành lập\nTân Thạnh,Thôn Một,,01/09/2023\nAn Mỹ,Thôn Hai,,02/09/2023\n");
    let o = run(&db, &["import", "teams", &teams]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\nĐã nhập: thêm mới 2"), "{}", stdout(&o));
    let o = run(&db, &["import", "teams", &teams, "--format", "json"]);
    assert_eq!(report(&o)["unchanged"].as_i64(), Some(2));

    let unknown = file("to-la", "Xã,Thôn,Ngày thành lập\nTân Thạnh,Thôn Lạ,01/09/2023\n");
    let o = run(&db, &["import", "teams", &unknown, "--dry-run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let e = &report(&o)["errors"][0];
    assert_eq!((e["row"].as_i64(), e["column"].as_str()), (Some(2), Some("B")));
    assert!(e["message"].as_str().expect("message").contains("hãy nhập danh sách thôn trước"), "{e}");

    let members = file("tv", "Họ và tên,Giới tính,SĐT,Thôn,Xã\nPhan Văn Long,Nam,0912000011,Thôn Hai,An Mỹ\n");
    let r = report(&run(&db, &["import", "members", &members, "--format", "json"]));
    assert_eq!(
        (r["created"].as_i64(), r["rows"][0]["team"].as_str()),
        (Some(1), Some("Tổ công nghệ số cộng đồng Thôn Hai"))
    );
    for f in [villages, teams, unknown, members] {
        let _ = std::fs::remove_file(f);
    }
}
