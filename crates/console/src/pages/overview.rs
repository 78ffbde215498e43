//! The overview (the hosted product's "org overview page"): the values to paste into Okta
//! and Entra, the SCIM tokens and OAuth clients (created and shown once, rotated, revoked).

use maud::{Markup, html};
use rollcall_app::Response;
use serde_json::{Value, json};

use super::{Ctx, text, when};
use crate::admin::{Answer, origin};
use crate::form::encode;
use crate::layout::{notice, redirect};

/// A secret just created, shown once.
#[derive(Debug)]
pub(crate) struct Created {
    what: &'static str,
    name: String,
    fields: Vec<(&'static str, String)>,
}

/// Notices after a redirect, by the fixed code in `?done=`.
fn done(code: &str) -> Option<&'static str> {
    Some(match code {
        "token-revoked" => "The SCIM token was revoked: requests with it are refused from now on.",
        "client-revoked" => {
            "The OAuth client was revoked: its access tokens are refused from now on."
        }
        _ => return None,
    })
}

/// `GET /console/overview` (and the page after a create, with its secret).
pub(crate) async fn show(ctx: &Ctx<'_>, created: Option<Created>) -> Response {
    let org = ctx.admin.get("/org").await;
    if !org.ok() {
        return ctx.failed("/overview", "Overview", &org);
    }
    let tokens = ctx.admin.get("/scim-tokens").await;
    let clients = ctx.admin.get("/oauth-clients").await;
    let origin = origin(ctx.request);
    let scim_url = format!("{origin}/scim/v2");
    let token_url = format!("{origin}/oauth/token");
    let content = html! {
        @if let Some(message) = done(ctx.query.get("done")) { (notice(message, false)) }
        @if let Some(created) = &created { (secret(created)) }
        dl class="values" {
            dt { "Organization" } dd { (text(&org.body["name"])) }
            dt { "Organization id" } dd { code data-copy="organization id" { (text(&org.body["id"])) } }
            dt { "Dialect" } dd { (text(&org.body["dialect"])) }
        }
        h2 { "Connect your identity provider" }
        h3 { "Okta" }
        dl class="values" {
            dt { "SCIM connector base URL" } dd { code data-copy="SCIM base URL" { (scim_url) } }
            dt { "Unique identifier field for users" } dd class="mono" { "userName" }
            dt { "Supported provisioning actions" } dd { "Push New Users, Push Profile Updates, Push Groups" }
            dt { "Authentication Mode" } dd { "HTTP Header: paste a SCIM token (below) as the Bearer token" }
        }
        h3 { "Microsoft Entra ID" }
        dl class="values" {
            dt { "Tenant URL" } dd { code data-copy="tenant URL" { (scim_url) } }
            dt { "Secret Token" } dd { "A SCIM token created below (or an OAuth client, or a trusted issuer: see docs/entra.md)" }
        }
        h3 { "OAuth 2.0 client credentials" }
        dl class="values" {
            dt { "Token endpoint" } dd { code data-copy="token endpoint" { (token_url) } }
        }
        h2 { "SCIM tokens" }
        (token_table(ctx, &tokens.body["scim_tokens"]))
        form method="post" action={ (crate::MOUNT) "/tokens" } {
            (ctx.csrf())
            fieldset {
                legend { "Create a SCIM token" }
                label for="token-name" { "Name" }
                input id="token-name" name="name" type="text" maxlength="200" placeholder="okta-production";
                label for="token-days" { "Expires after (days, optional)" }
                input id="token-days" name="expires_in_days" type="number" min="1" max="3650" inputmode="numeric";
                button type="submit" { "Create token" }
            }
        }
        h2 { "OAuth clients" }
        (client_table(ctx, &clients.body["oauth_clients"]))
        form method="post" action={ (crate::MOUNT) "/oauth-clients" } {
            (ctx.csrf())
            fieldset {
                legend { "Create an OAuth client" }
                label for="client-name" { "Name" }
                input id="client-name" name="name" type="text" maxlength="200" placeholder="entra";
                button type="submit" { "Create client" }
            }
        }
    };
    let status = if created.is_some() { 201 } else { 200 };
    ctx.page(status, "/overview", "Overview", &content)
}

