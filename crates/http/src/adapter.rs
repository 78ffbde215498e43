//! The one actix-web handler behind each mount: the actix request becomes a
//! [`rollcall_app::Request`], [`App::serve`] answers it, and its [`rollcall_app::Response`]
//! becomes actix's. Nothing here knows SCIM: routes, statuses and bodies are the surface's.
//!
//! The body is read only when the surface takes one for the request
//! ([`App::body_limit`]), and never past that limit: a `Content-Length` beyond it, or a
//! body that grows beyond it, is handed over as [`Body::TooLarge`] unread.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_app::{Api, App, Body, Headers, Method, Request, Response};

/// Mount `api` under its prefix: every path and method goes to [`App::serve`].
pub(crate) fn mount(cfg: &mut web::ServiceConfig, api: Api, app: App) {
    cfg.service(
        web::scope(api.prefix())
            .app_data(web::Data::new(app))
            .default_service(web::to(move |request, payload, app| {
                serve(api, request, payload, app)
            })),
    );
}

async fn serve(
    api: Api,
    request: HttpRequest,
    payload: web::Payload,
    app: web::Data<App>,
) -> HttpResponse {
    let trusted = &app.config().trusted_proxies;
    let request = read(api.prefix(), &request, payload, trusted, |method, path| {
        app.body_limit(api, method, path)
    })
    .await;
    respond(app.serve(api, request).await)
}

/// Mount `POST /oauth/token` ([`App::serve_token`]).
pub(crate) fn mount_token(cfg: &mut web::ServiceConfig, app: App) {
    cfg.service(
        web::resource(TOKEN_PATH)
            .app_data(web::Data::new(app))
            .default_service(web::to(
                |request: HttpRequest, payload: web::Payload, app: web::Data<App>| async move {
                    let trusted = &app.config().trusted_proxies;
                    let request = read(TOKEN_PATH, &request, payload, trusted, |method, _| {
                        (*method == Method::Post).then_some(rollcall_app::TOKEN_BODY_LIMIT)
                    })
                    .await;
                    respond(app.serve_token(request).await)
                },
            )),
    );
}

/// Mount the admin console under [`rollcall_console::MOUNT`].
pub(crate) fn mount_console(cfg: &mut web::ServiceConfig, console: rollcall_console::Console) {
    cfg.service(
        web::scope(rollcall_console::MOUNT)
            .app_data(web::Data::new(console))
            .default_service(web::to(
                |request: HttpRequest,
                 payload: web::Payload,
                 console: web::Data<rollcall_console::Console>| async move {
                    let trusted = &console.app().config().trusted_proxies;
                    let request = read(
                        rollcall_console::MOUNT,
                        &request,
                        payload,
                        trusted,
                        |method, _| {
                            (*method == Method::Post).then_some(rollcall_console::BODY_LIMIT)
                        },
                    )
                    .await;
                    respond(console.serve(request).await)
                },
            )),
    );
}

/// Where the token endpoint is mounted.
const TOKEN_PATH: &str = "/oauth/token";

/// The actix request as the surface reads it, under the mount point `prefix`; the body
/// read up to what `limit` says for its method and path.
async fn read(
    prefix: &str,
    request: &HttpRequest,
    payload: web::Payload,
    trusted: &[std::net::IpAddr],
    limit: impl FnOnce(&Method, &str) -> Option<usize>,
) -> Request {
    let method = Method::parse(request.method().as_str());
    let path = request.match_info().unprocessed().to_owned();
    let mut headers = Headers::new();
    for (name, value) in request.headers() {
        headers.append(name.as_str(), value.as_bytes());
    }
    let body = match limit(&method, &path) {
        None => Body::Bytes(Vec::new()),
        Some(limit) => read_body(request, payload, limit).await,
    };
    let peer = request.peer_addr().map(|address| address.ip());
    let (scheme, host) = origin(request, peer, trusted);
    // The path up to the mount point, so a nested mount keeps its prefix.
    let raw = request.path();
    let mount = match raw.find(prefix) {
        Some(at) => &raw[..at + prefix.len()],
        None => prefix,
    };
    Request {
        method,
        path,
        query: request.query_string().to_owned(),
        headers,
        body,
        base_url: format!("{scheme}://{host}{mount}"),
        peer,
    }
}

/// The scheme and host the client addressed: from `Forwarded` / `X-Forwarded-*` only when
/// the connection comes from one of the operator's `trusted` proxies (anyone else could
/// make the URLs Rollcall answers, `meta.location` and the advertised token endpoint,
/// point elsewhere); otherwise the connection's own scheme and its `Host`.
fn origin(
    request: &HttpRequest,
    peer: Option<std::net::IpAddr>,
    trusted: &[std::net::IpAddr],
) -> (String, String) {
    if peer.is_some_and(|peer| trusted.contains(&peer)) {
        let info = request.connection_info();
        return (info.scheme().to_owned(), info.host().to_owned());
    }
    let config = request.app_config();
    let scheme = if config.secure() { "https" } else { "http" };
    let host = request
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        })
        .unwrap_or_else(|| config.host());
    (scheme.to_owned(), host.to_owned())
}

/// The body, up to `limit` bytes.
async fn read_body(request: &HttpRequest, payload: web::Payload, limit: usize) -> Body {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Body::TooLarge;
    }
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Body::Bytes(bytes.into()),
        Ok(Err(_)) => Body::Unreadable,
        Err(_) => Body::TooLarge,
    }
}

/// The surface's response as actix's (a streamed body written as it is produced).
pub(crate) fn respond(response: Response) -> HttpResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut built = HttpResponse::build(status);
    for (name, value) in &response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            built.append_header((name, value));
        }
    }
    match response.stream {
        Some(stream) => built.streaming(stream),
        None => built.body(response.body),
    }
}
