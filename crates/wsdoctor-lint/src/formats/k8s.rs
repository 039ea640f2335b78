//! Kubernetes manifests: Ingress objects for ingress-nginx, the AWS Load Balancer
//! Controller and GKE, with the Services, Deployments and BackendConfigs beside them.
//! Each controller proxies WebSockets by default; what cuts them is a timeout left at
//! its default (60 s ingress-nginx and ALB, a 30 s lifetime on GKE), an annotation
//! written in a form the controller ignores, or Socket.IO polling spread over replicas.

use super::tree::{self, Node};
use super::{Ctx, Idle, human_ms};
use crate::finding::{LintFinding, RuleId};
use crate::wspath;
use wsdoctor_core::Severity;
use wsdoctor_core::tables::vendor_timeout;

const NGINX: &str = "nginx.ingress.kubernetes.io/";
const ALB: &str = "alb.ingress.kubernetes.io/";
/// NGINX Inc's controller (nginxinc/kubernetes-ingress) reads `nginx.org/*` and
/// `nginx.com/*` annotations and none of ingress-nginx's `nginx.ingress.kubernetes.io/*`
/// (its docs, "Advanced configuration with annotations"); both controllers answer to
/// the class `nginx`, so only the annotations tell them apart.
const NGINX_INC: &str = "nginx.org/";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Controller {
    IngressNginx,
    NginxInc,
    Alb,
    Gce,
    Other,
}

