//! The matching core: one user's completions of one activity against that activity's due
//! occurrences, as plain instants (seconds since the Unix epoch) so the schedule of an activity is
//! converted once and shared by every user. The rules are in the module docs of
//! [`crate::adherence`]; [`classify`] is their one implementation (the benchmark's baseline is a
//! deliberately naive second one that must agree with it).

/// One due occurrence, ready for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Slot {
    /// When it becomes due: the scheduled time, or the start of a random window.
    pub(crate) start: i64,
    /// The end of the on-time window (exclusive): the scheduled time or the end of the random
    /// window, plus the grace period.
    pub(crate) on_time_end: i64,
    /// The end of its span (exclusive): the next occurrence's start, or `on_time_end` plus the late
    /// limit, whichever comes first.
    pub(crate) span_end: i64,
    /// The local date, as days since the report's first day.
    pub(crate) day: u32,
}

/// What became of one occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotState {
    /// Starts after the cut-off: not counted.
    NotDue,
    OnTime,
    Late,
    Missed,
    /// Due, not completed, and its span is still open at the cut-off.
    Pending,
}

/// Turn occurrences (start, end of the scheduled time or window, day) into slots: sorted by start
/// then by deadline, identical ones merged (two notifications at the same instant are one prompt),
/// spans cut at the next distinct start.
pub(crate) fn slots(mut due: Vec<(i64, i64, u32)>, grace: i64, late_limit: i64) -> Vec<Slot> {
    due.sort_unstable();
    due.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
    let mut out: Vec<Slot> = due
        .iter()
        .map(|&(start, end, day)| Slot {
            start,
            on_time_end: end.saturating_add(grace),
            span_end: end.saturating_add(grace).saturating_add(late_limit),
            day,
        })
        .collect();
    // Cut each span at the next distinct start (slots sharing a start share that bound).
    let mut next_start = i64::MAX;
    let mut i = out.len();
    while i > 0 {
        let start = out[i - 1].start;
        let mut j = i;
        while j > 0 && out[j - 1].start == start {
            j -= 1;
            out[j].span_end = out[j].span_end.min(next_start);
        }
        next_start = start;
        i = j;
    }
    out
}

/// Reusable buffers, so classifying millions of (user, activity) pairs allocates nothing each.
#[derive(Debug, Default)]
pub(crate) struct Matcher {
    pub(crate) states: Vec<SlotState>,
    /// Per completion: the slot it satisfied, if any.
    pub(crate) taken_by: Vec<Option<u32>>,
}

