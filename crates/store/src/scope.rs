//! Which units a reader may see, as materialised paths, applied inside every query.

/// The units a caller may read: everything, or the subtrees under some units. A unit's path is
/// its ancestors' codes and its own, each followed by `/` (`49/502/20335/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Paths(Vec<String>),
}

/// By default a scope sees nothing: reach is always given, never assumed.
impl Default for Scope {
    fn default() -> Self {
        Scope::Paths(Vec::new())
    }
}

impl Scope {
    /// A SQL condition on `column` (a unit path) with placeholders from `$first` on, and the
    /// values to bind. `All` gives `1 = 1`; an empty list gives `1 = 0` (sees nothing).
    #[must_use]
    pub fn condition(&self, column: &str, first: usize) -> (String, Vec<String>) {
        match self {
            Scope::All => ("1 = 1".to_owned(), Vec::new()),
            Scope::Paths(paths) if paths.is_empty() => ("1 = 0".to_owned(), Vec::new()),
            Scope::Paths(paths) => {
                let parts: Vec<String> = (0..paths.len()).map(|i| format!("{column} like ${}", first + i)).collect();
                let values = paths.iter().map(|p| format!("{p}%")).collect();
                (format!("({})", parts.join(" or ")), values)
            }
        }
    }

    /// Whether a unit path (or anything under it) lies inside the scope.
    #[must_use]
    pub fn covers(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Paths(paths) => paths.iter().any(|p| path.starts_with(p.as_str())),
        }
    }

    /// The scope that sees what either sees, each subtree once.
    #[must_use]
    pub fn union(&self, other: &Scope) -> Scope {
        match (self, other) {
            (Scope::All, _) | (_, Scope::All) => Scope::All,
            (Scope::Paths(a), Scope::Paths(b)) => {
                let mut all: Vec<String> = a.iter().chain(b).cloned().collect();
                all.sort();
                all.dedup();
                let kept = all.iter().filter(|p| !all.iter().any(|q| q != *p && p.starts_with(q.as_str()))).cloned();
                Scope::Paths(kept.collect())
            }
        }
    }

    /// Narrows the scope to one subtree (`--unit CODE`): the intersection of the two.
    #[must_use]
    pub fn narrow(&self, path: &str) -> Scope {
        match self {
            Scope::All => Scope::Paths(vec![path.to_owned()]),
            Scope::Paths(paths) => {
                let mut out = Vec::new();
                for p in paths {
                    if path.starts_with(p.as_str()) {
                        out.push(path.to_owned());
                    } else if p.starts_with(path) {
                        out.push(p.clone());
                    }
                }
                Scope::Paths(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_bind_prefixes() {
        let (sql, vals) = Scope::Paths(vec!["49/502/".into(), "49/503/".into()]).condition("u.path", 3);
        assert_eq!(sql, "(u.path like $3 or u.path like $4)");
        assert_eq!(vals, vec!["49/502/%", "49/503/%"]);
        assert_eq!(Scope::All.condition("u.path", 1).0, "1 = 1");
        assert_eq!(Scope::Paths(vec![]).condition("u.path", 1).0, "1 = 0");
    }

    #[test]
    fn narrowing_intersects() {
        assert_eq!(Scope::All.narrow("49/502/"), Scope::Paths(vec!["49/502/".into()]));
        let district = Scope::Paths(vec!["49/502/".into()]);
        assert_eq!(district.narrow("49/502/20335/"), Scope::Paths(vec!["49/502/20335/".into()]));
        assert_eq!(district.narrow("49/"), district);
        assert_eq!(district.narrow("49/503/"), Scope::Paths(vec![]));
    }

    #[test]
    fn unions_keep_each_subtree_once() {
        let a = Scope::Paths(vec!["49/502/".into()]);
        let b = Scope::Paths(vec!["49/".into(), "48/".into()]);
        assert_eq!(a.union(&b), Scope::Paths(vec!["48/".into(), "49/".into()]));
        assert_eq!(a.union(&Scope::All), Scope::All);
        assert!(a.covers("49/502/20335/") && !a.covers("49/503/") && !a.covers("49/"));
        assert_eq!(Scope::Paths(vec![]).union(&a), a);
    }
}
