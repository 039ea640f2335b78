//! A lint finding is a catalog finding (the shape `check` reports) pinned to a place in
//! a configuration file, plus the lines to write instead and a lint rule id for
//! code-scanning tools (SARIF). The rule table lives here so SARIF can list every rule
//! and tests can check that each rule maps to the catalog cause it claims.

use serde::Serialize;
use wsdoctor_core::{CauseId, Finding, Severity, excerpt, redact};

/// One lint rule: a stable id for SARIF and the catalog cause it reports.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub cause: CauseId,
    /// One line for SARIF's `shortDescription`.
    pub summary: &'static str,
}

macro_rules! rules {
    ($( $id:literal => $cause:ident, $summary:literal; )*) => {
        /// Every lint rule, grouped by proxy.
        pub static RULES: &[Rule] = &[
            $(Rule { id: $id, cause: CauseId::$cause, summary: $summary }),*
        ];
    };
}

rules! {
    "nginx/proxy-http-version" => HttpVersion10, "proxy_http_version is not 1.1 on a WebSocket location";
    "nginx/missing-upgrade-header" => ProxyUpgradeNotForwarded, "The Upgrade header is not forwarded";
    "nginx/missing-connection-header" => ProxyUpgradeNotForwarded, "The Connection header is not forwarded";
    "nginx/connection-http-upgrade" => ProxyUpgradeNotForwarded, "Connection is set to $http_upgrade (sends 'websocket')";
    "nginx/connection-wrong-value" => ProxyUpgradeNotForwarded, "Connection is set to a value other than upgrade";
    "nginx/headers-not-inherited" => ProxyUpgradeNotForwarded, "proxy_set_header in the location drops inherited Upgrade/Connection";
    "nginx/map-missing" => ProxyMapMissing, "A header uses a variable without its map";
    "nginx/read-timeout-default" => ProxyIdleTimeout, "proxy_read_timeout is the 60 s default";
    "nginx/read-timeout-short" => ProxyIdleTimeout, "proxy_read_timeout is shorter than the ping interval";
    "nginx/connection-upgrade-keepalive" => ProxyConnectionUpgradeKeepalive, "Connection upgrade sent to a keepalive upstream";
    "nginx/ssl-server-name-off" => ProxySslSniOff, "https upstream without proxy_ssl_server_name on";
    "nginx/location-shadowed" => ProxyLocationShadowed, "A regex location shadows the WebSocket location";
    "nginx/sticky-session-missing" => HttpStickySessionMissing, "Socket.IO across several upstream servers without affinity";
    "nginx/proxy-pass-ws-scheme" => ProxyConfigRejected, "proxy_pass with a ws:// or wss:// URL, which nginx refuses";
    "nginx/directive-in-if" => ProxyConfigRejected, "proxy_set_header or proxy_http_version inside if, which nginx refuses";
    "nginx/regex-without-modifier" => ProxyLocationShadowed, "A location written as a regex without ~ matches nothing";
    "nginx/named-location-unused" => ProxyLocationShadowed, "A named WebSocket location nothing routes to";
    "nginx/upgrade-header-hidden" => HandshakeUpgradeMissing, "proxy_hide_header removes Upgrade or Connection from the 101";
    "nginx/upgrade-wrong-value" => ProxyUpgradeNotForwarded, "Upgrade is set to a value other than websocket";
    "nginx/proxy-pass-path" => HttpNotFound, "The path the backend receives for a sub-path location (a note)";
    "haproxy/no-timeout-tunnel" => ProxyIdleTimeout, "No timeout tunnel: timeout client/server cut idle WebSockets";
    "haproxy/timeout-tunnel-short" => ProxyIdleTimeout, "timeout tunnel is shorter than the ping interval";
    "haproxy/timeout-tunnel-in-frontend" => ProxyIdleTimeout, "timeout tunnel in a frontend is ignored";
    "haproxy/removed-option" => ProxyConfigRejected, "option http-tunnel/forceclose, removed from HAProxy, stops it from starting";
    "haproxy/removed-keyword" => ProxyConfigRejected, "A keyword removed from HAProxy, which stops it from starting";
    "haproxy/address-on-section-line" => ProxyConfigRejected, "A listening address on the frontend line instead of bind";
    "haproxy/sticky-session-missing" => HttpStickySessionMissing, "Socket.IO across several servers without affinity";
    "apache/wstunnel-missing" => ProxyUpgradeNotForwarded, "ws:// ProxyPass without mod_proxy_wstunnel";
    "apache/proxypass-no-upgrade" => ProxyUpgradeNotForwarded, "http:// ProxyPass for a WebSocket path without upgrade=websocket";
    "apache/rewrite-without-p" => HttpRedirect, "RewriteRule to ws:// without [P] redirects the client";
    "apache/rewrite-no-upgrade-condition" => ProxyRewriteNoUpgradeCondition, "RewriteRule to ws:// without an Upgrade RewriteCond";
    "apache/proxypass-shadowed" => ProxyLocationShadowed, "A ProxyPass earlier in the file takes the WebSocket path first";
    "apache/redirect-arguments" => ProxyConfigRejected, "Redirect with a stray argument, which apache2 -t refuses";
    "apache/rewrite-literal-variable" => HttpNotFound, "A RewriteRule target with {VAR} missing its %";
    "apache/rewrite-condition-exact" => ProxyUpgradeNotForwarded, "An anchored Connection condition that Firefox's header does not match";
    "apache/timeout-default" => ProxyIdleTimeout, "Timeout/ProxyTimeout is the 60 s default";
    "apache/timeout-short" => ProxyIdleTimeout, "Timeout/ProxyTimeout is shorter than the ping interval";
    "caddy/stream-timeout" => ProxyStreamLifetime, "stream_timeout closes WebSocket streams";
    "caddy/v1-syntax" => ProxyConfigRejected, "Caddyfile v1 syntax (proxy … websocket), which Caddy 2 refuses";
    "caddy/ws-scheme-upstream" => ProxyConfigRejected, "A ws:// upstream, which Caddy 2.7 and later refuse";
    "caddy/stray-upstream" => HttpBadGateway, "A stray ':' read as a second upstream";
    "caddy/exact-path-matcher" => ProxyLocationShadowed, "A path matcher ending in / without *, which matches only itself";
    "traefik/responding-timeout" => ProxyIdleTimeout, "Entry point responding timeout shorter than the ping interval";
    "traefik/v1-rejected" => ProxyConfigRejected, "Traefik v1 entry point settings, which Traefik 2 and 3 refuse";
    "traefik/v1-ignored" => HttpNotFound, "Traefik v1 frontends/backends, which Traefik 2 and 3 ignore";
    "traefik/unknown-field" => ProxyConfigRejected, "A field Traefik's dynamic configuration does not have";
    "traefik/router-service-missing" => HttpNotFound, "A router naming a service the file does not define";
    "envoy/no-websocket-upgrade" => ProxyUpgradeNotForwarded, "No upgrade_configs websocket on the route or connection manager";
    "envoy/stream-idle-timeout-short" => ProxyIdleTimeout, "stream_idle_timeout is shorter than the ping interval";
    "envoy/route-idle-timeout-short" => ProxyIdleTimeout, "Route idle_timeout is shorter than the ping interval";
    "k8s/ingress-nginx-timeout-default" => ProxyIdleTimeout, "ingress-nginx proxy-read-timeout is the 60 s default";
    "k8s/ingress-nginx-timeout-unit" => ProxyIdleTimeout, "ingress-nginx timeout written with a unit is ignored";
    "k8s/ingress-nginx-timeout-short" => ProxyIdleTimeout, "ingress-nginx proxy-read-timeout is shorter than the ping interval";
    "k8s/alb-idle-timeout" => ProxyIdleTimeout, "AWS ALB idle timeout at 60 s or below the ping interval";
    "k8s/gke-backend-timeout" => ProxyStreamLifetime, "GKE BackendConfig timeoutSec caps WebSocket lifetime";
    "k8s/backend-config-on-ingress" => ProxyStreamLifetime, "A BackendConfig annotation on the Ingress, which GKE reads only from Services";
    "k8s/annotation-invalid-key" => ProxyConfigRejected, "An annotation key that is not a qualified name";
    "k8s/annotation-not-string" => ProxyConfigRejected, "An annotation value that is a YAML number or boolean";
    "k8s/annotation-ignored" => ProxyIdleTimeout, "A timeout annotation the controller does not read";
    "k8s/sticky-session-missing" => HttpStickySessionMissing, "Socket.IO across replicas without session affinity";
}

