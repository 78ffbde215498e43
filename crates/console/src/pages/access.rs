//! Access: workspaces and folders, grants and rules (each added or deleted only after a
//! preview of the access it changes: the admin API's `?dry_run=true`), and the two
//! questions: why does a user have a role on a resource, and who has access to it.

use std::collections::HashMap;

use maud::{Markup, html};
use rollcall_app::Response;
use serde_json::{Value, json};

use super::{Ctx, resources, text, user_names, when};
use crate::admin::Answer;
use crate::form::encode;
use crate::layout::{notice, redirect};

/// The roles, lowest first (PRODUCT.md §4).
const ROLES: [&str; 7] = [
    "viewer",
    "participant",
    "commenter",
    "collaborator",
    "editor",
    "maintainer",
    "owner",
];

/// Notices after a redirect, by the fixed code in `?done=`.
fn done(code: &str) -> Option<&'static str> {
    Some(match code {
        "grant-created" => {
            "The grant was added; the audit trail holds its record and the access it changed."
        }
        "grant-deleted" => {
            "The grant was deleted; the audit trail holds its record and the access it changed."
        }
        "rule-created" => {
            "The rule was added; the audit trail holds its record and the access it changed."
        }
        "rule-deleted" => {
            "The rule was deleted; the audit trail holds its record and the access it changed."
        }
        _ => return None,
    })
}

/// The organization's groups by id → display name (the first 1,000).
async fn group_names(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let answer = ctx
        .admin
        .get("/groups?attributes=displayName&count=1000&sortBy=displayName")
        .await;
    answer.body["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|group| {
            (
                text(&group["id"]).to_owned(),
                text(&group["displayName"]).to_owned(),
            )
        })
        .collect()
}

fn resource_select(id: &str, name: &str, resources: &[(String, String)], selected: &str) -> Markup {
    html! {
        select id=(id) name=(name) required {
            @for (value, label) in resources {
                option value=(value) selected[value == selected] { (label) }
            }
        }
    }
}

