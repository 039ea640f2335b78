//! `wsdoctor check --targets FILE`: the whole check of every target of a file, a
//! bounded number at once, one result per target as it ends, then a summary grouped by
//! cause (schema `wsdoctor.targets/1`).
//!
//! A line is read exactly as an entry of `serve`'s `targets:` list
//! (`serve::config::line_target`): a URL, or `{url: URL, module: NAME}` naming a module
//! of `--config` (serve's file). The command line's flags are the module `default`.
//! Each target is resolved by `check::options` and probed by `check::probe`, as
//! `wsdoctor check URL` would. The file is streamed: only the targets being checked
//! and the summary's counts are held, so memory does not grow with the file.

use super::{CheckArgs, usage};
use crate::cmd::serve::config::{Config, DEFAULT_MODULE, Module, line_target};
use crate::output::{Paint, Style};
use crate::render::shown;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::task::JoinSet;
use wsdoctor_core::{CauseId, Layer, Report, Severity, Verdict};

/// Version of the JSON Lines contract; fields are only ever added.
pub const SCHEMA: &str = "wsdoctor.targets/1";
/// Targets checked at once unless `--max-concurrent` says otherwise.
const DEFAULT_CONCURRENT: usize = 64;
/// The most `--max-concurrent` takes: each target holds a socket or two.
const MAX_CONCURRENT: usize = 1024;
/// The longest line read: a target URL is at most 4 KiB (`serve::unusable_target`),
/// and a `{url, module}` mapping adds little.
pub const MAX_LINE: usize = 8 * 1024;
/// Example targets kept per cause in the summary.
const EXAMPLES: usize = 3;

