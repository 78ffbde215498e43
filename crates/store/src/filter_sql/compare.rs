//! Typed comparisons of one slot with a literal: strings (caseExact or on the lower-cased
//! copy, ordered by code point; `sw` as an index range), numbers, booleans, dateTimes.

use scim_core::filter::{CompareOp, ResolvedComparison, ResolvedValue};
use scim_core::identity;

use super::FilterSql;
use super::slot::Slot;
use crate::sql::{Bind, SQL_FALSE};
use crate::{Backend, timestamp};

impl FilterSql<'_> {
    /// `slot op value`, typed by the literal; false when the slot lacks that type.
    pub(super) fn compare(&mut self, slot: &Slot, comparison: &ResolvedComparison) -> String {
        let op = comparison.op;
        match &comparison.value {
            ResolvedValue::String(literal) => {
                let (column, literal) = if let Some(key) = &slot.key {
                    // A value naming a resource: compared by identity keys, as in memory.
                    let literal = match op {
                        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                            identity::nfkc_casefold(literal).into_owned()
                        }
                        _ => identity::key(literal),
                    };
                    (Some(key.clone()), literal)
                } else if comparison.attribute.case_exact {
                    if let Some(guard) = self.exact_guard(slot, op, literal) {
                        let exact = slot.text.clone().map_or_else(
                            || SQL_FALSE.to_owned(),
                            |text| self.compare_text(&text, op, literal.clone()),
                        );
                        return format!("({guard} AND {exact})");
                    }
                    (slot.text.clone(), literal.clone())
                } else {
                    let lower = slot
                        .lower
                        .clone()
                        .or_else(|| slot.text.as_ref().map(|text| format!("lower({text})")));
                    (lower, literal.to_lowercase())
                };
                match column {
                    Some(column) => {
                        let comparison = self.compare_text(&column, op, literal.clone());
                        match self.prefix_guard(slot, &column, op, &literal) {
                            Some(guard) => format!("({guard} AND {comparison})"),
                            None => comparison,
                        }
                    }
                    None => SQL_FALSE.to_owned(),
                }
            }
            ResolvedValue::Integer(integer) => match (&slot.int, &slot.num) {
                (Some(int), Some(num)) => {
                    let Some(operator) = operator(op) else {
                        return SQL_FALSE.to_owned();
                    };
                    let exact = self.bind(Bind::BigInt(*integer));
                    #[allow(clippy::cast_precision_loss)]
                    let approximate = self.bind(Bind::Double(*integer as f64));
                    format!(
                        "(({int} IS NOT NULL AND {int} {operator} {exact}) OR \
                         ({int} IS NULL AND {num} IS NOT NULL AND {num} {operator} {approximate}))"
                    )
                }
                _ => SQL_FALSE.to_owned(),
            },
            ResolvedValue::Decimal(decimal) => match (&slot.num, operator(op)) {
                (Some(num), Some(operator)) => {
                    let value = self.bind(Bind::Double(*decimal));
                    format!("({num} IS NOT NULL AND {num} {operator} {value})")
                }
                _ => SQL_FALSE.to_owned(),
            },
            ResolvedValue::Boolean(flag) => match (&slot.boolean, op) {
                (Some(column), CompareOp::Eq | CompareOp::Ne) => {
                    let operator = if op == CompareOp::Eq { "=" } else { "<>" };
                    let value = self.bind(Bind::Bool(*flag));
                    format!("({column} IS NOT NULL AND {column} {operator} {value})")
                }
                _ => SQL_FALSE.to_owned(),
            },
            ResolvedValue::DateTime(instant) => match (&slot.time, operator(op)) {
                (Some(column), Some(operator)) => {
                    let value = self.bind(Bind::Text(timestamp::to_db(*instant)));
                    let column = self.ordered(column);
                    format!("({column} IS NOT NULL AND {column} {operator} {value})")
                }
                _ => SQL_FALSE.to_owned(),
            },
        }
    }

    /// A text expression, collated by code point for ordering.
    pub(super) fn ordered(&self, column: &str) -> String {
        match self.backend() {
            Backend::Postgres => format!("({column} COLLATE \"C\")"),
            Backend::Sqlite => column.to_owned(),
        }
    }

    /// On PostgreSQL the filter index holds the first [`INDEX_PREFIX`] characters of a text
    /// (a B-tree entry must fit in a third of a page; a certificate or a long URL does not):
    /// a condition on that prefix which the comparison implies, for the planner to search
    /// the index with. `None` where no index helps (`ne`, `co`, `ew`) or on SQLite, whose
    /// index holds whole values.
    fn prefix_guard(
        &mut self,
        slot: &Slot,
        column: &str,
        op: CompareOp,
        literal: &str,
    ) -> Option<String> {
        if !slot.prefix_indexed || self.backend() != Backend::Postgres {
            return None;
        }
        let prefix = format!("left({column}, {INDEX_PREFIX})");
        let head: String = literal.chars().take(INDEX_PREFIX).collect();
        let short = head.len() == literal.len();
        match op {
            CompareOp::Eq => {
                let head = self.bind(Bind::Text(head));
                Some(format!("{prefix} = {head}"))
            }
            CompareOp::Sw if short && !literal.is_empty() => {
                // A value starts with p exactly when its prefix does (p is no longer).
                let upper = prefix_successor(literal)?;
                let ordered = self.ordered(&prefix);
                let (head, upper) = (self.bind(Bind::Text(head)), self.bind(Bind::Text(upper)));
                Some(format!("{ordered} >= {head} AND {ordered} < {upper}"))
            }
            CompareOp::Sw if !short => {
                let head = self.bind(Bind::Text(head));
                Some(format!("{prefix} = {head}"))
            }
            CompareOp::Gt | CompareOp::Ge => {
                let ordered = self.ordered(&prefix);
                let head = self.bind(Bind::Text(head));
                Some(format!("{ordered} >= {head}"))
            }
            CompareOp::Lt | CompareOp::Le => {
                let ordered = self.ordered(&prefix);
                let head = self.bind(Bind::Text(head));
                Some(format!("{ordered} <= {head}"))
            }
            CompareOp::Sw | CompareOp::Ne | CompareOp::Co | CompareOp::Ew => None,
        }
    }

    /// The filter index has one text index, on the lower-cased copy (one on the text as
    /// stored took 400 bytes per user for the few case-exact attributes that would use
    /// it). A case-exact `eq` or `sw` there searches it with a condition its comparison
    /// implies: a text equal to p has the lower case of p, and a text starting with p has
    /// a lower case starting with the lower case of p. (That last fails for a capital
    /// sigma, which lowers by what follows it; a literal with one searches without.)
    /// `None` for other slots and comparisons.
    fn exact_guard(&mut self, slot: &Slot, op: CompareOp, literal: &str) -> Option<String> {
        if !slot.prefix_indexed {
            return None;
        }
        let lower = slot.lower.clone()?;
        match op {
            CompareOp::Eq => {}
            CompareOp::Sw if !literal.contains('\u{3A3}') => {}
            _ => return None,
        }
        let lowered = literal.to_lowercase();
        let comparison = self.compare_text(&lower, op, lowered.clone());
        Some(match self.prefix_guard(slot, &lower, op, &lowered) {
            Some(guard) => format!("{guard} AND {comparison}"),
            None => comparison,
        })
    }

    fn compare_text(&mut self, column: &str, op: CompareOp, literal: String) -> String {
        let not_null = format!("{column} IS NOT NULL");
        if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) && literal.is_empty() {
            // Every string contains, starts and ends with "".
            return format!("({not_null})");
        }
        let backend = self.backend();
        match op {
            CompareOp::Co => {
                let value = self.bind(Bind::Text(literal));
                match backend {
                    Backend::Sqlite => format!("({not_null} AND instr({column}, {value}) > 0)"),
                    Backend::Postgres => format!("({not_null} AND strpos({column}, {value}) > 0)"),
                }
            }
            CompareOp::Sw => {
                // The strings that start with p are exactly those in [p, successor(p)) in
                // code point order: an index range.
                let ordered = self.ordered(column);
                let upper = prefix_successor(&literal);
                let value = self.bind(Bind::Text(literal));
                match upper {
                    Some(upper) => {
                        let upper = self.bind(Bind::Text(upper));
                        format!("({not_null} AND {ordered} >= {value} AND {ordered} < {upper})")
                    }
                    None => match backend {
                        Backend::Sqlite => format!(
                            "({not_null} AND substr({column}, 1, length({value})) = {value})"
                        ),
                        Backend::Postgres => {
                            format!("({not_null} AND left({column}, length({value})) = {value})")
                        }
                    },
                }
            }
            CompareOp::Ew => {
                let value = self.bind(Bind::Text(literal));
                match backend {
                    Backend::Sqlite => {
                        format!("({not_null} AND substr({column}, -length({value})) = {value})")
                    }
                    Backend::Postgres => {
                        format!("({not_null} AND right({column}, length({value})) = {value})")
                    }
                }
            }
            CompareOp::Eq | CompareOp::Ne => {
                let operator = if op == CompareOp::Eq { "=" } else { "<>" };
                let value = self.bind(Bind::Text(literal));
                format!("({not_null} AND {column} {operator} {value})")
            }
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                let operator = operator(op).unwrap_or("=");
                let ordered = self.ordered(column);
                let value = self.bind(Bind::Text(literal));
                format!("({not_null} AND {ordered} {operator} {value})")
            }
        }
    }
}

/// How many characters of a text the filter index holds on PostgreSQL (migration
/// `2026-12-06-000003_long_values`): at most 1 KiB of UTF-8, well inside a B-tree entry
/// with the org, attribute and sub-attribute beside it.
pub(super) const INDEX_PREFIX: usize = 256;

/// The SQL operator of an ordering comparison; `None` for `co`/`sw`/`ew`.
fn operator(op: CompareOp) -> Option<&'static str> {
    match op {
        CompareOp::Eq => Some("="),
        CompareOp::Ne => Some("<>"),
        CompareOp::Gt => Some(">"),
        CompareOp::Ge => Some(">="),
        CompareOp::Lt => Some("<"),
        CompareOp::Le => Some("<="),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => None,
    }
}

/// The least string greater than every string starting with `prefix`: the prefix with its
/// last character incremented (dropping trailing U+10FFFF); `None` if there is none.
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            other => char::from_u32(u32::from(other) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::prefix_successor;

    #[test]
    fn prefix_successors() {
        assert_eq!(prefix_successor("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_successor("\u{10FFFF}"), None);
    }
}
