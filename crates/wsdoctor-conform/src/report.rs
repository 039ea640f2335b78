//! The result of a run as data: the `wsdoctor.conform/1` JSON contract, the per-category
//! summary the human renderer prints, and the comparison with accepted results
//! (`--expect known.json`). Fields are only ever added.

use crate::cases::category_title;
use crate::judge::judge;
use crate::model::{Case, CloseVerdict, Verdict};
use crate::run::CaseRun;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use wsdoctor_core::CauseId;

/// A whole run.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ConformReport {
    /// Always `wsdoctor.conform/1`.
    pub schema: &'static str,
    /// The server's URL, secrets redacted.
    pub target: String,
    /// `ok` when no case counts as failed (see `strict`), else `failed`.
    pub verdict: RunVerdict,
    /// NON-STRICT counted as failed (`--strict`).
    pub strict: bool,
    pub summary: Counts,
    /// Wall time of the whole run.
    pub ms: u64,
    pub categories: Vec<CategoryCounts>,
    pub cases: Vec<CaseResult>,
    /// With `--expect`: cases whose verdict differs from the accepted one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regressions: Vec<Regression>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunVerdict {
    Ok,
    Failed,
}

/// Cases per verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub total: usize,
    pub ok: usize,
    pub non_strict: usize,
    pub informational: usize,
    pub unimplemented: usize,
    pub failed: usize,
}

impl Counts {
    fn add(&mut self, v: Verdict) {
        self.total += 1;
        match v {
            Verdict::Ok => self.ok += 1,
            Verdict::NonStrict => self.non_strict += 1,
            Verdict::Informational => self.informational += 1,
            Verdict::Unimplemented => self.unimplemented += 1,
            Verdict::Failed => self.failed += 1,
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CategoryCounts {
    /// `1` … `10`.
    pub id: String,
    pub title: &'static str,
    #[serde(flatten)]
    pub counts: Counts,
}

/// One case's result.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CaseResult {
    /// Autobahn's case id, e.g. `6.4.3`.
    pub id: String,
    /// Autobahn's `behavior`: OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED or FAILED.
    pub verdict: Verdict,
    /// Autobahn's `behaviorClose`: how the connection ended.
    pub close_verdict: CloseVerdict,
    /// The RFC section the case holds the server to.
    pub section: &'static str,
    pub description: String,
    pub expected: String,
    pub observed: String,
    /// Why the verdict or the close verdict is not OK.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub explanation: String,
    /// For a FAILED case: the catalog cause a user meets live because of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<CauseId>,
    /// The server's close code, when it sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_close_code: Option<u16>,
    pub ms: u64,
    /// The wire, capped: `>` sent, `<` received, `*` commentary.
    pub transcript: Vec<String>,
}

/// A verdict that differs from the accepted results.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Regression {
    pub id: String,
    /// The accepted verdict, or null when the case was not in the file.
    pub accepted: Option<Verdict>,
    pub verdict: Verdict,
}

impl ConformReport {
    /// Judges every run and summarises.
    pub fn build(target: &str, cases: &[Case], runs: &[CaseRun], strict: bool, ms: u64) -> Self {
        let mut summary = Counts::default();
        let mut per_cat: BTreeMap<Vec<u32>, CategoryCounts> = BTreeMap::new();
        let mut results = Vec::with_capacity(cases.len());
        for (case, run) in cases.iter().zip(runs) {
            let j = judge(case, &run.observation);
            summary.add(j.verdict);
            per_cat
                .entry(crate::model::sort_key(case.category()))
                .or_insert_with(|| CategoryCounts {
                    id: case.category().to_string(),
                    title: category_title(case.category()),
                    counts: Counts::default(),
                })
                .counts
                .add(j.verdict);
            results.push(CaseResult {
                id: case.id.clone(),
                verdict: j.verdict,
                close_verdict: j.close_verdict,
                section: case.section,
                description: case.description.clone(),
                expected: j.expected,
                observed: j.observed,
                explanation: j.explanation,
                cause: j.cause,
                server_close_code: run.observation.server_close.flatten(),
                ms: run.ms,
                transcript: run.transcript.clone(),
            });
        }
        let failed = summary.failed > 0 || (strict && summary.non_strict > 0);
        ConformReport {
            schema: "wsdoctor.conform/1",
            target: target.to_string(),
            verdict: if failed {
                RunVerdict::Failed
            } else {
                RunVerdict::Ok
            },
            strict,
            summary,
            ms,
            categories: per_cat.into_values().collect(),
            cases: results,
            regressions: Vec::new(),
        }
    }

