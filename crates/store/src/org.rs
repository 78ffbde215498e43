//! Organizations (tenants): the area [`Orgs`].

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::OrgSettings;
use scim_core::Dialect;

use crate::schema::orgs;
use crate::{Org, StoreError, Tx, timestamp};

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

    /// Replace the organization's settings.
    pub fn set_settings(&mut self, org_id: &str, settings: &OrgSettings) -> Result<(), StoreError> {
        let updated = diesel::update(orgs::table.find(org_id))
            .set(orgs::settings.eq(serde_json::to_string(settings)?))
            .execute(self.tx.conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound);
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
