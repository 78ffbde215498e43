//! The console's routes below `/console`. Every page but the sign-in needs a session; every
//! POST needs the session's CSRF token (403 without it). A session whose token the admin
//! API no longer accepts is closed, and the browser sent to sign in again.

use rollcall_app::{Body, Method, Request, Response};

use crate::Console;
use crate::admin::Admin;
use crate::form::Form;
use crate::layout::redirect;
use crate::pages::{self, Ctx};
use crate::session::{self, matches};

/// Answer `request`, and log it: one INFO line with the method, path, status and latency
/// (never the query string, which may hold a filter naming a person, nor a body).
pub(crate) async fn dispatch(console: &Console, request: &Request) -> Response {
    let started = std::time::Instant::now();
    let response = answer(console, request).await;
    let latency_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    tracing::info!(
        method = %request.method.as_str(),
        path = %format!("{}{}", crate::MOUNT, request.path),
        status = response.status,
        latency_ms,
        "console request"
    );
    response
}

async fn answer(console: &Console, request: &Request) -> Response {
    match request.body {
        Body::TooLarge => {
            return pages::refused_early(
                413,
                "The form is too large (at most 64 KiB). Nothing was saved.",
            );
        }
        Body::Unreadable => {
            return pages::refused_early(400, "The form could not be read. Nothing was saved.");
        }
        Body::Bytes(_) => {}
    }
    let path = match request.path.trim_end_matches('/') {
        "" => "/",
        path => path,
    };
    let now = console.app.now();
    let signed_in = console.sessions.of(request, now);
    match (&request.method, path) {
        (Method::Get | Method::Head, "/") => {
            return redirect(if signed_in.is_some() {
                "/overview"
            } else {
                "/sign-in"
            });
        }
        (Method::Get | Method::Head, static_path) if static_path.starts_with("/static/") => {
            return crate::assets::serve(&static_path["/static/".len()..])
                .unwrap_or_else(|| pages::not_found(None));
        }
        (Method::Get | Method::Head, "/sign-in") => {
            return pages::sign_in::form(console, request, None);
        }
        (Method::Post, "/sign-in") => return pages::sign_in::submit(console, request).await,
        (_, "/sign-in") => {
            return pages::refused_early(405, "The sign-in page takes GET and POST.")
                .with_header("allow", "GET, HEAD, POST");
        }
        _ => {}
    }
    let Some((session_id, session)) = signed_in else {
        return match request.method {
            Method::Get | Method::Head => redirect("/sign-in"),
            _ => pages::forbidden("Your session has ended. Sign in again."),
        };
    };
    let form = Form::body(request);
    if request.method == Method::Post && !matches(form.get("csrf"), &session.csrf) {
        return pages::forbidden(
            "This form is out of date or did not come from the console (CSRF token missing or \
             wrong). Go back, reload the page and try again.",
        );
    }
    if (&request.method, path) == (&Method::Post, "/sign-out") {
        console.sessions.close(&session_id);
        return redirect("/sign-in").with_header(
            "set-cookie",
            session::set_cookie(request, session::COOKIE, None, 0),
        );
    }
    let ctx = Ctx {
        admin: Admin::new(&console.app, session.token.clone(), request),
        console,
        request,
        session,
        query: Form::query(request),
        form,
    };
    let response = route(&ctx, path).await;
    if ctx.admin.refused() {
        console.sessions.close(&session_id);
        return redirect("/sign-in?ended=1").with_header(
            "set-cookie",
            session::set_cookie(request, session::COOKIE, None, 0),
        );
    }
    response
}

/// The pages of a signed-in admin.
async fn route(ctx: &Ctx<'_>, path: &str) -> Response {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let get = matches!(ctx.request.method, Method::Get | Method::Head);
    let post = ctx.request.method == Method::Post;
    match segments.as_slice() {
        ["overview"] if get => pages::overview::show(ctx, None).await,
        ["tokens"] if post => pages::overview::create_token(ctx).await,
        ["tokens", id, "revoke"] if post => pages::overview::revoke_token(ctx, id).await,
        ["tokens", id, "rotate"] if post => pages::overview::rotate_token(ctx, id).await,
        ["oauth-clients"] if post => pages::overview::create_client(ctx).await,
        ["oauth-clients", id, "revoke"] if post => pages::overview::revoke_client(ctx, id).await,
        ["oauth-clients", id, "rotate"] if post => pages::overview::rotate_client(ctx, id).await,
        ["health"] if get => pages::health::show(ctx).await,
        ["directory"] if get => pages::directory::search(ctx).await,
        ["directory", "users", id] if get => pages::directory::user(ctx, id).await,
        ["directory", "groups", id] if get => pages::directory::group(ctx, id).await,
        ["access"] if get => pages::access::show(ctx, None).await,
        ["access", "grants"] if post => pages::access::add_grant(ctx).await,
        ["access", kind @ ("grants" | "rules"), id, "delete"] if post => {
            pages::access::delete(ctx, kind, id).await
        }
        ["access", "rules"] if post => pages::access::add_rule(ctx).await,
        ["access", "why"] if get => pages::access::why(ctx).await,
        ["access", "who"] if get => pages::access::who(ctx).await,
        ["audit"] if get => pages::audit::show(ctx).await,
        ["audit", "export"] if get => pages::audit::export(ctx).await,
        ["webhooks"] if get => pages::webhooks::show(ctx).await,
        ["webhooks", id, "retry"] if post => pages::webhooks::retry(ctx, id).await,
        other => match allowed(other) {
            Some(allow) => pages::not_allowed(ctx, allow),
            None => pages::not_found(Some(ctx)),
        },
    }
}

/// The methods a console path is served with, when it is one (the `Allow` of a 405).
fn allowed(segments: &[&str]) -> Option<&'static str> {
    Some(match segments {
        ["overview" | "health" | "directory" | "access" | "audit" | "webhooks"]
        | ["directory", "users" | "groups", _]
        | ["access", "why" | "who"]
        | ["audit", "export"] => "GET, HEAD",
        ["tokens" | "oauth-clients" | "sign-out"]
        | ["tokens", _, "revoke" | "rotate"]
        | ["oauth-clients", _, "revoke" | "rotate"]
        | ["access", "grants" | "rules"]
        | ["access", "grants" | "rules", _, "delete"]
        | ["webhooks", _, "retry"] => "POST",
        _ => return None,
    })
}
