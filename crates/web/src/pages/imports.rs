//! Importing a list from Excel or CSV (nhập danh sách): upload, preview (the column mapping,
//! which can be corrected, and what every row would do), then apply whole or not at all. The
//! uploaded file is kept between the two steps, so what is applied is what was previewed. A file
//! with errors can be downloaded back with a column saying what is wrong with each row; a
//! template with dropdowns shows how a list should look.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::handler::Handler;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sheets::columns::{self, Field};
use store::Scope;
use store::import::{ImportReport, RowOutcome};
use store::uploads::{self, Upload};

use super::Chrome;
use crate::auth::Viewer;
use crate::import_book::{self, UPLOAD_LIMIT};
use crate::import_file::{self, FileRead, ListKind, Mapping};
use crate::routes::Routes;
use crate::{AppError, AppState};

/// The request may carry the file and the form's few fields beside it.
const BODY_LIMIT: usize = UPLOAD_LIMIT + 256 * 1024;
/// Row outcomes shown on the page; the counts cover every row.
const ROWS_SHOWN: usize = 500;
/// What a select offers for a column that is not read.
const IGNORE: &str = "ignore";

pub fn router() -> Routes {
    Routes::new()
        .get("/import", page)
        .get("/import/template.xlsx", template)
        .post("/import/preview", preview.layer(DefaultBodyLimit::max(BODY_LIMIT)))
        .post("/import/apply", apply.layer(DefaultBodyLimit::max(BODY_LIMIT)))
        .get("/import/{upload}/errors.xlsx", errors_book)
}

/// Only those who change the registry somewhere import into it.
fn importer(v: &Viewer) -> Result<(), AppError> {
    if v.access.write == Scope::Paths(Vec::new()) {
        Err(AppError::Forbidden("Chỉ người được thay đổi danh sách thôn, tổ và thành viên mới nhập được tệp".into()))
    } else {
        Ok(())
    }
}

fn kind_of(code: &str) -> Option<ListKind> {
    match code {
        "members" => Some(ListKind::Members),
        "villages" => Some(ListKind::Villages),
        "teams" => Some(ListKind::Teams),
        _ => None,
    }
}

fn code_of(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Members => "members",
        ListKind::Villages => "villages",
        ListKind::Teams => "teams",
    }
}

fn label_of(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Members => "Thành viên tổ",
        ListKind::Villages => "Thôn, tổ dân phố",
        ListKind::Teams => "Tổ công nghệ số cộng đồng",
    }
}

/// The kinds of list, for the upload form: (code, label).
const KINDS: [ListKind; 3] = [ListKind::Members, ListKind::Villages, ListKind::Teams];

/// One column of the mapping as the page shows it, with what its select offers.
struct ColumnView {
    letter: String,
    header: String,
    field: String,
    /// (value, label, selected)
    options: Vec<(String, String, bool)>,
}

struct MappingView {
    /// The first sheet's mapping takes the corrections (they apply to every sheet).
    first: bool,
    sheet: String,
    header_row: usize,
    columns: Vec<ColumnView>,
}

/// A file checked (or applied), as the page shows it.
struct Preview {
    upload: i64,
    file_name: String,
    kind_label: &'static str,
    mappings: Vec<MappingView>,
    /// Whether the mapping can be corrected (lists of members).
    editable: bool,
    report: ImportReport,
    rows: Vec<RowOutcome>,
    /// Rows not shown.
    more: usize,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    kinds: Vec<(&'static str, &'static str, bool)>,
    sheet: String,
    errors: Vec<String>,
    preview: Option<Preview>,
}

impl ImportPage {
    fn new(v: &Viewer, kind: ListKind) -> Self {
        Self {
            c: Chrome::new(v, None),
            kinds: KINDS.iter().map(|k| (code_of(*k), label_of(*k), *k == kind)).collect(),
            sheet: String::new(),
            errors: Vec::new(),
            preview: None,
        }
    }

    fn answer(self, status: StatusCode) -> Result<Response, AppError> {
        Ok((status, Html(self.render()?)).into_response())
    }

    fn row_label(&self, r: &RowOutcome) -> String {
        if r.row == 0 { String::new() } else { r.row.to_string() }
    }
}

#[derive(Deserialize, Default)]
struct KindQuery {
    #[serde(default)]
    kind: String,
}

async fn page(v: Viewer, Query(q): Query<KindQuery>) -> Result<Response, AppError> {
    importer(&v)?;
    ImportPage::new(&v, kind_of(&q.kind).unwrap_or(ListKind::Members)).answer(StatusCode::OK)
}

