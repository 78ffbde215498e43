//! The dispatcher: a thread that polls the outbox and delivers each organization's events,
//! in `seq` order and at least once, to the in-process subscribers and to the webhooks.
//!
//! Each consumer (a subscriber name or a webhook) has, per organization, a cursor row in the
//! database (`outbox_consumers`). A pass takes the row's lease (so that of several processes
//! sharing one database only one delivers to a consumer at a time), delivers the events
//! after the cursor one by one, and moves the cursor after each acknowledgement. A failure
//! stops that consumer's organization until `next_attempt_at` (exponential backoff): the
//! next event is not sent before the previous one was acknowledged. The cursor, attempts
//! and schedule survive a restart; an event delivered but not yet recorded when the process
//! dies is delivered again.
//!
//! One thread delivers to every consumer in turn, so a slow receiver (bounded by
//! [`DispatcherConfig::delivery_timeout`]) delays the others.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rollcall_store::{
    ConsumerState, Store, StoreError, WEBHOOK_CONSUMER_PREFIX, subscriber_consumer,
};

use super::subscriber::{EventSubscriber, StartAt};
use super::{Event, webhook};
use crate::clock::Clock;
use crate::metrics::Metrics;

/// How the dispatcher polls and retries.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// The pause between two passes over the outbox when there was nothing to do.
    pub poll_interval: Duration,
    /// The wait after a first failed attempt; it doubles with each further failure…
    pub retry_base: Duration,
    /// … up to this.
    pub retry_max: Duration,
    /// A webhook request's limit (connect, send, answer).
    pub delivery_timeout: Duration,
    /// How long a claim on a consumer lasts without renewal (longer than a delivery).
    pub lease: Duration,
    /// Events read per query.
    pub batch_size: u32,
    /// Deliver to the organizations' webhooks (on by default; an embedder that only wants
    /// its own subscribers and lets `rollcall serve` deliver webhooks turns it off).
    pub webhooks: bool,
    /// Let webhooks reach loopback, private and link-local addresses (off by default: an
    /// organization's admin could otherwise aim deliveries at the server's own network or
    /// a cloud metadata service). On, deliveries also honour an HTTP proxy from the
    /// environment.
    pub private_addresses: bool,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            poll_interval: Duration::from_millis(500),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            delivery_timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            batch_size: 100,
            webhooks: true,
            private_addresses: false,
        }
    }
}

impl DispatcherConfig {
    /// The wait after `attempts` failures in a row: `retry_base · 2^(attempts-1)`, at most
    /// `retry_max`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        self.retry_base
            .saturating_mul(1u32 << doublings)
            .min(self.retry_max)
    }
}

/// Delivers the outbox to subscribers and webhooks; see the module documentation.
///
/// ```no_run
/// use std::sync::Arc;
/// use rollcall_app::events::{Dispatcher, Event, EventSubscriber, SubscriberError};
///
/// struct EndSessions;
///
/// impl EventSubscriber for EndSessions {
///     fn name(&self) -> &str {
///         "end-sessions"
///     }
///     fn wants(&self, event_type: &str) -> bool {
///         matches!(event_type, "user.deactivated" | "user.deleted")
///     }
///     fn handle(&self, event: &Event) -> Result<(), SubscriberError> {
///         println!("end the sessions of {} in {}", event.data["id"], event.org_id);
///         Ok(())
///     }
/// }
///
/// # fn run(store: rollcall_store::Store) {
/// let dispatcher = Dispatcher::new(store).subscribe(Arc::new(EndSessions)).spawn();
/// // … serve …
/// dispatcher.stop();
/// # }
/// ```
pub struct Dispatcher {
    store: Store,
    subscribers: Vec<Arc<dyn EventSubscriber>>,
    config: DispatcherConfig,
    clock: Clock,
    owner: String,
    /// Where webhook deliveries are counted, if anywhere.
    metrics: Option<Metrics>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.subscribers.iter().map(|s| s.name()).collect();
        f.debug_struct("Dispatcher")
            .field("subscribers", &names)
            .field("config", &self.config)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher over `store` with the default configuration, no subscribers, webhooks on.
    pub fn new(store: Store) -> Self {
        Dispatcher {
            store,
            subscribers: Vec::new(),
            config: DispatcherConfig::default(),
            clock: Clock::system(),
            owner: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            metrics: None,
        }
    }

    /// Use `config`.
    pub fn with_config(mut self, config: DispatcherConfig) -> Self {
        self.config = config;
        self
    }

