//! The console's security (PRODUCT.md §8), through actix on every test database: the
//! session cookie's flags, CSRF on every form, the content security policy, one
//! organization's admin seeing nothing of another's, every SCIM-supplied string escaped,
//! and its actions on the audit trail with the admin credential as actor.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::dev::ServiceResponse;
use actix_web::test::TestRequest;
use common::{Harness, group, user};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;

/// What a console answer came to.
struct Page {
    status: u16,
    headers: actix_web::http::header::HeaderMap,
    body: String,
}

/// Read a console answer whole.
async fn read<B: actix_web::body::MessageBody>(response: ServiceResponse<B>) -> Page {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = String::from_utf8(actix_web::test::read_body(response).await.to_vec()).unwrap();
    Page {
        status,
        headers,
        body,
    }
}

/// Send `request` to `app` and read the answer.
macro_rules! page {
    ($app:expr, $request:expr $(,)?) => {{
        let request = $request.to_request();
        async { read(actix_web::test::call_service($app, request).await).await }
    }};
}

/// The value of the hidden `csrf` field of the first form in `html`.
fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

/// A GET of `uri` in the session whose cookie is `session`.
fn get_page(uri: &str, session: &str) -> TestRequest {
    TestRequest::get()
        .uri(uri)
        .insert_header(("cookie", session.to_owned()))
}

/// A POST of `form` to `uri` in the session whose cookie is `session`.
fn post_form(uri: &str, session: &str, form: impl serde::Serialize) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .insert_header(("cookie", session.to_owned()))
        .set_form(form)
}

