//! Why a filter string does not parse. Every variant knows the byte span it
//! is about; every message says "at byte N".

use std::ops::Range;

use super::ast::Span;
use crate::error::ScimError;
use crate::path::AttrPathError;

/// A syntax error in a filter, with the byte span of the offending input.
///
/// Converts into a 400 `invalidFilter` [`ScimError`] carrying the span.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The filter is empty or only whitespace.
    #[error("empty filter")]
    Empty,
    /// The filter is longer than [`super::MAX_FILTER_LENGTH`] bytes.
    #[error("filter is {length} bytes long; the limit is {max} bytes")]
    TooLong {
        /// The length of the input in bytes.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// Parentheses, `not` and brackets nest deeper than [`super::MAX_FILTER_DEPTH`].
    #[error("filter nests deeper than {max} levels at byte {}", span.start)]
    TooDeep {
        /// The opening parenthesis or bracket one level too deep.
        span: Span,
        /// The limit.
        max: usize,
    },
    /// A string literal has no closing quote.
    #[error("unterminated string starting at byte {start}")]
    UnterminatedString {
        /// Where the opening quote is.
        start: usize,
    },
    /// A string literal is not a valid JSON string (bad escape, raw control character).
    #[error("invalid string at byte {}: {reason}", span.start)]
    InvalidString {
        /// The whole string literal, quotes included.
        span: Span,
        /// What the JSON reader objected to.
        reason: String,
    },
    /// A string literal holds a NUL character (U+0000), which no attribute value may hold.
    /// Converts into a 400 `invalidValue`, as a NUL anywhere in a request does.
    #[error("the string at byte {} holds a NUL character (U+0000)", span.start)]
    NulCharacter {
        /// The whole string literal, quotes included.
        span: Span,
    },
    /// A value that starts like a number is not a JSON number (or is out of range).
    #[error("invalid number {text:?} at byte {}", span.start)]
    InvalidNumber {
        /// The token.
        span: Span,
        /// The text, shortened if long.
        text: String,
    },
    /// Where an attribute path was expected, the token is not one.
    #[error("invalid attribute path {text:?} at byte {}: {reason}", span.start)]
    InvalidAttributePath {
        /// The token.
        span: Span,
        /// The text, shortened if long.
        text: String,
        /// Why it is not an attribute path.
        reason: AttrPathError,
    },
    /// An attribute path is followed by nothing, or by something that is not a word.
    #[error("expected an operator after attribute path at byte {}", span.start)]
    MissingOperator {
        /// What follows the attribute path (empty at the end of input).
        span: Span,
    },
    /// An attribute path is followed by a word that is no operator.
    #[error("unknown operator {found:?} at byte {} (expected eq, ne, co, sw, ew, gt, ge, lt, le or pr)", span.start)]
    UnknownOperator {
        /// The word.
        span: Span,
        /// The word, shortened if long.
        found: String,
    },
    /// A comparison operator is followed by no value.
    #[error("expected a value after the operator at byte {}", span.start)]
    MissingValue {
        /// What follows the operator (empty at the end of input).
        span: Span,
    },
    /// A comparison operator is followed by a word that is no literal (an unquoted string).
    #[error("invalid value {found:?} at byte {}: expected a string in double quotes, a number, true, false or null", span.start)]
    InvalidValue {
        /// The word.
        span: Span,
        /// The word, shortened if long.
        found: String,
    },
    /// `pr` is followed by a value.
    #[error("unexpected value at byte {}: pr takes no value", span.start)]
    PresentWithValue {
        /// The value.
        span: Span,
    },
    /// `not` is not followed by `(` (RFC 7644 requires the parentheses).
    #[error("expected '(' after 'not' at byte {}", span.start)]
    NotWithoutParentheses {
        /// The `not` keyword.
        span: Span,
    },
    /// A `(` is never closed.
    #[error("unclosed '(' at byte {}", span.start)]
    UnclosedParenthesis {
        /// The opening parenthesis.
        span: Span,
    },
    /// A `)` closes nothing.
    #[error("unexpected ')' at byte {}", span.start)]
    UnexpectedCloseParenthesis {
        /// The closing parenthesis.
        span: Span,
    },
    /// A `[` is never closed.
    #[error("unclosed '[' at byte {}", span.start)]
    UnclosedBracket {
        /// The opening bracket.
        span: Span,
    },
    /// A `]` closes nothing.
    #[error("unexpected ']' at byte {}", span.start)]
    UnexpectedCloseBracket {
        /// The closing bracket.
        span: Span,
    },
    /// A value path inside a value path's brackets.
    #[error("nested '[' at byte {}: a value filter cannot contain another value path", span.start)]
    NestedValuePath {
        /// The inner opening bracket.
        span: Span,
    },
    /// Where an expression should start there is something else (or nothing).
    #[error("expected an attribute path, '(' or 'not' at byte {}, found {found}", span.start)]
    ExpectedExpression {
        /// What was found (empty at the end of input).
        span: Span,
        /// A description of what was found.
        found: String,
    },
    /// After a complete expression comes something other than `and`, `or` or the end.
    #[error("expected 'and', 'or' or the end of the filter at byte {}, found {found}", span.start)]
    ExpectedLogicalOperator {
        /// What was found.
        span: Span,
        /// A description of what was found.
        found: String,
    },
}

impl FilterError {
    /// The byte range the error is about (`0..0` for [`FilterError::Empty`],
    /// the whole input for [`FilterError::TooLong`]).
    pub fn span(&self) -> Range<usize> {
        match self {
            FilterError::Empty => 0..0,
            FilterError::TooLong { length, .. } => 0..*length,
            FilterError::UnterminatedString { start } => *start..start.saturating_add(1),
            FilterError::TooDeep { span, .. }
            | FilterError::InvalidString { span, .. }
            | FilterError::NulCharacter { span }
            | FilterError::InvalidNumber { span, .. }
            | FilterError::InvalidAttributePath { span, .. }
            | FilterError::MissingOperator { span }
            | FilterError::UnknownOperator { span, .. }
            | FilterError::MissingValue { span }
            | FilterError::InvalidValue { span, .. }
            | FilterError::PresentWithValue { span }
            | FilterError::NotWithoutParentheses { span }
            | FilterError::UnclosedParenthesis { span }
            | FilterError::UnexpectedCloseParenthesis { span }
            | FilterError::UnclosedBracket { span }
            | FilterError::UnexpectedCloseBracket { span }
            | FilterError::NestedValuePath { span }
            | FilterError::ExpectedExpression { span, .. }
            | FilterError::ExpectedLogicalOperator { span, .. } => span.range(),
        }
    }
}

impl From<FilterError> for ScimError {
    fn from(error: FilterError) -> Self {
        let span = error.span();
        if let FilterError::NulCharacter { .. } = error {
            return ScimError::invalid_value(error.to_string()).with_span(span);
        }
        ScimError::invalid_filter(error.to_string()).with_span(span)
    }
}

/// At most `MAX_ECHO` characters of client text in an error message.
pub(crate) fn shorten(text: &str) -> String {
    const MAX_ECHO: usize = 40;
    if text.chars().count() <= MAX_ECHO {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX_ECHO).collect();
        short.push('…');
        short
    }
}
