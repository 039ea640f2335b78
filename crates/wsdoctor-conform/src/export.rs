//! A run as files for other tools: JUnit XML for CI systems (`--junit`, written with
//! `quick-junit`) and a self-contained HTML report a maintainer can browse (`--html`,
//! an `askama` template, escaped by the template engine). Both are built from the same
//! [`ConformReport`] as the JSON, with every server-supplied string redacted first: a
//! report file is shared more widely than a terminal.

use crate::model::Verdict;
use crate::report::{CaseResult, ConformReport, RunVerdict};
use askama::Template;
use std::time::Duration;
use wsdoctor_core::redact;

/// The report with secrets redacted from everything a server or the target supplied.
fn redacted(report: &ConformReport) -> ConformReport {
    let r = |s: &str| redact::text(s).into_owned();
    let mut out = report.clone();
    for c in &mut out.cases {
        c.description = r(&c.description);
        c.expected = r(&c.expected);
        c.observed = r(&c.observed);
        c.explanation = r(&c.explanation);
        for line in &mut c.transcript {
            *line = r(line);
        }
    }
    out
}

/// Whether a case counts as failed in this run (NON-STRICT does under `--strict`).
fn counts_as_failed(report: &ConformReport, c: &CaseResult) -> bool {
    c.verdict == Verdict::Failed || (report.strict && c.verdict == Verdict::NonStrict)
}

fn category_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// JUnit XML: one `<testsuite>` per category, one `<testcase>` per case. FAILED (and
/// NON-STRICT under `--strict`) is a `<failure>`, UNIMPLEMENTED is `<skipped>`; OK,
/// NON-STRICT and INFORMATIONAL pass. The verdicts themselves are properties, and the
/// transcript is the case's `<system-out>`.
pub fn junit(report: &ConformReport) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let report = redacted(report);
    let mut out = Report::new("wsdoctor conform");
    out.set_time(Duration::from_millis(report.ms));
    for cat in &report.categories {
        let mut suite = TestSuite::new(format!("{} {}", cat.id, cat.title));
        for c in report.cases.iter().filter(|c| category_of(&c.id) == cat.id) {
            let status = if counts_as_failed(&report, c) {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type(c.verdict.as_str());
                s.set_message(if c.explanation.is_empty() {
                    c.observed.clone()
                } else {
                    c.explanation.clone()
                });
                s.set_description(format!(
                    "expected: {}\nobserved: {}{}",
                    c.expected,
                    c.observed,
                    c.cause
                        .map(|id| format!("\nlive, a user meets: {}", id.as_str()))
                        .unwrap_or_default()
                ));
                s
            } else if c.verdict == Verdict::Unimplemented {
                let mut s = TestCaseStatus::skipped();
                s.set_message(c.observed.clone());
                s
            } else {
                TestCaseStatus::success()
            };
            let mut tc = TestCase::new(format!("{} {}", c.id, c.description), status);
            tc.set_classname(format!("conform.{}", cat.id));
            tc.set_time(Duration::from_millis(c.ms));
            tc.add_property(("verdict", c.verdict.as_str()));
            tc.add_property(("close_verdict", c.close_verdict.as_str()));
            tc.add_property(("section", c.section));
            tc.set_system_out(c.transcript.join("\n"));
            suite.add_test_case(tc);
        }
        out.add_test_suite(suite);
    }
    out.to_string()
        .map_err(|e| format!("cannot write JUnit XML: {e}"))
}

#[derive(Template)]
#[template(path = "conform.html")]
struct Page<'a> {
    report: &'a ConformReport,
    verdict: &'static str,
    categories: Vec<PageCategory<'a>>,
}

struct PageCategory<'a> {
    id: &'a str,
    title: &'a str,
    counts: String,
    any_failed: bool,
    cases: Vec<PageCase<'a>>,
}

struct PageCase<'a> {
    c: &'a CaseResult,
    class: &'static str,
    cause: String,
    transcript: String,
}

/// The HTML report: a summary, then each category (opened when it has a failure) with
/// each case, its expectation, observation and transcript. One file, no scripts, no
/// external resources.
pub fn html(report: &ConformReport) -> Result<String, String> {
    let report = redacted(report);
    let categories = report
        .categories
        .iter()
        .map(|cat| {
            let cases: Vec<PageCase> = report
                .cases
                .iter()
                .filter(|c| category_of(&c.id) == cat.id)
                .map(|c| PageCase {
                    c,
                    class: if counts_as_failed(&report, c) {
                        "failed"
                    } else {
                        match c.verdict {
                            Verdict::Ok | Verdict::Informational => "ok",
                            Verdict::NonStrict => "nonstrict",
                            Verdict::Unimplemented => "unimplemented",
                            Verdict::Failed => "failed",
                        }
                    },
                    cause: c
                        .cause
                        .map(|id| id.as_str().to_string())
                        .unwrap_or_default(),
                    transcript: c.transcript.join("\n"),
                })
                .collect();
            let k = &cat.counts;
            PageCategory {
                id: &cat.id,
                title: cat.title,
                counts: format!(
                    "{} cases: {} OK, {} NON-STRICT, {} INFORMATIONAL, {} UNIMPLEMENTED, {} FAILED",
                    k.total, k.ok, k.non_strict, k.informational, k.unimplemented, k.failed
                ),
                any_failed: cases.iter().any(|p| p.class == "failed"),
                cases,
            }
        })
        .collect();
    let page = Page {
        report: &report,
        verdict: match report.verdict {
            RunVerdict::Ok => "ok",
            RunVerdict::Failed => "failed",
        },
        categories,
    };
    page.render()
        .map_err(|e| format!("cannot render the HTML report: {e}"))
}
