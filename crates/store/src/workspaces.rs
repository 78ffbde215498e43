//! Workspaces and folders (PRODUCT.md §4), the area [`Workspaces`], scoped to an
//! organization like everything else:
//! another organization's id is [`StoreError::NotFound`]. A workspace is created with its
//! Home folder in the same transaction; the Home folder cannot be deleted on its own.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::{Folder, TeamAccess, Workspace};

use crate::org::new_id;
use crate::schema::{folders, grants, joins, workspaces};
use crate::{StoreError, Tx, timestamp};

/// The name of the folder every workspace starts with.
pub const HOME_FOLDER_NAME: &str = "Home";

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = workspaces)]
struct WorkspaceRow {
    id: String,
    org_id: String,
    name: String,
    home_folder_id: String,
    created_at: String,
}

impl From<WorkspaceRow> for Workspace {
    fn from(row: WorkspaceRow) -> Workspace {
        Workspace {
            id: row.id,
            name: row.name,
            home_folder_id: row.home_folder_id,
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = folders)]
struct FolderRow {
    id: String,
    org_id: String,
    workspace_id: String,
    name: String,
    team_access: String,
    created_at: String,
}

impl TryFrom<FolderRow> for Folder {
    type Error = StoreError;

    fn try_from(row: FolderRow) -> Result<Folder, StoreError> {
        Ok(Folder {
            team_access: TeamAccess::parse(&row.team_access)
                .map_err(|error| StoreError::Database(error.to_string()))?,
            id: row.id,
            workspace_id: row.workspace_id,
            name: row.name,
        })
    }
}

/// A folder change (`PATCH /admin/v1/folders/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderChange {
    /// A new name.
    pub name: Option<String>,
    /// A new team access.
    pub team_access: Option<TeamAccess>,
}

impl<'c> Tx<'c> {
    /// The workspaces and their folders.
    pub fn workspaces(&mut self) -> Workspaces<'_, 'c> {
        Workspaces { tx: self }
    }
}

