//! The nginx rules. They walk http → server → location with the chain of enclosing
//! blocks at hand, because most nginx WebSocket mistakes are about inheritance:
//! `proxy_set_header`, `proxy_http_version` and `proxy_read_timeout` apply from the
//! nearest enclosing block that sets them, and `proxy_set_header` is all-or-nothing.

use super::parse::Directive;
use super::routes;
use crate::NginxVersion;
use crate::finding::{LintFinding, RuleId};
use crate::formats::{Ctx, Idle, duration_ms, human_ms};
use crate::wspath;
use regex::{Regex, RegexBuilder};
use std::cell::RefCell;
use std::collections::HashMap;
use wsdoctor_core::{CauseId, Severity};

/// Why an HTTP/1.0 hop is also an Upgrade not forwarded (the finding's `also`): RFC
/// 9110 §7.8, "A server MUST ignore an Upgrade header field that is received in an
/// HTTP/1.0 request", so the backend answers the handshake as a plain GET.
const UPGRADE_ON_1_0: &str = "; the backend must ignore an Upgrade received in an HTTP/1.0 request (RFC 9110 §7.8), so the Upgrade is in effect not forwarded either";
use wsdoctor_core::tables::vendor_timeout;

/// Facts gathered from the whole configuration before the location rules run.
struct Model<'a> {
    /// `map $src $dst { … }` blocks by `dst` (without `$`).
    maps: HashMap<String, &'a Directive>,
    upstreams: HashMap<String, Upstream<'a>>,
    /// Compiled regex locations by (case-insensitive, pattern): large configurations
    /// repeat the same few patterns in every server block.
    regexes: RefCell<HashMap<(bool, String), Option<Regex>>>,
}

impl Model<'_> {
    /// The regex of a `~`/`~*` location; `None` for what Rust's regex cannot compile.
    fn regex(&self, modifier: &str, pattern: &str) -> Option<Regex> {
        let key = (modifier == "~*", pattern.to_string());
        self.regexes
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                RegexBuilder::new(pattern)
                    .case_insensitive(modifier == "~*")
                    .size_limit(1 << 20)
                    .build()
                    .ok()
            })
            .clone()
    }
}

struct Upstream<'a> {
    block: &'a Directive,
    keepalive: bool,
    servers: usize,
    affinity: bool,
}

pub(super) fn run(ctx: &mut Ctx, tree: &[Directive], version: Option<NginxVersion>) {
    let mut model = Model {
        maps: HashMap::new(),
        upstreams: HashMap::new(),
        regexes: RefCell::new(HashMap::new()),
    };
    // A location body pasted without its `location` line (what threads and docs
    // quote, and what an `include` inside a location holds) is read as one
    // `location /` around those lines: `proxy_pass` is only valid in a location
    // (nginx docs, ngx_http_proxy_module: "Context: location, if in location,
    // limit_except"), so top-level proxy lines can only come from one.
    let wrapped = loose_location_body(tree);
    let tree = wrapped.as_deref().unwrap_or(tree);
    // `loose_location_body` puts the made-up location last.
    let pasted_body = wrapped.as_ref().and_then(|t| t.last());
    collect(tree, &mut model);
    let mut chain: Vec<Level> = vec![settings(tree)];
    let mut rules = Rules {
        ctx,
        model: &model,
        version,
        tree,
        pasted_body,
        // No `http` or `server` block: the `http` level where nginx wants a `map`
        // (ngx_http_map_module: "Context: http") is not in the input.
        no_http_level: !has_block(tree, &["http", "server"]),
    };
    // Locations pasted without their server block form one scope of their own.
    let scope = rules.scope(tree, &chain);
    rules.visit(tree, &mut chain, &scope);
}

fn collect<'a>(dirs: &'a [Directive], model: &mut Model<'a>) {
    for d in dirs {
        match d.name.as_str() {
            "map" => {
                if let Some(dst) = d.arg(1) {
                    model
                        .maps
                        .insert(dst.trim_start_matches('$').to_string(), d);
                }
            }
            "upstream" => {
                let kids = d.children();
                let has = |n: &str| kids.iter().any(|k| k.name == n);
                let up = Upstream {
                    block: d,
                    keepalive: has("keepalive"),
                    servers: kids.iter().filter(|k| k.name == "server").count(),
                    affinity: has("ip_hash") || has("hash") || has("sticky"),
                };
                if let Some(name) = d.arg(0) {
                    model.upstreams.insert(name.to_string(), up);
                }
            }
            // TCP/UDP proxying has no HTTP Upgrade.
            "stream" => continue,
            _ => {}
        }
        collect(d.children(), model);
    }
}

struct Rules<'c, 'r, 'm> {
    ctx: &'c mut Ctx<'r>,
    model: &'m Model<'m>,
    version: Option<NginxVersion>,
    /// The whole configuration, includes spliced in.
    tree: &'m [Directive],
    /// The `location` made up around a location body pasted without one.
    pasted_body: Option<&'m Directive>,
    /// Whether the input lacks the `http` level (a bare location or location body).
    no_http_level: bool,
}

/// The locations a request to one server can reach.
struct Scope<'a> {
    locs: &'a [Directive],
    /// Whether any reachable proxied location is marked as carrying WebSockets.
    marked: bool,
    /// Whether a `--ws-path` reaches a proxied location of this scope: the user said
    /// where the WebSockets are, so a location is no longer judged only because it
    /// sets an Upgrade header (ASP.NET's documented `location /` sets `Upgrade` with
    /// `Connection keep-alive` and serves plain HTTP there).
    user_reached: bool,
}

/// What a location looks like to the rules.
struct Loc<'a> {
    d: &'a Directive,
    modifier: &'a str,
    pattern: &'a str,
    proxy_pass: &'a Directive,
    /// Why it is treated as a WebSocket location.
    why: String,
}

