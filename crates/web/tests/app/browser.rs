//! A real browser walks the flows a person walks (headless Chromium through chromedriver), on a
//! 360 px wide window: log in, find a member typed without diacritics, edit their team; compute
//! a month, prepare and submit a commune's payment list, then, as another person, approve and
//! pay it; a team leader fills the monthly report, loses the connection without losing the
//! figures, sends it, and the commune's completeness counts it.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them each
//! test says loudly that it skips; in CI (`CI=true`) their absence is a failure.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use store::payments::LedgerFilter;
use store::people::{self, MemberFilter};
use store::testing::{Backend, TestDb};
use store::{Db, PageRequest, Scope, teams, users};

use crate::common::{ADMIN, ADMIN_PASSWORD};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The phone the pages must fit.
const PHONE_WIDTH: i64 = 360;
/// Sub-pixel rounding and the like.
const WIDTH_TOLERANCE: i64 = 2;
/// How long one wait for a page may take.
const WAIT: Duration = Duration::from_secs(15);
/// How long the whole walk may take before the test fails instead of hanging CI.
const WALK_LIMIT: Duration = Duration::from_secs(180);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// `true` when the browser is installed; otherwise fails in CI and skips loudly elsewhere.
fn browser_installed() -> bool {
    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM].into_iter().filter(|p| !Path::new(p).exists()).collect();
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(" and ");
    assert!(!in_ci(), "the browser test needs {what} in CI (apt-get install chromium chromium-driver)");
    eprintln!(
        "\n*** SKIPPED: browser test: {what} not found; install Debian's `chromium` and `chromium-driver` to run it ***\n"
    );
    false
}

