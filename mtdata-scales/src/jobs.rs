//! The scale verbs on a study's files (`mtdata clean|scores|long-to-wide|prepare`): which
//! codebook (named, a lab's file, or guessed from the path or server name), which input (CSV or
//! Parquet), sessions in the order of the study's schedule, and the outputs in MTData's
//! `processed_data/{cleaned_dup_data,scored_data,wideform_data}/`, written atomically and
//! fsynced, with the rules and the invalid cells beside the scored table. One call per run
//! ([`run_table`], [`run_study`]) returns a [`JobReport`]; nothing is printed.
//!
//! ```
//! use mtdata_scales::jobs::{JobOptions, Verb, run_table};
//! use mtdata_scales::Study;
//!
//! let study = tempfile::tempdir()?;
//! let active = study.path().join("active_data");
//! std::fs::create_dir_all(&active)?;
//! std::fs::write(
//!     active.join("Phq4.csv"),
//!     "id,participant,session,nervous,worry,pleasure,depressed\n1,7,PRE,1,2,0,3\n",
//! )?;
//! let options = JobOptions { study: Some(Study::Templeton), ..JobOptions::default() };
//! let report = run_table(Verb::Scores, "Phq4", &active.join("Phq4.csv"), &options)?;
//! let table = report.tables[0].result.as_ref().unwrap();
//! assert_eq!(table.rows, 1);
//! // The scored table and its rules, in `processed_data/scored_data/`.
//! assert_eq!(table.written.len(), 2);
//! assert!(table.written[0].starts_with(study.path().canonicalize()?.join("processed_data/scored_data")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use mtdata_core::catalog::Study;
use mtdata_core::csv_cell::CsvCells;
use mtdata_core::layout::{FileStamp, Processed, StudyLayout, output_file_name};
use mtdata_core::schedule::Schedule;

use polars::prelude::DataFrame;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::table::{OutputFormat, read_scale_table, write_table};
use crate::ops::clean::{CleanOptions, CleanReport, KEY_COUNT_COLUMNS, clean};
use crate::ops::score::{ScoreOptions, score};
use crate::ops::wide::{SCHEDULE_ORDER, WideOptions, long_to_wide};
use crate::ops::{PrepareOptions, prepare};
use crate::rules::codebook::{Codebook, ScaleDef};
use crate::rules::codebook_file::load_codebook;
use crate::rules::duplicates::DuplicatePolicy;
use crate::rules::records::{ImputationBase, RuleRecord, ValueProblem};

/// A scale verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Duplicates removed by a policy: `cleaned_dup_data/`.
    Clean,
    /// Scored: `scored_data/`.
    Scores,
    /// One row per participant: `wideform_data/`.
    LongToWide,
    /// All three.
    Prepare,
}

impl Verb {
    /// The verb as typed (`long-to-wide`).
    pub fn name(self) -> &'static str {
        match self {
            Verb::Clean => "clean",
            Verb::Scores => "scores",
            Verb::LongToWide => "long-to-wide",
            Verb::Prepare => "prepare",
        }
    }
}

/// Options of [`run_table`] and [`run_study`]. `Default`: the codebook guessed, each scale's
/// default variant, duplicates by `last` (clean, prepare), CSV into the study's
/// `processed_data/`, file names stamped now.
#[derive(Debug, Clone, Default)]
pub struct JobOptions {
    /// The built-in codebook; `None` guesses it ([`guess_study`], or the server name).
    pub study: Option<Study>,
    /// A lab's codebook file (YAML or CSV scoresheet), used instead of a built-in one.
    pub codebook_file: Option<PathBuf>,
    /// Scoring variant; `None` is each scale's default.
    pub variant: Option<String>,
    /// Which row to keep per (participant, session, tag). `None` is `last` for clean and
    /// prepare; long-to-wide then cleans nothing, so duplicate keys are an error.
    pub duplicates: Option<DuplicatePolicy>,
    /// The participant column; `None` reads each row's participant by the decoded-table rule.
    pub participant_column: Option<String>,
    /// Format of the data tables (the dropped-rows, rules and problems files are always CSV).
    pub format: OutputFormat,
    /// The folder to write the `processed_data` sub-folders into; `None` is the study folder's.
    pub processed_data: Option<PathBuf>,
    /// The time in the output file names; `None` is now.
    pub stamp: Option<FileStamp>,
    /// How CSV text cells are written (spreadsheet-safe by default, `mtdata_core::csv_cell`).
    pub csv_cells: CsvCells,
}

/// What one run did, table by table.
#[derive(Debug)]
pub struct JobReport {
    pub verb: Verb,
    /// The study name of the codebook used (`r34`, or a lab codebook's `study:`).
    pub codebook_study: String,
    /// The tables in codebook order; a table that failed does not stop the others.
    pub tables: Vec<TableJob>,
}