pub(crate) fn lint(ctx: &mut Ctx, name: &str, text: &str) {
    let docs = match tree::parse_yaml(text) {
        Ok(d) => d,
        // A Helm chart's template is YAML only once rendered: its `{{ … }}` actions
        // (Go templates) are removed — lines holding only an action render to
        // control flow or injected text lint cannot know, inline ones to a value —
        // and the rest is read, the lines kept where they were.
        Err(_) if text.contains("{{") => match tree::parse_yaml(&without_template_actions(text)) {
            Ok(d) => {
                ctx.report.assume(format!(
                    "{name} is a Helm template: its {{{{ … }}}} actions were left out, so what they insert is unknown"
                ));
                d
            }
            Err(e) => {
                ctx.tree_error(name, "YAML (a Helm template, actions left out)", e);
                return;
            }
        },
        Err(e) => {
            ctx.tree_error(name, "YAML", e);
            return;
        }
    };
    // `kind: List` wraps objects in items.
    let mut objects: Vec<&Node> = Vec::new();
    for d in &docs {
        if kind(d) == "List" {
            objects.extend(
                d.get("items")
                    .map(|i| i.seq().iter().collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
        } else {
            objects.push(d);
        }
    }
    for o in &objects {
        annotations(ctx, name, text, o);
        match kind(o) {
            "Ingress" => ingress(ctx, name, o, &objects),
            "BackendConfig" => backend_config(ctx, name, o),
            _ => {}
        }
    }
}

/// `text` with each line that is only a template action blanked and each inline
/// action replaced by the word `TEMPLATE`.
fn without_template_actions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("{{") && t.ends_with("}}") && !t[2..].contains("{{") {
            out.push('\n');
            continue;
        }
        let mut rest = line;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            match rest[open..].find("}}") {
                Some(close) => {
                    out.push_str("TEMPLATE");
                    rest = &rest[open + close + 2..];
                }
                None => {
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

fn kind(n: &Node) -> &str {
    n.get("kind").and_then(Node::str).unwrap_or("")
}

fn meta_name(n: &Node) -> &str {
    n.path(&["metadata", "name"])
        .and_then(Node::str)
        .unwrap_or("")
}

fn annotation<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    n.path(&["metadata", "annotations"])?.get(key)
}

fn controller(ing: &Node) -> Controller {
    let class = ing
        .path(&["spec", "ingressClassName"])
        .and_then(Node::str)
        .or_else(|| annotation(ing, "kubernetes.io/ingress.class").and_then(Node::str))
        .unwrap_or("");
    let annotated = |prefix: &str| {
        ing.path(&["metadata", "annotations"])
            .is_some_and(|a| a.entries().iter().any(|(k, _, _)| k.starts_with(prefix)))
    };
    if annotated(NGINX_INC) || annotated("nginx.com/") {
        Controller::NginxInc
    } else if class.contains("nginx") || class.is_empty() && annotated(NGINX) {
        Controller::IngressNginx
    } else if class == "alb" || annotated(ALB) {
        Controller::Alb
    } else if class.starts_with("gce") {
        Controller::Gce
    } else {
        Controller::Other
    }
}

/// (path, line, backend service name, reason) of the Ingress's WebSocket paths.
fn ws_paths<'a>(ctx: &Ctx, ing: &'a Node) -> Vec<(&'a str, usize, &'a str, String)> {
    let ws_services = websocket_services(ing);
    let mut out = Vec::new();
    let mut all = Vec::new();
    for rule in ing
        .path(&["spec", "rules"])
        .map(Node::seq)
        .unwrap_or_default()
    {
        for p in rule
            .path(&["http", "paths"])
            .map(Node::seq)
            .unwrap_or_default()
        {
            let path = p.get("path").and_then(Node::str).unwrap_or("/");
            let service = p
                .path(&["backend", "service", "name"])
                .or_else(|| p.path(&["backend", "serviceName"]))
                .and_then(Node::str)
                .unwrap_or("");
            let why = if ws_services.contains(&service) {
                Some(format!("service {service} is listed in websocket-services"))
            } else {
                wspath::path_reason(path, &ctx.opts.ws_paths)
            };
            if let Some(why) = why {
                out.push((path, p.line, service, why));
            }
            all.push((path, p.line, service));
        }
    }
    // The default backend (spec.backend, spec.defaultBackend) takes every other path.
    if let Some(b) = ing
        .path(&["spec", "defaultBackend"])
        .or_else(|| ing.path(&["spec", "backend"]))
    {
        let service = b
            .path(&["service", "name"])
            .or_else(|| b.get("serviceName"))
            .and_then(Node::str)
            .unwrap_or("");
        all.push(("/", b.line, service));
        if !ctx.opts.ws_paths.is_empty() && out.is_empty() {
            out.push((
                "/",
                b.line,
                service,
                "the --ws-path falls to the default backend".to_string(),
            ));
        }
    }
    // Nothing marked as WebSocket: every route may carry them.
    if out.is_empty() {
        out = all
            .into_iter()
            .map(|(p, l, s)| {
                (
                    p,
                    l,
                    s,
                    "no path of this Ingress is marked as WebSocket, so every route is judged"
                        .to_string(),
                )
            })
            .collect();
    }
    out
}

/// The services `nginx.org/websocket-services` (or the old
/// `nginx.ingress.kubernetes.io/websocket-services`) lists.
fn websocket_services(ing: &Node) -> Vec<&str> {
    [NGINX_INC, NGINX]
        .iter()
        .find_map(|p| annotation(ing, &format!("{p}websocket-services")).and_then(Node::str))
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Annotation keys the API server refuses (not a qualified name) and values it
/// refuses (a YAML number or boolean where a string is required: kubectl answers
/// "cannot unmarshal number into … of type string"), and annotations a controller
/// never reads.
fn annotations(ctx: &mut Ctx, file: &str, text: &str, o: &Node) {
    let Some(anns) = o.path(&["metadata", "annotations"]) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    for (key, line, value) in anns.entries() {
        if !qualified_name(key) {
            let f = LintFinding::new(
                RuleId::K8sAnnotationInvalidKey,
                file,
                *line,
                format!("annotation key {key} is not a valid qualified name ([prefix/]name, the name 63 characters of letters, digits, '-', '_', '.'), so the API server refuses the object"),
            )
            .severity(Severity::Error)
            .fix("Write the key and the value apart: key: \"value\" (e.g. alb.ingress.kubernetes.io/load-balancer-attributes: idle_timeout.timeout_seconds=3600).");
            ctx.push(f);
            continue;
        }
        let raw = lines
            .get(value.line.saturating_sub(1))
            .and_then(|l| l.split_once(&format!("{key}:")).map(|(_, v)| v.trim()))
            .unwrap_or("");
        if value.str().is_some() && unquoted_non_string(raw) {
            let f = LintFinding::new(
                RuleId::K8sAnnotationNotString,
                file,
                *line,
                format!("annotation {key}: {raw} is a YAML {} where Kubernetes requires a string, so the API server refuses the object (\"cannot unmarshal … into … of type string\") and nothing in it applies", if raw.parse::<f64>().is_ok() { "number" } else { "boolean" }),
            )
            .severity(Severity::Error)
            .fix("Quote the value.")
            .replace_with([format!("{key}: \"{raw}\"")]);
            ctx.push(f);
        }
        if let Some(hint) = ignored_annotation(key) {
            let f = LintFinding::new(
                RuleId::K8sAnnotationIgnored,
                file,
                *line,
                format!(
                    "{key} is not an annotation the controller reads, so it changes nothing: {hint}"
                ),
            )
            .severity(Severity::Warning);
            ctx.push(f);
        }
    }
}

/// Kubernetes' qualified name: an optional DNS-subdomain prefix and `/`, then a name.
fn qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c))
    });
    name_ok && prefix_ok
}

