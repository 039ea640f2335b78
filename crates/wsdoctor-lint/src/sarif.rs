//! SARIF 2.1.0, so code-scanning tools (GitHub code scanning, IDE viewers) show the
//! findings inline on the configuration files. Built as a `serde_json::Value` because
//! only a small, fixed part of the SARIF schema is used.

use crate::finding::RULES;
use crate::report::LintReport;
use serde_json::{Value, json};
use wsdoctor_core::Severity;

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The report as a SARIF 2.1.0 log with one run.
pub fn to_sarif(report: &LintReport, tool_version: &str) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let cause = r.cause.cause();
            json!({
                "id": r.id.as_str(),
                "name": r.cause.as_str(),
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": cause.why },
                "help": { "text": cause.fix },
                "defaultConfiguration": { "level": level(cause.severity) },
                "properties": { "catalogId": r.cause.as_str(), "layer": cause.layer.as_str() },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = f.rule as usize;
            let mut text = format!("{}: {}", f.finding.title, f.finding.detail);
            if !f.replacement.is_empty() {
                text.push_str("\nWrite instead:\n");
                text.push_str(&f.replacement.join("\n"));
            }
            json!({
                "ruleId": f.rule.as_str(),
                "ruleIndex": rule_index,
                "level": level(f.finding.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.file) },
                        "region": { "startLine": f.line.max(1) },
                    }
                }],
                "properties": { "catalogId": f.id().as_str(), "fix": f.finding.fix },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut loc =
                json!({ "physicalLocation": { "artifactLocation": { "uri": uri(&e.file) } } });
            if let Some(line) = e.line {
                loc["physicalLocation"]["region"] = json!({ "startLine": line.max(1) });
            }
            json!({ "level": "error", "message": { "text": e.message }, "locations": [loc] })
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "wsdoctor",
                "version": tool_version,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// SARIF wants URIs: relative paths stay relative (resolved against the checkout by
/// code-scanning tools), absolute ones become file:// URIs; spaces are escaped.
fn uri(path: &str) -> String {
    let escaped = path.replace('%', "%25").replace(' ', "%20");
    if escaped.starts_with('/') {
        format!("file://{escaped}")
    } else {
        escaped.trim_start_matches("./").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{LintFinding, RuleId};

    #[test]
    fn sarif_has_the_required_shape() {
        let mut r = LintReport::new();
        r.findings.push(LintFinding::new(
            RuleId::NginxMissingUpgradeHeader,
            "conf/a b.conf",
            7,
            "x",
        ));
        r.error("/etc/x.conf", Some(3), "unexpected }");
        let s = to_sarif(&r, "0.1.0");
        assert_eq!(s["version"], "2.1.0");
        assert!(s["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
        let run = &s["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), RULES.len());
        let res = &run["results"][0];
        assert_eq!(res["ruleId"], "nginx/missing-upgrade-header");
        assert_eq!(res["level"], "error");
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], "nginx/missing-upgrade-header");
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "conf/a%20b.conf");
        assert_eq!(loc["region"]["startLine"], 7);
        let note = &run["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(
            note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "file:///etc/x.conf"
        );
    }
}
