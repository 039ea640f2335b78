//! Caddy (Caddyfile): `reverse_proxy` proxies WebSockets by default and has no idle
//! cut after the upgrade; what cuts them is `stream_timeout`, which closes streams a
//! fixed time after they opened, busy or not.

use super::tree::{self, Node};
use super::{Ctx, duration_ms, human_ms};
use crate::finding::{LintFinding, RuleId};
use wsdoctor_core::Severity;

/// A Caddyfile line split into tokens, with its block when it opens one.
#[derive(Debug)]
struct Entry {
    tokens: Vec<String>,
    line: usize,
    block: Vec<Entry>,
}

pub(crate) fn lint(ctx: &mut Ctx, name: &str, text: &str) {
    if is_json(text) {
        return json(ctx, name, text);
    }
    let entries = match parse(text) {
        Ok(e) => e,
        Err((line, msg)) => {
            ctx.error(name, Some(line), msg);
            return;
        }
    };
    if v1_syntax(ctx, name, &entries) {
        // Caddy 2 refuses the whole file: nothing else about it matters yet.
        return;
    }
    let mut proxies = Vec::new();
    collect(&entries, &mut proxies);
    for p in &proxies {
        upstreams(ctx, name, p);
    }
    exact_paths(ctx, name, &entries);
    ws_paths_routed(ctx, name, &entries);
    header_matchers_miss_clients(ctx, name, &entries);
    header_ops(ctx, name, &entries, false);
    for p in proxies {
        let Some(st) = p.block.iter().find(|e| e.tokens[0] == "stream_timeout") else {
            continue;
        };
        let Some(ms) = st.tokens.get(1).and_then(|v| duration_ms(v, 1000)) else {
            continue;
        };
        // Long limits are a deliberate cap on session length, not a mistake.
        if ms == 0 || ms >= 3_600_000 {
            continue;
        }
        let f = LintFinding::new(
            RuleId::CaddyStreamTimeout,
            name,
            st.line,
            format!(
                "stream_timeout {} closes every WebSocket through this reverse_proxy {} after it opened, even busy ones",
                st.tokens[1],
                human_ms(ms)
            ),
        )
        .quote(name, p.line)
        .fix("Remove stream_timeout (Caddy has no idle cut on WebSockets) or raise it well above your session length; set stream_close_delay so config reloads do not cut streams at once.")
        .replace_with(["stream_close_delay 5m"]);
        ctx.push(f);
    }
}