/// A plain YAML scalar that is a number or a boolean, not a string.
fn unquoted_non_string(raw: &str) -> bool {
    let v = raw.split(" #").next().unwrap_or("").trim();
    if v.is_empty() || v.starts_with(['"', '\'', '|', '>']) {
        return false;
    }
    v.parse::<f64>().is_ok()
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off"
        )
}

/// Timeout annotations in a controller's namespace that the controller does not have,
/// with what it reads instead.
fn ignored_annotation(key: &str) -> Option<String> {
    let name = key.strip_prefix(ALB)?;
    let timeoutish = name.contains("idle") || name.contains("timeout");
    let known = matches!(
        name,
        "load-balancer-attributes" | "target-group-attributes" | "healthcheck-timeout-seconds"
    );
    (timeoutish && !known).then(|| {
        format!(
            "the ALB keeps its {} s idle timeout; set {ALB}load-balancer-attributes: idle_timeout.timeout_seconds=3600",
            vendor_timeout("aws-alb").seconds
        )
    })
}

fn ingress(ctx: &mut Ctx, file: &str, ing: &Node, objects: &[&Node]) {
    backend_config_on_ingress(ctx, file, ing);
    let paths = ws_paths(ctx, ing);
    let Some((first_path, _, _, why)) = paths.first().cloned() else {
        return;
    };
    let about = format!(
        "(Ingress {} path {first_path} is treated as WebSocket because {why})",
        meta_name(ing)
    );
    match controller(ing) {
        Controller::IngressNginx => ingress_nginx(ctx, file, ing, &about),
        Controller::NginxInc => nginx_inc(ctx, file, ing, &paths, &about),
        Controller::Alb => alb(ctx, file, ing, &about),
        Controller::Gce => gce(ctx, file, &paths, objects, &about),
        // No class: GKE's own controller takes it when its Services are NodePort,
        // which ingress-gce requires (ingress-nginx does not).
        Controller::Other if unclassified(ing) && nodeport_backends(&paths, objects) => {
            ctx.report.assume(format!(
                "Ingress {} has no class and NodePort backends: read as GKE's ingress-gce",
                meta_name(ing)
            ));
            gce(ctx, file, &paths, objects, &about)
        }
        Controller::Other => {}
    }
    for (path, line, service, _) in &paths {
        if wspath::is_polling_endpoint(path) {
            affinity(ctx, file, ing, *line, path, service, objects);
        }
    }
}

fn unclassified(ing: &Node) -> bool {
    ing.path(&["spec", "ingressClassName"]).is_none()
        && annotation(ing, "kubernetes.io/ingress.class").is_none()
}

fn nodeport_backends(paths: &[(&str, usize, &str, String)], objects: &[&Node]) -> bool {
    !paths.is_empty()
        && paths.iter().all(|(_, _, service, _)| {
            objects.iter().any(|o| {
                kind(o) == "Service"
                    && meta_name(o) == *service
                    && o.path(&["spec", "type"]).and_then(Node::str) == Some("NodePort")
            })
        })
}

/// GKE reads `cloud.google.com/backend-config` from the Service; on the Ingress it is
/// ignored and the 30 s default backend timeout stays.
fn backend_config_on_ingress(ctx: &mut Ctx, file: &str, ing: &Node) {
    let anns = ing.path(&["metadata", "annotations"]);
    for key in [
        "cloud.google.com/backend-config",
        "beta.cloud.google.com/backend-config",
    ] {
        let Some(line) = anns.and_then(|a| a.key_line(key)) else {
            continue;
        };
        let secs = vendor_timeout("gcp-lb").seconds;
        let f = LintFinding::new(
            RuleId::K8sBackendConfigOnIngress,
            file,
            line,
            format!("{key} is read from the Service, not from the Ingress: GKE ignores it here, so the backend keeps the {secs} s default timeout, which caps every WebSocket at {secs} s"),
        )
        .fix("Move the annotation to the Service the Ingress routes to.")
        .replace_with([
            "# on the Service:".to_string(),
            "metadata:".to_string(),
            "  annotations:".to_string(),
            format!("    {key}: '{{\"default\": \"<backendconfig name>\"}}'"),
        ]);
        ctx.push(f);
    }
}

