//! Signing in with an organization's admin token. The token is checked by the admin API
//! itself (`GET /admin/v1/org`), so a SCIM token, a revoked or an expired one is refused as
//! the API would refuse it, and failed attempts spend the client address's budget.

use maud::html;
use rollcall_app::{Request, Response};

use crate::Console;
use crate::admin::Admin;
use crate::form::Form;
use crate::layout::{Chrome, html_response, notice, page, redirect};
use crate::session::{self, SIGN_IN_COOKIE, matches, set_cookie};

/// How long the sign-in form stays valid, in seconds.
const FORM_MAX_AGE: i64 = 3600;

/// `GET /console/sign-in` (also after a refused attempt, with `error` and its status).
pub(crate) fn form(console: &Console, request: &Request, error: Option<(u16, &str)>) -> Response {
    let token = console.sessions.form_token();
    let ended = Form::query(request).get("ended") == "1";
    let chrome = Chrome {
        current: "/sign-in",
        title: "Sign in",
        signed_in: None,
    };
    let content = html! {
        @if let Some((_, message)) = error {
            (notice(message, true))
        } @else if ended {
            (notice("Your session ended: its admin token is no longer valid. Sign in again.", true))
        }
        p { "Sign in with an admin token of your organization (" code { "rc_admin_…" } "), as "
            code { "rollcall org create" } " printed it." }
        form method="post" action={ (crate::MOUNT) "/sign-in" } {
            input type="hidden" name="csrf" value=(token);
            label for="token" { "Admin token" }
            input id="token" name="token" type="password" autocomplete="off" required
                spellcheck="false" aria-describedby="token-help";
            p id="token-help" class="hint" { "The token stays on the server; the browser keeps only a session cookie." }
            button type="submit" { "Sign in" }
        }
    };
    let status = error.map_or(200, |(status, _)| status);
    html_response(status, &page(&chrome, &content)).with_header(
        "set-cookie",
        set_cookie(request, SIGN_IN_COOKIE, Some(&token), FORM_MAX_AGE),
    )
}

/// `POST /console/sign-in`.
pub(crate) async fn submit(console: &Console, request: &Request) -> Response {
    let fields = Form::body(request);
    let expected = session::cookie(request, SIGN_IN_COOKIE).unwrap_or_default();
    if !console.sessions.signed_form_token(&expected) || !matches(fields.get("csrf"), &expected) {
        return crate::pages::forbidden(
            "The sign-in form is out of date or did not come from the console. Reload it and \
             try again.",
        );
    }
    let token = fields.get("token");
    if token.is_empty() {
        return form(console, request, Some((400, "Enter an admin token.")));
    }
    let admin = Admin::new(&console.app, token.to_owned(), request);
    let answer = admin.get("/org").await;
    match answer.status {
        200 => {
            let name = answer.body["name"]
                .as_str()
                .unwrap_or("organization")
                .to_owned();
            let id = console
                .sessions
                .open(token.to_owned(), name, console.app.now());
            redirect("/overview")
                .with_header(
                    "set-cookie",
                    set_cookie(request, session::COOKIE, Some(&id), session::COOKIE_MAX_AGE),
                )
                .with_header("set-cookie", set_cookie(request, SIGN_IN_COOKIE, None, 0))
        }
        401 => form(
            console,
            request,
            Some((
                401,
                "That is not a valid admin token: check that it is an admin token (not a SCIM \
                 token) and that it was not revoked.",
            )),
        ),
        429 => form(
            console,
            request,
            Some((429, "Too many attempts. Wait a minute and try again.")),
        ),
        status => form(console, request, Some((status, &answer.message()))),
    }
}
