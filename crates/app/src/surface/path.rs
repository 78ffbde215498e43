//! Reading a request's path and query: the path's segments percent-decoded, the query's
//! parameters as `application/x-www-form-urlencoded` pairs.

use std::collections::HashMap;

/// The segments of a path below the mount point (`/Users/a%20b` → `["Users", "a b"]`),
/// each percent-decoded; `None` when one is not UTF-8 once decoded (no route has it).
pub(crate) fn segments(path: &str) -> Option<Vec<String>> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .ok()
                .map(|decoded| decoded.into_owned())
        })
        .collect()
}

/// The query's parameters in order (`+` is a space; bytes that are not UTF-8 are
/// replaced).
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The query's parameters by name; of a repeated one, the last.
pub(crate) fn query_map(query: &str) -> HashMap<String, String> {
    query_pairs(query).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_decoded_and_queries_split() {
        let cases: [(&str, Option<&[&str]>); 6] = [
            ("/Users", Some(&["Users"])),
            ("/Users/a%20b", Some(&["Users", "a b"])),
            ("/Users/", Some(&["Users", ""])),
            ("/Users/%00", Some(&["Users", "\0"])),
            ("/schemas/urn:x:y", Some(&["schemas", "urn:x:y"])),
            ("/Users/%FF", None),
        ];
        for (path, expected) in cases {
            let expected = expected.map(|s| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
            assert_eq!(segments(path), expected, "{path}");
        }
        assert_eq!(
            query_pairs("filter=userName+eq+%22a%22&count=2&count=3"),
            vec![
                ("filter".to_owned(), "userName eq \"a\"".to_owned()),
                ("count".to_owned(), "2".to_owned()),
                ("count".to_owned(), "3".to_owned())
            ]
        );
        assert_eq!(query_map("a=1&a=2").get("a").map(String::as_str), Some("2"));
    }
}
