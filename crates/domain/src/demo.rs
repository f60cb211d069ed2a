//! Demo data: the villages, teams and members of a province, generated deterministically.
//!
//! Villages are in no official list, so the demo invents them. For Quảng Nam (province code 49)
//! the plan matches the August 2024 report: 1,240 villages, 1,218 teams (22 villages without
//! a team), 85 teams in Thành phố Tam Kỳ and over 7,000 members. Any other province gets about
//! 5 villages per commune and the same share of villages without a team.
//!
//! The generator is pure: a small splitmix64 generator seeded by a constant, no I/O, the same
//! output on every run and platform.

use std::collections::HashSet;

use time::macros::date;
use time::{Date, Duration};
use unicode_normalization::UnicodeNormalization;

use crate::team::{Gender, Position, Role};
use crate::units::{Level, UnitRow};

/// A generated village (thôn / tổ dân phố / khối phố).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoVillage {
    pub commune_code: String,
    pub name: String,
}

/// A generated team; `village` indexes [`DemoPlan::villages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTeam {
    pub village: usize,
    pub name: String,
    pub established_on: Date,
    pub zalo_url: String,
}

/// A generated member; `team` indexes [`DemoPlan::teams`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMember {
    pub team: usize,
    pub full_name: String,
    pub gender: Gender,
    pub birth_date: Option<Date>,
    pub birth_year: i32,
    /// The stored 10-digit form, `0xxxxxxxxx`.
    pub phone: String,
    pub cccd: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub position: Position,
    pub joined_on: Date,
}

/// Everything the demo loader inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPlan {
    pub villages: Vec<DemoVillage>,
    pub teams: Vec<DemoTeam>,
    pub members: Vec<DemoMember>,
}

/// The prefix of every team's name.
pub const TEAM_NAME_PREFIX: &str = "Tổ công nghệ số cộng đồng ";

const SEED: u64 = 0x00C0_4E6D_0549_2024;
const FIRST_ESTABLISHED: Date = date!(2022 - 09 - 01);
const LAST_WAVE: Date = date!(2024 - 03 - 31);
const LAST_ESTABLISHED: Date = date!(2024 - 06 - 30);
const LAST_JOINED: Date = date!(2024 - 08 - 01);

// Quảng Nam in the August 2024 report.
const QUANG_NAM: &str = "49";
const QUANG_NAM_VILLAGES: usize = 1_240;
const QUANG_NAM_TEAMS: usize = 1_218;
const TAM_KY: &str = "502";
const TAM_KY_TEAMS: usize = 85;

/// Plans the demo for the given units (a province's state file rows).
#[must_use]
pub fn plan(units: &[UnitRow]) -> DemoPlan {
    let mut rng = Rng::new(SEED);
    let communes: Vec<&UnitRow> = units.iter().filter(|u| u.level == Level::Commune).collect();
    if communes.is_empty() {
        return DemoPlan { villages: Vec::new(), teams: Vec::new(), members: Vec::new() };
    }
    let targets = Targets::for_units(units, &communes);

    // 1. How many villages each commune has.
    let in_focus =
        |c: &UnitRow| targets.focus.as_ref().is_some_and(|(d, _)| c.parent_code.as_deref() == Some(d.as_str()));
    let focus_idx: Vec<usize> = (0..communes.len()).filter(|&i| in_focus(communes[i])).collect();
    let rest_idx: Vec<usize> = (0..communes.len()).filter(|&i| !in_focus(communes[i])).collect();
    let focus_villages = targets.focus.as_ref().map_or(0, |(_, n)| *n);
    let mut sizes = vec![0_usize; communes.len()];
    for (idx, total) in [(&focus_idx, focus_villages), (&rest_idx, targets.villages.saturating_sub(focus_villages))] {
        let weights: Vec<u32> = idx
            .iter()
            .map(|&i| if is_urban(&communes[i].name) { rng.range(2, 5) } else { rng.range(1, 4) })
            .map(|w| u32::try_from(w).unwrap_or(1))
            .collect();
        for (k, n) in allocate(&mut rng, &weights, total).into_iter().enumerate() {
            sizes[idx[k]] = n;
        }
    }

    // 2. The villages, commune by commune in file order.
    let mut villages = Vec::with_capacity(targets.villages);
    let mut village_commune = Vec::with_capacity(targets.villages);
    for (ci, commune) in communes.iter().enumerate() {
        let upland = Upland::of(commune.parent_code.as_deref());
        for name in village_names(&mut rng, &commune.name, upland, sizes[ci]) {
            villages.push(DemoVillage { commune_code: commune.code.clone(), name });
            village_commune.push(ci);
        }
    }

    // 3. Which villages have no team: outside the focus district, one per commune when possible.
    let uncovered = villages.len().saturating_sub(targets.teams);
    let mut eligible: Vec<usize> = (0..villages.len()).filter(|&v| !in_focus(communes[village_commune[v]])).collect();
    rng.shuffle(&mut eligible);
    let mut no_team = vec![false; villages.len()];
    let mut communes_hit = vec![false; communes.len()];
    let mut left = uncovered;
    for pass in 0..2 {
        for &v in &eligible {
            if left == 0 {
                break;
            }
            if no_team[v] || (pass == 0 && communes_hit[village_commune[v]]) {
                continue;
            }
            no_team[v] = true;
            communes_hit[village_commune[v]] = true;
            left -= 1;
        }
    }

    // 4. Teams: each commune set its teams up in one wave.
    let waves: Vec<Date> = (0..communes.len())
        .map(|_| {
            // The earlier of two draws: most communes started in late 2022 or 2023.
            let a = rng.day_between(FIRST_ESTABLISHED, LAST_WAVE);
            let b = rng.day_between(FIRST_ESTABLISHED, LAST_WAVE);
            a.min(b)
        })
        .collect();
    let mut zalo_codes = HashSet::new();
    let mut teams = Vec::with_capacity(targets.teams);
    for (v, village) in villages.iter().enumerate() {
        if no_team[v] {
            continue;
        }
        let wave = waves[village_commune[v]];
        let established_on = wave.saturating_add(Duration::days(rng.range(0, 60))).min(LAST_ESTABLISHED);
        let code = loop {
            let code: String = (0..10).map(|_| *rng.pick(ZALO_ALPHABET) as char).collect();
            if zalo_codes.insert(code.clone()) {
                break code;
            }
        };
        teams.push(DemoTeam {
            village: v,
            name: format!("{TEAM_NAME_PREFIX}{}", village.name),
            established_on,
            zalo_url: format!("https://zalo.me/g/{code}"),
        });
    }

    // 5. Members.
    let mut ids = Ids::default();
    let mut members = Vec::with_capacity(teams.len() * 7);
    for (t, team) in teams.iter().enumerate() {
        let commune = communes[village_commune[team.village]];
        let upland = Upland::of(commune.parent_code.as_deref());
        members.extend(team_members(&mut rng, &mut ids, t, team, upland));
    }

    DemoPlan { villages, teams, members }
}

