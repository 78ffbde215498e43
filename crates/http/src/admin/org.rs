//! `GET|PATCH /admin/v1/org`: the organization and the settings that exist so far (`name`,
//! `dialect`). A setting this server does not know is a 400, never silently ignored.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rollcall_store::Org;
use scim_core::Dialect;
use serde_json::{Value, json};

use super::{AdminError, admin_transaction, json};
use crate::auth::BearerToken;
use crate::blocking::Access;
use crate::content::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;

fn document(org: &Org) -> Value {
    json!({
        "id": org.id,
        "name": org.name,
        "dialect": org.dialect.as_str(),
        "created_at": org.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// `GET /admin/v1/org`.
pub(crate) async fn get(
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let org = admin_transaction(&state, Access::Read, token, |tx, caller| {
        Ok(tx
            .org(&caller.org_id)?
            .ok_or_else(|| AdminError::new(404, "not_found", "the organization is gone")))
    })
    .await?;
    Ok(json(StatusCode::OK, &document(&org)))
}

/// The changes a PATCH asks for.
#[derive(Debug, Default, PartialEq)]
struct Changes {
    name: Option<String>,
    dialect: Option<Dialect>,
}

fn changes(body: &Value) -> Result<Changes, AdminError> {
    let object = body
        .as_object()
        .ok_or_else(|| AdminError::invalid("the body must be a JSON object of settings"))?;
    let mut changes = Changes::default();
    for (key, value) in object {
        match key.as_str() {
            "name" => {
                let name = value
                    .as_str()
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .ok_or_else(|| AdminError::invalid("name must be a non-empty string"))?;
                changes.name = Some(name.to_owned());
            }
            "dialect" => {
                let dialect = value.as_str().and_then(Dialect::parse).ok_or_else(|| {
                    AdminError::invalid("dialect must be \"lenient\" or \"strict\"")
                })?;
                changes.dialect = Some(dialect);
            }
            other => {
                return Err(AdminError::new(
                    400,
                    "unknown_setting",
                    format!("{other:?} is not a setting of this server"),
                ));
            }
        }
    }
    Ok(changes)
}

/// `PATCH /admin/v1/org`: `{"name"?, "dialect"?}`; answers the organization.
pub(crate) async fn patch(
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let changes = changes(&body?.0)?;
    let org = admin_transaction(&state, Access::Write, token, move |tx, caller| {
        if let Some(name) = &changes.name {
            tx.rename_org(&caller.org_id, name)?;
        }
        if let Some(dialect) = changes.dialect {
            tx.set_dialect(&caller.org_id, dialect)?;
        }
        Ok(tx
            .org(&caller.org_id)?
            .ok_or_else(|| AdminError::new(404, "not_found", "the organization is gone")))
    })
    .await?;
    Ok(json(StatusCode::OK, &document(&org)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_one_by_one() {
        let cases: [(Value, Result<Changes, &str>); 6] = [
            (json!({}), Ok(Changes::default())),
            (
                json!({"dialect": "strict", "name": " Acme "}),
                Ok(Changes {
                    name: Some("Acme".into()),
                    dialect: Some(Dialect::Strict),
                }),
            ),
            (json!({"dialect": "loose"}), Err("invalid_request")),
            (json!({"name": ""}), Err("invalid_request")),
            (json!({"sticky_joins": true}), Err("unknown_setting")),
            (json!(["dialect"]), Err("invalid_request")),
        ];
        for (body, expected) in cases {
            let got = changes(&body).map_err(|error| error.code);
            assert_eq!(got, expected, "{body}");
        }
    }
}
