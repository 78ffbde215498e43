//! An organization's access facts, cached: what decides roles beyond one user's own rows
//! (rules, org owners, the grants groups hold, groups nested in groups and their names,
//! workspaces and folders). They change rarely; group memberships of users, which change
//! with every directory sync, are not among them.
//!
//! The cache is the store's and is never trusted blindly: each use reads the organization's
//! version (`org_access_versions`, one primary-key lookup in the caller's transaction), which
//! database triggers bump in the transaction of every change to those facts, from any
//! process and any write path. A stale entry is reloaded in that same transaction.
//!
//! [`crate::AccessDelta`] uses it for the usual access change of a directory sync: users
//! added to or removed from a group by id. With the facts at hand, a group that can give no
//! role costs the version lookup alone, and one that can costs one statement per user before
//! the change (whether they are active, their groups, their own grants) and one after it
//! (their groups), instead of reading every resource's grants and candidates.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use org_model::{
    AttributeMatch, Candidate, Folder, Grant, GroupGraph, Principal, ResourceRef, Role, Rule,
    TeamAccess, Workspace, glob_matches, who_has_access,
};

use crate::attribute_rules::CompiledRule;
use crate::schema::{folders, group_members, scim_groups};
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx};

/// The cached facts of each organization, as of a version, for at most `limit`
/// organizations at once.
#[derive(Debug)]
pub(crate) struct FactsCache {
    orgs: Mutex<HashMap<String, Arc<AccessFacts>>>,
    limit: usize,
}

impl Default for FactsCache {
    fn default() -> Self {
        FactsCache::with_limit(1024)
    }
}

impl FactsCache {
    fn with_limit(limit: usize) -> FactsCache {
        FactsCache {
            orgs: Mutex::default(),
            limit: limit.max(1),
        }
    }

    /// Keep what a transaction read, once it has committed: only then do its facts
    /// describe the version they carry for everyone. (Published before, a transaction
    /// that bumped an organization's version, read its facts and then rolled back would
    /// leave an entry for a version number the next committed change reuses.) An entry of
    /// a newer version stays.
    pub(crate) fn publish(&self, loaded: Vec<(String, Arc<AccessFacts>)>) {
        if loaded.is_empty() {
            return;
        }
        let mut orgs = self.orgs.lock().unwrap_or_else(PoisonError::into_inner);
        for (org_id, facts) in loaded {
            if orgs
                .get(&org_id)
                .is_some_and(|kept| kept.version >= facts.version)
            {
                continue;
            }
            if orgs.len() >= self.limit && !orgs.contains_key(&org_id) {
                // Bounded memory: make room by forgetting one organization (reloaded on use).
                if let Some(evicted) = orgs.keys().next().cloned() {
                    orgs.remove(&evicted);
                }
            }
            orgs.insert(org_id, facts);
        }
    }
}

/// One organization's access facts as of `version`.
#[derive(Debug)]
pub(crate) struct AccessFacts {
    version: i64,
    rules: Vec<Rule>,
    /// The attribute rules among `rules`, resolved.
    attribute_rules: Arc<[CompiledRule]>,
    /// The top-level attributes they read.
    attribute_keys: Vec<(Option<String>, String)>,
    owners: HashSet<String>,
    /// The grants each group holds.
    group_grants: HashMap<String, Vec<Grant>>,
    /// Groups in groups, with the names of the groups in those memberships and of the
    /// groups holding grants.
    groups: GroupGraph,
    workspaces: HashMap<String, Workspace>,
    /// Every folder, by id.
    folders: HashMap<String, Folder>,
    /// Each workspace's folders that open to its members (not invite-only, not Home).
    open_folders: HashMap<String, Vec<String>>,
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = BigInt)]
    version: i64,
}

#[derive(QueryableByName)]
struct GroupOfUser {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
}

