//! Organizations (tenants).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
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

impl Tx<'_> {
    /// Create an organization (lenient dialect).
    pub fn create_org(&mut self, name: &str, now: DateTime<Utc>) -> Result<Org, StoreError> {
        let row = OrgRow {
            id: new_id(),
            name: name.to_owned(),
            dialect: Dialect::default().as_str().to_owned(),
            created_at: timestamp::to_db(now),
        };
        diesel::insert_into(orgs::table)
            .values(&row)
            .execute(self.conn)?;
        row.into_org()
    }

    /// An organization by id.
    pub fn org(&mut self, org_id: &str) -> Result<Option<Org>, StoreError> {
        orgs::table
            .find(org_id)
            .select(OrgRow::as_select())
            .first(self.conn)
            .optional()?
            .map(OrgRow::into_org)
            .transpose()
    }

    /// Every organization, oldest first.
    pub fn orgs(&mut self) -> Result<Vec<Org>, StoreError> {
        orgs::table
            .order((orgs::created_at, orgs::id))
            .select(OrgRow::as_select())
            .load(self.conn)?
            .into_iter()
            .map(OrgRow::into_org)
            .collect()
    }

    /// Rename an organization; [`StoreError::NotFound`] for an unknown org.
    pub fn rename_org(&mut self, org_id: &str, name: &str) -> Result<(), StoreError> {
        let updated = diesel::update(orgs::table.find(org_id))
            .set(orgs::name.eq(name))
            .execute(self.conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Set an organization's dialect; [`StoreError::NotFound`] for an unknown org.
    pub fn set_dialect(&mut self, org_id: &str, dialect: Dialect) -> Result<(), StoreError> {
        let updated = diesel::update(orgs::table.find(org_id))
            .set(orgs::dialect.eq(dialect.as_str()))
            .execute(self.conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