/// Caddy's native JSON config (`caddy adapt` output, the admin API's): `{"apps": …}`.
pub(crate) fn is_json(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{') && t[1..].trim_start().starts_with('"')
}

/// The JSON config: every `reverse_proxy` handler's `stream_timeout` (a duration
/// string or nanoseconds).
fn json(ctx: &mut Ctx, name: &str, text: &str) {
    let docs = match tree::parse_yaml(text) {
        Ok(d) => d,
        Err(e) => return ctx.tree_error(name, "JSON", e),
    };
    for doc in &docs {
        let mut all = Vec::new();
        doc.walk(&mut all);
        for h in &all {
            json_header_ops(ctx, name, h);
        }
        json_ws_paths_routed(ctx, name, doc);
        for h in all
            .into_iter()
            .filter(|n| n.get("handler").and_then(Node::str) == Some("reverse_proxy"))
        {
            let Some(st) = h.get("stream_timeout") else {
                continue;
            };
            let Some(text) = st.str() else {
                continue;
            };
            // A bare number is nanoseconds in Caddy's JSON.
            let ms = match text.parse::<u64>() {
                Ok(ns) => Some(ns / 1_000_000),
                Err(_) => duration_ms(text, 1000),
            };
            let Some(ms) = ms.filter(|ms| *ms > 0 && *ms < 3_600_000) else {
                continue;
            };
            let f = LintFinding::new(
                RuleId::CaddyStreamTimeout,
                name,
                h.key_line("stream_timeout").unwrap_or(st.line),
                format!(
                    "stream_timeout {text} closes every WebSocket through this reverse_proxy {} after it opened, even busy ones",
                    human_ms(ms)
                ),
            )
            .quote(name, h.line)
            .fix("Remove stream_timeout (Caddy has no idle cut on WebSockets) or raise it well above your session length.")
            .replace_with(["\"stream_close_delay\": \"5m\""]);
            ctx.push(f);
        }
    }
}

/// Whether a JSON matcher set list (`"match": [{…}, {…}]`, any set, every matcher of
/// a set) holds for an Upgrade `GET` of `path` to `host`; `None` when undecidable.
fn json_match(m: Option<&Node>, path: &str, host: Option<&str>) -> Option<bool> {
    let Some(m) = m else {
        return Some(true);
    };
    let mut any = false;
    for set in m.seq() {
        let mut all = true;
        for (kind, _, v) in set.entries() {
            let strs = |n: &Node| -> Vec<String> {
                n.seq()
                    .iter()
                    .filter_map(|x| x.str().map(String::from))
                    .collect()
            };
            let holds = match kind.as_str() {
                "host" => match host {
                    Some(h) => Some(strs(v).iter().any(|x| x.eq_ignore_ascii_case(h))),
                    None => Some(true),
                },
                "path" | "method" => {
                    let mut c = vec![kind.clone()];
                    c.extend(strs(v));
                    condition(&c, path, CHROME)
                }
                "header" => {
                    let mut ok = Some(true);
                    for (field, _, vals) in v.entries() {
                        let mut c = vec!["header".to_string(), field.clone()];
                        c.extend(strs(vals));
                        ok = match (ok, condition(&c, path, CHROME)) {
                            (Some(a), Some(b)) => Some(a && b),
                            _ => None,
                        };
                    }
                    ok
                }
                "path_regexp" => v
                    .get("pattern")
                    .and_then(Node::str)
                    .and_then(|re| regex::Regex::new(re).ok())
                    .map(|re| re.is_match(path)),
                _ => None,
            };
            all &= holds?;
        }
        any |= all;
    }
    Some(any)
}

/// What an Upgrade request reaches in JSON `routes`: in order, routes of one `group`
/// exclusive, handlers of a matching route in order, `terminal` ending the list. A
/// route whose matcher lint cannot decide (`file`, `remote_ip`…) only matters when its
/// handlers could answer; one that only rewrites or sets variables is passed either way.
fn json_resolve(routes: &[Node], path: &str, host: Option<&str>) -> Reached {
    let mut groups_done: Vec<&str> = Vec::new();
    for r in routes {
        let group = r.get("group").and_then(Node::str);
        if group.is_some_and(|g| groups_done.contains(&g)) {
            continue;
        }
        let handlers = r.get("handle").map(Node::seq).unwrap_or_default();
        let kind = |h: &Node| {
            h.get("handler")
                .and_then(Node::str)
                .unwrap_or("")
                .to_string()
        };
        let decisive = handlers.iter().any(|h| {
            matches!(
                kind(h).as_str(),
                "subroute" | "reverse_proxy" | "file_server" | "static_response" | "error"
            )
        });
        match json_match(r.get("match"), path, host) {
            None if decisive => return Reached::Unknown,
            None | Some(false) => continue,
            Some(true) => {}
        }
        if let Some(g) = group {
            groups_done.push(g);
        }
        for h in handlers {
            match kind(h).as_str() {
                "subroute" => {
                    let inner = h.get("routes").map(Node::seq).unwrap_or_default();
                    match json_resolve(inner, path, host) {
                        Reached::Nothing => {}
                        other => return other,
                    }
                }
                "reverse_proxy" => return Reached::Proxy,
                k @ ("file_server" | "static_response" | "error") => {
                    return Reached::Answered(h.line, k.to_string());
                }
                _ => {}
            }
        }
        if r.get("terminal").and_then(Node::str) == Some("true") {
            return Reached::Nothing;
        }
    }
    Reached::Nothing
}

/// [`ws_paths_routed`] for Caddy's JSON: each server's routes, once per host its
/// top-level routes match (a site), judged when the site has a reverse_proxy.
fn json_ws_paths_routed(ctx: &mut Ctx, name: &str, doc: &Node) {
    let Some(servers) = doc.path(&["apps", "http", "servers"]) else {
        return;
    };
    let mut sites: Vec<(&[Node], Option<String>)> = Vec::new();
    for (_, _, srv) in servers.entries() {
        let routes = srv.get("routes").map(Node::seq).unwrap_or_default();
        let mut hosts: Vec<String> = Vec::new();
        for r in routes {
            for set in r.get("match").map(Node::seq).unwrap_or_default() {
                for h in set.get("host").map(Node::seq).unwrap_or_default() {
                    if let Some(h) = h.str().filter(|h| !hosts.iter().any(|x| x == h)) {
                        hosts.push(h.to_string());
                    }
                }
            }
        }
        let proxies = |host: Option<&str>| {
            routes.iter().any(|r| {
                let for_host = |set: &Node| {
                    set.get("host").is_none_or(|hs| {
                        host.is_none_or(|h| hs.seq().iter().any(|x| x.str() == Some(h)))
                    })
                };
                let sets = r.get("match").map(Node::seq).unwrap_or_default();
                (sets.is_empty() || sets.iter().any(for_host)) && {
                    let mut all = Vec::new();
                    r.walk(&mut all);
                    all.iter()
                        .any(|n| n.get("handler").and_then(Node::str) == Some("reverse_proxy"))
                }
            })
        };
        if hosts.is_empty() {
            if proxies(None) {
                sites.push((routes, None));
            }
        } else {
            for h in hosts {
                if proxies(Some(&h)) {
                    sites.push((routes, Some(h)));
                }
            }
        }
    }
    for p in ctx.opts.ws_paths.clone() {
        let results: Vec<Reached> = sites
            .iter()
            .map(|(routes, host)| json_resolve(routes, &p, host.as_deref()))
            .collect();
        if results
            .iter()
            .any(|r| matches!(r, Reached::Proxy | Reached::Unknown))
        {
            continue;
        }
        for ((routes, host), r) in sites.iter().zip(results) {
            let (line, what) = match r {
                Reached::Answered(line, what) => (
                    line,
                    format!("the {what} handler on line {line} answers it"),
                ),
                _ => (
                    routes.first().map_or(1, |n| n.line),
                    "no handler answers it (Caddy sends an empty 200)".to_string(),
                ),
            };
            let site = host
                .as_deref()
                .map(|h| format!(" on {h}"))
                .unwrap_or_default();
            let f = LintFinding::new(
                RuleId::CaddyWsPathNotProxied,
                name,
                line,
                format!("an Upgrade request to --ws-path {p}{site} reaches no reverse_proxy: {what}, so the client gets a plain HTTP answer instead of 101 Switching Protocols"),
            )
            .fix(format!("Add a route matching {{\"path\": [\"{}*\"]}} with a reverse_proxy handler before the fallback.", p.trim_end_matches('/')));
            ctx.push(f);
        }
    }
}

/// What a header operation does to the Upgrade handshake: `Some(reason)` when the
/// request that reaches the backend no longer asks for an upgrade. Caddy's
/// reverse_proxy records the upgrade and re-adds `Connection: Upgrade` itself, but
/// `request_header` runs before it and `header_up` after it, so deleting `Upgrade` or
/// `Connection`, or setting them to another value, sends a plain request (checked
/// live with Caddy 2.11 in front of Python websockets: 426 from the backend for
/// `header_up -Upgrade`, `header_up -Connection`, `header_up Connection close` and
/// `request_header -Upgrade`).
fn strips_upgrade(field: &str, value: Option<&str>) -> Option<String> {
    let f = field.to_ascii_lowercase();
    if let Some(del) = f.strip_prefix('-') {
        let hit = |h: &str| match del.strip_suffix('*') {
            Some(prefix) => h.starts_with(prefix),
            None => del == h,
        };
        return ["upgrade", "connection"]
            .into_iter()
            .find(|h| hit(h))
            .map(|h| {
                format!(
                    "deletes the {} header",
                    if h == "upgrade" {
                        "Upgrade"
                    } else {
                        "Connection"
                    }
                )
            });
    }
    let f = f.trim_start_matches('+');
    let v = value?;
    // A placeholder passes the client's own value on.
    if v.contains('{') {
        return None;
    }
    let lv = v.to_ascii_lowercase();
    match f {
        "connection" if !lv.contains("upgrade") => {
            Some(format!("sets Connection to \"{v}\", without upgrade"))
        }
        "upgrade" if !lv.contains("websocket") => Some(format!("sets Upgrade to \"{v}\"")),
        _ => None,
    }
}

/// `request_header` and reverse_proxy `header_up` operations that strip the
/// Upgrade handshake (see [`strips_upgrade`]). `in_proxy` when `entries` is a
/// reverse_proxy block.
fn header_ops(ctx: &mut Ctx, name: &str, entries: &[Entry], in_proxy: bool) {
    for e in entries {
        let kw = e.tokens[0].as_str();
        let args: Vec<&str> = match (kw, matcher_of(e)) {
            ("request_header", Some(m)) => {
                if m.starts_with('/')
                    && !ctx.opts.ws_paths.is_empty()
                    && !ctx.opts.ws_paths.iter().any(|p| path_matches(m, p))
                {
                    continue;
                }
                e.tokens[2..].iter().map(String::as_str).collect()
            }
            ("request_header", None) => e.tokens[1..].iter().map(String::as_str).collect(),
            ("header_up", _) if in_proxy => e.tokens[1..].iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        // Three arguments are a search-and-replace, which lint does not evaluate.
        if let Some(why) = match args.as_slice() {
            [field] => strips_upgrade(field, None),
            [field, value] => strips_upgrade(field, Some(value)),
            _ => None,
        } {
            let f = LintFinding::new(
                RuleId::CaddyUpgradeHeaderStripped,
                name,
                e.line,
                format!("{kw} {} {why}, so the backend gets a plain request and answers it without switching protocols (426 or 400); reverse_proxy passes Upgrade and Connection on by itself", args.join(" ")),
            )
            .fix("Delete the line: Caddy's reverse_proxy forwards the WebSocket handshake headers without help.");
            ctx.push(f);
        }
        header_ops(ctx, name, &e.block, kw == "reverse_proxy");
    }
}

/// The same for Caddy's JSON: a reverse_proxy handler's `headers.request` and a
/// `headers` handler's `request` (`delete` names, `set`/`add` maps).
fn json_header_ops(ctx: &mut Ctx, name: &str, h: &Node) {
    let ops = match h.get("handler").and_then(Node::str) {
        Some("reverse_proxy") => h.path(&["headers", "request"]),
        Some("headers") => h.get("request"),
        _ => None,
    };
    let Some(ops) = ops else {
        return;
    };
    let mut found: Vec<(usize, String)> = Vec::new();
    if let Some(del) = ops.get("delete") {
        for d in del.seq() {
            if let Some(why) = d.str().and_then(|f| strips_upgrade(&format!("-{f}"), None)) {
                found.push((d.line, why));
            }
        }
    }
    for key in ["set", "add"] {
        for (field, line, vals) in ops.get(key).map(Node::entries).unwrap_or_default() {
            for v in vals.seq() {
                if let Some(why) = v.str().and_then(|v| strips_upgrade(field, Some(v))) {
                    found.push((*line, why));
                }
            }
        }
    }
    for (line, why) in found {
        let f = LintFinding::new(
            RuleId::CaddyUpgradeHeaderStripped,
            name,
            line,
            format!("the request header operation {why}, so the backend gets a plain request and answers it without switching protocols (426 or 400); reverse_proxy passes Upgrade and Connection on by itself"),
        )
        .quote(name, h.line)
        .fix("Remove the operation: Caddy's reverse_proxy forwards the WebSocket handshake headers without help.");
        ctx.push(f);
    }
}

/// Caddyfile v1 (Caddy 0.x/1.x): `proxy … { websocket transparent }`, `timeouts`,
/// `tls self_signed`. Caddy 2 refuses it ("unrecognized directive: proxy", checked
/// with Caddy 2.6 and 2.11); Caddy 2's `reverse_proxy` passes WebSockets by itself.
fn v1_syntax(ctx: &mut Ctx, name: &str, entries: &[Entry]) -> bool {
    let mut found = false;
    for site in sites(entries) {
        for e in site {
            let v1 = match e.tokens[0].as_str() {
                "proxy" => {
                    let upstream = e
                        .tokens
                        .get(2)
                        .or(e.tokens.get(1))
                        .cloned()
                        .unwrap_or_default();
                    let upstream = upstream
                        .strip_prefix("ws://")
                        .map(|u| format!("http://{u}"))
                        .unwrap_or(upstream);
                    let path = e.tokens.get(1).filter(|p| p.starts_with('/') && *p != "/");
                    Some(match path {
                        Some(p) => format!("reverse_proxy {p}* {upstream}"),
                        None => format!("reverse_proxy {upstream}"),
                    })
                }
                "timeouts" => Some(
                    "# Caddy 2 has no idle timeouts on proxied WebSockets: delete the line"
                        .to_string(),
                ),
                "tls" if e.tokens.get(1).is_some_and(|t| t == "self_signed") => {
                    Some("tls internal".to_string())
                }
                _ => None,
            };
            let Some(instead) = v1 else {
                continue;
            };
            let websocket = e.tokens.iter().any(|t| t == "websocket")
                || e.block.iter().any(|b| b.tokens[0] == "websocket");
            let f = LintFinding::new(
                RuleId::CaddyV1Syntax,
                name,
                e.line,
                format!(
                    "{} is Caddyfile v1 syntax{}: Caddy 2 refuses the file (\"unrecognized directive\" or a parse error) and does not start",
                    e.tokens.join(" "),
                    if websocket {
                        " (v1 needed `websocket` here; Caddy 2's reverse_proxy passes WebSockets by itself)"
                    } else {
                        ""
                    }
                ),
            )
            .severity(Severity::Error)
            .fix("Rewrite the site for Caddy 2: reverse_proxy replaces proxy, and websocket/transparent are not needed.")
            .replace_with([instead]);
            ctx.push(f);
            found = true;
        }
        if found {
            v1_semantics(ctx, name, site);
        }
    }
    found
}

/// What a v1 site did to WebSockets on the Caddy 1 it was written for (the file is
/// refused by Caddy 2 either way, said above):
/// - Caddy 0.9.5 turned on default server timeouts (read 10 s, write 20 s), which
///   closed proxied WebSockets 10 s in, busy or not (caddyserver/caddy#1384, #1523);
///   0.10 turned them off again (#1487, caddyserver/examples#54). A `timeouts none`
///   (or `read 0`) line is the fix on 0.9.5.
/// - Caddy 0.9.3's `header` middleware wrapped the response so that a proxied
///   handshake was answered 200 instead of 101 (caddyserver/caddy#1208, #1173).
fn v1_semantics(ctx: &mut Ctx, name: &str, site: &[Entry]) {
    let proxies: Vec<&Entry> = site
        .iter()
        .filter(|e| {
            e.tokens[0] == "proxy"
                && (e.tokens.iter().any(|t| t == "websocket")
                    || e.block.iter().any(|b| b.tokens[0] == "websocket"))
        })
        .collect();
    let Some(ws) = proxies.first() else {
        return;
    };
    let timeouts = site.iter().find(|e| e.tokens[0] == "timeouts");
    let off = timeouts.is_some_and(|t| {
        t.tokens.get(1).is_some_and(|v| v == "none" || v == "0")
            || t.block.iter().any(|b| {
                b.tokens[0] == "read" && b.tokens.get(1).is_some_and(|v| v == "0" || v == "none")
            })
    });
    if !off {
        let f = LintFinding::new(
            RuleId::CaddyV1DefaultTimeouts,
            name,
            timeouts.map_or(ws.line, |t| t.line),
            format!(
                "{} proxies WebSockets on Caddy 1, and {}: Caddy 0.9.5 applied default server timeouts (read 10 s, write 20 s) to proxied WebSockets, which closed them 10 s after they opened (caddy#1384); 0.10 disabled the defaults",
                ws.tokens.join(" "),
                if timeouts.is_some() { "this timeouts block keeps a read timeout" } else { "no timeouts line turns them off" }
            ),
        )
        .severity(Severity::Warning)
        .quote(name, ws.line)
        .fix("On Caddy 1, add `timeouts none` to the site (or upgrade); better, move to Caddy 2, whose reverse_proxy has no idle cut on WebSockets.")
        .replace_with(["timeouts none"]);
        ctx.push(f);
    }
    let ws_path = ws.tokens.get(1).map_or("/", String::as_str);
    if let Some(h) = site.iter().find(|e| {
        e.tokens[0] == "header"
            && e.tokens
                .get(1)
                .is_some_and(|p| p.starts_with('/') && ws_path.starts_with(p.as_str()))
    }) {
        let f = LintFinding::new(
            RuleId::CaddyV1HeaderMiddleware,
            name,
            h.line,
            format!(
                "header {} applies to the WebSocket path {ws_path}: on Caddy 0.9.3 the header middleware made a proxied handshake answer 200 instead of 101 (caddy#1208)",
                h.tokens[1]
            ),
        )
        .severity(Severity::Warning)
        .quote(name, ws.line)
        .fix("Exclude the WebSocket path from the header directive or upgrade Caddy; on Caddy 2, use the header directive freely.");
        ctx.push(f);
    }
}

/// The upstream arguments of a `reverse_proxy` line (after an optional matcher).
fn upstream_args(p: &Entry) -> Vec<&str> {
    let args: Vec<&str> = p.tokens[1..].iter().map(String::as_str).collect();
    match args.first() {
        Some(a) if a.starts_with('/') || a.starts_with('@') || *a == "*" => args[1..].to_vec(),
        _ => args,
    }
}

/// An upstream reached over TLS — an `https://` upstream, or `transport http { tls }`
/// (reverse_proxy docs: "If the scheme is https://, TLS will be enabled") — at an
/// address no public CA certifies (an IP, a one-label container name, an internal
/// name): Caddy verifies the backend's certificate unless the transport says
/// `tls_insecure_skip_verify` or names the CA (`tls_trusted_ca_certs`,
/// `tls_trust_pool`), so the self-signed certificate such a backend has fails the
/// handshake and every request, the WebSocket one included, gets 502 (run live with
/// Caddy 2.11 in front of a self-signed Python websockets server: `check` reports
/// http-bad-gateway; with `tls_insecure_skip_verify` it passes).
fn backend_tls(ctx: &mut Ctx, name: &str, p: &Entry, ups: &[&str]) {
    let transport = p
        .block
        .iter()
        .find(|e| e.tokens[0] == "transport" && e.tokens.get(1).is_some_and(|t| t == "http"));
    let setting = |k: &str| transport.is_some_and(|t| t.block.iter().any(|e| e.tokens[0] == k));
    // `tls_server_name` verifies against that name, which a public certificate may
    // carry; an `import` in the transport may hold any of these.
    if setting("tls_insecure_skip_verify")
        || setting("tls_trusted_ca_certs")
        || setting("tls_trust_pool")
        || setting("tls_server_name")
        || setting("import")
    {
        return;
    }
    let tls_transport = setting("tls");
    for u in ups {
        let lower = u.to_ascii_lowercase();
        let rest = match lower.strip_prefix("https://") {
            Some(r) => r,
            None if tls_transport && !lower.contains("://") => lower.as_str(),
            None => continue,
        };
        let hostport = rest.split(['/', '?']).next().unwrap_or("");
        let host = match hostport.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => hostport.rsplit_once(':').map_or(hostport, |(h, _)| h),
        };
        // Placeholders and the like are decided at run time.
        if host.contains('{') {
            continue;
        }
        let Some(kind) = super::unverifiable_host(host) else {
            continue;
        };
        let how = if lower.starts_with("https://") {
            "an https:// upstream"
        } else {
            "transport http { tls }"
        };
        let f = LintFinding::new(
            RuleId::CaddyBackendTlsUnverifiable,
            name,
            p.line,
            format!("upstream {u} is reached over TLS ({how}) at {kind}, for which no public CA issues certificates, so its certificate is self-signed or from a private CA; Caddy verifies upstream certificates by default, the TLS handshake with the backend fails, and Caddy answers 502 instead of passing the WebSocket on"),
        )
        .severity(Severity::Warning)
        .fix("Trust the backend's CA (transport http { tls_trust_pool file ca.pem }), or skip verification for this upstream (transport http { tls_insecure_skip_verify }), or proxy to it over http:// inside a trusted network.")
        .replace_with([
            format!("reverse_proxy {u} {{"),
            "    transport http {".to_string(),
            "        tls_insecure_skip_verify".to_string(),
            "    }".to_string(),
            "}".to_string(),
        ]);
        ctx.push(f);
    }
}

/// `ws://` upstreams (refused since Caddy 2.7) and a stray `:` (a second upstream,
/// `:80`).
fn upstreams(ctx: &mut Ctx, name: &str, p: &Entry) {
    let mut ups: Vec<&str> = upstream_args(p);
    ups.extend(
        p.block
            .iter()
            .filter(|e| e.tokens[0] == "to")
            .flat_map(|e| e.tokens[1..].iter().map(String::as_str)),
    );
    backend_tls(ctx, name, p, &ups);
    for u in &ups {
        let lower = u.to_ascii_lowercase();
        if lower.starts_with("ws://") || lower.starts_with("wss://") {
            let http = lower.replacen("ws", "http", 1);
            let f = LintFinding::new(
                RuleId::CaddyWsSchemeUpstream,
                name,
                p.line,
                format!("upstream {u}: Caddy 2.7 and later refuse it (\"the scheme ws:// is only supported in browsers; use http://\") and do not start; reverse_proxy passes WebSocket upgrades over http:// by itself"),
            )
            .severity(Severity::Error)
            .fix("Write the upstream with http:// (https:// for wss://).")
            .replace_with([format!("reverse_proxy {http}")]);
            ctx.push(f);
        } else if *u == ":" {
            let others: Vec<&str> = ups.iter().copied().filter(|x| *x != ":").collect();
            let f = LintFinding::new(
                RuleId::CaddyStrayUpstream,
                name,
                p.line,
                "the lone \":\" is read as a second upstream, :80 (caddy adapt lists it), so the load balancer sends part of the requests, WebSockets included, to port 80 and they fail with 502",
            )
            .severity(Severity::Warning)
            .fix("Delete the stray colon.")
            .replace_with([format!("reverse_proxy {}", others.join(" "))]);
            ctx.push(f);
        }
    }
}

/// `route /chat/ {`: Caddy's path matchers are exact unless they end in `*`, so a
/// directory-like path matches only itself and requests below it (the WebSocket
/// endpoint among them) go to the next handler.
fn exact_paths(ctx: &mut Ctx, name: &str, entries: &[Entry]) {
    for e in entries {
        let scoped = matches!(
            e.tokens[0].as_str(),
            "route" | "handle" | "handle_path" | "reverse_proxy"
        );
        if scoped
            && let Some(p) = e.tokens.get(1)
            && p.starts_with('/')
            && p.len() > 1
            && p.ends_with('/')
        {
            let f = LintFinding::new(
                RuleId::CaddyExactPathMatcher,
                name,
                e.line,
                format!("{} {p} matches only the path {p} itself (Caddy path matchers are exact unless they end in *): {p}… and {} go to the next handler", e.tokens[0], p.trim_end_matches('/')),
            )
            .severity(Severity::Warning)
            .fix(format!("Match the whole subtree: {} {p}*", e.tokens[0]))
            .replace_with([format!("{} {p}* {{", e.tokens[0])]);
            ctx.push(f);
        }
        exact_paths(ctx, name, &e.block);
    }
}

/// Where a request ends up inside a site, as Caddy 2 runs its handlers.
#[derive(Debug, PartialEq)]
enum Reached {
    /// A `reverse_proxy` (or `php_fastcgi`), which passes the Upgrade on by itself.
    Proxy,
    /// A handler that answers the request itself (`file_server`, `respond`, `redir`…),
    /// on this line.
    Answered(usize, String),
    /// No handler: Caddy answers an empty 200.
    Nothing,
    /// Something lint does not model decides (`import`, a host or IP matcher…).
    Unknown,
}

/// Caddy 2's standard directive order (httpcaddyfile `defaultDirectiveOrder`), the
/// part that decides which handler answers: handlers run in this order whatever
/// order the Caddyfile writes them in, except inside `route`.
const DIRECTIVE_ORDER: &[&str] = &[
    "redir",
    "rewrite",
    "uri",
    "try_files",
    "basicauth",
    "basic_auth",
    "forward_auth",
    "request_header",
    "encode",
    "templates",
    "handle",
    "handle_path",
    "route",
    "abort",
    "error",
    "respond",
    "metrics",
    "reverse_proxy",
    "php_fastcgi",
    "file_server",
];

/// Handlers that answer a request themselves.
const ANSWERS: &[&str] = &[
    "redir",
    "abort",
    "error",
    "respond",
    "metrics",
    "file_server",
];

/// The named matchers of a block (`@ws header Connection *Upgrade*`, `@api { path /api/* }`),
/// as their condition lines.
fn named_matchers<'a>(
    block: &[&'a Entry],
) -> std::collections::HashMap<&'a str, Vec<&'a [String]>> {
    let mut out = std::collections::HashMap::new();
    for e in block
        .iter()
        .copied()
        .filter(|e| e.tokens[0].starts_with('@'))
    {
        let conds: Vec<&[String]> = if e.block.is_empty() {
            vec![&e.tokens[1..]]
        } else {
            e.block.iter().map(|c| c.tokens.as_slice()).collect()
        };
        out.insert(e.tokens[0].as_str(), conds);
    }
    out
}

/// Whether a Caddy path pattern (`/api/*`, `/ws`, `*.js`, `*`) matches `path`
/// (case-insensitive, as Caddy compares).
fn path_matches(pattern: &str, path: &str) -> bool {
    let (p, path) = (pattern.to_ascii_lowercase(), path.to_ascii_lowercase());
    if p == "*" {
        return true;
    }
    // Wildcards at the end (prefix), the start (suffix), both (substring), or in the
    // middle (a glob where * stays within a segment), as Caddy's path matcher reads them.
    match (p.strip_prefix('*'), p.strip_suffix('*')) {
        (Some(s), Some(_)) if s.len() > 1 && !s[..s.len() - 1].contains('*') => {
            path.contains(&s[..s.len() - 1])
        }
        (Some(suffix), _) if !suffix.contains('*') => path.ends_with(suffix),
        (_, Some(prefix)) if !prefix.contains('*') => path.starts_with(prefix),
        _ if p.contains('*') => crate::glob::matches(&p, &path),
        _ => p == path,
    }
}

/// A WebSocket handshake's Connection and Upgrade values as one kind of client sends
/// them. RFC 6455 4.1 only asks that Connection *include* the token "Upgrade":
/// Chrome and the common libraries send `Connection: Upgrade`, Firefox sends
/// `Connection: keep-alive, Upgrade`.
#[derive(Clone, Copy)]
struct Client<'a> {
    who: &'a str,
    connection: &'a str,
    upgrade: &'a str,
}

