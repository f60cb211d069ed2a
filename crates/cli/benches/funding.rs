//! Funding benchmarks: computing and storing one month's entitlements (`store::payments::compute`)
//! and the budget simulator (`store::funding::simulate`), on the demo province and on a synthetic
//! registry of 100,000 teams, in-process on SQLite. Run with
//! `cargo bench -p congdongso --bench funding` (a release build: the figures BENCHMARKS.md
//! records). Prints figures; asserts nothing about speed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use domain::funding::{Assumptions, PolicyDraft, Scenario, YearMonth};
use domain::text::{fold, person_sort_key, sort_key};
use store::testing::{Backend, TestDb};
use store::{Db, Scope};

/// The synthetic province: 100 districts of 10 communes, each commune with 110 villages of which
/// the first 100 have a team of 7 members: 110,000 villages, 100,000 teams, 700,000 members.
const DISTRICTS: i64 = 100;
const COMMUNES_PER_DISTRICT: i64 = 10;
const VILLAGES_PER_COMMUNE: i64 = 110;
const TEAMS_PER_COMMUNE: i64 = 100;
const MEMBERS_PER_TEAM: i64 = 7;
const COMMUNES: i64 = DISTRICTS * COMMUNES_PER_DISTRICT;
const VILLAGES: i64 = COMMUNES * VILLAGES_PER_COMMUNE;
const TEAMS: i64 = COMMUNES * TEAMS_PER_COMMUNE;
const MEMBERS: i64 = TEAMS * MEMBERS_PER_TEAM;
const PROVINCE: &str = "99";
/// The day the synthetic units (and every village's placement) begin.
const UNITS_FROM: &str = "2023-04-10";