/// The fields of the import forms, read from `multipart/form-data`.
#[derive(Default)]
struct Sent {
    csrf: String,
    kind: String,
    sheet: String,
    file_name: String,
    file: Vec<u8>,
    upload: String,
    confirm: bool,
    /// `map_<LETTER>` selects: the column's letter and the field chosen for it.
    mapping: Vec<(String, String)>,
}

fn too_large() -> String {
    format!("Tệp quá lớn: chỉ nhận tệp đến {} MB; hãy chia danh sách thành nhiều tệp.", UPLOAD_LIMIT / (1024 * 1024))
}

/// Reads the form; a file above the limit is a message for the page, not a failure.
async fn read_form(mut form: Multipart) -> Result<Result<Sent, String>, AppError> {
    let mut s = Sent::default();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(Err(too_large())),
            Err(e) => return Err(AppError::BadRequest(format!("Không đọc được biểu mẫu: {e}"))),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            s.file_name = field.file_name().unwrap_or_default().to_owned();
            match field.bytes().await {
                Ok(b) if b.len() > UPLOAD_LIMIT => return Ok(Err(too_large())),
                Ok(b) => s.file = b.to_vec(),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(Err(too_large())),
                Err(e) => return Err(AppError::BadRequest(format!("Không đọc được tệp gửi lên: {e}"))),
            }
            continue;
        }
        let text = match field.text().await {
            Ok(t) => t,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(Err(too_large())),
            Err(_) => return Err(AppError::BadRequest("Biểu mẫu có trường không phải văn bản UTF-8".into())),
        };
        match name.as_str() {
            "csrf" => s.csrf = text,
            "kind" => s.kind = text,
            "sheet" => s.sheet = text.trim().to_owned(),
            "upload" => s.upload = text.trim().to_owned(),
            "confirm" => s.confirm = !text.is_empty(),
            n => {
                if let Some(letter) = n.strip_prefix("map_") {
                    s.mapping.push((letter.to_owned(), text));
                }
            }
        }
    }
    Ok(Ok(s))
}

/// The corrected mapping as stored: one `LETTER=FIELD` a line.
fn overrides_text(mapping: &[(String, String)]) -> String {
    let mut lines: Vec<String> = mapping
        .iter()
        .filter(|(l, _)| columns::column_index(l).is_some())
        .map(|(l, f)| format!("{}={}", l.to_ascii_uppercase(), f.trim()))
        .collect();
    lines.sort_by_key(|l| {
        let letter = l.split('=').next().unwrap_or_default();
        (letter.len(), letter.to_owned())
    });
    lines.join("\n")
}

fn parse_overrides(text: &str) -> Result<Vec<(String, Option<Field>)>, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(col, field)| columns::parse_target(field).map(|f| (col.to_owned(), f)).map_err(|e| e.to_string()))
        .collect()
}

/// A file checked against the registry, dry or for real.
struct Checked {
    read: FileRead,
    report: ImportReport,
}

/// Reads the stored upload with its mapping and runs the import with the user's write scope.
/// `Err(message)`: the file (or its mapping) could not be read.
async fn check(state: &AppState, v: &Viewer, u: &Upload, dry_run: bool) -> Result<Result<Checked, String>, AppError> {
    let Some(kind) = kind_of(&u.kind) else { return Ok(Err("Không rõ tệp liệt kê gì".into())) };
    let overrides = match parse_overrides(&u.overrides) {
        Ok(o) => o,
        Err(m) => return Ok(Err(m)),
    };
    let (name, bytes, sheet) = (u.file_name.clone(), u.bytes.clone(), u.sheet.clone());
    let read =
        tokio::task::spawn_blocking(move || import_file::read(&name, &bytes, sheet.as_deref(), kind, &overrides))
            .await?;
    let mut read = match read {
        Ok(r) => r,
        Err(e) => return Ok(Err(e.to_string())),
    };
    // The lists sheet of a filled-in template is not a list.
    read.problems.retain(|p| p.sheet != import_book::LISTS_SHEET);
    if read.sheets.is_empty() && read.problems.is_empty() {
        return Ok(Err("Không có trang nào có dữ liệu để nhập".into()));
    }
    let access = v.access.clone();
    let may_write = move |path: &str| access.writes(path);
    let progress = |_: usize, _: usize| {};
    // A sheet that cannot be read keeps the whole file from being applied.
    let check_only = dry_run || !read.problems.is_empty();
    let mut report = match kind {
        ListKind::Members => {
            store::import::import_members(&state.db, &read.sheets, check_only, &may_write, &progress).await?
        }
        ListKind::Villages => {
            store::import::import_villages(&state.db, &read.sheets, check_only, &may_write, &progress).await?
        }
        ListKind::Teams => {
            store::import::import_teams(&state.db, &read.sheets, check_only, &may_write, &progress).await?
        }
    };
    report.dry_run = dry_run;
    report.add_sheet_errors(read.problems.clone());
    Ok(Ok(Checked { read, report }))
}

