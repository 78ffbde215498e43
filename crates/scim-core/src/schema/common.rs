//! The common attributes every resource carries (RFC 7643 §3.1): `id`,
//! `externalId` and `meta`. They belong to no published schema.

use super::{AttributeDef as A, Mutability, Returned, Uniqueness};

/// `id`, `externalId` and `meta`.
pub fn common_attributes() -> Vec<A> {
    let read_only = Mutability::ReadOnly;
    vec![
        A::string("id")
            .case_exact()
            .mutability(read_only)
            .returned(Returned::Always)
            .uniqueness(Uniqueness::Server)
            .describe("A unique identifier for a SCIM resource as defined by the service provider."),
        A::string("externalId")
            .case_exact()
            .describe("A String that is an identifier for the resource as defined by the provisioning client."),
        A::complex(
            "meta",
            vec![
                A::string("resourceType").case_exact().mutability(read_only),
                A::date_time("created").mutability(read_only),
                A::date_time("lastModified").mutability(read_only),
                A::reference("location", &["uri"]).mutability(read_only),
                A::string("version").case_exact().mutability(read_only),
            ],
        )
        .mutability(read_only)
        .describe("A complex attribute containing resource metadata."),
    ]
}
