//! HAProxy: sections (`global`, `defaults`, `frontend`, `backend`, `listen`) of
//! keyword lines. HAProxy passes WebSocket Upgrades by default in http mode; what goes
//! wrong is the idle cut after the upgrade: without `timeout tunnel` the (usually
//! short) `timeout client`/`timeout server` govern the tunnel. A bare number is
//! milliseconds here, not seconds. Of the `option` habits from old WebSocket guides,
//! `http-tunnel` and `forceclose` matter (HAProxy 2.1/2.0 refuse to start with them);
//! `httpclose` and `http-server-close` were seen to pass WebSockets on 2.6 and are not
//! reported.

use super::{Ctx, Idle, duration_ms, human_ms};
use crate::finding::{LintFinding, RuleId};
use crate::wspath;
use wsdoctor_core::Severity;

#[derive(Debug)]
struct Line {
    words: Vec<String>,
    line: usize,
}

#[derive(Debug)]
struct Section {
    kind: String,
    name: String,
    line: usize,
    lines: Vec<Line>,
    /// Index of the `defaults` section this one takes its settings from.
    defaults: Option<usize>,
    /// A listening address written on the section line (refused since 1.5-era syntax).
    address: Option<String>,
}

impl Section {
    fn find(&self, words: &[&str]) -> Option<&Line> {
        self.lines.iter().rev().find(|l| {
            l.words.len() >= words.len()
                && l.words
                    .iter()
                    .zip(words)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
        })
    }

    fn all<'a>(&'a self, kw: &'a str) -> impl Iterator<Item = &'a Line> + 'a {
        self.lines
            .iter()
            .filter(move |l| l.words[0].eq_ignore_ascii_case(kw))
    }

    fn is_proxy(&self) -> bool {
        matches!(self.kind.as_str(), "backend" | "listen")
    }
}

const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "resolvers",
    "peers",
    "userlist",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "crt-store",
    "traces",
];

pub(crate) fn lint(ctx: &mut Ctx, name: &str, text: &str) {
    let sections = parse(text);
    if sections.is_empty() {
        // Server lines quoted without their section (threads often show just the
        // one line): `server` is only valid in a backend or listen section (HAProxy
        // configuration manual, 5.2 "Server and default-server options"), so they
        // are read as one backend. Only what a server line decides is judged; the
        // timeouts live in sections the snippet does not show.
        if let Some(b) = loose_backend(text) {
            removed_options(ctx, name, std::slice::from_ref(&b));
            removed_keywords(ctx, name, std::slice::from_ref(&b));
            unbalanced_conditions(ctx, name, std::slice::from_ref(&b));
            let why = "the snippet has no section line, and server lines belong to a backend";
            check_h2_servers(ctx, name, std::slice::from_ref(&b), &b, why);
            return;
        }
        ctx.error(
            name,
            None,
            "no HAProxy section (global, defaults, frontend, backend, listen) found",
        );
        return;
    }
    removed_options(ctx, name, &sections);
    removed_keywords(ctx, name, &sections);
    unbalanced_conditions(ctx, name, &sections);
    let mut ws = websocket_backends(ctx, &sections);
    if ws.is_empty() {
        ws = routed_backends(&sections);
    }
    for (i, why) in &ws {
        check_timeouts(ctx, name, &sections, *i, why);
        check_affinity(ctx, name, &sections, &sections[*i], why);
        check_h2_servers(ctx, name, &sections, &sections[*i], why);
    }
    check_h2_binds(ctx, name, &sections, &ws);
    for s in sections.iter().filter(|s| s.kind == "frontend") {
        if let Some(t) = s.find(&["timeout", "tunnel"]) {
            let f = LintFinding::new(
                RuleId::HaproxyTimeoutTunnelInFrontend,
                name,
                t.line,
                format!("timeout tunnel in frontend {} is ignored (HAProxy warns at start-up): the backend's or the defaults' value applies", s.name),
            )
            .severity(Severity::Warning)
            .quote(name, s.line)
            .fix("Move timeout tunnel to the defaults section or to the backends that carry WebSockets.")
            .replace_with(["# in defaults or the backend:", &words(t)]);
            ctx.push(f);
        }
    }
}

fn removed_options(ctx: &mut Ctx, file: &str, sections: &[Section]) {
    for s in sections {
        for o in s.all("option") {
            let (since, name) = match o.words.get(1).map(String::as_str) {
                Some("http-tunnel") => ("2.1", "http-tunnel"),
                Some("forceclose") => ("2.0", "forceclose"),
                Some("http_proxy") => ("2.5", "http_proxy"),
                _ => continue,
            };
            let f = LintFinding::new(
                RuleId::HaproxyRemovedOption,
                file,
                o.line,
                format!("option {name} was removed in HAProxy {since}: current versions refuse to start with it (older guides used it for WebSockets, which HAProxy now tunnels by itself)"),
            )
            .fix(format!("Delete the option {name} line."));
            ctx.push(f);
        }
    }
}

