//! `wsdoctor explain` (not built yet).

use crate::output::Style;

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {}

pub fn run(_args: ExplainArgs, _style: Style) -> anyhow::Result<i32> {
    Err(super::usage("'explain' is not built yet in this version"))
}