/// The rule with this id. Rule ids are literals in this crate, so a miss is a bug
/// that the fixture tests (which exercise every rule) catch.
pub fn rule(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("undeclared lint rule {id}"))
}

/// A configuration line quoted in a finding.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct QuotedLine {
    pub file: String,
    pub line: usize,
    pub text: String,
}

/// A finding pinned to a configuration file.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LintFinding {
    #[serde(flatten)]
    pub finding: Finding,
    /// The lint rule id, e.g. `nginx/missing-upgrade-header`.
    pub rule: &'static str,
    pub file: String,
    /// 1-based line the finding is about.
    pub line: usize,
    /// The offending (or relevant) lines, as written.
    pub quoted: Vec<QuotedLine>,
    /// The lines to write instead (or add), ready to paste.
    pub replacement: Vec<String>,
}

impl LintFinding {
    /// A finding for `rule` at file:line, with the rule's catalog cause.
    pub fn new(rule_id: &str, file: &str, line: usize, detail: impl Into<String>) -> Self {
        let rule = rule(rule_id);
        LintFinding {
            finding: Finding::new(rule.cause, detail),
            rule: rule.id,
            file: file.to_string(),
            line,
            quoted: Vec::new(),
            replacement: Vec::new(),
        }
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.finding.severity = s;
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.finding.fix = fix.into();
        self
    }

