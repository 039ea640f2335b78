//! `logs`: server and client logs in, catalog causes with counts, times, places and
//! examples out.
//!
//! One scanner reads every format: nginx error and access logs, HAProxy, Apache error
//! logs, application logs with any message `explain` knows, and browser HAR exports;
//! gzip is read directly. Lines are prefiltered with one Aho-Corasick automaton (the
//! rules' anchors plus the literals of access-log statuses and WebSocket paths), so
//! only a small share of a large log is ever parsed. Memory is fixed: counters, a few
//! examples, capped sets, a duration histogram.
//!
//! Generic wording (an errno, a 502) counts only when the line is about a WebSocket:
//! its path looks like one, the user named it (`ws_paths`), or the path was seen
//! upgraded (101) anywhere in the scanned logs — decided at the end, so the order of
//! the files does not matter.

mod aggregate;
mod fields;
mod har;
mod input;
mod lines;
mod report;
mod sessions;
mod timestamp;
mod wspath;

pub use aggregate::{Capped, Example, Seen};
pub use input::MAX_HAR_BYTES;
pub use report::{FileSummary, HarSummary, LogFinding, LogReport, SCHEMA, SessionSummary};
pub use sessions::{Burst, Cluster};
pub use timestamp::Ts;

use crate::rules::{self, Ctx};
use crate::status;
use aggregate::{CauseStats, Hit};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;
use sessions::{Bursts, Durations, Origin};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::sync::LazyLock;
use wsdoctor_core::CauseId;

/// Scanner settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Paths that carry WebSockets beyond those recognised by name (`--ws-path`).
    pub ws_paths: Vec<String>,
    /// Example lines kept per cause.
    pub max_examples: usize,
    /// Distinct URLs, upstreams and paths kept; the rest are counted.
    pub max_distinct: usize,
    /// Read size (and longest line looked at in full).
    pub chunk: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ws_paths: Vec::new(),
            max_examples: 3,
            max_distinct: 1000,
            chunk: lines::CHUNK,
        }
    }
}

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a valid HAR export: {0}")]
    Har(String),
}

/// What a literal hit in the automaton means.
#[derive(Clone, Copy, Debug)]
enum Action {
    Rule(usize),
    /// `" 101 `, `" 502 `…: a combined access-log line worth parsing.
    AccessStatus,
    /// A path word such as `/ws` or `socket.io`: an access line worth parsing, and a
    /// line about WebSockets.
    WsPath,
    /// A word that makes the line about WebSockets.
    WsWord,
    Haproxy,
}

const ACCESS_LITERALS: &[&str] = &[
    "\" 101 ", "\" 400 ", "\" 401 ", "\" 403 ", "\" 404 ", "\" 426 ", "\" 429 ", "\" 499 ",
    "\" 500 ", "\" 502 ", "\" 503 ", "\" 504 ",
];
/// Entries of the nginx message cache (a power of two) and the longest message kept.
const MSG_CACHE: usize = 1024;
const MSG_CACHE_BYTES: usize = 512;
/// Entries of the path-verdict cache (a power of two).
const PATH_CACHE: usize = 4096;
/// The statuses of [`ACCESS_LITERALS`].
const ACCESS_STATUSES: &[u16] = &[101, 400, 401, 403, 404, 426, 429, 499, 500, 502, 503, 504];
const WS_PATH_LITERALS: &[&str] = &[
    "/ws",
    "socket.io",
    "sockjs",
    "/cable",
    "hub",
    "/live",
    "realtime",
    "/socket",
];
const WS_WORDS: &[&str] = &[
    "websocket",
    "ws://",
    "wss://",
    "upgrade",
    "engine.io",
    "signalr",
];