const CHROME: Client<'static> = Client {
    who: "Chrome and the common WebSocket libraries",
    connection: "Upgrade",
    upgrade: "websocket",
};
const FIREFOX: Client<'static> = Client {
    who: "Firefox",
    connection: "keep-alive, Upgrade",
    upgrade: "websocket",
};

/// Whether a header matcher value matches `sent` as Caddy's `MatchHeader` compares
/// (caddyhttp matchers.go `matchHeaders`): case-sensitive, `*` alone matches
/// anything, a `*` at either end makes it a suffix, prefix or substring match,
/// otherwise the whole value must be equal.
fn header_value_matches(pattern: &str, sent: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(_), Some(_)) if pattern.len() >= 2 => sent.contains(&pattern[1..pattern.len() - 1]),
        (Some(suffix), None) => sent.ends_with(suffix),
        (None, Some(prefix)) => sent.starts_with(prefix),
        _ => pattern == sent,
    }
}

/// Whether one matcher condition holds for a WebSocket Upgrade `GET` of `path` sent
/// by `client`; `None` for a condition lint cannot decide. A `header` condition's
/// values are alternatives.
fn condition(cond: &[String], path: &str, client: Client<'_>) -> Option<bool> {
    let (kind, args) = cond.split_first()?;
    match kind.as_str() {
        "path" => Some(args.iter().any(|a| path_matches(a, path))),
        "path_regexp" => {
            let re = args.last()?;
            regex::Regex::new(re).ok().map(|r| r.is_match(path))
        }
        "method" => Some(args.iter().any(|m| m.eq_ignore_ascii_case("GET"))),
        "header" => {
            let (field, values) = args.split_first()?;
            let sent = match field.to_ascii_lowercase().as_str() {
                "connection" => client.connection,
                "upgrade" => client.upgrade,
                _ => return None,
            };
            Some(values.is_empty() || values.iter().any(|v| header_value_matches(v, sent)))
        }
        _ => None,
    }
}

