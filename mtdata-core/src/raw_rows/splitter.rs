//! The byte-level splitter: where each row object of a JSON array (or of several concatenated arrays)
//! starts and ends, tracking strings, escapes and nesting, without parsing the rows.
//!
//! It works on a growing buffer (the streaming scan feeds it read by read, and [`Splitter::shift`]s it as
//! the buffer is drained) and on a whole buffer (the fast path of the whole-buffer parse, which may start it
//! at a guessed row boundary).

use std::ops::Range;

/// What may follow the closing `]` of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arrays {
    /// Only white space: a server's answer, or a backup mtdata wrote.
    One,
    /// White space or another array: MTData appended re-downloads to one file.
    Several,
}

/// Where the splitter is in the array structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before `[`.
    Start,
    /// After `[`: a row or `]`.
    FirstRowOrEnd,
    /// After `,`: a row.
    Row,
    /// Inside a row.
    InRow,
    /// After a row: `,` or `]`.
    CommaOrEnd,
    /// After `]`: white space, or another array with [`Arrays::Several`].
    Done,
}

/// What the splitter found that does not belong in an array of row objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unexpected {
    NotAnArray,
    NotAnObject,
    NoCommaOrEnd,
    /// More data after the array (with [`Arrays::One`]).
    AfterArray,
}

impl Unexpected {
    /// The problem, as a phrase after "row N: ".
    pub(super) fn message(self) -> &'static str {
        match self {
            Unexpected::NotAnArray => "is missing: the answer is not a JSON array",
            Unexpected::NotAnObject => "is not a JSON object",
            Unexpected::NoCommaOrEnd => "is not followed by ',' or ']'",
            Unexpected::AfterArray => "is followed by more data after the array",
        }
    }
}

/// JSON's white space (not `u8::is_ascii_whitespace`, which also takes form feed).
pub(super) fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

