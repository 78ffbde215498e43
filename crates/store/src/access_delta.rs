//! The effective-role delta of an access change (PRODUCT.md §6): which (user, resource)
//! pairs a change gives a different role, read in the change's own transaction.
//!
//! [`AccessDelta::before`] works out from an [`AccessScope`] which resources and users the
//! change can affect and reads their effective roles; the caller makes the change;
//! [`AccessDelta::after`] reads the same roles again and keeps the pairs that differ.
//!
//! The cost follows what can change, not the organization's size. Users added to or removed
//! from a group by id (a directory sync) are worked out from the store's cached access facts
//! (`access_facts.rs`): one version lookup when the group can give no role, otherwise one
//! statement per user. Every other change reads from the database: a group-membership
//! change first runs one prepared probe (is the group inside another, does it hold a grant,
//! has the org a rule?) and stops there when nothing can change; otherwise users are read in
//! batches (`IN` lists of [`CHUNK`]), never one query per user, and roles come from
//! `org_model::who_has_access` over the users in scope.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::{
    Candidate, Folder, Principal, ResourceRef, Role, TeamAccess, Workspace, glob_matches,
    who_has_access,
};

use crate::access_facts::{Cached, CachedDelta};
use crate::grants::GrantFilter;
use crate::schema::{folders, grants, group_members, scim_groups, scim_users, workspaces};
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx};

/// Ids per `IN (…)` list.
const CHUNK: usize = 500;

/// What an access change touches.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessScope {
    /// Everyone on one resource: a grant on it created or deleted, a folder's team access
    /// changed. A workspace brings the folders that open to its members (`everyone:*`).
    Resource(ResourceRef),
    /// A workspace deleted: everyone on it and on all its folders.
    Workspace(String),
    /// A group mapping rule created or deleted: everyone on the workspaces whose name
    /// matches `workspaces` (a name glob), and on their open folders.
    WorkspacesMatching(String),
    /// These users, wherever they may hold a role: a user suspended, reactivated or
    /// deleted.
    Users(Vec<String>),
    /// A user's attributes written (created, replaced, patched; `before` is `Value::Null`
    /// for a user just created): where the attribute rules they match differ between
    /// `before` and `after`, the workspaces of those rules (and their open folders), for
    /// them. Nothing is read when the organization has no attribute rule, or the write
    /// changes no match.
    UserAttributes {
        /// The user.
        user: String,
        /// The user before the write.
        before: serde_json::Value,
        /// The user after it.
        after: serde_json::Value,
    },
    /// These users become or stop being org owners: every workspace, for them.
    OrgOwners(Vec<String>),
    /// These users gain or lose a role on one workspace (and its open folders): a
    /// workspace handed to an heir.
    UsersOnWorkspace {
        /// The users.
        users: Vec<String>,
        /// The workspace.
        workspace: String,
    },
    /// A group created with members: for them, the workspaces of the rules its name
    /// matches (a new group holds no grants).
    NewGroup {
        /// Its displayName.
        display_name: String,
        /// Its members (users or groups).
        members: Vec<String>,
    },
    /// The members of `group` change: `Some(ids)` names the members (users or groups)
    /// added or removed; `None` means any of them (the member list replaced, the group
    /// renamed or deleted).
    GroupMembers {
        /// The group.
        group: String,
        /// The members added or removed, when known.
        members: Option<Vec<String>>,
    },
    /// The member list of `group` replaced (a PUT, a PATCH that removes or replaces
    /// members by filter) or the group renamed: everyone under it before and after, and
    /// `joining`, the members the request names (users or groups), whose roles before the
    /// change are read with the others'.
    GroupReplaced {
        /// The group.
        group: String,
        /// The members the change names as members afterwards.
        joining: Vec<String>,
    },
}

/// One (user, resource) pair whose effective role changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessChange {
    /// The user's SCIM `id`.
    pub user: String,
    /// The workspace or folder.
    pub resource: ResourceRef,
    /// The role before the change.
    pub before: Option<Role>,
    /// The role after it.
    pub after: Option<Role>,
}

impl AccessChange {
    /// The change as audit records carry it:
    /// `{"user", "resource": "workspace:<id>", "before": "editor", "after": null}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "user": self.user,
            "resource": self.resource.to_string(),
            "before": self.before,
            "after": self.after,
        })
    }
}

