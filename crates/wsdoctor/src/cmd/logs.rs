//! `wsdoctor logs FILE…|-`: scans server and client logs (nginx in any log_format,
//! ingress-nginx, HAProxy, Apache, Envoy, Traefik, Caddy, AWS ALB, Cloudflare, HAR,
//! application logs; gzip read directly, container wrappers taken off; the format is
//! judged by content) for WebSocket failure signatures and prints
//! the causes with counts, first and last seen, affected URLs and upstreams, examples
//! with file:line, idle timeouts read from session durations and bursts of 502/504.
//!
//! Exit codes: 0 nothing found (informational findings only), 1 findings, 2 usage
//! (no file, an unreadable file: named in the message).

use crate::output::{Paint, Style};
use crate::render::shown;
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use wsdoctor_core::Severity;
use wsdoctor_logs::{
    Capped, LogFinding, LogFormat, LogReport, Options, ScanError, Scanner, Seen, nginx_log_formats,
};

/// Files at least this large get a progress bar on a terminal.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

#[derive(clap::Args, Debug)]
pub struct LogsArgs {
    /// Log files (plain or gzip; nginx, HAProxy, Apache, HAR exports, application
    /// logs); `-` reads stdin.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object (schema wsdoctor.logs/1) instead of text.
    #[arg(long)]
    pub json: bool,
    /// A path that carries WebSockets, beyond those recognised by name or seen
    /// answered with 101 (repeatable; a prefix, e.g. /events/).
    #[arg(long = "ws-path", value_name = "PATH")]
    pub ws_paths: Vec<String>,
    /// Example lines shown per cause.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub examples: usize,
    /// Read every file in this format instead of judging it from the content: access
    /// (combined, Apache, Traefik CLF), ingress-nginx, envoy, log-format (the one
    /// --log-format gives), nginx-error, haproxy, aws-alb, json (caddy, traefik-json,
    /// cloudflare), apache-error, text.
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,
    /// The format the access log was written in: an nginx log_format string
    /// ('$remote_addr … "$request" $status … $request_time'), an Apache LogFormat
    /// ('%h %l %u %t "%r" %>s %b %T') or an Envoy format string.
    #[arg(long = "log-format", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// An nginx config (or `nginx -T` output) whose log_format directives (and the
    /// access_log files written in them) say how to read the access logs; its
    /// includes are followed. A missing include or an include cycle is an error.
    #[arg(long = "nginx-conf", value_name = "FILE")]
    pub nginx_conf: Option<PathBuf>,
    /// Directory that relative includes of --nginx-conf resolve against (nginx's
    /// prefix, e.g. /etc/nginx); by default the config's own directory.
    #[arg(long = "nginx-prefix", value_name = "DIR", requires = "nginx_conf")]
    pub nginx_prefix: Option<PathBuf>,
}

