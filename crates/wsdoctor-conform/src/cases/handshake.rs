//! Category 0: the opening handshake (RFC 6455 §4.1, §4.2, §4.4, §9, §11.3; RFC 7692 §5;
//! RFC 9112 for the HTTP/1.1 framing under it). Autobahn's category 0 is empty; these
//! cases are wsdoctor's own. Each sends one raw request (see `crate::probe` for why raw)
//! and judges the answer: a 101 that then echoes, a 4xx refusal, or anything else.

use crate::model::{Case, CloseExpect, Expect, Probe, Verdict};
use crate::probe::HandshakeProbe;

use Verdict::{Failed as F, NonStrict as N, Ok as K};

/// A request, header by header, starting from a valid one.
#[derive(Clone)]
struct Req {
    line: String,
    headers: Vec<String>,
    body: String,
}

impl Req {
    fn valid() -> Req {
        Req {
            line: "GET {path} HTTP/1.1".into(),
            headers: [
                "Host: {host}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                "Sec-WebSocket-Key: {key}",
                "Sec-WebSocket-Version: 13",
            ]
            .map(String::from)
            .to_vec(),
            body: String::new(),
        }
    }

    fn line(mut self, l: &str) -> Req {
        self.line = l.into();
        self
    }

    /// Drops every header of that name.
    fn without(mut self, name: &str) -> Req {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.headers
            .retain(|h| !h.to_ascii_lowercase().starts_with(&prefix));
        self
    }

    /// Replaces the header of that name (or adds it) with this exact line.
    fn set(self, name: &str, line: &str) -> Req {
        let mut r = self.clone().without(name);
        let at = self
            .headers
            .iter()
            .position(|h| {
                h.to_ascii_lowercase()
                    .starts_with(&format!("{}:", name.to_ascii_lowercase()))
            })
            .unwrap_or(r.headers.len());
        r.headers.insert(at.min(r.headers.len()), line.into());
        r
    }

    fn add(mut self, line: &str) -> Req {
        self.headers.push(line.into());
        self
    }

    fn body(mut self, b: &str) -> Req {
        self.body = b.into();
        self
    }

    fn build(&self) -> String {
        let mut s = format!("{}\r\n", self.line);
        for h in &self.headers {
            s.push_str(h);
            s.push_str("\r\n");
        }
        s.push_str("\r\n");
        s.push_str(&self.body);
        s
    }
}

/// The verdicts of a case: for a valid 101 that echoes, for a 4xx, for anything else.
fn probe(req: Req, on_accept: Verdict, on_reject: Verdict, on_other: Verdict) -> HandshakeProbe {
    HandshakeProbe {
        request: req.build(),
        protocols: Vec::new(),
        extensions: Vec::new(),
        declined: Vec::new(),
        on_accept,
        on_broken: F,
        on_reject,
        reject_status: None,
        version_header: false,
        on_other,
    }
}

/// A request the server must accept.
fn accept(req: Req) -> HandshakeProbe {
    probe(req, K, F, F)
}

/// A request the server must refuse with an HTTP error (RFC 6455 §4.2.1).
fn refuse(req: Req) -> HandshakeProbe {
    probe(req, F, K, N)
}

fn add_case(
    cases: &mut Vec<Case>,
    id: &str,
    section: &'static str,
    description: &str,
    expectation: &str,
    p: HandshakeProbe,
) {
    let mut c = super::case(
        id,
        section,
        description,
        expectation,
        Vec::new(),
        Expect::nothing(),
        CloseExpect::normal(),
    );
    c.probe = Some(Probe::Handshake(p));
    cases.push(c);
}

