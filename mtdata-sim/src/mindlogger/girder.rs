//! The generic Girder routes of the v1 simulator, under `/api/v1/`, as Girder answers them: a JSON array
//! of documents, `limit` (default 50, `0` for all) and `offset` (default 0) paging, `Girder-Token`
//! required.
//!
//! - `GET /collection`: every collection.
//! - `GET /folder?parentType=collection|folder|user&parentId=ID`: the folders of a parent (400 without
//!   both parameters, as Girder).
//! - `GET /item?folderId=ID`: the items of a folder (400 without it).
//! - `GET /user`: every user.
//!
//! The structure served comes from a fixture folder ([`GirderStructure::from_folder`]: `collection.json`,
//! `folder.json`, `item.json`, `user.json`, each a JSON array of documents) or from the generator
//! ([`super::girder_gen`]). Documents are served exactly as stored, so hostile ids and names reach the
//! exporter as they are. [`super::SimOptions::girder_ignore_offset`] makes every listing ignore `offset`
//! (a listing that never ends).

use std::io;
use std::path::Path;

use serde_json::Value;

use super::{State, TokenProblem, json_body};
use crate::http::{Request, Response};

/// The Girder documents a simulator serves, by kind, in listing order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GirderStructure {
    pub collections: Vec<Value>,
    pub folders: Vec<Value>,
    pub items: Vec<Value>,
    pub users: Vec<Value>,
}

/// The kinds of document, by the route that lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GirderKind {
    Collection,
    Folder,
    Item,
    User,
}

impl GirderKind {
    /// The route and the fixture file's stem: `collection`, `folder`, `item`, `user`.
    pub fn name(self) -> &'static str {
        match self {
            GirderKind::Collection => "collection",
            GirderKind::Folder => "folder",
            GirderKind::Item => "item",
            GirderKind::User => "user",
        }
    }

    pub const ALL: [GirderKind; 4] = [
        GirderKind::Collection,
        GirderKind::Folder,
        GirderKind::Item,
        GirderKind::User,
    ];
}

impl GirderStructure {
    /// Read `collection.json`, `folder.json`, `item.json` and `user.json` of `dir` (each a JSON array of
    /// documents; a missing file is an error naming it).
    pub fn from_folder(dir: &Path) -> io::Result<Self> {
        let mut structure = GirderStructure::default();
        for kind in GirderKind::ALL {
            let path = dir.join(format!("{}.json", kind.name()));
            let text = std::fs::read(&path).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
            })?;
            let documents: Vec<Value> = serde_json::from_slice(&text).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not a JSON array of documents: {e}", path.display()),
                )
            })?;
            *structure.of_mut(kind) = documents;
        }
        Ok(structure)
    }

    pub fn of(&self, kind: GirderKind) -> &Vec<Value> {
        match kind {
            GirderKind::Collection => &self.collections,
            GirderKind::Folder => &self.folders,
            GirderKind::Item => &self.items,
            GirderKind::User => &self.users,
        }
    }

    pub fn of_mut(&mut self, kind: GirderKind) -> &mut Vec<Value> {
        match kind {
            GirderKind::Collection => &mut self.collections,
            GirderKind::Folder => &mut self.folders,
            GirderKind::Item => &mut self.items,
            GirderKind::User => &mut self.users,
        }
    }

    /// The `_id`s of one kind, in order.
    pub fn ids(&self, kind: GirderKind) -> Vec<String> {
        self.of(kind)
            .iter()
            .filter_map(|d| d.get("_id").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    /// The documents one listing request selects, before paging.
    fn select(&self, kind: GirderKind, req: &Request) -> Result<Vec<&Value>, Response> {
        let field_is = |doc: &Value, field: &str, wanted: &str| {
            doc.get(field).and_then(Value::as_str) == Some(wanted)
        };
        match kind {
            GirderKind::Collection | GirderKind::User => Ok(self.of(kind).iter().collect()),
            GirderKind::Folder => {
                let (Some(parent_type), Some(parent_id)) =
                    (req.param("parentType"), req.param("parentId"))
                else {
                    return Err(super::v1::error(
                        400,
                        "Parameter \"parentType\" and \"parentId\" are required.",
                    ));
                };
                if !matches!(parent_type, "collection" | "folder" | "user") {
                    return Err(super::v1::error(
                        400,
                        &format!("Invalid value for parentType: \"{parent_type}\"."),
                    ));
                }
                Ok(self
                    .folders
                    .iter()
                    .filter(|f| {
                        field_is(f, "parentCollection", parent_type)
                            && field_is(f, "parentId", parent_id)
                    })
                    .collect())
            }
            GirderKind::Item => {
                let Some(folder) = req.param("folderId") else {
                    return Err(super::v1::error(400, "Parameter \"folderId\" is required."));
                };
                Ok(self
                    .items
                    .iter()
                    .filter(|i| field_is(i, "folderId", folder))
                    .collect())
            }
        }
    }
}

/// `GET /collection|folder|item|user` for a logged-in session.
pub(crate) fn list(
    st: &mut State,
    req: &Request,
    kind: GirderKind,
    token_lifetime: super::TokenLifetime,
    ignore_offset: bool,
) -> Response {
    match st.session(req.header("girder-token"), token_lifetime) {
        Ok(_) => {}
        Err(TokenProblem::Missing) => return super::v1::error(401, "You must be logged in."),
        Err(_) => return super::v1::error(401, "Invalid or expired token."),
    }
    let number = |name: &str, default: usize| -> Result<usize, Response> {
        match req.param(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                super::v1::error(400, &format!("Invalid value for {name}: \"{text}\"."))
            }),
        }
    };
    let (limit, offset) = match (number("limit", 50), number("offset", 0)) {
        (Ok(limit), Ok(offset)) => (limit, if ignore_offset { 0 } else { offset }),
        (Err(bad), _) | (_, Err(bad)) => return bad,
    };
    let selected = match st.girder.select(kind, req) {
        Ok(selected) => selected,
        Err(bad) => return bad,
    };
    let page: Vec<&Value> = match limit {
        0 => selected.into_iter().skip(offset).collect(),
        n => selected.into_iter().skip(offset).take(n).collect(),
    };
    let body = Value::Array(page.into_iter().cloned().collect());
    Response::new(200, json_body(&body))
}