/// The workspaces and their folders, in a transaction ([`Tx::workspaces`]).
#[derive(Debug)]
pub struct Workspaces<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl Workspaces<'_, '_> {
    /// Create a workspace and its Home folder.
    pub fn create(
        &mut self,
        org_id: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Workspace, StoreError> {
        let (id, home) = (new_id(), new_id());
        let created_at = timestamp::to_db(now);
        diesel::insert_into(workspaces::table)
            .values(WorkspaceRow {
                id: id.clone(),
                org_id: org_id.to_owned(),
                name: name.to_owned(),
                home_folder_id: home.clone(),
                created_at: created_at.clone(),
            })
            .execute(self.tx.conn)?;
        diesel::insert_into(folders::table)
            .values(FolderRow {
                id: home.clone(),
                org_id: org_id.to_owned(),
                workspace_id: id.clone(),
                name: HOME_FOLDER_NAME.to_owned(),
                team_access: TeamAccess::InviteOnly.as_str().to_owned(),
                created_at,
            })
            .execute(self.tx.conn)?;
        Ok(Workspace {
            id,
            name: name.to_owned(),
            home_folder_id: home,
        })
    }

    /// A workspace of the organization.
    pub fn get(&mut self, org_id: &str, id: &str) -> Result<Workspace, StoreError> {
        workspaces::table
            .filter(workspaces::org_id.eq(org_id))
            .filter(workspaces::id.eq(id))
            .select(WorkspaceRow::as_select())
            .first(self.tx.conn)
            .optional()?
            .map(Workspace::from)
            .ok_or(StoreError::NotFound)
    }

    /// Every workspace of the organization, oldest first.
    pub fn list(&mut self, org_id: &str) -> Result<Vec<Workspace>, StoreError> {
        Ok(workspaces::table
            .filter(workspaces::org_id.eq(org_id))
            .order((workspaces::created_at, workspaces::id))
            .select(WorkspaceRow::as_select())
            .load(self.tx.conn)?
            .into_iter()
            .map(Workspace::from)
            .collect())
    }

    /// Rename a workspace.
    pub fn rename(&mut self, org_id: &str, id: &str, name: &str) -> Result<Workspace, StoreError> {
        let updated = diesel::update(
            workspaces::table
                .filter(workspaces::org_id.eq(org_id))
                .filter(workspaces::id.eq(id)),
        )
        .set(workspaces::name.eq(name))
        .execute(self.tx.conn)?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.get(org_id, id)
    }

    /// Delete a workspace with its folders, and the grants and joins on them.
    pub fn delete(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        let workspace = self.get(org_id, id)?;
        let folder_ids: Vec<String> = self
            .folders(org_id, &workspace.id)?
            .into_iter()
            .map(|folder| folder.id)
            .collect();
        diesel::delete(
            grants::table.filter(grants::org_id.eq(org_id)).filter(
                (grants::resource_type
                    .eq("workspace")
                    .and(grants::resource_id.eq(id)))
                .or(grants::resource_type
                    .eq("folder")
                    .and(grants::resource_id.eq_any(&folder_ids))),
            ),
        )
        .execute(self.tx.conn)?;
        diesel::delete(
            joins::table.filter(joins::org_id.eq(org_id)).filter(
                (joins::resource_type
                    .eq("workspace")
                    .and(joins::resource_id.eq(id)))
                .or(joins::resource_type
                    .eq("folder")
                    .and(joins::resource_id.eq_any(&folder_ids))),
            ),
        )
        .execute(self.tx.conn)?;
        diesel::delete(folders::table.filter(folders::workspace_id.eq(id)))
            .execute(self.tx.conn)?;
        diesel::delete(workspaces::table.filter(workspaces::id.eq(id))).execute(self.tx.conn)?;
        Ok(())
    }

    /// Create a folder in a workspace of the organization.
    pub fn create_folder(
        &mut self,
        org_id: &str,
        workspace_id: &str,
        name: &str,
        team_access: TeamAccess,
        now: DateTime<Utc>,
    ) -> Result<Folder, StoreError> {
        self.get(org_id, workspace_id)?;
        let row = FolderRow {
            id: new_id(),
            org_id: org_id.to_owned(),
            workspace_id: workspace_id.to_owned(),
            name: name.to_owned(),
            team_access: team_access.as_str().to_owned(),
            created_at: timestamp::to_db(now),
        };
        diesel::insert_into(folders::table)
            .values(&row)
            .execute(self.tx.conn)?;
        Folder::try_from(row)
    }

    /// A folder of the organization.
    pub fn folder(&mut self, org_id: &str, id: &str) -> Result<Folder, StoreError> {
        folders::table
            .filter(folders::org_id.eq(org_id))
            .filter(folders::id.eq(id))
            .select(FolderRow::as_select())
            .first(self.tx.conn)
            .optional()?
            .ok_or(StoreError::NotFound)
            .and_then(Folder::try_from)
    }

    /// The folders of a workspace (Home first, then oldest first).
    pub fn folders(&mut self, org_id: &str, workspace_id: &str) -> Result<Vec<Folder>, StoreError> {
        let workspace = self.get(org_id, workspace_id)?;
        let mut folders: Vec<Folder> = folders::table
            .filter(folders::org_id.eq(org_id))
            .filter(folders::workspace_id.eq(workspace_id))
            .order((folders::created_at, folders::id))
            .select(FolderRow::as_select())
            .load(self.tx.conn)?
            .into_iter()
            .map(Folder::try_from)
            .collect::<Result<_, _>>()?;
        folders.sort_by_key(|folder| folder.id != workspace.home_folder_id);
        Ok(folders)
    }

    /// Every folder of the organization, by workspace, oldest first.
    pub fn all_folders(&mut self, org_id: &str) -> Result<Vec<Folder>, StoreError> {
        folders::table
            .filter(folders::org_id.eq(org_id))
            .order((folders::workspace_id, folders::created_at, folders::id))
            .select(FolderRow::as_select())
            .load(self.tx.conn)?
            .into_iter()
            .map(Folder::try_from)
            .collect()
    }

    /// Rename a folder or change its team access. Opening a folder to everyone while groups
    /// hold grants on it is [`StoreError::Invalid`]: group grants need an invite-only folder.
    pub fn update_folder(
        &mut self,
        org_id: &str,
        id: &str,
        change: &FolderChange,
    ) -> Result<Folder, StoreError> {
        self.folder(org_id, id)?;
        if let Some(team_access) = change.team_access {
            if team_access != TeamAccess::InviteOnly {
                let group_grants: i64 = grants::table
                    .filter(grants::org_id.eq(org_id))
                    .filter(grants::resource_type.eq("folder"))
                    .filter(grants::resource_id.eq(id))
                    .filter(grants::principal_type.eq("group"))
                    .count()
                    .get_result(self.tx.conn)?;
                if group_grants > 0 {
                    return Err(StoreError::Invalid(
                        "groups hold grants on this folder: group grants need it invite_only"
                            .to_owned(),
                    ));
                }
            }
            diesel::update(folders::table.filter(folders::id.eq(id)))
                .set(folders::team_access.eq(team_access.as_str()))
                .execute(self.tx.conn)?;
        }
        if let Some(name) = &change.name {
            diesel::update(folders::table.filter(folders::id.eq(id)))
                .set(folders::name.eq(name))
                .execute(self.tx.conn)?;
        }
        self.folder(org_id, id)
    }

    /// Delete a folder with its grants and joins; a Home folder goes only with its workspace
    /// ([`StoreError::Invalid`]).
    pub fn delete_folder(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        let folder = self.folder(org_id, id)?;
        let workspace = self.get(org_id, &folder.workspace_id)?;
        if workspace.home_folder_id == folder.id {
            return Err(StoreError::Invalid(
                "a Home folder is deleted with its workspace only".to_owned(),
            ));
        }
        diesel::delete(
            grants::table
                .filter(grants::org_id.eq(org_id))
                .filter(grants::resource_type.eq("folder"))
                .filter(grants::resource_id.eq(id)),
        )
        .execute(self.tx.conn)?;
        diesel::delete(
            joins::table
                .filter(joins::org_id.eq(org_id))
                .filter(joins::resource_type.eq("folder"))
                .filter(joins::resource_id.eq(id)),
        )
        .execute(self.tx.conn)?;
        diesel::delete(folders::table.filter(folders::id.eq(id))).execute(self.tx.conn)?;
        Ok(())
    }
}