/// `GET /console/access`.
pub(crate) async fn show(ctx: &Ctx<'_>, error: Option<&Answer>) -> Response {
    let resources = resources(&ctx.admin).await;
    let names: HashMap<&str, &str> = resources
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let groups = group_names(ctx).await;
    let group_names: HashMap<&str, &str> = groups
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let grants = ctx.admin.get("/grants").await;
    let grants: Vec<&Value> = grants.body["grants"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let user_ids: Vec<String> = grants
        .iter()
        .filter(|grant| grant["principal"]["type"] == "user")
        .map(|grant| text(&grant["principal"]["id"]).to_owned())
        .collect();
    let users = user_names(&ctx.admin, &user_ids).await;
    let rules = ctx.admin.get("/rules").await;
    let rules: Vec<&Value> = rules.body["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let resource_name = |grant: &Value| -> String {
        let key = format!(
            "{}:{}",
            text(&grant["resource"]["type"]),
            text(&grant["resource"]["id"])
        );
        names
            .get(key.as_str())
            .map_or(key.clone(), |name| (*name).to_owned())
    };
    let principal_name = |grant: &Value| -> String {
        let id = text(&grant["principal"]["id"]);
        match text(&grant["principal"]["type"]) {
            "group" => format!("group {}", group_names.get(id).copied().unwrap_or(id)),
            _ => format!("user {}", users.get(id).map_or(id, String::as_str)),
        }
    };
    let content = html! {
        @if let Some(message) = done(ctx.query.get("done")) { (notice(message, false)) }
        @if let Some(error) = error { (notice(&error.message(), true)) }
        h2 { "Workspaces and folders" }
        @if resources.is_empty() { p { "No workspaces yet (create them with the admin API or " code { "rollcall workspace create" } ")." } } @else {
            ul { @for (id, name) in &resources {
                li { (name) " · " a href={ (crate::MOUNT) "/access/who?resource=" (encode(id)) } { "who has access" } }
            } }
        }
        h2 { "Grants" }
        @if grants.is_empty() { p { "No grants." } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Principal" } th scope="col" { "Resource" } th scope="col" { "Role" }
                    th scope="col" { "Expires" } th scope="col" { "Actions" } } }
                tbody { @for grant in &grants { tr {
                    td { (principal_name(grant)) }
                    td { (resource_name(grant)) }
                    td { (text(&grant["role"])) }
                    td { @if grant["expires_at"].is_null() { "never" } @else { (when(&grant["expires_at"])) } }
                    td { (ctx.button(&format!("/access/grants/{}/delete", encode(text(&grant["id"]))), "Delete…", "danger", &[])) }
                } } }
            } }
        }
        @if !resources.is_empty() {
            form method="post" action={ (crate::MOUNT) "/access/grants" } {
                (ctx.csrf())
                fieldset {
                    legend { "Add a grant" }
                    label for="grant-principal-type" { "Principal type" }
                    select id="grant-principal-type" name="principal_type" {
                        option value="group" { "Group" }
                        option value="user" { "User" }
                    }
                    label for="grant-group" { "Group (for a group grant)" }
                    select id="grant-group" name="group" {
                        @for (id, name) in &groups { option value=(id) { (name) } }
                    }
                    label for="grant-user" { "User name or id (for a user grant)" }
                    input id="grant-user" name="user" type="text" spellcheck="false" autocomplete="off";
                    label for="grant-resource" { "Resource" }
                    (resource_select("grant-resource", "resource", &resources, ""))
                    label for="grant-role" { "Role" }
                    select id="grant-role" name="role" { @for role in ROLES { option value=(role) selected[role == "viewer"] { (role) } } }
                    label for="grant-expires" { "Expires at (optional, RFC 3339)" }
                    input id="grant-expires" name="expires_at" type="text" placeholder="2027-01-31T00:00:00Z" spellcheck="false";
                    button type="submit" { "Preview" }
                }
            }
        }
        h2 { "Rules" }
        @if rules.is_empty() { p { "No rules." } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Subject" } th scope="col" { "Workspaces" } th scope="col" { "Role" } th scope="col" { "Actions" } } }
                tbody { @for rule in &rules { tr {
                    td { @if let Some(group) = rule["group"].as_str() { "groups named " code { (group) } } @else { "users matching " code { (text(&rule["filter"])) } } }
                    td { code { (text(&rule["workspaces"])) } }
                    td { (text(&rule["role"])) }
                    td { (ctx.button(&format!("/access/rules/{}/delete", encode(text(&rule["id"]))), "Delete…", "danger", &[])) }
                } } }
            } }
        }
        form method="post" action={ (crate::MOUNT) "/access/rules" } {
            (ctx.csrf())
            fieldset {
                legend { "Add a rule" }
                label for="rule-kind" { "Applies to" }
                select id="rule-kind" name="kind" {
                    option value="group" { "Groups whose name matches a pattern" }
                    option value="filter" { "Users matching a SCIM filter" }
                }
                label for="rule-subject" { "Group name pattern or SCIM filter" }
                input id="rule-subject" name="subject" type="text" required spellcheck="false" placeholder="Engineering-*";
                label for="rule-workspaces" { "Workspace name pattern" }
                input id="rule-workspaces" name="workspaces" type="text" required spellcheck="false" placeholder="Eng *";
                label for="rule-role" { "Role" }
                select id="rule-role" name="role" { @for role in ROLES { option value=(role) selected[role == "viewer"] { (role) } } }
                button type="submit" { "Preview" }
            }
        }
        h2 { "Ask" }
        @if !resources.is_empty() {
            form method="get" action={ (crate::MOUNT) "/access/why" } {
                fieldset {
                    legend { "Why does a user have a role?" }
                    label for="why-user" { "User name or id" }
                    input id="why-user" name="user" type="text" required spellcheck="false" autocomplete="off";
                    label for="why-resource" { "Resource" }
                    (resource_select("why-resource", "resource", &resources, ""))
                    button type="submit" class="secondary" { "Explain" }
                }
            }
            form method="get" action={ (crate::MOUNT) "/access/who" } {
                fieldset {
                    legend { "Who has access?" }
                    label for="who-resource" { "Resource" }
                    (resource_select("who-resource", "resource", &resources, ""))
                    button type="submit" class="secondary" { "List" }
                }
            }
        }
    };
    let status = error.map_or(200, |error| error.status);
    ctx.page(status, "/access", "Access", &content)
}

