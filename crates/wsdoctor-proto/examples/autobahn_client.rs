//! Autobahn|Testsuite client testee (`wstest -m fuzzingserver`) built on wsdoctor-proto with
//! blocking std IO: asks for the case count, runs every case echoing each message, then asks
//! for the report. Offers permessage-deflate.
//!
//! Environment: `AUTOBAHN_URL` (default `ws://127.0.0.1:9001`), `AUTOBAHN_AGENT` (default
//! `wsdoctor`). Optional argument: a single case number to run.

mod common;

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Duration;
use wsdoctor_proto::deflate::{self, Params};
use wsdoctor_proto::handshake::{self, ClientRequest};
use wsdoctor_proto::session::{Config, Role, Session};

fn main() {
    let url = std::env::var("AUTOBAHN_URL").unwrap_or_else(|_| "ws://127.0.0.1:9001".into());
    let agent = std::env::var("AUTOBAHN_AGENT").unwrap_or_else(|_| "wsdoctor".into());
    let Some(host) = url
        .strip_prefix("ws://")
        .map(|h| h.trim_end_matches('/').to_string())
    else {
        eprintln!("autobahn_client: AUTOBAHN_URL must be ws://host:port, got {url}");
        std::process::exit(2);
    };
    let only: Option<u32> = std::env::args().nth(1).and_then(|a| a.parse().ok());
    let count = match run(&host, "/getCaseCount", false) {
        Ok(texts) => texts.first().and_then(|t| t.trim().parse::<u32>().ok()),
        Err(e) => {
            eprintln!("autobahn_client: getCaseCount failed: {e}");
            std::process::exit(1);
        }
    };
    let Some(count) = count else {
        eprintln!("autobahn_client: no case count received");
        std::process::exit(1);
    };
    println!("{count} cases");
    for case in 1..=count {
        if only.is_some_and(|o| o != case) {
            continue;
        }
        if let Err(e) = run(&host, &format!("/runCase?case={case}&agent={agent}"), true) {
            eprintln!("case {case}: {e}");
        }
    }
    if let Err(e) = run(&host, &format!("/updateReports?agent={agent}"), false) {
        eprintln!("autobahn_client: updateReports failed: {e}");
        std::process::exit(1);
    }
}

/// One connection: handshake, then the session loop.
fn run(host: &str, path: &str, echo: bool) -> io::Result<Vec<String>> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let offer = Params::default();
    let request = ClientRequest {
        path: path.into(),
        host: host.into(),
        key: handshake::key_from_bytes(rand::random()),
        extensions: vec![offer.offer()],
        ..ClientRequest::default()
    };
    stream.write_all(&request.to_bytes())?;
    let (response, leftover) = read_response(&mut stream)?;
    let problems = handshake::response_problems(&response, &request);
    if !problems.is_empty() {
        return Err(io::Error::other(format!("handshake: {problems:?}")));
    }
    let agreed =
        deflate::accept_response(&offer, response.headers_named("Sec-WebSocket-Extensions"))
            .map_err(|e| io::Error::other(format!("permessage-deflate: {e}")))?;
    let cfg = Config {
        max_message: common::MAX_MESSAGE,
        max_frame: common::MAX_MESSAGE,
        deflate: agreed,
        ..Config::new(Role::Client)
    };
    common::drive(&mut stream, &mut Session::new(cfg), &leftover, echo)
}

fn read_response(stream: &mut TcpStream) -> io::Result<(handshake::Response, Vec<u8>)> {
    common::read_head(stream, |buf| {
        handshake::parse_response(buf, common::MAX_HEAD).map(|h| {
            h.map(|h| {
                let len = h.head_len;
                (h, len)
            })
        })
    })
}
