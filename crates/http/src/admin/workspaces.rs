//! `POST|GET /admin/v1/workspaces` (`{"name"}` → `{"id","name","home_folder_id"}`),
//! `GET|PATCH|DELETE /admin/v1/workspaces/{id}`, `POST|GET /admin/v1/workspaces/{id}/folders`
//! (`{"name","team_access"}`) and `GET|PATCH|DELETE /admin/v1/folders/{id}` (PRODUCT.md §10).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use org_model::{Folder, ResourceRef, TeamAccess, Workspace};
use rollcall_store::FolderChange;
use serde_json::{Value, json};

use super::body::{json_after_token, object, optional_string, string};
use super::{
    AdminError, Recorded, admin_transaction, audited_transaction, delete_by_id, get_by_id, json,
    path_id,
};
use crate::access_delta::{self, AccessScope};
use crate::auth::BearerToken;
use crate::blocking::Access;
use crate::content::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;

/// A workspace as the API shows it: `{"id", "name", "home_folder_id"}` (its serde form,
/// which the CLI prints too).
fn workspace_document(workspace: &Workspace) -> Value {
    json!(workspace)
}

/// A folder as the API shows it: `{"id", "workspace_id", "name", "team_access"}`.
fn folder_document(folder: &Folder) -> Value {
    json!(folder)
}

fn team_access(value: Option<String>) -> Result<Option<TeamAccess>, AdminError> {
    value
        .map(|text| {
            TeamAccess::parse(&text).map_err(|error| AdminError::invalid(error.to_string()))
        })
        .transpose()
}

/// `POST /admin/v1/workspaces`.
pub(crate) async fn create(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let (token, body) = json_after_token(token, body)?;
    let name = string(object(&body, &["name"])?, "name")?;
    let workspace = audited_transaction(
        &request,
        &state,
        token,
        "workspace.create",
        201,
        move |tx, caller, now| {
            let workspace = tx.create_workspace(&caller.org_id, &name, now)?;
            let recorded = Recorded::new(
                format!("workspace:{}", workspace.id),
                json!({"after": workspace_document(&workspace)}),
            );
            Ok(Ok((workspace, recorded)))
        },
    )
    .await?;
    Ok(json(StatusCode::CREATED, &workspace_document(&workspace)))
}

/// `GET /admin/v1/workspaces`: `{"workspaces": [...]}`.
pub(crate) async fn list(
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let workspaces = admin_transaction(&state, Access::Read, token, |tx, caller| {
        Ok(Ok(tx.workspaces(&caller.org_id)?))
    })
    .await?;
    let documents: Vec<Value> = workspaces.iter().map(workspace_document).collect();
    Ok(json(StatusCode::OK, &json!({"workspaces": documents})))
}

/// `GET /admin/v1/workspaces/{id}`.
pub(crate) async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    get_by_id(
        &request,
        &state,
        token,
        |tx, org, id| tx.workspace(org, id),
        workspace_document,
    )
    .await
}

/// `PATCH /admin/v1/workspaces/{id}`: `{"name"}`.
pub(crate) async fn patch(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let id = path_id(&request);
    let (token, body) = json_after_token(token, body)?;
    let name = string(object(&body, &["name"])?, "name")?;
    let workspace = audited_transaction(
        &request,
        &state,
        token,
        "workspace.update",
        200,
        move |tx, caller, _| {
            let before = tx.workspace(&caller.org_id, &id)?;
            let after = tx.rename_workspace(&caller.org_id, &id, &name)?;
            let detail =
                crate::audit::changes(&workspace_document(&before), &workspace_document(&after));
            Ok(Ok((
                after,
                Recorded::new(format!("workspace:{id}"), detail),
            )))
        },
    )
    .await?;
    Ok(json(StatusCode::OK, &workspace_document(&workspace)))
}

/// `DELETE /admin/v1/workspaces/{id}`: 204; its folders, grants and joins go with it.
pub(crate) async fn delete(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    delete_by_id(
        &request,
        &state,
        token,
        "workspace.delete",
        "workspace",
        |tx, org, id, now| {
            let before = tx.workspace(org, id)?;
            let scope = AccessScope::Workspace(id.to_owned());
            let ((), access) =
                access_delta::around(tx, org, scope, now, |tx| tx.delete_workspace(org, id))?;
            Ok(json!({"before": workspace_document(&before), "after": null, "access": access}))
        },
    )
    .await
}

