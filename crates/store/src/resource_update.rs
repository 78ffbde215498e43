//! Changing stored resources: replace (PUT, a user PATCH's outcome), group PATCH as member
//! deltas, delete. The version check and the write are one guarded statement (`UPDATE …
//! WHERE version = ?`); the row is read first (locked `FOR UPDATE` on PostgreSQL; SQLite write
//! transactions hold the lock) to tell "nothing changed" (no version bump) from a change.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use scim_core::patch::MemberChange;
use serde_json::Value;

use crate::members::{self, Member, MemberDelta, Members};
use crate::resource::{Columns, Resources, columns, member_refs};
use crate::sql::{Bind, Sql};
use crate::values;
use crate::version::version_sql;
use crate::{Backend, ResourceKind, StoreError, StoredResource, Tx, timestamp};

/// The stored row a write compares against.
#[derive(Debug, QueryableByName)]
struct CurrentRow {
    /// The row's own version, which the guarded write compares.
    #[diesel(sql_type = BigInt)]
    version: i64,
    /// The version as answered (`version::version_sql`), which `If-Match` compares.
    #[diesel(sql_type = BigInt)]
    answered: i64,
    #[diesel(sql_type = Text)]
    data: String,
}

impl Tx<'_> {
    /// The current version and data of a resource, locked for update on PostgreSQL (SQLite
    /// write transactions hold the database lock already).
    fn current(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
    ) -> Result<CurrentRow, StoreError> {
        let mut sql = Sql::new(self.backend);
        sql.cacheable();
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let id = sql.bind(Bind::Text(id.to_owned()));
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        sql.push(&format!(
            "SELECT r.version AS version, {} AS answered, r.data AS data FROM {} r \
             WHERE r.org_id = {org} AND r.id = {id}{lock}",
            version_sql(kind, "r"),
            kind.table()
        ));
        sql.optional(self.conn)?.ok_or(StoreError::NotFound)
    }

    /// Load the current row and check `expected_version` against it.
    fn checked_current(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<CurrentRow, StoreError> {
        let current = self.current(org_id, kind, id)?;
        match expected_version {
            Some(expected) if expected != current.answered => Err(StoreError::VersionMismatch {
                current: current.answered,
            }),
            _ => Ok(current),
        }
    }

    /// Why a guarded write touched no row: the resource is gone, or at another version.
    fn explain_missed_write(&mut self, org_id: &str, kind: ResourceKind, id: &str) -> StoreError {
        match self.current(org_id, kind, id) {
            Ok(current) => StoreError::VersionMismatch {
                current: current.answered,
            },
            Err(error) => error,
        }
    }

    /// Bump the version (and write new columns when given) if it is still `version`.
    fn update_row(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        version: i64,
        columns: Option<&Columns>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.backend);
        sql.cacheable();
        let mut set = vec![
            "version = version + 1".to_owned(),
            format!(
                "last_modified = {}",
                sql.bind(Bind::Text(timestamp::to_db(now)))
            ),
        ];
        if let Some(columns) = columns {
            let (name, name_key) = match kind {
                ResourceKind::User => ("user_name", "user_name_key"),
                ResourceKind::Group => ("display_name", "display_name_key"),
            };
            set.push(format!(
                "{name} = {}",
                sql.bind(Bind::Text(columns.name.clone()))
            ));
            // The key changes only with the name: a row whose key the identity-key migration
            // suffixed (it collided) keeps it until it is renamed, so it can still be written.
            let same_name = sql.bind(Bind::Text(columns.name.clone()));
            let new_key = sql.bind(Bind::Text(columns.name_key.clone()));
            set.push(format!(
                "{name_key} = CASE WHEN {name} = {same_name} THEN {name_key} ELSE {new_key} END"
            ));
            set.push(format!(
                "external_id = {}",
                sql.bind(Bind::OptionalText(columns.external_id.clone()))
            ));
            let unique =
                crate::resource::external_id_unique(&mut sql, org_id, columns.external_id.clone());
            set.push(format!("external_id_unique = {unique}"));
            if kind == ResourceKind::User {
                set.push(format!(
                    "display_name = {}",
                    sql.bind(Bind::OptionalText(columns.display_name.clone()))
                ));
                set.push(format!(
                    "active = {}",
                    sql.bind(Bind::OptionalBool(columns.active))
                ));
            }
            set.push(format!(
                "data = {}",
                sql.bind(Bind::Text(Value::Object(columns.data.clone()).to_string()))
            ));
        }
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let id_bind = sql.bind(Bind::Text(id.to_owned()));
        let version = sql.bind(Bind::BigInt(version));
        sql.push(&format!(
            "UPDATE {} SET {} WHERE org_id = {org} AND id = {id_bind} AND version = {version}",
            kind.table(),
            set.join(", ")
        ));
        if sql.execute(self.conn)? == 0 {
            return Err(self.explain_missed_write(org_id, kind, id));
        }
        if let Some(columns) = columns {
            self.write_index(org_id, kind, id, &columns.data)?;
        }
        Ok(())
    }
}

