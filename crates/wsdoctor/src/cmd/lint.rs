//! `wsdoctor lint`: WebSocket mistakes in reverse-proxy configuration, with file:line,
//! the offending lines quoted and the lines to write instead.
//!
//! `--format` takes either an output format (human, json, sarif; the issue's
//! `--format sarif`) or an input format (nginx, haproxy, …, forcing the parser): the two
//! sets of names do not overlap, so one flag serves both without ambiguity, and
//! `--input-format` says the second meaning explicitly.

use crate::output::{Paint, Style};
use crate::render::shown;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use wsdoctor_core::Severity;
use wsdoctor_lint::{Format, Input, LintFinding, LintReport, NginxVersion, Options};

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// Configuration files to lint; `-` (or nothing, with a pipe on stdin) reads stdin,
    /// e.g. `nginx -T 2>&1 | wsdoctor lint`.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format (human, json, sarif) and/or input format (nginx, haproxy, apache,
    /// caddy, traefik, envoy, k8s, lighttpd); may be given twice, once of each kind.
    #[arg(long, value_name = "FORMAT")]
    pub format: Vec<String>,
    /// Shorthand for --format json (schema wsdoctor.lint/1).
    #[arg(long)]
    pub json: bool,
    /// Force the parser instead of detecting it from the content.
    #[arg(long, value_name = "PROXY")]
    pub input_format: Option<String>,
    /// The nginx version the configuration runs on (proxy_http_version 1.1 is the
    /// default from 1.29.7); otherwise read from `nginx -V` output in the input.
    #[arg(long, value_name = "X.Y.Z")]
    pub nginx_version: Option<String>,
    /// Directory relative includes resolve against (default: the main file's).
    #[arg(long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// A path that carries WebSockets, beyond those recognised by name (repeatable).
    #[arg(long = "ws-path", value_name = "PATH")]
    pub ws_paths: Vec<String>,
    /// How often your application pings, in seconds: idle timeouts at or below it are
    /// warnings (default: 30 s assumed).
    #[arg(long, value_name = "SECS")]
    pub ping_interval: Option<u64>,
    /// Exit 1 when a finding at or above this severity exists: info, warning, error,
    /// or never.
    #[arg(long, value_name = "SEVERITY", default_value = "warning")]
    pub fail_on: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Human,
    Json,
    Sarif,
}

pub fn run(args: LintArgs, style: Style) -> anyhow::Result<i32> {
    let (output, opts, fail_on) = resolve(&args)?;
    let inputs = inputs(&args, &opts)?;
    let report = wsdoctor_lint::lint(&inputs, &opts);
    let written = write_report(&report, output, style);
    // `wsdoctor lint … | head` closes the pipe early: the verdict is the same, so the
    // exit status still says whether findings reached --fail-on (a CI gate piping
    // through head must not pass).
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    if output != OutputFormat::Human {
        for e in &report.errors {
            eprintln!("wsdoctor: {}", shown::message(&error_line(e)));
        }
    }
    Ok(exit_code(&report, fail_on))
}

fn write_report(report: &LintReport, output: OutputFormat, style: Style) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    // Every output through the one last pass: redaction and terminal escapes.
    match output {
        OutputFormat::Human => {
            let mut shown = shown::Shown::new(&mut out, false, style.color);
            render_human(&mut shown, report, style)?;
            shown.flush()?;
        }
        OutputFormat::Json => shown::json(report, false, &mut out)?,
        OutputFormat::Sarif => {
            let sarif = wsdoctor_lint::to_sarif(report, env!("CARGO_PKG_VERSION"));
            shown::json(&sarif, false, &mut out)?;
        }
    }
    out.flush()
}

/// Text from the input (paths, quoted lines, arguments in details) as it may be
/// shown on a terminal: escape sequences made visible, not interpreted.
fn terminal(s: &str) -> std::borrow::Cow<'_, str> {
    wsdoctor_core::redact::terminal(s)
}

/// 2 when nothing could be linted; otherwise 1 when findings reach `--fail-on` or a
/// file could not be read or parsed (a gate must not pass on a config it never saw);
/// else 0.
fn exit_code(report: &LintReport, fail_on: Option<Severity>) -> i32 {
    if report.files.is_empty() {
        return 2;
    }
    let fails = fail_on.is_some_and(|t| report.fails(t));
    if fails || !report.errors.is_empty() {
        1
    } else {
        0
    }
}

