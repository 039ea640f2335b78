//! wsdoctor-net: the live probe. It walks URL → DNS → TCP → proxy → TLS → HTTP
//! Upgrade → WebSocket session → close against a real endpoint and records what
//! happened at each layer as [`wsdoctor_core::Evidence`]. It makes no judgement:
//! outcomes are classified (refused, timed out, NXDOMAIN, expired certificate, …) and
//! the pure rules in `wsdoctor-core` turn them into findings.
//!
//! Every phase runs under one overall deadline and every buffer has a cap, so a
//! hostile or broken server can make the probe report a failure but never hang it,
//! crash it or make it eat memory. Nothing here prints: `-v` output goes through a
//! [`WireObserver`].

pub mod capture;
mod connector;
mod deadline;
mod dns;
mod http;
mod http2;
mod options;
mod over_time;
mod probe;
mod proxy;
mod session;
mod stream;
mod tcp;
mod text;
mod tls;
mod wire;

pub use connector::{ConnectFailure, ConnectTimes, Connector, SessionEnd, Upgraded, WsIo};
pub use http2::{H2Stream, StreamState};
pub use options::{CaStore, ConnectTo, Family, Http2Mode, ProbeOptions, ProxySetting, Resolve};
pub use probe::probe;
pub use proxy::validate_proxy;

/// Loads the `--cacert`, `--cert` and `--key` files the options name, so a file
/// that is not what it claims is refused before any IO; the error names the file.
pub fn validate_tls_files(opts: &ProbeOptions) -> Result<(), String> {
    if opts.cacert.is_none() && opts.client_cert.is_none() && opts.client_key.is_none() {
        return Ok(());
    }
    tls::TlsSetup::new(opts).map(|_| ())
}
pub use wire::{NoWire, WireLine, WireObserver};