/// How many villages and teams to generate.
struct Targets {
    villages: usize,
    teams: usize,
    /// A district whose communes get exactly this many villages, every one with a team.
    focus: Option<(String, usize)>,
}

impl Targets {
    fn for_units(units: &[UnitRow], communes: &[&UnitRow]) -> Self {
        let n = communes.len();
        let is_quang_nam = units.iter().any(|u| u.level == Level::Province && u.code == QUANG_NAM);
        let (villages, teams) = if is_quang_nam && n * 2 <= QUANG_NAM_VILLAGES {
            (QUANG_NAM_VILLAGES, QUANG_NAM_TEAMS)
        } else {
            let villages = (n * QUANG_NAM_VILLAGES + 120) / 241;
            let without = (villages * (QUANG_NAM_VILLAGES - QUANG_NAM_TEAMS) + 620) / 1_240;
            (villages, villages - without)
        };
        let tam_ky_communes = communes.iter().filter(|c| c.parent_code.as_deref() == Some(TAM_KY)).count();
        let focus = (is_quang_nam
            && tam_ky_communes > 0
            && tam_ky_communes * 2 <= TAM_KY_TEAMS
            && (n - tam_ky_communes) * 2 <= villages - TAM_KY_TEAMS)
            .then(|| (TAM_KY.to_owned(), TAM_KY_TEAMS));
        Self { villages, teams, focus }
    }
}

/// Spreads `total` villages over communes weighted by `weights`: at least 3 each (fewer only if
/// there are not enough), at most 9 unless the average needs more.
fn allocate(rng: &mut Rng, weights: &[u32], total: usize) -> Vec<usize> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let base = (total / n).min(3);
    let cap = 9.max(total.div_ceil(n) + 3);
    let mut sizes = vec![base; n];
    let mut left = total - base * n;
    while left > 0 {
        let i = rng.weighted_index(weights);
        if sizes[i] < cap {
            sizes[i] += 1;
            left -= 1;
        }
    }
    sizes
}

fn is_urban(commune_name: &str) -> bool {
    commune_name.starts_with("Phường") || commune_name.starts_with("Thị trấn")
}

/// Upland districts of Quảng Nam, where villages and families carry ethnic-minority names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upland {
    No,
    /// Tây Giang, Đông Giang, Nam Giang: mostly Cơ Tu.
    CoTu,
    /// Phước Sơn, Bắc Trà My, Nam Trà My: Xơ Đăng, Ca Vnd, Giẻ Triêng.
    TraMy,
}

