//! Funding rules, pure: policies as data, the months a policy pays for, caps, and the budget
//! simulator's arithmetic. No amount, cap or rule for a particular province lives here: they come
//! from the policies a province records.
//!
//! **The part-month rule** (one rule, applied everywhere): a month counts, in full, for a team (or
//! a member) when on the 15th of that month the team exists (founded on or before the 15th, not
//! dissolved on or before it) and the policy is in force (effective on or before the 15th, not
//! ended on or before it). Otherwise the month counts for nothing. No day is paid pro rata.

use std::fmt;

use serde::Serialize;
use time::{Date, Month};

use crate::money::{MoneyError, Vnd};

/// The day of the month that decides whether a month counts.
pub const DECIDING_DAY: u8 = 15;

/// What a policy pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// An amount per team per month.
    TeamMonth,
    /// An amount per active member per month.
    MemberMonth,
    /// An amount per person per approved work day.
    WorkDay,
    /// An amount once, to a unit.
    OneOff,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 4] =
        [PolicyKind::TeamMonth, PolicyKind::MemberMonth, PolicyKind::WorkDay, PolicyKind::OneOff];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            PolicyKind::TeamMonth => "team_month",
            PolicyKind::MemberMonth => "member_month",
            PolicyKind::WorkDay => "work_day",
            PolicyKind::OneOff => "one_off",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            PolicyKind::TeamMonth => "Theo tổ, mỗi tháng",
            PolicyKind::MemberMonth => "Theo thành viên, mỗi tháng",
            PolicyKind::WorkDay => "Theo người, mỗi ngày công",
            PolicyKind::OneOff => "Hỗ trợ một lần cho đơn vị",
        }
    }

    #[must_use]
    pub fn label_en(self) -> &'static str {
        match self {
            PolicyKind::TeamMonth => "Per team per month",
            PolicyKind::MemberMonth => "Per active member per month",
            PolicyKind::WorkDay => "Per person per work day",
            PolicyKind::OneOff => "One-off grant to a unit",
        }
    }
}

/// Whose budget pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingSource {
    Province,
    District,
    Commune,
}

impl FundingSource {
    pub const ALL: [FundingSource; 3] = [FundingSource::Province, FundingSource::District, FundingSource::Commune];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            FundingSource::Province => "province",
            FundingSource::District => "district",
            FundingSource::Commune => "commune",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            FundingSource::Province => "Ngân sách tỉnh",
            FundingSource::District => "Ngân sách huyện",
            FundingSource::Commune => "Ngân sách xã",
        }
    }
}

/// Whether a policy pays: a proposal is simulated but never owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyStatus {
    Proposed,
    InForce,
    Withdrawn,
}

impl PolicyStatus {
    pub const ALL: [PolicyStatus; 3] = [PolicyStatus::Proposed, PolicyStatus::InForce, PolicyStatus::Withdrawn];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            PolicyStatus::Proposed => "proposed",
            PolicyStatus::InForce => "in_force",
            PolicyStatus::Withdrawn => "withdrawn",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            PolicyStatus::Proposed => "Đề xuất",
            PolicyStatus::InForce => "Đang áp dụng",
            PolicyStatus::Withdrawn => "Đã bãi bỏ",
        }
    }
}

/// A calendar month, `2024-09`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    pub month: Month,
}

impl YearMonth {
    #[must_use]
    pub fn new(year: i32, month: Month) -> Self {
        Self { year, month }
    }

    /// Reads `2024-09` or `09/2024`.
    ///
    /// # Errors
    /// A Vietnamese message naming the expected forms.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("Tháng “{s}” không hợp lệ; ghi theo dạng yyyy-mm (vd. 2024-09) hoặc mm/yyyy");
        let (y, m) = match (s.split_once('-'), s.split_once('/')) {
            (Some((y, m)), None) => (y, m),
            (None, Some((m, y))) => (y, m),
            _ => return Err(bad()),
        };
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        if !(1900..=2200).contains(&year) || y.len() != 4 {
            return Err(bad());
        }
        let month = Month::try_from(month).map_err(|_| bad())?;
        Ok(Self { year, month })
    }

    /// The month holding a day.
    #[must_use]
    pub fn of(day: Date) -> Self {
        Self { year: day.year(), month: day.month() }
    }

    #[must_use]
    pub fn first_day(self) -> Date {
        Date::from_calendar_date(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    /// The day that decides whether the month counts (the 15th).
    #[must_use]
    pub fn deciding_day(self) -> Date {
        Date::from_calendar_date(self.year, self.month, DECIDING_DAY).unwrap_or(Date::MIN)
    }

    #[must_use]
    pub fn next(self) -> Self {
        match self.month {
            Month::December => Self { year: self.year + 1, month: Month::January },
            m => Self { year: self.year, month: m.next() },
        }
    }

    /// This month and the `n - 1` after it.
    #[must_use]
    pub fn span(self, n: u32) -> Vec<YearMonth> {
        let mut out = Vec::new();
        let mut m = self;
        for _ in 0..n {
            out.push(m);
            m = m.next();
        }
        out
    }

    /// `09/2024`, as people read it.
    #[must_use]
    pub fn label(self) -> String {
        format!("{:02}/{}", u8::from(self.month), self.year)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.year, u8::from(self.month))
    }
}

