//! Decode's whole-buffer parse (`parse_backup`, on several small parts at guessed boundaries) against
//! export's streaming scan (`scan_array`), on any text, by the module's agreement contract:
//! - the parse gives the same rows and the same damage however the buffer is split;
//! - when the scan accepts the text, the parse finds no damage and hands over the same rows, each with the
//!   fields its exact text gives on its own, and the same id and date;
//! - when the parse finds no damage, the scan accepts the text too or stops at a second array.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mtdata_core::raw_rows::{Damage, RowDate, RowSink, ScanError, Split, parse_backup, scan_array};

/// One field: its position, name, value text and where the value sits in the buffer.
type Field = (usize, String, String, usize);

#[derive(Default)]
struct Rows {
    base: usize,
    rows: Vec<Vec<Field>>,
    current: Vec<Field>,
}

impl<'b> RowSink<'b> for Rows {
    fn begin_row(&mut self) {
        self.current.clear();
    }

    fn field(&mut self, position: usize, name: &str, value: &'b str) -> Result<(), &'static str> {
        assert_eq!(
            position,
            self.current.len(),
            "positions count from 0 in each row"
        );
        let at = (value.as_ptr() as usize).wrapping_sub(self.base);
        self.current
            .push((position, name.to_owned(), value.to_owned(), at));
        Ok(())
    }

    fn end_row(&mut self) {
        self.rows.push(std::mem::take(&mut self.current));
    }
}

fn parse(text: &str, split: Split) -> (Vec<Vec<Field>>, Option<Damage>) {
    let base = text.as_ptr() as usize;
    let parsed = parse_backup(text, split, |_| Rows {
        base,
        ..Rows::default()
    });
    let rows = parsed.parts.into_iter().flat_map(|p| p.rows).collect();
    (rows, parsed.damage)
}

/// Names and values only (positions in the buffer differ between texts).
fn fields_of(row: &[Field]) -> Vec<(&str, &str)> {
    row.iter().map(|f| (f.1.as_str(), f.2.as_str())).collect()
}

type Scanned = (String, Option<i64>, Option<RowDate>);

fn scan(text: &str) -> (Vec<Scanned>, Result<u64, ScanError>) {
    let mut rows = Vec::new();
    let result = scan_array(text.as_bytes(), |row| {
        rows.push((row.raw.to_owned(), row.id, row.date))
    });
    (rows, result)
}

/// The id and date the scan gives a row holding these fields: the last copy of each key wins, so a row
/// made of the last `id`, `date` and `dateCompleted` must give the same.
fn keys_of(row: &[Field]) -> (Option<i64>, Option<RowDate>) {
    let last = |key: &str| row.iter().rev().find(|f| f.1 == key).map(|f| f.2.as_str());
    let fields: Vec<String> = ["id", "date", "dateCompleted"]
        .into_iter()
        .filter_map(|key| last(key).map(|value| format!("\"{key}\":{value}")))
        .collect();
    let text = format!("[{{{}}}]", fields.join(","));
    let (rows, result) = scan(&text);
    result.unwrap_or_else(|e| panic!("a row of parsed fields does not scan: {e}: {text}"));
    let (_, id, date) = rows.into_iter().next().expect("one row");
    (id, date)
}

fuzz_target!(|input: &[u8]| {
    let Some((&knobs, data)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let split = Split {
        threads: usize::from(knobs & 3) + 1,
        min_part_bytes: usize::from(knobs >> 2) + 1,
    };
    let (parts_rows, parts_damage) = parse(&text, split);
    let (rows, damage) = parse(&text, Split::default());
    assert_eq!(parts_damage, damage, "the damage depends on the split");
    assert_eq!(
        parts_rows.iter().map(|r| fields_of(r)).collect::<Vec<_>>(),
        rows.iter().map(|r| fields_of(r)).collect::<Vec<_>>(),
        "the rows depend on the split"
    );

    let (scanned, result) = scan(&text);
    match result {
        Ok(n) => {
            assert_eq!(
                damage, None,
                "the scan accepts what the parse finds damaged"
            );
            assert_eq!(n as usize, rows.len(), "not the same number of rows");
            let mut from = 0;
            for ((raw, id, date), row) in scanned.iter().zip(&rows) {
                // The row's text is where the parsed values are.
                let start = from + text[from..].find('{').expect("a row starts with {");
                assert!(
                    text[start..].starts_with(raw.as_str()),
                    "row text moved: {raw}"
                );
                let end = start + raw.len();
                for field in row {
                    assert!(start < field.3 && field.3 + field.2.len() < end, "{raw}");
                }
                from = end;
                // The row's text alone gives the same fields.
                let (alone, alone_damage) = parse(&format!("[{raw}]"), Split::default());
                assert_eq!(alone_damage, None, "{raw}");
                assert_eq!(alone.len(), 1, "{raw}");
                assert_eq!(fields_of(&alone[0]), fields_of(row), "{raw}");
                assert_eq!(keys_of(row), (*id, date.clone()), "{raw}");
            }
        }
        Err(ScanError::AfterArray { row }) => {
            // More than one array: the parse may accept it; the first array's rows come first.
            assert!(row as usize <= rows.len() + 1 || damage.is_some());
        }
        Err(e) => assert!(
            damage.is_some(),
            "the parse accepts what the scan refuses ({e})"
        ),
    }
});
