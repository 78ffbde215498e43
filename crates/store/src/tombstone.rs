//! Deleted users (PRODUCT.md §5): `DELETE /Users/{id}` moves the row out of `scim_users`
//! into `user_tombstones`, so the id is 404 everywhere from then on and its `userName` and
//! `externalId` are free at once (every query and uniqueness constraint on users keeps
//! working unchanged). The user's grants, group memberships, joins and place in the org's
//! `owners` (and as its `successor`) go with it. The tombstone keeps the personal data until the purge
//! ([`Lifecycle::purge_tombstones`]) scrubs it `purge_after_days` after the deletion.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use org_model::{Grant, Principal};

use crate::grants::GrantFilter;
use crate::lifecycle::Lifecycle;
use crate::schema::{grants, joins, scim_users, user_tombstones};
use crate::{StoreError, members, timestamp, values};

/// The actor of changes the server makes on its own (the purge).
pub const SYSTEM_ACTOR: &str = "system";

/// A deleted user as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// The user's id.
    pub id: String,
    /// The userName, until purged.
    pub user_name: Option<String>,
    /// The externalId, until purged.
    pub external_id: Option<String>,
    /// The stored resource (without `id`, `meta`, `groups`) as JSON text; `{}` once purged.
    pub data: String,
    /// When the user was created.
    pub created: DateTime<Utc>,
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
    /// When its personal data was scrubbed.
    pub purged_at: Option<DateTime<Utc>>,
}

/// What deleting a user removed with it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedUser {
    /// The tombstone left.
    pub tombstone: Tombstone,
    /// Whether the user was active when deleted.
    pub was_active: bool,
    /// The grants it held, now deleted.
    pub grants: Vec<Grant>,
    /// Whether it was named in the org's `owners` (and no longer is).
    pub was_org_owner: bool,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = user_tombstones)]
struct TombstoneRow {
    id: String,
    org_id: String,
    user_name: Option<String>,
    external_id: Option<String>,
    data: String,
    created: String,
    deleted_at: String,
    purged_at: Option<String>,
}

impl TombstoneRow {
    fn into_tombstone(self) -> Result<Tombstone, StoreError> {
        Ok(Tombstone {
            id: self.id,
            user_name: self.user_name,
            external_id: self.external_id,
            data: self.data,
            created: timestamp::from_db(&self.created)?,
            deleted_at: timestamp::from_db(&self.deleted_at)?,
            purged_at: self
                .purged_at
                .as_deref()
                .map(timestamp::from_db)
                .transpose()?,
        })
    }
}

