//! What scoring records beside its numbers: the rule of each score column, and every cell it
//! left out with the reason.

/// Why a cell was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not a number.
    NotANumber,
    /// A number outside the item's valid values (after recoding).
    OutOfRange,
    /// A number the scale's recode table has no entry for.
    NoRecode,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::NotANumber => "not a number",
            ProblemKind::OutOfRange => "out of range",
            ProblemKind::NoRecode => "no recode for value",
        }
    }
}

/// A cell that was set to missing because it was not a valid answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueProblem {
    /// 0-based data row (the CSV line is `row + 2`).
    pub row: usize,
    /// The row's `id` column, when present.
    pub id: Option<String>,
    pub column: String,
    pub value: String,
    pub kind: ProblemKind,
}

/// Which rule produced a score column.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRecord {
    pub scale: String,
    pub variant: String,
    pub score: String,
    /// [`crate::Rule::kind`].
    pub rule: String,
    /// Full description: items, PNA codes, minimum answered, threshold.
    pub description: String,
}
