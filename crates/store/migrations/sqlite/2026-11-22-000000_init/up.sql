-- Rollcall schema, SQLite flavour. Keep it in step with ../../postgres/.
-- Text columns compare with SQLite's BINARY collation: byte order of UTF-8 = code point order.
-- Timestamps are UTC text in one fixed-width format (YYYY-MM-DDTHH:MM:SS.fffffffffZ), so text
-- order is time order. Constraint names carry the column names: the store maps a unique
-- violation to the SCIM attribute by them (SQLite reports columns, PostgreSQL the name).

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    dialect     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT,
    secret_hash  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);
CREATE INDEX tokens_org ON tokens (org_id, created_at);

CREATE TABLE scim_users (
    id               TEXT PRIMARY KEY NOT NULL,
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_name        TEXT NOT NULL,
    user_name_lower  TEXT NOT NULL,
    external_id      TEXT,
    display_name     TEXT,
    active           BOOLEAN,
    version          BIGINT NOT NULL,
    created          TEXT NOT NULL,
    last_modified    TEXT NOT NULL,
    data             TEXT NOT NULL,
    CONSTRAINT scim_users_user_name_lower_key UNIQUE (org_id, user_name_lower),
    CONSTRAINT scim_users_external_id_key UNIQUE (org_id, external_id)
);
CREATE INDEX scim_users_created ON scim_users (org_id, created, id);

CREATE TABLE scim_groups (
    id                  TEXT PRIMARY KEY NOT NULL,
    org_id              TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    display_name        TEXT NOT NULL,
    display_name_lower  TEXT NOT NULL,
    external_id         TEXT,
    version             BIGINT NOT NULL,
    created             TEXT NOT NULL,
    last_modified       TEXT NOT NULL,
    data                TEXT NOT NULL,
    CONSTRAINT scim_groups_display_name_lower_key UNIQUE (org_id, display_name_lower),
    CONSTRAINT scim_groups_external_id_key UNIQUE (org_id, external_id)
);
CREATE INDEX scim_groups_created ON scim_groups (org_id, created, id);

-- One row per member; a member is a user or a group of the same org.
CREATE TABLE group_members (
    org_id       TEXT NOT NULL,
    group_id     TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    member_id    TEXT NOT NULL,
    member_type  TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members (org_id, member_id);

-- The filter index: every value of every attribute not kept in a dedicated column, typed.
-- One row per element of a top-level attribute (sub = '') and one per value of each of its
-- sub-attributes (sub = the lower-cased name). attr is the lower-cased top-level name,
-- prefixed by the lower-cased extension URN and ':' for extension attributes.
CREATE TABLE resource_values (
    org_id       TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    attr         TEXT NOT NULL,
    elem         INTEGER NOT NULL,
    sub          TEXT NOT NULL,
    present      BOOLEAN NOT NULL,
    v_text       TEXT,
    v_lower      TEXT,
    v_int        BIGINT,
    v_num        DOUBLE PRECISION,
    v_bool       BOOLEAN,
    v_time       TEXT
);
-- Partial indexes: a row enters only the index of its own type (a comparison implies
-- IS NOT NULL, so the planners use them), which keeps a create's page writes down.
CREATE INDEX resource_values_lower ON resource_values (org_id, attr, sub, v_lower)
    WHERE v_lower IS NOT NULL;
CREATE INDEX resource_values_text ON resource_values (org_id, attr, sub, v_text)
    WHERE v_text IS NOT NULL;
CREATE INDEX resource_values_num ON resource_values (org_id, attr, sub, v_num)
    WHERE v_num IS NOT NULL;
CREATE INDEX resource_values_time ON resource_values (org_id, attr, sub, v_time)
    WHERE v_time IS NOT NULL;
CREATE INDEX resource_values_resource ON resource_values (resource_id, attr, elem, sub);
