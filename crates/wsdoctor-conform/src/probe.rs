//! Cases played as raw bytes instead of a frame script: the opening-handshake cases
//! (category 0), as data, and their verdict rules. Pure: the runner (`crate::run`) sends
//! the request and records an [`Answer`].
//!
//! Raw bytes, not an HTTP client: these cases send what HTTP libraries refuse to build or
//! repair on the way out (a missing Host, two Host lines, an obs-fold, whitespace before a
//! colon, Content-Length beside Transfer-Encoding, HTTP/1.0, a lowercase method), and the
//! verdict is about exactly those bytes.
//!
//! Verdicts follow Autobahn's style: OK is what RFC 6455 (and RFC 9112 for the HTTP
//! framing it builds on) requires or recommends; NON-STRICT is defensible but not what the
//! RFC names (another 4xx than the one it names, closing without any response); FAILED is a
//! broken MUST (a 101 to a request §4.2.1 says must be refused, a 101 that picks a
//! subprotocol nobody offered, a refusal of a request a browser really sends).

use crate::model::Verdict;
use wsdoctor_core::CauseId;
use wsdoctor_proto::handshake::HandshakeProblem;

/// An opening-handshake case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeProbe {
    /// The request as sent, head and any body; the runner fills in `{path}`, `{host}`,
    /// `{key}` (a fresh valid key, the one `Sec-WebSocket-Accept` is checked against) and
    /// `{key2}` (a second one).
    pub request: String,
    /// Subprotocols offered: a 101 may select one of them or none.
    pub protocols: Vec<String>,
    /// Extensions offered (their names bound what a 101 may accept).
    pub extensions: Vec<String>,
    /// Extension names a 101 must not accept (an offer the RFC says to decline).
    pub declined: Vec<&'static str>,
    /// The verdict for a correct 101 whose connection then echoes a message.
    pub on_accept: Verdict,
    /// The verdict for a correct 101 whose connection then does not echo (the request's
    /// body was taken as WebSocket frames).
    pub on_broken: Verdict,
    /// The verdict for a 4xx.
    pub on_reject: Verdict,
    /// The status the RFC names for the refusal; another 4xx is NON-STRICT at best.
    pub reject_status: Option<u16>,
    /// A refusal must carry `Sec-WebSocket-Version` naming 13 (RFC 6455 §4.4).
    pub version_header: bool,
    /// The verdict for anything else: no response, 2xx/3xx/5xx, not HTTP.
    pub on_other: Verdict,
}

/// What the server answered to a raw request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// No HTTP response head: the server closed, reset or stayed silent.
    Silent {
        why: String,
        /// The wait ran out (the server kept the connection open without answering).
        timed_out: bool,
    },
    Response {
        status: u16,
        /// `Sec-WebSocket-Version` values of a refusal.
        versions: Vec<String>,
        /// What is wrong with a 101 as an answer to this request (empty: a valid 101).
        problems: Vec<HandshakeProblem>,
        /// A 101 accepted an extension the case says must be declined.
        accepted_declined: Option<String>,
        /// After a valid 101: whether a text message came back as sent.
        echoed: Option<bool>,
    },
}

