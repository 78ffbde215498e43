//! Group membership as rows, the area [`Members`]: validating member ids, applying
//! `MemberChange` deltas in time proportional to the change, and loading members / a user's
//! groups for responses.

use std::collections::{HashMap, HashSet};

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::Text;
use scim_core::patch::{MemberChange, MemberRef};
use serde_json::{Map, Value, json};

use crate::connection::AnyConnection;
use crate::filter_sql::{Element, FilterSql};
use crate::sql::{Bind, Sql};
use crate::{Backend, ResourceKind, StoreError, Tx, timestamp};

/// Ids per `IN (…)` list or multi-row INSERT.
const CHUNK: usize = 500;

impl<'c> Tx<'c> {
    /// Group membership: group PATCH as member deltas, and who is a member of what.
    pub fn members(&mut self) -> Members<'_, 'c> {
        Members { tx: self }
    }
}

/// Group membership, in a transaction ([`Tx::members`]): group PATCH
/// (`resource_update.rs`), members of a group and groups of a member (`member_ids.rs`).
#[derive(Debug)]
pub struct Members<'t, 'c> {
    pub(crate) tx: &'t mut Tx<'c>,
}

/// A member to be: its id and its type, `User` or `Group` (as found in the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) member_type: &'static str,
}

impl Member {
    /// The member as a `members` element: `{"value", "type"}`.
    pub(crate) fn to_value(&self) -> Value {
        json!({"value": self.id, "type": self.member_type})
    }
}

#[derive(QueryableByName)]
struct IdAndKind {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    kind: String,
}

