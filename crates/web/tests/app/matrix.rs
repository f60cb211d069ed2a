//! The scope-isolation matrix (issue C, point 8): every route of the router, taken from the
//! router's own table, asked by every role about things inside and outside their grants. A route
//! without an expectation here fails the test, so a new route cannot be forgotten.
//!
//! The registry: commune 20335 (Tam Kỳ, district 502) holds the team led by the team leader
//! ("own") and another team ("sibling"); commune 20341, also in Tam Kỳ, is "near"; commune 20380
//! (district 518) is "out". Every name made here carries its side's marker, so that a list can be
//! searched for what it must not show.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::UserRole;
use serde_json::{Value, json};
use store::Scope;
use store::access::Target;

use crate::app_test;
use crate::common::{Reply, TestApp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Own,
    Sibling,
    Near,
    Out,
}

const SIDES: [Side; 4] = [Side::Own, Side::Sibling, Side::Near, Side::Out];

impl Side {
    fn commune(self) -> &'static str {
        match self {
            Side::Own | Side::Sibling => "20335",
            Side::Near => "20341",
            Side::Out => "20380",
        }
    }

    /// Carried by every name made on this side (lower case: the registry may capitalise).
    fn marker(self) -> &'static str {
        match self {
            Side::Own => "ownteam",
            Side::Sibling => "sibling",
            Side::Near => "nearby",
            Side::Out => "outside",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Admin,
    DistrictAdmin,
    Officer,
    Finance,
    Commune,
    Leader,
    Viewer,
    Nobody,
}

const EVERYONE: [Who; 8] =
    [Who::Admin, Who::DistrictAdmin, Who::Officer, Who::Finance, Who::Commune, Who::Leader, Who::Viewer, Who::Nobody];

impl Who {
    fn login(self) -> &'static str {
        match self {
            Who::Admin => crate::common::ADMIN,
            Who::DistrictAdmin => "qt.tamky",
            Who::Officer => "cb.tinh",
            Who::Finance => "duyet.chi",
            Who::Commune => "cb.xa",
            Who::Leader => "to.truong",
            Who::Viewer => "nguoi.xem",
            Who::Nobody => "chua.cap",
        }
    }

    /// Reads the registry on this side: the hand-written truth the answers are held against.
    fn reads(self, side: Side) -> bool {
        match self {
            Who::Admin => true,
            Who::DistrictAdmin | Who::Officer | Who::Finance | Who::Viewer => side != Side::Out,
            Who::Commune | Who::Leader => matches!(side, Side::Own | Side::Sibling),
            Who::Nobody => false,
        }
    }

    /// Changes villages and teams (founding, dissolving) on this side.
    fn writes(self, side: Side) -> bool {
        match self {
            Who::Admin => true,
            Who::DistrictAdmin | Who::Officer => side != Side::Out,
            Who::Commune => matches!(side, Side::Own | Side::Sibling),
            _ => false,
        }
    }

    /// Changes a team's record and members on this side (a leader: their own team).
    fn writes_team(self, side: Side) -> bool {
        self.writes(side) || (self == Who::Leader && side == Side::Own)
    }

    /// Approves and pays on this side (administrators do not: a separate duty).
    fn finance(self, side: Side) -> bool {
        self == Who::Finance && side != Side::Out
    }

    /// Computes what is owed and prepares lists on this side.
    fn prepares(self, side: Side) -> bool {
        self.writes(side) || self.finance(side)
    }

    /// Records and changes funding policies on this side.
    fn manages_funding(self, side: Side) -> bool {
        match self {
            Who::Admin => true,
            Who::DistrictAdmin | Who::Finance => side != Side::Out,
            _ => false,
        }
    }

    fn administers(self, side: Side) -> bool {
        match self {
            Who::Admin => true,
            Who::DistrictAdmin => side != Side::Out,
            _ => false,
        }
    }

    /// The units whose rows this role's lists count, written by hand.
    fn scope(self) -> Scope {
        match self {
            Who::Admin => Scope::All,
            Who::DistrictAdmin | Who::Officer | Who::Finance | Who::Viewer => Scope::Paths(vec!["49/502/".into()]),
            Who::Commune | Who::Leader => Scope::Paths(vec!["49/502/20335/".into()]),
            Who::Nobody => Scope::Paths(vec![]),
        }
    }
}

/// What an answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Done or shown: 200, 201, 204, or a redirect that is not to the login page.
    Ok,
    Forbidden,
    NotFound,
    /// A refused field (an id named in a body, outside the caller's reach).
    Refused,
    /// Neither refused for access nor hidden (a form that then fails validation counts).
    Allowed,
    /// Answered, whatever the answer (a wrong login is 401, a logout sends to the login page).
    Answers,
}

impl Expect {
    fn holds(self, r: &Reply) -> bool {
        let to_login = r.location.as_deref().is_some_and(|l| l.starts_with("/login"));
        match self {
            Expect::Ok => {
                matches!(r.status.as_u16(), 200 | 201 | 204) || (r.status == StatusCode::SEE_OTHER && !to_login)
            }
            Expect::Forbidden => r.status == StatusCode::FORBIDDEN,
            Expect::NotFound => r.status == StatusCode::NOT_FOUND,
            Expect::Refused => r.status == StatusCode::UNPROCESSABLE_ENTITY,
            Expect::Allowed => !matches!(r.status.as_u16(), 401 | 403 | 404 | 500) && !to_login,
            Expect::Answers => !matches!(r.status.as_u16(), 403 | 404 | 500),
        }
    }
}

/// How a route decides, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No login needed.
    Public,
    /// The user's own account: anyone logged in.
    Session,
    /// Ends the session: asked last.
    EndsSession,
    /// A list, search, dashboard or export: always answers, counting only what is in scope.
    List,
    /// One thing by id or code: 404 outside the scope.
    Read,
    /// A logged reveal of personal data: as a read.
    Reveal,
    /// A village or team write: 404 unreadable, 403 readable but not writable.
    Write,
    /// The same, the thing named in the body (the API answers 422 for an unreachable one).
    WriteBody,
    /// A team's own record or members: its leader may.
    WriteTeam,
    /// Users and the audit trail: administrators, within what they administer.
    Admin,
    /// The same, on a user or grant of a side.
    AdminOf,
    /// Unit changes: administrators of everything only.
    National,
    /// A funding policy on a side: its administrators and finance approvers.
    Funding,
    /// The same, the unit named in the body (refused beside its field when out of reach).
    FundingBody,
    /// Computing what is owed: registry writers and finance approvers, within their units.
    Preparer,
    /// Preparing or submitting a commune's list: the same, on a side.
    PrepareOn,
    /// Approving, paying, reversing: finance approvers of the side.
    Finance,
    /// The same, the team named in the body.
    FinanceBody,
    /// A work-day claim for a team named in the body: who changes the team.
    ClaimBody,
    /// Adding training courses and sessions: who changes the registry somewhere.
    Organiser,
    /// A roll-call mark for a member named in the body: who changes the member's team (refused
    /// beside the form when the member is not on the roll call the caller sees).
    MarkBody,
    /// Importing a list: who changes the registry somewhere (the rows are then held to their
    /// write scope).
    Importer,
    /// A file uploaded for importing, asked by everyone: only its owner (the administrator)
    /// finds it; other importers are told it does not exist.
    ImportUpload,
}

