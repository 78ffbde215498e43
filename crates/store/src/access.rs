//! What the effective-access questions of `org-model` need, read from the database in the
//! caller's transaction: the facts about one resource (its workspace, the folder, the grants
//! on both, the org's rules), about one user (active, and the groups they belong to,
//! transitively, with names), and for the reverse query every user who could have a role.
//! The answers themselves are `org_model::explain` / `who_has_access`: pure functions.
//! Org owners are the users the organization's settings name (`OrgSettings::owners`).
//! The area [`Access`] also records joins: a user's first access to a resource.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::{
    AccessInput, AttributeMatch, Candidate, Explanation, Folder, Grant, GroupGraph, ResourceRef,
    Role, Rule, Workspace, explain, glob_matches, who_has_access,
};

use crate::grants::{GrantFilter, resource_parts};
use crate::schema::{group_members, joins, scim_groups, scim_users};
use crate::{StoreError, Tx, timestamp};

/// Ids per `IN (…)` list.
const CHUNK: usize = 500;

/// The facts about one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceFacts {
    /// The workspace (the resource, or the folder's).
    pub workspace: Workspace,
    /// The folder, when the resource is one (the Home folder included).
    pub folder: Option<Folder>,
    /// The grants on the workspace and on the folder.
    pub grants: Vec<Grant>,
    /// The organization's group mapping rules.
    pub rules: Vec<Rule>,
}

/// The facts about one user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFacts {
    /// Whether the user is active (a user without `active` is).
    pub active: bool,
    /// The groups the user belongs to, transitively, with their display names.
    pub groups: GroupGraph,
    /// The attribute rules the user's stored attributes match.
    pub attribute_matches: Vec<AttributeMatch>,
}

/// Everyone who could have a role on a resource, and their groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidates {
    /// `(user id, active)`, sorted by id.
    pub users: Vec<(String, bool)>,
    /// The memberships that connect them to the granted and rule-matched groups.
    pub groups: GroupGraph,
    /// The attribute rules on the resource's workspace each user matches (by SQL).
    pub attribute_matches: HashMap<String, Vec<AttributeMatch>>,
}

