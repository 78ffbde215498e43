DROP TABLE outbox_consumers;
DROP TABLE webhooks;
DROP TABLE outbox_heads;
DROP TABLE outbox_events;
