//! SQLite: copying the write-ahead log back into the database (the checkpoint) on a thread
//! of its own, so the writer thread (`writer.rs`), through which every write of the
//! process passes, spends its time on writes alone.
//!
//! SQLite's default has the connection that commits run the checkpoint whenever the log
//! passes 1,000 pages, inside that commit. Here a thread with its own connection runs a
//! `PASSIVE` checkpoint (it never waits for, nor blocks, readers or the writer) every
//! [`BUSY_TICK`] while the log grows, every [`IDLE_TICK`] once it does not: the longer the
//! interval, the larger each copy and the longer the writes queued beside it (p99 of a
//! one-member PATCH paced at 5,000/s: 51 ms at 1 s, 17–21 ms at 50 ms). Under steady
//! writes that alone never lets the log start over: commits land
//! while each checkpoint runs, so it never ends fully copied, and the log grew to the
//! writer's backstop ([`BACKSTOP_PAGES`]), whose checkpoint then ran inside a commit and
//! held every queued write for tens of milliseconds (docs/benchmarks.md, "The open-loop
//! tail"). So once the log passes [`RESTART_PAGES`], the thread copies what is left while
//! holding the store's writer lock, between two batches: little is left by then, and the
//! next write starts the log over. With both, that p99 is 4–6 ms. The backstop stays, should this thread fall behind or
//! stop. Once the log has stopped growing for about a second, the thread truncates its
//! file (a `TRUNCATE` checkpoint that never waits); and every connection caps the file it
//! leaves when the log starts over at [`JOURNAL_SIZE_LIMIT`], so the file does not keep
//! the largest size it ever reached. The thread ends when the store is dropped.

use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};

use crate::StoreError;
use crate::connection::{self, AnyConnection};

/// How often the log is checkpointed while it grows.
const BUSY_TICK: Duration = Duration::from_millis(5);

/// How often the log is looked at while it does not grow.
const IDLE_TICK: Duration = Duration::from_millis(50);

/// The writer connection's automatic checkpoint, in pages of log (about 40 MiB).
const BACKSTOP_PAGES: u32 = 10_000;

/// The log length, in pages (about 4 MiB), past which the rest is copied under the
/// writer lock so that the log starts over.
const RESTART_PAGES: i64 = 1_000;

/// Idle ticks with an unchanged, non-empty log after which the log file is truncated
/// (about 1 s): an idle server's log shrinks to nothing instead of keeping its peak size.
const IDLE_TICKS_BEFORE_TRUNCATE: u32 = 20;

/// The most bytes a log file keeps once it starts over (`PRAGMA journal_size_limit`, set
/// on every connection): under steady writes the file stays near this size rather than at
/// the largest it ever reached.
pub(crate) const JOURNAL_SIZE_LIMIT: u32 = 4 * 1024 * 1024;

/// The checkpoint thread; dropping this handle stops it.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Start checkpointing the database at `url` (SQLite); `writer` is the store's SQLite
    /// writer lock.
    pub(crate) fn start(url: &str, writer: Arc<Mutex<()>>) -> Result<Checkpointer, StoreError> {
        let mut connection = connection::establish(url)
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        // The truncation below tries and never waits: a reader or writer in the way makes
        // it come back on a later tick.
        connection.batch_execute("PRAGMA busy_timeout = 0")?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                let mut tick = IDLE_TICK;
                let mut last = None;
                let mut idle = 0;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                    let log = checkpoint(&mut connection, &writer);
                    let growing = log.is_some() && log != last;
                    tick = if growing { BUSY_TICK } else { IDLE_TICK };
                    idle = if growing { 0 } else { idle + 1 };
                    if idle >= IDLE_TICKS_BEFORE_TRUNCATE
                        && log.is_some_and(|(pages, _)| pages > 0)
                        && truncate(&mut connection)
                    {
                        idle = 0;
                    }
                    last = log;
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

/// What `PRAGMA wal_checkpoint` answers.
#[derive(QueryableByName)]
struct Progress {
    /// 1 when the checkpoint could not run at all.
    #[diesel(sql_type = BigInt)]
    busy: i64,
    /// Pages in the log.
    #[diesel(sql_type = BigInt)]
    log: i64,
    /// Pages of the log now copied into the database.
    #[diesel(sql_type = BigInt)]
    checkpointed: i64,
}

/// One passive checkpoint; past [`RESTART_PAGES`], a second one under the writer lock,
/// which copies the rest so that the next write starts the log over. The log's length
/// and how much of it is copied, when the checkpoint ran. A failure (the database busy,
/// say) is left to the next tick, and to the writer's backstop.
fn checkpoint(connection: &mut AnyConnection, writer: &Mutex<()>) -> Option<(i64, i64)> {
    let AnyConnection::Sqlite(sqlite) = connection else {
        return None;
    };
    let passive = || diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)");
    let progress = passive().get_result::<Progress>(sqlite).ok()?;
    if progress.busy != 0 {
        return None;
    }
    if progress.log >= RESTART_PAGES {
        let _turn = writer.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = passive().get_result::<Progress>(sqlite);
    }
    Some((progress.log, progress.checkpointed))
}

/// Copy what is left of the log and truncate its file to nothing (`TRUNCATE`), if nothing
/// is in the way right now; whether it did.
fn truncate(connection: &mut AnyConnection) -> bool {
    let AnyConnection::Sqlite(sqlite) = connection else {
        return false;
    };
    diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
        .get_result::<Progress>(sqlite)
        .is_ok_and(|progress| progress.busy == 0)
}