fn ingress_nginx(ctx: &mut Ctx, file: &str, ing: &Node, about: &str) {
    let anns = ing.path(&["metadata", "annotations"]);
    let meta_line = ing.key_line("metadata").unwrap_or(ing.line);
    for which in ["proxy-read-timeout", "proxy-send-timeout"] {
        let key = format!("{NGINX}{which}");
        let read = which == "proxy-read-timeout";
        // ingress-nginx's default, from the shared vendor table.
        let default_s = u64::from(vendor_timeout("ingress-nginx").seconds);
        let Some(v) = annotation(ing, &key) else {
            if read && ctx.opts.ping_interval.is_none_or(|p| p >= default_s) {
                let line = ing
                    .get("metadata")
                    .and_then(|m| m.key_line("annotations"))
                    .unwrap_or(meta_line);
                ctx.push(
                    LintFinding::new(
                        RuleId::K8sIngressNginxTimeoutDefault,
                        file,
                        line,
                        format!("no {key} annotation: ingress-nginx closes a WebSocket that is quiet for {default_s} s (the default), fine only if the application pings more often {about}"),
                    )
                    .severity(Severity::Info)
                    .fix(format!("Make sure client or server pings more often than every {default_s} s, or set the annotation (plain seconds)."))
                    .replace_with([format!("{key}: \"3600\"")]),
                );
            }
            continue;
        };
        let line = anns.and_then(|a| a.key_line(&key)).unwrap_or(v.line);
        let text = v.str().unwrap_or("").trim();
        if text.parse::<u64>().is_err() {
            let seconds = super::duration_ms(text, 1000)
                .map(|ms| (ms / 1000).to_string())
                .unwrap_or_else(|| "3600".into());
            let (sev, effect) = if read {
                (
                    Severity::Warning,
                    format!("the {default_s} s default stays in force"),
                )
            } else {
                (
                    Severity::Info,
                    "harmless for idle WebSockets, which proxy-read-timeout governs, but not what was meant"
                        .to_string(),
                )
            };
            ctx.push(
                LintFinding::new(
                    RuleId::K8sIngressNginxTimeoutUnit,
                    file,
                    line,
                    format!("{key}: \"{text}\" is ignored: ingress-nginx takes plain seconds, so {effect} {about}"),
                )
                .severity(sev)
                .fix("Write the timeout as a number of seconds without a unit.")
                .replace_with([format!("{key}: \"{seconds}\"")]),
            );
            continue;
        }
        let secs: u64 = text.parse().unwrap_or(0);
        let verdict = ctx.idle(secs * 1000);
        if read && !matches!(verdict, Idle::Fine) {
            ctx.push(
                LintFinding::new(
                    RuleId::K8sIngressNginxTimeoutShort,
                    file,
                    line,
                    format!(
                        "{key}: \"{secs}\" closes a WebSocket quiet for {secs} s, {} {about}",
                        verdict.phrase()
                    ),
                )
                .severity(verdict.severity())
                .replace_with([format!("{key}: \"3600\"")]),
            );
        }
    }
}