/// Whether the matcher token of a directive (if any) matches; `None` when it cannot
/// be decided. Two `header` lines on the same field in one matcher are
/// alternatives (Caddy adds their values to one field), different fields must all
/// match.
fn matcher_holds(
    token: Option<&String>,
    named: &std::collections::HashMap<&str, Vec<&[String]>>,
    path: &str,
    client: Client<'_>,
) -> Option<bool> {
    let Some(t) = token else {
        return Some(true);
    };
    if t.starts_with('/') || t.starts_with('*') {
        return Some(path_matches(t, path));
    }
    let conds = named.get(t.as_str())?;
    let mut all = true;
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    for c in conds {
        if c.first().is_some_and(|k| k == "header") && c.len() >= 2 {
            let field = c[1].to_ascii_lowercase();
            match fields.iter_mut().find(|(f, _)| *f == field) {
                Some((_, vals)) => vals.extend(c[2..].iter().cloned()),
                None => fields.push((field, c[2..].to_vec())),
            }
            continue;
        }
        all &= condition(c, path, client)?;
    }
    for (field, vals) in fields {
        let mut c = vec!["header".to_string(), field];
        c.extend(vals);
        all &= condition(&c, path, client)?;
    }
    Some(all)
}

/// The matcher token of a directive line: its first argument when that is a path,
/// `*` or a named matcher.
fn matcher_of(e: &Entry) -> Option<&String> {
    e.tokens
        .get(1)
        .filter(|a| a.starts_with('/') || a.starts_with('@') || *a == "*")
}

/// What an Upgrade request to `path` reaches in `block`. `ordered` for a `route`
/// block, which runs its directives as written; elsewhere Caddy sorts them by
/// [`DIRECTIVE_ORDER`], then same directives by matcher: a path matcher before a
/// named one, longer paths first, no matcher last (httpcaddyfile `sortRoutes`).
fn resolve(
    block: &[Entry],
    snippets: &Snippets,
    path: &str,
    ordered: bool,
    client: Client<'_>,
) -> Reached {
    let Some(block) = expand(block, snippets, 0) else {
        return Reached::Unknown;
    };
    let named = named_matchers(&block);
    let mut ds: Vec<(usize, &Entry)> = block
        .iter()
        .copied()
        .filter_map(|e| {
            DIRECTIVE_ORDER
                .iter()
                .position(|d| *d == e.tokens[0])
                .map(|i| (i, e))
        })
        .collect();
    if !ordered {
        use std::cmp::Ordering;
        // Caddy 2.11 (checked with `caddy adapt`): two path matchers, the longer
        // first; a matcher before none; otherwise as written.
        let path_len = |e: &Entry| {
            matcher_of(e)
                .filter(|m| m.starts_with('/'))
                .map(|m| m.trim_end_matches('*').len())
        };
        let has = |e: &Entry| matcher_of(e).is_some_and(|m| m != "*");
        ds.sort_by(|(i, a), (j, b)| {
            i.cmp(j).then_with(|| match (path_len(a), path_len(b)) {
                (Some(x), Some(y)) => y.cmp(&x),
                _ => match (has(a), has(b)) {
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    _ => Ordering::Equal,
                },
            })
        });
    }
    let mut handled = false;
    for (_, e) in ds {
        let name = e.tokens[0].as_str();
        if handled && matches!(name, "handle" | "handle_path") {
            continue;
        }
        match matcher_holds(matcher_of(e), &named, path, client) {
            None => return Reached::Unknown,
            Some(false) => continue,
            Some(true) => {}
        }
        match name {
            "handle" | "handle_path" | "route" => {
                // handle blocks are mutually exclusive: the first that matches runs.
                handled |= name != "route";
                let inner_path = match (name, matcher_of(e)) {
                    ("handle_path", Some(m)) if m.starts_with('/') => {
                        let prefix = m.trim_end_matches('*').trim_end_matches('/');
                        let rest = &path[prefix.len().min(path.len())..];
                        if rest.starts_with('/') {
                            rest.to_string()
                        } else {
                            format!("/{rest}")
                        }
                    }
                    _ => path.to_string(),
                };
                match resolve(&e.block, snippets, &inner_path, name == "route", client) {
                    Reached::Nothing => {}
                    r => return r,
                }
            }
            "reverse_proxy" | "php_fastcgi" => return Reached::Proxy,
            n if ANSWERS.contains(&n) => return Reached::Answered(e.line, n.to_string()),
            _ => {}
        }
    }
    Reached::Nothing
}

