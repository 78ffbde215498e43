-- externalId is indexed for filters but not unique by default (PRODUCT.md §7): Entra's
-- default mapping sends mailNickname, which can repeat across the domains of one tenant.
-- The unique constraint now holds `external_id_unique`, which carries the externalId only
-- while the org setting `unique_external_id` is on (NULL otherwise: NULLs never clash).
-- Keep in step with the other backend.
ALTER TABLE scim_users RENAME COLUMN external_id TO external_id_unique;
ALTER TABLE scim_users ADD COLUMN external_id TEXT COLLATE "C";
UPDATE scim_users SET external_id = external_id_unique, external_id_unique = NULL;
CREATE INDEX scim_users_external_id ON scim_users (org_id, external_id, created, id);

ALTER TABLE scim_groups RENAME COLUMN external_id TO external_id_unique;
ALTER TABLE scim_groups ADD COLUMN external_id TEXT COLLATE "C";
UPDATE scim_groups SET external_id = external_id_unique, external_id_unique = NULL;
CREATE INDEX scim_groups_external_id ON scim_groups (org_id, external_id, created, id);

ALTER TABLE orgs ADD COLUMN unique_external_id BOOLEAN NOT NULL DEFAULT FALSE;