impl Candidates {
    /// The attribute rules `user` matches.
    pub fn matches_of(&self, user: &str) -> &[AttributeMatch] {
        self.attribute_matches
            .get(user)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

impl<'c> Tx<'c> {
    /// The effective-access questions, and joins.
    pub fn access(&mut self) -> Access<'_, 'c> {
        Access { tx: self }
    }
}

/// The effective-access questions and the joins, in a transaction ([`Tx::access`]).
#[derive(Debug)]
pub struct Access<'t, 'c> {
    pub(crate) tx: &'t mut Tx<'c>,
}

impl Access<'_, '_> {
    /// The workspace, folder, grants and rules for questions about `resource`.
    pub fn resource_facts(
        &mut self,
        org_id: &str,
        resource: &ResourceRef,
    ) -> Result<ResourceFacts, StoreError> {
        let (workspace, folder) = match resource {
            ResourceRef::Workspace(id) => (self.tx.workspaces().get(org_id, id)?, None),
            ResourceRef::Folder(id) => {
                let folder = self.tx.workspaces().folder(org_id, id)?;
                (
                    self.tx.workspaces().get(org_id, &folder.workspace_id)?,
                    Some(folder),
                )
            }
        };
        let mut grants = self.tx.grants().list(
            org_id,
            &GrantFilter {
                principal: None,
                resource: Some(ResourceRef::Workspace(workspace.id.clone())),
            },
        )?;
        if let Some(folder) = &folder {
            grants.extend(self.tx.grants().list(
                org_id,
                &GrantFilter {
                    principal: None,
                    resource: Some(ResourceRef::Folder(folder.id.clone())),
                },
            )?);
        }
        Ok(ResourceFacts {
            workspace,
            folder,
            grants,
            rules: self.tx.rules().list(org_id)?,
        })
    }

    /// Whether the user is active, and every group they belong to (transitively).
    /// [`StoreError::NotFound`] when the organization has no such user.
    pub fn user_facts(&mut self, org_id: &str, user_id: &str) -> Result<UserFacts, StoreError> {
        let active: Option<Option<bool>> = scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .filter(scim_users::id.eq(user_id))
            .select(scim_users::active)
            .first(self.tx.conn)
            .optional()?;
        let active = active.ok_or(StoreError::NotFound)?.unwrap_or(true);
        let groups = self.tx.groups_above(org_id, &[user_id.to_owned()])?;
        let rules = self.tx.attribute_rules(org_id)?;
        let attribute_matches = self
            .tx
            .attribute_matches(org_id, &rules, &[user_id.to_owned()])?
            .remove(user_id)
            .unwrap_or_default();
        Ok(UserFacts {
            active,
            groups,
            attribute_matches,
        })
    }

    /// Every user who could hold a role on the resource of `facts`: the org's `owners`, the
    /// users granted on it, the members (transitively) of the groups granted on it or
    /// matched by a group rule, and the users matching an attribute rule on its workspace
    /// (found by SQL).
    pub fn candidates(
        &mut self,
        org_id: &str,
        facts: &ResourceFacts,
        owners: &[String],
    ) -> Result<Candidates, StoreError> {
        let mut users: HashSet<String> = owners.iter().cloned().collect();
        let mut roots: HashSet<String> = HashSet::new();
        for grant in &facts.grants {
            match &grant.principal {
                org_model::Principal::User(id) => {
                    users.insert(id.clone());
                }
                org_model::Principal::Group(id) => {
                    roots.insert(id.clone());
                }
            }
        }
        let mut attribute_matches: HashMap<String, Vec<AttributeMatch>> = HashMap::new();
        if facts.rules.iter().any(|rule| rule.filter().is_some()) {
            let compiled = self.tx.attribute_rules(org_id)?;
            for rule in compiled
                .iter()
                .filter(|compiled| glob_matches(&compiled.rule.workspaces, &facts.workspace.name))
            {
                let attribute = crate::attribute_rules::first_attribute(&rule.filter);
                for user in self.tx.users_matching(org_id, rule)? {
                    attribute_matches
                        .entry(user.clone())
                        .or_default()
                        .push(AttributeMatch {
                            rule_id: rule.rule.id.clone(),
                            attribute: attribute.clone(),
                        });
                    users.insert(user);
                }
            }
        }
        let names: HashMap<String, String> =
            if !facts.rules.iter().any(|rule| rule.group_glob().is_some()) {
                HashMap::new()
            } else {
                scim_groups::table
                    .filter(scim_groups::org_id.eq(org_id))
                    .select((scim_groups::id, scim_groups::display_name))
                    .load::<(String, String)>(self.tx.conn)?
                    .into_iter()
                    .collect()
            };
        for (id, name) in &names {
            if facts
                .rules
                .iter()
                .any(|rule| rule.matches(name, &facts.workspace.name))
            {
                roots.insert(id.clone());
            }
        }
        // Down from the roots: every member, users and nested groups.
        let mut groups = GroupGraph::default();
        let mut seen: HashSet<String> = roots.clone();
        let mut frontier: Vec<String> = roots.into_iter().collect();
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for chunk in frontier.chunks(CHUNK) {
                let rows: Vec<(String, String, String)> = group_members::table
                    .filter(group_members::org_id.eq(org_id))
                    .filter(group_members::group_id.eq_any(chunk))
                    .select((
                        group_members::group_id,
                        group_members::member_id,
                        group_members::member_type,
                    ))
                    .load(self.tx.conn)?;
                for (group, member, member_type) in rows {
                    groups.add_membership(&group, &member);
                    if member_type.eq_ignore_ascii_case("group") {
                        if seen.insert(member.clone()) {
                            next.push(member);
                        }
                    } else {
                        users.insert(member);
                    }
                }
            }
            frontier = next;
        }
        let group_ids: Vec<String> = seen.into_iter().collect();
        if names.is_empty() {
            self.tx.set_group_names(org_id, &mut groups, &group_ids)?;
        } else {
            for id in group_ids {
                if let Some(name) = names.get(&id) {
                    groups.set_name(&id, name);
                }
            }
        }
        let ids: Vec<String> = users.into_iter().collect();
        let mut found: Vec<(String, bool)> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<(String, Option<bool>)> = scim_users::table
                .filter(scim_users::org_id.eq(org_id))
                .filter(scim_users::id.eq_any(chunk))
                .select((scim_users::id, scim_users::active))
                .load(self.tx.conn)?;
            found.extend(
                rows.into_iter()
                    .map(|(id, active)| (id, active.unwrap_or(true))),
            );
        }
        found.sort();
        Ok(Candidates {
            users: found,
            groups,
            attribute_matches,
        })
    }

    /// Why `user_id` has the role they have on `resource` (`org_model::explain` over the
    /// facts read here), with the group graph it was computed on (for names in answers).
    pub fn explain(
        &mut self,
        org_id: &str,
        user_id: &str,
        resource: &ResourceRef,
        now: DateTime<Utc>,
    ) -> Result<(Explanation, GroupGraph), StoreError> {
        let facts = self.resource_facts(org_id, resource)?;
        let user = self.user_facts(org_id, user_id)?;
        let owners = self.tx.orgs().settings(org_id)?.owners;
        let explanation = explain(&AccessInput {
            user_id,
            active: user.active,
            org_owner: owners.iter().any(|owner| owner == user_id),
            groups: &user.groups,
            workspace: &facts.workspace,
            folder: facts.folder.as_ref(),
            grants: &facts.grants,
            rules: &facts.rules,
            attribute_matches: &user.attribute_matches,
            now,
        });
        Ok((explanation, user.groups))
    }

