//! A lint finding is a catalog finding (the shape `check` reports) pinned to a place in
//! a configuration file, plus the lines to write instead and a lint rule id for
//! code-scanning tools (SARIF). The rule table lives here so SARIF can list every rule
//! and tests can check that each rule maps to the catalog cause it claims.

use serde::Serialize;
use wsdoctor_core::{CauseId, Finding, Severity, excerpt, redact};

/// One lint rule: a stable id for SARIF and the catalog cause it reports.
#[derive(Debug)]
pub struct Rule {
    pub id: RuleId,
    pub cause: CauseId,
    /// One line for SARIF's `shortDescription`.
    pub summary: &'static str,
}

/// One table generates the rule ids (an enum, so a misspelt rule fails to compile),
/// their stable strings, their catalog causes and `RULES` in the same order.
macro_rules! rules {
    ($( $variant:ident = $id:literal => $cause:ident, $summary:literal; )*) => {
        /// A lint rule id. Serialised as its stable string, e.g. `nginx/missing-upgrade-header`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum RuleId {
            $($variant),*
        }

        impl RuleId {
            /// Every rule id, in table order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),*];

            /// The stable id, e.g. `nginx/missing-upgrade-header`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id),*
                }
            }

            /// The enum variant's name, for the test that it spells the id.
            #[cfg(test)]
            fn variant_name(self) -> &'static str {
                match self {
                    $(RuleId::$variant => stringify!($variant)),*
                }
            }
        }

        /// Every lint rule, grouped by proxy, in `RuleId` order.
        pub static RULES: &[Rule] = &[
            $(Rule { id: RuleId::$variant, cause: CauseId::$cause, summary: $summary }),*
        ];
    };
}

