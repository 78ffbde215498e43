-- Optional retention of the audit trail (PRODUCT.md §6): the prune of an organization's
-- old records (`Audit::prune`) holds a permit for that organization, in its own
-- transaction and only while it deletes; without one, a record still cannot be removed.
-- UPDATE stays refused always. Keep in step with the other backend.
CREATE TABLE audit_prune_permits (
    org_id  TEXT COLLATE "C" PRIMARY KEY
);
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
        AND EXISTS (SELECT 1 FROM audit_prune_permits WHERE org_id = OLD.org_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