fn kind(method: &Method, path: &str) -> Option<Kind> {
    let m = method.as_str();
    Some(match (m, path) {
        (
            "GET",
            "/login"
            | "/lang/{code}"
            | "/static/app.css"
            | "/static/report-draft.js"
            | "/healthz"
            | "/api/v1/openapi.json",
        )
        | ("POST", "/login") => Kind::Public,
        ("POST", "/logout" | "/account/logout-everywhere") => Kind::EndsSession,
        ("GET", "/account") | ("POST", "/account/password" | "/account/tokens" | "/account/tokens/{id}/revoke") => {
            Kind::Session
        }
        (
            "GET",
            "/" | "/units" | "/villages" | "/villages.xlsx" | "/villages.csv" | "/teams" | "/teams.xlsx" | "/teams.csv"
            | "/members" | "/members.csv" | "/members.xlsx" | "/units.xlsx" | "/units.csv",
        )
        | ("GET", "/api/v1/units" | "/api/v1/villages" | "/api/v1/teams" | "/api/v1/members") => Kind::List,
        ("GET", "/units/{code}" | "/villages/{id}" | "/teams/{id}" | "/people/{id}")
        | ("GET", "/units/{code}/coverage.xlsx" | "/units/{code}/coverage.csv")
        | (
            "GET",
            "/api/v1/units/{code}"
            | "/api/v1/units/{code}/coverage"
            | "/api/v1/villages/{id}"
            | "/api/v1/teams/{id}"
            | "/api/v1/teams/{id}/members"
            | "/api/v1/members/{id}",
        ) => Kind::Read,
        ("POST", "/people/{id}/reveal" | "/api/v1/members/{id}/reveal") => Kind::Reveal,
        ("POST", "/villages" | "/teams" | "/villages/{id}" | "/villages/{id}/deactivate" | "/villages/{id}/merge")
        | ("POST", "/teams/{id}/dissolve" | "/api/v1/villages/{id}/deactivate" | "/api/v1/teams/{id}/dissolve")
        | ("PATCH", "/api/v1/villages/{id}") => Kind::Write,
        ("POST", "/api/v1/villages" | "/api/v1/teams" | "/api/v1/villages/{id}/merge") => Kind::WriteBody,
        ("POST", "/teams/{id}" | "/teams/{id}/members" | "/people/{id}" | "/memberships/{id}")
        | ("POST", "/memberships/{id}/leave" | "/api/v1/teams/{id}/members" | "/api/v1/memberships/{id}/leave")
        | ("GET", "/teams/{id}/members/new" | "/people/{id}/edit")
        | ("PUT", "/api/v1/teams/{id}" | "/api/v1/members/{id}" | "/api/v1/memberships/{id}") => Kind::WriteTeam,
        ("GET", "/admin/users" | "/admin/audit" | "/admin/audit.csv" | "/admin/audit.xlsx")
        | ("POST", "/admin/users" | "/admin/grants/confirm-all") => Kind::Admin,
        ("GET", "/admin/users/{id}")
        | (
            "POST",
            "/admin/users/{id}/grants"
            | "/admin/users/{id}/password"
            | "/admin/users/{id}/status"
            | "/admin/grants/{id}/revoke"
            | "/admin/grants/{id}/confirm",
        ) => Kind::AdminOf,
        ("GET", "/admin/units") | ("POST", "/admin/units/preview" | "/admin/units/apply") => Kind::National,
        ("GET", "/admin/reports") | ("POST", "/admin/reports/deadline" | "/admin/reports/indicators") => Kind::National,
        ("GET", "/policies" | "/budget" | "/api/v1/policies" | "/policies.xlsx" | "/policies.csv") => Kind::List,
        ("GET", "/policies/{id}" | "/budget.xlsx" | "/budget.csv" | "/api/v1/policies/{id}" | "/api/v1/budget") => {
            Kind::Read
        }
        ("POST", "/policies" | "/api/v1/policies") => Kind::FundingBody,
        ("POST", "/policies/{id}" | "/api/v1/policies/{id}/versions") => Kind::Funding,
        ("GET", "/payments" | "/claims" | "/ledger" | "/payments/report") => Kind::List,
        (
            "GET",
            "/payments.xlsx" | "/payments.csv" | "/claims.xlsx" | "/claims.csv" | "/ledger.xlsx" | "/ledger.csv",
        ) => Kind::List,
        ("GET", "/payments/{id}" | "/payments/{id}/bang-ke.xlsx" | "/payments/{id}/bang-ke.csv") => Kind::Read,
        ("GET", "/payments/report.xlsx" | "/payments/report.csv") => Kind::Read,
        ("POST", "/payments/compute") => Kind::Preparer,
        ("POST", "/payments/prepare") => Kind::PrepareOn,
        ("POST", "/payments/{id}/submit") => Kind::PrepareOn,
        ("POST", "/payments/{id}/approve" | "/payments/{id}/pay" | "/ledger/{id}/reverse") => Kind::Finance,
        ("POST", "/ledger/adjust") => Kind::FinanceBody,
        ("POST", "/claims") => Kind::ClaimBody,
        ("POST", "/claims/{id}/approve" | "/claims/{id}/reject") => Kind::Write,
        ("GET", "/reports" | "/indicators") => Kind::List,
        ("GET", "/reports.xlsx" | "/reports.csv" | "/reports/list" | "/reports/list.xlsx" | "/reports/list.csv")
        | ("GET", "/indicators.xlsx" | "/indicators.csv")
        | (
            "GET",
            "/api/v1/reports/completeness" | "/api/v1/reports/indicators" | "/api/v1/teams/{id}/reports/{month}",
        ) => Kind::Read,
        ("GET", "/teams/{id}/reports/{month}") => Kind::Read,
        ("POST", "/teams/{id}/reports/{month}") => Kind::WriteTeam,
        ("POST", "/reports/{id}/approve" | "/reports/{id}/return") => Kind::Write,
        (
            "GET",
            "/training"
            | "/training.xlsx"
            | "/training.csv"
            | "/training/untrained"
            | "/training/untrained.csv"
            | "/training/untrained.xlsx"
            | "/training/{id}"
            | "/training/{id}/attendance.xlsx"
            | "/training/{id}/attendance.csv"
            | "/training/{id}/roll-call",
        ) => Kind::List,
        ("POST", "/training/courses" | "/training/sessions") => Kind::Organiser,
        ("POST", "/training/{id}/invite") => Kind::WriteBody,
        ("POST", "/training/{id}/roll-call") => Kind::MarkBody,
        ("GET", "/import" | "/import/template.xlsx") | ("POST", "/import/preview" | "/import/apply") => Kind::Importer,
        ("GET", "/import/{upload}/errors.xlsx") => Kind::ImportUpload,
        _ => return None,
    })
}

