//! Importing a list of team members (nhập danh sách thành viên từ Excel / CSV): rows already
//! read from a file, as plain text by field, checked row by row and applied whole or not at all.
//!
//! - **Units as they were.** A commune is found by its name, with or without "Xã / Phường / Thị
//!   trấn", under its district when the row names one. A name that held only before a
//!   reorganisation maps to the unit that succeeded it, with a warning on the row; a name that
//!   never existed is an error. When an old commune was split, the part holding the row's village
//!   is taken.
//! - **Villages are not created by an import.** A village the commune does not have is an error
//!   (naming the commune it is in, when it is elsewhere): a misspelt village would otherwise
//!   become a second village with no team, and its members would join nothing. Two villages of
//!   one name in a commune of today (communes merged, villages not yet renamed) are told apart by
//!   the commune named as it was; named as it is, the row is refused rather than guessed.
//! - **People are matched** by CCCD, else by phone number with the same name (a family may share
//!   one phone), else by name, birth year and village; the rule that matched is reported. A
//!   matched person whose stored CCCD differs from the row's is a different person.
//! - **One leader per team.** A row that makes someone Tổ trưởng of a team that has one is a
//!   change of leader when the same file gives the leader of today another role (in any row
//!   order); otherwise it is an error, as are two rows making two people leader of one team.
//! - **Nothing is written** when any row has an error or on a dry run; otherwise every change is
//!   written in one transaction, each with its audit event. Importing the same rows again finds
//!   every row unchanged and writes nothing.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use domain::input::{format_date, parse_date, parse_village_name, parse_zalo_url};
use domain::{Cccd, Gender, PhoneVn, Position, Role, text};
use serde::Serialize;

use crate::units::Unit;
use crate::{Db, StoreError, iso, now, parse_iso};

/// The field keys an [`ImportRow`] may carry.
pub mod keys {
    pub const FULL_NAME: &str = "full_name";
    pub const PHONE: &str = "phone";
    pub const CCCD: &str = "cccd";
    /// "Nam" / "Nữ".
    pub const GENDER: &str = "gender";
    /// Any mark in a "Nam" column.
    pub const MALE: &str = "male";
    /// Any mark in a "Nữ" column.
    pub const FEMALE: &str = "female";
    /// `dd/mm/yyyy`, `yyyy-mm-dd` or a year alone.
    pub const BIRTH_DATE: &str = "birth_date";
    pub const BIRTH_YEAR: &str = "birth_year";
    /// Chức danh, by its label or code.
    pub const POSITION: &str = "position";
    /// Tổ trưởng / Tổ phó / Thành viên, by label or code.
    pub const ROLE: &str = "role";
    pub const VILLAGE: &str = "village";
    pub const COMMUNE: &str = "commune";
    pub const DISTRICT: &str = "district";
    pub const EMAIL: &str = "email";
    /// The team's name (empty: "Tổ công nghệ số cộng đồng" and the village's name).
    pub const TEAM: &str = "team";
    /// The team's founding day.
    pub const ESTABLISHED_ON: &str = "established_on";
    /// The team's Zalo group link.
    pub const ZALO_URL: &str = "zalo_url";
}

/// One sheet of a file: its name, the column (letter) of each field its header mapped, and its
/// rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSheet {
    pub name: String,
    /// `(field key, column letter)`, for naming the column of a refused value.
    pub columns: Vec<(String, String)>,
    pub rows: Vec<ImportRow>,
}

/// One row as read: its row number (as the spreadsheet shows it) and its filled cells by field
/// key (see [`keys`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRow {
    pub row: usize,
    pub values: Vec<(String, String)>,
}

/// A row's values, each cleaned once (a row is asked for some fields more than once).
struct Fields<'a> {
    values: Vec<(&'a str, String)>,
}

impl<'a> Fields<'a> {
    fn of(raw: &'a ImportRow) -> Self {
        Self { values: raw.values.iter().map(|(k, v)| (k.as_str(), text::clean(v))).collect() }
    }

    /// The first value given for `key`, unless it is blank.
    fn get(&self, key: &str) -> Option<String> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).filter(|v| !v.is_empty())
    }
}

/// A problem with one row (or one sheet, when `row` is 0), said in Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowIssue {
    pub sheet: String,
    pub row: usize,
    /// The column's letter, when one cell is at fault and the sheet has that column.
    pub column: Option<String>,
    pub message: String,
}

/// What a row does (or would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    Unchanged,
    Rejected,
}

impl Action {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Action::Created => "Thêm mới",
            Action::Updated => "Cập nhật",
            Action::Unchanged => "Không đổi",
            Action::Rejected => "Bị từ chối",
        }
    }
}

/// Which rule found the person already registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    Cccd,
    Phone,
    NameBirthYearVillage,
}

impl MatchRule {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            MatchRule::Cccd => "số CCCD",
            MatchRule::Phone => "số điện thoại và họ tên",
            MatchRule::NameBirthYearVillage => "họ tên, năm sinh và thôn",
        }
    }
}

/// The outcome of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowOutcome {
    pub sheet: String,
    pub row: usize,
    pub action: Action,
    pub matched_by: Option<MatchRule>,
    /// The person's, village's or team's name as the row gives it.
    pub name: String,
    pub team: Option<String>,
    /// What an update changes, in Vietnamese ("số điện thoại", "vai trò", "vào tổ" …).
    pub changes: Vec<String>,
}

/// What an import did, or would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub warnings: Vec<RowIssue>,
    pub errors: Vec<RowIssue>,
    pub rows: Vec<RowOutcome>,
    pub dry_run: bool,
    /// True when the changes were written (no error, not a dry run).
    pub applied: bool,
}

impl ImportReport {
    /// Adds problems found outside the rows (a sheet without a header): the import can then not
    /// be applied.
    pub fn add_sheet_errors(&mut self, errors: Vec<RowIssue>) {
        if !errors.is_empty() {
            self.applied = false;
        }
        self.errors.extend(errors);
        self.errors.sort_by(|a, b| (&a.sheet, a.row).cmp(&(&b.sheet, b.row)));
    }
}

/// A person's stored fields, as the import compares and writes them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct PersonVals {
    full_name: String,
    gender: String,
    birth_date: Option<String>,
    birth_year: Option<i64>,
    phone: String,
    cccd: Option<String>,
    email: Option<String>,
}

