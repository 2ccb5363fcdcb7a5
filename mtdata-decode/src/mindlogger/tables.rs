//! Rendering the decoded submissions: `responses.csv`, `activity_user_journey.csv`, `wide/<activity>.csv`.
//! Blocks of submissions are rendered on all cores and kept in order.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use mtdata_core::csv_cell::CsvCells;
use mtdata_core::decoded::mindlogger::{
    JourneyColumn, ResponseColumn, WIDE_SUBMISSION_COLUMNS, option_column, score_column,
    text_column,
};
use mtdata_crypto::mindlogger::{AnswerStatus, KeyRing};
use rayon::prelude::*;
use serde_json::Value;
use serde_json::value::RawValue;

use super::activity::ItemDef;
use super::decrypt::{Decoded, Event, Opened, decrypt_events, event_text, parse_opened};
use super::format::{AnswerContext, format_response, js_number, js_string, selected_score};
use super::pages::{Position, Submission};

/// A submission and what decrypting it gave.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub submission: &'a Submission,
    pub decoded: &'a Decoded,
}

/// Submissions per rendering block: large enough to keep the threads busy, small enough to balance.
const BLOCK: usize = 256;

/// CSV rows, as the blocks they were rendered in, and their row count (no header: [`header_line`]).
pub(crate) struct Rendered {
    pub blocks: Vec<Vec<u8>>,
    pub rows: u64,
}

/// A table's header line.
pub(crate) fn header_line<S: AsRef<str>>(header: &[S], cells: CsvCells) -> Vec<u8> {
    let mut line = Vec::new();
    push_record(&mut line, header, cells);
    line
}

