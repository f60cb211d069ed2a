//! Sheet benchmarks (issue F): exporting and importing 600,000 members as .xlsx and as .csv with
//! the real `congdongso` binary, each step in a child process of its own, timed, with its peak
//! resident memory.
//!
//! The synthetic country: one top unit (the schema has no national level, so it stands for the
//! nation) over provinces (stored at the district level) of 97 communes, each with 28 villages of
//! which 26 have a team of 7 members (the last team may be smaller): for 600,000 members, 34
//! provinces, 3,297 communes, 92,316 villages, 85,715 teams. One person in two has a CCCD, one in
//! three a full birth date (the others a birth year).
//!
//! Steps: `export members` of the top unit to .xlsx and to .csv; then, for each file, `import
//! members --dry-run` into the same registry (every row unchanged) and `import members` into a
//! fresh registry with the same units, villages and teams but no members (every row created).
//!
//! Run with `cargo bench -p congdongso --bench sheets` (a release build: the figures BENCHMARKS.md
//! records). Environment: `SHEETS_BENCH_MEMBERS` (default 600000) for a smaller run,
//! `SHEETS_BENCH_TIMEOUT` (seconds a step may take, default 1800; a step that takes longer is
//! stopped), `SHEETS_BENCH_KEEP` to keep the temporary directory. Peak memory is the child's
//! `VmHWM` (the kernel's high-water mark of its resident set) read from `/proc/<pid>/status`
//! every 10 ms until it exits. Prints figures; asserts nothing about speed, only that every row
//! comes back as the step expects.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use domain::text::{fold, person_sort_key, sort_key};
use store::Db;

const MEMBERS_PER_TEAM: i64 = 7;
const TEAMS_PER_COMMUNE: i64 = 26;
const VILLAGES_PER_COMMUNE: i64 = 28;
const COMMUNES_PER_PROVINCE: i64 = 97;
const FULL_MEMBERS: i64 = 600_000;
const ROOT: &str = "99";
const STAMP: &str = "2024-01-01T00:00:00Z";
const FOUNDED: &str = "2024-03-01";

/// The size of the synthetic country.
#[derive(Debug, Clone, Copy)]
struct Shape {
    members: i64,
    teams: i64,
    communes: i64,
    provinces: i64,
}

impl Shape {
    fn of(members: i64) -> Self {
        let up = |n: i64, d: i64| (n + d - 1) / d;
        let teams = up(members, MEMBERS_PER_TEAM);
        let communes = up(teams, TEAMS_PER_COMMUNE);
        let provinces = up(communes, COMMUNES_PER_PROVINCE);
        Self { members, teams, communes, provinces }
    }