rules! {
    NginxProxyHttpVersion = "nginx/proxy-http-version" => HttpVersion10, "proxy_http_version is not 1.1 on a WebSocket location";
    NginxMissingUpgradeHeader = "nginx/missing-upgrade-header" => ProxyUpgradeNotForwarded, "The Upgrade header is not forwarded";
    NginxMissingConnectionHeader = "nginx/missing-connection-header" => ProxyUpgradeNotForwarded, "The Connection header is not forwarded";
    NginxConnectionHttpUpgrade = "nginx/connection-http-upgrade" => ProxyUpgradeNotForwarded, "Connection is set to $http_upgrade (sends 'websocket')";
    NginxConnectionWrongValue = "nginx/connection-wrong-value" => ProxyUpgradeNotForwarded, "Connection is set to a value other than upgrade";
    NginxHeadersNotInherited = "nginx/headers-not-inherited" => ProxyUpgradeNotForwarded, "proxy_set_header in the location drops inherited Upgrade/Connection";
    NginxMapMissing = "nginx/map-missing" => ProxyMapMissing, "A header uses a variable without its map";
    NginxReadTimeoutDefault = "nginx/read-timeout-default" => ProxyIdleTimeout, "proxy_read_timeout is the 60 s default";
    NginxReadTimeoutShort = "nginx/read-timeout-short" => ProxyIdleTimeout, "proxy_read_timeout is shorter than the ping interval";
    NginxConnectionUpgradeKeepalive = "nginx/connection-upgrade-keepalive" => ProxyConnectionUpgradeKeepalive, "Connection upgrade sent to a keepalive upstream";
    NginxSslServerNameOff = "nginx/ssl-server-name-off" => ProxySslSniOff, "https upstream without proxy_ssl_server_name on";
    NginxLocationShadowed = "nginx/location-shadowed" => ProxyLocationShadowed, "A regex location shadows the WebSocket location";
    NginxStickySessionMissing = "nginx/sticky-session-missing" => HttpStickySessionMissing, "Socket.IO across several upstream servers without affinity";
    NginxProxyPassWsScheme = "nginx/proxy-pass-ws-scheme" => ProxyConfigRejected, "proxy_pass with a ws:// or wss:// URL, which nginx refuses";
    NginxDirectiveInIf = "nginx/directive-in-if" => ProxyConfigRejected, "proxy_set_header or proxy_http_version inside if, which nginx refuses";
    NginxRegexWithoutModifier = "nginx/regex-without-modifier" => ProxyLocationShadowed, "A location written as a regex without ~ matches nothing";
    NginxNamedLocationUnused = "nginx/named-location-unused" => ProxyLocationShadowed, "A named WebSocket location nothing routes to";
    NginxUpgradeHeaderHidden = "nginx/upgrade-header-hidden" => HandshakeUpgradeMissing, "proxy_hide_header removes Upgrade or Connection from the 101";
    NginxUpgradeWrongValue = "nginx/upgrade-wrong-value" => ProxyUpgradeNotForwarded, "Upgrade is set to a value other than websocket";
    NginxWsLocationNotProxied = "nginx/ws-location-not-proxied" => HttpNotFound, "A WebSocket location without proxy_pass, which nginx serves from disk";
    NginxTryFilesAnswersWs = "nginx/try-files-answers-ws" => HttpNotUpgraded, "try_files answers the WebSocket path from disk before its proxied fallback";
    NginxProxyPassPath = "nginx/proxy-pass-path" => HttpNotFound, "The path the backend receives for a sub-path location (a note)";
    HaproxyNoTimeoutTunnel = "haproxy/no-timeout-tunnel" => ProxyIdleTimeout, "No timeout tunnel: timeout client/server cut idle WebSockets";
    HaproxyTimeoutTunnelShort = "haproxy/timeout-tunnel-short" => ProxyIdleTimeout, "timeout tunnel is shorter than the ping interval";
    HaproxyTimeoutTunnelInFrontend = "haproxy/timeout-tunnel-in-frontend" => ProxyIdleTimeout, "timeout tunnel in a frontend is ignored";
    HaproxyRemovedOption = "haproxy/removed-option" => ProxyConfigRejected, "option http-tunnel/forceclose, removed from HAProxy, stops it from starting";
    HaproxyRemovedKeyword = "haproxy/removed-keyword" => ProxyConfigRejected, "A keyword removed from HAProxy, which stops it from starting";
    HaproxyConditionUnbalanced = "haproxy/condition-unbalanced" => ProxyConfigRejected, "An ACL fetch missing its ')' or a condition missing its '}', which haproxy -c refuses";
    HaproxyAddressOnSectionLine = "haproxy/address-on-section-line" => ProxyConfigRejected, "A listening address on the frontend line instead of bind";
    HaproxyStickySessionMissing = "haproxy/sticky-session-missing" => HttpStickySessionMissing, "Socket.IO across several servers without affinity";
    HaproxyServerH2 = "haproxy/server-h2" => ProxyHttp2Only, "A WebSocket backend server spoken to over HTTP/2 without ws h1";
    HaproxyBindH2 = "haproxy/bind-h2" => ProxyHttp2Only, "bind proto h2 in front of WebSockets: HTTP/1.1 Upgrades are refused";
    ApacheWstunnelMissing = "apache/wstunnel-missing" => ProxyUpgradeNotForwarded, "ws:// ProxyPass without mod_proxy_wstunnel";
    ApacheProxypassNoUpgrade = "apache/proxypass-no-upgrade" => ProxyUpgradeNotForwarded, "http:// ProxyPass for a WebSocket path without upgrade=websocket";
    ApacheRewriteWithoutP = "apache/rewrite-without-p" => HttpRedirect, "RewriteRule to ws:// without [P] redirects the client";
    ApacheRewriteNoUpgradeCondition = "apache/rewrite-no-upgrade-condition" => ProxyRewriteNoUpgradeCondition, "RewriteRule to ws:// without an Upgrade RewriteCond";
    ApacheRewriteEngineOff = "apache/rewrite-engine-off" => ProxyUpgradeNotForwarded, "A WebSocket RewriteRule where RewriteEngine is not On, so its Upgrades fall through";
    ApacheProxypassShadowed = "apache/proxypass-shadowed" => ProxyLocationShadowed, "A ProxyPass earlier in the file takes the WebSocket path first";
    ApacheRedirectArguments = "apache/redirect-arguments" => ProxyConfigRejected, "Redirect with a stray argument, which apache2 -t refuses";
    ApacheRewriteFlagDelimiters = "apache/rewrite-flag-delimiters" => ProxyConfigRejected, "RewriteCond/RewriteRule flags not in one [..] word, which apache2 -t refuses";
    ApacheRewriteLiteralVariable = "apache/rewrite-literal-variable" => HttpNotFound, "A RewriteRule target with {VAR} missing its %";
    ApacheRewriteConditionExact = "apache/rewrite-condition-exact" => ProxyUpgradeNotForwarded, "An anchored Connection condition that Firefox's header does not match";
    ApacheTimeoutDefault = "apache/timeout-default" => ProxyIdleTimeout, "Timeout/ProxyTimeout is the 60 s default";
    ApacheTimeoutShort = "apache/timeout-short" => ProxyIdleTimeout, "Timeout/ProxyTimeout is shorter than the ping interval";
    CaddyStreamTimeout = "caddy/stream-timeout" => ProxyStreamLifetime, "stream_timeout closes WebSocket streams";
    CaddyV1Syntax = "caddy/v1-syntax" => ProxyConfigRejected, "Caddyfile v1 syntax (proxy … websocket), which Caddy 2 refuses";
    CaddyWsSchemeUpstream = "caddy/ws-scheme-upstream" => ProxyConfigRejected, "A ws:// upstream, which Caddy 2.7 and later refuse";
    CaddyStrayUpstream = "caddy/stray-upstream" => HttpBadGateway, "A stray ':' read as a second upstream";
    CaddyWsPathNotProxied = "caddy/ws-path-not-proxied" => HttpNotUpgraded, "A WebSocket path that no reverse_proxy serves (file_server, respond or nothing answers)";
    CaddyUpgradeHeaderStripped = "caddy/upgrade-header-stripped" => ProxyUpgradeNotForwarded, "request_header or header_up deletes or overwrites Upgrade or Connection";
    CaddyExactPathMatcher = "caddy/exact-path-matcher" => ProxyLocationShadowed, "A path matcher ending in / without *, which matches only itself";
    CaddyV1DefaultTimeouts = "caddy/v1-default-timeouts" => ProxyIdleTimeout, "Caddy 1 WebSocket proxy without timeouts none: 0.9.5 cut it after 10 s";
    CaddyV1HeaderMiddleware = "caddy/v1-header-middleware" => HttpNotUpgraded, "Caddy 1 header directive on a WebSocket path: 0.9.3 answered 200";
    CaddyBackendTlsUnverifiable = "caddy/backend-tls-unverifiable" => HttpBadGateway, "An upstream over TLS at an IP or internal name, verified by default: 502";
    CaddyHeaderMatcherExact = "caddy/header-matcher-exact" => HttpNotUpgraded, "A Connection/Upgrade header matcher a common client's handshake misses";
    TraefikRespondingTimeout = "traefik/responding-timeout" => ProxyIdleTimeout, "Entry point responding timeout shorter than the ping interval";
    TraefikV1Rejected = "traefik/v1-rejected" => ProxyConfigRejected, "Traefik v1 entry point settings, which Traefik 2 and 3 refuse";
    TraefikV1Ignored = "traefik/v1-ignored" => HttpNotFound, "Traefik v1 frontends/backends, which Traefik 2 and 3 ignore";
    TraefikUnknownField = "traefik/unknown-field" => ProxyConfigRejected, "A field Traefik's dynamic configuration does not have";
    TraefikRouterServiceMissing = "traefik/router-service-missing" => HttpNotFound, "A router naming a service the file does not define";
    TraefikBackendTlsUnverifiable = "traefik/backend-tls-unverifiable" => TlsSelfSigned, "A TLS backend at an IP or internal name, verified by default";
    EnvoyNoWebsocketUpgrade = "envoy/no-websocket-upgrade" => ProxyUpgradeNotForwarded, "No upgrade_configs websocket on the route or connection manager";
    EnvoyStreamIdleTimeoutShort = "envoy/stream-idle-timeout-short" => ProxyIdleTimeout, "stream_idle_timeout is shorter than the ping interval";
    EnvoyRouteIdleTimeoutShort = "envoy/route-idle-timeout-short" => ProxyIdleTimeout, "Route idle_timeout is shorter than the ping interval";
    K8sIngressNginxTimeoutDefault = "k8s/ingress-nginx-timeout-default" => ProxyIdleTimeout, "ingress-nginx proxy-read-timeout is the 60 s default";
    K8sIngressNginxTimeoutUnit = "k8s/ingress-nginx-timeout-unit" => ProxyIdleTimeout, "ingress-nginx timeout written with a unit is ignored";
    K8sIngressNginxTimeoutShort = "k8s/ingress-nginx-timeout-short" => ProxyIdleTimeout, "ingress-nginx proxy-read-timeout is shorter than the ping interval";
    K8sAlbIdleTimeout = "k8s/alb-idle-timeout" => ProxyIdleTimeout, "AWS ALB idle timeout at 60 s or below the ping interval";
    K8sGkeBackendTimeout = "k8s/gke-backend-timeout" => ProxyStreamLifetime, "GKE BackendConfig timeoutSec caps WebSocket lifetime";
    K8sBackendConfigOnIngress = "k8s/backend-config-on-ingress" => ProxyStreamLifetime, "A BackendConfig annotation on the Ingress, which GKE reads only from Services";
    K8sAnnotationInvalidKey = "k8s/annotation-invalid-key" => ProxyConfigRejected, "An annotation key that is not a qualified name";
    K8sAnnotationNotString = "k8s/annotation-not-string" => ProxyConfigRejected, "An annotation value that is a YAML number or boolean";
    K8sAnnotationIgnored = "k8s/annotation-ignored" => ProxyIdleTimeout, "A timeout annotation the controller does not read";
    K8sNginxIncWebsocketServices = "k8s/nginx-inc-websocket-services" => ProxyUpgradeNotForwarded, "NGINX Inc's controller: a WebSocket service not in nginx.org/websocket-services";
    K8sNginxIncTimeout = "k8s/nginx-inc-timeout" => ProxyIdleTimeout, "NGINX Inc's controller: proxy-read-timeout default or short";
    K8sStickySessionMissing = "k8s/sticky-session-missing" => HttpStickySessionMissing, "Socket.IO across replicas without session affinity";
    LighttpdUpgradeNotEnabled = "lighttpd/upgrade-not-enabled" => ProxyUpgradeNotForwarded, "proxy.server without proxy.header upgrade => enable";
}