/// The roles before a change, and what is needed to read them again after it.
#[derive(Debug, Clone)]
pub struct AccessDelta {
    org_id: String,
    /// Workspaces whose every resource is in scope (the workspace and its open folders).
    workspaces: BTreeSet<String>,
    /// Single folders in scope.
    folders: BTreeSet<String>,
    /// `None`: every user with a role there; otherwise only these.
    users: Option<BTreeSet<String>>,
    /// Read the users again after the change (the members of a group).
    reread: Option<(String, Option<Vec<String>>)>,
    before: HashMap<(String, ResourceRef), Role>,
    /// Set when the roles come from the cached access facts (`access_facts.rs`).
    cached: Option<CachedDelta>,
    /// The roles after the change, known before it (a write of a user's attributes, worked
    /// out from the cached facts: the write changes nothing else they depend on).
    after_known: Option<HashMap<(String, ResourceRef), Role>>,
    /// Debug builds work a cached delta out from the database too and compare.
    #[cfg(debug_assertions)]
    check: Option<Box<AccessDelta>>,
}

/// The resources in scope, resolved.
struct InScope {
    /// `(workspace, None)` for a workspace, `(workspace, Some(folder))` for a folder.
    entries: Vec<(Workspace, Option<Folder>)>,
}

impl AccessDelta {
    /// Read the roles `scope` can change, before the change is made (in its transaction).
    /// Users added to or removed from a group by id (a directory sync) are worked out
    /// from the store's cached access facts; everything else from the database.
    pub fn before(
        tx: &mut Tx<'_>,
        org_id: &str,
        scope: AccessScope,
        now: DateTime<Utc>,
    ) -> Result<AccessDelta, StoreError> {
        if let AccessScope::GroupMembers {
            group,
            members: Some(members),
        } = &scope
            && let Some(facts) = tx.access_facts(org_id)?
        {
            let found = CachedDelta::before(tx, facts, org_id, group, members, now)?;
            let mut delta = AccessDelta::empty(org_id);
            match found {
                Cached::Trivial => {}
                Cached::Delta(cached, roles) => {
                    delta.before = roles;
                    delta.cached = Some(cached);
                }
                Cached::Uncovered => return AccessDelta::read(tx, org_id, scope, now),
            }
            #[cfg(debug_assertions)]
            {
                let read = AccessDelta::read(tx, org_id, scope, now)?;
                assert_eq!(delta.before, read.before, "cached roles before a change");
                delta.check = Some(Box::new(read));
            }
            return Ok(delta);
        }
        if let AccessScope::UserAttributes {
            user,
            before,
            after,
        } = &scope
            && let Some(facts) = tx.access_facts(org_id)?
        {
            let Some(delta) =
                AccessDelta::user_attributes(tx, facts, org_id, user, before, after, now)?
            else {
                return AccessDelta::read(tx, org_id, scope, now);
            };
            #[cfg(debug_assertions)]
            let delta = {
                let mut delta = delta;
                let read = AccessDelta::read(tx, org_id, scope, now)?;
                assert_eq!(
                    delta.before, read.before,
                    "cached roles before a user write"
                );
                delta.check = Some(Box::new(read));
                delta
            };
            return Ok(delta);
        }
        AccessDelta::read(tx, org_id, scope, now)
    }

