//! Effective access (PRODUCT.md §4): the role a user holds on a workspace or folder, every
//! contribution to it with the winner marked, and the reverse query.
//!
//! The rules, exactly:
//! - an inactive user has no role anywhere ([`explain`] then lists no contributions: nothing
//!   counts for a suspended user, so there is nothing to show);
//! - the **workspace role** is the maximum of the user's direct grants on the workspace,
//!   every grant on it held by a group the user belongs to (transitively), every rule whose
//!   group glob matches the displayName of such a group and whose workspace glob matches the
//!   workspace's name, every attribute rule the user matches ([`AccessInput::attribute_matches`])
//!   whose workspace glob matches the workspace's name, and `owner` for org owners;
//! - the **Home folder** (the folder whose id is the workspace's `home_folder_id`) has the
//!   workspace role; grants recorded on the Home folder itself are ignored (the Home folder
//!   *is* the workspace);
//! - **another folder**: the maximum of the direct and group grants on that folder and, if
//!   its team access is `everyone(c)`, `min(workspace role, c)`; an invite-only folder gives
//!   nothing through the workspace, and a grant on a folder opens neither the workspace nor
//!   its Home folder;
//! - expired grants ([`Grant::is_active`]) count for nothing;
//! - groups hold at most `maintainer`: a group grant or rule of `owner`, which
//!   [`Grant::check`] refuses but old or hand-edited data might hold, counts as `maintainer`;
//!   so do attribute rules.
//!
//! The result does not depend on the order of grants, rules or memberships. Among
//! contributions of the highest role, the winner is chosen by kind — direct, then group,
//! then group rule, then attribute rule, then team access, then org owner — and then by the
//! smallest grant or rule id, then the smallest group id (or matched attribute). [`Explanation::contributions`] is sorted in that same order,
//! so the winner comes first.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::grant::{Grant, Principal, ResourceRef};
use crate::groups::{GroupGraph, GroupId};
use crate::role::Role;
use crate::rule::{AttributeMatch, Rule};
use crate::workspace::{Folder, TeamAccess, Workspace};

/// The most a group can hold, through a grant or a rule.
pub const GROUP_ROLE_CAP: Role = Role::Maintainer;

/// Everything the question "what role does this user have here?" needs.
#[derive(Debug, Clone, Copy)]
pub struct AccessInput<'a> {
    /// The user's SCIM `id`.
    pub user_id: &'a str,
    /// Whether the user is active (an inactive user has no access anywhere).
    pub active: bool,
    /// Whether the user is an owner of the organization (owner of every org workspace).
    pub org_owner: bool,
    /// At least the user's memberships, transitively, and those groups' displayNames.
    pub groups: &'a GroupGraph,
    /// The workspace asked about, or the one the folder belongs to.
    pub workspace: &'a Workspace,
    /// `None`: the question is about the workspace; `Some(home folder)` gives the workspace
    /// role; `Some(other folder)` of `workspace`: that folder's role.
    pub folder: Option<&'a Folder>,
    /// Grants on this workspace and folder (grants on anything else are ignored).
    pub grants: &'a [Grant],
    /// The organization's mapping rules (group and attribute rules).
    pub rules: &'a [Rule],
    /// The attribute rules the user matches, whatever their workspaces (a match of a rule
    /// that is not in `rules`, or not an attribute rule, counts for nothing).
    pub attribute_matches: &'a [AttributeMatch],
    /// The time expiries are compared with.
    pub now: DateTime<Utc>,
}

/// One reason a user has a role on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contribution {
    /// Where it comes from.
    #[serde(flatten)]
    pub kind: ContributionKind,
    /// The role it gives (for a group grant or rule, after the `maintainer` cap; for team
    /// access, after the folder's cap).
    pub role: Role,
    /// The resource it is on: the workspace for workspace grants, rules and org ownership
    /// (also when the question was about the Home folder), the folder otherwise.
    pub on: ResourceRef,
    /// Whether this is the contribution that decides the role (exactly one is).
    pub winner: bool,
}

