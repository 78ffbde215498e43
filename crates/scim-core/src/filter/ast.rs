//! The filter syntax tree: what the parser produces and the printer prints.
//!
//! Every node keeps the byte [`Span`] of the input it came from, so later
//! stages (schema resolution) can point at the offending part of a filter.
//! Equality is structural *including* spans; compare two filters ignoring
//! where they came from with [`Filter::same_shape`] (or normalise one with
//! [`Filter::without_spans`]).

use std::ops::Range;

use crate::path::AttrPath;

/// A half-open byte range `start..end` of the filter text.
///
/// `Copy` where `Range<usize>` is not; convert with [`Span::range`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The empty span at offset 0, used by [`Filter::without_spans`].
    pub const EMPTY: Span = Span { start: 0, end: 0 };

    /// The span as a `Range<usize>` (the form [`crate::ScimError::span`] takes).
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl From<Span> for Range<usize> {
    fn from(span: Span) -> Self {
        span.range()
    }
}

/// A comparison operator of RFC 7644 §3.4.2.2 (Table 3), `pr` excepted:
/// presence takes no value and is its own node, [`Filter::Present`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains (substring).
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// Every operator, in RFC order.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The lower-case keyword, e.g. `"eq"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// The operator for a keyword, compared case-insensitively (`pr` is not one).
    pub fn from_keyword(keyword: &str) -> Option<CompareOp> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(keyword))
    }

    /// Whether the operator orders values (`gt`, `ge`, `lt`, `le`).
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    /// Whether the operator matches substrings (`co`, `sw`, `ew`).
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

/// A comparison value (`compValue` of RFC 7644 §3.4.2.2).
///
/// dateTime values are strings here; they are typed when the filter is
/// resolved against a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A JSON string, escapes decoded.
    String(String),
    /// A JSON number, kept exactly as `serde_json` reads it (so printing round-trips).
    Number(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A parsed filter expression.
///
/// `And` and `Or` are n-ary: a chain `a or b or c` is one `Or` with three
/// operands, so long flat chains cost no nesting. A parenthesised group of
/// the same operator stays a nested node (`(a or b) or c`), which is how
/// printing then parsing gives back the same tree. Both always hold two or
/// more operands when they come from the parser.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op compValue`.
    Compare {
        /// The attribute, as the client wrote it.
        path: AttrPath,
        /// Where the attribute path is.
        path_span: Span,
        /// The operator.
        op: CompareOp,
        /// The value.
        value: Literal,
        /// Where the value is.
        value_span: Span,
        /// The whole expression.
        span: Span,
    },
    /// `attrPath pr`.
    Present {
        /// The attribute, as the client wrote it.
        path: AttrPath,
        /// Where the attribute path is.
        path_span: Span,
        /// The whole expression.
        span: Span,
    },
    /// `attrPath "[" valFilter "]"`: one value of a multi-valued (or the value
    /// of a single-valued) complex attribute must satisfy the whole inner
    /// filter, whose attribute names are sub-attributes of `path`.
    ValuePath {
        /// The parent attribute.
        path: AttrPath,
        /// Where the parent attribute path is.
        path_span: Span,
        /// The filter inside the brackets; it contains no value path.
        filter: Box<Filter>,
        /// The whole expression, brackets included.
        span: Span,
    },
    /// `not "(" filter ")"`.
    Not {
        /// The negated filter.
        filter: Box<Filter>,
        /// From `not` to the closing parenthesis.
        span: Span,
    },
    /// `filter and filter [and filter ...]`.
    And {
        /// Two or more operands, in order.
        operands: Vec<Filter>,
        /// From the first operand to the last.
        span: Span,
    },
    /// `filter or filter [or filter ...]`.
    Or {
        /// Two or more operands, in order.
        operands: Vec<Filter>,
        /// From the first operand to the last.
        span: Span,
    },
}

impl Filter {
    /// The span of the whole node.
    pub fn span(&self) -> Span {
        match self {
            Filter::Compare { span, .. }
            | Filter::Present { span, .. }
            | Filter::ValuePath { span, .. }
            | Filter::Not { span, .. }
            | Filter::And { span, .. }
            | Filter::Or { span, .. } => *span,
        }
    }

    /// The same tree with every span set to [`Span::EMPTY`].
    pub fn without_spans(&self) -> Filter {
        let mut copy = self.clone();
        copy.clear_spans();
        copy
    }

    /// Whether two filters have the same structure and values, wherever in
    /// which input they came from (spans are ignored).
    pub fn same_shape(&self, other: &Filter) -> bool {
        self.without_spans() == other.without_spans()
    }

    /// How deeply `not`, `and`, `or` and value paths nest (a comparison is 0).
    pub fn depth(&self) -> usize {
        match self {
            Filter::Compare { .. } | Filter::Present { .. } => 0,
            Filter::ValuePath { filter, .. } | Filter::Not { filter, .. } => filter.depth() + 1,
            Filter::And { operands, .. } | Filter::Or { operands, .. } => {
                operands.iter().map(Filter::depth).max().unwrap_or(0) + 1
            }
        }
    }

    fn clear_spans(&mut self) {
        match self {
            Filter::Compare {
                path_span,
                value_span,
                span,
                ..
            } => {
                *path_span = Span::EMPTY;
                *value_span = Span::EMPTY;
                *span = Span::EMPTY;
            }
            Filter::Present {
                path_span, span, ..
            } => {
                *path_span = Span::EMPTY;
                *span = Span::EMPTY;
            }
            Filter::ValuePath {
                path_span,
                filter,
                span,
                ..
            } => {
                *path_span = Span::EMPTY;
                *span = Span::EMPTY;
                filter.clear_spans();
            }
            Filter::Not { filter, span } => {
                *span = Span::EMPTY;
                filter.clear_spans();
            }
            Filter::And { operands, span } | Filter::Or { operands, span } => {
                *span = Span::EMPTY;
                operands.iter_mut().for_each(Filter::clear_spans);
            }
        }
    }
}
