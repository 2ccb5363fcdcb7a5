//! One self-contained HTML page with hand-written SVG: the participants × schedule heatmap, missing
//! rates per table and per column as bar charts, and the out-of-range list. No script, no external
//! resource; a Content-Security-Policy forbids fetching anything.

use std::fmt::Write as _;

use crate::client::ClientReport;
use crate::scale::ScaleReport;
use crate::status::{ColumnStatus, StatusReport};
use crate::study::CellState;

/// What goes on the page; absent parts are left out.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlReport<'a> {
    /// The study (and server) shown in the title.
    pub title: &'a str,
    /// When the report was made, as text.
    pub generated: &'a str,
    pub scale: Option<&'a ScaleReport>,
    pub client: Option<&'a ClientReport>,
    pub status: Option<&'a StatusReport>,
}

const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:none}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
h3{font-size:1em;margin:1.2em 0 .3em}\
.done{fill:#2e7d32}.duplicate{fill:#1565c0}.no_data{fill:#c62828}.missing{fill:#f9a825}.not_due{fill:#e6e6e6}\
.bar{fill:#c62828}.bar.low{fill:#f9a825}.bar.zero{fill:#2e7d32}\
svg text{font:11px system-ui,sans-serif;fill:#222}\
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:-.1em}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\
td.n{text-align:right}.note{color:#666}";

/// Escape text for HTML and SVG.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl HtmlReport<'_> {
    /// The page.
    pub fn render(&self) -> String {
        let mut h = String::with_capacity(1 << 16);
        page_start(&mut h, "Integrity report", self.title, self.generated, "");
        if let Some(client) = self.client {
            heatmap(&mut h, client);
        }
        if let Some(scale) = self.scale {
            h.push_str("<h2>Missing rate per table</h2>\n<p class=\"note\">TaskLog completions with no row in the table; duplicates are counted apart.</p>\n");
            let bars: Vec<(String, Option<f64>, String)> = scale
                .rows
                .iter()
                .map(|r| {
                    let label = if r.table == r.task {
                        r.task.clone()
                    } else {
                        format!("{} → {}", r.task, r.table)
                    };
                    let note = format!(
                        "{} of {} missing, {} duplicates{}",
                        r.missing,
                        r.tasklog_completions,
                        r.duplicates,
                        if r.data_found { "" } else { ", no data file" }
                    );
                    (label, r.missing_rate, note)
                })
                .collect();
            bar_chart(&mut h, "scale-missing", &bars);
        }
        if let Some(status) = self.status {
            h.push_str("<h2>Missing cells per column</h2>\n");
            for t in &status.tables {
                // A column empty in every row (an unused `tag`, a superseded `participant`) is
                // named once, not drawn as a full bar that hides the real gaps.
                let unused = |c: &&ColumnStatus| t.rows > 0 && c.missing == t.rows;
                let bars: Vec<(String, Option<f64>, String)> = t
                    .columns
                    .iter()
                    .filter(|c| c.missing > 0 && !unused(c))
                    .map(|c| {
                        (
                            c.column.clone(),
                            c.missing_rate,
                            format!("{} of {} empty", c.missing, t.rows),
                        )
                    })
                    .collect();
                let _ = writeln!(h, "<h3>{}</h3>", esc(&t.table));
                let unused: Vec<String> = t
                    .columns
                    .iter()
                    .filter(unused)
                    .map(|c| esc(&c.column))
                    .collect();
                if !unused.is_empty() {
                    let _ = writeln!(
                        h,
                        "<p class=\"note\">unused (empty in every row): {}</p>",
                        unused.join(", ")
                    );
                }
                if bars.is_empty() {
                    let other = if unused.is_empty() { "" } else { "other " };
                    let _ = writeln!(h, "<p class=\"note\">no {other}empty cells</p>");
                } else {
                    bar_chart(&mut h, "column-missing", &bars);
                }
            }
            out_of_range(&mut h, status);
        }
        page_end(&mut h);
        h
    }
}

/// The page's head and title: `<heading>: <title>`, the time it was made, and the shared style
/// plus `extra_style`.
pub(crate) fn page_start(
    h: &mut String,
    heading: &str,
    title: &str,
    generated: &str,
    extra_style: &str,
) {
    let title = esc(title);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{heading}: {title}</title><style>{STYLE}{extra_style}</style></head><body>\n\
         <h1>{heading}: {title}</h1><p class=\"note\">generated {}</p>",
        esc(generated)
    );
}

/// The end of a page begun by [`page_start`].
pub(crate) fn page_end(h: &mut String) {
    h.push_str("</body></html>\n");
}

/// One row of a [`grid`]: a labelled line of coloured cells.
pub(crate) struct GridRow<'a> {
    /// The value of the row's data attribute (the participant or user id).
    pub(crate) key: &'a str,
    /// The label drawn left of the row (when rows are tall enough).
    pub(crate) label: String,
    /// The tooltip of the row.
    pub(crate) title: String,
    /// The CSS class of each cell.
    pub(crate) cells: Vec<&'static str>,
}