fn expect(k: Kind, who: Who, side: Side) -> Expect {
    match k {
        Kind::Public | Kind::EndsSession => Expect::Answers,
        Kind::Session => Expect::Allowed,
        Kind::List => Expect::Ok,
        Kind::Read | Kind::Reveal => {
            if who.reads(side) {
                Expect::Ok
            } else {
                Expect::NotFound
            }
        }
        Kind::Write | Kind::WriteBody => match (who.reads(side), who.writes(side)) {
            (_, true) => Expect::Ok,
            (true, false) => Expect::Forbidden,
            (false, _) if k == Kind::WriteBody => Expect::Refused,
            (false, _) => Expect::NotFound,
        },
        Kind::WriteTeam => match (who.reads(side), who.writes_team(side)) {
            (_, true) => Expect::Ok,
            (true, false) => Expect::Forbidden,
            (false, _) => Expect::NotFound,
        },
        Kind::Admin => {
            if who.administers(Side::Own) {
                Expect::Ok
            } else {
                Expect::Forbidden
            }
        }
        Kind::AdminOf => match (who.administers(Side::Own), who.administers(side)) {
            (false, _) => Expect::Forbidden,
            (true, true) => Expect::Ok,
            (true, false) => Expect::NotFound,
        },
        Kind::Funding => match (who.reads(side), who.manages_funding(side)) {
            (_, true) => Expect::Ok,
            (true, false) => Expect::Forbidden,
            (false, _) => Expect::NotFound,
        },
        Kind::FundingBody => match (who.reads(side), who.manages_funding(side)) {
            (_, true) => Expect::Ok,
            (true, false) => Expect::Forbidden,
            (false, _) => Expect::Refused,
        },
        Kind::Preparer => {
            if who.prepares(Side::Own) {
                Expect::Allowed
            } else {
                Expect::Forbidden
            }
        }
        Kind::PrepareOn => match (who.reads(side), who.prepares(side)) {
            (_, true) => Expect::Allowed,
            (true, false) => Expect::Forbidden,
            (false, _) => Expect::NotFound,
        },
        Kind::Finance => match (who.reads(side), who.finance(side)) {
            (_, true) => Expect::Ok,
            (true, false) => Expect::Forbidden,
            (false, _) => Expect::NotFound,
        },
        Kind::FinanceBody => match (who.reads(side), who.finance(side)) {
            (_, true) => Expect::Ok,
            (true, false) => Expect::Forbidden,
            (false, _) => Expect::Refused,
        },
        Kind::Organiser => {
            if who.writes(Side::Own) {
                Expect::Ok
            } else {
                Expect::Forbidden
            }
        }
        Kind::ClaimBody | Kind::MarkBody => match (who.reads(side), who.writes_team(side)) {
            (_, true) => Expect::Ok,
            (true, false) => Expect::Forbidden,
            (false, _) => Expect::Refused,
        },
        Kind::Importer => {
            if who.writes(Side::Own) {
                Expect::Allowed
            } else {
                Expect::Forbidden
            }
        }
        Kind::ImportUpload => match (who.writes(Side::Own), who == Who::Admin) {
            (false, _) => Expect::Forbidden,
            (true, true) => Expect::Ok,
            (true, false) => Expect::NotFound,
        },
        Kind::National => {
            if who == Who::Admin {
                Expect::Allowed
            } else {
                Expect::Forbidden
            }
        }
    }
}

/// The registry every role is asked about.
struct World {
    teams: BTreeMap<Side, i64>,
    people: BTreeMap<Side, i64>,
    next: u32,
    /// Months used by payment lists so far.
    month: u32,
    /// Days used by work-day claims so far.
    day: u32,
    /// A list per side, to read.
    lists: BTreeMap<Side, i64>,
    /// Months used by each side's team reports so far.
    report_months: BTreeMap<Side, u32>,
    /// A course and a session every side's team is invited to (made once).
    training: Option<(i64, i64)>,
}

impl World {
    async fn build(app: &TestApp) -> World {
        let mut teams = BTreeMap::new();
        let mut people = BTreeMap::new();
        let mut next = 0;
        for side in SIDES {
            let team = app.team(side.commune(), &format!("Thôn {} Một", side.marker())).await;
            next += 1;
            let person = app
                .member(
                    team,
                    &format!("Lê Văn {}", side.marker()),
                    &format!("0912{next:06}"),
                    "leader",
                    "commune_official",
                )
                .await;
            teams.insert(side, team);
            people.insert(side, person);
        }
        app.user_with(Who::DistrictAdmin.login(), Some((UserRole::ProvinceAdmin, Target::Unit("502".into())))).await;
        app.user_with(Who::Officer.login(), Some((UserRole::ProvinceOfficer, Target::Unit("502".into())))).await;
        app.user_with(Who::Finance.login(), Some((UserRole::FinanceApprover, Target::Unit("502".into())))).await;
        app.user_with(Who::Commune.login(), Some((UserRole::CommuneOfficer, Target::Unit("20335".into())))).await;
        app.user_with(Who::Leader.login(), Some((UserRole::TeamLeader, Target::Team(teams[&Side::Own])))).await;
        app.user_with(Who::Viewer.login(), Some((UserRole::Viewer, Target::Unit("502".into())))).await;
        app.user_with(Who::Nobody.login(), None).await;
        // Teams are paid 500,000 a month across the province from 2025.
        let policy = domain::funding::PolicyDraft {
            name: "Hỗ trợ tổ hằng tháng".into(),
            kind: "team_month".into(),
            amount: "500000".into(),
            effective_from: "01/01/2025".into(),
            scope: "49".into(),
            source: "province".into(),
            status: "in_force".into(),
            ..Default::default()
        };
        store::funding::create(&app.db, &policy.parse().expect("policy")).await.expect("policy");
        store::reports::load_demo_indicators(&app.db).await.expect("indicators");
        World {
            teams,
            people,
            next,
            month: 0,
            day: 0,
            lists: BTreeMap::new(),
            report_months: BTreeMap::new(),
            training: None,
        }
    }

