//! The streaming scan and the whole-buffer parse agree: on generated arrays with nasty strings
//! (escaped quotes, brackets, braces and commas inside strings, `\u` escapes, escaped keys, repeated
//! keys, nested values, odd white space), intact or damaged by one edit, they accept the same bodies
//! and see the same rows.

use proptest::prelude::*;

use super::backup::parse_streaming;
use super::stream::RowKeys;
use super::{RowDate, RowSink, ScanError, Split, parse_backup, scan_array};

/// A JSON value as generated.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// A number written as this text (fractions, exponents, `-0`).
    Number(&'static str),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Text with the characters that trip splitters and escapes.
fn nasty_text() -> impl Strategy<Value = String> {
    "[a-z\"\\\\{}\\[\\],:/ \u{e9}\u{1F600}\u{1}\n\t]{0,10}"
}

fn column_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["id", "date", "dateCompleted", "a", "b\"c", "{", "},{", "\u{e9}"])
            .prop_map(str::to_owned),
        1 => nasty_text(),
    ]
}

fn value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::Int),
        prop::sample::select(vec![
            "-0",
            "0.5",
            "-1.5e3",
            "1E+2",
            "123456789012345678901234567890"
        ])
        .prop_map(Json::Number),
        nasty_text().prop_map(Json::Str),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((column_name(), inner), 0..4).prop_map(Json::Object),
        ]
    })
}

fn row() -> impl Strategy<Value = Vec<(String, Json)>> {
    prop::collection::vec((column_name(), value()), 0..6)
}

/// Writes JSON with choices made by a seeded generator: escapes where a literal would do, white space.
struct Writer {
    out: String,
    state: u64,
}

impl Writer {
    fn coin(&mut self, one_in: u64) -> bool {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state.is_multiple_of(one_in)
    }

    fn space(&mut self) {
        while self.coin(4) {
            let b = [" ", "\n", "\t", "\r\n"][(self.state >> 8) as usize % 4];
            self.out.push_str(b);
        }
    }

    fn string(&mut self, text: &str) {
        self.out.push('"');
        for c in text.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\t' => self.out.push_str("\\t"),
                '/' if self.coin(2) => self.out.push_str("\\/"),
                c if (c as u32) < 0x20 || self.coin(5) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        self.out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn value(&mut self, value: &Json) {
        match value {
            Json::Null => self.out.push_str("null"),
            Json::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => self.out.push_str(&n.to_string()),
            Json::Number(text) => self.out.push_str(text),
            Json::Str(text) => self.string(text),
            Json::Array(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.space();
                    if i > 0 {
                        self.out.push(',');
                        self.space();
                    }
                    self.value(item);
                }
                self.space();
                self.out.push(']');
            }
            Json::Object(fields) => {
                self.out.push('{');
                for (i, (name, item)) in fields.iter().enumerate() {
                    self.space();
                    if i > 0 {
                        self.out.push(',');
                        self.space();
                    }
                    self.string(name);
                    self.space();
                    self.out.push(':');
                    self.space();
                    self.value(item);
                }
                self.space();
                self.out.push('}');
            }
        }
    }
}

/// The body of an array of `rows`, written with the choices of `seed`.
fn body(rows: &[Vec<(String, Json)>], seed: u64) -> String {
    let mut w = Writer {
        out: String::new(),
        state: seed | 1,
    };
    w.space();
    w.out.push('[');
    for (i, fields) in rows.iter().enumerate() {
        w.space();
        if i > 0 {
            w.out.push(',');
            w.space();
        }
        w.value(&Json::Object(fields.clone()));
    }
    w.space();
    w.out.push(']');
    w.space();
    w.out
}

/// A row of the whole-buffer parse: its fields as (name, value text), and where its values are.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct ParsedRow {
    pub(super) fields: Vec<(String, String)>,
    /// Byte range of the values in the buffer (from the first value's start to the last one's end).
    span: Option<(usize, usize)>,
}

struct Rows {
    base: usize,
    rows: Vec<ParsedRow>,
    current: ParsedRow,
}

impl<'b> RowSink<'b> for Rows {
    fn begin_row(&mut self) {
        self.current = ParsedRow::default();
    }

    fn field(&mut self, position: usize, name: &str, value: &'b str) -> Result<(), &'static str> {
        assert_eq!(position, self.current.fields.len());
        let at = value.as_ptr() as usize - self.base;
        let end = at + value.len();
        self.current.span = Some(self.current.span.map_or((at, end), |(s, _)| (s, end)));
        self.current
            .fields
            .push((name.to_owned(), value.to_owned()));
        Ok(())
    }

    fn end_row(&mut self) {
        self.rows.push(std::mem::take(&mut self.current));
    }
}

fn rows_of(text: &str) -> Rows {
    Rows {
        base: text.as_ptr() as usize,
        rows: Vec::new(),
        current: ParsedRow::default(),
    }
}

/// The rows of a whole-buffer parse in parts of 16 bytes or more, and whether it found no damage.
pub(super) fn parse(text: &str, threads: usize) -> (Vec<ParsedRow>, bool) {
    let split = Split {
        threads,
        min_part_bytes: 16,
    };
    let parsed = parse_backup(text, split, |_| rows_of(text));
    let rows = parsed.parts.into_iter().flat_map(|p| p.rows).collect();
    (rows, parsed.damage.is_none())
}

/// The same by the streaming parser alone.
fn parse_streamed(text: &str) -> (Vec<ParsedRow>, bool) {
    let mut sink = rows_of(text);
    let valid = parse_streaming(text, &mut sink).is_ok();
    (sink.rows, valid)
}

/// A row of the streaming scan: its exact text, id and date.
pub(super) type ScannedRow = (String, Option<i64>, Option<RowDate>);

/// A reader that hands out `n` bytes at a time.
pub(super) struct Chunks<'a>(pub(super) &'a [u8], pub(super) usize);