impl Tx<'_> {
    /// The organization's access facts, current in this transaction; `None` when this
    /// transaction has no cache (or the organization no version row).
    pub(crate) fn access_facts(
        &mut self,
        org_id: &str,
    ) -> Result<Option<Arc<AccessFacts>>, StoreError> {
        let Some(cache) = self.facts.clone() else {
            return Ok(None);
        };
        let mut sql = Sql::new(self.backend);
        sql.cacheable()
            .push("SELECT version FROM org_access_versions WHERE org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        let Some(VersionRow { version }) = sql.optional(self.conn)? else {
            return Ok(None);
        };
        // What this transaction read already (it may have changed them since), then what
        // committed transactions read.
        let mine = self
            .facts_loaded
            .iter()
            .rev()
            .find(|(org, facts)| org == org_id && facts.version == version)
            .map(|(_, facts)| Arc::clone(facts));
        if let Some(facts) = mine {
            return Ok(Some(facts));
        }
        let cached = cache
            .orgs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(org_id)
            .filter(|facts| facts.version == version)
            .cloned();
        if let Some(facts) = cached {
            return Ok(Some(facts));
        }
        let facts = Arc::new(self.load_access_facts(org_id, version)?);
        // Kept for others only once this transaction commits (`FactsCache::publish`).
        self.facts_loaded
            .push((org_id.to_owned(), Arc::clone(&facts)));
        Ok(Some(facts))
    }

    fn load_access_facts(&mut self, org_id: &str, version: i64) -> Result<AccessFacts, StoreError> {
        let rules = self.rules().list(org_id)?;
        let attribute_rules: Arc<[CompiledRule]> = Arc::from(self.compile_rules(org_id, &rules)?);
        let attribute_keys = crate::attribute_rules::keys_read(&attribute_rules);
        let owners = self.orgs().settings(org_id)?.owners.into_iter().collect();
        let mut group_grants: HashMap<String, Vec<Grant>> = HashMap::new();
        for grant in self.group_grants(org_id)? {
            if let Principal::Group(group) = &grant.principal {
                group_grants.entry(group.clone()).or_default().push(grant);
            }
        }
        let mut groups = GroupGraph::default();
        let nested: Vec<(String, String)> = group_members::table
            .filter(group_members::member_type.eq("Group"))
            .filter(group_members::org_id.eq(org_id))
            .select((group_members::group_id, group_members::member_id))
            .load(self.conn)?;
        let mut named: HashSet<String> = group_grants.keys().cloned().collect();
        for (group, member) in nested {
            groups.add_membership(&group, &member);
            named.insert(group);
            named.insert(member);
        }
        let named: Vec<String> = named.into_iter().collect();
        self.set_group_names(org_id, &mut groups, &named)?;
        let workspaces: HashMap<String, Workspace> = self
            .workspaces()
            .list(org_id)?
            .into_iter()
            .map(|workspace| (workspace.id.clone(), workspace))
            .collect();
        let rows: Vec<(String, String, String, String)> = folders::table
            .filter(folders::org_id.eq(org_id))
            .select((
                folders::id,
                folders::workspace_id,
                folders::name,
                folders::team_access,
            ))
            .load(self.conn)?;
        let mut folders = HashMap::new();
        let mut open_folders: HashMap<String, Vec<String>> = HashMap::new();
        for (id, workspace_id, name, team_access) in rows {
            let team_access = TeamAccess::parse(&team_access)
                .map_err(|error| StoreError::Database(error.to_string()))?;
            let home = workspaces
                .get(&workspace_id)
                .is_some_and(|workspace| workspace.home_folder_id == id);
            if team_access != TeamAccess::InviteOnly && !home {
                open_folders
                    .entry(workspace_id.clone())
                    .or_default()
                    .push(id.clone());
            }
            folders.insert(
                id.clone(),
                Folder {
                    id,
                    workspace_id,
                    name,
                    team_access,
                },
            );
        }
        Ok(AccessFacts {
            version,
            rules,
            attribute_rules,
            attribute_keys,
            owners,
            group_grants,
            groups,
            workspaces,
            folders,
            open_folders,
        })
    }

    /// The groups `user` is a direct member of, with their names.
    fn groups_of_user(
        &mut self,
        org_id: &str,
        user: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut sql = Sql::new(self.backend);
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let member = sql.bind(Bind::Text(user.to_owned()));
        sql.cacheable().push(&format!(
            "SELECT m.group_id AS id, g.display_name AS name FROM group_members m \
             JOIN scim_groups g ON g.id = m.group_id \
             WHERE m.org_id = {org} AND m.member_id = {member}"
        ));
        let rows: Vec<GroupOfUser> = sql.load(self.conn)?;
        Ok(rows.into_iter().map(|row| (row.id, row.name)).collect())
    }
}

