//! SQLite: a gate every read transaction of this process passes, which the checkpoint
//! thread closes for a moment so that the write-ahead log can start over.
//!
//! The log starts over only once no reader is on it. Under reads that follow one another
//! on a connection, or overlap across connections, one always is: SQLite's checkpoint
//! waits for a reader's lock by sleeping and polling, and finds the next reader already
//! there each time it looks (a `RESTART` checkpoint, waiting 250 ms, ran out of time
//! against a single reader reading in a loop). The log then grew to hundreds of MiB under
//! a mixed load (docs/benchmarks.md, "Endurance"). Closing the gate stops new reads from
//! starting; those in flight finish; then the checkpoint finds the log free at once.
//!
//! The gate is fair: once the checkpoint thread waits for it, new reads wait too, for at
//! most [`ReadGate::close`]'s bound, after which the thread gives up and they go on.

use std::time::Duration;

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The gate (SQLite; PostgreSQL's reads never pass it).
#[derive(Debug, Default)]
pub(crate) struct ReadGate {
    lock: RwLock<()>,
}

/// A read in flight: the gate cannot close until it is dropped.
pub(crate) type Reading<'a> = RwLockReadGuard<'a, ()>;

/// The gate closed: no read of this process is in flight, nor can one start.
pub(crate) type Closed<'a> = RwLockWriteGuard<'a, ()>;

impl ReadGate {
    /// Pass the gate for one read transaction, waiting while it is closed (or about to
    /// close).
    pub(crate) fn enter(&self) -> Reading<'_> {
        self.lock.read()
    }

    /// Close the gate once the reads in flight have finished, waiting up to `wait` for
    /// them (new reads wait meanwhile); `None` if they did not finish in time.
    pub(crate) fn close(&self, wait: Duration) -> Option<Closed<'_>> {
        self.lock.try_write_for(wait)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_gate_closes_only_once_reads_in_flight_end_and_holds_new_ones_back() {
        let gate = Arc::new(ReadGate::default());
        let reading = gate.enter();
        assert!(gate.close(Duration::from_millis(20)).is_none());
        drop(reading);
        let closed = gate.close(Duration::from_millis(20));
        assert!(closed.is_some());
        let entered = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                let _reading = gate.enter();
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !entered.is_finished(),
            "a read started while the gate was closed"
        );
        drop(closed);
        entered.join().unwrap();
    }

    #[test]
    fn a_waiting_close_holds_back_new_reads_until_it_gives_up() {
        let gate = Arc::new(ReadGate::default());
        let reading = gate.enter();
        let closing = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.close(Duration::from_millis(300)).is_some())
        };
        std::thread::sleep(Duration::from_millis(50));
        let newcomer = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                let _reading = gate.enter();
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !newcomer.is_finished(),
            "a new read overtook the waiting close"
        );
        // The read in flight outlasts the wait: the close gives up and the newcomer goes on.
        assert!(!closing.join().unwrap());
        newcomer.join().unwrap();
        drop(reading);
    }
}
