//! The PATCH engine (RFC 7644 §3.5.2).
//!
//! A request goes through three steps:
//!
//! 1. [`PatchRequest::parse`] checks the `PatchOp` envelope and parses every
//!    `path` once into a [`PatchPath`] (the bracketed value filter by
//!    [`crate::filter::parse`]).
//! 2. [`apply_patch`] resolves each path against the resource type and
//!    applies the operations, in order, to a copy of the resource; then
//!    [`crate::validate_resource`] checks and normalizes the result as a
//!    PATCH of the stored resource. One failing operation fails the request
//!    and nothing is applied (the input is only ever read).
//! 3. The [`PatchOutcome`] says whether anything changed (`changed == false`:
//!    no version bump, no audit record) and what, per attribute.
//!
//! For a Group, [`plan_group_patch`] does the same without the member list:
//! each operation on `members` becomes a [`MemberChange`] the store applies
//! row by row, so a PATCH of a million-member group costs what its change
//! costs. [`apply_patch`] on a full group goes through the same changes
//! ([`apply_member_changes`]), so both routes give the same members.
//!
//! # Semantics
//!
//! - **add** (§3.5.2.1). Without `path`, `value` is an object of attributes
//!   (an extension URN key holds an object of that extension's attributes).
//!   A single-valued simple attribute is replaced; a complex one gets the
//!   sub-attributes given, the others stay; a multi-valued one gets the new
//!   values appended, skipping values already present (so re-adding changes
//!   nothing). A new value with `primary: true` takes `primary` from the
//!   others (RFC 7643 §2.4). With a value filter and a sub-attribute
//!   (`emails[type eq "work"].display`) the sub-attribute is set on every
//!   matching value. With a value filter and no sub-attribute the value's
//!   sub-attributes are merged into the matching values. A filter that
//!   matches nothing is `noTarget`. `add` with a `null` value is
//!   `invalidValue` (nothing to add); a `null` key of a path-less `add` adds
//!   nothing.
//! - **remove** (§3.5.2.2). `path` is required (`noTarget` without). Removes
//!   the attribute, the values a filter selects, or a sub-attribute (of the
//!   selected values, or of every value when no filter is given). A filter
//!   that matches nothing removes nothing: removing what is absent is not an
//!   error, so IdP retries are idempotent. Removing a required or immutable
//!   attribute is `mutability`, as §3.5.2.2 says (not `invalidValue`).
//! - **replace** (§3.5.2.3). Without `path`, each key of `value` is replaced
//!   as if named by a path. With a path: a multi-valued attribute's whole
//!   list is replaced; a complex attribute gets the sub-attributes given and
//!   keeps the others ("sub-attributes that are not specified ... are left
//!   unchanged"); an absent attribute is added; `null` unassigns. With a
//!   value filter and no sub-attribute each matching value is replaced by
//!   `value` as a whole record ("all matching record values SHALL be
//!   replaced"; a client that wants to keep `type` sends it, as the RFC
//!   example does). With a filter and a sub-attribute that sub-attribute of
//!   each matching value is replaced. A filter that matches nothing is
//!   `noTarget`.
//! - **Mutability.** A path naming a readOnly attribute or sub-attribute
//!   (`id`, `meta`, `groups`, `members.display`) is `mutability`. In a
//!   path-less value, readOnly attributes are ignored, as RFC 7643 §2.2 says
//!   of input, and `schemas` is ignored too. Immutable values are checked by
//!   validation (set once, never changed).
//! - **Paths.** Names are case-insensitive; output uses canonical names.
//!   A value filter needs a multi-valued attribute (`invalidPath` otherwise);
//!   a malformed filter, or one naming an unknown sub-attribute, is
//!   `invalidFilter` (RFC 7644 §3.12 lists it for PATCH path filters), with
//!   a span into the whole path. An unknown attribute is `invalidPath`, also
//!   as a key of a path-less value: nothing sent is silently dropped.
//!
//! # Group members
//!
//! `members` sub-attributes are immutable or readOnly, so a path to one is
//! `mutability`; members are added and removed whole. Each member is
//! `{"value", "type"?, "$ref"?}` (`display` is readOnly and dropped; any
//! other key is `invalidValue`, because this server would not do what it
//! asks). Lowering, in request order:
//!
//! | operation | change |
//! |---|---|
//! | `add` `members` (or a `members` key of a path-less add) | `Add` |
//! | `remove` `members` | `RemoveAll` |
//! | `remove` `members` with a `value` (Entra) | `Remove(ids)` |
//! | `remove` `members[value eq "a" or value eq "b"]` | `Remove([a, b])` |
//! | `remove` `members[<other filter>]` | `RemoveWhere(filter)` |
//! | `replace` `members` (or a path-less `members` key) | `RemoveAll`, `Add` |
//! | `replace` `members[filter]` | `ReplaceWhere` (`noTarget` if none matched) |
//! | `add` `members[filter]` | `invalidPath` |
//!
//! [`GroupPatchPlan::outcome`]'s `changed` covers the group's own
//! attributes only; whether the member changes changed anything is for the
//! store to tell (rows inserted or deleted).
//!
//! # Dialects (PRODUCT.md §3)
//!
//! Each form goes through [`crate::DialectContext::tolerate`]: recorded in
//! the lenient dialect, a 400 naming the rule in the strict one, where
//! nothing of the request is applied.
//!
//! - `op` in another case (`Add`, `Replace`, `Remove`):
//!   [`crate::Deviation::CapitalizedOperation`].
//! - A path-less `add`/`replace` whose keys are paths (`name.givenName`,
//!   URN-qualified attributes, value paths): each key is applied as an
//!   operation with that path, [`crate::Deviation::PathKeysInValue`]. A key
//!   that is exactly an extension URN, with an object, is RFC 7644.
//! - `add` on `attr[filter].sub` when nothing matches creates the value the
//!   filter pins down (`{"type": "work", "value": ...}` for
//!   `emails[type eq "work"].value`) when the filter is a conjunction of `eq`
//!   comparisons: [`crate::Deviation::AddCreatesFilteredTarget`]; otherwise (and
//!   in strict) `noTarget`. A `replace` whose filter matches nothing is
//!   `noTarget` in both dialects (RFC 7644 §3.5.2.3).
//! - `remove` of `members` (or of any multi-valued attribute) with a
//!   `value` removes only the values listed, never all:
//!   [`crate::Deviation::RemoveMembersByValue`]. A `value` on the removal of
//!   a single-valued attribute is ignored (Entra sends one for `manager`).
//! - Booleans as strings and `manager` as a bare id (`""` clears it) are
//!   handled by validation after the operations are applied.

mod apply;
mod changes;
mod edit;
mod filter_shape;
mod members;
mod path;
mod request;

pub use apply::{GroupPatchPlan, PatchOutcome, apply_patch, plan_group_patch};
pub use changes::AttributeChange;
pub use members::{MemberChange, MemberRef, apply_member_changes};
pub use path::PatchPath;
pub(crate) use request::member;
pub use request::{PatchOp, PatchOperation, PatchRequest};
