//! The SCIM filter language (RFC 7644 §3.4.2.2).
//!
//! A filter goes through three stages, each a separate concept:
//!
//! 1. **Syntax** — [`parse`] turns text into a [`Filter`] tree that keeps
//!    the byte [`Span`] of every node, or a [`FilterError`] that points at
//!    the offending byte. Input is bounded by [`MAX_FILTER_LENGTH`] bytes and
//!    [`MAX_FILTER_DEPTH`] nested groups, each with its own error; the parser
//!    loops over `and`/`or` chains and recurses only into groups, after
//!    checking the depth, so no input can exhaust the stack.
//!    [`Filter`]'s `Display` is the canonical text (minimal parentheses), and
//!    parsing it gives back the same tree up to spans ([`Filter::same_shape`]).
//! 2. **Meaning** — [`resolve`] checks a filter against the schemas of a
//!    resource type and produces a [`ResolvedFilter`]: every attribute
//!    resolved to its canonical name, location, type and caseExact, every
//!    literal typed, every RFC rule checked (unknown attribute, `gt` on a
//!    boolean, a string compared with a number, ...: 400 `invalidFilter`).
//!    [`resolve_value_filter`] does the same for the `[...]` of a PATCH path.
//!    The resolved form is self-describing so a database layer can translate
//!    it to SQL without the registry.
//! 3. **Evaluation** — [`ResolvedFilter::matches`] runs a resolved filter on
//!    a resource in memory ([`ResolvedFilter::matches_element`] on one element
//!    for PATCH). The semantics are documented on the evaluator and pinned by
//!    the shared corpus in `tests/corpus/`, which the SQL translation must
//!    pass too.
//!
//! ```
//! use scim_core::filter::{parse, resolve};
//! use scim_core::SchemaRegistry;
//!
//! let registry = SchemaRegistry::standard();
//! let users = registry.resource_type("User").unwrap();
//! let filter = parse(r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#)?;
//! let resolved = resolve(&registry, users, &filter)?;
//! let user = serde_json::json!({
//!     "userName": "bjensen",
//!     "userType": "employee",
//!     "emails": [{"type": "work", "value": "bjensen@EXAMPLE.com"}],
//! });
//! assert!(resolved.matches(&user));
//! # Ok::<(), scim_core::ScimError>(())
//! ```

mod ast;
mod error;
mod eval;
mod lexer;
mod literal;
mod parser;
mod printer;
mod resolve;
mod resolved;

pub use ast::{CompareOp, Filter, Literal, Span};
pub use error::FilterError;
pub use eval::{is_non_empty, is_present, member};
pub use parser::{parse, parse_in};
pub use resolve::{resolve, resolve_value_filter};
pub use resolved::{
    AttributeLocation, AttributeScope, ResolvedAttribute, ResolvedComparison, ResolvedFilter,
    ResolvedValue, ResolvedValuePath,
};

/// The longest filter accepted, in bytes ([`FilterError::TooLong`] beyond).
pub const MAX_FILTER_LENGTH: usize = 4096;

/// How many groups — `( ... )`, `not ( ... )` and `attr[ ... ]` — may
/// enclose one another ([`FilterError::TooDeep`] beyond). Chains of `and`
/// and `or` at one level cost no depth, however long.
pub const MAX_FILTER_DEPTH: usize = 32;
