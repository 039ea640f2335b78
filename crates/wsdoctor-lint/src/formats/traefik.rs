//! Traefik static configuration (YAML or TOML): entry points proxy WebSockets by
//! default, and their `respondingTimeouts` are what cut them. The idle timeout (180 s
//! by default) is re-armed by traffic; users report WebSockets cut at exactly these
//! values, so a value at or below the ping interval is a warning. Defaults are not
//! reported: Traefik's behaviour there is not established well enough to accuse it.

use super::tree::{self, Node};
use super::{Ctx, Idle, duration_ms, human_ms};
use crate::finding::{LintFinding, RuleId};
use wsdoctor_core::Severity;

pub(crate) fn lint(ctx: &mut Ctx, name: &str, text: &str) {
    let toml = name.to_ascii_lowercase().ends_with(".toml") || text.trim_start().starts_with('[');
    let docs = if toml {
        tree::parse_toml(text).map(|d| vec![d])
    } else {
        tree::parse_yaml(text)
    };
    let docs = match docs {
        Ok(d) => d,
        Err(e) => {
            ctx.tree_error(name, if toml { "TOML" } else { "YAML" }, e);
            return;
        }
    };
    for doc in &docs {
        if compose(ctx, name, doc) {
            continue;
        }
        backend_tls(ctx, name, doc);
        if v1(ctx, name, doc) {
            continue;
        }
        dynamic(ctx, name, doc);
        // Keys are case-insensitive in Traefik's static configuration.
        let Some(eps) = get_ci(doc, "entryPoints") else {
            continue;
        };
        for (ep, _, node) in eps.entries() {
            let Some(rt) = get_ci(node, "transport").and_then(|t| get_ci(t, "respondingTimeouts"))
            else {
                continue;
            };
            for key in ["readTimeout", "writeTimeout", "idleTimeout"] {
                check(ctx, name, ep, rt, key);
            }
        }
    }
}

/// Backend URLs over TLS (`https://`, v1's `wss://`) to an address no public CA
/// issues a certificate for — an IP, a one-label container or service name, a
/// `.local`/`.internal`/`.lan`/`.svc` name. Traefik verifies backend certificates by
/// default (v1 and v2+), so unless this file skips or widens that verification
/// (v1's top-level `insecureSkipVerify`/`rootCAs`, v2's `serversTransport` of the
/// service or the static `serversTransport`), the handshake with the backend fails
/// and the client gets 500 instead of 101.
fn backend_tls(ctx: &mut Ctx, file: &str, doc: &Node) {
    let relaxes = |n: &Node| {
        get_ci(n, "insecureSkipVerify").and_then(Node::str) == Some("true")
            || get_ci(n, "rootCAs").is_some()
    };
    let global = relaxes(doc) || get_ci(doc, "serversTransport").is_some_and(relaxes);
    if global {
        return;
    }
    let mut urls: Vec<(&Node, String)> = Vec::new();
    // v1: [backends.<b>.servers.<s>] url = "…"
    if let Some(bs) = get_ci(doc, "backends") {
        for (b, _, backend) in bs.entries() {
            for (_, _, server) in get_ci(backend, "servers").map_or(&[][..], Node::entries) {
                if let Some(u) = get_ci(server, "url") {
                    urls.push((u, format!("backend {b}")));
                }
            }
        }
    }
    // v2+: http.services.<s>.loadBalancer.servers[].url
    let http = get_ci(doc, "http");
    let transports = http.and_then(|h| get_ci(h, "serversTransports"));
    if let Some(svcs) = http.and_then(|h| get_ci(h, "services")) {
        for (svc, _, node) in svcs.entries() {
            let Some(lb) = get_ci(node, "loadBalancer") else {
                continue;
            };
            let transport_ok = get_ci(lb, "serversTransport")
                .and_then(Node::str)
                .is_some_and(|t| {
                    // `name@file` lives in another file: assume it is right.
                    t.contains('@') || transports.and_then(|ts| get_ci(ts, t)).is_some_and(relaxes)
                });
            if transport_ok {
                continue;
            }
            for server in get_ci(lb, "servers").map_or(&[][..], Node::seq) {
                if let Some(u) = get_ci(server, "url") {
                    urls.push((u, format!("service {svc}")));
                }
            }
        }
    }
    for (u, owner) in urls {
        let Some(url) = u.str() else {
            continue;
        };
        let lower = url.to_ascii_lowercase();
        let Some(rest) = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("wss://"))
        else {
            continue;
        };
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h),
        };
        let Some(kind) = super::unverifiable_host(host) else {
            continue;
        };
        let f = LintFinding::new(
            RuleId::TraefikBackendTlsUnverifiable,
            file,
            u.line,
            format!("{owner} is reached over TLS at {url}, {kind}, for which no public CA issues certificates, so the backend's certificate is self-signed or from a private CA; Traefik verifies backend certificates by default and answers 500 instead of passing the WebSocket on (unless the static configuration sets serversTransport.insecureSkipVerify or rootCAs)"),
        )
        .severity(Severity::Warning)
        .fix("Trust the backend's CA (serversTransport rootCAs), or skip verification for this backend (a serversTransport with insecureSkipVerify: true; v1: insecureSkipVerify = true), or talk to it over http:// inside a trusted network.");
        ctx.push(f);
    }
}