/// Where a contribution comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ContributionKind {
    /// A grant to the user.
    Direct {
        /// The grant.
        grant_id: String,
    },
    /// A grant to a group the user belongs to.
    Group {
        /// The grant.
        grant_id: String,
        /// The group holding it.
        group: GroupId,
        /// How the user belongs to it: `chain[0]` is a group the user is a direct member
        /// of, the last element is `group`.
        chain: Vec<GroupId>,
    },
    /// A group mapping rule matching a group the user belongs to and the workspace.
    Rule {
        /// The rule.
        rule_id: String,
        /// The group whose displayName matched.
        group: GroupId,
        /// How the user belongs to it, as for [`ContributionKind::Group`].
        chain: Vec<GroupId>,
    },
    /// An attribute rule whose filter the user matches, and the workspace.
    AttributeRule {
        /// The rule.
        rule_id: String,
        /// The attribute whose value matched (its canonical path).
        attribute: String,
    },
    /// The folder's `everyone(c)` team access, given the user's workspace role.
    TeamAccess {
        /// The folder's team access.
        team_access: TeamAccess,
        /// The user's workspace role, which the team access caps.
        workspace_role: Role,
    },
    /// The user owns the organization.
    OrgOwner,
}

impl ContributionKind {
    /// The tie-break among contributions of the same role: lower wins.
    fn rank(&self) -> u8 {
        match self {
            ContributionKind::Direct { .. } => 0,
            ContributionKind::Group { .. } => 1,
            ContributionKind::Rule { .. } => 2,
            ContributionKind::AttributeRule { .. } => 3,
            ContributionKind::TeamAccess { .. } => 4,
            ContributionKind::OrgOwner => 5,
        }
    }

    /// The ids that order contributions of the same role and kind.
    fn ids(&self) -> (&str, &str) {
        match self {
            ContributionKind::Direct { grant_id } => (grant_id, ""),
            ContributionKind::Group {
                grant_id, group, ..
            } => (grant_id, group),
            ContributionKind::Rule { rule_id, group, .. } => (rule_id, group),
            ContributionKind::AttributeRule { rule_id, attribute } => (rule_id, attribute),
            ContributionKind::TeamAccess { .. } | ContributionKind::OrgOwner => ("", ""),
        }
    }
}

/// A user's role on a resource and every contribution to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The effective role; `None`: no access.
    pub role: Option<Role>,
    /// Every contribution, the winner first (see the module documentation for the order).
    pub contributions: Vec<Contribution>,
}

impl Explanation {
    /// The contribution that decides the role, if any.
    pub fn winner(&self) -> Option<&Contribution> {
        self.contributions
            .iter()
            .find(|contribution| contribution.winner)
    }
}

/// What a question is about, once the Home folder is folded into its workspace.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Workspace,
    Folder(&'a Folder),
}

fn target<'a>(workspace: &Workspace, folder: Option<&'a Folder>) -> Target<'a> {
    match folder {
        Some(folder) if folder.id != workspace.home_folder_id => Target::Folder(folder),
        _ => Target::Workspace,
    }
}

/// Whether `grant` is on `resource`, which is the workspace `workspace_id` or the folder
/// `folder_id` (without allocating a [`ResourceRef`]).
fn is_on(grant: &Grant, workspace_id: Option<&str>, folder_id: Option<&str>) -> bool {
    match &grant.resource {
        ResourceRef::Workspace(id) => Some(id.as_str()) == workspace_id,
        ResourceRef::Folder(id) => Some(id.as_str()) == folder_id,
    }
}

fn group_role(role: Role) -> Role {
    role.min(GROUP_ROLE_CAP)
}

/// The rules that apply to `workspace` (by its name), whatever their subject.
fn rules_for<'r>(rules: &'r [Rule], workspace: &Workspace) -> Vec<&'r Rule> {
    rules
        .iter()
        .filter(|rule| crate::rule::glob_matches(&rule.workspaces, &workspace.name))
        .collect()
}

