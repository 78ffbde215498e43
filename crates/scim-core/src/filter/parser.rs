//! Recursive descent over the tokens, RFC 7644 §3.4.2.2 (Figure 1):
//!
//! ```text
//! filter  = or
//! or      = and *("or" and)              ; one n-ary node per chain
//! and     = unary *("and" unary)
//! unary   = "not" "(" or ")" / "(" or ")" / attrExp / valuePath
//! attrExp = attrPath "pr" / attrPath compareOp compValue
//! valuePath = attrPath "[" or "]"        ; no value path inside the brackets
//! ```
//!
//! Chains of the same operator are parsed with loops, so their length costs
//! no stack. The parser recurses only into `( )`, `not ( )` and `[ ]`, and
//! checks [`MAX_FILTER_DEPTH`] *before* each of those recursions.

use super::ast::{CompareOp, Filter, Literal, Span};
use super::error::{FilterError, shorten};
use super::lexer::{Token, TokenKind, tokenize};
use super::literal::{is_value_token, word_literal};
use super::{MAX_FILTER_DEPTH, MAX_FILTER_LENGTH};
use crate::dialect::{Deviation, DialectContext};
use crate::error::ScimError;
use crate::path::AttrPath;

/// Parse a filter (RFC 7644 §3.4.2.2).
///
/// Keywords and operators are case-insensitive; attribute names keep the
/// casing the client sent. Fails on input longer than [`MAX_FILTER_LENGTH`]
/// bytes or nested deeper than [`MAX_FILTER_DEPTH`], never panics.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    parse_with(input, false).map(|(filter, _)| filter)
}

/// [`parse`] in an organization's dialect. The lenient dialect also reads Entra ID's
/// work-email matching filter, `attr[filter].sub op value` (outside the RFC grammar), as
/// `attr[filter and sub op value]`: [`Deviation::ValuePathSubAttribute`], tolerated by
/// `dialect` (recorded when lenient, a 400 naming the rule when strict).
pub fn parse_in(input: &str, dialect: &mut DialectContext) -> Result<Filter, ScimError> {
    let (filter, met) = parse_with(input, true)?;
    for span in met {
        dialect.tolerate(
            Deviation::ValuePathSubAttribute,
            &format!("the filter at byte {}", span.start),
        )?;
    }
    Ok(filter)
}

