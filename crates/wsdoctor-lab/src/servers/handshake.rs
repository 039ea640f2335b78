//! 101 responses that break RFC 6455 §4, written with `wsdoctor-proto`.
//!
//! Each fault changes one header of an otherwise correct 101; after it the server runs
//! the codec echo session, so a client that does not check the handshake carries on —
//! which is exactly the bug a diagnosis has to reveal.

use super::HandshakeFault;
use super::canned::UPGRADE_REQUIRED;
use super::{echo, session};
use crate::wire;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};
use std::io;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use wsdoctor_proto::handshake::ServerResponse;

/// The subprotocol the `subprotocol-unrequested` server selects.
pub const UNREQUESTED_PROTOCOL: &str = "chat";
/// The extension the `extension-unoffered` server accepts.
pub const BOGUS_EXTENSION: &str = "x-wsdoctor-bogus";

pub async fn serve<S>(mut stream: S, fault: HandshakeFault) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let head = match wire::read_request(&mut stream).await {
        Ok(head) => head,
        Err(e) => return echo::refuse(stream, e).await,
    };
    let Some(key) = head
        .request
        .header("Sec-WebSocket-Key")
        .filter(|_| head.request.is_websocket_upgrade())
    else {
        return UPGRADE_REQUIRED.reply().send(&mut stream).await;
    };
    stream.write_all(&response(key, fault).to_bytes()).await?;
    session::run(stream, head.rest().to_vec(), None).await
}

/// The faulty 101 for a client key.
pub fn response(key: &str, fault: HandshakeFault) -> ServerResponse {
    let mut resp = ServerResponse::switching_protocols(key);
    let drop_header = |resp: &mut ServerResponse, name: &str| {
        resp.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name))
    };
    match fault {
        HandshakeFault::WrongAccept => {
            drop_header(&mut resp, "Sec-WebSocket-Accept");
            resp = resp.with_header("Sec-WebSocket-Accept", &accept_without_guid(key));
        }
        HandshakeFault::NoUpgrade => drop_header(&mut resp, "Upgrade"),
        HandshakeFault::NoConnection => drop_header(&mut resp, "Connection"),
        // A correct 101 already selects nothing; the fault is ignoring the request.
        HandshakeFault::DropSubprotocol => {}
        HandshakeFault::UnrequestedSubprotocol => {
            resp = resp.with_header("Sec-WebSocket-Protocol", UNREQUESTED_PROTOCOL);
        }
        HandshakeFault::UnofferedExtension => {
            resp = resp.with_header("Sec-WebSocket-Extensions", BOGUS_EXTENSION);
        }
    }
    resp
}

/// base64(SHA-1(key)): the classic hand-written handshake that forgot the GUID.
fn accept_without_guid(key: &str) -> String {
    BASE64.encode(Sha1::digest(key.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_proto::handshake::accept_key;

    // RFC 6455 §1.3's sample key.
    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn header(resp: &ServerResponse, name: &str) -> Option<String> {
        resp.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    #[test]
    fn wrong_accept_differs_from_the_rfc_value() {
        let resp = response(KEY, HandshakeFault::WrongAccept);
        let sent = header(&resp, "Sec-WebSocket-Accept").expect("present");
        assert_ne!(sent, accept_key(KEY));
        assert_eq!(
            resp.headers
                .iter()
                .filter(|(n, _)| n == "Sec-WebSocket-Accept")
                .count(),
            1
        );
    }

    #[test]
    fn each_fault_changes_only_its_header() {
        let good = response(KEY, HandshakeFault::DropSubprotocol);
        assert_eq!(
            header(&good, "Sec-WebSocket-Accept").as_deref(),
            Some(accept_key(KEY).as_str())
        );
        assert!(header(&response(KEY, HandshakeFault::NoUpgrade), "Upgrade").is_none());
        assert!(header(&response(KEY, HandshakeFault::NoUpgrade), "Connection").is_some());
        assert!(header(&response(KEY, HandshakeFault::NoConnection), "Connection").is_none());
        assert!(header(&response(KEY, HandshakeFault::NoConnection), "Upgrade").is_some());
        assert_eq!(
            header(
                &response(KEY, HandshakeFault::UnrequestedSubprotocol),
                "Sec-WebSocket-Protocol"
            )
            .as_deref(),
            Some(UNREQUESTED_PROTOCOL)
        );
        assert_eq!(
            header(
                &response(KEY, HandshakeFault::UnofferedExtension),
                "Sec-WebSocket-Extensions"
            )
            .as_deref(),
            Some(BOGUS_EXTENSION)
        );
    }
}
