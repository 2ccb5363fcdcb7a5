//! [`GirderTree`]: the generic documents read as Activity Sets, activities, versions, screens and responses.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::document::{Folder, GirderDocuments, Item, ParentType, User};
use super::meta::{
    ActivitySetMeta, NextScreen, ResponseItemMeta, ResponseSetMeta, ScreenMeta, VersionMeta,
};
use super::schedule::{Notifications, parse_date};
use crate::error::{DocumentKind, Error, GirderProblem, Result};

/// The name of the collection holding one folder per Activity Set.
pub const ACTIVITY_SETS: &str = "Activity Sets";
/// The folder of an Activity Set holding one folder per activity.
pub const ACTIVITIES: &str = "Activities";
/// The folder of a user holding one folder per Activity Set the user answered.
pub const RESPONSES: &str = "Responses";

/// The MindLogger structure of one Girder server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GirderTree {
    /// Ordered by name, then id.
    pub activity_sets: Vec<ActivitySet>,
    pub users: BTreeMap<String, User>,
    /// Problems that did not stop the build (a response item that could not be read, a version without a
    /// start), in document order.
    pub warnings: Vec<Warning>,
}

/// A problem with one document that did not stop [`GirderTree::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub kind: DocumentKind,
    pub id: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "girder {} {}: {}", self.kind, self.id, self.message)
    }
}

/// One Activity Set: its members, its activities, and the responses of its users.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySet {
    pub id: String,
    pub name: String,
    pub meta: ActivitySetMeta,
    /// Ordered by name, then id.
    pub activities: Vec<Activity>,
    /// The set's users: `members.users` and everyone with a response in the set.
    pub users: BTreeSet<String>,
    /// Per user of the set, the Girder groups the user is in (from `/user`; users not listed there have none).
    pub groups: BTreeMap<String, Vec<String>>,
    /// Per user id, the responses in the set, ordered by completion time.
    pub responses: BTreeMap<String, Vec<ResponseRecord>>,
}

/// An activity: a folder of `Activities`, with its versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: String,
    pub name: String,
    /// Ordered by first date (in UTC), creation time, then name: the order in which they came into force.
    pub versions: Vec<ActivityVersion>,
}

/// From when a version's schedule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStart {
    /// `meta.effectiveFrom`: from the start of this local date.
    Date(NaiveDate),
    /// The folder's `created` time: from the local date (in the study's time zone) it falls on.
    Created(DateTime<Utc>),
    /// Neither: from the beginning (a warning says so).
    Always,
}

impl VersionStart {
    /// The first local date the version applies on (`None`: every date).
    pub fn first_date(&self, tz: Tz) -> Option<NaiveDate> {
        match *self {
            VersionStart::Date(date) => Some(date),
            VersionStart::Created(at) => Some(at.with_timezone(&tz).date_naive()),
            VersionStart::Always => None,
        }
    }
}

/// One version of an activity: a folder of the activity folder, with its screens.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityVersion {
    pub id: String,
    /// The folder's name, the version label (`1.0.2`).
    pub name: String,
    pub meta: VersionMeta,
    /// `meta.userNotifications`, checked.
    pub notifications: Notifications,
    pub start: VersionStart,
    pub created: Option<DateTime<Utc>>,
    /// The items of the version folder, in the order of `meta.screens`, then the others by name.
    pub screens: Vec<Screen>,
}

impl ActivityVersion {
    fn rank(&self, tz: Tz) -> (Option<NaiveDate>, Option<DateTime<Utc>>, &str) {
        (self.start.first_date(tz), self.created, &self.name)
    }
}

/// One screen (an item of a version folder).
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    pub id: String,
    pub name: String,
    pub meta: ScreenMeta,
}

/// The part of the schedule of an activity in force over a run of dates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VersionPeriod<'a> {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub version: &'a ActivityVersion,
}

