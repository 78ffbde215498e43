//! Owner succession (PRODUCT.md §4–§5): every workspace keeps at least one active Owner.
//! When a user who owned workspaces is suspended or deleted, each of those workspaces left
//! without an active user holding a direct `owner` grant passes to an heir: the org's
//! `successor` (when set, active and not the user leaving), else the longest-standing
//! active org owner (the earliest-created active user named in `owners`). The heir gets a
//! manual `owner` grant. When nobody can inherit, nothing is refused: the caller records
//! that the workspace has no active owner.
//!
//! A user owns a workspace through a direct, unexpired `owner` grant on it, or as an org
//! owner (`owners`), who owns every workspace of the org. What counts as solely owned:
//! - a workspace with a direct owner grant, when no other active user holds one (org
//!   owners are the heirs of last resort, not co-owners here: otherwise the fallback to
//!   the longest-standing org owner could never apply);
//! - every workspace of the org for its last active org owner; while another active org
//!   owner remains, an org owner leaving hands over only what it owned directly.
//!
//! Ownership is handed over as an explicit grant: the `owners` setting can change at any
//! time, a grant keeps the workspace owned.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::{Grant, GrantSource, Principal, ResourceRef, Role};

use crate::StoreError;
use crate::grants::GrantFilter;
use crate::lifecycle::Lifecycle;
use crate::schema::scim_users;

/// The outcome of succession for one workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Succession {
    /// The workspace.
    pub workspace_id: String,
    /// The owner grant given to the heir; `None` when nobody could inherit (the workspace
    /// has no active owner).
    pub grant: Option<Grant>,
}

impl Lifecycle<'_, '_> {
    /// The workspaces whose ownership `user_id` answers for at `now`: those it holds a
    /// direct unexpired `owner` grant on, and every workspace when it is the last active
    /// org owner (see the module's documentation). By id.
    pub fn owned_workspaces(
        &mut self,
        org_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let owners = self.tx.orgs().settings(org_id)?.owners;
        if owners.iter().any(|o| o == user_id) {
            let mut another_active = false;
            for other in owners.iter().filter(|o| *o != user_id) {
                if self.user_active(org_id, other)? == Some(true) {
                    another_active = true;
                    break;
                }
            }
            if !another_active {
                return Ok(self
                    .tx
                    .workspaces()
                    .list(org_id)?
                    .into_iter()
                    .map(|workspace| workspace.id)
                    .collect());
            }
        }
        let owned: BTreeSet<String> = self
            .tx
            .grants()
            .list(
                org_id,
                &GrantFilter {
                    principal: Some(Principal::User(user_id.to_owned())),
                    resource: None,
                },
            )?
            .into_iter()
            .filter(|grant| grant.role == Role::Owner && grant.is_active(now))
            .filter_map(|grant| match grant.resource {
                ResourceRef::Workspace(id) => Some(id),
                ResourceRef::Folder(_) => None,
            })
            .collect();
        Ok(owned.into_iter().collect())
    }

    /// Whether an active user holds a direct unexpired `owner` grant on the workspace.
    pub fn has_active_direct_owner(
        &mut self,
        org_id: &str,
        workspace_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let holders: Vec<String> = self
            .tx
            .grants()
            .list(
                org_id,
                &GrantFilter {
                    principal: None,
                    resource: Some(ResourceRef::Workspace(workspace_id.to_owned())),
                },
            )?
            .into_iter()
            .filter(|grant| grant.role == Role::Owner && grant.is_active(now))
            .filter_map(|grant| match grant.principal {
                Principal::User(id) => Some(id),
                Principal::Group(_) => None,
            })
            .collect();
        for holder in holders {
            if self.user_active(org_id, &holder)? == Some(true) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Who inherits what `leaving` owned: the org's successor when it is set, an active
    /// user and not `leaving`; else the earliest-created active org owner other than
    /// `leaving`; else nobody.
    pub fn heir(&mut self, org_id: &str, leaving: &str) -> Result<Option<String>, StoreError> {
        let settings = self.tx.orgs().settings(org_id)?;
        if let Some(successor) = settings.successor.as_deref()
            && successor != leaving
            && self.user_active(org_id, successor)? == Some(true)
        {
            return Ok(Some(successor.to_owned()));
        }
        let candidates: Vec<&str> = settings
            .owners
            .iter()
            .map(String::as_str)
            .filter(|owner| *owner != leaving)
            .collect();
        let mut earliest: Option<(String, String)> = None;
        for chunk in candidates.chunks(500) {
            let found: Option<(String, String)> = scim_users::table
                .filter(scim_users::org_id.eq(org_id))
                .filter(scim_users::id.eq_any(chunk))
                .filter(scim_users::active.is_null().or(scim_users::active.eq(true)))
                .order((scim_users::created, scim_users::id))
                .select((scim_users::created, scim_users::id))
                .first(self.tx.conn)
                .optional()?;
            if let Some(found) = found
                && earliest.as_ref().is_none_or(|best| found < *best)
            {
                earliest = Some(found);
            }
        }
        Ok(earliest.map(|(_, id)| id))
    }

    /// Hand over each of `workspaces` (those `leaving` owned) that has no active direct
    /// owner any more to the [`heir`](Lifecycle::heir), as a manual `owner` grant made `by` the
    /// given actor at `now`. Workspaces that still have an active owner are left out.
    pub fn hand_over_workspaces(
        &mut self,
        org_id: &str,
        leaving: &str,
        workspaces: &[String],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Succession>, StoreError> {
        let mut handed = Vec::new();
        let mut heir: Option<Option<String>> = None;
        for workspace_id in workspaces {
            if self.has_active_direct_owner(org_id, workspace_id, now)? {
                continue;
            }
            let heir = match &heir {
                Some(heir) => heir.clone(),
                None => heir.insert(self.heir(org_id, leaving)?).clone(),
            };
            handed.push(self.hand_over_workspace(
                org_id,
                workspace_id,
                heir.as_deref(),
                by,
                now,
            )?);
        }
        Ok(handed)
    }

    /// Hand one workspace to `heir` (found by [`heir`](Lifecycle::heir); `None`: nobody can
    /// inherit) as a manual `owner` grant made `by` the given actor at `now`, whether or
    /// not it still has an active owner: the caller has checked
    /// ([`has_active_direct_owner`](Lifecycle::has_active_direct_owner)).
    pub fn hand_over_workspace(
        &mut self,
        org_id: &str,
        workspace_id: &str,
        heir: Option<&str>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Succession, StoreError> {
        let grant = match heir {
            Some(heir) => Some(self.tx.grants().create(
                org_id,
                &Grant {
                    id: String::new(),
                    principal: Principal::User(heir.to_owned()),
                    resource: ResourceRef::Workspace(workspace_id.to_owned()),
                    role: Role::Owner,
                    source: GrantSource::Manual {
                        by: Some(by.to_owned()),
                    },
                    expires_at: None,
                    created_at: now,
                },
            )?),
            None => None,
        };
        Ok(Succession {
            workspace_id: workspace_id.to_owned(),
            grant,
        })
    }
}