/// One container of a Compose file as Traefik sees it: its labels (dynamic
/// configuration for the Docker provider) and, for Traefik's own container, the
/// command-line flags (static configuration), keys lower-cased as Traefik reads them.
struct Container<'a> {
    name: &'a str,
    labels: Vec<(String, String, usize)>,
    flags: Vec<(String, String)>,
    /// Traefik's major version from the image tag (`traefik:v2.10` → 2), if told.
    traefik_major: Option<u32>,
    is_traefik: bool,
    /// A volume that mounts a traefik.yml/.yaml/.toml (static configuration).
    mounts_config: bool,
}

/// The containers of a Docker Compose file (`services:`, or the top-level services
/// of the v1 format), `None` when the document is not one.
fn containers(doc: &Node) -> Option<Vec<Container<'_>>> {
    let services = match doc.get("services") {
        Some(s) => s.entries(),
        None => doc.entries(),
    };
    let looks = |n: &Node| {
        n.get("image").is_some() || n.get("labels").is_some() || n.get("build").is_some()
    };
    if services.is_empty() || !services.iter().all(|(_, _, n)| looks(n)) {
        return None;
    }
    let mut out = Vec::new();
    for (name, _, node) in services {
        let mut labels = Vec::new();
        if let Some(l) = node.get("labels") {
            for item in l.seq() {
                if let Some((k, v)) = item.str().and_then(|t| t.split_once('=')) {
                    labels.push((
                        k.trim().to_ascii_lowercase(),
                        v.trim().to_string(),
                        item.line,
                    ));
                }
            }
            for (k, line, v) in l.entries() {
                labels.push((
                    k.to_ascii_lowercase(),
                    v.str().unwrap_or("").to_string(),
                    *line,
                ));
            }
        }
        let mut words: Vec<String> = Vec::new();
        if let Some(c) = node.get("command") {
            match c.str() {
                Some(t) => words.extend(t.split_whitespace().map(str::to_string)),
                None => words.extend(c.seq().iter().filter_map(|w| w.str().map(str::to_string))),
            }
        }
        let flags = words
            .iter()
            .filter_map(|w| w.strip_prefix("--"))
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k.to_ascii_lowercase(), v.to_string()),
                None => (w.to_ascii_lowercase(), "true".to_string()),
            })
            .collect();
        let image = node.get("image").and_then(Node::str).unwrap_or("");
        let is_traefik = image
            .rsplit('/')
            .next()
            .is_some_and(|i| i == "traefik" || i.starts_with("traefik:"));
        let traefik_major = is_traefik
            .then(|| image.split_once(':'))
            .flatten()
            .and_then(|(_, tag)| tag.trim_start_matches('v').split('.').next()?.parse().ok());
        let mounts_config = node.get("volumes").is_some_and(|v| {
            v.seq().iter().filter_map(Node::str).any(|m| {
                let m = m.to_ascii_lowercase();
                ["traefik.yml", "traefik.yaml", "traefik.toml"]
                    .iter()
                    .any(|f| m.contains(f))
            })
        });
        out.push(Container {
            name,
            labels,
            flags,
            traefik_major,
            is_traefik,
            mounts_config,
        });
    }
    Some(out)
}

