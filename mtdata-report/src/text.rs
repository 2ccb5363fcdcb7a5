//! Plain-text tables that fit a width, with optional ANSI colour. Libraries never print: this
//! only builds strings for the CLI (or a notebook) to show.

use std::fmt::Write as _;

/// How a cell is emphasised when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Warn,
    Bad,
    Dim,
}

impl Tone {
    fn ansi(self) -> Option<&'static str> {
        match self {
            Tone::Plain => None,
            Tone::Good => Some("\x1b[32m"),
            Tone::Warn => Some("\x1b[33m"),
            Tone::Bad => Some("\x1b[31m"),
            Tone::Dim => Some("\x1b[2m"),
        }
    }
}

/// How to draw a report as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Fit the table into this many columns by shortening the widest cells (`None`: no limit).
    pub width: Option<usize>,
    /// Colour cells with ANSI escapes.
    pub color: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            width: Some(100),
            color: false,
        }
    }
}

/// A table of text cells; numeric columns are right-aligned.
#[derive(Debug, Clone, Default)]
pub struct TextTable {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<(String, Tone)>>,
    /// Shortened first when the table is too wide (long free text such as lists of names).
    flexible: Option<usize>,
}

const GAP: usize = 2;
const MIN_WIDTH: usize = 4;

impl TextTable {
    /// Columns named by `headers`; `right[i]` aligns column `i` to the right.
    pub fn new(headers: &[&str], right: &[bool]) -> Self {
        TextTable {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            right: right.to_vec(),
            rows: Vec::new(),
            flexible: None,
        }
    }

    /// Shorten column `column` first when the table does not fit.
    pub fn flexible(mut self, column: usize) -> Self {
        self.flexible = Some(column);
        self
    }

    /// Add a row of cells.
    pub fn push(&mut self, row: Vec<(String, Tone)>) {
        self.rows.push(row);
    }

    /// Draw the table.
    pub fn render(&self, options: TextOptions) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, (cell, _)) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        if let Some(limit) = options.width {
            let gaps = GAP * columns.saturating_sub(1);
            if let Some(flex) = self.flexible.filter(|&f| f < columns) {
                let others: usize = widths.iter().sum::<usize>() - widths[flex];
                let room = limit.saturating_sub(others + gaps).max(MIN_WIDTH * 3);
                widths[flex] = widths[flex].min(room);
            }
            while widths.iter().sum::<usize>() + gaps > limit {
                let (widest, &w) = widths
                    .iter()
                    .enumerate()
                    .max_by_key(|(i, w)| (**w, usize::MAX - i))
                    .expect("at least one column");
                if w <= MIN_WIDTH {
                    break;
                }
                widths[widest] -= 1;
            }
        }
        let mut out = String::new();
        let header: Vec<(String, Tone)> = self
            .headers
            .iter()
            .map(|h| (h.clone(), Tone::Plain))
            .collect();
        self.line(&mut out, &header, &widths, options.color, true);
        let rule: Vec<(String, Tone)> = widths
            .iter()
            .map(|w| ("-".repeat(*w), Tone::Plain))
            .collect();
        self.line(&mut out, &rule, &widths, false, false);
        for row in &self.rows {
            self.line(&mut out, row, &widths, options.color, false);
        }
        out
    }

    fn line(
        &self,
        out: &mut String,
        cells: &[(String, Tone)],
        widths: &[usize],
        color: bool,
        bold: bool,
    ) {
        let mut line = String::new();
        for (i, width) in widths.iter().enumerate() {
            let (text, tone) = cells
                .get(i)
                .map_or(("", Tone::Plain), |(t, tone)| (t.as_str(), *tone));
            let text = fit(text, *width);
            let pad = width - text.chars().count();
            let right = self.right.get(i).copied().unwrap_or(false);
            if i > 0 {
                line.push_str(&" ".repeat(GAP));
            }
            if right {
                line.push_str(&" ".repeat(pad));
            }
            let style = if bold { Some("\x1b[1m") } else { tone.ansi() };
            match style.filter(|_| color && !text.is_empty()) {
                Some(code) => {
                    let _ = write!(line, "{code}{text}\x1b[0m");
                }
                None => line.push_str(&text),
            }
            if !right && i + 1 < widths.len() {
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// Shorten `text` to `width` characters, ending in `…` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A rate as a percentage with one decimal, or `-` when undefined.
pub(crate) fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_fits_the_width_by_shortening_the_widest_column() {
        let mut t = TextTable::new(&["name", "n"], &[false, true]);
        t.push(vec![
            ("a very long task name indeed".into(), Tone::Plain),
            ("7".into(), Tone::Bad),
        ]);
        let text = t.render(TextOptions {
            width: Some(15),
            color: false,
        });
        assert!(text.lines().all(|l| l.chars().count() <= 15), "{text}");
        assert!(text.contains('…'));
        let colored = t.render(TextOptions {
            width: None,
            color: true,
        });
        assert!(colored.contains("\x1b[31m7\x1b[0m"));
    }
}
