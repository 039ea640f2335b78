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

/// Caddyfile v1 (Caddy 0.x/1.x): `proxy … { websocket transparent }`, `timeouts`,
/// `tls self_signed`. Caddy 2 refuses it ("unrecognized directive: proxy", checked
/// with Caddy 2.6 and 2.11); Caddy 2's `reverse_proxy` passes WebSockets by itself.
fn v1_syntax(ctx: &mut Ctx, name: &str, sites: &[Entry]) -> bool {
    let mut found = false;
    for site in sites {
        for e in &site.block {
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
    }
    found
}

/// The upstream arguments of a `reverse_proxy` line (after an optional matcher).
fn upstream_args(p: &Entry) -> Vec<&str> {
    let args: Vec<&str> = p.tokens[1..].iter().map(String::as_str).collect();
    match args.first() {
        Some(a) if a.starts_with('/') || a.starts_with('@') || *a == "*" => args[1..].to_vec(),
        _ => args,
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
