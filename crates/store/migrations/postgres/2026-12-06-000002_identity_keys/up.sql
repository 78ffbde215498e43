-- Identity keys (issue 20): a userName, or a group's displayName, is unique per org by its
-- identity key, toNFKC_Casefold of the value trimmed of White_Space, no longer by its lower
-- case. The unique constraints move with the renamed columns; the keys themselves are
-- Unicode work, computed in Rust by the data migration `identity_keys`, which runs right
-- after the SQL migrations (see `data_migrations.rs`). Keep in step with the other backend.
ALTER TABLE scim_users RENAME COLUMN user_name_lower TO user_name_key;
ALTER TABLE scim_users RENAME CONSTRAINT scim_users_user_name_lower_key TO scim_users_user_name_key_key;
ALTER TABLE scim_groups RENAME COLUMN display_name_lower TO display_name_key;
ALTER TABLE scim_groups RENAME CONSTRAINT scim_groups_display_name_lower_key TO scim_groups_display_name_key_key;

-- The data migrations that ran, and what they found that an operator must look at
-- (`rollcall migrate` lists it).
CREATE TABLE data_migrations (
    name    TEXT PRIMARY KEY NOT NULL,
    ran_at  TEXT NOT NULL
);
CREATE TABLE migration_findings (
    migration  TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    found_at   TEXT NOT NULL
);
CREATE INDEX migration_findings_org ON migration_findings (org_id, migration);