    fn n(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    /// A unique word of letters, for names that take no digits.
    fn word(&mut self) -> String {
        let n = self.n();
        n.to_string()
            .chars()
            .map(|d| char::from(b'a' + u8::try_from(d.to_digit(10).unwrap_or(0)).unwrap_or(0)))
            .collect()
    }

    fn phone(&mut self) -> String {
        format!("0912{:06}", self.n())
    }

    async fn village(&mut self, app: &TestApp, side: Side) -> i64 {
        let n = self.n();
        app.village(side.commune(), &format!("Thôn {} {n}", side.marker())).await
    }

    async fn fresh_team(&mut self, app: &TestApp, side: Side) -> i64 {
        let n = self.n();
        app.team(side.commune(), &format!("Thôn {} {n}", side.marker())).await
    }

    /// A new member of the side's team; answers (person, membership).
    async fn fresh_member(&mut self, app: &TestApp, side: Side) -> (i64, i64) {
        let phone = self.phone();
        let w = self.word();
        let person =
            app.member(self.teams[&side], &format!("Trần Thị {} {w}", side.marker()), &phone, "member", "other").await;
        let m =
            store::people::get(&app.db, &Scope::All, person).await.expect("member").membership_id.expect("in a team");
        (person, m)
    }

    async fn membership(&self, app: &TestApp, side: Side) -> i64 {
        store::people::get(&app.db, &Scope::All, self.people[&side])
            .await
            .expect("person")
            .membership_id
            .expect("in a team")
    }

    async fn village_of(&self, app: &TestApp, side: Side) -> i64 {
        store::teams::get(&app.db, &Scope::All, self.teams[&side]).await.expect("team").village_id
    }

    /// A new user holding a viewer's grant on the side's commune; answers (user, grant).
    async fn fresh_user(&mut self, app: &TestApp, side: Side) -> (i64, i64) {
        let login = format!("nguoi.{}.{}", side.marker(), self.n());
        let id = app.user_with(&login, Some((UserRole::Viewer, Target::Unit(side.commune().into())))).await;
        let grant = store::access::of_user(&app.db, id).await.expect("grants")[0].grant_id;
        (id, grant)
    }

    /// A month (from January 2025 on, a new one each time) with what the side's commune is owed
    /// computed.
    async fn owed_month(&mut self, app: &TestApp, side: Side) -> String {
        self.month += 1;
        let m = domain::funding::YearMonth::parse("2025-01").expect("m").span(self.month).pop().expect("month");
        let commune = Scope::Paths(vec![store::units::by_code(&app.db, side.commune()).await.expect("unit").path]);
        store::payments::compute(&app.db, &commune, m).await.expect("compute");
        m.to_string()
    }

    /// A new payment list of the side's commune, in a month of its own, taken to a step.
    async fn list(&mut self, app: &TestApp, side: Side, to: Option<store::payments::ListStatus>) -> i64 {
        use store::payments::ListStatus;
        let m = self.owed_month(app, side).await;
        let m = domain::funding::YearMonth::parse(&m).expect("m");
        let id = store::payments::prepare(&app.db, &Scope::All, side.commune(), m).await.expect("prepare");
        let steps: &[ListStatus] = match to {
            Some(ListStatus::Submitted) => &[ListStatus::Submitted],
            Some(ListStatus::Approved) => &[ListStatus::Submitted, ListStatus::Approved],
            _ => &[],
        };
        for s in steps {
            let actor = store::audit::Actor { login: "ke.toan.khac".into(), channel: "web", address: None };
            store::audit::acting_as(actor, store::payments::advance(&app.db, &Scope::All, id, *s, None))
                .await
                .expect("step");
        }
        id
    }

    /// A list of the side's commune to read (made once: reading changes nothing).
    async fn shown_list(&mut self, app: &TestApp, side: Side) -> i64 {
        if let Some(id) = self.lists.get(&side) {
            return *id;
        }
        let id = self.list(app, side, None).await;
        self.lists.insert(side, id);
        id
    }

    /// A submitted report of the side's team, for a month of its own.
    async fn report(&mut self, app: &TestApp, side: Side) -> i64 {
        let n = self.report_months.entry(side).or_insert(0);
        *n += 1;
        let m = domain::funding::YearMonth::parse("2023-01").expect("m").span(*n).pop().expect("month");
        let key = format!("matrix-{side:?}-{n}");
        store::reports::submit(&app.db, &Scope::All, self.teams[&side], m, &[], Some(&key)).await.expect("report").id
    }

    /// A course, and a session of it to which every side's team is invited: (course, session).
    async fn training(&mut self, app: &TestApp) -> (i64, i64) {
        if let Some(t) = self.training {
            return t;
        }
        let course = store::training::add_course(&app.db, "Kỹ năng số cơ bản", "Sở TT&TT Quảng Nam", "VNeID")
            .await
            .expect("course");
        let day = time::macros::date!(2024 - 08 - 28);
        let session = store::training::add_session(&app.db, course, day, "Tam Kỳ", "").await.expect("session");
        let teams: Vec<i64> = self.teams.values().copied().collect();
        store::training::invite(&app.db, &Scope::All, session, &teams).await.expect("invite");
        self.training = Some((course, session));
        (course, session)
    }

    /// The month of a new submitted report of the side's team (`yyyy-mm`).
    async fn report_month(&mut self, app: &TestApp, side: Side) -> String {
        let id = self.report(app, side).await;
        store::reports::get(&app.db, &Scope::All, id).await.expect("report").month
    }

    /// A new ledger entry for the side's team.
    async fn entry(&mut self, app: &TestApp, side: Side) -> i64 {
        let m = domain::funding::YearMonth::parse("2025-01").expect("m");
        store::payments::adjust(
            &app.db,
            &Scope::All,
            self.teams[&side],
            m,
            domain::money::Vnd::new(100_000),
            "",
            "Chi bổ sung",
        )
        .await
        .expect("entry")
    }

    /// A day no claim has used yet (each person claims a day once).
    fn claim_day(&mut self) -> String {
        self.day += 1;
        let d = time::macros::date!(2024 - 01 - 01) + time::Duration::days(i64::from(self.day));
        domain::input::format_date(d)
    }

    /// A new work-day claim for the side's team leader.
    async fn claim(&mut self, app: &TestApp, side: Side) -> i64 {
        let draft = store::payments::ClaimDraft {
            person_id: self.people[&side].to_string(),
            team_id: self.teams[&side].to_string(),
            worked_on: self.claim_day(),
            task: "Hướng dẫn thanh toán không dùng tiền mặt".into(),
            mobilised_by: String::new(),
        };
        store::payments::add_claim(&app.db, &Scope::All, &draft.parse().expect("claim")).await.expect("claim")
    }

    /// A policy's fields on the side's commune, with a name of its own.
    fn policy_fields(&mut self, side: Side) -> Vec<(String, String)> {
        let w = self.word();
        vec![
            ("name".into(), format!("Chính sách {} {w}", side.marker())),
            ("kind".into(), "team_month".into()),
            ("amount".into(), "300.000".into()),
            ("effective_from".into(), "01/01/2025".into()),
            ("scope".into(), side.commune().into()),
            ("source".into(), "commune".into()),
            ("status".into(), "in_force".into()),
        ]
    }

    /// A new policy on the side's commune; answers its id.
    async fn policy(&mut self, app: &TestApp, side: Side) -> i64 {
        let fields = self.policy_fields(side);
        let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone()).unwrap_or_default();
        let draft = domain::funding::PolicyDraft {
            name: get("name"),
            kind: get("kind"),
            amount: get("amount"),
            effective_from: get("effective_from"),
            scope: get("scope"),
            source: get("source"),
            status: get("status"),
            ..Default::default()
        };
        store::funding::create(&app.db, &draft.parse().expect("policy")).await.expect("policy")
    }

