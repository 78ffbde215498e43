//! Custom extension schemas of an organization (PRODUCT.md §2: `employeeType`,
//! `costCenter`, ...). The store keeps each definition as given (RFC 7643 §7 JSON) with the
//! resource type it extends; checking that it is a usable extension is the schema
//! registry's business (`scim_core::SchemaRegistry::add_extension`), done by the caller
//! before it stores one. Every change bumps `orgs.schemas_version`, which authentication
//! returns, so a server caching an organization's registry knows when to rebuild it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use scim_core::schema::Schema;

use crate::schema::{org_schemas, orgs};
use crate::{StoreError, Tx, timestamp};

/// A custom extension schema of an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgSchema {
    /// The resource type it extends (`User`, `Group`).
    pub resource_type: String,
    /// Whether resources of that type must carry it.
    pub required: bool,
    /// The definition.
    pub schema: Schema,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = org_schemas)]
struct OrgSchemaRow {
    org_id: String,
    urn_lower: String,
    resource_type: String,
    required: bool,
    definition: String,
    created_at: String,
}

impl OrgSchemaRow {
    fn into_schema(self) -> Result<OrgSchema, StoreError> {
        Ok(OrgSchema {
            resource_type: self.resource_type,
            required: self.required,
            schema: serde_json::from_str(&self.definition)?,
            created_at: timestamp::from_db(&self.created_at)?,
        })
    }
}

impl<'c> Tx<'c> {
    /// The organizations' custom extension schemas.
    pub fn schemas(&mut self) -> Schemas<'_, 'c> {
        Schemas { tx: self }
    }
}

/// The organizations' custom extension schemas, in a transaction ([`Tx::schemas`]).
#[derive(Debug)]
pub struct Schemas<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl Schemas<'_, '_> {
    /// Keep a custom extension schema for the organization; [`StoreError::Uniqueness`]
    /// (`id`) when it already has one with that URN (compared case-insensitively).
    pub fn add(&mut self, org_id: &str, extension: &OrgSchema) -> Result<(), StoreError> {
        let row = OrgSchemaRow {
            org_id: org_id.to_owned(),
            urn_lower: extension.schema.id.to_lowercase(),
            resource_type: extension.resource_type.clone(),
            required: extension.required,
            definition: serde_json::to_string(&extension.schema)?,
            created_at: timestamp::to_db(extension.created_at),
        };
        diesel::insert_into(org_schemas::table)
            .values(&row)
            .execute(self.tx.conn)
            .map_err(|error| match StoreError::from(error) {
                StoreError::Uniqueness(_) => StoreError::Uniqueness("id".to_owned()),
                other => other,
            })?;
        self.bump_schemas_version(org_id)
    }

    /// The organization's custom extension schemas, oldest first.
    pub fn list(&mut self, org_id: &str) -> Result<Vec<OrgSchema>, StoreError> {
        org_schemas::table
            .filter(org_schemas::org_id.eq(org_id))
            .order((org_schemas::created_at, org_schemas::urn_lower))
            .select(OrgSchemaRow::as_select())
            .load(self.tx.conn)?
            .into_iter()
            .map(OrgSchemaRow::into_schema)
            .collect()
    }

    /// Forget a custom extension schema ([`StoreError::NotFound`] if the organization has
    /// none with that URN). The values its resources hold under it go with it
    /// (`extension_values.rs`), so a schema registered again under the URN starts from
    /// none; the number of resources that held some.
    pub fn delete(&mut self, org_id: &str, urn: &str) -> Result<usize, StoreError> {
        let deleted = diesel::delete(
            org_schemas::table
                .filter(org_schemas::org_id.eq(org_id))
                .filter(org_schemas::urn_lower.eq(urn.to_lowercase())),
        )
        .execute(self.tx.conn)?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        self.bump_schemas_version(org_id)?;
        crate::extension_values::remove(self.tx.conn, self.tx.backend, org_id, urn)
    }

    /// The organization's schemas version: 0 until its first custom schema.
    pub fn version(&mut self, org_id: &str) -> Result<i64, StoreError> {
        orgs::table
            .find(org_id)
            .select(orgs::schemas_version)
            .first(self.tx.conn)
            .optional()?
            .ok_or(StoreError::NotFound)
    }

    fn bump_schemas_version(&mut self, org_id: &str) -> Result<(), StoreError> {
        let updated = diesel::update(orgs::table.find(org_id))
            .set(orgs::schemas_version.eq(orgs::schemas_version + 1))
            .execute(self.tx.conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
