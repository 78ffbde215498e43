//! The Enterprise User extension (RFC 7643 §4.3 and §8.7.1).

use super::{AttributeDef as A, Mutability, Schema, urn};

/// The Enterprise User extension schema. `manager` is a complex reference.
pub fn enterprise_user_schema() -> Schema {
    Schema::new(
        urn::ENTERPRISE_USER,
        "EnterpriseUser",
        "Enterprise User",
        vec![
            A::string("employeeNumber")
                .describe("Numeric or alphanumeric identifier assigned to a person."),
            A::string("costCenter").describe("Identifies the name of a cost center."),
            A::string("organization").describe("Identifies the name of an organization."),
            A::string("division").describe("Identifies the name of a division."),
            A::string("department").describe("Identifies the name of a department."),
            A::complex(
                "manager",
                vec![
                    A::string("value")
                        .case_exact()
                        .describe("The id of the SCIM resource representing the User's manager."),
                    A::reference("$ref", &["User"])
                        .describe("The URI of the SCIM resource representing the User's manager."),
                    A::string("displayName")
                        .mutability(Mutability::ReadOnly)
                        .describe("The displayName of the User's manager."),
                ],
            )
            .describe("The User's manager."),
        ],
    )
}
