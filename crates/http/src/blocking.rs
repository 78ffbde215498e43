//! The one way a handler reaches the database: a closure run on a blocking thread
//! (`web::block`), holding one permit of a semaphore sized to the pool (so waiting for a
//! connection is asynchronous and never ties up a blocking thread), inside one
//! transaction (`Store::write` or `Store::read`).

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
    let _permit = state
        .permits
        .acquire()
        .await
        .map_err(|_| internal("the connection semaphore is closed"))?;
    let store = state.store.clone();
    let outcome = web::block(move || {
        let body = |tx: &mut Tx<'_>| -> Result<Result<T, Failure>, StoreError> {
            match f(tx) {
                Err(Failure::Store(error)) => Err(error),
                other => Ok(other),
            }
        };
        match access {
            Access::Read => store.read(body),
            Access::Write => store.write(body),
        }
    })
    .await
    .map_err(|error| internal(format!("blocking task failed: {error}")))?;
    Ok(outcome??)
}
