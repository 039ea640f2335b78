//! wsdoctor-conform: the conformance suite behind `wsdoctor conform`, the successor of
//! Autobahn|Testsuite.
//!
//! Autobahn is how WebSocket libraries prove themselves, and it is frozen on Python 2.7.
//! This crate carries its cases over — same ids, same expectations, same verdicts — so a
//! result here means what it means there, and runs them in seconds against a live server.
//!
//! # Map
//!
//! * [`model`] — what a case is: a script of frames, waits and timers; the expected
//!   records; how the connection must end. Pure data.
//! * [`cases`] — the case table, one module per Autobahn category. Pure.
//! * [`judge`] — Autobahn's verdict rules: an [`judge::Observation`] in, both verdicts, the
//!   explanation and the catalog cause out. Pure: no sockets, no clock.
//! * [`probe`] — category 0, the opening handshake as raw requests, and its verdict
//!   rules. Pure.
//! * [`hostile`] — category 14, attacks a server must survive, and their verdict. Pure.
//! * [`select`] — `--cases` / `--exclude` patterns. Pure.
//! * [`lenient`] — reading on past a masked or reserved-bit server frame, as Autobahn
//!   does, while recording the violation. Pure.
//! * [`run`] — the only IO: a tokio runner that plays each case on its own connection,
//!   concurrently, with a deadline per case, and records an [`judge::Observation`] and a
//!   capped wire transcript.
//! * [`report`] — the `wsdoctor.conform/1` JSON model of a run.
//! * [`export`] — the same run as JUnit XML and as a self-contained HTML report.

pub mod cases;
pub mod export;
pub mod hostile;
pub mod judge;
pub mod lenient;
pub mod model;
pub mod probe;
pub mod report;
pub mod run;
pub mod select;

pub use judge::{Judgement, Observation, judge};
pub use model::{Case, CloseVerdict, Verdict};
