//! The result of a run: `wsdoctor bench --json` prints it (schema `wsdoctor.bench/1`);
//! fields are only ever added.

use serde::Serialize;
use std::collections::BTreeMap;
use wsdoctor_core::CauseId;

pub const SCHEMA: &str = "wsdoctor.bench/1";

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BenchResult {
    pub schema: &'static str,
    /// The URL, secrets redacted.
    pub target: String,
    pub mode: Mode,
    /// Connections asked for, and how many opened.
    pub connections: usize,
    pub connections_opened: usize,
    /// Closed loop: messages in flight per connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<usize>,
    /// Open loop: the rate asked for, messages per second over all connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    pub message_bytes: usize,
    pub binary: bool,
    pub threads: usize,
    /// The measured window and the warm-up before it, seconds.
    pub duration_s: f64,
    pub warmup_s: f64,
    /// Messages sent in the window, and echoes of them that came back.
    pub sent: u64,
    pub messages: u64,
    /// Echoes per second over the window.
    pub messages_per_second: f64,
    /// Round trip per message, from the send (closed loop; raw in open loop).
    pub latency_us: Latency,
    /// Open loop only: round trip from the time the schedule meant the message to be
    /// sent, so a stall that delays later sends counts against them too (corrected for
    /// coordinated omission).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_corrected_us: Option<Latency>,
    /// Which clock `latency_us` starts from.
    pub latency_from: LatencyFrom,
    /// How long the opening took, per phase, for the connections that opened.
    pub connect_ms: ConnectMs,
    /// Failures by catalog id (`wsdoctor explain ID` explains one), the same id
    /// `check` gives: a connection refused, reset, closed with a code, an echo that
    /// never came, a server that stopped reading.
    pub errors: BTreeMap<CauseId, u64>,
    /// wsdoctor's own CPU time (user + system, getrusage) over the window, as a
    /// percentage of one core.
    pub client_cpu_percent: f64,
    /// The client's CPU was at or above `CLIENT_LIMIT_PERCENT` per thread: the
    /// numbers show wsdoctor's limit, not the server's.
    pub client_limited: bool,
}

/// Closed loop (a fixed number in flight) or open loop (a fixed schedule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Closed,
    Open,
}

/// Where a latency is measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LatencyFrom {
    /// When the message was written (closed loop: there is no schedule to miss).
    Send,
    /// Open loop: `latency_us` from the write (raw), `latency_corrected_us` from the
    /// schedule's intended send time.
    SendAndIntended,
}

/// Percentiles of one histogram. Values are 0 when `count` is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Latency {
    pub count: u64,
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// Connect-phase percentiles, milliseconds. A phase that did not happen (DNS for an
/// IP literal, TLS for `ws://`, a proxy) is absent.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct ConnectMs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<Latency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<Latency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Latency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Latency>,
    pub upgrade: Latency,
    /// The whole opening, DNS to 101.
    pub total: Latency,
}

/// At or above this share of one core per thread, the client was the limit.
pub const CLIENT_LIMIT_PERCENT: f64 = 90.0;

impl BenchResult {
    /// Errors counted over the run.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}
