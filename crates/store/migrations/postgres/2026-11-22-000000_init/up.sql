-- Rollcall schema, PostgreSQL flavour. Keep it in step with ../../sqlite/.
-- Text columns are COLLATE "C": byte order of UTF-8 = code point order (as the evaluator orders strings).
-- Timestamps are UTC text in one fixed-width format (YYYY-MM-DDTHH:MM:SS.fffffffffZ), so text
-- order is time order. Constraint names carry the column names: the store maps a unique
-- violation to the SCIM attribute by them (SQLite reports columns, PostgreSQL the name).

CREATE TABLE orgs (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    dialect     TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE tokens (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind         TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C",
    secret_hash  TEXT COLLATE "C" NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL,
    expires_at   TEXT COLLATE "C",
    revoked_at   TEXT COLLATE "C"
);
CREATE INDEX tokens_org ON tokens (org_id, created_at);

CREATE TABLE scim_users (
    id               TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    org_id           TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_name        TEXT COLLATE "C" NOT NULL,
    user_name_lower  TEXT COLLATE "C" NOT NULL,
    external_id      TEXT COLLATE "C",
    display_name     TEXT COLLATE "C",
    active           BOOLEAN,
    version          BIGINT NOT NULL,
    created          TEXT COLLATE "C" NOT NULL,
    last_modified    TEXT COLLATE "C" NOT NULL,
    data             TEXT COLLATE "C" NOT NULL,
    CONSTRAINT scim_users_user_name_lower_key UNIQUE (org_id, user_name_lower),
    CONSTRAINT scim_users_external_id_key UNIQUE (org_id, external_id)
);
CREATE INDEX scim_users_created ON scim_users (org_id, created, id);

CREATE TABLE scim_groups (
    id                  TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    org_id              TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    display_name        TEXT COLLATE "C" NOT NULL,
    display_name_lower  TEXT COLLATE "C" NOT NULL,
    external_id         TEXT COLLATE "C",
    version             BIGINT NOT NULL,
    created             TEXT COLLATE "C" NOT NULL,
    last_modified       TEXT COLLATE "C" NOT NULL,
    data                TEXT COLLATE "C" NOT NULL,
    CONSTRAINT scim_groups_display_name_lower_key UNIQUE (org_id, display_name_lower),
    CONSTRAINT scim_groups_external_id_key UNIQUE (org_id, external_id)
);
CREATE INDEX scim_groups_created ON scim_groups (org_id, created, id);

-- One row per member; a member is a user or a group of the same org.
CREATE TABLE group_members (
    org_id       TEXT COLLATE "C" NOT NULL,
    group_id     TEXT COLLATE "C" NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    member_id    TEXT COLLATE "C" NOT NULL,
    member_type  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (org_id, member_id);

-- The filter index: every value of every attribute not kept in a dedicated column, typed.
-- One row per element of a top-level attribute (sub = '') and one per value of each of its
-- sub-attributes (sub = the lower-cased name). attr is the lower-cased top-level name,
-- prefixed by the lower-cased extension URN and ':' for extension attributes.
CREATE TABLE resource_values (
    org_id       TEXT COLLATE "C" NOT NULL,
    resource_id  TEXT COLLATE "C" NOT NULL,
    attr         TEXT COLLATE "C" NOT NULL,
    elem         INTEGER NOT NULL,
    sub          TEXT COLLATE "C" NOT NULL,
    present      BOOLEAN NOT NULL,
    v_text       TEXT COLLATE "C",
    v_lower      TEXT COLLATE "C",
    v_int        BIGINT,
    v_num        DOUBLE PRECISION,
    v_bool       BOOLEAN,
    v_time       TEXT COLLATE "C"
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