impl JobReport {
    /// Whether some table failed or had invalid values.
    pub fn has_problems(&self) -> bool {
        self.tables.iter().any(|t| match &t.result {
            Ok(done) => {
                done.scored.as_ref().is_some_and(|s| !s.problems.is_empty())
                    || done
                        .cleaned
                        .as_ref()
                        .is_some_and(|c| !c.problems.is_empty())
            }
            Err(_) => true,
        })
    }
}

/// One table of a run.
#[derive(Debug)]
pub struct TableJob {
    /// The scale (table) name.
    pub scale: String,
    /// The decoded table read.
    pub input: PathBuf,
    /// What was done, or why this table failed.
    pub result: Result<TableOutput>,
}

/// What was done to one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableOutput {
    /// Rows read.
    pub rows: usize,
    /// Duplicates removed (clean, prepare, long-to-wide with a policy).
    pub cleaned: Option<CleanReport>,
    /// Scored (scores, prepare).
    pub scored: Option<ScoreReport>,
    /// Reshaped (long-to-wide, prepare).
    pub wide: Option<WideShape>,
    /// The files written: cleaned, dropped and problems of the cleaning, scored, rules and
    /// problems of the scoring, wide (those the verb writes).
    pub written: Vec<PathBuf>,
}

/// The rules and invalid cells of a scored table.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreReport {
    /// One per score column.
    pub rules: Vec<RuleRecord>,
    /// Cells set to missing, in row order per column.
    pub problems: Vec<ValueProblem>,
}

/// The size of a wide table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WideShape {
    pub participants: usize,
    /// Value columns (the participant column not counted).
    pub columns: usize,
}

/// `<verb> <SCALE> <CSV>`: one decoded table (`.csv`, or `.parquet`) as scale `scale`. The
/// study folder is the table's grandparent (`PATH` for `PATH/active_data/<Table>.csv`, where
/// MTData put it too); the codebook is guessed from a folder of the path named after a study.
pub fn run_table(verb: Verb, scale: &str, input: &Path, options: &JobOptions) -> Result<JobReport> {
    let input_place = input.display().to_string();
    let codebook = choose_codebook(options, || guess_study(input), &input_place)?;
    let scale = codebook.scale(scale)?;
    let study = StudyLayout::new(study_folder_of(input));
    let run = Run::new(verb, &study, options);
    let tables = vec![run.table(scale, input)];
    Ok(JobReport {
        verb,
        codebook_study: codebook.study.clone(),
        tables,
    })
}

/// `<verb> all <SERVER>`: every scale of the codebook that the study has a decoded table of
/// (`active_data/<Table>.csv`, else `.parquet`). `server` (the config block's name) is where the
/// codebook is guessed from.
pub fn run_study(
    verb: Verb,
    study: &StudyLayout,
    server: &str,
    options: &JobOptions,
) -> Result<JobReport> {
    let codebook = choose_codebook(
        options,
        || Study::guess_from_server_name(server),
        &format!("server {server}"),
    )?;
    let run = Run::new(verb, study, options);
    let mut tables = Vec::new();
    for scale in &codebook.scales {
        match decoded_table(study, &scale.name) {
            Some(input) => tables.push(run.table(scale, &input)),
            None => tracing::info!(
                "server {server}: no decoded table {} in {}",
                scale.name,
                study.active_data().display()
            ),
        }
    }
    if tables.is_empty() {
        return Err(Error::NoTables {
            folder: study.active_data(),
            codebook: codebook.study.clone(),
        });
    }
    Ok(JobReport {
        verb,
        codebook_study: codebook.study.clone(),
        tables,
    })
}

/// The study a path names: its innermost folder named exactly after a study (`…/templeton/
/// active_data/OA.csv`).
pub fn guess_study(path: &Path) -> Option<Study> {
    let path = path.canonicalize().ok()?;
    path.components()
        .rev()
        .find_map(|c| c.as_os_str().to_str().and_then(Study::parse))
}

/// Session order for wide tables: the sessions of the study's saved schedule
/// (`active_data/study.json`, written by export) in its order, then the built-in
/// [`SCHEDULE_ORDER`] for sessions it does not name (such as `ELIGIBLE`); `None` without a
/// schedule.
pub fn session_order(study: &StudyLayout) -> Option<Vec<String>> {
    let schedule = Schedule::load_saved(study).ok()?;
    let mut order: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if !order.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            order.push(name.to_owned());
        }
    };
    let mut named = false;
    for name in schedule.session_names() {
        add(name);
        named = true;
    }
    if !named {
        return None;
    }
    SCHEDULE_ORDER.iter().for_each(|name| add(name));
    Some(order)
}

