//! `mtdata decode [SERVER] [SCALE]`: decrypt raw JSON backups into `active_data/<Table>.csv`, and MindLogger
//! applets into `active_data/mindlogger/<applet id>/`.

use std::io::Write as _;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::Args;
use mtdata_core::config::{MindLoggerConfig, ServerConfig};
use mtdata_core::decoded::mindlogger::{JOURNEY_FILE, RESPONSES_FILE, WIDE_FOLDER};
use mtdata_crypto::{PrivateKey, check_key_file_permissions};
use mtdata_decode::mindlogger::{
    AppletOutcome, AppletSummary, MindLoggerOptions, decode_mindlogger_study,
};
use mtdata_decode::{DecodeOptions, TableOutcome, TableSummary, decode_study};

use crate::app::{CommandResult, Context};
use crate::exit::Outcome;

/// Arguments of `mtdata decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Server block; `.` is every block with READY: True (a named block is decoded even if not READY)
    #[arg(default_value = ".")]
    pub server: String,

    /// Table; `.` is every table with backups in raw_data/
    #[arg(default_value = ".")]
    pub scale: String,

    /// Private key (PKCS#1 or PKCS#8, PEM or DER); overrides PRIVATE_FILE of the server block
    #[arg(long, value_name = "FILE", env = "MTDATA_PRIVATE_KEY")]
    pub key: Option<PathBuf>,

    /// Worker threads for decryption and CSV writing [default: all cores]
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,

    /// Also write `active_data/<Table>.parquet` next to each CSV (text columns, same content)
    #[arg(long, value_enum, default_value_t = DecodeFormat::Csv)]
    pub format: DecodeFormat,

    /// Seconds to wait for an export of the same study folder to finish (0: do not wait)
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub wait: u64,

    #[command(flatten)]
    pub csv: crate::commands::render::CsvArgs,
}

/// Output formats of `mtdata decode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DecodeFormat {
    /// CSV only
    #[default]
    Csv,
    /// CSV and Parquet
    Parquet,
}

pub fn run(args: &DecodeArgs, ctx: &Context) -> CommandResult {
    let config = crate::app::load_config(&ctx.global.config)?;
    let servers = crate::app::select_servers(&config, &args.server, false)?;
    let options = DecodeOptions {
        table: (args.scale != ".").then(|| args.scale.clone()),
        threads: args.threads,
        csv_cells: args.csv.cells(),
        lock_wait: std::time::Duration::from_secs(args.wait),
    };
    let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
    let outcome = crate::app::for_each_target(
        servers.iter().copied(),
        |server| server.name.clone(),
        |server| {
            let _log = crate::logging::study::open(server, "decode");
            let result = match server.platform.mindlogger() {
                Some(mindlogger) => decode_mindlogger(server, mindlogger, args),
                None => decode_server(server, args, &options).map(Outcome::problems_if),
            };
            if let Err(err) = &result {
                crate::logging::record(tracing::Level::ERROR, &format!("{err:#}"));
                let facts =
                    crate::unattended::stopped(mtdata_unattended::facts::Command::Decode, err);
                crate::unattended::after_run(server, &facts);
            }
            result
        },
    );
    crate::unattended::check_others(&config, &names);
    Ok(outcome)
}

