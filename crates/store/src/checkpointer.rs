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
//! next write starts the log over. With both, that p99 is 4–6 ms. The backstop stays,
//! should this thread fall behind or stop.
//!
//! That start-over needs every reader off the log, though. Under reads that follow one
//! another or overlap, one always is, and the log grew to 130–855 MiB in a 30-minute mixed
//! load (docs/benchmarks.md, "Endurance"). SQLite's own `RESTART` checkpoint waits for
//! readers by sleeping and polling, and found the next reader already there each time it
//! looked. So once the log passes [`FORCE_PAGES`], the thread, holding the writer lock,
//! closes the read gate (`read_gate.rs`): new reads wait, those in flight finish, for at
//! most [`FORCE_WAIT`]. Then a `RESTART` checkpoint copies the rest and the next write
//! starts the log over. Reads are held back for the longest read in flight plus that copy,
//! about 10 ms under the tests' load. A close that runs out of time (a long read) is tried
//! again after a cooldown that doubles while they run out, so that reads and writes are
//! not held back tick after tick behind long reads.
//!
//! Once the log has stopped growing for about a second, the thread truncates its file (a
//! `TRUNCATE` checkpoint that never waits). Once a second, a log shorter than
//! [`QUIET_PAGES`] (just started over, or growing by a trickle, as webhook deliveries
//! acknowledged after the clients stopped) is truncated through the read gate as above.
//! And every connection caps the file it leaves when the log starts over at
//! [`connection::JOURNAL_SIZE_LIMIT`], so the file does not keep the largest size it ever
//! reached. The thread ends when the store is dropped.

use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};

use crate::StoreError;
use crate::connection::{self, AnyConnection};
use crate::read_gate::ReadGate;

/// How often the log is checkpointed while it grows.
const BUSY_TICK: Duration = Duration::from_millis(5);

/// How often the log is looked at while it does not grow.
const IDLE_TICK: Duration = Duration::from_millis(50);

/// The writer connection's automatic checkpoint, in pages of log (about 40 MiB).
const BACKSTOP_PAGES: u32 = 10_000;

/// The log length, in pages (about 4 MiB), past which the rest is copied under the
/// writer lock so that the log starts over.
const RESTART_PAGES: i64 = 1_000;

/// The log length, in pages (about 16 MiB), past which the checkpoint waits for the
/// readers on the log to finish, so that the log starts over.
const FORCE_PAGES: i64 = 4_000;

/// The longest a forced start-over waits for the reads in flight to finish, holding writes
/// and new reads back meanwhile.
const FORCE_WAIT: Duration = Duration::from_millis(200);

/// The longest a forced start-over then waits for readers in other processes.
const FOREIGN_READER_WAIT: Duration = Duration::from_millis(50);

/// How long after a forced start-over that ran out of time the next one is tried; it
/// doubles with each that runs out in a row, up to [`FORCE_COOLDOWN_MAX`], so that one
/// long read does not have writes held back most of the time.
const FORCE_COOLDOWN: Duration = Duration::from_millis(50);

/// The longest wait between forced start-overs that run out of time.
const FORCE_COOLDOWN_MAX: Duration = Duration::from_secs(2);

/// When the next forced start-over may be tried.
#[derive(Debug)]
struct Force {
    after: Instant,
    cooldown: Duration,
}

impl Force {
    fn new() -> Force {
        Force {
            after: Instant::now(),
            cooldown: FORCE_COOLDOWN,
        }
    }

    fn due(&self) -> bool {
        Instant::now() >= self.after
    }

    /// After a try: at once if it completed, else after a cooldown twice the last.
    fn after(&mut self, completed: bool) {
        if completed {
            self.cooldown = FORCE_COOLDOWN;
        } else {
            self.after = Instant::now() + self.cooldown;
            self.cooldown = (self.cooldown * 2).min(FORCE_COOLDOWN_MAX);
        }
    }
}

/// Idle ticks with an unchanged, non-empty log after which the log file is truncated
/// (about 1 s): an idle server's log shrinks to nothing instead of keeping its peak size.
const IDLE_TICKS_BEFORE_TRUNCATE: u32 = 20;

/// How often a short log's file is truncated through the read gate.
const QUIET_WINDOW: Duration = Duration::from_secs(1);