/// The `name=value` of each `Set-Cookie`.
fn cookies(page: &Page) -> Vec<String> {
    page.headers
        .get_all("set-cookie")
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

/// Sign in with `token` from `peer`: the `Cookie` header of the session.
macro_rules! sign_in {
    ($app:expr, $token:expr) => {{
        let app = $app;
        let token: &str = $token;
        let form = page!(app, TestRequest::get().uri("/console/sign-in")).await;
        let pre = cookies(&form)[0].split(';').next().unwrap().to_owned();
        let signed = page!(
            app,
            TestRequest::post()
                .uri("/console/sign-in")
                .insert_header(("cookie", pre))
                .set_form([("csrf", csrf(&form.body)), ("token", token.to_owned())]),
        )
        .await;
        assert_eq!(signed.status, 303, "{}", signed.body);
        let session = cookies(&signed)
            .into_iter()
            .find(|cookie| cookie.starts_with("rollcall_console="))
            .unwrap();
        session.split(';').next().unwrap().to_owned()
    }};
}

macro_rules! console_app {
    ($harness:expr) => {{
        let (scim, console) = (
            $harness.state.clone(),
            rollcall_http::Console::new($harness.state.clone()),
        );
        actix_web::test::init_service(
            actix_web::App::new()
                .configure(move |config| rollcall_http::configure(config, scim))
                .configure(move |config| rollcall_http::configure_console(config, console)),
        )
        .await
    }};
}

#[actix_web::test]
async fn cookies_csrf_policy_tenancy_escaping_and_the_trail() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = console_app!(h);
        let (admin_id, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let hostile = "<script>alert(1)</script>";
        let ann = create!(app, &h.a.token, "Users", user(hostile));
        let _staff = create!(
            app,
            &h.a.token,
            "Groups",
            group("<img src=x onerror=alert(2)>", &[&ann])
        );
        let other = h.tenant("Other");
        let (_, other_admin) = h.token(&other.org_id, TokenKind::Admin, None);
        let theirs = create!(app, &other.token, "Users", user("bea@other.example"));

        // Signed out: every page sends the browser to sign in; a POST is refused.
        let away = page!(&app, TestRequest::get().uri("/console/overview")).await;
        assert_eq!(
            (
                away.status,
                away.headers.get("location").unwrap().to_str().unwrap()
            ),
            (303, "/console/sign-in")
        );
        let post = page!(
            &app,
            TestRequest::post()
                .uri("/console/tokens")
                .set_form([("name", "x")])
        )
        .await;
        assert_eq!(post.status, 403, "{label}");

        // The sign-in form: its own double-submit cookie, and the policy on every answer.
        let form = page!(&app, TestRequest::get().uri("/console/sign-in")).await;
        let policy = form
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        let script_src = policy
            .split(';')
            .find(|part| part.trim().starts_with("script-src"))
            .unwrap();
        assert!(
            !script_src.contains("unsafe-inline") && !script_src.contains("unsafe-eval"),
            "{policy}"
        );
        assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"));
        assert!(
            !form.body.contains("<script>") && !form.body.contains(" style="),
            "no inline script or style"
        );
        // A sign-in without its form's token, or with a SCIM token, is refused.
        let forged = page!(
            &app,
            TestRequest::post()
                .uri("/console/sign-in")
                .set_form([("csrf", "x"), ("token", admin_token.as_str())]),
        )
        .await;
        assert_eq!(forged.status, 403);
        let pre = cookies(&form)[0].split(';').next().unwrap().to_owned();
        let scim_token = page!(
            &app,
            TestRequest::post()
                .uri("/console/sign-in")
                .insert_header(("cookie", pre))
                .set_form([("csrf", csrf(&form.body)), ("token", h.a.token.clone())]),
        )
        .await;
        assert_eq!(
            scim_token.status, 401,
            "{label}: a SCIM token signs nobody in"
        );

        // The session cookie: HttpOnly, SameSite=Strict, scoped to the console; Secure only
        // over TLS (here a trusted proxy's X-Forwarded-Proto would be needed).
        let form = page!(&app, TestRequest::get().uri("/console/sign-in")).await;
        let pre = cookies(&form)[0].split(';').next().unwrap().to_owned();
        let signed = page!(
            &app,
            TestRequest::post()
                .uri("/console/sign-in")
                .insert_header(("cookie", pre))
                .set_form([("csrf", csrf(&form.body)), ("token", admin_token.clone())]),
        )
        .await;
        let session_cookie = cookies(&signed)
            .into_iter()
            .find(|c| c.starts_with("rollcall_console="))
            .unwrap();
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
            assert!(session_cookie.contains(flag), "{session_cookie}");
        }
        assert!(
            !session_cookie.contains("Secure"),
            "plain HTTP: {session_cookie}"
        );
        assert!(
            !session_cookie.contains(&admin_token),
            "the token stays on the server"
        );
        let session = session_cookie.split(';').next().unwrap().to_owned();

        // Escaping: the hostile names render as text, on every page that shows them.
        for uri in [
            "/console/directory".to_owned(),
            format!("/console/directory/users/{ann}"),
            "/console/directory?kind=groups".to_owned(),
            "/console/access".to_owned(),
        ] {
            let shown = page!(&app, get_page(&uri, &session)).await;
            assert_eq!(shown.status, 200, "{label} {uri}");
            assert!(
                !shown.body.contains("<script>alert") && !shown.body.contains("<img src=x"),
                "{label} {uri}"
            );
        }
        let listed = page!(&app, get_page("/console/directory", &session)).await;
        assert!(
            listed
                .body
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{label}"
        );

        // CSRF: a form without the session's token changes nothing.
        for body in [
            vec![("name", "forged")],
            vec![("name", "forged"), ("csrf", "0000")],
        ] {
            let refused = page!(&app, post_form("/console/tokens", &session, body),).await;
            assert_eq!(refused.status, 403, "{label}");
        }
        let tokens = h
            .store
            .read(|tx| tx.tokens().list(&h.a.org_id, None))
            .unwrap();
        assert!(
            tokens
                .iter()
                .all(|token| token.name.as_deref() != Some("forged")),
            "{label}"
        );

        // With it: a SCIM token created, shown once, recorded with the admin as actor.
        let overview = page!(&app, get_page("/console/overview", &session)).await;
        let created = page!(
            &app,
            post_form(
                "/console/tokens",
                &session,
                [
                    ("csrf", csrf(&overview.body)),
                    ("name", "okta-prod".to_owned())
                ]
            ),
        )
        .await;
        assert_eq!(created.status, 201, "{label}: {}", created.body);
        assert!(
            created.body.contains("rc_scim_"),
            "{label}: the new token is shown"
        );
        let again = page!(&app, get_page("/console/overview", &session)).await;
        assert!(!again.body.contains("rc_scim_"), "{label}: and only once");
        let records = h.records(Some("scim_token.create"));
        let record = records.last().expect("a scim_token.create record");
        assert_eq!(record.actor, format!("admin:{admin_id}"), "{label}");

        // Tenancy: nothing of the other organization, not even by id.
        let mine = page!(&app, get_page("/console/directory", &session)).await;
        assert!(
            !mine.body.contains("bea@other.example") && !mine.body.contains(&theirs),
            "{label}"
        );
        let foreign = page!(
            &app,
            get_page(&format!("/console/directory/users/{theirs}"), &session),
        )
        .await;
        assert_eq!(foreign.status, 404, "{label}");
        assert!(!foreign.body.contains("bea@other.example"));
        let why = page!(
            &app,
            TestRequest::get()
                .uri(&format!(
                    "/console/access/why?user={theirs}&resource=workspace:x"
                ))
                .insert_header(("cookie", session.clone())),
        )
        .await;
        assert_eq!(why.status, 404, "{label}");
        // The other organization's admin sees its own user, and none of ours.
        let other_session = sign_in!(&app, &other_admin);
        let theirs_page = page!(
            &app,
            TestRequest::get()
                .uri("/console/directory")
                .insert_header(("cookie", other_session))
        )
        .await;
        assert!(
            theirs_page.body.contains("bea@other.example")
                && !theirs_page.body.contains("alert(1)"),
            "{label}"
        );

        // A revoked admin token ends its sessions at their next request.
        h.revoke(&h.a.org_id, &admin_id);
        let ended = page!(&app, get_page("/console/overview", &session)).await;
        assert_eq!(ended.status, 303, "{label}");
        assert_eq!(
            ended.headers.get("location").unwrap(),
            "/console/sign-in?ended=1"
        );
        let gone = page!(
            &app,
            TestRequest::get()
                .uri("/console/overview")
                .insert_header(("cookie", session))
        )
        .await;
        assert_eq!(
            gone.headers.get("location").unwrap(),
            "/console/sign-in",
            "{label}: the session is closed"
        );
    }
}

