//! A small codebook of valid ranges and "prefer not to answer" codes (reference §4), kept as a
//! plain data table so a fuller codebook (mtdata-scales) can replace it.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

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

/// One line of the built-in codebook: (table, items, min, max, PNA codes).
type Entry = (
    &'static str,
    &'static [&'static str],
    f64,
    f64,
    &'static [f64],
);

const DAYS: &[&str] = &[
    "monday_count",
    "tuesday_count",
    "wednesday_count",
    "thursday_count",
    "friday_count",
    "saturday_count",
    "sunday_count",
];

const RR_ITEMS: &[&str] = &[
    "blood_test_NS",
    "blood_test_NF",
    "blood_test_PS",
    "blood_test_PF",
    "elevator_NS",
    "elevator_NF",
    "elevator_PS",
    "elevator_PF",
    "job_NS",
    "job_NF",
    "job_PS",
    "job_PF",
    "lunch_NS",
    "lunch_NF",
    "lunch_PS",
    "lunch_PF",
    "meeting_friend_NS",
    "meeting_friend_NF",
    "meeting_friend_PS",
    "meeting_friend_PF",
    "noise_NS",
    "noise_NF",
    "noise_PS",
    "noise_PF",
    "scrape_NS",
    "scrape_NF",
    "scrape_PS",
    "scrape_PF",
    "shopping_NS",
    "shopping_NF",
    "shopping_PS",
    "shopping_PF",
    "wedding_NS",
    "wedding_NF",
    "wedding_PS",
    "wedding_PF",
];

const BBSIQ_ITEMS: &[&str] = &[
    "breath_suffocate",
    "vision_illness",
    "lightheaded_faint",
    "chest_heart",
    "heart_wrong",
    "confused_outofmind",
    "dizzy_ill",
    "visitors_bored",
    "shop_irritating",
    "smoke_house",
    "friend_incompetent",
    "jolt_burglar",
    "party_boring",
    "urgent_died",
    "breath_flu",
    "breath_physically",
    "vision_glasses",
    "vision_strained",
    "lightheaded_eat",
    "lightheaded_sleep",
    "chest_indigestion",
    "chest_sore",
    "heart_active",
    "heart_excited",
    "confused_cold",
    "confused_work",
    "dizzy_ate",
    "dizzy_overtired",
    "visitors_engagement",
    "visitors_outstay",
    "shop_bored",
    "shop_concentrating",
    "smoke_cig",
    "smoke_food",
    "friend_helpful",
    "friend_moreoften",
    "jolt_dream",
    "jolt_wind",
    "party_hear",
    "party_preoccupied",
    "urgent_bill",
    "urgent_junk",
];

const PROVIDERS: &[&str] = &[
    "psychiatrist",
    "psychologist",
    "school_counselor",
    "lmhc",
    "general_practitioner",
    "teacher",
    "family",
    "friend",
    "religious_leader",
    "coach",
    "book",
    "medicine",
    "online",
    "app",
    "support_group",
    "other",
    "psychiatrist_past",
    "psychologist_past",
    "school_counselor_past",
    "lmhc_past",
    "general_practitioner_past",
    "teacher_past",
    "family_past",
    "friend_past",
    "religious_leader_past",
    "coach_past",
    "book_past",
    "medicine_past",
    "online_past",
    "app_past",
    "support_group_past",
    "other_past",
];