/// Parse `input`; with `sub_attribute_after_value_path`, also `attr[filter].sub op value`,
/// whose spans are answered.
fn parse_with(
    input: &str,
    sub_attribute_after_value_path: bool,
) -> Result<(Filter, Vec<Span>), FilterError> {
    if input.len() > MAX_FILTER_LENGTH {
        return Err(FilterError::TooLong {
            length: input.len(),
            max: MAX_FILTER_LENGTH,
        });
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(FilterError::Empty);
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        end: input.len(),
        depth: 0,
        sub_attribute_after_value_path,
        met: Vec::new(),
    };
    let filter = parser.parse_or(false)?;
    match parser.peek() {
        None => Ok((filter, parser.met)),
        Some(token) => Err(match token.kind {
            TokenKind::RightParen => FilterError::UnexpectedCloseParenthesis { span: token.span },
            TokenKind::RightBracket => FilterError::UnexpectedCloseBracket { span: token.span },
            _ => FilterError::ExpectedLogicalOperator {
                span: token.span,
                found: token.describe(),
            },
        }),
    }
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    /// The input length: the position of "end of input".
    end: usize,
    /// How many groups (`( )`, `not ( )`, `[ ]`) enclose the current position.
    depth: usize,
    /// Whether `attr[filter].sub op value` is read (the lenient dialect's Entra form).
    sub_attribute_after_value_path: bool,
    /// Where that form was met.
    met: Vec<Span>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos)
    }

    fn peek_second(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos + 1)
    }

    fn advance(&mut self) -> Option<Token<'a>> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    /// The span at which "what comes next" is: the next token, or the end.
    fn next_span(&self) -> Span {
        self.peek()
            .map_or(Span::new(self.end, self.end), |token| token.span)
    }

    fn next_description(&self) -> String {
        self.peek()
            .map_or_else(|| "the end of the filter".to_owned(), Token::describe)
    }

    /// Consume the next token if it is the keyword `keyword` (case-insensitively).
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let is_keyword = matches!(
            self.peek(),
            Some(Token { kind: TokenKind::Word(word), .. }) if word.eq_ignore_ascii_case(keyword)
        );
        if is_keyword {
            self.pos += 1;
        }
        is_keyword
    }

    /// Enter a group opened at `open`, refusing to nest too deep.
    fn enter(&mut self, open: Span) -> Result<(), FilterError> {
        if self.depth >= MAX_FILTER_DEPTH {
            return Err(FilterError::TooDeep {
                span: open,
                max: MAX_FILTER_DEPTH,
            });
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn parse_or(&mut self, in_brackets: bool) -> Result<Filter, FilterError> {
        let first = self.parse_and(in_brackets)?;
        if !self.eat_keyword("or") {
            return Ok(first);
        }
        let mut operands = vec![first];
        loop {
            operands.push(self.parse_and(in_brackets)?);
            if !self.eat_keyword("or") {
                break;
            }
        }
        Ok(Filter::Or {
            span: span_of(&operands),
            operands,
        })
    }

    fn parse_and(&mut self, in_brackets: bool) -> Result<Filter, FilterError> {
        let first = self.parse_unary(in_brackets)?;
        if !self.eat_keyword("and") {
            return Ok(first);
        }
        let mut operands = vec![first];
        loop {
            operands.push(self.parse_unary(in_brackets)?);
            if !self.eat_keyword("and") {
                break;
            }
        }
        Ok(Filter::And {
            span: span_of(&operands),
            operands,
        })
    }

    fn parse_unary(&mut self, in_brackets: bool) -> Result<Filter, FilterError> {
        let Some(token) = self.peek().cloned() else {
            return Err(FilterError::ExpectedExpression {
                span: self.next_span(),
                found: self.next_description(),
            });
        };
        match token.kind {
            TokenKind::LeftParen => {
                self.pos += 1;
                let (inner, _close) = self.parse_group(token.span, in_brackets)?;
                Ok(inner)
            }
            TokenKind::Word(word) if word.eq_ignore_ascii_case("not") => {
                match self.peek_second().map(|next| (&next.kind, next.span)) {
                    Some((TokenKind::LeftParen, open)) => {
                        self.pos += 2;
                        let (inner, close) = self.parse_group(open, in_brackets)?;
                        Ok(Filter::Not {
                            filter: Box::new(inner),
                            span: token.span.to(close),
                        })
                    }
                    // `not pr`, `not eq 1`, `not[...]`: an attribute named "not".
                    Some((TokenKind::LeftBracket, _)) => {
                        self.parse_attribute_expression(in_brackets)
                    }
                    Some((TokenKind::Word(next), _)) if is_operator(next) => {
                        self.parse_attribute_expression(in_brackets)
                    }
                    _ => Err(FilterError::NotWithoutParentheses { span: token.span }),
                }
            }
            TokenKind::Word(_) => self.parse_attribute_expression(in_brackets),
            TokenKind::RightParen
            | TokenKind::LeftBracket
            | TokenKind::RightBracket
            | TokenKind::String(_) => Err(FilterError::ExpectedExpression {
                span: token.span,
                found: token.describe(),
            }),
        }
    }

    /// After an opening parenthesis at `open`: the inner filter and the closing `)`'s span.
    fn parse_group(
        &mut self,
        open: Span,
        in_brackets: bool,
    ) -> Result<(Filter, Span), FilterError> {
        self.enter(open)?;
        let inner = self.parse_or(in_brackets)?;
        match self.peek() {
            Some(Token {
                kind: TokenKind::RightParen,
                span,
            }) => {
                let close = *span;
                self.pos += 1;
                self.leave();
                Ok((inner, close))
            }
            Some(Token {
                kind: TokenKind::RightBracket,
                span,
            }) if !in_brackets => Err(FilterError::UnexpectedCloseBracket { span: *span }),
            None
            | Some(Token {
                kind: TokenKind::RightBracket,
                ..
            }) => Err(FilterError::UnclosedParenthesis { span: open }),
            Some(token) => Err(FilterError::ExpectedLogicalOperator {
                span: token.span,
                found: token.describe(),
            }),
        }
    }

    /// `attrPath pr`, `attrPath op value` or `attrPath [ valFilter ]`.
    fn parse_attribute_expression(&mut self, in_brackets: bool) -> Result<Filter, FilterError> {
        let Some(Token {
            kind: TokenKind::Word(word),
            span: path_span,
        }) = self.advance()
        else {
            return Err(FilterError::ExpectedExpression {
                span: self.next_span(),
                found: self.next_description(),
            });
        };
        let path = AttrPath::parse(word).map_err(|reason| FilterError::InvalidAttributePath {
            span: path_span,
            text: shorten(word),
            reason,
        })?;
        let Some(token) = self.peek().cloned() else {
            return Err(FilterError::MissingOperator {
                span: Span::new(self.end, self.end),
            });
        };
        match token.kind {
            TokenKind::LeftBracket if in_brackets => {
                Err(FilterError::NestedValuePath { span: token.span })
            }
            TokenKind::LeftBracket => {
                self.pos += 1;
                self.enter(token.span)?;
                let inner = self.parse_or(true)?;
                let close = match self.peek() {
                    Some(Token {
                        kind: TokenKind::RightBracket,
                        span,
                    }) => *span,
                    Some(Token {
                        kind: TokenKind::RightParen,
                        span,
                    }) => return Err(FilterError::UnexpectedCloseParenthesis { span: *span }),
                    Some(Token {
                        kind: TokenKind::LeftBracket,
                        span,
                    }) => return Err(FilterError::NestedValuePath { span: *span }),
                    None => return Err(FilterError::UnclosedBracket { span: token.span }),
                    Some(other) => {
                        return Err(FilterError::ExpectedLogicalOperator {
                            span: other.span,
                            found: other.describe(),
                        });
                    }
                };
                self.pos += 1;
                self.leave();
                let (inner, end) = match self.sub_attribute_comparison()? {
                    None => (inner, close),
                    Some(comparison) => {
                        let end = comparison.span();
                        self.met.push(path_span.to(end));
                        let span = inner.span().to(end);
                        let and = Filter::And {
                            operands: vec![inner, comparison],
                            span,
                        };
                        (and, end)
                    }
                };
                Ok(Filter::ValuePath {
                    path,
                    path_span,
                    filter: Box::new(inner),
                    span: path_span.to(end),
                })
            }
            TokenKind::Word(op_word) if op_word.eq_ignore_ascii_case("pr") => {
                self.pos += 1;
                if let Some(value) = self.peek().filter(|t| is_value_token(t)) {
                    return Err(FilterError::PresentWithValue { span: value.span });
                }
                Ok(Filter::Present {
                    path,
                    path_span,
                    span: path_span.to(token.span),
                })
            }
            TokenKind::Word(op_word) => {
                let op = CompareOp::from_keyword(op_word).ok_or_else(|| {
                    FilterError::UnknownOperator {
                        span: token.span,
                        found: shorten(op_word),
                    }
                })?;
                self.pos += 1;
                let (value, value_span) = self.parse_value()?;
                Ok(Filter::Compare {
                    path,
                    path_span,
                    op,
                    value,
                    value_span,
                    span: path_span.to(value_span),
                })
            }
            _ => Err(FilterError::MissingOperator { span: token.span }),
        }
    }

    /// After `attr[filter]`, Entra ID's `.sub op value` (or `.sub pr`), read as a
    /// comparison of the sub-attribute inside the brackets; `None` when the next token is
    /// not `.sub` or the form is not read.
    fn sub_attribute_comparison(&mut self) -> Result<Option<Filter>, FilterError> {
        if !self.sub_attribute_after_value_path {
            return Ok(None);
        }
        let Some(Token {
            kind: TokenKind::Word(word),
            span,
        }) = self.peek().cloned()
        else {
            return Ok(None);
        };
        let Some(sub) = word.strip_prefix('.') else {
            return Ok(None);
        };
        let sub_span = Span::new(span.start + 1, span.end);
        let path = AttrPath::parse(sub).map_err(|reason| FilterError::InvalidAttributePath {
            span: sub_span,
            text: shorten(sub),
            reason,
        })?;
        self.pos += 1;
        let Some(token) = self.peek().cloned() else {
            return Err(FilterError::MissingOperator {
                span: Span::new(self.end, self.end),
            });
        };
        let TokenKind::Word(op_word) = token.kind else {
            return Err(FilterError::MissingOperator { span: token.span });
        };
        self.pos += 1;
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Some(Filter::Present {
                path,
                path_span: sub_span,
                span: sub_span.to(token.span),
            }));
        }
        let op = CompareOp::from_keyword(op_word).ok_or_else(|| FilterError::UnknownOperator {
            span: token.span,
            found: shorten(op_word),
        })?;
        let (value, value_span) = self.parse_value()?;
        Ok(Some(Filter::Compare {
            path,
            path_span: sub_span,
            op,
            value,
            value_span,
            span: sub_span.to(value_span),
        }))
    }

    /// `compValue = false / null / true / number / string`.
    fn parse_value(&mut self) -> Result<(Literal, Span), FilterError> {
        let Some(token) = self.peek().cloned() else {
            return Err(FilterError::MissingValue {
                span: Span::new(self.end, self.end),
            });
        };
        let literal = match token.kind {
            TokenKind::String(value) => Literal::String(value),
            TokenKind::Word(word) => word_literal(word, token.span)?,
            _ => return Err(FilterError::MissingValue { span: token.span }),
        };
        self.pos += 1;
        Ok((literal, token.span))
    }
}

