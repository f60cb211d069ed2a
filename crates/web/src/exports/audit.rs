//! The audit trail (nhật ký thao tác) as the administrators' page filters it.

use sheets::{Column, Kind, Table};
use store::audit::Recorded;
use time::Date;

use super::count;

/// The events, oldest last as the page lists them; the moment as stored (UTC), the values before
/// and after as their JSON.
#[must_use]
pub fn audit(rows: &[Recorded], period: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("Số", Kind::Number),
        Column::new("Thời điểm (UTC)", Kind::Text),
        Column::new("Người dùng", Kind::Text),
        Column::new("Kênh", Kind::Text),
        Column::new("Địa chỉ", Kind::Text),
        Column::new("Đối tượng", Kind::Text),
        Column::new("Mã", Kind::Text),
        Column::new("Thao tác", Kind::Text),
        Column::new("Đơn vị", Kind::Text),
        Column::new("Trước", Kind::Text),
        Column::new("Sau", Kind::Text),
    ];
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                count(r.audit_event_id),
                r.occurred_at.replace('T', " ").trim_end_matches('Z').to_owned().into(),
                r.actor.clone().into(),
                r.channel.clone().into(),
                r.address.clone().unwrap_or_default().into(),
                r.entity.clone().into(),
                r.entity_id.map(|i| i.to_string()).unwrap_or_default().into(),
                r.action.clone().into(),
                r.unit_path.clone().unwrap_or_default().into(),
                r.before_json.clone().unwrap_or_default().into(),
                r.after_json.clone().unwrap_or_default().into(),
            ]
        })
        .collect();
    let title =
        if period.is_empty() { "NHẬT KÝ THAO TÁC".to_owned() } else { format!("NHẬT KÝ THAO TÁC {period}") };
    Table { sheet: "Nhật ký thao tác".into(), title, data_date: day, columns, rows }
}
