//! Every catalog cause is produced by something — a `check` rule, a lint rule, an
//! `explain` or `logs` rule — or is marked text-only (`catalog::TEXT_ONLY`), and a
//! cause marked text-only really has no producer. A cause nobody reports is a promise
//! in the docs that no command keeps; a stale text-only mark hides a producer.
//!
//! The lint, explain and logs producers are read from their tables. `check`'s rules
//! are code (pure functions of evidence), so their causes are read from the source of
//! `wsdoctor-core`'s rules and shared tables, tests excluded.

use std::collections::BTreeMap;
use std::path::Path;
use wsdoctor_core::catalog::TEXT_ONLY;
use wsdoctor_core::tables::{close_causes, status_causes};
use wsdoctor_core::{CATALOG, CauseId};
use wsdoctor_explain::rules::{self, Causes};

/// Producer name → causes it can report.
fn producers() -> BTreeMap<&'static str, Vec<CauseId>> {
    let mut p = BTreeMap::new();
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wsdoctor-core/src");
    let mut check = scanned(&core.join("rules"));
    check.extend(scanned(&core.join("tables")));
    p.insert("check", check);
    p.insert(
        "lint",
        wsdoctor_lint::RULES.iter().map(|r| r.cause).collect(),
    );
    p.insert("explain", explain_causes());
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wsdoctor-logs/src");
    p.insert("logs", scanned(&logs));
    p
}

/// What explain's three tiers can answer (logs runs the same families).
fn explain_causes() -> Vec<CauseId> {
    let mut out = Vec::new();
    for r in rules::all() {
        match r.causes {
            Causes::Fixed(c) => out.extend(c),
            Causes::Status(c) => {
                out.extend(c);
                (100..=599).for_each(|s| out.extend(status_causes(s)));
            }
            Causes::Close(c) => {
                out.extend(c);
                (0..=u16::MAX).for_each(|code| out.extend(close_causes(code)));
            }
            Causes::Termination => {
                let flags = (b'A'..=b'Z').chain(b'a'..=b'z').chain([b'-']);
                for a in flags.clone() {
                    for b in flags.clone() {
                        out.extend(rules::termination_causes([a, b]));
                    }
                }
            }
        }
    }
    for v in wsdoctor_explain::vocab::VOCABULARIES {
        for e in wsdoctor_explain::vocab::entries(v) {
            out.extend(&e.causes);
        }
    }
    for c in wsdoctor_explain::concepts::CONCEPTS {
        out.extend(c.causes);
    }
    out
}

/// Causes named as `CauseId::X` or `C::X` in the non-test code of every `.rs` file
/// under `dir`.
fn scanned(dir: &Path) -> Vec<CauseId> {
    let by_name: BTreeMap<String, CauseId> = CATALOG
        .iter()
        .map(|c| (format!("{:?}", c.id), c.id))
        .collect();
    let mut out = Vec::new();
    for file in rs_files(dir) {
        let text = std::fs::read_to_string(&file).expect("readable source");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        if file.ends_with("tests.rs") {
            continue;
        }
        for prefix in ["CauseId::", "C::"] {
            for (i, _) in code.match_indices(prefix) {
                let before = code[..i].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // `XC::`, not `C::`
                }
                let name: String = code[i + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                out.extend(by_name.get(&name));
            }
        }
    }
    out
}

fn rs_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            out.extend(rs_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

#[test]
fn every_cause_has_a_producer_or_is_marked_text_only() {
    let producers = producers();
    for (name, causes) in &producers {
        assert!(!causes.is_empty(), "the {name} scan found nothing");
    }
    let produced = |id: CauseId| -> Vec<&str> {
        producers
            .iter()
            .filter(|(_, causes)| causes.contains(&id))
            .map(|(name, _)| *name)
            .collect()
    };
    let orphans: Vec<&str> = CATALOG
        .iter()
        .filter(|c| !TEXT_ONLY.contains(&c.id) && produced(c.id).is_empty())
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        orphans.is_empty(),
        "no check, lint, explain or logs rule produces {orphans:?}: add a producer or list them in catalog::TEXT_ONLY"
    );
    for id in TEXT_ONLY {
        assert_eq!(
            produced(*id),
            Vec::<&str>::new(),
            "{id} is marked text-only but has producers"
        );
    }
}

#[test]
fn the_check_scan_reads_rules_not_only_tables() {
    // Causes only a check rule (not a table) reports, one per layer: if the scan broke
    // (a moved directory, a renamed alias), these would vanish first.
    let check = &producers()["check"];
    for id in [
        CauseId::UrlHttpScheme,
        CauseId::DnsNxdomain,
        CauseId::TcpRefused,
        CauseId::ProxyAuthRequired,
        CauseId::TlsCertExpired,
        CauseId::HandshakeAcceptMismatch,
        CauseId::SessionNoPong,
        CauseId::AsyncEventLoopBlocked,
    ] {
        assert!(check.contains(&id), "{id}");
    }
}
