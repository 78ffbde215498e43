//! Organizations (tenants): the area [`Orgs`].

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::{OrgSettings, PasswordStorage};
use scim_core::Dialect;

use crate::connection::AnyConnection;
use crate::schema::orgs;
use crate::sql::{Bind, Sql};
use crate::{Backend, Org, StoreError, Tx, timestamp};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = orgs)]
struct OrgRow {
    id: String,
    name: String,
    dialect: String,
    created_at: String,
}

impl OrgRow {
    fn into_org(self) -> Result<Org, StoreError> {
        Ok(Org {
            dialect: Dialect::parse(&self.dialect).unwrap_or_default(),
            created_at: timestamp::from_db(&self.created_at)?,
            id: self.id,
            name: self.name,
        })
    }
}

/// [`Orgs::lock_rules`] on a connection.
pub(crate) fn lock_rules(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
) -> Result<(), StoreError> {
    lock_org(connection, backend, org_id, "FOR NO KEY UPDATE")
}

/// On PostgreSQL, lock the organization's row in `mode` until the end of the transaction
/// (SQLite has one writer at a time already).
fn lock_org(
    connection: &mut AnyConnection,
    backend: Backend,
    org_id: &str,
    mode: &str,
) -> Result<(), StoreError> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    let mut sql = Sql::new(backend);
    sql.cacheable().push("SELECT id FROM orgs WHERE id = ");
    sql.push_bind(Bind::Text(org_id.to_owned()))
        .push(&format!(" {mode}"));
    sql.execute(connection)?;
    Ok(())
}

/// A fresh id for a row: a UUID v7 (time-ordered, so inserts land at the end of indexes).
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl<'c> Tx<'c> {
    /// The organizations: create, read, rename, dialect, settings.
    pub fn orgs(&mut self) -> Orgs<'_, 'c> {
        Orgs { tx: self }
    }
}

/// The organizations (tenants), in a transaction ([`Tx::orgs`]).
#[derive(Debug)]
pub struct Orgs<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl Orgs<'_, '_> {
    /// Create an organization (lenient dialect).
    pub fn create(&mut self, name: &str, now: DateTime<Utc>) -> Result<Org, StoreError> {
        let row = OrgRow {
            id: new_id(),
            name: name.to_owned(),
            dialect: Dialect::default().as_str().to_owned(),
            created_at: timestamp::to_db(now),
        };
        diesel::insert_into(orgs::table)
            .values(&row)
            .execute(self.tx.conn)?;
        row.into_org()
    }

    /// An organization by id.
    pub fn get(&mut self, org_id: &str) -> Result<Option<Org>, StoreError> {
        orgs::table
            .find(org_id)
            .select(OrgRow::as_select())
            .first(self.tx.conn)
            .optional()?
            .map(OrgRow::into_org)
            .transpose()
    }

    /// Every organization, oldest first.
    pub fn list(&mut self) -> Result<Vec<Org>, StoreError> {
        orgs::table
            .order((orgs::created_at, orgs::id))
            .select(OrgRow::as_select())
            .load(self.tx.conn)?
            .into_iter()
            .map(OrgRow::into_org)
            .collect()
    }