/// A Docker Compose file with Traefik labels. What breaks WebSockets there:
/// - `loadbalancer.server.scheme=https`: the Docker provider dials the container's
///   IP, whose certificate no public CA issues, and Traefik verifies backend
///   certificates by default (500) unless a serversTransport skips or widens that
///   (`serversTransport` label, static `--serversTransport.insecureSkipVerify=true`);
///   a warning when Traefik's own container is in the file and its flags do not,
///   a note when the static configuration is elsewhere.
/// - labels of the other major version: v2+ reads only `traefik.http.…`/`tcp`/`udp`
///   labels and v1 only `traefik.frontend.…`/`traefik.backend`/`traefik.port`
///   (Traefik's v1→v2 migration guide), so with the image's version known, a
///   container labelled for the other one gets no router and every request 404.
///
/// Returns whether the document is a Compose file.
fn compose(ctx: &mut Ctx, file: &str, doc: &Node) -> bool {
    let Some(cs) = containers(doc) else {
        return false;
    };
    let traefik = cs.iter().find(|c| c.is_traefik);
    let static_skip = traefik.is_some_and(|t| {
        t.flags
            .iter()
            .any(|(k, v)| k == "serverstransport.insecureskipverify" && v != "false")
    });
    // The flags are the whole static configuration only without a configuration
    // file (`--configFile`, or a traefik.yml/.toml mounted where Traefik looks).
    let static_known = traefik.is_some_and(|t| {
        !t.flags.is_empty() && !t.flags.iter().any(|(k, _)| k == "configfile") && !t.mounts_config
    });
    for c in &cs {
        for (k, v, line) in &c.labels {
            let Some(svc) = k
                .strip_prefix("traefik.http.services.")
                .and_then(|r| r.strip_suffix(".loadbalancer.server.scheme"))
            else {
                continue;
            };
            if !v.eq_ignore_ascii_case("https") || static_skip {
                continue;
            }
            let transport = format!("traefik.http.services.{svc}.loadbalancer.serverstransport");
            if c.labels.iter().any(|(k, _, _)| *k == transport) {
                continue;
            }
            let (sev, unless) = if static_known {
                (
                    Severity::Warning,
                    "and Traefik's flags in this file set no serversTransport.insecureSkipVerify",
                )
            } else {
                (
                    Severity::Info,
                    "unless the static configuration (not in this file) sets serversTransport.insecureSkipVerify or rootCAs",
                )
            };
            let f = LintFinding::new(
                RuleId::TraefikBackendTlsUnverifiable,
                file,
                *line,
                format!("service {svc} of container {} is reached over https at the container's IP, which the Docker provider dials and no public CA certifies; Traefik verifies backend certificates by default, {unless}, so it answers 500 instead of passing the WebSocket on", c.name),
            )
            .severity(sev)
            .fix("Give the service a serversTransport that trusts the backend (a serversTransport label naming one with insecureSkipVerify or rootCAs), or talk to the container over http.")
            .replace_with([format!("{transport}=insecure@file")]);
            ctx.push(f);
        }
        let Some(major) = traefik.and_then(|t| t.traefik_major) else {
            continue;
        };
        let v1 = |k: &str| {
            k.starts_with("traefik.frontend.") || k == "traefik.backend" || k == "traefik.port"
        };
        let v2 = |k: &str| {
            ["traefik.http.", "traefik.tcp.", "traefik.udp."]
                .iter()
                .any(|p| k.starts_with(p))
        };
        let (other, line) = match c.labels.iter().find(|(k, _, _)| v1(k) || v2(k)) {
            Some((k, _, line))
                if major >= 2 && v1(k) && !c.labels.iter().any(|(k, _, _)| v2(k)) =>
            {
                ("v1", *line)
            }
            Some((k, _, line))
                if major == 1 && v2(k) && !c.labels.iter().any(|(k, _, _)| v1(k)) =>
            {
                ("v2", *line)
            }
            _ => continue,
        };
        let f = LintFinding::new(
            RuleId::TraefikV1Ignored,
            file,
            line,
            format!("container {} is labelled for Traefik {other}, but the file runs Traefik {major} (its image tag), which does not read those labels: no router exists for it and every request, WebSockets included, gets 404", c.name),
        )
        .severity(Severity::Warning)
        .fix(if major >= 2 {
            "Write v2 labels: traefik.http.routers.<name>.rule=Host(`…`) and traefik.http.services.<name>.loadbalancer.server.port=…"
        } else {
            "Write v1 labels (traefik.frontend.rule=Host:…, traefik.port=…) or run Traefik v2+."
        });
        ctx.push(f);
    }
    true
}

