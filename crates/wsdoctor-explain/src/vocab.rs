//! Tier 2 of the matcher: closed vocabularies, complete.
//!
//! WebSocket failures are written in a few dozen closed vocabularies — Chrome's
//! `net::ERR_*`, OpenSSL's reason strings and `X509_V_ERR_*` codes, errno names, Node's
//! error codes, NSS's `SEC_ERROR_*`, Apple's `NSURLError` codes, Java exception classes…
//! A family (tier 1) knows one wording; a vocabulary knows every code of its list, so a
//! message we have never read still lands when it carries a code. Each list is taken
//! whole from its source (named in the first lines of its file under `data/vocab/`) and
//! every entry maps to ranked catalog causes or, with `-`, to "known, but not a
//! WebSocket failure / too generic to name a cause". A test per vocabulary holds that
//! every entry parses, names real catalog ids and is found by [`find`].
//!
//! File format (TSV, `#` comments): `token<TAB>number<TAB>causes[<TAB>phrase]`, number
//! and phrase optional (`-` or empty); causes `=close` take the close-code table's
//! causes for the number (one fact, one place). The token is matched as a whole word (ASCII case
//! insensitive); the phrase — the library's own text for the code, such as OpenSSL's
//! "unable to get local issuer certificate" — is matched the same way; the number only
//! in the vocabulary's own context (`Code=-1004 … NSURLErrorDomain`, `[Errno 111]`).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;
use wsdoctor_core::CauseId;

/// One closed vocabulary: its name, where the list comes from, and its entries.
#[derive(Debug)]
pub struct Vocabulary {
    /// Stable name, e.g. `chrome-net-error`.
    pub name: &'static str,
    /// Who writes this vocabulary (for display).
    pub writer: &'static str,
    /// How a bare number of this vocabulary is written, with the number in group `n`;
    /// `None` when its numbers never appear without the token.
    number_context: Option<&'static str>,
    tsv: &'static str,
}

/// One code of a vocabulary.
#[derive(Debug)]
pub struct Entry {
    pub token: &'static str,
    pub number: Option<i64>,
    pub phrase: Option<&'static str>,
    /// Ranked; empty for a code that is known but names no WebSocket cause.
    pub causes: Vec<CauseId>,
}

/// A vocabulary code found in a text.
#[derive(Clone, Debug)]
pub struct VocabMatch {
    pub vocabulary: &'static Vocabulary,
    pub entry: &'static Entry,
    /// Byte span of what matched (token, phrase or number context).
    pub span: (usize, usize),
}

/// An HRESULT printed as a signed 32-bit number after a word that introduces a code
/// (`OSStatus error -2146762495` is CERT_E_EXPIRED, 0x800B0101): the lists hold them so.
const HRESULT_DECIMAL: &str = r"(?i)\b(?:error|status|hresult|code)\W{0,3}(?P<n>-21[0-9]{8})\b";

macro_rules! vocab {
    ($name:literal, $writer:literal, $ctx:expr) => {
        Vocabulary {
            name: $name,
            writer: $writer,
            number_context: $ctx,
            tsv: include_str!(concat!("../data/vocab/", $name, ".tsv")),
        }
    };
}

