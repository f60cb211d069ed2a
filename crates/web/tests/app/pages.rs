//! The pages, through the router: what a commune officer sees and types, on SQLite and
//! PostgreSQL. Refused forms answer 422 with the message beside the field and the typed values
//! kept; every refusal is checked to have saved nothing.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use store::people::{self, MemberFilter};
use store::teams::{self, TeamFilter};
use store::villages::{self, VillageFilter};
use store::{Db, PageRequest, Scope};
use tower::ServiceExt;

use crate::app_test;
use crate::common::{ADMIN, ADMIN_PASSWORD, TestApp};

const TAN_THANH: &str = "20335";
const OTHER_COMMUNE: &str = "20341";

/// The id in a redirect such as `/teams/12?ok=created`.
fn id_in(location: Option<&str>, prefix: &str) -> i64 {
    let loc = location.expect("a Location header");
    let rest = loc.strip_prefix(prefix).unwrap_or_else(|| panic!("{loc} does not start with {prefix}"));
    rest.split(['?', '/']).next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no id in {loc}"))
}

/// Asserts that the texts appear in the body in this order.
fn in_order(body: &str, texts: &[&str]) {
    let mut last = 0;
    let mut prev = "";
    for t in texts {
        let at = body.find(t).unwrap_or_else(|| panic!("{t:?} not in the page:\n{body}"));
        assert!(at >= last, "{t:?} comes before {prev:?}");
        last = at;
        prev = t;
    }
}

fn field_error(body: &str, message: &str) -> bool {
    body.contains(&format!("<p class=\"field-error\">{message}"))
        || body.contains(&format!("class=\"field-error\" id=\"zalo-error\">{message}"))
}

async fn village_count(db: &Db) -> i64 {
    let filter = VillageFilter { include_inactive: true, ..VillageFilter::default() };
    villages::list(db, &Scope::All, &filter, PageRequest::default()).await.expect("villages").total
}

async fn team_count(db: &Db) -> i64 {
    let filter = TeamFilter { include_dissolved: true, ..TeamFilter::default() };
    teams::list(db, &Scope::All, &filter, PageRequest::default()).await.expect("teams").total
}

async fn people_count(db: &Db) -> i64 {
    let filter = MemberFilter { include_former: true, ..MemberFilter::default() };
    people::list(db, &Scope::All, &filter, PageRequest::default()).await.expect("people").total
}

async fn membership_of(db: &Db, person: i64) -> i64 {
    people::get(db, &Scope::All, person).await.expect("person").membership_id.expect("an active membership")
}

/// The fields of the add-member form.
fn member_form<'a>(
    name: &'a str,
    gender: &'a str,
    birth: &'a str,
    phone: &'a str,
    cccd: &'a str,
    role: &'a str,
    position: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("full_name", name),
        ("gender", gender),
        ("birth", birth),
        ("phone", phone),
        ("cccd", cccd),
        ("email", ""),
        ("role", role),
        ("position", position),
        ("joined_on", "01/10/2023"),
    ]
}

