//! The lab's own connection caps, and the refusal a client past one gets: a 503 from
//! `Server: wsdoctor-lab` that names the scenario and the cap. Without it an over-cap
//! client saw its connection closed unanswered and `check` blamed the scenario's
//! server; with it the limit is the lab's, said in words `check` quotes (and names
//! the lab from its `Server` header).

use crate::wire::{self, Reply};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// Most simultaneous connections one scenario keeps (its listener and, for the proxy
/// scenarios, the echo behind it each count their own).
pub const MAX_CONNECTIONS: usize = 256;
/// The blocked-event-loop server keeps fewer: every connection shares its one thread.
pub const MAX_BLOCKED_CONNECTIONS: usize = 64;
/// The `Server` header of every refusal.
pub const SERVER_NAME: &str = "wsdoctor-lab";
/// Refusals being written at once; past this an over-cap connection is closed
/// unanswered, so refusing costs a bounded amount too.
const MAX_REFUSALS: usize = 64;
/// A refusal (TLS handshake, reading the request, writing the 503) gets this long.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(2);

/// The refusal's body: what a person reading the 503 (or `check`'s evidence) sees.
pub fn refusal_text(scenario: &str, cap: usize) -> String {
    format!(
        "wsdoctor lab: scenario {scenario} already holds {cap} connections, its cap; close some and retry\n"
    )
}

/// Answers an over-cap connection with the lab's 503, in the background, or drops it
/// when `MAX_REFUSALS` are already being written.
pub(crate) fn refuse(
    refusals: &mut JoinSet<()>,
    stream: TcpStream,
    scenario: &str,
    tls: Option<&TlsAcceptor>,
    cap: usize,
) {
    if refusals.len() >= MAX_REFUSALS {
        return;
    }
    let body = refusal_text(scenario, cap);
    let tls = tls.cloned();
    refusals.spawn(async move {
        let _ = tokio::time::timeout(REFUSAL_DEADLINE, async move {
            match tls {
                Some(acceptor) => {
                    if let Ok(mut s) = acceptor.accept(stream).await {
                        answer(&mut s, &body).await;
                    }
                }
                None => {
                    let mut s = stream;
                    answer(&mut s, &body).await;
                }
            }
        })
        .await;
    });
}

/// Reads the request first (a close with unread bytes would reset the connection and
/// lose the answer), then writes the 503 and closes.
async fn answer<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, body: &str) {
    // Whatever the client sent (even nothing HTTP), it gets the same answer.
    let _ = wire::read_request(s).await;
    let _ = Reply::new(503, "Service Unavailable", "text/plain", body.as_bytes())
        .header("Server", SERVER_NAME)
        .header("Retry-After", "1")
        .send(s)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_names_the_scenario_and_the_cap() {
        let t = refusal_text("healthy-echo", MAX_CONNECTIONS);
        assert!(t.contains("healthy-echo") && t.contains("256"), "{t}");
    }
}
