//! Sharing by role (`mtdata share`): the decoded tables of a MindLogger Activity Set and its Girder response
//! records, restricted to the users one account may see
//! ([`mindlogger_model::girder::visible_users`]), for a folder of their own with a manifest of who is in it
//! and why.
//!
//! A row is shared only when every person it names may be seen: its respondent (`userId`; `user_id` in the
//! journey) must be one of the visible users, and `target_id`, `source_id`, `input_id` and `legacy_user_id`
//! must be empty or visible users too. Shared rows are copied byte for byte; the header always is. A Girder
//! response record is shared when its user is visible. [`share_set`] is pure; [`read_applet_tables`] and
//! [`write_share`] do the file work.
//!
//! ```
//! use std::collections::{BTreeSet, HashMap};
//! use mtdata_decode::share::filter_csv;
//!
//! let csv = b"userId,item_response,target_id\nu1,fine,\nu2,\"sad, alone\",\nu1,ok,u2\n";
//! let visible: BTreeSet<String> = ["u1".to_owned()].into();
//! let seen = |id: Option<&str>| id.is_none_or(|id| id.is_empty() || visible.contains(id));
//! let shared = filter_csv(csv, &["userId"], |row| {
//!     row.get("userId").is_some_and(|id| visible.contains(id)) && seen(row.get("target_id"))
//! })?;
//! assert_eq!(shared.bytes, b"userId,item_response,target_id\nu1,fine,\n");
//! assert_eq!((shared.rows, shared.withheld), (1, 2));
//! # Ok::<(), String>(())
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use mindlogger_model::girder::{ActivitySet, Reason, ResponseRecord, Visibility};
use mtdata_core::decoded::mindlogger::{
    JOURNEY_FILE, JourneyColumn, RESPONSES_FILE, ResponseColumn, WIDE_FOLDER,
};
use mtdata_core::fsutil::{self, ensure_private_dir};
use serde::Serialize;

use crate::error::{Error, Result};

/// The manifest of a share folder: who is in it and why, and what each file holds.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The Girder response records of the visible users, per Activity Set folder.
pub const GIRDER_RESPONSES_FILE: &str = "girder_responses.json";

/// The decoded files of one applet as `mtdata decode` wrote them (`active_data/mindlogger/<applet id>/`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppletTables {
    pub responses: Option<Vec<u8>>,
    pub journey: Option<Vec<u8>>,
    /// `wide/<file>` and its bytes, by file name.
    pub wide: Vec<(String, Vec<u8>)>,
}

/// One file of a share, relative to the Activity Set's folder (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    pub path: String,
    pub bytes: Vec<u8>,
    /// Rows (or records) shared.
    pub rows: u64,
    /// Rows (or records) left out: for the person running the share, not for the manifest.
    pub withheld: u64,
}

/// What one account receives of one Activity Set.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedSet {
    pub visibility: Visibility,
    pub name: String,
    pub files: Vec<SharedFile>,
}

/// A CSV table with only the rows to share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filtered {
    pub bytes: Vec<u8>,
    pub rows: u64,
    pub withheld: u64,
}

/// The cells of one CSV row, by column name.
pub struct Cells<'a> {
    header: &'a csv::ByteRecord,
    record: &'a csv::ByteRecord,
}

impl Cells<'_> {
    /// The cell of column `name` (`None` when the table has no such column or the row is short; a cell that
    /// is not UTF-8 is `None` too, so it never matches an id).
    pub fn get(&self, name: &str) -> Option<&str> {
        let at = self
            .header
            .iter()
            .position(|cell| cell == name.as_bytes())?;
        std::str::from_utf8(self.record.get(at)?).ok()
    }
}

