-- Grants with an end date, by when they end: the expiry sweep (`Tx::expired_grants`) finds
-- the ones that have ended without reading every grant. Keep in step with the other backend.
CREATE INDEX grants_expiry ON grants (org_id, expires_at) WHERE expires_at IS NOT NULL;