    /// Every user with a role on `resource`, with that role, sorted by user id
    /// (`org_model::who_has_access` over the candidates read here).
    pub fn who_has_access(
        &mut self,
        org_id: &str,
        resource: &ResourceRef,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Role)>, StoreError> {
        let facts = self.resource_facts(org_id, resource)?;
        let owners = self.tx.orgs().settings(org_id)?.owners;
        let candidates = self.candidates(org_id, &facts, &owners)?;
        Ok(who_has_access(
            candidates.users.iter().map(|(id, active)| Candidate {
                user_id: id,
                active: *active,
                org_owner: owners.contains(id),
                attribute_matches: candidates.matches_of(id),
            }),
            &candidates.groups,
            &facts.workspace,
            facts.folder.as_ref(),
            &facts.grants,
            &facts.rules,
            now,
        ))
    }

    /// The userNames of the organization's users among `ids` (others left out).
    pub fn user_names(
        &mut self,
        org_id: &str,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut names = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<(String, String)> = scim_users::table
                .filter(scim_users::org_id.eq(org_id))
                .filter(scim_users::id.eq_any(chunk))
                .select((scim_users::id, scim_users::user_name))
                .load(self.tx.conn)?;
            names.extend(rows);
        }
        Ok(names)
    }

    /// Record a user's first access to a resource; `true` when it is the first. Grants
    /// nothing (sticky joins are the caller's: it writes a manual grant when the setting is on).
    pub fn record_join(
        &mut self,
        org_id: &str,
        user_id: &str,
        resource: &ResourceRef,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (kind, id) = resource_parts(resource);
        let existing: i64 = joins::table
            .filter(joins::org_id.eq(org_id))
            .filter(joins::resource_type.eq(kind))
            .filter(joins::resource_id.eq(id))
            .filter(joins::user_id.eq(user_id))
            .count()
            .get_result(self.tx.conn)?;
        if existing > 0 {
            return Ok(false);
        }
        diesel::insert_into(joins::table)
            .values((
                joins::org_id.eq(org_id),
                joins::user_id.eq(user_id),
                joins::resource_type.eq(kind),
                joins::resource_id.eq(id),
                joins::joined_at.eq(timestamp::to_db(now)),
            ))
            .execute(self.tx.conn)?;
        Ok(true)
    }

    /// The users who joined a resource, by id.
    pub fn joined(
        &mut self,
        org_id: &str,
        resource: &ResourceRef,
    ) -> Result<Vec<String>, StoreError> {
        let (kind, id) = resource_parts(resource);
        Ok(joins::table
            .filter(joins::org_id.eq(org_id))
            .filter(joins::resource_type.eq(kind))
            .filter(joins::resource_id.eq(id))
            .order(joins::user_id)
            .select(joins::user_id)
            .load(self.tx.conn)?)
    }
}

impl Tx<'_> {
    /// The groups `members` belong to, transitively, with their names: one query per level
    /// and chunk.
    pub(crate) fn groups_above(
        &mut self,
        org_id: &str,
        members: &[String],
    ) -> Result<GroupGraph, StoreError> {
        let mut graph = GroupGraph::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut frontier: Vec<String> = members.to_vec();
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for chunk in frontier.chunks(CHUNK) {
                let rows: Vec<(String, String)> = group_members::table
                    .filter(group_members::org_id.eq(org_id))
                    .filter(group_members::member_id.eq_any(chunk))
                    .select((group_members::group_id, group_members::member_id))
                    .load(self.conn)?;
                for (group, member) in rows {
                    graph.add_membership(&group, &member);
                    if seen.insert(group.clone()) {
                        next.push(group);
                    }
                }
            }
            frontier = next;
        }
        let ids: Vec<String> = seen.into_iter().collect();
        self.set_group_names(org_id, &mut graph, &ids)?;
        Ok(graph)
    }

    /// Name the groups `ids` of the organization in `graph` (others left out).
    pub(crate) fn set_group_names(
        &mut self,
        org_id: &str,
        graph: &mut GroupGraph,
        ids: &[String],
    ) -> Result<(), StoreError> {
        for chunk in ids.chunks(CHUNK) {
            // By primary key, the org checked here (see `access_delta`'s `users_active`).
            let rows: Vec<(String, String, String)> = scim_groups::table
                .filter(scim_groups::id.eq_any(chunk))
                .select((
                    scim_groups::id,
                    scim_groups::org_id,
                    scim_groups::display_name,
                ))
                .load(self.conn)?;
            for (id, _, name) in rows.iter().filter(|row| row.1 == org_id) {
                graph.set_name(id, name);
            }
        }
        Ok(())
    }
}
