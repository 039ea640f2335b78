//! One module per proxy: each parses its syntax (keeping file and line for every
//! directive) and runs its rules. This module reads the input, picks the parser and
//! quotes the offending lines once the rules have run.

mod apache;
mod caddy;
mod envoy;
mod haproxy;
mod k8s;
mod lighttpd;
mod nginx;
mod traefik;
pub(crate) mod tree;

/// Whether a JSON text is Caddy's native config shape (for format detection).
pub(crate) fn caddy_json(text: &str) -> bool {
    caddy::is_json(text)
}

use crate::detect::{self, Format};
use crate::finding::{LintFinding, shown_line, shown_text};
use crate::report::{ErrorKind, LintReport, LintedFile};
use crate::source::{self, Origin, Sources};
use crate::{Input, Options, wspath};
use wsdoctor_core::Severity;

/// What every format's linter gets: the options, the sources read so far, and where
/// to put findings and errors.
pub(crate) struct Ctx<'a> {
    pub opts: &'a Options,
    pub sources: Sources,
    pub report: &'a mut LintReport,
    pub findings: Vec<LintFinding>,
}

impl Ctx<'_> {
    pub fn push(&mut self, f: LintFinding) {
        self.findings.push(f);
    }

    pub fn error(&mut self, file: &str, line: Option<usize>, msg: impl Into<String>) {
        self.report.error(file, line, msg);
    }

    /// A YAML/TOML document that did not parse, or hit one of the tree's caps.
    pub fn tree_error(&mut self, file: &str, syntax: &str, e: tree::TreeError) {
        self.report.push_error(crate::report::LintError {
            file: file.to_string(),
            line: e.line,
            message: format!("{syntax}: {}", e.message),
            kind: e.limit.then_some(ErrorKind::ParseLimit),
            chain: Vec::new(),
        });
    }

    /// What an idle timeout of `ms` does to WebSockets, given what is known of the
    /// application's ping interval.
    pub fn idle(&self, ms: u64) -> Idle {
        self.idle_on(ms, "")
    }

    /// [`Ctx::idle`] for a route whose path may name the framework behind it, whose
    /// default ping interval then stands in for an unknown one.
    pub fn idle_on(&self, ms: u64, path: &str) -> Idle {
        if self.opts.ping_interval.is_none()
            && let Some((framework, p)) = wspath::framework_ping(path)
        {
            return if ms > 0 && ms <= p * 1000 {
                Idle::Cut(format!(
                    "sooner than {framework}'s {p} s default ping interval (its path says {framework}; --ping-interval overrides)"
                ))
            } else {
                Idle::Fine
            };
        }
        match self.opts.ping_interval {
            _ if ms == 0 => Idle::Fine,
            Some(p) if ms <= p * 1000 => Idle::Cut(format!(
                "sooner than the application's {p} s ping interval (--ping-interval)"
            )),
            Some(_) => Idle::Fine,
            None if ms < wspath::UNKNOWN_PING_FLOOR * 1000 => Idle::Cut(format!(
                "shorter than any common keep-alive ({})",
                wspath::COMMON_PINGS
            )),
            None if ms <= wspath::UNKNOWN_PING_CEILING * 1000 => Idle::Note(format!(
                "fine only if the application pings more often than every {} (its interval is unknown: pass --ping-interval)",
                human_ms(ms)
            )),
            None => Idle::Fine,
        }
    }
}

/// The verdict on an idle timeout.
pub(crate) enum Idle {
    /// Long enough, or known to be above the ping interval.
    Fine,
    /// Fine only with pings more frequent than the timeout: said, as a note.
    Note(String),
    /// It cuts quiet WebSockets: why, as a phrase.
    Cut(String),
}

impl Idle {
    pub fn severity(&self) -> Severity {
        match self {
            Idle::Cut(_) => Severity::Warning,
            _ => Severity::Info,
        }
    }

    pub fn phrase(&self) -> &str {
        match self {
            Idle::Fine => "",
            Idle::Note(p) | Idle::Cut(p) => p,
        }
    }
}

/// What became of one input.
pub(crate) enum Outcome {
    /// Linted (or refused with an error); the files its includes read.
    Read { included: Vec<String> },
    /// Its proxy could not be told and the caller asked to skip such files quietly
    /// (a file met while walking a directory).
    Unrecognised,
}

