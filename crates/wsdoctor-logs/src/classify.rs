//! What one line means: the per-format fast paths (access lines of every format,
//! HAProxy, nginx error, JSON), the general anchor-and-rule path for everything else,
//! and how a match becomes a counted occurrence.

use super::aggregate;
use super::fields;
use super::json;
use super::sessions::Origin;
use super::{ACCESS_STATUSES, Action, MSG_CACHE, MSG_CACHE_BYTES, Scanner};
use regex::bytes::Regex;
use std::sync::LazyLock;
use wsdoctor_core::CauseId;
use wsdoctor_core::tables::status;
use wsdoctor_explain::rules::{self, Ctx};
use wsdoctor_explain::{concepts, vocab};

impl Scanner {
    /// A line that is not (or not known to be) a structured access or HAProxy line,
    /// with the anchors found in it.
    pub(super) fn line(&mut self, file: u32, n: u64, text: &[u8], patterns: &[usize]) {
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
            return self.request_line(file, n, text, &a);
        }
        if !self.scratch.is_empty() || flags.ws {
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

    /// An access log, line by line (`r`: the line as read by its format's extractor):
    /// only upgrades, the statuses that matter on the Upgrade path, lines with Envoy
    /// response flags and requests to WebSocket-named paths go further; lines that are
    /// not access lines get the general treatment.
    pub(super) fn request_fast(
        &mut self,
        file: u32,
        n: u64,
        text: &[u8],
        r: Option<fields::Request<'_>>,
    ) {
        match r {
            Some(a) => {
                // Other statuses matter on WebSocket paths only, known by name here (a
                // 200 on a path seen upgraded elsewhere is not looked up: that would
                // hash every line of the log).
                if request_matters(&a, |p| self.named_ws_path(p)) {
                    self.request_line(file, n, text, &a);
                }
            }
            None => self.unstructured(file, n, text),
        }
    }

    /// A JSON log line: an access entry (Caddy, Traefik, Cloudflare, nginx
    /// `escape=json`) or an application log's message.
    pub(super) fn json_fast(&mut self, file: u32, n: u64, text: &[u8]) {
        let Some(j) = json::read(text) else {
            return self.unstructured(file, n, text);
        };
        if let Some(r) = j.request {
            return self.request_fast(file, n, text, Some(r));
        }
        if let Some(msg) = j.message {
            let mut patterns = std::mem::take(&mut self.patterns);
            patterns.clear();
            patterns.extend(
                self.ac
                    .find_overlapping_iter(msg)
                    .map(|m| m.pattern().as_usize()),
            );
            let flags = self.candidates(&patterns);
            self.patterns = patterns;
            if !self.scratch.is_empty() || flags.ws {
                self.message_line(file, n, text, msg, flags.ws);
            }
        }
    }

    /// An nginx error log, line by line: the anchors are searched in the message only,
    /// not in the `, client: …, request: …, upstream: …` fields after it, which are read
    /// separately.
    pub(super) fn nginx_error_fast(&mut self, file: u32, n: u64, text: &[u8]) {
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
            if let Some((d, ws)) = e.decision {
                self.record_match(file, n, text, d, ws, target);
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
        let decision = self
            .decide(msg, flags.ws || target.is_some(), flags.ws)
            .map(|d| (d, flags.ws));
        if msg.len() <= MSG_CACHE_BYTES {
            self.msg_cache[slot] = Some(CachedMessage {
                key,
                msg: msg.to_vec(),
                decision,
            });
        }
        if let Some((d, ws)) = decision {
            self.record_match(file, n, text, d, ws, target);
        }
    }

    /// A line met in a structured log that is not in its format.
    pub(super) fn unstructured(&mut self, file: u32, n: u64, text: &[u8]) {
        let patterns: Vec<usize> = self
            .ac
            .find_overlapping_iter(text)
            .map(|m| m.pattern().as_usize())
            .collect();
        if !patterns.is_empty() {
            self.line(file, n, text, &patterns);
        }
    }

    pub(super) fn haproxy_fast(&mut self, file: u32, n: u64, text: &[u8]) {
        match fields::haproxy(text) {
            Some(h) => self.haproxy_line(file, n, text, &h),
            None => self.unstructured(file, n, text),
        }
    }

    fn request_line(&mut self, file: u32, n: u64, text: &[u8], a: &fields::Request<'_>) {
        let path = fields::path_of(a.target);
        let upstream = a.upstream.map(redacted_upstream);
        let flagged = envoy_flag_causes(a.flags);
        if a.status == 101 {
            let idle = flagged.is_some_and(|(id, _)| id == CauseId::ProxyIdleTimeout);
            self.upgraded(path, a.duration, idle, file, n, text);
            // What ended an upgraded session, when the proxy says (Envoy `SI`).
            if let Some((id, sig)) = flagged {
                let url = Some(redacted_target(a.target));
                self.record(id, file, n, text, sig, url, upstream);
            }
            return;
        }
        let (id, sig) = match flagged {
            Some(f) => f,
            None => match status::status_causes(a.status).first() {
                Some(&id) => (id, status_signature(a.status)),
                None => return,
            },
        };
        let url = Some(redacted_target(a.target));
        self.record_on_path(id, path, file, n, text, sig, url, upstream);
    }

    fn haproxy_line(&mut self, file: u32, n: u64, text: &[u8], h: &fields::Haproxy<'_>) {
        if h.tcp {
            return self.haproxy_tcp_line(file, n, text, h);
        }
        let path = h.target.map(fields::path_of).unwrap_or(b"");
        if h.status == 101 {
            self.upgraded(path, h.total, idle_cut(h.termination), file, n, text);
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

    /// A TCP-mode connection (`option tcplog`): HAProxy cannot tell a WebSocket from
    /// other traffic there, so every connection's length feeds the duration clusters
    /// (the clusters need a pile-up, which ordinary traffic does not make) and what
    /// ended it counts as it says.
    fn haproxy_tcp_line(&mut self, file: u32, n: u64, text: &[u8], h: &fields::Haproxy<'_>) {
        if let Some(d) = h.total {
            let vendor = self.vendor;
            self.durations.add(d, idle_cut(h.termination), || Origin {
                file,
                line: n,
                text: aggregate::redact_line(text),
                vendor,
            });
        }
        if let Some(&id) = rules::termination_causes(h.termination).first() {
            let upstream = Some(String::from_utf8_lossy(h.backend).into_owned());
            let sig = termination_signature(h.termination);
            self.record(id, file, n, text, sig, None, upstream);
        }
    }

    pub(super) fn upgraded(
        &mut self,
        path: &[u8],
        duration: Option<f64>,
        idle: bool,
        file: u32,
        n: u64,
        text: &[u8],
    ) {
        self.upgraded += 1;
        if self.upgraded_paths.len() < self.opts.max_distinct && !self.upgraded_paths.contains(path)
        {
            self.upgraded_paths.insert(path.to_vec());
        }
        if let Some(d) = duration {
            let vendor = self.vendor;
            self.durations.add(d, idle, || Origin {
                file,
                line: n,
                text: aggregate::redact_line(text),
                vendor,
            });
        }
    }

    fn message_line(&mut self, file: u32, n: u64, text: &[u8], msg: &[u8], ws_word: bool) {
        // Generic wording counts only on a WebSocket line or a request path that may
        // turn out to be one: without either, those rules need not run at all (most
        // of an nginx error log is "closed keepalive connection" and the like).
        let target = fields::nginx_request_target(text);
        if let Some(d) = self.decide(msg, ws_word || target.is_some(), ws_word) {
            self.record_match(file, n, text, d, ws_word, target);
        }
    }

    /// What a message says, tier by tier as in `explain`: the strongest family among
    /// the candidate rules (tier 1); else, on a line about a WebSocket or a request
    /// path, a code of a closed vocabulary (tier 2: `ECONNREFUSED`, `net::ERR_…`,
    /// `SSLHandshakeException`), which counts like generic wording; else, only on a
    /// line about a WebSocket, a concept (tier 3: words that mean something together).
    /// Lines reach here only through the anchors, so the tiers cost nothing on the
    /// rest of a log.
    fn decide(&mut self, msg: &[u8], generic_ok: bool, ws: bool) -> Option<Decision> {
        if !self.scratch.is_empty()
            && let Some(m) = self.best_rule(msg, generic_ok)
        {
            return Some(Decision {
                causes: m.causes,
                signature: m.rule.name,
                generic: m.rule.ctx == Ctx::Ws,
            });
        }
        if generic_ok
            && let Some(v) = vocab::find(msg)
                .into_iter()
                .find(|m| !m.entry.causes.is_empty())
        {
            let entry: &'static vocab::Entry = v.entry;
            return Some(Decision {
                causes: &entry.causes,
                signature: v.vocabulary.name,
                generic: true,
            });
        }
        if ws {
            let c = concepts::find(&String::from_utf8_lossy(msg))
                .into_iter()
                .next()?;
            return Some(Decision {
                causes: c.concept.causes,
                signature: c.concept.name,
                generic: false,
            });
        }
        None
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
        d: Decision,
        ws_word: bool,
        target: Option<&[u8]>,
    ) {
        let Some(&id) = d.causes.first() else { return };
        self.alternatives
            .entry(id)
            .or_insert_with(|| d.causes[1..].to_vec());
        let url = target.map(redacted_target).or_else(|| {
            let s = String::from_utf8_lossy(text);
            wsdoctor_explain::explain::find_url(&s)
        });
        let upstream = upstream_of(text);
        let sig = d.signature;
        if d.generic
            && !ws_word
            && let Some(t) = target
        {
            let path = fields::path_of(t).to_vec();
            self.record_on_path(id, &path, file, n, text, sig, url, upstream);
        } else {
            self.record(id, file, n, text, sig, url, upstream);
        }
    }
}

#[derive(Clone)]
pub(super) struct CachedMessage {
    key: u64,
    msg: Vec<u8>,
    /// What the message was counted as, and whether it named WebSockets.
    decision: Option<(Decision, bool)>,
}

/// What a message line is counted as, by whichever tier recognised it.
#[derive(Clone, Copy)]
pub(super) struct Decision {
    /// Ranked; the first is the one counted, the rest are its alternatives.
    causes: &'static [CauseId],
    /// The family, vocabulary or concept name (`seen as`).
    signature: &'static str,
    /// Generic wording or a vocabulary code: counts on a WebSocket line or path only.
    generic: bool,
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

fn redacted_target(t: &[u8]) -> String {
    wsdoctor_core::redact::resource(&String::from_utf8_lossy(t))
}

/// An upstream as a format names it: an address, a name, or a URL (redacted).
fn redacted_upstream(u: &[u8]) -> String {
    let s = String::from_utf8_lossy(u);
    if s.contains("://") {
        wsdoctor_core::redact::url(&s)
    } else {
        s.into_owned()
    }
}

/// What Envoy's response flags say ended the request
/// (<https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-response-flags>),
/// the first flag that names a cause.
fn envoy_flag_causes(flags: &[u8]) -> Option<(CauseId, &'static str)> {
    use CauseId as C;
    flags.split(|&b| b == b',').find_map(|f| {
        Some(match f {
            b"SI" => (C::ProxyIdleTimeout, "envoy-SI"),
            b"DT" => (C::ProxyStreamLifetime, "envoy-DT"),
            b"UF" => (C::HttpBadGateway, "envoy-UF"),
            b"URX" => (C::HttpBadGateway, "envoy-URX"),
            b"UH" => (C::HttpServiceUnavailable, "envoy-UH"),
            b"UO" => (C::HttpServiceUnavailable, "envoy-UO"),
            b"UT" => (C::HttpGatewayTimeout, "envoy-UT"),
            b"UC" => (C::SessionReset, "envoy-UC"),
            b"UR" => (C::SessionReset, "envoy-UR"),
            b"NR" => (C::HttpNotFound, "envoy-NR"),
            b"DC" => (C::SessionClientAborted, "envoy-DC"),
            _ => return None,
        })
    })
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

/// Whether an access line goes further than counting: an upgrade or a status that
/// matters on the Upgrade path, Envoy response flags, or a path `named` a WebSocket one.
/// Pure, so the parallel gate and the line-by-line path ask the same question.
pub(super) fn request_matters(a: &fields::Request<'_>, named: impl FnOnce(&[u8]) -> bool) -> bool {
    ACCESS_STATUSES.contains(&a.status) || !a.flags.is_empty() || named(fields::path_of(a.target))
}

/// A HAProxy termination state that itself says the session was cut idle (`cD`, `sD`).
fn idle_cut(ts: [u8; 2]) -> bool {
    rules::termination_causes(ts).first() == Some(&CauseId::ProxyIdleTimeout)
}