/// Finds where each row object of an array starts and ends.
#[derive(Debug)]
pub(super) struct Splitter {
    arrays: Arrays,
    state: State,
    /// Scan position in the buffer.
    pos: usize,
    /// Where the current row starts (while [`State::InRow`]).
    row_start: usize,
    /// Open objects and arrays of the current row.
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Splitter {
    /// A splitter at the start of a buffer.
    pub(super) fn new(arrays: Arrays) -> Self {
        Splitter {
            arrays,
            state: State::Start,
            pos: 0,
            row_start: 0,
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }

    /// A splitter at `pos`, where a row is expected after a `,` (a guessed row boundary).
    pub(super) fn at_row(arrays: Arrays, pos: usize) -> Self {
        Splitter {
            state: State::Row,
            pos,
            ..Splitter::new(arrays)
        }
    }

    /// The start of the next row (its `{`), or `None` when the buffer is used up before one.
    pub(super) fn next_row_start(&mut self, buf: &[u8]) -> Result<Option<usize>, Unexpected> {
        if self.state == State::InRow {
            return Ok(Some(self.row_start));
        }
        while let Some(&b) = buf.get(self.pos) {
            self.pos += 1;
            if is_json_space(b) {
                continue;
            }
            self.state = match (self.state, b) {
                (State::Start, b'[') => State::FirstRowOrEnd,
                (State::Done, b'[') if self.arrays == Arrays::Several => State::FirstRowOrEnd,
                (State::Start, _) => return Err(Unexpected::NotAnArray),
                (State::FirstRowOrEnd | State::Row, b'{') => {
                    self.row_start = self.pos - 1;
                    self.depth = 1;
                    self.state = State::InRow;
                    return Ok(Some(self.row_start));
                }
                (State::FirstRowOrEnd | State::CommaOrEnd, b']') => State::Done,
                (State::FirstRowOrEnd | State::Row, _) => return Err(Unexpected::NotAnObject),
                (State::CommaOrEnd, b',') => State::Row,
                (State::CommaOrEnd, _) => return Err(Unexpected::NoCommaOrEnd),
                (State::Done, _) => return Err(Unexpected::AfterArray),
                (State::InRow, _) => unreachable!("returned above"),
            };
        }
        Ok(None)
    }

    /// The end (exclusive) of the current row, found by matching brackets outside strings; `None` when
    /// the buffer ends first (the scan resumes there when the buffer has grown).
    pub(super) fn find_row_end(&mut self, buf: &[u8]) -> Option<usize> {
        debug_assert_eq!(self.state, State::InRow);
        let mut i = self.pos;
        while let Some(&c) = buf.get(i) {
            i += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if c == b'\\' {
                    self.escaped = true;
                } else if c == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match c {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.row_ended(i);
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        self.pos = i;
        None
    }

    /// The current row ends at `end` (found by [`Splitter::find_row_end`] or by a row parser).
    pub(super) fn row_ended(&mut self, end: usize) {
        self.state = State::CommaOrEnd;
        self.pos = end;
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
    }

    /// The byte range of the next complete row, `None` when the buffer is used up first.
    pub(super) fn next_row(&mut self, buf: &[u8]) -> Result<Option<Range<usize>>, Unexpected> {
        let Some(start) = self.next_row_start(buf)? else {
            return Ok(None);
        };
        Ok(self.find_row_end(buf).map(|end| start..end))
    }

    /// The first byte still needed: the current row's start, or the scan position between rows.
    pub(super) fn keep_from(&self) -> usize {
        if self.state == State::InRow {
            self.row_start
        } else {
            self.pos
        }
    }

    /// The buffer lost its first `n` bytes (at most [`Splitter::keep_from`]).
    pub(super) fn shift(&mut self, n: usize) {
        self.pos -= n;
        if self.state == State::InRow {
            self.row_start -= n;
        }
    }

    /// True after the last array closed.
    pub(super) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// True before the first `[`.
    pub(super) fn is_at_start(&self) -> bool {
        self.state == State::Start
    }
}

/// The end (exclusive) of the row object starting at `start`, by matching brackets outside strings;
/// `None` when the buffer ends first.
pub(super) fn row_end(buf: &[u8], start: usize) -> Option<usize> {
    let mut splitter = Splitter::at_row(Arrays::One, start);
    splitter.next_row(buf).ok().flatten().map(|row| row.end)
}

/// The first `{` at or after `from` that follows `}` and `,` (white space allowed): probably a row start.
/// Only a guess: it may be inside a string.
pub(super) fn guess_row_start(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from.max(1);
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let mut before = bytes[..i]
                .iter()
                .rev()
                .copied()
                .filter(|&b| !is_json_space(b))
                .take(2);
            if before.next() == Some(b',') && before.next() == Some(b'}') {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, arrays: Arrays) -> Result<Vec<&str>, Unexpected> {
        let mut splitter = Splitter::new(arrays);
        let mut rows = Vec::new();
        while let Some(row) = splitter.next_row(text.as_bytes())? {
            rows.push(&text[row]);
        }
        Ok(rows)
    }

    #[test]
    fn rows_end_at_their_matching_bracket_outside_strings() {
        let text = r#" [ {"a":"}\"]{","b":[{}]} ,{"c":"\\"}]"#;
        assert_eq!(
            rows(text, Arrays::One).unwrap(),
            [r#"{"a":"}\"]{","b":[{}]}"#, r#"{"c":"\\"}"#]
        );
    }

    #[test]
    fn a_second_array_only_where_several_are_allowed() {
        let text = "[{\"a\":1}]\n[{\"a\":2}] []";
        assert_eq!(rows(text, Arrays::Several).unwrap().len(), 2);
        assert_eq!(rows(text, Arrays::One), Err(Unexpected::AfterArray));
        assert_eq!(rows("{}", Arrays::Several), Err(Unexpected::NotAnArray));
        assert_eq!(rows("[1]", Arrays::Several), Err(Unexpected::NotAnObject));
        assert_eq!(rows("[{},]", Arrays::Several), Err(Unexpected::NotAnObject));
        assert_eq!(
            rows("[{} {}]", Arrays::Several),
            Err(Unexpected::NoCommaOrEnd)
        );
        // Form feed is not JSON white space.
        assert_eq!(rows("[\u{c}{}]", Arrays::One), Err(Unexpected::NotAnObject));
    }

    #[test]
    fn row_end_runs_to_the_matching_bracket() {
        let text = br#"{"a":[{"b":"]}"}]},{"#;
        assert_eq!(row_end(text, 0), Some(18));
        assert_eq!(row_end(&text[..17], 0), None);
    }

    #[test]
    fn guessed_row_starts_follow_a_row_end_and_a_comma() {
        let text = br#"[{"a":1} , {"b":"},{"}]"#;
        assert_eq!(guess_row_start(text, 2), Some(11));
        // Inside a string: only a guess.
        assert_eq!(guess_row_start(text, 12), Some(19));
        assert_eq!(guess_row_start(text, 20), None);
    }
}
