//! Autobahn|Testsuite server testee (`wstest -m fuzzingclient`) built on wsdoctor-proto with
//! blocking std IO: an echo server, one thread per connection, with permessage-deflate.
//!
//! Usage: `autobahn_server [PORT]` — binds 127.0.0.1:PORT (default 0 = any free port) and
//! prints `listening on 127.0.0.1:PORT` once ready.

mod common;

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;
use wsdoctor_proto::deflate;
use wsdoctor_proto::handshake::{self, ServerResponse};
use wsdoctor_proto::session::{Config, Role, Session};

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            if let Err(e) = serve(stream) {
                eprintln!("connection: {e}");
            }
        });
    }
    Ok(())
}

fn serve(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let (request, leftover) = read_request(&mut stream)?;
    let Some(key) = request
        .header("Sec-WebSocket-Key")
        .filter(|_| request.is_websocket_upgrade())
    else {
        stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    let mut response = ServerResponse::switching_protocols(key);
    let agreed = deflate::accept_offer(request.headers_named("Sec-WebSocket-Extensions"));
    if let Some((_, value)) = &agreed {
        response = response.with_header("Sec-WebSocket-Extensions", value);
    }
    stream.write_all(&response.to_bytes())?;
    let cfg = Config {
        max_message: common::MAX_MESSAGE,
        max_frame: common::MAX_MESSAGE,
        deflate: agreed.map(|(params, _)| params),
        ..Config::new(Role::Server)
    };
    common::drive(&mut stream, &mut Session::new(cfg), &leftover, true).map(|_| ())
}

fn read_request(stream: &mut TcpStream) -> io::Result<(handshake::Request, Vec<u8>)> {
    common::read_head(stream, |buf| {
        handshake::parse_request(buf, common::MAX_HEAD).map(|h| {
            h.map(|h| {
                let len = h.head_len;
                (h, len)
            })
        })
    })
}
