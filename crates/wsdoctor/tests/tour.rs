//! The scenario matrix: `wsdoctor tour` checks every lab scenario, and every one
//! must be diagnosed with exactly the causes it declares (healthy ones: none).

mod common;

use common::*;

#[test]
fn every_lab_scenario_is_diagnosed_as_declared() {
    let (code, r) = json(&["tour"]);
    let rows = r["scenarios"].as_array().expect("scenarios");
    let misses: Vec<String> = rows
        .iter()
        .filter(|s| s["matched"] != true)
        .map(|s| {
            format!(
                "{}: expected {} found {}",
                s["scenario"], s["expect"], s["found"]
            )
        })
        .collect();
    assert!(misses.is_empty(), "misdiagnosed:\n{}", misses.join("\n"));
    assert_eq!(code, 0);
    assert_eq!(r["schema"], "wsdoctor.tour/1");
    assert_eq!(r["passed"], r["total"]);
    assert!(
        rows.len() >= 48,
        "the issue asks for at least 48 scenarios, got {}",
        rows.len()
    );
    for s in rows {
        let expect: Vec<&str> = s["expect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let found: Vec<&str> = s["found"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if expect.is_empty() {
            assert!(
                found.is_empty(),
                "false alarm on healthy {}: {found:?}",
                s["scenario"]
            );
            assert_eq!(s["verdict"], "ok");
        } else {
            for id in &expect {
                assert!(
                    found.contains(id),
                    "{}: {id} not found in {found:?}",
                    s["scenario"]
                );
            }
            assert_ne!(
                s["verdict"], "ok",
                "{} declared broken but verdict ok",
                s["scenario"]
            );
        }
    }
}

#[test]
fn only_filters_and_unknown_names_are_usage_errors() {
    let (code, r) = json(&["tour", "--only", "healthy-echo", "wrong-accept"]);
    assert_eq!(code, 0);
    let names: Vec<&str> = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["wrong-accept", "healthy-echo"]);
    let out = wsdoctor()
        .args(["tour", "--only", "no-such-scenario"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("healthy-echo"),
        "the error lists valid names"
    );
}