/// A log shorter than this, in pages (1 MiB), is truncated through the read gate once per
/// [`QUIET_WINDOW`]: little is left to copy, so it holds reads and writes back briefly.
/// Such a log is one that has just started over, or one that grows by a trickle (webhook
/// deliveries, each acknowledged by a write, after the clients have stopped): it never
/// stops growing, so the idle truncation would never come and the file would keep its
/// [`connection::JOURNAL_SIZE_LIMIT`].
const QUIET_PAGES: i64 = 256;

/// The longest a short log's truncation waits for the reads in flight.
const QUIET_WAIT: Duration = Duration::from_millis(50);

/// When the next short log may be truncated.
#[derive(Debug)]
struct Quiet {
    since: Instant,
}

impl Quiet {
    fn new() -> Quiet {
        Quiet {
            since: Instant::now(),
        }
    }

    /// Whether to truncate now: a window has passed since the last look, and the log
    /// (`pages` long) is not empty and shorter than [`QUIET_PAGES`].
    fn due(&mut self, pages: i64) -> bool {
        if self.since.elapsed() < QUIET_WINDOW {
            return false;
        }
        self.since = Instant::now();
        pages > 0 && pages < QUIET_PAGES
    }
}

/// The checkpoint thread; dropping this handle stops it.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Start checkpointing the database at `url` (SQLite); `writer` is the store's SQLite
    /// writer lock, `gate` the gate its reads pass.
    pub(crate) fn start(
        url: &str,
        writer: Arc<Mutex<()>>,
        gate: Arc<ReadGate>,
    ) -> Result<Checkpointer, StoreError> {
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
                let mut force = Force::new();
                let mut quiet = Quiet::new();
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                    let log = checkpoint(&mut connection, &writer, &gate, &mut force);
                    if let (Some((pages, _)), AnyConnection::Sqlite(sqlite)) =
                        (log, &mut connection)
                        && quiet.due(pages)
                    {
                        let _turn = writer.lock().unwrap_or_else(PoisonError::into_inner);
                        forced(sqlite, &gate, "TRUNCATE", QUIET_WAIT);
                    }
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
/// which copies the rest so that the next write starts the log over; past [`FORCE_PAGES`]
/// (readers have kept it from starting over), a `RESTART` one instead, unless the last
/// ran out of time less than a cooldown ago (`force`). The log's length and
/// how much of it is copied, when the checkpoint ran. A failure (the database busy, say)
/// is left to the next tick, and to the writer's backstop.
fn checkpoint(
    connection: &mut AnyConnection,
    writer: &Mutex<()>,
    gate: &ReadGate,
    force: &mut Force,
) -> Option<(i64, i64)> {
    let AnyConnection::Sqlite(sqlite) = connection else {
        return None;
    };
    let passive = || diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)");
    let progress = passive().get_result::<Progress>(sqlite).ok()?;
    if progress.busy != 0 {
        return None;
    }
    if progress.log >= FORCE_PAGES && force.due() {
        let _turn = writer.lock().unwrap_or_else(PoisonError::into_inner);
        // Another process reading the same file (a `rollcall` CLI command, say) can still
        // hold it up, for at most FOREIGN_READER_WAIT.
        let completed = forced(sqlite, gate, "RESTART", FORCE_WAIT);
        force.after(completed);
    } else if progress.log >= RESTART_PAGES {
        let _turn = writer.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = passive().get_result::<Progress>(sqlite);
    }
    Some((progress.log, progress.checkpointed))
}

/// A checkpoint of `mode` (`RESTART` or `TRUNCATE`) with the read gate closed, waiting up to
/// `wait` for the reads in flight: the log is then free of this process's readers, and the
/// checkpoint copies it all (`RESTART`: the next write starts it over; `TRUNCATE`: its file
/// is emptied). Whether it completed. The caller holds the writer lock.
fn forced(
    sqlite: &mut diesel::SqliteConnection,
    gate: &ReadGate,
    mode: &str,
    wait: Duration,
) -> bool {
    let Some(_closed) = gate.close(wait) else {
        return false;
    };
    let wait = FOREIGN_READER_WAIT.as_millis();
    if sqlite
        .batch_execute(&format!("PRAGMA busy_timeout = {wait}"))
        .is_err()
    {
        return false;
    }
    let done = diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})"))
        .get_result::<Progress>(sqlite)
        .is_ok_and(|progress| progress.busy == 0);
    // Back to never waiting, for the passive and truncating checkpoints; should this fail,
    // they would wait up to FOREIGN_READER_WAIT, which is still bounded.
    let _ = sqlite.batch_execute("PRAGMA busy_timeout = 0");
    done
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