/// Traefik v1 configuration (`[frontends]`, `[backends]`, `[file]`, a top-level
/// `[docker]`, `entryPoints.<name>.redirect`/`.tls`). Run with Traefik 3.7: keys v3
/// does not know inside an entry point make it refuse to start ("field not found,
/// node: redirect"); unknown top-level sections are ignored, so no router exists and
/// every request gets 404. Says which, once per file; true when the file is v1.
fn v1(ctx: &mut Ctx, file: &str, doc: &Node) -> bool {
    let refused = get_ci(doc, "entryPoints").and_then(|eps| {
        eps.entries().iter().find_map(|(ep, _, node)| {
            node.entries()
                .iter()
                .find(|(k, _, _)| V1_ENTRYPOINT_KEYS.iter().any(|v| k.eq_ignore_ascii_case(v)))
                .map(|(k, line, _)| (format!("entryPoints.{ep}.{k}"), *line))
        })
    });
    if let Some((key, line)) = refused {
        let f = LintFinding::new(
            RuleId::TraefikV1Rejected,
            file,
            line,
            format!("{key} is Traefik v1 static configuration: Traefik 2 and 3 refuse to start with it (\"field not found, node: {}\")", key.rsplit('.').next().unwrap_or("")),
        )
        .severity(Severity::Error)
        .fix("Migrate the file to Traefik v2+ (redirections and TLS are router and middleware settings now); Traefik forwards WebSockets without extra configuration.");
        ctx.push(f);
        return true;
    }
    let ignored = doc
        .entries()
        .iter()
        .find(|(k, _, _)| V1_SECTIONS.iter().any(|v| k.eq_ignore_ascii_case(v)));
    let Some((key, line, _)) = ignored else {
        return false;
    };
    let has_v2 = get_ci(doc, "http").is_some() || get_ci(doc, "providers").is_some();
    if has_v2 {
        return false;
    }
    let f = LintFinding::new(
        RuleId::TraefikV1Ignored,
        file,
        *line,
        format!("[{key}] is Traefik v1 configuration, which Traefik 2 and 3 ignore: they start without any router or provider from this file, so every request, WebSockets included, gets 404"),
    )
    .severity(Severity::Warning)
    .fix("Write routers and services (http.routers, http.services) in a dynamic file loaded by providers.file, or use Docker labels with providers.docker.");
    ctx.push(f);
    true
}

/// Entry point keys of Traefik v1 that v2+ refuse.
const V1_ENTRYPOINT_KEYS: &[&str] = &[
    "redirect",
    "tls",
    "compress",
    "auth",
    "whiteList",
    "whitelistSourceRange",
];

/// Top-level sections of Traefik v1 that v2+ ignore.
const V1_SECTIONS: &[&str] = &[
    "frontends",
    "backends",
    "file",
    "docker",
    "web",
    "acme",
    "defaultEntryPoints",
    "logLevel",
];