impl Upland {
    fn of(district: Option<&str>) -> Self {
        match district {
            Some("504" | "505" | "510") => Upland::CoTu,
            Some("511" | "515" | "516") => Upland::TraMy,
            _ => Upland::No,
        }
    }
}

const NAME_FIRST: &[&str] = &[
    "An",
    "Phú",
    "Tân",
    "Trung",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Thượng",
    "Hạ",
    "Mỹ",
    "Bình",
    "Hòa",
    "Phước",
    "Long",
    "Vĩnh",
    "Xuân",
    "Quý",
    "Thanh",
    "Lộc",
    "Thái",
    "Hương",
    "Cẩm",
    "Kim",
    "Ngọc",
    "Thạnh",
    "Hưng",
    "Vân",
    "Thuận",
    "Đại",
    "Phong",
    "Tú",
    "Liên",
    "Thọ",
    "Hiệp",
    "Thạch",
];
const NAME_SECOND: &[&str] = &[
    "Hòa", "Phước", "Thành", "Mỹ", "Lộc", "An", "Tây", "Đông", "Sơn", "Thạnh", "Hưng", "Lợi", "Bình", "Xuân", "Thọ",
    "Phú", "Long", "Trung", "Hội", "Yên", "Ninh", "Khương", "Quang", "Đức", "Hà", "Lâm", "Thủy", "Tân", "Cường",
    "Hiệp", "Hải", "Điền", "Định", "Nghĩa", "Tường", "Châu",
];
const UPLAND_VILLAGES: &[&str] = &[
    "A Réh",
    "A Sờ",
    "Bhơ Hôồng",
    "Pơ'Ning",
    "Ta Lang",
    "Zà Hung",
    "Arớt",
    "Ka Dăng",
    "Đhrông",
    "Tàr Pả",
    "Ba Lin",
    "Chơ Nên",
    "Cơ Lâu",
    "Pà Ia",
    "Tu Ngo",
    "Xà Ơi",
    "Trà Cang",
    "Đak Glây",
    "Tắk Pổ",
    "Tắk Ngo",
    "Pê Chai",
    "A Rui",
    "A Tép",
    "Bhờ Lờ",
    "Pà Rum",
    "Ra Ê",
    "Voòng",
    "Đắc Rế",
    "Pà Dồn",
    "Đak Ôn",
    "Dầm",
    "Nước Là",
    "Nước Vin",
    "Làng Hồi",
    "Long Viên",
    "Trà Dơn",
    "Tăk Lang",
    "Pa Lanh",
    "Chờ Lít",
    "A Dinh",
    "Ma Cooih",
    "Bh'lố",
    "Đông Cào",
];

/// `count` village names, unique within the commune.
fn village_names(rng: &mut Rng, commune_name: &str, upland: Upland, count: usize) -> Vec<String> {
    #[derive(Clone, Copy)]
    enum Style {
        Numbered,
        Named,
        Upland,
    }
    let (prefix, style) = if is_urban(commune_name) {
        match rng.below(20) {
            0..=5 => ("Tổ dân phố", Style::Numbered),
            6..=9 => ("Khối phố", Style::Numbered),
            10..=16 => ("Khối phố", Style::Named),
            _ => ("Tổ dân phố", Style::Named),
        }
    } else if upland == Upland::No {
        ("Thôn", if rng.chance(350) { Style::Numbered } else { Style::Named })
    } else {
        ("Thôn", if rng.chance(450) { Style::Numbered } else { Style::Upland })
    };
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(count);
    let mut next_number = 1;
    for _ in 0..count {
        let mut name = None;
        for _ in 0..50 {
            let candidate = match style {
                Style::Numbered => break,
                Style::Named => {
                    let first = *rng.pick(NAME_FIRST);
                    let second = *rng.pick(NAME_SECOND);
                    if first == second {
                        continue;
                    }
                    format!("{prefix} {first} {second}")
                }
                Style::Upland => format!("{prefix} {}", rng.pick(UPLAND_VILLAGES)),
            };
            // Unique as the registry compares names: without diacritics or case.
            if seen.insert(crate::text::fold(&candidate)) {
                name = Some(candidate);
                break;
            }
        }
        let name = name.unwrap_or_else(|| {
            loop {
                let candidate = format!("{prefix} {next_number}");
                next_number += 1;
                if seen.insert(crate::text::fold(&candidate)) {
                    break candidate;
                }
            }
        });
        names.push(name);
    }
    names
}