/// The scanner: feed it files, then [`Scanner::finish`] for the report.
pub struct Scanner {
    opts: Options,
    ac: AhoCorasick,
    /// For each literal of `ac`, what its occurrence means (a literal shared by several
    /// rules appears once per rule).
    actions: Vec<Vec<Action>>,
    scratch: Vec<usize>,
    patterns: Vec<usize>,
    /// (path hash, named WebSocket path?) for recent request paths.
    path_cache: Vec<(u64, bool)>,
    /// What recent nginx error messages decided.
    msg_cache: Vec<Option<CachedMessage>>,
    files: Vec<FileSummary>,
    findings: BTreeMap<CauseId, CauseStats>,
    alternatives: BTreeMap<CauseId, Vec<CauseId>>,
    /// Occurrences of generic wording on paths not (yet) known to be WebSocket ones.
    pending: HashMap<Vec<u8>, BTreeMap<CauseId, CauseStats>>,
    /// Paths answered 101 somewhere in the logs.
    upgraded_paths: HashSet<Vec<u8>>,
    durations: Durations,
    bursts: BTreeMap<CauseId, Bursts>,
    upgraded: u64,
    har: HarSummary,
    ignored: u64,
    long_lines: u64,
}

impl Default for Scanner {
    fn default() -> Scanner {
        Scanner::new(Options::default())
    }
}

