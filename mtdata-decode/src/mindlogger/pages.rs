//! Export pages to submissions: v1 and v2 answers in one shape, before decryption.

use std::collections::HashMap;
use std::sync::Arc;

use mindlogger_model::v1::{AppletDataPage, DataResponse, JsonLd, epoch_millis};
use mindlogger_model::{Activity, Answer, UserPublicKey};
use mtdata_core::decoded::mindlogger::{NOT_SCHEDULED, ResponseColumn};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::activity::{ActivityDef, ItemDef, LANGUAGE};
use super::raw::AppletDocument;

/// The identity columns of `responses.csv` (those before `item_id`), per submission.
pub(crate) const IDENTITY_COLUMNS: usize = ResponseColumn::ItemId as usize;

/// Which API a page came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Platform {
    V1,
    V2,
}

impl Platform {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Platform::V1 => "mindlogger-v1",
            Platform::V2 => "mindlogger-v2",
        }
    }
}

/// Where an item's answer is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Position {
    /// At this index of the decrypted (or plain) answer array.
    Index(usize),
    /// Stored in the clear in the response itself (v1 applets without encryption).
    Inline(Value),
}

/// An item of a submission and where its answer is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slot {
    pub item: Arc<ItemDef>,
    pub position: Position,
}

/// A stored field to decrypt (answers, events), with the public key it was encrypted against.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stored {
    /// Text as stored: `iv:ciphertext`, or plain JSON text.
    Text(String),
    /// A plain JSON value (v1 applets without encryption).
    Plain(Value),
    /// Nothing stored.
    Missing,
}

/// A submission's user public key as read: `Err` when it cannot be read.
pub(crate) type UserKey = Result<UserPublicKey, mindlogger_model::Error>;

/// One submission (a completed activity, or a review) as read from a page.
#[derive(Debug, Clone)]
pub(crate) struct Submission {
    pub id: String,
    /// Cells of the identity columns, by [`ResponseColumn`] position.
    pub identity: Vec<String>,
    pub start_ms: Option<i64>,
    /// The items of the answer, in item order.
    pub slots: Arc<Vec<Slot>>,
    pub answers: Stored,
    pub events: Stored,
    /// `None`: the answer has no public key; `Some(Err)`: it cannot be read.
    pub user_key: Option<UserKey>,
    /// `missed`, `incomplete` or `completed` (the admin's `item_response_status`, before per-item rules).
    pub flag: &'static str,
    /// Dates with 0-based months (v1, and v2 answers migrated from v1).
    pub zero_based_months: bool,
    /// A hash of what the server sent for the answer: two copies differ in content when it differs.
    pub fingerprint: u128,
}

impl Submission {
    pub(crate) fn cell(&self, column: ResponseColumn) -> &str {
        self.identity
            .get(column as usize)
            .map_or("", String::as_str)
    }
}

fn identity() -> Vec<String> {
    vec![String::new(); IDENTITY_COLUMNS]
}

fn set(identity: &mut [String], column: ResponseColumn, value: Option<&str>) {
    identity[column as usize] = value.unwrap_or_default().to_owned();
}

/// v2 `startDatetime`-style float seconds as integer milliseconds (the admin writes `${+date * 1000}`,
/// float artefacts included; the nearest integer is what it meant).
pub(crate) fn seconds_to_millis(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// A page's content.
pub(crate) struct ParsedPage {
    pub platform: Platform,
    pub submissions: Vec<Submission>,
}

/// Parse one page of either API. `document` supplies item definitions the page does not carry.
pub(crate) fn parse_page(
    bytes: &[u8],
    document: Option<&AppletDocument>,
) -> Result<ParsedPage, String> {
    // Most pages are v2: read as one in a single pass; anything else takes the probe's way.
    if let Ok(page) = serde_json::from_slice::<RawV2Page>(bytes) {
        return v2_page(page, document);
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    match (probe.result, probe.responses) {
        (Some(_), _) => parse_v2(bytes, document),
        (None, Some(_)) => parse_v1(bytes, document),
        (None, None) => {
            Err("neither a v2 page (`result.answers`) nor a v1 page (`responses`)".to_owned())
        }
    }
}

/// The top-level fields that tell the two APIs apart, skipping the rest.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    responses: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawV2Page<'a> {
    #[serde(borrow)]
    result: RawV2Result<'a>,
}

#[derive(Deserialize)]
struct RawV2Result<'a> {
    #[serde(borrow, default)]
    answers: Vec<&'a RawValue>,
    #[serde(default)]
    activities: Vec<Activity>,
}

