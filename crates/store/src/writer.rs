//! Group commit: writer threads, each with its own connection, run queued write jobs in
//! batches, each job inside a savepoint of one transaction, and answer every job of a batch
//! once that transaction has committed.
//!
//! SQLite takes one writer at a time, and a commit costs far more than a small insert: the
//! WAL frames of every page the transaction touched, the write lock handed from thread to
//! thread, the checkpoints. Under concurrent load the jobs that queue while a batch runs
//! share the next commit, so the pages they have in common (the tail of each table, the
//! upper levels of each index) are written once per batch instead of once per request.
//! SQLite has one writer thread, which takes the store's SQLite writer lock for each batch,
//! so [`Store::write`](crate::Store::write) on another thread waits its turn as before.
//!
//! PostgreSQL takes concurrent writers, but one organization's writes all end on its
//! trail's and outbox's head rows, locked from the moment the trail is appended until
//! COMMIT: one write at a time per organization, each holding the lock across its commit's
//! WAL flush. Batched, the jobs of a batch append their records together and share that
//! lock and that flush. Several writer threads ([`POSTGRES_WRITERS`]) each run batches on
//! their own connection, re-established when the database drops it.
//!
//! A job that fails is rolled back to its savepoint and the others commit; a job is never
//! told it succeeded before its changes are durable and visible to readers. A batch that
//! PostgreSQL aborts for a concurrent transaction (40001, 40P01) runs again whole, as
//! [`Store::write`](crate::Store::write) would (`retry.rs`): jobs are `FnMut`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::R2D2Connection;
use tokio::sync::oneshot;

use crate::access_facts::FactsCache;
use crate::connection::AnyConnection;
use crate::erasure::KeyEncryptionKey;
use crate::{Backend, Pending, StoreError, Tx, retry};

/// The most jobs one transaction takes; more wait for the next.
const MAX_BATCH: usize = 128;

/// PostgreSQL's writer threads (and connections) per store.
pub(crate) const POSTGRES_WRITERS: usize = 4;

/// A queued write.
trait Job: Send {
    /// Run in its savepoint (or learn why it cannot run); whether its savepoint is kept.
    /// Runs again, from the start, when its batch is retried.
    fn run(&mut self, tx: Result<&mut Tx<'_>, StoreError>) -> bool;
    /// Whether its last run lost to a concurrent transaction (the batch then runs again).
    fn lost_to_concurrency(&self) -> bool;
    /// Tell the caller: its batch committed (`None`) or failed (`Some`).
    fn finish(self: Box<Self>, failure: Option<StoreError>);
}

/// A job's closure, its last outcome and where to send it.
struct Queued<T, F> {
    f: F,
    outcome: Option<Result<T, StoreError>>,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Queued<T, F>
where
    T: Send,
    F: FnMut(&mut Tx<'_>) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, tx: Result<&mut Tx<'_>, StoreError>) -> bool {
        let outcome = tx.and_then(&mut self.f);
        let kept = outcome.is_ok();
        self.outcome = Some(outcome);
        kept
    }

    fn lost_to_concurrency(&self) -> bool {
        matches!(self.outcome, Some(Err(StoreError::Contention(_))))
    }

