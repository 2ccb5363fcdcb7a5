//! What happens in one cycle, drawn from a seeded generator: faults on the simulator, a SIGKILL, a full
//! disk; and the tally of what was drawn and what fired.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use mtdata_sim::mindtrails::{Fault, FaultAction, RequestRecord};

/// SplitMix64: small, seedable, good enough to pick faults.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// The kinds of trouble a cycle can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// 500, 502 or 503 on a table or on the table list, once or until the retries run out.
    ServerError,
    /// The connection closes before any answer.
    ResetBeforeResponse,
    /// The connection closes part way through the body.
    ResetMidBody,
    /// `Content-Length` announces more than is sent.
    TruncatedBody,
    /// The body trickles, each pause shorter than TIMEOUT.
    ShortStall,
    /// The body stops for longer than TIMEOUT.
    LongStall,
    /// DELETE answers 404 while the row stays (a missing or misrouted delete route).
    Delete404,
    /// DELETE answers 500 until the retries run out.
    DeleteFails,
    /// DELETE answers 200 and deletes nothing.
    DeleteIgnored,
    /// The export runs with a file size limit (`ulimit -f`): writes past it fail with EFBIG.
    FullDisk,
    /// The export is SIGKILLed at a random moment.
    Kill,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Kind::ServerError => "5xx",
            Kind::ResetBeforeResponse => "connection reset before the answer",
            Kind::ResetMidBody => "connection reset mid-body",
            Kind::TruncatedBody => "truncated body",
            Kind::ShortStall => "stall shorter than TIMEOUT",
            Kind::LongStall => "stall longer than TIMEOUT",
            Kind::Delete404 => "DELETE answers 404, row stays",
            Kind::DeleteFails => "DELETE answers 500",
            Kind::DeleteIgnored => "DELETE answers 200, row stays",
            Kind::FullDisk => "full disk (ulimit -f)",
            Kind::Kill => "SIGKILL",
        };
        f.write_str(name)
    }
}

/// The network and delete faults, drawn uniformly.
const SERVER_FAULTS: [Kind; 9] = [
    Kind::ServerError,
    Kind::ResetBeforeResponse,
    Kind::ResetMidBody,
    Kind::TruncatedBody,
    Kind::ShortStall,
    Kind::LongStall,
    Kind::Delete404,
    Kind::DeleteFails,
    Kind::DeleteIgnored,
];

/// TIMEOUT of the config, in seconds; the stalls are drawn around it.
pub const TIMEOUT_SECS: u64 = 1;

/// One cycle's trouble.
#[derive(Debug, Default)]
pub struct CyclePlan {
    pub faults: Vec<(Kind, Fault)>,
    /// `ulimit -f` in 512-byte blocks.
    pub file_blocks: Option<u32>,
    /// Kill after this long (if still running).
    pub kill_after: Option<Duration>,
}

impl CyclePlan {
    /// Draws a cycle: about half the cycles meet a server fault (a tenth two), one in eight a kill, one in
    /// sixteen a full disk. `tables` are the tables exported, `deleting` those that receive rows to delete.
    pub fn draw(
        rng: &mut Rng,
        tables: &[String],
        deleting: &[String],
        kill_window: Duration,
    ) -> Self {
        let mut plan = CyclePlan::default();
        let faults = usize::from(rng.chance(50)) + usize::from(rng.chance(10));
        for _ in 0..faults {
            let kind = *rng.pick(&SERVER_FAULTS);
            let fault = server_fault(rng, kind, tables, deleting);
            plan.faults.push((kind, fault));
        }
        if rng.chance(6) {
            // 512 bytes to 8 KiB: small answers fit, larger ones and sometimes the marks do not.
            plan.file_blocks = Some(rng.between(1, 16) as u32);
        }
        if rng.chance(12) {
            let window = kill_window.as_micros().max(1) as u64;
            plan.kill_after = Some(Duration::from_micros(rng.next() % window));
        }
        plan
    }

    pub fn is_clean(&self) -> bool {
        self.faults.is_empty() && self.file_blocks.is_none() && self.kill_after.is_none()
    }
}