fn secret(created: &Created) -> Markup {
    html! {
        section aria-labelledby="created-heading" {
            h2 id="created-heading" { (created.what) " created: " (created.name) }
            p role="status" class="notice" { "Copy it now: it is shown once, and Rollcall keeps only its hash." }
            dl class="values" {
                @for (label, value) in &created.fields {
                    dt { (label) }
                    dd { span class="secret" data-copy=(label) { (value) } }
                }
            }
        }
    }
}

fn status_of(item: &Value, now: chrono::DateTime<chrono::Utc>) -> &'static str {
    if !item["revoked_at"].is_null() {
        "revoked"
    } else if item["expires_at"]
        .as_str()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .is_some_and(|at| at <= now)
    {
        "expired"
    } else {
        "active"
    }
}

fn token_table(ctx: &Ctx<'_>, tokens: &Value) -> Markup {
    let tokens: Vec<&Value> = tokens.as_array().into_iter().flatten().collect();
    html! {
        @if tokens.is_empty() { p { "No SCIM tokens." } } @else {
            div class="table-wrap" { table {
                caption class="visually-hidden" { "SCIM tokens" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Id" } th scope="col" { "Created" }
                    th scope="col" { "Expires" } th scope="col" { "Status" } th scope="col" { "Actions" } } }
                tbody { @for token in tokens {
                    @let id = text(&token["id"]);
                    @let status = status_of(token, ctx.console.app.now());
                    tr {
                        td { (text(&token["name"])) }
                        td class="mono" { (id) }
                        td { (when(&token["created_at"])) }
                        td { @if token["expires_at"].is_null() { "never" } @else { (when(&token["expires_at"])) } }
                        td { (status) }
                        td { @if status == "active" {
                            (ctx.button(&format!("/tokens/{}/rotate", encode(id)), "Rotate", "secondary", &[]))
                            " "
                            (ctx.button(&format!("/tokens/{}/revoke", encode(id)), "Revoke", "danger", &[]))
                        } }
                    }
                } }
            } }
        }
    }
}

fn client_table(ctx: &Ctx<'_>, clients: &Value) -> Markup {
    let clients: Vec<&Value> = clients.as_array().into_iter().flatten().collect();
    html! {
        @if clients.is_empty() { p { "No OAuth clients." } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Client id" } th scope="col" { "Created" }
                    th scope="col" { "Status" } th scope="col" { "Actions" } } }
                tbody { @for client in clients {
                    @let id = text(&client["id"]);
                    @let status = status_of(client, ctx.console.app.now());
                    tr {
                        td { (text(&client["name"])) }
                        td class="mono" { (text(&client["client_id"])) }
                        td { (when(&client["created_at"])) }
                        td { (status) }
                        td { @if status == "active" {
                            (ctx.button(&format!("/oauth-clients/{}/rotate", encode(id)), "Rotate", "secondary", &[]))
                            " "
                            (ctx.button(&format!("/oauth-clients/{}/revoke", encode(id)), "Revoke", "danger", &[]))
                        } }
                    }
                } }
            } }
        }
    }
}

