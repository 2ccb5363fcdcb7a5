//! The adherence report as terminal tables and CSV.

use std::fmt;

use mtdata_core::csv_cell::CsvCells;

use super::AdherenceReport;
use super::counts::{Counts, DayState};
use crate::error::{Error, Result};
use crate::tables::write_cells;
use crate::text::{TextOptions, TextTable, Tone, percent};

/// The count columns of the terminal tables, after the label columns.
const COUNT_HEADERS: [&str; 9] = [
    "due",
    "on time",
    "late",
    "missed",
    "pending",
    "unsched",
    "reminded",
    "adherence",
    "on time %",
];

fn count_cells(c: &Counts) -> Vec<(String, Tone)> {
    let tone = |bad: bool, tone: Tone| if bad { tone } else { Tone::Plain };
    let adherence = c.adherence();
    vec![
        (c.due.to_string(), Tone::Plain),
        (c.on_time.to_string(), Tone::Plain),
        (c.late.to_string(), tone(c.late > 0, Tone::Warn)),
        (c.missed.to_string(), tone(c.missed > 0, Tone::Bad)),
        (c.pending.to_string(), tone(c.pending > 0, Tone::Dim)),
        (
            c.unscheduled.to_string(),
            tone(c.unscheduled > 0, Tone::Dim),
        ),
        (c.reminded.to_string(), Tone::Plain),
        (
            percent(adherence),
            match adherence {
                Some(r) if r < 0.5 => Tone::Bad,
                Some(r) if r < 0.8 => Tone::Warn,
                Some(_) => Tone::Good,
                None => Tone::Dim,
            },
        ),
        (percent(c.on_time_rate()), Tone::Plain),
    ]
}

fn table(labels: &[&str]) -> TextTable {
    let headers: Vec<&str> = labels.iter().copied().chain(COUNT_HEADERS).collect();
    let right: Vec<bool> = headers
        .iter()
        .enumerate()
        .map(|(i, _)| i >= labels.len())
        .collect();
    TextTable::new(&headers, &right)
}

fn rate_cell(rate: Option<f64>) -> String {
    rate.map(|r| format!("{r:.4}")).unwrap_or_default()
}

impl AdherenceReport {
    /// Draw the report: per user and activity (with a total), then per date, then the rules'
    /// parameters and any warnings.
    pub fn to_text(&self, options: TextOptions) -> String {
        let several_sets = self
            .rows
            .windows(2)
            .any(|w| w[0].activity_set != w[1].activity_set);
        let labels: &[&str] = if several_sets {
            &["activity set", "user", "activity"]
        } else {
            &["user", "activity"]
        };
        let mut t = table(labels);
        for r in &self.rows {
            let mut cells = Vec::new();
            if several_sets {
                cells.push((r.activity_set.clone(), Tone::Plain));
            }
            cells.push((r.user.clone(), Tone::Plain));
            cells.push((r.activity.clone(), Tone::Plain));
            cells.extend(count_cells(&r.counts));
            t.push(cells);
        }
        let mut total = vec![("all".to_owned(), Tone::Plain)];
        total.extend((1..labels.len()).map(|_| (String::new(), Tone::Plain)));
        total.extend(count_cells(&self.totals));
        t.push(total);
        let mut out = t.render(options);
        out.push('\n');
        let mut d = table(&["date"]);
        for (date, c) in self.per_date() {
            if !c.is_empty() {
                let mut cells = vec![(date.to_string(), Tone::Plain)];
                cells.extend(count_cells(&c));
                d.push(cells);
            }
        }
        out.push_str(&d.render(options));
        out.push('\n');
        out.push_str(&self.rules_line());
        out.push('\n');
        for w in &self.warnings {
            out.push_str("warning: ");
            out.push_str(w);
            out.push('\n');
        }
        out
    }

    /// The range, the time zone and the windows, in lines shorter than 80 characters.
    pub fn rules_line(&self) -> String {
        let cut_off = self.cut_off.map_or_else(
            || "none (all settled)".to_owned(),
            |c| c.format("%Y-%m-%d %H:%M UTC").to_string(),
        );
        format!(
            "{} to {}, {}; cut-off {cut_off}\n\
             on time: up to {} min after the due time or window end, after reminders\n\
             late: up to {} h after that; pending: still open at the cut-off",
            self.from, self.to, self.time_zone, self.on_time_minutes, self.late_hours
        )
    }

    /// Write one CSV row per (Activity Set, user, activity), text cells as `cells` says.
    pub fn write_csv(&self, out: impl std::io::Write, cells: CsvCells) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        let err = |e| Error::csv("<output>", e);
        let mut header = vec!["activity_set", "user_id", "user", "activity"];
        header.extend(Counts::default().fields().map(|(name, _)| name));
        header.extend(["adherence", "on_time_rate"]);
        w.write_record(&header).map_err(err)?;
        for r in &self.rows {
            let counts = r.counts.fields().map(|(_, v)| v.to_string());
            let rates = [
                rate_cell(r.counts.adherence()),
                rate_cell(r.counts.on_time_rate()),
            ];
            let record = [r.activity_set.as_str(), &r.user_id, &r.user, &r.activity]
                .into_iter()
                .chain(counts.iter().map(String::as_str))
                .chain(rates.iter().map(String::as_str));
            write_cells(&mut w, cells, record).map_err(err)?;
        }
        w.flush()
            .map_err(|e| Error::io("cannot write", "<output>", e))
    }

    /// Write one CSV row per (Activity Set, user, activity, date) with something due or completed,
    /// and the day's state (the heatmap colour of that activity alone).
    pub fn write_days_csv(&self, out: impl std::io::Write, cells: CsvCells) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        let err = |e| Error::csv("<output>", e);
        let mut header = vec!["activity_set", "user_id", "user", "activity", "date"];
        header.extend(Counts::default().fields().map(|(name, _)| name));
        header.push("state");
        w.write_record(&header).map_err(err)?;
        for cell in &self.days {
            let r = &self.rows[cell.row as usize];
            let date = self.date(cell).to_string();
            let counts = cell.counts.fields().map(|(_, v)| v.to_string());
            let record = [
                r.activity_set.as_str(),
                &r.user_id,
                &r.user,
                &r.activity,
                &date,
            ]
            .into_iter()
            .chain(counts.iter().map(String::as_str))
            .chain([DayState::of(&cell.counts).class()]);
            write_cells(&mut w, cells, record).map_err(err)?;
        }
        w.flush()
            .map_err(|e| Error::io("cannot write", "<output>", e))
    }
}

impl fmt::Display for AdherenceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text(TextOptions {
            width: None,
            color: false,
        }))
    }
}
