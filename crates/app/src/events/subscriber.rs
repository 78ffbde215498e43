//! In-process subscribers: an embedding service's code that reacts to events (ends the
//! sessions of a deactivated user, recomputes access for a group, mirrors users).

use super::Event;

/// Why a subscriber could not handle an event; the dispatcher retries it with backoff.
pub type SubscriberError = Box<dyn std::error::Error + Send + Sync>;

/// Something in the embedding process that receives events, registered with
/// [`Dispatcher::subscribe`](super::Dispatcher::subscribe).
///
/// Delivery is at least once and in order per organization: `handle` gets an
/// organization's events one at a time in `seq` order, and the next one only after it
/// returned `Ok`. An `Err` is retried with backoff (the same event, until `Ok`); a crash
/// between `handle` and the cursor's commit redelivers the event, so handle idempotently
/// (the event's `id` is stable). The cursor is kept in the database per [`name`](Self::name)
/// and organization: a known name goes on where it stopped; a name that meets an
/// organization for the first time starts where [`start_at`](Self::start_at) says, by
/// default at the oldest event the outbox still holds. The outbox keeps acknowledged
/// events only `event_retention_days`, so "the oldest retained" is not "the first ever": a
/// subscriber that must know every past state reads the directory itself, then takes
/// events from then on ([`StartAt::Now`]). Of several processes sharing one database, one
/// at a time delivers to a name.
pub trait EventSubscriber: Send + Sync {
    /// A stable name: the key of the subscriber's cursor in the database.
    fn name(&self) -> &str;

    /// Whether this subscriber wants events of `event_type` (others are skipped, and
    /// acknowledged as skipped). All of them by default.
    fn wants(&self, event_type: &str) -> bool {
        let _ = event_type;
        true
    }

    /// Where this subscriber starts in an organization it has not met before.
    /// [`StartAt::OldestRetained`] by default.
    fn start_at(&self) -> StartAt {
        StartAt::OldestRetained
    }

    /// Handle one event. Runs on the dispatcher's thread: blocking is fine, but a slow
    /// subscriber delays the others.
    fn handle(&self, event: &Event) -> Result<(), SubscriberError>;
}

/// Where a subscriber's cursor starts in an organization it meets for the first time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StartAt {
    /// At the oldest event the outbox still holds (events acknowledged by every consumer
    /// are pruned after `event_retention_days`): the default.
    #[default]
    OldestRetained,
    /// After the organization's latest event: only what happens from the first pass on.
    Now,
}
