//! `mtdata decode`.

use clap::Args;

use crate::app::{CommandResult, Context};

/// Arguments of `mtdata decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {}

pub fn run(_args: &DecodeArgs, _ctx: &Context) -> CommandResult {
    anyhow::bail!("mtdata decode is not built yet")
}
