//! Monthly-report benchmarks (issue E): completeness and indicator totals, the figures a
//! dashboard shows, on the demo province and on a synthetic registry of 100,000 teams with 24
//! months of reports (about 21 million values), on SQLite and PostgreSQL. Beside each figure, the
//! time the database alone takes for the straight scan-and-join of the same figures over
//! `team_report` and `report_value`; then a report submitted a moment ago, counted at once.
//!
//! Run with `cargo bench -p congdongso --bench reports` (a release build: the figures
//! BENCHMARKS.md records). PostgreSQL is the server named by `CONGDONGSO_TEST_PG`. Environment:
//! `REPORTS_BENCH_TEAMS` scales the synthetic registry down (rounded to whole provinces of 2,000
//! teams), `REPORTS_BENCH_BACKENDS` picks `sqlite` or `postgres` (both by default),
//! `REPORTS_BENCH_PARTS` picks `demo` or `synthetic` (both by default). Prints figures; asserts
//! nothing about speed, only that the figures agree with the scan-and-join.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use domain::funding::YearMonth;
use domain::text::{fold, sort_key};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use store::reports;
use store::testing::{Backend, TestDb};
use store::{Db, Scope};

/// The synthetic country: one top unit (the schema has no national level, so it stands for the
/// nation) over provinces (stored at the district level) of 50 communes, each of 40 villages with
/// a team in every village.
const TEAMS_PER_COMMUNE: i64 = 40;
const COMMUNES_PER_PROVINCE: i64 = 50;
const FULL_TEAMS: i64 = 100_000;
const ROOT: &str = "99";
/// The first of the 24 months of synthetic reports.
const FIRST_MONTH: &str = "2024-11";
const MONTHS: usize = 24;
/// Runs of each library call (p50, p95), and of each scan-and-join.
const RUNS: usize = 50;
const SCAN_RUNS: usize = 3;
/// The demo's province today (Quảng Nam lies in Đà Nẵng since 01/07/2025).
const DEMO_TOP: &str = "48";
const DEMO_MONTHS: usize = 12;
const STAMP: &str = "2024-01-01T00:00:00Z";
/// Members of each synthetic team; one in three was present at a training session.
const MEMBERS_PER_TEAM: i64 = 7;

fn month(s: &str) -> YearMonth {
    YearMonth::parse(s).expect("month")
}

fn months_from(first: YearMonth, n: usize) -> Vec<YearMonth> {
    let mut out = Vec::with_capacity(n);
    let mut m = first;
    for _ in 0..n {
        out.push(m);
        m = m.next();
    }
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// SQL text literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn env_has(var: &str, word: &str) -> bool {
    std::env::var(var).map_or(true, |v| v.trim().is_empty() || v.split(',').any(|p| p.trim() == word))
}

/// Runs one statement without parameters; gives the rows it touched.
async fn exec(db: &Db, sql: &str) -> u64 {
    let q = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(p) => sqlx::query(q).execute(p).await.map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(q).execute(p).await.map(|r| r.rows_affected()),
    }
    .unwrap_or_else(|e| panic!("{e}\n{}", &sql[..sql.len().min(400)]))
}

/// Runs one query with text parameters `$1`, `$2`, … and gives its rows.
async fn fetch<T>(db: &Db, sql: &str, binds: &[String]) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    let q = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(p) => {
            let mut q = sqlx::query_as(q);
            for b in binds {
                q = q.bind(b);
            }
            q.fetch_all(p).await
        }
        Db::Postgres(p) => {
            let mut q = sqlx::query_as(q);
            for b in binds {
                q = q.bind(b);
            }
            q.fetch_all(p).await
        }
    }
    .unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

/// p50 and p95 of some runs.
#[derive(Debug, Clone, Copy)]
struct Timing {
    p50: Duration,
    p95: Duration,
    runs: usize,
}

impl Timing {
    fn of(mut took: Vec<Duration>) -> Self {
        took.sort();
        let n = took.len();
        let at = |q: usize| took[((n * q).div_ceil(100)).clamp(1, n) - 1];
        Self { p50: at(50), p95: at(95), runs: n }
    }
}

/// Times `runs` calls of `f` (after one call to warm up); gives the timing and the last result.
async fn time_runs<T, F, Fut>(runs: usize, mut f: F) -> (Timing, T)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut last = f().await;
    let mut took = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        last = f().await;
        took.push(started.elapsed());
    }
    (Timing::of(took), last)
}

/// One line of the results table: a library call and the scan-and-join of the same figures.
struct Row {
    what: String,
    call: Timing,
    scan: Timing,
}

