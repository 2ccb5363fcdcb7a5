//! `mtdata report scale|client [SERVER]`: integrity reports against the study schedule, read from
//! the study folder only (never the network).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mtdata_core::layout::{FileStamp, StudyLayout, output_file_name};
use mtdata_core::schedule::Schedule;
use mtdata_report::{
    ClientReport, HtmlReport, ReportOptions, ScaleReport, StatusOptions, StatusReport, StudyFolder,
    TableMap,
};

use crate::app::{CommandResult, Context};
use crate::commands::render::{self, StudyTarget};
use crate::exit::Outcome;

/// Arguments of `mtdata report`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  mtdata report scale templeton           # table on stdout, CSV in PATH/reports/
  mtdata report client templeton --html   # also the HTML page with the heatmap
  mtdata report client --study ./study --json --no-csv

Reports read PATH/active_data/study.json (saved by export) and the CSVs written by decode.")]
pub struct ReportArgs {
    #[command(subcommand)]
    pub kind: ReportKind,
}

#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// Per task of the schedule: TaskLog completions against rows in the data, duplicates, missing rate
    Scale(ReportOpts),
    /// Per participant: tasks done, due by now and missing, duplicates, last activity
    Client(ReportOpts),
    /// MindLogger: per user and activity, scheduled occurrences completed on time, late or missed
    Adherence(crate::commands::adherence::AdherenceOpts),
}

/// Options shared by `report scale` and `report client`.
#[derive(Debug, Args)]
pub struct ReportOpts {
    /// Server block of the config (`.`: every block with READY: True)
    #[arg(default_value = ".")]
    pub server: String,
    /// Read this study folder (MTData's PATH) instead of a server's
    #[arg(long, value_name = "DIR")]
    pub study: Option<PathBuf>,
    #[command(flatten)]
    pub output: render::ReportOutput,
    /// CSV `task,table` mapping task names to table names (added to the built-in ones)
    #[arg(long, value_name = "FILE")]
    pub table_map: Option<PathBuf>,
    /// Leave admin accounts out (they are flagged otherwise)
    #[arg(long)]
    pub exclude_admins: bool,
    /// Leave test accounts out (they are flagged otherwise)
    #[arg(long)]
    pub exclude_test_accounts: bool,
    #[command(flatten)]
    pub csv: render::CsvArgs,
}

pub fn run(args: &ReportArgs, ctx: &Context) -> CommandResult {
    let (opts, kind) = match &args.kind {
        ReportKind::Scale(o) => (o, "scale"),
        ReportKind::Client(o) => (o, "client"),
        ReportKind::Adherence(o) => return crate::commands::adherence::run(o, ctx),
    };
    let mut table_map = TableMap::default();
    if let Some(file) = &opts.table_map {
        table_map.extend_from_file(file)?;
    }
    let options = ReportOptions {
        table_map,
        study: None,
        exclude_admins: opts.exclude_admins,
        exclude_test_accounts: opts.exclude_test_accounts,
    };
    let targets = render::study_targets(ctx, &opts.server, opts.study.as_deref())?;
    let several = targets.len() > 1;
    Ok(crate::app::for_each_target(
        targets,
        |target| target.name.clone(),
        |target| {
            if several && !opts.output.json {
                render::print_stdout(&format!("== {} ==\n", target.name))?;
            }
            run_one(target, kind, opts, options.clone(), ctx)?;
            Ok(Outcome::Success)
        },
    ))
}

fn run_one(
    target: &StudyTarget,
    kind: &str,
    opts: &ReportOpts,
    options: ReportOptions,
    ctx: &Context,
) -> anyhow::Result<()> {
    let layout = StudyLayout::new(&target.root);
    let study = StudyFolder::open_active_data(&layout.active_data(), options)?;
    let now = chrono::Utc::now();
    let stamp = FileStamp::at(now);
    let text_options = render::text_options(ctx);
    let reports = layout.reports();
    // Print the asked-for report and save its CSV; the HTML page needs both reports.
    let emit = |print_json: &dyn Fn() -> anyhow::Result<()>,
                text: &dyn Fn() -> String,
                csv: &dyn Fn(&mut Vec<u8>) -> mtdata_report::Result<()>,
                file_kind: &str|
     -> anyhow::Result<()> {
        if opts.output.json {
            print_json()?;
        } else {
            render::print_stdout(&text())?;
        }
        if !opts.output.no_csv {
            let mut bytes = Vec::new();
            csv(&mut bytes)?;
            let name = output_file_name(&target.name, file_kind, &stamp, "csv");
            let path = render::write_report(&reports, &name, &bytes)?;
            render::note(ctx, &format!("wrote {}", path.display()));
        }
        Ok(())
    };
    let (scale, client) = match kind {
        "scale" => {
            let report = ScaleReport::build(&study)?;
            emit(
                &|| render::print_json(&report),
                &|| report.to_text(text_options),
                &|out| report.write_csv(out, opts.csv.cells()),
                "scale_report",
            )?;
            let client = opts
                .output
                .html
                .then(|| ClientReport::build(&study))
                .transpose()?;
            (Some(report), client)
        }
        _ => {
            let report = ClientReport::build(&study)?;
            emit(
                &|| render::print_json(&report),
                &|| report.to_text(text_options),
                &|out| report.write_csv(out, opts.csv.cells()),
                "client_report",
            )?;
            let scale = opts
                .output
                .html
                .then(|| ScaleReport::build(&study))
                .transpose()?;
            (scale, Some(report))
        }
    };
    if opts.output.html {
        let options = StatusOptions {
            schedule: Schedule::load_saved(&layout).ok(),
            ..StatusOptions::default()
        };
        let status = StatusReport::for_folder(&layout.active_data(), &options)?;
        let generated = now.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        let html = HtmlReport {
            title: &target.name,
            generated: &generated,
            scale: scale.as_ref(),
            client: client.as_ref(),
            status: Some(&status),
        }
        .render();
        let name = output_file_name(&target.name, "report", &stamp, "html");
        let path = render::write_report(&reports, &name, html.as_bytes())?;
        render::note(ctx, &format!("wrote {}", path.display()));
    }
    Ok(())
}
