//! The counts of one (user, activity), day or total, and the rates drawn from them.

use serde::Serialize;

/// Occurrences by outcome, and completions that were not due. `due` = `on_time` + `late` +
/// `missed` + `pending`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Occurrences that started by the cut-off.
    pub due: u32,
    /// Satisfied by a completion inside the on-time window.
    pub on_time: u32,
    /// Satisfied by a completion after the on-time window, inside the late limit.
    pub late: u32,
    /// Not satisfied, and the late limit has passed.
    pub missed: u32,
    /// Not satisfied yet, the late limit still open at the cut-off.
    pub pending: u32,
    /// Completions that satisfied no occurrence (nothing due, or a second completion of one prompt).
    pub unscheduled: u32,
    /// Completions satisfying an occurrence whose record says a reminder was sent before.
    pub reminded: u32,
}

impl Counts {
    /// Add `other` to these counts.
    pub fn add(&mut self, other: &Counts) {
        self.due += other.due;
        self.on_time += other.on_time;
        self.late += other.late;
        self.missed += other.missed;
        self.pending += other.pending;
        self.unscheduled += other.unscheduled;
        self.reminded += other.reminded;
    }

    /// The counts with their names, in the order of the struct (CSV columns, JSON keys).
    pub fn fields(&self) -> [(&'static str, u32); 7] {
        [
            ("due", self.due),
            ("on_time", self.on_time),
            ("late", self.late),
            ("missed", self.missed),
            ("pending", self.pending),
            ("unscheduled", self.unscheduled),
            ("reminded", self.reminded),
        ]
    }

    /// Occurrences satisfied, on time or late.
    pub fn completed(&self) -> u32 {
        self.on_time + self.late
    }

    /// Occurrences whose outcome is settled (pending ones left out).
    pub fn settled(&self) -> u32 {
        self.on_time + self.late + self.missed
    }

    /// Completed / settled occurrences; `None` when none is settled.
    pub fn adherence(&self) -> Option<f64> {
        rate(self.completed(), self.settled())
    }

    /// Completed on time / settled occurrences; `None` when none is settled.
    pub fn on_time_rate(&self) -> Option<f64> {
        rate(self.on_time, self.settled())
    }

    /// True when nothing happened: nothing due and no completion.
    pub fn is_empty(&self) -> bool {
        self.due == 0 && self.unscheduled == 0
    }
}

fn rate(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

/// The colour class of a day in the heatmap: what became of the occurrences due that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayState {
    /// Nothing due (there may be completions that were not due).
    NoneDue,
    /// Every occurrence completed on time.
    AllOnTime,
    /// Every occurrence completed, some late.
    AllDoneSomeLate,
    /// Some completed, some missed.
    PartlyMissed,
    /// None completed, all missed.
    AllMissed,
    /// Some still pending at the cut-off, none missed.
    Open,
}

impl DayState {
    /// The state of a day with these counts.
    pub fn of(c: &Counts) -> DayState {
        if c.due == 0 {
            DayState::NoneDue
        } else if c.missed == 0 && c.pending > 0 {
            DayState::Open
        } else if c.missed == 0 && c.late == 0 {
            DayState::AllOnTime
        } else if c.missed == 0 {
            DayState::AllDoneSomeLate
        } else if c.completed() > 0 {
            DayState::PartlyMissed
        } else {
            DayState::AllMissed
        }
    }

    /// The CSS class (and CSV value).
    pub fn class(self) -> &'static str {
        match self {
            DayState::NoneDue => "none_due",
            DayState::AllOnTime => "all_on_time",
            DayState::AllDoneSomeLate => "some_late",
            DayState::PartlyMissed => "partly_missed",
            DayState::AllMissed => "all_missed",
            DayState::Open => "open",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_leave_pending_occurrences_out() {
        let c = Counts {
            due: 5,
            on_time: 2,
            late: 1,
            missed: 1,
            pending: 1,
            unscheduled: 3,
            reminded: 0,
        };
        assert_eq!(c.adherence(), Some(0.75));
        assert_eq!(c.on_time_rate(), Some(0.5));
        assert_eq!(DayState::of(&c), DayState::PartlyMissed);
        assert_eq!(Counts::default().adherence(), None);
        assert_eq!(DayState::of(&Counts::default()), DayState::NoneDue);
    }
}