/// The load average of the machine (other work shares its two cores).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn print_rows(title: &str, rows: &[Row]) {
    println!("  {title} (load average now {})", load());
    println!("  | query | p50 | p95 | runs | scan-and-join p50 (max of {SCAN_RUNS}) |");
    for r in rows {
        println!(
            "  | {} | {:.1} ms | {:.1} ms | {} | {:.0} ms ({:.0} ms) |",
            r.what,
            ms(r.call.p50),
            ms(r.call.p95),
            r.call.runs,
            ms(r.scan.p50),
            ms(r.scan.p95.max(r.scan.p50))
        );
    }
}

/// Expected, received and on time under a unit path for a month, straight from the teams and
/// their reports (no kept counts).
const SCAN_COMPLETENESS: &str = "select count(*), \
    cast(coalesce(sum(case when r.status in ('submitted', 'approved') then 1 else 0 end), 0) as bigint), \
    cast(coalesce(sum(case when r.status in ('submitted', 'approved') and r.late = 0 then 1 else 0 end), 0) as bigint) \
    from team t join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
    left join team_report r on r.team_id = t.team_id and r.month = $2 \
    where c.path like $1 and t.established_on <= $3 and (t.dissolved_on is null or t.dissolved_on > $3)";

/// Indicator totals under a unit path, month by month, straight from every value.
const SCAN_TOTALS: &str = "select rv.indicator_id, r.month, cast(sum(rv.value) as bigint) from team_report r \
    join report_value rv on rv.team_report_id = r.team_report_id join team t on t.team_id = r.team_id \
    join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
    where c.path like $1 and r.month >= $2 and r.month <= $3 and r.status in ('submitted', 'approved') \
    group by rv.indicator_id, r.month";

/// Times the completeness of a unit (and, beside it, the scan-and-join), checking that both give
/// the same counts.
async fn bench_completeness(db: &Db, label: &str, code: &str, m: YearMonth) -> Row {
    let unit = store::units::by_code(db, code).await.expect("unit");
    let (call, c) = time_runs(RUNS, || reports::completeness(db, &Scope::All, code, m)).await;
    let c = c.expect("completeness");
    let binds = vec![format!("{}%", unit.path), m.to_string(), store::iso(m.deciding_day())];
    let (scan, rows) = time_runs(SCAN_RUNS, || fetch::<(i64, i64, i64)>(db, SCAN_COMPLETENESS, &binds)).await;
    assert_eq!(rows[0], (c.expected, c.received, c.on_time), "completeness of {code} equals the scan");
    println!(
        "    {label}: expected {}, received {} ({} %), on time {} ({} %); {} child rows",
        c.expected,
        c.received,
        c.received_percent,
        c.on_time,
        c.on_time_percent,
        c.children.len()
    );
    Row { what: format!("{label}: completeness {m}"), call, scan }
}

/// Times the teams not reported of a unit: the whole list (`report completeness` on the command
/// line) and the first 50 the completeness page shows.
async fn bench_not_reported(db: &Db, label: &str, code: &str, m: YearMonth) -> (Timing, Timing) {
    let (call, list) = time_runs(RUNS, || reports::not_reported(db, &Scope::All, code, m)).await;
    let list = list.expect("not reported");
    let first = || store::dashboard::first_behind(db, &Scope::All, code, m, store::dashboard::Which::NotReported, 50);
    let (page, shown) = time_runs(RUNS, first).await;
    let shown = shown.expect("first 50");
    assert_eq!(
        shown.iter().map(|l| l.team_id).collect::<Vec<_>>(),
        list.iter().take(50).map(|t| t.team_id).collect::<Vec<_>>(),
        "the page shows the head of the whole list"
    );
    println!("    {label}: {} teams not reported in {m}", list.len());
    (call, page)
}

/// Times the indicator totals of a unit over 12 months (and the scan-and-join), checking that
/// both give the same figures.
async fn bench_totals(db: &Db, label: &str, code: &str, from: YearMonth, to: YearMonth) -> Row {
    let unit = store::units::by_code(db, code).await.expect("unit");
    let (call, t) = time_runs(RUNS, || reports::indicator_totals(db, &Scope::All, code, from, to)).await;
    let t = t.expect("totals");
    let binds = vec![format!("{}%", unit.path), from.to_string(), to.to_string()];
    let (scan, rows) = time_runs(SCAN_RUNS, || fetch::<(i64, String, i64)>(db, SCAN_TOTALS, &binds)).await;
    let catalogue = reports::indicators(db).await.expect("indicators");
    let mut scanned: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (id, m, v) in rows {
        let code = catalogue.iter().find(|i| i.id == id).expect("indicator").code.clone();
        scanned.insert((code, m), v);
    }
    for i in &t {
        for (m, v) in &i.months {
            assert_eq!(*v, scanned.get(&(i.code.clone(), m.clone())).copied().unwrap_or(0), "{code} {} {m}", i.code);
        }
    }
    let all: i64 = t.iter().map(|i| i.total).sum();
    println!("    {label}: {} indicators × 12 months, {all} in all", t.len());
    Row { what: format!("{label}: indicator totals {from}..{to}"), call, scan }
}

