//! `congdongso import members|villages|teams FILE`: lists from Excel or CSV, checked row by row,
//! applied whole or not at all.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use sheets::columns::{self, Field};
use store::Db;
use store::import::{ImportReport, ImportRow, ImportSheet, RowIssue, keys};

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
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Table,
    Json,
}

/// What a file lists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Members,
    Villages,
    Teams,
}

pub(crate) async fn run(db: &Db, command: ImportCommand) -> Result<()> {
    match command {
        ImportCommand::Members(args) => import(db, Kind::Members, args).await,
        ImportCommand::Villages(args) => import(db, Kind::Villages, args).await,
        ImportCommand::Teams(args) => import(db, Kind::Teams, args).await,
    }
}

/// The key of a header in a list of villages or teams.
fn place_key(header: &str) -> Option<&'static str> {
    let key = columns::header_key(header);
    if key.contains("thanhlap") {
        return Some(keys::ESTABLISHED_ON);
    }
    if key.contains("zalo") {
        return Some(keys::ZALO_URL);
    }
    match Field::from_header(header)? {
        Field::Village => Some(keys::VILLAGE),
        Field::Commune => Some(keys::COMMUNE),
        Field::District => Some(keys::DISTRICT),
        Field::Team => Some(keys::TEAM),
        _ => None,
    }
}

/// Signature blocks and totals that end a list of villages or teams.
fn ends_list(row: &[String]) -> bool {
    row.iter().any(|t| {
        let key = columns::header_key(t);
        ["nguoilap", "thutruong", "xacnhan", "kyghiro", "tongcong"].iter().any(|m| key.starts_with(m))
            || (key.starts_with("tm") && key.contains("ubnd"))
    })
}

/// A list of villages or teams: the header is the row of the first 20 that names the most fields,
/// with a village column; the rows under it up to a signature block.
fn place_sheet(sheet: &sheets::Sheet) -> Option<ImportSheet> {
    // The row naming the most fields, with a village column (a title above may name one field).
    let mut best: Option<(usize, Vec<(usize, &'static str)>)> = None;
    for (r, row) in sheet.rows.iter().take(20).enumerate() {
        let mapped: Vec<(usize, &'static str)> =
            row.iter().enumerate().filter_map(|(c, h)| place_key(h).map(|k| (c, k))).collect();
        if mapped.iter().any(|(_, k)| *k == keys::VILLAGE) && best.as_ref().is_none_or(|(_, b)| mapped.len() > b.len())
        {
            best = Some((r, mapped));
        }
    }
    let (at, mapped) = best?;
    let rows = sheet
        .rows
        .iter()
        .enumerate()
        .skip(at + 1)
        .take_while(|(_, row)| !ends_list(row))
        .map(|(r, row)| ImportRow {
            row: r + 1,
            values: mapped
                .iter()
                .filter_map(|(c, k)| row.get(*c).filter(|v| !v.trim().is_empty()).map(|v| ((*k).to_owned(), v.clone())))
                .collect(),
        })
        .filter(|r| !r.values.is_empty())
        .collect();
    Some(ImportSheet {
        name: sheet.name.clone(),
        columns: mapped.iter().map(|(c, k)| ((*k).to_owned(), columns::column_letter(*c))).collect(),
        rows,
    })
}

/// The store's key for a field of the sheet; `None` for what a member import does not use.
fn key_of(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::FullName => keys::FULL_NAME,
        Field::Phone => keys::PHONE,
        Field::Cccd => keys::CCCD,
        Field::Gender => keys::GENDER,
        Field::Male => keys::MALE,
        Field::Female => keys::FEMALE,
        Field::BirthDate | Field::BirthMale | Field::BirthFemale => keys::BIRTH_DATE,
        Field::BirthYear => keys::BIRTH_YEAR,
        Field::Position => keys::POSITION,
        Field::Role => keys::ROLE,
        Field::Village => keys::VILLAGE,
        Field::Commune => keys::COMMUNE,
        Field::District => keys::DISTRICT,
        Field::Email => keys::EMAIL,
        Field::Stt | Field::Team | Field::Note => return None,
    })
}

/// Reads the file into the store's rows, with an error for each sheet whose header is not
/// recognised.
fn read(file: &std::path::Path, only: Option<&str>, kind: Kind) -> Result<(Vec<ImportSheet>, Vec<RowIssue>)> {
    let bytes = std::fs::read(file).with_context(|| format!("không đọc được tệp {}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let book = sheets::read_file(&name, &bytes)?;
    let chosen: Vec<&sheets::Sheet> = match only {
        None => book.sheets.iter().filter(|s| !s.rows.is_empty()).collect(),
        Some(wanted) => {
            let w = domain::text::fold(wanted);
            let found: Vec<&sheets::Sheet> =
                book.sheets.iter().filter(|s| domain::text::fold(&s.name) == w).take(1).collect();
            if found.is_empty() {
                let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
                bail!("Không có trang “{wanted}” trong tệp; các trang: {}", names.join(", "));
            }
            found
        }
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for sheet in chosen {
        if kind != Kind::Members {
            match place_sheet(sheet) {
                Some(s) => out.push(s),
                None => problems.push(RowIssue {
                    sheet: sheet.name.clone(),
                    row: 0,
                    column: None,
                    message: "Không nhận ra dòng tiêu đề: cần ít nhất cột “Thôn” trong 20 dòng đầu".into(),
                }),
            }
            continue;
        }
        let Some(header) = columns::detect_header(sheet) else {
            problems.push(RowIssue {
                sheet: sheet.name.clone(),
                row: 0,
                column: None,
                message: "Không nhận ra dòng tiêu đề: cần ít nhất cột “Họ và tên” trong 20 dòng đầu".into(),
            });
            continue;
        };
        let mut mapped = Vec::new();
        for &(col, field) in &header.columns {
            if let Some(k) = key_of(field) {
                mapped.push((k.to_owned(), columns::column_letter(col)));
                if matches!(field, Field::BirthMale | Field::BirthFemale) {
                    mapped.push((keys::GENDER.to_owned(), columns::column_letter(col)));
                }
            }
        }
        let rows = columns::data_rows(sheet, &header)
            .map(|raw| ImportRow {
                row: raw.row,
                values: raw.values.iter().filter_map(|(f, v)| key_of(*f).map(|k| (k.to_owned(), v.clone()))).collect(),
            })
            .collect();
        out.push(ImportSheet { name: sheet.name.clone(), columns: mapped, rows });
    }
    Ok((out, problems))
}

async fn import(db: &Db, kind: Kind, args: ImportArgs) -> Result<()> {
    let ImportArgs { file, dry_run, sheet, format } = args;
    let (sheets, problems) = tokio::task::spawn_blocking(move || read(&file, sheet.as_deref(), kind))
        .await
        .context("đọc tệp bị gián đoạn")??;
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
        Kind::Members => store::import::import_members(db, &sheets, check_only, &progress).await?,
        Kind::Villages => store::import::import_villages(db, &sheets, check_only, &progress).await?,
        Kind::Teams => store::import::import_teams(db, &sheets, check_only, &progress).await?,
    };
    bar.finish_and_clear();
    report.dry_run = dry_run;
    report.add_sheet_errors(problems);
    print(&report, kind, format)?;
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

/// Prints the report in one write (a closed pipe is an error, not a panic).
fn print(report: &ImportReport, kind: Kind, format: ReportFormat) -> Result<()> {
    let text = if format == ReportFormat::Json {
        format!("{}\n", serde_json::to_string_pretty(report)?)
    } else {
        render(report, kind)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
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
