//! Which proxy a configuration belongs to, told from its content (and its file name as
//! a tie-breaker), because operators paste files named `default`, `site.conf` or
//! `values.yaml` that say nothing about the proxy.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    Nginx,
    Haproxy,
    Apache,
    Caddy,
    Traefik,
    Envoy,
    K8s,
    Lighttpd,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Nginx,
        Format::Haproxy,
        Format::Apache,
        Format::Caddy,
        Format::Traefik,
        Format::Envoy,
        Format::K8s,
        Format::Lighttpd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Nginx => "nginx",
            Format::Haproxy => "haproxy",
            Format::Apache => "apache",
            Format::Caddy => "caddy",
            Format::Traefik => "traefik",
            Format::Envoy => "envoy",
            Format::K8s => "k8s",
            Format::Lighttpd => "lighttpd",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "kubernetes" | "ingress" => Some(Format::K8s),
            "httpd" | "apache2" => Some(Format::Apache),
            "caddyfile" => Some(Format::Caddy),
            other => Format::ALL.into_iter().find(|f| f.as_str() == other),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Guesses the format; `None` when nothing points anywhere.
pub fn detect(name: &str, text: &str) -> Option<Format> {
    let lower_name = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    if text.contains("\n# configuration file ") || text.starts_with("# configuration file ") {
        return Some(Format::Nginx);
    }
    if lighttpd(text) {
        return Some(Format::Lighttpd);
    }
    if lower_name.ends_with(".toml") || traefik_toml(text) {
        return Some(Format::Traefik);
    }
    // JSON is YAML: Envoy bootstraps and kubectl output are often JSON.
    let json =
        lower_name.ends_with(".json") || text.trim_start().starts_with('{') && text.contains("\":");
    if json
        || lower_name.ends_with(".yaml")
        || lower_name.ends_with(".yml")
        || looks_like_yaml(text)
    {
        return Some(detect_yaml(text));
    }
    let mut scores = [0i32; 4]; // nginx, haproxy, apache, caddy
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        let at_col0 = !raw.starts_with([' ', '\t']);
        if line.ends_with(';') || line.ends_with("{") && NGINX_BLOCKS.contains(&first) {
            scores[0] += 2;
        }
        if at_col0 && HAPROXY_SECTIONS.contains(&first) && !line.contains('{') {
            scores[1] += 3;
        }
        if HAPROXY_KEYWORDS.contains(&first) && !line.ends_with(';') {
            scores[1] += 1;
        }
        if line.starts_with('<') && !line.starts_with("<<") {
            scores[2] += 3;
        }
        if APACHE_DIRECTIVES.contains(&first) {
            scores[2] += 2;
        }
        if CADDY_DIRECTIVES.contains(&first) && !line.ends_with(';') {
            scores[3] += 2;
        }
    }
    if lower_name.starts_with("caddyfile") {
        scores[3] += 5;
    }
    if lower_name.contains("haproxy") {
        scores[1] += 5;
    }
    if lower_name.contains("httpd") || lower_name.contains("apache") {
        scores[2] += 5;
    }
    let formats = [
        Format::Nginx,
        Format::Haproxy,
        Format::Apache,
        Format::Caddy,
    ];
    let (best, score) = scores.iter().enumerate().max_by_key(|(_, s)| **s)?;
    (*score > 0).then_some(formats[best])
}

const NGINX_BLOCKS: &[&str] = &[
    "http", "server", "location", "upstream", "events", "map", "stream", "if", "types",
];
const HAPROXY_SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "resolvers",
    "peers",
];
const HAPROXY_KEYWORDS: &[&str] = &[
    "bind",
    "mode",
    "timeout",
    "default_backend",
    "use_backend",
    "balance",
    "acl",
    "option",
];
const APACHE_DIRECTIVES: &[&str] = &[
    "ProxyPass",
    "ProxyPassReverse",
    "ProxyPassMatch",
    "LoadModule",
    "ServerName",
    "RewriteEngine",
    "RewriteRule",
    "RewriteCond",
    "DocumentRoot",
    "ProxyTimeout",
    "Timeout",
    "IncludeOptional",
    "ServerRoot",
    "Listen",
];
const CADDY_DIRECTIVES: &[&str] = &[
    "reverse_proxy",
    "handle",
    "handle_path",
    "route",
    "file_server",
    "encode",
    "tls",
    "respond",
    "header_up",
    "stream_timeout",
    "stream_close_delay",
];

