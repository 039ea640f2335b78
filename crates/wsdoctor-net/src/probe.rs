//! The layer walk: each step records its evidence and timing, and the walk stops at
//! the first layer that makes going on impossible (later layers stay `None`).

use crate::deadline::{Deadline, ms_since};
use crate::dns::{self, DNS_CAP, Target};
use crate::http::{self, UpgradeRequest};
use crate::options::ProbeOptions;
use crate::session;
use crate::stream::BoxIo;
use crate::tcp;
use crate::tls::{self, TlsSetup};
use crate::wire::{Wire, WireObserver};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpStream;
use tokio::time::Instant;
use wsdoctor_core::Layer;
use wsdoctor_core::evidence::{Evidence, Timing, TlsEvidence, TlsOutcome};

/// Probes `opts.url` layer by layer. Never panics on network data and returns by
/// `opts.timeout` (plus the idle time when `--idle` is given).
pub async fn probe(opts: &ProbeOptions, observer: &dyn WireObserver) -> Evidence {
    let mut walk = Walk {
        opts,
        wire: Wire::new(observer, opts.show_secrets),
        deadline: Deadline::after(opts.timeout),
        ev: Evidence {
            url: opts.url.clone(),
            request: opts.request_options(),
            checked_at: unix_now(),
            ..Default::default()
        },
    };
    walk.run().await;
    walk.ev
}

pub(crate) struct Walk<'a> {
    pub opts: &'a ProbeOptions,
    pub wire: Wire<'a>,
    pub deadline: Deadline,
    pub ev: Evidence,
}

impl Walk<'_> {
    async fn run(&mut self) {
        if self.opts.url.host.is_empty() || self.opts.url.port == 0 {
            // The URL layer found nothing to connect to; its issues say why.
            return;
        }
        let target = dns::connect_target(
            &self.opts.url.host,
            self.opts.url.port,
            &self.opts.connect_to,
        );
        let Some(stream) = self.direct_tcp(&target).await else {
            return;
        };
        let io: BoxIo = Box::new(stream);
        let io = if self.opts.url.secure {
            match self.tls(io).await {
                Some(io) => io,
                None => return,
            }
        } else {
            io
        };
        let request = UpgradeRequest::new(self.opts, rand::random());
        let start = Instant::now();
        let (http, upgraded) = http::upgrade(&request, io, self.deadline.end(), self.wire).await;
        self.time(Layer::Http, start);
        self.ev.http = Some(http);
        let Some(upgraded) = upgraded else {
            return;
        };
        let start = Instant::now();
        let (session, _conn) =
            session::run(self.opts, upgraded, self.deadline, self.wire, false).await;
        self.time(Layer::Session, start);
        self.ev.session = Some(session);
    }

    /// TLS over `io` for the URL's host (not a `--connect-to` target: the certificate
    /// must match the name the user asked for).
    async fn tls(&mut self, io: BoxIo) -> Option<BoxIo> {
        let start = Instant::now();
        let (tls, io) = match TlsSetup::new(self.opts) {
            Ok(setup) => {
                tls::handshake(
                    &setup,
                    &self.opts.url.host,
                    io,
                    self.deadline.end(),
                    self.wire,
                )
                .await
            }
            Err(message) => {
                let outcome = TlsOutcome::Failed {
                    alert: None,
                    message,
                };
                (
                    TlsEvidence {
                        outcome,
                        ..Default::default()
                    },
                    None,
                )
            }
        };
        self.time(Layer::Tls, start);
        self.ev.tls = Some(tls);
        io
    }

    /// DNS then TCP to `target`.
    async fn direct_tcp(&mut self, target: &Target) -> Option<TcpStream> {
        let start = Instant::now();
        let dns = dns::resolve(self.opts, target, self.deadline.phase(DNS_CAP), self.wire).await;
        self.time(Layer::Dns, start);
        let addrs = dns.addresses.clone();
        self.ev.dns = Some(dns);
        if addrs.is_empty() {
            return None;
        }
        let start = Instant::now();
        let (tcp, stream) = tcp::connect(&addrs, target.port, self.deadline.end(), self.wire).await;
        self.time(Layer::Tcp, start);
        self.ev.tcp = Some(tcp);
        stream
    }

    pub(crate) fn time(&mut self, layer: Layer, start: Instant) {
        self.ev.timings.push(Timing {
            layer,
            ms: ms_since(start),
        });
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