    fn finish(self: Box<Self>, failure: Option<StoreError>) {
        let answer = match (self.outcome, failure) {
            // Its own failure (its savepoint undone) says more than the batch's.
            (Some(Err(error)), _) => Err(error),
            (_, Some(error)) => Err(error),
            (Some(Ok(value)), None) => Ok(value),
            (None, None) => Err(writer_gone()),
        };
        let _ = self.answer.send(answer);
    }
}

/// The handle on the writer threads: dropping the last one ends them once the queue is
/// drained.
pub(crate) struct Writer {
    jobs: std::sync::mpsc::Sender<Box<dyn Job>>,
}

/// What a writer thread needs besides its connection.
pub(crate) struct Setup {
    /// The backend.
    pub(crate) backend: Backend,
    /// The lock every batch takes (SQLite: the store's writer lock; PostgreSQL: none).
    pub(crate) lock: Option<Arc<Mutex<()>>>,
    /// The access facts cache and the key-encryption key every transaction carries.
    pub(crate) shared: Shared,
    /// How to open a new connection when the database dropped the thread's (PostgreSQL).
    pub(crate) reconnect: Box<dyn Fn() -> Result<AnyConnection, StoreError> + Send + Sync>,
}

impl Writer {
    /// Start one writer thread per connection of `connections`, all taking jobs from one
    /// queue.
    pub(crate) fn start(
        connections: Vec<AnyConnection>,
        setup: Setup,
    ) -> Result<Writer, StoreError> {
        let (sender, receiver) = std::sync::mpsc::channel::<Box<dyn Job>>();
        let receiver = Arc::new(Mutex::new(receiver));
        let setup = Arc::new(setup);
        for (index, connection) in connections.into_iter().enumerate() {
            let (receiver, setup) = (Arc::clone(&receiver), Arc::clone(&setup));
            std::thread::Builder::new()
                .name(format!("store-writer-{index}"))
                .spawn(move || run(connection, &receiver, &setup))
                .map_err(|error| {
                    StoreError::Unavailable(format!("cannot start a writer thread: {error}"))
                })?;
        }
        Ok(Writer { jobs: sender })
    }

    /// Queue `f`; the ticket resolves once its batch has committed.
    pub(crate) fn submit<T, F>(&self, f: F) -> WriteTicket<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, ticket) = oneshot::channel();
        let job = Box::new(Queued {
            f,
            outcome: None,
            answer,
        });
        // A send fails only when every thread has gone (they panicked outside a job); the
        // dropped job then drops its answer and the ticket reports it.
        let _ = self.jobs.send(job);
        WriteTicket(ticket)
    }
}

/// The outcome of a queued write: a future, or [`WriteTicket::wait`] from a thread that
/// may block.
#[derive(Debug)]
#[must_use = "the write runs anyway; the ticket tells whether it committed"]
pub struct WriteTicket<T>(oneshot::Receiver<Result<T, StoreError>>);

impl<T> WriteTicket<T> {
    /// Block until the write has committed or failed. Not from inside an async task.
    pub fn wait(self) -> Result<T, StoreError> {
        self.0
            .blocking_recv()
            .unwrap_or_else(|_| Err(writer_gone()))
    }
}

impl<T> Future for WriteTicket<T> {
    type Output = Result<T, StoreError>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(context)
            .map(|received| received.unwrap_or_else(|_| Err(writer_gone())))
    }
}

fn writer_gone() -> StoreError {
    StoreError::Database(
        "the write was lost: its job panicked or the writer thread stopped".to_owned(),
    )
}

/// What every job's transaction carries: the access facts cache and the key-encryption key.
pub(crate) type Shared = (Arc<FactsCache>, Option<Arc<KeyEncryptionKey>>);

/// A writer thread: a batch per turn until every sender is gone.
fn run(mut connection: AnyConnection, jobs: &Mutex<Receiver<Box<dyn Job>>>, setup: &Setup) {
    // Whether the last batch found the database gone: the next opens a new connection.
    let mut stale = false;
    // PostgreSQL: whether the next batch runs its jobs without savepoints (the last one
    // did not need them).
    let mut optimistic = setup.backend == Backend::Postgres;
    loop {
        // One thread at a time waits on the queue and takes what is queued.
        let queue = jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let Ok(first) = queue.recv() else {
            return;
        };
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        // SQLite's one writer keeps the queue while its batch runs and takes in what
        // arrives meanwhile; PostgreSQL's writers leave it to the others.
        let refill = match setup.backend {
            Backend::Sqlite => Some(queue),
            Backend::Postgres => {
                drop(queue);
                None
            }
        };
        let _turn = setup
            .lock
            .as_ref()
            .map(|lock| lock.lock().unwrap_or_else(PoisonError::into_inner));
        if stale || connection.is_broken() {
            match (setup.reconnect)() {
                Ok(fresh) => connection = fresh,
                Err(error) => {
                    for job in batch {
                        job.finish(Some(same_error(&error)));
                    }
                    continue;
                }
            }
        }
        let outcome = run_batch(&mut connection, batch, refill.as_deref(), setup, optimistic);
        stale = outcome.stale;
        optimistic = setup.backend == Backend::Postgres && !outcome.needed_savepoints;
    }
}

