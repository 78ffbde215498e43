//! The PATCH engine (RFC 7644 §3.5.2).
//!
//! Placeholder module doc; see the end of the work for the full semantics.

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
pub use request::{PatchOp, PatchOperation, PatchRequest};
