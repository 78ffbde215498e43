//! The user lifecycle (PRODUCT.md §5), the area [`Lifecycle`]; here its activity half:
//! when a user write turns `active` off or on again, [`Lifecycle::sync_deactivation`] keeps
//! `scim_users.deactivated_at` in step (the time the user last became inactive, `NULL` while
//! active) and says which transition happened; a reactivation outside the org's
//! `reactivation_window_days` drops the user's manual grants
//! ([`Lifecycle::drop_manual_grants`]).
//!
//! An inactive user has no access anywhere (`org_model::explain` gives them nothing), so a
//! suspension changes no grant and no membership: they are simply not counted until the
//! user is active again. Tombstones are `tombstone.rs`; owner succession `succession.rs`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use org_model::{Grant, GrantSource, Principal};

use crate::grants::GrantFilter;
use crate::schema::{grants, scim_users};
use crate::{StoreError, Tx, timestamp};

/// What a user write did to the user's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityChange {
    /// Active before and after, or inactive before and after.
    Unchanged,
    /// The user became inactive (suspended) now.
    Suspended,
    /// The user is active again after being inactive since `deactivated_at`.
    Reactivated {
        /// When the user had become inactive.
        deactivated_at: DateTime<Utc>,
    },
}

impl ActivityChange {
    /// Whether a reactivation came after `window_days` had passed since the deactivation
    /// (at exactly `window_days` it is still inside).
    pub fn outside_window(&self, window_days: u32, now: DateTime<Utc>) -> bool {
        match self {
            ActivityChange::Reactivated { deactivated_at } => {
                now - *deactivated_at > Duration::days(i64::from(window_days))
            }
            _ => false,
        }
    }
}

impl<'c> Tx<'c> {
    /// The user lifecycle: activity, deletion and tombstones, owner succession.
    pub fn lifecycle(&mut self) -> Lifecycle<'_, 'c> {
        Lifecycle { tx: self }
    }
}

/// The user lifecycle, in a transaction ([`Tx::lifecycle`]): activity (here), deletion and
/// tombstones (`tombstone.rs`), owner succession (`succession.rs`).
#[derive(Debug)]
pub struct Lifecycle<'t, 'c> {
    pub(crate) tx: &'t mut Tx<'c>,
}

impl Lifecycle<'_, '_> {
    /// Bring the user's `deactivated_at` in step with its `active` after a write (create,
    /// replace, patch): set to `now` when the user is inactive and was not already,
    /// cleared when it is active again. A user without `active` is active.
    /// [`StoreError::NotFound`] when the organization has no such user.
    pub fn sync_deactivation(
        &mut self,
        org_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<ActivityChange, StoreError> {
        let row: Option<(Option<bool>, Option<String>)> = scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .filter(scim_users::id.eq(user_id))
            .select((scim_users::active, scim_users::deactivated_at))
            .first(self.tx.conn)
            .optional()?;
        let (active, deactivated_at) = row.ok_or(StoreError::NotFound)?;
        let active = active.unwrap_or(true);
        let change = match (active, deactivated_at) {
            (false, None) => ActivityChange::Suspended,
            (true, Some(since)) => ActivityChange::Reactivated {
                deactivated_at: timestamp::from_db(&since)?,
            },
            _ => return Ok(ActivityChange::Unchanged),
        };
        let new_value = (!active).then(|| timestamp::to_db(now));
        diesel::update(
            scim_users::table
                .filter(scim_users::org_id.eq(org_id))
                .filter(scim_users::id.eq(user_id)),
        )
        .set(scim_users::deactivated_at.eq(new_value))
        .execute(self.tx.conn)?;
        Ok(change)
    }

    /// When the user last became inactive; `None` while active.
    /// [`StoreError::NotFound`] when the organization has no such user.
    pub fn deactivated_at(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let stored: Option<Option<String>> = scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .filter(scim_users::id.eq(user_id))
            .select(scim_users::deactivated_at)
            .first(self.tx.conn)
            .optional()?;
        stored
            .ok_or(StoreError::NotFound)?
            .as_deref()
            .map(timestamp::from_db)
            .transpose()
    }

    /// Whether the organization has this user and it is active (`None`: no such user).
    pub fn user_active(&mut self, org_id: &str, user_id: &str) -> Result<Option<bool>, StoreError> {
        let active: Option<Option<bool>> = scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .filter(scim_users::id.eq(user_id))
            .select(scim_users::active)
            .first(self.tx.conn)
            .optional()?;
        Ok(active.map(|active| active.unwrap_or(true)))
    }

    /// Delete every manual grant the user holds and return them, oldest first. Not checked
    /// against the owner invariant: the caller deals with succession.
    pub fn drop_manual_grants(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Result<Vec<Grant>, StoreError> {
        let manual: Vec<Grant> = self
            .tx
            .grants()
            .list(
                org_id,
                &GrantFilter {
                    principal: Some(Principal::User(user_id.to_owned())),
                    resource: None,
                },
            )?
            .into_iter()
            .filter(|grant| matches!(grant.source, GrantSource::Manual { .. }))
            .collect();
        let ids: Vec<&str> = manual.iter().map(|grant| grant.id.as_str()).collect();
        for chunk in ids.chunks(500) {
            diesel::delete(
                grants::table
                    .filter(grants::org_id.eq(org_id))
                    .filter(grants::id.eq_any(chunk)),
            )
            .execute(self.tx.conn)?;
        }
        Ok(manual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_counts_whole_days_from_the_deactivation() {
        let at = |text: &str| -> DateTime<Utc> { text.parse().unwrap_or_default() };
        let since = at("2026-01-01T00:00:00Z");
        let change = ActivityChange::Reactivated {
            deactivated_at: since,
        };
        let cases = [
            ("2026-01-01T00:00:01Z", false),
            ("2026-01-30T23:59:59Z", false),
            ("2026-01-31T00:00:00Z", false),
            ("2026-01-31T00:00:01Z", true),
            ("2026-06-01T00:00:00Z", true),
        ];
        for (now, outside) in cases {
            assert_eq!(change.outside_window(30, at(now)), outside, "{now}");
        }
        assert!(!ActivityChange::Suspended.outside_window(0, at("2030-01-01T00:00:00Z")));
        assert!(!ActivityChange::Unchanged.outside_window(0, at("2030-01-01T00:00:00Z")));
    }
}
