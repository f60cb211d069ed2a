//! `congdongso`: the door. Parses arguments, opens the database, and calls the libraries.
#![forbid(unsafe_code)]

mod export;
mod import;
mod output;
mod training;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use domain::funding::YearMonth;
use domain::money::Vnd;
use domain::units::Level;
use store::{Db, PageRequest, Scope, coverage, payments, people, teams, units, users};

use crate::output::{Format, Table, print_rows};

/// Quản lý Tổ công nghệ số cộng đồng — registry of community digital technology teams.
#[derive(Parser)]
#[command(name = "congdongso", version, about, long_about = None)]
struct Cli {
    /// The database: a file path, `sqlite:PATH` or `postgres://…`.
    #[arg(long, global = true, env = "CONGDONGSO_DB", default_value = "congdongso.db")]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (migrates the database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CONGDONGSO_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// Fill an empty database with the demo province first.
        #[arg(long)]
        demo: bool,
        /// Mark the session cookie `Secure` (set when users reach the server over HTTPS, e.g.
        /// behind a reverse proxy).
        #[arg(long, env = "CONGDONGSO_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Load the demo province (Quảng Nam, generated people) into an empty database.
    Demo,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Administrative units.
    #[command(subcommand)]
    Units(UnitsCommand),
    /// Teams.
    #[command(subcommand)]
    Teams(TeamsCommand),
    /// Team members.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Budget simulator: what funding policies cost a unit over a period, by child unit, for the
    /// teams of the period's first day and for one team in every village.
    Budget(Box<BudgetArgs>),
    /// Funding policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Payments: what teams are owed, work-day claims, and payment lists from preparation to
    /// payment.
    #[command(subcommand)]
    Payments(PaymentsCommand),
    /// The ledger of what was paid: entries, balances, reversals and adjustments.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Training: courses, sessions, invited teams, the roll call, and who has not been trained.
    #[command(subcommand)]
    Training(training::TrainingCommand),
    /// Write a unit's members, teams or villages to an Excel (.xlsx) or CSV file, with whole
    /// phone numbers and CCCD (recorded in the audit trail).
    Export(export::ExportArgs),
    /// Import a list from Excel or CSV (dry run first with --dry-run).
    #[command(subcommand)]
    Import(import::ImportCommand),
}

