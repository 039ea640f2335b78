//! Envoy (YAML or JSON bootstrap): the HTTP connection manager refuses Upgrades unless
//! `upgrade_configs` lists websocket, on the connection manager or on the route (Envoy
//! answers 403 itself); afterwards `stream_idle_timeout` (5 min by default) and a
//! route's `idle_timeout` cut quiet connections.

use super::tree::{self, Node};
use super::{Ctx, Idle, duration_ms, human_ms};
use crate::finding::{LintFinding, RuleId};
use crate::wspath;

pub(crate) fn lint(ctx: &mut Ctx, name: &str, text: &str) {
    let docs = match tree::parse_yaml(text) {
        Ok(d) => d,
        Err(e) => {
            ctx.tree_error(name, "YAML", e);
            return;
        }
    };
    for doc in &docs {
        let mut all = Vec::new();
        doc.walk(&mut all);
        for hcm in all.into_iter().filter(|n| is_hcm(n)) {
            connection_manager(ctx, name, hcm);
        }
    }
}

fn is_hcm(n: &Node) -> bool {
    (n.get("route_config").is_some() || n.get("rds").is_some())
        && (n.get("stat_prefix").is_some() || n.get("http_filters").is_some())
}

/// Whether an `upgrade_configs` list enables websocket.
fn allows_websocket(n: Option<&Node>) -> Option<bool> {
    let list = n?.get("upgrade_configs")?;
    Some(list.seq().iter().any(|u| {
        u.get("upgrade_type")
            .and_then(Node::str)
            .is_some_and(|t| t.eq_ignore_ascii_case("websocket"))
            && u.get("enabled").and_then(Node::str) != Some("false")
    }))
}

/// A protobuf Duration as Envoy's YAML writes it: `"300s"`, `"0.5s"` or `{seconds: 300}`.
fn duration(n: &Node) -> Option<u64> {
    if let Some(s) = n.str() {
        return duration_ms(s, 1000);
    }
    let secs = n
        .get("seconds")
        .and_then(Node::str)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let nanos = n
        .get("nanos")
        .and_then(Node::str)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    Some(secs * 1000 + nanos / 1_000_000)
}

/// The route's match: (`prefix` | `path` | `path_separated_prefix` | `regex`, value).
fn route_path(route: &Node) -> Option<(&'static str, &str)> {
    let m = route.get("match")?;
    for key in ["prefix", "path", "path_separated_prefix"] {
        if let Some(v) = m.get(key).and_then(Node::str) {
            return Some((key, v));
        }
    }
    m.path(&["safe_regex", "regex"])
        .and_then(Node::str)
        .map(|v| ("regex", v))
}

fn matches_path(kind: &str, m: &str, path: &str) -> bool {
    match kind {
        "prefix" => path.starts_with(m),
        "path" => path == m,
        "path_separated_prefix" => {
            path == m || path.starts_with(m) && path[m.len()..].starts_with('/')
        }
        _ => regex::Regex::new(&format!("^(?:{m})$")).is_ok_and(|re| re.is_match(path)),
    }
}