fn server_fault(rng: &mut Rng, kind: Kind, tables: &[String], deleting: &[String]) -> Fault {
    let table = rng.pick(tables).clone();
    let deleted_table = rng.pick(deleting).clone();
    let times = |rng: &mut Rng, low, high| rng.between(low, high) as usize;
    match kind {
        Kind::ServerError => {
            let status = *rng.pick(&[500, 502, 503]);
            let fault = Fault::status(status).on_method("GET");
            // Up to 5 in a row: past the 4 tries, the table (or the whole run) fails.
            let fault = match rng.chance(20) {
                true => fault.on_path("/api/export"),
                false => fault.on_table(&table),
            };
            fault.times(times(rng, 1, 5))
        }
        Kind::ResetBeforeResponse => Fault::reset_before_response()
            .on_table(&table)
            .times(times(rng, 1, 2)),
        Kind::ResetMidBody => Fault::reset_after_body_bytes(rng.between(1, 400) as usize)
            .on_table(&table)
            .times(1),
        Kind::TruncatedBody => Fault::truncated_body(rng.between(1, 100) as usize)
            .on_table(&table)
            .times(1),
        Kind::ShortStall => {
            let delay = Duration::from_millis(rng.between(50, TIMEOUT_SECS * 1000 / 3));
            Fault::slow_body(rng.between(64, 512) as usize, delay)
                .on_table(&table)
                .times(1)
        }
        Kind::LongStall => {
            let delay = Duration::from_millis(TIMEOUT_SECS * 1000 + rng.between(300, 800));
            Fault::slow_body(rng.between(16, 256) as usize, delay)
                .on_table(&table)
                .times(1)
        }
        Kind::Delete404 => Fault::status(404)
            .on_method("DELETE")
            .on_table(&deleted_table)
            .times(times(rng, 1, 6)),
        Kind::DeleteFails => Fault::status(500)
            .on_method("DELETE")
            .on_table(&deleted_table)
            .times(times(rng, 4, 8)),
        Kind::DeleteIgnored => Fault::delete_ignored()
            .on_table(&deleted_table)
            .times(times(rng, 1, 6)),
        Kind::FullDisk | Kind::Kill => unreachable!("not a server fault"),
    }
}

/// The kind of fault a request met, from the simulator's request log.
pub fn fired_kind(record: &RequestRecord) -> Option<Kind> {
    let delete = record.method == "DELETE";
    Some(match record.fault.as_ref()? {
        FaultAction::Status(404) if delete => Kind::Delete404,
        FaultAction::Status(_) if delete => Kind::DeleteFails,
        FaultAction::Status(_) => Kind::ServerError,
        FaultAction::ResetBeforeResponse => Kind::ResetBeforeResponse,
        FaultAction::ResetAfterBodyBytes(_) => Kind::ResetMidBody,
        FaultAction::TruncatedBody(_) => Kind::TruncatedBody,
        FaultAction::SlowBody { delay, .. } if delay.as_secs() >= TIMEOUT_SECS => Kind::LongStall,
        FaultAction::SlowBody { .. } => Kind::ShortStall,
        FaultAction::DeleteIgnored => Kind::DeleteIgnored,
        // The soak draws no redirects (the security tests cover them).
        FaultAction::Redirect { .. } => return None,
    })
}

/// What the soak drew and saw, for its report.
#[derive(Debug, Default)]
pub struct Tally {
    pub cycles: u64,
    /// Cycles with trouble drawn, by kind.
    pub drawn: BTreeMap<Kind, u64>,
    /// Requests that met a fault, by kind (kills: exports killed while running; full disk: runs that hit
    /// the limit, that is failed).
    pub fired: BTreeMap<Kind, u64>,
    /// Exit statuses of the exports not killed.
    pub exits: BTreeMap<i32, u64>,
    pub decodes: u64,
    pub clock_jumps: u64,
    pub shape_changes: u64,
}

impl Tally {
    pub fn add(map: &mut BTreeMap<Kind, u64>, kind: Kind) {
        *map.entry(kind).or_default() += 1;
    }
}