/// A user named by user name or id: their id, or the page's error.
async fn resolve_user(ctx: &Ctx<'_>, given: &str) -> Result<(String, String), Answer> {
    let quoted = given.replace('\\', "\\\\").replace('"', "\\\"");
    let filter = format!("userName eq \"{quoted}\" or id eq \"{quoted}\"");
    let answer = ctx
        .admin
        .get(&format!(
            "/users?attributes=userName&count=2&filter={}",
            encode(&filter)
        ))
        .await;
    if !answer.ok() {
        return Err(answer);
    }
    match answer.body["Resources"].as_array().map(Vec::as_slice) {
        Some([user]) => Ok((
            text(&user["id"]).to_owned(),
            text(&user["userName"]).to_owned(),
        )),
        _ => Err(Answer {
            status: 404,
            body: json!({"error": {"code": "not_found", "message": format!("no user named {given:?}")}}),
            retry_after: None,
        }),
    }
}

/// The preview of a change's access delta, with the form that confirms it.
async fn preview(
    ctx: &Ctx<'_>,
    what: &str,
    delta: &Value,
    action: &str,
    hidden: &[(&str, String)],
) -> Response {
    let changes: Vec<&Value> = delta["changes"].as_array().into_iter().flatten().collect();
    let ids: Vec<String> = changes
        .iter()
        .map(|change| text(&change["user"]).to_owned())
        .collect();
    let users = user_names(&ctx.admin, &ids).await;
    let resources: HashMap<String, String> = resources(&ctx.admin).await.into_iter().collect();
    let hidden: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let content = html! {
        p role="status" class="notice" {
            @let count = delta["count"].as_u64().unwrap_or(0);
            (what) ": " (count) (if count == 1 { " user's access to a resource changes" } else { " changes of a user's access to a resource" }) ". Nothing is saved until you confirm."
        }
        @if changes.is_empty() { p { "It changes nobody's access." } } @else {
            div class="table-wrap" { table {
                caption { "Access before and after" }
                thead { tr { th scope="col" { "User" } th scope="col" { "Resource" } th scope="col" { "Before" } th scope="col" { "After" } } }
                tbody { @for change in changes.iter().take(500) {
                    @let user = text(&change["user"]);
                    @let resource = text(&change["resource"]);
                    tr {
                        td { (users.get(user).map_or(user, String::as_str)) }
                        td { (resources.get(resource).map_or(resource, String::as_str)) }
                        td { @if change["before"].is_null() { "none" } @else { (text(&change["before"])) } }
                        td { @if change["after"].is_null() { "none" } @else { (text(&change["after"])) } }
                    }
                } }
            } }
        }
        form method="post" action={ (crate::MOUNT) (action) } {
            (ctx.csrf())
            @for (name, value) in &hidden { input type="hidden" name=(name) value=(value); }
            input type="hidden" name="confirm" value="yes";
            button type="submit" { "Confirm: " (what) }
        }
        p { a href={ (crate::MOUNT) "/access" } { "Cancel" } }
    };
    ctx.page(200, "/access", "Preview", &content)
}

/// A change of access as the console makes it: saved only once confirmed. Without
/// `confirm=yes` in the form, the admin API's dry run of the same write, and its preview
/// with the form that confirms it.
struct Change<'a> {
    /// The admin path of the write (below `/admin/v1`).
    path: String,
    /// Its body for a POST; `None` for a DELETE.
    body: Option<Value>,
    /// The `?done=` code of the access page once saved.
    done: &'static str,
    /// What it is, in words (the preview's heading and button).
    what: String,
    /// The console path the confirming form posts to, and the fields it carries.
    action: String,
    hidden: Vec<(&'a str, String)>,
}

async fn confirmed(ctx: &Ctx<'_>, change: Change<'_>) -> Response {
    let confirm = ctx.form.get("confirm") == "yes";
    let path = if confirm {
        change.path.clone()
    } else {
        format!("{}?dry_run=true", change.path)
    };
    let answer = match &change.body {
        Some(body) => ctx.admin.post(&path, body).await,
        None => ctx.admin.delete(&path).await,
    };
    if !answer.ok() {
        return show(ctx, Some(&answer)).await;
    }
    if confirm {
        return redirect(&format!("/access?done={}", change.done));
    }
    preview(
        ctx,
        &change.what,
        &answer.body,
        &change.action,
        &change.hidden,
    )
    .await
}

