//! The one way a handler reaches the database: a closure run inside one transaction. A
//! SQLite write is queued for the store's writer thread (`Store::write_batched`: group
//! commit) and awaited. Anything else runs on a blocking thread (`web::block`), holding one
//! permit of a semaphore sized to the pool (so waiting for a connection is asynchronous and
//! never ties up a blocking thread), in `Store::read` or `Store::write`.

use actix_web::web;
use rollcall_store::{StoreError, Tx};

use crate::error::{ApiError, Failure};
use crate::state::{AppState, internal};

/// Which kind of transaction a closure needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// `Store::read`.
    Read,
    /// `Store::write` (`BEGIN IMMEDIATE` on SQLite).
    Write,
}

/// Run `f` in one transaction. A [`Failure::Store`] rolls the transaction back; a
/// [`Failure::Scim`] is a protocol error found before anything was written, so the
/// (read-only so far) transaction simply ends.
pub(crate) async fn run<T, F>(state: &AppState, access: Access, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Tx<'_>) -> Result<T, Failure> + Send + 'static,
{
    let body = move |tx: &mut Tx<'_>| -> Result<Result<T, Failure>, StoreError> {
        match f(tx) {
            Err(Failure::Store(error)) => Err(error),
            other => Ok(other),
        }
    };
    // SQLite: the writer thread batches writes; awaiting its ticket needs neither a pool
    // connection nor a blocking thread.
    let body = match access {
        Access::Write => match state.store.write_batched(body) {
            Ok(ticket) => return Ok(ticket.await??),
            Err(body) => body,
        },
        Access::Read => body,
    };
    let _permit = state
        .permits
        .acquire()
        .await
        .map_err(|_| internal("the connection semaphore is closed"))?;
    let store = state.store.clone();
    let outcome = web::block(move || match access {
        Access::Read => store.read(body),
        Access::Write => store.write(body),
    })
    .await
    .map_err(|error| internal(format!("blocking task failed: {error}")))?;
    Ok(outcome??)
}