/// NGINX Inc's controller proxies WebSockets only for the services listed in
/// `nginx.org/websocket-services` (its docs: "Enables WebSocket for services"; the
/// template adds the Upgrade and Connection headers for those alone), so a
/// WebSocket path whose service is not listed loses the Upgrade. Its
/// `nginx.org/proxy-read-timeout` defaults to nginx's 60 s, and the
/// `nginx.ingress.kubernetes.io/*` annotations written for the other controller are
/// ignored — timeouts included.
fn nginx_inc(
    ctx: &mut Ctx,
    file: &str,
    ing: &Node,
    paths: &[(&str, usize, &str, String)],
    about: &str,
) {
    let listed = websocket_services(ing);
    let anns = ing.path(&["metadata", "annotations"]);
    let anns_line = ing
        .get("metadata")
        .and_then(|m| m.key_line("annotations"))
        .unwrap_or(ing.line);
    let mut said = Vec::new();
    for (path, line, service, why) in paths {
        if service.is_empty() || listed.contains(service) || said.contains(service) {
            continue;
        }
        said.push(*service);
        let mut names: Vec<&str> = listed.clone();
        names.push(service);
        let f = LintFinding::new(
            RuleId::K8sNginxIncWebsocketServices,
            file,
            *line,
            format!(
                "service {service} is not listed in {NGINX_INC}websocket-services: NGINX Inc's controller (read from the nginx.org/ annotations) forwards the Upgrade and Connection headers only for listed services, so WebSockets to {path} get a plain request (Ingress {} path {path} is treated as WebSocket because {why})",
                meta_name(ing)
            ),
        )
        .severity(Severity::Warning)
        .quote(file, anns_line)
        .fix("List every service that serves WebSockets in nginx.org/websocket-services.")
        .replace_with([format!("{NGINX_INC}websocket-services: \"{}\"", names.join(","))]);
        ctx.push(f);
    }
    let key = format!("{NGINX_INC}proxy-read-timeout");
    // The controller's default is nginx's own proxy_read_timeout.
    let default_s = u64::from(vendor_timeout("nginx").seconds);
    match annotation(ing, &key) {
        None if ctx.opts.ping_interval.is_none_or(|p| p >= default_s) => {
            ctx.push(
                LintFinding::new(
                    RuleId::K8sNginxIncTimeout,
                    file,
                    anns_line,
                    format!("no {key} annotation: NGINX Inc's controller closes a WebSocket that is quiet for {default_s} s (nginx's default), fine only if the application pings more often {about}"),
                )
                .severity(Severity::Info)
                .fix(format!("Make sure client or server pings more often than every {default_s} s, or set the annotation (\"3600s\")."))
                .replace_with([format!("{key}: \"3600s\"")]),
            );
        }
        None => {}
        Some(v) => {
            // nginx time syntax: "60s", "1h"; a bare number is seconds.
            if let Some(ms) = v.str().and_then(|t| super::duration_ms(t, 1000)) {
                let verdict = ctx.idle(ms);
                if !matches!(verdict, Idle::Fine) {
                    let line = anns.and_then(|a| a.key_line(&key)).unwrap_or(v.line);
                    ctx.push(
                        LintFinding::new(
                            RuleId::K8sNginxIncTimeout,
                            file,
                            line,
                            format!(
                                "{key}: \"{}\" closes a WebSocket quiet for {}, {} {about}",
                                v.str().unwrap_or(""),
                                human_ms(ms),
                                verdict.phrase()
                            ),
                        )
                        .severity(verdict.severity())
                        .replace_with([format!("{key}: \"3600s\"")]),
                    );
                }
            }
        }
    }
    // ingress-nginx's timeout annotations beside nginx.org/ ones: one of the two sets
    // is ignored by whichever controller runs (both answer to the class `nginx`, and
    // the file cannot say which one is installed). Read as NGINX Inc's, these are, and
    // its timeout is what the nginx.org/ annotation says, else nginx's 60 s default —
    // the same verdict as a missing nginx.org/ timeout above (a note unless the ping
    // interval is known to be slower). With ingress-nginx running instead, these are
    // read, in plain seconds, so the pair is right whichever runs when both are long.
    for which in ["proxy-read-timeout", "proxy-send-timeout"] {
        let other = format!("{NGINX}{which}");
        let Some(line) = anns.and_then(|a| a.key_line(&other)) else {
            continue;
        };
        let own = annotation(ing, &format!("{NGINX_INC}{which}")).is_some();
        // proxy_send_timeout is never blamed for idle WebSockets (see the nginx rules).
        let severity = if which == "proxy-read-timeout" && !own {
            ctx.idle(default_s * 1000).severity()
        } else {
            Severity::Info
        };
        let then = if own {
            format!("its own {NGINX_INC}{which} applies")
        } else {
            format!(
                "its timeout stays {default_s} s, fine only if the application pings more often"
            )
        };
        let f = LintFinding::new(
            RuleId::K8sAnnotationIgnored,
            file,
            line,
            format!("{other} is ingress-nginx's annotation, and this Ingress is also written for NGINX Inc's controller (nginx.org/ annotations), which ignores it: {then}; with ingress-nginx running instead, the nginx.org/ ones are ignored and this one is read"),
        )
        .severity(severity)
        .fix(format!("Use the annotation of the controller that runs: {NGINX_INC}{which}: \"3600s\" for NGINX Inc's."))
        .replace_with([format!("{NGINX_INC}{which}: \"3600s\"")]);
        ctx.push(f);
    }
}

fn alb(ctx: &mut Ctx, file: &str, ing: &Node, about: &str) {
    let key = format!("{ALB}load-balancer-attributes");
    let ann = annotation(ing, &key);
    let anns = ing.path(&["metadata", "annotations"]);
    let value = ann.and_then(Node::str).and_then(|attrs| {
        attrs.split(',').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k.trim() == "idle_timeout.timeout_seconds").then(|| v.trim().parse::<u64>().ok())?
        })
    });
    let line = anns
        .and_then(|a| a.key_line(&key))
        .or_else(|| ing.get("metadata").and_then(|m| m.key_line("annotations")))
        .unwrap_or(ing.line);
    // The ALB's default, from the shared vendor table.
    let alb_default = u64::from(vendor_timeout("aws-alb").seconds);
    let verdict = ctx.idle(value.unwrap_or(alb_default) * 1000);
    let secs = match value {
        Some(s) if !matches!(verdict, Idle::Fine) => s,
        Some(_) => return,
        None if ctx.opts.ping_interval.is_some_and(|p| p < alb_default) => return,
        None => alb_default,
    };
    let explicit = value.is_some();
    ctx.push(
        LintFinding::new(
            RuleId::K8sAlbIdleTimeout,
            file,
            line,
            if explicit {
                format!("the ALB idle timeout is {secs} s, {} {about}", verdict.phrase())
            } else {
                format!("no idle_timeout.timeout_seconds: the ALB closes connections idle for {alb_default} s (its default), fine only if the application pings more often {about}")
            },
        )
        .severity(if explicit { verdict.severity() } else { Severity::Info })
        .replace_with([format!("{key}: idle_timeout.timeout_seconds=3600")]),
    );
}

