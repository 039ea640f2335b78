//! Renderers: turn a `Report` into text for people or JSON for programs. They write
//! into any `io::Write`, so tests render into a `Vec<u8>` without colour.

pub mod human;

use wsdoctor_core::Report;

/// The JSON contract (DESIGN.md): one object, versioned by its `schema` field.
pub fn json(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