fn resolve(args: &LintArgs) -> anyhow::Result<(OutputFormat, Options, Option<Severity>)> {
    let mut output = None;
    let mut input = None;
    if args.json {
        output = Some(OutputFormat::Json);
    }
    for f in &args.format {
        let out = match f.to_ascii_lowercase().as_str() {
            "human" | "text" => Some(OutputFormat::Human),
            "json" => Some(OutputFormat::Json),
            "sarif" => Some(OutputFormat::Sarif),
            _ => None,
        };
        match (out, Format::parse(f)) {
            (Some(o), _) => {
                if output.is_some_and(|p| p != o) {
                    return Err(super::usage(format!(
                        "two output formats given (--format {f} and another): pick one of human, json, sarif"
                    )));
                }
                output = Some(o);
            }
            (None, Some(i)) => input = Some(i),
            (None, None) => {
                return Err(super::usage(format!(
                    "--format {f} is unknown: use human, json or sarif for the output, or nginx, haproxy, apache, caddy, traefik, envoy, k8s, lighttpd to force the parser"
                )));
            }
        }
    }
    if let Some(name) = &args.input_format {
        let f = Format::parse(name).ok_or_else(|| {
            super::usage(format!(
                "--input-format {name} is unknown: use nginx, haproxy, apache, caddy, traefik, envoy, k8s or lighttpd"
            ))
        })?;
        if input.is_some_and(|i| i != f) {
            return Err(super::usage(
                "--format and --input-format name different proxies: give one",
            ));
        }
        input = Some(f);
    }
    let nginx_version = match &args.nginx_version {
        Some(v) => Some(NginxVersion::parse(v).ok_or_else(|| {
            super::usage(format!(
                "--nginx-version {v} is not a version: write it like 1.24.0 (nginx -v prints it)"
            ))
        })?),
        None => None,
    };
    let fail_on = match args.fail_on.to_ascii_lowercase().as_str() {
        "never" | "none" => None,
        s => Some(Severity::parse(s).ok_or_else(|| {
            super::usage(format!(
                "--fail-on {s} is unknown: use info, warning, error or never"
            ))
        })?),
    };
    if args.ping_interval == Some(0) {
        return Err(super::usage("--ping-interval must be at least 1 second"));
    }
    let opts = Options {
        input_format: input,
        nginx_version,
        prefix: args.prefix.clone(),
        ws_paths: args.ws_paths.clone(),
        ping_interval: args.ping_interval,
        ..Options::default()
    };
    Ok((output.unwrap_or(OutputFormat::Human), opts, fail_on))
}

fn inputs(args: &LintArgs, opts: &Options) -> anyhow::Result<Vec<Input>> {
    let stdin_piped = !std::io::stdin().is_terminal();
    if args.files.is_empty() && !stdin_piped {
        return Err(super::usage(
            "no configuration given: name the files (wsdoctor lint /etc/nginx/nginx.conf) or pipe one in (nginx -T 2>&1 | wsdoctor lint -)",
        ));
    }
    let mut out = Vec::new();
    let wants_stdin = |p: &PathBuf| p.as_os_str() == "-";
    if args.files.is_empty() || args.files.iter().any(wants_stdin) {
        out.push(read_stdin(opts.limits.max_file_bytes)?);
    }
    out.extend(
        args.files
            .iter()
            .filter(|p| !wants_stdin(p))
            .map(|f| Input::Path(f.clone())),
    );
    Ok(out)
}

fn read_stdin(cap: u64) -> anyhow::Result<Input> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(cap + 1)
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(super::usage(format!(
            "stdin holds more than {cap} bytes of configuration: pass the files instead"
        )));
    }
    Ok(Input::Text {
        name: "<stdin>".into(),
        text: String::from_utf8_lossy(&buf).into_owned(),
    })
}

fn render_human(out: &mut impl Write, report: &LintReport, style: Style) -> std::io::Result<()> {
    let mut current: Option<&str> = None;
    for f in &report.findings {
        if current != Some(f.file.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", style.paint(&terminal(&f.file), Paint::Bold))?;
            current = Some(&f.file);
        }
        render_finding(out, f, style)?;
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    for e in &report.errors {
        writeln!(
            out,
            "{} {}",
            style.paint("cannot lint:", Paint::Error),
            terminal(&error_line(e))
        )?;
    }
    for a in &report.assumptions {
        writeln!(
            out,
            "{} {}",
            style.paint("assumed:", Paint::Dim),
            terminal(a)
        )?;
    }
    let c = &report.counts;
    let summary = format!(
        "{} error(s), {} warning(s), {} note(s) in {} configuration(s)",
        c.error,
        c.warning,
        c.info,
        report.files.len()
    );
    let paint = match report.worst() {
        Some(Severity::Error) => Paint::Error,
        Some(Severity::Warning) => Paint::Warn,
        _ => Paint::Ok,
    };
    writeln!(out, "{}", style.paint(&summary, paint))
}

fn render_finding(out: &mut impl Write, f: &LintFinding, style: Style) -> std::io::Result<()> {
    let (label, paint) = match f.finding.severity {
        Severity::Error => ("error", Paint::Error),
        Severity::Warning => ("warning", Paint::Warn),
        Severity::Info => ("note", Paint::Info),
    };
    writeln!(
        out,
        "  {}:{} {} {} {}",
        terminal(&f.file),
        f.line,
        style.paint(label, paint),
        style.paint(&f.finding.title, Paint::Bold),
        style.paint(&format!("[{}{} · {}]", f.id(), also(f), f.rule), Paint::Dim),
    )?;
    for q in &f.quoted {
        let at = if q.file == f.file {
            format!("{:>6}", q.line)
        } else {
            format!("{}:{}", terminal(&q.file), q.line)
        };
        writeln!(
            out,
            "    {} │ {}",
            style.paint(&at, Paint::Dim),
            terminal(q.text.trim_end())
        )?;
    }
    writeln!(out, "    {}", terminal(&f.finding.detail))?;
    writeln!(
        out,
        "    {} {}",
        style.paint("fix:", Paint::Ok),
        terminal(&f.finding.fix)
    )?;
    for r in &f.replacement {
        let r = terminal(r);
        writeln!(out, "      {}", style.paint(&format!("+ {r}"), Paint::Ok))?;
    }
    Ok(())
}

/// `, also proxy-upgrade-not-forwarded` for a finding that stands for two causes.
fn also(f: &LintFinding) -> String {
    f.also
        .iter()
        .map(|c| format!(", also {c}"))
        .collect::<String>()
}

fn error_line(e: &wsdoctor_lint::LintError) -> String {
    match e.line {
        Some(l) => format!("{}:{l}: {}", e.file, e.message),
        None => format!("{}: {}", e.file, e.message),
    }
}
