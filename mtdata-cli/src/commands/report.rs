//! `mtdata report`.

use clap::Args;

use crate::app::{CommandResult, Context};

/// Arguments of `mtdata report`.
#[derive(Debug, Args)]
pub struct ReportArgs {}

pub fn run(_args: &ReportArgs, _ctx: &Context) -> CommandResult {
    anyhow::bail!("mtdata report is not built yet")
}
