//! `mtdata status <Scale> <csv>` and `mtdata status all [SERVER]` (MTData's forms): missing cells
//! per column, participants, duplicates and out-of-range values per table.

use std::path::{Path, PathBuf};

use clap::Args;
use mtdata_core::layout::{FileStamp, StudyLayout, output_file_name};
use mtdata_core::schedule::Schedule;
use mtdata_report::{StatusOptions, StatusReport, ValidRanges};

use crate::app::{CommandResult, Context};
use crate::commands::render;
use crate::exit::Outcome;

/// Arguments of `mtdata status`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  mtdata status OA active_data/OA.csv     # one table, checked as scale OA
  mtdata status all templeton             # every table of a server's active_data/
  mtdata status all --study ./study --json

\"Prefer not to answer\" codes (555, -1) are counted apart, never as out of range.")]
pub struct StatusArgs {
    /// A scale name (followed by its CSV file), or `all` (followed by a server)
    #[arg(value_name = "SCALE|all")]
    pub target: String,
    /// The CSV file after a scale name; the server block after `all` (default `.`)
    #[arg(value_name = "CSV|SERVER")]
    pub source: Option<String>,
    /// With `all`: read this study folder (MTData's PATH) instead of a server's
    #[arg(long, value_name = "DIR")]
    pub study: Option<PathBuf>,
    /// Print JSON on stdout instead of the tables
    #[arg(long)]
    pub json: bool,
    /// With `all`: do not write CSV files to PATH/reports/
    #[arg(long)]
    pub no_csv: bool,
    /// CSV `table,column,min,max,pna` adding to or replacing the built-in valid ranges
    #[arg(long, value_name = "FILE")]
    pub codebook: Option<PathBuf>,
    /// List at most this many out-of-range values per table (all are counted)
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_listed: usize,
    #[command(flatten)]
    pub csv: render::CsvArgs,
}

pub fn run(args: &StatusArgs, ctx: &Context) -> CommandResult {
    let mut ranges = ValidRanges::default();
    if let Some(file) = &args.codebook {
        ranges.extend_from_file(file)?;
    }
    let mut options = StatusOptions {
        ranges,
        max_listed: args.max_listed,
        schedule: None,
    };
    if args.target != "all" {
        let Some(csv) = &args.source else {
            anyhow::bail!(
                "status {} needs the CSV file to check: mtdata status {} PATH/active_data/{}.csv",
                args.target,
                args.target,
                args.target
            );
        };
        // The schedule of the study folder the table is in (`PATH/active_data/<Table>.csv`).
        let study = Path::new(csv).parent().and_then(Path::parent);
        options.schedule = study.and_then(|s| Schedule::load_saved(&StudyLayout::new(s)).ok());
        let report = StatusReport::for_file(&args.target, Path::new(csv), &options)?;
        show(&report, args, ctx)?;
        return Ok(Outcome::Success);
    }
    let server = args.source.as_deref().unwrap_or(".");
    let targets = render::study_targets(ctx, server, args.study.as_deref())?;
    let several = targets.len() > 1;
    Ok(crate::app::for_each_target(
        targets,
        |target| target.name.clone(),
        |target| {
            if several && !args.json {
                render::print_stdout(&format!("== {} ==\n", target.name))?;
            }
            status_of_folder(target, args, &options, ctx)
        },
    ))
}

/// `status all` for one study folder: print, log the failed tables, save the CSV files.
fn status_of_folder(
    target: &render::StudyTarget,
    args: &StatusArgs,
    options: &StatusOptions,
    ctx: &Context,
) -> CommandResult {
    let layout = StudyLayout::new(&target.root);
    // Planned repeats (a task twice in a session without a tag) are not duplicates.
    let options = StatusOptions {
        schedule: Schedule::load_saved(&layout).ok(),
        ..options.clone()
    };
    let report = StatusReport::for_folder(&layout.active_data(), &options)?;
    show(&report, args, ctx)?;
    for failure in &report.failures {
        tracing::error!(
            "{}: table {}: {}",
            target.name,
            failure.table,
            failure.error
        );
    }
    if !args.no_csv {
        let now = FileStamp::now();
        let mut columns = Vec::new();
        report.write_columns_csv(&mut columns, args.csv.cells())?;
        let mut out_of_range = Vec::new();
        report.write_out_of_range_csv(&mut out_of_range, args.csv.cells())?;
        for (kind, bytes) in [("status", columns), ("status_out_of_range", out_of_range)] {
            let name = output_file_name(&target.name, kind, &now, "csv");
            let path = render::write_report(&layout.reports(), &name, &bytes)?;
            render::note(ctx, &format!("wrote {}", path.display()));
        }
    }
    Ok(Outcome::problems_if(!report.failures.is_empty()))
}

fn show(report: &StatusReport, args: &StatusArgs, ctx: &Context) -> anyhow::Result<()> {
    if args.json {
        render::print_json(report)
    } else {
        render::print_stdout(&report.to_text(render::text_options(ctx)))
    }
}
