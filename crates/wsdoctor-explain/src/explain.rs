//! `explain`: from a pasted error message, a close code, an HTTP status or a cause id
//! to the likely causes, ranked, with the fix and the live check that confirms it.
//!
//! The answer is data (`Explanation`); the binary renders it as text or JSON.

use crate::closecode::{self, CloseCodeInfo};
use crate::concepts;
use crate::rules::{self, RuleMatch};
use crate::status;
use crate::tell::tell;
use crate::vocab;
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;
use wsdoctor_core::{Blame, CauseId, Layer, Severity, redact};

/// Version of the JSON answer; fields are only ever added.
pub const SCHEMA: &str = "wsdoctor.explain/1";

/// Longest text looked at; a paste beyond this is cut (a whole log belongs in `logs`).
pub const MAX_INPUT: usize = 64 * 1024;

/// How many ranked causes an answer lists.
const MAX_CAUSES: usize = 6;

/// What the input was understood as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Message,
    CloseCode,
    Status,
    Cause,
    NotRecognised,
}

/// How much the ranking rests on: a specific wording (high) or only generic words
/// such as a bare status or errno (low).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Explanation {
    pub schema: &'static str,
    /// The text explained as it may be shown: trimmed, secrets redacted, control
    /// characters escaped, cut at 500 characters. Never the paste verbatim.
    pub input: String,
    /// True when the input was longer than `input_limit` bytes and only the first
    /// `input_limit` were read.
    pub input_truncated: bool,
    /// How much of the input is read, in bytes (`MAX_INPUT`).
    pub input_limit: usize,
    pub kind: Kind,
    pub recognised: bool,
    pub confidence: Option<Confidence>,
    /// The layer of the most likely cause.
    pub layer: Option<Layer>,
    /// Which message families matched, strongest first.
    pub matched: Vec<Matched>,
    pub causes: Vec<RankedCause>,
    pub close_code: Option<CloseCodeInfo>,
    pub status: Option<StatusInfo>,
    /// The WebSocket URL found in the text, secrets redacted.
    pub url: Option<String>,
    /// The command that confirms the diagnosis live.
    pub check: String,
    /// Generic next steps, given when the text was not recognised.
    pub triage: Vec<&'static str>,
}