    fn person_form(&mut self, side: Side) -> Vec<(String, String)> {
        let w = self.word();
        let phone = self.phone();
        vec![
            ("full_name".into(), format!("Phạm Văn {} {w}", side.marker())),
            ("gender".into(), "male".into()),
            ("birth".into(), "1990".into()),
            ("phone".into(), phone),
            ("role".into(), "member".into()),
            ("position".into(), "other".into()),
        ]
    }

    /// The request a route is asked with on a side, made fresh where the route changes things
    /// for good. `None`: the route has no side (asked once, with `Side::Own`).
    async fn request(&mut self, app: &TestApp, method: &Method, path: &str, side: Side) -> Option<Ask> {
        let f = |pairs: &[(&str, String)]| Ask::form(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect());
        let team = self.teams[&side];
        let person = self.people[&side];
        let code = side.commune().to_owned();
        let ask = match (method.as_str(), path) {
            ("GET", "/units/{code}") => Ask::get(format!("/units/{code}")),
            ("GET", p @ ("/units/{code}/coverage.xlsx" | "/units/{code}/coverage.csv")) => {
                Ask::get(p.replace("{code}", &code))
            }
            ("GET", "/api/v1/units/{code}") => Ask::get(format!("/api/v1/units/{code}")),
            ("GET", "/api/v1/units/{code}/coverage") => Ask::get(format!("/api/v1/units/{code}/coverage")),
            ("GET", "/villages/{id}") => Ask::get(format!("/villages/{}", self.village_of(app, side).await)),
            ("GET", "/api/v1/villages/{id}") => {
                Ask::get(format!("/api/v1/villages/{}", self.village_of(app, side).await))
            }
            ("GET", "/teams/{id}") => Ask::get(format!("/teams/{team}")),
            ("GET", "/api/v1/teams/{id}") => Ask::get(format!("/api/v1/teams/{team}")),
            ("GET", "/api/v1/teams/{id}/members") => Ask::get(format!("/api/v1/teams/{team}/members")),
            ("GET", "/people/{id}") => Ask::get(format!("/people/{person}")),
            ("GET", "/api/v1/members/{id}") => Ask::get(format!("/api/v1/members/{person}")),
            ("POST", "/people/{id}/reveal") => f(&[]).at(format!("/people/{person}/reveal")),
            ("POST", "/api/v1/members/{id}/reveal") => {
                Ask::json(Method::POST, format!("/api/v1/members/{person}/reveal"), json!({}))
            }
            ("POST", "/villages") => {
                let n = self.n();
                f(&[("commune_code", code), ("name", format!("Thôn {} {n}", side.marker()))]).at("/villages".into())
            }
            ("POST", "/api/v1/villages") => {
                let n = self.n();
                Ask::json(
                    Method::POST,
                    "/api/v1/villages".into(),
                    json!({ "commune_code": code, "name": format!("Thôn {} {n}", side.marker()) }),
                )
            }
            ("POST", "/villages/{id}") => {
                let v = self.village(app, side).await;
                let n = self.n();
                f(&[("name", format!("Thôn {} {n}", side.marker()))]).at(format!("/villages/{v}"))
            }
            ("PATCH", "/api/v1/villages/{id}") => {
                let v = self.village(app, side).await;
                let n = self.n();
                Ask::json(
                    Method::PATCH,
                    format!("/api/v1/villages/{v}"),
                    json!({ "name": format!("Thôn {} {n}", side.marker()) }),
                )
            }
            ("POST", "/villages/{id}/deactivate") => {
                let v = self.village(app, side).await;
                f(&[("confirm", "1".into())]).at(format!("/villages/{v}/deactivate"))
            }
            ("POST", "/api/v1/villages/{id}/deactivate") => {
                let v = self.village(app, side).await;
                Ask::json(Method::POST, format!("/api/v1/villages/{v}/deactivate"), json!({}))
            }
            ("POST", "/villages/{id}/merge") => {
                let (a, b) = (self.village(app, side).await, self.village(app, side).await);
                f(&[("into_village_id", b.to_string()), ("confirm", "1".into())]).at(format!("/villages/{a}/merge"))
            }
            ("POST", "/api/v1/villages/{id}/merge") => {
                let (a, b) = (self.village(app, side).await, self.village(app, side).await);
                Ask::json(Method::POST, format!("/api/v1/villages/{a}/merge"), json!({ "into_village_id": b }))
            }
            ("POST", "/teams") => {
                let v = self.village(app, side).await;
                f(&[("village_id", v.to_string()), ("established_on", "01/09/2023".into())]).at("/teams".into())
            }
            ("POST", "/api/v1/teams") => {
                let v = self.village(app, side).await;
                Ask::json(
                    Method::POST,
                    "/api/v1/teams".into(),
                    json!({ "village_id": v, "established_on": "01/09/2023" }),
                )
            }
            ("POST", "/teams/{id}") => {
                f(&[("name", String::new()), ("established_on", "01/09/2023".into())]).at(format!("/teams/{team}"))
            }
            ("PUT", "/api/v1/teams/{id}") => {
                Ask::json(Method::PUT, format!("/api/v1/teams/{team}"), json!({ "established_on": "01/09/2023" }))
            }
            ("POST", "/teams/{id}/dissolve") => {
                let t = self.fresh_team(app, side).await;
                f(&[("confirm", "1".into())]).at(format!("/teams/{t}/dissolve"))
            }
            ("POST", "/api/v1/teams/{id}/dissolve") => {
                let t = self.fresh_team(app, side).await;
                Ask::json(Method::POST, format!("/api/v1/teams/{t}/dissolve"), json!({}))
            }
            ("GET", "/teams/{id}/members/new") => Ask::get(format!("/teams/{team}/members/new")),
            ("POST", "/teams/{id}/members") => {
                let mut fields = self.person_form(side);
                fields.push(("joined_on".into(), "01/10/2023".into()));
                Ask::form(fields).at(format!("/teams/{team}/members"))
            }
            ("POST", "/api/v1/teams/{id}/members") => {
                let fields: serde_json::Map<String, Value> =
                    self.person_form(side).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                Ask::json(Method::POST, format!("/api/v1/teams/{team}/members"), Value::Object(fields))
            }
            ("GET", "/people/{id}/edit") => Ask::get(format!("/people/{person}/edit")),
            ("POST", "/people/{id}") | ("PUT", "/api/v1/members/{id}") => {
                let p = store::people::get(&app.db, &Scope::All, person).await.expect("person");
                let body = [
                    ("full_name", p.full_name.clone()),
                    ("gender", p.gender.clone()),
                    ("birth", "1985".to_owned()),
                    ("phone", p.phone.clone()),
                ];
                if method == Method::PUT {
                    let map: serde_json::Map<String, Value> =
                        body.iter().map(|(k, v)| ((*k).to_owned(), Value::String(v.clone()))).collect();
                    Ask::json(Method::PUT, format!("/api/v1/members/{person}"), Value::Object(map))
                } else {
                    f(&body).at(format!("/people/{person}"))
                }
            }
            ("POST", "/memberships/{id}") => {
                let m = self.membership(app, side).await;
                f(&[
                    ("person_id", person.to_string()),
                    ("role", "leader".into()),
                    ("position", "commune_official".into()),
                ])
                .at(format!("/memberships/{m}"))
            }
            ("PUT", "/api/v1/memberships/{id}") => {
                let m = self.membership(app, side).await;
                Ask::json(
                    Method::PUT,
                    format!("/api/v1/memberships/{m}"),
                    json!({ "role": "leader", "position": "commune_official" }),
                )
            }
            ("POST", "/memberships/{id}/leave") => {
                let (p, m) = self.fresh_member(app, side).await;
                f(&[("person_id", p.to_string()), ("confirm", "1".into())]).at(format!("/memberships/{m}/leave"))
            }
            ("POST", "/api/v1/memberships/{id}/leave") => {
                let (_, m) = self.fresh_member(app, side).await;
                Ask::json(Method::POST, format!("/api/v1/memberships/{m}/leave"), json!({}))
            }
            ("GET", "/policies/{id}") => Ask::get(format!("/policies/{}", self.policy(app, side).await)),
            ("GET", "/api/v1/policies/{id}") => Ask::get(format!("/api/v1/policies/{}", self.policy(app, side).await)),
            ("GET", p @ ("/budget.xlsx" | "/budget.csv")) => {
                Ask::get(format!("{p}?unit={code}&from=2025-01&months=12"))
            }
            ("GET", "/api/v1/budget") => Ask::get(format!("/api/v1/budget?unit={code}&from=2025-01&months=12")),
            ("POST", "/policies") => Ask::form(self.policy_fields(side)).at("/policies".into()),
            ("POST", "/api/v1/policies") => {
                let map: serde_json::Map<String, Value> =
                    self.policy_fields(side).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                Ask::json(Method::POST, "/api/v1/policies".into(), Value::Object(map))
            }
            ("POST", "/policies/{id}") => {
                let id = self.policy(app, side).await;
                Ask::form(self.policy_fields(side)).at(format!("/policies/{id}"))
            }
            ("POST", "/api/v1/policies/{id}/versions") => {
                let id = self.policy(app, side).await;
                let map: serde_json::Map<String, Value> =
                    self.policy_fields(side).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                Ask::json(Method::POST, format!("/api/v1/policies/{id}/versions"), Value::Object(map))
            }
            ("GET", "/payments/{id}") => Ask::get(format!("/payments/{}", self.shown_list(app, side).await)),
            ("GET", "/payments/{id}/bang-ke.xlsx") => {
                Ask::get(format!("/payments/{}/bang-ke.xlsx", self.shown_list(app, side).await))
            }
            ("GET", "/payments/{id}/bang-ke.csv") => {
                Ask::get(format!("/payments/{}/bang-ke.csv", self.shown_list(app, side).await))
            }
            ("GET", p @ ("/payments/report.xlsx" | "/payments/report.csv")) => {
                Ask::get(format!("{p}?unit={code}&from=2025-01&months=12"))
            }
            ("POST", "/payments/prepare") => {
                let m = self.owed_month(app, side).await;
                f(&[("commune_code", code), ("month", m)]).at("/payments/prepare".into())
            }
            ("POST", "/payments/{id}/submit") => {
                let id = self.list(app, side, None).await;
                f(&[]).at(format!("/payments/{id}/submit"))
            }
            ("POST", "/payments/{id}/approve") => {
                let id = self.list(app, side, Some(store::payments::ListStatus::Submitted)).await;
                f(&[]).at(format!("/payments/{id}/approve"))
            }
            ("POST", "/payments/{id}/pay") => {
                let id = self.list(app, side, Some(store::payments::ListStatus::Approved)).await;
                f(&[]).at(format!("/payments/{id}/pay"))
            }
            ("POST", "/ledger/{id}/reverse") => {
                let entry = self.entry(app, side).await;
                f(&[("note", "Sai số tiền".into())]).at(format!("/ledger/{entry}/reverse"))
            }
            ("POST", "/ledger/adjust") => f(&[
                ("team_id", team.to_string()),
                ("month", "2025-01".into()),
                ("amount", "-100.000".into()),
                ("note", "Điều chỉnh theo biên bản".into()),
            ])
            .at("/ledger/adjust".into()),
            ("POST", "/claims") => {
                let day = self.claim_day();
                f(&[
                    ("person_id", person.to_string()),
                    ("team_id", team.to_string()),
                    ("worked_on", day),
                    ("task", "Hướng dẫn cài VNeID".into()),
                ])
                .at("/claims".into())
            }
            ("POST", "/claims/{id}/approve") => f(&[]).at(format!("/claims/{}/approve", self.claim(app, side).await)),
            ("POST", "/claims/{id}/reject") => f(&[]).at(format!("/claims/{}/reject", self.claim(app, side).await)),
            ("GET", "/teams/{id}/reports/{month}") => Ask::get(format!("/teams/{team}/reports/2025-01")),
            ("GET", "/api/v1/teams/{id}/reports/{month}") => {
                Ask::get(format!("/api/v1/teams/{team}/reports/{}", self.report_month(app, side).await))
            }
            ("GET", p @ ("/reports.xlsx" | "/reports.csv" | "/reports/list.xlsx" | "/reports/list.csv")) => {
                Ask::get(format!("{p}?unit={code}&month=2023-01&which=received"))
            }
            ("GET", "/reports/list") => Ask::get(format!("/reports/list?unit={code}&month=2023-01&which=received")),
            ("GET", p @ ("/indicators.xlsx" | "/indicators.csv")) => {
                Ask::get(format!("{p}?unit={code}&from=2023-01&to=2023-12&table=children"))
            }
            ("GET", "/api/v1/reports/completeness") => {
                Ask::get(format!("/api/v1/reports/completeness?unit={code}&month=2023-01"))
            }
            ("GET", "/api/v1/reports/indicators") => {
                Ask::get(format!("/api/v1/reports/indicators?unit={code}&from=2023-01&to=2023-12"))
            }
            ("POST", "/teams/{id}/reports/{month}") => f(&[("action", "draft".into()), ("v_dvc_ho_so", "3".into())])
                .at(format!("/teams/{team}/reports/2025-01")),
            ("POST", "/reports/{id}/approve") => {
                f(&[]).at(format!("/reports/{}/approve", self.report(app, side).await))
            }
            ("POST", "/reports/{id}/return") => f(&[("comment", "Thiếu số liệu".into())])
                .at(format!("/reports/{}/return", self.report(app, side).await)),
            ("GET", "/training/{id}") => Ask::get(format!("/training/{}", self.training(app).await.1)),
            ("GET", p @ ("/training/{id}/attendance.xlsx" | "/training/{id}/attendance.csv")) => {
                Ask::get(p.replace("{id}", &self.training(app).await.1.to_string()))
            }
            ("GET", "/training/{id}/roll-call") => {
                Ask::get(format!("/training/{}/roll-call", self.training(app).await.1))
            }
            ("POST", "/training/courses") => {
                let w = self.word();
                f(&[("title", format!("Khóa tập huấn {w}")), ("organiser", "VNPT Quảng Nam".into())])
                    .at("/training/courses".into())
            }
            ("POST", "/training/sessions") => {
                let (course, _) = self.training(app).await;
                f(&[("course_id", course.to_string()), ("held_on", "17/10/2024".into()), ("venue", "Phú Ninh".into())])
                    .at("/training/sessions".into())
            }
            ("POST", "/training/{id}/invite") => {
                let (_, s) = self.training(app).await;
                f(&[("teams", team.to_string())]).at(format!("/training/{s}/invite"))
            }
            ("POST", "/training/{id}/roll-call") => {
                let (_, s) = self.training(app).await;
                f(&[(&*format!("p{person}"), "present".into())]).at(format!("/training/{s}/roll-call"))
            }
            ("GET", "/import/{upload}/errors.xlsx") => {
                let admin = store::users::by_login(&app.db, crate::common::ADMIN).await.expect("admin");
                let csv = "Họ và tên,Số điện thoại\nNguyễn Văn A,\n";
                let id = store::uploads::put(&app.db, admin.user_id, "ds.csv", "members", None, csv.as_bytes())
                    .await
                    .expect("upload");
                Ask::get(format!("/import/{id}/errors.xlsx"))
            }
            ("GET", "/admin/users/{id}") => {
                let (u, _) = self.fresh_user(app, side).await;
                Ask::get(format!("/admin/users/{u}"))
            }
            ("POST", "/admin/users/{id}/grants") => {
                let (u, _) = self.fresh_user(app, side).await;
                f(&[("role", "commune_officer".into()), ("unit", code)]).at(format!("/admin/users/{u}/grants"))
            }
            ("POST", "/admin/users/{id}/status") => {
                let (u, _) = self.fresh_user(app, side).await;
                f(&[("status", "disabled".into()), ("confirm", "1".into())]).at(format!("/admin/users/{u}/status"))
            }
            ("POST", "/admin/users/{id}/password") => {
                let (u, _) = self.fresh_user(app, side).await;
                f(&[("confirm", "1".into())]).at(format!("/admin/users/{u}/password"))
            }
            ("POST", "/admin/grants/{id}/revoke") => {
                let (_, g) = self.fresh_user(app, side).await;
                f(&[]).at(format!("/admin/grants/{g}/revoke"))
            }
            ("POST", "/admin/grants/{id}/confirm") => {
                let (_, g) = self.fresh_user(app, side).await;
                let sql = "update user_grant set status = 'pending' where user_grant_id = $1";
                store::testing::execute(&app.db, sql, g).await;
                f(&[]).at(format!("/admin/grants/{g}/confirm"))
            }
            _ => return None,
        };
        Some(ask)
    }