    /// Rename an organization; [`StoreError::NotFound`] for an unknown org.
    pub fn rename(&mut self, org_id: &str, name: &str) -> Result<(), StoreError> {
        let updated = diesel::update(orgs::table.find(org_id))
            .set(orgs::name.eq(name))
            .execute(self.tx.conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Set an organization's dialect; [`StoreError::NotFound`] for an unknown org.
    pub fn set_dialect(&mut self, org_id: &str, dialect: Dialect) -> Result<(), StoreError> {
        let updated = diesel::update(orgs::table.find(org_id))
            .set(orgs::dialect.eq(dialect.as_str()))
            .execute(self.tx.conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Take the organization's rule lock until the end of the transaction: on PostgreSQL its
    /// row, `FOR NO KEY UPDATE`, which the writes that check a rule across rows take before
    /// they read (admin writes: the last active Owner, a group grant against a folder's
    /// team access; a group added to a group: no cycle). Two such writes of one
    /// organization then take turns, and the second reads what the first committed, where
    /// at `READ COMMITTED` both would pass their checks and together break the rule.
    /// Other writes (creates, profile updates, member changes of users) never wait for it:
    /// foreign-key checks take `FOR KEY SHARE`, which this lock lets through. SQLite has one
    /// writer at a time already.
    pub fn lock_rules(&mut self, org_id: &str) -> Result<(), StoreError> {
        lock_rules(self.tx.conn, self.tx.backend, org_id)
    }

    /// The organization's settings (defaults for what was never set).
    pub fn settings(&mut self, org_id: &str) -> Result<OrgSettings, StoreError> {
        let text: String = orgs::table
            .find(org_id)
            .select(orgs::settings)
            .first(self.tx.conn)
            .optional()?
            .ok_or(StoreError::NotFound)?;
        settings_from(&text)
    }

    /// Replace the organization's settings. Turning `unique_external_id` on while users (or
    /// groups) share an externalId is [`StoreError::Conflict`] naming them; on, every
    /// externalId moves into the column the uniqueness constraint holds; off, out of it.
    pub fn set_settings(&mut self, org_id: &str, settings: &OrgSettings) -> Result<(), StoreError> {
        let previous = self.settings(org_id)?;
        let was_unique: bool = orgs::table
            .find(org_id)
            .select(orgs::unique_external_id)
            .first(self.tx.conn)
            .optional()?
            .ok_or(StoreError::NotFound)?;
        let unique = settings.unique_external_id;
        if unique && !was_unique {
            // Writes in flight read the setting off under `FOR KEY SHARE` (see
            // `resource::external_id_unique`): wait for them, so their rows are among those
            // checked, and hold later ones until this commits.
            lock_org(self.tx.conn, self.tx.backend, org_id, "FOR UPDATE")?;
        }
        diesel::update(orgs::table.find(org_id))
            .set((
                orgs::settings.eq(serde_json::to_string(settings)?),
                orgs::unique_external_id.eq(unique),
            ))
            .execute(self.tx.conn)?;
        if unique != was_unique {
            self.set_external_id_uniqueness(org_id, unique)?;
        }
        if previous.password_storage == PasswordStorage::Argon2id
            && settings.password_storage == PasswordStorage::Discard
        {
            self.drop_password_hashes(org_id)?;
        }
        Ok(())
    }

    /// An organization that stops keeping password hashes (`argon2id` to `discard`) keeps
    /// none: they go from its users' data (never returned, so no version changes).
    fn drop_password_hashes(&mut self, org_id: &str) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.tx.backend);
        let without = match self.tx.backend {
            Backend::Sqlite => "json_remove(data, '$.password')",
            Backend::Postgres => "(data::jsonb - 'password')::text",
        };
        sql.push(&format!(
            "UPDATE scim_users SET data = {without} WHERE org_id = "
        ))
        .push_bind(Bind::Text(org_id.to_owned()))
        .push(" AND data LIKE '%\"password\"%'");
        sql.execute(self.tx.conn)?;
        Ok(())
    }

    /// Fill (or empty) `external_id_unique` of the org's users and groups; filling refuses
    /// duplicates, listing up to ten.
    fn set_external_id_uniqueness(&mut self, org_id: &str, unique: bool) -> Result<(), StoreError> {
        use crate::schema::{scim_groups, scim_users};
        use diesel::dsl::count_star;
        if unique {
            let mut duplicates: Vec<String> = Vec::new();
            let users: Vec<(Option<String>, i64)> = scim_users::table
                .filter(scim_users::org_id.eq(org_id))
                .filter(scim_users::external_id.is_not_null())
                .group_by(scim_users::external_id)
                .having(count_star().gt(1))
                .select((scim_users::external_id, count_star()))
                .limit(10)
                .load(self.tx.conn)?;
            duplicates.extend(
                users
                    .into_iter()
                    .filter_map(|(id, n)| id.map(|id| format!("{id:?} ({n} users)"))),
            );
            let groups: Vec<(Option<String>, i64)> = scim_groups::table
                .filter(scim_groups::org_id.eq(org_id))
                .filter(scim_groups::external_id.is_not_null())
                .group_by(scim_groups::external_id)
                .having(count_star().gt(1))
                .select((scim_groups::external_id, count_star()))
                .limit(10)
                .load(self.tx.conn)?;
            duplicates.extend(
                groups
                    .into_iter()
                    .filter_map(|(id, n)| id.map(|id| format!("{id:?} ({n} groups)"))),
            );
            if !duplicates.is_empty() {
                return Err(StoreError::Conflict(format!(
                    "unique_external_id cannot be turned on: these externalIds are shared: {}",
                    duplicates.join(", ")
                )));
            }
            diesel::update(scim_users::table.filter(scim_users::org_id.eq(org_id)))
                .set(scim_users::external_id_unique.eq(scim_users::external_id))
                .execute(self.tx.conn)?;
            diesel::update(scim_groups::table.filter(scim_groups::org_id.eq(org_id)))
                .set(scim_groups::external_id_unique.eq(scim_groups::external_id))
                .execute(self.tx.conn)?;
        } else {
            diesel::update(scim_users::table.filter(scim_users::org_id.eq(org_id)))
                .set(scim_users::external_id_unique.eq(None::<String>))
                .execute(self.tx.conn)?;
            diesel::update(scim_groups::table.filter(scim_groups::org_id.eq(org_id)))
                .set(scim_groups::external_id_unique.eq(None::<String>))
                .execute(self.tx.conn)?;
        }
        Ok(())
    }
}

/// Stored settings over the defaults: a key missing from the JSON keeps its default.
fn settings_from(text: &str) -> Result<OrgSettings, StoreError> {
    let mut merged = serde_json::to_value(OrgSettings::default())?;
    let stored: serde_json::Value = serde_json::from_str(text)?;
    if let (Some(merged), Some(stored)) = (merged.as_object_mut(), stored.as_object()) {
        for (key, value) in stored {
            merged.insert(key.clone(), value.clone());
        }
    }
    Ok(serde_json::from_value(merged)?)
}
