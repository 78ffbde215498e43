//! The core Group schema (RFC 7643 §4.2 and §8.7.1).

use super::{AttributeDef as A, Mutability, Schema, Uniqueness, urn};

/// The Group schema. `displayName` is unique per organization (PRODUCT.md §3).
pub fn group_schema() -> Schema {
    Schema::new(
        urn::GROUP,
        "Group",
        "Group",
        vec![
            A::string("displayName")
                .required()
                .uniqueness(Uniqueness::Server)
                .describe("A human-readable name for the Group."),
            A::complex(
                "members",
                vec![
                    A::string("value")
                        .case_exact()
                        .mutability(Mutability::Immutable)
                        .describe("Identifier of the member of this Group."),
                    A::reference("$ref", &["User", "Group"])
                        .mutability(Mutability::Immutable)
                        .describe("The URI corresponding to a SCIM resource that is a member of this Group."),
                    A::string("type")
                        .canonical(&["User", "Group"])
                        .mutability(Mutability::Immutable)
                        .describe("A label indicating the type of resource, e.g., 'User' or 'Group'."),
                    A::string("display")
                        .mutability(Mutability::ReadOnly)
                        .describe("A human-readable name for the member."),
                ],
            )
            .multi()
            .describe("A list of members of the Group."),
        ],
    )
}
