//! The message matcher: families of error messages, each a regex over the variable
//! parts (URLs, ports, statuses, errno) mapped to ranked catalog causes.
//!
//! One rule covers one family of wordings (Chrome's, Node `ws`'s and .NET's "status
//! was not 101" are three rules feeding the same status table), so a new library
//! version that rewords a message still lands in the family. Every rule names the
//! literal anchors one of which any match must contain: `logs` runs one Aho-Corasick
//! pass over the bytes and only evaluates the regexes of rules whose anchor occurred,
//! which keeps a gigabyte scan close to raw search speed.

/// One table row: `rule!(name, source, weight, ctx, [anchors], pattern, causes)`.
macro_rules! rule {
    ($name:literal, $source:literal, $w:literal, $ctx:ident, [$($a:literal),* $(,)?], $pat:literal, $causes:expr) => {
        $crate::rules::Rule {
            name: $name,
            source: $source,
            weight: $w,
            ctx: $crate::rules::Ctx::$ctx,
            anchors: &[$($a),*],
            pattern: $pat,
            causes: $causes,
        }
    };
}

mod browsers;
mod libraries;
mod servers;
mod transport;

use crate::closecode;
use crate::status;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexSet, RegexSetBuilder};
use std::sync::{LazyLock, OnceLock};
use wsdoctor_core::CauseId;

/// Where a rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ctx {
    /// The wording is specific to WebSockets or to a proxy's log: it counts anywhere.
    Any,
    /// Generic wording (errno, TLS, a status): pasted into `explain` it is about a
    /// WebSocket by assumption; in a log it counts only on a line that is about one.
    Ws,
    /// A bare message such as Socket.IO's "timeout": only the whole pasted text, never
    /// a log line.
    Message,
}

/// How a rule turns its match into causes.
#[derive(Clone, Copy, Debug)]
pub enum Causes {
    Fixed(&'static [CauseId]),
    /// From the `status` capture (see [`status::status_causes`]); the list when the
    /// status is not a number (a `<status>` placeholder, or none captured).
    Status(&'static [CauseId]),
    /// From the `code` capture (see [`closecode::close_causes`]).
    Close(&'static [CauseId]),
    /// From the `ts` capture: HAProxy's two-letter termination state.
    Termination,
}

/// One family of messages.
#[derive(Debug)]
pub struct Rule {
    /// Stable name, e.g. `chrome-unexpected-response-code`.
    pub name: &'static str,
    /// Where this wording comes from (browser, library, server).
    pub source: &'static str,
    /// 1–9: how specific the wording is; higher ranks first.
    pub weight: u8,
    pub ctx: Ctx,
    /// Lower-case literals; every match of `pattern` contains one of them.
    pub anchors: &'static [&'static str],
    /// Case-insensitive regex; named groups `status`, `code`, `ts` feed `causes`.
    pub pattern: &'static str,
    pub causes: Causes,
}

/// A rule that matched, with what it captured.
#[derive(Clone, Debug)]
pub struct RuleMatch {
    pub rule: &'static Rule,
    /// The matched text (bytes, possibly not UTF-8), for display.
    pub span: (usize, usize),
    pub status: Option<u16>,
    pub code: Option<u16>,
    pub termination: Option<[u8; 2]>,
    /// Ranked causes of this match.
    pub causes: &'static [CauseId],
}

/// Every rule, in table order.
pub fn all() -> &'static [&'static Rule] {
    &COMPILED.order
}

/// The matcher. Each regex is compiled the first time it is needed: a log scan
/// usually needs a handful of the rules, and start-up stays short.
pub struct Matcher {
    order: Vec<&'static Rule>,
    sources: Vec<String>,
    regexes: Vec<OnceLock<Regex>>,
    set: OnceLock<RegexSet>,
    /// Anchor literals of the rules that may apply to log lines.
    anchors: OnceLock<AhoCorasick>,
    /// For each anchor pattern, the rule index it belongs to.
    anchor_rule: Vec<usize>,
}

static COMPILED: LazyLock<Matcher> = LazyLock::new(Matcher::build);

/// The shared compiled matcher.
pub fn matcher() -> &'static Matcher {
    &COMPILED
}

