//! `congdongso training …`: courses, sessions, invitations, the roll call and who has not been
//! trained.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use store::training::{self, Untrained};
use store::{Db, PageRequest, Scope};

use crate::FormatArg;
use crate::output::{Format, Table, print_rows};

#[derive(Subcommand)]
pub(crate) enum TrainingCommand {
    /// Courses, newest first, with their sessions counted.
    Courses {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record a course: its title, organiser and topics.
    AddCourse {
        /// The course's title.
        #[arg(long)]
        title: String,
        /// Who organises it (Sở TT&TT, Cục Chuyển đổi số quốc gia, VNPT, …).
        #[arg(long)]
        organiser: String,
        /// The topics, separated by semicolons.
        #[arg(long, default_value = "")]
        topics: String,
    },
    /// Sessions, newest first, with the teams invited and the members present.
    Sessions {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record a session of a course on a day, at a venue.
    AddSession {
        /// The course's number (see `training courses`).
        #[arg(long)]
        course: i64,
        /// The day, dd/mm/yyyy or yyyy-mm-dd.
        #[arg(long)]
        date: String,
        /// Where it is held ("Trực tuyến" for an online session).
        #[arg(long)]
        venue: String,
        /// Who teaches.
        #[arg(long, default_value = "")]
        trainers: String,
    },
    /// Invite teams to a session, by number or every active team of a unit.
    ///
    /// By number: `--team 12 --team 13`, or `--team 12,13`; a whole unit: `--unit 20335`. Teams
    /// invited already stay invited once.
    Invite {
        /// The session's number.
        session: i64,
        /// A team's number; repeat, or separate by commas.
        #[arg(long = "team", value_delimiter = ',', required_unless_present = "unit")]
        teams: Vec<i64>,
        /// A current unit's code: every active team under it.
        #[arg(long)]
        unit: Option<String>,
    },
    /// The roll call of a session: the members of the invited teams, by team, with what was
    /// recorded.
    RollCall {
        /// The session's number.
        session: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record the roll call, all or nothing.
    ///
    /// Marks by person number (as `training roll-call` shows them): `--present 12,13 --absent 14
    /// --excused 15`, and/or `--file marks.csv` with lines `person,status` (status `present`,
    /// `absent`, `excused`, or `có mặt`, `vắng`, `vắng có phép`; a header line is skipped). A
    /// later mark of a person replaces an earlier one; marks already recorded are corrected.
    Record {
        /// The session's number.
        session: i64,
        /// People present (có mặt), by number, separated by commas.
        #[arg(long, value_delimiter = ',')]
        present: Vec<i64>,
        /// People absent (vắng).
        #[arg(long, value_delimiter = ',')]
        absent: Vec<i64>,
        /// People absent with leave (vắng có phép).
        #[arg(long, value_delimiter = ',')]
        excused: Vec<i64>,
        /// A CSV file of marks.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Active members of a unit never present at a session, or not in the last N months, with
    /// their phone numbers (the output is recorded in the audit trail).
    Untrained {
        /// A current unit's code.
        #[arg(long)]
        unit: String,
        /// Not present at any session in the last N months (default: never present).
        #[arg(long)]
        months: Option<u32>,
        #[command(flatten)]
        format: FormatArg,
    },
}

fn status_label(status: Option<&str>) -> &'static str {
    match status {
        Some("present") => "Có mặt",
        Some("absent") => "Vắng",
        Some("excused") => "Vắng có phép",
        _ => "Chưa điểm danh",
    }
}

/// A status as written in a marks file.
fn status_code(s: &str) -> Option<&'static str> {
    match domain::text::fold(s).trim() {
        "present" | "co mat" => Some("present"),
        "absent" | "vang" => Some("absent"),
        "excused" | "vang co phep" => Some("excused"),
        _ => None,
    }
}

/// The marks of a CSV file: `person,status` per line.
fn marks_of_file(path: &std::path::Path) -> Result<Vec<(i64, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("không đọc được tệp {}", path.display()))?;
    let mut marks = Vec::new();
    for (n, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (person, status) = line.split_once([',', ';']).unwrap_or((line, ""));
        let Ok(person) = person.trim().trim_matches('"').parse::<i64>() else {
            if n == 0 {
                continue; // the header
            }
            bail!("tệp {}, dòng {}: “{}” không phải là số của một người", path.display(), n + 1, person.trim());
        };
        let Some(status) = status_code(status.trim().trim_matches('"')) else {
            bail!(
                "tệp {}, dòng {}: điểm danh là có mặt, vắng hoặc vắng có phép, không phải “{}”",
                path.display(),
                n + 1,
                status.trim()
            );
        };
        marks.push((person, status.to_owned()));
    }
    Ok(marks)
}

pub(crate) async fn run(db: &Db, c: TrainingCommand) -> Result<()> {
    match c {
        TrainingCommand::Courses { format } => {
            let list = training::courses(db).await?;
            let mut t = Table::new(&["ID", "Khóa tập huấn", "Đơn vị tổ chức", "Nội dung", "Số buổi"]);
            for k in &list {
                t.row(vec![
                    k.id.to_string(),
                    k.title.clone(),
                    k.organiser.clone(),
                    k.topics.clone(),
                    k.sessions.to_string(),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        TrainingCommand::AddCourse { title, organiser, topics } => {
            let id = training::add_course(db, &title, &organiser, &topics).await?;
            println!("Đã thêm khóa tập huấn số {id}.");
            Ok(())
        }
        TrainingCommand::Sessions { format } => {
            let list = training::sessions(db).await?;
            let mut t =
                Table::new(&["ID", "Ngày", "Khóa tập huấn", "Đơn vị tổ chức", "Địa điểm", "Tổ được mời", "Có mặt"]);
            for s in &list {
                t.row(vec![
                    s.id.to_string(),
                    store::display_date(&s.held_on),
                    s.title.clone(),
                    s.organiser.clone(),
                    s.venue.clone(),
                    s.teams.to_string(),
                    s.present.to_string(),
                ]);
            }
            print_rows(format.format, &list, &t)
        }
        TrainingCommand::AddSession { course, date, venue, trainers } => {
            let day = domain::input::parse_date(&date).map_err(anyhow::Error::msg)?;
            let id = training::add_session(db, course, day, &venue, &trainers).await?;
            println!("Đã thêm buổi tập huấn số {id} ngày {}.", domain::input::format_date(day));
            Ok(())
        }
        TrainingCommand::Invite { session, mut teams, unit } => {
            if let Some(code) = unit {
                let of_unit = training::teams_of_unit(db, &Scope::All, &code).await?;
                if of_unit.is_empty() {
                    bail!("đơn vị {code} chưa có tổ nào đang hoạt động");
                }
                teams.extend(of_unit);
            }
            teams.sort_unstable();
            teams.dedup();
            let added = training::invite(db, &Scope::All, session, &teams).await?;
            let s = training::session(db, session).await?;
            println!("Đã mời {added} tổ mới; buổi tập huấn số {session} có {} tổ được mời.", s.teams);
            Ok(())
        }
        TrainingCommand::RollCall { session, format } => {
            let roll = training::roll_call(db, &Scope::All, session).await?;
            let mut t = Table::new(&["Số người", "Họ và tên", "Số tổ", "Tổ", "Điểm danh"]);
            for r in &roll {
                t.row(vec![
                    r.person_id.to_string(),
                    r.full_name.clone(),
                    r.team_id.to_string(),
                    r.team.clone(),
                    status_label(r.status.as_deref()).to_owned(),
                ]);
            }
            print_rows(format.format, &roll, &t)
        }
        TrainingCommand::Record { session, present, absent, excused, file } => {
            let mut marks: Vec<(i64, String)> = Vec::new();
            if let Some(path) = file {
                marks.extend(marks_of_file(&path)?);
            }
            for (ids, status) in [(present, "present"), (absent, "absent"), (excused, "excused")] {
                marks.extend(ids.into_iter().map(|p| (p, status.to_owned())));
            }
            // A later mark of a person replaces an earlier one.
            let mut last: Vec<(i64, String)> = Vec::new();
            for (p, s) in marks {
                last.retain(|(q, _)| *q != p);
                last.push((p, s));
            }
            if last.is_empty() {
                bail!("chưa điểm danh ai: dùng --present, --absent, --excused hoặc --file");
            }
            training::record(db, &Scope::All, session, &last).await?;
            println!("Đã điểm danh {} người ở buổi tập huấn số {session}.", last.len());
            Ok(())
        }
        TrainingCommand::Untrained { unit, months, format } => {
            let since = match months {
                None => None,
                Some(n) if (1..=240).contains(&n) => Some(training::months_before(store::today(), n)),
                Some(_) => bail!("số tháng là một số nguyên từ 1 đến 240"),
            };
            let rows = training::untrained_page(db, &Scope::All, &unit, since, PageRequest::all()).await?.items;
            // Phone numbers leave the system here: the output is logged with its rows.
            let ids: Vec<i64> = rows.iter().map(|u| u.member.id).collect();
            let event = store::audit::Event {
                entity: "export",
                action: "untrained_cli",
                unit_path: Some(store::units::by_code(db, &unit).await?.path),
                after: Some(serde_json::json!({ "unit": unit, "months": months, "rows": ids, "count": ids.len() })),
                ..store::audit::Event::default()
            };
            store::audit::record(db, event).await?;
            if format.format == Format::Table {
                match since {
                    Some(d) => println!("Chưa có mặt ở buổi tập huấn nào từ ngày {}:", domain::input::format_date(d)),
                    None => println!("Chưa có mặt ở buổi tập huấn nào:"),
                }
            }
            print_rows(format.format, &rows, &untrained_table(&rows))
        }
    }
}

fn untrained_table(rows: &[Untrained]) -> Table {
    let mut t = Table::new(&["ID", "Họ và tên", "Số điện thoại", "Tổ", "Xã", "Lần có mặt gần nhất"]);
    for u in rows {
        let m = &u.member;
        t.row(vec![
            m.id.to_string(),
            m.full_name.clone(),
            m.phone.clone(),
            m.team.clone().unwrap_or_default(),
            m.commune.clone().unwrap_or_default(),
            u.last_present.as_deref().map_or_else(|| "Chưa tập huấn".to_owned(), store::display_date),
        ]);
    }
    t
}
