//! `wsdoctor tour`: the built-in demonstration. Starts the fault lab on loopback,
//! runs `check` against every scenario at once, and shows whether wsdoctor found
//! what each scenario declares. Needs no network and no arguments; exits 1 when any
//! scenario is misdiagnosed, so it doubles as the scenario-matrix test.

use crate::output::{Paint, Style};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};
use wsdoctor_core::{CauseId, Report, Severity};
use wsdoctor_lab::{Endpoint, Lab, LabOptions, Scenario};
use wsdoctor_net::{ProbeOptions, ProxySetting};

#[derive(clap::Args, Debug)]
pub struct TourArgs {
    /// Print one JSON object (schema wsdoctor.tour/1) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Only these scenarios (names from `wsdoctor lab --list`).
    #[arg(long, num_args = 1.., value_name = "NAME")]
    pub only: Vec<String>,
    /// Also print every finding of every scenario.
    #[arg(short, long)]
    pub verbose: bool,
    /// Per-scenario deadline in seconds (the probe's --timeout).
    #[arg(long, value_name = "SECS", default_value = "4")]
    pub timeout: f64,
}

/// One scenario's outcome.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Row {
    pub scenario: &'static str,
    pub group: &'static str,
    pub url: String,
    pub what: &'static str,
    pub expect: Vec<CauseId>,
    pub found: Vec<CauseId>,
    pub verdict: &'static str,
    pub matched: bool,
    pub ms: f64,
    #[serde(skip)]
    pub report: Report,
}

/// `tour --json`, schema `wsdoctor.tour/1`.
#[derive(Serialize, schemars::JsonSchema)]
pub struct TourJson<'a> {
    schema: &'static str,
    passed: usize,
    total: usize,
    ms: f64,
    scenarios: &'a [Row],
}

pub fn run(args: TourArgs, style: Style) -> anyhow::Result<i32> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0) {
        return Err(super::usage("--timeout must be between 0 and 600 seconds"));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let rows = rt.block_on(tour(
        &args.only,
        Duration::from_secs_f64(args.timeout),
        style,
    ))?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let passed = rows.iter().filter(|r| r.matched).count();
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = TourJson {
            schema: "wsdoctor.tour/1",
            passed,
            total: rows.len(),
            ms,
            scenarios: &rows,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        table(&rows, args.verbose, style, &mut out)?;
        let score = format!(
            "{passed}/{} scenarios diagnosed as declared, in {:.1} s",
            rows.len(),
            ms / 1000.0
        );
        let paint = if passed == rows.len() {
            Paint::Ok
        } else {
            Paint::Error
        };
        writeln!(out, "\n{}", style.paint(&score, paint))?;
    }
    out.flush()?;
    Ok(if passed == rows.len() { 0 } else { 1 })
}

/// Start the lab, check every scenario concurrently, stop the lab.
pub async fn tour(only: &[String], timeout: Duration, style: Style) -> anyhow::Result<Vec<Row>> {
    let lab = Lab::start(LabOptions {
        only: only.to_vec(),
        port_base: None,
    })
    .await
    .map_err(|e| super::usage(e.to_string()))?;
    let ca_dir = tempfile::tempdir()?;
    let ca_file = ca_dir.path().join("wsdoctor-lab-ca.pem");
    std::fs::write(&ca_file, lab.ca_pem())?;
    let progress =
        crate::output::progress_bar("checking lab scenarios", lab.endpoints().len(), style);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, ep) in lab.endpoints().iter().enumerate() {
        let opts = plan_options(ep, &ca_file, timeout);
        let (scenario, url) = (ep.scenario, ep.url.clone());
        tasks.spawn(async move {
            let t = Instant::now();
            let report = super::check::probe(&opts, &wsdoctor_net::NoWire).await;
            (
                i,
                row(scenario, url, report, t.elapsed().as_secs_f64() * 1000.0),
            )
        });
    }
    let mut rows: Vec<(usize, Row)> = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (i, row) = done?;
        if let Some(p) = &progress {
            p.inc(1);
            p.set_message(row.scenario);
        }
        rows.push((i, row));
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    // Dropping the lab aborts its tasks and signals the blocked-loop server's thread
    // without waiting for it: that thread may still be working off a backlog of
    // deliberately slow handlers, and the process is about to exit anyway.
    drop(lab);
    rows.sort_by_key(|(i, _)| *i);
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// What `check` is told for a scenario: its plan, the lab CA, no proxy from the
/// environment (the tour must not leave loopback).
fn plan_options(ep: &Endpoint, ca_file: &Path, timeout: Duration) -> ProbeOptions {
    let plan = &ep.scenario.plan;
    ProbeOptions {
        url: wsdoctor_core::url::analyze(&ep.url, false),
        timeout: plan
            .timeout_s
            .map_or(timeout, |s| Duration::from_secs(s).min(timeout)),
        cacert: plan.use_lab_ca.then(|| ca_file.to_path_buf()),
        origin: plan.origin.map(str::to_string),
        subprotocols: plan.subprotocols.iter().map(|s| s.to_string()).collect(),
        message: plan.message.map(str::to_string),
        expect: plan.expect_message,
        proxy: match (&ep.proxy, plan.via_forward_proxy) {
            (Some(p), true) => ProxySetting::Url(p.clone()),
            _ => ProxySetting::None,
        },
        idle: plan.idle_s.map(Duration::from_secs),
        concurrency: plan.concurrency,
        ..ProbeOptions::default()
    }
}