/// The header of `csv` and the rows `keep` accepts, copied byte for byte. `required` columns must be in the
/// header (without them the rows' owners cannot be told).
pub fn filter_csv(
    csv: &[u8],
    required: &[&str],
    mut keep: impl FnMut(&Cells<'_>) -> bool,
) -> std::result::Result<Filtered, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv);
    let (mut header, mut record) = (csv::ByteRecord::new(), csv::ByteRecord::new());
    let read = |reader: &mut csv::Reader<&[u8]>, record: &mut csv::ByteRecord| {
        reader
            .read_byte_record(record)
            .map_err(|error| format!("not CSV ({error})"))
    };
    let mut out = Vec::with_capacity(csv.len().min(1 << 20));
    if !read(&mut reader, &mut header)? {
        return Ok(Filtered {
            bytes: out,
            rows: 0,
            withheld: 0,
        });
    }
    out.extend_from_slice(&csv[..reader.position().byte() as usize]);
    if let Some(missing) = required
        .iter()
        .find(|name| !header.iter().any(|cell| cell == name.as_bytes()))
    {
        return Err(format!(
            "no `{missing}` column, so its rows cannot be told apart; decode again with this mtdata"
        ));
    }
    let (mut rows, mut withheld) = (0, 0);
    loop {
        let start = reader.position().byte() as usize;
        if !read(&mut reader, &mut record)? {
            break;
        }
        let end = reader.position().byte() as usize;
        if keep(&Cells {
            header: &header,
            record: &record,
        }) {
            out.extend_from_slice(&csv[start..end]);
            rows += 1;
        } else {
            withheld += 1;
        }
    }
    Ok(Filtered {
        bytes: out,
        rows,
        withheld,
    })
}

/// Who a row names: its respondent must be visible, the other people empty or visible.
struct People<'a> {
    respondent: &'a str,
    others: Vec<&'a str>,
    visible: &'a BTreeSet<String>,
}

impl People<'_> {
    fn all_visible(&self, cells: &Cells<'_>) -> bool {
        cells
            .get(self.respondent)
            .is_some_and(|id| self.visible.contains(id))
            && self.others.iter().all(|column| {
                cells
                    .get(column)
                    .is_none_or(|id| id.is_empty() || self.visible.contains(id))
            })
    }
}

/// The columns besides the respondent that name a person, in `responses.csv` and the wide tables.
const RESPONSE_PEOPLE: [ResponseColumn; 4] = [
    ResponseColumn::TargetId,
    ResponseColumn::SourceId,
    ResponseColumn::InputId,
    ResponseColumn::LegacyUserId,
];
const JOURNEY_PEOPLE: [JourneyColumn; 4] = [
    JourneyColumn::TargetId,
    JourneyColumn::SourceId,
    JourneyColumn::InputId,
    JourneyColumn::LegacyUserId,
];

/// What `visibility` lets its account see of `set`: its decoded tables (when given) and its Girder response
/// records, each restricted to the visible users. A review (a row with `activity_submission_review_id`) is
/// shared only when the reviewer and the reviewed submission's respondent are both visible; its journey
/// rows follow it. Errors name the file that cannot be read as CSV.
pub fn share_set(
    set: &ActivitySet,
    visibility: &Visibility,
    tables: Option<&AppletTables>,
) -> std::result::Result<SharedSet, String> {
    let visible: BTreeSet<String> = visibility.users.keys().cloned().collect();
    let responses = People {
        respondent: ResponseColumn::UserId.name(),
        others: RESPONSE_PEOPLE.iter().map(|c| c.name()).collect(),
        visible: &visible,
    };
    let journey = People {
        respondent: JourneyColumn::UserId.name(),
        others: JOURNEY_PEOPLE.iter().map(|c| c.name()).collect(),
        visible: &visible,
    };
    let submission = ResponseColumn::ActivitySubmissionId.name();
    let reviewed = ResponseColumn::ActivitySubmissionReviewId.name();
    // The respondent of every submission, and the reviews of submissions of users not visible.
    let mut respondents: HashMap<String, String> = HashMap::new();
    let mut reviews: Vec<(String, String)> = Vec::new();
    if let Some(bytes) = tables.and_then(|t| t.responses.as_ref()) {
        filter_csv(bytes, &[], |cells| {
            if let (Some(id), Some(user)) = (cells.get(submission), cells.get(responses.respondent))
            {
                respondents
                    .entry(id.to_owned())
                    .or_insert_with(|| user.to_owned());
                if let Some(target) = cells.get(reviewed).filter(|target| !target.is_empty()) {
                    reviews.push((id.to_owned(), target.to_owned()));
                }
            }
            false
        })
        .map_err(|e| format!("{RESPONSES_FILE}: {e}"))?;
    }
    let hidden_reviews: BTreeSet<&str> = reviews
        .iter()
        .filter(|(_, target)| {
            !respondents
                .get(target)
                .is_some_and(|user| visible.contains(user))
        })
        .map(|(id, _)| id.as_str())
        .collect();
    let review_visible = |cells: &Cells<'_>| {
        cells
            .get(submission)
            .is_none_or(|id| !hidden_reviews.contains(id))
            && cells.get(reviewed).is_none_or(|target| {
                target.is_empty()
                    || respondents
                        .get(target)
                        .is_some_and(|user| visible.contains(user))
            })
    };
    let mut files = Vec::new();
    let mut add = |path: String, bytes: &[u8], people: &People<'_>| {
        let filtered = filter_csv(bytes, &[people.respondent], |cells| {
            people.all_visible(cells) && review_visible(cells)
        })
        .map_err(|e| format!("{path}: {e}"))?;
        files.push(SharedFile {
            path,
            bytes: filtered.bytes,
            rows: filtered.rows,
            withheld: filtered.withheld,
        });
        Ok::<(), String>(())
    };
    if let Some(tables) = tables {
        if let Some(bytes) = &tables.responses {
            add(RESPONSES_FILE.to_owned(), bytes, &responses)?;
        }
        if let Some(bytes) = &tables.journey {
            add(JOURNEY_FILE.to_owned(), bytes, &journey)?;
        }
        for (name, bytes) in &tables.wide {
            add(format!("{WIDE_FOLDER}/{name}"), bytes, &responses)?;
        }
    }
    let records: Vec<&ResponseRecord> = set
        .records()
        .filter(|r| visible.contains(&r.user))
        .collect();
    let total = set.records().count();
    let mut bytes = serde_json::to_vec_pretty(&records).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    files.push(SharedFile {
        path: GIRDER_RESPONSES_FILE.to_owned(),
        bytes,
        rows: records.len() as u64,
        withheld: (total - records.len()) as u64,
    });
    Ok(SharedSet {
        visibility: visibility.clone(),
        name: set.name.clone(),
        files,
    })
}

