//! Servers that answer an Upgrade with an ordinary HTTP response.
//!
//! These reproduce what sits at the wrong URL or in front of the application: a web
//! site, an SPA catch-all, Socket.IO and SockJS endpoints, Python's HTTP/1.0 server, and
//! the error pages of nginx and AWS load balancers. The bytes imitate the real products
//! (status line, `Server` header, body) because that is what a diagnosis fingerprints.

use super::echo;
use crate::wire::{self, Reply};
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};

/// A fixed response. `Content-Length` is added from the body.
#[derive(Debug)]
pub struct Canned {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: &'static str,
    pub status: u16,
    pub reason: &'static str,
    pub headers: &'static [(&'static str, &'static str)],
    pub body: &'static str,
}

impl Canned {
    pub fn reply(&self) -> Reply<'static> {
        let mut headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(n, v)| (*n, v.to_string()))
            .collect();
        headers.push(("Content-Length", self.body.len().to_string()));
        Reply {
            version: self.version,
            status: self.status,
            reason: self.reason,
            headers,
            body: self.body.as_bytes(),
        }
    }
}

/// Answers every request (even a non-HTTP one) with `canned`.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    canned: &Canned,
) -> io::Result<()> {
    match wire::read_request(&mut stream).await {
        Ok(_) | Err(wire::ReadHeadError::NotHttp) | Err(wire::ReadHeadError::Malformed) => {
            canned.reply().send(&mut stream).await
        }
        Err(_) => Ok(()),
    }
}

/// A SockJS server mounted at `prefix`: what sockjs-node answers at each path.
pub async fn sockjs<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    prefix: &str,
) -> io::Result<()> {
    let head = match wire::read_request(&mut stream).await {
        Ok(head) => head,
        Err(e) => return echo::refuse(stream, e).await,
    };
    let rest = head.path().strip_prefix(prefix).unwrap_or("?");
    match rest {
        "" | "/" => SOCKJS_GREETING.reply().send(&mut stream).await,
        "/info" => SOCKJS_INFO.reply().send(&mut stream).await,
        // The raw WebSocket route SockJS offers next to its own protocol.
        "/websocket" => echo::upgrade(stream, head, super::EchoGate::Open).await,
        _ => echo::not_found(&mut stream).await,
    }
}

/// `from` answers 301 to `to` on the same server; `to` is the healthy echo.
pub async fn redirect<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    from: &str,
    to: &str,
    local: SocketAddr,
) -> io::Result<()> {
    let head = match wire::read_request(&mut stream).await {
        Ok(head) => head,
        Err(e) => return echo::refuse(stream, e).await,
    };
    if head.path() == to {
        return echo::upgrade(stream, head, super::EchoGate::Open).await;
    }
    if head.path() != from {
        return echo::not_found(&mut stream).await;
    }
    let body = b"<html><body>Moved Permanently</body></html>";
    Reply::new(301, "Moved Permanently", "text/html; charset=utf-8", body)
        .header("Location", format!("http://{local}{to}"))
        .send(&mut stream)
        .await
}

