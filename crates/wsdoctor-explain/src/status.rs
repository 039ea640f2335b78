//! HTTP status → catalog causes: the table lives in wsdoctor-core
//! ([`wsdoctor_core::tables::status`]), shared with `check`; re-exported here for
//! this crate's callers.
//!
//! [`find_in_text`] reads the status a failed handshake got out of a message in any of
//! the shapes libraries wrap it in (`InvalidStatusCode(401`, `Code=404`, "got bad HTTP
//! response '404'", "expected <101> but was <200>", "Unexpected server response: 502",
//! "403 Forbidden", an access-log line, "unable to upgrade connection: Forbidden" …):
//! one general reader instead of one capture per family.

pub use wsdoctor_core::tables::status::{reason, status_cause, status_causes};

use regex::Regex;
use std::sync::LazyLock;

/// A status read from a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FoundStatus {
    pub code: u16,
    /// Byte span of the words that carried it.
    pub span: (usize, usize),
    /// How it was written: `Expected` ("expected 101 but got 403") and `Wrapped`
    /// (a status word right before the number) say on their own that it is the
    /// handshake's answer; `Reason` (the number with its reason phrase), `AccessLog` and
    /// `ReasonOnly` (a bare "Forbidden" after "upgrade …:") need the text to be about a
    /// WebSocket.
    pub how: How,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    Expected,
    Wrapped,
    Reason,
    AccessLog,
    ReasonOnly,
}

// Static patterns, covered by the tests below.
static EXPECTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:expected|expecting|instead of)\W{0,12}(?:http\W{0,3})?101\b[^\n]{0,60}?\b(?:but (?:was|got|received|is)|got|received|instead|actual(?:ly)?|but)\W{0,8}(?:http/[0-9.]+ )?(?P<s>[1-5][0-9]{2})\b"#)
        .expect("valid")
});

static WRAPPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b(?:invalid ?status ?code|invalid status(?: line)?|bad (?:http )?(?:response|status)(?: code)?|unexpected (?:server |http )?(?:response|status)(?: code| status)?|non-101 status(?: code)?|status(?:[ _-]?code)?|resp(?:onse)?(?:[ _-]?(?:code|status))?|not ?an ?upgrade|upgrade ?error|responded with(?: a status of| status)?|returned(?: status(?: code)?| http)?|http(?:[ _-]?(?:status|error|response|code))?|(?:error|err)[ _-]?code|code|got)\W{0,4}(?P<s>[1-5][0-9]{2})\b(?:[^0-9.,:/]|[.,:](?:\D|$)|$)"#,
    )
    .expect("valid")
});

static WITH_REASON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?P<s>[1-5][0-9]{2})\W{1,3}(?P<r>[a-z][a-z' -]{1,40})"#).expect("valid")
});

static ACCESS_LOG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)"(?:GET|POST|HEAD|OPTIONS|CONNECT|PUT) [^"\s]+ HTTP/[0-9.]+" (?P<s>[1-5][0-9]{2}) "#,
    )
    .expect("valid")
});

static REASON_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:upgrad\w*|handshake|websocket)\b[^\n]{0,60}?[:\-]\s*(?P<r>unauthorized|forbidden|not found|bad request|bad gateway|service unavailable|gateway time-?out|too many requests|internal server error|upgrade required|method not allowed|not implemented)\b"#)
        .expect("valid")
});

/// The standard reason phrase without the vendor note ("Connection Timed Out").
fn bare_reason(code: u16) -> &'static str {
    let r = reason(code);
    r.split(" (").next().unwrap_or(r)
}

fn code_of_reason(words: &str) -> Option<u16> {
    let w = words
        .trim()
        .to_ascii_lowercase()
        .replace("time-out", "timeout");
    (100..600).find(|&c| {
        let r = bare_reason(c).to_ascii_lowercase();
        !r.is_empty() && w == r
    })
}

