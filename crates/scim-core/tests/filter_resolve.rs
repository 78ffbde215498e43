//! Resolver tables: which filters mean what against the standard schemas
//! (and a custom extension), and which are 400 `invalidFilter` / `invalidPath`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use scim_core::filter::{
    AttributeLocation, AttributeScope, ResolvedAttribute, ResolvedFilter, ResolvedValue, parse,
    resolve, resolve_value_filter,
};
use scim_core::schema::{AttrType, AttributeDef, Schema, urn};
use scim_core::{AttrPath, SchemaRegistry, ScimType};
use serde_json::json;

const ENT: &str = urn::ENTERPRISE_USER;
const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";

fn registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    let acme = Schema::new(
        ACME,
        "AcmeUser",
        "",
        vec![
            AttributeDef::new("clearanceLevel", AttrType::Integer),
            AttributeDef::new("score", AttrType::Decimal),
            AttributeDef::string("tags").multi(),
            AttributeDef::date_time("hiredAt"),
        ],
    );
    registry.add_extension("User", acme, false).unwrap();
    registry
}

fn attribute(attribute: &ResolvedAttribute) -> String {
    let location = match &attribute.location {
        AttributeLocation::Common => "common".to_owned(),
        AttributeLocation::Core => "core".to_owned(),
        AttributeLocation::Extension(urn) if urn == ENT => "ent".to_owned(),
        AttributeLocation::Extension(urn) if urn == ACME => "acme".to_owned(),
        AttributeLocation::Extension(urn) => urn.clone(),
    };
    let scope = match attribute.scope {
        AttributeScope::Resource => "",
        AttributeScope::Element => "[]",
    };
    let sub = attribute
        .sub_attribute
        .as_ref()
        .map(|sub| format!(".{sub}"))
        .unwrap_or_default();
    let mut flags = vec![format!("{:?}", attribute.ty)];
    if attribute.case_exact {
        flags.push("exact".into());
    }
    if attribute.multi_valued {
        flags.push("multi".into());
    }
    format!(
        "{location}/{}{scope}{sub}<{}>",
        attribute.name,
        flags.join(",")
    )
}

/// The resolved tree as an S-expression.
fn describe(filter: &ResolvedFilter) -> String {
    let list = |head: &str, operands: &[ResolvedFilter]| {
        let inner: Vec<String> = operands.iter().map(describe).collect();
        format!("({head} {})", inner.join(" "))
    };
    match filter {
        ResolvedFilter::And(operands) => list("and", operands),
        ResolvedFilter::Or(operands) => list("or", operands),
        ResolvedFilter::Not(operand) => format!("(not {})", describe(operand)),
        ResolvedFilter::Present(attr) => format!("(pr {})", attribute(attr)),
        ResolvedFilter::Compare(comparison) => {
            let value = match &comparison.value {
                ResolvedValue::String(text) => format!("{text:?}"),
                ResolvedValue::Integer(integer) => format!("int:{integer}"),
                ResolvedValue::Decimal(decimal) => format!("dec:{decimal}"),
                ResolvedValue::Boolean(flag) => flag.to_string(),
                ResolvedValue::DateTime(instant) => instant.to_rfc3339(),
            };
            format!(
                "({} {} {value})",
                comparison.op,
                attribute(&comparison.attribute)
            )
        }
        ResolvedFilter::ValuePath(value_path) => format!(
            "({}[...] {})",
            attribute(&value_path.attribute),
            describe(&value_path.filter)
        ),
    }
}

fn resolved(rt: &str, filter: &str) -> Result<String, (ScimType, usize, String)> {
    let registry = registry();
    let rt = registry.resource_type(rt).unwrap();
    let filter = parse(filter).unwrap();
    resolve(&registry, rt, &filter)
        .map(|resolved| describe(&resolved))
        .map_err(|error| {
            assert_eq!(error.status, 400);
            (
                error.scim_type.unwrap(),
                error.span.map_or(usize::MAX, |span| span.start),
                error.detail,
            )
        })
}

#[track_caller]
fn check(rt: &str, filter: &str, expected: &str) {
    let filter = filter
        .replace("ENT:", &format!("{ENT}:"))
        .replace("ACME:", &format!("{ACME}:"));
    match resolved(rt, &filter) {
        Ok(got) => assert_eq!(got, expected, "{filter}"),
        Err(error) => panic!("{filter}: {error:?}"),
    }
}