/// A resource in scope: `(workspace, None)` for a workspace, `(workspace, Some(folder))`
/// for a folder.
type Entry = (Workspace, Option<Folder>);

/// A user in scope of a cached delta: what is read once, before the change.
#[derive(Debug, Clone)]
struct UserInScope {
    id: String,
    active: bool,
    grants: Vec<Grant>,
    /// The attribute rules the user matches (a change of group members changes none).
    matches: Vec<AttributeMatch>,
}

/// The delta of users added to or removed from a group, worked out from cached facts.
#[derive(Debug, Clone)]
pub(crate) struct CachedDelta {
    facts: Arc<AccessFacts>,
    org_id: String,
    /// The group whose members change, and its name when known (always, when the
    /// organization has rules: they match names).
    group: String,
    group_name: Option<String>,
    entries: Vec<Entry>,
    /// The groups each user was a direct member of before the change.
    before_groups: Vec<Vec<(String, String)>>,
    users: Vec<UserInScope>,
}

/// What [`CachedDelta::before`] found.
pub(crate) enum Cached {
    /// No role can change: nothing to read again.
    Trivial,
    /// The delta, with the roles before the change.
    Delta(CachedDelta, HashMap<(String, ResourceRef), Role>),
    /// A case the cache does not cover (a member that is no user of the org): the caller
    /// reads the facts from the database.
    Uncovered,
}

impl CachedDelta {
    /// The roles `members` (user ids) hold where membership of `group` matters, before
    /// they are added to it or removed from it.
    pub(crate) fn before(
        tx: &mut Tx<'_>,
        facts: Arc<AccessFacts>,
        org_id: &str,
        group: &str,
        members: &[String],
        now: DateTime<Utc>,
    ) -> Result<Cached, StoreError> {
        let Some(Reach {
            entries,
            group_name,
        }) = reach(tx, &facts, org_id, group)?
        else {
            return Ok(Cached::Trivial);
        };
        let mut users = Vec::with_capacity(members.len());
        let mut before_groups = Vec::with_capacity(members.len());
        for member in members {
            let Some(rows) = tx.user_access_rows(org_id, member)? else {
                return Ok(Cached::Uncovered);
            };
            users.push(UserInScope {
                id: member.clone(),
                active: rows.active,
                grants: rows.grants,
                matches: Vec::new(),
            });
            before_groups.push(rows.groups);
        }
        let attribute_rules = facts.attribute_rules();
        if !attribute_rules.is_empty() {
            let mut found = tx.attribute_matches(org_id, &attribute_rules, members)?;
            for user in &mut users {
                user.matches = found.remove(&user.id).unwrap_or_default();
            }
        }
        let mut delta = CachedDelta {
            facts,
            org_id: org_id.to_owned(),
            group: group.to_owned(),
            group_name,
            entries,
            users,
            before_groups: Vec::new(),
        };
        let roles = delta.roles_with(&before_groups, now);
        delta.before_groups = before_groups;
        Ok(Cached::Delta(delta, roles))
    }

    /// Every in-scope user's role on every in-scope resource, their groups read now.
    pub(crate) fn roles(
        &self,
        tx: &mut Tx<'_>,
        now: DateTime<Utc>,
    ) -> Result<HashMap<(String, ResourceRef), Role>, StoreError> {
        let mut groups = Vec::with_capacity(self.users.len());
        for user in &self.users {
            groups.push(tx.groups_of_user(&self.org_id, &user.id)?);
        }
        Ok(self.roles_with(&groups, now))
    }

    /// The roles after the change, from the groups before it and the change's net effect
    /// on the group's members (nothing read); `None` when the group's name, which a rule
    /// could match, is unknown.
    pub(crate) fn roles_after(
        &self,
        members: &crate::MemberDelta,
        now: DateTime<Utc>,
    ) -> Option<HashMap<(String, ResourceRef), Role>> {
        let name = match &self.group_name {
            Some(name) => name.clone(),
            None if self.facts.rules.is_empty() => String::new(),
            None => return None,
        };
        let groups: Vec<Vec<(String, String)>> = self
            .users
            .iter()
            .zip(&self.before_groups)
            .map(|(user, before)| {
                let mut groups: Vec<(String, String)> = before
                    .iter()
                    .filter(|(id, _)| *id != self.group || !members.removed.contains(&user.id))
                    .cloned()
                    .collect();
                if members.added.contains(&user.id)
                    && !groups.iter().any(|(id, _)| *id == self.group)
                {
                    groups.push((self.group.clone(), name.clone()));
                }
                groups
            })
            .collect();
        Some(self.roles_with(&groups, now))
    }