    fn commune_id(&self, c: i64) -> i64 {
        2 + self.provinces + c
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Rows per second, for printing.
#[allow(clippy::cast_precision_loss)]
fn rate(rows: i64, d: Duration) -> f64 {
    rows as f64 / d.as_secs_f64().max(1e-9)
}

#[allow(clippy::cast_precision_loss)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn env_number(var: &str, default: i64) -> i64 {
    std::env::var(var).ok().and_then(|v| v.trim().parse().ok()).filter(|n| *n > 0).unwrap_or(default)
}

/// SQL text literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Runs one statement without parameters.
async fn exec(db: &Db, sql: &str) {
    let q = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(p) => sqlx::query(q).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(q).execute(p).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{e}\n{}", &sql[..sql.len().min(400)]));
}

async fn insert_rows(db: &Db, head: &str, rows: &[String]) {
    for chunk in rows.chunks(1000) {
        exec(db, &format!("{head} values {}", chunk.join(", "))).await;
    }
}

/// Units, villages, their placements and teams, with the folded text and sort keys of
/// `domain::text`, in multi-row inserts.
async fn build_places(db: &Db, shape: Shape) -> usize {
    let unit_head = "insert into unit (unit_id, code, name, search_text, sort_key, level, parent_id, path, valid_from, \
                     created_at, updated_at)";
    let unit_row = |id: i64, code: &str, name: &str, level: &str, parent: Option<i64>, path: &str| {
        format!(
            "({id}, {}, {}, {}, {}, {}, {}, {}, '2023-01-01', '{STAMP}', '{STAMP}')",
            lit(code),
            lit(name),
            lit(&fold(name)),
            lit(&sort_key(name)),
            lit(level),
            parent.map_or_else(|| "null".to_owned(), |p| p.to_string()),
            lit(path)
        )
    };
    let province_code = |p: i64| (100 + p).to_string();
    let mut units = vec![unit_row(1, ROOT, "Toàn quốc (thử nghiệm)", "province", None, &format!("{ROOT}/"))];
    for p in 0..shape.provinces {
        let code = province_code(p);
        units.push(unit_row(
            2 + p,
            &code,
            &format!("Tỉnh {:02}", p + 1),
            "district",
            Some(1),
            &format!("{ROOT}/{code}/"),
        ));
    }
    for c in 0..shape.communes {
        let p = c / COMMUNES_PER_PROVINCE;
        let code = (10_000 + c).to_string();
        let path = format!("{ROOT}/{}/{code}/", province_code(p));
        units.push(unit_row(shape.commune_id(c), &code, &format!("Xã {:05}", c + 1), "commune", Some(2 + p), &path));
    }
    insert_rows(db, unit_head, &units).await;
    // Village k of each commune is called "Thôn k"; its team, if any, is named after it.
    let names: Vec<[String; 6]> = (1..=VILLAGES_PER_COMMUNE)
        .map(|k| {
            let village = format!("Thôn {k:02}");
            let team = store::teams::default_name(&village);
            [
                lit(&village),
                lit(&fold(&village)),
                lit(&sort_key(&village)),
                lit(&team),
                lit(&fold(&team)),
                lit(&sort_key(&team)),
            ]
        })
        .collect();
    let mut villages = Vec::new();
    let mut placements = Vec::new();
    let mut teams = Vec::new();
    for c in 0..shape.communes {
        let commune = shape.commune_id(c);
        for k in 0..VILLAGES_PER_COMMUNE {
            let id = 1 + c * VILLAGES_PER_COMMUNE + k;
            let [vn, vs, vk, tn, ts, tk] = &names[usize::try_from(k).unwrap_or(0)];
            villages.push(format!("({id}, {commune}, {vn}, {vs}, {vk}, 'active', '{STAMP}', '{STAMP}')"));
            placements.push(format!("({id}, {id}, {commune}, '2023-01-01')"));
            let t = c * TEAMS_PER_COMMUNE + k;
            if k < TEAMS_PER_COMMUNE && t < shape.teams {
                teams.push(format!("({}, {id}, {tn}, {ts}, {tk}, '{FOUNDED}', 'active', '{STAMP}', '{STAMP}')", 1 + t));
            }
        }
    }
    insert_rows(
        db,
        "insert into village (village_id, commune_id, name, search_text, sort_key, status, created_at, updated_at)",
        &villages,
    )
    .await;
    insert_rows(
        db,
        "insert into village_placement (village_placement_id, village_id, commune_id, valid_from)",
        &placements,
    )
    .await;
    insert_rows(
        db,
        "insert into team (team_id, village_id, name, search_text, sort_key, established_on, status, created_at, updated_at)",
        &teams,
    )
    .await;
    units.len() + villages.len() + placements.len() + teams.len()
}

/// `with recursive n(i)`: the integers from 0 to `$1 - 1`.
const SERIES: &str = "with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < $1) ";

/// People's names: every family name with every middle and given name, with their folded text,
/// sort keys and a gender, as SQL `values` rows `(k, full_name, search_text, sort_key, gender)`.
fn people_names() -> (i64, String) {
    let family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng"];
    let middle = [("Văn", "male"), ("Thị", "female"), ("Hữu", "male"), ("Ngọc", "female"), ("Minh", "male")];
    let given = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Lan", "Mai", "Nam", "Phúc", "Quang", "Thảo"];
    let mut rows = Vec::new();
    for f in family {
        for (m, gender) in middle {
            for g in given {
                let full = format!("{f} {m} {g}");
                rows.push(format!(
                    "({}, {}, {}, {}, '{gender}')",
                    rows.len(),
                    lit(&full),
                    lit(&fold(&full)),
                    lit(&person_sort_key(&full))
                ));
            }
        }
    }
    (i64::try_from(rows.len()).expect("count"), rows.join(", "))
}

/// The members: person `i` is in team `i / 7` (its first a leader, its second a deputy), born
/// 1970 + `i % 40`, phone `09` and `i` in eight digits; a CCCD (matching gender and birth year)
/// when `i` is even, a full birth date when `i % 3 == 0`. Two `insert … select` statements.
async fn build_members(db: &Db, shape: Shape) {
    let (names, names_sql) = people_names();
    let year = "(1970 + i % 40)";
    let people = format!(
        "{SERIES}, names(k, full_name, search_text, sort_key, gender) as (values {names_sql}) \
         insert into person (person_id, full_name, search_text, sort_key, gender, birth_date, birth_year, phone, cccd, \
         created_at, updated_at) \
         select 1 + i, m.full_name, m.search_text, m.sort_key, m.gender, \
         case when i % 3 = 0 then date({year} || '-01-01', '+' || (i % 365) || ' days') end, {year}, \
         '09' || printf('%08d', i), \
         case when i % 2 = 0 then '049' || ((case when {year} >= 2000 then 2 else 0 end) \
         + (case m.gender when 'female' then 1 else 0 end)) \
         || printf('%02d', {year} % 100) || printf('%06d', i) end, '{STAMP}', '{STAMP}' \
         from n join names m on m.k = i % {names}"
    );
    let memberships = format!(
        "{SERIES}insert into membership (membership_id, person_id, team_id, role, position, joined_on, created_at, updated_at) \
         select 1 + i, 1 + i, 1 + i / {MEMBERS_PER_TEAM}, \
         case i % {MEMBERS_PER_TEAM} when 0 then 'leader' when 1 then 'deputy' else 'member' end, \
         case i % {MEMBERS_PER_TEAM} when 0 then 'commune_official' when 1 then 'village_head' \
         when 2 then 'youth_union' when 3 then 'women_union' when 4 then 'police' else 'other' end, \
         '{FOUNDED}', '{STAMP}', '{STAMP}' from n"
    );
    store::testing::execute(db, &people, shape.members).await;
    store::testing::execute(db, &memberships, shape.members).await;
}

/// A migrated SQLite registry at `path`: the places, and the members when `members`.
async fn build(path: &Path, shape: Shape, members: bool) {
    let started = Instant::now();
    let db = Db::connect(&path.to_string_lossy()).await.expect("open SQLite");
    db.migrate().await.expect("migrate");
    let rows = build_places(&db, shape).await;
    if members {
        build_members(&db, shape).await;
    }
    exec(&db, "analyze").await;
    exec(&db, "pragma wal_checkpoint(truncate)").await;
    db.close().await;
    println!(
        "  {}: {rows} rows of units, villages, placements and teams{} in {:.1} s",
        path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        if members { format!(", {} people and memberships", shape.members) } else { String::new() },
        secs(started.elapsed())
    );
}

/// What a child process did: its wall time, its peak resident set, its exit, what it printed.
struct Run {
    took: Duration,
    peak_kib: Option<u64>,
    ok: bool,
    timed_out: bool,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Run {
    /// Whether a line of what the step printed before its rows (an import prints how it read the
    /// file's columns, then its summary, then a line a row) holds `expect`; else that head.
    fn head_holds(&self, expect: &str) -> Result<(), String> {
        let text = std::fs::read_to_string(&self.stdout).unwrap_or_default();
        let head: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
        if head.iter().any(|l| l.contains(expect)) { Ok(()) } else { Err(head.join(" / ")) }
    }

    fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }
}

/// The child's peak resident set so far (`VmHWM`, KiB); `None` once it has exited.
fn high_water_mark(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `congdongso --db DB ARGS…` with its output in files named after `name`, polling its peak
/// resident set until it exits; stops it after `limit`.
fn run(dir: &Path, name: &str, db: &Path, args: &[&str], limit: Duration) -> Run {
    let (stdout, stderr) = (dir.join(format!("{name}.out")), dir.join(format!("{name}.err")));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_congdongso"))
        .env_remove("CONGDONGSO_DB")
        .env("RUST_LOG", "warn")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("start congdongso");
    let mut peak = None;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if let Some(kib) = high_water_mark(child.id()) {
            peak = Some(peak.map_or(kib, |p: u64| p.max(kib)));
        }
        if started.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run { took: started.elapsed(), peak_kib: peak, ok: status.success(), timed_out, stdout, stderr }
}

/// One line of the results table.
struct Line {
    step: &'static str,
    format: &'static str,
    took: Duration,
    rows: i64,
    peak_kib: Option<u64>,
    file: u64,
    outcome: String,
}

fn print_line(l: &Line) {
    let peak = l.peak_kib.map_or_else(|| "?".to_owned(), |k| format!("{:.0} MiB", mib(k * 1024)));
    println!(
        "| {} | {} | {:.1} s | {:.0} | {peak} | {:.1} MiB | {} |",
        l.step,
        l.format,
        secs(l.took),
        rate(l.rows, l.took),
        mib(l.file),
        l.outcome
    );
}

/// Runs a step, prints its figures, and checks its outcome with `expect` (a part of one of the
/// first lines of what it printed).
#[allow(clippy::too_many_arguments)]
fn step(
    dir: &Path,
    lines: &mut Vec<Line>,
    (step, format): (&'static str, &'static str),
    db: &Path,
    args: &[&str],
    file: &Path,
    rows: i64,
    expect: &str,
    limit: Duration,
) {
    let name = format!("{}-{format}", step.split(',').next().unwrap_or(step).replace(' ', "-"));
    let r = run(dir, &name, db, args, limit);
    let outcome = if r.timed_out {
        format!("stopped after {:.0} s", secs(limit))
    } else if !r.ok {
        format!("failed: {}", r.stderr_tail().replace('\n', " / "))
    } else {
        match r.head_holds(expect) {
            Ok(()) => "as expected".to_owned(),
            Err(head) => format!("UNEXPECTED: {head}"),
        }
    };
    let report = std::fs::metadata(&r.stdout).map(|m| m.len()).unwrap_or(0);
    println!(
        "  {step} {format}: {:.1} s, {:.0} rows/s, peak resident {}, file {:.1} MiB, printed {:.1} MiB: {outcome}",
        secs(r.took),
        rate(rows, r.took),
        r.peak_kib.map_or_else(|| "?".to_owned(), |k| format!("{:.0} MiB", mib(k * 1024))),
        mib(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)),
        mib(report),
    );
    lines.push(Line {
        step,
        format,
        took: r.took,
        rows,
        peak_kib: r.peak_kib,
        file: std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
        outcome,
    });
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let shape = Shape::of(env_number("SHEETS_BENCH_MEMBERS", FULL_MEMBERS));
    let limit = Duration::from_secs(u64::try_from(env_number("SHEETS_BENCH_TIMEOUT", 1800)).unwrap_or(1800));
    let dir = std::env::temp_dir().join(format!("congdongso-sheets-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    println!(
        "Synthetic country (SQLite): {} provinces, {} communes, {} villages, {} teams, {} members",
        shape.provinces,
        shape.communes,
        shape.communes * VILLAGES_PER_COMMUNE,
        shape.teams,
        shape.members
    );
    let (full, fresh_xlsx, fresh_csv) = (dir.join("full.db"), dir.join("fresh-xlsx.db"), dir.join("fresh-csv.db"));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        build(&full, shape, true).await;
        build(&fresh_xlsx, shape, false).await;
        build(&fresh_csv, shape, false).await;
    });
    drop(rt);