/// The snippets of a Caddyfile, `(name) { … }`, by name.
type Snippets<'a> = std::collections::HashMap<&'a str, &'a [Entry]>;

fn snippets(entries: &[Entry]) -> Snippets<'_> {
    entries
        .iter()
        .filter_map(|e| {
            let n = e.tokens[0].strip_prefix('(')?.strip_suffix(')')?;
            Some((n, e.block.as_slice()))
        })
        .collect()
}

/// A block with `import name` of a snippet in this file replaced by the snippet's
/// lines, as Caddy splices them; `None` when an import names a file (or a snippet
/// this file lacks), or nesting passes 8, so the block cannot be judged.
fn expand<'a>(block: &'a [Entry], snippets: &Snippets<'a>, depth: usize) -> Option<Vec<&'a Entry>> {
    let mut out = Vec::new();
    for e in block {
        match e.tokens[0].as_str() {
            "import" => {
                let s = snippets.get(e.tokens.get(1)?.as_str())?;
                if depth >= 8 {
                    return None;
                }
                out.extend(expand(s, snippets, depth + 1)?);
            }
            "invoke" => return None,
            _ => out.push(e),
        }
    }
    Some(out)
}

/// The site blocks of a Caddyfile: blocks opened after an address (on its line, or
/// by a lone `{` on the next), without the global options block and snippets. A file
/// whose first line is an address with no block is one site written without braces
/// (Caddyfile docs: "If there is only one site block, its curly braces are
/// optional"): its directives follow the address.
fn sites(entries: &[Entry]) -> Vec<&[Entry]> {
    let lone_brace = |e: &Entry| e.tokens[0].is_empty() && !e.block.is_empty();
    // A site address has a dot, a colon or a slash, or is localhost; a directive
    // (`import` at the top of the file) has none.
    let address = |t: &str| t.contains(['.', ':', '/']) || t.starts_with("localhost");
    let first = entries
        .iter()
        .position(|e| !lone_brace(e) && !e.tokens[0].starts_with('(') && e.tokens[0] != "import");
    if let Some(i) = first
        && entries[i].block.is_empty()
        && address(&entries[i].tokens[0])
        && !entries.get(i + 1).is_some_and(lone_brace)
    {
        return vec![&entries[i + 1..]];
    }
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if e.block.is_empty() || e.tokens[0].starts_with('(') {
            continue;
        }
        // A lone `{` opens the block of the address line before it; first in the
        // file, it is the global options block.
        if lone_brace(e) && !(i > 0 && entries[i - 1].block.is_empty()) {
            continue;
        }
        out.push(e.block.as_slice());
    }
    out
}

/// A `--ws-path` that no site hands to `reverse_proxy`: the request is answered by
/// the file server (a SPA's `try_files` fallback), `respond` or nothing, so the
/// client gets a plain HTTP answer instead of 101. Sites without any proxy are not
/// candidates; one site proxying the path is enough.
fn ws_paths_routed(ctx: &mut Ctx, name: &str, entries: &[Entry]) {
    let snips = snippets(entries);
    let sites: Vec<&[Entry]> = sites(entries)
        .into_iter()
        .filter(|s| {
            let mut ps = Vec::new();
            collect(s, &mut ps);
            !ps.is_empty()
        })
        .collect();
    for p in ctx.opts.ws_paths.clone() {
        let results: Vec<Reached> = sites
            .iter()
            .map(|s| resolve(s, &snips, &p, false, CHROME))
            .collect();
        if results
            .iter()
            .any(|r| matches!(r, Reached::Proxy | Reached::Unknown))
        {
            continue;
        }
        for (site, r) in sites.iter().zip(results) {
            let (line, what) = match r {
                Reached::Answered(line, what) => {
                    (line, format!("{what} on line {line} answers it"))
                }
                _ => (
                    site.first().map_or(1, |e| e.line),
                    "no handler answers it (Caddy sends an empty 200)".to_string(),
                ),
            };
            let mut ps = Vec::new();
            collect(site, &mut ps);
            let upstream = ps
                .first()
                .map(|e| upstream_args(e).join(" "))
                .unwrap_or_default();
            let f = LintFinding::new(
                RuleId::CaddyWsPathNotProxied,
                name,
                line,
                format!("an Upgrade request to --ws-path {p} reaches no reverse_proxy: {what}, so the client gets a plain HTTP answer instead of 101 Switching Protocols"),
            )
            .fix(format!("Proxy the WebSocket path before the fallback: handle {}* {{ reverse_proxy {upstream} }}", p.trim_end_matches('/')))
            .replace_with([
                format!("handle {}* {{", p.trim_end_matches('/')),
                format!("    reverse_proxy {upstream}"),
                "}".to_string(),
            ]);
            ctx.push(f);
        }
    }
}

/// A named matcher that gates a `reverse_proxy` on the handshake headers
/// (`@ws { header Connection Upgrade … }`) but misses what a common client sends:
/// Caddy compares header values exactly and case-sensitively, so `Connection
/// Upgrade` misses Firefox's `keep-alive, Upgrade` and `Connection upgrade` misses
/// everyone. The handshake then falls through to whatever else the site does; only
/// when that is not a `reverse_proxy` (a file server, `respond`, nothing) does the
/// client get a plain answer instead of 101. Caddy's own docs write the matcher
/// `header Connection *Upgrade*` (reverse_proxy, "WebSockets").
fn header_matchers_miss_clients(ctx: &mut Ctx, name: &str, entries: &[Entry]) {
    let snips = snippets(entries);
    for site in sites(entries) {
        let Some(block) = expand(site, &snips, 0) else {
            continue;
        };
        let named = named_matchers(&block);
        for m in block.iter().filter(|e| e.tokens[0].starts_with('@')) {
            let Some(conds) = named.get(m.tokens[0].as_str()) else {
                continue;
            };
            let on_handshake = conds.iter().any(|c| {
                c.first().is_some_and(|k| k == "header")
                    && c.get(1).is_some_and(|f| {
                        f.eq_ignore_ascii_case("connection") || f.eq_ignore_ascii_case("upgrade")
                    })
            });
            if !on_handshake || !gates_proxy(&block, &m.tokens[0]) {
                continue;
            }
            // The request path the matcher wants, else the site root.
            let path = conds
                .iter()
                .find(|c| c.first().is_some_and(|k| k == "path"))
                .and_then(|c| c.get(1))
                .map(|p| p.replace('*', "x"))
                .unwrap_or_else(|| "/".to_string());
            // The handshake exactly as the matcher spells it: only when that one
            // reaches the proxy is the matcher what decides.
            let spelt = |field: &str, default: &'static str| -> &str {
                conds
                    .iter()
                    .find(|c| {
                        c.first().is_some_and(|k| k == "header")
                            && c.get(1).is_some_and(|f| f.eq_ignore_ascii_case(field))
                    })
                    .and_then(|c| c.get(2))
                    .map_or(default, |v| v.trim_matches('*'))
            };
            let as_written = Client {
                who: "",
                connection: spelt("connection", "Upgrade"),
                upgrade: spelt("upgrade", "websocket"),
            };
            if !matches!(
                resolve(site, &snips, &path, false, as_written),
                Reached::Proxy
            ) {
                continue;
            }
            for client in [CHROME, FIREFOX] {
                if matcher_holds(Some(&m.tokens[0]), &named, &path, client) != Some(false) {
                    continue;
                }
                let what = match resolve(site, &snips, &path, false, client) {
                    Reached::Answered(line, what) => format!("{what} on line {line} answers it"),
                    Reached::Nothing => {
                        "no handler answers it (Caddy sends an empty 200)".to_string()
                    }
                    Reached::Proxy | Reached::Unknown => continue,
                };
                let cond = conds
                    .iter()
                    .find(|c| {
                        c.get(1)
                            .is_some_and(|f| f.eq_ignore_ascii_case("connection"))
                            && condition(c, &path, client) == Some(false)
                    })
                    .or_else(|| {
                        conds
                            .iter()
                            .find(|c| condition(c, &path, client) == Some(false))
                    })
                    .map(|c| c.join(" "))
                    .unwrap_or_default();
                let f = LintFinding::new(
                    RuleId::CaddyHeaderMatcherExact,
                    name,
                    m.line,
                    format!(
                        "{} requires `{cond}`, which Caddy compares exactly and case-sensitively: {} send Connection: {} and Upgrade: {}, miss the matcher, and the handshake to {path} falls through: {what}, so the client gets a plain HTTP answer instead of 101",
                        m.tokens[0], client.who, client.connection, client.upgrade
                    ),
                )
                .severity(Severity::Warning)
                .fix("Match the handshake as Caddy's docs do: header Connection *Upgrade* and header Upgrade websocket.")
                .replace_with([
                    format!("{} {{", m.tokens[0]),
                    "    header Connection *Upgrade*".to_string(),
                    "    header Upgrade websocket".to_string(),
                    "}".to_string(),
                ]);
                ctx.push(f);
                break;
            }
        }
    }
}

