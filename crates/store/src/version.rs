//! A resource's version as answered: `meta.version`, the ETag, and what `If-Match`
//! compares.

use crate::ResourceKind;

/// A resource's version as answered (`meta.version`, the ETag) for the row `row`. A
/// group's is its row's. A user's direct group memberships are part of the user
/// (`groups`), so theirs is the row's plus the count of membership changes kept in the
/// narrow `user_group_versions` (one small row written per member added or removed, never
/// the user's whole row). Both only grow, so the sum never repeats.
pub(crate) fn version_sql(kind: ResourceKind, row: &str) -> String {
    match kind {
        ResourceKind::Group => format!("{row}.version"),
        ResourceKind::User => format!(
            "({row}.version + COALESCE((SELECT v.version FROM user_group_versions v \
             WHERE v.org_id = {row}.org_id AND v.user_id = {row}.id), 0))"
        ),
    }
}
