-- The audit trail (PRODUCT.md §6): append-only, written in the transaction of the change it
-- describes. seq orders it (and is the admin API's cursor). Keep in step with ../../postgres/.
CREATE TABLE audit_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    actor        TEXT NOT NULL,
    operation    TEXT NOT NULL,
    target       TEXT NOT NULL,
    status       INTEGER NOT NULL,
    detail       TEXT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, seq);

-- No statement may change or remove a record.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