/// A heatmap of rows by columns as one SVG: column labels rotated above, row labels left, runs of
/// equal cells drawn as one rect (which keeps the page small for thousands of rows). `key_attr`
/// names the data attribute that carries each row's key (`participant`, `user`).
pub(crate) fn grid(
    h: &mut String,
    id: &str,
    aria: &str,
    key_attr: &str,
    columns: &[String],
    rows: &[GridRow],
) {
    let (cw, ch) = (14usize, if rows.len() > 300 { 4usize } else { 14 });
    // Column labels are rotated by 60°: leave room above (and right) for the longest one.
    let longest = columns.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let (left, top) = (130usize, 20 + longest * 6);
    let width = left + columns.len() * cw + 20 + longest * 4;
    let height = top + rows.len() * ch + 10;
    let _ = writeln!(
        h,
        "<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{aria}\">"
    );
    for (j, label) in columns.iter().enumerate() {
        let x = left + j * cw + cw / 2;
        let _ = writeln!(
            h,
            "<text transform=\"translate({x},{}) rotate(-60)\">{}</text>",
            top - 4,
            esc(label)
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let y = top + i * ch;
        let _ = write!(
            h,
            "<g class=\"hm-row\" data-{key_attr}=\"{}\"><title>{}</title>",
            esc(row.key),
            esc(&row.title)
        );
        if ch >= 10 {
            let _ = write!(
                h,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                left - 6,
                y + ch - 3,
                esc(&row.label)
            );
        }
        let mut j = 0;
        while j < row.cells.len() {
            let class = row.cells[j];
            let run = row.cells[j..].iter().take_while(|c| **c == class).count();
            let _ = write!(
                h,
                "<rect class=\"{class}\" x=\"{}\" y=\"{y}\" width=\"{}\" height=\"{}\"/>",
                left + j * cw,
                run * cw - 1,
                ch.saturating_sub(1).max(1)
            );
            j += run;
        }
        h.push_str("</g>\n");
    }
    h.push_str("</svg>\n");
}

/// A legend line: a coloured square before each text.
pub(crate) fn legend(h: &mut String, entries: &[(&str, &str)]) {
    h.push_str("<p class=\"legend\">");
    for (color, text) in entries {
        let _ = write!(h, "<span style=\"background:{color}\"></span>{}", esc(text));
    }
    h.push_str("</p>\n");
}

fn heatmap(h: &mut String, client: &ClientReport) {
    h.push_str("<h2>Participants × schedule</h2>\n");
    legend(
        h,
        &[
            ("#2e7d32", "done"),
            ("#1565c0", "duplicate (logged or submitted more than once)"),
            ("#c62828", "no data (logged, no row in its table)"),
            ("#f9a825", "missing (due, not logged)"),
            ("#e6e6e6", "not yet due"),
        ],
    );
    if !client.unchecked_tasks.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"note\">no data file for {}: logged slots count as done (data unknown)</p>",
            esc(&client.unchecked_tasks.join(", "))
        );
    }
    let rows: Vec<GridRow> = client
        .rows
        .iter()
        .map(|row| {
            let mut flags = String::new();
            if row.admin {
                flags.push_str(" admin");
            }
            if row.test_account {
                flags.push_str(" test");
            }
            GridRow {
                key: &row.participant,
                label: format!("{}{flags}", row.participant),
                title: format!(
                    "{}{flags}: {} done, {} due, {} missing ({} logged without data)",
                    row.participant,
                    row.completed,
                    row.expected,
                    row.missing.len(),
                    row.no_data
                ),
                cells: row
                    .cells
                    .iter()
                    .map(|cell| match cell {
                        CellState::Done => "done",
                        CellState::Duplicate => "duplicate",
                        CellState::NoData => "no_data",
                        CellState::Missing => "missing",
                        CellState::NotDue => "not_due",
                    })
                    .collect(),
            }
        })
        .collect();
    grid(
        h,
        "heatmap",
        "participants by schedule",
        "participant",
        &client.slots,
        &rows,
    );
}

