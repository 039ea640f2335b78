//! `wsdoctor pcap FILE…|-`: reads packet captures (pcap, pcapng; `-` for
//! `tcpdump -w -`), rebuilds every TCP connection and diagnoses each WebSocket (or
//! attempted WebSocket) connection with the rules `check` uses: per connection its
//! endpoints, times and findings, then a summary grouped by cause. Files are read in
//! the order given as one capture (a rotated `tcpdump -C` set keeps its connections).
//!
//! Exit codes: 0 every WebSocket connection healthy (or none found), 1 a connection
//! with a warning or error, or a file read only up to damage; 2 usage (no file could
//! be read, a bad --filter, --keylog or --cacert).

use crate::output::{Paint, Style};
use crate::render::{human, shown};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use wsdoctor_core::{Severity, Verdict};
use wsdoctor_net::CaStore;
use wsdoctor_pcap::tls::KeyLog;
use wsdoctor_pcap::{
    Analyzer, CertJudge, Connection, Filter, Input, Options, SCHEMA, Summary, Totals,
};

/// Files at least this large get a progress bar on a terminal.
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

#[derive(clap::Args, Debug)]
pub struct PcapArgs {
    /// Capture files (pcap or pcapng, as tcpdump, dumpcap or Wireshark write them);
    /// `-` reads stdin (`tcpdump -U -w - … | wsdoctor pcap -`).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object (schema wsdoctor.pcap/1) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only connections with an endpoint at HOST:PORT (also HOST, or :PORT); HOST is
    /// an IP address, as in the capture.
    #[arg(long, value_name = "HOST:PORT")]
    pub filter: Option<String>,
    /// Decrypt TLS 1.3 connections with this key log (the file a client run with
    /// SSLKEYLOGFILE=FILE wrote: curl, browsers, `wsdoctor check`), so the
    /// certificates, the Upgrade and the frames inside `wss://` are judged too.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Trust this CA certificate (PEM) in addition to the store when judging the
    /// server certificates a capture shows (as `check --cacert`).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Trust anchors: webpki (Mozilla's set, built in) or system (the OS store).
    #[arg(long, value_name = "STORE", default_value = "webpki", value_parser = ["webpki", "system"])]
    pub ca_store: String,
}

pub fn run(args: PcapArgs, style: Style) -> anyhow::Result<i32> {
    let filter = match args.filter.as_deref().map(Filter::parse).transpose() {
        Ok(f) => f,
        Err(msg) => return Err(super::usage(msg)),
    };
    let keylog = match args.keylog.as_deref().map(KeyLog::read).transpose() {
        Ok(k) => k.map(Arc::new),
        Err(msg) => return Err(super::usage(msg)),
    };
    let probe_opts = wsdoctor_net::ProbeOptions {
        cacert: args.cacert.clone(),
        ca_store: if args.ca_store == "system" {
            CaStore::System
        } else {
            CaStore::Webpki
        },
        ..wsdoctor_net::ProbeOptions::default()
    };
    let certs = match CertJudge::new(&probe_opts) {
        Ok(j) => Arc::new(j),
        Err(msg) => return Err(super::usage(msg)),
    };
    let opts = Options {
        filter,
        keylog,
        certs: Some(certs),
        ..Options::default()
    };
    let total: u64 = args
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = (style.tty && total >= PROGRESS_MIN_BYTES).then(|| crate::output::bytes_bar(total));
    let mut out = std::io::stdout().lock();
    let mut printer = Printer::new(args.json, style);
    printer.start(&mut out)?;
    let mut summary = Summary::default();
    let mut inputs = Vec::new();
    let mut failed = Vec::new();
    let mut write_error: Option<std::io::Error> = None;
    let totals = {
        let mut analyzer = Analyzer::new(opts, |c: Connection| {
            summary.add(&c);
            if write_error.is_none()
                && let Err(e) = printer.connection(&mut out, &c)
            {
                write_error = Some(e);
            }
        });
        for f in &args.files {
            let name = f.display().to_string();
            let input = match open(f) {
                Ok(i) => i,
                Err(msg) => {
                    failed.push((name, msg));
                    continue;
                }
            };
            let (stats, err) = analyzer.read(input, |n| {
                if let Some(b) = &bar {
                    b.inc(n);
                }
            });
            if let Some(e) = &err {
                failed.push((name.clone(), e.to_string()));
            }
            inputs.push(Input::new(&name, &stats, err.as_ref()));
        }
        analyzer.finish()
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(e) = write_error {
        return Err(e.into());
    }
    printer.finish(&mut out, &inputs, &summary, &totals)?;
    out.flush()?;
    for (name, msg) in &failed {
        eprintln!("wsdoctor: {}", shown::message(&format!("{name}: {msg}")));
    }
    let read_any = inputs.iter().any(|i| i.format.is_some());
    Ok(if !read_any {
        2
    } else if !failed.is_empty() || printer.problems > 0 {
        1
    } else {
        0
    })
}

fn open(f: &PathBuf) -> Result<Box<dyn Read + Send>, String> {
    if f.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdin()));
    }
    let meta = std::fs::metadata(f).map_err(|e| format!("{e}; check the path"))?;
    if meta.is_dir() {
        return Err("it is a directory: pass the capture files in it".into());
    }
    let file = std::fs::File::open(f).map_err(|e| format!("{e}; check the permissions"))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)))
}