fn placeholders(sql: &mut Sql, ids: &[String]) -> String {
    ids.iter()
        .map(|id| sql.bind(Bind::Text(id.clone())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check that every ref names a user or group of the org (one query per chunk) and give
/// each its type. Duplicates collapse to the first; a group cannot contain itself
/// (`org_model::groups::check_member`, then [`refuse_cycles`]); a `type` sent by the client
/// must be the member's real type.
pub(crate) fn resolve_members(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    group_id: &str,
    refs: &[MemberRef],
) -> Result<Vec<Member>, StoreError> {
    let mut seen = HashSet::new();
    let unique: Vec<&MemberRef> = refs
        .iter()
        .filter(|r| seen.insert(r.value.as_str()))
        .collect();
    let mut kinds: HashMap<String, &'static str> = HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(CHUNK) {
        let ids: Vec<String> = chunk.iter().map(|r| r.value.clone()).collect();
        let sql = lookup_sql(backend, org_id, &ids);
        for found in sql.load::<IdAndKind>(connection)? {
            let kind = if found.kind == "Group" {
                "Group"
            } else {
                "User"
            };
            kinds.insert(found.id, kind);
        }
    }
    let members = unique
        .into_iter()
        .map(|member_ref| {
            let id = &member_ref.value;
            org_model::groups::check_member(group_id, id)
                .map_err(|error| StoreError::InvalidMember(error.to_string()))?;
            let member_type = *kinds.get(id).ok_or_else(|| {
                StoreError::InvalidMember(format!("{id} is no user or group of this organization"))
            })?;
            if let Some(sent) = &member_ref.type_
                && !sent.eq_ignore_ascii_case(member_type)
            {
                return Err(StoreError::InvalidMember(format!(
                    "{id} is a {member_type}, not a {sent}"
                )));
            }
            Ok(Member {
                id: id.clone(),
                member_type,
            })
        })
        .collect::<Result<Vec<Member>, StoreError>>()?;
    if members.iter().any(|member| member.member_type == "Group") {
        // A cycle can close through two groups added at once anywhere in the org: such
        // writes take turns, each checking what the other committed.
        crate::org::lock_rules(connection, backend, org_id)?;
        refuse_cycles(connection, backend, group_id, &members)?;
    }
    Ok(members)
}

/// The users and groups of the org among `ids` (at most [`CHUNK`]): `(id, kind)` rows,
/// found by primary key, so the cost is proportional to `ids`, never to the org. A write's
/// statement: on PostgreSQL the rows found stay locked against deletion.
pub(crate) fn lookup_sql(backend: Backend, org_id: &str, ids: &[String]) -> Sql {
    let mut sql = Sql::new(backend);
    if ids.len() == 1 {
        sql.cacheable();
    }
    let org = sql.bind(Bind::Text(org_id.to_owned()));
    let list = placeholders(&mut sql, ids);
    let org_column = not_an_index_key(backend, "org_id");
    match backend {
        Backend::Sqlite => sql.push(&format!(
            "SELECT id, 'User' AS kind FROM scim_users WHERE {org_column} = {org} AND id IN ({list}) \
             UNION ALL SELECT id, 'Group' AS kind FROM scim_groups WHERE {org_column} = {org} AND id IN ({list})"
        )),
        // Each found row is locked (`FOR KEY SHARE`) until the end of the transaction: a
        // concurrent delete (which locks its row first, `Resources::get_for_write`) then
        // either commits before, and the member is not found, or waits for this write and
        // takes its new membership row away with the rest. Profile updates do not wait.
        Backend::Postgres => sql.push(&format!(
            "WITH u AS (SELECT id FROM scim_users WHERE {org_column} = {org} AND id IN ({list}) FOR KEY SHARE), \
             g AS (SELECT id FROM scim_groups WHERE {org_column} = {org} AND id IN ({list}) FOR KEY SHARE) \
             SELECT id, 'User' AS kind FROM u UNION ALL SELECT id, 'Group' AS kind FROM g"
        )),
    };
    sql
}

/// `column` as a condition term no index may serve. SQLite's planner, without statistics,
/// prefers the org-wide range `scim_users_created (org_id=?)` to hundreds of primary-key
/// probes of `id IN (…)`: a scan of every user of the org per chunk (docs/benchmarks.md,
/// "Large groups", has the before and after). A unary `+`
/// takes the term away from the index choice; PostgreSQL plans from statistics and needs
/// no hint.
fn not_an_index_key(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("+{column}"),
        Backend::Postgres => column.to_owned(),
    }
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Nested groups must not form a cycle: `group_id` may not be among the groups the added
/// groups contain, transitively. Walks group-typed member rows only (`group_members_nested`).
fn refuse_cycles(
    connection: &mut AnyConnection,
    backend: Backend,
    group_id: &str,
    members: &[Member],
) -> Result<(), StoreError> {
    let groups: Vec<String> = members
        .iter()
        .filter(|member| member.member_type == "Group")
        .map(|member| member.id.clone())
        .collect();
    for chunk in groups.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        if chunk.len() == 1 {
            sql.cacheable();
        }
        let target = sql.bind(Bind::Text(group_id.to_owned()));
        let list = placeholders(&mut sql, chunk);
        sql.push(&format!(
            "WITH RECURSIVE descendants(id) AS ( \
               SELECT member_id FROM group_members WHERE member_type = 'Group' AND group_id IN ({list}) \
               UNION \
               SELECT m.member_id FROM group_members m JOIN descendants d ON m.group_id = d.id \
               WHERE m.member_type = 'Group' \
             ) SELECT id FROM descendants WHERE id = {target} LIMIT 1"
        ));
        if let Some(found) = sql.optional::<Found>(connection)? {
            return Err(StoreError::InvalidMember(format!(
                "adding these groups to group {} would make it contain itself",
                found.id
            )));
        }
    }
    Ok(())
}

/// Insert member rows, ignoring those already there; the ids that were new.
pub(crate) fn insert_members(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    group_id: &str,
    members: &[Member],
) -> Result<Vec<String>, StoreError> {
    let mut inserted = Vec::new();
    for chunk in members.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        if chunk.len() == 1 {
            sql.cacheable();
        }
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let group = sql.bind(Bind::Text(group_id.to_owned()));
        let rows: Vec<String> = chunk
            .iter()
            .map(|member| {
                let id = sql.bind(Bind::Text(member.id.clone()));
                format!("({org}, {group}, {id}, '{}')", member.member_type)
            })
            .collect();
        sql.push(&format!(
            "INSERT INTO group_members (org_id, group_id, member_id, member_type) VALUES {} \
             ON CONFLICT DO NOTHING",
            rows.join(", ")
        ));
        inserted.extend(changed_ids(connection, sql, chunk.iter().map(|m| &m.id))?);
    }
    Ok(inserted)
}

/// Delete the members with these ids; the ids that were members.
pub(crate) fn delete_members(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    group_id: &str,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut deleted = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        if chunk.len() == 1 {
            sql.cacheable();
        }
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let group = sql.bind(Bind::Text(group_id.to_owned()));
        let list = placeholders(&mut sql, chunk);
        sql.push(&format!(
            "DELETE FROM group_members WHERE org_id = {org} AND group_id = {group} AND member_id IN ({list})"
        ));
        deleted.extend(changed_ids(connection, sql, chunk.iter())?);
    }
    Ok(deleted)
}