pub fn run(args: LogsArgs, style: Style) -> anyhow::Result<i32> {
    let opened = open_all(&args.files);
    let total: u64 = opened.iter().flatten().map(|i| i.size).sum();
    let bar = (style.tty && total >= PROGRESS_MIN_BYTES).then(|| crate::output::bytes_bar(total));
    let opts = match options(&args) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("wsdoctor: {msg}");
            return Ok(2);
        }
    };
    let mut scanner = Scanner::new(opts);
    // One file that cannot be read (or is cut short, as a truncated .gz) costs that
    // file only: its error is named in the report built from the others.
    for input in opened {
        let mut input = match input {
            Ok(i) => i,
            Err((name, msg)) => {
                scanner.failed(&name, msg);
                continue;
            }
        };
        let mut tick = |n: u64| {
            if let Some(b) = &bar {
                b.inc(n);
            }
        };
        if let Err(e) = scanner.scan(&input.name, &mut input.reader, &mut tick) {
            scanner.failed(&input.name, scan_error(e));
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = scanner.finish();
    let mut out = std::io::stdout().lock();
    // Every output through the one last pass: redaction and terminal escapes.
    if args.json {
        shown::json(&report, false, &mut out)?;
    } else {
        let mut shown = shown::Shown::new(&mut out, false, style.color);
        render(&mut shown, &report, style)?;
        shown.flush()?;
    }
    out.flush()?;
    for e in &report.errors {
        let line = format!("cannot read {}: {}", e.path, e.message);
        eprintln!("wsdoctor: {}", shown::message(&line));
    }
    // Nothing read whole is the usage error it was before; a file lost among others
    // fails the run (a gate must not pass on logs it never read) but keeps the report.
    let read_whole = report
        .files
        .iter()
        .filter(|f| !report.errors.iter().any(|e| e.path == f.path))
        .count();
    Ok(if !report.errors.is_empty() && read_whole == 0 {
        2
    } else if report.has_problems() || !report.errors.is_empty() {
        1
    } else {
        0
    })
}

/// The scanner's options from the flags; a bad format or config is a usage error.
fn options(args: &LogsArgs) -> Result<Options, String> {
    let mut log_formats = Vec::new();
    if let Some(t) = &args.log_format {
        log_formats.push(LogFormat {
            name: "log-format".into(),
            template: t.clone(),
            files: Vec::new(),
        });
    }
    if let Some(conf) = &args.nginx_conf {
        let shown = terminal(&conf.display().to_string()).into_owned();
        let found = nginx_log_formats(conf, args.nginx_prefix.as_deref())
            .map_err(|e| format!("--nginx-conf {shown}: {}", terminal(&e)))?;
        log_formats.extend(found);
    }
    let opts = Options {
        ws_paths: args.ws_paths.clone(),
        max_examples: args.examples,
        format: args.format.clone(),
        log_formats,
        ..Options::default()
    };
    opts.check()?;
    Ok(opts)
}

struct Input {
    name: String,
    size: u64,
    reader: Box<dyn Read>,
}

/// Opens every file before any is scanned (so the progress bar knows the total); a
/// file that cannot be opened is an error for that file alone.
fn open_all(files: &[PathBuf]) -> Vec<Result<Input, (String, String)>> {
    files.iter().map(open_one).collect()
}

fn open_one(f: &PathBuf) -> Result<Input, (String, String)> {
    if f.as_os_str() == "-" {
        return Ok(Input {
            name: "-".into(),
            size: 0,
            reader: Box::new(std::io::stdin()),
        });
    }
    let name = f.display().to_string();
    let fail = |msg: String| (name.clone(), msg);
    let meta =
        std::fs::metadata(f).map_err(|e| fail(format!("{e}; check the path and permissions")))?;
    if meta.is_dir() {
        return Err(fail(format!(
            "it is a directory: pass the log files in it (e.g. {name}/*.log)"
        )));
    }
    // A device never ends (`/dev/zero`, `/dev/urandom`) and a socket is no log: refused
    // by type before opening. A FIFO is read — `logs <(kubectl logs …)` streams to its end.
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() || t.is_block_device() || t.is_socket() {
            return Err(fail(
                "it is a device or a socket, not a log file: not read (pipe a log on stdin instead: … | wsdoctor logs -)"
                    .into(),
            ));
        }
    }
    let file = File::open(f).map_err(|e| fail(format!("{e}; check the path and permissions")))?;
    Ok(Input {
        name: name.clone(),
        size: meta.len(),
        reader: Box::new(file),
    })
}

fn scan_error(e: ScanError) -> String {
    match e {
        ScanError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("{io}: the file ends early (a truncated .gz?); what was read before is counted")
        }
        ScanError::Io(io) => format!("{io}; what was read before is counted"),
        ScanError::Har(msg) => {
            format!("{msg}; export it again from the browser's Network panel")
        }
        ScanError::Unsupported(msg) => msg,
    }
}

/// Text from the logs as it may be shown on a terminal.
fn terminal(s: &str) -> std::borrow::Cow<'_, str> {
    wsdoctor_core::redact::terminal(s)
}

fn render(out: &mut impl Write, r: &LogReport, style: Style) -> std::io::Result<()> {
    let lines: u64 = r.files.iter().map(|f| f.lines).sum();
    let bytes: u64 = r.files.iter().map(|f| f.bytes).sum();
    writeln!(
        out,
        "{} {} file(s), {lines} lines, {}",
        style.paint("Scanned", Paint::Bold),
        r.files.len(),
        human_bytes(bytes)
    )?;
    for f in &r.files {
        let gz = if f.compressed { ", gzip" } else { "" };
        let wrapped = f.wrapper.map(|w| format!(" in {w}")).unwrap_or_default();
        writeln!(
            out,
            "  {}  {}{wrapped}{gz}",
            terminal(&f.path),
            terminal(&f.format)
        )?;
    }
    for e in &r.errors {
        writeln!(
            out,
            "  {} {}: {}",
            style.paint("cannot read", Paint::Error),
            terminal(&e.path),
            terminal(&e.message)
        )?;
    }
    let s = &r.sessions;
    if s.upgraded > 0 {
        let mut line = format!("WebSocket sessions: {} upgraded (101)", s.upgraded);
        if let (Some(m), Some(p)) = (s.median_seconds, s.p90_seconds) {
            line.push_str(&format!(
                ", {} with durations (median {m:.1} s, p90 {p:.1} s)",
                s.with_duration
            ));
        }
        writeln!(out, "{line}")?;
    }
    if let Some(h) = &r.har {
        writeln!(
            out,
            "HAR: {} entries, {} WebSocket ({} upgraded, {} failed), {} messages sent, {} received",
            h.entries, h.websockets, h.upgraded, h.failed, h.messages_sent, h.messages_received
        )?;
    }
    if r.findings.is_empty() {
        writeln!(
            out,
            "\n{}",
            style.paint("No WebSocket failure signatures found.", Paint::Ok)
        )?;
    }
    for f in &r.findings {
        finding(out, f, style)?;
    }
    if r.ignored_lines > 0 {
        writeln!(
            out,
            "\n{} lines with generic errors (refused, 502, …) were on paths not known to carry WebSockets; name such paths with --ws-path to count them.",
            r.ignored_lines
        )?;
    }
    if r.long_lines > 0 {
        writeln!(
            out,
            "{} lines longer than 1 MiB were read only in part.",
            r.long_lines
        )?;
    }
    Ok(())
}