    /// Read the time from `clock` (leases and retry schedules; tests).
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Clock::from_fn(clock);
        self
    }

    /// Count webhook deliveries in `metrics` (`rollcall_webhook_deliveries_total`): give
    /// it the serving application's [`crate::App::metrics`].
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Deliver events to `subscriber` too.
    pub fn subscribe(mut self, subscriber: Arc<dyn EventSubscriber>) -> Self {
        self.subscribers.push(subscriber);
        self
    }

    /// Run on a thread of its own until the handle is stopped (or dropped).
    pub fn spawn(self) -> DispatcherHandle {
        let signal = Arc::new(Signal::default());
        let thread_signal = Arc::clone(&signal);
        let thread = std::thread::Builder::new()
            .name("rollcall-events".to_owned())
            .spawn(move || self.run(&thread_signal));
        match thread {
            Ok(thread) => DispatcherHandle {
                signal,
                thread: Some(thread),
            },
            Err(error) => {
                tracing::error!(%error, "cannot start the event dispatcher thread");
                DispatcherHandle {
                    signal,
                    thread: None,
                }
            }
        }
    }

    fn run(&self, signal: &Signal) {
        let agent = webhook::agent(self.config.delivery_timeout, self.config.private_addresses);
        while !signal.stopped() {
            match self.pass(&agent, signal) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "event dispatch pass failed"),
            }
            signal.wait(self.config.poll_interval);
        }
    }

    /// One pass over every consumer with pending events; whether any event was delivered
    /// or skipped (then another pass follows at once).
    pub fn run_once(&self) -> Result<bool, StoreError> {
        let agent = webhook::agent(self.config.delivery_timeout, self.config.private_addresses);
        self.pass(&agent, &Signal::default())
    }

    fn pass(&self, agent: &ureq::Agent, signal: &Signal) -> Result<bool, StoreError> {
        let mut progressed = false;
        for subscriber in &self.subscribers {
            let consumer = subscriber_consumer(subscriber.name());
            let orgs = self
                .store
                .read(|tx| tx.outbox().orgs_with_pending_events(&consumer))?;
            for org_id in orgs {
                if self.backing_off(&consumer, &org_id)? {
                    continue;
                }
                progressed |= self.pump(
                    (&consumer, subscriber.start_at()),
                    &org_id,
                    |event_type| subscriber.wants(event_type),
                    |event| subscriber.handle(event).map_err(|error| error.to_string()),
                    signal,
                )?;
            }
        }
        if self.config.webhooks {
            for hook in self.store.read(|tx| tx.webhooks().list_all_orgs())? {
                let consumer = hook.consumer();
                let pending = self
                    .store
                    .read(|tx| tx.outbox().orgs_with_pending_events(&consumer))?
                    .contains(&hook.org_id);
                if pending && !self.backing_off(&consumer, &hook.org_id)? {
                    progressed |= self.pump(
                        (&consumer, StartAt::OldestRetained),
                        &hook.org_id,
                        |event_type| hook.wants(event_type),
                        |event| webhook::deliver(agent, &hook.url, &hook.secret, event),
                        signal,
                    )?;
                }
            }
        }
        Ok(progressed)
    }

    /// Deliver `consumer`'s pending events of one organization under its lease; whether its
    /// cursor moved.
    fn pump(
        &self,
        (consumer, start): (&str, StartAt),
        org_id: &str,
        wants: impl Fn(&str) -> bool,
        mut deliver: impl FnMut(&Event) -> Result<(), String>,
        signal: &Signal,
    ) -> Result<bool, StoreError> {
        let owner = self.owner.as_str();
        let now = self.clock.now();
        let Some(state) = self.claim(consumer, org_id, start, now)? else {
            return Ok(false);
        };
        if state.next_attempt_at.is_some_and(|at| at > now) {
            self.store
                .write(|tx| tx.consumers().release(consumer, org_id, owner))?;
            return Ok(false);
        }
        let outcome = self.pump_claimed(consumer, org_id, &state, wants, &mut deliver, signal);
        if outcome.is_err() {
            // Let another process (or the next pass) take over at once; best effort.
            let _ = self
                .store
                .write(|tx| tx.consumers().release(consumer, org_id, owner));
        }
        outcome
    }

    /// [`Self::pump`] once the lease is held.
    fn pump_claimed(
        &self,
        consumer: &str,
        org_id: &str,
        state: &ConsumerState,
        wants: impl Fn(&str) -> bool,
        deliver: &mut impl FnMut(&Event) -> Result<(), String>,
        signal: &Signal,
    ) -> Result<bool, StoreError> {
        let owner = self.owner.as_str();
        let mut lease_until = self.clock.now() + self.lease();
        let start = state.delivered_seq;
        let mut cursor = start;
        let mut recorded = start;
        let outcome = 'batches: loop {
            let events = self.store.read(|tx| {
                tx.outbox()
                    .events_after(org_id, cursor, self.config.batch_size.max(1))
            })?;
            if events.is_empty() {
                break None;
            }
            for stored in events {
                if signal.stopped() {
                    break 'batches None;
                }
                let event = Event::from(stored);
                if !wants(&event.event_type) {
                    cursor = event.seq;
                    continue;
                }
                // Renew the lease when a delivery might outlast it.
                let now = self.clock.now();
                if now + self.timeout() * 2 > lease_until {
                    // The row exists by now: where a new one would start does not matter.
                    if self
                        .claim(consumer, org_id, StartAt::OldestRetained, now)?
                        .is_none()
                    {
                        break 'batches Some(Lost);
                    }
                    lease_until = now + self.lease();
                }
                let delivered = deliver(&event);
                if let Some(metrics) = &self.metrics
                    && consumer.starts_with(WEBHOOK_CONSUMER_PREFIX)
                {
                    metrics.webhook_delivery(delivered.is_ok());
                }
                match delivered {
                    Ok(()) => {
                        cursor = event.seq;
                        if !self.advance(consumer, org_id, cursor)? {
                            break 'batches Some(Lost);
                        }
                        recorded = cursor;
                    }
                    Err(error) => {
                        if cursor > recorded {
                            self.advance(consumer, org_id, cursor)?;
                            recorded = cursor;
                        }
                        let attempts = if recorded == start { state.attempts } else { 0 } + 1;
                        let wait = chrono::Duration::from_std(self.config.backoff(attempts))
                            .unwrap_or_else(|_| chrono::Duration::seconds(300));
                        tracing::warn!(consumer, org_id, seq = event.seq, attempts, %error, "event delivery failed; will retry");
                        self.store.write(|tx| {
                            tx.consumers().record_failure(
                                consumer,
                                org_id,
                                owner,
                                attempts,
                                self.clock.now() + wait,
                                &error,
                            )
                        })?;
                        break 'batches None;
                    }
                }
            }
        };
        if outcome.is_none() {
            if cursor > recorded {
                self.advance(consumer, org_id, cursor)?;
            }
            self.store
                .write(|tx| tx.consumers().release(consumer, org_id, owner))?;
        }
        Ok(cursor > start)
    }

    /// Whether the consumer waits for its next attempt (read without taking the lease, so
    /// a process that dies while waiting leaves no lease behind).
    fn backing_off(&self, consumer: &str, org_id: &str) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let state = self
            .store
            .read(|tx| tx.consumers().state(consumer, org_id))?;
        Ok(state
            .and_then(|state| state.next_attempt_at)
            .is_some_and(|at| at > now))
    }

    fn claim(
        &self,
        consumer: &str,
        org_id: &str,
        start: StartAt,
        now: DateTime<Utc>,
    ) -> Result<Option<ConsumerState>, StoreError> {
        let until = now + self.lease();
        self.store.write(|tx| {
            // A subscriber meets an organization first here, and starts where it asked; a
            // webhook's row exists from its creation (this keeps it where it is).
            if tx.consumers().state(consumer, org_id)?.is_none() {
                let delivered = match start {
                    StartAt::OldestRetained => 0,
                    StartAt::Now => tx.outbox().last_seq(org_id)?,
                };
                tx.consumers().ensure(consumer, org_id, delivered)?;
            }
            tx.consumers()
                .claim(consumer, org_id, &self.owner, now, until)
        })
    }

    fn advance(&self, consumer: &str, org_id: &str, seq: i64) -> Result<bool, StoreError> {
        self.store
            .write(|tx| tx.consumers().advance(consumer, org_id, &self.owner, seq))
    }

    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.lease)
            .unwrap_or_else(|_| chrono::Duration::seconds(60))
    }

    fn timeout(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.delivery_timeout)
            .unwrap_or_else(|_| chrono::Duration::seconds(10))
    }
}

/// The lease went to another process mid-pass: it carries on from the recorded cursor.
struct Lost;

/// The stop flag and the condition the dispatcher sleeps on.
#[derive(Debug, Default)]
struct Signal {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Signal {
    fn stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_all();
    }

    fn wait(&self, timeout: Duration) {
        let guard = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        if !*guard {
            let _ = self.wake.wait_timeout(guard, timeout);
        }
    }
}

/// A running dispatcher: [`stop`](Self::stop) it (dropping it stops it too).
#[derive(Debug)]
pub struct DispatcherHandle {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl DispatcherHandle {
    /// Stop after the delivery in progress (if any) and wait for the thread to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.signal.stop();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the event dispatcher thread panicked");
        }
    }
}

impl Drop for DispatcherHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let config = DispatcherConfig {
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            ..DispatcherConfig::default()
        };
        for (attempts, seconds) in [
            (0, 1),
            (1, 1),
            (2, 2),
            (3, 4),
            (9, 256),
            (10, 300),
            (64, 300),
        ] {
            assert_eq!(
                config.backoff(attempts),
                Duration::from_secs(seconds),
                "{attempts}"
            );
        }
    }
}
