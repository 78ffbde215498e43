//! `rollcall org create`.

use anyhow::Context;
use rollcall_store::{Store, TokenKind};
use serde_json::json;

use crate::cli::{OrgCommand, OrgCreateArgs};
use crate::config;
use crate::urls::scim_base_url;

/// An organization fresh from [`create`], with its two secrets.
#[derive(Debug)]
pub struct CreatedOrg {
    /// The organization's id.
    pub org_id: String,
    /// A SCIM bearer token.
    pub scim_token: String,
    /// An admin token.
    pub admin_token: String,
}

/// Run an `org` subcommand.
pub fn run(command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Create(args) => create_command(args),
    }
}

fn create_command(args: OrgCreateArgs) -> anyhow::Result<()> {
    let name = args.name.trim();
    anyhow::ensure!(!name.is_empty(), "the organization name is empty");
    // Validate the bind address before writing anything.
    let base_url = scim_base_url(config::parse_bind(&args.bind)?);
    let store = super::open_store(&args.database.database_url)?;
    let org = create(&store, name)?;
    if args.json {
        let object = json!({
            "org_id": org.org_id,
            "scim_token": org.scim_token,
            "admin_token": org.admin_token,
        });
        println!("{object}");
    } else {
        println!("Created organization {name:?}.");
        println!();
        println!("  org id:         {}", org.org_id);
        println!("  SCIM base URL:  {base_url}");
        println!("  SCIM token:     {}", org.scim_token);
        println!("  admin token:    {}", org.admin_token);
        println!();
        println!("The tokens are shown only this once; store them now.");
    }
    Ok(())
}

/// Create an organization with one SCIM token and one admin token, in one transaction.
pub fn create(store: &Store, name: &str) -> anyhow::Result<CreatedOrg> {
    let now = crate::clock::now();
    let created = store
        .write(|tx| {
            let org = tx.orgs().create(name, now)?;
            let scim = tx
                .tokens()
                .create(&org.id, TokenKind::Scim, Some("initial"), None, now)?;
            let admin =
                tx.tokens()
                    .create(&org.id, TokenKind::Admin, Some("initial"), None, now)?;
            // On the trail from its first moment: the organization and its two tokens
            // (never their secrets).
            let detail =
                json!({"after": {"name": org.name, "created_at": org.created_at.to_rfc3339()}});
            super::audited::record(
                tx,
                &org.id,
                "org.create",
                &format!("org:{}", org.id),
                &detail,
                now,
            )?;
            for (kind, token) in [("scim", &scim.info), ("admin", &admin.info)] {
                let detail = json!({"after": {"id": token.id, "kind": kind, "name": token.name}});
                super::audited::record(
                    tx,
                    &org.id,
                    &format!("{kind}_token.create"),
                    &format!("{kind}_token:{}", token.id),
                    &detail,
                    now,
                )?;
            }
            Ok(CreatedOrg {
                org_id: org.id,
                scim_token: scim.secret,
                admin_token: admin.secret,
            })
        })
        .context("cannot create the organization")?;
    tracing::info!(org_id = %created.org_id, name, "organization created");
    Ok(created)
}