/// The field options of a column's select, the current one selected.
/// The fields a list of members offers are all of them; a list of villages or teams, its own.
fn options(kind: ListKind, current: Option<&str>) -> Vec<(String, String, bool)> {
    let fields: &[Field] = if kind == ListKind::Members { &Field::ALL } else { &import_file::PLACE_FIELDS };
    let mut out = vec![(IGNORE.to_owned(), "— không nhập —".to_owned(), current.is_none())];
    out.extend(fields.iter().map(|f| (format!("{f:?}"), f.label().to_owned(), current == Some(f.label()))));
    out
}

fn mapping_views(kind: ListKind, mappings: &[Mapping]) -> Vec<MappingView> {
    mappings
        .iter()
        .enumerate()
        .map(|(i, m)| MappingView {
            first: i == 0,
            sheet: m.sheet.clone(),
            header_row: m.header_row,
            columns: m
                .columns
                .iter()
                .map(|c| ColumnView {
                    letter: c.letter.clone(),
                    header: c.header.clone(),
                    field: c.field.clone().unwrap_or_default(),
                    options: options(kind, c.field.as_deref()),
                })
                .collect(),
        })
        .collect()
}

fn preview_of(u: &Upload, checked: Checked) -> Preview {
    let kind = kind_of(&u.kind).unwrap_or(ListKind::Members);
    let Checked { read, mut report } = checked;
    let more = report.rows.len().saturating_sub(ROWS_SHOWN);
    let rows: Vec<RowOutcome> = report.rows.drain(..).take(ROWS_SHOWN).collect();
    Preview {
        upload: u.import_upload_id,
        file_name: u.file_name.clone(),
        kind_label: label_of(kind),
        mappings: mapping_views(kind, &read.mappings),
        editable: !report.applied,
        report,
        rows,
        more,
    }
}

/// The upload form again, with a message and the status to answer.
fn refused(v: &Viewer, kind: ListKind, sheet: &str, message: String) -> Result<Response, AppError> {
    let mut p = ImportPage::new(v, kind);
    p.sheet = sheet.to_owned();
    p.errors.push(message);
    p.answer(StatusCode::UNPROCESSABLE_ENTITY)
}

/// The upload named by the form, as a number (any other text names nothing).
fn upload_id(text: &str) -> Result<i64, AppError> {
    text.parse().map_err(|_| AppError::NotFound("Không tìm thấy tệp đã tải lên; hãy tải tệp lên lại".into()))
}

async fn preview(State(state): State<AppState>, v: Viewer, form: Multipart) -> Result<Response, AppError> {
    importer(&v)?;
    let user = v.session.user.user_id;
    let s = match read_form(form).await? {
        Ok(s) => s,
        Err(message) => return refused(&v, ListKind::Members, "", message),
    };
    v.check_csrf(&s.csrf)?;
    let kind = kind_of(&s.kind);
    let u = if !s.file.is_empty() {
        let Some(kind) = kind else {
            return refused(&v, ListKind::Members, &s.sheet, "Hãy chọn tệp liệt kê gì: thành viên, thôn hay tổ".into());
        };
        if s.file.iter().all(u8::is_ascii_whitespace) {
            return refused(&v, kind, &s.sheet, sheets::SheetError::Empty.to_string());
        }
        let name = s.file_name.rsplit(['/', '\\']).next().unwrap_or_default().trim().to_owned();
        let sheet = Some(s.sheet.as_str()).filter(|x| !x.is_empty());
        let id = uploads::put(&state.db, user, &name, code_of(kind), sheet, &s.file).await?;
        uploads::get(&state.db, user, id).await?
    } else if !s.upload.is_empty() {
        let id = upload_id(&s.upload)?;
        uploads::get(&state.db, user, id).await?;
        if !s.mapping.is_empty() {
            uploads::set_overrides(&state.db, user, id, &overrides_text(&s.mapping)).await?;
        }
        uploads::get(&state.db, user, id).await?
    } else {
        return refused(&v, kind.unwrap_or(ListKind::Members), &s.sheet, "Chưa chọn tệp để nhập".into());
    };
    show(&state, &v, &u, Vec::new()).await
}

