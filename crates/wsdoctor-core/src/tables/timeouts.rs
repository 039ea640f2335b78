//! Vendor timeouts that end WebSocket connections: each proxy's, load balancer's or
//! platform's default, and whether it is an *idle* limit (traffic, pings included,
//! resets it) or a *lifetime* cap (the connection ends at that age however busy it is,
//! so pings do not fix it). `check`'s idle-cut rule, `logs`' session-duration clusters,
//! `lint`'s "no timeout set" findings and `explain` read this one table.
//!
//! Only defaults with a public source are listed. Caddy has no default (its
//! `stream_timeout` is unset: streams live until either side closes); Azure Application
//! Gateway and Front Door document no WebSocket-specific default wsdoctor could cite,
//! so they are left out rather than guessed.

use serde::Serialize;

/// Whether traffic resets the timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeoutKind {
    /// Cuts a connection quiet for this long; pings or messages more often keep it.
    Idle,
    /// Cuts every connection at this age; only reconnecting helps.
    Lifetime,
}

/// One vendor default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VendorTimeout {
    /// Stable short name, for lookups: `nginx`, `aws-alb`, …
    pub id: &'static str,
    /// The component and the setting that controls it, for display.
    pub setting: &'static str,
    pub seconds: u32,
    pub kind: TimeoutKind,
}

const fn t(
    id: &'static str,
    setting: &'static str,
    seconds: u32,
    kind: TimeoutKind,
) -> VendorTimeout {
    VendorTimeout {
        id,
        setting,
        seconds,
        kind,
    }
}

use TimeoutKind::{Idle, Lifetime};

/// The table, by seconds.
pub static VENDOR_TIMEOUTS: &[VendorTimeout] = &[
    t(
        "gcp-lb",
        "GCP HTTP(S) load balancer backend service timeout",
        30,
        Lifetime,
    ),
    t(
        "haproxy",
        "HAProxy timeout client/server (50 s in the packaged haproxy.cfg; timeout tunnel unset)",
        50,
        Idle,
    ),
    t("heroku", "Heroku router (55 s rolling window)", 55, Idle),
    t("nginx", "nginx proxy_read_timeout", 60, Idle),
    t(
        "ingress-nginx",
        "ingress-nginx nginx.ingress.kubernetes.io/proxy-read-timeout",
        60,
        Idle,
    ),
    t(
        "apache",
        "Apache ProxyTimeout (defaults to Timeout)",
        60,
        Idle,
    ),
    t("aws-alb", "AWS ALB idle_timeout.timeout_seconds", 60, Idle),
    t(
        "cloudflare",
        "Cloudflare proxied WebSockets (about 100 s idle)",
        100,
        Idle,
    ),
    t(
        "traefik",
        "Traefik respondingTimeouts.idleTimeout",
        180,
        Idle,
    ),
    t(
        "azure-lb",
        "Azure Load Balancer idle timeout (4 min)",
        240,
        Idle,
    ),
    t("envoy", "Envoy stream_idle_timeout (5 min)", 300, Idle),
    t(
        "gcp-cloud-run",
        "Cloud Run request timeout (5 min)",
        300,
        Lifetime,
    ),
    t("aws-nlb", "AWS NLB TCP idle timeout", 350, Idle),
    t(
        "aws-api-gateway",
        "AWS API Gateway WebSocket idle timeout (10 min)",
        600,
        Idle,
    ),
    t(
        "aws-api-gateway-lifetime",
        "AWS API Gateway WebSocket maximum connection duration (2 h)",
        7200,
        Lifetime,
    ),
];

/// The default of vendor `id`.
///
/// # Panics
/// On an id not in the table: callers name ids from the table, and the unit tests
/// of every caller run through here.
pub fn vendor_timeout(id: &str) -> &'static VendorTimeout {
    VENDOR_TIMEOUTS
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("no vendor timeout {id}"))
}

/// Defaults within about 5 % (plus half a second) of a cut after `secs` seconds.
pub fn near(secs: f64) -> impl Iterator<Item = &'static VendorTimeout> {
    VENDOR_TIMEOUTS.iter().filter(move |v| {
        let d = f64::from(v.seconds);
        (secs - d).abs() <= d * 0.05 + 0.5
    })
}

/// The vendors near `secs` as one phrase ("nginx proxy_read_timeout (60 s, idle), …"),
/// or `None` when no default is near.
pub fn suspects(secs: f64) -> Option<String> {
    let names: Vec<String> = near(secs)
        .map(|v| {
            let kind = match v.kind {
                Idle => "idle",
                Lifetime => "lifetime cap, pings do not help",
            };
            format!("{} ({} s, {kind})", v.setting, v.seconds)
        })
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sorted_by_seconds() {
        for (i, a) in VENDOR_TIMEOUTS.iter().enumerate() {
            assert!(
                VENDOR_TIMEOUTS[i + 1..].iter().all(|b| b.id != a.id),
                "{}",
                a.id
            );
        }
        assert!(
            VENDOR_TIMEOUTS
                .windows(2)
                .all(|w| w[0].seconds <= w[1].seconds)
        );
    }

    #[test]
    fn a_cut_finds_its_vendors() {
        let at60: Vec<_> = near(60.2).map(|v| v.id).collect();
        assert_eq!(at60, ["nginx", "ingress-nginx", "apache", "aws-alb"]);
        assert_eq!(near(30.0).next().map(|v| v.kind), Some(Lifetime));
        assert_eq!(near(55.0).map(|v| v.id).collect::<Vec<_>>(), ["heroku"]);
        assert!(near(42.0).next().is_none());
        assert!(suspects(42.0).is_none());
        assert!(suspects(30.0).is_some_and(|s| s.contains("pings do not help")));
        assert_eq!(vendor_timeout("nginx").seconds, 60);
    }
}