impl PersonVals {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "full_name": self.full_name, "gender": self.gender, "birth_date": self.birth_date,
            "birth_year": self.birth_year, "phone": self.phone, "cccd": self.cccd, "email": self.email
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Found {
    person_id: i64,
    full_name: String,
    search_text: String,
    gender: String,
    birth_date: Option<String>,
    birth_year: Option<i64>,
    phone: String,
    cccd: Option<String>,
    email: Option<String>,
}

impl Found {
    fn vals(&self) -> PersonVals {
        PersonVals {
            full_name: self.full_name.clone(),
            gender: self.gender.clone(),
            birth_date: self.birth_date.clone(),
            birth_year: self.birth_year,
            phone: self.phone.clone(),
            cccd: self.cccd.clone(),
            email: self.email.clone(),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct VillageRow {
    village_id: i64,
    commune_id: i64,
    name: String,
    search_text: String,
    team_id: Option<i64>,
    team: Option<String>,
}

/// A write the import will make.
enum Write {
    Create {
        person: PersonVals,
        team_id: i64,
        role: Role,
        position: Position,
        path: String,
    },
    Update {
        person_id: i64,
        before: Box<PersonVals>,
        after: Box<PersonVals>,
        membership: MembershipWrite,
        path: String,
    },
}

enum MembershipWrite {
    Keep,
    Change { membership_id: i64, before: (String, String), role: Role, position: Position },
    Join { team_id: i64, role: Role, position: Position },
}

const COMMUNE_PREFIXES: [&str; 8] = ["xa ", "phuong ", "thi tran ", "dac khu ", "tt. ", "tt ", "p. ", "x. "];
/// A commune's parent may be a province where districts are gone ("Tỉnh Quảng Nam").
const PARENT_PREFIXES: [&str; 9] = ["tinh ", "huyen ", "quan ", "thi xa ", "thanh pho ", "tp. ", "tp ", "tx. ", "tx "];
const VILLAGE_PREFIXES: [&str; 8] = ["thon ", "to dan pho ", "khoi pho ", "khoi ", "xom ", "ban ", "ap ", "to "];

/// The folded name without its kind of unit in front ("Xã Tam Thăng" → "tam thang").
fn bare(folded: &str, prefixes: &[&str]) -> String {
    for p in prefixes {
        if let Some(rest) = folded.strip_prefix(p)
            && !rest.trim().is_empty()
        {
            return rest.trim().to_owned();
        }
    }
    folded.to_owned()
}

/// Communes, districts and provinces of every date, for finding a unit by the name it had on any
/// day.
struct Units {
    all: Vec<Unit>,
    /// Each unit's folded name, and that without its kind ("xa tam thang", "tam thang").
    folded: Vec<(String, String)>,
    by_id: HashMap<i64, usize>,
    /// The communes by their name without its kind, and the units above them (districts and
    /// provinces) likewise: a row's names are looked up, not searched for.
    communes_named: HashMap<String, Vec<usize>>,
    parents_named: HashMap<String, Vec<usize>>,
    successors: HashMap<i64, Vec<Unit>>,
    villages: HashMap<i64, Vec<VillageRow>>,
    /// What a commune's name and district's name (as `name`, `\u{1f}`, `district`) found, unless
    /// the answer depended on the row's village: rows name few communes, many times.
    found: HashMap<String, Result<Commune, String>>,
    /// Set when finding a commune looked at the row's village (an old commune that was split).
    by_village: bool,
}

/// A commune found for a row: the current unit, and a warning when the row named it as it was.
#[derive(Clone)]
struct Commune {
    unit: Unit,
    warning: Option<String>,
    /// The rows the name matched when it was the name of an earlier day: villages placed in
    /// them then are the row's, when the commune of today has two of one name.
    earlier: Vec<i64>,
}

impl Units {
    async fn load(db: &Db) -> Result<Self, StoreError> {
        let sql = "select unit_id, code, name, level, parent_id, path, valid_from, valid_to from unit \
                   where level in ('commune', 'district', 'province') order by unit_id";
        let all: Vec<Unit> = on_db!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await)?;
        let by_id = all.iter().enumerate().map(|(i, u)| (u.unit_id, i)).collect();
        let folded = all
            .iter()
            .map(|u| {
                let f = text::fold(&u.name);
                let prefixes: &[&str] = if u.level == "commune" { &COMMUNE_PREFIXES } else { &PARENT_PREFIXES };
                let b = bare(&f, prefixes);
                (f, b)
            })
            .collect::<Vec<(String, String)>>();
        let (mut communes_named, mut parents_named): (HashMap<String, Vec<usize>>, HashMap<String, Vec<usize>>) =
            (HashMap::new(), HashMap::new());
        for (i, (u, (_, b))) in all.iter().zip(&folded).enumerate() {
            let named = if u.level == "commune" { &mut communes_named } else { &mut parents_named };
            named.entry(b.clone()).or_default().push(i);
        }
        Ok(Self {
            all,
            folded,
            by_id,
            communes_named,
            parents_named,
            successors: HashMap::new(),
            villages: HashMap::new(),
            found: HashMap::new(),
            by_village: false,
        })
    }

    async fn villages_of(&mut self, db: &Db, commune_id: i64) -> Result<&[VillageRow], StoreError> {
        if !self.villages.contains_key(&commune_id) {
            let sql = "select v.village_id, v.commune_id, v.name, v.search_text, t.team_id, t.name as team from village v \
                       left join team t on t.village_id = v.village_id and t.status = 'active' \
                       where v.commune_id = $1 and v.status = 'active' order by v.village_id";
            let rows: Vec<VillageRow> = on_db!(db, |pool| sqlx::query_as(sql).bind(commune_id).fetch_all(pool).await)?;
            self.villages.entry(commune_id).or_insert(rows);
        }
        Ok(self.villages.get(&commune_id).map_or(&[], Vec::as_slice))
    }

    async fn successors_of(&mut self, db: &Db, unit_id: i64) -> Result<Vec<Unit>, StoreError> {
        if let Some(s) = self.successors.get(&unit_id) {
            return Ok(s.clone());
        }
        let s = crate::reorg::current_successors(db, unit_id).await?;
        self.successors.insert(unit_id, s.clone());
        Ok(s)
    }

    fn is_district(&self, id: Option<i64>) -> bool {
        id.and_then(|id| self.by_id.get(&id)).is_some_and(|&i| self.all[i].level == "district")
    }

    fn parent_name(&self, u: &Unit) -> String {
        u.parent_id.and_then(|id| self.by_id.get(&id)).map(|&i| self.all[i].name.clone()).unwrap_or_default()
    }

    /// Finds the commune a row names, as it is today.
    async fn commune(
        &mut self,
        db: &Db,
        name: &str,
        district: Option<&str>,
        village: Option<&str>,
    ) -> Result<Result<Commune, String>, StoreError> {
        let key = format!("{name}\u{1f}{}", district.unwrap_or_default());
        if let Some(found) = self.found.get(&key) {
            return Ok(found.clone());
        }
        self.by_village = false;
        let found = self.find_commune(db, name, district, village).await?;
        if !self.by_village {
            self.found.insert(key, found.clone());
        }
        Ok(found)
    }

    async fn find_commune(
        &mut self,
        db: &Db,
        name: &str,
        district: Option<&str>,
        village: Option<&str>,
    ) -> Result<Result<Commune, String>, StoreError> {
        let typed = text::fold(name);
        let key = bare(&typed, &COMMUNE_PREFIXES);
        let mut candidates: Vec<(Unit, &str)> = self
            .communes_named
            .get(&key)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| (self.all[i].clone(), self.folded[i].0.as_str()))
            .collect();
        if key != typed && candidates.iter().any(|(_, f)| *f == typed) {
            candidates.retain(|(_, f)| *f == typed);
        }
        let mut candidates: Vec<Unit> = candidates.into_iter().map(|(u, _)| u).collect();
        if candidates.is_empty() {
            return Ok(Err(format!(
                "Không có xã, phường nào tên “{name}”, kể cả trước các đợt sắp xếp đơn vị hành chính"
            )));
        }
        if let Some(d) = district {
            let dkey = bare(&text::fold(d), &PARENT_PREFIXES);
            let districts: HashSet<i64> = self
                .parents_named
                .get(&dkey)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|&i| self.all[i].unit_id)
                .collect();
            if districts.is_empty() {
                return Ok(Err(format!("Không có huyện, quận, thị xã (hay tỉnh) nào tên “{d}”")));
            }
            // A commune of today has no district: a district named cannot contradict it (its
            // province, named as the unit above it, must be its own).
            candidates.retain(|u| {
                u.parent_id.is_some_and(|p| districts.contains(&p))
                    || (!self.is_district(u.parent_id) && !districts.iter().any(|&d| !self.is_district(Some(d))))
            });
            if candidates.is_empty() {
                return Ok(Err(format!("Không có xã, phường “{name}” thuộc “{d}”")));
            }
        }
        let mut current: Vec<Unit> = candidates.iter().filter(|u| u.valid_to.is_none()).cloned().collect();
        current.dedup_by_key(|u| u.unit_id);
        if current.len() == 1 {
            return Ok(Ok(Commune { unit: current.remove(0), warning: None, earlier: Vec::new() }));
        }
        if current.len() > 1 {
            let list: Vec<String> = current.iter().map(|u| format!("{} ({})", u.name, self.parent_name(u))).collect();
            return Ok(Err(format!(
                "Có {} đơn vị tên “{name}”: {}; hãy ghi thêm huyện, quận",
                current.len(),
                list.join(", ")
            )));
        }
        // Only as it was: what succeeded it.
        candidates.sort_by(|a, b| b.valid_to.cmp(&a.valid_to));
        let mut successors: Vec<Unit> = Vec::new();
        for old in &candidates {
            for s in self.successors_of(db, old.unit_id).await? {
                if !successors.iter().any(|x| x.unit_id == s.unit_id) {
                    successors.push(s);
                }
            }
        }
        let old = &candidates[0];
        let when = old.valid_to.as_deref().and_then(parse_iso).map(format_date).unwrap_or_default();
        let chosen = match successors.len() {
            0 => return Ok(Err(format!("{} không còn đơn vị nào kế tiếp sau ngày {when}", old.name))),
            1 => successors.remove(0),
            _ => {
                // A split: the part that holds the row's village.
                self.by_village = true;
                let mut holding = Vec::new();
                if let Some(v) = village {
                    for s in &successors {
                        if find_village(self.villages_of(db, s.unit_id).await?, v).is_some() {
                            holding.push(s.clone());
                        }
                    }
                }
                if holding.len() == 1 {
                    holding.remove(0)
                } else {
                    let list: Vec<&str> = successors.iter().map(|u| u.name.as_str()).collect();
                    return Ok(Err(format!(
                        "{} nay thuộc nhiều đơn vị ({}); hãy ghi tên đơn vị hiện nay",
                        old.name,
                        list.join(", ")
                    )));
                }
            }
        };
        let warning = Some(format!("{} nay là {} (sắp xếp {when})", old.name, chosen.name));
        let earlier = candidates.iter().map(|u| u.unit_id).collect();
        Ok(Ok(Commune { unit: chosen, warning, earlier }))
    }
}

/// The villages whose active team the person of a member row is in now, found by the row's CCCD,
/// else its phone number with the same name (no such person: none).
async fn current_villages(db: &Db, row: &Fields<'_>) -> Result<Vec<i64>, StoreError> {
    let cccd = row.get(keys::CCCD).and_then(|c| Cccd::parse(&c, None, None).ok());
    let phone = row.get(keys::PHONE).and_then(|p| PhoneVn::parse(&p).ok());
    let name = row.get(keys::FULL_NAME).map(|n| text::fold(&n)).unwrap_or_default();
    let sql = "select t.village_id from person p join membership m on m.person_id = p.person_id and m.left_on is null \
               join team t on t.team_id = m.team_id \
               where p.cccd = $1 or (p.phone = $2 and p.search_text = $3 and (p.cccd is null or $1 is null))";
    let rows: Vec<(i64,)> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(cccd.as_ref().map(|c| c.as_str().to_owned()))
        .bind(phone.as_ref().map(|p| p.as_str().to_owned()))
        .bind(&name)
        .fetch_all(pool)
        .await)?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}

