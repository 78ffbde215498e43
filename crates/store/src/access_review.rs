//! The access review (PRODUCT.md §4): every user with a role, on one resource or on every
//! workspace and folder of the organization, with the explanation of that role. Read a page
//! of users at a time ([`Access::review_page`]), each page in the caller's transaction, so a
//! review of a million users never sits in memory and never holds one long read (which
//! would hold back SQLite's checkpoints). Each page is consistent in itself; pages are read
//! one after another.
//!
//! A page costs a fixed number of statements whatever its size: the users (by keyset on
//! their id), the resources, the groups' grants and the page users' own, the rules and
//! owners, the page users' groups (one query per nesting level) and, with attribute rules,
//! their stored attributes. The roles are `org_model::explain`'s.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::{
    AccessInput, AttributeMatch, Explanation, Folder, Grant, GroupGraph, ResourceRef, Workspace,
    explain,
};

use crate::StoreError;
use crate::access::Access;
use crate::schema::scim_users;

/// Ids per `IN (…)` list.
const CHUNK: usize = 500;

/// One line of a review: a user with a role on a resource, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    /// The user's id.
    pub user_id: String,
    /// Their userName.
    pub user_name: String,
    /// The workspace or folder (a Home folder is its workspace).
    pub resource: ResourceRef,
    /// Its name.
    pub resource_name: String,
    /// The role and every contribution to it, the winner first.
    pub explanation: Explanation,
}

/// One page of a review.
#[derive(Debug, Clone)]
pub struct ReviewPage {
    /// The rows, by user id, then resource in the organization's order (workspaces oldest
    /// first, each followed by its folders).
    pub rows: Vec<ReviewRow>,
    /// The groups of the page's users, named (for the chains of the explanations).
    pub groups: GroupGraph,
    /// The user id to read the next page after; `None`: this was the last page.
    pub next_after: Option<String>,
}

impl Access<'_, '_> {
    /// The review rows of the `limit` users whose id follows `after` (`""`: the first),
    /// on `resource` (every workspace and folder when `None`); [`StoreError::NotFound`]
    /// when `resource` is not the organization's.
    pub fn review_page(
        &mut self,
        org_id: &str,
        resource: Option<&ResourceRef>,
        after: &str,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<ReviewPage, StoreError> {
        let entries = self.review_entries(org_id, resource)?;
        let limit = limit.max(1);
        let users: Vec<(String, String, Option<bool>)> = scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .filter(scim_users::id.gt(after))
            .order(scim_users::id)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select((scim_users::id, scim_users::user_name, scim_users::active))
            .load(self.tx.conn)?;
        let next_after = (users.len() == limit).then(|| users[limit - 1].0.clone());
        let active: Vec<String> = users
            .iter()
            .filter(|(_, _, active)| active.unwrap_or(true))
            .map(|(id, _, _)| id.clone())
            .collect();
        let tx = &mut *self.tx;
        let mut grants = tx.group_grants(org_id)?;
        for chunk in active.chunks(CHUNK) {
            grants.extend(tx.grants_of_users(org_id, chunk)?);
        }
        let mut on: HashMap<ResourceRef, Vec<Grant>> = HashMap::new();
        for grant in grants {
            on.entry(grant.resource.clone()).or_default().push(grant);
        }
        let rules = tx.rules().list(org_id)?;
        let owners = tx.orgs().settings(org_id)?.owners;
        let groups = tx.groups_above(org_id, &active)?;
        let compiled = tx.attribute_rules(org_id)?;
        let matches = tx.attribute_matches(org_id, &compiled, &active)?;
        // Each resource's grants (its workspace's and, for a folder, its own), gathered once
        // for the page rather than once per user.
        let in_scope: Vec<(ResourceRef, Vec<Grant>)> = entries
            .iter()
            .map(|(workspace, folder)| {
                let on_workspace = ResourceRef::Workspace(workspace.id.clone());
                let mut held: Vec<Grant> = on.get(&on_workspace).cloned().unwrap_or_default();
                let resource = match folder {
                    Some(folder) => {
                        let id = ResourceRef::Folder(folder.id.clone());
                        held.extend(on.get(&id).into_iter().flatten().cloned());
                        id
                    }
                    None => on_workspace,
                };
                (resource, held)
            })
            .collect();
        let mut rows = Vec::new();
        for (user_id, user_name, is_active) in &users {
            if !is_active.unwrap_or(true) {
                continue;
            }
            let found: &[AttributeMatch] =
                matches.get(user_id).map(Vec::as_slice).unwrap_or_default();
            for ((workspace, folder), (resource, held)) in entries.iter().zip(&in_scope) {
                let explanation = explain(&AccessInput {
                    user_id,
                    active: true,
                    org_owner: owners.contains(user_id),
                    groups: &groups,
                    workspace,
                    folder: folder.as_ref(),
                    grants: held,
                    rules: &rules,
                    attribute_matches: found,
                    now,
                });
                if explanation.role.is_some() {
                    rows.push(ReviewRow {
                        user_id: user_id.clone(),
                        user_name: user_name.clone(),
                        resource: resource.clone(),
                        resource_name: folder
                            .as_ref()
                            .map_or(&workspace.name, |folder| &folder.name)
                            .clone(),
                        explanation,
                    });
                }
            }
        }
        Ok(ReviewPage {
            rows,
            groups,
            next_after,
        })
    }

    /// The resources a review covers: `resource` (a Home folder stands for its workspace),
    /// or every workspace, each followed by its folders other than Home.
    fn review_entries(
        &mut self,
        org_id: &str,
        resource: Option<&ResourceRef>,
    ) -> Result<Vec<(Workspace, Option<Folder>)>, StoreError> {
        let tx = &mut *self.tx;
        match resource {
            Some(ResourceRef::Workspace(id)) => Ok(vec![(tx.workspaces().get(org_id, id)?, None)]),
            Some(ResourceRef::Folder(id)) => {
                let folder = tx.workspaces().folder(org_id, id)?;
                let workspace = tx.workspaces().get(org_id, &folder.workspace_id)?;
                let folder = (workspace.home_folder_id != folder.id).then_some(folder);
                Ok(vec![(workspace, folder)])
            }
            None => {
                let mut folders: HashMap<String, Vec<Folder>> = HashMap::new();
                for folder in tx.workspaces().all_folders(org_id)? {
                    folders
                        .entry(folder.workspace_id.clone())
                        .or_default()
                        .push(folder);
                }
                let mut entries = Vec::new();
                for workspace in tx.workspaces().list(org_id)? {
                    let inside = folders.remove(&workspace.id).unwrap_or_default();
                    entries.push((workspace.clone(), None));
                    for folder in inside {
                        if folder.id != workspace.home_folder_id {
                            entries.push((workspace.clone(), Some(folder)));
                        }
                    }
                }
                Ok(entries)
            }
        }
    }
}