/// The terms of one version of a policy: what the arithmetic needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Terms {
    pub kind: PolicyKind,
    pub amount: Vnd,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    /// At most this many months per team (or member).
    pub cap_months: Option<u32>,
    /// At most this much per team (or member) per calendar year.
    pub cap_per_year: Option<Vnd>,
}

impl Terms {
    /// Whether the policy is in force on a day (its end day is the first day it is not).
    #[must_use]
    pub fn in_force_on(&self, day: Date) -> bool {
        self.effective_from <= day && self.effective_to.is_none_or(|end| day < end)
    }

    /// Whether a month counts under this policy, by the part-month rule.
    #[must_use]
    pub fn counts(&self, month: YearMonth) -> bool {
        self.in_force_on(month.deciding_day())
    }

    /// The months of `months` this policy pays one team (or member) for, given how many months
    /// it has already been paid: in force on the deciding day, and within the cap in months.
    #[must_use]
    pub fn paid_months(&self, months: &[YearMonth], already: u32) -> Vec<YearMonth> {
        let left = self.cap_months.map_or(u32::MAX, |c| c.saturating_sub(already));
        months.iter().copied().filter(|m| self.counts(*m)).take(usize::try_from(left).unwrap_or(usize::MAX)).collect()
    }

    /// What one team (or member) is owed for `months` under this policy, given the months it has
    /// already been paid for (`already_months`) and what each calendar year already paid it
    /// (`paid_in_year`): the amount for each month in force, each calendar year held to the cap
    /// per year, at most the cap in months. A month in which nothing is left to pay (the year's
    /// cap is reached) does not count against the cap in months. Computing month by month, each
    /// time counting what came before, owes exactly what the whole period owes at once.
    ///
    /// # Errors
    /// Overflow.
    pub fn owed(
        &self,
        months: &[YearMonth],
        already_months: u32,
        paid_in_year: &dyn Fn(i32) -> Vnd,
    ) -> Result<Vnd, MoneyError> {
        let mut left = self.cap_months.map_or(u32::MAX, |c| c.saturating_sub(already_months));
        let mut this_call: Vec<(i32, Vnd)> = Vec::new();
        let mut total = Vnd::ZERO;
        for m in months.iter().copied().filter(|m| self.counts(*m)) {
            if left == 0 {
                break;
            }
            let mut amount = self.amount;
            if let Some(cap) = self.cap_per_year {
                let here = this_call.iter().find(|(y, _)| *y == m.year).map_or(Vnd::ZERO, |(_, v)| *v);
                let used = paid_in_year(m.year).try_add(here)?;
                amount = amount.min(Vnd::new((cap.value() - used.value()).max(0)));
            }
            if amount.value() == 0 {
                continue;
            }
            total = total.try_add(amount)?;
            match this_call.iter_mut().find(|(y, _)| *y == m.year) {
                Some((_, v)) => *v = v.try_add(amount)?,
                None => this_call.push((m.year, amount)),
            }
            left -= 1;
        }
        Ok(total)
    }
}

/// The budget simulator's scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// The teams that exist on the first day of the period.
    CurrentTeams,
    /// One team in every village; a village without a team is assumed to get one of the minimum
    /// size (five members).
    FullCoverage,
}

impl Scenario {
    pub const ALL: [Scenario; 2] = [Scenario::CurrentTeams, Scenario::FullCoverage];

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Scenario::CurrentTeams => "Các tổ hiện có",
            Scenario::FullCoverage => "Mỗi thôn một tổ",
        }
    }

    #[must_use]
    pub fn label_en(self) -> &'static str {
        match self {
            Scenario::CurrentTeams => "Current teams",
            Scenario::FullCoverage => "One team per village",
        }
    }
}

