//! Reorganisations of administrative units (sắp xếp đơn vị hành chính) as data: from the units
//! current before a change, the new state and the commune mapping, the plan of what ends, what
//! begins and which unit succeeds which. Pure: the store applies the plan in one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::units::{Level, UnitFileError, UnitRow};

/// One row of a mapping file (`old_code,old_name,new_code,new_name`): the commune an old
/// commune became part of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingRow {
    pub old_code: String,
    pub old_name: String,
    pub new_code: String,
    pub new_name: String,
}

/// Reads a mapping file.
///
/// # Errors
/// A missing header, a row without four fields, a code that is not digits, or an old code mapped
/// twice. An old code on several rows is a split: each of its villages must then be assigned
/// (see [`parse_villages_csv`]).
pub fn parse_changes_csv(text: &str) -> Result<Vec<MappingRow>, UnitFileError> {
    let mut seen = BTreeSet::new();
    csv_rows(text, "old_code,old_name,new_code,new_name", &[0, 2])?
        .into_iter()
        .map(|(line, f)| {
            // One old code on several rows is a split (chia tách); the same pair twice is a mistake.
            if !seen.insert((f[0].to_owned(), f[2].to_owned())) {
                return Err(UnitFileError::BadRow { line, reason: "dòng trùng với một dòng trước".into() });
            }
            Ok(MappingRow {
                old_code: f[0].to_owned(),
                old_name: crate::text::clean(f[1]),
                new_code: f[2].to_owned(),
                new_name: crate::text::clean(f[3]),
            })
        })
        .collect()
}

/// The rows of a small comma-separated file with a fixed header: each with its line number and
/// its trimmed fields, blank lines skipped. The columns in `codes` must be digits.
fn csv_rows<'a>(text: &'a str, header: &str, codes: &[usize]) -> Result<Vec<(usize, Vec<&'a str>)>, UnitFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == header => {}
        _ => return Err(UnitFileError::MissingHeader),
    }
    let width = header.split(',').count();
    let mut out = Vec::new();
    for (i, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let bad = |reason: String| UnitFileError::BadRow { line: i + 1, reason };
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != width {
            return Err(bad(format!("cần đúng {width} cột {header}")));
        }
        if codes.iter().any(|&c| f[c].is_empty() || !f[c].bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad("mã đơn vị phải là chữ số".into()));
        }
        out.push((i + 1, f));
    }
    Ok(out)
}

/// One row of a villages file (`old_code,village,new_code`): where a village of a split commune
/// goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VillageRow {
    pub old_code: String,
    pub village: String,
    pub new_code: String,
}

/// Reads a villages file, which says where each village of a split commune goes.
///
/// # Errors
/// A missing header, a row without three fields, or a code that is not digits.
pub fn parse_villages_csv(text: &str) -> Result<Vec<VillageRow>, UnitFileError> {
    Ok(csv_rows(text, "old_code,village,new_code", &[0, 2])?
        .into_iter()
        .map(|(_, f)| VillageRow {
            old_code: f[0].to_owned(),
            village: crate::text::clean(f[1]),
            new_code: f[2].to_owned(),
        })
        .collect())
}

/// Assigns each village of each split commune to one of its parts. `villages` gives, per split
/// commune code, its villages as (id, name); names are matched without diacritics or case.
///
/// # Errors
/// Every village left unassigned, every row naming a village the commune does not have or a
/// commune that is not among the split's parts, every village assigned twice.
pub fn assign_villages(
    splits: &BTreeMap<String, Vec<String>>,
    villages: &BTreeMap<String, Vec<(i64, String)>>,
    rows: &[VillageRow],
) -> Result<BTreeMap<i64, String>, PlanError> {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for r in rows {
        let Some(parts) = splits.get(&r.old_code) else {
            problems.push(format!("xã {} không bị chia tách trong đợt này", r.old_code));
            continue;
        };
        if !parts.contains(&r.new_code) {
            problems.push(format!(
                "{}: mã {} không phải là một phần của xã {} sau chia tách",
                r.village, r.new_code, r.old_code
            ));
            continue;
        }
        let key = crate::text::fold(&r.village);
        match villages.get(&r.old_code).and_then(|vs| vs.iter().find(|(_, n)| crate::text::fold(n) == key)) {
            Some((id, _)) => {
                if out.insert(*id, r.new_code.clone()).is_some() {
                    problems.push(format!("{} của xã {} được ghi hai lần", r.village, r.old_code));
                }
            }
            None => problems.push(format!("xã {} không có thôn “{}”", r.old_code, r.village)),
        }
    }
    for (code, vs) in villages {
        for (id, name) in vs {
            if !out.contains_key(id) {
                problems.push(format!("chưa ghi thôn “{name}” của xã {code} về đâu"));
            }
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(PlanError(problems)) }
}

/// How a unit relates to the one that succeeds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Sáp nhập: merged into another unit (or into a new one).
    Merge,
    /// Đổi tên: the same code under a new name.
    Rename,
    /// Chuyển đơn vị cấp trên: the same code under another parent.
    Move,
    /// Kết thúc cấp: a level ended (districts on 01/07/2025); the unit's communes attach to the
    /// unit above it.
    EndLevel,
    /// Chia tách: split into several units, each village going to one of them.
    Split,
}

