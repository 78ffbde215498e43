//! Literal words: `true`, `false`, `null` (case-insensitive) and JSON
//! numbers (RFC 8259 §6), read exactly so that printing round-trips.

use super::ast::{Literal, Span};
use super::error::{FilterError, shorten};
use super::lexer::{Token, TokenKind};

/// A token that can only be a value: after `pr` it is an error.
pub(crate) fn is_value_token(token: &Token<'_>) -> bool {
    match token.kind {
        TokenKind::String(_) => true,
        TokenKind::Word(word) => {
            ["true", "false", "null"]
                .iter()
                .any(|k| word.eq_ignore_ascii_case(k))
                || starts_like_number(word)
        }
        _ => false,
    }
}

fn starts_like_number(word: &str) -> bool {
    word.bytes()
        .next()
        .is_some_and(|b| b == b'-' || b.is_ascii_digit())
}

/// `true`, `false`, `null` (case-insensitive) or a JSON number.
pub(crate) fn word_literal(word: &str, span: Span) -> Result<Literal, FilterError> {
    if word.eq_ignore_ascii_case("true") {
        Ok(Literal::Bool(true))
    } else if word.eq_ignore_ascii_case("false") {
        Ok(Literal::Bool(false))
    } else if word.eq_ignore_ascii_case("null") {
        Ok(Literal::Null)
    } else if starts_like_number(word) {
        let invalid = || FilterError::InvalidNumber {
            span,
            text: shorten(word),
        };
        if !is_json_number(word) {
            return Err(invalid());
        }
        json_number(word).map(Literal::Number).ok_or_else(invalid)
    } else {
        Err(FilterError::InvalidValue {
            span,
            found: shorten(word),
        })
    }
}

/// A JSON number as an exact integer when it is one that fits in `i64` or
/// `u64`, else as the correctly rounded `f64` (Rust's parser, so printing
/// round-trips); `None` if it overflows `f64`.
fn json_number(text: &str) -> Option<serde_json::Number> {
    let is_integer = !text.contains(['.', 'e', 'E']);
    if is_integer {
        if let Ok(unsigned) = text.parse::<u64>() {
            return Some(unsigned.into());
        }
        if let Ok(signed) = text.parse::<i64>() {
            return Some(signed.into());
        }
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}

/// `number = [ "-" ] int [ frac ] [ exp ]` (RFC 8259 §6).
fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut pos = usize::from(bytes.first() == Some(&b'-'));
    let digits = |pos: &mut usize| {
        let start = *pos;
        while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
            *pos += 1;
        }
        *pos - start
    };
    let int_start = pos;
    let int_digits = digits(&mut pos);
    if int_digits == 0 || (int_digits > 1 && bytes.get(int_start) == Some(&b'0')) {
        return false;
    }
    if bytes.get(pos) == Some(&b'.') {
        pos += 1;
        if digits(&mut pos) == 0 {
            return false;
        }
    }
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(bytes.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        if digits(&mut pos) == 0 {
            return false;
        }
    }
    pos == bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers() {
        for ok in [
            "0",
            "-0",
            "7",
            "-12",
            "1.5",
            "-0.25",
            "1e5",
            "1E+5",
            "2.5e-3",
            "123456789012345678901234567890",
        ] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in [
            "", "-", "01", "+1", "1.", ".5", "1e", "1e+", "1.5.2", "0x10", "1_000", "--1", "1a",
        ] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}