/// Every contribution to a user's role on a workspace, and on its Home folder.
fn workspace_contributions(
    input: &AccessInput<'_>,
    groups: &HashMap<&str, &Vec<GroupId>>,
    out: &mut Vec<Contribution>,
) {
    let on = ResourceRef::Workspace(input.workspace.id.clone());
    grant_contributions(input, &on, groups, out);
    let rules = rules_for(input.rules, input.workspace);
    if !rules.is_empty() {
        for (group, chain) in groups {
            let Some(name) = input.groups.name(group) else {
                continue;
            };
            for rule in &rules {
                if rule.matches_group(name) {
                    out.push(Contribution {
                        kind: ContributionKind::Rule {
                            rule_id: rule.id.clone(),
                            group: (*group).to_owned(),
                            chain: (*chain).clone(),
                        },
                        role: group_role(rule.role),
                        on: on.clone(),
                        winner: false,
                    });
                }
            }
        }
    }
    for found in input.attribute_matches {
        for rule in rules
            .iter()
            .filter(|rule| is_attribute_rule(rule, &found.rule_id))
        {
            out.push(Contribution {
                kind: ContributionKind::AttributeRule {
                    rule_id: rule.id.clone(),
                    attribute: found.attribute.clone(),
                },
                role: group_role(rule.role),
                on: on.clone(),
                winner: false,
            });
        }
    }
    if input.org_owner {
        out.push(Contribution {
            kind: ContributionKind::OrgOwner,
            role: Role::Owner,
            on,
            winner: false,
        });
    }
}

/// Whether `rule` is the attribute rule `id`.
fn is_attribute_rule(rule: &Rule, id: &str) -> bool {
    rule.id == id && rule.filter().is_some()
}

/// The direct and group grants on `on` that count for the user.
fn grant_contributions(
    input: &AccessInput<'_>,
    on: &ResourceRef,
    groups: &HashMap<&str, &Vec<GroupId>>,
    out: &mut Vec<Contribution>,
) {
    for grant in input.grants {
        if grant.resource != *on || !grant.is_active(input.now) {
            continue;
        }
        let (kind, role) = match &grant.principal {
            Principal::User(user_id) if user_id == input.user_id => (
                ContributionKind::Direct {
                    grant_id: grant.id.clone(),
                },
                grant.role,
            ),
            Principal::User(_) => continue,
            Principal::Group(group) => match groups.get(group.as_str()) {
                Some(chain) => (
                    ContributionKind::Group {
                        grant_id: grant.id.clone(),
                        group: group.clone(),
                        chain: (*chain).clone(),
                    },
                    group_role(grant.role),
                ),
                None => continue,
            },
        };
        out.push(Contribution {
            kind,
            role,
            on: on.clone(),
            winner: false,
        });
    }
}

/// The user's role on the resource, every contribution to it and the winner.
pub fn explain(input: &AccessInput<'_>) -> Explanation {
    let mut contributions = Vec::new();
    if !input.active {
        return Explanation {
            role: None,
            contributions,
        };
    }
    let memberships = input.groups.groups_of(input.user_id);
    let groups: HashMap<&str, &Vec<GroupId>> = memberships
        .iter()
        .map(|(group, chain)| (group.as_str(), chain))
        .collect();
    match target(input.workspace, input.folder) {
        Target::Workspace => workspace_contributions(input, &groups, &mut contributions),
        Target::Folder(folder) => {
            let on = ResourceRef::Folder(folder.id.clone());
            grant_contributions(input, &on, &groups, &mut contributions);
            if let TeamAccess::Everyone(cap) = folder.team_access {
                let mut through_workspace = Vec::new();
                workspace_contributions(input, &groups, &mut through_workspace);
                let workspace_role = through_workspace.iter().map(|c| c.role).max();
                if let Some(workspace_role) = workspace_role {
                    contributions.push(Contribution {
                        kind: ContributionKind::TeamAccess {
                            team_access: folder.team_access,
                            workspace_role,
                        },
                        role: workspace_role.min(cap),
                        on,
                        winner: false,
                    });
                }
            }
        }
    }
    contributions.sort_by(|a, b| {
        (Reverse(a.role), a.kind.rank(), a.kind.ids()).cmp(&(
            Reverse(b.role),
            b.kind.rank(),
            b.kind.ids(),
        ))
    });
    let role = contributions.first().map(|contribution| contribution.role);
    if let Some(first) = contributions.first_mut() {
        first.winner = true;
    }
    Explanation {
        role,
        contributions,
    }
}

