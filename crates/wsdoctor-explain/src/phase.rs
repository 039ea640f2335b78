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
];

/// The phase the text places its failure in, if it says.
pub fn of(text: &str) -> Option<Phase> {
    let lower = text.to_ascii_lowercase();
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
    client_left(text, ids) || phased
}

fn rerank_phase(text: &str, ids: &mut Vec<C>) -> bool {
    let Some(first) = ids.first().copied() else {
        return false;
    };
    let Some((_, by_phase)) = KINDS.iter().find(|(kind, _)| kind.contains(&first)) else {
        return false;
    };
    let Some(phase) = of(text) else { return false };
    let want = by_phase[phase as usize];
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