fn render_blocks<F>(entries: &[Entry<'_>], render: F) -> Rendered
where
    F: Fn(&Entry<'_>, &mut Vec<u8>) -> u64 + Sync,
{
    render_blocks_with(entries, |entry, out| (render(entry, out), ())).0
}

/// [`render_blocks`] whose rendering also gives something per entry (in entry order).
fn render_blocks_with<F, R>(entries: &[Entry<'_>], render: F) -> (Rendered, Vec<R>)
where
    F: Fn(&Entry<'_>, &mut Vec<u8>) -> (u64, R) + Sync,
    R: Send,
{
    let rendered: Vec<(Vec<u8>, u64, Vec<R>)> = entries
        .par_chunks(BLOCK)
        .map(|block| {
            let mut out = Vec::with_capacity(block.len() * 4096);
            let mut rows = 0;
            let mut extra = Vec::with_capacity(block.len());
            for entry in block {
                let (n, r) = render(entry, &mut out);
                rows += n;
                extra.push(r);
            }
            (out, rows, extra)
        })
        .collect();
    let rows = rendered.iter().map(|(_, rows, _)| rows).sum();
    let mut blocks = Vec::with_capacity(rendered.len());
    let mut extras = Vec::with_capacity(entries.len());
    for (block, _, extra) in rendered {
        blocks.push(block);
        extras.extend(extra);
    }
    (Rendered { blocks, rows }, extras)
}

/// One CSV field as the `csv` crate writes it by default (RFC 4180): quoted when it holds a comma, a quote
/// or a line break, quotes doubled; a cell a spreadsheet would run as a formula made text as `cells` says
/// (`mtdata_core::csv_cell`, the one rule of every CSV mtdata writes). Written by hand so a submission's
/// identity is escaped once for all of its rows (the rows repeat it, and rendering them was most of the
/// decode).
fn push_field(out: &mut Vec<u8>, field: &str, cells: CsvCells) {
    let cell = cells.cell_bytes(field.as_bytes());
    let bytes: &[u8] = &cell;
    if !bytes
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    for &b in bytes {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Fields after a prefix that already holds some: each preceded by a comma.
fn push_fields<S: AsRef<str>>(out: &mut Vec<u8>, fields: &[S], cells: CsvCells) {
    for field in fields {
        out.push(b',');
        push_field(out, field.as_ref(), cells);
    }
}

/// A whole record, line end included.
fn push_record<S: AsRef<str>>(out: &mut Vec<u8>, fields: &[S], cells: CsvCells) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_field(out, field.as_ref(), cells);
    }
    out.push(b'\n');
}

// The four cells of [`item_head`] are the ones between `item_id` and `item_response` in both tables.
const _: () = assert!(ResponseColumn::ItemResponse as usize - ResponseColumn::ItemId as usize == 4);
const _: () = assert!(JourneyColumn::ItemResponse as usize - JourneyColumn::ItemId as usize == 4);

/// `,item_id,item_name,item_prompt,item_response_options` of `item`, escaped once per decode.
fn item_head(item: &ItemDef, cells: CsvCells) -> Cow<'_, [u8]> {
    let render = || {
        let mut head = Vec::new();
        let fields = [&item.id, &item.name, &item.prompt, &item.options_text];
        push_fields(&mut head, &fields, cells);
        head
    };
    match item.escaped_head.get_or_init(|| (cells, render())) {
        (escaped_with, head) if *escaped_with == cells => Cow::Borrowed(head),
        _ => Cow::Owned(render()),
    }
}

/// The escaped identity cells of a submission, in the order of `columns`, without a trailing comma.
fn identity_prefix(
    submission: &Submission,
    columns: impl Iterator<Item = usize>,
    cells: CsvCells,
) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(512);
    for (i, column) in columns.enumerate() {
        if i > 0 {
            prefix.push(b',');
        }
        push_field(&mut prefix, &submission.identity[column], cells);
    }
    prefix
}

/// The answer of a slot, when the submission's answers were opened and the item was answered.
fn slot_answer<'a>(entry: &Entry<'a>, position: &'a Position) -> Option<&'a Value> {
    if !entry.decoded.answers.usable() {
        return None;
    }
    let value = match position {
        Position::Index(index) => entry.decoded.answers.values.get(*index)?,
        Position::Inline(value) => value,
    };
    (!value.is_null()).then_some(value)
}

/// The admin's `item_response_status`: the submission's flag, and `incomplete` for an A/B trails item
/// that did not reach its last point.
fn item_status(submission: &Submission, item: &ItemDef, answer: Option<&Value>) -> &'static str {
    if item.response_type == "ABTrails" && submission.flag == "completed" {
        let value = answer.and_then(|a| a.get("value"));
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return "incomplete";
        };
        let maximum = value
            .get("maximumIndex")
            .filter(|m| m.as_f64().is_some_and(|m| m != 0.0));
        if maximum.is_some_and(|m| Some(m) != value.get("currentIndex")) {
            return "incomplete";
        }
    }
    submission.flag
}

fn context<'a>(submission: &'a Submission, item: &'a ItemDef, index: usize) -> AnswerContext<'a> {
    AnswerContext {
        response_type: &item.response_type,
        item_name: &item.name,
        response_values: &item.values,
        answer_id: &submission.id,
        target_secret_id: submission.cell(ResponseColumn::TargetSecretId),
        index,
        zero_based_months: submission.zero_based_months,
    }
}

/// `responses.csv`: per submission, one row per visible answered item (all visible items, with an empty
/// `item_response`, when the answers did not open).
pub(crate) fn render_responses(entries: &[Entry<'_>], cells: CsvCells) -> Rendered {
    render_blocks(entries, |entry, out| {
        let submission = entry.submission;
        let opened = entry.decoded.answers.usable();
        let status = entry.decoded.answers.status.as_str();
        let prefix = identity_prefix(submission, 0..ResponseColumn::ItemId as usize, cells);
        let mut rows = 0;
        let visible = submission.slots.iter().filter(|slot| !slot.item.hidden);
        for (index, slot) in visible.enumerate() {
            let item = &slot.item;
            let answer = slot_answer(entry, &slot.position);
            if opened && answer.is_none() {
                continue;
            }
            let response = answer.map_or(String::new(), |a| {
                format_response(&context(submission, item, index), a)
            });
            let score = answer
                .and_then(|a| selected_score(&item.response_type, &item.values, a))
                .map_or(String::new(), js_number);
            // The columns from `item_response` on, in header order.
            let row: [&str; 6] = [
                &response,
                item_status(submission, item, answer),
                &item.response_type,
                &item.raw_score,
                &score,
                status,
            ];
            out.extend_from_slice(&prefix);
            out.extend_from_slice(&item_head(item, cells));
            push_fields(out, &row, cells);
            out.push(b'\n');
            rows += 1;
        }
        rows
    })
}

/// The response column holding the same identity as a journey column (`user_id` is `userId`).
fn journey_identity(column: JourneyColumn) -> Option<ResponseColumn> {
    let name = match column {
        JourneyColumn::UserId => "userId",
        other => other.name(),
    };
    ResponseColumn::ALL
        .into_iter()
        .take(ResponseColumn::ItemId as usize)
        .find(|c| c.name() == name)
}

/// What opening a submission's events gave (`None`: it stored none): its status, and why it has no value.
pub(crate) type EventsOutcome = Option<(AnswerStatus, Option<String>)>;

/// `activity_user_journey.csv`: one row per event, the time in the column of its type. Each submission's
/// events are decrypted and parsed here, block by block, and dropped once their rows are written; their
/// outcomes are returned in entry order.
pub(crate) fn render_journey(
    entries: &[Entry<'_>],
    ring: &KeyRing,
    cells: CsvCells,
) -> (Rendered, Vec<EventsOutcome>) {
    // The journey's identity columns come first and are all identity columns of `responses.csv`.
    let identity: Vec<usize> = JourneyColumn::ALL
        .iter()
        .map_while(|&c| journey_identity(c).map(|r| r as usize))
        .collect();
    debug_assert_eq!(identity.len(), JourneyColumn::ItemId as usize);
    render_blocks_with(entries, |entry, out| {
        let submission = entry.submission;
        let Some(decrypted) = decrypt_events(submission, ring) else {
            return (0, None);
        };
        let events: Opened<Event<'_>> = match &decrypted {
            Ok(outcome) => parse_opened(outcome, "events"),
            Err(failed) => failed.clone(),
        };
        let outcome = Some((events.status, events.reason.clone()));
        let prefix = identity_prefix(submission, identity.iter().copied(), cells);
        let status = events.status.as_str();
        if !events.usable() {
            out.extend_from_slice(&prefix);
            push_fields(out, &[""; EVENT_CELLS], cells);
            push_fields(out, &[status], cells);
            out.push(b'\n');
            return (1, outcome);
        }
        for event in &events.values {
            out.extend_from_slice(&prefix);
            push_journey_event(out, submission, entry, event, cells);
            push_fields(out, &[status], cells);
            out.push(b'\n');
        }
        (events.values.len() as u64, outcome)
    })
}

/// The event columns of a journey row: `item_id` to `response_option_selection_time`.
const EVENT_CELLS: usize = JourneyColumn::EventsStatus as usize - JourneyColumn::ItemId as usize;

/// Write the event columns of a journey row, each preceded by a comma. The cells borrow from the item and
/// the event: only the time and the response are new text.
fn push_journey_event(
    out: &mut Vec<u8>,
    submission: &Submission,
    entry: &Entry<'_>,
    event: &Event<'_>,
    csv_cells: CsvCells,
) {
    use JourneyColumn as J;
    let cell = |column: J| column as usize - J::ItemId as usize;
    let screen = event_text(event.screen);
    let screen = screen.as_ref();
    let item_id = screen.rsplit('/').next().unwrap_or_default();
    let visible = submission.slots.iter().filter(|s| !s.item.hidden);
    let found = visible
        .enumerate()
        .find(|(_, slot)| slot.item.id == screen || slot.item.id == item_id);
    let kind = event_text(event.kind);
    let kind = kind.as_ref();
    let time_column = match kind {
        "NEXT" => Some(J::PressNextTime),
        "SKIP_POPUP_CONFIRM" => Some(J::PressPopupSkipTime),
        "SKIP_POPUP_CANCEL" => Some(J::PressPopupKeepTime),
        "PREV" => Some(J::PressBackTime),
        "UNDO" => Some(J::PressUndoTime),
        "SKIP" => Some(J::PressSkipTime),
        "DONE" => Some(J::PressDoneTime),
        "SET_ANSWER" => Some(J::ResponseOptionSelectionTime),
        _ => None,
    };
    let time = time_column.map(|_| event_time(event.time));
    let mut response = String::new();
    let mut cells = [""; EVENT_CELLS];
    if let (Some(column), Some(time)) = (time_column, &time) {
        cells[cell(column)] = time.as_ref();
    }
    if let Some((index, slot)) = found {
        let item = &slot.item;
        cells[cell(J::ItemType)] = &item.response_type;
        if kind == "SET_ANSWER" {
            let given = event
                .response
                .as_ref()
                .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
                .filter(|r| !r.is_null());
            let answer = given
                .as_ref()
                .or_else(|| slot_answer(entry, &slot.position));
            if let Some(answer) = answer {
                response = format_response(&context(submission, item, index), answer);
            }
        }
        cells[cell(J::ItemResponse)] = &response;
    }
    // The item's first four cells are escaped once per item; empty cells need no escaping.
    let from_response = cell(J::ItemResponse);
    match found {
        Some((_, slot)) => out.extend_from_slice(&item_head(&slot.item, csv_cells)),
        None => out.extend_from_slice(&b",,,,"[..from_response]),
    }
    push_fields(out, &cells[from_response..], csv_cells);
}

/// An event's time as JavaScript's `String(time)`: an integer's digits as they are, anything else through
/// [`js_string`] (`undefined` when absent).
fn event_time(time: Option<&RawValue>) -> Cow<'_, str> {
    match time.map(RawValue::get) {
        Some(digits)
            if (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Cow::Borrowed(digits)
        }
        Some(other) => Cow::Owned(js_string(
            serde_json::from_str::<Value>(other).ok().as_ref(),
        )),
        None => Cow::Owned(js_string(None)),
    }
}

/// How an item becomes wide columns.
#[derive(Debug, Clone)]
struct WideItem {
    name: String,
    kind: WideKind,
    scored: bool,
    has_text: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum WideKind {
    /// The selected option's value.
    Single,
    /// One `true`/`false` column per option value, in order of first appearance.
    Multi(Vec<String>),
    /// Sliders and number selections: the number.
    Number,
    /// Free text.
    Text,
    /// Anything else: the `item_response` text.
    Formatted,
}

/// One activity's wide table: its columns, from all of its submissions.
pub(crate) struct WidePlan {
    pub activity_id: String,
    pub activity_name: String,
    pub header: Vec<String>,
    items: Vec<WideItem>,
}

/// The wide table of every activity, sorted by activity name and id: one row per submission, columns the
/// union over the activity's versions, in order of first appearance.
pub(crate) fn wide_plans(entries: &[Entry<'_>]) -> Vec<WidePlan> {
    let mut plans: Vec<WidePlan> = activity_groups(entries)
        .into_par_iter()
        .map(|(id, group)| {
            let items = wide_items(&group);
            let mut header: Vec<String> = WIDE_SUBMISSION_COLUMNS
                .iter()
                .map(|c| c.name().to_owned())
                .collect();
            for item in &items {
                header.extend(item_columns(item));
            }
            let name = group
                .iter()
                .map(|e| e.submission.cell(ResponseColumn::ActivityName))
                .find(|n| !n.is_empty())
                .unwrap_or_default();
            WidePlan {
                activity_id: id.to_owned(),
                activity_name: name.to_owned(),
                header,
                items,
            }
        })
        .collect();
    plans.sort_by(|a, b| {
        (&a.activity_name, &a.activity_id).cmp(&(&b.activity_name, &b.activity_id))
    });
    plans
}

/// Entries by activity id, each group in entry order.
fn activity_groups<'a>(entries: &[Entry<'a>]) -> BTreeMap<&'a str, Vec<Entry<'a>>> {
    let mut groups: BTreeMap<&str, Vec<Entry<'_>>> = BTreeMap::new();
    for entry in entries {
        let id = entry.submission.cell(ResponseColumn::ActivityId);
        groups.entry(id).or_default().push(*entry);
    }
    groups
}

/// The wide rows of `entries` (no header), by index into `plans` (every entry's activity has a plan).
pub(crate) fn render_wide(
    plans: &[WidePlan],
    entries: &[Entry<'_>],
    cells: CsvCells,
) -> Vec<(usize, Rendered)> {
    let index: HashMap<&str, usize> = plans
        .iter()
        .enumerate()
        .map(|(i, plan)| (plan.activity_id.as_str(), i))
        .collect();
    activity_groups(entries)
        .into_par_iter()
        .filter_map(|(id, group)| {
            let at = *index.get(id)?;
            let items = &plans[at].items;
            let rendered = render_blocks(&group, |entry, out| {
                push_record(out, &wide_row(entry, items), cells);
                1
            });
            Some((at, rendered))
        })
        .collect()
}

fn item_columns(item: &WideItem) -> Vec<String> {
    let mut columns = match &item.kind {
        WideKind::Multi(values) => values
            .iter()
            .map(|v| option_column(&item.name, v))
            .collect(),
        _ => vec![item.name.clone()],
    };
    if item.scored {
        columns.push(score_column(&item.name));
    }
    if item.has_text {
        columns.push(text_column(&item.name));
    }
    columns
}

fn wide_kind(item: &ItemDef) -> WideKind {
    match item.response_type.as_str() {
        "singleSelect" => WideKind::Single,
        "multiSelect" => WideKind::Multi(Vec::new()),
        "slider" | "numberSelect" => WideKind::Number,
        "text" | "paragraphText" => WideKind::Text,
        _ => WideKind::Formatted,
    }
}

/// The wide items of an activity, by name, over all its versions and answers.
fn wide_items(group: &[Entry<'_>]) -> Vec<WideItem> {
    let mut items: Vec<WideItem> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut seen_versions = HashSet::new();
    for entry in group {
        for slot in entry.submission.slots.iter().filter(|s| !s.item.hidden) {
            let definition = &slot.item;
            // Looked up before inserting: most slots repeat an item already seen, and need no new name.
            let position = match index.get(definition.name.as_str()) {
                Some(&position) => position,
                None => {
                    items.push(WideItem {
                        name: definition.name.clone(),
                        kind: wide_kind(definition),
                        scored: false,
                        has_text: false,
                    });
                    index.insert(definition.name.clone(), items.len() - 1);
                    items.len() - 1
                }
            };
            let item = &mut items[position];
            if seen_versions.insert(std::sync::Arc::as_ptr(definition)) {
                item.scored |= !definition.values.scores.is_empty()
                    || definition.values.options.iter().any(|o| o.score.is_some());
                if let WideKind::Multi(values) = &mut item.kind {
                    for option in &definition.values.options {
                        push_new(values, js_string(option.value.as_ref()));
                    }
                }
            }
            let Some(answer) = slot_answer(entry, &slot.position) else {
                continue;
            };
            item.has_text |= answer
                .get("text")
                .is_some_and(|t| t.as_str().is_some_and(|t| !t.is_empty()));
            if let (WideKind::Multi(values), Some(Value::Array(selected))) =
                (&mut item.kind, answer.get("value"))
            {
                for value in selected {
                    push_new(values, js_string(Some(value)));
                }
            }
        }
    }
    items
}

fn push_new(values: &mut Vec<String>, value: String) {
    if !values.contains(&value) {
        values.push(value);
    }
}

fn wide_row(entry: &Entry<'_>, items: &[WideItem]) -> Vec<String> {
    let submission = entry.submission;
    let mut row: Vec<String> = WIDE_SUBMISSION_COLUMNS
        .iter()
        .map(|&c| match c {
            ResponseColumn::AnswerStatus => entry.decoded.answers.status.as_str().to_owned(),
            other => submission.cell(other).to_owned(),
        })
        .collect();
    let mut answers: HashMap<&str, (usize, &ItemDef, &Value)> = HashMap::new();
    let visible = submission.slots.iter().filter(|s| !s.item.hidden);
    for (index, slot) in visible.enumerate() {
        if let Some(answer) = slot_answer(entry, &slot.position) {
            answers.insert(&slot.item.name, (index, &slot.item, answer));
        }
    }
    for item in items {
        let found = answers.get(item.name.as_str());
        let value = found.map(|(_, _, a)| a.get("value").unwrap_or(a));
        let present = value.filter(|v| !v.is_null());
        match &item.kind {
            WideKind::Multi(options) => {
                let selected: Option<Vec<String>> = match present {
                    Some(Value::Array(values)) => {
                        Some(values.iter().map(|v| js_string(Some(v))).collect())
                    }
                    Some(single) => Some(vec![js_string(Some(single))]),
                    None => None,
                };
                for option in options {
                    row.push(
                        selected
                            .as_ref()
                            .map_or(String::new(), |s| s.contains(option).to_string()),
                    );
                }
            }
            WideKind::Single | WideKind::Number | WideKind::Text => {
                row.push(present.map_or(String::new(), |v| js_string(Some(v))));
            }
            WideKind::Formatted => row.push(found.map_or(String::new(), |(index, def, answer)| {
                format_response(&context(submission, def, *index), answer)
            })),
        }
        if item.scored {
            let score = found.and_then(|(_, def, answer)| {
                selected_score(&def.response_type, &def.values, answer)
            });
            row.push(score.map_or(String::new(), js_number));
        }
        if item.has_text {
            let text = found
                .and_then(|(_, _, a)| a.get("text"))
                .and_then(Value::as_str);
            row.push(text.unwrap_or_default().to_owned());
        }
    }
    row
}
