//! A real browser walks the flows a person walks (headless Chromium through chromedriver), on a
//! 360 px wide window: log in, find a member typed without diacritics, edit their team.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them the
//! test says loudly that it skips; in CI (`CI=true`) their absence is a failure.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_finds_a_member_and_edits_the_team_on_a_phone() {
    if !browser_installed() {
        return;
    }
    let started = Instant::now();
    let t = TestDb::new(Backend::Sqlite).await.expect("SQLite is always there");
    let db = t.db.clone();
    store::demo::load(&db, &|_, _, _| {}).await.expect("load the demo province");
    let hash = users::hash_password(ADMIN_PASSWORD).expect("hash");
    users::add(&db, ADMIN, "Quản trị", &hash, &[store::access::NewGrant::everywhere(domain::UserRole::ProvinceAdmin)])
        .await
        .expect("admin");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the app");
    let base = format!("http://{}", listener.local_addr().expect("app address"));
    let server = tokio::spawn(web::serve(web::AppState::new(db.clone()), listener));

    let mut driver = Driver::start();
    driver.ready().await;
    let client = driver.connect().await;
    // The walk runs in a task of its own so that a failed assertion still lets us close the
    // browser before the failure is reported.
    let walk = tokio::spawn(walk(client.clone(), base, db.clone()));
    let outcome = tokio::time::timeout(WALK_LIMIT, walk).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
    drop(driver);
    server.abort();
    drop(t);
    match outcome {
        Ok(Ok(())) => eprintln!("browser test: walked in {:.1} s", started.elapsed().as_secs_f64()),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("the browser walk failed: {e}"),
        Err(_) => panic!("the browser walk took more than {WALK_LIMIT:?}"),
    }
}

async fn walk(c: Client, base: String, db: Db) {
    // Log in: the dashboard sends a stranger to the login page, which sends them back.
    c.goto(&format!("{base}/")).await.expect("open /");
    assert_eq!(c.current_url().await.expect("url").path(), "/login", "a stranger is sent to the login page");
    // The screen really is a phone's width.
    let inner = c.execute("return window.innerWidth;", vec![]).await.expect("innerWidth");
    assert_eq!(inner.as_i64(), Some(PHONE_WIDTH), "the page is laid out {inner} px wide, not {PHONE_WIDTH}");
    fits_a_phone(&c, "login").await;
    c.find(Locator::Id("login")).await.expect("#login").send_keys(ADMIN).await.expect("type the login");
    c.find(Locator::Id("password")).await.expect("#password").send_keys(ADMIN_PASSWORD).await.expect("password");
    c.find(Locator::Id("login-submit")).await.expect("#login-submit").click().await.expect("log in");
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
    wait_for_query(&c).await;
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

/// Waits until the page's address carries a query (a submitted GET form) and has loaded.
async fn wait_for_query(c: &Client) {
    let start = Instant::now();
    loop {
        let url = c.current_url().await.expect("url");
        if url.query().is_some_and(|q| q.contains("q=")) && loaded(c).await {
            return;
        }
        assert!(start.elapsed() < WAIT, "still at {url} after {WAIT:?}, waiting for the search");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