/// Whether a `reverse_proxy @m`, or a `handle`/`route @m` holding one, uses matcher `m`.
fn gates_proxy(block: &[&Entry], m: &str) -> bool {
    block.iter().any(|e| {
        matcher_of(e).is_some_and(|t| t == m)
            && (e.tokens[0] == "reverse_proxy" || {
                let mut ps = Vec::new();
                collect(&e.block, &mut ps);
                !ps.is_empty()
            })
    })
}

fn collect<'a>(entries: &'a [Entry], out: &mut Vec<&'a Entry>) {
    for e in entries {
        if e.tokens[0] == "reverse_proxy" {
            out.push(e);
        }
        collect(&e.block, out);
    }
}

type ParseError = (usize, String);

fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let lines: Vec<(usize, Vec<String>)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| tokens(l).map(|t| (i + 1, t)).map_err(|m| (i + 1, m)))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let mut pos = 0;
    let out = block(&lines, &mut pos, 0, 0)?;
    Ok(out)
}

fn block(
    lines: &[(usize, Vec<String>)],
    pos: &mut usize,
    depth: usize,
    opened: usize,
) -> Result<Vec<Entry>, ParseError> {
    if depth > 64 {
        return Err((opened, "blocks nested more than 64 deep".into()));
    }
    let mut out = Vec::new();
    while let Some((line, toks)) = lines.get(*pos) {
        *pos += 1;
        if toks.len() == 1 && toks[0] == "}" {
            if depth == 0 {
                return Err((*line, "\"}\" closes a block that was never opened".into()));
            }
            return Ok(out);
        }
        let mut tokens = toks.clone();
        let opens = tokens.last().is_some_and(|t| t == "{");
        if opens {
            tokens.pop();
        }
        if tokens.is_empty() {
            // A lone `{` on its own line after a site address.
            tokens.push(String::new());
        }
        let block_entries = if opens {
            block(lines, pos, depth + 1, *line)?
        } else {
            Vec::new()
        };
        out.push(Entry {
            tokens,
            line: *line,
            block: block_entries,
        });
    }
    if depth > 0 {
        return Err((
            opened,
            format!("the block opened on line {opened} is never closed"),
        ));
    }
    Ok(out)
}