pub(crate) fn lint_input(
    input: &Input,
    opts: &Options,
    report: &mut LintReport,
    skip_unrecognised: bool,
) -> Outcome {
    let nothing = Outcome::Read {
        included: Vec::new(),
    };
    let (name, text) = match input {
        Input::Path(p) => {
            let name = p.to_string_lossy().into_owned();
            match source::read_capped(p, opts.limits.max_file_bytes) {
                Ok(t) => (name, t),
                Err(e) => {
                    report.push_error(e.at(&name, None, ""));
                    return nothing;
                }
            }
        }
        Input::Text { name, text } => (name.clone(), text.clone()),
    };
    if source::statements(&text) > opts.limits.max_statements {
        report.push_error(source::too_many_statements(
            &name,
            None,
            opts.limits.max_statements,
        ));
        return nothing;
    }
    let format = match opts.input_format.or_else(|| detect::detect(&name, &text)) {
        Some(f) => f,
        None if skip_unrecognised => return Outcome::Unrecognised,
        None => {
            report.error(
                &name,
                None,
                "cannot tell which proxy this configuration is for: pass --input-format nginx|haproxy|apache|caddy|traefik|envoy|k8s|lighttpd",
            );
            return nothing;
        }
    };
    let dump = (format == Format::Nginx)
        .then(|| source::split_nginx_dump(&text))
        .flatten();
    let origin = match &dump {
        Some(files) => Origin::Dump(files.iter().cloned().collect()),
        None => Origin::Disk,
    };
    let mut ctx = Ctx {
        opts,
        sources: Sources::new(origin, opts.limits),
        report,
        findings: Vec::new(),
    };
    let errors_before = ctx.report.errors.len();
    match (&dump, format) {
        (Some(files), _) => {
            for (path, body) in files {
                ctx.sources.add(path, body.clone());
            }
            nginx::lint(&mut ctx, &files[0].0, &text);
        }
        (None, f) => {
            ctx.sources.add(&name, text.clone());
            match f {
                Format::Nginx => nginx::lint(&mut ctx, &name, &text),
                Format::Haproxy => haproxy::lint(&mut ctx, &name, &text),
                Format::Apache => apache::lint(&mut ctx, &name, &text),
                Format::Caddy => caddy::lint(&mut ctx, &name, &text),
                Format::Traefik => traefik::lint(&mut ctx, &name, &text),
                Format::Envoy => envoy::lint(&mut ctx, &name, &text),
                Format::K8s => k8s::lint(&mut ctx, &name, &text),
                Format::Lighttpd => lighttpd::lint(&mut ctx, &name, &text),
            }
        }
    }
    let Ctx {
        sources,
        findings,
        report,
        ..
    } = ctx;
    // A main file that failed to parse was not linted; included files that failed
    // are reported but the rest of the configuration still was.
    // An include cycle or limit hit in the main file still leaves it linted.
    let main_failed = report.errors[errors_before..].iter().any(|e| {
        let on_main = e.file == name || dump.as_ref().is_some_and(|d| d[0].0 == e.file);
        let refused_include = matches!(
            e.kind,
            Some(ErrorKind::IncludeCycle) | Some(ErrorKind::IncludeLimit)
        );
        on_main && !refused_include
    });
    if !main_failed || !findings.is_empty() {
        report.files.push(LintedFile {
            path: name.clone(),
            format,
        });
    }
    // Each file is split into lines (redacted and cut) once: big configurations have
    // many findings.
    let mut split_lines: std::collections::HashMap<String, Vec<String>> = Default::default();
    // Identical findings — one included file judged once for every place that
    // includes it (a snippet in each server block) — are kept once here: the report
    // merges them anyway, but only after quoting and redacting every copy, which
    // made a file included 60,000 times cost most of a minute.
    let mut seen = std::collections::HashSet::new();
    let findings = findings.into_iter().filter(|f| {
        seen.insert((
            f.file.clone(),
            f.line,
            f.rule,
            f.finding.severity,
            f.finding.detail.clone(),
        ))
    });
    for mut f in findings {
        let primary = (f.file.clone(), f.line);
        if !f
            .quoted
            .iter()
            .any(|q| (q.file.as_str(), q.line) == (primary.0.as_str(), primary.1))
        {
            f.quoted.insert(
                0,
                crate::finding::QuotedLine {
                    file: primary.0,
                    line: primary.1,
                    text: String::new(),
                },
            );
        }
        for q in &mut f.quoted {
            let lines = split_lines.entry(q.file.clone()).or_insert_with(|| {
                sources
                    .lines(&q.file)
                    .iter()
                    .map(|l| shown_line(l))
                    .collect()
            });
            q.text = q
                .line
                .checked_sub(1)
                .and_then(|i| lines.get(i))
                .cloned()
                .unwrap_or_default();
        }
        f.quoted
            .retain(|q| !q.text.trim().is_empty() || q.line == f.line);
        f.finding.detail = shown_text(&f.finding.detail);
        f.finding.fix = shown_text(&f.finding.fix);
        for r in &mut f.replacement {
            *r = shown_text(r);
        }
        report.findings.push(f);
    }
    let included = sources
        .names()
        .filter(|n| *n != name)
        .map(str::to_string)
        .collect();
    Outcome::Read { included }
}