impl Resources<'_, '_> {
    /// Replace a resource with `resource` (normalized; PUT, or a user PATCH's outcome).
    /// A group's members become exactly `resource["members"]`. With `expected_version`,
    /// the version check and the write are one statement. The version is bumped only
    /// when something changed.
    pub fn replace(
        &mut self,
        org_id: &str,
        id: &str,
        resource: &Value,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        let kind = self.kind;
        let current = self
            .tx
            .checked_current(org_id, kind, id, expected_version)?;
        let columns = columns(kind, resource)?;
        let stored: Value = serde_json::from_str(&current.data)?;
        let data_changed = stored != Value::Object(columns.data.clone());
        let mut members_changed = false;
        if kind == ResourceKind::Group {
            let refs = member_refs(resource)?;
            let wanted: Vec<Member> =
                members::resolve_members(self.tx.conn, self.tx.backend, org_id, id, &refs)?;
            let wanted_ids: HashSet<&str> = wanted.iter().map(|m| m.id.as_str()).collect();
            let present = members::member_ids(self.tx.conn, self.tx.backend, org_id, id)?;
            let gone: Vec<String> = present
                .iter()
                .filter(|member| !wanted_ids.contains(member.as_str()))
                .cloned()
                .collect();
            let new: Vec<Member> = wanted
                .into_iter()
                .filter(|member| !present.contains(&member.id))
                .collect();
            members_changed = !gone.is_empty() || !new.is_empty();
            let left = members::delete_members(self.tx.conn, self.tx.backend, org_id, id, &gone)?;
            let joined = members::insert_members(self.tx.conn, self.tx.backend, org_id, id, &new)?;
            members::touch_users(
                self.tx.conn,
                self.tx.backend,
                org_id,
                left.iter().chain(&joined),
            )?;
        }
        if data_changed || members_changed {
            let new_columns = data_changed.then_some(&columns);
            self.tx
                .update_row(org_id, kind, id, current.version, new_columns, now)?;
        }
        self.get(org_id, id, true)
    }

    /// Delete a resource and its membership rows (as a group, and as a member of groups:
    /// those groups move to a new version, modified at `now`). This is a hard delete; SCIM
    /// deletes users with [`Lifecycle::delete_user`](crate::Lifecycle::delete_user), which
    /// leaves a tombstone and takes their grants, joins and org settings along.
    pub fn delete(
        &mut self,
        org_id: &str,
        id: &str,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let kind = self.kind;
        if kind == ResourceKind::Group {
            // Its users lose it from their `groups`. Before the delete: the foreign key may
            // cascade to the membership rows. A version mismatch rolls this back with the rest.
            members::touch_users_of(self.tx.conn, self.tx.backend, org_id, id)?;
        }
        let mut sql = Sql::new(self.tx.backend);
        sql.cacheable();
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let id_bind = sql.bind(Bind::Text(id.to_owned()));
        let version_condition = match expected_version {
            Some(version) => format!(
                " AND {} = {}",
                version_sql(kind, kind.table()),
                sql.bind(Bind::BigInt(version))
            ),
            None => String::new(),
        };
        sql.push(&format!(
            "DELETE FROM {} WHERE org_id = {org} AND id = {id_bind}{version_condition}",
            kind.table()
        ));
        if sql.execute(self.tx.conn)? == 0 {
            return Err(self.tx.explain_missed_write(org_id, kind, id));
        }
        if kind == ResourceKind::Group {
            // The foreign key cascades too; explicit so it does not depend on the pragma.
            let mut rows = Sql::new(self.tx.backend);
            rows.cacheable();
            rows.push("DELETE FROM group_members WHERE group_id = ")
                .push_bind(Bind::Text(id.to_owned()))
                .push(" AND org_id = ")
                .push_bind(Bind::Text(org_id.to_owned()));
            rows.execute(self.tx.conn)?;
            // A deleted group's grants go with it; its users keep their own.
            self.tx
                .delete_grants_of(org_id, &org_model::Principal::Group(id.to_owned()))?;
        }
        members::delete_memberships_of(self.tx.conn, self.tx.backend, org_id, id, now)?;
        if kind == ResourceKind::User {
            members::forget_group_version(self.tx.conn, self.tx.backend, org_id, id)?;
        }
        values::delete_rows(self.tx.conn, self.tx.backend, org_id, id)?;
        Ok(())
    }
}

impl Members<'_, '_> {
    /// Apply a group PATCH plan: `attributes` (the member-less group after the PATCH, when
    /// its own attributes changed) and the member deltas, in time proportional to the
    /// change. The version is bumped when anything changed. Members are not loaded in the result.
    pub fn patch_group(
        &mut self,
        org_id: &str,
        id: &str,
        attributes: Option<&Value>,
        member_changes: &[MemberChange],
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        self.patch_group_with_delta(
            org_id,
            id,
            attributes,
            member_changes,
            expected_version,
            now,
        )
        .map(|(stored, _)| stored)
    }

    /// [`Members::patch_group`], also answering what the member changes did, net.
    pub fn patch_group_with_delta(
        &mut self,
        org_id: &str,
        id: &str,
        attributes: Option<&Value>,
        member_changes: &[MemberChange],
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(StoredResource, MemberDelta), StoreError> {
        let kind = ResourceKind::Group;
        let current = self
            .tx
            .checked_current(org_id, kind, id, expected_version)?;
        let new_columns = match attributes {
            Some(attributes) => {
                let columns = columns(kind, attributes)?;
                let stored: Value = serde_json::from_str(&current.data)?;
                (stored != Value::Object(columns.data.clone())).then_some(columns)
            }
            None => None,
        };
        let delta =
            members::apply_changes(self.tx.conn, self.tx.backend, org_id, id, member_changes)?;
        members::touch_users(
            self.tx.conn,
            self.tx.backend,
            org_id,
            delta.added.iter().chain(&delta.removed),
        )?;
        if new_columns.is_some() || !delta.is_empty() {
            self.tx
                .update_row(org_id, kind, id, current.version, new_columns.as_ref(), now)?;
        }
        Ok((self.tx.groups().get(org_id, id, false)?, delta))
    }
}