#[actix_web::test]
async fn the_session_cookie_is_secure_behind_a_trusted_tls_proxy() {
    let mut h = Harness::new(TestDb::sqlite());
    let proxy: std::net::IpAddr = "10.0.0.9".parse().unwrap();
    h.state = rollcall_app::App::new(
        h.store.clone(),
        rollcall_app::ScimConfig {
            trusted_proxies: vec![proxy],
            ..h.state.config().clone()
        },
    );
    let app = console_app!(h);
    let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);
    let via_proxy = |request: TestRequest| {
        request
            .peer_addr("10.0.0.9:4000".parse().unwrap())
            .insert_header(("x-forwarded-proto", "https"))
            .insert_header(("x-forwarded-for", "203.0.113.7"))
    };
    let form = page!(&app, via_proxy(TestRequest::get().uri("/console/sign-in"))).await;
    assert!(
        cookies(&form)[0].contains("; Secure"),
        "{:?}",
        cookies(&form)
    );
    let pre = cookies(&form)[0].split(';').next().unwrap().to_owned();
    let signed = page!(
        &app,
        via_proxy(
            TestRequest::post()
                .uri("/console/sign-in")
                .insert_header(("cookie", pre))
                .set_form([("csrf", csrf(&form.body)), ("token", admin_token)]),
        ),
    )
    .await;
    let session = cookies(&signed)
        .into_iter()
        .find(|c| c.starts_with("rollcall_console="))
        .unwrap();
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    // Not from an untrusted peer claiming TLS.
    let form = page!(
        &app,
        TestRequest::get()
            .uri("/console/sign-in")
            .peer_addr("198.51.100.1:4000".parse().unwrap())
            .insert_header(("x-forwarded-proto", "https")),
    )
    .await;
    assert!(!cookies(&form)[0].contains("Secure"));
}

