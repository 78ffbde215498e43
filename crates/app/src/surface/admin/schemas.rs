//! `POST|GET /admin/v1/schemas`, `DELETE /admin/v1/schemas/{urn}`: the organization's
//! custom extension schemas (PRODUCT.md §2: `employeeType`, `costCenter`, ...).
//!
//! `POST {"resource_type": "User", "required": false, "schema": {"id": "urn:…",
//! "name", "description", "attributes": [RFC 7643 §7 attribute definitions]}}`. The schema
//! is checked by building the organization's registry with it (a URN, usable attribute
//! definitions, no clash with a standard or existing schema) before it is stored. From the
//! next request on, the organization's SCIM endpoints validate, store, filter, sort and
//! advertise it.

use chrono::{DateTime, Utc};
use rollcall_store::OrgSchema;
use scim_core::schema::{AttributeDef, RegistryError, Schema, Uniqueness};
use serde_json::{Value, json};

use super::audited::{Recorded, audited};
use super::list_all;
use crate::error::{Error, Failure};
use crate::org_schemas;
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

fn document(schema: &OrgSchema) -> Value {
    json!({
        "resource_type": schema.resource_type,
        "required": schema.required,
        "schema": schema.schema,
        "created_at": schema.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// The schema a POST asks for.
fn requested(body: &Value, now: DateTime<Utc>) -> Result<OrgSchema, Error> {
    let object = body
        .as_object()
        .ok_or_else(|| Error::invalid_request("the body must be a JSON object"))?;
    for key in object.keys() {
        if !matches!(key.as_str(), "resource_type" | "required" | "schema") {
            return Err(Error::invalid_request(format!(
                "unknown field {key:?}: expected resource_type, required, schema"
            )));
        }
    }
    let resource_type = object
        .get("resource_type")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::invalid_request("resource_type (\"User\" or \"Group\") is required")
        })?;
    let required = match object.get("required") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(required)) => *required,
        Some(_) => return Err(Error::invalid_request("required must be a boolean")),
    };
    let schema = object
        .get("schema")
        .ok_or_else(|| Error::invalid_request("schema is required"))?;
    let schema: Schema = serde_json::from_value(schema.clone())
        .map_err(|error| Error::admin(400, "invalid_schema", error.to_string()))?;
    if let Some(name) = claims_uniqueness(&schema.attributes) {
        // Advertised in /Schemas, it would promise what no write checks.
        return Err(Error::admin(
            400,
            "invalid_schema",
            format!(
                "attribute {name:?}: uniqueness \"server\" or \"global\" is not enforced on \
                 custom attributes; declare \"none\""
            ),
        ));
    }
    Ok(OrgSchema {
        resource_type: resource_type.to_owned(),
        required,
        schema,
        created_at: now,
    })
}

/// The first attribute (or sub-attribute) declaring a uniqueness other than `none`.
fn claims_uniqueness(attributes: &[AttributeDef]) -> Option<String> {
    attributes.iter().find_map(|attribute| {
        if attribute.uniqueness == Uniqueness::None {
            claims_uniqueness(&attribute.sub_attributes)
                .map(|sub| format!("{}.{sub}", attribute.name))
        } else {
            Some(attribute.name.clone())
        }
    })
}

fn refused(error: RegistryError) -> Error {
    match error {
        RegistryError::DuplicateSchema(_) => Error::admin(409, "conflict", error.to_string()),
        other => Error::admin(400, "invalid_schema", other.to_string()),
    }
}

/// `POST /admin/v1/schemas`: 201 with the stored schema.
pub(crate) async fn create(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let mut extension = requested(&body, call.now())?;
    let standard = std::sync::Arc::clone(&call.app.standard);
    let stored = audited(
        call,
        &credential,
        "schema.create",
        201,
        move |tx, caller, _| {
            let existing = tx.schemas().list(&caller.org_id)?;
            let mut registry = org_schemas::build(&standard, &existing, |_, _| {});
            if let Some(rt) = registry.resource_type(&extension.resource_type) {
                // The canonical spelling, as the registry will know it.
                extension.resource_type = rt.id.clone();
            }
            if let Err(error) = registry.add_extension(
                &extension.resource_type,
                extension.schema.clone(),
                extension.required,
            ) {
                return Err(refused(error).into());
            }
            keeps_rules(tx, &caller.org_id, &registry)?;
            tx.schemas().add(&caller.org_id, &extension)?;
            let recorded = Recorded::new(
                format!("schema:{}", extension.schema.id),
                json!({"after": document(&extension)}),
            );
            Ok((extension.clone(), recorded))
        },
    )
    .await?;
    Ok(Response::json(201, &document(&stored)))
}