    /// The delta of a write of `user`'s attributes from `before` (`null`: just created) to
    /// `after`, worked out from the cached facts, both sides known now; `None` when the
    /// cache does not cover it.
    fn user_attributes(
        tx: &mut Tx<'_>,
        facts: std::sync::Arc<crate::access_facts::AccessFacts>,
        org_id: &str,
        user: &str,
        before: &serde_json::Value,
        after: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Option<AccessDelta>, StoreError> {
        let mut delta = AccessDelta::empty(org_id);
        let compiled = facts.attribute_rules();
        if compiled.is_empty()
            || crate::attribute_rules::same_values(facts.attribute_keys(), before, after)
        {
            return Ok(Some(delta));
        }
        let was = crate::attribute_rules::matches_of_user(&compiled, before);
        let is = crate::attribute_rules::matches_of_user(&compiled, after);
        if crate::attribute_rules::same_rules(&was, &is) {
            return Ok(Some(delta));
        }
        match crate::access_facts::user_attribute_roles(tx, facts, org_id, user, was, is, now)? {
            None => Ok(None),
            Some(None) => Ok(Some(delta)),
            Some(Some((roles_before, roles_after))) => {
                delta.before = roles_before;
                delta.after_known = Some(roles_after);
                Ok(Some(delta))
            }
        }
    }

    fn empty(org_id: &str) -> AccessDelta {
        AccessDelta {
            org_id: org_id.to_owned(),
            workspaces: BTreeSet::new(),
            folders: BTreeSet::new(),
            users: None,
            reread: None,
            before: HashMap::new(),
            cached: None,
            after_known: None,
            #[cfg(debug_assertions)]
            check: None,
        }
    }

    /// [`AccessDelta::before`] with every fact read from the database.
    fn read(
        tx: &mut Tx<'_>,
        org_id: &str,
        scope: AccessScope,
        now: DateTime<Utc>,
    ) -> Result<AccessDelta, StoreError> {
        let mut delta = AccessDelta::empty(org_id);
        match scope {
            AccessScope::Resource(ResourceRef::Workspace(id)) => {
                delta.workspaces.insert(id);
            }
            AccessScope::Resource(ResourceRef::Folder(id)) => {
                delta.folders.insert(id);
            }
            AccessScope::Workspace(id) => {
                delta.folders.extend(
                    tx.workspaces()
                        .folders(org_id, &id)?
                        .into_iter()
                        .map(|folder| folder.id),
                );
                delta.workspaces.insert(id);
            }
            AccessScope::WorkspacesMatching(glob) => {
                delta.workspaces.extend(
                    tx.workspaces()
                        .list(org_id)?
                        .into_iter()
                        .filter(|workspace| glob_matches(&glob, &workspace.name))
                        .map(|workspace| workspace.id),
                );
            }
            AccessScope::Users(users) => {
                delta.users_reach(tx, &users)?;
                delta.users = Some(users.into_iter().collect());
            }
            AccessScope::UserAttributes {
                user,
                before,
                after,
            } => {
                let compiled = tx.attribute_rules(org_id)?;
                if compiled.is_empty() {
                    return Ok(delta);
                }
                let ids = |user: &serde_json::Value| -> BTreeSet<String> {
                    crate::attribute_rules::matches_of_user(&compiled, user)
                        .into_iter()
                        .map(|found| found.rule_id)
                        .collect()
                };
                let (was, is) = (ids(&before), ids(&after));
                if was == is {
                    return Ok(delta);
                }
                let changed: Vec<&str> = compiled
                    .iter()
                    .filter(|rule| was.contains(&rule.rule.id) != is.contains(&rule.rule.id))
                    .map(|rule| rule.rule.workspaces.as_str())
                    .collect();
                delta.workspaces.extend(
                    tx.workspaces()
                        .list(org_id)?
                        .into_iter()
                        .filter(|workspace| {
                            changed
                                .iter()
                                .any(|glob| glob_matches(glob, &workspace.name))
                        })
                        .map(|workspace| workspace.id),
                );
                delta.users = Some(BTreeSet::from([user]));
            }
            AccessScope::OrgOwners(users) => {
                delta.workspaces.extend(
                    tx.workspaces()
                        .list(org_id)?
                        .into_iter()
                        .map(|workspace| workspace.id),
                );
                delta.users = Some(users.into_iter().collect());
            }
            AccessScope::NewGroup {
                display_name,
                members,
            } => {
                if members.is_empty() {
                    return Ok(delta);
                }
                let rules: Vec<org_model::Rule> = tx
                    .rules()
                    .list(org_id)?
                    .into_iter()
                    .filter(|rule| rule.matches_group(&display_name))
                    .collect();
                if rules.is_empty() {
                    return Ok(delta);
                }
                delta.workspaces.extend(
                    tx.workspaces()
                        .list(org_id)?
                        .into_iter()
                        .filter(|workspace| {
                            rules
                                .iter()
                                .any(|rule| glob_matches(&rule.workspaces, &workspace.name))
                        })
                        .map(|workspace| workspace.id),
                );
                delta.users = Some(tx.users_under(org_id, "", Some(&members))?);
            }
            AccessScope::UsersOnWorkspace { users, workspace } => {
                delta.workspaces.insert(workspace);
                delta.users = Some(users.into_iter().collect());
            }
            AccessScope::GroupReplaced { group, joining } => {
                delta.group_reach(tx, &group, true)?;
                if delta.workspaces.is_empty() && delta.folders.is_empty() {
                    return Ok(delta);
                }
                let mut users = tx.users_under(org_id, &group, None)?;
                if !joining.is_empty() {
                    users.extend(tx.users_under(org_id, "", Some(&joining))?);
                }
                delta.users = Some(users);
                delta.reread = Some((group, None));
            }
            AccessScope::GroupMembers { group, members } => {
                delta.group_reach(tx, &group, members.is_none())?;
                if delta.workspaces.is_empty() && delta.folders.is_empty() {
                    return Ok(delta);
                }
                let users = tx.users_under(org_id, &group, members.as_deref())?;
                delta.users = Some(users);
                delta.reread = Some((group, members));
            }
        }
        delta.before = delta.roles(tx, now)?;
        Ok(delta)
    }

    /// The roles on a resource just created (a workspace with its Home folder, a folder),
    /// read after its creation in the same transaction: every role there is new, so each
    /// is a change from no role. `scope` names the new resource
    /// ([`AccessScope::Workspace`] or [`AccessScope::Resource`]). Sorted as
    /// [`AccessDelta::after`] sorts.
    pub fn of_new(
        tx: &mut Tx<'_>,
        org_id: &str,
        scope: AccessScope,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccessChange>, StoreError> {
        Ok(AccessDelta::of_new_if_any(tx, org_id, scope, now)?.unwrap_or_default())
    }

    /// [`AccessDelta::of_new`], or `None` when the scope reaches nothing (nothing was read:
    /// a user created in an organization without attribute rules).
    pub fn of_new_if_any(
        tx: &mut Tx<'_>,
        org_id: &str,
        scope: AccessScope,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<AccessChange>>, StoreError> {
        // A user just created: from the cached facts when they cover it (their roles
        // before are none: `before` is null).
        if let AccessScope::UserAttributes {
            user,
            before,
            after,
        } = &scope
            && let Some(facts) = tx.access_facts(org_id)?
            && let Some(delta) =
                AccessDelta::user_attributes(tx, facts, org_id, user, before, after, now)?
        {
            if delta.is_trivial() {
                return Ok(None);
            }
            return delta.after(tx, now).map(Some);
        }
        let read = AccessDelta::read(tx, org_id, scope, now)?;
        if read.is_trivial() {
            return Ok(None);
        }
        let mut changes: Vec<AccessChange> = read
            .before
            .into_iter()
            .map(|((user, resource), role)| AccessChange {
                user,
                resource,
                before: None,
                after: Some(role),
            })
            .collect();
        changes.sort_by(|a, b| {
            (a.resource.to_string(), &a.user).cmp(&(b.resource.to_string(), &b.user))
        });
        Ok(Some(changes))
    }

    /// Whether the change cannot affect anyone's role (nothing was read).
    pub fn is_trivial(&self) -> bool {
        self.workspaces.is_empty()
            && self.folders.is_empty()
            && self.cached.is_none()
            && self.after_known.is_none()
    }

    /// Read the roles again, after the change, and answer the pairs whose role changed,
    /// sorted by resource, then user.
    pub fn after(
        self,
        tx: &mut Tx<'_>,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccessChange>, StoreError> {
        self.after_members(tx, now, None)
    }

    /// [`AccessDelta::after`] for a change of the members of a group (a
    /// [`AccessScope::GroupMembers`] scope) whose net effect is `members`, as the write
    /// answered it: a delta from cached facts then reads nothing again.
    pub fn after_group_patch(
        self,
        tx: &mut Tx<'_>,
        now: DateTime<Utc>,
        members: &crate::MemberDelta,
    ) -> Result<Vec<AccessChange>, StoreError> {
        self.after_members(tx, now, Some(members))
    }

    fn after_members(
        mut self,
        tx: &mut Tx<'_>,
        now: DateTime<Utc>,
        members: Option<&crate::MemberDelta>,
    ) -> Result<Vec<AccessChange>, StoreError> {
        #[cfg(debug_assertions)]
        if let Some(read) = self.check.take() {
            let expected = read.after(tx, now)?;
            let changes = self.after_members(tx, now, members)?;
            assert_eq!(changes, expected, "cached access delta");
            return Ok(changes);
        }
        if self.is_trivial() {
            return Ok(Vec::new());
        }
        let after = match (&self.cached, self.after_known.take()) {
            (_, Some(after)) => after,
            (Some(cached), None) => {
                match members.and_then(|members| cached.roles_after(members, now)) {
                    Some(after) => after,
                    None => cached.roles(tx, now)?,
                }
            }
            (None, None) => {
                if let (Some((group, members)), Some(users)) = (&self.reread, &mut self.users) {
                    users.extend(tx.users_under(&self.org_id, group, members.as_deref())?);
                }
                self.roles(tx, now)?
            }
        };
        let mut changes: Vec<AccessChange> = Vec::new();
        for (key, role) in &self.before {
            let new = after.get(key).copied();
            if new != Some(*role) {
                changes.push(AccessChange {
                    user: key.0.clone(),
                    resource: key.1.clone(),
                    before: Some(*role),
                    after: new,
                });
            }
        }
        for (key, role) in &after {
            if !self.before.contains_key(key) {
                changes.push(AccessChange {
                    user: key.0.clone(),
                    resource: key.1.clone(),
                    before: None,
                    after: Some(*role),
                });
            }
        }
        changes.sort_by(|a, b| {
            (a.resource.to_string(), &a.user).cmp(&(b.resource.to_string(), &b.user))
        });
        Ok(changes)
    }

    /// The resources `users` may hold a role on: where they or their groups hold grants,
    /// where rules match their groups, every workspace when one of them owns the org.
    fn users_reach(&mut self, tx: &mut Tx<'_>, users: &[String]) -> Result<(), StoreError> {
        let org_id = self.org_id.clone();
        let graph = tx.groups_above(&org_id, users)?;
        let owners = tx.orgs().settings(&org_id)?.owners;
        let everything = users.iter().any(|user| owners.contains(user));
        let mut principals: Vec<Principal> = users.iter().cloned().map(Principal::User).collect();
        principals.extend(graph.names.keys().cloned().map(Principal::Group));
        for principal in principals {
            let grants = tx.grants().list(
                &org_id,
                &GrantFilter {
                    principal: Some(principal),
                    resource: None,
                },
            )?;
            for grant in grants {
                self.add_resource(grant.resource);
            }
        }
        let rules = tx.rules().list(&org_id)?;
        // Group rules matching one of their groups, and every attribute rule (the write
        // may change what the users match: a suspended user reactivated with new
        // attributes).
        let matching: Vec<&org_model::Rule> = rules
            .iter()
            .filter(|rule| {
                rule.filter().is_some() || graph.names.values().any(|name| rule.matches_group(name))
            })
            .collect();
        if everything || !matching.is_empty() {
            for workspace in tx.workspaces().list(&org_id)? {
                if everything
                    || matching
                        .iter()
                        .any(|rule| glob_matches(&rule.workspaces, &workspace.name))
                {
                    self.workspaces.insert(workspace.id);
                }
            }
        }
        Ok(())
    }

    /// The resources whose roles depend on membership of `group`: those it or a group above
    /// it holds grants on, and the workspaces of rules matching one of them (of any rule
    /// when `any_rule`: the group may be renamed). One prepared query when there are none
    /// (no group contains it, it holds no grant, the org has no rule: the usual directory
    /// sync); otherwise small lookups by index, never a recursive query (SQLite planned one
    /// as a scan of the org's memberships).
    fn group_reach(
        &mut self,
        tx: &mut Tx<'_>,
        group: &str,
        any_rule: bool,
    ) -> Result<(), StoreError> {
        let org_id = self.org_id.clone();
        if !group_may_matter(tx, &org_id, group)? {
            return Ok(());
        }
        // The groups above it (one query per level, by the (org_id, member_id) index),
        // with their names.
        let above = tx.groups_above(&org_id, &[group.to_owned()])?;
        let mut chain: Vec<String> = above.names.keys().cloned().collect();
        chain.push(group.to_owned());
        for chunk in chain.chunks(CHUNK) {
            let held: Vec<(String, String)> = grants::table
                .filter(grants::org_id.eq(&org_id))
                .filter(grants::principal_type.eq("group"))
                .filter(grants::principal_id.eq_any(chunk))
                .select((grants::resource_type, grants::resource_id))
                .load(tx.conn)?;
            for (kind, id) in held {
                if kind == "workspace" {
                    self.workspaces.insert(id);
                } else {
                    self.folders.insert(id);
                }
            }
        }
        let rules = tx.rules().list(&org_id)?;
        if rules.is_empty() {
            return Ok(());
        }
        let mut names: Vec<String> = above.names.into_values().collect();
        // By primary key, the org checked here (see `users_active`).
        let own: Option<(String, String)> = scim_groups::table
            .find(group)
            .select((scim_groups::org_id, scim_groups::display_name))
            .first(tx.conn)
            .optional()?;
        names.extend(own.filter(|(org, _)| *org == org_id).map(|(_, name)| name));
        let rules: Vec<org_model::Rule> = rules
            .into_iter()
            .filter(|rule| {
                rule.group_glob().is_some()
                    && (any_rule || names.iter().any(|name| rule.matches_group(name)))
            })
            .collect();
        if rules.is_empty() {
            return Ok(());
        }
        for workspace in tx.workspaces().list(&org_id)? {
            if rules
                .iter()
                .any(|rule| glob_matches(&rule.workspaces, &workspace.name))
            {
                self.workspaces.insert(workspace.id);
            }
        }
        Ok(())
    }

    fn add_resource(&mut self, resource: ResourceRef) {
        match resource {
            ResourceRef::Workspace(id) => self.workspaces.insert(id),
            ResourceRef::Folder(id) => self.folders.insert(id),
        };
    }

    /// The workspaces and folders in scope that exist now: each workspace with its open
    /// folders, each single folder with its workspace.
    fn resolve(&self, tx: &mut Tx<'_>) -> Result<InScope, StoreError> {
        let org_id = self.org_id.as_str();
        let folder_rows: Vec<Folder> = load_folders(tx, org_id, &self.folders)?;
        let mut workspace_ids: BTreeSet<String> = self.workspaces.clone();
        workspace_ids.extend(folder_rows.iter().map(|folder| folder.workspace_id.clone()));
        let ids: Vec<String> = workspace_ids.into_iter().collect();
        let mut found: HashMap<String, Workspace> = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            // By primary key, the org checked here (see `users_active`).
            let rows: Vec<(String, String, String, String)> = workspaces::table
                .filter(workspaces::id.eq_any(chunk))
                .select((
                    workspaces::id,
                    workspaces::org_id,
                    workspaces::name,
                    workspaces::home_folder_id,
                ))
                .load(tx.conn)?;
            for (id, _, name, home_folder_id) in rows.into_iter().filter(|row| row.1 == org_id) {
                found.insert(
                    id.clone(),
                    Workspace {
                        id,
                        name,
                        home_folder_id,
                    },
                );
            }
        }
        let mut entries: Vec<(Workspace, Option<Folder>)> = Vec::new();
        let mut seen_folders: HashSet<String> = HashSet::new();
        let whole: Vec<String> = self
            .workspaces
            .iter()
            .filter(|id| found.contains_key(*id))
            .cloned()
            .collect();
        for chunk in whole.chunks(CHUNK) {
            let rows: Vec<(String, String, String, String)> = folders::table
                .filter(folders::org_id.eq(org_id))
                .filter(folders::workspace_id.eq_any(chunk))
                .filter(folders::team_access.ne(TeamAccess::InviteOnly.as_str()))
                .select((
                    folders::id,
                    folders::workspace_id,
                    folders::name,
                    folders::team_access,
                ))
                .load(tx.conn)?;
            for (id, workspace_id, name, team_access) in rows {
                let team_access = TeamAccess::parse(&team_access)
                    .map_err(|error| StoreError::Database(error.to_string()))?;
                if let Some(workspace) = found.get(&workspace_id)
                    && workspace.home_folder_id != id
                    && seen_folders.insert(id.clone())
                {
                    entries.push((
                        workspace.clone(),
                        Some(Folder {
                            id,
                            workspace_id,
                            name,
                            team_access,
                        }),
                    ));
                }
            }
        }
        for id in whole {
            if let Some(workspace) = found.get(&id) {
                entries.push((workspace.clone(), None));
            }
        }
        for folder in folder_rows {
            let Some(workspace) = found.get(&folder.workspace_id) else {
                continue;
            };
            // The Home folder has the workspace's roles: it is reported as the workspace.
            if workspace.home_folder_id == folder.id {
                if !self.workspaces.contains(&workspace.id) {
                    entries.push((workspace.clone(), None));
                }
            } else if seen_folders.insert(folder.id.clone()) {
                entries.push((workspace.clone(), Some(folder)));
            }
        }
        Ok(InScope { entries })
    }

    /// Every in-scope user's role on every in-scope resource (pairs without a role left out).
    fn roles(
        &self,
        tx: &mut Tx<'_>,
        now: DateTime<Utc>,
    ) -> Result<HashMap<(String, ResourceRef), Role>, StoreError> {
        let org_id = self.org_id.as_str();
        let scope = self.resolve(tx)?;
        let mut roles = HashMap::new();
        if scope.entries.is_empty() {
            return Ok(roles);
        }
        let rules = tx.rules().list(org_id)?;
        let owners = tx.orgs().settings(org_id)?.owners;
        // The users' side, read once for every resource when the users are known.
        let known = match &self.users {
            Some(users) => {
                let users: Vec<String> = users.iter().cloned().collect();
                let active = tx.users_active(org_id, &users)?;
                let graph = tx.groups_above(org_id, &users)?;
                let compiled = tx.attribute_rules(org_id)?;
                let matches = tx.attribute_matches(org_id, &compiled, &users)?;
                Some((active, graph, matches))
            }
            None => None,
        };
        for (workspace, folder) in &scope.entries {
            let resource = match folder {
                Some(folder) => ResourceRef::Folder(folder.id.clone()),
                None => ResourceRef::Workspace(workspace.id.clone()),
            };
            let facts = crate::ResourceFacts {
                grants: tx.grants_on(org_id, workspace, folder.as_ref())?,
                workspace: workspace.clone(),
                folder: folder.clone(),
                rules: rules.clone(),
            };
            let found = match &known {
                Some((active, graph, matches)) => who_has_access(
                    active.iter().map(|(id, active)| Candidate {
                        user_id: id,
                        active: *active,
                        org_owner: owners.contains(id),
                        attribute_matches: matches.get(id).map(Vec::as_slice).unwrap_or_default(),
                    }),
                    graph,
                    workspace,
                    folder.as_ref(),
                    &facts.grants,
                    &rules,
                    now,
                ),
                None => {
                    let candidates = tx.access().candidates(org_id, &facts, &owners)?;
                    who_has_access(
                        candidates.users.iter().map(|(id, active)| Candidate {
                            user_id: id,
                            active: *active,
                            org_owner: owners.contains(id),
                            attribute_matches: candidates.matches_of(id),
                        }),
                        &candidates.groups,
                        workspace,
                        folder.as_ref(),
                        &facts.grants,
                        &rules,
                        now,
                    )
                }
            };
            for (user, role) in found {
                roles.insert((user, resource.clone()), role);
            }
        }
        Ok(roles)
    }
}

/// The folders of the organization among `ids`.
fn load_folders(
    tx: &mut Tx<'_>,
    org_id: &str,
    ids: &BTreeSet<String>,
) -> Result<Vec<Folder>, StoreError> {
    let ids: Vec<String> = ids.iter().cloned().collect();
    let mut found = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        // By primary key, the org checked here (see `Tx::users_active`).
        let rows: Vec<(String, String, String, String, String)> = folders::table
            .filter(folders::id.eq_any(chunk))
            .select((
                folders::id,
                folders::org_id,
                folders::workspace_id,
                folders::name,
                folders::team_access,
            ))
            .load(tx.conn)?;
        for (id, _, workspace_id, name, team_access) in
            rows.into_iter().filter(|row| row.1 == org_id)
        {
            found.push(Folder {
                team_access: TeamAccess::parse(&team_access)
                    .map_err(|error| StoreError::Database(error.to_string()))?,
                id,
                workspace_id,
                name,
            });
        }
    }
    Ok(found)
}

impl Tx<'_> {
    /// The grants on `workspace` and, when given, on `folder`.
    fn grants_on(
        &mut self,
        org_id: &str,
        workspace: &Workspace,
        folder: Option<&Folder>,
    ) -> Result<Vec<org_model::Grant>, StoreError> {
        let mut grants = self.grants().list(
            org_id,
            &GrantFilter {
                principal: None,
                resource: Some(ResourceRef::Workspace(workspace.id.clone())),
            },
        )?;
        if let Some(folder) = folder {
            grants.extend(self.grants().list(
                org_id,
                &GrantFilter {
                    principal: None,
                    resource: Some(ResourceRef::Folder(folder.id.clone())),
                },
            )?);
        }
        Ok(grants)
    }