/// One line of `--json` output.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TargetsLine {
    /// One target checked, written when its check ends (so not in file order).
    Target(TargetRecord),
    /// A line that is not a target: nothing was probed for it.
    BadLine(BadLine),
    /// The last line: counts, the exit code, the causes found.
    Summary(Summary),
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct TargetRecord {
    /// The line of the file (from 1).
    pub line: u64,
    /// The URL checked, secrets redacted (credentials, token parameters).
    pub target: String,
    /// The module whose options were used (`default`: the command line's flags).
    pub module: String,
    pub verdict: Verdict,
    /// What `wsdoctor check` would exit with for this target alone.
    pub exit_code: i32,
    /// The first failing layer in probe order, when the check failed.
    pub failed_layer: Option<Layer>,
    /// Catalog ids of the findings, headline first (`wsdoctor explain ID`).
    pub findings: Vec<CauseId>,
    /// Milliseconds spent in each layer reached.
    pub timings_ms: BTreeMap<Layer, f64>,
    /// Wall time of the whole check of this target.
    pub elapsed_ms: f64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct BadLine {
    pub line: u64,
    /// What is wrong and how to fix it; never the line's text (it may hold a secret).
    pub error: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub schema: String,
    /// Targets checked.
    pub targets: u64,
    pub ok: u64,
    pub warning: u64,
    pub failed: u64,
    pub bad_lines: u64,
    /// The exit code of the run (README, "check --targets").
    pub exit_code: i32,
    pub elapsed_ms: f64,
    pub max_concurrent: usize,
    /// Every cause found, most targets first.
    pub causes: Vec<CauseCount>,
}

#[derive(Serialize, schemars::JsonSchema, Clone)]
pub struct CauseCount {
    pub id: CauseId,
    pub layer: Layer,
    pub severity: Severity,
    /// Targets with this finding.
    pub targets: u64,
    /// The first few of them, redacted.
    pub examples: Vec<String>,
}

pub fn run(args: CheckArgs, style: Style) -> anyhow::Result<i32> {
    let Some(path) = args.targets.clone() else {
        return Err(usage("--targets FILE names the file of targets"));
    };
    if args.report.is_some() {
        return Err(usage(
            "--report writes one check's page; with --targets use --json for every target",
        ));
    }
    if args.verbose {
        return Err(usage(
            "-v shows one check's wire; with --targets check the target alone with -v",
        ));
    }
    let max = args.max_concurrent.unwrap_or(DEFAULT_CONCURRENT);
    if max == 0 || max > MAX_CONCURRENT {
        return Err(usage(format!(
            "--max-concurrent takes 1 to {MAX_CONCURRENT} targets at once"
        )));
    }
    let mut config = match &args.config {
        Some(p) => Config::load(p).map_err(usage)?,
        None => Config::builtin(),
    };
    // The command line's flags are the module of a line that names none; resolving
    // them once here reports a bad flag before any target is read.
    super::options(&CheckArgs {
        url: "ws://127.0.0.1/".into(),
        ..args.clone()
    })?;
    config.modules.retain(|m| m.name != DEFAULT_MODULE);
    config.modules.push(Module {
        name: DEFAULT_MODULE.into(),
        timeout: None,
        args: args.clone(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let out = std::io::stdout().lock();
    runtime.block_on(check_all(
        &path,
        config,
        Run {
            max,
            timeout: args.timeout,
            json: args.json,
            show_secrets: args.connect.show_secrets,
            style,
        },
        out,
    ))
}

#[derive(Clone, Copy)]
struct Run {
    max: usize,
    timeout: f64,
    json: bool,
    show_secrets: bool,
    style: Style,
}

async fn check_all(
    path: &Path,
    config: Config,
    run: Run,
    mut out: impl Write,
) -> anyhow::Result<i32> {
    let started = Instant::now();
    let name = path.display().to_string();
    let mut reader: Box<dyn AsyncBufRead + Unpin + Send> = if name == "-" {
        Box::new(BufReader::new(tokio::io::stdin()))
    } else {
        let meta = std::fs::metadata(path)
            .map_err(|e| usage(format!("--targets {name}: cannot read it ({e})")))?;
        if meta.is_dir() {
            return Err(usage(format!(
                "--targets {name} is a directory; give a file of targets, one a line"
            )));
        }
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| usage(format!("--targets {name}: cannot read it ({e})")))?;
        Box::new(BufReader::with_capacity(64 * 1024, file))
    };
    let mut tally = Tally::default();
    let mut running: JoinSet<(Checked, Report)> = JoinSet::new();
    let mut buf = Vec::with_capacity(MAX_LINE);
    let mut n = 0u64;
    loop {
        while let Some(done) = running.try_join_next() {
            emit_done(done, &mut tally, run, &mut out)?;
        }
        while running.len() >= run.max {
            if let Some(done) = running.join_next().await {
                emit_done(done, &mut tally, run, &mut out)?;
            }
        }
        n += 1;
        let line = match read_line(&mut reader, &mut buf).await {
            Ok(None) => break,
            Ok(Some(Line::TooLong)) => Err(format!(
                "line {n}: longer than {MAX_LINE} bytes; a line holds one URL (at most 4096 characters) or {{url: URL, module: NAME}}"
            )),
            Ok(Some(Line::Text)) => match std::str::from_utf8(&buf) {
                Ok(text) => line_target(n, text, &config),
                Err(_) => Err(format!("line {n}: not UTF-8 text; save the file as UTF-8")),
            }
            .and_then(|t| match t {
                None => Ok(None),
                Some(t) => prepare(&t, &config, run.timeout)
                    .map(|(opts, timeout)| Some((t, opts, timeout)))
                    .map_err(|e| format!("line {n}: {e}")),
            }),
            Err(e) => {
                return Err(usage(format!(
                    "--targets {name}: reading line {n} failed ({e})"
                )));
            }
        };
        match line {
            Ok(None) => {}
            Ok(Some((target, opts, timeout))) => {
                let module = target.module;
                running.spawn(async move {
                    let start = Instant::now();
                    let wait = Duration::from_secs_f64(timeout) + Duration::from_secs(2);
                    // check keeps its own deadline; this only bounds one that would not.
                    let report =
                        tokio::time::timeout(wait, super::probe(&opts, &wsdoctor_net::NoWire))
                            .await
                            .unwrap_or_else(|_| crate::cmd::serve::overran(&opts, start.elapsed()));
                    let checked = Checked {
                        line: n,
                        module,
                        elapsed: start.elapsed(),
                    };
                    (checked, report)
                });
            }
            Err(error) => {
                tally.bad_lines += 1;
                let bad = BadLine { line: n, error };
                if run.json {
                    shown::json_line(&TargetsLine::BadLine(bad), run.show_secrets, &mut out)?;
                } else {
                    let msg = format!("--targets {name}: {}", bad.error);
                    eprintln!("wsdoctor: {}", shown::message(&msg));
                }
            }
        }
    }
    while let Some(done) = running.join_next().await {
        emit_done(done, &mut tally, run, &mut out)?;
    }
    if tally.targets == 0 && tally.bad_lines == 0 {
        return Err(usage(format!(
            "--targets {name} holds no target; put one URL (or {{url: URL, module: NAME}}) a line"
        )));
    }
    let summary = tally.summary(run.max, started.elapsed());
    let code = summary.exit_code;
    if run.json {
        shown::json_line(&TargetsLine::Summary(summary), run.show_secrets, &mut out)?;
    } else {
        human_summary(&summary, run.style, &mut out)?;
    }
    out.flush()?;
    Ok(code)
}

/// A line's target resolved into probe options and its deadline.
fn prepare(
    t: &crate::cmd::serve::config::Target,
    config: &Config,
    default_timeout: f64,
) -> Result<(wsdoctor_net::ProbeOptions, f64), String> {
    let module = config
        .module(&t.module)
        .ok_or_else(|| format!("module {:?} is not defined", t.module))?;
    let timeout = module.timeout.unwrap_or(default_timeout);
    let opts = super::options(&module.check_args(&t.url, timeout)).map_err(|e| e.to_string())?;
    Ok((opts, timeout))
}

enum Line {
    /// `buf` holds the line, without its end.
    Text,
    /// Over `MAX_LINE`; the rest of it was skipped.
    TooLong,
}

/// Reads one line into `buf`, keeping at most `MAX_LINE` bytes: a file without line
/// breaks cannot make it hold more. `None` at the end of the input.
async fn read_line(
    r: &mut (impl AsyncBufRead + Unpin + ?Sized),
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Line>> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (part, end) = match memchr(b'\n', chunk) {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if !too_long {
            if buf.len() + part.len() > MAX_LINE {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = end.unwrap_or(chunk.len());
        r.consume(used);
        if end.is_some() {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(if too_long { Line::TooLong } else { Line::Text }))
}

fn memchr(b: u8, s: &[u8]) -> Option<usize> {
    s.iter().position(|&c| c == b)
}

/// What the spawned check hands back beside its report.
struct Checked {
    line: u64,
    module: String,
    elapsed: Duration,
}

fn emit_done(
    done: Result<(Checked, Report), tokio::task::JoinError>,
    tally: &mut Tally,
    run: Run,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let (checked, report) = done.map_err(|e| anyhow::anyhow!("a check ended abnormally: {e}"))?;
    let record = record(&checked, &report);
    tally.add(&record, &report);
    if run.json {
        shown::json_line(&TargetsLine::Target(record), run.show_secrets, out)?;
    } else {
        human_line(&record, &report, run, out)?;
    }
    Ok(())
}

fn record(c: &Checked, report: &Report) -> TargetRecord {
    let mut timings_ms = BTreeMap::new();
    for p in &report.phases {
        if let Some(ms) = p.ms {
            timings_ms.insert(p.layer, ms);
        }
    }
    TargetRecord {
        line: c.line,
        target: report.target.clone(),
        module: c.module.clone(),
        verdict: report.verdict,
        exit_code: report.exit_code(),
        failed_layer: if report.verdict == Verdict::Failed {
            report.failing_layer()
        } else {
            None
        },
        findings: report.findings.iter().map(|f| f.id).collect(),
        timings_ms,
        elapsed_ms: c.elapsed.as_secs_f64() * 1000.0,
    }
}

/// The counts of the summary; bounded by the catalog, not by the file.
#[derive(Default)]
struct Tally {
    targets: u64,
    ok: u64,
    warning: u64,
    failed: u64,
    bad_lines: u64,
    /// The lowest exit code of a failed target (its earliest failing layer).
    first_failure: Option<i32>,
    causes: BTreeMap<CauseId, CauseCount>,
}

impl Tally {
    fn add(&mut self, r: &TargetRecord, report: &Report) {
        self.targets += 1;
        match r.verdict {
            Verdict::Ok => self.ok += 1,
            Verdict::Warning => self.warning += 1,
            Verdict::Failed => {
                self.failed += 1;
                self.first_failure = Some(
                    self.first_failure
                        .map_or(r.exit_code, |c| c.min(r.exit_code)),
                );
            }
        }
        let mut seen = Vec::new();
        for f in &report.findings {
            if seen.contains(&f.id) {
                continue;
            }
            seen.push(f.id);
            let c = self.causes.entry(f.id).or_insert_with(|| CauseCount {
                id: f.id,
                layer: f.layer,
                severity: f.severity,
                targets: 0,
                examples: Vec::new(),
            });
            c.targets += 1;
            if c.examples.len() < EXAMPLES {
                c.examples.push(r.target.clone());
            }
        }
    }

    fn summary(&self, max: usize, elapsed: Duration) -> Summary {
        let mut causes: Vec<CauseCount> = self.causes.values().cloned().collect();
        causes.sort_by(|a, b| b.targets.cmp(&a.targets).then(a.id.cmp(&b.id)));
        let exit_code = if self.bad_lines > 0 {
            2
        } else if let Some(c) = self.first_failure {
            c
        } else if self.warning > 0 {
            1
        } else {
            0
        };
        Summary {
            schema: SCHEMA.into(),
            targets: self.targets,
            ok: self.ok,
            warning: self.warning,
            failed: self.failed,
            bad_lines: self.bad_lines,
            exit_code,
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
            max_concurrent: max,
            causes,
        }
    }
}

fn human_line(
    r: &TargetRecord,
    report: &Report,
    run: Run,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let style = run.style;
    let verdict = match r.verdict {
        Verdict::Ok => style.paint("ok     ", Paint::Ok),
        Verdict::Warning => style.paint("warning", Paint::Warn),
        Verdict::Failed => style.paint("FAILED ", Paint::Error),
    };
    let headline = report
        .findings
        .iter()
        .find(|f| f.is_error())
        .or(report.findings.first())
        .map(|f| format!("  {}: {}", f.id.as_str(), f.title))
        .unwrap_or_default();
    let text = format!(
        "{verdict} line {} {}{headline} ({:.0} ms)",
        r.line, r.target, r.elapsed_ms
    );
    writeln!(out, "{}", shown::line(&text, run.show_secrets, style.color))
}

fn human_summary(s: &Summary, style: Style, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{} {} targets in {:.1} s: {} ok, {} with warnings, {} failed; {} bad lines (exit {})",
        style.paint("wsdoctor check --targets:", Paint::Bold),
        s.targets,
        s.elapsed_ms / 1000.0,
        s.ok,
        s.warning,
        s.failed,
        s.bad_lines,
        s.exit_code
    )?;
    for c in &s.causes {
        let examples = c.examples.join(", ");
        let text = format!(
            "  {:>6}  {} ({}, {})  e.g. {examples}",
            c.targets,
            c.id.as_str(),
            c.layer.as_str(),
            c.severity.as_str()
        );
        writeln!(out, "{}", shown::line(&text, false, style.color))?;
    }
    Ok(())
}