impl RuleId {
    /// The rule's row in `RULES` (generated in the same order as the enum).
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }

    /// The catalog cause this rule reports.
    pub fn cause(self) -> CauseId {
        self.rule().cause
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for RuleId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleId".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }

    fn inline_schema() -> bool {
        true
    }
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
    pub rule: RuleId,
    pub file: String,
    /// 1-based line the finding is about.
    pub line: usize,
    /// The offending (or relevant) lines, as written.
    pub quoted: Vec<QuotedLine>,
    /// The lines to write instead (or add), ready to paste.
    pub replacement: Vec<String>,
    /// Other catalog causes the same mistake is known by, when one line produces
    /// both (nginx proxying with HTTP/1.0: `http-version-1-0`, and the backend
    /// ignoring an Upgrade in an HTTP/1.0 request, `proxy-upgrade-not-forwarded`).
    /// `id` stays the cause `wsdoctor check` reports live.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<CauseId>,
}

impl LintFinding {
    /// A finding for `rule` at file:line, with the rule's catalog cause.
    pub fn new(rule: RuleId, file: &str, line: usize, detail: impl Into<String>) -> Self {
        LintFinding {
            finding: Finding::new(rule.cause(), detail),
            rule,
            file: file.to_string(),
            line,
            quoted: Vec::new(),
            replacement: Vec::new(),
            also: Vec::new(),
        }
    }

