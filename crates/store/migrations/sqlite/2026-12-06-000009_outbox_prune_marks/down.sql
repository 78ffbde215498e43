DROP TABLE outbox_prune_marks;
