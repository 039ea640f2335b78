//! wsdoctor: finds out why a WebSocket connection fails, says what to change, and
//! proves when it works.
//!
//! This file only parses flags and dispatches; each subcommand lives in `cmd/` and
//! returns the process exit code. Exit codes are documented in the README and never
//! renumbered: 0 ok, 1 warnings, 2 usage, 3 internal, 10.. one per failing layer.

mod cmd;
mod output;
mod render;
mod signals;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "wsdoctor",
    version,
    about = "Finds out why a WebSocket connection fails, says what to change, and proves when it works."
)]
pub struct Cli {
    /// When to colour output: auto (a terminal without NO_COLOR or TERM=dumb), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: output::ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Layered live diagnosis of one WebSocket URL.
    Check(Box<cmd::check::CheckArgs>),
    /// Load and latency: closed or open loop, HDR percentiles, failures by cause id.
    Bench(Box<cmd::bench::BenchArgs>),
    /// The built-in demo: start the fault lab on loopback and diagnose every scenario.
    Tour(cmd::tour::TourArgs),
    /// Run the fault lab: broken and healthy WebSocket servers on 127.0.0.1.
    Lab(cmd::lab::LabArgs),
    /// Find WebSocket mistakes in reverse-proxy configuration, with file:line.
    Lint(cmd::lint::LintArgs),
    /// Explain an error message, close code, HTTP status or cause id.
    Explain(cmd::explain::ExplainArgs),
    /// Scan server and client logs for WebSocket failure signatures.
    Logs(cmd::logs::LogsArgs),
    /// Diagnose every WebSocket connection in a packet capture (pcap, pcapng) with check's rules.
    Pcap(cmd::pcap::PcapArgs),
    /// Prometheus exporter: /probe?target=URL runs the whole check; /metrics, a status page at /.
    Serve(cmd::serve::ServeArgs),
    /// Conformance suite: Autobahn|Testsuite's cases and verdicts against a live server.
    Conform(cmd::conform::ConformArgs),
    /// Print shell completions.
    Completions(cmd::completions::CompletionsArgs),
    /// Print the man page of wsdoctor or of one subcommand (or write them all with --dir).
    Man(cmd::man::ManArgs),
    /// Print the JSON Schema of a --json output (or write them all with --dir).
    Schema(cmd::schema::SchemaArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let style = output::Style::resolve(cli.color);
    let result = match cli.command {
        Command::Check(a) => cmd::check::run(*a, style),
        Command::Bench(a) => cmd::bench::run(*a, style),
        Command::Tour(a) => cmd::tour::run(a, style),
        Command::Lab(a) => cmd::lab::run(a, style),
        Command::Lint(a) => cmd::lint::run(a, style),
        Command::Explain(a) => cmd::explain::run(a, style),
        Command::Logs(a) => cmd::logs::run(a, style),
        Command::Pcap(a) => cmd::pcap::run(a, style),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Conform(a) => cmd::conform::run(a, style),
        Command::Completions(a) => cmd::completions::run(a),
        Command::Man(a) => cmd::man::run(a),
        Command::Schema(a) => cmd::schema::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return ExitCode::from(0);
            }
            if let Some(u) = e.downcast_ref::<cmd::UsageError>() {
                eprintln!("wsdoctor: {}", render::shown::message(&u.to_string()));
                return ExitCode::from(2);
            }
            eprintln!(
                "wsdoctor: internal error: {}",
                render::shown::message(&format!("{e:#}"))
            );
            ExitCode::from(3)
        }
    }
}