type Manager = <AnyConnection as Connection>::TransactionManager;

/// What became of a batch, for the thread's next one.
struct BatchOutcome {
    /// The database was unreachable: the connection is replaced before the next batch.
    stale: bool,
    /// A job failed without savepoints, and the batch ran again with them.
    needed_savepoints: bool,
}

/// How one attempt at a batch ended.
enum Attempt {
    Committed,
    /// The whole transaction was undone, for this reason.
    Failed(StoreError),
    /// Run without savepoints, a job failed (or panicked, or lost to a concurrent
    /// transaction): everything was undone, to run again with a savepoint per job.
    NeedsSavepoints,
}

/// The batch in one transaction, run again whole (up to `retry::ATTEMPTS`) when the
/// database aborted it for a concurrent one; then the answers.
///
/// `optimistic` (PostgreSQL): the jobs first run without a savepoint each. A savepoint
/// and its release are two statements, two round trips on PostgreSQL, per job, and they
/// serve only a job that fails: the batch then runs again from the start, each job in its
/// savepoint, so a failing job still fails alone. Jobs may run more than once anyway
/// (`Store::write_batched`).
fn run_batch(
    connection: &mut AnyConnection,
    mut batch: Vec<Box<dyn Job>>,
    refill: Option<&Receiver<Box<dyn Job>>>,
    setup: &Setup,
    optimistic: bool,
) -> BatchOutcome {
    let mut tried = 1;
    let mut savepoints = !optimistic;
    let failure = loop {
        match try_batch(connection, &mut batch, refill, setup, savepoints) {
            Attempt::Committed => break None,
            Attempt::NeedsSavepoints => savepoints = true,
            Attempt::Failed(StoreError::Contention(detail)) if tried < retry::ATTEMPTS => {
                tracing::debug!(%detail, tried, "a batch of writes retried after a concurrent one");
                std::thread::sleep(retry::backoff(tried));
                tried += 1;
            }
            Attempt::Failed(failure) => break Some(failure),
        }
    };
    let stale = matches!(failure, Some(StoreError::Unavailable(_)));
    for job in batch {
        job.finish(failure.as_ref().map(same_error));
    }
    BatchOutcome {
        stale,
        needed_savepoints: optimistic && savepoints,
    }
}

/// One attempt at the batch: every job in its savepoint (and, given `refill`, what is
/// queued meanwhile), their records appended together, COMMIT. The failure that undid
/// the whole transaction, if one did.
fn try_batch(
    connection: &mut AnyConnection,
    batch: &mut Vec<Box<dyn Job>>,
    refill: Option<&Receiver<Box<dyn Job>>>,
    setup: &Setup,
    savepoints: bool,
) -> Attempt {
    let began = match connection {
        AnyConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgresql(_) => Manager::begin_transaction(connection),
    };
    if let Err(error) = began {
        // Nothing ran; every job gets the reason.
        return Attempt::Failed(StoreError::from(error));
    }
    let mut broken: Option<StoreError> = None;
    // The audit records and events of the jobs kept, appended together before COMMIT.
    let mut pending = Pending::default();
    let mut index = 0;
    while index < batch.len() {
        let job = batch[index].as_mut();
        let kept = if savepoints {
            let (kept, trouble) = run_job(connection, job, setup);
            if let Some(error) = trouble {
                broken = Some(error);
                break;
            }
            kept
        } else {
            let Some(kept) = run_job_bare(connection, job, setup) else {
                let _ = Manager::rollback_transaction(connection);
                return Attempt::NeedsSavepoints;
            };
            kept
        };
        pending.extend(kept);
        index += 1;
        // What was queued while this batch ran joins it, up to MAX_BATCH (SQLite).
        if index == batch.len()
            && batch.len() < MAX_BATCH
            && let Some(job) = refill.and_then(|queue| queue.try_recv().ok())
        {
            batch.push(job);
        }
    }
    let loaded = pending.take_facts();
    if broken.is_none() {
        let mut tx = Tx::new(&mut *connection, setup.backend);
        tx.extend_pending(pending);
        broken = tx.flush_pending().err();
    }
    match broken {
        Some(error) => {
            let _ = Manager::rollback_transaction(connection);
            Attempt::Failed(error)
        }
        None => match Manager::commit_transaction(connection) {
            Ok(()) => {
                setup.shared.0.publish(loaded);
                Attempt::Committed
            }
            Err(error) => {
                let _ = Manager::rollback_transaction(connection);
                Attempt::Failed(StoreError::from(error))
            }
        },
    }
}

