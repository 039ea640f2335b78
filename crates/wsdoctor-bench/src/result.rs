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
    /// `--shard I/N`: this result is one shard's (its connections and rate share).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// `--hold N`: idle connections, and how many were still open at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
    /// `--ramp`: the loaded connections started one after another over this long.
    pub ramp_s: f64,
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
    /// `--ping-interval`: pings sent in the window, pongs that answered them, and
    /// their round trips (from the ping's write to its pong).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pings: Option<Pings>,
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
    /// `--find-capacity`: every step, and the highest rate that held. The rest of this
    /// result is that step's (or the last step's, when none held).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<crate::capacity::Capacity>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Shard {
    /// From 0 to `count` - 1.
    pub index: usize,
    pub count: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Held {
    pub requested: usize,
    pub opened: usize,
    /// Still open when the window ended (the others' ends are in `errors`).
    pub still_open: usize,
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

/// Ping round trips (`--ping-interval`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Pings {
    pub interval_ms: f64,
    /// Pings sent in the window, and pongs with their payload that came back.
    pub sent: u64,
    pub answered: u64,
    pub rtt_us: Latency,
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A result with nothing measured, to change in tests.
    pub fn result() -> BenchResult {
        BenchResult {
            schema: SCHEMA,
            target: "ws://127.0.0.1:9/".into(),
            mode: Mode::Open,
            connections: 1,
            connections_opened: 1,
            shard: None,
            held: None,
            ramp_s: 0.0,
            depth: None,
            rate: None,
            message_bytes: 20,
            binary: false,
            threads: 1,
            duration_s: 1.0,
            warmup_s: 0.0,
            sent: 0,
            messages: 0,
            messages_per_second: 0.0,
            latency_us: Latency::default(),
            latency_corrected_us: None,
            latency_from: LatencyFrom::SendAndIntended,
            pings: None,
            connect_ms: ConnectMs::default(),
            errors: BTreeMap::new(),
            client_cpu_percent: 0.0,
            client_limited: false,
            capacity: None,
        }
    }
}
