//! Which `location` a request reaches, as nginx picks it, and which locations of a
//! server are WebSocket routes. A WebSocket mistake is only a mistake on the route
//! the Upgrade request really takes, so `--ws-path` is resolved the way nginx resolves
//! a request (exact, longest prefix, `^~`, regexes in order, nested locations), and
//! a server where nothing says "WebSocket" has every proxied route judged instead.

use super::parse::Directive;
use regex::Regex;

/// A location's match kind and pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match<'a> {
    Exact(&'a str),
    /// A prefix; `stop` for `^~` (a match ends the search before the regexes).
    Prefix {
        path: &'a str,
        stop: bool,
    },
    Regex {
        pattern: &'a str,
        caseless: bool,
    },
    Named(&'a str),
}

impl<'a> Match<'a> {
    pub fn of(d: &'a Directive) -> Option<Match<'a>> {
        match d.args.as_slice() {
            [m, p] => match m.as_str() {
                "=" => Some(Match::Exact(p)),
                "^~" => Some(Match::Prefix {
                    path: p,
                    stop: true,
                }),
                "~" | "~*" => Some(Match::Regex {
                    pattern: p,
                    caseless: m == "~*",
                }),
                _ => None,
            },
            [p] if p.starts_with('@') => Some(Match::Named(p)),
            [p] => Some(Match::Prefix {
                path: p,
                stop: false,
            }),
            _ => None,
        }
    }
}

/// The location of `locs` (and of the locations nested in it) that a request for
/// `path` reaches; `compile` turns a regex location into a matcher (`None` for what
/// cannot be compiled, which then never matches).
pub fn resolve<'a>(
    locs: &'a [Directive],
    path: &str,
    compile: &dyn Fn(&str, bool) -> Option<Regex>,
) -> Option<&'a Directive> {
    let mut best: Option<(&'a Directive, usize, bool)> = None;
    for d in locs.iter().filter(|d| d.name == "location") {
        match Match::of(d) {
            Some(Match::Exact(p)) if p == path => return Some(d),
            Some(Match::Prefix { path: p, stop })
                if path.starts_with(p) && best.is_none_or(|(_, len, _)| p.len() > len) =>
            {
                best = Some((d, p.len(), stop));
            }
            _ => {}
        }
    }
    // nginx searches the locations nested in the longest prefix before the regexes.
    let nested = best.and_then(|(d, _, _)| resolve(d.children(), path, compile));
    if let Some((d, _, true)) = best {
        return Some(nested.unwrap_or(d));
    }
    if let Some(n) = nested.filter(|n| matches!(Match::of(n), Some(Match::Regex { .. }))) {
        return Some(n);
    }
    let regex = locs.iter().filter(|d| d.name == "location").find(|d| {
        matches!(Match::of(d), Some(Match::Regex { pattern, caseless })
            if compile(pattern, caseless).is_some_and(|re| re.is_match(path)))
    });
    regex.or(nested).or(best.map(|(d, _, _)| d))
}

/// Every location in `locs`, nested ones included, depth first.
pub fn all_locations<'a>(locs: &'a [Directive], out: &mut Vec<&'a Directive>) {
    for d in locs.iter().filter(|d| d.name == "location") {
        out.push(d);
        all_locations(d.children(), out);
    }
}

/// Whether a named location (`@name`) is the target of anything in the configuration:
/// `try_files`, `error_page`, or (by the backend) `X-Accel-Redirect`, which lint cannot
/// see and the finding says so.
pub fn named_location_used(name: &str, all: &[Directive]) -> bool {
    all.iter().any(|d| {
        (d.name != "location" && d.args.iter().any(|a| a == name))
            || named_location_used(name, d.children())
    })
}

/// A prefix location written with regex syntax but without `~`: nginx compares it as
/// literal text, so it matches no real request path. Returns the characters that
/// give it away.
pub fn literal_regex(d: &Directive) -> Option<&'static str> {
    let Some(Match::Prefix { path, .. }) = Match::of(d) else {
        return None;
    };
    let tells: &[(&str, &'static str)] = &[
        ("(", "( )"),
        ("|", "|"),
        ("[", "[ ]"),
        ("\\", "\\"),
        (".*", ".*"),
        ("$", "$"),
    ];
    if path.starts_with('^') {
        return Some("^");
    }
    tells
        .iter()
        .find(|(t, _)| path.contains(t))
        .map(|(_, shown)| *shown)
}

