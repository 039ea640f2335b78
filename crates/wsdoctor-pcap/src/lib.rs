//! wsdoctor-pcap: a packet capture turned into the same `Evidence` a live `check`
//! collects, diagnosed by the same pure rules, so a capture of a failing connection
//! gets the same catalog ids the probe would have given it.
//!
//! Capture files are read with pcap-parser ([`reader`]), frames sliced with etherparse
//! ([`link`]), TCP reassembled here ([`tcp`], hand-written because the diagnosis needs
//! the retransmissions and gaps reassemblers hide), and each connection's bytes go
//! through `wsdoctor-proto`'s head reader and session ([`conn`]) into evidence
//! ([`evidence`]) the way `wsdoctor-net` fills it. Everything streams: connections are
//! handed to the caller as they end, and what is held is capped (see [`Limits`]).

pub mod conn;
pub mod evidence;
pub mod link;
pub mod reader;
pub mod synth;
pub mod tcp;
pub mod tls;

use conn::{Conn, Side};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use wsdoctor_core::{Finding, Phase, Verdict};
pub use wsdoctor_net::capture::CertJudge;

pub use reader::{Format, ReadError, ReadStats};

/// Version of the `--json` contract.
pub const SCHEMA: &str = "wsdoctor.pcap/1";

/// What is held at once, whatever the capture's size.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections followed at once; past it the longest-quiet one is reported as it
    /// stands (and says so) to make room.
    pub max_open: usize,
    /// Bytes all connections together may hold in reassembly and unfinished
    /// messages; past it the connection holding most stops being followed.
    pub budget: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_open: 1024,
            budget: 24 << 20,
        }
    }
}

/// What to look at.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only connections with an endpoint matching this.
    pub filter: Option<Filter>,
    pub show_secrets: bool,
    pub limits: Limits,
    /// Secrets that decrypt TLS 1.3 connections (`--keylog`).
    pub keylog: Option<Arc<tls::KeyLog>>,
    /// How server certificates are judged (`--cacert`, the trust store); without it
    /// the chain is shown but not judged.
    pub certs: Option<Arc<CertJudge>>,
}

/// `--filter HOST:PORT`, `HOST` or `:PORT`: an endpoint of the connection matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub ip: Option<std::net::IpAddr>,
    pub port: Option<u16>,
}

impl Filter {
    /// Parses the flag's value; the error says what is accepted.
    pub fn parse(s: &str) -> Result<Filter, String> {
        let bad = || {
            format!(
                "--filter {s:?}: expected HOST:PORT, HOST or :PORT with an IP address (127.0.0.1:8080, [::1]:443, :8080)"
            )
        };
        if let Ok(a) = s.parse::<SocketAddr>() {
            return Ok(Filter {
                ip: Some(a.ip()),
                port: Some(a.port()),
            });
        }
        if let Some(port) = s.strip_prefix(':') {
            let port = port.parse().map_err(|_| bad())?;
            return Ok(Filter {
                ip: None,
                port: Some(port),
            });
        }
        let ip = s.trim_start_matches('[').trim_end_matches(']');
        let ip = ip.parse().map_err(|_| bad())?;
        Ok(Filter {
            ip: Some(ip),
            port: None,
        })
    }

    fn matches(&self, a: SocketAddr) -> bool {
        self.ip.is_none_or(|ip| ip == a.ip()) && self.port.is_none_or(|p| p == a.port())
    }
}

/// One WebSocket (or attempted WebSocket) connection, diagnosed.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Connection {
    pub client: String,
    pub server: String,
    /// Capture time of its first packet, Unix seconds.
    pub start: f64,
    pub duration_ms: f64,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// WebSocket frames seen, both directions.
    pub frames: u64,
    /// TCP payload bytes, both directions.
    pub bytes: u64,
    /// What the capture did not let us follow (gaps, caps), so a quiet report is not
    /// read as a clean one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub phases: Vec<Phase>,
    pub evidence: wsdoctor_core::Evidence,
}

impl Connection {
    pub fn ids(&self) -> Vec<wsdoctor_core::CauseId> {
        self.findings.iter().map(|f| f.id).collect()
    }
}

/// Counts over a whole run.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Totals {
    pub packets: u64,
    pub tcp_segments: u64,
    /// WebSocket connections and attempts reported.
    pub connections: u64,
    /// TCP connections that carried something else (plain HTTP, other protocols, TLS
    /// until its view is added), not reported.
    pub other_connections: u64,
    /// Connections reported early because more than `max_open` were open at once.
    pub evicted: u64,
    /// Connections no longer followed because the memory budget was spent.
    pub shed: u64,
}

/// Reads one capture into `sink`, connection by connection as each ends.
pub struct Analyzer<F: FnMut(Connection)> {
    opts: Options,
    open: HashMap<(SocketAddr, SocketAddr), Conn>,
    held: usize,
    pub totals: Totals,
    sink: F,
}

