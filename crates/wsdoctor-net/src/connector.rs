//! Many connections to one endpoint, for load (`wsdoctor bench`): the same DNS, TCP,
//! proxy, TLS and Upgrade code as `check`, run again and again, each phase timed, and
//! every failure handed back as the partial [`Evidence`] `check` would have recorded,
//! so the cause id comes from the same rules ([`wsdoctor_core::diagnose`]) and a load
//! tool never invents a second classification. Nothing is traced (`-v` is `check`'s).

use crate::deadline::ms_since as ms;
use crate::dns::{self, DNS_CAP, Target};
use crate::http::{self, UpgradeRequest};
use crate::options::ProbeOptions;
use crate::proxy::{self, Route};
use crate::stream::BoxIo;
use crate::tcp;
use crate::tls::{self, TlsSetup};
use crate::wire::{NoWire, Wire};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;
use wsdoctor_core::evidence::{
    CloseOutcome, Evidence, HttpOutcome, MessageOutcome, PingOutcome, SessionEvidence,
};
use wsdoctor_core::{CauseId, Severity};
use wsdoctor_proto::session::{Config, ProtocolViolation, Role};

/// Opens upgraded connections to `opts.url`, again and again. Cheap to share: the TLS
/// configuration is loaded once.
pub struct Connector {
    opts: ProbeOptions,
    route: Route,
    target: Target,
    tls: Option<Arc<TlsSetup>>,
}

/// How long each phase of one connection took, in milliseconds. `dns` is `None` for
/// an IP literal (or through a proxy), `tls` for `ws://`, `proxy` without one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ConnectTimes {
    pub dns: Option<f64>,
    pub tcp: Option<f64>,
    pub proxy: Option<f64>,
    pub tls: Option<f64>,
    pub upgrade: f64,
}

/// An upgraded connection: the byte stream, the bytes that came after the 101's head
/// (possibly the first frames) and the session settings the handshake negotiated
/// (permessage-deflate when offered and accepted, `--max-message`).
pub struct Upgraded {
    pub io: WsIo,
    pub leftover: Vec<u8>,
    pub session: Config,
    pub times: ConnectTimes,
}

/// Why a connection could not be opened: what `check` would have recorded up to there.
#[derive(Debug)]
pub struct ConnectFailure {
    pub evidence: Box<Evidence>,
}

impl ConnectFailure {
    /// The catalog id `check` gives this failure (its first error, else first warning).
    pub fn cause(&self) -> CauseId {
        first_cause(&self.evidence).unwrap_or(CauseId::HttpNotUpgraded)
    }
}

/// How an open connection ended, as `check` would classify it.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEnd {
    /// The server's close frame, with its code.
    Closed {
        code: Option<u16>,
        reason: String,
    },
    /// TCP ended without a close frame.
    Eof,
    Reset,
    /// The server broke RFC 6455.
    Violation(ProtocolViolation),
}

impl SessionEnd {
    /// The catalog id `check` reports for this end, or `None` for a normal close (1000).
    pub fn cause(&self) -> Option<CauseId> {
        let mut session = SessionEvidence {
            message: MessageOutcome::Echoed { ms: 0.0 },
            ping: PingOutcome::Pong {
                ms: 0.0,
                payload_matches: true,
            },
            ..SessionEvidence::default()
        };
        match self {
            SessionEnd::Closed { code, reason } => {
                session.close = CloseOutcome::ByServer {
                    code: *code,
                    reason: reason.clone(),
                    after_ms: 0.0,
                }
            }
            SessionEnd::Eof => session.close = CloseOutcome::Eof { after_ms: 0.0 },
            SessionEnd::Reset => session.close = CloseOutcome::Reset { after_ms: 0.0 },
            SessionEnd::Violation(v) => session.violations.push(crate::session::violation(v)),
        }
        let evidence = Evidence {
            session: Some(session),
            ..Evidence::default()
        };
        first_cause(&evidence)
    }
}

impl Connector {
    /// Loads TLS files and the proxy choice once. The error names the file or proxy.
    pub fn new(opts: ProbeOptions) -> Result<Connector, String> {
        let route = proxy::route(&opts);
        if let Route::Invalid { message, .. } = &route {
            return Err(message.clone());
        }
        let tls = if opts.url.secure {
            Some(Arc::new(TlsSetup::new(&opts)?))
        } else {
            None
        };
        let target = dns::connect_target(&opts.url.host, opts.url.port, &opts.connect_to);
        Ok(Connector {
            opts,
            route,
            target,
            tls,
        })
    }

    pub fn options(&self) -> &ProbeOptions {
        &self.opts
    }

