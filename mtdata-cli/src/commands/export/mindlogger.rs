//! `mtdata export` for a MindLogger block: read the applet passwords from their sources (only the program
//! reads the environment and files), export, print one line per applet, one for the Girder structure when
//! the block says `GIRDER: true`, and one for the server.

use mtdata_core::config::{MindLoggerConfig, ServerConfig};
use mtdata_export::mindlogger::{MindLoggerReport, export_mindlogger};
use mtdata_export::{ExportOptions, TableStatus};

use super::{human_bytes, report_lines, shown_names};
use crate::app::Context;
use crate::progress::ExportBars;

/// Export the applets of one block.
pub fn export_one(
    server: &ServerConfig,
    config: &MindLoggerConfig,
    options: &ExportOptions,
    ctx: &Context,
) -> anyhow::Result<MindLoggerReport> {
    let passwords = crate::app::applet_passwords(config)?;
    let mut bars = ExportBars::new(ctx.fancy_stderr, &server.name);
    let report = export_mindlogger(server, &passwords, options, &mut bars)?;
    drop(bars);
    report_lines(&summary_lines(&report))?;
    Ok(report)
}

/// One line per applet, then one for the server.
pub fn summary_lines(report: &MindLoggerReport) -> Vec<String> {
    let root = &report.study_folder;
    let (names, width) = shown_names(report.applets.iter().map(|a| a.name.as_str()));
    let mut lines = Vec::new();
    let (mut new_answers, mut failed) = (0, 0);
    for (applet, name) in report.applets.iter().zip(&names) {
        new_answers += applet.new_answers;
        let pages = match applet.pages {
            1 => "1 page".to_owned(),
            n => format!("{n} pages"),
        };
        let text = match &applet.status {
            TableStatus::Failed(why) => {
                failed += 1;
                format!("FAILED: {why}")
            }
            status => {
                let new = match status {
                    TableStatus::NothingNew => "nothing new".to_owned(),
                    _ => format!("{} new", applet.new_answers),
                };
                format!(
                    "{pages}, {} answers ({new}), {}{}",
                    applet.answers,
                    human_bytes(applet.bytes),
                    saved_to(root, applet.run_file.as_deref())
                )
            }
        };
        lines.push(format!(
            "{}  {name:<width$}  {}  {text}",
            report.server, applet.applet
        ));
    }
    if let Some(girder) = &report.girder {
        let text = match &girder.status {
            TableStatus::Failed(why) => {
                failed += 1;
                format!("FAILED: {why}")
            }
            _ => {
                let refused = match girder.refused.len() {
                    0 => String::new(),
                    n => format!("; {n} listings refused to the account (HTTP 403), not walked"),
                };
                format!(
                    "{} collections, {} folders, {} items, {} users; {} pages, {}{}{refused}",
                    girder.collections,
                    girder.folders,
                    girder.items,
                    girder.users,
                    girder.pages,
                    human_bytes(girder.bytes),
                    saved_to(root, girder.run_file.as_deref())
                )
            }
        };
        lines.push(format!("{}  Girder structure  {text}", report.server));
    }
    lines.push(format!(
        "{}: {} applets ({}), {new_answers} new answers, {failed} failed; study folder {}",
        report.server,
        report.applets.len(),
        report.api,
        root.display()
    ));
    lines
}

/// ` -> <run file>` relative to the study folder, or nothing when no run file was written.
fn saved_to(root: &std::path::Path, run: Option<&std::path::Path>) -> String {
    match run {
        Some(run) => format!(" -> {}", run.strip_prefix(root).unwrap_or(run).display()),
        None => String::new(),
    }
}
