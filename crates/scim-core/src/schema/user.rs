//! The core User schema (RFC 7643 §4.1 and §8.7.1).

use super::{AttrType, AttributeDef as A, Mutability, Returned, Schema, Uniqueness, urn};

/// A multi-valued complex attribute with `value`, `display`, `type` and
/// `primary`, the shape RFC 7643 §2.4 describes.
fn multi_valued(name: &str, value: A, types: &[&str], description: &str) -> A {
    A::complex(
        name,
        vec![
            value,
            A::string("display")
                .describe("A human-readable name, primarily used for display purposes."),
            A::string("type")
                .canonical(types)
                .describe("A label indicating the attribute's function."),
            A::boolean("primary").describe("Whether this is the primary value of the attribute."),
        ],
    )
    .multi()
    .describe(description)
}

/// The User schema.
pub fn user_schema() -> Schema {
    let value = |desc: &str| A::string("value").describe(desc);
    Schema::new(
        urn::USER,
        "User",
        "User Account",
        vec![
            A::string("userName")
                .required()
                .uniqueness(Uniqueness::Server)
                .describe("Unique identifier for the User, typically used by the user to directly authenticate to the service provider."),
            A::complex(
                "name",
                vec![
                    A::string("formatted").describe("The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
                    A::string("familyName").describe("The family name of the User, or last name."),
                    A::string("givenName").describe("The given name of the User, or first name."),
                    A::string("middleName").describe("The middle name(s) of the User."),
                    A::string("honorificPrefix").describe("The honorific prefix(es) of the User, or title."),
                    A::string("honorificSuffix").describe("The honorific suffix(es) of the User, or suffix."),
                ],
            )
            .describe("The components of the user's real name."),
            A::string("displayName").describe("The name of the User, suitable for display to end-users."),
            A::string("nickName").describe("The casual way to address the user in real life."),
            A::reference("profileUrl", &["external"]).describe("A fully qualified URL pointing to a page representing the User's online profile."),
            A::string("title").describe("The user's title, such as \"Vice President\"."),
            A::string("userType").describe("Used to identify the relationship between the organization and the user."),
            A::string("preferredLanguage").describe("Indicates the User's preferred written or spoken language."),
            A::string("locale").describe("Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
            A::string("timezone").describe("The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
            A::boolean("active").describe("A Boolean value indicating the User's administrative status."),
            A::string("password")
                .mutability(Mutability::WriteOnly)
                .returned(Returned::Never)
                .describe("The User's cleartext password, used to set or change it; never returned."),
            multi_valued(
                "emails",
                value("Email addresses for the user."),
                &["work", "home", "other"],
                "Email addresses for the user.",
            ),
            multi_valued(
                "phoneNumbers",
                value("Phone number of the User."),
                &["work", "home", "mobile", "fax", "pager", "other"],
                "Phone numbers for the User.",
            ),
            multi_valued(
                "ims",
                value("Instant messaging address for the User."),
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                "Instant messaging addresses for the User.",
            ),
            multi_valued(
                "photos",
                A::reference("value", &["external"]).describe("URL of a photo of the User."),
                &["photo", "thumbnail"],
                "URLs of photos of the User.",
            ),
            A::complex(
                "addresses",
                vec![
                    A::string("formatted").describe("The full mailing address, formatted for display or use with a mailing label."),
                    A::string("streetAddress").describe("The full street address component."),
                    A::string("locality").describe("The city or locality component."),
                    A::string("region").describe("The state or region component."),
                    A::string("postalCode").describe("The zip code or postal code component."),
                    A::string("country").describe("The country name component."),
                    A::string("type").canonical(&["work", "home", "other"]).describe("A label indicating the attribute's function."),
                    A::boolean("primary").describe("Whether this is the primary address."),
                ],
            )
            .multi()
            .describe("A physical mailing address for this User."),
            A::complex(
                "groups",
                vec![
                    A::string("value").mutability(Mutability::ReadOnly).describe("The identifier of the User's group."),
                    A::reference("$ref", &["User", "Group"]).mutability(Mutability::ReadOnly).describe("The URI of the corresponding 'Group' resource."),
                    A::string("display").mutability(Mutability::ReadOnly).describe("A human-readable name, primarily used for display purposes."),
                    A::string("type").canonical(&["direct", "indirect"]).mutability(Mutability::ReadOnly).describe("How the membership was derived."),
                ],
            )
            .multi()
            .mutability(Mutability::ReadOnly)
            .describe("A list of groups to which the user belongs, either through direct membership or through nested groups."),
            multi_valued("entitlements", value("The value of an entitlement."), &[], "A list of entitlements for the User."),
            multi_valued("roles", value("The value of a role."), &[], "A list of roles for the User."),
            multi_valued(
                "x509Certificates",
                A::new("value", AttrType::Binary).describe("The value of an X.509 certificate."),
                &[],
                "A list of certificates issued to the User.",
            ),
        ],
    )
}