fn is_operator(word: &str) -> bool {
    word.eq_ignore_ascii_case("pr") || CompareOp::from_keyword(word).is_some()
}
fn span_of(operands: &[Filter]) -> Span {
    match (operands.first(), operands.last()) {
        (Some(first), Some(last)) => first.span().to(last.span()),
        _ => Span::EMPTY,
    }
}

#[cfg(test)]
mod entra_form {
    use super::*;
    use crate::dialect::Dialect;

    #[test]
    fn a_sub_attribute_after_a_value_path_is_read_inside_it_when_lenient() {
        let entra = r#"emails[type eq "work"].value eq "ann@example.com""#;
        let mut lenient = DialectContext::new(Dialect::Lenient);
        let filter = parse_in(entra, &mut lenient).unwrap();
        assert_eq!(
            filter.to_string(),
            r#"emails[type eq "work" and value eq "ann@example.com"]"#
        );
        assert_eq!(lenient.tolerated, vec![Deviation::ValuePathSubAttribute]);
        let mut strict = DialectContext::new(Dialect::Strict);
        let error = parse_in(entra, &mut strict).unwrap_err();
        assert_eq!(error.scim_type, Some(crate::ScimType::InvalidFilter));
        assert!(error.detail.contains("§3.4.2.2"), "{}", error.detail);
        // The RFC parser still refuses it, and RFC filters need no tolerance.
        assert!(parse(entra).is_err());
        let mut lenient = DialectContext::new(Dialect::Lenient);
        let rfc = r#"emails[type eq "work" and value eq "a"] or userName pr"#;
        assert_eq!(parse_in(rfc, &mut lenient).unwrap().to_string(), rfc);
        assert!(lenient.tolerated.is_empty());
        // Other forms of it, and what stays an error.
        let cases = [
            (
                r#"emails[type eq "work" or type eq "home"].value co "@x" and active eq true"#,
                Some(
                    r#"emails[(type eq "work" or type eq "home") and value co "@x"] and active eq true"#,
                ),
            ),
            (
                r#"emails[type eq "work"].value pr"#,
                Some(r#"emails[type eq "work" and value pr]"#),
            ),
            (r#"emails[type eq "work"].value"#, None),
            (r#"emails[type eq "work"].value zz "x""#, None),
            (r#"emails[type eq "work"].value eq"#, None),
            (r#"emails[type eq "work"]."#, None),
        ];
        for (input, expected) in cases {
            let mut lenient = DialectContext::new(Dialect::Lenient);
            let got = parse_in(input, &mut lenient).map(|filter| filter.to_string());
            match expected {
                Some(expected) => assert_eq!(got.as_deref(), Ok(expected), "{input}"),
                None => assert!(got.is_err(), "{input}: {got:?}"),
            }
        }
    }
}
