//! `wsdoctor check` (not built yet).

use crate::output::Style;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {}

pub fn run(_args: CheckArgs, _style: Style) -> anyhow::Result<i32> {
    Err(super::usage("'check' is not built yet in this version"))
}
