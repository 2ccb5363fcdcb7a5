//! Command-line grammar: global options and the subcommands, with MTData's verbs and positional arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;

const AFTER_HELP: &str = "\
Examples:
  mtdata demo                      # run export, decode and report on a built-in demo study
  mtdata export . .                # MTData's cron line: every READY server, deleteable tables
  mtdata export templeton all      # one server, every table
  mtdata decode . .                # decrypt and write active_data/<Table>.csv
  mtdata report scale templeton    # missing data per questionnaire
  mtdata doctor templeton          # check a setup before cron relies on it

Exit status: 0 success, 1 finished but some table, row or field failed (see stderr), 2 error.";

/// Back up, decrypt, check and score MindTrails study data.
#[derive(Debug, Parser)]
#[command(name = "mtdata", version, about, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options that every subcommand accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Server configuration file (MTData's server.config YAML)
    #[arg(
        short,
        long,
        global = true,
        env = "MTDATA_CONFIG",
        value_name = "FILE",
        default_value = "config/server.config",
        help_heading = "Global options"
    )]
    pub config: PathBuf,

    /// Print errors only
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,

    /// Print more detail; repeat for debug output
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,

    /// When to use colour and progress bars
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN", help_heading = "Global options")]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download new rows of every table into raw_data/ and delete backed-up sensitive rows
    Export(commands::export::ExportArgs),
    /// Decrypt raw JSON backups into one CSV per table in active_data/
    Decode(commands::decode::DecodeArgs),
    /// Integrity and adherence reports (scale, client, adherence)
    Report(commands::report::ReportArgs),
    /// Per-table check: missing cells, duplicates, out-of-range values
    Status(commands::status::StatusArgs),
    #[cfg(feature = "scales")]
    /// Drop duplicate rows with an explicit policy
    Clean(commands::scales::ScaleArgs),
    #[cfg(feature = "scales")]
    /// Score questionnaires
    Scores(commands::scales::ScaleArgs),
    #[cfg(feature = "scales")]
    /// Reshape scored data from long to wide
    #[command(name = "long-to-wide", alias = "LongToWide")]
    LongToWide(commands::scales::ScaleArgs),
    #[cfg(feature = "scales")]
    /// Clean, score and reshape in one step
    Prepare(commands::scales::ScaleArgs),
    /// Run export, decode and report on a built-in demo study over loopback
    Demo(commands::demo::DemoArgs),
    /// Check a setup before relying on it: one line per check, pass / warn / fail
    Doctor(commands::doctor::DoctorArgs),
    /// Print a crontab line and a systemd service and timer for unattended export
    Cron(commands::cron::CronArgs),
    /// Write the MindLogger data one account may see into a folder of its own
    Share(commands::share::ShareArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