/// Run one job straight in the batch's transaction, without a savepoint: what it left to
/// append, or `None` if it failed, panicked or lost to a concurrent transaction (its
/// changes can then only be undone with the whole transaction's).
fn run_job_bare(
    connection: &mut AnyConnection,
    job: &mut dyn Job,
    setup: &Setup,
) -> Option<Pending> {
    let (kept, pending) = run_in_tx(connection, job, setup);
    (kept && !job.lost_to_concurrency()).then_some(pending)
}

/// Run the job on the connection, in whatever transaction or savepoint is open: whether
/// it is to be kept, and what it left to append. A job that panicked is not kept: its
/// ticket reports a lost write.
fn run_in_tx(connection: &mut AnyConnection, job: &mut dyn Job, setup: &Setup) -> (bool, Pending) {
    let (facts, kek) = &setup.shared;
    let mut tx = Tx::new(&mut *connection, setup.backend)
        .with_facts(facts)
        .with_kek(kek.clone());
    let kept = catch_unwind(AssertUnwindSafe(|| job.run(Ok(&mut tx)))).unwrap_or(false);
    (kept, tx.take_pending())
}

/// Run one job in a savepoint. The error is set when the transaction itself can no longer
/// be trusted (the savepoint could not be opened, released or undone, or the database
/// aborted the transaction): the batch is then rolled back and every job of it fails, or
/// runs again. What the job left to append joins the batch's only if its savepoint is kept.
fn run_job(
    connection: &mut AnyConnection,
    job: &mut dyn Job,
    setup: &Setup,
) -> (Pending, Option<StoreError>) {
    if let Err(error) = Manager::begin_transaction(connection) {
        let error = StoreError::from(error);
        job.run(Err(same_error(&error)));
        return (Pending::default(), Some(error));
    }
    let (kept, pending) = run_in_tx(connection, job, setup);
    if job.lost_to_concurrency() {
        // The whole transaction is suspect: run the batch again.
        let _ = Manager::rollback_transaction(connection);
        return (
            Pending::default(),
            Some(StoreError::Contention(
                "a job of the batch lost to a concurrent transaction".into(),
            )),
        );
    }
    let closed = if kept {
        Manager::commit_transaction(connection)
    } else {
        Manager::rollback_transaction(connection)
    };
    let kept_pending = if kept && closed.is_ok() {
        pending
    } else {
        Pending::default()
    };
    let trouble = closed.err().map(StoreError::from);
    (kept_pending, trouble)
}

/// A copy of a batch-level error for each job of the batch.
fn same_error(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(detail) => StoreError::Unavailable(detail.clone()),
        StoreError::Contention(detail) => StoreError::Contention(detail.clone()),
        StoreError::Full(detail) => StoreError::Full(detail.clone()),
        other => StoreError::Database(other.to_string()),
    }
}
