//! What the soak checks against: every row the simulator was seen to hold, the rows in the backups, the
//! decoded CSVs and the size of the raw folder.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use mtdata_core::layout::RawFileName;
use mtdata_core::raw_rows::scan_array;
use mtdata_sim::mindtrails::Simulator;
use serde_json::Value;

/// A row of a table, by table name and id (ids are unique per table on the simulator).
pub type RowKey = (String, i64);

/// Rows of the deleteable tables as seen on the simulator before and after every cycle (a row inserted and
/// deleted within one run is known by its id only, from the simulator's record of deletes).
#[derive(Default)]
pub struct Ledger {
    pub held: HashMap<RowKey, Value>,
}

impl Ledger {
    pub fn snapshot(&mut self, sim: &Simulator, tables: &[String]) {
        for table in tables {
            for row in sim.rows(table) {
                if let Some(id) = row.get("id").and_then(Value::as_i64) {
                    self.held.entry((table.clone(), id)).or_insert(row);
                }
            }
        }
    }
}

/// The rows of every backup in `raw_data/`, and its size.
#[derive(Default)]
pub struct Backups {
    /// Each row's text (every copy of a row has the same bytes, or the check fails).
    pub rows: HashMap<RowKey, String>,
    pub files: u64,
    pub bytes: u64,
}

impl Backups {
    /// Reads every backup: each must be a complete, parseable array, named as export names backups; a
    /// temporary file left by a killed run is allowed only when `temporary_allowed`.
    pub fn read(raw: &Path, temporary_allowed: bool) -> Result<Self, String> {
        let mut backups = Backups::default();
        for entry in std::fs::read_dir(raw).map_err(|e| format!("{}: {e}", raw.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                continue; // schedule/: the study schedule, not rows
            }
            if name.ends_with(".mtdata-tmp") {
                if temporary_allowed {
                    continue;
                }
                return Err(format!(
                    "a temporary file is left after a clean run: {name}"
                ));
            }
            let parsed = RawFileName::parse(&name).ok_or(format!("stray file {name}"))?;
            let bytes = std::fs::read(&path).map_err(|e| format!("{name}: {e}"))?;
            backups.files += 1;
            backups.bytes += bytes.len() as u64;
            let mut conflict = None;
            scan_array(bytes.as_slice(), |row| {
                let Some(id) = row.id else {
                    conflict = Some(format!("{name}: a row without id: {}", row.raw));
                    return;
                };
                let key = (parsed.table.clone(), id);
                match backups.rows.get(&key) {
                    Some(other) if other != row.raw => {
                        conflict = Some(format!("{} {id} backed up with two contents", key.0))
                    }
                    Some(_) => {}
                    None => {
                        backups.rows.insert(key, row.raw.to_owned());
                    }
                }
            })
            .map_err(|e| format!("backup {name} does not parse: {e}"))?;
            if let Some(conflict) = conflict {
                return Err(conflict);
            }
        }
        Ok(backups)
    }

    /// Bytes of the distinct rows backed up.
    pub fn distinct_row_bytes(&self) -> u64 {
        self.rows.values().map(|r| r.len() as u64).sum()
    }

    pub fn ids_by_table(&self) -> BTreeMap<&str, HashSet<i64>> {
        let mut by_table: BTreeMap<&str, HashSet<i64>> = BTreeMap::new();
        for (table, id) in self.rows.keys() {
            by_table.entry(table).or_default().insert(*id);
        }
        by_table
    }
}

/// Total size of the files under `dir`, and how many there are.
pub fn folder_size(dir: &Path) -> (u64, u64) {
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            let (bytes, files) = folder_size(&path);
            total = (total.0 + bytes, total.1 + files);
        } else if let Ok(meta) = entry.metadata() {
            total = (total.0 + meta.len(), total.1 + 1);
        }
    }
    total
}

/// The decoded CSVs hold each backed-up row once: per table, the `id` column has no repeat and exactly the
/// backed-up ids.
pub fn check_decoded(active: &Path, backups: &Backups) -> Result<u64, String> {
    let mut rows = 0;
    for (table, expected) in backups.ids_by_table() {
        let path = active.join(format!("{table}.csv"));
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let headers = reader.headers().map_err(|e| e.to_string())?.clone();
        let id_column = headers
            .iter()
            .position(|h| h == "id")
            .ok_or(format!("{table}.csv has no id column"))?;
        let mut seen = HashSet::new();
        for record in reader.records() {
            let record = record.map_err(|e| format!("{table}.csv: {e}"))?;
            let id: i64 = record[id_column]
                .parse()
                .map_err(|e| format!("{table}.csv: id {:?}: {e}", &record[id_column]))?;
            if !seen.insert(id) {
                return Err(format!("{table}.csv holds row {id} twice"));
            }
        }
        if seen != expected {
            let missing = expected.difference(&seen).count();
            let extra = seen.difference(&expected).count();
            return Err(format!(
                "{table}.csv: {missing} backed-up rows missing, {extra} rows not in any backup"
            ));
        }
        rows += seen.len() as u64;
    }
    Ok(rows)
}