/// The directives of an nginx configuration (or `nginx -T` dump) with its includes
/// spliced in, and the files read, for [`crate::read`].
pub(crate) fn nginx_directives(
    name: &str,
    text: String,
    opts: &Options,
    report: &mut LintReport,
) -> (Vec<crate::read::Directive>, Vec<String>) {
    let members = source::split_nginx_dump(&text);
    let main = match &members {
        Some(files) => files[0].0.clone(),
        None => name.to_string(),
    };
    read_with(name, text, members, opts, report, |ctx| {
        nginx::directives(ctx, &main)
    })
}

/// The directives of an Apache configuration with its includes, for [`crate::read`].
pub(crate) fn apache_directives(
    name: &str,
    text: String,
    opts: &Options,
    report: &mut LintReport,
) -> (Vec<crate::read::Directive>, Vec<String>) {
    read_with(name, text, None, opts, report, |ctx| {
        apache::directives(ctx, name)
    })
}

/// The common part of reading a configuration for another command: the statement
/// cap, the sources (the main file, or the `members` of an nginx -T dump), and the
/// files read.
fn read_with(
    name: &str,
    text: String,
    members: Option<Vec<(String, String)>>,
    opts: &Options,
    report: &mut LintReport,
    read: impl FnOnce(&mut Ctx) -> Vec<crate::read::Directive>,
) -> (Vec<crate::read::Directive>, Vec<String>) {
    if source::statements(&text) > opts.limits.max_statements {
        report.push_error(source::too_many_statements(
            name,
            None,
            opts.limits.max_statements,
        ));
        return (Vec::new(), Vec::new());
    }
    let origin = match &members {
        Some(files) => Origin::Dump(files.iter().cloned().collect()),
        None => Origin::Disk,
    };
    let mut ctx = Ctx {
        opts,
        sources: Sources::new(origin, opts.limits),
        report,
        findings: Vec::new(),
    };
    match members {
        Some(files) => {
            for (path, body) in files {
                ctx.sources.add(&path, body);
            }
        }
        None => ctx.sources.add(name, text),
    }
    let directives = read(&mut ctx);
    let mut files: Vec<String> = ctx.sources.names().map(str::to_string).collect();
    if let Some(i) = files.iter().position(|f| f == name) {
        let main = files.remove(i);
        files.insert(0, main);
    }
    (directives, files)
}

/// Why no public CA would certify `host`, if none would.
pub(crate) fn unverifiable_host(host: &str) -> Option<&'static str> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Some("an IP address");
    }
    if !host.is_empty() && !host.contains('.') {
        return Some("a one-label name (a container or service name)");
    }
    [
        ".local",
        ".internal",
        ".lan",
        ".svc",
        ".cluster.local",
        ".localdomain",
    ]
    .iter()
    .any(|s| host.ends_with(s))
    .then_some("an internal name")
}

