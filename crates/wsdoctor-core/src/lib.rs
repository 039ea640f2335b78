//! wsdoctor-core: evidence in, findings out.
//!
//! This crate is the pure heart of wsdoctor: the cause catalog, the evidence model
//! that probes fill in, the diagnosis rules that turn evidence into findings, and the
//! report. It does no IO and reads no clock, so every rule is testable with
//! hand-built evidence; the crate boundary enforces that (no tokio here).

pub mod catalog;
pub mod dates;
pub mod evidence;
pub mod excerpt;
pub mod fingerprint;
pub mod layer;
pub mod redact;
pub mod report;
pub mod rules;
pub mod tables;
pub mod url;

pub use catalog::{CATALOG, Cause, CauseId};
pub use evidence::Evidence;
pub use layer::{Blame, Layer, Mistake, Severity};
pub use report::{
    Finding, Phase, PhaseStatus, Report, SkipReason, Transport, TransportReport, Verdict,
};
pub use rules::{diagnose, report};
