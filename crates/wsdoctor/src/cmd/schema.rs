//! JSON Schemas (draft 2020-12) of every `--json` output, generated from the types
//! that are serialised, so the schema and the program cannot drift. The committed
//! copies under `schemas/` are what `wsdoctor schema --dir schemas` writes; a test
//! holds them equal, and others validate real outputs against them.

use anyhow::Context;
use std::io::Write;

#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// The output whose schema to print: report (check), targets (check --targets, one line), tour, lab, lint, explain, logs, conform, bench, pcap.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(NAMES))]
    pub name: Option<String>,
    /// Write every schema (`NAME.schema.json`) into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "name")]
    pub dir: Option<std::path::PathBuf>,
}

/// Every schema, by the name of its contract (`wsdoctor.NAME/1`).
pub const NAMES: [&str; 10] = [
    "report", "targets", "tour", "lab", "lint", "explain", "logs", "conform", "bench", "pcap",
];

pub fn run(args: SchemaArgs) -> anyhow::Result<i32> {
    if let Some(dir) = &args.dir {
        for name in NAMES {
            let path = dir.join(format!("{name}.schema.json"));
            std::fs::write(&path, text(name))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        return Ok(0);
    }
    let Some(name) = &args.name else {
        return Err(super::usage(format!(
            "name a schema ({}) or give --dir DIR to write them all",
            NAMES.join(", ")
        )));
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text(name).as_bytes())
        .and_then(|()| out.flush())
        .context("writing the schema to stdout")?;
    Ok(0)
}

/// The schema as committed: pretty JSON with a final newline.
pub fn text(name: &str) -> String {
    // Schemas of what we write, not of what we would read: a field skipped when
    // empty is optional, not required.
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let mut schema = match name {
        "report" => generator.into_root_schema_for::<wsdoctor_core::Report>(),
        "targets" => generator.into_root_schema_for::<super::check::TargetsLine>(),
        "tour" => generator.into_root_schema_for::<super::tour::TourJson<'static>>(),
        "lab" => generator.into_root_schema_for::<super::lab::LabListing>(),
        "lint" => generator.into_root_schema_for::<wsdoctor_lint::LintReport>(),
        "explain" => generator.into_root_schema_for::<super::explain::ExplainJson>(),
        "logs" => generator.into_root_schema_for::<wsdoctor_logs::LogReport>(),
        "conform" => generator.into_root_schema_for::<wsdoctor_conform::report::ConformReport>(),
        "bench" => generator.into_root_schema_for::<wsdoctor_bench::BenchResult>(),
        "pcap" => generator.into_root_schema_for::<wsdoctor_pcap::PcapJson>(),
        // clap admits only NAMES.
        other => unreachable!("no schema {other}"),
    };
    schema.insert("title".into(), format!("wsdoctor.{name}/1").into());
    // A schema is plain JSON values: serialising it cannot fail.
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    s.push('\n');
    s
}
