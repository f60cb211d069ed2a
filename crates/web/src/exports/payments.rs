//! Paying the teams: the month's payment lists, one list's lines, the ledger, work-day claims
//! and the report of planned, owed and paid by month. Money as whole đồng in money cells.

use domain::funding::YearMonth;
use sheets::{Column, Kind, Table, Value};
use store::payments::{Claim, LedgerEntry, ListStatus, MonthFigures, PaymentLine, PaymentList};
use time::Date;

use super::{row_number, title};

fn month_label(m: &str) -> String {
    YearMonth::parse(m).map(YearMonth::label).unwrap_or_else(|_| m.to_owned())
}

/// The payment lists of a month: commune, total, where each stands.
#[must_use]
pub fn payment_lists(rows: &[PaymentList], month: YearMonth, place: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Mã xã", Kind::Text),
        Column::new("Xã", Kind::Text),
        Column::new("Tháng", Kind::Text),
        Column::new("Tổng tiền (đồng)", Kind::Money),
        Column::new("Trạng thái", Kind::Text),
        Column::new("Người lập", Kind::Text),
        Column::new("Ngày chi", Kind::Date),
    ];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                row_number(i),
                l.commune_code.clone().into(),
                l.commune.clone().into(),
                month_label(&l.month).into(),
                Value::Money(l.total),
                l.status().map_or("", ListStatus::label).into(),
                l.prepared_by.clone().into(),
                super::date(l.paid_on.as_deref()),
            ]
        })
        .collect();
    Table {
        sheet: "Bảng kê chi trả".into(),
        title: title(&format!("DANH SÁCH BẢNG KÊ CHI TRẢ THÁNG {}", month.label()), place),
        data_date: day,
        columns,
        rows,
    }
}

/// One payment list's lines, with the total.
#[must_use]
pub fn payment_lines(l: &PaymentList, lines: &[PaymentLine], day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Họ và tên", Kind::Text),
        Column::new("Tổ", Kind::Text),
        Column::new("Nội dung", Kind::Text),
        Column::new("Số tiền (đồng)", Kind::Money),
    ];
    let mut rows: Vec<Vec<Value>> = lines
        .iter()
        .map(|x| {
            vec![
                super::count(x.line_no),
                x.payee.clone().into(),
                x.team_name.clone().into(),
                x.policy_name.clone().into(),
                Value::Money(x.amount),
            ]
        })
        .collect();
    rows.push(vec![Value::Empty, "Tổng cộng".into(), Value::Empty, Value::Empty, Value::Money(l.total)]);
    Table {
        sheet: "Bảng kê".into(),
        title: format!("BẢNG KÊ CHI TRẢ — {}, THÁNG {}", l.commune, month_label(&l.month)),
        data_date: day,
        columns,
        rows,
    }
}

/// A ledger entry's kind as people read it.
fn entry_kind(kind: &str) -> &'static str {
    match kind {
        "payment" => "Chi trả",
        "reversal" => "Đảo bút toán",
        _ => "Điều chỉnh",
    }
}

/// The ledger's entries in a period, with the sum of what was paid.
#[must_use]
pub fn ledger(rows: &[LedgerEntry], balance: i64, place: &str, period: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("Số bút toán", Kind::Number),
        Column::new("Ngày chi", Kind::Date),
        Column::new("Tháng", Kind::Text),
        Column::new("Loại", Kind::Text),
        Column::new("Mã xã", Kind::Text),
        Column::new("Tổ", Kind::Text),
        Column::new("Người nhận", Kind::Text),
        Column::new("Số tiền (đồng)", Kind::Money),
        Column::new("Ghi chú", Kind::Text),
        Column::new("Người ghi", Kind::Text),
    ];
    let mut rows: Vec<Vec<Value>> = rows
        .iter()
        .map(|g| {
            vec![
                super::count(g.id),
                super::date(Some(&g.paid_on)),
                month_label(&g.month).into(),
                entry_kind(&g.kind).into(),
                g.commune_code.clone().into(),
                g.team.clone().into(),
                g.payee.clone().into(),
                Value::Money(g.amount),
                g.note.clone().into(),
                g.recorded_by.clone().into(),
            ]
        })
        .collect();
    let mut total = vec![Value::Empty; 10];
    total[3] = "Cộng".into();
    total[7] = Value::Money(balance);
    rows.push(total);
    let what =
        if period.is_empty() { "SỔ CÁI CHI TRẢ".to_owned() } else { format!("SỔ CÁI CHI TRẢ {period}") };
    Table { sheet: "Sổ cái".into(), title: title(&what, place), data_date: day, columns, rows }
}

/// A claim's status as people read it.
fn claim_status(s: &str) -> &'static str {
    match s {
        "approved" => "Đã duyệt",
        "rejected" => "Không duyệt",
        _ => "Chờ duyệt",
    }
}

/// The work-day claims of a month.
#[must_use]
pub fn claims(rows: &[Claim], month: YearMonth, place: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Ngày làm", Kind::Date),
        Column::new("Người làm", Kind::Text),
        Column::new("Tổ", Kind::Text),
        Column::new("Việc đã làm", Kind::Text),
        Column::new("Người huy động", Kind::Text),
        Column::new("Trạng thái", Kind::Text),
    ];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            vec![
                row_number(i),
                super::date(Some(&w.worked_on)),
                w.full_name.clone().into(),
                w.team.clone().into(),
                w.task.clone().into(),
                w.mobilised_by.clone().into(),
                claim_status(&w.status).into(),
            ]
        })
        .collect();
    Table {
        sheet: "Ngày công".into(),
        title: title(&format!("DANH SÁCH NGÀY CÔNG THÁNG {}", month.label()), place),
        data_date: day,
        columns,
        rows,
    }
}

/// Planned, owed and paid month by month for a unit, with the totals.
#[must_use]
pub fn payments_report(rows: &[MonthFigures], unit: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("Tháng", Kind::Text),
        Column::new("Kế hoạch (đồng)", Kind::Money),
        Column::new("Phải chi (đồng)", Kind::Money),
        Column::new("Đã chi (đồng)", Kind::Money),
    ];
    let mut out: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| {
            vec![
                month_label(&r.month).into(),
                Value::Money(r.planned.value()),
                Value::Money(r.owed.value()),
                Value::Money(r.paid.value()),
            ]
        })
        .collect();
    let sum = |f: fn(&MonthFigures) -> i64| rows.iter().map(f).fold(0_i64, i64::saturating_add);
    out.push(vec![
        "Cộng".into(),
        Value::Money(sum(|r| r.planned.value())),
        Value::Money(sum(|r| r.owed.value())),
        Value::Money(sum(|r| r.paid.value())),
    ]);
    let period = match (rows.first(), rows.last()) {
        (Some(a), Some(b)) => format!(", TỪ THÁNG {} ĐẾN THÁNG {}", month_label(&a.month), month_label(&b.month)),
        _ => String::new(),
    };
    Table {
        sheet: "Kế hoạch - đã chi".into(),
        title: format!("KẾ HOẠCH, PHẢI CHI, ĐÃ CHI — {unit}{period}"),
        data_date: day,
        columns,
        rows: out,
    }
}
