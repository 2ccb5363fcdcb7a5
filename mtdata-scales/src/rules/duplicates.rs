//! Duplicate policies: which row stands for a (participant, session, tag) key, and why the
//! others were dropped.

/// What to keep when several rows share (participant, session, tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePolicy {
    /// The earliest row by date (file order breaks ties and stands in for missing dates);
    /// the R34 cookbook's "only keep the first completed entry".
    First,
    /// The latest row by date (what the later R34 cleaning kept; MTData's `keep='last'`, but by
    /// date rather than file order).
    #[default]
    Last,
    /// Calm Thinking's rule: if the rows' answers are identical keep the latest; otherwise one
    /// row whose items are the mean of the unique answer rows (PNA as missing), other columns
    /// from the latest row.
    MeanOfUnique,
}

impl DuplicatePolicy {
    /// Every policy, in a stable order.
    pub const ALL: [DuplicatePolicy; 3] = [
        DuplicatePolicy::First,
        DuplicatePolicy::Last,
        DuplicatePolicy::MeanOfUnique,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "first" => Some(DuplicatePolicy::First),
            "last" => Some(DuplicatePolicy::Last),
            "mean-of-unique" | "mean_of_unique" | "mean" => Some(DuplicatePolicy::MeanOfUnique),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DuplicatePolicy::First => "first",
            DuplicatePolicy::Last => "last",
            DuplicatePolicy::MeanOfUnique => "mean-of-unique",
        }
    }

    /// Which of a key's rows, sorted by date (file order for ties), is kept.
    pub(crate) fn keep(self, by_date: &[usize]) -> usize {
        match self {
            DuplicatePolicy::First => by_date[0],
            DuplicatePolicy::Last | DuplicatePolicy::MeanOfUnique => by_date[by_date.len() - 1],
        }
    }
}

/// Why a row was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Identical to an earlier row in every column but `id`.
    ExactDuplicate,
    /// Same key, a later (policy `first`) or earlier (policy `last`) row was kept.
    SameKey,
    /// Same key, answers averaged into the kept row (policy `mean-of-unique`).
    MergedIntoMean,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::ExactDuplicate => "exact duplicate",
            DropReason::SameKey => "same key",
            DropReason::MergedIntoMean => "merged into mean",
        }
    }
}

/// One dropped row. Participant ids are deliberately absent (they are decrypted secrets);
/// rows are identified by position and the server's `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct DroppedRow {
    /// 0-based data row of the input.
    pub row: usize,
    pub id: Option<String>,
    pub session: Option<String>,
    pub tag: Option<String>,
    pub reason: DropReason,
    /// 0-based input row that was kept for this key.
    pub kept_row: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_their_names() {
        for policy in DuplicatePolicy::ALL {
            assert_eq!(DuplicatePolicy::parse(policy.name()), Some(policy));
        }
        assert_eq!(DuplicatePolicy::parse("newest"), None);
    }
}
