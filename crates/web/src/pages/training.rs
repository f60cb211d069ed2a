//! Training (tập huấn): sessions newest first, courses and sessions added by officers, the teams
//! invited, the roll call taken on a phone (three choices per member, no JavaScript), and who
//! has not been trained, on screen and as a logged CSV export.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::input::FieldErrors;
use serde::Deserialize;
use store::training::{self, Course, InvitedTeam, RollCall, Session, Untrained};
use store::{PageRequest, Scope};

use super::{Chrome, Errors, Id, Pager, done, vn_date};
use crate::auth::{Viewer, mask_members, not_allowed};
use crate::routes::Routes;
use crate::{AppError, AppState, exports};

pub fn router() -> Routes {
    Routes::new()
        .get("/training", index)
        .downloads("/training", index_export)
        .post("/training/courses", add_course)
        .post("/training/sessions", add_session)
        .get("/training/untrained", untrained)
        .downloads("/training/untrained", untrained_export)
        .get("/training/{id}", show)
        .downloads("/training/{id}/attendance", attendance_export)
        .post("/training/{id}/invite", invite)
        .get("/training/{id}/roll-call", roll_call)
        .post("/training/{id}/roll-call", record)
}

/// Sessions shown per page.
const SESSIONS_PER_PAGE: i64 = 20;
/// Members shown per page of the untrained list.
const MEMBERS_PER_PAGE: i64 = 50;
/// The longest "not in the last N months" asked for: twenty years.
const MAX_MONTHS: u32 = 240;

/// Who adds courses and sessions: anyone who changes the registry somewhere (province and commune
/// officers, administrators). Training is organised by the offices, not by team leaders.
fn organises(v: &Viewer) -> bool {
    v.access.write != Scope::Paths(Vec::new())
}

/// A status as people read it.
fn status_label(lang: crate::Lang, status: &str) -> &'static str {
    match status {
        "present" => lang.t("Có mặt", "Present"),
        "absent" => lang.t("Vắng", "Absent"),
        "excused" => lang.t("Vắng có phép", "Excused"),
        _ => lang.t("Chưa điểm danh", "Not marked"),
    }
}

const STATUSES: [&str; 3] = ["present", "absent", "excused"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IndexQuery {
    page: Option<i64>,
    ok: Option<String>,
}

/// What the add-a-course form holds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct CourseForm {
    csrf: String,
    title: String,
    organiser: String,
    topics: String,
}

/// What the add-a-session form holds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct SessionForm {
    csrf: String,
    course_id: String,
    held_on: String,
    venue: String,
    trainers: String,
}

#[derive(Template)]
#[template(path = "training.html")]
struct IndexPage {
    c: Chrome,
    sessions: Vec<Session>,
    pager: Pager,
    courses: Vec<Course>,
    can_organise: bool,
    course: CourseForm,
    session: SessionForm,
    /// Which form the errors belong to: `course` or `session`.
    failed: &'static str,
    errors: Errors,
}

impl IndexPage {
    fn date(&self, d: &str) -> String {
        vn_date(d)
    }

    fn chosen(&self, id: &i64) -> bool {
        self.session.course_id.trim() == id.to_string()
    }

    fn error(&self, form: &str, field: &str) -> &str {
        if self.failed == form { self.errors.get(field) } else { "" }
    }
}