fn gce(
    ctx: &mut Ctx,
    file: &str,
    paths: &[(&str, usize, &str, String)],
    objects: &[&Node],
    about: &str,
) {
    for (_, _, service, _) in paths {
        let Some(svc) = objects
            .iter()
            .find(|o| kind(o) == "Service" && meta_name(o) == *service)
        else {
            continue;
        };
        let attached = [
            "cloud.google.com/backend-config",
            "beta.cloud.google.com/backend-config",
        ]
        .iter()
        .any(|k| annotation(svc, k).is_some());
        if attached {
            continue;
        }
        ctx.push(
            LintFinding::new(
                RuleId::K8sGkeBackendTimeout,
                file,
                svc.key_line("metadata").unwrap_or(svc.line),
                format!("Service {service} has no BackendConfig, so the GKE load balancer's 30 s backend timeout caps every WebSocket at 30 s, busy or not {about}"),
            )
            .replace_with([
                "metadata:".to_string(),
                "  annotations:".to_string(),
                format!("    cloud.google.com/backend-config: '{{\"default\": \"{service}-ws\"}}'"),
                "# with a BackendConfig whose spec.timeoutSec is 3600".to_string(),
            ]),
        );
    }
}

fn backend_config(ctx: &mut Ctx, file: &str, bc: &Node) {
    let spec = bc.get("spec");
    let t = spec.and_then(|s| s.get("timeoutSec"));
    let secs = t.and_then(Node::str).and_then(|s| s.parse::<u64>().ok());
    let (line, detail) = match secs {
        Some(s) if s >= 600 => return,
        Some(s) => (
            spec.and_then(|x| x.key_line("timeoutSec"))
                .unwrap_or(bc.line),
            format!(
                "timeoutSec: {s} caps every WebSocket through this backend at {}, busy or not (on GKE it is a connection lifetime, not an idle timeout)",
                human_ms(s * 1000)
            ),
        ),
        None => (
            bc.key_line("spec").unwrap_or(bc.line),
            format!(
                "BackendConfig {} sets no timeoutSec, so the 30 s default caps every WebSocket through this backend at 30 s",
                meta_name(bc)
            ),
        ),
    };
    ctx.push(
        LintFinding::new(RuleId::K8sGkeBackendTimeout, file, line, detail)
            .replace_with(["spec:", "  timeoutSec: 3600"]),
    );
}

/// Socket.IO behind several replicas needs session affinity for its polling transport.
fn affinity(
    ctx: &mut Ctx,
    file: &str,
    ing: &Node,
    line: usize,
    path: &str,
    service: &str,
    objects: &[&Node],
) {
    let replicas = replicas_behind(service, objects);
    if replicas < 2 {
        return;
    }
    let has = |k: &str| annotation(ing, k).is_some();
    let sticky = match controller(ing) {
        Controller::IngressNginx => {
            has(&format!("{NGINX}affinity")) || has(&format!("{NGINX}upstream-hash-by"))
        }
        Controller::Alb => annotation(ing, &format!("{ALB}target-group-attributes"))
            .and_then(Node::str)
            .is_some_and(|v| v.contains("stickiness.enabled=true")),
        _ => return,
    };
    if sticky {
        return;
    }
    let fix = match controller(ing) {
        Controller::Alb => format!(
            "{ALB}target-group-attributes: stickiness.enabled=true,stickiness.lb_cookie.duration_seconds=86400"
        ),
        _ => format!("{NGINX}affinity: \"cookie\""),
    };
    ctx.push(
        LintFinding::new(
            RuleId::K8sStickySessionMissing,
            file,
            line,
            format!("path {path} goes to service {service} with {replicas} replicas and no session affinity: Socket.IO long-polling requests of one session land on different pods (\"Session ID unknown\")"),
        )
        .severity(Severity::Warning)
        .fix("Enable cookie affinity on the Ingress, or use the WebSocket transport only.")
        .replace_with([fix]),
    );
}

