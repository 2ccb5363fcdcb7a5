//! `mtdata export [SERVER] [SCALE]`: back up new rows and delete the verified sensitive ones; for a
//! MindLogger block, back up new answers of its applets.

mod mindlogger;

use std::io::Write;

use clap::Args;
use mtdata_core::config::{Platform, ServerConfig};
use mtdata_core::names::escaped;
use mtdata_export::{
    ExportOptions, ScheduleStatus, ServerReport, TableSelection, TableStatus, export_server,
};
use mtdata_unattended::facts::{Command, RunFacts};

use crate::app::{CommandResult, Context};
use crate::exit::Outcome;
use crate::progress::ExportBars;

const AFTER_HELP: &str = "\
SERVER is a block of the config file, or `.` for every block with READY: True (a named block must
be READY too). SCALE is `.` for the deleteable (sensitive) tables, `all`, `static` for the tables the
server keeps, or one table name.

Each answer is saved byte for byte in PATH/raw_data/<Table>_<UTC stamp>.json (fsynced, renamed into
place, read back). With DELETE_MODE: True, a row is deleted from the server only after that. Rows
whose delete failed are retried by the next run. Marks live in PATH/active_data/benchMark.json.

A MindLogger block (PLATFORM: mindlogger-v1 or mindlogger-v2) backs up its applets into
PATH/raw_data/mindlogger/<applet id>/ and deletes nothing; SCALE is `.` or `all` for every applet
of APPLETS, or one applet id. Applet passwords come from the ENV and FILE sources of
APPLET_PASSWORDS and are checked before any answer is downloaded (a wrong one is exit status 2).

Examples:
  mtdata export                     # same as `mtdata export . .` (MTData's cron line)
  mtdata export templeton all       # every table of one server
  mtdata export . . --dry-run       # back up, but only count what would be deleted
  */5 * * * * cd /lab/mtdata && mtdata export . . -q

Exit status: 0 success, 1 some table or row failed (the rest went on), 2 error.";

/// Arguments of `mtdata export`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct ExportArgs {
    /// Server block, or `.` for every READY block
    #[arg(default_value = ".")]
    pub server: String,

    /// `.` (deleteable tables), `all`, `static` (kept tables) or a table name
    #[arg(default_value = ".")]
    pub scale: String,

    /// Back up as usual but delete nothing; report how many rows would be deleted
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Never delete, whatever DELETE_MODE says
    #[arg(long)]
    pub no_delete: bool,

    /// Ignore the marks and download whole tables
    #[arg(long)]
    pub full: bool,
}

pub fn run(args: &ExportArgs, ctx: &Context) -> CommandResult {
    let config = crate::app::load_config(&ctx.global.config)?;
    let servers = crate::app::select_servers(&config, &args.server, true)?;
    let options = ExportOptions {
        tables: TableSelection::parse(&args.scale),
        dry_run: args.dry_run,
        full: args.full,
        no_delete: args.no_delete,
        ..ExportOptions::default()
    };
    let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
    let outcome = crate::app::for_each_target(
        servers.iter().copied(),
        |server| server.name.clone(),
        |server| {
            let _log = crate::logging::study::open(server, "export");
            let result = export_platform(server, &options, ctx);
            // Unattended operation: the run's facts decide the alerts.
            match &result {
                Ok((_, facts)) => crate::unattended::after_run(server, facts),
                Err(err) => {
                    crate::logging::record(tracing::Level::ERROR, &format!("{err:#}"));
                    crate::unattended::after_run(
                        server,
                        &crate::unattended::stopped(Command::Export, err),
                    );
                }
            }
            result.map(|(outcome, _)| outcome)
        },
    );
    crate::unattended::check_others(&config, &names);
    Ok(outcome)
}

/// Export one server of either platform.
fn export_platform(
    server: &ServerConfig,
    options: &ExportOptions,
    ctx: &Context,
) -> anyhow::Result<(Outcome, RunFacts)> {
    Ok(match &server.platform {
        Platform::MindTrails => {
            let report = export_one(server, options, ctx)?;
            (
                Outcome::problems_if(report.has_problems()),
                RunFacts::export(&report),
            )
        }
        Platform::MindLogger(config) => {
            let report = mindlogger::export_one(server, config, options, ctx)?;
            let facts = RunFacts::mindlogger_export(&report);
            (Outcome::problems_if(report.has_problems()), facts)
        }
    })
}

