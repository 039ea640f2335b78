//! The README's tables are held to the code: the exit codes and the catalog are
//! contracts users read there, so a code or id added, renumbered or moved to another
//! layer without the README following fails here.

use std::collections::BTreeMap;
use wsdoctor_core::{CATALOG, Layer};

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    std::fs::read_to_string(path).expect("README.md sits at the workspace root")
}

/// The rows of the first Markdown table after `heading`, as cells, header and rule
/// dropped.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn exit_code_table_matches_the_layers() {
    let rows = table_after(&readme(), "## Exit codes");
    let documented: BTreeMap<i32, String> = rows
        .iter()
        .map(|r| {
            (
                r[0].parse().expect("an exit code is a number"),
                r[1].clone(),
            )
        })
        .collect();
    assert_eq!(documented.len(), rows.len(), "an exit code is listed twice");
    let mut expected: Vec<i32> = vec![0, 1, 2, 3];
    expected.extend(Layer::ALL.iter().map(|l| l.exit_code()));
    assert_eq!(
        documented.keys().copied().collect::<Vec<_>>(),
        expected,
        "README exit codes differ from 0–3 plus Layer::exit_code"
    );
    for l in Layer::ALL {
        let meaning = &documented[&l.exit_code()];
        assert!(
            meaning.contains(&format!("`{}`", l.as_str())),
            "exit code {} is `{}` in the code, README says {meaning:?}",
            l.exit_code(),
            l.as_str()
        );
    }
}

#[test]
fn catalog_table_matches_the_catalog() {
    let rows = table_after(&readme(), "## The cause catalog");
    let expected: Vec<Vec<String>> = CATALOG
        .iter()
        .map(|c| {
            vec![
                format!("`{}`", c.id.as_str()),
                c.layer.as_str().to_string(),
                c.blame.as_str().to_string(),
            ]
        })
        .collect();
    if rows != expected {
        let paste: String = expected
            .iter()
            .map(|r| format!("| {} | {} | {} |\n", r[0], r[1], r[2]))
            .collect();
        panic!("README's catalog table differs from CATALOG; the rows should read:\n{paste}");
    }
}
