//! `mtdata export`.

use clap::Args;

use crate::app::{CommandResult, Context};

/// Arguments of `mtdata export`.
#[derive(Debug, Args)]
pub struct ExportArgs {}

pub fn run(_args: &ExportArgs, _ctx: &Context) -> CommandResult {
    anyhow::bail!("mtdata export is not built yet")
}
