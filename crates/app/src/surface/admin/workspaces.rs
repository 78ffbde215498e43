//! `POST|GET /admin/v1/workspaces` (`{"name"}` → `{"id","name","home_folder_id"}`),
//! `GET|PATCH|DELETE /admin/v1/workspaces/{id}`, `POST|GET /admin/v1/workspaces/{id}/folders`
//! (`{"name","team_access"}`) and `GET|PATCH|DELETE /admin/v1/folders/{id}` (PRODUCT.md §10).

use org_model::{Folder, ResourceRef, TeamAccess, Workspace};
use rollcall_store::FolderChange;
use serde_json::{Value, json};

use super::audited::{Recorded, audited};
use super::body::{object, optional_string, string};
use super::{delete_by_id, get_by_id};
use crate::access_delta::{self, AccessScope};
use crate::error::Error;
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;
use crate::transaction::Access;

/// A workspace as the API shows it: `{"id", "name", "home_folder_id"}` (its serde form,
/// which the CLI prints too).
fn workspace_document(workspace: &Workspace) -> Value {
    json!(workspace)
}

/// A folder as the API shows it: `{"id", "workspace_id", "name", "team_access"}`.
fn folder_document(folder: &Folder) -> Value {
    json!(folder)
}

fn team_access(value: Option<String>) -> Result<Option<TeamAccess>, Error> {
    value
        .map(|text| {
            TeamAccess::parse(&text).map_err(|error| Error::invalid_request(error.to_string()))
        })
        .transpose()
}

/// `POST /admin/v1/workspaces`.
pub(crate) async fn create(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let name = string(object(&body, &["name"])?, "name")?;
    let workspace = audited(
        call,
        &credential,
        "workspace.create",
        201,
        move |tx, caller, now| {
            let workspace = tx.create_workspace(&caller.org_id, &name, now)?;
            let recorded = Recorded::new(
                format!("workspace:{}", workspace.id),
                json!({"after": workspace_document(&workspace)}),
            );
            Ok((workspace, recorded))
        },
    )
    .await?;
    Ok(Response::json(201, &workspace_document(&workspace)))
}

/// `GET /admin/v1/workspaces`: `{"workspaces": [...]}`.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let workspaces = call
        .admin(Access::Read, &credential, |tx, caller| {
            Ok(tx.workspaces(&caller.org_id)?)
        })
        .await?;
    let documents: Vec<Value> = workspaces.iter().map(workspace_document).collect();
    Ok(Response::json(200, &json!({"workspaces": documents})))
}

/// `GET /admin/v1/workspaces/{id}`.
pub(crate) async fn get(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    get_by_id(
        call,
        id,
        |tx, org, id| tx.workspace(org, id),
        workspace_document,
    )
    .await
}

/// `PATCH /admin/v1/workspaces/{id}`: `{"name"}`.
pub(crate) async fn patch(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let name = string(object(&body, &["name"])?, "name")?;
    let workspace = audited(
        call,
        &credential,
        "workspace.update",
        200,
        move |tx, caller, _| {
            let before = tx.workspace(&caller.org_id, &id)?;
            let after = tx.rename_workspace(&caller.org_id, &id, &name)?;
            let detail =
                crate::trail::changes(&workspace_document(&before), &workspace_document(&after));
            Ok((after, Recorded::new(format!("workspace:{id}"), detail)))
        },
    )
    .await?;
    Ok(Response::json(200, &workspace_document(&workspace)))
}

/// `DELETE /admin/v1/workspaces/{id}`: 204; its folders, grants and joins go with it.
pub(crate) async fn delete(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    delete_by_id(
        call,
        id,
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
    call: &mut Call<'_>,
    workspace_id: &str,
) -> Result<Response, Error> {
    let workspace_id = workspace_id.to_owned();
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let fields = object(&body, &["name", "team_access"])?;
    let name = string(fields, "name")?;
    let access = team_access(optional_string(fields, "team_access")?)?.unwrap_or_default();
    let folder = audited(
        call,
        &credential,
        "folder.create",
        201,
        move |tx, caller, now| {
            let folder = tx.create_folder(&caller.org_id, &workspace_id, &name, access, now)?;
            let recorded = Recorded::new(
                format!("folder:{}", folder.id),
                json!({"after": folder_document(&folder)}),
            );
            Ok((folder, recorded))
        },
    )
    .await?;
    Ok(Response::json(201, &folder_document(&folder)))
}

/// `GET /admin/v1/workspaces/{id}/folders`: `{"folders": [...]}`, Home first.
pub(crate) async fn list_folders(
    call: &mut Call<'_>,
    workspace_id: &str,
) -> Result<Response, Error> {
    let workspace_id = workspace_id.to_owned();
    let credential = call.credential()?;
    let folders = call
        .admin(Access::Read, &credential, move |tx, caller| {
            Ok(tx.folders(&caller.org_id, &workspace_id)?)
        })
        .await?;
    let documents: Vec<Value> = folders.iter().map(folder_document).collect();
    Ok(Response::json(200, &json!({"folders": documents})))
}

/// `GET /admin/v1/folders/{id}`.
pub(crate) async fn get_folder(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    get_by_id(call, id, |tx, org, id| tx.folder(org, id), folder_document).await
}

/// `PATCH /admin/v1/folders/{id}`: `{"name"?, "team_access"?}`.
pub(crate) async fn patch_folder(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let fields = object(&body, &["name", "team_access"])?;
    let change = FolderChange {
        name: optional_string(fields, "name")?,
        team_access: team_access(optional_string(fields, "team_access")?)?,
    };
    let folder = audited(
        call,
        &credential,
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
                crate::trail::changes(&folder_document(&before), &folder_document(&after));
            if let Some(access) = access {
                detail["access"] = access;
            }
            Ok((after, Recorded::new(format!("folder:{id}"), detail)))
        },
    )
    .await?;
    Ok(Response::json(200, &folder_document(&folder)))
}

/// `DELETE /admin/v1/folders/{id}`: 204 (a Home folder goes only with its workspace: 400).
pub(crate) async fn delete_folder(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    delete_by_id(call, id, "folder.delete", "folder", |tx, org, id, now| {
        let before = tx.folder(org, id)?;
        let scope = AccessScope::Resource(ResourceRef::Folder(id.to_owned()));
        let ((), access) =
            access_delta::around(tx, org, scope, now, |tx| tx.delete_folder(org, id))?;
        Ok(json!({"before": folder_document(&before), "after": null, "access": access}))
    })
    .await
}