    /// Compares with accepted verdicts (case id → verdict); every difference is a
    /// regression, and the run verdict then follows the regressions only.
    pub fn compare(&mut self, accepted: &BTreeMap<String, Verdict>) {
        self.regressions = self
            .cases
            .iter()
            .filter(|c| accepted.get(&c.id) != Some(&c.verdict))
            .filter(|c| {
                // A case now better than accepted (e.g. FAILED → OK) is no regression.
                let fine = |v: Verdict| {
                    matches!(v, Verdict::Ok | Verdict::Informational)
                        || (v == Verdict::NonStrict && !self.strict)
                };
                !(fine(c.verdict) && accepted.contains_key(&c.id))
            })
            .map(|c| Regression {
                id: c.id.clone(),
                accepted: accepted.get(&c.id).copied(),
                verdict: c.verdict,
            })
            .collect();
        self.verdict = if self.regressions.is_empty() {
            RunVerdict::Ok
        } else {
            RunVerdict::Failed
        };
    }
}

/// Reads accepted verdicts: a `wsdoctor.conform/1` report (its `cases`), Autobahn's
/// `index.json` (agent → case → `behavior`), or a plain map of id → verdict.
pub fn accepted_verdicts(json: &Value) -> Result<BTreeMap<String, Verdict>, String> {
    let bad = |what: &str| {
        Err(format!(
            "{what}; expected a wsdoctor.conform/1 report, Autobahn's index.json or {{\"1.1.1\": \"OK\", …}}"
        ))
    };
    let mut out = BTreeMap::new();
    if let Some(cases) = json.get("cases").and_then(Value::as_array) {
        for c in cases {
            let (Some(id), Some(v)) = (
                c.get("id").and_then(Value::as_str),
                c.get("verdict").and_then(Value::as_str),
            ) else {
                return bad("a case without id or verdict");
            };
            out.insert(id.to_string(), verdict(v)?);
        }
        return Ok(out);
    }
    let Some(top) = json.as_object() else {
        return bad("not a JSON object");
    };
    for (key, value) in top {
        if let Some(v) = value.as_str() {
            out.insert(key.clone(), verdict(v)?);
        } else if let Some(b) = value.get("behavior").and_then(Value::as_str) {
            out.insert(key.clone(), verdict(b)?);
        } else if let Some(inner) = value.as_object() {
            // Autobahn: agent → {case → {"behavior": …}}.
            for (id, case) in inner {
                let Some(b) = case.get("behavior").and_then(Value::as_str) else {
                    return bad(&format!("case {id} has no behavior"));
                };
                out.insert(id.clone(), verdict(b)?);
            }
        } else {
            return bad(&format!("{key} is neither a verdict nor an object"));
        }
    }
    Ok(out)
}

fn verdict(s: &str) -> Result<Verdict, String> {
    Verdict::parse(s).ok_or_else(|| {
        format!("{s:?} is not a verdict (OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_three_expectation_shapes() {
        let ours = serde_json::json!({"cases": [{"id": "1.1.1", "verdict": "OK"}]});
        let autobahn =
            serde_json::json!({"agent": {"2.1": {"behavior": "FAILED", "behaviorClose": "OK"}}});
        let plain = serde_json::json!({"3.1": "NON-STRICT"});
        assert_eq!(accepted_verdicts(&ours).unwrap()["1.1.1"], Verdict::Ok);
        assert_eq!(
            accepted_verdicts(&autobahn).unwrap()["2.1"],
            Verdict::Failed
        );
        assert_eq!(
            accepted_verdicts(&plain).unwrap()["3.1"],
            Verdict::NonStrict
        );
        assert!(accepted_verdicts(&serde_json::json!({"3.1": "MAYBE"})).is_err());
        assert!(accepted_verdicts(&serde_json::json!([1])).is_err());
    }
}
