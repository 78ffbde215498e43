-- The request that made a change (X-Request-Id), for tying an audit record to logs.
ALTER TABLE audit_events ADD COLUMN request_id TEXT;
