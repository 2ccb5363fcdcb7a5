//! `mtdata clean|scores|long-to-wide|prepare`: arguments, one mtdata-scales call per study
//! (`mtdata_scales::jobs`), and its report rendered.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::{Args, ValueEnum};
use mtdata_core::layout::FileStamp;
use mtdata_scales::jobs::{JobOptions, JobReport, TableOutput, run_study, run_table};
use mtdata_scales::{DuplicatePolicy, Study};

use crate::app::{CommandResult, Context};
use crate::commands::render;
use crate::exit::Outcome;

pub use mtdata_scales::jobs::Verb;

/// Output format of the data tables (`mtdata_scales::OutputFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Csv,
    Parquet,
}

impl From<OutputFormat> for mtdata_scales::OutputFormat {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Csv => mtdata_scales::OutputFormat::Csv,
            OutputFormat::Parquet => mtdata_scales::OutputFormat::Parquet,
        }
    }
}

/// Which row to keep per (participant, session, tag) (`mtdata_scales::DuplicatePolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Duplicates {
    First,
    Last,
    MeanOfUnique,
    /// MTData's rule: the last row in file order, whatever the dates (to reproduce old analyses).
    Mtdata,
}

impl From<Duplicates> for DuplicatePolicy {
    fn from(d: Duplicates) -> Self {
        match d {
            Duplicates::First => DuplicatePolicy::First,
            Duplicates::Last => DuplicatePolicy::Last,
            Duplicates::MeanOfUnique => DuplicatePolicy::MeanOfUnique,
            Duplicates::Mtdata => DuplicatePolicy::Mtdata,
        }
    }
}

/// Arguments shared by the scale verbs.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mtdata scores OA study/active_data/OA.csv --study r34
  mtdata prepare all templeton              # every scale of the server's active_data/
  mtdata long-to-wide Affect Affect.csv --study templeton --duplicates last
Outputs go to processed_data/{cleaned_dup_data,scored_data,wideform_data}/ under the study
folder (the CSV's grandparent for the <SCALE> <CSV> form).")]
pub struct ScaleArgs {
    /// Scale (table) name, e.g. OA, DASS21_AS; or `all`
    #[arg(value_name = "SCALE")]
    pub scale: String,

    /// Decoded table (CSV or Parquet); with `all`, the server block name (`.` = every READY one)
    #[arg(value_name = "CSV|SERVER")]
    pub target: String,

    /// Study codebook: r34, templeton, calm-thinking [default: guessed from the server name or path]
    #[arg(long, value_name = "STUDY")]
    pub study: Option<String>,

    /// A lab's codebook file (YAML or CSV scoresheet) instead of a built-in one
    #[arg(long, value_name = "FILE", conflicts_with = "study")]
    pub codebook: Option<PathBuf>,

    /// Scoring variant, e.g. mean-x5 for OASIS [default: the study's preferred]
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,

    /// Which row to keep per (participant, session, tag) [default for clean/prepare: last]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub duplicates: Option<Duplicates>,

    /// Participant id column [default: per row, the first of participant, participantId,
    /// participantDAO, participantRSA with a usable id]
    #[arg(long, value_name = "NAME")]
    pub participant_column: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    pub format: OutputFormat,

    /// processed_data folder to write into [default: <study folder>/processed_data]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub csv: crate::commands::render::CsvArgs,
}

pub fn run(verb: Verb, args: &ScaleArgs, ctx: &Context) -> CommandResult {
    let options = job_options(args)?;
    if !args.scale.eq_ignore_ascii_case("all") {
        let input = Path::new(&args.target);
        if !input.is_file() {
            bail!(
                "{} is not a file; give a decoded table, or `all <server>`",
                input.display()
            );
        }
        let report = run_table(verb, &args.scale, input, &options).map_err(with_flags)?;
        return show(&report);
    }
    let config = crate::app::load_config(&ctx.global.config)?;
    let servers = crate::app::select_servers(&config, &args.target, false)?;
    Ok(crate::app::for_each_target(
        servers,
        |server| server.name.clone(),
        |server| {
            let report =
                run_study(verb, &server.layout(), &server.name, &options).map_err(with_flags)?;
            show(&report)
        },
    ))
}

fn job_options(args: &ScaleArgs) -> anyhow::Result<JobOptions> {
    let study = match &args.study {
        Some(s) => Some(Study::parse(s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown study {s}; use r34, templeton or calm-thinking, or --codebook FILE"
            )
        })?),
        None => None,
    };
    Ok(JobOptions {
        study,
        codebook_file: args.codebook.clone(),
        variant: args.variant.clone(),
        duplicates: args.duplicates.map(DuplicatePolicy::from),
        participant_column: args.participant_column.clone(),
        format: args.format.into(),
        processed_data: args.out.clone(),
        // One stamp for every file of the command.
        stamp: Some(FileStamp::now()),
        csv_cells: args.csv.cells(),
    })
}

/// The library's errors say what to choose; here, which flags choose it.
fn with_flags(err: mtdata_scales::Error) -> anyhow::Error {
    match err {
        mtdata_scales::Error::NoStudy { .. } => anyhow::anyhow!(
            "cannot tell which study's codebook to use; pass --study r34|templeton|calm-thinking or --codebook FILE"
        ),
        other => other.into(),
    }
}