/// One village as the registry stood on the first day of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectedVillage {
    /// Which row of the breakdown it counts in.
    pub row: usize,
    /// Its commune's path on that day (`49/502/20335/`), matched against policy scopes.
    pub commune_path: String,
    pub has_team: bool,
    pub members: i64,
}

/// A policy as the simulator takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimPolicy {
    pub terms: Terms,
    /// The path of the unit it covers (everything under it).
    pub scope_path: String,
    /// For a one-off grant: the breakdown row it falls in, if the unit lies in the simulated one.
    pub one_off_row: Option<usize>,
}

/// Work days assumed per member per month, for work-day policies (the simulator cannot know).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assumptions {
    pub work_days_per_member_month: u32,
}

/// The cost of one policy in one scenario, by breakdown row.
///
/// # Errors
/// Overflow.
pub fn simulate(
    policy: &SimPolicy,
    scenario: Scenario,
    villages: &[ProjectedVillage],
    rows: usize,
    months: &[YearMonth],
    assume: Assumptions,
) -> Result<Vec<Vnd>, MoneyError> {
    let mut out = vec![Vnd::ZERO; rows];
    let nothing_paid = |_: i32| Vnd::ZERO;
    let t = &policy.terms;
    match t.kind {
        PolicyKind::OneOff => {
            let in_period = months.iter().any(|m| YearMonth::of(t.effective_from) == *m);
            if let (true, Some(row)) = (in_period, policy.one_off_row)
                && let Some(cell) = out.get_mut(row)
            {
                *cell = t.amount;
            }
        }
        PolicyKind::TeamMonth | PolicyKind::MemberMonth | PolicyKind::WorkDay => {
            // Each team (or member) is owed the same under a policy over the same months.
            let per_head = match t.kind {
                PolicyKind::WorkDay => {
                    let days = i64::from(assume.work_days_per_member_month);
                    let paid = i64::try_from(t.paid_months(months, 0).len()).unwrap_or(i64::MAX);
                    t.amount.try_mul(days)?.try_mul(paid)?
                }
                _ => t.owed(months, 0, &nothing_paid)?,
            };
            for v in villages.iter().filter(|v| v.commune_path.starts_with(&policy.scope_path)) {
                let (teams, members) = match (scenario, v.has_team) {
                    (_, true) => (1, v.members),
                    (Scenario::CurrentTeams, false) => (0, 0),
                    (Scenario::FullCoverage, false) => (1, crate::team::MIN_TEAM_MEMBERS),
                };
                let heads = if t.kind == PolicyKind::TeamMonth { teams } else { members };
                if let Some(cell) = out.get_mut(v.row) {
                    *cell = cell.try_add(per_head.try_mul(heads)?)?;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn option_a() -> Terms {
        Terms {
            kind: PolicyKind::TeamMonth,
            amount: Vnd::new(500_000),
            effective_from: date!(2024 - 09 - 01),
            effective_to: None,
            cap_months: Some(24),
            cap_per_year: None,
        }
    }

    fn villages(with_team: usize, without: usize) -> Vec<ProjectedVillage> {
        let mut v = Vec::new();
        for i in 0..with_team + without {
            v.push(ProjectedVillage {
                row: i % 2,
                commune_path: "49/502/20335/".into(),
                has_team: i < with_team,
                members: if i < with_team { 7 } else { 0 },
            });
        }
        v
    }

    #[test]
    fn months_read_and_count_by_the_fifteenth() {
        let m = YearMonth::parse("2024-09").expect("month");
        assert_eq!(m, YearMonth::parse("09/2024").expect("month"));
        assert_eq!(m.to_string(), "2024-09");
        assert_eq!(m.label(), "09/2024");
        assert!(YearMonth::parse("2024-13").is_err() && YearMonth::parse("24-09").is_err());
        assert_eq!(YearMonth::parse("2024-12").expect("m").next().to_string(), "2025-01");
        let mut t = option_a();
        t.effective_from = date!(2024 - 09 - 15);
        assert!(t.counts(m), "in force on the 15th: the month counts");
        t.effective_from = date!(2024 - 09 - 16);
        assert!(!t.counts(m), "from the 16th: it does not");
        t.effective_from = date!(2024 - 01 - 01);
        t.effective_to = Some(date!(2024 - 09 - 15));
        assert!(!t.counts(m), "ended on the 15th: it does not");
    }

    #[test]
    fn the_cap_in_months_holds_and_the_25th_month_adds_nothing() {
        let t = option_a();
        let from = YearMonth::parse("2024-09").expect("m");
        let none = |_: i32| Vnd::ZERO;
        assert_eq!(t.owed(&from.span(24), 0, &none).expect("owed"), Vnd::new(12_000_000));
        assert_eq!(t.owed(&from.span(25), 0, &none).expect("owed"), Vnd::new(12_000_000));
        assert_eq!(t.owed(&from.span(12), 20, &none).expect("owed"), Vnd::new(2_000_000), "4 months left");
    }

    #[test]
    fn the_cap_per_year_holds_each_calendar_year() {
        let t = Terms { cap_per_year: Some(Vnd::new(3_000_000)), cap_months: None, ..option_a() };
        let from = YearMonth::parse("2025-01").expect("m");
        let none = |_: i32| Vnd::ZERO;
        assert_eq!(t.owed(&from.span(12), 0, &none).expect("owed"), Vnd::new(3_000_000));
        // Two calendar years: each held to the cap.
        let from = YearMonth::parse("2025-07").expect("m");
        assert_eq!(t.owed(&from.span(12), 0, &none).expect("owed"), Vnd::new(6_000_000));
        // What the year already paid counts.
        let paid = |y: i32| if y == 2025 { Vnd::new(2_500_000) } else { Vnd::ZERO };
        assert_eq!(t.owed(&from.span(6), 0, &paid).expect("owed"), Vnd::new(500_000));
    }

    #[test]
    fn the_simulator_counts_teams_or_villages_by_scenario() {
        let p = SimPolicy { terms: option_a(), scope_path: "49/".into(), one_off_row: None };
        let months = YearMonth::parse("2024-09").expect("m").span(12);
        let v = villages(3, 2);
        let current = simulate(&p, Scenario::CurrentTeams, &v, 2, &months, Assumptions::default()).expect("sim");
        assert_eq!(current.iter().map(|d| d.value()).sum::<i64>(), 3 * 6_000_000);
        let full = simulate(&p, Scenario::FullCoverage, &v, 2, &months, Assumptions::default()).expect("sim");
        assert_eq!(full.iter().map(|d| d.value()).sum::<i64>(), 5 * 6_000_000);
        // A policy scoped elsewhere pays nothing here.
        let elsewhere = SimPolicy { scope_path: "49/518/".into(), ..p.clone() };
        let none = simulate(&elsewhere, Scenario::FullCoverage, &v, 2, &months, Assumptions::default()).expect("sim");
        assert!(none.iter().all(|d| *d == Vnd::ZERO));
        // Per member: members of current teams; full coverage adds five per new team.
        let b = SimPolicy {
            terms: Terms { kind: PolicyKind::MemberMonth, amount: Vnd::new(50_000), cap_months: None, ..option_a() },
            ..p
        };
        let cur = simulate(&b, Scenario::CurrentTeams, &v, 2, &months, Assumptions::default()).expect("sim");
        assert_eq!(cur.iter().map(|d| d.value()).sum::<i64>(), 21 * 50_000 * 12);
        let full = simulate(&b, Scenario::FullCoverage, &v, 2, &months, Assumptions::default()).expect("sim");
        assert_eq!(full.iter().map(|d| d.value()).sum::<i64>(), (21 + 10) * 50_000 * 12);
    }

    #[test]
    fn a_one_off_counts_once_in_its_month() {
        let t = Terms { kind: PolicyKind::OneOff, amount: Vnd::new(23_000_000), ..option_a() };
        let p = SimPolicy { terms: t, scope_path: "49/519/".into(), one_off_row: Some(1) };
        let v = villages(1, 0);
        let inside = YearMonth::parse("2024-06").expect("m").span(12);
        let r = simulate(&p, Scenario::CurrentTeams, &v, 2, &inside, Assumptions::default()).expect("sim");
        assert_eq!(r, vec![Vnd::ZERO, Vnd::new(23_000_000)]);
        let after = YearMonth::parse("2024-10").expect("m").span(12);
        let r = simulate(&p, Scenario::CurrentTeams, &v, 2, &after, Assumptions::default()).expect("sim");
        assert_eq!(r, vec![Vnd::ZERO, Vnd::ZERO]);
    }
}

/// A policy as typed in a form or given on the command line: text, checked by [`PolicyDraft::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct PolicyDraft {
    pub name: String,
    pub legal_basis: String,
    pub kind: String,
    pub amount: String,
    pub effective_from: String,
    pub effective_to: String,
    /// The code of the unit it covers.
    pub scope: String,
    pub cap_months: String,
    pub cap_per_year: String,
    pub source: String,
    pub status: String,
    pub note: String,
}

/// A checked policy, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInput {
    pub name: String,
    pub legal_basis: String,
    pub scope: String,
    pub source: FundingSource,
    pub status: PolicyStatus,
    pub note: String,
    #[serde(flatten)]
    pub terms: Terms,
}

impl PolicyDraft {
    /// Checks every field; all refusals at once, each beside its field.
    ///
    /// # Errors
    /// The refused fields, in Vietnamese.
    pub fn parse(&self) -> Result<PolicyInput, crate::input::FieldErrors> {
        let mut e = crate::input::FieldErrors::default();
        let name = crate::text::clean(&self.name);
        if name.is_empty() {
            e.push("name", "Chưa nhập tên chính sách");
        } else if name.chars().count() > 200 {
            e.push("name", "Tên chính sách dài quá 200 ký tự");
        }
        let kind = PolicyKind::from_code(self.kind.trim());
        if kind.is_none() {
            e.push("kind", "Chọn cách tính: theo tổ, theo thành viên, theo ngày công hoặc một lần");
        }
        let amount = match Vnd::parse(&self.amount) {
            Ok(a) if a.value() > 0 => Some(a),
            Ok(_) => {
                e.push("amount", "Mức hỗ trợ phải lớn hơn 0");
                None
            }
            Err(err) => {
                e.push("amount", err.to_string());
                None
            }
        };
        let from = match self.effective_from.trim() {
            "" => {
                e.push("effective_from", "Chưa nhập ngày bắt đầu hiệu lực");
                None
            }
            d => crate::input::parse_date(d).map_err(|m| e.push("effective_from", m)).ok(),
        };
        let to = match self.effective_to.trim() {
            "" => None,
            d => crate::input::parse_date(d).map_err(|m| e.push("effective_to", m)).ok(),
        };
        if let (Some(f), Some(t)) = (from, to)
            && t <= f
        {
            e.push("effective_to", "Ngày hết hiệu lực phải sau ngày bắt đầu");
        }
        let scope = self.scope.trim().to_owned();
        if scope.is_empty() {
            e.push("scope", "Chưa chọn đơn vị áp dụng");
        }
        let cap_months = match self.cap_months.trim() {
            "" => None,
            c => match c.parse::<u32>() {
                Ok(n) if (1..=600).contains(&n) => Some(n),
                _ => {
                    e.push("cap_months", "Số tháng tối đa phải là số nguyên từ 1 đến 600");
                    None
                }
            },
        };
        let cap_per_year = match self.cap_per_year.trim() {
            "" => None,
            c => match Vnd::parse(c) {
                Ok(a) if a.value() > 0 => Some(a),
                Ok(_) => {
                    e.push("cap_per_year", "Mức tối đa mỗi năm phải lớn hơn 0");
                    None
                }
                Err(err) => {
                    e.push("cap_per_year", err.to_string());
                    None
                }
            },
        };
        let source = FundingSource::from_code(self.source.trim());
        if source.is_none() {
            e.push("source", "Chọn nguồn kinh phí: ngân sách tỉnh, huyện hoặc xã");
        }
        let status = match self.status.trim() {
            "" => Some(PolicyStatus::Proposed),
            s => PolicyStatus::from_code(s),
        };
        if status.is_none() {
            e.push("status", "Trạng thái là đề xuất, đang áp dụng hoặc đã bãi bỏ");
        }
        let note = crate::text::clean(&self.note);
        match (kind, amount, from, source, status) {
            (Some(kind), Some(amount), Some(effective_from), Some(source), Some(status)) if e.is_empty() => {
                Ok(PolicyInput {
                    name,
                    legal_basis: crate::text::clean(&self.legal_basis),
                    scope,
                    source,
                    status,
                    note,
                    terms: Terms { kind, amount, effective_from, effective_to: to, cap_months, cap_per_year },
                })
            }
            _ => Err(e),
        }
    }
}
