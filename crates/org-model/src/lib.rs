#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod access;
pub mod grant;
pub mod groups;
pub mod org;
pub mod role;
pub mod rule;
pub mod workspace;

pub use access::{
    AccessInput, Candidate, Contribution, ContributionKind, Explanation, effective_role, explain,
    who_has_access,
};
pub use grant::{
    BadResourceRef, Grant, GrantError, GrantSource, Principal, ResourceRef, RevocationError,
    check_revocation,
};
pub use groups::{GroupGraph, GroupId, MembershipError};
pub use org::{OrgSettings, PasswordStorage};
pub use role::{Capability, Role, UnknownRole};
pub use rule::{AttributeMatch, Rule, RuleSubject, glob_matches};
pub use workspace::{Folder, TeamAccess, UnknownTeamAccess, Workspace};