/// Every vocabulary, most specific first: when two lists share a token (errno names
/// appear in Node's and Python's), the first one's causes rank first.
pub static VOCABULARIES: &[Vocabulary] = &[
    vocab!("chrome-net-error", "Chrome, Edge, Electron", None),
    vocab!(
        "apple-nsurlerror",
        "Apple Foundation (URLSession, Safari, iOS)",
        Some(r"\bCode=(?P<n>-[0-9]{1,4})\b")
    ),
    vocab!(
        "openssl-verify",
        "OpenSSL certificate verification (and Node)",
        None
    ),
    vocab!(
        "openssl-ssl-reason",
        "OpenSSL SSL library",
        // OpenSSL 3 packs library 20 and the reason as 0A00xxxx, 1.1 as 14fffrrr; the
        // Rust and Python bindings print the packed code in decimal (`code: 336031996`).
        Some(
            r"(?i)\berror:(?:0A0(?P<x>[0-9a-f]{5})|14[0-9a-f]{3}(?P<y>[0-9a-f]{3}))\b|(?:\bcode: |\bssl:|\bssl error:? )(?P<p>3[0-9]{8}|16[0-9]{7})\b"
        )
    ),
    vocab!(
        "apple-osstatus",
        "Apple Security framework (SecureTransport, URLSession TLS)",
        // SecureTransport's -98xx after any word that introduces a code; the other
        // OSStatus ranges only where the text says it is an OSStatus.
        Some(
            r"(?i)(?:osstatus(?: error)?|nsosstatuserrordomain\W+code=|_kcfstreamerrorcodekey=|\berror|\bstatus|\bcode|\berr)\W{0,3}(?P<n>-9[89][0-9]{2})\b|(?:osstatus(?: error)?|nsosstatuserrordomain\W+code=)\W{0,3}(?P<n2>-[0-9]{4,5})\b|(?:\bssl|\btls|handshake|cfnetwork|boringssl)[^\n\d]{0,30}?\(?(?P<n3>-98[0-9]{2})\b|\boptional\((?P<n4>-98[0-9]{2})\b"
        )
    ),
    vocab!(
        "apple-cfnetwork",
        "Apple CFNetwork (kCFErrorDomainCFNetwork)",
        Some(r"(?i)\bkcferrordomaincfnetwork(?:\s+error\s+|\W+code=)(?P<n>-?[0-9]{1,5})\b")
    ),
    vocab!(
        "tls-alert",
        "TLS alerts (RFC 8446 §6, IANA registry): Java, BoringSSL, OpenSSL's alert numbers",
        Some(
            r"(?i)\balert(?: number| description| code)?\W{1,3}(?P<n>[0-9]{1,3})\b|\bssl error (?P<n2>[1-9][0-9]{1,2})\b"
        )
    ),
    vocab!("nss", "NSS (Firefox)", None),
    vocab!("firefox-nserror", "Firefox (nsresult)", None),
    vocab!(
        "windows-winsock",
        "Windows Sockets (.NET SocketException)",
        Some(
            r"(?i)(?:\bsocket ?exception|\bwsa\w*|\b(?:win)?error(?: code)?|\bos error|errno)\W{1,3}(?P<n>1[01][0-9]{3})\b"
        )
    ),
    vocab!(
        "windows-winhttp",
        "WinHTTP (.NET on Windows, PowerShell)",
        Some(r"(?i)\b(?:winhttp|error|code)\W{1,3}(?P<n>12[01][0-9]{2})\b")
    ),
    vocab!(
        "windows-schannel",
        "SChannel (Windows TLS)",
        Some(HRESULT_DECIMAL)
    ),
    vocab!(
        "windows-cert-trust",
        "Windows CryptoAPI (certificate trust)",
        Some(HRESULT_DECIMAL)
    ),
    vocab!(
        "dotnet-websocket",
        ".NET (SocketError, WebSocketError)",
        None
    ),
    vocab!(
        "close-status",
        "WebSocket libraries' close-status names (Go, Java, Python, Rust, Dart, Swift)",
        None
    ),
    vocab!(
        "curl-error",
        "libcurl (curl, PHP cURL)",
        Some(r"(?i)\bcurl(?:code|e)?\W{0,3}(?:error\W{0,3})?\(?(?P<n>[0-9]{1,2})\)?(?:[:)]|\s)")
    ),
    vocab!("go-error", "Go standard library", None),
    vocab!("node-error", "Node.js", None),
    vocab!("node-ws", "Node ws", None),
    vocab!("python-exception", "Python", None),
    vocab!(
        "java-exception",
        "Java and the JVM WebSocket libraries",
        None
    ),
    vocab!("jvm-websocket", "Java-WebSocket, nv-websocket-client", None),
    vocab!("rust-error", "Rust (tungstenite, rustls, std)", None),
    vocab!(
        "errno-linux",
        "Linux C library (errno)",
        Some(
            r"(?i)(?:\[errno (?P<n>[0-9]{1,3})\]|\bos error (?P<n2>[0-9]{1,3})\b|\((?P<n3>[0-9]{1,3}): [A-Z])"
        )
    ),
    vocab!(
        "errno-macos",
        "Darwin C library (errno on macOS and iOS)",
        Some(
            r"(?i)(?:\bnsposixerrordomain\W+code=|\bknwerrordomainposix error |\bposixerrorcode\(rawvalue: |\bposix error:? )(?P<n>[0-9]{1,3})\b"
        )
    ),
    vocab!(
        "errno-l10n",
        "errno texts in other languages (glibc translations)",
        None
    ),
];

