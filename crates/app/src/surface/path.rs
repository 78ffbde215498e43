//! Reading a request's path and query: the path's segments percent-decoded, the query's
//! parameters as `application/x-www-form-urlencoded` pairs.

use std::collections::HashMap;

use crate::error::Error;
use scim_core::ScimError;

use crate::surface::body::nul_error;

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

/// The query's parameters in order, as `application/x-www-form-urlencoded` reads them
/// (`+` is a space). A name or value that is not UTF-8 once decoded (`%FF`) or holds a NUL
/// character is a 400 `invalidValue`: neither can be a filter, an attribute name or an
/// id, and replacing the bytes would search for something the client did not send.
pub(crate) fn query_pairs(query: &str) -> Result<Vec<(String, String)>, Error> {
    let decode = |text: &str| -> Result<String, Error> {
        let spaced = text.replace('+', " ");
        let decoded = percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .map_err(|_| {
                Error::from(ScimError::invalid_value(
                    "a query parameter is not UTF-8 once percent-decoded",
                ))
            })?;
        if decoded.contains('\0') {
            return Err(nul_error());
        }
        Ok(decoded.into_owned())
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// The query's parameters by name; of a repeated one, the last. Checked as
/// [`query_pairs`] checks them, and no longer than an admin parameter can be.
pub(crate) fn query_map(query: &str) -> Result<HashMap<String, String>, Error> {
    let pairs = query_pairs(query)?;
    if let Some((name, value)) = pairs
        .iter()
        .find(|(_, value)| value.len() > MAX_ADMIN_PARAMETER_LENGTH)
    {
        return Err(Error::invalid_request(format!(
            "{name} is {} bytes long; the limit is {MAX_ADMIN_PARAMETER_LENGTH} bytes",
            value.len()
        )));
    }
    let mut map = HashMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        if map.contains_key(&name) {
            // Which one counts is not ours to guess.
            return Err(Error::invalid_request(format!(
                "parameter {name} is given more than once"
            )));
        }
        map.insert(name, value);
    }
    Ok(map)
}

/// The longest admin query parameter read (ids, names, times, cursors are far shorter).
const MAX_ADMIN_PARAMETER_LENGTH: usize = 4096;

/// Whether a path segment can name nothing stored (it holds a NUL character): such an id
/// is a 404, on either database, without asking one.
pub(crate) fn names_nothing(segment: &str) -> bool {
    segment.contains('\0')
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
            query_pairs("filter=userName+eq+%22a%22&count=2&&count=3&flag").ok(),
            Some(vec![
                ("filter".to_owned(), "userName eq \"a\"".to_owned()),
                ("count".to_owned(), "2".to_owned()),
                ("count".to_owned(), "3".to_owned()),
                ("flag".to_owned(), String::new()),
            ])
        );
        assert_eq!(
            query_pairs("a=%2B%26%3D+x%C3%A9").ok(),
            Some(vec![("a".to_owned(), "+&= xé".to_owned())])
        );
        // A parameter given twice: which one counts is not guessed.
        assert!(query_map("a=1&a=2").is_err());
        assert_eq!(
            query_map("a=1&b=2")
                .unwrap_or_default()
                .get("b")
                .map(String::as_str),
            Some("2")
        );
        for query in [
            "a=%00",
            "a%00=1",
            "filter=userName+eq+%22%00%22",
            "filter=userName+eq+%22%FF%FE%22",
            "%C3=1",
            "a=%E2%82",
        ] {
            let error = query_map(query).map(|_| ()).unwrap_err();
            assert_eq!(
                (error.status(), error.as_scim().scim_type),
                (400, Some(scim_core::ScimType::InvalidValue)),
                "{query}"
            );
        }
    }
}
