-- How far each organization's outbox has been pruned: the pull feed
-- (`GET /admin/v1/events?after=`) answers 410 to a reader whose position is older, since
-- events after it are gone. Keep in step with the other backend.
CREATE TABLE outbox_prune_marks (
    org_id       TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    through_seq  BIGINT NOT NULL
);
