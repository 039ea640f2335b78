//! Which routes carry WebSockets. Configurations rarely say so, so rules only fire
//! where there is a reason to believe it: the path looks like a WebSocket endpoint, the
//! route already sets an Upgrade header, or the user named the path with `--ws-path`.
//! Every finding states which reason applied, so a wrong guess is easy to spot.

/// With the ping interval unknown, an idle timeout below this many seconds cuts
/// WebSockets whatever the application does: the frequent keep-alives of common
/// stacks are slower.
pub const UNKNOWN_PING_FLOOR: u64 = 10;

/// The keep-alives the floor is set below, for findings.
pub const COMMON_PINGS: &str = "SignalR 15 s, Python websockets 20 s, Socket.IO 25 s, Phoenix 30 s";

/// With the ping interval unknown, idle timeouts up to this many seconds are noted
/// (the application must ping more often); longer ones are not mentioned.
pub const UNKNOWN_PING_CEILING: u64 = 300;

/// Why a route is treated as a WebSocket route, said in findings.
pub fn path_reason(path: &str, user_paths: &[String]) -> Option<String> {
    if let Some(p) = user_paths.iter().find(|p| path_covers(path, p)) {
        return Some(format!("--ws-path {p} falls under it"));
    }
    // The words are the shared table's (wsdoctor-core), the same `logs` uses.
    wsdoctor_core::tables::ws_path_word(path.as_bytes())
        .map(|word| format!("its path {path} contains \"{word}\""))
}

/// Whether a route for `route` (a prefix, possibly with a trailing `*`) serves `path`.
pub fn path_covers(route: &str, path: &str) -> bool {
    let route = route.trim_end_matches('*');
    if route.is_empty() || route == "/" {
        return true;
    }
    path.starts_with(route) || path.trim_end_matches('/') == route.trim_end_matches('/')
}

/// The framework a route's path names and its default ping (heartbeat) interval in
/// seconds: Socket.IO's `pingInterval` (25 s), SockJS's heartbeat (25 s), SignalR's
/// `KeepAliveInterval` (15 s).
pub fn framework_ping(path: &str) -> Option<(&'static str, u64)> {
    let p = path.to_ascii_lowercase();
    if p.contains("socket.io") || p.contains("socket\\.io") {
        Some(("Socket.IO", 25))
    } else if p.contains("sockjs") {
        Some(("SockJS", 25))
    } else if wsdoctor_core::tables::ws_path_word(path.as_bytes()) == Some("hub") {
        Some(("SignalR", 15))
    } else {
        None
    }
}

/// True when the path is a Socket.IO (or SockJS) endpoint, whose long-polling fallback
/// needs every request of a session on the same backend.
pub fn is_polling_endpoint(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    [
        "socket.io",
        "socket\\.io",
        "socketio",
        "socket_io",
        "socket-io",
        "sockjs",
    ]
    .iter()
    .any(|w| p.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_looking_paths_are_recognised() {
        for p in [
            "/ws",
            "/ws/",
            "/api/ws",
            "/socket.io/",
            "/socketio",
            "~ ^/socket\\.io/",
            "/sockjs-node",
            "/cable",
            "/chathub",
            "/hubs/chat",
            "/live/websocket",
            "/realtime",
            "/websocket",
            "/api/wss",
        ] {
            assert!(path_reason(p, &[]).is_some(), "{p}");
        }
        for p in [
            "/",
            "/api/",
            "/news",
            "/static/",
            "/wsdl",
            "/delivery",
            "/cables-shop",
        ] {
            assert!(path_reason(p, &[]).is_none(), "{p}");
        }
    }

    #[test]
    fn user_paths_win() {
        let user = vec!["/feed/updates".to_string()];
        let why = path_reason("/feed/", &user).unwrap();
        assert!(why.contains("--ws-path"));
        assert!(path_covers("/ws*", "/ws/x"));
        assert!(!path_covers("/api/", "/ws"));
    }
}