    /// Quote another line (file:line); the text is filled in from the sources later.
    pub fn quote(mut self, file: &str, line: usize) -> Self {
        if !self.quoted.iter().any(|q| q.file == file && q.line == line) {
            self.quoted.push(QuotedLine {
                file: file.to_string(),
                line,
                text: String::new(),
            });
        }
        self
    }

    pub fn replace_with<I, S>(mut self, lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.replacement.extend(lines.into_iter().map(Into::into));
        self
    }

    pub fn id(&self) -> CauseId {
        self.finding.id
    }
}

/// A configuration line as a finding quotes it: secrets redacted (upstream URLs with
/// userinfo or tokens), then cut to a bounded excerpt.
pub(crate) fn shown_line(line: &str) -> String {
    let redacted = redact::text(line);
    excerpt::cut(&redacted, excerpt::MAX_LINE_CHARS).into_owned()
}

/// A finding's or an error's text, which embeds arguments from the input: secrets
/// redacted, then every overlong argument cut.
pub(crate) fn shown_text(text: &str) -> String {
    let redacted = redact::text(text);
    excerpt::words(&redacted, excerpt::MAX_WORD_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn rule_ids_are_unique_and_namespaced() {
        let mut seen = HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate rule {}", r.id);
            let (proxy, name) = r.id.split_once('/').expect("namespaced");
            assert!(
                [
                    "nginx", "haproxy", "apache", "caddy", "traefik", "envoy", "k8s"
                ]
                .contains(&proxy)
            );
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
        }
    }

    #[test]
    fn findings_carry_the_rules_cause() {
        let f = LintFinding::new("nginx/read-timeout-short", "a.conf", 3, "x");
        assert_eq!(f.id(), CauseId::ProxyIdleTimeout);
        assert_eq!(f.finding.layer, CauseId::ProxyIdleTimeout.layer());
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["id"], "proxy-idle-timeout");
        assert_eq!(json["rule"], "nginx/read-timeout-short");
        assert_eq!(json["line"], 3);
    }
}