/// The handshake's status in `text`, if it is written in one of the shapes above. 101 is
/// skipped (it is the status that was expected); among several, the answer named after
/// "expected 101" wins, then the first in the text.
pub fn find_in_text(text: &str) -> Option<FoundStatus> {
    let code_at = |s: &regex::Captures<'_>| s["s"].parse::<u16>().ok().filter(|&c| c != 101);
    if let Some(c) = EXPECTED.captures(text)
        && let (Some(code), Some(m)) = (code_at(&c), c.get(0))
    {
        return Some(FoundStatus {
            code,
            span: (m.start(), m.end()),
            how: How::Expected,
        });
    }
    let mut best: Option<FoundStatus> = None;
    let mut offer = |f: FoundStatus| {
        if best.is_none_or(|b| f.span.0 < b.span.0) {
            best = Some(f);
        }
    };
    for c in WRAPPED.captures_iter(text) {
        if let (Some(code), Some(m)) = (code_at(&c), c.name("s")) {
            let start = c.get(0).map_or(m.start(), |w| w.start());
            offer(FoundStatus {
                code,
                span: (start, m.end()),
                how: How::Wrapped,
            });
            break;
        }
    }
    for c in WITH_REASON.captures_iter(text) {
        let Some(code) = code_at(&c) else { continue };
        let r = bare_reason(code);
        let said = c["r"].to_ascii_lowercase();
        if !r.is_empty() && said.starts_with(&r.to_ascii_lowercase()) {
            let m = c
                .get(0)
                .map_or((0, 0), |m| (m.start(), m.start() + 4 + r.len()));
            offer(FoundStatus {
                code,
                span: (m.0, m.1.min(text.len())),
                how: How::Reason,
            });
            break;
        }
    }
    if best.is_some() {
        return best;
    }
    if let Some(c) = ACCESS_LOG.captures(text)
        && let (Some(code), Some(m)) = (code_at(&c), c.get(0))
    {
        return Some(FoundStatus {
            code,
            span: (m.start(), m.end()),
            how: How::AccessLog,
        });
    }
    let c = REASON_ONLY.captures(text)?;
    let r = c.name("r")?;
    Some(FoundStatus {
        code: code_of_reason(r.as_str())?,
        span: (r.start(), r.end()),
        how: How::ReasonOnly,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<u16> {
        find_in_text(text).map(|f| f.code)
    }

    #[test]
    fn statuses_in_their_wrappings() {
        let cases: &[(&str, u16)] = &[
            ("InvalidStatusCode(401, Headers([]))", 401),
            (
                "Error Domain=WebSocket Code=404 \"Invalid HTTP upgrade\"",
                404,
            ),
            ("lws_client_ws_upgrade: got bad HTTP response '403'", 403),
            ("Expected HTTP 101 response but was '200 OK'", 200),
            ("expected:<101> but was:<200>", 200),
            ("Unexpected server response: 502", 502),
            ("Error: unexpected server response (400)", 400),
            (
                "the server responded with a status of 426 (Upgrade Required)",
                426,
            ),
            ("Status Code: 403 Forbidden", 403),
            ("Response(status_code=403, headers=[])", 403),
            ("statusCode: 410", 410),
            ("HTTP/1.1 404 Not Found", 404),
            ("\"GET /ws HTTP/1.1\" 502 575 \"-\"", 502),
            ("unable to upgrade connection: Forbidden (user=x)", 403),
            ("error upgrading connection: Not Found", 404),
            ("handshake failed: 503 Service Unavailable", 503),
        ];
        for (text, want) in cases {
            assert_eq!(code(text), Some(*want), "{text:?}");
        }
    }

    #[test]
    fn numbers_that_are_not_statuses() {
        for text in [
            "close code 1006",
            "Code=-1011 NSURLErrorDomain",
            "listening on port 443",
            "took 404.5 ms",
            "HTTP/1.1 101 Switching Protocols",
            "SSL error 40",
            "status code 101 expected",
        ] {
            assert_eq!(code(text), None, "{text:?}");
        }
    }
}