/// Replicas of the Deployment/StatefulSet a Service selects (0 when not in the input).
fn replicas_behind(service: &str, objects: &[&Node]) -> u64 {
    let Some(svc) = objects
        .iter()
        .find(|o| kind(o) == "Service" && meta_name(o) == service)
    else {
        return 0;
    };
    let selector = svc
        .path(&["spec", "selector"])
        .map(Node::entries)
        .unwrap_or_default();
    if selector.is_empty() {
        return 0;
    }
    objects
        .iter()
        .filter(|o| matches!(kind(o), "Deployment" | "StatefulSet" | "ReplicaSet"))
        .filter(|o| {
            let labels = o.path(&["spec", "template", "metadata", "labels"]);
            selector
                .iter()
                .all(|(k, _, v)| labels.and_then(|l| l.get(k)).and_then(Node::str) == v.str())
        })
        .map(|o| {
            let hpa_min = objects
                .iter()
                .filter(|h| kind(h) == "HorizontalPodAutoscaler")
                .filter(|h| {
                    h.path(&["spec", "scaleTargetRef", "name"])
                        .and_then(Node::str)
                        == Some(meta_name(o))
                })
                .filter_map(|h| {
                    h.path(&["spec", "minReplicas"])
                        .and_then(Node::str)?
                        .parse::<u64>()
                        .ok()
                })
                .max()
                .unwrap_or(0);
            let own = o
                .path(&["spec", "replicas"])
                .and_then(Node::str)
                .and_then(|r| r.parse().ok())
                .unwrap_or(1);
            own.max(hpa_min)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use crate::{Input, Options, RuleId, lint};
    use std::path::PathBuf;

    fn run(name: &str, opts: &Options) -> crate::LintReport {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/lint/k8s")
            .join(name);
        lint(&[Input::Path(p)], opts)
    }

    #[test]
    fn broken_manifests() {
        let r = run("broken.yaml", &Options::default());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::K8sIngressNginxTimeoutUnit, 7),
                (RuleId::K8sIngressNginxTimeoutUnit, 8),
                (RuleId::K8sStickySessionMissing, 15),
                (RuleId::K8sAlbIdleTimeout, 56),
                (RuleId::K8sGkeBackendTimeout, 92),
                (RuleId::K8sGkeBackendTimeout, 104),
            ]
        );
        let sev: Vec<_> = r
            .findings
            .iter()
            .map(|f| f.finding.severity.as_str())
            .collect();
        assert_eq!(
            sev,
            ["warning", "info", "warning", "info", "warning", "warning"]
        );
        assert_eq!(r.findings[0].id().as_str(), "proxy-idle-timeout");
        assert_eq!(
            r.findings[0].replacement,
            ["nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\""]
        );
        assert_eq!(r.findings[2].id().as_str(), "http-sticky-session-missing");
        assert_eq!(r.findings[4].id().as_str(), "proxy-stream-lifetime");
    }

    #[test]
    fn fixed_manifests_are_clean() {
        let r = run("fixed.yaml", &Options::default());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rules(), Vec::<RuleId>::new());
    }

    #[test]
    fn annotations_the_api_or_the_controller_refuses() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  annotations:\n    kubernetes.io/ingress.class: alb\n    alb.ingress.kubernetes.io/connection-idle-timeout: \"1800\"\n    alb.ingress.kubernetes.io/load-balancer-attributes:idle_timeout.timeout_seconds: \"120\"\n    nginx.ingress.kubernetes.io/proxy-read-timeout: 3600\nspec:\n  defaultBackend:\n    service:\n      name: app\n      port:\n        number: 80\n";
        let r = crate::lint_text("i.yaml", text, &Options::default());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::K8sAlbIdleTimeout, 5),
                (RuleId::K8sAnnotationIgnored, 7),
                (RuleId::K8sAnnotationInvalidKey, 8),
                (RuleId::K8sAnnotationNotString, 9)
            ]
        );
        // The default backend is judged although no path names WebSockets.
        assert!(
            r.findings[0]
                .finding
                .detail
                .contains("no path of this Ingress")
        );
    }

    /// NGINX Inc's controller, told by its nginx.org/ annotations: a WebSocket
    /// service it is not told about loses the Upgrade; its read timeout is nginx's
    /// 60 s unless nginx.org/proxy-read-timeout says otherwise (nginx time units
    /// allowed); ingress-nginx's timeout annotations beside them are ignored.
    #[test]
    fn nginx_inc_needs_websocket_services() {
        let ing = |anns: &str| {
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: chat\n  annotations:\n    kubernetes.io/ingress.class: nginx\n{anns}spec:\n  rules:\n  - host: chat.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n      - path: /ws\n        pathType: Prefix\n        backend:\n          service:\n            name: realtime\n            port:\n              number: 8080\n"
            )
        };
        let loud = |r: &crate::LintReport| -> Vec<RuleId> {
            r.findings
                .iter()
                .filter(|f| f.finding.severity >= wsdoctor_core::Severity::Warning)
                .map(|f| f.rule)
                .collect()
        };
        let missing = ing(
            "    nginx.org/proxy-read-timeout: \"3600s\"\n    nginx.org/websocket-services: \"web\"\n",
        );
        let r = crate::lint_text("i.yaml", &missing, &Options::default());
        assert_eq!(loud(&r), [RuleId::K8sNginxIncWebsocketServices]);
        let f = &r.findings[0];
        assert_eq!(
            (f.line, f.id().as_str()),
            (21, "proxy-upgrade-not-forwarded")
        );
        assert_eq!(
            f.replacement,
            ["nginx.org/websocket-services: \"web,realtime\""]
        );
        let listed = missing.replace("\"web\"", "\"realtime\"");
        let r = crate::lint_text("i.yaml", &listed, &Options::default());
        assert!(r.findings.is_empty(), "{:?}", r.rules());
        // No read timeout: a note, as for ingress-nginx.
        let default = ing("    nginx.org/websocket-services: \"realtime\"\n");
        let r = crate::lint_text("i.yaml", &default, &Options::default());
        assert_eq!(r.rules(), [RuleId::K8sNginxIncTimeout]);
        assert_eq!(
            r.findings[0].finding.severity,
            wsdoctor_core::Severity::Info
        );
        // ingress-nginx's timeout next to nginx.org/ annotations is ignored.
        let mixed = ing(
            "    nginx.org/websocket-services: \"realtime\"\n    nginx.org/proxy-read-timeout: \"3600s\"\n    nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\"\n",
        );
        // Whichever controller runs reads a 3600 s timeout: a note only.
        let r = crate::lint_text("i.yaml", &mixed, &Options::default());
        assert!(loud(&r).is_empty(), "{:?}", r.rules());
        assert_eq!(r.rules(), [RuleId::K8sAnnotationIgnored]);
        // Without the nginx.org/ timeout, NGINX Inc's would keep nginx's 60 s: a note
        // while the ping interval is unknown, a warning when it is known to be slower.
        let only_community = mixed.replace("    nginx.org/proxy-read-timeout: \"3600s\"\n", "");
        let r = crate::lint_text("i.yaml", &only_community, &Options::default());
        assert!(loud(&r).is_empty(), "{:?}", r.rules());
        assert!(r.rules().contains(&RuleId::K8sAnnotationIgnored));
        let slow = Options {
            ping_interval: Some(90),
            ..Options::default()
        };
        let r = crate::lint_text("i.yaml", &only_community, &slow);
        assert!(
            loud(&r).contains(&RuleId::K8sAnnotationIgnored),
            "{:?}",
            r.rules()
        );
        // Without nginx.org/ annotations the class nginx is ingress-nginx's, which
        // proxies WebSockets by itself.
        let community = ing("    nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\"\n");
        assert!(
            crate::lint_text("i.yaml", &community, &Options::default())
                .findings
                .is_empty()
        );
    }

    /// A Helm template is read with its actions left out (said as an assumption),
    /// its lines where they were.
    #[test]
    fn helm_templates_are_read_without_their_actions() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {{ include \"app.fullname\" . }}\n  annotations:\n    nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600s\"\n    {{- with .Values.ingress.annotations }}\n    {{- toYaml . | nindent 4 }}\n    {{- end }}\nspec:\n  rules:\n    - host: {{ .Values.host }}\n      http:\n        paths:\n          - path: /ws\n            pathType: Prefix\n            backend:\n              service:\n                name: {{ include \"app.fullname\" . }}\n                port:\n                  number: 80\n";
        let r = crate::lint_text("ingress.yaml", text, &Options::default());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rules(), [RuleId::K8sIngressNginxTimeoutUnit]);
        assert_eq!(r.findings[0].line, 6);
        assert!(r.assumptions.iter().any(|a| a.contains("Helm template")));
    }

    #[test]
    fn gke_backend_config_belongs_on_the_service() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  annotations:\n    kubernetes.io/ingress.class: gce\n    cloud.google.com/backend-config: '{\"default\": \"ws\"}'\n";
        let r = crate::lint_text("i.yaml", text, &Options::default());
        assert_eq!(r.rules(), [RuleId::K8sBackendConfigOnIngress]);
        assert_eq!(r.findings[0].id().as_str(), "proxy-stream-lifetime");
        // No class and a NodePort Service: GKE's controller, with its 30 s default.
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  type: NodePort\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\nspec:\n  defaultBackend:\n    service:\n      name: svc\n";
        let r = crate::lint_text("i.yaml", text, &Options::default());
        assert_eq!(r.rules(), [RuleId::K8sGkeBackendTimeout]);
        assert!(r.assumptions.iter().any(|a| a.contains("ingress-gce")));
    }

    #[test]
    fn bad_yaml_is_an_error_with_a_line() {
        let r = crate::lint_text(
            "x.yaml",
            "apiVersion: v1\nkind: Ingress\nmetadata: [\n",
            &Options::default(),
        );
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].line.is_some());
        assert!(r.files.is_empty());
    }
}
