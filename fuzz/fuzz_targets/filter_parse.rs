//! Fuzz the filter parser: never panic; whatever parses prints to text that
//! parses to the same tree; whatever resolves evaluates without panicking. The
//! lenient dialect's forms (Entra's `emails[type eq "work"].value eq "…"`) parse
//! without panicking too, and any text's identity key is its own key.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_core::filter::{parse, parse_in, resolve};
use scim_core::{Dialect, DialectContext, SchemaRegistry, identity};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = identity::key(text);
    assert_eq!(identity::key(&key), key, "{text:?}: a key is its own key");
    let _ = identity::check(text);
    let lenient = parse_in(text, &mut DialectContext::new(Dialect::Lenient));
    let Ok(filter) = parse(text) else {
        return;
    };
    assert!(lenient.is_ok(), "{text:?}: the lenient dialect refuses an RFC filter");
    let printed = filter.to_string();
    match parse(&printed) {
        Ok(reparsed) => assert!(
            reparsed.same_shape(&filter),
            "{text:?} printed as {printed:?} parses differently"
        ),
        Err(error) => panic!("{text:?} printed as {printed:?} does not parse: {error}"),
    }
    let registry = SchemaRegistry::standard();
    let Some(users) = registry.resource_type("User") else {
        return;
    };
    if let Ok(resolved) = resolve(&registry, users, &filter) {
        let user = serde_json::json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "bjensen",
            "userName": "Jose\u{301}.Stra\u{df}e@example.com",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "title": "Tour Guide",
            "userType": "Employee",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
            },
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z"
            }
        });
        let _ = resolved.matches(&user);
    }
});
