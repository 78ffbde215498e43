//! Group commit for SQLite: one writer thread with its own connection runs queued write
//! jobs in batches, each job inside a savepoint of one `BEGIN IMMEDIATE` transaction, and
//! answers every job of a batch once that transaction has committed.
//!
//! SQLite takes one writer at a time, and a commit costs far more than a small insert: the
//! WAL frames of every page the transaction touched, the write lock handed from thread to
//! thread, the checkpoints. Under concurrent load the jobs that queue while a batch runs
//! share the next commit, so the pages they have in common (the tail of each table, the
//! upper levels of each index) are written once per batch instead of once per request.
//!
//! A job that fails is rolled back to its savepoint and the others commit; a job is never
//! told it succeeded before its changes are durable (WAL, `synchronous = NORMAL`) and
//! visible to readers. The writer takes the store's SQLite writer lock for each batch, so
//! [`Store::write`](crate::Store::write) on another thread waits its turn as before.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use tokio::sync::oneshot;

use crate::access_facts::FactsCache;
use crate::connection::AnyConnection;
use crate::erasure::KeyEncryptionKey;
use crate::{Backend, Pending, StoreError, Tx};

/// The most jobs one transaction takes; more wait for the next.
const MAX_BATCH: usize = 128;

/// What a job reports after running: whether its savepoint is kept, and how to tell its
/// caller the outcome once the batch has committed (`None`) or failed to (`Some`).
struct Ran {
    kept: bool,
    finish: Box<dyn FnOnce(Option<StoreError>) + Send>,
}

/// A queued write: given the transaction, or the reason it cannot run.
type Job = Box<dyn FnOnce(Result<&mut Tx<'_>, StoreError>) -> Ran + Send>;

/// The handle on the writer thread: dropping the last one ends the thread once the queue
/// is drained.
pub(crate) struct Writer {
    jobs: Sender<Job>,
}

impl Writer {
    /// Start the writer thread on `connection`; `lock` is the store's SQLite writer lock.
    pub(crate) fn start(
        connection: AnyConnection,
        lock: Arc<Mutex<()>>,
        facts: Arc<FactsCache>,
        kek: Option<Arc<KeyEncryptionKey>>,
    ) -> Result<Writer, StoreError> {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || run(connection, &receiver, &lock, &(facts, kek)))
            .map_err(|error| {
                StoreError::Unavailable(format!("cannot start the writer thread: {error}"))
            })?;
        Ok(Writer { jobs: sender })
    }

    /// Queue `f`; the ticket resolves once its batch has committed.
    pub(crate) fn submit<T, F>(&self, f: F) -> WriteTicket<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, ticket) = oneshot::channel();
        let job: Job = Box::new(move |tx| match tx.and_then(f) {
            Ok(value) => Ran {
                kept: true,
                finish: Box::new(move |failure| {
                    let _ = answer.send(match failure {
                        None => Ok(value),
                        Some(error) => Err(error),
                    });
                }),
            },
            Err(error) => Ran {
                kept: false,
                finish: Box::new(move |_| {
                    let _ = answer.send(Err(error));
                }),
            },
        });
        // A send fails only when the thread has gone (it panicked outside a job); the
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

/// The writer thread: a batch per turn until every sender is gone.
/// What every job's transaction carries: the access facts cache and the key-encryption key.
type Shared = (Arc<FactsCache>, Option<Arc<KeyEncryptionKey>>);

fn run(mut connection: AnyConnection, jobs: &Receiver<Job>, lock: &Mutex<()>, facts: &Shared) {
    while let Ok(first) = jobs.recv() {
        let _turn = lock.lock().unwrap_or_else(PoisonError::into_inner);
        run_batch(&mut connection, first, jobs, facts);
    }
}

type Manager = <AnyConnection as Connection>::TransactionManager;

/// One transaction: `first` and whatever else is queued by the time each job is done, up
/// to [`MAX_BATCH`]; then COMMIT and the answers.
fn run_batch(connection: &mut AnyConnection, first: Job, jobs: &Receiver<Job>, facts: &Shared) {
    let began = match connection {
        AnyConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgresql(_) => Manager::begin_transaction(connection),
    };
    if let Err(error) = began {
        // Nothing runs; this job and those already queued get the reason.
        let error = StoreError::from(error);
        let mut queued = vec![first];
        queued.extend(jobs.try_iter().take(MAX_BATCH - 1));
        for job in queued {
            (job(Err(same_error(&error))).finish)(None);
        }
        return;
    }
    let mut finished: Vec<Ran> = Vec::new();
    let mut next = Some(first);
    let mut broken: Option<StoreError> = None;
    // The audit records and events of the jobs kept, appended together before COMMIT.
    let mut pending = Pending::default();
    while let Some(job) = next.take() {
        let (ran, kept, trouble) = run_job(connection, job, facts);
        finished.push(ran);
        if let Some(error) = trouble {
            broken = Some(error);
            break;
        }
        pending.extend(kept);
        if finished.len() < MAX_BATCH {
            next = jobs.try_recv().ok();
        }
    }
    let loaded = pending.take_facts();
    if broken.is_none() {
        let mut tx = Tx::new(&mut *connection, Backend::Sqlite);
        tx.extend_pending(pending);
        broken = tx.flush_pending().err();
    }
    let failure = match broken {
        Some(error) => {
            let _ = Manager::rollback_transaction(connection);
            Some(error)
        }
        None => match Manager::commit_transaction(connection) {
            Ok(()) => {
                facts.0.publish(loaded);
                None
            }
            Err(error) => {
                let _ = Manager::rollback_transaction(connection);
                Some(StoreError::from(error))
            }
        },
    };
    for ran in finished {
        (ran.finish)(failure.as_ref().map(same_error));
    }
}

/// Run one job in a savepoint. The error is set when the transaction itself can no longer
/// be trusted (the savepoint could not be opened, released or undone): the batch is then
/// rolled back and every job of it fails.
/// What the job left to append joins the batch's only if its savepoint is kept.
fn run_job(
    connection: &mut AnyConnection,
    job: Job,
    (facts, kek): &Shared,
) -> (Ran, Pending, Option<StoreError>) {
    if let Err(error) = Manager::begin_transaction(connection) {
        let error = StoreError::from(error);
        return (
            job(Err(same_error(&error))),
            Pending::default(),
            Some(error),
        );
    }
    let mut tx = Tx::new(&mut *connection, Backend::Sqlite)
        .with_facts(facts)
        .with_kek(kek.clone());
    let outcome = catch_unwind(AssertUnwindSafe(|| job(Ok(&mut tx))));
    let pending = tx.take_pending();
    // A job that panicked dropped its answer with it: its ticket reports a lost write.
    let ran = outcome.unwrap_or_else(|_| Ran {
        kept: false,
        finish: Box::new(|_| {}),
    });
    let closed = if ran.kept {
        Manager::commit_transaction(connection)
    } else {
        Manager::rollback_transaction(connection)
    };
    let kept = if ran.kept && closed.is_ok() {
        pending
    } else {
        Pending::default()
    };
    let trouble = closed.err().map(StoreError::from);
    (ran, kept, trouble)
}

/// A copy of a batch-level error for each job of the batch.
fn same_error(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(detail) => StoreError::Unavailable(detail.clone()),
        other => StoreError::Database(other.to_string()),
    }
}
