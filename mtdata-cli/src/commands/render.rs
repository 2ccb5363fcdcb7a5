//! Shared output helpers for `report` and `status`: terminal width and colour, report files in
//! `PATH/reports/`, and the one-line notes on stderr.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use mtdata_core::fsutil;
use mtdata_report::TextOptions;

use crate::app::Context;

/// `--raw-csv`, shared by every command that writes CSV files.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct CsvArgs {
    /// Write CSV cells exactly as the data holds them, for tools (by default a text cell a spreadsheet
    /// would run as a formula, `=...`, `+...`, `-...`, `@...`, gets a leading ', see docs/decode.md)
    #[arg(long)]
    pub raw_csv: bool,
}

impl CsvArgs {
    pub fn cells(self) -> mtdata_core::csv_cell::CsvCells {
        if self.raw_csv {
            mtdata_core::csv_cell::CsvCells::Raw
        } else {
            mtdata_core::csv_cell::CsvCells::SpreadsheetSafe
        }
    }
}

/// `--json`, `--html` and `--no-csv`, shared by the reports.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ReportOutput {
    /// Print JSON on stdout instead of the tables
    #[arg(long)]
    pub json: bool,
    /// Also write the self-contained HTML page (heatmap and charts) to PATH/reports/
    #[arg(long)]
    pub html: bool,
    /// Do not write the CSV files to PATH/reports/
    #[arg(long)]
    pub no_csv: bool,
}

/// Text options for stdout: fit the terminal (or `COLUMNS`), colour as the context says.
pub fn text_options(ctx: &Context) -> TextOptions {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c >= 20);
    let width = from_env.or_else(|| {
        std::io::stdout()
            .is_terminal()
            .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
            .flatten()
    });
    TextOptions {
        width,
        color: ctx.color_stdout,
    }
}

/// Write text to stdout (a closed pipe ends the command quietly, see `app`).
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print_stdout(&text)
}

/// A one-line note on stderr (files written), unless `--quiet`.
pub fn note(ctx: &Context, message: &str) {
    if !ctx.global.quiet {
        // Ignored when stderr cannot be written, as for errors.
        let _ =
            std::io::Write::write_all(&mut std::io::stderr(), format!("{message}\n").as_bytes());
    }
}

/// Write a report file atomically into `reports`, creating the folder.
pub fn write_report(reports: &Path, file_name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    fsutil::ensure_dir(reports)?;
    let path = reports.join(file_name);
    fsutil::write_atomic(&path, bytes)
        .with_context(|| format!("cannot write report {}", path.display()))?;
    Ok(path)
}

/// A study to report on: the name used in report file names and its folder (`PATH`).
pub struct StudyTarget {
    pub name: String,
    pub root: PathBuf,
}

/// The studies named by a server argument (`.` = every READY block; reading local files needs no
/// READY when a block is named), or the one folder given by `--study`.
pub fn study_targets(
    ctx: &Context,
    server: &str,
    study_dir: Option<&Path>,
) -> anyhow::Result<Vec<StudyTarget>> {
    if let Some(dir) = study_dir {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "study".into());
        return Ok(vec![StudyTarget {
            name,
            root: dir.to_owned(),
        }]);
    }
    let config = crate::app::load_config(&ctx.global.config)?;
    Ok(crate::app::select_servers(&config, server, false)?
        .into_iter()
        .map(|s| StudyTarget {
            name: s.study_name().to_owned(),
            root: s.path.clone(),
        })
        .collect())
}
