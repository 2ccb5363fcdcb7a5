//! MindLogger vocabulary shared by config, export and decode (`docs/mindlogger.md`): which API a
//! server speaks, applet ids (checked before they become folder names) and the run file that marks
//! a complete export run.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The MindLogger server generation a block talks to (`PLATFORM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MindLoggerApi {
    /// The Girder server (`https://api.mindlogger.org/api/v1/`), retired in 2023.
    #[serde(rename = "mindlogger-v1")]
    V1,
    /// The FastAPI server (`https://api-v2.mindlogger.org/`).
    #[serde(rename = "mindlogger-v2")]
    V2,
}

impl MindLoggerApi {
    /// The `PLATFORM` value: `mindlogger-v1` or `mindlogger-v2`.
    pub fn as_str(self) -> &'static str {
        match self {
            MindLoggerApi::V1 => "mindlogger-v1",
            MindLoggerApi::V2 => "mindlogger-v2",
        }
    }

    /// What an applet id looks like on this server, for messages.
    pub fn id_form(self) -> &'static str {
        match self {
            MindLoggerApi::V1 => "24 hexadecimal digits",
            MindLoggerApi::V2 => "a UUID such as 0b9a6d2e-4f5c-4c1e-9a55-7f3d2b1c0e8f",
        }
    }
}

impl fmt::Display for MindLoggerApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An applet id that is safe as a folder name: 24 hex digits (v1 Girder ObjectId) or a UUID (v2),
/// kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppletId(String);

/// Text that is not an applet id of the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not an applet id ({expected})")]
pub struct InvalidAppletId {
    /// The text, cut to 80 characters.
    pub text: String,
    pub expected: &'static str,
}

impl AppletId {
    /// An id of `api`'s form.
    pub fn new(api: MindLoggerApi, text: &str) -> Result<Self, InvalidAppletId> {
        let ok = match api {
            MindLoggerApi::V1 => is_object_id(text),
            MindLoggerApi::V2 => is_uuid(text),
        };
        match ok {
            true => Ok(AppletId(text.to_ascii_lowercase())),
            false => Err(invalid(text, api.id_form())),
        }
    }