impl Scanner {
    pub fn new(opts: Options) -> Scanner {
        let mut lits: Vec<String> = Vec::new();
        let mut actions = Vec::new();
        for (i, r) in rules::all().iter().enumerate() {
            if r.ctx == Ctx::Message {
                continue;
            }
            for a in r.anchors {
                lits.push((*a).to_string());
                actions.push(Action::Rule(i));
            }
        }
        let extra = [
            (ACCESS_LITERALS, Action::AccessStatus),
            (WS_PATH_LITERALS, Action::WsPath),
            (WS_WORDS, Action::WsWord),
            (&["haproxy["][..], Action::Haproxy),
        ];
        for (list, action) in extra {
            for l in list {
                lits.push((*l).to_string());
                actions.push(action);
            }
        }
        for p in &opts.ws_paths {
            lits.push(p.to_ascii_lowercase());
            actions.push(Action::WsPath);
        }
        let actions: Vec<Vec<Action>> = actions.into_iter().map(|a| vec![a]).collect();
        // The literals are static or plain user strings: building cannot fail short of
        // exhausting memory, which the DFA's size limit prevents by falling back.
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&lits)
            .or_else(|_| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .build(&lits)
            })
            .expect("literal automaton builds");
        Scanner {
            opts,
            ac,
            actions,
            scratch: Vec::new(),
            patterns: Vec::new(),
            path_cache: vec![(0, false); PATH_CACHE],
            msg_cache: vec![None; MSG_CACHE],
            files: Vec::new(),
            findings: BTreeMap::new(),
            alternatives: BTreeMap::new(),
            pending: HashMap::new(),
            upgraded_paths: HashSet::new(),
            durations: Durations::default(),
            bursts: BTreeMap::new(),
            upgraded: 0,
            har: HarSummary::default(),
            ignored: 0,
            long_lines: 0,
        }
    }

    /// Scans one log (plain, gzip, or HAR). `progress` receives the number of raw
    /// bytes read, as they are read.
    pub fn scan(
        &mut self,
        name: &str,
        raw: &mut dyn Read,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ScanError> {
        let mut bytes = 0u64;
        let mut count = |n: u64| {
            bytes += n;
            progress(n);
        };
        let counting = input::Counting::new(raw, &mut count);
        let (mut reader, compressed, content) = input::open(counting)?;
        let file = self.files.len() as u32;
        self.files.push(FileSummary {
            path: name.to_string(),
            format: "text",
            compressed,
            bytes: 0,
            lines: 0,
        });
        let lines = match content {
            input::Content::Har => {
                self.files[file as usize].format = "har";
                self.har_entries(file, input::Limited::new(&mut reader, MAX_HAR_BYTES))?;
                0
            }
            input::Content::Lines => {
                let format = Sniff::head(reader.fill_buf()?).format();
                self.files[file as usize].format = format;
                let ac = self.ac.clone();
                let chunk = self.opts.chunk;
                // Structured logs are parsed line by line, which is cheaper than searching
                // every byte for hundreds of anchors; anything else is searched.
                let stats = match format {
                    "access" => {
                        lines::scan(&mut reader, lines::Select::Every, chunk, &mut |n, l, _| {
                            self.access_fast(file, n, l)
                        })?
                    }
                    "haproxy" => {
                        lines::scan(&mut reader, lines::Select::Every, chunk, &mut |n, l, _| {
                            self.haproxy_fast(file, n, l)
                        })?
                    }
                    "nginx-error" => {
                        lines::scan(&mut reader, lines::Select::Every, chunk, &mut |n, l, _| {
                            self.nginx_error_fast(file, n, l)
                        })?
                    }
                    _ => lines::scan(
                        &mut reader,
                        lines::Select::Anchored(&ac),
                        chunk,
                        &mut |n, l, p| self.line(file, n, l, p),
                    )?,
                };
                self.long_lines += stats.long_lines;
                stats.lines
            }
        };
        drop(reader);
        let f = &mut self.files[file as usize];
        f.lines = lines;
        f.bytes = bytes;
        Ok(())
    }

    /// The report: pending occurrences on paths that turned out to be WebSocket ones
    /// are counted, the rest ignored; duration clusters and bursts are added.
    pub fn finish(mut self) -> LogReport {
        let pending = std::mem::take(&mut self.pending);
        for (path, causes) in pending {
            if self.is_ws_path(&path) {
                let examples = self.opts.max_examples;
                for (id, stats) in causes {
                    self.stats(id).merge(stats, examples);
                }
            } else {
                self.ignored += causes.values().map(|s| s.count).sum::<u64>();
            }
        }
        report::build(self)
    }

    /// A line that is not (or not known to be) a structured access or HAProxy line,
    /// with the anchors found in it.
    fn line(&mut self, file: u32, n: u64, text: &[u8], patterns: &[usize]) {
        self.line_in(file, n, text, text, patterns);
    }

    /// `msg` is the part of `text` the message rules are matched against.
    fn line_in(&mut self, file: u32, n: u64, text: &[u8], msg: &[u8], patterns: &[usize]) {
        let flags = self.candidates(patterns);
        if flags.haproxy
            && let Some(h) = fields::haproxy(text)
        {
            return self.haproxy_line(file, n, text, &h);
        }
        if flags.access
            && let Some(a) = fields::access(text)
        {
            return self.access_line(file, n, text, &a);
        }
        if !self.scratch.is_empty() {
            self.message_line(file, n, text, msg, flags.ws);
        }
    }

    /// What the anchors found mean: candidate rules go to `self.scratch`, the rest
    /// into the flags.
    fn candidates(&mut self, patterns: &[usize]) -> Flags {
        let mut flags = Flags::default();
        self.scratch.clear();
        for &p in patterns {
            for action in &self.actions[p] {
                match *action {
                    Action::Rule(i) => self.scratch.push(i),
                    Action::AccessStatus => flags.access = true,
                    Action::WsPath => {
                        flags.access = true;
                        flags.ws = true;
                    }
                    Action::WsWord => flags.ws = true,
                    Action::Haproxy => flags.haproxy = true,
                }
            }
        }
        flags
    }

    /// An access log, line by line: only upgrades, the statuses that matter on the
    /// Upgrade path and requests to WebSocket-named paths go further; lines that are
    /// not access lines get the general treatment.
    fn access_fast(&mut self, file: u32, n: u64, text: &[u8]) {
        match fields::access(text) {
            Some(a) => {
                // Other statuses matter on WebSocket paths only, known by name here (a
                // 200 on a path seen upgraded elsewhere is not looked up: that would
                // hash every line of the log).
                if ACCESS_STATUSES.contains(&a.status)
                    || self.named_ws_path(fields::path_of(a.target))
                {
                    self.access_line(file, n, text, &a);
                }
            }
            None => self.unstructured(file, n, text),
        }
    }

    /// An nginx error log, line by line: the anchors are searched in the message only,
    /// not in the `, client: …, request: …, upstream: …` fields after it, which are read
    /// separately.
    fn nginx_error_fast(&mut self, file: u32, n: u64, text: &[u8]) {
        let end = CLIENT_FIELD.find(text).unwrap_or(text.len());
        let msg = &text[nginx_message_start(&text[..end])..end];
        let target = fields::nginx_request_target(text);
        // nginx repeats the same messages word for word ("upstream timed out (110:
        // Connection timed out) while …"): what a message decides is cached under its
        // exact bytes (compared, not only hashed), so a repeat skips the search.
        let key = aggregate::fxhash(msg) ^ u64::from(target.is_some());
        let slot = (key as usize) & (MSG_CACHE - 1);
        if let Some(e) = &self.msg_cache[slot]
            && e.key == key
            && e.msg == msg
        {
            if let Some((m, ws)) = e.decision.clone() {
                self.record_match(file, n, text, m, ws, target);
            }
            return;
        }
        let mut patterns = std::mem::take(&mut self.patterns);
        patterns.clear();
        patterns.extend(
            self.ac
                .find_overlapping_iter(msg)
                .map(|m| m.pattern().as_usize()),
        );
        let flags = self.candidates(&patterns);
        self.patterns = patterns;
        if flags.access || flags.haproxy {
            // Not an nginx message after all: the general path, uncached.
            let patterns = std::mem::take(&mut self.patterns);
            self.line_in(file, n, text, msg, &patterns);
            self.patterns = patterns;
            return;
        }
        let decision = if self.scratch.is_empty() {
            None
        } else {
            self.best_rule(msg, flags.ws || target.is_some())
                .map(|m| (m, flags.ws))
        };
        if msg.len() <= MSG_CACHE_BYTES {
            self.msg_cache[slot] = Some(CachedMessage {
                key,
                msg: msg.to_vec(),
                decision: decision.clone(),
            });
        }
        if let Some((m, ws)) = decision {
            self.record_match(file, n, text, m, ws, target);
        }
    }

    /// A line met in a structured log that is not in its format.
    fn unstructured(&mut self, file: u32, n: u64, text: &[u8]) {
        let patterns: Vec<usize> = self
            .ac
            .find_overlapping_iter(text)
            .map(|m| m.pattern().as_usize())
            .collect();
        if !patterns.is_empty() {
            self.line(file, n, text, &patterns);
        }
    }

    fn haproxy_fast(&mut self, file: u32, n: u64, text: &[u8]) {
        match fields::haproxy(text) {
            Some(h) => self.haproxy_line(file, n, text, &h),
            None => self.unstructured(file, n, text),
        }
    }

    fn access_line(&mut self, file: u32, n: u64, text: &[u8], a: &fields::Access<'_>) {
        let path = fields::path_of(a.target);
        if a.status == 101 {
            self.upgraded(path, a.duration, file, n, text);
            return;
        }
        let Some(&id) = status::status_causes(a.status).first() else {
            return;
        };
        let url = Some(redacted_target(a.target));
        self.record_on_path(
            id,
            path,
            file,
            n,
            text,
            status_signature(a.status),
            url,
            None,
        );
    }

    fn haproxy_line(&mut self, file: u32, n: u64, text: &[u8], h: &fields::Haproxy<'_>) {
        let path = h.target.map(fields::path_of).unwrap_or(b"");
        if h.status == 101 {
            self.upgraded(path, h.total, file, n, text);
        }
        let cause = rules::termination_causes(h.termination)
            .first()
            .or_else(|| {
                if h.status == 101 {
                    None
                } else {
                    status::status_causes(h.status).first()
                }
            })
            .copied();
        let Some(id) = cause else { return };
        let url = h.target.map(redacted_target);
        let upstream = Some(String::from_utf8_lossy(h.backend).into_owned());
        let sig = termination_signature(h.termination);
        if h.status == 101 {
            self.record(id, file, n, text, sig, url, upstream);
        } else {
            self.record_on_path(id, path, file, n, text, sig, url, upstream);
        }
    }

    fn upgraded(&mut self, path: &[u8], duration: Option<f64>, file: u32, n: u64, text: &[u8]) {
        self.upgraded += 1;
        if self.upgraded_paths.len() < self.opts.max_distinct && !self.upgraded_paths.contains(path)
        {
            self.upgraded_paths.insert(path.to_vec());
        }
        if let Some(d) = duration {
            self.durations.add(d, || Origin {
                file,
                line: n,
                text: aggregate::redact_line(text),
            });
        }
    }

    fn message_line(&mut self, file: u32, n: u64, text: &[u8], msg: &[u8], ws_word: bool) {
        // Generic wording counts only on a WebSocket line or a request path that may
        // turn out to be one: without either, those rules need not run at all (most
        // of an nginx error log is "closed keepalive connection" and the like).
        let target = fields::nginx_request_target(text);
        if let Some(m) = self.best_rule(msg, ws_word || target.is_some()) {
            self.record_match(file, n, text, m, ws_word, target);
        }
    }

    /// The strongest rule among the candidates in `self.scratch` that matches `msg`
    /// (table order breaks ties, as in `explain`): a line is counted under that one,
    /// so the weaker ones never run.
    fn best_rule(&mut self, msg: &[u8], generic_ok: bool) -> Option<rules::RuleMatch> {
        let matcher = rules::matcher();
        let order = rules::all();
        self.scratch
            .sort_unstable_by_key(|&i| (std::cmp::Reverse(order[i].weight), i));
        self.scratch.dedup();
        self.scratch.iter().find_map(|&i| {
            if (generic_ok || order[i].ctx != Ctx::Ws) && matcher.is_match(i, msg) {
                matcher
                    .apply_matching(i, msg)
                    .filter(|m| !m.causes.is_empty())
            } else {
                None
            }
        })
    }

    fn record_match(
        &mut self,
        file: u32,
        n: u64,
        text: &[u8],
        m: rules::RuleMatch,
        ws_word: bool,
        target: Option<&[u8]>,
    ) {
        let id = m.causes[0];
        self.alternatives
            .entry(id)
            .or_insert_with(|| m.causes[1..].to_vec());
        let url = target.map(redacted_target).or_else(|| {
            let s = String::from_utf8_lossy(text);
            crate::explain::find_url(&s)
        });
        let upstream = upstream_of(text);
        let sig = m.rule.name;
        if m.rule.ctx == Ctx::Ws
            && !ws_word
            && let Some(t) = target
        {
            let path = fields::path_of(t).to_vec();
            self.record_on_path(id, &path, file, n, text, sig, url, upstream);
        } else {
            self.record(id, file, n, text, sig, url, upstream);
        }
    }

    /// Counts the occurrence now if the path is a WebSocket one by name, else keeps it
    /// pending until the end, when 101s seen later may vouch for the path.
    #[allow(clippy::too_many_arguments)]
    fn record_on_path(
        &mut self,
        id: CauseId,
        path: &[u8],
        file: u32,
        n: u64,
        text: &[u8],
        sig: &'static str,
        url: Option<String>,
        upstream: Option<String>,
    ) {
        if self.is_ws_path(path) {
            return self.record(id, file, n, text, sig, url, upstream);
        }
        let (cap, examples) = (self.opts.max_distinct, self.opts.max_examples);
        if !self.pending.contains_key(path) && self.pending.len() >= cap {
            self.ignored += 1;
            return;
        }
        let time = timestamp::parse(text);
        let hit = Hit {
            file,
            line: n,
            text,
            time,
            signature: sig,
            url,
            upstream,
        };
        self.pending
            .entry(path.to_vec())
            .or_default()
            .entry(id)
            .or_insert_with(|| CauseStats::new(cap))
            .add(&hit, examples);
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        id: CauseId,
        file: u32,
        n: u64,
        text: &[u8],
        sig: &'static str,
        url: Option<String>,
        upstream: Option<String>,
    ) {
        let time = timestamp::parse(text);
        if let Some(t) = time
            && matches!(id, CauseId::HttpBadGateway | CauseId::HttpGatewayTimeout)
        {
            self.bursts.entry(id).or_default().add(t.epoch);
        }
        let examples = self.opts.max_examples;
        let cap = self.opts.max_distinct;
        let hit = Hit {
            file,
            line: n,
            text,
            time,
            signature: sig,
            url,
            upstream,
        };
        self.findings
            .entry(id)
            .or_insert_with(|| CauseStats::new(cap))
            .add(&hit, examples);
    }

    fn stats(&mut self, id: CauseId) -> &mut CauseStats {
        let cap = self.opts.max_distinct;
        self.findings
            .entry(id)
            .or_insert_with(|| CauseStats::new(cap))
    }

    /// Asked of nearly every access-log line: the verdict for recent paths is cached
    /// (paths repeat heavily: the same assets, the same API routes). Slots are keyed
    /// by a 64-bit hash alone; two distinct paths sharing one is not a practical
    /// concern, and would only misjudge a 2xx on that path.
    fn named_ws_path(&mut self, path: &[u8]) -> bool {
        let h = aggregate::fxhash(path);
        let slot = &mut self.path_cache[(h as usize) & (PATH_CACHE - 1)];
        if slot.0 == h && h != 0 {
            return slot.1;
        }
        let named = wspath::named(path)
            || self
                .opts
                .ws_paths
                .iter()
                .any(|p| path.starts_with(p.trim_end_matches('*').as_bytes()));
        *slot = (h, named);
        named
    }

    fn is_ws_path(&self, path: &[u8]) -> bool {
        if path.is_empty() {
            return false;
        }
        self.upgraded_paths.contains(path)
            || wspath::named(path)
            || self
                .opts
                .ws_paths
                .iter()
                .any(|p| path.starts_with(p.trim_end_matches('*').as_bytes()))
    }

    fn har_entries(&mut self, file: u32, reader: impl Read) -> Result<(), ScanError> {
        let mut index = 0u64;
        let mut on_entry = |e: har::Entry| {
            index += 1;
            self.har_entry(file, index, e);
        };
        har::entries(reader, &mut on_entry).map_err(|e| {
            if e.is_io() {
                ScanError::Io(std::io::Error::other(e.to_string()))
            } else {
                ScanError::Har(e.to_string())
            }
        })
    }

    fn har_entry(&mut self, file: u32, index: u64, e: har::Entry) {
        self.har.entries += 1;
        if !e.is_websocket() {
            return;
        }
        self.har.websockets += 1;
        self.har.messages_sent += e.messages.sent;
        self.har.messages_received += e.messages.received;
        let started = e
            .started
            .as_deref()
            .and_then(|s| timestamp::parse(s.as_bytes()));
        let url = crate::explain::find_url(&e.request.url).unwrap_or_else(|| e.request.url.clone());
        let path = url_path(&e.request.url);
        let summary = format!(
            "{} {} -> {} ({} sent, {} received){}",
            if e.request.method.is_empty() {
                "GET"
            } else {
                &e.request.method
            },
            url,
            e.response.status,
            e.messages.sent,
            e.messages.received,
            e.network_error()
                .map(|x| format!(" {x}"))
                .unwrap_or_default()
        );
        let status = u16::try_from(e.response.status).unwrap_or(0);
        if status == 101 {
            self.har.upgraded += 1;
            if e.messages.close_frame {
                self.har.closed_with_frame += 1;
            }
            let duration = match (started, e.messages.last) {
                (Some(s), Some(last)) => Some(last - s.secs()).filter(|d| *d >= 0.0),
                _ => None,
            };
            self.upgraded(path.as_bytes(), duration, file, index, summary.as_bytes());
            return;
        }
        self.har.failed += 1;
        let cause = match (status, e.network_error()) {
            (0, Some(err)) => crate::explain::explain(err)
                .causes
                .first()
                .map(|c| (c.id, "har-network-error")),
            (0, None) => None,
            (s, _) => status::status_causes(s)
                .first()
                .map(|id| (*id, "har-status")),
        };
        let Some((id, sig)) = cause else { return };
        let time = started;
        let hit = Hit {
            file,
            line: index,
            text: summary.as_bytes(),
            time,
            signature: sig,
            url: Some(url),
            upstream: None,
        };
        if let Some(t) = time
            && matches!(id, CauseId::HttpBadGateway | CauseId::HttpGatewayTimeout)
        {
            self.bursts.entry(id).or_default().add(t.epoch);
        }
        let examples = self.opts.max_examples;
        self.stats(id).add(&hit, examples);
    }
}