#[actix_web::test]
async fn forged_sign_in_tokens_big_forms_wrong_methods_and_rotation() {
    let h = Harness::new(TestDb::sqlite());
    let app = console_app!(h);
    let (_, admin_token) = h.token(&h.a.org_id, TokenKind::Admin, None);

    // A sign-in token the client made up (a planted cookie and the same value in the form)
    // signs nobody in.
    let forged = page!(
        &app,
        TestRequest::post()
            .uri("/console/sign-in")
            .insert_header(("cookie", "rollcall_console_sign_in=abc.def"))
            .set_form([("csrf", "abc.def"), ("token", admin_token.as_str())]),
    )
    .await;
    assert_eq!(forged.status, 403);
    let session = sign_in!(&app, &admin_token);

    // A form past 64 KiB: 413, not a misleading CSRF refusal; nothing created.
    let overview = page!(&app, get_page("/console/overview", &session)).await;
    let csrf_token = csrf(&overview.body);
    let big = page!(
        &app,
        post_form(
            "/console/tokens",
            &session,
            [("csrf", csrf_token.clone()), ("name", "x".repeat(70_000))]
        ),
    )
    .await;
    assert_eq!(big.status, 413, "{}", big.body);
    // A name the API refuses (too long, or with a control character): 400, nothing created.
    for name in ["n".repeat(201), "red\u{1b}[31m".to_owned()] {
        let refused = page!(
            &app,
            post_form(
                "/console/tokens",
                &session,
                [("csrf", csrf_token.clone()), ("name", name)]
            ),
        )
        .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
    }

    // Wrong methods on console pages: 405 with Allow; bad inputs: 400.
    let cases: &[(&str, &str, u16, Option<&str>)] = &[
        ("PUT", "/console/overview", 405, Some("GET, HEAD")),
        ("GET", "/console/tokens", 405, Some("POST")),
        ("DELETE", "/console/sign-in", 405, Some("GET, HEAD, POST")),
        ("GET", "/console/access/why", 400, None),
        ("GET", "/console/access/who", 400, None),
        ("GET", "/console/directory?kind=evil", 400, None),
        ("GET", "/console/directory?start=0", 400, None),
        ("GET", "/console/audit/export?cursor=abc", 400, None),
        ("GET", "/console/nowhere", 404, None),
    ];
    for (method, uri, status, allow) in cases {
        let answer = page!(
            &app,
            TestRequest::default()
                .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
                .uri(uri)
                .insert_header(("cookie", session.clone())),
        )
        .await;
        assert_eq!(answer.status, *status, "{method} {uri}");
        if let Some(allow) = allow {
            assert_eq!(
                answer.headers.get("allow").unwrap(),
                allow,
                "{method} {uri}"
            );
        }
        assert!(
            answer.headers.get("content-security-policy").is_some(),
            "{method} {uri}"
        );
    }

    // Rotation keeps the name and the expiry, and a revoked token is not rotated again.
    let created = page!(
        &app,
        post_form(
            "/console/tokens",
            &session,
            [
                ("csrf", csrf_token.clone()),
                ("name", "short-lived".to_owned()),
                ("expires_in_days", "5".to_owned()),
            ]
        ),
    )
    .await;
    assert_eq!(created.status, 201);
    let tokens = |store: &rollcall_store::Store| {
        store
            .read(|tx| tx.tokens().list(&h.a.org_id, Some(TokenKind::Scim)))
            .unwrap()
    };
    let old = tokens(&h.store)
        .into_iter()
        .find(|t| t.name.as_deref() == Some("short-lived"))
        .unwrap();
    let rotate = |id: String| {
        post_form(
            &format!("/console/tokens/{id}/rotate"),
            &session,
            [("csrf", csrf_token.clone())],
        )
    };
    let rotated = page!(&app, rotate(old.id.clone())).await;
    assert_eq!(rotated.status, 201, "{}", rotated.body);
    let after = tokens(&h.store);
    let successor = after
        .iter()
        .find(|t| t.name.as_deref() == Some("short-lived") && t.id != old.id)
        .unwrap();
    // The expiry is kept (to the second, as the API shows it).
    let kept = successor.expires_at.unwrap() - old.expires_at.unwrap();
    assert!(kept.num_milliseconds().abs() < 1000, "{kept}");
    assert!(
        after
            .iter()
            .find(|t| t.id == old.id)
            .unwrap()
            .revoked_at
            .is_some()
    );
    let again = page!(&app, rotate(old.id.clone())).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(
        tokens(&h.store).len(),
        after.len(),
        "no token made by a second rotation"
    );

    // An OAuth client rotates the same way: a new client of the same name, the old one
    // revoked, a second rotation refused.
    let created = page!(
        &app,
        post_form(
            "/console/oauth-clients",
            &session,
            [("csrf", csrf_token.as_str()), ("name", "entra")]
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let clients =
        |store: &rollcall_store::Store| store.read(|tx| tx.oauth().list(&h.a.org_id)).unwrap();
    let first = clients(&h.store).into_iter().next().unwrap();
    let rotate_client = |id: &str| {
        post_form(
            &format!("/console/oauth-clients/{id}/rotate"),
            &session,
            [("csrf", csrf_token.as_str())],
        )
    };
    let rotated = page!(&app, rotate_client(&first.id)).await;
    assert_eq!(rotated.status, 201, "{}", rotated.body);
    assert!(
        rotated.body.contains("rc_csecret_"),
        "the new secret is shown once"
    );
    let now = clients(&h.store);
    assert_eq!(now.len(), 2);
    assert!(
        now.iter()
            .any(|c| c.id == first.id && c.revoked_at.is_some())
    );
    assert!(
        now.iter().any(|c| c.id != first.id
            && c.name.as_deref() == Some("entra")
            && c.revoked_at.is_none())
    );
    assert_eq!(page!(&app, rotate_client(&first.id)).await.status, 409);
}