    /// Another catalog cause this finding also stands for (see `also`).
    pub fn also(mut self, cause: CauseId) -> Self {
        if cause != self.finding.id && !self.also.contains(&cause) {
            self.also.push(cause);
        }
        self
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.finding.severity = s;
        self
    }

    /// What to change in this configuration. The catalog's `fix` stays as the catalog
    /// wrote it (printed verbatim, issue 9); the finding-specific step goes in `detail`.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        let fix = fix.into();
        if !fix.is_empty() {
            if !self.finding.detail.is_empty() {
                self.finding.detail.push(' ');
            }
            self.finding.detail.push_str("Here: ");
            self.finding.detail.push_str(&fix);
        }
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
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id.rule().id, r.id, "RULES is in RuleId order");
            assert_eq!(RuleId::ALL[i], r.id);
            let id = r.id.as_str();
            assert!(seen.insert(id), "duplicate rule {id}");
            let (proxy, name) = id.split_once('/').expect("namespaced");
            assert!(
                [
                    "nginx", "haproxy", "apache", "caddy", "traefik", "envoy", "k8s", "lighttpd"
                ]
                .contains(&proxy)
            );
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
            let spelt: String = id
                .split(['/', '-'])
                .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
                .collect();
            assert_eq!(r.id.variant_name(), spelt, "the variant spells {id}");
        }
    }

    #[test]
    fn findings_carry_the_rules_cause() {
        let f = LintFinding::new(RuleId::NginxReadTimeoutShort, "a.conf", 3, "x");
        assert_eq!(f.id(), CauseId::ProxyIdleTimeout);
        assert_eq!(f.finding.layer, CauseId::ProxyIdleTimeout.layer());
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["id"], "proxy-idle-timeout");
        assert_eq!(json["rule"], "nginx/read-timeout-short");
        assert_eq!(json["line"], 3);
        // No other cause: no `also` in the JSON.
        assert!(json.get("also").is_none());
        let both = f
            .also(CauseId::ProxyUpgradeNotForwarded)
            .also(CauseId::ProxyIdleTimeout)
            .also(CauseId::ProxyUpgradeNotForwarded);
        let json = serde_json::to_value(&both).unwrap();
        assert_eq!(
            json["also"],
            serde_json::json!(["proxy-upgrade-not-forwarded"])
        );
    }
}
