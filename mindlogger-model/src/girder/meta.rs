//! The `meta` of the MindLogger documents, as stored: texts stay texts (weekdays, `HH:MM AM/PM` times, dates),
//! so a document read and written back is unchanged. Validation ([`super::validate`] and
//! [`super::GirderTree::build`]) turns them into checked values and names the document and field at fault.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `meta` of an Activity Set folder (a folder of the `Activity Sets` collection).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivitySetMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub members: Members,
    /// Who answers (for example `self` or `parent`), as the builder wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respondent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `meta.members` of an Activity Set: account ids per role.
///
/// `viewers` maps a viewer (a user id, or `group/<id>` for every member of a Girder group) to what the viewer
/// may see: user ids, `group/<id>` (the set's users in that group), or `folder/<Activity Set id>` (every user
/// of the set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Members {
    #[serde(default)]
    pub owners: Vec<String>,
    #[serde(default)]
    pub managers: Vec<String>,
    #[serde(default)]
    pub editors: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub viewers: BTreeMap<String, Vec<String>>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `meta` of an activity version folder (`Activities/<activity>/<version>`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abbreviation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The local date (YYYY-MM-DD, in the study's time zone) from which this version's schedule applies;
    /// without it, the local date of the folder's `created` time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<String>,
    /// When the respondent is notified; empty means never (the activity is done on the respondent's own
    /// initiative).
    #[serde(default)]
    pub user_notifications: Vec<NotificationSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<Reminders>,
    /// The default order of the screens: names of the items of this version folder.
    #[serde(default)]
    pub screens: Vec<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// One schedule of `userNotifications`: on which days, at which times of day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum NotificationSpec {
    /// Every week on these days (`Monday` to `Sunday`; three-letter abbreviations and any case accepted).
    Weekly {
        days: Vec<String>,
        time_of_day: Vec<TimeOfDaySpec>,
    },
    /// Every month on these days of the month (1 to 28, so every month has them).
    Monthly {
        days: Vec<i64>,
        time_of_day: Vec<TimeOfDaySpec>,
    },
    /// On these dates (YYYY-MM-DD).
    Calendar {
        dates: Vec<String>,
        time_of_day: Vec<TimeOfDaySpec>,
    },
}

/// A time of day of a schedule: a notification at a fixed time (`{"scheduled": "09:00 AM"}`) or at a
/// random time of a window (`{"random": {"from": "06:00 PM", "to": "08:00 PM"}}`). Times are local to the
/// study's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeOfDaySpec {
    Scheduled(String),
    Random { from: String, to: String },
}

/// `meta.reminders` of a version: a reminder `afterMinutes` after a notification left unanswered, `times`
/// times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reminders {
    pub after_minutes: u32,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// `meta` of a screen item of a version folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Value>,
    /// Where to go after this screen; absent or `null` is the next screen of the version's `screens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_screen: Option<NextScreen>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `nextScreen`: a screen name, or branches on the answer (the first branch whose `when` equals the answer
/// wins; no match is the default sequence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NextScreen {
    Screen(String),
    Branches(Vec<Branch>),
}

/// One branch of `nextScreen`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    pub when: Value,
    pub screen: String,
}

/// `meta` of a response item (`<user>/Responses/<Activity Set>/YYYY-MM-DD Activity Name`): one submitted
/// activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseItemMeta {
    /// The activity folder id (without it, the activity is found by the name in the item's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// The version folder id (or the version folder's name) the respondent answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_version: Option<String>,
    /// When the notification was sent (absent: the respondent started the activity unprompted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded: Option<DateTime<Utc>>,
    pub completed: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub device: Value,
    /// The prompts shown, one per screen answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<Value>,
    /// The options offered per screen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Value>,
    /// The answers, one per screen (participant data, free text included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<Value>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `meta` of the Activity Set folder inside a user's `Responses` folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseSetMeta {
    /// The Activity Set folder id (without it, the set is found by its folder name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_set: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}
