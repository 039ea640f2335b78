//! The result of one lint run: the files read, the findings, the files that could not
//! be read or parsed, and the assumptions made (such as the nginx version). This is the
//! JSON contract (`wsdoctor.lint/1`); fields are only ever added.

use crate::detect::Format;
use crate::finding::{LintFinding, RuleId};
use serde::Serialize;
use wsdoctor_core::Severity;

pub const SCHEMA: &str = "wsdoctor.lint/1";

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LintedFile {
    pub path: String,
    pub format: Format,
}

/// A file that could not be read or parsed; `line` when the parser knows it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LintError {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
    /// What kind of refusal this is, for the errors a program may want to tell apart
    /// (absent on plain read and syntax errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ErrorKind>,
    /// For an include cycle: the files from the main file to the one included again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
}

/// The refusals that keep a hostile or broken input from hanging or exhausting lint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file includes itself, directly or through others: followed once, not again.
    IncludeCycle,
    /// Includes nest too deep, name too many files, or expand to too much text.
    IncludeLimit,
    /// A FIFO, device, socket or directory where a configuration file was expected.
    NotAFile,
    /// A file (or stdin) larger than the size cap.
    TooLarge,
    /// A document nested deeper or expanding to more nodes than the parser accepts.
    ParseLimit,
}

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LintReport {
    pub schema: &'static str,
    pub files: Vec<LintedFile>,
    pub findings: Vec<LintFinding>,
    pub errors: Vec<LintError>,
    /// What was assumed where the input was silent, e.g. the nginx version.
    pub assumptions: Vec<String>,
    pub counts: Counts,
}

impl Default for LintReport {
    fn default() -> Self {
        Self::new()
    }
}

impl LintReport {
    pub fn new() -> LintReport {
        LintReport {
            schema: SCHEMA,
            files: Vec::new(),
            findings: Vec::new(),
            errors: Vec::new(),
            assumptions: Vec::new(),
            counts: Counts::default(),
        }
    }

    pub(crate) fn error(&mut self, file: &str, line: Option<usize>, message: impl Into<String>) {
        self.push_error(LintError {
            file: file.to_string(),
            line,
            message: message.into(),
            kind: None,
            chain: Vec::new(),
        });
    }

    pub(crate) fn push_error(&mut self, e: LintError) {
        self.errors.push(e);
    }

    pub(crate) fn assume(&mut self, text: String) {
        if !self.assumptions.contains(&text) {
            self.assumptions.push(text);
        }
    }

    /// Sorts findings by file and line (worst first on one line), drops exact
    /// duplicates (a snippet included twice), and counts them.
    pub(crate) fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.file, a.line, b.finding.severity, a.rule.as_str()).cmp(&(
                &b.file,
                b.line,
                a.finding.severity,
                b.rule.as_str(),
            ))
        });
        self.findings
            .dedup_by(|a, b| a.file == b.file && a.line == b.line && a.rule == b.rule);
        let mut c = Counts::default();
        for f in &self.findings {
            match f.finding.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        self.counts = c;
    }

    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.finding.severity).max()
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.worst().is_some_and(|w| w >= threshold)
    }

    /// The catalog ids found, in report order.
    pub fn ids(&self) -> Vec<&'static str> {
        self.findings.iter().map(|f| f.id().as_str()).collect()
    }

    /// The rule ids found, in report order.
    pub fn rules(&self) -> Vec<RuleId> {
        self.findings.iter().map(|f| f.rule).collect()
    }
}