/// The user's effective role on the resource: the same as `explain(input).role`, without
/// building the explanation.
pub fn effective_role(input: &AccessInput<'_>) -> Option<Role> {
    if !input.active {
        return None;
    }
    let groups = input.groups.group_ids_of(input.user_id);
    match target(input.workspace, input.folder) {
        Target::Workspace => workspace_role(input, &groups),
        Target::Folder(folder) => {
            let on_folder = best_grant(input, None, Some(&folder.id), &groups);
            let through_workspace = match folder.team_access {
                TeamAccess::Everyone(cap) => {
                    workspace_role(input, &groups).map(|workspace_role| workspace_role.min(cap))
                }
                TeamAccess::InviteOnly => None,
            };
            on_folder.max(through_workspace)
        }
    }
}

fn workspace_role(input: &AccessInput<'_>, groups: &HashSet<&str>) -> Option<Role> {
    if input.org_owner {
        return Some(Role::Owner);
    }
    let mut best = best_grant(input, Some(&input.workspace.id), None, groups);
    for rule in rules_for(input.rules, input.workspace) {
        let matches = match rule.group_glob() {
            Some(_) => groups.iter().any(|group| {
                input
                    .groups
                    .name(group)
                    .is_some_and(|name| rule.matches_group(name))
            }),
            None => input
                .attribute_matches
                .iter()
                .any(|found| found.rule_id == rule.id),
        };
        if matches {
            best = best.max(Some(group_role(rule.role)));
        }
    }
    best
}

fn best_grant(
    input: &AccessInput<'_>,
    workspace_id: Option<&str>,
    folder_id: Option<&str>,
    groups: &HashSet<&str>,
) -> Option<Role> {
    input
        .grants
        .iter()
        .filter(|grant| is_on(grant, workspace_id, folder_id) && grant.is_active(input.now))
        .filter_map(|grant| match &grant.principal {
            Principal::User(user_id) if user_id == input.user_id => Some(grant.role),
            Principal::User(_) => None,
            Principal::Group(group) if groups.contains(group.as_str()) => {
                Some(group_role(grant.role))
            }
            Principal::Group(_) => None,
        })
        .max()
}

/// A user the reverse query considers.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The user's SCIM `id`.
    pub user_id: &'a str,
    /// Whether the user is active.
    pub active: bool,
    /// Whether the user owns the organization.
    pub org_owner: bool,
    /// The attribute rules the user matches, as for [`AccessInput::attribute_matches`].
    pub attribute_matches: &'a [AttributeMatch],
}

/// The best role each principal holds on one resource through grants (and, for groups on
/// a workspace, rules).
#[derive(Debug, Default)]
struct RolesOn<'a> {
    users: HashMap<&'a str, Role>,
    groups: HashMap<&'a str, Role>,
}

impl<'a> RolesOn<'a> {
    fn raise(map: &mut HashMap<&'a str, Role>, id: &'a str, role: Role) {
        let best = map.entry(id).or_insert(role);
        *best = (*best).max(role);
    }

