//! `rollcall workspace|grant|rule|access …`: the admin API's organization model from the
//! command line, on the database directly. `--json` prints what the admin API answers.

use anyhow::{Context, anyhow, bail};
use chrono::Duration;
use org_model::{Grant, GrantSource, Principal, ResourceRef, Role, Rule, RuleSubject, TeamAccess};
use rollcall_app::{AccessReview, ReviewFormat};
use rollcall_store::{AccessScope, GrantFilter};
use serde_json::{Value, json};
use std::io::Write;

use super::audited;
use crate::cli::{AccessCommand, GrantCommand, ReviewFormatArg, RuleCommand, WorkspaceCommand};

use super::{open_org as open, open_store, print, resolve_org};

fn resource(text: &str) -> anyhow::Result<ResourceRef> {
    ResourceRef::parse(text).map_err(|error| anyhow!("{error}"))
}

fn principal(text: &str) -> anyhow::Result<Principal> {
    match text.split_once(':') {
        Some(("user", id)) if !id.is_empty() => Ok(Principal::User(id.to_owned())),
        Some(("group", id)) if !id.is_empty() => Ok(Principal::Group(id.to_owned())),
        _ => bail!("a principal is \"user:<id>\" or \"group:<id>\", not {text:?}"),
    }
}

fn role(text: &str) -> anyhow::Result<Role> {
    Role::parse(text).map_err(|error| anyhow!("{error}"))
}

/// Run `change` (which makes a change, records it, and answers its value and access
/// delta): for real, its value; or, with `dry_run`, in a savepoint that is undone, printing
/// the delta as `?dry_run=true` answers it (`None`: nothing was changed).
fn write_or_preview<T>(
    store: &rollcall_store::Store,
    org: &crate::cli::OrgArgs,
    dry_run: bool,
    mut change: impl FnMut(
        &mut rollcall_store::Tx<'_>,
    ) -> Result<(T, Value), rollcall_store::StoreError>,
) -> Result<Option<T>, rollcall_store::StoreError> {
    // Grants and rules are checked across rows (an active Owner kept, group grants against
    // team access): the organization's rule lock first, as the admin API's writes take it.
    if !dry_run {
        return store.write(|tx| {
            tx.orgs().lock_rules(&org.org)?;
            change(tx).map(|(value, _)| Some(value))
        });
    }
    let access = store.write(|tx| {
        tx.orgs().lock_rules(&org.org)?;
        tx.preview(|tx| change(tx).map(|(_, access)| access))
    })?;
    let changes = access.as_array().cloned().unwrap_or_default();
    let preview = json!({"dry_run": true, "count": changes.len(), "changes": changes});
    print(org.json, &preview, || {
        let mut lines = vec![format!(
            "Dry run: {} access change(s); nothing was changed.",
            changes.len()
        )];
        for change in &changes {
            let role = |value: &Value| value.as_str().unwrap_or("none").to_owned();
            lines.push(format!(
                "  {} on {}: {} -> {}",
                change["user"].as_str().unwrap_or("?"),
                change["resource"].as_str().unwrap_or("?"),
                role(&change["before"]),
                role(&change["after"])
            ));
        }
        lines.join("\n")
    });
    Ok(None)
}

