//! `wsdoctor check` against small misbehaving servers written here: what a new user
//! meets first (a frame announcing 2^63 bytes, endless fragments, a close before the
//! echo, `wss://` to a port that drops the ClientHello). Each server listens on
//! 127.0.0.1:0, serves a bounded number of connections and every socket has a deadline.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// Connections one test server accepts before it stops (check opens one, `tls` + probe two).
const MAX_CONNECTIONS: usize = 4;
/// Every socket of a test server gives up after this long.
const SOCKET_DEADLINE: Duration = Duration::from_secs(10);

/// Serves `behave` on each accepted connection, in a thread of its own.
fn server(behave: fn(TcpStream)) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().expect("local addr").port();
    std::thread::spawn(move || {
        for s in l.incoming().take(MAX_CONNECTIONS).flatten() {
            let _ = s.set_read_timeout(Some(SOCKET_DEADLINE));
            let _ = s.set_write_timeout(Some(SOCKET_DEADLINE));
            std::thread::spawn(move || behave(s));
        }
    });
    port
}

/// Reads a request head (capped at 16 KiB); `None` if it never ends.
fn read_head(s: &mut TcpStream) -> Option<String> {
    let head = wsdoctor_testkit::http::read_head(s, 16 * 1024).ok()?;
    head.ends_with(b"\r\n\r\n")
        .then(|| String::from_utf8_lossy(&head).into_owned())
}

/// Reads the Upgrade request and answers a correct 101.
fn upgrade(s: &mut TcpStream) -> Option<()> {
    let head = read_head(s)?;
    let key = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("sec-websocket-key")
            .then(|| value.trim().to_string())
    })?;
    let accept = wsdoctor_proto::handshake::accept_key(&key);
    let reply = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    s.write_all(reply.as_bytes()).ok()
}

/// Waits until the client goes away (or the socket deadline passes).
fn drain(mut s: TcpStream) {
    let mut buf = [0u8; 4096];
    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
}

/// A text frame header announcing 2^63 bytes (64-bit length form), then nothing.
fn huge_frame(mut s: TcpStream) {
    if upgrade(&mut s).is_none() {
        return;
    }
    let mut frame = vec![0x81, 127];
    frame.extend_from_slice(&(1u64 << 63).to_be_bytes());
    let _ = s.write_all(&frame);
    drain(s);
}

/// One text message that never ends: a first fragment, then continuations without FIN,
/// 32 MiB in all (twice `check`'s default message cap), then the socket stays open.
fn endless_fragments(mut s: TcpStream) {
    if upgrade(&mut s).is_none() {
        return;
    }
    let chunk = vec![b'x'; 16 * 1024];
    let frame = |opcode: u8| {
        let mut f = vec![opcode, 126];
        f.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        f.extend_from_slice(&chunk);
        f
    };
    if s.write_all(&frame(0x01)).is_err() {
        return;
    }
    let continuation = frame(0x00);
    for _ in 0..(32 << 20) / chunk.len() {
        if s.write_all(&continuation).is_err() {
            return;
        }
    }
    drain(s);
}

/// Closes with 1001 (going away) as soon as the session opens, before any echo.
fn going_away(mut s: TcpStream) {
    if upgrade(&mut s).is_none() {
        return;
    }
    let _ = s.write_all(&[0x88, 2, 0x03, 0xE9]);
    drain(s);
}

/// A plaintext HTTP server that drops a connection whose first byte is not HTTP (a
/// TLS ClientHello starts with 0x16) without a byte of answer, and answers requests.
fn plaintext_dropping_tls(mut s: TcpStream) {
    let mut first = [0u8; 1];
    if s.peek(&mut first).ok() != Some(1) || first[0] == 0x16 {
        return;
    }
    if read_head(&mut s).is_some() {
        let _ = s.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        );
    }
}

/// A "proxy" that answers CONNECT (or a SOCKS5 greeting) with bytes that are no
/// protocol at all, then holds the connection a moment.
fn garbage_proxy(mut s: TcpStream) {
    let mut buf = [0u8; 1024];
    if !matches!(s.read(&mut buf), Ok(n) if n > 0) {
        return;
    }
    let _ = s.write_all(b"\x00\x01garbage, not HTTP\r\n\r\n");
    std::thread::sleep(Duration::from_millis(300));
}

fn url(port: u16) -> String {
    format!("ws://127.0.0.1:{port}/ws")
}

#[test]
fn a_frame_announcing_2_63_bytes_fails_the_session() {
    let port = server(huge_frame);
    let (code, r) = json(&["check", &url(port)]);
    assert_eq!(ids(&r), ["session-message-too-large"], "{r:#}");
    assert_eq!(r["findings"][0]["severity"], "error", "{r:#}");
    assert_eq!(r["verdict"], "failed");
    assert_eq!(code, 17, "session layer exit code");
    let session = &r["evidence"]["session"];
    assert_eq!(session["ping"]["kind"], "not-tried", "{session:#}");
    assert_eq!(
        session["violations"][0]["announced"],
        serde_json::json!(1u64 << 63)
    );
}