impl LinkKind {
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            LinkKind::Merge => "merge",
            LinkKind::Rename => "rename",
            LinkKind::Move => "move",
            LinkKind::EndLevel => "end_level",
            LinkKind::Split => "split",
        }
    }

    #[must_use]
    pub fn from_code(s: &str) -> Option<Self> {
        [LinkKind::Merge, LinkKind::Rename, LinkKind::Move, LinkKind::EndLevel, LinkKind::Split]
            .into_iter()
            .find(|k| k.code() == s)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::Merge => "Sáp nhập",
            LinkKind::Rename => "Đổi tên",
            LinkKind::Move => "Chuyển đơn vị cấp trên",
            LinkKind::EndLevel => "Kết thúc cấp",
            LinkKind::Split => "Chia tách",
        }
    }
}

/// A link to be made: the row of `from` (current until the change) is succeeded by the row of
/// `to` (current from the change on, new or kept).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PlannedLink {
    pub from: String,
    pub to: String,
    pub kind: LinkKind,
}

/// What a change set does, in order: rows that end, rows that begin (parents before
/// children), the links between them, and where each ended commune's villages go.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Plan {
    /// Codes of current units that end the day before the change.
    pub ended: Vec<UnitRow>,
    /// New rows from the change day on.
    pub created: Vec<UnitRow>,
    pub links: Vec<PlannedLink>,
    /// Ended commune code → the commune code its villages move to.
    pub village_moves: BTreeMap<String, String>,
    /// Split commune code → the communes its villages are shared between (each village assigned
    /// by a villages file).
    pub splits: BTreeMap<String, Vec<String>>,
    /// Units the change leaves as they are.
    pub kept: usize,
    /// Names of the units of the new state, by code (for describing links to kept units).
    #[serde(skip)]
    pub names: BTreeMap<String, String>,
}

impl Plan {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ended.is_empty() && self.created.is_empty() && self.links.is_empty()
    }

    /// One Vietnamese line per change, for a dry run.
    #[must_use]
    pub fn describe(&self) -> Vec<String> {
        let name_of =
            |code: &str| -> String { self.names.get(code).map_or_else(|| code.to_owned(), |n| format!("{code} {n}")) };
        let mut out = Vec::new();
        for u in &self.created {
            let preds: Vec<&PlannedLink> = self.links.iter().filter(|l| l.to == u.code).collect();
            if preds.is_empty() {
                out.push(format!("Thành lập: {} {} ({})", u.code, u.name, u.level.label()));
            }
        }
        for l in &self.links {
            let from = self
                .ended
                .iter()
                .find(|u| u.code == l.from)
                .map_or_else(|| l.from.clone(), |u| format!("{} {}", u.code, u.name));
            let to = self
                .created
                .iter()
                .find(|u| u.code == l.to)
                .map_or_else(|| name_of(&l.to), |u| format!("{} {}", u.code, u.name));
            out.push(format!("{}: {from} → {to}", l.kind.label()));
        }
        out
    }
}

/// Why a change set cannot be planned; every problem is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct PlanError(pub Vec<String>);

fn ancestors<'a>(code: &'a str, by_code: &HashMap<&'a str, &'a UnitRow>) -> Vec<&'a UnitRow> {
    let mut out = Vec::new();
    let mut next = by_code.get(code).and_then(|u| u.parent_code.as_deref());
    while let Some(c) = next {
        match by_code.get(c) {
            Some(u) => {
                out.push(*u);
                next = u.parent_code.as_deref();
            }
            None => break,
        }
    }
    out
}

