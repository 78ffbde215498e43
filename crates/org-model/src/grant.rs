//! Grants: a principal (a user, or a SCIM group) holds a role on a resource (a workspace or
//! a folder), with a source, an optional expiry and a creation time.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::role::Role;
use crate::workspace::{Folder, TeamAccess};

/// Who holds a grant: a user or a SCIM group, by SCIM `id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "lowercase")]
pub enum Principal {
    /// A user.
    User(String),
    /// A group (its members hold the grant, transitively).
    Group(String),
}

impl Principal {
    /// The user's or group's SCIM `id`.
    pub fn id(&self) -> &str {
        match self {
            Principal::User(id) | Principal::Group(id) => id,
        }
    }
}

/// What a grant is on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "lowercase")]
pub enum ResourceRef {
    /// A workspace (and through it its Home folder).
    Workspace(String),
    /// A folder.
    Folder(String),
}

/// A resource reference that is not `workspace:<id>` or `folder:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a resource is \"workspace:<id>\" or \"folder:<id>\", not {0:?}")]
pub struct BadResourceRef(pub String);

impl ResourceRef {
    /// `workspace:<id>` or `folder:<id>` (the admin API's query form).
    pub fn parse(text: &str) -> Result<ResourceRef, BadResourceRef> {
        match text.split_once(':') {
            Some(("workspace", id)) if !id.is_empty() => Ok(ResourceRef::Workspace(id.to_owned())),
            Some(("folder", id)) if !id.is_empty() => Ok(ResourceRef::Folder(id.to_owned())),
            _ => Err(BadResourceRef(text.to_owned())),
        }
    }

    /// The id.
    pub fn id(&self) -> &str {
        match self {
            ResourceRef::Workspace(id) | ResourceRef::Folder(id) => id,
        }
    }
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceRef::Workspace(id) => write!(f, "workspace:{id}"),
            ResourceRef::Folder(id) => write!(f, "folder:{id}"),
        }
    }
}

/// Where a grant came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum GrantSource {
    /// Made by someone (an admin token id, a user id), or by a sticky join.
    Manual {
        /// Who made it, when known.
        by: Option<String>,
    },
    /// Written for a group mapping rule.
    Rule {
        /// The rule.
        rule_id: String,
    },
}

/// A grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Its id.
    pub id: String,
    /// Who holds it.
    pub principal: Principal,
    /// What it is on.
    pub resource: ResourceRef,
    /// The role it gives.
    pub role: Role,
    /// Where it came from.
    pub source: GrantSource,
    /// When it stops counting (time-bound elevated access), if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Why a grant cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// Groups may be granted at most `maintainer`; `owner` only ever goes to a user.
    #[error("a group can be granted at most maintainer; owner is granted to users only")]
    GroupOwner,
    /// Group grants on a folder require it to be invite-only.
    #[error("group grants on a folder require it to be invite_only")]
    GroupOnOpenFolder,
    /// The expiry is not after the creation.
    #[error("expires_at must be later than now")]
    AlreadyExpired,
}

impl Grant {
    /// Whether the grant counts at `now` (not expired).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|expires_at| now < expires_at)
    }

    /// Check the rules a new grant must follow; `folder` is the folder it is on, if any.
    pub fn check(&self, folder: Option<&Folder>) -> Result<(), GrantError> {
        if let Principal::Group(_) = self.principal {
            if self.role == Role::Owner {
                return Err(GrantError::GroupOwner);
            }
            if folder.is_some_and(|folder| folder.team_access != TeamAccess::InviteOnly) {
                return Err(GrantError::GroupOnOpenFolder);
            }
        }
        if self
            .expires_at
            .is_some_and(|expires_at| expires_at <= self.created_at)
        {
            return Err(GrantError::AlreadyExpired);
        }
        Ok(())
    }
}
