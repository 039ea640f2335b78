//! Which request paths carry WebSockets by their name. Generic errors (a refusal, a
//! 502) count only on WebSocket paths, and an access log asks this of every line, so
//! it is a hand-written byte check rather than a regex.

/// A path with a segment that names a WebSocket endpoint: `ws`, `wss`, `websocket(s)`,
/// Socket.IO, SockJS, Action Cable (`cable`), SignalR (`hub`, `hubs`, `chatHub`),
/// `live`, `realtime`, `subscriptions`, alone or after a `name-`/`name_` prefix
/// (`/graphql-ws`, `/api_ws`). `/websockets-at-scale` (a blog post) and `/github`
/// are not.
pub fn named(path: &[u8]) -> bool {
    path.split(|&b| b == b'/').any(segment)
}

fn segment(seg: &[u8]) -> bool {
    if seg.len() < 2 || seg.len() > 64 {
        return false;
    }
    if word(seg) || camel_hub(seg) {
        return true;
    }
    match seg.iter().rposition(|&b| b == b'-' || b == b'_') {
        Some(i) if i + 1 < seg.len() => word(&seg[i + 1..]),
        _ => false,
    }
}

fn word(w: &[u8]) -> bool {
    // By length first: this runs on every path segment of an access log.
    let is = |k: &[u8]| k.eq_ignore_ascii_case(w);
    match w.len() {
        2 => is(b"ws"),
        3 => is(b"wss") || is(b"hub"),
        4 => is(b"hubs") || is(b"live"),
        5 => is(b"cable"),
        6 => is(b"sockjs"),
        8 => is(b"socketio") || is(b"realtime"),
        9 => is(b"websocket") || is(b"socket.io") || is(b"socket_io") || is(b"socket-io"),
        10 => is(b"websockets"),
        13 => is(b"subscriptions"),
        _ => false,
    }
}

/// SignalR's `chatHub`, `notificationHub`: lower-case letters, then `Hub`.
fn camel_hub(seg: &[u8]) -> bool {
    seg.len() > 3
        && seg.ends_with(b"Hub")
        && seg[..seg.len() - 3].iter().all(u8::is_ascii_alphabetic)
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
            "/socket.io/",
            "/api/ws",
            "/cable",
            "/chatHub",
            "/hubs/chat",
            "/live",
            "/graphql-ws",
            "/v1/realtime",
            "/api_ws",
            "/subscriptions",
            "/sockjs/info",
            "/wss",
        ] {
            assert!(named(p.as_bytes()), "{p}");
        }
        for p in [
            "/",
            "/api/cart",
            "/index.html",
            "/wsdl",
            "/news",
            "/events",
            "",
            "/blog/websockets-at-scale",
            "/github",
            "/livestream",
            "/ws.json",
            "/hubspot",
        ] {
            assert!(!named(p.as_bytes()), "{p}");
        }
    }
}