/// Refuse a change of the organization's schemas that would leave `registry`, against which
/// one of its attribute rules no longer resolves (or resolves to another attribute): a 409
/// naming the rules.
fn keeps_rules(
    tx: &mut rollcall_store::Tx<'_>,
    org_id: &str,
    registry: &scim_core::SchemaRegistry,
) -> Result<(), Failure> {
    let broken = tx.rules().broken_by(org_id, registry)?;
    if broken.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = broken
        .iter()
        .map(|(rule, why)| format!("{} ({why})", rule.id))
        .collect();
    Err(Error::admin(
        409,
        "conflict",
        format!(
            "the change would break the attribute rules {}; delete or replace them first",
            named.join(", ")
        ),
    )
    .into())
}

/// `GET /admin/v1/schemas`: `{"schemas": [...]}`, oldest first.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    list_all(call, "schemas", |tx, org| tx.schemas().list(org), document).await
}

/// `DELETE /admin/v1/schemas/{urn}`: 204, or 404 when the organization has no such schema.
/// The values the organization's resources hold under it are removed with it.
pub(crate) async fn delete(call: &mut Call<'_>, urn: &str) -> Result<Response, Error> {
    let credential = call.credential()?;
    let urn = urn.to_owned();
    let standard = std::sync::Arc::clone(&call.app.standard);
    audited(
        call,
        &credential,
        "schema.delete",
        204,
        move |tx, caller, _| {
            let before = tx
                .schemas()
                .list(&caller.org_id)?
                .into_iter()
                .find(|schema| schema.schema.id.eq_ignore_ascii_case(&urn));
            if before.is_some() {
                let rest: Vec<OrgSchema> = tx
                    .schemas()
                    .list(&caller.org_id)?
                    .into_iter()
                    .filter(|schema| !schema.schema.id.eq_ignore_ascii_case(&urn))
                    .collect();
                let registry = org_schemas::build(&standard, &rest, |_, _| {});
                keeps_rules(tx, &caller.org_id, &registry)?;
            }
            let cleared = tx.schemas().delete(&caller.org_id, &urn)?;
            // The values resources held under it go with it: how many resources held some.
            let detail = json!({
                "before": before.as_ref().map(document),
                "after": null,
                "resources_cleared": cleared,
            });
            Ok(((), Recorded::new(format!("schema:{urn}"), detail)))
        },
    )
    .await?;
    Ok(Response::empty(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked_before_the_database() {
        let schema =
            json!({"id": "urn:acme:hr", "attributes": [{"name": "costCenter", "type": "string"}]});
        type Expected = Result<(&'static str, bool), &'static str>;
        let unique = |attribute: Value| json!({"resource_type": "User", "schema": {"id": "urn:acme:hr", "attributes": [attribute]}});
        let cases: [(Value, Expected); 11] = [
            // Uniqueness no write would check is refused, also on a sub-attribute.
            (
                unique(json!({"name": "badge", "type": "string", "uniqueness": "server"})),
                Err("invalid_schema"),
            ),
            (
                unique(json!({"name": "badge", "type": "string", "uniqueness": "global"})),
                Err("invalid_schema"),
            ),
            (
                unique(json!({"name": "desk", "type": "complex", "subAttributes": [
                    {"name": "id", "type": "string", "uniqueness": "server"}
                ]})),
                Err("invalid_schema"),
            ),
            (
                unique(json!({"name": "badge", "type": "string", "uniqueness": "none"})),
                Ok(("User", false)),
            ),
            (
                json!({"resource_type": "User", "schema": schema}),
                Ok(("User", false)),
            ),
            (
                json!({"resource_type": "Group", "required": true, "schema": schema}),
                Ok(("Group", true)),
            ),
            (json!({"schema": schema}), Err("invalid_request")),
            (json!({"resource_type": "User"}), Err("invalid_request")),
            (
                json!({"resource_type": "User", "required": "yes", "schema": schema}),
                Err("invalid_request"),
            ),
            (
                json!({"resource_type": "User", "schema": {"attributes": []}}),
                Err("invalid_schema"),
            ),
            (
                json!({"resource_type": "User", "schema": schema, "extra": 1}),
                Err("invalid_request"),
            ),
        ];
        for (body, expected) in cases {
            let got = requested(&body, DateTime::<Utc>::UNIX_EPOCH)
                .map(|s| (s.resource_type.clone(), s.required))
                .map_err(|error| error.code());
            let expected = expected.map(|(rt, required)| (rt.to_owned(), required));
            assert_eq!(got, expected, "{body}");
        }
    }
}