impl Matcher {
    fn build() -> Matcher {
        let order: Vec<&'static Rule> = browsers::RULES
            .iter()
            .chain(libraries::RULES)
            .chain(servers::RULES)
            .chain(transport::RULES)
            .collect();
        let sources: Vec<String> = order.iter().map(|r| format!("(?i){}", r.pattern)).collect();
        let regexes = order.iter().map(|_| OnceLock::new()).collect();
        let anchor_rule = order
            .iter()
            .enumerate()
            .filter(|(_, r)| r.ctx != Ctx::Message)
            .flat_map(|(i, r)| r.anchors.iter().map(move |_| i))
            .collect();
        Matcher {
            order,
            sources,
            regexes,
            set: OnceLock::new(),
            anchors: OnceLock::new(),
            anchor_rule,
        }
    }

    // The table is static and unit-tested (`every_rule_compiles`): a compile failure
    // is a programming error caught by the test suite, never input-dependent.
    fn regex(&self, i: usize) -> &Regex {
        self.regexes[i].get_or_init(|| Regex::new(&self.sources[i]).expect("rule regex compiles"))
    }

    fn set(&self) -> &RegexSet {
        self.set.get_or_init(|| {
            RegexSetBuilder::new(&self.sources)
                .size_limit(64 << 20)
                .build()
                .expect("rule set compiles")
        })
    }

    /// Every rule matching a pasted message (all contexts), strongest first.
    pub fn match_message(&self, text: &[u8]) -> Vec<RuleMatch> {
        let mut out: Vec<RuleMatch> = self
            .set()
            .matches(text)
            .iter()
            .filter_map(|i| self.apply(i, text))
            .collect();
        sort_matches(&mut out);
        out
    }