    /// The request of a route without a side.
    fn plain(&mut self, method: &Method, path: &str, who: Who) -> Ask {
        let f = |pairs: &[(&str, String)]| Ask::form(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect());
        match (method.as_str(), path) {
            ("GET", "/lang/{code}") => Ask::get("/lang/vi?back=/".into()),
            ("POST", "/login") => {
                f(&[("login", "ai.do".into()), ("password", "sai-mat-khau-roi".into())]).at("/login".into())
            }
            ("POST", "/account/password") => f(&[
                ("current", crate::common::ADMIN_PASSWORD.into()),
                ("new", format!("mat-khau-moi-{}", self.n())),
                ("confirm", "khong-khop-nhau".into()),
            ])
            .at("/account/password".into()),
            ("POST", "/account/tokens") => f(&[("name", "ma thu".into())]).at("/account/tokens".into()),
            ("POST", "/admin/users") => {
                let n = self.n();
                f(&[("login", format!("moi.{n}")), ("role", "viewer".into()), ("unit", "20335".into())])
                    .at("/admin/users".into())
            }
            ("POST", "/admin/units/preview") => Ask::multipart("/admin/units/preview".into()),
            ("POST", p @ ("/import/preview" | "/import/apply")) => Ask::multipart(p.to_owned()),
            ("POST", "/admin/units/apply") => f(&[]).at("/admin/units/apply".into()),
            ("POST", "/admin/reports/deadline") => f(&[("day", "5".into())]).at("/admin/reports/deadline".into()),
            ("POST", "/admin/reports/indicators") => {
                let n = self.n();
                f(&[("code", format!("chi_tieu_{n}")), ("name", format!("Chỉ tiêu thử {n}"))])
                    .at("/admin/reports/indicators".into())
            }
            ("POST", "/payments/compute") => f(&[("month", "2025-01".into())]).at("/payments/compute".into()),
            ("POST", "/account/tokens/{id}/revoke") => {
                // Filled in by the caller: the token belongs to the user asking.
                let _ = who;
                f(&[]).at(String::new())
            }
            ("POST", p) => f(&[]).at(p.to_owned()),
            (m, p) => {
                Ask { method: Method::from_bytes(m.as_bytes()).expect("method"), path: p.to_owned(), body: Body2::None }
            }
        }
    }
}