impl<F: FnMut(Connection)> Analyzer<F> {
    pub fn new(opts: Options, sink: F) -> Self {
        Analyzer {
            opts,
            open: HashMap::new(),
            held: 0,
            totals: Totals::default(),
            sink,
        }
    }

    /// Reads a whole capture (pcap or pcapng) from `input`; `progress` gets bytes read.
    pub fn read<R: Read + Send>(
        &mut self,
        input: R,
        progress: impl FnMut(u64),
    ) -> (ReadStats, Option<ReadError>) {
        reader::read_packets(input, |p| self.packet(&p), progress)
    }

    /// One captured packet.
    pub fn packet(&mut self, p: &reader::Packet<'_>) {
        self.totals.packets += 1;
        let Some(s) = link::segment(p) else { return };
        self.totals.tcp_segments += 1;
        if let Some(f) = &self.opts.filter
            && !f.matches(s.src)
            && !f.matches(s.dst)
        {
            return;
        }
        let key = key(s.src, s.dst);
        // A new SYN on a 4-tuple that was used: the old connection is over.
        if s.syn
            && !s.ack_flag
            && let Some(c) = self.open.get(&key)
            && (c.streams[0].delivered > 0 || c.fin_us.iter().any(Option::is_some))
        {
            self.close(key);
        }
        if !self.open.contains_key(&key) {
            if self.open.len() >= self.opts.limits.max_open {
                self.evict();
            }
            let (client, server) = roles(&s);
            self.open.insert(
                key,
                Conn::new(client, server, p.ts_us, self.opts.keylog.clone()),
            );
        }
        // Inserted just above when missing.
        let c = self.open.get_mut(&key).expect("tracked");
        let before = c.held();
        let side = c.side_of(s.src);
        c.last_us = p.ts_us;
        if s.syn {
            c.streams[side as usize].syn(s.seq);
            match side {
                Side::Client if !s.ack_flag => {
                    c.syns += 1;
                    c.syn_us.get_or_insert(p.ts_us);
                }
                Side::Server if s.ack_flag => {
                    c.synack_us.get_or_insert(p.ts_us);
                }
                _ => {}
            }
        }
        if !s.payload.is_empty() {
            c.data(side, p.ts_us, s.seq, s.payload);
        }
        if s.fin {
            c.fin_us[side as usize].get_or_insert(p.ts_us);
        }
        if s.rst {
            c.rst_us[side as usize].get_or_insert(p.ts_us);
        }
        let after = c.held();
        let done = c.rst_us.iter().any(Option::is_some) || c.fin_us.iter().all(Option::is_some);
        self.held = (self.held + after).saturating_sub(before);
        if done {
            self.close(key);
        } else if self.held > self.opts.limits.budget {
            self.shed(p.ts_us);
        }
    }

    /// The capture ended: every connection still open is reported as it stands.
    pub fn finish(mut self) -> Totals {
        let mut keys: Vec<_> = self.open.keys().copied().collect();
        keys.sort_by_key(|k| self.open[k].first_us);
        for k in keys {
            self.close(k);
        }
        self.totals
    }

    /// Reports every connection still open (between files the caller may keep them).
    fn close(&mut self, key: (SocketAddr, SocketAddr)) {
        let Some(mut c) = self.open.remove(&key) else {
            return;
        };
        self.held = self.held.saturating_sub(c.held());
        for (i, side) in [(0, Side::Client), (1, Side::Server)] {
            c.streams[i].finish();
            if let Some(at) = c.streams[i].gap_at {
                c.app.gap(side, at);
            }
        }
        match report(&c, self.opts.show_secrets, self.opts.certs.as_deref()) {
            Some(conn) => {
                self.totals.connections += 1;
                (self.sink)(conn);
            }
            None => self.totals.other_connections += 1,
        }
    }

    fn evict(&mut self) {
        let Some(key) = self
            .open
            .iter()
            .min_by_key(|(_, c)| c.last_us)
            .map(|(k, _)| *k)
        else {
            return;
        };
        self.totals.evicted += 1;
        if let Some(c) = self.open.get_mut(&key) {
            c.app.notes.push(format!(
                "reported before its end: more than {} connections were open at once",
                self.opts.limits.max_open
            ));
        }
        self.close(key);
    }

    fn shed(&mut self, ts: i64) {
        let Some(c) = self.open.values_mut().max_by_key(|c| c.held()) else {
            return;
        };
        let before = c.held();
        c.shed(ts);
        self.held = self.held.saturating_sub(before - c.held());
        self.totals.shed += 1;
    }
}