/// Plans a change set. `current` holds the units current the day before the change in the
/// provinces it touches (every row's parent among them or absent for a province); `state` is
/// the whole new state of those provinces; `mapping` maps every current commune to its
/// successor commune in `state`.
///
/// # Errors
/// Every current commune missing from the mapping, every mapping target missing from the new
/// state, and every mapping source that is not a current commune.
pub fn plan(current: &[UnitRow], state: &[UnitRow], mapping: &[MappingRow]) -> Result<Plan, PlanError> {
    let old: HashMap<&str, &UnitRow> = current.iter().map(|u| (u.code.as_str(), u)).collect();
    let new: HashMap<&str, &UnitRow> = state.iter().map(|u| (u.code.as_str(), u)).collect();
    let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
    for m in mapping {
        map.entry(m.old_code.as_str()).or_default().push(m.new_code.as_str());
    }

    let mut problems = Vec::new();
    for m in mapping {
        match old.get(m.old_code.as_str()) {
            Some(u) if u.level == Level::Commune => {}
            _ => problems.push(format!("mã cũ {} ({}) không phải là xã hiện hành", m.old_code, m.old_name)),
        }
        match new.get(m.new_code.as_str()) {
            Some(u) if u.level == Level::Commune => {}
            _ => problems.push(format!("mã mới {} ({}) không có trong tệp trạng thái mới", m.new_code, m.new_name)),
        }
    }
    let mapping_is_whole = !mapping.is_empty();
    for u in current.iter().filter(|u| u.level == Level::Commune) {
        let in_new_same = new.get(u.code.as_str()).is_some_and(|n| n.name == u.name && n.parent_code == u.parent_code);
        if mapping_is_whole && !map.contains_key(u.code.as_str()) && !in_new_same {
            problems.push(format!("xã {} {} không có trong tệp chuyển đổi", u.code, u.name));
        }
    }
    if !problems.is_empty() {
        return Err(PlanError(problems));
    }

    let mut plan = Plan { names: state.iter().map(|u| (u.code.clone(), u.name.clone())).collect(), ..Plan::default() };
    // Rows that continue unchanged: same code, name, level and parent.
    // A commune that is split ends even when one part keeps its code, name and parent.
    let kept = |code: &str| -> bool {
        let split = map.get(code).is_some_and(|t| t.len() > 1);
        match (old.get(code), new.get(code)) {
            (Some(o), Some(n)) => !split && o.name == n.name && o.level == n.level && o.parent_code == n.parent_code,
            _ => false,
        }
    };
    for u in state {
        if kept(&u.code) {
            plan.kept += 1;
        } else {
            plan.created.push(u.clone());
        }
    }
    for u in current {
        if !kept(&u.code) {
            plan.ended.push(u.clone());
        }
    }
    let ended: BTreeSet<&str> = plan.ended.iter().map(|u| u.code.as_str()).collect();

    // Communes: each ended commune to its mapped successor (or its own code's new row).
    let mut links: BTreeSet<PlannedLink> = BTreeSet::new();
    for u in plan.ended.iter().filter(|u| u.level == Level::Commune) {
        let targets = map.get(u.code.as_str()).cloned().unwrap_or_else(|| vec![u.code.as_str()]);
        if targets.len() > 1 {
            for to in &targets {
                links.insert(PlannedLink { from: u.code.clone(), to: (*to).to_owned(), kind: LinkKind::Split });
            }
            plan.splits.insert(u.code.clone(), targets.iter().map(|t| (*t).to_owned()).collect());
            continue;
        }
        let to = targets[0];
        let kind = if to != u.code {
            LinkKind::Merge
        } else if new.get(to).is_some_and(|n| n.name != u.name) {
            LinkKind::Rename
        } else {
            LinkKind::Move
        };
        links.insert(PlannedLink { from: u.code.clone(), to: to.to_owned(), kind });
        plan.village_moves.insert(u.code.clone(), to.to_owned());
    }
    // Kept communes that absorb others keep their row; the absorbed ones link to it (done above).
    // Higher units: where their communes went decides their successors.
    for u in plan.ended.iter().filter(|u| u.level != Level::Commune) {
        let communes: Vec<&UnitRow> = current
            .iter()
            .filter(|c| c.level == Level::Commune && ancestors(&c.code, &old).iter().any(|a| a.code == u.code))
            .collect();
        let mut targets: BTreeSet<(String, LinkKind)> = BTreeSet::new();
        if let Some(n) = new.get(u.code.as_str()) {
            // Same code, new name or parent.
            let kind = if n.name == u.name { LinkKind::Move } else { LinkKind::Rename };
            targets.insert((u.code.clone(), kind));
        } else {
            for c in communes {
                let tos = map.get(c.code.as_str()).cloned().unwrap_or_else(|| vec![c.code.as_str()]);
                for to in tos {
                    let up = ancestors(to, &new);
                    match up.iter().find(|a| a.level == u.level) {
                        Some(a) => targets.insert((a.code.clone(), LinkKind::Merge)),
                        None => match up.first() {
                            Some(a) => targets.insert((a.code.clone(), LinkKind::EndLevel)),
                            None => false,
                        },
                    };
                }
            }
        }
        for (to, kind) in targets {
            links.insert(PlannedLink { from: u.code.clone(), to, kind });
        }
    }
    plan.links = links.into_iter().filter(|l| ended.contains(l.from.as_str())).collect();
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{QUANG_NAM_2023, parse_state_csv};

    const QUANG_NAM_2025: &str = include_str!("../../../data/admin-units/quang-nam-2025-01-01.csv");
    const CHANGES_2025_01: &str = include_str!("../../../data/admin-units/changes-2025-01-01.csv");
    const DA_NANG_2025: &str = include_str!("../../../data/admin-units/da-nang-2025-07-01.csv");
    const CHANGES_2025_07: &str = include_str!("../../../data/admin-units/changes-2025-07-01.csv");

    fn rows(s: &str) -> Vec<UnitRow> {
        parse_state_csv(s).expect("state")
    }

    #[test]
    fn nong_son_merges_into_que_son_on_1_january_2025() {
        let described =
            plan(&rows(QUANG_NAM_2023), &rows(QUANG_NAM_2025), &parse_changes_csv(CHANGES_2025_01).expect("map"))
                .expect("plan")
                .describe();
        assert!(described.contains(&"Sáp nhập: 20830 Xã Bình Chánh → 20827 Xã Bình Phú".to_owned()), "{described:?}");
        let p = plan(&rows(QUANG_NAM_2023), &rows(QUANG_NAM_2025), &parse_changes_csv(CHANGES_2025_01).expect("map"))
            .expect("plan");
        let ended: Vec<&str> = p.ended.iter().map(|u| u.code.as_str()).collect();
        assert!(ended.contains(&"519"), "Nông Sơn ends");
        assert!(p.links.contains(&PlannedLink { from: "519".into(), to: "509".into(), kind: LinkKind::Merge }));
        assert!(p.links.contains(&PlannedLink { from: "20338".into(), to: "20347".into(), kind: LinkKind::Merge }));
        // Nông Sơn's communes move to Quế Sơn with their codes; Sơn Viên is merged.
        assert!(p.links.contains(&PlannedLink { from: "20656".into(), to: "20656".into(), kind: LinkKind::Move }));
        assert!(p.links.contains(&PlannedLink { from: "20672".into(), to: "20671".into(), kind: LinkKind::Merge }));
        // The 8 communes of Resolution 1241 merged away; two survivors renamed (Quế Tân, Bình
        // Định); the 5 remaining Nông Sơn communes moved to Quế Sơn.
        let count = |kind| p.links.iter().filter(|l| l.kind == kind && l.from.len() == 5).count();
        assert_eq!(count(LinkKind::Merge), 8, "{:?}", p.links);
        assert_eq!(count(LinkKind::Rename), 2, "{:?}", p.links);
        assert_eq!(count(LinkKind::Move), 5, "{:?}", p.links);
        let after = rows(QUANG_NAM_2025).len();
        assert_eq!(p.kept + p.created.len(), after);
        assert_eq!(p.village_moves.len(), ended.iter().filter(|c| c.len() == 5).count());
    }

    #[test]
    fn quang_nam_becomes_part_of_da_nang_on_1_july_2025() {
        let p = plan(&rows(QUANG_NAM_2025), &rows(DA_NANG_2025), &parse_changes_csv(CHANGES_2025_07).expect("map"))
            .expect("plan");
        assert_eq!(p.ended.len(), 1 + 17 + 233, "every old unit ends");
        assert!(p.links.contains(&PlannedLink { from: "49".into(), to: "48".into(), kind: LinkKind::Merge }));
        assert!(p.links.contains(&PlannedLink { from: "502".into(), to: "48".into(), kind: LinkKind::EndLevel }));
        assert_eq!(p.links.iter().filter(|l| l.kind == LinkKind::EndLevel).count(), 17);
        let targets: BTreeSet<&str> = p.village_moves.values().map(String::as_str).collect();
        assert_eq!(targets.len(), 78, "233 communes become 78");
        let lines = p.describe();
        assert!(lines.contains(&"Sáp nhập: 49 Tỉnh Quảng Nam → 48 Thành phố Đà Nẵng".to_owned()), "{:?}", &lines[..5]);
        assert!(
            lines.iter().any(|l| l.starts_with("Thành lập: 20194 Phường Hải Vân")),
            "Đà Nẵng's own communes are new here"
        );
    }

    #[test]
    fn a_plan_of_the_state_itself_is_empty() {
        let now = rows(QUANG_NAM_2025);
        let p = plan(&now, &now, &[]).expect("plan");
        assert!(p.is_empty());
        assert_eq!(p.kept, now.len());
    }

    #[test]
    fn a_mapping_that_misses_a_commune_or_names_a_ghost_is_refused() {
        let mut map = parse_changes_csv(CHANGES_2025_07).expect("map");
        map.remove(0);
        map.push(MappingRow {
            old_code: "99999".into(),
            old_name: "Xã Ma".into(),
            new_code: "20335".into(),
            new_name: String::new(),
        });
        let e = plan(&rows(QUANG_NAM_2025), &rows(DA_NANG_2025), &map).expect_err("refused");
        assert!(e.0.iter().any(|m| m.contains("20335") && m.contains("không có trong tệp chuyển đổi")), "{e}");
        assert!(e.0.iter().any(|m| m.contains("99999")), "{e}");
    }

    #[test]
    fn a_split_links_to_every_part_and_needs_every_village_assigned() {
        let current = rows(QUANG_NAM_2025);
        let mut state: Vec<UnitRow> = current.iter().filter(|u| u.code != "20335").cloned().collect();
        for (code, name) in [("99001", "Phường Tân Thạnh Bắc"), ("99002", "Phường Tân Thạnh Nam")] {
            state.push(UnitRow {
                code: code.into(),
                name: name.into(),
                level: Level::Commune,
                parent_code: Some("502".into()),
            });
        }
        let text =
            "old_code,old_name,new_code,new_name\n20335,Phường Tân Thạnh,99001,Bắc\n20335,Phường Tân Thạnh,99002,Nam\n";
        let p = plan(&current, &state, &parse_changes_csv(text).expect("map")).expect("plan");
        assert_eq!(p.ended.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), vec!["20335"]);
        assert_eq!(p.splits.get("20335"), Some(&vec!["99001".to_owned(), "99002".to_owned()]));
        assert_eq!(p.links.iter().filter(|l| l.kind == LinkKind::Split).count(), 2);
        assert!(p.village_moves.is_empty());
        let villages: BTreeMap<String, Vec<(i64, String)>> =
            [("20335".to_owned(), vec![(1, "Khối phố 1".to_owned()), (2, "Khối phố 2".to_owned())])].into();
        let rows = parse_villages_csv("old_code,village,new_code\n20335,khoi pho 1,99001\n20335,Khối phố 2,99002\n")
            .expect("rows");
        let a = assign_villages(&p.splits, &villages, &rows).expect("assigned");
        assert_eq!(a, [(1, "99001".to_owned()), (2, "99002".to_owned())].into());
        let half = parse_villages_csv("old_code,village,new_code\n20335,Khối phố 1,99003\n").expect("rows");
        let e = assign_villages(&p.splits, &villages, &half).expect_err("refused");
        assert!(e.0.iter().any(|m| m.contains("99003")) && e.0.iter().any(|m| m.contains("Khối phố 2")), "{e}");
    }

    #[test]
    fn the_same_mapping_row_twice_is_refused() {
        let text = "old_code,old_name,new_code,new_name\n20335,A,20335,A\n20335,A,20335,A\n";
        assert!(matches!(parse_changes_csv(text), Err(UnitFileError::BadRow { line: 3, .. })));
    }
}
