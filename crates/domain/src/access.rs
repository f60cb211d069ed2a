//! Who may do what: the roles a user is granted on a unit (or, for a team leader, on a team),
//! and how personal data is masked for those who need not see it whole.

use serde::Serialize;

/// A user's role, held on a unit (and everything under it) or, for a team leader, on a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Quản trị tỉnh: everything in the unit, plus users, unit changes and the audit trail.
    ProvinceAdmin,
    /// Cán bộ tỉnh: reads and changes the registry in the unit.
    ProvinceOfficer,
    /// Người duyệt chi: reads the unit and approves payments.
    FinanceApprover,
    /// Cán bộ xã: reads and changes the registry of a commune.
    CommuneOfficer,
    /// Tổ trưởng: reads the team's commune (personal data masked outside the team) and changes
    /// the team's own record and members.
    TeamLeader,
    /// Người xem: reads the unit, personal data masked.
    Viewer,
}

impl UserRole {
    pub const ALL: [UserRole; 6] = [
        UserRole::ProvinceAdmin,
        UserRole::ProvinceOfficer,
        UserRole::FinanceApprover,
        UserRole::CommuneOfficer,
        UserRole::TeamLeader,
        UserRole::Viewer,
    ];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            UserRole::ProvinceAdmin => "province_admin",
            UserRole::ProvinceOfficer => "province_officer",
            UserRole::FinanceApprover => "finance_approver",
            UserRole::CommuneOfficer => "commune_officer",
            UserRole::TeamLeader => "team_leader",
            UserRole::Viewer => "viewer",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The name on screen.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            UserRole::ProvinceAdmin => "Quản trị tỉnh",
            UserRole::ProvinceOfficer => "Cán bộ tỉnh",
            UserRole::FinanceApprover => "Người duyệt chi",
            UserRole::CommuneOfficer => "Cán bộ xã",
            UserRole::TeamLeader => "Tổ trưởng",
            UserRole::Viewer => "Người xem",
        }
    }

    #[must_use]
    pub fn label_en(self) -> &'static str {
        match self {
            UserRole::ProvinceAdmin => "Province administrator",
            UserRole::ProvinceOfficer => "Province officer",
            UserRole::FinanceApprover => "Finance approver",
            UserRole::CommuneOfficer => "Commune officer",
            UserRole::TeamLeader => "Team leader",
            UserRole::Viewer => "Viewer",
        }
    }

    /// Creates and changes villages, teams and members within the unit.
    #[must_use]
    pub fn writes_registry(self) -> bool {
        matches!(self, UserRole::ProvinceAdmin | UserRole::ProvinceOfficer | UserRole::CommuneOfficer)
    }

    /// Sees phone numbers and CCCDs whole within the unit (a team leader: within the team).
    #[must_use]
    pub fn sees_personal_data(self) -> bool {
        !matches!(self, UserRole::Viewer | UserRole::TeamLeader)
    }

    /// Manages users and grants, applies unit changes, reads the audit trail.
    #[must_use]
    pub fn administers(self) -> bool {
        self == UserRole::ProvinceAdmin
    }

    /// Approves payment lists.
    #[must_use]
    pub fn approves_payments(self) -> bool {
        self == UserRole::FinanceApprover
    }

    /// Held on a team rather than a unit.
    #[must_use]
    pub fn on_team(self) -> bool {
        self == UserRole::TeamLeader
    }
}

/// Masks a stored phone number for people who need not see it: `0912 *** 678`. Anything that is
/// not a phone number is masked all but its last two characters.
#[must_use]
pub fn mask_phone(phone: &str) -> String {
    match crate::PhoneVn::parse(phone) {
        Ok(p) => p.masked(),
        Err(_) => mask_rest(phone),
    }
}

/// Masks a stored CCCD: `049 ****** 123` keeps the province code and the last three digits.
#[must_use]
pub fn mask_cccd(cccd: &str) -> String {
    let chars: Vec<char> = cccd.chars().collect();
    if chars.len() == 12 && chars.iter().all(char::is_ascii_digit) {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[9..].iter().collect();
        format!("{head} ****** {tail}")
    } else {
        mask_rest(cccd)
    }
}

fn mask_rest(s: &str) -> String {
    let n = s.chars().count();
    let keep = n.saturating_sub(2);
    s.chars().enumerate().map(|(i, c)| if i < keep { '*' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_by_code() {
        for r in UserRole::ALL {
            assert_eq!(UserRole::from_code(r.code()), Some(r));
        }
        assert_eq!(UserRole::from_code("admin"), None);
    }

    #[test]
    fn only_viewers_and_team_leaders_see_masked_data() {
        let masked: Vec<_> = UserRole::ALL.into_iter().filter(|r| !r.sees_personal_data()).collect();
        assert_eq!(masked, vec![UserRole::TeamLeader, UserRole::Viewer]);
        let writers: Vec<_> = UserRole::ALL.into_iter().filter(|r| r.writes_registry()).collect();
        assert_eq!(writers, vec![UserRole::ProvinceAdmin, UserRole::ProvinceOfficer, UserRole::CommuneOfficer]);
    }

    #[test]
    fn masks_keep_only_what_identifies_nothing() {
        assert_eq!(mask_phone("0912345678"), "0912 *** 678");
        assert_eq!(mask_cccd("049123456789"), "049 ****** 789");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_cccd(""), "");
    }
}
