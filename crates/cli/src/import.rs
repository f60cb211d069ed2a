//! `congdongso import members|villages|teams FILE`: lists from Excel or CSV, checked row by row,
//! applied whole or not at all.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use sheets::columns::{self, Field};
use store::Db;
use store::import::{ImportReport, RowIssue};
use web::import_file::{ListKind as Kind, Mapping, ReadError};

use crate::output::Table;

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
    /// Team members: name, phone, CCCD, gender, birth date or year, position, role, village and
    /// commune (district optional). Exits 1, writing nothing, when any row has an error.
    Members(ImportArgs),
    /// Villages: commune (district optional) and the village's name. A village the commune has
    /// is left as it is.
    Villages(ImportArgs),
    /// Teams: commune, village (import villages first), founding day ("Ngày thành lập"), and
    /// optionally the team's name and Zalo link.
    Teams(ImportArgs),
}

#[derive(Args)]
pub(crate) struct ImportArgs {
    /// The file: .xlsx, .xls or .csv (UTF-8, Windows-1258, TCVN3 or VNI).
    file: PathBuf,
    /// Check every row and show what would be created, updated, unchanged or rejected; write
    /// nothing.
    #[arg(long)]
    dry_run: bool,
    /// Read only this sheet (tab); by default every sheet with a header.
    #[arg(long)]
    sheet: Option<String>,
    /// Corrects how a column is read: `CỘT=THÔNG TIN`, the column by its letter or header text, the
    /// field by its label ("Số điện thoại", "Chức danh" …; for villages and teams: Huyện, Xã, Thôn,
    /// Tên tổ, Ngày thành lập, Nhóm Zalo) or "bỏ qua" / "-" to ignore it; repeatable.
    #[arg(long = "map", value_name = "CỘT=THÔNG TIN")]
    map: Vec<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
}

