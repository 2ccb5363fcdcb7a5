//! Valid ranges and "prefer not to answer" codes per (table, column): built in from the
//! questionnaire catalogue of mtdata-core (reference §4), extended from a user's CSV.

use std::collections::HashMap;
use std::path::Path;

use mtdata_core::catalog::{self, Study};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::tables::read_sheet;

/// The valid values of one item: numbers in `min..=max`, plus PNA codes counted apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRange {
    pub min: f64,
    pub max: f64,
    /// "Prefer not to answer" (and "not asked") codes: not out of range, not valid answers.
    pub pna: Vec<f64>,
}

/// What a value is, checked against an [`ItemRange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Valid,
    Pna,
    OutOfRange,
}

impl ItemRange {
    /// Classify a non-empty cell; text that is not a number is out of range.
    pub fn check(&self, value: &str) -> Check {
        match value.trim().parse::<f64>() {
            Ok(x) if self.pna.contains(&x) => Check::Pna,
            Ok(x) if (self.min..=self.max).contains(&x) => Check::Valid,
            _ => Check::OutOfRange,
        }
    }

    /// Also accept `min..=max` and the codes `pna` (another study's definition of the item).
    fn widen(&mut self, min: f64, max: f64, pna: &[f64]) {
        self.min = self.min.min(min);
        self.max = self.max.max(max);
        for code in pna {
            if !self.pna.contains(code) {
                self.pna.push(*code);
            }
        }
    }

    /// `0–4 (PNA 555)`.
    pub fn describe(&self) -> String {
        let pna: Vec<String> = self.pna.iter().map(|p| p.to_string()).collect();
        if pna.is_empty() {
            format!("{}–{}", self.min, self.max)
        } else {
            format!("{}–{} (PNA {})", self.min, self.max, pna.join("/"))
        }
    }
}

/// Catalogue tables the report does not flag yet. R34 MentalHealthHxTx: its 1–7 range is
/// MTData's, and R34 may store 0 for "not selected" as Templeton did. AxImagery: the reference
/// found no template, so its range is a guess.
pub const UNFLAGGED_TABLES: &[&str] = &["MentalHealthHxTx", "AxImagery"];

/// PNA codes the report accepts beyond the catalogue: the R01 template of CC adds 555
/// (reference §4.1), but no built-in Calm Thinking codebook has CC.
const EXTRA_PNA: &[(&str, f64)] = &[("CC", 555.0)];

/// Valid ranges per (table, column). Column names match case-insensitively (MySQL dumps use
/// lower case, e.g. RR `_ns`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidRanges {
    tables: HashMap<String, HashMap<String, ItemRange>>,
}

impl Default for ValidRanges {
    /// The built-in ranges, [`ValidRanges::built_in`].
    fn default() -> Self {
        ValidRanges::built_in()
    }
}

impl ValidRanges {
    /// The ranges of the questionnaire catalogue (`mtdata_core::catalog`, reference §4) for the
    /// numeric items of every study, under the table's names and aliases (except
    /// [`UNFLAGGED_TABLES`]). The report does not know the study, so where studies disagree an
    /// item takes the union: the widest range and every PNA code (RR is 0–3 in R34 and 1–4 in
    /// R01, so 0–4), and no legitimate value is flagged. Ranges are of stored values, before any
    /// recode (R34 Credibility stores 0–3 and 5).
    pub fn built_in() -> Self {
        let mut merged: HashMap<(&str, String), ItemRange> = HashMap::new();
        let mut aliases: Vec<(&str, &str)> = Vec::new();
        for study in Study::ALL {
            for scale in catalog::scales(study) {
                if UNFLAGGED_TABLES.contains(&scale.table) {
                    continue;
                }
                aliases.extend(scale.aliases.iter().map(|alias| (scale.table, *alias)));
                for group in scale.groups {
                    let Some((min, max)) = scale.stored_bounds(group) else {
                        continue;
                    };
                    let pna = scale.pna_of(group);
                    for item in group.items {
                        let key = (scale.table, item.to_ascii_lowercase());
                        merged
                            .entry(key)
                            .and_modify(|range| range.widen(min, max, &pna))
                            .or_insert_with(|| ItemRange {
                                min,
                                max,
                                pna: pna.clone(),
                            });
                    }
                }
            }
        }
        let mut book = ValidRanges::empty();
        for ((table, item), mut range) in merged {
            for (_, code) in EXTRA_PNA.iter().filter(|(of, _)| *of == table) {
                range.widen(range.min, range.max, &[*code]);
            }
            for (_, alias) in aliases.iter().filter(|(of, _)| *of == table) {
                book.insert(alias, &item, range.clone());
            }
            book.insert(table, &item, range);
        }
        book
    }

    /// A codebook with no entries (every column unchecked).
    pub fn empty() -> Self {
        ValidRanges {
            tables: HashMap::new(),
        }
    }