/// One submitted activity: a response item of a user's `Responses/<Activity Set>` folder.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResponseRecord {
    /// The response item's id.
    pub id: String,
    /// The item's name, `YYYY-MM-DD Activity Name`.
    pub name: String,
    pub user: String,
    pub activity_set: String,
    /// The activity folder id.
    pub activity: String,
    /// The version folder id, when `meta.activityVersion` names a version of the activity.
    pub version: Option<String>,
    pub notified: Option<DateTime<Utc>>,
    pub reminded: Option<DateTime<Utc>>,
    pub completed: DateTime<Utc>,
    /// The date of the item's name.
    pub date: Option<NaiveDate>,
    pub device: Value,
    pub prompts: Vec<Value>,
    pub options: Vec<Value>,
    pub responses: Vec<Value>,
}

impl Activity {
    /// The version in force on local date `date`: of the versions whose first date (see [`VersionStart`]) is
    /// on or before `date`, the one with the latest first date; on a tie, the later created, then the
    /// greater name. `None` before the first version.
    pub fn version_on(&self, date: NaiveDate, tz: Tz) -> Option<&ActivityVersion> {
        self.versions
            .iter()
            .filter(|version| {
                version
                    .start
                    .first_date(tz)
                    .is_none_or(|first| first <= date)
            })
            .max_by(|a, b| a.rank(tz).cmp(&b.rank(tz)))
    }

    /// The versions in force over `from` to `to` (inclusive), as consecutive runs of dates; dates before the
    /// first version are in none.
    pub fn periods(&self, from: NaiveDate, to: NaiveDate, tz: Tz) -> Vec<VersionPeriod<'_>> {
        let mut periods: Vec<VersionPeriod<'_>> = Vec::new();
        for date in from.iter_days().take_while(|date| *date <= to) {
            let Some(version) = self.version_on(date, tz) else {
                continue;
            };
            match periods.last_mut() {
                Some(last) if last.version.id == version.id && last.to.succ_opt() == Some(date) => {
                    last.to = date;
                }
                _ => periods.push(VersionPeriod {
                    from: date,
                    to: date,
                    version,
                }),
            }
        }
        periods
    }

    /// The version whose folder id, or else folder name, is `key`.
    pub fn version(&self, key: &str) -> Option<&ActivityVersion> {
        self.versions
            .iter()
            .find(|version| version.id == key)
            .or_else(|| self.versions.iter().find(|version| version.name == key))
    }
}

impl ActivitySet {
    /// The activity with folder id `id`.
    pub fn activity(&self, id: &str) -> Option<&Activity> {
        self.activities.iter().find(|activity| activity.id == id)
    }

    /// The responses of user `user` in this set (empty when none).
    pub fn responses_of(&self, user: &str) -> &[ResponseRecord] {
        self.responses.get(user).map_or(&[], Vec::as_slice)
    }

    /// Every response of the set, by user id then completion time.
    pub fn records(&self) -> impl Iterator<Item = &ResponseRecord> {
        self.responses.values().flatten()
    }
}

impl GirderTree {
    /// The responses of user `user` in every Activity Set, set by set.
    pub fn responses_of<'a>(&'a self, user: &'a str) -> impl Iterator<Item = &'a ResponseRecord> {
        self.activity_sets
            .iter()
            .flat_map(move |set| set.responses_of(user))
    }

    /// The Activity Set with folder id `id`.
    pub fn activity_set(&self, id: &str) -> Option<&ActivitySet> {
        self.activity_sets.iter().find(|set| set.id == id)
    }

    /// Reads the documents as the MindLogger structure. Errors name the document and field of the first
    /// structure problem (an Activity Set without an owner, a malformed schedule, ...); a response item that
    /// cannot be read is a [`Warning`] and left out.
    pub fn build(documents: &GirderDocuments) -> Result<GirderTree> {
        Builder::new(documents).build()
    }
}

struct Builder<'a> {
    documents: &'a GirderDocuments,
    children: HashMap<(&'a str, ParentType), Vec<&'a Folder>>,
    items: HashMap<&'a str, Vec<&'a Item>>,
    users: BTreeMap<String, User>,
    warnings: Vec<Warning>,
}