/// The codebook file, the named study's, or the guessed study's, in that order.
fn choose_codebook(
    options: &JobOptions,
    guess: impl FnOnce() -> Option<Study>,
    place: &str,
) -> Result<Codebook> {
    if let Some(path) = &options.codebook_file {
        return load_codebook(path);
    }
    match options.study.or_else(guess) {
        Some(study) => Ok(Codebook::builtin(study)),
        None => Err(Error::NoStudy {
            place: place.to_owned(),
        }),
    }
}

/// The decoded table of `scale` in the study: the CSV, else the Parquet file.
fn decoded_table(study: &StudyLayout, scale: &str) -> Option<PathBuf> {
    let csv = study.decoded_csv(scale);
    let parquet = csv.with_extension("parquet");
    [csv, parquet].into_iter().find(|p| p.is_file())
}

/// MTData wrote `processed_data` beside the CSV's folder (`<grandparent>/processed_data`);
/// for `PATH/active_data/OA.csv` that is `PATH/processed_data`.
fn study_folder_of(input: &Path) -> PathBuf {
    let abs = input.canonicalize().unwrap_or_else(|_| input.to_owned());
    abs.parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// What every table of one run shares: the verb, options, where outputs go, the stamp.
struct Run<'a> {
    verb: Verb,
    options: &'a JobOptions,
    processed_data: PathBuf,
    session_order: Option<Vec<String>>,
    stamp: FileStamp,
}

impl<'a> Run<'a> {
    fn new(verb: Verb, study: &StudyLayout, options: &'a JobOptions) -> Self {
        Run {
            verb,
            options,
            processed_data: options
                .processed_data
                .clone()
                .unwrap_or_else(|| study.processed_data()),
            session_order: session_order(study),
            stamp: options.stamp.unwrap_or_else(FileStamp::now),
        }
    }

    fn table(&self, scale: &ScaleDef, input: &Path) -> TableJob {
        TableJob {
            scale: scale.name.clone(),
            input: input.to_owned(),
            result: self.process(scale, input),
        }
    }

    /// Read, transform and write one table.
    fn process(&self, scale: &ScaleDef, input: &Path) -> Result<TableOutput> {
        let df = read_scale_table(input, scale)?;
        let options = self.options;
        let clean_options = CleanOptions {
            policy: options.duplicates.unwrap_or_default(),
            participant_column: options.participant_column.clone(),
        };
        let score_options = ScoreOptions {
            variant: options.variant.clone(),
            participant_column: options.participant_column.clone(),
            imputation_base: None,
        };
        let wide_options = WideOptions {
            participant_column: options.participant_column.clone(),
            session_order: self.session_order.clone(),
        };
        let (cleaned, scored, wide) = match self.verb {
            Verb::Clean => (Some(clean(&df, Some(scale), &clean_options)?), None, None),
            Verb::Scores => (None, Some(score(&df, scale, &score_options)?), None),
            Verb::LongToWide => {
                // Duplicates are an error unless a policy was chosen.
                let cleaned = match options.duplicates {
                    Some(_) => Some(clean(&df, Some(scale), &clean_options)?),
                    None => None,
                };
                let source = match &cleaned {
                    Some(c) => c.data.drop_many(KEY_COUNT_COLUMNS),
                    None => df.clone(),
                };
                let wide = long_to_wide(&source, &scale.name, &wide_options)?;
                (cleaned, None, Some(wide))
            }
            Verb::Prepare => {
                let options = PrepareOptions {
                    clean: clean_options,
                    score: score_options,
                    wide: wide_options,
                };
                let p = prepare(&df, scale, &options)?;
                (Some(p.cleaned), Some(p.scored), Some(p.wide))
            }
        };
        let mut out = Outputs {
            run: self,
            scale: &scale.name,
            pending: Vec::new(),
        };
        if let Some(c) = &cleaned {
            if matches!(self.verb, Verb::Clean | Verb::Prepare) {
                out.table(Processed::CleanedDupData, "cleaned", &c.data)?;
            }
            if !c.report.dropped.is_empty() {
                let dropped = c.report.to_frame()?;
                out.csv_table(Processed::CleanedDupData, "dropped", &dropped)?;
            }
            if !c.report.problems.is_empty() {
                let problems = problems_csv(&c.report.problems, self.options.csv_cells);
                out.file(Processed::CleanedDupData, "problems", problems)?;
            }
        }
        if let Some(s) = &scored {
            out.table(Processed::ScoredData, "scored", &s.data)?;
            out.file(Processed::ScoredData, "rules", rules_csv(&s.rules))?;
            if !s.problems.is_empty() {
                out.file(
                    Processed::ScoredData,
                    "problems",
                    problems_csv(&s.problems, self.options.csv_cells),
                )?;
            }
        }
        if let Some(w) = &wide {
            out.table(Processed::WideformData, "transed", &w.data)?;
        }
        let written = out.write_all()?;
        Ok(TableOutput {
            rows: df.height(),
            cleaned: cleaned.map(|c| c.report),
            scored: scored.map(|s| ScoreReport {
                rules: s.rules,
                problems: s.problems,
            }),
            wide: wide.map(|w| WideShape {
                participants: w.data.height(),
                columns: w.columns.len(),
            }),
            written,
        })
    }
}

