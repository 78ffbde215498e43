//! The directory: users and groups, searched by SCIM filter; a user's groups, status and
//! effective access (each with its "why"); a group's members. Read through the admin API's
//! read-only directory (`/admin/v1/users`, `/admin/v1/groups`).

use maud::html;
use rollcall_app::Response;
use serde_json::Value;

use super::{Ctx, resources, text};
use crate::form::encode;
use crate::layout::notice;

/// Results listed per search.
const PAGE: u32 = 50;

/// `GET /console/directory?kind=users|groups&filter=`.
pub(crate) async fn search(ctx: &Ctx<'_>) -> Response {
    let groups = match ctx.query.get("kind") {
        "groups" => true,
        "users" | "" => false,
        _ => return ctx.refused("/directory", "Directory", "Search users or groups."),
    };
    let filter = ctx.query.get("filter");
    let start: u64 = match ctx.query.non_empty("start").map(str::parse::<u64>) {
        None => 1,
        Some(Ok(start)) if start >= 1 => start,
        Some(_) => {
            return ctx.refused(
                "/directory",
                "Directory",
                "start must be a whole number from 1.",
            );
        }
    };
    let endpoint = if groups { "/groups" } else { "/users" };
    let attributes = if groups {
        "displayName"
    } else {
        "userName,displayName,active"
    };
    let mut query = format!("{endpoint}?count={PAGE}&startIndex={start}&attributes={attributes}");
    if !filter.is_empty() {
        query.push_str(&format!("&filter={}", encode(filter)));
    }
    let answer = ctx.admin.get(&query).await;
    let found: Vec<&Value> = answer.body["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let total = answer.body["totalResults"].as_u64().unwrap_or(0);
    let shown = u64::try_from(found.len()).unwrap_or(0);
    let kind = if groups { "groups" } else { "users" };
    let page_link = |from: u64| {
        format!(
            "{}/directory?kind={kind}&filter={}&start={from}",
            crate::MOUNT,
            encode(filter)
        )
    };
    let content = html! {
        form method="get" action={ (crate::MOUNT) "/directory" } role="search" {
            label for="kind" { "Search" }
            select id="kind" name="kind" {
                option value="users" selected[!groups] { "Users" }
                option value="groups" selected[groups] { "Groups" }
            }
            label for="filter" { "SCIM filter" }
            input id="filter" name="filter" type="text" value=(filter) spellcheck="false"
                aria-describedby="filter-help" placeholder="userName sw \"ann\"";
            p id="filter-help" class="hint" { "RFC 7644 filter, e.g. " code { "userName eq \"ann@example.com\"" } ", "
                code { "name.familyName co \"Smith\" and active eq true" } ". Empty: everyone." }
            button type="submit" { "Search" }
        }
        @if !answer.ok() { (notice(&answer.message(), true)) } @else {
            h2 { (total) " found" @if shown > 0 && shown < total { " (" (start) " to " (start + shown - 1) " shown)" } }
            div class="table-wrap" { table {
                @if groups {
                    thead { tr { th scope="col" { "Group" } th scope="col" { "Id" } } }
                    tbody { @for group in &found { tr {
                        td { a href={ (crate::MOUNT) "/directory/groups/" (encode(text(&group["id"]))) } { (text(&group["displayName"])) } }
                        td class="mono" { (text(&group["id"])) }
                    } } }
                } @else {
                    thead { tr { th scope="col" { "User name" } th scope="col" { "Display name" } th scope="col" { "Status" } } }
                    tbody { @for user in &found { tr {
                        td { a href={ (crate::MOUNT) "/directory/users/" (encode(text(&user["id"]))) } { (text(&user["userName"])) } }
                        td { (text(&user["displayName"])) }
                        td { (if user["active"] == Value::Bool(false) { "suspended" } else { "active" }) }
                    } } }
                }
            } }
            @if start > 1 || start + shown <= total {
                nav aria-label="Pages of results" {
                    @if start > 1 { a rel="prev" href=(page_link(start.saturating_sub(u64::from(PAGE)).max(1))) { "Previous " (PAGE) } " " }
                    @if shown > 0 && start + shown <= total { a rel="next" href=(page_link(start + shown)) { "Next " (PAGE) } }
                }
            }
        }
    };
    let status = if answer.ok() { 200 } else { answer.status };
    ctx.page(status, "/directory", "Directory", &content)
}

/// `GET /console/directory/users/{id}`.
pub(crate) async fn user(ctx: &Ctx<'_>, id: &str) -> Response {
    let answer = ctx.admin.get(&format!("/users/{}", encode(id))).await;
    if !answer.ok() {
        return ctx.failed("/directory", "User", &answer);
    }
    let user = &answer.body;
    let name = text(&user["userName"]);
    let mut access = Vec::new();
    for (resource, label) in resources(&ctx.admin).await.into_iter().take(100) {
        let role = ctx
            .admin
            .get(&format!(
                "/access?user={}&resource={}",
                encode(id),
                encode(&resource)
            ))
            .await;
        if let Some(role) = role.body["role"].as_str() {
            access.push((resource, label, role.to_owned()));
        }
    }
    let content = html! {
        dl class="values" {
            dt { "User name" } dd { (name) }
            dt { "Display name" } dd { (text(&user["displayName"])) }
            dt { "Id" } dd class="mono" { (text(&user["id"])) }
            dt { "External id" } dd class="mono" { (text(&user["externalId"])) }
            dt { "Status" } dd { (if user["active"] == Value::Bool(false) { "suspended" } else { "active" }) }
            dt { "Emails" } dd { @for email in user["emails"].as_array().into_iter().flatten() { (text(&email["value"])) " " } }
        }
        h2 { "Groups" }
        @let groups: Vec<&Value> = user["groups"].as_array().into_iter().flatten().collect();
        @if groups.is_empty() { p { "In no group." } } @else {
            ul { @for group in groups {
                li { a href={ (crate::MOUNT) "/directory/groups/" (encode(text(&group["value"]))) } { (text(&group["display"])) } }
            } }
        }
        h2 { "Effective access" }
        @if access.is_empty() { p { "No role on any workspace or folder." } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Resource" } th scope="col" { "Role" } th scope="col" { "Why" } } }
                tbody { @for (resource, label, role) in &access { tr {
                    td { (label) } td { (role) }
                    td { a href={ (crate::MOUNT) "/access/why?user=" (encode(id)) "&resource=" (encode(resource)) } { "Why does " (name) " have " (role) "?" } }
                } } }
            } }
        }
    };
    ctx.page(200, "/directory", &format!("User {name}"), &content)
}

