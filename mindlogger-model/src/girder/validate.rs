//! Checks of the metadata that do not need the rest of the tree.

use super::meta::ActivitySetMeta;
use crate::error::{DocumentKind, Error, GirderProblem, Result};

/// Checks the `meta` of Activity Set folder `id`: at least one owner; every viewer entry keyed by a user id
/// (`is_user`) or `group/<id>`; every grant a user id, `group/<id>` or `folder/<id>` (this set's id).
pub fn activity_set(
    id: &str,
    meta: &ActivitySetMeta,
    is_user: impl Fn(&str) -> bool,
) -> Result<()> {
    let error = |field: String, problem| Error::Girder {
        kind: DocumentKind::Folder,
        id: id.to_owned(),
        field,
        problem: Box::new(problem),
    };
    if meta
        .members
        .owners
        .iter()
        .all(|owner| owner.trim().is_empty())
    {
        return Err(error("meta.members.owners".into(), GirderProblem::NoOwner));
    }
    for (viewer, grants) in &meta.members.viewers {
        if group(viewer).is_none() && !is_user(viewer) {
            return Err(error(
                "meta.members.viewers".into(),
                GirderProblem::ViewerEntry(viewer.clone()),
            ));
        }
        for (index, grant) in grants.iter().enumerate() {
            let valid = group(grant).is_some()
                || grant.strip_prefix("folder/") == Some(id)
                || is_user(grant);
            if !valid {
                return Err(error(
                    format!("meta.members.viewers.{viewer}[{index}]"),
                    GirderProblem::ViewerGrant(grant.clone()),
                ));
            }
        }
    }
    Ok(())
}

/// The group id of `group/<id>`.
pub(crate) fn group(entry: &str) -> Option<&str> {
    entry
        .strip_prefix("group/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
}