/// A company web site: 200 and a page, whatever the path.
pub static PLAIN_SITE: Canned = Canned {
    version: "HTTP/1.1",
    status: 200,
    reason: "OK",
    headers: &[
        ("Server", "gunicorn"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Connection", "close"),
    ],
    body: "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Example Shop</title></head>\n\
           <body><h1>Welcome to Example Shop</h1><p>Our products</p></body>\n</html>\n",
};

/// A React/Vue build served with a history-API fallback (Express `app.get('*')`).
pub static SPA_INDEX: Canned = Canned {
    version: "HTTP/1.1",
    status: 200,
    reason: "OK",
    headers: &[
        ("X-Powered-By", "Express"),
        ("Accept-Ranges", "bytes"),
        ("Cache-Control", "public, max-age=0"),
        ("Content-Type", "text/html; charset=UTF-8"),
        ("Connection", "close"),
    ],
    body: "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"/><title>React App</title>\
           <script defer=\"defer\" src=\"/static/js/main.4f3a2b1c.js\"></script></head>\
           <body><noscript>You need to enable JavaScript to run this app.</noscript><div id=\"root\"></div></body></html>",
};

/// What Node's `ws` (noServer: false) answers when the request is not an Upgrade.
pub static UPGRADE_REQUIRED: Canned = Canned {
    version: "HTTP/1.1",
    status: 426,
    reason: "Upgrade Required",
    headers: &[("Content-Type", "text/plain"), ("Connection", "close")],
    body: "Upgrade Required",
};

/// A handler that insists on an application header the client did not send. (Not
/// gorilla's "'upgrade' token not found" answer: wsdoctor always sends the Upgrade
/// headers, so that complaint means a hop dropped them, which `proxy-drops-upgrade` shows.)
pub static BAD_REQUEST: Canned = Canned {
    version: "HTTP/1.1",
    status: 400,
    reason: "Bad Request",
    headers: &[
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Sec-Websocket-Version", "13"),
        ("X-Content-Type-Options", "nosniff"),
        ("Connection", "close"),
    ],
    body: "Bad Request: missing required header X-Client-Id\n",
};

/// uvicorn when the application raised during the handshake.
pub static SERVER_ERROR: Canned = Canned {
    version: "HTTP/1.1",
    status: 500,
    reason: "Internal Server Error",
    headers: &[
        ("Server", "uvicorn"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Connection", "close"),
    ],
    body: "Internal Server Error",
};

/// engine.io's answer to a request without a known transport.
pub static ENGINE_IO: Canned = Canned {
    version: "HTTP/1.1",
    status: 400,
    reason: "Bad Request",
    headers: &[
        ("Content-Type", "application/json"),
        ("Connection", "close"),
    ],
    body: "{\"code\":0,\"message\":\"Transport unknown\"}",
};

static SOCKJS_GREETING: Canned = Canned {
    version: "HTTP/1.1",
    status: 200,
    reason: "OK",
    headers: &[
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Cache-Control", "public, max-age=31536000"),
        ("Connection", "close"),
    ],
    body: "Welcome to SockJS!\n",
};

static SOCKJS_INFO: Canned = Canned {
    version: "HTTP/1.1",
    status: 200,
    reason: "OK",
    headers: &[
        ("Content-Type", "application/json; charset=UTF-8"),
        (
            "Cache-Control",
            "no-store, no-cache, no-transform, must-revalidate, max-age=0",
        ),
        ("Connection", "close"),
    ],
    body: "{\"websocket\":true,\"origins\":[\"*:*\"],\"cookie_needed\":false,\"entropy\":2867193051}",
};

/// `python3 -m http.server`: HTTP/1.0 only, a directory listing.
pub static SIMPLE_HTTP_1_0: Canned = Canned {
    version: "HTTP/1.0",
    status: 200,
    reason: "OK",
    headers: &[
        ("Server", "SimpleHTTP/0.6 Python/3.11.2"),
        ("Content-type", "text/html; charset=utf-8"),
    ],
    body: "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
           <title>Directory listing for /</title>\n</head>\n<body>\n<h1>Directory listing for /</h1>\n<hr>\n\
           <ul>\n<li><a href=\"index.html\">index.html</a></li>\n<li><a href=\"app.js\">app.js</a></li>\n</ul>\n<hr>\n</body>\n</html>\n",
};

/// nginx when its upstream refuses connections.
pub static NGINX_502: Canned = Canned {
    version: "HTTP/1.1",
    status: 502,
    reason: "Bad Gateway",
    headers: &[
        ("Server", "nginx/1.24.0"),
        ("Content-Type", "text/html"),
        ("Connection", "close"),
    ],
    body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
           <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n",
};

/// An AWS Application Load Balancer without a healthy target.
pub static ELB_503: Canned = Canned {
    version: "HTTP/1.1",
    status: 503,
    reason: "Service Temporarily Unavailable",
    headers: &[
        ("Server", "awselb/2.0"),
        ("Content-Type", "text/html"),
        ("Connection", "close"),
    ],
    body: "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n\
           <center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n",
};

/// nginx when its upstream did not answer within proxy_read_timeout.
pub static NGINX_504: Canned = Canned {
    version: "HTTP/1.1",
    status: 504,
    reason: "Gateway Time-out",
    headers: &[
        ("Server", "nginx/1.24.0"),
        ("Content-Type", "text/html"),
        ("Connection", "close"),
    ],
    body: "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n\
           <center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n",
};
