//! `congdongso export members|teams|villages --unit CODE --out FILE`: a unit's list as an Excel
//! workbook or a CSV file, the format by the file's extension. The command line is the
//! operator's own machine: phones and CCCD go out whole, and the export is recorded in the audit
//! trail before the file takes its name.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use store::people::MemberFilter;
use store::teams::TeamFilter;
use store::villages::VillageFilter;
use store::{Db, PageRequest, people, teams, units, villages};
use web::exports::{self, Format, List};

/// Which list to export.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum What {
    /// Team members: name, birth, phone, CCCD, role, team, village, commune, joined on.
    Members,
    /// Teams: village, founded on, members, leader, Zalo group, status.
    Teams,
    /// Villages: commune, whether they have a team, status.
    Villages,
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The list.
    #[arg(value_enum)]
    what: What,
    /// The unit's code (a current province, district or commune).
    #[arg(long)]
    unit: String,
    /// The file to write: FILE.xlsx (Excel) or FILE.csv (UTF-8 with BOM).
    #[arg(long)]
    out: PathBuf,
    /// Include former members, dissolved teams, villages no longer in use.
    #[arg(long)]
    all: bool,
}

pub(crate) async fn run(db: &Db, args: ExportArgs) -> Result<()> {
    let spinner = spinner();
    let written = write(db, &args, &spinner).await;
    spinner.finish_and_clear();
    let (count, noun, unit, day) = written?;
    println!(
        "Đã ghi {}: {count} {noun} của {} {}, số liệu đến ngày {}.",
        args.out.display(),
        unit.code,
        unit.name,
        domain::input::format_date(day)
    );
    Ok(())
}

/// Reads the list, records the export and writes the file: how many rows, of what, where, when.
async fn write(
    db: &Db,
    args: &ExportArgs,
    spinner: &indicatif::ProgressBar,
) -> Result<(usize, &'static str, units::Unit, time::Date)> {
    let name = args.out.to_string_lossy().into_owned();
    let Some(format) = Format::of_file(&name) else {
        bail!("chỉ xuất được tệp Excel (.xlsx) hoặc CSV (.csv), không xuất được “{name}”");
    };
    let scope = crate::unit_scope(db, Some(&args.unit)).await?;
    let unit = units::by_code(db, &args.unit).await?;
    let day = store::today();
    // A long list is held once, as the store's rows: each is turned into its cells as the file
    // is written and let go (600,000 members held three times took 2.6 GB).
    let (list, table, more, ids, noun): (_, _, Rows, Vec<i64>, _) = match args.what {
        What::Members => {
            let filter = MemberFilter { search: None, include_former: args.all, numbers_for: None };
            let rows = people::list(db, &scope, &filter, PageRequest::all()).await?.items;
            let make = exports::MemberRows::new(db, &rows).await?;
            let ids = rows.iter().map(|m| m.id).collect();
            let more = rows.into_iter().enumerate().map(move |(i, m)| make.row(i, &m));
            (List::Members, exports::members_heading(&unit.name, day), Box::new(more), ids, "thành viên")
        }
        What::Teams => {
            let filter = TeamFilter { search: None, include_dissolved: args.all, issue: None };
            let rows = teams::list(db, &scope, &filter, PageRequest::all()).await?.items;
            let table = exports::teams(db, &scope, &rows, &unit.name, day).await?;
            (List::Teams, table, Box::new(std::iter::empty()), rows.iter().map(|t| t.id).collect(), "tổ")
        }
        What::Villages => {
            let filter = VillageFilter { search: None, include_inactive: args.all, without_team: false };
            let rows = villages::list(db, &scope, &filter, PageRequest::all()).await?.items;
            let table = exports::villages(&rows, &unit.name, day);
            (List::Villages, table, Box::new(std::iter::empty()), rows.iter().map(|v| v.id).collect(), "thôn")
        }
    };
    spinner.set_message(format!("Đang ghi {} dòng…", ids.len()));
    // The file is written beside its place under a hidden name and takes its name only once the
    // export is recorded: a file that fails half way, or whose export cannot be recorded, is
    // never left under the name asked for.
    let part = part_file(&args.out);
    let cannot = || format!("không ghi được tệp {}", args.out.display());
    let file = std::fs::File::create(&part).with_context(cannot)?;
    let written = tokio::task::spawn_blocking(move || exports::write(&table, more, format, file)).await;
    let recorded = match written {
        Ok(Ok(())) => record(db, args, &unit, list, format, &ids).await,
        Ok(Err(e)) => Err(anyhow::Error::new(e).context(cannot())),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = recorded {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    std::fs::rename(&part, &args.out).with_context(cannot)?;
    Ok((ids.len(), noun, unit, day))
}

/// The rows of a list not yet turned into cells.
type Rows = Box<dyn Iterator<Item = Vec<sheets::Value>> + Send>;

/// Where the file is written before it takes its name: `.NAME.part` in the same folder, so that
/// the rename stays on one file system.
fn part_file(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!(".{name}.part"))
}

/// Personal data leaves the system here: the export is recorded before the file takes its name.
async fn record(db: &Db, args: &ExportArgs, unit: &units::Unit, list: List, format: Format, ids: &[i64]) -> Result<()> {
    let event = store::audit::Event {
        entity: "export",
        action: exports::action(list, format),
        unit_path: Some(unit.path.clone()),
        after: Some(serde_json::json!({
            "unit": unit.code,
            "all": args.all,
            "file": args.out.file_name().map(|f| f.to_string_lossy().into_owned()),
            "rows": ids,
            "count": ids.len(),
        })),
        ..store::audit::Event::default()
    };
    store::audit::record(db, event).await?;
    Ok(())
}

/// A spinner on a terminal while a large list is read and written; nothing otherwise.
fn spinner() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("Đang đọc danh sách…");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