    let n = shape.members;
    let mut lines = Vec::new();
    let (xlsx, csv) = (dir.join("members.xlsx"), dir.join("members.csv"));
    for (format, file) in [("xlsx", &xlsx), ("csv", &csv)] {
        let out = file.to_string_lossy().into_owned();
        let expect = format!("{n} thành viên");
        let args = ["export", "members", "--unit", ROOT, "--out", out.as_str()];
        step(&dir, &mut lines, ("export", format), &full, &args, file, n, &expect, limit);
    }
    for (format, file, fresh) in [("xlsx", &xlsx, &fresh_xlsx), ("csv", &csv, &fresh_csv)] {
        let path = file.to_string_lossy().into_owned();
        let unchanged = format!("không đổi {n}, bị từ chối 0");
        let dry = ["import", "members", path.as_str(), "--dry-run"];
        step(&dir, &mut lines, ("dry run, all unchanged", format), &full, &dry, file, n, &unchanged, limit);
        let created = format!("thêm mới {n}, cập nhật 0");
        let real = ["import", "members", path.as_str()];
        step(&dir, &mut lines, ("import, all created", format), fresh, &real, file, n, &created, limit);
    }

    println!(
        "\n| step | format | time | rows/s | peak resident | file | outcome |\n| --- | --- | --- | --- | --- | --- | --- |"
    );
    for l in &lines {
        print_line(l);
    }
    if std::env::var_os("SHEETS_BENCH_KEEP").is_some() {
        println!("kept: {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