struct Compiled {
    entries: Vec<Vec<Entry>>,
    /// One automaton over every token and phrase; pattern index → (vocabulary, entry).
    automaton: AhoCorasick,
    pattern: Vec<(usize, usize)>,
    numbers: Vec<Option<(Regex, HashMap<i64, usize>)>>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(compile);

fn compile() -> Compiled {
    let entries: Vec<Vec<Entry>> = VOCABULARIES
        .iter()
        .map(|v| parse(v.tsv).unwrap_or_else(|e| panic!("data/vocab/{}.tsv: {e}", v.name)))
        .collect();
    let mut lits: Vec<&'static str> = Vec::new();
    let mut pattern = Vec::new();
    for (vi, list) in entries.iter().enumerate() {
        for (ei, e) in list.iter().enumerate() {
            for lit in std::iter::once(e.token).chain(e.phrase) {
                lits.push(lit);
                pattern.push((vi, ei));
            }
        }
    }
    // The tables are compiled in and unit-tested (`every_entry_is_found`): a failure
    // here is a programming error, never input-dependent.
    let automaton = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(&lits)
        .expect("vocabulary automaton builds");
    let numbers = VOCABULARIES
        .iter()
        .zip(&entries)
        .map(|(v, list)| {
            let re = Regex::new(v.number_context?).expect("vocabulary number context compiles");
            let by_number = list
                .iter()
                .enumerate()
                .filter_map(|(i, e)| Some((e.number?, i)))
                .collect();
            Some((re, by_number))
        })
        .collect();
    Compiled {
        entries,
        automaton,
        pattern,
        numbers,
    }
}

/// The entries of `v` (parsed once).
pub fn entries(v: &Vocabulary) -> &'static [Entry] {
    let i = VOCABULARIES
        .iter()
        .position(|x| std::ptr::eq(x, v))
        .expect("a vocabulary from VOCABULARIES");
    &COMPILED.entries[i]
}

/// Every vocabulary code in `text`, in the order they occur; one match per entry.
pub fn find(text: &[u8]) -> Vec<VocabMatch> {
    let c = &*COMPILED;
    let mut out: Vec<VocabMatch> = Vec::new();
    let mut push = |vi: usize, ei: usize, span: (usize, usize)| {
        let entry = &c.entries[vi][ei];
        if !out.iter().any(|m| std::ptr::eq(m.entry, entry)) {
            out.push(VocabMatch {
                vocabulary: &VOCABULARIES[vi],
                entry,
                span,
            });
        }
    };
    for m in c.automaton.find_iter(text) {
        if whole_word(text, m.start(), m.end()) {
            let (vi, ei) = c.pattern[m.pattern().as_usize()];
            push(vi, ei, (m.start(), m.end()));
        }
    }
    for (vi, slot) in c.numbers.iter().enumerate() {
        let Some((re, by_number)) = slot else {
            continue;
        };
        for caps in re.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            // Decimal groups are named n, n2, n3, n4 (a regex may not repeat a name); hex
            // ones x, y.
            let group = |names: &[&str]| names.iter().find_map(|g| caps.name(g));
            let n =
                match group(&["n", "n2", "n3", "n4"]) {
                    Some(m) => digits(m).and_then(|s| s.parse::<i64>().ok()),
                    None => match caps.name("p") {
                        // A packed OpenSSL code in decimal: library 20 (SSL), the reason in
                        // the low 12 bits (1.1) or 23 bits (3.x).
                        Some(m) => digits(m).and_then(|s| s.parse::<i64>().ok()).and_then(|p| {
                            match p >> 23 {
                                20 => Some(p & 0x7f_ffff),
                                _ if p >> 24 == 20 => Some(p & 0xfff),
                                _ => None,
                            }
                        }),
                        None => group(&["x", "y"])
                            .and_then(digits)
                            .and_then(|s| i64::from_str_radix(s, 16).ok()),
                    },
                };
            if let Some(&ei) = n.and_then(|n| by_number.get(&n)) {
                push(vi, ei, (whole.start(), whole.end()));
            }
        }
    }
    out.sort_by_key(|m| m.span.0);
    out
}

fn digits<'a>(m: regex::bytes::Match<'a>) -> Option<&'a str> {
    std::str::from_utf8(m.as_bytes()).ok()
}

fn whole_word(text: &[u8], start: usize, end: usize) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (start == 0 || !word(text[start - 1])) && text.get(end).is_none_or(|&b| !word(b))
}

