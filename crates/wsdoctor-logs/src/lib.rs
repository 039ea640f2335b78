//! wsdoctor-logs: server and client logs in, catalog causes with counts, times, places
//! and examples out.
//!
//! One scanner reads every format: nginx error logs and access logs in any
//! `log_format` (combined, ingress-nginx's default, JSON), HAProxy HTTP and TCP logs,
//! Apache access (`%D`, `%T`) and error logs, Envoy's default access log, Traefik (CLF
//! and JSON), Caddy, AWS ALB and Cloudflare Logpush logs, application logs with any
//! message `explain` knows, and browser HAR exports; gzip is read directly, container
//! wrappers (CRI, Docker json-file) are taken off. The format is judged by content;
//! `Options::format` forces it. Lines are prefiltered with one Aho-Corasick automaton (the
//! rules' anchors plus the literals of access-log statuses and WebSocket paths), so
//! only a small share of a large log is ever parsed. Memory is fixed: counters, a few
//! examples, capped sets, a duration histogram.
//!
//! Generic wording (an errno, a 502) counts only when the line is about a WebSocket:
//! its path looks like one, the user named it (`ws_paths`), or the path was seen
//! upgraded (101) anywhere in the scanned logs — decided at the end, so the order of
//! the files does not matter.

mod aggregate;
mod classify;
mod conf;
mod container;
mod fields;
mod from_har;
mod har;
mod input;
mod json;
mod lines;
mod report;
mod sessions;
mod sniff;
mod template;
mod timestamp;

pub use aggregate::{Capped, Example, Seen};
pub use conf::{LogFormat, nginx_log_formats};
pub use input::MAX_GZIP_OUTPUT;
pub use input::MAX_HAR_BYTES;
pub use report::{
    FileError, FileSummary, HarSummary, LogFinding, LogReport, SCHEMA, SessionSummary,
};
pub use sessions::{Burst, Cluster};
pub use timestamp::Ts;

use aggregate::{CauseStats, Hit};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use classify::CachedMessage;
use sessions::{Bursts, Durations};
use sniff::{Format, Named, Sniff};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Read};
use wsdoctor_core::CauseId;
use wsdoctor_explain::rules::{self, Ctx};

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
    /// A format name that overrides detection for every file (`--format`): one of
    /// [`format_names`].
    pub format: Option<String>,
    /// Access-log templates beyond the built-in ones (`--log-format`, the `log_format`s
    /// of `--nginx-conf`), tried first.
    pub log_formats: Vec<LogFormat>,
    /// Access logs are judged on both cores (a pure gate per line on two threads, the
    /// lines it passes classified in order) instead of line by line on one. The report
    /// is the same either way (a test holds it). Off by default: on the shared 2-core
    /// build machine (load 7) it took 2.3-3.9 s wall against 1.4-2.0 s for the serial
    /// path on the 1 GiB benchmark log, and 40 % more CPU (`examples/scan.rs`,
    /// `PARALLEL=1`); measure on an idle machine before turning it on.
    pub parallel: bool,
}

/// The names `Options::format` accepts.
pub fn format_names() -> impl Iterator<Item = &'static str> {
    sniff::NAMES.iter().map(|(n, _)| *n)
}

