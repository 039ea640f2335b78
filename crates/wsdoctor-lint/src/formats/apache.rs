//! Apache httpd: one directive per line (with `\` continuations), `<Section>` blocks,
//! and `Include`/`IncludeOptional` with globs. Apache only tunnels WebSockets when told
//! to: a `ws://` ProxyPass (which needs mod_proxy_wstunnel), `upgrade=websocket` on an
//! http ProxyPass (2.4.47+), or a RewriteRule `[P]` guarded by an Upgrade condition.

use super::{Ctx, Idle, duration_ms, human_ms};
use crate::finding::{LintFinding, RuleId};
use crate::source::{self, Refusal};
use crate::wspath;

mod routes;
use std::collections::HashMap;
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
    /// The argument of the enclosing `<Location>`/`<LocationMatch>`, if any: a prefix,
    /// or `~ regex` (for `<Location ~ …>` and `<LocationMatch …>`).
    location: Option<String>,
    /// The enclosing `<Proxy …>` section's argument (`balancer://name`), if any.
    proxy_block: Option<String>,
    /// Inside `<Directory>`/`<DirectoryMatch>`: per-directory context, as is a
    /// `.htaccess` file.
    in_directory: bool,
}

impl Dir {
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

pub(crate) fn lint(ctx: &mut Ctx, name: &str, _text: &str) {
    let dirs = read(ctx, name);
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
    let engines = routes::Engines::new(&dirs);
    for (i, d) in dirs.iter().enumerate() {
        if d.is("RewriteRule") || d.is("RewriteCond") {
            flag_delimiters(ctx, d);
        }
        if d.is("RewriteRule") {
            if engines.on(d) == Some(false) {
                engine_off(ctx, &dirs, i, engines.set_here(d));
                continue;
            }
            rewrite_rule(ctx, &idx, &dirs, i, ws_handler_missing);
        } else if d.is("Redirect") || d.is("RedirectMatch") {
            redirect_arguments(ctx, d);
        }
    }
    let balancers = routes::Balancers::new(&dirs);
    // Each virtual host routes on its own; server-wide ProxyPass lines apply to every
    // one after its own (and to requests no virtual host takes).
    let mut hosts: std::collections::BTreeMap<usize, Vec<&Dir>> = Default::default();
    let global: Vec<&Dir> = dirs.iter().filter(|d| d.vhost.is_none()).collect();
    for d in dirs.iter() {
        if let Some(v) = d.vhost {
            hosts.entry(v).or_default().push(d);
        }
    }
    let judge = Judge {
        idx: &idx,
        balancers: &balancers,
        ws_handler_missing,
        engines: &engines,
    };
    for own in hosts.values() {
        let mut list = own.clone();
        list.extend(
            global
                .iter()
                .filter(|d| !d.is("RewriteRule") && !d.is("RewriteCond")),
        );
        judge.host(ctx, &list);
    }
    judge.host(ctx, &global);
}

/// Facts every ProxyPass looks up, gathered in one pass so that a file with 16k
/// VirtualHosts is linted in linear time (a scan per ProxyPass was quadratic).
struct Index<'a> {
    /// The last `Timeout`/`ProxyTimeout` per VirtualHost (`None`: outside any).
    last: HashMap<(&'static str, Option<usize>), &'a Dir>,
}

impl<'a> Index<'a> {
    fn new(dirs: &'a [Dir]) -> Index<'a> {
        let mut idx = Index {
            last: HashMap::new(),
        };
        for d in dirs {
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

/// Every directive of `name` and what it includes, in reading order, for commands
/// other than lint (`crate::read`).
pub(crate) fn directives(ctx: &mut Ctx, name: &str) -> Vec<crate::read::Directive> {
    read(ctx, name)
        .into_iter()
        .map(|d| crate::read::Directive {
            name: d.name,
            args: d.args,
            file: d.file,
            line: d.line,
        })
        .collect()
}

/// Reads `name` (already in the sources) and the files it includes.
fn read(ctx: &mut Ctx, name: &str) -> Vec<Dir> {
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
        return Vec::new();
    };
    ctx.sources.begin(name);
    read_file(ctx, &mut state, name, &text, &prefix);
    state.out
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
        let mut arg = words.get(1..).map(|w| w.join(" ")).unwrap_or_default();
        if name.eq_ignore_ascii_case("LocationMatch") {
            arg = format!("~ {arg}");
        }
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
    let proxy_block = st
        .sections
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case("Proxy"))
        .map(|(_, a)| a.clone());
    let in_directory = st
        .sections
        .iter()
        .any(|(n, _)| n.to_ascii_lowercase().starts_with("directory"));
    st.out.push(Dir {
        name,
        args,
        file: file.to_string(),
        line,
        vhost,
        location,
        proxy_block,
        in_directory,
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

fn is_ws_url(u: &str) -> bool {
    routes::is_ws_url(u)
}

/// The routing judgement of one virtual host.
struct Judge<'a> {
    idx: &'a Index<'a>,
    balancers: &'a routes::Balancers,
    ws_handler_missing: bool,
    engines: &'a routes::Engines,
}

impl Judge<'_> {
    /// Sends an Upgrade request to every path that should carry WebSockets and judges
    /// the route it reaches. The paths: `--ws-path`, and the paths of the rules
    /// written for WebSockets or named like a WebSocket endpoint; when there are none,
    /// the path of every proxied rule.
    fn host(&self, ctx: &mut Ctx, dirs: &[&Dir]) {
        let rs = routes::routes_of(dirs, self.engines);
        if rs.is_empty() {
            return;
        }
        let mut probes: Vec<(String, String)> = ctx
            .opts
            .ws_paths
            .iter()
            .map(|p| self.user_probe(&rs, p))
            .collect();
        for r in &rs {
            let Some(p) = routes::probe_path(r) else {
                continue;
            };
            let why = if r.meant_for_ws(self.balancers) {
                format!("{p}, the path of the WebSocket rule on line {}", r.dir.line)
            } else if let Some(w) = wspath::path_reason(&p, &[]) {
                w.replacen("its path", "the path", 1)
            } else {
                continue;
            };
            probes.push((p, why));
        }
        let reached = |p: &str| {
            routes::route_for(&rs, &upgrade_request(p))
                .is_some_and(|r| !r.rewrite || r.is_ws_target(self.balancers))
        };
        let marked = rs.iter().any(|r| r.meant_for_ws(self.balancers))
            || probes.iter().any(|(p, _)| reached(p));
        if !marked {
            for r in rs.iter().filter(|r| !r.rewrite && r.target != "!") {
                if let Some(p) = routes::probe_path(r) {
                    let why = format!(
                        "no rule of this virtual host is marked as WebSocket (no ws:// target, no upgrade=, no Upgrade RewriteCond, no WebSocket path word), so every proxied route is judged, here {p}"
                    );
                    probes.push((p, why));
                }
            }
        }
        let mut judged = std::collections::HashSet::new();
        for (path, why) in probes {
            let req = upgrade_request(&path);
            let Some(r) = routes::route_for(&rs, &req) else {
                continue;
            };
            if judged.insert((r.dir.file.clone(), r.dir.line, path.clone())) {
                self.route(ctx, &rs, r, &req, &why);
            }
        }
    }

    /// The probe for a `--ws-path`. A path without a WebSocket word names an
    /// application mounted there (`/jupyterlab`), whose sockets live beneath it: when
    /// the path itself reaches a plain route but a rule written for WebSockets serves
    /// what lies beneath (`RewriteRule ^/jupyterlab/(.*) ws://… [P]` beside
    /// `<Location /jupyterlab> ProxyPass http://…`), that rule is the one judged.
    fn user_probe(&self, rs: &[routes::Route], p: &str) -> (String, String) {
        let plain = (p.to_string(), format!("--ws-path {p}"));
        if p.ends_with('/') || wspath::path_reason(p, &[]).is_some() {
            return plain;
        }
        let carries = |path: &str| {
            routes::route_for(rs, &upgrade_request(path))
                .filter(|r| r.carries_upgrade(self.balancers))
                .map(|r| r.meant_for_ws(self.balancers))
        };
        let below = format!("{p}/x");
        match (carries(p), carries(&below)) {
            (None, Some(true)) => (
                below.clone(),
                format!("--ws-path {p}: the WebSocket rule for what lies beneath it ({below})"),
            ),
            _ => plain,
        }
    }

    fn route(
        &self,
        ctx: &mut Ctx,
        rs: &[routes::Route],
        r: &routes::Route,
        req: &routes::Request,
        why: &str,
    ) {
        let d = r.dir;
        let kind = if r.rewrite {
            "RewriteRule"
        } else {
            d.name.as_str()
        };
        let about = format!(
            "(an Upgrade request to {} reaches {kind} {} on line {}; it is judged because of {why})",
            req.path, r.path, d.line
        );
        if r.carries_upgrade(self.balancers) {
            if !r.rewrite && r.is_ws_target(self.balancers) && self.ws_handler_missing {
                let f = LintFinding::new(
                    RuleId::ApacheWstunnelMissing,
                    &d.file,
                    d.line,
                    format!("{} needs mod_proxy_wstunnel (or mod_proxy_http on 2.4.47+), and no LoadModule line loads either: Apache answers 500 'No protocol handler' {about}", r.target),
                )
                .fix("Load mod_proxy_http (2.4.47+) or mod_proxy_wstunnel (a2enmod proxy_http proxy_wstunnel).")
                .replace_with(["LoadModule proxy_http_module modules/mod_proxy_http.so"]);
                ctx.push(f);
            }
            let own = r.params.iter().find_map(|p| {
                p.strip_prefix("timeout=")
                    .and_then(|v| duration_ms(v, 1000))
            });
            timeout(ctx, self.idx, d, own, &about);
            return;
        }
        let later: Vec<&routes::Route> = routes::shadowed_by(rs, r, req)
            .into_iter()
            .filter(|x| x.carries_upgrade(self.balancers))
            .collect();
        let fixed = if r.rewrite {
            format!(
                "RewriteRule {} {} [P,L]",
                r.path,
                r.target.replacen("http", "ws", 1)
            )
        } else {
            format!("ProxyPass {} {} upgrade=websocket", r.path, r.target)
        };
        let f = LintFinding::new(
            RuleId::ApacheProxypassNoUpgrade,
            &d.file,
            d.line,
            format!("{kind} to {} without upgrade=websocket sends the backend a plain request: mod_proxy_http drops Upgrade and Connection {about}", r.target),
        )
        .fix("Add upgrade=websocket to the ProxyPass (Apache 2.4.47+), or proxy a ws:// URL with mod_proxy_wstunnel.")
        .replace_with([fixed]);
        ctx.push(f);
        for x in later {
            let f = LintFinding::new(
                RuleId::ApacheProxypassShadowed,
                &x.dir.file,
                x.dir.line,
                format!("ProxyPass {} {} never sees {}: {kind} {} on line {} matches it first (Apache uses the first ProxyPass that matches, in the order written)", x.path, x.target, req.path, r.path, d.line),
            )
            .severity(Severity::Error)
            .quote(&d.file, d.line)
            .fix("Write the more specific ProxyPass (the WebSocket one) before ProxyPass /.")
            .replace_with([format!("ProxyPass {} {}", x.path, x.target), format!("ProxyPass {} {}", r.path, r.target)]);
            ctx.push(f);
        }
    }
}

fn upgrade_request(path: &str) -> routes::Request {
    routes::Request {
        path: path.to_string(),
        upgrade: true,
    }
}

/// A RewriteRule that proxies to a WebSocket backend (`ws://`, or `[P]` after an
/// Upgrade condition) where mod_rewrite is off: the Upgrade falls through to the
/// next route.
fn engine_off(ctx: &mut Ctx, dirs: &[Dir], i: usize, explicit_off: bool) {
    let d = &dirs[i];
    let Some(target) = d.args.get(1) else {
        return;
    };
    let upgrade_cond = dirs[..i]
        .iter()
        .rev()
        .take_while(|c| c.is("RewriteCond") && c.file == d.file)
        .any(|c| {
            c.args
                .first()
                .is_some_and(|t| t.to_ascii_lowercase().contains("http:upgrade"))
        });
    if !is_ws_url(target) && !upgrade_cond {
        return;
    }
    let why = if explicit_off {
        "RewriteEngine is Off here"
    } else {
        "no RewriteEngine On applies to it (not in its context, not in the server config; the engine is off by default)"
    };
    let f = LintFinding::new(
        RuleId::ApacheRewriteEngineOff,
        &d.file,
        d.line,
        format!("RewriteRule {} {target} does nothing: {why}, so WebSocket Upgrades are not sent to {target} and fall through to the next ProxyPass, which does not carry them", d.args.first().map_or("", String::as_str)),
    )
    .severity(Severity::Warning)
    .fix("Put RewriteEngine On in the same <VirtualHost> (or <Location>) before the RewriteCond/RewriteRule lines.")
    .replace_with(["RewriteEngine On"]);
    ctx.push(f);
}

/// `RewriteCond TestString CondPattern [flags]` / `RewriteRule Pattern Substitution
/// [flags]`: mod_rewrite's `cmd_parseflagfield` refuses a third word that does not both
/// start with `[` and end with `]` ("bad flag delimiters"), so `[NC, OR]` (a space after
/// the comma splits the flags into two words) stops Apache from starting.
fn flag_delimiters(ctx: &mut Ctx, d: &Dir) {
    let Some(flags) = d.args.get(2) else {
        return;
    };
    if flags.starts_with('[') && flags.ends_with(']') {
        return;
    }
    let joined: String = d.args[2..].concat();
    let f = LintFinding::new(
        RuleId::ApacheRewriteFlagDelimiters,
        &d.file,
        d.line,
        format!("{} flags \"{}\" are not one [..] word: apache2 -t refuses the file (\"{}: bad flag delimiters\") and Apache does not start", d.name, d.args[2..].join(" "), d.name),
    )
    .severity(Severity::Error)
    .fix(format!("Write the flags without spaces: {joined}"));
    ctx.push(f);
}

/// `Redirect [status] URL-path URL`: a third argument that is not a status makes
/// Apache refuse the file ("Redirect: invalid first argument (of three)").
fn redirect_arguments(ctx: &mut Ctx, d: &Dir) {
    if d.args.len() != 3 {
        return;
    }
    let status = d.args[0].to_ascii_lowercase();
    let known = ["permanent", "temp", "seeother", "gone"].contains(&status.as_str())
        || status
            .parse::<u16>()
            .is_ok_and(|s| (300..400).contains(&s) || s == 410);
    if known {
        return;
    }
    let f = LintFinding::new(
        RuleId::ApacheRedirectArguments,
        &d.file,
        d.line,
        format!("{} has three arguments and the first, {}, is not a status (permanent, temp, seeother, gone or a 3xx code): apache2 -t refuses the file (\"invalid first argument (of three)\") and Apache does not start", d.name, d.args[0]),
    )
    .severity(Severity::Error)
    .fix("Drop the stray argument: Redirect URL-path URL.")
    .replace_with([format!("{} {} {}", d.name, d.args[0], d.args[1])]);
    ctx.push(f);
}

fn rewrite_rule(ctx: &mut Ctx, idx: &Index, dirs: &[Dir], i: usize, wstunnel_missing: bool) {
    let d = &dirs[i];
    let (Some(pattern), Some(target)) = (d.args.first(), d.args.get(1)) else {
        return;
    };
    literal_variable(ctx, d, target);
    // The RewriteCond lines that apply are the ones right before the rule.
    let conds: Vec<&Dir> = dirs[..i]
        .iter()
        .rev()
        .take_while(|c| c.is("RewriteCond") && c.file == d.file)
        .collect();
    exact_connection_condition(ctx, d, &conds);
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
            RuleId::ApacheRewriteWithoutP,
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
            RuleId::ApacheWstunnelMissing,
            &d.file,
            d.line,
            format!("{target} needs mod_proxy_wstunnel (or mod_proxy_http on 2.4.47+), and no LoadModule line loads either {about}"),
        )
        .fix("Load mod_proxy_http (2.4.47+) or mod_proxy_wstunnel (a2enmod proxy_http proxy_wstunnel).")
        .replace_with(["LoadModule proxy_http_module modules/mod_proxy_http.so"]);
        ctx.push(f);
    }
    let guarded = conds.iter().any(|c| {
        c.args.first().is_some_and(|a| {
            let a = a.to_ascii_uppercase();
            a.contains("%{HTTP:UPGRADE}") || a.contains("%{HTTP:CONNECTION}")
        })
    });
    // A catch-all pattern takes the pages too, and a Socket.IO/SockJS path its
    // long-polling requests; a pattern naming one endpoint may carry WebSockets only.
    let catch_all =
        regex::Regex::new(pattern).is_ok_and(|re| re.is_match("/") || re.is_match("/index.html"));
    let broad = catch_all || wspath::is_polling_endpoint(pattern);
    let ws_endpoint = wspath::path_reason(pattern, &[]).is_some() && !broad;
    if proxied && !guarded && !ws_endpoint {
        let f = LintFinding::new(
            RuleId::ApacheRewriteNoUpgradeCondition,
            &d.file,
            d.line,
            if broad {
                format!("every request matching {pattern} goes to {target}, also plain HTTP ones (pages, Socket.IO long-polling), which fail there {about}")
            } else {
                format!("every request matching {pattern} goes to {target} with no Upgrade condition: fine when only WebSocket clients use this path, a 500 'No protocol handler' for any plain HTTP request there {about}")
            },
        )
        .severity(if broad { Severity::Warning } else { Severity::Info })
        .replace_with([
            "RewriteCond %{HTTP:Upgrade} websocket [NC]".to_string(),
            "RewriteCond %{HTTP:Connection} upgrade [NC]".to_string(),
            format!("RewriteRule {}", d.args.join(" ")),
        ]);
        ctx.push(f);
    }
    timeout(ctx, idx, d, None, &about);
}

/// `{REQUEST_URI}` written without its `%`: the braces are copied as text into the
/// rewritten path, which the backend does not serve.
fn literal_variable(ctx: &mut Ctx, d: &Dir, target: &str) {
    let Some(at) = target.find('{') else {
        return;
    };
    if at > 0 && matches!(target.as_bytes()[at - 1], b'%' | b'$') {
        return;
    }
    let end = target[at..].find('}').map_or(target.len(), |e| at + e + 1);
    let var = &target[at..end];
    let f = LintFinding::new(
        RuleId::ApacheRewriteLiteralVariable,
        &d.file,
        d.line,
        format!("the target {target} has {var} without the % that makes it a variable: Apache sends the text \"{var}\" as the path and the backend answers 404"),
    )
    .severity(Severity::Warning)
    .fix(format!("Write %{var} (a server variable) or $1 (a group of the pattern)."))
    .replace_with([format!("RewriteRule {} {} {}", d.args[0], target.replacen(var, &format!("%{var}"), 1), d.args.get(2).map(String::as_str).unwrap_or("[P]"))]);
    ctx.push(f);
}

/// `RewriteCond %{HTTP:Connection} ^Upgrade$`: Firefox sends
/// `Connection: keep-alive, Upgrade`, which an anchored pattern does not match.
fn exact_connection_condition(ctx: &mut Ctx, d: &Dir, conds: &[&Dir]) {
    for c in conds {
        let (Some(test), Some(pat)) = (c.args.first(), c.args.get(1)) else {
            continue;
        };
        if !test.eq_ignore_ascii_case("%{HTTP:Connection}") || !pat.starts_with('^') {
            continue;
        }
        let f = LintFinding::new(
            RuleId::ApacheRewriteConditionExact,
            &c.file,
            c.line,
            format!("RewriteCond {test} {pat} matches only a Connection header that is exactly \"Upgrade\": Firefox sends \"keep-alive, Upgrade\", so its WebSockets skip this rule"),
        )
        .severity(Severity::Info)
        .quote(&d.file, d.line)
        .fix("Match the token anywhere: RewriteCond %{HTTP:Connection} upgrade [NC].")
        .replace_with(["RewriteCond %{HTTP:Connection} upgrade [NC]"]);
        ctx.push(f);
    }
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
                    RuleId::ApacheTimeoutDefault,
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
                // ProxyTimeout alone: Timeout still has its default, and the larger governs.
                let default_ms = u64::from(vendor_timeout("apache").seconds) * 1000;
                match best {
                    Some((_, ms)) if t.is_none() && default_ms > ms => return,
                    Some((x, ms)) => (Some(x), ms, x.name.clone()),
                    None => return,
                }
            }
        }
    };
    let verdict = ctx.idle(ms);
    if matches!(verdict, Idle::Fine) {
        return;
    }
    let Some(at) = at else {
        return;
    };
    let f = LintFinding::new(
        RuleId::ApacheTimeoutShort,
        &at.file,
        at.line,
        format!(
            "{what} {} closes a WebSocket that is quiet for {}, {} {about}",
            at.args
                .first()
                .map(String::as_str)
                .filter(|_| what != "timeout=")
                .unwrap_or(""),
            human_ms(ms),
            verdict.phrase()
        ),
    )
    .severity(verdict.severity())
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
                RuleId::ApacheWstunnelMissing,
                RuleId::ApacheProxypassNoUpgrade,
                RuleId::ApacheProxypassNoUpgrade,
            ]
        );
        assert_eq!(
            r.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
            [4, 5, 7]
        );
        let fixed = "LoadModule proxy_module modules/mod_proxy.so\nLoadModule proxy_wstunnel_module modules/mod_proxy_wstunnel.so\nTimeout 3600\n<VirtualHost *:80>\n  ProxyPass /ws/ ws://127.0.0.1:9000/ws/\n  ProxyPass /live/ http://127.0.0.1:9000/live/ upgrade=websocket\n  <Location /chat/ws>\n    ProxyPass http://127.0.0.1:9000/chat/ws upgrade=websocket timeout=600\n  </Location>\n</VirtualHost>\n";
        assert!(lint_text("a", fixed, &opts()).findings.is_empty());
    }

    /// An application mounted under a sub-path: its sockets live beneath the path,
    /// served by an Upgrade-guarded rewrite beside a plain `<Location>` ProxyPass.
    /// Checked with `apache2 -t` 2.4 (mod_proxy, proxy_http, proxy_wstunnel, rewrite).
    /// In per-directory context (`.htaccess`, `<Directory>`; a `RewriteBase` line
    /// says so) a RewriteRule pattern sees the path without its leading slash
    /// (mod_rewrite docs, "What is matched?"), so `^viewer/` takes `/viewer/stream`.
    /// Each variant passes `apache2 -t` 2.4 inside a `<Directory>`.
    #[test]
    fn per_directory_rewrites_match_the_path_without_its_slash() {
        let htaccess = "RewriteEngine on\nRewriteBase /\nRewriteRule ^viewer/(.*)$ http://localhost:8501/$1 [P]\n";
        let o = Options {
            ws_paths: vec!["/viewer/stream".into()],
            ..opts()
        };
        let r = lint_text("apache.conf", htaccess, &o);
        assert_eq!(r.rules(), [RuleId::ApacheProxypassNoUpgrade]);
        assert_eq!(r.findings[0].line, 3);
        let ws = "LoadModule proxy_wstunnel_module m.so\nTimeout 3600\nRewriteEngine on\nRewriteBase /\nRewriteCond %{HTTP:Upgrade} websocket [NC]\nRewriteRule ^viewer/(.*)$ ws://localhost:8501/$1 [P,L]\nRewriteRule ^viewer/(.*)$ http://localhost:8501/$1 [P,L]\n";
        let r = lint_text("apache.conf", ws, &o);
        assert_eq!(r.rules(), [], "{:?}", r.findings);
        // The same rule in a <Directory> block, without RewriteBase.
        let dir = "<Directory /var/www>\n  RewriteEngine on\n  RewriteRule ^viewer/(.*)$ http://localhost:8501/$1 [P]\n</Directory>\n";
        assert_eq!(
            lint_text("apache.conf", dir, &o).rules(),
            [RuleId::ApacheProxypassNoUpgrade]
        );
        // In a virtual host the path keeps its slash: ^viewer/ matches nothing.
        let vhost = "<VirtualHost *:80>\n  RewriteEngine on\n  RewriteRule ^viewer/(.*)$ http://localhost:8501/$1 [P]\n</VirtualHost>\n";
        assert_eq!(lint_text("apache.conf", vhost, &o).rules(), []);
    }

    #[test]
    fn a_mounted_app_path_is_judged_by_the_websocket_rule_beneath_it() {
        let conf = "LoadModule proxy_wstunnel_module /usr/lib/apache2/modules/mod_proxy_wstunnel.so\nTimeout 600\n<VirtualHost *:18081>\n  RewriteEngine On\n  RewriteCond %{HTTP:Upgrade} =websocket [NC]\n  RewriteRule ^/notebook/(.*) ws://127.0.0.1:8888/notebook/$1 [P,L]\n  <Location /notebook>\n    ProxyPass http://127.0.0.1:8888/notebook\n  </Location>\n</VirtualHost>\n";
        let o = Options {
            ws_paths: vec!["/notebook".into()],
            ..opts()
        };
        let r = lint_text("a", conf, &o);
        assert!(r.findings.is_empty(), "{:?}", r.rules());
        // Without the rewrite the plain ProxyPass is what the sockets reach.
        let plain = conf.replace(
            "  RewriteRule ^/notebook/(.*) ws://127.0.0.1:8888/notebook/$1 [P,L]\n",
            "",
        );
        let r = lint_text("a", &plain, &o);
        assert_eq!(r.rules(), [RuleId::ApacheProxypassNoUpgrade]);
        // A path named like an endpoint is the endpoint: it is judged itself.
        let ws = conf.replace("/notebook", "/ws");
        let o = Options {
            ws_paths: vec!["/ws".into()],
            ..opts()
        };
        assert_eq!(
            lint_text("a", &ws, &o).rules(),
            [RuleId::ApacheProxypassNoUpgrade]
        );
    }

    #[test]
    fn the_first_matching_proxypass_wins() {
        let conf = "<VirtualHost *:80>\n  ProxyPass / http://b/\n  ProxyPass /api/websocket ws://b/api/websocket\n</VirtualHost>\n";
        let r = lint_text("a", conf, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::ApacheProxypassNoUpgrade, 2),
                (RuleId::ApacheProxypassShadowed, 3)
            ]
        );
        assert_eq!(r.findings[1].id().as_str(), "proxy-location-shadowed");
        // Written the other way round, or with an Upgrade-guarded rewrite, it works.
        let fixed = "<VirtualHost *:80>\n  ProxyPass /api/websocket ws://b/api/websocket\n  ProxyPass / http://b/\n  Timeout 600\n</VirtualHost>\n";
        assert!(lint_text("a", fixed, &opts()).findings.is_empty());
        let rewrite = "<VirtualHost *:80>\n  Timeout 600\n  ProxyPass / http://b/\n  RewriteEngine on\n  RewriteCond %{HTTP:Upgrade} websocket [NC]\n  RewriteCond %{HTTP:Connection} upgrade [NC]\n  RewriteRule ^/?(.*) \"ws://b/$1\" [P,L]\n</VirtualHost>\n";
        let o = Options {
            ws_paths: vec!["/socket.io/".into()],
            ..opts()
        };
        assert!(lint_text("a", rewrite, &o).findings.is_empty());
        // A variable without its %, and a Redirect Apache refuses.
        let typo = rewrite.replace("\"ws://b/$1\"", "ws://b{REQUEST_URI}")
            + "<VirtualHost *:80>\n  Redirect / https://a.example /\n</VirtualHost>\n";
        let r = lint_text("a", &typo, &o);
        assert_eq!(
            r.rules(),
            [
                RuleId::ApacheRewriteLiteralVariable,
                RuleId::ApacheRedirectArguments
            ]
        );
    }

    #[test]
    fn rewrite_flags_with_a_space_are_refused() {
        let conf = "Timeout 600\nRewriteEngine On\nRewriteCond %{HTTP:Upgrade} ^WebSocket$ [NC, OR]\nRewriteCond %{HTTP:Connection} Upgrade$ [NC]\nRewriteRule .* ws://127.0.0.1:8888/ws [P,L]\n";
        let r = lint_text("a", conf, &opts());
        assert_eq!(r.rules(), [RuleId::ApacheRewriteFlagDelimiters]);
        assert_eq!(r.findings[0].line, 3);
        assert_eq!(r.findings[0].id().as_str(), "proxy-config-rejected");
    }

    #[test]
    fn rewrite_rules() {
        let conf = "Timeout 600\nRewriteEngine On\nRewriteRule ^/(.*) ws://127.0.0.1:9000/$1\nRewriteCond %{HTTP:Upgrade} websocket [NC]\nRewriteRule ^/app/(.*) ws://127.0.0.1:9000/$1 [P,L]\nRewriteRule ^/socket.io/(.*) ws://127.0.0.1:9000/socket.io/$1 [P]\n";
        let r = lint_text("a", conf, &opts());
        assert_eq!(
            r.rules(),
            [
                RuleId::ApacheRewriteWithoutP,
                RuleId::ApacheRewriteNoUpgradeCondition
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
        assert_eq!(r.rules(), [RuleId::ApacheProxypassNoUpgrade]);
        assert!(r.findings[0].file.ends_with("sites/a.conf"));
        assert_eq!(r.findings[0].line, 2);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].line, Some(4));
    }

    /// mod_rewrite runs a rule only where RewriteEngine is On (its host's, else the
    /// server config's, which a virtual host inherits). Each variant passes
    /// `apache2 -t` (2.4.71); run live, "off" sent the Upgrade on to the ProxyPass and
    /// "server-wide On" to the rule's target.
    #[test]
    fn a_rewrite_rule_works_only_where_the_engine_is_on() {
        let on = "<VirtualHost *:8090>\n  RewriteEngine On\n  RewriteCond %{HTTP:Upgrade} websocket [NC]\n  RewriteCond %{HTTP:Connection} upgrade [NC]\n  RewriteRule ^/?(.*) \"ws://127.0.0.1:9000/$1\" [P,L]\n  ProxyPass / http://127.0.0.1:9000/\n</VirtualHost>\n";
        let quiet = |conf: &str| {
            lint_text("a.conf", conf, &opts())
                .findings
                .iter()
                .all(|f| f.finding.severity < Severity::Warning)
        };
        assert!(quiet(on));
        let off = on.replace("RewriteEngine On", "RewriteEngine Off");
        let r = lint_text("a.conf", &off, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::ApacheRewriteEngineOff, 5),
                (RuleId::ApacheProxypassNoUpgrade, 6)
            ]
        );
        assert_eq!(r.findings[0].id().as_str(), "proxy-upgrade-not-forwarded");
        // On in another host only: this one's rule is inert.
        let other = format!(
            "<VirtualHost *:8091>\n  RewriteEngine On\n</VirtualHost>\n{}",
            on.replace("  RewriteEngine On\n", "")
        );
        assert_eq!(
            lint_text("a.conf", &other, &opts()).rules()[0],
            RuleId::ApacheRewriteEngineOff
        );
        // Server-wide On is inherited by the host.
        let inherited = format!(
            "RewriteEngine On\n{}",
            on.replace("  RewriteEngine On\n", "")
        );
        assert!(quiet(&inherited));
        // A snippet with no RewriteEngine line at all: set elsewhere, not judged.
        assert!(quiet(&on.replace("  RewriteEngine On\n", "")));
    }
}
