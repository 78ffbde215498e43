//! `GET /admin/v1/access/review` (PRODUCT.md §4), on every test database: every user with a
//! role and why, as CSV or JSON, read a page of users at a time. The CSV parses, and every
//! row agrees with explain; the rows are exactly the (user, resource) pairs explain gives a
//! role; JSON says the same, when it started, and that it is complete; bad requests are
//! refused before anything is streamed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

#[macro_use]
mod common;

use std::collections::BTreeMap;

use common::{Harness, code, group, user};
use rollcall_store::TokenKind;
use rollcall_store::testing::TestDb;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// An admin request with `admin`: `(status, body)`.
macro_rules! admin {
    ($app:expr, $admin:expr, $method:expr, $uri:expr, $body:expr) => {{
        let (status, body, _) = call!($app, common::admin($method, $uri, Some($admin), $body));
        (status, body)
    }};
}

/// GET `uri` with `accept`: status, content type, `review-started-at`, body text.
macro_rules! raw_get {
    ($app:expr, $admin:expr, $uri:expr, $accept:expr) => {{
        let mut request = common::admin("GET", $uri, Some($admin), None);
        if let Some(accept) = $accept {
            request = request.insert_header(("accept", accept));
        }
        let response = actix_web::test::call_service(&$app, request.to_request()).await;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        let (content_type, started) = (header("content-type"), header("review-started-at"));
        let bytes = actix_web::test::read_body(response).await;
        (
            status,
            content_type,
            started,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }};
}

/// One contribution of explain's JSON as the review's CSV writes it.
fn contribution_text(contribution: &Value) -> String {
    let text = |key: &str| contribution[key].as_str().unwrap_or_default().to_owned();
    let chain = || {
        contribution["chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(">")
    };
    let what = match text("kind").as_str() {
        "direct" => format!("direct:{}", text("grant_id")),
        "group" => format!("group:{} via {}", text("grant_id"), chain()),
        "rule" => format!("rule:{} via {}", text("rule_id"), chain()),
        "attribute_rule" => format!(
            "attribute_rule:{} by {}",
            text("rule_id"),
            text("attribute")
        ),
        "team_access" => format!(
            "team_access:{}({})",
            text("team_access"),
            text("workspace_role")
        ),
        "org_owner" => "org_owner".to_owned(),
        other => panic!("unknown kind {other}"),
    };
    let star = if contribution["winner"] == true {
        "*"
    } else {
        ""
    };
    format!("{star}{what}={}", text("role"))
}

#[actix_web::test]
async fn the_review_lists_every_role_and_agrees_with_explain() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app_with_admin!(h);
        let (_, admin) = h.token(&h.a.org_id, TokenKind::Admin, None);
        let scim = h.a.token.clone();

        // People: ann (eng, nested in staff), bob (sales), carl (Sales department), dan
        // (suspended, in eng), eve (org owner), fay (nothing), "=evil" (a formula-like name).
        let ann = create!(app, &scim, "Users", user("ann"));
        let bob = create!(app, &scim, "Users", user("bob"));
        let carl = create!(
            app,
            &scim,
            "Users",
            json!({"schemas": [common::USER, ENTERPRISE], "userName": "carl",
                   ENTERPRISE: {"department": "Sales"}})
        );
        let mut suspended = user("dan");
        suspended["active"] = json!(false);
        let dan = create!(app, &scim, "Users", suspended);
        let eve = create!(app, &scim, "Users", user("eve"));
        let fay = create!(app, &scim, "Users", user("fay"));
        let evil = create!(app, &scim, "Users", user("=HYPERLINK(\"x\")"));
        let eng = create!(app, &scim, "Groups", group("eng", &[&ann, &dan, &evil]));
        let _staff = create!(app, &scim, "Groups", group("staff", &[&eng]));
        let _sales = create!(app, &scim, "Groups", group("sales-team", &[&bob]));
        let users = [&ann, &bob, &carl, &dan, &eve, &fay, &evil];

        let mut resources = Vec::new();
        let mut folder_ids = Vec::new();
        for name in ["department_eng", "sales-na"] {
            let (status, ws) = admin!(
                app,
                &admin,
                "POST",
                "/admin/v1/workspaces",
                Some(json!({"name": name}))
            );
            assert_eq!(status, 201, "{label}: {ws}");
            let id = ws["id"].as_str().unwrap().to_owned();
            resources.push(format!("workspace:{id}"));
            for (folder, team_access) in
                [("Open", "everyone:participant"), ("Private", "invite_only")]
            {
                let (status, created) = admin!(
                    app,
                    &admin,
                    "POST",
                    &format!("/admin/v1/workspaces/{id}/folders"),
                    Some(json!({"name": folder, "team_access": team_access}))
                );
                assert_eq!(status, 201, "{label}: {created}");
                let folder = created["id"].as_str().unwrap().to_owned();
                resources.push(format!("folder:{folder}"));
                folder_ids.push(folder);
            }
        }
        let (eng_ws, sales_ws) = (resources[0].clone(), resources[3].clone());
        let grants = [
            json!({"principal": {"type": "group", "id": eng}, "resource": {"type": "workspace", "id": &eng_ws[10..]}, "role": "editor"}),
            json!({"principal": {"type": "user", "id": ann}, "resource": {"type": "folder", "id": folder_ids[1]}, "role": "viewer"}),
            json!({"principal": {"type": "user", "id": bob}, "resource": {"type": "workspace", "id": &eng_ws[10..]}, "role": "viewer"}),
        ];
        for grant in grants {
            let (status, reply) = admin!(app, &admin, "POST", "/admin/v1/grants", Some(grant));
            assert_eq!(status, 201, "{label}: {reply}");
        }
        for rule in [
            json!({"group": "sales-*", "workspaces": "sales-*", "role": "collaborator"}),
            json!({"group": "staff", "workspaces": "*", "role": "viewer"}),
            json!({"filter": format!("{ENTERPRISE}:department eq \"Sales\""), "workspaces": "sales-*", "role": "maintainer"}),
        ] {
            let (status, reply) = admin!(app, &admin, "POST", "/admin/v1/rules", Some(rule));
            assert_eq!(status, 201, "{label}: {reply}");
        }
        let (status, reply, _) = patch_org!(app, &admin, json!({"owners": [eve]}));
        assert_eq!(status, 200, "{label}: {reply}");

        // What explain says of every (user, resource).
        let mut expected: BTreeMap<(String, String), (String, Vec<String>)> = BTreeMap::new();
        for user in users {
            for resource in &resources {
                let (status, why) = admin!(
                    app,
                    &admin,
                    "GET",
                    &format!("/admin/v1/access?user={user}&resource={resource}"),
                    None
                );
                assert_eq!(status, 200, "{label}: {why}");
                if let Some(role) = why["role"].as_str() {
                    let contributions = why["contributions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(contribution_text)
                        .collect();
                    expected.insert(
                        (user.to_string(), resource.clone()),
                        (role.to_owned(), contributions),
                    );
                }
            }
        }
        assert!(
            expected.len() >= 10,
            "{label}: a varied world: {expected:?}"
        );
        assert!(
            expected
                .keys()
                .all(|(user, _)| *user != dan && *user != fay),
            "{label}"
        );

        // CSV, two users a page: parses, and agrees with explain row for row.
        let (status, content_type, started, text) = raw_get!(
            app,
            &admin,
            "/admin/v1/access/review?page_size=2",
            Some("text/csv")
        );
        assert_eq!(status, 200, "{label}: {text}");
        assert_eq!(content_type.as_deref(), Some("text/csv; charset=utf-8"));
        assert!(
            started.is_some(),
            "{label}: the review says when it started"
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            [
                "user_id",
                "user_name",
                "resource",
                "resource_name",
                "role",
                "contributions",
                "page"
            ]
        );
        let mut found = BTreeMap::new();
        let mut pages = std::collections::BTreeSet::new();
        for record in reader.records() {
            let record = record.unwrap_or_else(|error| panic!("{label}: {error}\n{text}"));
            let key = (record[0].to_owned(), record[2].to_owned());
            let contributions: Vec<String> = record[5].split("; ").map(str::to_owned).collect();
            if record[0] == evil {
                assert_eq!(&record[1], "'=HYPERLINK(\"x\")", "{label}: defused");
            }
            pages.insert(record[6].parse::<usize>().unwrap());
            assert!(
                found
                    .insert(key.clone(), (record[4].to_owned(), contributions))
                    .is_none(),
                "{label}: {key:?} twice"
            );
        }
        assert_eq!(
            found, expected,
            "{label}: the review is explain, row for row"
        );
        assert!(pages.len() >= 3, "{label}: read in pages: {pages:?}");

        // JSON: the same rows, the start, how it was read, and complete.
        let (status, content_type, _, text) =
            raw_get!(app, &admin, "/admin/v1/access/review", None::<&str>);
        assert_eq!(status, 200, "{label}: {text}");
        assert_eq!(content_type.as_deref(), Some("application/json"));
        let document: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(document["complete"], true, "{label}");
        assert!(document["started_at"].is_string(), "{label}");
        assert!(
            document["consistency"]
                .as_str()
                .unwrap()
                .contains("each page"),
            "{label}"
        );
        let from_json: BTreeMap<(String, String), (String, Vec<String>)> = document["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    (
                        row["user"].as_str().unwrap().to_owned(),
                        row["resource"].as_str().unwrap().to_owned(),
                    ),
                    (
                        row["role"].as_str().unwrap().to_owned(),
                        row["contributions"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(contribution_text)
                            .collect(),
                    ),
                )
            })
            .collect();
        assert_eq!(from_json, expected, "{label}: JSON says the same");

        // One resource only.
        let (status, _, _, text) = raw_get!(
            app,
            &admin,
            &format!("/admin/v1/access/review?resource={sales_ws}"),
            Some("application/json")
        );
        assert_eq!(status, 200, "{label}: {text}");
        let document: Value = serde_json::from_str(&text).unwrap();
        let only: Vec<(String, String)> = document["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["user"].as_str().unwrap().to_owned(),
                    row["resource"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let wanted: Vec<(String, String)> = expected
            .keys()
            .filter(|(_, resource)| *resource == sales_ws)
            .cloned()
            .collect();
        let mut sorted = only.clone();
        sorted.sort();
        assert_eq!(sorted, wanted, "{label}");

        // Refused before anything is streamed.
        for (uri, accept, status, error) in [
            (
                "/admin/v1/access/review",
                Some("text/html"),
                406,
                "not_acceptable",
            ),
            (
                "/admin/v1/access/review?page_size=0",
                None,
                400,
                "invalid_request",
            ),
            (
                "/admin/v1/access/review?page_size=x",
                None,
                400,
                "invalid_request",
            ),
            (
                "/admin/v1/access/review?page_size=5001",
                None,
                400,
                "invalid_request",
            ),
            (
                "/admin/v1/access/review?color=red",
                None,
                400,
                "invalid_request",
            ),
            (
                "/admin/v1/access/review?resource=workspace:nope",
                None,
                404,
                "not_found",
            ),
            (
                "/admin/v1/access/review?resource=nope",
                None,
                400,
                "invalid_request",
            ),
            (
                "/admin/v1/access/review?page_size=1&page_size=2",
                None,
                400,
                "invalid_request",
            ),
        ] {
            let (got, _, _, text) = raw_get!(app, &admin, uri, accept);
            assert_eq!(got, status, "{label}: {uri}: {text}");
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(code(&body), error, "{label}: {uri}: {text}");
        }
        let (got, _) = admin!(app, &admin, "POST", "/admin/v1/access/review", None);
        assert_eq!(got, 405, "{label}");
        // HEAD as GET (the server leaves the body out).
        let response = actix_web::test::call_service(
            &app,
            common::admin("HEAD", "/admin/v1/access/review", Some(&admin), None).to_request(),
        )
        .await;
        assert_eq!(response.status().as_u16(), 200, "{label}");
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/json",
            "{label}"
        );
    }
}