/// Keywords current HAProxy refuses to start with (checked with `haproxy -c` on 2.6):
/// (section kinds, keyword, since when, what to write instead).
const REMOVED: &[(&[&str], &str, &str, &str)] = &[
    (
        &["global"],
        "nbproc",
        "2.5",
        "delete it: threads are used by themselves",
    ),
    (
        &["global"],
        "debug",
        "2.x (unknown keyword)",
        "delete it, or start haproxy with -d",
    ),
    (&[], "block", "2.1", "http-request deny"),
    (&[], "redispatch", "2.1", "option redispatch"),
    (
        &[],
        "monitor-net",
        "2.x",
        "http-request return status 200 if { src … }",
    ),
    (&[], "appsession", "1.6", "a cookie or stick table"),
    (&[], "clitimeout", "2.1", "timeout client"),
    (&[], "srvtimeout", "2.1", "timeout server"),
    (&[], "contimeout", "2.1", "timeout connect"),
    (
        &[],
        "grace",
        "2.5",
        "delete it (hard-stop-after in global is the nearest)",
    ),
    (&[], "reqadd", "2.1", "http-request add-header"),
    (&[], "reqrep", "2.1", "http-request replace-header"),
    (&[], "reqirep", "2.1", "http-request replace-header"),
    (&[], "reqdel", "2.1", "http-request del-header"),
    (&[], "reqidel", "2.1", "http-request del-header"),
    (&[], "reqdeny", "2.1", "http-request deny"),
    (&[], "reqallow", "2.1", "http-request allow"),
    (&[], "reqpass", "2.1", "http-request allow"),
    (&[], "reqtarpit", "2.1", "http-request tarpit"),
    (&[], "reqsetbe", "2.1", "use_backend"),
    (&[], "rspadd", "2.1", "http-response add-header"),
    (&[], "rsprep", "2.1", "http-response replace-header"),
    (&[], "rspirep", "2.1", "http-response replace-header"),
    (&[], "rspdel", "2.1", "http-response del-header"),
    (&[], "rspidel", "2.1", "http-response del-header"),
    (&[], "rspdeny", "2.1", "http-response deny"),
];

fn removed_keywords(ctx: &mut Ctx, file: &str, sections: &[Section]) {
    for s in sections {
        // `frontend name 0.0.0.0:80`: the pre-1.5 address on the section line.
        if matches!(s.kind.as_str(), "frontend" | "listen")
            && let Some(addr) = s.address.as_deref()
        {
            let f = LintFinding::new(
                RuleId::HaproxyAddressOnSectionLine,
                file,
                s.line,
                format!("{} {} {addr}: current HAProxy refuses a listening address on the section line (\"please use the 'bind' keyword\") and does not start", s.kind, s.name),
            )
            .severity(Severity::Error)
            .fix("Move the address to a bind line inside the section.")
            .replace_with([format!("{} {}", s.kind, s.name), format!("    bind {addr}")]);
            ctx.push(f);
        }
        for l in &s.lines {
            let kw = l.words[0].to_ascii_lowercase();
            let Some((_, _, since, instead)) = REMOVED.iter().find(|(kinds, k, _, _)| {
                *k == kw && (kinds.is_empty() || kinds.contains(&s.kind.as_str()))
            }) else {
                continue;
            };
            let f = LintFinding::new(
                RuleId::HaproxyRemovedKeyword,
                file,
                l.line,
                format!("{kw} is not supported any more (removed in HAProxy {since}): current versions refuse to start with it"),
            )
            .severity(Severity::Error)
            .fix(format!("Replace it: {instead}."));
            ctx.push(f);
        }
    }
}

/// `(` minus `)` in an ACL criterion such as `hdr(Host)` or
/// `req.hdr(host),lower,map_dom(/f)` (a fetch with its converters, one word).
fn paren_depth(word: &str) -> i64 {
    word.chars().fold(0, |d, c| match c {
        '(' => d + 1,
        ')' => d - 1,
        _ => d,
    })
}

/// ACL criteria whose parentheses do not close and conditions whose `{` does not:
/// HAProxy's ACL parser reads the fetch keyword with its arguments up to the `)`
/// ("ACL keyword 'hdr' : expected ')'") and an anonymous ACL up to its `}` ("missing
/// closing '}' in condition"), and refuses the file (both checked with `haproxy -c`
/// 2.6). Only the criterion is counted, never the patterns after it, where a regex
/// may hold parentheses of its own.
fn unbalanced_conditions(ctx: &mut Ctx, file: &str, sections: &[Section]) {
    for s in sections {
        for l in &s.lines {
            let w = &l.words;
            let mut bad: Option<String> = None;
            if w[0].eq_ignore_ascii_case("acl") {
                if let Some(c) = w.get(2).filter(|c| paren_depth(c) != 0) {
                    bad = Some(format!(
                        "the fetch {c} of acl {} does not close its parenthesis (HAProxy: \"expected ')'\")",
                        w[1]
                    ));
                }
            } else if let Some(p) = w
                .iter()
                .position(|x| x.eq_ignore_ascii_case("if") || x.eq_ignore_ascii_case("unless"))
                .filter(|p| *p > 0)
            {
                let mut open = 0i64;
                let mut criterion = false;
                for x in &w[p + 1..] {
                    if criterion {
                        criterion = false;
                        if paren_depth(x) != 0 && bad.is_none() {
                            bad = Some(format!(
                                "the fetch {x} in the condition does not close its parenthesis (HAProxy: \"expected ')'\")"
                            ));
                        }
                    }
                    match x.as_str() {
                        "{" | "!{" => {
                            open += 1;
                            criterion = true;
                        }
                        "}" => open -= 1,
                        _ => {}
                    }
                }
                if open != 0 && bad.is_none() {
                    bad = Some("the condition's braces do not pair (HAProxy: \"missing closing '}' in condition\")".to_string());
                }
            }
            if let Some(why) = bad {
                let f = LintFinding::new(
                    RuleId::HaproxyConditionUnbalanced,
                    file,
                    l.line,
                    format!("{why}: HAProxy refuses the file and does not start"),
                )
                .severity(Severity::Error)
                .fix("Close the parenthesis right after the fetch's arguments, e.g. hdr(host) -i example.com, and each { with a }.");
                ctx.push(f);
            }
        }
    }
}

