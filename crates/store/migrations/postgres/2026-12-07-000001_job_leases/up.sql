-- One row per background job and organization: a run of the job for the organization
-- locks it for its transaction (FOR UPDATE SKIP LOCKED on PostgreSQL), so of several
-- instances sharing the database one does the work and the others move on.
CREATE TABLE job_leases (
    job TEXT NOT NULL,
    org_id TEXT NOT NULL,
    PRIMARY KEY (job, org_id)
);