impl Matcher {
    /// Match `completions` (sorted) against `slots` (from [`slots`]) as of `cut_off`. Afterwards
    /// `states[k]` is slot `k`'s state and `taken_by[c]` the slot completion `c` satisfied (`None`:
    /// completed without being due).
    pub(crate) fn run(&mut self, slots: &[Slot], completions: &[i64], cut_off: i64) {
        debug_assert!(completions.is_sorted());
        self.states.clear();
        self.states.resize(slots.len(), SlotState::NotDue);
        self.taken_by.clear();
        self.taken_by.resize(completions.len(), None);
        // `first`: the earliest completion not before the current slot's start. Spans never
        // overlap across distinct starts, so it only moves forward.
        let mut first = 0;
        for (k, slot) in slots.iter().enumerate() {
            if slot.start > cut_off {
                break;
            }
            while first < completions.len() && completions[first] < slot.start {
                first += 1;
            }
            let mut state = if cut_off < slot.span_end {
                SlotState::Pending
            } else {
                SlotState::Missed
            };
            let mut c = first;
            while c < completions.len() && completions[c] < slot.span_end {
                if self.taken_by[c].is_none() {
                    self.taken_by[c] = Some(u32::try_from(k).unwrap_or(u32::MAX));
                    state = if completions[c] < slot.on_time_end {
                        SlotState::OnTime
                    } else {
                        SlotState::Late
                    };
                    break;
                }
                c += 1;
            }
            self.states[k] = state;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    fn run(
        due: &[(i64, i64)],
        completions: &[i64],
        cut_off: i64,
    ) -> (Vec<SlotState>, Vec<Option<u32>>) {
        let slots = slots(due.iter().map(|&(s, e)| (s, e, 0)).collect(), H, 24 * H);
        let mut m = Matcher::default();
        m.run(&slots, completions, cut_off);
        (m.states, m.taken_by)
    }

    use SlotState::{Late, Missed, NotDue, OnTime, Pending};

    #[test]
    fn on_time_late_missed_and_extra() {
        // Due at 9:00 and 15:00 (hours from the epoch, so to speak).
        let (states, taken) = run(
            &[(9 * H, 9 * H), (15 * H, 15 * H)],
            &[14 * H, 15 * H + 1800, 15 * H + 1900],
            100 * H,
        );
        assert_eq!(states, [Late, OnTime]);
        assert_eq!(taken, [Some(0), Some(1), None]);
        let (states, taken) = run(&[(9 * H, 9 * H), (15 * H, 15 * H)], &[15 * H + 60], 100 * H);
        assert_eq!(states, [Missed, OnTime]);
        assert_eq!(taken, [Some(1)]);
    }

    #[test]
    fn a_completion_before_the_first_start_or_after_the_late_limit_is_not_due() {
        // Weekly: the next start is far away, so the late limit ends the span.
        let (states, taken) = run(
            &[(10 * H, 10 * H)],
            &[9 * H, 10 * H + 2 * H, 10 * H + 30 * H],
            200 * H,
        );
        assert_eq!(states, [Late]);
        assert_eq!(taken, [None, Some(0), None]);
    }

    #[test]
    fn random_window_is_on_time_until_its_end_plus_grace() {
        let (states, _) = run(&[(9 * H, 12 * H)], &[12 * H + 59 * 60], 100 * H);
        assert_eq!(states, [OnTime]);
        let (states, _) = run(&[(9 * H, 12 * H)], &[13 * H], 100 * H);
        assert_eq!(states, [Late]);
    }

    #[test]
    fn one_completion_never_satisfies_two_occurrences() {
        // Two different prompts starting at the same instant share a span: one completion
        // satisfies the one with the earlier deadline, the second stays missed.
        let (states, taken) = run(&[(9 * H, 9 * H), (9 * H, 11 * H)], &[9 * H + 60], 100 * H);
        assert_eq!(states, [OnTime, Missed]);
        assert_eq!(taken, [Some(0)]);
        let (states, taken) = run(
            &[(9 * H, 9 * H), (9 * H, 11 * H)],
            &[9 * H + 60, 10 * H],
            100 * H,
        );
        assert_eq!(states, [OnTime, OnTime]);
        assert_eq!(taken, [Some(0), Some(1)]);
        // Identical occurrences are one prompt.
        let (states, _) = run(&[(9 * H, 9 * H), (9 * H, 9 * H)], &[], 100 * H);
        assert_eq!(states, [Missed]);
    }

    #[test]
    fn cut_off_makes_open_occurrences_pending_and_later_ones_not_due() {
        let (states, _) = run(&[(9 * H, 9 * H), (33 * H, 33 * H)], &[], 20 * H);
        assert_eq!(states, [Pending, NotDue]);
    }

    proptest::proptest! {
        /// The matcher against the rules done naively from the raw occurrences: the same state for
        /// every occurrence, the same completion taken, and no completion taken twice.
        #[test]
        fn matcher_agrees_with_the_rules_done_naively(
            raw in proptest::collection::vec((0i64..200, 0i64..5), 0..20),
            mut completions in proptest::collection::vec(0i64..300, 0..30),
            cut_off in 0i64..400,
        ) {
            let (grace, late) = (30 * 60, 120 * 60);
            let mut due: Vec<(i64, i64, u32)> =
                raw.iter().map(|&(s, len)| (s * 60, (s + len) * 60, 0)).collect();
            completions.iter_mut().for_each(|c| *c *= 60);
            completions.sort_unstable();
            let cut_off = cut_off * 60;
            let built = slots(due.clone(), grace, late);
            let mut m = Matcher::default();
            m.run(&built, &completions, cut_off);

            due.sort_unstable();
            due.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
            proptest::prop_assert_eq!(built.len(), due.len());
            let mut taken: Vec<Option<u32>> = vec![None; completions.len()];
            for (k, &(start, end, _)) in due.iter().enumerate() {
                let next = due.iter().map(|o| o.0).filter(|&s| s > start).min().unwrap_or(i64::MAX);
                let span_end = (end + grace + late).min(next);
                proptest::prop_assert_eq!(built[k].span_end, span_end);
                if start > cut_off {
                    proptest::prop_assert_eq!(m.states[k], SlotState::NotDue);
                    continue;
                }
                let found = (0..completions.len())
                    .find(|&i| taken[i].is_none() && completions[i] >= start && completions[i] < span_end);
                let expected = match found {
                    Some(i) => {
                        taken[i] = Some(u32::try_from(k).unwrap());
                        if completions[i] < end + grace { SlotState::OnTime } else { SlotState::Late }
                    }
                    None if cut_off < span_end => SlotState::Pending,
                    None => SlotState::Missed,
                };
                proptest::prop_assert_eq!(m.states[k], expected);
            }
            proptest::prop_assert_eq!(&m.taken_by, &taken);
            let done = m.states.iter().filter(|s| matches!(s, SlotState::OnTime | SlotState::Late)).count();
            proptest::prop_assert_eq!(done, m.taken_by.iter().flatten().count());
        }
    }
}
