//! Which users' responses an account may see in an Activity Set.

use std::collections::BTreeMap;

use serde::Serialize;

use super::document::User;
use super::tree::ActivitySet;
use super::validate::group;

/// Why an account may see a user's responses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Reason {
    /// The account owns the set: every user.
    Owner,
    /// The account manages the set: every user.
    Manager,
    /// A viewer entry: `viewer` is the entry's key (the account's id, or `group/<id>` of a group it is in),
    /// `grant` the value that names the user (the user's id, `group/<id>`, or `folder/<set id>`).
    Viewer { viewer: String, grant: String },
    /// The account's own responses.
    Own,
}

/// The users an account may see in one Activity Set, each with the first reason (in the order of
/// [`Reason`]: owner, manager, viewer entries in key order, own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Visibility {
    pub account: String,
    pub activity_set: String,
    pub users: BTreeMap<String, Reason>,
}

impl Visibility {
    pub fn can_see(&self, user: &str) -> bool {
        self.users.contains_key(user)
    }
}

/// The users of `set` whose responses `account` may see: owners and managers all of the set's users; viewers
/// the users their entries (keyed by their id or by `group/<id>` of one of their groups) grant, a grant being a
/// user id, `group/<id>` (the set's users in that group, [`ActivitySet::groups`]) or `folder/<set id>` (all);
/// users their own. Editors see no responses. Only users of the set ([`ActivitySet::users`]) are ever
/// granted.
pub fn visible_users(set: &ActivitySet, account: &User) -> Visibility {
    let mut users = BTreeMap::new();
    let members = &set.meta.members;
    let grant_all = |reason: Reason, users: &mut BTreeMap<String, Reason>| {
        for user in &set.users {
            users.entry(user.clone()).or_insert_with(|| reason.clone());
        }
    };
    if members.owners.contains(&account.id) {
        grant_all(Reason::Owner, &mut users);
    }
    if members.managers.contains(&account.id) {
        grant_all(Reason::Manager, &mut users);
    }
    for (viewer, grants) in &members.viewers {
        let applies = *viewer == account.id
            || group(viewer).is_some_and(|id| account.groups.iter().any(|g| g == id));
        if !applies {
            continue;
        }
        for grant in grants {
            let reason = Reason::Viewer {
                viewer: viewer.clone(),
                grant: grant.clone(),
            };
            if grant.strip_prefix("folder/") == Some(set.id.as_str()) {
                grant_all(reason, &mut users);
            } else if let Some(id) = group(grant) {
                for user in &set.users {
                    if set
                        .groups
                        .get(user)
                        .is_some_and(|groups| groups.iter().any(|g| g == id))
                    {
                        users.entry(user.clone()).or_insert_with(|| reason.clone());
                    }
                }
            } else if set.users.contains(grant) {
                users.entry(grant.clone()).or_insert(reason);
            }
        }
    }
    if set.users.contains(&account.id) {
        users.entry(account.id.clone()).or_insert(Reason::Own);
    }
    Visibility {
        account: account.id.clone(),
        activity_set: set.id.clone(),
        users,
    }
}
