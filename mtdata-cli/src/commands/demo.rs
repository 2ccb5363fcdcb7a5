//! `mtdata demo`.

use clap::Args;

use crate::app::{CommandResult, Context};

/// Arguments of `mtdata demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {}

pub fn run(_args: &DemoArgs, _ctx: &Context) -> CommandResult {
    anyhow::bail!("mtdata demo is not built yet")
}