/// The manifest of a share: no id of a user left out, no count of what was left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest<'a> {
    pub account: &'a str,
    /// RFC 3339, when the share was made.
    pub created: String,
    pub rule: &'static str,
    pub activity_sets: Vec<ManifestSet<'a>>,
}

/// One Activity Set of a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestSet<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub folder: &'a str,
    pub users: Vec<ManifestUser<'a>>,
    pub files: Vec<ManifestFile>,
}

/// A user whose data is in the share, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestUser<'a> {
    pub user: &'a str,
    pub reason: &'a Reason,
}

/// A file of the share and its row count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestFile {
    pub path: String,
    pub rows: u64,
}

const RULE: &str = "a row is included when its respondent is one of `users` and every other person it names \
(target, source, input, legacy user) is one of them too; users are granted by role: owners and managers see \
every user of the set, viewers the users their entries grant, users their own responses";

/// The manifest of `sets` for `account`, made at `created`.
pub fn manifest<'a>(account: &'a str, created: String, sets: &'a [SharedSet]) -> Manifest<'a> {
    Manifest {
        account,
        created,
        rule: RULE,
        activity_sets: sets
            .iter()
            .map(|set| ManifestSet {
                id: &set.visibility.activity_set,
                name: &set.name,
                folder: &set.visibility.activity_set,
                users: set
                    .visibility
                    .users
                    .iter()
                    .map(|(user, reason)| ManifestUser { user, reason })
                    .collect(),
                files: set
                    .files
                    .iter()
                    .map(|file| ManifestFile {
                        path: format!("{}/{}", set.visibility.activity_set, file.path),
                        rows: file.rows,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Whether `id` may name a folder: 1 to 64 ASCII letters, digits, `-` and `_`, not a Windows device name.
pub fn is_folder_safe(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !mtdata_core::names::is_reserved(id)
}

/// Reads the decoded tables of one applet folder (`None` when the folder does not exist).
pub fn read_applet_tables(dir: &Path) -> Result<Option<AppletTables>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let read = |path: PathBuf| -> Result<Option<Vec<u8>>> {
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::ShareRead { path, source }),
        }
    };
    let mut tables = AppletTables {
        responses: read(dir.join(RESPONSES_FILE))?,
        journey: read(dir.join(JOURNEY_FILE))?,
        wide: Vec::new(),
    };
    let wide_dir = dir.join(WIDE_FOLDER);
    if wide_dir.is_dir() {
        let entries = std::fs::read_dir(&wide_dir).map_err(|source| Error::ShareRead {
            path: wide_dir.clone(),
            source,
        })?;
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".csv") && !name.starts_with('.'))
            .collect();
        names.sort();
        for name in names {
            if let Some(bytes) = read(wide_dir.join(&name))? {
                tables.wide.push((name, bytes));
            }
        }
    }
    Ok(Some(tables))
}

/// Writes a share into `out`, which must not exist or be empty: one owner-only folder per Activity Set, each
/// file written atomically, the manifest last.
pub fn write_share(out: &Path, manifest: &Manifest<'_>, sets: &[SharedSet]) -> Result<()> {
    if std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Error::ShareNotEmpty {
            path: out.to_owned(),
        });
    }
    let failed = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::ShareWrite {
            path,
            source: Box::new(source),
        }
    };
    if let Some(set) = sets
        .iter()
        .find(|set| !is_folder_safe(&set.visibility.activity_set))
    {
        return Err(Error::ShareSetId(mtdata_core::names::shown(
            &set.visibility.activity_set,
        )));
    }
    ensure_private_dir(out).map_err(failed(out))?;
    for set in sets {
        let folder = &set.visibility.activity_set;
        for file in &set.files {
            let path = file
                .path
                .split('/')
                .fold(out.join(folder), |path, part| path.join(part));
            if let Some(parent) = path.parent() {
                ensure_private_dir(parent).map_err(failed(parent))?;
            }
            fsutil::write_atomic(&path, &file.bytes).map_err(failed(&path))?;
        }
    }
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    let path = out.join(MANIFEST_FILE);
    fsutil::write_atomic(&path, &bytes).map_err(failed(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    fn people(visible: &BTreeSet<String>) -> People<'_> {
        People {
            respondent: "userId",
            others: vec!["target_id", "source_id"],
            visible,
        }
    }

    #[test]
    fn rows_naming_anyone_unseen_are_withheld() {
        let csv = "target_id,userId,item_response,source_id\n\
                   ,u1,\"multi\nline, quoted \"\"text\"\"\",\n\
                   u1,u1,plain,u1\n\
                   u2,u1,about u2,\n\
                   ,u2,u2's words,\n\
                   ,u1,from u3,u3\n\
                   ,,nobody,\n";
        let seen = visible(&["u1"]);
        let rule = people(&seen);
        let shared = filter_csv(csv.as_bytes(), &["userId"], |row| rule.all_visible(row)).unwrap();
        assert_eq!(
            String::from_utf8(shared.bytes).unwrap(),
            "target_id,userId,item_response,source_id\n\
             ,u1,\"multi\nline, quoted \"\"text\"\"\",\n\
             u1,u1,plain,u1\n"
        );
        assert_eq!((shared.rows, shared.withheld), (2, 4));
    }

    #[test]
    fn a_table_without_its_respondent_column_is_refused() {
        let error = filter_csv(b"user,answer\nu1,x\n", &["userId"], |_| true).unwrap_err();
        assert_eq!(
            error,
            "no `userId` column, so its rows cannot be told apart; decode again with this mtdata"
        );
        let empty = filter_csv(b"", &["userId"], |_| true).unwrap();
        assert_eq!((empty.bytes.len(), empty.rows), (0, 0));
    }

    /// A set with users u1 (seen by viewer `ra`) and u2, and `rev`, a reviewer who is also a user.
    fn set() -> ActivitySet {
        let documents: mindlogger_model::girder::GirderDocuments = serde_json::from_value(serde_json::json!({
            "collections": [{"_id": "c", "name": "Activity Sets"}],
            "folders": [{"_id": "s1", "name": "EMA", "parentId": "c", "parentCollection": "collection",
                         "meta": {"members": {"owners": ["pi"], "users": ["u1", "u2", "rev"],
                                              "viewers": {"ra": ["u1", "rev"]}}}}],
            "users": [{"_id": "pi", "login": "pi"}, {"_id": "ra", "login": "ra"}, {"_id": "u1", "login": "u1"},
                      {"_id": "u2", "login": "u2"}, {"_id": "rev", "login": "rev"}]
        }))
        .unwrap();
        let tree = mindlogger_model::girder::GirderTree::build(&documents).unwrap();
        tree.activity_sets[0].clone()
    }

    #[test]
    fn reviews_follow_the_reviewed_respondent() {
        let set = set();
        let ra = mindlogger_model::girder::User {
            id: "ra".into(),
            login: "ra".into(),
            email: None,
            groups: vec![],
            other: Default::default(),
        };
        let visibility = mindlogger_model::girder::visible_users(&set, &ra);
        let tables = AppletTables {
            responses: Some(
                b"userId,activity_submission_id,activity_submission_review_id,item_response\n\
                  u1,s-a,,mine\n\
                  u2,s-b,,u2 secret\n\
                  rev,r-a,s-a,review of u1\n\
                  rev,r-b,s-b,review of u2\n"
                    .to_vec(),
            ),
            journey: Some(
                b"user_id,activity_submission_id,item_response\nu1,s-a,x\nrev,r-a,y\nrev,r-b,z\n"
                    .to_vec(),
            ),
            wide: vec![],
        };
        let shared = share_set(&set, &visibility, Some(&tables)).unwrap();
        let text = |i: usize| String::from_utf8(shared.files[i].bytes.clone()).unwrap();
        assert_eq!(
            text(0),
            "userId,activity_submission_id,activity_submission_review_id,item_response\n\
             u1,s-a,,mine\n\
             rev,r-a,s-a,review of u1\n"
        );
        assert_eq!(
            text(1),
            "user_id,activity_submission_id,item_response\nu1,s-a,x\nrev,r-a,y\n"
        );
        assert_eq!(shared.files[2].path, GIRDER_RESPONSES_FILE);
        let paths: Vec<_> = shared
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.rows, f.withheld))
            .collect();
        assert_eq!(
            paths,
            [
                (RESPONSES_FILE, 2, 2),
                (JOURNEY_FILE, 2, 1),
                (GIRDER_RESPONSES_FILE, 0, 0)
            ]
        );
    }

    proptest::proptest! {
        /// Whatever the rows and the visible users: every row of a visible respondent naming only visible
        /// people is kept, byte for byte and in order, and no other user's id or answer is in the output.
        #[test]
        fn only_visible_people_get_through(
            rows in proptest::collection::vec((0usize..5, proptest::option::of(0usize..5), "[a-z ,\"\n]{0,8}"), 0..30),
            seen in proptest::collection::btree_set(0usize..5, 0..5),
        ) {
            let id = |n: usize| format!("user{n}x");
            let visible: BTreeSet<String> = seen.iter().map(|&n| id(n)).collect();
            let mut csv = b"userId,target_id,item_response\n".to_vec();
            let mut expected = csv.clone();
            for (n, (user, target, text)) in rows.iter().enumerate() {
                let mut writer = csv::Writer::from_writer(Vec::new());
                let answer = format!("answer{n}x of {}: {text}", id(*user));
                writer.write_record([id(*user), target.map(id).unwrap_or_default(), answer]).unwrap();
                let line = writer.into_inner().unwrap();
                csv.extend_from_slice(&line);
                if seen.contains(user) && target.is_none_or(|t| seen.contains(&t)) {
                    expected.extend_from_slice(&line);
                }
            }
            let rule = People { respondent: "userId", others: vec!["target_id"], visible: &visible };
            let shared = filter_csv(&csv, &["userId"], |row| rule.all_visible(row)).unwrap();
            proptest::prop_assert_eq!(&shared.bytes, &expected);
            let text = String::from_utf8(shared.bytes).unwrap();
            for n in (0..5).filter(|n| !seen.contains(n)) {
                proptest::prop_assert!(!text.contains(&id(n)));
            }
        }
    }

    #[test]
    fn an_unsafe_set_id_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("share");
        let mut set = SharedSet {
            visibility: Visibility::default(),
            name: "x".into(),
            files: vec![],
        };
        set.visibility.activity_set = "../escape".into();
        let sets = [set];
        let manifest = manifest("ra", "2026-03-01T00:00:00Z".into(), &sets);
        let error = write_share(&out, &manifest, &sets).unwrap_err();
        assert_eq!(
            error.to_string(),
            "share: activity set id \"../escape\" cannot name a folder (letters, digits, - and _ only)"
        );
        assert!(!out.exists());
    }

    #[test]
    fn folder_names() {
        assert!(is_folder_safe("64a1b2c3d4e5f60718293a4b"));
        assert!(is_folder_safe("set-ema_2"));
        for bad in ["", "..", "a/b", "CON", "x y", &"a".repeat(65)] {
            assert!(!is_folder_safe(bad), "{bad:?}");
        }
    }
}
