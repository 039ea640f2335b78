//! SOCKS5 through tokio-socks, over the TCP stream we already connected and timed,
//! so the proxy hop has the same evidence as a direct connection.

use super::{Chosen, authority};
use crate::dns::{self, Target};
use crate::options::ProbeOptions;
use crate::stream::BoxIo;
use crate::wire::Wire;
use tokio::time::{Instant, timeout_at};
use tokio_socks::Error as SocksError;
use tokio_socks::tcp::Socks5Stream;
use wsdoctor_core::evidence::{DnsEvidence, ProxyOutcome};

/// Opens the SOCKS5 tunnel. With `socks5://` the target is resolved here (and its DNS
/// evidence returned); with `socks5h://` the proxy resolves it.
pub(crate) async fn connect(
    io: BoxIo,
    target: &Target,
    chosen: &Chosen,
    credentials: Option<(String, String)>,
    opts: &ProbeOptions,
    end: Instant,
    wire: Wire<'_>,
) -> (ProxyOutcome, Option<DnsEvidence>, Option<BoxIo>) {
    let mut dns_ev = None;
    let dest: (String, u16) = if chosen.local_dns {
        let ev = dns::resolve(opts, target, end.min(Instant::now() + dns::DNS_CAP), wire).await;
        let first = ev.addresses.first().copied();
        dns_ev = Some(ev);
        match first {
            Some(ip) => (ip.to_string(), target.port),
            None => {
                let outcome = ProxyOutcome::Error {
                    message: format!("cannot resolve {} for the SOCKS5 request", target.host),
                };
                return (outcome, dns_ev, None);
            }
        }
    } else {
        (target.host.clone(), target.port)
    };
    wire.note(format!("SOCKS5 CONNECT {}", authority(target)));
    let handshake = async {
        match &credentials {
            Some((user, pass)) => {
                Socks5Stream::connect_with_password_and_socket(io, dest, user, pass).await
            }
            None => Socks5Stream::connect_with_socket(io, dest).await,
        }
    };
    match timeout_at(end, handshake).await {
        Err(_) => (ProxyOutcome::Timeout, dns_ev, None),
        Ok(Ok(stream)) => {
            wire.note("SOCKS5 tunnel open");
            (ProxyOutcome::Tunnel, dns_ev, Some(Box::new(stream)))
        }
        Ok(Err(e)) => {
            wire.note(format!("SOCKS5 failed: {e}"));
            (classify(&e), dns_ev, None)
        }
    }
}

/// SOCKS5 reply codes (RFC 1928 §6) become the `status` of a refusal.
fn classify(e: &SocksError) -> ProxyOutcome {
    let refused = |status| ProxyOutcome::Refused { status };
    match e {
        SocksError::NoAcceptableAuthMethods
        | SocksError::PasswordAuthFailure(_)
        | SocksError::AuthorizationRequired => ProxyOutcome::AuthRequired {
            scheme: Some("username/password".to_string()),
        },
        SocksError::GeneralSocksServerFailure => refused(1),
        SocksError::ConnectionNotAllowedByRuleset => refused(2),
        SocksError::NetworkUnreachable => refused(3),
        SocksError::HostUnreachable => refused(4),
        SocksError::ConnectionRefused => refused(5),
        SocksError::TtlExpired => refused(6),
        SocksError::CommandNotSupported => refused(7),
        SocksError::AddressTypeNotSupported => refused(8),
        SocksError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ProxyOutcome::Closed
        }
        SocksError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionReset => {
            ProxyOutcome::Closed
        }
        // The proxy answered, but not as a SOCKS5 server does (an HTTP proxy or
        // another service on that port).
        SocksError::InvalidResponseVersion
        | SocksError::InvalidReservedByte
        | SocksError::UnknownAddressType
        | SocksError::UnknownAuthMethod => ProxyOutcome::BadReply {
            message: format!("the proxy did not answer like a SOCKS5 server: {e}"),
        },
        other => ProxyOutcome::Error {
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_codes_become_statuses() {
        assert_eq!(
            classify(&SocksError::ConnectionNotAllowedByRuleset),
            ProxyOutcome::Refused { status: 2 }
        );
        assert!(matches!(
            classify(&SocksError::PasswordAuthFailure(1)),
            ProxyOutcome::AuthRequired { .. }
        ));
    }
}
