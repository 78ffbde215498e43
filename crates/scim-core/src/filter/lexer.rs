//! Filter text to tokens: punctuation, JSON strings and bare words.
//!
//! Keywords, operators, attribute paths, numbers, `true`/`false`/`null` are
//! all bare words here: which one a word is depends on where it stands, and
//! only the parser knows that (an attribute may well be called `or`).
//! Whitespace (any ASCII whitespace, any amount) separates tokens and is
//! otherwise ignored.

use super::ast::Span;
use super::error::FilterError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind<'a> {
    /// `(`
    LeftParen,
    /// `)`
    RightParen,
    /// `[`
    LeftBracket,
    /// `]`
    RightBracket,
    /// A JSON string literal, escapes decoded.
    String(String),
    /// A run of characters that are neither whitespace, punctuation nor `"`.
    Word(&'a str),
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'a> {
    pub(crate) kind: TokenKind<'a>,
    pub(crate) span: Span,
}

impl Token<'_> {
    /// A short description for error messages.
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            TokenKind::LeftParen => "'('".to_owned(),
            TokenKind::RightParen => "')'".to_owned(),
            TokenKind::LeftBracket => "'['".to_owned(),
            TokenKind::RightBracket => "']'".to_owned(),
            TokenKind::String(_) => "a string".to_owned(),
            TokenKind::Word(word) => format!("{:?}", super::error::shorten(word)),
        }
    }
}

fn is_delimiter(byte: u8) -> bool {
    byte.is_ascii_whitespace() || matches!(byte, b'(' | b')' | b'[' | b']' | b'"')
}

/// Split `input` into tokens.
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let bytes = input.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(&byte) = bytes.get(pos) {
        let single = match byte {
            b'(' => Some(TokenKind::LeftParen),
            b')' => Some(TokenKind::RightParen),
            b'[' => Some(TokenKind::LeftBracket),
            b']' => Some(TokenKind::RightBracket),
            _ => None,
        };
        if byte.is_ascii_whitespace() {
            pos += 1;
        } else if let Some(kind) = single {
            tokens.push(Token {
                kind,
                span: Span::new(pos, pos + 1),
            });
            pos += 1;
        } else if byte == b'"' {
            let (value, end) = string_literal(input, pos)?;
            tokens.push(Token {
                kind: TokenKind::String(value),
                span: Span::new(pos, end),
            });
            pos = end;
        } else {
            // Delimiters are ASCII, so `end` is always on a char boundary.
            let end = bytes
                .get(pos..)
                .and_then(|rest| rest.iter().position(|&b| is_delimiter(b)))
                .map_or(bytes.len(), |offset| pos + offset);
            let word = input.get(pos..end).unwrap_or_default();
            tokens.push(Token {
                kind: TokenKind::Word(word),
                span: Span::new(pos, end),
            });
            pos = end;
        }
    }
    Ok(tokens)
}

/// The JSON string starting with the quote at `start`: its decoded value and
/// the offset just past its closing quote.
fn string_literal(input: &str, start: usize) -> Result<(String, usize), FilterError> {
    let bytes = input.as_bytes();
    let mut pos = start + 1;
    loop {
        match bytes.get(pos) {
            None => return Err(FilterError::UnterminatedString { start }),
            // A backslash escapes the next byte; `"` and `\` are ASCII and
            // never occur inside a multi-byte character, so skipping one byte
            // is safe even before a non-ASCII character.
            Some(b'\\') => pos += 2,
            Some(b'"') => break,
            Some(_) => pos += 1,
        }
    }
    let end = pos + 1;
    let span = Span::new(start, end);
    let raw = input
        .get(start..end)
        .ok_or(FilterError::UnterminatedString { start })?;
    let value =
        serde_json::from_str::<String>(raw).map_err(|error| FilterError::InvalidString {
            span,
            reason: json_reason(&error),
        })?;
    if value.contains('\0') {
        return Err(FilterError::NulCharacter { span });
    }
    Ok((value, end))
}

/// serde_json's message without its "at line 1 column N" suffix (the span says where).
fn json_reason(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(cut) => message.get(..cut).unwrap_or(&message).to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Result<Vec<TokenKind<'_>>, FilterError> {
        tokenize(input).map(|tokens| tokens.into_iter().map(|t| t.kind).collect())
    }

    #[test]
    fn splits_tokens() {
        use TokenKind::*;
        let s = |v: &str| String(v.to_owned());
        let cases: &[(&str, Vec<TokenKind<'_>>)] = &[
            ("a eq \"b\"", vec![Word("a"), Word("eq"), s("b")]),
            ("  a\teq\n\"b\" ", vec![Word("a"), Word("eq"), s("b")]),
            (
                "a eq\"b\"and",
                vec![Word("a"), Word("eq"), s("b"), Word("and")],
            ),
            (
                "not(x[y pr])",
                vec![
                    Word("not"),
                    LeftParen,
                    Word("x"),
                    LeftBracket,
                    Word("y"),
                    Word("pr"),
                    RightBracket,
                    RightParen,
                ],
            ),
            (
                r#""\"\\\/\b\f\n\r\t\u00e9""#,
                vec![s("\"\\/\u{8}\u{c}\n\r\té")],
            ),
            (r#""\ud83d\ude00 é""#, vec![s("😀 é")]),
            ("\"\\é\"", vec![]),
            ("x eq -1.5e3", vec![Word("x"), Word("eq"), Word("-1.5e3")]),
            ("", vec![]),
        ];
        for (input, expected) in cases {
            match kinds(input) {
                Ok(got) => assert_eq!(&got, expected, "{input}"),
                Err(error) => assert!(expected.is_empty(), "{input}: {error}"),
            }
        }
    }

    #[test]
    fn string_errors() {
        assert_eq!(
            kinds("a eq \"abc"),
            Err(FilterError::UnterminatedString { start: 5 })
        );
        assert_eq!(
            kinds("a eq \"abc\\\""),
            Err(FilterError::UnterminatedString { start: 5 })
        );
        assert_eq!(
            kinds("a eq \"abc\\"),
            Err(FilterError::UnterminatedString { start: 5 })
        );
        assert!(matches!(
            kinds("a eq \"\\x\""),
            Err(FilterError::InvalidString { span, .. }) if span == Span::new(5, 9)
        ));
        assert!(matches!(
            kinds("a eq \"tab\there\""),
            Err(FilterError::InvalidString { .. })
        ));
        assert!(matches!(
            kinds("a eq \"\\u12\""),
            Err(FilterError::InvalidString { .. })
        ));
        for nul in [
            "a eq \"\\u0000\"",
            "a eq \"x\\u0000y\"",
            "a[b eq \"\\u0000\"]",
        ] {
            assert!(
                matches!(kinds(nul), Err(FilterError::NulCharacter { .. })),
                "{nul}"
            );
            let error = crate::ScimError::from(kinds(nul).unwrap_err());
            assert_eq!(
                error.scim_type,
                Some(crate::ScimType::InvalidValue),
                "{nul}"
            );
        }
    }
}