    /// One upgraded connection by `end`, or what `check` would have seen instead.
    pub async fn connect(&self, end: Instant) -> Result<Upgraded, ConnectFailure> {
        let quiet = Wire::new(&NoWire, self.opts.show_secrets);
        let mut ev = self.evidence();
        let mut times = ConnectTimes::default();
        let fail = |ev: Evidence| ConnectFailure {
            evidence: Box::new(ev),
        };
        let Some(io) = self.secured(end, &mut ev, &mut times).await else {
            return Err(fail(ev));
        };
        let request = UpgradeRequest::new(&self.opts, rand::random());
        let start = Instant::now();
        let (http, upgraded) = http::upgrade(&request, io, end, quiet).await;
        times.upgrade = ms(start);
        let ok = matches!(&http.outcome, HttpOutcome::Response(r) if r.status == 101);
        ev.http = Some(http);
        let Some(up) = upgraded.filter(|_| ok) else {
            return Err(fail(ev));
        };
        // A 101 that breaks RFC 6455 §4.1 (a wrong accept key, …) is refused as check
        // refuses it: by the same rules.
        if first_error(&ev).is_some() {
            return Err(fail(ev));
        }
        let mut session = Config::new(Role::Client);
        session.max_message = self.opts.max_message;
        session.max_frame = self.opts.max_message;
        session.deflate = crate::session::negotiated_deflate(&self.opts.extensions, &up.response);
        Ok(Upgraded {
            io: WsIo(up.io),
            leftover: up.leftover,
            session,
            times,
        })
    }

    /// The byte stream up to where HTTP starts — DNS, TCP or the proxy tunnel, and TLS
    /// for `wss://` — for a caller that writes its own requests (`conform` sends broken
    /// ones on purpose); the failure is what `check` would have recorded.
    pub async fn open_stream(&self, end: Instant) -> Result<WsIo, ConnectFailure> {
        let mut ev = self.evidence();
        match self
            .secured(end, &mut ev, &mut ConnectTimes::default())
            .await
        {
            Some(io) => Ok(WsIo(io)),
            None => Err(ConnectFailure {
                evidence: Box::new(ev),
            }),
        }
    }

    fn evidence(&self) -> Evidence {
        Evidence {
            url: self.opts.url.clone(),
            request: self.opts.request_options(),
            checked_at: crate::probe::unix_now(),
            ..Default::default()
        }
    }

    /// The transport, then the TLS handshake for `wss://`; each recorded into `ev`.
    async fn secured(
        &self,
        end: Instant,
        ev: &mut Evidence,
        times: &mut ConnectTimes,
    ) -> Option<BoxIo> {
        let io = self.transport(end, ev, times).await?;
        let Some(setup) = &self.tls else {
            return Some(io);
        };
        let quiet = Wire::new(&NoWire, self.opts.show_secrets);
        let start = Instant::now();
        let (tls, io) = tls::handshake(setup, &self.opts.url.host, io, end, quiet).await;
        times.tls = Some(ms(start));
        ev.tls = Some(tls);
        io
    }

    /// DNS and TCP, or the proxy tunnel; each recorded into `ev`.
    async fn transport(
        &self,
        end: Instant,
        ev: &mut Evidence,
        times: &mut ConnectTimes,
    ) -> Option<BoxIo> {
        let quiet = Wire::new(&NoWire, self.opts.show_secrets);
        if let Route::Proxy(chosen) = &self.route {
            let start = Instant::now();
            let t = proxy::tunnel(chosen, &self.target, &self.opts, end, quiet).await;
            times.proxy = Some(ms(start));
            ev.dns = t.target_dns;
            ev.proxy = Some(t.evidence);
            return t.io;
        }
        let start = Instant::now();
        let dns = dns::resolve(
            &self.opts,
            &self.target,
            end.min(Instant::now() + DNS_CAP),
            quiet,
        )
        .await;
        if !dns.queries.is_empty() {
            times.dns = Some(ms(start));
        }
        let addrs = dns.addresses.clone();
        ev.dns = Some(dns);
        if addrs.is_empty() {
            return None;
        }
        let start = Instant::now();
        let (tcp, stream) = tcp::connect(&addrs, self.target.port, end, quiet).await;
        times.tcp = Some(ms(start));
        ev.tcp = Some(tcp);
        stream.map(|s| Box::new(s) as BoxIo)
    }
}

/// The byte stream of an upgraded connection (TCP, a proxy tunnel, TLS over either).
pub struct WsIo(BoxIo);

impl AsyncRead for WsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for WsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

fn first_error(ev: &Evidence) -> Option<CauseId> {
    wsdoctor_core::diagnose(ev)
        .into_iter()
        .find(|f| f.severity == Severity::Error)
        .map(|f| f.id)
}

fn first_cause(ev: &Evidence) -> Option<CauseId> {
    let findings = wsdoctor_core::diagnose(ev);
    let first = |s: Severity| findings.iter().find(|f| f.severity == s).map(|f| f.id);
    first(Severity::Error).or_else(|| first(Severity::Warning))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ends_take_checks_ids() {
        let closed = |code| SessionEnd::Closed {
            code: Some(code),
            reason: String::new(),
        };
        assert_eq!(closed(1000).cause(), None);
        assert_eq!(closed(1013).cause(), Some(CauseId::SessionCloseTryLater));
        assert_eq!(closed(1011).cause(), Some(CauseId::SessionCloseServerError));
        assert_eq!(SessionEnd::Eof.cause(), Some(CauseId::SessionAbruptEof));
        assert_eq!(SessionEnd::Reset.cause(), Some(CauseId::SessionReset));
        assert_eq!(
            SessionEnd::Violation(ProtocolViolation::MaskedFrameFromServer).cause(),
            Some(CauseId::SessionMaskedFrame)
        );
    }
}
