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
/// and organization: a new name starts at the beginning of the outbox, a known one where it
/// stopped. Of several processes sharing one database, one at a time delivers to a name.
pub trait EventSubscriber: Send + Sync {
    /// A stable name: the key of the subscriber's cursor in the database.
    fn name(&self) -> &str;

    /// Whether this subscriber wants events of `event_type` (others are skipped, and
    /// acknowledged as skipped). All of them by default.
    fn wants(&self, event_type: &str) -> bool {
        let _ = event_type;
        true
    }

    /// Handle one event. Runs on the dispatcher's thread: blocking is fine, but a slow
    /// subscriber delays the others.
    fn handle(&self, event: &Event) -> Result<(), SubscriberError>;
}
