//! SQLite: copying the write-ahead log back into the database (the checkpoint) on a thread
//! of its own, so the writer thread (`writer.rs`), through which every write of the
//! process passes, spends its time on writes alone.
//!
//! SQLite's default has the connection that commits run the checkpoint whenever the log
//! passes 1,000 pages, inside that commit. Here a thread with its own connection runs a
//! `PASSIVE` checkpoint (it never waits for, nor blocks, readers or the writer) every
//! [`TICK`]; the writer connection keeps an automatic checkpoint only as a backstop
//! ([`BACKSTOP_PAGES`]) should this thread fall behind or stop. The thread ends when the
//! store is dropped.

use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use crate::StoreError;
use crate::connection::{self, AnyConnection};

/// How often the log is checkpointed.
const TICK: Duration = Duration::from_millis(50);

/// The writer connection's automatic checkpoint, in pages of log (about 40 MiB).
const BACKSTOP_PAGES: u32 = 10_000;

/// The checkpoint thread; dropping this handle stops it.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Start checkpointing the database at `url` (SQLite).
    pub(crate) fn start(url: &str) -> Result<Checkpointer, StoreError> {
        let mut connection = connection::establish(url)
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("rollcall-sqlite-checkpoint".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    checkpoint(&mut connection);
                }
            })
            .map_err(|error| {
                StoreError::Unavailable(format!("cannot start the checkpoint thread: {error}"))
            })?;
        Ok(Checkpointer { _stop: stop })
    }
}

/// Set the writer connection to checkpoint only as a backstop, past [`BACKSTOP_PAGES`]:
/// the checkpoint thread does it.
pub(crate) fn checkpoint_backstop(connection: &mut AnyConnection) -> Result<(), StoreError> {
    if let AnyConnection::Sqlite(sqlite) = connection {
        sqlite.batch_execute(&format!("PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}"))?;
    }
    Ok(())
}

/// One passive checkpoint. A failure (the database busy, say) is left to the next tick,
/// and to the writer's backstop.
fn checkpoint(connection: &mut AnyConnection) {
    if let AnyConnection::Sqlite(sqlite) = connection {
        let _ = sqlite.batch_execute("PRAGMA wal_checkpoint(PASSIVE)");
    }
}