fn read_meta<T: DeserializeOwned + Default>(
    kind: DocumentKind,
    id: &str,
    meta: &Value,
) -> Result<T> {
    if meta.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(meta.clone()).map_err(|error| {
        // Every field of these metadata types has a default, so the first key that does not read on its
        // own is the field at fault.
        let field = meta
            .as_object()
            .and_then(|object| {
                object.iter().find_map(|(key, value)| {
                    let alone = Value::Object([(key.clone(), value.clone())].into_iter().collect());
                    serde_json::from_value::<T>(alone)
                        .is_err()
                        .then(|| format!("meta.{key}"))
                })
            })
            .unwrap_or_else(|| "meta".to_owned());
        girder(kind, id, field, GirderProblem::Meta(error.to_string()))
    })
}

fn girder(kind: DocumentKind, id: &str, field: impl Into<String>, problem: GirderProblem) -> Error {
    Error::Girder {
        kind,
        id: id.to_owned(),
        field: field.into(),
        problem: Box::new(problem),
    }
}

fn by_name(mut folders: Vec<&Folder>) -> Vec<&Folder> {
    folders.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    folders
}

impl<'a> Builder<'a> {
    fn new(documents: &'a GirderDocuments) -> Builder<'a> {
        let mut children: HashMap<(&str, ParentType), Vec<&Folder>> = HashMap::new();
        for folder in &documents.folders {
            children
                .entry((folder.parent_id.as_str(), folder.parent_collection))
                .or_default()
                .push(folder);
        }
        let mut items: HashMap<&str, Vec<&Item>> = HashMap::new();
        for item in &documents.items {
            items.entry(item.folder_id.as_str()).or_default().push(item);
        }
        let users = documents
            .users
            .iter()
            .map(|user| (user.id.clone(), user.clone()))
            .collect();
        Builder {
            documents,
            children,
            items,
            users,
            warnings: Vec::new(),
        }
    }

    fn children(&self, parent: &str, parent_type: ParentType) -> Vec<&'a Folder> {
        by_name(
            self.children
                .get(&(parent, parent_type))
                .cloned()
                .unwrap_or_default(),
        )
    }

    fn warn(&mut self, kind: DocumentKind, id: &str, message: String) {
        self.warnings.push(Warning {
            kind,
            id: id.to_owned(),
            message,
        });
    }

    fn build(mut self) -> Result<GirderTree> {
        let collections: Vec<_> = self
            .documents
            .collections
            .iter()
            .filter(|collection| collection.name.eq_ignore_ascii_case(ACTIVITY_SETS))
            .collect();
        let mut activity_sets = Vec::new();
        for collection in collections {
            for folder in self.children(&collection.id, ParentType::Collection) {
                activity_sets.push(self.activity_set(folder)?);
            }
        }
        activity_sets.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        self.responses(&mut activity_sets);
        Ok(GirderTree {
            activity_sets,
            users: self.users,
            warnings: self.warnings,
        })
    }

    fn activity_set(&mut self, folder: &Folder) -> Result<ActivitySet> {
        let meta: ActivitySetMeta = read_meta(DocumentKind::Folder, &folder.id, &folder.meta)?;
        super::validate::activity_set(&folder.id, &meta, |id| self.users.contains_key(id))?;
        let mut activities = Vec::new();
        let containers = self.children(&folder.id, ParentType::Folder);
        let containers: Vec<_> = containers
            .into_iter()
            .filter(|f| f.name == ACTIVITIES)
            .collect();
        if containers.is_empty() {
            self.warn(
                DocumentKind::Folder,
                &folder.id,
                format!("no `{ACTIVITIES}` folder: the activity set has no activities"),
            );
        }
        for container in containers {
            for activity in self.children(&container.id, ParentType::Folder) {
                activities.push(self.activity(activity)?);
            }
        }
        Ok(ActivitySet {
            id: folder.id.clone(),
            name: folder.name.clone(),
            users: meta.members.users.iter().cloned().collect(),
            meta,
            activities,
            groups: BTreeMap::new(),
            responses: BTreeMap::new(),
        })
    }

    fn activity(&mut self, folder: &Folder) -> Result<Activity> {
        let mut versions = Vec::new();
        for version in self.children(&folder.id, ParentType::Folder) {
            versions.push(self.version(version)?);
        }
        versions.sort_by(|a: &ActivityVersion, b| a.rank(Tz::UTC).cmp(&b.rank(Tz::UTC)));
        if versions.is_empty() {
            self.warn(
                DocumentKind::Folder,
                &folder.id,
                "the activity has no version folder".into(),
            );
        }
        Ok(Activity {
            id: folder.id.clone(),
            name: folder.name.clone(),
            versions,
        })
    }