fn connection_manager(ctx: &mut Ctx, file: &str, hcm: &Node) {
    let hcm_ws = allows_websocket(Some(hcm)).unwrap_or(false);
    let mut any_ws = false;
    let vhosts = hcm
        .path(&["route_config", "virtual_hosts"])
        .map(Node::seq)
        .unwrap_or_default();
    let routes: Vec<&Node> = vhosts
        .iter()
        .flat_map(|v| v.get("routes").map(Node::seq).unwrap_or_default())
        .collect();
    // A --ws-path is judged on the first route that matches it, as Envoy picks one.
    let first_match = |p: &str| {
        routes
            .iter()
            .position(|r| route_path(r).is_some_and(|(kind, m)| matches_path(kind, m, p)))
    };
    let user_routes: Vec<(usize, &String)> = ctx
        .opts
        .ws_paths
        .iter()
        .filter_map(|p| first_match(p).map(|i| (i, p)))
        .collect();
    // Nothing marked as WebSocket (no upgrade_configs anywhere, no WebSocket path,
    // no --ws-path reaching a route): every proxied route may carry them.
    let marked = hcm_ws
        || !user_routes.is_empty()
        || routes.iter().any(|r| {
            r.get("route").is_some()
                && (allows_websocket(r.get("route")) == Some(true)
                    || route_path(r).is_some_and(|(_, m)| wspath::path_reason(m, &[]).is_some()))
        });
    for (i, route) in routes.iter().enumerate() {
        let path = route_path(route).map(|(_, m)| m).unwrap_or("");
        // A direct_response or redirect route proxies nothing.
        let Some(action) = route.get("route") else {
            continue;
        };
        let route_ws = allows_websocket(Some(action));
        let user = user_routes.iter().find(|(j, _)| *j == i).map(|(_, p)| *p);
        let why = match (route_ws, user, wspath::path_reason(path, &[])) {
            (Some(true), _, _) => "its route enables websocket upgrades".to_string(),
            (_, Some(p), _) => format!("--ws-path {p} reaches it first"),
            (_, None, Some(w)) => w,
            _ if !marked => "no route of this connection manager is marked as WebSocket, so every proxied route is judged".to_string(),
            _ => continue,
        };
        let action = Some(action);
        any_ws = true;
        let about = format!("(route {path} is treated as WebSocket because {why})");
        if !hcm_ws && route_ws != Some(true) {
            let f = LintFinding::new(
                RuleId::EnvoyNoWebsocketUpgrade,
                file,
                route.line,
                format!("neither the route nor its connection manager lists upgrade_configs websocket, so Envoy refuses the Upgrade with its own 403 {about}"),
            )
            .fix("Add upgrade_configs: [{upgrade_type: websocket}] to the http_connection_manager (or to the route).")
            .replace_with(["upgrade_configs:", "- upgrade_type: websocket"]);
            ctx.push(f);
        }
        if let Some(t) = action.and_then(|a| a.get("idle_timeout"))
            && let Some(ms) = duration(t)
            && let verdict = ctx.idle(ms)
            && !matches!(verdict, Idle::Fine)
        {
            let line = action
                .and_then(|a| a.key_line("idle_timeout"))
                .unwrap_or(t.line);
            let f = LintFinding::new(
                RuleId::EnvoyRouteIdleTimeoutShort,
                file,
                line,
                format!(
                    "route idle_timeout {} cuts WebSockets quiet for that long, {} {about}",
                    human_ms(ms),
                    verdict.phrase()
                ),
            )
            .severity(verdict.severity())
            .replace_with(["idle_timeout: 3600s"]);
            ctx.push(f);
        }
    }
    if !any_ws {
        return;
    }
    if let Some(t) = hcm.get("stream_idle_timeout")
        && let Some(ms) = duration(t)
        && let verdict = ctx.idle(ms)
        && !matches!(verdict, Idle::Fine)
    {
        let f = LintFinding::new(
            RuleId::EnvoyStreamIdleTimeoutShort,
            file,
            hcm.key_line("stream_idle_timeout").unwrap_or(t.line),
            format!(
                "stream_idle_timeout {} cuts WebSockets quiet for that long, {}",
                human_ms(ms),
                verdict.phrase()
            ),
        )
        .severity(verdict.severity())
        .replace_with(["stream_idle_timeout: 3600s"]);
        ctx.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Format, Options, RuleId, lint_text};
    use std::path::PathBuf;

    fn opts() -> Options {
        Options {
            input_format: Some(Format::Envoy),
            ..Options::default()
        }
    }

    fn read(name: &str) -> String {
        std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/lint/envoy")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn unmarked_routes_are_judged() {
        let text = "static_resources:\n  listeners:\n  - filter_chains:\n    - filters:\n      - name: envoy.filters.network.http_connection_manager\n        typed_config:\n          stat_prefix: ingress\n          route_config:\n            virtual_hosts:\n            - name: app\n              routes:\n              - match:\n                  prefix: \"/\"\n                route:\n                  cluster: app\n";
        let r = lint_text("envoy.yaml", text, &opts());
        assert_eq!(r.rules(), [RuleId::EnvoyNoWebsocketUpgrade]);
        assert!(
            r.findings[0]
                .finding
                .detail
                .contains("no route of this connection manager")
        );
        let fixed = text.replace("          stat_prefix: ingress\n", "          stat_prefix: ingress\n          upgrade_configs:\n          - upgrade_type: websocket\n");
        assert!(lint_text("envoy.yaml", &fixed, &opts()).findings.is_empty());
    }

    #[test]
    fn broken_and_fixed_bootstrap() {
        let r = lint_text("envoy.yaml", &read("broken.yaml"), &opts());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::EnvoyStreamIdleTimeoutShort, 11),
                (RuleId::EnvoyNoWebsocketUpgrade, 19),
                (RuleId::EnvoyRouteIdleTimeoutShort, 24)
            ]
        );
        let r = lint_text("envoy.yaml", &read("fixed.yaml"), &opts());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rules(), Vec::<RuleId>::new());
    }
}
