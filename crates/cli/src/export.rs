//! `congdongso export members|teams|villages --unit CODE --out FILE`: a unit's list as an Excel
//! workbook or a CSV file, the format by the file's extension. The command line is the
//! operator's own machine: phones and CCCD go out whole, and the export is recorded in the audit
//! trail before the file is written.

use std::io::IsTerminal;
use std::path::PathBuf;

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
    let (list, table, ids, noun) = match args.what {
        What::Members => {
            let filter = MemberFilter { search: None, include_former: args.all, numbers_for: None };
            let rows = people::list(db, &scope, &filter, PageRequest::all()).await?.items;
            let table = exports::members(db, &rows, &unit.name, day).await?;
            (List::Members, table, rows.iter().map(|m| m.id).collect::<Vec<_>>(), "thành viên")
        }
        What::Teams => {
            let filter = TeamFilter { search: None, include_dissolved: args.all, issue: None };
            let rows = teams::list(db, &scope, &filter, PageRequest::all()).await?.items;
            let table = exports::teams(db, &scope, &rows, &unit.name, day).await?;
            (List::Teams, table, rows.iter().map(|t| t.id).collect(), "tổ")
        }
        What::Villages => {
            let filter = VillageFilter { search: None, include_inactive: args.all, without_team: false };
            let rows = villages::list(db, &scope, &filter, PageRequest::all()).await?.items;
            let table = exports::villages(&rows, &unit.name, day);
            (List::Villages, table, rows.iter().map(|v| v.id).collect(), "thôn")
        }
    };
    spinner.set_message(format!("Đang ghi {} dòng…", ids.len()));
    let bytes = tokio::task::spawn_blocking(move || exports::bytes(&table, format)).await??;
    // Personal data leaves the system here: the export is recorded before the file is written.
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
    std::fs::write(&args.out, bytes).with_context(|| format!("không ghi được tệp {}", args.out.display()))?;
    Ok((ids.len(), noun, unit, day))
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
