//! The page shell: one `header` with the organization and the sign-out button, one `nav`
//! of the pages, one `main` with the page's single `h1`; and the headers every console
//! answer carries (its content security policy above all).

use maud::{DOCTYPE, Markup, html};
use rollcall_app::Response;

use crate::MOUNT;

/// The console's content security policy: its own stylesheet and script only (no inline
/// script or style, nothing from elsewhere), forms posted only to itself, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// The pages of the navigation: path below the mount, and name.
const PAGES: [(&str, &str); 6] = [
    ("/overview", "Overview"),
    ("/health", "Health"),
    ("/directory", "Directory"),
    ("/access", "Access"),
    ("/audit", "Audit"),
    ("/webhooks", "Webhooks"),
];

/// What a page shows around its content.
#[derive(Debug)]
pub(crate) struct Chrome<'a> {
    /// The page's path below the mount (marks the current page in the navigation).
    pub(crate) current: &'a str,
    /// The page's title (its `h1`).
    pub(crate) title: &'a str,
    /// The organization's name, with the sign-out form's CSRF token; `None` signed out.
    pub(crate) signed_in: Option<(&'a str, &'a str)>,
}

/// A whole page.
pub(crate) fn page(chrome: &Chrome<'_>, content: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (chrome.title) " · Rollcall" }
                link rel="stylesheet" href={ (MOUNT) "/static/console.css" };
                script src={ (MOUNT) "/static/console.js" } defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header {
                    p class="brand" { "Rollcall" }
                    @if let Some((org, csrf)) = chrome.signed_in {
                        p class="org" { "Organization: " strong { (org) } }
                        form method="post" action={ (MOUNT) "/sign-out" } {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                @if chrome.signed_in.is_some() {
                    nav aria-label="Console" {
                        ul {
                            @for (path, name) in PAGES {
                                li {
                                    @if path == chrome.current {
                                        a href={ (MOUNT) (path) } aria-current="page" { (name) }
                                    } @else {
                                        a href={ (MOUNT) (path) } { (name) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" {
                    h1 { (chrome.title) }
                    (content)
                }
            }
        }
    }
}

/// An HTML answer.
pub(crate) fn html_response(status: u16, markup: &Markup) -> Response {
    Response::text(status, "text/html; charset=utf-8", markup.0.clone())
}

/// A redirect (303: the browser follows with a GET) to `path` below the mount.
pub(crate) fn redirect(path: &str) -> Response {
    Response::empty(303).with_header("location", format!("{MOUNT}{path}"))
}

/// A notice for the page (`role="status"`), or an error (`role="alert"`).
pub(crate) fn notice(text: &str, error: bool) -> Markup {
    html! {
        @if error {
            p class="notice error" role="alert" { (text) }
        } @else {
            p class="notice" role="status" { (text) }
        }
    }
}

/// Every console answer's security headers: the content security policy, no sniffing, no
/// referrer, no caching (pages show secrets once), no framing.
pub(crate) fn secure(response: Response) -> Response {
    response
        .replacing_header("content-security-policy", CONTENT_SECURITY_POLICY)
        .replacing_header("x-content-type-options", "nosniff")
        .replacing_header("referrer-policy", "no-referrer")
        .replacing_header("x-frame-options", "DENY")
        .replacing_header("cache-control", "no-store")
}