/// chromedriver as a child process, with Chromium's profile directory; both go away on drop,
/// even when the test fails.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    fn start() -> Self {
        let port = free_port();
        let profile = std::env::temp_dir().join(format!("congdongso-chromium-{}-{}", std::process::id(), nanos_now()));
        std::fs::create_dir_all(&profile).expect("create the Chromium profile directory");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        Self { child, port, profile }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until chromedriver answers on its port.
    async fn ready(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("chromedriver status") {
                panic!("chromedriver exited early ({status})");
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(start.elapsed() < WAIT, "chromedriver did not answer on port {} within {WAIT:?}", self.port);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn connect(&self) -> Client {
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--window-size={PHONE_WIDTH},800"),
            format!("--user-data-dir={}", self.profile.display()),
        ];
        let mut caps = serde_json::Map::new();
        // Headless Chromium will not make a window narrower than 500 px, so the phone's screen is
        // emulated too: a 360 x 800 viewport that honours `<meta name="viewport">` as a phone does.
        let phone = json!({
            "deviceMetrics": { "width": PHONE_WIDTH, "height": 800, "pixelRatio": 1.0, "mobile": true, "touch": true }
        });
        caps.insert("goog:chromeOptions".into(), json!({ "binary": CHROMIUM, "args": args, "mobileEmulation": phone }));
        ClientBuilder::native()
            .capabilities(caps)
            .connect(&self.url())
            .await
            .unwrap_or_else(|e| panic!("cannot open a Chromium session through chromedriver: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Ask chromedriver to quit its browsers first; killing it alone can leave Chromium behind.
        shutdown_request(self.port);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `GET /shutdown`, chromedriver's own way to stop (and close its sessions); errors ignored.
fn shutdown_request(port: u16) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = s.set_write_timeout(Some(Duration::from_secs(1)));
        let _ = s.write_all(b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let _ = s.read(&mut [0u8; 256]);
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local address").port()
}

fn nanos_now() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
}

/// A demo member whose name carries diacritics, who is in a team, and whose folded name finds
/// few enough people to show on the first page of results.
async fn pick_member(db: &Db) -> (String, String) {
    let page =
        people::list(db, &Scope::All, &MemberFilter::default(), PageRequest::new(1, 200)).await.expect("members");
    assert!(!page.items.is_empty(), "the demo has members");
    for m in page.items {
        let folded = domain::text::fold(&m.full_name);
        if m.team_id.is_none() || !folded.is_ascii() || folded == m.full_name.to_lowercase() {
            continue;
        }
        let filter = MemberFilter { search: Some(folded.clone()), include_former: false, numbers_for: None };
        let found = people::list(db, &Scope::All, &filter, PageRequest::new(1, 1)).await.expect("search");
        if found.total <= 20 {
            return (m.full_name, folded);
        }
    }
    panic!("no demo member with diacritics and a findable name among the first 200");
}

/// A fresh SQLite database holding the demo province (reorganised to today's units) and the
/// administrator.
async fn demo() -> TestDb {
    let t = TestDb::new(Backend::Sqlite).await.expect("SQLite is always there");
    store::demo::load(&t.db, &|_, _, _| {}).await.expect("load the demo province");
    let hash = users::hash_password(ADMIN_PASSWORD).expect("hash");
    users::add(
        &t.db,
        ADMIN,
        "Quản trị",
        &hash,
        &[store::access::NewGrant::everywhere(domain::UserRole::ProvinceAdmin)],
    )
    .await
    .expect("admin");
    t
}

/// Serves `t`'s database on a free port, opens Chromium at a phone's width and walks `walk`
/// (given the browser, the server's address and the database) within [`WALK_LIMIT`]. The walk
/// runs in a task of its own so that a failed assertion still lets us close the browser and the
/// server before the failure is reported.
async fn in_browser<F, Fut>(name: &str, t: TestDb, walk: F)
where
    F: FnOnce(Client, String, Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let db = t.db.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the app");
    let base = format!("http://{}", listener.local_addr().expect("app address"));
    let server = tokio::spawn(web::serve(web::AppState::new(db.clone()), listener));

    let mut driver = Driver::start();
    driver.ready().await;
    let client = driver.connect().await;
    let walk = tokio::spawn(walk(client.clone(), base, db));
    let outcome = tokio::time::timeout(WALK_LIMIT, walk).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
    drop(driver);
    server.abort();
    drop(t);
    match outcome {
        Ok(Ok(())) => eprintln!("browser test ({name}): walked in {:.1} s", started.elapsed().as_secs_f64()),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("the browser walk ({name}) failed: {e}"),
        Err(_) => panic!("the browser walk ({name}) took more than {WALK_LIMIT:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_finds_a_member_and_edits_the_team_on_a_phone() {
    if !browser_installed() {
        return;
    }
    in_browser("member and team", demo().await, walk).await;
}

async fn walk(c: Client, base: String, db: Db) {
    // Log in: the dashboard sends a stranger to the login page, which sends them back.
    c.goto(&format!("{base}/")).await.expect("open /");
    assert_eq!(c.current_url().await.expect("url").path(), "/login", "a stranger is sent to the login page");
    // The screen really is a phone's width.
    let inner = c.execute("return window.innerWidth;", vec![]).await.expect("innerWidth");
    assert_eq!(inner.as_i64(), Some(PHONE_WIDTH), "the page is laid out {inner} px wide, not {PHONE_WIDTH}");
    fits_a_phone(&c, "login").await;
    log_in(&c, ADMIN).await;
    wait_for_path(&c, "/").await;
    let h1 = c.find(Locator::Css("main h1")).await.expect("the dashboard's heading");
    let heading = h1.text().await.expect("heading text");
    assert!(heading.contains("Thành phố Đà Nẵng"), "dashboard heading (the demo opens on today's units): {heading}");
    fits_a_phone(&c, "dashboard").await;

    // Find a member by typing their name without diacritics.
    let (name, typed) = pick_member(&db).await;
    c.goto(&format!("{base}/members")).await.expect("open /members");
    fits_a_phone(&c, "members").await;
    let search = c.find(Locator::Id("member-search")).await.expect("#member-search");
    search.send_keys(&typed).await.expect("type the name");
    c.find(Locator::Id("member-search-go")).await.expect("#member-search-go").click().await.expect("search");
    wait_for_query(&c, "q=").await;
    let results = c.find(Locator::Id("member-results")).await.expect("#member-results");
    let text = results.text().await.expect("results text");
    assert!(text.contains(&name), "searching “{typed}” should find “{name}”; the results read:\n{text}");
    fits_a_phone(&c, "members (results)").await;

    // Through the member's row to their team.
    let mut team_link = None;
    for row in results.find_all(Locator::Css("tbody tr")).await.expect("result rows") {
        let who = row.find(Locator::Css("td:first-child")).await.expect("name cell").text().await.expect("name");
        if who.trim() == name {
            team_link = Some(row.find(Locator::Css("a[href^='/teams/']")).await.expect("the row links to the team"));
            break;
        }
    }
    let team_link = team_link.unwrap_or_else(|| panic!("no result row reads exactly “{name}”"));
    let href = team_link.attr("href").await.expect("href").expect("the team link has an href");
    let team_id: i64 = href.trim_start_matches("/teams/").parse().unwrap_or_else(|e| panic!("team link {href}: {e}"));
    team_link.click().await.expect("open the team");
    wait_for_path(&c, &href).await;
    c.find(Locator::Id("team-edit")).await.expect("the team's edit form");
    fits_a_phone(&c, "team").await;

    // Change the team's name and Zalo link.
    let new_name = "Tổ công nghệ số thử nghiệm 360";
    let new_zalo = "https://zalo.me/g/thunghiem360";
    replace(&c, "team-name-input", new_name).await;
    replace(&c, "zalo-input", new_zalo).await;
    c.find(Locator::Id("team-save")).await.expect("#team-save").click().await.expect("save the team");
    let notice = c.wait().at_most(WAIT).for_element(Locator::Css("p.notice")).await.expect("a notice after saving");
    assert_eq!(notice.text().await.expect("notice").trim(), "Đã lưu thay đổi.");
    let shown = c.find(Locator::Id("team-name")).await.expect("#team-name").text().await.expect("team name");
    assert!(shown.contains(new_name), "the team's heading reads “{shown}”, not the new name");
    fits_a_phone(&c, "team (saved)").await;
    let saved = teams::get(&db, &Scope::All, team_id).await.expect("the team in the store");
    assert_eq!(saved.name, new_name);
    assert_eq!(saved.zalo_url.as_deref(), Some(new_zalo));

    // A link that is not Zalo's is refused, in Vietnamese, and nothing changes.
    replace(&c, "zalo-input", "https://example.com/x").await;
    c.find(Locator::Id("team-save")).await.expect("#team-save").click().await.expect("save again");
    let error = c.wait().at_most(WAIT).for_element(Locator::Id("zalo-error")).await.expect("#zalo-error");
    let message = error.text().await.expect("error text");
    assert!(
        message.contains("Liên kết nhóm Zalo") && message.contains("không hợp lệ"),
        "the Zalo error reads “{message}”"
    );
    fits_a_phone(&c, "team (invalid Zalo link)").await;
    let kept = teams::get(&db, &Scope::All, team_id).await.expect("the team in the store");
    assert_eq!(kept.zalo_url.as_deref(), Some(new_zalo), "a refused link must not be saved");
    assert_eq!(kept.name, new_name);
}

/// Who prepares in the payments walk: a province officer of today's city.
const OFFICER: &str = "can.bo.tinh";
/// Who approves and pays: the city's finance approver.
const APPROVER: &str = "ke.toan.thanh.pho";
/// The month the walk pays, and the day it is paid on.
const PAID_MONTH: &str = "2025-01";
const PAID_ON: &str = "31/01/2025";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_list_goes_from_prepared_to_paid_on_a_phone() {
    if !browser_installed() {
        return;
    }
    let t = demo().await;
    // A policy in force in Quảng Nam from 2025 (the demo's own options are only proposed): its
    // months before the province joined Đà Nẵng are still owed, on today's communes' lists.
    let draft = domain::funding::PolicyDraft {
        name: "Hỗ trợ tổ hằng tháng (đã ban hành)".into(),
        kind: "team_month".into(),
        amount: "500.000".into(),
        effective_from: "01/01/2025".into(),
        scope: "49".into(),
        source: "province".into(),
        status: "in_force".into(),
        ..domain::funding::PolicyDraft::default()
    };
    store::funding::create(&t.db, &draft.parse().expect("policy")).await.expect("record the policy");
    let hash = users::hash_password(ADMIN_PASSWORD).expect("hash");
    for (login, role) in [(OFFICER, domain::UserRole::ProvinceOfficer), (APPROVER, domain::UserRole::FinanceApprover)] {
        let grant = store::access::resolve(&t.db, role, &store::access::Target::Unit("48".into()))
            .await
            .expect("a grant on today's city");
        users::add(&t.db, login, login, &hash, &[grant]).await.expect("user");
    }
    in_browser("payment list", t, pay_walk).await;
}

async fn pay_walk(c: Client, base: String, db: Db) {
    let before = store::payments::balance(&db, &Scope::All, &LedgerFilter::default()).await.expect("balance");
    // The province officer opens the payments, logs in and picks the month.
    c.goto(&format!("{base}/payments")).await.expect("open /payments");
    wait_for_path(&c, "/login").await;
    log_in(&c, OFFICER).await;
    wait_for_path(&c, "/payments").await;
    let month = c.find(Locator::Css("form.search input[name='month']")).await.expect("the month box");
    month.clear().await.expect("clear the month");
    month.send_keys(PAID_MONTH).await.expect("type the month");
    click(&c, "form.search button").await;
    wait_for_query(&c, &format!("month={PAID_MONTH}")).await;
    fits_a_phone(&c, "payments").await;

    // Computes what the month owes, then prepares the first commune's list.
    click(&c, "#compute-go").await;
    let computed = wait_for_text(&c, "#computed", "khoản mới").await;
    assert!(!computed.contains(" 0 khoản mới"), "the month owes something: {computed}");
    fits_a_phone(&c, "payments (computed)").await;
    let row = c.find(Locator::Css("#unlisted tbody tr")).await.expect("a commune left to list");
    let commune = row.find(Locator::Css("td:first-child")).await.expect("commune").text().await.expect("commune");
    let owed = row.find(Locator::Css("td:nth-child(3)")).await.expect("amount").text().await.expect("amount");
    row.find(Locator::Css("button.prepare"))
        .await
        .expect("the commune's prepare button")
        .click()
        .await
        .expect("prepare");
    let id = wait_for_list(&c).await;
    let path = format!("/payments/{id}");
    let status = wait_for_text(&c, "#list-status", "Đã lập").await;
    let total = c.find(Locator::Id("list-total")).await.expect("#list-total").text().await.expect("total");
    assert_eq!(total.trim(), owed.trim(), "the list of {commune} totals what the commune was owed; status {status}");
    let title = c.find(Locator::Css("main h1")).await.expect("heading").text().await.expect("heading");
    let name = commune.split_once(' ').map_or(commune.as_str(), |(_, n)| n);
    assert!(title.contains(name), "the list's heading “{title}” names {commune}");
    fits_a_phone(&c, "payment list").await;

    // Submits it, then hands over: logs out.
    click(&c, "#submit button").await;
    wait_for_text(&c, "#list-status", "Đã trình duyệt").await;
    assert!(c.find(Locator::Id("approve")).await.is_err(), "the officer is offered no approval");
    click(&c, "form[action='/logout'] button").await;
    wait_for_path(&c, "/login").await;

    // The finance approver comes to the list through the login page, approves and pays.
    c.goto(&format!("{base}{path}")).await.expect("open the list");
    wait_for_path(&c, "/login").await;
    log_in(&c, APPROVER).await;
    wait_for_path(&c, &path).await;
    wait_for_text(&c, "#list-status", "Đã trình duyệt").await;
    click(&c, "#approve button").await;
    wait_for_text(&c, "#list-status", "Đã duyệt").await;
    let paid_on = c.find(Locator::Css("#pay input[name='paid_on']")).await.expect("the day paid");
    paid_on.send_keys(PAID_ON).await.expect("type the day paid");
    click(&c, "#pay button").await;
    let status = wait_for_text(&c, "#list-status", "Đã chi trả").await;
    assert_eq!(status.trim(), "Trạng thái: Đã chi trả");
    let trail = c.find(Locator::Id("list-trail")).await.expect("#list-trail").text().await.expect("trail");
    for who in [OFFICER, APPROVER, PAID_ON] {
        assert!(trail.contains(who), "the list's trail names {who}: {trail}");
    }
    assert!(c.find(Locator::Id("pay")).await.is_err(), "nothing left to pay");
    fits_a_phone(&c, "payment list (paid)").await;

    // The ledger, asked for the day paid, holds what was paid; the whole ledger grew by as much
    // (the demo paid Phú Ninh's September 2024 already).
    c.goto(&format!("{base}/ledger")).await.expect("open /ledger");
    wait_for_text(&c, "#balance", "Đã chi").await;
    for field in ["from", "to"] {
        let input = c.find(Locator::Css(&format!("form.search input[name='{field}']"))).await.expect("a day box");
        input.send_keys(PAID_ON).await.expect("type the day");
    }
    click(&c, "form.search button").await;
    wait_for_query(&c, "from=").await;
    let balance = wait_for_text(&c, "#balance", "Đã chi").await;
    assert_eq!(balance.trim(), format!("Đã chi: {}", total.trim()), "the ledger's balance on {PAID_ON}");
    fits_a_phone(&c, "ledger").await;
    let l = store::payments::list_by_id(&db, &Scope::All, id).await.expect("the list in the store");
    assert_eq!(
        (l.status.as_str(), l.prepared_by.as_str(), l.approved_by.as_deref(), l.paid_on.as_deref()),
        ("paid", OFFICER, Some(APPROVER), Some("2025-01-31"))
    );
    let after = store::payments::balance(&db, &Scope::All, &LedgerFilter::default()).await.expect("balance");
    assert_eq!(after.value() - before.value(), l.total, "the ledger grew by the list's total");
    assert_eq!(domain::money::Vnd::new(l.total).display(), total.trim());
}

/// Waits until the page is a payment list's (`/payments/7`) and has loaded; answers its id.
async fn wait_for_list(c: &Client) -> i64 {
    let start = Instant::now();
    loop {
        let url = c.current_url().await.expect("url");
        let id = url.path().strip_prefix("/payments/").and_then(|id| id.parse::<i64>().ok());
        if let Some(id) = id
            && loaded(c).await
        {
            return id;
        }
        assert!(start.elapsed() < WAIT, "still at {url} after {WAIT:?}, waiting for a payment list");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Empties an input and types a new value into it.
async fn replace(c: &Client, id: &str, value: &str) {
    let input = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    input.clear().await.unwrap_or_else(|e| panic!("clear #{id}: {e}"));
    input.send_keys(value).await.unwrap_or_else(|e| panic!("type into #{id}: {e}"));
    let now = input.prop("value").await.unwrap_or_else(|e| panic!("#{id} value: {e}"));
    assert_eq!(now.as_deref(), Some(value), "#{id} holds what was typed");
}

/// Waits until the page's path is `path` and the document has loaded.
async fn wait_for_path(c: &Client, path: &str) {
    let start = Instant::now();
    loop {
        let url = c.current_url().await.expect("url");
        if url.path() == path && loaded(c).await {
            return;
        }
        assert!(start.elapsed() < WAIT, "still at {url} after {WAIT:?}, waiting for {path}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the page's address carries `wanted` in its query (a submitted GET form) and the
/// page has loaded.
async fn wait_for_query(c: &Client, wanted: &str) {
    let start = Instant::now();
    loop {
        let url = c.current_url().await.expect("url");
        if url.query().is_some_and(|q| q.contains(wanted)) && loaded(c).await {
            return;
        }
        assert!(start.elapsed() < WAIT, "still at {url} after {WAIT:?}, waiting for “{wanted}” in the query");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the element at `css` reads `wanted` somewhere in its text (a form posted and the
/// page after it loaded); answers the whole text.
async fn wait_for_text(c: &Client, css: &str, wanted: &str) -> String {
    let start = Instant::now();
    loop {
        let now = match c.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if now.contains(wanted) && loaded(c).await {
            return now;
        }
        assert!(start.elapsed() < WAIT, "{css} reads “{now}” after {WAIT:?}, waiting for “{wanted}”");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Logs in on the login page (the admin's password) and waits to be sent on.
async fn log_in(c: &Client, login: &str) {
    c.find(Locator::Id("login")).await.expect("#login").send_keys(login).await.expect("type the login");
    c.find(Locator::Id("password")).await.expect("#password").send_keys(ADMIN_PASSWORD).await.expect("password");
    c.find(Locator::Id("login-submit")).await.expect("#login-submit").click().await.expect("log in");
    let start = Instant::now();
    while c.current_url().await.expect("url").path() == "/login" {
        assert!(start.elapsed() < WAIT, "{login} is still on the login page after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the first element at `css`.
async fn click(c: &Client, css: &str) {
    let el = c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    el.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn loaded(c: &Client) -> bool {
    c.execute("return document.readyState;", vec![]).await.is_ok_and(|s| s == "complete")
}

/// Asserts that the page needs no sideways scrolling on a 360 px phone, naming what sticks out
/// when it does.
async fn fits_a_phone(c: &Client, page: &str) {
    let limit = PHONE_WIDTH + WIDTH_TOLERANCE;
    let measured = c
        .execute(
            "const limit = arguments[0];
             const wide = [];
             for (const el of document.body.querySelectorAll('*')) {
               const r = el.getBoundingClientRect();
               if (r.right > limit && r.width > 0) {
                 let inScroller = false;
                 for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                   const o = getComputedStyle(p).overflowX;
                   if (o === 'auto' || o === 'scroll' || o === 'hidden') { inScroller = true; break; }
                 }
                 if (!inScroller) {
                   const id = el.id ? '#' + el.id : '';
                   const cls = el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
                   wide.push(el.tagName.toLowerCase() + id + cls + ' (right edge ' + Math.round(r.right) + ' px)');
                 }
               }
             }
             return { scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 10) };",
            vec![json!(limit)],
        )
        .await
        .expect("measure the page");
    let scroll = measured["scroll"].as_i64().expect("scrollWidth");
    assert!(
        scroll <= limit,
        "the {page} page is {scroll} px wide on a {PHONE_WIDTH} px phone (it scrolls sideways); too wide: {}",
        measured["wide"]
    );
}

const LEADER: &str = "totruong.tanthanh";
const COMMUNE_OFFICER: &str = "canbo.tanthanh";
/// Tân Thạnh, a commune of today's Đà Nẵng that the demo fills with teams.
const REPORT_COMMUNE: &str = "20335";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_leader_reports_on_a_phone_and_the_commune_sees_it() {
    if !browser_installed() {
        return;
    }
    let t = demo().await;
    let team = *store::training::teams_of_unit(&t.db, &Scope::All, REPORT_COMMUNE)
        .await
        .expect("the commune's teams")
        .first()
        .expect("a team in the commune");
    let hash = users::hash_password(ADMIN_PASSWORD).expect("hash");
    for (login, role, target) in [
        (LEADER, domain::UserRole::TeamLeader, store::access::Target::Team(team)),
        (COMMUNE_OFFICER, domain::UserRole::CommuneOfficer, store::access::Target::Unit(REPORT_COMMUNE.into())),
    ] {
        let grant = store::access::resolve(&t.db, role, &target).await.expect("grant");
        users::add(&t.db, login, login, &hash, &[grant]).await.expect("user");
    }
    in_browser("monthly report", t, move |c, base, db| report_walk(c, base, db, team)).await;
}

/// The number after `label` in the completeness line ("… đã nhận 3 (…)").
fn figure_after(text: &str, label: &str) -> i64 {
    let rest = text.split(label).nth(1).unwrap_or_else(|| panic!("“{label}” in “{text}”"));
    rest.split_whitespace()
        .next()
        .and_then(|n| n.trim_end_matches(',').parse().ok())
        .unwrap_or_else(|| panic!("a figure in “{rest}”"))
}

async fn field_value(c: &Client, name: &str) -> String {
    let el = c.find(Locator::Css(&format!("#report-form input[name='{name}']"))).await.expect("a report field");
    el.prop("value").await.expect("value").unwrap_or_default()
}

async fn report_walk(c: Client, base: String, db: Db, team: i64) {
    let month = domain::funding::YearMonth::of(store::today());
    let completeness = format!("/reports?unit={REPORT_COMMUNE}&month={month}");
    let form = format!("/teams/{team}/reports/{month}");

    // The commune officer looks at this month's completeness: the team has not reported.
    c.goto(&format!("{base}{completeness}")).await.expect("open the completeness");
    wait_for_path(&c, "/login").await;
    log_in(&c, COMMUNE_OFFICER).await;
    let before = wait_for_text(&c, "#completeness", "đã nhận").await;
    let received_before = figure_after(&before, "đã nhận");
    let expected = figure_after(&before, "phải báo cáo");
    assert!(received_before < expected, "someone is still to report: {before}");
    let missing = c.find(Locator::Id("not-reported")).await.expect("#not-reported").html(false).await.expect("list");
    assert!(missing.contains(&form), "the team is among those not reported");
    fits_a_phone(&c, "completeness").await;
    click(&c, "form[action='/logout'] button").await;
    wait_for_path(&c, "/login").await;

    // The leader opens the form on a phone and types two figures…
    c.goto(&format!("{base}{form}")).await.expect("open the report form");
    wait_for_path(&c, "/login").await;
    log_in(&c, LEADER).await;
    wait_for_path(&c, &form).await;
    fits_a_phone(&c, "report form").await;
    let guided = c.find(Locator::Css("#report-form input[name='v_dvc_huong_dan']")).await.expect("a figure");
    guided.send_keys("12").await.expect("type");
    let filed = c.find(Locator::Css("#report-form input[name='v_dvc_ho_so']")).await.expect("a figure");
    filed.send_keys("9").await.expect("type");

    // …then the connection drops before anything is sent: the page comes back empty from the
    // server, and the script puts the figures back, saying so.
    c.goto(&format!("{base}{form}")).await.expect("open the form again");
    wait_for_path(&c, &form).await;
    let notice = wait_for_text(&c, "#draft-notice", "khôi phục").await;
    assert!(notice.contains("chưa gửi"), "{notice}");
    assert_eq!(field_value(&c, "v_dvc_huong_dan").await, "12");
    assert_eq!(field_value(&c, "v_dvc_ho_so").await, "9");
    assert!(
        store::reports::of_team(&db, &Scope::All, team, month).await.expect("report").is_none(),
        "nothing reached the server yet"
    );
    fits_a_phone(&c, "report form (restored)").await;

    // Offline, pressing "send" keeps the figures and sends nothing.
    c.execute("Object.defineProperty(navigator, 'onLine', { get: () => false });", vec![]).await.expect("go offline");
    click(&c, "#report-submit").await;
    wait_for_text(&c, "#draft-notice", "mất kết nối").await;
    assert!(store::reports::of_team(&db, &Scope::All, team, month).await.expect("report").is_none());

    // Back online (a new page), the leader sends it.
    c.goto(&format!("{base}{form}")).await.expect("open the form once more");
    wait_for_path(&c, &form).await;
    wait_for_text(&c, "#draft-notice", "khôi phục").await;
    click(&c, "#report-submit").await;
    wait_for_text(&c, "#report-status", "Đã gửi").await;
    let sent = store::reports::of_team(&db, &Scope::All, team, month).await.expect("report").expect("sent");
    assert_eq!(sent.status, "submitted");
    let value = |code: &str| sent.values.iter().find(|(c, _)| c == code).map(|(_, v)| *v);
    assert_eq!((value("dvc_huong_dan"), value("dvc_ho_so")), (Some(12), Some(9)));
    assert!(!sent.late, "this month's report is sent before its deadline");
    let kept = c.execute("return window.localStorage.length;", vec![]).await.expect("read the device's storage");
    assert_eq!(kept, json!(0), "once sent, nothing of the report stays on the device");
    fits_a_phone(&c, "report form (sent)").await;
    click(&c, "form[action='/logout'] button").await;
    wait_for_path(&c, "/login").await;

    // The commune's completeness counts it at once, on time.
    c.goto(&format!("{base}{completeness}")).await.expect("open the completeness again");
    wait_for_path(&c, "/login").await;
    log_in(&c, COMMUNE_OFFICER).await;
    let after = wait_for_text(&c, "#completeness", "đã nhận").await;
    assert_eq!(figure_after(&after, "đã nhận"), received_before + 1, "{after}");
    assert_eq!(figure_after(&after, "phải báo cáo"), expected);
    let missing = c.find(Locator::Id("not-reported")).await.expect("#not-reported").html(false).await.expect("list");
    assert!(!missing.contains(&form), "the team left the list of those not reported");

    // The commune's dashboard fits the phone too, and counts the figures just sent.
    c.goto(&format!("{base}/indicators?unit={REPORT_COMMUNE}&from={month}&to={month}")).await.expect("dashboard");
    wait_for_path(&c, "/indicators").await;
    let page = c.source().await.expect("the dashboard's source");
    assert!(page.contains("<svg"), "the dashboard draws its charts");
    fits_a_phone(&c, "dashboard").await;
    // The catalogue's first indicator (residents guided): only the report just sent counts.
    let first = c.find(Locator::Css("#indicator-totals tbody tr:first-child")).await.expect("a totals row");
    let row = first.text().await.expect("row text");
    assert!(row.starts_with("Số người dân được hướng dẫn") && row.trim_end().ends_with("12"), "{row}");
}
