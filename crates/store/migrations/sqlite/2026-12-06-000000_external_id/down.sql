ALTER TABLE orgs DROP COLUMN unique_external_id;
DROP INDEX scim_groups_external_id;
UPDATE scim_groups SET external_id_unique = external_id;
ALTER TABLE scim_groups DROP COLUMN external_id;
ALTER TABLE scim_groups RENAME COLUMN external_id_unique TO external_id;
DROP INDEX scim_users_external_id;
UPDATE scim_users SET external_id_unique = external_id;
ALTER TABLE scim_users DROP COLUMN external_id;
ALTER TABLE scim_users RENAME COLUMN external_id_unique TO external_id;