/// With nothing marked as WebSocket, every backend a frontend routes to (and every
/// listen section with servers) may carry them.
fn routed_backends(sections: &[Section]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for fe in sections
        .iter()
        .filter(|s| s.kind == "frontend" || s.kind == "listen")
    {
        let targets = fe
            .all("default_backend")
            .chain(fe.all("use_backend"))
            .filter_map(|l| l.words.get(1));
        for t in targets {
            // `use_backend %[var(txn.backend)]`: the name is computed per request, so
            // any backend with servers may be the one.
            let dynamic = t.contains("%[");
            for (i, _) in sections.iter().enumerate().filter(|(_, s)| {
                s.is_proxy()
                    && if dynamic {
                        s.all("server").next().is_some() && http_mode(sections, s)
                    } else {
                        &s.name == t
                    }
            }) {
                if !out.iter().any(|(j, _)| *j == i) {
                    let how = if dynamic {
                        format!(
                            "every http backend may be the one {} {} picks with {t}",
                            fe.kind, fe.name
                        )
                    } else {
                        format!("every backend {} {} routes to is judged", fe.kind, fe.name)
                    };
                    out.push((i, format!("no backend is marked as WebSocket (no WebSocket path or Upgrade ACL, no --ws-path), so {how}")));
                }
            }
        }
        if fe.kind == "listen"
            && fe.all("server").next().is_some()
            && let Some(i) = sections.iter().position(|s| std::ptr::eq(s, fe))
            && !out.iter().any(|(j, _)| *j == i)
        {
            out.push((
                i,
                format!(
                    "no backend is marked as WebSocket, so listen {} with its servers is judged",
                    fe.name
                ),
            ));
        }
    }
    out
}

fn parse(text: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut last_defaults: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let words = split_words(raw);
        let Some(first) = words.first() else {
            continue;
        };
        let kw = first.to_ascii_lowercase();
        if SECTIONS.contains(&kw.as_str()) {
            let name = words.get(1).cloned().unwrap_or_default();
            let defaults = match words.iter().position(|w| w == "from") {
                Some(p) => words.get(p + 1).and_then(|n| {
                    out.iter()
                        .rposition(|s| s.kind == "defaults" && &s.name == n)
                }),
                None => last_defaults,
            };
            // `frontend name 1.2.3.4:80`: an address after the name (not `from x`).
            let address = words
                .get(2)
                .filter(|w| *w != "from" && w.contains(':'))
                .cloned();
            out.push(Section {
                kind: kw.clone(),
                name,
                line: i + 1,
                lines: Vec::new(),
                defaults,
                address,
            });
            if kw == "defaults" {
                last_defaults = Some(out.len() - 1);
            }
            continue;
        }
        if let Some(s) = out.last_mut() {
            s.lines.push(Line { words, line: i + 1 });
        }
    }
    out
}

/// Lines without any section line, read as one backend when they hold a `server`.
fn loose_backend(text: &str) -> Option<Section> {
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .map(|(i, raw)| Line {
            words: split_words(raw),
            line: i + 1,
        })
        .filter(|l| !l.words.is_empty())
        .collect();
    let first = lines
        .iter()
        .find(|l| l.words[0].eq_ignore_ascii_case("server"))?
        .line;
    Some(Section {
        kind: "backend".to_string(),
        name: "(snippet)".to_string(),
        line: first,
        lines,
        defaults: None,
        address: None,
    })
}

/// Words of a line: whitespace-separated, `#` comments dropped, quotes and backslash
/// escapes honoured.
fn split_words(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') | (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '#') => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
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

fn words(l: &Line) -> String {
    l.words.join(" ")
}

/// Backends (and listen sections) that carry WebSockets, with the reason.
fn websocket_backends(ctx: &Ctx, sections: &[Section]) -> Vec<(usize, String)> {
    let user = &ctx.opts.ws_paths;
    let mut out: Vec<(usize, String)> = Vec::new();
    let add = |i: usize, why: String, out: &mut Vec<(usize, String)>| {
        if !out.iter().any(|(j, _)| *j == i) {
            out.push((i, why));
        }
    };
    for (i, s) in sections.iter().enumerate().filter(|(_, s)| s.is_proxy()) {
        if let Some(why) = wspath::path_reason(&format!("/{}", s.name), &[]) {
            add(
                i,
                format!("its name {} looks like a WebSocket backend ({why})", s.name),
                &mut out,
            );
        }
    }
    for fe in sections
        .iter()
        .filter(|s| s.kind == "frontend" || s.kind == "listen")
    {
        let acls: Vec<&Line> = fe.all("acl").collect();
        let ws_acl = |l: &Line| -> Option<String> {
            let text = l.words.join(" ").to_ascii_lowercase();
            if text.contains("upgrade") && text.contains("websocket") {
                return Some(format!(
                    "acl {} tests the Upgrade header (line {})",
                    l.words.get(1).map_or("", |s| s),
                    l.line
                ));
            }
            l.words.iter().skip(2).find_map(|w| {
                if w.starts_with('/') {
                    if let Some(p) = user.iter().find(|p| wspath::path_covers(w, p)) {
                        return Some(format!(
                            "acl {} matches --ws-path {p} (line {})",
                            l.words[1], l.line
                        ));
                    }
                    wspath::path_reason(w, &[])
                        .map(|r| format!("acl {} on line {}: {r}", l.words[1], l.line))
                } else {
                    None
                }
            })
        };
        if fe.kind == "listen"
            && let Some(why) = acls.iter().find_map(|l| ws_acl(l))
            && let Some(i) = sections.iter().position(|s| std::ptr::eq(s, fe))
        {
            add(i, why, &mut out);
        }
        for ub in fe.all("use_backend") {
            let Some(target) = ub.words.get(1) else {
                continue;
            };
            let Some(i) = sections
                .iter()
                .position(|s| s.is_proxy() && &s.name == target)
            else {
                continue;
            };
            let cond = &ub.words[2..];
            let why = acls
                .iter()
                .filter(|a| {
                    a.words
                        .get(1)
                        .is_some_and(|n| cond.iter().any(|c| c.trim_start_matches('!') == n))
                })
                .find_map(|a| ws_acl(a))
                .or_else(|| {
                    // Anonymous ACLs: `use_backend ws if { path_beg /ws }`.
                    let inline = Line {
                        words: [vec!["acl".into(), "(inline)".into()], cond.to_vec()].concat(),
                        line: ub.line,
                    };
                    ws_acl(&inline)
                });
            if let Some(why) = why {
                add(i, why, &mut out);
            }
        }
        // `--ws-path` with a frontend that only has a default backend: that backend.
        if !user.is_empty()
            && fe.all("use_backend").next().is_none()
            && let Some(db) = fe.find(&["default_backend"]).and_then(|l| l.words.get(1))
            && let Some(i) = sections.iter().position(|s| s.is_proxy() && &s.name == db)
        {
            add(
                i,
                format!(
                    "--ws-path {} was given and {db} is the default backend",
                    user.join(", ")
                ),
                &mut out,
            );
        }
    }
    out
}

fn timeout<'a>(sections: &'a [Section], s: &'a Section, which: &str) -> Option<(&'a Line, u64)> {
    let own = s.find(&["timeout", which]);
    let line = own.or_else(|| {
        s.defaults
            .and_then(|d| sections[d].find(&["timeout", which]))
    })?;
    let ms = line.words.get(2).and_then(|v| duration_ms(v, 1))?;
    Some((line, ms))
}