fn parse_v2(bytes: &[u8], document: Option<&AppletDocument>) -> Result<ParsedPage, String> {
    let page: RawV2Page =
        serde_json::from_slice(bytes).map_err(|e| format!("not a v2 export page: {e}"))?;
    v2_page(page, document)
}

fn v2_page(page: RawV2Page<'_>, document: Option<&AppletDocument>) -> Result<ParsedPage, String> {
    let mut activities: HashMap<&str, (Arc<ActivityDef>, Arc<Vec<Slot>>)> = HashMap::new();
    for activity in &page.result.activities {
        activities.insert(&activity.id_version, v2_activity(activity));
    }
    let fallback = v2_document_activities(document);
    // A respondent's key text repeats on each of their answers: parsed once per page.
    let mut user_keys: HashMap<String, UserKey> = HashMap::new();
    let mut submissions = Vec::with_capacity(page.result.answers.len());
    for (index, raw) in page.result.answers.iter().enumerate() {
        let answer: Answer = serde_json::from_str(raw.get())
            .map_err(|e| format!("answer {} of the page: {e}", index + 1))?;
        let by_version = answer
            .activity_history_id
            .as_deref()
            .and_then(|v| activities.get(v))
            .cloned();
        let activity_id = answer.activity_id.clone().or_else(|| {
            let history = answer.activity_history_id.as_deref()?;
            Some(history.get(..36).unwrap_or(history).to_owned())
        });
        let (activity, slots) = by_version
            .or_else(|| fallback.get(activity_id.as_deref()?).cloned())
            .unwrap_or_else(|| unknown_activity(&answer, activity_id.as_deref()));
        let user_key = answer.user_public_key.as_deref().map(|text| {
            if let Some(parsed) = user_keys.get(text) {
                return parsed.clone();
            }
            let parsed = UserPublicKey::parse(text);
            user_keys.insert(text.to_owned(), parsed.clone());
            parsed
        });
        submissions.push(v2_submission(answer, raw.get(), activity, slots, user_key));
    }
    Ok(ParsedPage {
        platform: Platform::V2,
        submissions,
    })
}

fn v2_activity(activity: &Activity) -> (Arc<ActivityDef>, Arc<Vec<Slot>>) {
    let items: Vec<Arc<ItemDef>> = activity
        .items
        .iter()
        .map(|item| Arc::new(ItemDef::from_v2(item)))
        .collect();
    let slots = items
        .iter()
        .enumerate()
        .map(|(index, item)| Slot {
            item: Arc::clone(item),
            position: Position::Index(index),
        })
        .collect();
    let definition = ActivityDef {
        id: activity.id.clone(),
        name: activity.name.clone(),
        items,
    };
    (Arc::new(definition), Arc::new(slots))
}

/// Activities of a v2 applet document, by activity id: used when a page lacks an answer's version.
fn v2_document_activities(
    document: Option<&AppletDocument>,
) -> HashMap<String, (Arc<ActivityDef>, Arc<Vec<Slot>>)> {
    let Some(AppletDocument::V2(applet)) = document else {
        return HashMap::new();
    };
    let activities: Vec<Activity> = applet
        .get("activities")
        .and_then(|a| {
            a.as_array()?
                .iter()
                .map(|activity| {
                    let mut activity = activity.clone();
                    // The applet document's activities have no `idVersion`; they are the current version.
                    if let Value::Object(object) = &mut activity {
                        let id = object.get("id").cloned().unwrap_or_default();
                        object.entry("idVersion").or_insert(id);
                    }
                    serde_json::from_value(activity).ok()
                })
                .collect()
        })
        .unwrap_or_default();
    activities
        .iter()
        .map(|activity| (activity.id.clone(), v2_activity(activity)))
        .collect()
}

