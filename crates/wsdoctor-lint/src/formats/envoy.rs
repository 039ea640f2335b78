//! Envoy (YAML or JSON bootstrap): the HTTP connection manager refuses Upgrades unless
//! `upgrade_configs` lists websocket, on the connection manager or on the route (Envoy
//! answers 403 itself); afterwards `stream_idle_timeout` (5 min by default) and a
//! route's `idle_timeout` cut quiet connections.

use super::tree::{self, Node};
use super::{Ctx, duration_ms, human_ms};
use crate::finding::LintFinding;
use crate::wspath;
use wsdoctor_core::Severity;

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

fn connection_manager(ctx: &mut Ctx, file: &str, hcm: &Node) {
    let hcm_ws = allows_websocket(Some(hcm)).unwrap_or(false);
    let ping_ms = ctx.ping() * 1000;
    let mut any_ws = false;
    let vhosts = hcm
        .path(&["route_config", "virtual_hosts"])
        .map(Node::seq)
        .unwrap_or_default();
    for route in vhosts
        .iter()
        .flat_map(|v| v.get("routes").map(Node::seq).unwrap_or_default())
    {
        let m = route.get("match");
        let path = m
            .and_then(|m| {
                m.get("prefix")
                    .or(m.get("path"))
                    .or(m.get("path_separated_prefix"))
                    .or_else(|| m.path(&["safe_regex", "regex"]))
            })
            .and_then(Node::str)
            .unwrap_or("");
        let action = route.get("route");
        let route_ws = allows_websocket(action);
        let why = match (route_ws, wspath::path_reason(path, &ctx.opts.ws_paths)) {
            (Some(true), _) => "its route enables websocket upgrades".to_string(),
            (_, Some(w)) => w,
            _ => continue,
        };
        any_ws = true;
        let about = format!("(route {path} is treated as WebSocket because {why})");
        if !hcm_ws && route_ws != Some(true) {
            let f = LintFinding::new(
                "envoy/no-websocket-upgrade",
                file,
                route.line,
                format!("neither the route nor its connection manager lists upgrade_configs websocket, so Envoy refuses the Upgrade with its own 403 {about}"),
            )
            .fix("Add upgrade_configs: [{upgrade_type: websocket}] to the http_connection_manager (or to the route).")
            .replace_with(["upgrade_configs:", "- upgrade_type: websocket"]);
            ctx.push(f);
        }
        if let Some(t) = action.and_then(|a| a.get("idle_timeout"))
            && let Some(ms) = duration(t).filter(|ms| *ms > 0 && *ms <= ping_ms)
        {
            let line = action
                .and_then(|a| a.key_line("idle_timeout"))
                .unwrap_or(t.line);
            let f = LintFinding::new(
                    "envoy/route-idle-timeout-short",
                    file,
                    line,
                    format!("route idle_timeout {} cuts WebSockets quiet for that long, sooner than the {} s ping interval assumed {about}", human_ms(ms), ctx.ping()),
                )
                .severity(Severity::Warning)
                .replace_with(["idle_timeout: 3600s"]);
            ctx.push(f);
        }
    }
    if !any_ws {
        return;
    }
    if let Some(t) = hcm.get("stream_idle_timeout")
        && let Some(ms) = duration(t).filter(|ms| *ms > 0 && *ms <= ping_ms)
    {
        let f = LintFinding::new(
                "envoy/stream-idle-timeout-short",
                file,
                hcm.key_line("stream_idle_timeout").unwrap_or(t.line),
                format!("stream_idle_timeout {} cuts WebSockets quiet for that long, sooner than the {} s ping interval assumed", human_ms(ms), ctx.ping()),
            )
            .severity(Severity::Warning)
            .replace_with(["stream_idle_timeout: 3600s"]);
        ctx.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Format, Options, lint_text};
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
    fn broken_and_fixed_bootstrap() {
        let r = lint_text("envoy.yaml", &read("broken.yaml"), &opts());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let got: Vec<(&str, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                ("envoy/stream-idle-timeout-short", 11),
                ("envoy/no-websocket-upgrade", 19),
                ("envoy/route-idle-timeout-short", 24)
            ]
        );
        let r = lint_text("envoy.yaml", &read("fixed.yaml"), &opts());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rules(), Vec::<&str>::new());
    }
}