/// The built-in ranges. Where studies disagree the union is used (RR 0–3 in R34 and 1–4 in R01
/// gives 0–4; Credibility R34 stores 0–3 and 5) so no legitimate value is flagged.
pub const BUILT_IN: &[Entry] = &[
    (
        "OA",
        &[
            "anxious_freq",
            "anxious_sev",
            "avoid",
            "interfere",
            "interfere_social",
        ],
        0.0,
        4.0,
        &[555.0, -1.0],
    ),
    (
        "DASS21_AS",
        &[
            "breathing",
            "dryness",
            "heart",
            "panic",
            "scared",
            "trembling",
            "worry",
        ],
        0.0,
        3.0,
        &[-1.0, 555.0],
    ),
    (
        "DASS21AS",
        &[
            "breathing",
            "dryness",
            "heart",
            "panic",
            "scared",
            "trembling",
            "worry",
        ],
        0.0,
        3.0,
        &[-1.0, 555.0],
    ),
    (
        "DASS21_DS",
        &[
            "blue",
            "difficult",
            "hopeless",
            "meaningless",
            "noenthusiastic",
            "nopositive",
            "noworth",
        ],
        0.0,
        3.0,
        &[-1.0],
    ),
    ("RR", RR_ITEMS, 0.0, 4.0, &[-1.0, 555.0]),
    ("BBSIQ", BBSIQ_ITEMS, 0.0, 4.0, &[555.0]),
    (
        "QOL",
        &[
            "material",
            "health",
            "relationships",
            "children",
            "spouse",
            "friend",
            "helping",
            "participating",
            "learning",
            "understanding",
            "work",
            "expression",
            "socializing",
            "reading",
            "recreation",
            "independence",
        ],
        1.0,
        5.0,
        &[555.0],
    ),
    (
        "Credibility",
        &[
            "logical",
            "important",
            "recommendable",
            "confident_online",
            "confident_design",
        ],
        0.0,
        5.0,
        &[555.0],
    ),
    ("CC", &["related", "compare"], 1.0, 5.0, &[555.0]),
    (
        "Affect",
        &["posFeelings", "negFeelings", "pos_feelings"],
        0.0,
        20.0,
        &[555.0],
    ),
    ("Relatability", &["relate", "behaving"], 1.0, 5.0, &[555.0]),
    (
        "WhatIBelieve",
        &[
            "difficultTasks",
            "performEffectively",
            "compared",
            "learn",
            "particularThinking",
            "alwaysChangeThinking",
            "wrongWill",
            "hardlyEver",
        ],
        0.0,
        4.0,
        &[555.0],
    ),
    (
        "Wellness",
        &[
            "accomplish_tasks",
            "always_change_thinking",
            "do_most",
            "hardly_ever",
            "learn",
            "particular_thinking",
            "perform_multitask",
            "satisfaction",
            "wrong_will",
        ],
        0.0,
        4.0,
        &[555.0],
    ),
    (
        "Phq4",
        &["nervous", "worry", "pleasure", "depressed"],
        0.0,
        3.0,
        &[],
    ),
    (
        "ExpectancyBias",
        &[
            "shortRest",
            "settleIn",
            "consideredAdvancement",
            "financiallySecure",
            "verySick",
            "offend",
            "stuck",
            "ruining",
            "reruns",
            "bagel",
            "lunch",
            "thermostat",
        ],
        1.0,
        7.0,
        &[555.0, -1.0],
    ),
    ("MentalHealthHistory", PROVIDERS, 0.0, 7.0, &[555.0]),
    ("SUDS", &["anxiety"], 0.0, 100.0, &[]),
    ("ImpactAnxiousImagery", &["anxiety"], 0.0, 100.0, &[]),
    (
        "ImpactAnxiousImagery",
        &["vivid", "badly", "manageable"],
        1.0,
        5.0,
        &[-1.0],
    ),
    ("Impact", &["anxiety"], 0.0, 100.0, &[]),
    (
        "Impact",
        &["vivid", "badly", "manageable"],
        1.0,
        5.0,
        &[-1.0],
    ),
    (
        "AnxietyTriggers",
        &[
            "social",
            "sensations",
            "worry",
            "anxiousFear",
            "particularObject",
            "thoughts",
            "priorTrauma",
        ],
        1.0,
        5.0,
        &[555.0],
    ),
    (
        "AnxietyTriggers",
        &["coronavirus"],
        1.0,
        5.0,
        &[555.0, 999.0],
    ),
    ("DD", DAYS, 0.0, 100.0, &[555.0]),
    ("DD", &["average_amount"], 0.0, 25.0, &[555.0]),
    ("DD", &["average_freq"], 0.0, 11.0, &[555.0]),
    ("DD_FU", DAYS, 0.0, 100.0, &[555.0]),
    ("DD_FU", &["average_amount"], 0.0, 25.0, &[555.0]),
    ("DD_FU", &["average_freq"], 0.0, 11.0, &[555.0]),
    ("Comorbid", &["pleasure", "depressed"], 1.0, 4.0, &[555.0]),
    (
        "Comorbid",
        &["howOften", "numberOfDrinks", "sixOrMore"],
        0.0,
        4.0,
        &[555.0],
    ),
];

/// Valid ranges per (table, column). Column names match case-insensitively (MySQL dumps use
/// lower case, e.g. RR `_ns`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Codebook {
    tables: HashMap<String, HashMap<String, ItemRange>>,
}

impl Default for Codebook {
    /// The built-in table [`BUILT_IN`].
    fn default() -> Self {
        let mut book = Codebook::empty();
        for (table, items, min, max, pna) in BUILT_IN {
            for item in *items {
                book.insert(
                    table,
                    item,
                    ItemRange {
                        min: *min,
                        max: *max,
                        pna: pna.to_vec(),
                    },
                );
            }
        }
        book
    }
}

impl Codebook {
    /// A codebook with no entries (every column unchecked).
    pub fn empty() -> Self {
        Codebook {
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
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| Error::csv(path, e))?;
        let headers = reader.headers().map_err(|e| Error::csv(path, e))?.clone();
        if headers.iter().collect::<Vec<_>>() != ["table", "column", "min", "max", "pna"] {
            return Err(Error::BadLine {
                path: path.to_owned(),
                line: 1,
                message: "the header must be `table,column,min,max,pna`".into(),
            });
        }
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| Error::csv(path, e))?;
            let bad = |message: String| Error::BadLine {
                path: path.to_owned(),
                line: i + 2,
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
        let book = Codebook::default();
        let oa = book.range("OA", "anxious_freq").unwrap();
        assert_eq!(oa.check("4"), Check::Valid);
        assert_eq!(oa.check("555"), Check::Pna);
        assert_eq!(oa.check("5"), Check::OutOfRange);
        assert_eq!(oa.check("often"), Check::OutOfRange);
        assert_eq!(
            book.range("RR", "blood_test_ns").unwrap().check("-1"),
            Check::Pna
        );
        assert_eq!(
            book.range("DASS21_AS", "worry").unwrap().check("-2"),
            Check::OutOfRange
        );
        assert!(book.range("OA", "id").is_none());
    }

    #[test]
    fn codebook_file_replaces_entries() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("book.csv");
        std::fs::write(&file, "table,column,min,max,pna\nOA,avoid,1,3,9;-9\n").unwrap();
        let mut book = Codebook::default();
        book.extend_from_file(&file).unwrap();
        let r = book.range("OA", "avoid").unwrap();
        assert_eq!((r.min, r.max, r.pna.clone()), (1.0, 3.0, vec![9.0, -9.0]));
        std::fs::write(&file, "table,column,min,max,pna\nOA,avoid,x,3,\n").unwrap();
        let err = book.extend_from_file(&file).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("`x`"), "{err}");
    }
}