    /// Every in-scope user's role on every in-scope resource, `groups[k]` the groups the
    /// k-th user is a direct member of.
    fn roles_with(
        &self,
        groups: &[Vec<(String, String)>],
        now: DateTime<Utc>,
    ) -> HashMap<(String, ResourceRef), Role> {
        let mut roles = HashMap::new();
        for (user, direct) in self.users.iter().zip(groups) {
            let graph = self.graph_of(&user.id, direct);
            let mut grants: Vec<&Grant> = user.grants.iter().collect();
            for group in graph.names.keys() {
                if let Some(held) = self.facts.group_grants.get(group) {
                    grants.extend(held);
                }
            }
            let org_owner = self.facts.owners.contains(&user.id);
            for (workspace, folder) in &self.entries {
                let on: Vec<Grant> = grants
                    .iter()
                    .filter(|grant| match &grant.resource {
                        ResourceRef::Workspace(id) => *id == workspace.id,
                        ResourceRef::Folder(id) => folder.as_ref().is_some_and(|f| f.id == *id),
                    })
                    .map(|grant| (*grant).clone())
                    .collect();
                let candidate = Candidate {
                    user_id: &user.id,
                    active: user.active,
                    org_owner,
                    attribute_matches: &user.matches,
                };
                let found = who_has_access(
                    [candidate],
                    &graph,
                    workspace,
                    folder.as_ref(),
                    &on,
                    &self.facts.rules,
                    now,
                );
                let resource = match folder {
                    Some(folder) => ResourceRef::Folder(folder.id.clone()),
                    None => ResourceRef::Workspace(workspace.id.clone()),
                };
                for (user, role) in found {
                    roles.insert((user, resource.clone()), role);
                }
            }
        }
        roles
    }

    /// `user`'s groups: `direct` and, from the cached nesting, every group above them, all
    /// named.
    fn graph_of(&self, user: &str, direct: &[(String, String)]) -> GroupGraph {
        let mut graph = GroupGraph::default();
        let mut frontier: Vec<String> = Vec::new();
        for (group, name) in direct {
            graph.add_membership(group, user);
            graph.set_name(group, name);
            frontier.push(group.clone());
        }
        let mut seen: HashSet<String> = frontier.iter().cloned().collect();
        while let Some(group) = frontier.pop() {
            for parent in self.facts.groups.parents.get(&group).into_iter().flatten() {
                graph.add_membership(parent, &group);
                if let Some(name) = self.facts.groups.name(parent) {
                    graph.set_name(parent, name);
                }
                if seen.insert(parent.clone()) {
                    frontier.push(parent.clone());
                }
            }
        }
        graph
    }
}

/// The roles of `user` before and after a write of their attributes that changes the
/// attribute rules they match from `was` to `is` (for a user just created, `was` is
/// empty): on the workspaces of the rules whose match changed, with their open folders.
/// Everything but the user's own rows (whether active, their direct groups, their grants:
/// one statement) comes from the cached facts, and the write changes none of those rows.
/// `None` when the cache does not cover it (no such user of the organization); `Some(None)`
/// when the rules whose match changed apply to no workspace.
pub(crate) fn user_attribute_roles(
    tx: &mut Tx<'_>,
    facts: Arc<AccessFacts>,
    org_id: &str,
    user: &str,
    was: Vec<AttributeMatch>,
    is: Vec<AttributeMatch>,
    now: DateTime<Utc>,
) -> Result<Option<Option<(Roles, Roles)>>, StoreError> {
    let ids = |found: &[AttributeMatch]| -> HashSet<String> {
        found.iter().map(|m| m.rule_id.clone()).collect()
    };
    let changed: HashSet<String> = ids(&was).symmetric_difference(&ids(&is)).cloned().collect();
    let globs: Vec<&str> = facts
        .rules
        .iter()
        .filter(|rule| changed.contains(&rule.id))
        .map(|rule| rule.workspaces.as_str())
        .collect();
    let workspaces: Vec<String> = facts
        .workspaces
        .values()
        .filter(|workspace| globs.iter().any(|glob| glob_matches(glob, &workspace.name)))
        .map(|workspace| workspace.id.clone())
        .collect();
    if workspaces.is_empty() {
        return Ok(Some(None));
    }
    let Some(rows) = tx.user_access_rows(org_id, user)? else {
        return Ok(None);
    };
    let mut delta = CachedDelta {
        entries: facts.entries(&workspaces, &[]),
        facts,
        org_id: org_id.to_owned(),
        group: String::new(),
        group_name: None,
        users: vec![UserInScope {
            id: user.to_owned(),
            active: rows.active,
            grants: rows.grants,
            matches: was,
        }],
        before_groups: Vec::new(),
    };
    let groups = [rows.groups];
    let before = delta.roles_with(&groups, now);
    delta.users[0].matches = is;
    let after = delta.roles_with(&groups, now);
    Ok(Some(Some((before, after))))
}

