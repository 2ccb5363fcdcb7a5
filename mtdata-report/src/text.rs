//! Plain-text tables that fit a width, with optional ANSI colour. Libraries never print: this
//! only builds strings for the CLI (or a notebook) to show.

/// How a cell is emphasised when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Warn,
    Bad,
    Dim,
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

/// A table of text cells; numeric columns are right-aligned. Drawn by comfy-table: columns fit
/// the width by wrapping, widest and flexible columns first.
#[derive(Debug, Clone, Default)]
pub struct TextTable {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<(String, Tone)>>,
    /// Wrapped first when the table is too wide (long free text such as lists of names).
    flexible: Option<usize>,
}

/// No borders and no column lines; one rule of `-` under the header.
const PRESET: &str = "     -             ";

/// The narrowest a flexible column is squeezed to before the other columns wrap too.
const MIN_FLEXIBLE: usize = 12;

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

    /// Wrap column `column` first when the table does not fit.
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
        use comfy_table::{
            Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
        };
        let mut table = Table::new();
        table.load_preset(PRESET);
        if options.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        let header = self.headers.iter().map(|h| {
            let cell = Cell::new(h);
            if options.color {
                cell.add_attribute(Attribute::Bold)
            } else {
                cell
            }
        });
        table.set_header(header);
        for row in &self.rows {
            table.add_row(row.iter().map(|(text, tone)| {
                let cell = Cell::new(text);
                if options.color {
                    tone.style(cell)
                } else {
                    cell
                }
            }));
        }
        for (i, column) in table.column_iter_mut().enumerate() {
            // Two spaces between columns, none at the edges (trailing ones are trimmed).
            column.set_padding((0, 2));
            if self.right.get(i).copied().unwrap_or(false) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        let widest: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                let cells = self.rows.iter().filter_map(|r| r.get(i));
                cells
                    .map(|c| c.0.chars().count())
                    .chain([self.headers[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // The last column's padding is trimmed, so it takes no room.
        let natural = widest.iter().sum::<usize>() + 2 * widest.len().saturating_sub(1);
        match options.width {
            Some(width) if natural > width => {
                table
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(u16::try_from(width + 2).unwrap_or(u16::MAX));
                // The flexible column (long free text) wraps first: the others keep their
                // width when what is left for it is still readable.
                if let Some(flex) = self.flexible.filter(|&f| f < widest.len()) {
                    let others = natural - widest[flex];
                    if others + MIN_FLEXIBLE <= width {
                        for (i, column) in table.column_iter_mut().enumerate() {
                            if i != flex {
                                let w = u16::try_from(widest[i] + 2).unwrap_or(u16::MAX);
                                column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(w)));
                            }
                        }
                    }
                }
            }
            _ => {
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        let lines: Vec<String> = table.lines().map(|l| l.trim_end().to_owned()).collect();
        // The rule under the header spans the last column's padding too: cut it to the text.
        let text_width = lines
            .iter()
            .filter(|l| !is_rule(l))
            .map(|l| console_width(l))
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for line in lines {
            if is_rule(&line) {
                out.push_str(&"-".repeat(text_width));
            } else {
                out.push_str(&line);
            }
            out.push('\n');
        }
        out
    }
}

impl Tone {
    fn style(self, cell: comfy_table::Cell) -> comfy_table::Cell {
        use comfy_table::{Attribute, Color};
        match self {
            Tone::Plain => cell,
            Tone::Good => cell.fg(Color::Green),
            Tone::Warn => cell.fg(Color::Yellow),
            Tone::Bad => cell.fg(Color::Red),
            Tone::Dim => cell.add_attribute(Attribute::Dim),
        }
    }
}

fn is_rule(line: &str) -> bool {
    !line.is_empty() && line.bytes().all(|b| b == b'-')
}

/// Characters of a line as the terminal shows them (ANSI escapes take no room).
fn console_width(line: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in line.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
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
        // The long name is wrapped, not cut: every word is still there.
        for word in ["very", "long", "task", "indeed"] {
            assert!(text.contains(word), "{text}");
        }
        let colored = t.render(TextOptions {
            width: None,
            color: true,
        });
        assert!(
            colored.contains("\x1b[38;5;9m7") || colored.contains("\x1b[31m7"),
            "{colored:?}"
        );
        let plain = t.render(TextOptions {
            width: None,
            color: false,
        });
        assert!(!plain.contains('\x1b'), "{plain:?}");
        assert_eq!(
            plain,
            "name                          n\n-------------------------------\na very long task name indeed  7\n"
        );
    }
}
