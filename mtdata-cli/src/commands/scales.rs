//! `mtdata clean|scores|long-to-wide|prepare`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use mtdata_scales::{
    CleanOptions, Codebook, DuplicatePolicy, OutputFormat, PrepareOptions, ScaleDef, ScoreOptions,
    Study, WideOptions, clean, long_to_wide, prepare, read_scale_table, score, write_table,
};

use mtdata_core::layout::{FileStamp, output_file_name};

use crate::app::{CommandResult, Context};
use crate::exit::Outcome;

#[derive(Debug, Clone, Copy)]
pub enum Verb {
    Clean,
    Scores,
    LongToWide,
    Prepare,
}

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Verb::Clean => "clean",
            Verb::Scores => "scores",
            Verb::LongToWide => "long-to-wide",
            Verb::Prepare => "prepare",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Duplicates {
    First,
    Last,
    MeanOfUnique,
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

    /// Participant id column [default: the first of participant, participantId, participantDAO,
    /// participantRSA that holds ids]
    #[arg(long, value_name = "NAME")]
    pub participant_column: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,

    /// processed_data folder to write into [default: <study folder>/processed_data]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

struct Job {
    scale: ScaleDef,
    input: PathBuf,
    processed: PathBuf,
}

pub fn run(verb: Verb, args: &ScaleArgs, ctx: &Context) -> CommandResult {
    let jobs = plan(args, ctx)?;
    let stamp = mtdata_core::layout::FileStamp::now();
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for job in &jobs {
        match run_one(verb, args, job, &stamp) {
            Ok((line, problems)) => {
                failed |= problems;
                writeln!(stdout, "{line}")?;
            }
            Err(err) => {
                failed = true;
                tracing::error!("{} {}: {err:#}", verb.name(), job.scale.name);
            }
        }
    }
    Ok(Outcome::problems_if(failed))
}

fn codebook_for(args: &ScaleArgs, guess: Option<Study>) -> anyhow::Result<Codebook> {
    if let Some(path) = &args.codebook {
        return Ok(mtdata_scales::load_codebook(path)?);
    }
    let study = match &args.study {
        Some(s) => Study::parse(s).with_context(|| {
            format!("unknown study {s}; use r34, templeton or calm-thinking, or --codebook FILE")
        })?,
        None => guess.context(
            "cannot tell which study's codebook to use; pass --study r34|templeton|calm-thinking or --codebook FILE",
        )?,
    };
    Ok(Codebook::builtin(study))
}

fn plan(args: &ScaleArgs, ctx: &Context) -> anyhow::Result<Vec<Job>> {
    if !args.scale.eq_ignore_ascii_case("all") {
        let input = PathBuf::from(&args.target);
        if !input.is_file() {
            bail!(
                "{} is not a file; give a decoded table, or `all <server>`",
                input.display()
            );
        }
        let guess = input.canonicalize().ok().and_then(|p| {
            // The innermost folder named exactly after a study.
            p.components()
                .rev()
                .find_map(|c| c.as_os_str().to_str().and_then(Study::parse))
        });
        let codebook = codebook_for(args, guess)?;
        let scale = codebook.scale(&args.scale)?.clone();
        let processed = match &args.out {
            Some(dir) => dir.clone(),
            None => study_folder_of(&input).join("processed_data"),
        };
        return Ok(vec![Job {
            scale,
            input,
            processed,
        }]);
    }
    let config = crate::app::load_config(&ctx.global.config)?;
    let mut jobs = Vec::new();
    for server in crate::app::select_servers(&config, &args.target, false)? {
        let codebook = codebook_for(args, Study::guess_from_server_name(&server.name))
            .with_context(|| format!("server {}", server.name))?;
        let layout = server.layout();
        let processed = args.out.clone().unwrap_or_else(|| layout.processed_data());
        for scale in &codebook.scales {
            let csv = layout.decoded_csv(&scale.name);
            let parquet = csv.with_extension("parquet");
            let input = if csv.is_file() {
                csv
            } else if parquet.is_file() {
                parquet
            } else {
                tracing::info!(
                    "server {}: no decoded table {} in {}",
                    server.name,
                    scale.name,
                    layout.active_data().display()
                );
                continue;
            };
            jobs.push(Job {
                scale: scale.clone(),
                input,
                processed: processed.clone(),
            });
        }
    }
    if jobs.is_empty() {
        bail!("no decoded table of a known scale found; run `mtdata decode` first");
    }
    Ok(jobs)
}

/// MTData wrote `processed_data` beside the CSV's folder (`<grandparent>/processed_data`);
/// for `PATH/active_data/OA.csv` that is `PATH/processed_data`.
fn study_folder_of(input: &Path) -> PathBuf {
    let abs = input.canonicalize().unwrap_or_else(|_| input.to_owned());
    abs.parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// Sessions in the order of the study's own schedule (`active_data/study.json`, saved by export),
/// then the built-in order for sessions the schedule does not name (such as `ELIGIBLE`).
fn schedule_session_order(study_folder: &Path) -> Option<Vec<String>> {
    let layout = mtdata_core::layout::StudyLayout::new(study_folder);
    let schedule = mtdata_core::schedule::Schedule::load_saved(&layout).ok()?;
    let mut order: Vec<String> = Vec::new();
    for name in schedule.session_names() {
        if !order.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            order.push(name.to_owned());
        }
    }
    if order.is_empty() {
        return None;
    }
    for name in mtdata_scales::SCHEDULE_ORDER {
        if !order.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            order.push((*name).to_owned());
        }
    }
    Some(order)
}