/// The diagnosis of one connection, or `None` when it is no WebSocket attempt.
fn report(c: &Conn, show_secrets: bool, certs: Option<&CertJudge>) -> Option<Connection> {
    let e = evidence::evidence(c, show_secrets, certs)?;
    let r = wsdoctor_core::report(e);
    let mut notes = c.app.notes.clone();
    if let Some(t) = c.app.tls.as_deref() {
        notes.extend(t.notes.iter().cloned());
        if t.version == Some(tls::TLS13) && !t.decrypting && t.server_first_us.is_some() {
            notes.push(
                "TLS 1.3: the certificates and everything after the hellos are encrypted; run the client with SSLKEYLOGFILE=FILE and pass --keylog FILE to judge them".to_string(),
            );
        }
    }
    if let Some(ws) = &c.app.ws {
        for (side, who) in [(0, "client"), (1, "server")] {
            if ws.over_cap[side] {
                notes.push(format!(
                    "a {who} message over {} MiB: that direction was not followed further",
                    conn::MAX_MESSAGE >> 20
                ));
            }
        }
        if ws.client_violations > 0 {
            notes.push(format!(
                "the client broke RFC 6455 ({} frame(s), e.g. unmasked): wsdoctor judges the server's frames only",
                ws.client_violations
            ));
        }
    }
    let ws_frames = c.app.ws.as_ref().map_or(0, |w| w.frames[0] + w.frames[1]);
    Some(Connection {
        client: c.client.to_string(),
        server: c.server.to_string(),
        start: c.first_us as f64 / 1e6,
        duration_ms: (c.last_us - c.first_us) as f64 / 1000.0,
        verdict: r.verdict,
        findings: r.findings,
        frames: ws_frames,
        bytes: c.streams[0].delivered + c.streams[1].delivered,
        notes,
        phases: r.phases,
        evidence: r.evidence,
    })
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

/// Who is the client: the SYN's sender; without the handshake in the capture, the end
/// that speaks HTTP's request (or hears its response), else the higher port.
fn roles(s: &link::Segment<'_>) -> (SocketAddr, SocketAddr) {
    let src_is_client = if s.syn {
        !s.ack_flag
    } else if s.payload.starts_with(b"HTTP/") {
        false
    } else if s.payload.starts_with(b"GET ") {
        true
    } else {
        s.src.port() > s.dst.port()
    };
    if src_is_client {
        (s.src, s.dst)
    } else {
        (s.dst, s.src)
    }
}

/// One capture file's reading, for the report.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Input {
    pub path: String,
    pub format: Option<String>,
    pub packets: u64,
    pub bytes: u64,
    /// Packets on link types wsdoctor does not read, by link type number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsupported_links: Vec<(u16, u64)>,
    /// Packets shorter on disk than on the wire (snap length).
    pub truncated_packets: u64,
    /// Why the file was not read to its end (the packets before the damage were).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Input {
    pub fn new(path: &str, stats: &ReadStats, error: Option<&ReadError>) -> Input {
        Input {
            path: path.to_string(),
            format: stats.format.map(|f| match f {
                Format::Pcap => "pcap".to_string(),
                Format::PcapNg => "pcapng".to_string(),
            }),
            packets: stats.packets,
            bytes: stats.bytes,
            unsupported_links: stats.unsupported_links.clone(),
            truncated_packets: stats.truncated_packets,
            error: error.map(ToString::to_string),
        }
    }
}

/// How many connections had each cause.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CauseCount {
    pub id: wsdoctor_core::CauseId,
    pub title: String,
    pub connections: u64,
    /// The first connections with it (`client → server`), at most [`EXAMPLES`].
    pub examples: Vec<String>,
}

/// Examples kept per cause in the summary.
pub const EXAMPLES: usize = 3;

/// The summary grouped by cause, built as connections are reported.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    causes: Vec<CauseCount>,
    pub healthy: u64,
}

impl Summary {
    pub fn add(&mut self, c: &Connection) {
        let mut ids = c.ids();
        ids.dedup();
        if c.findings
            .iter()
            .all(|f| f.severity < wsdoctor_core::Severity::Warning)
        {
            self.healthy += 1;
        }
        for f in &c.findings {
            if !ids.contains(&f.id) {
                continue;
            }
            ids.retain(|i| *i != f.id);
            let example = format!("{} → {}", c.client, c.server);
            match self.causes.iter_mut().find(|k| k.id == f.id) {
                Some(k) => {
                    k.connections += 1;
                    if k.examples.len() < EXAMPLES {
                        k.examples.push(example);
                    }
                }
                None => self.causes.push(CauseCount {
                    id: f.id,
                    title: f.title.clone(),
                    connections: 1,
                    examples: vec![example],
                }),
            }
        }
    }

    /// Most frequent first.
    pub fn causes(&self) -> Vec<CauseCount> {
        let mut v = self.causes.clone();
        v.sort_by(|a, b| b.connections.cmp(&a.connections).then(a.id.cmp(&b.id)));
        v
    }
}

/// The whole `--json` document (schema `wsdoctor.pcap/1`). The command streams it in
/// this shape; the type is what its JSON Schema is generated from.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PcapJson {
    pub schema: String,
    pub inputs: Vec<Input>,
    pub connections: Vec<Connection>,
    pub summary: Vec<CauseCount>,
    pub totals: Totals,
}

#[cfg(test)]
mod tests;