/// The verdict on an answer, why it is not OK, and the catalog cause a user meets live.
pub fn judge(p: &HandshakeProbe, answer: &Answer) -> (Verdict, String, Option<CauseId>) {
    match answer {
        Answer::Silent { why, timed_out } => {
            let cause = if *timed_out {
                CauseId::HttpNoResponse
            } else {
                CauseId::HttpClosedWithoutResponse
            };
            (
                p.on_other,
                format!(
                    "No HTTP response: {why} (RFC 6455 §4.2.1 asks for an HTTP response with an error code such as 400)."
                ),
                Some(cause),
            )
        }
        Answer::Response {
            status: 101,
            problems,
            accepted_declined,
            echoed,
            ..
        } => {
            if let Some(first) = problems.first() {
                let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
                return (
                    Verdict::Failed,
                    format!("The 101 is invalid: {} (RFC 6455 §4.2.2).", all.join("; ")),
                    Some(problem_cause(first)),
                );
            }
            if let Some(ext) = accepted_declined {
                return (
                    Verdict::Failed,
                    format!(
                        "The server accepted {ext}, an offer it must decline (RFC 7692 §5, RFC 6455 §9.1)."
                    ),
                    Some(CauseId::HandshakeExtensionUnoffered),
                );
            }
            if *echoed == Some(false) {
                return (
                    p.on_broken,
                    "After the 101 the connection did not echo a message: the request's body was taken as WebSocket frames (RFC 9112 §6.3).".into(),
                    Some(CauseId::SessionNoEcho),
                );
            }
            let why = match p.on_accept {
                Verdict::Ok => String::new(),
                _ => "The server accepted a request RFC 6455 §4.2.1 (or RFC 9112) says to refuse with an HTTP error.".into(),
            };
            (p.on_accept, why, None)
        }
        Answer::Response {
            status, versions, ..
        } if is_refusal(*status) => {
            let mut v = p.on_reject;
            let mut why = match v {
                Verdict::Ok => String::new(),
                _ => {
                    format!("The server refused ({status}) a request a conformant server accepts.")
                }
            };
            if v == Verdict::Ok
                && p.version_header
                && !versions
                    .iter()
                    .flat_map(|s| s.split(','))
                    .any(|s| s.trim() == "13")
            {
                v = Verdict::Failed;
                why = format!(
                    "The {status} refusal carries no Sec-WebSocket-Version naming 13 (RFC 6455 §4.4 MUST)."
                );
                // A client meets this refusal live as its status.
                return (v, why, wsdoctor_core::tables::status_cause(*status));
            } else if v == Verdict::Ok
                && let Some(want) = p.reject_status.filter(|w| w != status)
            {
                v = Verdict::NonStrict;
                why = format!("Refused with {status}; the RFC names {want} for this request.");
            }
            let cause = (v == Verdict::Failed && p.on_reject == Verdict::Failed)
                .then(|| wsdoctor_core::tables::status_cause(*status))
                .flatten();
            (v, why, cause)
        }
        Answer::Response { status, .. } => {
            let why =
                format!("Answered {status}, neither a 101 nor a 4xx refusal (RFC 6455 §4.2.1).");
            let cause = (p.on_other == Verdict::Failed)
                .then(|| wsdoctor_core::tables::status_cause(*status))
                .flatten();
            (p.on_other, why, cause)
        }
    }
}

/// An HTTP error that refuses the handshake: a 4xx, or 505 (HTTP Version Not Supported,
/// the status RFC 9110 §15.6.6 names for a request line's version).
fn is_refusal(status: u16) -> bool {
    (400..500).contains(&status) || status == 505
}

/// The catalog cause of a broken 101, as `wsdoctor check` names it.
pub fn problem_cause(p: &HandshakeProblem) -> CauseId {
    use HandshakeProblem as P;
    match p {
        P::UpgradeHeaderMissing => CauseId::HandshakeUpgradeMissing,
        P::ConnectionHeaderMissing => CauseId::HandshakeConnectionMissing,
        P::AcceptKeyMissing => CauseId::HandshakeAcceptMissing,
        P::AcceptKeyMismatch { .. } => CauseId::HandshakeAcceptMismatch,
        P::ProtocolNotOffered(_) | P::ProtocolRepeated => CauseId::HandshakeSubprotocolUnrequested,
        P::ExtensionNotOffered(_) => CauseId::HandshakeExtensionUnoffered,
        _ => CauseId::HandshakeStatusLine,
    }
}

