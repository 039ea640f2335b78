//! In which phase a connection failed, read from the words around the failure.
//!
//! A reset or an end of stream means different causes by phase: while connecting it is
//! the TCP path, while waiting for the Upgrade's answer it is the server or proxy that
//! never answered, and once the session was open it is the session that was cut. Codes
//! (`ECONNRESET`, `EOFException`) do not say which; the words beside them often do
//! ("while reading response header", "in closing handshake", "receive failed"). This
//! module reads that phase and moves the cause of that phase first, for the kinds of
//! failure that exist in every phase.

use wsdoctor_core::CauseId as C;

/// Where the connection was when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// TCP connect (or the TLS handshake right after it).
    Connect,
    /// The Upgrade request was sent; its answer had not come.
    ResponseHead,
    /// The session was open: messages, pings, the closing handshake.
    Open,
}

/// Words that place a failure in a phase, most telling first (the first phase with a
/// word in the text wins).
const WORDS: &[(Phase, &[&str])] = &[
    (
        Phase::ResponseHead,
        &[
            "reading response header",
            "reading the response header",
            "before headers",
            "before response",
            "before receiving a response",
            "waiting for the response",
            "reading status line",
            "reading the status line",
            "handshake response",
            "during websocket handshake",
        ],
    ),
    (
        Phase::Open,
        &[
            "closing handshake",
            "while receiving",
            "receiving messages",
            "receive failed",
            "receivemessagefailure",
            "read_message",
            "transfer_data",
            "data transfer",
            "readfragment",
            "websocketreader",
            "recv_frame",
            "reading frame",
            "read frame",
            "upgraded connection",
            "copying the upgraded",
            "proxying upgraded",
            "write error on",
            "fatal write error",
            "failed to get reader",
            "on_message",
            "onmessage",
        ],
    ),
    (
        Phase::Connect,
        &[
            "connect()",
            "while connecting",
            "connecting to upstream",
            "dial tcp",
            "connectex",
            "connection establishment",
            "failed to connect",
            "cannot connect",
            "could not connect",
            "unable to connect",
        ],
    ),
    // The call that failed, where no word names the phase: a read or receive is on a
    // connection already made, and a WebSocket connection spends nearly all its life
    // in the open session (the field's resets on a read were session resets 13 times
    // in 20, a connect-time reset twice).
    (
        Phase::Open,
        &[
            "read econnreset",
            "onstreamread",
            "tcp.onread",
            "read0",
            "wsarecv",
            "recv() failed",
            "\"syscall\":\"read\"",
            "syscall: 'read'",
        ],
    ),
];

/// The phase the text places its failure in, if it says.
pub fn of(text: &str) -> Option<Phase> {
    let lower = crate::concepts::normalise(text);
    WORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| lower.contains(w)))
        .map(|(p, _)| *p)
}

/// Kinds of failure that exist in every phase, with the cause each phase gives it.
const KINDS: &[(&[C], [C; 3])] = &[
    // A reset: [connect, response head, open].
    (
        &[C::TcpReset, C::SessionReset, C::HttpResetWithoutResponse],
        [C::TcpReset, C::HttpResetWithoutResponse, C::SessionReset],
    ),
    // The peer closed (an end of stream) without an error.
    (
        &[C::HttpClosedWithoutResponse, C::SessionAbruptEof],
        [
            C::HttpClosedWithoutResponse,
            C::HttpClosedWithoutResponse,
            C::SessionAbruptEof,
        ],
    ),
    // "Socket is not connected" (ENOTCONN): a call before the connect finished, or on
    // an open session a connection that is gone (Apple's Network framework says it
    // after the network dropped).
    (
        &[C::AsyncSendBeforeOpen],
        [
            C::AsyncSendBeforeOpen,
            C::AsyncSendBeforeOpen,
            C::SessionAbruptEof,
        ],
    ),
    // A timeout: the connect, the 101 that never came, or no message on an open session.
    (
        &[
            C::TcpTimeout,
            C::HttpNoResponse,
            C::AsyncSlowResponse,
            C::SessionNoMessage,
        ],
        [C::TcpTimeout, C::HttpNoResponse, C::SessionNoMessage],
    ),
];

/// Words of a server's log (a server endpoint, a servlet container's worker, a line
/// that names its client): the peer that went away there is the client.
const SERVER_SIDE: &[&str] = &[
    "nioendpoint",
    "serverendpoint",
    "socketendpoint",
    "jsr356endpoint",
    "[http-nio-",
    "kestrel",
    "aspnetcore.server",
    "client reset",
    "client closed",
    "client disconnected",
    "during processing web socket request",
];

