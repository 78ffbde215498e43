//! `rollcall oauth-client …`, `rollcall jwt-issuer …` and `rollcall kek rotate`: the
//! credentials of PRODUCT.md §1 on the database directly, checked and printed as the admin
//! API does, and recorded in the trail with actor `cli`.

use anyhow::{Context, anyhow, bail};
use rollcall_store::{KeyEncryptionKey, Store, StoreError};
use serde_json::{Map, Value, json};

use super::audited;
use crate::cli::{JwtIssuerCommand, KekCommand, OAuthClientCommand};
use crate::config;

/// The environment variable that holds the key `rollcall kek rotate` rewraps to.
pub const NEW_KEY_ENCRYPTION_KEY_VAR: &str = "ROLLCALL_NEW_KEY_ENCRYPTION_KEY";

/// Run an `oauth-client` subcommand.
pub fn oauth_client(command: OAuthClientCommand) -> anyhow::Result<()> {
    match command {
        OAuthClientCommand::Create { name, org } => {
            let mut org = org;
            let store = super::open_org(&mut org)?;
            let now = crate::clock::now();
            let created = store
                .write(|tx| {
                    let created = tx.oauth().create(&org.org, name.as_deref(), now)?;
                    let document = rollcall_app::oauth_client_json(&created.client);
                    let target = format!("oauth_client:{}", created.client.id);
                    let detail = json!({"after": document});
                    audited::record(tx, &org.org, "oauth_client.create", &target, &detail, now)?;
                    Ok(created)
                })
                .context("cannot create the OAuth client")?;
            let mut document = rollcall_app::oauth_client_json(&created.client);
            document["client_secret"] = json!(created.secret);
            super::print(org.json, &document, || {
                format!(
                    "Created OAuth client {}.\n\n  client_id:     {}\n  client_secret: {}\n\n\
                     The secret is shown only this once; store it now. Tokens: POST \
                     /oauth/token with grant_type=client_credentials.",
                    created.client.id,
                    created.client.client_id(),
                    created.secret
                )
            });
        }
        OAuthClientCommand::List(org) => {
            let mut org = org;
            let store = super::open_org(&mut org)?;
            let clients = store
                .read(|tx| tx.oauth().list(&org.org))
                .context("cannot list the OAuth clients")?;
            let documents: Vec<Value> = clients
                .iter()
                .map(rollcall_app::oauth_client_json)
                .collect();
            super::print(org.json, &Value::Array(documents), || {
                if clients.is_empty() {
                    return "no OAuth clients".to_owned();
                }
                clients
                    .iter()
                    .map(|client| {
                        format!(
                            "{}  {}  {}{}",
                            client.id,
                            client.client_id(),
                            client.name.as_deref().unwrap_or("-"),
                            if client.revoked_at.is_some() {
                                "  (revoked)"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        OAuthClientCommand::Revoke { id, org } => {
            let mut org = org;
            let store = super::open_org(&mut org)?;
            let now = crate::clock::now();
            store
                .write(|tx| {
                    if !tx.oauth().revoke(&org.org, &id, now)? {
                        return Err(StoreError::NotFound);
                    }
                    let target = format!("oauth_client:{id}");
                    let detail = json!({"after": {"revoked_at": now.to_rfc3339()}});
                    audited::record(tx, &org.org, "oauth_client.revoke", &target, &detail, now)
                })
                .map_err(|error| match error {
                    StoreError::NotFound => anyhow!("no active OAuth client {id} in {}", org.org),
                    other => anyhow!("cannot revoke the OAuth client: {other}"),
                })?;
            super::print(org.json, &json!({"id": id, "revoked": true}), || {
                format!("Revoked OAuth client {id}: its tokens are refused from now on.")
            });
        }
        OAuthClientCommand::RotateKey(org) => {
            let mut org = org;
            let store = super::open_org(&mut org)?;
            let now = crate::clock::now();
            let key = store
                .write(|tx| {
                    let key = tx.oauth().rotate(&org.org, now)?;
                    let target = format!("oauth_signing_key:{}", key.id);
                    let detail = json!({"after": {"id": key.id}});
                    audited::record(
                        tx,
                        &org.org,
                        "oauth_signing_key.rotate",
                        &target,
                        &detail,
                        now,
                    )?;
                    Ok(key)
                })
                .context("cannot rotate the signing key")?;
            super::print(org.json, &json!({"key_id": key.id}), || {
                format!(
                    "New signing key {}: it signs from now on; tokens signed before stay valid \
                     until they expire.",
                    key.id
                )
            });
        }
    }
    Ok(())
}

/// Run a `jwt-issuer` subcommand.
pub fn jwt_issuer(command: JwtIssuerCommand) -> anyhow::Result<()> {
    match command {
        JwtIssuerCommand::Create {
            issuer,
            audience,
            algorithms,
            claims,
            shared_secret_env,
            public_key_file,
            jwks_url,
            allow_private_address,
            org,
        } => {
            let mut required = Map::new();
            for claim in claims {
                let (name, value) = claim
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--claim {claim:?} is not NAME=VALUE"))?;
                required.insert(name.to_owned(), json!(value));
            }
            let mut body = json!({
                "issuer": issuer,
                "audience": audience,
                "algorithms": algorithms,
                "required_claims": required,
            });
            if let Some(var) = shared_secret_env {
                let secret = std::env::var(&var)
                    .map_err(|_| anyhow!("the environment variable {var} is not set"))?;
                body["shared_secret"] = json!(secret);
            }
            if let Some(path) = public_key_file {
                let pem = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                body["public_key_pem"] = json!(pem);
            }
            if let Some(url) = jwks_url {
                body["jwks_url"] = json!(url);
            }
            let new = rollcall_app::jwt_issuer_request(&body, allow_private_address)
                .map_err(|error| anyhow!(error))?;
            let mut org = org;
            let store = super::open_org(&mut org)?;
            let now = crate::clock::now();
            let created = store
                .write(|tx| {
                    let created = tx.jwt_issuers().create(&org.org, new.clone(), now)?;
                    let target = format!("jwt_issuer:{}", created.id);
                    let detail = json!({"after": rollcall_app::jwt_issuer_json(&created)});
                    audited::record(tx, &org.org, "jwt_issuer.create", &target, &detail, now)?;
                    Ok(created)
                })
                .map_err(|error| match error {
                    StoreError::Conflict(why) => anyhow!("{why}"),
                    other => anyhow!("cannot register the issuer: {other}"),
                })?;
            super::print(org.json, &rollcall_app::jwt_issuer_json(&created), || {
                format!(
                    "Trusting {} (audience {}) for {}: registration {}.",
                    created.issuer, created.audience, org.org, created.id
                )
            });
        }
        JwtIssuerCommand::List(org) => {
            let mut org = org;
            let store = super::open_org(&mut org)?;
            let issuers = store
                .read(|tx| tx.jwt_issuers().list(&org.org))
                .context("cannot list the JWT issuers")?;
            let documents: Vec<Value> = issuers.iter().map(rollcall_app::jwt_issuer_json).collect();
            super::print(org.json, &Value::Array(documents), || {
                if issuers.is_empty() {
                    return "no JWT issuers".to_owned();
                }
                issuers
                    .iter()
                    .map(|issuer| {
                        format!(
                            "{}  {}  {}  {}",
                            issuer.id,
                            issuer.issuer,
                            issuer.audience,
                            Value::Object(issuer.required_claims.clone())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        JwtIssuerCommand::Delete { id, org, database } => {
            let store = super::open_store(&database.database_url)?;
            let now = crate::clock::now();
            store
                .write(|tx| {
                    let owner = match &org {
                        Some(org) => {
                            tx.jwt_issuers().delete(org, &id)?;
                            org.clone()
                        }
                        None => {
                            let owner = tx
                                .jwt_issuers()
                                .list_all()?
                                .into_iter()
                                .find(|issuer| issuer.id == id)
                                .map(|issuer| issuer.org_id)
                                .ok_or(StoreError::NotFound)?;
                            tx.jwt_issuers().delete_any(&id)?;
                            owner
                        }
                    };
                    let target = format!("jwt_issuer:{id}");
                    let detail = json!({"before": {"id": id}});
                    audited::record(tx, &owner, "jwt_issuer.delete", &target, &detail, now)
                })
                .map_err(|error| match error {
                    StoreError::NotFound => anyhow!("no JWT issuer registration {id}"),
                    other => anyhow!("cannot delete the registration: {other}"),
                })?;
            println!("Deleted JWT issuer registration {id}.");
        }
    }
    Ok(())
}

/// Run a `kek` subcommand.
pub fn kek(command: KekCommand) -> anyhow::Result<()> {
    match command {
        KekCommand::Rotate(database) => {
            let url = &database.database_url;
            config::prepare_database(url)?;
            let old =
                config::store_options(rollcall_store::StoreOptions::default())?.key_encryption_key;
            let new = match std::env::var(NEW_KEY_ENCRYPTION_KEY_VAR) {
                Ok(text) if !text.trim().is_empty() => Some(
                    KeyEncryptionKey::from_hex(&text)
                        .map_err(|error| anyhow!("{NEW_KEY_ENCRYPTION_KEY_VAR}: {error}"))?,
                ),
                _ => None,
            };
            if old.is_none() && new.is_none() {
                bail!(
                    "set {NEW_KEY_ENCRYPTION_KEY_VAR} to the new key (and {} to the current \
                     one, if there is one)",
                    config::KEY_ENCRYPTION_KEY_VAR
                );
            }
            // Migrated first, with the current key.
            let options = config::store_options(rollcall_store::StoreOptions::default())?;
            Store::migrate_with(url, &options, crate::clock::now())
                .with_context(|| format!("cannot migrate {}", config::redact(url)))?;
            let rewrapped = Store::rotate_key_encryption(url, old.as_ref(), new.as_ref())
                .context("cannot rewrap the stored keys; nothing was changed")?;
            println!(
                "Rewrapped {} data keys and {} secrets {}. Start the servers with {}.",
                rewrapped.data_keys,
                rewrapped.secrets,
                if new.is_some() {
                    "under the new key"
                } else {
                    "in clear"
                },
                if new.is_some() {
                    format!("{} set to the new key", config::KEY_ENCRYPTION_KEY_VAR)
                } else {
                    format!("{} unset", config::KEY_ENCRYPTION_KEY_VAR)
                }
            );
        }
    }
    Ok(())
}
