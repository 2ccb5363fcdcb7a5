//! The study's log, `PATH/logs/mtdata.log` (plain text) or `PATH/logs/mtdata.jsonl` (`LOG_FORMAT: json`):
//! one line per event of every command that works on the study (export, decode, doctor), with the time,
//! the level, the command and its process id. Rotation by size is file-rotate's: when the file passes its
//! share of `LOG_MAX_MB` it becomes `mtdata.log.1` (the older ones move up) and at most `LOG_KEEP` old
//! files are kept, so the folder never holds more than `LOG_MAX_MB`. Files are owner-only.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use mtdata_core::config::{LogFormat, LogSettings, ServerConfig};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;

/// The longest line written; longer messages are cut (so a file never passes its share by more).
const LONGEST_LINE: usize = 8 << 10;

/// The log of the study a command is working on, if any.
static OPEN: Mutex<Option<StudyLog>> = Mutex::new(None);

/// One study's log file, rotated by size.
pub struct StudyLog {
    writer: FileRotate<AppendCount>,
    format: LogFormat,
    command: &'static str,
    server: String,
    pid: u32,
}

/// The log file's name for a format.
pub fn file_name(format: LogFormat) -> &'static str {
    match format {
        LogFormat::Text => "mtdata.log",
        LogFormat::Json => "mtdata.jsonl",
    }
}

impl StudyLog {
    /// Open (or create, owner-only) the log in `dir` for one run of `command` on `server`.
    pub fn open(
        dir: &Path,
        settings: &LogSettings,
        command: &'static str,
        server: &str,
    ) -> std::io::Result<Self> {
        let mut folder = std::fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
        folder.create(dir)?;
        let path: PathBuf = dir.join(file_name(settings.format));
        let mut options = OpenOptions::new();
        options.read(true).create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        // file-rotate sends lines to nowhere when it cannot open the file: find out first.
        drop(options.open(&path)?);
        let files = u64::from(settings.keep) + 1;
        let share = (settings.max_bytes / files).saturating_sub(LONGEST_LINE as u64 + 1);
        let writer = FileRotate::new(
            &path,
            AppendCount::new(settings.keep as usize),
            ContentLimit::BytesSurpassed(usize::try_from(share.max(1024)).unwrap_or(usize::MAX)),
            Compression::None,
            Some(options),
        );
        Ok(StudyLog {
            writer,
            format: settings.format,
            command,
            server: server.to_owned(),
            pid: std::process::id(),
        })
    }

    /// Write one event.
    pub fn write(&mut self, time: DateTime<Utc>, level: Level, message: &str) {
        let (word, _) = super::level_word(level);
        let time = time.to_rfc3339_opts(SecondsFormat::Secs, true);
        let message = cut(message, LONGEST_LINE - 200);
        let mut line = match self.format {
            LogFormat::Text => format!("{time} {word:<7} {}[{}] {message}", self.command, self.pid),
            LogFormat::Json => serde_json::json!({
                "time": time,
                "level": word,
                "command": self.command,
                "server": self.server,
                "pid": self.pid,
                "message": message,
            })
            .to_string(),
        };
        line.push('\n');
        // One write per line, so a rotation never splits one.
        let _ = self.writer.write_all(line.as_bytes());
    }
}

/// `text` cut to at most `max` bytes at a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.replace('\n', " | ");
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} [cut]", text[..end].replace('\n', " | "))
}

/// Closes the study log when dropped.
#[must_use]
pub struct StudyLogGuard(());

impl Drop for StudyLogGuard {
    fn drop(&mut self) {
        let closed = crate::lock(&OPEN).take();
        drop(closed);
    }
}

/// Send the events of the coming work to `server`'s study log. A log that cannot be opened is a warning,
/// never a reason to stop.
pub fn open(server: &ServerConfig, command: &'static str) -> StudyLogGuard {
    let dir = server.layout().logs();
    match StudyLog::open(&dir, &server.logs, command, &server.name) {
        Ok(log) => *crate::lock(&OPEN) = Some(log),
        // Warned after the lock is released: the warning itself goes through the log layer.
        Err(e) => tracing::warn!(
            "cannot write the study log in {}: {e}; going on without it",
            dir.display()
        ),
    }
    StudyLogGuard(())
}

/// Write `message` to the open study log only (summary lines that stdout already shows, errors that
/// stderr already shows).
pub fn record(level: Level, message: &str) {
    if let Some(log) = crate::lock(&OPEN).as_mut() {
        log.write(Utc::now(), level, message);
    }
}