/// An end of stream or a reset that a server saw on an open session is its client
/// leaving (a tab closed, a phone asleep, a network change).
fn client_left(text: &str, ids: &mut Vec<C>) -> bool {
    let lower = text.to_ascii_lowercase();
    let ended = matches!(ids.first(), Some(C::SessionAbruptEof | C::SessionReset));
    if !ended || !SERVER_SIDE.iter().any(|w| lower.contains(w)) {
        return false;
    }
    ids.retain(|id| *id != C::SessionClientAborted);
    ids.insert(0, C::SessionClientAborted);
    true
}

/// `ids` with the first cause replaced by its phase's twin where the text names the
/// phase (and by the client leaving where a server saw it end); true when the ranking
/// changed.
pub fn rerank(text: &str, ids: &mut Vec<C>) -> bool {
    let phased = rerank_phase(text, ids);
    let left = client_left(text, ids);
    let proxied = through_socks(text, ids);
    let root = root_first(ids);
    one_family(text, ids) || root || proxied || left || phased
}

/// A socket used after it closed (or before it opened) is the consequence where the
/// same text says why the connection never opened (refused, no DNS answer, TLS failed):
/// that reason ranks first.
fn root_first(ids: &mut Vec<C>) -> bool {
    if !matches!(
        ids.first(),
        Some(C::AsyncSendAfterClose | C::AsyncSendBeforeOpen)
    ) {
        return false;
    }
    let Some(at) = ids.iter().position(|id| {
        matches!(
            id.layer(),
            wsdoctor_core::Layer::Dns | wsdoctor_core::Layer::Tcp | wsdoctor_core::Layer::Tls
        )
    }) else {
        return false;
    };
    let root = ids.remove(at);
    ids.insert(0, root);
    true
}

/// A connection failure reported through a SOCKS proxy is the proxy's answer: it
/// refused the CONNECT (SOCKS reply "connection refused", "host unreachable") or
/// could not be reached itself.
fn through_socks(text: &str, ids: &mut Vec<C>) -> bool {
    let lower = text.to_ascii_lowercase();
    let transport = matches!(
        ids.first(),
        Some(C::TcpRefused | C::TcpTimeout | C::TcpUnreachable | C::TcpReset)
    );
    let socks = crate::concepts::FORWARD_PROXY.iter().any(|w| {
        lower
            .match_indices(w)
            .any(|(i, _)| i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric())
    });
    if !transport || !socks {
        return false;
    }
    for (at, id) in [C::ProxyConnectRefused, C::ProxyUnreachable]
        .into_iter()
        .enumerate()
    {
        ids.retain(|x| *x != id);
        ids.insert(at, id);
    }
    true
}

/// A timeout or an unreachable route towards an IPv6 address (a global one, not the
/// loopback) or in a text that says IPv6 is often one address family black-holed
/// while the other works: it ranks second, beside the failure itself.
fn one_family(text: &str, ids: &mut Vec<C>) -> bool {
    let path = ids
        .iter()
        .take(3)
        .any(|id| matches!(id, C::TcpTimeout | C::TcpUnreachable));
    if !path || ids.contains(&C::TcpFamilyBlackholed) || !IPV6.is_match(text) {
        return false;
    }
    ids.insert(1.min(ids.len()), C::TcpFamilyBlackholed);
    true
}

/// "IPv6", or a global unicast IPv6 address (2000::/3) written out.
static IPV6: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    // Static pattern, covered by tests.
    regex::Regex::new(r"(?i)\bipv6\b|\b[23][0-9a-f]{3}:[0-9a-f]{0,4}:[0-9a-f:]*[0-9a-f]")
        .expect("valid")
});