impl Lifecycle<'_, '_> {
    /// Delete a user, leaving a tombstone: with `expected_version`, only if it is still the
    /// stored version ([`StoreError::VersionMismatch`] otherwise). Its grants, memberships
    /// and joins are removed and it leaves the org's `owners` (and `successor`, when it is
    /// the one); [`StoreError::NotFound`]
    /// when the organization has no such user.
    pub fn delete_user(
        &mut self,
        org_id: &str,
        user_id: &str,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<DeletedUser, StoreError> {
        type Row = (String, Option<String>, String, String, i64, Option<bool>);
        let row: Option<Row> = scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .filter(scim_users::id.eq(user_id))
            .select((
                scim_users::user_name,
                scim_users::external_id,
                scim_users::data,
                scim_users::created,
                scim_users::version,
                scim_users::active,
            ))
            .first(self.tx.conn)
            .optional()?;
        let (user_name, external_id, data, created, version, active) =
            row.ok_or(StoreError::NotFound)?;
        if let Some(expected) = expected_version {
            let answered = version + members::group_version(self.tx.conn, org_id, user_id)?;
            if expected != answered {
                return Err(StoreError::VersionMismatch { current: answered });
            }
        }
        // Guarded by the version read: a concurrent change makes this touch nothing.
        let deleted = diesel::delete(
            scim_users::table
                .filter(scim_users::org_id.eq(org_id))
                .filter(scim_users::id.eq(user_id))
                .filter(scim_users::version.eq(version)),
        )
        .execute(self.tx.conn)?;
        if deleted == 0 {
            return Err(match self.user_version(org_id, user_id)? {
                Some(current) => StoreError::VersionMismatch { current },
                None => StoreError::NotFound,
            });
        }
        let row = TombstoneRow {
            id: user_id.to_owned(),
            org_id: org_id.to_owned(),
            user_name: Some(user_name),
            external_id,
            data: without_password(data),
            created,
            deleted_at: timestamp::to_db(now),
            purged_at: None,
        };
        diesel::insert_into(user_tombstones::table)
            .values(&row)
            .execute(self.tx.conn)?;
        members::delete_memberships_of(self.tx.conn, self.tx.backend, org_id, user_id, now)?;
        members::forget_group_version(self.tx.conn, self.tx.backend, org_id, user_id)?;
        values::delete_rows(self.tx.conn, self.tx.backend, org_id, user_id)?;
        let principal = Principal::User(user_id.to_owned());
        let held = self.tx.grants().list(
            org_id,
            &GrantFilter {
                principal: Some(principal.clone()),
                resource: None,
            },
        )?;
        diesel::delete(
            grants::table
                .filter(grants::org_id.eq(org_id))
                .filter(grants::principal_type.eq("user"))
                .filter(grants::principal_id.eq(user_id)),
        )
        .execute(self.tx.conn)?;
        diesel::delete(
            joins::table
                .filter(joins::org_id.eq(org_id))
                .filter(joins::user_id.eq(user_id)),
        )
        .execute(self.tx.conn)?;
        let mut settings = self.tx.orgs().settings(org_id)?;
        let was_org_owner = settings.owners.iter().any(|owner| owner == user_id);
        let was_successor = settings.successor.as_deref() == Some(user_id);
        if was_org_owner || was_successor {
            // The settings name users of the org only (as the admin API checks).
            settings.owners.retain(|owner| owner != user_id);
            if was_successor {
                settings.successor = None;
            }
            self.tx.orgs().set_settings(org_id, &settings)?;
        }
        Ok(DeletedUser {
            tombstone: row.into_tombstone()?,
            was_active: active.unwrap_or(true),
            grants: held,
            was_org_owner,
        })
    }

    fn user_version(&mut self, org_id: &str, user_id: &str) -> Result<Option<i64>, StoreError> {
        let version: Option<i64> = scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .filter(scim_users::id.eq(user_id))
            .select(scim_users::version)
            .first(self.tx.conn)
            .optional()?;
        version
            .map(|version| {
                members::group_version(self.tx.conn, org_id, user_id).map(|count| version + count)
            })
            .transpose()
    }

    /// The tombstone of a deleted user.
    pub fn tombstone(&mut self, org_id: &str, user_id: &str) -> Result<Tombstone, StoreError> {
        user_tombstones::table
            .filter(user_tombstones::org_id.eq(org_id))
            .filter(user_tombstones::id.eq(user_id))
            .select(TombstoneRow::as_select())
            .first(self.tx.conn)
            .optional()?
            .ok_or(StoreError::NotFound)?
            .into_tombstone()
    }

    /// Scrub the personal data of the organization's tombstones deleted at least
    /// `purge_after_days` before `now` (data emptied, userName and externalId nulled,
    /// `purged_at` set). Returns what it purged, for the caller's audit trail.
    pub fn purge_tombstones(
        &mut self,
        org_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<PurgedTombstone>, StoreError> {
        let days = self.tx.orgs().settings(org_id)?.purge_after_days;
        let cutoff = now - Duration::days(i64::from(days));
        let due: Vec<(String, String)> = user_tombstones::table
            .filter(user_tombstones::org_id.eq(org_id))
            .filter(user_tombstones::purged_at.is_null())
            .filter(user_tombstones::deleted_at.le(timestamp::to_db(cutoff)))
            .order((user_tombstones::deleted_at, user_tombstones::id))
            .select((user_tombstones::id, user_tombstones::deleted_at))
            .load(self.tx.conn)?;
        for (id, _) in &due {
            diesel::update(
                user_tombstones::table
                    .filter(user_tombstones::org_id.eq(org_id))
                    .filter(user_tombstones::id.eq(id)),
            )
            .set((
                user_tombstones::data.eq("{}"),
                user_tombstones::user_name.eq(None::<String>),
                user_tombstones::external_id.eq(None::<String>),
                user_tombstones::purged_at.eq(Some(timestamp::to_db(now))),
            ))
            .execute(self.tx.conn)?;
            self.tx.erase_personal_data(org_id, id)?;
        }
        Ok(due
            .into_iter()
            .map(|(id, deleted_at)| PurgedTombstone {
                id,
                deleted_at,
                purge_after_days: days,
            })
            .collect())
    }
}

/// A tombstone the purge scrubbed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedTombstone {
    /// The deleted user's id.
    pub id: String,
    /// When it was deleted, as stored (RFC 3339).
    pub deleted_at: String,
    /// The organization's setting it was purged under.
    pub purge_after_days: u32,
}

/// A deleted user's data without its `password` (a hash, when its organization keeps them):
/// a tombstone keeps what a reactivation or an audit may need until the purge, and a
/// password is neither.
fn without_password(data: String) -> String {
    if !data.contains("\"password\"") {
        return data;
    }
    match serde_json::from_str::<serde_json::Value>(&data) {
        Ok(serde_json::Value::Object(mut object)) => {
            object.remove("password");
            serde_json::Value::Object(object).to_string()
        }
        _ => data,
    }
}