/// Dynamic configuration (`http.routers`, `http.services`): keys Traefik does not
/// know make it reject the whole file ("field not found, node: rule", checked with
/// Traefik 3.7), and a router naming a service the file lacks serves 404.
fn dynamic(ctx: &mut Ctx, file: &str, doc: &Node) {
    let Some(http) = get_ci(doc, "http") else {
        return;
    };
    for (section, known) in [("routers", ROUTER_KEYS), ("services", SERVICE_KEYS)] {
        let Some(items) = get_ci(http, section) else {
            continue;
        };
        for (item, _, node) in items.entries() {
            for (k, line, _) in node.entries() {
                if known.iter().any(|x| x.eq_ignore_ascii_case(k)) {
                    continue;
                }
                let belongs = if section == "services"
                    && ROUTER_KEYS.iter().any(|x| x.eq_ignore_ascii_case(k))
                {
                    " (it belongs to a router)"
                } else {
                    ""
                };
                let f = LintFinding::new(
                    RuleId::TraefikUnknownField,
                    file,
                    *line,
                    format!("http.{section}.{item}.{k}: Traefik has no such field{belongs} and rejects this whole file (\"field not found, node: {k}\"), so none of its routers exist and requests get 404"),
                )
                .severity(Severity::Error)
                .fix(format!("Move or delete {k}: a router has rule, service, entryPoints, middlewares, tls, priority; a service has loadBalancer, weighted, mirroring or failover."));
                ctx.push(f);
            }
        }
    }
    let services: Vec<&str> = get_ci(http, "services")
        .map(|s| s.entries().iter().map(|(k, _, _)| k.as_str()).collect())
        .unwrap_or_default();
    let Some(routers) = get_ci(http, "routers") else {
        return;
    };
    if services.is_empty() {
        return;
    }
    for (r, _, node) in routers.entries() {
        let Some((line, svc)) = node
            .entries()
            .iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case("service"))
            .and_then(|(_, line, v)| v.str().map(|s| (*line, s)))
        else {
            continue;
        };
        // `name@provider` comes from elsewhere.
        if svc.contains('@') || services.contains(&svc) {
            continue;
        }
        let f = LintFinding::new(
            RuleId::TraefikRouterServiceMissing,
            file,
            line,
            format!("router {r} sends requests to service {svc}, which this file does not define: Traefik skips the router (\"the service does not exist\") and its requests get 404"),
        )
        .severity(Severity::Warning)
        .fix(format!("Define http.services.{svc}, or name the service's provider (name@docker)."));
        ctx.push(f);
    }
}

const ROUTER_KEYS: &[&str] = &[
    "rule",
    "service",
    "entryPoints",
    "middlewares",
    "tls",
    "priority",
    "ruleSyntax",
    "observability",
];
const SERVICE_KEYS: &[&str] = &["loadBalancer", "weighted", "mirroring", "failover"];

fn get_ci<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    n.entries()
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, _, v)| v)
}

fn check(ctx: &mut Ctx, file: &str, ep: &str, rt: &Node, key: &str) {
    let Some((_, line, v)) = rt
        .entries()
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
    else {
        return;
    };
    let Some(text) = v.str() else {
        return;
    };
    // A bare number is seconds in Traefik.
    let Some(ms) = duration_ms(text, 1000) else {
        return;
    };
    if matches!(ctx.idle(ms), Idle::Fine) {
        return;
    }
    // Traefik 3.7 was run with readTimeout, writeTimeout and idleTimeout of 3 s in
    // front of a WebSocket held idle for 8 s: none cut it (an upgraded connection is
    // hijacked from the HTTP server that enforces them). Older versions were
    // reported to, so it is a note.
    let f = LintFinding::new(
        RuleId::TraefikRespondingTimeout,
        file,
        *line,
        format!(
            "entry point {ep} {key} {text} ({}) is short; Traefik 3 does not apply it to upgraded WebSocket connections (checked on 3.7), but Traefik 2 users reported WebSockets cut at this value",
            human_ms(ms)
        ),
    )
    .severity(Severity::Info)
    .fix("Raise the entry point's respondingTimeouts above the application's ping interval (0 disables read/write timeouts).")
    .replace_with([format!("{key}: 3600s")]);
    ctx.push(f);
}

#[cfg(test)]
mod tests {
    use crate::{Format, Options, RuleId, lint_text};
    use wsdoctor_core::Severity;

    fn opts() -> Options {
        Options {
            input_format: Some(Format::Traefik),
            ..Options::default()
        }
    }