/// Decode every applet of a MindLogger block. A wrong password stops only its applet (exit status 2, the
/// error printed); an answer that did not decrypt is a problem (exit status 1).
fn decode_mindlogger(
    server: &ServerConfig,
    config: &MindLoggerConfig,
    args: &DecodeArgs,
) -> anyhow::Result<Outcome> {
    if args.scale != "." {
        anyhow::bail!(
            "a MindLogger block is decoded whole; give `.` (or nothing) instead of \"{}\"",
            args.scale
        );
    }
    if args.key.is_some() {
        tracing::warn!(
            "server {}: --key is for MindTrails servers; a MindLogger block uses APPLET_PASSWORDS",
            server.name
        );
    }
    let passwords = crate::app::applet_passwords(config)?;
    let options = MindLoggerOptions {
        threads: args.threads,
        csv_cells: args.csv.cells(),
        ..MindLoggerOptions::default()
    };
    let outcomes = decode_mindlogger_study(&server.layout(), &passwords, &options)?;
    if outcomes.is_empty() {
        tracing::warn!(
            "server {}: no applet backups in {}; run `mtdata export` first",
            server.name,
            server.layout().raw_data().join("mindlogger").display()
        );
    }
    let mut outcome = Outcome::Success;
    let mut stdout = std::io::stdout().lock();
    for applet in &outcomes {
        match &applet.result {
            Ok(summary) => {
                let mut line = applet_line(&server.name, applet, summary);
                if args.format == DecodeFormat::Parquet {
                    match applet_parquet(applet, summary) {
                        Ok(count) => line.push_str(&format!(" (+ {count} parquet)")),
                        Err(err) => {
                            tracing::error!("server {}: {err:#}", server.name);
                            outcome = outcome.worst(Outcome::Problems);
                        }
                    }
                }
                writeln!(stdout, "{line}")?;
                for problem in summary.problems() {
                    tracing::warn!("server {}: {problem}", server.name);
                }
                if summary.conflicts > 0 {
                    tracing::warn!(
                        "server {}: applet {}: {} answers have copies that differ; the newest run's copy was kept (ids in summary.json)",
                        server.name,
                        summary.applet,
                        summary.conflicts
                    );
                }
                outcome = outcome.worst(Outcome::problems_if(summary.has_problems()));
            }
            Err(err) => {
                crate::app::print_error(&anyhow::anyhow!(
                    "server {}: {}",
                    server.name,
                    mtdata_core::error::chain(err)
                ));
                outcome = Outcome::Error;
            }
        }
    }
    Ok(outcome)
}

/// One line per applet, e.g.
/// `ema applet 64a1...: 120 answers (130 read, 2 runs, 10 duplicates); 118 decrypted, 2 wrong key -> /study/active_data/mindlogger/64a1...`
fn applet_line(server: &str, applet: &AppletOutcome, s: &AppletSummary) -> String {
    let mut line = format!(
        "{server} applet {}: {} answers ({} read, {} run{}, {} duplicates",
        s.applet,
        s.answers,
        s.answers_read,
        s.runs,
        if s.runs == 1 { "" } else { "s" },
        s.duplicates
    );
    if s.conflicts > 0 {
        line.push_str(&format!(", {} conflicting", s.conflicts));
    }
    if !s.incomplete_runs_ignored.is_empty() {
        line.push_str(&format!(
            ", {} incomplete runs ignored",
            s.incomplete_runs_ignored.len()
        ));
    }
    line.push(')');
    let statuses: Vec<String> = s
        .answers_by_status
        .iter()
        .map(|(status, count)| format!("{count} {status}"))
        .collect();
    if !statuses.is_empty() {
        line.push_str(&format!("; {}", statuses.join(", ")));
    }
    line.push_str(&format!(
        "; {} rows, {} activities -> {}",
        s.response_rows,
        s.wide.len(),
        applet.dir.display()
    ));
    line
}

/// Parquet beside every CSV of an applet; how many were written.
fn applet_parquet(applet: &AppletOutcome, summary: &AppletSummary) -> anyhow::Result<usize> {
    let mut csvs = vec![
        applet.dir.join(RESPONSES_FILE),
        applet.dir.join(JOURNEY_FILE),
    ];
    csvs.extend(
        summary
            .wide
            .iter()
            .map(|wide| applet.dir.join(WIDE_FOLDER).join(&wide.file)),
    );
    for csv in &csvs {
        to_parquet(csv)?;
    }
    Ok(csvs.len())
}