/// `POST /console/access/grants`: the preview, then (with `confirm=yes`) the grant.
pub(crate) async fn add_grant(ctx: &Ctx<'_>) -> Response {
    let form = &ctx.form;
    let principal = match form.get("principal_type") {
        "user" => match resolve_user(ctx, form.get("user")).await {
            Ok((id, _)) => ("user", id),
            Err(error) => return show(ctx, Some(&error)).await,
        },
        "group" => ("group", form.get("group").to_owned()),
        _ => {
            return ctx.refused(
                "/access",
                "Access",
                "Principal type: choose a group or a user.",
            );
        }
    };
    let Some((resource_type, resource_id)) = form.get("resource").split_once(':') else {
        return ctx.refused(
            "/access",
            "Access",
            "Resource: choose a workspace or a folder.",
        );
    };
    let mut body = json!({
        "principal": {"type": principal.0, "id": principal.1},
        "resource": {"type": resource_type, "id": resource_id},
        "role": form.get("role"),
    });
    if let Some(expires) = form.non_empty("expires_at") {
        body["expires_at"] = json!(expires);
    }
    let resource = form.get("resource");
    // The resource's name is for the preview's heading only: a confirmed grant reads nothing
    // more than the write.
    let label = if form.get("confirm") == "yes" {
        resource.to_owned()
    } else {
        let names: HashMap<String, String> = resources(&ctx.admin).await.into_iter().collect();
        names
            .get(resource)
            .cloned()
            .unwrap_or_else(|| resource.to_owned())
    };
    let change = Change {
        path: "/grants".to_owned(),
        body: Some(body),
        done: "grant-created",
        what: format!("Grant {} on {label}", form.get("role")),
        action: "/access/grants".to_owned(),
        hidden: vec![
            ("principal_type", principal.0.to_owned()),
            (principal.0, principal.1.clone()),
            ("resource", resource.to_owned()),
            ("role", form.get("role").to_owned()),
            ("expires_at", form.get("expires_at").to_owned()),
        ],
    };
    confirmed(ctx, change).await
}

/// `POST /console/access/rules`: the preview, then the rule.
pub(crate) async fn add_rule(ctx: &Ctx<'_>) -> Response {
    let form = &ctx.form;
    let kind = match form.get("kind") {
        kind @ ("group" | "filter") => kind,
        _ => {
            return ctx.refused(
                "/access",
                "Access",
                "Applies to: choose groups or a SCIM filter.",
            );
        }
    };
    let body = json!({
        kind: form.get("subject"),
        "workspaces": form.get("workspaces"),
        "role": form.get("role"),
    });
    let change = Change {
        path: "/rules".to_owned(),
        body: Some(body),
        done: "rule-created",
        what: "Add the rule".to_owned(),
        action: "/access/rules".to_owned(),
        hidden: vec![
            ("kind", kind.to_owned()),
            ("subject", form.get("subject").to_owned()),
            ("workspaces", form.get("workspaces").to_owned()),
            ("role", form.get("role").to_owned()),
        ],
    };
    confirmed(ctx, change).await
}

/// `POST /console/access/{grants|rules}/{id}/delete`: the preview, then the delete.
pub(crate) async fn delete(ctx: &Ctx<'_>, kind: &str, id: &str) -> Response {
    let (noun, done) = match kind {
        "grants" => ("grant", "grant-deleted"),
        _ => ("rule", "rule-deleted"),
    };
    let change = Change {
        path: format!("/{kind}/{}", encode(id)),
        body: None,
        done,
        what: format!("Delete the {noun}"),
        action: format!("/access/{kind}/{}/delete", encode(id)),
        hidden: Vec::new(),
    };
    confirmed(ctx, change).await
}

