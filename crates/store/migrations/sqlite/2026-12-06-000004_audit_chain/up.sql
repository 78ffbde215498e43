-- Tamper evidence (PRODUCT.md §6): each record carries the hash of its organization's
-- previous record (`prev_hash`) and its own (`hash`), over the stored form
-- (`audit_chain.rs`). Records written before this migration carry neither: the chain runs
-- through them all the same (a verifier recomputes it from the first record), and the
-- data migration `audit_chain` puts each organization's head where they end. Adding
-- columns edits no record: the append-only triggers stand. Keep in step with the other
-- backend.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
-- The hash of each organization's latest record, where its next record links.
CREATE TABLE audit_heads (
    org_id     TEXT PRIMARY KEY NOT NULL,
    last_hash  TEXT NOT NULL
);