const ZALO_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Family names with rough shares (per ten thousand) in central Vietnam.
const FAMILY: &[(&str, u32)] = &[
    ("Nguyễn", 3100),
    ("Trần", 1100),
    ("Lê", 950),
    ("Phạm", 600),
    ("Huỳnh", 550),
    ("Võ", 500),
    ("Phan", 450),
    ("Hoàng", 150),
    ("Đặng", 200),
    ("Bùi", 180),
    ("Đỗ", 150),
    ("Hồ", 200),
    ("Ngô", 130),
    ("Dương", 100),
    ("Lý", 50),
    ("Trương", 150),
    ("Đoàn", 100),
    ("Lương", 100),
    ("Đinh", 90),
    ("Mai", 50),
    ("Châu", 50),
    ("Thái", 50),
    ("Cao", 50),
    ("Tô", 30),
    ("Lâm", 30),
];
const COTU_FAMILY: &[&str] =
    &["Alăng", "Bhling", "Briu", "Coor", "Zơ Râm", "Pơ Loong", "Clâu", "Hốih", "Ating", "Arất", "Bh'riu", "A Viết"];
const MALE_MIDDLE: &[(&str, u32)] = &[
    ("Văn", 35),
    ("Hữu", 8),
    ("Đức", 8),
    ("Minh", 8),
    ("Công", 7),
    ("Quốc", 6),
    ("Tấn", 6),
    ("Thanh", 5),
    ("Đình", 5),
    ("Ngọc", 4),
    ("Xuân", 4),
    ("Trọng", 3),
    ("Thành", 3),
];
const FEMALE_MIDDLE: &[(&str, u32)] = &[
    ("Thị", 50),
    ("Ngọc", 8),
    ("Thanh", 6),
    ("Thu", 6),
    ("Kim", 5),
    ("Thúy", 3),
    ("Minh", 3),
    ("Hoài", 3),
    ("Mỹ", 3),
    ("Phương", 3),
    ("Bảo", 2),
];
const MALE_GIVEN: &[&str] = &[
    "Hùng", "Dũng", "Minh", "Tuấn", "Hải", "Sơn", "Long", "Nam", "Phúc", "Quang", "Thành", "Trung", "Hiếu", "Hưng",
    "Cường", "Bình", "Đức", "Tâm", "Vinh", "Khánh", "Lộc", "Tài", "Thắng", "Thịnh", "Toàn", "Trí", "Vũ", "Huy",
    "Hoàng", "Phong", "Tùng", "Việt", "Khoa", "Nhân", "Tín", "Lợi", "Phát", "Tú", "Kiên", "Quân", "Bảo", "An", "Sang",
    "Thái", "Hòa", "Đạt", "Chiến", "Hậu", "Nghĩa", "Thanh",
];
const FEMALE_GIVEN: &[&str] = &[
    "Lan", "Hoa", "Hương", "Mai", "Linh", "Trang", "Thảo", "Hà", "Ngọc", "Nhung", "Hằng", "Thủy", "Yến", "Loan",
    "Phương", "Huyền", "Vân", "Oanh", "Hạnh", "Nga", "Liên", "Diệp", "My", "Nhi", "Uyên", "Vy", "Trinh", "Tuyết",
    "Hiền", "Thu", "Xuân", "Dung", "Quyên", "Lài", "Lệ", "Ánh", "Diễm", "Kiều", "Ly", "Thắm", "Tâm", "Hồng", "Sương",
    "Giang",
];

const TEAM_SIZES: &[(usize, u32)] = &[(5, 20), (6, 30), (7, 30), (8, 20)];
/// Positions besides the commune official, with how often a team has one. `Other` may repeat.
const POSITION_POOL: &[(Position, u32)] = &[
    (Position::PartySecretary, 90),
    (Position::VillageHead, 80),
    (Position::YouthUnion, 90),
    (Position::WomenUnion, 85),
    (Position::FarmersUnion, 70),
    (Position::VeteransAssociation, 40),
    (Position::Police, 45),
    (Position::Teacher, 35),
    (Position::Other, 60),
];

/// Viettel, VinaPhone, MobiFone, Vietnamobile, Gmobile, Reddi and iTel prefixes, weighted.
const PHONE_PREFIXES: &[(&str, u32)] = &[
    ("086", 5),
    ("096", 6),
    ("097", 6),
    ("098", 6),
    ("032", 4),
    ("033", 4),
    ("034", 4),
    ("035", 4),
    ("036", 4),
    ("037", 4),
    ("038", 4),
    ("039", 4),
    ("088", 3),
    ("091", 4),
    ("094", 4),
    ("081", 2),
    ("082", 2),
    ("083", 2),
    ("084", 2),
    ("085", 2),
    ("089", 3),
    ("090", 4),
    ("093", 4),
    ("070", 2),
    ("076", 2),
    ("077", 2),
    ("078", 2),
    ("079", 2),
    ("092", 1),
    ("056", 1),
    ("058", 1),
    ("052", 1),
    ("099", 1),
    ("059", 1),
    ("055", 1),
    ("087", 1),
];
/// Province codes of birth registration for members not born in Quảng Nam.
const OTHER_BIRTH_PROVINCES: &[(&str, u32)] = &[
    ("048", 30), // Đà Nẵng
    ("051", 20), // Quảng Ngãi
    ("046", 10), // Huế
    ("052", 8),  // Bình Định
    ("001", 8),  // Hà Nội
    ("079", 8),  // Hồ Chí Minh
    ("040", 5),  // Nghệ An
    ("042", 4),  // Hà Tĩnh
    ("038", 4),  // Thanh Hóa
    ("066", 3),  // Đắk Lắk
];

