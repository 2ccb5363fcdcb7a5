//! The participant of each row by the one rule of the decoded table (`mtdata_core::decoded`):
//! the first participant column, in preference order, whose cell holds a usable id. Worked a
//! column at a time: each column's cells are checked from their views (most are plain ids that
//! the rule takes as they are), and a later column fills only the rows the earlier ones left
//! without an id.

use mtdata_core::decoded::{
    CellStatus, PARTICIPANT_COLUMNS, ParticipantColumns, is_encrypted_column, participant_cell,
    status_column,
};
use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray, View};
use polars_arrow::bitmap::Bitmap;

use crate::error::{Error, Result};
use crate::kernels::columns::{find_column, text_column};

/// The participant id of every row of `df` (missing where a row has none), by the decoded-table
/// rule ([`ParticipantColumns::participant`]): the first of [`PARTICIPANT_COLUMNS`] the table has
/// whose cell holds a usable id; an empty cell, `null`, or an encrypted cell whose `<col>_status`
/// is `failed` holds none; a linked participant (`{"id": 7, ...}`) gives its `id`.
///
/// `wanted` names the one column to read instead (matched case-insensitively; the same cell rule
/// applies). The result is named after the first column that gave any row its id (the first
/// column present when none did), so a table whose ids are all in one column keeps its name.
pub fn participant_ids(df: &DataFrame, wanted: Option<&str>, table: &str) -> Result<StringChunked> {
    let sources = id_sources(df, wanted, table)?;
    let mut ids: Option<StringChunked> = None;
    let mut name: Option<&str> = None;
    for (column, status) in &sources {
        let usable = usable_ids(df, column, status.as_deref(), table)?;
        if name.is_none() && usable.null_count() < usable.len() {
            name = Some(column);
        }
        let filled = match ids {
            None => usable,
            Some(ids) => ids
                .zip_with(&ids.is_not_null(), &usable)
                .map_err(|e| Error::polars(table, e))?,
        };
        let done = filled.null_count() == 0;
        ids = Some(filled);
        if done {
            break;
        }
    }
    let name = name.unwrap_or(&sources[0].0);
    let ids = ids.expect("at least one participant column");
    Ok(ids.rechunk().into_owned().with_name(name.into()))
}

/// The participant columns to read, in preference order, each with the status column consulted
/// for it (an encrypted column's, when the table has one).
fn id_sources(
    df: &DataFrame,
    wanted: Option<&str>,
    table: &str,
) -> Result<Vec<(String, Option<String>)>> {
    if let Some(wanted) = wanted {
        let column = find_column(df, wanted).ok_or_else(|| Error::MissingColumn {
            table: table.to_owned(),
            column: wanted.to_owned(),
            hint: "check the participant column name".into(),
        })?;
        let status = is_encrypted_column(&column)
            .then(|| find_column(df, &status_column(&column)))
            .flatten();
        return Ok(vec![(column, status)]);
    }
    let header: Vec<&str> = df
        .get_column_names()
        .into_iter()
        .map(|c| c.as_str())
        .collect();
    let found = ParticipantColumns::new(&header);
    if found.is_empty() {
        return Err(Error::MissingColumn {
            table: table.to_owned(),
            column: "participant".into(),
            hint: format!(
                "expected one of {}; pass the participant column explicitly",
                PARTICIPANT_COLUMNS.join(", ")
            ),
        });
    }
    Ok(found
        .indices()
        .iter()
        .map(|&(column, status)| {
            (
                header[column].to_owned(),
                status.map(|s| header[s].to_owned()),
            )
        })
        .collect())
}

/// Column `column` with each cell as [`participant_cell`] reads it: missing where it holds no
/// usable id (empty, `null`, a failed decryption per `status`), a linked object's `id`, trimmed.
fn usable_ids(
    df: &DataFrame,
    column: &str,
    status: Option<&str>,
    table: &str,
) -> Result<StringChunked> {
    let cells = text_column(df, column, table)?.rechunk().into_owned();
    let failed = match status {
        Some(status) => failed_rows(&text_column(df, status, table)?),
        None => None,
    };
    let array = cells.downcast_as_array();
    let valid = match (array.validity(), &failed) {
        (None, None) => None,
        (Some(v), None) => Some(v.clone()),
        (None, Some(f)) => Some(!f),
        (Some(v), Some(f)) => Some(polars_arrow::bitmap::and_not(v, f)),
    };
    let to_rule = cells_for_the_rule(array, valid.as_ref());
    if to_rule.is_empty() {
        if failed.is_none() {
            return Ok(cells);
        }
        let array = array.clone().with_validity(valid);
        return Ok(StringChunked::with_chunk(column.into(), array));
    }
    // Some cells need the rule itself (rare: padded, `null`, linked objects): built anew.
    let mut rule = to_rule.into_iter().peekable();
    let ids = (0..array.len()).map(|row| {
        let present = valid.as_ref().is_none_or(|v| v.get_bit(row));
        let by_rule = rule.next_if_eq(&row).is_some();
        match (present, by_rule) {
            (false, _) => None,
            (true, true) => participant_cell(Some(array.value(row)), None),
            (true, false) => Some(array.value(row)),
        }
    });
    Ok(StringChunked::from_iter_options(column.into(), ids))
}

/// The rows whose status is `failed`, if any is.
fn failed_rows(status: &StringChunked) -> Option<Bitmap> {
    let failed = status.equal(CellStatus::Failed.as_str());
    let failed = failed.rechunk();
    let failed = failed.downcast_as_array();
    let mut bits = failed.values().clone();
    if let Some(validity) = failed.validity() {
        bits = &bits & validity;
    }
    (bits.set_bits() > 0).then_some(bits)
}

