//! The one way the application reaches the database: a closure run inside one transaction.
//! A write is queued for the store's writer threads (`Store::write_batched`: group commit)
//! and awaited. Anything else runs on a blocking thread
//! (`tokio::task::spawn_blocking`), holding one permit of a semaphore sized to the pool (so
//! waiting for a connection is asynchronous and never ties up a blocking thread), in
//! `Store::read` or `Store::write`.

use std::sync::Arc;

use rollcall_store::{Store, StoreError, Tx};
use tokio::sync::Semaphore;

use crate::error::{Error, Failure};

/// Which kind of transaction a closure needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `Store::read`.
    Read,
    /// A write: the writer threads' batch (`Store::write_batched`).
    Write,
}

/// The store with the permits that keep blocking work within the pool size.
#[derive(Debug, Clone)]
pub(crate) struct Database {
    pub(crate) store: Store,
    /// One permit per pooled connection.
    permits: Arc<Semaphore>,
}

impl Database {
    pub(crate) fn new(store: Store) -> Database {
        let permits = usize::try_from(store.max_connections()).unwrap_or(1).max(1);
        Database {
            store,
            permits: Arc::new(Semaphore::new(permits)),
        }
    }

    /// Run `f` in one transaction. A [`Failure::Store`] rolls the transaction back; a
    /// [`Failure::Refused`] is a refusal found before anything was written, so the
    /// transaction simply ends.
    pub(crate) async fn run<T, F>(&self, access: Access, mut f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnMut(&mut Tx<'_>) -> Result<T, Failure> + Send + 'static,
    {
        let body = move |tx: &mut Tx<'_>| -> Result<Result<T, Failure>, StoreError> {
            match f(tx) {
                Err(Failure::Store(error)) => Err(error),
                other => Ok(other),
            }
        };
        // The writer threads batch writes; awaiting a ticket needs neither a
        // pool connection nor a blocking thread.
        let body = match access {
            Access::Write => match self.store.write_batched(body) {
                Ok(ticket) => return Ok(ticket.await??),
                Err(body) => body,
            },
            Access::Read => body,
        };
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("the connection semaphore is closed"))?;
        let store = self.store.clone();
        let outcome = tokio::task::spawn_blocking(move || match access {
            Access::Read => store.read(body),
            Access::Write => store.write(body),
        })
        .await
        .map_err(|error| Error::internal(format!("blocking task failed: {error}")))?;
        Ok(outcome??)
    }
}