/// Run an insert or delete of the member rows of `ids` and answer the ids whose row it
/// inserted or deleted: for one id, whether it changed a row (no row to read back); for
/// several, the rows it answers (`RETURNING`).
fn changed_ids<'a>(
    connection: &mut AnyConnection,
    mut sql: Sql,
    ids: impl ExactSizeIterator<Item = &'a String>,
) -> Result<Vec<String>, StoreError> {
    let mut ids = ids;
    if ids.len() == 1 {
        let only = ids.next().cloned();
        let changed = sql.execute(connection)? > 0;
        return Ok(only.filter(|_| changed).into_iter().collect());
    }
    sql.push(" RETURNING member_id AS id");
    let rows: Vec<Found> = sql.load(connection)?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Delete the members an element-scoped filter matches (or all, without one); their ids.
fn delete_where(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    group_id: &str,
    filter: Option<&scim_core::filter::ResolvedFilter>,
) -> Result<Vec<String>, StoreError> {
    let mut sql = delete_where_sql(backend, org_id, group_id, filter);
    sql.push(" RETURNING member_id AS id");
    let rows: Vec<Found> = sql.load(connection)?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// What a group's member changes did, net: the ids that are members now and were not
/// before, and those that were and are not (an id added and removed again is in neither).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDelta {
    /// Ids that became members.
    pub added: BTreeSet<String>,
    /// Ids that stopped being members.
    pub removed: BTreeSet<String>,
}

impl MemberDelta {
    /// Whether membership changed at all.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    fn inserted(&mut self, ids: Vec<String>) {
        for id in ids {
            if !self.removed.remove(&id) {
                self.added.insert(id);
            }
        }
    }

    fn deleted(&mut self, ids: Vec<String>) {
        for id in ids {
            if !self.added.remove(&id) {
                self.removed.insert(id);
            }
        }
    }
}

/// The DELETE of [`delete_where`]: it walks the group's rows by primary key, never the
/// org's memberships (`group_members_member (org_id=?)`, which SQLite would pick for a
/// filter-less removal, see [`not_an_index_key`]).
pub(crate) fn delete_where_sql(
    backend: Backend,
    org_id: &str,
    group_id: &str,
    filter: Option<&scim_core::filter::ResolvedFilter>,
) -> Sql {
    let mut sql = Sql::new(backend);
    if filter.is_none() {
        sql.cacheable();
    }
    let org = sql.bind(Bind::Text(org_id.to_owned()));
    let group = sql.bind(Bind::Text(group_id.to_owned()));
    let condition = match filter {
        Some(filter) => {
            let mut translator = FilterSql::new(&mut sql, ResourceKind::Group, org.clone());
            let element = Element::Member("group_members".to_owned());
            translator.element(filter, "scim_groups", &element)
        }
        None => crate::sql::SQL_TRUE.to_owned(),
    };
    let org_column = not_an_index_key(backend, "org_id");
    sql.push(&format!(
        "DELETE FROM group_members WHERE {org_column} = {org} AND group_id = {group} AND {condition}"
    ));
    sql
}

/// Apply PATCH member changes in order; what they did, net. Each statement answers the
/// rows it inserted or deleted (`RETURNING`), so knowing the delta costs no read.
pub(crate) fn apply_changes(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    group_id: &str,
    changes: &[MemberChange],
) -> Result<MemberDelta, StoreError> {
    let mut delta = MemberDelta::default();
    for change in changes {
        match change {
            MemberChange::Add(refs) => {
                let members = resolve_members(connection, backend, org_id, group_id, refs)?;
                delta.inserted(insert_members(
                    connection, backend, org_id, group_id, &members,
                )?);
            }
            MemberChange::Remove(ids) => {
                delta.deleted(delete_members(connection, backend, org_id, group_id, ids)?);
            }
            MemberChange::RemoveAll => {
                delta.deleted(delete_where(connection, backend, org_id, group_id, None)?);
            }
            MemberChange::RemoveWhere(filter) => {
                delta.deleted(delete_where(
                    connection,
                    backend,
                    org_id,
                    group_id,
                    Some(filter),
                )?);
            }
            MemberChange::ReplaceWhere { filter, members } => {
                let removed = delete_where(connection, backend, org_id, group_id, Some(filter))?;
                if removed.is_empty() {
                    return Err(StoreError::NoTarget(
                        "replace: the members filter matched no member".to_owned(),
                    ));
                }
                delta.deleted(removed);
                let members = resolve_members(connection, backend, org_id, group_id, members)?;
                delta.inserted(insert_members(
                    connection, backend, org_id, group_id, &members,
                )?);
            }
        }
    }
    Ok(delta)
}