    /// Compose files: labels are Traefik's dynamic configuration, the traefik
    /// container's command its static one. An https backend container is dialled
    /// at its IP and verified; labels of the other major version are not read.
    #[test]
    fn compose_labels_and_flags() {
        let compose = "services:\n  traefik:\n    image: traefik:v2.10\n    command:\n      - --providers.docker\n      - --entrypoints.web.address=:80\n  portainer:\n    image: portainer/portainer-ce\n    labels:\n      - traefik.http.routers.p.rule=Host(`p.example.com`)\n      - traefik.http.services.p.loadbalancer.server.port=9443\n      - traefik.http.services.p.loadbalancer.server.scheme=https\n";
        let r = lint_text("docker-compose.yml", compose, &Options::default());
        assert_eq!(r.rules(), [RuleId::TraefikBackendTlsUnverifiable]);
        assert_eq!(
            (r.findings[0].line, r.findings[0].finding.severity),
            (12, Severity::Warning)
        );
        let skip = compose.replace(
            "      - --providers.docker\n",
            "      - --providers.docker\n      - --serversTransport.insecureSkipVerify=true\n",
        );
        assert!(
            lint_text("docker-compose.yml", &skip, &Options::default())
                .findings
                .is_empty()
        );
        let transport = compose.replace(
            "scheme=https\n",
            "scheme=https\n      - traefik.http.services.p.loadbalancer.serverstransport=insecure@file\n",
        );
        assert!(
            lint_text("docker-compose.yml", &transport, &Options::default())
                .findings
                .is_empty()
        );
        // A mounted traefik.yml may set serversTransport: only a note.
        let mounted = compose.replace(
            "    command:\n",
            "    volumes:\n      - ./traefik.yml:/etc/traefik/traefik.yml\n    command:\n",
        );
        let r = lint_text("docker-compose.yml", &mounted, &Options::default());
        assert_eq!(r.findings[0].finding.severity, Severity::Info);
        // Traefik's static configuration elsewhere: only a note.
        let app_only = compose.replace("  traefik:\n    image: traefik:v2.10\n    command:\n      - --providers.docker\n      - --entrypoints.web.address=:80\n", "");
        let r = lint_text("docker-compose.yml", &app_only, &Options::default());
        assert_eq!(r.rules(), [RuleId::TraefikBackendTlsUnverifiable]);
        assert_eq!(r.findings[0].finding.severity, Severity::Info);
        // v1 labels under Traefik 2 are not read: 404.
        let v1 = "version: '3'\nservices:\n  traefik:\n    image: traefik:v2.5\n    command: --providers.docker\n  app:\n    image: app\n    labels:\n      - \"traefik.frontend.rule=Host:app.example.com\"\n      - \"traefik.port=8080\"\n";
        let r = lint_text("docker-compose.yml", v1, &Options::default());
        assert_eq!(r.rules(), [RuleId::TraefikV1Ignored]);
        assert_eq!(
            (r.findings[0].line, r.findings[0].id().as_str()),
            (9, "http-not-found")
        );
        let old = v1.replace("traefik:v2.5", "traefik:1.7");
        assert!(
            lint_text("docker-compose.yml", &old, &Options::default())
                .findings
                .is_empty()
        );
        // No tag: the version is unknown, nothing said.
        let untagged = v1.replace("traefik:v2.5", "traefik");
        assert!(
            lint_text("docker-compose.yml", &untagged, &Options::default())
                .findings
                .is_empty()
        );
    }

    #[test]
    fn traefik_v1_is_refused_or_ignored() {
        let refused = "[entryPoints]\n  [entryPoints.http]\n  address = \":80\"\n  [entryPoints.http.redirect]\n  entryPoint = \"https\"\n";
        let r = lint_text("traefik.toml", refused, &opts());
        assert_eq!(r.rules(), [RuleId::TraefikV1Rejected]);
        assert_eq!(
            (r.findings[0].line, r.findings[0].id().as_str()),
            (4, "proxy-config-rejected")
        );
        let ignored = "[entryPoints]\n  [entryPoints.http]\n  address = \":80\"\n[file]\n[frontends]\n  [frontends.a]\n  backend = \"b\"\n";
        let r = lint_text("traefik.toml", ignored, &opts());
        assert_eq!(r.rules(), [RuleId::TraefikV1Ignored]);
        assert_eq!(r.findings[0].id().as_str(), "http-not-found");
    }