/// Roles by (user, resource).
pub(crate) type Roles = HashMap<(String, ResourceRef), Role>;

/// What [`reach`] found.
struct Reach {
    entries: Vec<Entry>,
    group_name: Option<String>,
}

/// The resources whose roles depend on membership of `group` (those it or a group above it
/// holds grants on, the workspaces of rules matching one of their names, each workspace
/// with its open folders), or `None` when there are none; with the group's name when it is
/// known (always, when the organization has rules).
fn reach(
    tx: &mut Tx<'_>,
    facts: &AccessFacts,
    org_id: &str,
    group: &str,
) -> Result<Option<Reach>, StoreError> {
    let mut group_name = facts.groups.name(group).map(str::to_owned);
    let mut chain: Vec<String> = vec![group.to_owned()];
    let mut seen: HashSet<String> = chain.iter().cloned().collect();
    let mut at = 0;
    while at < chain.len() {
        for parent in facts.groups.parents.get(&chain[at]).into_iter().flatten() {
            if seen.insert(parent.clone()) {
                chain.push(parent.clone());
            }
        }
        at += 1;
    }
    let mut workspaces: Vec<String> = Vec::new();
    let mut folders: Vec<String> = Vec::new();
    for held in chain.iter().filter_map(|id| facts.group_grants.get(id)) {
        for grant in held {
            match &grant.resource {
                ResourceRef::Workspace(id) => workspaces.push(id.clone()),
                ResourceRef::Folder(id) => folders.push(id.clone()),
            }
        }
    }
    if !facts.rules.is_empty() {
        let mut names: Vec<String> = chain
            .iter()
            .filter_map(|id| facts.groups.name(id))
            .map(str::to_owned)
            .collect();
        if facts.groups.name(group).is_none() {
            // A group in no nesting and holding no grant: its name is read.
            let own: Option<(String, String)> = scim_groups::table
                .find(group)
                .select((scim_groups::org_id, scim_groups::display_name))
                .first(tx.conn)
                .optional()?;
            group_name = own.filter(|(org, _)| org == org_id).map(|(_, name)| name);
            names.extend(group_name.clone());
        }
        for workspace in facts.workspaces.values() {
            if facts.rules.iter().any(|rule| {
                glob_matches(&rule.workspaces, &workspace.name)
                    && names.iter().any(|name| rule.matches_group(name))
            }) {
                workspaces.push(workspace.id.clone());
            }
        }
    }
    if workspaces.is_empty() && folders.is_empty() {
        return Ok(None);
    }
    Ok(Some(Reach {
        entries: facts.entries(&workspaces, &folders),
        group_name,
    }))
}

impl AccessFacts {
    /// The organization's attribute rules, resolved.
    pub(crate) fn attribute_rules(&self) -> Arc<[CompiledRule]> {
        Arc::clone(&self.attribute_rules)
    }

    /// The top-level attributes the attribute rules read.
    pub(crate) fn attribute_keys(&self) -> &[(Option<String>, String)] {
        &self.attribute_keys
    }