#[derive(QueryableByName)]
struct MemberRow {
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = Text)]
    extra: String,
}

/// The current member ids of one group (for a full replacement).
pub(crate) fn member_ids(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    group_id: &str,
) -> Result<HashSet<String>, StoreError> {
    let mut members = load_members(connection, backend, org_id, &[group_id.to_owned()])?;
    Ok(members
        .remove(group_id)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|member| {
            member
                .get("value")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect())
}

/// The `members` of each group of the org (`{"value", "type"}`, by member id).
pub(crate) fn load_members(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    group_ids: &[String],
) -> Result<HashMap<String, Vec<Value>>, StoreError> {
    let mut members: HashMap<String, Vec<Value>> = HashMap::new();
    for chunk in group_ids.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        if chunk.len() == 1 {
            sql.cacheable();
        }
        let list = placeholders(&mut sql, chunk);
        let org_condition = format!(" AND org_id = {}", sql.bind(Bind::Text(org_id.to_owned())));
        sql.push(&format!(
            "SELECT group_id AS owner, member_id AS value, member_type AS extra FROM group_members \
             WHERE group_id IN ({list}){org_condition} ORDER BY group_id, member_id"
        ));
        for row in sql.load::<MemberRow>(connection)? {
            members
                .entry(row.owner)
                .or_default()
                .push(json!({"value": row.value, "type": row.extra}));
        }
    }
    Ok(members)
}

#[derive(QueryableByName)]
struct UserGroupRow {
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = Text)]
    display: String,
    #[diesel(sql_type = Text)]
    kind: String,
}

/// The groups of each user, by display name: `{"value", "display", "type"}`, `direct` for
/// those they are a member of and `indirect` for those they are in only through nesting
/// (RFC 7643 §4.1.2). Walks up from the users' own membership rows, so it costs in
/// proportion to their groups and the groups above them, never to the groups' sizes
/// (`CROSS JOIN` keeps SQLite to that order).
pub(crate) fn load_user_groups(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    user_ids: &[String],
) -> Result<HashMap<String, Vec<Value>>, StoreError> {
    let mut groups: HashMap<String, Vec<Value>> = HashMap::new();
    for chunk in user_ids.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        if chunk.len() == 1 {
            sql.cacheable();
        }
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let list = placeholders(&mut sql, chunk);
        sql.push(&format!(
            "WITH RECURSIVE up(owner, grp, direct) AS ( \
               SELECT m.member_id, m.group_id, 1 FROM group_members m \
               WHERE m.org_id = {org} AND m.member_id IN ({list}) \
               UNION \
               SELECT up.owner, n.group_id, 0 FROM up CROSS JOIN group_members n \
               WHERE n.org_id = {org} AND n.member_id = up.grp) \
             SELECT up.owner AS owner, g.id AS value, g.display_name AS display, \
               CASE WHEN MAX(up.direct) = 1 THEN 'direct' ELSE 'indirect' END AS kind \
             FROM up CROSS JOIN scim_groups g WHERE g.id = up.grp \
             GROUP BY up.owner, g.id, g.display_name, g.display_name_key \
             ORDER BY up.owner, g.display_name_key, g.id"
        ));
        for row in sql.load::<UserGroupRow>(connection)? {
            let mut group = Map::new();
            group.insert("value".into(), Value::String(row.value));
            group.insert("display".into(), Value::String(row.display));
            group.insert("type".into(), Value::String(row.kind));
            groups
                .entry(row.owner)
                .or_default()
                .push(Value::Object(group));
        }
    }
    Ok(groups)
}

