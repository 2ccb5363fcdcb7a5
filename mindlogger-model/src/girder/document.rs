//! Generic Girder documents as the REST API returns them (`GET /collection`, `GET /folder`, `GET /item`,
//! `GET /user`). Only the fields the model reads are named; everything else is kept in `other`, so a document
//! written back is the document read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Girder collection (`GET /collection`): the top of a tree of folders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub meta: Value,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// What a folder hangs from (`parentCollection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParentType {
    Collection,
    Folder,
    User,
}

/// A Girder folder (`GET /folder?parentType=..&parentId=..`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub parent_id: String,
    pub parent_collection: ParentType,
    /// The collection or user at the root of the tree this folder is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_parent_type: Option<ParentType>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub meta: Value,
    /// ISO 8601 as Girder writes it (`2026-03-01T10:00:00.123000+00:00`): read with [`Folder::created_at`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A Girder item (`GET /item?folderId=..`): a screen of an activity version, or a submitted response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub folder_id: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub meta: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A Girder user (`GET /user`). `groups` lists the ids of the Girder groups the user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(rename = "_id")]
    pub id: String,
    pub login: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// Every document of one Girder server, as the loader returns them (each list deduplicated by id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GirderDocuments {
    #[serde(default)]
    pub collections: Vec<Collection>,
    #[serde(default)]
    pub folders: Vec<Folder>,
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default)]
    pub users: Vec<User>,
}

impl Folder {
    /// `created` as an instant (`None` when absent or not ISO 8601).
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created.as_deref().and_then(parse_instant)
    }
}

impl Item {
    /// `created` as an instant (`None` when absent or not ISO 8601).
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created.as_deref().and_then(parse_instant)
    }
}

/// An ISO 8601 instant as Girder writes it: RFC 3339, or without an offset (then UTC, as Girder's encoder
/// writes naive datetimes).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(instant.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn girder_instants() {
        let with_offset = parse_instant("2026-03-01T10:00:00.123000+00:00").unwrap();
        assert_eq!(with_offset.to_rfc3339(), "2026-03-01T10:00:00.123+00:00");
        let naive = parse_instant("2026-03-01T10:00:00").unwrap();
        assert_eq!(naive.to_rfc3339(), "2026-03-01T10:00:00+00:00");
        assert_eq!(parse_instant("yesterday"), None);
    }

    #[test]
    fn unknown_fields_are_kept() {
        let text = r#"{"_id":"f1","name":"Responses","parentId":"u1","parentCollection":"user","public":false,"size":0}"#;
        let folder: Folder = serde_json::from_str(text).unwrap();
        assert_eq!(folder.parent_collection, ParentType::User);
        assert_eq!(folder.other["public"], false);
        let back: Value = serde_json::to_value(&folder).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
    }
}
