-- Events (PRODUCT.md §6): a transactional outbox, appended in the transaction of the change it
-- describes, read in seq order by in-process subscribers and webhook deliveries, each with a
-- cursor of its own per organization. Keep in step with ../../postgres/.
-- seq is the rowid (no AUTOINCREMENT: no sqlite_sequence write per event). It only grows
-- while the newest row stays, so a future pruning must keep each table's newest event.
CREATE TABLE outbox_events (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    type         TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    data         TEXT NOT NULL
);
CREATE INDEX outbox_events_org ON outbox_events (org_id, seq);

-- The last seq of each organization: PostgreSQL only (written by every append; its row lock
-- makes an organization's appends commit in seq order). SQLite, one writer at a time, leaves
-- it empty and reads heads from outbox_events' (org_id, seq) index.
CREATE TABLE outbox_heads (
    org_id    TEXT PRIMARY KEY NOT NULL,
    last_seq  BIGINT NOT NULL
);

-- Webhooks of an organization. The secret signs deliveries, so it is kept as given.
CREATE TABLE webhooks (
    id           TEXT PRIMARY KEY NOT NULL,
    org_id       TEXT NOT NULL,
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    event_types  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, created_at);

-- Delivery state of a consumer (`webhook:<id>`, `subscriber:<name>`) per organization: what
-- it has acknowledged, its retry schedule, and a lease so one instance delivers at a time.
CREATE TABLE outbox_consumers (
    consumer         TEXT NOT NULL,
    org_id           TEXT NOT NULL,
    delivered_seq    BIGINT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    last_error       TEXT,
    lease_owner      TEXT,
    lease_until      TEXT,
    PRIMARY KEY (consumer, org_id)
);