/// The `timeout <which>` line that applies to a section, whatever its value.
fn timeout_line<'a>(sections: &'a [Section], s: &'a Section, which: &str) -> Option<&'a Line> {
    s.find(&["timeout", which]).or_else(|| {
        s.defaults
            .and_then(|d| sections[d].find(&["timeout", which]))
    })
}

/// A value HAProxy substitutes from the environment (`${NAME}`, `"$NAME"`).
fn is_env(l: &Line) -> bool {
    l.words.get(2).is_some_and(|v| v.contains('$'))
}

fn check_timeouts(ctx: &mut Ctx, file: &str, sections: &[Section], i: usize, why: &str) {
    let s = &sections[i];
    let about = format!(
        "({} {} is treated as carrying WebSockets because {why})",
        s.kind, s.name
    );
    if let Some((t, ms)) = timeout(sections, s, "tunnel") {
        let verdict = ctx.idle(ms);
        if !matches!(verdict, Idle::Fine) {
            let f = LintFinding::new(
                RuleId::HaproxyTimeoutTunnelShort,
                file,
                t.line,
                format!(
                    "timeout tunnel {} cuts a WebSocket that is quiet for {}, {} {about}",
                    t.words.get(2).map_or("", |s| s),
                    human_ms(ms),
                    verdict.phrase()
                ),
            )
            .severity(verdict.severity())
            .quote(file, s.line)
            .fix("Raise timeout tunnel above the application's ping interval.")
            .replace_with(["timeout tunnel 1h"]);
            ctx.push(f);
        }
        return;
    }
    // `timeout tunnel ${HP_TIMEOUT_TUNNEL}`: set, to a value only known at start-up.
    if timeout_line(sections, s, "tunnel").is_some() {
        return;
    }
    // Without a tunnel timeout the shorter of the client and server timeouts applies;
    // the client side is the frontend's (a backend's own is ignored).
    let client = client_timeout(sections, i).or_else(|| timeout(sections, s, "client"));
    let server = timeout(sections, s, "server");
    let Some((line, ms)) = [client, server]
        .into_iter()
        .flatten()
        .min_by_key(|(_, ms)| *ms)
    else {
        // Values from the environment (`timeout client ${HP_TIMEOUT_CLIENT}`) are only
        // known when HAProxy starts: say which one governs the tunnel, as a note.
        if let Some(line) = ["server", "client"]
            .iter()
            .find_map(|w| timeout_line(sections, s, w).filter(|l| is_env(l)))
        {
            let f = LintFinding::new(
                RuleId::HaproxyNoTimeoutTunnel,
                file,
                s.line,
                format!("no timeout tunnel, so {} (set from the environment when HAProxy starts, not known here) also cuts idle WebSockets {about}", words(line)),
            )
            .severity(Severity::Info)
            .quote(file, line.line)
            .fix("Add timeout tunnel to the backend (or defaults) so upgraded connections get their own idle limit.")
            .replace_with(["timeout tunnel 1h"]);
            ctx.push(f);
        }
        return;
    };
    let verdict = ctx.idle(ms);
    let f = LintFinding::new(
        RuleId::HaproxyNoTimeoutTunnel,
        file,
        s.line,
        format!(
            "no timeout tunnel, so {} ({}) also cuts idle WebSockets, {} {about}",
            words(line),
            human_ms(ms),
            match &verdict {
                Idle::Fine => "fine only while the application pings more often",
                v => v.phrase(),
            }
        ),
    )
    .severity(verdict.severity())
    .quote(file, line.line)
    .fix("Add timeout tunnel to the backend (or defaults) so upgraded connections get their own idle limit.")
    .replace_with(["timeout tunnel 1h"]);
    ctx.push(f);
}

/// The value of a server keyword on a `server` line, else on the section's or its
/// defaults' `default-server` line.
fn server_param<'a>(
    sections: &'a [Section],
    s: &'a Section,
    server: &'a Line,
    kw: &str,
) -> Option<&'a str> {
    let on = |l: &'a Line| {
        l.words
            .iter()
            .position(|w| w.eq_ignore_ascii_case(kw))
            .and_then(|p| l.words.get(p + 1))
            .map(String::as_str)
    };
    on(server)
        .or_else(|| s.all("default-server").last().and_then(on))
        .or_else(|| {
            s.defaults
                .and_then(|d| sections[d].all("default-server").last())
                .and_then(on)
        })
}