#[test]
fn endless_fragments_of_one_message_fail_the_session() {
    let port = server(endless_fragments);
    let (code, r) = json(&["check", &url(port)]);
    assert_eq!(ids(&r), ["session-message-too-large"], "{r:#}");
    assert_eq!(r["verdict"], "failed");
    assert_eq!(code, 17, "session layer exit code");
}

#[test]
fn a_close_before_the_echo_is_the_headline() {
    let port = server(going_away);
    let (code, r) = json(&["check", &url(port)]);
    let found = ids(&r);
    assert_eq!(found[0], "session-close-going-away", "{r:#}");
    assert!(
        !found.contains(&"session-no-echo".to_string()),
        "the echo could not come back after the close: {found:?}"
    );
    assert_eq!(r["findings"][0]["severity"], "error", "{r:#}");
    assert_eq!(code, 17, "no echo, no ping: the session layer failed");
}

#[test]
fn wss_to_a_plaintext_port_that_drops_the_client_hello() {
    let port = server(plaintext_dropping_tls);
    let (code, r) = json(&["check", &format!("wss://127.0.0.1:{port}/ws")]);
    assert_eq!(ids(&r), ["tls-to-plaintext-port"], "{r:#}");
    assert_eq!(code, 14, "tls layer exit code");
    assert_eq!(r["evidence"]["tls"]["plaintext_probe"]["status"], 404);
}

#[test]
fn a_proxy_that_answers_garbage_is_a_proxy_protocol_problem_not_unreachable() {
    let proxy = server(garbage_proxy);
    for scheme in ["http", "socks5"] {
        let proxy_url = format!("{scheme}://127.0.0.1:{proxy}");
        let (code, r) = json(&["check", "ws://127.0.0.1:9/ws", "--proxy", &proxy_url]);
        assert_eq!(ids(&r), ["proxy-bad-reply"], "{scheme}: {r:#}");
        assert_eq!(
            r["evidence"]["proxy"]["outcome"]["kind"], "bad-reply",
            "{r:#}"
        );
        assert_eq!(code, 13, "{scheme}: proxy layer exit code");
    }
}

/// A WebSocket echo (tungstenite) that keeps at most `cap` connections, as a server
/// with a connection limit does: the ones past it get a 503. Serves `cap + 64`
/// connections in all, each socket under the deadline.
fn capped_echo(cap: usize) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().expect("local addr").port();
    std::thread::spawn(move || {
        for (i, s) in l.incoming().take(cap + 64).enumerate() {
            let Ok(mut s) = s else { continue };
            let _ = s.set_read_timeout(Some(SOCKET_DEADLINE));
            let _ = s.set_write_timeout(Some(SOCKET_DEADLINE));
            if i >= cap {
                let _ = read_head(&mut s);
                let _ = s.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\nServer: capped\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            std::thread::spawn(move || {
                let Ok(mut ws) = tungstenite::accept(s) else {
                    return;
                };
                while let Ok(m) = ws.read() {
                    if m.is_text() || m.is_binary() {
                        if ws.send(m).is_err() {
                            break;
                        }
                    } else if ws.flush().is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

fn load_failures(r: &serde_json::Value) -> Vec<(String, u64)> {
    r["evidence"]["load"]["failed"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    let kind = f["kind"].as_str().unwrap_or("").to_string();
                    (kind, f["count"].as_u64().unwrap_or(0))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn load_connections_refused_by_a_connection_cap_are_counted_not_healthy() {
    // The session and the measuring connection fit, one load connection more does.
    let port = capped_echo(3);
    let (code, r) = json(&["check", &url(port), "--concurrency", "5", "--timeout", "5"]);
    assert_eq!(ids(&r), ["async-connection-limit"], "{r:#}");
    assert_eq!(r["verdict"], "warning", "{r:#}");
    assert_eq!(code, 1, "a load that was not applied is not healthy");
    let load = &r["evidence"]["load"];
    assert_eq!(
        (load["requested"].as_u64(), load["connections"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        load_failures(&r),
        [("no-upgrade".to_string(), 4)],
        "{load:#}"
    );
    assert_eq!(load["failed"][0]["status"], 503);
}

#[test]
fn load_connections_past_our_own_descriptor_limit_are_said() {
    let port = capped_echo(200);
    let url = url(port);
    // A shell lowers the open-files limit for wsdoctor alone.
    let o = std::process::Command::new("sh")
        .args(["-c", "ulimit -n 40 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_wsdoctor"))
        .args([
            "check",
            &url,
            "--concurrency",
            "80",
            "--timeout",
            "5",
            "--json",
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("run wsdoctor under sh");
    let r: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)));
    assert!(
        ids(&r).contains(&"async-load-incomplete".to_string()),
        "{r:#}"
    );
    let local: u64 = load_failures(&r)
        .iter()
        .filter(|(k, _)| k == "local-limit")
        .map(|(_, n)| n)
        .sum();
    assert!(local > 0, "{:#}", r["evidence"]["load"]);
    assert_eq!(o.status.code(), Some(1), "{r:#}");
}
