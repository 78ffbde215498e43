//! Each organization's schema registry: the standard schemas plus its custom extension
//! schemas (PRODUCT.md §2), built once per `schemas_version` and cached. The version comes
//! with authentication (`Actor::schemas_version`), so an organization that never
//! added a schema costs nothing, and a change made by any process is seen on the next
//! request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rollcall_store::{OrgSchema, Tx};
use scim_core::SchemaRegistry;
use scim_core::schema::RegistryError;

use crate::actor::Actor;
use crate::error::Failure;

/// The registries of the organizations that have custom schemas, by org id.
#[derive(Debug, Default)]
pub(crate) struct OrgSchemas {
    built: Mutex<HashMap<String, (i64, Arc<SchemaRegistry>)>>,
}

impl OrgSchemas {
    /// The registry of `caller`'s organization, reading its schemas in `tx` when the cached
    /// one is missing or stale.
    pub(crate) fn get(
        &self,
        standard: &Arc<SchemaRegistry>,
        tx: &mut Tx<'_>,
        caller: &Actor,
    ) -> Result<Arc<SchemaRegistry>, Failure> {
        if caller.schemas_version == 0 {
            return Ok(Arc::clone(standard));
        }
        if let Some((version, registry)) = self.lock().get(&caller.org_id)
            && *version == caller.schemas_version
        {
            return Ok(Arc::clone(registry));
        }
        let schemas = tx.schemas().list(&caller.org_id)?;
        let registry = Arc::new(build(standard, &schemas, |schema, error| {
            // Checked when it was added; a later standard schema may clash with it.
            tracing::warn!(org_id = %caller.org_id, schema = %schema.schema.id, %error,
                "a custom schema of the organization is unusable and was left out");
        }));
        self.lock().insert(
            caller.org_id.clone(),
            (caller.schemas_version, Arc::clone(&registry)),
        );
        Ok(registry)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, Arc<SchemaRegistry>)>> {
        self.built.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `standard` plus `schemas`; those the registry refuses are passed to `refused`.
pub(crate) fn build(
    standard: &SchemaRegistry,
    schemas: &[OrgSchema],
    refused: impl FnMut(&OrgSchema, RegistryError),
) -> SchemaRegistry {
    rollcall_store::org_registry(standard, schemas, refused)
}
