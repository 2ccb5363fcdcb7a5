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
    /// MTData's own rule (`drop_duplicates(keep='last')`): the last row in file order, whatever
    /// its date. For reproducing and comparing old analyses only.
    Mtdata,
}

impl DuplicatePolicy {
    /// Every policy, in a stable order.
    pub const ALL: [DuplicatePolicy; 4] = [
        DuplicatePolicy::First,
        DuplicatePolicy::Last,
        DuplicatePolicy::MeanOfUnique,
        DuplicatePolicy::Mtdata,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "first" => Some(DuplicatePolicy::First),
            "last" => Some(DuplicatePolicy::Last),
            "mean-of-unique" | "mean_of_unique" | "mean" => Some(DuplicatePolicy::MeanOfUnique),
            "mtdata" | "file-order-last" => Some(DuplicatePolicy::Mtdata),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DuplicatePolicy::First => "first",
            DuplicatePolicy::Last => "last",
            DuplicatePolicy::MeanOfUnique => "mean-of-unique",
            DuplicatePolicy::Mtdata => "mtdata",
        }
    }

    /// Which of a key's rows is kept: `in_file` in file order, `by_date` sorted by date (file
    /// order for ties).
    pub(crate) fn keep(self, in_file: &[usize], by_date: &[usize]) -> usize {
        match self {
            DuplicatePolicy::First => by_date[0],
            DuplicatePolicy::Last | DuplicatePolicy::MeanOfUnique => by_date[by_date.len() - 1],
            DuplicatePolicy::Mtdata => in_file[in_file.len() - 1],
        }
    }

    /// Whether the policy reads the rows' dates.
    pub(crate) fn uses_dates(self) -> bool {
        self != DuplicatePolicy::Mtdata
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

    #[test]
    fn mtdata_keeps_the_last_row_in_file_order_whatever_the_dates() {
        // Rows 4, 2, 9 in file order; by date 9 is the earliest and 2 the latest.
        let (in_file, by_date) = ([4, 2, 9], [9, 4, 2]);
        assert_eq!(DuplicatePolicy::Mtdata.keep(&in_file, &by_date), 9);
        assert_eq!(DuplicatePolicy::Last.keep(&in_file, &by_date), 2);
        assert_eq!(DuplicatePolicy::First.keep(&in_file, &by_date), 9);
    }
}
