//! wsdoctor-bench: load and latency a WebSocket engineer can trust.
//!
//! Load tools either time WebSocket messages poorly or are fast but blind: none
//! corrects for coordinated omission, none says when the client was the bottleneck,
//! none explains its failures. This crate is `wsdoctor bench`'s engine: it opens
//! connections with `wsdoctor-net`'s [`Connector`] (the same DNS, TCP, proxy, TLS and
//! Upgrade code as `check`), drives them with `wsdoctor-proto`'s sans-IO session (the
//! same codec), times every message by echo correlation into HDR histograms
//! (`hdrhistogram`), and counts every failure under the catalog id `check` would give
//! it. It never prints: the binary renders [`BenchResult`] and reads [`Live`] for its
//! progress line.
//!
//! Everything is bounded: each connection keeps at most [`MAX_IN_FLIGHT`] messages
//! outstanding and one read buffer, every phase (connect, each echo, each write, the
//! close) has a deadline, and the run ends by its duration plus the drain.
//!
//! [`Connector`]: wsdoctor_net::Connector

pub mod capacity;
mod conn;
mod cpu;
mod engine;
mod held;
mod plan;
mod result;
mod stats;

pub use engine::{Live, Run, run};
pub use plan::{Payload, Plan, PlanError};
pub use result::{BenchResult, ConnectMs, Held, Latency, LatencyFrom, Mode, SCHEMA, Shard};

/// Messages one connection may have outstanding (sent, echo not yet in), in either
/// loop: past it an open-loop schedule waits (and the wait shows in the corrected
/// latency), so memory never grows with a server that stopped answering.
pub const MAX_IN_FLIGHT: usize = 4096;
