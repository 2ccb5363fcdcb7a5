//! What decoding one table found: the numbers the CLI prints and writes next to the CSV.

use serde::Serialize;

/// How the `*RSA` fields of the written rows turned out, summed over the encrypted columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FieldCounts {
    pub decrypted: u64,
    /// Plain ids from servers with encryption disabled.
    pub plain: u64,
    pub empty: u64,
    /// All failures; the next three fields split them by cause.
    pub failed: u64,
    pub failed_not_base64: u64,
    pub failed_wrong_key_or_corrupt: u64,
    /// Ciphertext found but no private key given.
    pub failed_no_key: u64,
}

/// A backup file that could not be read completely. Rows before the damage are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    /// The file name inside `raw_data/`.
    pub file: String,
    pub problem: String,
    /// Complete rows read from the file before the problem.
    pub rows_kept: u64,
}

/// The outcome of decoding one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableSummary {
    pub table: String,
    /// Backup files read.
    pub files: usize,
    /// Bytes of JSON read.
    pub bytes: u64,
    /// Rows in all files, copies included.
    pub rows_read: u64,
    /// Rows written: one per id.
    pub rows: u64,
    /// Copies dropped because a later copy of the same id (or, for rows without an id, identical content) exists.
    pub duplicates: u64,
    /// Ids whose copies differ in content; the latest copy was kept.
    pub conflicting_ids: u64,
    /// Up to ten of them (row ids, not participant ids).
    pub conflicting_id_examples: Vec<String>,
    pub rows_without_id: u64,
    /// Output columns, added `_status` and `_iso` columns included.
    pub columns: usize,
    pub encrypted_columns: Vec<String>,
    pub fields: FieldCounts,
    /// Distinct ciphertexts decrypted (each once).
    pub distinct_ciphertexts: u64,
    pub bad_files: Vec<FileProblem>,
}

impl TableSummary {
    /// Whether the table needs attention: a field failed to decrypt or a file was damaged.
    pub fn has_problems(&self) -> bool {
        self.fields.failed > 0 || !self.bad_files.is_empty()
    }

    /// Most ciphertexts do not decrypt: the key is more likely wrong than the data damaged. Reported as one
    /// "wrong key?" line for the table, never field by field.
    pub fn wrong_key_suspected(&self) -> bool {
        let f = &self.fields;
        f.failed_wrong_key_or_corrupt > f.decrypted
    }

    /// One-line explanations of the problems, with what to do (one line per kind of problem).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let f = &self.fields;
        if f.failed_no_key > 0 {
            out.push(format!(
                "table {}: {} encrypted fields kept as ciphertext because no private key was given; set \
                 PRIVATE_FILE in the server block or pass --key FILE",
                self.table, f.failed_no_key
            ));
        }
        if self.wrong_key_suspected() {
            out.push(format!(
                "table {}: wrong key? {} of {} encrypted fields do not decrypt with this key ({} decrypted); \
                 check that PRIVATE_FILE (or --key) is this server's private key; the ciphertext is kept and \
                 the rows marked failed in the _status column",
                self.table,
                f.failed_wrong_key_or_corrupt,
                f.failed_wrong_key_or_corrupt + f.decrypted,
                f.decrypted
            ));
        } else if f.failed_wrong_key_or_corrupt > 0 {
            out.push(format!(
                "table {}: {} encrypted fields do not decrypt with this key (wrong key or corrupt); the \
                 ciphertext is kept and the row marked failed in the _status column",
                self.table, f.failed_wrong_key_or_corrupt
            ));
        }
        if f.failed_not_base64 > 0 {
            out.push(format!(
                "table {}: {} encrypted fields are neither base64 nor a plain id; kept as sent and marked failed",
                self.table, f.failed_not_base64
            ));
        }
        for bad in &self.bad_files {
            out.push(format!(
                "table {}: raw_data/{}: {}; {} rows before it were kept; the file is left untouched",
                self.table, bad.file, bad.problem, bad.rows_kept
            ));
        }
        out
    }
}