/// Which tier of the matcher recognised a part of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// A known wording of one library or server (high confidence when specific).
    Family,
    /// A code of a closed vocabulary (`net::ERR_*`, errno, `X509_V_ERR_*` …).
    Vocabulary,
    /// Technical words that occur together (medium or low confidence).
    Concept,
    /// The server named in a pasted response head, with a known failure for its status
    /// (the table `check` uses, `wsdoctor_core::tables::stacks`).
    Stack,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Matched {
    pub tier: Tier,
    /// The family, vocabulary or concept name.
    pub rule: &'static str,
    pub source: &'static str,
    /// The part of the input that matched.
    pub text: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct StatusInfo {
    pub code: u16,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RankedCause {
    pub rank: usize,
    pub id: CauseId,
    pub layer: Layer,
    pub severity: Severity,
    pub blame: Blame,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    /// What tells this cause apart from the others listed.
    pub tell: Option<std::borrow::Cow<'static, str>>,
}

impl RankedCause {
    fn new(rank: usize, id: CauseId) -> RankedCause {
        let c = id.cause();
        RankedCause {
            rank,
            id,
            layer: c.layer,
            severity: c.severity,
            blame: c.blame,
            title: c.title,
            why: c.why,
            fix: c.fix,
            tell: tell(id),
        }
    }
}

/// Generic next steps when the text is not recognised: never guess a cause.
pub const TRIAGE: &[&str] = &[
    "Run `wsdoctor check <url>` on the WebSocket URL: it tests DNS, TCP, TLS, the Upgrade and the session in order and names the layer that fails.",
    "Find the HTTP status the handshake got (browser devtools → Network → WS, or the proxy's access log): anything but 101 is the clue, and `wsdoctor explain <status>` explains it.",
    "If the socket opened and dropped later, note the close code and how long it stayed open: `wsdoctor explain <code>`; a round number of seconds points to an idle timeout.",
    "Scan the proxy and server logs around that moment: `wsdoctor logs /var/log/nginx/error.log …`.",
    "If the message was shortened, paste all of it, with the library's prefix, into `wsdoctor explain -`.",
];

/// Explain one input: a cause id, an HTTP status, a close code or message text.
pub fn explain(input: &str) -> Explanation {
    let trimmed = input.trim();
    let text = cap(trimmed);
    let mut e = explain_capped(text);
    e.input_truncated = text.len() < trimmed.len();
    // What is echoed from the input may reach a terminal or a log: no escape
    // sequences (the URL found in the text and the check command quote it).
    e.url = e.url.map(|u| redact::terminal(&u).into_owned());
    e.check = redact::terminal(&e.check).into_owned();
    for m in &mut e.matched {
        m.text = redact::terminal(&m.text).into_owned();
    }
    e
}

fn explain_capped(text: &str) -> Explanation {
    if let Some(id) = CauseId::parse(text) {
        return from_causes(text, Kind::Cause, &[id], None);
    }
    if let Some(e) = explain_number(text) {
        // "400 The plain HTTP request was sent to HTTPS port": words after the number
        // that a specific family knows say more than the number.
        let specific = rules::matcher()
            .match_message(text.as_bytes())
            .iter()
            .any(|m| {
                m.rule.weight >= SPECIFIC_FAMILY && matches!(m.rule.causes, rules::Causes::Fixed(_))
            });
        if specific {
            return explain_message(text);
        }
        return e;
    }
    explain_message(text)
}

fn explain_number(text: &str) -> Option<Explanation> {
    let caps = NUMBER.captures(text)?;
    let n: u32 = caps["n"].parse().ok()?;
    match (caps["n"].len(), u16::try_from(n)) {
        (3, Ok(s)) if (100..600).contains(&s) => Some(explain_status(text, s)),
        (4.., Ok(code)) => Some(explain_close_code(text, code)),
        _ => None,
    }
}

fn explain_status(text: &str, code: u16) -> Explanation {
    let mut e = from_causes(text, Kind::Status, status::status_causes(code), None);
    e.status = Some(StatusInfo {
        code,
        reason: status::reason(code),
    });
    // 101 is the one good answer: recognised, nothing wrong.
    e.recognised = true;
    e
}

fn explain_close_code(text: &str, code: u16) -> Explanation {
    let mut e = from_causes(text, Kind::CloseCode, closecode::close_causes(code), None);
    e.close_code = Some(closecode::close_code(code));
    e
}

/// Family weight from which a wording is specific enough to outrank a vocabulary code.
const SPECIFIC_FAMILY: u8 = 7;

fn explain_message(text: &str) -> Explanation {
    // A failure whose peer is a database or a queue, in a text that says nothing about a
    // WebSocket, is another bug of the same app (Redis refusing a Channels layer).
    if OTHER_SERVICE.is_match(text) && !WS_CONTEXT.is_match(text) {
        return not_recognised(text);
    }
    let mut matches = rules::matcher().match_message(text.as_bytes());
    // A specific wording outranks generic ones by a wide margin: the bare Chrome prefix
    // or a lone status word add nothing once "Unexpected response code: 200" matched,
    // and their guesses would contradict it.
    let strongest = matches.first().map_or(0, |m| m.rule.weight);
    matches.retain(|m| m.rule.weight + 3 > strongest);
    let mut codes: Vec<vocab::VocabMatch> = vocab::find(text.as_bytes())
        .into_iter()
        .filter(|m| !m.entry.causes.is_empty())
        .collect();
    // A chain of exceptions ("X: Y: Z", "Caused by:", .NET's "--->") ends in the one that
    // started it: the innermost code is the best evidence.
    if NESTED.is_match(text) {
        codes.reverse();
    }
    // A code that narrows another down ranks first: `ConnectException` (refused or timed
    // out) with `ETIMEDOUT` (timed out) is a timeout.
    let narrows = |m: &vocab::VocabMatch, all: &[vocab::VocabMatch]| {
        all.iter().any(|o| {
            o.entry.causes.len() > m.entry.causes.len()
                && m.entry.causes.iter().all(|c| o.entry.causes.contains(c))
        })
    };
    let order: Vec<bool> = codes.iter().map(|m| !narrows(m, &codes)).collect();
    let mut keyed: Vec<(bool, vocab::VocabMatch)> = order.into_iter().zip(codes).collect();
    keyed.sort_by_key(|(k, _)| *k);
    let codes: Vec<vocab::VocabMatch> = keyed.into_iter().map(|(_, m)| m).collect();
    let mut ids: Vec<CauseId> = Vec::new();
    let mut add = |list: &[CauseId]| {
        for id in list {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
    };
    // A specific family knows the context (which library, which phase); a code only
    // knows what failed. Below that weight the code is the better evidence.
    let family_first = strongest >= SPECIFIC_FAMILY;
    // The handshake's status, read in whatever shape it is wrapped, where no family
    // captured one. It names the cause better than a family that only knows "not 101"
    // (a status family whose capture missed) and than any code or concept.
    let family_status = matches.iter().find_map(|m| m.status);
    let found = family_status
        .is_none()
        .then(|| status::find_in_text(text))
        .flatten()
        .filter(|f| status_applies(text, f));
    let status_first = found.is_some()
        && (!family_first
            || matches
                .first()
                .is_some_and(|m| matches!(m.rule.causes, rules::Causes::Status(_))));
    // Tier 3 only speaks where tiers 1 and 2 said nothing specific: no specific family,
    // no code. Its causes then come before a weak family's guesses (after a status).
    // A code that names one cause is specific; codes that only narrow it down (a
    // wrapper exception, a generic errno) leave room for what the words say.
    let code_names_one = codes.iter().any(|m| m.entry.causes.len() == 1);
    // A close code says how the socket ended, not why: words about the why still count.
    let close_family = matches
        .first()
        .is_some_and(|m| matches!(m.rule.causes, rules::Causes::Close(_)));
    let concepts = if (family_first && !close_family) || code_names_one {
        Vec::new()
    } else {
        concepts::find(text)
    };
    // A concept that only says "not upgraded" ranks after everything that says why: a
    // status, a code, a family's guess.
    let (why, outcome): (Vec<&concepts::ConceptMatch>, Vec<&concepts::ConceptMatch>) =
        concepts.iter().partition(|m| !m.concept.outcome_only());
    // A status with many readings (400, 404) yields to a concept that says which.
    let status_vague =
        !why.is_empty() && found.is_some_and(|f| status::status_causes(f.code).len() > 2);
    if let Some(f) = found.filter(|_| status_first && !status_vague) {
        add(status::status_causes(f.code));
    }
    if !close_family {
        why.iter().for_each(|m| add(m.concept.causes));
    }
    if let Some(f) = found.filter(|_| status_first && status_vague) {
        add(status::status_causes(f.code));
    }
    if close_family {
        // Only concepts that say why a session already open ended: a misuse of the API
        // (a send after the close) or a frame the peer could not accept.
        concepts
            .iter()
            .filter(|m| {
                m.concept.causes.first().is_some_and(|c| {
                    c.layer() == Layer::Async || *c == CauseId::SessionReservedBits
                })
            })
            .for_each(|m| add(m.concept.causes));
    }
    if family_first {
        matches.iter().for_each(|m| add(m.causes));
    }
    // A code that only says the answer was not 101 (nv-websocket-client's
    // NOT_SWITCHING_PROTOCOLS) ranks after the status the same text names.
    let status_known = family_status.or(found.map(|f| f.code)).is_some();
    let (code_why, code_outcome): (Vec<&vocab::VocabMatch>, Vec<&vocab::VocabMatch>) =
        codes.iter().partition(|m| {
            !status_known
                || !matches!(
                    m.entry.causes.first(),
                    Some(CauseId::HttpUnexpectedStatus | CauseId::HttpNotUpgraded)
                )
        });
    code_why.iter().for_each(|m| add(&m.entry.causes));
    if !family_first {
        matches.iter().for_each(|m| add(m.causes));
    }
    if let Some(f) = found.filter(|_| !status_first) {
        add(status::status_causes(f.code));
    }
    code_outcome.iter().for_each(|m| add(&m.entry.causes));
    if !close_family {
        outcome.iter().for_each(|m| add(m.concept.causes));
    }
    // Socket.IO answers 400 to a request whose session id this node does not know: the
    // balancer sent the polling and the upgrade to different nodes.
    let sticky = family_status.or(found.map(|f| f.code)) == Some(400) && SESSION_ID.is_match(text);
    if sticky {
        ids.retain(|id| *id != CauseId::HttpStickySessionMissing);
        ids.insert(0, CauseId::HttpStickySessionMissing);
    }
    // A reset or an end of stream takes the cause of the phase the words place it in.
    let phased = crate::phase::rerank(text, &mut ids);
    if ids.is_empty() {
        return not_recognised(text);
    }
    // A pasted response head names the stack that answered: its known failure for
    // that status ranks second, beside the status's first cause (as `check` does).
    let status = family_status.or(found.map(|f| f.code));
    let known = status.map(|s| stack_failures(text, s)).unwrap_or_default();
    for (_, f) in &known {
        if ids.first() != Some(&f.cause) {
            ids.retain(|id| *id != f.cause);
            ids.insert(1.min(ids.len()), f.cause);
        }
    }
    let mut e = from_causes(text, Kind::Message, &ids, matches.first());
    if !family_first && !codes.is_empty() {
        // One code with one cause names it; a code with several causes narrows it down.
        let single = codes
            .iter()
            .all(|m| m.entry.causes[0] == codes[0].entry.causes[0]);
        // A code token (`ECONNREFUSED`, `net::ERR_…`, `SSLHandshakeException`) is a name;
        // a matched phrase with spaces ("protocol error") is ordinary prose as well.
        let token = codes.iter().all(|m| {
            !text.as_bytes()[m.span.0..m.span.1]
                .iter()
                .any(u8::is_ascii_whitespace)
        });
        e.confidence = Some(if single && token && codes[0].entry.causes.len() == 1 {
            Confidence::High
        } else {
            Confidence::Medium
        });
    }
    // Families or codes that point at different first causes contradict each other ("cannot
    // connect … network is unreachable"): the ranking is then a judgement, not a reading.
    if e.confidence == Some(Confidence::High)
        && (matches.iter().any(|m| m.causes.first() != ids.first())
            || codes.iter().any(|m| m.entry.causes.first() != ids.first()))
    {
        e.confidence = Some(Confidence::Medium);
    }
    if let Some(c) = concepts.first() {
        e.confidence = Some(c.concept.confidence);
    }
    // High must be right: where words of the same text form a concept that points
    // elsewhere (a code says "no route", the words say IPv6 or a proxy), the answer is
    // a judgement between them, at most medium. (Concepts were not read when a specific
    // family or a single-cause code spoke; they are read here for this check only.)
    if e.confidence == Some(Confidence::High) {
        // A concept that only says the Upgrade failed points nowhere else.
        let elsewhere = |m: &concepts::ConceptMatch| {
            !m.concept.outcome_only() && !m.concept.causes.contains(&ids[0])
        };
        let disagree = if concepts.is_empty() {
            concepts::find(text).iter().any(elsewhere)
        } else {
            concepts.iter().any(elsewhere)
        };
        if disagree {
            e.confidence = Some(Confidence::Medium);
        }
    }
    // A status read from an unknown wrapping, or a ranking changed by the context, is a
    // reading of the text, not a known wording: at most medium.
    if status_first || sticky || phased {
        e.confidence = Some(Confidence::Medium);
    }
    // A close code (or "closed normally") says how the socket ended, not why: where the
    // same text also reports a failure, the close code is only part of the story.
    let close_answer = matches
        .first()
        .is_some_and(|m| matches!(m.rule.causes, rules::Causes::Close(_)))
        || ids.first() == Some(&CauseId::SessionCloseNormal);
    if e.confidence == Some(Confidence::High) && close_answer && FAILURE_WORDS.is_match(text) {
        e.confidence = Some(Confidence::Medium);
    }
    let span_text = |(a, b): (usize, usize)| {
        redact::text(&String::from_utf8_lossy(&text.as_bytes()[a..b])).into_owned()
    };
    let families = matches.iter().map(|m| Matched {
        tier: Tier::Family,
        rule: m.rule.name,
        source: m.rule.source,
        text: span_text(m.span),
    });
    let vocabulary = codes.iter().map(|m| Matched {
        tier: Tier::Vocabulary,
        rule: m.vocabulary.name,
        source: m.vocabulary.writer,
        text: span_text(m.span),
    });
    let concept_words = concepts.iter().map(|m| Matched {
        tier: Tier::Concept,
        rule: m.concept.name,
        source: "concepts",
        // The table's words, not the input's bytes: they say what led to the answer.
        text: m.words.join(" + "),
    });
    let status_word = found.map(|f| Matched {
        tier: Tier::Vocabulary,
        rule: "http-status",
        source: "HTTP",
        text: span_text(f.span),
    });
    e.matched = if family_first {
        families.chain(vocabulary).chain(status_word).collect()
    } else {
        status_word
            .into_iter()
            .chain(concept_words)
            .chain(vocabulary)
            .chain(families)
            .collect()
    };
    e.matched.extend(known.iter().map(|(c, f)| Matched {
        tier: Tier::Stack,
        rule: f.stack,
        source: "stacks",
        text: redact::text(&c.clue).into_owned(),
    }));
    if let Some(s) = family_status.or(found.map(|f| f.code)) {
        e.status = Some(StatusInfo {
            code: s,
            reason: status::reason(s),
        });
    }
    if let Some(c) = matches.iter().find_map(|m| m.code) {
        e.close_code = Some(closecode::close_code(c));
    }
    e
}

/// Most header lines read from a pasted response head.
const MAX_PASTED_HEADERS: usize = 100;

/// The known stack failures a pasted response head shows for `status`: the header
/// lines (`Name: value`) of the text, fingerprinted as `check` fingerprints a live answer.
fn stack_failures(
    text: &str,
    status: u16,
) -> Vec<(
    wsdoctor_core::fingerprint::Component,
    &'static wsdoctor_core::tables::StackFailure,
)> {
    let headers = text
        .lines()
        .filter_map(|l| {
            let (name, value) = l.trim().split_once(':')?;
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            token.then(|| (name.to_string(), value.trim().to_string()))
        })
        .take(MAX_PASTED_HEADERS)
        .collect();
    let head = wsdoctor_core::evidence::HttpResponse {
        version: 1,
        status,
        reason: String::new(),
        headers,
        body: String::new(),
    };
    wsdoctor_core::tables::stack_failures(&head)
}

fn from_causes(text: &str, kind: Kind, ids: &[CauseId], top: Option<&RuleMatch>) -> Explanation {
    let causes: Vec<RankedCause> = ids
        .iter()
        .take(MAX_CAUSES)
        .enumerate()
        .map(|(i, id)| RankedCause::new(i + 1, *id))
        .collect();
    let url = find_url(text);
    // High only where the evidence names one cause: a specific family that lists a
    // single cause, or a bare id / status / close code with one meaning. A family or
    // code with several causes has only narrowed it down, and its first is a guess
    // (the field corpus showed those first guesses wrong about a third of the time).
    // A status read from a specific wording ("Unexpected response code: 404") names its
    // cause unless it is one no table knows (then only "unexpected status" is said).
    // A status with many readings (400, 404, 200: the table lists more than two causes)
    // only narrows it down, however specific the wording that carried it: in the field
    // its first reading was wrong often enough (a 404 from an Action Cable mount behind
    // a proxy, a 400 from a proxy that dropped the Upgrade) that it is medium.
    let named_status = |m: &RuleMatch| {
        m.status
            .is_some_and(|s| status::status_causes(s).len() <= 2)
            && m.causes.first() != Some(&CauseId::HttpUnexpectedStatus)
    };
    let confidence = match top.map(|m| (m.rule.weight, m.causes.len(), named_status(m))) {
        None if ids.len() == 1 => Confidence::High,
        None => Confidence::Medium,
        Some((SPECIFIC_FAMILY.., 1, _) | (SPECIFIC_FAMILY.., _, true)) => Confidence::High,
        Some((5.., _, _)) => Confidence::Medium,
        Some(_) => Confidence::Low,
    };
    Explanation {
        schema: SCHEMA,
        input: display_input(text),
        input_truncated: false,
        input_limit: MAX_INPUT,
        kind,
        recognised: !causes.is_empty(),
        confidence: Some(confidence),
        layer: causes.first().map(|c| c.layer),
        matched: Vec::new(),
        check: check_command(
            url.as_deref().or(find_host_port(text).as_deref()),
            ids.first().copied(),
        ),
        causes,
        close_code: None,
        status: None,
        url,
        triage: Vec::new(),
    }
}

fn not_recognised(text: &str) -> Explanation {
    let url = find_url(text);
    Explanation {
        schema: SCHEMA,
        input: display_input(text),
        input_truncated: false,
        input_limit: MAX_INPUT,
        kind: Kind::NotRecognised,
        recognised: false,
        confidence: None,
        layer: None,
        matched: Vec::new(),
        causes: Vec::new(),
        close_code: None,
        status: None,
        check: check_command(url.as_deref().or(find_host_port(text).as_deref()), None),
        url,
        triage: TRIAGE.to_vec(),
    }
}

/// `wsdoctor check …` for the URL (or a placeholder), with the flag that tests the
/// top cause where one exists.
pub fn check_command(url: Option<&str>, top: Option<CauseId>) -> String {
    let url = url.unwrap_or("wss://<host>/<path>");
    let flags = match top {
        Some(CauseId::ProxyIdleTimeout | CauseId::SessionAbruptEof) => " --idle 120",
        Some(CauseId::HttpForbidden) => " --origin https://<your-page-origin>",
        Some(CauseId::HttpUnauthorized) => " -H 'Authorization: Bearer <token>'",
        Some(CauseId::HandshakeSubprotocolNotEchoed | CauseId::HandshakeSubprotocolUnrequested) => {
            " --subprotocol <protocol>"
        }
        Some(CauseId::TlsClientCertRequired) => " --cert <client.pem> --key <client.key>",
        Some(
            CauseId::ProxyAuthRequired | CauseId::ProxyConnectRefused | CauseId::ProxyUnreachable,
        ) => " --proxy http://<proxy-host>:<port>",
        _ => "",
    };
    format!("wsdoctor check {}{flags}", shell_word(url))
}

fn shell_word(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,<>".contains(&b))
        && !s.contains(['<', '>'])
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Whether a status read by [`status::find_in_text`] is the handshake's answer: written
/// as "expected 101 but …", or in a text about a WebSocket; a success or redirect only
/// where the text says something failed.
fn status_applies(text: &str, f: &status::FoundStatus) -> bool {
    // 599 is no server's answer: Tornado's client (and some proxies) say it when no HTTP
    // answer came at all; the vocabulary's "HTTP 599: …" texts read it.
    if f.code == 599 {
        return false;
    }
    if f.how == status::How::Expected {
        return true;
    }
    WS_CONTEXT.is_match(text) && (f.code >= 400 || FAILURE_WORDS.is_match(text))
}

// Static patterns, covered by tests.
static WS_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)websocket|web socket|\bwss?://|\bws\b|upgrad|handshake|socket\.?io|engine\.?io|sockjs|signalr|/cable\b|\beio=|\b101\b|starscream|\bstomp\b").expect("valid")
});

/// Peers that are not WebSocket servers: database, cache and queue clients by name, or
/// their well-known ports after a host (Redis 6379, PostgreSQL 5432, MySQL 3306,
/// MongoDB 27017, AMQP 5672, memcached 11211, Kafka 9092, ZooKeeper 2181,
/// Elasticsearch 9200, SQL Server 1433, Oracle 1521).
static OTHER_SERVICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:redis|postgres(?:ql)?|psycopg2?|mysql|mariadb|mongo(?:db)?|pymongo|sqlalchemy|sqlite3?|kafka|rabbitmq|amqp|memcached?|elasticsearch|zookeeper|celery)\b|(?:[a-z0-9\]]|')(?::|',\s*|,\s*)(?:6379|5432|3306|27017|5672|11211|9092|2181|9200|1433|1521)\b").expect("valid")
});