fn rerank_phase(text: &str, ids: &mut Vec<C>) -> bool {
    let Some(first) = ids.first().copied() else {
        return false;
    };
    let Some((_, by_phase)) = KINDS.iter().find(|(kind, _)| kind.contains(&first)) else {
        return false;
    };
    let Some(phase) = of(text) else { return false };
    let want = by_phase[phase as usize];
    // A reset on an open session, seen from the server, is its client leaving: that
    // reading stays in the first three.
    if want == C::SessionReset && !ids.iter().take(3).any(|id| *id == C::SessionClientAborted) {
        ids.retain(|id| *id != C::SessionClientAborted);
        ids.insert(2.min(ids.len()), C::SessionClientAborted);
    }
    if want == first {
        return false;
    }
    ids.retain(|id| *id != want);
    ids.insert(0, want);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paraphrases, in no corpus: the same reset in three phases.
    #[test]
    fn a_reset_takes_the_cause_of_its_phase() {
        let first = |t: &str| {
            let mut ids = vec![C::TcpReset, C::SessionReset];
            rerank(t, &mut ids);
            ids[0]
        };
        assert_eq!(
            first("ECONNRESET while connecting to the backend"),
            C::TcpReset
        );
        assert_eq!(
            first("peer reset the socket while reading response header from backend"),
            C::HttpResetWithoutResponse
        );
        assert_eq!(
            first("ECONNRESET in closing handshake after 2 h"),
            C::SessionReset
        );
        assert_eq!(first("ECONNRESET"), C::TcpReset);
    }

    /// Paraphrases, in no corpus: the call that failed places a reset once no word
    /// names the phase; Chrome's "during WebSocket handshake" is the wait for the 101.
    #[test]
    fn the_failed_call_places_a_reset() {
        let ranked = |t: &str| {
            let mut ids = vec![C::TcpReset, C::SessionReset, C::ProxyIdleTimeout];
            rerank(t, &mut ids);
            ids
        };
        let r = ranked("Error: read ECONNRESET\n    at TCP.onStreamRead (x.js:1:1)");
        assert_eq!(r[0], C::SessionReset);
        assert!(r[..3].contains(&C::SessionClientAborted), "{r:?}");
        assert_eq!(ranked("connect ECONNRESET 10.0.0.1:80")[0], C::TcpReset);
        assert_eq!(
            ranked("Error during WebSocket handshake: net::ERR_CONNECTION_RESET")[0],
            C::HttpResetWithoutResponse
        );
        // A named phase wins over the call.
        assert_eq!(
            ranked("recv() failed (104) while connecting to upstream")[0],
            C::TcpReset
        );
    }

    /// A failure through SOCKS is the proxy's; a timeout towards a global IPv6 address
    /// (or one that says IPv6) may be one family black-holed; loopback is not.
    #[test]
    fn who_and_which_family() {
        let mut ids = vec![C::TcpRefused];
        assert!(rerank("socks5 connect: connection refused", &mut ids));
        assert_eq!(ids[..2], [C::ProxyConnectRefused, C::ProxyUnreachable]);
        let mut ids = vec![C::TcpTimeout];
        assert!(rerank("connect ETIMEDOUT [2a01:4f8:1:2::3]:443", &mut ids));
        assert_eq!(ids, [C::TcpTimeout, C::TcpFamilyBlackholed]);
        let mut ids = vec![C::TcpUnreachable];
        assert!(rerank("no route to host over IPv6", &mut ids));
        assert_eq!(ids[1], C::TcpFamilyBlackholed);
        let mut ids = vec![C::TcpTimeout];
        assert!(!rerank("connect ETIMEDOUT [::1]:443 at 12:30:45", &mut ids));
        assert_eq!(ids, [C::TcpTimeout]);
    }

    #[test]
    fn a_connection_that_never_opened_explains_the_send_after_it() {
        let mut ids = vec![C::AsyncSendAfterClose, C::TcpRefused];
        assert!(rerank("any text", &mut ids));
        assert_eq!(ids, [C::TcpRefused, C::AsyncSendAfterClose]);
        let mut ids = vec![C::AsyncSendAfterClose, C::SessionAbruptEof];
        assert!(!rerank("any text", &mut ids));
    }

    #[test]
    fn an_end_a_server_saw_is_its_client_leaving() {
        let mut ids = vec![C::SessionAbruptEof, C::ProxyIdleTimeout];
        assert!(rerank(
            "[http-nio-8443-exec-2] ChatEndpoint onError: java.io.EOFException",
            &mut ids
        ));
        assert_eq!(ids[0], C::SessionClientAborted);
        let mut ids = vec![C::SessionAbruptEof];
        rerank("okhttp: java.io.EOFException reading frame", &mut ids);
        assert_eq!(ids[0], C::SessionAbruptEof);
    }

    #[test]
    fn an_end_of_stream_takes_the_cause_of_its_phase() {
        let mut ids = vec![C::HttpClosedWithoutResponse];
        assert!(rerank(
            "EOF while receiving messages from the hub",
            &mut ids
        ));
        assert_eq!(ids[0], C::SessionAbruptEof);
        let mut ids = vec![C::TcpTimeout, C::AsyncSlowResponse];
        assert!(rerank(
            "SocketTimeoutException in WebSocketReader.readFrame",
            &mut ids
        ));
        assert_eq!(ids[0], C::SessionNoMessage);
        let mut ids = vec![C::AsyncSendBeforeOpen];
        assert!(rerank(
            "receive failed: ENOTCONN, socket is not connected",
            &mut ids
        ));
        assert_eq!(ids[0], C::SessionAbruptEof);
        // Other kinds keep their ranking.
        let mut ids = vec![C::TlsHandshakeFailed];
        assert!(!rerank("failed in closing handshake", &mut ids));
    }
}