/// Times the dashboard's comparison across child units (`store::dashboard::child_totals`) over
/// 12 months, checking that the children add up to the unit.
async fn bench_children(db: &Db, label: &str, code: &str, from: YearMonth, to: YearMonth) -> Timing {
    let (call, c) = time_runs(RUNS, || store::dashboard::child_totals(db, &Scope::All, code, from, to)).await;
    let c = c.expect("child totals");
    if !c.children.is_empty() {
        for (k, total) in c.unit.totals.iter().enumerate() {
            let sum: i64 = c.children.iter().map(|ch| ch.totals[k]).sum();
            assert_eq!(sum, *total, "{code}: the children of indicator {k} add up to the unit");
        }
    }
    println!("    {label}: {} child units compared on {} indicators", c.children.len(), c.indicators.len());
    call
}

/// Values for a generated submission: deterministic, different per team and month.
fn values_for(catalogue: &[reports::Indicator], team: i64, m: YearMonth) -> Vec<(i64, i64)> {
    catalogue
        .iter()
        .map(|i| (i.id, (team * 7 + i64::from(u8::from(m.first_day().month())) * 5 + i.sort_order * 11) % 60))
        .collect()
}

fn backends() -> Vec<(Backend, &'static str)> {
    let mut out = Vec::new();
    if env_has("REPORTS_BENCH_BACKENDS", "sqlite") {
        out.push((Backend::Sqlite, "SQLite"));
    }
    if env_has("REPORTS_BENCH_BACKENDS", "postgres") {
        out.push((Backend::Postgres, "PostgreSQL"));
    }
    out
}

/// The demo with 12 months of reports (unless it brings its own): each month, every team
/// expected and not yet reported submits through `store::reports::submit` but one in twenty,
/// so that the kept totals are the application's own.
async fn demo(backend: Backend, name: &str) {
    println!("Demo province ({name})");
    let Some(t) = TestDb::new(backend).await else { return };
    let db = &t.db;
    let started = Instant::now();
    let counts = store::demo::load(db, &|_, _, _| {}).await.expect("demo");
    println!(
        "  demo load: {:.2} s ({} units, {} villages, {} teams)",
        started.elapsed().as_secs_f64(),
        counts.units,
        counts.villages,
        counts.teams
    );
    let now = YearMonth::of(store::today());
    let mut first = now;
    for _ in 1..DEMO_MONTHS {
        first = YearMonth::of(first.first_day() - time::Duration::days(1));
    }
    let months = months_from(first, DEMO_MONTHS);
    let catalogue = reports::indicators(db).await.expect("indicators");
    let (had,): (i64,) = fetch(db, "select count(*) from team_report", &[]).await.into_iter().next().expect("count");
    if had == 0 {
        let started = Instant::now();
        let mut took = Vec::new();
        for m in &months {
            let due = reports::not_reported(db, &Scope::All, DEMO_TOP, *m).await.expect("due");
            for team in due.iter().filter(|d| (d.team_id * 13 + i64::from(u8::from(m.first_day().month()))) % 20 != 0) {
                let values = values_for(&catalogue, team.team_id, *m);
                let one = Instant::now();
                reports::submit(db, &Scope::All, team.team_id, *m, &values, None).await.expect("submit");
                took.push(one.elapsed());
            }
        }
        let n = took.len();
        let submit = Timing::of(took);
        println!(
            "  {n} reports submitted for {}..{} in {:.1} s (submit p50 {:.2} ms, p95 {:.2} ms)",
            months[0],
            months[DEMO_MONTHS - 1],
            started.elapsed().as_secs_f64(),
            ms(submit.p50),
            ms(submit.p95)
        );
    } else {
        println!("  the demo brings {had} reports of its own");
    }
    let wrong = reports::verify(db).await.expect("verify");
    assert!(wrong.is_empty(), "kept totals equal a recount: {wrong:?}");
    let (busiest,): (String,) = fetch(
        db,
        "select c.code from team t join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
         where c.valid_to is null group by c.code order by count(*) desc, c.code limit 1",
        &[],
    )
    .await
    .into_iter()
    .next()
    .expect("a commune with teams");
    // This month's reports, submitted today, are on time; earlier months' are all late.
    let shown = now;
    let mut rows = Vec::new();
    rows.push(bench_completeness(db, "province 48", DEMO_TOP, shown).await);
    rows.push(bench_totals(db, "province 48", DEMO_TOP, months[0], months[DEMO_MONTHS - 1]).await);
    rows.push(bench_completeness(db, &format!("commune {busiest}"), &busiest, shown).await);
    rows.push(bench_totals(db, &format!("commune {busiest}"), &busiest, months[0], months[DEMO_MONTHS - 1]).await);
    let (missing, page) = bench_not_reported(db, "province 48", DEMO_TOP, shown).await;
    print_rows(&format!("demo, {name}"), &rows);
    for (what, t) in [("whole list", missing), ("first 50 (the page)", page)] {
        println!(
            "  | province 48: teams not reported {shown}, {what} | {:.1} ms | {:.1} ms | {} | |",
            ms(t.p50),
            ms(t.p95),
            t.runs
        );
    }
    t.db.close().await;
}

