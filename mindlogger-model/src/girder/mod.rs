//! The MindLogger v1 data model as Girder documents: Activity Sets, their members and viewers, activities and
//! their versions with notification schedules, screens, and the responses of each user.
//!
//! # The structure, for an analyst
//!
//! Everything on a Girder server is a *collection*, a *folder* (hanging from a collection, a folder or a
//! user) or an *item* (in a folder); each has a free `meta` object. MindLogger uses them so:
//!
//! ```text
//! collection "Activity Sets"
//! └── folder <Activity Set>           meta: description, shortName, respondent,
//!     │                                     members {owners, managers, editors, users, viewers}
//!     └── folder "Activities"
//!         └── folder <activity>        (its name is the activity's name)
//!             └── folder <version>     meta: abbreviation, description, effectiveFrom, userNotifications,
//!                 │                          reminders, screens (the default order of the screens)
//!                 └── item <screen>    meta: prompt, inputType, options, nextScreen
//! user <account>
//! └── folder "Responses"
//!     └── folder <Activity Set>        meta: activitySet (the Activity Set folder's id)
//!         └── item "YYYY-MM-DD Activity Name"   meta: activity, activityVersion, notified, reminded,
//!                                                    completed, device, prompts, options, responses
//! ```
//!
//! * **Roles** ([`visible_users`]): owners and managers see every user of the set; a viewer sees the users
//!   granted by the entries of `members.viewers` keyed by the viewer's id or by `group/<id>` of a group the
//!   viewer is in; a grant is a user id, `group/<id>` (the set's users in that group) or
//!   `folder/<Activity Set id>` (every user of the set); a user sees their own responses; editors see none.
//! * **Schedules** ([`expand`]): `userNotifications` is a list of weekly (weekdays), monthly (days 1 to 28)
//!   or calendar (dates) schedules, each with times of day: `{"scheduled": "09:00 AM"}` or
//!   `{"random": {"from": "06:00 PM", "to": "08:00 PM"}}`. Times are local to the study's time zone;
//!   see [`schedule`] for daylight-saving changes.
//! * **Versions in force**: a version applies from `meta.effectiveFrom` (a local date) or else from the local
//!   date of its folder's `created` time, until the next version starts ([`Activity::version_on`],
//!   [`Activity::periods`]). Responses say which version was answered (`meta.activityVersion`).
//! * **Responses** ([`ResponseRecord`]): one item per submitted activity, with when the respondent was
//!   notified, reminded and completed it (RFC 3339, UTC).
//!
//! [`GirderTree::build`] reads the documents, checks them, and stops at the first structure problem with an
//! error naming the document and field (`girder folder 64f0...: `meta.members.owners`: the activity set has
//! no owner; ...`).
//!
//! ```
//! use chrono::NaiveDate;
//! use mindlogger_model::girder::{Due, GirderDocuments, GirderTree, expand, visible_users};
//! use serde_json::json;
//!
//! let documents: GirderDocuments = serde_json::from_value(json!({
//!   "collections": [{"_id": "c1", "name": "Activity Sets"}],
//!   "folders": [
//!     {"_id": "set1", "name": "EMA study", "parentId": "c1", "parentCollection": "collection",
//!      "meta": {"shortName": "EMA", "members": {"owners": ["pi"], "users": ["u1", "u2"],
//!               "viewers": {"ra": ["u1"]}}}},
//!     {"_id": "acts", "name": "Activities", "parentId": "set1", "parentCollection": "folder"},
//!     {"_id": "mood", "name": "Mood", "parentId": "acts", "parentCollection": "folder"},
//!     {"_id": "mood-1", "name": "1.0.0", "parentId": "mood", "parentCollection": "folder",
//!      "meta": {"effectiveFrom": "2026-03-01", "screens": ["q1"], "userNotifications": [
//!        {"type": "weekly", "days": ["Monday", "Thursday"], "timeOfDay": [{"scheduled": "09:00 AM"}]}]}},
//!     {"_id": "r1", "name": "Responses", "parentId": "u1", "parentCollection": "user"},
//!     {"_id": "r1s", "name": "EMA study", "parentId": "r1", "parentCollection": "folder",
//!      "meta": {"activitySet": "set1"}}],
//!   "items": [
//!     {"_id": "q1", "name": "q1", "folderId": "mood-1", "meta": {"prompt": "How are you?"}},
//!     {"_id": "a1", "name": "2026-03-02 Mood", "folderId": "r1s",
//!      "meta": {"activityVersion": "1.0.0", "notified": "2026-03-02T14:00:00Z",
//!               "completed": "2026-03-02T14:05:00Z", "responses": ["fine"]}}],
//!   "users": [{"_id": "pi", "login": "pi"}, {"_id": "ra", "login": "ra"},
//!             {"_id": "u1", "login": "u1"}, {"_id": "u2", "login": "u2"}]
//! }))?;
//! let tree = GirderTree::build(&documents)?;
//! let set = &tree.activity_sets[0];
//!
//! // The research assistant sees u1 only.
//! let seen = visible_users(set, &tree.users["ra"]);
//! assert_eq!(seen.users.keys().collect::<Vec<_>>(), ["u1"]);
//!
//! // The first week of March 2026 in New York: Monday the 2nd and Thursday the 5th, 9:00 AM EST.
//! let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
//! let (from, to) = (NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 7).unwrap());
//! let mood = &set.activities[0];
//! let version = mood.version_on(from, tz).unwrap();
//! let due = expand(&version.notifications, from, to, tz);
//! assert_eq!(due.len(), 2);
//! assert_eq!(due[0].due, Due::At("2026-03-02T14:00:00Z".parse()?));
//!
//! // u1 answered Monday's notification five minutes after it came.
//! let answered = &set.responses_of("u1")[0];
//! assert_eq!(answered.version.as_deref(), Some("mood-1"));
//! assert_eq!((answered.completed - answered.notified.unwrap()).num_minutes(), 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod document;
pub mod meta;
mod roles;
pub mod schedule;
mod tree;
pub mod validate;

pub use document::{Collection, Folder, GirderDocuments, Item, ParentType, User, parse_instant};
pub use meta::{
    ActivitySetMeta, Branch, Members, NextScreen, NotificationSpec, Reminders, ResponseItemMeta,
    ResponseSetMeta, ScreenMeta, TimeOfDaySpec, VersionMeta,
};
pub use roles::{Reason, Visibility, visible_users};
pub use schedule::{ClockTime, Days, Due, Notifications, Occurrence, Schedule, TimeOfDay, expand};
pub use tree::{
    ACTIVITIES, ACTIVITY_SETS, Activity, ActivitySet, ActivityVersion, GirderTree, RESPONSES,
    ResponseRecord, Screen, VersionPeriod, VersionStart, Warning, split_response_name,
};