/// Locations that plainly serve something other than an application that might
/// upgrade: assets by file extension or by folder name, health checks, ACME.
pub fn serves_something_else(d: &Directive) -> bool {
    if d.children().iter().any(|k| k.name == "internal") {
        return true;
    }
    let pattern = match Match::of(d) {
        Some(Match::Exact(p)) | Some(Match::Prefix { path: p, .. }) => p,
        Some(Match::Regex { pattern, .. }) => {
            // `~* \.(js|css|png)$`: a file-extension match.
            return pattern.contains("\\.(") || pattern.contains("\\.[");
        }
        Some(Match::Named(_)) | None => return true,
    };
    let first = pattern
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    STATIC_SEGMENTS.contains(&first.as_str())
}

/// First path segments of routes that serve files or probes, not applications.
const STATIC_SEGMENTS: &[&str] = &[
    "static",
    "assets",
    "media",
    "images",
    "img",
    "css",
    "js",
    "fonts",
    "favicon.ico",
    "robots.txt",
    ".well-known",
    "health",
    "healthz",
    "metrics",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::nginx::parse::parse;

    fn compile(p: &str, ci: bool) -> Option<Regex> {
        regex::RegexBuilder::new(p)
            .case_insensitive(ci)
            .build()
            .ok()
    }

    fn reached(conf: &str, path: &str) -> Option<usize> {
        let tree = parse("a", conf).unwrap();
        resolve(tree[0].children(), path, &compile).map(|d| d.line)
    }

    #[test]
    fn requests_reach_the_location_nginx_picks() {
        let conf = "server {\n location / {}\n location /ws/ {}\n location ~ ^/ws/admin {}\n location ^~ /ws/stop {}\n location = /ws/x {}\n location /api/ {\n  location ~ \\.php$ {}\n }\n}\n";
        assert_eq!(reached(conf, "/"), Some(2));
        assert_eq!(reached(conf, "/ws/chat"), Some(3));
        // A matching regex beats the longest prefix …
        assert_eq!(reached(conf, "/ws/admin/1"), Some(4));
        // … unless that prefix is ^~, and = beats everything.
        assert_eq!(reached(conf, "/ws/stop/1"), Some(5));
        assert_eq!(reached(conf, "/ws/x"), Some(6));
        // Nested regexes of the longest prefix are searched.
        assert_eq!(reached(conf, "/api/a.php"), Some(8));
        assert_eq!(reached(conf, "/api/a"), Some(7));
        assert_eq!(reached("server {\n location /a {}\n}\n", "/b"), None);
    }

    #[test]
    fn regex_syntax_in_a_prefix_location_is_told() {
        let tree = parse(
            "a",
            "location /(api/kernels/[^/]+/channels)/? {}\nlocation /ws/ {}\n",
        )
        .unwrap();
        assert_eq!(literal_regex(&tree[0]), Some("( )"));
        assert_eq!(literal_regex(&tree[1]), None);
    }

    #[test]
    fn named_locations_are_used_by_try_files_and_error_page() {
        let tree = parse(
            "a",
            "server {\n location / { try_files $uri @app; }\n location @app {}\n location @ws {}\n}\n",
        )
        .unwrap();
        assert!(named_location_used("@app", &tree));
        assert!(!named_location_used("@ws", &tree));
    }

    #[test]
    fn static_routes_are_told_apart() {
        let tree = parse(
            "a",
            "location /static/ {}\nlocation ~* \\.(js|css)$ {}\nlocation /auth { internal; }\nlocation /app/ {}\n",
        )
        .unwrap();
        let got: Vec<bool> = tree.iter().map(serves_something_else).collect();
        assert_eq!(got, [true, true, true, false]);
    }
}