/// The village a row names in a commune of today. Two villages of one name (two communes merged,
/// the villages not yet renamed) are told apart by the commune named as it was; otherwise the
/// row is refused, saying why.
async fn pick_village(
    db: &Db,
    units: &mut Units,
    commune: &Commune,
    name: &str,
    who: Option<&Fields<'_>>,
) -> Result<Result<VillageRow, String>, StoreError> {
    let typed = text::fold(name);
    let key = bare(&typed, &VILLAGE_PREFIXES);
    let all = units.villages_of(db, commune.unit.unit_id).await?;
    let mut found: Vec<VillageRow> = all.iter().filter(|v| v.search_text == typed).cloned().collect();
    if found.is_empty() {
        found = all.iter().filter(|v| bare(&v.search_text, &VILLAGE_PREFIXES) == key).cloned().collect();
    }
    if found.len() > 1 && !commune.earlier.is_empty() {
        let mut placed_then = Vec::new();
        for v in &found {
            let sql = "select count(*) from village_placement where village_id = $1 and commune_id = $2";
            for old in &commune.earlier {
                let (n,): (i64,) =
                    on_db!(db, |pool| sqlx::query_as(sql).bind(v.village_id).bind(*old).fetch_one(pool).await)?;
                if n > 0 {
                    placed_then.push(v.clone());
                    break;
                }
            }
        }
        if placed_then.len() == 1 {
            found = placed_then;
        }
    }
    if found.len() > 1
        && let Some(row) = who
    {
        // A list the registry wrote (an export read back): the village its person is in now.
        let now = current_villages(db, row).await?;
        let theirs: Vec<VillageRow> = found.iter().filter(|v| now.contains(&v.village_id)).cloned().collect();
        if theirs.len() == 1 {
            found = theirs;
        }
    }
    Ok(match found.len() {
        0 => Err(village_not_in(db, name, &commune.unit).await?),
        1 => Ok(found.remove(0)),
        n => Err(format!(
            "{} có {n} thôn tên “{}” (trùng tên sau sắp xếp, chưa đổi tên): hãy ghi tên xã, phường cũ trước sắp xếp để phân biệt",
            commune.unit.name, found[0].name
        )),
    })
}

fn find_village<'a>(villages: &'a [VillageRow], name: &str) -> Option<&'a VillageRow> {
    let typed = text::fold(name);
    villages.iter().find(|v| v.search_text == typed).or_else(|| {
        let key = bare(&typed, &VILLAGE_PREFIXES);
        villages.iter().find(|v| bare(&v.search_text, &VILLAGE_PREFIXES) == key)
    })
}

fn parse_gender(s: &str) -> Option<Gender> {
    match text::fold(s).as_str() {
        "nam" | "male" | "m" | "nam gioi" => Some(Gender::Male),
        "nu" | "female" | "f" | "nu gioi" => Some(Gender::Female),
        _ => None,
    }
}

/// Each role with its label folded, folded once.
static ROLE_LABELS: LazyLock<Vec<(Role, String)>> =
    LazyLock::new(|| Role::ALL.into_iter().map(|r| (r, text::fold(r.label()))).collect());
/// Each position with its label folded, folded once.
static POSITION_LABELS: LazyLock<Vec<(Position, String)>> =
    LazyLock::new(|| Position::ALL.into_iter().map(|p| (p, text::fold(p.label()))).collect());

fn parse_role(s: &str) -> Option<Role> {
    let f = text::fold(s);
    ROLE_LABELS.iter().find(|(r, label)| r.code() == s || *label == f).map(|(r, _)| *r).or(match f.as_str() {
        "to truong" | "truong" => Some(Role::Leader),
        "to pho" | "pho" => Some(Role::Deputy),
        "thanh vien" | "tv" => Some(Role::Member),
        _ => None,
    })
}

/// A position by label or code, or by the words files use for it ("Bí thư chi bộ thôn",
/// "Trưởng ban công tác mặt trận" is not one of ours: `None`).
fn parse_position(s: &str) -> Option<Position> {
    let f = text::fold(s);
    if let Some((p, _)) = POSITION_LABELS.iter().find(|(p, label)| p.code() == s || *label == f) {
        return Some(*p);
    }
    let has = |w: &str| f.contains(w);
    Some(if has("bi thu") {
        Position::PartySecretary
    } else if has("truong thon") || has("to truong to dan pho") || has("truong khoi") {
        Position::VillageHead
    } else if has("doan") || has("thanh nien") {
        Position::YouthUnion
    } else if has("phu nu") {
        Position::WomenUnion
    } else if has("nong dan") {
        Position::FarmersUnion
    } else if has("cuu chien binh") || has("ccb") {
        Position::VeteransAssociation
    } else if has("cong an") {
        Position::Police
    } else if has("giao vien") {
        Position::Teacher
    } else if has("can bo") || has("cong chuc") {
        Position::CommuneOfficial
    } else {
        return None;
    })
}

/// One row being checked: where it is, and what is wrong with it so far.
struct Check<'a> {
    sheet: &'a ImportSheet,
    row: usize,
    errors: Vec<RowIssue>,
    warnings: Vec<RowIssue>,
}

impl Check<'_> {
    fn issue(&self, key: Option<&str>, message: String) -> RowIssue {
        let column = key.and_then(|k| self.sheet.columns.iter().find(|(c, _)| c == k)).map(|(_, l)| l.clone());
        RowIssue { sheet: self.sheet.name.clone(), row: self.row, column, message }
    }

    fn error(&mut self, key: Option<&str>, message: impl Into<String>) {
        let i = self.issue(key, message.into());
        self.errors.push(i);
    }

    fn warn(&mut self, key: Option<&str>, message: impl Into<String>) {
        let i = self.issue(key, message.into());
        self.warnings.push(i);
    }
}

