//! `wsdoctor lint conf/`: a directory stands for the configuration files in it, as
//! the README shows. Each file whose proxy can be told is linted; a file that another
//! one in the directory includes is linted as part of that file only (alone it would
//! lack the context it inherits, and report mistakes that are not there). Files
//! whose proxy cannot be told (mime.types, READMEs) are skipped and counted.

use crate::formats::{self, Outcome};
use crate::report::{ErrorKind, LintError, LintReport};
use crate::{Input, Options};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Deepest directory level walked below the directory named.
pub const MAX_DIR_DEPTH: usize = 8;

/// Lints the configuration files under `dir` into `report`.
pub(crate) fn lint_dir(dir: &Path, opts: &Options, report: &mut LintReport) {
    let cap = opts.limits.max_files;
    let mut files = Vec::new();
    let cut = walk(dir, 0, cap, &mut files);
    files.sort();
    if cut {
        report.push_error(LintError {
            file: dir.to_string_lossy().into_owned(),
            line: None,
            message: format!(
                "holds more than {cap} files: only the first {cap} found were read (name the main configuration file instead)"
            ),
            kind: Some(ErrorKind::IncludeLimit),
            chain: Vec::new(),
        });
    }
    let mut linted: Vec<(String, LintReport, Vec<String>)> = Vec::new();
    let mut skipped = 0;
    for f in &files {
        let mut one = LintReport::new();
        match formats::lint_input(&Input::Path(f.clone()), opts, &mut one, true) {
            Outcome::Read { included } => {
                linted.push((f.to_string_lossy().into_owned(), one, included))
            }
            Outcome::Unrecognised => skipped += 1,
        }
    }
    // Compared canonically: an include may name the file by another path (an
    // absolute ServerRoot, a symlink in sites-enabled/).
    let canonical = |p: &str| std::fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p));
    let included: HashSet<PathBuf> = linted
        .iter()
        .flat_map(|(_, _, inc)| inc.iter().map(|p| canonical(p)))
        .collect();
    let mut through_includes = 0;
    for (name, one, _) in &linted {
        if included.contains(&canonical(name)) {
            through_includes += 1;
            continue;
        }
        report.files.extend(one.files.iter().cloned());
        report.findings.extend(one.findings.iter().cloned());
        report.errors.extend(one.errors.iter().cloned());
        for a in &one.assumptions {
            report.assume(a.clone());
        }
    }
    report.assume(format!(
        "{}: {} file(s) read as configuration ({through_includes} of them through another's includes), {skipped} skipped (no proxy configuration recognised)",
        dir.display(),
        linted.len()
    ));
}

/// Collects regular files (symlinks to files followed, as sites-enabled/ holds them;
/// symlinked directories not, so a link loop cannot trap the walk). Hidden and backup
/// files are left out. Returns whether the cap cut the walk short.
fn walk(dir: &Path, depth: usize, cap: usize, out: &mut Vec<PathBuf>) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || is_backup(&name) {
            continue;
        }
        let path = e.path();
        let Ok(own) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if own.is_dir() {
            if depth < MAX_DIR_DEPTH && walk(&path, depth + 1, cap, out) {
                return true;
            }
            continue;
        }
        // FIFOs, devices and sockets are not configuration: only regular files.
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            if out.len() >= cap {
                return true;
            }
            out.push(path);
        }
    }
    false
}

fn is_backup(name: &str) -> bool {
    name.ends_with('~')
        || [
            ".bak",
            ".orig",
            ".old",
            ".swp",
            ".dpkg-old",
            ".dpkg-dist",
            ".rpmnew",
            ".rpmsave",
        ]
        .iter()
        .any(|s| name.ends_with(s))
}
