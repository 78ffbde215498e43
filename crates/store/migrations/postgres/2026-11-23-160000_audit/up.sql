-- The audit trail (PRODUCT.md §6): append-only, written in the transaction of the change it
-- describes. seq orders it (and is the admin API's cursor). Keep in step with ../../sqlite/.
CREATE TABLE audit_events (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT COLLATE "C" NOT NULL,
    org_id       TEXT COLLATE "C" NOT NULL,
    occurred_at  TEXT COLLATE "C" NOT NULL,
    actor        TEXT COLLATE "C" NOT NULL,
    operation    TEXT COLLATE "C" NOT NULL,
    target       TEXT COLLATE "C" NOT NULL,
    status       INTEGER NOT NULL,
    detail       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, seq);

-- No statement may change or remove a record.
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
