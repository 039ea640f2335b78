//! Apache httpd: one directive per line (with `\` continuations), `<Section>` blocks,
//! and `Include`/`IncludeOptional` with globs. Apache only tunnels WebSockets when told
//! to: a `ws://` ProxyPass (which needs mod_proxy_wstunnel), `upgrade=websocket` on an
//! http ProxyPass (2.4.47+), or a RewriteRule `[P]` guarded by an Upgrade condition.

use super::{Ctx, duration_ms, human_ms};
use crate::finding::LintFinding;
use crate::source::{self, Refusal};
use crate::wspath;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use wsdoctor_core::Severity;
use wsdoctor_core::tables::vendor_timeout;

#[derive(Clone, Debug)]
struct Dir {
    name: String,
    args: Vec<String>,
    file: String,
    line: usize,
    /// Index of the enclosing `<VirtualHost>` (its line in a counter), if any.
    vhost: Option<usize>,
    /// The argument of the enclosing `<Location>`/`<LocationMatch>`, if any.
    location: Option<String>,
}

impl Dir {
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

pub(crate) fn lint(ctx: &mut Ctx, name: &str, _text: &str) {
    let prefix = ctx
        .opts
        .prefix
        .clone()
        .unwrap_or_else(|| source::dir_of(name));
    let mut state = Parse {
        out: Vec::new(),
        sections: Vec::new(),
        vhosts: 0,
        server_root: None,
    };
    let Some(text) = ctx.sources.text(name).map(str::to_string) else {
        return;
    };
    ctx.sources.begin(name);
    read_file(ctx, &mut state, name, &text, &prefix);
    let dirs = state.out;
    // ws:// needs a module that speaks it: mod_proxy_wstunnel, or mod_proxy_http on
    // 2.4.47 and later (seen: 2.4.71 tunnels ws:// with mod_proxy_http alone). Only
    // judged when the LoadModule lines are in what was read.
    let loaded = |m: &str| {
        dirs.iter()
            .any(|d| d.is("LoadModule") && d.args.first().is_some_and(|x| x == m))
    };
    let ws_handler_missing =
        loaded("proxy_module") && !loaded("proxy_wstunnel_module") && !loaded("proxy_http_module");
    let idx = Index::new(&dirs);
    for (i, d) in dirs.iter().enumerate() {
        if d.is("ProxyPass") || d.is("ProxyPassMatch") {
            proxy_pass(ctx, &idx, d, ws_handler_missing);
        } else if d.is("RewriteRule") {
            rewrite_rule(ctx, &idx, &dirs, i, ws_handler_missing);
        }
    }
}

/// Facts every ProxyPass looks up, gathered in one pass so that a file with 16k
/// VirtualHosts is linted in linear time (a scan per ProxyPass was quadratic).
struct Index<'a> {
    /// Paths that a ws:// ProxyPass handles.
    ws_paths: HashSet<String>,
    /// The last `Timeout`/`ProxyTimeout` per VirtualHost (`None`: outside any).
    last: HashMap<(&'static str, Option<usize>), &'a Dir>,
}

impl<'a> Index<'a> {
    fn new(dirs: &'a [Dir]) -> Index<'a> {
        let mut idx = Index {
            ws_paths: HashSet::new(),
            last: HashMap::new(),
        };
        for d in dirs {
            if (d.is("ProxyPass") || d.is("ProxyPassMatch"))
                && let Some((p, t, _)) = proxy_pass_parts(d)
                && is_ws_url(&t)
            {
                idx.ws_paths.insert(p);
            }
            for name in ["Timeout", "ProxyTimeout"] {
                if d.is(name) {
                    idx.last.insert((name, d.vhost), d);
                }
            }
        }
        idx
    }

    /// The `Timeout`/`ProxyTimeout` in force for `d`: its VirtualHost's, else the
    /// server-wide one.
    fn setting(&self, name: &'static str, d: &Dir) -> Option<&'a Dir> {
        d.vhost
            .and_then(|_| self.last.get(&(name, d.vhost)))
            .or_else(|| self.last.get(&(name, None)))
            .copied()
    }
}

struct Parse {
    out: Vec<Dir>,
    /// Open sections: (name, argument).
    sections: Vec<(String, String)>,
    vhosts: usize,
    server_root: Option<PathBuf>,
}

fn read_file(ctx: &mut Ctx, st: &mut Parse, file: &str, text: &str, prefix: &PathBuf) {
    let depth_at_start = st.sections.len();
    let mut pending = String::new();
    let mut start_line = 0;
    for (i, raw) in text.lines().enumerate() {
        if pending.is_empty() {
            start_line = i + 1;
        }
        let line = raw.trim_end_matches('\r');
        if let Some(cont) = line.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let logical = std::mem::take(&mut pending);
        if let Err(msg) = logical_line(ctx, st, file, start_line, logical.trim(), prefix) {
            ctx.error(file, Some(start_line), msg);
            st.sections.truncate(depth_at_start);
            return;
        }
    }
    if st.sections.len() > depth_at_start {
        let (name, _) = &st.sections[st.sections.len() - 1];
        let msg = format!("<{name}> is never closed");
        ctx.error(file, Some(text.lines().count()), msg);
        st.sections.truncate(depth_at_start);
    }
}

fn logical_line(
    ctx: &mut Ctx,
    st: &mut Parse,
    file: &str,
    line: usize,
    text: &str,
    prefix: &PathBuf,
) -> Result<(), String> {
    if text.is_empty() || text.starts_with('#') {
        return Ok(());
    }
    if let Some(close) = text.strip_prefix("</") {
        let name = close.trim_end_matches('>').trim();
        match st.sections.pop() {
            Some((open, _)) if open.eq_ignore_ascii_case(name) => return Ok(()),
            Some((open, _)) => return Err(format!("</{name}> closes <{open}>")),
            None => return Err(format!("</{name}> without an opening <{name}>")),
        }
    }
    if let Some(open) = text.strip_prefix('<') {
        let inner = open
            .strip_suffix('>')
            .ok_or("a section line must end with \">\"")?;
        let words = split_args(inner);
        let name = words.first().cloned().unwrap_or_default();
        let arg = words.get(1).cloned().unwrap_or_default();
        if name.eq_ignore_ascii_case("VirtualHost") {
            st.vhosts += 1;
        }
        if st.sections.len() >= 64 {
            return Err("sections nested more than 64 deep".into());
        }
        st.sections.push((name, arg));
        return Ok(());
    }
    let words = split_args(text);
    let Some(name) = words.first().cloned() else {
        return Ok(());
    };
    let args = words[1..].to_vec();
    if name.eq_ignore_ascii_case("ServerRoot") {
        st.server_root = args.first().map(|r| prefix.join(r));
    }
    if name.eq_ignore_ascii_case("Include") || name.eq_ignore_ascii_case("IncludeOptional") {
        let optional = name.eq_ignore_ascii_case("IncludeOptional");
        let Some(pattern) = args.first() else {
            return Ok(());
        };
        let base = if ctx.opts.prefix.is_some() {
            prefix.clone()
        } else {
            st.server_root.clone().unwrap_or_else(|| prefix.clone())
        };
        let resolved = source::resolve(&base, pattern);
        let (files, cut) = ctx.sources.expand(&resolved, file, line);
        if let Some(e) = cut {
            ctx.report.push_error(e);
        }
        for f in files {
            let missing = !std::path::Path::new(&f).exists()
                && matches!(ctx.sources.origin, source::Origin::Disk)
                && ctx.sources.text(&f).is_none();
            if missing {
                if !optional {
                    ctx.error(
                        file,
                        Some(line),
                        format!("Include {pattern}: {f} does not exist"),
                    );
                }
                continue;
            }
            match ctx.sources.enter(&f, file, line) {
                Ok(text) => {
                    read_file(ctx, st, &f, &text, prefix);
                    ctx.sources.leave();
                }
                Err(Refusal::Report(e)) => ctx.report.push_error(e),
                Err(Refusal::Said) => {}
                Err(Refusal::Unreadable(e)) => ctx.report.push_error(e.at(&f, None, "")),
            }
        }
        return Ok(());
    }
    let vhost = st
        .sections
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("VirtualHost"))
        .then_some(st.vhosts);
    let location = st
        .sections
        .iter()
        .rev()
        .find(|(n, _)| n.to_ascii_lowercase().starts_with("location"))
        .map(|(_, a)| a.clone());
    st.out.push(Dir {
        name,
        args,
        file: file.to_string(),
        line,
        vhost,
        location,
    });
    Ok(())
}

/// Apache's argument splitting: whitespace, with `"…"` quoting and `\"` escapes.
fn split_args(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// `ProxyPass [path] url [key=value …]`: the path (from `<Location>` when omitted),
/// the target and the worker parameters.
fn proxy_pass_parts(d: &Dir) -> Option<(String, String, Vec<String>)> {
    let mut positional = d
        .args
        .iter()
        .filter(|a| !a.contains('=') || a.contains("://"));
    let first = positional.next()?.clone();
    let params: Vec<String> = d
        .args
        .iter()
        .filter(|a| a.contains('=') && !a.contains("://"))
        .cloned()
        .collect();
    match positional.next() {
        Some(target) => Some((first, target.clone(), params)),
        None => Some((
            d.location.clone().unwrap_or_else(|| "/".into()),
            first,
            params,
        )),
    }
}

fn is_ws_url(u: &str) -> bool {
    let l = u.to_ascii_lowercase();
    l.starts_with("ws://") || l.starts_with("wss://")
}

fn proxy_pass(ctx: &mut Ctx, idx: &Index, d: &Dir, wstunnel_missing: bool) {
    let Some((path, target, params)) = proxy_pass_parts(d) else {
        return;
    };
    if target == "!" {
        return;
    }
    let upgrade = params
        .iter()
        .any(|p| p.to_ascii_lowercase().starts_with("upgrade="));
    let why = if is_ws_url(&target) {
        format!("it proxies to {target}")
    } else if upgrade {
        "it sets upgrade=".to_string()
    } else if let Some(w) = wspath::path_reason(&path, &ctx.opts.ws_paths) {
        w
    } else {
        return;
    };
    let about = format!("(ProxyPass {path} is treated as a WebSocket route because {why})");
    if is_ws_url(&target) && wstunnel_missing {
        let f = LintFinding::new(
            "apache/wstunnel-missing",
            &d.file,
            d.line,
            format!("{target} needs mod_proxy_wstunnel (or mod_proxy_http on 2.4.47+), and no LoadModule line loads either: Apache answers 500 'No protocol handler' {about}"),
        )
        .fix("Load mod_proxy_http (2.4.47+) or mod_proxy_wstunnel (a2enmod proxy_http proxy_wstunnel).")
        .replace_with(["LoadModule proxy_http_module modules/mod_proxy_http.so"]);
        ctx.push(f);
    }
    if !is_ws_url(&target) && !upgrade {
        // A ws:// ProxyPass for the same path elsewhere handles the Upgrade.
        if !idx.ws_paths.contains(&path) {
            let f = LintFinding::new(
                "apache/proxypass-no-upgrade",
                &d.file,
                d.line,
                format!("ProxyPass to {target} without upgrade=websocket sends the backend a plain request: mod_proxy_http drops Upgrade and Connection {about}"),
            )
            .fix("Add upgrade=websocket to the ProxyPass (Apache 2.4.47+), or proxy a ws:// URL with mod_proxy_wstunnel.")
            .replace_with([format!("ProxyPass {path} {target} upgrade=websocket")]);
            ctx.push(f);
        }
    }
    let own = params.iter().find_map(|p| {
        p.strip_prefix("timeout=")
            .and_then(|v| duration_ms(v, 1000))
    });
    timeout(ctx, idx, d, own, &about);
}

fn rewrite_rule(ctx: &mut Ctx, idx: &Index, dirs: &[Dir], i: usize, wstunnel_missing: bool) {
    let d = &dirs[i];
    let (Some(pattern), Some(target)) = (d.args.first(), d.args.get(1)) else {
        return;
    };
    if !is_ws_url(target) {
        return;
    }
    let flags = d
        .args
        .get(2)
        .map(|f| f.to_ascii_uppercase())
        .unwrap_or_default();
    let proxied = flags
        .trim_matches(['[', ']'])
        .split(',')
        .any(|f| f.trim() == "P" || f.trim() == "PROXY");
    let about = format!("(RewriteRule {pattern} rewrites to {target})");
    if !proxied {
        let mut fixed = d.args[..2].join(" ");
        fixed.push_str(" [P,L]");
        let f = LintFinding::new(
            "apache/rewrite-without-p",
            &d.file,
            d.line,
            format!("without the [P] flag Apache answers the client with a redirect to {target}, which WebSocket clients do not follow, and exposes the backend address {about}"),
        )
        .fix("Add the [P] flag so Apache proxies the request instead of redirecting it.")
        .replace_with([format!("RewriteRule {fixed}")]);
        ctx.push(f);
    }
    if wstunnel_missing {
        let f = LintFinding::new(
            "apache/wstunnel-missing",
            &d.file,
            d.line,
            format!("{target} needs mod_proxy_wstunnel (or mod_proxy_http on 2.4.47+), and no LoadModule line loads either {about}"),
        )
        .fix("Load mod_proxy_http (2.4.47+) or mod_proxy_wstunnel (a2enmod proxy_http proxy_wstunnel).")
        .replace_with(["LoadModule proxy_http_module modules/mod_proxy_http.so"]);
        ctx.push(f);
    }
    // The RewriteCond lines that apply are the ones right before the rule.
    let conds: Vec<&Dir> = dirs[..i]
        .iter()
        .rev()
        .take_while(|c| c.is("RewriteCond") && c.file == d.file)
        .collect();
    let guarded = conds.iter().any(|c| {
        c.args
            .first()
            .is_some_and(|a| a.to_ascii_uppercase().contains("%{HTTP:UPGRADE}"))
    });
    let only_ws_path =
        wspath::path_reason(pattern, &[]).is_some() && !wspath::is_polling_endpoint(pattern);
    if proxied && !guarded && !only_ws_path {
        let f = LintFinding::new(
            "apache/rewrite-no-upgrade-condition",
            &d.file,
            d.line,
            format!("every request matching {pattern} goes to {target}, also plain HTTP ones (pages, Socket.IO long-polling), which fail there {about}"),
        )
        .replace_with([
            "RewriteCond %{HTTP:Upgrade} websocket [NC]".to_string(),
            "RewriteCond %{HTTP:Connection} upgrade [NC]".to_string(),
            format!("RewriteRule {}", d.args.join(" ")),
        ]);
        ctx.push(f);
    }
    timeout(ctx, idx, d, None, &about);
}

fn with_ms(x: Option<&Dir>) -> Option<(&Dir, u64)> {
    let x = x?;
    let ms = x.args.first().and_then(|v| duration_ms(v, 1000))?;
    Some((x, ms))
}

/// The idle limit on the tunnel: the worker's `timeout=`, else the larger of
/// `Timeout` and `ProxyTimeout` (which defaults to `Timeout`, itself 60 s).
fn timeout(ctx: &mut Ctx, idx: &Index, d: &Dir, own: Option<u64>, about: &str) {
    let find = |name: &'static str| idx.setting(name, d);
    let ping_ms = ctx.ping() * 1000;
    let (at, ms, what) = if let Some(ms) = own {
        (Some(d), ms, "timeout=".to_string())
    } else {
        let t = with_ms(find("Timeout"));
        let p = with_ms(find("ProxyTimeout"));
        match (t, p) {
            (None, None) => {
                // Apache's default, from the shared vendor table.
                let default_s = u64::from(vendor_timeout("apache").seconds);
                if ctx.opts.ping_interval.is_some_and(|p| p < default_s) {
                    return;
                }
                let f = LintFinding::new(
                    "apache/timeout-default",
                    &d.file,
                    d.line,
                    format!("no Timeout or ProxyTimeout in the files read: Apache's {default_s} s default closes a quiet WebSocket, fine only if the application pings more often {about}"),
                )
                .severity(Severity::Info)
                .fix(format!("Make sure client or server pings more often than every {default_s} s, or raise ProxyTimeout."))
                .replace_with(["ProxyTimeout 3600"]);
                ctx.push(f);
                return;
            }
            (t, p) => {
                let best = [t, p].into_iter().flatten().max_by_key(|(_, ms)| *ms);
                match best {
                    Some((x, ms)) => (Some(x), ms, x.name.clone()),
                    None => return,
                }
            }
        }
    };
    if ms > ping_ms {
        return;
    }
    let Some(at) = at else {
        return;
    };
    let f = LintFinding::new(
        "apache/timeout-short",
        &at.file,
        at.line,
        format!(
            "{what} {} closes a WebSocket that is quiet for {}, sooner than the {} s ping interval assumed {about}",
            at.args.first().map(String::as_str).filter(|_| what != "timeout=").unwrap_or(""),
            human_ms(ms),
            ctx.ping()
        ),
    )
    .severity(Severity::Warning)
    .quote(&d.file, d.line)
    .fix("Raise ProxyTimeout (or the ProxyPass timeout=) above the application's ping interval.")
    .replace_with(["ProxyTimeout 3600"]);
    ctx.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Options, lint_text};

    fn opts() -> Options {
        Options {
            input_format: Some(Format::Apache),
            ..Options::default()
        }
    }

    #[test]
    fn args_and_sections() {
        assert_eq!(
            split_args("RewriteRule ^/(.*) \"ws://b/$1\" [P,L]"),
            ["RewriteRule", "^/(.*)", "ws://b/$1", "[P,L]"]
        );
        assert_eq!(
            split_args("Header set X \"a \\\"b\\\"\""),
            ["Header", "set", "X", "a \"b\""]
        );
        let r = lint_text(
            "a",
            "<VirtualHost *:80>\n  ProxyPass /ws ws://b/\n",
            &opts(),
        );
        assert_eq!(r.errors[0].line, Some(2));
        let r = lint_text("a", "</Location>\n", &opts());
        assert_eq!(r.errors[0].line, Some(1));
    }

    #[test]
    fn proxypass_rules() {
        let conf = "LoadModule proxy_module modules/mod_proxy.so\nTimeout 3600\n<VirtualHost *:80>\n  ProxyPass /ws/ ws://127.0.0.1:9000/ws/\n  ProxyPass /live/ http://127.0.0.1:9000/live/\n  <Location /chat/ws>\n    ProxyPass http://127.0.0.1:9000/chat/ws timeout=5\n  </Location>\n</VirtualHost>\n";
        let r = lint_text("a", conf, &opts());
        assert_eq!(
            r.rules(),
            [
                "apache/wstunnel-missing",
                "apache/proxypass-no-upgrade",
                "apache/proxypass-no-upgrade",
                "apache/timeout-short"
            ]
        );
        assert_eq!(
            r.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
            [4, 5, 7, 7]
        );
        let fixed = "LoadModule proxy_module modules/mod_proxy.so\nLoadModule proxy_wstunnel_module modules/mod_proxy_wstunnel.so\nTimeout 3600\n<VirtualHost *:80>\n  ProxyPass /ws/ ws://127.0.0.1:9000/ws/\n  ProxyPass /live/ http://127.0.0.1:9000/live/ upgrade=websocket\n  <Location /chat/ws>\n    ProxyPass http://127.0.0.1:9000/chat/ws upgrade=websocket timeout=600\n  </Location>\n</VirtualHost>\n";
        assert!(lint_text("a", fixed, &opts()).findings.is_empty());
    }

    #[test]
    fn rewrite_rules() {
        let conf = "Timeout 600\nRewriteEngine On\nRewriteRule ^/(.*) ws://127.0.0.1:9000/$1\nRewriteCond %{HTTP:Upgrade} websocket [NC]\nRewriteRule ^/app/(.*) ws://127.0.0.1:9000/$1 [P,L]\nRewriteRule ^/socket.io/(.*) ws://127.0.0.1:9000/socket.io/$1 [P]\n";
        let r = lint_text("a", conf, &opts());
        assert_eq!(
            r.rules(),
            [
                "apache/rewrite-without-p",
                "apache/rewrite-no-upgrade-condition"
            ]
        );
        assert_eq!(
            r.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
            [3, 6]
        );
        assert_eq!(r.findings[0].id().as_str(), "http-redirect");
    }

    #[test]
    fn includes_with_globs_follow_server_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sites")).unwrap();
        std::fs::write(
            dir.path().join("sites/a.conf"),
            "<VirtualHost *:80>\n  ProxyPass /ws/ http://b/ws/\n</VirtualHost>\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sites/b.txt"),
            "ProxyPass /ws/ http://c/ws/\n",
        )
        .unwrap();
        let main = dir.path().join("httpd.conf");
        std::fs::write(
            &main,
            format!(
                "ServerRoot {}\nTimeout 600\nIncludeOptional sites/*.conf\nInclude missing.conf\n",
                dir.path().display()
            ),
        )
        .unwrap();
        let r = crate::lint(&[crate::Input::Path(main)], &opts());
        assert_eq!(r.rules(), ["apache/proxypass-no-upgrade"]);
        assert!(r.findings[0].file.ends_with("sites/a.conf"));
        assert_eq!(r.findings[0].line, 2);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].line, Some(4));
    }
}