/// The present rows (per `valid`) whose cell [`participant_cell`] does not take as it is.
fn cells_for_the_rule(array: &Utf8ViewArray, valid: Option<&Bitmap>) -> Vec<usize> {
    let mut rows = Vec::new();
    for (row, &view) in array.views().iter().enumerate() {
        if valid.is_none_or(|v| v.get_bit(row)) && !taken_as_is(view, array, row) {
            rows.push(row);
        }
    }
    rows
}

/// Whether [`participant_cell`] gives the cell back unchanged: not empty, not `null`, not a
/// linked object, nothing to trim. Short cells are read from their view; a first or last byte
/// that is not printable ASCII sends the cell to the rule (which knows Unicode whitespace).
fn taken_as_is(view: View, array: &Utf8ViewArray, row: usize) -> bool {
    let len = view.length as usize;
    if len == 0 {
        return false;
    }
    let (first, last, is_null) = if view.is_inline() {
        // The view in memory order: the length, then the text.
        let bytes = view.as_u128().to_ne_bytes();
        (bytes[4], bytes[4 + len - 1], bytes[4..4 + len] == *b"null")
    } else {
        let text = array.value(row).as_bytes();
        (text[0], text[len - 1], false)
    };
    first.is_ascii_graphic() && first != b'{' && last.is_ascii_graphic() && !is_null
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Cells of every kind the rule tells apart; status columns draw from the same pool.
    const CELLS: [Option<&str>; 24] = [
        None,
        Some(""),
        Some(" "),
        Some("null"),
        Some(" null "),
        Some("7"),
        Some(" 8 "),
        Some("007"),
        Some("12345678901234"),
        Some(" 1234567890123 "),
        Some(r#"{"id": 17, "x": 1}"#),
        Some(r#"{"name": "x"}"#),
        Some(r#"{"admin":false,"id":"9"}"#),
        Some("bkUHY+xs0kg=="),
        Some("\u{a0}5"),
        Some("5\u{3000}"),
        Some("nul"),
        Some("{"),
        Some("failed"),
        Some("decrypted"),
        Some("plain"),
        Some("empty"),
        Some("FAILED"),
        Some("7"),
    ];

    /// Every column a table may have that bears on its participant.
    const COLUMNS: [&str; 8] = [
        "participant",
        "participantId",
        "participantDAO",
        "participantRSA",
        "participantRSA_status",
        "participant_status",
        "participantDAO_status",
        "id",
    ];

    fn frame(header: &[&str], rows: &[Vec<usize>]) -> DataFrame {
        let columns = header
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let cells: Vec<Option<&str>> = rows.iter().map(|r| CELLS[r[c]]).collect();
                Column::new((*name).into(), cells)
            })
            .collect();
        DataFrame::new(rows.len(), columns).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The vectorised ids equal the core rule row by row, and are named after the first
        /// column that gave any row its id.
        #[test]
        fn ids_follow_the_core_rule_row_by_row(
            header in proptest::sample::subsequence(COLUMNS.to_vec(), 0..=COLUMNS.len())
                .prop_shuffle(),
            rows in proptest::collection::vec(
                proptest::collection::vec(0..CELLS.len(), COLUMNS.len()), 0..40),
        ) {
            let df = frame(&header, &rows);
            let rule = ParticipantColumns::new(&header);
            let ids = participant_ids(&df, None, "t");
            if rule.is_empty() {
                prop_assert!(ids.is_err());
                return Ok(());
            }
            let ids = ids.unwrap();
            let expected: Vec<Option<&str>> = rows
                .iter()
                .map(|r| rule.participant(|i| CELLS[r[i]]))
                .collect();
            prop_assert_eq!(ids.iter().collect::<Vec<_>>(), expected);
            let gives_an_id = |name: &&&str| {
                let one = ParticipantColumns::new(&header);
                let at = one.names().iter().position(|n| n == *name).unwrap();
                let (column, status) = one.indices()[at];
                rows.iter().any(|r| {
                    participant_cell(CELLS[r[column]], status.and_then(|s| CELLS[r[s]]))
                        .is_some()
                })
            };
            let name = rule
                .names()
                .iter()
                .find(gives_an_id)
                .unwrap_or(&rule.names()[0]);
            prop_assert_eq!(ids.name().as_str(), *name);
        }
    }

    #[test]
    fn an_explicit_column_overrides_and_keeps_the_cell_rule() {
        let df = frame(
            &["participant", "participantRSA", "participantRSA_status"],
            &[vec![5, 9, 19], vec![5, 13, 18], vec![5, 10, 19]],
        );
        let ids = participant_ids(&df, Some("participantrsa"), "t").unwrap();
        assert_eq!(ids.name().as_str(), "participantRSA");
        let ids: Vec<Option<&str>> = ids.iter().collect();
        assert_eq!(ids, [Some("1234567890123"), None, Some("17")]);
        let err = participant_ids(&df, Some("pid"), "t").unwrap_err();
        assert!(err.to_string().contains("no column pid"), "{err}");
    }

    #[test]
    fn a_table_without_participant_columns_is_an_error() {
        let df = frame(&["id"], &[vec![5]]);
        let err = participant_ids(&df, None, "OA").unwrap_err().to_string();
        assert!(err.starts_with("table OA: no column participant"), "{err}");
    }
}