fn unknown_activity(answer: &Answer, id: Option<&str>) -> (Arc<ActivityDef>, Arc<Vec<Slot>>) {
    let items: Vec<Arc<ItemDef>> = answer
        .item_ids
        .iter()
        .enumerate()
        .map(|(index, id)| Arc::new(ItemDef::unknown(Some(id), index)))
        .collect();
    let slots = items
        .iter()
        .enumerate()
        .map(|(index, item)| Slot {
            item: Arc::clone(item),
            position: Position::Index(index),
        })
        .collect();
    let definition = ActivityDef {
        id: id.unwrap_or_default().to_owned(),
        name: String::new(),
        items,
    };
    (Arc::new(definition), Arc::new(slots))
}

/// The v2 row object of `getReportCSVObject.ts` (renamed branch), identity part.
fn v2_submission(
    answer: Answer,
    raw: &str,
    activity: Arc<ActivityDef>,
    slots: Arc<Vec<Slot>>,
    user_key: Option<UserKey>,
) -> Submission {
    use ResponseColumn as C;
    let mut cells = identity();
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref()
    }
    set(&mut cells, C::TargetId, text(&answer.target_subject_id));
    set(
        &mut cells,
        C::TargetSecretId,
        text(&answer.target_secret_id),
    );
    set(
        &mut cells,
        C::TargetNickname,
        text(&answer.target_user_nickname),
    );
    set(&mut cells, C::TargetTag, text(&answer.target_user_tag));
    set(&mut cells, C::SourceId, text(&answer.source_subject_id));
    set(
        &mut cells,
        C::SourceSecretId,
        text(&answer.source_secret_id),
    );
    set(
        &mut cells,
        C::SourceNickname,
        text(&answer.source_user_nickname),
    );
    set(&mut cells, C::SourceTag, text(&answer.source_user_tag));
    set(&mut cells, C::SourceRelation, text(&answer.relation));
    set(&mut cells, C::InputId, text(&answer.input_subject_id));
    set(&mut cells, C::InputSecretId, text(&answer.input_secret_id));
    set(
        &mut cells,
        C::InputNickname,
        text(&answer.input_user_nickname),
    );
    set(&mut cells, C::UserId, text(&answer.respondent_id));
    set(
        &mut cells,
        C::SecretUserId,
        text(&answer.respondent_secret_id),
    );
    set(&mut cells, C::LegacyUserId, text(&answer.legacy_profile_id));
    set(&mut cells, C::AppletVersion, text(&answer.version));
    set(&mut cells, C::ActivityFlowId, text(&answer.flow_id));
    set(&mut cells, C::ActivityFlowName, text(&answer.flow_name));
    let flow_submission = match (&answer.flow_id, &answer.reviewed_flow_submit_id) {
        (Some(flow), None) if !flow.is_empty() => answer.submit_id.as_deref(),
        _ => None,
    };
    set(&mut cells, C::ActivityFlowSubmissionId, flow_submission);
    let activity_id = answer.activity_id.as_deref().unwrap_or(&activity.id);
    set(&mut cells, C::ActivityId, Some(activity_id));
    set(&mut cells, C::ActivityName, Some(&activity.name));
    set(&mut cells, C::ActivitySubmissionId, Some(&answer.id));
    let start_ms = answer.start_datetime.map(seconds_to_millis);
    let end_ms = answer.end_datetime.map(seconds_to_millis);
    set(
        &mut cells,
        C::ActivityStartTime,
        start_ms.map(|ms| ms.to_string()).as_deref(),
    );
    set(
        &mut cells,
        C::ActivityEndTime,
        end_ms.map(|ms| ms.to_string()).as_deref(),
    );
    set(
        &mut cells,
        C::ActivityScheduleId,
        text(&answer.scheduled_event_id),
    );
    let scheduled = answer.scheduled_datetime.filter(|s| *s != 0.0);
    let schedule_start = scheduled.map_or(NOT_SCHEDULED.to_owned(), |s| {
        seconds_to_millis(s).to_string()
    });
    set(
        &mut cells,
        C::ActivityScheduleStartTime,
        Some(&schedule_start),
    );
    set(
        &mut cells,
        C::UtcTimezoneOffset,
        answer.tz_offset.map(|tz| tz.to_string()).as_deref(),
    );
    let review = answer
        .reviewed_flow_submit_id
        .as_deref()
        .or(answer.reviewed_answer_id.as_deref());
    set(&mut cells, C::ActivitySubmissionReviewId, review);
    let flag = match (scheduled, answer.start_datetime.filter(|s| *s != 0.0)) {
        (Some(_), None) => "missed",
        _ => "completed",
    };
    Submission {
        fingerprint: xxhash_rust::xxh3::xxh3_128(raw.as_bytes()),
        user_key,
        zero_based_months: answer.migrated_date.as_ref().is_some_and(|d| !d.is_null()),
        answers: answer.answer.map_or(Stored::Missing, Stored::Text),
        events: answer.events.map_or(Stored::Missing, Stored::Text),
        id: answer.id,
        identity: cells,
        start_ms,
        slots,
        flag,
    }
}