#[derive(Args)]
struct BudgetArgs {
    /// The unit's code, as it stood on the first day of the period.
    #[arg(long)]
    unit: String,
    /// The first month, yyyy-mm.
    #[arg(long)]
    from: String,
    /// How many months.
    #[arg(long)]
    months: u32,
    /// A policy by name; repeat for several side by side. Without it: every current policy
    /// that concerns the unit and is not withdrawn.
    #[arg(long = "policy")]
    policies: Vec<String>,
    /// Work days assumed per member per month, for work-day policies.
    #[arg(long, default_value_t = 0)]
    work_days: u32,
    #[arg(long, value_enum, default_value_t = BudgetFormat::Table)]
    format: BudgetFormat,
    /// The file to write with --format xlsx (default: du-toan-UNIT-FROM.xlsx).
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BudgetFormat {
    Table,
    Json,
    Xlsx,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// The current policies.
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record a new policy.
    Add {
        #[command(flatten)]
        terms: Box<PolicyArgs>,
    },
    /// Change a policy: a new version; the old one stays for what was computed under it.
    Revise {
        /// The policy's current name.
        #[arg(value_name = "CURRENT_NAME")]
        policy: String,
        #[command(flatten)]
        terms: Box<PolicyArgs>,
    },
}

/// A policy's terms on the command line (amounts in đồng: 500000 or 500.000).
#[derive(Args, Clone)]
struct PolicyArgs {
    #[arg(long)]
    name: String,
    /// team-month, member-month, work-day or one-off.
    #[arg(long)]
    kind: String,
    #[arg(long)]
    amount: String,
    /// First day in force, yyyy-mm-dd or dd/mm/yyyy.
    #[arg(long = "from")]
    effective_from: String,
    /// First day no longer in force.
    #[arg(long = "to", default_value = "")]
    effective_to: String,
    /// The unit covered (everything under it).
    #[arg(long)]
    scope: String,
    #[arg(long, default_value = "")]
    cap_months: String,
    #[arg(long, default_value = "")]
    cap_per_year: String,
    /// province, district or commune.
    #[arg(long, default_value = "province")]
    source: String,
    /// proposed, in-force or withdrawn.
    #[arg(long, default_value = "proposed")]
    status: String,
    #[arg(long, default_value = "")]
    legal_basis: String,
    #[arg(long, default_value = "")]
    note: String,
}

impl PolicyArgs {
    fn parse(&self) -> Result<domain::funding::PolicyInput> {
        let draft = domain::funding::PolicyDraft {
            name: self.name.clone(),
            legal_basis: self.legal_basis.clone(),
            kind: self.kind.replace('-', "_"),
            amount: self.amount.clone(),
            effective_from: self.effective_from.clone(),
            effective_to: self.effective_to.clone(),
            scope: self.scope.clone(),
            cap_months: self.cap_months.clone(),
            cap_per_year: self.cap_per_year.clone(),
            source: self.source.clone(),
            status: self.status.replace('-', "_"),
            note: self.note.clone(),
        };
        draft.parse().map_err(|e| {
            let all: Vec<String> = e.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            anyhow::anyhow!(all.join("; "))
        })
    }
}

#[derive(Args, Clone)]
struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user with their first grant; prints a generated password unless --password-stdin is
    /// given.
    Add {
        login: String,
        #[command(flatten)]
        grant: GrantArgs,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Grant a user a role on a unit (or a team, for a team leader).
    Grant {
        login: String,
        #[command(flatten)]
        grant: GrantArgs,
    },
    /// Take a grant away.
    Revoke {
        login: String,
        #[command(flatten)]
        grant: GrantArgs,
    },
    /// List grants: one user's, or everyone's (those a reorganisation passed on first).
    Grants {
        login: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Confirm a grant a reorganisation passed to a successor unit (it allows nothing until
    /// then), or every pending grant with --all.
    Confirm {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        #[arg(long)]
        all: bool,
    },
    /// Disable an account: no more logins, its sessions end, its API tokens stop working.
    Disable { login: String },
    /// Enable a disabled account again.
    Enable { login: String },
    /// List users.
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Set a user's password (ends their sessions, lifts a lockout); prints a generated one unless
    /// --password-stdin.
    Passwd {
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Make an API token for a user (sent as `Authorization: Bearer …`); prints it once.
    Token {
        login: String,
        /// What the token is for, to recognise it later.
        #[arg(long, default_value = "dòng lệnh")]
        name: String,
    },
    /// List a user's API tokens (never their secrets).
    Tokens {
        login: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Revoke one of a user's API tokens.
    TokenRevoke { login: String, id: i64 },
}

/// A role and what it is held on.
#[derive(Args, Clone)]
struct GrantArgs {
    /// province-admin, province-officer, finance-approver, commune-officer, team-leader or viewer.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// The unit's code (everything under it is covered); without it (and without --team), the
    /// whole country.
    #[arg(long, conflicts_with = "team")]
    unit: Option<String>,
    /// The team's number, for a team leader.
    #[arg(long)]
    team: Option<i64>,
}

impl GrantArgs {
    async fn resolve(&self, db: &Db) -> Result<store::access::NewGrant> {
        let target = match (&self.unit, self.team) {
            (Some(code), _) => store::access::Target::Unit(code.clone()),
            (None, Some(team)) => store::access::Target::Team(team),
            (None, None) => store::access::Target::Everything,
        };
        Ok(store::access::resolve(db, self.role.role(), &target).await?)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    ProvinceAdmin,
    ProvinceOfficer,
    FinanceApprover,
    CommuneOfficer,
    TeamLeader,
    Viewer,
}

impl RoleArg {
    fn role(self) -> domain::UserRole {
        match self {
            RoleArg::ProvinceAdmin => domain::UserRole::ProvinceAdmin,
            RoleArg::ProvinceOfficer => domain::UserRole::ProvinceOfficer,
            RoleArg::FinanceApprover => domain::UserRole::FinanceApprover,
            RoleArg::CommuneOfficer => domain::UserRole::CommuneOfficer,
            RoleArg::TeamLeader => domain::UserRole::TeamLeader,
            RoleArg::Viewer => domain::UserRole::Viewer,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum LevelArg {
    Province,
    District,
    Commune,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Boundaries {
    /// The units as they stood on the report's day.
    Then,
    /// Today's units (each village under the commune it lies in today).
    Today,
}

#[derive(Subcommand)]
enum UnitsCommand {
    /// Apply a reorganisation: a mapping file (`old_code,old_name,new_code,new_name`) and the
    /// new state (`code,name,level,parent_code`), effective from a day. One transaction;
    /// applying the same files again changes nothing.
    Apply {
        #[arg(long)]
        changes: std::path::PathBuf,
        #[arg(long)]
        state: std::path::PathBuf,
        /// For a change set that splits a commune: where each of its villages goes
        /// (`old_code,village,new_code`).
        #[arg(long)]
        villages: Option<std::path::PathBuf>,
        /// The first day of the new units (YYYY-MM-DD).
        #[arg(long)]
        effective: String,
        /// List every change without applying anything.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List current administrative units.
    List {
        /// Only units under this unit (its code).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum)]
        level: Option<LevelArg>,
        /// Search by name (diacritics ignored).
        #[arg(long)]
        search: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand)]
enum TeamsCommand {
    /// List teams.
    List {
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        search: Option<String>,
        /// Include dissolved teams.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show one team and its members.
    Show {
        id: i64,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand)]
enum MembersCommand {
    /// List members in Vietnamese name order.
    List {
        #[arg(long)]
        unit: Option<String>,
        /// Include people who are in no active team.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Search members by name (diacritics ignored), phone or CCCD.
    Search {
        text: String,
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Coverage of a unit and its children: villages with a team, team sizes and health.
    Coverage {
        /// The unit's code (default: the province).
        #[arg(long)]
        unit: Option<String>,
        /// Report as the registry stood on this day (YYYY-MM-DD; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// Count on the units of that day (`then`, the default) or on today's (`today`).
        #[arg(long, value_enum, default_value_t = Boundaries::Then)]
        boundaries: Boundaries,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Planned (the simulator over the policies in force), owed (entitlements) and paid (the
    /// ledger) for a unit, month by month.
    Payments {
        /// The unit's code.
        #[arg(long)]
        unit: String,
        /// The first month, yyyy-mm.
        #[arg(long)]
        from: String,
        /// How many months.
        #[arg(long)]
        months: u32,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Completeness and timeliness of the monthly team reports: expected (teams active on the
    /// 15th), received, on time, for a unit and each child unit.
    Completeness {
        /// The unit's code.
        #[arg(long)]
        unit: String,
        /// The month, yyyy-mm.
        #[arg(long)]
        month: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Indicator totals of a unit, in all and month by month.
    Indicators {
        /// The unit's code.
        #[arg(long)]
        unit: String,
        /// The first month, yyyy-mm.
        #[arg(long)]
        from: String,
        /// The last month, yyyy-mm.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Checks that the totals kept beside the reports equal a full recount (exit 1 when not).
    Verify,
    /// Shows the day of the following month by which a month's reports are due, or sets it.
    Deadline {
        /// The new deadline day, 1 to 28 (without it, shows the current one).
        #[arg(long)]
        day: Option<String>,
    },
    /// Lists the indicator catalogue: what every team's monthly report asks for.
    Catalogue {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Adds an indicator to the catalogue; every team's form asks for it from then on.
    IndicatorAdd {
        /// Lower-case letters without diacritics, digits and `_`.
        #[arg(long)]
        code: String,
        /// The name teams read on the form.
        #[arg(long)]
        name: String,
        /// The unit of measure (người, hồ sơ, …).
        #[arg(long, default_value = "")]
        unit_of_measure: String,
        /// Its place on the form (default: last).
        #[arg(long)]
        order: Option<i64>,
    },
}

#[derive(Subcommand)]
enum PaymentsCommand {
    /// Compute and record what teams are owed for a month under the policies in force (computing
    /// again records only what is new).
    Compute {
        /// The month, yyyy-mm.
        #[arg(long)]
        month: String,
        /// Only teams whose village lies under this unit today (its code).
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// What is owed for a month (entitlements), by the commune whose list they go on.
    Entitlements {
        /// The month, yyyy-mm.
        #[arg(long)]
        month: String,
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Payment lists, newest month first.
    Lists {
        /// Only this month, yyyy-mm.
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Prepare (or, while only prepared, prepare again) a commune's list for a month.
    Prepare {
        /// The commune's code.
        #[arg(long)]
        commune: String,
        /// The month, yyyy-mm.
        #[arg(long)]
        month: String,
    },
    /// One list and its lines.
    Show {
        id: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Submit a prepared list for approval.
    Submit { id: i64 },
    /// Approve a submitted list.
    Approve { id: i64 },
    /// Record an approved list as paid: each line becomes a ledger entry.
    Pay {
        id: i64,
        /// The day it was paid, yyyy-mm-dd or dd/mm/yyyy (default today).
        #[arg(long)]
        on: Option<String>,
    },
    /// Write a list as the .xlsx to print and sign (the export is recorded in the audit trail).
    Export {
        id: i64,
        /// The file to write (default: bang-ke-COMMUNE-MONTH.xlsx).
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Record a work-day claim: a person worked a day with a team.
    Claim {
        /// The person's number.
        #[arg(long)]
        person: i64,
        /// The team's number.
        #[arg(long)]
        team: i64,
        /// The day worked, yyyy-mm-dd or dd/mm/yyyy (not in the future).
        #[arg(long)]
        day: String,
        /// What was done.
        #[arg(long)]
        task: String,
        /// Who mobilised the person (for people outside the team).
        #[arg(long, default_value = "")]
        mobilised_by: String,
    },
    /// Work-day claims of a month.
    Claims {
        /// The month, yyyy-mm.
        #[arg(long)]
        month: String,
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Approve or reject a submitted work-day claim.
    Decide {
        id: i64,
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        approve: bool,
        #[arg(long)]
        reject: bool,
    },
}

/// Which ledger entries: a unit, a team, paid days from / to (inclusive).
#[derive(Args, Clone)]
struct LedgerArgs {
    /// Only entries of communes under this unit (its code).
    #[arg(long)]
    unit: Option<String>,
    /// Only this team's entries (its number).
    #[arg(long)]
    team: Option<i64>,
    /// Paid on or after this day, yyyy-mm-dd or dd/mm/yyyy.
    #[arg(long)]
    from: Option<String>,
    /// Paid on or before this day.
    #[arg(long)]
    to: Option<String>,
}

impl LedgerArgs {
    async fn resolve(&self, db: &Db) -> Result<(Scope, store::payments::LedgerFilter)> {
        let scope = unit_scope(db, self.unit.as_deref()).await?;
        let day =
            |d: &Option<String>| d.as_deref().map(domain::input::parse_date).transpose().map_err(anyhow::Error::msg);
        let filter = store::payments::LedgerFilter { team_id: self.team, from: day(&self.from)?, to: day(&self.to)? };
        Ok((scope, filter))
    }
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Ledger entries, oldest first.
    Entries {
        #[command(flatten)]
        filter: LedgerArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The sum paid, derived from the ledger.
    Balance {
        #[command(flatten)]
        filter: LedgerArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Reverse an entry: a new entry of the opposite amount (an entry is reversed once).
    Reverse {
        id: i64,
        /// Why.
        #[arg(long)]
        note: String,
    },
    /// Record a correcting entry for a team and month (amounts may be negative: -500000).
    Adjust {
        /// The team's number.
        #[arg(long)]
        team: i64,
        /// The month it corrects, yyyy-mm.
        #[arg(long)]
        month: String,
        /// In đồng: 500000, 500.000 or -500.000.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Why.
        #[arg(long)]
        note: String,
        /// Who receives it (default: the team).
        #[arg(long, default_value = "")]
        payee: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayVersion
                    | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            // One line, as every other error: the first line of clap's message.
            // A message that ends in a colon names what it is about on the next lines (the missing
            // arguments): those join the line.
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("Usage:"));
            let mut first = lines.next().unwrap_or_default().trim_start_matches("error: ").to_owned();
            if first.ends_with(':') {
                let named: Vec<&str> = lines.take_while(|l| !l.starts_with("For more")).collect();
                first = format!("{} {}", first.trim_end_matches(':'), named.join(", "));
            }
            eprintln!("lỗi: {first} (xem `congdongso --help`)");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: each cause once (a store error's text already holds its driver's).
            let mut parts: Vec<String> = Vec::new();
            for cause in e.chain().map(ToString::to_string) {
                if !parts.iter().any(|p| p.contains(&cause)) {
                    parts.push(cause);
                }
            }
            eprintln!("lỗi: {}", parts.join(": ").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

async fn open(target: &str) -> Result<Db> {
    let db = Db::connect(target).await?;
    db.migrate().await.context("không cập nhật được cấu trúc cơ sở dữ liệu")?;
    Ok(db)
}

async fn run(cli: Cli) -> Result<()> {
    let db = open(&cli.db).await?;
    // The command line is the operators' tool: full access, recorded in the audit trail as the CLI.
    let result = store::audit::acting_as(store::audit::Actor::cli(), dispatch(&db, cli.command)).await;
    db.close().await;
    result
}

async fn dispatch(db: &Db, command: Command) -> Result<()> {
    match command {
        Command::Serve { addr, demo, secure_cookies } => serve(db, &addr, demo, secure_cookies).await,
        Command::Migrate => {
            println!("Cơ sở dữ liệu ({}) đã được cập nhật.", db.backend());
            Ok(())
        }
        Command::Demo => {
            let counts = load_demo(db).await?;
            println!(
                "Đã nạp dữ liệu mẫu: {} đơn vị hành chính, {} thôn, {} tổ, {} thành viên (tên, số điện thoại, CCCD đều tự sinh), \
                 và áp dụng hai đợt sắp xếp đơn vị hành chính năm 2025 (nay thuộc Thành phố Đà Nẵng).",
                counts.units, counts.villages, counts.teams, counts.members
            );
            Ok(())
        }
        Command::User(c) => user(db, c).await,
        Command::Units(UnitsCommand::List { unit, level, search, format }) => {
            let scope = unit_scope(db, unit.as_deref()).await?;
            let level = level.map(|l| match l {
                LevelArg::Province => Level::Province,
                LevelArg::District => Level::District,
                LevelArg::Commune => Level::Commune,
            });
            let list = units::list(db, &scope, level, search.as_deref()).await?;
            let mut t = Table::new(&["Mã", "Tên", "Cấp"]);
            for u in &list {
                t.row(vec![u.code.clone(), u.name.clone(), u.level().map_or("", Level::label).to_owned()]);
            }
            print_rows(format.format, &list, &t)
        }
        Command::Teams(TeamsCommand::List { unit, search, all, format }) => {
            let scope = unit_scope(db, unit.as_deref()).await?;
            let filter = teams::TeamFilter { search, include_dissolved: all, issue: None };
            let page = teams::list(db, &scope, &filter, PageRequest::all()).await?;
            let json: Vec<serde_json::Value> = page.items.iter().map(teams::Team::to_json).collect();
            let mut t = Table::new(&["ID", "Tên tổ", "Thôn", "Xã", "Thành viên", "Cảnh báo"]);
            for tm in &page.items {
                t.row(vec![
                    tm.id.to_string(),
                    tm.name.clone(),
                    tm.village.clone(),
                    tm.commune.clone(),
                    tm.members.to_string(),
                    tm.issues().iter().map(|i| i.label()).collect::<Vec<_>>().join("; "),
                ]);
            }
            print_rows(format.format, &json, &t)
        }
        Command::Teams(TeamsCommand::Show { id, format }) => {
            let team = teams::get(db, &Scope::All, id).await?;
            let members = people::of_team(db, &Scope::All, id, false).await?;
            // Phone numbers leave the system here: the output is logged with its rows.
            let rows: Vec<i64> = members.iter().map(|m| m.person_id).collect();
            let event = store::audit::Event {
                entity: "export",
                action: "team_cli",
                unit_path: Some(team.commune_path.clone()),
                after: Some(serde_json::json!({ "team_id": id, "rows": rows, "count": rows.len() })),
                ..store::audit::Event::default()
            };
            store::audit::record(db, event).await?;
            match format.format {
                Format::Json => {
                    let mut v = team.to_json();
                    v["member_list"] = serde_json::to_value(&members)?;
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                f => {
                    if f == Format::Table {
                        println!("{} — {}, {}", team.name, team.village, team.commune);
                        println!(
                            "Thành lập: {}  Nhóm Zalo: {}",
                            team.established_on,
                            team.zalo_url.as_deref().unwrap_or("—")
                        );
                        for i in team.issues() {
                            println!("Cảnh báo: {}", i.label());
                        }
                    }
                    let mut t = Table::new(&["ID", "Họ và tên", "Vai trò", "Chức danh", "Số điện thoại"]);
                    for m in &members {
                        t.row(vec![
                            m.person_id.to_string(),
                            m.full_name.clone(),
                            m.role().map_or("", domain::Role::label).to_owned(),
                            m.position().map_or("", domain::Position::label).to_owned(),
                            m.phone.clone(),
                        ]);
                    }
                    print_rows(f, &members, &t)?;
                }
            }
            Ok(())
        }
        Command::Members(MembersCommand::List { unit, all, format }) => {
            members(db, unit.as_deref(), None, all, format.format).await
        }
        Command::Members(MembersCommand::Search { text, unit, format }) => {
            members(db, unit.as_deref(), Some(text), true, format.format).await
        }
        Command::Budget(b) => {
            let BudgetArgs { unit, from, months, policies, work_days, format, output } = *b;
            budget(db, &unit, &from, months, &policies, work_days, format, output).await
        }
        Command::Policy(c) => policy(db, c).await,
        Command::Payments(c) => payments_command(db, c).await,
        Command::Ledger(c) => ledger(db, c).await,
        Command::Training(c) => training::run(db, c).await,
        Command::Export(args) => export::run(db, args).await,
        Command::Import(c) => import::run(db, c).await,
        Command::Report(ReportCommand::Completeness { unit, month, format }) => {
            let month = domain::funding::YearMonth::parse(&month).map_err(anyhow::Error::msg)?;
            let c = store::reports::completeness(db, &Scope::All, &unit, month).await?;
            let mut t = Table::new(&["Đơn vị", "Phải báo cáo", "Đã nhận", "Đúng hạn", "% đã nhận", "% đúng hạn"]);
            for row in c.children.iter().chain(std::iter::once(&c)) {
                t.row(vec![
                    row.name.clone(),
                    row.expected.to_string(),
                    row.received.to_string(),
                    row.on_time.to_string(),
                    format!("{:.1}", row.received_percent),
                    format!("{:.1}", row.on_time_percent),
                ]);
            }
            print_rows(format.format, &c, &t)
        }
        Command::Report(ReportCommand::Indicators { unit, from, to, format }) => {
            let from = domain::funding::YearMonth::parse(&from).map_err(anyhow::Error::msg)?;
            let to = domain::funding::YearMonth::parse(&to).map_err(anyhow::Error::msg)?;
            let totals = store::reports::indicator_totals(db, &Scope::All, &unit, from, to).await?;
            let mut t = Table::new(&["Mã", "Chỉ tiêu", "Đơn vị tính", "Tổng"]);
            for i in &totals {
                t.row(vec![i.code.clone(), i.name.clone(), i.unit_of_measure.clone(), i.total.to_string()]);
            }
            print_rows(format.format, &totals, &t)
        }
        Command::Report(ReportCommand::Verify) => {
            let wrong = store::reports::verify(db).await?;
            if wrong.is_empty() {
                println!("Số liệu tổng hợp khớp với việc đếm lại toàn bộ báo cáo.");
                Ok(())
            } else {
                for w in &wrong {
                    println!(
                        "đơn vị {} tháng {} {}: đang giữ {}, đếm lại {}",
                        w.commune_id, w.month, w.what, w.kept, w.recounted
                    );
                }
                anyhow::bail!("{} số liệu tổng hợp không khớp với việc đếm lại", wrong.len())
            }
        }
        Command::Report(ReportCommand::Deadline { day }) => {
            let day = match day {
                Some(d) => store::reports::set_deadline_day(db, &d).await?,
                None => store::reports::deadline_day(db).await?,
            };
            println!("Hạn báo cáo tháng: ngày {day} của tháng sau.");
            Ok(())
        }
        Command::Report(ReportCommand::Catalogue { format }) => {
            let catalogue = store::reports::indicators(db).await?;
            let mut t = Table::new(&["TT", "Mã", "Chỉ tiêu", "Đơn vị tính"]);
            for i in &catalogue {
                t.row(vec![i.sort_order.to_string(), i.code.clone(), i.name.clone(), i.unit_of_measure.clone()]);
            }
            print_rows(format.format, &catalogue, &t)
        }
        Command::Report(ReportCommand::IndicatorAdd { code, name, unit_of_measure, order }) => {
            let order = match order {
                Some(o) => o,
                None => store::reports::indicators(db).await?.iter().map(|i| i.sort_order).max().unwrap_or(0) + 1,
            };
            store::reports::add_indicator(db, &code, &name, &unit_of_measure, order).await?;
            println!("Đã thêm chỉ tiêu {code} (thứ tự {order}).");
            Ok(())
        }
        Command::Report(ReportCommand::Payments { unit, from, months, format }) => {
            payments_report(db, &unit, &from, months, format.format).await
        }
        Command::Report(ReportCommand::Coverage { unit, as_of, boundaries, format }) => {
            coverage_report(db, unit.as_deref(), as_of.as_deref(), boundaries, format.format).await
        }
        Command::Units(UnitsCommand::Apply { changes, state, villages, effective, dry_run, format }) => {
            let read = |p: &std::path::Path| {
                std::fs::read_to_string(p).with_context(|| format!("không đọc được tệp {}", p.display()))
            };
            let (changes_text, state_text) = (read(&changes)?, read(&state)?);
            let day = domain::input::parse_date(&effective).map_err(anyhow::Error::msg)?;
            let source = format!(
                "{} + {}",
                changes.file_name().unwrap_or_default().to_string_lossy(),
                state.file_name().unwrap_or_default().to_string_lossy()
            );
            let villages_text = villages.as_deref().map(read).transpose()?;
            let r = store::reorg::apply_with_villages(
                db,
                &changes_text,
                &state_text,
                villages_text.as_deref(),
                day,
                &source,
                dry_run,
            )
            .await?;
            match format.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&r)?),
                _ => print_apply(&r),
            }
            Ok(())
        }
    }
}

fn print_apply(r: &store::reorg::ApplyReport) {
    for line in &r.changes {
        println!("{line}");
    }
    let day = store::display_date(&r.effective_on);
    if r.already_applied {
        println!("Không có gì thay đổi: các đơn vị ngày {day} đã đúng như tệp (đã áp dụng trước đây).");
    } else if r.dry_run {
        println!(
            "Chạy thử: {} đơn vị sẽ kết thúc, {} đơn vị mới, {} giữ nguyên, {} thôn chuyển xã. Chưa ghi gì.",
            r.plan.ended.len(),
            r.plan.created.len(),
            r.plan.kept,
            r.villages_moved
        );
    } else {
        println!(
            "Đã áp dụng từ ngày {day}: {} đơn vị kết thúc, {} đơn vị mới, {} giữ nguyên, {} thôn chuyển xã, {} thôn trùng tên cần xem lại.",
            r.plan.ended.len(),
            r.plan.created.len(),
            r.plan.kept,
            r.villages_moved,
            r.villages_flagged
        );
        if r.grants_passed > 0 {
            println!(
                "{} quyền trên đơn vị đã kết thúc được chuyển sang đơn vị kế thừa và chờ xác nhận: xem `congdongso user grants`, rồi `congdongso user confirm --all`.",
                r.grants_passed
            );
        }
    }
}

/// `report coverage`: as of a day, on that day's boundaries or today's. A code that no longer
/// exists, given without a day, is reported as of its last day, and the report says so.
async fn coverage_report(
    db: &Db,
    unit: Option<&str>,
    as_of: Option<&str>,
    boundaries: Boundaries,
    format: Format,
) -> Result<()> {
    let today = store::today();
    let mut note = None;
    let as_of = match as_of {
        Some(d) => domain::input::parse_date(d).map_err(anyhow::Error::msg)?,
        None => match unit {
            Some(code) if units::by_code(db, code).await.is_err() => {
                let last = units::latest_by_code(db, code).await?;
                let end =
                    last.valid_to.as_deref().and_then(store::parse_iso).context("đơn vị không có ngày kết thúc")?;
                let day = end.previous_day().unwrap_or(end);
                note = Some(format!(
                    "Đơn vị {} ({}) không còn từ ngày {}; báo cáo theo ngày cuối cùng của đơn vị, {}.",
                    last.code,
                    last.name,
                    domain::input::format_date(end),
                    domain::input::format_date(day)
                ));
                day
            }
            _ => today,
        },
    };
    let boundary_day = if boundaries == Boundaries::Today { today } else { as_of };
    let u = match unit {
        Some(code) => units::by_code_at(db, code, boundary_day).await.map_err(|e| {
            if boundaries == Boundaries::Today {
                anyhow::anyhow!("{e}; mã này không còn trên địa giới hôm nay, hãy dùng --boundaries then")
            } else {
                anyhow::Error::new(e)
            }
        })?,
        None => units::roots(db).await?.into_iter().next().context("cơ sở dữ liệu chưa có đơn vị hành chính nào")?,
    };
    let c = coverage::at(db, &Scope::All, &u, boundary_day, as_of).await?;
    if let Some(n) = &note {
        eprintln!("{n}");
    }
    match format {
        Format::Json => {
            let mut v = serde_json::to_value(&c)?;
            v["as_of"] = store::iso(as_of).into();
            v["boundaries"] = if boundaries == Boundaries::Today { "today" } else { "then" }.into();
            if let Some(n) = note {
                v["note"] = n.into();
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        f => {
            let mut t = Table::new(&[
                "Mã",
                "Đơn vị",
                "Số thôn",
                "Thôn có tổ",
                "Số tổ",
                "Thành viên",
                "Tổ < 5 người",
                "Tổ thiếu CB xã",
                "Tổ thiếu tổ trưởng",
            ]);
            for r in std::iter::once(&c).chain(c.children.iter()) {
                let unit = r.unit.as_ref();
                t.row(vec![
                    unit.map(|u| u.code.clone()).unwrap_or_default(),
                    unit.map(|u| u.name.clone()).unwrap_or_default(),
                    r.villages.to_string(),
                    r.villages_with_team.to_string(),
                    r.teams.to_string(),
                    r.members.to_string(),
                    r.teams_under_5_members.to_string(),
                    r.teams_without_commune_official.to_string(),
                    r.teams_without_leader.to_string(),
                ]);
            }
            if f == Format::Table {
                println!(
                    "Ngày số liệu: {} (địa giới ngày {})",
                    domain::input::format_date(as_of),
                    domain::input::format_date(boundary_day)
                );
            }
            print_rows(f, &c.children, &t)
        }
    }
}

async fn members(
    db: &Db,
    unit: Option<&str>,
    search: Option<String>,
    include_former: bool,
    format: Format,
) -> Result<()> {
    let scope = unit_scope(db, unit).await?;
    let filter = people::MemberFilter { search: search.clone(), include_former, numbers_for: None };
    let page = people::list(db, &scope, &filter, PageRequest::all()).await?;
    // Phone numbers leave the system here: the output is logged with its rows.
    let ids: Vec<i64> = page.items.iter().map(|m| m.id).collect();
    let event = store::audit::Event {
        entity: "export",
        action: "members_cli",
        unit_path: match &scope {
            Scope::Paths(p) if p.len() == 1 => Some(p[0].clone()),
            _ => None,
        },
        after: Some(serde_json::json!({
            "unit": unit,
            "search": search.as_deref().map(store::access::loggable_search),
            "rows": ids,
            "count": ids.len(),
        })),
        ..store::audit::Event::default()
    };
    store::audit::record(db, event).await?;
    let mut t = Table::new(&["ID", "Họ và tên", "Số điện thoại", "Tổ", "Thôn", "Xã"]);
    for m in &page.items {
        t.row(vec![
            m.id.to_string(),
            m.full_name.clone(),
            m.phone.clone(),
            m.team.clone().unwrap_or_default(),
            m.village.clone().unwrap_or_default(),
            m.commune.clone().unwrap_or_default(),
        ]);
    }
    print_rows(format, &page.items, &t)
}

/// The scope of `--unit CODE`: the subtree under that unit, or everything.
async fn unit_scope(db: &Db, unit: Option<&str>) -> Result<Scope> {
    let Some(code) = unit else { return Ok(Scope::All) };
    match units::by_code(db, code).await {
        Ok(u) => Ok(Scope::All.narrow(&u.path)),
        Err(e) => match units::latest_by_code(db, code).await {
            // An ended code: lists are of today's units; say where to look instead.
            Ok(last) => {
                let end = last.valid_to.as_deref().map(store::display_date).unwrap_or_default();
                anyhow::bail!(
                    "đơn vị {} ({}) không còn từ ngày {end}; danh sách theo đơn vị hiện hành (xem `units list`), \
                     số liệu ngày cũ xem bằng `report coverage --unit {} --as-of YYYY-MM-DD`",
                    last.code,
                    last.name,
                    last.code
                )
            }
            Err(_) => Err(e.into()),
        },
    }
}

fn read_password_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).context("không đọc được mật khẩu từ đầu vào chuẩn")?;
    let pw = s.trim_end_matches(['\n', '\r']).to_owned();
    users::check_password(&pw)?;
    Ok(pw)
}

async fn hash(password: String) -> Result<String> {
    Ok(tokio::task::spawn_blocking(move || users::hash_password(&password)).await??)
}

/// A user as `user list --format json|csv` writes it: with their grants.
#[derive(serde::Serialize)]
struct UserRow {
    login: String,
    display_name: String,
    status: String,
    created_at: String,
    grants: Vec<store::access::Grant>,
}

async fn user(db: &Db, c: UserCommand) -> Result<()> {
    match c {
        UserCommand::Add { login, grant, name, password_stdin } => {
            let g = grant.resolve(db).await?;
            let (pw, generated) =
                if password_stdin { (read_password_stdin()?, false) } else { (users::generate_password(), true) };
            users::add(db, &login, &name, &hash(pw.clone()).await?, std::slice::from_ref(&g)).await?;
            if generated {
                println!("Đã tạo người dùng {login} ({}). Mật khẩu (chỉ hiện một lần): {pw}", g.label);
            } else {
                println!("Đã tạo người dùng {login} ({}).", g.label);
            }
            Ok(())
        }
        UserCommand::Grant { login, grant } => {
            let g = grant.resolve(db).await?;
            store::access::grant(db, &login, &g).await?;
            println!("Đã cấp cho {login}: {}.", g.label);
            Ok(())
        }
        UserCommand::Revoke { login, grant } => {
            let g = grant.resolve(db).await?;
            store::access::revoke_matching(db, &login, &g).await?;
            println!("Đã thu hồi của {login}: {}.", g.label);
            Ok(())
        }
        UserCommand::Grants { login, format } => {
            let list = match login {
                Some(l) => store::access::of_user(db, users::by_login(db, &l).await?.user_id).await?,
                None => store::access::within(db, &Scope::All).await?,
            };
            let mut t = Table::new(&["Số", "Người dùng", "Vai trò", "Phạm vi", "Trạng thái", "Chuyển từ"]);
            for g in &list {
                t.row(vec![
                    g.grant_id.to_string(),
                    g.login.clone(),
                    g.role().map_or(g.role.clone(), |r| r.label().to_owned()),
                    g.target(),
                    if g.status == "pending" { "chờ xác nhận".to_owned() } else { "hiệu lực".to_owned() },
                    g.passed_from.clone().unwrap_or_default(),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        UserCommand::Confirm { id, all } => {
            match id {
                Some(id) if !all => {
                    store::access::confirm(db, id).await?;
                    println!("Đã xác nhận quyền số {id}.");
                }
                _ => {
                    let n = store::access::confirm_all(db, &Scope::All).await?;
                    println!("Đã xác nhận {n} quyền chờ xác nhận.");
                }
            }
            Ok(())
        }
        UserCommand::Disable { login } => {
            users::set_active(db, &login, false).await?;
            println!("Đã khóa tài khoản {login}; các phiên và mã truy cập API của người này không còn dùng được.");
            Ok(())
        }
        UserCommand::Enable { login } => {
            users::set_active(db, &login, true).await?;
            println!("Đã mở lại tài khoản {login}.");
            Ok(())
        }
        UserCommand::List { format } => {
            let mut t = Table::new(&["Tên đăng nhập", "Họ tên", "Quyền", "Trạng thái", "Tạo lúc"]);
            let mut rows = Vec::new();
            for u in users::list(db).await? {
                let grants = store::access::of_user(db, u.user_id).await?;
                let labels: Vec<String> = grants
                    .iter()
                    .map(|g| format!("{} — {}", g.role().map_or(g.role.as_str(), |r| r.label()), g.target()))
                    .collect();
                let status = if u.status == "active" { "đang dùng" } else { "đã khóa" };
                t.row(vec![
                    u.login.clone(),
                    u.display_name.clone(),
                    labels.join("; "),
                    status.to_owned(),
                    u.created_at.clone(),
                ]);
                rows.push(UserRow {
                    login: u.login,
                    display_name: u.display_name,
                    status: u.status,
                    created_at: u.created_at,
                    grants,
                });
            }
            print_rows(format.format, &rows, &t)
        }
        UserCommand::Token { login, name } => {
            let (id, secret) = users::create_token(db, &login, &name).await?;
            println!("Mã truy cập số {id} của {login} (chỉ hiện một lần; gửi kèm `Authorization: Bearer …`):");
            println!("{secret}");
            Ok(())
        }
        UserCommand::Tokens { login, format } => {
            let (user, _) =
                users::credentials(db, &login).await?.with_context(|| format!("không có người dùng “{login}”"))?;
            let list = users::tokens(db, user.user_id).await?;
            let mut t = Table::new(&["Số", "Tên", "Tạo lúc", "Dùng lần cuối", "Thu hồi lúc"]);
            for k in &list {
                t.row(vec![
                    k.api_token_id.to_string(),
                    k.name.clone(),
                    k.created_at.clone(),
                    k.last_used_at.clone().unwrap_or_default(),
                    k.revoked_at.clone().unwrap_or_default(),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        UserCommand::TokenRevoke { login, id } => {
            let (user, _) =
                users::credentials(db, &login).await?.with_context(|| format!("không có người dùng “{login}”"))?;
            users::revoke_token(db, user.user_id, id).await?;
            println!("Đã thu hồi mã truy cập số {id} của {login}.");
            Ok(())
        }
        UserCommand::Passwd { login, password_stdin } => {
            let (pw, generated) =
                if password_stdin { (read_password_stdin()?, false) } else { (users::generate_password(), true) };
            users::set_password_hash(db, &login, &hash(pw.clone()).await?).await?;
            if generated {
                println!("Đã đặt mật khẩu mới cho {login} (chỉ hiện một lần): {pw}");
            } else {
                println!("Đã đặt mật khẩu mới cho {login}.");
            }
            Ok(())
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn budget(
    db: &Db,
    unit: &str,
    from: &str,
    months: u32,
    policies: &[String],
    work_days: u32,
    format: BudgetFormat,
    output: Option<std::path::PathBuf>,
) -> Result<()> {
    let from = domain::funding::YearMonth::parse(from).map_err(anyhow::Error::msg)?;
    let assume = domain::funding::Assumptions { work_days_per_member_month: work_days };
    let sim = store::funding::simulate(db, &Scope::All, unit, from, months, policies, assume).await?;
    match format {
        BudgetFormat::Json => println!("{}", serde_json::to_string_pretty(&sim)?),
        BudgetFormat::Xlsx => {
            let path = output.unwrap_or_else(|| format!("du-toan-{}-{}.xlsx", sim.unit.code, sim.from).into());
            let bytes = web::xlsx::budget(&sim)?;
            std::fs::write(&path, bytes).with_context(|| format!("không ghi được tệp {}", path.display()))?;
            println!("Đã ghi {}", path.display());
        }
        BudgetFormat::Table => {
            println!(
                "Dự toán kinh phí: {} {}, {} tháng từ {} (số liệu đơn vị, thôn, tổ ngày {})",
                sim.unit.code,
                sim.unit.name,
                sim.months,
                from.label(),
                domain::input::format_date(from.first_day())
            );
            for (i, scenario) in domain::funding::Scenario::ALL.iter().enumerate() {
                println!();
                println!("{}", scenario.label());
                let mut header = vec!["Đơn vị".to_owned(), "Thôn".to_owned(), "Tổ".to_owned(), "Thành viên".to_owned()];
                header.extend(sim.policies.iter().map(|p| p.name.clone()));
                let refs: Vec<&str> = header.iter().map(String::as_str).collect();
                let mut t = Table::new(&refs);
                for (r, row) in sim.rows.iter().enumerate() {
                    let mut cells = vec![
                        row.name.clone(),
                        row.villages.to_string(),
                        row.teams.to_string(),
                        row.members.to_string(),
                    ];
                    cells.extend(sim.policies.iter().map(|p| p.scenarios[i].rows[r].display()));
                    t.row(cells);
                }
                let mut cells = vec![
                    "Tổng cộng".to_owned(),
                    sim.unit.villages.to_string(),
                    sim.unit.teams.to_string(),
                    sim.unit.members.to_string(),
                ];
                cells.extend(sim.policies.iter().map(|p| p.scenarios[i].total.display()));
                t.row(cells);
                print!("{}", t.render());
            }
        }
    }
    Ok(())
}

async fn policy(db: &Db, c: PolicyCommand) -> Result<()> {
    match c {
        PolicyCommand::List { format } => {
            let list = store::funding::list(db, &Scope::All).await?;
            let mut t = Table::new(&["Tên", "Cách tính", "Mức", "Từ ngày", "Đơn vị", "Trạng thái", "Phiên bản"]);
            for p in &list {
                t.row(vec![
                    p.name.clone(),
                    p.kind().map_or(p.kind.clone(), |k| k.label().to_owned()),
                    domain::money::Vnd::new(p.amount).display(),
                    store::display_date(&p.effective_from),
                    format!("{} {}", p.scope_code, p.scope_name),
                    p.status().map_or(p.status.clone(), |s| s.label().to_owned()),
                    p.version.to_string(),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        PolicyCommand::Add { terms } => {
            let input = terms.parse()?;
            let id = store::funding::create(db, &input).await?;
            println!("Đã ghi chính sách “{}” (số {id}).", input.name);
            Ok(())
        }
        PolicyCommand::Revise { policy, terms } => {
            let old = store::funding::by_name(db, &policy).await?;
            let input = terms.parse()?;
            let id = store::funding::revise(db, old.id, &input).await?;
            println!("Đã ghi phiên bản {} của chính sách “{}” (số {id}).", old.version + 1, input.name);
            Ok(())
        }
    }
}

// ------------------------------------------------------------------------------- payments

fn month_arg(s: &str) -> Result<YearMonth> {
    YearMonth::parse(s).map_err(anyhow::Error::msg)
}

fn money(amount: i64) -> String {
    Vnd::new(amount).display()
}

fn list_status(l: &payments::PaymentList) -> String {
    l.status().map_or_else(|| l.status.clone(), |s| s.label().to_owned())
}

fn claim_status(code: &str) -> &str {
    match code {
        "submitted" => "Chờ duyệt",
        "approved" => "Đã duyệt",
        "rejected" => "Không duyệt",
        other => other,
    }
}

fn entry_kind(code: &str) -> &str {
    match code {
        "payment" => "Chi trả",
        "reversal" => "Đảo bút toán",
        "adjustment" => "Điều chỉnh",
        other => other,
    }
}

/// A stored time stamp or day, as people read it (`dd/mm/yyyy`), or empty.
fn day_of(stored: Option<&str>) -> String {
    stored.map(|s| store::display_date(s.get(..10).unwrap_or(s))).unwrap_or_default()
}

/// A list's table of lines.
fn lines_table(lines: &[payments::PaymentLine]) -> Table {
    let mut t = Table::new(&["STT", "Người nhận", "Tổ", "Nội dung", "Số tiền"]);
    for l in lines {
        t.row(vec![
            l.line_no.to_string(),
            l.payee.clone(),
            l.team_name.clone(),
            l.policy_name.clone(),
            money(l.amount),
        ]);
    }
    t
}

/// The sum of a list's lines.
fn lines_total(lines: &[payments::PaymentLine]) -> Result<Vnd> {
    Vnd::sum(lines.iter().map(|l| Vnd::new(l.amount))).context("Số tiền vượt quá giới hạn tính toán")
}

async fn payments_command(db: &Db, c: PaymentsCommand) -> Result<()> {
    match c {
        PaymentsCommand::Compute { month, unit, format } => {
            let month = month_arg(&month)?;
            let scope = unit_scope(db, unit.as_deref()).await?;
            let r = payments::compute(db, &scope, month).await?;
            match format.format {
                Format::Table => println!(
                    "Tháng {}: đã ghi {} khoản phải chi mới, tổng {}; {} khoản đã tính trước đó giữ nguyên.",
                    month.label(),
                    r.created,
                    r.amount.display(),
                    r.existing
                ),
                f => {
                    let mut t = Table::new(&["Tháng", "Khoản mới", "Khoản đã có", "Số tiền mới"]);
                    t.row(vec![r.month.clone(), r.created.to_string(), r.existing.to_string(), r.amount.grouped()]);
                    print_rows(f, &r, &t)?;
                }
            }
            Ok(())
        }
        PaymentsCommand::Entitlements { month, unit, format } => {
            let month = month_arg(&month)?;
            let scope = unit_scope(db, unit.as_deref()).await?;
            let list = payments::entitlements(db, &scope, month).await?;
            let mut t = Table::new(&["Số", "Xã", "Tổ", "Chính sách", "Số tiền", "Bảng kê"]);
            for e in &list {
                t.row(vec![
                    e.id.to_string(),
                    e.commune_code.clone(),
                    e.team.clone(),
                    e.policy_name.clone(),
                    money(e.amount),
                    e.payment_list_id.map(|id| id.to_string()).unwrap_or_default(),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        PaymentsCommand::Lists { month, unit, format } => {
            let month = month.as_deref().map(month_arg).transpose()?;
            let scope = unit_scope(db, unit.as_deref()).await?;
            let list = payments::lists(db, &scope, month).await?;
            let mut t = Table::new(&["Số", "Xã", "Tháng", "Trạng thái", "Tổng tiền", "Người lập", "Ngày chi"]);
            for l in &list {
                t.row(vec![
                    l.id.to_string(),
                    format!("{} {}", l.commune_code, l.commune),
                    YearMonth::parse(&l.month).map_or_else(|_| l.month.clone(), YearMonth::label),
                    list_status(l),
                    money(l.total),
                    l.prepared_by.clone(),
                    day_of(l.paid_on.as_deref()),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        PaymentsCommand::Prepare { commune, month } => {
            let month = month_arg(&month)?;
            let id = payments::prepare(db, &Scope::All, &commune, month).await?;
            let l = payments::list_by_id(db, &Scope::All, id).await?;
            let lines = payments::lines(db, id).await?;
            println!(
                "Đã lập bảng kê số {id}: {} tháng {}, {} dòng, tổng {}. \
                 Trình duyệt bằng `congdongso payments submit {id}`.",
                l.commune,
                month.label(),
                lines.len(),
                money(l.total)
            );
            Ok(())
        }
        PaymentsCommand::Show { id, format } => {
            let l = payments::list_by_id(db, &Scope::All, id).await?;
            let lines = payments::lines(db, id).await?;
            match format.format {
                Format::Json => {
                    let mut v = serde_json::to_value(&l)?;
                    v["lines"] = serde_json::to_value(&lines)?;
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                Format::Csv => print_rows(Format::Csv, &lines, &lines_table(&lines))?,
                Format::Table => {
                    let month = YearMonth::parse(&l.month).map_or_else(|_| l.month.clone(), YearMonth::label);
                    println!(
                        "Bảng kê số {} — {} ({}), tháng {month}: {}",
                        l.id,
                        l.commune,
                        l.commune_code,
                        list_status(&l)
                    );
                    let mut steps = vec![format!("lập: {} ngày {}", l.prepared_by, day_of(Some(&l.prepared_at)))];
                    for (what, by, at) in [
                        ("trình", &l.submitted_by, &l.submitted_at),
                        ("duyệt", &l.approved_by, &l.approved_at),
                        ("ghi chi trả", &l.paid_by, &l.paid_at),
                    ] {
                        if let Some(by) = by {
                            steps.push(format!("{what}: {by} ngày {}", day_of(at.as_deref())));
                        }
                    }
                    if let Some(on) = &l.paid_on {
                        steps.push(format!("chi ngày {}", day_of(Some(on))));
                    }
                    println!("{}", steps.join("; "));
                    print!("{}", lines_table(&lines).render());
                    let total = lines_total(&lines)?;
                    println!("Tổng cộng: {} ({})", total.display(), total.in_words());
                }
            }
            Ok(())
        }
        PaymentsCommand::Submit { id } => {
            payments::advance(db, &Scope::All, id, payments::ListStatus::Submitted, None).await?;
            println!("Đã trình duyệt bảng kê số {id}.");
            Ok(())
        }
        PaymentsCommand::Approve { id } => {
            payments::advance(db, &Scope::All, id, payments::ListStatus::Approved, None).await?;
            println!("Đã duyệt bảng kê số {id}.");
            Ok(())
        }
        PaymentsCommand::Pay { id, on } => {
            let on = match on.as_deref() {
                Some(d) => {
                    let day = domain::input::parse_date(d).map_err(anyhow::Error::msg)?;
                    if day > store::today() {
                        anyhow::bail!("ngày chi {} ở tương lai", domain::input::format_date(day));
                    }
                    Some(day)
                }
                None => None,
            };
            payments::advance(db, &Scope::All, id, payments::ListStatus::Paid, on).await?;
            let l = payments::list_by_id(db, &Scope::All, id).await?;
            let n = payments::lines(db, id).await?.len();
            println!(
                "Đã ghi chi trả bảng kê số {id} ngày {}: {n} bút toán vào sổ chi trả, tổng {}.",
                day_of(l.paid_on.as_deref()),
                money(l.total)
            );
            Ok(())
        }
        PaymentsCommand::Export { id, output } => {
            let l = payments::list_by_id(db, &Scope::All, id).await?;
            let lines = payments::lines(db, id).await?;
            let bytes = web::xlsx_payments::payment_list(&l, &lines, domain::money::WordsStyle::default())?;
            let path = output.unwrap_or_else(|| format!("bang-ke-{}-{}.xlsx", l.commune_code, l.month).into());
            // Names and amounts leave the system here: the export is recorded before it is written.
            let event = store::audit::Event {
                entity: "export",
                action: "payment_list_xlsx",
                unit_path: Some(l.commune_path.clone()),
                after: Some(serde_json::json!({ "list_id": id, "lines": lines.len() })),
                ..store::audit::Event::default()
            };
            store::audit::record(db, event).await?;
            std::fs::write(&path, bytes).with_context(|| format!("không ghi được tệp {}", path.display()))?;
            println!("Đã ghi {} (bảng kê số {id}, {} dòng, tổng {}).", path.display(), lines.len(), money(l.total));
            Ok(())
        }
        PaymentsCommand::Claim { person, team, day, task, mobilised_by } => {
            let draft = payments::ClaimDraft {
                person_id: person.to_string(),
                team_id: team.to_string(),
                worked_on: day,
                task,
                mobilised_by,
            };
            let input = draft.parse().map_err(|e| {
                let all: Vec<String> =
                    e.0.iter()
                        .map(|f| {
                            let flag = match f.field {
                                "person_id" => "--person",
                                "team_id" => "--team",
                                "worked_on" => "--day",
                                "task" => "--task",
                                other => other,
                            };
                            format!("{flag}: {}", f.message)
                        })
                        .collect();
                anyhow::anyhow!(all.join("; "))
            })?;
            let id = payments::add_claim(db, &Scope::All, &input).await?;
            let c = payments::claim(db, &Scope::All, id).await?;
            println!(
                "Đã ghi ngày công số {id}: {}, ngày {}, {} (chờ duyệt: `congdongso payments decide {id} --approve`).",
                c.full_name,
                domain::input::format_date(input.worked_on),
                c.team
            );
            Ok(())
        }
        PaymentsCommand::Claims { month, unit, format } => {
            let month = month_arg(&month)?;
            let scope = unit_scope(db, unit.as_deref()).await?;
            let list = payments::claims(db, &scope, month).await?;
            let mut t = Table::new(&["Số", "Ngày", "Họ và tên", "Tổ", "Việc đã làm", "Người huy động", "Trạng thái"]);
            for c in &list {
                t.row(vec![
                    c.id.to_string(),
                    store::display_date(&c.worked_on),
                    c.full_name.clone(),
                    c.team.clone(),
                    c.task.clone(),
                    c.mobilised_by.clone(),
                    claim_status(&c.status).to_owned(),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        PaymentsCommand::Decide { id, approve, reject } => {
            let approve = approve && !reject;
            payments::decide_claim(db, &Scope::All, id, approve).await?;
            if approve {
                println!("Đã duyệt ngày công số {id}; số phải chi tính khi chạy `payments compute` cho tháng đó.");
            } else {
                println!("Đã không duyệt ngày công số {id}.");
            }
            Ok(())
        }
    }
}

/// `ledger balance` as JSON and CSV write it.
#[derive(serde::Serialize)]
struct Balance {
    balance: Vnd,
}

async fn ledger(db: &Db, c: LedgerCommand) -> Result<()> {
    match c {
        LedgerCommand::Entries { filter, format } => {
            let (scope, filter) = filter.resolve(db).await?;
            let list = payments::entries(db, &scope, &filter).await?;
            let mut t = Table::new(&[
                "Số",
                "Ngày chi",
                "Tháng",
                "Loại",
                "Tổ",
                "Xã",
                "Người nhận",
                "Số tiền",
                "Đảo số",
                "Ghi chú",
            ]);
            for e in &list {
                t.row(vec![
                    e.id.to_string(),
                    store::display_date(&e.paid_on),
                    YearMonth::parse(&e.month).map_or_else(|_| e.month.clone(), YearMonth::label),
                    entry_kind(&e.kind).to_owned(),
                    e.team.clone(),
                    e.commune_code.clone(),
                    e.payee.clone(),
                    money(e.amount),
                    e.reverses_id.map(|id| id.to_string()).unwrap_or_default(),
                    e.note.clone(),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        LedgerCommand::Balance { filter, format } => {
            let (scope, filter) = filter.resolve(db).await?;
            let balance = payments::balance(db, &scope, &filter).await?;
            match format.format {
                Format::Table => println!("Số đã chi theo sổ chi trả: {}", balance.display()),
                f => {
                    let mut t = Table::new(&["Số đã chi"]);
                    t.row(vec![balance.value().to_string()]);
                    print_rows(f, &Balance { balance }, &t)?;
                }
            }
            Ok(())
        }
        LedgerCommand::Reverse { id, note } => {
            let new = payments::reverse(db, &Scope::All, id, &note).await?;
            println!("Đã đảo bút toán số {id} bằng bút toán số {new}.");
            Ok(())
        }
        LedgerCommand::Adjust { team, month, amount, note, payee } => {
            let month = month_arg(&month)?;
            let amount = Vnd::parse_signed(&amount)?;
            let id = payments::adjust(db, &Scope::All, team, month, amount, &payee, &note).await?;
            println!(
                "Đã ghi bút toán điều chỉnh số {id}: tổ số {team}, tháng {}, {}.",
                month.label(),
                amount.display()
            );
            Ok(())
        }
    }
}

/// `report payments`: planned, owed and paid month by month, with the totals.
async fn payments_report(db: &Db, unit: &str, from: &str, months: u32, format: Format) -> Result<()> {
    let from = month_arg(from)?;
    let rows = payments::report(db, &Scope::All, unit, from, months).await?;
    let mut t = Table::new(&["Tháng", "Dự toán", "Phải chi", "Đã chi", "Còn phải chi"]);
    let left = |owed: Vnd, paid: Vnd| owed.checked_sub(paid).context("Số tiền vượt quá giới hạn tính toán");
    for r in &rows {
        t.row(vec![
            YearMonth::parse(&r.month).map_or_else(|_| r.month.clone(), YearMonth::label),
            r.planned.display(),
            r.owed.display(),
            r.paid.display(),
            left(r.owed, r.paid)?.display(),
        ]);
    }
    if format == Format::Table {
        let sum = |f: fn(&payments::MonthFigures) -> Vnd| {
            Vnd::sum(rows.iter().map(f)).context("Số tiền vượt quá giới hạn tính toán")
        };
        let (planned, owed, paid) = (sum(|r| r.planned)?, sum(|r| r.owed)?, sum(|r| r.paid)?);
        t.row(vec!["Cộng".to_owned(), planned.display(), owed.display(), paid.display(), left(owed, paid)?.display()]);
        let unit = units::by_code(db, unit).await?;
        println!("Dự toán, phải chi và đã chi: {} {}, {months} tháng từ {}", unit.code, unit.name, from.label());
    }
    print_rows(format, &rows, &t)
}

async fn load_demo(db: &Db) -> Result<store::demo::DemoCounts> {
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |stage: &str, done: usize, all: usize| {
        bar.set_message(stage.to_owned());
        bar.set_length(all as u64);
        bar.set_position(done as u64);
    };
    let counts = store::demo::load(db, &progress).await?;
    bar.finish_and_clear();
    Ok(counts)
}

async fn serve(db: &Db, addr: &str, demo: bool, secure_cookies: bool) -> Result<()> {
    if demo && db.is_empty().await? {
        eprintln!("Cơ sở dữ liệu trống: đang nạp dữ liệu mẫu (tỉnh Quảng Nam, người và số điện thoại tự sinh)…");
        let started = std::time::Instant::now();
        let c = load_demo(db).await?;
        eprintln!(
            "Đã nạp {} thôn, {} tổ, {} thành viên và hai đợt sắp xếp đơn vị năm 2025 trong {:.1} giây.",
            c.villages,
            c.teams,
            c.members,
            started.elapsed().as_secs_f64()
        );
    }
    if users::count(db).await? == 0 {
        let pw = users::generate_password();
        let everything = store::access::NewGrant::everywhere(domain::UserRole::ProvinceAdmin);
        users::add(db, "admin", "Quản trị viên", &hash(pw.clone()).await?, &[everything]).await?;
        println!("Chưa có người dùng nào: đã tạo tài khoản quản trị.");
        println!("  Tên đăng nhập: admin");
        println!("  Mật khẩu:      {pw}");
        println!("Mật khẩu chỉ hiện một lần; đổi bằng `congdongso user passwd admin`.");
    }
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("không mở được địa chỉ {addr}"))?;
    let local = listener.local_addr()?;
    println!("congdongso đang chạy tại http://{local} (cơ sở dữ liệu: {})", db.backend());
    tokio::spawn(count_coverage(db.clone()));
    let state = web::AppState { secure_cookies, ..web::AppState::new(db.clone()) };
    web::serve(state, listener).await?;
    Ok(())
}

/// Counts the coverage kept per commune that no longer holds (after an upgrade, a day on which
/// teams began or ended, or a bulk import), in the background as the server starts, so that the
/// first official to open a province's dashboard does not wait for it. A failure is logged: the
/// dashboard counts what it finds stale anyway.
async fn count_coverage(db: Db) {
    let started = std::time::Instant::now();
    let roots = match units::roots(&db).await {
        Ok(roots) => roots,
        Err(e) => return tracing::warn!("coverage not counted at start: {e}"),
    };
    for root in &roots {
        if let Err(e) = store::dashboard::reach(&db, &Scope::All, &root.code).await {
            tracing::warn!("coverage of {} not counted at start: {e}", root.code);
        }
    }
    tracing::info!("coverage kept per commune checked at start in {:.1} s", started.elapsed().as_secs_f64());
}
