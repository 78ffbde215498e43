//! The one mapping from Diesel's errors to [`StoreError`], and from [`StoreError`] to the
//! SCIM error the HTTP layer renders.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use scim_core::ScimError;

use crate::StoreError;

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // PostgreSQL names the constraint; SQLite gives None and lists the columns in
                // the message ("UNIQUE constraint failed: scim_users.org_id, scim_users.user_name_lower").
                let which = info.constraint_name().unwrap_or_else(|| info.message());
                StoreError::Uniqueness(unique_attribute(which).to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                StoreError::Unavailable(format!("serialization failure: {}", info.message()))
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// The SCIM attribute a unique constraint (by name or SQLite message) protects. The
/// constraint names in the migrations carry the column names for this.
fn unique_attribute(constraint_or_message: &str) -> &'static str {
    if constraint_or_message.contains("user_name_lower") {
        "userName"
    } else if constraint_or_message.contains("display_name_lower") {
        "displayName"
    } else if constraint_or_message.contains("external_id") {
        "externalId"
    } else {
        "id"
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Database(format!("stored JSON: {error}"))
    }
}

impl From<StoreError> for ScimError {
    fn from(error: StoreError) -> Self {
        match &error {
            StoreError::NotFound => ScimError::not_found("resource not found"),
            StoreError::Uniqueness(attribute) => {
                ScimError::uniqueness(format!("{attribute} is already taken"))
            }
            StoreError::VersionMismatch { .. } => ScimError {
                status: 412,
                scim_type: None,
                detail: error.to_string(),
                span: None,
            },
            StoreError::InvalidMember(_) | StoreError::Invalid(_) => {
                ScimError::invalid_value(error.to_string())
            }
            StoreError::NoTarget(_) => ScimError::no_target(error.to_string()),
            StoreError::Unavailable(_) => ScimError {
                status: 503,
                scim_type: None,
                detail: "the database is unavailable; retry later".to_owned(),
                span: None,
            },
            StoreError::InvalidUrl(_) | StoreError::Migration(_) | StoreError::Database(_) => {
                ScimError {
                    status: 500,
                    scim_type: None,
                    detail: "internal error".to_owned(),
                    span: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::unique_attribute;
    use crate::StoreError;
    use scim_core::{ScimError, ScimType};

    #[test]
    fn store_errors_become_scim_errors_without_internals() {
        let cases = [
            (StoreError::NotFound, 404, None),
            (
                StoreError::Uniqueness("userName".into()),
                409,
                Some(ScimType::Uniqueness),
            ),
            (StoreError::VersionMismatch { current: 3 }, 412, None),
            (
                StoreError::InvalidMember("m".into()),
                400,
                Some(ScimType::InvalidValue),
            ),
            (
                StoreError::NoTarget("t".into()),
                400,
                Some(ScimType::NoTarget),
            ),
            (
                StoreError::Invalid("i".into()),
                400,
                Some(ScimType::InvalidValue),
            ),
            (StoreError::Unavailable("secret host".into()), 503, None),
            (StoreError::Database("secret table".into()), 500, None),
            (StoreError::Migration("secret".into()), 500, None),
        ];
        for (error, status, scim_type) in cases {
            let scim = ScimError::from(error);
            assert_eq!(
                (scim.status, scim.scim_type),
                (status, scim_type),
                "{scim:?}"
            );
            assert!(!scim.detail.contains("secret"), "{scim:?}");
        }
    }

    #[test]
    fn constraints_name_their_attribute() {
        for (text, attribute) in [
            (
                "UNIQUE constraint failed: scim_users.org_id, scim_users.user_name_lower",
                "userName",
            ),
            ("scim_users_user_name_lower_key", "userName"),
            (
                "UNIQUE constraint failed: scim_users.org_id, scim_users.external_id",
                "externalId",
            ),
            ("scim_groups_external_id_key", "externalId"),
            ("scim_groups_display_name_lower_key", "displayName"),
            ("UNIQUE constraint failed: scim_users.id", "id"),
        ] {
            assert_eq!(unique_attribute(text), attribute, "{text}");
        }
    }
}