/// Writes connections as they come, in text or as the streamed JSON document.
struct Printer {
    json: bool,
    style: Style,
    first: bool,
    /// Connections with a warning or an error.
    problems: u64,
}

impl Printer {
    fn new(json: bool, style: Style) -> Printer {
        Printer {
            json,
            style,
            first: true,
            problems: 0,
        }
    }

    fn start(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.json {
            write!(out, "{{\n\"schema\": \"{SCHEMA}\",\n\"connections\": [\n")?;
        }
        Ok(())
    }

    fn connection(&mut self, out: &mut dyn Write, c: &Connection) -> std::io::Result<()> {
        if c.verdict != Verdict::Ok {
            self.problems += 1;
        }
        if self.json {
            if !self.first {
                write!(out, ",")?;
            }
            self.first = false;
            return shown::json_line(c, false, out);
        }
        let mut text = Vec::new();
        render_connection(c, self.style, &mut text)?;
        let mut shown = shown::Shown::new(&mut *out, false, self.style.color);
        shown.write_all(&text)?;
        shown.flush()
    }

    fn finish(
        &mut self,
        out: &mut dyn Write,
        inputs: &[Input],
        summary: &Summary,
        totals: &Totals,
    ) -> std::io::Result<()> {
        if self.json {
            // The fields after `connections`, through the same redaction.
            write!(out, "],\n\"inputs\": ")?;
            shown::json_line(&inputs, false, out)?;
            write!(out, ",\n\"summary\": ")?;
            shown::json_line(&summary.causes(), false, out)?;
            write!(out, ",\n\"totals\": ")?;
            shown::json_line(totals, false, out)?;
            return writeln!(out, "}}");
        }
        let mut text = Vec::new();
        render_summary(summary, totals, inputs, self.style, &mut text)?;
        let mut shown = shown::Shown::new(&mut *out, false, self.style.color);
        shown.write_all(&text)?;
        shown.flush()
    }
}

fn render_connection(c: &Connection, style: Style, out: &mut dyn Write) -> std::io::Result<()> {
    let verdict = match c.verdict {
        Verdict::Ok => style.paint("ok", Paint::Ok),
        Verdict::Warning => style.paint("warning", Paint::Warn),
        Verdict::Failed => style.paint("failed", Paint::Error),
    };
    writeln!(
        out,
        "{} → {}  {}  {}  {} frames  {} bytes  {verdict}",
        style.paint(&c.client, Paint::Bold),
        style.paint(&c.server, Paint::Bold),
        clock(c.start),
        human::duration(c.duration_ms),
        c.frames,
        c.bytes,
    )?;
    for f in &c.findings {
        human::finding(f, style, out)?;
    }
    for n in &c.notes {
        writeln!(out, "    {} {n}", style.paint("note:", Paint::Dim))?;
    }
    Ok(())
}

fn render_summary(
    s: &Summary,
    t: &Totals,
    inputs: &[Input],
    style: Style,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let packets: u64 = inputs.iter().map(|i| i.packets).sum();
    writeln!(out)?;
    writeln!(
        out,
        "{} {} WebSocket connection(s), {} healthy; {} other TCP connection(s); {packets} packets in {} file(s)",
        style.paint("summary:", Paint::Bold),
        t.connections,
        s.healthy,
        t.other_connections,
        inputs.len()
    )?;
    for k in s.causes() {
        let sev = k.id.cause().severity;
        let paint = match sev {
            Severity::Error => Paint::Error,
            Severity::Warning => Paint::Warn,
            Severity::Info => Paint::Info,
        };
        writeln!(
            out,
            "  {:>6}  {}  {}",
            k.connections,
            style.paint(k.id.as_str(), paint),
            k.title
        )?;
        writeln!(
            out,
            "          {}",
            style.paint(&format!("e.g. {}", k.examples.join(", ")), Paint::Dim)
        )?;
    }
    if t.connections == 0 {
        writeln!(
            out,
            "  no WebSocket connection in the capture: was it taken on the right interface and port (tcpdump -i any 'tcp port N')? TLS (wss://) is not decoded yet"
        )?;
    }
    if t.evicted > 0 || t.shed > 0 {
        writeln!(
            out,
            "  {} connection(s) reported before their end (too many open at once), {} not followed to the end (memory budget)",
            t.evicted, t.shed
        )?;
    }
    Ok(())
}

/// `HH:MM:SS.mmm` UTC of a capture time.
fn clock(unix_s: f64) -> String {
    let ms = (unix_s * 1000.0).round() as i64;
    let day_ms = ms.rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000
    )
}