impl std::io::Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(self.0.len()).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

pub(super) fn scan(text: &str, chunk: usize) -> Result<Vec<ScannedRow>, ScanError> {
    let mut rows = Vec::new();
    scan_array(Chunks(text.as_bytes(), chunk), |row| {
        rows.push((row.raw.to_owned(), row.id, row.date))
    })?;
    Ok(rows)
}

/// The two results describe the same rows: each scanned row's text sits in the body where the parsed row's
/// values are, and its id and date are what the parsed fields give.
fn assert_same_rows(text: &str, scanned: &[ScannedRow], parsed: &[ParsedRow]) {
    assert_eq!(scanned.len(), parsed.len());
    let mut from = 0;
    for ((raw, id, date), row) in scanned.iter().zip(parsed) {
        let start = from + text[from..].find('{').expect("a row starts");
        assert!(text[start..].starts_with(raw.as_str()), "{raw}");
        let end = start + raw.len();
        if let Some((first, last)) = row.span {
            assert!(start < first && last < end, "{raw} {row:?}");
        }
        let mut keys = RowKeys::default();
        keys.begin_row();
        for (position, (name, value)) in row.fields.iter().enumerate() {
            keys.field(position, name, value).unwrap();
        }
        assert_eq!(
            (*id, date.clone()),
            (keys.id().ok().flatten(), keys.date()),
            "{raw}"
        );
        from = end;
    }
}

/// One edit that may damage a body: cut it, drop a character, or put a byte in or over one.
#[derive(Debug, Clone)]
enum Edit {
    Cut,
    Drop,
    Insert(u8),
    Replace(u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(b"\"\\{}[],: x0-.eu\n".to_vec());
    prop_oneof![
        Just(Edit::Cut),
        Just(Edit::Drop),
        byte.clone().prop_map(Edit::Insert),
        byte.prop_map(Edit::Replace),
    ]
}

fn apply(text: &str, edit: &Edit, at: prop::sample::Index) -> String {
    let at = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .nth(at.index(text.chars().count() + 1))
        .unwrap_or(text.len());
    let next = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    match edit {
        Edit::Cut => text[..at].to_owned(),
        Edit::Drop => format!("{}{}", &text[..at], &text[next..]),
        Edit::Insert(b) => format!("{}{}{}", &text[..at], *b as char, &text[at..]),
        Edit::Replace(b) => format!("{}{}{}", &text[..at], *b as char, &text[next..]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn scan_and_parse_see_the_same_rows(
        rows in prop::collection::vec(row(), 0..8),
        seed in any::<u64>(),
        chunk in 1usize..40,
        threads in 1usize..4,
    ) {
        let text = body(&rows, seed);
        let scanned = scan(&text, chunk).unwrap_or_else(|e| panic!("{e}: {text}"));
        let (parsed, valid) = parse(&text, threads);
        prop_assert!(valid, "{}", text);
        prop_assert_eq!(&parse_streamed(&text), &(parsed.clone(), true));
        assert_same_rows(&text, &scanned, &parsed);
        // The parse gives the generated fields, as written.
        prop_assert_eq!(parsed.len(), rows.len());
        for (row, fields) in parsed.iter().zip(&rows) {
            let names: Vec<&str> = row.fields.iter().map(|f| f.0.as_str()).collect();
            let expected: Vec<&str> = fields.iter().map(|f| f.0.as_str()).collect();
            prop_assert_eq!(names, expected);
        }
    }

    #[test]
    fn damaged_bodies_are_refused_by_both_or_neither(
        rows in prop::collection::vec(row(), 1..6),
        seed in any::<u64>(),
        edit in edit(),
        at in any::<prop::sample::Index>(),
        chunk in 1usize..40,
        threads in 2usize..4,
    ) {
        let text = apply(&body(&rows, seed), &edit, at);
        let scanned = scan(&text, chunk);
        let (parsed, valid) = parse(&text, threads);
        // The fast path (parts on threads, falling back on damage) keeps what the streaming parser keeps.
        prop_assert_eq!(&parse_streamed(&text), &(parsed.clone(), valid));
        match scanned {
            Ok(scanned) => {
                prop_assert!(valid, "{}", text);
                assert_same_rows(&text, &scanned, &parsed);
            }
            Err(e) => prop_assert!(!valid, "{} accepted; scan: {}", text, e),
        }
    }
}