/// `GET /console/access/why?user=&resource=`: the explanation of a user's role.
pub(crate) async fn why(ctx: &Ctx<'_>) -> Response {
    if ctx.query.get("user").is_empty() || ctx.query.get("resource").is_empty() {
        return ctx.refused("/access", "Access", "Name a user and a resource.");
    }
    let (id, name) = match resolve_user(ctx, ctx.query.get("user")).await {
        Ok(user) => user,
        Err(error) => return show(ctx, Some(&error)).await,
    };
    let resource = ctx.query.get("resource");
    let answer = ctx
        .admin
        .get(&format!(
            "/access?user={}&resource={}",
            encode(&id),
            encode(resource)
        ))
        .await;
    if !answer.ok() {
        return show(ctx, Some(&answer)).await;
    }
    let names: HashMap<String, String> = resources(&ctx.admin).await.into_iter().collect();
    let resource_name = names.get(resource).map_or(resource, String::as_str);
    let role = answer.body["role"].as_str();
    let contributions: Vec<&Value> = answer.body["contributions"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let title = format!("Why {name} has access to {resource_name}");
    let content = html! {
        p class="notice" role="status" {
            @match role {
                Some(role) => { strong { (name) } " has " strong { (role) } " on " strong { (resource_name) } "." }
                None => { strong { (name) } " has no role on " strong { (resource_name) } "." }
            }
        }
        @if !contributions.is_empty() {
            h2 { "Where it comes from" }
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Source" } th scope="col" { "Role" } th scope="col" { "Through" } th scope="col" { "Decides" } } }
                tbody { @for contribution in &contributions { tr {
                    td { (describe(contribution)) }
                    td { (text(&contribution["role"])) }
                    td { @for (index, via) in contribution["via"].as_array().into_iter().flatten().enumerate() {
                        @if index > 0 { " → " }
                        (text(&via["type"])) " " (if text(&via["display"]).is_empty() { text(&via["id"]) } else { text(&via["display"]) })
                    } }
                    td { @if contribution["winner"] == Value::Bool(true) { "yes, the highest" } @else { "no" } }
                } } }
            } }
        }
        p { a href={ (crate::MOUNT) "/directory/users/" (encode(&id)) } { "See " (name) " in the directory" } }
    };
    ctx.page(200, "/access", &title, &content)
}

/// A contribution's kind in words.
fn describe(contribution: &Value) -> String {
    match text(&contribution["kind"]) {
        "direct" => "a grant to the user".to_owned(),
        "group" => "a grant to a group".to_owned(),
        "rule" => "a rule on the group's name".to_owned(),
        "attribute_rule" => format!(
            "a rule on the attribute {}",
            text(&contribution["attribute"])
        ),
        "team_access" => "the folder's team access".to_owned(),
        "org_owner" => "an owner of the organization".to_owned(),
        other => other.to_owned(),
    }
}

/// `GET /console/access/who?resource=`: every user with a role there.
pub(crate) async fn who(ctx: &Ctx<'_>) -> Response {
    let resource = ctx.query.get("resource");
    if resource.is_empty() {
        return ctx.refused("/access", "Access", "Name a resource.");
    }
    let answer = ctx
        .admin
        .get(&format!("/access?resource={}", encode(resource)))
        .await;
    if !answer.ok() {
        return show(ctx, Some(&answer)).await;
    }
    let users: Vec<&Value> = answer.body["users"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let ids: Vec<String> = users
        .iter()
        .take(1000)
        .map(|user| text(&user["user"]).to_owned())
        .collect();
    let names = user_names(&ctx.admin, &ids).await;
    let resources: HashMap<String, String> = resources(&ctx.admin).await.into_iter().collect();
    let resource_name = resources.get(resource).map_or(resource, String::as_str);
    let content = html! {
        p { (users.len()) " users have a role on " strong { (resource_name) } "." }
        @if !users.is_empty() {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "User" } th scope="col" { "Role" } th scope="col" { "Why" } } }
                tbody { @for user in users.iter().take(1000) {
                    @let id = text(&user["user"]);
                    @let name = names.get(id).map_or(id, String::as_str);
                    tr {
                        td { (name) }
                        td { (text(&user["role"])) }
                        td { a href={ (crate::MOUNT) "/access/why?user=" (encode(id)) "&resource=" (encode(resource)) } { "why" } }
                    }
                } }
            } }
        }
    };
    ctx.page(
        200,
        "/access",
        &format!("Who has access to {resource_name}"),
        &content,
    )
}