    /// An id of either form (a folder name read back from `raw_data/mindlogger/`).
    pub fn parse_any(text: &str) -> Result<Self, InvalidAppletId> {
        match is_object_id(text) || is_uuid(text) {
            true => Ok(AppletId(text.to_ascii_lowercase())),
            false => Err(invalid(text, "24 hexadecimal digits or a UUID")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The applet's entry in `benchMark.json`: `mindlogger/<applet id>`.
    pub fn mark_key(&self) -> String {
        format!("mindlogger/{}", self.0)
    }
}

impl fmt::Display for AppletId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AppletId {
    type Error = InvalidAppletId;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        AppletId::parse_any(&text)
    }
}

impl From<AppletId> for String {
    fn from(id: AppletId) -> String {
        id.0
    }
}

fn invalid(text: &str, expected: &'static str) -> InvalidAppletId {
    InvalidAppletId {
        text: text.chars().take(80).collect(),
        expected,
    }
}

fn is_object_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A Girder document id (a 24-hex ObjectId, kept in lower case) that is safe in a file name: the ids of
/// the parents whose folders and items an export lists name the files of `raw_data/girder/`
/// ([`crate::layout::GirderFile`]). A server may send anything as an `_id`; only this form is accepted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GirderId(String);

/// Text that is not a Girder ObjectId.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a Girder id (24 hexadecimal digits)", crate::names::shown(.text))]
pub struct InvalidGirderId {
    /// The text as the server sent it.
    pub text: String,
}

impl GirderId {
    pub fn parse(text: &str) -> Result<Self, InvalidGirderId> {
        match is_object_id(text) {
            true => Ok(GirderId(text.to_ascii_lowercase())),
            false => Err(InvalidGirderId {
                text: text.to_owned(),
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GirderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for GirderId {
    type Error = InvalidGirderId;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        GirderId::parse(&text)
    }
}

impl From<GirderId> for String {
    fn from(id: GirderId) -> String {
        id.0
    }
}

/// `raw_data/girder/run_<stamp>.json`, written last in a walk of the Girder structure, after every page
/// of the walk is durable. The loader reads only walks that have one, so a killed export never counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GirderRunRecord {
    /// Pages saved by the walk (every listing's pages).
    pub pages: u32,
    /// Distinct documents listed, by kind.
    pub collections: u64,
    pub folders: u64,
    pub items: u64,
    pub users: u64,
    /// The page size asked for (`limit`).
    pub limit: u32,
    /// Listings the server refused to this account (HTTP 403), described as `GET /folder?...`: what the
    /// account may not read is not in the walk.
    #[serde(default)]
    pub refused: Vec<String>,
    /// Always true; a run file exists only for a complete walk.
    pub complete: bool,
}

/// `run_<stamp>.json`, written last in an export run, after every page of the run is durable.
/// Decode reads only runs that have one, so a killed export never contributes half a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub platform: MindLoggerApi,
    pub applet: AppletId,
    /// Data pages of the run: `data_<stamp>_0000.json` up to `pages - 1`.
    pub pages: u32,
    /// The lower bound of the run, `YYYY-MM-DDTHH:MM:SS` in UTC: v2 the `fromDate` sent, v1 the
    /// `created` before which a page ended the run. `None` for a run of everything.
    pub from_date: Option<String>,
    /// Always true; a run file exists only for a complete run.
    pub complete: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applet_ids_are_checked_per_api() {
        let v1 = AppletId::new(MindLoggerApi::V1, "5F0E35523477DE8B4A528DD0").unwrap();
        assert_eq!(v1.as_str(), "5f0e35523477de8b4a528dd0");
        assert_eq!(v1.mark_key(), "mindlogger/5f0e35523477de8b4a528dd0");
        let v2 = "c48b275d-db4b-4f79-8469-9198b45985d3";
        assert!(AppletId::new(MindLoggerApi::V2, v2).is_ok());
        assert!(AppletId::new(MindLoggerApi::V1, v2).is_err());
        for bad in [
            "",
            "../../etc/passwd",
            "5f0e35523477de8b4a528dd",
            "5f0e35523477de8b4a528dd0/",
            "c48b275d-db4b-4f79-8469-9198b45985dz",
            "c48b275ddb4b4f7984699198b45985d3",
        ] {
            assert!(AppletId::parse_any(bad).is_err(), "{bad}");
        }
        let err = AppletId::new(MindLoggerApi::V2, "x/y").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"x/y\" is not an applet id (a UUID such as 0b9a6d2e-4f5c-4c1e-9a55-7f3d2b1c0e8f)"
        );
    }

    #[test]
    fn girder_ids_are_object_ids() {
        let id = GirderId::parse("5F0E35523477DE8B4A528DD0").unwrap();
        assert_eq!(id.as_str(), "5f0e35523477de8b4a528dd0");
        for bad in [
            "",
            "../../etc/passwd",
            "5f0e35523477de8b4a528dd",
            "5f0e35523477de8b4a528dd0/..",
            "5f0e35523477de8b4a528dz0",
            "c48b275d-db4b-4f79-8469-9198b45985d3",
        ] {
            assert!(GirderId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            GirderId::parse("../x\n").unwrap_err().to_string(),
            "\"../x\\n\" is not a Girder id (24 hexadecimal digits)"
        );
        assert!(serde_json::from_str::<GirderId>("\"../../5f0e35523477de8b\"").is_err());
    }

    #[test]
    fn run_record_has_the_contract_fields() {
        let record = RunRecord {
            platform: MindLoggerApi::V2,
            applet: AppletId::parse_any("c48b275d-db4b-4f79-8469-9198b45985d3").unwrap(),
            pages: 3,
            from_date: Some("2024-03-01T09:00:00".into()),
            complete: true,
        };
        let text = serde_json::to_string(&record).unwrap();
        assert_eq!(
            text,
            r#"{"platform":"mindlogger-v2","applet":"c48b275d-db4b-4f79-8469-9198b45985d3","pages":3,"from_date":"2024-03-01T09:00:00","complete":true}"#
        );
        assert_eq!(serde_json::from_str::<RunRecord>(&text).unwrap(), record);
        assert!(serde_json::from_str::<RunRecord>(&text.replace("c48b", "../x")).is_err());
    }
}
