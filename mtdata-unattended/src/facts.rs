//! What one run found on one server, in the terms the alert decisions need: taken from the reports the
//! export and decode libraries return, or from the error that stopped the run.

use mtdata_decode::TableOutcome;
use mtdata_export::mindlogger::MindLoggerReport;
use mtdata_export::{ServerReport, TableStatus};

/// The command whose run is described.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Export,
    Decode,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Export => "export",
            Command::Decode => "decode",
        }
    }
}

/// Why a run stopped with an error (exit status 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// The server did not answer (connection refused, timed out, 5xx after the retries): an alert only
    /// once it lasts `UNREACHABLE_MINUTES`.
    Unreachable,
    /// Another mtdata run holds the study folder: not an alert by itself (a hung run shows as no
    /// successful export for `NO_EXPORT_MINUTES`).
    Busy,
    /// Anything else (credentials refused, a wrong applet password, the study folder unusable): an
    /// alert at once.
    Other,
}

impl StopKind {
    /// The kind of an error that stopped an export.
    pub fn of_export_error(error: &mtdata_export::Error) -> Self {
        match error {
            mtdata_export::Error::Server { .. } => StopKind::Unreachable,
            mtdata_export::Error::Core(mtdata_core::Error::Locked { .. }) => StopKind::Busy,
            _ => StopKind::Other,
        }
    }
}

/// One table (or MindLogger applet) of a run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableFacts {
    /// The table name, or `applet <id>`.
    pub table: String,
    /// Why the table failed, when it did (the library's words: no secret, no row content).
    pub failure: Option<String>,
    /// Rows whose delete failed; they stay on the server and the next run tries again.
    pub delete_failed: u64,
    /// `*RSA` fields (or answers) that did not decrypt.
    pub decrypt_failed: u64,
}

/// What a run that went through found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Findings {
    pub tables: Vec<TableFacts>,
    /// Deleteable rows left on the server (MindTrails exports).
    pub backlog: Option<u64>,
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// The run went through (its exit status may still be 1: see the findings).
    Finished(Findings),
    /// An error stopped the run (exit status 2).
    Stopped { kind: StopKind, message: String },
}

/// One run of one command on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFacts {
    pub command: Command,
    pub outcome: RunOutcome,
}

impl RunFacts {
    /// A run that an error stopped; `message` is the error chain as printed.
    pub fn stopped(command: Command, kind: StopKind, message: impl Into<String>) -> Self {
        RunFacts {
            command,
            outcome: RunOutcome::Stopped {
                kind,
                message: message.into(),
            },
        }
    }

    /// A MindTrails export.
    pub fn export(report: &ServerReport) -> Self {
        let tables = report
            .tables
            .iter()
            .map(|t| TableFacts {
                table: t.table.clone(),
                // Rows left on the server are a failed table only through `DeletesFailing`, which waits
                // DELETE_FAILED_MINUTES: one refused delete is retried by the next run.
                failure: failure(&t.status).filter(|_| t.delete_failed == 0),
                delete_failed: t.delete_failed,
                decrypt_failed: 0,
            })
            .collect();
        RunFacts {
            command: Command::Export,
            outcome: RunOutcome::Finished(Findings {
                tables,
                backlog: Some(report.deleteable_backlog()),
            }),
        }
    }

    /// A MindLogger export: one entry per applet, and one for the walk of the Girder structure.
    pub fn mindlogger_export(report: &MindLoggerReport) -> Self {
        let applets = report.applets.iter().map(|a| TableFacts {
            table: format!("applet {}", a.applet),
            failure: failure(&a.status),
            ..TableFacts::default()
        });
        let girder = report.girder.iter().map(|g| TableFacts {
            table: "Girder structure".to_owned(),
            failure: failure(&g.status),
            ..TableFacts::default()
        });
        let tables = applets.chain(girder).collect();
        RunFacts {
            command: Command::Export,
            outcome: RunOutcome::Finished(Findings {
                tables,
                backlog: None,
            }),
        }
    }

    /// A MindTrails decode: fields that did not decrypt, tables that could not be written.
    pub fn decode(outcomes: &[TableOutcome]) -> Self {
        let tables = outcomes
            .iter()
            .map(|outcome| match &outcome.result {
                Ok(summary) => TableFacts {
                    table: outcome.table.clone(),
                    decrypt_failed: summary.fields.failed,
                    ..TableFacts::default()
                },
                Err(err) => TableFacts {
                    table: outcome.table.clone(),
                    failure: Some(mtdata_core::error::chain(err)),
                    ..TableFacts::default()
                },
            })
            .collect();
        RunFacts {
            command: Command::Decode,
            outcome: RunOutcome::Finished(Findings {
                tables,
                backlog: None,
            }),
        }
    }
}

fn failure(status: &TableStatus) -> Option<String> {
    match status {
        TableStatus::Failed(why) => Some(why.clone()),
        TableStatus::Done | TableStatus::NothingNew => None,
    }
}

#[cfg(test)]
mod tests {
    use mtdata_decode::{FieldCounts, TableSummary};

    use super::*;

    #[test]
    fn decode_facts_count_failed_fields_and_keep_write_errors() {
        let ok = TableOutcome {
            table: "OA".into(),
            csv: "OA.csv".into(),
            result: Ok(TableSummary {
                fields: FieldCounts {
                    failed: 3,
                    failed_wrong_key_or_corrupt: 3,
                    decrypted: 10,
                    ..FieldCounts::default()
                },
                ..TableSummary::default()
            }),
        };
        let facts = RunFacts::decode(&[ok]);
        let RunOutcome::Finished(found) = facts.outcome else {
            panic!("finished")
        };
        assert_eq!(found.tables[0].decrypt_failed, 3);
        assert_eq!(found.tables[0].failure, None);
    }
}