static FAILURE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:expected|unexpected|invalid|bad|fail|failed|failure|error|instead|not upgraded|non-101|refused|rejected|required|denied|exception)\b").expect("valid")
});

static NESTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bcaused by\b|--->|(?:exception|error): (?:[a-z_][a-z0-9_]*\.)+[a-z0-9_]*(?:exception|error)\b").expect("valid")
});

static SESSION_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)[?&]sid=|session id|\bsid\b").expect("valid"));

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    // Static pattern, covered by tests.
    Regex::new(r"(?i)^(?:(?:close|code|status|http|error)\s*)?(?P<n>\d{1,6})(?:\s+[a-z][a-z ()'/.-]{0,60})?$").expect("valid")
});

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(?:wss?|https?)://[^\s'"<>()\[\]{}`]+"#).expect("valid"));

static HOST_PORT: LazyLock<Regex> = LazyLock::new(|| {
    // IP literals anywhere; names only after words that introduce an address, so that
    // "Foo.java:42" in a stack trace is not taken for a host.
    Regex::new(r"(?i)(?:\b(?P<ip>\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\])|(?:dial tcp|connect to|connecting to|tcp://)\s*(?P<name>[a-z0-9-]+(?:\.[a-z0-9-]+)*)):(?P<port>\d{2,5})\b").expect("valid")
});

