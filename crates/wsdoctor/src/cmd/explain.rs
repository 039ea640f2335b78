//! `wsdoctor explain`: a pasted error message, close code, HTTP status or cause id in,
//! the layer, the likely causes (ranked, with what tells them apart), the fix and the
//! `wsdoctor check` command that confirms it out.
//!
//! Exit codes: 0 recognised (also `--list`, `exit-codes`, a status, a close code, a
//! cause id), 1 not recognised (generic triage steps are printed instead of a guess),
//! 2 usage (no text given, stdin unreadable).

use crate::output::{Paint, Style};
use crate::render::shown;
use std::io::{Read, Write};
use wsdoctor_core::{CATALOG, Severity};
use wsdoctor_explain::explain::{Explanation, Kind, MAX_INPUT, SCHEMA};

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The error text, a close code (1006), an HTTP status (403), a cause id
    /// (tls-cert-expired) or `exit-codes`; words are joined with spaces; `-` reads stdin.
    #[arg(value_name = "TEXT")]
    pub text: Vec<String>,
    /// List the whole cause catalog: id, layer, severity, title.
    #[arg(long)]
    pub list: bool,
    /// Print one JSON object (schema wsdoctor.explain/1) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ExplainArgs, style: Style) -> anyhow::Result<i32> {
    let mut stdout = std::io::stdout().lock();
    // Every output through the one last pass: redaction and terminal escapes (the
    // pasted text is echoed back); JSON strings are redacted by `shown::json`.
    let mut human;
    let mut out: &mut dyn Write = if args.json {
        &mut stdout
    } else {
        human = shown::Shown::new(&mut stdout, false, style.color);
        &mut human
    };
    if args.list {
        if !args.text.is_empty() {
            return Err(super::usage(
                "--list takes no text: use `wsdoctor explain --list` or `wsdoctor explain TEXT`",
            ));
        }
        list(&mut out, args.json, style)?;
        return Ok(0);
    }
    let text = input(&args.text)?;
    if text.trim() == "exit-codes" {
        exit_codes(&mut out, args.json, style)?;
        return Ok(0);
    }
    let e = wsdoctor_explain::explain(&text);
    let code = if e.recognised { 0 } else { 1 };
    if args.json {
        shown::json(&ExplainJson::Explanation(Box::new(e)), false, out)?;
    } else {
        render(&mut out, &e, style)?;
    }
    out.flush()?;
    Ok(code)
}

/// The words joined, or stdin for `-` (capped: a whole log belongs in `wsdoctor logs`).
fn input(words: &[String]) -> anyhow::Result<String> {
    if words.is_empty() {
        return Err(super::usage(
            "nothing to explain: give the error text, a close code (1006), a status (403), a cause id, `exit-codes`, --list, or `-` to read stdin",
        ));
    }
    if words.len() == 1 && words[0] == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            // One byte past the cap, so the explanation can say the text was cut.
            .take(MAX_INPUT as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                super::usage(format!(
                    "cannot read stdin ({e}): pipe the text in or pass it as arguments"
                ))
            })?;
        return Ok(String::from_utf8_lossy(&buf).into_owned());
    }
    Ok(words.join(" "))
}

fn render(out: &mut impl Write, e: &Explanation, style: Style) -> std::io::Result<()> {
    if e.input_truncated {
        writeln!(
            out,
            "{} the input was cut at {} bytes (64 KiB): only the start was read. For a whole log use `wsdoctor logs FILE`.\n",
            style.paint("Note:", Paint::Warn),
            e.input_limit
        )?;
    }
    if !e.recognised {
        writeln!(
            out,
            "{} wsdoctor has no pattern for this text, so it will not guess a cause.",
            style.paint("Not recognised:", Paint::Warn)
        )?;
        writeln!(out, "\n{}", style.paint("Next steps:", Paint::Bold))?;
        for (i, step) in e.triage.iter().enumerate() {
            writeln!(out, "  {}. {step}", i + 1)?;
        }
        writeln!(
            out,
            "\n{}\n  {}",
            style.paint("Check live:", Paint::Bold),
            e.check
        )?;
        return Ok(());
    }
    header(out, e, style)?;
    if e.causes.is_empty() {
        writeln!(
            out,
            "\n{}",
            style.paint(
                "Nothing is wrong: 101 is the answer a WebSocket handshake needs.",
                Paint::Ok
            )
        )?;
        return Ok(());
    }
    let heading = if e.causes.len() == 1 {
        "Cause:"
    } else {
        "Likely causes, most common first:"
    };
    writeln!(out, "\n{}", style.paint(heading, Paint::Bold))?;
    for c in &e.causes {
        let sev = match c.severity {
            Severity::Error => Paint::Error,
            Severity::Warning => Paint::Warn,
            Severity::Info => Paint::Info,
        };
        writeln!(
            out,
            "  {}. {}  {}",
            c.rank,
            style.paint(c.id.as_str(), sev),
            style.paint(
                &format!(
                    "[{} · {} · {}]",
                    c.layer,
                    c.severity.as_str(),
                    c.blame.as_str()
                ),
                Paint::Dim
            )
        )?;
        writeln!(out, "     {}", c.title)?;
        writeln!(out, "     why:  {}", c.why)?;
        writeln!(out, "     fix:  {}", c.fix)?;
        if let Some(t) = &c.tell {
            writeln!(
                out,
                "     {} {t}",
                style.paint("tells it apart:", Paint::Dim)
            )?;
        }
    }
    writeln!(
        out,
        "\n{}\n  {}",
        style.paint("Confirm live:", Paint::Bold),
        e.check
    )?;
    Ok(())
}