/// `server … proto h2` (or `alpn h2` without http/1.1) relays WebSockets to the server
/// over HTTP/2 — the `ws` keyword's default `auto` uses the server's protocol and only
/// falls back to HTTP/1.1 when the ALPN list offers it (HAProxy 2.4+ configuration
/// manual, `ws`). That needs RFC 8441 extended CONNECT in the server, which few
/// WebSocket servers have; `ws h1` keeps the rest on HTTP/2.
///
/// `alpn h2,http/1.1` without `ws`: that fallback — the `ws` keyword and "websocket
/// protocol selection" — arrived in HAProxy 2.5-dev13 (CHANGELOG, 2021/11/06); 2.4,
/// which relays WebSockets over HTTP/2 (RFC 8441, 2.4-dev7), sends them over whatever
/// ALPN picked, and a server that prefers h2 then gets extended CONNECT. A `ws`
/// keyword on any server line shows 2.5+ (2.4 refuses it), and then the list is fine.
fn check_h2_servers(ctx: &mut Ctx, file: &str, sections: &[Section], s: &Section, why: &str) {
    for sv in s.all("server") {
        let ws = server_param(sections, s, sv, "ws").unwrap_or("auto");
        if !ws.eq_ignore_ascii_case("auto") {
            continue;
        }
        let proto = server_param(sections, s, sv, "proto");
        let alpn = server_param(sections, s, sv, "alpn");
        let h2 = match (proto, alpn) {
            (Some(p), _) => p.eq_ignore_ascii_case("h2").then(|| format!("proto {p}")),
            (None, Some(a)) => {
                let list: Vec<String> = a
                    .split(',')
                    .map(|x| x.trim().to_ascii_lowercase())
                    .collect();
                let h1 = list.iter().any(|x| x == "http/1.1");
                // A `ws` keyword anywhere shows HAProxy 2.5 or later.
                let explicit_ws = sections.iter().any(|x| {
                    x.all("server")
                        .chain(x.all("default-server"))
                        .any(|l| l.words.iter().skip(2).any(|w| w.eq_ignore_ascii_case("ws")))
                });
                (list.iter().any(|x| x == "h2") && (!h1 || !explicit_ws)).then(|| {
                    if h1 {
                        format!("alpn {a}; HAProxy before 2.5 has no `ws` fallback to the http/1.1 it also offers, so a server that picks h2 gets WebSockets over HTTP/2")
                    } else {
                        format!("alpn {a}")
                    }
                })
            }
            (None, None) => None,
        };
        let Some(h2) = h2 else {
            continue;
        };
        let name = sv.words.get(1).map_or("", String::as_str);
        let f = LintFinding::new(
            RuleId::HaproxyServerH2,
            file,
            sv.line,
            format!(
                "server {name} may speak HTTP/2 ({h2}) and `ws` is auto, so HAProxy relays WebSocket handshakes to it as RFC 8441 extended CONNECT; a server without RFC 8441 (Apache, most WebSocket servers) rejects them and the client gets an error instead of 101 ({} {} is treated as carrying WebSockets because {why})",
                s.kind, s.name
            ),
        )
        .severity(Severity::Warning)
        .quote(file, s.line)
        .fix("Add `ws h1` to the server line so WebSockets use HTTP/1.1 while other requests keep HTTP/2 (or drop proto h2).")
        .replace_with([format!("{} ws h1", words(sv))]);
        ctx.push(f);
    }
}

/// `bind … proto h2` forces HTTP/2 on the listener whatever ALPN says: a WebSocket
/// client opening with an HTTP/1.1 Upgrade (every non-browser library, every browser
/// on a plain-http URL) sends a request HAProxy reads as a bad HTTP/2 preface.
fn check_h2_binds(ctx: &mut Ctx, file: &str, sections: &[Section], ws: &[(usize, String)]) {
    for (fi, fe) in sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == "frontend" || s.kind == "listen")
    {
        let carries = ws.iter().any(|(i, _)| {
            *i == fi
                || fe
                    .all("default_backend")
                    .chain(fe.all("use_backend"))
                    .any(|l| {
                        l.words.get(1) == Some(&sections[*i].name)
                            || l.words.get(1).is_some_and(|t| t.contains("%["))
                    })
        });
        if !carries {
            continue;
        }
        for b in fe.all("bind") {
            let Some(p) = b.words.iter().position(|w| w.eq_ignore_ascii_case("proto")) else {
                continue;
            };
            if !b
                .words
                .get(p + 1)
                .is_some_and(|v| v.eq_ignore_ascii_case("h2"))
            {
                continue;
            }
            let f = LintFinding::new(
                RuleId::HaproxyBindH2,
                file,
                b.line,
                format!(
                    "bind {} forces HTTP/2 on this listener (proto h2): a WebSocket handshake sent as an HTTP/1.1 Upgrade, as every non-browser client and every browser on a plain-http URL sends it, is read as a bad HTTP/2 preface and the connection is closed ({} {} routes to WebSocket backends)",
                    b.words.get(1).map_or("", String::as_str),
                    fe.kind, fe.name
                ),
            )
            .severity(Severity::Warning)
            .quote(file, fe.line)
            .fix("Drop proto h2 and offer HTTP/2 through ALPN instead (ssl crt … alpn h2,http/1.1), so HTTP/1.1 clients can still upgrade.")
            .replace_with([b.words[..p].join(" ")]);
            ctx.push(f);
        }
    }
}

/// The shortest `timeout client` of the frontends (or listen sections) that route to
/// backend `i`, each from its own lines or its defaults.
fn client_timeout(sections: &[Section], i: usize) -> Option<(&Line, u64)> {
    let name = &sections[i].name;
    sections
        .iter()
        .filter(|fe| fe.kind == "frontend" || fe.kind == "listen")
        .filter(|fe| {
            fe.all("default_backend")
                .chain(fe.all("use_backend"))
                .any(|l| l.words.get(1) == Some(name))
        })
        .filter_map(|fe| timeout(sections, fe, "client"))
        .min_by_key(|(_, ms)| *ms)
}

