//! Choosing cases by id patterns, as `--cases 1.*,6.4.*,2.1` and `--exclude 9.*` give them.
//! A pattern is a case id in which `*` stands for any run of characters (Autobahn's
//! syntax); a bare category (`6`) means all of it.

use crate::model::Case;

/// Why a selection is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// A pattern with characters a case id never has.
    BadPattern(String),
    /// A pattern that matches no case (probably a typo).
    NoMatch(String),
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::BadPattern(p) => write!(
                f,
                "case pattern {p:?} is not an id pattern: use digits, dots and `*`, e.g. 1.*,6.4.*,2.1"
            ),
            SelectError::NoMatch(p) => write!(
                f,
                "case pattern {p:?} matches no case; `wsdoctor conform --dry-run` lists every id"
            ),
        }
    }
}

impl std::error::Error for SelectError {}

/// The cases matching any of `include` (all when empty) and none of `exclude`, in order.
pub fn select(
    cases: Vec<Case>,
    include: &[String],
    exclude: &[String],
) -> Result<Vec<Case>, SelectError> {
    let include = patterns(include)?;
    let exclude = patterns(exclude)?;
    for p in &include {
        if !cases.iter().any(|c| matches(p, &c.id)) {
            return Err(SelectError::NoMatch(p.clone()));
        }
    }
    Ok(cases
        .into_iter()
        .filter(|c| include.is_empty() || include.iter().any(|p| matches(p, &c.id)))
        .filter(|c| !exclude.iter().any(|p| matches(p, &c.id)))
        .collect())
}

/// Splits comma-separated lists and checks each pattern.
fn patterns(raw: &[String]) -> Result<Vec<String>, SelectError> {
    let mut out = Vec::new();
    for p in raw.iter().flat_map(|s| s.split(',')).map(str::trim) {
        if p.is_empty() {
            continue;
        }
        if !p
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '*')
        {
            return Err(SelectError::BadPattern(p.to_string()));
        }
        // A bare category is the whole category.
        if p.chars().all(|c| c.is_ascii_digit()) {
            out.push(format!("{p}.*"));
        } else {
            out.push(p.to_string());
        }
    }
    Ok(out)
}

/// Glob match where `*` is any run of characters.
pub fn matches(pattern: &str, id: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == id,
        Some((head, rest)) => {
            let Some(tail) = id.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && matches(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases;

    fn ids(include: &[&str], exclude: &[&str]) -> Vec<String> {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        select(cases::all(), &s(include), &s(exclude))
            .expect("valid selection")
            .into_iter()
            .map(|c| c.id)
            .collect()
    }

    #[test]
    fn globs_and_exact_ids() {
        assert_eq!(ids(&["2.1"], &[]), vec!["2.1"]);
        assert_eq!(
            ids(&["6.4.*"], &[]),
            vec!["6.4.1", "6.4.2", "6.4.3", "6.4.4"]
        );
        assert_eq!(ids(&["1.*,2.1"], &[]).len(), 17);
        assert_eq!(ids(&["3"], &[]).len(), 7);
        assert_eq!(ids(&["0"], &[]).len(), 59);
        assert_eq!(ids(&[], &["0", "14", "9.*", "6.*"]).len(), 517 - 54 - 145);
        // `2.1` is not a prefix of `2.10`.
        assert!(!ids(&["2.1"], &[]).contains(&"2.10".to_string()));
    }

    #[test]
    fn typos_are_refused() {
        let bad = select(cases::all(), &["1.x".into()], &[]).unwrap_err();
        assert!(matches!(bad, SelectError::BadPattern(_)));
        let none = select(cases::all(), &["8.*".into()], &[]).unwrap_err();
        assert_eq!(none, SelectError::NoMatch("8.*".into()));
    }
}