/// Horizontal bars of rates in 0..=1, one per label.
fn bar_chart(h: &mut String, id: &str, bars: &[(String, Option<f64>, String)]) {
    let (left, bar_w, row_h) = (220usize, 300.0f64, 18usize);
    let width = left + bar_w as usize + 260;
    let height = bars.len() * row_h + 6;
    let _ = writeln!(
        h,
        "<svg class=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\">"
    );
    for (i, (label, rate, note)) in bars.iter().enumerate() {
        let y = i * row_h + 2;
        let r = rate.unwrap_or(0.0).clamp(0.0, 1.0);
        let class = match rate {
            Some(x) if *x >= 0.1 => "bar",
            Some(x) if *x > 0.0 => "bar low",
            _ => "bar zero",
        };
        let shown = rate.map_or_else(|| "-".into(), |x| format!("{:.1}%", x * 100.0));
        let _ = writeln!(
            h,
            "<g><title>{}: {}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"{class}\" x=\"{left}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{}\">{shown} ({})</text></g>",
            esc(label),
            esc(note),
            left - 6,
            y + 12,
            esc(label),
            (r * bar_w).max(1.0),
            row_h - 4,
            left as f64 + r * bar_w + 6.0,
            y + 12,
            esc(note)
        );
    }
    h.push_str("</svg>\n");
}

fn out_of_range(h: &mut String, status: &StatusReport) {
    h.push_str("<h2>Values out of range</h2>\n");
    let total: usize = status.tables.iter().map(|t| t.out_of_range_cells).sum();
    if total == 0 {
        h.push_str(
            "<p class=\"note\">none (\"prefer not to answer\" codes are not out of range)</p>\n",
        );
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"note\">{total} values outside the valid range; \"prefer not to answer\" codes are counted apart.</p>\
         <table id=\"out-of-range\"><tr><th>table</th><th>row</th><th>id</th><th>column</th><th>value</th><th>valid</th></tr>"
    );
    for v in status.tables.iter().flat_map(|t| &t.out_of_range) {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.table),
            v.row,
            esc(v.id.as_deref().unwrap_or("")),
            esc(&v.column),
            esc(&v.value),
            esc(&v.range)
        );
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::StatusOptions;

    #[test]
    fn a_column_empty_in_every_row_is_named_once_not_drawn() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("OA.csv");
        std::fs::write(
            &path,
            "id,participant,participantRSA,tag,anxious_freq\n1,,7,,2\n2,,8,,\n",
        )
        .unwrap();
        let status = StatusReport::for_file("OA", &path, &StatusOptions::default()).unwrap();
        let html = HtmlReport {
            title: "t",
            generated: "now",
            scale: None,
            client: None,
            status: Some(&status),
        }
        .render();
        assert!(
            html.contains("unused (empty in every row): participant, tag"),
            "{html}"
        );
        // Only the real gap (one of two anxious_freq cells) is drawn.
        assert!(html.contains("1 of 2 empty"), "{html}");
        assert!(!html.contains("2 of 2 empty"), "{html}");
    }
}