fn policy(d: Option<Duplicates>) -> Option<DuplicatePolicy> {
    d.map(|d| match d {
        Duplicates::First => DuplicatePolicy::First,
        Duplicates::Last => DuplicatePolicy::Last,
        Duplicates::MeanOfUnique => DuplicatePolicy::MeanOfUnique,
    })
}

fn out_path(
    job: &Job,
    sub: &str,
    word: &str,
    stamp: &FileStamp,
    ext: &str,
) -> anyhow::Result<PathBuf> {
    let dir = job.processed.join(sub);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join(output_file_name(&job.scale.name, word, stamp, ext)))
}

/// Run one verb on one table; the summary line and whether there were data problems.
fn run_one(
    verb: Verb,
    args: &ScaleArgs,
    job: &Job,
    stamp: &FileStamp,
) -> anyhow::Result<(String, bool)> {
    let format = match args.format {
        Format::Csv => OutputFormat::Csv,
        Format::Parquet => OutputFormat::Parquet,
    };
    let ext = format.extension();
    let df = read_scale_table(&job.input, &job.scale)?;
    let clean_options = CleanOptions {
        policy: policy(args.duplicates).unwrap_or_default(),
        participant_column: args.participant_column.clone(),
    };
    let score_options = ScoreOptions {
        variant: args.variant.clone(),
    };
    let wide_options = WideOptions {
        participant_column: args.participant_column.clone(),
        session_order: schedule_session_order(&study_folder_of(&job.input)),
    };
    let mut line = format!("{:<22} rows {:>7}", job.scale.name, df.height());
    let mut problems = false;
    let mut written = Vec::new();

    let (cleaned, scored, wide) = match verb {
        Verb::Clean => (
            Some(clean(&df, Some(&job.scale), &clean_options)?),
            None,
            None,
        ),
        Verb::Scores => (None, Some(score(&df, &job.scale, &score_options)?), None),
        Verb::LongToWide => {
            // Duplicates are an error unless a policy was chosen explicitly.
            let cleaned = match policy(args.duplicates) {
                Some(_) => Some(clean(&df, Some(&job.scale), &clean_options)?),
                None => None,
            };
            let source = cleaned.as_ref().map_or(&df, |c| &c.data);
            let wide = long_to_wide(source, &job.scale.name, &wide_options)?;
            (cleaned, None, Some(wide))
        }
        Verb::Prepare => {
            let p = prepare(
                &df,
                &job.scale,
                &PrepareOptions {
                    clean: clean_options,
                    score: score_options,
                    wide: wide_options,
                },
            )?;
            (Some(p.cleaned), Some(p.scored), Some(p.wide))
        }
    };
    if let Some(c) = &cleaned {
        let r = &c.report;
        let _ = write!(
            line,
            "  kept {:>7}  dropped {} (exact {}, same key {})",
            r.rows_out,
            r.dropped.len(),
            r.exact_duplicates,
            r.dropped.len() - r.exact_duplicates
        );
        if r.undated_keys > 0 {
            tracing::warn!(
                "{}: {} duplicate keys had rows without a parseable date; file order decided",
                job.scale.name,
                r.undated_keys
            );
        }
        if matches!(verb, Verb::Clean | Verb::Prepare) {
            let path = out_path(job, "cleaned_dup_data", "cleaned", stamp, ext)?;
            write_table(&c.data, &path, format)?;
            written.push(path);
        }
        if !r.dropped.is_empty() {
            let path = out_path(job, "cleaned_dup_data", "dropped", stamp, "csv")?;
            write_table(&r.to_frame()?, &path, OutputFormat::Csv)?;
            written.push(path);
        }
    }
    if let Some(s) = &scored {
        let _ = write!(
            line,
            "  scores {}  invalid values {}",
            s.rules.len(),
            s.problems.len()
        );
        for p in s.problems.iter().take(5) {
            tracing::warn!(
                "{}: row {} (id {}), column {}: {} {:?}; treated as missing",
                job.scale.name,
                p.row + 1,
                p.id.as_deref().unwrap_or("?"),
                p.column,
                p.kind.as_str(),
                p.value
            );
        }
        if s.problems.len() > 5 {
            tracing::warn!(
                "{}: {} more invalid values (listed in the problems file)",
                job.scale.name,
                s.problems.len() - 5
            );
        }
        problems |= !s.problems.is_empty();
        let path = out_path(job, "scored_data", "scored", stamp, ext)?;
        write_table(&s.data, &path, format)?;
        written.push(path);
        let path = out_path(job, "scored_data", "rules", stamp, "csv")?;
        mtdata_core::fsutil::write_atomic(&path, rules_csv(s).as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
        if !s.problems.is_empty() {
            let path = out_path(job, "scored_data", "problems", stamp, "csv")?;
            mtdata_core::fsutil::write_atomic(&path, problems_csv(s).as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
    }
    if let Some(w) = &wide {
        let _ = write!(
            line,
            "  participants {}  wide columns {}",
            w.data.height(),
            w.columns.len()
        );
        let path = out_path(job, "wideform_data", "transed", stamp, ext)?;
        write_table(&w.data, &path, format)?;
        written.push(path);
    }
    for p in &written {
        let _ = write!(line, "\n    {}", p.display());
    }
    Ok((line, problems))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn rules_csv(s: &mtdata_scales::Scored) -> String {
    let mut out = String::from("scale,variant,score,rule,description\n");
    for r in &s.rules {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(&r.scale),
            csv_field(&r.variant),
            csv_field(&r.score),
            csv_field(&r.rule),
            csv_field(&r.description)
        );
    }
    out
}

fn problems_csv(s: &mtdata_scales::Scored) -> String {
    let mut out = String::from("row,id,column,value,problem\n");
    for p in &s.problems {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            p.row + 1,
            csv_field(p.id.as_deref().unwrap_or("")),
            csv_field(&p.column),
            csv_field(&p.value),
            p.kind.as_str()
        );
    }
    out
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
            format: Format::Csv,
            out: None,
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