/// One request to send.
struct Ask {
    method: Method,
    path: String,
    body: Body2,
}

enum Body2 {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
    Multipart,
}

impl Ask {
    fn get(path: String) -> Ask {
        Ask { method: Method::GET, path, body: Body2::None }
    }

    fn form(fields: Vec<(String, String)>) -> Ask {
        Ask { method: Method::POST, path: String::new(), body: Body2::Form(fields) }
    }

    fn json(method: Method, path: String, v: Value) -> Ask {
        Ask { method, path, body: Body2::Json(v) }
    }

    fn multipart(path: String) -> Ask {
        Ask { method: Method::POST, path, body: Body2::Multipart }
    }

    fn at(mut self, path: String) -> Ask {
        self.path = path;
        self
    }

    async fn send(self, b: &mut TestApp) -> Reply {
        match self.body {
            Body2::None if self.method == Method::GET => b.get(&self.path).await,
            Body2::None | Body2::Json(_) if self.path.starts_with("/api/") => {
                let body = match self.body {
                    Body2::Json(v) => Some(v),
                    _ => None,
                };
                b.api(self.method.as_str(), &self.path, body).await
            }
            Body2::Form(fields) => {
                let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                b.post_form(&self.path, &refs).await
            }
            Body2::Multipart => {
                let boundary = "matrixboundary";
                let body = format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}--\r\n",
                    b.csrf
                );
                let req = Request::post(&self.path)
                    .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                    .body(Body::from(body))
                    .expect("request");
                b.send(req).await
            }
            Body2::None | Body2::Json(_) => b.post_form(&self.path, &[]).await,
        }
    }
}

