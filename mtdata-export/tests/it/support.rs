//! Shared set-up: a simulator, a study folder and a server block pointing at it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mtdata_core::config::{Config, ServerConfig};
use mtdata_core::layout::RawFileName;
use mtdata_core::raw_rows::scan_array;
use mtdata_export::{
    ExportOptions, NoProgress, RetryPolicy, ServerReport, TableSelection, export_server,
};
use mtdata_sim::mindtrails::{SimOptions, Simulator};
use mtdata_sim::study::StudyOptions;

pub struct Setup {
    pub sim: Simulator,
    pub dir: tempfile::TempDir,
    pub server: ServerConfig,
}

pub fn small_study() -> SimOptions {
    SimOptions {
        study: Some(StudyOptions {
            participants: 8,
            ..StudyOptions::default()
        }),
        ..SimOptions::default()
    }
}

impl Setup {
    pub fn new(delete_mode: bool) -> Self {
        Self::with(small_study(), delete_mode, "")
    }

    pub fn with(options: SimOptions, delete_mode: bool, extra_yaml: &str) -> Self {
        let sim = Simulator::start(options).expect("simulator starts");
        let dir = tempfile::tempdir().unwrap();
        let server = server_block(&sim, dir.path(), delete_mode, extra_yaml);
        Setup { sim, dir, server }
    }

    pub fn study(&self) -> &Path {
        self.dir.path()
    }

    pub fn export(&self, scale: &str) -> ServerReport {
        self.export_with(ExportOptions {
            tables: TableSelection::parse(scale),
            ..options()
        })
    }

    pub fn export_with(&self, options: ExportOptions) -> ServerReport {
        export_server(&self.server, &options, &mut NoProgress).expect("export runs")
    }

    /// Every row of every backup of `table`: id to exact row text (the latest file wins).
    pub fn backed_up(&self, table: &str) -> HashMap<i64, String> {
        let mut rows = HashMap::new();
        for file in backups(self.study(), table) {
            let bytes = std::fs::read(&file).unwrap();
            scan_array(bytes.as_slice(), |row| {
                rows.insert(row.id.expect("rows have ids"), row.raw.to_owned());
            })
            .unwrap_or_else(|e| panic!("backup {} does not parse: {e}", file.display()));
        }
        rows
    }
}

pub fn options() -> ExportOptions {
    ExportOptions {
        retry: RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(10),
        },
        ..ExportOptions::default()
    }
}

pub fn server_block(sim: &Simulator, study: &Path, delete_mode: bool, extra: &str) -> ServerConfig {
    let yaml = format!(
        "sim:\n  READY: True\n  DELETE_MODE: {}\n  SERVER: '{}'\n  USER: {}\n  PASS: {}\n  PATH: '{}'\n  TIMEOUT: 5\n{extra}",
        if delete_mode { "True" } else { "False" },
        sim.base_url(),
        sim.user(),
        sim.password(),
        study.display()
    );
    let config = Config::from_yaml_str(&yaml, Path::new("test.config"), |_| None).unwrap();
    config.servers[0].clone()
}

/// Backup files of one table, oldest first.
pub fn backups(study: &Path, table: &str) -> Vec<PathBuf> {
    let mut files: Vec<(RawFileName, PathBuf)> = std::fs::read_dir(study.join("raw_data"))
        .map(|entries| {
            entries
                .filter_map(|e| {
                    let path = e.unwrap().path();
                    let name = RawFileName::parse(path.file_name()?.to_str()?)?;
                    (name.table == table).then_some((name, path))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort_by_key(|f| f.0.stamp);
    files.into_iter().map(|(_, p)| p).collect()
}

/// Every file below `dir`, as relative paths.
pub fn all_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}