/// Phones, citizen IDs and emails already handed out.
#[derive(Default)]
struct Ids {
    phones: HashSet<String>,
    cccds: HashSet<String>,
    emails: HashSet<String>,
}

fn team_members(rng: &mut Rng, ids: &mut Ids, t: usize, team: &DemoTeam, upland: Upland) -> Vec<DemoMember> {
    let size = *rng.weighted(TEAM_SIZES);
    let mut positions = vec![Position::CommuneOfficial];
    let mut pool = POSITION_POOL.to_vec();
    while positions.len() < size {
        let weights: Vec<u32> = pool.iter().map(|(_, w)| *w).collect();
        let i = rng.weighted_index(&weights);
        positions.push(pool[i].0);
        if pool[i].0 != Position::Other {
            pool.remove(i);
        }
    }

    let leader = rng.weighted_index(&positions.iter().map(|&p| leader_weight(p)).collect::<Vec<_>>());
    let deputy = rng.chance(800).then(|| {
        let weights: Vec<u32> =
            positions.iter().enumerate().map(|(i, &p)| if i == leader { 0 } else { deputy_weight(p) }).collect();
        rng.weighted_index(&weights)
    });
    let mut order: Vec<usize> = vec![leader];
    order.extend(deputy);
    order.extend((0..positions.len()).filter(|&i| i != leader && Some(i) != deputy));

    order
        .into_iter()
        .map(|i| {
            let position = positions[i];
            let role = if i == leader {
                Role::Leader
            } else if Some(i) == deputy {
                Role::Deputy
            } else {
                Role::Member
            };
            let founder = role != Role::Member || position == Position::CommuneOfficial;
            let joined_on = if founder || rng.chance(750) {
                team.established_on
            } else {
                rng.day_between(team.established_on, LAST_JOINED)
            };
            member(rng, ids, t, position, role, upland, joined_on)
        })
        .collect()
}

fn leader_weight(p: Position) -> u32 {
    match p {
        Position::PartySecretary => 35,
        Position::VillageHead => 30,
        Position::CommuneOfficial => 20,
        Position::YouthUnion => 10,
        _ => 3,
    }
}

fn deputy_weight(p: Position) -> u32 {
    match p {
        Position::YouthUnion => 35,
        Position::CommuneOfficial => 25,
        Position::VillageHead => 20,
        Position::WomenUnion => 10,
        _ => 5,
    }
}

/// Per mille of men, and the birth years, of each position.
fn profile(p: Position) -> (u32, i64, i64) {
    match p {
        Position::CommuneOfficial => (550, 1975, 2000),
        Position::PartySecretary => (800, 1960, 1985),
        Position::VillageHead => (850, 1960, 1990),
        Position::YouthUnion => (500, 1990, 2004),
        Position::WomenUnion => (0, 1965, 1995),
        Position::FarmersUnion => (750, 1960, 1985),
        Position::VeteransAssociation => (1000, 1960, 1975),
        Position::Police => (900, 1975, 2000),
        Position::Teacher => (300, 1970, 2000),
        Position::Other => (500, 1960, 2004),
    }
}

fn member(
    rng: &mut Rng,
    ids: &mut Ids,
    team: usize,
    position: Position,
    role: Role,
    upland: Upland,
    joined_on: Date,
) -> DemoMember {
    let (men, first_year, last_year) = profile(position);
    let gender = if rng.chance(men) { Gender::Male } else { Gender::Female };
    let birth_year = i32::try_from(rng.range(first_year, last_year)).unwrap_or(1980);
    let birth_date = if rng.chance(500) {
        let days = i64::from(time::util::days_in_year(birth_year));
        u16::try_from(rng.range(1, days)).ok().and_then(|ordinal| Date::from_ordinal_date(birth_year, ordinal).ok())
    } else {
        None
    };

    let (family, middle, given) = full_name(rng, gender, upland);
    let full_name = format!("{family} {middle} {given}");

    let phone = loop {
        let phone = format!("{}{}", rng.weighted(PHONE_PREFIXES), rng.digits(7));
        if ids.phones.insert(phone.clone()) {
            break phone;
        }
    };

    let cccd = rng.chance(700).then(|| {
        let province = if rng.chance(900) { "049" } else { *rng.weighted(OTHER_BIRTH_PROVINCES) };
        let century = if birth_year >= 2000 { 2 } else { 0 };
        let sex = u8::from(gender == Gender::Female);
        let yy = birth_year.rem_euclid(100);
        loop {
            let id = format!("{province}{}{yy:02}{}", century + sex, rng.digits(6));
            if ids.cccds.insert(id.clone()) {
                break id;
            }
        }
    });

    let email = rng.chance(150).then(|| {
        let yy = birth_year.rem_euclid(100);
        let mut local = match rng.below(20) {
            0..=11 => format!("{}{}{}{yy:02}", ascii_fold(family), ascii_fold(middle), ascii_fold(given)),
            12..=16 => {
                let initials: String = [family, middle].iter().filter_map(|w| ascii_fold(w).chars().next()).collect();
                format!("{}{initials}{birth_year}", ascii_fold(given))
            }
            _ => format!("{}{}{}", ascii_fold(given), ascii_fold(family), rng.digits(3)),
        };
        loop {
            let email = format!("{local}@gmail.com");
            if ids.emails.insert(email.clone()) {
                break email;
            }
            local.push_str(&rng.digits(1));
        }
    });

    DemoMember { team, full_name, gender, birth_date, birth_year, phone, cccd, email, role, position, joined_on }
}