async fn render_index(
    state: &AppState,
    v: &Viewer,
    page: i64,
    ok: Option<&str>,
    typed: (CourseForm, SessionForm),
    failed: &'static str,
    errors: Errors,
) -> Result<Response, AppError> {
    let sessions = training::sessions_page(&state.db, PageRequest::new(page, SESSIONS_PER_PAGE)).await?;
    let pager = Pager::new(&sessions, "/training", &[]);
    let can_organise = organises(v);
    let page = IndexPage {
        c: Chrome::new(v, ok),
        sessions: sessions.items,
        pager,
        courses: if can_organise { training::courses(&state.db).await? } else { Vec::new() },
        can_organise,
        course: typed.0,
        session: typed.1,
        failed,
        errors,
    };
    let status =
        if page.errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /training`: sessions newest first, and the forms to add a course or a session.
async fn index(State(state): State<AppState>, v: Viewer, Query(q): Query<IndexQuery>) -> Result<Response, AppError> {
    let typed = (CourseForm::default(), SessionForm::default());
    render_index(&state, &v, q.page.unwrap_or(1), q.ok.as_deref(), typed, "", Errors::default()).await
}

/// `GET /training.xlsx` and `/training.csv`: every session, newest first.
async fn index_export(
    State(state): State<AppState>,
    _v: Viewer,
    format: exports::Format,
) -> Result<Response, AppError> {
    let table = exports::sessions(&training::sessions(&state.db).await?, store::today());
    exports::download(table, format, "buoi-tap-huan").await
}

/// `POST /training/courses`: a course (title, organiser, topics).
async fn add_course(State(state): State<AppState>, v: Viewer, Form(f): Form<CourseForm>) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    if !organises(&v) {
        return Err(not_allowed());
    }
    match training::add_course(&state.db, &f.title, &f.organiser, &f.topics).await {
        Ok(_) => Ok(done("/training", "created")),
        Err(e @ store::StoreError::Invalid { .. }) => {
            let errors = Errors(AppError::from(e).field_errors());
            render_index(&state, &v, 1, None, (f, SessionForm::default()), "course", errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /training/sessions`: a session of a course on a day (`dd/mm/yyyy`) at a venue.
async fn add_session(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<SessionForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    if !organises(&v) {
        return Err(not_allowed());
    }
    let mut errors = FieldErrors::default();
    let course = f.course_id.trim().parse::<i64>().ok();
    if course.is_none() {
        errors.push("course_id", "Chọn khóa tập huấn");
    }
    let day = match domain::input::parse_date(&f.held_on) {
        Ok(d) => Some(d),
        Err(m) => {
            errors.push("held_on", m);
            None
        }
    };
    if domain::text::clean(&f.venue).is_empty() {
        errors.push("venue", "Chưa nhập địa điểm");
    }
    let (Some(course), Some(day), true) = (course, day, errors.is_empty()) else {
        return render_index(&state, &v, 1, None, (CourseForm::default(), f), "session", Errors(errors)).await;
    };
    match training::add_session(&state.db, course, day, &f.venue, &f.trainers).await {
        Ok(id) => Ok(done(&format!("/training/{id}"), "created")),
        Err(e @ (store::StoreError::Invalid { .. } | store::StoreError::NotFound(_))) => {
            let errors = match e {
                store::StoreError::NotFound(m) => FieldErrors::single("course_id", m),
                other => AppError::from(other).field_errors(),
            };
            render_index(&state, &v, 1, None, (CourseForm::default(), f), "session", Errors(errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

/// What the invite form holds: team numbers, or a unit's code.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct InviteForm {
    csrf: String,
    teams: String,
    unit: String,
}

#[derive(Template)]
#[template(path = "training_session.html")]
struct SessionPage {
    c: Chrome,
    s: Session,
    teams: Vec<InvitedTeam>,
    can_invite: bool,
    form: InviteForm,
    errors: Errors,
}

impl SessionPage {
    fn date(&self) -> String {
        vn_date(&self.s.held_on)
    }

    fn total(&self, what: &str) -> i64 {
        self.teams
            .iter()
            .map(|t| match what {
                "present" => t.present,
                "absent" => t.absent,
                "excused" => t.excused,
                _ => t.members,
            })
            .sum()
    }
}

async fn render_session(
    state: &AppState,
    v: &Viewer,
    id: i64,
    ok: Option<&str>,
    form: InviteForm,
    errors: Errors,
) -> Result<Response, AppError> {
    let s = training::session(&state.db, id).await?;
    let page = SessionPage {
        c: Chrome::new(v, ok),
        teams: training::invited(&state.db, &v.access.read, id).await?,
        s,
        can_invite: organises(v),
        form,
        errors,
    };
    let status =
        if page.errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /training/{id}`: the session, its course, and the invited teams the reader may see.
async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    render_session(&state, &v, id, q.ok.as_deref(), InviteForm::default(), Errors::default()).await
}

/// `GET /training/{id}/attendance.xlsx` and `.csv`: the invited teams the reader sees, with
/// their roll call.
async fn attendance_export(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    format: exports::Format,
) -> Result<Response, AppError> {
    let s = training::session(&state.db, id).await?;
    let teams = training::invited(&state.db, &v.access.read, id).await?;
    let table = exports::attendance(&s, &teams, store::today());
    exports::download(table, format, &exports::file_name(&["diem-danh-tap-huan", &s.held_on, &id.to_string()])).await
}

/// The teams an invite form names, each readable (refused beside the field otherwise) and in a
/// unit the user changes (403 otherwise).
async fn teams_to_invite(
    state: &AppState,
    v: &Viewer,
    f: &InviteForm,
) -> Result<Result<Vec<i64>, FieldErrors>, AppError> {
    let mut teams = Vec::new();
    for word in f.teams.split([',', ';', ' ']).map(str::trim).filter(|w| !w.is_empty()) {
        let Ok(id) = word.trim_start_matches('#').parse::<i64>() else {
            return Ok(Err(FieldErrors::single("teams", format!("“{word}” không phải là số tổ"))));
        };
        let team = match store::teams::get(&state.db, &v.access.read, id).await {
            Ok(t) => t,
            Err(store::StoreError::NotFound(_)) => {
                return Ok(Err(FieldErrors::single("teams", format!("Không tìm thấy tổ số {id}"))));
            }
            Err(e) => return Err(e.into()),
        };
        if !v.access.writes(&team.commune_path) {
            return Err(not_allowed());
        }
        if team.status != "active" {
            return Ok(Err(FieldErrors::single("teams", format!("Tổ số {id} ({}) đã giải thể", team.name))));
        }
        teams.push(id);
    }
    let code = f.unit.trim();
    if !code.is_empty() {
        let unknown = || FieldErrors::single("unit", format!("Không có đơn vị hành chính mã {code}"));
        let unit = match store::units::by_code(&state.db, code).await {
            Ok(u) => u,
            Err(store::StoreError::NotFound(_)) => return Ok(Err(unknown())),
            Err(e) => return Err(e.into()),
        };
        if !store::units::visible(&state.db, &v.access.read, &unit).await? {
            return Ok(Err(unknown()));
        }
        if !v.access.writes(&unit.path) {
            return Err(not_allowed());
        }
        let of_unit = training::teams_of_unit(&state.db, &v.access.write, code).await?;
        if of_unit.is_empty() {
            let message = format!("{} chưa có tổ nào đang hoạt động", unit.name);
            return Ok(Err(FieldErrors::single("unit", message)));
        }
        teams.extend(of_unit);
    }
    if teams.is_empty() {
        return Ok(Err(FieldErrors::single("teams", "Nhập số tổ, hoặc mã đơn vị để mời mọi tổ của đơn vị")));
    }
    teams.sort_unstable();
    teams.dedup();
    Ok(Ok(teams))
}

/// `POST /training/{id}/invite`: invites teams by number (`teams=12, 13`) or every active team of
/// a unit (`unit=20335`); who changes the registry of those teams' units.
async fn invite(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(f): Form<InviteForm>,
) -> Result<Response, AppError> {
    v.check_csrf(&f.csrf)?;
    training::session(&state.db, id).await?;
    match teams_to_invite(&state, &v, &f).await? {
        Ok(teams) => {
            training::invite(&state.db, &v.access.read, id, &teams).await?;
            Ok(done(&format!("/training/{id}"), "invited"))
        }
        Err(errors) => render_session(&state, &v, id, None, f, Errors(errors)).await,
    }
}

/// One team on the roll call, with its members.
struct RollTeam {
    team_id: i64,
    team: String,
    commune: String,
    /// Whether the reader records this team's attendance.
    writable: bool,
    members: Vec<RollCall>,
}

#[derive(Template)]
#[template(path = "training_roll_call.html")]
struct RollCallPage {
    c: Chrome,
    s: Session,
    teams: Vec<RollTeam>,
    /// Marks sent with a refused form, shown again instead of what is stored.
    typed: Vec<(i64, String)>,
    errors: Errors,
}

impl RollCallPage {
    fn date(&self) -> String {
        vn_date(&self.s.held_on)
    }

    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        STATUSES.iter().map(|s| (*s, status_label(self.c.lang, s))).collect()
    }

    /// What a member's choice shows: the typed mark, else the stored one.
    fn mark(&self, r: &RollCall) -> String {
        match self.typed.iter().find(|(p, _)| *p == r.person_id) {
            Some((_, s)) => s.clone(),
            None => r.status.clone().unwrap_or_default(),
        }
    }

    fn checked(&self, r: &RollCall, status: &str) -> bool {
        self.mark(r) == status
    }

    fn label(&self, r: &RollCall) -> &'static str {
        status_label(self.c.lang, &self.mark(r))
    }

    fn any_writable(&self) -> bool {
        self.teams.iter().any(|t| t.writable)
    }
}

async fn render_roll_call(
    state: &AppState,
    v: &Viewer,
    id: i64,
    ok: Option<&str>,
    typed: Vec<(i64, String)>,
    errors: Errors,
) -> Result<Response, AppError> {
    let s = training::session(&state.db, id).await?;
    let roll = training::roll_call(&state.db, &v.access.read, id).await?;
    let invited = training::invited(&state.db, &v.access.read, id).await?;
    let teams = invited
        .into_iter()
        .map(|t| RollTeam {
            writable: v.access.writes_team(t.team_id, &t.commune_path),
            members: roll.iter().filter(|r| r.team_id == t.team_id).cloned().collect(),
            team_id: t.team_id,
            team: t.team,
            commune: t.commune,
        })
        .filter(|t| !t.members.is_empty())
        .collect();
    let page = RollCallPage { c: Chrome::new(v, ok), s, teams, typed, errors };
    let status =
        if page.errors.any() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /training/{id}/roll-call`: the members of the invited teams the reader may see, by team.
async fn roll_call(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    render_roll_call(&state, &v, id, q.ok.as_deref(), Vec::new(), Errors::default()).await
}

/// Reads the roll call's fields: `p<person>` = `present`, `absent` or `excused`.
fn parse_marks(fields: &[(String, String)]) -> Result<Vec<(i64, String)>, FieldErrors> {
    let mut marks: Vec<(i64, String)> = Vec::new();
    for (k, status) in fields {
        let Some(person) = k.strip_prefix('p') else { continue };
        let Ok(person) = person.parse::<i64>() else {
            return Err(FieldErrors::single("person_id", format!("“{person}” không phải là số của một người")));
        };
        if !STATUSES.contains(&status.as_str()) {
            return Err(FieldErrors::single("status", "Điểm danh là Có mặt, Vắng hoặc Vắng có phép"));
        }
        marks.retain(|(p, _)| *p != person);
        marks.push((person, status.clone()));
    }
    if marks.is_empty() {
        return Err(FieldErrors::single("status", "Chưa điểm danh ai: chọn Có mặt, Vắng hoặc Vắng có phép"));
    }
    Ok(marks)
}

/// `POST /training/{id}/roll-call`: records the marks sent, all or nothing. Each person must be on
/// the roll call the reader sees (refused beside the form otherwise) and in a team the reader
/// changes (403 otherwise).
async fn record(
    State(state): State<AppState>,
    v: Viewer,
    Id(id): Id,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let csrf = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or_default();
    v.check_csrf(csrf)?;
    training::session(&state.db, id).await?;
    let typed: Vec<(i64, String)> = fields
        .iter()
        .filter_map(|(k, s)| k.strip_prefix('p').and_then(|p| p.parse().ok()).map(|p| (p, s.clone())))
        .collect();
    let marks = match parse_marks(&fields) {
        Ok(m) => m,
        Err(e) => return render_roll_call(&state, &v, id, None, typed, Errors(e)).await,
    };
    let roll = training::roll_call(&state.db, &v.access.read, id).await?;
    let invited = training::invited(&state.db, &v.access.read, id).await?;
    for (person, _) in &marks {
        let Some(line) = roll.iter().find(|r| r.person_id == *person) else {
            let e = FieldErrors::single(
                "person_id",
                format!("Người số {person} không có trong danh sách điểm danh của buổi tập huấn này"),
            );
            return render_roll_call(&state, &v, id, None, typed, Errors(e)).await;
        };
        let writable =
            invited.iter().any(|t| t.team_id == line.team_id && v.access.writes_team(t.team_id, &t.commune_path));
        if !writable {
            return Err(not_allowed());
        }
    }
    match training::record(&state.db, &v.access.read, id, &marks).await {
        Ok(()) => Ok(done(&format!("/training/{id}/roll-call"), "roll_call")),
        Err(e @ store::StoreError::Invalid { .. }) => {
            let e = AppError::from(e);
            render_roll_call(&state, &v, id, None, typed, Errors(e.field_errors())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UntrainedQuery {
    unit: String,
    months: String,
    page: Option<i64>,
}

/// The unit and the day an untrained list is asked for, or the messages for its fields (with
/// the status to answer: 404 for a unit the reader cannot see, 422 for the months).
struct UntrainedAsk {
    unit: String,
    since: Option<time::Date>,
}

async fn untrained_ask(
    state: &AppState,
    v: &Viewer,
    q: &UntrainedQuery,
) -> Result<Result<UntrainedAsk, (axum::http::StatusCode, FieldErrors)>, AppError> {
    let since = match q.months.trim() {
        "" => None,
        m => match m.parse::<u32>() {
            Ok(n) if (1..=MAX_MONTHS).contains(&n) => Some(training::months_before(store::today(), n)),
            _ => {
                let e = FieldErrors::single("months", format!("Số tháng là một số nguyên từ 1 đến {MAX_MONTHS}"));
                return Ok(Err((axum::http::StatusCode::UNPROCESSABLE_ENTITY, e)));
            }
        },
    };
    let unit = match q.unit.trim() {
        "" => super::first_visible_root(state, &v.access.read).await?.map(|u| u.code).unwrap_or_default(),
        code => {
            let seen = match store::units::by_code(&state.db, code).await {
                Ok(u) => store::units::visible(&state.db, &v.access.read, &u).await?,
                Err(store::StoreError::NotFound(_)) => false,
                Err(e) => return Err(e.into()),
            };
            if !seen {
                let e = FieldErrors::single("unit", format!("Không có đơn vị hành chính mã {code}"));
                return Ok(Err((axum::http::StatusCode::NOT_FOUND, e)));
            }
            code.to_owned()
        }
    };
    Ok(Ok(UntrainedAsk { unit, since }))
}

#[derive(Template)]
#[template(path = "training_untrained.html")]
struct UntrainedPage {
    c: Chrome,
    unit: String,
    months: String,
    since: Option<String>,
    rows: Vec<Untrained>,
    pager: Pager,
    export: String,
    errors: Errors,
}

impl UntrainedPage {
    fn phone(&self, p: &str) -> String {
        domain::PhoneVn::parse(p).map_or_else(|_| p.to_owned(), |p| p.display())
    }

    fn last(&self, u: &Untrained) -> String {
        u.last_present.as_deref().map_or_else(|| self.c.lang.t("Chưa tập huấn", "Never").to_owned(), vn_date)
    }
}

/// `GET /training/untrained?unit=CODE&months=N`: active members of the unit never present at a
/// session, or not in the last N months; phone numbers masked as on the member list.
async fn untrained(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<UntrainedQuery>,
) -> Result<Response, AppError> {
    let params = [("unit", q.unit.as_str()), ("months", q.months.as_str())];
    let export = format!(
        "/training/untrained.csv?{}",
        serde_urlencoded::to_string(params.iter().filter(|(_, v)| !v.is_empty()).collect::<Vec<_>>())
            .unwrap_or_default()
    );
    let (status, unit, since, page, errors) = match untrained_ask(&state, &v, &q).await? {
        Ok(ask) => {
            let page = if ask.unit.is_empty() {
                store::Page { items: Vec::new(), total: 0, page: 1, per_page: MEMBERS_PER_PAGE }
            } else {
                let request = PageRequest::new(q.page.unwrap_or(1), MEMBERS_PER_PAGE);
                training::untrained_page(&state.db, &v.access.read, &ask.unit, ask.since, request).await?
            };
            (axum::http::StatusCode::OK, ask.unit, ask.since, page, FieldErrors::default())
        }
        Err((status, e)) => {
            let empty = store::Page { items: Vec::new(), total: 0, page: 1, per_page: MEMBERS_PER_PAGE };
            (status, q.unit.trim().to_owned(), None, empty, e)
        }
    };
    let pager = Pager::new(&page, "/training/untrained", &[("unit", &unit), ("months", q.months.trim())]);
    let mut rows = page.items;
    for u in &mut rows {
        mask_members(&v.access, std::slice::from_mut(&mut u.member));
    }
    let page = UntrainedPage {
        c: Chrome::new(&v, None),
        unit,
        months: q.months.trim().to_owned(),
        since: since.map(domain::input::format_date),
        rows,
        pager,
        export,
        errors: Errors(errors),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /training/untrained.xlsx` and `/training/untrained.csv`: the same list, every page,
/// masked as on screen. Personal data leaves the system here, so the export is logged with its
/// rows, as `/members.csv` is.
async fn untrained_export(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<UntrainedQuery>,
    format: exports::Format,
) -> Result<Response, AppError> {
    let ask = match untrained_ask(&state, &v, &q).await? {
        Ok(ask) => ask,
        Err((status, e)) => {
            let message = e.0.into_iter().map(|f| f.message).collect::<Vec<_>>().join("; ");
            return Err(if status == axum::http::StatusCode::NOT_FOUND {
                AppError::NotFound(message)
            } else {
                AppError::BadRequest(message)
            });
        }
    };
    let (mut rows, unit) = if ask.unit.is_empty() {
        (Vec::new(), None)
    } else {
        let rows =
            training::untrained_page(&state.db, &v.access.read, &ask.unit, ask.since, PageRequest::all()).await?.items;
        (rows, Some(store::units::by_code(&state.db, &ask.unit).await?))
    };
    let mut whole = 0;
    for u in &mut rows {
        if v.access.sees_personal(u.member.team_id, u.member.commune_path.as_deref()) {
            whole += 1;
        }
        mask_members(&v.access, std::slice::from_mut(&mut u.member));
    }
    let ids: Vec<i64> = rows.iter().map(|u| u.member.id).collect();
    let event = store::audit::Event {
        entity: "export",
        entity_id: None,
        action: match format {
            exports::Format::Xlsx => "untrained_xlsx",
            exports::Format::Csv => "untrained_csv",
        },
        unit_path: unit.as_ref().map(|u| u.path.clone()),
        before: None,
        after: Some(serde_json::json!({
            "filter": { "unit": ask.unit, "months": q.months.trim() },
            "rows": ids,
            "count": ids.len(),
            "whole": whole,
        })),
    };
    store::audit::record(&state.db, event).await?;
    let place = unit.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    let table = exports::untrained(&rows, &place, ask.since, store::today());
    exports::download(table, format, &exports::file_name(&["chua-tap-huan", &ask.unit])).await
}
