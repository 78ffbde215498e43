//! Parser and printer tables: RFC 7644 §3.4.2.2 examples, IdP forms,
//! precedence, error rows with their variant and byte position.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use scim_core::filter::{
    CompareOp, Filter, FilterError, Literal, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, Span, parse,
};
use scim_core::{ScimError, ScimType};

/// The tree as an S-expression: `(or (eq a 1) (and (pr b) (emails[] (eq type "work"))))`.
fn sexpr(filter: &Filter) -> String {
    let list = |head: &str, operands: &[Filter]| {
        let inner: Vec<String> = operands.iter().map(sexpr).collect();
        format!("({head} {})", inner.join(" "))
    };
    match filter {
        Filter::Compare {
            path, op, value, ..
        } => format!("({op} {path} {value})"),
        Filter::Present { path, .. } => format!("(pr {path})"),
        Filter::ValuePath { path, filter, .. } => format!("({path}[] {})", sexpr(filter)),
        Filter::Not { filter, .. } => format!("(not {})", sexpr(filter)),
        Filter::And { operands, .. } => list("and", operands),
        Filter::Or { operands, .. } => list("or", operands),
    }
}

#[track_caller]
fn check(input: &str, expected: &str) {
    match parse(input) {
        Ok(filter) => assert_eq!(sexpr(&filter), expected, "{input}"),
        Err(error) => panic!("{input}: {error}"),
    }
}

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[test]
fn rfc_7644_examples() {
    // Every filter example of RFC 7644 §3.4.2.2.
    check(r#"userName eq "bjensen""#, r#"(eq userName "bjensen")"#);
    check(
        r#"name.familyName co "O'Malley""#,
        r#"(co name.familyName "O'Malley")"#,
    );
    check(r#"userName sw "J""#, r#"(sw userName "J")"#);
    check(
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        r#"(sw urn:ietf:params:scim:schemas:core:2.0:User:userName "J")"#,
    );
    check("title pr", "(pr title)");
    check(
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"(gt meta.lastModified "2011-05-13T04:42:34Z")"#,
    );
    check(
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"(ge meta.lastModified "2011-05-13T04:42:34Z")"#,
    );
    check(
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        r#"(lt meta.lastModified "2011-05-13T04:42:34Z")"#,
    );
    check(
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        r#"(le meta.lastModified "2011-05-13T04:42:34Z")"#,
    );
    check(
        r#"title pr and userType eq "Employee""#,
        r#"(and (pr title) (eq userType "Employee"))"#,
    );
    check(
        r#"title pr or userType eq "Intern""#,
        r#"(or (pr title) (eq userType "Intern"))"#,
    );
    check(
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"(eq schemas "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")"#,
    );
    check(
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"(and (eq userType "Employee") (or (co emails "example.com") (co emails.value "example.org")))"#,
    );
    check(
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"(and (ne userType "Employee") (not (or (co emails "example.com") (co emails.value "example.org"))))"#,
    );
    check(
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        r#"(and (eq userType "Employee") (eq emails.type "work"))"#,
    );
    check(
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"(and (eq userType "Employee") (emails[] (and (eq type "work") (co value "@example.com"))))"#,
    );
    check(
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        r#"(or (emails[] (and (eq type "work") (co value "@example.com"))) (ims[] (and (eq type "xmpp") (co value "@foo.com"))))"#,
    );
    // Case-insensitive operators and attribute names (RFC: `userName Eq "john"`).
    check(r#"userName Eq "john""#, r#"(eq userName "john")"#);
    check(r#"Username eq "john""#, r#"(eq Username "john")"#);
}

#[test]
fn identity_provider_forms() {
    check(
        r#"userName eq "test.user@example.com""#,
        r#"(eq userName "test.user@example.com")"#,
    );
    check(
        r#"externalId eq "00u1abcd2EFGH3ijk4x5""#,
        r#"(eq externalId "00u1abcd2EFGH3ijk4x5")"#,
    );
    check(
        r#"displayName eq "Group Name""#,
        r#"(eq displayName "Group Name")"#,
    );
    check(
        r#"id eq "2819c223-7f76-453a-919d-413861904646""#,
        r#"(eq id "2819c223-7f76-453a-919d-413861904646")"#,
    );
    check(
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        r#"(members[] (eq value "2819c223-7f76-453a-919d-413861904646"))"#,
    );
    check(
        r#"emails[type eq "work" and primary eq true]"#,
        r#"(emails[] (and (eq type "work") (eq primary true)))"#,
    );
    check(
        &format!(r#"{ENT}:employeeNumber eq "7""#),
        &format!(r#"(eq {ENT}:employeeNumber "7")"#),
    );
    check(
        &format!(r#"{ENT}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#),
        &format!(r#"(eq {ENT}:manager.value "26118915-6090-4610-87e4-49d8ca9f808d")"#),
    );
    check(
        &format!("{ENT}:manager[value pr]"),
        &format!("({ENT}:manager[] (pr value))"),
    );
}

#[test]
fn precedence_and_grouping() {
    check(
        "a eq 1 or b eq 2 and c eq 3",
        "(or (eq a 1) (and (eq b 2) (eq c 3)))",
    );
    check(
        "a eq 1 and b eq 2 or c eq 3",
        "(or (and (eq a 1) (eq b 2)) (eq c 3))",
    );
    check("not (a pr) and b pr", "(and (not (pr a)) (pr b))");
    check(
        "a pr and b pr or c pr and d pr",
        "(or (and (pr a) (pr b)) (and (pr c) (pr d)))",
    );
    check("a pr or b pr or c pr", "(or (pr a) (pr b) (pr c))");
    check("a pr and b pr and c pr", "(and (pr a) (pr b) (pr c))");
    check("(a pr or b pr) or c pr", "(or (or (pr a) (pr b)) (pr c))");
    check("(a pr or b pr) and c pr", "(and (or (pr a) (pr b)) (pr c))");
    check("a pr and (b pr or c pr)", "(and (pr a) (or (pr b) (pr c)))");
    check("((a pr))", "(pr a)");
    check("not (not (a pr))", "(not (not (pr a)))");
    check("not(a pr)", "(not (pr a))");
    check(
        "NOT (a pr) AND b pr OR c pr",
        "(or (and (not (pr a)) (pr b)) (pr c))",
    );
    check(
        "x[a pr or b pr and not (c pr)]",
        "(x[] (or (pr a) (and (pr b) (not (pr c)))))",
    );
    check("(x[a pr])", "(x[] (pr a))");
    check(
        "x[(a pr or b pr) and c pr]",
        "(x[] (and (or (pr a) (pr b)) (pr c)))",
    );
    // Words are keywords only where a keyword can stand.
    check("or pr or and pr", "(or (pr or) (pr and))");
    check("not pr and not eq 1", "(and (pr not) (eq not 1))");
    check("pr pr", "(pr pr)");
    check("not[eq pr]", "(not[] (pr eq))");
}

#[test]
fn literals_and_whitespace() {
    check(r#"a eq "x\"y\\z\u00e9\n""#, r#"(eq a "x\"y\\zé\n")"#);
    check(r#"a eq "\ud83d\ude00""#, r#"(eq a "😀")"#);
    check(r#"a eq """#, r#"(eq a "")"#);
    check("a eq 0", "(eq a 0)");
    check("a eq -12", "(eq a -12)");
    check("a eq 1.5", "(eq a 1.5)");
    check("a eq -0.25e-3", "(eq a -0.00025)");
    check("a eq 2E3", "(eq a 2000.0)");
    check("a eq 18446744073709551615", "(eq a 18446744073709551615)");
    check("a eq TRUE", "(eq a true)");
    check("a eq False", "(eq a false)");
    check("a eq NULL", "(eq a null)");
    check("a GT 1 And b Le 2", "(and (gt a 1) (le b 2))");
    check(
        "  a \t eq\n\"x\"   and\tb pr  ",
        r#"(and (eq a "x") (pr b))"#,
    );
    check(r#"a eq"x"and b pr"#, r#"(and (eq a "x") (pr b))"#);
    check("members.$ref pr", "(pr members.$ref)");
}

#[test]
fn spans_point_at_the_input() {
    let filter = parse(r#"userName eq "x" and not (title pr)"#).unwrap();
    let Filter::And { operands, span } = &filter else {
        panic!("{filter:?}")
    };
    assert_eq!(*span, Span::new(0, 34));
    match &operands[..] {
        [
            Filter::Compare {
                path_span,
                value_span,
                span,
                op: CompareOp::Eq,
                value: Literal::String(value),
                ..
            },
            Filter::Not {
                span: not_span,
                filter,
            },
        ] => {
            assert_eq!(
                (*path_span, *value_span, *span),
                (Span::new(0, 8), Span::new(12, 15), Span::new(0, 15))
            );
            assert_eq!(value, "x");
            assert_eq!(*not_span, Span::new(20, 34));
            assert_eq!(filter.span(), Span::new(25, 33));
        }
        other => panic!("{other:?}"),
    }
    let value_path = parse(r#"emails[type eq "work"]"#).unwrap();
    assert_eq!(value_path.span(), Span::new(0, 22));
}

/// The variant name of an error, e.g. `TooLong`.
fn variant(error: &FilterError) -> String {
    format!("{error:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

#[track_caller]
fn check_error(input: &str, expected_variant: &str, expected_position: usize) {
    match parse(input) {
        Ok(filter) => panic!("{input}: parsed as {filter}"),
        Err(error) => {
            assert_eq!(
                (variant(&error).as_str(), error.span().start),
                (expected_variant, expected_position),
                "{input}: {error}"
            );
            assert!(
                error.to_string().contains("byte")
                    || matches!(error, FilterError::Empty | FilterError::TooLong { .. })
            );
        }
    }
}

#[test]
fn error_rows() {
    check_error("", "Empty", 0);
    check_error("   \t ", "Empty", 0);
    check_error(r#"userName eq "bjensen"#, "UnterminatedString", 12);
    check_error(r#"a eq "x" and b eq "y"#, "UnterminatedString", 18);
    check_error(r#"a eq "\q""#, "InvalidString", 5);
    check_error("userName", "MissingOperator", 8);
    check_error(r#"userName "bjensen""#, "MissingOperator", 9);
    check_error("userName (", "MissingOperator", 9);
    check_error(r#"userName equals "bjensen""#, "UnknownOperator", 9);
    check_error(r#"userName == "bjensen""#, "UnknownOperator", 9);
    check_error("userName eq", "MissingValue", 11);
    check_error("userName eq )", "MissingValue", 12);
    check_error("userName eq bjensen", "InvalidValue", 12);
    check_error("userName eq and b pr", "InvalidValue", 12);
    check_error(r#"title pr "x""#, "PresentWithValue", 9);
    check_error("title pr true", "PresentWithValue", 9);
    check_error("title pr 5", "PresentWithValue", 9);
    check_error("a eq 01", "InvalidNumber", 5);
    check_error("a eq 1.", "InvalidNumber", 5);
    check_error("a eq -", "InvalidNumber", 5);
    check_error("a eq 1e", "InvalidNumber", 5);
    check_error("a eq 12abc", "InvalidNumber", 5);
    check_error("a eq 1e999", "InvalidNumber", 5);
    check_error("(a pr", "UnclosedParenthesis", 0);
    check_error("((a pr)", "UnclosedParenthesis", 0);
    check_error("a pr)", "UnexpectedCloseParenthesis", 4);
    check_error("(a pr))", "UnexpectedCloseParenthesis", 6);
    check_error("()", "ExpectedExpression", 1);
    check_error("not title pr", "NotWithoutParentheses", 0);
    check_error("not", "NotWithoutParentheses", 0);
    check_error(r#"a pr and not "x""#, "NotWithoutParentheses", 9);
    check_error("a pr b pr", "ExpectedLogicalOperator", 5);
    check_error(r#"userName eq "a" "b""#, "ExpectedLogicalOperator", 16);
    check_error("a pr and", "ExpectedExpression", 8);
    check_error("and", "MissingOperator", 3);
    check_error("or a pr", "UnknownOperator", 3);
    check_error(r#""x" eq a"#, "ExpectedExpression", 0);
    check_error(r#"emails[type eq "work""#, "UnclosedBracket", 6);
    check_error(
        r#"emails[type eq "work"].value eq "x""#,
        "ExpectedLogicalOperator",
        22,
    );
    check_error(
        r#"emails[type eq "work")"#,
        "UnexpectedCloseParenthesis",
        21,
    );
    check_error("emails]", "MissingOperator", 6);
    check_error("a pr]", "UnexpectedCloseBracket", 4);
    check_error("(a pr]", "UnexpectedCloseBracket", 5);
    check_error(r#"emails[type[value pr]]"#, "NestedValuePath", 11);
    check_error(r#"emails[(type[value pr])]"#, "NestedValuePath", 12);
    check_error("[a pr]", "ExpectedExpression", 0);
    check_error("a.b.c pr", "InvalidAttributePath", 0);
    check_error("1abc pr", "InvalidAttributePath", 0);
    check_error("a eq 1 and b=2 pr", "InvalidAttributePath", 11);
    check_error("x[a pr] pr", "ExpectedLogicalOperator", 8);
}

#[test]
fn length_limit() {
    let filler = " ".repeat(MAX_FILTER_LENGTH - 4);
    assert!(parse(&format!("a pr{filler}")).is_ok());
    check_error(&format!("a pr {filler}"), "TooLong", 0);
    let error = parse(&"x".repeat(1_000_000)).unwrap_err();
    assert_eq!(
        error,
        FilterError::TooLong {
            length: 1_000_000,
            max: MAX_FILTER_LENGTH
        }
    );
}

#[test]
fn depth_limit() {
    let nested =
        |levels: usize, open: &str| format!("{}a pr{}", open.repeat(levels), ")".repeat(levels));
    assert!(parse(&nested(MAX_FILTER_DEPTH, "(")).is_ok());
    check_error(
        &nested(MAX_FILTER_DEPTH + 1, "("),
        "TooDeep",
        MAX_FILTER_DEPTH,
    );
    assert!(parse(&nested(MAX_FILTER_DEPTH, "not (")).is_ok());
    check_error(
        &nested(MAX_FILTER_DEPTH + 1, "not ("),
        "TooDeep",
        MAX_FILTER_DEPTH * 5 + 4,
    );
    // A value path counts as a level.
    let deep_brackets = format!(
        "{}x[a pr]{}",
        "(".repeat(MAX_FILTER_DEPTH),
        ")".repeat(MAX_FILTER_DEPTH)
    );
    check_error(&deep_brackets, "TooDeep", MAX_FILTER_DEPTH + 1);
    // Far deeper than the limit, up to the length limit: an error, not a stack overflow.
    check_error(&"(".repeat(MAX_FILTER_LENGTH), "TooDeep", MAX_FILTER_DEPTH);
    check_error(
        &"not (".repeat(MAX_FILTER_LENGTH / 5),
        "TooDeep",
        MAX_FILTER_DEPTH * 5 + 4,
    );
}

#[test]
fn long_flat_chains_cost_no_depth() {
    for keyword in ["or", "and"] {
        let mut chain = String::from("a0 eq 0");
        let mut count = 1;
        while chain.len() + 20 < MAX_FILTER_LENGTH {
            chain.push_str(&format!(" {keyword} a{count} eq {count}"));
            count += 1;
        }
        let filter = parse(&chain).unwrap();
        assert_eq!(filter.depth(), 1);
        match &filter {
            Filter::Or { operands, .. } | Filter::And { operands, .. } => {
                assert_eq!(operands.len(), count)
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&filter.to_string()).unwrap().same_shape(&filter));
    }
}

#[track_caller]
fn check_print(input: &str, canonical: &str) {
    let filter = parse(input).unwrap();
    assert_eq!(filter.to_string(), canonical, "{input}");
    let reparsed = parse(canonical).unwrap();
    assert!(reparsed.same_shape(&filter), "{input}");
    assert_ne!(
        reparsed,
        filter.without_spans(),
        "spans count in ==: {input}"
    );
}

#[test]
fn printer_is_canonical() {
    check_print(r#"userName Eq "bjensen""#, r#"userName eq "bjensen""#);
    check_print("((a pr))", "a pr");
    check_print("(a pr) and (b pr)", "a pr and b pr");
    check_print("(a pr and b pr) or c pr", "a pr and b pr or c pr");
    check_print("a pr and (b pr or c pr)", "a pr and (b pr or c pr)");
    check_print("(a pr or b pr) or c pr", "(a pr or b pr) or c pr");
    check_print("(a pr and b pr) and c pr", "(a pr and b pr) and c pr");
    check_print("NOT(a pr)", "not (a pr)");
    check_print("x[(a pr)]", "x[a pr]");
    check_print(r#"a eq "é\u00e9\t""#, r#"a eq "éé\t""#);
    check_print("a eq 1E3", "a eq 1000.0");
    // Floats are read correctly rounded, so they print back digit for digit.
    check_print(
        "a eq 3.8764941044744046e-109",
        "a eq 3.8764941044744046e-109",
    );
    check_print("a eq -9223372036854775808", "a eq -9223372036854775808");
    check_print("a eq 18446744073709551616", "a eq 1.8446744073709552e+19");
    check_print("a eq TRUE or b eq Null", "a eq true or b eq null");
}

#[test]
fn converts_to_an_invalid_filter_error() {
    let error: ScimError = parse(r#"userName eq "x"#).unwrap_err().into();
    assert_eq!(error.status, 400);
    assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
    assert_eq!(error.span, Some(12..13));
    assert!(
        error
            .detail
            .contains("unterminated string starting at byte 12"),
        "{}",
        error.detail
    );
    let error: ScimError = parse("userName").unwrap_err().into();
    assert!(
        error
            .detail
            .contains("expected an operator after attribute path at byte 8"),
        "{}",
        error.detail
    );
}