    fn version(&mut self, folder: &Folder) -> Result<ActivityVersion> {
        let meta: VersionMeta = read_meta(DocumentKind::Folder, &folder.id, &folder.meta)?;
        let notifications =
            Notifications::parse(&meta.user_notifications).map_err(|(path, problem)| {
                girder(
                    DocumentKind::Folder,
                    &folder.id,
                    format!("meta.userNotifications{path}"),
                    problem,
                )
            })?;
        let created = folder.created_at();
        let start = match (&meta.effective_from, created) {
            (Some(date), _) => VersionStart::Date(parse_date(date).map_err(|problem| {
                girder(
                    DocumentKind::Folder,
                    &folder.id,
                    "meta.effectiveFrom",
                    problem,
                )
            })?),
            (None, Some(created)) => VersionStart::Created(created),
            (None, None) => {
                self.warn(
                    DocumentKind::Folder,
                    &folder.id,
                    "the version has neither `meta.effectiveFrom` nor a `created` time: it applies from the beginning".into(),
                );
                VersionStart::Always
            }
        };
        let mut items = self
            .items
            .get(folder.id.as_str())
            .cloned()
            .unwrap_or_default();
        items.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let mut screens = Vec::with_capacity(items.len());
        for item in &items {
            let screen_meta: ScreenMeta = read_meta(DocumentKind::Item, &item.id, &item.meta)?;
            screens.push(Screen {
                id: item.id.clone(),
                name: item.name.clone(),
                meta: screen_meta,
            });
        }
        let names: BTreeSet<&str> = screens.iter().map(|screen| screen.name.as_str()).collect();
        for (index, name) in meta.screens.iter().enumerate() {
            if !names.contains(name.as_str()) {
                return Err(girder(
                    DocumentKind::Folder,
                    &folder.id,
                    format!("meta.screens[{index}]"),
                    GirderProblem::UnknownScreen(name.clone()),
                ));
            }
        }
        for screen in &screens {
            let targets: Vec<&str> = match &screen.meta.next_screen {
                None => Vec::new(),
                Some(NextScreen::Screen(target)) => vec![target.as_str()],
                Some(NextScreen::Branches(branches)) => {
                    branches.iter().map(|b| b.screen.as_str()).collect()
                }
            };
            if let Some(target) = targets.into_iter().find(|target| !names.contains(target)) {
                return Err(girder(
                    DocumentKind::Item,
                    &screen.id,
                    "meta.nextScreen",
                    GirderProblem::UnknownScreen(target.to_owned()),
                ));
            }
        }
        let position = |screen: &Screen| {
            meta.screens
                .iter()
                .position(|name| *name == screen.name)
                .unwrap_or(usize::MAX)
        };
        screens.sort_by_key(|screen| position(screen));
        Ok(ActivityVersion {
            id: folder.id.clone(),
            name: folder.name.clone(),
            meta,
            notifications,
            start,
            created,
            screens,
        })
    }

    fn responses(&mut self, activity_sets: &mut [ActivitySet]) {
        let user_ids: Vec<String> = self.users.keys().cloned().collect();
        // Response folders of users missing from `/user` are still read.
        let mut owners: BTreeSet<String> = user_ids.into_iter().collect();
        owners.extend(
            self.documents
                .folders
                .iter()
                .filter(|f| f.parent_collection == ParentType::User && f.name == RESPONSES)
                .map(|f| f.parent_id.clone()),
        );
        for user in owners {
            for responses in self.children(&user, ParentType::User) {
                if responses.name != RESPONSES {
                    continue;
                }
                for set_folder in self.children(&responses.id, ParentType::Folder) {
                    self.response_set(&user, set_folder, activity_sets);
                }
            }
        }
        for set in activity_sets.iter_mut() {
            for (user, records) in set.responses.iter_mut() {
                records.sort_by(|a, b| (a.completed, &a.id).cmp(&(b.completed, &b.id)));
                set.users.insert(user.clone());
            }
            set.groups = set
                .users
                .iter()
                .map(|user| {
                    let groups = self
                        .users
                        .get(user)
                        .map(|u| u.groups.clone())
                        .unwrap_or_default();
                    (user.clone(), groups)
                })
                .collect();
        }
    }

