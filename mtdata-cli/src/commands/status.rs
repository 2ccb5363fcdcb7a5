//! `mtdata status`.

use clap::Args;

use crate::app::{CommandResult, Context};

/// Arguments of `mtdata status`.
#[derive(Debug, Args)]
pub struct StatusArgs {}

pub fn run(_args: &StatusArgs, _ctx: &Context) -> CommandResult {
    anyhow::bail!("mtdata status is not built yet")
}
