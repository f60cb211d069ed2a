//! Registry benchmarks on the demo province: demo load time, cold start, binary size, and the
//! median latency of the dashboard and of a member search, measured against the real binary
//! over a real socket. Run with `cargo bench -p congdongso` (build in release first for the
//! figures that BENCHMARKS.md records). Prints figures; asserts nothing about speed.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 200;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_congdongso"));
    c.env_remove("CONGDONGSO_DB").env("RUST_LOG", "warn");
    c
}

fn temp_db() -> PathBuf {
    let p = std::env::temp_dir().join(format!("congdongso-bench-{}.db", std::process::id()));
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", p.display()));
    }
    p
}

fn request(addr: &str, raw: &str) -> (String, Duration) {
    let started = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.write_all(raw.as_bytes()).expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    (out, started.elapsed())
}

fn get(addr: &str, path: &str, cookie: &str) -> (String, Duration) {
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"))
}

fn start(db: &PathBuf) -> (Child, String, String, Duration) {
    let started = Instant::now();
    let mut child = bin()
        .arg("--db")
        .arg(db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let (addr, password) = address_and_password(child.stdout.take().expect("stdout"));
    loop {
        let (r, _) = get(&addr, "/healthz", "");
        if r.starts_with("HTTP/1.1 200") {
            break;
        }
    }
    (child, addr, password, started.elapsed())
}

/// Reads what `serve` prints until its address: the address, and the generated password.
fn address_and_password(out: std::process::ChildStdout) -> (String, String) {
    let mut password = String::new();
    for line in BufReader::new(out).lines() {
        let line = line.expect("line");
        if line.contains("Mật khẩu:") {
            password = line.split_whitespace().last().unwrap_or_default().to_owned();
        }
        if let Some(rest) = line.split("http://").nth(1) {
            return (rest.split_whitespace().next().unwrap_or_default().to_owned(), password);
        }
    }
    panic!("serve ended without printing its address");
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(v[v.len() * 95 / 100]))
}

/// In-process figures on each backend: loading the demo's registry, then applying the
/// 01/07/2025 change set (Quảng Nam into Đà Nẵng) to it. PostgreSQL is skipped when absent.
fn in_process() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        for backend in [store::testing::Backend::Sqlite, store::testing::Backend::Postgres] {
            let Some(t) = store::testing::TestDb::new(backend).await else {
                println!("{backend:?}: skipped, no server");
                continue;
            };
            let started = Instant::now();
            store::demo::load_registry(&t.db, &|_, _, _| {}).await.expect("demo registry");
            let registry = started.elapsed();
            let apply = |i: usize| {
                let (day, source, changes, state) = store::reorg::SHIPPED[i];
                let db = t.db.clone();
                async move {
                    let day = store::parse_iso(day).expect("day");
                    let started = Instant::now();
                    let r = store::reorg::apply_files(&db, changes, state, day, source, false).await.expect("apply");
                    (started.elapsed(), r)
                }
            };
            let (jan, _) = apply(0).await;
            let (jul, r) = apply(1).await;
            println!(
                "{backend:?}: demo registry {:.2} s; apply 2025-01-01 {:.0} ms; apply 2025-07-01 {:.0} ms ({} units ended, {} created, {} villages moved)",
                registry.as_secs_f64(),
                jan.as_secs_f64() * 1000.0,
                jul.as_secs_f64() * 1000.0,
                r.plan.ended.len(),
                r.plan.created.len(),
                r.villages_moved
            );
            t.db.close().await;
        }
    });
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_congdongso"));
    let size = std::fs::metadata(&exe).map(|m| m.len()).unwrap_or(0);
    println!("binary: {} ({:.1} MiB)", exe.display(), size as f64 / 1_048_576.0);

    let db = temp_db();
    let started = Instant::now();
    let o = bin().arg("--db").arg(&db).arg("demo").output().expect("demo");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    println!(
        "demo load (SQLite, whole command: migration, registry, both 2025 reorganisations): {:.2} s",
        started.elapsed().as_secs_f64()
    );

    in_process();

    let (mut child, addr, password, cold) = start(&db);
    println!("cold start to first healthy answer (SQLite, demo data): {:.0} ms", cold.as_secs_f64() * 1000.0);

    let form = format!("login=admin&password={password}&next=%2F");
    let (resp, _) = request(
        &addr,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    let cookie = resp
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();

    for (name, path) in [
        ("dashboard GET /", "/"),
        ("member search GET /members?q=nguyen+van", "/members?q=nguyen+van"),
        ("commune page GET /units/20335", "/units/20335"),
    ] {
        let (first, _) = get(&addr, path, &cookie);
        assert!(first.starts_with("HTTP/1.1 200"), "{name}: {}", first.lines().next().unwrap_or_default());
        let times: Vec<Duration> = (0..ROUNDS).map(|_| get(&addr, path, &cookie).1).collect();
        let (median, p95) = stats(times);
        println!("{name}: median {median:.2} ms, p95 {p95:.2} ms over {ROUNDS} requests");
    }
    let _ = child.kill();
    let _ = child.wait();
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", db.display()));
    }
}