/// `POST /admin/v1/workspaces/{id}/folders`: `{"name", "team_access"?}` (invite-only unless said).
pub(crate) async fn create_folder(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let workspace_id = path_id(&request);
    let (token, body) = json_after_token(token, body)?;
    let fields = object(&body, &["name", "team_access"])?;
    let name = string(fields, "name")?;
    let access = team_access(optional_string(fields, "team_access")?)?.unwrap_or_default();
    let folder = audited_transaction(
        &request,
        &state,
        token,
        "folder.create",
        201,
        move |tx, caller, now| {
            let folder = tx.create_folder(&caller.org_id, &workspace_id, &name, access, now)?;
            let recorded = Recorded::new(
                format!("folder:{}", folder.id),
                json!({"after": folder_document(&folder)}),
            );
            Ok(Ok((folder, recorded)))
        },
    )
    .await?;
    Ok(json(StatusCode::CREATED, &folder_document(&folder)))
}

/// `GET /admin/v1/workspaces/{id}/folders`: `{"folders": [...]}`, Home first.
pub(crate) async fn list_folders(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let workspace_id = path_id(&request);
    let folders = admin_transaction(&state, Access::Read, token, move |tx, caller| {
        Ok(Ok(tx.folders(&caller.org_id, &workspace_id)?))
    })
    .await?;
    let documents: Vec<Value> = folders.iter().map(folder_document).collect();
    Ok(json(StatusCode::OK, &json!({"folders": documents})))
}

/// `GET /admin/v1/folders/{id}`.
pub(crate) async fn get_folder(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    get_by_id(
        &request,
        &state,
        token,
        |tx, org, id| tx.folder(org, id),
        folder_document,
    )
    .await
}

/// `PATCH /admin/v1/folders/{id}`: `{"name"?, "team_access"?}`.
pub(crate) async fn patch_folder(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let id = path_id(&request);
    let (token, body) = json_after_token(token, body)?;
    let fields = object(&body, &["name", "team_access"])?;
    let change = FolderChange {
        name: optional_string(fields, "name")?,
        team_access: team_access(optional_string(fields, "team_access")?)?,
    };
    let folder = audited_transaction(
        &request,
        &state,
        token,
        "folder.update",
        200,
        move |tx, caller, now| {
            let org = caller.org_id.as_str();
            let before = tx.folder(org, &id)?;
            let opens_or_closes = change
                .team_access
                .is_some_and(|access| access != before.team_access);
            let (after, access) = if opens_or_closes {
                let scope = AccessScope::Resource(ResourceRef::Folder(id.clone()));
                let (after, access) = access_delta::around(tx, org, scope, now, |tx| {
                    tx.update_folder(org, &id, &change)
                })?;
                (after, Some(access))
            } else {
                (tx.update_folder(org, &id, &change)?, None)
            };
            let mut detail =
                crate::audit::changes(&folder_document(&before), &folder_document(&after));
            if let Some(access) = access {
                detail["access"] = access;
            }
            Ok(Ok((after, Recorded::new(format!("folder:{id}"), detail))))
        },
    )
    .await?;
    Ok(json(StatusCode::OK, &folder_document(&folder)))
}

/// `DELETE /admin/v1/folders/{id}`: 204 (a Home folder goes only with its workspace: 400).
pub(crate) async fn delete_folder(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: Result<BearerToken, ApiError>,
) -> Result<HttpResponse, AdminError> {
    delete_by_id(
        &request,
        &state,
        token,
        "folder.delete",
        "folder",
        |tx, org, id, now| {
            let before = tx.folder(org, id)?;
            let scope = AccessScope::Resource(ResourceRef::Folder(id.to_owned()));
            let ((), access) =
                access_delta::around(tx, org, scope, now, |tx| tx.delete_folder(org, id))?;
            Ok(json!({"before": folder_document(&before), "after": null, "access": access}))
        },
    )
    .await
}