    /// Set the range of one column.
    pub fn insert(&mut self, table: &str, column: &str, range: ItemRange) {
        self.tables
            .entry(table.to_owned())
            .or_default()
            .insert(column.to_ascii_lowercase(), range);
    }

    /// The range of a column, if the codebook knows it.
    pub fn range(&self, table: &str, column: &str) -> Option<&ItemRange> {
        self.tables.get(table)?.get(&column.to_ascii_lowercase())
    }

    /// Whether the codebook knows the table.
    pub fn knows(&self, table: &str) -> bool {
        self.tables.contains_key(table)
    }

    /// Add (or replace) entries from a CSV with the header `table,column,min,max,pna`, where
    /// `pna` lists codes separated by `;` (may be empty).
    pub fn extend_from_file(&mut self, path: &Path) -> Result<()> {
        for (line, record) in read_sheet(path, &["table", "column", "min", "max", "pna"])? {
            let bad = |message: String| Error::BadLine {
                path: path.to_owned(),
                line,
                message,
            };
            let number = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| bad(format!("`{s}` is not a number")))
            };
            let pna = record[4]
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(number)
                .collect::<Result<Vec<_>>>()?;
            let (min, max) = (number(&record[2])?, number(&record[3])?);
            if min > max {
                return Err(bad(format!("min {min} is above max {max}")));
            }
            self.insert(&record[0], &record[1], ItemRange { min, max, pna });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pna_is_not_out_of_range() {
        let book = ValidRanges::default();
        let oa = book.range("OA", "anxious_freq").unwrap();
        assert_eq!(oa.check("4"), Check::Valid);
        assert_eq!(oa.check("555"), Check::Pna);
        assert_eq!(oa.check("5"), Check::OutOfRange);
        assert_eq!(oa.check("often"), Check::OutOfRange);
        assert_eq!(
            book.range("RR", "blood_test_ns").unwrap().check("-1"),
            Check::Pna
        );
        // R34 has one -2 in DASS21_AS, which its cleaning recodes to -1 (reference §4.1).
        let worry = book.range("DASS21_AS", "worry").unwrap();
        assert_eq!(worry.check("-2"), Check::Pna);
        assert_eq!(worry.check("-3"), Check::OutOfRange);
        assert!(book.range("OA", "id").is_none());
    }

    #[test]
    fn built_in_takes_the_union_over_studies() {
        let book = ValidRanges::default();
        let range = |table: &str, column: &str| {
            let r = book.range(table, column).unwrap();
            (r.min, r.max, r.pna.clone())
        };
        // RR: R34 0-3 with -1, R01 1-4 with 555.
        assert_eq!(range("RR", "wedding_PF"), (0.0, 4.0, vec![-1.0, 555.0]));
        // Credibility: R34 stores 0-3 and 5 without PNA; Templeton and R01 0-4 with 555.
        assert_eq!(range("Credibility", "important"), (0.0, 5.0, vec![555.0]));
        assert_eq!(range("Credibility", "logical"), (0.0, 5.0, vec![]));
        assert_eq!(
            range("Credibility", "confident_design"),
            (0.0, 4.0, vec![555.0])
        );
        // A code of one item only stays with that item.
        assert_eq!(range("AnxietyTriggers", "social"), (1.0, 5.0, vec![555.0]));
        assert_eq!(
            range("AnxietyTriggers", "coronavirus"),
            (1.0, 5.0, vec![555.0, 999.0])
        );
        assert_eq!(range("CC", "compare"), (1.0, 5.0, vec![555.0]));
        assert_eq!(range("DASS21AS", "worry"), range("DASS21_AS", "worry"));
        assert_eq!(
            range("Impact", "vivid"),
            range("ImpactAnxiousImagery", "vivid")
        );
        assert_eq!(book.range("Phq4", "nervous").unwrap().describe(), "0–3");
        assert!(book.range("AnxietyTriggers", "howLong").is_none());
        assert!(!book.knows("Demographics"));
        for table in UNFLAGGED_TABLES {
            assert!(!book.knows(table), "{table}");
        }
    }

    #[test]
    fn codebook_file_replaces_entries() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("book.csv");
        std::fs::write(&file, "table,column,min,max,pna\nOA,avoid,1,3,9;-9\n").unwrap();
        let mut book = ValidRanges::default();
        book.extend_from_file(&file).unwrap();
        let r = book.range("OA", "avoid").unwrap();
        assert_eq!((r.min, r.max, r.pna.clone()), (1.0, 3.0, vec![9.0, -9.0]));
        std::fs::write(&file, "table,column,min,max,pna\nOA,avoid,x,3,\n").unwrap();
        let err = book.extend_from_file(&file).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("`x`"), "{err}");
    }
}
