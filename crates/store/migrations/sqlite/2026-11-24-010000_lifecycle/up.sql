-- The user lifecycle (PRODUCT.md §5). Keep in step with ../../postgres/.
-- When a user last became inactive (NULL while active): the reactivation window counts
-- from it.
ALTER TABLE scim_users ADD COLUMN deactivated_at TEXT;

-- A deleted user: gone from scim_users (so its userName and externalId are free at once and
-- every query of users ignores it), kept here with its personal data until the purge
-- scrubs it (data '{}', user_name and external_id NULL, purged_at set).
CREATE TABLE user_tombstones (
    id           TEXT PRIMARY KEY NOT NULL,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_name    TEXT,
    external_id  TEXT,
    data         TEXT NOT NULL,
    created      TEXT NOT NULL,
    deleted_at   TEXT NOT NULL,
    purged_at    TEXT
);
CREATE INDEX user_tombstones_pending ON user_tombstones (org_id, deleted_at)
    WHERE purged_at IS NULL;
