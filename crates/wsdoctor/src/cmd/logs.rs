//! `wsdoctor logs` (not built yet).

use crate::output::Style;

#[derive(clap::Args, Debug)]
pub struct LogsArgs {}

pub fn run(_args: LogsArgs, _style: Style) -> anyhow::Result<i32> {
    Err(super::usage("'logs' is not built yet in this version"))
}
