//! `GET|PATCH /admin/v1/org`: the organization and its settings (PRODUCT.md §4: `name`,
//! `dialect`, `allow_members_create_workspaces`, `successor`, `reactivation_window_days`,
//! `purge_after_days`, `sticky_joins`, `unique_external_id`, `password_storage`,
//! `audit_retention_days` (null: keep forever), `rate_limit_per_second` and
//! `rate_limit_burst` (per credential and instance, 1 to 1,000,000), and `owners`: the SCIM ids of the users who own the
//! organization, `owner` on all its workspaces). A setting this server does not know is a
//! 400, never silently ignored; `owners` and `successor` must name users of the org.

use org_model::{OrgSettings, Principal};
use rollcall_store::{Org, StoreError};
use scim_core::Dialect;
use serde_json::{Value, json};

use super::audited::{Recorded, Written, previewable};
use crate::access_delta::{self, AccessScope};
use crate::error::Error;
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;
use crate::transaction::Access;

fn document(org: &Org, settings: &OrgSettings) -> Value {
    let mut document = json!({
        "id": org.id,
        "name": org.name,
        "dialect": org.dialect.as_str(),
        "created_at": org.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if let (Some(object), Ok(Value::Object(settings))) =
        (document.as_object_mut(), serde_json::to_value(settings))
    {
        object.extend(settings);
    }
    document
}

/// `GET /admin/v1/org`.
pub(crate) async fn get(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let (org, settings) = call
        .admin(Access::Read, &credential, |tx, caller| {
            let settings = tx.orgs().settings(&caller.org_id)?;
            tx.orgs()
                .get(&caller.org_id)?
                .map(|org| (org, settings))
                .ok_or_else(|| Error::admin(404, "not_found", "the organization is gone").into())
        })
        .await?;
    Ok(Response::json(200, &document(&org, &settings)))
}

/// The changes a PATCH asks for.
#[derive(Debug, Default, PartialEq)]
struct Changes {
    name: Option<String>,
    dialect: Option<Dialect>,
    /// The §4 settings named, as given (merged over the stored ones).
    settings: serde_json::Map<String, Value>,
}

/// The §4 settings and whether `value` fits each.
fn setting_fits(key: &str, value: &Value) -> Option<bool> {
    let fits = match key {
        "allow_members_create_workspaces" | "sticky_joins" | "unique_external_id" => {
            value.is_boolean()
        }
        "password_storage" => value
            .as_str()
            .and_then(org_model::PasswordStorage::parse)
            .is_some(),
        "successor" => value.is_null() || value.as_str().is_some_and(|id| !id.is_empty()),
        "owners" => value.as_array().is_some_and(|ids| {
            ids.iter()
                .all(|id| id.as_str().is_some_and(|id| !id.is_empty()))
        }),
        "reactivation_window_days" | "purge_after_days" => {
            value.as_u64().is_some_and(|days| days <= 3650)
        }
        // At least one request; at most far beyond what one instance serves.
        "rate_limit_per_second" => value
            .as_u64()
            .is_some_and(|rate| (1..=1_000_000).contains(&rate)),
        "rate_limit_burst" => value
            .as_u64()
            .is_some_and(|burst| (1..=1_000_000).contains(&burst)),
        // At least a day, so that no record is pruned in the transaction that wrote it.
        "audit_retention_days" => {
            value.is_null()
                || value
                    .as_u64()
                    .is_some_and(|days| (1..=36500).contains(&days))
        }
        _ => return None,
    };
    Some(fits)
}

fn changes(body: &Value) -> Result<Changes, Error> {
    let object = body
        .as_object()
        .ok_or_else(|| Error::invalid_request("the body must be a JSON object of settings"))?;
    let mut changes = Changes::default();
    for (key, value) in object {
        match key.as_str() {
            "name" => {
                let name = value
                    .as_str()
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .ok_or_else(|| Error::invalid_request("name must be a non-empty string"))?;
                changes.name = Some(name.to_owned());
            }
            "dialect" => {
                let dialect = value.as_str().and_then(Dialect::parse).ok_or_else(|| {
                    Error::invalid_request("dialect must be \"lenient\" or \"strict\"")
                })?;
                changes.dialect = Some(dialect);
            }
            other => match setting_fits(other, value) {
                Some(true) => {
                    changes.settings.insert(other.to_owned(), value.clone());
                }
                Some(false) => {
                    return Err(Error::invalid_request(format!(
                        "{other} has the wrong type or range"
                    )));
                }
                None => {
                    return Err(Error::admin(
                        400,
                        "unknown_setting",
                        format!("{other:?} is not a setting of this server"),
                    ));
                }
            },
        }
    }
    Ok(changes)
}

/// `PATCH /admin/v1/org`: `{"name"?, "dialect"?}`; answers the organization.
pub(crate) async fn patch(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let changes = changes(&body)?;
    let org = match previewable(
        call,
        &credential,
        "org.update",
        200,
        move |tx, caller, now| {
            let org_id = caller.org_id.as_str();
            // Everything is checked before anything is written: a refused PATCH changes nothing.
            let before_settings = tx.orgs().settings(org_id)?;
            let Some(before_org) = tx.orgs().get(org_id)? else {
                return Err(Error::admin(404, "not_found", "the organization is gone").into());
            };
            let mut settings = before_settings.clone();
            if !changes.settings.is_empty() {
                let mut merged = serde_json::to_value(&settings).map_err(StoreError::from)?;
                if let Some(object) = merged.as_object_mut() {
                    object.extend(changes.settings.clone());
                }
                settings = serde_json::from_value(merged).map_err(StoreError::from)?;
                let named = settings.owners.iter().chain(settings.successor.iter());
                for user in named {
                    if !tx
                        .grants()
                        .principal_exists(org_id, &Principal::User(user.clone()))?
                    {
                        return Err(Error::invalid_request(format!(
                            "{user:?} is no user of this organization"
                        ))
                        .into());
                    }
                }
            }
            // Org owners own every workspace: a change of owners is an access change.
            let owners_changed: Vec<String> = settings
                .owners
                .iter()
                .filter(|user| !before_settings.owners.contains(user))
                .chain(
                    before_settings
                        .owners
                        .iter()
                        .filter(|user| !settings.owners.contains(user)),
                )
                .cloned()
                .collect();
            let write = |tx: &mut rollcall_store::Tx<'_>| {
                if let Some(name) = &changes.name {
                    tx.orgs().rename(org_id, name)?;
                }
                if let Some(dialect) = changes.dialect {
                    tx.orgs().set_dialect(org_id, dialect)?;
                }
                if !changes.settings.is_empty() {
                    tx.orgs().set_settings(org_id, &settings)?;
                }
                Ok::<_, rollcall_store::StoreError>(())
            };
            let access = if owners_changed.is_empty() {
                write(tx)?;
                None
            } else {
                let scope = AccessScope::OrgOwners(owners_changed);
                Some(access_delta::around(tx, org_id, scope, now, write)?.1)
            };
            let Some(after_org) = tx.orgs().get(org_id)? else {
                return Err(Error::admin(404, "not_found", "the organization is gone").into());
            };
            let mut detail = crate::trail::changes(
                &document(&before_org, &before_settings),
                &document(&after_org, &settings),
            );
            if let Some(access) = access {
                detail["access"] = access;
            }
            let recorded = Recorded::new(format!("org:{org_id}"), detail);
            Ok(((after_org, settings), recorded))
        },
    )
    .await?
    {
        Written::Applied(value) => value,
        Written::Previewed(preview) => return Ok(preview),
    };
    // A new rate applies on this instance from the next request; other instances read it
    // within `limits::QUOTA_TTL`.
    call.app.limits.forget_org(&org.0.id);
    Ok(Response::json(200, &document(&org.0, &org.1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_one_by_one() {
        let cases: [(Value, Result<Changes, &str>); 9] = [
            (json!({}), Ok(Changes::default())),
            (
                json!({"dialect": "strict", "name": " Acme "}),
                Ok(Changes {
                    name: Some("Acme".into()),
                    dialect: Some(Dialect::Strict),
                    settings: Default::default(),
                }),
            ),
            (
                json!({"sticky_joins": true, "purge_after_days": 60, "successor": null}),
                Ok(Changes {
                    settings:
                        json!({"sticky_joins": true, "purge_after_days": 60, "successor": null})
                            .as_object()
                            .cloned()
                            .unwrap_or_default(),
                    ..Changes::default()
                }),
            ),
            (json!({"sticky_joins": "yes"}), Err("invalid_request")),
            (json!({"purge_after_days": -1}), Err("invalid_request")),
            (json!({"dialect": "loose"}), Err("invalid_request")),
            (json!({"name": ""}), Err("invalid_request")),
            (json!({"billing_plan": "pro"}), Err("unknown_setting")),
            (json!(["dialect"]), Err("invalid_request")),
        ];
        for (body, expected) in cases {
            let got = changes(&body).map_err(|error| error.code());
            assert_eq!(got, expected, "{body}");
        }
    }
}