/// A scenario matches when every declared cause was found; a healthy one when no
/// warning or error was found at all (no false alarms).
pub fn matches(scenario: &Scenario, report: &Report) -> bool {
    if scenario.expect.is_empty() {
        return report.findings.iter().all(|f| f.severity == Severity::Info);
    }
    scenario.expect.iter().all(|id| report.has(*id))
}

fn row(scenario: &'static Scenario, url: String, report: Report, ms: f64) -> Row {
    let found = report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| f.id)
        .collect();
    Row {
        scenario: scenario.name,
        group: scenario.group.as_str(),
        url,
        what: scenario.what,
        expect: scenario.expect.to_vec(),
        found,
        verdict: report.verdict.as_str(),
        matched: matches(scenario, &report),
        ms,
        report,
    }
}

fn table(rows: &[Row], verbose: bool, style: Style, out: &mut dyn Write) -> std::io::Result<()> {
    let width = rows
        .iter()
        .map(|r| r.scenario.len())
        .max()
        .unwrap_or(8)
        .max(8);
    writeln!(
        out,
        "{}",
        style.paint(
            &format!(
                "   {:<width$}  {:<9}  {:<34}  what wsdoctor found",
                "scenario", "layer", "cause"
            ),
            Paint::Bold
        )
    )?;
    let mut group = "";
    for r in rows {
        if r.group != group {
            group = r.group;
            writeln!(out, "{}", style.paint(&format!("── {group}"), Paint::Dim))?;
        }
        let mark = if r.matched {
            style.paint("✓", Paint::Ok)
        } else {
            style.paint("✗", Paint::Error)
        };
        // Show the declared cause when found, else the first error, else "healthy".
        let shown = r
            .expect
            .iter()
            .find_map(|id| r.report.findings.iter().find(|f| f.id == *id))
            .or_else(|| {
                r.report
                    .findings
                    .iter()
                    .find(|f| f.severity > Severity::Info)
            });
        let (layer, id, title) = match shown {
            Some(f) => (f.layer.as_str(), f.id.as_str(), f.title.as_str()),
            None => ("-", "-", "healthy: no problem found"),
        };
        writeln!(
            out,
            " {mark} {:<width$}  {layer:<9}  {id:<34}  {title}",
            r.scenario
        )?;
        if !r.matched {
            let expect: Vec<&str> = r.expect.iter().map(|i| i.as_str()).collect();
            let found: Vec<&str> = r.found.iter().map(|i| i.as_str()).collect();
            writeln!(
                out,
                "     {}",
                style.paint(
                    &format!(
                        "expected [{}], found [{}]",
                        expect.join(", "),
                        found.join(", ")
                    ),
                    Paint::Error
                )
            )?;
        }
        if verbose {
            for f in &r.report.findings {
                crate::render::human::finding(f, style, out)?;
            }
        }
    }
    Ok(())
}