/// Decode one server's study folder; `Ok(true)` when some table has problems.
fn decode_server(
    server: &ServerConfig,
    args: &DecodeArgs,
    options: &DecodeOptions,
) -> anyhow::Result<bool> {
    // Like MTData, PRIVATE_FILE is relative to the working directory.
    let key_path = args.key.clone().or_else(|| server.private_file.clone());
    let key = match &key_path {
        Some(path) => {
            if let Some(warning) = check_key_file_permissions(path)? {
                tracing::warn!("{warning}");
            }
            let key = PrivateKey::load(path)?;
            tracing::info!(
                key = %path.display(),
                format = %key.format(),
                bits = key.bits(),
                backend = %key.backend().describe(),
                "private key loaded"
            );
            Some(key)
        }
        None => None,
    };
    let outcomes = decode_study(&server.layout(), key.as_ref(), options)?;
    crate::unattended::after_run(
        server,
        &mtdata_unattended::facts::RunFacts::decode(&outcomes),
    );
    let mut problems = false;
    let mut stdout = std::io::stdout().lock();
    for outcome in &outcomes {
        match &outcome.result {
            Ok(summary) => {
                let mut line = summary_line(&server.name, outcome, summary);
                if args.format == DecodeFormat::Parquet {
                    match to_parquet(&outcome.csv) {
                        Ok(path) => line.push_str(&format!(" (+ {})", path.display())),
                        Err(err) => {
                            tracing::error!("server {}: {err:#}", server.name);
                            problems = true;
                        }
                    }
                }
                writeln!(stdout, "{line}")?;
                for problem in summary.problems() {
                    tracing::warn!("server {}: {problem}", server.name);
                }
                problems |= summary.has_problems();
            }
            Err(err) => {
                tracing::error!("server {}: {}", server.name, mtdata_core::error::chain(err));
                problems = true;
            }
        }
    }
    Ok(problems)
}

/// Write the decoded CSV again as Parquet, through polars (which lives in mtdata-scales).
#[cfg(feature = "scales")]
fn to_parquet(csv: &std::path::Path) -> anyhow::Result<PathBuf> {
    let frame = mtdata_scales::read_table(csv)?;
    let out = csv.with_extension("parquet");
    mtdata_scales::write_table(
        &frame,
        &out,
        mtdata_scales::OutputFormat::Parquet,
        // Parquet keeps values as they are; the cell rule is for CSV.
        mtdata_core::csv_cell::CsvCells::Raw,
    )?;
    Ok(out)
}

#[cfg(not(feature = "scales"))]
fn to_parquet(_csv: &std::path::Path) -> anyhow::Result<PathBuf> {
    anyhow::bail!(
        "this mtdata was built without Parquet support (cargo feature `scales`); use --format csv"
    )
}

/// One line per table, e.g.
/// `templeton OA: 5 rows (7 read, 2 files, 2 duplicates, 1 conflicting); participantRSA: 3 decrypted, 1 plain, 1 failed -> /study/active_data/OA.csv`
fn summary_line(server: &str, outcome: &TableOutcome, s: &TableSummary) -> String {
    let mut line = format!(
        "{server} {}: {} rows ({} read, {} file{}, {} duplicates",
        s.table,
        s.rows,
        s.rows_read,
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.duplicates
    );
    if s.conflicting_ids > 0 {
        line.push_str(&format!(", {} conflicting", s.conflicting_ids));
    }
    line.push(')');
    if !s.encrypted_columns.is_empty() {
        let f = &s.fields;
        line.push_str(&format!(
            "; {}: {} decrypted, {} plain, {} empty, {} failed",
            s.encrypted_columns.join("+"),
            f.decrypted,
            f.plain,
            f.empty,
            f.failed
        ));
    }
    if !s.bad_files.is_empty() {
        line.push_str(&format!("; {} damaged files", s.bad_files.len()));
    }
    line.push_str(&format!(" -> {}", outcome.csv.display()));
    line
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use mtdata_decode::{FieldCounts, TableOutcome, TableSummary};

    use super::summary_line;

    #[test]
    fn one_line_per_table() {
        let summary = TableSummary {
            table: "OA".into(),
            files: 2,
            rows_read: 7,
            rows: 5,
            duplicates: 2,
            conflicting_ids: 1,
            encrypted_columns: vec!["participantRSA".into()],
            fields: FieldCounts {
                decrypted: 3,
                plain: 1,
                failed: 1,
                ..FieldCounts::default()
            },
            ..TableSummary::default()
        };
        let outcome = TableOutcome {
            table: "OA".into(),
            csv: PathBuf::from("study/active_data/OA.csv"),
            result: Ok(summary.clone()),
        };
        assert_eq!(
            summary_line("r34", &outcome, &summary),
            "r34 OA: 5 rows (7 read, 2 files, 2 duplicates, 1 conflicting); participantRSA: 3 decrypted, \
             1 plain, 0 empty, 1 failed -> study/active_data/OA.csv"
        );
    }
}