/// The `--map` corrections as the file reader takes them.
fn parse_map(map: &[String]) -> Result<Vec<(String, Option<Field>)>> {
    map.iter()
        .map(|m| {
            let Some((column, field)) = m.split_once('=').filter(|(c, _)| !c.trim().is_empty()) else {
                bail!(
                    "--map “{m}”: hãy ghi CỘT=THÔNG TIN, ví dụ --map \"C=Số điện thoại\" hoặc --map \"Ghi chú=bỏ qua\""
                );
            };
            let field = columns::parse_target(field).map_err(|e| anyhow!("--map “{m}”: {e}"))?;
            Ok((column.trim().to_owned(), field))
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Table,
    Json,
}

pub(crate) async fn run(db: &Db, command: ImportCommand) -> Result<()> {
    match command {
        ImportCommand::Members(args) => import(db, Kind::Members, args).await,
        ImportCommand::Villages(args) => import(db, Kind::Villages, args).await,
        ImportCommand::Teams(args) => import(db, Kind::Teams, args).await,
    }
}

async fn import(db: &Db, kind: Kind, args: ImportArgs) -> Result<()> {
    let ImportArgs { file, dry_run, sheet, map, format } = args;
    let overrides = parse_map(&map)?;
    let read = tokio::task::spawn_blocking(move || -> Result<web::import_file::FileRead> {
        let bytes = std::fs::read(&file).with_context(|| format!("không đọc được tệp {}", file.display()))?;
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        web::import_file::read(&name, &bytes, sheet.as_deref(), kind, &overrides).map_err(|e| match e {
            ReadError::Sheet(e @ (sheets::SheetError::UnknownColumn(_) | sheets::SheetError::UnknownField(_))) => {
                anyhow!("--map: {e}")
            }
            e => e.into(),
        })
    })
    .await
    .context("đọc tệp bị gián đoạn")??;
    let (sheets, problems, mappings) = (read.sheets, read.problems, read.mappings);
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("Kiểm tra");
    let progress = |done: usize, all: usize| {
        bar.set_length(all as u64);
        bar.set_position(done as u64);
    };
    // A sheet that cannot be read keeps the whole file from being applied.
    let check_only = dry_run || !problems.is_empty();
    let mut report = match kind {
        Kind::Members => store::import::import_members(db, &sheets, check_only, &|_| true, &progress).await?,
        Kind::Villages => store::import::import_villages(db, &sheets, check_only, &|_| true, &progress).await?,
        Kind::Teams => store::import::import_teams(db, &sheets, check_only, &|_| true, &progress).await?,
    };
    bar.finish_and_clear();
    report.dry_run = dry_run;
    report.add_sheet_errors(problems);
    print(&report, &mappings, kind, format)?;
    if !report.errors.is_empty() {
        bail!(
            "có {} lỗi; {}",
            report.errors.len(),
            if dry_run {
                "hãy sửa tệp trước khi nhập"
            } else {
                "không nhập gì, hãy sửa tệp rồi nhập lại"
            }
        );
    }
    Ok(())
}

/// Prints how each sheet was read, then the report, in one write (a closed pipe is an error,
/// not a panic). JSON: the report's fields and `mappings`.
fn print(report: &ImportReport, mappings: &[Mapping], kind: Kind, format: ReportFormat) -> Result<()> {
    let text = if format == ReportFormat::Json {
        let mut value = serde_json::to_value(report)?;
        if let Some(fields) = value.as_object_mut() {
            fields.insert("mappings".to_owned(), serde_json::to_value(mappings)?);
        }
        format!("{}\n", serde_json::to_string_pretty(&value)?)
    } else {
        format!("{}{}", render_mappings(mappings), render(report, kind))
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// Each sheet's header row and what each column was taken for, so a wrong guess is seen (and
/// corrected with `--map`) before anything is written.
fn render_mappings(mappings: &[Mapping]) -> String {
    let mut out = String::new();
    for m in mappings {
        out.push_str(&format!("Trang “{}”, dòng tiêu đề {}:\n", m.sheet, m.header_row));
        let mut t = Table::new(&["Cột", "Tiêu đề", "Nhận là"]);
        for c in &m.columns {
            let header = c.header.split_whitespace().collect::<Vec<_>>().join(" ");
            t.row(vec![c.letter.clone(), header, c.field.clone().unwrap_or_else(|| "(bỏ qua)".to_owned())]);
        }
        out.push_str(&t.render());
        out.push('\n');
    }
    out
}

fn render(report: &ImportReport, kind: Kind) -> String {
    let mut out = String::new();
    let (verb, done) = if report.applied {
        ("Đã nhập", "")
    } else if report.dry_run {
        ("Chạy thử", " (chưa ghi gì)")
    } else {
        ("Không nhập", " (không ghi gì)")
    };
    out.push_str(&format!(
        "{verb}{done}: thêm mới {}, cập nhật {}, không đổi {}, bị từ chối {}; {} lỗi, {} cảnh báo.\n",
        report.created,
        report.updated,
        report.unchanged,
        report.rejected,
        report.errors.len(),
        report.warnings.len()
    ));
    let issues = |out: &mut String, title: &str, list: &[RowIssue]| {
        if list.is_empty() {
            return;
        }
        out.push_str(&format!("\n{title}:\n"));
        let mut t = Table::new(&["Trang", "Dòng", "Cột", "Nội dung"]);
        for i in list {
            let row = if i.row == 0 { String::new() } else { i.row.to_string() };
            t.row(vec![i.sheet.clone(), row, i.column.clone().unwrap_or_default(), i.message.clone()]);
        }
        out.push_str(&t.render());
    };
    issues(&mut out, "Lỗi", &report.errors);
    issues(&mut out, "Cảnh báo", &report.warnings);
    if !report.rows.is_empty() {
        out.push('\n');
        let header: &[&str] = match kind {
            Kind::Members => &["Trang", "Dòng", "Họ và tên", "Tổ", "Kết quả", "Khớp theo", "Thay đổi"],
            Kind::Villages => &["Trang", "Dòng", "Thôn", "Xã", "Kết quả", "", ""],
            Kind::Teams => &["Trang", "Dòng", "Tổ", "Thôn", "Kết quả", "", "Thay đổi"],
        };
        let mut t = Table::new(header);
        for r in &report.rows {
            t.row(vec![
                r.sheet.clone(),
                r.row.to_string(),
                r.name.clone(),
                r.team.clone().unwrap_or_default(),
                r.action.label().to_owned(),
                r.matched_by.map(|m| m.label().to_owned()).unwrap_or_default(),
                r.changes.join(", "),
            ]);
        }
        out.push_str(&t.render());
    }
    out
}