fn header(out: &mut impl Write, e: &Explanation, style: Style) -> std::io::Result<()> {
    let layer = e.layer.map(|l| l.as_str()).unwrap_or("-");
    match e.kind {
        Kind::CloseCode => {
            if let Some(c) = &e.close_code {
                let wire = if c.on_wire {
                    "may be sent on the wire"
                } else {
                    "never sent on the wire"
                };
                writeln!(
                    out,
                    "{} {} — {} ({wire})",
                    style.paint("Close code", Paint::Bold),
                    c.code,
                    c.name
                )?;
                writeln!(out, "  {}", c.meaning)?;
                if let Some(conv) = c.convention {
                    writeln!(out, "  Known use: {conv}")?;
                }
            }
        }
        Kind::Status => {
            if let Some(s) = &e.status {
                writeln!(
                    out,
                    "{} {} {} in answer to the WebSocket Upgrade",
                    style.paint("HTTP", Paint::Bold),
                    s.code,
                    s.reason
                )?;
            }
        }
        Kind::Cause => {
            writeln!(
                out,
                "{} {}",
                style.paint("Catalog entry", Paint::Bold),
                e.causes.first().map(|c| c.id.as_str()).unwrap_or("")
            )?;
        }
        Kind::Message | Kind::NotRecognised => {
            let conf = e
                .confidence
                .map(|c| format!("{c:?}").to_lowercase())
                .unwrap_or_default();
            writeln!(
                out,
                "{} layer {layer}, confidence {conf}",
                style.paint("Recognised:", Paint::Ok)
            )?;
            for m in e.matched.iter().take(3) {
                writeln!(
                    out,
                    "  {} {} ({}): \"{}\"",
                    style.paint("matched", Paint::Dim),
                    m.rule,
                    m.source,
                    m.text
                )?;
            }
            if let Some(u) = &e.url {
                writeln!(out, "  url: {u}")?;
            }
        }
    }
    Ok(())
}

fn list(out: &mut impl Write, json: bool, style: Style) -> std::io::Result<()> {
    if json {
        let doc = ExplainJson::Catalog(CatalogDoc {
            schema: SCHEMA,
            kind: CatalogKind::Catalog,
            catalog: CATALOG.iter().map(CatalogRow::from).collect(),
        });
        return shown::json(&doc, false, out);
    }
    let width = CATALOG
        .iter()
        .map(|c| c.id.as_str().len())
        .max()
        .unwrap_or(0);
    writeln!(
        out,
        "{}",
        style.paint(
            &format!("{:width$}  {:9}  {:8}  TITLE", "ID", "LAYER", "SEVERITY"),
            Paint::Bold
        )
    )?;
    for c in CATALOG {
        writeln!(
            out,
            "{:width$}  {:9}  {:8}  {}",
            c.id.as_str(),
            c.layer.as_str(),
            c.severity.as_str(),
            c.title
        )?;
    }
    writeln!(
        out,
        "\n{} causes. `wsdoctor explain <id>` shows why and the fix.",
        CATALOG.len()
    )
}

fn exit_codes(out: &mut impl Write, json: bool, style: Style) -> std::io::Result<()> {
    let codes = wsdoctor_explain::exit_codes();
    if json {
        let doc = ExplainJson::ExitCodes(ExitCodesDoc {
            schema: SCHEMA,
            kind: ExitCodesKind::ExitCodes,
            exit_codes: codes,
        });
        return shown::json(&doc, false, out);
    }
    writeln!(
        out,
        "{}",
        style.paint("CODE  LAYER      MEANING", Paint::Bold)
    )?;
    for c in codes {
        let layer = c.layer.map(|l| l.as_str()).unwrap_or("-");
        writeln!(out, "{:4}  {:9}  {}", c.code, layer, c.meaning)?;
    }
    Ok(())
}

/// Everything `explain --json` prints (schema `wsdoctor.explain/1`): one explanation,
/// the catalog (`--list`) or the exit codes; `kind` tells them apart. Used for the
/// JSON Schema, and what every JSON answer is printed through.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ExplainJson {
    Explanation(Box<Explanation>),
    Catalog(CatalogDoc),
    ExitCodes(ExitCodesDoc),
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct CatalogDoc {
    pub schema: &'static str,
    pub kind: CatalogKind,
    pub catalog: Vec<CatalogRow>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CatalogKind {
    Catalog,
}

/// One catalog entry, as `explain --list --json` prints it.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct CatalogRow {
    pub id: wsdoctor_core::CauseId,
    pub layer: wsdoctor_core::Layer,
    pub mistake: wsdoctor_core::Mistake,
    pub blame: wsdoctor_core::Blame,
    pub severity: wsdoctor_core::Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

impl From<&wsdoctor_core::Cause> for CatalogRow {
    fn from(c: &wsdoctor_core::Cause) -> CatalogRow {
        CatalogRow {
            id: c.id,
            layer: c.layer,
            mistake: c.mistake,
            blame: c.blame,
            severity: c.severity,
            title: c.title,
            why: c.why,
            fix: c.fix,
        }
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct ExitCodesDoc {
    pub schema: &'static str,
    pub kind: ExitCodesKind,
    pub exit_codes: Vec<wsdoctor_explain::ExitCode>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExitCodesKind {
    ExitCodes,
}
