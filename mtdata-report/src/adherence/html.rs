//! The adherence report as one self-contained HTML page: a heatmap of users by day (the pieces of
//! the MindTrails page: [`crate::html::grid`] and its legend and page frame), then the table per
//! user and activity.

use std::fmt::Write as _;

use super::AdherenceReport;
use super::counts::{Counts, DayState};
use crate::html::{GridRow, esc, grid, legend, page_end, page_start};
use crate::text::percent;

/// The page of an adherence report.
#[derive(Debug, Clone, Copy)]
pub struct AdherenceHtml<'a> {
    pub report: &'a AdherenceReport,
    /// When the report was made, as text.
    pub generated: &'a str,
}

/// Colours of the day states, shared by the cells and the legend.
const STATES: [(DayState, &str, &str); 6] = [
    (DayState::AllOnTime, "#2e7d32", "all on time"),
    (DayState::AllDoneSomeLate, "#1565c0", "all done, some late"),
    (DayState::PartlyMissed, "#f9a825", "some missed"),
    (DayState::AllMissed, "#c62828", "all missed"),
    (DayState::Open, "#90a4ae", "still open at the cut-off"),
    (DayState::NoneDue, "#e6e6e6", "nothing due"),
];

fn summary(c: &Counts) -> String {
    format!(
        "{} due: {} on time, {} late, {} missed, {} pending; {} not due",
        c.due, c.on_time, c.late, c.missed, c.pending, c.unscheduled
    )
}

impl AdherenceHtml<'_> {
    /// The page.
    pub fn render(&self) -> String {
        let r = self.report;
        let mut style = String::new();
        for (state, color, _) in STATES {
            let _ = write!(style, ".{}{{fill:{color}}}", state.class());
        }
        let mut h = String::with_capacity(1 << 16);
        page_start(&mut h, "Adherence report", &r.study, self.generated, &style);
        let _ = writeln!(
            h,
            "<p class=\"note\">{}</p>\n<p id=\"totals\">{}; adherence {}, on time {}</p>",
            esc(&r.rules_line()).replace('\n', "<br>"),
            esc(&summary(&r.totals)),
            percent(r.totals.adherence()),
            percent(r.totals.on_time_rate())
        );
        for w in &r.warnings {
            let _ = writeln!(h, "<p class=\"note\">warning: {}</p>", esc(w));
        }
        h.push_str("<h2>Users × days</h2>\n");
        let entries: Vec<(&str, &str)> = STATES.iter().map(|(_, c, t)| (*c, *t)).collect();
        legend(&mut h, &entries);
        let users = r.per_user();
        let rows: Vec<GridRow> = users
            .iter()
            .map(|u| GridRow {
                key: &u.user_id,
                label: u.user.clone(),
                title: format!(
                    "{}: {}; adherence {}",
                    u.user,
                    summary(&u.total),
                    percent(u.total.adherence())
                ),
                cells: u.days.iter().map(|c| DayState::of(c).class()).collect(),
            })
            .collect();
        let columns: Vec<String> = r.dates().iter().map(ToString::to_string).collect();
        grid(&mut h, "heatmap", "users by day", "user", &columns, &rows);
        h.push_str(
            "<h2>Per user and activity</h2>\n<table id=\"adherence\"><tr><th>activity set</th><th>user</th>\
             <th>activity</th><th>due</th><th>on time</th><th>late</th><th>missed</th><th>pending</th>\
             <th>not due</th><th>reminded</th><th>adherence</th></tr>\n",
        );
        for row in &r.rows {
            let c = &row.counts;
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&row.activity_set),
                esc(&row.user),
                esc(&row.activity),
                c.due,
                c.on_time,
                c.late,
                c.missed,
                c.pending,
                c.unscheduled,
                c.reminded,
                percent(c.adherence())
            );
        }
        h.push_str("</table>\n");
        page_end(&mut h);
        h
    }
}
