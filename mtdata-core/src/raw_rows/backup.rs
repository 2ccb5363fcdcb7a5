//! The whole-buffer parse of a backup file: on all cores when the file is large and valid, by one streaming
//! serde_json parser when anything is unusual (which then keeps the rows before the damage and says where it
//! is).

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};

use super::RowSink;
use super::fields::{RowSeed, parse_row};
use super::splitter::{Arrays, Splitter, guess_row_start};

/// Parts smaller than this are not worth a thread.
pub const MIN_PART_BYTES: usize = 1 << 20;

/// How a whole-buffer parse may split its buffer over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Parts parsed at once, at most (1: one part, parsed on the calling thread).
    pub threads: usize,
    /// No part is smaller than this ([`MIN_PART_BYTES`]; tests and fuzzing set it small to exercise the
    /// guessed boundaries on small buffers).
    pub min_part_bytes: usize,
}

impl Split {
    /// Up to `threads` parts of at least [`MIN_PART_BYTES`].
    pub fn threads(threads: usize) -> Self {
        Split {
            threads,
            min_part_bytes: MIN_PART_BYTES,
        }
    }
}

impl Default for Split {
    /// One part.
    fn default() -> Self {
        Split::threads(1)
    }
}

/// Where and how a backup is damaged, by position only: serde_json's own messages can quote data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// Nothing but white space.
    #[error("empty file (no JSON array)")]
    Empty,
    /// Not one or more JSON arrays of row objects from this position on.
    #[error("{what} at line {line} column {column}")]
    Json {
        what: &'static str,
        line: usize,
        column: usize,
    },
}

impl Damage {
    fn from_json(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let what = match e.classify() {
            Category::Eof => "the file ends in the middle of a value (truncated?)",
            Category::Syntax => "invalid JSON",
            Category::Data => "not an array of row objects",
            Category::Io => "read error",
        };
        Damage::Json {
            what,
            line: e.line(),
            column: e.column(),
        }
    }
}

/// What a whole-buffer parse gives: the sinks of its parts, in buffer order, and the damage if any.
#[derive(Debug)]
pub struct ParsedBackup<S> {
    /// One sink per part. With damage, one sink holding the complete rows before it.
    pub parts: Vec<S>,
    pub damage: Option<Damage>,
}

/// Parse a backup held whole in memory (one or more JSON arrays of row objects, white space between), into
/// sinks made by `new_part(part number)`, one per part parsed at once.
///
/// A valid file takes the fast path: cut into parts at guessed row boundaries, which are verified, and each
/// row cut out by the splitter and parsed from its slice. Anything the fast path does not accept is parsed
/// again, from the start and into a fresh sink, by one streaming parser, which keeps the complete rows before
/// the damage and says where the damage is. Either way the sinks see the same rows and fields.
pub fn parse_backup<'b, S: RowSink<'b> + Send>(
    buf: &'b str,
    split: Split,
    mut new_part: impl FnMut(u32) -> S,
) -> ParsedBackup<S> {
    if let Some(parts) = parse_parallel(buf, split, &mut new_part) {
        return ParsedBackup {
            parts,
            damage: None,
        };
    }
    let mut sink = new_part(0);
    let damage = parse_streaming(buf, &mut sink).err();
    ParsedBackup {
        parts: vec![sink],
        damage,
    }
}

/// The streaming parser: rows are kept up to the first error.
pub(super) fn parse_streaming<'b, S: RowSink<'b>>(
    buf: &'b str,
    sink: &mut S,
) -> Result<(), Damage> {
    let mut de = serde_json::Deserializer::from_str(buf);
    let mut arrays = 0usize;
    loop {
        if de.end().is_ok() {
            break;
        }
        ArraySeed(&mut *sink)
            .deserialize(&mut de)
            .map_err(|e| Damage::from_json(&e))?;
        arrays += 1;
    }
    if arrays == 0 {
        return Err(Damage::Empty);
    }
    Ok(())
}

/// serde_json's view of one array of rows.
struct ArraySeed<'s, S>(&'s mut S);

