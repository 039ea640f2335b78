//! wsdoctor-lint: WebSocket mistakes in reverse-proxy configuration, with file:line.
//!
//! Most "works locally, fails in production" WebSocket reports come from a proxy or load
//! balancer configuration. This crate reads those configurations (nginx, HAProxy,
//! Apache httpd, Caddy, Traefik, Envoy, Kubernetes manifests) with hand-written,
//! line-tracking parsers, and reports each mistake as a catalog finding (the same ids
//! `check` reports live) plus the file, the line, the offending lines quoted and the
//! lines to write instead.
//!
//! The crate reads configuration files (following includes) but never touches the
//! network and never prints: the binary renders the [`LintReport`].

mod detect;
mod dir;
mod finding;
mod formats;
mod glob;
pub mod read;
mod report;
mod sarif;
mod source;
mod wspath;

#[cfg(test)]
mod hostile_tests;

pub use detect::Format;
pub use finding::{LintFinding, QuotedLine, RULES, Rule, RuleId};
pub use report::{ErrorKind, LintError, LintReport, LintedFile, SCHEMA};
pub use sarif::to_sarif;
pub use source::Limits;

use std::path::PathBuf;

/// An nginx version, compared numerically (1.29.7 > 1.22.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NginxVersion(pub u32, pub u32, pub u32);

impl NginxVersion {
    /// nginx 1.29.7 made HTTP/1.1 the default for proxied requests.
    pub const HTTP11_DEFAULT: NginxVersion = NginxVersion(1, 29, 7);

    /// Parses `1.22`, `1.22.1` or `nginx/1.22.1`.
    pub fn parse(s: &str) -> Option<NginxVersion> {
        let s = s.trim().trim_start_matches("nginx/");
        let mut parts = s.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = match parts.next() {
            Some(p) => p?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(NginxVersion(major, minor, patch))
    }
}

impl std::fmt::Display for NginxVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// What the user told us beyond the files themselves.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Force one parser for every input instead of detecting it from the content.
    pub input_format: Option<Format>,
    /// The nginx version the configuration runs on (`--nginx-version`); otherwise it
    /// is read from `nginx -T`/`nginx -V` output in the input, else assumed old.
    pub nginx_version: Option<NginxVersion>,
    /// Directory that relative nginx/Apache `include`s resolve against; by default the
    /// directory of the main file.
    pub prefix: Option<PathBuf>,
    /// Paths the user says carry WebSockets (`--ws-path`), beyond the heuristics.
    pub ws_paths: Vec<String>,
    /// How often the application pings, in seconds; timeouts at or below it cut
    /// idle connections. Unknown: timeouts under 10 s are warnings (no common
    /// keep-alive is that frequent) and those up to 5 min are notes saying which
    /// interval they need.
    pub ping_interval: Option<u64>,
    pub limits: Limits,
}

/// One thing to lint: a file on disk, or text read from stdin (e.g. `nginx -T | …`).
#[derive(Clone, Debug)]
pub enum Input {
    Path(PathBuf),
    Text { name: String, text: String },
}

/// Lints every input; a file that cannot be read or parsed becomes a [`LintError`]
/// and the others are still linted. A directory stands for the configuration files
/// in it.
pub fn lint(inputs: &[Input], opts: &Options) -> LintReport {
    let mut report = LintReport::new();
    for input in inputs {
        match input {
            Input::Path(p) if p.is_dir() => dir::lint_dir(p, opts, &mut report),
            _ => {
                formats::lint_input(input, opts, &mut report, false);
            }
        }
    }
    // Error messages quote include patterns and paths from the input.
    for e in &mut report.errors {
        e.message = finding::shown_text(&e.message);
    }
    report.finish();
    report
}

/// Lints one configuration text, as if read from a file called `name`. Handy for
/// tests and for callers that already hold the text.
pub fn lint_text(name: &str, text: &str, opts: &Options) -> LintReport {
    lint(
        &[Input::Text {
            name: name.to_string(),
            text: text.to_string(),
        }],
        opts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(
            NginxVersion::parse("nginx/1.22.1"),
            Some(NginxVersion(1, 22, 1))
        );
        assert_eq!(NginxVersion::parse("1.29"), Some(NginxVersion(1, 29, 0)));
        assert_eq!(NginxVersion::parse("1.x"), None);
        assert_eq!(NginxVersion::parse("1.2.3.4"), None);
        assert!(NginxVersion(1, 22, 1) < NginxVersion::HTTP11_DEFAULT);
        assert!(NginxVersion(1, 30, 0) > NginxVersion::HTTP11_DEFAULT);
    }
}
