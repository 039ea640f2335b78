//! Renderers: turn a `Report` into text for people or JSON for programs. They write
//! into any `io::Write`, so tests render into a `Vec<u8>` without colour.

pub mod human;
pub mod shown;

use wsdoctor_core::Report;

/// The JSON contract (DESIGN.md): one object, versioned by its `schema` field,
/// every string through the redaction table unless `show_secrets`.
pub fn json(
    report: &Report,
    show_secrets: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    shown::json(report, show_secrets, out)
}
