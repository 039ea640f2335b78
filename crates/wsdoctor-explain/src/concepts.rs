//! Tier 3: concepts — technical words that carry a meaning together without a fixed
//! wording ("Origin … not allowed", "send … after close"). A concept needs one word of
//! each of its groups within [`WINDOW`] bytes; it answers with medium or low confidence
//! and only where the families and vocabularies found nothing specific.

use crate::explain::Confidence;
use wsdoctor_core::CauseId as C;

/// How far apart (in bytes) the words of one concept may be: about a log line's message.
pub const WINDOW: usize = 100;

pub struct Concept {
    pub name: &'static str,
    /// Every group must occur (one of its words, lowercase, matched at a word start).
    pub groups: &'static [&'static [&'static str]],
    pub causes: &'static [C],
    pub confidence: Confidence,
}

use Confidence::{Low, Medium};

/// The one table of concepts, most specific first.
pub static CONCEPTS: &[Concept] = &[
    Concept {
        name: "origin-rejected",
        groups: &[
            &["origin"],
            &[
                "reject",
                "blocked",
                "not allowed",
                "disallowed",
                "denied",
                "forbidden",
                "cross origin",
                "cross-origin",
                "untrusted",
                "not trusted",
                "refus",
                "mismatch",
                "could not check",
                "couldn't check",
            ],
        ],
        causes: &[C::HttpForbidden],
        confidence: Medium,
    },
    Concept {
        name: "upgrade-header-missing",
        groups: &[
            &["upgrade", "http_upgrade"],
            &["header", "http_upgrade", "token"],
            &[
                "missing",
                "empty",
                "invalid",
                "null",
                "absent",
                "not present",
                "not found",
                "required",
            ],
        ],
        causes: &[
            C::ProxyUpgradeNotForwarded,
            C::HandshakeUpgradeMissing,
            C::HandshakeInvalidRequest,
        ],
        confidence: Medium,
    },
    Concept {
        name: "concurrent-send",
        groups: &[
            &["concurrent", "simultaneous", "parallel"],
            &["write", "send", "writer", "sending", "writing"],
        ],
        causes: &[C::AsyncConcurrentSend],
        confidence: Medium,
    },
    Concept {
        name: "send-after-close",
        groups: &[
            &["send", "write", "writing", "sending", "deliver", "emit"],
            &[
                "closed",
                "after close",
                "closing",
                "once a close",
                "already close",
                "close was",
                "websocket.close",
            ],
        ],
        causes: &[C::AsyncSendAfterClose, C::SessionClientAborted],
        confidence: Low,
    },
    Concept {
        name: "ping-timeout",
        groups: &[
            &["ping", "pong", "heartbeat", "keepalive", "keep-alive"],
            &[
                "timeout",
                "timed out",
                "time out",
                "expired",
                "missed",
                "no response",
            ],
        ],
        causes: &[
            C::SessionNoPong,
            C::AsyncEventLoopBlocked,
            C::AsyncServerPingTimeout,
        ],
        confidence: Medium,
    },
    Concept {
        name: "session-id-unknown",
        groups: &[
            &["session id", "sessionid", "sid"],
            &["unknown", "invalid", "not found", "sticky"],
        ],
        causes: &[C::HttpStickySessionMissing],
        confidence: Medium,
    },
    Concept {
        name: "sticky-session",
        groups: &[&["sticky"], &["session"]],
        causes: &[C::HttpStickySessionMissing],
        confidence: Medium,
    },
    Concept {
        name: "socketio-version",
        groups: &[
            &["socket.io", "engine.io", "socketio", "engineio"],
            &[
                "protocol version",
                "unsupported version",
                "version mismatch",
                "incompatible",
                "not compatible",
                "different version",
                "eio version",
            ],
        ],
        causes: &[C::SocketioVersionMismatch],
        confidence: Medium,
    },
    Concept {
        name: "certificate-expired",
        groups: &[
            &["certificate", "cert", "x509"],
            &["expired", "has expired", "not yet valid"],
        ],
        causes: &[C::TlsCertExpired, C::TlsCertNotYetValid],
        confidence: Medium,
    },
    Concept {
        name: "certificate-self-signed",
        groups: &[
            &["certificate", "cert", "x509"],
            &["self signed", "self-signed", "selfsigned"],
        ],
        causes: &[C::TlsSelfSigned, C::TlsUnknownIssuer],
        confidence: Medium,
    },
    Concept {
        name: "certificate-untrusted",
        groups: &[
            &["certificate", "cert", "issuer"],
            &[
                "unknown authority",
                "unknown ca",
                "untrusted",
                "not trusted",
                "unable to verify",
                "verify failed",
                "unknown issuer",
                "local issuer",
            ],
        ],
        causes: &[
            C::TlsUnknownIssuer,
            C::TlsClientTrustStoreMissing,
            C::TlsIncompleteChain,
        ],
        confidence: Medium,
    },
    Concept {
        name: "certificate-hostname",
        groups: &[
            &["certificate", "cert", "x509"],
            &[
                "hostname",
                "host name",
                "altname",
                "subject alternative",
                "not valid for",
                "ip sans",
                "common name",
            ],
        ],
        causes: &[C::TlsHostnameMismatch],
        confidence: Medium,
    },
    Concept {
        name: "proxy-auth",
        groups: &[
            &["proxy"],
            &[
                "407",
                "authentication required",
                "auth required",
                "proxy-authenticate",
            ],
        ],
        causes: &[C::ProxyAuthRequired],
        confidence: Medium,
    },
    Concept {
        name: "proxy-connect",
        groups: &[
            &["proxy", "tunnel"],
            &["connect"],
            &["fail", "refused", "denied", "403", "502", "error"],
        ],
        causes: &[C::ProxyConnectRefused, C::ProxyTunnelClosed],
        confidence: Low,
    },
    Concept {
        name: "hijack",
        groups: &[&["hijack"]],
        causes: &[C::ServerWebsocketUnsupported, C::ProxyUpgradeNotForwarded],
        confidence: Medium,
    },
    Concept {
        name: "websocket-unsupported",
        groups: &[
            &["websocket", "web socket"],
            &[
                "not supported",
                "unsupported",
                "not enabled",
                "without websocket",
                "disabled",
            ],
        ],
        causes: &[C::ServerWebsocketUnsupported],
        confidence: Low,
    },
    Concept {
        name: "out-of-connections",
        groups: &[&[
            "too many open files",
            "emfile",
            "worker_connections are not enough",
            "out of system resource",
            "too many connections",
        ]],
        causes: &[C::HttpServiceUnavailable, C::AsyncKeepaliveHolds],
        confidence: Medium,
    },
    Concept {
        name: "no-route",
        groups: &[&[
            "no route found",
            "no route for",
            "route not found",
            "no matching route",
            "no handler found",
        ]],
        causes: &[C::HttpNotFound],
        confidence: Medium,
    },
    Concept {
        name: "reader-cannot-keep-up",
        groups: &[&[
            "keep up",
            "pending messages",
            "buffer full",
            "backpressure",
            "back pressure",
            "slow consumer",
            "queue full",
        ]],
        causes: &[C::AsyncBackpressure],
        confidence: Low,
    },
    Concept {
        name: "upgrade-refused",
        groups: &[&[
            "unable to upgrade",
            "failed to upgrade",
            "error upgrading",
            "invalid http upgrade",
            "invalid upgrade response",
            "upgrade request required",
            "notanupgrade",
            "httpupgradeerror",
        ]],
        causes: &[
            C::HttpNotUpgraded,
            C::ProxyUpgradeNotForwarded,
            C::HttpUpgradeRequired,
        ],
        confidence: Low,
    },
    Concept {
        name: "write-in-progress",
        groups: &[&[
            "text_full_writing",
            "text_partial_writing",
            "binary_full_writing",
            "binary_partial_writing",
            "another coroutine",
        ]],
        causes: &[C::AsyncConcurrentSend],
        confidence: Medium,
    },
    Concept {
        name: "tls-handshake",
        groups: &[&["tls", "ssl"], &["handshake"]],
        causes: &[C::TlsHandshakeFailed],
        confidence: Medium,
    },
    Concept {
        name: "tls-authentication",
        groups: &[&["authentication failed", "authentication or decryption"]],
        causes: &[C::TlsHandshakeFailed],
        confidence: Low,
    },
    Concept {
        name: "frame-too-large",
        groups: &[
            &["frame size", "message size", "read limit", "payload size"],
            &["exceed", "too large", "maximum", "limited at"],
        ],
        causes: &[C::SessionMessageTooLarge, C::SessionCloseMessageTooBig],
        confidence: Medium,
    },
    Concept {
        name: "transport-connection-reset",
        groups: &[
            &[
                "transport connection",
                "existing connection",
                "established connection",
            ],
            &["forcibly closed", "aborted", "reset"],
        ],
        causes: &[C::SessionReset, C::SessionClientAborted],
        confidence: Medium,
    },
    Concept {
        name: "client-went-away",
        groups: &[&["context canceled", "aborting with incomplete"]],
        causes: &[C::SessionClientAborted],
        confidence: Low,
    },
    Concept {
        name: "stream-ended",
        groups: &[&["end of stream", "end of the stream"], &["unexpected"]],
        causes: &[C::SessionAbruptEof, C::HttpClosedWithoutResponse],
        confidence: Low,
    },
    Concept {
        name: "handshake-timeout",
        groups: &[&["handshake"], &["timed out", "timeout"]],
        causes: &[C::AsyncSlowResponse, C::TcpTimeout, C::HttpNoResponse],
        confidence: Medium,
    },
    Concept {
        name: "accept-mismatch",
        groups: &[
            &["sec-websocket-accept"],
            &["match", "mismatch", "invalid", "wrong"],
        ],
        causes: &[C::HandshakeAcceptMismatch, C::AsyncDoubleConnect],
        confidence: Medium,
    },
    Concept {
        name: "subprotocol-not-echoed",
        groups: &[
            &["sec-websocket-protocol"],
            &["expected", "missing", "no subprotocol"],
        ],
        causes: &[C::HandshakeSubprotocolNotEchoed],
        confidence: Medium,
    },
    Concept {
        name: "cleartext-not-permitted",
        groups: &[
            &["cleartext", "insecure"],
            &["not permitted", "not allowed", "blocked"],
        ],
        causes: &[C::UrlMixedContent],
        confidence: Medium,
    },
    Concept {
        name: "no-transport",
        groups: &[&[
            "no transport could",
            "failed to start the transport",
            "unable to connect to the server with any of the available transports",
        ]],
        causes: &[C::ServerWebsocketUnsupported, C::ProxyUpgradeNotForwarded],
        confidence: Low,
    },
    Concept {
        name: "not-authenticated",
        groups: &[&[
            "couldn't authenticate",
            "could not authenticate",
            "not authenticated",
            "unauthorized",
            "unauthorised",
        ]],
        causes: &[C::HttpUnauthorized, C::HttpForbidden],
        confidence: Low,
    },
    Concept {
        name: "frame-unreadable",
        groups: &[
            &["frame"],
            &["cannot be read", "could not be read", "unable to read"],
        ],
        causes: &[C::SessionAbruptEof, C::SessionReset],
        confidence: Low,
    },
    Concept {
        name: "upstream-disabled",
        groups: &[&["upstream"], &["temporarily disabled"]],
        causes: &[C::HttpClosedWithoutResponse, C::HttpBadGateway],
        confidence: Low,
    },
];

/// A concept found in a text, with the words that led there.
pub struct ConceptMatch {
    pub concept: &'static Concept,
    pub words: Vec<&'static str>,
}

/// Every concept whose groups all occur within one window, in table order.
pub fn find(text: &str) -> Vec<ConceptMatch> {
    let lower = text.to_ascii_lowercase();
    CONCEPTS
        .iter()
        .filter_map(|c| find_one(&lower, c))
        .collect()
}

/// Byte positions where `word` starts a word of `lower`.
fn starts<'a>(lower: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = lower.as_bytes();
    lower
        .match_indices(word)
        .map(|(i, _)| i)
        .filter(move |&i| i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
}

fn find_one(lower: &str, concept: &'static Concept) -> Option<ConceptMatch> {
    let (first, rest) = concept.groups.split_first()?;
    for anchor_word in *first {
        for at in starts(lower, anchor_word) {
            // Each other group needs a word near the anchor.
            let near = |word: &'static str| {
                starts(lower, word)
                    .any(|p| p.abs_diff(at) <= WINDOW)
                    .then_some(word)
            };
            let words: Option<Vec<&'static str>> = rest
                .iter()
                .map(|group| group.iter().find_map(|w| near(w)))
                .collect();
            if let Some(mut words) = words {
                words.insert(0, anchor_word);
                return Some(ConceptMatch { concept, words });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        find(text).iter().map(|m| m.concept.name).collect()
    }

    #[test]
    fn each_concept_on_its_own_wording() {
        let cases: &[(&str, &str)] = &[
            (
                "Request origin https://evil.test was not allowed by policy",
                "origin-rejected",
            ),
            (
                "403: cross-origin websocket refused, origin header mismatch",
                "origin-rejected",
            ),
            (
                "HTTP_UPGRADE is empty in the request environ",
                "upgrade-header-missing",
            ),
            (
                "upgrade header missing from request",
                "upgrade-header-missing",
            ),
            (
                "two goroutines called the writer concurrently: concurrent write",
                "concurrent-send",
            ),
            (
                "tried to send a frame after close was called",
                "send-after-close",
            ),
            ("heartbeat missed twice, dropping peer", "ping-timeout"),
            ("keepalive ping timeout", "ping-timeout"),
            (
                "the session id abc is unknown to this node",
                "session-id-unknown",
            ),
            ("enable sticky session on the balancer", "sticky-session"),
            (
                "socket.io server refused: unsupported protocol version 3",
                "socketio-version",
            ),
            (
                "x509: certificate has expired or is not yet valid",
                "certificate-expired",
            ),
            ("peer certificate is self-signed", "certificate-self-signed"),
            (
                "certificate signed by unknown authority",
                "certificate-untrusted",
            ),
            (
                "the certificate is not valid for host name api.test",
                "certificate-hostname",
            ),
            ("proxy answered 407 to our request", "proxy-auth"),
            ("tunnel CONNECT to proxy failed", "proxy-connect"),
            ("the ResponseWriter cannot hijack the connection", "hijack"),
            (
                "uWSGI: websocket not supported by this build",
                "websocket-unsupported",
            ),
            (
                "accept4() failed (24: Too many open files)",
                "out-of-connections",
            ),
            ("No route found for path 'ws/chat'", "no-route"),
            (
                "reader unable to keep up with messages",
                "reader-cannot-keep-up",
            ),
        ];
        for (text, name) in cases {
            assert!(
                names(text).contains(name),
                "{text:?} gave {:?}",
                names(text)
            );
        }
    }

    #[test]
    fn words_far_apart_are_not_a_concept() {
        let far = format!("origin {} rejected", "x".repeat(WINDOW + 10));
        assert!(!names(&far).contains(&"origin-rejected"));
    }

    #[test]
    fn words_inside_other_words_do_not_count() {
        // "certificate" and "expired" must start words: "precertificate" / "unexpired" don't.
        assert!(names("precertificate unexpired").is_empty());
    }

    #[test]
    fn the_words_are_reported() {
        let m = find("heartbeat timeout after 30 s");
        assert_eq!(m[0].words, vec!["heartbeat", "timeout"]);
    }

    #[test]
    fn table_words_are_lowercase_and_every_concept_has_a_cause() {
        for c in CONCEPTS {
            assert!(!c.causes.is_empty(), "{}", c.name);
            assert!(c.confidence != Confidence::High, "{}", c.name);
            for w in c.groups.iter().flat_map(|g| g.iter()) {
                assert_eq!(*w, w.to_ascii_lowercase(), "{}", c.name);
            }
        }
    }
}