impl Options {
    /// Checks what the user gave: a known format name, templates that compile. The
    /// message names the problem and what to do.
    pub fn check(&self) -> Result<(), String> {
        for f in &self.log_formats {
            template::Template::compile(&f.template).map_err(|e| match f.name.as_str() {
                "log-format" => format!("--log-format: {e}"),
                name => format!("log_format {}: {e}", name.trim_start_matches("nginx:")),
            })?;
        }
        if let Some(name) = &self.format {
            let forced = sniff::NAMES
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, f)| *f)
                .ok_or_else(|| {
                    format!(
                        "unknown log format {name:?}: use one of {}",
                        format_names().collect::<Vec<_>>().join(", ")
                    )
                })?;
            if forced == sniff::Forced::User && self.log_formats.is_empty() {
                return Err("--format log-format needs the format itself: give --log-format '<log_format string>' or --nginx-conf FILE".into());
            }
        }
        Ok(())
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ws_paths: Vec::new(),
            max_examples: 3,
            max_distinct: 1000,
            chunk: lines::CHUNK,
            format: None,
            log_formats: Vec::new(),
            parallel: false,
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
    /// Content the scanner cannot read (a UTF-16 log), with what to do instead.
    #[error("{0}")]
    Unsupported(String),
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
    "/subscriptions",
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
    /// The built-in templates (ingress-nginx, Envoy), then the user's.
    templates: Vec<Named>,
    /// What `Options::format` forces.
    forced: Option<Format>,
    /// The vendor whose format the file being scanned is in (for duration clusters).
    vendor: Option<&'static str>,
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
    errors: Vec<FileError>,
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
        let mut templates = Vec::new();
        for (name, t, files) in [
            ("ingress-nginx", template::INGRESS_NGINX, &[][..]),
            ("envoy", template::ENVOY, &[][..]),
        ]
        .into_iter()
        .chain(
            opts.log_formats
                .iter()
                .map(|f| (f.name.as_str(), f.template.as_str(), f.files.as_slice())),
        ) {
            // The built-in templates compile (a unit test holds it); the user's were
            // checked by `Options::check`, and one that does not compile is left out.
            if let Ok(template) = template::Template::compile(t) {
                templates.push(Named {
                    name: name.to_string(),
                    template,
                    files: files.to_vec(),
                });
            }
        }
        let forced = opts.format.as_deref().and_then(|name| {
            let (_, f) = sniff::NAMES.iter().find(|(n, _)| *n == name)?;
            Some(match *f {
                sniff::Forced::Access => Format::Access,
                sniff::Forced::Builtin(i) => Format::Template(i),
                sniff::Forced::User => Format::Template(sniff::ENVOY + 1),
                sniff::Forced::Other(f) => f,
            })
        });
        let forced = forced.filter(|f| !matches!(f, Format::Template(i) if *i >= templates.len()));
        Scanner {
            opts,
            templates,
            forced,
            vendor: None,
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
            errors: Vec::new(),
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
        if let Some(enc) = input::utf16(reader.fill_buf()?) {
            return Err(ScanError::Unsupported(format!(
                "the log is {enc}, which is not scanned: convert it first (iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8)"
            )));
        }
        let file = self.files.len() as u32;
        self.files.push(FileSummary {
            path: name.to_string(),
            format: "text".into(),
            wrapper: None,
            compressed,
            bytes: 0,
            lines: 0,
        });
        let lines = match content {
            input::Content::Har => {
                self.files[file as usize].format = "har".into();
                self.vendor = None;
                // Strings cut before the parser buffers them: a 400 MB URL costs 64 KiB.
                let capped = input::StringCap::new(input::Limited::har(&mut reader));
                self.har_entries(file, capped)?;
                0
            }
            input::Content::Lines => {
                let preferred = self.preferred_template(name);
                let sniff = Sniff::head(reader.fill_buf()?, &self.templates, preferred);
                let format = self.forced.or(sniff.format());
                let summary = &mut self.files[file as usize];
                summary.format = match self.forced {
                    Some(f) => sniff::name(f, &self.templates, None),
                    None => sniff.name(&self.templates),
                };
                summary.wrapper = sniff.wrapper.map(container::Wrapper::name);
                self.vendor = format.and_then(|f| sniff.vendor(f, &self.templates));
                let stats = self.lines(&mut reader, file, format, sniff.wrapper)?;
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

    /// Reads the lines of one file in its format. Structured logs are parsed line by
    /// line, which is cheaper than searching every byte for hundreds of anchors;
    /// anything else is searched. Wrapped lines are unwrapped first, so they are all
    /// looked at.
    fn lines(
        &mut self,
        reader: &mut dyn Read,
        file: u32,
        format: Option<Format>,
        wrapper: Option<container::Wrapper>,
    ) -> std::io::Result<lines::LineStats> {
        let chunk = self.opts.chunk;
        let text = matches!(format, None | Some(Format::Text | Format::ApacheError));
        if text && wrapper.is_none() {
            let ac = self.ac.clone();
            return lines::scan(
                reader,
                lines::Select::Anchored(&ac),
                chunk,
                &mut |n, l, p| self.line(file, n, l, p),
            );
        }
        if wrapper.is_none()
            && self.opts.parallel
            && matches!(
                format,
                Some(Format::Access | Format::AwsAlb | Format::Template(_))
            )
        {
            // What `request_fast` would pass on, decided on both cores: parsing each
            // line is most of the cost, and only a few lines go further.
            let ws_paths = self.opts.ws_paths.clone();
            let ac = self.ac.clone();
            let template = match format {
                Some(Format::Template(i)) => Some(self.templates[i].template.clone()),
                _ => None,
            };
            let alb = format == Some(Format::AwsAlb);
            let gate = move |l: &[u8]| {
                let r = match &template {
                    Some(t) => t.extract(l),
                    None if alb => fields::alb(l),
                    None => fields::access(l),
                };
                match r {
                    Some(a) => classify::request_matters(&a, |p| named_ws_path(p, &ws_paths)),
                    // Not an access line: `unstructured` looks at it only with an anchor.
                    None => ac.is_match(l),
                }
            };
            return lines::scan(
                reader,
                lines::Select::Gated(&gate),
                chunk,
                &mut |n, l, _| self.dispatch(format, file, n, l),
            );
        }
        let mut buf = Vec::new();
        lines::scan(reader, lines::Select::Every, chunk, &mut |n, l, _| {
            let l = match wrapper {
                Some(w) => w.unwrap(l, &mut buf),
                None => l,
            };
            self.dispatch(format, file, n, l)
        })
    }

    /// One line of a structured (or wrapped) log, read in its file's format.
    fn dispatch(&mut self, format: Option<Format>, file: u32, n: u64, l: &[u8]) {
        match format {
            Some(Format::NginxError) => self.nginx_error_fast(file, n, l),
            Some(Format::Access) => self.request_fast(file, n, l, fields::access(l)),
            Some(Format::Template(i)) => {
                let r = self.templates[i].template.extract(l);
                self.request_fast(file, n, l, r)
            }
            Some(Format::AwsAlb) => self.request_fast(file, n, l, fields::alb(l)),
            Some(Format::Haproxy) => self.haproxy_fast(file, n, l),
            Some(Format::Json) => self.json_fast(file, n, l),
            Some(Format::Text | Format::ApacheError) | None => self.unstructured(file, n, l),
        }
    }

    /// The template an nginx config names for a file of this name, if any.
    fn preferred_template(&self, path: &str) -> Option<usize> {
        let base = path.rsplit('/').next().unwrap_or(path);
        self.templates
            .iter()
            .position(|t| t.files.iter().any(|f| f == base))
    }

    /// Records a file that could not be read (or only in part); the report is still
    /// built from everything else.
    pub fn failed(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FileError {
            path: name.to_string(),
            message: message.into(),
        });
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
        let named = named_ws_path(path, &self.opts.ws_paths);
        *slot = (h, named);
        named
    }

    fn is_ws_path(&self, path: &[u8]) -> bool {
        if path.is_empty() {
            return false;
        }
        self.upgraded_paths.contains(path) || named_ws_path(path, &self.opts.ws_paths)
    }
}

/// A path that carries WebSockets by its name or by the user's `--ws-path`.
fn named_ws_path(path: &[u8], ws_paths: &[String]) -> bool {
    wsdoctor_core::tables::is_ws_path(path)
        || ws_paths
            .iter()
            .any(|p| path.starts_with(p.trim_end_matches('*').as_bytes()))
}

#[cfg(test)]
mod format_tests;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;
