//! The `congdongso` binary as an operator uses it: exit codes, one-line errors, and the JSON
//! that provinces script against.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
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