/// Imports team members from rows already read (see the module documentation for the rules).
/// `may_write` tells whether the importer changes the registry of a commune (by its path): a row
/// of any other commune is an error. `progress` is told how many rows of how many have been checked.
///
/// # Errors
/// Database errors only: every problem with the rows is in the report.
#[allow(clippy::too_many_lines)]
pub async fn import_members(
    db: &Db,
    sheets: &[ImportSheet],
    dry_run: bool,
    may_write: &(dyn Fn(&str) -> bool + Sync),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ImportReport, StoreError> {
    use keys as k;
    let today = crate::today();
    let total: usize = sheets.iter().map(|s| s.rows.len()).sum();
    let mut units = Units::load(db).await?;
    let mut report = ImportReport { dry_run, ..ImportReport::default() };
    let mut writes: Vec<Write> = Vec::new();
    // Keys of the rows seen so far (CCCD; phone + name; name + year + village; person), and where.
    let mut seen: HashMap<String, (&str, usize, &'static str)> = HashMap::new();
    let mut leaders: HashMap<i64, usize> = HashMap::new();
    // A new leader of a team that has one: an error unless the file gives the leader of today
    // another role (a change of leader). Decided once every row is read.
    let mut displaced: Vec<(i64, RowIssue)> = Vec::new();
    let mut demoted: HashSet<i64> = HashSet::new();
    let mut done = 0usize;
    let mut leaders_now = Leaders::default();
    let mut residents = Residents::default();
    let all: Vec<(&ImportSheet, &ImportRow)> = sheets.iter().flat_map(|s| s.rows.iter().map(move |r| (s, r))).collect();
    for batch in all.chunks(BATCH_ROWS) {
        let fields: Vec<Fields<'_>> = batch.iter().map(|(_, raw)| Fields::of(raw)).collect();
        let mut known = Known::load(db, &fields).await?;
        for (&(sheet, raw), row) in batch.iter().zip(&fields) {
            done += 1;
            progress(done, total);
            let mut c = Check { sheet, row: raw.row, errors: Vec::new(), warnings: Vec::new() };
            let full_name = row.get(k::FULL_NAME);
            if full_name.is_none() {
                c.error(Some(k::FULL_NAME), "Chưa nhập họ và tên");
            }
            let village_name = row.get(k::VILLAGE);
            if village_name.is_none() {
                c.error(Some(k::VILLAGE), "Chưa nhập thôn, tổ dân phố");
            }
            let commune = row_commune(db, &mut units, row, village_name.as_deref(), &mut c, may_write).await?;
            // The village in that commune, and its team.
            let mut place: Option<(VillageRow, i64, String, String)> = None;
            if let (Some(cm), Some(vn)) = (&commune, &village_name) {
                match pick_village(db, &mut units, cm, vn, Some(row)).await? {
                    Ok(v) => match (v.team_id, v.team.clone()) {
                        (Some(t), Some(tn)) => place = Some((v, t, tn, cm.unit.path.clone())),
                        _ => c.error(
                            Some(k::VILLAGE),
                            format!("{} ({}) chưa có tổ công nghệ số cộng đồng đang hoạt động", v.name, cm.unit.name),
                        ),
                    },
                    Err(m) => c.error(Some(k::VILLAGE), m),
                }
            }
            // The person's fields.
            let phone = match row.get(k::PHONE) {
                None => {
                    c.error(Some(k::PHONE), "Chưa nhập số điện thoại");
                    None
                }
                Some(p) => match PhoneVn::parse(&p) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        c.error(Some(k::PHONE), e.to_string());
                        None
                    }
                },
            };
            let mut gender = None;
            if let Some(g) = row.get(k::GENDER) {
                gender = parse_gender(&g);
                if gender.is_none() {
                    c.error(Some(k::GENDER), format!("Giới tính “{g}” không rõ: hãy ghi Nam hoặc Nữ"));
                }
            }
            match (row.get(k::MALE).is_some(), row.get(k::FEMALE).is_some()) {
                (true, true) => c.error(Some(k::MALE), "Đánh dấu cả cột Nam và cột Nữ"),
                (true, false) => gender = gender.or(Some(Gender::Male)),
                (false, true) => gender = gender.or(Some(Gender::Female)),
                (false, false) => {}
            }
            let mut birth_date = None;
            let mut birth_year: Option<i32> = None;
            if let Some(b) = row.get(k::BIRTH_DATE) {
                if b.len() == 4 && b.bytes().all(|x| x.is_ascii_digit()) {
                    birth_year = b.parse().ok();
                } else {
                    match parse_date(&b) {
                        Ok(d) if d > today => c.error(Some(k::BIRTH_DATE), "Ngày sinh ở tương lai"),
                        Ok(d) => {
                            birth_date = Some(d);
                            birth_year = Some(d.year());
                        }
                        Err(m) => c.error(Some(k::BIRTH_DATE), m),
                    }
                }
            }
            if let Some(y) = row.get(k::BIRTH_YEAR) {
                match y.parse::<i32>() {
                    Ok(y) if birth_year.is_some_and(|b| b != y) => {
                        c.error(Some(k::BIRTH_YEAR), format!("Năm sinh {y} khác với ngày sinh đã ghi"));
                    }
                    Ok(y) => birth_year = Some(y),
                    Err(_) => c.error(Some(k::BIRTH_YEAR), format!("Năm sinh “{y}” không hợp lệ")),
                }
            }
            if let Some(y) = birth_year {
                let max = today.year() - 12;
                if !(1920..=max).contains(&y) {
                    c.error(Some(k::BIRTH_YEAR), format!("Năm sinh {y} không hợp lệ (từ 1920 đến {max})"));
                    birth_year = None;
                }
            }
            let cccd = match row.get(k::CCCD) {
                None => None,
                Some(s) => match Cccd::parse(&s, gender, birth_year) {
                    Ok(x) => Some(x),
                    Err(e) => {
                        c.error(Some(k::CCCD), e.to_string());
                        None
                    }
                },
            };
            if gender.is_none() {
                gender = cccd.as_ref().map(Cccd::gender);
            }
            if gender.is_none() && row.get(k::GENDER).is_none() {
                c.error(Some(k::GENDER), "Chưa ghi giới tính (Nam / Nữ) và không có số CCCD để suy ra");
            }
            let email = row.get(k::EMAIL).map(|e| e.to_lowercase());
            if let Some(e) = &email
                && !(e.contains('@') && e.contains('.') && !e.contains(char::is_whitespace))
            {
                c.error(Some(k::EMAIL), format!("Địa chỉ thư điện tử “{e}” không hợp lệ"));
            }
            let role = match row.get(k::ROLE) {
                None => None,
                Some(r) => {
                    let parsed = parse_role(&r);
                    if parsed.is_none() {
                        c.error(Some(k::ROLE), format!("Vai trò “{r}” không rõ: Tổ trưởng, Tổ phó hoặc Thành viên"));
                    }
                    parsed
                }
            };
            let position = row.get(k::POSITION).map(|p| {
                parse_position(&p).unwrap_or_else(|| {
                    c.warn(Some(k::POSITION), format!("Chức danh “{p}” không có trong danh mục: ghi là “Khác”"));
                    Position::Other
                })
            });
            let name = full_name.clone().unwrap_or_default();
            let folded = text::fold(&name);
            // Duplicates inside the file.
            if c.errors.is_empty()
                && let Some((village, _, _, _)) = &place
            {
                let mut mine = Vec::new();
                if let Some(x) = &cccd {
                    mine.push((format!("cccd {}", x.as_str()), "cùng số CCCD"));
                }
                if let Some(p) = &phone {
                    mine.push((format!("phone {} {folded}", p.as_str()), "cùng số điện thoại và họ tên"));
                }
                if let Some(y) = birth_year {
                    mine.push((format!("nyv {folded} {y} {}", village.village_id), "cùng họ tên, năm sinh và thôn"));
                }
                if let Some((s, r, why)) = mine.iter().find_map(|(key, _)| seen.get(key)) {
                    c.error(None, format!("Trùng với dòng {r} của trang “{s}” ({why})"));
                }
                for (key, why) in mine {
                    seen.entry(key).or_insert((&sheet.name, raw.row, why));
                }
            }
            // The person already registered, if any.
            let mut matched = None;
            if c.errors.is_empty()
                && let (Some((village, team_id, team_name, path)), Some(phone), Some(gender)) = (&place, &phone, gender)
            {
                let found =
                    known.person(db, cccd.as_ref(), phone, &folded, birth_year, village, &mut residents).await?;
                let wanted = PersonVals {
                    full_name: name.clone(),
                    gender: gender.code().to_owned(),
                    birth_date: birth_date.map(iso),
                    birth_year: birth_year.map(i64::from),
                    phone: phone.as_str().to_owned(),
                    cccd: cccd.as_ref().map(|x| x.as_str().to_owned()),
                    email: email.clone(),
                };
                if let (Some((f, _)), Some(r)) = (&found, role)
                    && r != Role::Leader
                {
                    demoted.insert(f.person_id);
                }
                if role == Some(Role::Leader) {
                    if let Some(r) = leaders.insert(*team_id, raw.row) {
                        c.error(
                            Some(k::ROLE),
                            format!("{team_name} có hai tổ trưởng trong tệp (dòng {r} và dòng {})", raw.row),
                        );
                    } else if let Some((pid, leader)) = leaders_now.of(db, village.commune_id, *team_id).await?
                        && found.as_ref().is_none_or(|(f, _)| f.person_id != pid)
                    {
                        let message = format!(
                            "{team_name} đã có tổ trưởng ({leader}); hãy ghi vai trò mới của {leader} (Tổ phó hoặc \
                             Thành viên) trong cùng tệp, hoặc đổi vai trò người cũ trước"
                        );
                        displaced.push((pid, c.issue(Some(k::ROLE), message)));
                    }
                }
                match found {
                    None if c.errors.is_empty() => {
                        writes.push(Write::Create {
                            person: wanted,
                            team_id: *team_id,
                            role: role.unwrap_or(Role::Member),
                            position: position.unwrap_or(Position::Other),
                            path: path.clone(),
                        });
                        report.rows.push(outcome(
                            sheet,
                            raw.row,
                            Action::Created,
                            None,
                            &name,
                            Some(team_name),
                            vec![],
                        ));
                    }
                    None => {}
                    Some((f, rule)) => {
                        let person_key = format!("person {}", f.person_id);
                        if let Some((s, r, _)) = seen.get(&person_key) {
                            c.error(
                                None,
                                format!("Trùng với dòng {r} của trang “{s}” (cùng một người đã có trong danh sách)"),
                            );
                        }
                        seen.entry(person_key).or_insert((&sheet.name, raw.row, ""));
                        let before = f.vals();
                        // What the row does not say stays as it is.
                        let after = PersonVals {
                            birth_date: wanted.birth_date.clone().or(before.birth_date.clone()),
                            birth_year: wanted.birth_year.or(before.birth_year),
                            cccd: wanted.cccd.clone().or(before.cccd.clone()),
                            email: wanted.email.clone().or(before.email.clone()),
                            ..wanted
                        };
                        let mut changes = Vec::new();
                        for (label, differs) in [
                            ("họ và tên", before.full_name != after.full_name),
                            ("giới tính", before.gender != after.gender),
                            ("ngày sinh", before.birth_date != after.birth_date),
                            ("năm sinh", before.birth_year != after.birth_year),
                            ("số điện thoại", before.phone != after.phone),
                            ("số CCCD", before.cccd != after.cccd),
                            ("thư điện tử", before.email != after.email),
                        ] {
                            if differs {
                                changes.push(label.to_owned());
                            }
                        }
                        let membership = match known.active.get(&f.person_id) {
                            Some(m) if m.team_id != *team_id => {
                                let m = team_place(db, m.team_id).await?;
                                c.error(
                                    Some(k::VILLAGE),
                                    format!(
                                        "{} đang là thành viên của {} ({}, {}); một người chỉ ở một tổ đang hoạt động — hãy cho rời tổ đó trước",
                                        f.full_name, m.team, m.village, m.commune
                                    ),
                                );
                                MembershipWrite::Keep
                            }
                            Some(m) => {
                                let new_role = role.map_or(m.role.clone(), |r| r.code().to_owned());
                                let new_position = position.map_or(m.position.clone(), |p| p.code().to_owned());
                                if new_role != m.role {
                                    changes.push("vai trò".to_owned());
                                }
                                if new_position != m.position {
                                    changes.push("chức danh".to_owned());
                                }
                                if new_role == m.role && new_position == m.position {
                                    MembershipWrite::Keep
                                } else {
                                    MembershipWrite::Change {
                                        membership_id: m.membership_id,
                                        before: (m.role.clone(), m.position.clone()),
                                        role: Role::from_code(&new_role).unwrap_or(Role::Member),
                                        position: Position::from_code(&new_position).unwrap_or(Position::Other),
                                    }
                                }
                            }
                            None => {
                                changes.push("vào tổ".to_owned());
                                MembershipWrite::Join {
                                    team_id: *team_id,
                                    role: role.unwrap_or(Role::Member),
                                    position: position.unwrap_or(Position::Other),
                                }
                            }
                        };
                        if c.errors.is_empty() {
                            let action = if changes.is_empty() { Action::Unchanged } else { Action::Updated };
                            report.rows.push(outcome(
                                sheet,
                                raw.row,
                                action,
                                Some(rule),
                                &name,
                                Some(team_name),
                                changes,
                            ));
                            if action == Action::Updated {
                                writes.push(Write::Update {
                                    person_id: f.person_id,
                                    before: Box::new(before),
                                    after: Box::new(after),
                                    membership,
                                    path: path.clone(),
                                });
                            }
                        }
                        matched = Some(rule);
                    }
                }
            }
            if !c.errors.is_empty() {
                let team = place.as_ref().map(|p| p.2.as_str());
                report.rows.push(outcome(sheet, raw.row, Action::Rejected, matched, &name, team, vec![]));
            }
            report.errors.append(&mut c.errors);
            report.warnings.append(&mut c.warnings);
        }
    }
    // A leader displaced without being given another role: the new leader's row is refused.
    for (_, issue) in displaced.into_iter().filter(|(pid, _)| !demoted.contains(pid)) {
        if let Some(o) = report.rows.iter_mut().find(|o| o.sheet == issue.sheet && o.row == issue.row) {
            o.action = Action::Rejected;
            o.changes.clear();
        }
        report.errors.push(issue);
    }
    let sheet_at = |name: &str| sheets.iter().position(|s| s.name == name);
    report.errors.sort_by_key(|e| (sheet_at(&e.sheet), e.row));
    count_actions(&mut report);
    if dry_run || !report.errors.is_empty() {
        return Ok(report);
    }
    if !writes.is_empty() {
        write_all(db, &writes, today).await?;
    }
    report.applied = true;
    Ok(report)
}

