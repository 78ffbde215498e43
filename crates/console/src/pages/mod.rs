//! The console's pages. Each reads what it shows from the admin API ([`Admin`]) and renders
//! it with maud, which escapes every string it is given: a user named `<script>` is text.

pub(crate) mod access;
pub(crate) mod audit;
pub(crate) mod directory;
pub(crate) mod health;
pub(crate) mod overview;
pub(crate) mod sign_in;
pub(crate) mod webhooks;

use maud::{Markup, html};
use rollcall_app::{Request, Response};
use serde_json::Value;

use crate::Console;
use crate::admin::{Admin, Answer};
use crate::form::{Form, encode};
use crate::layout::{Chrome, html_response, notice, page};
use crate::session::Session;

/// One request of a signed-in admin.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) console: &'a Console,
    pub(crate) request: &'a Request,
    pub(crate) session: Session,
    pub(crate) admin: Admin<'a>,
    /// The query string's fields.
    pub(crate) query: Form,
    /// The form body's fields (a POST).
    pub(crate) form: Form,
}

impl Ctx<'_> {
    /// A page of this session: `current` marks it in the navigation.
    pub(crate) fn page(
        &self,
        status: u16,
        current: &str,
        title: &str,
        content: &Markup,
    ) -> Response {
        let chrome = Chrome {
            current,
            title,
            signed_in: Some((&self.session.org_name, &self.session.csrf)),
        };
        html_response(status, &page(&chrome, content))
    }

    /// The hidden CSRF field every form carries.
    pub(crate) fn csrf(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.session.csrf); }
    }

    /// A button that POSTs to `action` (below the mount) with the CSRF token and `hidden`
    /// fields.
    pub(crate) fn button(
        &self,
        action: &str,
        label: &str,
        class: &str,
        hidden: &[(&str, &str)],
    ) -> Markup {
        html! {
            form class="inline" method="post" action={ (crate::MOUNT) (action) } {
                (self.csrf())
                @for (name, value) in hidden {
                    input type="hidden" name=(name) value=(value);
                }
                button type="submit" class=(class) { (label) }
            }
        }
    }

    /// The page of a failed admin call: its message, with the admin API's status.
    pub(crate) fn failed(&self, current: &str, title: &str, answer: &Answer) -> Response {
        let content = html! {
            (notice(&answer.message(), true))
            p { a href={ (crate::MOUNT) (current) } { "Back" } }
        };
        let page = self.page(answer.status, current, title, &content);
        match &answer.retry_after {
            Some(seconds) => page.with_header("retry-after", seconds.clone()),
            None => page,
        }
    }

    /// A page that refuses the request's input (400) with `message`.
    pub(crate) fn refused(&self, current: &str, title: &str, message: &str) -> Response {
        let answer = Answer {
            status: 400,
            body: serde_json::json!({"error": {"code": "invalid_request", "message": message}}),
            retry_after: None,
        };
        self.failed(current, title, &answer)
    }
}

/// A timestamp as the pages show it: `2026-12-06 23:43 UTC` (the JSON's own when it is not
/// a time).
pub(crate) fn when(value: &Value) -> String {
    let Some(text) = value.as_str() else {
        return String::new();
    };
    chrono::DateTime::parse_from_rfc3339(text).map_or_else(
        |_| text.to_owned(),
        |time| {
            time.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        },
    )
}

/// A JSON string's text (empty for anything else).
pub(crate) fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// The users of `ids` by id → userName, read in pages of 50 with an `id eq … or …` filter
/// (ids the directory does not know are left out).
pub(crate) async fn user_names(
    admin: &Admin<'_>,
    ids: &[String],
) -> std::collections::HashMap<String, String> {
    let mut names = std::collections::HashMap::new();
    for chunk in ids.chunks(50) {
        let filter = chunk
            .iter()
            .map(|id| {
                format!(
                    "id eq \"{}\"",
                    id.replace('\\', "\\\\").replace('"', "\\\"")
                )
            })
            .collect::<Vec<_>>()
            .join(" or ");
        let answer = admin
            .get(&format!(
                "/users?attributes=userName&count=50&filter={}",
                encode(&filter)
            ))
            .await;
        for user in answer.body["Resources"].as_array().into_iter().flatten() {
            names.insert(
                text(&user["id"]).to_owned(),
                text(&user["userName"]).to_owned(),
            );
        }
    }
    names
}

/// The resources of the organization (workspaces and their folders) by `type:id` → a
/// readable name (`Q3 Plans`, `Q3 Plans / Budget`), in the order to list them: two admin
/// reads, whatever the number of workspaces.
pub(crate) async fn resources(admin: &Admin<'_>) -> Vec<(String, String)> {
    let workspaces = admin.get("/workspaces").await;
    let folders = admin.get("/folders").await;
    let mut by_workspace: std::collections::HashMap<&str, Vec<&Value>> =
        std::collections::HashMap::new();
    for folder in folders.body["folders"].as_array().into_iter().flatten() {
        by_workspace
            .entry(text(&folder["workspace_id"]))
            .or_default()
            .push(folder);
    }
    let mut resources = Vec::new();
    for workspace in workspaces.body["workspaces"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (id, name) = (text(&workspace["id"]), text(&workspace["name"]));
        resources.push((format!("workspace:{id}"), name.to_owned()));
        // The Home folder first, as the workspace's own list shows it.
        let mut folders = by_workspace.remove(id).unwrap_or_default();
        folders.sort_by_key(|folder| folder["id"] != workspace["home_folder_id"]);
        for folder in folders {
            resources.push((
                format!("folder:{}", text(&folder["id"])),
                format!("{name} / {}", text(&folder["name"])),
            ));
        }
    }
    resources
}

/// 404 for a page that does not exist.
pub(crate) fn not_found(ctx: Option<&Ctx<'_>>) -> Response {
    let content = html! { p { "There is no such page in the console." } };
    match ctx {
        Some(ctx) => ctx.page(404, "", "Not found", &content),
        None => signed_out(404, "Not found", &content),
    }
}

/// 405 for a console path asked with a method it is not served with.
pub(crate) fn not_allowed(ctx: &Ctx<'_>, allow: &'static str) -> Response {
    let content = html! { p { "This page is not served with that method." } };
    ctx.page(405, "", "Method not allowed", &content)
        .with_header("allow", allow)
}

/// A request refused before any session is looked at (`status`, with `message`).
pub(crate) fn refused_early(status: u16, message: &str) -> Response {
    let content = html! {
        (notice(message, true))
        p { a href={ (crate::MOUNT) "/" } { "Back to the console" } }
    };
    signed_out(status, "Refused", &content)
}

/// 403 for a refused form.
pub(crate) fn forbidden(message: &str) -> Response {
    refused_early(403, message)
}

/// A page without a session's header and navigation.
fn signed_out(status: u16, title: &str, content: &Markup) -> Response {
    let chrome = Chrome {
        current: "",
        title,
        signed_in: None,
    };
    html_response(status, &page(&chrome, content))
}
