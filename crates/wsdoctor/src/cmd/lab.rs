//! `wsdoctor lab` (not built yet).

use crate::output::Style;

#[derive(clap::Args, Debug)]
pub struct LabArgs {}

pub fn run(_args: LabArgs, _style: Style) -> anyhow::Result<i32> {
    Err(super::usage("'lab' is not built yet in this version"))
}