/// Tokens of one line: whitespace separated, `"…"` and backtick quoting, `#` comments
/// (only at the start of a token, as in Caddy).
fn tokens(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_tok = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '`') => {
                quote = Some(c);
                in_tok = true;
            }
            (None, '#') if !in_tok => break,
            (None, c) if c.is_whitespace() => {
                if in_tok {
                    out.push(std::mem::take(&mut cur));
                    in_tok = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_tok = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if in_tok {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Options, lint_text};

    fn opts() -> Options {
        Options {
            input_format: Some(Format::Caddy),
            ..Options::default()
        }
    }

    #[test]
    fn stream_timeout_is_found_in_nested_blocks() {
        let conf = "{\n\temail ops@example.com\n}\n\nexample.com {\n\t# the chat\n\thandle /ws* {\n\t\treverse_proxy localhost:8080 {\n\t\t\tstream_timeout 30s\n\t\t}\n\t}\n\treverse_proxy localhost:9000\n}\n";
        let r = lint_text("Caddyfile", conf, &opts());
        assert_eq!(r.rules(), [RuleId::CaddyStreamTimeout]);
        assert_eq!(r.findings[0].line, 9);
        assert_eq!(r.findings[0].id().as_str(), "proxy-stream-lifetime");
        let fixed = conf.replace("stream_timeout 30s", "stream_close_delay 5m");
        assert!(lint_text("Caddyfile", &fixed, &opts()).findings.is_empty());
        let long = conf.replace("stream_timeout 30s", "stream_timeout 24h");
        assert!(lint_text("Caddyfile", &long, &opts()).findings.is_empty());
    }

    #[test]
    fn json_config_stream_timeout() {
        let conf = "{\"apps\": {\"http\": {\"servers\": {\"srv0\": {\"listen\": [\":80\"],\n  \"routes\": [{\"handle\": [{\"handler\": \"reverse_proxy\",\n    \"stream_timeout\": 30000000000,\n    \"upstreams\": [{\"dial\": \"127.0.0.1:8080\"}]}]}]}}}}}\n";
        let r = crate::lint_text("caddy.json", conf, &Options::default());
        assert_eq!(r.files[0].format, Format::Caddy);
        assert_eq!(r.rules(), [RuleId::CaddyStreamTimeout]);
        assert_eq!(r.findings[0].line, 3);
        let fixed = conf.replace("30000000000", "\"24h\"");
        assert!(
            crate::lint_text("caddy.json", &fixed, &Options::default())
                .findings
                .is_empty()
        );
    }

    #[test]
    fn caddyfile_v1_is_refused_by_caddy_2() {
        let conf = "example.com {\n  proxy / 127.0.0.1:8080 {\n    websocket\n    transparent\n  }\n  timeouts none\n}\n";
        let r = lint_text("Caddyfile", conf, &opts());
        assert_eq!(r.rules(), [RuleId::CaddyV1Syntax, RuleId::CaddyV1Syntax]);
        assert_eq!(r.findings[0].line, 2);
        assert_eq!(r.findings[0].id().as_str(), "proxy-config-rejected");
        assert_eq!(r.findings[0].replacement, ["reverse_proxy 127.0.0.1:8080"]);
        let v2 = "example.com {\n  reverse_proxy 127.0.0.1:8080\n}\n";
        assert!(lint_text("Caddyfile", v2, &opts()).findings.is_empty());
    }

    /// What a v1 file did on the Caddy 1 it was written for: 0.9.5's default
    /// timeouts cut proxied WebSockets at 10 s unless `timeouts none` (caddy#1384,
    /// #1487); 0.9.3's `header` middleware answered the handshake 200 (caddy#1208).
    /// A site written without braces is a site too.
    #[test]
    fn caddyfile_v1_semantics_on_caddy_1() {
        // An import above site blocks is no braceless site.
        let imported = "import common\nexample.com {\n  reverse_proxy /ws* 127.0.0.1:9000\n}\n";
        let o = Options {
            ws_paths: vec!["/ws".into()],
            ..opts()
        };
        assert!(lint_text("Caddyfile", imported, &o).findings.is_empty());
        let braceless = "localhost:8080\nroot ./static\ngzip\nproxy /live 127.0.0.1:8020 {\n    transparent\n    websocket\n}\n";
        let r = lint_text("Caddyfile", braceless, &opts());
        assert_eq!(
            r.rules(),
            [RuleId::CaddyV1Syntax, RuleId::CaddyV1DefaultTimeouts]
        );
        assert_eq!(r.findings[1].line, 4);
        assert_eq!(r.findings[1].id().as_str(), "proxy-idle-timeout");
        assert_eq!(r.findings[1].replacement, ["timeouts none"]);
        let off = braceless.replace("gzip\n", "timeouts none\n");
        assert_eq!(
            lint_text("Caddyfile", &off, &opts()).rules(),
            [RuleId::CaddyV1Syntax, RuleId::CaddyV1Syntax]
        );
        let read0 = braceless.replace("gzip\n", "timeouts {\n    read 0\n}\n");
        assert!(
            !lint_text("Caddyfile", &read0, &opts())
                .rules()
                .contains(&RuleId::CaddyV1DefaultTimeouts)
        );
        let header = "example.com {\n  timeouts none\n  header / {\n    X-Frame-Options SAMEORIGIN\n  }\n  proxy /api 127.0.0.1:8080 {\n    websocket\n  }\n}\n";
        let r = lint_text("Caddyfile", header, &opts());
        assert!(
            r.rules().contains(&RuleId::CaddyV1HeaderMiddleware),
            "{:?}",
            r.rules()
        );
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == RuleId::CaddyV1HeaderMiddleware)
            .unwrap();
        assert_eq!((f.line, f.id().as_str()), (3, "http-not-upgraded"));
        // A header directive on another path leaves the WebSocket path alone.
        let elsewhere = header.replace("header / {", "header /static {");
        assert!(
            !lint_text("Caddyfile", &elsewhere, &opts())
                .rules()
                .contains(&RuleId::CaddyV1HeaderMiddleware)
        );
        // No WebSocket proxy: nothing about WebSockets on Caddy 1.
        let plain = "example.com {\n  proxy / 127.0.0.1:8080\n}\n";
        assert_eq!(
            lint_text("Caddyfile", plain, &opts()).rules(),
            [RuleId::CaddyV1Syntax]
        );
    }

    /// Run live with Caddy 2.11 in front of Python websockets, the file server as the
    /// fallback: `header Connection Upgrade` answers 101 to `Connection: Upgrade`
    /// and 200 to Firefox's `keep-alive, Upgrade`; `*Upgrade*` answers 101 to both.
    #[test]
    fn a_handshake_matcher_that_misses_a_common_client() {
        let conf = "http://127.0.0.1:18931 {\n\troot * /srv\n\tfile_server\n\t@websockets {\n\t\theader Connection Upgrade\n\t\theader Upgrade websocket\n\t}\n\treverse_proxy @websockets 127.0.0.1:18932\n}\n";
        let r = lint_text("Caddyfile", conf, &opts());
        assert_eq!(r.rules(), [RuleId::CaddyHeaderMatcherExact]);
        let f = &r.findings[0];
        assert_eq!((f.line, f.id().as_str()), (4, "http-not-upgraded"));
        assert!(f.finding.detail.contains("Firefox"), "{}", f.finding.detail);
        assert!(f.finding.detail.contains("file_server on line 3"));
        let wild = conf.replace("Connection Upgrade", "Connection *Upgrade*");
        assert!(lint_text("Caddyfile", &wild, &opts()).findings.is_empty());
        // Lower case misses everyone, Chrome first.
        let lower = conf.replace("Connection Upgrade", "Connection upgrade");
        let r = lint_text("Caddyfile", &lower, &opts());
        assert_eq!(r.rules(), [RuleId::CaddyHeaderMatcherExact]);
        assert!(r.findings[0].finding.detail.contains("Chrome"));
        // Two header lines on one field are alternatives.
        let both = conf.replace(
            "header Connection Upgrade\n",
            "header Connection Upgrade\n\t\theader Connection *Upgrade*\n",
        );
        assert!(lint_text("Caddyfile", &both, &opts()).findings.is_empty());
        // A fallback that proxies too passes the missed handshake on.
        let proxied = conf.replace("\tfile_server\n", "").replace(
            "reverse_proxy @websockets 127.0.0.1:18932\n",
            "reverse_proxy @websockets 127.0.0.1:18932\n\treverse_proxy 127.0.0.1:18932\n",
        );
        assert!(
            lint_text("Caddyfile", &proxied, &opts())
                .findings
                .is_empty()
        );
    }

    /// Caddy verifies upstream certificates: an https:// upstream (or `transport
    /// http { tls }`) at an IP or container name gets 502 unless verification is
    /// relaxed (live with Caddy 2.11 and a self-signed backend: 502, then 101).
    #[test]
    fn tls_to_an_upstream_no_public_ca_certifies() {
        let conf = "example.com {\n  reverse_proxy https://10.0.0.5:9443\n}\n";
        let r = lint_text("Caddyfile", conf, &opts());
        assert_eq!(r.rules(), [RuleId::CaddyBackendTlsUnverifiable]);
        assert_eq!(r.findings[0].id().as_str(), "http-bad-gateway");
        let skip = "example.com {\n  reverse_proxy https://10.0.0.5:9443 {\n    transport http {\n      tls_insecure_skip_verify\n    }\n  }\n}\n";
        assert!(lint_text("Caddyfile", skip, &opts()).findings.is_empty());
        let transport = "example.com {\n  reverse_proxy portainer:9443 {\n    transport http {\n      tls\n    }\n  }\n}\n";
        let r = lint_text("Caddyfile", transport, &opts());
        assert_eq!(r.rules(), [RuleId::CaddyBackendTlsUnverifiable]);
        assert!(
            r.findings[0]
                .finding
                .detail
                .contains("transport http { tls }")
        );
        let named = skip.replace(
            "tls_insecure_skip_verify",
            "tls_server_name app.example.com",
        );
        assert!(lint_text("Caddyfile", &named, &opts()).findings.is_empty());
        let public = "example.com {\n  reverse_proxy https://api.example.org\n}\n";
        assert!(lint_text("Caddyfile", public, &opts()).findings.is_empty());
        let plain = "example.com {\n  reverse_proxy 10.0.0.5:9000\n}\n";
        assert!(lint_text("Caddyfile", plain, &opts()).findings.is_empty());
    }

    #[test]
    fn upstreams_and_path_matchers() {
        let conf = ":8080 {\n  route /api/ws/* {\n    reverse_proxy ws://localhost:5555\n  }\n  reverse_proxy 127.0.0.1:3001 :\n  handle /chat/ {\n    reverse_proxy 127.0.0.1:9000\n  }\n}\n";
        let r = lint_text("Caddyfile", conf, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::CaddyWsSchemeUpstream, 3),
                (RuleId::CaddyStrayUpstream, 5),
                (RuleId::CaddyExactPathMatcher, 6)
            ]
        );
        assert_eq!(r.findings[1].id().as_str(), "http-bad-gateway");
        let fixed = conf
            .replace("ws://", "http://")
            .replace(" :\n", "\n")
            .replace("/chat/ {", "/chat/* {");
        assert!(lint_text("Caddyfile", &fixed, &opts()).findings.is_empty());
    }

    /// A SPA with its API proxied: which handler an Upgrade request reaches, in the
    /// order Caddy runs them (each variant checked with `caddy adapt` 2.11, whose JSON
    /// routes list the same order).
    #[test]
    fn a_ws_path_is_routed_as_caddy_orders_its_handlers() {
        let broken = "app.example.test {\n\troot * /srv/app\n\thandle /api/* {\n\t\treverse_proxy 127.0.0.1:8080\n\t}\n\thandle {\n\t\ttry_files {path} /index.html\n\t\tfile_server\n\t}\n}\n";
        let o = Options {
            ws_paths: vec!["/live/socket".into()],
            ..opts()
        };
        let r = lint_text("Caddyfile", broken, &o);
        assert_eq!(r.rules(), [RuleId::CaddyWsPathNotProxied]);
        assert_eq!(r.findings[0].line, 8);
        assert_eq!(r.findings[0].id().as_str(), "http-not-upgraded");
        // Not given the path, lint cannot know where the socket is.
        assert!(lint_text("Caddyfile", broken, &opts()).findings.is_empty());
        // A top-level `reverse_proxy @ws` looks like a fix, but handle runs before
        // reverse_proxy in Caddy's order: the catch-all handle's file_server answers.
        let matcher =
            "\t@ws {\n\t\theader Connection *Upgrade*\n\t\theader Upgrade websocket\n\t}\n";
        let top = broken.replace(
            "\thandle /api/* {",
            &format!("{matcher}\treverse_proxy @ws 127.0.0.1:8080\n\thandle /api/* {{"),
        );
        assert_eq!(
            lint_text("Caddyfile", &top, &o).rules(),
            [RuleId::CaddyWsPathNotProxied]
        );
        // In a handle of its own it runs first, so the socket is proxied.
        let fixed = broken.replace(
            "\thandle /api/* {",
            &format!("{matcher}\thandle @ws {{\n\t\treverse_proxy 127.0.0.1:8080\n\t}}\n\thandle /api/* {{"),
        );
        let r = lint_text("Caddyfile", &fixed, &o);
        assert!(r.findings.is_empty(), "{:?}", r.rules());
        // A path handle is sorted before the catch-all wherever it is written.
        let path = broken.replace("/api/*", "/live/*");
        assert!(lint_text("Caddyfile", &path, &o).findings.is_empty());
        // handle_path strips its prefix; respond answers what no handle takes.
        let hp = "app.example.test {\n\thandle_path /live/* {\n\t\treverse_proxy 127.0.0.1:8080\n\t}\n\trespond \"not here\" 404\n}\n";
        assert!(lint_text("Caddyfile", hp, &o).findings.is_empty());
        let other = Options {
            ws_paths: vec!["/cable".into()],
            ..opts()
        };
        let r = lint_text("Caddyfile", hp, &other);
        assert_eq!(r.rules(), [RuleId::CaddyWsPathNotProxied]);
        assert_eq!(r.findings[0].line, 5);
    }

    /// Header operations that strip the handshake. Each broken one was run live with
    /// Caddy 2.11 in front of Python websockets (the backend answered 426); the JSON is
    /// `caddy adapt` of the Caddyfile.
    #[test]
    fn header_operations_that_strip_the_upgrade() {
        let conf = "app.example.test {\n\trequest_header /api/* -Connection\n\treverse_proxy 127.0.0.1:8080 {\n\t\theader_up -Upgrade\n\t\theader_up Connection close\n\t\theader_up X-Real-IP {remote_host}\n\t\theader_up Upgrade {http.request.header.Upgrade}\n\t}\n}\n";
        let r = lint_text("Caddyfile", conf, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::CaddyUpgradeHeaderStripped, 2),
                (RuleId::CaddyUpgradeHeaderStripped, 4),
                (RuleId::CaddyUpgradeHeaderStripped, 5)
            ]
        );
        assert_eq!(r.findings[0].id().as_str(), "proxy-upgrade-not-forwarded");
        // A request_header scoped to a path the socket does not take is not judged.
        let o = Options {
            ws_paths: vec!["/ws".into()],
            ..opts()
        };
        assert_eq!(lint_text("Caddyfile", conf, &o).findings.len(), 2);
        // Passing the client's values on (placeholders) and other headers are fine.
        let ok = "app.example.test {\n\treverse_proxy 127.0.0.1:8080 {\n\t\theader_up Connection {http.request.header.Connection}\n\t\theader_up -X-Forwarded-Host\n\t\theader_up Upgrade websocket\n\t}\n}\n";
        assert!(lint_text("Caddyfile", ok, &opts()).findings.is_empty());
        let json = JSON_HEADER_OPS;
        let r = lint_text("caddy.json", json, &opts());
        assert_eq!(
            r.rules(),
            [
                RuleId::CaddyUpgradeHeaderStripped,
                RuleId::CaddyUpgradeHeaderStripped,
                RuleId::CaddyUpgradeHeaderStripped
            ],
            "{:?}",
            r.findings
                .iter()
                .map(|f| &f.finding.detail)
                .collect::<Vec<_>>()
        );
    }

    /// `caddy adapt` (2.11) of the Caddyfile in `header_operations_that_strip_the_upgrade`.
    const JSON_HEADER_OPS: &str = r#"{
  "apps": {
    "http": {
      "servers": {
        "srv0": {
          "listen": [
            ":443"
          ],
          "routes": [
            {
              "match": [
                {
                  "host": [
                    "app.example.test"
                  ]
                }
              ],
              "handle": [
                {
                  "handler": "subroute",
                  "routes": [
                    {
                      "handle": [
                        {
                          "handler": "headers",
                          "request": {
                            "delete": [
                              "Connection"
                            ]
                          }
                        }
                      ],
                      "match": [
                        {
                          "path": [
                            "/api/*"
                          ]
                        }
                      ]
                    },
                    {
                      "handle": [
                        {
                          "handler": "reverse_proxy",
                          "headers": {
                            "request": {
                              "delete": [
                                "Upgrade"
                              ],
                              "set": {
                                "Connection": [
                                  "close"
                                ],
                                "Upgrade": [
                                  "{http.request.header.Upgrade}"
                                ],
                                "X-Real-Ip": [
                                  "{http.request.remote.host}"
                                ]
                              }
                            }
                          },
                          "upstreams": [
                            {
                              "dial": "127.0.0.1:8080"
                            }
                          ]
                        }
                      ]
                    }
                  ]
                }
              ],
              "terminal": true
            }
          ]
        }
      }
    }
  }
}"#;

    /// Real Caddyfiles: a global options block, a snippet imported into the site, and
    /// a second site. Checked with `caddy adapt` 2.11.
    #[test]
    fn snippets_are_spliced_and_other_sites_count() {
        let conf = "{\n\temail admin@example.test\n}\n(spa) {\n\thandle {\n\t\ttry_files {path} /index.html\n\t\tfile_server\n\t}\n}\napp.example.test {\n\troot * /srv/app\n\thandle /api/* {\n\t\treverse_proxy 127.0.0.1:8080\n\t}\n\timport spa\n}\nws.example.test {\n\treverse_proxy 127.0.0.1:9000\n}\n";
        let o = Options {
            ws_paths: vec!["/live/socket".into()],
            ..opts()
        };
        // ws.example.test proxies the path: that is where the socket goes.
        assert!(lint_text("Caddyfile", conf, &o).findings.is_empty());
        // Without it, the imported catch-all answers the socket on the app site.
        let one = conf.replace("ws.example.test {\n\treverse_proxy 127.0.0.1:9000\n}\n", "");
        let r = lint_text("Caddyfile", &one, &o);
        assert_eq!(r.rules(), [RuleId::CaddyWsPathNotProxied]);
        assert_eq!(r.findings[0].line, 7);
        // An import of a file lint has not read leaves the site unjudged.
        let file = one.replace("import spa", "import /etc/caddy/common/*.caddy");
        assert!(lint_text("Caddyfile", &file, &o).findings.is_empty());
    }

    /// The same routing on Caddy's JSON: `caddy adapt` (2.11) of the broken and fixed
    /// Caddyfiles of `a_ws_path_is_routed_as_caddy_orders_its_handlers`.
    #[test]
    fn a_ws_path_is_routed_through_caddy_json() {
        let o = Options {
            ws_paths: vec!["/live/socket".into()],
            ..opts()
        };
        let r = lint_text("caddy.json", JSON_SPA_BROKEN, &o);
        assert_eq!(r.rules(), [RuleId::CaddyWsPathNotProxied]);
        assert!(r.findings[0].finding.detail.contains("file_server"));
        let r = lint_text("caddy.json", JSON_SPA_FIXED, &o);
        assert!(r.findings.is_empty(), "{:?}", r.rules());
        // The API path is proxied in both.
        let api = Options {
            ws_paths: vec!["/api/ws".into()],
            ..opts()
        };
        assert!(
            lint_text("caddy.json", JSON_SPA_BROKEN, &api)
                .findings
                .is_empty()
        );
    }

    const JSON_SPA_BROKEN: &str = r#"{
	"apps": {
		"http": {
			"servers": {
				"srv0": {
					"listen": [
						":443"
					],
					"routes": [
						{
							"match": [
								{
									"host": [
										"app.example.test"
									]
								}
							],
							"handle": [
								{
									"handler": "subroute",
									"routes": [
										{
											"handle": [
												{
													"handler": "vars",
													"root": "/srv/app"
												}
											]
										},
										{
											"group": "group2",
											"handle": [
												{
													"handler": "subroute",
													"routes": [
														{
															"handle": [
																{
																	"handler": "reverse_proxy",
																	"upstreams": [
																		{
																			"dial": "127.0.0.1:8080"
																		}
																	]
																}
															]
														}
													]
												}
											],
											"match": [
												{
													"path": [
														"/api/*"
													]
												}
											]
										},
										{
											"group": "group2",
											"handle": [
												{
													"handler": "subroute",
													"routes": [
														{
															"handle": [
																{
																	"handler": "rewrite",
																	"uri": "{http.matchers.file.relative}"
																}
															],
															"match": [
																{
																	"file": {
																		"try_files": [
																			"{http.request.uri.path}",
																			"/index.html"
																		]
																	}
																}
															]
														},
														{
															"handle": [
																{
																	"handler": "file_server",
																	"hide": [
																		"/tmp/h12v/Caddyfile.broken"
																	]
																}
															]
														}
													]
												}
											]
										}
									]
								}
							],
							"terminal": true
						}
					]
				}
			}
		}
	}
}"#;
    const JSON_SPA_FIXED: &str = r#"{
	"apps": {
		"http": {
			"servers": {
				"srv0": {
					"listen": [
						":443"
					],
					"routes": [
						{
							"match": [
								{
									"host": [
										"app.example.test"
									]
								}
							],
							"handle": [
								{
									"handler": "subroute",
									"routes": [
										{
											"handle": [
												{
													"handler": "vars",
													"root": "/srv/app"
												}
											]
										},
										{
											"group": "group3",
											"handle": [
												{
													"handler": "subroute",
													"routes": [
														{
															"handle": [
																{
																	"handler": "reverse_proxy",
																	"upstreams": [
																		{
																			"dial": "127.0.0.1:8080"
																		}
																	]
																}
															]
														}
													]
												}
											],
											"match": [
												{
													"header": {
														"Connection": [
															"*Upgrade*"
														],
														"Upgrade": [
															"websocket"
														]
													}
												}
											]
										},
										{
											"group": "group3",
											"handle": [
												{
													"handler": "subroute",
													"routes": [
														{
															"handle": [
																{
																	"handler": "reverse_proxy",
																	"upstreams": [
																		{
																			"dial": "127.0.0.1:8080"
																		}
																	]
																}
															]
														}
													]
												}
											],
											"match": [
												{
													"path": [
														"/api/*"
													]
												}
											]
										},
										{
											"group": "group3",
											"handle": [
												{
													"handler": "subroute",
													"routes": [
														{
															"handle": [
																{
																	"handler": "rewrite",
																	"uri": "{http.matchers.file.relative}"
																}
															],
															"match": [
																{
																	"file": {
																		"try_files": [
																			"{http.request.uri.path}",
																			"/index.html"
																		]
																	}
																}
															]
														},
														{
															"handle": [
																{
																	"handler": "file_server",
																	"hide": [
																		"/tmp/h12v/Caddyfile.fixed2"
																	]
																}
															]
														}
													]
												}
											]
										}
									]
								}
							],
							"terminal": true
						}
					]
				}
			}
		}
	}
}"#;

    #[test]
    fn syntax_errors_have_lines() {
        assert_eq!(parse("a {\n b\n").unwrap_err().0, 1);
        assert_eq!(parse("a\n}\n").unwrap_err().0, 2);
        assert_eq!(parse("a \"b\n").unwrap_err().0, 1);
        assert_eq!(
            tokens("respond \"a # b\" # c").unwrap(),
            ["respond", "a # b"]
        );
    }
}