fn parse_v1(bytes: &[u8], document: Option<&AppletDocument>) -> Result<ParsedPage, String> {
    let page: AppletDataPage =
        serde_json::from_slice(bytes).map_err(|e| format!("not a v1 export page: {e}"))?;
    let empty = Value::Null;
    let applet = match document {
        Some(AppletDocument::V1(applet)) => applet,
        _ => &empty,
    };
    let mut activities: HashMap<String, Arc<ActivityDef>> = HashMap::new();
    let submissions = page
        .responses
        .iter()
        .map(|response| {
            let activity = activities
                .entry(response.activity.id.clone())
                .or_insert_with(|| Arc::new(v1_activity(applet, response)));
            v1_submission(&page, applet, response, Arc::clone(activity))
        })
        .collect();
    Ok(ParsedPage {
        platform: Platform::V1,
        submissions,
    })
}

/// The applet document's activity of a response (`_id` is `activity/<id>`), with its current items in order.
fn v1_activity(applet: &Value, response: &DataResponse) -> ActivityDef {
    let activity = applet
        .get("activities")
        .and_then(Value::as_object)
        .and_then(|all| {
            all.values()
                .find(|a| JsonLd(a).girder_id() == Some(&response.activity.id))
        });
    let items = applet.get("items");
    let order = activity.map(|a| JsonLd(a).order()).unwrap_or_default();
    let name = response
        .activity
        .name
        .clone()
        .or_else(|| activity.and_then(|a| JsonLd(a).label(LANGUAGE).map(str::to_owned)))
        .unwrap_or_default();
    ActivityDef {
        id: response.activity.id.clone(),
        name,
        items: order
            .iter()
            .filter_map(|iri| {
                let item = items?.get(*iri)?;
                Some(Arc::new(ItemDef::from_v1(iri, item)))
            })
            .collect(),
    }
}

/// A v1 response as a submission: its items in the activity's order, its stored answers and events,
/// its identity columns, its flag and the fingerprint that finds copies of it on other pages.
fn v1_submission(
    page: &AppletDataPage,
    applet: &Value,
    response: &DataResponse,
    activity: Arc<ActivityDef>,
) -> Submission {
    let slots = v1_slots(page, applet, response, &activity);
    let source = page.data_source(&response.id);
    let key_index = source.as_ref().and_then(|s| s.key);
    let user_key = key_index.and_then(|k| page.key(k));
    let answers = match &source {
        Some(source) => Stored::Text(source.data.clone()),
        None if !response.data.is_empty() => Stored::Plain(Value::Null),
        None => Stored::Missing,
    };
    let (events, events_key) = v1_events(page, response);
    let start_ms = epoch_millis(response.response_started.as_ref());
    let scheduled = epoch_millis(response.response_scheduled.as_ref());
    // The content of a copy, free of this page's indices: the response, and what its indices point to.
    let mut content = serde_json::to_value(response).unwrap_or_default();
    if let Value::Object(object) = &mut content {
        object.remove("events");
    }
    let fingerprint_source = serde_json::json!([
        content,
        source.as_ref().map(|s| &s.data),
        key_index.and_then(|k| page.keys.get(k)),
        match &events {
            Stored::Text(text) => Value::String(text.clone()),
            Stored::Plain(value) => value.clone(),
            Stored::Missing => Value::Null,
        },
        events_key,
        page.sub_scale_source(&response.id).map(|s| s.data),
    ]);
    Submission {
        id: response.id.clone(),
        identity: v1_identity(response, &activity, start_ms, scheduled),
        start_ms,
        slots: Arc::new(slots),
        answers,
        events,
        user_key,
        flag: v1_flag(response, scheduled, start_ms),
        zero_based_months: true,
        fingerprint: xxhash_rust::xxh3::xxh3_128(fingerprint_source.to_string().as_bytes()),
    }
}

