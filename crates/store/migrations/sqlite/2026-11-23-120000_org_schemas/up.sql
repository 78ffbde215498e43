-- Per-organization custom extension schemas (PRODUCT.md §2), defined through the admin API.
-- orgs.schemas_version is bumped by every change, so each server process (which caches an
-- org's schema registry by that version, read with the token at authentication) sees it on
-- the next request. Keep in step with ../../postgres/.
ALTER TABLE orgs ADD COLUMN schemas_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE org_schemas (
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    urn_lower      TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    required       BOOLEAN NOT NULL,
    definition     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (org_id, urn_lower)
);
