//! The administrative units: the list of units found, and a unit's coverage by the units below.

use sheets::{Column, Kind, Table, Value};
use store::coverage::Coverage;
use store::units::Unit;
use time::Date;

use super::{count, row_number, title};

/// A level as people read it.
fn level(level: &str) -> &'static str {
    match level {
        "province" => "Tỉnh / Thành phố",
        "district" => "Huyện / Quận / Thị xã / Thành phố",
        "commune" => "Xã / Phường / Thị trấn",
        _ => "Thôn / Tổ dân phố",
    }
}

/// Units as a table: code (text, its leading zeros kept), name, level, since when.
#[must_use]
pub fn units(rows: &[Unit], place: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Mã đơn vị", Kind::Text),
        Column::new("Tên đơn vị", Kind::Text),
        Column::new("Cấp", Kind::Text),
        Column::new("Từ ngày", Kind::Date),
    ];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, u)| {
            vec![
                row_number(i),
                u.code.clone().into(),
                u.name.clone().into(),
                level(&u.level).into(),
                super::date(Some(&u.valid_from)),
            ]
        })
        .collect();
    Table {
        sheet: "Đơn vị hành chính".into(),
        title: title("DANH SÁCH ĐƠN VỊ HÀNH CHÍNH", place),
        data_date: day,
        columns,
        rows,
    }
}

/// Coverage per hundred villages, to one decimal.
fn percent(c: &Coverage) -> Value {
    Value::Number(c.percent())
}

/// A unit's coverage as a table: a row per unit below (a village per row for a commune), then
/// the total, as the unit's page shows them on `day`.
#[must_use]
pub fn coverage(unit: &Unit, cov: &Coverage, day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Mã đơn vị", Kind::Text),
        Column::new("Đơn vị", Kind::Text),
        Column::new("Số thôn", Kind::Number),
        Column::new("Thôn có tổ", Kind::Number),
        Column::new("Độ phủ (%)", Kind::Number),
        Column::new("Thành viên", Kind::Number),
        Column::new("Tổ dưới 5 người", Kind::Number),
        Column::new("Tổ thiếu cán bộ xã", Kind::Number),
        Column::new("Tổ thiếu tổ trưởng", Kind::Number),
    ];
    let figures = |c: &Coverage| {
        vec![
            count(c.villages),
            count(c.villages_with_team),
            percent(c),
            count(c.members),
            count(c.teams_under_5_members),
            count(c.teams_without_commune_official),
            count(c.teams_without_leader),
        ]
    };
    let mut rows: Vec<Vec<Value>> = cov
        .children
        .iter()
        .filter_map(|ch| ch.unit.as_ref().map(|u| (u, ch)))
        .enumerate()
        .map(|(i, (u, ch))| {
            // A commune's villages carry a made-up code (`v` and the village's number).
            let code = if u.code.starts_with('v') { String::new() } else { u.code.clone() };
            let mut row = vec![row_number(i), code.into(), u.name.clone().into()];
            row.extend(figures(ch));
            row
        })
        .collect();
    let mut total = vec![Value::Empty, unit.code.clone().into(), "Cộng".into()];
    total.extend(figures(cov));
    rows.push(total);
    let below = if unit.level == "commune" { "THÔN, TỔ DÂN PHỐ" } else { "ĐƠN VỊ TRỰC THUỘC" };
    Table {
        sheet: "Độ phủ".into(),
        title: format!("ĐỘ PHỦ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG THEO {below} — {}", unit.name),
        data_date: day,
        columns,
        rows,
    }
}