/// The shape of the synthetic registry.
#[derive(Debug, Clone, Copy)]
struct Shape {
    provinces: i64,
    communes: i64,
    teams: i64,
}

impl Shape {
    fn from_env() -> Self {
        let wanted = std::env::var("REPORTS_BENCH_TEAMS").ok().and_then(|v| v.trim().parse::<i64>().ok());
        let per_province = TEAMS_PER_COMMUNE * COMMUNES_PER_PROVINCE;
        let provinces = (wanted.unwrap_or(FULL_TEAMS) / per_province).max(1);
        Self { provinces, communes: provinces * COMMUNES_PER_PROVINCE, teams: provinces * per_province }
    }

    fn province_code(p: i64) -> String {
        (100 + p).to_string()
    }

    fn commune_code(c: i64) -> String {
        (10_000 + c).to_string()
    }

    fn commune_id(self, c: i64) -> i64 {
        2 + self.provinces + c
    }
}

/// Inserts `rows` (SQL value tuples) under `head`, a thousand to a statement.
async fn insert_rows(db: &Db, head: &str, rows: &[String]) {
    for chunk in rows.chunks(1000) {
        exec(db, &format!("{head} values {}", chunk.join(", "))).await;
    }
}

/// Builds the synthetic registry (units, villages, their placements and teams, with the folded
/// text and sort keys of `domain::text`) with multi-row inserts.
async fn build_registry(db: &Db, shape: Shape) {
    let started = Instant::now();
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
    let mut units = vec![unit_row(1, ROOT, "Toàn quốc (thử nghiệm)", "province", None, &format!("{ROOT}/"))];
    for p in 0..shape.provinces {
        let code = Shape::province_code(p);
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
        let code = Shape::commune_code(c);
        let path = format!("{ROOT}/{}/{code}/", Shape::province_code(p));
        units.push(unit_row(shape.commune_id(c), &code, &format!("Xã {:05}", c + 1), "commune", Some(2 + p), &path));
    }
    insert_rows(db, unit_head, &units).await;
    // Village k of each commune is called "Thôn k"; its team is named after it.
    let names: Vec<(String, String, String, String, String, String)> = (1..=TEAMS_PER_COMMUNE)
        .map(|k| {
            let village = format!("Thôn {k:02}");
            let team = store::teams::default_name(&village);
            (
                lit(&village),
                lit(&fold(&village)),
                lit(&sort_key(&village)),
                lit(&team),
                lit(&fold(&team)),
                lit(&sort_key(&team)),
            )
        })
        .collect();
    let mut villages = Vec::with_capacity(usize::try_from(shape.teams).unwrap_or(0));
    let mut placements = Vec::with_capacity(villages.capacity());
    let mut teams = Vec::with_capacity(villages.capacity());
    for t in 0..shape.teams {
        let (id, commune) = (1 + t, shape.commune_id(t / TEAMS_PER_COMMUNE));
        let (vn, vs, vk, tn, ts, tk) = &names[usize::try_from(t % TEAMS_PER_COMMUNE).unwrap_or(0)];
        villages.push(format!("({id}, {commune}, {vn}, {vs}, {vk}, 'active', '{STAMP}', '{STAMP}')"));
        placements.push(format!("({id}, {id}, {commune}, '2023-01-01')"));
        // One team in ten was founded on 20/06/2025, after that month's 15th: expected from July.
        let founded = if t % 10 == 9 { "2025-06-20" } else { "2023-05-10" };
        teams.push(format!("({id}, {id}, {tn}, {ts}, {tk}, '{founded}', 'active', '{STAMP}', '{STAMP}')"));
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
    if matches!(db, Db::Postgres(_)) {
        for (table, id) in [
            ("unit", "unit_id"),
            ("village", "village_id"),
            ("village_placement", "village_placement_id"),
            ("team", "team_id"),
        ] {
            exec(
                db,
                &format!("select setval(pg_get_serial_sequence('{table}', '{id}'), (select max({id}) from {table}))"),
            )
            .await;
        }
    }
    println!(
        "  registry: {} units, {} villages, {} teams in {:.1} s",
        units.len(),
        shape.teams,
        shape.teams,
        started.elapsed().as_secs_f64()
    );
}

/// Gives every synthetic team its members (people and memberships, through the triggers that
/// keep coverage) and one training session at which one member in three was present.
async fn build_members(db: &Db, shape: Shape) {
    let started = Instant::now();
    let names = [
        "Nguyễn Văn An",
        "Trần Thị Bình",
        "Lê Văn Cường",
        "Phạm Thị Dung",
        "Hoàng Văn Em",
        "Võ Thị Giang",
        "Đặng Văn Hùng",
    ];
    let folded: Vec<(String, String, String)> =
        names.iter().map(|n| (lit(n), lit(&fold(n)), lit(&sort_key(n)))).collect();
    let (mut people, mut memberships, mut present) = (Vec::new(), Vec::new(), Vec::new());
    exec(db, &format!("insert into course (course_id, title, organiser, created_at) values (1, 'Kỹ năng số', 'Sở TT&TT', '{STAMP}')")).await;
    exec(db, &format!("insert into training_session (training_session_id, course_id, held_on, venue, created_at) values (1, 1, '2024-08-28', 'Hội trường', '{STAMP}')")).await;
    for t in 0..shape.teams {
        for k in 0..MEMBERS_PER_TEAM {
            let id = 1 + t * MEMBERS_PER_TEAM + k;
            let (n, f, o) = &folded[usize::try_from(k).unwrap_or(0)];
            let gender = if k % 2 == 0 { "male" } else { "female" };
            people.push(format!("({id}, {n}, {f}, {o}, '{gender}', 1990, '09{id:08}', '{STAMP}', '{STAMP}')"));
            let role = if k == 0 { "leader" } else { "member" };
            memberships.push(format!("({id}, {id}, {}, '{role}', 'other', '2024-01-10', '{STAMP}', '{STAMP}')", 1 + t));
            if id % 3 == 0 {
                present.push(format!("(1, {id}, 'present', 'bench', '{STAMP}')"));
            }
        }
    }
    insert_rows(
        db,
        "insert into person (person_id, full_name, search_text, sort_key, gender, birth_year, phone, created_at, updated_at)",
        &people,
    )
    .await;
    insert_rows(
        db,
        "insert into membership (membership_id, person_id, team_id, role, position, joined_on, created_at, updated_at)",
        &memberships,
    )
    .await;
    // The attendance triggers look members up by person: the planner must know the table's size
    // (a registry grows over months; here it appears at once).
    exec(db, if matches!(db, Db::Postgres(_)) { "analyze membership" } else { "analyze" }).await;
    insert_rows(
        db,
        "insert into attendance (training_session_id, person_id, status, recorded_by, recorded_at)",
        &present,
    )
    .await;
    if matches!(db, Db::Postgres(_)) {
        for (table, id) in [
            ("person", "person_id"),
            ("membership", "membership_id"),
            ("course", "course_id"),
            ("training_session", "training_session_id"),
        ] {
            exec(
                db,
                &format!("select setval(pg_get_serial_sequence('{table}', '{id}'), (select max({id}) from {table}))"),
            )
            .await;
        }
        exec(db, "analyze").await;
    }
    println!(
        "  members: {} people in {} teams, one in three trained, in {:.1} s",
        shape.teams * MEMBERS_PER_TEAM,
        shape.teams,
        started.elapsed().as_secs_f64()
    );
}

/// Active villages, those with an active team, active members and those trained, under a unit
/// path, straight from the registry (what the dashboard counted before the counts were kept).
const SCAN_REACH: &str = "select (select count(*) from village v join unit c on c.unit_id = v.commune_id \
      where v.status = 'active' and c.path like $1), \
    (select count(*) from village v join unit c on c.unit_id = v.commune_id join team t on t.village_id = v.village_id \
      where v.status = 'active' and c.path like $1 and t.established_on <= $2 and (t.dissolved_on is null or t.dissolved_on > $2)), \
    (select count(*) from membership m join team t on t.team_id = m.team_id join village v on v.village_id = t.village_id \
      join unit c on c.unit_id = v.commune_id where c.path like $1 and m.joined_on <= $2 \
      and (m.left_on is null or m.left_on > $2) and t.established_on <= $2 and (t.dissolved_on is null or t.dissolved_on > $2)), \
    (select count(*) from membership m join team t on t.team_id = m.team_id join village v on v.village_id = t.village_id \
      join unit c on c.unit_id = v.commune_id where c.path like $1 and m.joined_on <= $2 \
      and (m.left_on is null or m.left_on > $2) and t.established_on <= $2 and (t.dissolved_on is null or t.dissolved_on > $2) \
      and exists (select 1 from attendance a where a.person_id = m.person_id and a.status = 'present'))";

/// Times coverage and the trained share of a unit (`store::dashboard::reach`): the first read
/// (every commune counted and kept), reads with nothing changed, and reads each just after one
/// member somewhere under the unit left and came back (one commune counted again); beside them
/// the straight count. Checks the figures equal the straight count.
async fn bench_reach(db: &Db, label: &str, code: &str) -> Vec<Row> {
    let unit = store::units::by_code(db, code).await.expect("unit");
    let today = store::iso(store::today());
    exec(
        db,
        &format!(
            "delete from reach_kept where commune_id in (select unit_id from unit where path like '{}%')",
            unit.path
        ),
    )
    .await;
    let started = Instant::now();
    let first = store::dashboard::reach(db, &Scope::All, code).await.expect("reach");
    let cold = started.elapsed();
    let binds = vec![format!("{}%", unit.path), today];
    let (scan, rows) = time_runs(SCAN_RUNS, || fetch::<(i64, i64, i64, i64)>(db, SCAN_REACH, &binds)).await;
    assert_eq!(
        rows[0],
        (first.villages, first.villages_with_team, first.members, first.members_trained),
        "reach of {code} equals the straight count"
    );
    let (warm, _) = time_runs(RUNS, || store::dashboard::reach(db, &Scope::All, code)).await;
    // Member k leaves before read 2k and is back before read 2k + 1.
    let members: Vec<(i64,)> = fetch(
        db,
        "select m.membership_id from membership m join team t on t.team_id = m.team_id join village v on v.village_id = t.village_id \
         join unit c on c.unit_id = v.commune_id where c.path like $1 order by m.membership_id limit 50",
        &binds[..1],
    )
    .await;
    let mut changed = Vec::new();
    for i in 0..members.len() {
        let (left, expected) = if i % 2 == 0 { ("'2024-02-01'", first.members - 1) } else { ("null", first.members) };
        let id = members[i - i % 2].0;
        exec(db, &format!("update membership set left_on = {left} where membership_id = {id}")).await;
        let started = Instant::now();
        let r = store::dashboard::reach(db, &Scope::All, code).await.expect("reach");
        changed.push(started.elapsed());
        assert_eq!(r.members, expected, "{code}: a member who left is not counted, and counts again on return");
    }
    println!(
        "    {label}: {} villages, {} with a team, {} members, {} trained; first read {:.1} ms",
        first.villages,
        first.villages_with_team,
        first.members,
        first.members_trained,
        ms(cold)
    );
    let one = |d: Duration| Timing { p50: d, p95: d, runs: 1 };
    vec![
        Row { what: format!("{label}: coverage and trained share, first read (all counted)"), call: one(cold), scan },
        Row { what: format!("{label}: coverage and trained share"), call: warm, scan },
        Row {
            what: format!("{label}: coverage and trained share, each after a member changed"),
            call: Timing::of(changed),
            scan,
        },
    ]
}

/// An RFC 3339 time on a day of the month after `m`.
fn after(m: YearMonth, day: u8) -> String {
    let d = m.next().first_day().replace_day(day).expect("day");
    format!("{}T02:00:00Z", store::iso(d))
}

/// Generates 24 months of reports and their values with `insert … select`, month by month: one
/// team in twenty misses a month, one report in ten is late, one in fifty was returned (it counts
/// for nothing), and a third of the last two months' reports await approval. Then the kept
/// totals are recounted by the store and the planner's statistics refreshed.
async fn build_reports(db: &Db, months: &[YearMonth]) {
    reports::load_demo_indicators(db).await.expect("indicators");
    let started = Instant::now();
    let mut values = 0;
    let mut reports_made = 0;
    for (k, m) in months.iter().enumerate() {
        let one = Instant::now();
        let (before,): (i64,) = fetch(db, "select coalesce(max(team_report_id), 0) from team_report", &[])
            .await
            .into_iter()
            .next()
            .expect("max");
        let pending = if k + 2 >= months.len() { "(t.team_id + 1) % 3 = 0" } else { "1 = 0" };
        let made = exec(
            db,
            &format!(
                "insert into team_report (team_id, month, status, commune_id, submitted_at, submitted_by, late, decided_at, \
                 decided_by, comment, created_at, updated_at) \
                 select t.team_id, '{m}', \
                 case when (t.team_id + {k}) % 50 = 1 then 'returned' when {pending} then 'submitted' else 'approved' end, \
                 v.commune_id, case when (t.team_id * 3 + {k}) % 10 = 0 then '{late}' else '{on_time}' end, 'to_truong', \
                 case when (t.team_id * 3 + {k}) % 10 = 0 then 1 else 0 end, \
                 case when (t.team_id + {k}) % 50 <> 1 and {pending} then null else '{decided}' end, \
                 case when (t.team_id + {k}) % 50 <> 1 and {pending} then null else 'can_bo_xa' end, \
                 case when (t.team_id + {k}) % 50 = 1 then 'Thiếu số liệu' else '' end, '{on_time}', '{on_time}' \
                 from team t join village v on v.village_id = t.village_id \
                 where (t.team_id * 13 + {k} * 7) % 20 <> 0 and t.established_on <= '{deciding}' \
                 order by t.team_id",
                late = after(*m, 9),
                on_time = after(*m, 3),
                decided = after(*m, 12),
                deciding = store::iso(m.deciding_day()),
            ),
        )
        .await;
        let written = exec(
            db,
            &format!(
                "insert into report_value (team_report_id, indicator_id, value) \
                 select r.team_report_id, i.indicator_id, (r.team_report_id * 7 + i.indicator_id * 13) % (5 + 10 * i.sort_order) \
                 from team_report r cross join indicator i where r.team_report_id > {before} \
                 order by r.team_report_id, i.indicator_id"
            ),
        )
        .await;
        reports_made += made;
        values += written;
        println!("    {m}: {made} reports, {written} values, {:.1} s", one.elapsed().as_secs_f64());
    }
    println!(
        "  {reports_made} reports, {values} values in {:.1} s ({:.0} values/s)",
        started.elapsed().as_secs_f64(),
        f64::from(u32::try_from(values).unwrap_or(u32::MAX)) / started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    reports::recount(db).await.expect("recount");
    println!("  store::reports::recount (kept totals from every value): {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    match db {
        Db::Sqlite(_) => {
            exec(db, "analyze").await;
        }
        Db::Postgres(_) => {
            exec(
                db,
                "vacuum (analyze) unit, village, team, team_report, report_value, report_total, report_count, indicator",
            )
            .await;
        }
    }
    println!("  analyze: {:.1} s", started.elapsed().as_secs_f64());
    if matches!(db, Db::Sqlite(_)) {
        // A serving database's log is checkpointed as it goes; the bulk load left a large one.
        exec(db, "pragma wal_checkpoint(truncate)").await;
    }
    let kept: Vec<(String, i64)> = fetch(
        db,
        "select 'report_total', count(*) from report_total union all select 'report_rollup', count(*) from report_rollup \
         union all select 'report_count', count(*) from report_count union all select 'team_tally', count(*) from team_tally",
        &[],
    )
    .await;
    println!("  kept rows: {kept:?}");
}

/// A report submitted a moment ago counts at once: a few teams that missed the last month submit
/// through the store, a returned report is corrected and submitted again, a report is approved
/// and one returned; the national totals move by exactly their values each time.
async fn still_live(db: &Db, m: YearMonth) {
    let national = |db: &Db| {
        let db = db.clone();
        async move {
            let t = reports::indicator_totals(&db, &Scope::All, ROOT, m, m).await.expect("totals");
            let c = reports::completeness(&db, &Scope::All, ROOT, m).await.expect("completeness");
            (t.into_iter().map(|i| (i.code, i.total)).collect::<BTreeMap<String, i64>>(), c.received)
        }
    };
    let catalogue = reports::indicators(db).await.expect("indicators");
    let code_of = |id: i64| catalogue.iter().find(|i| i.id == id).expect("indicator").code.clone();
    let deciding = store::iso(m.deciding_day());
    let missed: Vec<(i64,)> = fetch(
        db,
        "select t.team_id from team t where t.established_on <= $2 and not exists \
         (select 1 from team_report r where r.team_id = t.team_id and r.month = $1) order by t.team_id limit 5",
        &[m.to_string(), deciding],
    )
    .await;
    let (mut totals, mut received) = national(db).await;
    let mut took = Vec::new();
    for (team,) in &missed {
        let values = values_for(&catalogue, *team, m);
        let started = Instant::now();
        let s = reports::submit(db, &Scope::All, *team, m, &values, None).await.expect("submit");
        took.push(("submit (new)", started.elapsed()));
        assert!(s.created);
        for (id, v) in &values {
            *totals.entry(code_of(*id)).or_default() += v;
        }
        received += 1;
        assert_eq!(national(db).await, (totals.clone(), received), "the national figures moved by the report");
    }
    let returned: Vec<(i64, i64)> = fetch(
        db,
        "select team_report_id, team_id from team_report where month = $1 and status = 'returned' order by team_report_id limit 1",
        &[m.to_string()],
    )
    .await;
    if let Some((_, team)) = returned.first() {
        let values = values_for(&catalogue, *team + 1, m);
        let started = Instant::now();
        reports::submit(db, &Scope::All, *team, m, &values, None).await.expect("resubmit");
        took.push(("submit (correction of a returned report)", started.elapsed()));
        for (id, v) in &values {
            *totals.entry(code_of(*id)).or_default() += v;
        }
        received += 1;
        assert_eq!(national(db).await, (totals.clone(), received), "a corrected report counts");
    }
    let waiting: Vec<(i64,)> = fetch(
        db,
        "select team_report_id from team_report where month = $1 and status = 'submitted' order by team_report_id limit 2",
        &[m.to_string()],
    )
    .await;
    if let [(approve,), (send_back,)] = waiting.as_slice() {
        let started = Instant::now();
        reports::approve(db, &Scope::All, *approve).await.expect("approve");
        took.push(("approve", started.elapsed()));
        assert_eq!(national(db).await, (totals.clone(), received), "approval changes no figure");
        let r = reports::get(db, &Scope::All, *send_back).await.expect("report");
        let started = Instant::now();
        reports::send_back(db, &Scope::All, *send_back, "Số liệu chưa khớp sổ theo dõi").await.expect("return");
        took.push(("return", started.elapsed()));
        for (code, v) in &r.values {
            *totals.entry(code.clone()).or_default() -= v;
        }
        received -= 1;
        assert_eq!(national(db).await, (totals.clone(), received), "a returned report stops counting");
    }
    println!("  still live, {m}: national totals and completeness moved by exactly each change");
    for (what, d) in &took {
        println!("    {what}: {:.1} ms", ms(*d));
    }
    let started = Instant::now();
    let wrong = reports::verify(db).await.expect("verify");
    assert!(wrong.is_empty(), "{wrong:?}");
    println!("  report verify (kept totals equal a full recount): {:.1} s", started.elapsed().as_secs_f64());
}

async fn synthetic(backend: Backend, name: &str) {
    let shape = Shape::from_env();
    let months = months_from(month(FIRST_MONTH), MONTHS);
    println!(
        "Synthetic registry ({name}): {} provinces, {} communes, {} teams, {MONTHS} months from {FIRST_MONTH}",
        shape.provinces, shape.communes, shape.teams
    );
    let Some(t) = TestDb::new(backend).await else { return };
    let db = &t.db;
    build_registry(db, shape).await;
    build_reports(db, &months).await;
    build_members(db, shape).await;
    let last = months[MONTHS - 1];
    let year = (months[MONTHS - 12], last);
    let province = Shape::province_code(shape.provinces / 2);
    let commune = Shape::commune_code((shape.provinces / 2) * COMMUNES_PER_PROVINCE + 7);
    let mut rows = Vec::new();
    rows.push(bench_completeness(db, "national", ROOT, last).await);
    rows.push(bench_totals(db, "national", ROOT, year.0, year.1).await);
    rows.push(bench_completeness(db, &format!("province {province}"), &province, last).await);
    rows.push(bench_totals(db, &format!("province {province}"), &province, year.0, year.1).await);
    rows.push(bench_completeness(db, &format!("commune {commune}"), &commune, last).await);
    rows.push(bench_totals(db, &format!("commune {commune}"), &commune, year.0, year.1).await);
    for (label, code) in [("national", ROOT), ("province", province.as_str()), ("commune", commune.as_str())] {
        rows.extend(bench_reach(db, label, code).await);
    }
    let mut lists = Vec::new();
    for (label, code) in [("national", ROOT), ("province", province.as_str()), ("commune", commune.as_str())] {
        lists.push((label, bench_not_reported(db, label, code, last).await));
    }
    let mut children = Vec::new();
    for (label, code) in [("national", ROOT), ("province", province.as_str()), ("commune", commune.as_str())] {
        children.push((label, bench_children(db, label, code, year.0, year.1).await));
    }
    print_rows(&format!("{} teams, {name}", shape.teams), &rows);
    for (label, (t, page)) in &lists {
        println!(
            "  | {label}: teams not reported {last}, whole list | {:.1} ms | {:.1} ms | {} | |",
            ms(t.p50),
            ms(t.p95),
            t.runs
        );
        println!(
            "  | {label}: teams not reported {last}, first 50 (the page) | {:.1} ms | {:.1} ms | {} | |",
            ms(page.p50),
            ms(page.p95),
            page.runs
        );
    }
    for (label, t) in &children {
        println!(
            "  | {label}: child comparison, 12 months | {:.1} ms | {:.1} ms | {} | |",
            ms(t.p50),
            ms(t.p95),
            t.runs
        );
    }
    still_live(db, last).await;
    t.db.close().await;
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let started = Instant::now();
    for (backend, name) in backends() {
        if env_has("REPORTS_BENCH_PARTS", "demo") {
            rt.block_on(demo(backend, name));
        }
        if env_has("REPORTS_BENCH_PARTS", "synthetic") {
            rt.block_on(synthetic(backend, name));
        }
    }
    println!("whole benchmark: {:.1} s", started.elapsed().as_secs_f64());
}