/// A v1 response's items in the activity's order (items the order does not list follow, in the
/// response's order), each with the version of the item its applet version had.
fn v1_slots(
    page: &AppletDataPage,
    applet: &Value,
    response: &DataResponse,
    activity: &ActivityDef,
) -> Vec<Slot> {
    let version = response.version.as_deref().unwrap_or_default();
    let mut iris: Vec<&str> = activity
        .items
        .iter()
        .map(|item| item.id.as_str())
        .filter(|iri| response.data.contains_key(*iri))
        .collect();
    for iri in response.data.keys() {
        if !iris.contains(&iri.as_str()) {
            iris.push(iri);
        }
    }
    iris.iter()
        .enumerate()
        .map(|(index, iri)| {
            let definition = page
                .referenced_item(version, iri)
                .or_else(|| applet.get("items")?.get(*iri))
                .map_or_else(
                    || ItemDef::unknown(Some(iri), index),
                    |item| ItemDef::from_v1(iri, item),
                );
            let stored = &response.data[*iri];
            let pointer = stored
                .get("ptr")
                .filter(|_| stored.get("src").is_some())
                .and_then(Value::as_u64);
            let position = match pointer {
                Some(ptr) => Position::Index(ptr as usize),
                None => Position::Inline(stored.clone()),
            };
            Slot {
                item: Arc::new(definition),
                position,
            }
        })
        .collect()
}

/// A v1 response's events: an index into the page's event sources (with its key), or a plain list.
fn v1_events<'p>(page: &'p AppletDataPage, response: &DataResponse) -> (Stored, Option<&'p Value>) {
    match &response.events {
        Some(Value::Number(n)) => match n.as_u64().and_then(|i| page.event_source(i as usize)) {
            Some(source) => (
                Stored::Text(source.data),
                source.key.and_then(|k| page.keys.get(k)),
            ),
            None => (Stored::Missing, None),
        },
        Some(list @ Value::Array(_)) => (Stored::Plain(list.clone()), None),
        _ => (Stored::Missing, None),
    }
}

/// The identity columns of a v1 response's rows.
fn v1_identity(
    response: &DataResponse,
    activity: &ActivityDef,
    start_ms: Option<i64>,
    scheduled: Option<i64>,
) -> Vec<String> {
    use ResponseColumn as C;
    let mut cells = identity();
    set(&mut cells, C::UserId, response.user_id.as_deref());
    set(&mut cells, C::SecretUserId, response.mrn.as_deref());
    set(&mut cells, C::AppletVersion, response.version.as_deref());
    let flow = response.activity_flow.as_ref().and_then(|f| f.get("@id"));
    set(&mut cells, C::ActivityFlowId, flow.and_then(Value::as_str));
    set(&mut cells, C::ActivityId, Some(&response.activity.id));
    set(&mut cells, C::ActivityName, Some(&activity.name));
    set(&mut cells, C::ActivitySubmissionId, Some(&response.id));
    let end_ms = epoch_millis(response.response_completed.as_ref());
    set(
        &mut cells,
        C::ActivityStartTime,
        start_ms.map(|ms| ms.to_string()).as_deref(),
    );
    set(
        &mut cells,
        C::ActivityEndTime,
        end_ms.map(|ms| ms.to_string()).as_deref(),
    );
    let schedule_start = scheduled.map_or(NOT_SCHEDULED.to_owned(), |ms| ms.to_string());
    set(
        &mut cells,
        C::ActivityScheduleStartTime,
        Some(&schedule_start),
    );
    let review = response
        .reviewing
        .as_ref()
        .and_then(|r| r.get("responseId"));
    set(
        &mut cells,
        C::ActivitySubmissionReviewId,
        review.and_then(Value::as_str),
    );
    cells
}

/// The admin's flag of a v1 response: missed (scheduled, never started), incomplete (timed out) or
/// completed.
fn v1_flag(response: &DataResponse, scheduled: Option<i64>, start_ms: Option<i64>) -> &'static str {
    let timed_out = response
        .timeout
        .as_ref()
        .is_some_and(|t| t.as_f64().is_some_and(|t| t != 0.0) || t.as_bool() == Some(true));
    match (scheduled, start_ms) {
        (Some(_), None) => "missed",
        (_, Some(_)) if timed_out => "incomplete",
        _ => "completed",
    }
}