/// `mode http` in the section or its defaults; HAProxy's default is tcp.
fn http_mode(sections: &[Section], s: &Section) -> bool {
    s.find(&["mode"])
        .or_else(|| s.defaults.and_then(|d| sections[d].find(&["mode"])))
        .is_some_and(|l| {
            l.words
                .get(1)
                .is_some_and(|m| m.eq_ignore_ascii_case("http"))
        })
}

fn check_affinity(ctx: &mut Ctx, file: &str, sections: &[Section], s: &Section, why: &str) {
    let polling = wspath::is_polling_endpoint(&s.name) || wspath::is_polling_endpoint(why);
    let servers = s.all("server").count();
    if !polling || servers < 2 {
        return;
    }
    // A cookie is ignored outside http mode (haproxy -c says so).
    let cookie = s.all("cookie").next().is_some();
    let cookie_ignored = cookie && !http_mode(sections, s);
    let sticky = s.find(&["balance", "source"]).is_some()
        || cookie && !cookie_ignored
        || s.all("stick").next().is_some()
        || s.all("stick-table").next().is_some()
        || s.find(&["balance", "url_param", "sid"]).is_some();
    if sticky {
        return;
    }
    let f = LintFinding::new(
        RuleId::HaproxyStickySessionMissing,
        file,
        s.line,
        format!(
            "{} {} balances {servers} servers without affinity{}: Socket.IO/SockJS long-polling requests of one session land on different servers ({why})",
            s.kind,
            s.name,
            if cookie_ignored {
                " (its cookie is ignored: the section is not in mode http)"
            } else {
                ""
            }
        ),
    )
    .severity(Severity::Warning)
    .fix("Pin sessions to one server with a cookie or balance source, or use the WebSocket transport only.")
    .replace_with(["balance source"]);
    ctx.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Options, lint_text};

    fn opts() -> Options {
        Options {
            input_format: Some(Format::Haproxy),
            ..Options::default()
        }
    }

    #[test]
    fn the_catalog_fix_is_printed_verbatim_and_the_step_here_goes_in_detail() {
        // Issue 9: a lint finding's `fix` is the catalog's own text; what to change in
        // this file is in `detail`. Before, `.fix(..)` replaced the catalog's text.
        let conf = "defaults\n  mode http\n  timeout tunnel 1h\nfrontend fe\n  bind :80\n  timeout tunnel 1h\n  default_backend app\nbackend app\n  server b 10.0.0.2:80\n";
        let r = lint_text("h.cfg", conf, &opts());
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == crate::RuleId::HaproxyTimeoutTunnelInFrontend)
            .expect("timeout tunnel in a frontend is found");
        assert_eq!(f.finding.fix, f.rule.cause().cause().fix);
        assert!(
            f.finding.detail.contains("Here: Move timeout tunnel"),
            "{}",
            f.finding.detail
        );
    }

    #[test]
    fn words_honour_quotes_comments_and_escapes() {
        assert_eq!(
            split_words("  acl is_ws hdr(Upgrade) -i WebSocket # c"),
            ["acl", "is_ws", "hdr(Upgrade)", "-i", "WebSocket"]
        );
        assert_eq!(
            split_words("errorfile 503 \"/a b\\\"c\""),
            ["errorfile", "503", "/a b\"c"]
        );
        assert_eq!(split_words("a\\ b"), ["a b"]);
        assert!(split_words("   # only").is_empty());
    }

    #[test]
    fn timeouts_follow_defaults_and_units() {
        let conf = "defaults\n  mode http\n  timeout client 30000\n  timeout server 50s\nfrontend fe\n  bind :80\n  acl is_ws path_beg /ws\n  use_backend app_ws if is_ws\n  default_backend app\nbackend app_ws\n  server a 10.0.0.1:80\nbackend app\n  server b 10.0.0.2:80\n";
        let r = lint_text("h.cfg", conf, &opts());
        assert_eq!(r.rules(), [RuleId::HaproxyNoTimeoutTunnel]);
        // The ping interval unknown: a note of what 30 s needs.
        assert_eq!(r.findings[0].finding.severity, Severity::Info);
        let slow = Options {
            ping_interval: Some(30),
            ..opts()
        };
        let r = lint_text("h.cfg", conf, &slow);
        let f = &r.findings[0];
        assert_eq!((f.line, f.finding.severity), (10, Severity::Warning));
        // 30000 is milliseconds: 30 s, at the assumed ping interval.
        assert!(f.finding.detail.contains("30 s"), "{}", f.finding.detail);
        assert_eq!(f.quoted.iter().map(|q| q.line).collect::<Vec<_>>(), [10, 3]);
        let with_tunnel = conf.replace(
            "  timeout server 50s\n",
            "  timeout server 50s\n  timeout tunnel 1h\n",
        );
        assert!(
            lint_text("h.cfg", &with_tunnel, &opts())
                .findings
                .is_empty()
        );
        let short = conf.replace("backend app_ws\n", "backend app_ws\n  timeout tunnel 3s\n");
        let r = lint_text("h.cfg", &short, &opts());
        assert_eq!(r.rules(), [RuleId::HaproxyTimeoutTunnelShort]);
        assert_eq!(r.findings[0].line, 11);
    }

    #[test]
    fn named_defaults_and_frontend_tunnel() {
        let conf = "defaults base\n  timeout client 1h\n  timeout server 1h\ndefaults other\n  timeout client 5s\nfrontend fe from base\n  timeout tunnel 1h\n  use_backend websocket if { hdr(upgrade) -i websocket }\nbackend websocket from base\n  server a 10.0.0.1:80\n";
        let r = lint_text("h.cfg", conf, &opts());
        assert_eq!(
            r.rules(),
            [
                RuleId::HaproxyTimeoutTunnelInFrontend,
                RuleId::HaproxyNoTimeoutTunnel
            ]
        );
        assert_eq!(r.findings[1].finding.severity, Severity::Info);
    }

    #[test]
    fn socketio_across_servers_needs_affinity() {
        let conf = "defaults\n  timeout tunnel 1h\nbackend socketio\n  server a 10.0.0.1:80\n  server b 10.0.0.2:80\n";
        let r = lint_text("h.cfg", conf, &opts());
        assert_eq!(r.rules(), [RuleId::HaproxyStickySessionMissing]);
        let fixed = conf.replace("backend socketio\n", "backend socketio\n  balance source\n");
        assert!(lint_text("h.cfg", &fixed, &opts()).findings.is_empty());
    }

    #[test]
    fn removed_options_are_errors_and_httpclose_is_fine() {
        let conf = "defaults\n  option http-tunnel\n  option httpclose\n  option forceclose\n  option http-server-close\n";
        let r = lint_text("h.cfg", conf, &opts());
        assert_eq!(
            r.rules(),
            [RuleId::HaproxyRemovedOption, RuleId::HaproxyRemovedOption]
        );
        assert_eq!(
            r.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
            [2, 4]
        );
        assert_eq!(r.findings[0].id().as_str(), "proxy-config-rejected");
    }

    #[test]
    fn unmarked_backends_are_judged_and_removed_keywords_refused() {
        // Nothing says WebSocket: the routed backend is judged, and says why.
        let conf = "global\n  nbproc 2\ndefaults\n  timeout client 5s\n  timeout server 5s\nfrontend fe 0.0.0.0:80\n  reqadd X-A:\\ b\n  default_backend app\nbackend app\n  server a 10.0.0.1:80\n";
        let r = lint_text("h.cfg", conf, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::HaproxyRemovedKeyword, 2),
                (RuleId::HaproxyAddressOnSectionLine, 6),
                (RuleId::HaproxyRemovedKeyword, 7),
                (RuleId::HaproxyNoTimeoutTunnel, 9)
            ]
        );
        assert_eq!(r.findings[0].id().as_str(), "proxy-config-rejected");
        assert!(
            r.findings[3]
                .finding
                .detail
                .contains("no backend is marked")
        );
        assert_eq!(r.findings[3].finding.severity, Severity::Warning);
    }

    /// Each refused by `haproxy -c` 2.6 (the messages quoted in the rule); the
    /// balanced forms beside them pass it.
    #[test]
    fn unbalanced_fetches_and_braces_are_refused() {
        let conf = "frontend fe\n  bind :80\n  acl a hdr(Host -i x\n  acl b req.hdr(host),lower,map_dom(/f) -m found\n  acl c path_reg ^/(v1|v2)/ws\n  use_backend b if a { hdr(Host -i m.example }\n  use_backend b if { hdr(Host) -i m.example\n  use_backend b if { hdr(host) -i a } || !{ ssl_fc }\n  default_backend b\nbackend b\n  timeout tunnel 1h\n  server s 10.0.0.1:80\n";
        let r = lint_text("h.cfg", conf, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::HaproxyConditionUnbalanced, 3),
                (RuleId::HaproxyConditionUnbalanced, 6),
                (RuleId::HaproxyConditionUnbalanced, 7)
            ]
        );
        assert_eq!(r.findings[0].id().as_str(), "proxy-config-rejected");
        assert!(r.findings[1].finding.detail.contains("hdr(Host"));
        assert!(r.findings[2].finding.detail.contains("missing closing '}'"));
    }

    #[test]
    fn keywords_removed_in_2_x_name_their_replacement() {
        let conf = "defaults\n  clitimeout 5000\n  srvtimeout 5000\n  contimeout 5000\n  grace 1s\n  option http_proxy\n  timeout tunnel 1h\n";
        let r = lint_text("h.cfg", conf, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::HaproxyRemovedKeyword, 2),
                (RuleId::HaproxyRemovedKeyword, 3),
                (RuleId::HaproxyRemovedKeyword, 4),
                (RuleId::HaproxyRemovedKeyword, 5),
                (RuleId::HaproxyRemovedOption, 6)
            ]
        );
        assert!(
            r.findings[0].finding.detail.contains("timeout client"),
            "{}",
            r.findings[0].finding.detail
        );
    }

    #[test]
    fn a_cookie_outside_http_mode_is_no_affinity() {
        let conf = "defaults\n  timeout tunnel 1h\nlisten chat\n  bind :80\n  default_backend nodes\nbackend nodes\n  cookie io prefix\n  server a 10.0.0.1:80 cookie a\n  server b 10.0.0.2:80 cookie b\n";
        let o = Options {
            ws_paths: vec!["/socket.io/".into()],
            ..opts()
        };
        let r = lint_text("h.cfg", conf, &o);
        assert_eq!(r.rules(), [RuleId::HaproxyStickySessionMissing]);
        assert!(r.findings[0].finding.detail.contains("not in mode http"));
        let http = conf.replace("defaults\n", "defaults\n  mode http\n");
        assert!(lint_text("h.cfg", &http, &o).findings.is_empty());
    }

    /// Checked with `haproxy -c` (2.6): both files are valid.
    #[test]
    fn http2_to_a_websocket_server_or_on_the_listener() {
        let conf = "defaults\n  mode http\n  timeout connect 5s\n  timeout client 1h\n  timeout server 1h\n  timeout tunnel 1h\nfrontend fe\n  bind 127.0.0.1:8081 proto h2\n  use_backend ws if { path_beg /ws }\n  default_backend app\nbackend ws\n  server s1 127.0.0.1:9001 proto h2\n  server s2 127.0.0.1:9002 ssl verify none alpn h2\nbackend app\n  server a 127.0.0.1:9000\n";
        let r = lint_text("h.cfg", conf, &opts());
        let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (RuleId::HaproxyBindH2, 8),
                (RuleId::HaproxyServerH2, 12),
                (RuleId::HaproxyServerH2, 13)
            ]
        );
        assert!(
            r.findings
                .iter()
                .all(|f| f.id().as_str() == "proxy-http2-only")
        );
        assert_eq!(
            r.findings[1].replacement,
            ["server s1 127.0.0.1:9001 proto h2 ws h1"]
        );
        // `ws h1` on the h2 server, ALPN offering http/1.1, no proto h2 on the bind.
        let fixed = "defaults\n  mode http\n  timeout connect 5s\n  timeout client 1h\n  timeout server 1h\n  timeout tunnel 1h\nfrontend fe\n  bind 127.0.0.1:8081\n  use_backend ws if { path_beg /ws }\n  default_backend app\nbackend ws\n  server s1 127.0.0.1:9001 proto h2 ws h1\n  server s2 127.0.0.1:9002 ssl verify none alpn h2,http/1.1\nbackend app\n  server a 127.0.0.1:9000\n";
        assert!(lint_text("h.cfg", fixed, &opts()).findings.is_empty());
        // A default-server line carries proto h2 to every server.
        let inherited = "defaults\n  mode http\n  timeout tunnel 1h\nfrontend fe\n  bind :80\n  default_backend ws\nbackend ws\n  default-server proto h2\n  server s1 10.0.0.1:80\n";
        assert_eq!(
            lint_text("h.cfg", inherited, &opts()).rules(),
            [RuleId::HaproxyServerH2]
        );
    }

    /// `alpn h2,http/1.1` on a WebSocket server: HAProxy before 2.5 (no `ws`
    /// keyword) relays WebSockets over the h2 a server picks. A `ws` keyword on any
    /// server line shows 2.5+, whose `auto` falls back to http/1.1. A server line
    /// quoted without its section is read as a backend. Checked with `haproxy -c` 2.6
    /// (the snippet inside a backend).
    #[test]
    fn alpn_offering_h2_first_and_server_lines_without_a_section() {
        let conf = "defaults
  mode http
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
frontend fe
  bind 127.0.0.1:8081
  default_backend app
backend app
  server a 127.0.0.1:9443 ssl verify none alpn h2,http/1.1
";
        let r = lint_text("h.cfg", conf, &opts());
        assert_eq!(r.rules(), [RuleId::HaproxyServerH2]);
        assert_eq!(r.findings[0].line, 11);
        assert!(r.findings[0].finding.detail.contains("before 2.5"));
        let pinned = conf.replace("alpn h2,http/1.1\n", "alpn h2,http/1.1 ws h1\n");
        assert!(lint_text("h.cfg", &pinned, &opts()).findings.is_empty());
        let newer = conf.replace(
            "default_backend app\n",
            "use_backend api if { path_beg /api }\n  default_backend app\nbackend api\n  server b 127.0.0.1:9000 ws auto\n",
        );
        assert_eq!(lint_text("h.cfg", &newer, &opts()).rules(), []);
        // One server line, as threads quote it.
        let line = "  server web backend:443 check ssl verify none alpn h2,http/1.1\n";
        let r = lint_text("haproxy.cfg", line, &opts());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rules(), [RuleId::HaproxyServerH2]);
        assert!(r.findings[0].finding.detail.contains("no section line"));
        let h1 = "  server web backend:443 check ssl verify none alpn http/1.1\n";
        assert!(lint_text("haproxy.cfg", h1, &opts()).findings.is_empty());
        // Lines with no server and no section stay an error.
        let r = lint_text("haproxy.cfg", "  timeout tunnel 1h\n", &opts());
        assert_eq!(r.errors.len(), 1);
    }

    /// A computed `use_backend %[…]` may pick any http backend; timeouts from the
    /// environment are unknown, so the missing tunnel timeout is a note. Checked with
    /// `haproxy -c` (2.6) and the variables set.
    #[test]
    fn computed_backends_and_timeouts_from_the_environment() {
        let conf = "defaults\n  mode http\n  timeout connect \"${T_CONNECT}\"\n  timeout client \"${T_CLIENT}\"\n  timeout server \"${T_SERVER}\"\nfrontend fe\n  bind 127.0.0.1:8082\n  use_backend %[req.hdr(host),lower,map(/dev/null,app)]\nbackend app\n  server a 127.0.0.1:9000\nbackend other\n  server b 127.0.0.1:9003\nbackend checks\n  mode tcp\n  server c 127.0.0.1:9004\n";
        let r = lint_text("h.cfg", conf, &opts());
        let got: Vec<(RuleId, usize, Severity)> = r
            .findings
            .iter()
            .map(|f| (f.rule, f.line, f.finding.severity))
            .collect();
        assert_eq!(
            got,
            [
                (RuleId::HaproxyNoTimeoutTunnel, 9, Severity::Info),
                (RuleId::HaproxyNoTimeoutTunnel, 11, Severity::Info)
            ]
        );
        assert!(
            r.findings[0]
                .finding
                .detail
                .contains("set from the environment")
        );
        let fixed = conf.replace(
            "timeout server \"${T_SERVER}\"\n",
            "timeout server \"${T_SERVER}\"\n  timeout tunnel \"${T_TUNNEL}\"\n",
        );
        assert!(lint_text("h.cfg", &fixed, &opts()).findings.is_empty());
        // Known short values still warn, on both computed targets.
        let known = conf.replace("\"${T_CLIENT}\"", "5s");
        assert_eq!(
            lint_text("h.cfg", &known, &opts()).rules(),
            [RuleId::HaproxyNoTimeoutTunnel; 2]
        );
    }
}