/// The output files of one table: `<processed_data>/<folder>/<Scale>_<kind>_<stamp>.<ext>`,
/// gathered and then written together ([`Outputs::write_all`]).
struct Outputs<'a> {
    run: &'a Run<'a>,
    scale: &'a str,
    pending: Vec<(PathBuf, Pending)>,
}

/// What an output file holds.
enum Pending {
    Table(DataFrame, OutputFormat),
    Bytes(Vec<u8>),
}

impl Outputs<'_> {
    fn path(&self, folder: Processed, kind: &str, ext: &str) -> Result<PathBuf> {
        let dir = folder.under(&self.run.processed_data);
        mtdata_core::fsutil::ensure_dir(&dir)?;
        let name = output_file_name(self.scale, kind, &self.run.stamp, ext);
        Ok(dir.join(name))
    }

    /// A data table in the run's format.
    fn table(&mut self, folder: Processed, kind: &str, df: &DataFrame) -> Result<()> {
        let format = self.run.options.format;
        let path = self.path(folder, kind, format.extension())?;
        self.pending
            .push((path, Pending::Table(df.clone(), format)));
        Ok(())
    }

    /// A report table, always CSV.
    fn csv_table(&mut self, folder: Processed, kind: &str, df: &DataFrame) -> Result<()> {
        let path = self.path(folder, kind, OutputFormat::Csv.extension())?;
        self.pending
            .push((path, Pending::Table(df.clone(), OutputFormat::Csv)));
        Ok(())
    }

    /// CSV made here (rules, problems).
    fn file(&mut self, folder: Processed, kind: &str, csv: CsvResult) -> Result<()> {
        let path = self.path(folder, kind, "csv")?;
        let bytes = csv.map_err(|e| Error::File {
            action: "write",
            path: path.clone(),
            message: e.to_string(),
        })?;
        self.pending.push((path, Pending::Bytes(bytes)));
        Ok(())
    }

    /// Write every file at once, each atomically (temporary file, fsync, rename), so one file's
    /// serializing overlaps another's fsync; the paths in the order they were added.
    fn write_all(self) -> Result<Vec<PathBuf>> {
        let cells = self.run.options.csv_cells;
        self.pending
            .into_par_iter()
            .map(|(path, what)| {
                match what {
                    Pending::Table(df, format) => write_table(&df, &path, format, cells)?,
                    Pending::Bytes(bytes) => mtdata_core::fsutil::write_atomic(&path, &bytes)?,
                }
                Ok(path)
            })
            .collect()
    }
}

/// A CSV file's bytes, or why the csv writer failed.
type CsvResult = std::result::Result<Vec<u8>, csv::Error>;

/// `scale,variant,score,rule,description,imputation_rows,imputation_medians`, one row per
/// score column; the last two for a median-imputed score: the base's rows and each item's
/// median (`breathing=1 dryness=0.5`, `NA` for an item nobody answered).
fn rules_csv(rules: &[RuleRecord]) -> CsvResult {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "scale",
        "variant",
        "score",
        "rule",
        "description",
        "imputation_rows",
        "imputation_medians",
    ])?;
    for r in rules {
        let (rows, medians) = match &r.imputation {
            Some(base) => (base.rows.to_string(), medians_text(base)),
            None => (String::new(), String::new()),
        };
        out.write_record([
            &r.scale,
            &r.variant,
            &r.score,
            &r.rule,
            &r.description,
            &rows,
            &medians,
        ])?;
    }
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// `item=median` for every item of the base, space-separated.
fn medians_text(base: &ImputationBase) -> String {
    let one = |(item, median): &(String, Option<f64>)| match median {
        Some(m) => format!("{item}={m}"),
        None => format!("{item}=NA"),
    };
    base.medians.iter().map(one).collect::<Vec<_>>().join(" ")
}

/// `row,id,column,value,problem`, one row per invalid cell; `row` counts data rows from 1.
fn problems_csv(problems: &[ValueProblem], cells: CsvCells) -> CsvResult {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["row", "id", "column", "value", "problem"])?;
    for p in problems {
        let row = (p.row + 1).to_string();
        let id = p.id.as_deref().unwrap_or("");
        out.write_record([
            &row,
            cells.cell(id).as_ref(),
            cells.cell(&p.column).as_ref(),
            cells.cell(&p.value).as_ref(),
            p.kind.as_str(),
        ])?;
    }
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}