    fn from_grants(
        grants: &'a [Grant],
        workspace_id: Option<&str>,
        folder_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> RolesOn<'a> {
        let mut roles = RolesOn::default();
        for grant in grants {
            if !is_on(grant, workspace_id, folder_id) || !grant.is_active(now) {
                continue;
            }
            match &grant.principal {
                Principal::User(user) => RolesOn::raise(&mut roles.users, user, grant.role),
                Principal::Group(group) => {
                    RolesOn::raise(&mut roles.groups, group, group_role(grant.role))
                }
            }
        }
        roles
    }
}

/// The reverse query: every candidate's effective role on the resource (the workspace, or
/// `folder` of it), those with none left out, sorted by user id. Each role is the one
/// [`effective_role`] gives for the same data.
///
/// Work is shared between candidates: grants and rules are summed up per principal once,
/// and the best role reachable through each group (itself and every group it is in) is
/// computed once per group, so a candidate costs about one lookup per direct group.
pub fn who_has_access<'a>(
    candidates: impl IntoIterator<Item = Candidate<'a>>,
    groups: &GroupGraph,
    workspace: &Workspace,
    folder: Option<&Folder>,
    grants: &[Grant],
    rules: &[Rule],
    now: DateTime<Utc>,
) -> Vec<(String, Role)> {
    let target = target(workspace, folder);
    let mut on_workspace = RolesOn::from_grants(grants, Some(&workspace.id), None, now);
    let applying_rules = rules_for(rules, workspace);
    // The best role each applying attribute rule gives, by rule id.
    let mut by_attributes: HashMap<&str, Role> = HashMap::new();
    for rule in &applying_rules {
        if rule.filter().is_some() {
            RolesOn::raise(&mut by_attributes, &rule.id, group_role(rule.role));
        }
    }
    if !applying_rules.is_empty() {
        for (group, name) in &groups.names {
            for rule in &applying_rules {
                if rule.matches_group(name) {
                    RolesOn::raise(&mut on_workspace.groups, group, group_role(rule.role));
                }
            }
        }
    }
    let (on_folder, folder_cap) = match target {
        Target::Workspace => (RolesOn::default(), None),
        Target::Folder(folder) => (
            RolesOn::from_grants(grants, None, Some(&folder.id), now),
            match folder.team_access {
                TeamAccess::Everyone(cap) => Some(cap),
                TeamAccess::InviteOnly => None,
            },
        ),
    };
    // For each direct group of some candidate: the best (workspace, folder) role held by
    // that group or any group it is in.
    let mut through_group: HashMap<&str, (Option<Role>, Option<Role>)> = HashMap::new();
    let mut found = Vec::new();
    for candidate in candidates {
        if !candidate.active {
            continue;
        }
        let mut workspace_role = on_workspace.users.get(candidate.user_id).copied();
        let mut folder_role = on_folder.users.get(candidate.user_id).copied();
        if candidate.org_owner {
            workspace_role = Some(Role::Owner);
        }
        for found in candidate.attribute_matches {
            workspace_role = workspace_role.max(by_attributes.get(found.rule_id.as_str()).copied());
        }
        for direct_group in groups.parents.get(candidate.user_id).into_iter().flatten() {
            let (via_workspace, via_folder) = *through_group
                .entry(direct_group.as_str())
                .or_insert_with(|| {
                    let mut reached = groups.group_ids_of(direct_group);
                    reached.insert(direct_group);
                    let best = |roles: &RolesOn<'_>| {
                        reached
                            .iter()
                            .filter_map(|group| roles.groups.get(group).copied())
                            .max()
                    };
                    (best(&on_workspace), best(&on_folder))
                });
            workspace_role = workspace_role.max(via_workspace);
            folder_role = folder_role.max(via_folder);
        }
        let role = match target {
            Target::Workspace => workspace_role,
            Target::Folder(_) => {
                folder_role.max(folder_cap.and_then(|cap| workspace_role.map(|w| w.min(cap))))
            }
        };
        if let Some(role) = role {
            found.push((candidate.user_id.to_owned(), role));
        }
    }
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    found
}

#[cfg(test)]
mod tests;
