DROP TABLE migration_findings;
DROP TABLE data_migrations;
ALTER TABLE scim_groups RENAME COLUMN display_name_key TO display_name_lower;
ALTER TABLE scim_users RENAME COLUMN user_name_key TO user_name_lower;
