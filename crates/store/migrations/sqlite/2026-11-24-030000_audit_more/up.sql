-- The health report counts an organization's SCIM writes over a time window
-- (GET /admin/v1/health): the trail by org and time. Keep in step with the other backend.
CREATE INDEX audit_events_org_time ON audit_events (org_id, occurred_at);