/// One summary line per table (and the files written) on stdout; failed tables and invalid
/// values on stderr.
fn show(report: &JobReport) -> CommandResult {
    let mut text = String::new();
    for table in &report.tables {
        match &table.result {
            Ok(done) => {
                warn(&table.scale, done);
                text.push_str(&summary(&table.scale, done));
                text.push('\n');
            }
            Err(err) => tracing::error!(
                "{} {}: {}",
                report.verb.name(),
                table.scale,
                mtdata_core::error::chain(err)
            ),
        }
    }
    render::print_stdout(&text)?;
    Ok(Outcome::problems_if(report.has_problems()))
}

/// `OA                     rows       7  kept       4  dropped 3 (exact 0, same key 3)  ...`,
/// then the files written, one per line.
fn summary(scale: &str, done: &TableOutput) -> String {
    let mut line = format!("{scale:<22} rows {:>7}", done.rows);
    if let Some(r) = &done.cleaned {
        let _ = write!(
            line,
            "  kept {:>7}  dropped {} (exact {}, same key {})",
            r.rows_out,
            r.dropped.len(),
            r.exact_duplicates,
            r.dropped.len() - r.exact_duplicates
        );
        if !r.problems.is_empty() {
            let _ = write!(line, "  no recode {}", r.problems.len());
        }
    }
    if let Some(s) = &done.scored {
        let _ = write!(
            line,
            "  scores {}  invalid values {}",
            s.rules.len(),
            s.problems.len()
        );
    }
    if let Some(w) = &done.wide {
        let _ = write!(
            line,
            "  participants {}  wide columns {}",
            w.participants, w.columns
        );
    }
    for p in &done.written {
        let _ = write!(line, "\n    {}", p.display());
    }
    line
}

/// Undated duplicate keys, and the first invalid values (all are in the problems file).
fn warn(scale: &str, done: &TableOutput) {
    if let Some(r) = done.cleaned.as_ref().filter(|r| r.undated_keys > 0) {
        tracing::warn!(
            "{scale}: {} duplicate keys had rows without a parseable date; file order decided",
            r.undated_keys
        );
    }
    let cleaned = done.cleaned.iter().flat_map(|c| &c.problems);
    let scored = done.scored.iter().flat_map(|s| &s.problems);
    let problems: Vec<_> = cleaned.chain(scored).collect();
    for p in problems.iter().take(5) {
        tracing::warn!(
            "{scale}: row {} (id {}), column {}: {} {:?}; treated as missing",
            p.row + 1,
            p.id.as_deref().unwrap_or("?"),
            p.column,
            p.kind.as_str(),
            p.value
        );
    }
    if problems.len() > 5 {
        tracing::warn!(
            "{scale}: {} more invalid values (listed in the problems files)",
            problems.len() - 5
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Color, GlobalArgs};

    fn context() -> Context {
        Context {
            global: GlobalArgs {
                config: PathBuf::from("config/server.config"),
                quiet: true,
                verbose: 0,
                color: Color::Never,
            },
            fancy_stderr: false,
            color_stdout: false,
        }
    }

    fn args(scale: &str, target: &Path) -> ScaleArgs {
        ScaleArgs {
            scale: scale.into(),
            target: target.display().to_string(),
            study: Some("calm-thinking".into()),
            codebook: None,
            variant: None,
            duplicates: None,
            participant_column: None,
            format: OutputFormat::Csv,
            out: None,
            csv: crate::commands::render::CsvArgs { raw_csv: false },
        }
    }

    /// A study folder with `active_data/OA.csv` copied from the cleaning fixture.
    fn study() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let active = dir.path().join("active_data");
        std::fs::create_dir_all(&active).unwrap();
        let fixture = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"),
        )
        .join("../fixtures/scales/OA/clean.last.csv");
        // Without the fixture's expectation columns.
        let text = std::fs::read_to_string(fixture).unwrap();
        let trimmed: String = text
            .lines()
            .map(|l| l.split(',').take(9).collect::<Vec<_>>().join(",") + "\n")
            .collect();
        std::fs::write(active.join("OA.csv"), trimmed).unwrap();
        dir
    }

    #[test]
    fn prepare_writes_the_three_processed_folders() {
        let dir = study();
        let a = args("OA", &dir.path().join("active_data/OA.csv"));
        let outcome = run(Verb::Prepare, &a, &context()).unwrap();
        assert_eq!(outcome, Outcome::Success);
        for (sub, word) in [
            ("cleaned_dup_data", "OA_cleaned_"),
            ("cleaned_dup_data", "OA_dropped_"),
            ("scored_data", "OA_scored_"),
            ("scored_data", "OA_rules_"),
            ("wideform_data", "OA_transed_"),
        ] {
            let found = std::fs::read_dir(dir.path().join("processed_data").join(sub))
                .unwrap()
                .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(word));
            assert!(found, "no {word}* in {sub}");
        }
    }

    #[test]
    fn long_to_wide_without_a_policy_refuses_duplicates() {
        let dir = study();
        let a = args("OA", &dir.path().join("active_data/OA.csv"));
        // The table fails (duplicates), which is reported as a problem, not a crash.
        let outcome = run(Verb::LongToWide, &a, &context()).unwrap();
        assert_eq!(outcome, Outcome::Problems);
    }

    #[test]
    fn unknown_study_is_a_clear_error() {
        let dir = study();
        let mut a = args("OA", &dir.path().join("active_data/OA.csv"));
        a.study = Some("r99".into());
        let err = run(Verb::Scores, &a, &context()).unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown study r99; use r34, templeton or calm-thinking, or --codebook FILE"
        );
    }
}
