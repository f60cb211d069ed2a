//! Teams and their members: roles inside the team, positions outside it, and team health.

use serde::{Deserialize, Serialize};

/// Giới tính — a person's gender as recorded on their citizen ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub const ALL: [Gender; 2] = [Gender::Male, Gender::Female];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }

    /// The Vietnamese label: "Nam" / "Nữ".
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Gender::Male => "Nam",
            Gender::Female => "Nữ",
        }
    }
}

/// Vai trò trong tổ — the role a member holds inside the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Tổ trưởng
    Leader,
    /// Tổ phó
    Deputy,
    /// Thành viên
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Leader, Role::Deputy, Role::Member];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Deputy => "deputy",
            Role::Member => "member",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Role::Leader => "Tổ trưởng",
            Role::Deputy => "Tổ phó",
            Role::Member => "Thành viên",
        }
    }

    #[must_use]
    pub fn label_en(self) -> &'static str {
        match self {
            Role::Leader => "Leader",
            Role::Deputy => "Deputy",
            Role::Member => "Member",
        }
    }

    /// Order in a team's member list: leader, deputies, then members.
    #[must_use]
    pub fn rank(self) -> u8 {
        match self {
            Role::Leader => 0,
            Role::Deputy => 1,
            Role::Member => 2,
        }
    }
}

/// Chức danh — what a member is outside the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Cán bộ xã đứng điểm
    CommuneOfficial,
    /// Bí thư chi bộ
    PartySecretary,
    /// Trưởng thôn / Tổ trưởng tổ dân phố
    VillageHead,
    /// Chi đoàn thanh niên
    YouthUnion,
    /// Chi hội phụ nữ
    WomenUnion,
    /// Chi hội nông dân
    FarmersUnion,
    /// Chi hội cựu chiến binh
    VeteransAssociation,
    /// Công an
    Police,
    /// Giáo viên
    Teacher,
    /// Khác
    Other,
}

impl Position {
    pub const ALL: [Position; 10] = [
        Position::CommuneOfficial,
        Position::PartySecretary,
        Position::VillageHead,
        Position::YouthUnion,
        Position::WomenUnion,
        Position::FarmersUnion,
        Position::VeteransAssociation,
        Position::Police,
        Position::Teacher,
        Position::Other,
    ];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Position::CommuneOfficial => "commune_official",
            Position::PartySecretary => "party_secretary",
            Position::VillageHead => "village_head",
            Position::YouthUnion => "youth_union",
            Position::WomenUnion => "women_union",
            Position::FarmersUnion => "farmers_union",
            Position::VeteransAssociation => "veterans_association",
            Position::Police => "police",
            Position::Teacher => "teacher",
            Position::Other => "other",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Position::CommuneOfficial => "Cán bộ xã đứng điểm",
            Position::PartySecretary => "Bí thư chi bộ",
            Position::VillageHead => "Trưởng thôn",
            Position::YouthUnion => "Chi đoàn thanh niên",
            Position::WomenUnion => "Chi hội phụ nữ",
            Position::FarmersUnion => "Chi hội nông dân",
            Position::VeteransAssociation => "Chi hội cựu chiến binh",
            Position::Police => "Công an",
            Position::Teacher => "Giáo viên",
            Position::Other => "Khác",
        }
    }

    #[must_use]
    pub fn label_en(self) -> &'static str {
        match self {
            Position::CommuneOfficial => "Commune official assigned to the village",
            Position::PartySecretary => "Party cell secretary",
            Position::VillageHead => "Village head",
            Position::YouthUnion => "Youth union branch",
            Position::WomenUnion => "Women's union branch",
            Position::FarmersUnion => "Farmers' union branch",
            Position::VeteransAssociation => "Veterans' association branch",
            Position::Police => "Police officer",
            Position::Teacher => "Teacher",
            Position::Other => "Other",
        }
    }
}

/// The smallest team the programme accepts (the source: "at least 5–6 per team").
pub const MIN_TEAM_MEMBERS: i64 = 5;

/// What is known about a team's active members, enough to judge its health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TeamHealth {
    pub active_members: i64,
    pub commune_officials: i64,
    pub leaders: i64,
}

/// Cảnh báo — one thing wrong with a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthIssue {
    /// Dưới 5 thành viên
    UnderFiveMembers,
    /// Chưa có cán bộ xã đứng điểm
    NoCommuneOfficial,
    /// Chưa có tổ trưởng
    NoLeader,
}

impl HealthIssue {
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            HealthIssue::UnderFiveMembers => "under_5_members",
            HealthIssue::NoCommuneOfficial => "no_commune_official",
            HealthIssue::NoLeader => "no_leader",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            HealthIssue::UnderFiveMembers => "Dưới 5 thành viên",
            HealthIssue::NoCommuneOfficial => "Chưa có cán bộ xã đứng điểm",
            HealthIssue::NoLeader => "Chưa có tổ trưởng",
        }
    }

    #[must_use]
    pub fn label_en(self) -> &'static str {
        match self {
            HealthIssue::UnderFiveMembers => "Fewer than 5 members",
            HealthIssue::NoCommuneOfficial => "No commune official",
            HealthIssue::NoLeader => "No leader",
        }
    }
}

impl TeamHealth {
    /// Every issue of the team, in a fixed order; empty when the team is healthy.
    #[must_use]
    pub fn issues(&self) -> Vec<HealthIssue> {
        let mut out = Vec::new();
        if self.active_members < MIN_TEAM_MEMBERS {
            out.push(HealthIssue::UnderFiveMembers);
        }
        if self.commune_officials == 0 {
            out.push(HealthIssue::NoCommuneOfficial);
        }
        if self.leaders == 0 {
            out.push(HealthIssue::NoLeader);
        }
        out
    }

    #[must_use]
    pub fn is_healthy(&self) -> bool {
        self.issues().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        for p in Position::ALL {
            assert_eq!(Position::from_code(p.code()), Some(p));
        }
        for g in Gender::ALL {
            assert_eq!(Gender::from_code(g.code()), Some(g));
        }
        assert_eq!(Role::from_code("boss"), None);
    }

    #[test]
    fn health_names_each_missing_thing() {
        let healthy = TeamHealth { active_members: 5, commune_officials: 1, leaders: 1 };
        assert!(healthy.is_healthy());
        let four = TeamHealth { active_members: 4, ..healthy };
        assert_eq!(four.issues(), vec![HealthIssue::UnderFiveMembers]);
        let empty = TeamHealth::default();
        assert_eq!(
            empty.issues(),
            vec![HealthIssue::UnderFiveMembers, HealthIssue::NoCommuneOfficial, HealthIssue::NoLeader]
        );
        let no_leader = TeamHealth { leaders: 0, ..healthy };
        assert_eq!(no_leader.issues(), vec![HealthIssue::NoLeader]);
    }
}