/// Seconds in a duration written with an optional unit suffix (`90`, `90s`, `5m`,
/// `1h30m`, `500ms`), the unit of a bare number being `bare_unit_ms` milliseconds.
/// `None` when the text is not a duration.
pub(crate) fn duration_ms(text: &str, bare_unit_ms: u64) -> Option<u64> {
    let t = text.trim().trim_matches('"');
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.parse::<f64>() {
        return (n >= 0.0).then_some((n * bare_unit_ms as f64) as u64);
    }
    let mut total: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let ms = match unit {
            "us" => 0.001,
            "ms" => 1.0,
            "s" | "" => 1000.0,
            "m" | "min" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            "w" => 604_800_000.0,
            _ => return None,
        };
        total = total.saturating_add((n * ms) as u64);
    }
    Some(total)
}

/// A duration for people: `3 s`, `60 s`, `1.5 s`, `5 min`, `1 h`.
pub(crate) fn human_ms(ms: u64) -> String {
    if ms.is_multiple_of(3_600_000) && ms >= 3_600_000 {
        format!("{} h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) && ms >= 300_000 {
        format!("{} min", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_each_proxys_spelling() {
        assert_eq!(duration_ms("60", 1000), Some(60_000));
        assert_eq!(duration_ms("60", 1), Some(60));
        assert_eq!(duration_ms("3s", 1), Some(3000));
        assert_eq!(duration_ms("1h30m", 1000), Some(5_400_000));
        assert_eq!(duration_ms("500ms", 1000), Some(500));
        assert_eq!(duration_ms("\"3600s\"", 1000), Some(3_600_000));
        assert_eq!(duration_ms("1.5s", 1000), Some(1500));
        assert_eq!(duration_ms("abc", 1000), None);
        assert_eq!(duration_ms("10x", 1000), None);
        assert_eq!(duration_ms("", 1000), None);
        assert_eq!(duration_ms("-5", 1000), None);
        assert_eq!(human_ms(3000), "3 s");
        assert_eq!(human_ms(3_600_000), "1 h");
        assert_eq!(human_ms(300_000), "5 min");
        assert_eq!(human_ms(1500), "1.5 s");
    }
}

#[cfg(test)]
mod robustness {
    use crate::{Format, Options, lint_text};
    use std::path::PathBuf;

    /// xorshift64: deterministic, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn fixtures() -> Vec<String> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lint");
        [
            "nginx/broken/sites-enabled/chat",
            "nginx/nginx-T-broken.txt",
            "haproxy/broken.cfg",
            "apache/broken/sites/app.conf",
            "caddy/broken/Caddyfile",
            "traefik/broken/traefik.yml",
            "traefik/broken/traefik.toml",
            "envoy/broken.yaml",
            "k8s/broken.yaml",
        ]
        .iter()
        .map(|p| std::fs::read_to_string(root.join(p)).expect("fixture"))
        .collect()
    }

    /// Mangled configurations through every parser: each input ends up linted or
    /// reported as an error, and nothing panics.
    #[test]
    fn mangled_configurations_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let noise = [
            "{", "}", "\"", "'", ";", "\\", "#", "\n", "<", ">", ":", "- ", "[", "]", "&a ", "*a ",
            "\u{0}", "é",
        ];
        for base in fixtures() {
            for _ in 0..40 {
                let mut text: Vec<char> = base.chars().collect();
                for _ in 0..1 + rng.below(6) {
                    let at = rng.below(text.len() + 1);
                    match rng.below(3) {
                        0 => text.truncate(at),
                        1 => {
                            let end = (at + rng.below(40)).min(text.len());
                            text.drain(at..end);
                        }
                        _ => {
                            let n = noise[rng.below(noise.len())];
                            for (i, c) in n.chars().enumerate() {
                                text.insert((at + i).min(text.len()), c);
                            }
                        }
                    }
                }
                let text: String = text.into_iter().collect();
                for f in Format::ALL {
                    let opts = Options {
                        input_format: Some(f),
                        ..Options::default()
                    };
                    let r = lint_text("mangled", &text, &opts);
                    assert!(
                        !r.files.is_empty() || !r.errors.is_empty(),
                        "{f}: input vanished"
                    );
                    for finding in &r.findings {
                        assert!(finding.line >= 1);
                    }
                }
            }
        }
    }
}
