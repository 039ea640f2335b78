//! Include globs as nginx and Apache expand them (`conf.d/*.conf`, `sites-enabled/*`):
//! `*`, `?` and `[...]` within one path component, results sorted. Small enough to own,
//! and the same matcher serves the disk and the files of an `nginx -T` dump.

use std::path::{Path, PathBuf};

pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Whether `path` matches `pattern` component by component (`*` never crosses `/`).
pub fn matches(pattern: &str, path: &str) -> bool {
    let pc: Vec<&str> = pattern.split('/').collect();
    let xc: Vec<&str> = path.split('/').collect();
    pc.len() == xc.len()
        && pc
            .iter()
            .zip(&xc)
            .all(|(p, x)| component(p.as_bytes(), x.as_bytes()))
}

/// Files on disk matching `pattern`, at most `cap` of them, and whether more matched.
pub fn expand_on_disk(pattern: &str, cap: usize) -> (Vec<String>, bool) {
    let mut cut = false;
    let absolute = pattern.starts_with('/');
    let mut current: Vec<PathBuf> = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::from("")
    }];
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for dir in &current {
            if !has_wildcard(part) {
                next.push(dir.join(part));
                continue;
            }
            let listing = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(entries) = std::fs::read_dir(listing) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && component(part.as_bytes(), n.as_bytes()))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| dir.join(n)));
            if next.len() > cap {
                next.truncate(cap);
                cut = true;
                break;
            }
        }
        current = next;
        if last {
            current.retain(|p| p.is_file());
        }
    }
    let files = current
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    (files, cut)
}

/// fnmatch for one component, iterative with backtracking on the last `*`.
fn component(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(&p[pi..], s[si]) {
                        if ok {
                            pi += next;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == b'[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                c if c == s[si] => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Matches `c` against a `[...]` class at the start of `p`; returns (matched, length of
/// the class), or `None` when the bracket is not closed (then it is a literal `[`).
fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_stay_within_a_component() {
        assert!(matches(
            "/etc/nginx/conf.d/*.conf",
            "/etc/nginx/conf.d/a.conf"
        ));
        assert!(!matches(
            "/etc/nginx/conf.d/*.conf",
            "/etc/nginx/conf.d/x/a.conf"
        ));
        assert!(!matches(
            "/etc/nginx/conf.d/*.conf",
            "/etc/nginx/conf.d/a.conf.bak"
        ));
        assert!(matches(
            "/etc/*/sites-enabled/*",
            "/etc/nginx/sites-enabled/default"
        ));
        assert!(matches("a/v?.[ch]", "a/v1.c"));
        assert!(!matches("a/v?.[!ch]", "a/v1.c"));
        assert!(matches("a/[0-9]*", "a/10-ws.conf"));
        assert!(matches("a/[", "a/["));
        assert!(component(b"*a*b*", b"xxaxxbxx"));
        assert!(!component(b"*a*b", b"xxaxxbxx"));
    }

    #[test]
    fn disk_expansion_is_sorted_and_files_only() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["b.conf", "a.conf", "c.txt"] {
            std::fs::write(dir.path().join(n), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("d.conf")).unwrap();
        let pat = format!("{}/*.conf", dir.path().display());
        let (got, cut) = expand_on_disk(&pat, 100);
        assert!(!cut);
        let names: Vec<_> = got
            .iter()
            .map(|p| {
                Path::new(p)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.conf", "b.conf"]);
    }
}