/// `rollcall workspace …`.
pub fn workspace(command: WorkspaceCommand) -> anyhow::Result<()> {
    match command {
        WorkspaceCommand::Create { name, org } => {
            let mut org = org;
            let store = open(&mut org)?;
            let now = crate::clock::now();
            let workspace = store
                .write(|tx| {
                    let (workspace, access) = rollcall_app::with_new_access(
                        tx,
                        &org.org,
                        now,
                        |tx| tx.workspaces().create(&org.org, &name, now),
                        |workspace| AccessScope::Workspace(workspace.id.clone()),
                    )?;
                    let target = format!("workspace:{}", workspace.id);
                    let detail = json!({"after": workspace, "access": access});
                    audited::record(tx, &org.org, "workspace.create", &target, &detail, now)?;
                    Ok(workspace)
                })
                .context("cannot create the workspace")?;
            print(org.json, &json!(workspace), || {
                format!(
                    "Created workspace {} ({}), Home folder {}.",
                    workspace.name, workspace.id, workspace.home_folder_id
                )
            });
        }
        WorkspaceCommand::List(org) => {
            let mut org = org;
            let store = open(&mut org)?;
            let workspaces = store.read(|tx| tx.workspaces().list(&org.org))?;
            print(org.json, &json!({"workspaces": workspaces}), || {
                workspaces
                    .iter()
                    .map(|w| format!("{}  {}", w.id, w.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        WorkspaceCommand::AddFolder {
            workspace,
            name,
            team_access,
            org,
        } => {
            let access = TeamAccess::parse(&team_access).map_err(|error| anyhow!("{error}"))?;
            let mut org = org;
            let store = open(&mut org)?;
            let now = crate::clock::now();
            let folder = store
                .write(|tx| {
                    let (folder, delta) = rollcall_app::with_new_access(
                        tx,
                        &org.org,
                        now,
                        |tx| {
                            tx.workspaces()
                                .create_folder(&org.org, &workspace, &name, access, now)
                        },
                        |folder| AccessScope::Resource(ResourceRef::Folder(folder.id.clone())),
                    )?;
                    let target = format!("folder:{}", folder.id);
                    let detail = json!({"after": folder, "access": delta});
                    audited::record(tx, &org.org, "folder.create", &target, &detail, now)?;
                    Ok(folder)
                })
                .context("cannot create the folder")?;
            print(org.json, &json!(folder), || {
                format!(
                    "Created folder {} ({}), {}.",
                    folder.name, folder.id, access
                )
            });
        }
        WorkspaceCommand::Folders { workspace, org } => {
            let mut org = org;
            let store = open(&mut org)?;
            let folders = store.read(|tx| tx.workspaces().folders(&org.org, &workspace))?;
            print(org.json, &json!({"folders": folders}), || {
                folders
                    .iter()
                    .map(|f| format!("{}  {}  {}", f.id, f.name, f.team_access))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// `rollcall grant …`.
pub fn grant(command: GrantCommand) -> anyhow::Result<()> {
    match command {
        GrantCommand::Create {
            principal: who,
            resource: on,
            role: tier,
            expires_in_days,
            dry_run,
            org,
        } => {
            let now = crate::clock::now();
            let grant = Grant {
                id: String::new(),
                principal: principal(&who)?,
                resource: resource(&on)?,
                role: role(&tier)?,
                source: GrantSource::Manual {
                    by: Some("cli".to_owned()),
                },
                expires_at: expires_in_days.map(|days| now + Duration::days(i64::from(days))),
                created_at: now,
            };
            let mut org = org;
            let store = open(&mut org)?;
            let Some(stored) = write_or_preview(&store, &org, dry_run, |tx| {
                let scope = AccessScope::Resource(grant.resource.clone());
                let (stored, access) =
                    rollcall_app::with_access_delta(tx, &org.org, scope, now, |tx| {
                        tx.grants().create(&org.org, &grant)
                    })?;
                let target = format!("grant:{}", stored.id);
                let detail = json!({"after": stored, "access": access});
                audited::record(tx, &org.org, "grant.create", &target, &detail, now)?;
                Ok((stored, access))
            })
            .context("cannot create the grant")?
            else {
                return Ok(());
            };
            print(org.json, &json!(stored), || {
                format!(
                    "Granted {} on {} ({}).",
                    stored.role, stored.resource, stored.id
                )
            });
        }
        GrantCommand::List {
            principal: who,
            resource: on,
            org,
        } => {
            let filter = GrantFilter {
                principal: who.as_deref().map(principal).transpose()?,
                resource: on.as_deref().map(resource).transpose()?,
            };
            let mut org = org;
            let store = open(&mut org)?;
            let grants = store.read(|tx| tx.grants().list(&org.org, &filter))?;
            print(org.json, &json!({"grants": grants}), || {
                grants
                    .iter()
                    .map(|g| {
                        let (kind, id) = match &g.principal {
                            Principal::User(id) => ("user", id),
                            Principal::Group(id) => ("group", id),
                        };
                        format!("{}  {kind}:{id}  {}  {}", g.id, g.role, g.resource)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        GrantCommand::Revoke { id, dry_run, org } => {
            let mut org = org;
            let store = open(&mut org)?;
            let now = crate::clock::now();
            let revoked = write_or_preview(&store, &org, dry_run, |tx| {
                let before = tx.grants().get(&org.org, &id)?;
                let scope = AccessScope::Resource(before.resource.clone());
                let ((), access) =
                    rollcall_app::with_access_delta(tx, &org.org, scope, now, |tx| {
                        tx.grants().delete(&org.org, &id, now)
                    })?;
                let detail = json!({"before": before, "after": null, "access": access});
                let target = format!("grant:{id}");
                audited::record(tx, &org.org, "grant.delete", &target, &detail, now)?;
                Ok(((), access))
            })
            .with_context(|| format!("cannot revoke grant {id}"))?;
            if revoked.is_none() {
                return Ok(());
            }
            print(org.json, &json!({"revoked": id}), || {
                format!("Revoked grant {id}.")
            });
        }
    }
    Ok(())
}

/// Whom a rule gives its role to, in words.
fn subject(rule: &Rule) -> String {
    match &rule.subject {
        RuleSubject::Group(glob) => format!("Groups matching {glob:?}"),
        RuleSubject::Filter(filter) => format!("Users matching the filter {filter:?}"),
    }
}

/// `rollcall rule …`.
pub fn rule(command: RuleCommand) -> anyhow::Result<()> {
    match command {
        RuleCommand::Create {
            group,
            filter,
            workspaces,
            role: tier,
            dry_run,
            org,
        } => {
            let rule = match (group, filter) {
                (Some(group), None) => Rule::for_groups(&group, &workspaces, role(&tier)?),
                (None, Some(filter)) => Rule::for_filter(&filter, &workspaces, role(&tier)?),
                _ => anyhow::bail!("give either --group or --filter"),
            };
            let mut org = org;
            let store = open(&mut org)?;
            let now = crate::clock::now();
            let Some(stored) = write_or_preview(&store, &org, dry_run, |tx| {
                let scope = AccessScope::WorkspacesMatching(rule.workspaces.clone());
                let (stored, access) =
                    rollcall_app::with_access_delta(tx, &org.org, scope, now, |tx| {
                        tx.rules().create(&org.org, &rule, now)
                    })?;
                let target = format!("rule:{}", stored.id);
                let detail = json!({"after": stored, "access": access});
                audited::record(tx, &org.org, "rule.create", &target, &detail, now)?;
                Ok((stored, access))
            })
            .context("cannot create the rule")?
            else {
                return Ok(());
            };
            print(org.json, &json!(stored), || {
                format!(
                    "{} get {} on workspaces matching {:?} ({}).",
                    subject(&stored),
                    stored.role,
                    stored.workspaces,
                    stored.id
                )
            });
        }
        RuleCommand::List(org) => {
            let mut org = org;
            let store = open(&mut org)?;
            let rules = store.read(|tx| tx.rules().list(&org.org))?;
            print(org.json, &json!({"rules": rules}), || {
                rules
                    .iter()
                    .map(|r| format!("{}  {} → {} on {}", r.id, subject(r), r.role, r.workspaces))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        RuleCommand::Delete { id, dry_run, org } => {
            let mut org = org;
            let store = open(&mut org)?;
            let now = crate::clock::now();
            let deleted = write_or_preview(&store, &org, dry_run, |tx| {
                let before = tx
                    .rules()
                    .list(&org.org)?
                    .into_iter()
                    .find(|rule| rule.id == id)
                    .ok_or(rollcall_store::StoreError::NotFound)?;
                let scope = AccessScope::WorkspacesMatching(before.workspaces.clone());
                let ((), access) =
                    rollcall_app::with_access_delta(tx, &org.org, scope, now, |tx| {
                        tx.rules().delete(&org.org, &id)
                    })?;
                let detail = json!({"before": before, "after": null, "access": access});
                let target = format!("rule:{id}");
                audited::record(tx, &org.org, "rule.delete", &target, &detail, now)?;
                Ok(((), access))
            })
            .with_context(|| format!("cannot delete rule {id}"))?;
            if deleted.is_none() {
                return Ok(());
            }
            print(org.json, &json!({"deleted": id}), || {
                format!("Deleted rule {id}.")
            });
        }
    }
    Ok(())
}

/// `rollcall access …`.
pub fn access(command: AccessCommand) -> anyhow::Result<()> {
    let now = crate::clock::now();
    match command {
        AccessCommand::Explain {
            user,
            resource: on,
            org,
        } => {
            let target = resource(&on)?;
            let mut org = org;
            let store = open(&mut org)?;
            let (explanation, groups, names) = store
                .read(|tx| {
                    let (explanation, groups) =
                        tx.access().explain(&org.org, &user, &target, now)?;
                    let names = tx
                        .access()
                        .user_names(&org.org, std::slice::from_ref(&user))?;
                    Ok((explanation, groups, names))
                })
                .with_context(|| format!("cannot explain {user}'s access to {target}"))?;
            let document = rollcall_app::explanation_json(&explanation, &groups);
            let who = match names.get(&user) {
                Some(name) => format!("{name} ({user})"),
                None => user.clone(),
            };
            print(org.json, &document, || {
                let mut lines = vec![match explanation.role {
                    Some(role) => format!("{who} has {role} on {target}."),
                    None => format!("{who} has no access to {target}."),
                }];
                for contribution in document["contributions"].as_array().into_iter().flatten() {
                    let via: Vec<&str> = contribution["via"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|g| g["display"].as_str())
                        .collect();
                    lines.push(format!(
                        "  {} {:<12} {:<13}{}",
                        if contribution["winner"] == true {
                            "*"
                        } else {
                            " "
                        },
                        contribution["role"].as_str().unwrap_or_default(),
                        contribution["kind"].as_str().unwrap_or_default(),
                        match contribution["attribute"].as_str() {
                            Some(attribute) => format!(" by {attribute}"),
                            None if via.is_empty() => String::new(),
                            None => format!(" via {}", via.join(" → ")),
                        }
                    ));
                }
                lines.join("\n")
            });
        }
        AccessCommand::Who { resource: on, org } => {
            let target = resource(&on)?;
            let mut org = org;
            let store = open(&mut org)?;
            let (users, names) = store.read(|tx| {
                let users = tx.access().who_has_access(&org.org, &target, now)?;
                let ids: Vec<String> = users.iter().map(|(user, _)| user.clone()).collect();
                let names = tx.access().user_names(&org.org, &ids)?;
                Ok((users, names))
            })?;
            let name = |user: &str| names.get(user).map(String::as_str).unwrap_or_default();
            let list: Vec<Value> = users
                .iter()
                .map(|(user, role)| json!({"user": user, "user_name": name(user), "role": role}))
                .collect();
            print(
                org.json,
                &json!({"resource": target.to_string(), "users": list}),
                || {
                    users
                        .iter()
                        .map(|(user, role)| format!("{user}  {:<32}  {role}", name(user)))
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            );
        }
        AccessCommand::Review {
            format,
            resource: on,
            page_size,
            org,
            database,
        } => {
            let target = on.as_deref().map(resource).transpose()?;
            let format = match format {
                ReviewFormatArg::Csv => ReviewFormat::Csv,
                ReviewFormatArg::Json => ReviewFormat::Json,
            };
            let store = open_store(&database.database_url)?;
            let org = resolve_org(&store, &org)?;
            let mut review = AccessReview::new(&org, target, format, now, usize::from(page_size));
            // The first page before anything is written: a bad resource is an error, not a
            // document cut short.
            let (first, mut after) = store
                .read(|tx| review.page(tx, "", crate::clock::now()))
                .with_context(|| match &on {
                    Some(on) => format!("cannot review {on}"),
                    None => "cannot read the access review".to_owned(),
                })?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            out.write_all(&review.head())?;
            out.write_all(&first)?;
            while let Some(from) = after.take() {
                let (rows, next) = store
                    .read(|tx| review.page(tx, &from, crate::clock::now()))
                    .context("cannot read the access review")?;
                out.write_all(&rows)?;
                after = next;
            }
            out.write_all(&review.tail())?;
            out.flush()?;
        }
    }
    Ok(())
}
