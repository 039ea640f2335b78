//! The words that mark a WebSocket path. Configurations and logs rarely say which
//! routes carry WebSockets, so `lint` (location patterns) and `logs` (request paths)
//! both guess from the path's name, with this one rule. An access log asks it of every
//! line, so it is a byte check over path segments, not a regex.

/// The segment words that name WebSocket endpoints in the wild: `/ws`, `/websocket`,
/// Socket.IO, SockJS, Action Cable, SignalR hubs, Phoenix LiveView (`live`),
/// "realtime", GraphQL subscriptions.
pub const WS_PATH_WORDS: &[&str] = &[
    "ws",
    "wss",
    "websocket",
    "websockets",
    "socket.io",
    "socketio",
    "socket_io",
    "socket-io",
    "sockjs",
    "cable",
    "hub",
    "hubs",
    "live",
    "realtime",
    "subscriptions",
];

/// Words ending in "hub" that are not SignalR hubs.
const NOT_HUBS: &[&str] = &["github"];

/// The WebSocket word `path` contains, if any. `path` is a request path or a proxy's
/// route pattern: segments are split at `/` and at the regex and glob characters of
/// location patterns (`~ ^/socket\.io/`, `/ws*`), with `\.` read as `.`.
///
/// A segment counts when it is one of [`WS_PATH_WORDS`], a SignalR hub name
/// (`chatHub`, `/chathub` as in ASP.NET's docs; not `github`), or two pieces joined by
/// `-`/`_` one of which is a word (`/graphql-ws`, `/api_ws`, `/sockjs-node`). A longer
/// slug such as `/blog/websockets-at-scale` is prose, not an endpoint, and `/wsdl`,
/// `/ws.json`, `/livestream` are other words.
pub fn ws_path_word(path: &[u8]) -> Option<&'static str> {
    path.split(|&b| is_separator(b)).find_map(segment)
}

/// Whether [`ws_path_word`] finds a word.
pub fn is_ws_path(path: &[u8]) -> bool {
    ws_path_word(path).is_some()
}

fn is_separator(b: u8) -> bool {
    matches!(
        b,
        b'/' | b'^' | b'~' | b'*' | b'(' | b')' | b'|' | b'$' | b'?' | b'[' | b']' | b' ' | b'\t'
    )
}

fn segment(seg: &[u8]) -> Option<&'static str> {
    if seg.len() < 2 || seg.len() > 64 {
        return None;
    }
    // `socket\.io` in a regex location: drop the escapes (rare, so copy only then).
    let mut buf = [0u8; 64];
    let seg = if seg.contains(&b'\\') {
        let mut n = 0;
        for &b in seg.iter().filter(|&&b| b != b'\\') {
            buf[n] = b;
            n += 1;
        }
        &buf[..n]
    } else {
        seg
    };
    if let Some(w) = word(seg).or_else(|| hub(seg)) {
        return Some(w);
    }
    let mut pieces = seg.split(|&b| b == b'-' || b == b'_');
    match (pieces.next(), pieces.next(), pieces.next()) {
        (Some(a), Some(b), None) => word(b).or_else(|| word(a)),
        _ => None,
    }
}

fn word(w: &[u8]) -> Option<&'static str> {
    WS_PATH_WORDS
        .iter()
        .find(|k| k.as_bytes().eq_ignore_ascii_case(w))
        .copied()
}

/// SignalR hub names: letters, then `Hub` (or `hub`), e.g. `chatHub`, `/chathub`.
fn hub(seg: &[u8]) -> Option<&'static str> {
    let n = seg.len();
    let is_hub = n > 3
        && seg[n - 3..].eq_ignore_ascii_case(b"hub")
        && seg[..n - 3].iter().all(u8::is_ascii_alphabetic)
        && !NOT_HUBS
            .iter()
            .any(|x| x.as_bytes().eq_ignore_ascii_case(seg));
    is_hub.then_some("hub")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_paths_by_name() {
        for p in [
            "/ws",
            "/ws/",
            "/WS",
            "/wss",
            "/api/ws",
            "/api/wss",
            "/socket.io/",
            "/socketio",
            "~ ^/socket\\.io/",
            "/sockjs/info",
            "/sockjs-node",
            "/cable",
            "/chatHub",
            "/chathub",
            "/hubs/chat",
            "/live",
            "/live/websocket",
            "/graphql-ws",
            "/v1/realtime",
            "/api_ws",
            "/subscriptions",
            "/ws*",
            "/websocket",
        ] {
            assert!(is_ws_path(p.as_bytes()), "{p}");
        }
        for p in [
            "/",
            "",
            "/api/",
            "/api/cart",
            "/index.html",
            "/static/",
            "/wsdl",
            "/news",
            "/events",
            "/delivery",
            "/cables-shop",
            "/blog/websockets-at-scale",
            "/github",
            "/livestream",
            "/ws.json",
            "/hubspot",
        ] {
            assert!(!is_ws_path(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn the_word_found_is_named() {
        assert_eq!(ws_path_word(b"/graphql-ws"), Some("ws"));
        assert_eq!(ws_path_word(b"/socket.io/?EIO=4"), Some("socket.io"));
        assert_eq!(ws_path_word(b"/chatHub"), Some("hub"));
    }
}