fn parse(tsv: &'static str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for (n, line) in tsv.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let token = cols.next().unwrap_or_default().trim();
        if token.is_empty() {
            return Err(format!("line {}: no token", n + 1));
        }
        let number = match cols.next().map(str::trim) {
            None | Some("" | "-") => None,
            Some(s) => Some(
                s.parse::<i64>()
                    .map_err(|_| format!("line {}: bad number {s:?}", n + 1))?,
            ),
        };
        let causes = match cols.next().map(str::trim) {
            None => return Err(format!("line {}: no causes column", n + 1)),
            Some("-") => Vec::new(),
            // A close status (.NET's WebSocketCloseStatus): the close-code table's causes.
            Some("=close") => {
                let code = number
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or_else(|| format!("line {}: =close needs a close code", n + 1))?;
                crate::closecode::close_causes(code).to_vec()
            }
            Some(list) => list
                .split(',')
                .map(|id| {
                    CauseId::parse(id.trim())
                        .ok_or_else(|| format!("line {}: unknown cause id {id:?}", n + 1))
                })
                .collect::<Result<_, _>>()?,
        };
        let phrase = cols
            .next()
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "-");
        out.push(Entry {
            token,
            number,
            phrase,
            causes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of every vocabulary parses, and `find` returns it for its own token
    /// (and phrase) as a user would paste it — inside a sentence.
    #[test]
    fn every_entry_is_found() {
        for v in VOCABULARIES {
            let list = entries(v);
            assert!(!list.is_empty(), "{} is empty", v.name);
            for e in list {
                for lit in std::iter::once(e.token).chain(e.phrase) {
                    let text = format!("Error: failed ({lit}) while connecting");
                    let found = find(text.as_bytes());
                    // A token shared with an earlier vocabulary is found as that one's.
                    let same = |m: &VocabMatch| {
                        std::iter::once(m.entry.token)
                            .chain(m.entry.phrase)
                            .any(|l| l.eq_ignore_ascii_case(lit))
                    };
                    assert!(found.iter().any(same), "{}: {lit:?} not found", v.name);
                }
            }
        }
    }

    #[test]
    fn tokens_are_whole_words() {
        // ERR_CONNECTION_REFUSED must not fire inside a longer identifier.
        assert!(find(b"MY_ERR_CONNECTION_REFUSED_X").is_empty());
        let m = find(b"net::ERR_CONNECTION_REFUSED");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].entry.causes, vec![CauseId::TcpRefused]);
    }

    /// Numbers are read only in their vocabulary's own wrapping.
    #[test]
    fn numbers_in_context() {
        let first = |t: &str| find(t.as_bytes()).first().map(|m| m.entry.token);
        assert_eq!(
            first("Pusher error: cURL error 28: timeout"),
            Some("CURLE_OPERATION_TIMEDOUT")
        );
        assert_eq!(
            first("curl: (35) OpenSSL SSL_connect"),
            Some("CURLE_SSL_CONNECT_ERROR")
        );
        assert_eq!(
            first("Error Domain=NSOSStatusErrorDomain Code=-9806"),
            Some("errSSLClosedAbort")
        );
        assert_eq!(
            first("kCFErrorDomainCFNetwork error 2."),
            Some("kCFHostErrorUnknown")
        );
        assert_eq!(
            first("Ssl(ErrorStack([Error { code: 336031996, library: \"SSL routines\" }]))"),
            Some("SSL_R_UNKNOWN_PROTOCOL")
        );
        assert_eq!(
            first("Error Domain=NSPOSIXErrorDomain Code=61"),
            Some("ECONNREFUSED")
        );
        assert!(
            find(b"waited 28 seconds, error -9806 was not seen")
                .iter()
                .all(|m| m.vocabulary.name != "curl-error")
        );
    }

    /// A library's close-status name reads as its close code, through the one close-code
    /// table: the name and the number give the same causes.
    #[test]
    fn close_status_names_are_their_close_codes() {
        let v = VOCABULARIES
            .iter()
            .find(|v| v.name == "close-status")
            .expect("close-status");
        for e in entries(v)
            .iter()
            .filter(|e| e.number.is_some_and(|n| n >= 1000))
        {
            let code = u16::try_from(e.number.unwrap_or_default()).unwrap_or_default();
            assert_eq!(
                e.causes,
                crate::closecode::close_causes(code).to_vec(),
                "{}",
                e.token
            );
        }
        let first = |t: &str| {
            find(t.as_bytes())
                .into_iter()
                .find(|m| m.vocabulary.name == "close-status")
                .map(|m| (m.entry.token, m.entry.number))
        };
        assert_eq!(
            first("read: received close frame: status = StatusGoingAway and reason = \"\""),
            Some(("StatusGoingAway", Some(1001)))
        );
        assert_eq!(
            first("websocket: close 1006 CloseAbnormalClosure"),
            Some(("CloseAbnormalClosure", Some(1006)))
        );
        assert_eq!(
            first("CloseReason: CloseCodes.VIOLATED_POLICY"),
            Some(("CloseCodes.VIOLATED_POLICY", Some(1008)))
        );
        assert_eq!(
            first("Close(Some(CloseFrame { code: Away, reason: \"\" }))"),
            Some(("CloseCode::Away", Some(1001)))
        );
        assert_eq!(
            first("didCloseWith closeCode: .goingAway"),
            Some(("goingAway", Some(1001)))
        );
        // Names that are also HTTP/2 error codes stand only qualified.
        assert_eq!(first("RST_STREAM with PROTOCOL_ERROR"), None);
    }

    /// The alert list is the registry core's `TlsAlert` knows, code for code.
    #[test]
    fn tls_alerts_are_the_registry() {
        use wsdoctor_core::evidence::TlsAlert;
        let v = VOCABULARIES
            .iter()
            .find(|v| v.name == "tls-alert")
            .expect("tls-alert");
        let mut ours: Vec<i64> = entries(v).iter().filter_map(|e| e.number).collect();
        ours.sort_unstable();
        let registry: Vec<i64> = (0..=255u8)
            .filter(|c| !matches!(TlsAlert::from_code(*c), TlsAlert::Unknown(_)))
            .map(i64::from)
            .collect();
        assert_eq!(ours, registry);
    }

    /// Paraphrases in no corpus: alerts by name or number, OSStatus and packed OpenSSL
    /// codes in the wrappings Swift, CFNetwork and asio print.
    #[test]
    fn tls_codes_in_more_wrappings() {
        let first = |t: &str| find(t.as_bytes()).first().map(|m| m.entry.token);
        assert_eq!(
            first("javax.net.ssl.SSLException: Received fatal alert: certificate_unknown"),
            Some("javax.net.ssl.SSLException")
        );
        assert!(
            find(b"peer sent fatal alert: unknown_ca")
                .iter()
                .any(|m| m.entry.token == "unknown_ca")
        );
        assert_eq!(
            first("tls: got SSL alert number 70 from peer"),
            Some("protocol_version")
        );
        assert_eq!(
            first("boringssl: read alert, level: fatal, description: handshake failure"),
            Some("handshake_failure")
        );
        assert_eq!(
            first("TLS handshake failed (-9807)"),
            Some("errSSLXCertChainInvalid")
        );
        assert_eq!(first("Optional(-9813: bad cert)"), Some("errSSLNoRootCert"));
        assert_eq!(
            first("websocketpp: asio.ssl:336130315 during connect"),
            Some("SSL_R_WRONG_VERSION_NUMBER")
        );
        assert!(
            find(b"OSError: [WinError 10061] refused")
                .iter()
                .any(|m| m.entry.token == "WSAECONNREFUSED")
        );
        // HTTP/2's INTERNAL_ERROR is not the TLS alert.
        assert!(
            find(b"stream reset: INTERNAL_ERROR")
                .iter()
                .all(|m| m.vocabulary.name != "tls-alert")
        );
    }

    /// The size of each list as taken from its source: a list that shrinks (an entry
    /// lost in an edit) fails here.
    #[test]
    fn lists_are_complete() {
        let expect: &[(&str, usize)] = &[
            ("chrome-net-error", 238),
            ("apple-nsurlerror", 48),
            ("openssl-verify", 181),
            ("openssl-ssl-reason", 321),
            ("nss", 363),
            ("windows-winsock", 89),
            ("windows-winhttp", 53),
            ("windows-schannel", 78),
            ("windows-cert-trust", 36),
            ("node-error", 280),
            ("node-ws", 9),
            ("python-exception", 270),
            ("java-exception", 135),
            ("jvm-websocket", 78),
            ("rust-error", 257),
            ("errno-linux", 130),
            ("apple-osstatus", 455),
            ("apple-cfnetwork", 84),
            ("errno-macos", 109),
            ("dotnet-websocket", 67),
            ("go-error", 591),
            ("firefox-nserror", 197),
            ("errno-l10n", 506),
            ("curl-error", 100),
            ("close-status", 217),
            ("tls-alert", 35),
        ];
        for (name, n) in expect {
            let v = VOCABULARIES.iter().find(|v| v.name == *name).expect(name);
            assert_eq!(entries(v).len(), *n, "{name}");
        }
        assert_eq!(
            expect.len(),
            VOCABULARIES.len(),
            "a vocabulary without a size pin"
        );
    }
}