/// Checks the upload as a dry run and shows the preview, with `errors` above it.
async fn show(state: &AppState, v: &Viewer, u: &Upload, mut errors: Vec<String>) -> Result<Response, AppError> {
    let kind = kind_of(&u.kind).unwrap_or(ListKind::Members);
    match check(state, v, u, true).await? {
        Ok(checked) => {
            let mut p = ImportPage::new(v, kind);
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            p.errors = errors;
            p.preview = Some(preview_of(u, checked));
            p.answer(status)
        }
        // A correction the file does not fit (a column one sheet lacks): the file is read again
        // as detected, and the person told why.
        Err(message) if !u.overrides.is_empty() => {
            uploads::set_overrides(&state.db, u.user_id, u.import_upload_id, "").await?;
            let u = uploads::get(&state.db, u.user_id, u.import_upload_id).await?;
            errors.push(format!("Không áp dụng được cách đọc cột đã chọn: {message}"));
            Box::pin(show(state, v, &u, errors)).await
        }
        Err(message) => {
            // A file that cannot be read is not kept.
            uploads::delete(&state.db, u.user_id, u.import_upload_id).await?;
            refused(v, kind, u.sheet.as_deref().unwrap_or_default(), message)
        }
    }
}

async fn apply(State(state): State<AppState>, v: Viewer, form: Multipart) -> Result<Response, AppError> {
    importer(&v)?;
    let user = v.session.user.user_id;
    let s = match read_form(form).await? {
        Ok(s) => s,
        Err(message) => return refused(&v, ListKind::Members, "", message),
    };
    v.check_csrf(&s.csrf)?;
    if s.upload.is_empty() {
        return refused(&v, ListKind::Members, "", "Chưa có tệp để nhập: hãy tải tệp lên và xem trước".into());
    }
    let id = upload_id(&s.upload)?;
    let u = uploads::get(&state.db, user, id).await?;
    // A mapping changed on the page but not previewed is previewed first, not applied.
    if !s.mapping.is_empty() && overrides_text(&s.mapping) != u.overrides {
        uploads::set_overrides(&state.db, user, id, &overrides_text(&s.mapping)).await?;
        let u = uploads::get(&state.db, user, id).await?;
        let m = "Cách đọc các cột đã thay đổi: hãy xem lại kết quả dưới đây rồi mới nhập".to_owned();
        return show(&state, &v, &u, vec![m]).await;
    }
    if !s.confirm {
        return show(&state, &v, &u, vec!["Hãy đánh dấu ô xác nhận trước khi nhập".into()]).await;
    }
    let kind = kind_of(&u.kind).unwrap_or(ListKind::Members);
    match check(&state, &v, &u, false).await? {
        Ok(checked) => {
            let applied = checked.report.applied;
            let r = &checked.report;
            tracing::info!(
                kind = %u.kind,
                applied,
                created = r.created,
                updated = r.updated,
                unchanged = r.unchanged,
                errors = r.errors.len(),
                "import"
            );
            if applied {
                uploads::delete(&state.db, user, id).await?;
            }
            let mut p = ImportPage::new(&v, kind);
            if !applied {
                p.errors.push("Không nhập gì: tệp còn lỗi. Hãy sửa các dòng bị lỗi rồi tải tệp lên lại.".into());
            }
            p.preview = Some(preview_of(&u, checked));
            p.answer(if applied { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY })
        }
        Err(message) => refused(&v, kind, "", message),
    }
}

fn xlsx(bytes: Vec<u8>, file: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.xlsx\"")),
        ],
        bytes,
    )
        .into_response()
}

/// The file as uploaded, with a column saying what is wrong with each row.
async fn errors_book(
    State(state): State<AppState>,
    v: Viewer,
    Path(upload): Path<String>,
) -> Result<Response, AppError> {
    importer(&v)?;
    let u = uploads::get(&state.db, v.session.user.user_id, upload_id(&upload)?).await?;
    let checked = match check(&state, &v, &u, true).await? {
        Ok(c) => c,
        Err(message) => return Err(AppError::BadRequest(message)),
    };
    let (name, bytes) = (u.file_name.clone(), u.bytes.clone());
    let book = tokio::task::spawn_blocking(move || {
        import_book::errors_workbook(&name, &bytes, &checked.read.mappings, &checked.report.errors)
    })
    .await?
    .map_err(|e| AppError::Internal(format!("error workbook: {e}")))?;
    Ok(xlsx(book, "loi-nhap"))
}

/// The template of a list, with the communes the user changes in its dropdown.
async fn template(State(state): State<AppState>, v: Viewer, Query(q): Query<KindQuery>) -> Result<Response, AppError> {
    importer(&v)?;
    let kind = kind_of(&q.kind).unwrap_or(ListKind::Members);
    let communes = store::units::list(&state.db, &v.access.write, Some(domain::units::Level::Commune), None).await?;
    let mut names: Vec<String> = communes.into_iter().map(|u| u.name).collect();
    names.sort_by_cached_key(|n| domain::text::sort_key(n));
    names.dedup();
    let book = tokio::task::spawn_blocking(move || import_book::template(kind, &names, &[]))
        .await?
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(xlsx(book, &format!("mau-nhap-{}", code_of(kind))))
}