fn month(s: &str) -> YearMonth {
    YearMonth::parse(s).expect("month")
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Rows per second, for printing.
#[allow(clippy::cast_precision_loss)]
fn rate(rows: i64, d: Duration) -> f64 {
    rows as f64 / d.as_secs_f64().max(1e-9)
}

/// A line of `/proc/self/status` in MiB (`VmHWM`: the peak resident set; `VmRSS`: now).
#[allow(clippy::cast_precision_loss)]
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the peak resident set (`VmHWM`) to the current one, so that each stage reports its own.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn print_memory(stage: &str) {
    match (status_mib("VmHWM:"), status_mib("VmRSS:")) {
        (Some(peak), Some(now)) => println!("  memory, {stage}: peak resident {peak:.0} MiB (now {now:.0} MiB)"),
        _ => println!("  memory, {stage}: /proc/self/status not readable"),
    }
}

/// A policy in force from 01/01/2025: 500,000 ₫ per team per month over the unit `scope`.
async fn policy_in_force(db: &Db, name: &str, scope: &str) {
    let draft = PolicyDraft {
        name: name.into(),
        legal_basis: "Số liệu đo hiệu năng".into(),
        kind: "team_month".into(),
        amount: "500000".into(),
        effective_from: "2025-01-01".into(),
        effective_to: String::new(),
        scope: scope.into(),
        cap_months: String::new(),
        cap_per_year: String::new(),
        source: "province".into(),
        status: "in_force".into(),
        note: String::new(),
    };
    let input = draft.parse().expect("policy draft");
    store::funding::create(db, &input).await.expect("policy");
}

/// Times `compute` for a month over the whole registry and prints it.
async fn time_compute(db: &Db, label: &str, m: YearMonth) -> store::payments::ComputeReport {
    let started = Instant::now();
    let r = store::payments::compute(db, &Scope::All, m).await.expect("compute");
    let took = started.elapsed();
    println!(
        "  compute {m} ({label}): {:.3} s; {} entitlements created, {} existing, {}; {:.0} rows/s",
        secs(took),
        r.created,
        r.existing,
        r.amount,
        rate(r.created + r.existing, took)
    );
    r
}

/// Times the simulator for a unit over 12 months from January 2025, every policy that concerns
/// it, and prints it.
async fn time_simulate(db: &Db, unit: &str) {
    let started = Instant::now();
    let sim = store::funding::simulate(db, &Scope::All, unit, month("2025-01"), 12, &[], Assumptions::default())
        .await
        .expect("simulate");
    let took = started.elapsed();
    println!(
        "  simulate {unit}, 12 months from 2025-01: {:.3} s; {} villages, {} teams, {} members, {} rows, {} policies × 2 scenarios; {:.0} villages/s",
        secs(took),
        sim.unit.villages,
        sim.unit.teams,
        sim.unit.members,
        sim.rows.len(),
        sim.policies.len(),
        rate(sim.unit.villages, took)
    );
    for p in &sim.policies {
        let total = |s: Scenario| p.scenarios.iter().find(|c| c.scenario == s).map(|c| c.total).unwrap_or_default();
        println!(
            "    {}: {} with today's teams, {} with a team in every village",
            p.name,
            total(Scenario::CurrentTeams),
            total(Scenario::FullCoverage)
        );
    }
}

/// The demo province (Quảng Nam, with both 2025 reorganisations applied, as `congdongso demo`
/// loads it) with a province-wide policy in force from January 2025.
async fn demo() {
    println!("Demo province (SQLite)");
    let t = TestDb::new(Backend::Sqlite).await.expect("temporary SQLite");
    let started = Instant::now();
    let counts = store::demo::load(&t.db, &|_, _, _| {}).await.expect("demo");
    println!(
        "  demo load: {:.2} s ({} units, {} villages, {} teams, {} members, the demo's five policies, both 2025 reorganisations)",
        secs(started.elapsed()),
        counts.units,
        counts.villages,
        counts.teams,
        counts.members
    );
    policy_in_force(&t.db, "Đo hiệu năng: hỗ trợ tổ toàn tỉnh", "49").await;
    let jan = month("2025-01");
    time_compute(&t.db, "nothing recorded before", jan).await;
    let mut by_policy: BTreeMap<String, (usize, i64)> = BTreeMap::new();
    for e in store::payments::entitlements(&t.db, &Scope::All, jan).await.expect("entitlements") {
        let entry = by_policy.entry(e.policy_name).or_default();
        entry.0 += 1;
        entry.1 += e.amount;
    }
    for (name, (n, amount)) in &by_policy {
        println!("    {name}: {n} entitlements, {}", domain::money::Vnd::new(*amount));
    }
    time_compute(&t.db, "again: everything exists", jan).await;
    time_compute(&t.db, "one month recorded before", month("2025-02")).await;
    time_simulate(&t.db, "49").await;
    t.db.close().await;
}

/// SQL text literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A numbered name, a fixed text and a zero-padded number (`Thôn 000042`), written as SQL
/// expressions of an integer expression so that SQLite makes a hundred thousand names, their
/// folded search text and their Vietnamese sort keys without a round trip each. In the sort key
/// only the digits' weights depend on the number; `new` checks that against
/// [`domain::text::sort_key`].
struct Numbered {
    text: String,
    width: usize,
    prefix: String,
    suffix: String,
}

/// Weight of the digit `0` in a sort key's primary level (`0x44`, see `domain::text`).
const DIGIT_ZERO: u8 = 0x44;

impl Numbered {
    fn new(text: &str, width: usize) -> Self {
        let zero = sort_key(&format!("{text} {}", "0".repeat(width)));
        // The number is the last word: word separator, its digits, level separator.
        let run = format!("\x22{}\x21", char::from(DIGIT_ZERO).to_string().repeat(width));
        let at = zero.rfind(&run).expect("the digits of a numbered name in its sort key") + 1;
        let n =
            Self { text: text.to_owned(), width, prefix: zero[..at].to_owned(), suffix: zero[at + width..].to_owned() };
        let top = 10i64.pow(u32::try_from(width).expect("width")) - 1;
        for i in [0, 1, 9, 10, 42, 1234 % (top + 1), top / 2, top] {
            assert_eq!(n.key(i), sort_key(&n.name(i)), "sort key of {}", n.name(i));
        }
        n
    }

    fn name(&self, i: i64) -> String {
        format!("{} {i:0w$}", self.text, w = self.width)
    }

    fn key(&self, i: i64) -> String {
        let digits: String =
            format!("{i:0w$}", w = self.width).bytes().map(|d| char::from(d - b'0' + DIGIT_ZERO)).collect();
        format!("{}{digits}{}", self.prefix, self.suffix)
    }

    /// `name, search_text, sort_key` for the SQL integer expression `i`.
    fn sql(&self, i: &str) -> String {
        let padded = format!("printf('%0{}d', {i})", self.width);
        let weights: Vec<String> =
            (0..self.width).rev().map(|p| format!("{DIGIT_ZERO} + ({i}) / {} % 10", 10i64.pow(p as u32))).collect();
        format!(
            "{} || ' ' || {padded}, {} || ' ' || {padded}, {} || char({}) || {}",
            lit(&self.text),
            lit(&fold(&self.text)),
            lit(&self.prefix),
            weights.join(", "),
            lit(&self.suffix)
        )
    }
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

/// Builds the synthetic province in an empty database: a handful of `insert … select` statements
/// over generated series, with explicit ids, every row as the migrations require it.
async fn build_synthetic(db: &Db) {
    let stamp = lit("2026-01-01T00:00:00Z");
    let (province_search, province_key) = (lit(&fold("Tỉnh Thử Nghiệm")), lit(&sort_key("Tỉnh Thử Nghiệm")));
    let district = Numbered::new("Huyện", 3);
    let commune = Numbered::new("Xã", 5);
    let village = Numbered::new("Thôn", 6);
    let team = Numbered::new(&format!("{}Thôn", domain::demo::TEAM_NAME_PREFIX), 6);
    let (names, names_sql) = people_names();
    let unit_columns = "insert into unit (unit_id, code, name, search_text, sort_key, level, parent_id, path, valid_from, \
                        created_at, updated_at)";
    // A team's ordinal t lies in commune t / 100, village (t / 100) * 110 + t % 100; it was founded
    // some day of 2024, and its members joined that day.
    let founded = |t: &str| format!("date('2024-01-01', '+' || (({t}) % 366) || ' days')");
    let team_village = format!("(i / {TEAMS_PER_COMMUNE}) * {VILLAGES_PER_COMMUNE} + i % {TEAMS_PER_COMMUNE}");
    let stages: Vec<(&str, i64, String)> = vec![
        (
            "province",
            1,
            format!(
                "{SERIES}{unit_columns} select 1, '{PROVINCE}', 'Tỉnh Thử Nghiệm', {province_search}, {province_key}, 'province', \
                 null, '{PROVINCE}/', '{UNITS_FROM}', {stamp}, {stamp} from n"
            ),
        ),
        (
            "districts",
            DISTRICTS,
            format!(
                "{SERIES}{unit_columns} select 2 + i, cast(100 + i as text), {}, 'district', 1, \
                 '{PROVINCE}/' || (100 + i) || '/', '{UNITS_FROM}', {stamp}, {stamp} from n",
                district.sql("100 + i")
            ),
        ),
        (
            "communes",
            COMMUNES,
            format!(
                "{SERIES}{unit_columns} select {} + i, cast(10000 + i as text), {}, 'commune', 2 + i / {COMMUNES_PER_DISTRICT}, \
                 '{PROVINCE}/' || (100 + i / {COMMUNES_PER_DISTRICT}) || '/' || (10000 + i) || '/', '{UNITS_FROM}', {stamp}, {stamp} from n",
                2 + DISTRICTS,
                commune.sql("10000 + i")
            ),
        ),
        (
            "villages",
            VILLAGES,
            format!(
                "{SERIES}insert into village (village_id, commune_id, name, search_text, sort_key, status, created_at, updated_at) \
                 select 1 + i, {} + i / {VILLAGES_PER_COMMUNE}, {}, 'active', {stamp}, {stamp} from n",
                2 + DISTRICTS,
                village.sql("i")
            ),
        ),
        (
            "village placements",
            VILLAGES,
            format!(
                "{SERIES}insert into village_placement (village_placement_id, village_id, commune_id, valid_from) \
                 select 1 + i, 1 + i, {} + i / {VILLAGES_PER_COMMUNE}, '{UNITS_FROM}' from n",
                2 + DISTRICTS
            ),
        ),
        (
            "teams",
            TEAMS,
            format!(
                "{SERIES}insert into team (team_id, village_id, name, search_text, sort_key, established_on, status, \
                 created_at, updated_at) select 1 + i, 1 + {team_village}, {}, {}, 'active', {stamp}, {stamp} from n",
                team.sql(&team_village),
                founded("i")
            ),
        ),
        (
            "people",
            MEMBERS,
            format!(
                "{SERIES}, names(k, full_name, search_text, sort_key, gender) as (values {names_sql}) \
                 insert into person (person_id, full_name, search_text, sort_key, gender, birth_year, phone, created_at, updated_at) \
                 select 1 + i, m.full_name, m.search_text, m.sort_key, m.gender, 1970 + i % 40, '09' || printf('%08d', i), \
                 {stamp}, {stamp} from n join names m on m.k = i % {names}"
            ),
        ),
        (
            "memberships",
            MEMBERS,
            format!(
                "{SERIES}insert into membership (membership_id, person_id, team_id, role, position, joined_on, created_at, updated_at) \
                 select 1 + i, 1 + i, 1 + i / {MEMBERS_PER_TEAM}, \
                 case i % {MEMBERS_PER_TEAM} when 0 then 'leader' when 1 then 'deputy' else 'member' end, \
                 case i % {MEMBERS_PER_TEAM} when 0 then 'commune_official' when 1 then 'village_head' \
                 when 2 then 'youth_union' when 3 then 'women_union' when 4 then 'police' else 'other' end, \
                 {}, {stamp}, {stamp} from n",
                founded(&format!("i / {MEMBERS_PER_TEAM}"))
            ),
        ),
    ];
    let all = Instant::now();
    let mut rows = 0;
    for (what, n, sql) in &stages {
        let started = Instant::now();
        store::testing::execute(db, sql, *n).await;
        let took = started.elapsed();
        rows += n;
        println!("    {what}: {n} rows, {:.2} s, {:.0} rows/s", secs(took), rate(*n, took));
    }
    let took = all.elapsed();
    println!("  registry built: {rows} rows in {:.2} s ({:.0} rows/s)", secs(took), rate(rows, took));
    // The generated rows carry the names, folded text and sort keys the application would give.
    let u = store::units::by_code(db, "10042").await.expect("a generated commune");
    assert_eq!(u.path, format!("{PROVINCE}/{}/10042/", 100 + 42 / COMMUNES_PER_DISTRICT));
    let first_commune = 2 + DISTRICTS;
    let communes: Vec<(i64, String)> =
        [0, 1, 42, COMMUNES - 1].iter().map(|&c| (first_commune + c, commune.name(10_000 + c))).collect();
    check_names(db, "unit", &communes).await;
    let villages: Vec<(i64, String)> =
        [0, 1, 42, 9_999, VILLAGES - 1].iter().map(|&v| (1 + v, village.name(v))).collect();
    check_names(db, "village", &villages).await;
    let teams: Vec<(i64, String)> = [0, 1, 42, 9_999, TEAMS - 1]
        .iter()
        .map(|&t| (1 + t, team.name((t / TEAMS_PER_COMMUNE) * VILLAGES_PER_COMMUNE + t % TEAMS_PER_COMMUNE)))
        .collect();
    check_names(db, "team", &teams).await;
}

/// Asserts that the rows of `table` with these ids have these names, with the folded text and
/// sort key of `domain::text`: SQL counts the rows that match into a setting, which is read back.
async fn check_names(db: &Db, table: &str, rows: &[(i64, String)]) {
    let cases: Vec<String> = rows
        .iter()
        .map(|(id, name)| {
            format!(
                "({table}_id = {id} and name = {} and search_text = {} and sort_key = {})",
                lit(name),
                lit(&fold(name)),
                lit(&sort_key(name))
            )
        })
        .collect();
    let key = format!("bench-check-{table}");
    let sql = format!(
        "insert into setting (key, value) select '{key}', cast(count(*) as text) from {table} where {}",
        cases.join(" or ")
    );
    store::testing::execute(db, &sql, 0).await;
    let matched = db.setting(&key).await.expect("setting");
    assert_eq!(matched, Some(rows.len().to_string()), "generated {table} rows match domain::text");
    store::testing::execute(db, &format!("delete from setting where key = '{key}'"), 0).await;
}

/// The synthetic province of 100,000 teams, with a province-wide policy in force from January
/// 2025.
async fn synthetic() {
    println!(
        "Synthetic province (SQLite): {DISTRICTS} districts, {COMMUNES} communes, {VILLAGES} villages, {TEAMS} teams, {MEMBERS} members"
    );
    let t = TestDb::new(Backend::Sqlite).await.expect("temporary SQLite");
    build_synthetic(&t.db).await;
    print_memory("building");
    policy_in_force(&t.db, "Đo hiệu năng: hỗ trợ tổ toàn tỉnh", PROVINCE).await;
    let jan = month("2025-01");
    reset_peak();
    time_compute(&t.db, "nothing recorded before", jan).await;
    print_memory("computing");
    time_compute(&t.db, "again: everything exists", jan).await;
    time_compute(&t.db, "one month recorded before", month("2025-02")).await;
    reset_peak();
    time_simulate(&t.db, PROVINCE).await;
    print_memory("simulating");
    t.db.close().await;
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let started = Instant::now();
    rt.block_on(demo());
    print_memory("demo stage");
    if !reset_peak() {
        println!("  (cannot reset the peak through /proc/self/clear_refs: later peaks include earlier stages)");
    }
    rt.block_on(synthetic());
    println!("whole benchmark: {:.1} s", secs(started.elapsed()));
}