/// An `invalidFilter` at byte `position` whose detail contains `fragment`.
#[track_caller]
fn check_error(rt: &str, filter: &str, position: usize, fragment: &str) {
    let filter = filter
        .replace("ENT:", &format!("{ENT}:"))
        .replace("ACME:", &format!("{ACME}:"));
    match resolved(rt, &filter) {
        Ok(got) => panic!("{filter}: resolved as {got}"),
        Err((scim_type, start, detail)) => {
            assert_eq!(
                (scim_type, start),
                (ScimType::InvalidFilter, position),
                "{filter}: {detail}"
            );
            assert!(
                detail.contains(fragment),
                "{filter}: {detail:?} lacks {fragment:?}"
            );
            assert!(
                detail.contains(&format!("at byte {position}")),
                "{filter}: {detail}"
            );
        }
    }
}

#[test]
fn resolves_users() {
    let u = "User";
    check(
        u,
        r#"userName eq "bjensen""#,
        r#"(eq core/userName<String> "bjensen")"#,
    );
    check(u, r#"USERNAME EQ "x""#, r#"(eq core/userName<String> "x")"#);
    check(u, r#"id eq "abc""#, r#"(eq common/id<String,exact> "abc")"#);
    check(
        u,
        r#"externalId eq "x""#,
        r#"(eq common/externalId<String,exact> "x")"#,
    );
    check(
        u,
        r#"name.familyName co "O'Malley""#,
        r#"(co core/name.familyName<String> "O'Malley")"#,
    );
    check(
        u,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        r#"(sw core/userName<String> "J")"#,
    );
    check(u, "title pr", "(pr core/title<String>)");
    check(
        u,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        "(gt common/meta.lastModified<DateTime> 2011-05-13T04:42:34+00:00)",
    );
    check(
        u,
        r#"meta.created lt "2011-05-13T04:42:34+02:00""#,
        "(lt common/meta.created<DateTime> 2011-05-13T02:42:34+00:00)",
    );
    check(
        u,
        r#"meta.created ge "2011-05-13T04:42:34.5""#,
        "(ge common/meta.created<DateTime> 2011-05-13T04:42:34.500+00:00)",
    );
    check(
        u,
        r#"meta.resourceType eq "User""#,
        r#"(eq common/meta.resourceType<String,exact> "User")"#,
    );
    check(
        u,
        &format!(r#"schemas eq "{ENT}""#),
        &format!(r#"(eq common/schemas<Reference,multi> "{ENT}")"#),
    );
    check(
        u,
        r#"Schemas sw "urn:""#,
        r#"(sw common/schemas<Reference,multi> "urn:")"#,
    );
    check(u, "schemas pr", "(pr common/schemas<Reference,multi>)");
    check(
        u,
        r#"emails co "example.com""#,
        r#"(co core/emails.value<String,multi> "example.com")"#,
    );
    check(
        u,
        r#"emails.type eq "work""#,
        r#"(eq core/emails.type<String,multi> "work")"#,
    );
    check(u, "emails pr", "(pr core/emails<Complex,multi>)");
    check(u, "name pr", "(pr core/name<Complex>)");
    check(
        u,
        r#"emails[type eq "work" and primary eq true]"#,
        r#"(core/emails<Complex,multi>[...] (and (eq core/emails[].type<String,multi> "work") (eq core/emails[].primary<Boolean,multi> true)))"#,
    );
    check(
        u,
        r#"emails[not (type eq "work")]"#,
        r#"(core/emails<Complex,multi>[...] (not (eq core/emails[].type<String,multi> "work")))"#,
    );
    check(
        u,
        "emails[display pr]",
        "(core/emails<Complex,multi>[...] (pr core/emails[].display<String,multi>))",
    );
    check(
        u,
        r#"ENT:employeeNumber eq "7""#,
        r#"(eq ent/employeeNumber<String> "7")"#,
    );
    check(
        u,
        r#"ENT:manager.value eq "x""#,
        r#"(eq ent/manager.value<String,exact> "x")"#,
    );
    check(
        u,
        r#"ENT:manager eq "x""#,
        r#"(eq ent/manager.value<String,exact> "x")"#,
    );
    check(
        u,
        r#"ENT:MANAGER[VALUE eq "x"]"#,
        r#"(ent/manager<Complex>[...] (eq ent/manager[].value<String,exact> "x"))"#,
    );
    check(u, "active eq true", "(eq core/active<Boolean> true)");
    check(u, "active ne false", "(ne core/active<Boolean> false)");
    check(u, "title eq null", "(not (pr core/title<String>))");
    check(u, "title ne null", "(pr core/title<String>)");
    check(u, "emails eq null", "(not (pr core/emails<Complex,multi>))");
    check(u, "name eq null", "(not (pr core/name<Complex>))");
    check(
        u,
        "emails[display eq null]",
        "(core/emails<Complex,multi>[...] (not (pr core/emails[].display<String,multi>)))",
    );
    check(
        u,
        r#"x509Certificates.value eq "AAAA""#,
        r#"(eq core/x509Certificates.value<Binary,exact,multi> "AAAA")"#,
    );
    check(
        u,
        r#"x509Certificates eq "AAAA""#,
        r#"(eq core/x509Certificates.value<Binary,exact,multi> "AAAA")"#,
    );
    check(
        u,
        r#"photos.value sw "https://""#,
        r#"(sw core/photos.value<Reference,exact,multi> "https://")"#,
    );
    check(
        u,
        r#"profileUrl co "example""#,
        r#"(co core/profileUrl<Reference,exact> "example")"#,
    );
    check(u, r#"userName gt "m""#, r#"(gt core/userName<String> "m")"#);
    check(
        u,
        "ACME:clearanceLevel gt 2",
        "(gt acme/clearanceLevel<Integer> int:2)",
    );
    check(
        u,
        "ACME:clearanceLevel eq -3",
        "(eq acme/clearanceLevel<Integer> int:-3)",
    );
    check(u, "ACME:score ge 1.5", "(ge acme/score<Decimal> dec:1.5)");
    check(u, "ACME:score lt 2", "(lt acme/score<Decimal> dec:2)");
    check(
        u,
        r#"ACME:tags eq "x""#,
        r#"(eq acme/tags<String,multi> "x")"#,
    );
    check(
        u,
        r#"ACME:hiredAt le "2020-01-01T00:00:00Z""#,
        "(le acme/hiredAt<DateTime> 2020-01-01T00:00:00+00:00)",
    );
    check(
        u,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"(and (eq core/userType<String> "Employee") (or (co core/emails.value<String,multi> "example.com") (co core/emails.value<String,multi> "example.org")))"#,
    );
}

#[test]
fn resolves_groups() {
    let g = "Group";
    check(
        g,
        r#"displayName eq "Group Name""#,
        r#"(eq core/displayName<String> "Group Name")"#,
    );
    check(
        g,
        r#"members eq "abc""#,
        r#"(eq core/members.value<String,exact,multi> "abc")"#,
    );
    check(
        g,
        r#"members[value eq "abc"]"#,
        r#"(core/members<Complex,multi>[...] (eq core/members[].value<String,exact,multi> "abc"))"#,
    );
    check(
        g,
        r#"members.type eq "User""#,
        r#"(eq core/members.type<String,multi> "User")"#,
    );
    check(g, r#"id eq "g1""#, r#"(eq common/id<String,exact> "g1")"#);
}

#[test]
fn refuses_invalid_filters() {
    let u = "User";
    check_error(u, r#"nope eq "x""#, 0, r#"unknown attribute "nope""#);
    check_error(
        u,
        r#"title pr and name.nope eq "x""#,
        13,
        r#"unknown attribute "name.nope""#,
    );
    check_error(u, "emails.nope pr", 0, "unknown attribute");
    check_error(u, "ENT:nope eq 1", 0, "unknown attribute");
    check_error(
        u,
        r#"employeeNumber eq "7""#,
        0,
        r#"unknown attribute "employeeNumber""#,
    );
    check_error(u, r#"userName.value eq "x""#, 0, "unknown attribute");
    check_error(u, r#"name eq "x""#, 0, "has no \"value\"");
    check_error(u, r#"addresses co "x""#, 0, "has no \"value\"");
    check_error(u, r#"active eq "yes""#, 10, "is a boolean");
    check_error(u, r#"active eq "true""#, 10, "is a boolean");
    check_error(u, "active eq 1", 10, "is a boolean");
    check_error(u, "active gt true", 0, "gt does not apply");
    check_error(u, "active le false", 0, "le does not apply");
    check_error(
        u,
        r#"x509Certificates.value gt "A""#,
        0,
        "gt does not apply",
    );
    check_error(u, r#"x509Certificates ge "A""#, 0, "ge does not apply");
    check_error(u, "userName gt 5", 12, "is a string");
    // `password` is never returned: no filter tests it, not even for equality or
    // presence, which would let a token holder check guesses (PRODUCT.md §1).
    for op in ["eq", "ne", "sw", "co", "ew", "gt", "ge", "lt", "le"] {
        check_error(
            u,
            &format!(r#"userName eq "x" and password {op} "H""#),
            20,
            "\"password\" is never returned",
        );
    }
    check_error(u, "password pr", 0, "\"password\" is never returned");
    // What the service provider fills in from the request's URL is stored nowhere: a
    // filter on it is refused rather than never matching.
    let computed = [
        (
            "User",
            r#"meta.location eq "https://x/scim/v2/Users/1""#,
            "meta.location",
        ),
        ("Group", r#"meta.location sw "https://""#, "meta.location"),
        ("User", "meta.location pr", "meta.location"),
        (
            "Group",
            r#"members[$ref eq "https://x/Users/1"]"#,
            "members.$ref",
        ),
        ("Group", r#"members.$ref co "Users""#, "members.$ref"),
        (
            "User",
            r#"groups.$ref eq "https://x/Groups/1""#,
            "groups.$ref",
        ),
        ("User", "groups[$ref pr]", "groups.$ref"),
    ];
    for (rt, filter, path) in computed {
        let position = filter
            .find(if filter.contains('[') {
                "$ref"
            } else {
                path.split('.').next().unwrap_or(path)
            })
            .unwrap();
        check_error(rt, filter, position, &format!("\"{path}\" is computed"));
    }
    check_error(
        u,
        r#"not (URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:PASSWORD eq "x")"#,
        5,
        "\"password\" is never returned",
    );
    check_error(u, "userName eq true", 12, "is a string");
    check_error(
        u,
        r#"meta.created gt "yesterday""#,
        16,
        "not a valid xsd:dateTime",
    );
    check_error(
        u,
        r#"meta.created gt "2011-13-45T00:00:00Z""#,
        16,
        "not a valid xsd:dateTime",
    );
    check_error(u, "meta.created gt 5", 16, "is a dateTime");
    check_error(u, r#"meta.created co "2011""#, 0, "co does not apply");
    check_error(u, r#"active co "t""#, 0, "co does not apply");
    check_error(u, "ACME:clearanceLevel sw 1", 0, "sw does not apply");
    check_error(u, "ACME:clearanceLevel eq 2.5", 74, "is an integer");
    check_error(u, r#"ACME:clearanceLevel eq "2""#, 74, "is an integer");
    check_error(u, "ACME:score eq true", 65, "is a decimal");
    check_error(
        u,
        "title gt null",
        9,
        "null can only be compared with eq or ne",
    );
    check_error(u, "title co null", 9, "null can only be compared");
    check_error(u, r#"title[value eq "x"]"#, 0, "not a complex attribute");
    check_error(u, "name.givenName[value pr]", 0, "not a complex attribute");
    check_error(u, r#"schemas[value eq "x"]"#, 0, "not a complex attribute");
    check_error(
        u,
        r#"emails[nope eq "x"]"#,
        7,
        r#"not a sub-attribute of "emails""#,
    );
    check_error(
        u,
        r#"emails[emails.type eq "work"]"#,
        7,
        "name a sub-attribute",
    );
    check_error(
        u,
        r#"emails[urn:ietf:params:scim:schemas:core:2.0:User:type eq "x"]"#,
        7,
        "name a sub-attribute",
    );
    check_error(u, r#"members eq "x""#, 0, "unknown attribute");
    check_error("Group", r#"userName eq "x""#, 0, "unknown attribute");
    check_error(
        "Group",
        r#"ENT:employeeNumber eq "x""#,
        0,
        "unknown attribute",
    );
}

fn value_filter(
    rt: &str,
    parent: &str,
    filter: &str,
) -> Result<ResolvedFilter, (ScimType, String)> {
    let registry = registry();
    let rt = registry.resource_type(rt).unwrap();
    let parent = AttrPath::parse(&parent.replace("ACME:", &format!("{ACME}:"))).unwrap();
    let filter = parse(filter).unwrap();
    resolve_value_filter(&registry, rt, &parent, &filter)
        .map_err(|e| (e.scim_type.unwrap(), e.detail))
}

#[test]
fn resolves_value_filters_for_patch() {
    let ok: &[(&str, &str, &str, &str)] = &[
        (
            "User",
            "emails",
            r#"type eq "work""#,
            r#"(eq core/emails[].type<String,multi> "work")"#,
        ),
        (
            "User",
            "EMAILS",
            r#"Type eq "work" and value co "@x""#,
            r#"(and (eq core/emails[].type<String,multi> "work") (co core/emails[].value<String,multi> "@x"))"#,
        ),
        (
            "Group",
            "members",
            r#"value eq "abc""#,
            r#"(eq core/members[].value<String,exact,multi> "abc")"#,
        ),
        (
            "User",
            "schemas",
            r#"value eq "urn:x""#,
            r#"(eq common/schemas[]<Reference,multi> "urn:x")"#,
        ),
        (
            "User",
            "ACME:tags",
            r#"value sw "a""#,
            r#"(sw acme/tags[]<String,multi> "a")"#,
        ),
        (
            "User",
            "name",
            r#"givenName eq "x""#,
            r#"(eq core/name[].givenName<String> "x")"#,
        ),
        (
            "User",
            "emails",
            "primary eq true",
            "(eq core/emails[].primary<Boolean,multi> true)",
        ),
    ];
    for (rt, parent, filter, expected) in ok {
        let got = value_filter(rt, parent, filter).map(|f| describe(&f));
        assert_eq!(got.as_deref(), Ok(*expected), "{parent}[{filter}]");
    }
    let errors: &[(&str, &str, &str, ScimType)] = &[
        ("User", "userName", r#"value eq "x""#, ScimType::InvalidPath),
        ("User", "nope", r#"value eq "x""#, ScimType::InvalidPath),
        (
            "User",
            "name.givenName",
            r#"value eq "x""#,
            ScimType::InvalidPath,
        ),
        ("Group", "emails", r#"value eq "x""#, ScimType::InvalidPath),
        ("User", "emails", r#"nope eq "x""#, ScimType::InvalidFilter),
        ("User", "emails", "primary eq 1", ScimType::InvalidFilter),
        ("User", "schemas", r#"type eq "x""#, ScimType::InvalidFilter),
        ("User", "emails", "type[value pr]", ScimType::InvalidFilter),
    ];
    for (rt, parent, filter, scim_type) in errors {
        let got = value_filter(rt, parent, filter)
            .map(|f| describe(&f))
            .map_err(|(t, _)| t);
        assert_eq!(got, Err(*scim_type), "{parent}[{filter}]");
    }
}

#[test]
fn element_filters_match_elements() {
    let emails = value_filter(
        "User",
        "emails",
        r#"type eq "WORK" and value ew "@example.com""#,
    )
    .unwrap();
    assert!(emails.matches_element(&json!({"type": "work", "value": "a@example.com"})));
    assert!(emails.matches_element(&json!({"Type": "Work", "VALUE": "A@EXAMPLE.COM"})));
    assert!(!emails.matches_element(&json!({"type": "home", "value": "a@example.com"})));
    assert!(!emails.matches_element(&json!({"value": "a@example.com"})));
    assert!(!emails.matches_element(&json!("a@example.com")));
    // An element filter says nothing about a whole resource.
    assert!(!emails.matches(&json!({"emails": [{"type": "work", "value": "a@example.com"}]})));

    let members = value_filter("Group", "members", r#"value eq "Abc""#).unwrap();
    assert!(members.matches_element(&json!({"value": "Abc"})));
    assert!(
        !members.matches_element(&json!({"value": "abc"})),
        "members.value is caseExact"
    );

    let schemas = value_filter("User", "schemas", r#"value eq "URN:X""#).unwrap();
    assert!(schemas.matches_element(&json!("urn:x")));
    assert!(!schemas.matches_element(&json!("urn:y")));

    let not_primary = value_filter("User", "emails", "not (primary eq true)").unwrap();
    assert!(not_primary.matches_element(&json!({"value": "x"})));
    assert!(!not_primary.matches_element(&json!({"value": "x", "primary": true})));
}
