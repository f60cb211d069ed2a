//! Funding: the policies the reader sees, and the budget simulator's answer as CSV.

use domain::funding::{FundingSource, PolicyStatus, Scenario, YearMonth};
use sheets::{Column, Kind, Table, Value};
use store::funding::{Policy, Simulation};
use time::Date;

use super::{count, row_number, title};

/// The funding policies, each version as the list shows it.
#[must_use]
pub fn policies(rows: &[Policy], place: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Tên chính sách", Kind::Text),
        Column::new("Căn cứ", Kind::Text),
        Column::new("Loại hỗ trợ", Kind::Text),
        Column::new("Mức hỗ trợ (đồng)", Kind::Money),
        Column::new("Từ ngày", Kind::Date),
        Column::new("Đến ngày", Kind::Date),
        Column::new("Mã đơn vị áp dụng", Kind::Text),
        Column::new("Đơn vị áp dụng", Kind::Text),
        Column::new("Nguồn kinh phí", Kind::Text),
        Column::new("Trạng thái", Kind::Text),
        Column::new("Phiên bản", Kind::Number),
    ];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                row_number(i),
                p.name.clone().into(),
                p.legal_basis.clone().into(),
                p.kind().map_or("", |k| k.label()).into(),
                Value::Money(p.amount),
                super::date(Some(&p.effective_from)),
                super::date(p.effective_to.as_deref()),
                p.scope_code.clone().into(),
                p.scope_name.clone().into(),
                p.source().map_or("", FundingSource::label).into(),
                p.status().map_or("", PolicyStatus::label).into(),
                count(p.version),
            ]
        })
        .collect();
    Table {
        sheet: "Chính sách hỗ trợ".into(),
        title: title("DANH SÁCH CHÍNH SÁCH HỖ TRỢ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", place),
        data_date: day,
        columns,
        rows,
    }
}

/// The budget simulator's answer as one table: for each scenario (phương án), a row per unit
/// below and the total, the policies side by side.
#[must_use]
pub fn budget(sim: &Simulation, day: Date) -> Table {
    let mut columns = vec![
        Column::new("Phương án", Kind::Text),
        Column::new("STT", Kind::Number),
        Column::new("Mã đơn vị", Kind::Text),
        Column::new("Đơn vị", Kind::Text),
        Column::new("Số thôn", Kind::Number),
        Column::new("Số tổ", Kind::Number),
        Column::new("Số thành viên", Kind::Number),
    ];
    columns.extend(sim.policies.iter().map(|p| Column::new(format!("{} (đồng)", p.name), Kind::Money)));
    let mut rows = Vec::new();
    for (i, scenario) in Scenario::ALL.iter().enumerate() {
        for (n, r) in sim.rows.iter().enumerate() {
            let mut row = vec![
                scenario.label().into(),
                row_number(n),
                r.code.clone().into(),
                r.name.clone().into(),
                count(r.villages),
                count(r.teams),
                count(r.members),
            ];
            row.extend(sim.policies.iter().map(|p| {
                p.scenarios.get(i).and_then(|s| s.rows.get(n)).map_or(Value::Empty, |v| Value::Money(v.value()))
            }));
            rows.push(row);
        }
        let mut total = vec![
            scenario.label().into(),
            Value::Empty,
            sim.unit.code.clone().into(),
            "Tổng cộng".into(),
            count(sim.unit.villages),
            count(sim.unit.teams),
            count(sim.unit.members),
        ];
        total.extend(
            sim.policies.iter().map(|p| p.scenarios.get(i).map_or(Value::Empty, |s| Value::Money(s.total.value()))),
        );
        rows.push(total);
    }
    let first = YearMonth::parse(&sim.from).map(YearMonth::label).unwrap_or_else(|_| sim.from.clone());
    Table {
        sheet: "Dự toán".into(),
        title: format!(
            "DỰ TOÁN KINH PHÍ HỖ TRỢ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG — {}, {} THÁNG TỪ THÁNG {first}",
            sim.unit.name, sim.months
        ),
        data_date: day,
        columns,
        rows,
    }
}
