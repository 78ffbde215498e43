//! The one mapping from Diesel's errors to [`StoreError`]. Which status each kind becomes
//! is not the store's business: `rollcall-app`'s `error.rs` decides.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::StoreError;

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // PostgreSQL names the constraint; SQLite gives None and lists the columns in
                // the message ("UNIQUE constraint failed: scim_users.org_id, scim_users.user_name_key").
                let which = info.constraint_name().unwrap_or_else(|| info.message());
                StoreError::Uniqueness(unique_attribute(which).to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                StoreError::Contention(format!("serialization failure: {}", info.message()))
            }
            // Diesel has no kind for 40P01; PostgreSQL's message for it is fixed in English
            // builds, and its `lc_messages` is English unless an operator changed it.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().starts_with("deadlock detected") =>
            {
                StoreError::Contention(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, info) if is_full(info.message()) => {
                StoreError::Full(info.message().to_owned())
            }
            DieselError::DatabaseError(_, info) if is_going_away(info.message()) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            DieselError::BrokenTransactionManager => {
                StoreError::Unavailable("the connection's transaction state was lost".to_owned())
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// Whether a database message says the server is going away or not there yet: a
/// shutdown or crash ending the session (57P01, 57P02), a server starting up, shutting
/// down or recovering (57P03), or libpq's own word for a connection that died. Diesel
/// gives these no kind of their own; PostgreSQL's messages are English unless an operator
/// changed `lc_messages`.
fn is_going_away(message: &str) -> bool {
    [
        "terminating connection",
        "the database system is",
        "server closed the connection",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// Whether a database message says it has no room: SQLite's `SQLITE_FULL` ("database or
/// disk is full"), PostgreSQL's 53100 ("could not extend file …: No space left on device").
fn is_full(message: &str) -> bool {
    message.contains("database or disk is full") || message.contains("No space left on device")
}

/// The SCIM attribute a unique constraint (by name or SQLite message) protects. The
/// constraint names in the migrations carry the column names for this.
fn unique_attribute(constraint_or_message: &str) -> &'static str {
    if constraint_or_message.contains("user_name_key") {
        "userName"
    } else if constraint_or_message.contains("display_name_key") {
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

#[cfg(test)]
mod tests {
    use super::{is_going_away, unique_attribute};

    #[test]
    fn a_server_going_away_is_unavailable_not_a_database_error() {
        for (message, going) in [
            ("terminating connection due to administrator command", true),
            (
                "terminating connection because of crash of another server process",
                true,
            ),
            ("FATAL:  the database system is starting up", true),
            ("the database system is shutting down", true),
            ("server closed the connection unexpectedly", true),
            ("no connection to the server", true),
            ("relation \"scim_users\" does not exist", false),
            ("syntax error at or near \"FROM\"", false),
        ] {
            assert_eq!(is_going_away(message), going, "{message}");
        }
    }

    #[test]
    fn constraints_name_their_attribute() {
        for (text, attribute) in [
            (
                "UNIQUE constraint failed: scim_users.org_id, scim_users.user_name_key",
                "userName",
            ),
            ("scim_users_user_name_key_key", "userName"),
            (
                "UNIQUE constraint failed: scim_users.org_id, scim_users.external_id",
                "externalId",
            ),
            ("scim_groups_external_id_key", "externalId"),
            ("scim_groups_display_name_key_key", "displayName"),
            ("UNIQUE constraint failed: scim_users.id", "id"),
        ] {
            assert_eq!(unique_attribute(text), attribute, "{text}");
        }
    }
}
