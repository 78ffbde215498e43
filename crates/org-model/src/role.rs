//! The seven role tiers, totally ordered, each holding every capability of the tiers below
//! (PRODUCT.md §4): `viewer < participant < commenter < collaborator < editor < maintainer
//! < owner`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role tier. `Ord` is the tier order: a higher role can do everything a lower one can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read.
    Viewer,
    /// Also complete and comment on tasks assigned to them.
    Participant,
    /// Also comment anywhere.
    Commenter,
    /// Also complete any task, run automations, edit what they created.
    Collaborator,
    /// Create, edit and delete content.
    Editor,
    /// Manage members, roles below their own, and settings.
    Maintainer,
    /// Also billing, transfer ownership, delete the workspace.
    Owner,
}

/// Something a role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// See the resource and its content.
    Read,
    /// Complete and comment on tasks assigned to oneself.
    WorkOnAssignedTasks,
    /// Comment anywhere.
    Comment,
    /// Complete any task.
    CompleteAnyTask,
    /// Run automations.
    RunAutomations,
    /// Edit what one created.
    EditOwnContent,
    /// Create, edit and delete any content.
    EditContent,
    /// Manage members and roles below one's own.
    ManageMembers,
    /// Change the resource's settings.
    ManageSettings,
    /// Billing.
    Billing,
    /// Transfer ownership.
    TransferOwnership,
    /// Delete the workspace.
    DeleteWorkspace,
}

impl Capability {
    /// The lowest role that has this capability.
    pub fn lowest_role(self) -> Role {
        match self {
            Capability::Read => Role::Viewer,
            Capability::WorkOnAssignedTasks => Role::Participant,
            Capability::Comment => Role::Commenter,
            Capability::CompleteAnyTask
            | Capability::RunAutomations
            | Capability::EditOwnContent => Role::Collaborator,
            Capability::EditContent => Role::Editor,
            Capability::ManageMembers | Capability::ManageSettings => Role::Maintainer,
            Capability::Billing | Capability::TransferOwnership | Capability::DeleteWorkspace => {
                Role::Owner
            }
        }
    }
}

/// A role name that is neither a tier nor an accepted alias.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}: expected viewer, participant, commenter, collaborator, editor, maintainer or owner"
)]
pub struct UnknownRole(pub String);

impl Role {
    /// Every tier, lowest first.
    pub const ALL: [Role; 7] = [
        Role::Viewer,
        Role::Participant,
        Role::Commenter,
        Role::Collaborator,
        Role::Editor,
        Role::Maintainer,
        Role::Owner,
    ];

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Participant => "participant",
            Role::Commenter => "commenter",
            Role::Collaborator => "collaborator",
            Role::Editor => "editor",
            Role::Maintainer => "maintainer",
            Role::Owner => "owner",
        }
    }

    /// A role from its name or one of the older names the hosted product used
    /// (`admin` → maintainer, `checker` → participant, `member` → editor), case-insensitively.
    pub fn parse(name: &str) -> Result<Role, UnknownRole> {
        let lower = name.trim().to_ascii_lowercase();
        let role = match lower.as_str() {
            "viewer" => Role::Viewer,
            "participant" | "checker" => Role::Participant,
            "commenter" => Role::Commenter,
            "collaborator" => Role::Collaborator,
            "editor" | "member" => Role::Editor,
            "maintainer" | "admin" => Role::Maintainer,
            "owner" => Role::Owner,
            _ => return Err(UnknownRole(name.to_owned())),
        };
        Ok(role)
    }

    /// Whether this role allows `capability`.
    pub fn can(self, capability: Capability) -> bool {
        self >= capability.lowest_role()
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Role, UnknownRole> {
        Role::parse(name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_parse_case_insensitively() {
        let cases = [
            ("viewer", Ok(Role::Viewer)),
            ("participant", Ok(Role::Participant)),
            ("checker", Ok(Role::Participant)),
            ("commenter", Ok(Role::Commenter)),
            ("collaborator", Ok(Role::Collaborator)),
            ("editor", Ok(Role::Editor)),
            ("member", Ok(Role::Editor)),
            ("maintainer", Ok(Role::Maintainer)),
            ("admin", Ok(Role::Maintainer)),
            ("Admin", Ok(Role::Maintainer)),
            (" owner ", Ok(Role::Owner)),
            ("OWNER", Ok(Role::Owner)),
            ("superuser", Err(UnknownRole("superuser".to_owned()))),
            ("", Err(UnknownRole(String::new()))),
        ];
        for (name, expected) in cases {
            assert_eq!(Role::parse(name), expected, "{name:?}");
            assert_eq!(name.parse::<Role>(), expected, "{name:?} via FromStr");
        }
    }

    #[test]
    fn canonical_names_round_trip_and_tiers_are_ordered() {
        for pair in Role::ALL.windows(2) {
            assert!(pair[0] < pair[1], "{} < {}", pair[0], pair[1]);
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(&role.to_string()), Ok(role));
        }
    }

    #[test]
    fn each_tier_holds_every_capability_of_the_tiers_below() {
        use Capability::*;
        // (capability, the lowest role that has it)
        let cases = [
            (Read, Role::Viewer),
            (WorkOnAssignedTasks, Role::Participant),
            (Comment, Role::Commenter),
            (CompleteAnyTask, Role::Collaborator),
            (RunAutomations, Role::Collaborator),
            (EditOwnContent, Role::Collaborator),
            (EditContent, Role::Editor),
            (ManageMembers, Role::Maintainer),
            (ManageSettings, Role::Maintainer),
            (Billing, Role::Owner),
            (TransferOwnership, Role::Owner),
            (DeleteWorkspace, Role::Owner),
        ];
        for (capability, lowest) in cases {
            assert_eq!(capability.lowest_role(), lowest, "{capability:?}");
            for role in Role::ALL {
                assert_eq!(
                    role.can(capability),
                    role >= lowest,
                    "{role} {capability:?}"
                );
            }
        }
        // collaborator above commenter: a collaborator comments and completes any task, a
        // commenter only comments
        assert!(Role::Collaborator.can(Comment) && Role::Collaborator.can(CompleteAnyTask));
        assert!(Role::Commenter.can(Comment) && !Role::Commenter.can(CompleteAnyTask));
    }
}
