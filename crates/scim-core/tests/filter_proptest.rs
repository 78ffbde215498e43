//! Properties: printing then parsing any filter tree gives the same tree
//! (spans aside), and no input makes the parser, resolver or evaluator panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use scim_core::filter::{CompareOp, Filter, Literal, Span, parse, resolve};
use scim_core::{AttrPath, SchemaRegistry};
use serde_json::json;

fn attr_path() -> impl Strategy<Value = AttrPath> {
    let name = "[a-zA-Z][a-zA-Z0-9_-]{0,6}";
    let urn = prop_oneof![
        Just(None),
        Just(Some("urn:ietf:params:scim:schemas:core:2.0:User")),
        Just(Some(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        )),
        Just(Some("urn:x:y")),
    ];
    (urn, name, proptest::option::of(name)).prop_map(|(urn, name, sub)| AttrPath {
        urn: urn.map(str::to_owned),
        name,
        sub_attr: sub,
    })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        // Any string but one holding NUL, which no value may hold (a NUL is its own error).
        any::<String>()
            .prop_map(|s| { Literal::String(s.chars().filter(|c| *c != '\0').take(12).collect()) }),
        // ASCII, control characters included, but NUL.
        "[\\x01-\\x7f]{0,8}".prop_map(Literal::String),
        any::<i64>().prop_map(|n| Literal::Number(n.into())),
        any::<u64>().prop_map(|n| Literal::Number(n.into())),
        (proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL)
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Literal::Number),
        any::<bool>().prop_map(Literal::Bool),
        Just(Literal::Null),
    ]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn attribute_expression() -> impl Strategy<Value = Filter> {
    prop_oneof![
        (attr_path(), compare_op(), literal()).prop_map(|(path, op, value)| Filter::Compare {
            path,
            path_span: Span::EMPTY,
            op,
            value,
            value_span: Span::EMPTY,
            span: Span::EMPTY,
        }),
        attr_path().prop_map(|path| Filter::Present {
            path,
            path_span: Span::EMPTY,
            span: Span::EMPTY,
        }),
    ]
}

/// `not`, `and`, `or` over `leaf`, at most `depth` levels.
fn logical(leaf: BoxedStrategy<Filter>, depth: u32) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| Filter::Not {
                filter: Box::new(f),
                span: Span::EMPTY,
            }),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|operands| Filter::And {
                operands,
                span: Span::EMPTY,
            }),
            prop::collection::vec(inner, 2..4).prop_map(|operands| Filter::Or {
                operands,
                span: Span::EMPTY,
            }),
        ]
    })
    .boxed()
}

fn filter() -> impl Strategy<Value = Filter> {
    let value_path =
        (attr_path(), logical(attribute_expression().boxed(), 2)).prop_map(|(path, inner)| {
            Filter::ValuePath {
                path,
                path_span: Span::EMPTY,
                filter: Box::new(inner),
                span: Span::EMPTY,
            }
        });
    let leaf = prop_oneof![3 => attribute_expression(), 1 => value_path].boxed();
    logical(leaf, 4)
}

/// Token soup: far more likely than random text to get deep into the parser.
fn filterish_text() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "(",
        ")",
        "[",
        "]",
        "not",
        "NOT",
        "and",
        "or",
        "eq",
        "pr",
        "gt",
        "\"",
        "\\",
        "\"x\"",
        "a",
        "emails",
        "emails.type",
        "userName",
        "urn:a:b",
        "1",
        "-",
        "1.5e3",
        "01",
        "true",
        "null",
        " ",
        " ",
        "\t",
        "é",
    ]);
    prop::collection::vec(token, 0..60).prop_map(|tokens| tokens.concat())
}

fn fixed_user() -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1",
        "userName": "bjensen",
        "active": true,
        "title": "",
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
        "meta": {"created": "2011-05-13T04:42:34Z"},
    })
}

/// Filters over real User attributes, with literals of every kind: many
/// resolve, so the resolver and the evaluator get exercised too.
fn user_filter() -> impl Strategy<Value = Filter> {
    let path = prop::sample::select(vec![
        "userName",
        "USERNAME",
        "title",
        "active",
        "emails",
        "emails.type",
        "emails.value",
        "emails.primary",
        "name",
        "name.givenName",
        "meta.created",
        "meta.lastModified",
        "id",
        "schemas",
        "x509Certificates",
        "nope",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ])
    .prop_map(|p| AttrPath::parse(p).unwrap());
    let value = prop_oneof![
        prop::sample::select(vec![
            "bjensen",
            "BJ",
            "work",
            "",
            "2011-05-13T04:42:34Z",
            "x@example.com"
        ])
        .prop_map(|s| Literal::String(s.to_owned())),
        literal(),
    ];
    let leaf = prop_oneof![
        (path.clone(), compare_op(), value).prop_map(|(path, op, value)| Filter::Compare {
            path,
            path_span: Span::EMPTY,
            op,
            value,
            value_span: Span::EMPTY,
            span: Span::EMPTY,
        }),
        path.prop_map(|path| Filter::Present {
            path,
            path_span: Span::EMPTY,
            span: Span::EMPTY,
        }),
    ];
    logical(leaf.boxed(), 3)
}

proptest! {
    #[test]
    fn resolved_filters_evaluate_consistently(filter in user_filter()) {
        let registry = SchemaRegistry::standard();
        let users = registry.resource_type("User").unwrap();
        if let Ok(resolved) = resolve(&registry, users, &filter) {
            let user = fixed_user();
            let negated = Filter::Not { filter: Box::new(filter.clone()), span: Span::EMPTY };
            let resolved_negation = resolve(&registry, users, &negated).unwrap();
            prop_assert_eq!(resolved_negation.matches(&user), !resolved.matches(&user));
            let empty = json!({});
            prop_assert_ne!(resolved.matches(&empty), resolved_negation.matches(&empty));
        }
    }

    #[test]
    fn printing_then_parsing_gives_the_same_tree(filter in filter()) {
        let text = filter.to_string();
        let parsed = parse(&text);
        prop_assert!(parsed.is_ok(), "{text:?}: {parsed:?}");
        let parsed = parsed.unwrap();
        prop_assert!(parsed.same_shape(&filter), "{text:?}\n{parsed:?}\n{filter:?}");
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn filterish_text_never_panics_and_round_trips(text in filterish_text()) {
        if let Ok(filter) = parse(&text) {
            let printed = filter.to_string();
            let reparsed = parse(&printed);
            prop_assert!(reparsed.as_ref().is_ok_and(|r| r.same_shape(&filter)), "{text:?} -> {printed:?}");
            let registry = SchemaRegistry::standard();
            let users = registry.resource_type("User").unwrap();
            if let Ok(resolved) = resolve(&registry, users, &filter) {
                let _ = resolved.matches(&fixed_user());
            }
        }
    }
}
