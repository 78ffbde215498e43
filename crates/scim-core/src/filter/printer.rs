//! The canonical text of a filter.
//!
//! Keywords and operators in lower case, one space between tokens, strings
//! JSON-escaped, attribute paths as the client wrote them, and parentheses
//! only where the tree needs them: around an `or` inside an `and`, and around
//! a nested node of the same operator (`(a pr or b pr) or c pr`), which the
//! parser would otherwise flatten. Hence `parse(&filter.to_string())` gives
//! back `filter` up to spans (see [`Filter::same_shape`]).

use std::fmt;

use super::ast::{CompareOp, Filter, Literal};

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(value) => {
                let quoted = serde_json::to_string(value).map_err(|_| fmt::Error)?;
                f.write_str(&quoted)
            }
            Literal::Number(number) => write!(f, "{number}"),
            Literal::Bool(true) => f.write_str("true"),
            Literal::Bool(false) => f.write_str("false"),
            Literal::Null => f.write_str("null"),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare {
                path, op, value, ..
            } => write!(f, "{path} {op} {value}"),
            Filter::Present { path, .. } => write!(f, "{path} pr"),
            Filter::ValuePath { path, filter, .. } => write!(f, "{path}[{filter}]"),
            Filter::Not { filter, .. } => write!(f, "not ({filter})"),
            Filter::And { operands, .. } => write_chain(f, operands, "and", |operand| {
                matches!(operand, Filter::And { .. } | Filter::Or { .. })
            }),
            Filter::Or { operands, .. } => write_chain(f, operands, "or", |operand| {
                matches!(operand, Filter::Or { .. })
            }),
        }
    }
}

/// `a op b op c`, parenthesising the operands `needs_parentheses` picks.
fn write_chain(
    f: &mut fmt::Formatter<'_>,
    operands: &[Filter],
    keyword: &str,
    needs_parentheses: impl Fn(&Filter) -> bool,
) -> fmt::Result {
    for (index, operand) in operands.iter().enumerate() {
        if index > 0 {
            write!(f, " {keyword} ")?;
        }
        if needs_parentheses(operand) {
            write!(f, "({operand})")?;
        } else {
            write!(f, "{operand}")?;
        }
    }
    Ok(())
}
