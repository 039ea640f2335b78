//! Which rule of a virtual host proxies a request, in the order Apache applies them:
//! mod_rewrite's `[P]` rules first (with their `RewriteCond`s evaluated for the
//! request), then `ProxyPass` inside `<Location>`, then the virtual host's `ProxyPass`
//! and `ProxyPassMatch` lines, the first match winning (a `ProxyPass /` written before
//! `ProxyPass /ws` takes the WebSocket path). WebSocket mistakes are judged on the
//! route an Upgrade request really takes.

use super::Dir;
use regex::{Regex, RegexBuilder};
use std::collections::HashMap;

/// How a route picks requests.
#[derive(Debug)]
pub enum Matcher {
    /// `ProxyPass /path …` (a prefix).
    Prefix(String),
    /// `ProxyPassMatch`, `<LocationMatch>`, `<Location ~ …>`.
    Regex(Option<Regex>),
    /// A `RewriteRule` and the `RewriteCond` lines right before it.
    Rewrite {
        pattern: Option<Regex>,
        conds: Vec<Cond>,
        /// Per-directory context (`.htaccess`, `<Directory>`): the pattern sees the
        /// path without its leading slash (mod_rewrite docs, "What is matched?": in
        /// per-directory context the directory prefix is removed, `app1/index.html`).
        per_dir: bool,
    },
}

/// One `RewriteCond`.
#[derive(Debug)]
pub struct Cond {
    test: String,
    pattern: String,
    nocase: bool,
    or_next: bool,
}

/// A rule that proxies (or, with `!`, explicitly does not proxy) requests.
#[derive(Debug)]
pub struct Route<'a> {
    pub dir: &'a Dir,
    pub matcher: Matcher,
    /// The path written on the rule, as shown in findings.
    pub path: String,
    pub target: String,
    pub params: Vec<String>,
    /// A `RewriteRule` with `[P]`.
    pub rewrite: bool,
}

impl Route<'_> {
    pub fn is_ws_target(&self, balancers: &Balancers) -> bool {
        is_ws_url(&self.target) || balancers.is_ws(&self.target)
    }

    /// `upgrade=websocket` (mod_proxy_http tunnels the Upgrade itself, 2.4.47+).
    pub fn upgrade_param(&self) -> bool {
        self.params
            .iter()
            .any(|p| p.to_ascii_lowercase().starts_with("upgrade="))
    }

    /// Whether an Upgrade request would be tunnelled by this route.
    pub fn carries_upgrade(&self, balancers: &Balancers) -> bool {
        self.is_ws_target(balancers) || self.upgrade_param()
    }

    /// Whether the rule is written for WebSockets: a ws:// target, upgrade=, a rewrite
    /// guarded by an Upgrade condition.
    pub fn meant_for_ws(&self, balancers: &Balancers) -> bool {
        self.carries_upgrade(balancers)
            || matches!(&self.matcher, Matcher::Rewrite { conds, .. }
                if conds.iter().any(|c| c.tests_upgrade()))
    }

    fn matches(&self, req: &Request) -> bool {
        match &self.matcher {
            Matcher::Prefix(p) => prefix_matches(p, &req.path),
            Matcher::Regex(re) => re.as_ref().is_some_and(|re| re.is_match(&req.path)),
            Matcher::Rewrite {
                pattern,
                conds,
                per_dir,
            } => {
                let path = if *per_dir {
                    req.path.trim_start_matches('/')
                } else {
                    req.path.as_str()
                };
                pattern.as_ref().is_some_and(|re| re.is_match(path)) && conds_hold(conds, req)
            }
        }
    }
}

/// A request as the routing sees it.
pub struct Request {
    pub path: String,
    pub upgrade: bool,
}

/// `<Proxy balancer://name>` members: whether each balancer speaks ws://.
#[derive(Default)]
pub struct Balancers(Vec<(String, bool)>);

impl Balancers {
    pub fn new(dirs: &[Dir]) -> Balancers {
        let mut out = Vec::new();
        for d in dirs.iter().filter(|d| d.is("BalancerMember")) {
            let (name, url) = match (&d.proxy_block, d.args.as_slice()) {
                (Some(b), [url, ..]) => (b.clone(), url.clone()),
                (None, [b, url, ..]) => (b.clone(), url.clone()),
                _ => continue,
            };
            out.push((
                name.trim_end_matches('/').to_ascii_lowercase(),
                is_ws_url(&url),
            ));
        }
        Balancers(out)
    }

    fn is_ws(&self, target: &str) -> bool {
        let t = target.to_ascii_lowercase();
        self.0
            .iter()
            .any(|(name, ws)| *ws && t.starts_with(name.as_str()))
    }
}

