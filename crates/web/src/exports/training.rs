//! Training: the sessions, one session's invited teams and their attendance, and the members not
//! trained.

use sheets::{Column, Kind, Table, Value};
use store::training::{InvitedTeam, Session, Untrained};
use time::Date;

use super::{count, row_number, title};

/// The training sessions, newest first.
#[must_use]
pub fn sessions(rows: &[Session], day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Ngày tập huấn", Kind::Date),
        Column::new("Khóa tập huấn", Kind::Text),
        Column::new("Đơn vị tổ chức", Kind::Text),
        Column::new("Nội dung", Kind::Text),
        Column::new("Địa điểm", Kind::Text),
        Column::new("Giảng viên", Kind::Text),
        Column::new("Số tổ được mời", Kind::Number),
        Column::new("Số người có mặt", Kind::Number),
    ];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                row_number(i),
                super::date(Some(&s.held_on)),
                s.title.clone().into(),
                s.organiser.clone().into(),
                s.topics.clone().into(),
                s.venue.clone().into(),
                s.trainers.clone().into(),
                count(s.teams),
                count(s.present),
            ]
        })
        .collect();
    Table {
        sheet: "Buổi tập huấn".into(), title: "DANH SÁCH BUỔI TẬP HUẤN".into(), data_date: day, columns, rows
    }
}

/// A session's invited teams (those the reader sees) with their attendance, and the total.
#[must_use]
pub fn attendance(s: &Session, teams: &[InvitedTeam], day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Tổ", Kind::Text),
        Column::new("Xã", Kind::Text),
        Column::new("Số thành viên", Kind::Number),
        Column::new("Có mặt", Kind::Number),
        Column::new("Vắng", Kind::Number),
        Column::new("Vắng có phép", Kind::Number),
    ];
    let mut rows: Vec<Vec<Value>> = teams
        .iter()
        .enumerate()
        .map(|(i, t)| {
            vec![
                row_number(i),
                t.team.clone().into(),
                t.commune.clone().into(),
                count(t.members),
                count(t.present),
                count(t.absent),
                count(t.excused),
            ]
        })
        .collect();
    let sum = |f: fn(&InvitedTeam) -> i64| count(teams.iter().map(f).sum());
    rows.push(vec![
        Value::Empty,
        "Cộng".into(),
        Value::Empty,
        sum(|t| t.members),
        sum(|t| t.present),
        sum(|t| t.absent),
        sum(|t| t.excused),
    ]);
    Table {
        sheet: "Điểm danh".into(),
        title: format!("ĐIỂM DANH BUỔI TẬP HUẤN NGÀY {} — {}", store::display_date(&s.held_on), s.title),
        data_date: day,
        columns,
        rows,
    }
}

/// Members not trained (never present, or not since `since`), phones as given (masked by the
/// caller for readers who may not see them).
#[must_use]
pub fn untrained(rows: &[Untrained], place: &str, since: Option<Date>, day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Họ và tên", Kind::Text),
        Column::new("Số điện thoại", Kind::Text),
        Column::new("Tổ", Kind::Text),
        Column::new("Thôn", Kind::Text),
        Column::new("Xã", Kind::Text),
        Column::new("Chức vụ trong tổ", Kind::Text),
        Column::new("Lần có mặt gần nhất", Kind::Date),
    ];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let m = &u.member;
            let last = match u.last_present.as_deref() {
                Some(d) => super::date(Some(d)),
                None => "Chưa tập huấn".into(),
            };
            vec![
                row_number(i),
                m.full_name.clone().into(),
                m.phone.clone().into(),
                m.team.clone().unwrap_or_default().into(),
                m.village.clone().unwrap_or_default().into(),
                m.commune.clone().unwrap_or_default().into(),
                m.role().map_or("", |r| r.label()).into(),
                last,
            ]
        })
        .collect();
    let what = match since {
        Some(d) => format!("DANH SÁCH THÀNH VIÊN CHƯA TẬP HUẤN TỪ NGÀY {}", domain::input::format_date(d)),
        None => "DANH SÁCH THÀNH VIÊN CHƯA TỪNG TẬP HUẤN".to_owned(),
    };
    Table { sheet: "Chưa tập huấn".into(), title: title(&what, place), data_date: day, columns, rows }
}