/// The first WebSocket (or HTTP) URL in the text, mapped to its WebSocket scheme and
/// with secrets redacted.
pub fn find_url(text: &str) -> Option<String> {
    let m = URL.find(text)?;
    let raw = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
    let (scheme, rest) = raw.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "ws",
        _ => "wss",
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if host_end == 0 {
        return None;
    }
    let with_path = if host_end == rest.len() {
        format!("{rest}/")
    } else {
        rest.to_string()
    };
    Some(redact::url(&format!("{scheme}://{with_path}")))
}

/// `host:port` in texts such as "dial tcp 10.0.0.7:8080: connect: connection refused".
fn find_host_port(text: &str) -> Option<String> {
    let caps = HOST_PORT.captures(text)?;
    let port: u16 = caps["port"].parse().ok()?;
    let scheme = if port == 443 || port == 8443 {
        "wss"
    } else {
        "ws"
    };
    let host = caps.name("ip").or(caps.name("name"))?.as_str();
    Some(format!("{scheme}://{host}:{port}/<path>"))
}

fn cap(text: &str) -> &str {
    if text.len() <= MAX_INPUT {
        return text;
    }
    let mut end = MAX_INPUT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The input as the report echoes it: redacted on the whole text first (so a cut
/// cannot hide the end of a secret from the redactor), then escaped and cut.
fn display_input(text: &str) -> String {
    let redacted = redact::text(text);
    let escaped = redact::terminal(&redacted);
    let mut out: String = escaped.chars().take(500).collect();
    if out.len() < escaped.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
