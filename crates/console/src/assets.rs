//! The console's own stylesheet and script, compiled into the binary (no build step, no
//! third-party code).

use rollcall_app::Response;

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

/// `GET /console/static/{name}`.
pub(crate) fn serve(name: &str) -> Option<Response> {
    let (content_type, body) = match name {
        "console.css" => ("text/css; charset=utf-8", CSS),
        "console.js" => ("text/javascript; charset=utf-8", JS),
        _ => return None,
    };
    Some(Response::text(200, content_type, body).with_header("cache-control", "max-age=3600"))
}