impl<'de, S: RowSink<'de>> DeserializeSeed<'de> for ArraySeed<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: RowSink<'de>> Visitor<'de> for ArraySeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of row objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RowSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// The fast path for a valid file: cut it into parts at row boundaries and parse them at once.
///
/// A part boundary is guessed (`}` `,` `{` after the part's share of the file) and verified: the part before
/// it must reach a row starting exactly there, otherwise it simply goes on to the end and the later parts are
/// dropped. `None` when anything is wrong: then the caller parses the file again with the streaming parser,
/// which reports the damage exactly.
fn parse_parallel<'b, S: RowSink<'b> + Send>(
    buf: &'b str,
    split: Split,
    new_part: &mut impl FnMut(u32) -> S,
) -> Option<Vec<S>> {
    let bytes = buf.as_bytes();
    let threads = split.threads.max(1);
    let min_part = split.min_part_bytes.max(1);
    let mut starts = vec![0usize];
    if threads > 1 && bytes.len() >= 2 * min_part {
        for k in 1..threads {
            let from = bytes.len() / threads * k;
            let last = *starts.last().unwrap_or(&0);
            if from < last + min_part {
                continue;
            }
            match guess_row_start(bytes, from) {
                Some(start) if start > last => starts.push(start),
                _ => break,
            }
        }
    }
    let results: Vec<Option<(S, bool)>> = if starts.len() == 1 {
        vec![parse_part(buf, new_part(0), 0, None)]
    } else {
        let sinks: Vec<S> = (0..starts.len() as u32).map(&mut *new_part).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = sinks
                .into_iter()
                .enumerate()
                .map(|(k, sink)| {
                    let (start, stop) = (starts[k], starts.get(k + 1).copied());
                    scope.spawn(move || parse_part(buf, sink, start, stop))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("parse thread panicked"))
                .collect()
        })
    };
    let mut parts = Vec::with_capacity(results.len());
    for result in results {
        let (part, reached_next) = result?;
        parts.push(part);
        if !reached_next {
            // This part went on to the end of the file (the guessed boundary was not a row start).
            break;
        }
    }
    Some(parts)
}