/// The tracing layer that copies events to the open study log.
pub struct StudyLayer;

impl<S: Subscriber> tracing_subscriber::Layer<S> for StudyLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = Fields::default();
        event.record(&mut text);
        record(*event.metadata().level(), &text.0);
    }
}

/// An event's message and fields as `message key=value ...`.
#[derive(Default)]
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            self.0.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one cron run of an 11-table study writes: a line per table, the server's line, a few events.
    fn one_run(log: &mut StudyLog, time: DateTime<Utc>) {
        for table in [
            "RR",
            "BBSIQ",
            "OA",
            "DASS21_AS",
            "Demographic",
            "TaskLog",
            "JsPsychTrial",
        ] {
            log.write(
                time,
                Level::INFO,
                &format!("templeton  {table:<12}  nothing new (1234 rows on the server)"),
            );
        }
        log.write(
            time,
            Level::INFO,
            "templeton RR: 12 rows received, 3 new, 3 deleted, 0 delete failures",
        );
        log.write(
            time,
            Level::WARN,
            "templeton RR: the server listed a table twice; ignored",
        );
        log.write(
            time,
            Level::INFO,
            "templeton: 11 tables, 3 new rows, 3 deleted, 0 failed; schedule unchanged; study folder /lab/data/templeton",
        );
    }

    fn folder_bytes(dir: &Path) -> (u64, usize) {
        let sizes: Vec<u64> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .collect();
        (sizes.iter().sum(), sizes.len())
    }

    #[test]
    fn a_month_of_cron_runs_every_five_minutes_stays_within_the_configured_size() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let settings = LogSettings {
            max_bytes: 1 << 20,
            keep: 4,
            format: LogFormat::Text,
        };
        let start = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut written = 0u64;
        let mut largest_seen = 0u64;
        for cycle in 0..8_640 {
            // Each cron run is a new process with a new writer.
            let mut log = StudyLog::open(&logs, &settings, "export", "templeton").unwrap();
            let before = folder_bytes(&logs).0;
            one_run(&mut log, start + chrono::Duration::minutes(5 * cycle));
            drop(log);
            let (bytes, files) = folder_bytes(&logs);
            written += bytes.saturating_sub(before);
            largest_seen = largest_seen.max(bytes);
            assert!(
                bytes <= settings.max_bytes,
                "cycle {cycle}: {bytes} bytes in logs/"
            );
            assert!(files <= 5, "cycle {cycle}: {files} files");
        }
        // `written` counts growth only (a rotation shrinks the folder), so it is a lower bound.
        assert!(
            written > 5 * settings.max_bytes,
            "the month wrote {written} bytes: rotation was exercised"
        );
        assert!(
            largest_seen > settings.max_bytes / 2,
            "the space was used: {largest_seen}"
        );
        let newest = std::fs::read_to_string(logs.join("mtdata.log")).unwrap();
        assert!(
            newest.contains("2026-03-30T23:55:00Z"),
            "the last run is in the current file"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            for entry in std::fs::read_dir(&logs).unwrap() {
                let mode = entry.unwrap().metadata().unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600);
            }
            assert_eq!(
                std::fs::metadata(&logs).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
    }

    #[test]
    fn json_lines_for_tools_and_text_for_people() {
        let dir = tempfile::tempdir().unwrap();
        let time = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let json = LogSettings {
            format: LogFormat::Json,
            ..LogSettings::default()
        };
        let mut log = StudyLog::open(dir.path(), &json, "decode", "templeton").unwrap();
        log.write(
            time,
            Level::WARN,
            "table OA: 2 encrypted fields do not decrypt\nwith this key",
        );
        drop(log);
        let line = std::fs::read_to_string(dir.path().join("mtdata.jsonl")).unwrap();
        let value: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(value["level"], "warning");
        assert_eq!(value["command"], "decode");
        assert_eq!(value["server"], "templeton");
        assert_eq!(value["time"], "2026-03-01T12:00:00Z");
        assert_eq!(
            value["message"],
            "table OA: 2 encrypted fields do not decrypt | with this key"
        );

        let mut log = StudyLog::open(dir.path(), &LogSettings::default(), "export", "t").unwrap();
        log.write(time, Level::ERROR, &"x".repeat(20_000));
        drop(log);
        let text = std::fs::read_to_string(dir.path().join("mtdata.log")).unwrap();
        assert!(
            text.starts_with("2026-03-01T12:00:00Z error   export["),
            "{}",
            &text[..60]
        );
        assert!(text.len() < LONGEST_LINE && text.ends_with("[cut]\n"));
    }
}
