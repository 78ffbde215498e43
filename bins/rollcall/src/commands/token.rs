//! `rollcall token create|list|revoke`.

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use rollcall_store::{TokenInfo, TokenKind};
use serde_json::{Value, json};

use crate::cli::{TokenCommand, TokenCreateArgs, TokenKindArg, TokenListArgs, TokenRevokeArgs};

use super::{kind_name, resolve_org};

/// Run a `token` subcommand.
pub fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create(args) => create(args),
        TokenCommand::List(args) => list(args),
        TokenCommand::Revoke(args) => revoke(args),
    }
}

fn create(mut args: TokenCreateArgs) -> anyhow::Result<()> {
    let store = super::open_store(&args.database.database_url)?;
    args.org = resolve_org(&store, &args.org)?;
    let kind = match args.kind {
        TokenKindArg::Scim => TokenKind::Scim,
        TokenKindArg::Admin => TokenKind::Admin,
    };
    let now = crate::clock::now();
    let expires_at = args
        .expires_in_days
        .map(|days| now + Duration::days(i64::from(days)));
    let token = store
        .write(|tx| {
            let token =
                tx.tokens()
                    .create(&args.org, kind, args.name.as_deref(), expires_at, now)?;
            // The record never holds the secret.
            let operation = format!("{}_token.create", kind_name(kind));
            let target = format!("{}_token:{}", kind_name(kind), token.info.id);
            let detail = json!({"after": info_json(&token.info)});
            super::audited::record(tx, &args.org, &operation, &target, &detail, now)?;
            Ok(token)
        })
        .context("cannot create the token")?;
    tracing::info!(org_id = %args.org, token_id = %token.info.id, kind = kind_name(kind), "token created");
    if args.json {
        let mut object = info_json(&token.info);
        if let Value::Object(map) = &mut object {
            map.insert("token".to_owned(), Value::String(token.secret));
        }
        println!("{object}");
    } else {
        println!("Created {} token {}.", kind_name(kind), token.info.id);
        if let Some(expires_at) = token.info.expires_at {
            println!("It expires at {}.", expires_at.to_rfc3339());
        }
        println!();
        println!("  {}", token.secret);
        println!();
        println!("It is shown only this once; store it now.");
    }
    Ok(())
}

fn list(mut args: TokenListArgs) -> anyhow::Result<()> {
    let store = super::open_store(&args.database.database_url)?;
    args.org = resolve_org(&store, &args.org)?;
    let tokens = store
        .read(|tx| tx.tokens().list(&args.org, None))
        .context("cannot list the tokens")?;
    if args.json {
        let array: Vec<Value> = tokens.iter().map(info_json).collect();
        println!("{}", Value::Array(array));
        return Ok(());
    }
    if tokens.is_empty() {
        println!("no tokens");
        return Ok(());
    }
    let now = crate::clock::now();
    println!(
        "{:<40} {:<6} {:<8} {:<26} NAME",
        "ID", "KIND", "STATUS", "EXPIRES"
    );
    for token in &tokens {
        println!(
            "{:<40} {:<6} {:<8} {:<26} {}",
            token.id,
            kind_name(token.kind),
            status(token, now),
            token
                .expires_at
                .map(|at| at.to_rfc3339())
                .unwrap_or_else(|| "never".to_owned()),
            token.name.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

fn revoke(mut args: TokenRevokeArgs) -> anyhow::Result<()> {
    let store = super::open_store(&args.database.database_url)?;
    args.org = resolve_org(&store, &args.org)?;
    let now = crate::clock::now();
    let revoked = store
        .write(|tx| {
            let Some(before) = tx
                .tokens()
                .list(&args.org, None)?
                .into_iter()
                .find(|token| token.id == args.token_id)
            else {
                return Ok(false);
            };
            if !tx.tokens().revoke(&args.org, &args.token_id, now)? {
                return Ok(false);
            }
            let mut after = before.clone();
            after.revoked_at = Some(now);
            let kind = kind_name(before.kind);
            let operation = format!("{kind}_token.revoke");
            let target = format!("{kind}_token:{}", before.id);
            let detail = json!({"before": info_json(&before), "after": info_json(&after)});
            super::audited::record(tx, &args.org, &operation, &target, &detail, now)?;
            Ok(true)
        })
        .context("cannot revoke the token")?;
    if !revoked {
        bail!(
            "organization {} has no token with id {}",
            args.org,
            args.token_id
        );
    }
    tracing::info!(org_id = %args.org, token_id = %args.token_id, "token revoked");
    println!("revoked token {}", args.token_id);
    Ok(())
}

/// `active`, `expired` or `revoked`.
fn status(token: &TokenInfo, now: DateTime<Utc>) -> &'static str {
    if token.revoked_at.is_some() {
        "revoked"
    } else if token.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else {
        "active"
    }
}

fn info_json(token: &TokenInfo) -> Value {
    json!({
        "id": token.id,
        "org_id": token.org_id,
        "kind": kind_name(token.kind),
        "name": token.name,
        "created_at": token.created_at.to_rfc3339(),
        "expires_at": token.expires_at.map(|at| at.to_rfc3339()),
        "revoked_at": token.revoked_at.map(|at| at.to_rfc3339()),
        "status": status(token, crate::clock::now()),
    })
}