fn finding(out: &mut impl Write, f: &LogFinding, style: Style) -> std::io::Result<()> {
    let paint = match f.severity {
        Severity::Error => Paint::Error,
        Severity::Warning => Paint::Warn,
        Severity::Info => Paint::Info,
    };
    writeln!(
        out,
        "\n{}  {}  {}",
        style.paint(f.id.as_str(), paint),
        style.paint(
            &format!("[{} · {}]", f.layer, f.severity.as_str()),
            Paint::Dim
        ),
        style.paint(&format!("{} occurrence(s)", f.count), Paint::Bold)
    )?;
    writeln!(out, "  {}", f.title)?;
    for t in &f.timeouts {
        // The component that wrote the log is the likeliest when the cut is at its own
        // default; the others near the value follow.
        let who = match (t.writer, t.component.as_deref()) {
            (Some(w), Some(c)) => format!(
                " — likely {} (it wrote this log); defaults near it: {c}",
                wsdoctor_core::tables::timeouts::vendor_timeout(w).setting
            ),
            (None, Some(c)) => format!(" — likely {c}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "  timeout: sessions end at {:.1} s ({} sessions within ±2%){who}",
            t.seconds, t.sessions
        )?;
    }
    for b in &f.bursts {
        writeln!(
            out,
            "  burst: {} between {} and {}",
            b.count, b.start, b.end
        )?;
    }
    if let (Some(a), Some(b)) = (&f.first_seen, &f.last_seen) {
        writeln!(out, "  first {}   last {}", seen(a), seen(b))?;
    }
    capped(out, "paths/urls", &f.urls)?;
    capped(out, "upstreams", &f.upstreams)?;
    let sigs: Vec<String> = f
        .signatures
        .iter()
        .map(|(k, v)| format!("{k} ({v})"))
        .collect();
    writeln!(
        out,
        "  {} {}",
        style.paint("seen as:", Paint::Dim),
        sigs.join(", ")
    )?;
    for e in &f.examples {
        writeln!(
            out,
            "  {} {}:{}  {}",
            style.paint("e.g.", Paint::Dim),
            terminal(&e.file),
            e.line,
            terminal(&e.text)
        )?;
    }
    if !f.alternatives.is_empty() {
        let alts: Vec<&str> = f.alternatives.iter().map(|a| a.as_str()).collect();
        writeln!(
            out,
            "  {} {}",
            style.paint("or:", Paint::Dim),
            alts.join(", ")
        )?;
    }
    writeln!(out, "  fix: {}", f.fix)
}

fn seen(s: &Seen) -> String {
    match &s.time {
        Some(t) => format!("{t} ({}:{})", terminal(&s.file), s.line),
        None => format!("{}:{}", terminal(&s.file), s.line),
    }
}

fn capped(out: &mut impl Write, label: &str, c: &Capped) -> std::io::Result<()> {
    if c.is_empty() {
        return Ok(());
    }
    let mut parts: Vec<String> = c
        .top(5)
        .iter()
        .map(|(k, n)| format!("{} ({n})", terminal(k)))
        .collect();
    let hidden = c.items.len().saturating_sub(5) as u64 + c.more;
    if hidden > 0 {
        parts.push(format!("…and {hidden} more"));
    }
    writeln!(out, "  {label}: {}", parts.join(", "))
}

fn human_bytes(b: u64) -> String {
    match b {
        0..1024 => format!("{b} B"),
        1024..1_048_576 => format!("{:.1} KiB", b as f64 / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MiB", b as f64 / 1_048_576.0),
        _ => format!("{:.2} GiB", b as f64 / 1_073_741_824.0),
    }
}
