//! The exporter's HTTP/1.1 side: one GET (or POST for `/-/reload`) per connection,
//! read with a cap and a deadline, answered with `Connection: close`.
//!
//! Prometheus, curl and browsers are the clients; none needs keep-alive, chunked
//! bodies or HTTP/2 from an exporter, so a request head parsed by httparse is all the
//! server there is, and a slow or hostile client costs one task until its deadline.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Cap on a request head: a probe URL with its query fits many times over.
pub const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request head.
pub const READ_DEADLINE: Duration = Duration::from_secs(10);

/// What the routes need of a request.
#[derive(Debug, Default)]
pub struct Request {
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// `X-Prometheus-Scrape-Timeout-Seconds`, when sent.
    pub scrape_timeout: Option<String>,
}

impl Request {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer: status, content type, body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<String>) -> Response {
        Response {
            status,
            content_type,
            body: body.into(),
        }
    }

    /// A plain-text error whose body names the problem and the fix.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        let mut body = body.into();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        Response::new(status, "text/plain; charset=utf-8", body)
    }
}

/// Why a request could not be read. Each gets its own answer (or none).
#[derive(Debug)]
pub enum ReadError {
    /// The client went away or said nothing in time: no answer is owed.
    Gone,
    TooLarge,
    Malformed,
}

/// Read and parse one request head.
pub async fn read_request(stream: &mut TcpStream) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 2048];
        loop {
            let n = stream.read(&mut chunk).await.map_err(|_| ReadError::Gone)?;
            if n == 0 {
                return Err(ReadError::Gone);
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(req) = parse(&buf)? {
                return Ok(req);
            }
            if buf.len() > MAX_HEAD {
                return Err(ReadError::TooLarge);
            }
        }
    };
    tokio::time::timeout(READ_DEADLINE, read)
        .await
        .unwrap_or(Err(ReadError::Gone))
}

/// `Ok(None)` while the head is incomplete.
fn parse(buf: &[u8]) -> Result<Option<Request>, ReadError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Partial) => Ok(None),
        Err(_) => Err(ReadError::Malformed),
        Ok(httparse::Status::Complete(_)) => {
            let target = req.path.unwrap_or("/");
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let scrape_timeout = req
                .headers
                .iter()
                .find(|h| {
                    h.name
                        .eq_ignore_ascii_case("X-Prometheus-Scrape-Timeout-Seconds")
                })
                .map(|h| String::from_utf8_lossy(h.value).into_owned());
            Ok(Some(Request {
                method: req.method.unwrap_or("").to_string(),
                path: path.to_string(),
                query: url::form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect(),
                scrape_timeout,
            }))
        }
    }
}

/// Write the answer and close. A client that went away is not an error.
pub async fn write_response(stream: &mut TcpStream, resp: &Response, head_only: bool) {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        if !head_only {
            stream.write_all(resp.body.as_bytes()).await?;
        }
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(READ_DEADLINE, write).await;
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_request_is_parsed_with_its_query_and_scrape_timeout() {
        let raw = b"GET /probe?target=ws%3A%2F%2F127.0.0.1%3A1%2F&module=a+b HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 4.5\r\n\r\n";
        let req = parse(raw).unwrap().unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/probe");
        assert_eq!(req.param("target"), Some("ws://127.0.0.1:1/"));
        assert_eq!(req.param("module"), Some("a b"));
        assert_eq!(req.scrape_timeout.as_deref(), Some("4.5"));
    }

    #[test]
    fn partial_and_malformed_heads_are_told_apart() {
        assert!(parse(b"GET /probe HTTP/1.1\r\nHost").unwrap().is_none());
        assert!(matches!(
            parse(b"\x16\x03\x01\x00\x00\r\n\r\n"),
            Err(ReadError::Malformed)
        ));
    }
}
