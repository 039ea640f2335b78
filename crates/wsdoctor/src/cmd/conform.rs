//! `wsdoctor conform URL`: the Autobahn|Testsuite cases against a live server, with
//! Autobahn's ids and verdicts, in seconds. The cases, the verdict rules and the runner
//! live in `wsdoctor-conform`; this module reads flags, shows progress and renders.

use crate::output::{Paint, Style};
use std::io::Write;
use std::time::{Duration, Instant};
use wsdoctor_conform::report::{ConformReport, RunVerdict, accepted_verdicts};
use wsdoctor_conform::run::{RunOptions, Target};
use wsdoctor_conform::{Case, Verdict, cases, select};

#[derive(clap::Args, Debug)]
pub struct ConformArgs {
    /// The server to test: a ws:// or wss:// URL of an endpoint that echoes every message.
    #[arg(value_name = "URL", required_unless_present = "dry_run")]
    pub url: Option<String>,
    /// Only these cases: ids with `*` wildcards, comma-separated or repeated
    /// (e.g. `1.*,6.4.*,2.1`; a bare `6` is the whole category).
    #[arg(long, value_name = "PATTERNS")]
    pub cases: Vec<String>,
    /// Leave out these cases (same patterns), e.g. `--exclude 9.*`.
    #[arg(long, value_name = "PATTERNS")]
    pub exclude: Vec<String>,
    /// List the selected cases (id, RFC section, description) without connecting.
    #[arg(long)]
    pub dry_run: bool,
    /// Count NON-STRICT as failed.
    #[arg(long)]
    pub strict: bool,
    /// Accepted results (a previous --json report, Autobahn's index.json, or
    /// {"1.1.1": "OK", …}): exit 1 only when a verdict is worse than accepted.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<std::path::PathBuf>,
    /// Print the report as JSON (schema wsdoctor.conform/1).
    #[arg(long)]
    pub json: bool,
    /// Also write the results as JUnit XML (one testsuite per category) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// Also write a self-contained HTML report (categories, cases, transcripts) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
    /// Cases run at once, each on its own connection (heavy 9.* cases run alone).
    #[arg(long, value_name = "N", default_value = "8")]
    pub concurrency: usize,
    /// Cap in seconds on any one timer of a case (Autobahn's 9.* cases allow up to 1000 s).
    #[arg(long, value_name = "SECS", default_value = "20")]
    pub max_wait: u64,
    /// Show the wire transcript of every case that is not OK.
    #[arg(short, long)]
    pub verbose: bool,
    /// TLS for wss://, as `check` takes it: --cacert, --cert/--key, -k, --ca-store.
    #[command(flatten)]
    pub tls: super::check::TlsArgs,
}

pub fn run(args: ConformArgs, style: Style) -> anyhow::Result<i32> {
    let selected = select::select(cases::all(), &args.cases, &args.exclude)
        .map_err(|e| super::usage(e.to_string()))?;
    if selected.is_empty() {
        return Err(super::usage("the selection is empty: loosen --exclude"));
    }
    if !(1..=64).contains(&args.concurrency) {
        return Err(super::usage("--concurrency must be between 1 and 64"));
    }
    if !(1..=600).contains(&args.max_wait) {
        return Err(super::usage("--max-wait must be between 1 and 600 seconds"));
    }
    let accepted = args.expect.as_ref().map(read_expect).transpose()?;
    if args.dry_run {
        return dry_run(&selected, args.json);
    }
    // clap requires URL unless --dry-run.
    let url = args.url.as_deref().unwrap_or_default();
    let target = match Target::parse_with(url, connect_options(url, &args)?) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wsdoctor: {e}");
            return Ok(wsdoctor_core::Layer::Url.exit_code());
        }
    };
    let opts = RunOptions {
        concurrency: args.concurrency,
        max_wait: Duration::from_secs(args.max_wait),
        ..RunOptions::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    if let Err(e) = rt.block_on(wsdoctor_conform::run::preflight(&target, &opts)) {
        eprintln!(
            "wsdoctor: cannot test {}: {} (the {} layer failed; `wsdoctor check {}` diagnoses it)",
            target.display,
            e.message,
            e.layer.as_str(),
            target.display
        );
        return Ok(e.layer.exit_code());
    }
    let bar = crate::output::progress_bar("conformance cases", selected.len(), style);
    let runs = rt.block_on(wsdoctor_conform::run::run_all(
        &target,
        &selected,
        &opts,
        |case, _| {
            if let Some(b) = &bar {
                b.set_message(case.id.clone());
                b.inc(1);
            }
        },
    ));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let ms = started.elapsed().as_millis() as u64;
    let mut report = ConformReport::build(&target.display, &selected, &runs, args.strict, ms);
    if let Some(accepted) = &accepted {
        report.compare(accepted);
    }
    write_files(&report, &args)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        crate::render::shown::json(&report, false, &mut out)?;
    } else {
        // Close reasons and echoes come from the server: redacted and escaped on the way out.
        let mut shown = crate::render::shown::Shown::new(&mut out, false, style.color);
        human(&mut shown, &report, &args, style)?;
        shown.flush()?;
    }
    out.flush()?;
    Ok(match report.verdict {
        RunVerdict::Ok => 0,
        RunVerdict::Failed => 1,
    })
}

