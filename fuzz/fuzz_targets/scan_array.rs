//! The streaming row splitter of export (`mtdata_core::raw_rows::scan_array`) on any bytes, read in pieces
//! of any size: it never panics, the pieces do not change what it finds, and it accepts exactly what
//! serde_json reads as one array of objects (keys decoded, values kept as text), with each row's exact
//! text and its id.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use mtdata_core::raw_rows::{RowDate, scan_array};
use serde_json::Value;
use serde_json::value::RawValue;

/// A reader that hands out `n` bytes at a time.
struct Chunks<'a>(&'a [u8], usize);

impl std::io::Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(self.0.len()).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

type Scanned = (String, Option<i64>, Option<RowDate>);

fn scan(data: &[u8], chunk: usize) -> (Vec<Scanned>, Result<u64, String>) {
    let mut rows = Vec::new();
    let result = scan_array(Chunks(data, chunk), |row| {
        rows.push((row.raw.to_owned(), row.id, row.date))
    })
    .map_err(|e| e.to_string());
    (rows, result)
}

fuzz_target!(|input: &[u8]| {
    let Some((&chunk, data)) = input.split_first() else {
        return;
    };
    let (whole, whole_result) = scan(data, usize::MAX);
    let (pieces, pieces_result) = scan(data, usize::from(chunk) % 64 + 1);
    assert_eq!(whole, pieces, "rows depend on how the body arrives");
    assert_eq!(
        whole_result, pieces_result,
        "outcome depends on how the body arrives"
    );
    if let Ok(n) = whole_result {
        assert_eq!(n as usize, whole.len());
    }

    // serde_json decodes keys (so a lone surrogate escape in a key is refused by both) and keeps values raw
    // (a lone surrogate in a value is valid JSON text, kept as sent).
    let by_serde = serde_json::from_slice::<Vec<BTreeMap<String, &RawValue>>>(data).ok();
    match (&whole_result, by_serde) {
        (Ok(_), None) => panic!("the scan accepts what serde_json refuses"),
        (Err(e), Some(_)) => panic!("the scan refuses what serde_json accepts: {e}"),
        (Err(_), None) => {}
        (Ok(_), Some(objects)) => {
            let raws: Vec<&RawValue> = serde_json::from_slice(data).expect("accepted above");
            assert_eq!(objects.len(), whole.len());
            for ((raw, object), (text, id, _)) in raws.iter().zip(&objects).zip(&whole) {
                assert_eq!(raw.get(), text, "a row's bytes changed");
                // The last `id` wins, as in serde's map.
                let Some(value) = object.get("id") else {
                    assert_eq!(*id, None, "{text}");
                    continue;
                };
                match serde_json::from_str::<Value>(value.get()) {
                    Ok(Value::Number(n)) => assert_eq!(*id, n.as_i64(), "{text}"),
                    // Only what a string holds as a whole number is an id (fix 6 narrows this further).
                    Ok(Value::String(s)) => {
                        if let Some(id) = id {
                            assert_eq!(s.trim().parse::<i64>().ok(), Some(*id), "{text}");
                        }
                    }
                    // A string with a lone surrogate escape: valid JSON that no `String` holds.
                    Err(_) => assert_eq!(*id, None, "{text}"),
                    Ok(_) => assert_eq!(*id, None, "{text}"),
                }
            }
        }
    }
});
