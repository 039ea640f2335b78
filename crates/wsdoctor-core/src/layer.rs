//! Where a finding lives: the probe layers of DESIGN.md, the six places WebSocket
//! connections fail, who is to blame, and how bad it is.
//!
//! These names are part of the JSON contract and of the exit codes, so the enums
//! carry their wire spelling and their exit code in one place.

use serde::{Deserialize, Serialize};

/// A probe layer, in the order `check` walks them.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    schemars::JsonSchema,
    Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Layer {
    Url,
    Dns,
    Tcp,
    Proxy,
    Tls,
    Http,
    Handshake,
    Session,
    Async,
}

impl Layer {
    /// Every layer in probe order.
    pub const ALL: [Layer; 9] = [
        Layer::Url,
        Layer::Dns,
        Layer::Tcp,
        Layer::Proxy,
        Layer::Tls,
        Layer::Http,
        Layer::Handshake,
        Layer::Session,
        Layer::Async,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Url => "url",
            Layer::Dns => "dns",
            Layer::Tcp => "tcp",
            Layer::Proxy => "proxy",
            Layer::Tls => "tls",
            Layer::Http => "http",
            Layer::Handshake => "handshake",
            Layer::Session => "session",
            Layer::Async => "async",
        }
    }

    /// The process exit code when this layer fails. Documented in the README and
    /// never renumbered: 0..=3 are reserved for ok, warnings, usage and internal errors.
    pub fn exit_code(self) -> i32 {
        match self {
            Layer::Url => 10,
            Layer::Dns => 11,
            Layer::Tcp => 12,
            Layer::Proxy => 13,
            Layer::Tls => 14,
            Layer::Http => 15,
            Layer::Handshake => 16,
            Layer::Session => 17,
            Layer::Async => 18,
        }
    }

    pub fn parse(s: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The six places WebSocket connections go wrong (DESIGN.md, "The problem it solves").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Mistake {
    Url,
    ServerConfig,
    Tls,
    ProxyFirewall,
    Handshake,
    Async,
}

impl Mistake {
    pub fn as_str(self) -> &'static str {
        match self {
            Mistake::Url => "url",
            Mistake::ServerConfig => "server-config",
            Mistake::Tls => "tls",
            Mistake::ProxyFirewall => "proxy-firewall",
            Mistake::Handshake => "handshake",
            Mistake::Async => "async",
        }
    }
}

/// Who has to change something to fix it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Blame {
    Client,
    Server,
    Path,
}

impl Blame {
    pub fn as_str(self) -> &'static str {
        match self {
            Blame::Client => "client",
            Blame::Server => "server",
            Blame::Path => "path",
        }
    }
}

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    schemars::JsonSchema,
    Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_and_clear_of_reserved_ones() {
        let mut codes: Vec<i32> = Layer::ALL.iter().map(|l| l.exit_code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Layer::ALL.len());
        assert!(codes.iter().all(|c| *c >= 10));
    }

    #[test]
    fn layer_names_round_trip() {
        for l in Layer::ALL {
            assert_eq!(Layer::parse(l.as_str()), Some(l));
        }
    }
}
