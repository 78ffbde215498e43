//! `rollcall webhook create|list|delete`: the organization's webhooks on the database
//! directly, checked and printed as `/admin/v1/webhooks` does.

use anyhow::{Context, anyhow};
use rollcall_store::{NewWebhook, StoreError};
use serde_json::{Value, json};

use crate::cli::WebhookCommand;

/// Run a `webhook` subcommand.
pub fn run(command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Create {
            url,
            secret,
            events,
            allow_private_address,
            org,
        } => {
            let body = json!({"url": url, "secret": secret, "events": events});
            let (url, secret, types) = rollcall_app::webhook_request(&body, allow_private_address)
                .map_err(|e| {
                    // Refused for its host alone: say how to accept it here.
                    if !allow_private_address && rollcall_app::webhook_request(&body, true).is_ok()
                    {
                        anyhow!("{e} (--allow-private-address accepts it)")
                    } else {
                        anyhow!(e)
                    }
                })?;
            let mut org = org;
            let store = super::open_org(&mut org)?;
            let (webhook, delivery) = store
                .write(|tx| {
                    let webhook = tx.webhooks().create(
                        &org.org,
                        &NewWebhook {
                            url: &url,
                            secret: &secret,
                            event_types: &types,
                        },
                        crate::clock::now(),
                    )?;
                    let delivery = tx.consumers().state(&webhook.consumer(), &org.org)?;
                    Ok((webhook, delivery))
                })
                .context("cannot create the webhook")?;
            let document = rollcall_app::webhook_json(&webhook, delivery.as_ref());
            super::print(org.json, &document, || {
                format!(
                    "Created webhook {} → {} for {}.",
                    webhook.id,
                    webhook.url,
                    webhook.event_types.join(", ")
                )
            });
        }
        WebhookCommand::List(org) => {
            let mut org = org;
            let store = super::open_org(&mut org)?;
            let listed = store
                .read(|tx| {
                    let mut listed = Vec::new();
                    for webhook in tx.webhooks().list(&org.org)? {
                        let delivery = tx.consumers().state(&webhook.consumer(), &org.org)?;
                        listed.push((webhook, delivery));
                    }
                    Ok(listed)
                })
                .context("cannot read the webhooks")?;
            let documents: Vec<Value> = listed
                .iter()
                .map(|(webhook, delivery)| rollcall_app::webhook_json(webhook, delivery.as_ref()))
                .collect();
            super::print(org.json, &json!({"webhooks": documents}), || {
                listed
                    .iter()
                    .map(|(webhook, delivery)| {
                        let state = match delivery {
                            Some(state) if state.attempts > 0 => format!(
                                "failing ({} attempts: {})",
                                state.attempts,
                                state.last_error.as_deref().unwrap_or("?")
                            ),
                            Some(state) => format!("delivered up to {}", state.delivered_seq),
                            None => "no delivery state".to_owned(),
                        };
                        format!(
                            "{}  {}  {}  {state}",
                            webhook.id,
                            webhook.url,
                            webhook.event_types.join(",")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        WebhookCommand::Delete { id, org } => {
            let mut org = org;
            let store = super::open_org(&mut org)?;
            match store.write(|tx| tx.webhooks().delete(&org.org, &id)) {
                Ok(()) => super::print(org.json, &json!({"deleted": id}), || {
                    format!("Deleted webhook {id}.")
                }),
                Err(StoreError::NotFound) => {
                    return Err(anyhow!("no webhook {id} in organization {}", org.org));
                }
                Err(error) => return Err(error).context("cannot delete the webhook"),
            }
        }
    }
    Ok(())
}
