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
    /// Not `true` or `false` in a boolean item.
    NotABoolean,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::NotANumber => "not a number",
            ProblemKind::OutOfRange => "out of range",
            ProblemKind::NoRecode => "no recode for value",
            ProblemKind::NotABoolean => "not a boolean",
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
    /// For a median-imputed score: the base the medians came from.
    pub imputation: Option<ImputationBase>,
}

/// The base of median imputation (the R34 DASS-21 rule): the rows of the table as the R34
/// cleaning script had them (rows without a participant id left out, exact duplicates once, one
/// row per participant, session and tag: the latest by date, file order for ties), and each
/// numeric item's median over them (PNA, empty and invalid cells not counted; R's median, the
/// mean of the two middle values for an even count). The same for every row, every verb and
/// every duplicate policy, because it is taken from the table as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImputationBase {
    /// Rows in the base.
    pub rows: usize,
    /// Each numeric item (codebook name) and its median (`None`: no answer in the base).
    pub medians: Vec<(String, Option<f64>)>,
}

impl ImputationBase {
    /// The same base with the medians of `items` only, in their order.
    pub fn for_items(&self, items: &[String]) -> ImputationBase {
        ImputationBase {
            rows: self.rows,
            medians: items
                .iter()
                .map(|item| (item.clone(), self.median(item)))
                .collect(),
        }
    }

    /// The median of item `name` (case-insensitive); `None` if the item has none.
    pub fn median(&self, name: &str) -> Option<f64> {
        self.medians
            .iter()
            .find(|(item, _)| item.eq_ignore_ascii_case(name))
            .and_then(|(_, m)| *m)
    }
}