/// lighttpd's configuration: `server.modules`, `proxy.server`/`proxy.header`,
/// `server.document-root` settings or `$HTTP["…"]`/`$SERVER["…"]` conditionals at the
/// start of a line (no other proxy writes either).
fn lighttpd(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        ["$HTTP[\"", "$SERVER[\""].iter().any(|p| l.starts_with(p))
            || [
                "server.modules",
                "proxy.server",
                "proxy.header",
                "server.document-root",
            ]
            .iter()
            .any(|k| {
                l.strip_prefix(k).is_some_and(|r| {
                    r.trim_start().starts_with('=') || r.trim_start().starts_with("+=")
                })
            })
    })
}

fn looks_like_yaml(text: &str) -> bool {
    let starts = |k: &str| text.lines().any(|l| l.starts_with(k));
    // Traefik's dynamic files open with a bare `http:` (or `tcp:`) key.
    let bare = |k: &str| text.lines().any(|l| l.trim_end() == k);
    starts("apiVersion:")
        || starts("kind:")
        || starts("---")
        || starts("static_resources:")
        || starts("entryPoints:")
        || bare("http:")
        || bare("tcp:")
        || starts("admin:")
}

/// Traefik TOML without a `.toml` name: its tables, v1 (`[frontends]`,
/// `[backends]`) or v2+ (`[entryPoints…]`, `[http.routers…]`, `[providers…]`).
fn traefik_toml(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        [
            "[entryPoints",
            "[http.",
            "[tcp.",
            "[providers",
            "[frontends",
            "[backends",
        ]
        .iter()
        .any(|t| l.starts_with(t))
    })
}

fn detect_yaml(text: &str) -> Format {
    if super::formats::caddy_json(text) && text.contains("\"apps\"") {
        Format::Caddy
    } else if text.contains("apiVersion") && text.contains("kind") {
        Format::K8s
    } else if text.contains("static_resources")
        || text.contains("envoy.")
        || text.contains("http_connection_manager")
        || text.contains("route_config")
    {
        Format::Envoy
    } else {
        Format::Traefik
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_content() {
        let nginx = "http {\n  server {\n    location /ws { proxy_pass http://b; }\n  }\n}\n";
        assert_eq!(detect("default", nginx), Some(Format::Nginx));
        let haproxy = "global\n  daemon\ndefaults\n  mode http\n  timeout client 30s\nbackend ws\n  server a 127.0.0.1:1\n";
        assert_eq!(detect("lb.cfg", haproxy), Some(Format::Haproxy));
        let apache = "<VirtualHost *:80>\n  ProxyPass /ws ws://b/ws\n</VirtualHost>\n";
        assert_eq!(detect("site", apache), Some(Format::Apache));
        let caddy = "example.com {\n\treverse_proxy /ws* localhost:8080\n}\n";
        assert_eq!(detect("site", caddy), Some(Format::Caddy));
        let k8s = "apiVersion: networking.k8s.io/v1\nkind: Ingress\n";
        assert_eq!(detect("x", k8s), Some(Format::K8s));
        let envoy = "static_resources:\n  listeners: []\n";
        assert_eq!(detect("x", envoy), Some(Format::Envoy));
        assert_eq!(
            detect("traefik.yml", "entryPoints:\n  web: {}\n"),
            Some(Format::Traefik)
        );
        assert_eq!(
            detect("traefik.toml", "[entryPoints]\n"),
            Some(Format::Traefik)
        );
        assert_eq!(detect("x", "hello world\n"), None);
        // Traefik by content: a dynamic YAML file, and TOML without its extension.
        let dynamic = "http:\n  routers:\n    a:\n      rule: \"Host(`a`)\"\n";
        assert_eq!(detect("dynamic", dynamic), Some(Format::Traefik));
        assert_eq!(
            detect("traefik", "[frontends]\n  [frontends.a]\n"),
            Some(Format::Traefik)
        );
        let caddy_json = "{\"apps\": {\"http\": {\"servers\": {}}}}";
        assert_eq!(detect("caddy.json", caddy_json), Some(Format::Caddy));
        let json = "{\"static_resources\": {\"listeners\": []}}";
        assert_eq!(detect("envoy.json", json), Some(Format::Envoy));
        let kubectl = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\"\n}";
        assert_eq!(detect("out", kubectl), Some(Format::K8s));
        let lighttpd = "server.modules += ( \"mod_proxy\" )\n$HTTP[\"url\"] =~ \"^/ws\" {\n  proxy.server = ( \"\" => (( \"host\" => \"127.0.0.1\", \"port\" => 8080 )))\n}\n";
        assert_eq!(detect("lighttpd.conf", lighttpd), Some(Format::Lighttpd));
    }

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
        assert_eq!(Format::parse("kubernetes"), Some(Format::K8s));
    }
}