fn full_name(rng: &mut Rng, gender: Gender, upland: Upland) -> (&'static str, &'static str, &'static str) {
    let ethnic = match upland {
        Upland::CoTu if rng.chance(500) => Some(*rng.pick(COTU_FAMILY)),
        Upland::TraMy if rng.chance(400) => Some("Hồ"),
        Upland::TraMy if rng.chance(100) => Some("Đinh"),
        _ => None,
    };
    let family = ethnic.unwrap_or_else(|| *rng.weighted(FAMILY));
    let (middles, givens) = match gender {
        Gender::Male => (MALE_MIDDLE, MALE_GIVEN),
        Gender::Female => (FEMALE_MIDDLE, FEMALE_GIVEN),
    };
    let middle = match (ethnic, gender) {
        (Some(_), Gender::Male) => "Văn",
        (Some(_), Gender::Female) => "Thị",
        (None, _) => *rng.weighted(middles),
    };
    let given = loop {
        let given = *rng.pick(givens);
        if given != middle {
            break given;
        }
    };
    (family, middle, given)
}

/// Lower-case ASCII letters and digits of a Vietnamese word: "Đặng" → "dang".
fn ascii_fold(s: &str) -> String {
    s.nfd()
        .filter_map(|c| match c {
            'đ' | 'Đ' => Some('d'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// splitmix64: tiny, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    const fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// True `per_mille` times in a thousand.
    fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn with the given weights (uniform if they are all zero).
    fn weighted_index(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return self.below(weights.len());
        }
        let mut x = ((u128::from(self.next_u64()) * u128::from(total)) >> 64) as u64;
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let weights: Vec<u32> = items.iter().map(|(_, w)| *w).collect();
        &items[self.weighted_index(&weights)].0
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }

    fn day_between(&mut self, first: Date, last: Date) -> Date {
        let span = (last - first).whole_days().max(0);
        first.saturating_add(Duration::days(self.range(0, span)))
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::cccd::Cccd;
    use crate::phone::PhoneVn;
    use crate::units::{QUANG_NAM_2023, parse_state_csv};

    fn quang_nam() -> (Vec<UnitRow>, DemoPlan) {
        let units = parse_state_csv(QUANG_NAM_2023).expect("shipped file parses");
        let plan = plan(&units);
        (units, plan)
    }

    fn commune_names(units: &[UnitRow]) -> HashMap<&str, &str> {
        units.iter().filter(|u| u.level == Level::Commune).map(|u| (u.code.as_str(), u.name.as_str())).collect()
    }

    #[test]
    fn demo_has_1240_villages_over_241_communes() {
        let (units, plan) = quang_nam();
        assert_eq!(plan.villages.len(), 1_240);
        let names = commune_names(&units);
        let mut per_commune: HashMap<&str, Vec<&str>> = HashMap::new();
        for v in &plan.villages {
            assert!(names.contains_key(v.commune_code.as_str()), "unknown commune {}", v.commune_code);
            assert!(unicode_normalization::is_nfc(&v.name), "{} is not NFC", v.name);
            per_commune.entry(&v.commune_code).or_default().push(&v.name);
        }
        assert_eq!(per_commune.len(), 241);
        let sizes: Vec<usize> = per_commune.values().map(Vec::len).collect();
        assert!(sizes.iter().all(|&n| (2..=12).contains(&n)), "{sizes:?}");
        assert!(sizes.iter().min() < sizes.iter().max(), "sizes vary");
        for (code, vs) in &per_commune {
            let unique: HashSet<_> = vs.iter().map(|v| crate::text::fold(v)).collect();
            assert_eq!(unique.len(), vs.len(), "duplicate village in {code}");
            let urban = is_urban(names[code]);
            for v in vs {
                if urban {
                    assert!(v.starts_with("Tổ dân phố ") || v.starts_with("Khối phố "), "{v}");
                } else {
                    assert!(v.starts_with("Thôn "), "{v}");
                }
            }
        }
        // Both numbered and named villages appear.
        assert!(plan.villages.iter().any(|v| v.name == "Thôn 1"));
        assert!(plan.villages.iter().any(|v| v.name == "Tổ dân phố 1"));
        assert!(
            plan.villages
                .iter()
                .any(|v| v.name.starts_with("Khối phố ") && !v.name.ends_with(|c: char| c.is_ascii_digit()))
        );
    }

    #[test]
    fn demo_has_1218_teams_with_85_in_tam_ky() {
        let (units, plan) = quang_nam();
        assert_eq!(plan.teams.len(), 1_218);
        let covered: HashSet<usize> = plan.teams.iter().map(|t| t.village).collect();
        assert_eq!(covered.len(), 1_218, "at most one team per village");
        assert_eq!(plan.villages.len() - covered.len(), 22);

        let tam_ky: HashSet<&str> =
            units.iter().filter(|u| u.parent_code.as_deref() == Some("502")).map(|u| u.code.as_str()).collect();
        let tam_ky_teams =
            plan.teams.iter().filter(|t| tam_ky.contains(plan.villages[t.village].commune_code.as_str())).count();
        assert_eq!(tam_ky_teams, 85);

        let mut zalo = HashSet::new();
        for t in &plan.teams {
            assert_eq!(t.name, format!("Tổ công nghệ số cộng đồng {}", plan.villages[t.village].name));
            assert!((date!(2022 - 09 - 01)..=date!(2024 - 06 - 30)).contains(&t.established_on));
            let code = t.zalo_url.strip_prefix("https://zalo.me/g/").expect("zalo prefix");
            assert_eq!(code.len(), 10);
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
            assert!(zalo.insert(code), "duplicate zalo {code}");
        }
    }

    #[test]
    fn demo_teams_have_5_to_8_members_a_leader_and_a_commune_official() {
        let (_, plan) = quang_nam();
        assert!(plan.members.len() > 7_000, "{}", plan.members.len());
        assert!((7_500..=8_300).contains(&plan.members.len()), "{}", plan.members.len());
        let mut by_team: Vec<Vec<&DemoMember>> = vec![Vec::new(); plan.teams.len()];
        for m in &plan.members {
            by_team[m.team].push(m);
        }
        let mut position_counts: HashMap<Position, usize> = HashMap::new();
        for (t, ms) in by_team.iter().enumerate() {
            assert!((5..=8).contains(&ms.len()), "team {t} has {}", ms.len());
            assert_eq!(ms.iter().filter(|m| m.role == Role::Leader).count(), 1, "team {t}");
            assert!(ms.iter().filter(|m| m.role == Role::Deputy).count() <= 1, "team {t}");
            assert!(ms.iter().any(|m| m.position == Position::CommuneOfficial), "team {t}");
            for m in ms {
                *position_counts.entry(m.position).or_default() += 1;
                if m.position == Position::WomenUnion {
                    assert_eq!(m.gender, Gender::Female, "{}", m.full_name);
                }
                let est = plan.teams[t].established_on;
                assert!((est..=date!(2024 - 08 - 01)).contains(&m.joined_on));
            }
        }
        assert_eq!(position_counts.len(), Position::ALL.len(), "every position appears");
        assert!(plan.members.iter().any(|m| m.role == Role::Deputy));
    }

    #[test]
    fn demo_members_have_plausible_names_and_birth_years() {
        let (_, plan) = quang_nam();
        let families: HashSet<&str> = FAMILY.iter().map(|(f, _)| *f).collect();
        let mut common = 0;
        let mut with_date = 0;
        for m in &plan.members {
            assert!(unicode_normalization::is_nfc(&m.full_name), "{}", m.full_name);
            let words: Vec<&str> = m.full_name.split(' ').collect();
            assert!(words.len() >= 3, "{}", m.full_name);
            if families.contains(words[0]) {
                common += 1;
            }
            let middle = words[words.len() - 2];
            match m.gender {
                Gender::Male => assert!(MALE_MIDDLE.iter().any(|(w, _)| *w == middle), "{}", m.full_name),
                Gender::Female => assert!(FEMALE_MIDDLE.iter().any(|(w, _)| *w == middle), "{}", m.full_name),
            }
            assert!((1960..=2004).contains(&m.birth_year));
            if let Some(d) = m.birth_date {
                assert_eq!(d.year(), m.birth_year);
                with_date += 1;
            }
        }
        let n = plan.members.len();
        assert!(common * 10 > n * 9, "most family names are the common ones");
        assert!((n * 2 / 5..=n * 3 / 5).contains(&with_date), "{with_date} of {n}");
        let nguyen = plan.members.iter().filter(|m| m.full_name.starts_with("Nguyễn ")).count();
        assert!((n / 5..=n * 2 / 5).contains(&nguyen), "{nguyen} Nguyễn of {n}");
    }

    fn mobile_prefix_ok(p: &str) -> bool {
        let two: u32 = p[1..3].parse().expect("digits");
        matches!(two, 32..=39 | 52 | 55 | 56 | 58 | 59 | 70 | 76..=79 | 81..=89 | 90..=99)
    }

    #[test]
    fn demo_phones_cccds_and_emails_are_valid_and_unique() {
        let (_, plan) = quang_nam();
        let n = plan.members.len();
        let mut phones = HashSet::new();
        let mut cccds = HashSet::new();
        let mut emails = HashSet::new();
        let mut born_here = 0;
        for m in &plan.members {
            assert_eq!(m.phone.len(), 10);
            assert!(m.phone.starts_with('0') && m.phone.bytes().all(|b| b.is_ascii_digit()));
            assert!(mobile_prefix_ok(&m.phone), "{}", m.phone);
            assert!(PhoneVn::parse(&m.phone).is_ok(), "{}", m.phone);
            assert!(phones.insert(m.phone.as_str()), "duplicate phone {}", m.phone);

            if let Some(c) = &m.cccd {
                assert_eq!(c.len(), 12);
                assert!(c.bytes().all(|b| b.is_ascii_digit()));
                let century = if m.birth_year >= 2000 { 2 } else { 0 };
                let sex = u32::from(m.gender == Gender::Female);
                assert_eq!(c[3..4].parse::<u32>().expect("digit"), century + sex, "{c}");
                assert_eq!(c[4..6].parse::<i32>().expect("digits"), m.birth_year % 100, "{c}");
                assert!(c.starts_with("049") || OTHER_BIRTH_PROVINCES.iter().any(|(p, _)| c.starts_with(p)), "{c}");
                if c.starts_with("049") {
                    born_here += 1;
                }
                assert!(Cccd::parse(c, Some(m.gender), Some(m.birth_year)).is_ok(), "{c}");
                assert!(cccds.insert(c.as_str()), "duplicate CCCD {c}");
            }

            if let Some(e) = &m.email {
                let local = e.strip_suffix("@gmail.com").expect("gmail");
                assert!(!local.is_empty());
                assert!(local.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{e}");
                assert!(local.bytes().any(|b| b.is_ascii_digit()), "{e}");
                assert!(emails.insert(e.as_str()), "duplicate email {e}");
            }
        }
        assert!((n * 65 / 100..=n * 75 / 100).contains(&cccds.len()), "{} CCCD of {n}", cccds.len());
        assert!(born_here * 100 > cccds.len() * 80, "most are born in Quảng Nam");
        assert!(born_here < cccds.len(), "some are born elsewhere");
        assert!((n * 12 / 100..=n * 18 / 100).contains(&emails.len()), "{} emails of {n}", emails.len());
    }

    #[test]
    fn demo_is_deterministic_and_fast() {
        let units = parse_state_csv(QUANG_NAM_2023).expect("shipped file parses");
        let start = std::time::Instant::now();
        let a = plan(&units);
        let elapsed = start.elapsed();
        assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
        assert_eq!(a, plan(&units));
        assert_eq!(a.members[0], plan(&units).members[0]);
    }

    #[test]
    fn demo_folds_names_to_ascii() {
        assert_eq!(ascii_fold("Đặng"), "dang");
        assert_eq!(ascii_fold("Huỳnh"), "huynh");
        assert_eq!(ascii_fold("Bh'riu"), "bhriu");
        assert_eq!(ascii_fold("Ánh"), "anh");
    }

    #[test]
    fn demo_works_for_other_provinces() {
        assert_eq!(plan(&[]), DemoPlan { villages: vec![], teams: vec![], members: vec![] });
        let row = |code: &str, name: &str, level, parent: Option<&str>| UnitRow {
            code: code.to_owned(),
            name: name.to_owned(),
            level,
            parent_code: parent.map(str::to_owned),
        };
        let mut units = vec![row("48", "Thành phố Đà Nẵng", Level::Province, None)];
        for i in 0..20 {
            let name = if i % 2 == 0 { format!("Phường P{i}") } else { format!("Xã X{i}") };
            units.push(row(&format!("{}", 20_000 + i), &name, Level::Commune, Some("48")));
        }
        let p = plan(&units);
        assert_eq!(p.villages.len(), 103);
        assert_eq!(p.teams.len(), 101);
        assert!(p.members.len() >= p.teams.len() * 5);
        let communes: HashSet<&str> = p.villages.iter().map(|v| v.commune_code.as_str()).collect();
        assert_eq!(communes.len(), 20);
    }
}