app_test!(every_route_answers_every_role_by_their_grants, |app| {
    let mut world = World::build(&app).await;
    // The administrator of everything sees every user the matrix asks as.
    let users = app.get("/admin/users").await;
    assert!(EVERYONE.iter().all(|w| users.body.contains(w.login())), "{}", users.body);
    let mut browsers = BTreeMap::new();
    for who in EVERYONE {
        let b = if who == Who::Admin { TestApp::new_on(&app).await } else { app.browser_of(who.login()).await };
        browsers.insert(who, b);
    }
    browsers.get_mut(&Who::Admin).expect("admin").login().await;
    let mut table = web::routes::table();
    // Routes that end the session are asked last.
    table.sort_by_key(|(m, p)| kind(m, p) == Some(Kind::EndsSession));
    let mut failures = Vec::new();
    let mut asked = 0;
    for (method, path) in &table {
        let Some(k) = kind(method, path) else {
            failures.push(format!("{method} {path}: no expectation in the matrix; add one"));
            continue;
        };
        for who in EVERYONE {
            let sides: &[Side] = if matches!(
                k,
                Kind::Read
                    | Kind::Reveal
                    | Kind::Write
                    | Kind::WriteBody
                    | Kind::WriteTeam
                    | Kind::AdminOf
                    | Kind::MarkBody
            ) {
                &SIDES
            } else {
                &[Side::Own]
            };
            for &side in sides {
                let ask = match world.request(&app, method, path, side).await {
                    Some(a) => a,
                    None => {
                        let mut a = world.plain(method, path, who);
                        if path == "/account/tokens/{id}/revoke" {
                            let (id, _) = store::users::create_token(&app.db, who.login(), "ma").await.expect("token");
                            a.path = format!("/account/tokens/{id}/revoke");
                        }
                        a
                    }
                };
                let shown = format!("{} {}", ask.method, ask.path);
                let b = browsers.get_mut(&who).expect("browser");
                let r = ask.send(b).await;
                asked += 1;
                let want = expect(k, who, side);
                if !want.holds(&r) {
                    failures.push(format!(
                        "{method} {path} as {who:?} on {side:?} ({shown}): want {want:?}, got {} {}",
                        r.status,
                        r.body.chars().take(160).collect::<String>()
                    ));
                }
                // Nothing outside the caller's reach shows in what they are answered.
                if r.status.is_success() && k != Kind::Public {
                    let body = r.body.to_lowercase();
                    for other in SIDES {
                        if !who.reads(other) && body.contains(other.marker()) {
                            failures.push(format!("{shown} as {who:?} shows {:?} rows", other));
                        }
                    }
                }
            }
        }
    }
    assert!(asked > 500, "the matrix asked only {asked} questions");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
});

app_test!(lists_and_counts_hold_only_what_the_grants_reach, |app| {
    let world = World::build(&app).await;
    assert_eq!(world.teams.len(), 4);
    let users = app.get("/admin/users").await;
    assert!(EVERYONE.iter().all(|w| users.body.contains(w.login())), "{}", users.body);
    for who in EVERYONE {
        let mut b = if who == Who::Admin {
            let mut b = TestApp::new_on(&app).await;
            b.login().await;
            b
        } else {
            app.browser_of(who.login()).await
        };
        let scope = who.scope();
        let teams =
            store::teams::list(&app.db, &scope, &Default::default(), store::PageRequest::all()).await.expect("t");
        let villages =
            store::villages::list(&app.db, &scope, &Default::default(), store::PageRequest::all()).await.expect("v");
        let people =
            store::people::list(&app.db, &scope, &Default::default(), store::PageRequest::all()).await.expect("p");
        for (path, want) in [
            ("/api/v1/teams?per_page=200", teams.total),
            ("/api/v1/villages?per_page=200", villages.total),
            ("/api/v1/members?per_page=200", people.total),
        ] {
            let r = b.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{path} as {who:?}");
            assert_eq!(r.json()["total"], want, "{path} as {who:?}");
        }
        // The export holds as many rows as the list, one line each after the header.
        let csv = b.get("/members.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(i64::try_from(csv.body.trim_end().lines().count()).expect("lines") - 1, people.total, "{who:?}");
        for (path, want) in [("/teams.csv", teams.total), ("/villages.csv", villages.total)] {
            let csv = b.get(path).await;
            assert_eq!(csv.status, StatusCode::OK, "{path} as {who:?}");
            assert_eq!(i64::try_from(csv.body.trim_end().lines().count()).expect("lines") - 1, want, "{path} {who:?}");
        }
        // The province's coverage, as each reads it, counts their villages only.
        let cov = b.get("/api/v1/units/49/coverage").await;
        if who.reads(Side::Own) {
            assert_eq!(cov.json()["villages"], villages.total, "coverage of 49 as {who:?}");
        } else {
            assert_eq!(cov.status, StatusCode::NOT_FOUND, "{who:?}");
        }
    }
    // Hand-written truth: one team on each side, seen from each role.
    let all =
        store::teams::list(&app.db, &Scope::All, &Default::default(), store::PageRequest::all()).await.expect("t");
    assert_eq!(all.total, 4);
    let district = store::teams::list(&app.db, &Who::Viewer.scope(), &Default::default(), store::PageRequest::all())
        .await
        .expect("t");
    assert_eq!(district.total, 3);
    let commune = store::teams::list(&app.db, &Who::Commune.scope(), &Default::default(), store::PageRequest::all())
        .await
        .expect("t");
    assert_eq!(commune.total, 2);
});