pub(crate) fn add(cases: &mut Vec<Case>) {
    let v = Req::valid;
    let mut add = |id, section, d, e, p| add_case(cases, id, section, d, e, p);

    // 0.1 The request line.
    add(
        "0.1.1",
        "RFC 6455 §4.2.1",
        "A valid opening handshake.",
        "101 with the right Sec-WebSocket-Accept; the connection echoes.",
        accept(v()),
    );
    add(
        "0.1.2",
        "RFC 6455 §4.1",
        "The request line says HTTP/1.0.",
        "Refused: the handshake needs HTTP/1.1 or later.",
        refuse(v().line("GET {path} HTTP/1.0")),
    );
    add(
        "0.1.3",
        "RFC 6455 §4.1",
        "POST instead of GET.",
        "Refused (405 or 400).",
        refuse(v().line("POST {path} HTTP/1.1").add("Content-Length: 0")),
    );
    add(
        "0.1.4",
        "RFC 9112 §3.2.2",
        "The request target in absolute form (http://host/path).",
        "Accepted: a server MUST accept the absolute form.",
        probe(v().line("GET http://{host}{path} HTTP/1.1"), K, N, N),
    );
    add(
        "0.1.5",
        "RFC 9110 §9.1",
        "The method in lowercase (get): methods are case-sensitive.",
        "Refused; accepting it is NON-STRICT.",
        probe(v().line("get {path} HTTP/1.1"), N, K, N),
    );

    // 0.2 Upgrade.
    add(
        "0.2.1",
        "RFC 6455 §4.2.1",
        "No Upgrade header.",
        "Refused (400 or 426).",
        refuse(v().without("Upgrade")),
    );
    add(
        "0.2.2",
        "RFC 6455 §4.2.1",
        "Upgrade: WebSocket (the token is case-insensitive).",
        "Accepted.",
        accept(v().set("Upgrade", "Upgrade: WebSocket")),
    );
    add(
        "0.2.3",
        "RFC 6455 §4.2.1",
        "Upgrade: web-socket (not the token).",
        "Refused.",
        refuse(v().set("Upgrade", "Upgrade: web-socket")),
    );
    add(
        "0.2.4",
        "RFC 9110 §7.8",
        "Upgrade: h2c, websocket (a list containing the token).",
        "Accepted; refusing is NON-STRICT.",
        probe(v().set("Upgrade", "Upgrade: h2c, websocket"), K, N, N),
    );
    add(
        "0.2.5",
        "RFC 6455 §4.2.1",
        "An empty Upgrade header.",
        "Refused.",
        refuse(v().set("Upgrade", "Upgrade:")),
    );
    add(
        "0.2.6",
        "RFC 9110 §5.3",
        "Upgrade: websocket on two lines.",
        "Accepted or refused; no answer is NON-STRICT.",
        probe(v().add("Upgrade: websocket"), K, K, N),
    );

    // 0.3 Connection.
    add(
        "0.3.1",
        "RFC 6455 §4.2.1",
        "No Connection header.",
        "Refused.",
        refuse(v().without("Connection")),
    );
    add(
        "0.3.2",
        "RFC 6455 §4.2.1",
        "Connection: keep-alive, Upgrade (as Firefox sends it).",
        "Accepted: the header only has to include the token.",
        accept(v().set("Connection", "Connection: keep-alive, Upgrade")),
    );
    add(
        "0.3.3",
        "RFC 6455 §4.2.1",
        "Connection: upgrade (lowercase).",
        "Accepted: the token is case-insensitive.",
        accept(v().set("Connection", "Connection: upgrade")),
    );
    add(
        "0.3.4",
        "RFC 6455 §4.2.1",
        "Connection: close (no Upgrade token).",
        "Refused.",
        refuse(v().set("Connection", "Connection: close")),
    );
    add(
        "0.3.5",
        "RFC 9110 §5.3",
        "Connection on two lines: keep-alive, then Upgrade.",
        "Accepted: repeated list headers combine; refusing is NON-STRICT.",
        probe(
            v().set("Connection", "Connection: keep-alive")
                .add("Connection: Upgrade"),
            K,
            N,
            N,
        ),
    );
    add(
        "0.3.6",
        "RFC 6455 §4.2.1",
        "Connection: Upgraded (a different token).",
        "Refused.",
        refuse(v().set("Connection", "Connection: Upgraded")),
    );

    // 0.4 Sec-WebSocket-Key.
    add(
        "0.4.1",
        "RFC 6455 §4.2.1",
        "No Sec-WebSocket-Key.",
        "Refused.",
        refuse(v().without("Sec-WebSocket-Key")),
    );
    add(
        "0.4.2",
        "RFC 6455 §4.2.1",
        "A key that decodes to 15 bytes.",
        "Refused: the key must decode to 16 bytes.",
        refuse(v().set(
            "Sec-WebSocket-Key",
            "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA",
        )),
    );
    add(
        "0.4.3",
        "RFC 6455 §4.2.1",
        "A key that decodes to 17 bytes.",
        "Refused.",
        refuse(v().set(
            "Sec-WebSocket-Key",
            "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=",
        )),
    );
    add(
        "0.4.4",
        "RFC 6455 §4.2.1",
        "A 24-character key that is not base64.",
        "Refused.",
        refuse(v().set(
            "Sec-WebSocket-Key",
            "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==",
        )),
    );
    add(
        "0.4.5",
        "RFC 6455 §4.2.1",
        "An empty Sec-WebSocket-Key.",
        "Refused.",
        refuse(v().set("Sec-WebSocket-Key", "Sec-WebSocket-Key:")),
    );
    add(
        "0.4.6",
        "RFC 6455 §11.3.1",
        "Two different Sec-WebSocket-Key headers.",
        "Refused: the key must not appear more than once.",
        refuse(v().add("Sec-WebSocket-Key: {key2}")),
    );
    add(
        "0.4.7",
        "RFC 9110 §5.5",
        "The key surrounded by spaces (optional whitespace).",
        "Accepted, the accept hash computed on the trimmed key.",
        accept(v().set("Sec-WebSocket-Key", "Sec-WebSocket-Key:    {key}   ")),
    );
    add(
        "0.4.8",
        "RFC 6455 §4.2.1",
        "A 16-byte key in base64 without its padding.",
        "Refused; accepting it is NON-STRICT.",
        probe(
            v().set(
                "Sec-WebSocket-Key",
                "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA",
            ),
            N,
            K,
            N,
        ),
    );

    // 0.5 Sec-WebSocket-Version.
    let wrong_version = |value: &str| HandshakeProbe {
        reject_status: Some(426),
        version_header: true,
        ..refuse(v().set(
            "Sec-WebSocket-Version",
            &format!("Sec-WebSocket-Version: {value}"),
        ))
    };
    add(
        "0.5.1",
        "RFC 6455 §4.2.1",
        "No Sec-WebSocket-Version.",
        "Refused.",
        refuse(v().without("Sec-WebSocket-Version")),
    );
    add(
        "0.5.2",
        "RFC 6455 §4.4",
        "Sec-WebSocket-Version: 14.",
        "426 with Sec-WebSocket-Version: 13 (another 4xx with it is NON-STRICT; without it FAILED).",
        wrong_version("14"),
    );
    add(
        "0.5.3",
        "RFC 6455 §4.4",
        "Sec-WebSocket-Version: 100.",
        "426 with Sec-WebSocket-Version: 13.",
        wrong_version("100"),
    );
    add(
        "0.5.4",
        "RFC 6455 §4.4",
        "Sec-WebSocket-Version: thirteen.",
        "A 4xx with Sec-WebSocket-Version: 13.",
        wrong_version("thirteen"),
    );
    add(
        "0.5.5",
        "RFC 6455 §4.4",
        "Sec-WebSocket-Version: 12 (an unassigned number).",
        "426 with Sec-WebSocket-Version: 13.",
        wrong_version("12"),
    );
    add(
        "0.5.6",
        "RFC 6455 §11.3.5",
        "Sec-WebSocket-Version: 13, 8 (a list; a client sends one).",
        "Refused; accepting it is NON-STRICT.",
        probe(
            v().set("Sec-WebSocket-Version", "Sec-WebSocket-Version: 13, 8"),
            N,
            K,
            N,
        ),
    );
    add(
        "0.5.7",
        "RFC 9110 §5.5",
        "Sec-WebSocket-Version with spaces around 13.",
        "Accepted.",
        accept(v().set("Sec-WebSocket-Version", "Sec-WebSocket-Version:   13  ")),
    );

    // 0.6 Host.
    let bad_host = |r: Req| HandshakeProbe {
        reject_status: Some(400),
        ..refuse(r)
    };
    add(
        "0.6.1",
        "RFC 9112 §3.2",
        "No Host header.",
        "400: a server MUST refuse an HTTP/1.1 request without Host.",
        bad_host(v().without("Host")),
    );
    add(
        "0.6.2",
        "RFC 9112 §3.2",
        "Two Host headers with different values.",
        "400: a server MUST refuse more than one Host.",
        bad_host(v().add("Host: wsdoctor.invalid")),
    );

    // 0.7 Origin.
    let origin = |o: &str| HandshakeProbe {
        reject_status: Some(403),
        ..probe(v().add(&format!("Origin: {o}")), K, K, N)
    };
    add(
        "0.7.1",
        "RFC 6455 §4.2.2",
        "Origin: http://wsdoctor.invalid (a foreign site).",
        "Accepted, or refused with 403 if the server checks origins.",
        origin("http://wsdoctor.invalid"),
    );
    add(
        "0.7.2",
        "RFC 6455 §10.2",
        "Origin: null (a sandboxed page).",
        "Accepted, or refused with 403.",
        origin("null"),
    );
    add(
        "0.7.3",
        "RFC 6455 §4.2.2",
        "The obsolete Sec-WebSocket-Origin header (hybi drafts).",
        "Accepted: an unknown header is ignored.",
        accept(v().add("Sec-WebSocket-Origin: http://wsdoctor.invalid")),
    );

    // 0.8 Subprotocols: a 101 selects one offered, or none.
    let protocols = |line: &str, offered: &[&str], on_reject: Verdict| HandshakeProbe {
        protocols: offered.iter().map(|s| s.to_string()).collect(),
        ..probe(v().add(line), K, on_reject, N)
    };
    add(
        "0.8.1",
        "RFC 6455 §4.2.2",
        "One subprotocol offered that the server does not know.",
        "101 without Sec-WebSocket-Protocol (or with the one offered); refusing is NON-STRICT.",
        protocols(
            "Sec-WebSocket-Protocol: wsdoctor.test",
            &["wsdoctor.test"],
            N,
        ),
    );
    add(
        "0.8.2",
        "RFC 6455 §4.2.2",
        "Two subprotocols in one header.",
        "101 selecting one of them or none; never both.",
        protocols(
            "Sec-WebSocket-Protocol: wsdoctor.a, wsdoctor.b",
            &["wsdoctor.a", "wsdoctor.b"],
            N,
        ),
    );
    add(
        "0.8.3",
        "RFC 6455 §11.3.4",
        "Two subprotocols on two header lines.",
        "101 selecting one of them or none.",
        HandshakeProbe {
            protocols: vec!["wsdoctor.a".into(), "wsdoctor.b".into()],
            ..probe(
                v().add("Sec-WebSocket-Protocol: wsdoctor.a")
                    .add("Sec-WebSocket-Protocol: wsdoctor.b"),
                K,
                N,
                N,
            )
        },
    );
    add(
        "0.8.4",
        "RFC 6455 §4.1",
        "An empty Sec-WebSocket-Protocol header.",
        "101 without a subprotocol, or refused.",
        protocols("Sec-WebSocket-Protocol:", &[], K),
    );
    add(
        "0.8.5",
        "RFC 6455 §4.2.2",
        "The same subprotocol offered twice.",
        "101 selecting it once, or none.",
        protocols(
            "Sec-WebSocket-Protocol: wsdoctor.a, wsdoctor.a",
            &["wsdoctor.a"],
            N,
        ),
    );

    // 0.9 Extensions: unknown ones are ignored, invalid permessage-deflate offers declined.
    let ext = |offer: &str, declined: &[&'static str], on_reject: Verdict| HandshakeProbe {
        extensions: vec![offer.to_string()],
        declined: declined.to_vec(),
        ..probe(
            v().add(&format!("Sec-WebSocket-Extensions: {offer}")),
            K,
            on_reject,
            N,
        )
    };
    const PMD: &str = "permessage-deflate";
    add(
        "0.9.1",
        "RFC 6455 §9.1",
        "An unknown extension offered.",
        "101 that does not accept it.",
        ext("x-wsdoctor-unknown", &["x-wsdoctor-unknown"], N),
    );
    add(
        "0.9.2",
        "RFC 7692 §7.1.2.1",
        "permessage-deflate with server_max_window_bits=7 (below 8).",
        "The offer declined (101 without it); refusing is NON-STRICT.",
        ext("permessage-deflate; server_max_window_bits=7", &[PMD], N),
    );
    add(
        "0.9.3",
        "RFC 7692 §5",
        "permessage-deflate with an unknown parameter.",
        "The offer declined.",
        ext("permessage-deflate; x_wsdoctor", &[PMD], N),
    );
    add(
        "0.9.4",
        "RFC 7692 §5",
        "permessage-deflate with a parameter given twice.",
        "The offer declined.",
        ext(
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            &[PMD],
            N,
        ),
    );
    add(
        "0.9.5",
        "RFC 7692 §7.1.2.2",
        "permessage-deflate with client_max_window_bits=16.",
        "The offer declined.",
        ext("permessage-deflate; client_max_window_bits=16", &[PMD], N),
    );
    add(
        "0.9.6",
        "RFC 7692 §7.1.2.1",
        "permessage-deflate with server_max_window_bits=08 (a leading zero).",
        "The offer declined.",
        ext("permessage-deflate; server_max_window_bits=08", &[PMD], N),
    );
    add(
        "0.9.7",
        "RFC 7692 §5",
        "A valid permessage-deflate offer.",
        "101 with a valid answer to it, or without the extension.",
        ext("permessage-deflate; client_max_window_bits", &[], F),
    );
    add(
        "0.9.8",
        "RFC 6455 §9.1",
        "A Sec-WebSocket-Extensions header of only separators.",
        "Accepted without extensions, or refused.",
        ext(";, ;,", &[], K),
    );

    // 0.10 Bodies and request-smuggling shapes.
    let body = |r: Req, on_reject: Verdict| HandshakeProbe {
        on_broken: N,
        ..probe(r, K, on_reject, N)
    };
    add(
        "0.10.1",
        "RFC 9112 §6.3",
        "The GET carries a 5-byte body (Content-Length: 5).",
        "Refused, or accepted with the body not taken as frames (NON-STRICT if it is).",
        body(v().add("Content-Length: 5").body("hello"), K),
    );
    add(
        "0.10.2",
        "RFC 9112 §6.1",
        "Content-Length and Transfer-Encoding: chunked together.",
        "Refused (a smuggling shape); accepting it is NON-STRICT.",
        HandshakeProbe {
            on_broken: N,
            ..probe(
                v().add("Content-Length: 5")
                    .add("Transfer-Encoding: chunked")
                    .body("0\r\n\r\n"),
                N,
                K,
                N,
            )
        },
    );
    add(
        "0.10.3",
        "RFC 9112 §7.1",
        "Transfer-Encoding: chunked with an empty chunked body.",
        "Refused, or accepted with the body consumed.",
        body(v().add("Transfer-Encoding: chunked").body("0\r\n\r\n"), K),
    );
    add(
        "0.10.4",
        "RFC 9112 §5.2",
        "A header folded onto a second line (obs-fold).",
        "400, or the fold replaced by a space and accepted.",
        HandshakeProbe {
            reject_status: Some(400),
            ..probe(v().add("X-Wsdoctor: folded\r\n value"), K, K, N)
        },
    );
    add(
        "0.10.5",
        "RFC 9112 §5.1",
        "Whitespace between a header name and its colon (Upgrade : websocket).",
        "400: a server MUST refuse it.",
        HandshakeProbe {
            reject_status: Some(400),
            ..refuse(v().set("Upgrade", "Upgrade : websocket"))
        },
    );
    add(
        "0.10.6",
        "RFC 9112 §6.3",
        "An invalid Content-Length (5, 6).",
        "400: a server MUST refuse invalid framing.",
        HandshakeProbe {
            reject_status: Some(400),
            ..refuse(v().add("Content-Length: 5, 6"))
        },
    );
    add(
        "0.10.7",
        "RFC 9112 §2.2",
        "Header lines ended by a bare LF.",
        "Accepted or refused with 400.",
        HandshakeProbe {
            request: v().build().replace("\r\n", "\n"),
            ..probe(v(), K, K, N)
        },
    );
    add(
        "0.10.8",
        "RFC 9110 §5.5",
        "A NUL byte in a header value.",
        "Refused, or the NUL replaced and accepted.",
        probe(v().add("X-Wsdoctor: a\0b"), K, K, N),
    );

    // 0.11 Size.
    let cookie = format!("Cookie: wsdoctor={}", "c".repeat(4096));
    add(
        "0.11.1",
        "RFC 9110 §5.4",
        "A 4 KiB Cookie header, as a logged-in browser sends.",
        "Accepted; 431 is NON-STRICT.",
        probe(v().add(&cookie), K, N, N),
    );
}