/// The body of a create from the form: `name`, and `expires_in_days` when given.
fn token_body(ctx: &Ctx<'_>) -> Result<Value, &'static str> {
    let mut body = json!({});
    if let Some(name) = ctx.form.non_empty("name") {
        body["name"] = json!(name);
    }
    if let Some(days) = ctx.form.non_empty("expires_in_days") {
        let days: u32 = days
            .parse()
            .map_err(|_| "Expires after: a whole number of days, 1 to 3650.")?;
        body["expires_in_days"] = json!(days);
    }
    Ok(body)
}

/// `POST /console/tokens`.
pub(crate) async fn create_token(ctx: &Ctx<'_>) -> Response {
    let body = match token_body(ctx) {
        Ok(body) => body,
        Err(message) => {
            let content = html! { (notice(message, true)) p { a href={ (crate::MOUNT) "/overview" } { "Back" } } };
            return ctx.page(400, "/overview", "Overview", &content);
        }
    };
    let answer = ctx.admin.post("/scim-tokens", &body).await;
    if !answer.ok() {
        return ctx.failed("/overview", "Overview", &answer);
    }
    show(ctx, Some(created_token(&answer.body))).await
}

fn created_token(body: &Value) -> Created {
    Created {
        what: "SCIM token",
        name: text(&body["name"]).to_owned(),
        fields: vec![("SCIM token", text(&body["secret"]).to_owned())],
    }
}

/// `POST /console/tokens/{id}/revoke`.
pub(crate) async fn revoke_token(ctx: &Ctx<'_>, id: &str) -> Response {
    let answer = ctx
        .admin
        .delete(&format!("/scim-tokens/{}", encode(id)))
        .await;
    if !answer.ok() {
        return ctx.failed("/overview", "Overview", &answer);
    }
    redirect("/overview?done=token-revoked")
}

/// A kind of credential the overview rotates.
struct Kind {
    /// Its admin path (below `/admin/v1`) and the key of its list there.
    path: &'static str,
    list: &'static str,
    noun: &'static str,
    /// The secret as the page shows it once, from the create's answer.
    created: fn(&Value) -> Created,
}

const SCIM_TOKENS: Kind = Kind {
    path: "/scim-tokens",
    list: "scim_tokens",
    noun: "SCIM token",
    created: created_token,
};

const OAUTH_CLIENTS: Kind = Kind {
    path: "/oauth-clients",
    list: "oauth_clients",
    noun: "OAuth client",
    created: created_client,
};

/// Rotate the credential `id` of `kind`: a new one of the same name (and expiry), then the
/// old one revoked (paste the new one into the IdP before its next sync). Only an active
/// one is rotated: a revoked or expired one is a 409, so a form sent twice makes nothing.
async fn rotate(ctx: &Ctx<'_>, kind: &Kind, id: &str) -> Response {
    let listed = ctx.admin.get(kind.path).await;
    if !listed.ok() {
        return ctx.failed("/overview", "Overview", &listed);
    }
    let old = listed.body[kind.list]
        .as_array()
        .into_iter()
        .flatten()
        .find(|item| item["id"] == id);
    let refusal = |status: u16, code: &str, message: String| Answer {
        status,
        body: json!({"error": {"code": code, "message": message}}),
        retry_after: None,
    };
    let Some(old) = old else {
        let answer = refusal(404, "not_found", format!("no such {}", kind.noun));
        return ctx.failed("/overview", "Overview", &answer);
    };
    if status_of(old, ctx.console.app.now()) != "active" {
        let message = format!("this {} is revoked or expired: create a new one", kind.noun);
        return ctx.failed("/overview", "Overview", &refusal(409, "conflict", message));
    }
    let mut body = json!({});
    for field in ["name", "expires_at"] {
        if let Some(value) = old[field].as_str() {
            body[field] = json!(value);
        }
    }
    let answer = ctx.admin.post(kind.path, &body).await;
    if !answer.ok() {
        return ctx.failed("/overview", "Overview", &answer);
    }
    let revoked = ctx
        .admin
        .delete(&format!("{}/{}", kind.path, encode(id)))
        .await;
    if !revoked.ok() {
        return ctx.failed("/overview", "Overview", &revoked);
    }
    show(ctx, Some((kind.created)(&answer.body))).await
}

/// `POST /console/tokens/{id}/rotate`.
pub(crate) async fn rotate_token(ctx: &Ctx<'_>, id: &str) -> Response {
    rotate(ctx, &SCIM_TOKENS, id).await
}

/// `POST /console/oauth-clients/{id}/rotate`: a new client (its own id and secret) of the
/// same name, then the old one revoked.
pub(crate) async fn rotate_client(ctx: &Ctx<'_>, id: &str) -> Response {
    rotate(ctx, &OAUTH_CLIENTS, id).await
}

fn created_client(body: &Value) -> Created {
    Created {
        what: "OAuth client",
        name: text(&body["name"]).to_owned(),
        fields: vec![
            ("Client id", text(&body["client_id"]).to_owned()),
            ("Client secret", text(&body["client_secret"]).to_owned()),
        ],
    }
}

/// `POST /console/oauth-clients`.
pub(crate) async fn create_client(ctx: &Ctx<'_>) -> Response {
    let mut body = json!({});
    if let Some(name) = ctx.form.non_empty("name") {
        body["name"] = json!(name);
    }
    let answer = ctx.admin.post("/oauth-clients", &body).await;
    if !answer.ok() {
        return ctx.failed("/overview", "Overview", &answer);
    }
    show(ctx, Some(created_client(&answer.body))).await
}

/// `POST /console/oauth-clients/{id}/revoke`.
pub(crate) async fn revoke_client(ctx: &Ctx<'_>, id: &str) -> Response {
    let answer = ctx
        .admin
        .delete(&format!("/oauth-clients/{}", encode(id)))
        .await;
    if !answer.ok() {
        return ctx.failed("/overview", "Overview", &answer);
    }
    redirect("/overview?done=client-revoked")
}