    /// `(id, active)` of the users of the organization among `ids` (others, groups
    /// included, left out). Found by primary key and checked for the org here, so the cost
    /// follows `ids`, never the organization: with `org_id = ?` in the query, SQLite's
    /// planner may prefer the org-wide index and scan every user of the org (as
    /// `members.rs`, `not_an_index_key`, explains).
    fn users_active(
        &mut self,
        org_id: &str,
        ids: &[String],
    ) -> Result<Vec<(String, bool)>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<(String, String, Option<bool>)> = scim_users::table
                .filter(scim_users::id.eq_any(chunk))
                .select((scim_users::id, scim_users::org_id, scim_users::active))
                .load(self.conn)?;
            found.extend(
                rows.into_iter()
                    .filter(|(_, org, _)| org == org_id)
                    .map(|(id, _, active)| (id, active.unwrap_or(true))),
            );
        }
        found.sort();
        Ok(found)
    }

    /// The ids that may be users whose membership of `group` a change touches: `members`
    /// and everything under them (or everything under `group` when `None`). Groups among
    /// them are harmless: only users are ever given roles.
    fn users_under(
        &mut self,
        org_id: &str,
        group: &str,
        members: Option<&[String]>,
    ) -> Result<BTreeSet<String>, StoreError> {
        let mut found: BTreeSet<String> = BTreeSet::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut frontier: Vec<String> = match members {
            Some(members) => {
                found.extend(members.iter().cloned());
                members.to_vec()
            }
            None => vec![group.to_owned()],
        };
        seen.extend(frontier.iter().cloned());
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for chunk in frontier.chunks(CHUNK) {
                let rows: Vec<(String, String)> = group_members::table
                    .filter(group_members::org_id.eq(org_id))
                    .filter(group_members::group_id.eq_any(chunk))
                    .select((group_members::member_id, group_members::member_type))
                    .load(self.conn)?;
                for (member, member_type) in rows {
                    if !member_type.eq_ignore_ascii_case("group") {
                        found.insert(member);
                    } else if seen.insert(member.clone()) {
                        next.push(member);
                    }
                }
            }
            frontier = next;
        }
        Ok(found)
    }
}

#[derive(diesel::QueryableByName)]
struct MayMatter {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    matters: i64,
}

/// Whether membership of `group` can matter to anyone's role: a group contains it, it
/// holds a grant, or the organization has a rule. Each part is one index probe.
fn group_may_matter(tx: &mut Tx<'_>, org_id: &str, group: &str) -> Result<bool, StoreError> {
    let mut sql = Sql::new(tx.backend);
    sql.cacheable();
    let org = sql.bind(Bind::Text(org_id.to_owned()));
    let id = sql.bind(Bind::Text(group.to_owned()));
    sql.push(&format!(
        "SELECT CASE WHEN \
           EXISTS (SELECT 1 FROM group_members WHERE org_id = {org} AND member_id = {id}) \
           OR EXISTS (SELECT 1 FROM grants WHERE org_id = {org} AND principal_type = 'group' \
                      AND principal_id = {id}) \
           OR EXISTS (SELECT 1 FROM access_rules WHERE org_id = {org}) \
         THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END AS matters"
    ));
    let row: Option<MayMatter> = sql.optional(tx.conn)?;
    Ok(row.is_some_and(|row| row.matters == 1))
}