/// Move on the versions of the users among `ids` (group ids among them are skipped):
/// their direct `groups` changed, so a client holding an old ETag of one of them must not
/// be told it is unchanged. One small row per user (`user_group_versions`, see
/// [`crate::version::version_sql`]), whatever the size of the group. Ids are taken in
/// order, so two writes touching the same users on PostgreSQL wait for each other rather
/// than deadlock.
pub(crate) fn touch_users<'a>(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    ids: impl IntoIterator<Item = &'a String>,
) -> Result<(), StoreError> {
    let ids: Vec<String> = ids
        .into_iter()
        .cloned()
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let org_column = not_an_index_key(backend, "u.org_id");
    for chunk in ids.chunks(CHUNK) {
        let mut sql = Sql::new(backend);
        if chunk.len() == 1 {
            sql.cacheable();
        }
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let list = placeholders(&mut sql, chunk);
        sql.push(&format!(
            "INSERT INTO user_group_versions (org_id, user_id, version) \
             SELECT u.org_id, u.id, 1 FROM scim_users u WHERE {org_column} = {org} AND u.id IN ({list}) \
             ORDER BY u.id {}",
            BUMP_GROUP_VERSION
        ));
        sql.execute(connection)?;
    }
    Ok(())
}

/// Move on the versions of a group's user members, as [`touch_users`] does: the group is
/// about to go, and with it an entry of their `groups`. In proportion to its members, as
/// the deletion itself.
pub(crate) fn touch_users_of(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    group_id: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(backend);
    sql.cacheable();
    let org = sql.bind(Bind::Text(org_id.to_owned()));
    let group = sql.bind(Bind::Text(group_id.to_owned()));
    sql.push(&format!(
        "INSERT INTO user_group_versions (org_id, user_id, version) \
         SELECT m.org_id, m.member_id, 1 FROM group_members m \
         WHERE m.group_id = {group} AND m.org_id = {org} AND lower(m.member_type) = 'user' \
         ORDER BY m.member_id {}",
        BUMP_GROUP_VERSION
    ));
    sql.execute(connection)?;
    Ok(())
}

/// How many times `user_id`'s direct group memberships changed (0 when never).
pub(crate) fn group_version(
    connection: &mut AnyConnection,
    org_id: &str,
    user_id: &str,
) -> Result<i64, StoreError> {
    use crate::schema::user_group_versions as versions;
    use diesel::prelude::*;
    Ok(versions::table
        .filter(versions::org_id.eq(org_id))
        .filter(versions::user_id.eq(user_id))
        .select(versions::version)
        .first::<i64>(connection)
        .optional()?
        .unwrap_or(0))
}

/// The conflict clause of the upserts into `user_group_versions`.
const BUMP_GROUP_VERSION: &str = "ON CONFLICT (org_id, user_id) \
     DO UPDATE SET version = user_group_versions.version + 1";

/// A deleted user's count of membership changes goes with them.
pub(crate) fn forget_group_version(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    user_id: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(backend);
    sql.cacheable();
    sql.push("DELETE FROM user_group_versions WHERE org_id = ")
        .push_bind(Bind::Text(org_id.to_owned()))
        .push(" AND user_id = ")
        .push_bind(Bind::Text(user_id.to_owned()));
    sql.execute(connection)?;
    Ok(())
}

/// Remove a deleted user or group from every group that names it. Each of those groups
/// changed (its `members` lost one), so its version and `lastModified` move on: a client
/// holding its old ETag must not be told it is unchanged.
pub(crate) fn delete_memberships_of(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    member_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut bump = Sql::new(backend);
    bump.cacheable();
    let modified = bump.bind(Bind::Text(timestamp::to_db(now)));
    let org = bump.bind(Bind::Text(org_id.to_owned()));
    let member = bump.bind(Bind::Text(member_id.to_owned()));
    let mut groups =
        format!("SELECT group_id FROM group_members WHERE org_id = {org} AND member_id = {member}");
    if backend == Backend::Postgres {
        // Locked in id order first: two deletes that share groups then wait for each other
        // instead of deadlocking (the UPDATE alone locks in whatever order its plan visits
        // rows). SQLite has one writer at a time.
        groups = format!(
            "SELECT id FROM scim_groups WHERE org_id = {org} AND id IN ({groups}) \
             ORDER BY id FOR UPDATE"
        );
    }
    bump.push(&format!(
        "UPDATE scim_groups SET version = version + 1, last_modified = {modified} \
         WHERE org_id = {org} AND id IN ({groups})"
    ));
    bump.execute(connection)?;
    let mut sql = Sql::new(backend);
    sql.cacheable();
    let org = sql.bind(Bind::Text(org_id.to_owned()));
    let member = sql.bind(Bind::Text(member_id.to_owned()));
    sql.push(&format!(
        "DELETE FROM group_members WHERE org_id = {org} AND member_id = {member}"
    ));
    sql.execute(connection)?;
    Ok(())
}
