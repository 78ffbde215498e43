-- Optional retention of the audit trail (PRODUCT.md §6): the prune of an organization's
-- old records (`Audit::prune`) holds a permit for that organization, in its own
-- transaction and only while it deletes; without one, a record still cannot be removed.
-- UPDATE stays refused always. Keep in step with the other backend.
CREATE TABLE audit_prune_permits (
    org_id  TEXT PRIMARY KEY NOT NULL
);
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permits WHERE org_id = OLD.org_id)
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
