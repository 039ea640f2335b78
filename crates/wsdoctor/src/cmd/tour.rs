//! `wsdoctor tour` (not built yet).

use crate::output::Style;

#[derive(clap::Args, Debug)]
pub struct TourArgs {}

pub fn run(_args: TourArgs, _style: Style) -> anyhow::Result<i32> {
    Err(super::usage("'tour' is not built yet in this version"))
}