/// A response read whole, with its headers (the harness's `Reply` has none).
struct Full {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Full {
    fn header(&self, name: header::HeaderName) -> String {
        self.headers.get(&name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    }
}

/// Sends a request to a router of our own on the app's database, headers set by the caller.
async fn send_raw(db: &Db, req: Request<Body>) -> Full {
    let resp = web::app(web::AppState::new(db.clone())).oneshot(req).await.expect("router answers");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Full { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn get_with_cookie(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request")
}

fn form_with_cookie(path: &str, cookie: &str, fields: &[(&str, &str)]) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(serde_urlencoded::to_string(fields).expect("form")))
        .expect("request")
}

/// Logs in through a router of our own: the `cds_session=…` pair and the session's CSRF token.
async fn own_session(app: &TestApp) -> (String, String) {
    let r = send_raw(&app.db, form_with_cookie("/login", "", &[("login", ADMIN), ("password", ADMIN_PASSWORD)])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set = r.set_cookies().into_iter().find(|c| c.starts_with("cds_session=")).expect("a session cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    let pair = set.split(';').next().expect("pair").to_owned();
    let page = send_raw(&app.db, get_with_cookie("/members", &pair)).await;
    let marker = "name=\"csrf\" value=\"";
    let start = page.body.find(marker).expect("csrf in page") + marker.len();
    (pair, page.body[start..start + 64].to_owned())
}

// ---------------------------------------------------------------- logging in and out

app_test!(the_login_page_and_a_wrong_password, |app| {
    let r = app.get("/login?next=/teams").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<h2>Đăng nhập</h2>"), "{}", r.body);
    assert!(r.body.contains("name=\"login\"") && r.body.contains("name=\"password\""), "{}", r.body);
    assert!(r.body.contains("name=\"next\" value=\"/teams\""), "{}", r.body);

    for (login, password) in [(ADMIN, "sai-mat-khau"), ("khong-co-ai", ADMIN_PASSWORD)] {
        let r = app.post_form("/login", &[("login", login), ("password", password), ("next", "/teams")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{login}");
        assert!(r.body.contains("Sai tên đăng nhập hoặc mật khẩu"), "{}", r.body);
        assert!(r.body.contains(&format!("name=\"login\" id=\"login\" value=\"{login}\"")), "login kept: {}", r.body);
        assert!(!r.body.contains(password), "the password is never echoed");
    }

    // A good login follows `next`, but only to a local path.
    let r = app.post_form("/login", &[("login", ADMIN), ("password", ADMIN_PASSWORD), ("next", "/teams")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/teams")));
    for evil in ["https://evil.example/", "//evil.example/x", "/\\evil.example"] {
        let r = app.post_form("/login", &[("login", ADMIN), ("password", ADMIN_PASSWORD), ("next", evil)]).await;
        assert_eq!(r.location.as_deref(), Some("/"), "next = {evil}");
    }
});

app_test!(pages_need_a_session, |app| {
    let r = app.post_form("/logout", &[]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/login")));

    let r = app.get("/").await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/login?next=%2F")));
    let r = app.get("/teams?q=phu").await;
    assert_eq!(r.location.as_deref(), Some("/login?next=%2Fteams%3Fq%3Dphu"));
    // A form posted without a session saves nothing.
    let r = app.post_form("/villages", &[("commune_code", TAN_THANH), ("name", "Thôn Phú Lâm")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.as_deref().is_some_and(|l| l.starts_with("/login")), "{:?}", r.location);
    assert_eq!(village_count(&app.db).await, 0);

    // Logging in again opens the pages.
    app.login().await;
    assert_eq!(app.get("/").await.status, StatusCode::OK);
});

app_test!(logging_out_ends_the_session_on_the_server, |app| {
    let (cookie, csrf) = own_session(&app).await;
    assert_eq!(send_raw(&app.db, get_with_cookie("/", &cookie)).await.status, StatusCode::OK);
    // Logging out needs the CSRF token.
    let r = send_raw(&app.db, form_with_cookie("/logout", &cookie, &[("csrf", "x")])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(send_raw(&app.db, get_with_cookie("/", &cookie)).await.status, StatusCode::OK);

    let r = send_raw(&app.db, form_with_cookie("/logout", &cookie, &[("csrf", &csrf)])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.set_cookies().iter().any(|c| c.starts_with("cds_session=;") && c.contains("Max-Age=0")),
        "{:?}",
        r.set_cookies()
    );
    // The old cookie, kept by a careless browser, opens nothing any more.
    let r = send_raw(&app.db, get_with_cookie("/", &cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header(header::LOCATION), "/login?next=%2F");
    // The harness's own session is untouched.
    assert_eq!(app.get("/").await.status, StatusCode::OK);
});

app_test!(a_form_with_a_wrong_csrf_token_is_forbidden, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    for csrf in ["wrong", ""] {
        let r = app.post_form("/villages", &[("csrf", csrf), ("commune_code", TAN_THANH), ("name", "Thôn Mới")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Phiên làm việc đã thay đổi"), "{}", r.body);
        assert!(r.body.contains("Không được phép"), "{}", r.body);
        let r = app.post_form(&format!("/teams/{team}/dissolve"), &[("csrf", csrf), ("confirm", "1")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(village_count(&app.db).await, 1);
    assert_eq!(teams::get(&app.db, &Scope::All, team).await.expect("team").status, "active");
});

// ---------------------------------------------------------------- units

app_test!(the_dashboard_shows_the_province, |app| {
    app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<html lang=\"vi\">"), "{}", r.body);
    assert!(r.body.contains("Tỉnh Quảng Nam"), "{}", r.body);
    assert!(r.body.contains("<svg"), "a chart");
    assert!(r.body.contains("href=\"/units/502\">Thành phố Tam Kỳ</a>"), "{}", r.body);
    assert!(
        r.body.contains("<b id=\"fig-villages\">1</b>") && r.body.contains("<b id=\"fig-teams\">1</b>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<b id=\"fig-coverage\">100%</b>"), "{}", r.body);
});

app_test!(unit_pages_drill_down_to_the_villages, |app| {
    let phu_lam = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let phu_lam_village = teams::get(&app.db, &Scope::All, phu_lam).await.expect("team").village_id;
    let my_thach = app.village(TAN_THANH, "Thôn Mỹ Thạch").await;

    let r = app.get("/units/49").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Tỉnh Quảng Nam") && r.body.contains("href=\"/units/502\""), "{}", r.body);

    let r = app.get("/units/502").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<a href=\"/units/49\">Tỉnh Quảng Nam</a>"), "trail: {}", r.body);
    assert!(
        r.body.contains("Thành phố Tam Kỳ") && r.body.contains("href=\"/units/20335\">Phường Tân Thạnh</a>"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("id=\"village-new\""), "only a commune has the village form");

    let r = app.get("/units/20335").await;
    assert_eq!(r.status, StatusCode::OK);
    in_order(&r.body, &["/units/49", "/units/502", "<span>Phường Tân Thạnh</span>"]);
    assert!(r.body.contains(&format!("href=\"/villages/{phu_lam_village}\">Thôn Phú Lâm</a>")), "{}", r.body);
    assert!(r.body.contains(&format!("href=\"/villages/{my_thach}\">Thôn Mỹ Thạch</a>")), "{}", r.body);
    assert!(r.body.contains("id=\"village-new\""), "{}", r.body);
    assert!(r.body.contains("name=\"commune_code\" value=\"20335\""), "{}", r.body);
    assert!(r.body.contains("1 thôn chưa có tổ"), "{}", r.body);

    let r = app.get("/units/99999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Không tìm thấy") && r.body.contains("Không có đơn vị hành chính mã 99999"), "{}", r.body);
});

// ---------------------------------------------------------------- villages

app_test!(the_village_list_searches_without_diacritics, |app| {
    app.team(TAN_THANH, "Thôn Phú Lâm").await;
    app.village(TAN_THANH, "Thôn Mỹ Thạch").await;
    app.village(OTHER_COMMUNE, "Thôn An Hà").await;

    let r = app.get("/villages").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Thôn Phú Lâm") && r.body.contains("Thôn Mỹ Thạch") && r.body.contains("Thôn An Hà"));
    assert!(r.body.contains("3 dòng"), "{}", r.body);

    let r = app.get("/villages?q=PHU%20LAM").await;
    assert!(r.body.contains("Thôn Phú Lâm") && !r.body.contains("Thôn Mỹ Thạch"), "{}", r.body);
    let r = app.get("/villages?q=tan%20thanh").await;
    assert!(r.body.contains("Thôn Phú Lâm") && r.body.contains("Thôn Mỹ Thạch") && !r.body.contains("Thôn An Hà"));

    let r = app.get("/villages?without_team=1").await;
    assert!(r.body.contains("Thôn Mỹ Thạch") && r.body.contains("Thôn An Hà"), "{}", r.body);
    assert!(!r.body.contains("Thôn Phú Lâm"), "a village with a team: {}", r.body);
    assert!(r.body.contains("name=\"without_team\" value=\"1\" checked"), "{}", r.body);

    // Names are text, never markup.
    app.village(OTHER_COMMUNE, "Thôn <script>alert(1)</script>").await;
    let r = app.get("/villages?q=script").await;
    assert!(!r.body.contains("<script>alert"), "{}", r.body);
    assert!(r.body.contains("Thôn &#60;script&#62;alert(1)&#60;/script&#62;"), "{}", r.body);

    let r = app.get(&format!("/villages?unit={OTHER_COMMUNE}")).await;
    assert!(r.body.contains("Thôn An Hà") && !r.body.contains("Thôn Mỹ Thạch"), "{}", r.body);
});

app_test!(creating_a_village, |app| {
    let r = app.post_form("/villages", &[("commune_code", TAN_THANH), ("name", "  Thôn   Phú Lâm ")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = id_in(r.location.as_deref(), "/villages/");
    assert_eq!(r.location, Some(format!("/villages/{id}?ok=created")));
    let page = app.get(r.location.as_deref().expect("location")).await;
    assert!(page.body.contains("Đã thêm.") && page.body.contains("<h1>Thôn Phú Lâm"), "{}", page.body);

    let r = app.post_form("/villages", &[("commune_code", TAN_THANH), ("name", "   ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Chưa nhập tên thôn / tổ dân phố"), "{}", r.body);
    assert!(r.body.contains("id=\"village-new\""), "the form again: {}", r.body);

    let r = app.post_form("/villages", &[("commune_code", TAN_THANH), ("name", "thon phu lam")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Phường Tân Thạnh đã có thôn / tổ dân phố tên"), "{}", r.body);
    assert!(r.body.contains("value=\"thon phu lam\""), "typed value kept: {}", r.body);
    assert_eq!(village_count(&app.db).await, 1);

    // The same name in another commune is fine.
    let r = app.post_form("/villages", &[("commune_code", OTHER_COMMUNE), ("name", "Thôn Phú Lâm")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(village_count(&app.db).await, 2);
});

app_test!(a_village_is_only_created_in_a_commune, |app| {
    let r = app.post_form("/villages", &[("commune_code", "99999"), ("name", "Thôn Lạ")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(village_count(&app.db).await, 0);
    // A district is not a commune: refused, and the page says why.
    let r = app.post_form("/villages", &[("commune_code", "502"), ("name", "Thôn Lạ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(village_count(&app.db).await, 0);
    assert!(r.body.contains("không phải là đơn vị cấp xã hiện hành"), "the refusal is not shown: {}", r.body);
});

app_test!(a_village_page_renames_and_deactivates, |app| {
    let v = app.village(TAN_THANH, "Thôn Phú Lâm").await;
    let other = app.village(TAN_THANH, "Thôn Mỹ Thạch").await;

    let r = app.get(&format!("/villages/{v}")).await;
    assert_eq!(r.status, StatusCode::OK);
    in_order(
        &r.body,
        &["<a href=\"/units/49\">", "<a href=\"/units/502\">", "<a href=\"/units/20335\">", "<h1>Thôn Phú Lâm"],
    );
    for form in ["id=\"team-new\"", "id=\"village-edit\"", "id=\"village-end\""] {
        assert!(r.body.contains(form), "{form}: {}", r.body);
    }
    assert!(r.body.contains(&format!("name=\"village_id\" value=\"{v}\"")), "{}", r.body);

    let r = app.post_form(&format!("/villages/{v}"), &[("name", "Thôn Phú Lâm Đông")]).await;
    assert_eq!(r.location, Some(format!("/villages/{v}?ok=saved")));
    assert!(app.get(r.location.as_deref().expect("location")).await.body.contains("Đã lưu thay đổi."));
    assert_eq!(villages::get(&app.db, &Scope::All, v).await.expect("village").name, "Thôn Phú Lâm Đông");

    let r = app.post_form(&format!("/villages/{v}"), &[("name", "thôn mỹ thạch")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Phường Tân Thạnh đã có thôn / tổ dân phố tên"), "{}", r.body);
    assert!(r.body.contains("value=\"thôn mỹ thạch\""), "{}", r.body);
    let r = app.post_form(&format!("/villages/{v}"), &[("name", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Chưa nhập tên thôn / tổ dân phố"), "{}", r.body);
    assert_eq!(villages::get(&app.db, &Scope::All, v).await.expect("village").name, "Thôn Phú Lâm Đông");

    // Deactivating needs the confirmation box.
    let r = app.post_form(&format!("/villages/{other}/deactivate"), &[("ended_on", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Hãy đánh dấu ô xác nhận trước khi thực hiện"), "{}", r.body);
    assert_eq!(villages::get(&app.db, &Scope::All, other).await.expect("village").status, "active");
    let r =
        app.post_form(&format!("/villages/{other}/deactivate"), &[("ended_on", "01/01/2099"), ("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Ngày ở tương lai"), "{}", r.body);
    let r =
        app.post_form(&format!("/villages/{other}/deactivate"), &[("ended_on", "01/06/2024"), ("confirm", "1")]).await;
    assert_eq!(r.location, Some(format!("/villages/{other}?ok=deactivated")));
    let page = app.get(&format!("/villages/{other}")).await;
    assert!(page.body.contains("ngừng hoạt động") && page.body.contains("01/06/2024"), "{}", page.body);
    assert!(!page.body.contains("id=\"team-new\""), "an inactive village founds no team");

    // A village with an active team is refused, with the reason.
    let r = app.post_form("/teams", &[("village_id", &v.to_string()), ("established_on", "01/09/2023")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.post_form(&format!("/villages/{v}/deactivate"), &[("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("đang hoạt động; hãy giải thể tổ trước"), "{}", r.body);
    assert_eq!(villages::get(&app.db, &Scope::All, v).await.expect("village").status, "active");
});

// ---------------------------------------------------------------- teams

app_test!(founding_a_team_from_the_village_page, |app| {
    let v = app.village(TAN_THANH, "Thôn Phú Lâm").await;
    let vid = v.to_string();

    for (date, zalo, message) in [
        ("31/02/2023", "", "Ngày “31/02/2023” không hợp lệ; hãy viết theo dạng dd/mm/yyyy"),
        ("01/01/2099", "", "Ngày thành lập ở tương lai"),
        ("", "", "Chưa nhập ngày thành lập"),
        ("01/09/2023", "https://evil.example/g/x", "Liên kết nhóm Zalo “https://evil.example/g/x” không hợp lệ"),
    ] {
        let r = app.post_form("/teams", &[("village_id", &vid), ("established_on", date), ("zalo_url", zalo)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{date} {zalo}");
        assert!(field_error(&r.body, message), "{message}: {}", r.body);
        assert!(r.body.contains("id=\"team-new\""), "the form again");
        assert!(r.body.contains(&format!("name=\"established_on\" value=\"{date}\"")), "typed date kept: {}", r.body);
        if !zalo.is_empty() {
            assert!(r.body.contains(&format!("name=\"zalo_url\" value=\"{zalo}\"")), "typed link kept: {}", r.body);
        }
        assert_eq!(team_count(&app.db).await, 0, "nothing saved");
    }

    let r = app
        .post_form(
            "/teams",
            &[("village_id", &vid), ("name", ""), ("established_on", "01/09/2023"), ("zalo_url", "zalo.me/g/phulam1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let team = id_in(r.location.as_deref(), "/teams/");
    assert_eq!(r.location, Some(format!("/teams/{team}?ok=created")));
    let page = app.get(&format!("/teams/{team}")).await;
    assert!(page.body.contains("Tổ công nghệ số cộng đồng Thôn Phú Lâm"), "{}", page.body);
    assert!(page.body.contains("href=\"https://zalo.me/g/phulam1\""), "{}", page.body);
    assert!(page.body.contains("01/09/2023"), "{}", page.body);
    let village_page = app.get(&format!("/villages/{v}")).await;
    assert!(
        village_page.body.contains(&format!("href=\"/teams/{team}\" id=\"village-team\"")),
        "{}",
        village_page.body
    );

    // A second team in the same village: refused, and the page says why.
    let r = app.post_form("/teams", &[("village_id", &vid), ("established_on", "01/10/2023")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(team_count(&app.db).await, 1);
    assert!(r.body.contains("mỗi thôn chỉ có một tổ"), "the refusal is not shown on the page: {}", r.body);
});

app_test!(the_team_list_filters_by_health_and_searches, |app| {
    let healthy = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    app.member(healthy, "Nguyễn Văn An", "0912000001", "leader", "village_head").await;
    app.member(healthy, "Trần Văn Bình", "0912000002", "deputy", "commune_official").await;
    for (i, name) in ["Lê Văn Cường", "Phạm Văn Dũng", "Võ Văn Em"].into_iter().enumerate() {
        app.member(healthy, name, &format!("091200001{i}"), "member", "other").await;
    }
    let small = app.team(OTHER_COMMUNE, "Thôn Mỹ Thạch").await;
    app.member(small, "Hồ Văn Giang", "0912000020", "member", "other").await;

    let r = app.get("/teams").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Tổ công nghệ số cộng đồng Thôn Phú Lâm"), "{}", r.body);
    assert!(r.body.contains("Tổ công nghệ số cộng đồng Thôn Mỹ Thạch"), "{}", r.body);
    assert_eq!(r.body.matches("<span class=\"warn\">Dưới 5 thành viên</span>").count(), 1, "{}", r.body);
    assert_eq!(r.body.matches("<span class=\"warn\">Chưa có tổ trưởng</span>").count(), 1, "{}", r.body);

    let r = app.get("/teams?issue=under_5_members").await;
    assert!(r.body.contains("Thôn Mỹ Thạch") && !r.body.contains("Thôn Phú Lâm"), "{}", r.body);
    assert!(r.body.contains("value=\"under_5_members\" selected"), "{}", r.body);
    let r = app.get("/teams?issue=no_leader").await;
    assert!(r.body.contains("Thôn Mỹ Thạch") && !r.body.contains("Thôn Phú Lâm"), "{}", r.body);

    let r = app.get("/teams?q=phu%20lam").await;
    assert!(r.body.contains("Thôn Phú Lâm") && !r.body.contains("Thôn Mỹ Thạch"), "{}", r.body);
    let r = app.get("/teams?q=TAN%20THANH").await;
    assert!(r.body.contains("Thôn Phú Lâm") && !r.body.contains("Thôn Mỹ Thạch"), "by commune: {}", r.body);
});

app_test!(a_team_page_shows_members_by_role_and_its_health, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let r = app.get(&format!("/teams/{team}")).await;
    assert_eq!(r.status, StatusCode::OK);
    for warning in ["Dưới 5 thành viên", "Chưa có tổ trưởng", "Chưa có cán bộ xã đứng điểm"] {
        assert!(r.body.contains(&format!("<li class=\"warn\">{warning}</li>")), "{warning}: {}", r.body);
    }
    assert!(r.body.contains(&format!("href=\"/teams/{team}/members/new\"")), "{}", r.body);

    // Added through the form; names chosen so that role order differs from name order.
    let path = format!("/teams/{team}/members");
    let people = [
        ("Nguyễn Văn An", "male", "0912000001", "member", "other"),
        ("Vũ Văn Yên", "male", "0912000002", "leader", "village_head"),
        ("Trần Thị Bình", "female", "0912000003", "member", "women_union"),
        ("Lê Thị Xuân", "female", "0912000004", "deputy", "youth_union"),
    ];
    for (name, gender, phone, role, position) in people {
        let r = app.post_form(&path, &member_form(name, gender, "1990", phone, "", role, position)).await;
        assert_eq!(r.location, Some(format!("/teams/{team}?ok=created")), "{name}: {}", r.body);
    }
    let r = app.get(&format!("/teams/{team}")).await;
    assert!(!r.body.contains("Chưa có tổ trưởng"), "a leader now: {}", r.body);
    assert!(r.body.contains("<li class=\"warn\">Dưới 5 thành viên</li>"), "{}", r.body);
    assert!(r.body.contains("<li class=\"warn\">Chưa có cán bộ xã đứng điểm</li>"), "{}", r.body);

    let fifth = member_form("Phạm Văn Cường", "male", "1988", "0912000005", "", "member", "commune_official");
    assert_eq!(app.post_form(&path, &fifth).await.status, StatusCode::SEE_OTHER);
    let r = app.get(&format!("/teams/{team}")).await;
    for warning in ["Dưới 5 thành viên", "Chưa có tổ trưởng", "Chưa có cán bộ xã đứng điểm"] {
        assert!(!r.body.contains(warning), "{warning} still shown: {}", r.body);
    }
    assert!(r.body.contains("Tổ đủ thành viên, có tổ trưởng và cán bộ xã đứng điểm."), "{}", r.body);
    assert!(r.body.contains("<dd id=\"member-count\">5</dd>"), "{}", r.body);
    // Leader, deputy, then members in Vietnamese name order.
    in_order(&r.body, &["Vũ Văn Yên", "Lê Thị Xuân", "Nguyễn Văn An", "Trần Thị Bình", "Phạm Văn Cường"]);
    for (name, role) in [("Vũ Văn Yên", "Tổ trưởng"), ("Lê Thị Xuân", "Tổ phó"), ("Phạm Văn Cường", "Thành viên")]
    {
        assert!(r.body.contains(&format!(">{name}</a></td><td>{role}</td>")), "{name} as {role}: {}", r.body);
    }
    assert!(r.body.contains("0912 000 002"), "phones shown grouped: {}", r.body);
    // The village page shows no warning either.
    let v = teams::get(&app.db, &Scope::All, team).await.expect("team").village_id;
    assert!(!app.get(&format!("/villages/{v}")).await.body.contains("class=\"warn\""));
});

app_test!(editing_a_team, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let path = format!("/teams/{team}");
    let r = app
        .post_form(
            &path,
            &[("name", "Tổ CNSCĐ Phú Lâm"), ("established_on", "15/09/2023"), ("zalo_url", "zalo.me/g/xyz")],
        )
        .await;
    assert_eq!(r.location, Some(format!("/teams/{team}?ok=saved")), "{}", r.body);
    let page = app.get(r.location.as_deref().expect("location")).await;
    assert!(page.body.contains("Đã lưu thay đổi."), "{}", page.body);
    assert!(page.body.contains("<h1 id=\"team-name\">Tổ CNSCĐ Phú Lâm"), "{}", page.body);
    assert!(page.body.contains("href=\"https://zalo.me/g/xyz\""), "{}", page.body);
    assert!(page.body.contains("15/09/2023"), "{}", page.body);

    let r = app
        .post_form(
            &path,
            &[("name", "Tên mới"), ("established_on", "15/09/2023"), ("zalo_url", "https://facebook.com/g/1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Liên kết nhóm Zalo “https://facebook.com/g/1” không hợp lệ"), "{}", r.body);
    assert!(
        r.body.contains("value=\"Tên mới\"") && r.body.contains("value=\"https://facebook.com/g/1\""),
        "{}",
        r.body
    );
    let stored = teams::get(&app.db, &Scope::All, team).await.expect("team");
    assert_eq!((stored.name.as_str(), stored.zalo_url.as_deref()), ("Tổ CNSCĐ Phú Lâm", Some("https://zalo.me/g/xyz")));

    // An empty name gives back the default one.
    let r = app.post_form(&path, &[("name", ""), ("established_on", "15/09/2023"), ("zalo_url", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stored = teams::get(&app.db, &Scope::All, team).await.expect("team");
    assert_eq!((stored.name.as_str(), stored.zalo_url), ("Tổ công nghệ số cộng đồng Thôn Phú Lâm", None));
});

app_test!(dissolving_a_team, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let an = app.member(team, "Nguyễn Văn An", "0912000001", "leader", "other").await;
    let binh = app.member(team, "Trần Văn Bình", "0912000002", "member", "other").await;
    let path = format!("/teams/{team}/dissolve");

    let r = app.post_form(&path, &[("dissolved_on", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Hãy đánh dấu ô xác nhận trước khi thực hiện"), "{}", r.body);
    assert_eq!(teams::get(&app.db, &Scope::All, team).await.expect("team").status, "active");

    let r = app.post_form(&path, &[("dissolved_on", "01/05/2024"), ("confirm", "1")]).await;
    assert_eq!(r.location, Some(format!("/teams/{team}?ok=dissolved")), "{}", r.body);
    let page = app.get(r.location.as_deref().expect("location")).await;
    assert!(page.body.contains("Đã giải thể tổ; các thành viên đã rời tổ."), "{}", page.body);
    assert!(page.body.contains("<span class=\"tag\">đã giải thể</span>"), "{}", page.body);
    assert_eq!(page.body.matches("<span class=\"tag\">đã rời tổ 01/05/2024</span>").count(), 2, "{}", page.body);
    assert!(page.body.contains("<dd id=\"member-count\">0</dd>"), "{}", page.body);
    assert!(!page.body.contains("id=\"add-member\"") && !page.body.contains("id=\"team-dissolve\""), "{}", page.body);
    assert!(!page.body.contains("class=\"warn\""), "a dissolved team has no warnings");
    for p in [an, binh] {
        assert_eq!(people::get(&app.db, &Scope::All, p).await.expect("person").team_id, None);
    }
    // A dissolved team takes no new member.
    let late = member_form("Lê Văn Cường", "male", "1980", "0912000003", "", "member", "other");
    let r = app.post_form(&format!("/teams/{team}/members"), &late).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Tổ công nghệ số cộng đồng Thôn Phú Lâm đã giải thể"), "{}", r.body);
    assert_eq!(people_count(&app.db).await, 2);
    // The village can found a new team now.
    let v = teams::get(&app.db, &Scope::All, team).await.expect("team").village_id;
    assert!(app.get(&format!("/villages/{v}")).await.body.contains("id=\"team-new\""));
});

// ---------------------------------------------------------------- members

app_test!(the_new_member_form, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let r = app.get(&format!("/teams/{team}/members/new")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Thêm thành viên — Tổ công nghệ số cộng đồng Thôn Phú Lâm"), "{}", r.body);
    assert!(r.body.contains(&format!("action=\"/teams/{team}/members\"")), "{}", r.body);
    for field in ["full_name", "gender", "birth", "phone", "cccd", "email", "role", "position", "joined_on", "csrf"] {
        assert!(r.body.contains(&format!("name=\"{field}\"")), "{field}: {}", r.body);
    }
    assert!(r.body.contains("<option value=\"member\" selected>Thành viên</option>"), "{}", r.body);
    assert!(r.body.contains("<option value=\"commune_official\">Cán bộ xã đứng điểm</option>"), "{}", r.body);
    assert_eq!(app.get("/teams/999999/members/new").await.status, StatusCode::NOT_FOUND);
});

app_test!(adding_a_member, |app| {
    let phu_lam = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let an_ha = app.team(OTHER_COMMUNE, "Thôn An Hà").await;
    let path = format!("/teams/{phu_lam}/members");

    let hung = member_form("Nguyễn Văn Hùng", "male", "15/03/1985", "0912 345 678", "049085001234", "member", "other");
    let r = app.post_form(&path, &hung).await;
    assert_eq!(r.location, Some(format!("/teams/{phu_lam}?ok=created")), "{}", r.body);
    let page = app.get(r.location.as_deref().expect("location")).await;
    assert!(page.body.contains("Đã thêm.") && page.body.contains("Nguyễn Văn Hùng"), "{}", page.body);
    assert_eq!(people_count(&app.db).await, 1);

    // A landline.
    let landline = member_form("Trần Thị Lan", "female", "1990", "0236 3822 123", "", "member", "other");
    let r = app.post_form(&path, &landline).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Đây là số máy bàn"), "{}", r.body);
    assert!(r.body.contains("value=\"0236 3822 123\"") && r.body.contains("value=\"Trần Thị Lan\""), "{}", r.body);
    assert!(r.body.contains("value=\"female\" checked"), "gender kept: {}", r.body);

    // A CCCD whose gender digit says male, for a woman.
    let wrong = member_form("Trần Thị Lan", "female", "1985", "0912000009", "049085001235", "member", "other");
    let r = app.post_form(&path, &wrong).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Số CCCD là của nam, trái với giới tính đã khai (nữ)"), "{}", r.body);
    assert!(r.body.contains("value=\"049085001235\""), "{}", r.body);

    // Several bad fields at once: each beside its field.
    let r = app.post_form(&path, &member_form("", "", "", "", "", "", "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "Chưa nhập họ và tên",
        "Chưa chọn giới tính",
        "Chưa nhập ngày sinh",
        "Chưa nhập số điện thoại",
        "Chưa chọn chức danh",
    ] {
        assert!(field_error(&r.body, m), "{m}: {}", r.body);
    }
    assert_eq!(people_count(&app.db).await, 1, "nothing saved");

    // Joining before the team was founded (01/09/2023).
    let mut early = member_form("Trần Thị Lan", "female", "1990", "0912000009", "", "member", "other");
    early.retain(|(k, _)| *k != "joined_on");
    early.push(("joined_on", "15/08/2023"));
    let r = app.post_form(&path, &early).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Ngày vào tổ trước ngày thành lập tổ"), "{}", r.body);
    assert!(r.body.contains("value=\"15/08/2023\""), "{}", r.body);
    assert_eq!(people_count(&app.db).await, 1, "nothing saved");

    // The same person in another team: refused, naming the team they are in.
    let r = app.post_form(&format!("/teams/{an_ha}/members"), &hung).await;
    assert!(
        r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::CONFLICT,
        "{}: {}",
        r.status,
        r.body
    );
    assert!(
        r.body.contains("Nguyễn Văn Hùng đang là thành viên của Tổ công nghệ số cộng đồng Thôn Phú Lâm"),
        "{}",
        r.body
    );
    assert_eq!(people_count(&app.db).await, 1);
    assert_eq!(teams::get(&app.db, &Scope::All, an_ha).await.expect("team").members, 0);

    // A second leader: refused.
    app.member(phu_lam, "Lê Văn Tâm", "0912000010", "leader", "other").await;
    let r = app.post_form(&path, &member_form("Võ Văn Tú", "male", "1980", "0912000011", "", "leader", "other")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Tổ công nghệ số cộng đồng Thôn Phú Lâm đã có tổ trưởng"), "{}", r.body);
    assert_eq!(people_count(&app.db).await, 2);
});

app_test!(the_member_list_is_in_vietnamese_order_and_searchable, |app| {
    let a = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let b = app.team(OTHER_COMMUNE, "Thôn An Hà").await;
    for (i, name) in
        ["Trần Thị Ánh", "Phạm Đức Đạt", "Nguyễn Văn An", "Đỗ Thị Ân", "Nguyễn Văn Hùng"].into_iter().enumerate()
    {
        app.member(a, name, &format!("091200010{i}"), "member", "other").await;
    }
    for (i, name) in
        ["Hồ Thị Dung", "Võ Văn Ăn", "Bùi Văn Bình", "Lê Văn Anh", "Nguyễn Văn Hải"].into_iter().enumerate()
    {
        app.member(b, name, &format!("091200020{i}"), "member", "other").await;
    }

    let r = app.get("/members").await;
    assert_eq!(r.status, StatusCode::OK);
    in_order(
        &r.body,
        &[
            ">Nguyễn Văn An<",
            ">Lê Văn Anh<",
            ">Trần Thị Ánh<",
            ">Võ Văn Ăn<",
            ">Đỗ Thị Ân<",
            ">Bùi Văn Bình<",
            ">Hồ Thị Dung<",
            ">Phạm Đức Đạt<",
            ">Nguyễn Văn Hải<",
            ">Nguyễn Văn Hùng<",
        ],
    );
    assert!(r.body.contains("10 dòng"), "{}", r.body);

    for q in ["nguyen%20van%20hung", "NGUYEN%20VAN%20HUNG"] {
        let r = app.get(&format!("/members?q={q}")).await;
        assert!(r.body.contains(">Nguyễn Văn Hùng<"), "{q}: {}", r.body);
        assert!(!r.body.contains(">Nguyễn Văn Hải<") && !r.body.contains(">Nguyễn Văn An<"), "{q}: {}", r.body);
    }
    let r = app.get("/members?q=0912%20000%20201").await;
    assert!(r.body.contains(">Võ Văn Ăn<") && r.body.contains("1 dòng"), "{}", r.body);
    let r = app.get("/members?q=nguyen&unit=20341").await;
    assert!(r.body.contains(">Nguyễn Văn Hải<") && !r.body.contains(">Nguyễn Văn Hùng<"), "{}", r.body);
});

app_test!(long_lists_have_pages, |app| {
    let commune = app.unit(TAN_THANH).await;
    for i in 1..=55 {
        villages::create(&app.db, &commune, &format!("Thôn {i:02}")).await.expect("village");
    }
    let r = app.get("/villages").await;
    assert!(r.body.contains("Trang 1 / 2 · 55 dòng"), "{}", r.body);
    assert!(r.body.contains(">Thôn 50<") && !r.body.contains(">Thôn 51<"), "{}", r.body);
    assert!(r.body.contains("href=\"/villages?page=2\""), "{}", r.body);

    let r = app.get("/villages?page=2").await;
    assert!(r.body.contains("Trang 2 / 2 · 55 dòng"), "{}", r.body);
    assert!(
        r.body.contains(">Thôn 51<") && r.body.contains(">Thôn 55<") && !r.body.contains(">Thôn 50<"),
        "{}",
        r.body
    );
    assert!(r.body.contains("href=\"/villages?page=1\""), "{}", r.body);

    // The pager keeps the search.
    let r = app.get("/villages?q=thon&page=1").await;
    assert!(r.body.contains("href=\"/villages?q=thon&#38;page=2\""), "{}", r.body);
    // A page beyond the end is empty, not an error.
    let r = app.get("/villages?page=9").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains(">Thôn 01<"), "{}", r.body);
});

app_test!(a_person_page_and_editing_a_person, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let id = app.member(team, "Nguyễn Văn Hùng", "0912345678", "leader", "village_head").await;

    let r = app.get(&format!("/people/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<h1>Nguyễn Văn Hùng</h1>") && r.body.contains("0912 345 678"), "{}", r.body);
    assert!(
        r.body.contains(&format!("href=\"/teams/{team}\">Tổ công nghệ số cộng đồng Thôn Phú Lâm</a>")),
        "{}",
        r.body
    );
    assert!(r.body.contains("Tổ trưởng · Trưởng thôn · từ 01/10/2023"), "{}", r.body);
    assert_eq!(app.get("/people/999999").await.status, StatusCode::NOT_FOUND);

    let r = app.get(&format!("/people/{id}/edit")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&format!("action=\"/people/{id}\"")), "{}", r.body);
    assert!(r.body.contains("value=\"Nguyễn Văn Hùng\"") && r.body.contains("value=\"0912345678\""), "{}", r.body);
    assert!(r.body.contains("value=\"male\" checked") && r.body.contains("value=\"1985\""), "{}", r.body);

    let path = format!("/people/{id}");
    let good = [
        ("full_name", "Nguyễn Văn Hùng"),
        ("gender", "male"),
        ("birth", "15/03/1985"),
        ("phone", "+84 905 111 222"),
        ("cccd", "049085001234"),
        ("email", "Hung@Example.VN"),
    ];
    let r = app.post_form(&path, &good).await;
    assert_eq!(r.location, Some(format!("/people/{id}?ok=saved")), "{}", r.body);
    let stored = people::get(&app.db, &Scope::All, id).await.expect("person");
    assert_eq!(stored.phone, "0905111222");
    assert_eq!(stored.email.as_deref(), Some("hung@example.vn"));
    assert_eq!(stored.birth_date.as_deref(), Some("1985-03-15"));
    assert!(app.get(&path).await.body.contains("15/03/1985"));

    let bad = [
        ("full_name", "Nguyễn Văn Hùng 2"),
        ("gender", "male"),
        ("birth", "15/03/1985"),
        ("phone", "0905 111 222"),
        ("cccd", ""),
        ("email", "hung@"),
    ];
    let r = app.post_form(&path, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&r.body, "Họ và tên chỉ gồm chữ cái"), "{}", r.body);
    assert!(field_error(&r.body, "Địa chỉ thư điện tử “hung@” không hợp lệ"), "{}", r.body);
    assert!(r.body.contains("value=\"Nguyễn Văn Hùng 2\""), "{}", r.body);
    let after = people::get(&app.db, &Scope::All, id).await.expect("person");
    assert_eq!(after, stored, "nothing saved");
});

app_test!(editing_a_person_to_another_persons_cccd, |app| {
    let a = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let b = app.team(OTHER_COMMUNE, "Thôn An Hà").await;
    let hung = member_form("Nguyễn Văn Hùng", "male", "1985", "0912345678", "049085001234", "member", "other");
    assert_eq!(app.post_form(&format!("/teams/{a}/members"), &hung).await.status, StatusCode::SEE_OTHER);
    let tam = app.member(b, "Lê Văn Tâm", "0912000010", "member", "other").await;

    // Lê Văn Tâm is given Hùng's CCCD by mistake: the CCCD is what is wrong, and it is said
    // beside the CCCD field; making Hùng leave his team would not make the number free.
    let fields = [
        ("full_name", "Lê Văn Tâm"),
        ("gender", "male"),
        ("birth", "1985"),
        ("phone", "0912000010"),
        ("cccd", "049085001234"),
        ("email", ""),
    ];
    let r = app.post_form(&format!("/people/{tam}"), &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(people::get(&app.db, &Scope::All, tam).await.expect("person").cccd, None, "nothing saved");
    assert!(field_error(&r.body, "Số CCCD này đã được khai cho Nguyễn Văn Hùng"), "{}", r.body);
});

app_test!(changing_a_role_and_leaving_a_team, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    app.member(team, "Nguyễn Văn An", "0912000001", "leader", "other").await;
    let binh = app.member(team, "Trần Văn Bình", "0912000002", "member", "other").await;
    let m = membership_of(&app.db, binh).await;
    let pid = binh.to_string();

    let r = app
        .post_form(&format!("/memberships/{m}"), &[("person_id", &pid), ("role", "leader"), ("position", "other")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Tổ công nghệ số cộng đồng Thôn Phú Lâm đã có tổ trưởng"), "{}", r.body);
    assert_eq!(people::get(&app.db, &Scope::All, binh).await.expect("person").role.as_deref(), Some("member"));

    let r = app
        .post_form(
            &format!("/memberships/{m}"),
            &[("person_id", &pid), ("role", "deputy"), ("position", "commune_official")],
        )
        .await;
    assert_eq!(r.location, Some(format!("/people/{binh}?ok=saved")), "{}", r.body);
    let p = people::get(&app.db, &Scope::All, binh).await.expect("person");
    assert_eq!((p.role.as_deref(), p.position.as_deref()), (Some("deputy"), Some("commune_official")));

    let leave = format!("/memberships/{m}/leave");
    let r = app.post_form(&leave, &[("person_id", &pid), ("left_on", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Hãy đánh dấu ô xác nhận trước khi thực hiện"), "{}", r.body);
    assert_eq!(people::get(&app.db, &Scope::All, binh).await.expect("person").team_id, Some(team));
    let r = app.post_form(&leave, &[("person_id", &pid), ("left_on", "01/09/2023"), ("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Ngày rời tổ trước ngày vào tổ"), "{}", r.body);

    let r = app.post_form(&leave, &[("person_id", &pid), ("left_on", "01/05/2024"), ("confirm", "1")]).await;
    assert_eq!(r.location, Some(format!("/people/{binh}?ok=left")), "{}", r.body);
    let page = app.get(r.location.as_deref().expect("location")).await;
    assert!(page.body.contains("Thành viên đã rời tổ.") && page.body.contains("đến 01/05/2024"), "{}", page.body);
    assert!(!page.body.contains(&format!("action=\"/memberships/{m}/leave\"")), "{}", page.body);
    assert_eq!(people::get(&app.db, &Scope::All, binh).await.expect("person").team_id, None);
    // Former members show on the member list only when asked.
    assert!(!app.get("/members").await.body.contains(">Trần Văn Bình<"));
    let all = app.get("/members?all=1").await;
    assert!(all.body.contains(">Trần Văn Bình<") && all.body.contains("không ở tổ nào"), "{}", all.body);
});

// ---------------------------------------------------------------- language, headers, assets

app_test!(switching_the_language, |app| {
    let r = send_raw(&app.db, get_with_cookie("/lang/en?back=/teams", "")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header(header::LOCATION), "/teams");
    assert!(r.set_cookies().iter().any(|c| c.starts_with("lang=en;") && c.contains("Path=/")), "{:?}", r.set_cookies());
    let r = send_raw(&app.db, get_with_cookie("/lang/en?back=//evil.example", "")).await;
    assert_eq!(r.header(header::LOCATION), "/");
    let r = app.get("/lang/vi?back=%2Fmembers").await;
    assert_eq!(r.location.as_deref(), Some("/members"));

    // With the cookie, pages are in English.
    app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let (session, _) = own_session(&app).await;
    let r = send_raw(&app.db, get_with_cookie("/teams", &format!("{session}; lang=en"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<html lang=\"en\">"), "{}", r.body);
    assert!(r.body.contains("<h1>Community digital technology teams</h1>"), "{}", r.body);
    assert!(r.body.contains("Fewer than 5 members") && r.body.contains("/lang/vi?back=%2Fteams"), "{}", r.body);
    let r = send_raw(&app.db, get_with_cookie("/login", "lang=en")).await;
    assert!(r.body.contains("<h2>Log in</h2>"), "{}", r.body);
    // Without it, Vietnamese, with the switch back to the same page.
    let r = app.get("/teams").await;
    assert!(r.body.contains("<html lang=\"vi\">") && r.body.contains("href=\"/lang/en?back=%2Fteams\""), "{}", r.body);
});

app_test!(every_page_carries_the_security_headers, |app| {
    let (session, _) = own_session(&app).await;
    for (path, cookie, status) in [
        ("/", session.as_str(), StatusCode::OK),
        ("/units/99999", session.as_str(), StatusCode::NOT_FOUND),
        ("/login", "", StatusCode::OK),
    ] {
        let r = send_raw(&app.db, get_with_cookie(path, cookie)).await;
        assert_eq!(r.status, status, "{path}");
        let csp = r.header(header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(r.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{path}");
        assert_eq!(r.header(header::X_FRAME_OPTIONS), "DENY", "{path}");
        assert!(r.header(header::CONTENT_TYPE).starts_with("text/html"), "{path}");
    }
    // Pages, which hold people's data, are not cached.
    let r = send_raw(&app.db, get_with_cookie("/members", &session)).await;
    assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
    // Nothing inline that this policy would block: no style attribute, no inline script.
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    for path in ["/".to_owned(), "/units/502".to_owned(), format!("/teams/{team}"), "/members".to_owned()] {
        let r = app.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(!r.body.contains("style=\"") && !r.body.contains("<script"), "{path}: {}", r.body);
    }
});

app_test!(the_stylesheet_and_the_health_check, |app| {
    let r = app.get("/static/app.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/css"), "{}", r.content_type);
    assert!(!r.body.is_empty());

    let r = app.get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert_eq!(j["status"], "ok");
    assert_eq!(j["database"], app.db.backend());
});

app_test!(a_malformed_id_is_a_vietnamese_404, |app| {
    for path in ["/teams/abc", "/villages/1x", "/people/-", "/teams/99999999"] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains("Không tìm thấy"), "{path}: {}", r.body);
    }
});

app_test!(search_wildcards_are_taken_literally, |app| {
    app.village("20335", "Thôn Một").await;
    app.village("20335", "Thôn Hai").await;
    let r = app.get("/villages?q=%25").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("Thôn Một") && !r.body.contains("Thôn Hai"), "“%” matches only a literal percent sign");
    let r = app.get("/villages?q=th_n").await;
    assert!(!r.body.contains("Thôn Một"), "“_” is not a wildcard");
    let r = app.get("/villages?q=thon").await;
    assert!(r.body.contains("Thôn Một") && r.body.contains("Thôn Hai"));
});

app_test!(units_are_found_without_diacritics, |app| {
    let r = app.get("/units?q=tam%20ky").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Thành phố Tam Kỳ"), "{}", r.body);
    assert!(!r.body.contains("Thành phố Hội An"));
    let r = app.get("/units").await;
    assert!(r.body.contains("Trang 1 / 6"), "260 units, 50 a page: {}", r.body);
    let r = app.get("/units?page=6").await;
    assert!(r.body.contains("Trang 6 / 6"));
});

/// Applies one of the reorganisations shipped with the product to the app's database.
async fn apply_shipped(app: &crate::common::TestApp, index: usize) {
    let (day, source, changes, state) = store::reorg::SHIPPED[index];
    store::reorg::apply_files(&app.db, changes, state, store::parse_iso(day).expect("day"), source, false)
        .await
        .expect("apply");
}

app_test!(unit_pages_show_their_history_and_any_day, |app| {
    let v = app.village("20338", "Khối phố Cũ").await;
    apply_shipped(&app, 0).await;
    // An ended commune: shown as of its last day, with the unit it became.
    let r = app.get("/units/20338").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("không còn từ ngày 01/01/2025"), "{}", r.body);
    assert!(r.body.contains("Đã trở thành") && r.body.contains("20347 Phường An Xuân"), "{}", r.body);
    // Its successor lists it, and now holds its village.
    let r = app.get("/units/20347").await;
    assert!(r.body.contains("Hình thành từ") && r.body.contains("20338 Phường Phước Hòa"), "{}", r.body);
    assert!(r.body.contains("Khối phố Cũ"), "the village followed its commune");
    let r = app.get(&format!("/villages/{v}")).await;
    assert!(r.body.contains("Phường An Xuân"));
    // The province on the report's day has Nông Sơn; today it does not.
    let then = app.get("/units/49?as_of=2024-08-28").await;
    assert!(then.body.contains("Huyện Nông Sơn") && then.body.contains("28/08/2024"), "{}", then.body);
    let now = app.get("/units/49").await;
    assert!(!now.body.contains("/units/519"), "Nông Sơn is no longer a child");
    let dash = app.get("/?as_of=2024-08-28").await;
    assert!(dash.body.contains("Tỉnh Quảng Nam") && dash.body.contains("Huyện Nông Sơn"));
    // Children keep the day in their links.
    assert!(then.body.contains("/units/502?as_of=2024-08-28"));
    assert!(!then.body.contains("/villages?unit=49"), "lists of today are not offered for a past day");
    let gone = app.get("/units/20338").await;
    assert!(!gone.body.contains("/teams?unit=20338"), "nor for an ended unit");
    let bad = app.get("/units/49?as_of=hôm-qua").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("không hợp lệ"));
    let never = app.get("/units/77777").await;
    assert_eq!(never.status, StatusCode::NOT_FOUND);
});

app_test!(merging_a_village_from_its_page, |app| {
    let a_team = app.team("20335", "Khối phố 7").await;
    let b_team = app.team("20335", "Khối phố 8").await;
    app.member(a_team, "Nguyễn Văn Tâm", "0912000101", "leader", "commune_official").await;
    let a = store::teams::get(&app.db, &store::Scope::All, a_team).await.expect("a").village_id;
    let b = store::teams::get(&app.db, &store::Scope::All, b_team).await.expect("b").village_id;
    let page = app.get(&format!("/villages/{a}")).await;
    assert!(page.body.contains("id=\"village-merge\"") && page.body.contains("Khối phố 8"));
    // Without the confirmation box: refused, nothing changes.
    let bid = b.to_string();
    let r =
        app.post_form(&format!("/villages/{a}/merge"), &[("into_village_id", &bid), ("merged_on", "01/06/2024")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ô xác nhận"));
    assert_eq!(store::villages::get(&app.db, &store::Scope::All, a).await.expect("a").status, "active");
    let r = app.post_form(&format!("/villages/{a}/merge"), &[("into_village_id", ""), ("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Chọn thôn để nhập vào"));
    let r = app
        .post_form(
            &format!("/villages/{a}/merge"),
            &[("into_village_id", &bid), ("merged_on", "01/06/2024"), ("confirm", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some(format!("/villages/{b}?ok=merged").as_str()));
    let old = app.get(&format!("/villages/{a}")).await;
    assert!(old.body.contains("đã nhập vào") && old.body.contains("Khối phố 8"));
    let team = app.get(&format!("/teams/{b_team}")).await;
    assert!(team.body.contains("Nguyễn Văn Tâm"), "the member moved to the surviving team");
});

app_test!(villages_that_share_a_name_after_a_merger_are_flagged, |app| {
    let v = app.village("20338", "Khối phố 1").await;
    app.village("20347", "Khối phố 1").await;
    apply_shipped(&app, 0).await;
    let page = app.get(&format!("/villages/{v}")).await;
    assert!(
        page.body.contains("id=\"review-note\"") && page.body.contains("cần đổi tên hoặc nhập thôn"),
        "{}",
        page.body
    );
    let list = app.get("/villages?q=khoi%20pho%201").await;
    assert!(list.body.contains("trùng tên, cần xem lại"));
});

/// A `multipart/form-data` body with text fields and files.
fn multipart(fields: &[(&str, Option<&str>, &str)]) -> (String, String) {
    let boundary = "----congdongso-test-boundary";
    let mut body = String::new();
    for (name, file, value) in fields {
        body.push_str(&format!("--{boundary}\r\n"));
        match file {
            Some(f) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n"
            )),
            None => body.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")),
        }
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

app_test!(an_admin_previews_then_applies_a_change_set, |app| {
    let (_, _, changes, state) = store::reorg::SHIPPED[0];
    let csrf = app.csrf.clone();
    let upload = |effective: &'static str, changes: &'static str| {
        multipart(&[
            ("csrf", None, csrf.as_str()),
            ("changes", Some("changes-2025-01-01.csv"), changes),
            ("state", Some("quang-nam-2025-01-01.csv"), state),
            ("effective", None, effective),
        ])
    };
    let send = |(ct, body): (String, String)| {
        axum::http::Request::post("/admin/units/preview")
            .header(axum::http::header::CONTENT_TYPE, ct)
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    let page = app.get("/admin/units").await;
    assert!(page.body.contains("id=\"upload-form\""));
    // A bad day: refused with the reason, nothing applied.
    let r = app.send(send(upload("hôm nay", changes))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("không hợp lệ"));
    // A mapping that does not fit: every problem listed.
    let r = app.send(send(upload("2025-01-01", "old_code,old_name,new_code,new_name\n99999,Xã Ma,20335,X\n"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("99999"));
    // The preview lists every change and writes nothing.
    let r = app.send(send(upload("2025-01-01", changes))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Sáp nhập: 519 Huyện Nông Sơn → 509 Huyện Quế Sơn"), "{}", r.body);
    assert!(store::units::by_code(&app.db, "519").await.is_ok(), "a preview applies nothing");
    // Applying needs the confirmation, then takes the files as the preview carried them (CRLF).
    let crlf_changes = changes.replace('\n', "\r\n");
    let crlf_state = state.replace('\n', "\r\n");
    let fields = [("changes", crlf_changes.as_str()), ("state", crlf_state.as_str()), ("effective", "2025-01-01")];
    let r = app.post_form("/admin/units/apply", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ô xác nhận"));
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm", "1"));
    let r = app.post_form("/admin/units/apply", &confirmed).await;
    assert_eq!(r.location.as_deref(), Some("/admin/units?ok=applied"), "{}", r.body);
    assert!(store::units::by_code(&app.db, "519").await.is_err(), "Nông Sơn has ended");
    let r = app.post_form("/admin/units/apply", &confirmed).await;
    assert_eq!(r.location.as_deref(), Some("/admin/units?ok=unchanged"), "applying twice changes nothing");
    let page = app.get("/admin/units").await;
    assert!(page.body.contains("01/01/2025") && page.body.contains("tải lên qua trang quản trị"));
});

app_test!(five_wrong_passwords_lock_the_account_for_a_while, |app| {
    let mut other = crate::common::TestApp::new_on(&app).await;
    for _ in 0..store::users::MAX_FAILED_LOGINS {
        let r = other.post_form("/login", &[("login", "admin"), ("password", "sai-mat-khau-roi"), ("next", "/")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Sai tên đăng nhập hoặc mật khẩu"));
    }
    // Now even the right password is refused, and the page says why.
    let r = other
        .post_form("/login", &[("login", "admin"), ("password", crate::common::ADMIN_PASSWORD), ("next", "/")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("tạm khóa"), "{}", r.body);
    // An administrator's reset lifts the lock.
    let hash = store::users::hash_password("mot-mat-khau-moi-dai").expect("hash");
    store::users::set_password_hash(&app.db, "admin", &hash).await.expect("reset");
    let r = other.post_form("/login", &[("login", "admin"), ("password", "mot-mat-khau-moi-dai"), ("next", "/")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/account").await.status, StatusCode::SEE_OTHER, "a reset ends the sessions opened before it");
});

app_test!(changing_the_password_and_logging_out_everywhere, |app| {
    let page = app.get("/account").await;
    assert!(page.body.contains("id=\"password-form\""));
    let r = app
        .post_form(
            "/account/password",
            &[("current", "khong-dung-dau"), ("new", "mot-mat-khau-moi-dai"), ("confirm", "mot-mat-khau-moi-dai")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Mật khẩu hiện tại không đúng"));
    let current = crate::common::ADMIN_PASSWORD;
    let r = app
        .post_form("/account/password", &[("current", current), ("new", "password123"), ("confirm", "password123")])
        .await;
    assert!(r.body.contains("quá phổ biến"), "common passwords are refused");
    let r = app
        .post_form(
            "/account/password",
            &[("current", current), ("new", "mot-mat-khau-moi-dai"), ("confirm", "khac-han")],
        )
        .await;
    assert!(r.body.contains("không khớp"));
    let mut elsewhere = crate::common::TestApp::new_on(&app).await;
    elsewhere.login().await;
    let r = app
        .post_form(
            "/account/password",
            &[("current", current), ("new", "mot-mat-khau-moi-dai"), ("confirm", "mot-mat-khau-moi-dai")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(app.get("/account").await.status, StatusCode::OK, "this browser stays logged in");
    app.refresh_csrf().await;
    assert_eq!(elsewhere.get("/account").await.status, StatusCode::SEE_OTHER, "other sessions ended");
    // Log out everywhere: this session ends too.
    let r = app.post_form("/account/logout-everywhere", &[]).await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    assert_eq!(app.get("/account").await.status, StatusCode::SEE_OTHER);
});

app_test!(api_tokens_are_shown_once_used_as_bearer_and_revoked, |app| {
    let r = app.post_form("/account/tokens", &[("name", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post_form("/account/tokens", &[("name", "Báo cáo tự động")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let start = r.body.find("<code>cds_").expect("the secret is shown") + "<code>".len();
    let secret = r.body[start..start + 68].to_owned();
    assert!(!app.get("/account").await.body.contains(&secret), "shown once only");
    let mut machine = crate::common::TestApp::new_on(&app).await;
    let call = |secret: &str| {
        axum::http::Request::get("/api/v1/units/49")
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {secret}"))
            .body(axum::body::Body::empty())
            .expect("request")
    };
    assert_eq!(machine.send(call(&secret)).await.status, StatusCode::OK);
    assert_eq!(machine.send(call("cds_khong-phai-ma-that")).await.status, StatusCode::UNAUTHORIZED);
    let user = store::users::credentials(&app.db, "admin").await.expect("db").expect("admin").0;
    let tokens = store::users::tokens(&app.db, user.user_id).await.expect("tokens");
    assert!(tokens[0].last_used_at.is_some(), "use is recorded");
    let r = app.post_form(&format!("/account/tokens/{}/revoke", tokens[0].api_token_id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(machine.send(call(&secret)).await.status, StatusCode::UNAUTHORIZED, "a revoked token is refused");
});

app_test!(logins_from_one_address_are_rate_limited, |app| {
    let mut other = crate::common::TestApp::new_on(&app).await;
    for i in 0..20 {
        let login = format!("khong-co-{i}");
        let r = other.post_form("/login", &[("login", &login), ("password", "sai-mat-khau-roi"), ("next", "/")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = other
        .post_form("/login", &[("login", "admin"), ("password", crate::common::ADMIN_PASSWORD), ("next", "/")])
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Quá nhiều lần đăng nhập"));
    // The limit is per address: the logged-in app's session still works.
    assert_eq!(app.get("/").await.status, StatusCode::OK);
});

app_test!(the_audit_trail_names_who_wrote_through_which_door, |app| {
    // Through a page: the logged-in user, on the web.
    let r = app.post_form("/villages", &[("commune_code", "20335"), ("name", "Thôn Nhật Ký")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Through the API: the same user, on the API.
    let r = app
        .api("POST", "/api/v1/villages", Some(serde_json::json!({ "commune_code": "20341", "name": "Thôn API" })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let all = store::audit::Filter { scope: store::Scope::All, ..store::audit::Filter::default() };
    let rows = store::audit::list(&app.db, &all, store::PageRequest::all()).await.expect("audit").items;
    let api = &rows[0];
    let web = &rows[1];
    assert_eq!((api.actor.as_str(), api.channel.as_str(), api.action.as_str()), ("admin", "api", "create"));
    assert_eq!((web.actor.as_str(), web.channel.as_str(), web.entity.as_str()), ("admin", "web", "village"));
    assert!(web.after_json.as_deref().is_some_and(|a| a.contains("Thôn Nhật Ký")));
    // The page filters by unit and exports what it shows.
    let page = app.get("/admin/audit?unit=20335").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Thôn Nhật Ký") && !page.body.contains("Thôn API"), "{}", page.body);
    let csv = app.get("/admin/audit.csv?entity=village").await;
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.body.starts_with('\u{feff}'));
    assert!(csv.body.contains("Thôn Nhật Ký") && csv.body.contains("Thôn API"));
    let bad = app.get("/admin/audit?from=hôm-qua").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
});
