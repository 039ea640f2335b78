//! wsdoctor-explain: error texts in, catalog causes out.
//!
//! Users often hold only what a browser console, a library exception or a server log
//! said. This crate turns that text into the same catalog causes `check` reports:
//! [`explain`] for one pasted message, close code, status or cause id. Its rules and
//! their matcher ([`rules`]) are also what `wsdoctor-logs` runs over whole log files,
//! so a line and a pasted message get the same cause. It also owns the shared readings
//! of close codes ([`close_code`]) and handshake statuses ([`status_cause`]). No
//! printing: callers render the results.

pub mod closecode;
pub mod concepts;
pub mod eval;
pub mod explain;
pub mod phase;
pub mod rules;
pub mod status;
pub mod tell;
pub mod vocab;

pub use closecode::{CloseCode, CloseCodeInfo, CloseRange, close_causes, close_code};
pub use explain::{Explanation, explain};
pub use status::{status_cause, status_causes};
pub use wsdoctor_core::CauseId;

/// One row of `wsdoctor explain exit-codes`.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ExitCode {
    pub code: i32,
    pub meaning: &'static str,
    /// The failing layer, for codes 10 and up.
    pub layer: Option<wsdoctor_core::Layer>,
}

/// Every exit code wsdoctor uses: 0–3 fixed, then one per failing layer (taken from
/// `Layer::exit_code`, never renumbered).
pub fn exit_codes() -> Vec<ExitCode> {
    let mut v = vec![
        ExitCode {
            code: 0,
            meaning: "ok: healthy (check), recognised (explain), nothing found (logs)",
            layer: None,
        },
        ExitCode {
            code: 1,
            meaning: "worked with warnings (check), not recognised (explain), findings (logs)",
            layer: None,
        },
        ExitCode {
            code: 2,
            meaning: "usage error: a flag, an argument or an unreadable file",
            layer: None,
        },
        ExitCode {
            code: 3,
            meaning: "internal error",
            layer: None,
        },
    ];
    for l in wsdoctor_core::Layer::ALL {
        v.push(ExitCode {
            code: l.exit_code(),
            meaning: layer_meaning(l),
            layer: Some(l),
        });
    }
    v
}

fn layer_meaning(l: wsdoctor_core::Layer) -> &'static str {
    use wsdoctor_core::Layer as L;
    match l {
        L::Url => "the URL is unusable",
        L::Dns => "the host name did not resolve",
        L::Tcp => "no TCP connection (refused, filtered, unreachable, reset)",
        L::Proxy => "the forward proxy failed or refused the tunnel",
        L::Tls => "the TLS handshake or the certificate failed",
        L::Http => "the Upgrade was answered with something other than 101",
        L::Handshake => "the 101 broke RFC 6455 (accept key, headers, subprotocol, extensions)",
        L::Session => "the WebSocket session failed (close codes, frames, echo, pong)",
        L::Async => "timing: idle cuts, a blocked event loop, slow answers",
        _ => "a failing layer",
    }
}