/// What the case expects, in words.
pub fn expected_text(p: &HandshakeProbe) -> String {
    let reject = match (p.reject_status, p.version_header) {
        (Some(s), true) => format!("{s} with Sec-WebSocket-Version: 13"),
        (None, true) => "a 4xx with Sec-WebSocket-Version: 13".into(),
        (Some(s), false) => format!("{s}"),
        (None, false) => "a 4xx".into(),
    };
    format!(
        "101 (valid, then echoes): {}; {reject}: {}; no response or another status: {}",
        p.on_accept.as_str(),
        p.on_reject.as_str(),
        p.on_other.as_str()
    )
}

/// What happened, in words.
pub fn observed_text(a: &Answer) -> String {
    match a {
        Answer::Silent { why, .. } => format!("no HTTP response: {why}"),
        Answer::Response {
            status,
            versions,
            problems,
            accepted_declined,
            echoed,
        } => {
            let mut s = format!("HTTP {status}");
            if !versions.is_empty() {
                s.push_str(&format!(
                    " with Sec-WebSocket-Version: {}",
                    versions.join(", ")
                ));
            }
            for p in problems {
                s.push_str(&format!("; {p}"));
            }
            if let Some(e) = accepted_declined {
                s.push_str(&format!("; accepted {e}"));
            }
            match echoed {
                Some(true) => s.push_str("; the message was echoed"),
                Some(false) => s.push_str("; no echo"),
                None => {}
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases;

    fn probe(id: &str) -> HandshakeProbe {
        let case = cases::all()
            .into_iter()
            .find(|c| c.id == id)
            .expect("case exists");
        match case.probe {
            Some(crate::model::Probe::Handshake(p)) => p,
            _ => panic!("{id} is not a handshake case"),
        }
    }

    fn status(s: u16) -> Answer {
        Answer::Response {
            status: s,
            versions: vec![],
            problems: vec![],
            accepted_declined: None,
            echoed: (s == 101).then_some(true),
        }
    }

    #[test]
    fn a_101_to_a_request_without_upgrade_fails() {
        let p = probe("0.2.1");
        assert_eq!(judge(&p, &status(101)).0, Verdict::Failed);
        assert_eq!(judge(&p, &status(400)).0, Verdict::Ok);
        assert_eq!(judge(&p, &status(500)).0, Verdict::NonStrict);
    }

    #[test]
    fn wrong_version_needs_the_version_header() {
        let p = probe("0.5.2");
        assert_eq!(judge(&p, &status(426)).0, Verdict::Failed);
        let with = Answer::Response {
            status: 426,
            versions: vec!["13, 8".into()],
            problems: vec![],
            accepted_declined: None,
            echoed: None,
        };
        assert_eq!(judge(&p, &with).0, Verdict::Ok);
    }

    #[test]
    fn refusing_what_browsers_send_fails_with_the_status_cause() {
        let p = probe("0.3.2");
        let (v, _, cause) = judge(&p, &status(400));
        assert_eq!(v, Verdict::Failed);
        assert_eq!(cause, Some(CauseId::HttpBadRequest));
        assert_eq!(judge(&p, &status(101)).0, Verdict::Ok);
    }

    #[test]
    fn an_unoffered_subprotocol_fails_with_the_check_cause() {
        let p = probe("0.8.1");
        let a = Answer::Response {
            status: 101,
            versions: vec![],
            problems: vec![HandshakeProblem::ProtocolNotOffered("chat".into())],
            accepted_declined: None,
            echoed: None,
        };
        let (v, _, cause) = judge(&p, &a);
        assert_eq!(v, Verdict::Failed);
        assert_eq!(cause, Some(CauseId::HandshakeSubprotocolUnrequested));
    }

    #[test]
    fn a_duplicate_host_must_be_refused_with_400() {
        let p = probe("0.6.2");
        assert_eq!(judge(&p, &status(400)).0, Verdict::Ok);
        assert_eq!(judge(&p, &status(403)).0, Verdict::NonStrict);
        assert_eq!(judge(&p, &status(101)).0, Verdict::Failed);
    }
}
