//! `wsdoctor lint` (not built yet).

use crate::output::Style;

#[derive(clap::Args, Debug)]
pub struct LintArgs {}

pub fn run(_args: LintArgs, _style: Style) -> anyhow::Result<i32> {
    Err(super::usage("'lint' is not built yet in this version"))
}