#[derive(Clone)]
struct CachedMessage {
    key: u64,
    msg: Vec<u8>,
    /// The rule the message matched, and whether it named WebSockets.
    decision: Option<(rules::RuleMatch, bool)>,
}

#[derive(Default)]
struct Flags {
    access: bool,
    ws: bool,
    haproxy: bool,
}

/// Where the message of an nginx error line starts: after `2024/05/01 10:00:00
/// [error] 7#7: ` and the connection number `*123 ` when there is one.
fn nginx_message_start(line: &[u8]) -> usize {
    let Some(colon) = memchr::memmem::find(line, b": ") else {
        return 0;
    };
    let mut at = colon + 2;
    if line.get(at) == Some(&b'*')
        && let Some(sp) = memchr::memchr(b' ', &line[at..])
    {
        at += sp + 1;
    }
    at
}

/// Where the fields after an nginx error message begin.
static CLIENT_FIELD: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(", client: "));

/// Which format most of the first lines are in.
#[derive(Default)]
struct Sniff {
    counts: [u32; 5],
}

impl Sniff {
    const NAMES: [&'static str; 5] = ["nginx-error", "access", "haproxy", "apache-error", "text"];

    /// The first 20 non-empty lines of a log's first buffer.
    fn head(head: &[u8]) -> Sniff {
        let mut s = Sniff::default();
        let mut lines = head
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .take(21)
            .peekable();
        while let Some(l) = lines.next() {
            // The last piece may be cut by the buffer's end: judge only whole lines.
            if lines.peek().is_some() || head.ends_with(b"\n") {
                s.add(l.strip_suffix(b"\r").unwrap_or(l));
            }
        }
        s
    }

    fn add(&mut self, l: &[u8]) {
        let i = if l.len() > 20 && l[4] == b'/' && l[7] == b'/' && l[10] == b' ' {
            0
        } else if memchr::memmem::find(l, b"haproxy[").is_some() || fields::haproxy(l).is_some() {
            2
        } else if fields::access(l).is_some() {
            1
        } else if l.first() == Some(&b'[') && l.get(4) == Some(&b' ') && l.get(8) == Some(&b' ') {
            3
        } else {
            4
        };
        self.counts[i] += 1;
    }

    fn format(&self) -> &'static str {
        let total: u32 = self.counts.iter().sum();
        match self.counts.iter().enumerate().max_by_key(|(_, c)| **c) {
            Some((i, &c)) if total > 0 && c * 2 > total => Self::NAMES[i],
            _ if total == 0 => "empty",
            _ => "mixed",
        }
    }
}

