//! Row leases for the background jobs (the purge of deleted users, the expiry of grants,
//! the pruning of the outbox and of the trail), so any number of instances sharing one
//! database can run them: each run for an organization first takes that organization's
//! row of the job (table `job_leases`) for its transaction. On PostgreSQL that is
//! `SELECT … FOR UPDATE SKIP LOCKED`: an instance that finds the row taken does not wait,
//! it leaves the organization to the one working on it. The lease is the transaction's:
//! it ends with its commit or rollback, and with the connection if the instance dies, so
//! nothing is ever left held (no session-level advisory lock, which a transaction-mode
//! pooler would break). On SQLite, whose writers take turns, the write transaction itself
//! is the lease.

use crate::sql::{Bind, Sql};
use crate::{Backend, StoreError, Tx};

#[derive(diesel::QueryableByName)]
struct JobRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    job: String,
}

impl<'c> Tx<'c> {
    /// The background jobs' row leases.
    pub fn job_leases(&mut self) -> JobLeases<'_, 'c> {
        JobLeases { tx: self }
    }
}

/// The background jobs' row leases, in a transaction ([`Tx::job_leases`]).
#[derive(Debug)]
pub struct JobLeases<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

/// The job names, one per background job.
pub mod jobs {
    /// The purge of deleted users' personal data.
    pub const PURGE: &str = "purge";
    /// The expiry of ended grants.
    pub const EXPIRY: &str = "expiry";
    /// The pruning of the outbox.
    pub const OUTBOX_RETENTION: &str = "outbox_retention";
    /// The pruning of the audit trail.
    pub const AUDIT_RETENTION: &str = "audit_retention";
}

impl JobLeases<'_, '_> {
    /// Take `job`'s lease on the organization for this transaction: `false` when another
    /// transaction holds it (PostgreSQL; it is not waited for), and the caller should leave
    /// the organization to it.
    pub fn take(&mut self, job: &str, org_id: &str) -> Result<bool, StoreError> {
        if self.tx.backend == Backend::Postgres {
            let mut lock = Sql::new(self.tx.backend);
            lock.cacheable()
                .push("SELECT job FROM job_leases WHERE job = ")
                .push_bind(Bind::Text(job.to_owned()));
            lock.push(" AND org_id = ")
                .push_bind(Bind::Text(org_id.to_owned()))
                .push(" FOR UPDATE SKIP LOCKED");
            if lock
                .optional::<JobRow>(self.tx.conn)?
                .is_some_and(|row| row.job == job)
            {
                return Ok(true);
            }
        }
        // No row yet (its first run), or one another transaction holds. A row inserted now
        // is this transaction's; on a conflict another transaction holds the lease (it
        // waits only while another first run's insert is uncommitted).
        let mut insert = Sql::new(self.tx.backend);
        insert
            .cacheable()
            .push("INSERT INTO job_leases (job, org_id) VALUES (")
            .push_bind(Bind::Text(job.to_owned()))
            .push(", ")
            .push_bind(Bind::Text(org_id.to_owned()))
            .push(") ON CONFLICT (job, org_id) DO NOTHING");
        let inserted = insert.execute(self.tx.conn)? == 1;
        // SQLite's writers take turns: the write transaction is the lease.
        Ok(inserted || self.tx.backend == Backend::Sqlite)
    }
}