    #[test]
    fn dynamic_files_are_checked_field_by_field() {
        let yaml = "http:\n  routers:\n    a:\n      rule: \"PathPrefix(`/`)\"\n      service: missing\n  services:\n    b:\n      rule: \"PathPrefix(`/`)\"\n      loadBalancer:\n        servers:\n          - url: \"http://127.0.0.1:8000\"\n";
        let r = lint_text("dynamic.yml", yaml, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::TraefikRouterServiceMissing, 5),
                (RuleId::TraefikUnknownField, 8)
            ]
        );
        assert!(r.findings[1].finding.detail.contains("belongs to a router"));
        let fixed = yaml.replace("service: missing", "service: b").replace(
            "      rule: \"PathPrefix(`/`)\"\n      loadBalancer",
            "      loadBalancer",
        );
        assert!(
            lint_text("dynamic.yml", &fixed, &opts())
                .findings
                .is_empty()
        );
    }

    #[test]
    fn yaml_and_toml_timeouts() {
        let yaml = "entryPoints:\n  web:\n    address: \":80\"\n    transport:\n      respondingTimeouts:\n        readTimeout: 10s\n        idleTimeout: 180\n";
        let r = lint_text("traefik.yml", yaml, &opts());
        assert_eq!(r.rules(), [RuleId::TraefikRespondingTimeout; 2]);
        assert_eq!(r.findings[0].line, 6);
        // Traefik 3 does not apply them to upgraded connections: notes only.
        assert!(
            r.findings
                .iter()
                .all(|f| f.finding.severity == Severity::Info)
        );
        let toml = "[entryPoints.web]\n  address = \":80\"\n  [entryPoints.web.transport.respondingTimeouts]\n    readTimeout = \"0s\"\n    idleTimeout = 20\n";
        let r = lint_text("traefik.toml", toml, &opts());
        assert_eq!(r.rules(), [RuleId::TraefikRespondingTimeout]);
        assert_eq!(r.findings[0].line, 5);
        let fixed = "entryPoints:\n  web:\n    transport:\n      respondingTimeouts:\n        readTimeout: 0\n        idleTimeout: 3600s\n";
        assert!(lint_text("traefik.yml", fixed, &opts()).findings.is_empty());
        let r = lint_text("traefik.toml", "[entryPoints\n", &opts());
        assert_eq!(r.errors[0].line, Some(1));
    }

    /// Both dynamic files were loaded by Traefik 3.7 (file provider, no error logged).
    #[test]
    fn a_tls_backend_no_public_ca_can_certify() {
        let conf = "http:\n  routers:\n    chat:\n      rule: \"PathPrefix(`/ws`)\"\n      service: chat\n  services:\n    chat:\n      loadBalancer:\n        servers:\n          - url: \"https://10.0.0.5:8443\"\n    api:\n      loadBalancer:\n        servers:\n          - url: \"https://api.example.com\"\n";
        let r = lint_text("dynamic.yml", conf, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        // The IP backend only: api.example.com can hold a public certificate.
        assert_eq!(got, [(RuleId::TraefikBackendTlsUnverifiable, 10)]);
        assert_eq!(r.findings[0].id().as_str(), "tls-self-signed");
        assert_eq!(r.findings[0].finding.severity, Severity::Warning);
        let fixed = "http:\n  serversTransports:\n    backend:\n      insecureSkipVerify: true\n  routers:\n    chat:\n      rule: \"PathPrefix(`/ws`)\"\n      service: chat\n  services:\n    chat:\n      loadBalancer:\n        serversTransport: backend\n        servers:\n          - url: \"https://10.0.0.5:8443\"\n    api:\n      loadBalancer:\n        servers:\n          - url: \"https://api.example.com\"\n";
        assert!(lint_text("dynamic.yml", fixed, &opts()).findings.is_empty());
        // A container name is no better than an IP; http:// inside is fine.
        let named = conf.replace("https://10.0.0.5:8443", "https://chat:8443");
        assert_eq!(
            lint_text("dynamic.yml", &named, &opts()).rules(),
            [RuleId::TraefikBackendTlsUnverifiable]
        );
        let plain = conf.replace("https://10.0.0.5:8443", "http://10.0.0.5:8080");
        assert!(
            lint_text("dynamic.yml", &plain, &opts())
                .findings
                .is_empty()
        );
        // Traefik v1: backends' servers, and the top-level insecureSkipVerify.
        let v1 = "[backends]\n  [backends.chat.servers.a]\n  url = \"wss://10.0.0.5:8443/ws\"\n[frontends]\n  [frontends.chat]\n  backend = \"chat\"\n";
        let r = lint_text("traefik.toml", v1, &opts());
        assert!(r.rules().contains(&RuleId::TraefikBackendTlsUnverifiable));
        let v1_ok = format!("insecureSkipVerify = true\n{v1}");
        assert!(
            !lint_text("traefik.toml", &v1_ok, &opts())
                .rules()
                .contains(&RuleId::TraefikBackendTlsUnverifiable)
        );
    }
}