/// The commune a row names (its column, else the sheet's name when that is a commune), as it is
/// today; a warning when named as it was, an error when not found.
async fn row_commune(
    db: &Db,
    units: &mut Units,
    row: &Fields<'_>,
    village: Option<&str>,
    c: &mut Check<'_>,
    may_write: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Option<Commune>, StoreError> {
    use keys as k;
    let district = row.get(k::DISTRICT);
    let commune = match row.get(k::COMMUNE) {
        Some(name) => match units.commune(db, &name, district.as_deref(), village).await? {
            Ok(found) => Some(found),
            Err(m) => {
                let key = if m.contains("huyện, quận, thị xã") { k::DISTRICT } else { k::COMMUNE };
                c.error(Some(key), m);
                None
            }
        },
        None => match units.commune(db, &c.sheet.name, district.as_deref(), village).await? {
            Ok(found) => Some(found),
            Err(_) => {
                c.error(Some(k::COMMUNE), "Chưa nhập xã, phường");
                None
            }
        },
    };
    if let Some(w) = commune.as_ref().and_then(|x| x.warning.clone()) {
        c.warn(Some(k::COMMUNE), w);
    }
    if let Some(found) = commune.as_ref().filter(|x| !may_write(&x.unit.path)) {
        c.error(Some(k::COMMUNE), format!("Bạn không có quyền nhập danh sách cho {}", found.unit.name));
        return Ok(None);
    }
    Ok(commune)
}

/// Why a village is not in a commune: it is in another one, or nowhere.
async fn village_not_in(db: &Db, name: &str, commune: &Unit) -> Result<String, StoreError> {
    let elsewhere = villages_named(db, name, commune.unit_id).await?;
    Ok(match elsewhere.first() {
        Some((v, other)) => format!("{v} thuộc {other}, không thuộc {}", commune.name),
        None => format!("Thôn “{name}” không có trong {}", commune.name),
    })
}

fn outcome(
    sheet: &ImportSheet,
    row: usize,
    action: Action,
    matched_by: Option<MatchRule>,
    name: &str,
    team: Option<&str>,
    changes: Vec<String>,
) -> RowOutcome {
    RowOutcome {
        sheet: sheet.name.clone(),
        row,
        action,
        matched_by,
        name: name.to_owned(),
        team: team.map(str::to_owned),
        changes,
    }
}

/// Active villages of this name in communes other than `except`, with their commune's name.
async fn villages_named(db: &Db, name: &str, except: i64) -> Result<Vec<(String, String)>, StoreError> {
    let typed = text::fold(name);
    let key = bare(&typed, &VILLAGE_PREFIXES);
    let pattern = crate::contains_pattern(&key);
    let sql = "select v.name, v.search_text, c.name from village v join unit c on c.unit_id = v.commune_id \
               where v.status = 'active' and v.commune_id <> $1 and v.search_text like $2 escape '\\' \
               order by v.village_id";
    let rows: Vec<(String, String, String)> =
        on_db!(db, |pool| sqlx::query_as(sql).bind(except).bind(&pattern).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .filter(|(_, s, _)| *s == typed || bare(s, &VILLAGE_PREFIXES) == key)
        .map(|(v, _, c)| (v, c))
        .collect())
}

/// A person's columns as [`Found`] reads them.
const PERSON_COLUMNS: &str =
    "p.person_id, p.full_name, p.search_text, p.gender, p.birth_date, p.birth_year, p.phone, p.cccd, p.email";

/// Rows are checked in batches of this many: the people a batch may match are read in a few
/// queries before its rows are checked, and dropped after.
const BATCH_ROWS: usize = 5000;
/// Values in one `in (…)` list. Small: sqlx finds each value's place in a SQLite statement by
/// looking its name up among all of the statement's (`sqlite3_bind_parameter_name`), so binding
/// costs the square of the values a statement has.
const KEYS_PER_QUERY: usize = 100;

/// `$1, $2, … $n`.
fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// People whose `column` (`p.cccd` or `p.phone`) is one of `values`, by `person_id`.
async fn people_where(db: &Db, column: &'static str, values: &[String]) -> Result<Vec<Found>, StoreError> {
    let mut out = Vec::new();
    for chunk in values.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "select {PERSON_COLUMNS} from person p where {column} in ({}) order by p.person_id",
            placeholders(chunk.len())
        );
        let rows: Vec<Found> = on_db!(db, |pool| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for v in chunk {
                q = q.bind(v);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// A person's active membership.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Active {
    person_id: i64,
    membership_id: i64,
    team_id: i64,
    role: String,
    position: String,
}

const ACTIVE_COLUMNS: &str = "m.person_id, m.membership_id, m.team_id, m.role, m.position";

/// The registered people the rows of one batch may be, read before the rows are checked: by
/// CCCD and by phone number (the values the batch holds), with their active memberships. The
/// registry does not change while rows are checked, so each answer is the one a query per row
/// would give.
#[derive(Default)]
struct Known {
    by_cccd: HashMap<String, Found>,
    /// By phone number, in `person_id` order.
    by_phone: HashMap<String, Vec<Found>>,
    /// Active memberships by person (none: not in a team).
    active: HashMap<i64, Active>,
}

impl Known {
    async fn load(db: &Db, rows: &[Fields<'_>]) -> Result<Self, StoreError> {
        let (mut cccds, mut phones) = (HashSet::new(), HashSet::new());
        for row in rows {
            if let Some(x) = row.get(keys::CCCD).and_then(|c| Cccd::parse(&c, None, None).ok()) {
                cccds.insert(x.as_str().to_owned());
            }
            if let Some(p) = row.get(keys::PHONE).and_then(|p| PhoneVn::parse(&p).ok()) {
                phones.insert(p.as_str().to_owned());
            }
        }
        let mut known = Known::default();
        let cccds: Vec<String> = cccds.into_iter().collect();
        for f in people_where(db, "p.cccd", &cccds).await? {
            if let Some(x) = f.cccd.clone() {
                known.by_cccd.insert(x, f);
            }
        }
        let phones: Vec<String> = phones.into_iter().collect();
        for f in people_where(db, "p.phone", &phones).await? {
            known.by_phone.entry(f.phone.clone()).or_default().push(f);
        }
        let ids: HashSet<i64> =
            known.by_cccd.values().chain(known.by_phone.values().flatten()).map(|f| f.person_id).collect();
        let ids: Vec<i64> = ids.into_iter().collect();
        for chunk in ids.chunks(KEYS_PER_QUERY) {
            let sql = format!(
                "select {ACTIVE_COLUMNS} from membership m where m.left_on is null and m.person_id in ({})",
                placeholders(chunk.len())
            );
            let rows: Vec<Active> = on_db!(db, |pool| {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(pool).await
            })?;
            known.active.extend(rows.into_iter().map(|a| (a.person_id, a)));
        }
        Ok(known)
    }

    /// The registered person a row is, by CCCD, else phone and name, else name, birth year and
    /// village. A person whose stored CCCD differs from the row's is someone else.
    #[allow(clippy::too_many_arguments)]
    async fn person(
        &mut self,
        db: &Db,
        cccd: Option<&Cccd>,
        phone: &PhoneVn,
        folded: &str,
        birth_year: Option<i32>,
        village: &VillageRow,
        residents: &mut Residents,
    ) -> Result<Option<(Found, MatchRule)>, StoreError> {
        if let Some(f) = cccd.and_then(|x| self.by_cccd.get(x.as_str())) {
            return Ok(Some((f.clone(), MatchRule::Cccd)));
        }
        let compatible = |f: &Found| f.cccd.is_none() || cccd.is_none();
        let by_phone = self.by_phone.get(phone.as_str()).map(Vec::as_slice).unwrap_or_default();
        if let Some(f) = by_phone.iter().find(|f| f.search_text == folded && compatible(f)) {
            return Ok(Some((f.clone(), MatchRule::Phone)));
        }
        if let Some(y) = birth_year {
            let members = residents.of(db, village.commune_id).await?;
            let key = (village.village_id, folded.to_owned(), i64::from(y));
            let first =
                members.get(&key).and_then(|found| found.iter().find(|(_, has_cccd)| !has_cccd || cccd.is_none()));
            if let Some(&(person_id, _)) = first {
                let sql = format!("select {PERSON_COLUMNS} from person p where p.person_id = $1");
                let f: Found = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(person_id)
                    .fetch_one(pool)
                    .await)?;
                let sql =
                    format!("select {ACTIVE_COLUMNS} from membership m where m.left_on is null and m.person_id = $1");
                let active: Option<Active> = on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(person_id)
                    .fetch_optional(pool)
                    .await)?;
                self.active.extend(active.map(|a| (a.person_id, a)));
                return Ok(Some((f, MatchRule::NameBirthYearVillage)));
            }
        }
        Ok(None)
    }
}

/// A commune's active members by village, folded name and birth year: person id, and whether a
/// CCCD is stored.
type Villagers = HashMap<(i64, String, i64), Vec<(i64, bool)>>;

/// Active members of each commune's teams by village, folded name and birth year, in
/// `person_id` order: their person id and whether a CCCD is stored for them. Read a commune at a
/// time when a row first needs it, and kept for the whole file (a few bytes a member): the rows
/// of one commune may be anywhere in the file.
#[derive(Default)]
struct Residents {
    by_commune: HashMap<i64, Villagers>,
}

impl Residents {
    async fn of(&mut self, db: &Db, commune_id: i64) -> Result<&Villagers, StoreError> {
        if let Entry::Vacant(entry) = self.by_commune.entry(commune_id) {
            let sql = "select p.person_id, p.cccd, t.village_id, p.search_text, p.birth_year from person p \
                       join membership m on m.person_id = p.person_id and m.left_on is null \
                       join team t on t.team_id = m.team_id join village v on v.village_id = t.village_id \
                       where v.commune_id = $1 and p.birth_year is not null order by p.person_id";
            let rows: Vec<(i64, Option<String>, i64, String, i64)> =
                on_db!(db, |pool| sqlx::query_as(sql).bind(commune_id).fetch_all(pool).await)?;
            let mut members: Villagers = HashMap::new();
            for (person_id, cccd, village_id, folded, year) in rows {
                members.entry((village_id, folded, year)).or_default().push((person_id, cccd.is_some()));
            }
            entry.insert(members);
        }
        Ok(&self.by_commune[&commune_id])
    }
}

/// The leader of each team, read a commune at a time.
#[derive(Default)]
struct Leaders {
    by_commune: HashMap<i64, HashMap<i64, (i64, String)>>,
}

impl Leaders {
    /// The leader (person id and name) of a team of a commune.
    async fn of(&mut self, db: &Db, commune_id: i64, team_id: i64) -> Result<Option<(i64, String)>, StoreError> {
        if let Entry::Vacant(entry) = self.by_commune.entry(commune_id) {
            let sql = "select t.team_id, p.person_id, p.full_name from membership m \
                       join person p on p.person_id = m.person_id join team t on t.team_id = m.team_id \
                       join village v on v.village_id = t.village_id \
                       where v.commune_id = $1 and m.left_on is null and m.role = 'leader' order by m.membership_id";
            let rows: Vec<(i64, i64, String)> =
                on_db!(db, |pool| sqlx::query_as(sql).bind(commune_id).fetch_all(pool).await)?;
            let mut leaders = HashMap::new();
            for (team, person, name) in rows {
                leaders.entry(team).or_insert((person, name));
            }
            entry.insert(leaders);
        }
        Ok(self.by_commune[&commune_id].get(&team_id).cloned())
    }
}

/// A team's name, its village's and its commune's, for saying where someone is a member.
#[derive(Debug, Clone, sqlx::FromRow)]
struct TeamPlace {
    team: String,
    village: String,
    commune: String,
}

async fn team_place(db: &Db, team_id: i64) -> Result<TeamPlace, StoreError> {
    let sql = "select t.name as team, v.name as village, c.name as commune from team t \
               join village v on v.village_id = t.village_id join unit c on c.unit_id = v.commune_id \
               where t.team_id = $1";
    Ok(on_db!(db, |pool| sqlx::query_as(sql).bind(team_id).fetch_one(pool).await)?)
}

/// Writes applied together, and rows in one multi-row insert: at most 9 values a row, few enough
/// (see [`KEYS_PER_QUERY`]) that binding them costs little next to the statement.
const ROWS_PER_INSERT: usize = 32;

/// `(…), (…)`: `rows` tuples of `per_row` numbered values following the `shared` first ones,
/// each tuple ended by `extra` (which may name the shared values, as `, $1`).
fn tuples(rows: usize, per_row: usize, shared: usize, extra: &str) -> String {
    (0..rows)
        .map(|r| {
            let values: Vec<String> = (1..=per_row).map(|c| format!("${}", shared + r * per_row + c)).collect();
            format!("({}{extra})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A membership an import creates: for the write at `at` in its chunk.
struct NewMembership<'a> {
    at: usize,
    person_id: i64,
    team_id: i64,
    role: Role,
    position: Position,
    path: &'a str,
}

/// Every write of an import, in one transaction, each with its audit event. The writes go a
/// chunk at a time: updates one by one, the people and the memberships a chunk creates in one
/// multi-row insert each, then the chunk's audit events, in the order of its writes, in one.
#[allow(clippy::too_many_lines)]
async fn write_all(db: &Db, writes: &[Write], today: time::Date) -> Result<(), StoreError> {
    let stamp = now();
    let joined_on = iso(today);
    let actor = crate::audit::current();
    in_tx!(db, |tx| {
        for chunk in writes.chunks(ROWS_PER_INSERT) {
            // Changes to people and memberships already there.
            for w in chunk {
                let Write::Update { person_id, before, after, membership, .. } = w else { continue };
                if **before != **after {
                    sqlx::query(
                        "update person set full_name = $2, search_text = $3, sort_key = $4, gender = $5, birth_date = $6, \
                         birth_year = $7, phone = $8, cccd = $9, email = $10, updated_at = $11 where person_id = $1",
                    )
                    .bind(person_id)
                    .bind(&after.full_name)
                    .bind(text::fold(&after.full_name))
                    .bind(text::person_sort_key(&after.full_name))
                    .bind(&after.gender)
                    .bind(&after.birth_date)
                    .bind(after.birth_year)
                    .bind(&after.phone)
                    .bind(&after.cccd)
                    .bind(&after.email)
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
                }
                if let MembershipWrite::Change { membership_id, role, position, .. } = membership {
                    sqlx::query(
                        "update membership set role = $2, position = $3, updated_at = $4 where membership_id = $1",
                    )
                    .bind(membership_id)
                    .bind(role.code())
                    .bind(position.code())
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            // New people, told apart in what the insert returns (in no promised order) by phone
            // and folded name: two rows of one file never share both (the second is refused as a
            // duplicate); should two, they go in separate inserts.
            let mut person_ids: Vec<Option<i64>> = vec![None; chunk.len()];
            let creates: Vec<(usize, &PersonVals, String)> = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, w)| match w {
                    Write::Create { person, .. } => Some((i, person, text::fold(&person.full_name))),
                    Write::Update { .. } => None,
                })
                .collect();
            let mut start = 0;
            while start < creates.len() {
                let mut keys: HashMap<(&str, &str), usize> = HashMap::new();
                let mut end = start;
                while let Some((i, p, folded)) = creates.get(end)
                    && !keys.contains_key(&(p.phone.as_str(), folded.as_str()))
                {
                    keys.insert((&p.phone, folded), *i);
                    end += 1;
                }
                let batch = &creates[start..end];
                start = end;
                let sql = format!(
                    "insert into person (full_name, search_text, sort_key, gender, birth_date, birth_year, phone, cccd, email, \
                     created_at, updated_at) values {} returning person_id, phone, search_text",
                    tuples(batch.len(), 9, 1, ", $1, $1")
                );
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(&stamp);
                for (_, p, folded) in batch {
                    q = q
                        .bind(&p.full_name)
                        .bind(folded)
                        .bind(text::person_sort_key(&p.full_name))
                        .bind(&p.gender)
                        .bind(&p.birth_date)
                        .bind(p.birth_year)
                        .bind(&p.phone)
                        .bind(&p.cccd)
                        .bind(&p.email);
                }
                let made: Vec<(i64, String, String)> = q.fetch_all(&mut *tx).await?;
                for (id, phone, folded) in made {
                    if let Some(&i) = keys.get(&(phone.as_str(), folded.as_str())) {
                        person_ids[i] = Some(id);
                    }
                }
            }
            // New memberships: of the new people, and of people joining a team.
            let mut joins: Vec<NewMembership<'_>> = Vec::new();
            for (at, w) in chunk.iter().enumerate() {
                match w {
                    Write::Create { team_id, role, position, path, .. } => {
                        let person_id = person_ids[at].ok_or(sqlx::Error::RowNotFound)?;
                        joins.push(NewMembership {
                            at,
                            person_id,
                            team_id: *team_id,
                            role: *role,
                            position: *position,
                            path,
                        });
                    }
                    Write::Update {
                        person_id,
                        membership: MembershipWrite::Join { team_id, role, position },
                        path,
                        ..
                    } => {
                        joins.push(NewMembership {
                            at,
                            person_id: *person_id,
                            team_id: *team_id,
                            role: *role,
                            position: *position,
                            path,
                        });
                    }
                    Write::Update { .. } => {}
                }
            }
            let mut membership_ids: HashMap<i64, i64> = HashMap::new();
            if !joins.is_empty() {
                let sql = format!(
                    "insert into membership (person_id, team_id, role, position, joined_on, created_at, updated_at) \
                     values {} returning membership_id, person_id",
                    tuples(joins.len(), 4, 2, ", $1, $2, $2")
                );
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(&joined_on).bind(&stamp);
                for j in &joins {
                    q = q.bind(j.person_id).bind(j.team_id).bind(j.role.code()).bind(j.position.code());
                }
                let made: Vec<(i64, i64)> = q.fetch_all(&mut *tx).await?;
                membership_ids.extend(made.into_iter().map(|(m, p)| (p, m)));
            }
            // The audit events, in the order of the writes.
            let mut events: Vec<crate::audit::Event> = Vec::new();
            let mut joined = joins.iter().peekable();
            for (at, w) in chunk.iter().enumerate() {
                let joined_here = joined.next_if(|j| j.at == at);
                let membership_event = joined_here.map(|j| {
                    let id = membership_ids.get(&j.person_id).copied().unwrap_or_default();
                    crate::audit::Event::new("membership", id, "import").unit(j.path).after(serde_json::json!({
                        "person_id": j.person_id, "team_id": j.team_id, "role": j.role.code(), "position": j.position.code(),
                        "joined_on": joined_on
                    }))
                });
                match w {
                    Write::Create { person, team_id, role, position, path } => {
                        events.extend(membership_event);
                        let mut after = person.json();
                        after["team_id"] = serde_json::json!(team_id);
                        after["role"] = serde_json::json!(role.code());
                        after["position"] = serde_json::json!(position.code());
                        let id = person_ids[at].unwrap_or_default();
                        events.push(crate::audit::Event::new("person", id, "import").unit(path).after(after));
                    }
                    Write::Update { person_id, before, after, membership, path } => {
                        if **before != **after {
                            events.push(
                                crate::audit::Event::new("person", *person_id, "import")
                                    .unit(path)
                                    .before(before.json())
                                    .after(after.json()),
                            );
                        }
                        if let MembershipWrite::Change { membership_id, before, role, position } = membership {
                            events.push(
                                crate::audit::Event::new("membership", *membership_id, "import")
                                    .unit(path)
                                    .before(serde_json::json!({ "role": before.0, "position": before.1 }))
                                    .after(serde_json::json!({ "role": role.code(), "position": position.code() })),
                            );
                        }
                        events.extend(membership_event);
                    }
                }
            }
            for events in events.chunks(ROWS_PER_INSERT) {
                let sql = format!(
                    "insert into audit_event (occurred_at, entity, entity_id, action, unit_path, before_json, after_json, \
                     actor, channel, address) values {}",
                    tuples(events.len(), 7, 3, ", $1, $2, $3")
                );
                let at = now();
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(&actor.login)
                    .bind(actor.channel)
                    .bind(&actor.address);
                for e in events {
                    q = q
                        .bind(&at)
                        .bind(e.entity)
                        .bind(e.entity_id)
                        .bind(e.action)
                        .bind(&e.unit_path)
                        .bind(e.before.as_ref().map(ToString::to_string))
                        .bind(e.after.as_ref().map(ToString::to_string));
                }
                q.execute(&mut *tx).await?;
            }
        }
        Ok::<(), StoreError>(())
    })
}

fn count_actions(report: &mut ImportReport) {
    for r in &report.rows {
        match r.action {
            Action::Created => report.created += 1,
            Action::Updated => report.updated += 1,
            Action::Unchanged => report.unchanged += 1,
            Action::Rejected => report.rejected += 1,
        }
    }
}

/// Imports villages (thôn, tổ dân phố): a commune (and district) and a village's name on each
/// row. A village the commune already has (its name with or without "Thôn", diacritics and case
/// ignored) is unchanged; others are created. Whole or not at all, like members.
///
/// # Errors
/// Database errors only: every problem with the rows is in the report.
pub async fn import_villages(
    db: &Db,
    sheets: &[ImportSheet],
    dry_run: bool,
    may_write: &(dyn Fn(&str) -> bool + Sync),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ImportReport, StoreError> {
    use keys as k;
    let total: usize = sheets.iter().map(|s| s.rows.len()).sum();
    let mut units = Units::load(db).await?;
    let mut report = ImportReport { dry_run, ..ImportReport::default() };
    let mut writes: Vec<(Unit, String)> = Vec::new();
    let mut seen: HashMap<(i64, String), (String, usize)> = HashMap::new();
    let mut done = 0usize;
    for sheet in sheets {
        for raw in &sheet.rows {
            done += 1;
            progress(done, total);
            let row = Fields::of(raw);
            let mut c = Check { sheet, row: raw.row, errors: Vec::new(), warnings: Vec::new() };
            let name = match row.get(k::VILLAGE).map(|v| parse_village_name(&v)) {
                None => {
                    c.error(Some(k::VILLAGE), "Chưa nhập thôn, tổ dân phố");
                    None
                }
                Some(Err(e)) => {
                    c.error(Some(k::VILLAGE), e.to_string());
                    None
                }
                Some(Ok(n)) => Some(n),
            };
            let commune = row_commune(db, &mut units, &row, None, &mut c, may_write).await?;
            let mut action = Action::Rejected;
            if let (Some(n), Some(cm)) = (&name, &commune) {
                let key = (cm.unit.unit_id, bare(&text::fold(n), &VILLAGE_PREFIXES));
                if let Some((s, r)) = seen.get(&key) {
                    c.error(Some(k::VILLAGE), format!("Trùng với dòng {r} của trang “{s}” (cùng thôn, cùng xã)"));
                } else {
                    seen.insert(key, (sheet.name.clone(), raw.row));
                    if find_village(units.villages_of(db, cm.unit.unit_id).await?, n).is_some() {
                        action = Action::Unchanged;
                    } else {
                        action = Action::Created;
                        writes.push((cm.unit.clone(), n.clone()));
                    }
                }
            }
            let place = commune.as_ref().map(|x| x.unit.name.clone());
            let mut o = outcome(sheet, raw.row, action, None, name.as_deref().unwrap_or_default(), None, vec![]);
            o.team = place;
            report.rows.push(o);
            report.errors.append(&mut c.errors);
            report.warnings.append(&mut c.warnings);
        }
    }
    count_actions(&mut report);
    if dry_run || !report.errors.is_empty() {
        return Ok(report);
    }
    if !writes.is_empty() {
        let stamp = now();
        in_tx!(db, |tx| {
            for (commune, name) in &writes {
                let (id,): (i64,) = sqlx::query_as(
                    "insert into village (commune_id, name, search_text, sort_key, status, created_at, updated_at) \
                     values ($1, $2, $3, $4, 'active', $5, $5) returning village_id",
                )
                .bind(commune.unit_id)
                .bind(name)
                .bind(text::fold(name))
                .bind(text::sort_key(name))
                .bind(&stamp)
                .fetch_one(&mut *tx)
                .await?;
                // As `villages::create`: deemed to have lain in its commune since the commune's row began.
                sqlx::query("insert into village_placement (village_id, commune_id, valid_from) values ($1, $2, $3)")
                    .bind(id)
                    .bind(commune.unit_id)
                    .bind(&commune.valid_from)
                    .execute(&mut *tx)
                    .await?;
                audit!(
                    tx,
                    crate::audit::Event::new("village", id, "import")
                        .unit(&commune.path)
                        .after(serde_json::json!({ "name": name, "commune_code": commune.code }))
                );
            }
            Ok::<(), StoreError>(())
        })?;
    }
    report.applied = true;
    Ok(report)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct TeamVals {
    name: String,
    established_on: String,
    zalo_url: Option<String>,
}

/// A team to found (`existing` empty) or to change.
struct TeamWrite {
    village_id: i64,
    existing: Option<(i64, TeamVals)>,
    team: TeamVals,
    path: String,
}

/// Imports teams: a commune, a village that exists (import villages first), the founding day,
/// and optionally the team's name and Zalo link. A village without an active team gets one; a
/// village's team is updated where the row differs, unchanged otherwise. Whole or not at all.
///
/// # Errors
/// Database errors only: every problem with the rows is in the report.
#[allow(clippy::too_many_lines)]
pub async fn import_teams(
    db: &Db,
    sheets: &[ImportSheet],
    dry_run: bool,
    may_write: &(dyn Fn(&str) -> bool + Sync),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ImportReport, StoreError> {
    use keys as k;
    let today = crate::today();
    let total: usize = sheets.iter().map(|s| s.rows.len()).sum();
    let mut units = Units::load(db).await?;
    let mut report = ImportReport { dry_run, ..ImportReport::default() };
    let mut writes: Vec<TeamWrite> = Vec::new();
    let mut seen: HashMap<i64, (String, usize)> = HashMap::new();
    let mut done = 0usize;
    for sheet in sheets {
        for raw in &sheet.rows {
            done += 1;
            progress(done, total);
            let row = Fields::of(raw);
            let mut c = Check { sheet, row: raw.row, errors: Vec::new(), warnings: Vec::new() };
            let village_name = row.get(k::VILLAGE);
            if village_name.is_none() {
                c.error(Some(k::VILLAGE), "Chưa nhập thôn, tổ dân phố");
            }
            let established_on = match row.get(k::ESTABLISHED_ON) {
                None => {
                    c.error(Some(k::ESTABLISHED_ON), "Chưa nhập ngày thành lập");
                    None
                }
                Some(d) => match parse_date(&d) {
                    Ok(d) if d > today => {
                        c.error(Some(k::ESTABLISHED_ON), "Ngày thành lập ở tương lai");
                        None
                    }
                    Ok(d) => Some(d),
                    Err(m) => {
                        c.error(Some(k::ESTABLISHED_ON), m);
                        None
                    }
                },
            };
            let zalo = match row.get(k::ZALO_URL).map(|z| parse_zalo_url(&z)) {
                Some(Err(m)) => {
                    c.error(Some(k::ZALO_URL), m);
                    None
                }
                Some(Ok(z)) => z,
                None => None,
            };
            let team_name = row.get(k::TEAM);
            if team_name.as_ref().is_some_and(|n| n.chars().count() > 150) {
                c.error(Some(k::TEAM), "Tên tổ dài quá 150 ký tự");
            }
            let commune = row_commune(db, &mut units, &row, village_name.as_deref(), &mut c, may_write).await?;
            let mut village = None;
            if let (Some(cm), Some(vn)) = (&commune, &village_name) {
                match pick_village(db, &mut units, cm, vn, None).await? {
                    Ok(v) => village = Some((v, cm.unit.path.clone())),
                    Err(m) if m.contains("trùng tên") => c.error(Some(k::VILLAGE), m),
                    Err(m) => c.error(Some(k::VILLAGE), format!("{m}; hãy nhập danh sách thôn trước")),
                }
            }
            let mut action = Action::Rejected;
            let mut changes = Vec::new();
            let mut shown = team_name.clone().unwrap_or_default();
            if let Some((v, path)) = &village {
                if let Some((s, r)) = seen.get(&v.village_id) {
                    c.error(Some(k::VILLAGE), format!("Trùng với dòng {r} của trang “{s}” (cùng thôn)"));
                }
                seen.entry(v.village_id).or_insert((sheet.name.clone(), raw.row));
                if let (Some(day), true) = (established_on, c.errors.is_empty()) {
                    let existing = match v.team_id {
                        None => None,
                        Some(t) => {
                            let sql = "select name, established_on, zalo_url from team where team_id = $1";
                            let vals: TeamVals = on_db!(db, |pool| sqlx::query_as(sql).bind(t).fetch_one(pool).await)?;
                            Some((t, vals))
                        }
                    };
                    let wanted = TeamVals {
                        name: team_name.clone().unwrap_or_else(|| {
                            existing
                                .as_ref()
                                .map_or_else(|| crate::teams::default_name(&v.name), |(_, e)| e.name.clone())
                        }),
                        established_on: iso(day),
                        zalo_url: zalo.clone().or_else(|| existing.as_ref().and_then(|(_, e)| e.zalo_url.clone())),
                    };
                    shown.clone_from(&wanted.name);
                    match &existing {
                        None => {
                            action = Action::Created;
                            writes.push(TeamWrite {
                                village_id: v.village_id,
                                existing: None,
                                team: wanted,
                                path: path.clone(),
                            });
                        }
                        Some((t, e)) => {
                            for (label, differs) in [
                                ("tên tổ", e.name != wanted.name),
                                ("ngày thành lập", e.established_on != wanted.established_on),
                                ("nhóm Zalo", e.zalo_url != wanted.zalo_url),
                            ] {
                                if differs {
                                    changes.push(label.to_owned());
                                }
                            }
                            let sql = "select min(joined_on) from membership where team_id = $1";
                            let (first,): (Option<String>,) =
                                on_db!(db, |pool| sqlx::query_as(sql).bind(*t).fetch_one(pool).await)?;
                            if let Some(first) = first.filter(|f| *f < wanted.established_on) {
                                c.error(
                                    Some(k::ESTABLISHED_ON),
                                    format!(
                                        "Ngày thành lập sau ngày vào tổ của thành viên đầu tiên ({})",
                                        crate::display_date(&first)
                                    ),
                                );
                            } else if changes.is_empty() {
                                action = Action::Unchanged;
                            } else {
                                action = Action::Updated;
                                writes.push(TeamWrite {
                                    village_id: v.village_id,
                                    existing: existing.clone(),
                                    team: wanted,
                                    path: path.clone(),
                                });
                            }
                        }
                    }
                }
            }
            if !c.errors.is_empty() {
                action = Action::Rejected;
                changes.clear();
            }
            let mut o = outcome(sheet, raw.row, action, None, &shown, None, changes);
            o.team = village.as_ref().map(|(v, _)| v.name.clone());
            report.rows.push(o);
            report.errors.append(&mut c.errors);
            report.warnings.append(&mut c.warnings);
        }
    }
    count_actions(&mut report);
    if dry_run || !report.errors.is_empty() {
        return Ok(report);
    }
    if !writes.is_empty() {
        let stamp = now();
        in_tx!(db, |tx| {
            for TeamWrite { village_id, existing, team: t, path } in &writes {
                let after = serde_json::json!({ "name": t.name, "village_id": village_id, "established_on": t.established_on, "zalo_url": t.zalo_url });
                match existing {
                    None => {
                        let (id,): (i64,) = sqlx::query_as(
                            "insert into team (village_id, name, search_text, sort_key, established_on, zalo_url, status, created_at, updated_at) \
                             values ($1, $2, $3, $4, $5, $6, 'active', $7, $7) returning team_id",
                        )
                        .bind(village_id)
                        .bind(&t.name)
                        .bind(text::fold(&t.name))
                        .bind(text::sort_key(&t.name))
                        .bind(&t.established_on)
                        .bind(&t.zalo_url)
                        .bind(&stamp)
                        .fetch_one(&mut *tx)
                        .await?;
                        audit!(tx, crate::audit::Event::new("team", id, "import").unit(path).after(after));
                    }
                    Some((id, before)) => {
                        sqlx::query(
                            "update team set name = $2, search_text = $3, sort_key = $4, established_on = $5, zalo_url = $6, \
                             updated_at = $7 where team_id = $1",
                        )
                        .bind(id)
                        .bind(&t.name)
                        .bind(text::fold(&t.name))
                        .bind(text::sort_key(&t.name))
                        .bind(&t.established_on)
                        .bind(&t.zalo_url)
                        .bind(&stamp)
                        .execute(&mut *tx)
                        .await?;
                        let before = serde_json::json!({ "name": before.name, "established_on": before.established_on, "zalo_url": before.zalo_url });
                        audit!(
                            tx,
                            crate::audit::Event::new("team", *id, "import").unit(path).before(before).after(after)
                        );
                    }
                }
            }
            Ok::<(), StoreError>(())
        })?;
    }
    report.applied = true;
    Ok(report)
}