/// Parse rows from `start` (the file's start, or a guessed row start) to the end of the file, or until a row
/// starts at `stop`. Returns the sink and whether `stop` was reached; `None` on anything unexpected.
fn parse_part<'b, S: RowSink<'b>>(
    buf: &'b str,
    mut sink: S,
    start: usize,
    mut stop: Option<usize>,
) -> Option<(S, bool)> {
    let bytes = buf.as_bytes();
    let mut splitter = if start == 0 {
        Splitter::new(Arrays::Several)
    } else {
        Splitter::at_row(Arrays::Several, start)
    };
    let mut pairs = Vec::new();
    let mut rows = 0usize;
    loop {
        let Some(row_start) = splitter.next_row_start(bytes).ok()? else {
            return splitter.is_done().then_some((sink, false));
        };
        if let Some(at) = stop {
            if row_start == at {
                return Some((sink, true));
            }
            if row_start > at {
                stop = None;
            }
        }
        let end = parse_row(buf, row_start, None, &mut pairs, &mut sink).ok()?;
        splitter.row_ended(end);
        rows += 1;
        if rows == 1024 {
            sink.part_progress(row_start - start, stop.unwrap_or(bytes.len()) - start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a parse hands its sinks, as text; value positions are in the buffer.
    #[derive(Debug, Default, PartialEq)]
    struct Record {
        base: usize,
        rows: Vec<String>,
        current: String,
    }

    impl<'b> RowSink<'b> for Record {
        fn begin_row(&mut self) {
            self.current.clear();
        }

        fn field(
            &mut self,
            position: usize,
            name: &str,
            value: &'b str,
        ) -> Result<(), &'static str> {
            let at = value.as_ptr() as usize - self.base;
            self.current
                .push_str(&format!(" {position}:{name:?}@{at}={value}"));
            Ok(())
        }

        fn end_row(&mut self) {
            self.rows.push(std::mem::take(&mut self.current));
        }
    }

    fn record(buf: &str) -> impl FnMut(u32) -> Record {
        let base = buf.as_ptr() as usize;
        move |_| Record {
            base,
            ..Record::default()
        }
    }

    /// The rows of all parts, and the parts' count.
    fn parse(text: &str, split: Split) -> (Vec<String>, Option<Damage>, usize) {
        let parsed = parse_backup(text, split, record(text));
        let count = parsed.parts.len();
        let rows = parsed.parts.into_iter().flat_map(|p| p.rows).collect();
        (rows, parsed.damage, count)
    }

    fn parse_streamed(text: &str) -> (Vec<String>, Option<Damage>) {
        let mut sink = record(text)(0);
        let damage = parse_streaming(text, &mut sink).err();
        (sink.rows, damage)
    }

    #[test]
    fn concatenated_arrays_and_whitespace_parse() {
        let (rows, damage, _) = parse("[{\"id\":1}]\n[{\"id\":2}] \r\n[]", Split::default());
        assert_eq!((rows.len(), damage), (2, None));
        let damage = |text| parse(text, Split::threads(2)).1.unwrap().to_string();
        assert!(damage("[{\"id\":1}] x").starts_with("invalid JSON at line 1"));
        assert!(damage("{\"id\":1}").starts_with("not an array of row objects"));
        assert_eq!(damage("  "), "empty file (no JSON array)");
    }

    #[test]
    fn json_parse_errors_do_not_quote_data() {
        let (_, damage, _) = parse(r#"["secret-value"]"#, Split::default());
        assert!(!damage.unwrap().to_string().contains("secret"));
    }

    /// A backup of a few MB with what the fast path must get right or hand to serde_json.
    fn tricky_backup() -> String {
        let mut text = String::from("[\n");
        for i in 0..40_000u32 {
            if i > 0 {
                text.push_str(if i % 7 == 0 { " ,\r\n\t" } else { "," });
            }
            if i == 20_000 {
                // Two arrays in one file, as MTData's append left them.
                text.push_str("{\"id\":0}]\n[");
            }
            let row = match i % 6 {
                0 => format!(
                    r#"{{"id":{i},"date":"Tue, 07 Mar 2017 14:05:33 -0500","n":-1.5e3,"s":"a \"q\" \\ \/ \t"}}"#
                ),
                1 => format!(
                    r#"{{ "id" : "{i}" , "tricky":"}},{{\"id\":1}}" , "list":[1,{{"a":[]}},null,true,false] }}"#
                ),
                2 => format!(
                    r#"{{"id":{},"k\u00e9y":"\u00e9\ud83d\ude00","dateSubmitted":1488913533{:03}}}"#,
                    i % 500,
                    i % 1000
                ),
                3 => format!(r#"{{"i\"d":{i},"nested":{{"x":{{"y":[[],{{}}]}}}},"z":0}}"#),
                4 => format!(r#"{{"id":null,"v":{}}}"#, i % 3),
                _ => format!(
                    r#"{{"id":{i},"id":{},"e":"","big":123456789012345678901234567890}}"#,
                    i + 1
                ),
            };
            text.push_str(&row);
        }
        text.push_str("\n]\n");
        text
    }

    #[test]
    fn fast_parallel_parse_equals_streaming_parse() {
        let text = tricky_backup();
        assert!(text.len() > 2 * MIN_PART_BYTES, "{}", text.len());
        let streaming = parse_streamed(&text);
        assert_eq!(streaming.1, None);
        assert_eq!(streaming.0.len(), 40_001);
        for threads in [1, 2, 3, 7] {
            let (rows, damage, parts) = parse(&text, Split::threads(threads));
            // A boundary may be guessed inside a string (and then not used), but not every one.
            assert!(threads == 1 || parts > 1, "{threads} threads");
            assert_eq!((rows, damage), streaming, "{threads} threads");
        }
    }

    #[test]
    fn a_guessed_boundary_inside_a_string_is_not_used() {
        // The middle of the file falls in a long string holding "},{": the guess is wrong, and the first
        // part goes on to the end.
        let filler = "},{".repeat(MIN_PART_BYTES);
        let text = format!(r#"[{{"id":1,"s":"{filler}"}},{{"id":2}},{{"id":3}}]"#);
        let (rows, damage, parts) = parse(&text, Split::threads(2));
        assert_eq!((rows, damage), parse_streamed(&text));
        assert_eq!(parts, 1);
    }

    #[test]
    fn damage_late_in_a_large_file_keeps_the_rows_before_it() {
        let text = tricky_backup();
        for cut in [text.len() - 10, text.len() / 2 + 7, text.len() / 3] {
            let damaged = &text[..cut];
            let (rows, damage, _) = parse(damaged, Split::threads(2));
            assert_eq!((rows, damage.clone()), parse_streamed(damaged));
            assert!(damage.unwrap().to_string().contains("truncated"));
        }
        let bad = text.replacen("\"z\":0", "\"z\":01", 3000);
        let (_, damage, _) = parse(&bad, Split::threads(2));
        assert!(
            damage
                .unwrap()
                .to_string()
                .starts_with("invalid JSON at line")
        );
        let extra = format!("{text} [");
        let (rows, damage, _) = parse(&extra, Split::threads(2));
        assert_eq!((rows, damage.clone()), parse_streamed(&extra));
        assert!(damage.is_some());
    }

    /// A sink that refuses a field, as decode's does for a value over 4 GiB.
    struct Refusing;

    impl<'b> RowSink<'b> for Refusing {
        fn begin_row(&mut self) {}

        fn field(&mut self, _: usize, name: &str, _: &'b str) -> Result<(), &'static str> {
            if name == "huge" {
                Err("a value over 4 GiB")
            } else {
                Ok(())
            }
        }

        fn end_row(&mut self) {}
    }

    #[test]
    fn a_refused_field_is_damage_at_its_row() {
        let parsed = parse_backup("[{\"a\":1},\n{\"huge\":2}]", Split::default(), |_| Refusing);
        assert_eq!(
            parsed.damage.unwrap().to_string(),
            "not an array of row objects at line 2 column 10"
        );
    }
}