/// `GET /console/directory/groups/{id}`.
pub(crate) async fn group(ctx: &Ctx<'_>, id: &str) -> Response {
    let answer = ctx.admin.get(&format!("/groups/{}", encode(id))).await;
    if !answer.ok() {
        return ctx.failed("/directory", "Group", &answer);
    }
    let group = &answer.body;
    let members: Vec<&Value> = group["members"].as_array().into_iter().flatten().collect();
    let user_ids: Vec<String> = members
        .iter()
        .take(500)
        .filter(|member| text(&member["type"]) != "Group")
        .map(|member| text(&member["value"]).to_owned())
        .collect();
    let names = super::user_names(&ctx.admin, &user_ids).await;
    let name = text(&group["displayName"]);
    let content = html! {
        dl class="values" {
            dt { "Display name" } dd { (name) }
            dt { "Id" } dd class="mono" { (text(&group["id"])) }
            dt { "Members" } dd { (members.len()) }
        }
        h2 { "Members" }
        @if members.is_empty() { p { "No members." } } @else {
            ul { @for member in members.iter().take(500) {
                @let kind = if text(&member["type"]) == "Group" { "groups" } else { "users" };
                li { a href={ (crate::MOUNT) "/directory/" (kind) "/" (encode(text(&member["value"]))) } {
                    @let id = text(&member["value"]);
                    @if let Some(user_name) = names.get(id) { (user_name) }
                    @else if text(&member["display"]).is_empty() { (id) } @else { (text(&member["display"])) }
                } }
            } }
        }
    };
    ctx.page(200, "/directory", &format!("Group {name}"), &content)
}