    /// The automaton over every log-applicable anchor: a hit at any position means
    /// the line holding it needs a closer look.
    pub fn anchors(&self) -> &AhoCorasick {
        self.anchors.get_or_init(|| {
            let lits: Vec<&str> = self
                .order
                .iter()
                .filter(|r| r.ctx != Ctx::Message)
                .flat_map(|r| r.anchors.iter().copied())
                .collect();
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&lits)
                .expect("anchor automaton builds")
        })
    }

    /// The rules matching one log line (not `Ctx::Message` rules), strongest first.
    /// `rules_hit` is scratch space reused between lines to avoid allocation.
    pub fn match_line(&self, line: &[u8], rules_hit: &mut Vec<usize>) -> Vec<RuleMatch> {
        rules_hit.clear();
        for m in self.anchors().find_overlapping_iter(line) {
            rules_hit.push(self.anchor_rule[m.pattern().as_usize()]);
        }
        rules_hit.sort_unstable();
        rules_hit.dedup();
        let mut out: Vec<RuleMatch> = rules_hit
            .iter()
            .filter_map(|&i| self.apply(i, line))
            .collect();
        sort_matches(&mut out);
        out
    }

    /// Whether rule `i` matches `text`: cheaper than [`Matcher::apply`], which also
    /// captures.
    pub fn is_match(&self, i: usize, text: &[u8]) -> bool {
        let rule = self.order[i];
        (rule.ctx != Ctx::Message || whole_message(text)) && self.regex(i).is_match(text)
    }

    /// [`Matcher::apply`] for a rule already known to match (by [`Matcher::is_match`]):
    /// fixed-cause rules need no second search, and the span is left empty.
    pub fn apply_matching(&self, i: usize, text: &[u8]) -> Option<RuleMatch> {
        let rule = self.order[i];
        match rule.causes {
            Causes::Fixed(causes) => Some(RuleMatch {
                rule,
                span: (0, 0),
                status: None,
                code: None,
                termination: None,
                causes,
            }),
            _ => self.apply(i, text),
        }
    }

    /// Rule `i` (an index into [`all`]) applied to `text`.
    pub fn apply(&self, i: usize, text: &[u8]) -> Option<RuleMatch> {
        let rule = self.order[i];
        if rule.ctx == Ctx::Message && !whole_message(text) {
            return None;
        }
        // Most families have fixed causes: a plain search is enough, captures (several
        // times slower) only for families that read a status, a code or a state.
        if let Causes::Fixed(list) = rule.causes {
            let m = self.regex(i).find(text)?;
            let span = (m.start(), m.end());
            return Some(RuleMatch {
                rule,
                span,
                status: None,
                code: None,
                termination: None,
                causes: list,
            });
        }
        let caps = self.regex(i).captures(text)?;
        let whole = caps.get(0)?;
        // Families with several wordings name their groups `status`, `status2`, …
        // (a regex may not repeat a name): the first one that took part wins.
        let num = |prefix: &str| {
            self.regex(i)
                .capture_names()
                .enumerate()
                .filter(|(_, n)| n.is_some_and(|n| n.starts_with(prefix)))
                .find_map(|(idx, _)| caps.get(idx))
                .and_then(|m| std::str::from_utf8(m.as_bytes()).ok())
                .and_then(|s| s.parse::<u16>().ok())
        };
        let status = num("status");
        let code = num("code");
        let termination = caps.name("ts").and_then(|m| {
            let b = m.as_bytes();
            (b.len() >= 2).then(|| [b[0], b[1]])
        });
        let causes: &'static [CauseId] = match rule.causes {
            Causes::Fixed(list) => list,
            Causes::Status(default) => match status {
                Some(s) if (100..600).contains(&s) => status::status_causes(s),
                _ => default,
            },
            Causes::Close(default) => match code {
                Some(c) => closecode::close_causes(c),
                None => default,
            },
            Causes::Termination => termination.map(termination_causes).unwrap_or_default(),
        };
        Some(RuleMatch {
            rule,
            span: (whole.start(), whole.end()),
            status,
            code,
            termination,
            causes,
        })
    }
}

/// Strongest first; table order breaks ties so results are deterministic.
fn sort_matches(v: &mut [RuleMatch]) {
    v.sort_by_key(|m| std::cmp::Reverse(m.rule.weight));
}

/// A bare message rule applies only when the whole text is short (one line of a
/// few words): "timeout" inside a long log line means nothing on its own.
fn whole_message(text: &[u8]) -> bool {
    let t = text.trim_ascii();
    t.len() <= 80 && !t.contains(&b'\n')
}

/// HAProxy's termination state: the first letter says who ended it (c/s timeout,
/// C/S abort, P/R/I proxy, L local), the second in which phase (R request, H headers,
/// D data, C connect, Q queue, T tarpit). On an upgraded connection D is the tunnel.
pub fn termination_causes(ts: [u8; 2]) -> &'static [CauseId] {
    use CauseId as C;
    match &ts {
        b"cD" | b"sD" => &[C::ProxyIdleTimeout],
        b"CD" => &[C::SessionClientAborted],
        b"SD" => &[C::SessionReset, C::SessionAbruptEof],
        b"SH" => &[C::HttpBadGateway, C::HttpServerError],
        b"sH" => &[C::HttpGatewayTimeout],
        b"SC" => &[C::HttpBadGateway, C::TcpRefused],
        b"sC" => &[C::HttpBadGateway, C::TcpTimeout],
        b"sQ" | b"SQ" => &[C::HttpServiceUnavailable],
        b"CR" | b"cR" => &[C::SessionClientAborted, C::HttpBadRequest],
        b"CH" | b"cH" | b"CC" | b"CQ" => &[C::SessionClientAborted],
        b"PH" => &[C::HttpBadGateway],
        b"PR" => &[C::HttpForbidden],
        _ => &[],
    }
}

#[cfg(test)]
mod tests;