/// The routes of one virtual host (`dirs` in file order) in the order Apache tries
/// them: rewrites, then `<Location>` ProxyPass, then the others.
pub fn routes_of<'a>(dirs: &[&'a Dir], engines: &Engines) -> Vec<Route<'a>> {
    let mut rewrites = Vec::new();
    let mut located = Vec::new();
    let mut plain = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        if d.is("RewriteRule") {
            if engines.on(d) == Some(false) {
                continue;
            }
            if let Some(r) = rewrite_route(dirs, i) {
                rewrites.push(r);
            }
        } else if (d.is("ProxyPass") || d.is("ProxyPassMatch"))
            && let Some(r) = proxy_pass_route(d)
        {
            if d.location.is_some() {
                located.push(r);
            } else {
                plain.push(r);
            }
        }
    }
    rewrites.into_iter().chain(located).chain(plain).collect()
}

/// Where mod_rewrite is on: the last `RewriteEngine` of each context (a flag: the
/// last one holds for the whole context, wherever the rule stands), gathered once so a
/// file with thousands of virtual hosts stays linear.
pub struct Engines {
    last: HashMap<(Option<usize>, Option<String>), bool>,
}

impl Engines {
    pub fn new(dirs: &[Dir]) -> Engines {
        let mut last = HashMap::new();
        for d in dirs.iter().filter(|d| d.is("RewriteEngine")) {
            let on = d.args.first().is_some_and(|a| a.eq_ignore_ascii_case("on"));
            last.insert((d.vhost, d.location.clone()), on);
        }
        Engines { last }
    }

    /// Whether mod_rewrite runs the RewriteRule `d`: the engine of its `<Location>`,
    /// else of its virtual host, else of the server config (a virtual host inherits
    /// the engine's state, though not the rules: seen with Apache 2.4.71,
    /// `RewriteEngine On` outside a `<VirtualHost>` ran the host's own `[P]` rule). The
    /// engine is off by default, so a rule whose context never says `RewriteEngine On`
    /// does nothing — once what was read shows `RewriteEngine` anywhere. A snippet
    /// without any `RewriteEngine` line is a fragment whose engine is set elsewhere:
    /// `None`, not judged.
    /// Whether `d`'s own `<Location>` or virtual host has a `RewriteEngine` line.
    pub fn set_here(&self, d: &Dir) -> bool {
        d.vhost.is_some() && self.last.contains_key(&(d.vhost, None))
            || self.last.contains_key(&(d.vhost, d.location.clone()))
    }

    pub fn on(&self, d: &Dir) -> Option<bool> {
        if self.last.is_empty() {
            return None;
        }
        let found = self
            .last
            .get(&(d.vhost, d.location.clone()))
            .or_else(|| self.last.get(&(d.vhost, None)))
            .or_else(|| self.last.get(&(None, None)));
        Some(found.copied().unwrap_or(false))
    }
}

/// The first route that takes `req`; a `!` exclusion ends the search unproxied.
pub fn route_for<'r, 'a>(routes: &'r [Route<'a>], req: &Request) -> Option<&'r Route<'a>> {
    let r = routes.iter().find(|r| r.matches(req))?;
    (r.target != "!").then_some(r)
}

/// The routes after `winner` that also match `req`: shadowed by it.
pub fn shadowed_by<'r, 'a>(
    routes: &'r [Route<'a>],
    winner: &Route<'a>,
    req: &Request,
) -> Vec<&'r Route<'a>> {
    routes
        .iter()
        .skip_while(|r| !std::ptr::eq(*r, winner))
        .skip(1)
        .filter(|r| !r.rewrite && r.matches(req))
        .collect()
}

pub fn is_ws_url(u: &str) -> bool {
    let l = u.to_ascii_lowercase();
    l.starts_with("ws://") || l.starts_with("wss://")
}

/// A path a request would take to reach this prefix route (for probing it).
pub fn probe_path(r: &Route) -> Option<String> {
    match &r.matcher {
        Matcher::Prefix(p) => Some(p.clone()),
        _ => None,
    }
}

fn proxy_pass_route(d: &Dir) -> Option<Route<'_>> {
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
    let (path, target) = match positional.next() {
        Some(t) => (first, t.clone()),
        None => (d.location.clone().unwrap_or_else(|| "/".into()), first),
    };
    let matcher = if let Some(re) = path.strip_prefix("~ ") {
        Matcher::Regex(compile(re, false))
    } else if d.is("ProxyPassMatch") {
        Matcher::Regex(compile(&path, false))
    } else {
        Matcher::Prefix(path.clone())
    };
    Some(Route {
        dir: d,
        matcher,
        path,
        target,
        params,
        rewrite: false,
    })
}