/// Print summary lines to stdout and write them to the study's log.
fn report_lines(lines: &[String]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
        crate::logging::record(tracing::Level::INFO, line);
    }
    Ok(())
}

/// Export one server, print its summary to stdout and append it to the study's log.
pub fn export_one(
    server: &ServerConfig,
    options: &ExportOptions,
    ctx: &Context,
) -> anyhow::Result<ServerReport> {
    let mut bars = ExportBars::new(ctx.fancy_stderr, &server.name);
    let report = export_server(server, options, &mut bars)?;
    drop(bars);
    report_lines(&summary_lines(&report, options.dry_run))?;
    Ok(report)
}

/// Server-supplied names escaped for the terminal, and the column width they take (at most 30).
pub(crate) fn shown_names<'a>(
    names: impl Iterator<Item = &'a str>,
) -> (Vec<std::borrow::Cow<'a, str>>, usize) {
    let names: Vec<_> = names.map(escaped).collect();
    let width = names
        .iter()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0)
        .min(30);
    (names, width)
}

/// One line per table, then one for the server.
pub fn summary_lines(report: &ServerReport, dry_run: bool) -> Vec<String> {
    let root = &report.study_folder;
    let (names, width) = shown_names(report.tables.iter().map(|t| t.table.as_str()));
    let mut lines = Vec::new();
    let (mut new_rows, mut deleted, mut failed) = (0, 0, 0);
    for (t, name) in report.tables.iter().zip(&names) {
        new_rows += t.new_rows;
        deleted += t.deleted;
        let text = match &t.status {
            TableStatus::Failed(why) => {
                failed += 1;
                format!("FAILED: {why}")
            }
            TableStatus::NothingNew => format!("nothing new ({} rows on the server)", t.rows),
            TableStatus::Done => {
                let mut text = format!(
                    "{} rows, {} new, {}",
                    t.rows,
                    t.new_rows,
                    human_bytes(t.bytes)
                );
                if let Some(backup) = &t.backup {
                    let shown = backup.strip_prefix(root).unwrap_or(backup);
                    text.push_str(&format!(" -> {}", shown.display()));
                }
                text
            }
        };
        let note = match &t.not_repeated {
            Some(earlier) => format!(
                "; not saved again: the server sent exactly what {} holds",
                earlier.strip_prefix(root).unwrap_or(earlier).display()
            ),
            None => String::new(),
        };
        let mut deletes = Vec::new();
        if t.deleted > 0 {
            deletes.push(format!("{} deleted", t.deleted));
        }
        if t.already_gone > 0 {
            deletes.push(format!("{} already gone", t.already_gone));
        }
        if t.leftovers > 0 {
            deletes.push(format!("{} left by earlier runs", t.leftovers));
        }
        if t.delete_failed > 0 {
            deletes.push(format!(
                "{} deletes failed (retried next run)",
                t.delete_failed
            ));
        }
        if dry_run && t.would_delete > 0 {
            deletes.push(format!("{} would be deleted (dry run)", t.would_delete));
        }
        let deletes = if deletes.is_empty() {
            String::new()
        } else {
            format!("; {}", deletes.join(", "))
        };
        lines.push(format!(
            "{}  {name:<width$}  {text}{note}{deletes}",
            report.server
        ));
    }
    let schedule = match &report.schedule {
        ScheduleStatus::Saved(_) => "schedule saved".to_owned(),
        ScheduleStatus::Unchanged => "schedule unchanged".to_owned(),
        ScheduleStatus::NotOffered => "no schedule on this server".to_owned(),
        ScheduleStatus::Failed(why) => format!("schedule FAILED: {why}"),
    };
    lines.push(format!(
        "{}: {} tables, {new_rows} new rows, {deleted} deleted, {failed} failed; {schedule}; study folder {}",
        report.server,
        report.tables.len(),
        root.display()
    ));
    lines
}

pub(crate) fn human_bytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.2} GiB", b / 1024.0 / 1024.0 / 1024.0)
    }
}
