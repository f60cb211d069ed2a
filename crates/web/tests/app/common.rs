//! `TestApp`: a router on a fresh database, a logged-in admin, and helpers that read like the
//! field.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::input::{MembershipDraft, PersonDraft, TeamDraft};
use http_body_util::BodyExt;
use store::testing::{Backend, TestDb};
use store::units::Unit;
use store::{Db, Scope, people, teams, units, users, villages};
use tower::ServiceExt;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "mat-khau-thu-nghiem";

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub struct TestApp {
    pub db: Db,
    router: Router,
    cookie: Option<String>,
    pub csrf: String,
    /// The database this app owns (dropped with it); `None` for a second browser on another's.
    _t: Option<TestDb>,
}

impl TestApp {
    /// A router on a fresh database holding Quảng Nam's units and one admin (not logged in).
    /// `None` when PostgreSQL is absent outside CI.
    pub async fn new(backend: Backend) -> Option<Self> {
        let t = TestDb::new(backend).await?;
        let db = t.db.clone();
        let rows = domain::units::parse_state_csv(domain::units::QUANG_NAM_2023).expect("units");
        units::load_state(&db, &rows, store::demo::DEMO_UNITS_FROM).await.expect("load units");
        let hash = users::hash_password(ADMIN_PASSWORD).expect("hash");
        users::add(
            &db,
            ADMIN,
            "Quản trị thử",
            &hash,
            &[store::access::NewGrant::everywhere(domain::UserRole::ProvinceAdmin)],
        )
        .await
        .expect("admin");
        let router = web::app(web::AppState::new(db.clone()));
        Some(Self { db, router, cookie: None, csrf: String::new(), _t: Some(t) })
    }

    /// Another browser on the same database (not logged in).
    pub async fn new_on(app: &TestApp) -> Self {
        let router = web::app(web::AppState::new(app.db.clone()));
        Self { db: app.db.clone(), router, cookie: None, csrf: String::new(), _t: None }
    }

    /// Logs in through the login form, keeping the session cookie and the CSRF token.
    pub async fn login(&mut self) {
        let r = self.post_form("/login", &[("login", ADMIN), ("password", ADMIN_PASSWORD), ("next", "/")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login failed: {}", r.body);
        self.refresh_csrf().await;
    }

    /// Logs in as another user through the login form.
    pub async fn login_as(&mut self, login: &str, password: &str) {
        let r = self.post_form("/login", &[("login", login), ("password", password), ("next", "/")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login of {login} failed: {}", r.body);
        self.refresh_csrf().await;
    }

    /// A user holding one grant (or none), with the admin's password.
    pub async fn user_with(&self, login: &str, grant: Option<(domain::UserRole, store::access::Target)>) -> i64 {
        let hash = users::hash_password(ADMIN_PASSWORD).expect("hash");
        let grants = match grant {
            Some((role, target)) => vec![store::access::resolve(&self.db, role, &target).await.expect("grant")],
            None => Vec::new(),
        };
        users::add(&self.db, login, login, &hash, &grants).await.expect("user")
    }

    /// Another browser on the same database, logged in as `login` (the admin's password).
    pub async fn browser_of(&self, login: &str) -> TestApp {
        let mut b = TestApp::new_on(self).await;
        b.login_as(login, ADMIN_PASSWORD).await;
        b
    }

    /// Reads the session's CSRF token from a page (a new session has a new one).
    pub async fn refresh_csrf(&mut self) {
        let page = self.get("/members").await;
        let marker = "name=\"csrf\" value=\"";
        let start = page.body.find(marker).expect("csrf in page") + marker.len();
        self.csrf = page.body[start..start + 64].to_owned();
    }

    /// A new app, logged in as the admin.
    pub async fn logged_in(backend: Backend) -> Option<Self> {
        let mut app = Self::new(backend).await?;
        app.login().await;
        Some(app)
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> Reply {
        if let Some(c) = &self.cookie {
            req.headers_mut().insert(header::COOKIE, c.parse().expect("cookie"));
        }
        let resp = self.router.clone().oneshot(req).await.expect("router answers");
        if let Some(set) = resp.headers().get(header::SET_COOKIE).and_then(|v| v.to_str().ok())
            && set.starts_with("cds_session=")
        {
            let pair = set.split(';').next().unwrap_or_default().to_owned();
            self.cookie = if pair == "cds_session=" { None } else { Some(pair) };
        }
        let status = resp.status();
        let location = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_type =
            resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        Reply { status, location, content_type, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// The body of a GET, as bytes (a file to download).
    pub async fn get_bytes(&mut self, path: &str) -> Vec<u8> {
        let mut req = Request::get(path).body(Body::empty()).expect("request");
        if let Some(c) = &self.cookie {
            req.headers_mut().insert(header::COOKIE, c.parse().expect("cookie"));
        }
        let resp = self.router.clone().oneshot(req).await.expect("router answers");
        resp.into_body().collect().await.expect("body").to_bytes().to_vec()
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).expect("request")).await
    }

    /// Posts a form as a browser would; the CSRF token is added unless the fields carry one.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        if !all.iter().any(|(k, _)| *k == "csrf") && !csrf.is_empty() {
            all.push(("csrf", &csrf));
        }
        let body = serde_urlencoded::to_string(&all).expect("form");
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// Sends JSON to the API with the session's CSRF header.
    pub async fn api(&mut self, method: &str, path: &str, body: Option<serde_json::Value>) -> Reply {
        let mut b = Request::builder().method(method).uri(path).header("x-csrf-token", self.csrf.clone());
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).expect("request")).await
    }

    pub async fn unit(&self, code: &str) -> Unit {
        units::by_code(&self.db, code).await.expect("unit")
    }

    /// A village in a commune, made through the store.
    pub async fn village(&self, commune: &str, name: &str) -> i64 {
        villages::create(&self.db, &self.unit(commune).await, name).await.expect("village")
    }

    /// A team founded on 01/09/2023 in a new village of a commune.
    pub async fn team(&self, commune: &str, village: &str) -> i64 {
        let v = self.village(commune, village).await;
        let draft = TeamDraft { name: String::new(), established_on: "01/09/2023".into(), zalo_url: String::new() };
        let input = draft.parse(store::today()).expect("team input");
        teams::create(&self.db, &Scope::All, v, &input).await.expect("team")
    }

    /// A member added to a team through the store.
    pub async fn member(&self, team: i64, name: &str, phone: &str, role: &str, position: &str) -> i64 {
        let p = PersonDraft {
            full_name: name.into(),
            gender: "male".into(),
            birth: "1985".into(),
            phone: phone.into(),
            ..PersonDraft::default()
        };
        let m = MembershipDraft { role: role.into(), position: position.into(), joined_on: "01/10/2023".into() };
        let today = store::today();
        people::create_member(
            &self.db,
            &Scope::All,
            team,
            &p.parse(today).expect("person"),
            &m.parse(today).expect("membership"),
        )
        .await
        .expect("member")
    }
}

/// Writes one async test twice, on SQLite and PostgreSQL, with a logged-in `TestApp`.
#[macro_export]
macro_rules! app_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(mut $app) = $crate::common::TestApp::logged_in(store::testing::Backend::Sqlite).await {
                    $body
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(mut $app) = $crate::common::TestApp::logged_in(store::testing::Backend::Postgres).await {
                    $body
                }
            }
        }
    };
}
