-- Events (PRODUCT.md §6): a transactional outbox, appended in the transaction of the change it
-- describes, read in seq order by in-process subscribers and webhook deliveries, each with a
-- cursor of its own per organization. Keep in step with ../../sqlite/.
CREATE TABLE outbox_events (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT COLLATE "C" NOT NULL,
    org_id       TEXT COLLATE "C" NOT NULL,
    type         TEXT COLLATE "C" NOT NULL,
    occurred_at  TEXT COLLATE "C" NOT NULL,
    data         TEXT COLLATE "C" NOT NULL
);
CREATE INDEX outbox_events_org ON outbox_events (org_id, seq);

-- The last seq of each organization. Written by every append: its row lock, held to the
-- commit, makes an organization's appends commit in seq order, so a reader that has seen
-- seq N of an organization never meets a smaller one of it later.
CREATE TABLE outbox_heads (
    org_id    TEXT COLLATE "C" PRIMARY KEY,
    last_seq  BIGINT NOT NULL
);

-- Webhooks of an organization. The secret signs deliveries, so it is kept as given.
CREATE TABLE webhooks (
    id           TEXT COLLATE "C" PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL,
    url          TEXT COLLATE "C" NOT NULL,
    secret       TEXT COLLATE "C" NOT NULL,
    event_types  TEXT COLLATE "C" NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, created_at);

-- Delivery state of a consumer (`webhook:<id>`, `subscriber:<name>`) per organization: what
-- it has acknowledged, its retry schedule, and a lease so one instance delivers at a time.
CREATE TABLE outbox_consumers (
    consumer         TEXT COLLATE "C" NOT NULL,
    org_id           TEXT COLLATE "C" NOT NULL,
    delivered_seq    BIGINT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT COLLATE "C",
    last_error       TEXT,
    lease_owner      TEXT COLLATE "C",
    lease_until      TEXT COLLATE "C",
    PRIMARY KEY (consumer, org_id)
);
