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

/// Why a grant cannot be revoked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// It is the last active user's unexpired `owner` grant on a workspace of an
    /// organization that names no owners: the workspace would have no active Owner.
    #[error("a workspace keeps at least one active Owner: grant owner to someone else first")]
    LastActiveOwner,
}

/// Whether `revoked` may be revoked at `now`: a workspace keeps at least one active Owner
/// (PRODUCT.md §4).
///
/// Revoking a user's `owner` grant on a workspace is refused with
/// [`RevocationError::LastActiveOwner`] when the organization names no owners
/// (`org_names_owners` false; named org owners own every workspace) and no other `owner`
/// grant among `others`, unexpired at `now` and held by a user `user_active` says is active,
/// remains. `others` are the grants on the same resource; `revoked` among them is skipped.
/// `user_active` is asked only about users who hold such a grant, until one is active. Every
/// other grant may go.
pub fn check_revocation(
    revoked: &Grant,
    others: &[Grant],
    org_names_owners: bool,
    mut user_active: impl FnMut(&str) -> bool,
    now: DateTime<Utc>,
) -> Result<(), RevocationError> {
    let ResourceRef::Workspace(workspace) = &revoked.resource else {
        return Ok(());
    };
    if !revoked.is_user_workspace_ownership() || org_names_owners {
        return Ok(());
    }
    let another_active_owner = others
        .iter()
        .filter(|other| other.id != revoked.id && other.role == Role::Owner)
        .filter(|other| matches!(&other.resource, ResourceRef::Workspace(id) if id == workspace))
        .filter(|other| other.is_active(now))
        .any(|other| match &other.principal {
            Principal::User(user) => user_active(user),
            Principal::Group(_) => false,
        });
    if another_active_owner {
        Ok(())
    } else {
        Err(RevocationError::LastActiveOwner)
    }
}

impl Grant {
    /// Whether this is a user's `owner` grant on a workspace: the only kind of grant whose
    /// revocation [`check_revocation`] may refuse (so the only one that needs its facts).
    pub fn is_user_workspace_ownership(&self) -> bool {
        self.role == Role::Owner
            && matches!(self.principal, Principal::User(_))
            && matches!(self.resource, ResourceRef::Workspace(_))
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// When the tests happen.
    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .map(|time| time.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// A grant: `principal` is `user:<id>` or `group:<id>`, `resource` `workspace:<id>` or
    /// `folder:<id>`, `expires` hours from [`now`] (negative: ended).
    fn grant(id: &str, principal: &str, resource: &str, role: Role, expires: Option<i64>) -> Grant {
        let principal = match principal.split_once(':') {
            Some(("group", id)) => Principal::Group(id.to_owned()),
            Some((_, id)) => Principal::User(id.to_owned()),
            None => Principal::User(principal.to_owned()),
        };
        Grant {
            id: id.to_owned(),
            principal,
            resource: ResourceRef::parse(resource).unwrap_or(ResourceRef::Workspace(String::new())),
            role,
            source: GrantSource::Manual { by: None },
            expires_at: expires.map(|hours| now() + chrono::Duration::hours(hours)),
            created_at: now() - chrono::Duration::days(1),
        }
    }

    /// (name, revoked, others on the resource, org names owners, active users, allowed)
    type Case = (
        &'static str,
        Grant,
        Vec<Grant>,
        bool,
        &'static [&'static str],
        bool,
    );

    #[test]
    fn check_revocation_keeps_an_active_owner_on_every_workspace() {
        use Role::{Editor, Maintainer, Owner};
        let ann_owns = grant("g1", "user:ann", "workspace:w", Owner, None);
        let cases: Vec<Case> = vec![
            (
                "the only owner",
                ann_owns.clone(),
                vec![ann_owns.clone()],
                false,
                &["ann"],
                false,
            ),
            (
                "no grant listed at all",
                ann_owns.clone(),
                vec![],
                false,
                &["ann"],
                false,
            ),
            (
                "another active owner",
                ann_owns.clone(),
                vec![
                    ann_owns.clone(),
                    grant("g2", "user:bob", "workspace:w", Owner, None),
                ],
                false,
                &["ann", "bob"],
                true,
            ),
            (
                "the other owner is suspended",
                ann_owns.clone(),
                vec![grant("g2", "user:bob", "workspace:w", Owner, None)],
                false,
                &["ann"],
                false,
            ),
            (
                "the other owner grant has ended",
                ann_owns.clone(),
                vec![grant("g2", "user:bob", "workspace:w", Owner, Some(-1))],
                false,
                &["bob"],
                false,
            ),
            (
                "the other owner grant ends later",
                ann_owns.clone(),
                vec![grant("g2", "user:bob", "workspace:w", Owner, Some(1))],
                false,
                &["bob"],
                true,
            ),
            (
                "another user is only a maintainer",
                ann_owns.clone(),
                vec![grant("g2", "user:bob", "workspace:w", Maintainer, None)],
                false,
                &["bob"],
                false,
            ),
            (
                "an owner of another workspace does not count",
                ann_owns.clone(),
                vec![grant("g2", "user:bob", "workspace:v", Owner, None)],
                false,
                &["bob"],
                false,
            ),
            (
                "the org names owners",
                ann_owns.clone(),
                vec![ann_owns.clone()],
                true,
                &[],
                true,
            ),
            // As before the rule moved here from the store: the revoked grant's own end
            // is not looked at (ended grants are removed by the expiry sweep, unchecked).
            (
                "an ended owner grant that is the last is still refused",
                grant("g1", "user:ann", "workspace:w", Owner, Some(-1)),
                vec![],
                false,
                &["ann"],
                false,
            ),
            (
                "not an owner grant",
                grant("g1", "user:ann", "workspace:w", Editor, None),
                vec![],
                false,
                &[],
                true,
            ),
            (
                "a group's grant",
                grant("g1", "group:eng", "workspace:w", Maintainer, None),
                vec![],
                false,
                &[],
                true,
            ),
            (
                "an owner grant on a folder",
                grant("g1", "user:ann", "folder:f", Owner, None),
                vec![],
                false,
                &[],
                true,
            ),
        ];
        for (name, revoked, others, org_names_owners, active, allowed) in cases {
            let result = check_revocation(
                &revoked,
                &others,
                org_names_owners,
                |user| active.contains(&user),
                now(),
            );
            let expected = if allowed {
                Ok(())
            } else {
                Err(RevocationError::LastActiveOwner)
            };
            assert_eq!(result, expected, "{name}");
        }
    }

    #[test]
    fn check_revocation_asks_about_owners_only_until_one_is_active() {
        let revoked = grant("g1", "user:ann", "workspace:w", Role::Owner, None);
        let others = [
            grant("g2", "user:bob", "workspace:w", Role::Editor, None),
            grant("g3", "user:cay", "workspace:w", Role::Owner, None),
            grant("g4", "user:dan", "workspace:w", Role::Owner, None),
        ];
        let mut asked = Vec::new();
        let result = check_revocation(
            &revoked,
            &others,
            false,
            |user| {
                asked.push(user.to_owned());
                true
            },
            now(),
        );
        assert_eq!(result, Ok(()));
        assert_eq!(asked, ["cay"]);
    }

    #[test]
    fn the_revocation_error_says_what_to_do() {
        assert_eq!(
            RevocationError::LastActiveOwner.to_string(),
            "a workspace keeps at least one active Owner: grant owner to someone else first"
        );
    }
}
