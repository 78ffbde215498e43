//! How endpoints are named: with or without a trailing slash in both dialects; in another
//! case (`/scim/v2/users`, as Microsoft's SCIM reference tests send it) served and counted
//! in the lenient dialect, a 404 in the strict one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod common;

use actix_web::http::Method;
use common::{Harness, request, user, with_json};
use rollcall_store::testing::TestDb;
use scim_core::Dialect;

fn endpoint_case(h: &Harness) -> u64 {
    h.state
        .deviation_counts()
        .into_iter()
        .find(|(name, _)| *name == "endpoint_case")
        .map_or(0, |(_, count)| count)
}

#[actix_web::test]
async fn trailing_slashes_and_the_case_of_endpoints() {
    for db in TestDb::all() {
        let h = Harness::new(db);
        let label = h.label();
        let app = app!(h);
        let ann = create!(app, &h.a.token, "Users", user("ann"));
        let trailing = [
            "/scim/v2/Users/".to_owned(),
            format!("/scim/v2/Users/{ann}/"),
            "/scim/v2/Groups/".to_owned(),
            "/scim/v2/Schemas/".to_owned(),
            "/scim/v2/ResourceTypes/".to_owned(),
            "/scim/v2/ServiceProviderConfig/".to_owned(),
        ];
        let other_case = [
            "/scim/v2/users".to_owned(),
            format!("/scim/v2/USERS/{ann}"),
            "/scim/v2/groups/".to_owned(),
            "/scim/v2/schemas".to_owned(),
            "/scim/v2/resourcetypes".to_owned(),
        ];
        for dialect in [Dialect::Lenient, Dialect::Strict] {
            h.set_dialect(&h.a.org_id, dialect);
            for uri in &trailing {
                let reply = send!(app, request(Method::GET, uri, &h.a.token));
                assert_eq!(
                    reply.status, 200,
                    "{label} {dialect:?} {uri}: {}",
                    reply.body
                );
            }
            for uri in &other_case {
                let before = endpoint_case(&h);
                let reply = send!(app, request(Method::GET, uri, &h.a.token));
                let context = format!("{label} {dialect:?} {uri}");
                match dialect {
                    Dialect::Lenient => {
                        assert_eq!(reply.status, 200, "{context}: {}", reply.body);
                        assert_eq!(endpoint_case(&h), before + 1, "{context}: counted");
                    }
                    Dialect::Strict => {
                        reply.assert_error(404, None, &context);
                        assert_eq!(endpoint_case(&h), before, "{context}: not counted");
                    }
                }
            }
        }
        // A write through another case: lenient only.
        h.set_dialect(&h.a.org_id, Dialect::Lenient);
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/users/", &h.a.token, &user("bo"))
        );
        assert_eq!(reply.status, 201, "{label}: {}", reply.body);
        h.set_dialect(&h.a.org_id, Dialect::Strict);
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/users", &h.a.token, &user("cy"))
        );
        reply.assert_error(404, None, &label);
        let reply = send!(
            app,
            with_json(Method::POST, "/scim/v2/Users/", &h.a.token, &user("cy"))
        );
        assert_eq!(reply.status, 201, "{label}: {}", reply.body);
    }
}