fn redacted_target(t: &[u8]) -> String {
    wsdoctor_core::redact::resource(&String::from_utf8_lossy(t))
}

fn url_path(url: &str) -> String {
    let after = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after.find('/').map_or("/", |i| &after[i..]);
    fields::path_of(path.as_bytes())
        .iter()
        .map(|&b| b as char)
        .collect()
}

/// The upstream named by nginx (`upstream: "…"`) or Apache (`connect to host:port`,
/// `remote server host:port`, `backend: host`).
fn upstream_of(text: &[u8]) -> Option<String> {
    if let Some(u) = fields::nginx_field(text, fields::NginxField::Upstream) {
        return Some(wsdoctor_core::redact::url(&String::from_utf8_lossy(u)));
    }
    static APACHE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:connect to|remote server|backend:)\s+(\[?[\w.:-]+\]?(?::\d+)?)")
            .expect("valid")
    });
    APACHE
        .captures(text)
        .map(|c| String::from_utf8_lossy(&c[1]).into_owned())
}

fn status_signature(s: u16) -> &'static str {
    match s {
        200 => "access-200",
        400 => "access-400",
        401 => "access-401",
        403 => "access-403",
        404 => "access-404",
        426 => "access-426",
        429 => "access-429",
        499 => "access-499",
        500 => "access-500",
        502 => "access-502",
        503 => "access-503",
        504 => "access-504",
        _ => "access-status",
    }
}

fn termination_signature(ts: [u8; 2]) -> &'static str {
    match &ts {
        b"cD" => "haproxy-cD",
        b"sD" => "haproxy-sD",
        b"CD" => "haproxy-CD",
        b"SD" => "haproxy-SD",
        b"SH" => "haproxy-SH",
        b"sH" => "haproxy-sH",
        b"SC" => "haproxy-SC",
        b"sC" => "haproxy-sC",
        b"CR" | b"cR" => "haproxy-CR",
        b"CH" | b"cH" | b"CC" | b"CQ" => "haproxy-CH",
        b"PH" => "haproxy-PH",
        b"PR" => "haproxy-PR",
        _ => "haproxy-status",
    }
}

#[cfg(test)]
mod tests;
