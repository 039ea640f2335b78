//! wsdoctor-lab: every WebSocket failure, reproducible on loopback.
//!
//! A user who wants to see what wsdoctor does, or to test their own client against
//! broken servers, needs nothing but the binary: [`Lab::start`] starts one server per
//! [`Scenario`] on 127.0.0.1 — wrong URLs, misconfigured servers, bad certificates,
//! proxies and firewalls, broken handshakes and sessions — plus healthy ones. Each
//! scenario declares in [`SCENARIOS`] the cause ids `wsdoctor check` must report
//! against it; `wsdoctor lab`, `wsdoctor tour` and the scenario-matrix test all read
//! that one declaration.
//!
//! Healthy servers run on tokio-tungstenite, an established library, so the lab's
//! notion of "correct" does not depend on wsdoctor's own codec; misbehaving ones are
//! written with `wsdoctor-proto`, which can put broken frames on the wire. Every
//! connection has deadlines and capped buffers, and [`Lab::shutdown`] stops all of it.
//! The library never prints.

mod blocked;
pub mod cap;
mod lab;
pub mod pki;
mod scenario;
mod servers;
mod wire;

pub use lab::{Endpoint, Lab, LabError, LabOptions};
pub use pki::{Cert, PkiError};
pub use scenario::{
    ALLOWED_ORIGIN, BEARER_TOKEN, BLOCKED_LOOP_CONNECTIONS, BLOCKING_HANDLER, CLOSE_AFTER_CODE,
    CLOSE_AFTER_MESSAGES, CheckPlan, Group, IDLE_CUT, PROXY_PASSWORD, PROXY_USER, SCENARIOS,
    SLOW_ECHO, Scenario, TOO_BIG_LIMIT,
};
