//! Workspaces (each with exactly one Home folder) and folders with their team access.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::role::Role;

/// A workspace of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// Its id.
    pub id: String,
    /// Its name (what group mapping rules match).
    pub name: String,
    /// Its Home folder, which carries the workspace role.
    pub home_folder_id: String,
}

/// A folder of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    /// Its id.
    pub id: String,
    /// The workspace it belongs to.
    pub workspace_id: String,
    /// Its name.
    pub name: String,
    /// Who gets in through the workspace.
    pub team_access: TeamAccess,
}

/// Who reaches a folder through the workspace role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TeamAccess {
    /// Nobody: only grants on the folder count (the default).
    #[default]
    InviteOnly,
    /// Every workspace member, at most at this role (editor, participant or viewer).
    Everyone(Role),
}

/// A team access value that is not one of the four accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown team_access {0:?}: expected \"invite_only\", \"everyone:editor\", \"everyone:participant\" or \"everyone:viewer\""
)]
pub struct UnknownTeamAccess(pub String);

impl TeamAccess {
    /// `invite_only`, `everyone:editor`, `everyone:participant`, `everyone:viewer`.
    pub fn parse(text: &str) -> Result<TeamAccess, UnknownTeamAccess> {
        match text {
            "invite_only" => Ok(TeamAccess::InviteOnly),
            "everyone:editor" => Ok(TeamAccess::Everyone(Role::Editor)),
            "everyone:participant" => Ok(TeamAccess::Everyone(Role::Participant)),
            "everyone:viewer" => Ok(TeamAccess::Everyone(Role::Viewer)),
            other => Err(UnknownTeamAccess(other.to_owned())),
        }
    }

    /// The wire form (see [`TeamAccess::parse`]).
    pub fn as_str(self) -> &'static str {
        match self {
            TeamAccess::InviteOnly => "invite_only",
            TeamAccess::Everyone(Role::Editor) => "everyone:editor",
            TeamAccess::Everyone(Role::Participant) => "everyone:participant",
            // Only the three roles above are ever parsed; anything else reads as viewer.
            TeamAccess::Everyone(_) => "everyone:viewer",
        }
    }
}

impl fmt::Display for TeamAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TeamAccess {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TeamAccess {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TeamAccess::parse(&text).map_err(serde::de::Error::custom)
    }
}