    fn response_set(&mut self, user: &str, folder: &Folder, activity_sets: &mut [ActivitySet]) {
        let set_meta: ResponseSetMeta =
            match read_meta(DocumentKind::Folder, &folder.id, &folder.meta) {
                Ok(meta) => meta,
                Err(error) => {
                    self.warnings.push(Warning {
                        kind: DocumentKind::Folder,
                        id: folder.id.clone(),
                        message: format!("{error}; its responses are left out"),
                    });
                    return;
                }
            };
        let index = match &set_meta.activity_set {
            Some(id) => activity_sets.iter().position(|set| set.id == *id),
            None => activity_sets.iter().position(|set| set.name == folder.name),
        };
        let Some(index) = index else {
            self.warn(
                DocumentKind::Folder,
                &folder.id,
                "the response folder matches no activity set; its responses are left out".into(),
            );
            return;
        };
        let mut items = self
            .items
            .get(folder.id.as_str())
            .cloned()
            .unwrap_or_default();
        items.sort_by(|a, b| a.id.cmp(&b.id));
        for item in items {
            match response_record(user, item, &activity_sets[index]) {
                Ok((record, warnings)) => {
                    for message in warnings {
                        self.warn(DocumentKind::Item, &item.id, message);
                    }
                    activity_sets[index]
                        .responses
                        .entry(user.to_owned())
                        .or_default()
                        .push(record);
                }
                Err(message) => self.warn(
                    DocumentKind::Item,
                    &item.id,
                    format!("{message}; the response is left out"),
                ),
            }
        }
    }
}

/// Splits a response item's name, `YYYY-MM-DD Activity Name`.
pub fn split_response_name(name: &str) -> Option<(NaiveDate, &str)> {
    let (date, activity) = name.split_once(' ')?;
    let date = parse_date(date).ok()?;
    let activity = activity.trim();
    (!activity.is_empty()).then_some((date, activity))
}

fn response_record(
    user: &str,
    item: &Item,
    set: &ActivitySet,
) -> std::result::Result<(ResponseRecord, Vec<String>), String> {
    let meta: ResponseItemMeta = serde_json::from_value(item.meta.clone())
        .map_err(|error| format!("`meta`: malformed metadata ({error})"))?;
    let mut warnings = Vec::new();
    let named = split_response_name(&item.name);
    if named.is_none() {
        warnings.push("the name is not `YYYY-MM-DD Activity Name`".to_owned());
    }
    let activity = match (&meta.activity, named) {
        (Some(id), _) => set.activity(id).ok_or_else(|| {
            format!(
                "`meta.activity`: no activity `{id}` in activity set {}",
                set.id
            )
        })?,
        (None, Some((_, name))) => set
            .activities
            .iter()
            .find(|activity| activity.name == name)
            .ok_or_else(|| format!("no activity named `{name}` in activity set {}", set.id))?,
        (None, None) => {
            return Err("neither `meta.activity` nor a name gives the activity".to_owned());
        }
    };
    let version = match &meta.activity_version {
        Some(key) => match activity.version(key) {
            Some(version) => Some(version.id.clone()),
            None => {
                warnings.push(format!(
                    "`meta.activityVersion`: no version `{key}` of activity {}",
                    activity.id
                ));
                None
            }
        },
        None => None,
    };
    Ok((
        ResponseRecord {
            id: item.id.clone(),
            name: item.name.clone(),
            user: user.to_owned(),
            activity_set: set.id.clone(),
            activity: activity.id.clone(),
            version,
            notified: meta.notified,
            reminded: meta.reminded,
            completed: meta.completed,
            date: named.map(|(date, _)| date),
            device: meta.device,
            prompts: meta.prompts,
            options: meta.options,
            responses: meta.responses,
        },
        warnings,
    ))
}