    /// The workspaces and folders named that exist: each workspace with its open folders,
    /// each other folder with its workspace (a Home folder stands for its workspace).
    fn entries(&self, workspaces: &[String], folders: &[String]) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut seen_workspaces: HashSet<&str> = HashSet::new();
        let mut seen_folders: HashSet<&str> = HashSet::new();
        for id in workspaces {
            let Some(workspace) = self.workspaces.get(id) else {
                continue;
            };
            if !seen_workspaces.insert(id) {
                continue;
            }
            entries.push((workspace.clone(), None));
            for folder in self.open_folders.get(id).into_iter().flatten() {
                if seen_folders.insert(folder)
                    && let Some(found) = self.folders.get(folder)
                {
                    entries.push((workspace.clone(), Some(found.clone())));
                }
            }
        }
        for id in folders {
            let Some(folder) = self.folders.get(id) else {
                continue;
            };
            let Some(workspace) = self.workspaces.get(&folder.workspace_id) else {
                continue;
            };
            if workspace.home_folder_id == folder.id {
                if seen_workspaces.insert(&workspace.id) {
                    entries.push((workspace.clone(), None));
                }
            } else if seen_folders.insert(&folder.id) {
                entries.push((workspace.clone(), Some(folder.clone())));
            }
        }
        entries
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests read the wall clock
mod tests {
    use super::*;
    use crate::testing::TestDb;

    #[test]
    fn the_cache_keeps_at_most_its_limit_of_organizations() {
        let db = TestDb::sqlite();
        let store = db.open();
        let orgs: Vec<String> = (0..3)
            .map(|k| {
                store
                    .write(|tx| tx.orgs().create(&format!("org{k}"), Utc::now()))
                    .map(|org| org.id)
            })
            .collect::<Result<_, _>>()
            .expect("orgs");
        let cache = Arc::new(FactsCache::with_limit(2));
        store
            .write(|tx| {
                let mut tx = Tx::new(&mut *tx.conn, tx.backend).with_facts(&cache);
                for org in &orgs {
                    assert!(tx.access_facts(org)?.is_some());
                }
                cache.publish(std::mem::take(&mut tx.facts_loaded));
                Ok(())
            })
            .expect("facts");
        let kept = cache.orgs.lock().expect("lock");
        assert_eq!(kept.len(), 2);
        assert!(kept.contains_key(&orgs[2]), "the last one used is kept");
    }

    #[test]
    fn facts_read_by_a_transaction_that_rolls_back_are_never_served() {
        for db in TestDb::all() {
            let store = db.open();
            let org = store
                .write(|tx| tx.orgs().create("acme", Utc::now()))
                .expect("org")
                .id;
            let rule = |glob: &str| Rule::for_groups(glob, "*", org_model::Role::Viewer);
            let rules_seen = |tx: &mut Tx<'_>| -> Result<Vec<String>, StoreError> {
                Ok(tx
                    .access_facts(&org)?
                    .map(|facts| {
                        facts
                            .rules
                            .iter()
                            .filter_map(|r| r.group_glob().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default())
            };
            // A rule is added (the version moves), its facts read, and the transaction
            // rolls back.
            let refused = store.write(|tx| {
                tx.rules().create(&org, &rule("phantom-*"), Utc::now())?;
                assert_eq!(rules_seen(tx)?, ["phantom-*"]);
                Err::<(), _>(StoreError::Conflict("rolled back".to_owned()))
            });
            assert!(refused.is_err());
            // A committed change reaches the same version number: its own facts are read.
            store
                .write(|tx| {
                    tx.rules()
                        .create(&org, &rule("real-*"), Utc::now())
                        .map(|_| ())
                })
                .expect("rule");
            let seen = store.write(|tx| rules_seen(tx)).expect("facts");
            assert_eq!(seen, ["real-*"], "{:?}", db.backend());
            // And in a savepoint that is undone, the same.
            let seen = store
                .write(|tx| {
                    let undone = tx.savepoint(|tx| {
                        tx.rules().create(&org, &rule("phantom2-*"), Utc::now())?;
                        rules_seen(tx)?;
                        Err::<(), _>(StoreError::Conflict("undone".to_owned()))
                    });
                    assert!(undone.is_err());
                    tx.rules().create(&org, &rule("real2-*"), Utc::now())?;
                    rules_seen(tx)
                })
                .expect("facts");
            assert_eq!(seen, ["real-*", "real2-*"], "{:?}", db.backend());
            let seen = store.write(|tx| rules_seen(tx)).expect("facts");
            assert_eq!(seen, ["real-*", "real2-*"], "{:?}", db.backend());
        }
    }
}
