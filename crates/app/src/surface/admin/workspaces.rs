//! `POST|GET /admin/v1/workspaces` (`{"name"}` → `{"id","name","home_folder_id"}`),
//! `GET|PATCH|DELETE /admin/v1/workspaces/{id}`, `POST|GET /admin/v1/workspaces/{id}/folders`
//! (`{"name","team_access"}`) and `GET|PATCH|DELETE /admin/v1/folders/{id}` (PRODUCT.md §10).

use org_model::{Folder, ResourceRef, TeamAccess, Workspace};
use rollcall_store::FolderChange;
use serde_json::{Value, json};

use super::audited::{Recorded, Written, previewable};
use super::body::{object, optional_string, string};
use super::{create_one, delete_by_id, get_by_id, list_all};
use crate::access_delta::{self, AccessScope};
use crate::error::Error;
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;

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
    create_one(
        call,
        &credential,
        ("workspace.create", "workspace"),
        move |tx, org, now| tx.workspaces().create(org, &name, now),
        (
            |workspace: &Workspace| &workspace.id,
            // Rules match its name, org owners own it: roles from its first moment.
            |workspace| AccessScope::Workspace(workspace.id.clone()),
        ),
        workspace_document,
    )
    .await
}

/// `GET /admin/v1/workspaces`: `{"workspaces": [...]}`.
pub(crate) async fn list(call: &mut Call<'_>) -> Result<Response, Error> {
    list_all(
        call,
        "workspaces",
        |tx, org| tx.workspaces().list(org),
        workspace_document,
    )
    .await
}

/// `GET /admin/v1/workspaces/{id}`.
pub(crate) async fn get(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    get_by_id(
        call,
        id,
        |tx, org, id| tx.workspaces().get(org, id),
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
    let workspace = match previewable(
        call,
        &credential,
        "workspace.update",
        200,
        move |tx, caller, now| {
            let org = caller.org_id.as_str();
            let before = tx.workspaces().get(org, &id)?;
            // Rules match names: a rename can give and take roles.
            let scope = AccessScope::Workspace(id.clone());
            let (after, access) = access_delta::around(tx, org, scope, now, |tx| {
                tx.workspaces().rename(org, &id, &name)
            })?;
            let mut detail =
                crate::trail::changes(&workspace_document(&before), &workspace_document(&after));
            detail["access"] = access;
            Ok((after, Recorded::new(format!("workspace:{id}"), detail)))
        },
    )
    .await?
    {
        Written::Applied(value) => value,
        Written::Previewed(preview) => return Ok(preview),
    };
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
            let before = tx.workspaces().get(org, id)?;
            let scope = AccessScope::Workspace(id.to_owned());
            let ((), access) =
                access_delta::around(tx, org, scope, now, |tx| tx.workspaces().delete(org, id))?;
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
    create_one(
        call,
        &credential,
        ("folder.create", "folder"),
        move |tx, org, now| {
            tx.workspaces()
                .create_folder(org, &workspace_id, &name, access, now)
        },
        (
            |folder: &Folder| &folder.id,
            // A folder open to its workspace (`everyone`) gives its members roles at once.
            |folder| AccessScope::Resource(ResourceRef::Folder(folder.id.clone())),
        ),
        folder_document,
    )
    .await
}

/// `GET /admin/v1/workspaces/{id}/folders`: `{"folders": [...]}`, Home first.
pub(crate) async fn list_folders(
    call: &mut Call<'_>,
    workspace_id: &str,
) -> Result<Response, Error> {
    let workspace_id = workspace_id.to_owned();
    list_all(
        call,
        "folders",
        move |tx, org| tx.workspaces().folders(org, &workspace_id),
        folder_document,
    )
    .await
}

/// `GET /admin/v1/folders`: `{"folders": [...]}`, every folder of the organization, by
/// workspace (one read, where listing each workspace's folders takes one request each).
pub(crate) async fn all_folders(call: &mut Call<'_>) -> Result<Response, Error> {
    list_all(
        call,
        "folders",
        |tx, org| tx.workspaces().all_folders(org),
        folder_document,
    )
    .await
}

/// `GET /admin/v1/folders/{id}`.
pub(crate) async fn get_folder(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    get_by_id(
        call,
        id,
        |tx, org, id| tx.workspaces().folder(org, id),
        folder_document,
    )
    .await
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
    let folder = match previewable(
        call,
        &credential,
        "folder.update",
        200,
        move |tx, caller, now| {
            let org = caller.org_id.as_str();
            let before = tx.workspaces().folder(org, &id)?;
            let opens_or_closes = change
                .team_access
                .is_some_and(|access| access != before.team_access);
            let (after, access) = if opens_or_closes {
                let scope = AccessScope::Resource(ResourceRef::Folder(id.clone()));
                let (after, access) = access_delta::around(tx, org, scope, now, |tx| {
                    tx.workspaces().update_folder(org, &id, &change)
                })?;
                (after, Some(access))
            } else {
                (tx.workspaces().update_folder(org, &id, &change)?, None)
            };
            let mut detail =
                crate::trail::changes(&folder_document(&before), &folder_document(&after));
            if let Some(access) = access {
                detail["access"] = access;
            }
            Ok((after, Recorded::new(format!("folder:{id}"), detail)))
        },
    )
    .await?
    {
        Written::Applied(value) => value,
        Written::Previewed(preview) => return Ok(preview),
    };
    Ok(Response::json(200, &folder_document(&folder)))
}

/// `DELETE /admin/v1/folders/{id}`: 204 (a Home folder goes only with its workspace: 400).
pub(crate) async fn delete_folder(call: &mut Call<'_>, id: &str) -> Result<Response, Error> {
    let id = id.to_owned();
    delete_by_id(call, id, "folder.delete", "folder", |tx, org, id, now| {
        let before = tx.workspaces().folder(org, id)?;
        let scope = AccessScope::Resource(ResourceRef::Folder(id.to_owned()));
        let ((), access) = access_delta::around(tx, org, scope, now, |tx| {
            tx.workspaces().delete_folder(org, id)
        })?;
        Ok(json!({"before": folder_document(&before), "after": null, "access": access}))
    })
    .await
}