/// A `RewriteRule … [P]` as a route, with the conditions right before it.
fn rewrite_route<'a>(dirs: &[&'a Dir], i: usize) -> Option<Route<'a>> {
    let d = dirs[i];
    let (pattern, target) = (d.args.first()?, d.args.get(1)?);
    let flags = d
        .args
        .get(2)
        .map(|f| f.to_ascii_uppercase())
        .unwrap_or_default();
    let proxied = flags
        .trim_matches(['[', ']'])
        .split(',')
        .any(|f| f.trim() == "P" || f.trim() == "PROXY");
    if !proxied {
        return None;
    }
    let mut conds: Vec<Cond> = dirs[..i]
        .iter()
        .rev()
        .take_while(|c| c.is("RewriteCond") && c.file == d.file)
        .filter_map(|c| {
            let flags = c
                .args
                .get(2)
                .map(|f| f.to_ascii_uppercase())
                .unwrap_or_default();
            Some(Cond {
                test: c.args.first()?.clone(),
                pattern: c.args.get(1)?.clone(),
                nocase: flags.contains("NC"),
                or_next: flags.contains("OR"),
            })
        })
        .collect();
    conds.reverse();
    let (negated, pat) = match pattern.strip_prefix('!') {
        Some(p) => (true, p),
        None => (false, pattern.as_str()),
    };
    // `RewriteBase` is only allowed in per-directory context, so a file that has
    // one is an `.htaccess` or a `<Directory>` body, whatever its name.
    let per_dir = d.in_directory
        || d.file.rsplit('/').next() == Some(".htaccess")
        || dirs.iter().any(|x| x.is("RewriteBase") && x.file == d.file);
    Some(Route {
        dir: d,
        matcher: Matcher::Rewrite {
            // A negated pattern matches what the regex does not: not judged.
            pattern: if negated { None } else { compile(pat, false) },
            conds,
            per_dir,
        },
        path: pattern.clone(),
        target: target.clone(),
        params: Vec::new(),
        rewrite: true,
    })
}

fn compile(re: &str, nocase: bool) -> Option<Regex> {
    RegexBuilder::new(re)
        .case_insensitive(nocase)
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// mod_proxy's prefix match: `/ws` takes `/ws`, `/ws/…` (and, as Apache does,
/// `/wsx`; a trailing slash on one side only is forgiven for the bare path).
fn prefix_matches(prefix: &str, path: &str) -> bool {
    path.starts_with(prefix) || path.trim_end_matches('/') == prefix.trim_end_matches('/')
}

impl Cond {
    fn tests_upgrade(&self) -> bool {
        let t = self.test.to_ascii_uppercase();
        (t.contains("%{HTTP:UPGRADE}") || t.contains("%{HTTP:CONNECTION}"))
            && !self.pattern.starts_with('!')
    }

    /// `None` when the condition depends on what lint cannot know.
    fn holds(&self, req: &Request) -> Option<bool> {
        let value = self.value(req)?;
        let (negate, pat) = match self.pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, self.pattern.as_str()),
        };
        let hit = if let Some(lit) = pat.strip_prefix('=') {
            if self.nocase {
                value.eq_ignore_ascii_case(lit)
            } else {
                value == lit
            }
        } else if pat.starts_with('-') {
            return None;
        } else {
            compile(pat, self.nocase)?.is_match(&value)
        };
        Some(hit != negate)
    }

    /// What the test string expands to for `req`.
    fn value(&self, req: &Request) -> Option<String> {
        let t = self.test.to_ascii_uppercase();
        let polling = crate::wspath::is_polling_endpoint(&req.path);
        let v = match t.as_str() {
            "%{HTTP:UPGRADE}" => if req.upgrade { "websocket" } else { "" }.to_string(),
            // What Chrome and Safari send; Firefox sends "keep-alive, Upgrade".
            "%{HTTP:CONNECTION}" => if req.upgrade { "Upgrade" } else { "keep-alive" }.to_string(),
            "%{REQUEST_URI}" => req.path.clone(),
            "%{THE_REQUEST}" => format!("GET {} HTTP/1.1", req.path),
            "%{QUERY_STRING}" if polling => {
                let t = if req.upgrade { "websocket" } else { "polling" };
                format!("EIO=4&transport={t}")
            }
            "%{QUERY_STRING}" => String::new(),
            _ => return None,
        };
        Some(v)
    }
}

/// The conditions of a rule, `[OR]` binding a condition to the next one.
fn conds_hold(conds: &[Cond], req: &Request) -> bool {
    let mut all = true;
    let mut group = false;
    for c in conds {
        // Unknowable conditions are taken to hold: the rule may apply.
        group |= c.holds(req).unwrap_or(true);
        if !c.or_next {
            all &= group;
            group = false;
        }
    }
    // A dangling [OR] on the last condition still counts its group.
    if conds.last().is_some_and(|c| c.or_next) {
        all &= group;
    }
    all
}