/// How `check` would connect to `url` with these TLS flags (and its defaults for the
/// rest), resolved by `check::options`, the one place that reads connection flags: a bad
/// `--cacert` is a usage error naming the file before any IO.
fn connect_options(url: &str, args: &ConformArgs) -> anyhow::Result<wsdoctor_net::ProbeOptions> {
    let defaults = super::check::defaults();
    super::check::options(&super::check::CheckArgs {
        url: url.to_string(),
        connect: super::check::ConnectArgs {
            tls: args.tls.clone(),
            ..defaults.connect.clone()
        },
        ..defaults
    })
}

/// `--junit` and `--html`: written after the run, each through a temporary file in the
/// same folder renamed into place, so a failed write never leaves half a report.
fn write_files(report: &ConformReport, args: &ConformArgs) -> anyhow::Result<()> {
    let files = [
        (
            &args.junit,
            "--junit",
            wsdoctor_conform::export::junit as fn(&_) -> _,
        ),
        (&args.html, "--html", wsdoctor_conform::export::html),
    ];
    for (path, flag, render) in files {
        let Some(path) = path else { continue };
        let text = render(report).map_err(|e| anyhow::anyhow!("{flag} {}: {e}", path.display()))?;
        crate::output::write_atomically(path, text.as_bytes()).map_err(|e| {
            anyhow::anyhow!(
                "{flag} {}: cannot write it ({e}); give a writable path",
                path.display()
            )
        })?;
    }
    Ok(())
}

fn read_expect(
    path: &std::path::PathBuf,
) -> anyhow::Result<std::collections::BTreeMap<String, Verdict>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| super::usage(format!("--expect {}: {e}", path.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| super::usage(format!("--expect {}: not JSON ({e})", path.display())))?;
    accepted_verdicts(&json).map_err(|e| super::usage(format!("--expect {}: {e}", path.display())))
}

fn dry_run(selected: &[Case], json: bool) -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    if json {
        let list: Vec<_> = selected
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id,
                    "section": c.section,
                    "description": c.description,
                    "expectation": c.expectation,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
    } else {
        for c in selected {
            writeln!(out, "{:<8} {:<16} {}", c.id, c.section, c.description)?;
        }
        writeln!(out, "{} cases", selected.len())?;
    }
    Ok(0)
}

fn human(
    out: &mut impl Write,
    r: &ConformReport,
    args: &ConformArgs,
    style: Style,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} {} — {} cases in {:.1} s",
        style.paint("wsdoctor conform", Paint::Bold),
        r.target,
        r.summary.total,
        r.ms as f64 / 1000.0
    )?;
    writeln!(
        out,
        "  {:<24} {:>5} {:>5} {:>10} {:>5} {:>6} {:>6}",
        "category", "cases", "OK", "NON-STRICT", "INFO", "UNIMPL", "FAILED"
    )?;
    for c in &r.categories {
        let n = &c.counts;
        let failed = format!("{:>6}", n.failed);
        writeln!(
            out,
            "  {:<24} {:>5} {:>5} {:>10} {:>5} {:>6} {}",
            format!("{} {}", c.id, c.title),
            n.total,
            n.ok,
            n.non_strict,
            n.informational,
            n.unimplemented,
            if n.failed > 0 {
                style.paint(&failed, Paint::Error)
            } else {
                failed
            }
        )?;
    }
    for case in &r.cases {
        let shown = match case.verdict {
            Verdict::Failed => true,
            Verdict::NonStrict => true,
            _ => args.verbose && case.close_verdict != wsdoctor_conform::CloseVerdict::Ok,
        };
        if !shown {
            continue;
        }
        let paint = if case.verdict == Verdict::Failed {
            Paint::Error
        } else {
            Paint::Warn
        };
        writeln!(
            out,
            "\n{} {} ({}, close {}) — {}",
            style.paint(case.verdict.as_str(), paint),
            case.id,
            case.section,
            case.close_verdict.as_str(),
            case.description
        )?;
        writeln!(out, "  expected: {}", case.expected)?;
        writeln!(out, "  observed: {}", case.observed)?;
        if !case.explanation.is_empty() {
            writeln!(out, "  why:      {}", case.explanation)?;
        }
        if let Some(cause) = case.cause {
            writeln!(
                out,
                "  live:     {} ({})",
                cause.as_str(),
                cause.cause().title
            )?;
        }
        if args.verbose {
            for line in &case.transcript {
                writeln!(out, "    {line}")?;
            }
        }
    }
    if !r.regressions.is_empty() {
        writeln!(out, "\nregressions against --expect:")?;
        for g in &r.regressions {
            writeln!(
                out,
                "  {}: {} → {}",
                g.id,
                g.accepted.map_or("(not listed)", Verdict::as_str),
                g.verdict.as_str()
            )?;
        }
    }
    let s = &r.summary;
    let code = if r.verdict == RunVerdict::Ok { 0 } else { 1 };
    writeln!(
        out,
        "\n{} OK, {} NON-STRICT, {} INFORMATIONAL, {} UNIMPLEMENTED, {} FAILED{} (exit {code})",
        s.ok,
        s.non_strict,
        s.informational,
        s.unimplemented,
        s.failed,
        if r.strict { ", --strict" } else { "" }
    )?;
    Ok(())
}
