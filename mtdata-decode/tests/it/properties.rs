//! Decoding is idempotent and does not depend on the order files are found or given in.

use mtdata_decode::{DecodeOptions, RawFile, decode_table};
use proptest::prelude::*;

/// A backup: rows with small ids (so copies and conflicts are frequent) and a few optional columns.
fn backup() -> impl Strategy<Value = Vec<(u8, u8, Option<bool>)>> {
    proptest::collection::vec((0u8..12, 0u8..3, proptest::option::of(any::<bool>())), 0..8)
}

fn write_backups(dir: &std::path::Path, backups: &[Vec<(u8, u8, Option<bool>)>]) -> Vec<RawFile> {
    backups
        .iter()
        .enumerate()
        .map(|(i, rows)| {
            let rows: Vec<serde_json::Value> = rows
                .iter()
                .map(|(id, score, flag)| {
                    let mut row = serde_json::json!({"id": id, "score": score, "tags": [score]});
                    if let Some(flag) = flag {
                        row[format!("extra{}", score)] = serde_json::json!(flag);
                    }
                    row
                })
                .collect();
            // Alternate MTData's and mtdata's names; stamps increase with i either way.
            let name = if i % 2 == 0 {
                format!("T_Jan_{:02}_2017_10_00_00.json", i + 1)
            } else {
                format!("T_201701{:02}T120000.000000Z.json", i + 1)
            };
            let path = dir.join(name);
            let text = serde_json::to_string(&rows).unwrap();
            // Sometimes two arrays in one file, as MTData's append left them.
            let text = if rows.len() > 4 {
                format!("{text}\n[]")
            } else {
                text
            };
            std::fs::write(&path, text).unwrap();
            RawFile::from_path(path).unwrap()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn order_of_files_does_not_matter_and_decoding_is_idempotent(
        backups in proptest::collection::vec(backup(), 1..6),
        seed in any::<u64>(),
        threads in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let files = write_backups(dir.path(), &backups);
        let options = DecodeOptions { threads: std::num::NonZeroUsize::new(threads), ..DecodeOptions::default() };
        let first = decode_table("T", &files, None, &options);
        let again = decode_table("T", &files, None, &DecodeOptions::default());
        prop_assert_eq!(first.to_csv_bytes(), again.to_csv_bytes());

        let mut shuffled = files.clone();
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let reordered = decode_table("T", &shuffled, None, &options);
        prop_assert_eq!(first.to_csv_bytes(), reordered.to_csv_bytes());
        prop_assert_eq!(&first.summary, &reordered.summary);

        // Each id once; rows read = written + duplicates.
        let s = &first.summary;
        prop_assert_eq!(s.rows_read, s.rows + s.duplicates);
        let mut ids: Vec<u8> = backups.iter().flatten().map(|r| r.0).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(s.rows as usize, ids.len());

        // The latest copy of each id wins.
        let mut latest = std::collections::BTreeMap::new();
        for rows in &backups {
            for (id, score, _) in rows {
                latest.insert(*id, *score);
            }
        }
        let csv = String::from_utf8(first.to_csv_bytes()).unwrap();
        for (line, (id, score)) in csv.lines().skip(1).zip(&latest) {
            let expected = format!("{id},{score},");
            prop_assert!(line.starts_with(&expected), "{} vs {}", line, expected);
        }
    }
}
