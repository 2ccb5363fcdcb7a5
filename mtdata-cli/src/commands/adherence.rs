//! `mtdata report adherence [SERVER]`: for a MindLogger v1 study whose Girder structure was exported
//! (`GIRDER: true`), who completed which scheduled activity on time, late, or missed it. Reads the
//! saved Girder pages of `PATH/raw_data/girder/` only (never the network).

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use mindlogger_model::girder::GirderTree;
use mtdata_core::layout::{FileStamp, StudyLayout, output_file_name};
use mtdata_report::adherence::{AdherenceHtml, AdherenceOptions, AdherenceReport};

use crate::app::{CommandResult, Context};
use crate::commands::render::{self, StudyTarget};
use crate::exit::Outcome;

/// Options of `report adherence`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  mtdata report adherence ema                     # table on stdout, CSVs in PATH/reports/
  mtdata report adherence ema --html              # also the page with the users × days heatmap
  mtdata report adherence --study ./ema --time-zone America/New_York --json

Reads the Girder structure saved by `mtdata export` with GIRDER: true (PATH/raw_data/girder/); the
time zone is the block's TIMEZONE unless --time-zone is given. The matching rules are in
docs/report.md. Exit status 0 when the report is made, whatever the adherence; 1 when some
documents could not be read and were left out (the warnings name them); 2 when the saved
structure cannot be read.")]
pub struct AdherenceOpts {
    /// Server block of the config (`.`: every MindLogger block with READY: True)
    #[arg(default_value = ".")]
    pub server: String,
    /// Read this study folder (its raw_data/girder/) instead of a server's
    #[arg(long, value_name = "DIR")]
    pub study: Option<PathBuf>,
    /// The study's time zone, an IANA name (default: the block's TIMEZONE, else UTC)
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<chrono_tz::Tz>,
    /// First local date (default: the first day a version of an activity is in force)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<NaiveDate>,
    /// Last local date, included (default: the cut-off's date)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    /// Report as of this time (RFC 3339): later occurrences are not due yet (default: now)
    #[arg(long, value_name = "TIME")]
    pub cut_off: Option<DateTime<Utc>>,
    /// Minutes after the due time (or window end, after reminders) a completion is on time
    #[arg(long, value_name = "N", default_value_t = AdherenceOptions::default().on_time_minutes)]
    pub on_time_minutes: u32,
    /// Hours after the on-time window a completion is still late rather than not due
    #[arg(long, value_name = "N", default_value_t = AdherenceOptions::default().late_hours)]
    pub late_hours: u32,
    #[command(flatten)]
    pub output: render::ReportOutput,
    #[command(flatten)]
    pub csv: render::CsvArgs,
}

pub fn run(opts: &AdherenceOpts, ctx: &Context) -> CommandResult {
    let targets = targets(ctx, opts)?;
    let several = targets.len() > 1;
    Ok(crate::app::for_each_target(
        targets,
        |(target, _)| target.name.clone(),
        |(target, zone)| {
            if several && !opts.output.json {
                render::print_stdout(&format!("== {} ==\n", target.name))?;
            }
            run_one(target, opts.time_zone.unwrap_or(*zone), opts, ctx)
        },
    ))
}

/// The studies to report on, each with the time zone of its block (UTC for `--study`).
fn targets(
    ctx: &Context,
    opts: &AdherenceOpts,
) -> anyhow::Result<Vec<(StudyTarget, chrono_tz::Tz)>> {
    if opts.study.is_some() {
        let targets = render::study_targets(ctx, &opts.server, opts.study.as_deref())?;
        return Ok(targets.into_iter().map(|t| (t, chrono_tz::UTC)).collect());
    }
    let config = crate::app::load_config(&ctx.global.config)?;
    let selected = crate::app::select_servers(&config, &opts.server, false)?;
    let named = opts.server != ".";
    let mut out = Vec::new();
    for server in selected {
        match server.platform.mindlogger() {
            Some(ml) => out.push((
                StudyTarget {
                    name: server.study_name().to_owned(),
                    root: server.path.clone(),
                },
                ml.timezone,
            )),
            None if named => anyhow::bail!(
                "block {} is not a MindLogger study; report adherence reads the Girder structure of a mindlogger-v1 block exported with GIRDER: true",
                server.name
            ),
            None => {}
        }
    }
    if out.is_empty() {
        anyhow::bail!(
            "no MindLogger block with READY: True in the config; name one, or give --study DIR"
        );
    }
    Ok(out)
}

fn run_one(
    target: &StudyTarget,
    time_zone: chrono_tz::Tz,
    opts: &AdherenceOpts,
    ctx: &Context,
) -> CommandResult {
    let layout = StudyLayout::new(&target.root);
    let loaded = mtdata_decode::girder::load_girder(&layout).context(
        "cannot read the saved girder structure; export the study with GIRDER: true first",
    )?;
    let tree = GirderTree::build(&loaded.documents)
        .with_context(|| format!("girder structure of {}", loaded.run_file.display()))?;
    let now = Utc::now();
    let options = AdherenceOptions {
        time_zone,
        from: opts.from,
        to: opts.to,
        cut_off: Some(opts.cut_off.unwrap_or(now)),
        on_time_minutes: opts.on_time_minutes,
        late_hours: opts.late_hours,
    };
    let report = AdherenceReport::build(&tree, &target.name, &options)?;
    if opts.output.json {
        render::print_json(&report)?;
    } else {
        render::print_stdout(&report.to_text(render::text_options(ctx)))?;
    }
    let stamp = FileStamp::at(now);
    let reports = layout.reports();
    if !opts.output.no_csv {
        for (kind, days) in [("adherence_report", false), ("adherence_days", true)] {
            let mut bytes = Vec::new();
            if days {
                report.write_days_csv(&mut bytes, opts.csv.cells())?;
            } else {
                report.write_csv(&mut bytes, opts.csv.cells())?;
            }
            let name = output_file_name(&target.name, kind, &stamp, "csv");
            let path = render::write_report(&reports, &name, &bytes)?;
            render::note(ctx, &format!("wrote {}", path.display()));
        }
    }
    if opts.output.html {
        let generated = now.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        let html = AdherenceHtml {
            report: &report,
            generated: &generated,
        }
        .render();
        let name = output_file_name(&target.name, "adherence", &stamp, "html");
        let path = render::write_report(&reports, &name, html.as_bytes())?;
        render::note(ctx, &format!("wrote {}", path.display()));
    }
    for warning in &report.warnings {
        tracing::warn!("{warning}");
    }
    Ok(Outcome::problems_if(!report.warnings.is_empty()))
}