impl<'a> Rules<'_, '_, 'a> {
    fn visit(&mut self, dirs: &'a [Directive], chain: &mut Vec<Level<'a>>, scope: &Scope<'a>) {
        for d in dirs {
            match d.name.as_str() {
                "http" | "server" | "location" => {
                    chain.push(settings(d.children()));
                    let inner;
                    let scope = if d.name == "server" {
                        inner = self.scope(d.children(), chain);
                        &inner
                    } else {
                        scope
                    };
                    if d.name == "location" {
                        self.location(d, chain, scope);
                    }
                    self.visit(d.children(), chain, scope);
                    chain.pop();
                }
                "proxy_pass" if d.arg(0).is_some_and(is_ws_scheme) => self.ws_scheme(d),
                "if" => self.if_block(d),
                _ => {}
            }
        }
    }

    /// The locations of one server (or of a pasted snippet without one), and whether
    /// any of them is marked as a WebSocket route.
    fn scope(&self, locs: &'a [Directive], chain: &[Level<'a>]) -> Scope<'a> {
        let mut all = Vec::new();
        routes::all_locations(locs, &mut all);
        let compile = |p: &str, ci: bool| self.model.regex(if ci { "~*" } else { "~" }, p);
        let user_reached = self
            .ctx
            .opts
            .ws_paths
            .iter()
            .any(|p| routes::resolve(locs, p, &compile).is_some_and(has_proxy_pass));
        let inherited_upgrade =
            effective_headers(chain).is_some_and(|(_, h)| h.iter().any(|x| sets_upgrade(x)));
        let marked = user_reached
            || all.iter().any(|d| {
                let reachable = !matches!(routes::Match::of(d), Some(routes::Match::Named(_)))
                    && routes::literal_regex(d).is_none();
                let own_upgrade = d
                    .children()
                    .iter()
                    .any(|k| k.name == "proxy_set_header" && sets_upgrade(k));
                reachable
                    && has_proxy_pass(d)
                    && (own_upgrade
                        || inherited_upgrade
                        || d.args
                            .last()
                            .is_some_and(|p| wspath::path_reason(p, &[]).is_some()))
            });
        Scope {
            locs,
            marked,
            user_reached,
        }
    }

    fn ws_scheme(&mut self, d: &Directive) {
        let url = d.arg(0).unwrap_or("");
        let http = url
            .to_ascii_lowercase()
            .replacen("wss://", "https://", 1)
            .replacen("ws://", "http://", 1);
        let f = LintFinding::new(
            RuleId::NginxProxyPassWsScheme,
            &d.file,
            d.line,
            format!("proxy_pass {url}: nginx knows no ws:// or wss:// scheme (nginx -t: invalid URL prefix) and refuses to start; the WebSocket upgrade goes over http:// with the Upgrade headers"),
        )
        .severity(Severity::Error)
        .fix("Proxy to http:// (or https://) and forward the Upgrade and Connection headers.")
        .replace_with([format!("proxy_pass {http};")]);
        self.ctx.push(f);
    }

    /// `proxy_set_header` and `proxy_http_version` are not allowed inside `if`.
    fn if_block(&mut self, d: &Directive) {
        for k in d
            .children()
            .iter()
            .filter(|k| matches!(k.name.as_str(), "proxy_set_header" | "proxy_http_version"))
        {
            let f = LintFinding::new(
                RuleId::NginxDirectiveInIf,
                &k.file,
                k.line,
                format!("{} is not allowed inside if (nginx -t: \"directive is not allowed here\"), so nginx refuses to start", k.name),
            )
            .severity(Severity::Error)
            .quote(&d.file, d.line)
            .fix("Move the directive out of the if block into the location; a map on $http_upgrade gives per-request values.");
            self.ctx.push(f);
        }
    }

    fn location(&mut self, d: &'a Directive, chain: &[Level<'a>], scope: &Scope<'a>) {
        if let Some(tell) = routes::literal_regex(d) {
            self.literal_regex(d, tell, scope);
        }
        let pasted = self.pasted_body.is_some_and(|p| std::ptr::eq(p, d));
        let Some(proxy_pass) = d.children().iter().find(|k| k.name == "proxy_pass") else {
            if pasted {
                self.pasted_headers(d, chain);
            } else {
                self.unproxied(d, scope);
            }
            return;
        };
        let (modifier, pattern) = match d.args.as_slice() {
            [m, p] => (m.as_str(), p.as_str()),
            [p] => ("", p.as_str()),
            _ => return,
        };
        let headers = effective_headers(chain);
        let own_upgrade = headers
            .as_ref()
            .is_some_and(|(_, h)| h.iter().any(|x| sets_upgrade(x)));
        let named = pattern.starts_with('@');
        if named && own_upgrade && !routes::named_location_used(pattern, self.tree) {
            self.unused_named(d, pattern);
        }
        // A --ws-path belongs to the location nginx would pick for it.
        let compile = |p: &str, ci: bool| self.model.regex(if ci { "~*" } else { "~" }, p);
        let reached_by =
            self.ctx.opts.ws_paths.iter().find(|p| {
                routes::resolve(scope.locs, p, &compile).is_some_and(|r| std::ptr::eq(r, d))
            });
        let why = if let Some(p) = reached_by {
            format!("a request to --ws-path {p} reaches it")
        } else if !own_upgrade && regex_loses_ws_paths(self.model, modifier, pattern, scope.locs) {
            return;
        } else if let Some(w) = wspath::path_reason(pattern, &[]) {
            w
        } else if own_upgrade && !scope.user_reached {
            "it sets an Upgrade header".to_string()
        } else if !scope.marked && !named && !routes::serves_something_else(d) {
            format!(
                "no location of this server is marked as WebSocket (no WebSocket path word, no Upgrade header{}), so every proxied route is judged; this one proxies to {}",
                if self.ctx.opts.ws_paths.is_empty() {
                    ", no --ws-path"
                } else {
                    ", no --ws-path reaching one"
                },
                proxy_pass.arg(0).unwrap_or("")
            )
        } else {
            return;
        };
        let loc = Loc {
            d,
            modifier,
            pattern,
            proxy_pass,
            why,
        };
        self.http_version(&loc, chain);
        self.upgrade_headers(&loc, chain, headers);
        self.read_timeout(&loc, chain);
        self.sni(&loc, chain);
        self.shadowed(&loc, scope.locs);
        self.sticky(&loc);
        self.hidden_upgrade(&loc, chain);
        self.forwarded_path(&loc);
    }

    /// A WebSocket route (its own Upgrade header, or a `--ws-path` reaching it) whose
    /// location has no `proxy_pass`. With no other content handler nginx's static
    /// module answers it from `root`/`alias` (a `#proxy_pass` left commented out): a
    /// file named like the socket path does not exist, so 404. With `try_files $uri
    /// $uri/ … @ws`, nginx tries the files first and goes to the named fallback only
    /// when none exists (ngx_http_core_module, try_files): a `--ws-path` that is the
    /// location's own prefix is the `alias`/`root` folder it serves, so `$uri/` finds
    /// it: 301 to the slash, then 200 from its index, instead of 101 (run live).
    fn unproxied(&mut self, d: &'a Directive, scope: &Scope<'a>) {
        // Another handler, or content lint cannot see: not judged.
        const HANDLERS: &[&str] = &[
            "proxy_pass",
            "fastcgi_pass",
            "uwsgi_pass",
            "scgi_pass",
            "grpc_pass",
            "memcached_pass",
            "return",
            "rewrite",
            "error_page",
            "include",
            "location",
            "if",
            "internal",
            "content_by_lua",
            "content_by_lua_block",
            "content_by_lua_file",
            "js_content",
            "perl",
            "stub_status",
            "empty_gif",
            "auth_request",
        ];
        let kids = d.children();
        if kids.iter().any(|k| HANDLERS.contains(&k.name.as_str())) {
            return;
        }
        let Some(pattern) = d.args.last().map(String::as_str) else {
            return;
        };
        if pattern.starts_with('@') {
            return;
        }
        let compile = |p: &str, ci: bool| self.model.regex(if ci { "~*" } else { "~" }, p);
        let reached_by =
            self.ctx.opts.ws_paths.iter().find(|p| {
                routes::resolve(scope.locs, p, &compile).is_some_and(|r| std::ptr::eq(r, d))
            });
        let own_upgrade = kids
            .iter()
            .find(|k| k.name == "proxy_set_header" && sets_upgrade(k));
        let why = match (reached_by, own_upgrade) {
            (Some(p), _) => format!("a request to --ws-path {p} reaches it"),
            (None, Some(_)) => "it sets an Upgrade header".to_string(),
            (None, None) => return,
        };
        if let Some(t) = kids.iter().find(|k| k.name == "try_files") {
            let Some(p) = reached_by else {
                return;
            };
            let fallback = t.args.last().map(String::as_str).unwrap_or("");
            let dir_check = t.args.iter().any(|a| a == "$uri/");
            let serves = kids.iter().find(|k| k.name == "alias" || k.name == "root");
            let own_prefix = matches!(routes::Match::of(d), Some(routes::Match::Prefix { path, .. }) if path.trim_end_matches('/') == p.trim_end_matches('/'));
            if let Some(serves) = serves.filter(|_| dir_check && own_prefix) {
                let f = LintFinding::new(
                    RuleId::NginxTryFilesAnswersWs,
                    &t.file,
                    t.line,
                    format!(
                        "try_files checks files before {fallback}: a request to --ws-path {p} is the folder this location serves ({} {}), so $uri/ finds it and nginx answers without upgrading (a 301 to the path with a slash, then 200 from its index), and the Upgrade never reaches {fallback} (location {pattern} is treated as a WebSocket location because {why})",
                        serves.name,
                        serves.arg(0).unwrap_or("")
                    ),
                )
                .severity(Severity::Warning)
                .quote(&d.file, d.line)
                .quote(&t.file, t.line)
                .fix("Give the WebSocket endpoint its own location that proxies it (location /ws/ { proxy_pass …; }), or send Upgrade requests to the fallback before try_files.");
                self.ctx.push(f);
            }
            return;
        }
        let at = own_upgrade.unwrap_or(d);
        let f = LintFinding::new(
            RuleId::NginxWsLocationNotProxied,
            &d.file,
            d.line,
            format!("location {pattern} has no proxy_pass (nor any other handler), so nginx's static module answers it from the document root: no file is named like the socket path, so the handshake gets 404 (location {pattern} is treated as a WebSocket location because {why})"),
        )
        .severity(Severity::Warning)
        .quote(&d.file, d.line)
        .quote(&at.file, at.line)
        .fix("Add (or uncomment) the proxy_pass to the WebSocket backend in this location.");
        self.ctx.push(f);
    }

    /// The path the backend receives for a request to this prefix location: a URI
    /// part on `proxy_pass` replaces the matched prefix, none forwards it unchanged.
    /// Either can be what the backend wants, so it is a note with the example.
    fn forwarded_path(&mut self, loc: &Loc) {
        if !loc.modifier.is_empty() && loc.modifier != "^~"
            || loc.pattern == "/"
            || loc.pattern.starts_with('@')
        {
            return;
        }
        let Some(url) = loc.proxy_pass.arg(0) else {
            return;
        };
        let rewritten = loc.d.children().iter().any(|k| k.name == "rewrite");
        if url.contains('$') || rewritten {
            return;
        }
        let rest = url.split_once("://").map_or("", |(_, r)| r);
        let uri = rest.find('/').map(|i| &rest[i..]);
        let probe = self
            .ctx
            .opts
            .ws_paths
            .iter()
            .find(|p| p.starts_with(loc.pattern))
            .cloned()
            .unwrap_or_else(|| format!("{}x", loc.pattern.trim_end_matches('/').to_owned() + "/"));
        let detail = match uri {
            Some(u) => {
                let sent = format!("{u}{}", &probe[loc.pattern.len().min(probe.len())..]);
                if sent == probe {
                    return;
                }
                format!(
                    "proxy_pass has a URI part ({u}), which replaces the matched prefix {}: a request to {probe} reaches the backend as {sent}",
                    loc.pattern
                )
            }
            // A WebSocket word in the prefix is the endpoint the backend serves.
            None if wspath::path_reason(loc.pattern, &[]).is_some() => return,
            None => format!(
                "proxy_pass has no URI part, so the prefix {} is kept: a request to {probe} reaches the backend as {probe}; an application served at its root answers 404 (end proxy_pass with / to strip the prefix)",
                loc.pattern
            ),
        };
        let f = self
            .finding(RuleId::NginxProxyPassPath, loc.proxy_pass, loc, detail)
            .severity(Severity::Info)
            .fix("Make the path the backend receives the one it serves: proxy_pass without a URI keeps the prefix, with one replaces it.");
        self.ctx.push(f);
    }

    /// A location whose pattern reads as a regex but has no `~`.
    fn literal_regex(&mut self, d: &Directive, tell: &str, scope: &Scope<'a>) {
        let pattern = d.arg(0).unwrap_or("");
        let ws = wspath::path_reason(pattern, &[]).is_some()
            || d.children()
                .iter()
                .any(|k| k.name == "proxy_set_header" && sets_upgrade(k));
        if !ws {
            return;
        }
        let compile = |p: &str, ci: bool| self.model.regex(if ci { "~*" } else { "~" }, p);
        let instead = self
            .ctx
            .opts
            .ws_paths
            .iter()
            .find_map(|p| routes::resolve(scope.locs, p, &compile))
            .filter(|r| !std::ptr::eq(*r, d))
            .map(|r| {
                format!(
                    "; a request to the WebSocket path reaches location {} (line {}) instead",
                    r.args.join(" "),
                    r.line
                )
            })
            .unwrap_or_default();
        let f = LintFinding::new(
            RuleId::NginxRegexWithoutModifier,
            &d.file,
            d.line,
            format!("location {pattern} contains regex syntax ({tell}) but has no ~, so nginx compares it as literal text and no real request reaches it{instead}"),
        )
        .severity(Severity::Warning)
        .fix("Write the location as a regex: location ~ ^/… { … } (or ~* for case-insensitive).")
        .replace_with([format!("location ~ {pattern} {{")]);
        self.ctx.push(f);
    }

    /// A named location with the Upgrade headers that nothing routes to.
    fn unused_named(&mut self, d: &Directive, name: &str) {
        let f = LintFinding::new(
            RuleId::NginxNamedLocationUnused,
            &d.file,
            d.line,
            format!("location {name} sets the Upgrade headers, but no try_files or error_page in the configuration read sends requests to it (only a backend's X-Accel-Redirect could), so WebSocket requests never reach it"),
        )
        .severity(Severity::Warning)
        .fix("Give the WebSocket endpoint a path location (location /ws/ { … }) or route to the named location with try_files … @name.");
        self.ctx.push(f);
    }

    /// `proxy_hide_header Upgrade`/`Connection` strips them from the backend's 101.
    fn hidden_upgrade(&mut self, loc: &Loc, chain: &[Level<'a>]) {
        let hidden = chain.iter().rev().find_map(|level| {
            level.iter().find(|d| {
                d.name == "proxy_hide_header"
                    && d.arg(0).is_some_and(|h| {
                        h.eq_ignore_ascii_case("upgrade") || h.eq_ignore_ascii_case("connection")
                    })
            })
        });
        let Some(h) = hidden else {
            return;
        };
        let name = h.arg(0).unwrap_or("");
        let f = self
            .finding(
                RuleId::NginxUpgradeHeaderHidden,
                h,
                loc,
                format!("proxy_hide_header {name} removes {name} from the backend's 101 Switching Protocols, and a client refuses a 101 without it"),
            )
            .severity(Severity::Error)
            .fix(format!("Delete proxy_hide_header {name};"));
        self.ctx.push(f);
    }

    /// Header lines pasted without a location or a `proxy_pass` (a quoted pair of
    /// `proxy_set_header` lines): only their values can be judged.
    fn pasted_headers(&mut self, d: &'a Directive, chain: &[Level<'a>]) {
        let Some((_, list)) = effective_headers(chain) else {
            return;
        };
        let Some(anchor) = list.iter().copied().find(|h| sets_upgrade(h)) else {
            return;
        };
        let loc = Loc {
            d,
            modifier: "",
            pattern: "/",
            proxy_pass: anchor,
            why: "it sets an Upgrade header".to_string(),
        };
        if let Some(c) = list.iter().copied().find(|h| header_is(h, "connection")) {
            self.connection_value(&loc, c);
        }
        if let Some(u) = list.iter().copied().find(|h| header_is(h, "upgrade")) {
            self.upgrade_value(&loc, u);
        }
    }

    fn finding(&self, rule: RuleId, at: &Directive, loc: &Loc, detail: String) -> LintFinding {
        let what = if self.pasted_body.is_some_and(|p| std::ptr::eq(p, loc.d)) {
            "these lines, a location body without its location block, are read as one location / and treated as a WebSocket location".to_string()
        } else {
            format!(
                "location {} is treated as a WebSocket location",
                loc.pattern
            )
        };
        LintFinding::new(
            rule,
            &at.file,
            at.line,
            format!("{detail} ({what} because {})", loc.why),
        )
        .quote(&loc.d.file, loc.d.line)
        .quote(&at.file, at.line)
    }

    fn http_version(&mut self, loc: &Loc, chain: &[Level<'a>]) {
        match effective(chain, "proxy_http_version") {
            Some(v) if v.arg(0) == Some("1.1") => {}
            Some(v) => {
                let f = self
                    .finding(
                        RuleId::NginxProxyHttpVersion,
                        v,
                        loc,
                        format!(
                            "proxy_http_version {} makes nginx talk HTTP/1.0 to the backend, which cannot upgrade{UPGRADE_ON_1_0}",
                            v.arg(0).unwrap_or("")
                        ),
                    )
                    .fix("Set proxy_http_version 1.1; for the WebSocket location.")
                    .replace_with(["proxy_http_version 1.1;"])
                    .also(CauseId::ProxyUpgradeNotForwarded);
                self.ctx.push(f);
            }
            None => {
                let assumed = match self.version {
                    Some(v) if v >= NginxVersion::HTTP11_DEFAULT => return,
                    Some(v) => format!(
                        "nginx {v} proxies with HTTP/1.0 unless told otherwise (1.1 became the default in 1.29.7){UPGRADE_ON_1_0}"
                    ),
                    None => {
                        self.ctx.report.assume(
                            "nginx version unknown: assumed older than 1.29.7, which proxies with HTTP/1.0 by default (pass --nginx-version or pipe nginx -T 2>&1 with nginx -V)".to_string(),
                        );
                        format!(
                            "no proxy_http_version is set and the nginx version is unknown: assumed older than 1.29.7, which proxies with HTTP/1.0 by default{UPGRADE_ON_1_0}"
                        )
                    }
                };
                let f = self
                    .finding(RuleId::NginxProxyHttpVersion, loc.proxy_pass, loc, assumed)
                    .fix("Add proxy_http_version 1.1; to the WebSocket location (harmless on 1.29.7 and later).")
                    .replace_with(["proxy_http_version 1.1;"])
                    .also(CauseId::ProxyUpgradeNotForwarded);
                let f = match unread_include(chain) {
                    Some(inc) => with_unread_include(f, inc),
                    None => f,
                };
                self.ctx.push(f);
            }
        }
    }

    fn upgrade_headers(
        &mut self,
        loc: &Loc,
        chain: &[Level<'a>],
        headers: Option<(usize, Vec<&'a Directive>)>,
    ) {
        let (level, list) = headers.unwrap_or((usize::MAX, Vec::new()));
        let upgrade = list.iter().find(|h| header_is(h, "upgrade"));
        let connection = list.iter().find(|h| header_is(h, "connection")).copied();
        if upgrade.is_none() || connection.is_none() {
            self.missing_headers(
                loc,
                chain,
                level,
                &list,
                upgrade.is_none(),
                connection.is_none(),
            );
        }
        if let Some(c) = connection {
            self.connection_value(loc, c);
        }
        if let Some(u) = upgrade {
            self.upgrade_value(loc, u);
        }
    }

    /// `Upgrade` must carry the client's value (`websocket`): `$connection_upgrade` or
    /// `"upgrade"` sends `Upgrade: upgrade`, which backends reject.
    fn upgrade_value(&mut self, loc: &Loc, u: &Directive) {
        let value = u.arg(1).unwrap_or("");
        let lower = value.to_ascii_lowercase();
        let connection_map = lower.strip_prefix('$').is_some_and(|v| {
            self.model.maps.get(v).is_some_and(|m| {
                m.children().iter().any(|e| {
                    e.name == "default"
                        && e.arg(0).is_some_and(|x| x.eq_ignore_ascii_case("upgrade"))
                })
            }) || v == "connection_upgrade"
        });
        let wrong = connection_map
            || matches!(
                lower.as_str(),
                "upgrade" | "$http_connection" | "$connection"
            );
        if !wrong {
            return;
        }
        let f = self
            .finding(
                RuleId::NginxUpgradeWrongValue,
                u,
                loc,
                format!("Upgrade is set to {value}, which sends \"Upgrade: upgrade\" (or the Connection header's value) instead of the client's \"websocket\": the backend refuses the handshake"),
            )
            .fix("Forward the client's Upgrade header as it is.")
            .replace_with(["proxy_set_header Upgrade $http_upgrade;"]);
        self.ctx.push(f);
    }

    fn missing_headers(
        &mut self,
        loc: &Loc,
        chain: &[Level<'a>],
        level: usize,
        list: &[&'a Directive],
        no_upgrade: bool,
        no_connection: bool,
    ) {
        let mut wanted = Vec::new();
        if no_upgrade {
            wanted.push("proxy_set_header Upgrade $http_upgrade;".to_string());
        }
        if no_connection {
            wanted.push(format!(
                "proxy_set_header Connection {};",
                self.connection_var()
            ));
        }
        // Headers set further out that the location's own proxy_set_header hides.
        let outer: Vec<&Directive> = if level < chain.len() {
            chain[..level]
                .iter()
                .flat_map(|l| l.iter().copied())
                .filter(|d| {
                    d.name == "proxy_set_header"
                        && (no_upgrade && header_is(d, "upgrade")
                            || no_connection && header_is(d, "connection"))
                })
                .collect()
        } else {
            Vec::new()
        };
        let missing = match (no_upgrade, no_connection) {
            (true, true) => "Upgrade and Connection are",
            (true, false) => "Upgrade is",
            _ => "Connection is",
        };
        let f = if let (Some(first_own), false) = (list.first(), outer.is_empty()) {
            let mut f = self
                .finding(
                    RuleId::NginxHeadersNotInherited,
                    first_own,
                    loc,
                    format!(
                        "{missing} set further out but this block has proxy_set_header lines of its own, so nginx inherits none of the outer ones"
                    ),
                )
                .fix("Repeat the Upgrade and Connection lines in the block that has its own proxy_set_header lines.");
            for o in &outer {
                f = f.quote(&o.file, o.line);
            }
            f
        } else {
            let rule = if no_upgrade {
                RuleId::NginxMissingUpgradeHeader
            } else {
                RuleId::NginxMissingConnectionHeader
            };
            self.finding(
                rule,
                loc.proxy_pass,
                loc,
                format!("{missing} not forwarded: they are hop-by-hop headers that nginx drops unless proxy_set_header passes them on"),
            )
            .fix("Add the lines below to the WebSocket location.")
        };
        let mut lines = wanted;
        lines.extend(self.map_lines_if_missing(no_connection));
        let f = match unread_include(chain) {
            Some(inc) => with_unread_include(f, inc),
            None => f,
        };
        self.ctx.push(f.replace_with(lines));
    }

    fn connection_value(&mut self, loc: &Loc, c: &'a Directive) {
        let value = c.arg(1).unwrap_or("");
        let lower = value.to_ascii_lowercase();
        if lower == "$http_upgrade" {
            let f = self
                .finding(
                    RuleId::NginxConnectionHttpUpgrade,
                    c,
                    loc,
                    "Connection is set to $http_upgrade, which sends \"Connection: websocket\"; backends want \"upgrade\" and answer 400 or 426".to_string(),
                )
                .fix("Send Connection: upgrade, through the usual map.");
            let mut lines = vec![format!(
                "proxy_set_header Connection {};",
                self.connection_var()
            )];
            lines.extend(self.map_lines_if_missing(true));
            self.ctx.push(f.replace_with(lines));
            return;
        }
        if let Some(var) = lower.strip_prefix('$') {
            if var.starts_with("http_") || is_builtin(var) {
                return;
            }
            match self.model.maps.get(var) {
                None if self.no_http_level => {
                    let f = self
                        .finding(
                            RuleId::NginxMapMissing,
                            c,
                            loc,
                            format!("${var} is not defined by any map in the input, which has no http or server block: the map belongs in the http block that includes this snippet, and nginx -t refuses the variable if it is not there (pass that file too, or pipe nginx -T)"),
                        )
                        .severity(Severity::Info)
                        .replace_with(map_lines(var, self.keepalive_upstream(loc).is_some()));
                    self.ctx.push(f);
                }
                None => {
                    let f = self
                        .finding(
                            RuleId::NginxMapMissing,
                            c,
                            loc,
                            format!("${var} is not defined by any map in the configuration read; nginx -t refuses an unknown variable"),
                        )
                        .replace_with(map_lines(var, self.keepalive_upstream(loc).is_some()));
                    self.ctx.push(f);
                }
                Some(map) => {
                    self.map_value(loc, c, map);
                    self.keepalive_with_map(loc, c, map);
                }
            }
            return;
        }
        if !lower.contains("upgrade") {
            let f = self
                .finding(
                    RuleId::NginxConnectionWrongValue,
                    c,
                    loc,
                    format!("Connection is set to \"{value}\", so the backend never sees Connection: upgrade"),
                )
                .fix("Send Connection: upgrade for WebSocket requests.");
            let mut lines = vec![format!(
                "proxy_set_header Connection {};",
                self.connection_var()
            )];
            lines.extend(self.map_lines_if_missing(true));
            self.ctx.push(f.replace_with(lines));
            return;
        }
        // An exact-match location serves one URI, the WebSocket endpoint: no ordinary
        // request passes through it to lose its upstream connection.
        if loc.modifier == "=" {
            return;
        }
        if let Some(up) = self.keepalive_upstream(loc) {
            let f = self
                .finding(
                    RuleId::NginxConnectionUpgradeKeepalive,
                    c,
                    loc,
                    format!(
                        "Connection is hard-coded to \"{value}\" while upstream {} keeps connections alive: ordinary requests through this location close their upstream connection",
                        up.block.arg(0).unwrap_or("")
                    ),
                )
                .quote(&up.block.file, up.block.line);
            let mut lines = vec!["proxy_set_header Connection $connection_upgrade;".to_string()];
            if !self.model.maps.contains_key("connection_upgrade") {
                lines.extend(map_lines("connection_upgrade", true));
            }
            self.ctx.push(f.replace_with(lines));
        }
    }

    /// What a map on `$http_upgrade` gives an Upgrade request (`websocket`): strings
    /// match ignoring case, then regexes in order, then `default` (empty without one).
    fn map_value(&mut self, loc: &Loc, c: &Directive, map: &Directive) {
        if map.arg(0) != Some("$http_upgrade") {
            return;
        }
        let entries = map.children();
        let exact = entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case("websocket"));
        let regex = || {
            entries.iter().find(|e| {
                let (ci, pat) = match e.name.strip_prefix("~*") {
                    Some(p) => (true, p),
                    None => match e.name.strip_prefix('~') {
                        Some(p) => (false, p),
                        None => return false,
                    },
                };
                self.model
                    .regex(if ci { "~*" } else { "~" }, pat)
                    .is_some_and(|re| re.is_match("websocket"))
            })
        };
        let default = || entries.iter().find(|e| e.name == "default");
        let hit = exact.or_else(regex).or_else(default);
        let value = hit.and_then(|e| e.arg(0)).unwrap_or("");
        if value.to_ascii_lowercase().contains("upgrade") {
            return;
        }
        let at = hit.unwrap_or(map);
        let f = self
            .finding(
                RuleId::NginxConnectionWrongValue,
                at,
                loc,
                format!(
                    "map {} gives \"{value}\" for an Upgrade request (Upgrade: websocket), so Connection never says upgrade",
                    map.arg(1).unwrap_or("")
                ),
            )
            .quote(&c.file, c.line)
            .fix("Map websocket requests (the default entry) to upgrade.")
            .replace_with(map_lines(
                map.arg(1).unwrap_or("$connection_upgrade").trim_start_matches('$'),
                self.keepalive_upstream(loc).is_some(),
            ));
        self.ctx.push(f);
    }

    /// A map whose `''` branch yields `close` defeats a keepalive upstream.
    fn keepalive_with_map(&mut self, loc: &Loc, c: &Directive, map: &Directive) {
        let Some(up) = self.keepalive_upstream(loc) else {
            return;
        };
        let Some(empty) = map.children().iter().find(|e| {
            e.name.is_empty() && e.arg(0).is_some_and(|v| v.eq_ignore_ascii_case("close"))
        }) else {
            return;
        };
        let var = c.arg(1).unwrap_or("").trim_start_matches('$');
        let f = self
            .finding(
                RuleId::NginxConnectionUpgradeKeepalive,
                empty,
                loc,
                format!(
                    "the map's '' close branch sends Connection: close on every ordinary request to upstream {}, which keeps connections alive",
                    up.block.arg(0).unwrap_or("")
                ),
            )
            .quote(&c.file, c.line)
            .quote(&up.block.file, up.block.line)
            .replace_with(map_lines(var, true));
        self.ctx.push(f);
    }

    fn read_timeout(&mut self, loc: &Loc, chain: &[Level<'a>]) {
        let send_note = if effective(chain, "proxy_send_timeout").is_some() {
            "; proxy_send_timeout only limits a blocked write and does not govern idle upgraded connections"
        } else {
            ""
        };
        // nginx's default, from the shared vendor table.
        let default_s = u64::from(vendor_timeout("nginx").seconds);
        match effective(chain, "proxy_read_timeout") {
            None => {
                if self.ctx.opts.ping_interval.is_some_and(|p| p < default_s) {
                    return;
                }
                let f = self
                    .finding(
                        RuleId::NginxReadTimeoutDefault,
                        loc.proxy_pass,
                        loc,
                        format!("no proxy_read_timeout: nginx closes a WebSocket that is quiet for {default_s} s (the default), fine only if the application pings more often{send_note}"),
                    )
                    .severity(Severity::Info)
                    .fix(format!("Make sure client or server pings more often than every {default_s} s, or raise proxy_read_timeout."))
                    .replace_with(["proxy_read_timeout 3600s;"]);
                self.ctx.push(f);
            }
            Some(t) => {
                let Some(ms) = t.arg(0).and_then(|v| duration_ms(v, 1000)) else {
                    return;
                };
                let verdict = self.ctx.idle_on(ms, loc.pattern);
                if matches!(verdict, Idle::Fine) {
                    return;
                }
                let f = self
                    .finding(
                        RuleId::NginxReadTimeoutShort,
                        t,
                        loc,
                        format!(
                            "proxy_read_timeout {} closes a WebSocket that is quiet for {}, {}{send_note}",
                            t.arg(0).unwrap_or(""),
                            human_ms(ms),
                            verdict.phrase()
                        ),
                    )
                    .severity(verdict.severity())
                    .fix("Raise proxy_read_timeout above the application's ping interval.")
                    .replace_with(["proxy_read_timeout 3600s;"]);
                self.ctx.push(f);
            }
        }
    }

    fn sni(&mut self, loc: &Loc, chain: &[Level<'a>]) {
        let Some(host) = loc
            .proxy_pass
            .arg(0)
            .and_then(|u| u.strip_prefix("https://"))
            .map(host_of)
        else {
            return;
        };
        if host.starts_with('$')
            || host.parse::<std::net::IpAddr>().is_ok()
            || host.starts_with('[')
            || host == "localhost"
            || self.model.upstreams.contains_key(host)
        {
            return;
        }
        if effective(chain, "proxy_ssl_server_name").is_some_and(|d| d.arg(0) == Some("on")) {
            return;
        }
        let f = self
            .finding(
                RuleId::NginxSslServerNameOff,
                loc.proxy_pass,
                loc,
                format!("proxy_pass opens TLS to {host} without SNI (proxy_ssl_server_name is off by default)"),
            )
            .replace_with(["proxy_ssl_server_name on;"]);
        self.ctx.push(f);
    }

    fn shadowed(&mut self, loc: &Loc, locs: &'a [Directive]) {
        if !loc.modifier.is_empty() || loc.pattern.starts_with('@') {
            return;
        }
        // Only a location directly in the server competes with the server's regexes.
        if !locs.iter().any(|d| std::ptr::eq(d, loc.d)) {
            return;
        }
        let mut probes = vec![loc.pattern.to_string()];
        if loc.pattern.ends_with('/') {
            probes.push(format!("{}x", loc.pattern));
        } else {
            probes.push(format!("{}/", loc.pattern));
        }
        probes.extend(
            self.ctx
                .opts
                .ws_paths
                .iter()
                .filter(|p| p.starts_with(loc.pattern))
                .cloned(),
        );
        for other in locs.iter().filter(|d| d.name == "location") {
            let (m, p) = match other.args.as_slice() {
                [m, p] if m == "~" || m == "~*" => (m.as_str(), p.as_str()),
                _ => continue,
            };
            let Some(re) = self.model.regex(m, p) else {
                continue;
            };
            let Some(hit) = probes.iter().find(|x| re.is_match(x)) else {
                continue;
            };
            let f = self
                .finding(
                    RuleId::NginxLocationShadowed,
                    loc.d,
                    loc,
                    format!("regex location {m} {p} (line {}) also matches {hit}, and nginx lets a matching regex win over a prefix location", other.line),
                )
                .quote(&other.file, other.line)
                .replace_with([format!("location ^~ {} {{", loc.pattern)]);
            self.ctx.push(f);
            return;
        }
    }

    fn sticky(&mut self, loc: &Loc) {
        if !wspath::is_polling_endpoint(loc.pattern) {
            return;
        }
        let Some(host) = loc
            .proxy_pass
            .arg(0)
            .map(|u| host_of(u.split("://").nth(1).unwrap_or(u)))
        else {
            return;
        };
        let Some(up) = self.model.upstreams.get(host) else {
            return;
        };
        if up.servers < 2 || up.affinity {
            return;
        }
        let f = self
            .finding(
                RuleId::NginxStickySessionMissing,
                up.block,
                loc,
                format!(
                    "upstream {host} balances {} servers without affinity: Socket.IO/SockJS long-polling requests of one session land on different servers (\"Session ID unknown\")",
                    up.servers
                ),
            )
            .severity(Severity::Warning)
            .fix("Pin each client to one server (ip_hash; or hash $remote_addr consistent;), or use the WebSocket transport only.")
            .replace_with(["ip_hash;"]);
        self.ctx.push(f);
    }

    /// The upstream block named by `proxy_pass`, when it uses `keepalive`.
    fn keepalive_upstream(&self, loc: &Loc) -> Option<&'a Upstream<'a>> {
        let url = loc.proxy_pass.arg(0)?;
        let host = host_of(url.split("://").nth(1)?);
        self.model.upstreams.get(host).filter(|u| u.keepalive)
    }

    /// The Connection value to recommend: the map variable if one exists for it.
    fn connection_var(&self) -> String {
        for (name, map) in &self.model.maps {
            if map.arg(0) == Some("$http_upgrade") {
                return format!("${name}");
            }
        }
        "$connection_upgrade".to_string()
    }

    fn map_lines_if_missing(&self, needed: bool) -> Vec<String> {
        let has_map = self
            .model
            .maps
            .values()
            .any(|m| m.arg(0) == Some("$http_upgrade"));
        if !needed || has_map {
            return Vec::new();
        }
        map_lines("connection_upgrade", false)
    }
}

/// A regex location whose WebSocket-looking part is taken first by a `^~` or `=`
/// location of the same server never sees WebSocket requests.
fn regex_loses_ws_paths(model: &Model, modifier: &str, pattern: &str, locs: &[Directive]) -> bool {
    if modifier != "~" && modifier != "~*" {
        return false;
    }
    let Some(re) = model.regex(modifier, pattern) else {
        return false;
    };
    locs.iter().any(|d| match d.args.as_slice() {
        [m, p] if (m == "^~" || m == "=") && wspath::path_reason(p, &[]).is_some() => {
            re.is_match(p)
        }
        _ => false,
    })
}

/// The innermost `include` in force that could not be read (it stays in the tree)
/// and whose name says it may hold proxy settings (`proxy_params`,
/// `snippets/websocket.conf`), not TLS options or MIME types.
fn unread_include<'a>(chain: &[Level<'a>]) -> Option<&'a Directive> {
    let may_proxy = |d: &Directive| {
        let name = d
            .arg(0)
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        ["proxy", "websocket", "upgrade", "common"]
            .iter()
            .any(|w| name.contains(w))
            || wspath::path_reason(&format!("/{}", name.split('.').next().unwrap_or("")), &[])
                .is_some()
    };
    chain.iter().rev().find_map(|level| {
        level
            .iter()
            .rev()
            .find(|d| d.name == "include" && may_proxy(d))
            .copied()
    })
}

/// A finding about something an unread include may set: a note, saying so.
fn with_unread_include(mut f: LintFinding, inc: &Directive) -> LintFinding {
    f.finding.detail.push_str(&format!(
        "; include {} (line {}) was not read and may set it (pass the file too, or pipe nginx -T)",
        inc.arg(0).unwrap_or(""),
        inc.line
    ));
    f.severity(Severity::Info).quote(&inc.file, inc.line)
}

/// A location body pasted without its `location` line: `proxy_pass`, or an Upgrade
/// `proxy_set_header` with no block around it to inherit it, at the top level. Returns
/// the tree with those lines moved into a `location /` (placed last, at the line of
/// the first of them); `None` when the input is not such a body.
fn loose_location_body(tree: &[Directive]) -> Option<Vec<Directive>> {
    let loose = |d: &Directive| d.block.is_none() && d.name != "include";
    let has_pass = tree.iter().any(|d| loose(d) && d.name == "proxy_pass");
    let headers_only = !has_block(tree, &["http", "server", "location"])
        && tree.iter().any(|d| loose(d) && sets_upgrade(d));
    if !has_pass && !headers_only {
        return None;
    }
    let (body, rest): (Vec<Directive>, Vec<Directive>) =
        tree.iter().cloned().partition(|d| loose(d));
    let first = body.first()?;
    let location = Directive {
        name: "location".to_string(),
        args: vec!["/".to_string()],
        file: first.file.clone(),
        line: first.line,
        block: Some(body),
    };
    let mut out = rest;
    out.push(location);
    Some(out)
}

/// Whether any directive of `tree` (at any depth) is a block named one of `names`.
fn has_block(tree: &[Directive], names: &[&str]) -> bool {
    tree.iter().any(|d| {
        d.block.is_some() && names.contains(&d.name.as_str()) || has_block(d.children(), names)
    })
}

fn has_proxy_pass(d: &Directive) -> bool {
    d.children().iter().any(|k| k.name == "proxy_pass")
}

/// `proxy_set_header Upgrade …` or `proxy_set_header Connection …upgrade…`.
fn sets_upgrade(x: &Directive) -> bool {
    header_is(x, "upgrade")
        || header_is(x, "connection")
            && x.arg(1)
                .is_some_and(|v| v.to_ascii_lowercase().contains("upgrade"))
}

fn is_ws_scheme(url: &str) -> bool {
    let l = url.to_ascii_lowercase();
    l.starts_with("ws://") || l.starts_with("wss://")
}

fn map_lines(var: &str, keepalive: bool) -> Vec<String> {
    let empty = if keepalive { "''" } else { "close" };
    vec![
        "# in http {}:".to_string(),
        format!("map $http_upgrade ${var} {{"),
        "    default upgrade;".to_string(),
        format!("    '' {empty};"),
        "}".to_string(),
    ]
}

fn header_is(d: &Directive, name: &str) -> bool {
    d.name == "proxy_set_header" && d.arg(0).is_some_and(|h| h.eq_ignore_ascii_case(name))
}

/// Variables nginx defines itself that a Connection header might reasonably use.
fn is_builtin(var: &str) -> bool {
    matches!(var, "connection" | "http_connection" | "http_upgrade")
}

/// One enclosing block as the inheritance rules see it: its simple directives, without
/// its nested blocks. An `http` block with thousands of `server` blocks is filtered
/// once when entered instead of scanned again for every location (which was
/// quadratic in the number of servers).
type Level<'a> = Vec<&'a Directive>;

fn settings(dirs: &[Directive]) -> Level<'_> {
    dirs.iter().filter(|d| d.block.is_none()).collect()
}

/// The last `name` directive in the nearest enclosing block that has one.
fn effective<'a>(chain: &[Level<'a>], name: &str) -> Option<&'a Directive> {
    chain
        .iter()
        .rev()
        .find_map(|level| level.iter().rev().find(|d| d.name == name).copied())
}

/// The `proxy_set_header` lines in force and the index of the block they come from.
fn effective_headers<'a>(chain: &[Level<'a>]) -> Option<(usize, Vec<&'a Directive>)> {
    chain.iter().enumerate().rev().find_map(|(i, level)| {
        let list: Vec<&Directive> = level
            .iter()
            .filter(|d| d.name == "proxy_set_header")
            .copied()
            .collect();
        (!list.is_empty()).then_some((i, list))
    })
}

/// `host` out of `host:port/path` (the part after `scheme://`).
fn host_of(rest: &str) -> &str {
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    // user:password@ is not part of the host.
    let hostport = rest[..end].rsplit('@').next().unwrap_or("");
    if hostport.starts_with('[') {
        return hostport.find(']').map_or(hostport, |i| &hostport[..=i]);
    }
    hostport.split(':').next().unwrap_or(hostport)
}
