DROP TABLE user_tombstones;
ALTER TABLE scim_users DROP COLUMN deactivated_at;
